#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""make_analysis_data.py -- demo data for %pca, %lens and %explore (notebook 03).

Writes into OUTDIR (default examples/data), deterministic (fixed seed):

  pca_resid.npy       float32 [6000, 96]: residual-like rows from 6 "topics", each a
                      cluster along its own few directions, plus a shared offset
  pca_topics.json     6000 strings: the topic of each row (categorical labels)
  pca_tokens.json     6000 strings: a token per row (hover text; rows are 30 prompts of
                      200 tokens, so contexts make sense)
  lens.safetensors    resid [6, 12, 64] (accumulated residual stack: embed .. final),
                      W_U [64, 400], ln_w [64], ln_b [64]; the next token's direction
                      grows with depth, so P(next token) rises layer by layer
  lens_tokens.json    12 prompt tokens;  lens_vocab.json  400 vocabulary strings
  lens_layers.json    6 layer labels (0_pre .. final_post, as accumulated_resid names them)
  sae/sae_weights.safetensors  SAELens layout: W_enc [64, 256], W_dec [256, 64], b_enc,
                      b_dec, threshold (JumpReLU)
  sae_resid.npy       float32 [20, 128, 64]: activations of 20 sequences of 128 tokens
  sae_tokens.json     2560 strings: their tokens; feature f fires on word f % 40's tokens

Usage: /usr/bin/python3 tools/make_analysis_data.py [OUTDIR]
"""
import json
import os
import struct
import sys

import numpy as np

SEED = 20261204
WORDS = ("the cat sat on a mat while John gave Mary milk at the old store near river "
         "bank of green hills under blue sky and quiet town where people talk about "
         "garden trees birds songs every warm day").split()


def write_safetensors(path, tensors):
    """Minimal safetensors writer: 8-byte header length, JSON header, raw bytes."""
    header, blobs, off = {}, [], 0
    for name, a in tensors.items():
        a = np.ascontiguousarray(a)
        dt = {np.dtype(np.float32): "F32", np.dtype(np.float16): "F16"}[a.dtype]
        b = a.tobytes()
        header[name] = {"dtype": dt, "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def dump(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False)


def make_pca(rng, out):
    n_topics, n, d = 6, 6000, 96
    names = ["animals", "food", "places", "people", "weather", "numbers"]
    centres = rng.normal(0, 3.0, size=(n_topics, d))
    spread = [rng.normal(0, 1, size=(3, d)) / np.sqrt(d) * 6 for _ in range(n_topics)]
    topic = np.repeat(np.arange(n_topics), n // n_topics)
    rng.shuffle(topic)
    x = np.empty((n, d), dtype=np.float32)
    for i in range(n):
        t = topic[i]
        x[i] = centres[t] + rng.normal(size=3) @ spread[t] + rng.normal(0, 0.4, size=d) + 2.0
    np.save(os.path.join(out, "pca_resid.npy"), x)
    dump(os.path.join(out, "pca_topics.json"), [names[t] for t in topic])
    toks = [(" " if i % 200 else "") + WORDS[(i * 7 + i // 200) % len(WORDS)] for i in range(n)]
    dump(os.path.join(out, "pca_tokens.json"), toks)


def make_lens(rng, out):
    layers, d, vocab = 6, 64, 400
    vocab_strs = [" " + w for w in WORDS] + [f" tok{i}" for i in range(vocab - len(WORDS))]
    prompt = [w.strip() for w in " the cat sat on a mat while John gave Mary milk at".split(" ")][1:]
    prompt = [(" " + w) for w in prompt]
    ids = [vocab_strs.index(t) for t in prompt]
    seq = len(ids)
    wu = rng.normal(0, 1, size=(d, vocab)).astype(np.float32) / np.sqrt(d) * 4
    resid = np.empty((layers, seq, d), dtype=np.float32)
    base = rng.normal(0, 1, size=(seq, d))
    for p in range(seq):
        nxt = ids[p + 1] if p + 1 < seq else ids[0]
        direction = wu[:, nxt] / np.linalg.norm(wu[:, nxt])
        for layer in range(layers):
            strength = 2.5 * layer
            resid[layer, p] = base[p] + strength * direction + rng.normal(0, 0.3, size=d)
    ln_w = (1 + 0.1 * rng.normal(size=d)).astype(np.float32)
    ln_b = (0.02 * rng.normal(size=d)).astype(np.float32)
    write_safetensors(os.path.join(out, "lens.safetensors"),
                      {"resid": resid, "W_U": wu, "ln_w": ln_w, "ln_b": ln_b})
    dump(os.path.join(out, "lens_tokens.json"), prompt)
    dump(os.path.join(out, "lens_vocab.json"), vocab_strs)
    dump(os.path.join(out, "lens_layers.json"),
         [f"{i}_pre" for i in range(layers - 1)] + ["final_post"])


def make_sae(rng, out):
    d_in, d_sae, batch, seq = 64, 256, 20, 128
    emb = rng.normal(0, 1, size=(len(WORDS), d_in))
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    w_enc = (rng.normal(0, 1, size=(d_in, d_sae)) * 0.05).astype(np.float32)
    for f in range(d_sae):  # feature f reads word f % len(WORDS)
        w_enc[:, f] += emb[f % len(WORDS)] * (1.0 + 0.5 * (f // len(WORDS)))
    b_enc = np.full(d_sae, -0.3, dtype=np.float32)
    b_dec = (0.1 * rng.normal(size=d_in)).astype(np.float32)
    thr = np.full(d_sae, 0.2, dtype=np.float32)
    w_dec = np.ascontiguousarray(w_enc.T / np.maximum(1e-6, (w_enc ** 2).sum(0))[:, None])
    word = rng.integers(0, len(WORDS), size=(batch, seq))
    acts = emb[word] * rng.uniform(0.5, 2.0, size=(batch, seq, 1)) + \
        rng.normal(0, 0.15, size=(batch, seq, d_in)) + b_dec
    os.makedirs(os.path.join(out, "sae"), exist_ok=True)
    write_safetensors(os.path.join(out, "sae", "sae_weights.safetensors"),
                      {"W_enc": w_enc, "W_dec": w_dec.astype(np.float32), "b_enc": b_enc,
                       "b_dec": b_dec, "threshold": thr})
    dump(os.path.join(out, "sae", "cfg.json"),
         {"architecture": "jumprelu", "d_in": d_in, "d_sae": d_sae,
          "hook_name": "blocks.2.hook_resid_post", "apply_b_dec_to_input": True})
    np.save(os.path.join(out, "sae_resid.npy"), acts.astype(np.float32))
    dump(os.path.join(out, "sae_tokens.json"), [" " + WORDS[w] for w in word.reshape(-1)])


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "examples", "data")
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(SEED)
    make_pca(rng, out)
    make_lens(rng, out)
    make_sae(rng, out)
    print(f"analysis demo data written to {out}")


if __name__ == "__main__":
    main()
