/* SPDX-License-Identifier: MIT */
/* leftovers — killing what still descends from corrald after its workers are stopped. */
#ifndef CORRAL_LEFTOVERS_H
#define CORRAL_LEFTOVERS_H

#include <stddef.h>

/* SIGKILL every live descendant of this process outside its session, i.e. what descends from a
 * worker (spawn gives each its own session), not helpers forked otherwise (one /proc scan). Returns how many were
 * signalled; reaping them is the caller's (libev's while the loop runs). */
size_t leftovers_kill(void);

/* After the loop ended (libev reaps nothing more): reap, kill what is left, and repeat until none
 * is left or secs have passed. */
void leftovers_kill_and_reap(double secs);

#endif
