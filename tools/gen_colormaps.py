#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# gen_colormaps.py -- write src/colormap_data.h and tests/data/colormaps_expected.txt from
# Debian's matplotlib.
#
# The kernel draws with the exact colormap tables of matplotlib so that figures match what
# researchers see in Python. This script is the only place the numbers come from: run it
# with /usr/bin/python3 (python3-matplotlib) and commit both outputs. The header holds each
# table as doubles (repr-exact, 17 significant digits) and as the bytes matplotlib itself
# uses when it draws (`cmap(i, bytes=True)`, i.e. truncation of value*255). The expected
# file holds the same numbers written with Python's repr, one line per entry, for the
# colormap unit test.
import os
import sys

import matplotlib
import numpy as np
from matplotlib import colormaps

# 256-entry maps, in the order they are listed by %help; tab10 is categorical (10 colours).
NAMES = ["viridis", "plasma", "magma", "inferno", "cividis", "Blues", "Reds", "Greys",
         "Greens", "Oranges", "Purples", "RdBu_r", "RdBu", "coolwarm", "bwr", "PiYG"]
CATEGORICAL = ["tab10"]


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    hdr = os.path.join(root, "src", "colormap_data.h")
    exp = os.path.join(root, "tests", "data", "colormaps_expected.txt")
    h = []
    h.append("/* SPDX-License-Identifier: MIT */")
    h.append("/* colormap_data.h -- matplotlib's colormap tables (generated, do not edit).")
    h.append(" *")
    h.append(" * Written by tools/gen_colormaps.py from matplotlib %s. Each map has its RGB"
             % matplotlib.__version__)
    h.append(" * entries as doubles (exact) and as the bytes matplotlib draws with. Included")
    h.append(" * only by colormap.c. */")
    h.append("#ifndef MECHVIZ_COLORMAP_DATA_H")
    h.append("#define MECHVIZ_COLORMAP_DATA_H")
    h.append("")
    h.append("#define COLORMAP_MATPLOTLIB_VERSION \"%s\"" % matplotlib.__version__)
    h.append("")
    h.append("/* clang-format off */")
    e = ["# matplotlib %s: name index r g b (repr of float64), then bytes r g b"
         % matplotlib.__version__]
    rows = []
    for name in NAMES + CATEGORICAL:
        cm = colormaps[name]
        n = cm.N
        idx = np.arange(n)
        f = cm(idx)
        b = cm(idx, bytes=True)
        cid = name.replace("_r", "_rev")
        h.append("static const double cm_%s_f[%d][3] = {" % (cid, n))
        for i in range(n):
            h.append("    {%s, %s, %s}," % tuple("%.17g" % float(v) for v in f[i, :3]))
            e.append("%s %d %r %r %r %d %d %d" % (name, i, float(f[i, 0]), float(f[i, 1]),
                                                   float(f[i, 2]), b[i, 0], b[i, 1], b[i, 2]))
        h.append("};")
        h.append("static const unsigned char cm_%s_b[%d][3] = {" % (cid, n))
        line = "   "
        for i in range(n):
            item = " {%d, %d, %d}," % tuple(int(v) for v in b[i, :3])
            if len(line) + len(item) > 88:
                h.append(line)
                line = "   "
            line += item
        h.append(line)
        h.append("};")
        h.append("")
        rows.append('    {"%s", %d, %d, cm_%s_f, cm_%s_b},'
                    % (name, n, 1 if name in CATEGORICAL else 0, cid, cid))
    h.append("/* name, entries, categorical, doubles, bytes */")
    h.append("#define COLORMAP_DATA_TABLE \\")
    h.append(" \\\n".join(rows).rstrip(",") + "")
    h.append("/* clang-format on */")
    h.append("")
    h.append("#endif")
    with open(hdr, "w") as fh:
        fh.write("\n".join(h) + "\n")
    with open(exp, "w") as fh:
        fh.write("\n".join(e) + "\n")
    print("wrote %s and %s" % (hdr, exp), file=sys.stderr)


if __name__ == "__main__":
    main()
