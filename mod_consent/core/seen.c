/* The table of cookies a site is seen to set; see seen.h. */
#include "seen.h"

#include <apr_strings.h>
#include <stdlib.h>
#include <string.h>

#define SEEN_MAGIC 0x6d637365u /* "mcse" */
#define SEEN_HEADER "mc-seen 1\n"
#define SEEN_LINE_MAX (MC_SEEN_SITE_MAX + MC_SEEN_NAME_MAX + MC_SEEN_DOMAIN_MAX + 80)

/* Fixed-size strings only: the table is mapped at different addresses in
 * different processes and saved as it is. */
typedef struct seen_entry {
    int64_t lifetime;
    int64_t first_seen;
    int64_t last_seen;
    uint32_t used;
    char site[MC_SEEN_SITE_MAX + 1];
    char name[MC_SEEN_NAME_MAX + 1];
    char domain[MC_SEEN_DOMAIN_MAX + 1];
} seen_entry_t;

struct mc_seen_table {
    uint32_t magic;
    uint32_t capacity;
    uint32_t count;
    uint32_t full_pending; /* a refusal not yet reported by mc_seen_full_first */
    uint32_t full_reported;
    uint32_t reserved;
    uint64_t generation;
    seen_entry_t entries[];
};

const char *mc_seen_result_str(mc_seen_result_t r)
{
    switch (r) {
    case MC_SEEN_ADDED: return "added";
    case MC_SEEN_REPLACED: return "replaced";
    case MC_SEEN_UPDATED: return "updated";
    case MC_SEEN_UNCHANGED: return "unchanged";
    case MC_SEEN_FULL: return "full";
    case MC_SEEN_INVALID: return "invalid";
    }
    return "?";
}

size_t mc_seen_size(unsigned capacity)
{
    return sizeof(mc_seen_table_t) + (size_t)capacity * sizeof(seen_entry_t);
}

mc_seen_table_t *mc_seen_init(void *mem, size_t size, unsigned capacity)
{
    mc_seen_table_t *t = mem;

    if (!mem || capacity == 0 || size < mc_seen_size(capacity))
        return NULL;
    memset(mem, 0, mc_seen_size(capacity));
    t->magic = SEEN_MAGIC;
    t->capacity = capacity;
    return t;
}

unsigned mc_seen_capacity(const mc_seen_table_t *t)
{
    return t->capacity;
}

unsigned mc_seen_count(const mc_seen_table_t *t)
{
    return t->count;
}

uint64_t mc_seen_generation(const mc_seen_table_t *t)
{
    /* read without the writers' lock: a torn or stale value only makes a
     * reader rebuild once more, or once later */
    return *(const volatile uint64_t *)&t->generation;
}

int mc_seen_text_ok(const char *s, size_t max)
{
    size_t n = 0;

    if (!s)
        return 0;
    for (; s[n]; n++) {
        unsigned char c = (unsigned char)s[n];
        if (n >= max || c < 0x20 || c == 0x7f)
            return 0;
    }
    return 1;
}

static int cookie_ok(const mc_seen_cookie_t *c)
{
    return c->name[0] && c->domain[0] && mc_seen_text_ok(c->site, MC_SEEN_SITE_MAX) &&
           mc_seen_text_ok(c->name, MC_SEEN_NAME_MAX) &&
           mc_seen_text_ok(c->domain, MC_SEEN_DOMAIN_MAX) && c->lifetime >= MC_SEEN_SESSION &&
           c->first_seen <= c->last_seen;
}

/* The index of the entry of SITE, NAME and DOMAIN, or -1. A linear scan:
 * the table is small, and it is walked only when a process writes. */
static long find(const mc_seen_table_t *t, const char *site, const char *name,
                 const char *domain)
{
    for (uint32_t i = 0; i < t->capacity; i++) {
        const seen_entry_t *e = &t->entries[i];
        if (e->used && strcmp(e->name, name) == 0 && strcmp(e->domain, domain) == 0 &&
            strcmp(e->site, site) == 0)
            return (long)i;
    }
    return -1;
}

/* A free slot, else the stale entry seen longest ago, else NULL. */
static seen_entry_t *slot_for(mc_seen_table_t *t, int64_t now, int *replaced)
{
    seen_entry_t *oldest = NULL;

    *replaced = 0;
    for (uint32_t i = 0; i < t->capacity; i++) {
        seen_entry_t *e = &t->entries[i];
        if (!e->used)
            return e;
        if (!oldest || e->last_seen < oldest->last_seen)
            oldest = e;
    }
    if (oldest && now - oldest->last_seen >= MC_SEEN_STALE) {
        *replaced = 1;
        return oldest;
    }
    return NULL;
}

static void fill(seen_entry_t *e, const mc_seen_cookie_t *c)
{
    memset(e, 0, sizeof(*e));
    apr_cpystrn(e->site, c->site, sizeof(e->site));
    apr_cpystrn(e->name, c->name, sizeof(e->name));
    apr_cpystrn(e->domain, c->domain, sizeof(e->domain));
    e->lifetime = c->lifetime;
    e->first_seen = c->first_seen;
    e->last_seen = c->last_seen;
    e->used = 1;
}

mc_seen_result_t mc_seen_record(mc_seen_table_t *t, const mc_seen_cookie_t *c)
{
    seen_entry_t *e;
    long at;
    int changed = 0, replaced;

    if (!cookie_ok(c))
        return MC_SEEN_INVALID;
    at = find(t, c->site, c->name, c->domain);
    if (at >= 0) {
        e = &t->entries[at];
        if (c->lifetime > e->lifetime) {
            e->lifetime = c->lifetime;
            changed = 1;
        }
        if (c->first_seen < e->first_seen) {
            e->first_seen = c->first_seen;
            changed = 1;
        }
        if (c->last_seen > e->last_seen) {
            e->last_seen = c->last_seen;
            changed = 1;
        }
        return changed ? MC_SEEN_UPDATED : MC_SEEN_UNCHANGED;
    }
    e = slot_for(t, c->last_seen, &replaced);
    if (!e) {
        t->full_pending = 1;
        return MC_SEEN_FULL;
    }
    fill(e, c);
    if (!replaced)
        t->count++;
    t->generation++;
    return replaced ? MC_SEEN_REPLACED : MC_SEEN_ADDED;
}

static void entry_cookie(const seen_entry_t *e, mc_seen_cookie_t *out)
{
    out->site = e->site;
    out->name = e->name;
    out->domain = e->domain;
    out->lifetime = e->lifetime;
    out->first_seen = e->first_seen;
    out->last_seen = e->last_seen;
}

unsigned mc_seen_merge(mc_seen_table_t *t, const mc_seen_table_t *src)
{
    unsigned refused = 0;

    for (uint32_t i = 0; i < src->capacity; i++) {
        mc_seen_cookie_t c;
        mc_seen_result_t r;

        if (!src->entries[i].used)
            continue;
        entry_cookie(&src->entries[i], &c);
        r = mc_seen_record(t, &c);
        if (r == MC_SEEN_FULL || r == MC_SEEN_INVALID)
            refused++;
    }
    return refused;
}

mc_status_t mc_seen_lookup(const mc_seen_table_t *t, const char *site, const char *name,
                           const char *domain, mc_seen_cookie_t *out)
{
    long at = find(t, site, name, domain);

    if (at < 0)
        return MC_ENOTFOUND;
    entry_cookie(&t->entries[at], out);
    return MC_OK;
}

apr_array_header_t *mc_seen_list(apr_pool_t *p, const mc_seen_table_t *t, const char *site)
{
    apr_array_header_t *out = apr_array_make(p, 16, sizeof(mc_seen_cookie_t));

    for (uint32_t i = 0; i < t->capacity; i++) {
        const seen_entry_t *e = &t->entries[i];
        mc_seen_cookie_t *c;

        if (!e->used || (site && strcmp(e->site, site) != 0))
            continue;
        c = apr_array_push(out);
        entry_cookie(e, c);
        c->site = apr_pstrdup(p, e->site);
        c->name = apr_pstrdup(p, e->name);
        c->domain = apr_pstrdup(p, e->domain);
    }
    return out;
}

int mc_seen_full_first(mc_seen_table_t *t)
{
    if (!t->full_pending || t->full_reported)
        return 0;
    t->full_reported = 1;
    return 1;
}

void mc_seen_rearm_full(mc_seen_table_t *t)
{
    t->full_pending = 0;
    t->full_reported = 0;
}

/* --- the saved form ------------------------------------------------------------------ */

char *mc_seen_serialise(apr_pool_t *p, const mc_seen_table_t *t)
{
    apr_array_header_t *parts = apr_array_make(p, (int)t->count + 2, sizeof(const char *));

    APR_ARRAY_PUSH(parts, const char *) = SEEN_HEADER;
    for (uint32_t i = 0; i < t->capacity; i++) {
        const seen_entry_t *e = &t->entries[i];
        if (!e->used)
            continue;
        APR_ARRAY_PUSH(parts, const char *) =
            apr_psprintf(p, "%s\t%s\t%s\t%" APR_INT64_T_FMT "\t%" APR_INT64_T_FMT
                            "\t%" APR_INT64_T_FMT "\n",
                         e->site, e->name, e->domain, (apr_int64_t)e->lifetime,
                         (apr_int64_t)e->first_seen, (apr_int64_t)e->last_seen);
    }
    APR_ARRAY_PUSH(parts, const char *) = apr_psprintf(p, "end %u\n", t->count);
    return apr_array_pstrcat(p, parts, '\0');
}

/* A decimal integer filling [S, END) exactly. */
static int parse_int(const char *s, const char *end, int64_t *out)
{
    char buf[24];
    char *stop;
    size_t n = (size_t)(end - s);
    long long v;

    if (n == 0 || n >= sizeof(buf))
        return 0;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (!((buf[0] >= '0' && buf[0] <= '9') || buf[0] == '-'))
        return 0;
    v = strtoll(buf, &stop, 10);
    if (*stop != '\0')
        return 0;
    *out = (int64_t)v;
    return 1;
}

/* Splits LINE (LEN bytes, no newline) at tabs into exactly N fields. */
static int split_fields(const char *line, size_t len, const char **start, const char **end, int n)
{
    const char *s = line, *stop = line + len;
    int i = 0;

    while (i < n) {
        const char *tab = memchr(s, '\t', (size_t)(stop - s));
        start[i] = s;
        end[i] = tab ? tab : stop;
        i++;
        if (!tab)
            break;
        s = tab + 1;
    }
    return i == n && end[n - 1] == stop;
}

static int parse_line(apr_pool_t *p, const char *line, size_t len, mc_seen_cookie_t *c)
{
    const char *start[6], *end[6];

    if (len > SEEN_LINE_MAX || !split_fields(line, len, start, end, 6))
        return 0;
    c->site = apr_pstrndup(p, start[0], (apr_size_t)(end[0] - start[0]));
    c->name = apr_pstrndup(p, start[1], (apr_size_t)(end[1] - start[1]));
    c->domain = apr_pstrndup(p, start[2], (apr_size_t)(end[2] - start[2]));
    return parse_int(start[3], end[3], &c->lifetime) &&
           parse_int(start[4], end[4], &c->first_seen) &&
           parse_int(start[5], end[5], &c->last_seen) && cookie_ok(c) &&
           strlen(c->name) == (size_t)(end[1] - start[1]) &&
           strlen(c->site) == (size_t)(end[0] - start[0]) &&
           strlen(c->domain) == (size_t)(end[2] - start[2]);
}

static mc_status_t parse_fail(mc_seen_table_t *t, const char **err, const char *why)
{
    mc_seen_init(t, mc_seen_size(t->capacity), t->capacity);
    if (err)
        *err = why;
    return MC_EINVAL;
}

mc_status_t mc_seen_parse(mc_seen_table_t *t, const char *text, size_t len, const char **err)
{
    const size_t header_len = sizeof(SEEN_HEADER) - 1;
    const char *s = text, *stop = text + len;
    apr_pool_t *p;
    int64_t lines = 0, declared;
    mc_status_t rv = MC_OK;

    mc_seen_init(t, mc_seen_size(t->capacity), t->capacity);
    if (len < header_len || memcmp(text, SEEN_HEADER, header_len) != 0)
        return parse_fail(t, err, "it does not start with \"mc-seen 1\"");
    if (apr_pool_create(&p, NULL) != APR_SUCCESS)
        return parse_fail(t, err, "out of memory");
    s += header_len;
    for (;;) {
        const char *nl = memchr(s, '\n', (size_t)(stop - s));
        size_t n;
        mc_seen_cookie_t c;

        if (!nl) {
            rv = parse_fail(t, err, "it ends without its \"end\" line (cut short?)");
            break;
        }
        n = (size_t)(nl - s);
        if (n > 4 && memcmp(s, "end ", 4) == 0) {
            if (!parse_int(s + 4, nl, &declared) || declared != lines || nl + 1 != stop)
                rv = parse_fail(t, err, "its \"end\" line does not match its entries");
            break;
        }
        if (!parse_line(p, s, n, &c)) {
            rv = parse_fail(t, err, "a line is not SITE, NAME, DOMAIN, LIFETIME, FIRST, LAST");
            break;
        }
        mc_seen_record(t, &c);
        lines++;
        s = nl + 1;
    }
    apr_pool_destroy(p);
    /* a refusal while loading is not news to report */
    mc_seen_rearm_full(t);
    return rv;
}

/* --- lifetimes --------------------------------------------------------------------------- */

int64_t mc_seen_lifetime(const mc_setcookie_t *c, int64_t now)
{
    int64_t left;

    if (c->has_max_age)
        return c->max_age > 0 ? c->max_age : 0;
    if (!c->has_expires)
        return MC_SEEN_SESSION;
    left = c->expires - now;
    if (left <= 0)
        return 0;
    left = (left + 30) / 60 * 60;
    return left > 0 ? left : 60;
}
