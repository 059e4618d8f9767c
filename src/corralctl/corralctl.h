/* SPDX-License-Identifier: MIT */
/* corralctl — shared state of the native client: options, the per-command connection, the exit
 * status and the "exception" that a failed call raises (printed as supervisorctl prints Python
 * exceptions). corralctl.c holds main, options, config and the shell; corralctl_cmd.c the
 * commands. Linked only into corralctl. */
#ifndef CORRAL_CORRALCTL_H
#define CORRAL_CORRALCTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "corralctl/corralctl_http.h"

/* supervisorctl's exit statuses (LSB init / status conventions, compat F.1). */
enum {
        CC_EXIT_SUCCESS = 0,
        CC_EXIT_GENERIC = 1,
        CC_EXIT_INVALID_ARGS = 2,
        CC_EXIT_UNIMPLEMENTED = 3,      /* also status: a listed process is not running */
        CC_EXIT_INSUFFICIENT = 4,       /* also status: unknown name / cannot connect */
        CC_EXIT_NOT_INSTALLED = 5,
        CC_EXIT_NOT_RUNNING = 7,
};

struct ctl {
        char *serverurl;
        char *username, *password;      /* NULL: not set */
        char *prompt;
        bool interactive;
        bool json;
        struct cc_client cli;           /* valid while cli_ok */
        bool cli_ok;
        int exitstatus;
        /* the pending "exception" of the current command */
        char *exc;                      /* text after "error: " */
        bool exc_401;
        int exc_errno;                  /* socket error behind exc, else 0 */
        FILE *msg;                      /* where messages go (stderr while printing JSON) */
        volatile int stop;              /* set by SIGINT while catching */
        volatile int catching;          /* tail -f, fg and the prompt catch ^C; elsewhere it kills */
};

/* One process as status and pid use it (getProcessInfo's fields). The strings are borrowed from
 * the decoded reply that struct cc_pinfos owns; a field the reply lacks reads "" or 0. */
struct cc_pinfo {
        const char *name, *group, *statename, *description, *spawnerr, *stdout_logfile, *stderr_logfile;
        int64_t state, pid, start, stop, now, exitstatus;
};

struct cc_pinfos {
        struct cc_pinfo *v;
        size_t n;
        struct xr_value *xml;           /* owner of the strings (XML-RPC reply), or NULL */
        struct cc_arena *arena;         /* owner of the strings (the decoded JSON reply), or NULL */
};
void cc_pinfos_free(struct cc_pinfos *p);

/* corralctl_json.c: every process from corrald's GET /corral/v1/status, on the command's
 * connection, decoded with jansson. Returns true with *ret filled, or false (nothing printed, no
 * exception) when the caller must take the XML-RPC path: the server is supervisord (404), the
 * daemon is not RUNNING, the reply is not the document corrald sends (malformed JSON, no
 * "fields", a row that is not an array as long as "fields"…), any socket or HTTP error (XML-RPC
 * then reports it exactly as supervisorctl would), or CORRALCTL_NO_JSON is set to a value other
 * than "" and "0". */
bool ctl_json_status(struct ctl *c, struct cc_pinfos *ret);

/* Run one command line as supervisorctl's Controller.onecmd does. Returns true when the shell
 * should stop (EOF/quit/exit). */
bool ctl_onecmd(struct ctl *c, const char *line);

/* Print message + "\n" to c->msg. */
void ctl_output(struct ctl *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Line from stdin without the newline (malloc'd), NULL at EOF. */
char *ctl_readline(const char *prompt);

#endif
