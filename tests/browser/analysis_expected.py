#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# analysis_expected.py DIR -- writes the analysis demo data into DIR (through
# tools/make_analysis_data.py), a [10^6, 8] input for the big-scatter test, and
# DIR/expected.json: numpy's lens top-k for a few cells and SAE top examples for a few
# features, which tests/browser/run_analysis.mjs compares with what the views show.
import json
import os
import struct
import subprocess
import sys

import numpy as np

out = sys.argv[1]
root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
subprocess.run([sys.executable, os.path.join(root, "tools", "make_analysis_data.py"), out],
               check=True, stdout=subprocess.DEVNULL)


def safetensors(path):
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    h = json.loads(raw[8:8 + n])
    return {k: np.frombuffer(raw[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]],
                             dtype=np.float32).reshape(v["shape"])
            for k, v in h.items() if k != "__metadata__"}


lens = safetensors(os.path.join(out, "lens.safetensors"))
vocab = json.load(open(os.path.join(out, "lens_vocab.json")))
cells = {}
for layer, pos in ((3, 4), (5, 1), (0, 7)):
    x = lens["resid"][layer, pos].astype(np.float64)
    x = (x - x.mean()) / np.sqrt(((x - x.mean()) ** 2).mean() + 1e-5)
    lg = (x * lens["ln_w"] + lens["ln_b"]) @ lens["W_U"].astype(np.float64)
    p = np.exp(lg - lg.max())
    p /= p.sum()
    top = np.argsort(-p)[:10]
    cells[f"{layer},{pos}"] = {"tokens": [vocab[i] for i in top], "probs": [float(p[i]) for i in top]}

sae = safetensors(os.path.join(out, "sae", "sae_weights.safetensors"))
acts = np.load(os.path.join(out, "sae_resid.npy")).reshape(-1, 64).astype(np.float64)
feats = {}
for f in (7, 130):
    pre = (acts - sae["b_dec"]) @ sae["W_enc"][:, f].astype(np.float64) + sae["b_enc"][f]
    a = np.where(pre > sae["threshold"][f], np.maximum(pre, 0), 0)
    feats[str(f)] = [int(i) for i in np.argsort(-a, kind="stable")[:20]]

rng = np.random.default_rng(3)
big = rng.standard_normal((1000000, 8), dtype=np.float32) * np.linspace(3, 0.5, 8, dtype=np.float32)
np.save(os.path.join(out, "big_points.npy"), big)
json.dump({"lens": cells, "features": feats}, open(os.path.join(out, "expected.json"), "w"))
