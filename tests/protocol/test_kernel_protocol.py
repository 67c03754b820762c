# SPDX-License-Identifier: MIT
"""Protocol behaviour of the mechviz kernel beyond the conformance suite.

busy/idle framing of every request (comm messages, control requests, unknown types),
forged and malformed messages dropped while the kernel keeps answering, execution
counter rules, stop_on_error aborting queued cells, interrupt of a long computation
with the heartbeat answering, shutdown and restart, comms (echo target with buffers,
unknown targets, comm_info), iopub_welcome, header invariants, and a notebook run
through nbclient.
"""
import hmac
import json
import re
import signal
import uuid

import pytest
import zmq

import mvk
from mvk import TIMEOUT


@pytest.fixture(scope="module")
def k():
    kernel = mvk.Kernel()
    yield kernel
    kernel.close()


def states(io):
    return [m["content"]["execution_state"] for m in io if m["msg_type"] == "status"]


def raw_shell(k):
    """A fresh DEALER on the shell port (its own identity), and the session key."""
    info = k.km.get_connection_info()
    sock = zmq.Context.instance().socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.connect(f"{info['transport']}://{info['ip']}:{info['shell_port']}")
    key = info["key"]
    return sock, key.encode() if isinstance(key, str) else key


def signed(key, header, parent=None, metadata=None, content=None, sig=None):
    parts = [json.dumps(p).encode() if not isinstance(p, bytes) else p
             for p in (header, parent or {}, metadata or {}, content or {})]
    if sig is None:
        h = hmac.new(key, digestmod="sha256")
        for p in parts:
            h.update(p)
        sig = h.hexdigest().encode()
    return [b"<IDS|MSG>", sig] + parts


def header(msg_type, session="raw-client"):
    return {"msg_id": uuid.uuid4().hex, "session": session, "username": "test",
            "date": "2026-01-01T00:00:00.000000Z", "msg_type": msg_type, "version": "5.3"}


def recv_reply(sock):
    assert sock.poll(TIMEOUT * 1000), "no reply at all"
    frames = sock.recv_multipart()
    i = frames.index(b"<IDS|MSG>")
    return json.loads(frames[i + 2]), json.loads(frames[i + 3]), json.loads(frames[i + 5])


# --- busy/idle ------------------------------------------------------------------------

REQUESTS = [
    ("kernel_info_request", {}, "shell"),
    ("kernel_info_request", {}, "control"),
    ("complete_request", {"code": "%ec", "cursor_pos": 3}, "shell"),
    ("inspect_request", {"code": "%echo", "cursor_pos": 2, "detail_level": 0}, "shell"),
    ("is_complete_request", {"code": "%who"}, "shell"),
    ("history_request", {"hist_access_type": "tail", "n": 3, "output": False,
                         "raw": True}, "shell"),
    ("comm_info_request", {}, "shell"),
    ("interrupt_request", {}, "control"),
]


@pytest.mark.parametrize("msg_type,content,channel", REQUESTS,
                         ids=[f"{r[0]}-{r[2]}" for r in REQUESTS])
def test_busy_reply_idle(k, msg_type, content, channel):
    reply, io = k.request(msg_type, content, channel)
    assert reply["msg_type"] == msg_type.replace("_request", "_reply")
    assert reply["content"]["status"] == ("complete" if "is_complete" in msg_type else "ok")
    assert states(io) == ["busy", "idle"]
    assert io[0]["content"]["execution_state"] == "busy"
    assert io[-1]["content"]["execution_state"] == "idle"


def test_kernel_info_content(k):
    reply, _ = k.request("kernel_info_request", {}, "control")
    c = reply["content"]
    assert c["protocol_version"] == "5.5"
    assert c["implementation"] == "mechviz"
    li = c["language_info"]
    assert (li["name"], li["mimetype"], li["file_extension"]) == (
        "mechviz", "text/x-mechviz", ".mvz")
    assert "%help" in c["banner"]
    assert c["debugger"] is False


def test_execute_busy_input_outputs_idle(k):
    mid = k.execute_async("%echo one")
    io = k.iopub(mid)
    assert [m["msg_type"] for m in io] == ["status", "execute_input", "stream", "status"]
    assert states(io) == ["busy", "idle"]
    assert k.reply(mid)["content"]["status"] == "ok"


def test_comm_messages_get_busy_idle_and_no_reply(k):
    cid = uuid.uuid4().hex
    for msg_type, content in [
        ("comm_open", {"comm_id": cid, "target_name": "mechviz.echo", "data": {}}),
        ("comm_msg", {"comm_id": cid, "data": {"x": 1}}),
        ("comm_close", {"comm_id": cid, "data": {}}),
    ]:
        mid = k.send(msg_type, content)
        io = k.iopub(mid)
        assert states(io) == ["busy", "idle"], msg_type
    # No reply was sent for the comm messages: the next shell message answers this.
    mid = k.send("kernel_info_request", {})
    assert k.next_reply()["parent_header"]["msg_id"] == mid
    k.iopub(mid)


def test_unknown_msg_type_busy_idle_no_reply(k):
    mid = k.send("no_such_request", {})
    assert states(k.iopub(mid)) == ["busy", "idle"]
    mid2 = k.send("kernel_info_request", {})
    assert k.next_reply()["parent_header"]["msg_id"] == mid2
    k.iopub(mid2)


# --- hostile input --------------------------------------------------------------------

def assert_kernel_answers_first(sock, key):
    """Sends a valid kernel_info_request; the first reply on sock must be for it."""
    h = header("kernel_info_request")
    sock.send_multipart(signed(key, h))
    hdr, parent, content = recv_reply(sock)
    assert parent["msg_id"] == h["msg_id"]
    assert hdr["msg_type"] == "kernel_info_reply"


def test_forged_signature_dropped(k):
    sock, key = raw_shell(k)
    try:
        forged = header("execute_request")
        code = {"code": "%tokens forged = \"x\"", "silent": False}
        sock.send_multipart(signed(b"not-the-key", forged, content=code))
        sock.send_multipart(signed(key, header("kernel_info_request"), sig=b"0" * 64))
        sock.send_multipart(signed(key, header("kernel_info_request"),
                                   sig=signed(key, forged)[1].upper()))
        assert_kernel_answers_first(sock, key)
    finally:
        sock.close()
    # The forged cell never ran.
    reply, outs = k.execute("%info forged")
    assert reply["status"] == "error"


@pytest.mark.parametrize("frames_of", [
    lambda key: [b"no delimiter", b"{}", b"{}", b"{}", b"{}"],
    lambda key: [b"<IDS|MSG>", b"", b"{}"],
    lambda key: signed(key, b"{not json", content={}),
    lambda key: signed(key, {"msg_id": "x", "session": "s"}),  # no msg_type
    lambda key: signed(key, header("execute_request"), content=b"[1, 2]"),
    lambda key: signed(key, header("execute_request"),
                       content=b'{"code": "' + b"a" * (65 << 20) + b'"}'),
], ids=["no-delimiter", "too-few-frames", "bad-json", "header-without-msg_type",
        "content-not-object", "huge-content"])
def test_malformed_dropped(k, frames_of):
    sock, key = raw_shell(k)
    try:
        sock.send_multipart(frames_of(key))
        assert_kernel_answers_first(sock, key)
    finally:
        sock.close()


def test_bad_content_values_still_answered(k):
    reply, io = k.request("execute_request", {"silent": False})  # no code
    assert reply["content"]["status"] == "error"
    assert states(io) == ["busy", "idle"]
    reply, _ = k.request("complete_request", {"code": 5, "cursor_pos": "x"})
    assert reply["content"]["status"] == "ok"
    mid = k.send("comm_msg", {"comm_id": 7})
    assert states(k.iopub(mid)) == ["busy", "idle"]


# --- execution ------------------------------------------------------------------------

def test_execution_count_rules(k):
    r1, _ = k.execute("%echo a")
    n = r1["execution_count"]
    r2, _ = k.execute("%echo b", store_history=False)
    assert r2["execution_count"] == n
    mid = k.execute_async('%tokens quiet = "q"\nquiet', silent=True)
    io = k.iopub(mid)
    assert [m["msg_type"] for m in io] == ["status", "status"]  # no input, no result
    r3 = k.reply(mid)["content"]
    assert r3["status"] == "ok" and r3["execution_count"] == n
    r4, outs = k.execute("quiet")  # the silent cell did run
    assert r4["execution_count"] == n + 1
    assert [m["content"]["execution_count"] for m in outs
            if m["msg_type"] == "execute_result"] == [n + 1]
    r5, _ = k.execute("%nosuch")
    assert r5["status"] == "error" and r5["execution_count"] == n + 2


def test_error_names_line_column_and_caret(k):
    reply, outs = k.execute("%echo fine\n  %nosuch x")
    assert reply["status"] == "error"
    errors = [m for m in outs if m["msg_type"] == "error"]
    assert len(errors) == 1
    tb = errors[0]["content"]["traceback"]
    assert "line 2, column 3" in tb[0]
    assert tb[1] == "      %nosuch x"
    assert re.sub(r"\x1b\[[0-9;]*m", "", tb[2]) == "      ^"
    assert reply["ename"] == errors[0]["content"]["ename"]
    assert "line 2, column 3" in reply["evalue"]


def test_stop_on_error_aborts_queued(k, tmp_path):
    # The first cell computes for a while, so the next two are queued behind it.
    big = mvk.write_sparse_npy(tmp_path / "slow.npy", (4096, 32768))
    k.execute(f"%load slow = {big}")
    first = k.execute_async("%info slow\n%info nosuch")
    second = k.execute_async("%echo second")
    third = k.execute_async("%echo third", stop_on_error=False)
    r1 = k.reply(first)["content"]
    assert r1["status"] == "error" and r1["ename"] != "ExecutionAborted"
    for mid in (second, third):
        io = k.iopub(mid)
        assert states(io) == ["busy", "idle"]
        assert mvk.stdout_of(io) == ""
        r = k.reply(mid)["content"]
        assert r["status"] == "error" and r["ename"] == "ExecutionAborted"
    # Later requests run normally again.
    r, outs = k.execute("%echo after")
    assert r["status"] == "ok" and mvk.stdout_of(outs) == "after\n"


def test_no_abort_without_stop_on_error(k, tmp_path):
    big = mvk.write_sparse_npy(tmp_path / "slow2.npy", (4096, 32768))
    k.execute(f"%load slow2 = {big}")
    first = k.execute_async("%info slow2\n%info nosuch", stop_on_error=False)
    second = k.execute_async("%echo runs")
    assert k.reply(first)["content"]["status"] == "error"
    assert mvk.stdout_of(k.iopub(second)) == "runs\n"
    assert k.reply(second)["content"]["status"] == "ok"


def test_interrupt_long_computation_with_heartbeat(tmp_path):
    kern = mvk.Kernel()
    try:
        big = mvk.write_sparse_npy(tmp_path / "big.npy", (65536, 32768))  # 8 GiB hole
        kern.execute(f"%load big = {big}")
        mid = kern.execute_async("%info big")
        while True:  # execute_input: the cell is running now
            m = kern.kc.get_iopub_msg(timeout=TIMEOUT)
            if m["parent_header"].get("msg_id") == mid and m["msg_type"] == "execute_input":
                break
        # The heartbeat answers while the main thread computes.
        info = kern.km.get_connection_info()
        hb = zmq.Context.instance().socket(zmq.REQ)
        hb.setsockopt(zmq.LINGER, 0)
        hb.connect(f"{info['transport']}://{info['ip']}:{info['hb_port']}")
        for i in range(3):
            hb.send(b"ping %d" % i)
            assert hb.poll(TIMEOUT * 1000), "heartbeat silent during a computation"
            assert hb.recv() == b"ping %d" % i
        hb.close()
        kern.km.interrupt_kernel()
        reply = kern.reply(mid)["content"]
        assert reply["status"] == "error"
        assert reply["ename"] == "KeyboardInterrupt"
        assert kern.km.is_alive()
        r, outs = kern.execute("%echo still here")
        assert mvk.stdout_of(outs) == "still here\n"
        # SIGINT while idle does not kill the process either.
        kern.km.interrupt_kernel()
        r, outs = kern.execute("%echo idle interrupt survived")
        assert r["status"] == "ok"
    finally:
        kern.close()


# --- shutdown and restart -------------------------------------------------------------

def test_shutdown_reply_on_shell_and_iopub_then_exit_zero():
    kern = mvk.Kernel()
    proc = kern.process
    try:
        mid = kern.send("shutdown_request", {"restart": False}, channel="control")
        reply = kern.reply(mid, "control")
        assert reply["content"] == {"status": "ok", "restart": False}
        io = kern.iopub(mid)
        assert [m["msg_type"] for m in io] == ["status", "shutdown_reply", "status"]
        assert proc.wait(timeout=TIMEOUT) == 0
    finally:
        kern.kc.stop_channels()
        kern.km.cleanup_resources()


def test_shutdown_restart_field_echoed():
    kern = mvk.Kernel()
    proc = kern.process
    try:
        mid = kern.send("shutdown_request", {"restart": True})  # shell: deprecated, accepted
        assert kern.reply(mid)["content"]["restart"] is True
        assert proc.wait(timeout=TIMEOUT) == 0
    finally:
        kern.kc.stop_channels()
        kern.km.cleanup_resources()


def test_restart_via_kernel_manager():
    kern = mvk.Kernel()
    try:
        first, _ = kern.request("kernel_info_request", {})
        old_pid = kern.process.pid
        kern.km.restart_kernel(now=False)
        kern.kc.wait_for_ready(timeout=TIMEOUT)
        assert kern.process.pid != old_pid
        second, _ = kern.request("kernel_info_request", {})
        assert second["header"]["session"] != first["header"]["session"]
        r, outs = kern.execute("%echo restarted")
        assert r["execution_count"] == 1
        kern.km.shutdown_kernel(now=False)
        assert kern.process is None or kern.process.returncode in (0, None)
    finally:
        kern.close()


# --- comms ----------------------------------------------------------------------------

def test_echo_comm_round_trip_with_buffers(k):
    cid = uuid.uuid4().hex
    mid = k.send("comm_open", {"comm_id": cid, "target_name": "mechviz.echo", "data": {}})
    io = k.iopub(mid)
    assert not [m for m in io if m["msg_type"] == "comm_close"]
    bufs = [b"\x00\x01\x02binary", bytes(range(256)) * 10]
    mid = k.send("comm_msg", {"comm_id": cid, "data": {"method": "ping", "n": [1, 2]}},
                 buffers=bufs)
    echoed = [m for m in k.iopub(mid) if m["msg_type"] == "comm_msg"]
    assert len(echoed) == 1
    assert echoed[0]["content"] == {"comm_id": cid, "data": {"method": "ping", "n": [1, 2]}}
    assert [bytes(b) for b in echoed[0]["buffers"]] == bufs
    info, _ = k.request("comm_info_request", {"target_name": "mechviz.echo"})
    assert info["content"]["comms"][cid] == {"target_name": "mechviz.echo"}
    everything, _ = k.request("comm_info_request", {})
    assert cid in everything["content"]["comms"]
    other, _ = k.request("comm_info_request", {"target_name": "jupyter.widget"})
    assert cid not in other["content"]["comms"]
    mid = k.send("comm_close", {"comm_id": cid, "data": {}})
    k.iopub(mid)
    info, _ = k.request("comm_info_request", {})
    assert cid not in info["content"]["comms"]
    mid = k.send("comm_msg", {"comm_id": cid, "data": {}})  # closed: ignored
    assert [m["msg_type"] for m in k.iopub(mid)] == ["status", "status"]


def test_unknown_comm_target_is_closed(k):
    cid = uuid.uuid4().hex
    mid = k.send("comm_open", {"comm_id": cid, "target_name": "no.such.target",
                               "data": {}})
    closes = [m for m in k.iopub(mid) if m["msg_type"] == "comm_close"]
    assert len(closes) == 1 and closes[0]["content"]["comm_id"] == cid
    info, _ = k.request("comm_info_request", {})
    assert cid not in info["content"]["comms"]


# --- headers and iopub ----------------------------------------------------------------

def test_session_ids_message_ids_and_dates(k):
    k.seen.clear()
    k.request("kernel_info_request", {}, "control")
    k.request("kernel_info_request", {}, "shell")
    k.execute("%echo x\n%nosuch")
    msgs = list(k.seen)
    assert len(msgs) >= 10
    assert len({m["header"]["session"] for m in msgs}) == 1
    ids = [m["header"]["msg_id"] for m in msgs]
    assert len(set(ids)) == len(ids)
    for m in msgs:
        assert m["header"]["version"] == "5.5"


def test_dates_have_six_digit_microseconds(k):
    sock, key = raw_shell(k)
    try:
        sock.send_multipart(signed(key, header("kernel_info_request")))
        hdr, _, _ = recv_reply(sock)
    finally:
        sock.close()
    assert mvk.DATE_RE.match(hdr["date"]), hdr["date"]


def test_iopub_welcome_on_subscribe(k):
    info = k.km.get_connection_info()
    sub = zmq.Context.instance().socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub.connect(f"{info['transport']}://{info['ip']}:{info['iopub_port']}")
    try:
        assert sub.poll(TIMEOUT * 1000)
        frames = sub.recv_multipart()
        i = frames.index(b"<IDS|MSG>")
        hdr, parent, content = (json.loads(frames[i + 2]), json.loads(frames[i + 3]),
                                json.loads(frames[i + 5]))
        assert hdr["msg_type"] == "iopub_welcome"
        assert parent == {} and content == {"subscription": ""}
    finally:
        sub.close()


# --- a notebook through nbclient ------------------------------------------------------

def test_nbclient_runs_a_notebook():
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": mvk.KERNEL_NAME, "display_name": "mechviz",
                                 "language": "mechviz"}
    nb.cells = [nbformat.v4.new_code_cell("%echo hello from a notebook"),
                nbformat.v4.new_code_cell('%tokens t = "a" " b"\nt'),
                nbformat.v4.new_code_cell("%who")]
    km = mvk.kernel_manager()
    try:
        NotebookClient(nb, timeout=TIMEOUT, km=km).execute()
    finally:
        if km.has_kernel:  # a client given a manager leaves the kernel running
            km.shutdown_kernel(now=False)
    out0 = nb.cells[0].outputs
    assert out0[0]["output_type"] == "stream" and out0[0]["text"] == "hello from a notebook\n"
    out1 = nb.cells[1].outputs
    assert out1[0]["output_type"] == "execute_result"
    assert out1[0]["data"]["text/plain"] == "['a', ' b']"
    assert [c.execution_count for c in nb.cells] == [1, 2, 3]
    assert nb.cells[2].outputs[0]["output_type"] == "display_data"


def test_sigint_handler_installed(k):
    # interrupt_mode "signal": SIGINT to the kernel process must only set a flag.
    k.process.send_signal(signal.SIGINT)
    r, outs = k.execute("%echo alive")
    assert r["status"] == "ok" and mvk.stdout_of(outs) == "alive\n"


def test_ipc_transport(tmp_path):
    from jupyter_client.manager import KernelManager

    km = KernelManager(kernel_name=mvk.KERNEL_NAME, kernel_spec_manager=mvk.spec_manager(),
                       transport="ipc", ip=str(tmp_path / "kernel-ipc"))
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=TIMEOUT)
        outs = []
        reply = kc.execute_interactive("%echo over ipc", timeout=TIMEOUT,
                                       output_hook=outs.append)
        assert reply["content"]["status"] == "ok"
        assert mvk.stdout_of(outs) == "over ipc\n"
    finally:
        kc.stop_channels()
        km.shutdown_kernel()
