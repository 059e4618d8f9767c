#!/bin/sh
# SPDX-License-Identifier: MIT
# Benchmark entry: `make bench` runs --full, `make bench-quick` runs --quick (< 5 minutes).
# Extra options: --only corrald,s6  --ns 10,100  --scale 0  --repeats N  --out FILE (see bench.py -h).
# Needs Debian's python3 (the pyenv one on PATH may lack nothing, but stay on the system one).
here=$(dirname "$0")
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
exec "$PY" "$here/bench.py" "$@"
