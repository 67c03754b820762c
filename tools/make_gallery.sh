#!/bin/sh
# SPDX-License-Identifier: MIT
# make_gallery.sh [BUILD] -- render the README gallery into docs/gallery/.
#
# Makes the demo data when it is missing, builds bench/plot_figures.c against
# BUILD/libmechviz.a and runs it once: every static figure magic on examples/data,
# one PNG each (2x pixels). The PNGs are committed; rerun after changing plot.c.
set -eu
build=${1:-build}
py=${PYTHON:-/usr/bin/python3}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
data=examples/data
if [ ! -f "$data/figures.npz" ] || [ ! -f "$data/run.safetensors" ]; then
    "$py" tools/make_demo_data.py "$data" >/dev/null
    [ -f "$data/figures.npz" ] || "$py" tools/make_figure_data.py "$data"
fi
pkgs="libzmq jansson libsodium cairo pangocairo zlib openblas lapacke"
make --no-print-directory BUILD="$build" "$build/libmechviz.a" >/dev/null
mkdir -p "$build/gallery" docs/gallery
cc -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -O2 -Isrc \
    $(pkg-config --cflags $pkgs) -o "$build/gallery/plot_figures" bench/plot_figures.c \
    "$build/libmechviz.a" $(pkg-config --libs $pkgs) -lpthread -lm
"$build/gallery/plot_figures" "$data" docs/gallery 1 >/dev/null
ls docs/gallery/*.png
