#!/bin/sh
# systemd-analyze verify on the shipped unit (with ExecStart pointed at the built binary).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
[ -f "$top/systemd/corrald.service" ] || { echo "systemd: no unit yet"; exit 0; }
command -v systemd-analyze >/dev/null || { echo "systemd-analyze missing" >&2; exit 1; }
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
sed "s|@BINDIR@|$top/build|g" "$top/systemd/corrald.service" > "$d/corrald.service"
systemd-analyze verify "$d/corrald.service"
echo "systemd: corrald.service verified"
