# SPDX-License-Identifier: MIT
"""mvk.py -- shared helpers of the kernel protocol tests: kernelspec, kernel, client.

The kernel is found as the kernelspec "mechviz" on JUPYTER_PATH when run.sh installed
it (so the installed kernel.json is what gets tested). Otherwise, or when
MECHVIZ_VALGRIND=1 asks for the kernel to run under valgrind, a kernelspec is written
to a temporary folder for $MECHVIZ_KERNEL, else $MECHVIZ_BUILD/mechviz-kernel, else
build/mechviz-kernel, and put first on JUPYTER_PATH.

Requests are sent with jupyter_client's Session on the client's own sockets; replies
and iopub messages are matched to their request by parent msg_id, so stray messages
(welcomes, other requests) never confuse a test.
"""
import json
import os
import re
import shlex
import tempfile
import time
from pathlib import Path

from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
from jupyter_client.manager import KernelManager

ROOT = Path(__file__).resolve().parents[2]
VALGRIND = os.environ.get("MECHVIZ_VALGRIND") == "1"
# Upper bound for one message to arrive: a failure detector, never a measurement.
TIMEOUT = 120 if VALGRIND else 30
KERNEL_NAME = "mechviz"
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}(Z|[+-]\d{2}:?\d{2})$")


def kernel_binary():
    if os.environ.get("MECHVIZ_KERNEL"):
        return Path(os.environ["MECHVIZ_KERNEL"]).resolve()
    build = os.environ.get("MECHVIZ_BUILD", "build")
    return (ROOT / build / "mechviz-kernel").resolve()


def _write_spec():
    tmp = Path(tempfile.mkdtemp(prefix="mechviz-spec-"))
    kdir = tmp / "kernels" / KERNEL_NAME
    kdir.mkdir(parents=True)
    binary = str(kernel_binary())
    if VALGRIND:
        log = os.environ.get("MECHVIZ_VALGRIND_LOG", str(tmp / "valgrind-%p.log"))
        wrapper = kdir / "kernel-under-valgrind.sh"
        supp = ROOT / "tests" / "valgrind.supp"
        sup = f"--suppressions={shlex.quote(str(supp))} " if supp.exists() else ""
        wrapper.write_text(
            "#!/bin/sh\n"
            f"exec valgrind -q --leak-check=full --show-leak-kinds=definite "
            f"--errors-for-leak-kinds=definite --error-exitcode=99 {sup}"
            f"--log-file={shlex.quote(log)} {shlex.quote(binary)} \"$@\"\n"
        )
        wrapper.chmod(0o755)
        binary = str(wrapper)
    spec = json.loads(
        (ROOT / "kernelspec" / "kernel.json.in").read_text().replace("@BINARY@", binary)
    )
    (kdir / "kernel.json").write_text(json.dumps(spec))
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        [str(tmp)] + [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p]
    )
    return tmp


def ensure_kernelspec():
    """Makes kernelspec "mechviz" resolvable; returns its resource directory."""
    if not VALGRIND:
        try:
            return KernelSpecManager().get_kernel_spec(KERNEL_NAME).resource_dir
        except NoSuchKernel:
            pass
    _write_spec()
    return KernelSpecManager().get_kernel_spec(KERNEL_NAME).resource_dir


SPEC_DIR = ensure_kernelspec()


def spec_manager():
    """A KernelSpecManager that sees exactly the kernelspec chosen above, whatever other
    test modules later do to JUPYTER_PATH."""
    return KernelSpecManager(kernel_dirs=[str(Path(SPEC_DIR).parent)])


def kernel_manager():
    return KernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=spec_manager())


class Kernel:
    """A running kernel, one client, and request/collect helpers."""

    def __init__(self):
        self.km = kernel_manager()
        self.km.start_kernel()
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=TIMEOUT)
        self.seen = []  # every message received, for session/msg_id/date checks

    @property
    def process(self):
        return self.km.provisioner.process

    def close(self):
        self.kc.stop_channels()
        if self.km.has_kernel:
            self.km.shutdown_kernel(now=False)

    # --- sending ------------------------------------------------------------------

    def send(self, msg_type, content, channel="shell", buffers=None):
        """Sends a request; returns its msg_id."""
        ch = self.kc.control_channel if channel == "control" else self.kc.shell_channel
        msg = self.kc.session.msg(msg_type, content)
        self.kc.session.send(ch.socket, msg, buffers=buffers or [])
        return msg["header"]["msg_id"]

    def execute_async(self, code, **kw):
        content = {"code": code, "silent": False, "store_history": True,
                   "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}
        content.update(kw)
        return self.send("execute_request", content)

    # --- receiving ----------------------------------------------------------------

    def reply(self, msg_id, channel="shell"):
        get = self.kc.get_control_msg if channel == "control" else self.kc.get_shell_msg
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            m = get(timeout=TIMEOUT)
            self.seen.append(m)
            if m["parent_header"].get("msg_id") == msg_id:
                return m
        raise AssertionError(f"no reply to {msg_id}")

    def next_reply(self, channel="shell"):
        get = self.kc.get_control_msg if channel == "control" else self.kc.get_shell_msg
        m = get(timeout=TIMEOUT)
        self.seen.append(m)
        return m

    def iopub(self, msg_id):
        """Every iopub message whose parent is msg_id, busy through idle inclusive."""
        out = []
        while True:
            m = self.kc.get_iopub_msg(timeout=TIMEOUT)
            self.seen.append(m)
            if m["parent_header"].get("msg_id") != msg_id:
                continue
            out.append(m)
            if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
                return out

    def outputs(self, msg_id):
        """iopub messages of msg_id other than status and execute_input."""
        return [m for m in self.iopub(msg_id)
                if m["msg_type"] not in ("status", "execute_input")]

    def execute(self, code, **kw):
        """Runs code; returns (reply content, output messages)."""
        mid = self.execute_async(code, **kw)
        outs = self.outputs(mid)
        return self.reply(mid)["content"], outs

    def request(self, msg_type, content, channel="shell", buffers=None):
        """Sends a request and returns (reply message, iopub messages)."""
        mid = self.send(msg_type, content, channel, buffers)
        io = self.iopub(mid)
        return self.reply(mid, channel), io


def stdout_of(outputs):
    return "".join(m["content"]["text"] for m in outputs
                   if m["msg_type"] == "stream" and m["content"]["name"] == "stdout")


def write_sparse_npy(path, shape, dtype="<f4"):
    """A .npy of zeros whose data is a hole in the file: big but instant to make."""
    import numpy as np

    with open(path, "wb") as f:
        np.lib.format.write_array_header_1_0(
            f, {"descr": dtype, "fortran_order": False, "shape": tuple(shape)})
        off = f.tell()
        n = 1
        for d in shape:
            n *= d
        f.truncate(off + n * np.dtype(dtype).itemsize)
    return path
