#!/bin/sh
# SPDX-License-Identifier: MIT
# run_all.sh [BUILD] -- `make test`: every stage of the test suite in order, one summary.
#
# Stages: the -Werror build, `make check` (unit tests, language cases, fuzz-corpus
# replay), `make asan` (the same under ASan+UBSan), `make test-protocol`, `make
# test-browser`, `make test-examples`. A stage whose runner script does not exist yet is
# skipped and says so. Each stage prints `NAME: N passed, N failed[, N skipped]`; this
# script adds them up and ends with the line `N passed, N failed, N skipped`. It exits
# non-zero if any stage failed. It runs every stage even after a failure, so one run shows
# everything that is broken. BUILD defaults to build; ASAN_BUILD (default build-asan)
# names the sanitizer build directory. Missing apt packages are installed first (see
# below).
set -u
cd "$(dirname "$0")/.."
build=${1:-build}
asan_build=${ASAN_BUILD:-build-asan}
logdir="$build/results"
mkdir -p "$logdir"
passed=0; failed=0; skipped=0; failed_stages=""
start=$(date +%s)

# stage NAME RUNNER_SCRIPT_OR_- MAKE_ARGS...
stage() {
    name=$1; runner=$2; shift 2
    if [ "$runner" != - ] && [ ! -f "$runner" ]; then
        echo "== $name: skipped ($runner does not exist yet)"
        skipped=$((skipped + 1))
        return 0
    fi
    echo "== $name: make $*"
    log="$logdir/stage-$name.log"
    t0=$(date +%s)
    { make --no-print-directory "$@" 2>&1; echo $? >"$log.rc"; } | tee "$log"
    rc=$(cat "$log.rc")
    line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    p=$(printf '%s' "$line" | sed -n 's/.*[^0-9]\([0-9][0-9]*\) passed.*/\1/p;s/^\([0-9][0-9]*\) passed.*/\1/p' | head -n 1)
    f=$(printf '%s' "$line" | sed -n 's/.* \([0-9][0-9]*\) failed.*/\1/p')
    s=$(printf '%s' "$line" | sed -n 's/.* \([0-9][0-9]*\) skipped.*/\1/p')
    if [ -z "$line" ]; then
        # A stage without counts (the build) counts as one check.
        if [ "$rc" -eq 0 ]; then p=1; else p=0; fi
        f=0; s=0
    fi
    [ -n "$p" ] || p=0; [ -n "$f" ] || f=0; [ -n "$s" ] || s=0
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
    [ "$f" -eq 0 ] || failed_stages="$failed_stages $name"
    echo "-- $name: $p passed, $f failed, $s skipped (exit $rc, $(($(date +%s) - t0)) s)"
}

# Like `make demo`, `make test` first installs any missing package of the "test" group
# (tools/deps.sh; a no-op when all are there). NO_DEPS=1 skips this.
if [ "${NO_DEPS:-0}" != 1 ]; then
    sh tools/deps.sh install test ||
        echo "== deps: some packages could not be installed; stages needing them will fail"
fi

stage build - BUILD="$build" WERROR=1
stage check - BUILD="$build" WERROR=1 check
stage asan - ASAN_BUILD="$asan_build" WERROR=1 asan
stage protocol tests/protocol/run.sh BUILD="$build" WERROR=1 test-protocol
stage browser tests/browser/run.sh BUILD="$build" WERROR=1 test-browser
stage examples tests/run_examples.sh BUILD="$build" WERROR=1 test-examples

echo "== total time $(($(date +%s) - start)) s"
[ -z "$failed_stages" ] || echo "== failed stages:$failed_stages"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
