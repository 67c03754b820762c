#!/bin/sh
# SPDX-License-Identifier: MIT
# plots.sh BUILD -- render time of every gallery figure, mechviz against matplotlib.
#
# Makes the demo data when it is missing, builds bench/plot_figures.c against
# BUILD/libmechviz.a, runs it and bench/plots_ref.py (Debian's matplotlib, Agg, dpi 200)
# on the same data at the same sizes, and prints one line per figure:
#   plot NAME: mechviz X ms, matplotlib Y ms, ratio Z
# (ratio = matplotlib / mechviz, so > 1 means mechviz is faster). Each time is the
# median of REPEAT runs (default 5) of drawing plus PNG encoding. No thresholds.
set -eu
build=${1:-build}
py=${PYTHON:-/usr/bin/python3}
repeat=${REPEAT:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
data=examples/data
if [ ! -f "$data/figures.npz" ] || [ ! -f "$data/run.safetensors" ]; then
    "$py" tools/make_demo_data.py "$data" >/dev/null
    [ -f "$data/figures.npz" ] || "$py" tools/make_figure_data.py "$data"
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
pkgs="libzmq jansson libsodium cairo pangocairo zlib openblas lapacke"
make --no-print-directory BUILD="$build" "$build/libmechviz.a" >/dev/null
cc -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -O2 -Isrc \
    $(pkg-config --cflags $pkgs) -o "$tmp/plot_figures" bench/plot_figures.c \
    "$build/libmechviz.a" $(pkg-config --libs $pkgs) -lpthread -lm
mkdir -p "$tmp/mechviz" "$tmp/matplotlib"
"$tmp/plot_figures" "$data" "$tmp/mechviz" "$repeat" >"$tmp/m.txt"
"$py" bench/plots_ref.py "$data" "$tmp/matplotlib" "$repeat" >"$tmp/p.txt" 2>/dev/null
while read -r name ms; do
    ref=$(sed -n "s/^$name //p" "$tmp/p.txt")
    [ -n "$ref" ] || ref=nan
    awk -v n="$name" -v a="$ms" -v b="$ref" 'BEGIN {
        if (b == "nan") printf "plot %s: mechviz %.1f ms, matplotlib - ms, ratio -\n", n, a;
        else printf "plot %s: mechviz %.1f ms, matplotlib %.1f ms, ratio %.1f\n", n, a, b, b / a }'
done <"$tmp/m.txt"
