/* SPDX-License-Identifier: MIT */
/* ready — readiness (corral extension, README "Readiness"): when a STARTING process with ready=
 * counts as up, the sd_notify STATUS text it reported and its watchdog. proc.c calls the hooks
 * below; the ways a process says it is ready (notify.c for ready=notify) call proc_ready. A
 * process without ready= never gets a ready state: nothing here runs or wakes up for it. */
#ifndef CORRAL_READY_H
#define CORRAL_READY_H

#include <ev.h>
#include <stdbool.h>
#include <sys/types.h>

struct proc;
struct ready_state;
struct spawn_spec;

void ready_setup(struct ev_loop *loop);
/* true when p's start ends by readiness instead of startsecs */
bool ready_configured(const struct proc *p);

/* Hooks from proc.c. */
/* Before the spawn: what the child gets (NOTIFY_SOCKET in spec->extra_env, the fd:N pipe's write
 * end); 0 or -errno (no socket, no pipe). Then ready_spawned after a successful spawn (p->pid is
 * set), and ready_spawn_done after every attempt (the parent lets go of the child's end). */
int ready_prepare(struct proc *p, struct spawn_spec *spec);
void ready_spawned(struct proc *p);
void ready_spawn_done(struct proc *p, bool spawned);
void ready_state_changed(struct proc *p, int from, int to);
void ready_exited(struct proc *p);                      /* reaped; p->pid is still set */
void ready_free(struct proc *p);

/* From the notification sources (notify.c). */
void ready_status_set(struct proc *p, const char *text);        /* STATUS=…; NULL clears */
const char *ready_status(const struct proc *p);                 /* NULL when none */
void ready_watchdog_ping(struct proc *p);                       /* WATCHDOG=1 */
void ready_mainpid(struct proc *p, pid_t pid);                  /* MAINPID= */
/* The process a notification from pid belongs to: the worker itself, its announced MAINPID, or
 * a process in the worker's process group. NULL if none. O(1). */
struct proc *ready_owner(pid_t pid);

/* proc.c's side: p said it is ready (how: "notify", "fd:3", …); STARTING → RUNNING. */
void proc_ready(struct proc *p, const char *how);
/* proc.c's side: kill p's process group (readiness timeout, missed watchdog). */
void proc_ready_kill(struct proc *p, const char *why);

#endif
