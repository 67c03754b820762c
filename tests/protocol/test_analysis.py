# SPDX-License-Identifier: MIT
"""test_analysis.py -- %pca, %lens and %explore through a real jupyter_client.

Runs the kernel binary named by $MECHVIZ_KERNEL (default build/mechviz-kernel) from a
private kernelspec, loads the demo data of tools/make_analysis_data.py (written into a
temporary directory), and checks against numpy: the stored PCA results, the widgets'
comm_open / display bundles, their custom-message replies (float32 buffers for points,
top-k of a lens cell, top examples of an SAE feature), the box selection stored as an
index tensor, interrupting a PCA mid-run (store intact, kernel alive), and errors.

Run: /usr/bin/python3 -m pytest tests/protocol/test_analysis.py
(MECHVIZ_GRACEFUL=1 ends the kernel with a shutdown_request instead of a kill, so a
valgrind or ASan wrapper named by MECHVIZ_KERNEL gets to report leaks at exit.)
"""
import json
import os
import queue
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np
import pytest
from jupyter_client import KernelManager

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KERNEL = os.environ.get("MECHVIZ_KERNEL", os.path.join(ROOT, "build", "mechviz-kernel"))
TIMEOUT = 60


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (hlen,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + hlen])
    out = {}
    dt = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        out[name] = np.frombuffer(raw[8 + hlen + a:8 + hlen + b], dtype=dt[e["dtype"]]).reshape(e["shape"])
    return out


class Kernel:
    """A started kernel and helpers to run cells and talk to widgets."""

    def __init__(self, tmp):
        spec = os.path.join(tmp, "jupyter", "kernels", "mechviz-test")
        os.makedirs(spec)
        with open(os.path.join(spec, "kernel.json"), "w") as f:
            json.dump({"argv": [KERNEL, "-f", "{connection_file}"], "display_name": "mechviz",
                       "language": "mechviz", "interrupt_mode": "signal"}, f)
        old = os.environ.get("JUPYTER_PATH")
        os.environ["JUPYTER_PATH"] = os.path.join(tmp, "jupyter")
        try:  # the other test modules keep their JUPYTER_PATH
            self.km = KernelManager(kernel_name="mechviz-test")
            self.km.start_kernel()
        finally:
            if old is None:
                del os.environ["JUPYTER_PATH"]
            else:
                os.environ["JUPYTER_PATH"] = old
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=TIMEOUT)

    def stop(self):
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=os.environ.get("MECHVIZ_GRACEFUL") is None)

    def execute(self, code, on_msg=None):
        """Runs code; returns (reply content, list of iopub messages of this request)."""
        mid = self.kc.execute(code, stop_on_error=False)  # each test cell stands alone
        msgs = []
        while True:
            m = self.kc.get_iopub_msg(timeout=TIMEOUT)
            if m["parent_header"].get("msg_id") != mid:
                continue
            msgs.append(m)
            if on_msg:
                on_msg(m)
            if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
                break
        reply = self.kc.get_shell_msg(timeout=TIMEOUT)
        while reply["parent_header"].get("msg_id") != mid:
            reply = self.kc.get_shell_msg(timeout=TIMEOUT)
        return reply["content"], msgs

    def ok(self, code):
        reply, msgs = self.execute(code)
        errs = [m["content"] for m in msgs if m["msg_type"] == "error"]
        assert reply["status"] == "ok", (code, reply, errs)
        return msgs

    def error(self, code):
        reply, msgs = self.execute(code)
        assert reply["status"] == "error", (code, msgs)
        return reply

    def custom(self, comm_id, content):
        """Sends a custom widget message; returns (reply content, buffers)."""
        msg = self.kc.session.msg("comm_msg", {"comm_id": comm_id,
                                               "data": {"method": "custom", "content": content}})
        self.kc.shell_channel.send(msg)
        deadline = time.time() + TIMEOUT
        while time.time() < deadline:
            try:
                m = self.kc.get_iopub_msg(timeout=1)
            except queue.Empty:
                continue
            if m["msg_type"] != "comm_msg" or m["content"]["comm_id"] != comm_id:
                continue
            data = m["content"]["data"]
            if data.get("method") == "custom" and data["content"].get("id") == content.get("id"):
                return data["content"], m.get("buffers", [])
        raise AssertionError(f"no reply to {content}")

    def save(self, tmp, *names):
        path = os.path.join(tmp, "saved_%d.safetensors" % int(time.time() * 1e6))
        self.ok("%save " + path + " " + " ".join(names))
        return read_safetensors(path)


def widget_of(msgs):
    """(comm_id, state) of the widget opened in msgs, checking the display bundle."""
    opens = [m for m in msgs if m["msg_type"] == "comm_open"]
    assert len(opens) == 1, [m["msg_type"] for m in msgs]
    c = opens[0]["content"]
    assert c["target_name"] == "jupyter.widget"
    assert opens[0]["metadata"]["version"].startswith("2.")
    state = c["data"]["state"]
    assert state["_model_name"] == "AnyModel" and state["_model_module"] == "anywidget"
    assert "export default" in state["_esm"]
    disp = [m for m in msgs if m["msg_type"] == "display_data"
            and "application/vnd.jupyter.widget-view+json" in m["content"]["data"]]
    assert len(disp) == 1
    data = disp[0]["content"]["data"]
    assert data["application/vnd.jupyter.widget-view+json"]["model_id"] == c["comm_id"]
    assert data["image/png"]  # the static fallback picture
    return c["comm_id"], state


@pytest.fixture(scope="module")
def env():
    tmp = tempfile.mkdtemp(prefix="mechviz-analysis-")
    data = os.path.join(tmp, "data")
    subprocess.run([sys.executable, os.path.join(ROOT, "tools", "make_analysis_data.py"), data],
                   check=True, stdout=subprocess.DEVNULL)
    k = Kernel(tmp)
    k.ok(f"%load X = {data}/pca_resid.npy\n%load topics = {data}/pca_topics.json\n"
         f"%load toks = {data}/pca_tokens.json\n%load lens = {data}/lens.safetensors\n"
         f"%load ltoks = {data}/lens_tokens.json\n%load vocab = {data}/lens_vocab.json\n"
         f"%load sae = {data}/sae/sae_weights.safetensors\n%load acts = {data}/sae_resid.npy\n"
         f"%load stoks = {data}/sae_tokens.json")
    yield k, tmp, data
    k.stop()


def numpy_pca(x, k):
    x = x.astype(np.float64)
    xc = x - x.mean(0)
    cov = xc.T @ xc / (len(x) - 1)
    w, v = np.linalg.eigh(cov)
    w, v = w[::-1][:k], v[:, ::-1][:, :k]
    return w, w / np.trace(cov), v.T, xc @ v


def test_pca_results_stored_and_static_picture(env):
    k, tmp, data = env
    msgs = k.ok("%pca X --k 5 --static --name p5")
    text = "".join(m["content"]["text"] for m in msgs if m["msg_type"] == "stream")
    assert "5 components" in text and "p5.coords" in text
    pngs = [m for m in msgs if m["msg_type"] == "display_data" and "image/png" in m["content"]["data"]]
    assert len(pngs) == 1
    assert not [m for m in msgs if m["msg_type"] == "comm_open"]
    got = k.save(tmp, "p5.explained_variance_ratio", "p5.components", "p5.coords",
                 "p5.explained_variance")
    x = np.load(f"{data}/pca_resid.npy")
    ev, evr, comp, coords = numpy_pca(x, 5)
    np.testing.assert_allclose(got["p5.explained_variance_ratio"], evr, atol=1e-5)
    np.testing.assert_allclose(got["p5.explained_variance"], ev, rtol=1e-4)
    for i in range(5):  # sign-invariant
        s = np.sign(got["p5.components"][i] @ comp[i])
        assert abs(got["p5.components"][i] @ comp[i]) > 1 - 1e-4
        np.testing.assert_allclose(got["p5.coords"][:, i] * s, coords[:, i], atol=2e-3)
        # the sign convention: the largest |loading| is positive
        c = got["p5.components"][i]
        assert c[np.argmax(np.abs(c))] > 0


def test_pca_widget_points_hover_select(env):
    k, tmp, data = env
    msgs = k.ok("%pca X --labels topics --hover toks")
    cid, state = widget_of(msgs)
    assert state["n"] == 6000 and state["k"] == 10 and len(state["evr"]) == 10
    assert state["label_kind"] == "category"
    x = np.load(f"{data}/pca_resid.npy")
    got = k.save(tmp, "pca.coords")["pca.coords"]
    # points: two float32 buffers, the chosen PCs
    r, bufs = k.custom(cid, {"type": "points", "id": 1, "pcx": 2, "pcy": 0})
    assert r["type"] == "points" and r["n"] == 6000 and len(bufs) == 2
    xs = np.frombuffer(bufs[0], dtype=np.float32)
    ys = np.frombuffer(bufs[1], dtype=np.float32)
    np.testing.assert_array_equal(xs, got[:, 2])
    np.testing.assert_array_equal(ys, got[:, 0])
    # labels: one byte per point, names in frequency order
    r, bufs = k.custom(cid, {"type": "labels", "id": 2})
    topics = json.load(open(f"{data}/pca_topics.json"))
    cats = np.frombuffer(bufs[0], dtype=np.uint8)
    assert [r["names"][c] for c in cats[:50]] == topics[:50]
    # hover: the token in context, the activating token in brackets, and its label
    toks = json.load(open(f"{data}/pca_tokens.json"))
    r, _ = k.custom(cid, {"type": "hover", "id": 3, "index": 1234})
    assert "[" + toks[1234] + "]" in r["text"]
    assert "".join(toks[1230:1234]) + "[" in r["text"]
    assert r["label"] == topics[1234]
    # box selection -> stored index tensor with exactly the points inside
    x0, x1, y0, y1 = -1.0, 4.0, -2.0, 3.0
    r, _ = k.custom(cid, {"type": "select", "id": 4, "pcx": 0, "pcy": 1,
                          "x0": x1, "x1": x0, "y0": y0, "y1": y1})  # reversed x is fine
    inside = np.nonzero((got[:, 0] >= x0) & (got[:, 0] <= x1) &
                        (got[:, 1] >= y0) & (got[:, 1] <= y1))[0]
    assert r["type"] == "selected" and r["count"] == len(inside) > 0
    assert r["name"] == "pca.selection"
    sel = k.save(tmp, "pca.selection")["pca.selection"]
    np.testing.assert_array_equal(sel, inside)
    # hostile requests: errors, the kernel carries on
    for bad in ({"type": "points", "id": 5, "pcx": 99, "pcy": 0},
                {"type": "hover", "id": 6, "index": -1},
                {"type": "select", "id": 7, "pcx": 0, "pcy": 1, "x0": "a"},
                {"type": "nope", "id": 8}):
        r, _ = k.custom(cid, bad)
        assert r["type"] == "error", r
    k.ok("pca.selection")


def even_odd(x, y, poly):
    """numpy version of the kernel's lasso rule (even-odd, float64)."""
    x = x.astype(np.float64)
    y = y.astype(np.float64)
    inside = np.zeros(len(x), dtype=bool)
    n = len(poly)
    for i in range(n):
        xi, yi = poly[i]
        xj, yj = poly[i - 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            cross = ((yi > y) != (yj > y)) & (x < (xj - xi) * (y - yi) / (yj - yi) + xi)
        inside ^= cross
    return inside


def test_pca_lasso_selection(env):
    k, tmp, data = env
    msgs = k.ok("%pca X --k 3 --name lz")
    cid = [m for m in msgs if m["msg_type"] == "comm_open"][0]["content"]["comm_id"]
    c = k.save(tmp, "lz.coords")["lz.coords"]
    poly = [(-25.0, -10.0), (0.0, 35.0), (10.0, -3.0), (0.0, 0.0)]  # concave
    r, _ = k.custom(cid, {"type": "select", "id": 1, "pcx": 0, "pcy": 1,
                          "polygon": [v for p in poly for v in p]})
    want = np.nonzero(even_odd(c[:, 0], c[:, 1], poly))[0]
    assert r["type"] == "selected" and r["count"] == len(want) > 0
    np.testing.assert_array_equal(k.save(tmp, "lz.selection")["lz.selection"], want)
    for bad in ([0, 0, 1, 1], [0, 0, 1, 1, 2], [0, 0, 1, "x", 2, 2], "no", [0] * 10000):
        r, _ = k.custom(cid, {"type": "select", "id": 2, "pcx": 0, "pcy": 1, "polygon": bad})
        assert r["type"] == "error" and "polygon" in r["error"], r


def test_pca_colour_by_value(env):
    k, tmp, data = env
    msgs = k.ok("%pca X --k 3 --name pv\n%pca X --k 3 --name pv2 --labels pv.coords[:,2]")
    opens = [m for m in msgs if m["msg_type"] == "comm_open"]
    cid = opens[-1]["content"]["comm_id"]
    assert opens[-1]["content"]["data"]["state"]["label_kind"] == "value"
    r, bufs = k.custom(cid, {"type": "labels", "id": 1})
    vals = np.frombuffer(bufs[0], dtype=np.float32)
    col = k.save(tmp, "pv.coords")["pv.coords"][:, 2]
    np.testing.assert_array_equal(vals, col)
    assert r["kind"] == "value" and abs(r["vmin"] - col.min()) < 1e-6 and abs(r["vmax"] - col.max()) < 1e-6
    r, _ = k.custom(cid, {"type": "hover", "id": 2, "index": 10})
    assert abs(float(r["label"]) - col[10]) < 1e-3 * max(1, abs(col[10]))


def test_pca_interrupt_leaves_store_intact(env):
    k, tmp, data = env
    big = os.path.join(tmp, "big.npy")
    rng = np.random.default_rng(1)
    np.save(big, rng.standard_normal((200000, 512), dtype=np.float32))
    k.ok(f"%load B = {big}")
    before = k.save(tmp, "pca.coords")["pca.coords"]
    interrupted = []

    def on_msg(m):  # interrupt as soon as the progress bar appears
        if (m["msg_type"] in ("display_data", "update_display_data") and not interrupted
                and "PCA:" in m["content"]["data"].get("text/plain", "")):
            interrupted.append(1)
            k.km.interrupt_kernel()

    reply, msgs = k.execute("%pca B --k 10 --static", on_msg)
    assert interrupted, "no progress bar was shown"
    assert reply["status"] == "error" and reply["ename"] == "KeyboardInterrupt"
    # the previous results are untouched, nothing new was stored, the kernel works
    after = k.save(tmp, "pca.coords")["pca.coords"]
    np.testing.assert_array_equal(before, after)
    r = k.error("B.coords")
    assert r["ename"] == "NameError"
    k.ok("%free B")


def lens_probs(data, layer, pos):
    st = read_safetensors(f"{data}/lens.safetensors")
    x = st["resid"][layer, pos].astype(np.float64)
    x = (x - x.mean()) / np.sqrt(((x - x.mean()) ** 2).mean() + 1e-5)
    logits = (x * st["ln_w"] + st["ln_b"]) @ st["W_U"].astype(np.float64)
    p = np.exp(logits - logits.max())
    return p / p.sum()


def test_lens_widget_topk(env):
    k, tmp, data = env
    msgs = k.ok("%lens lens.resid --unembed lens.W_U --ln-w lens.ln_w --ln-b lens.ln_b "
                "--tokens ltoks --vocab vocab --k 5")
    cid, state = widget_of(msgs)
    assert state["layers"] == 6 and state["seq"] == 12 and state["metric"] == "next"
    vocab = json.load(open(f"{data}/lens_vocab.json"))
    ltoks = json.load(open(f"{data}/lens_tokens.json"))
    r, bufs = k.custom(cid, {"type": "grid", "id": 1})
    prob = np.frombuffer(bufs[0], dtype=np.float32).reshape(6, 12)
    for layer, pos in ((0, 0), (3, 4), (5, 10)):
        p = lens_probs(data, layer, pos)
        assert abs(prob[layer, pos] - p[vocab.index(ltoks[pos + 1])]) < 1e-5
        r, _ = k.custom(cid, {"type": "topk", "id": 10 + layer, "layer": layer, "pos": pos})
        order = np.argsort(-p)[:5]
        assert r["ids"] == [int(i) for i in order]
        assert r["tokens"] == [vocab[i] for i in order]
        np.testing.assert_allclose(r["probs"], p[order], atol=1e-5)
    r, _ = k.custom(cid, {"type": "topk", "id": 99, "layer": 6, "pos": 0})
    assert r["type"] == "error"


def test_lens_static_and_errors(env):
    k, tmp, data = env
    msgs = k.ok("%lens lens.resid --unembed lens.W_U --tokens ltoks --vocab vocab "
                "--target \" mat\" --static --name l2")
    assert any("image/png" in m["content"]["data"] for m in msgs if m["msg_type"] == "display_data")
    got = k.save(tmp, "l2.prob")["l2.prob"]
    assert got.shape == (6, 12)
    r = k.error("%lens lens.resid --unembed lens.ln_w")
    assert r["ename"] == "ShapeError"
    r = k.error("%lens lens.resid --unembed lens.W_U --vocab vocab --target \" nosuchword\"")
    assert r["ename"] == "ValueError" and "not in the vocabulary" in r["evalue"]


def test_explore_widget_top_examples(env):
    k, tmp, data = env
    msgs = k.ok("%explore --sae sae --acts acts --tokens stoks --k 8")
    cid, state = widget_of(msgs)
    assert state["d_sae"] == 256
    st = read_safetensors(f"{data}/sae/sae_weights.safetensors")
    acts = np.load(f"{data}/sae_resid.npy").reshape(-1, 64).astype(np.float64)
    stoks = json.load(open(f"{data}/sae_tokens.json"))
    for f in (3, 77):
        pre = (acts - st["b_dec"]) @ st["W_enc"][:, f].astype(np.float64) + st["b_enc"][f]
        a = np.where(pre > st["threshold"][f], np.maximum(pre, 0), 0)
        r, _ = k.custom(cid, {"type": "feature", "id": f, "feature": f})
        assert r["type"] == "feature" and r["n"] == len(a)
        assert r["nonzero"] == int((a > 0).sum())
        top = np.argsort(-a, kind="stable")[:8]
        assert [e["index"] for e in r["examples"]] == [int(i) for i in top]
        for e in r["examples"]:
            assert abs(e["act"] - a[e["index"]]) < 1e-4
            assert e["tokens"][e["at"]] == stoks[e["index"]]
        assert sum(r["counts"]) == r["nonzero"]
    r, _ = k.custom(cid, {"type": "feature", "id": 1000, "feature": 256})
    assert r["type"] == "error"


def test_explore_static_and_errors(env):
    k, tmp, data = env
    msgs = k.ok("%explore --sae sae --acts acts --tokens stoks --feature 5 --static")
    d = [m["content"]["data"] for m in msgs if m["msg_type"] == "display_data"]
    assert d and "image/png" in d[0] and "feature 5" in d[0]["text/html"]
    assert k.error("%explore --sae nosae --acts acts --tokens stoks")["ename"] == "NameError"
    assert k.error("%explore --sae sae --acts acts --tokens ltoks")["ename"] == "ShapeError"
    assert k.error("%explore --sae sae --acts acts --tokens stoks --feature 999")["ename"] == "IndexError"


def test_pca_errors(env):
    k, tmp, data = env
    assert k.error("%pca nothere")["ename"] == "NameError"
    assert k.error("%pca ltoks")["ename"] == "TypeError"
    assert k.error("%pca lens.ln_w")["ename"] == "ShapeError"
    assert k.error("%pca X --k 0")["ename"] == "ValueError"
    assert k.error("%pca X --labels ltoks")["ename"] == "ShapeError"
    assert k.error("%pca X --method svd")["ename"] == "ValueError"
    k.ok("%pca X --k 2 --static --name again")
