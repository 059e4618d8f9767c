/* SPDX-License-Identifier: MIT */
/* daemon — rlimits, single-fork daemonizing, the locked pidfile, privilege drop, sd_notify. */
#include "corrald/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "shared/util.h"

static int pid_fd = -1;
static char *pid_path;
static dev_t pid_dev;
static ino_t pid_ino;

static int
raise_one(int resource, const char *name, long want, char **ret_msg)
{
        struct rlimit rl;

        if (want <= 0)
                return 0;
        if (getrlimit(resource, &rl) < 0) {
                *ret_msg = xasprintf("getrlimit(%s): %s", name, strerror(errno));
                return -errno;
        }
        if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur >= (rlim_t)want)
                return 0;
        if (rl.rlim_cur == RLIM_INFINITY)
                return 0;
        struct rlimit nrl = rl;
        nrl.rlim_cur = (rlim_t)want;
        if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < (rlim_t)want)
                nrl.rlim_max = (rlim_t)want;    /* only root may raise the hard limit */
        if (setrlimit(resource, &nrl) < 0) {
                int e = errno;
                *ret_msg = xasprintf("The minimum number of %s required to run this process is %ld "
                                     "but the hard limit is %llu (%s); raise the hard limit or lower "
                                     "the minimum in the config", name, want,
                                     (unsigned long long)rl.rlim_max, strerror(e));
                return -e;
        }
        return 0;
}

int
daemon_raise_limits(long minfds, long minprocs, char **ret_msg)
{
        int r = raise_one(RLIMIT_NOFILE, "file descriptors", minfds, ret_msg);
        if (r < 0)
                return r;
        return raise_one(RLIMIT_NPROC, "available processes", minprocs, ret_msg);
}

int
daemon_fork(const char *directory, int umask_value, char **ret_msg)
{
        /* Check the directory before forking, so that the error reaches the terminal. */
        if (directory && access(directory, X_OK) < 0) {
                *ret_msg = xasprintf("can't chdir to '%s': %s", directory, strerror(errno));
                return -errno;
        }
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0) {
                *ret_msg = xasprintf("fork: %s", strerror(errno));
                return -errno;
        }
        if (pid > 0)
                _exit(0);
        if (directory && chdir(directory) < 0) {
                /* Nobody can hear us any more; carry on in the old directory. */
        }
        int fd = open("/dev/null", O_RDWR);
        if (fd >= 0) {
                (void)dup2(fd, 0);
                (void)dup2(fd, 1);
                (void)dup2(fd, 2);
                if (fd > 2)
                        close(fd);
        }
        (void)setsid();
        if (umask_value >= 0)
                (void)umask((mode_t)umask_value);
        return 0;
}

static pid_t
read_pid(int fd)
{
        char buf[32];
        ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
        if (n <= 0)
                return 0;
        buf[n] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        long v;
        if (parse_long(buf, &v) < 0 || v <= 0)
                return 0;
        return (pid_t)v;
}

pid_t
daemon_pidfile_owner(const char *path)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return 0;
        pid_t owner = 0;
        if (flock(fd, LOCK_SH | LOCK_NB) < 0) {
                if (errno == EWOULDBLOCK) {
                        owner = read_pid(fd);
                        if (owner <= 0)
                                owner = 1;      /* locked, content not (yet) written */
                }
        } else {
                (void)flock(fd, LOCK_UN);
        }
        close(fd);
        return owner;
}

int
daemon_pidfile_write(const char *path, char **ret_msg)
{
        pid_t owner = daemon_pidfile_owner(path);
        if (owner > 0 && owner != getpid()) {
                *ret_msg = xasprintf("another corrald (pid %ld) is already running with pidfile '%s'",
                                     (long)owner, path);
                return -EEXIST;
        }
        /* Write a private temp file, lock it, then rename it into place: readers never see a
         * partial pid, and the lock travels with the inode. */
        char *tmp = xasprintf("%s.new.%ld", path, (long)getpid());
        (void)unlink(tmp);
        int fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0644);
        if (fd < 0) {
                int e = errno;
                *ret_msg = xasprintf("can't write pidfile '%s': %s", tmp, strerror(e));
                free(tmp);
                return -e;
        }
        char buf[32];
        int len = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
        int e = 0;
        if (flock(fd, LOCK_EX | LOCK_NB) < 0)
                e = errno;
        else if (write(fd, buf, (size_t)len) != len)
                e = errno ? errno : EIO;
        else if (rename(tmp, path) < 0)
                e = errno;
        if (e) {
                *ret_msg = xasprintf("can't write pidfile '%s': %s", path, strerror(e));
                (void)unlink(tmp);
                close(fd);
                free(tmp);
                return -e;
        }
        free(tmp);
        struct stat st;
        if (fstat(fd, &st) == 0) {
                pid_dev = st.st_dev;
                pid_ino = st.st_ino;
        }
        pid_fd = fd;
        free(pid_path);
        pid_path = xstrdup(path);
        return 0;
}

void
daemon_pidfile_remove(void)
{
        if (pid_fd < 0)
                return;
        struct stat st;
        /* Only unlink the file if it is still the one we wrote. */
        if (stat(pid_path, &st) == 0 && st.st_dev == pid_dev && st.st_ino == pid_ino)
                (void)unlink(pid_path);
        close(pid_fd);
        pid_fd = -1;
        free(pid_path);
        pid_path = NULL;
}

int
daemon_drop_privileges(const char *user, char **ret_msg)
{
        struct passwd *pw = getpwnam(user);
        if (!pw) {
                long v;
                if (parse_long(user, &v) == 0 && v >= 0)
                        pw = getpwuid((uid_t)v);
        }
        if (!pw) {
                *ret_msg = xasprintf("Invalid user name %s", user);
                return -ENOENT;
        }
        if (getuid() != 0) {
                if (getuid() == pw->pw_uid)
                        return 0;
                *ret_msg = xasprintf("Can't drop privilege as nonroot user");
                return -EPERM;
        }
        if (setgid(pw->pw_gid) < 0) {
                *ret_msg = xasprintf("Could not set group id of effective user: %s", strerror(errno));
                return -errno;
        }
        if (initgroups(pw->pw_name, pw->pw_gid) < 0) {
                *ret_msg = xasprintf("Could not set groups of effective user: %s", strerror(errno));
                return -errno;
        }
        if (setuid(pw->pw_uid) < 0) {
                *ret_msg = xasprintf("Could not set user id of effective user: %s", strerror(errno));
                return -errno;
        }
        return 0;
}

static char *notify_socket;

void
daemon_notify_setup(void)
{
        const char *v = getenv("NOTIFY_SOCKET");
        free(notify_socket);
        notify_socket = v && *v ? xstrdup(v) : NULL;
        (void)unsetenv("NOTIFY_SOCKET");
}

void
daemon_notify(const char *state)
{
        if (!notify_socket)
                return;
        /* libsystemd reads the socket from the environment: put it back for this one call. */
        if (setenv("NOTIFY_SOCKET", notify_socket, 1) < 0)
                return;
        (void)sd_notify(1, state);
}
