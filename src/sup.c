/* SPDX-License-Identifier: MIT */
/* sup — STUB. Replaced by the daemon work (issue 2). */
#include "sup.h"

#include <errno.h>
#include <stdlib.h>

int sup_init(struct ev_loop *loop, struct cfg *cfg, const struct sup_options *opt) { (void)loop; (void)cfg; (void)opt; return -ENOSYS; }
void sup_autostart(void) {}
void sup_fini(void) {}
enum sup_mood sup_mood(void) { return SUP_RUNNING; }
const struct cfg *sup_cfg(void) { return NULL; }
const struct cfg *sup_cfg_read(void) { return NULL; }
struct proc *sup_find_proc(const char *namespec) { (void)namespec; return NULL; }
struct proc_group *sup_find_group(const char *name) { (void)name; return NULL; }
size_t sup_procs_by_name(struct proc *const **ret) { *ret = NULL; return 0; }
size_t sup_procs_by_priority(struct proc *const **ret) { *ret = NULL; return 0; }
size_t sup_groups(struct proc_group *const **ret) { *ret = NULL; return 0; }
void sup_shutdown(void) {}
enum fault sup_restart(char **ret_err) { (void)ret_err; return FAULT_FAILED; }
void sup_set_on_done(void (*fn)(void)) { (void)fn; }
enum fault sup_reread(struct cfg_diff *ret_diff, char **ret_err) { (void)ret_diff; (void)ret_err; return FAULT_FAILED; }
enum fault sup_add_group(const char *name) { (void)name; return FAULT_BAD_NAME; }
enum fault sup_remove_group(const char *name) { (void)name; return FAULT_BAD_NAME; }
void sup_reopen_logs(void) {}
