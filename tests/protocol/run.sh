#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh BUILD -- the protocol tests: install into BUILD/prefix, run pytest through it.
#
# `make install PREFIX=BUILD/prefix` writes the binary and the kernelspec exactly as a
# user's install does; JUPYTER_PATH then points jupyter_client at that kernelspec, so
# the installed kernel.json is what the tests start. Prints pytest's summary line and a
# final "protocol: N passed, N failed, N skipped" line for tests/run_all.sh; exits
# non-zero when a test failed. MECHVIZ_VALGRIND=1 runs every kernel under valgrind
# (leaks and errors make the kernel exit 99, which fails the shutdown tests).
# Extra arguments go to pytest (e.g. -k comm).
set -u
cd "$(dirname "$0")/../.."
build=${1:-build}
[ $# -gt 0 ] && shift
prefix="$(pwd)/$build/prefix"
make --no-print-directory BUILD="$build" PREFIX="$prefix" install >/dev/null || exit 1
export JUPYTER_PATH="$prefix/share/jupyter"
export MECHVIZ_BUILD="$build"
export MECHVIZ_KERNEL="$prefix/bin/mechviz-kernel"
export PYTHONDONTWRITEBYTECODE=1
xml="$build/protocol-results.xml"
/usr/bin/python3 -m pytest -p no:cacheprovider -q --junitxml="$xml" tests/protocol "$@" \
    >"$build/protocol-log.txt" 2>&1
rc=$?
grep -E '^(FAILED|ERROR) ' "$build/protocol-log.txt"
tail -n 1 "$build/protocol-log.txt"
/usr/bin/python3 - "$xml" <<'PY'
import sys
import xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except Exception:
    print("protocol: 0 passed, 1 failed, 0 skipped")
    sys.exit(0)
suites = [root] if root.tag == "testsuite" else list(root)
n = sum(int(s.get("tests", 0)) for s in suites)
f = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
k = sum(int(s.get("skipped", 0)) for s in suites)
print(f"protocol: {n - f - k} passed, {f} failed, {k} skipped")
PY
exit $rc
