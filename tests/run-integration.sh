#!/bin/sh
# Run the black-box integration suite against $CORRAL_BUILD/corrald with Debian's pytest.
set -eu
cd "$(dirname "$0")/integration"
ls test_*.py >/dev/null 2>&1 || { echo "integration: no tests yet"; exit 0; }
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
jobs=${CORRAL_TEST_JOBS:-2}
if /usr/bin/python3 -c 'import xdist' 2>/dev/null && [ "$jobs" -gt 1 ]; then
  exec /usr/bin/python3 -m pytest -q -p no:cacheprovider --timeout=${CORRAL_TEST_TIMEOUT:-180} -n "$jobs" "$@"
fi
exec /usr/bin/python3 -m pytest -q -p no:cacheprovider --timeout=${CORRAL_TEST_TIMEOUT:-180} "$@"
