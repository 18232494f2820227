/* IP addresses as the consent log keeps them: never whole (data
 * minimisation), the network part only. */
#ifndef MC_IPADDR_H
#define MC_IPADDR_H

#include <apr_pools.h>

/* "203.0.113.7" -> "203.0.113.0" (the /24), "2001:db8:1:2::5" ->
 * "2001:db8:1::" (the /48), an IPv4-mapped IPv6 address as IPv4; NULL for
 * anything that is not an IP address. */
char *mc_ip_truncate(apr_pool_t *p, const char *ip);

#endif
