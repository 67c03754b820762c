#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""plots_ref.py -- the gallery figures drawn by matplotlib, for comparison with mechviz.

Draws the same figures as bench/plot_figures.c from the same demo data (examples/data),
at the same logical size and 2x resolution (dpi 200 for a size in 1/100 inches), with
matplotlib's Agg backend, and times each one the way a notebook user waits for it:
building the figure, drawing it and encoding the PNG into memory. Prints "NAME MS"
(median over REPEAT runs) and, with OUTDIR, writes each PNG there for a side-by-side
look.

Usage: /usr/bin/python3 bench/plots_ref.py DATADIR [OUTDIR] [REPEAT]
"""
import io
import json
import os
import statistics
import struct
import sys
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

DTYPES = {"F32": "<f4", "F16": "<f2", "F64": "<f8", "I64": "<i8", "I32": "<i4"}


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        hdr = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in hdr.items():
        if k == "__metadata__" or v["dtype"] not in DTYPES:
            continue
        a, b = v["data_offsets"]
        out[k] = np.frombuffer(data[a:b], dtype=DTYPES[v["dtype"]]).reshape(v["shape"])
    return out


def vis(tok):
    return (tok.replace("Ġ", "␣").replace("▁", "␣").replace(" ", "␣")
            .replace("\n", "↵").replace("Ċ", "↵").replace("\t", "→"))


def fig(w, h):
    return plt.figure(figsize=(w / 100, h / 100), dpi=100)


def save(f):
    buf = io.BytesIO()
    f.savefig(buf, format="png", dpi=200)
    plt.close(f)
    return buf.getvalue()


def heatmap(d):
    x = d["run"]["blocks.3.hook_resid_post"][0, :24, :40]
    m = np.abs(x).max()
    f = fig(820, 426)
    ax = f.add_subplot()
    im = ax.imshow(x, cmap="RdBu_r", vmin=-m, vmax=m)
    ax.set_xticks(range(40))
    ax.set_yticks(range(24))
    f.colorbar(im, ax=ax)
    ax.set_title("Residual stream (layer 3, first 24 tokens)")
    return save(f)


def attention(d):
    p = d["run"]["blocks.2.attn.hook_pattern"][0, 0]
    t = [vis(s) for s in d["tokens"]]
    f = fig(820, 710)
    ax = f.add_subplot()
    im = ax.imshow(p, cmap="Blues")
    ax.set_xticks(range(len(t)), t, rotation=90, fontsize=5)
    ax.set_yticks(range(len(t)), t, fontsize=5)
    ax.set_xlabel("key")
    ax.set_ylabel("query")
    f.colorbar(im, ax=ax)
    ax.set_title("L2H0 (induction head)")
    return save(f)


def heads(d):
    p = d["run"]["blocks.2.attn.hook_pattern"][0]
    f = fig(530, 530)
    axs = f.subplots(3, 3)
    vmax = p.max()
    for i, ax in enumerate(axs.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if i < p.shape[0]:
            im = ax.imshow(p[i], cmap="Blues", vmin=0, vmax=vmax)
            ax.set_title(f"L2H{i}", fontsize=9)
        else:
            ax.axis("off")
    f.colorbar(im, ax=axs)
    f.suptitle("blocks.2.attn.hook_pattern[0]")
    return save(f)


def patching(d):
    x = d["fig"]["patching"][:, :32]
    t = [vis(s) for s in d["tokens"][:32]]
    m = np.abs(x).max()
    f = fig(820, 270)
    ax = f.add_subplot()
    im = ax.imshow(x, cmap="RdBu_r", vmin=-m, vmax=m, aspect="auto")
    ax.set_xticks(range(32), t, rotation=90)
    ax.set_yticks(range(x.shape[0]), [f"L{i}" for i in range(x.shape[0])])
    f.colorbar(im, ax=ax, label="logit diff recovered")
    ax.set_title("Activation patching")
    return save(f)


def dla(d):
    items = sorted(d["dla"].items(), key=lambda kv: -abs(kv[1]))[:15]
    names, vals = [k for k, _ in items], np.array([v for _, v in items])
    f = fig(620, 480)
    ax = f.add_subplot()
    ax.barh(range(len(vals)), vals, color=["#d6604d" if v >= 0 else "#4393c3" for v in vals])
    ax.set_yticks(range(len(vals)), names)
    ax.invert_yaxis()
    ax.axvline(0, color="k", lw=0.8)
    for i, v in enumerate(vals):
        ax.text(v, i, f" {v:.3g} ", va="center", ha="left" if v >= 0 else "right")
    ax.set_title("Direct logit attribution")
    ax.set_xlabel("contribution to logit")
    return save(f)


def hist(d):
    a = d["acts"][:, 3]
    nz = a[a != 0]
    f = fig(600, 340)
    ax = f.add_subplot()
    ax.hist(nz, bins=30, label=f"zero: {100 * (a == 0).mean():.1f}% of {a.size}")
    ax.legend()
    ax.set_title("acts feature 3: non-zero activations")
    ax.set_xlabel("activation")
    ax.set_ylabel("count")
    return save(f)


def dashboard(d):
    a = d["acts"][:, 3]
    nz = a[a != 0]
    logits = d["fig"]["W_dec"][3] @ d["fig"]["W_U"]
    order = np.argsort(-logits)
    voc = d["vocab"]
    f = fig(1100, 340)
    a1, a2, a3 = f.subplots(1, 3)
    a1.hist(nz, bins=40)
    a1.set_title("Feature 3: activations")
    for ax, idx, c, t in ((a2, order[::-1][:8], "#4393c3", "Bottom logits"),
                          (a3, order[:8], "#d6604d", "Top logits")):
        ax.barh(range(8), logits[idx], color=c)
        ax.set_yticks(range(8), [vis(voc[i]) for i in idx])
        ax.invert_yaxis()
        ax.set_title(t)
    f.tight_layout()
    return save(f)


def curves(d):
    log = d["log"]
    f = fig(900, 620)
    axs = f.subplots(2, 2)
    for ax, k, t in zip(axs.flat, ["losses/mse_loss", "metrics/l0", "sparsity/dead_features",
                                   "metrics/explained_variance"],
                        ["Reconstruction loss", "L0 (active features)", "Dead features",
                         "Explained variance"]):
        ax.plot([r["step"] for r in log], [r[k] for r in log])
        ax.set_title(t)
        ax.set_xlabel("step")
        ax.set_ylabel(k)
        ax.grid(alpha=0.3)
    f.tight_layout()
    return save(f)


def pareto(d):
    s = d["sweep"]
    x = [r["l0"] for r in s]
    y = [r["mse_loss"] for r in s]
    c = np.log10([r["l1_coefficient"] for r in s])
    f = fig(620, 440)
    ax = f.add_subplot()
    sc = ax.scatter(x, y, c=c, cmap="viridis")
    for r, xi, yi in zip(s, x, y):
        ax.annotate(r["name"], (xi, yi), xytext=(4, 4), textcoords="offset points", fontsize=8)
    f.colorbar(sc, ax=ax, label="log10 L1")
    ax.set_xlabel("l0")
    ax.set_ylabel("mse_loss")
    ax.set_title("Sparsity vs reconstruction")
    return save(f)


def topk(d):
    lg = d["fig"]["lens_logits"][:, 12, :]
    p = np.exp(lg - lg.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    idx = np.argsort(-p, axis=-1)[:, :5]
    top = np.take_along_axis(p, idx, -1)
    f = fig(580, 256)
    ax = f.add_subplot()
    im = ax.imshow(top, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    for i in range(top.shape[0]):
        for j in range(5):
            ax.text(j, i, f"{vis(d['vocab'][idx[i, j]])}\n{top[i, j]:.2f}", ha="center",
                    va="center", fontsize=7)
    ax.set_yticks(range(top.shape[0]), [f"L{i}" for i in range(top.shape[0])])
    ax.set_xticks(range(5), [str(i + 1) for i in range(5)])
    f.colorbar(im, ax=ax, label="probability")
    ax.set_title("Top-5 predictions per layer at position 12")
    return save(f)


FIGURES = [("heatmap", heatmap), ("attention", attention), ("heads", heads),
           ("patching", patching), ("dla", dla), ("hist", hist), ("dashboard", dashboard),
           ("curves", curves), ("pareto", pareto), ("topk", topk)]


def main():
    data = sys.argv[1]
    outdir = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] != "-" else None
    repeat = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    d = {"run": load_safetensors(os.path.join(data, "run.safetensors")),
         "fig": dict(np.load(os.path.join(data, "figures.npz"))),
         "acts": np.load(os.path.join(data, "sae_acts.npz"))["acts"]}
    with open(os.path.join(data, "tokens.json"), encoding="utf-8") as f:
        d["tokens"] = json.load(f)
    with open(os.path.join(data, "vocab.json"), encoding="utf-8") as f:
        d["vocab"] = json.load(f)
    with open(os.path.join(data, "log.jsonl")) as f:
        d["log"] = [json.loads(line) for line in f if line.strip()]
    with open(os.path.join(data, "sweep.json")) as f:
        d["sweep"] = json.load(f)
    with open(os.path.join(data, "dla.json")) as f:
        d["dla"] = json.load(f)
    for name, fn in FIGURES:
        fn(d)  # warm-up: font cache, first-use imports
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            png = fn(d)
            times.append((time.perf_counter() - t0) * 1000)
        print(f"{name} {statistics.median(times):.2f}")
        if outdir:
            with open(os.path.join(outdir, name + ".png"), "wb") as f:
                f.write(png)


if __name__ == "__main__":
    main()
