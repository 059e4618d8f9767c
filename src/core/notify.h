/* SPDX-License-Identifier: MIT */
/* notify — systemd's sd_notify protocol: one AF_UNIX SOCK_DGRAM socket (abstract name) for the
 * whole daemon, made on first use, with SO_PASSCRED so that every datagram carries its sender's
 * pid (SCM_CREDENTIALS), by which it is attributed to a program (ready_owner): never by trust in
 * the payload. */
#ifndef CORRAL_NOTIFY_H
#define CORRAL_NOTIFY_H

#include <ev.h>

/* The NOTIFY_SOCKET value ("@corral-…"), making the socket on first call; NULL on failure. */
const char *notify_socket(struct ev_loop *loop);
/* Handle one datagram's payload from pid (exposed for the unit test). */
void notify_datagram(pid_t pid, const char *buf, size_t len);
void notify_close(struct ev_loop *loop);

#endif
