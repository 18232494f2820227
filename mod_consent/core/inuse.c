/* The table of catalogue services a site is seen to use; see inuse.h. */
#include "inuse.h"

#include <apr_strings.h>
#include <stdlib.h>
#include <string.h>

#include "seen.h"

#define INUSE_MAGIC 0x6d637375u /* "mcsu" */
#define INUSE_HEADER "mc-inuse 1\n"
#define INUSE_LINE_MAX (MC_INUSE_SITE_MAX + MC_INUSE_ID_MAX + 80)

typedef struct inuse_entry {
    int64_t first_seen;
    int64_t last_seen;
    uint32_t used;
    uint32_t how;
    char site[MC_INUSE_SITE_MAX + 1];
    char service[MC_INUSE_ID_MAX + 1];
    char pad[7]; /* keeps the size a multiple of 8 */
} inuse_entry_t;

struct mc_inuse_table {
    uint32_t magic;
    uint32_t capacity;
    uint32_t count;
    uint32_t reserved;
    uint64_t generation;
    inuse_entry_t entries[];
};

size_t mc_inuse_size(unsigned capacity)
{
    return (sizeof(mc_inuse_table_t) + (size_t)capacity * sizeof(inuse_entry_t) + 7) & ~(size_t)7;
}

mc_inuse_table_t *mc_inuse_init(void *mem, size_t size, unsigned capacity)
{
    mc_inuse_table_t *t = mem;

    if (!mem || capacity == 0 || size < mc_inuse_size(capacity))
        return NULL;
    memset(mem, 0, mc_inuse_size(capacity));
    t->magic = INUSE_MAGIC;
    t->capacity = capacity;
    return t;
}

unsigned mc_inuse_count(const mc_inuse_table_t *t)
{
    return t->count;
}

uint64_t mc_inuse_generation(const mc_inuse_table_t *t)
{
    /* read without the writers' lock, as mc_seen_generation */
    return *(const volatile uint64_t *)&t->generation;
}

static int entry_ok(const char *site, const char *service, unsigned how)
{
    return site && service && service[0] && how && (how & ~MC_INUSE_ALL) == 0 &&
           mc_seen_text_ok(site, MC_INUSE_SITE_MAX) && mc_seen_text_ok(service, MC_INUSE_ID_MAX) &&
           !strchr(site, '\t') && !strchr(service, '\t');
}

static inuse_entry_t *find(mc_inuse_table_t *t, const char *site, const char *service)
{
    for (uint32_t i = 0; i < t->capacity; i++) {
        inuse_entry_t *e = &t->entries[i];
        if (e->used && strcmp(e->service, service) == 0 && strcmp(e->site, site) == 0)
            return e;
    }
    return NULL;
}

/* A free slot, else the stale entry seen longest ago, else NULL. */
static inuse_entry_t *slot_for(mc_inuse_table_t *t, int64_t now)
{
    inuse_entry_t *oldest = NULL;

    for (uint32_t i = 0; i < t->capacity; i++) {
        inuse_entry_t *e = &t->entries[i];
        if (!e->used)
            return e;
        if (!oldest || e->last_seen < oldest->last_seen)
            oldest = e;
    }
    if (oldest && now - oldest->last_seen >= MC_SEEN_STALE) {
        oldest->used = 0;
        t->count--;
        return oldest;
    }
    return NULL;
}

mc_inuse_result_t mc_inuse_record(mc_inuse_table_t *t, const char *site, const char *service,
                                  unsigned how, int64_t now)
{
    inuse_entry_t *e;
    mc_inuse_result_t r = MC_INUSE_UNCHANGED;

    if (!entry_ok(site, service, how))
        return MC_INUSE_INVALID;
    if ((e = find(t, site, service)) != NULL) {
        if ((e->how | how) != e->how) {
            e->how |= how;
            t->generation++;
            r = MC_INUSE_UPDATED;
        }
        if (now > e->last_seen) {
            e->last_seen = now;
            r = MC_INUSE_UPDATED;
        }
        if (now < e->first_seen) {
            e->first_seen = now;
            r = MC_INUSE_UPDATED;
        }
        return r;
    }
    if ((e = slot_for(t, now)) == NULL)
        return MC_INUSE_FULL;
    memset(e, 0, sizeof(*e));
    memcpy(e->site, site, strlen(site) + 1);
    memcpy(e->service, service, strlen(service) + 1);
    e->how = how;
    e->first_seen = e->last_seen = now;
    e->used = 1;
    t->count++;
    t->generation++;
    return MC_INUSE_ADDED;
}

static int by_service(const void *a, const void *b)
{
    const mc_inuse_t *x = a, *y = b;
    int c = strcmp(x->service, y->service);

    return c ? c : strcmp(x->site, y->site);
}

apr_array_header_t *mc_inuse_list(apr_pool_t *p, const mc_inuse_table_t *t, const char *site)
{
    apr_array_header_t *out = apr_array_make(p, t->count ? (int)t->count : 1, sizeof(mc_inuse_t));

    for (uint32_t i = 0; i < t->capacity; i++) {
        const inuse_entry_t *e = &t->entries[i];
        mc_inuse_t *u;
        if (!e->used || (site && strcmp(e->site, site) != 0))
            continue;
        u = apr_array_push(out);
        u->site = apr_pstrdup(p, e->site);
        u->service = apr_pstrdup(p, e->service);
        u->how = e->how;
        u->first_seen = e->first_seen;
        u->last_seen = e->last_seen;
    }
    if (out->nelts > 1)
        qsort(out->elts, (size_t)out->nelts, sizeof(mc_inuse_t), by_service);
    return out;
}

/* --- the saved form ------------------------------------------------------------------ */

char *mc_inuse_serialise(apr_pool_t *p, const mc_inuse_table_t *t)
{
    apr_array_header_t *parts = apr_array_make(p, (int)t->count + 2, sizeof(const char *));

    APR_ARRAY_PUSH(parts, const char *) = INUSE_HEADER;
    for (uint32_t i = 0; i < t->capacity; i++) {
        const inuse_entry_t *e = &t->entries[i];
        if (!e->used)
            continue;
        APR_ARRAY_PUSH(parts, const char *) =
            apr_psprintf(p, "%s\t%s\t%u\t%" APR_INT64_T_FMT "\t%" APR_INT64_T_FMT "\n", e->site,
                         e->service, e->how, (apr_int64_t)e->first_seen, (apr_int64_t)e->last_seen);
    }
    APR_ARRAY_PUSH(parts, const char *) = apr_psprintf(p, "end %u\n", t->count);
    return apr_array_pstrcat(p, parts, '\0');
}

/* A decimal integer (an optional '-', digits) filling [S, END) exactly. */
static int parse_int(const char *s, const char *end, int64_t *out)
{
    int64_t v = 0;
    int neg = 0;

    if (s < end && *s == '-') {
        neg = 1;
        s++;
    }
    if (s == end || end - s > 18)
        return 0;
    for (; s < end; s++) {
        if (*s < '0' || *s > '9')
            return 0;
        v = v * 10 + (*s - '0');
    }
    *out = neg ? -v : v;
    return 1;
}

static mc_status_t parse_fail(mc_inuse_table_t *t, const char **err, const char *why)
{
    mc_inuse_init(t, mc_inuse_size(t->capacity), t->capacity);
    if (err)
        *err = why;
    return MC_EINVAL;
}

/* One line (LEN bytes, no newline) into T. */
static int parse_line(mc_inuse_table_t *t, const char *line, size_t len)
{
    const char *field[5], *end[5], *s = line, *stop = line + len;
    char site[MC_INUSE_SITE_MAX + 2], service[MC_INUSE_ID_MAX + 2];
    int64_t how, first, last;
    inuse_entry_t *e;

    if (len > INUSE_LINE_MAX)
        return 0;
    for (int i = 0; i < 5; i++) {
        const char *tab = memchr(s, '\t', (size_t)(stop - s));
        field[i] = s;
        end[i] = tab ? tab : stop;
        if ((i < 4) != (tab != NULL))
            return 0;
        s = tab ? tab + 1 : stop;
    }
    if ((size_t)(end[0] - field[0]) > MC_INUSE_SITE_MAX ||
        (size_t)(end[1] - field[1]) > MC_INUSE_ID_MAX)
        return 0;
    memcpy(site, field[0], (size_t)(end[0] - field[0]));
    site[end[0] - field[0]] = '\0';
    memcpy(service, field[1], (size_t)(end[1] - field[1]));
    service[end[1] - field[1]] = '\0';
    if (!parse_int(field[2], end[2], &how) || !parse_int(field[3], end[3], &first) ||
        !parse_int(field[4], end[4], &last) || how <= 0 || how > (int64_t)MC_INUSE_ALL ||
        first > last || strlen(site) != (size_t)(end[0] - field[0]) ||
        strlen(service) != (size_t)(end[1] - field[1]))
        return 0;
    if (mc_inuse_record(t, site, service, (unsigned)how, last) == MC_INUSE_INVALID)
        return 0;
    if ((e = find(t, site, service)) != NULL && first < e->first_seen)
        e->first_seen = first;
    return 1;
}

mc_status_t mc_inuse_parse(mc_inuse_table_t *t, const char *text, size_t len, const char **err)
{
    const size_t header_len = sizeof(INUSE_HEADER) - 1;
    const char *s = text, *stop = text + len;
    int64_t lines = 0, declared;

    mc_inuse_init(t, mc_inuse_size(t->capacity), t->capacity);
    if (len < header_len || memcmp(text, INUSE_HEADER, header_len) != 0)
        return parse_fail(t, err, "it does not start with \"mc-inuse 1\"");
    s += header_len;
    for (;;) {
        const char *nl = memchr(s, '\n', (size_t)(stop - s));
        size_t n;

        if (!nl)
            return parse_fail(t, err, "it ends without its \"end\" line (cut short?)");
        n = (size_t)(nl - s);
        if (n > 4 && memcmp(s, "end ", 4) == 0) {
            if (!parse_int(s + 4, nl, &declared) || declared != lines || nl + 1 != stop)
                return parse_fail(t, err, "its \"end\" line does not match its entries");
            return MC_OK;
        }
        if (!parse_line(t, s, n))
            return parse_fail(t, err, "a line is not SITE, SERVICE, HOW, FIRST, LAST");
        lines++;
        s = nl + 1;
    }
}

size_t mc_inuse_offset(const char *text, size_t len)
{
    const size_t header_len = sizeof(INUSE_HEADER) - 1;

    for (size_t i = 0; i + header_len <= len; i++) {
        if ((i == 0 || text[i - 1] == '\n') && memcmp(text + i, INUSE_HEADER, header_len) == 0)
            return i;
        /* skip to the next line */
        while (i < len && text[i] != '\n')
            i++;
    }
    return len;
}
