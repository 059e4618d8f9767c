/* SPDX-License-Identifier: MIT */
/* main — corrald's entry: supervisord's command line, config load, daemonize, pidfile,
 * privileges, subreaper, then the modules on one libev loop, and an orderly exit. */
#include <errno.h>
#include <ev.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "cfg/cfg.h"
#include "ctl/ctl.h"
#include "corrald/daemon.h"
#include "core/log.h"
#include "core/outlog.h"
#include "corrald/sig.h"
#include "core/sup.h"
#include "shared/confpath.h"
#include "shared/util.h"
#include "shared/version.h"

/* Exit statuses (documented in corrald.8). */
enum { EXIT_USAGE = 2, EXIT_RUNTIME = 1 };

static const char *arg0 = "corrald";
static const char *arg_config;
static bool arg_nodaemon, arg_silent, arg_nocleanup, arg_strip_ansi, arg_check_config;
static const char *arg_user, *arg_directory, *arg_logfile, *arg_loglevel, *arg_pidfile;
static const char *arg_identifier, *arg_childlogdir;
static int arg_umask = -1;
static off_t arg_logfile_maxbytes = -1;
static long arg_logfile_backups = -1, arg_minfds = -1, arg_minprocs = -1;

static struct ev_loop *main_loop;

static void
usage(FILE *f)
{
        fprintf(f,
"corrald -- run a set of applications as daemons (supervisord " VERSION_SUPERVISOR " compatible).\n"
"\n"
"Usage: %s [options]\n"
"\n"
"Options:\n"
"-c/--configuration FILENAME -- configuration file path (searches if not given)\n"
"-n/--nodaemon -- run in the foreground (same as 'nodaemon=true' in config file)\n"
"-s/--silent -- no logs to stdout (maps to 'silent=true' in config file)\n"
"-h/--help -- print this usage message and exit\n"
"-v/--version -- print supervisord version number and exit\n"
"-u/--user USER -- run supervisord as this user (or numeric uid)\n"
"-m/--umask UMASK -- use this umask for daemon subprocess (default is 022)\n"
"-d/--directory DIRECTORY -- directory to chdir to when daemonized\n"
"-l/--logfile FILENAME -- use FILENAME as logfile path\n"
"-y/--logfile_maxbytes BYTES -- use BYTES to limit the max size of logfile\n"
"-z/--logfile_backups NUM -- number of backups to keep when max bytes reached\n"
"-e/--loglevel LEVEL -- use LEVEL as log level (debug,info,warn,error,critical)\n"
"-j/--pidfile FILENAME -- write a pid file for the daemon process to FILENAME\n"
"-i/--identifier STR -- identifier used for this instance of supervisord\n"
"-q/--childlogdir DIRECTORY -- the log directory for child process logs\n"
"-k/--nocleanup --  prevent the process from performing cleanup (removal of\n"
"                   old automatic child log files) at startup.\n"
"-a/--minfds NUM -- the minimum number of file descriptors for start success\n"
"-t/--strip_ansi -- strip ansi escape codes from process output\n"
"--minprocs NUM  -- the minimum number of processes available for start success\n"
"--check-config -- validate the configuration (and its includes), print every error\n"
"                  and warning, exit 0 if valid and 2 otherwise\n", arg0);
}

static void __attribute__((noreturn))
usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
usage_error(const char *fmt, ...)
{
        va_list ap;
        fputs("Error: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "\nFor help, use %s -h\n", arg0);
        exit(EXIT_USAGE);
}

static long
opt_long(const char *name, const char *v, long min)
{
        long n;
        if (parse_long(v, &n) < 0 || n < min)
                usage_error("invalid value for %s: '%s'", name, v);
        return n;
}

static void
parse_args(int argc, char **argv)
{
        enum { OPT_MINPROCS = 256, OPT_CHECK_CONFIG, OPT_PROFILE };
        static const struct option longopts[] = {
                { "configuration", required_argument, NULL, 'c' },
                { "nodaemon", no_argument, NULL, 'n' },
                { "silent", no_argument, NULL, 's' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'v' },
                { "user", required_argument, NULL, 'u' },
                { "umask", required_argument, NULL, 'm' },
                { "directory", required_argument, NULL, 'd' },
                { "logfile", required_argument, NULL, 'l' },
                { "logfile_maxbytes", required_argument, NULL, 'y' },
                { "logfile_backups", required_argument, NULL, 'z' },
                { "loglevel", required_argument, NULL, 'e' },
                { "pidfile", required_argument, NULL, 'j' },
                { "identifier", required_argument, NULL, 'i' },
                { "childlogdir", required_argument, NULL, 'q' },
                { "minfds", required_argument, NULL, 'a' },
                { "minprocs", required_argument, NULL, OPT_MINPROCS },
                { "nocleanup", no_argument, NULL, 'k' },
                { "strip_ansi", no_argument, NULL, 't' },
                { "profile_options", required_argument, NULL, OPT_PROFILE },
                { "check-config", no_argument, NULL, OPT_CHECK_CONFIG },
                { NULL, 0, NULL, 0 },
        };
        int c;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":c:nsh?vu:m:d:l:y:z:e:j:i:q:a:kt", longopts, NULL)) != -1) {
                switch (c) {
                case 'c': arg_config = optarg; break;
                case 'n': arg_nodaemon = true; break;
                case 's': arg_silent = true; break;
                case 'h':
                        usage(stdout);
                        exit(0);
                case '?':
                        /* '?' is both a valid option (help) and getopt's error return. */
                        if (optopt == 0 && !strcmp(argv[optind - 1], "-?")) {
                                usage(stdout);
                                exit(0);
                        }
                        if (optopt)
                                usage_error("unknown option '-%c'", optopt);
                        usage_error("unknown option '%s'", argv[optind - 1]);
                case ':':
                        usage_error("option '%s' requires an argument", argv[optind - 1]);
                case 'v':
                        puts(VERSION_SUPERVISOR);
                        exit(0);
                case 'u': arg_user = optarg; break;
                case 'm': {
                        char *end;
                        errno = 0;
                        long m = strtol(optarg, &end, 8);
                        if (errno || !*optarg || *end || m < 0 || m > 0777)
                                usage_error("invalid umask '%s' (an octal number is expected)", optarg);
                        arg_umask = (int)m;
                        break;
                }
                case 'd': arg_directory = optarg; break;
                case 'l': arg_logfile = optarg; break;
                case 'y':
                        if (cfg_parse_bytes(optarg, &arg_logfile_maxbytes) < 0)
                                usage_error("invalid byte size '%s' for --logfile_maxbytes", optarg);
                        break;
                case 'z': arg_logfile_backups = opt_long("--logfile_backups", optarg, 0); break;
                case 'e': {
                        enum log_level l;
                        if (log_level_parse(optarg, &l) < 0)
                                usage_error("invalid log level '%s'", optarg);
                        arg_loglevel = optarg;
                        break;
                }
                case 'j': arg_pidfile = optarg; break;
                case 'i': arg_identifier = optarg; break;
                case 'q': arg_childlogdir = optarg; break;
                case 'a': arg_minfds = opt_long("--minfds", optarg, 0); break;
                case OPT_MINPROCS: arg_minprocs = opt_long("--minprocs", optarg, 0); break;
                case 'k': arg_nocleanup = true; break;
                case 't': arg_strip_ansi = true; break;
                case OPT_PROFILE: break;        /* accepted for compatibility, no profiler */
                case OPT_CHECK_CONFIG: arg_check_config = true; break;
                default:
                        usage_error("can't happen: option %d", c);
                }
        }
        if (optind < argc)
                usage_error("positional arguments are not supported: '%s'", argv[optind]);
}

static void
set_str(char **field, const char *v)
{
        free(*field);
        *field = v ? xstrdup(v) : NULL;
}

/* A relative path made absolute against the current directory (supervisord normalizes paths at
 * parse time; we must do it before daemonizing changes the directory). */
static void
make_absolute(char **field)
{
        if (!*field || (*field)[0] == '/' || !strcmp(*field, "syslog"))
                return;
        char *cwd = getcwd(NULL, 0);
        if (!cwd)
                return;
        char *abs = xasprintf("%s/%s", cwd, *field);
        free(cwd);
        free(*field);
        *field = abs;
}

/* Command-line values override the config; applied to every config loaded (reload too). */
static void
apply_overrides(struct cfg *cfg)
{
        struct cfg_supervisord *sd = &cfg->sd;
        if (arg_user)
                set_str(&sd->user, arg_user);
        if (arg_umask >= 0)
                sd->umask = arg_umask;
        if (arg_directory)
                set_str(&sd->directory, arg_directory);
        if (arg_logfile)
                set_str(&sd->logfile, arg_logfile);
        if (arg_logfile_maxbytes >= 0)
                sd->logfile_maxbytes = arg_logfile_maxbytes;
        if (arg_logfile_backups >= 0)
                sd->logfile_backups = (int)arg_logfile_backups;
        if (arg_loglevel)
                set_str(&sd->loglevel, arg_loglevel);
        if (arg_pidfile)
                set_str(&sd->pidfile, arg_pidfile);
        if (arg_identifier)
                set_str(&sd->identifier, arg_identifier);
        if (arg_childlogdir)
                set_str(&sd->childlogdir, arg_childlogdir);
        if (arg_minfds >= 0)
                sd->minfds = arg_minfds;
        if (arg_minprocs >= 0)
                sd->minprocs = arg_minprocs;
        if (arg_nocleanup)
                sd->nocleanup = true;
        if (arg_strip_ansi)
                sd->strip_ansi = true;
        if (arg_nodaemon)
                sd->nodaemon = true;
        if (arg_silent)
                sd->silent = true;
        make_absolute(&sd->logfile);
        make_absolute(&sd->pidfile);
}

static struct cfg *
load_config(const char *path, bool for_check)
{
        struct cfg_load_options o = {
                .path = path,
                .resolve_users = true,
                .check_logdirs = true,
        };
        struct cfg_errors errs = { 0 };
        struct cfg *cfg = cfg_load(&o, &errs);
        if (!cfg) {
                for (size_t i = 0; i < errs.n; i++) {
                        const char *t = errs.v[i].text ? errs.v[i].text : errs.v[i].msg;
                        fprintf(stderr, "Error: %s\n", t ? t : "unknown configuration error");
                }
                if (errs.n == 0)
                        fprintf(stderr, "Error: could not load configuration '%s'\n", path);
                cfg_errors_clear(&errs);
                if (!for_check)
                        fprintf(stderr, "For help, use %s -h\n", arg0);
                exit(EXIT_USAGE);
        }
        cfg_errors_clear(&errs);
        for (size_t i = 0; i < cfg->nwarnings; i++)
                fprintf(stderr, "Warning: %s\n", cfg->warnings[i]);
        return cfg;
}

static void
main_on_done(void)
{
        ev_break(main_loop, EVBREAK_ALL);
}

int
main(int argc, char **argv)
{
        if (argv[0] && argv[0][0])
                arg0 = argv[0];
        parse_args(argc, argv);
        daemon_notify_setup();

        char *path = arg_config ? xstrdup(arg_config) : confpath_find(argv[0]);
        if (!path)
                usage_error("No config file found at default paths (../etc/supervisord.conf, "
                            "../supervisord.conf, supervisord.conf, etc/supervisord.conf, "
                            "/etc/supervisord.conf, /etc/supervisor/supervisord.conf); use the -c "
                            "option to specify a config file at a different path");
        if (!arg_config && getuid() == 0)
                fprintf(stderr, "Warning: corrald is running as root and it is searching for its "
                        "configuration file in default locations (including its current working "
                        "directory); you probably want to specify a \"-c\" argument specifying an "
                        "absolute path to a configuration file for improved security.\n");

        struct cfg *cfg = load_config(path, arg_check_config);
        if (arg_check_config) {
                printf("%s: configuration is valid (%zu group(s), %zu warning(s))\n", cfg->path,
                       cfg->ngroups, cfg->nwarnings);
                cfg_free(cfg);
                free(path);
                return 0;
        }
        apply_overrides(cfg);
        const struct cfg_supervisord *sd = &cfg->sd;

        enum log_level level = LOGL_INFO;
        if (sd->loglevel && log_level_parse(sd->loglevel, &level) < 0)
                usage_error("invalid log level '%s'", sd->loglevel);

        char *msg = NULL;
        if (daemon_raise_limits(sd->minfds, sd->minprocs, &msg) < 0)
                usage_error("%s", msg);

        if (sd->pidfile) {
                pid_t owner = daemon_pidfile_owner(sd->pidfile);
                if (owner > 0) {
                        fprintf(stderr, "Error: another corrald (pid %ld) is already running with "
                                "pidfile '%s'\n", (long)owner, sd->pidfile);
                        exit(EXIT_RUNTIME);
                }
        }

        bool daemonized = false;
        if (!sd->nodaemon) {
                if (daemon_fork(sd->directory, sd->umask, &msg) < 0)
                        usage_error("%s", msg);
                daemonized = true;
        }

        if (sd->pidfile && daemon_pidfile_write(sd->pidfile, &msg) < 0) {
                fprintf(stderr, "Error: %s\n", msg);
                exit(EXIT_RUNTIME);
        }

        bool root_warning = false;
        if (sd->user) {
                if (daemon_drop_privileges(sd->user, &msg) < 0) {
                        daemon_pidfile_remove();
                        usage_error("%s", msg);
                }
        } else if (getuid() == 0) {
                root_warning = true;
        }

        if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
                fprintf(stderr, "Warning: PR_SET_CHILD_SUBREAPER failed: %s; orphans of workers "
                        "will not be adopted\n", strerror(errno));
        signal(SIGPIPE, SIG_IGN);

        struct log_options lo = {
                .path = sd->logfile,
                .maxbytes = sd->logfile_maxbytes,
                .backups = sd->logfile_backups,
                .level = level,
                .echo_stdout = sd->nodaemon && !sd->silent,
        };
        int r = log_open(&lo);
        if (r < 0) {
                fprintf(stderr, "Error: can't open the log file '%s': %s\n",
                        sd->logfile ? sd->logfile : "", strerror(-r));
                daemon_pidfile_remove();
                exit(EXIT_RUNTIME);
        }
        if (daemonized) {
                for (size_t i = 0; i < cfg->nwarnings; i++)
                        log_warn("%s", cfg->warnings[i]);
        }
        if (root_warning)
                log_crit("Supervisor is running as root.  Privileges were not dropped because no "
                         "user is specified in the config file.  If you intend to run as root, you "
                         "can set user=root in the config file to avoid this message.");
        if (daemonized) {
                log_info("daemonizing the supervisord process");
                if (sd->directory)
                        log_info("set current directory: '%s'", sd->directory);
        }
        if (!sd->nocleanup && sd->childlogdir)
                outlog_cleanup_auto(sd->childlogdir, sd->identifier ? sd->identifier : "supervisor");

        main_loop = ev_default_loop(0);
        if (!main_loop) {
                log_crit("could not initialise the event loop, exiting");
                daemon_pidfile_remove();
                log_close();
                exit(EXIT_RUNTIME);
        }

        struct sup_options so = {
                .config_path = cfg->path,      /* absolute: daemonizing may have changed the cwd */
                .resolve_users = true,
                .on_load = apply_overrides,
                .notify = daemon_notify,
                .on_config = ctl_reconfigure,
        };
        const struct cfg *first = cfg;  /* sup keeps it alive until sup_fini */
        sup_set_on_done(main_on_done);
        r = sup_init(main_loop, cfg, &so);
        if (r < 0) {
                log_crit("could not set up the process table: %s, exiting", strerror(-r));
                daemon_pidfile_remove();
                log_close();
                exit(EXIT_RUNTIME);
        }
        sig_init(main_loop);
        if (ctl_init(main_loop, first) < 0) {
                log_crit("could not start the control server, exiting");
                sig_fini();
                sup_fini();
                daemon_pidfile_remove();
                log_close();
                exit(EXIT_USAGE);
        }
        log_info("supervisord started with pid %ld", (long)getpid());
        sup_autostart();
        daemon_notify("READY=1");

        ev_run(main_loop, 0);

        sig_fini();
        ctl_fini();
        sup_fini();
        daemon_pidfile_remove();
        log_info("corrald exiting");
        log_close();
        free(path);
        free(msg);
        return 0;
}
