/* IP addresses as the consent log keeps them (ipaddr.h). */
#include "ipaddr.h"

#include <apr_strings.h>
#include <arpa/inet.h>
#include <string.h>

static char *mc_ipv4_network(apr_pool_t *p, const unsigned char *a)
{
    return apr_psprintf(p, "%u.%u.%u.0", a[0], a[1], a[2]);
}

static int mc_ipv6_is_v4_mapped(const unsigned char *a)
{
    static const unsigned char prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

    return memcmp(a, prefix, sizeof(prefix)) == 0;
}

char *mc_ip_truncate(apr_pool_t *p, const char *ip)
{
    unsigned char addr[16];
    char text[INET6_ADDRSTRLEN];

    if (!ip)
        return NULL;
    if (inet_pton(AF_INET, ip, addr) == 1)
        return mc_ipv4_network(p, addr);
    if (inet_pton(AF_INET6, ip, addr) != 1)
        return NULL;
    if (mc_ipv6_is_v4_mapped(addr))
        return mc_ipv4_network(p, addr + 12);
    memset(addr + 6, 0, sizeof(addr) - 6); /* keep the /48 */
    if (!inet_ntop(AF_INET6, addr, text, sizeof(text)))
        return NULL;
    return apr_pstrdup(p, text);
}
