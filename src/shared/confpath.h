/* SPDX-License-Identifier: MIT */
/* confpath — the config file search path shared by corrald and corralctl. */
#ifndef CORRAL_CONFPATH_H
#define CORRAL_CONFPATH_H

/* supervisord's search path when -c is absent (compat B.1): ../etc/supervisord.conf and
 * ../supervisord.conf relative to argv0's directory, supervisord.conf, etc/supervisord.conf,
 * /etc/supervisord.conf, /etc/supervisor/supervisord.conf, then /etc/corral/corral.conf (where
 * `make install` puts ours). The first that exists, malloc'd (relative if found relative), or NULL. */
char *confpath_find(const char *argv0);

#endif
