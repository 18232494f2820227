/* The streaming HTML rewriter: disarms tracker elements of categories the
 * visitor has not granted and injects the consent assets and banner, as the
 * page streams through, in bounded memory.
 *
 * Driven like a transaction: create, write chunks of any size split
 * anywhere, end. The output (everything the sink receives, concatenated) is
 * the same whatever the split. Markup that is not acted on passes through
 * byte for byte, mostly as spans of the caller's own input (zero copy).
 *
 * What it acts on:
 *  - <script src>, <iframe src>, <img src/srcset>, <embed src>,
 *    <object data>, <link href> whose URL the classifier puts in a category
 *    that is not granted, and inline <script> bodies the classifier matches
 *    (body buffered up to policy->inline_max). Neutralised form (what
 *    consent.js activates):
 *      <script type="text/plain" data-consent="CAT" data-consent-src="URL"
 *              [data-consent-type="ORIGINAL TYPE"] ...other attributes...>
 *      <iframe data-consent="CAT" data-consent-src="URL" [src="PLACEHOLDER"] ...>
 *      <img data-consent="CAT" data-consent-src="URL" [data-consent-srcset=".."] ...>
 *    The URL attribute (src, href or data) and type are removed; every other
 *    attribute is kept with its original bytes. When everything refused in
 *    the element was classified by rules of one catalogue service, the
 *    element also carries data-consent-service="ID" (after data-consent), so
 *    that granting that service alone activates it.
 *  - Elements an author marked with data-consent="CAT": neutralised the same
 *    way if CAT is not granted and they are still live; restored (URL back
 *    into src/href/data, data-consent-type back into type) if CAT is granted,
 *    or if they carry data-consent-service="ID" and that service is granted.
 *  - Injection: policy->head_html right after the <head> start tag (or, with
 *    no <head>, right before the first other element of a full document);
 *    the banner (policy->banner callback) right after the <body> start tag,
 *    or at the end of a full document that has no <body>. Fragments (no
 *    doctype, <html>, <head> or <body> seen before the first element) get
 *    no injection; nor do <frameset> documents.
 *
 *  - Targets too long to hold fail closed: a start tag of an element above
 *    over MC_HTML_TAG_MAX bytes, an inline script over inline_max. Unless
 *    every category is granted, such an element waits for all the refused
 *    ones (data-consent="ALL OF THEM"), whole:
 *      <template data-consent="CAT CAT"><script ...long...>...</script></template>
 *    (void elements: the template closes after the start tag); <object>,
 *    <video>, <audio>, <template> and <frame> get attributes in front that
 *    fetch nothing (src="data:,", data="about:blank", ...) and
 *    data-consent-reload; inside <svg> or <math> the start tag is sent as
 *    text in a CDATA section; an inline script gets the neutralised start
 *    tag above. What the first MC_HTML_TAG_MAX bytes settle passes: an <img>
 *    whose src there is clean or a data: URL still being read (an empty
 *    srcset="" goes in front), a <script> whose src there is clean, a
 *    <meta> whose http-equiv there is not refresh.
 *    Other start tags over the cap, and the rest of one that passes, are
 *    read as they stream: each attribute that may fetch is held alone and
 *    judged as the element with only it would be; one that reaches a
 *    refused category (or is itself over the cap) is renamed
 *    data-consent-NAME, the first with data-consent="ALL OF THEM"
 *    data-consent-reload in front of it. The rest streams on as it was.
 *
 * What it understands (as browsers do): comments (including <!--> and
 * <!--->), <!DOCTYPE>, bogus comments (<?xml ...>, </ 1>), CDATA sections
 * inside <svg> and <math>, raw text in script/style/textarea/title/xmp/
 * iframe/noembed/noframes/plaintext, the script data escape states
 * (<!-- <script> ... </script> -->), quoted, unquoted and duplicate
 * attributes (the first wins), '>' inside quoted values, any letter case, a
 * UTF-8 BOM, NUL bytes. <noscript> content is parsed as markup (pixels hide
 * there). Inside <template> nothing is rewritten.
 */
#ifndef MC_HTML_H
#define MC_HTML_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <stddef.h>

#include "category.h"
#include "rules.h"
#include "status.h"

/* A target start tag longer than this cannot be held whole (see above).
 * (A build may set it lower, as the fuzzer's does to reach that path with
 * small inputs.) */
#ifndef MC_HTML_TAG_MAX
#define MC_HTML_TAG_MAX 16384
#endif
/* Default cap on a buffered inline script: its body and "</script" longer
 * than this and it waits for every category (a style sheet passes). */
#define MC_HTML_INLINE_MAX 65536

/* How the sink is handed bytes. */
typedef enum mc_html_out {
    MC_HTML_OUT_INPUT = 0, /* a span of the chunk being written: DATA points into it */
    MC_HTML_OUT_NEW = 1    /* bytes made or held by the rewriter: copy them if kept */
} mc_html_out_t;

/* Receives output in order. Returns MC_OK, or an error that stops the
 * rewriter (returned by mc_html_write / mc_html_end). */
typedef mc_status_t mc_html_sink_fn(void *baton, mc_html_out_t kind, const char *data, size_t len);

/* Category index of a URL (kind MC_RULE_URL) or inline script body
 * (MC_RULE_INLINE), or -1 when no rule classifies it (it then passes).
 * *SERVICE gets the id of the classifying rule's catalogue service
 * (mc_rule_t.service_id), or NULL; it must outlive the rewriter. */
typedef int mc_html_classify_fn(void *baton, mc_rule_kind_t kind, const char *subject, size_t len,
                                const char **service);

/* The banner to insert, for the page's <html lang> (NULL when it has none).
 * Returns the markup and its length; NULL for none. Called at most once. */
typedef const char *mc_html_banner_fn(void *baton, const char *html_lang, size_t *len);

/* The src to give a neutralised <iframe> of category CATEGORY whose URL
 * (trimmed, "&amp;" decoded) is URL: a placeholder page that keeps the
 * frame's box. Returns the attribute value, already HTML-attribute-escaped,
 * and its length in OUT_LEN; NULL for none. It must depend only on its
 * arguments (the output does not depend on how the input is split). */
typedef const char *mc_html_placeholder_fn(void *baton, int category, const char *url,
                                           size_t url_len, size_t *out_len);

typedef struct mc_html_policy {
    const mc_categories_t *cats;
    mc_catmask_t granted;
    /* Ids (const char *) of services granted beyond GRANTED (NULL: none): what
     * a rule of one of them classifies passes as if its category were
     * granted. */
    const apr_array_header_t *services;
    mc_html_classify_fn *classify;
    void *classify_baton;
    int inject;            /* 0: rewrite only, never inject */
    const char *head_html; /* assets for the top of <head>; NULL for none */
    size_t head_len;
    mc_html_banner_fn *banner; /* NULL for no banner */
    void *banner_baton;
    size_t inline_max; /* 0 means MC_HTML_INLINE_MAX; at most 16 MiB */
    mc_html_placeholder_fn *placeholder; /* NULL: neutralised iframes get no src */
    void *placeholder_baton;
    /* "https://host[:port]": the page's origin, put before the placeholder's
     * path when the page has a <base> (NULL: none known) */
    const char *origin;
    /* The document is XML (application/xhtml+xml): an XML parser reads it,
     * for which an element's namespace, not its name, makes it a script.
     * For a visitor who refused something, a declaration that binds a
     * prefix to the XHTML, SVG or MathML namespace ("<x:script
     * xmlns:x=...>"), or makes one of them the default namespace of an
     * element other than the one that opens it (html, svg, math), is made
     * inert: "#consent-held" is appended to the namespace name, so the
     * elements it covers are plain XML and run and fetch nothing. */
    int xml;
    /* The name of a frame whose content is held, less "-N" (its place among
     * them): characters that need no escaping in an attribute value, the
     * same for every response of the same URL and variant, and one no frame
     * of the site is given while live. Its own name moves to
     * data-consent-name. NULL: held frames keep their names. */
    const char *frame_name;
    /* The src to give a held <img> the page gave a box: width and height
     * attributes both a length above one pixel (a percentage counts), as
     * an avatar or a picture in an article has and a tracking pixel has
     * not. A neutral local image (already HTML-attribute-escaped) that
     * fills the box instead of a blank; a path gets the origin in front
     * under a <base> elsewhere. NULL: held images get no src. */
    const char *held_image;
} mc_html_policy_t;

/* What the rewriter did, for logs and tests. */
typedef struct mc_html_stats {
    unsigned neutralised; /* elements disarmed */
    unsigned restored;    /* author-marked elements activated */
    unsigned oversized;   /* targets over a cap (held back whole, unless all
                           * is granted or their first bytes settle it) */
    unsigned unreadable;  /* SVG scripts and sheets whose source a child
                           * element judged apart hides (held back whole) */
    mc_catmask_t refused; /* the categories of what was neutralised */
    unsigned noscript_escaped; /* "</noscript" escaped inside a <noscript> */
    int head_injected;
    int banner_injected;
    size_t max_held; /* most bytes held at once */
} mc_html_stats_t;

typedef struct mc_html mc_html_t;

/* POLICY must outlive the rewriter. Memory is allocated from P once; no
 * allocation per chunk or per byte. */
mc_html_t *mc_html_create(apr_pool_t *p, const mc_html_policy_t *policy, mc_html_sink_fn *sink,
                          void *baton);

/* Feeds the next LEN bytes. Before returning, every byte of DATA has been
 * given to the sink (as INPUT spans, or replaced) or copied into the
 * rewriter's bounded carry (a partial tag, a buffered inline script). */
mc_status_t mc_html_write(mc_html_t *h, const char *data, size_t len);

/* The document ended: the carry is emitted (a partial tag as it was), and a
 * full document without <body> gets its banner. */
mc_status_t mc_html_end(mc_html_t *h);

/* Bytes held in the carry right now. */
size_t mc_html_held(const mc_html_t *h);

const mc_html_stats_t *mc_html_stats(const mc_html_t *h);

/* 1 once the document has a <base href> with an absolute URL: from then on
 * an absolute-path URL in injected markup would lead to the base's host,
 * so the banner callback asks for URLs with the page's origin. */
int mc_html_has_base(const mc_html_t *h);

#endif
