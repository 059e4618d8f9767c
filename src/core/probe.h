/* SPDX-License-Identifier: MIT */
/* probe — the readiness probes that corrald runs itself while a process is STARTING:
 * ready=tcp:HOST:PORT (a non-blocking connect) and ready=exec:COMMAND (/bin/sh -c, exit 0), one
 * attempt every ready_interval, never blocking the loop. Success calls proc_ready. A probe exists
 * only for a program with such a ready=, and its timer runs only while the process is STARTING. */
#ifndef CORRAL_PROBE_H
#define CORRAL_PROBE_H

#include <ev.h>
#include <stdbool.h>
#include <sys/types.h>

struct proc;
struct probe;

struct probe *probe_new(struct ev_loop *loop, struct proc *p);
void probe_start(struct probe *pr);     /* first attempt at once, then every ready_interval */
void probe_stop(struct probe *pr);      /* cancel: close the socket, kill the command's group */
void probe_free(struct probe *pr);      /* accepts NULL */
/* The catch-all reaper's question for a pid that is no worker: was it a probe command? (then it
 * is accounted for here, whether its probe still exists or not) */
bool probe_reaped(pid_t pid, int status);

#endif
