#!/bin/sh
# A slow talker for the soak's /logtail followers and log readers: one numbered line every 50 ms.
i=0
while :; do
  i=$((i + 1))
  echo "talker $1 line $i"
  sleep 0.05
done
