/* SPDX-License-Identifier: MIT */
/* corralctl main — the native client's entry: supervisorctl's options, config search and
 * [supervisorctl] section, then one command or an interactive shell. Commands live in cctl_cmd.c. */
#include "corralctl/cctl.h"

#include <ctype.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg/cfg.h"
#include "shared/confpath.h"
#include "shared/util.h"

static struct {
        const char *progname;
        struct cctl *sigint_ctl;        /* whose stop flag ^C sets while it catches */
} S = { .progname = "corralctl" };

static const char usage_text[] =
        "corralctl -- control applications run by corrald (or supervisord) from the cmd line.\n"
        "\n"
        "Usage: %s [options] [action [arguments]]\n"
        "\n"
        "Options:\n"
        "-c/--configuration FILENAME -- configuration file path (searches if not given)\n"
        "-h/--help -- print usage message and exit\n"
        "-i/--interactive -- start an interactive shell after executing commands\n"
        "-s/--serverurl URL -- URL on which supervisord server is listening\n"
        "     (default \"http://localhost:9001\").\n"
        "-u/--username USERNAME -- username to use for authentication with server\n"
        "-p/--password PASSWORD -- password to use for authentication with server\n"
        "-r/--history-file -- keep a readline history (accepted, unused: no readline)\n"
        "--json -- machine-readable output for status, avail, pid and reread\n"
        "--timeout SECONDS -- give up on a server that does not answer (default 10; 0: wait\n"
        "     forever; calls that wait on processes and tail -f are never cut short)\n"
        "\n"
        "action [arguments] -- see below\n"
        "\n"
        "Actions are commands like \"tail\" or \"stop\".  If -i is specified or no action is\n"
        "specified on the command line, a \"shell\" interpreting actions typed\n"
        "interactively is started.  Use the action \"help\" to find out about available\n"
        "actions.\n";

static void __attribute__((noreturn))
usage_error(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        fputs("Error: ", stderr);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "\nFor help, use %s -h\n", S.progname);
        exit(2);
}

/* ---- [supervisorctl] through the daemon's config layer (compat A.1, F.4) -------------------- */

/* supervisorctl's ClientOptions: the file's INI syntax and its [supervisorctl] section, expanded
 * (%(here)s, %(ENV_X)s; unix:// paths made absolute) by cfg in its client mode. Any problem is a
 * usage error (exit 2), as supervisorctl's are. */
static void
load_config(struct cctl *c, const char *path, bool url_set, bool user_set, bool pass_set)
{
        if (access(path, F_OK) != 0)
                usage_error("could not find config file %s", path);
        if (access(path, R_OK) != 0)
                usage_error("could not read config file %s", path);
        struct cfg_load_options o = { .path = path, .client = true };
        struct cfg_errors errs = { 0 };
        struct cfg *cfg = cfg_load(&o, &errs);
        if (!cfg) {
                for (size_t i = 0; i + 1 < errs.n; i++)
                        fprintf(stderr, "Error: %s\n", errs.v[i].text);
                usage_error("%s", errs.n ? errs.v[errs.n - 1].text : "could not read config file");
        }
        cfg_errors_clear(&errs);
        const struct cfg_supervisorctl *sec = &cfg->ctl;
        if (!sec->present)
                usage_error(".ini file does not include supervisorctl section");
        if (!url_set) {
                free(c->serverurl);
                c->serverurl = xstrdup(sec->serverurl);
        }
        free(c->prompt);
        c->prompt = xstrdup(sec->prompt);
        if (!user_set && sec->username)
                c->username = xstrdup(sec->username);
        if (!pass_set && sec->password)
                c->password = xstrdup(sec->password);
        cfg_free(cfg);
}

/* The url() option type: a scheme and a netloc or path. */
static bool
looks_like_url(const char *s)
{
        const char *colon = strchr(s, ':');
        if (!colon || colon == s || !isalpha((unsigned char)s[0]))
                return false;
        for (const char *p = s; p < colon; p++)
                if (!isalnum((unsigned char)*p) && *p != '+' && *p != '-' && *p != '.')
                        return false;
        return colon[1] != '\0';
}

/* ---- the shell ----------------------------------------------------------------------------- */

char *
cctl_readline(const char *prompt)
{
        clearerr(stdin);
        if (prompt) {
                fputs(prompt, stdout);
                fflush(stdout);
        }
        char *line = NULL;
        size_t cap = 0;
        ssize_t n = getline(&line, &cap, stdin);
        if (n < 0) {
                free(line);
                return NULL;
        }
        if (n > 0 && line[n - 1] == '\n')
                line[--n] = '\0';
        return line;
}

/* ^C ends tail -f, fg and the shell's prompt cleanly (their reads return EINTR); anywhere else
 * it terminates the process, as the KeyboardInterrupt does supervisorctl. */
static void
on_sigint(int sig)
{
        if (S.sigint_ctl && S.sigint_ctl->catching) {
                S.sigint_ctl->stop = 1;
                return;
        }
        signal(sig, SIG_DFL);
        raise(sig);
}

int
main(int argc, char **argv)
{
        struct cctl c = { 0 };
        c.prompt = xstrdup("supervisor");
        c.msg = stdout;
        S.progname = argv[0];
        signal(SIGPIPE, SIG_IGN);

        enum { OPT_JSON = 1000, OPT_TIMEOUT };
        static const struct option longopts[] = {
                { "help", no_argument, NULL, 'h' },
                { "configuration", required_argument, NULL, 'c' },
                { "interactive", no_argument, NULL, 'i' },
                { "serverurl", required_argument, NULL, 's' },
                { "username", required_argument, NULL, 'u' },
                { "password", required_argument, NULL, 'p' },
                { "history_file", required_argument, NULL, 'r' },
                { "history-file", required_argument, NULL, 'r' },
                { "json", no_argument, NULL, OPT_JSON },
                { "timeout", required_argument, NULL, OPT_TIMEOUT },
                { 0 },
        };
        char *conf = NULL;
        bool url_set = false, user_set = false, pass_set = false;
        opterr = 0;
        int o;
        while ((o = getopt_long(argc, argv, "+hc:is:u:p:r:?", longopts, NULL)) != -1) {
                switch (o) {
                case 'h':
                        printf(usage_text, S.progname);
                        return 0;
                case '?':
                        if (optopt == '?' || (optopt == 0 && strcmp(argv[optind - 1], "-?") == 0)) {
                                printf(usage_text, S.progname);
                                return 0;
                        }
                        if (optopt && strchr("csupr", optopt))
                                usage_error("option -%c requires argument", optopt);
                        if (optopt)
                                usage_error("option -%c not recognized", optopt);
                        usage_error("option %s not recognized", argv[optind - 1]);
                case ':':
                        usage_error("option -%c requires argument", optopt);
                case 'c':
                        free(conf);
                        conf = xstrdup(optarg);
                        break;
                case 'i':
                        c.interactive = true;
                        break;
                case 's':
                        if (!looks_like_url(optarg))
                                usage_error("invalid value for -s '%s': value '%s' is not a URL",
                                            optarg, optarg);
                        free(c.serverurl);
                        c.serverurl = xstrdup(optarg);
                        url_set = true;
                        break;
                case 'u':
                        free(c.username);
                        c.username = xstrdup(optarg);
                        user_set = true;
                        break;
                case 'p':
                        free(c.password);
                        c.password = xstrdup(optarg);
                        pass_set = true;
                        break;
                case 'r':
                        break;
                case OPT_JSON:
                        c.json = true;
                        break;
                case OPT_TIMEOUT: {
                        char *end;
                        long v = strtol(optarg, &end, 10);
                        if (*optarg == '\0' || *end || v < 0 || v > 86400)
                                usage_error("invalid value for --timeout '%s': seconds from 0 (wait "
                                            "forever) to 86400", optarg);
                        cctl_set_timeout((int)v);
                        break;
                }
                }
        }
        if (!conf)
                conf = confpath_find(argv[0]);
        if (conf)
                load_config(&c, conf, url_set, user_set, pass_set);
        free(conf);
        if (!c.serverurl)
                c.serverurl = xstrdup("http://localhost:9001");

        S.sigint_ctl = &c;
        struct sigaction sa = { .sa_handler = on_sigint };      /* no SA_RESTART */
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);

        int rc = 0;
        if (optind < argc) {
                /* " ".join(args), as supervisorctl does */
                struct xr_buf line = { 0 };
                for (int i = optind; i < argc; i++) {
                        if (i > optind)
                                xr_buf_puts(&line, " ");
                        xr_buf_puts(&line, argv[i]);
                }
                cctl_onecmd(&c, line.p);
                xr_buf_free(&line);
                rc = c.exitstatus;
        } else {
                c.interactive = true;
                char *prompt = xasprintf("%s> ", c.prompt);
                bool quit = cctl_onecmd(&c, "status");
                while (!quit) {
                        c.stop = 0;
                        c.catching = 1;
                        char *line = cctl_readline(prompt);
                        c.catching = 0;
                        if (!line) {
                                if (c.stop) {   /* ^C at the prompt: leave like cmd.Cmd */
                                        fputs("\n", stdout);
                                        break;
                                }
                                (void)cctl_onecmd(&c, "EOF");
                                break;
                        }
                        quit = cctl_onecmd(&c, line);
                        free(line);
                }
                free(prompt);
                rc = 0;         /* interactive mode always exits 0 */
        }
        fflush(stdout);
        if (c.cli_ok)
                cctl_client_fini(&c.cli);
        free(c.serverurl);
        free(c.username);
        free(c.password);
        free(c.prompt);
        free(c.exc);
        free(c.fault_string);
        return rc;
}
