/* SPDX-License-Identifier: MIT */
/* proc — STUB. Replaced by the process-runtime work (issue 2). */
#include "proc.h"

#include <stdlib.h>

#include "util.h"

void proc_setup(const struct proc_env *env) { (void)env; }
void proc_set_autorestart(bool allowed) { (void)allowed; }
struct proc *proc_new(const struct cfg_proc *cfg, struct proc_group *group)
{ struct proc *p = xcalloc(1, sizeof *p); p->cfg = cfg; p->group = group; return p; }
struct proc *proc_free(struct proc *p) { free(p); return NULL; }
enum fault proc_start(struct proc *p) { (void)p; return FAULT_FAILED; }
enum fault proc_stop(struct proc *p) { (void)p; return FAULT_NOT_RUNNING; }
enum fault proc_signal(struct proc *p, int sig) { (void)p; (void)sig; return FAULT_NOT_RUNNING; }
struct proc *proc_by_pid(pid_t pid) { (void)pid; return NULL; }
void proc_watch_add(struct proc *p, struct proc_watch *w) { (void)p; (void)w; }
void proc_watch_remove(struct proc_watch *w) { (void)w; }
char *proc_namespec(const struct proc *p) { (void)p; return xstrdup("stub"); }
char *proc_description(const struct proc *p, double now) { (void)p; (void)now; return xstrdup(""); }
