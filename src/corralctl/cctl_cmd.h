/* SPDX-License-Identifier: MIT */
/* cctl_cmd — supervisorctl's commands, one file per family: status (cctl_status.c), pid
 * (cctl_pid.c), start/stop/restart/signal/clear (cctl_proc.c), tail/maintail/fg (cctl_tail.c),
 * reread/update/add/remove/avail/reload/shutdown (cctl_config.c); the table, help and dispatch in
 * cctl_cmd.c. Each takes the text after the command's name and returns 0, -1 with an exception
 * raised (cctl_call.h), or 1 when the shell should stop. Internal to corralctl. */
#ifndef CORRAL_CCTL_CMD_H
#define CORRAL_CCTL_CMD_H

#include "corralctl/cctl.h"

/* The help text of a command to c->msg (nothing for an unknown one). */
void cctl_help_of(struct cctl *c, const char *name);

/* Every process: from corrald's JSON API when it answers, else as supervisorctl does it (upcheck,
 * then getAllProcessInfo). 1 with *ret filled; 0 when the upcheck printed why not (exit status
 * set); -1 with an exception raised. */
int cctl_all_process_info(struct cctl *c, struct cctl_pinfos *ret);

int cctl_do_status(struct cctl *c, const char *arg);
int cctl_do_pid(struct cctl *c, const char *arg);
int cctl_do_start(struct cctl *c, const char *arg);
int cctl_do_stop(struct cctl *c, const char *arg);
int cctl_do_restart(struct cctl *c, const char *arg);
int cctl_do_signal(struct cctl *c, const char *arg);
int cctl_do_clear(struct cctl *c, const char *arg);
int cctl_do_tail(struct cctl *c, const char *arg);
int cctl_do_maintail(struct cctl *c, const char *arg);
int cctl_do_fg(struct cctl *c, const char *arg);
int cctl_do_reread(struct cctl *c, const char *arg);
int cctl_do_update(struct cctl *c, const char *arg);
int cctl_do_add(struct cctl *c, const char *arg);
int cctl_do_remove(struct cctl *c, const char *arg);
int cctl_do_avail(struct cctl *c, const char *arg);
int cctl_do_reload(struct cctl *c, const char *arg);
int cctl_do_shutdown(struct cctl *c, const char *arg);

#endif
