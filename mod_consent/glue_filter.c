/* The HTML output filter (CONSENT_HTML): every text/html and
 * application/xhtml+xml response runs through the streaming rewriter
 * (core/html.h), so that tracker elements of categories the visitor has not
 * granted leave the server neutralised and the consent assets and banner are
 * injected.
 *
 * The shape is httpd's mod_deflate and mod_substitute: the first call decides
 * whether there is anything to do and otherwise removes the filter; the
 * per-response context lives in f->ctx and its brigades are reused; output
 * leaves as it is produced, untouched spans as the original buckets (split,
 * never copied); one error exit with one numbered log line. "FILTERS.md #n"
 * names the output-filter pitfall a piece of code is there for.
 *
 * The rewriter reads the body as the browser will (core/charset.h): gzip
 * and deflate, one over the other, are undone first; the first bytes are
 * held until the byte order mark, which overrides any charset, is known;
 * a UTF-16 page is turned into UTF-8 (and says so in its Content-Type); a
 * body without a type is sniffed as browsers sniff it. What cannot be read
 * that way — a coding zlib does not know, ISO-2022-JP, an XML or SVG
 * document, whose scripts run too — is never passed as it is to a visitor
 * who has refused something: ConsentUnreadable sends it sandboxed (a
 * Content-Security-Policy under which nothing runs and no other host is
 * reached), refuses it, or, when an admin says so, passes it. To keep that
 * rare, mc_filter_header_parser takes from Accept-Encoding the codings the
 * filter cannot undo before a backend sees it, and the filter gives the
 * field back before mod_deflate or mod_brotli read it.
 */
#include "mod_consent.h"

#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_filter.h"

#include <apr_buckets.h>
#include <apr_strings.h>
#include <stdlib.h>
#include <strings.h>

#include "banner.h"
#include "charset.h"
#include "gtag.h"
#include "html.h"
#include "httpfield.h"
#include "inflate.h"
#include "inuse.h"

#include "glue_filter.h"
#include "glue_banner.h"
#include "glue_cache.h"
#include "glue_config.h"
#include "glue_csp.h"
#include "glue_request.h"
#include "glue_seen.h"
#include "glue_shared.h"
#include "glue_state.h"

APLOG_USE_MODULE(consent);

/* Output is passed on once this much is ready, and whatever is ready at a
 * FLUSH (FILTERS.md #15). Less is kept, set aside, between calls. 64 KB
 * rather than mod_include's 8 KB: a typical page then leaves in one write
 * with a Content-Length (measured: 6-10 us less CPU a request on a 30 KB
 * page), and what is held stays small and constant; a streaming backend
 * still gets its bytes out at every FLUSH it sends. */
#define MC_PASS_BYTES 65536
/* Consecutive new bytes (a rewritten tag comes in several pieces, injected
 * markup in one) are gathered into one bucket of up to this size. */
#define MC_NEW_MAX 2048
/* Inflated bytes per bucket: APR_BUCKET_BUFF_SIZE, what a pipe or socket
 * read makes, so the bucket allocator recycles these blocks. */
#define MC_INFLATE_CHUNK APR_BUCKET_BUFF_SIZE

typedef enum mc_filter_mode {
    MC_FILTER_REWRITE = 0, /* the body runs through the rewriter */
    MC_FILTER_PASS,        /* sniffed as no HTML: the body passes as it is */
    MC_FILTER_ENDED,       /* EOS has passed: anything after it is ignored */
    MC_FILTER_FAILED       /* aborted: nothing more leaves */
} mc_filter_mode_t;

#define MC_PAGE_SERVICES 16 /* services a page's elements name, noted at most */

typedef struct mc_filter_ctx {
    ap_filter_t *f;
    mc_filter_mode_t mode;
    apr_status_t failure; /* what every call returns once FAILED */
    const mc_server_conf_t *conf;
    const mc_dir_conf_t *dir;
    mc_html_policy_t policy;
    mc_html_t *html;
    const char *lang; /* the banner's language, once known */

    apr_bucket_brigade *out;  /* output gathered for the next pass */
    apr_bucket_brigade *held; /* output set aside between two calls */
    apr_size_t out_len;       /* bytes in out, held and new_buf */
    char *new_buf;            /* new bytes not in a bucket yet */
    apr_size_t new_len;
    int passed;           /* something went downstream: headers have left */
    apr_status_t pass_rv; /* a downstream failure met inside the sink */

    /* The bucket being written: INPUT spans point into its data. */
    apr_bucket *chunk;
    const char *chunk_data;
    apr_size_t chunk_len;

    /* The body's codings undone, the last applied first: each inflater's
     * output goes to the next, the last one's to the prefix (NULL: none). */
    mc_inflate_t *inflaters[MC_HTTPFIELD_CODINGS_MAX];
    struct mc_filter_stage {
        struct mc_filter_ctx *ctx;
        int index;
    } stages[MC_HTTPFIELD_CODINGS_MAX];
    int n_inflaters;

    /* The first bytes of the (decoded) body, held until they say how it
     * reads: its byte order mark, and when it has no type, whether it
     * sniffs as HTML (NULL once decided). */
    char *prefix;
    apr_size_t prefix_len;
    int sniffing;        /* no usable type: HTML or not is still open */
    mc_charset_t charset; /* from the Content-Type, until a mark says otherwise */
    apr_size_t skip;     /* bytes of a UTF-16 mark still to leave out */
    int utf16;           /* the page is UTF-16: turned into UTF-8 */
    int xml_prolog;      /* an XHTML page whose prolog is still to be read */
    mc_utf16_t decoder;

    /* catalogue services whose rules classified an element of this page,
     * noted once at the end (glue_seen.c: the services in use) */
    const char *services[MC_PAGE_SERVICES];
    int n_services;
    int all_granted; /* the visitor granted every category: nothing to refuse */

    /* A static file the page cache may keep (glue_cache.h): its key, and
     * the output captured so far (NULL: not capturing). */
    mc_cache_ticket_t ticket;
    int capturing; /* a miss of the cache: to be kept at the end */
    char *capture;
    apr_size_t capture_len, capture_size;
} mc_filter_ctx_t;

/* --- deciding on the first call --------------------------------------------------- */

/* The Content-Encoding the client would see: r->content_encoding replaces
 * the headers_out field when the headers are written, and err_headers_out
 * adds its own (FILTERS.md #8). */
static const char *response_encoding(request_rec *r)
{
    const char *enc = r->content_encoding;
    const char *err_enc = mc_field_list(r->pool, r->err_headers_out, "Content-Encoding");

    if (!enc)
        enc = mc_field_list(r->pool, r->headers_out, "Content-Encoding");
    if (enc && err_enc)
        return apr_pstrcat(r->pool, enc, ",", err_enc, NULL);
    return enc ? enc : err_enc;
}

/* What makes a response unreadable, for the log: said at warn once per
 * process for each kind, then at info level. */
typedef enum mc_unreadable_kind {
    MC_UNREADABLE_XML = 0, /* an XML document */
    MC_UNREADABLE_CODING,  /* a Content-Encoding zlib does not know */
    MC_UNREADABLE_CHARSET, /* ISO-2022-JP, or no type and encoded */
    MC_UNREADABLE_ENTITIES /* an XHTML page that declares entities */
} mc_unreadable_kind_t;

/* How the body of a response is to be read. */
typedef struct mc_reading {
    mc_httpfield_doc_t doc;
    int n_codings;
    mc_httpfield_coding_t codings[MC_HTTPFIELD_CODINGS_MAX];
    mc_charset_t charset;
    const char *unreadable; /* why the rewriter cannot read it, or NULL */
    mc_unreadable_kind_t unreadable_kind;
} mc_reading_t;

/* Whether this response's body is one to act on, and how it reads; says at
 * debug level why not when a page is left alone. */
static int readable(request_rec *r, mc_reading_t *rd)
{
    const char *enc;

    memset(rd, 0, sizeof(*rd));
    /* FILTERS.md #9, #10: no body to rewrite, or not a page of ours. */
    if (r->main || mc_is_endpoint(r) || r->status == HTTP_NO_CONTENT)
        return 0;
    rd->doc = mc_httpfield_document(r->content_type);
    if (rd->doc == MC_HTTPFIELD_DOC_OTHER)
        return 0;
    /* FILTERS.md #10: a byte range of a page cannot be rewritten alone. */
    if (r->status == HTTP_PARTIAL_CONTENT || apr_table_get(r->headers_out, "Content-Range")) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      MCLOGNO(00052) "not rewriting %s: a partial response",
                      ap_escape_logitem(r->pool, r->uri));
        return 0;
    }
    enc = response_encoding(r);
    rd->n_codings = mc_httpfield_codings(enc, rd->codings);
    rd->charset = mc_httpfield_charset(r->pool, r->content_type);
    rd->unreadable_kind = MC_UNREADABLE_CHARSET;
    if (rd->doc == MC_HTTPFIELD_DOC_XML) {
        rd->unreadable = apr_psprintf(r->pool, "it is an XML document (%s), whose scripts run",
                                      r->content_type);
        rd->unreadable_kind = MC_UNREADABLE_XML;
    } else if (rd->n_codings < 0) {
        rd->unreadable =
            apr_psprintf(r->pool, "its Content-Encoding '%s' cannot be decoded", enc);
        rd->unreadable_kind = MC_UNREADABLE_CODING;
    } else if (rd->charset == MC_CHARSET_STATEFUL) {
        rd->unreadable = apr_psprintf(r->pool, "its charset (%s) switches by escape sequences",
                                      r->content_type);
    } else if (rd->doc == MC_HTTPFIELD_DOC_UNKNOWN && rd->n_codings > 0) {
        rd->unreadable = "it has no Content-Type to tell whether it is HTML, and is encoded";
    }
    return 1;
}

/* --- Accept-Encoding: only what the filter can undo ---------------------------------- */

#define MC_NOTE_ACCEPT_ENCODING "consent-accept-encoding"

/* Before any handler or backend sees the request: a backend then answers
 * with gzip or deflate, which the filter undoes, rather than br or zstd,
 * which it cannot. The client's own field is kept in a note. */
int mc_filter_header_parser(request_rec *r)
{
    const char *ae, *readable_ae;

    if (r->main || !mc_engine_on(r) || mc_is_endpoint(r) || !mc_rewrite_on(r))
        return DECLINED;
    ae = apr_table_get(r->headers_in, "Accept-Encoding");
    if (r->prev && apr_table_get(r->prev->notes, MC_NOTE_ACCEPT_ENCODING))
        ae = apr_table_get(r->prev->notes, MC_NOTE_ACCEPT_ENCODING); /* a redirect */
    readable_ae = mc_httpfield_readable_accept(r->pool, ae);
    if (!ae || strcmp(ae, readable_ae) == 0)
        return DECLINED;
    apr_table_setn(r->notes, MC_NOTE_ACCEPT_ENCODING, ae);
    apr_table_setn(r->headers_in, "Accept-Encoding", readable_ae);
    return DECLINED;
}

/* The client's field back, for the compressing filters after this one. */
static void restore_accept_encoding(request_rec *r)
{
    const char *ae = apr_table_get(r->notes, MC_NOTE_ACCEPT_ENCODING);

    if (ae)
        apr_table_setn(r->headers_in, "Accept-Encoding", ae);
}

/* --- the headers of a rewritten response (FILTERS.md #5-#8) ---------------------- */

static void unset_field(request_rec *r, const char *name)
{
    apr_table_unset(r->headers_out, name);
    apr_table_unset(r->err_headers_out, name);
}

/* The body differs per consent state, so its validator must as well: the
 * ETag becomes weak (the bytes are not the file's) and carries the
 * variant, W/"<tag>-mc<variant>" (mc_variant_tag: the consent state and
 * all else the rewritten bytes depend on). A revalidation made under
 * another state never matches, so no browser is told 304 and shown the
 * variant made for an earlier choice; one made under the same state is
 * answered 304 here (not_modified). */
static void variant_etag(request_rec *r, apr_table_t *t, const char *state)
{
    const char *etag = apr_table_get(t, "ETag");
    const char *variant;

    if (!etag)
        return;
    variant = mc_httpfield_variant_etag(r->pool, etag, state);
    if (variant)
        apr_table_setn(t, "ETag", variant);
    else
        apr_table_unset(t, "ETag"); /* malformed: a tag that names no variant */
}

/* Runs once, before anything is passed on: the headers leave with the first
 * brigade (FILTERS.md #7), HEAD and 304 answers included, so that they say
 * what a GET would. */

static void adjust_headers(request_rec *r, int decoded)
{
    const char *state = mc_variant_tag(r);
    /* what the site said of the page's caching, before it is made private */
    int site_private = mc_site_keeps_private(r);
    const char *site_cc = mc_field_list(r->pool, r->headers_out, "Cache-Control");
    const char *site_sc = mc_field_list(r->pool, r->headers_out, "Surrogate-Control");

    unset_field(r, "Content-Length");
    unset_field(r, "Content-MD5");
    /* Without an ETag a browser revalidates by date, and the page's date
     * says nothing about the consent state the copy was made for. */
    unset_field(r, "Last-Modified");
    variant_etag(r, r->headers_out, state);
    variant_etag(r, r->err_headers_out, state);
    mc_per_visitor(r);
    /* a page loaded into a frame comes without the banner */
    if (mc_dir_conf(r)->banner != 0)
        mc_vary_on(r, "Sec-Fetch-Dest");
    /* glue_shared.c: whether a shared cache may keep it per consent state */
    mc_shared_note_page(r, site_private, site_cc, site_sc);
    /* glue_headers.c: frame protection, once mod_headers has had its say */
    mc_mark_rewritten(r);
    if (decoded) {
        /* The body leaves inflated; mod_deflate, when configured, compresses
         * it again after us. */
        r->content_encoding = NULL;
        unset_field(r, "Content-Encoding");
    }
}

/* A policy under which the page shows, with its own styles and images,
 * and nothing runs or reaches another host: no script (sandbox without
 * allow-scripts), no frame, no fetch. script-src 'self' only lets the
 * site's own XSLT stylesheet load (browsers check an <?xml-stylesheet?>
 * against script-src: WordPress's sitemaps are shown through one); no
 * script runs in a document sandboxed without allow-scripts. */
#define MC_SANDBOX_POLICY                                                                          \
    "sandbox allow-forms allow-same-origin allow-popups "                                         \
    "allow-top-navigation-by-user-activation; default-src 'none'; script-src 'self'; "            \
    "img-src 'self' data:; style-src 'self' 'unsafe-inline'; font-src 'self'; media-src 'self'; " \
    "form-action 'self'"

static int told_unreadable[MC_UNREADABLE_ENTITIES + 1];

/* A response the rewriter cannot read (WHY): for a visitor who refused
 * something, nothing of it may run (ConsentUnreadable). Returns what is to
 * be done: MC_UNREADABLE_PASS when nothing (the visitor refused nothing,
 * or the admin says pass); SANDBOX, with the policy and the headers of a
 * per-visitor response set; REFUSE. */
static mc_unreadable_t hold_back(request_rec *r, mc_unreadable_kind_t kind, const char *why)
{
    static const char *const what[] = {"sent sandboxed", "refused (502)",
                                       "passed as it is, trackers and all (ConsentUnreadable "
                                       "pass)"};
    mc_unreadable_t mode = mc_unreadable_mode(mc_dir_conf(r));
    mc_catmask_t all = mc_categories_all(mc_server_conf(r->server)->cats);
    int level;

    if ((mc_request_state(r)->effective & all) == all)
        return MC_UNREADABLE_PASS; /* nothing refused: nothing to keep from running */
    if (kind == MC_UNREADABLE_XML && mode == MC_UNREADABLE_SANDBOX) {
        level = APLOG_INFO; /* feeds and sitemaps: every site has them, all is well */
    }
    else {
        level = told_unreadable[kind] ? APLOG_INFO : APLOG_WARNING;
        told_unreadable[kind] = 1;
    }
    ap_log_rerror(APLOG_MARK, level, 0, r,
                  MCLOGNO(00325) "%s cannot be rewritten: %s; it was %s for a visitor who has "
                                 "not granted every category%s",
                  ap_escape_logitem(r->pool, mc_visitor_request(r)->uri),
                  ap_escape_logitem(r->pool, why),
                  what[mode], level == APLOG_WARNING ? " (said once; LogLevel consent:info "
                                                       "says it every time)" : "");
    if (mode == MC_UNREADABLE_PASS)
        return mode;
    /* what a visitor gets now depends on their choice */
    mc_per_visitor(r);
    r->no_cache = 1;
    if (mode == MC_UNREADABLE_SANDBOX)
        mc_mark_sandboxed(r, MC_SANDBOX_POLICY); /* sent by CONSENT_HEADERS */
    return mode;
}

/* BB becomes a 502 error and EOS. */
static void refuse(ap_filter_t *f, apr_bucket_brigade *bb)
{
    apr_brigade_cleanup(bb);
    APR_BRIGADE_INSERT_TAIL(
        bb, ap_bucket_error_create(HTTP_BAD_GATEWAY, NULL, f->r->pool, f->c->bucket_alloc));
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(f->c->bucket_alloc));
}

/* At the start: a response the rewriter cannot read, and why (RD). */
static void unreadable(ap_filter_t *f, apr_bucket_brigade *bb, const mc_reading_t *rd)
{
    if (hold_back(f->r, rd->unreadable_kind, rd->unreadable) == MC_UNREADABLE_REFUSE)
        refuse(f, bb);
}

/* A GET (or HEAD) whose If-None-Match names the variant ETag just made:
 * the browser's copy is what this response would be. The handler could
 * not tell, as it compared with the file's own tag. */
static int not_modified(request_rec *r)
{
    const char *inm = apr_table_get(r->headers_in, "If-None-Match");
    const char *etag = apr_table_get(r->headers_out, "ETag");

    return inm && etag && r->status == HTTP_OK && r->method_number == M_GET &&
           ap_find_etag_weak(r->pool, inm, etag);
}

/* --- output: what the rewriter hands the sink becomes buckets ---------------------- */

static void append_copy(mc_filter_ctx_t *ctx, const char *data, apr_size_t len)
{
    APR_BRIGADE_INSERT_TAIL(ctx->out,
                            apr_bucket_heap_create(data, len, NULL, ctx->out->bucket_alloc));
}

/* The gathered new bytes become one bucket, so that what follows stays in
 * order behind them. */
static void flush_new(mc_filter_ctx_t *ctx)
{
    if (ctx->new_len == 0)
        return;
    append_copy(ctx, ctx->new_buf, ctx->new_len);
    ctx->new_len = 0;
}

static void add_new(mc_filter_ctx_t *ctx, const char *data, apr_size_t len)
{
    if (ctx->new_len + len > MC_NEW_MAX)
        flush_new(ctx);
    if (len > MC_NEW_MAX) {
        append_copy(ctx, data, len);
        return;
    }
    memcpy(ctx->new_buf + ctx->new_len, data, len);
    ctx->new_len += len;
}

/* An untouched span of the bucket being written leaves as a piece of that
 * bucket: a copy shares its data, splits trim it to the span. */
static void add_span(mc_filter_ctx_t *ctx, const char *data, apr_size_t len)
{
    apr_size_t off;
    apr_bucket *b, *head;

    if (!ctx->chunk || data < ctx->chunk_data || len > ctx->chunk_len ||
        (apr_size_t)(data - ctx->chunk_data) > ctx->chunk_len - len) {
        add_new(ctx, data, len); /* not from this bucket: keep the bytes safe */
        return;
    }
    flush_new(ctx);
    off = (apr_size_t)(data - ctx->chunk_data);
    if (apr_bucket_copy(ctx->chunk, &b) != APR_SUCCESS) {
        append_copy(ctx, data, len);
        return;
    }
    APR_BRIGADE_INSERT_TAIL(ctx->out, b);
    if (off > 0) {
        if (apr_bucket_split(b, off) != APR_SUCCESS) {
            apr_bucket_delete(b);
            append_copy(ctx, data, len);
            return;
        }
        head = b;
        b = APR_BUCKET_NEXT(b);
        apr_bucket_delete(head);
    }
    if (b->length > len) {
        if (apr_bucket_split(b, len) != APR_SUCCESS) {
            apr_bucket_delete(b);
            append_copy(ctx, data, len);
            return;
        }
        apr_bucket_delete(APR_BUCKET_NEXT(b));
    }
}

/* Sends what is gathered (FILTERS.md #14: the result is checked by every
 * caller; the brigade is cleaned up for reuse, never destroyed). */
static apr_status_t pass_out(mc_filter_ctx_t *ctx)
{
    apr_status_t rv;

    flush_new(ctx);
    if (APR_BRIGADE_EMPTY(ctx->out))
        return APR_SUCCESS;
    ctx->passed = 1;
    rv = ap_pass_brigade(ctx->f->next, ctx->out);
    apr_brigade_cleanup(ctx->out);
    ctx->out_len = 0;
    return rv;
}

/* --- the page cache: a hit is served as kept; a miss is captured -------------------- */

static apr_status_t free_capture(void *data)
{
    mc_filter_ctx_t *ctx = data;

    free(ctx->capture);
    ctx->capture = NULL;
    return APR_SUCCESS;
}

static void start_capture(mc_filter_ctx_t *ctx)
{
    ctx->capture_size = ctx->ticket.entry_max < 32768 ? ctx->ticket.entry_max : 32768;
    ctx->capture = malloc(ctx->capture_size);
    ctx->capture_len = 0;
    ctx->capturing = ctx->capture != NULL;
    if (ctx->capture)
        apr_pool_cleanup_register(ctx->f->r->pool, ctx, free_capture, apr_pool_cleanup_null);
}

/* A response larger than a cache entry may be is not kept: capturing
 * stops, so memory stays bounded by the entry size. */
static void capture(mc_filter_ctx_t *ctx, const char *data, apr_size_t len)
{
    if (ctx->capture_len + len > ctx->capture_size) {
        apr_size_t size = ctx->capture_size;
        char *grown;

        while (size < ctx->capture_len + len && size < ctx->ticket.entry_max)
            size = size * 2 < ctx->ticket.entry_max ? size * 2 : ctx->ticket.entry_max;
        if (size < ctx->capture_len + len || !(grown = realloc(ctx->capture, size))) {
            apr_pool_cleanup_run(ctx->f->r->pool, ctx, free_capture);
            return;
        }
        ctx->capture = grown;
        ctx->capture_size = size;
    }
    memcpy(ctx->capture + ctx->capture_len, data, len);
    ctx->capture_len += len;
}

static mc_status_t sink(void *baton, mc_html_out_t kind, const char *data, size_t len)
{
    mc_filter_ctx_t *ctx = baton;

    if (len == 0)
        return MC_OK;
    if (ctx->capture)
        capture(ctx, data, len);
    if (kind == MC_HTML_OUT_INPUT)
        add_span(ctx, data, len);
    else
        add_new(ctx, data, len);
    ctx->out_len += len;
    /* FILTERS.md #2: pass on as output is made, however large the chunk. */
    if (ctx->out_len >= MC_PASS_BYTES) {
        apr_status_t rv = pass_out(ctx);
        if (rv != APR_SUCCESS) {
            ctx->pass_rv = rv;
            return MC_EIO;
        }
    }
    return MC_OK;
}

/* FILTERS.md #3, #13: what is made so far leaves, then FLUSH. Before the
 * page's first byte is made, a FLUSH would only push the headers out; they
 * are better kept back, so that a failure until then still gets an error
 * page rather than a response cut short. */
static apr_status_t pass_flush(mc_filter_ctx_t *ctx, apr_bucket *flush)
{
    if (!ctx->passed && ctx->out_len == 0 && APR_BRIGADE_EMPTY(ctx->out)) {
        apr_bucket_destroy(flush);
        return APR_SUCCESS;
    }
    flush_new(ctx);
    APR_BRIGADE_INSERT_TAIL(ctx->out, flush);
    return pass_out(ctx);
}

/* Moves an upstream bucket behind the output made so far, in order. */
static void append_bucket(mc_filter_ctx_t *ctx, apr_bucket *e)
{
    flush_new(ctx);
    APR_BUCKET_REMOVE(e);
    APR_BRIGADE_INSERT_TAIL(ctx->out, e);
}

/* --- classification and the banner, for the rewriter ---------------------------- */

/* Remembers that the page names SERVICE: a few string compares, no lock. */
static void note_service(mc_filter_ctx_t *ctx, const char *service)
{
    for (int i = 0; i < ctx->n_services; i++) {
        if (ctx->services[i] == service || strcmp(ctx->services[i], service) == 0)
            return;
    }
    if (ctx->n_services < MC_PAGE_SERVICES)
        ctx->services[ctx->n_services++] = service;
}

/* Rules of the directory first (an admin's local word), then the server's. */
static int classify(void *baton, mc_rule_kind_t kind, const char *subject, size_t len,
                    const char **service)
{
    const mc_filter_ctx_t *ctx = baton;
    const mc_rule_t *rule = NULL;

    /* Every category granted: whatever an element is, it stays as it is,
     * so the rules are not run (the services it names are then learnt
     * from other visitors' pages). */
    if (ctx->all_granted) {
        *service = NULL;
        return -1;
    }
    if (ctx->dir->rules)
        rule = mc_rules_match(ctx->dir->rules, kind, subject, len);
    if (!rule && kind == MC_RULE_URL)
        rule = mc_ruleset_match_url(ctx->conf->rules, subject, len);
    else if (!rule && kind == MC_RULE_INLINE)
        rule = mc_ruleset_match_inline(ctx->conf->rules, subject, len);
    if (rule && rule->service)
        note_service((mc_filter_ctx_t *)baton, rule->service);
    *service = rule ? rule->service_id : NULL;
    if (rule && rule->google_tag) {
        /* a catalogue's Google tag: its ids decide (an admin's rule has no
         * service, so it still wins as written) */
        const char *cat =
            mc_gtag_classify(kind, subject, len, ctx->dir->google_consent_mode == 1);
        int i = cat ? mc_categories_index(ctx->conf->cats, cat) : -1;

        if (i >= 0) {
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, ctx->f->r,
                          MCLOGNO(00280) "Google tag (%s rule of '%s'): %s by its ids",
                          mc_rule_kind_str(kind), rule->service, cat);
            /* one tag may serve Analytics and Ads at once: only the
             * categories its ids need can let it run, never one service */
            *service = NULL;
            return i;
        }
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, ctx->f->r,
                      MCLOGNO(00281) "Google tag (%s rule of '%s'): no id read for sure, so "
                      "the catalogue's %s stands",
                      mc_rule_kind_str(kind), rule->service, rule->category);
    }
    return rule ? mc_categories_index(ctx->conf->cats, rule->category) : -1;
}

static const char *banner(void *baton, const char *html_lang, size_t *len)
{
    mc_filter_ctx_t *ctx = baton;
    apr_size_t n = 0;
    const char *html = NULL;

    if (mc_banner_wanted(ctx->f->r))
        html = mc_banner_for(ctx->f->r, html_lang, mc_html_has_base(ctx->html), &n);
    /* placeholders speak the banner's language */
    ctx->lang = mc_banner_language(ctx->f->r, html_lang);
    *len = n;
    return html;
}

/* The src of a neutralised iframe: {base}/placeholder?u=URL&l=LANG, which
 * shows what the embed is and offers to load it. Only for absolute http(s)
 * URLs (a protocol-relative one gets this request's scheme): the
 * placeholder page refuses anything else. */
static const char *placeholder(void *baton, int category, const char *url, size_t url_len,
                               size_t *out_len)
{
    mc_filter_ctx_t *ctx = baton;
    request_rec *r = ctx->f->r;
    const char *u = apr_pstrmemdup(r->pool, url, url_len), *value, *sig;

    (void)category;
    if (strncmp(u, "//", 2) == 0)
        u = apr_pstrcat(r->pool, ap_http_scheme(r), ":", u, NULL);
    if (strncasecmp(u, "https://", 8) != 0 && strncasecmp(u, "http://", 7) != 0)
        return NULL;
    if (!ctx->lang)
        ctx->lang = mc_banner_language(r, NULL);
    /* signed: the placeholder page shows only URLs this site's pages carry */
    sig = mc_token_sign_text(r->pool, ctx->conf->signing_key, MC_PLACEHOLDER_SIG, u);
    if (!sig)
        return NULL;
    value = apr_pstrcat(r->pool, mc_html_escape(r->pool, ctx->conf->base_path),
                        "/placeholder?u=", mc_url_query_encode(r->pool, u),
                        "&amp;l=", mc_url_query_encode(r->pool, ctx->lang), "&amp;s=", sig, NULL);
    *out_len = strlen(value);
    return value;
}

/* --- errors ------------------------------------------------------------------------- */

static void discard_output(mc_filter_ctx_t *ctx)
{
    apr_brigade_cleanup(ctx->out);
    apr_brigade_cleanup(ctx->held);
    ctx->new_len = 0;
    ctx->out_len = 0;
}

/* The next filter failed (mostly: the client went away). Not ours to
 * report; nothing more is sent. */
static apr_status_t downstream_failed(mc_filter_ctx_t *ctx, apr_status_t rv)
{
    ctx->mode = MC_FILTER_FAILED;
    ctx->failure = rv;
    discard_output(ctx);
    return rv;
}

/* The one error exit. Consent comes first: a page that cannot be rewritten
 * to its end is cut short, never passed on as it is, because its rest may
 * hold a tracker. Output not yet passed is dropped, so no half-made tag
 * leaves. An error bucket and EOS end the response: before the headers have
 * left, HTTP_HEADER turns the bucket into a 500 error page; after, the
 * response ends visibly incomplete, as mod_proxy ends one whose backend
 * broke mid-body: HTTP_BAD_GATEWAY is the status the chunk filter looks for
 * to leave out the last chunk, and the connection closes. */
static apr_status_t fail(mc_filter_ctx_t *ctx, apr_status_t rv, const char *why)
{
    request_rec *r = ctx->f->r;
    apr_bucket_alloc_t *alloc = ctx->out->bucket_alloc;
    int status;

    ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r,
                  MCLOGNO(00050) "%s in %s; the response was cut short so that nothing "
                                 "unrewritten leaves",
                  why, ap_escape_logitem(r->pool, r->uri));
    discard_output(ctx);
    ctx->mode = MC_FILTER_FAILED;
    ctx->failure = rv == APR_SUCCESS ? APR_EGENERAL : rv;
    r->no_cache = 1;
    status = ctx->passed ? HTTP_BAD_GATEWAY : HTTP_INTERNAL_SERVER_ERROR;
    APR_BRIGADE_INSERT_TAIL(ctx->out, ap_bucket_error_create(status, NULL, r->pool, alloc));
    APR_BRIGADE_INSERT_TAIL(ctx->out, apr_bucket_eos_create(alloc));
    /* Its result changes nothing: the response is failing already. */
    (void)ap_pass_brigade(ctx->f->next, ctx->out);
    apr_brigade_cleanup(ctx->out);
    return ctx->failure;
}

static apr_status_t rewriter_failed(mc_filter_ctx_t *ctx, mc_status_t st)
{
    if (ctx->pass_rv != APR_SUCCESS)
        return downstream_failed(ctx, ctx->pass_rv);
    return fail(
        ctx, APR_EGENERAL,
        apr_pstrcat(ctx->f->r->pool, "the HTML rewriter stopped (", mc_status_str(st), ")", NULL));
}

/* --- input ---------------------------------------------------------------------------- */

/* Feeds one chunk; B holds DATA, so that untouched spans can leave as
 * pieces of B. */
static apr_status_t write_chunk(mc_filter_ctx_t *ctx, apr_bucket *b, const char *data,
                                apr_size_t len)
{
    mc_status_t st;

    if (len == 0)
        return APR_SUCCESS;
    ctx->chunk = b;
    ctx->chunk_data = data;
    ctx->chunk_len = len;
    st = mc_html_write(ctx->html, data, len);
    ctx->chunk = NULL;
    return st == MC_OK ? APR_SUCCESS : rewriter_failed(ctx, st);
}

/* Rewrites LEN bytes of a heap buffer BUF (from apr_bucket_alloc), which
 * a heap bucket then owns, so that spans of it leave without another copy. */
static apr_status_t write_heap(mc_filter_ctx_t *ctx, char *buf, apr_size_t len)
{
    apr_bucket *b = apr_bucket_heap_create(buf, len, apr_bucket_free, ctx->out->bucket_alloc);
    apr_status_t rv = write_chunk(ctx, b, buf, len);

    apr_bucket_destroy(b); /* our reference; the spans made of it keep theirs */
    return rv;
}

/* Rewrites a copy of bytes that are valid only during the call. */
static apr_status_t write_copy(mc_filter_ctx_t *ctx, const char *data, apr_size_t len)
{
    char *buf;

    if (len == 0)
        return APR_SUCCESS;
    buf = apr_bucket_alloc(len, ctx->out->bucket_alloc);
    memcpy(buf, data, len);
    return write_heap(ctx, buf, len);
}

/* A UTF-16 page, a piece at a time, as UTF-8. */
static apr_status_t write_utf16(mc_filter_ctx_t *ctx, const char *data, apr_size_t len)
{
    while (len > 0) {
        apr_size_t n = len < MC_INFLATE_CHUNK ? len : MC_INFLATE_CHUNK;
        char *buf = apr_bucket_alloc(MC_UTF16_ROOM(n), ctx->out->bucket_alloc);
        apr_size_t made = mc_utf16_decode(&ctx->decoder, data, n, buf);
        apr_status_t rv = APR_SUCCESS;

        if (made > 0)
            rv = write_heap(ctx, buf, made);
        else
            apr_bucket_free(buf);
        if (rv != APR_SUCCESS)
            return rv;
        data += n;
        len -= n;
    }
    return APR_SUCCESS;
}

/* Body bytes whose reading is decided: to the rewriter, or on as they are.
 * B, when not NULL, is the upstream bucket DATA is the whole of; NULL: a
 * copy is made. */
static apr_status_t route(mc_filter_ctx_t *ctx, apr_bucket *b, const char *data, apr_size_t len)
{
    apr_size_t skip = ctx->skip < len ? ctx->skip : len;

    ctx->skip -= skip;
    data += skip;
    len -= skip;
    if (len == 0)
        return APR_SUCCESS;
    if (ctx->mode == MC_FILTER_PASS) {
        apr_bucket *copy = NULL;

        flush_new(ctx);
        /* B whole (a file's mapped bytes, say) leaves as it is, shared */
        if (!b || apr_bucket_copy(b, &copy) != APR_SUCCESS)
            copy = apr_bucket_heap_create(data, len, NULL, ctx->out->bucket_alloc);
        APR_BRIGADE_INSERT_TAIL(ctx->out, copy);
        ctx->out_len += len;
        return APR_SUCCESS;
    }
    if (ctx->utf16)
        return write_utf16(ctx, data, len);
    return b && !skip ? write_chunk(ctx, b, data, len) : write_copy(ctx, data, len);
}

static apr_status_t start_rewriter(mc_filter_ctx_t *ctx);
static void set_up_rewriting(mc_filter_ctx_t *ctx);

/* An XHTML page whose DOCTYPE declares entities: held back as any page
 * the rewriter cannot read is (the rest of it passes as it comes, under the
 * sandbox, or not at all). */
static void xml_entities(mc_filter_ctx_t *ctx)
{
    switch (hold_back(ctx->f->r, MC_UNREADABLE_ENTITIES,
                      "it is an XML page whose DOCTYPE has an internal subset, where entities "
                      "the XML parser reads as markup are declared")) {
    case MC_UNREADABLE_PASS: return;
    case MC_UNREADABLE_SANDBOX: ctx->mode = MC_FILTER_PASS; return;
    case MC_UNREADABLE_REFUSE: break;
    }
    /* nothing has left yet: the prolog was held */
    discard_output(ctx);
    ctx->mode = MC_FILTER_FAILED;
    ctx->failure = APR_EGENERAL;
    refuse(ctx->f, ctx->out);
    (void)ap_pass_brigade(ctx->f->next, ctx->out);
    apr_brigade_cleanup(ctx->out);
}

/* The first bytes of the body, DATA (N bytes; all of it when AT_END), say
 * how it reads. 0 while they cannot yet. */
static int decide(mc_filter_ctx_t *ctx, const char *data, apr_size_t n, int at_end)
{
    request_rec *r = ctx->f->r;
    mc_bom_t bom;

    if (ctx->sniffing) {
        mc_sniff_t s = mc_charset_sniff_html(data, n, at_end);

        if (s == MC_SNIFF_MORE)
            return 0;
        ctx->sniffing = 0;
        if (s == MC_SNIFF_OTHER) {
            /* the browser must not read into it what was not read here */
            apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
            ctx->mode = MC_FILTER_PASS;
            return 1;
        }
        ap_set_content_type(r, "text/html");
        set_up_rewriting(ctx);
        if (ctx->mode == MC_FILTER_FAILED)
            return 1;
    }
    bom = mc_charset_bom(data, n, at_end);
    if (bom == MC_BOM_MORE)
        return 0;
    if (bom == MC_BOM_UTF16LE || bom == MC_BOM_UTF16BE) {
        ctx->skip = mc_charset_bom_len(bom);
        ctx->charset = bom == MC_BOM_UTF16LE ? MC_CHARSET_UTF16LE : MC_CHARSET_UTF16BE;
    }
    else if (bom == MC_BOM_UTF8) {
        ctx->charset = MC_CHARSET_BYTES; /* over any label */
    }
    if (ctx->xml_prolog && ctx->charset != MC_CHARSET_UTF16LE &&
        ctx->charset != MC_CHARSET_UTF16BE) {
        mc_prolog_t prolog = mc_charset_xml_prolog(data, n, at_end);

        if (prolog == MC_PROLOG_MORE)
            return 0;
        ctx->xml_prolog = 0;
        if (prolog == MC_PROLOG_SUBSET) {
            xml_entities(ctx);
            return 1;
        }
    }
    if (ctx->charset == MC_CHARSET_UTF16LE || ctx->charset == MC_CHARSET_UTF16BE) {
        ctx->utf16 = 1;
        mc_utf16_init(&ctx->decoder, ctx->charset == MC_CHARSET_UTF16BE);
        ap_set_content_type(r, mc_httpfield_as_utf8(r->pool, r->content_type));
        /* the page cache keeps what a file is rewritten to, as it is typed */
        if (ctx->capture)
            apr_pool_cleanup_run(r->pool, ctx, free_capture);
        ctx->capturing = 0;
    }
    return 1;
}

/* Body bytes (decoded): held while their first ones cannot yet say how
 * the body reads, then routed. */
static apr_status_t body_bytes(mc_filter_ctx_t *ctx, apr_bucket *b, const char *data,
                               apr_size_t len)
{
    apr_size_t take;
    apr_status_t rv;

    if (!ctx->prefix)
        return route(ctx, b, data, len);
    if (ctx->prefix_len == 0 && decide(ctx, data, len, 0)) {
        ctx->prefix = NULL;
        return ctx->mode == MC_FILTER_FAILED ? ctx->failure : route(ctx, b, data, len);
    }
    take = MC_SNIFF_MAX - ctx->prefix_len < len ? MC_SNIFF_MAX - ctx->prefix_len : len;
    memcpy(ctx->prefix + ctx->prefix_len, data, take);
    ctx->prefix_len += take;
    if (!decide(ctx, ctx->prefix, ctx->prefix_len, ctx->prefix_len == MC_SNIFF_MAX))
        return APR_SUCCESS;
    if (ctx->mode == MC_FILTER_FAILED)
        return ctx->failure;
    rv = route(ctx, NULL, ctx->prefix, ctx->prefix_len);
    ctx->prefix = NULL;
    /* the rest of B: a copy (B's spans are made from its start) */
    if (rv == APR_SUCCESS && take < len)
        rv = route(ctx, NULL, data + take, len - take);
    return rv;
}

/* The body ended before its first bytes said how it reads. */
static apr_status_t prefix_end(mc_filter_ctx_t *ctx)
{
    apr_status_t rv;

    if (!ctx->prefix)
        return APR_SUCCESS;
    decide(ctx, ctx->prefix, ctx->prefix_len, 1);
    if (ctx->mode == MC_FILTER_FAILED)
        return ctx->failure;
    rv = route(ctx, NULL, ctx->prefix, ctx->prefix_len);
    ctx->prefix = NULL;
    return rv;
}

/* An inflater's sink: its output goes to the next inflater, the last
 * one's to the body. Its buffer is reused: body_bytes copies. */
static mc_status_t inflated(void *baton, const char *data, size_t len)
{
    struct mc_filter_stage *stage = baton;
    mc_filter_ctx_t *ctx = stage->ctx;
    const char *err = NULL;

    if (stage->index + 1 < ctx->n_inflaters) {
        mc_status_t st = mc_inflate_write(ctx->inflaters[stage->index + 1], data, len, &err);

        if (st != MC_OK && err)
            fail(ctx, APR_EGENERAL,
                 apr_psprintf(ctx->f->r->pool, "the encoded body cannot be decoded (%s)", err));
        return st == MC_OK ? MC_OK : MC_EIO;
    }
    return body_bytes(ctx, NULL, data, len) == APR_SUCCESS ? MC_OK : MC_EIO;
}

/* FILTERS.md #11: a gzip or deflate body (a proxied backend's) is inflated
 * here, in chunks of MC_INFLATE_CHUNK bytes, each rewritten before the next
 * is made, so memory stays bounded whatever the compression ratio. */
static apr_status_t inflate_data(mc_filter_ctx_t *ctx, const char *data, apr_size_t len)
{
    request_rec *r = ctx->f->r;
    const char *err;
    int trailing = mc_inflate_state(ctx->inflaters[0]) == MC_INFLATE_TRAILING;

    if (mc_inflate_write(ctx->inflaters[0], data, len, &err) != MC_OK) {
        /* no words: the rewriter or the next filter stopped, and said so */
        if (!err)
            return ctx->failure;
        return fail(ctx, APR_EGENERAL,
                    apr_psprintf(r->pool, "the encoded body cannot be decoded (%s)", err));
    }
    /* Bytes after a complete member that do not start another one: browsers
     * ignore them, and so does this filter. */
    if (!trailing && mc_inflate_state(ctx->inflaters[0]) == MC_INFLATE_TRAILING)
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      MCLOGNO(00055) "ignoring bytes after the encoded body of %s",
                      ap_escape_logitem(r->pool, r->uri));
    return APR_SUCCESS;
}

static void finish_inflate(mc_filter_ctx_t *ctx)
{
    request_rec *r = ctx->f->r;
    int cut = 0;

    /* A body cut off mid-stream still had everything inflated so far
     * rewritten; the browser would show that much too. */
    for (int i = 0; i < ctx->n_inflaters; i++)
        cut |= mc_inflate_end(ctx->inflaters[i]) == MC_INFLATE_MEMBER;
    if (cut)
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      MCLOGNO(00056) "the encoded body of %s ended before its end; "
                                     "passing on what it held",
                      ap_escape_logitem(r->pool, r->uri));
    ctx->n_inflaters = 0;
}

/* FILTERS.md #13: read without blocking first; when nothing is ready, let
 * what is made so far leave with a FLUSH, then wait for more. */
static apr_status_t read_bucket(mc_filter_ctx_t *ctx, apr_bucket *e, const char **data,
                                apr_size_t *len)
{
    apr_status_t rv;

    /* A file is read into the heap, not mapped: the filter takes every
     * byte anyway, and a mapping is unmapped at the request's end, which in
     * a threaded child flushes the TLB of every CPU running one of its
     * threads (make bench: 12 % of the child's time at 32 connections). */
    if (APR_BUCKET_IS_FILE(e))
        apr_bucket_file_enable_mmap(e, 0);
    rv = apr_bucket_read(e, data, len, APR_NONBLOCK_READ);

    if (APR_STATUS_IS_EAGAIN(rv)) {
        rv = pass_flush(ctx, apr_bucket_flush_create(ctx->out->bucket_alloc));
        if (rv != APR_SUCCESS)
            return downstream_failed(ctx, rv);
        rv = apr_bucket_read(e, data, len, APR_BLOCK_READ);
    }
    if (rv != APR_SUCCESS)
        return fail(ctx, rv, "reading the response body failed");
    return APR_SUCCESS;
}

static apr_status_t take_data(mc_filter_ctx_t *ctx, apr_bucket *e)
{
    const char *data;
    apr_size_t len;
    apr_status_t rv;

    rv = read_bucket(ctx, e, &data, &len);
    if (rv != APR_SUCCESS)
        return rv;
    rv = ctx->n_inflaters ? inflate_data(ctx, data, len) : body_bytes(ctx, e, data, len);
    apr_bucket_delete(e); /* the spans made of it hold their own references */
    return rv;
}

/* FILTERS.md #3: a FLUSH sends everything made so far, then itself; other
 * metadata buckets keep their place in the output. */
static apr_status_t take_metadata(mc_filter_ctx_t *ctx, apr_bucket *e)
{
    apr_status_t rv;

    if (!APR_BUCKET_IS_FLUSH(e)) {
        append_bucket(ctx, e);
        return APR_SUCCESS;
    }
    APR_BUCKET_REMOVE(e);
    rv = pass_flush(ctx, e);
    return rv == APR_SUCCESS ? rv : downstream_failed(ctx, rv);
}

static void log_stats(mc_filter_ctx_t *ctx)
{
    request_rec *r = ctx->f->r;
    const mc_html_stats_t *s;

    if (!APLOGrdebug(r))
        return;
    s = mc_html_stats(ctx->html);
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                  MCLOGNO(00057) "rewrote %s: %u neutralised, %u restored, %u over a size cap "
                                 "and %u SVG scripts or sheets not readable whole "
                                 "(held back whole unless all is granted), assets %s, banner %s, at most %" APR_SIZE_T_FMT
                                 " bytes held",
                  ap_escape_logitem(r->pool, r->uri), s->neutralised, s->restored, s->oversized,
                  s->unreadable,
                  s->head_injected ? "injected" : "not injected",
                  s->banner_injected ? "injected" : "not injected", (apr_size_t)s->max_held);
}

/* FILTERS.md #4: the rewriter's carry (a partial tag at the very end) and a
 * banner still due go out, then EOS. */
static apr_status_t take_eos(mc_filter_ctx_t *ctx, apr_bucket *eos)
{
    mc_status_t st;
    apr_status_t rv;

    if (ctx->n_inflaters)
        finish_inflate(ctx);
    rv = prefix_end(ctx);
    if (rv != APR_SUCCESS)
        return rv;
    if (ctx->mode == MC_FILTER_PASS) {
        ctx->mode = MC_FILTER_ENDED;
        append_bucket(ctx, eos);
        rv = pass_out(ctx);
        return rv == APR_SUCCESS ? rv : downstream_failed(ctx, rv);
    }
    if (ctx->utf16) {
        char last[3];
        apr_size_t n = mc_utf16_end(&ctx->decoder, last);

        if (n > 0 && (rv = write_copy(ctx, last, n)) != APR_SUCCESS)
            return rv;
    }
    st = mc_html_end(ctx->html);
    if (st != MC_OK)
        return rewriter_failed(ctx, st);
    log_stats(ctx);
    mc_seen_use(ctx->f->r, ctx->services, ctx->n_services, MC_INUSE_ELEMENT);
    if (ctx->capturing) {
        /* NULL when the page outgrew an entry: counted as too large */
        mc_cache_store(ctx->f->r, &ctx->ticket, ctx->capture, ctx->capture_len, ctx->services,
                       ctx->n_services);
        if (ctx->capture)
            apr_pool_cleanup_run(ctx->f->r->pool, ctx, free_capture);
    }
    ctx->mode = MC_FILTER_ENDED;
    append_bucket(ctx, eos);
    rv = pass_out(ctx);
    return rv == APR_SUCCESS ? rv : downstream_failed(ctx, rv);
}

/* Less than MC_PASS_BYTES made and no FLUSH asked for: keep it for the next
 * call, set aside so that it outlives the buckets it came from (a transient
 * bucket's data is only valid during this call), FILTERS.md #2, #15. */
static apr_status_t keep_or_pass(mc_filter_ctx_t *ctx)
{
    apr_status_t rv;

    if (ctx->out_len < MC_PASS_BYTES) {
        rv = ap_save_brigade(ctx->f, &ctx->held, &ctx->out, ctx->f->r->pool);
        return rv == APR_SUCCESS ? rv : fail(ctx, rv, "setting output aside failed");
    }
    rv = pass_out(ctx);
    return rv == APR_SUCCESS ? rv : downstream_failed(ctx, rv);
}

/* --- the filter ------------------------------------------------------------------------- */

static mc_filter_ctx_t *make_ctx(ap_filter_t *f)
{
    request_rec *r = f->r;
    mc_filter_ctx_t *ctx = apr_pcalloc(r->pool, sizeof(*ctx));

    ctx->f = f;
    ctx->conf = mc_server_conf(r->server);
    ctx->dir = mc_dir_conf(r);
    ctx->out = apr_brigade_create(r->pool, f->c->bucket_alloc);
    ctx->held = apr_brigade_create(r->pool, f->c->bucket_alloc);
    return ctx;
}

/* Inflaters for the codings, the last applied first. */
static apr_status_t start_inflate(mc_filter_ctx_t *ctx, const mc_reading_t *rd)
{
    const char *err = NULL;

    for (int i = 0; i < rd->n_codings; i++) {
        mc_httpfield_coding_t coding = rd->codings[rd->n_codings - 1 - i];

        ctx->stages[i].ctx = ctx;
        ctx->stages[i].index = i;
        ctx->inflaters[i] = mc_inflate_make(
            ctx->f->r->pool, coding == MC_HTTPFIELD_GZIP ? MC_INFLATE_GZIP : MC_INFLATE_DEFLATE,
            MC_INFLATE_CHUNK, inflated, &ctx->stages[i], &err);
        if (!ctx->inflaters[i])
            return fail(ctx, APR_ENOMEM, err);
        ctx->n_inflaters = i + 1;
    }
    return APR_SUCCESS;
}

static apr_status_t start_rewriter(mc_filter_ctx_t *ctx)
{
    request_rec *r = ctx->f->r;
    apr_size_t head_len = 0;
    mc_catmask_t all;

    ctx->policy.cats = ctx->conf->cats;
    ctx->policy.granted = mc_request_state(r)->effective;
    all = mc_categories_all(ctx->conf->cats);
    ctx->all_granted = (ctx->policy.granted & all) == all;
    ctx->policy.services = mc_request_state(r)->services;
    ctx->policy.classify = classify;
    ctx->policy.classify_baton = ctx;
    ctx->policy.inject = 1;
    ctx->policy.head_html = mc_assets_head(r, &head_len);
    ctx->policy.head_len = head_len;
    ctx->policy.banner = banner;
    ctx->policy.banner_baton = ctx;
    ctx->policy.placeholder = placeholder;
    ctx->policy.placeholder_baton = ctx;
    /* "scheme://host:port", for the placeholder's URL under a <base> elsewhere */
    ctx->policy.origin = ap_construct_url(r->pool, "", r);
    ctx->policy.xml = mc_httpfield_is_xhtml(r->content_type);
    ctx->policy.frame_name = mc_frame_name(r);
    ctx->policy.held_image = mc_assets_held_src(r);
    ctx->new_buf = apr_palloc(r->pool, MC_NEW_MAX);
    ctx->html = mc_html_create(r->pool, &ctx->policy, sink, ctx);
    if (!ctx->html)
        return fail(ctx, APR_ENOMEM, "the HTML rewriter cannot start");
    return APR_SUCCESS;
}

/* A static file kept by the page cache leaves as kept, with EOS: the
 * rewriter is not started. 0 on a miss. */
static int serve_kept(mc_filter_ctx_t *ctx, apr_bucket_brigade *bb, apr_status_t *rv)
{
    const char **services;
    int n;

    if (!mc_cache_fetch(ctx->f->r, &ctx->ticket, ctx->out, &services, &n))
        return 0;
    mc_seen_use(ctx->f->r, services, n, MC_INUSE_ELEMENT);
    apr_brigade_cleanup(bb);
    ctx->mode = MC_FILTER_ENDED;
    APR_BRIGADE_INSERT_TAIL(ctx->out, apr_bucket_eos_create(ctx->out->bucket_alloc));
    *rv = pass_out(ctx);
    if (*rv != APR_SUCCESS)
        *rv = downstream_failed(ctx, *rv);
    return 1;
}

/* A body sniffed as HTML is rewritten as a page typed so would be. */
static void set_up_rewriting(mc_filter_ctx_t *ctx)
{
    request_rec *r = ctx->f->r;

    mc_csp_prepare(r);
    adjust_headers(r, 0);
    if (start_rewriter(ctx) != APR_SUCCESS)
        ctx->mode = MC_FILTER_FAILED;
}

/* The first call with something in it: the handler has set the type and
 * status by now. *OUT stays NULL when the filter has nothing to do. */
static apr_status_t begin(ap_filter_t *f, apr_bucket_brigade *bb, mc_filter_ctx_t **out)
{
    request_rec *r = f->r;
    mc_reading_t rd;
    mc_filter_ctx_t *ctx;
    apr_status_t rv;

    *out = NULL;
    restore_accept_encoding(r);
    if (!readable(r, &rd))
        return APR_SUCCESS;
    if (rd.unreadable) {
        unreadable(f, bb, &rd);
        return APR_SUCCESS;
    }
    if (rd.doc == MC_HTTPFIELD_DOC_UNKNOWN) {
        /* HTML or not, the first bytes tell (a 304 or HEAD has none: its
         * headers stay as they are) */
        *out = f->ctx = ctx = make_ctx(f);
        ctx->sniffing = 1;
        ctx->prefix = apr_palloc(r->pool, MC_SNIFF_MAX);
        return APR_SUCCESS;
    }
    /* before the assets are made: they tell consent.js about the policy */
    mc_csp_prepare(r);
    adjust_headers(r, rd.n_codings > 0);
    if (not_modified(r)) {
        /* the browser holds this very variant: no body (HTTP_HEADER sends
         * a 304 without one; the length count does not add a zero) */
        r->status = HTTP_NOT_MODIFIED;
        apr_brigade_cleanup(bb);
        APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(f->c->bucket_alloc));
        return APR_SUCCESS;
    }
    /* FILTERS.md #9: a 304 has no body, but its headers update the copy a
     * browser keeps, so they were adjusted as well. */
    if (r->status == HTTP_NOT_MODIFIED)
        return APR_SUCCESS;
    /* A HEAD body runs through as a GET body would: HTTP_HEADER drops it,
     * after DEFLATE and the length count have seen it and said in the
     * headers what they say for GET. */
    *out = f->ctx = ctx = make_ctx(f);
    ctx->charset = rd.charset;
    ctx->xml_prolog = mc_httpfield_is_xhtml(r->content_type);
    ctx->prefix = apr_palloc(r->pool, MC_SNIFF_MAX);
    if (rd.n_codings > 0) {
        rv = start_inflate(ctx, &rd);
        if (rv != APR_SUCCESS)
            return rv;
    }
    else if (mc_cache_ticket(r, bb, &ctx->ticket)) {
        if (serve_kept(ctx, bb, &rv))
            return rv;
        start_capture(ctx);
    }
    return start_rewriter(ctx);
}

apr_status_t mc_html_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    mc_filter_ctx_t *ctx = f->ctx;
    apr_status_t rv = APR_SUCCESS;

    /* FILTERS.md #1 */
    if (APR_BRIGADE_EMPTY(bb))
        return APR_SUCCESS;
    if (!ctx) {
        rv = begin(f, bb, &ctx);
        if (!ctx) {
            ap_remove_output_filter(f);
            return ap_pass_brigade(f->next, bb);
        }
    }
    if (ctx->mode == MC_FILTER_FAILED || ctx->mode == MC_FILTER_ENDED) {
        /* FILTERS.md #4: nothing after EOS, nothing after a failure. */
        apr_brigade_cleanup(bb);
        return ctx->mode == MC_FILTER_FAILED ? ctx->failure : APR_SUCCESS;
    }
    APR_BRIGADE_CONCAT(ctx->out, ctx->held);
    while (rv == APR_SUCCESS && !APR_BRIGADE_EMPTY(bb) &&
           (ctx->mode == MC_FILTER_REWRITE || ctx->mode == MC_FILTER_PASS)) {
        apr_bucket *e = APR_BRIGADE_FIRST(bb);

        if (APR_BUCKET_IS_EOS(e))
            rv = take_eos(ctx, e);
        else if (APR_BUCKET_IS_METADATA(e))
            rv = take_metadata(ctx, e);
        else if (ctx->mode == MC_FILTER_PASS)
            append_bucket(ctx, e); /* sniffed as no HTML: on as it came */
        else
            rv = take_data(ctx, e);
    }
    apr_brigade_cleanup(bb);
    if (rv == APR_SUCCESS && ctx->mode == MC_FILTER_REWRITE)
        rv = keep_or_pass(ctx);
    else if (rv == APR_SUCCESS && ctx->mode == MC_FILTER_PASS) {
        rv = pass_out(ctx);
        if (rv != APR_SUCCESS)
            rv = downstream_failed(ctx, rv);
    }
    return rv;
}
