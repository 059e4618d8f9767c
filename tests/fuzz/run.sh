#!/bin/sh
# Build and run the libFuzzer targets (fuzz_*.c) for a bounded time each: FUZZ_SECONDS, default 20.
# Seeds: the captured supervisord requests in vectors/. Any crash, leak or sanitizer report fails
# the script (libFuzzer exits non-zero). Build output goes to build/fuzz/ (removed by make clean).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cd "$here"
ls fuzz_*.c >/dev/null 2>&1 || { echo "fuzz: no targets yet"; exit 0; }

CC_FUZZ=${CC_FUZZ:-clang}
secs=${FUZZ_SECONDS:-20}
out="$top/build/fuzz"
mkdir -p "$out"

# The same libraries as the daemon: read them from the Makefile so the two lists cannot drift.
pkgs=$(sed -n 's/^PKGS *:= *//p' "$top/Makefile")
[ -n "$pkgs" ] || { echo "fuzz: cannot read PKGS from $top/Makefile" >&2; exit 1; }
cflags="-std=gnu11 -D_GNU_SOURCE -g -O1 -I$top/src $(pkg-config --cflags $pkgs 2>/dev/null)"
cflags="$cflags $(pkg-config --cflags libev 2>/dev/null || true)"
libs="$(pkg-config --libs $pkgs 2>/dev/null) $(pkg-config --libs libev 2>/dev/null || echo -lev) -lm"
san="-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"

# The daemon's library layers (src/<layer>/): everything but the two programs' entry folders.
core=""
for f in "$top"/src/shared/*.c "$top"/src/cfg/*.c "$top"/src/core/*.c "$top"/src/ctl/*.c; do
        core="$core $f"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/corral-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

for src in fuzz_*.c; do
        t=${src%.c}
        echo "fuzz: building $t"
        # shellcheck disable=SC2086
        "$CC_FUZZ" $cflags $san -o "$out/$t" "$src" $core $libs
        mkdir -p "$work/$t"
        cp vectors/*.request.xml "$work/$t/"
        dict=""
        [ -f "$t.dict" ] && dict="-dict=$here/$t.dict"
        echo "fuzz: running $t for ${secs}s"
        # shellcheck disable=SC2086
        ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
                "$out/$t" -max_total_time="$secs" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
                -artifact_prefix="$out/$t-" -print_final_stats=1 ${FUZZ_SEED:+-seed=$FUZZ_SEED} $dict "$work/$t" \
                >"$work/$t.log" 2>&1 || { tail -60 "$work/$t.log"; echo "fuzz: $t FAILED (artifact in $out/)"; exit 1; }
        tail -3 "$work/$t.log"
        echo "fuzz: $t ok"
done
