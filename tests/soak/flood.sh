#!/bin/sh
# A log-flood worker for the soak (tests/soak/soak.py): in each round it writes $2 bytes of lines to
# stdout and $3 to stderr, then appends one byte to $1 so that the driver knows how much was
# offered (rounds x ($2 + $3)) however the logs rotate; the short pause keeps one worker to a few
# MB/s, so the soak loads corrald's log path without filling the disk or starving 2 shared cores.
while :; do
  yes "soak flood stdout line: the quick brown fox jumps over the lazy dog 0123456789" | head -c "$2"
  yes "soak flood stderr line: pack my box with five dozen liquor jugs 0123456789" | head -c "$3" >&2
  printf . >> "$1"
  sleep 0.05
done
