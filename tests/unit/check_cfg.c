/* SPDX-License-Identifier: MIT */
/* Unit tests for cfg: the INI dialect, sections and keys, includes, errors with their exact
 * file/line/section/key, groups, numprocs naming, ordering and cfg_diff. */
#include "cfg/cfg.h"
#include "shared/confpath.h"
#include "shared/util.h"
#include "unit.h"

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[64];
static char *test_env[] = { "PATH=/usr/bin:/bin", "HOME=/home/tester", "FOO=bar", "TMPDIR=/var/tmp", NULL };

static void
setup(void)
{
        strcpy(tmpdir, "/tmp/check_cfg.XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
teardown(void)
{
        char *cmd = xasprintf("rm -rf '%s'", tmpdir);
        ck_assert_int_eq(system(cmd), 0);
        free(cmd);
}

static char *
path_in(const char *name)
{
        return xasprintf("%s/%s", tmpdir, name);
}

static void
write_file(const char *name, const char *text)
{
        char *p = path_in(name);
        char *slash = strrchr(p, '/');
        *slash = '\0';
        mkdir(p, 0755);
        *slash = '/';
        FILE *f = fopen(p, "w");
        ck_assert_ptr_nonnull(f);
        fputs(text, f);
        fclose(f);
        free(p);
}

static struct cfg_load_options
opts(const char *path)
{
        return (struct cfg_load_options){
                .path = path, .envp = test_env, .hostname = "node1", .resolve_users = false,
        };
}

/* Loads text as tmpdir/main.conf; the config must be valid. */
static struct cfg *
load_ok(const char *text)
{
        char *p = path_in("main.conf");
        struct cfg_load_options o = opts(p);
        struct cfg_errors e = { 0 };
        struct cfg *cfg = cfg_load_string(text, &o, &e);
        if (!cfg)
                ck_abort_msg("load failed: %s", e.n ? e.v[0].text : "(no error)");
        ck_assert_int_eq(e.n, 0);
        free(p);
        return cfg;
}

/* Loads text; it must fail; returns the errors. */
static struct cfg_errors
load_bad(const char *text)
{
        char *p = path_in("main.conf");
        struct cfg_load_options o = opts(p);
        struct cfg_errors e = { 0 };
        struct cfg *cfg = cfg_load_string(text, &o, &e);
        ck_assert_msg(cfg == NULL, "load should have failed");
        ck_assert_uint_ge(e.n, 1);
        free(p);
        return e;
}

/* The one error of a bad text: file main.conf, line, section, key (NULL: none) and a message part. */
static void
expect_error(const char *text, int line, const char *section, const char *key, const char *msgpart)
{
        struct cfg_errors e = load_bad(text);
        ck_assert_msg(e.n == 1, "want 1 error, got %zu (first: %s)", e.n, e.v[0].text);
        char *p = path_in("main.conf");
        ck_assert_str_eq(e.v[0].file, p);
        ck_assert_int_eq(e.v[0].line, line);
        if (section)
                ck_assert_str_eq(e.v[0].section, section);
        else
                ck_assert_ptr_null(e.v[0].section);
        if (key)
                ck_assert_str_eq(e.v[0].key, key);
        else
                ck_assert_ptr_null(e.v[0].key);
        ck_assert_msg(strstr(e.v[0].msg, msgpart), "'%s' lacks '%s'", e.v[0].msg, msgpart);
        ck_assert_msg(!strncmp(e.v[0].text, p, strlen(p)), "text '%s'", e.v[0].text);
        free(p);
        cfg_errors_clear(&e);
}

static const struct cfg_proc *
find_proc(const struct cfg *cfg, const char *group, const char *name)
{
        const struct cfg_group *g = cfg_find_group(cfg, group);
        for (size_t i = 0; g && i < g->nprocs; i++)
                if (!strcmp(g->procs[i]->name, name))
                        return g->procs[i];
        return NULL;
}

#define SD "[supervisord]\n"

/* --- core ------------------------------------------------------------------------------------- */

START_TEST(test_defaults)
{
        struct cfg *cfg = load_ok(SD "[program:web]\ncommand=sleep 1000\n");
        ck_assert_str_eq(cfg->sd.logfile, "supervisord.log");
        ck_assert_int_eq(cfg->sd.logfile_maxbytes, 50 * 1024 * 1024);
        ck_assert_int_eq(cfg->sd.logfile_backups, 10);
        ck_assert_str_eq(cfg->sd.loglevel, "info");
        ck_assert_str_eq(cfg->sd.pidfile, "supervisord.pid");
        ck_assert_int_eq(cfg->sd.umask, 022);
        ck_assert(!cfg->sd.nodaemon);
        ck_assert_int_eq(cfg->sd.minfds, 1024);
        ck_assert_int_eq(cfg->sd.minprocs, 200);
        ck_assert_str_eq(cfg->sd.childlogdir, "/var/tmp");
        ck_assert_str_eq(cfg->sd.identifier, "supervisor");
        ck_assert_ptr_nonnull(cfg->sd.environment);
        ck_assert_ptr_null(cfg->sd.environment[0]);
        ck_assert(!cfg->unix_server.enabled);
        ck_assert(!cfg->inet_server.enabled);
        ck_assert(!cfg->ctl.present);
        ck_assert_str_eq(cfg->ctl.serverurl, "http://localhost:9001");
        ck_assert(!cfg->rpcinterface_supervisor);
        ck_assert_ptr_nonnull(cfg->included);
        ck_assert_ptr_null(cfg->included[0]);
        ck_assert_int_eq(cfg->ngroups, 1);
        const struct cfg_group *g = cfg->groups[0];
        ck_assert_str_eq(g->name, "web");
        ck_assert(!g->explicit_group);
        ck_assert_int_eq(g->priority, 999);
        ck_assert_int_eq(g->nprocs, 1);
        const struct cfg_proc *p = g->procs[0];
        ck_assert_str_eq(p->name, "web");
        ck_assert_str_eq(p->group, "web");
        ck_assert_str_eq(p->program, "web");
        ck_assert_int_eq(p->process_num, 0);
        ck_assert_str_eq(p->command, "sleep 1000");
        ck_assert_str_eq(p->argv[0], "sleep");
        ck_assert_str_eq(p->argv[1], "1000");
        ck_assert_ptr_null(p->argv[2]);
        ck_assert_str_eq(p->exec_path, "/usr/bin/sleep");
        ck_assert_ptr_null(p->directory);
        ck_assert_int_eq(p->umask, -1);
        ck_assert_ptr_null(p->user);
        ck_assert(!p->has_uid);
        ck_assert_int_eq(p->priority, 999);
        ck_assert(p->autostart);
        ck_assert_int_eq(p->startsecs, 1);
        ck_assert_int_eq(p->startretries, 3);
        ck_assert_int_eq(p->autorestart, CFG_AUTORESTART_UNEXPECTED);
        ck_assert(cfg_exitcode_expected(p, 0));
        ck_assert(!cfg_exitcode_expected(p, 1));
        ck_assert_int_eq(p->stopsignal, SIGTERM);
        ck_assert_int_eq(p->stopwaitsecs, 10);
        ck_assert(!p->stopasgroup && !p->killasgroup && !p->redirect_stderr);
        ck_assert(p->pdeathsig);
        ck_assert_int_eq(p->out.kind, CFG_LOG_AUTO);
        ck_assert_int_eq(p->err.kind, CFG_LOG_AUTO);
        ck_assert_int_eq(p->out.maxbytes, 50 * 1024 * 1024);
        ck_assert_int_eq(p->out.backups, 10);
        ck_assert_int_eq(p->out.capture_maxbytes, 0);
        ck_assert(!p->out.events_enabled && !p->out.syslog);
        ck_assert_ptr_null(p->serverurl);
        ck_assert_ptr_nonnull(p->environment);
        ck_assert_ptr_null(p->environment[0]);
        ck_assert_int_eq(p->line, 2);
        ck_assert_int_eq(cfg->nwarnings, 0);
        cfg_free(cfg);
}
END_TEST

START_TEST(test_program_keys)
{
        struct cfg *cfg = load_ok(SD
                "environment=GLOBAL=1,SHARED=sd\n"
                "[program:w]\n"
                "command=/bin/sh -c 'exec sleep 1'\n"
                "priority=5\nautostart=false\nstartsecs=0\nstartretries=7\nautorestart=true\n"
                "exitcodes=0,2\nstopsignal=KILL\nstopwaitsecs=3\nstopasgroup=true\n"
                "redirect_stderr=true\nstdout_logfile=%(here)s/out.log\nstdout_logfile_maxbytes=1KB\n"
                "stdout_logfile_backups=0\nstdout_capture_maxbytes=1MB\nstdout_events_enabled=1\n"
                "stderr_logfile=NONE\nenvironment=SHARED=prog,P=\"a,b\"\ndirectory=/tmp\numask=002\n"
                "serverurl=AUTO\npdeathsig=false\nuser=nobody\n");
        const struct cfg_proc *p = find_proc(cfg, "w", "w");
        ck_assert_ptr_nonnull(p);
        ck_assert_int_eq(p->priority, 5);
        ck_assert_int_eq(cfg->groups[0]->priority, 5);
        ck_assert(!p->autostart);
        ck_assert_int_eq(p->startsecs, 0);
        ck_assert_int_eq(p->startretries, 7);
        ck_assert_int_eq(p->autorestart, CFG_AUTORESTART_ALWAYS);
        ck_assert(cfg_exitcode_expected(p, 2) && !cfg_exitcode_expected(p, 1));
        ck_assert_int_eq(p->stopsignal, SIGKILL);
        ck_assert_int_eq(p->stopwaitsecs, 3);
        ck_assert(p->stopasgroup && p->killasgroup);
        ck_assert(p->redirect_stderr);
        char *want = path_in("out.log");
        ck_assert_int_eq(p->out.kind, CFG_LOG_PATH);
        ck_assert_str_eq(p->out.path, want);
        free(want);
        ck_assert_int_eq(p->out.maxbytes, 1024);
        ck_assert_int_eq(p->out.backups, 0);
        ck_assert_int_eq(p->out.capture_maxbytes, 1048576);
        ck_assert(p->out.events_enabled);
        ck_assert_int_eq(p->err.kind, CFG_LOG_NONE);
        ck_assert_str_eq(p->argv[2], "exec sleep 1");
        ck_assert_str_eq(p->exec_path, "/bin/sh");
        ck_assert_str_eq(p->environment[0], "GLOBAL=1");
        ck_assert_str_eq(p->environment[1], "SHARED=prog");
        ck_assert_str_eq(p->environment[2], "P=a,b");
        ck_assert_ptr_null(p->environment[3]);
        ck_assert_str_eq(p->directory, "/tmp");
        ck_assert_int_eq(p->umask, 002);
        ck_assert_ptr_null(p->serverurl);
        ck_assert(!p->pdeathsig);
        ck_assert_str_eq(p->user, "nobody");
        ck_assert(!p->has_uid);         /* resolve_users is off */
        cfg_free(cfg);
}
END_TEST

START_TEST(test_backoff_keys)
{
        struct cfg *cfg = load_ok(SD "[program:d]\ncommand=x\n"
                                  "[program:e]\ncommand=x\nbackoff=Exponential\nbackoff_initial=0.25\n"
                                  "backoff_max=7.5\nbackoff_factor=1.5\nbackoff_jitter=0.3\nbackoff_reset=0\n"
                                  "startretries=infinite\n"
                                  "[program:l]\ncommand=x\nbackoff = linear \nstartretries=0\n"
                                  "[program:r]\ncommand=x\nbackoff=linear\nbackoff_reset=30\n");
        const struct cfg_proc *d = find_proc(cfg, "d", "d"), *e = find_proc(cfg, "e", "e");
        const struct cfg_proc *l = find_proc(cfg, "l", "l"), *r = find_proc(cfg, "r", "r");
        ck_assert_ptr_nonnull(d);
        ck_assert_int_eq(d->backoff.kind, CFG_BACKOFF_EXPONENTIAL);
        ck_assert_double_eq(d->backoff.initial, 1);
        ck_assert_double_eq(d->backoff.max, 60);
        ck_assert_double_eq(d->backoff.factor, 2);
        ck_assert_double_eq(d->backoff.jitter, 0);
        ck_assert_double_eq(d->backoff.reset, 60);
        ck_assert_int_eq(d->startretries, 3);
        ck_assert_int_eq(e->backoff.kind, CFG_BACKOFF_EXPONENTIAL);
        ck_assert_double_eq(e->backoff.initial, 0.25);
        ck_assert_double_eq(e->backoff.max, 7.5);
        ck_assert_double_eq(e->backoff.factor, 1.5);
        ck_assert_double_eq(e->backoff.jitter, 0.3);
        ck_assert_double_eq(e->backoff.reset, 0);
        ck_assert_int_eq(e->startretries, CFG_STARTRETRIES_INFINITE);
        /* linear is supervisord's timing: reaching RUNNING forgets the delays unless told otherwise */
        ck_assert_int_eq(l->backoff.kind, CFG_BACKOFF_LINEAR);
        ck_assert_double_eq(l->backoff.reset, 0);
        ck_assert_int_eq(l->startretries, 0);
        ck_assert_double_eq(r->backoff.reset, 30);
        cfg_free(cfg);
}
END_TEST

START_TEST(test_ready_keys)
{
        struct cfg *cfg = load_ok(SD "[program:d]\ncommand=x\n"
                                  "[program:n]\ncommand=x\nready = Notify \nready_timeout=2.5\n"
                                  "ready_interval=0.25\nwatchdog_sec=3\n"
                                  "[program:f]\ncommand=x\nready=fd:3\n"
                                  "[program:t]\ncommand=x\nready=tcp:127.0.0.1:8080\n"
                                  "[program:t6]\ncommand=x\nready=tcp:[::1]:9\n"
                                  "[program:e]\ncommand=x\nready=exec: test -e /tmp/x \n"
                                  "[program:h]\ncommand=x\nready=http://localhost:8000/health\n");
        const struct cfg_proc *d = find_proc(cfg, "d", "d"), *n = find_proc(cfg, "n", "n");
        const struct cfg_proc *f = find_proc(cfg, "f", "f"), *t = find_proc(cfg, "t", "t");
        const struct cfg_proc *t6 = find_proc(cfg, "t6", "t6"), *e = find_proc(cfg, "e", "e");
        const struct cfg_proc *h = find_proc(cfg, "h", "h");
        ck_assert_int_eq(d->ready.kind, CFG_READY_STARTSECS);
        ck_assert_ptr_null(d->ready.arg);
        ck_assert_double_eq(d->ready.timeout, 60);
        ck_assert_double_eq(d->ready.interval, 1);
        ck_assert_double_eq(d->ready.watchdog, 0);
        ck_assert_int_eq(n->ready.kind, CFG_READY_NOTIFY);
        ck_assert_double_eq(n->ready.timeout, 2.5);
        ck_assert_double_eq(n->ready.interval, 0.25);
        ck_assert_double_eq(n->ready.watchdog, 3);
        ck_assert_int_eq(f->ready.kind, CFG_READY_FD);
        ck_assert_int_eq(f->ready.fd, 3);
        ck_assert_int_eq(t->ready.kind, CFG_READY_TCP);
        ck_assert_str_eq(t->ready.arg, "127.0.0.1");
        ck_assert_int_eq(t->ready.port, 8080);
        ck_assert_str_eq(t6->ready.arg, "::1");
        ck_assert_int_eq(t6->ready.port, 9);
        ck_assert_int_eq(e->ready.kind, CFG_READY_EXEC);
        ck_assert_str_eq(e->ready.arg, "test -e /tmp/x");
        ck_assert_int_eq(h->ready.kind, CFG_READY_HTTP);
        ck_assert_str_eq(h->ready.arg, "http://localhost:8000/health");
        ck_assert_int_eq(h->ready.port, 8000);
        cfg_free(cfg);
}
END_TEST

START_TEST(test_logfile_kinds)
{
        struct cfg *cfg = load_ok(SD "[program:a]\ncommand=x\nstdout_logfile=OFF\nstderr_logfile=syslog\n"
                                  "[program:b]\ncommand=x\nstdout_logfile=auto\nstderr_logfile=~/b.err\n"
                                  "stdout_syslog=true\nstderr_logfile_maxbytes=0\nstdout_logfile_maxbytes=0\n"
                                  "[program:c]\ncommand=x\nstdout_logfile=none\nstderr_logfile=rel/c.err\n");
        const struct cfg_proc *a = find_proc(cfg, "a", "a"), *b = find_proc(cfg, "b", "b"),
                              *c = find_proc(cfg, "c", "c");
        ck_assert_int_eq(a->out.kind, CFG_LOG_NONE);
        ck_assert(!a->out.syslog);
        ck_assert_int_eq(a->err.kind, CFG_LOG_NONE);   /* logfile=syslog: no file, syslog on */
        ck_assert(a->err.syslog);
        ck_assert_ptr_null(a->err.path);
        ck_assert_int_eq(b->out.kind, CFG_LOG_AUTO);
        ck_assert(b->out.syslog);
        ck_assert_int_eq(b->err.kind, CFG_LOG_PATH);
        ck_assert_str_eq(b->err.path, "/home/tester/b.err");
        ck_assert_int_eq(b->err.maxbytes, 0);
        ck_assert_int_eq(c->out.kind, CFG_LOG_NONE);
        ck_assert_str_eq(c->err.path, "rel/c.err");    /* relative to the cwd, as supervisord */
        /* AUTO without rollover is warned about (stdout of b only: its stderr is a path) */
        ck_assert_int_eq(cfg->nwarnings, 1);
        ck_assert_ptr_nonnull(strstr(cfg->warnings[0], "[program:b] stdout_logfile_maxbytes: AUTO logging"));
        cfg_free(cfg);
}
END_TEST

START_TEST(test_servers)
{
        struct cfg *cfg = load_ok(SD
                "[unix_http_server]\nfile=%(here)s/sub/../corral.sock\nchmod=0770\nusername=u\npassword={SHA}ab\n"
                "[inet_http_server]\nport=127.0.0.1:9002\nusername=i\npassword=p\n"
                "[supervisorctl]\nserverurl=unix://%(here)s/./corral.sock\nprompt=corral\n"
                "[rpcinterface:supervisor]\n"
                "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n");
        char *sock = path_in("corral.sock");
        ck_assert(cfg->unix_server.enabled);
        ck_assert_str_eq(cfg->unix_server.file, sock);
        ck_assert_int_eq(cfg->unix_server.chmod, 0770);
        ck_assert(!cfg->unix_server.has_chown);
        ck_assert_str_eq(cfg->unix_server.auth.username, "u");
        ck_assert_str_eq(cfg->unix_server.auth.password, "{SHA}ab");
        ck_assert(cfg->inet_server.enabled);
        ck_assert_str_eq(cfg->inet_server.host, "127.0.0.1");
        ck_assert_int_eq(cfg->inet_server.port, 9002);
        ck_assert_str_eq(cfg->inet_server.auth.username, "i");
        ck_assert(cfg->ctl.present);
        char *url = xasprintf("unix://%s", sock);
        ck_assert_str_eq(cfg->ctl.serverurl, url);
        ck_assert_str_eq(cfg->ctl.prompt, "corral");
        ck_assert(cfg->rpcinterface_supervisor);
        ck_assert_int_eq(cfg->ngroups, 0);
        free(url);
        free(sock);
        cfg_free(cfg);

        cfg = load_ok(SD "[inet_http_server]\nport=9001\nusername=u\npassword=p\n"
                      "[unix_http_server]\nfile=rel.sock\n[supervisorctl]\n");
        ck_assert_str_eq(cfg->inet_server.host, "");
        ck_assert_int_eq(cfg->inet_server.port, 9001);
        ck_assert_int_eq(cfg->unix_server.chmod, 0700);
        ck_assert(cfg->unix_server.file[0] == '/');
        ck_assert(cfg->ctl.present);    /* an empty section is still present */
        cfg_free(cfg);
        cfg = load_ok(SD "[program:caf\xc3\xa9]\ncommand=x\n");   /* UTF-8 names are fine */
        cfg_free(cfg);
        cfg = load_ok(SD "[inet_http_server]\nport=localhost:9001\n");
        cfg_free(cfg);
        cfg = load_ok(SD "[inet_http_server]\nport=127.0.0.1:9001\n");
        cfg_free(cfg);
}
END_TEST

START_TEST(test_supervisord_keys)
{
        struct cfg *cfg = load_ok("[supervisord]\nlogfile=NONE\nloglevel=DEBUG\npidfile=/run/x.pid\numask=077\n"
                                  "nodaemon=true\nminfds=4096\nchildlogdir=~/logs\nidentifier=me\n"
                                  "environment=A=\"1\",B=%(ENV_FOO)s\n"
                                  "[program:p]\ncommand=x %(ENV_A)s %(ENV_B)s\n");
        ck_assert_ptr_null(cfg->sd.logfile);
        ck_assert_str_eq(cfg->sd.loglevel, "debug");
        ck_assert_str_eq(cfg->sd.pidfile, "/run/x.pid");
        ck_assert_int_eq(cfg->sd.umask, 077);
        ck_assert(cfg->sd.nodaemon);
        ck_assert_int_eq(cfg->sd.minfds, 4096);
        ck_assert_str_eq(cfg->sd.childlogdir, "/home/tester/logs");
        ck_assert_str_eq(cfg->sd.identifier, "me");
        ck_assert_str_eq(cfg->sd.environment[0], "A=1");
        ck_assert_str_eq(cfg->sd.environment[1], "B=bar");
        const struct cfg_proc *p = cfg->groups[0]->procs[0];
        ck_assert_str_eq(p->command, "x 1 bar");
        ck_assert_ptr_null(p->exec_path);       /* not on PATH: not a config error */
        cfg_free(cfg);
        cfg = load_ok("[supervisord]\nlogfile=syslog\n");
        ck_assert_str_eq(cfg->sd.logfile, "syslog");
        cfg_free(cfg);
}
END_TEST

/* --- the INI dialect -------------------------------------------------------------------------- */

START_TEST(test_dialect)
{
        struct cfg *cfg = load_ok(
                "; comment\n# comment\n"
                "[supervisord]\n"
                "[program:a]\n"
                "Command = /bin/echo one ; inline\n"       /* keys lower-cased, inline comment */
                "  two ; comment on a continuation\n"
                "  ; a comment line inside\n"
                "\n"
                "  three#not a comment\n"
                "directory: /tmp;x\n"                      /* ':' separator, ';' without space */
                "autostart=false #c\n"
                "[program:a]\n"                            /* merged, last key wins */
                "startsecs=5\nstartsecs=6\n");
        ck_assert_int_eq(cfg->ngroups, 1);
        const struct cfg_proc *p = cfg->groups[0]->procs[0];
        ck_assert_str_eq(p->command, "/bin/echo one\ntwo\n\nthree#not a comment");
        ck_assert_str_eq(p->argv[3], "three#not");
        ck_assert_str_eq(p->directory, "/tmp;x");
        ck_assert(!p->autostart);
        ck_assert_int_eq(p->startsecs, 6);
        cfg_free(cfg);
}
END_TEST

START_TEST(test_dialect_edges)
{
        /* BOM accepted, CRLF line ends, keys indented at the same level are keys (configparser),
         * deeper ones continue, an indented [x] after a key is value text, a section header with a
         * comment, `key=` is empty, spaces kept inside section names */
        struct cfg *cfg = load_ok("\xef\xbb\xbf[supervisord]\r\nidentifier=a\r\n"
                                  "[program:q] ; comment\n"
                                  "  command=/bin/q\n"
                                  "  directory=/q\n"
                                  "environment=A=1,\n"
                                  "    B=2\n"
                                  "note=x\n"
                                  "    [program:notasection]\n"
                                  "serverurl=\n");
        ck_assert_str_eq(cfg->sd.identifier, "a");
        ck_assert_int_eq(cfg->ngroups, 1);
        const struct cfg_proc *p = cfg->groups[0]->procs[0];
        ck_assert_str_eq(p->command, "/bin/q");
        ck_assert_str_eq(p->directory, "/q");
        ck_assert_ptr_null(p->serverurl);
        ck_assert_str_eq(p->environment[0], "A=1");
        ck_assert_str_eq(p->environment[1], "B=2");
        ck_assert_int_eq(cfg->nwarnings, 1);
        ck_assert_ptr_nonnull(strstr(cfg->warnings[0], "main.conf:8: [program:q] note: unknown key"));
        cfg_free(cfg);
        /* indentation relative to the key line, as configparser: 4, then 2 (a key), then 3 (continues) */
        cfg = load_ok(SD "[program:q]\n    command=/bin/q\n  directory=/q\n   more\n");
        ck_assert_str_eq(cfg->groups[0]->procs[0]->directory, "/q\nmore");
        cfg_free(cfg);
        struct cfg_errors e = load_bad(SD "[ y ]\na=1\n");
        ck_assert_str_eq(e.v[0].section, " y ");
        cfg_errors_clear(&e);
}
END_TEST

START_TEST(test_unknown_section_case)
{
        /* [Program:B] is an unknown section type (an error, stricter than supervisord) */
        expect_error(SD "[Program:B]\ncommand=x\n", 2, "Program:B", NULL, "unknown section type 'Program'");
}
END_TEST

START_TEST(test_long_lines)
{
        size_t n = 100 * 1024;
        char *arg = xmalloc(n + 1);
        memset(arg, 'x', n);
        arg[n] = '\0';
        char longname[120];
        memset(longname, 'n', 100);
        longname[100] = '\0';
        char *text = xasprintf(SD "[program:%s]\ncommand=/bin/echo %s\nstartsecs=ten\n", longname, arg);
        struct cfg_errors e = load_bad(text);
        ck_assert_int_eq(e.n, 1);
        ck_assert_int_eq(e.v[0].line, 4);       /* line counting survives a 100 KB line */
        char *sec = xasprintf("program:%s", longname);
        ck_assert_str_eq(e.v[0].section, sec);
        ck_assert_str_eq(e.v[0].key, "startsecs");
        cfg_errors_clear(&e);
        free(text);
        text = xasprintf(SD "[program:%s]\ncommand=/bin/echo %s\n", longname, arg);
        struct cfg *cfg = load_ok(text);
        const struct cfg_proc *p = cfg->groups[0]->procs[0];
        ck_assert_str_eq(p->name, longname);
        ck_assert_uint_eq(strlen(p->argv[1]), n);
        ck_assert_str_eq(p->argv[1], arg);
        cfg_free(cfg);
        free(text);
        free(sec);
        free(arg);
}
END_TEST

START_TEST(test_warnings)
{
        struct cfg *cfg = load_ok(SD "[program:a]\ncommand=x\nstratsecs=5\n"
                                  "[eventlistener:e]\ncommand=y\nevents=TICK_5\n"
                                  "[fcgi-program:f]\ncommand=z\n[ctlplugin:c]\nsupervisor.ctl_factory=x\n");
        ck_assert_int_eq(cfg->nwarnings, 3);
        char *p = path_in("main.conf");
        char *want = xasprintf("%s:4: [program:a] stratsecs: unknown key 'stratsecs', ignoring", p);
        ck_assert_str_eq(cfg->warnings[0], want);
        ck_assert_ptr_nonnull(strstr(cfg->warnings[1], "main.conf:5: [eventlistener:e]"));
        ck_assert_ptr_nonnull(strstr(cfg->warnings[1], "not supported"));
        ck_assert_ptr_nonnull(strstr(cfg->warnings[2], "main.conf:8: [fcgi-program:f]"));
        ck_assert_int_eq(cfg->ngroups, 1);
        free(want);
        free(p);
        cfg_free(cfg);
}
END_TEST

/* --- errors ----------------------------------------------------------------------------------- */

/* Bad texts, each with its one error: line, section, key (NULL: none) and a part of the message.
 * One loop iteration each, so one failure does not hide the rest. */
static const struct bad_conf {
        const char *text;
        int line;
        const char *section, *key, *msgpart;
} bad_confs[] = {
        { SD "[prgram:web]\ncommand=x\n", 2, "prgram:web", NULL, "unknown section type 'prgram'" },
        { SD "[program:web]\ncommand=x\nautostart=maybe\n", 4, "program:web", "autostart",
          "'maybe' is not a boolean" },
        { SD "[program:web]\ncommand=x\nstopsignal=FOO\n", 4, "program:web", "stopsignal",
          "'FOO' is not a signal" },
        { SD "[program:web]\nautostart=true\n", 2, "program:web", "command", "missing" },
        { SD "[program:web]\ncommand=x\nnumprocs=2\n", 2, "program:web", "process_name",
          "%(process_num)" },
        { SD "[program:web]\ncommand=x\nnumprocs=2\nprocess_name=%(program_name)s\n", 5,
          "program:web", "process_name", "%(process_num)" },
        { SD "[program:web]\ncommand=x\nstdout_logfile_maxbytes=1.5MB\n", 4, "program:web",
          "stdout_logfile_maxbytes", "'1.5MB' is not a byte size" },
        { SD "[program:web]\ncommand=x\nexitcodes=0,256\n", 4, "program:web", "exitcodes",
          "'0,256' is not a list of exit codes" },
        { SD "[program:web]\ncommand=x\nstartsecs=ten\n", 4, "program:web", "startsecs",
          "'ten' is not an integer" },
        { SD "[program:web]\ncommand=x\nstopasgroup=true\nkillasgroup=false\n", 5, "program:web",
          "killasgroup", "stopasgroup=true and killasgroup=false" },
        { SD "[program:web]\ncommand=x\nautorestart=sometimes\n", 4, "program:web", "autorestart",
          "'sometimes'" },
        { SD "[program:web]\ncommand=x %(nope)s\n", 3, "program:web", "command", "'nope'" },
        { SD "[program:web]\ncommand=x\nenvironment=A=1,,B=2\n", 4, "program:web", "environment",
          "Unexpected end of key/value pairs" },
        { SD "[program:web]\ncommand=x\numask=999\n", 4, "program:web", "umask", "octal" },
        { SD "[program:web]\ncommand=x 'open\n", 3, "program:web", "command", "No closing quotation" },
        { SD "[program:a b]\ncommand=x\n", 2, "program:a b", NULL, "invalid name" },
        /* Not UTF-8 text (issue 18): reachable only through "all", so refused like '/' and ':'. */
        { SD "[program:caf\xe9]\ncommand=x\n", 2, "program:caf\xe9", NULL, "is not UTF-8 text" },
        { SD "[program:web]\ncommand=x\nprocess_name=w\x01\n", 4, "program:web", "process_name",
          "is not UTF-8 text" },
        { SD "[group:g\xff]\nprograms=a\n[program:a]\ncommand=x\n", 2, "group:g\xff", NULL,
          "is not UTF-8 text" },
        { SD "[supervisord]\nloglevel=loud\n", 3, "supervisord", "loglevel", "'loud'" },
        { SD "[unix_http_server]\nchmod=0700\n", 2, "unix_http_server", "file", "missing" },
        { SD "[inet_http_server]\nport=host:\n", 3, "inet_http_server", "port", "no port" },
        { SD "[inet_http_server]\nport=99999\n", 3, "inet_http_server", "port", "'99999'" },
        /* Refused at startup, on reload and by --check-config alike (issue 18). */
        { SD "[inet_http_server]\nport=9001\n", 3, "inet_http_server", "port", "non-loopback" },
        { SD "[inet_http_server]\nport=*:9001\nusername=u\n", 3, "inet_http_server", "port",
          "non-loopback address '*:9001'" },
        { SD "[inet_http_server]\nport=0.0.0.0:9001\n", 3, "inet_http_server", "port", "non-loopback" },
        { SD "[group:g]\nprograms=a,nope\n[program:a]\ncommand=x\n", 3, "group:g", "programs",
          "program 'nope' is not defined" },
        { SD "[group:g]\npriority=1\n", 2, "group:g", "programs", "missing" },
        { SD "[group:g]\nprograms=a\n[program:a]\ncommand=x\n[program:g]\ncommand=y\n", 6, "program:g",
          NULL, "duplicate group name 'g'" },
        { SD "[group:g]\nprograms=a,b\n[program:a]\ncommand=x\nprocess_name=p\n"
          "[program:b]\ncommand=y\nprocess_name=p\npriority=1\n", 2, "group:g", NULL,
          "duplicate process name 'p'" },
        { SD "[program:web]\ncommand=x\nnot a key\n", 4, "program:web", NULL, "has no '=' or ':'" },
        { SD "[program:web]\ncommand=x\n=value\n", 4, "program:web", NULL, "without a name" },
        { "key=1\n" SD, 1, NULL, NULL, "outside of any [section]" },
        { SD "[program:web\ncommand=x\n", 2, NULL, NULL, "no ']'" },
        { SD "[rpcinterface:x]\nfoo=1\n", 2, "rpcinterface:x", "supervisor.rpcinterface_factory",
          "missing" },
        { SD "[include]\nfoo=*.conf\n", 2, "include", "files", "no files" },
        /* backoff (issue 10): each bad value names its key */
        { SD "[program:web]\ncommand=x\nbackoff=quadratic\n", 4, "program:web", "backoff",
          "'quadratic' is not exponential or linear" },
        { SD "[program:web]\ncommand=x\nbackoff_initial=0\n", 4, "program:web", "backoff_initial",
          "'0' is not a number of seconds above 0" },
        { SD "[program:web]\ncommand=x\nbackoff_max=-1\n", 4, "program:web", "backoff_max", "'-1'" },
        { SD "[program:web]\ncommand=x\nbackoff_max=1e3\n", 4, "program:web", "backoff_max", "'1e3'" },
        { SD "[program:web]\ncommand=x\nbackoff_max=inf\n", 4, "program:web", "backoff_max", "'inf'" },
        { SD "[program:web]\ncommand=x\nbackoff_factor=0.5\n", 4, "program:web", "backoff_factor",
          "'0.5' is not a number from 1 to 1000" },
        { SD "[program:web]\ncommand=x\nbackoff_jitter=1.5\n", 4, "program:web", "backoff_jitter",
          "'1.5' is not a fraction from 0 to 1" },
        { SD "[program:web]\ncommand=x\nbackoff_reset=soon\n", 4, "program:web", "backoff_reset", "'soon'" },
        /* readiness (issue 10): each bad value names its key */
        { SD "[program:web]\ncommand=x\nready=soon\n", 4, "program:web", "ready",
          "'soon' is not notify, fd:N, tcp:HOST:PORT, exec:COMMAND or http://HOST:PORT/PATH" },
        { SD "[program:web]\ncommand=x\nready=fd:2\n", 4, "program:web", "ready",
          "'fd:2' is not fd:N with N from 3 to 1023" },
        { SD "[program:web]\ncommand=x\nready=tcp:host\n", 4, "program:web", "ready",
          "'tcp:host' is not tcp:HOST:PORT" },
        { SD "[program:web]\ncommand=x\nready=tcp:h:70000\n", 4, "program:web", "ready", "'tcp:h:70000'" },
        { SD "[program:web]\ncommand=x\nready=tcp:db.example:5432\n", 4, "program:web", "ready",
          "HOST must be a numeric address or localhost" },
        { SD "[program:web]\ncommand=x\nready=exec:\n", 4, "program:web", "ready", "has no command" },
        { SD "[program:web]\ncommand=x\nready=http://h/x\n", 4, "program:web", "ready",
          "is not http://HOST:PORT/PATH" },
        { SD "[program:web]\ncommand=x\nready=notify\nready_timeout=0\n", 5, "program:web",
          "ready_timeout", "'0' is not a number of seconds above 0" },
        { SD "[program:web]\ncommand=x\nready=notify\nready_interval=0.001\n", 5, "program:web",
          "ready_interval", "'0.001' is not a number of seconds from 0.01" },
        { SD "[program:web]\ncommand=x\nready=fd:3\nwatchdog_sec=5\n", 5, "program:web", "watchdog_sec",
          "needs ready=notify" },
        { SD "[program:web]\ncommand=x\nstartretries=forever\n", 4, "program:web", "startretries",
          "'forever' is not an integer or infinite" },
};

START_TEST(test_errors)
{
        const struct bad_conf *b = &bad_confs[_i];
        expect_error(b->text, b->line, b->section, b->key, b->msgpart);
}
END_TEST

START_TEST(test_error_text_and_all_collected)
{
        struct cfg_errors e = load_bad("[program:web]\ncommand=x\nstartsecs=ten\n[program:b]\nautostart=maybe\n"
                                       "command=y\n[prgram:c]\n");
        char *p = path_in("main.conf");
        ck_assert_uint_eq(e.n, 4);
        /* section types, then [supervisord], then programs */
        char *want = xasprintf("%s:7: [prgram:c] unknown section type 'prgram'", p);
        ck_assert_str_eq(e.v[0].text, want);
        free(want);
        want = xasprintf("%s: .ini file does not include supervisord section", p);
        ck_assert_str_eq(e.v[1].text, want);
        ck_assert_int_eq(e.v[1].line, 0);
        ck_assert_ptr_null(e.v[1].section);
        free(want);
        want = xasprintf("%s:3: [program:web] startsecs: 'ten' is not an integer", p);
        ck_assert_str_eq(e.v[2].text, want);
        free(want);
        ck_assert_str_eq(e.v[3].key, "autostart");
        ck_assert_int_eq(e.v[3].line, 5);
        cfg_errors_clear(&e);
        ck_assert_uint_eq(e.n, 0);

        /* a failed load still reports its warnings (for --check-config) */
        e = load_bad(SD "[program:a]\ncommand=x\nstartsecs=ten\nstratsecs=1\n");
        ck_assert_uint_eq(e.n, 1);
        ck_assert_uint_eq(e.nwarnings, 1);
        ck_assert_ptr_nonnull(strstr(e.warnings[0], "main.conf:5: [program:a] stratsecs: unknown key"));
        ck_assert_ptr_null(e.warnings[1]);
        cfg_errors_clear(&e);
        ck_assert_ptr_null(e.warnings);
        free(p);

        /* a missing file */
        struct cfg_load_options o = opts("/nonexistent/corral.conf");
        struct cfg *cfg = cfg_load(&o, &e);
        ck_assert_ptr_null(cfg);
        ck_assert_uint_eq(e.n, 1);
        ck_assert_str_eq(e.v[0].file, "/nonexistent/corral.conf");
        ck_assert_ptr_nonnull(strstr(e.v[0].text, "No such file"));
        cfg_errors_clear(&e);
        o.path = NULL;
        ck_assert_ptr_null(cfg_load(&o, &e));
        ck_assert_ptr_null(cfg_load_string(SD, &o, &e));
        ck_assert_uint_eq(e.n, 2);
        ck_assert_str_eq(e.v[0].text, "no configuration file given");
        ck_assert_ptr_null(e.v[0].file);
        cfg_errors_clear(&e);
}
END_TEST

/* --- includes --------------------------------------------------------------------------------- */

START_TEST(test_include)
{
        write_file("conf.d/b.conf", "[program:b]\ncommand=x %(here)s\n");
        write_file("conf.d/a.conf", "[program:a]\ncommand=y\n[include]\nfiles=nothing\n");
        write_file("conf.d/c.txt", "[program:c]\ncommand=z\n");
        write_file("main.conf", SD "[include]\nfiles = conf.d/*.conf sub/nomatch*.ini\n  other/*.conf\n");
        char *p = path_in("main.conf");
        struct cfg_load_options o = opts(p);
        struct cfg_errors e = { 0 };
        struct cfg *cfg = cfg_load(&o, &e);
        ck_assert_msg(cfg != NULL, "%s", e.n ? e.v[0].text : "");
        ck_assert_int_eq(cfg->ngroups, 2);
        ck_assert_str_eq(cfg->groups[0]->name, "a");
        ck_assert_str_eq(cfg->groups[1]->name, "b");
        char *d = path_in("conf.d");
        char *want = xasprintf("x %s", d);
        ck_assert_str_eq(cfg->groups[1]->procs[0]->command, want);
        free(want);
        want = xasprintf("%s/a.conf", d);
        ck_assert_str_eq(cfg->included[0], want);
        ck_assert_str_eq(cfg->groups[0]->procs[0]->file, want);
        free(want);
        want = xasprintf("%s/b.conf", d);
        ck_assert_str_eq(cfg->included[1], want);
        ck_assert_ptr_null(cfg->included[2]);
        free(want);
        /* two patterns without a match, and an [include] in an included file */
        ck_assert_int_eq(cfg->nwarnings, 3);
        char *nomatch = path_in("sub/nomatch*.ini");
        want = xasprintf("No file matches via include \"%s\"", nomatch);
        ck_assert_ptr_nonnull(strstr(cfg->warnings[0], want));
        ck_assert_ptr_nonnull(strstr(cfg->warnings[2], "not honoured"));
        free(want);
        free(nomatch);
        free(d);
        cfg_free(cfg);
        free(p);
}
END_TEST

START_TEST(test_include_errors)
{
        /* an included file with a bad key, and one that can't be read (a directory: we may be root) */
        write_file("conf.d/bad.conf", "[program:b]\ncommand=x\nstartsecs=ten\n");
        char *dir = path_in("conf.d/dir.conf");
        ck_assert_int_eq(mkdir(dir, 0755), 0);
        char *p = path_in("main.conf");
        write_file("main.conf", SD "[include]\nfiles=conf.d/*.conf\n");
        struct cfg_load_options o = opts(p);
        struct cfg_errors e = { 0 };
        ck_assert_ptr_null(cfg_load(&o, &e));
        ck_assert_uint_eq(e.n, 2);
        /* the unreadable one, at the [include] files line of the main file */
        ck_assert_str_eq(e.v[0].file, p);
        ck_assert_int_eq(e.v[0].line, 3);
        ck_assert_str_eq(e.v[0].section, "include");
        ck_assert_str_eq(e.v[0].key, "files");
        ck_assert_ptr_nonnull(strstr(e.v[0].msg, "can't read included file"));
        ck_assert_ptr_nonnull(strstr(e.v[0].msg, dir));
        /* the bad key, in the included file */
        char *bad = path_in("conf.d/bad.conf");
        ck_assert_str_eq(e.v[1].file, bad);
        ck_assert_int_eq(e.v[1].line, 3);
        ck_assert_str_eq(e.v[1].section, "program:b");
        ck_assert_str_eq(e.v[1].key, "startsecs");
        char *want = xasprintf("%s:3: [program:b] startsecs: 'ten' is not an integer", bad);
        ck_assert_str_eq(e.v[1].text, want);
        free(want);
        cfg_errors_clear(&e);
        free(bad);
        free(dir);
        free(p);
}
END_TEST

START_TEST(test_include_merge)
{
        /* a section continued in an included file: merged, last key wins, %(here)s per key */
        write_file("conf.d/more.conf", "[program:a]\nstartsecs=9\ndirectory=%(here)s\n");
        write_file("main.conf", SD "[program:a]\ncommand=x %(here)s\nstartsecs=1\n[include]\nfiles=conf.d/*\n");
        char *p = path_in("main.conf");
        struct cfg_load_options o = opts(p);
        struct cfg_errors e = { 0 };
        struct cfg *cfg = cfg_load(&o, &e);
        ck_assert_msg(cfg != NULL, "%s", e.n ? e.v[0].text : "");
        const struct cfg_proc *pr = cfg->groups[0]->procs[0];
        ck_assert_int_eq(pr->startsecs, 9);
        char *d = path_in("conf.d");
        ck_assert_str_eq(pr->directory, d);
        char *want = xasprintf("x %s", tmpdir);
        ck_assert_str_eq(pr->command, want);
        free(want);
        free(d);
        cfg_free(cfg);
        free(p);
}
END_TEST

START_TEST(test_logdirs)
{
        char *p = path_in("main.conf");
        struct cfg_load_options o = opts(p);
        o.check_logdirs = true;
        struct cfg_errors e = { 0 };
        char *text = xasprintf(SD "childlogdir=%s\n[program:a]\ncommand=x\nstdout_logfile=%s/ok.log\n"
                               "stderr_logfile=/nonexistent/dir/err.log\n", tmpdir, tmpdir);
        ck_assert_ptr_null(cfg_load_string(text, &o, &e));
        ck_assert_uint_eq(e.n, 1);
        ck_assert_str_eq(e.v[0].key, "stderr_logfile");
        ck_assert_int_eq(e.v[0].line, 6);
        ck_assert_ptr_nonnull(strstr(e.v[0].msg, "does not exist"));
        cfg_errors_clear(&e);
        free(text);
        ck_assert_ptr_null(cfg_load_string(SD "childlogdir=/nonexistent/x\n", &o, &e));
        ck_assert_uint_eq(e.n, 1);
        ck_assert_str_eq(e.v[0].key, "childlogdir");
        cfg_errors_clear(&e);
        /* not checked when the option is off */
        o.check_logdirs = false;
        struct cfg *cfg = cfg_load_string(SD "childlogdir=/nonexistent/x\n", &o, &e);
        ck_assert_ptr_nonnull(cfg);
        cfg_free(cfg);
        free(p);
}
END_TEST

START_TEST(test_expansion_scopes)
{
        /* as in supervisord: keys read once per section do not see process_num/numprocs */
        expect_error(SD "[program:w]\ncommand=x\npriority=%(process_num)d\n", 4, "program:w", "priority",
                     "'process_num'");
        expect_error(SD "[program:w]\ncommand=x\nautostart=%(ENV_A)s\nenvironment=A=true\n", 4, "program:w",
                     "autostart", "'ENV_A'");
        /* per-process keys do */
        struct cfg *cfg = load_ok(SD "[program:w]\ncommand=x %(process_num)d/%(numprocs)d %(ENV_A)s\n"
                                  "process_name=w%(process_num)d\nnumprocs=2\nenvironment=A=%(process_num)d\n"
                                  "directory=/d/%(process_num)d\nstdout_logfile=/l/%(group_name)s-%(process_num)d\n"
                                  "user=%(program_name)s\n");
        ck_assert_int_eq(cfg->ngroups, 1);
        const struct cfg_group *g = cfg->groups[0];
        ck_assert_int_eq(g->nprocs, 2);
        ck_assert_str_eq(g->procs[1]->name, "w1");
        ck_assert_str_eq(g->procs[1]->command, "x 1/2 1");
        ck_assert_str_eq(g->procs[1]->directory, "/d/1");
        ck_assert_str_eq(g->procs[1]->out.path, "/l/w-1");
        ck_assert_str_eq(g->procs[1]->user, "w");
        ck_assert_str_eq(g->procs[1]->environment[0], "A=1");
        cfg_free(cfg);
}
END_TEST

/* --- groups, numprocs, ordering --------------------------------------------------------------- */

START_TEST(test_groups)
{
        struct cfg *cfg = load_ok(SD
                "[group:g]\nprograms=inc , w\npriority=5\n"
                "[program:w]\ncommand=/bin/sleep 1\nprocess_name=%(program_name)s-%(process_num)03d\n"
                "numprocs=2\nnumprocs_start=7\nenvironment=G=%(group_name)s,N=%(numprocs)d,P=%(process_num)02d\n"
                "[program:inc]\ncommand=x\npriority=1\n"
                "[program:solo]\ncommand=x\npriority=3\n");
        ck_assert_int_eq(cfg->ngroups, 2);
        ck_assert_str_eq(cfg->groups[0]->name, "solo");         /* priority 3 before 5 */
        ck_assert_int_eq(cfg->groups[0]->priority, 3);
        const struct cfg_group *g = cfg->groups[1];
        ck_assert_str_eq(g->name, "g");
        ck_assert(g->explicit_group);
        ck_assert_int_eq(g->priority, 5);
        ck_assert_int_eq(g->nprocs, 3);
        ck_assert_str_eq(g->procs[0]->name, "inc");             /* priority 1 first */
        ck_assert_str_eq(g->procs[1]->name, "w-007");
        ck_assert_str_eq(g->procs[2]->name, "w-008");
        ck_assert_str_eq(g->procs[1]->group, "g");
        ck_assert_str_eq(g->procs[1]->program, "w");
        ck_assert_int_eq(g->procs[1]->process_num, 7);
        ck_assert_int_eq(g->procs[2]->process_num, 8);
        ck_assert_str_eq(g->procs[1]->environment[0], "G=g");
        ck_assert_str_eq(g->procs[1]->environment[1], "N=2");
        ck_assert_str_eq(g->procs[1]->environment[2], "P=07");
        ck_assert_str_eq(g->procs[2]->environment[2], "P=08");
        ck_assert_ptr_null(cfg_find_group(cfg, "w"));           /* grouped: no group of its own */
        ck_assert_ptr_null(cfg_find_group(cfg, "inc"));
        ck_assert_ptr_nonnull(cfg_find_group(cfg, "g"));
        cfg_free(cfg);
}
END_TEST

START_TEST(test_numprocs_zero)
{
        /* numprocs=0: a group without processes (supervisord allows it) */
        struct cfg *cfg = load_ok(SD "[program:off]\ncommand=x\nnumprocs=0\npriority=7\n");
        ck_assert_int_eq(cfg->ngroups, 1);
        ck_assert_str_eq(cfg->groups[0]->name, "off");
        ck_assert_int_eq(cfg->groups[0]->priority, 7);
        ck_assert_int_eq(cfg->groups[0]->nprocs, 0);
        cfg_free(cfg);
        expect_error(SD "[program:a]\ncommand=x\nnumprocs=-1\n", 4, "program:a", "numprocs", "between 0 and");
}
END_TEST

START_TEST(test_ordering)
{
        struct cfg *cfg = load_ok(SD "[program:c]\ncommand=x\n[program:b]\ncommand=x\npriority=10\n"
                                  "[program:a]\ncommand=x\n[program:z]\ncommand=x\npriority=-1\n");
        static const char *const want[] = { "z", "b", "a", "c" };
        ck_assert_int_eq(cfg->ngroups, 4);
        for (size_t i = 0; i < 4; i++)
                ck_assert_str_eq(cfg->groups[i]->name, want[i]);
        cfg_free(cfg);
}
END_TEST

/* --- depends_on: the graph ------------------------------------------------------------------ */

/* The start order's names joined with spaces (and checks the stop order is its exact reverse). */
static char *
order_text(const struct cfg *cfg)
{
        size_t n;
        struct cfg_proc **o = cfg_start_order(cfg, &n);
        char *s = xstrdup("");
        for (size_t i = 0; i < n; i++) {
                char *t = xasprintf("%s%s%s", s, i ? " " : "", o[i]->name);
                free(s);
                s = t;
                ck_assert_uint_eq(o[i]->seq, i);
                /* every dependency comes before, so stopping in reverse stops dependents first */
                for (size_t k = 0; k < o[i]->ndeps; k++)
                        ck_assert_uint_lt(o[i]->deps[k]->seq, i);
        }
        free(o);
        return s;
}

START_TEST(test_depends_order)
{
        /* without dependencies: priority order */
        struct cfg *cfg = load_ok(SD "[program:c]\ncommand=x\n[program:b]\ncommand=x\npriority=10\n"
                                  "[program:a]\ncommand=x\n");
        char *o = order_text(cfg);
        ck_assert_str_eq(o, "b a c");
        free(o);
        cfg_free(cfg);
        /* web (priority 1) waits for db (999) and the whole workers group; "a" (500), independent of
         * both, still goes before db: priority among the processes with no dependency between them */
        cfg = load_ok(SD "[program:web]\ncommand=x\npriority=1\ndepends_on = db, workers:*\n"
                      "[program:db]\ncommand=x\n[program:a]\ncommand=x\npriority=500\n"
                      "[program:w]\ncommand=x\nnumprocs=2\nprocess_name=w%(process_num)d\n"
                      "[group:workers]\nprograms=w\npriority=998\n"
                      "[program:mig]\ncommand=x\noneshot=true\ndepends_on=db\npriority=2\n");
        o = order_text(cfg);
        ck_assert_str_eq(o, "a w0 w1 db web mig");
        free(o);
        const struct cfg_proc *web = find_proc(cfg, "web", "web");
        ck_assert_uint_eq(web->ndeps, 3);
        ck_assert_str_eq(web->depends_on[0], "db");
        ck_assert_str_eq(web->depends_on[1], "workers:*");
        ck_assert_ptr_null(web->depends_on[2]);
        ck_assert_int_eq(web->depends_line, 5);
        ck_assert(!web->oneshot);
        ck_assert(find_proc(cfg, "mig", "mig")->oneshot);
        /* a program's name inside a group, a group:process, duplicates counted once */
        cfg_free(cfg);
        cfg = load_ok(SD "[program:x]\ncommand=x\ndepends_on=w, g:w1, w\n"
                      "[program:w]\ncommand=x\nnumprocs=2\nprocess_name=w%(process_num)d\n"
                      "[group:g]\nprograms=w\n");
        ck_assert_uint_eq(find_proc(cfg, "x", "x")->ndeps, 2);
        o = order_text(cfg);
        ck_assert_str_eq(o, "w0 w1 x");
        free(o);
        cfg_free(cfg);
        /* a chain given backwards */
        cfg = load_ok(SD "[program:a]\ncommand=x\ndepends_on=b\npriority=1\n[program:b]\ncommand=x\n"
                      "depends_on=c\npriority=2\n[program:c]\ncommand=x\npriority=3\n");
        o = order_text(cfg);
        ck_assert_str_eq(o, "c b a");
        free(o);
        cfg_free(cfg);
}
END_TEST

START_TEST(test_depends_errors)
{
        expect_error(SD "[program:a]\ncommand=x\ndepends_on=db\n", 4, "program:a", "depends_on",
                     "'db' (of a) is not a program, group or group:process");
        expect_error(SD "[program:a]\ncommand=x\ndepends_on=g:nope\n[program:w]\ncommand=x\n[group:g]\nprograms=w\n",
                     4, "program:a", "depends_on", "'g:nope'");
        expect_error(SD "[program:a]\ncommand=x\ndepends_on=a\n", 4, "program:a", "depends_on",
                     "dependency cycle: a (");
        /* the cycle names each program with its file:line, starting where the walk found it */
        struct cfg_errors e = load_bad(SD "[program:a]\ncommand=x\ndepends_on=b\n[program:b]\ncommand=x\n"
                                       "depends_on=c\n[program:c]\ncommand=x\ndepends_on=a\n"
                                       "[program:d]\ncommand=x\ndepends_on=a\n");
        ck_assert_uint_eq(e.n, 1);
        char *p = path_in("main.conf");
        char *want = xasprintf("dependency cycle: a (%s:4) -> b (%s:7) -> c (%s:10) -> a", p, p, p);
        ck_assert_str_eq(e.v[0].msg, want);
        ck_assert_str_eq(e.v[0].key, "depends_on");
        ck_assert_int_eq(e.v[0].line, 4);
        free(want);
        free(p);
        cfg_errors_clear(&e);
        /* oneshot is a bool */
        expect_error(SD "[program:a]\ncommand=x\noneshot=maybe\n", 4, "program:a", "oneshot", "maybe");
}
END_TEST

START_TEST(test_depends_diff)
{
        /* a changed depends_on or oneshot changes the group (update restarts it) */
        struct cfg *a = load_ok(SD "[program:a]\ncommand=x\n[program:b]\ncommand=x\n");
        struct cfg *b = load_ok(SD "[program:a]\ncommand=x\ndepends_on=b\n[program:b]\ncommand=x\noneshot=true\n");
        struct cfg_diff d;
        cfg_diff(a, b, &d);
        ck_assert_uint_eq(d.nchanged, 2);
        cfg_diff_free(&d);
        cfg_free(a);
        cfg_free(b);
}
END_TEST

START_TEST(test_program_env_visibility)
{
        /* a program's own environment is visible in its other keys, not in itself */
        struct cfg *cfg = load_ok(SD "[program:p]\ncommand=x %(ENV_P)s\nenvironment=P=1\n");
        ck_assert_str_eq(cfg->groups[0]->procs[0]->command, "x 1");
        cfg_free(cfg);
        expect_error(SD "[program:p]\ncommand=x\nenvironment=P=1,Q=%(ENV_P)s\n", 4, "program:p", "environment",
                     "'ENV_P'");
}
END_TEST

/* --- diff ------------------------------------------------------------------------------------- */

START_TEST(test_diff)
{
        struct cfg *old = load_ok(SD "[program:same]\ncommand=x\n[program:cmd]\ncommand=x\n"
                                  "[program:gone]\ncommand=x\n[group:g]\nprograms=m\n[program:m]\ncommand=x\n"
                                  "[program:prio]\ncommand=x\n");
        struct cfg *new = load_ok(SD "; moved around, with comments\n[program:new]\ncommand=x\n"
                                  "[program:cmd]\ncommand=y\n[program:same]\n\ncommand=x\n"
                                  "[group:g]\nprograms=m,n\n[program:m]\ncommand=x\n[program:n]\ncommand=x\n"
                                  "[program:prio]\ncommand=x\npriority=1\n");
        struct cfg_diff d;
        cfg_diff(old, new, &d);
        ck_assert_uint_eq(d.nadded, 1);
        ck_assert_str_eq(d.added[0], "new");
        ck_assert_uint_eq(d.nchanged, 3);
        ck_assert_str_eq(d.changed[0], "cmd");
        ck_assert_str_eq(d.changed[1], "g");
        ck_assert_str_eq(d.changed[2], "prio");
        ck_assert_uint_eq(d.nremoved, 1);
        ck_assert_str_eq(d.removed[0], "gone");
        ck_assert(cfg_group_equal(cfg_find_group(old, "same"), cfg_find_group(new, "same")));
        ck_assert(!cfg_group_equal(cfg_find_group(old, "cmd"), cfg_find_group(new, "cmd")));
        cfg_diff_free(&d);
        cfg_diff(old, old, &d);
        ck_assert_uint_eq(d.nadded + d.nchanged + d.nremoved, 0);
        cfg_diff_free(&d);
        cfg_free(old);
        cfg_free(new);
}
END_TEST

START_TEST(test_find_default)
{
        char *cwd = getcwd(NULL, 0);
        ck_assert_int_eq(chdir(tmpdir), 0);
        write_file("supervisord.conf", SD);
        char *f = confpath_find("/nonexistent/bin/corrald");
        ck_assert_str_eq(f, "supervisord.conf");
        free(f);
        write_file("etc/supervisord.conf", SD);
        char *argv0 = xasprintf("%s/bin/corrald", tmpdir);
        f = confpath_find(argv0);
        char *want = path_in("etc/supervisord.conf");
        ck_assert_str_eq(f, want);
        free(want);
        free(f);
        free(argv0);
        ck_assert_int_eq(chdir(cwd), 0);
        free(cwd);
}
END_TEST

START_TEST(test_resolve_users)
{
        char *p = path_in("main.conf");
        struct cfg_load_options o = opts(p);
        o.resolve_users = true;
        struct cfg_errors e = { 0 };
        struct cfg *cfg = cfg_load_string(SD "[program:r]\ncommand=x\nuser=root\n[unix_http_server]\nfile=s\n"
                                          "chown=root:root\n", &o, &e);
        ck_assert_msg(cfg != NULL, "%s", e.n ? e.v[0].text : "");
        const struct cfg_proc *pr = cfg->groups[0]->procs[0];
        ck_assert(pr->has_uid);
        ck_assert_int_eq(pr->uid, 0);
        ck_assert_int_eq(pr->gid, 0);
        ck_assert_int_ge(pr->ngroups, 1);
        ck_assert(cfg->unix_server.has_chown);
        ck_assert_int_eq(cfg->unix_server.chown_uid, 0);
        cfg_free(cfg);
        ck_assert_ptr_null(cfg_load_string(SD "[program:r]\ncommand=x\nuser=no_such_user_xyz\n", &o, &e));
        ck_assert_uint_eq(e.n, 1);
        ck_assert_str_eq(e.v[0].key, "user");
        ck_assert_int_eq(e.v[0].line, 4);
        cfg_errors_clear(&e);
        free(p);
}
END_TEST

START_TEST(test_many_programs)
{
        /* 10,000 programs (the scale benchmark): loads, ordered, every group found by name */
        size_t n = 10000, cap = n * 64, len = 0;
        char *text = xmalloc(cap);
        len += (size_t)snprintf(text + len, cap - len, SD);
        for (size_t i = 0; i < n; i++)
                len += (size_t)snprintf(text + len, cap - len, "[program:p%05zu]\ncommand=/bin/sleep 1\npriority=%zu\n",
                                        i, n - i);
        struct cfg *cfg = load_ok(text);
        ck_assert_uint_eq(cfg->ngroups, n);
        ck_assert_str_eq(cfg->groups[0]->name, "p09999");
        ck_assert_str_eq(cfg->groups[n - 1]->name, "p00000");
        char name[16];
        for (size_t i = 0; i < n; i++) {
                snprintf(name, sizeof name, "p%05zu", i);
                const struct cfg_group *g = cfg_find_group(cfg, name);
                ck_assert_ptr_nonnull(g);
                ck_assert_str_eq(g->name, name);
        }
        ck_assert_ptr_null(cfg_find_group(cfg, "p10000"));
        ck_assert_ptr_null(cfg_find_group(NULL, "p1"));
        struct cfg_diff d;
        cfg_diff(cfg, cfg, &d);
        ck_assert_uint_eq(d.nadded + d.nchanged + d.nremoved, 0);
        cfg_diff_free(&d);
        cfg_free(cfg);
        free(text);
}
END_TEST

Suite *
unit_suite(void)
{
        Suite *s = suite_create("cfg");
        TCase *tc = tcase_create("core");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_defaults);
        tcase_add_test(tc, test_program_keys);
        tcase_add_test(tc, test_backoff_keys);
        tcase_add_test(tc, test_ready_keys);
        tcase_add_test(tc, test_servers);
        tcase_add_test(tc, test_logfile_kinds);
        tcase_add_test(tc, test_supervisord_keys);
        tcase_add_test(tc, test_groups);
        tcase_add_test(tc, test_ordering);
        tcase_add_test(tc, test_depends_order);
        tcase_add_test(tc, test_depends_errors);
        tcase_add_test(tc, test_depends_diff);
        tcase_add_test(tc, test_numprocs_zero);
        tcase_add_test(tc, test_program_env_visibility);
        tcase_add_test(tc, test_diff);
        tcase_add_test(tc, test_find_default);
        tcase_add_test(tc, test_resolve_users);
        suite_add_tcase(s, tc);
        tc = tcase_create("dialect");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_dialect);
        tcase_add_test(tc, test_unknown_section_case);
        tcase_add_test(tc, test_dialect_edges);
        tcase_add_test(tc, test_long_lines);
        tcase_add_test(tc, test_warnings);
        tcase_add_test(tc, test_include);
        tcase_add_test(tc, test_include_errors);
        tcase_add_test(tc, test_include_merge);
        tcase_add_test(tc, test_logdirs);
        tcase_add_test(tc, test_expansion_scopes);
        suite_add_tcase(s, tc);
        tc = tcase_create("limits");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 30);
        tcase_add_test(tc, test_many_programs);
        suite_add_tcase(s, tc);
        tc = tcase_create("errors");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_loop_test(tc, test_errors, 0, ARRAY_SIZE(bad_confs));
        tcase_add_test(tc, test_error_text_and_all_collected);
        suite_add_tcase(s, tc);
        return s;
}
