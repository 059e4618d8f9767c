/* SPDX-License-Identifier: MIT */
#include "shared/netaddr.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

const struct addrinfo *
netaddr_pick(const struct addrinfo *res)
{
        for (const struct addrinfo *a = res; a; a = a->ai_next)
                if (a->ai_family == AF_INET)
                        return a;
        return res;
}

bool
netaddr_is_loopback(const struct sockaddr *sa)
{
        if (sa->sa_family == AF_INET)
                return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
        if (sa->sa_family == AF_INET6) {
                const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
                if (IN6_IS_ADDR_LOOPBACK(a))
                        return true;
                return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
        }
        return false;
}
