/* SPDX-License-Identifier: MIT */
/* sig — the daemon's signals as ev_signal watchers on the default loop:
 *   SIGTERM, SIGINT, SIGQUIT  graceful shutdown (sup_shutdown)
 *   SIGHUP                    reload in place, same pid (sup_restart); a config that does not
 *                             parse is logged and the old one stays in force
 *   SIGUSR2                   reopen the main log and every child log (sup_reopen_logs)
 * After the loop ends sig_fini ignores them all, so a late SIGTERM cannot spoil exit status 0.
 * SIGCHLD belongs to libev (proc.c's catch-all ev_child); SIGPIPE is ignored by main. */
#ifndef CORRAL_SIG_H
#define CORRAL_SIG_H

struct ev_loop;

void sig_init(struct ev_loop *loop);
void sig_fini(void);

#endif
