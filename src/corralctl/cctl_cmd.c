/* SPDX-License-Identifier: MIT */
/* cctl_cmd — the command table (names, help texts), the few commands about the shell itself
 * (help, quit, open, version) and the dispatch of one line as supervisorctl's Controller.onecmd
 * does it, exceptions and the 401 retry included. The commands live in the files cctl_cmd.h
 * names. */
#include "corralctl/cctl_cmd.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "corralctl/cctl.h"
#include "corralctl/cctl_call.h"
#include "corralctl/cctl_text.h"
#include "shared/util.h"

enum {
        CMD_NO_ARGS = 1,                /* "Error: <name> accepts no arguments" otherwise */
        CMD_JSON = 2,                   /* prints JSON with --json: messages go to stderr then */
};

struct cmd {
        const char *name;
        int (*fn)(struct cctl *c, const char *arg);
        int flags;                      /* CMD_* */
        const char *help;
};

static const struct cmd *find_cmd(const char *name);

void
cctl_help_of(struct cctl *c, const char *name)
{
        const struct cmd *k = find_cmd(name);
        if (k && k->help)
                fputs(k->help, c->msg);
}

static int
do_version(struct cctl *c, const char *arg)
{
        (void)arg;              /* none: the command table checks */
        CCTL_UPCHECK(c);
        struct xr_value *v;
        int rc = cctl_rpc_must(c, "supervisor.getSupervisorVersion", NULL, &v);
        if (rc < 0)
                return -1;
        char *s = cctl_py_str(v);
        cctl_output(c, "%s", s);
        free(s);
        xr_free(v);
        return 0;
}

static int
do_open(struct cctl *c, const char *arg)
{
        char *url = xstrdup(arg);
        if (strncmp(url, "unix:", 5) != 0 && strncmp(url, "http:", 5) != 0) {
                cctl_output(c, "ERROR: url must be http:// or unix://");
                c->exitstatus = CCTL_EXIT_GENERIC;
                free(url);
                return 0;
        }
        free(c->serverurl);
        c->serverurl = url;
        if (c->cli_ok)
                cctl_client_fini(&c->cli);
        c->cli_ok = false;
        int old = c->exitstatus;
        int rc = cctl_do_status(c, "");
        c->exitstatus = old;
        return rc;
}

static int
do_quit(struct cctl *c, const char *arg)
{
        (void)arg;
        cctl_output(c, "%s", "");
        return 1;
}

static const char help_topics[] =
        "\n"
        "default commands (type help <topic>):\n"
        "=====================================\n"
        "add    exit      open  reload  restart   start   tail   \n"
        "avail  fg        pid   remove  shutdown  status  update \n"
        "clear  maintail  quit  reread  signal    stop    version\n"
        "\n";

static int
do_help(struct cctl *c, const char *arg)
{
        if (strcmp(arg, "help") == 0) {
                cctl_output(c, "help\t\tPrint a list of available actions");
                cctl_output(c, "help <action>\tPrint help for <action>");
                return 0;
        }
        if (!*arg) {
                fputs(help_topics, c->msg);
                return 0;
        }
        const struct cmd *k = find_cmd(arg);
        if (k && k->help && strcmp(arg, "EOF") != 0)
                fputs(k->help, c->msg);
        else
                cctl_output(c, "*** No help on %s", arg);
        return 0;
}

static const struct cmd cmds[] = {
        { "add", cctl_do_add, 0, "add <name> [...]\tActivates any updates in config for process/group\n" },
        { "avail", cctl_do_avail, CMD_NO_ARGS | CMD_JSON, "avail\t\t\tDisplay all configured processes\n" },
        { "clear", cctl_do_clear, 0, "clear <name>\t\tClear a process' log files.\n"
                                     "clear <name> <name>\tClear multiple process' log files\n"
                                     "clear all\t\tClear all process' log files\n" },
        { "exit", do_quit, 0, "exit\tExit the supervisor shell.\n" },
        { "fg", cctl_do_fg, 0, "fg <process>\tConnect to a process in foreground mode\n\t\tCtrl-C to exit\n" },
        { "help", do_help, 0, NULL },
        { "maintail", cctl_do_maintail, 0, "maintail -f \tContinuous tail of supervisor main log file (Ctrl-C to exit)\n"
                                           "maintail -100\tlast 100 *bytes* of supervisord main log file\n"
                                           "maintail\tlast 1600 *bytes* of supervisor main log file\n\n" },
        { "open", do_open, 0, "open <url>\tConnect to a remote supervisord process.\n"
                              "\t\t(for UNIX domain socket, use unix:///socket/path)\n" },
        { "pid", cctl_do_pid, CMD_JSON, "pid\t\t\tGet the PID of supervisord.\n"
                                        "pid <name>\t\tGet the PID of a single child process by name.\n"
                                        "pid all\t\t\tGet the PID of every child process, one per line.\n" },
        { "quit", do_quit, 0, "quit\tExit the supervisor shell.\n" },
        { "reload", cctl_do_reload, CMD_NO_ARGS, "reload \t\tRestart the remote supervisord.\n" },
        { "remove", cctl_do_remove, 0, "remove <name> [...]\tRemoves process/group from active config\n" },
        { "reread", cctl_do_reread, CMD_NO_ARGS | CMD_JSON, "reread \t\t\tReload the daemon's configuration files without add/remove\n" },
        { "restart", cctl_do_restart, 0, "restart <name>\t\tRestart a process\n"
                                         "restart <gname>:*\tRestart all processes in a group\n"
                                         "restart <name> <name>\tRestart multiple processes or groups\n"
                                         "restart all\t\tRestart all processes\n"
                                         "Note: restart does not reread config files. For that, see reread and update.\n" },
        { "shutdown", cctl_do_shutdown, CMD_NO_ARGS, "shutdown \tShut the remote supervisord down.\n" },
        { "signal", cctl_do_signal, 0, "signal <signal name> <name>\t\tSignal a process\n"
                                       "signal <signal name> <gname>:*\t\tSignal all processes in a group\n"
                                       "signal <signal name> <name> <name>\tSignal multiple processes or groups\n"
                                       "signal <signal name> all\t\tSignal all processes\n" },
        { "start", cctl_do_start, 0, "start <name>\t\tStart a process\n"
                                     "start <gname>:*\t\tStart all processes in a group\n"
                                     "start <name> <name>\tStart multiple processes or groups\n"
                                     "start all\t\tStart all processes\n" },
        { "status", cctl_do_status, CMD_JSON, "status <name>\t\tGet status for a single process\n"
                                              "status <gname>:*\tGet status for all processes in a group\n"
                                              "status <name> <name>\tGet status for multiple named processes\n"
                                              "status\t\t\tGet all process status info\n" },
        { "stop", cctl_do_stop, 0, "stop <name>\t\tStop a process\n"
                                   "stop <gname>:*\t\tStop all processes in a group\n"
                                   "stop <name> <name>\tStop multiple processes or groups\n"
                                   "stop all\t\tStop all processes\n" },
        { "tail", cctl_do_tail, 0, "tail [-f] <name> [stdout|stderr] (default stdout)\n"
                                   "Ex:\n"
                                   "tail -f <name>\t\tContinuous tail of named process stdout\n"
                                   "\t\t\tCtrl-C to exit.\n"
                                   "tail -100 <name>\tlast 100 *bytes* of process stdout\n"
                                   "tail <name> stderr\tlast 1600 *bytes* of process stderr\n" },
        { "update", cctl_do_update, 0, "update\t\t\tReload config and add/remove as necessary, and will restart affected programs\n"
                                       "update all\t\tReload config and add/remove as necessary, and will restart affected programs\n"
                                       "update <gname> [...]\tUpdate specific groups\n"
                                       "update --dry-run [...]\tPrint what update would do, and do nothing\n" },
        { "version", do_version, CMD_NO_ARGS, "version\t\t\tShow the version of the remote supervisord process\n" },
        { "EOF", do_quit, 0, NULL },
};

static const struct cmd *
find_cmd(const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
                if (strcmp(cmds[i].name, name) == 0)
                        return &cmds[i];
        return NULL;
}

/* ---- dispatch ---------------------------------------------------------------------------------- */

static bool
is_ident(char ch)
{
        return isalnum((unsigned char)ch) || ch == '_';
}

static char *
prompt_secret(const char *prompt)
{
        struct termios old, noecho;
        bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
        if (tty) {
                noecho = old;
                noecho.c_lflag &= ~(tcflag_t)ECHO;
                tcsetattr(STDIN_FILENO, TCSAFLUSH, &noecho);
        }
        char *s = cctl_readline(prompt);
        if (tty) {
                tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
                fputc('\n', stdout);
        }
        return s;
}

/* Run fn, reporting an exception like Controller.onecmd. */
static int
run(struct cctl *c, const struct cmd *k, const char *arg)
{
        free(c->exc);
        c->exc = NULL;
        c->exc_401 = false;
        c->exc_errno = 0;
        c->msg = c->json && (k->flags & CMD_JSON) ? stderr : stdout;
        int r;
        if ((k->flags & CMD_NO_ARGS) && *arg) {
                cctl_output(c, "Error: %s accepts no arguments", k->name);
                c->exitstatus = CCTL_EXIT_GENERIC;
                cctl_help_of(c, k->name);
                r = 0;
        } else
                r = k->fn(c, arg);
        if (c->cli_ok)
                cctl_client_close(&c->cli);       /* one connection per command */
        fflush(stdout);
        c->msg = stdout;
        return r;
}

bool
cctl_onecmd(struct cctl *c, const char *line_in)
{
        char *buf = xstrdup(line_in);
        char *line = buf;
        while (isspace((unsigned char)*line))
                line++;
        size_t n = strlen(line);
        while (n > 0 && isspace((unsigned char)line[n - 1]))
                line[--n] = '\0';
        bool quit = false;
        if (!*line)
                goto out;
        char *alloc = NULL;
        if (line[0] == '?') {
                alloc = xasprintf("help %s", line + 1);
                line = alloc;
        }
        size_t i = 0;
        while (line[i] && is_ident(line[i]))
                i++;
        char *name = xstrndup(line, i);
        const char *arg = line + i;
        while (isspace((unsigned char)*arg))
                arg++;
        const struct cmd *k = *name ? find_cmd(name) : NULL;
        free(name);
        if (!k) {
                cctl_output(c, "*** Unknown syntax: %s", line);
                c->exitstatus = CCTL_EXIT_GENERIC;
                free(alloc);
                goto out;
        }
        int r = run(c, k, arg);
        if (r < 0 && c->exc_401) {
                cctl_output(c, "Server requires authentication");
                if (c->interactive) {
                        char *u = cctl_readline("Username:");
                        char *p = prompt_secret("Password:");
                        cctl_output(c, "%s", "");
                        free(c->username);
                        free(c->password);
                        c->username = u ? u : xstrdup("");
                        c->password = p ? p : xstrdup("");
                        if (c->cli_ok)
                                cctl_client_set_auth(&c->cli, c->username, c->password);
                        quit = cctl_onecmd(c, line);
                        free(alloc);
                        goto out;
                }
                c->exitstatus = CCTL_EXIT_GENERIC;
                r = run(c, k, arg);
        }
        if (r < 0) {
                cctl_output(c, "error: %s", c->exc ? c->exc : "unknown");
                c->exitstatus = CCTL_EXIT_GENERIC;
        }
        quit = r > 0;
        free(alloc);
out:
        free(buf);
        fflush(stdout);
        return quit;
}
