# SPDX-License-Identifier: MIT
# make_logo.py -- draws the kernelspec logos (logo-32x32.png, logo-64x64.png).
#
# The picture is a tiny causal attention pattern (lower-triangular, viridis), the thing
# mechviz shows most. Run with Debian's python3 (matplotlib): the PNGs are committed, so
# this runs only when the logo changes:  /usr/bin/python3 tools/make_logo.py kernelspec
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def pattern(n):
    """A deterministic causal attention pattern: each query attends mostly to itself,
    to the first token and to the previous token, normalised per row."""
    a = np.zeros((n, n))
    for q in range(n):
        for k in range(q + 1):
            a[q, k] = 0.15 + (1.0 if k == q else 0) + (0.6 if k == 0 else 0) + (
                0.4 if k == q - 1 else 0)
        a[q, : q + 1] /= a[q, : q + 1].sum()
    return np.ma.masked_where(np.triu(np.ones((n, n)), 1) > 0, a)


def draw(path, size):
    fig = plt.figure(figsize=(1, 1), dpi=size)
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set_axis_off()
    cmap = matplotlib.colormaps["viridis"].copy()
    cmap.set_bad(alpha=0.0)
    ax.imshow(pattern(8), cmap=cmap, interpolation="nearest", vmin=0, vmax=0.8)
    fig.savefig(path, dpi=size, transparent=True)
    plt.close(fig)


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "kernelspec"
    draw(f"{out}/logo-32x32.png", 32)
    draw(f"{out}/logo-64x64.png", 64)
