#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# make_pca_fixtures.py -- reference results for tests/unit/test_linalg.c, test_lens.c and
# test_sae.c, computed with numpy and scikit-learn (Debian python3-sklearn).
# Run with /usr/bin/python3 from the repository root; writes tests/data/analysis/*.npy.
# The inputs are generated from a fixed seed, so rerunning gives the same files.
import os

import numpy as np
from sklearn.decomposition import PCA

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "analysis")
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(20261204)


def save(name, a):
    np.save(os.path.join(OUT, name + ".npy"), np.ascontiguousarray(a))


def pca_case(name, x, k):
    """Saves x and sklearn's full-solver PCA of it (computed in float64)."""
    save(name + "_x", x)
    p = PCA(n_components=k, svd_solver="full").fit(x.astype(np.float64))
    save(name + "_components", p.components_.astype(np.float64))
    save(name + "_ev", p.explained_variance_.astype(np.float64))
    save(name + "_evr", p.explained_variance_ratio_.astype(np.float64))
    save(name + "_mean", p.mean_.astype(np.float64))
    save(name + "_coords", p.transform(x.astype(np.float64)))


# 1. clusters in 20 dimensions with an anisotropic spread
centres = rng.normal(0, 4, size=(5, 20))
labels = rng.integers(0, 5, size=600)
scales = np.linspace(3.0, 0.2, 20)
x1 = centres[labels] + rng.normal(size=(600, 20)) * scales
pca_case("clusters", x1.astype(np.float32), 5)

# 2. a large common offset (|mean| >> std): tests the shifted accumulation
x2 = 50.0 + rng.normal(size=(400, 48)) * np.linspace(2.0, 0.5, 48)
pca_case("offset", x2.astype(np.float32), 6)

# 3. float16 input: the reference is computed on the rounded values
x3 = (rng.normal(size=(300, 16)) * np.linspace(4, 1, 16)).astype(np.float16)
pca_case("half", x3, 4)

# --- logit lens: resid [layers, seq, d], W_U [d, vocab], ln weight/bias ---------------
L, S, D, V = 4, 7, 24, 50
resid = rng.normal(size=(L, S, D)).astype(np.float32) * 2 + 0.3
wu = rng.normal(size=(D, V)).astype(np.float32) / np.sqrt(D) * 3
lnw = (1 + 0.2 * rng.normal(size=D)).astype(np.float32)
lnb = (0.1 * rng.normal(size=D)).astype(np.float32)
save("lens_resid", resid)
save("lens_wu", wu)
save("lens_lnw", lnw)
save("lens_lnb", lnb)
r64 = resid.astype(np.float64)
mu = r64.mean(-1, keepdims=True)
var = ((r64 - mu) ** 2).mean(-1, keepdims=True)
normed = (r64 - mu) / np.sqrt(var + 1e-5)
logits = (normed * lnw + lnb) @ wu.astype(np.float64)
logits -= logits.max(-1, keepdims=True)
probs = np.exp(logits)
probs /= probs.sum(-1, keepdims=True)
save("lens_probs", probs)  # [L, S, V] float64, with ln weight and bias
logits_plain = normed @ wu.astype(np.float64)  # no weight/bias (folded LN)
pp = np.exp(logits_plain - logits_plain.max(-1, keepdims=True))
save("lens_probs_plain", pp / pp.sum(-1, keepdims=True))
save("lens_logits", (normed * lnw + lnb).astype(np.float32) @ wu)  # precomputed logits

# --- SAE: W_enc [d_in, d_sae], b_enc, b_dec, threshold -------------------------------
DI, DS, N = 32, 40, 500
wenc = (rng.normal(size=(DI, DS)) / np.sqrt(DI)).astype(np.float32)
benc = (0.3 * rng.normal(size=DS) - 0.2).astype(np.float32)
bdec = (0.5 * rng.normal(size=DI)).astype(np.float32)
thr = np.abs(0.3 * rng.normal(size=DS)).astype(np.float32)
acts = rng.normal(size=(N, DI)).astype(np.float32)
save("sae_wenc", wenc)
save("sae_benc", benc)
save("sae_bdec", bdec)
save("sae_thr", thr)
save("sae_x", acts)
pre = (acts.astype(np.float64) - bdec) @ wenc.astype(np.float64) + benc
save("sae_relu", np.maximum(pre, 0))
save("sae_jump", np.where(pre > thr, np.maximum(pre, 0), 0.0))
print("wrote", OUT)
