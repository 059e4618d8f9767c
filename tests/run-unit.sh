#!/bin/sh
# Run every check-based unit test binary given; print one closing line; exit non-zero on failure.
# usage: tests/run-unit.sh BUILD_DIR BIN...
set -u
b=$1; shift
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
fail=0
for t in "$@"; do
  echo "== $t"
  "$t" || fail=1
done
[ $# -eq 0 ] && echo "unit ($b): no unit test binaries"
exit $fail
