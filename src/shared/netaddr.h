/* SPDX-License-Identifier: MIT */
/* netaddr — what corral decides about a socket address. */
#ifndef CORRAL_NETADDR_H
#define CORRAL_NETADDR_H

#include <stdbool.h>

struct sockaddr;

struct addrinfo;

/* The address corral binds for a resolved host: the first IPv4 one, as supervisord (AF_INET
 * only) does, else the first one. res must not be NULL. */
const struct addrinfo *netaddr_pick(const struct addrinfo *res);

/* 127.0.0.0/8, ::1, or ::ffff:127.x.y.z. */
bool netaddr_is_loopback(const struct sockaddr *sa);

#endif
