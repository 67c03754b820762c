#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""make_demo_data.py -- write the synthetic demo data the example notebooks load.

The project ships no model weights and downloads nothing, so the notebooks run on a small
made-up "GPT-2-like" run: a repeated sentence (so induction heads make sense), attention
patterns with previous-token, induction and BOS-sink heads, residual streams, an SAE
training log, a sweep and a direct-logit-attribution table. Everything is deterministic
(fixed seed), so the executed notebooks are reproducible. The safetensors writer is
written out by hand (8-byte little-endian header length, JSON header, raw bytes), since
the safetensors package is not in Debian.

Usage: /usr/bin/python3 tools/make_demo_data.py [OUTDIR]   (default examples/data)

Afterwards it runs every other generator that exists (tools/make_attention_data.py,
tools/make_analysis_data.py, tools/make_figure_data.py) as `python3 GENERATOR OUTDIR`,
so one command makes all demo data. It never writes outside OUTDIR.
"""
import json
import os
import struct
import subprocess
import sys

import numpy as np

SEED = 20240601
N_LAYERS = 4
N_HEADS = 8
D_MODEL = 64
OTHER_GENERATORS = ("make_attention_data.py", "make_analysis_data.py", "make_figure_data.py")

SENTENCE = (" When Mary and John went to the store, John gave a bottle of milk to Mary."
            " The weather was warm and the shop was quiet, so they talked for a while"
            " about the garden.")


def tokenize(text):
    """Split into GPT-2-style pieces: a leading space is shown as 'Ġ'."""
    out, word = [], ""
    for ch in text:
        if ch == " " or (not ch.isalnum() and ch != "'"):
            if word:
                out.append(word)
            word = "Ġ" if ch == " " else ""
            if ch != " ":
                out.append(ch)
        else:
            word += ch
    if word:
        out.append(word)
    return out


def bf16_bytes(a):
    """float32 array -> bfloat16 bytes (round to nearest even), little-endian."""
    u = np.ascontiguousarray(a, dtype="<f4").view("<u4").astype(np.uint64)
    u = (u + 0x7FFF + ((u >> 16) & 1)) >> 16
    return u.astype("<u2").tobytes()


def write_safetensors(path, tensors, metadata=None):
    """tensors: list of (name, dtype_str, shape, raw_bytes). Writes atomically."""
    header, blobs, off = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, dt, shape, raw in tensors:
        header[name] = {"dtype": dt, "shape": list(shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def f32(name, a):
    a = np.ascontiguousarray(a, dtype="<f4")
    return (name, "F32", a.shape, a.tobytes())


def softmax_causal(logits):
    q = logits.shape[-1]
    mask = np.triu(np.ones((q, q), dtype=bool), 1)
    logits = np.where(mask, -np.inf, logits)
    logits = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(logits)
    return e / e.sum(axis=-1, keepdims=True)


def head_patterns(rng, seq, period, kinds):
    """[heads, q, k] causal softmax patterns, one kind per head."""
    q = np.arange(seq)[:, None]
    k = np.arange(seq)[None, :]
    out = []
    for kind in kinds:
        logits = rng.normal(0.0, 0.5, size=(seq, seq))
        if kind == "prev":
            logits += 8.0 * (k == q - 1)
        elif kind == "induction":
            # Attend to the token after the previous occurrence of the current token.
            target = q - period + 1
            logits += 9.0 * ((k == target) & (q >= period))
            logits += 3.0 * (k == 0)
        elif kind == "bos":
            logits += 7.0 * (k == 0)
        elif kind == "local":
            logits -= 0.6 * np.abs(q - k)
        elif kind == "self":
            logits += 5.0 * (k == q)
        out.append(softmax_causal(logits))
    return np.stack(out).astype(np.float32)


def make(outdir):
    rng = np.random.default_rng(SEED)
    os.makedirs(outdir, exist_ok=True)
    body = tokenize(SENTENCE)
    tokens = ["<|endoftext|>"] + body + body
    seq, period = len(tokens), len(body)
    assert 64 <= seq <= 128, seq
    with open(os.path.join(outdir, "tokens.json"), "w", encoding="utf-8") as f:
        json.dump(tokens, f, ensure_ascii=False)

    # Attention: layer 0 previous-token and local heads, later layers induction heads.
    plan = [
        ["prev", "bos", "local", "self", "bos", "local", "prev", "bos"],
        ["bos", "prev", "local", "bos", "self", "bos", "local", "prev"],
        ["induction", "bos", "local", "induction", "bos", "prev", "bos", "local"],
        ["bos", "induction", "bos", "local", "induction", "bos", "self", "bos"],
    ]
    tensors = []
    resid = rng.normal(0.0, 1.0, size=(seq, D_MODEL)).astype(np.float32)
    embed = resid.copy()
    pos = (0.1 * np.sin(np.arange(seq)[:, None] / (1.0 + np.arange(D_MODEL)[None, :]))
           ).astype(np.float32)
    for layer in range(N_LAYERS):
        pat = head_patterns(rng, seq, period, plan[layer])
        tensors.append(f32(f"blocks.{layer}.attn.hook_pattern", pat[None]))
        resid = resid + rng.normal(0.0, 0.5, size=resid.shape).astype(np.float32)
        tensors.append(f32(f"blocks.{layer}.hook_resid_post", resid[None]))
    tensors.append(("hook_embed", "BF16", (1, seq, D_MODEL), bf16_bytes(embed[None])))
    tensors.append(("hook_pos_embed", "F16", (1, seq, D_MODEL),
                    np.ascontiguousarray(pos[None], dtype="<f2").tobytes()))
    write_safetensors(os.path.join(outdir, "run.safetensors"), tensors,
                      {"model": "synthetic-gpt2-like", "seed": str(SEED)})

    # numpy formats: one .npy and one (deflated) .npz.
    np.save(os.path.join(outdir, "resid.npy"), resid)
    acts = np.maximum(0.0, rng.normal(-1.0, 1.0, size=(seq, 32))).astype(np.float32)
    np.savez_compressed(os.path.join(outdir, "sae_acts.npz"), acts=acts,
                        positions=np.arange(seq, dtype=np.int64))

    # SAE training log, SAELens metric names, one JSON object per line.
    with open(os.path.join(outdir, "log.jsonl"), "w") as f:
        for i in range(60):
            step = i * 500
            t = step / 30000.0
            rec = {
                "step": step,
                "losses/mse_loss": round(float(0.9 * np.exp(-4 * t) + 0.05 + rng.normal(0, 0.005)), 6),
                "metrics/l0": round(float(200 * np.exp(-3 * t) + 25 + rng.normal(0, 1.5)), 4),
                "sparsity/dead_features": int(max(0, 300 * t * t - 10 + rng.normal(0, 3))),
                "metrics/explained_variance": round(float(1 - 0.9 * np.exp(-4 * t) - 0.04), 6),
            }
            f.write(json.dumps(rec) + "\n")

    # Sweep: L0 against reconstruction loss for several L1 coefficients.
    sweep = []
    for l1 in [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2]:
        l0 = 400.0 * (1e-4 / l1) ** 0.55 + 5.0
        loss = 0.02 + 0.5 / (1.0 + 0.05 * l0)
        sweep.append({"name": f"l1={l1:g}", "l1_coefficient": l1, "l0": round(l0, 3),
                      "mse_loss": round(loss, 5)})
    with open(os.path.join(outdir, "sweep.json"), "w") as f:
        json.dump(sweep, f, indent=1)

    # Direct logit attribution per component.
    dla = {"embed": 0.42}
    for layer in range(N_LAYERS):
        for h in range(N_HEADS):
            dla[f"L{layer}H{h}"] = round(float(rng.normal(0.0, 0.3)), 4)
        dla[f"L{layer}MLP"] = round(float(rng.normal(0.0, 0.6)), 4)
    dla["L3H1"] = 2.15   # the induction head does the work
    dla["L2H0"] = -1.30
    with open(os.path.join(outdir, "dla.json"), "w") as f:
        json.dump(dla, f, indent=1)
    return seq


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join("examples", "data")
    seq = make(outdir)
    print(f"demo data: {outdir} ({seq} tokens, {N_LAYERS} layers x {N_HEADS} heads)")
    here = os.path.dirname(os.path.abspath(__file__))
    for g in OTHER_GENERATORS:
        path = os.path.join(here, g)
        if os.path.exists(path):
            print(f"demo data: running tools/{g}")
            subprocess.run([sys.executable, path, outdir], check=True)


if __name__ == "__main__":
    main()
