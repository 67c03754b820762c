#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""make_figure_data.py -- the extra demo data of the static-figure notebook.

make_demo_data.py writes the shared run (tokens, attention, residuals, SAE activations, a
training log, a sweep, an attribution table) and then calls this script with the same
OUTDIR. Here come the inputs only the figures need: activation-patching results over
[layers, positions], per-layer logits at every position for %topk, and a tiny SAE decoder
and unembedding with a vocabulary (some non-Latin tokens and an emoji) for %dashboard.
Deterministic (fixed seed); writes figures.npz and vocab.json into OUTDIR only.

Usage: /usr/bin/python3 tools/make_figure_data.py [OUTDIR]   (default examples/data)
"""
import json
import os
import sys

import numpy as np

SEED = 4
N_LAYERS = 4
D_MODEL = 64
D_SAE = 32

VOCAB = (["<|endoftext|>", "Ġthe", "Ġa", "ĠMary", "ĠJohn", "Ġstore", "Ġmilk", "Ġbottle",
          "Ġgave", "Ġwent", "Ġto", "Ġand", ",", ".", "Ċ", "Ġweather", "Ġwarm", "Ġshop",
          "Ġquiet", "Ġgarden", "Ġtalked", "Ġwhile", "Ġabout", "ĠThe", "When", "Ġwas",
          "Ġso", "Ġthey", "Ġfor", "Ġof", "Ġ東京", "Ġ猫", "Ġмолоко", "Ġحليب", "Ġदूध", "🙂",
          "Ġ🚀", "ĉ", "Ġ<b>", "Ġ&amp;"] + ["Ġtok%d" % i for i in range(24)])


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples", "data")
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(SEED)
    with open(os.path.join(out, "tokens.json"), encoding="utf-8") as f:
        seq = len(json.load(f))
    nv = len(VOCAB)

    # Patching: the signal moves from the subject position to the final position.
    patch = 0.03 * rng.normal(size=(N_LAYERS, seq))
    subj, last = 3, seq - 1
    for layer in range(N_LAYERS):
        patch[layer, subj] += 0.9 * (N_LAYERS - 1 - layer) / (N_LAYERS - 1)
        patch[layer, last] += 0.9 * layer / (N_LAYERS - 1)
        patch[layer, subj + 2] -= 0.25
    # Logit lens: later layers grow confident about the token at each position.
    target = rng.integers(1, 30, size=seq)
    logits = rng.normal(0.0, 1.0, size=(N_LAYERS, seq, nv))
    for layer in range(N_LAYERS):
        logits[layer, np.arange(seq), target] += 1.5 * layer
    # SAE decoder and unembedding.
    w_dec = rng.normal(0.0, 1.0, size=(D_SAE, D_MODEL)) / np.sqrt(D_MODEL)
    w_u = rng.normal(0.0, 1.0, size=(D_MODEL, nv)) / np.sqrt(D_MODEL)
    np.savez(os.path.join(out, "figures.npz"), patching=patch.astype(np.float32),
             lens_logits=logits.astype(np.float32), W_dec=w_dec.astype(np.float32),
             W_U=w_u.astype(np.float32))
    with open(os.path.join(out, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(VOCAB, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
