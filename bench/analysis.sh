#!/bin/sh
# SPDX-License-Identifier: MIT
# analysis.sh BUILD -- PCA of float32 [100k, 768] and [500k, 768] to 10 components:
# mechviz (linalg_pca through bench/pca_bench.c) against numpy eigh and scikit-learn
# (full and randomized), each in its own process, wall time of the fit and peak RSS.
# Prints `name: value` lines. Set BENCH_SIZES="100000" to run fewer sizes.
set -eu
build=${1:-build}
py=${PYTHON:-/usr/bin/python3}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
tmp=${BENCH_TMP:-$(mktemp -d)}
trap 'rm -rf "$tmp"' EXIT INT TERM

cd "$root"
make --no-print-directory BUILD="$build" "$build/libmechviz.a" >/dev/null
cc -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -O2 -Isrc \
   $(pkg-config --cflags openblas lapacke) -o "$tmp/pca_bench" bench/pca_bench.c \
   "$build/libmechviz.a" $(pkg-config --libs libzmq jansson libsodium cairo pangocairo zlib openblas lapacke) -lpthread -lm

"$py" bench/analysis_ref.py blas
alt=$(update-alternatives --query libblas.so.3-x86_64-linux-gnu 2>/dev/null | sed -n 's/^Value: //p')
echo "libblas_alternative: ${alt:-unknown}"
echo "cpus: $(nproc)"

val() { printf '%s\n' "$2" | sed -n "s/^$1: //p"; }
for n in ${BENCH_SIZES:-100000 500000}; do
  tag="$((n / 1000))k"
  f="$tmp/x$tag.npy"
  "$py" bench/analysis_ref.py gen "$f" "$n" 768
  echo "pca_${tag}_input_mib: $(($(wc -c < "$f") / 1048576))  # mapped by mechviz, so part of its RSS"
  out=$("$tmp/pca_bench" "$f" 10 cov)
  ours=$(val seconds "$out")
  echo "pca_${tag}_mechviz_seconds: $ours"
  echo "pca_${tag}_mechviz_peak_mib: $(val peak_rss_mib "$out")"
  ref_evr=$(val evr "$out")
  out=$("$tmp/pca_bench" "$f" 10 randomized)
  echo "pca_${tag}_mechviz_randomized_seconds: $(val seconds "$out")"
  echo "pca_${tag}_mechviz_randomized_peak_mib: $(val peak_rss_mib "$out")"
  for m in eigh sklearn-full sklearn-randomized; do
    out=$("$py" bench/analysis_ref.py run "$m" "$f" 10)
    s=$(val seconds "$out")
    name=$(echo "$m" | tr '-' '_')
    echo "pca_${tag}_${name}_seconds: $s"
    echo "pca_${tag}_${name}_peak_mib: $(val peak_rss_mib "$out")"
    echo "pca_${tag}_speedup_vs_${name}: $(awk -v a="$s" -v b="$ours" 'BEGIN{printf "%.2f", a/b}')"
    if [ "$m" = sklearn-full ]; then
      echo "pca_${tag}_max_evr_diff_vs_sklearn: $(printf '%s\n%s\n' "$ref_evr" "$(val evr "$out")" |
        awk 'NR==1{for(i=1;i<=NF;i++)a[i]=$i} NR==2{m=0;for(i=1;i<=NF;i++){d=a[i]-$i;if(d<0)d=-d;if(d>m)m=d} printf "%.2e", m}')"
    fi
  done
  rm -f "$f"
done

# Scatter first paint and redraw at 10^5 and 10^6 points, in headless chromium through
# the browser-test harness (tests/browser/run_analysis.mjs prints them as "info" lines).
if command -v node >/dev/null && [ -x /usr/bin/chromium ] && [ -z "${BENCH_NO_BROWSER:-}" ]; then
  sh tests/browser/run.sh "$build" 2>/dev/null | sed -n 's/^info //p' || true
fi
