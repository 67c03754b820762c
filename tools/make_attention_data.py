#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""make_attention_data.py OUTDIR -- attention tensors for the attention examples.

Run by tools/make_demo_data.py after it has written OUTDIR/run.safetensors; writes
  attention.npy        [layers, heads, seq, seq] float32: the demo run's per-layer
                       blocks.N.attn.hook_pattern[0] stacked, so the view has a layer axis
  long_attention.npy   [2, 4, 2048, 2048] float16: a long synthetic sequence (a random
                       token stream repeated twice) with previous-token, induction,
                       BOS-sink and local heads, the sizes where JSON-embedding views hang
  long_tokens.json     its 2048 tokens
Deterministic (fixed seed). Reads safetensors by hand (the package is not in Debian).
"""
import json
import os
import struct
import sys

import numpy as np

SEED = 4096
LONG = 2048


def read_safetensors(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        base = 8 + n
        out = {}
        for name, info in header.items():
            if name == "__metadata__" or info["dtype"] != "F32":
                continue
            a, b = info["data_offsets"]
            f.seek(base + a)
            out[name] = np.frombuffer(f.read(b - a), "<f4").reshape(info["shape"])
        return out


def causal_softmax(logits):
    seq = logits.shape[-1]
    mask = np.triu(np.ones((seq, seq), bool), 1)
    logits = np.where(mask, -np.inf, logits)
    logits = logits - logits.max(-1, keepdims=True)
    e = np.exp(logits)
    return e / e.sum(-1, keepdims=True)


def long_patterns(rng):
    half = LONG // 2
    vocab = [f"Ġw{i}" for i in range(300)] + [",", ".", "Ġthe", "Ġof", "\n"]
    body = [vocab[i] for i in rng.integers(0, len(vocab), size=half - 1)]
    tokens = ["<|endoftext|>"] + body + body + ["."]
    tokens = tokens[:LONG]
    q = np.arange(LONG)[:, None]
    k = np.arange(LONG)[None, :]
    period = half - 1
    plan = [["prev", "bos", "local", "prev"], ["induction", "bos", "local", "induction"]]
    layers = []
    for kinds in plan:
        heads = []
        for kind in kinds:
            logits = rng.normal(0.0, 0.5, size=(LONG, LONG)).astype(np.float32)
            if kind == "prev":
                logits += 9.0 * (k == q - 1)
            elif kind == "induction":
                logits += 11.0 * ((k == q - period + 1) & (q >= period))
                logits += 4.0 * (k == 0)
            elif kind == "bos":
                logits += 8.0 * (k == 0)
            elif kind == "local":
                logits -= 0.3 * np.abs(q - k).astype(np.float32)
            heads.append(causal_softmax(logits).astype(np.float16))
        layers.append(np.stack(heads))
    return np.stack(layers), tokens


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join("examples", "data")
    run = read_safetensors(os.path.join(outdir, "run.safetensors"))
    pats = sorted(
        (int(k.split(".")[1]), v[0]) for k, v in run.items() if k.endswith("attn.hook_pattern")
    )
    stack = np.stack([p for _, p in pats]).astype(np.float32)
    np.save(os.path.join(outdir, "attention.npy"), stack)
    rng = np.random.default_rng(SEED)
    long, tokens = long_patterns(rng)
    np.save(os.path.join(outdir, "long_attention.npy"), long)
    with open(os.path.join(outdir, "long_tokens.json"), "w", encoding="utf-8") as f:
        json.dump(tokens, f, ensure_ascii=False)
    print(f"attention data: attention.npy {list(stack.shape)}, long_attention.npy {list(long.shape)}")


if __name__ == "__main__":
    main()
