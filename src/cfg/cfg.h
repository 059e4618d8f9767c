/* SPDX-License-Identifier: MIT */
/* cfg — a supervisord-format INI config (with its [include]s) turned into an immutable struct cfg.
 *
 * Pure: no loop, no fork, no logging, no global state besides inih's runtime knobs (set on every
 * load). Everything the daemon needs per process is fully expanded here (process names, command
 * argv, environment, log paths), so that the runtime never interprets config text.
 * Every problem is reported as a struct cfg_error naming file, line, section and key. */
#ifndef CORRAL_CFG_H
#define CORRAL_CFG_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum cfg_autorestart { CFG_AUTORESTART_NEVER, CFG_AUTORESTART_UNEXPECTED, CFG_AUTORESTART_ALWAYS };

/* corral extension: how the delay before a retry grows (README "Backoff"). */
enum cfg_backoff_kind { CFG_BACKOFF_EXPONENTIAL, CFG_BACKOFF_LINEAR };

/* startretries=infinite: never FATAL. */
#define CFG_STARTRETRIES_INFINITE INT32_MAX

/* The backoff keys of a program, in seconds (fractions allowed). */
struct cfg_backoff {
        enum cfg_backoff_kind kind;     /* exponential */
        double initial;                 /* 1: the first delay */
        double max;                     /* 60: no delay is longer */
        double factor;                  /* 2: exponential growth per attempt (linear ignores it) */
        double jitter;                  /* 0: up to this fraction of each delay is taken off at random */
        double reset;                   /* 60 (linear: 0): RUNNING this long forgets the past delays */
};

/* corral extension: when a started process counts as up (README "Readiness"). */
enum cfg_ready_kind {
        CFG_READY_STARTSECS,    /* no ready=: supervisord's rule (stayed up startsecs) */
        CFG_READY_NOTIFY,       /* sd_notify READY=1 on NOTIFY_SOCKET */
        CFG_READY_FD,           /* s6: a newline on fd N */
        CFG_READY_TCP,          /* a TCP connect to host:port succeeds */
        CFG_READY_EXEC,         /* /bin/sh -c command exits 0 */
        CFG_READY_HTTP,         /* GET http://host:port/path answers 2xx */
};

/* The readiness keys of a program (times in seconds, fractions allowed). */
struct cfg_ready {
        enum cfg_ready_kind kind;
        char *arg;                      /* TCP: host; EXEC: the command; HTTP: the whole URL; else NULL */
        int port;                       /* TCP */
        int fd;                         /* FD: the child's fd number (3..1023) */
        double timeout;                 /* ready_timeout, 60: not ready by then is a failed start */
        double interval;                /* ready_interval, 1: probes repeat this often */
        double watchdog;                /* watchdog_sec, 0 = off (notify only): WATCHDOG=1 due this often */
};

enum cfg_logkind {
        CFG_LOG_NONE,   /* NONE / OFF: no file */
        CFG_LOG_AUTO,   /* AUTO: a file in childlogdir, named by outlog at process creation */
        CFG_LOG_PATH,   /* a path (expanded, ~ expanded, absolute or relative to the cwd) */
};

/* One output channel of a process (stdout or stderr). */
struct cfg_log {
        enum cfg_logkind kind;
        char *path;                     /* CFG_LOG_PATH only, else NULL */
        off_t maxbytes;                 /* default 50MB; 0 = never rotate */
        int backups;                    /* default 10 */
        off_t capture_maxbytes;         /* default 0 */
        bool events_enabled;
        bool syslog;                    /* also "logfile=syslog" */
};

/* One process (a [program:x] with numprocs=N yields N of these), fully expanded. */
struct cfg_proc {
        char *name;                     /* process_name after expansion, e.g. "web_02" */
        char *group;                    /* owning group's name (same string as the group's) */
        char *program;                  /* the [program:x] name x */
        int process_num;
        char *command;                  /* expanded command text, as written */
        char **argv;                    /* split as shlex (POSIX) does; argv[0] as written */
        char *exec_path;                /* argv[0] resolved on PATH (opt->envp's, else /bin:/usr/bin:
                                           /usr/local/bin) at load time, or argv[0] itself when it has
                                           a '/' and exists; NULL if not found (the spawn then fails
                                           with "can't find command") */
        char **environment;             /* "K=V" from [supervisord] environment then the program's,
                                           NULL-terminated (the SUPERVISOR_* vars are added at spawn) */
        char *directory;                /* NULL: none */
        int umask;                      /* -1: inherit */
        char *user;                     /* NULL: none; else as written */
        bool has_uid;                   /* user resolved: uid/gid/groups below are valid */
        uid_t uid;
        gid_t gid;
        gid_t *groups;                  /* supplementary groups, resolved at load time */
        int ngroups;
        int priority;                   /* 999 */
        bool autostart;                 /* true */
        int startsecs;                  /* 1 */
        int startretries;               /* 3; CFG_STARTRETRIES_INFINITE for "infinite" */
        struct cfg_backoff backoff;     /* backoff, backoff_* */
        struct cfg_ready ready;         /* ready, ready_timeout, ready_interval, watchdog_sec */
        enum cfg_autorestart autorestart; /* unexpected */
        uint64_t exitcodes[4];          /* bitset of 0..255; default {0} */
        int stopsignal;                 /* SIGTERM */
        int stopwaitsecs;               /* 10 */
        bool stopasgroup;               /* false */
        bool killasgroup;               /* defaults to stopasgroup */
        bool redirect_stderr;           /* false */
        bool pdeathsig;                 /* corral extension "pdeathsig=" (default true): worker
                                           gets SIGKILL if corrald dies */
        struct cfg_log out, err;        /* stdout_*, stderr_* */
        char *serverurl;                /* NULL: AUTO (also for an empty value) */
        bool oneshot;                   /* corral extension "oneshot=" (default false): a task that
                                           runs to completion; ready (EXITED) on an expected code */
        char **depends_on;              /* corral extension "depends_on=": names as written ("db",
                                           "grp:*", "grp:proc"); NULL when absent */
        int depends_line;               /* the depends_on key's line in file, for messages */
        struct cfg_proc **deps;         /* depends_on resolved (cfg_deps.c): borrowed pointers into
                                           the same cfg, no duplicates; NULL when ndeps is 0 */
        size_t ndeps;
        size_t seq;                     /* position in cfg_start_order's order, for graph walks */
        /* where it was defined, for messages */
        char *file;
        int line;
};

static inline bool
cfg_exitcode_expected(const struct cfg_proc *p, int code)
{
        return code >= 0 && code < 256 && (p->exitcodes[code / 64] >> (code % 64)) & 1;
}

struct cfg_group {
        char *name;
        int priority;                   /* [group:x] priority, or the program's for a lone program */
        bool explicit_group;            /* came from a [group:x] section */
        struct cfg_proc **procs;        /* sorted by (priority, name); never NULL */
        size_t nprocs;                  /* 0 with numprocs=0 (legal, as in supervisord) */
};

struct cfg_supervisord {
        char *logfile;                  /* "supervisord.log"; NULL for NONE; "syslog" literal */
        off_t logfile_maxbytes;         /* 50MB */
        int logfile_backups;            /* 10 */
        char *loglevel;                 /* "info" (validated) */
        char *pidfile;                  /* "supervisord.pid"; NULL for none */
        int umask;                      /* 022 */
        bool nodaemon, silent, nocleanup, strip_ansi;
        long minfds, minprocs;          /* 1024, 200 */
        char *childlogdir;              /* $TMPDIR or /tmp */
        char *user;                     /* NULL: none */
        char *directory;                /* NULL: none */
        char **environment;             /* "K=V", NULL-terminated, never NULL itself */
        char *identifier;               /* "supervisor" */
};

struct cfg_server_auth {
        char *username;                 /* NULL: no auth */
        char *password;                 /* plain, or "{SHA}" + lowercase hex */
};

struct cfg_unix_server {
        bool enabled;
        char *file;                     /* absolute path */
        mode_t chmod;                   /* 0700 */
        bool has_chown;
        uid_t chown_uid;
        gid_t chown_gid;
        struct cfg_server_auth auth;
};

struct cfg_inet_server {
        bool enabled;
        char *host;                     /* "" or "*" = all interfaces */
        int port;
        struct cfg_server_auth auth;
};

struct cfg_supervisorctl {
        bool present;
        char *serverurl;                /* "http://localhost:9001"; unix:// paths made absolute */
        char *username, *password;
        char *prompt;                   /* "supervisor" */
        char *history_file;
};

struct cfg {
        char *path;                     /* absolute path of the main file */
        char *here;                     /* its directory */
        struct cfg_supervisord sd;
        struct cfg_unix_server unix_server;
        struct cfg_inet_server inet_server;
        struct cfg_supervisorctl ctl;
        bool rpcinterface_supervisor;   /* an [rpcinterface:x] naming supervisor's main interface */
        struct cfg_group **groups;      /* sorted by (priority, name): start order */
        size_t ngroups;
        struct cfg_group **groups_by_name; /* the same groups sorted by name (cfg_find_group) */
        char **included;                /* files read through [include], in order */
        char **warnings;                /* unknown keys, includes that matched nothing, ... */
        size_t nwarnings;
};

struct cfg_error {
        char *file;                     /* NULL when not tied to a file (e.g. no config found) */
        int line;                       /* 0 when unknown */
        char *section;                  /* NULL when none */
        char *key;                      /* NULL when none */
        char *msg;
        char *text;                     /* "file:line: [section] key: msg", ready to print */
};

struct cfg_errors {
        struct cfg_error *v;
        size_t n;
        char **warnings;                /* when the load failed: its warnings too (NULL-terminated or
                                           NULL), for --check-config; freed by cfg_errors_clear */
        size_t nwarnings;
};

struct cfg_load_options {
        const char *path;               /* the main config file */
        char *const *envp;              /* for %(ENV_X)s and PATH lookup; NULL: environ */
        const char *hostname;           /* %(host_node_name)s; NULL: uname's nodename */
        bool resolve_users;             /* look up user= names (getpwnam); false in pure tests */
        bool check_logdirs;             /* a log path's directory must exist (supervisord does) */
        bool client;                    /* supervisorctl's reading (ClientOptions): the main file's
                                           INI syntax and its [supervisorctl] only; no [include], no
                                           other section built or checked. For corralctl. */
};

/* Load and validate. Returns the config, or NULL with every error found appended to *errs
 * (and the warnings in errs->warnings). Warnings (unknown keys, includes matching nothing) are
 * in cfg->warnings on success. With opt->client, only path, here and ctl are filled (ctl.present
 * says whether the file has a [supervisorctl] section): a config the daemon would reject for its
 * programs still serves the client, as it does supervisorctl. */
struct cfg *cfg_load(const struct cfg_load_options *opt, struct cfg_errors *errs);
/* Same, from a string (the "file" is named by opt->path, which need not exist; includes are
 * resolved relative to its directory). For tests. */
struct cfg *cfg_load_string(const char *text, const struct cfg_load_options *opt, struct cfg_errors *errs);

struct cfg *cfg_free(struct cfg *cfg);          /* accepts NULL, returns NULL */
void cfg_errors_clear(struct cfg_errors *errs);

/* SUPERVISOR_SERVER_URL for children: "unix:///abs/path" (the unix server wins), else
 * "http://host:port" ("localhost" for all interfaces), or NULL without a server. malloc'd. */
char *cfg_server_url(const struct cfg *cfg);

/* O(log n). NULL cfg or unknown name: NULL. */
const struct cfg_group *cfg_find_group(const struct cfg *cfg, const char *name);

/* Every process of cfg in start order (README "Dependencies"): each after all its depends_on, and
 * otherwise in (group priority, group name, process priority, name) order, the order without
 * dependencies. The stop order is its reverse. Borrowed pointers, *ret_n of them; free() the array. */
struct cfg_proc **cfg_start_order(const struct cfg *cfg, size_t *ret_n);

/* Two groups have the same configuration (supervisord's reloadConfig "changed" test):
 * group priority and every field of every process. */
bool cfg_group_equal(const struct cfg_group *a, const struct cfg_group *b);

/* Config diff by group name, for reloadConfig. Arrays of borrowed names (from new for added and
 * changed, from old for removed), each sorted; free the arrays (not the names) with free(). */
struct cfg_diff {
        const char **added, **changed, **removed;
        size_t nadded, nchanged, nremoved;
};
void cfg_diff(const struct cfg *old, const struct cfg *new, struct cfg_diff *ret);
void cfg_diff_free(struct cfg_diff *d);

/* Value parsers (cfg_value.c), exposed for the client and tests. 0 or -EINVAL. */
int cfg_parse_bool(const char *s, bool *ret);
int cfg_parse_bytes(const char *s, off_t *ret);
int cfg_parse_octal(const char *s, int *ret);
int cfg_parse_signal(const char *s, int *ret);          /* "TERM", "sigterm", "15" (names: shared/signame.h) */
int cfg_parse_exitcodes(const char *s, uint64_t ret[4]);
/* A plain decimal number of seconds ("2", "0.5", " 1.25 "): no sign, exponent, hex, inf or nan.
 * 0 or -EINVAL. */
int cfg_parse_seconds(const char *s, double *ret);
/* supervisord's environment tokenizer (compat A.2): "K=v,K2=\"x,y\"" → "K=V" vector. */
int cfg_parse_environment(const char *s, char ***ret, char **ret_msg);
/* POSIX shell-like split (shlex.split): quotes, backslashes, no expansion. */
int cfg_split_command(const char *s, char ***ret, char **ret_msg);

#endif
