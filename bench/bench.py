#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""bench.py -- the kernel-core measurements of `make bench` (called by bench/run.sh).

1. Opening a 1 GiB float32 file (.safetensors and .npy, generated once into BUILD/bench)
   and touching one slice (sum of one row): mechviz's C loader (BUILD/bench/load_bench)
   against numpy's np.load(mmap_mode='r') and a hand-written safetensors mmap in numpy
   (the safetensors package is not in Debian); then the same through each kernel, from
   execute_request to execute_reply, mechviz against ipykernel.
2. Comm echo round trip (p50, p99) through jupyter_client: mechviz's "mechviz.echo"
   target against an echo target registered in Debian's ipykernel.

Prints `name: value` lines and `ratio ...` lines; asserts nothing. Files stay in the
page cache after generation, so these are warm-cache figures for both sides.
"""
import json
import os
import statistics
import struct
import subprocess
import sys
import time
import uuid

import numpy as np

ROWS = COLS = 16384          # 16384 * 16384 * 4 bytes = 1 GiB
ROW = 8191
REPS = 20
ECHO_WARMUP, ECHO_N = 100, 1000


def out(name, value):
    print(f"{name}: {value}", flush=True)


def ratio(name, ours, theirs, unit_lower_is_better=True):
    if ours and theirs:
        print(f"ratio {name}: {theirs / ours:.2f}x (mechviz {ours:.4g} vs {theirs:.4g}; "
              ">1 means mechviz is faster)", flush=True)


def gen(d):
    """Write d/big.npy and d/big.safetensors (same random float32 data) once."""
    os.makedirs(d, exist_ok=True)
    npy, st = os.path.join(d, "big.npy"), os.path.join(d, "big.safetensors")
    nbytes = ROWS * COLS * 4
    if os.path.exists(npy) and os.path.exists(st) and os.path.getsize(st) >= nbytes:
        return npy, st
    t0 = time.monotonic()
    rng = np.random.default_rng(7)
    m = np.lib.format.open_memmap(npy + ".tmp", mode="w+", dtype="<f4", shape=(ROWS, COLS))
    header = json.dumps({"x": {"dtype": "F32", "shape": [ROWS, COLS],
                               "data_offsets": [0, nbytes]}}).encode()
    header += b" " * (-len(header) % 8)
    with open(st + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(header)))
        f.write(header)
        step = 1024
        for r in range(0, ROWS, step):
            block = rng.random((step, COLS), dtype=np.float32)
            m[r:r + step] = block
            f.write(block.tobytes())
    m.flush()
    del m
    os.replace(npy + ".tmp", npy)
    os.replace(st + ".tmp", st)
    out("generated 1 GiB inputs", f"{time.monotonic() - t0:.1f} s in {d}")
    return npy, st


def st_mmap(path):
    """Hand-written safetensors reader: the header, then np.memmap of each tensor."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    res = {}
    for name, h in header.items():
        if name == "__metadata__":
            continue
        dt = {"F32": "<f4", "F16": "<f2", "F64": "<f8"}[h["dtype"]]
        a, b = h["data_offsets"]
        res[name] = np.memmap(path, dtype=dt, mode="r", offset=8 + n + a, shape=tuple(h["shape"]))
    return res


def median_ms(fn, reps=REPS):
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(ts)


def blas_info():
    try:
        from threadpoolctl import threadpool_info
        libs = [f"{i.get('internal_api')} ({os.path.basename(i.get('filepath', ''))}, "
                f"{i.get('num_threads')} threads)" for i in threadpool_info()
                if i.get("user_api") == "blas"]
        return ", ".join(libs) or "unknown"
    except Exception as e:  # threadpoolctl missing
        return f"unknown ({e})"


def bench_files(build, npy, st):
    out("numpy", f"{np.__version__}, BLAS {blas_info()}")
    np_npy = median_ms(lambda: float(np.load(npy, mmap_mode="r")[ROW].sum()))
    np_st = median_ms(lambda: float(st_mmap(st)["x"][ROW].sum()))
    out("numpy open+slice .npy (np.load mmap)", f"{np_npy:.4f} ms")
    out("numpy open+slice .safetensors (hand-written mmap)", f"{np_st:.4f} ms")
    lb = os.path.join(build, "bench", "load_bench")
    res = {}
    if os.access(lb, os.X_OK):
        for label, path in (("npy", npy), ("safetensors", st)):
            p = subprocess.run([lb, f"mechviz open+slice .{label} (C, tensor_io_load)", path,
                                str(ROW), str(REPS)], capture_output=True, text=True)
            if p.returncode == 0:
                print(p.stdout.strip(), flush=True)
                res[label] = float(p.stdout.split(":")[1].split("ms")[0])
            else:
                out(f"mechviz open+slice .{label}", f"failed: {p.stderr.strip()}")
    else:
        out("mechviz open+slice", f"skipped ({lb} was not built)")
    ratio("open+slice .npy, C loader vs numpy", res.get("npy"), np_npy)
    ratio("open+slice .safetensors, C loader vs numpy", res.get("safetensors"), np_st)


# --- kernels --------------------------------------------------------------------------

IPY_SETUP = r'''
import json, struct, numpy as np
def st_mmap(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    h = header["x"]
    return np.memmap(path, dtype="<f4", mode="r", offset=8 + n + h["data_offsets"][0],
                     shape=tuple(h["shape"]))
def _bench_echo(comm, open_msg):
    @comm.on_msg
    def _reply(msg):
        comm.send(msg["content"]["data"], buffers=msg.get("buffers"))
get_ipython().kernel.comm_manager.register_target("bench.echo", _bench_echo)
'''


class Kernel:
    def __init__(self, name):
        from jupyter_client import KernelManager
        self.km = KernelManager(kernel_name=name)
        self.km.start_kernel()
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)

    def execute(self, code, timeout=120):
        """Run code; return (seconds to execute_reply, reply content)."""
        t0 = time.perf_counter()
        mid = self.kc.execute(code)
        while True:
            reply = self.kc.get_shell_msg(timeout=timeout)
            if reply["parent_header"].get("msg_id") == mid:
                break
        dt = time.perf_counter() - t0
        self.drain()
        return dt, reply["content"]

    def drain(self):
        while True:
            try:
                self.kc.get_iopub_msg(timeout=0.05)
            except Exception:
                return

    def echo(self, target, nbytes):
        """Open a comm on target; time ECHO_N comm_msg round trips. Returns ms list."""
        kc = self.kc
        cid = uuid.uuid4().hex
        kc.shell_channel.send(kc.session.msg("comm_open", {"comm_id": cid, "target_name": target,
                                                           "data": {}}))
        time.sleep(0.2)
        self.drain()
        buffers = [os.urandom(nbytes)] if nbytes else []
        ts = []
        for i in range(ECHO_WARMUP + ECHO_N):
            msg = kc.session.msg("comm_msg", {"comm_id": cid, "data": {"i": i}})
            t0 = time.perf_counter()
            kc.session.send(kc.shell_channel.socket, msg, buffers=buffers)
            while True:
                m = kc.get_iopub_msg(timeout=10)
                c = m["content"]
                if (m["header"]["msg_type"] == "comm_msg" and c.get("comm_id") == cid
                        and c.get("data", {}).get("i") == i):
                    break
            if i >= ECHO_WARMUP:
                ts.append((time.perf_counter() - t0) * 1e3)
        kc.shell_channel.send(kc.session.msg("comm_close", {"comm_id": cid, "data": {}}))
        self.drain()
        return ts

    def stop(self):
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


def pct(ts, p):
    ts = sorted(ts)
    return ts[min(len(ts) - 1, int(round(p / 100 * (len(ts) - 1))))]


def bench_kernels(npy, st):
    results = {}
    for name, target, load_npy, load_st in (
            ("debian-python3", "bench.echo",
             f"x = np.load({npy!r}, mmap_mode='r')\nx[{ROW}, :4]",
             f"x = st_mmap({st!r})\nx[{ROW}, :4]"),
            ("mechviz-bench", "mechviz.echo",
             f"%load x = {npy}\nx[{ROW}, :4]",
             f"%load {st}\nx[{ROW}, :4]")):
        label = "ipykernel" if name == "debian-python3" else "mechviz"
        try:
            k = Kernel(name)
        except Exception as e:
            out(f"{label} kernel", f"could not start: {e}")
            continue
        try:
            if label == "ipykernel":
                k.execute(IPY_SETUP)
            for what, code in (("npy", load_npy), ("safetensors", load_st)):
                ts, status = [], "ok"
                for _ in range(10):
                    dt, content = k.execute(code)
                    if content.get("status") != "ok":
                        status = f"{content.get('ename')}: {content.get('evalue')}"
                        break
                    ts.append(dt * 1e3)
                if status != "ok":
                    out(f"{label} execute open+slice .{what}", f"failed ({status})")
                    continue
                results[(label, what)] = statistics.median(ts)
                out(f"{label} execute open+slice .{what}",
                    f"{results[(label, what)]:.3f} ms (median of 10, execute_request to reply)")
            for nbytes in (0, 65536):
                try:
                    ts = k.echo(target, nbytes)
                except Exception as e:
                    out(f"{label} comm echo {nbytes} B buffer", f"failed ({type(e).__name__} {e})")
                    continue
                results[(label, "p50", nbytes)] = pct(ts, 50)
                results[(label, "p99", nbytes)] = pct(ts, 99)
                out(f"{label} comm echo, {nbytes} B buffer",
                    f"p50 {pct(ts, 50):.3f} ms, p99 {pct(ts, 99):.3f} ms ({len(ts)} round trips)")
        finally:
            k.stop()
    for what in ("npy", "safetensors"):
        ratio(f"execute open+slice .{what}, mechviz vs ipykernel",
              results.get(("mechviz", what)), results.get(("ipykernel", what)))
    for nbytes in (0, 65536):
        for p in ("p50", "p99"):
            ratio(f"comm echo {p}, {nbytes} B buffer, mechviz vs ipykernel",
                  results.get(("mechviz", p, nbytes)), results.get(("ipykernel", p, nbytes)))


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    npy, st = gen(os.path.join(build, "bench"))
    bench_files(build, npy, st)
    bench_kernels(npy, st)


if __name__ == "__main__":
    main()
