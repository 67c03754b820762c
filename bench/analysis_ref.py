#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# analysis_ref.py -- the Python side of bench/analysis.sh: makes the PCA input and runs
# the baselines (numpy eigh, scikit-learn full and randomized), one process per run so
# each peak-memory figure is its own.
#
#   analysis_ref.py gen PATH N D        write a float32 [N, D] .npy with cluster structure
#   analysis_ref.py run METHOD PATH K   METHOD: eigh | sklearn-full | sklearn-randomized
#   analysis_ref.py blas                which BLAS numpy runs on (from /proc/self/maps)
import resource
import sys
import time

import numpy as np


def gen(path, n, d):
    rng = np.random.default_rng(7)
    k = 24
    basis = rng.standard_normal((k, d), dtype=np.float32) / np.sqrt(d)
    scales = np.geomspace(12.0, 0.5, k).astype(np.float32)
    x = np.empty((n, d), dtype=np.float32)
    step = 50000
    centres = rng.standard_normal((8, k), dtype=np.float32) * 2
    for r0 in range(0, n, step):
        m = min(step, n - r0)
        z = rng.standard_normal((m, k), dtype=np.float32) + centres[rng.integers(0, 8, m)]
        x[r0:r0 + m] = (z * scales) @ basis
        x[r0:r0 + m] += rng.standard_normal((m, d), dtype=np.float32) * 0.3
        x[r0:r0 + m] += 1.5  # a common offset, as residual streams have
    np.save(path, x)


def run(method, path, k):
    x = np.load(path)
    t0 = time.perf_counter()
    if method == "eigh":
        xc = x - x.mean(axis=0)
        cov = (xc.T @ xc) / (x.shape[0] - 1)
        w, v = np.linalg.eigh(cov)
        ev = w[::-1][:k]
        evr = ev / np.trace(cov)
        _coords = xc @ np.ascontiguousarray(v[:, ::-1][:, :k])
    else:
        from sklearn.decomposition import PCA
        solver = "full" if method == "sklearn-full" else "randomized"
        p = PCA(n_components=k, svd_solver=solver, random_state=0)
        _coords = p.fit_transform(x)
        evr = p.explained_variance_ratio_
    dt = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print("seconds: %.3f" % dt)
    print("peak_rss_mib: %.0f" % peak)
    print("evr: " + " ".join("%.7f" % v for v in evr))


def blas():
    a = np.ones((256, 256), dtype=np.float32)
    a @ a
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            if "blas" in line or "lapack" in line:
                libs.add(line.split()[-1])
    print("numpy_blas: " + (" ".join(sorted(libs)) or "unknown"))


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif sys.argv[1] == "run":
        run(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        blas()
