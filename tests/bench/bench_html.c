/* Throughput of the HTML rewriter on generated pages, against a plain
 * memchr('<') loop over the same bytes in the same run (FILTERS.md: the
 * target is >= 1 GB/s and within 3x of that loop).
 *
 * Pages are made deterministically in four shapes — a text-heavy article,
 * a tag-heavy app shell, a minified one-line page, a tracker-heavy page —
 * and four sizes. The rewriter runs as in production: the shipped default
 * catalogue classifies, nothing is granted, injection is on, the page
 * arrives in 8 KiB chunks, and the sink only counts. Each figure is the
 * best of 5 measurements of at least 0.3 s each, the rewriter's and
 * memchr's taken in turns: the machine's slow spells (a virtual machine
 * has them, seconds long) then fall on both alike, and the best of each
 * comes from the fast spells.
 *
 * The table ends with one line per run: for each shape, the range over the
 * sizes of rewriter/memchr (the "ratio" column: how many times longer the
 * rewriter takes over the same bytes) and whether the worst size is within
 * the 3x target (reported, never asserted).
 *
 * Build (from the repository root):
 *   sh build-aux/embed.sh . rules/default.json locales/nb.json locales/nn.json \
 *      locales/en.json > /tmp/builtin_data.c
 *   cc -O2 -std=gnu11 $(pkg-config --cflags apr-1 apr-util-1 libpcre2-8 jansson libcrypto) \
 *      -Imod_consent/core tests/bench/bench_html.c \
 *      mod_consent/core/{status,category,rules,builtin,html,html_lex}.c /tmp/builtin_data.c \
 *      -o /tmp/bench_html $(pkg-config --libs apr-1 apr-util-1 libpcre2-8 jansson libcrypto)
 *   /tmp/bench_html [SHAPE]
 */
#include <apr_general.h>
#include <apr_pools.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "builtin.h"
#include "html.h"
#include "rules.h"

#define CHUNK 8192
#define MIN_SECONDS 0.3
#define ROUNDS 5
/* FILTERS.md and issue 11: the rewriter within this factor of memchr */
#define TARGET_RATIO 3.0

/* --- a growable byte buffer -------------------------------------------------------- */

typedef struct page {
    char *data;
    size_t len;
    size_t cap;
} page_t;

static void put(page_t *pg, const char *s)
{
    size_t n = strlen(s);

    if (pg->len + n + 1 > pg->cap) {
        pg->cap = (pg->len + n + 1) * 2;
        pg->data = realloc(pg->data, pg->cap);
        if (!pg->data) {
            perror("realloc");
            exit(1);
        }
    }
    memcpy(pg->data + pg->len, s, n + 1);
    pg->len += n;
}

static void putf(page_t *pg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void putf(page_t *pg, const char *fmt, ...)
{
    char buf[4096];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    put(pg, buf);
}

/* --- deterministic content --------------------------------------------------------- */

static unsigned long long rng_state = 0x9E3779B97F4A7C15ull;

static unsigned rnd(unsigned n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (unsigned)(rng_state % n);
}

static const char *const words[] = {
    "legevakt", "time",        "behandling", "fysioterapi", "pasient", "konsultasjon",
    "the",      "clinic",      "opening",    "hours",       "and",     "our",
    "team",     "offers",      "treatment",  "for",         "back",    "pain",
    "skade",    "rygg",        "nakke",      "trening",     "med",     "oss",
    "booking",  "appointment", "walk-in",    "emergency",   "doctor",  "nurse"};

static void sentence(page_t *pg, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        putf(pg, "%s%s", i ? " " : "", words[rnd(sizeof(words) / sizeof(words[0]))]);
    put(pg, ". ");
}

static void head(page_t *pg, int trackers)
{
    put(pg, "<!DOCTYPE html>\n<html lang=\"nb\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<title>Legevakten &ndash; Oslo</title>\n"
            "<link rel=\"stylesheet\" href=\"/assets/site.css?v=3\">\n");
    if (!trackers)
        return;
    put(pg, "<script async src=\"https://www.googletagmanager.com/gtag/js?id=G-ABC123\"></script>\n"
            "<script>window.dataLayer = window.dataLayer || [];function gtag(){dataLayer.push("
            "arguments);}gtag('js', new Date());gtag('config', 'G-ABC123');</script>\n"
            "<script>!function(f,b,e,v,n,t,s){if(f.fbq)return;n=f.fbq=function(){n.callMethod?"
            "n.callMethod.apply(n,arguments):n.queue.push(arguments)};t=b.createElement(e);"
            "t.async=!0;t.src=v;s=b.getElementsByTagName(e)[0];s.parentNode.insertBefore(t,s)}"
            "(window, document,'script','https://connect.facebook.net/en_US/fbevents.js');"
            "fbq('init', '1234567890');fbq('track', 'PageView');</script>\n"
            "<script>(function(h,o,t,j,a,r){h.hj=h.hj||function(){(h.hj.q=h.hj.q||[]).push("
            "arguments)};h._hjSettings={hjid:123,hjsv:6};})(window,document,"
            "'https://static.hotjar.com/c/hotjar-','.js?sv=');</script>\n"
            "<script type=\"application/ld+json\">{\"@context\":\"https://schema.org\","
            "\"@type\":\"MedicalClinic\",\"name\":\"Legevakten\"}</script>\n");
}

/* A long article: paragraphs, a few links and images. */
static void block_article(page_t *pg)
{
    putf(pg, "<h2>%s</h2>\n", words[rnd(30)]);
    for (int p = 0; p < 4; p++) {
        put(pg, "<p>");
        for (int s = 0; s < 5; s++)
            sentence(pg, 8 + rnd(12));
        if (rnd(3) == 0)
            putf(pg, "<a href=\"/artikler/%u\">%s</a> ", rnd(1000), words[rnd(30)]);
        put(pg, "</p>\n");
    }
    if (rnd(2) == 0)
        putf(pg,
             "<figure><img src=\"/uploads/2025/%02u/bilde-%u.jpg\" alt=\"%s\" width=\"800\" "
             "height=\"600\" loading=\"lazy\"><figcaption>%s</figcaption></figure>\n",
             1 + rnd(12), rnd(500), words[rnd(30)], words[rnd(30)]);
}

/* An app shell: nested elements with many attributes and little text. */
static void block_app(page_t *pg, const char *nl)
{
    putf(pg, "<div class=\"card card--%u\" data-id=\"%u\" data-state='open'>%s", rnd(9), rnd(99999),
         nl);
    putf(pg,
         "<div class=\"card__header\"><span class=\"icon icon-%u\" aria-hidden=\"true\">"
         "<svg viewBox=\"0 0 24 24\" width=\"16\" height=\"16\"><path d=\"M12 2L2 7l10 5 "
         "10-5-10-5z\"/></svg></span><h3 class=\"card__title\">%s</h3></div>%s",
         rnd(50), words[rnd(30)], nl);
    put(pg, "<ul class=\"list\">");
    for (int i = 0; i < 5; i++)
        putf(pg,
             "<li class=\"list__item\"><a class=\"link\" href=\"/app/item/%u?tab=%u\" "
             "title=\"%s\">%s</a><button type=button class=btn data-action=open "
             "disabled>%s</button></li>%s",
             rnd(9999), rnd(5), words[rnd(30)], words[rnd(30)], words[rnd(30)], nl);
    putf(pg,
         "</ul><input type=\"text\" name=\"q%u\" value=\"\" placeholder=\"S&oslash;k\">"
         "<label for=\"q\">%s</label></div>%s",
         rnd(9), words[rnd(30)], nl);
}

/* What makes a page tracker-heavy: embeds, pixels, widgets between content. */
static void block_trackers(page_t *pg)
{
    block_article(pg);
    switch (rnd(5)) {
    case 0:
        putf(pg,
             "<iframe width=\"560\" height=\"315\" src=\"https://www.youtube.com/embed/%u\" "
             "title=\"YouTube video player\" frameborder=\"0\" allowfullscreen></iframe>\n",
             rnd(99999));
        break;
    case 1:
        put(pg, "<noscript><img height=\"1\" width=\"1\" style=\"display:none\" "
                "src=\"https://www.facebook.com/tr?id=1234567890&amp;ev=PageView&amp;"
                "noscript=1\"/></noscript>\n");
        break;
    case 2:
        put(pg, "<script type=\"text/javascript\">_linkedin_partner_id = \"123456\";window."
                "_linkedin_data_partner_ids = window._linkedin_data_partner_ids || [];"
                "window._linkedin_data_partner_ids.push(_linkedin_partner_id);</script>\n"
                "<script src=\"https://snap.licdn.com/li.lms-analytics/insight.min.js\" "
                "async></script>\n");
        break;
    case 3:
        put(pg, "<script id=\"mcjs\">!function(c,h,i,m,p){m=c.createElement(h),p=c."
                "getElementsByTagName(h)[0],m.async=1,m.src=i,p.parentNode.insertBefore(m,p)}"
                "(document,\"script\",\"https://chimpstatic.com/mcjs-connected/js/users/abc/"
                "def.js\");</script>\n");
        break;
    default:
        putf(pg, "<script src=\"/wp-content/plugins/site/app.js?ver=%u\" defer></script>\n",
             rnd(9));
        break;
    }
}

enum shape { SHAPE_ARTICLE, SHAPE_APP, SHAPE_MINIFIED, SHAPE_TRACKERS, SHAPE_COUNT };
static const char *const shape_names[] = {"article", "app-shell", "minified", "trackers"};

static page_t make_page(enum shape shape, size_t size)
{
    page_t pg = {NULL, 0, 0};

    rng_state = 0x9E3779B97F4A7C15ull + shape;
    head(&pg, shape == SHAPE_TRACKERS || shape == SHAPE_MINIFIED);
    put(&pg, "</head>\n<body class=\"page\">\n");
    while (pg.len < size) {
        switch (shape) {
        case SHAPE_ARTICLE: block_article(&pg); break;
        case SHAPE_APP: block_app(&pg, "\n"); break;
        case SHAPE_MINIFIED: block_app(&pg, ""); break;
        default: block_trackers(&pg); break;
        }
    }
    put(&pg, "</body>\n</html>\n");
    if (shape == SHAPE_MINIFIED) {
        /* one line: newlines out */
        size_t n = 0;

        for (size_t i = 0; i < pg.len; i++) {
            if (pg.data[i] != '\n')
                pg.data[n++] = pg.data[i];
        }
        pg.len = n;
    }
    return pg;
}

/* --- the two contenders ------------------------------------------------------------ */

typedef struct bench_ctx {
    mc_ruleset_t *rules;
    mc_categories_t *cats;
    size_t sunk;
    size_t held_max;
} bench_ctx_t;

static mc_status_t count_sink(void *baton, mc_html_out_t kind, const char *data, size_t len)
{
    bench_ctx_t *ctx = baton;

    ctx->sunk += len;
    return MC_OK;
}

static int classify(void *baton, mc_rule_kind_t kind, const char *subject, size_t len,
                    const char **service)
{
    bench_ctx_t *ctx = baton;
    const mc_rule_t *rule = kind == MC_RULE_URL ? mc_ruleset_match_url(ctx->rules, subject, len)
                                                : mc_ruleset_match_inline(ctx->rules, subject, len);

    *service = rule ? rule->service_id : NULL;
    return rule ? mc_categories_index(ctx->cats, rule->category) : -1;
}

static const char *banner(void *baton, const char *lang, size_t *len)
{
    static const char markup[] = "<div id=\"consent-banner\">...</div>";

    *len = sizeof(markup) - 1;
    return markup;
}

static void rewrite_once(apr_pool_t *parent, bench_ctx_t *ctx, const mc_html_policy_t *policy,
                         const page_t *pg)
{
    apr_pool_t *p;
    mc_html_t *h;

    apr_pool_create(&p, parent);
    h = mc_html_create(p, policy, count_sink, ctx);
    for (size_t off = 0; off < pg->len; off += CHUNK) {
        size_t n = pg->len - off < CHUNK ? pg->len - off : CHUNK;

        if (mc_html_write(h, pg->data + off, n) != MC_OK) {
            fprintf(stderr, "rewriter failed\n");
            exit(1);
        }
        if (mc_html_held(h) > ctx->held_max)
            ctx->held_max = mc_html_held(h);
    }
    mc_html_end(h);
    apr_pool_destroy(p);
}

static size_t memchr_once(const page_t *pg)
{
    size_t count = 0;
    const char *p = pg->data;
    const char *end = pg->data + pg->len;

    while ((p = memchr(p, '<', (size_t)(end - p))) != NULL) {
        count++;
        p++;
    }
    return count;
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* MB/s of one measurement, repeating the contender for at least
 * MIN_SECONDS. WHICH: 0 rewriter, 1 memchr. */
static double measure_once(int which, apr_pool_t *p, bench_ctx_t *ctx,
                           const mc_html_policy_t *policy, const page_t *pg)
{
    static volatile size_t sink_count;
    double start = now(), elapsed;
    unsigned long reps = 0;

    do {
        if (which == 0)
            rewrite_once(p, ctx, policy, pg);
        else
            sink_count += memchr_once(pg);
        reps++;
        elapsed = now() - start;
    } while (elapsed < MIN_SECONDS);
    return (double)pg->len * (double)reps / elapsed / 1e6;
}

/* The best MB/s of each contender over ROUNDS rounds, a measurement of
 * each a round: RW the rewriter's, MC memchr's. */
static void measure(apr_pool_t *p, bench_ctx_t *ctx, const mc_html_policy_t *policy,
                    const page_t *pg, double *rw, double *mc)
{
    *rw = *mc = 0;
    for (int round = 0; round < ROUNDS; round++) {
        double r = measure_once(0, p, ctx, policy, pg);
        double m = measure_once(1, p, ctx, policy, pg);

        if (r > *rw)
            *rw = r;
        if (m > *mc)
            *mc = m;
    }
}

int main(int argc, char **argv)
{
    static const size_t sizes[] = {(size_t)30 * 1024, (size_t)300 * 1024, (size_t)1024 * 1024,
                                   (size_t)10 * 1024 * 1024};
    apr_pool_t *pool;
    bench_ctx_t ctx = {0};
    const mc_builtin_file_t *catalogue;
    const char *err = NULL;
    mc_html_policy_t policy = {0};
    double lo[SHAPE_COUNT] = {0}, hi[SHAPE_COUNT] = {0};
    int measured[SHAPE_COUNT] = {0}, any = 0;

    apr_initialize();
    apr_pool_create(&pool, NULL);
    ctx.rules = mc_ruleset_make(pool);
    ctx.cats = mc_categories_make(pool);
    catalogue = mc_builtin_find("rules/default.json");
    if (!catalogue || mc_ruleset_load_json(ctx.rules, catalogue->data, catalogue->len, "default",
                                           &err) != MC_OK) {
        fprintf(stderr, "default catalogue: %s\n", err ? err : "missing");
        return 1;
    }
    policy.cats = ctx.cats;
    policy.granted = mc_categories_required(ctx.cats);
    policy.classify = classify;
    policy.classify_baton = &ctx;
    policy.inject = 1;
    policy.head_html = "<link rel=\"stylesheet\" href=\"/_consent/consent.css\">";
    policy.head_len = strlen(policy.head_html);
    policy.banner = banner;

    printf("%-10s %8s %14s %12s %7s %10s\n", "shape", "size", "rewriter MB/s", "memchr MB/s",
           "ratio", "held max");
    for (int s = 0; s < SHAPE_COUNT; s++) {
        if (argc > 1 && strcmp(argv[1], shape_names[s]) != 0)
            continue;
        for (size_t z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
            page_t pg = make_page((enum shape)s, sizes[z]);
            double rw, mc;

            ctx.held_max = 0;
            measure(pool, &ctx, &policy, &pg, &rw, &mc);
            printf("%-10s %7zuK %14.0f %12.0f %6.2fx %10zu\n", shape_names[s], pg.len / 1024, rw,
                   mc, mc / rw, ctx.held_max);
            if (!measured[s] || mc / rw < lo[s])
                lo[s] = mc / rw;
            if (!measured[s] || mc / rw > hi[s])
                hi[s] = mc / rw;
            measured[s] = any = 1;
            fflush(stdout);
            free(pg.data);
        }
    }
    /* The ratio column is memchr's MB/s over the rewriter's: how many times
     * longer the rewriter takes over the same bytes. Per shape, the range
     * over the sizes and, on the worst size, whether it is within target. */
    if (any) {
        printf("rewriter/memchr per shape (time over the same bytes, all sizes; target <= %.0fx):",
               TARGET_RATIO);
        const char *sep = "";

        for (int s = 0; s < SHAPE_COUNT; s++) {
            if (!measured[s])
                continue;
            printf("%s %s %.2fx-%.2fx %s", sep, shape_names[s], lo[s], hi[s],
                   hi[s] <= TARGET_RATIO ? "met" : "NOT met");
            sep = ";";
        }
        printf("\n");
    }
    apr_pool_destroy(pool);
    apr_terminate();
    return 0;
}
