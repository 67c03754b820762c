# SPDX-License-Identifier: MIT
"""make_data.py OUTDIR -- the tensors the browser tests display, with known values.

pat.npy    [2, 4, 12, 12] float32 causal attention: row q of head (l, h) is a softmax of
           fixed scores, so every weight is a distinct, known float32
toks.json  12 tokens, including HTML, a newline, a space and a GPT-2 'Ġ' token
big.npy    [2, 1000, 1000] float32, one sharp weight per row (a previous-token head and a
           diagonal head), for zoom and tiles
expected.json  the exact weights the tests look for
"""
import json
import sys
from pathlib import Path

import numpy as np

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(7)
L, H, S = 2, 4, 12
scores = rng.normal(size=(L, H, S, S)).astype(np.float64)
mask = np.triu(np.ones((S, S), bool), 1)
scores[:, :, mask] = -np.inf
e = np.exp(scores - scores.max(-1, keepdims=True))
pat = (e / e.sum(-1, keepdims=True)).astype(np.float32)
np.save(out / "pat.npy", pat)
toks = ["<|endoftext|>", "The", " cat", "<b>x</b>", "\n", " sat", "Ġon", " ", "the", " mat", " &amp;", "."]
(out / "toks.json").write_text(json.dumps(toks))

n = 1000
big = np.zeros((2, n, n), np.float32)
big[0, np.arange(n), np.arange(n)] = 1.0
big[1, np.arange(1, n), np.arange(n - 1)] = 0.75
big[1, 0, 0] = 1.0
np.save(out / "big.npy", big)

# a readable demo for the README screenshot: a sentence seen twice, with a
# previous-token head and an induction head
words = "ĠWhen ĠMary Ġand ĠJohn Ġwent Ġto Ġthe Ġstore , ĠJohn Ġgave Ġa Ġdrink Ġto ĠMary .".split(" ")
demo_toks = ["<|endoftext|>"] + words + words
S2, period = len(demo_toks), len(words)
qq, kk = np.arange(S2)[:, None], np.arange(S2)[None, :]
demo = np.zeros((2, 4, S2, S2))
for l in range(2):
    for h in range(4):
        logits = rng.normal(0, 0.6, size=(S2, S2))
        kind = [["prev", "bos", "local", "prev"], ["bos", "induction", "local", "bos"]][l][h]
        if kind == "prev":
            logits += 6.0 * (kk == qq - 1)
        elif kind == "bos":
            logits += 5.0 * (kk == 0)
        elif kind == "local":
            logits -= 0.5 * np.abs(qq - kk)
        else:
            logits += 7.0 * ((kk == qq - period + 1) & (qq >= period)) + 2.5 * (kk == 0)
        logits[np.triu(np.ones((S2, S2), bool), 1)] = -np.inf
        e = np.exp(logits - logits.max(-1, keepdims=True))
        demo[l, h] = e / e.sum(-1, keepdims=True)
np.save(out / "demo.npy", demo.astype(np.float32))
(out / "demo_toks.json").write_text(json.dumps(demo_toks))

# a long sequence: [2, 4096, 4096] float16, a previous-token head and a BOS head, with
# exactly representable weights at known cells
N = 4096
long = np.zeros((2, N, N), np.float16)
long[0, np.arange(1, N), np.arange(N - 1)] = 0.75
long[0, 0, 0] = 1.0
long[1, :, 0] = 0.5
long[1, np.arange(N), np.arange(N)] = 0.25
long[1, 3000, 1234] = 0.125
np.save(out / "long.npy", long)
(out / "long_toks.json").write_text(json.dumps([f"w{i}" for i in range(N)]))

cells = []
for l, h, q, k in [(0, 0, 7, 3), (0, 2, 7, 3), (1, 1, 9, 4), (1, 3, 11, 0), (0, 0, 5, 5)]:
    cells.append({"layer": l, "head": h, "q": q, "k": k, "value": float(pat[l, h, q, k])})
rowmax = {f"{l}:{q}": [float(v) for v in pat[l, :, q, :].max(0)] for l in range(L) for q in range(S)}
colmax = {f"{l}:{k}": [float(v) for v in pat[l, :, :, k].max(0)] for l in range(L) for k in range(S)}
(out / "expected.json").write_text(
    json.dumps({"shape": [L, H, S, S], "tokens": toks, "cells": cells, "rowmax": rowmax, "colmax": colmax})
)
print(f"test data in {out}")
