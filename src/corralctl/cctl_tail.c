/* SPDX-License-Identifier: MIT */
/* cctl_tail — tail and maintail (a log's last bytes, or its stream with -f) and fg (a process's
 * output streams while our stdin goes to it). */
#include "corralctl/cctl.h"
#include "corralctl/cctl_call.h"
#include "corralctl/cctl_cmd.h"
#include "corralctl/cctl_text.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shared/fault.h"
#include "shared/proc_state.h"
#include "shared/util.h"

static int
tailf(struct cctl *c, const char *path)
{
        cctl_output(c, "==> Press Ctrl-C to exit <==");
        fflush(c->msg);
        if (cctl_need_client(c) < 0)
                return -1;
        c->stop = 0;
        c->catching = 1;
        int r = cctl_stream(&c->cli, path, STDOUT_FILENO, &c->stop);
        c->catching = 0;
        if (r == 1) {
                cctl_output(c, "%s", "");
                return 0;
        }
        if (r >= 100)
                fprintf(stderr, "%s%s Cannot read, status code %d\n", c->serverurl, path, r);
        else if (r < 0)
                fprintf(stderr, "%s%s Cannot connect, error: <class '%s'> ([Errno %d] %s)\n",
                        c->serverurl, path, cctl_py_errclass(-r), -r, strerror(-r));
        return 0;
}

static int
log_fault(struct cctl *c, const char *who, int rc)
{
        c->exitstatus = CCTL_EXIT_GENERIC;
        if (rc == FAULT_NO_FILE)
                cctl_output(c, "%s: ERROR (no log file)", who);
        else if (rc == FAULT_FAILED)
                cctl_output(c, "%s: ERROR (unknown error reading log)", who);
        else if (rc == FAULT_BAD_NAME && strcmp(who, "supervisord") != 0)
                cctl_output(c, "%s: ERROR (no such process name)", who);
        else
                return cctl_raise_fault(c, rc, c->fault_string);
        return 0;
}

int
cctl_do_tail(struct cctl *c, const char *arg)
{
        CCTL_UPCHECK(c);
        struct cctl_words w;
        cctl_words_split(arg, &w);
        int rc = 0;
        const char *mod = NULL, *name = NULL;
        char *channel = NULL;
        long bytes = 1600;
        bool follow = false;
        size_t a = 0;
        if (w.n < 1 || w.n > 3) {
                cctl_output(c, w.n < 1 ? "Error: too few arguments" : "Error: too many arguments");
                c->exitstatus = CCTL_EXIT_GENERIC;
                cctl_help_of(c, "tail");
                goto out;
        }
        if (w.v[0][0] == '-')
                mod = w.v[a++];
        if (w.n - a == 1) {
                name = w.v[a];
                channel = xstrdup("stdout");
        } else if (w.n - a >= 2) {
                name = w.v[a];
                channel = xstrdup(w.v[w.n - 1]);
                for (char *p = channel; *p; p++)
                        *p = (char)tolower((unsigned char)*p);
                if (strcmp(channel, "stderr") != 0 && strcmp(channel, "stdout") != 0) {
                        char *r = cctl_py_repr(channel);
                        cctl_output(c, "Error: bad channel %s", r);
                        free(r);
                        c->exitstatus = CCTL_EXIT_GENERIC;
                        goto out;
                }
        } else {
                cctl_output(c, "Error: tail requires process name");
                c->exitstatus = CCTL_EXIT_GENERIC;
                goto out;
        }
        if (mod) {
                if (strcmp(mod + 1, "f") == 0)
                        follow = true;
                else if (!cctl_py_int(mod + 1, &bytes)) {
                        cctl_output(c, "Error: bad argument %s", mod);
                        c->exitstatus = CCTL_EXIT_GENERIC;
                        goto out;
                }
        }
        if (follow) {
                char *path = xasprintf("/logtail/%s/%s", name, channel);
                rc = tailf(c, path);
                free(path);
                goto out;
        }
        struct xr_value *v;
        rc = cctl_rpc(c, strcmp(channel, "stdout") == 0 ? "supervisor.readProcessStdoutLog"
                                                    : "supervisor.readProcessStderrLog",
                  cctl_params(3, xr_string(name), xr_int(-bytes), xr_int(0)), &v);
        if (rc > 0)
                rc = log_fault(c, name, rc);
        else if (rc == 0) {
                if (v && v->type == XR_STRING)
                        cctl_output_raw(c, v->str.s, v->str.len);
                else {
                        char *s = cctl_py_str(v);
                        cctl_output(c, "%s", s);
                        free(s);
                }
                xr_free(v);
        }
out:
        free(channel);
        cctl_words_free(&w);
        return rc;
}

int
cctl_do_maintail(struct cctl *c, const char *arg)
{
        CCTL_UPCHECK(c);
        struct cctl_words w;
        cctl_words_split(arg, &w);
        long bytes = 1600;
        int rc = 0;
        if (w.n > 1) {
                cctl_output(c, "Error: too many arguments");
                c->exitstatus = CCTL_EXIT_GENERIC;
                cctl_help_of(c, "maintail");
                goto out;
        }
        if (w.n == 1) {
                if (w.v[0][0] != '-') {
                        cctl_output(c, "Error: bad argument %s", w.v[0]);
                        c->exitstatus = CCTL_EXIT_GENERIC;
                        goto out;
                }
                if (strcmp(w.v[0] + 1, "f") == 0) {
                        rc = tailf(c, "/mainlogtail");
                        goto out;
                }
                if (!cctl_py_int(w.v[0] + 1, &bytes)) {
                        cctl_output(c, "Error: bad argument %s", w.v[0]);
                        c->exitstatus = CCTL_EXIT_GENERIC;
                        goto out;
                }
        }
        struct xr_value *v;
        rc = cctl_rpc(c, "supervisor.readLog", cctl_params(2, xr_int(-bytes), xr_int(0)), &v);
        if (rc > 0)
                rc = log_fault(c, "supervisord", rc);
        else if (rc == 0) {
                if (v && v->type == XR_STRING)
                        cctl_output_raw(c, v->str.s, v->str.len);
                xr_free(v);
        }
out:
        cctl_words_free(&w);
        return rc;
}

/* fg: stream the process's stdout/stderr while sending our stdin lines to it. */
int
cctl_do_fg(struct cctl *c, const char *arg)
{
        CCTL_UPCHECK(c);
        struct cctl_words w;
        cctl_words_split(arg, &w);
        int rc = 0;
        if (w.n == 0) {
                cctl_output(c, "ERROR: no process name supplied");
                c->exitstatus = CCTL_EXIT_GENERIC;
                cctl_help_of(c, "fg");
                goto out;
        }
        if (w.n > 1) {
                cctl_output(c, "ERROR: too many process names supplied");
                c->exitstatus = CCTL_EXIT_GENERIC;
                goto out;
        }
        struct xr_value *info;
        rc = cctl_rpc(c, "supervisor.getProcessInfo", cctl_params(1, xr_string(w.v[0])), &info);
        if (rc > 0) {
                if (rc == FAULT_BAD_NAME) {
                        cctl_output(c, "ERROR: bad process name supplied");
                        c->exitstatus = CCTL_EXIT_GENERIC;
                } else {
                        char *r = cctl_py_repr(c->fault_string ? c->fault_string : "");
                        cctl_output(c, "ERROR: <Fault %d: %s>", rc, r);
                        free(r);
                }
                rc = 0;
                goto out;
        }
        if (rc < 0)
                goto out;
        bool running = proc_state_from_code((long)cctl_vint(info, "state")) == PROC_RUNNING;
        xr_free(info);
        if (!running) {
                cctl_output(c, "ERROR: process not running");
                c->exitstatus = CCTL_EXIT_GENERIC;
                goto out;
        }
        cctl_output(c, "==> Press Ctrl-C to exit <==");
        fflush(c->msg);
        /* Output: a child process follows stdout then stderr streams; we feed stdin. */
        pid_t kid[2] = { -1, -1 };
        for (int ch = 0; ch < 2; ch++) {
                kid[ch] = fork();
                if (kid[ch] == 0) {
                        struct cctl_client sc;
                        signal(SIGINT, SIG_DFL);
                        if (cctl_client_init(&sc, c->serverurl, c->username, c->password) < 0)
                                _exit(1);
                        char *path = xasprintf("/logtail/%s/%s", w.v[0], ch ? "stderr" : "stdout");
                        int r = cctl_stream(&sc, path, STDOUT_FILENO, NULL);
                        _exit(r == 0 ? 0 : 1);
                }
        }
        for (;;) {
                c->stop = 0;
                c->catching = 1;
                char *line = cctl_readline(NULL);
                c->catching = 0;
                if (!line)
                        break;
                char *in = xasprintf("%s\n", line);
                free(line);
                int r = cctl_rpc(c, "supervisor.sendProcessStdin", cctl_params(2, xr_string(w.v[0]), xr_string(in)), NULL);
                free(in);
                if (r > 0) {
                        if (r == FAULT_NOT_RUNNING)
                                cctl_output(c, "Process got killed");
                        else {
                                char *rr = cctl_py_repr(c->fault_string ? c->fault_string : "");
                                cctl_output(c, "ERROR: <Fault %d: %s>", r, rr);
                                free(rr);
                        }
                        break;
                }
                if (r < 0) {
                        rc = -1;
                        break;
                }
                r = cctl_rpc(c, "supervisor.getProcessInfo", cctl_params(1, xr_string(w.v[0])), &info);
                if (r != 0) {
                        rc = r < 0 ? -1 : cctl_raise_fault(c, r, c->fault_string);
                        break;
                }
                running = proc_state_from_code((long)cctl_vint(info, "state")) == PROC_RUNNING;
                xr_free(info);
                if (!running) {
                        cctl_output(c, "Process got killed");
                        break;
                }
        }
        if (rc == 0)
                cctl_output(c, "Exiting foreground");
        for (int ch = 0; ch < 2; ch++)
                if (kid[ch] > 0) {
                        kill(kid[ch], SIGTERM);
                        while (waitpid(kid[ch], NULL, 0) < 0 && errno == EINTR)
                                ;
                }
out:
        cctl_words_free(&w);
        return rc < 0 ? -1 : 0;
}
