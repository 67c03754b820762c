# SPDX-License-Identifier: MIT
"""Control and iopub stay responsive while a cell computes.

The control channel has its own thread (kernel_info, interrupt and shutdown are answered
at once) and iopub its own publisher thread (a new subscriber is welcomed at once). The
long cell is many `%info` passes over a large sparse .npy: it would run for minutes, and
every test ends it with an interrupt. A cell that then reports KeyboardInterrupt was still
running when the interrupt was sent, so whatever was answered before that interrupt was
answered during the cell, with no clock involved.
"""
import json

import pytest
import zmq

import mvk
from mvk import TIMEOUT

SHAPE = (65536, 32768)  # 8 GiB of zeros that take no disk space
LONG_CELL = "\n".join(["%info big"] * 64)


@pytest.fixture(scope="module")
def k(tmp_path_factory):
    kernel = mvk.Kernel()
    big = mvk.write_sparse_npy(tmp_path_factory.mktemp("control") / "big.npy", SHAPE)
    r, _ = kernel.execute(f"%load big = {big}")
    assert r["status"] == "ok"
    yield kernel
    kernel.close()


def states(io):
    return [m["content"]["execution_state"] for m in io if m["msg_type"] == "status"]


def start_long_cell(k):
    """Sends the long cell; returns its msg_id once its execute_input was published."""
    mid = k.execute_async(LONG_CELL)
    while True:
        m = k.kc.get_iopub_msg(timeout=TIMEOUT)
        k.seen.append(m)
        if m["parent_header"].get("msg_id") == mid and m["msg_type"] == "execute_input":
            return mid


def cell_idle_seen(k, mid):
    return any(m["parent_header"].get("msg_id") == mid and m["msg_type"] == "status"
               and m["content"]["execution_state"] == "idle" for m in k.seen)


def interrupt_on_control(k, mid):
    """Sends interrupt_request on control; returns the cell's execute_reply content."""
    iid = k.send("interrupt_request", {}, "control")
    reply = k.reply(iid, "control")
    assert reply["msg_type"] == "interrupt_reply"
    assert reply["content"]["status"] == "ok"
    return k.reply(mid)["content"]


def who_text(k):
    r, outs = k.execute("%who")
    assert r["status"] == "ok"
    return "".join(m["content"]["data"].get("text/plain", "") for m in outs
                   if m["msg_type"] == "display_data")


def test_kernel_info_on_control_during_a_cell(k):
    k.seen.clear()
    mid = start_long_cell(k)
    reply, io = k.request("kernel_info_request", {}, "control")
    assert reply["msg_type"] == "kernel_info_reply"
    assert states(io) == ["busy", "idle"]
    assert not cell_idle_seen(k, mid)
    r = interrupt_on_control(k, mid)
    assert r["status"] == "error" and r["ename"] == "KeyboardInterrupt"
    # The control thread's reply is the one shell gives (one builder).
    shell, _ = k.request("kernel_info_request", {}, "shell")
    assert reply["content"] == shell["content"]


def test_interrupt_on_control_stops_the_cell_and_keeps_tensors(k):
    k.seen.clear()
    mid = start_long_cell(k)
    r = interrupt_on_control(k, mid)
    assert r["status"] == "error" and r["ename"] == "KeyboardInterrupt"
    assert r["execution_count"] >= 1
    # The cell's own messages stay in order: busy, execute_input, ..., error, idle.
    io = k.iopub(mid)
    assert io[-1]["msg_type"] == "status"
    assert [m["msg_type"] for m in io].count("error") == 1
    assert "big" in who_text(k)  # the tensor loaded before the cell is still resident
    r, outs = k.execute("%echo after the interrupt")
    assert r["status"] == "ok" and mvk.stdout_of(outs) == "after the interrupt\n"


def test_new_iopub_subscriber_welcomed_during_a_cell(k):
    mid = start_long_cell(k)
    info = k.km.get_connection_info()
    sub = zmq.Context.instance().socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub.connect(f"{info['transport']}://{info['ip']}:{info['iopub_port']}")
    try:
        welcome = None
        while welcome is None:  # the cell's own progress may come first
            assert sub.poll(TIMEOUT * 1000), "no iopub message for a new subscriber"
            frames = sub.recv_multipart()
            i = frames.index(b"<IDS|MSG>")
            hdr = json.loads(frames[i + 2])
            if hdr["msg_type"] == "iopub_welcome":
                welcome = (json.loads(frames[i + 3]), json.loads(frames[i + 5]))
        assert welcome == ({}, {"subscription": ""})
    finally:
        sub.close()
    r = interrupt_on_control(k, mid)
    assert r["status"] == "error" and r["ename"] == "KeyboardInterrupt"


def test_shutdown_on_control_during_a_cell(tmp_path):
    kern = mvk.Kernel()
    proc = kern.process
    try:
        big = mvk.write_sparse_npy(tmp_path / "big.npy", SHAPE)
        r, _ = kern.execute(f"%load big = {big}")
        assert r["status"] == "ok"
        mid = start_long_cell(kern)
        sid = kern.send("shutdown_request", {"restart": False}, channel="control")
        reply = kern.reply(sid, "control")
        assert reply["content"] == {"status": "ok", "restart": False}
        io = kern.iopub(sid)
        assert [m["msg_type"] for m in io] == ["status", "shutdown_reply", "status"]
        # The cell was cut short (it would run for minutes), then the process exits.
        r = kern.reply(mid)["content"]
        assert r["status"] == "error" and r["ename"] == "KeyboardInterrupt"
        assert proc.wait(timeout=TIMEOUT) == 0
    finally:
        if proc.poll() is None:  # the test failed: do not leave the cell computing
            proc.kill()
            proc.wait()
        kern.kc.stop_channels()
        kern.km.cleanup_resources()
