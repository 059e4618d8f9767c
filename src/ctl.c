/* SPDX-License-Identifier: MIT */
/* ctl — STUB: no listeners. Replaced by the control-plane work (issue 4). */
#include "ctl.h"

#include <stddef.h>

int ctl_init(struct ev_loop *loop, const struct cfg *cfg) { (void)loop; (void)cfg; return 0; }
void ctl_fini(void) {}
const char *ctl_server_url(const struct cfg *cfg) { (void)cfg; return NULL; }
