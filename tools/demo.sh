#!/bin/sh
# SPDX-License-Identifier: MIT
# demo.sh -- `make demo`: from a fresh Debian/Ubuntu checkout to Jupyter with mechviz.
#
# Installs the missing apt packages (tools/deps.sh, group "demo"; sudo when not root),
# builds, installs the kernel and its kernelspec into ./build/prefix (never into the
# user's own Jupyter folders), makes the demo data, then starts a classic Jupyter
# Notebook server on examples/notebooks with JUPYTER_PATH pointing at that prefix, so
# "mechviz" is offered as a kernel. It binds 127.0.0.1 unless IP is set (IP=0.0.0.0);
# PORT picks the port (default 8888).
#
# HEADLESS=1: instead of a server, execute every example notebook with nbclient and
# write the executed notebooks and their HTML into build/examples/, printing the paths.
# BUILD picks another build directory (default build).
set -eu
cd "$(dirname "$0")/.."
python=/usr/bin/python3
build=${BUILD:-build}
prefix=$(pwd)/$build/prefix

sh tools/deps.sh install demo
make --no-print-directory BUILD="$build"
make --no-print-directory BUILD="$build" install PREFIX="$prefix"
"$python" tools/make_demo_data.py examples/data
export JUPYTER_PATH="$prefix/share/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}"

if [ "${HEADLESS:-0}" = 1 ]; then
    exec "$python" tools/run_notebooks.py --html --out "$build/examples" \
        examples/notebooks/*.ipynb
fi

root=""
[ "$(id -u)" -ne 0 ] || root="--allow-root"
echo "mechviz: starting Jupyter on examples/notebooks; open the URL printed below"
echo "mechviz: (choose the \"mechviz\" kernel; Ctrl-C twice stops the server)"
exec "$python" -m notebook --notebook-dir=examples/notebooks --no-browser \
    --ip="${IP:-127.0.0.1}" --port="${PORT:-8888}" $root
