#!/bin/sh
# Every #include "layer/x.h" in src/ must point at the file's own layer or one it may use (the
# directions the Makefile's archives enforce at link time; README, "Source layout").
set -eu
cd "$(dirname "$0")/../src"
allowed() {
        case $1 in
        shared)    echo "shared" ;;
        cfg)       echo "cfg shared" ;;
        core)      echo "core cfg shared" ;;
        ctl)       echo "ctl core cfg shared" ;;
        corrald)   echo "corrald ctl core cfg shared" ;;
        corralctl) echo "corralctl cfg shared" ;;
        *)         echo "" ;;
        esac
}
bad=0
for f in */*.c */*.h; do
        layer=${f%%/*}
        ok=$(allowed "$layer")
        if [ -z "$ok" ]; then
                echo "layers: $f: '$layer' is not a known layer" >&2
                bad=1
                continue
        fi
        for inc in $(sed -n 's/^#include "\([a-z_]*\)\/[a-z_0-9]*\.h".*/\1/p' "$f"); do
                case " $ok " in
                *" $inc "*) ;;
                *) echo "layers: $f includes from '$inc', which '$layer' may not use" >&2; bad=1 ;;
                esac
        done
        if grep -n '^#include "[^/]*"' "$f" >/dev/null; then
                echo "layers: $f: a corral header without its layer folder:" >&2
                grep -n '^#include "[^/]*"' "$f" >&2
                bad=1
        fi
done
[ $bad -eq 0 ] && echo "layers: every include goes in an allowed direction"
exit $bad
