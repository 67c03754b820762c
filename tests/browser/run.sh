#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh BUILD -- the browser tests: a real Jupyter server (Debian's notebook 6), the real
# widget manager and anywidget front end from npm, Debian's chromium driven by
# playwright-core, and the kernel built in BUILD. Screenshots go to BUILD/screenshots/.
# Prints "browser: N passed, N failed" last; exits non-zero on failure.
set -eu
BUILD=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
case $BUILD in /*) build=$BUILD ;; *) build=$root/$BUILD ;; esac
kernel=$build/mechviz-kernel
[ -x "$kernel" ] || { echo "run.sh: $kernel not built" >&2; echo "browser: 0 passed, 1 failed"; exit 1; }
command -v node >/dev/null || { echo "run.sh: node is required" >&2; echo "browser: 0 passed, 1 failed"; exit 1; }
[ -x /usr/bin/chromium ] || { echo "run.sh: /usr/bin/chromium is required" >&2; echo "browser: 0 passed, 1 failed"; exit 1; }

# npm dependencies, pinned by package-lock.json
if [ ! -d "$here/node_modules/playwright-core" ] || [ ! -d "$here/node_modules/anywidget" ]; then
  mkdir -p "$build"
  (cd "$here" && npm ci --no-audit --no-fund >"$build/npm-ci.log" 2>&1) || {
    echo "run.sh: npm ci failed; the end of $build/npm-ci.log:" >&2
    tail -n 15 "$build/npm-ci.log" >&2
    echo "browser: 0 passed, 1 failed"; exit 1; }
fi

work=$build/browser
rm -rf "$work"
mkdir -p "$work/share/jupyter/kernels/mechviz" "$work/runtime" "$work/config" "$work/static" "$work/data"
sed "s|@BINARY@|$kernel|" "$root/kernelspec/kernel.json.in" > "$work/share/jupyter/kernels/mechviz/kernel.json"
/usr/bin/python3 "$here/make_data.py" "$work/data" >/dev/null
(cd "$here" && node build.mjs "$work/static" >/dev/null)

port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
token=$(/usr/bin/python3 -c 'import secrets; print(secrets.token_hex(16))')
JUPYTER_PATH=$work/share/jupyter JUPYTER_RUNTIME_DIR=$work/runtime JUPYTER_CONFIG_DIR=$work/config \
JUPYTER_DATA_DIR=$work/share/jupyter \
  /usr/bin/python3 -m notebook --no-browser --allow-root --ip=127.0.0.1 --port="$port" \
    --NotebookApp.token="$token" --NotebookApp.open_browser=False \
    --NotebookApp.extra_static_paths="['$work/static']" \
    --notebook-dir="$work/data" >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT INT TERM

i=0
until /usr/bin/python3 -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$port/api/kernelspecs?token=$token', timeout=1)" 2>/dev/null; do
  i=$((i + 1))
  if [ $i -gt 60 ] || ! kill -0 $server 2>/dev/null; then
    echo "run.sh: the Jupyter server did not start; see $work/server.log" >&2
    echo "browser: 0 passed, 1 failed"
    exit 1
  fi
  sleep 0.5
done

# Every test script runs against the same server; their summaries are added up.
rc=0
for t in run_tests.mjs run_analysis.mjs; do
  [ -f "$here/$t" ] || continue
  MVZ_URL="http://127.0.0.1:$port/static/mvz-test.html?token=$token" MVZ_DATA="$work/data" \
  MVZ_ANALYSIS="$work/analysis" MVZ_SHOTS="$build/screenshots" \
    node "$here/$t" >"$work/$t.out" 2>&1 || rc=1
  grep -v '^browser: ' "$work/$t.out" || true
done
p=$(cat "$work"/*.mjs.out | sed -n 's/^browser: \([0-9]*\) passed.*/\1/p' | awk '{s+=$1} END{print s+0}')
f=$(cat "$work"/*.mjs.out | sed -n 's/^browser: [0-9]* passed, \([0-9]*\) failed.*/\1/p' | awk '{s+=$1} END{print s+0}')
[ $rc -ne 0 ] && [ "$f" -eq 0 ] && f=1
echo "browser: $p passed, $f failed"
exit $rc
