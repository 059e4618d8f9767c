/* SPDX-License-Identifier: MIT */
/* outlog — STUB: worker stdio on /dev/null. Replaced by the logging work (issue 3). */
#include "outlog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

struct outlog { int fds[3]; };

struct outlog *outlog_new(struct ev_loop *loop, const struct cfg_proc *cfg, const struct outlog_env *env)
{ (void)loop; (void)cfg; (void)env; struct outlog *o = calloc(1, sizeof *o); o->fds[0] = o->fds[1] = o->fds[2] = -1; return o; }
struct outlog *outlog_free(struct outlog *o) { if (o) outlog_abort(o); free(o); return NULL; }
int outlog_prepare(struct outlog *o, int ret_child_fds[3])
{
        for (int i = 0; i < 3; i++) {
                o->fds[i] = open("/dev/null", (i ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
                if (o->fds[i] < 0)
                        return -errno;
                ret_child_fds[i] = o->fds[i];
        }
        return 0;
}
void outlog_started(struct outlog *o, pid_t pid) { (void)pid; outlog_abort(o); }
void outlog_abort(struct outlog *o) { for (int i = 0; i < 3; i++) { if (o->fds[i] >= 0) close(o->fds[i]); o->fds[i] = -1; } }
void outlog_exited(struct outlog *o) { (void)o; }
int outlog_write_stdin(struct outlog *o, const char *data, size_t len) { (void)o; (void)data; (void)len; return -EPIPE; }
const char *outlog_path(const struct outlog *o, enum outlog_channel ch) { (void)o; (void)ch; return ""; }
struct logfile *outlog_logfile(struct outlog *o, enum outlog_channel ch) { (void)o; (void)ch; return NULL; }
int outlog_reopen(struct outlog *o) { (void)o; return 0; }
int outlog_clear(struct outlog *o) { (void)o; return 0; }
void outlog_cleanup_auto(const char *childlogdir, const char *identifier) { (void)childlogdir; (void)identifier; }
