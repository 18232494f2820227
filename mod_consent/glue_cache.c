/* The page cache (glue_cache.h): what the HTML filter made of a static file
 * is kept in the child process, in a bounded cache (core/pagecache.h), and
 * served again as long as nothing it depends on has changed.
 *
 * The key is the SHA-256 of every input of the rewritten bytes:
 *   - the file as opened (device, inode, size, modification and change
 *     times, from the open descriptor), its name and content type;
 *   - the configuration: its generation (a restart starts new children
 *     with empty caches anyway), the virtual host, and the contents of the
 *     directory's settings (they are merged anew for each request);
 *   - the visitor's consent: categories granted, decided or not, services,
 *     Global Privacy Control, and the Content-Security-Policy chosen;
 *   - what the banner is made of: the request's URL (the forms return to
 *     it), the origin (absolute URLs under a <base>), Accept-Language, and
 *     the generation of the tables of cookies and services seen (the
 *     banner lists them).
 * Two visitors share an entry only when all of that is equal, and then
 * the rewriter would have made the same bytes for both.
 *
 * Only a whole file in its first brigade is kept (the default handler's
 * shape): a CGI, proxy or mod_include body is rewritten every time. Hits,
 * misses, stores and evictions are counted across the children in shared
 * memory and shown by mod_status. */
#include "mod_consent.h"

#include "ap_mpm.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "mod_status.h"

#include <apr_atomic.h>
#include <apr_optional_hooks.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>
#include <openssl/evp.h>

#include "glue_cache.h"
#include "glue_request.h"
#include "glue_seen.h"
#include "glue_shm.h"
#include "glue_state.h"
#include "text.h"

APLOG_USE_MODULE(consent);

/* Counted over every child, in shared memory. */
typedef struct counters {
    apr_uint64_t hits, misses, stores, evictions, refused;
} counters_t;

/* The largest page kept, whatever the size of the cache. */
#define ENTRY_MAX ((apr_size_t)1 << 20)
/* The largest banner kept (they are some 10-20 KB). */
#define FRAGMENT_MAX ((apr_size_t)256 << 10)

static counters_t *counters;        /* shared; NULL when the cache is off */
static mc_pagecache_t *cache;       /* this child's */
static mc_pagecache_t *fragments;   /* this child's banners, per variant */
static apr_thread_mutex_t *lock;    /* around every use of CACHE */
static apr_size_t entry_max;

static apr_size_t configured_size(const server_rec *s)
{
    apr_int64_t v = mc_server_conf(s)->page_cache;

    return v == MC_UNSET ? MC_PAGE_CACHE_DEFAULT : (apr_size_t)v;
}

/* --- the key ------------------------------------------------------------------------- */

/* Values are gathered in BUF and hashed a buffer at a time: a key is some
 * hundred small values, and each EVP_DigestUpdate() costs more than
 * copying one. */
typedef struct keyer {
    EVP_MD_CTX *md;
    int ok;
    apr_size_t used;
    unsigned char buf[2048];
} keyer_t;

static void keyer_flush(keyer_t *k)
{
    if (k->ok && k->used && !EVP_DigestUpdate(k->md, k->buf, k->used))
        k->ok = 0;
    k->used = 0;
}

static void keyer_put(keyer_t *k, const void *data, apr_size_t len)
{
    if (len > sizeof(k->buf) - k->used) {
        keyer_flush(k);
        if (len > sizeof(k->buf)) {
            if (k->ok && !EVP_DigestUpdate(k->md, data, len))
                k->ok = 0;
            return;
        }
    }
    memcpy(k->buf + k->used, data, len);
    k->used += len;
}

/* Each value with its length first, so that no two lists of values hash
 * the same bytes. */
static void add_bytes(keyer_t *k, const void *data, apr_size_t len)
{
    apr_uint64_t n = len;

    keyer_put(k, &n, sizeof(n));
    if (len)
        keyer_put(k, data, len);
}

static void add_str(keyer_t *k, const char *s)
{
    add_bytes(k, s ? s : "", s ? strlen(s) : 0);
    add_bytes(k, s ? "1" : "0", 1); /* NULL and "" differ */
}

static void add_int(keyer_t *k, apr_int64_t v)
{
    add_bytes(k, &v, sizeof(v));
}

static void add_strings(keyer_t *k, const apr_array_header_t *a)
{
    add_int(k, a ? a->nelts : -1);
    for (int i = 0; a && i < a->nelts; i++)
        add_str(k, APR_ARRAY_IDX(a, i, const char *));
}

static int add_text(void *rec, const char *key, const char *value)
{
    add_str(rec, key);
    add_str(rec, value);
    return 1;
}

/* The directory's settings by content: the merged record is new with
 * every request, its values are not. */
static void add_dir(keyer_t *k, const mc_dir_conf_t *d)
{
    add_int(k, d->engine);
    add_int(k, d->rules ? d->rules->nelts : -1);
    for (int i = 0; d->rules && i < d->rules->nelts; i++) {
        const mc_rule_t *rule = &APR_ARRAY_IDX(d->rules, i, mc_rule_t);
        add_str(k, rule->category);
        add_str(k, rule->service);
        add_str(k, rule->service_id);
        add_str(k, rule->text);
        add_str(k, rule->source);
        add_int(k, rule->google_tag);
    }
    add_int(k, d->unclassified);
    add_int(k, d->strip_request_cookies);
    add_strings(k, d->languages);
    if (d->texts)
        apr_table_do(add_text, k, d->texts, NULL);
    add_str(k, "texts end");
    add_str(k, d->privacy_policy);
    add_str(k, d->reopen_position);
    add_int(k, d->google_consent_mode);
    add_int(k, d->csp_mode);
    add_strings(k, d->csp_allow);
}

static void add_state(keyer_t *k, request_rec *r)
{
    const mc_request_state_t *st = mc_request_state(r);

    add_int(k, (apr_int64_t)st->effective);
    add_int(k, st->consent.decided);
    add_int(k, st->gpc);
    add_strings(k, st->services);
    add_int(k, st->csp_mode);
    add_int(k, (apr_int64_t)st->csp_left_out);
}

/* The one file of BB, whole and followed by EOS, as opened: its identity
 * into *FI. 0 for any other shape. */
static int whole_file(apr_bucket_brigade *bb, apr_finfo_t *fi)
{
    apr_file_t *fd = NULL;
    apr_off_t next = 0;
    apr_bucket *e;

    for (e = APR_BRIGADE_FIRST(bb); e != APR_BRIGADE_SENTINEL(bb) && !APR_BUCKET_IS_EOS(e);
         e = APR_BUCKET_NEXT(e)) {
        const apr_bucket_file *a;

        if (!APR_BUCKET_IS_FILE(e))
            return 0;
        a = e->data;
        if ((fd && a->fd != fd) || e->start != next)
            return 0;
        fd = a->fd;
        next += (apr_off_t)e->length;
    }
    if (!fd || e == APR_BRIGADE_SENTINEL(bb) || APR_BUCKET_NEXT(e) != APR_BRIGADE_SENTINEL(bb))
        return 0;
    if (apr_file_info_get(fi, APR_FINFO_IDENT | APR_FINFO_SIZE | APR_FINFO_MTIME | APR_FINFO_CTIME,
                          fd) != APR_SUCCESS)
        return 0;
    return fi->size == next;
}

static keyer_t *keyer_start(keyer_t *k)
{
    k->used = 0;
    k->md = EVP_MD_CTX_new();
    k->ok = k->md && EVP_DigestInit_ex(k->md, mc_sha256(), NULL);
    return k;
}

/* The digest into OUT (MC_PAGECACHE_KEY bytes); 0 if libcrypto failed. */
static int keyer_end(keyer_t *k, unsigned char *out)
{
    unsigned int len = 0;

    keyer_flush(k);
    if (k->ok && (!EVP_DigestFinal_ex(k->md, out, &len) || len != MC_PAGECACHE_KEY))
        k->ok = 0;
    EVP_MD_CTX_free(k->md);
    return k->ok;
}

#define VARIANT_NOTE "mod_consent-variant"
#define VARIANT_HEX 16

/* Made anew by every start and restart of the server: what a page's
 * rewritten form depends on in the configuration (catalogues, texts,
 * rules) then counts as changed, without hashing it all per request. */
static unsigned char start_nonce[16];

const char *mc_variant_tag(request_rec *r)
{
    const char *tag = apr_table_get(r->notes, VARIANT_NOTE);
    unsigned char digest[MC_PAGECACHE_KEY];
    keyer_t k;
    char *hex;

    if (tag)
        return tag;
    keyer_start(&k);
    add_str(&k, "mod_consent variant 1");
    add_bytes(&k, start_nonce, sizeof(start_nonce));
    add_int(&k, (apr_int64_t)(apr_uintptr_t)r->server);
    add_dir(&k, mc_dir_conf(r));
    add_state(&k, r);
    add_str(&k, apr_table_get(r->headers_in, "Accept-Language"));
    add_int(&k, (apr_int64_t)mc_seen_services_generation());
    if (!keyer_end(&k, digest)) {
        /* no digest: a tag no other response has, so nothing matches it */
        apr_generate_random_bytes(digest, sizeof(digest));
    }
    hex = apr_palloc(r->pool, VARIANT_HEX + 1);
    mc_hex_to(hex, digest, VARIANT_HEX / 2);
    apr_table_setn(r->notes, VARIANT_NOTE, hex);
    return hex;
}

#define FRAME_NAME_HEX 12

const char *mc_frame_name(request_rec *r)
{
    unsigned char digest[MC_PAGECACHE_KEY];
    char hex[FRAME_NAME_HEX + 1];
    keyer_t k;

    keyer_start(&k);
    add_str(&k, "mod_consent frame name 1");
    add_state(&k, r);
    add_str(&k, mc_visitor_request(r)->unparsed_uri);
    if (!keyer_end(&k, digest))
        return "mc-held"; /* still no name a live frame has */
    mc_hex_to(hex, digest, FRAME_NAME_HEX / 2);
    return apr_pstrcat(r->pool, "mc-", hex, NULL);
}

int mc_cache_ticket(request_rec *r, apr_bucket_brigade *bb, mc_cache_ticket_t *t)
{
    apr_finfo_t fi;
    keyer_t k;
    int gen = 0;

    if (!cache || !whole_file(bb, &fi))
        return 0;
    keyer_start(&k);
    add_str(&k, "mod_consent page 1");
    add_str(&k, mc_variant_tag(r));
    ap_mpm_query(AP_MPMQ_GENERATION, &gen);
    add_int(&k, gen);
    add_int(&k, (apr_int64_t)fi.device);
    add_int(&k, (apr_int64_t)fi.inode);
    add_int(&k, fi.size);
    add_int(&k, fi.mtime);
    add_int(&k, fi.ctime);
    add_str(&k, r->filename);
    add_str(&k, r->content_type);
    add_str(&k, r->unparsed_uri);
    add_str(&k, r->uri);
    /* the banner returns to the URL the visitor asked for */
    add_str(&k, mc_visitor_request(r)->unparsed_uri);
    /* a framed page has none */
    add_int(&k, mc_banner_wanted(r));
    add_str(&k, ap_construct_url(r->pool, "", r));
    t->entry_max = entry_max;
    return keyer_end(&k, t->key);
}

/* --- fragments: the banner, made once per variant --------------------------------------- */

int mc_fragment_key(request_rec *r, const char *const *parts, int n,
                    unsigned char key[MC_PAGECACHE_KEY])
{
    keyer_t k;

    if (!fragments)
        return 0;
    keyer_start(&k);
    add_str(&k, "mod_consent fragment 1");
    add_str(&k, mc_variant_tag(r));
    add_int(&k, n);
    for (int i = 0; i < n; i++)
        add_str(&k, parts[i]);
    return keyer_end(&k, key);
}

const char *mc_fragment_get(request_rec *r, const unsigned char key[MC_PAGECACHE_KEY])
{
    const char *data, *out = NULL;
    apr_size_t len;

    if (!fragments || apr_thread_mutex_lock(lock) != APR_SUCCESS)
        return NULL;
    if (mc_pagecache_get(fragments, key, &data, &len, NULL, NULL) == MC_OK)
        out = apr_pstrmemdup(r->pool, data, len);
    apr_thread_mutex_unlock(lock);
    return out;
}

void mc_fragment_put(const unsigned char key[MC_PAGECACHE_KEY], const char *data)
{
    if (!fragments || apr_thread_mutex_lock(lock) != APR_SUCCESS)
        return;
    (void)mc_pagecache_put(fragments, key, data, strlen(data), NULL, 0);
    apr_thread_mutex_unlock(lock);
}

/* --- hits and stores -------------------------------------------------------------------- */

/* A kept page as a bucket of its own type, not HEAP: apr_brigade_write()
 * appends into the spare room of a brigade's last HEAP bucket, and the
 * room after a split piece of a kept page is the rest of that page, which
 * other responses are sending. The page is shared, read only, until the
 * bucket's last piece is destroyed. */
typedef struct kept_page {
    apr_bucket_refcount refcount;
    const char *body;
} kept_page_t;

static apr_status_t kept_page_read(apr_bucket *b, const char **str, apr_size_t *len,
                                   apr_read_type_e block)
{
    const kept_page_t *k = b->data;

    (void)block;
    *str = k->body + b->start;
    *len = b->length;
    return APR_SUCCESS;
}

static void kept_page_destroy(void *data)
{
    kept_page_t *k = data;

    if (apr_bucket_shared_destroy(k)) {
        mc_pagecache_release(k->body);
        apr_bucket_free(k);
    }
}

static const apr_bucket_type_t kept_page_type = {
    "CONSENT_KEPT_PAGE", 5, APR_BUCKET_DATA, kept_page_destroy, kept_page_read,
    apr_bucket_setaside_noop, apr_bucket_shared_split, apr_bucket_shared_copy};

static apr_bucket *kept_page_create(const char *body, apr_size_t len, apr_bucket_alloc_t *list)
{
    apr_bucket *b = apr_bucket_alloc(sizeof(*b), list);
    kept_page_t *k = apr_bucket_alloc(sizeof(*k), list);

    APR_BUCKET_INIT(b);
    b->free = apr_bucket_free;
    b->list = list;
    k->body = body;
    b = apr_bucket_shared_make(b, k, 0, len);
    b->type = &kept_page_type;
    return b;
}

int mc_cache_fetch(request_rec *r, const mc_cache_ticket_t *t, apr_bucket_brigade *out,
                   const char ***services, int *n)
{
    const char *body = NULL, *meta = NULL;
    apr_size_t body_len = 0, meta_len = 0;

    *services = NULL;
    *n = 0;
    if (apr_thread_mutex_lock(lock) != APR_SUCCESS)
        return 0;
    body = mc_pagecache_hold(cache, t->key, &body_len, &meta, &meta_len);
    apr_thread_mutex_unlock(lock);
    if (!body) {
        apr_atomic_inc64(&counters->misses);
        return 0;
    }
    apr_atomic_inc64(&counters->hits);
    APR_BRIGADE_INSERT_TAIL(out, kept_page_create(body, body_len, out->bucket_alloc));
    /* META: the names, each ended by a NUL (held with the body; copied, as
     * the bucket may be gone before the request's pool) */
    if (meta_len) {
        const char **list = apr_palloc(r->pool, sizeof(*list) * (meta_len + 1));
        const char *names = apr_pstrmemdup(r->pool, meta, meta_len);
        for (const char *s = names; s < names + meta_len; s += strlen(s) + 1)
            list[(*n)++] = s;
        *services = list;
    }
    ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r, "page cache: %s served as kept (%" APR_SIZE_T_FMT
                  " bytes)", r->filename, body_len);
    return 1;
}

void mc_cache_store(request_rec *r, const mc_cache_ticket_t *t, const char *body, apr_size_t len,
                    const char *const *services, int n)
{
    apr_size_t meta_len = 0;
    char *meta = NULL, *at;
    mc_pagecache_stats_t before, after;
    mc_status_t st;

    if (!body) {
        apr_atomic_inc64(&counters->refused);
        return;
    }
    for (int i = 0; i < n; i++)
        meta_len += strlen(services[i]) + 1;
    if (meta_len) {
        at = meta = apr_palloc(r->pool, meta_len);
        for (int i = 0; i < n; i++) {
            apr_size_t l = strlen(services[i]) + 1;
            memcpy(at, services[i], l);
            at += l;
        }
    }
    if (apr_thread_mutex_lock(lock) != APR_SUCCESS)
        return;
    mc_pagecache_stats(cache, &before);
    st = mc_pagecache_put(cache, t->key, body, len, meta, meta_len);
    mc_pagecache_stats(cache, &after);
    apr_thread_mutex_unlock(lock);
    if (st == MC_OK)
        apr_atomic_inc64(&counters->stores);
    else
        apr_atomic_inc64(&counters->refused);
    if (after.evictions > before.evictions)
        apr_atomic_add64(&counters->evictions, after.evictions - before.evictions);
}

/* --- start-up ------------------------------------------------------------------------------ */

int mc_cache_post_config(apr_pool_t *pconf, server_rec *s)
{
    mc_shm_t *seg;
    apr_status_t rv;

    rv = apr_generate_random_bytes(start_nonce, sizeof(start_nonce));
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s,
                     MCLOGNO(00302) "no random bytes for the pages' validators");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    counters = NULL;
    if (configured_size(s) == 0)
        return OK;
    /* made once for the process tree: the counts go on over restarts */
    seg = mc_shm_get(s, "page-cache-counters", sizeof(counters_t), NULL, NULL,
                     "the page cache's counters");
    if (!seg)
        return HTTP_INTERNAL_SERVER_ERROR;
    counters = seg->base;
    return OK;
}

static apr_status_t destroy_caches(void *data)
{
    mc_pagecache_destroy(cache);
    mc_pagecache_destroy(fragments);
    cache = fragments = NULL;
    return APR_SUCCESS;
}

void mc_cache_child_init(apr_pool_t *pchild, server_rec *s)
{
    apr_size_t size = configured_size(s);
    apr_uint64_t seed = 0;
    apr_status_t rv;

    cache = fragments = NULL;
    if (!counters || size == 0)
        return;
    /* an eighth of the cache at most, and never more than 1 MB: a
     * response is captured up to this size while it is rewritten */
    entry_max = size / 8 < ENTRY_MAX ? size / 8 : ENTRY_MAX;
    rv = apr_generate_random_bytes((unsigned char *)&seed, sizeof(seed));
    if (rv == APR_SUCCESS)
        rv = apr_thread_mutex_create(&lock, APR_THREAD_MUTEX_DEFAULT, pchild);
    if (rv == APR_SUCCESS && !(cache = mc_pagecache_create(size, entry_max, seed)))
        rv = APR_ENOMEM;
    /* the banners: a quarter as much again, each at most FRAGMENT_MAX */
    if (rv == APR_SUCCESS &&
        !(fragments = mc_pagecache_create(size / 4, size / 4 < FRAGMENT_MAX ? size / 4 : FRAGMENT_MAX,
                                          seed ^ UINT64_C(0x9e3779b97f4a7c15))))
        rv = APR_ENOMEM;
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s,
                     MCLOGNO(00301) "the page cache could not be set up in this process; "
                                    "pages are rewritten every time");
        mc_pagecache_destroy(cache);
        cache = NULL;
        return;
    }
    apr_pool_cleanup_register(pchild, NULL, destroy_caches, apr_pool_cleanup_null);
}

/* --- mod_status -------------------------------------------------------------------------------- */

static int cache_status(request_rec *r, int flags)
{
    apr_uint64_t hits, misses;
    mc_pagecache_stats_t st;

    if (!counters)
        return OK;
    hits = apr_atomic_read64(&counters->hits);
    misses = apr_atomic_read64(&counters->misses);
    memset(&st, 0, sizeof(st));
    if (cache && apr_thread_mutex_lock(lock) == APR_SUCCESS) {
        mc_pagecache_stats(cache, &st);
        apr_thread_mutex_unlock(lock);
    }
    if (flags & AP_STATUS_SHORT) {
        ap_rprintf(r,
                   "ConsentPageCacheHits: %" APR_UINT64_T_FMT "\n"
                   "ConsentPageCacheMisses: %" APR_UINT64_T_FMT "\n"
                   "ConsentPageCacheStores: %" APR_UINT64_T_FMT "\n"
                   "ConsentPageCacheEvictions: %" APR_UINT64_T_FMT "\n"
                   "ConsentPageCacheRefused: %" APR_UINT64_T_FMT "\n"
                   "ConsentPageCacheBytes: %" APR_SIZE_T_FMT "\n"
                   "ConsentPageCacheLimit: %" APR_SIZE_T_FMT "\n",
                   hits, misses, apr_atomic_read64(&counters->stores),
                   apr_atomic_read64(&counters->evictions), apr_atomic_read64(&counters->refused),
                   st.bytes, st.limit);
        return OK;
    }
    ap_rprintf(r,
               "<hr>\n<h2>mod_consent page cache</h2>\n<dl>"
               "<dt>All children: %" APR_UINT64_T_FMT " hits, %" APR_UINT64_T_FMT
               " misses (%.1f%% hits), %" APR_UINT64_T_FMT " pages kept, %" APR_UINT64_T_FMT
               " pushed out, %" APR_UINT64_T_FMT " too large</dt>"
               "<dt>This child: %" APR_SIZE_T_FMT " pages, %" APR_SIZE_T_FMT " of %" APR_SIZE_T_FMT
               " bytes, up to %" APR_SIZE_T_FMT " bytes a page</dt></dl>\n",
               hits, misses, hits + misses ? 100.0 * (double)hits / (double)(hits + misses) : 0.0,
               apr_atomic_read64(&counters->stores), apr_atomic_read64(&counters->evictions),
               apr_atomic_read64(&counters->refused), st.entries, st.bytes, st.limit,
               st.entry_max);
    return OK;
}

void mc_cache_register_hooks(apr_pool_t *p)
{
    APR_OPTIONAL_HOOK(ap, status_hook, cache_status, NULL, NULL, APR_HOOK_MIDDLE);
}
