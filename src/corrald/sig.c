/* SPDX-License-Identifier: MIT */
/* sig — TERM/INT/QUIT → shutdown, HUP → reload, USR2 → reopen logs. */
#include "corrald/sig.h"

#include <ev.h>
#include <signal.h>
#include <stdlib.h>

#include "core/log.h"
#include "core/sup.h"
#include "shared/signame.h"
#include "shared/util.h"

static struct ev_loop *sig_loop;
static ev_signal watchers[5];
static const int signals[5] = { SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR2 };

static void
sig_on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
        (void)loop;
        (void)revents;
        const char *name = signame(w->signum);

        switch (w->signum) {
        case SIGTERM:
        case SIGINT:
        case SIGQUIT:
                log_warn("received %s indicating exit request", name);
                sup_shutdown();
                break;
        case SIGHUP: {
                if (sup_mood() != SUP_RUNNING) {
                        log_warn("ignored %s indicating restart request (shutdown in progress)", name);
                        break;
                }
                log_warn("received %s indicating restart request", name);
                char *err = NULL;
                enum fault f = sup_restart(&err);
                if (f != FAULT_OK)
                        log_error("restart request refused: %s, keeping old config",
                                  err ? err : fault_name(f));
                free(err);
                break;
        }
        case SIGUSR2:
                log_info("received %s indicating log reopen request", name);
                sup_reopen_logs();
                break;
        default:
                log_error("can't happen: unexpected signal %d", w->signum);
        }
}

void
sig_init(struct ev_loop *loop)
{
        sig_loop = loop;
        for (size_t i = 0; i < ARRAY_SIZE(signals); i++) {
                ev_signal_init(&watchers[i], sig_on_signal, signals[i]);
                ev_signal_start(loop, &watchers[i]);
        }
}

void
sig_fini(void)
{
        if (!sig_loop)
                return;
        /* The loop has ended: we are already exiting. A second SIGTERM (systemd sends
         * one when a stop times out) must not turn a clean exit into "killed by
         * signal", so from here on these signals are ignored rather than defaulted. */
        for (size_t i = 0; i < ARRAY_SIZE(signals); i++) {
                ev_signal_stop(sig_loop, &watchers[i]);
                signal(signals[i], SIG_IGN);
        }
        sig_loop = NULL;
}
