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

cells = []
for l, h, q, k in [(0, 0, 7, 3), (0, 2, 7, 3), (1, 1, 9, 4), (1, 3, 11, 0), (0, 0, 5, 5)]:
    cells.append({"layer": l, "head": h, "q": q, "k": k, "value": float(pat[l, h, q, k])})
rowmax = {f"{l}:{q}": [float(v) for v in pat[l, :, q, :].max(0)] for l in range(L) for q in range(S)}
colmax = {f"{l}:{k}": [float(v) for v in pat[l, :, :, k].max(0)] for l in range(L) for k in range(S)}
(out / "expected.json").write_text(
    json.dumps({"shape": [L, H, S, S], "tokens": toks, "cells": cells, "rowmax": rowmax, "colmax": colmax})
)
print(f"test data in {out}")
