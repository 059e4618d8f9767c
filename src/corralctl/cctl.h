/* SPDX-License-Identifier: MIT */
/* cctl — shared state of the native client: options, the per-command connection, the exit
 * status and the "exception" that a failed call raises (printed as supervisorctl prints Python
 * exceptions). main.c holds main, options, config and the shell; cctl_cmd.h lists the files of
 * the commands. Linked only into corralctl. */
#ifndef CORRAL_CCTL_H
#define CORRAL_CCTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "corralctl/cctl_http.h"

/* supervisorctl's exit statuses (LSB init / status conventions, compat F.1). */
enum {
        CCTL_EXIT_SUCCESS = 0,
        CCTL_EXIT_GENERIC = 1,
        CCTL_EXIT_INVALID_ARGS = 2,
        CCTL_EXIT_UNIMPLEMENTED = 3,      /* also status: a listed process is not running */
        CCTL_EXIT_INSUFFICIENT = 4,       /* also status: unknown name / cannot connect */
        CCTL_EXIT_NOT_INSTALLED = 5,
        CCTL_EXIT_NOT_RUNNING = 7,
};

struct cctl {
        char *serverurl;
        char *username, *password;      /* NULL: not set */
        char *prompt;
        bool interactive;
        bool json;
        struct cctl_client cli;           /* valid while cli_ok */
        bool cli_ok;
        int exitstatus;
        /* the pending "exception" of the current command */
        char *exc;                      /* text after "error: " */
        char *fault_string;             /* of the last call that returned a fault */
        bool exc_401;
        int exc_errno;                  /* socket error behind exc, else 0 */
        FILE *msg;                      /* where messages go (stderr while printing JSON) */
        volatile int stop;              /* set by SIGINT while catching */
        volatile int catching;          /* tail -f, fg and the prompt catch ^C; elsewhere it kills */
};

/* One process as status and pid use it (getProcessInfo's fields). The strings are borrowed from
 * the decoded reply that struct cctl_pinfos owns; a field the reply lacks reads "" or 0. */
struct cctl_pinfo {
        const char *name, *group, *statename, *description, *spawnerr, *stdout_logfile, *stderr_logfile;
        int64_t state, pid, start, stop, now, exitstatus;
};

struct cctl_pinfos {
        struct cctl_pinfo *v;
        size_t n;
        struct xr_value *xml;           /* owner of the strings (XML-RPC reply), or NULL */
        struct cctl_arena *arena;         /* owner of the strings (the decoded JSON reply), or NULL */
};
void cctl_pinfos_free(struct cctl_pinfos *p);

/* cctl_json.c: every process from corrald's GET /corral/v1/status, on the command's
 * connection, decoded with jansson. Returns true with *ret filled, or false (nothing printed, no
 * exception) when the caller must take the XML-RPC path: the server is supervisord (404), the
 * daemon is not RUNNING, the reply is not the document corrald sends (malformed JSON, no
 * "fields", a row that is not an array as long as "fields"…), any socket or HTTP error (XML-RPC
 * then reports it exactly as supervisorctl would), or CORRALCTL_NO_JSON is set to a value other
 * than "" and "0". */
bool cctl_json_status(struct cctl *c, struct cctl_pinfos *ret);

/* Run one command line as supervisorctl's Controller.onecmd does. Returns true when the shell
 * should stop (EOF/quit/exit). */
bool cctl_onecmd(struct cctl *c, const char *line);

/* Print message + "\n" to c->msg. */
void cctl_output(struct cctl *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Line from stdin without the newline (malloc'd), NULL at EOF. */
char *cctl_readline(const char *prompt);

#endif
