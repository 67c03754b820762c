#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh BUILD -- `make bench`: every measurement of the project in one run.
#
# Builds bench/load_bench.c, installs the kernel into BUILD/bench/prefix and writes a
# private kernelspec for Debian's ipykernel (run by /usr/bin/python3, not whatever
# python3 is on PATH) under BUILD/bench/jupyter, then runs bench/bench.py (file open
# and comm echo against numpy and ipykernel), then bench/attention.sh, bench/analysis.sh
# and bench/plots.sh when they exist, each as `sh SCRIPT BUILD`. It only prints figures
# (`name: value` and `ratio ...` lines); it has no thresholds and fails only when a
# script cannot run. The 1 GiB inputs are generated once into BUILD/bench (2 GiB disk).
set -u
cd "$(dirname "$0")/.."
build=${1:-build}
python=${PYTHON:-/usr/bin/python3}
dir=$(pwd)/$build/bench
mkdir -p "$dir/jupyter/kernels/debian-python3"
make --no-print-directory BUILD="$build" "$build/bench/load_bench" ||
    echo "load_bench: could not be built; the C loader figures are skipped"
make --no-print-directory BUILD="$build" PREFIX="$dir/prefix" install >/dev/null || exit 1
rm -rf "$dir/jupyter/kernels/mechviz-bench"
cp -r "$dir/prefix/share/jupyter/kernels/mechviz" "$dir/jupyter/kernels/mechviz-bench"
cat >"$dir/jupyter/kernels/debian-python3/kernel.json" <<JSON
{"argv": ["$python", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
 "display_name": "Python 3 (Debian)", "language": "python"}
JSON
export JUPYTER_PATH="$dir/jupyter" PYDEVD_DISABLE_FILE_VALIDATION=1
echo "== bench: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(uname -m)"
echo "== kernel core: file open and comm echo"
"$python" bench/bench.py "$build" || status=1
for s in attention analysis plots; do
    if [ -f "bench/$s.sh" ]; then
        echo "== $s"
        sh "bench/$s.sh" "$build" || status=1
    else
        echo "== $s: bench/$s.sh does not exist yet"
    fi
done
exit "${status:-0}"
