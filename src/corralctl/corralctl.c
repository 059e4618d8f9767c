/* SPDX-License-Identifier: MIT */
/* corralctl — the native client: supervisorctl's options, config search and [supervisorctl]
 * section, then one command or an interactive shell. Commands live in corralctl_cmd.c. */
#include "corralctl/corralctl.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shared/util.h"

static const char *progname = "corralctl";

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
        fprintf(stderr, "\nFor help, use %s -h\n", progname);
        exit(2);
}

/* ---- [supervisorctl] from a supervisord-format INI file (compat A.1, F.4) -------------------- */

struct kv {
        char *key, *value;
};

struct section {
        struct kv *v;
        size_t n;
        bool present;
        int key_indent;                 /* indentation of the last key line (continuations) */
        bool in_value;
};

static char *
strip(char *s)
{
        while (isspace((unsigned char)*s))
                s++;
        size_t n = strlen(s);
        while (n > 0 && isspace((unsigned char)s[n - 1]))
                s[--n] = '\0';
        return s;
}

/* Inline comments: ';' or '#' preceded by whitespace (RawConfigParser inline_comment_prefixes). */
static void
cut_inline_comment(char *s)
{
        for (char *p = s + 1; *p; p++)
                if ((*p == ';' || *p == '#') && isspace((unsigned char)p[-1])) {
                        *p = '\0';
                        return;
                }
}

static void
section_set(struct section *sec, const char *key, const char *value)
{
        for (size_t i = 0; i < sec->n; i++)
                if (strcmp(sec->v[i].key, key) == 0) {
                        free(sec->v[i].value);
                        sec->v[i].value = xstrdup(value);
                        return;
                }
        sec->v = xrealloc(sec->v, (sec->n + 1) * sizeof *sec->v);
        sec->v[sec->n].key = xstrdup(key);
        sec->v[sec->n].value = xstrdup(value);
        sec->n++;
}

static const char *
section_get(const struct section *sec, const char *key)
{
        for (size_t i = 0; i < sec->n; i++)
                if (strcmp(sec->v[i].key, key) == 0)
                        return sec->v[i].value;
        return NULL;
}

/* Read the [supervisorctl] section of path. Exits with a usage error like supervisorctl. */
static void
read_ctl_section(const char *path, struct section *sec)
{
        FILE *f = fopen(path, "r");
        if (!f) {
                if (errno == ENOENT)
                        usage_error("could not find config file %s", path);
                usage_error("could not read config file %s", path);
        }
        char *line = NULL;
        size_t cap = 0;
        ssize_t len;
        bool in_ctl = false, any_section = false;
        char *cur_key = NULL;
        int cur_indent = -1, lineno = 0;
        while ((len = getline(&line, &cap, f)) >= 0) {
                lineno++;
                while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
                        line[--len] = '\0';
                int indent = 0;
                while (line[indent] == ' ' || line[indent] == '\t')
                        indent++;
                char *t = line + indent;
                if (*t == ';' || *t == '#') {
                        continue;
                }
                if (*t == '\0') {
                        /* blank lines end nothing by themselves (kept inside a continued value
                         * only when more indented text follows; harmless to drop here) */
                        continue;
                }
                if (cur_key && indent > cur_indent) {
                        cut_inline_comment(t);
                        char *v = strip(t);
                        if (in_ctl && *v) {
                                const char *old = section_get(sec, cur_key);
                                char *nv = xasprintf("%s\n%s", old ? old : "", v);
                                section_set(sec, cur_key, nv);
                                free(nv);
                        }
                        continue;
                }
                if (*t == '[') {
                        cut_inline_comment(t);
                        char *h = strip(t);
                        size_t hl = strlen(h);
                        if (hl >= 3 && h[hl - 1] == ']') {
                                h[hl - 1] = '\0';
                                in_ctl = strcmp(h + 1, "supervisorctl") == 0;
                                if (in_ctl)
                                        sec->present = true;
                                any_section = true;
                                free(cur_key);
                                cur_key = NULL;
                                continue;
                        }
                }
                if (!any_section)
                        usage_error("File contains no section headers.\nfile: '%s', line: %d\n%s",
                                    path, lineno, line);
                cut_inline_comment(t);
                size_t klen = strcspn(t, "=:");
                if (t[klen] == '\0')
                        usage_error("Source contains parsing errors: '%s'\n\t[line %2d]: '%s'",
                                    path, lineno, line);
                t[klen] = '\0';
                char *k = strip(t), *v = strip(t + klen + 1);
                for (char *p = k; *p; p++)
                        *p = (char)tolower((unsigned char)*p);
                free(cur_key);
                cur_key = xstrdup(k);
                cur_indent = indent;
                if (in_ctl)
                        section_set(sec, k, v);
        }
        free(cur_key);
        free(line);
        fclose(f);
}

/* Python '%' formatting restricted to "%(name)s" and "%%" (supervisor's expand()). */
static char *
expand(const char *s, const char *here, const char *what)
{
        struct xr_buf b = { 0 };
        xr_buf_puts(&b, "");
        for (const char *p = s; *p; p++) {
                if (*p != '%') {
                        xr_buf_append(&b, p, 1);
                        continue;
                }
                if (p[1] == '%') {
                        xr_buf_append(&b, "%", 1);
                        p++;
                        continue;
                }
                const char *close = p[1] == '(' ? strchr(p + 2, ')') : NULL;
                if (!close || close[1] != 's')
                        usage_error("Could not expand '%s' in %s: bad format string", s, what);
                char *name = xstrndup(p + 2, (size_t)(close - p - 2));
                const char *val = NULL;
                if (strcmp(name, "here") == 0 && here)
                        val = here;
                else if (strncmp(name, "ENV_", 4) == 0)
                        val = getenv(name + 4);
                if (!val)
                        usage_error("Format string '%s' for '%s' contains names ('%s') which cannot be "
                                    "expanded. Available names: ENV_*%s", s, what, name,
                                    here ? ", here" : "");
                free(name);
                xr_buf_puts(&b, val);
                p = close + 1;
        }
        return b.p;
}

/* os.path.normpath(os.path.abspath(os.path.expanduser(p))) */
static char *
normalize_path(const char *p)
{
        char *e;
        if (p[0] == '~' && (p[1] == '/' || p[1] == '\0') && getenv("HOME"))
                e = xasprintf("%s%s", getenv("HOME"), p + 1);
        else
                e = xstrdup(p);
        char *abs;
        if (e[0] == '/')
                abs = e;
        else {
                char cwd[PATH_MAX];
                abs = xasprintf("%s/%s", getcwd(cwd, sizeof cwd) ? cwd : ".", e);
                free(e);
        }
        /* collapse "//", "/./" and "/x/../" */
        size_t n = strlen(abs);
        char **parts = xcalloc(n + 1, sizeof *parts);
        size_t np = 0;
        for (char *save = NULL, *tok = strtok_r(abs, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
                if (strcmp(tok, ".") == 0)
                        continue;
                if (strcmp(tok, "..") == 0) {
                        if (np)
                                np--;
                        continue;
                }
                parts[np++] = tok;
        }
        struct xr_buf b = { 0 };
        xr_buf_puts(&b, np ? "" : "/");
        for (size_t i = 0; i < np; i++) {
                xr_buf_puts(&b, "/");
                xr_buf_puts(&b, parts[i]);
        }
        free(parts);
        free(abs);
        return b.p;
}

static char *
dirname_of(const char *p)
{
        const char *slash = strrchr(p, '/');
        if (!slash)
                return xstrdup("");
        if (slash == p)
                return xstrdup("/");
        return xstrndup(p, (size_t)(slash - p));
}

/* supervisorctl's search path (compat B.1), then corral's own default. */
static char *
find_config(const char *argv0)
{
        char *d1 = dirname_of(argv0);
        char *here = dirname_of(d1);
        free(d1);
        char *cands[] = {
                xasprintf("%s%setc/supervisord.conf", here, *here ? "/" : ""),
                xasprintf("%s%ssupervisord.conf", here, *here ? "/" : ""),
                xstrdup("supervisord.conf"),
                xstrdup("etc/supervisord.conf"),
                xstrdup("/etc/supervisord.conf"),
                xstrdup("/etc/supervisor/supervisord.conf"),
                xstrdup("/etc/corral/corral.conf"),
        };
        free(here);
        char *found = NULL;
        for (size_t i = 0; i < ARRAY_SIZE(cands); i++) {
                if (!found && access(cands[i], F_OK) == 0)
                        found = cands[i];
                else
                        free(cands[i]);
        }
        return found;
}

static void
load_config(struct ctl *c, const char *path, bool url_set, bool user_set, bool pass_set)
{
        struct section sec = { 0 };
        read_ctl_section(path, &sec);
        if (!sec.present)
                usage_error(".ini file does not include supervisorctl section");
        char *abspath = normalize_path(path);
        char *here = dirname_of(abspath);
        free(abspath);
        const char *v;
        if (!url_set) {
                v = section_get(&sec, "serverurl");
                char *u = expand(v ? v : "http://localhost:9001", here, "supervisorctl.serverurl");
                if (strncmp(u, "unix://", 7) == 0) {
                        char *np = normalize_path(u + 7);
                        free(u);
                        u = xasprintf("unix://%s", np);
                        free(np);
                }
                free(c->serverurl);
                c->serverurl = u;
        }
        if ((v = section_get(&sec, "prompt"))) {
                free(c->prompt);
                c->prompt = expand(v, NULL, "supervisorctl.prompt");
        }
        if (!user_set && (v = section_get(&sec, "username")))
                c->username = expand(v, NULL, "supervisorctl.username");
        if (!pass_set && (v = section_get(&sec, "password")))
                c->password = expand(v, NULL, "supervisorctl.password");
        free(here);
        for (size_t i = 0; i < sec.n; i++) {
                free(sec.v[i].key);
                free(sec.v[i].value);
        }
        free(sec.v);
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
ctl_readline(const char *prompt)
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

static struct ctl *sigint_ctl;

/* ^C ends tail -f, fg and the shell's prompt cleanly (their reads return EINTR); anywhere else
 * it terminates the process, as the KeyboardInterrupt does supervisorctl. */
static void
on_sigint(int sig)
{
        if (sigint_ctl && sigint_ctl->catching) {
                sigint_ctl->stop = 1;
                return;
        }
        signal(sig, SIG_DFL);
        raise(sig);
}

int
main(int argc, char **argv)
{
        struct ctl c = { 0 };
        c.prompt = xstrdup("supervisor");
        c.msg = stdout;
        progname = argv[0];
        signal(SIGPIPE, SIG_IGN);

        enum { OPT_JSON = 1000 };
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
                { 0 },
        };
        char *conf = NULL;
        bool url_set = false, user_set = false, pass_set = false;
        opterr = 0;
        int o;
        while ((o = getopt_long(argc, argv, "+hc:is:u:p:r:?", longopts, NULL)) != -1) {
                switch (o) {
                case 'h':
                        printf(usage_text, progname);
                        return 0;
                case '?':
                        if (optopt == '?' || (optopt == 0 && strcmp(argv[optind - 1], "-?") == 0)) {
                                printf(usage_text, progname);
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
                }
        }
        if (!conf)
                conf = find_config(argv[0]);
        if (conf)
                load_config(&c, conf, url_set, user_set, pass_set);
        free(conf);
        if (!c.serverurl)
                c.serverurl = xstrdup("http://localhost:9001");

        sigint_ctl = &c;
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
                ctl_onecmd(&c, line.p);
                xr_buf_free(&line);
                rc = c.exitstatus;
        } else {
                c.interactive = true;
                char *prompt = xasprintf("%s> ", c.prompt);
                bool quit = ctl_onecmd(&c, "status");
                while (!quit) {
                        c.stop = 0;
                        c.catching = 1;
                        char *line = ctl_readline(prompt);
                        c.catching = 0;
                        if (!line) {
                                if (c.stop) {   /* ^C at the prompt: leave like cmd.Cmd */
                                        fputs("\n", stdout);
                                        break;
                                }
                                quit = ctl_onecmd(&c, "EOF");
                                break;
                        }
                        quit = ctl_onecmd(&c, line);
                        free(line);
                }
                free(prompt);
                rc = 0;         /* interactive mode always exits 0 */
        }
        fflush(stdout);
        if (c.cli_ok)
                cc_client_fini(&c.cli);
        free(c.serverurl);
        free(c.username);
        free(c.password);
        free(c.prompt);
        free(c.exc);
        return rc;
}
