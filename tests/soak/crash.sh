#!/bin/sh
# A crash-storm worker for the soak (tests/soak/soak.py). Counts its start by appending one byte to
# $1 (O_APPEND: the file's size is the number of starts), then exits with $2 after $3 seconds
# ("now" exits at once; "rand" picks 0.10-0.59 s from the pid, dash has no $RANDOM).
printf . >> "$1"
case "$3" in
  now) ;;
  rand) sleep "0.$(( $$ % 50 + 10 ))" ;;
esac
exit "$2"
