#!/bin/sh
# SPDX-License-Identifier: MIT
# run_check.sh BUILD [WRAP] -- run every unit test, the language cases and the fuzz
# corpus replays built in BUILD; print one closing summary line. WRAP (e.g. valgrind)
# prefixes each command.
set -u
build=$1
wrap=${2:-}
passed=0; failed=0; skipped=0; bad=""
mkdir -p "$build/results"
run() { # name, command...
  name=$1; shift
  out=$($wrap "$@" 2>"$build/results/$name.err"); rc=$?
  line=$(printf '%s\n' "$out" | grep -E '[0-9]+ passed, [0-9]+ failed' | tail -n 1)
  p=$(printf '%s' "$line" | sed -n 's/.* \([0-9][0-9]*\) passed.*/\1/p')
  f=$(printf '%s' "$line" | sed -n 's/.* \([0-9][0-9]*\) failed.*/\1/p')
  s=$(printf '%s' "$line" | sed -n 's/.* \([0-9][0-9]*\) skipped.*/\1/p')
  [ -n "$p" ] || p=0; [ -n "$f" ] || f=0; [ -n "$s" ] || s=0
  if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  if [ "$f" -ne 0 ]; then
    bad="$bad $name"
    echo "FAIL $name (exit $rc)"; cat "$build/results/$name.err" | tail -n 30
  else
    echo "ok   $name: $line"
  fi
}
for t in "$build"/tests/test_*; do
  [ -x "$t" ] || continue
  run "$(basename "$t")" "$t"
done
if [ -x "$build/tests/run_cases" ]; then
  run cases "$build/tests/run_cases" tests/cases
fi
for r in "$build"/fuzz/replay_*; do
  [ -x "$r" ] || continue
  n=${r##*/replay_}
  run "replay_$n" "$r" "tests/fuzz/corpus/$n"
done
echo "check: $passed passed, $failed failed, $skipped skipped"
echo "$passed $failed $skipped" > "$build/results/check.counts"
[ "$failed" -eq 0 ]
