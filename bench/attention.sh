#!/bin/sh
# SPDX-License-Identifier: MIT
# attention.sh BUILD -- the attention view's figures, printed as `name: value` lines:
# tile encoding speed in C (bench/tiles_bench.c: our palette PNG writer against cairo's
# RGBA writer), then notebook size, time to comm_open and tile round trips through
# jupyter_client (bench/attention.py). Called by bench/run.sh; runs on its own too.
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
make --no-print-directory BUILD="$build" "$build/libmechviz.a" >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -O2 -Isrc \
   $(pkg-config --cflags cairo) -o "$tmp/tiles_bench" bench/tiles_bench.c "$build/libmechviz.a" \
   $(pkg-config --libs libzmq jansson libsodium cairo pangocairo zlib openblas lapacke) -lpthread -lm
"$tmp/tiles_bench"
"${PYTHON:-/usr/bin/python3}" bench/attention.py "$build"
