#!/bin/sh
# SPDX-License-Identifier: MIT
# run_examples.sh BUILD -- `make test-examples`: execute every examples/notebooks/*.ipynb
# headless on the mechviz kernel built in BUILD.
#
# Installs the binary and kernelspec into a private prefix under BUILD (never into the
# user's Jupyter folders), makes the demo data, then runs tools/run_notebooks.py, which
# checks each notebook for error outputs and size and prints `examples: N passed, N failed`.
# Executed copies go to BUILD/examples/.
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
python=${PYTHON:-/usr/bin/python3}
prefix=$(pwd)/$build/examples-prefix
make --no-print-directory BUILD="$build" PREFIX="$prefix" install >/dev/null
"$python" tools/make_demo_data.py examples/data
set -- examples/notebooks/*.ipynb
if [ ! -e "$1" ]; then
    echo "examples: 0 passed, 0 failed, 1 skipped (no notebooks in examples/notebooks)"
    exit 0
fi
JUPYTER_PATH="$prefix/share/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}" \
    exec "$python" tools/run_notebooks.py --out "$build/examples" \
    --timeout "${CELL_TIMEOUT:-120}" "$@"
