#!/bin/sh
# Install what corral needs on Debian 12, or print the exact command when not root.
#   tests/deps.sh build   — to build and run corrald
#   tests/deps.sh check   — plus what `make check` needs (supervisorctl, pytest, clang for the fuzzer,
#                           scan-build and hardening-check)
#   tests/deps.sh bench   — plus the peers the benchmark compares against
#   tests/deps.sh soak    — to build corrald and run `make soak` (Python driver, gnuplot for the plot)
set -eu
BUILD="build-essential pkg-config libev-dev libinih-dev libmicrohttpd-dev libexpat1-dev libsystemd-dev nettle-dev libjansson-dev libcurl4-gnutls-dev"
CHECK="check libsubunit-dev python3 python3-pytest python3-pytest-xdist python3-pytest-timeout supervisor clang libclang-rt-14-dev clang-tools systemd procps util-linux logrotate"
# Installed without their Recommends: devscripts is wanted only for hardening-check (no smaller
# Debian package has it) and recommends lintian, debian-keyring and dozens more.
CHECK_LEAN="devscripts"
BENCH="supervisor s6 runit python3"
SOAK="python3 gnuplot-nox"
want=$BUILD
lean=""
case "${1:-build}" in
  check) want="$BUILD $CHECK"; lean=$CHECK_LEAN ;;
  bench) want="$BUILD $CHECK $BENCH"; lean=$CHECK_LEAN ;;
  soak)  want="$BUILD $SOAK" ;;
esac
missing_of() {
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || printf ' %s' "$p"
  done
}
missing=$(missing_of $want)
missing_lean=$(missing_of $lean)
[ -z "$missing$missing_lean" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  printf 'corral: missing packages:%s%s\n' "$missing" "$missing_lean" >&2
  install=""
  [ -n "$missing" ] && install=" && apt-get install -y$missing"
  [ -n "$missing_lean" ] && install="$install && apt-get install -y --no-install-recommends$missing_lean"
  # policy-rc.d first: Debian's supervisor/runit packages would otherwise start system daemons.
  printf '%s\n' "run:  sudo sh -c 'printf \"#!/bin/sh\\\\nexit 101\\\\n\" > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && apt-get update$install'" >&2
  exit 1
fi
# Debian's supervisor/runit packages would start system daemons: deny service starts first.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
fi
echo "corral: installing:$missing$missing_lean" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
[ -z "$missing" ] || apt-get install -y -qq $missing >/dev/null
[ -z "$missing_lean" ] || apt-get install -y -qq --no-install-recommends $missing_lean >/dev/null
