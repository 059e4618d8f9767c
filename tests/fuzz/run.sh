#!/bin/sh
# Build and run the libFuzzer targets (fuzz_*.c). Per target <t>:
#   1. replay regressions/<t>/* (crashes found once, kept forever) without fuzzing;
#   2. fuzz for FUZZ_S seconds (alias FUZZ_SECONDS; default 20) on a scratch copy of corpus/<t>/
#      (plus the captured supervisord requests in vectors/ for fuzz_rpc), so the committed corpus
#      is only read;
#   3. with FUZZ_MERGE=1 (make fuzz): merge the scratch corpus, minimised (-merge=1; edges only,
#      not hit counts, so that it stays small), back into
#      corpus/<t>/, ready to be committed.
# FUZZ_SEED fixes libFuzzer's seed (make check); FUZZ_TARGETS="fuzz_cfg fuzz_rpc" runs only those.
# Any crash, leak, timeout or sanitizer report fails the script (libFuzzer exits non-zero); the
# input is left in build/fuzz/<t>-crash-… (see regressions/README.md to keep it).
# The harnesses never kill what they did not start: sup_fini's leftover sweep only touches
# descendants outside our session (workers get their own), and libFuzzer's processes share ours;
# fuzz_rpc and fuzz_http hold a child of their own across sup_fini to prove it (own_child.h).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cd "$here"
ls fuzz_*.c >/dev/null 2>&1 || { echo "fuzz: no targets yet"; exit 0; }

CC_FUZZ=${CC_FUZZ:-clang}
secs=${FUZZ_S:-${FUZZ_SECONDS:-20}}
merge=${FUZZ_MERGE:-0}
targets=${FUZZ_TARGETS:-$(ls fuzz_*.c | sed 's/\.c$//')}
out="$top/build/fuzz"
mkdir -p "$out/obj"

# The same libraries as the daemon: read them from the Makefile so the two lists cannot drift.
pkgs=$(sed -n 's/^PKGS *:= *//p' "$top/Makefile")
[ -n "$pkgs" ] || { echo "fuzz: cannot read PKGS from $top/Makefile" >&2; exit 1; }
cflags="-std=gnu11 -D_GNU_SOURCE -g -O1 -I$top/src $(pkg-config --cflags $pkgs 2>/dev/null)"
cflags="$cflags $(pkg-config --cflags libev 2>/dev/null || true)"
libs="$(pkg-config --libs $pkgs 2>/dev/null) $(pkg-config --libs libev 2>/dev/null || echo -lev) -lm"
# The harnesses are held to the project's warnings (the library is, by the normal build).
warn="-Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith"
san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"

# The daemon's library layers (src/<layer>/), compiled once for every target (and again only when
# a source or header is newer than its object).
objs=""
running=0
newest_h=$(ls -t "$top"/src/*/*.h | head -1)
for f in "$top"/src/shared/*.c "$top"/src/cfg/*.c "$top"/src/core/*.c "$top"/src/ctl/*.c; do
        layer=$(basename "$(dirname "$f")")
        o="$out/obj/$layer-$(basename "${f%.c}").o"
        if [ ! -f "$o" ] || [ -n "$(find "$f" "$newest_h" -newer "$o")" ]; then
                rm -f "$o"
                # shellcheck disable=SC2086
                "$CC_FUZZ" $cflags $san -fsanitize=fuzzer-no-link -c -o "$o" "$f" &
                running=$((running + 1))
        fi
        objs="$objs $o"
        # two compilers at a time: the machine's budget
        [ "$running" -lt 2 ] || { wait; running=0; }
done
wait
for o in $objs; do
        [ -f "$o" ] || { echo "fuzz: compiling $o failed" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/corral-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
# The harnesses' temp files go here too (a crashing input skips their own cleanup).
export TMPDIR="$work"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
common="-max_len=8192 -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=256"

for t in $targets; do
        echo "fuzz: building $t"
        # shellcheck disable=SC2086
        "$CC_FUZZ" $cflags $warn $san -fsanitize=fuzzer -o "$out/$t" "$t.c" $objs $libs

        reg="regressions/$t"
        if ls "$reg"/* >/dev/null 2>&1; then
                echo "fuzz: replaying $(ls "$reg" | wc -l) regression(s) of $t"
                # shellcheck disable=SC2086
                "$out/$t" $common "$reg"/* >"$work/$t.replay.log" 2>&1 ||
                        { tail -60 "$work/$t.replay.log"; echo "fuzz: $t FAILED a regression in $reg/"; exit 1; }
        fi

        scratch="$work/$t"
        mkdir -p "$scratch"
        if [ -d "corpus/$t" ]; then cp corpus/"$t"/* "$scratch/" 2>/dev/null || true; fi
        [ "$t" != fuzz_rpc ] || cp vectors/*.request.xml "$scratch/"
        dict=""
        [ -f "$t.dict" ] && dict="-dict=$here/$t.dict"
        echo "fuzz: running $t for ${secs}s on $(ls "$scratch" | wc -l) inputs"
        # shellcheck disable=SC2086
        "$out/$t" $common -max_total_time="$secs" -artifact_prefix="$out/$t-" -print_final_stats=1 \
                ${FUZZ_SEED:+-seed=$FUZZ_SEED} $dict "$scratch" >"$work/$t.log" 2>&1 ||
                { tail -60 "$work/$t.log"; echo "fuzz: $t FAILED (artifact in $out/)"; exit 1; }
        # The last status line carries cov: (edges) and ft: (features) and corp: (size).
        grep -E '^#[0-9]+' "$work/$t.log" | tail -1
        grep -E 'stat::(number_of_executed_units|new_units_added)' "$work/$t.log" | tr -s ' \n' ' '
        echo

        if [ "$merge" = 1 ]; then
                fresh="$work/$t.merged"
                mkdir -p "$fresh"
                # shellcheck disable=SC2086
                "$out/$t" $common -merge=1 -use_counters=0 "$fresh" "$scratch" >"$work/$t.merge.log" 2>&1 ||
                        { tail -30 "$work/$t.merge.log"; echo "fuzz: $t merge FAILED"; exit 1; }
                mkdir -p "corpus/$t"
                rm -f corpus/"$t"/*
                cp "$fresh"/* "corpus/$t/" 2>/dev/null || true
                echo "fuzz: corpus/$t: $(ls "corpus/$t" | wc -l) files, $(cat corpus/"$t"/* 2>/dev/null | wc -c) bytes" \
                        "($(grep -E 'MERGE-OUTER: [0-9]+ new files' "$work/$t.merge.log" | sed 's/.*MERGE-OUTER: //'))"
        fi
        echo "fuzz: $t ok"
done
