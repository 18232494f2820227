/* The consent-state key (statekey.h). */
#include "statekey.h"

#include <apr_strings.h>
#include <apr_tables.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "httpfield.h"
#include "text.h"

/* Each value with its length first: no two lists hash the same bytes. */
static int digest_add(EVP_MD_CTX *md, const char *s)
{
    unsigned long long n = strlen(s);

    return EVP_DigestUpdate(md, &n, sizeof(n)) && EVP_DigestUpdate(md, s, (size_t)n);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* C's service ids, sorted: a decision lists them in the order it was
 * given, and the same choice must name the same key. */
static const char **sorted_services(apr_pool_t *p, const mc_consent_t *c, int *n)
{
    const char **ids;

    *n = c->services ? c->services->nelts : 0;
    ids = apr_palloc(p, sizeof(*ids) * (size_t)(*n + 1));
    for (int i = 0; i < *n; i++)
        ids[i] = APR_ARRAY_IDX(c->services, i, const char *);
    qsort(ids, (size_t)*n, sizeof(*ids), by_name);
    return ids;
}

const char *mc_statekey_make(apr_pool_t *p, const mc_categories_t *cats, const mc_consent_t *c)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_MD_CTX *md;
    const char **ids;
    char *key, *hex;
    int ok, n;

    if (!c->decided)
        return MC_STATEKEY_NONE;
    md = EVP_MD_CTX_new();
    ok = md && EVP_DigestInit_ex(md, mc_sha256(), NULL) && digest_add(md, "mod_consent state 1") &&
         digest_add(md, c->policy ? c->policy : "");
    for (int i = 0; ok && i < mc_categories_count(cats); i++) {
        if (mc_catmask_has(c->granted, i))
            ok = digest_add(md, mc_categories_name(cats, i));
    }
    ok = ok && digest_add(md, "services");
    ids = sorted_services(p, c, &n);
    for (int i = 0; ok && i < n; i++)
        ok = digest_add(md, ids[i]);
    ok = ok && EVP_DigestFinal_ex(md, digest, &len) && len >= MC_STATEKEY_HEX / 2;
    EVP_MD_CTX_free(md);
    if (!ok)
        return NULL;
    key = apr_palloc(p, sizeof(MC_STATEKEY_PREFIX) + MC_STATEKEY_HEX);
    memcpy(key, MC_STATEKEY_PREFIX, sizeof(MC_STATEKEY_PREFIX) - 1);
    hex = key + sizeof(MC_STATEKEY_PREFIX) - 1;
    mc_hex_to(hex, digest, MC_STATEKEY_HEX / 2);
    return key;
}

int mc_statekey_valid(const char *value)
{
    const size_t prefix = sizeof(MC_STATEKEY_PREFIX) - 1;

    if (!value)
        return 0;
    if (strcmp(value, MC_STATEKEY_NONE) == 0)
        return 1;
    if (strlen(value) != prefix + MC_STATEKEY_HEX ||
        strncmp(value, MC_STATEKEY_PREFIX, prefix) != 0)
        return 0;
    for (const char *h = value + prefix; *h; h++) {
        if (!((*h >= '0' && *h <= '9') || (*h >= 'a' && *h <= 'f')))
            return 0;
    }
    return 1;
}

int mc_statekey_matches(const char *value, const char *key)
{
    size_t n;

    if (!value || !key)
        return 0;
    while (*value == ' ' || *value == '\t')
        value++;
    n = strlen(key);
    if (strncmp(value, key, n) != 0)
        return 0;
    for (value += n; *value == ' ' || *value == '\t'; value++)
        ;
    return *value == '\0';
}

long long mc_statekey_shared_ttl(const char *cc, const char *sc, long long max)
{
    long long own;

    if (mc_httpfield_has_directive(sc, "no-store") || mc_httpfield_has_directive(cc, "private") ||
        mc_httpfield_has_directive(cc, "no-store") || mc_httpfield_has_directive(cc, "no-cache"))
        return 0;
    if (mc_httpfield_directive_seconds(sc, "max-age", &own) ||
        mc_httpfield_directive_seconds(cc, "s-maxage", &own) ||
        mc_httpfield_directive_seconds(cc, "max-age", &own))
        return own < max ? own : max;
    /* a directive without a number of seconds: a cache takes it as 0 */
    if (mc_httpfield_has_directive(sc, "max-age") || mc_httpfield_has_directive(cc, "s-maxage") ||
        mc_httpfield_has_directive(cc, "max-age"))
        return 0;
    return max;
}
