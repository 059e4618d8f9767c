/* SPDX-License-Identifier: MIT */
/* deps — depends_on at run time (README "Dependencies"): a start waits until every dependency is
 * ready, starting the dependencies first; a stop waits until every dependent is stopped and
 * reaped, stopping the dependents first. Driven by state changes (sup's watch on every process
 * calls deps_on_change), never by polling. A config without depends_on never gets a waiter, and
 * then every call here is O(1). */
#ifndef CORRAL_DEPS_H
#define CORRAL_DEPS_H

#include <stdbool.h>
#include <stddef.h>

#include "shared/fault.h"
#include "shared/proc_state.h"

struct proc;

/* Whether p counts as up for its dependents: RUNNING, or a oneshot that EXITED with an expected
 * code. The one definition of "ready" (readiness probes plug in here). */
bool deps_ready(const struct proc *p);

/* Start p once its dependencies are ready (starting those not started yet). FAULT_OK when started
 * or waiting; a proc_start fault; FAULT_SPAWN_ERROR when a dependency is FATAL or missing (the
 * reason in p->spawnerr and deps_note). */
enum fault deps_start(struct proc *p);
/* Stop p once every process that depends on it is stopped (stopping those first). FAULT_OK when
 * stopped or waiting, else proc_stop's fault. */
enum fault deps_stop(struct proc *p);
/* p waits to be started. */
bool deps_waiting(const struct proc *p);
/* Drop p's waiting start or stop (and its note); before proc_free, on a stop of a waiting start. */
void deps_cancel(struct proc *p);
/* Drop every waiting start (shutdown, reload); waiting stops stay. */
void deps_cancel_starts(void);
/* "waiting for db", "dependency db is FATAL" (for status), or NULL. malloc'd. */
char *deps_note(const struct proc *p);
/* p changed state (sup's watch): waiting starts and stops that p holds up move on. */
void deps_on_change(struct proc *p, enum proc_state to);
/* sup's process table changed (all of it in procs): O(n), only then. */
void deps_table_changed(struct proc *const *procs, size_t n);

#endif
