# SPDX-License-Identifier: MIT
"""Protocol tests of the attention widget through jupyter_client.

The widget's comm_open and display bundle, the custom requests (tile -> PNG buffer that
decodes to the right palette indices, slice -> exact float32 values, thumb, tokens),
state sync (request_state, update/echo_update, the control comm's request_states),
comm_info, and hostile requests answered with errors while the kernel lives.

The kernel binary is $MECHVIZ_KERNEL, else $MECHVIZ_BUILD/mechviz-kernel, else
build/mechviz-kernel; its kernelspec is written to a temporary folder.
"""
import base64
import json
import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 20


def kernel_binary():
    if os.environ.get("MECHVIZ_KERNEL"):
        return Path(os.environ["MECHVIZ_KERNEL"]).resolve()
    build = os.environ.get("MECHVIZ_BUILD", "build")
    return (ROOT / build / "mechviz-kernel").resolve()


class Session:
    """A kernel, a client, and helpers that collect the iopub messages of a request."""

    def __init__(self, tmp):
        kdir = tmp / "kernels" / "mechviz"
        kdir.mkdir(parents=True)
        spec = json.loads((ROOT / "kernelspec" / "kernel.json.in").read_text().replace("@BINARY@", str(kernel_binary())))
        (kdir / "kernel.json").write_text(json.dumps(spec))
        ksm = KernelSpecManager(kernel_dirs=[str(tmp / "kernels")])
        self.km = KernelManager(kernel_name="mechviz", kernel_spec_manager=ksm)
        self.km.start_kernel()
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=TIMEOUT)

    def close(self):
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)

    def collect(self, msg_id):
        """iopub messages whose parent is msg_id, up to its idle status."""
        out = []
        while True:
            m = self.kc.get_iopub_msg(timeout=TIMEOUT)
            if m["parent_header"].get("msg_id") != msg_id:
                continue
            if m["msg_type"] == "status":
                if m["content"]["execution_state"] == "idle":
                    return out
                continue
            out.append(m)

    def execute(self, code):
        mid = self.kc.execute(code)
        msgs = self.collect(mid)
        reply = self.kc.get_shell_msg(timeout=TIMEOUT)
        assert reply["parent_header"]["msg_id"] == mid
        return reply["content"], msgs

    def comm_msg(self, comm_id, data, buffers=None):
        msg = self.kc.session.msg("comm_msg", {"comm_id": comm_id, "data": data})
        self.kc.session.send(self.kc.shell_channel.socket, msg, buffers=buffers or [])
        return msg["header"]["msg_id"], self.collect(msg["header"]["msg_id"])

    def request(self, comm_id, content):
        """Sends one custom request and returns the custom replies (content, buffers)."""
        _, msgs = self.comm_msg(comm_id, {"method": "custom", "content": content})
        return [
            (m["content"]["data"]["content"], [bytes(b) for b in m["buffers"]])
            for m in msgs
            if m["msg_type"] == "comm_msg" and m["content"]["data"].get("method") == "custom"
        ]

    def alive(self):
        c, msgs = self.execute("%who")
        return c["status"] == "ok"


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("attn")
    rng = np.random.default_rng(3)
    pat = rng.random((2, 3, 20, 20)).astype(np.float32)
    pat *= np.tril(np.ones((20, 20), np.float32))
    pat[1, 2, 17, 4] = 1.0
    np.save(d / "pat.npy", pat)
    np.save(d / "batch.npy", pat[:1])
    np.save(d / "ints.npy", (pat * 100).astype(np.int32))
    np.save(d / "big.npy", np.zeros((1, 700, 700), np.float64))
    toks = [f"t{i}" for i in range(19)] + ["<b>&</b>"]
    (d / "toks.json").write_text(json.dumps(toks))
    (d / "short.json").write_text(json.dumps(["a", "b"]))
    return d, pat, toks


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    s = Session(tmp_path_factory.mktemp("kspec"))
    yield s
    s.close()


@pytest.fixture(scope="module")
def widget(kernel, data):
    d, pat, toks = data
    content, msgs = kernel.execute(
        f"%load pat = {d}/pat.npy\n%load toks = {d}/toks.json\n%attention pat --tokens toks --cmap Greys"
    )
    assert content["status"] == "ok", content
    return content, msgs


def comm_of(msgs):
    opens = [m for m in msgs if m["msg_type"] == "comm_open"]
    assert len(opens) == 1
    return opens[0]


def png_indices(png):
    """Decodes a palette PNG (filter 0 rows, as png.c writes): (w, h, indices array)."""
    png = bytes(png)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    off, idat, w = 8, b"", 0
    while off < len(png):
        (n,) = struct.unpack(">I", png[off : off + 4])
        typ, body = png[off + 4 : off + 8], png[off + 8 : off + 8 + n]
        (crc,) = struct.unpack(">I", png[off + 8 + n : off + 12 + n])
        assert zlib.crc32(typ + body) == crc
        if typ == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
            assert (depth, ctype) == (8, 3)
        elif typ == b"IDAT":
            idat += body
        off += 12 + n
    raw = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(h, w + 1)
    assert (raw[:, 0] == 0).all()
    return w, h, raw[:, 1:]


# --- opening ---------------------------------------------------------------------------


def test_comm_open_state(widget):
    _, msgs = widget
    m = comm_of(msgs)
    assert m["content"]["target_name"] == "jupyter.widget"
    assert m["metadata"]["version"] == "2.1.0"
    st = m["content"]["data"]["state"]
    assert m["content"]["data"]["buffer_paths"] == []
    assert st["_model_module"] == "anywidget" and st["_view_module"] == "anywidget"
    assert st["_model_name"] == "AnyModel" and st["_view_name"] == "AnyView"
    assert st["_model_module_version"] == "*" and st["_view_module_version"] == "*"
    assert "export default" in st["_esm"] and ".mvz-attn" in st["_css"]
    assert st["_anywidget_id"] == "mechviz.attention"
    assert st["tensor"] == "pat" and st["tokens"] == "toks"
    assert st["shape"] == [2, 3, 20, 20] and st["has_layers"] is True
    assert st["head"] == -1 and st["layer"] == 0 and st["mask"] is True
    assert st["cmap"] == "Greys" and st["vmin"] == 0.0 and st["vmax"] == 1.0
    # the state never carries the tensor
    assert len(json.dumps(st)) < len(st["_esm"]) + len(st["_css"]) + 4096


def test_display_bundle(widget):
    _, msgs = widget
    comm_id = comm_of(msgs)["content"]["comm_id"]
    order = [m["msg_type"] for m in msgs]
    assert order.index("comm_open") < order.index("display_data")
    disp = [m for m in msgs if m["msg_type"] == "display_data"][0]
    data = disp["content"]["data"]
    view = data["application/vnd.jupyter.widget-view+json"]
    assert view == {"model_id": comm_id, "version_major": 2, "version_minor": 1}
    assert "pat" in data["text/plain"]
    png = base64.b64decode(data["image/png"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    w, h = struct.unpack(">II", png[16:24])
    meta = disp["content"]["metadata"]["image/png"]
    assert 0 < meta["width"] <= 600 and 0 < meta["height"] <= 400
    assert (w, h) == (2 * meta["width"], 2 * meta["height"])


def test_comm_info_lists_widget(kernel, widget):
    comm_id = comm_of(widget[1])["content"]["comm_id"]
    mid = kernel.kc.comm_info(target_name="jupyter.widget")
    reply = kernel.kc.get_shell_msg(timeout=TIMEOUT)
    assert reply["content"]["status"] == "ok"
    assert reply["content"]["comms"][comm_id] == {"target_name": "jupyter.widget"}


# --- requests ---------------------------------------------------------------------------


def test_tile_request_png(kernel, widget, data):
    _, pat, _ = data
    comm_id = comm_of(widget[1])["content"]["comm_id"]
    replies = kernel.request(comm_id, {"type": "tile", "id": 11, "layer": 1, "head": 2, "z": 0, "x": 0, "y": 0})
    assert len(replies) == 1
    content, bufs = replies[0]
    assert content["type"] == "tile" and content["id"] == 11
    assert (content["w"], content["h"]) == (20, 20)
    w, h, idx = png_indices(bufs[0])
    assert (w, h) == (20, 20)
    # value v in [0, 1] -> palette index round(v * 252); cells above the diagonal -> 253
    want = np.rint(np.clip(pat[1, 2], 0, 1).astype(np.float64) * 252).astype(np.uint8)
    want[np.triu(np.ones((20, 20), bool), 1)] = 253
    assert (idx == want).all()
    assert idx[17, 4] == 252


def test_tile_request_without_mask_and_range(kernel, widget, data):
    _, pat, _ = data
    comm_id = comm_of(widget[1])["content"]["comm_id"]
    (content, bufs), = kernel.request(
        comm_id, {"type": "tile", "id": "s", "layer": 0, "head": 0, "z": 0, "x": 0, "y": 0, "mask": False, "vmin": 0.5, "vmax": 1}
    )
    _, _, idx = png_indices(bufs[0])
    want = np.rint(np.clip((pat[0, 0].astype(np.float64) - 0.5) / 0.5, 0, 1) * 252).astype(np.uint8)
    assert (idx == want).all()


def test_slice_exact_values(kernel, widget, data):
    _, pat, _ = data
    comm_id = comm_of(widget[1])["content"]["comm_id"]
    (content, bufs), = kernel.request(
        comm_id, {"type": "slice", "id": 12, "layer": 1, "head": 2, "q0": 15, "k0": 2, "nq": 4, "nk": 5}
    )
    assert content["type"] == "slice" and content["id"] == 12 and content["dtype"] == "float32"
    got = np.frombuffer(bufs[0], "<f4").reshape(4, 5)
    assert np.array_equal(got, pat[1, 2, 15:19, 2:7])
    # head -1: the max over the layer's heads (the token view's "all heads")
    (content, bufs), = kernel.request(
        comm_id, {"type": "slice", "id": 13, "layer": 0, "head": -1, "q0": 19, "k0": 0, "nq": 1, "nk": 20}
    )
    assert np.array_equal(np.frombuffer(bufs[0], "<f4"), pat[0, :, 19, :].max(0))


def test_thumb_and_tokens(kernel, widget, data):
    _, _, toks = data
    comm_id = comm_of(widget[1])["content"]["comm_id"]
    (content, bufs), = kernel.request(comm_id, {"type": "thumb", "id": 14, "layer": 0, "head": 1})
    assert content["type"] == "thumb" and png_indices(bufs[0])[:2] == (20, 20)
    (content, bufs), = kernel.request(comm_id, {"type": "tokens", "id": 15})
    assert content["tokens"] == toks and bufs == []


def test_colorbar(kernel, widget):
    comm_id = comm_of(widget[1])["content"]["comm_id"]
    (content, bufs), = kernel.request(comm_id, {"type": "colorbar", "id": 16, "cmap": "magma"})
    assert content["type"] == "colorbar" and content["cmap"] == "magma"
    w, h, idx = png_indices(bufs[0])
    assert (w, h) == (253, 1) and idx[0].tolist() == list(range(253))
    (content, _), = kernel.request(comm_id, {"type": "colorbar", "id": 17, "cmap": 3})
    assert content["type"] == "error" and "cmap" in content["error"]


BAD = [
    ({"type": "tile", "layer": 0, "head": 3, "z": 0, "x": 0, "y": 0}, "head"),
    ({"type": "tile", "layer": 2, "head": 0, "z": 0, "x": 0, "y": 0}, "layer"),
    ({"type": "tile", "layer": 0, "head": 0, "z": 1, "x": 0, "y": 0}, "z"),
    ({"type": "tile", "layer": 0, "head": 0, "z": 0, "x": 1, "y": 0}, "out of range"),
    ({"type": "tile", "layer": 0, "head": 0, "z": 0, "x": "0", "y": 0}, "integer"),
    ({"type": "tile", "layer": 0, "head": 0, "z": 0, "x": 1e300, "y": 0}, "x"),
    ({"type": "tile", "layer": 0, "head": 0, "z": 0, "x": 2**63 - 1, "y": -(2**63)}, "x"),
    ({"type": "tile", "layer": 0, "head": 0, "z": 0, "x": 0.5, "y": 0}, "x"),
    ({"type": "tile", "layer": True, "head": 0, "z": 0, "x": 0, "y": 0}, "layer"),
    ({"type": "tile", "layer": 0, "head": 0, "z": 0, "y": 0}, "missing field 'x'"),
    ({"type": "tile", "layer": 0, "head": 0, "z": 0, "x": 0, "y": 0, "cmap": "nope"}, "colormap"),
    ({"type": "tile", "layer": 0, "head": 0, "z": 0, "x": 0, "y": 0, "vmin": 1, "vmax": 0}, "vmin"),
    ({"type": "tile", "layer": 0, "head": 0, "z": 0, "x": 0, "y": 0, "mask": 1}, "mask"),
    ({"type": "slice", "layer": 0, "head": -2, "q0": 0, "k0": 0, "nq": 1, "nk": 1}, "head"),
    ({"type": "slice", "layer": 0, "head": 0, "q0": 19, "k0": 0, "nq": 2, "nk": 1}, "nq"),
    ({"type": "slice", "layer": 0, "head": 0, "q0": 0, "k0": 0, "nq": 0, "nk": 1}, "nq"),
    ({"type": "slice", "layer": 0, "head": 0, "q0": 0, "k0": 0, "nq": 2**62, "nk": 2**62}, "nq"),
    ({"type": "thumb", "layer": 0, "head": 0, "size": 100000}, "size"),
    ({"type": "frobnicate"}, "unknown request type"),
    ({"layer": 0}, "type"),
    ({"type": ["tile"]}, "type"),
]


@pytest.mark.parametrize("req,why", BAD, ids=[f"{i}-{w}" for i, (_, w) in enumerate(BAD)])
def test_malformed_requests_get_errors(kernel, widget, req, why):
    comm_id = comm_of(widget[1])["content"]["comm_id"]
    replies = kernel.request(comm_id, {**req, "id": "bad"})
    assert len(replies) == 1, replies
    content, bufs = replies[0]
    assert content["type"] == "error" and content["id"] == "bad", content
    assert why in content["error"], content["error"]
    assert bufs == []


def test_non_object_request_and_odd_ids(kernel, widget):
    comm_id = comm_of(widget[1])["content"]["comm_id"]
    (content, _), = kernel.request(comm_id, [1, 2, 3])
    assert content["type"] == "error" and content["id"] is None
    (content, _), = kernel.request(comm_id, {"type": "tokens", "id": {"nested": 1}})
    assert content["type"] == "tokens" and content["id"] is None
    # a comm_msg without a method, and one with garbage, are ignored
    _, msgs = kernel.comm_msg(comm_id, {"nomethod": 1})
    assert [m for m in msgs if m["msg_type"] == "comm_msg"] == []
    _, msgs = kernel.comm_msg(comm_id, {"method": "custom"})
    assert kernel.alive()


def test_integer_beyond_int64_is_dropped(kernel, widget):
    # JSON integers beyond 64 bits do not parse: the message is dropped whole (logged by
    # the kernel, no reply), and the widget keeps answering.
    comm_id = comm_of(widget[1])["content"]["comm_id"]
    msg = kernel.kc.session.msg(
        "comm_msg", {"comm_id": comm_id, "data": {"method": "custom", "content": {"type": "slice", "id": 1, "layer": 0, "head": 0, "q0": 10**30, "k0": 0, "nq": 1, "nk": 1}}}
    )
    kernel.kc.session.send(kernel.kc.shell_channel.socket, msg)
    assert kernel.alive()
    (content, _), = kernel.request(comm_id, {"type": "tokens", "id": 2})
    assert content["id"] == 2


def test_request_flood_then_alive(kernel, widget):
    comm_id = comm_of(widget[1])["content"]["comm_id"]
    for i in range(200):
        msg = kernel.kc.session.msg(
            "comm_msg", {"comm_id": comm_id, "data": {"method": "custom", "content": {"type": "tile", "id": i, "layer": i % 3, "head": i % 4, "z": 0, "x": 0, "y": 0}}}
        )
        kernel.kc.session.send(kernel.kc.shell_channel.socket, msg)
    assert kernel.alive()


# --- state sync ---------------------------------------------------------------------------


def test_request_state_parent_and_full_state(kernel, widget):
    comm_id = comm_of(widget[1])["content"]["comm_id"]
    mid, msgs = kernel.comm_msg(comm_id, {"method": "request_state"})
    ups = [m for m in msgs if m["msg_type"] == "comm_msg"]
    assert len(ups) == 1
    m = ups[0]
    assert m["parent_header"]["msg_id"] == mid
    assert m["content"]["data"]["method"] == "update"
    st = m["content"]["data"]["state"]
    assert st["_model_module"] == "anywidget" and "_esm" in st and st["shape"] == [2, 3, 20, 20]


def test_update_is_echoed_and_kernel_keys_protected(kernel, widget):
    comm_id = comm_of(widget[1])["content"]["comm_id"]
    mid, msgs = kernel.comm_msg(
        comm_id, {"method": "update", "state": {"head": 2, "layer": 1, "_esm": "evil"}, "buffer_paths": []}
    )
    echoes = [m for m in msgs if m["msg_type"] == "comm_msg"]
    assert len(echoes) == 1
    e = echoes[0]["content"]["data"]
    assert e["method"] == "echo_update" and e["state"] == {"head": 2, "layer": 1}
    assert echoes[0]["parent_header"]["msg_id"] == mid
    _, msgs = kernel.comm_msg(comm_id, {"method": "request_state"})
    st = [m for m in msgs if m["msg_type"] == "comm_msg"][0]["content"]["data"]["state"]
    assert st["head"] == 2 and st["layer"] == 1 and st["_esm"] != "evil"
    kernel.comm_msg(comm_id, {"method": "update", "state": {"head": -1, "layer": 0}, "buffer_paths": []})


def test_control_comm_request_states(kernel, widget):
    comm_id = comm_of(widget[1])["content"]["comm_id"]
    ctl = "ctl-" + comm_id[:8]
    msg = kernel.kc.session.msg("comm_open", {"comm_id": ctl, "target_name": "jupyter.widget.control", "data": {}})
    msg["metadata"] = {"version": "1.0.0"}
    kernel.kc.session.send(kernel.kc.shell_channel.socket, msg)
    opened = kernel.collect(msg["header"]["msg_id"])
    assert not [m for m in opened if m["msg_type"] == "comm_close"]
    _, msgs = kernel.comm_msg(ctl, {"method": "request_states"})
    ups = [m for m in msgs if m["msg_type"] == "comm_msg"]
    assert len(ups) == 1
    d = ups[0]["content"]["data"]
    assert d["method"] == "update_states" and d["buffer_paths"] == []
    s = d["states"][comm_id]
    assert s["model_name"] == "AnyModel" and s["model_module"] == "anywidget"
    assert s["state"]["tensor"] == "pat"


def test_front_end_widget_open_is_refused(kernel):
    msg = kernel.kc.session.msg("comm_open", {"comm_id": "fe-1", "target_name": "jupyter.widget", "data": {"state": {}}})
    kernel.kc.session.send(kernel.kc.shell_channel.socket, msg)
    msgs = kernel.collect(msg["header"]["msg_id"])
    assert [m["content"]["comm_id"] for m in msgs if m["msg_type"] == "comm_close"] == ["fe-1"]


# --- the magic -------------------------------------------------------------------------------


def test_static_mode(kernel, widget):
    content, msgs = kernel.execute("%attention pat --static --layer 1")
    assert content["status"] == "ok"
    assert not [m for m in msgs if m["msg_type"] == "comm_open"]
    disp = [m for m in msgs if m["msg_type"] == "display_data"][0]["content"]["data"]
    assert "image/png" in disp and "application/vnd.jupyter.widget-view+json" not in disp


@pytest.mark.parametrize(
    "code,ename,text",
    [
        ("%load b = {d}/batch.npy\n%attention b", "ShapeError", "%attention b[0]"),
        ("%load ints = {d}/ints.npy\n%attention ints", "TypeError", "floating point"),
        ("%load short = {d}/short.json\n%attention pat --tokens short", "ShapeError", "2 tokens"),
        ("%attention pat[0, 0, 0]", "ShapeError", "[q, k]"),
        ("%attention pat --layer 5", "IndexError", "2 layers"),
        ("%attention pat --cmap nosuch", "ValueError", "colormap"),
        ("%attention pat --vmin 1 --vmax 0", "ValueError", "below"),
        ("%attention nosuch", "NameError", "nosuch"),
    ],
)
def test_magic_errors(kernel, widget, data, code, ename, text):
    d, _, _ = data
    content, msgs = kernel.execute(code.format(d=d))
    assert content["status"] == "error", content
    assert content["ename"] == ename, content
    assert text in content["evalue"], content["evalue"]
    assert not [m for m in msgs if m["msg_type"] == "comm_open"]


def test_f64_slices_and_stale_tensor(kernel, data):
    d, _, _ = data
    content, msgs = kernel.execute(f"%load big = {d}/big.npy\n%attention big --no-mask")
    assert content["status"] == "ok"
    m = comm_of(msgs)
    comm_id = m["content"]["comm_id"]
    assert m["content"]["data"]["state"]["levels"] == 3
    assert m["content"]["data"]["state"]["mask"] is False
    (c, bufs), = kernel.request(comm_id, {"type": "slice", "id": 1, "layer": 0, "head": 0, "q0": 0, "k0": 0, "nq": 2, "nk": 2})
    assert c["dtype"] == "float64" and np.frombuffer(bufs[0], "<f8").tolist() == [0, 0, 0, 0]
    (c, bufs), = kernel.request(comm_id, {"type": "tile", "id": 2, "layer": 0, "head": 0, "z": 2, "x": 0, "y": 0})
    assert (c["w"], c["h"]) == (175, 175)
    # the user frees the tensor: requests now fail politely
    assert kernel.execute("%free big")[0]["status"] == "ok"
    (c, _), = kernel.request(comm_id, {"type": "tile", "id": 3, "layer": 0, "head": 0, "z": 0, "x": 0, "y": 0})
    assert c["type"] == "error" and c["id"] == 3 and "big" in c["error"]
    assert kernel.alive()


def test_front_end_close_drops_widget(kernel, data):
    content, msgs = kernel.execute("%attention pat[0]")
    comm_id = comm_of(msgs)["content"]["comm_id"]
    msg = kernel.kc.session.msg("comm_close", {"comm_id": comm_id, "data": {}})
    kernel.kc.session.send(kernel.kc.shell_channel.socket, msg)
    kernel.collect(msg["header"]["msg_id"])
    kernel.kc.comm_info(target_name="jupyter.widget")
    reply = kernel.kc.get_shell_msg(timeout=TIMEOUT)
    assert comm_id not in reply["content"]["comms"]
    assert kernel.request(comm_id, {"type": "tokens", "id": 1}) == []
    assert kernel.alive()


def test_rebinding_a_name_never_serves_old_tiles(kernel, tmp_path):
    # The tile cache is keyed by more than the name: reloading a changed file under the
    # same name shows the new values (whether or not the new mapping reuses the address).
    path = tmp_path / "re.npy"
    np.save(path, np.zeros((8, 8), np.float32))
    content, msgs = kernel.execute(f"%load re = {path}\n%attention re --no-mask")
    comm_id = comm_of(msgs)["content"]["comm_id"]
    req = {"type": "tile", "id": 1, "layer": 0, "head": 0, "z": 0, "x": 0, "y": 0}
    (_, bufs), = kernel.request(comm_id, req)
    assert (png_indices(bufs[0])[2] == 0).all()
    np.save(path, np.ones((8, 8), np.float32))
    assert kernel.execute(f"%load re = {path}")[0]["status"] == "ok"
    (_, bufs), = kernel.request(comm_id, req)
    assert (png_indices(bufs[0])[2] == 252).all()
