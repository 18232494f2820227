/* The streaming HTML rewriter: html_lex.c finds the tokens, this file
 * decides what to hold, what to rewrite and where to inject.
 *
 * Bytes flow through three places. Most leave as INPUT spans of the chunk
 * being written, sent lazily: out_off marks how far the sink has been
 * served, and a span is sent only when something must be inserted or
 * replaced after it, or when the chunk ends. What may still have to be
 * rewritten or identified — a start tag that is not finished, an inline
 * script's or style sheet's body — is held: at a chunk's end it is copied
 * to the carry, a buffer of MC_HTML_TAG_MAX + inline_max bytes made once.
 * Rewritten markup is gathered in a small output buffer and sent as NEW
 * bytes.
 *
 * An element is judged by every attribute through which a browser would
 * fetch something, read as the browser reads it: character references
 * decoded (charref.c), relative URLs resolved against the document's
 * <base> (url.c), CSS tokenised (css.c), an <iframe srcdoc> document
 * rewritten by the same rules.
 *
 * Every decision depends on the bytes alone, never on where a chunk ended:
 * a tag or script is "oversized" by its length, and the checks made at a
 * chunk's end only anticipate what the length will show.
 */
#include "html.h"
#include "text.h"

#include <apr_strings.h>
#include <string.h>

/* SSE2 (every x86-64) finds the bytes that may begin a URL in a script
 * sixteen at a time (script_mark); elsewhere, or with MC_HTML_NO_SIMD, a
 * plain loop does. */
#if defined(__SSE2__) && !defined(MC_HTML_NO_SIMD)
#define MC_HTML_SSE2 1
#include <emmintrin.h>
#endif

#include "ascii.h"
#include "charref.h"
#include "css.h"
#include "html_lex.h"
#include "url.h"

/* Rewritten markup is sent in pieces of at most this many bytes. */
#define OUT_BUFFER 4096
/* A span of the input up to this long, between pieces of rewritten markup,
 * is copied into them (send_span). */
#define SPAN_JOINED_MAX 64
/* A <html lang> value longer than this names no language. */
#define LANG_MAX 63
/* inline_max is clamped to this, so the carry's size cannot overflow. */
#define INLINE_LIMIT ((size_t)16 * 1024 * 1024)
/* A <base href> is at most a tag long: every one is followed. */
#define BASE_MAX MC_HTML_TAG_MAX
/* An attribute value with its references decoded: a reference never more
 * than doubles (charref.h). */
#define DECODED_MAX (2 * (size_t)MC_HTML_TAG_MAX + 8)
/* Sheets imported as data: URLs are judged this deep (data:text/css that
 * imports data:text/css ...); a deeper one counts as reaching every refused
 * category: no site's doing. */
#define CSS_IMPORT_DEPTH_MAX 3
/* A URL resolved against the base. */
#define RESOLVED_MAX (DECODED_MAX + BASE_MAX + 8)
/* <iframe srcdoc> documents inside srcdoc documents are examined this deep. */
#define SRCDOC_DEPTH_MAX 3
/* "</noscript", and the longest "</name" watched the same way (ns_end) */
#define NS_END "</noscript"
#define NS_END_LEN 10

typedef enum hold {
    HOLD_NONE = 0,
    HOLD_TAG, /* a start tag whose attributes are needed: from hold_from */
    HOLD_BODY /* an inline script or style sheet: start tag and body, from hold_from */
} hold_t;

typedef enum doc_kind { DOC_UNKNOWN = 0, DOC_FULL, DOC_FRAGMENT } doc_kind_t;

/* The attributes the rewriter reads. */
typedef enum attr_id {
    A_SRC = 0,
    A_HREF,
    A_XLINK_HREF,
    A_DATA,
    A_SRCSET,
    A_IMAGESRCSET,
    A_POSTER,
    A_BACKGROUND,
    A_PING,
    A_STYLE,
    A_SRCDOC,
    A_CONTENT,
    A_FILL,
    A_STROKE,
    A_FILTER,
    A_MASK,
    A_CURSOR,
    A_CLIP_PATH,
    A_MARKER_START,
    A_MARKER_MID,
    A_MARKER_END,
    A_HTTP_EQUIV,
    A_TYPE,
    A_CONSENT,
    A_CONSENT_SRC,
    A_CONSENT_SRCSET,
    A_CONSENT_IMAGESRCSET,
    A_CONSENT_POSTER,
    A_CONSENT_BACKGROUND,
    A_CONSENT_PING,
    A_CONSENT_STYLE,
    A_CONSENT_SRCDOC,
    A_CONSENT_CONTENT,
    A_CONSENT_FILL,
    A_CONSENT_STROKE,
    A_CONSENT_FILTER,
    A_CONSENT_MASK,
    A_CONSENT_CURSOR,
    A_CONSENT_CLIP_PATH,
    A_CONSENT_MARKER_START,
    A_CONSENT_MARKER_MID,
    A_CONSENT_MARKER_END,
    A_CONSENT_TYPE,
    A_CONSENT_SERVICE,
    A_NAME,
    A_CONSENT_NAME,
    A_LANG,
    A_SHADOWROOTMODE,
    A_SHADOWROOT,
    A_WIDTH,
    A_HEIGHT,
    A_ATTRIBUTENAME, /* SVG animation (SMIL): the attribute it sets, */
    A_TO,            /* ... and the values it sets it to */
    A_FROM,
    A_BY,
    A_VALUES,
    A_COUNT
} attr_id_t;

static const struct {
    const char *name;
    size_t len;
} attr_names[A_COUNT] = {{"src", 3},
                         {"href", 4},
                         {"xlink:href", 10},
                         {"data", 4},
                         {"srcset", 6},
                         {"imagesrcset", 11},
                         {"poster", 6},
                         {"background", 10},
                         {"ping", 4},
                         {"style", 5},
                         {"srcdoc", 6},
                         {"content", 7},
                         {"fill", 4},
                         {"stroke", 6},
                         {"filter", 6},
                         {"mask", 4},
                         {"cursor", 6},
                         {"clip-path", 9},
                         {"marker-start", 12},
                         {"marker-mid", 10},
                         {"marker-end", 10},
                         {"http-equiv", 10},
                         {"type", 4},
                         {"data-consent", 12},
                         {"data-consent-src", 16},
                         {"data-consent-srcset", 19},
                         {"data-consent-imagesrcset", 24},
                         {"data-consent-poster", 19},
                         {"data-consent-background", 23},
                         {"data-consent-ping", 17},
                         {"data-consent-style", 18},
                         {"data-consent-srcdoc", 19},
                         {"data-consent-content", 20},
                         {"data-consent-fill", 17},
                         {"data-consent-stroke", 19},
                         {"data-consent-filter", 19},
                         {"data-consent-mask", 17},
                         {"data-consent-cursor", 19},
                         {"data-consent-clip-path", 22},
                         {"data-consent-marker-start", 25},
                         {"data-consent-marker-mid", 23},
                         {"data-consent-marker-end", 23},
                         {"data-consent-type", 17},
                         {"data-consent-service", 20},
                         {"name", 4},
                         {"data-consent-name", 17},
                         {"lang", 4},
                         {"shadowrootmode", 14},
                         {"shadowroot", 10},
                         {"width", 5},
                         {"height", 6},
                         {"attributename", 13},
                         {"to", 2},
                         {"from", 4},
                         {"by", 2},
                         {"values", 6}};

/* Attribute names are found as tag names are (html_lex.c): one probe of a
 * hash table, whose slot is worked out from the name's first byte, its
 * second-to-last and fourth-to-last bytes (0 when it has fewer than four)
 * and its length; -Woverride-init makes a collision a compile error. A slot
 * holds the attr_id_t plus one; 0: no name. */
#define ATTR_SLOTS 256
#define ATTR_SLOT(first, second_last, fourth_last, len)                                            \
    (((unsigned)(first) + 5u * (unsigned)(second_last) + 2u * (unsigned)(fourth_last) +            \
      8u * (unsigned)(len)) &                                                                      \
     (ATTR_SLOTS - 1u))

static const unsigned char attr_slots[ATTR_SLOTS] = {
    [ATTR_SLOT('s', 'r', 0, 3)] = A_SRC + 1,
    [ATTR_SLOT('h', 'e', 'h', 4)] = A_HREF + 1,
    [ATTR_SLOT('x', 'e', 'h', 10)] = A_XLINK_HREF + 1,
    [ATTR_SLOT('d', 't', 'd', 4)] = A_DATA + 1,
    [ATTR_SLOT('s', 'e', 'c', 6)] = A_SRCSET + 1,
    [ATTR_SLOT('i', 'e', 'c', 11)] = A_IMAGESRCSET + 1,
    [ATTR_SLOT('p', 'e', 's', 6)] = A_POSTER + 1,
    [ATTR_SLOT('b', 'n', 'o', 10)] = A_BACKGROUND + 1,
    [ATTR_SLOT('p', 'n', 'p', 4)] = A_PING + 1,
    [ATTR_SLOT('s', 'l', 't', 5)] = A_STYLE + 1,
    [ATTR_SLOT('s', 'o', 'c', 6)] = A_SRCDOC + 1,
    [ATTR_SLOT('c', 'n', 't', 7)] = A_CONTENT + 1,
    [ATTR_SLOT('f', 'l', 'f', 4)] = A_FILL + 1,
    [ATTR_SLOT('s', 'k', 'r', 6)] = A_STROKE + 1,
    [ATTR_SLOT('f', 'e', 'l', 6)] = A_FILTER + 1,
    [ATTR_SLOT('m', 's', 'm', 4)] = A_MASK + 1,
    [ATTR_SLOT('c', 'o', 'r', 6)] = A_CURSOR + 1,
    [ATTR_SLOT('c', 't', 'p', 9)] = A_CLIP_PATH + 1,
    [ATTR_SLOT('m', 'r', 't', 12)] = A_MARKER_START + 1,
    [ATTR_SLOT('m', 'i', '-', 10)] = A_MARKER_MID + 1,
    [ATTR_SLOT('m', 'n', '-', 10)] = A_MARKER_END + 1,
    [ATTR_SLOT('h', 'i', 'q', 10)] = A_HTTP_EQUIV + 1,
    [ATTR_SLOT('t', 'p', 't', 4)] = A_TYPE + 1,
    [ATTR_SLOT('d', 'n', 's', 12)] = A_CONSENT + 1,
    [ATTR_SLOT('d', 'r', '-', 16)] = A_CONSENT_SRC + 1,
    [ATTR_SLOT('d', 'e', 'c', 19)] = A_CONSENT_SRCSET + 1,
    [ATTR_SLOT('d', 'e', 'c', 24)] = A_CONSENT_IMAGESRCSET + 1,
    [ATTR_SLOT('d', 'e', 's', 19)] = A_CONSENT_POSTER + 1,
    [ATTR_SLOT('d', 'n', 'o', 23)] = A_CONSENT_BACKGROUND + 1,
    [ATTR_SLOT('d', 'n', 'p', 17)] = A_CONSENT_PING + 1,
    [ATTR_SLOT('d', 'l', 't', 18)] = A_CONSENT_STYLE + 1,
    [ATTR_SLOT('d', 'o', 'c', 19)] = A_CONSENT_SRCDOC + 1,
    [ATTR_SLOT('d', 'n', 't', 20)] = A_CONSENT_CONTENT + 1,
    [ATTR_SLOT('d', 'l', 'f', 17)] = A_CONSENT_FILL + 1,
    [ATTR_SLOT('d', 'k', 'r', 19)] = A_CONSENT_STROKE + 1,
    [ATTR_SLOT('d', 'e', 'l', 19)] = A_CONSENT_FILTER + 1,
    [ATTR_SLOT('d', 's', 'm', 17)] = A_CONSENT_MASK + 1,
    [ATTR_SLOT('d', 'o', 'r', 19)] = A_CONSENT_CURSOR + 1,
    [ATTR_SLOT('d', 't', 'p', 22)] = A_CONSENT_CLIP_PATH + 1,
    [ATTR_SLOT('d', 'r', 't', 25)] = A_CONSENT_MARKER_START + 1,
    [ATTR_SLOT('d', 'i', '-', 23)] = A_CONSENT_MARKER_MID + 1,
    [ATTR_SLOT('d', 'n', '-', 23)] = A_CONSENT_MARKER_END + 1,
    [ATTR_SLOT('d', 'p', 't', 17)] = A_CONSENT_TYPE + 1,
    [ATTR_SLOT('d', 'c', 'v', 20)] = A_CONSENT_SERVICE + 1,
    [ATTR_SLOT('n', 'm', 'n', 4)] = A_NAME + 1,
    [ATTR_SLOT('d', 'm', 'n', 17)] = A_CONSENT_NAME + 1,
    [ATTR_SLOT('l', 'n', 'l', 4)] = A_LANG + 1,
    [ATTR_SLOT('s', 'd', 'm', 14)] = A_SHADOWROOTMODE + 1,
    [ATTR_SLOT('s', 'o', 'r', 10)] = A_SHADOWROOT + 1,
    [ATTR_SLOT('w', 't', 'i', 5)] = A_WIDTH + 1,
    [ATTR_SLOT('h', 'h', 'i', 6)] = A_HEIGHT + 1,
    [ATTR_SLOT('a', 'm', 'n', 13)] = A_ATTRIBUTENAME + 1,
    [ATTR_SLOT('t', 't', 0, 2)] = A_TO + 1,
    [ATTR_SLOT('f', 'o', 'f', 4)] = A_FROM + 1,
    [ATTR_SLOT('b', 'b', 0, 2)] = A_BY + 1,
    [ATTR_SLOT('v', 'e', 'l', 6)] = A_VALUES + 1,
};

#define BIT(a) ((uint64_t)1 << (a))

/* How an attribute's value leads to fetches. */
typedef enum fetch_kind {
    F_URL = 0, /* one URL */
    F_SRCSET,  /* image candidates: "a.png 1x, b.png 2x" */
    F_URLS,    /* URLs apart by whitespace (ping) */
    F_CSS,     /* a declaration list (style), or one value (SVG's fill, filter, ...) */
    F_SRCDOC,  /* a whole HTML document */
    F_REFRESH  /* <meta http-equiv=refresh content="5; url=..."> */
} fetch_kind_t;

/* Every attribute that fetches, and the one that keeps its value while it
 * is neutralised. src, href, xlink:href and data share data-consent-src:
 * an element has only one of them that fetches. */
static const struct fetch_attr {
    attr_id_t attr;
    attr_id_t saved;
    fetch_kind_t kind;
} fetch_attrs[] = {[A_SRC] = {A_SRC, A_CONSENT_SRC, F_URL},
                   [A_HREF] = {A_HREF, A_CONSENT_SRC, F_URL},
                   [A_XLINK_HREF] = {A_XLINK_HREF, A_CONSENT_SRC, F_URL},
                   [A_DATA] = {A_DATA, A_CONSENT_SRC, F_URL},
                   [A_SRCSET] = {A_SRCSET, A_CONSENT_SRCSET, F_SRCSET},
                   [A_IMAGESRCSET] = {A_IMAGESRCSET, A_CONSENT_IMAGESRCSET, F_SRCSET},
                   [A_POSTER] = {A_POSTER, A_CONSENT_POSTER, F_URL},
                   [A_BACKGROUND] = {A_BACKGROUND, A_CONSENT_BACKGROUND, F_URL},
                   [A_PING] = {A_PING, A_CONSENT_PING, F_URLS},
                   [A_STYLE] = {A_STYLE, A_CONSENT_STYLE, F_CSS},
                   [A_SRCDOC] = {A_SRCDOC, A_CONSENT_SRCDOC, F_SRCDOC},
                   [A_CONTENT] = {A_CONTENT, A_CONSENT_CONTENT, F_REFRESH},
                   [A_FILL] = {A_FILL, A_CONSENT_FILL, F_CSS},
                   [A_STROKE] = {A_STROKE, A_CONSENT_STROKE, F_CSS},
                   [A_FILTER] = {A_FILTER, A_CONSENT_FILTER, F_CSS},
                   [A_MASK] = {A_MASK, A_CONSENT_MASK, F_CSS},
                   [A_CURSOR] = {A_CURSOR, A_CONSENT_CURSOR, F_CSS},
                   [A_CLIP_PATH] = {A_CLIP_PATH, A_CONSENT_CLIP_PATH, F_CSS},
                   [A_MARKER_START] = {A_MARKER_START, A_CONSENT_MARKER_START, F_CSS},
                   [A_MARKER_MID] = {A_MARKER_MID, A_CONSENT_MARKER_MID, F_CSS},
                   [A_MARKER_END] = {A_MARKER_END, A_CONSENT_MARKER_END, F_CSS}};
#define FETCH_ATTRS (sizeof(fetch_attrs) / sizeof(fetch_attrs[0]))
/* The fetching attributes are the first ids, each at its own place in
 * fetch_attrs: the bits of those an element has are one mask. */
_Static_assert(A_SRC == 0 && A_MARKER_END == FETCH_ATTRS - 1,
               "fetch_attrs holds the ids A_SRC .. A_MARKER_END, each at its index");
#define FETCH_BITS (((uint64_t)1 << FETCH_ATTRS) - 1)

/* The tags the rewriter acts on, once the document's head is settled. */
#define REPORTED_TAGS                                                                              \
    (MC_LEX_TAG_BIT(MC_TAG_HTML) | MC_LEX_TAG_BIT(MC_TAG_HEAD) | MC_LEX_TAG_BIT(MC_TAG_BODY) |     \
     MC_LEX_TAG_BIT(MC_TAG_FRAMESET) | MC_LEX_TAG_BIT(MC_TAG_SCRIPT) |                             \
     MC_LEX_TAG_BIT(MC_TAG_IFRAME) | MC_LEX_TAG_BIT(MC_TAG_IMG) | MC_LEX_TAG_BIT(MC_TAG_IMAGE) |   \
     MC_LEX_TAG_BIT(MC_TAG_EMBED) | MC_LEX_TAG_BIT(MC_TAG_OBJECT) | MC_LEX_TAG_BIT(MC_TAG_LINK) |  \
     MC_LEX_TAG_BIT(MC_TAG_STYLE) | MC_LEX_TAG_BIT(MC_TAG_VIDEO) | MC_LEX_TAG_BIT(MC_TAG_AUDIO) |  \
     MC_LEX_TAG_BIT(MC_TAG_SOURCE) | MC_LEX_TAG_BIT(MC_TAG_TRACK) | MC_LEX_TAG_BIT(MC_TAG_INPUT) | \
     MC_LEX_TAG_BIT(MC_TAG_META) | MC_LEX_TAG_BIT(MC_TAG_BASE) | MC_LEX_TAG_BIT(MC_TAG_FRAME) |    \
     MC_LEX_TAG_BIT(MC_TAG_NOSCRIPT) | MC_LEX_TAG_BIT(MC_TAG_USE) |                                \
     MC_LEX_TAG_BIT(MC_TAG_FEIMAGE) | MC_LEX_TAG_BIT(MC_TAG_TEMPLATE) |                            \
     MC_LEX_TAG_BIT(MC_TAG_XMP) | MC_LEX_TAG_BIT(MC_TAG_TEXTAREA) | MC_LEX_TAG_BIT(MC_TAG_TITLE) | \
     MC_LEX_TAG_BIT(MC_TAG_NOEMBED) | MC_LEX_TAG_BIT(MC_TAG_NOFRAMES))

/* Of those, the ones reported only with an attribute named src, http-equiv
 * or data-consent... (mc_lex_t.report_unless), where nothing else is in hand
 * (choose_reported): an <input> fetches only by src, a <meta> only as a
 * refresh. */
#define REPORTED_UNLESS (MC_LEX_TAG_BIT(MC_TAG_INPUT) | MC_LEX_TAG_BIT(MC_TAG_META))

struct mc_html {
    apr_pool_t *pool;
    const mc_html_policy_t *policy;
    mc_html_sink_fn *sink;
    void *baton;
    mc_lex_t lex;
    mc_status_t error; /* the first sink error; it stops the rewriter */
    int ended;
    int depth; /* 0, or how deep inside srcdoc documents this one is */

    /* the chunk being written, and what of the stream has been sent */
    const char *chunk;
    mc_lex_off_t chunk_off;
    mc_lex_off_t out_off;

    /* held bytes: the carry holds [out_off, out_off + carry_len) */
    char *carry;
    size_t carry_len;
    size_t carry_cap;
    hold_t hold;
    mc_lex_off_t hold_from; /* '<' of the held start tag */
    mc_lex_off_t body_from; /* end of a held script's start tag */
    mc_tag_id_t hold_tag;
    int hold_foreign;    /* the held element is an SVG one */
    int hold_in_foreign; /* ... or one read inside <svg> or <math> */
    /* what the held script's event handlers reach (verdict_t's handlers, reload) */
    mc_catmask_t hold_handlers;
    int hold_reload;

    /* the start tag being read */
    mc_tag_id_t tag;
    int tag_html;    /* an HTML element outside <template> */
    int tag_foreign; /* an SVG or MathML element outside <template> */
    int tag_either;  /* ... that may be an HTML one to a browser (mc_lex_uncertain) */

    /* the document */
    doc_kind_t doc;
    int frameset;
    int xml_guard; /* an XML document, for a visitor who refused something */
    int html_seen;
    int banner_called;
    int has_lang;
    char lang[LANG_MAX + 1];
    int base_seen;  /* the first <base href> was read */
    size_t base_len; /* 0: no base to resolve against */
    char *base;      /* BASE_MAX bytes, from the first base read (most pages have none) */

    /* <noscript>: a browser running scripts reads its content as text to
     * the first "</noscript"; one that does not, as markup. Where the two
     * readings part — "</noscript" inside an attribute value, a comment or
     * raw text — the '<' is sent as "&lt;", so both end where the markup
     * reading ends (see ns_send). */
    unsigned ns_depth;
    /* a <template> the rewriter opened waits for the end tag of this
     * element (MC_TAG_OTHER: none), or for the start tag's end */
    mc_tag_id_t close_template;
    const char *close_after_tag; /* "</template>" or "]]>" */
    int ns_scanning; /* output is being watched for "</noscript" */
    int ns_real_end; /* the next "</noscript" sent is a real end tag */
    int ns_stop;     /* ... and the outermost one: stop watching after it */
    unsigned frames_named; /* held frames given a name of the policy's */
    size_t ns_pending_len;
    char ns_pending[NS_END_LEN + 1];
    /* What is watched for: "</noscript", or "</xmp", "</style", ... for a
     * raw-text element the lexer reads as markup because it is uncertain
     * (mc_lex_uncertain): a browser that reads it as HTML has text to the
     * first "</name", one that reads it as SVG or MathML markup. */
    char ns_end[NS_END_LEN + 1];
    size_t ns_end_len;
    mc_tag_id_t raw_watch; /* that element, while it is watched */

    size_t inline_max;
    char *dec;      /* an attribute value with its references decoded */
    char *resolved; /* a URL resolved against the base */
    char *main_url; /* the element's URL, for the placeholder */
    size_t main_url_len;
    /* The catalogue service of what the element being judged reaches: the
     * service of the last classification, until refused_mask takes it; then
     * the element's one service (SVC_ONE), or none/several (SVC_NONE,
     * SVC_MIXED: no data-consent-service). */
    const char *last_service;
    enum { SVC_NONE = 0, SVC_ONE, SVC_MIXED } svc_state;
    unsigned svc_notes; /* refusals noted: one reached without a note mixes */
    char service[MC_SERVICE_ID_MAX + 1];
    char *css_scratch;
    char *sheet_text; /* an SVG <style>'s text, references decoded; made on first use */
    char *carried;    /* the document a data: or javascript: URL carries; made on first use */
    /* per level of sheets imported as data: URLs, their text and the
     * scratch their references are decoded into; made on first use */
    char *imported[CSS_IMPORT_DEPTH_MAX];
    char *css_out; /* a neutralised style attribute or sheet, made on first use */
    size_t css_out_cap;
    size_t css_out_len;
    /* An HTML <style> too long to hold streams through SHEET (made on first
     * use) from its cap to its end tag. */
    mc_css_stream_t *sheet;
    int sheet_on;
    int sheet_blind;            /* it outgrew the stream: the rest goes in a template */
    mc_catmask_t sheet_refused; /* what the stream disarmed */
    mc_catmask_t sheet_marker;  /* to mark after its end tag */
    /* A start tag no rule reports that outgrew MC_HTML_TAG_MAX, walked as
     * it streams (see "start tags too long to hold") */
    int long_on;
    mc_lex_stream_t long_walk;
    mc_lex_off_t long_from;  /* its '<' (the last such tag's, once it ended) */
    mc_lex_off_t oversized_from; /* the '<' of the last held start tag that outgrew the cap */
    mc_lex_off_t long_at;    /* walked up to here */
    mc_lex_off_t long_judge_from; /* attributes before are settled */
    mc_tag_id_t long_tag;
    char long_name[MC_LEX_NAME_MAX + 1]; /* its name, lower case (the first bytes of a long one) */
    int long_marked;         /* data-consent is written in it */
    mc_lex_off_t long_known; /* the open attribute's name offset + 1, once judged by name */
    int long_fetches;        /* ... whether that name may fetch */
    int long_renamed;        /* ... renamed unread */
    char *long_buf;          /* two LONG_BUF: carried bytes walked, a tag judged; made on first use */
    char *out;
    size_t out_len;
    mc_html_stats_t stats;
};

/* One element the rewriter acts on, read from its start tag. */
typedef struct attr_slot {
    int quote;
    size_t value;
    size_t value_len;
} attr_slot_t;

/* A start tag's attributes, in order, as a rewrite keeps or drops them:
 * up to this many are remembered from the reading; a tag with more is
 * walked again to be written. */
#define ELEMENT_ATTRS_SEEN 32

typedef struct attr_seen {
    size_t raw, name, raw_end; /* mc_lex_attr_t's */
    int id; /* attr_id_t, SEEN_HANDLER, or -1 for a name the rewriter does not read */
} attr_seen_t;

/* attr_seen_t's id of an event handler ("onload", "onclick", ...), and its
 * bit in a write's drop mask: renamed data-consent-on..., not dropped. */
#define SEEN_HANDLER ((int)A_COUNT)
_Static_assert(A_COUNT < 64, "the attribute ids and SEEN_HANDLER are bits of one word");

typedef struct element {
    mc_tag_id_t tag;
    int foreign; /* an SVG element (image, script, use, feImage) */
    const char *bytes;
    size_t len;
    mc_lex_tag_shape_t shape;
    attr_id_t url_attr; /* src, href, xlink:href or data */
    /* BIT(a) for each attribute A the tag has; only those slots are set.
     * One word to clear rather than a slot each: an element is read for
     * every tag the rewriter acts on. */
    uint64_t set;
    attr_slot_t attrs[A_COUNT]; /* the first of each name: a browser ignores the rest */
    unsigned n_seen; /* attributes in SEEN; more than ELEMENT_ATTRS_SEEN: not all there */
    attr_seen_t seen[ELEMENT_ATTRS_SEEN];
    unsigned handlers; /* event-handler attributes */
} element_t;

/* What is to be done to an element, and why. */
typedef struct verdict {
    mc_catmask_t refused; /* the categories it would reach, not granted */
    uint64_t attrs;       /* the fetching attributes to neutralise (BIT(A_...)) */
    /* the categories its event handlers would reach (their scripts name a
     * tracker): every handler is renamed data-consent-on...; ONLY_HANDLERS:
     * nothing else of it is held (a script still runs); RELOAD: one may
     * have fired before consent.js could put it back (onload, onerror, ...),
     * so the page loads anew once they are granted */
    mc_catmask_t handlers;
    int only_handlers;
    int reload;
    /* an SVG animation sets a value that reaches a refused category: its
     * attributeName is renamed (it animates nothing), reload */
    int animation;
} verdict_t;

/* ACT_RENAME: a frame the author keeps inert, not granted: only its name
 * changes (write_frame_name). */
typedef enum action {
    ACT_NONE = 0,
    ACT_NEUTRALISE,
    ACT_RESTORE,
    ACT_RENAME,
    ACT_WAIT_BODY
} action_t;

/* --- bytes --------------------------------------------------------------------------- */

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

static void trim(const char **s, size_t *n)
{
    while (*n > 0 && is_space(**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && is_space((*s)[*n - 1]))
        (*n)--;
}

static char ascii_lower(char c)
{
    return (char)((c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c);
}

/* S[0..N) equals the lower-case LIT[0..N), in any ASCII case. */
static int prefix_equals_ci(const char *s, const char *lit, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (ascii_lower(s[i]) != lit[i])
            return 0;
    }
    return 1;
}

static int equals_ci(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && prefix_equals_ci(s, lit, n);
}

static size_t min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

/* --- output ---------------------------------------------------------------------------- */

static void sink_raw(mc_html_t *h, mc_html_out_t kind, const char *data, size_t len)
{
    if (h->error == MC_OK && len > 0)
        h->error = h->sink(h->baton, kind, data, len);
}

/* Is P[0..N) "</noscript" and a byte that ends a tag name? 1 yes, 0 no,
 * -1 not known yet: N is too short and what there is matches. */
static int ns_end_at(const mc_html_t *h, const char *p, size_t n)
{
    size_t len = h->ns_end_len;

    for (size_t i = 0; i < len; i++) {
        if (i >= n)
            return -1;
        if (ascii_lower(p[i]) != h->ns_end[i])
            return 0;
    }
    if (n == len)
        return -1;
    return is_space(p[len]) || p[len] == '/' || p[len] == '>';
}

/* Sends the '<' of a possible "</noscript" (MATCH as ns_end_at says). */
static void ns_send_lt(mc_html_t *h, int match)
{
    if (match == 1 && !h->ns_real_end) {
        sink_raw(h, MC_HTML_OUT_NEW, "&lt;", 4);
        h->stats.noscript_escaped++;
        return;
    }
    sink_raw(h, MC_HTML_OUT_NEW, "<", 1);
    if (match == 1) {
        h->ns_real_end = 0;
        if (h->ns_stop) {
            h->ns_stop = 0;
            h->ns_scanning = 0;
        }
    }
}

/* Decides the match left pending at the end of the last piece with the
 * bytes that follow it. 0 when they are still too few (they join it). */
static int ns_pending_done(mc_html_t *h, const char *data, size_t len)
{
    char buf[2 * NS_END_LEN + 2];
    size_t plen = h->ns_pending_len;
    size_t take = min_size(len, NS_END_LEN + 1);
    int match;

    memcpy(buf, h->ns_pending, plen);
    memcpy(buf + plen, data, take);
    match = ns_end_at(h, buf, plen + take);
    if (match < 0) { /* then take == len, and plen + len <= NS_END_LEN */
        memcpy(h->ns_pending + plen, data, len);
        h->ns_pending_len += len;
        return 0;
    }
    h->ns_pending_len = 0;
    ns_send_lt(h, match);
    sink_raw(h, MC_HTML_OUT_NEW, buf + 1, plen - 1);
    return 1;
}

/* Sends DATA, with every "</noscript" in it that is not the real end of
 * the <noscript> being read escaped. A possible one cut by the end of DATA
 * waits in ns_pending for the next bytes. */
static void ns_send(mc_html_t *h, mc_html_out_t kind, const char *data, size_t len)
{
    const char *from = data, *end = data + len;

    if (h->ns_pending_len > 0 && !ns_pending_done(h, data, len))
        return;
    while (h->ns_scanning && from < end) {
        const char *lt = memchr(from, '<', (size_t)(end - from));
        int match;

        if (!lt)
            break;
        match = ns_end_at(h, lt, (size_t)(end - lt));
        sink_raw(h, kind, from, (size_t)(lt - from));
        if (match < 0) {
            h->ns_pending_len = (size_t)(end - lt);
            memcpy(h->ns_pending, lt, h->ns_pending_len);
            return;
        }
        ns_send_lt(h, match);
        from = lt + 1;
    }
    sink_raw(h, kind, from, (size_t)(end - from));
}

static void sink_send(mc_html_t *h, mc_html_out_t kind, const char *data, size_t len)
{
    if (h->ns_scanning || h->ns_pending_len > 0)
        ns_send(h, kind, data, len);
    else
        sink_raw(h, kind, data, len);
}

static void out_flush(mc_html_t *h)
{
    sink_send(h, MC_HTML_OUT_NEW, h->out, h->out_len);
    h->out_len = 0;
}

/* out_put's way for what does not fit in the buffer's room: in pieces,
 * sending each full buffer. */
static void out_put_pieces(mc_html_t *h, const char *s, size_t n)
{
    while (n > 0) {
        size_t take;

        if (h->out_len == OUT_BUFFER)
            out_flush(h);
        take = min_size(n, OUT_BUFFER - h->out_len);
        memcpy(h->out + h->out_len, s, take);
        h->out_len += take;
        s += take;
        n -= take;
    }
}

/* Appends to the rewritten markup being gathered. Most pieces are a few
 * bytes (a name, a quote): they go straight in. */
static void out_put(mc_html_t *h, const char *s, size_t n)
{
    if (n <= OUT_BUFFER - h->out_len) {
        memcpy(h->out + h->out_len, s, n);
        h->out_len += n;
        return;
    }
    out_put_pieces(h, s, n);
}

static void out_str(mc_html_t *h, const char *s)
{
    out_put(h, s, strlen(s));
}

/* Appends S as the inside of a double-quoted attribute value. */
static void out_attr_text(mc_html_t *h, const char *s, size_t n)
{
    size_t from = 0;

    for (size_t i = 0; i < n; i++) {
        const char *ref = s[i] == '&' ? "&amp;" : s[i] == '"' ? "&quot;" : NULL;

        if (!ref)
            continue;
        out_put(h, s + from, i - from);
        out_str(h, ref);
        from = i + 1;
    }
    out_put(h, s + from, n - from);
}

/* Sends bytes as they are, after whatever was gathered before them. A
 * short span of the input between two pieces of rewritten markup (the
 * newline between two neutralised scripts) joins them: one piece for the
 * sink rather than three. */
static void send_span(mc_html_t *h, mc_html_out_t kind, const char *data, size_t len)
{
    if (kind == MC_HTML_OUT_INPUT && h->out_len > 0 && len <= SPAN_JOINED_MAX) {
        out_put(h, data, len);
        return;
    }
    out_flush(h);
    sink_send(h, kind, data, len);
}

/* --- the stream: sent, held and pending bytes ----------------------------------------- */

static mc_lex_off_t carry_end(const mc_html_t *h)
{
    return h->out_off + h->carry_len;
}

/* Forgets the first N bytes of the carry (sent or replaced). */
static void carry_drop(mc_html_t *h, size_t n)
{
    if (n < h->carry_len)
        memmove(h->carry, h->carry + n, h->carry_len - n);
    h->carry_len -= n;
    h->out_off += n;
}

/* Sends every byte before OFF not sent yet: the carry's first, then the
 * chunk's as an INPUT span. */
static void emit_until(mc_html_t *h, mc_lex_off_t off)
{
    if (off <= h->out_off)
        return;
    if (h->carry_len > 0) {
        size_t n = (size_t)((off < carry_end(h) ? off : carry_end(h)) - h->out_off);

        send_span(h, MC_HTML_OUT_NEW, h->carry, n);
        carry_drop(h, n);
        if (h->carry_len > 0)
            return;
    }
    if (off > h->out_off) { /* the carry is empty: the rest is in the chunk */
        send_span(h, MC_HTML_OUT_INPUT, h->chunk + (h->out_off - h->chunk_off),
                  (size_t)(off - h->out_off));
        h->out_off = off;
    }
}

/* Marks the bytes before OFF as done without sending them: they were
 * replaced by rewritten markup. */
static void drop_until(mc_html_t *h, mc_lex_off_t off)
{
    if (h->carry_len > 0)
        carry_drop(h, (size_t)((off < carry_end(h) ? off : carry_end(h)) - h->out_off));
    h->out_off = off;
}

/* Copies the chunk's bytes up to TO into the carry, behind what it holds. */
static void carry_absorb(mc_html_t *h, mc_lex_off_t to)
{
    mc_lex_off_t from = carry_end(h);
    size_t n = (size_t)(to - from);

    if (to <= from)
        return;
    if (h->carry_len + n > h->carry_cap) {
        /* the caps checked before every hold make this unreachable */
        h->error = MC_ELIMIT;
        return;
    }
    memcpy(h->carry + h->carry_len, h->chunk + (from - h->chunk_off), n);
    h->carry_len += n;
}

/* The bytes [FROM, TO) in one piece: in the chunk, or gathered in the carry
 * when they began in an earlier chunk. Nothing before FROM may be unsent. */
static const char *contiguous(mc_html_t *h, mc_lex_off_t from, mc_lex_off_t to)
{
    if (h->carry_len == 0 || from >= carry_end(h))
        return h->chunk + (from - h->chunk_off);
    carry_absorb(h, to);
    return h->carry + (from - h->out_off);
}

/* --- injection ------------------------------------------------------------------------ */

static int injecting(const mc_html_t *h)
{
    return h->policy->inject && h->doc == DOC_FULL && !h->frameset;
}

static void inject_head(mc_html_t *h, mc_lex_off_t at)
{
    emit_until(h, at);
    if (h->policy->head_html)
        send_span(h, MC_HTML_OUT_NEW, h->policy->head_html, h->policy->head_len);
    h->stats.head_injected = 1;
}

static void inject_banner(mc_html_t *h, mc_lex_off_t at)
{
    const char *markup = NULL;
    size_t len = 0;

    emit_until(h, at);
    h->banner_called = 1;
    if (h->policy->banner)
        markup = h->policy->banner(h->policy->banner_baton, h->has_lang ? h->lang : NULL, &len);
    if (markup && len > 0) {
        send_span(h, MC_HTML_OUT_NEW, markup, len);
        h->stats.banner_injected = 1;
    }
}

/* --- attributes ---------------------------------------------------------------------- */

static int attr_lookup(const char *name, size_t len)
{
    unsigned slot;
    int a;

    if (len < 2) /* every name read is longer */
        return -1;
    slot = ATTR_SLOT((unsigned char)ascii_lower(name[0]), (unsigned char)ascii_lower(name[len - 2]),
                     len >= 4 ? (unsigned char)ascii_lower(name[len - 4]) : 0, len);
    a = (int)attr_slots[slot] - 1;
    if (a < 0 || attr_names[a].len != len || !prefix_equals_ci(name, attr_names[a].name, len))
        return -1;
    return a;
}

/* An event handler's name: "on" and more (html_lex.c reads it the same way). */
static int handler_name(const char *name, size_t len)
{
    return len > 2 && ascii_lower(name[0]) == 'o' && ascii_lower(name[1]) == 'n';
}

static void collect_attr(void *baton, const char *tag, const mc_lex_attr_t *attr)
{
    element_t *el = baton;
    int id = attr_lookup(tag + attr->name, attr->name_len);

    if (id < 0 && handler_name(tag + attr->name, attr->name_len)) {
        id = SEEN_HANDLER;
        el->handlers++;
    }
    if (el->n_seen < ELEMENT_ATTRS_SEEN)
        el->seen[el->n_seen] = (attr_seen_t){attr->raw, attr->name, attr->raw_end, id};
    el->n_seen++;
    if (id == SEEN_HANDLER)
        return;
    if (id < 0 || (el->set & BIT(id)))
        return;
    el->set |= BIT(id);
    el->attrs[id] = (attr_slot_t){attr->quote, attr->value, attr->value_len};
}

static int has(const element_t *el, attr_id_t a)
{
    return (el->set & BIT(a)) != 0;
}

/* An element with no attribute read yet. */
static void element_init(element_t *el, mc_tag_id_t tag, int foreign, const char *bytes,
                         size_t len)
{
    el->tag = tag;
    el->foreign = foreign;
    el->bytes = bytes;
    el->len = len;
    memset(&el->shape, 0, sizeof(el->shape));
    el->url_attr = A_SRC;
    el->set = 0;
    el->n_seen = 0;
    el->handlers = 0;
}

static attr_id_t url_attr_of(const element_t *el)
{
    if (el->foreign) /* SVG 2 reads href first */
        return has(el, A_HREF) || !has(el, A_XLINK_HREF) ? A_HREF : A_XLINK_HREF;
    switch (el->tag) {
    case MC_TAG_OBJECT: return A_DATA;
    case MC_TAG_LINK:
    case MC_TAG_BASE: return A_HREF;
    default: return A_SRC;
    }
}

/* Reads a complete start tag. 0 when its bytes are not one. LX: the
 * lexer that has just read it, from FROM, and may have kept its parts
 * (then they are not read again); NULL: it is read here. */
static int element_read_kept(element_t *el, mc_tag_id_t tag, int foreign, const char *bytes,
                             size_t len, const mc_lex_t *lx, mc_lex_off_t from)
{
    element_init(el, tag == MC_TAG_IMAGE && !foreign ? MC_TAG_IMG : tag, foreign, bytes, len);
    if (!(lx && mc_lex_tag_recorded(lx, from, bytes, len, collect_attr, el, &el->shape)) &&
        !mc_lex_tag_walk(bytes, len, collect_attr, el, &el->shape))
        return 0;
    el->url_attr = url_attr_of(el);
    return 1;
}

static int element_read(element_t *el, mc_tag_id_t tag, int foreign, const char *bytes, size_t len)
{
    return element_read_kept(el, tag, foreign, bytes, len, NULL, 0);
}

/* The value of attribute A as written, trimmed of ASCII whitespace. */
static const char *value_of(const element_t *el, attr_id_t a, size_t *len)
{
    const char *v = el->bytes;

    *len = 0;
    if (!has(el, a)) /* "" for an attribute it does not have */
        return v;
    v += el->attrs[a].value;
    *len = el->attrs[a].value_len;
    trim(&v, len);
    return v;
}

/* The value of attribute A as the browser reads it: character references
 * decoded. Points into h->dec, or into the tag when there are none. */
static const char *value_decoded(mc_html_t *h, const element_t *el, attr_id_t a, size_t *len)
{
    const char *v = el->bytes + (has(el, a) ? el->attrs[a].value : 0);
    size_t n = has(el, a) ? el->attrs[a].value_len : 0;

    if (mc_charref_none(v, n) || mc_charref_decode(v, n, 1, h->dec, DECODED_MAX, len) != MC_OK) {
        *len = n;
        return v;
    }
    return h->dec;
}

static int applies_src(mc_tag_id_t tag)
{
    switch (tag) {
    case MC_TAG_SCRIPT:
    case MC_TAG_IFRAME:
    case MC_TAG_FRAME:
    case MC_TAG_IMG:
    case MC_TAG_EMBED:
    case MC_TAG_VIDEO:
    case MC_TAG_AUDIO:
    case MC_TAG_SOURCE:
    case MC_TAG_TRACK:
    case MC_TAG_INPUT: return 1;
    default: return 0;
    }
}

/* Whether attribute A makes element EL fetch. */
static int fetches(const element_t *el, attr_id_t a)
{
    mc_tag_id_t t = el->tag;

    if (a >= A_FILL && a <= A_MARKER_END) /* SVG presentation attributes: url() */
        return 1;
    if (el->foreign) /* image, script, use, feImage, style */
        return (a == A_HREF || a == A_XLINK_HREF) ? a == el->url_attr : a == A_STYLE;
    switch (a) {
    case A_SRC: return applies_src(t);
    case A_HREF: return t == MC_TAG_LINK || t == MC_TAG_BASE;
    case A_DATA: return t == MC_TAG_OBJECT;
    case A_SRCSET: return t == MC_TAG_IMG || t == MC_TAG_SOURCE;
    case A_IMAGESRCSET: return t == MC_TAG_LINK;
    case A_POSTER: return t == MC_TAG_VIDEO;
    case A_SRCDOC: return t == MC_TAG_IFRAME;
    case A_CONTENT: return t == MC_TAG_META;
    case A_BACKGROUND: /* body, table and its cells: and any other a browser may add */
    case A_PING:       /* a, area */
        return 1;
    case A_STYLE: /* never rendered, and their bodies must still be judged */
        return t != MC_TAG_SCRIPT && t != MC_TAG_STYLE;
    default: return 0;
    }
}

/* --- classifying --------------------------------------------------------------------- */

/* The type values a browser runs as JavaScript; anything else (JSON-LD,
 * importmap, speculationrules, text/template, "text/javascript;
 * charset=utf-8") it does not run. */
static int javascript_type(const char *t, size_t n)
{
    static const char *const types[] = {"module",
                                        "text/javascript",
                                        "application/javascript",
                                        "text/ecmascript",
                                        "application/ecmascript",
                                        "application/x-ecmascript",
                                        "application/x-javascript",
                                        "text/javascript1.0",
                                        "text/javascript1.1",
                                        "text/javascript1.2",
                                        "text/javascript1.3",
                                        "text/javascript1.4",
                                        "text/javascript1.5",
                                        "text/jscript",
                                        "text/livescript",
                                        "text/x-ecmascript",
                                        "text/x-javascript"};

    if (n == 0)
        return 1;
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if (equals_ci(t, n, types[i]))
            return 1;
    }
    return 0;
}

static int script_runs(const element_t *el)
{
    size_t n;
    const char *t;

    if (!has(el, A_TYPE))
        return 1;
    t = value_of(el, A_TYPE, &n);
    return javascript_type(t, n);
}

/* A <script> (HTML or SVG) or an HTML <style>: held whole by type="text/plain". */
static int typed(const element_t *el)
{
    return el->tag == MC_TAG_SCRIPT || (el->tag == MC_TAG_STYLE && !el->foreign);
}

static int script_plain(const element_t *el)
{
    size_t n;
    const char *t;

    if (!has(el, A_TYPE))
        return 0;
    t = value_of(el, A_TYPE, &n);
    return equals_ci(t, n, "text/plain");
}

/* A script whose body is a list of URLs the browser fetches from: an
 * import map (a module may import a name it maps to a tracker) or
 * speculation rules (prefetch, prerender). */
static int script_lists_urls(const element_t *el)
{
    size_t n;
    const char *t;

    if (!has(el, A_TYPE))
        return 0;
    t = value_of(el, A_TYPE, &n);
    return equals_ci(t, n, "importmap") || equals_ci(t, n, "speculationrules");
}

/* A <style> a browser applies: no type, an empty one or text/css. */
static int style_applies(const element_t *el)
{
    size_t n;
    const char *t;

    if (!has(el, A_TYPE))
        return 1;
    t = value_of(el, A_TYPE, &n);
    return n == 0 || equals_ci(t, n, "text/css");
}

static int service_granted(const mc_html_t *h, const char *id, size_t len)
{
    const apr_array_header_t *ids = h->policy->services;

    for (int i = 0; id && ids && i < ids->nelts; i++) {
        const char *g = APR_ARRAY_IDX(ids, i, const char *);

        if (strlen(g) == len && memcmp(g, id, len) == 0)
            return 1;
    }
    return 0;
}

/* What a granted service's rule classifies passes, as if unclassified: its
 * category stays refused for everything else. */
static int classify(mc_html_t *h, mc_rule_kind_t kind, const char *subject, size_t len)
{
    const char *service = NULL;
    int cat;

    h->last_service = NULL;
    if (!h->policy->classify || !h->policy->cats)
        return -1;
    cat = h->policy->classify(h->policy->classify_baton, kind, subject, len, &service);
    if (cat >= 0 && service && service_granted(h, service, strlen(service)))
        return -1;
    h->last_service = service;
    return cat;
}

/* A category the visitor has not granted, that can be named in markup. */
static int refused(const mc_html_t *h, int cat)
{
    return cat >= 0 && h->policy->cats && !mc_catmask_has(h->policy->granted, cat) &&
           mc_categories_name(h->policy->cats, cat) != NULL;
}

/* Starts judging an element: no service seen yet. */
static void service_reset(mc_html_t *h)
{
    h->last_service = NULL;
    h->svc_state = SVC_NONE;
    h->svc_notes = 0;
}

/* Notes the service of one refusal (NULL: none, e.g. an admin's own rule). */
static void service_note(mc_html_t *h, const char *id)
{
    size_t n = id ? strlen(id) : 0;

    h->svc_notes++;
    if (h->svc_state == SVC_MIXED)
        return;
    if (n > 0 && n <= MC_SERVICE_ID_MAX && h->svc_state == SVC_NONE) {
        memcpy(h->service, id, n + 1);
        h->svc_state = SVC_ONE;
    } else if (n == 0 || n > MC_SERVICE_ID_MAX || strcmp(h->service, id) != 0) {
        h->svc_state = SVC_MIXED; /* none, or another one than before */
    }
}

/* CAT's bit when it is refused (taking the service of the classification
 * that gave CAT, if any), else 0. */
static mc_catmask_t refused_mask(mc_html_t *h, int cat)
{
    const char *service = h->last_service;

    h->last_service = NULL;
    if (cat < 0 || cat >= MC_MAX_CATEGORIES || !refused(h, cat))
        return 0;
    service_note(h, service);
    return (mc_catmask_t)1 << cat;
}

/* A URL as the browser will fetch it: trimmed, resolved against the
 * document's base. Points into h->resolved or into V. */
static const char *url_resolved(mc_html_t *h, const char *v, size_t n, size_t *len)
{
    size_t r;

    trim(&v, &n);
    *len = n;
    if (h->base_len == 0 || n == 0)
        return v;
    /* resolution first: "https:x" under an https base is a path, not a host */
    r = mc_url_resolve(h->base, h->base_len, v, n, h->resolved, RESOLVED_MAX);
    if (r == 0)
        return v;
    *len = r;
    return h->resolved;
}

/* The category of one URL (decoded), or -1. */
static int url_category(mc_html_t *h, const char *v, size_t n)
{
    size_t len;
    const char *url = url_resolved(h, v, n, &len);

    return len > 0 ? classify(h, MC_RULE_URL, url, len) : -1;
}

/* The refused categories among srcset candidates ("a.png 1x, b.png 2x"). */
static mc_catmask_t srcset_refused(mc_html_t *h, const char *v, size_t n)
{
    mc_catmask_t mask = 0;
    size_t i = 0;

    while (i < n) {
        size_t start, url_end;

        while (i < n && (is_space(v[i]) || v[i] == ','))
            i++;
        start = i;
        while (i < n && !is_space(v[i]))
            i++;
        url_end = i;
        /* a candidate's URL may end with the comma that separates it */
        while (url_end > start && v[url_end - 1] == ',')
            url_end--;
        if (url_end > start)
            mask |= refused_mask(h, url_category(h, v + start, url_end - start));
        /* the descriptors, to the comma (one inside parentheses does not end them) */
        for (int paren = 0; i < n && (paren || v[i] != ','); i++) {
            if (v[i] == '(')
                paren = 1;
            else if (v[i] == ')')
                paren = 0;
        }
    }
    return mask;
}

/* The refused categories among URLs apart by whitespace (ping). */
static mc_catmask_t urls_refused(mc_html_t *h, const char *v, size_t n)
{
    mc_catmask_t mask = 0;
    size_t i = 0;

    while (i < n) {
        size_t start;

        while (i < n && is_space(v[i]))
            i++;
        start = i;
        while (i < n && !is_space(v[i]))
            i++;
        if (i > start)
            mask |= refused_mask(h, url_category(h, v + start, i - start));
    }
    return mask;
}

/* The URL of a refresh ("5; url='x'", "0,x"), as the HTML standard's
 * shared declarative refresh steps read it; NULL for none. */
static const char *refresh_url(const char *v, size_t n, size_t *len)
{
    size_t i = 0;

    while (i < n && is_space(v[i]))
        i++;
    while (i < n && ((v[i] >= '0' && v[i] <= '9') || v[i] == '.'))
        i++;
    while (i < n && is_space(v[i]))
        i++;
    if (i < n && (v[i] == ';' || v[i] == ','))
        i++;
    while (i < n && is_space(v[i]))
        i++;
    if (i >= n)
        return NULL;
    if (n - i >= 3 && prefix_equals_ci(v + i, "url", 3)) {
        size_t j = i + 3;

        while (j < n && is_space(v[j]))
            j++;
        if (j < n && v[j] == '=') {
            i = j + 1;
            while (i < n && is_space(v[i]))
                i++;
        }
    }
    if (i < n && (v[i] == '"' || v[i] == '\'')) {
        const char *q = memchr(v + i + 1, v[i], n - i - 1);

        *len = q ? (size_t)(q - (v + i + 1)) : n - i - 1;
        return v + i + 1;
    }
    *len = n - i;
    return v + i;
}

typedef struct css_judge {
    mc_html_t *h;
    mc_catmask_t refused;
    int depth; /* of sheets imported as data: URLs around these references */
} css_judge_t;

/* The document a data: URL carries, as a browser may read it. */
typedef struct carried {
    size_t len;     /* percent-decoded */
    int alt;        /* a parameter says base64: ALT holds that decoding too */
    size_t alt_len;
    int unreadable; /* a byte order mark or a charset not ASCII's: other characters */
} carried_t;

static int data_url_read(const char *u, size_t n, char *out, char *alt, carried_t *c);
static mc_catmask_t imported_refused(mc_html_t *h, const mc_css_ref_t *ref, int depth);

static mc_catmask_t refused_all(mc_html_t *h);

static int css_ref_kept(void *baton, const mc_css_ref_t *ref)
{
    css_judge_t *j = baton;
    mc_catmask_t m;

    if (ref->kind == MC_CSS_IMPORT && ref->data) { /* a sheet, whose references count */
        m = imported_refused(j->h, ref, j->depth);
        j->refused |= m;
        return m == 0;
    }
    if (!ref->url) { /* too long to read: unless it is data, it could reach anything */
        if (!ref->data)
            j->refused |= refused_all(j->h);
        return ref->data;
    }
    m = refused_mask(j->h, url_category(j->h, ref->url, ref->url_len));
    j->refused |= m;
    return m == 0;
}

static int css_ref_seen(void *baton, const mc_css_ref_t *ref)
{
    css_ref_kept(baton, ref);
    return 0;
}

/* The refused categories a sheet imported as a data: URL (REF, at DEPTH)
 * reaches: its own references, judged as the importing sheet's are (in each
 * way a browser may read it). One too long to decode, too deep, or in
 * characters these bytes are not, reaches every refused category. */
static mc_catmask_t imported_refused(mc_html_t *h, const mc_css_ref_t *ref, int depth)
{
    css_judge_t judge = {h, 0, depth + 1};
    char *text, *alt, *scratch;
    carried_t c;

    if (!ref->url || depth >= CSS_IMPORT_DEPTH_MAX)
        return refused_all(h);
    if (!h->imported[depth])
        h->imported[depth] = apr_palloc(h->pool, 3 * DECODED_MAX);
    text = h->imported[depth];
    alt = text + DECODED_MAX;
    scratch = alt + DECODED_MAX;
    /* a decoded URL fits DECODED_MAX, and its payload is no longer */
    if (!data_url_read(ref->url, ref->url_len, text, alt, &c) || c.unreadable)
        return refused_all(h);
    mc_css_scan(text, c.len, scratch, DECODED_MAX, css_ref_seen, &judge);
    if (c.alt)
        mc_css_scan(alt, c.alt_len, scratch, DECODED_MAX, css_ref_seen, &judge);
    return judge.refused;
}

static void css_out_reserve(mc_html_t *h, size_t need)
{
    if (h->css_out_cap >= need)
        return;
    h->css_out = apr_palloc(h->pool, need);
    h->css_out_cap = need;
}

/* The refused categories CSS reaches; when there are any, h->css_out
 * holds the CSS with those URLs made inert. */
static mc_catmask_t css_refused(mc_html_t *h, const char *css, size_t n)
{
    css_judge_t judge = {h, 0, 0};
    size_t cap;

    if (!memchr(css, '(', n) && !memchr(css, '@', n) && !memchr(css, '\\', n) &&
        !memchr(css, '"', n) && !memchr(css, '\'', n))
        return 0; /* no url(), @import, escape or string: nothing that fetches */
    mc_css_scan(css, n, h->css_scratch, DECODED_MAX, css_ref_seen, &judge);
    if (!judge.refused)
        return 0;
    /* at most one reference in every five bytes ("url()") */
    cap = n + 16 * (n / 5 + 1);
    css_out_reserve(h, cap);
    judge.refused = 0;
    if (mc_css_neutralise(css, n, h->css_scratch, DECODED_MAX, css_ref_kept, &judge, h->css_out,
                          cap, &h->css_out_len) != MC_OK)
        h->css_out_len = 0;
    return judge.refused;
}

static mc_status_t discard(void *baton, mc_html_out_t kind, const char *data, size_t len)
{
    (void)baton;
    (void)kind;
    (void)data;
    (void)len;
    return MC_OK;
}

/* The refused categories an <iframe srcdoc> document reaches: it is
 * rewritten by the same rules, and what that would neutralise counts. */
static mc_catmask_t srcdoc_refused(mc_html_t *h, const char *doc, size_t n)
{
    mc_html_policy_t policy = *h->policy;
    apr_pool_t *sub;
    mc_html_t *inner;
    mc_catmask_t mask = 0;

    if (!memchr(doc, '<', n))
        return 0;
    /* deeper than that is no page's doing: it waits for every category */
    if (h->depth >= SRCDOC_DEPTH_MAX) {
        for (int c = 0; c < MC_MAX_CATEGORIES; c++)
            mask |= refused_mask(h, c);
        return mask;
    }
    if (apr_pool_create(&sub, h->pool) != APR_SUCCESS)
        return 0;
    policy.inject = 0;
    policy.head_html = NULL;
    policy.banner = NULL;
    policy.placeholder = NULL;
    inner = mc_html_create(sub, &policy, discard, NULL);
    inner->depth = h->depth + 1;
    inner->base_len = h->base_len; /* a srcdoc document takes its parent's base */
    inner->base = h->base;         /* read only: a srcdoc's own base is its own copy */
    if (mc_html_write(inner, doc, n) == MC_OK && mc_html_end(inner) == MC_OK)
        mask = inner->stats.refused;
    /* what failed closed in it fails closed here */
    h->stats.unreadable += inner->stats.unreadable;
    apr_pool_destroy(sub);
    return mask;
}

static mc_catmask_t script_hosts_refused(mc_html_t *h, const char *s, size_t n);

/* --- URLs that carry their document: data: and javascript: --------------------------- */

/* Percent-decodes S[0..N) into OUT (at most N bytes); then, when BASE64,
 * decodes that as forgiving-base64 does (whitespace skipped, '=' ends it).
 * Returns the length. */
static size_t data_payload(const char *s, size_t n, int base64, char *out)
{
    size_t len = 0, b = 0;
    unsigned acc = 0;
    int bits = 0;

    for (size_t i = 0; i < n; i++) {
        int hi, lo;

        if (s[i] == '%' && i + 2 < n && (hi = mc_ascii_hex_value(s[i + 1])) >= 0 &&
            (lo = mc_ascii_hex_value(s[i + 2])) >= 0) {
            out[len++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[len++] = s[i];
        }
    }
    if (!base64)
        return len;
    for (size_t i = 0; i < len && out[i] != '='; i++) {
        int v = mc_base64_value(out[i]);

        if (v < 0)
            continue;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[b++] = (char)((acc >> bits) & 0xff);
        }
    }
    return b;
}

static int starts_ci(const char *s, size_t n, const char *lit)
{
    size_t k = strlen(lit);

    return n >= k && prefix_equals_ci(s, lit, k);
}

/* Whether the parameter P[0..N) of a data: URL (between ';'s) is NAME,
 * spaces around it aside, ASCII case-insensitively. */
static int data_param_is(const char *p, size_t n, const char *name)
{
    trim(&p, &n);
    return equals_ci(p, n, name);
}

/* Whether CHARSET (a data: URL's charset= value) is read as ASCII reads
 * its bytes, where a sheet's or a page's markup lives. */
static int ascii_charset(const char *v, size_t n)
{
    static const char *const known[] = {"utf-8", "utf8", "us-ascii", "ascii", "latin1",
                                        "iso-8859-1", "iso-8859-15", "windows-1252"};

    trim(&v, &n);
    if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
        v++;
        n -= 2;
    }
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        if (equals_ci(v, n, known[i]))
            return 1;
    }
    return 0;
}

/* Reads the document the data: URL U[0..N) carries: its fragment set aside
 * (a browser does), percent-decoded into OUT; when a parameter says base64
 * — Chromium takes one anywhere among them, the Fetch standard only the
 * last: both readings are judged — also base64-decoded into ALT. OUT and
 * ALT hold at least N bytes. 0 when it is no data: URL with a comma. */
static int data_url_read(const char *u, size_t n, char *out, char *alt, carried_t *c)
{
    const char *hash, *comma, *p;

    memset(c, 0, sizeof(*c));
    if (!starts_ci(u, n, "data:"))
        return 0;
    if ((hash = memchr(u, '#', n)) != NULL)
        n = (size_t)(hash - u);
    if (!(comma = memchr(u, ',', n)))
        return 0;
    for (p = u + 5; p < comma;) {
        const char *semi = memchr(p, ';', (size_t)(comma - p));
        const char *end = semi ? semi : comma;
        size_t len = (size_t)(end - p);

        if (p > u + 5 && data_param_is(p, len, "base64"))
            c->alt = 1;
        if (p > u + 5 && len > 8 && prefix_equals_ci(p + strspn(p, " "), "charset=", 8) &&
            !ascii_charset(p + strspn(p, " ") + 8, len - strspn(p, " ") - 8))
            c->unreadable = 1;
        p = semi ? semi + 1 : comma;
    }
    c->len = data_payload(comma + 1, n - (size_t)(comma + 1 - u), 0, out);
    if (c->alt)
        c->alt_len = data_payload(comma + 1, n - (size_t)(comma + 1 - u), 1, alt);
    /* UTF-16 and UTF-32 by their marks */
    if (c->len >= 2 && ((unsigned char)out[0] == 0xff || (unsigned char)out[0] == 0xfe) &&
        ((unsigned char)out[1] == 0xfe || (unsigned char)out[1] == 0xff))
        c->unreadable = 1;
    if (c->alt && c->alt_len >= 2 &&
        ((unsigned char)alt[0] == 0xff || (unsigned char)alt[0] == 0xfe) &&
        ((unsigned char)alt[1] == 0xfe || (unsigned char)alt[1] == 0xff))
        c->unreadable = 1;
    return 1;
}

/* The refused categories a frame's, object's or style sheet link's URL
 * reaches through the document it carries: a data: URL's HTML, SVG or CSS
 * is judged as srcdoc or a sheet is, a javascript: URL's text as an inline
 * script is. */
static mc_catmask_t carried_refused(mc_html_t *h, const element_t *el, const char *u, size_t n)
{
    mc_tag_id_t t = el->tag;
    int frame = t == MC_TAG_IFRAME || t == MC_TAG_FRAME || t == MC_TAG_OBJECT || t == MC_TAG_EMBED;
    size_t len;
    char *alt;
    carried_t c;

    trim(&u, &n);
    if (!frame && t != MC_TAG_LINK)
        return 0;
    if (!h->carried)
        h->carried = apr_palloc(h->pool, 2 * DECODED_MAX);
    if (frame && starts_ci(u, n, "javascript:")) {
        len = data_payload(u + 11, n - 11, 0, h->carried);
        return script_hosts_refused(h, h->carried, len);
    }
    alt = h->carried + DECODED_MAX;
    if (!data_url_read(u, n, h->carried, alt, &c))
        return 0;
    if (c.unreadable)
        return refused_all(h);
    if (frame)
        return srcdoc_refused(h, h->carried, c.len) | (c.alt ? srcdoc_refused(h, alt, c.alt_len) : 0);
    return css_refused(h, h->carried, c.len) | (c.alt ? css_refused(h, alt, c.alt_len) : 0);
}

/* The refused categories attribute F of EL reaches. */
static mc_catmask_t attr_refused(mc_html_t *h, const element_t *el, const struct fetch_attr *f,
                                 verdict_t *v)
{
    size_t n;
    const char *s = value_decoded(h, el, f->attr, &n);

    switch (f->kind) {
    case F_URL: {
        int cat = url_category(h, s, n);

        if (f->attr == el->url_attr && refused(h, cat)) {
            size_t len;
            const char *url = url_resolved(h, s, n, &len);

            h->main_url_len = min_size(len, RESOLVED_MAX);
            memcpy(h->main_url, url, h->main_url_len);
        }
        if (cat < 0 && f->attr == el->url_attr)
            return carried_refused(h, el, s, n);
        return refused_mask(h, cat);
    }
    case F_SRCSET: return srcset_refused(h, s, n);
    case F_URLS: return urls_refused(h, s, n);
    case F_CSS: return css_refused(h, s, n);
    case F_SRCDOC: return srcdoc_refused(h, s, n);
    case F_REFRESH: {
        size_t ulen = 0;
        const char *url;

        if (!has(el, A_HTTP_EQUIV))
            return 0;
        url = value_of(el, A_HTTP_EQUIV, &ulen);
        if (!equals_ci(url, ulen, "refresh"))
            return 0;
        url = refresh_url(s, n, &ulen);
        return url ? refused_mask(h, url_category(h, url, ulen)) : 0;
    }
    }
    return 0;
}

/* --- SVG animation ------------------------------------------------------------------
 *
 * SMIL sets an attribute after the rewriter read it: <set attributeName="href"
 * to="URL"> on an <image> fetches URL. Each value an animation sets (to,
 * from, by, and each of the ';'-separated values) is judged as what its
 * attribute takes: a URL for href and xlink:href, a CSS value for any
 * other (fill="url(...)"). */

static mc_catmask_t animation_refused(mc_html_t *h, const element_t *el)
{
    static const attr_id_t sets[] = {A_TO, A_FROM, A_BY, A_VALUES};
    size_t n;
    const char *name = value_decoded(h, el, A_ATTRIBUTENAME, &n); /* "&#104;ref" is href */
    int url;

    trim(&name, &n);
    url = (n == 4 && memcmp(name, "href", 4) == 0) ||
          (n == 10 && memcmp(name, "xlink:href", 10) == 0);
    mc_catmask_t mask = 0;

    for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
        const char *v, *end;

        if (!has(el, sets[i]))
            continue;
        v = value_decoded(h, el, sets[i], &n);
        end = v + n;
        while (v < end) { /* "a;b": one value each (to, from, by: one) */
            const char *semi = sets[i] == A_VALUES ? memchr(v, ';', (size_t)(end - v)) : NULL;
            size_t len = (size_t)((semi ? semi : end) - v);

            mask |= url ? refused_mask(h, url_category(h, v, len)) : css_refused(h, v, len);
            v += len + (semi != NULL);
        }
    }
    return mask;
}

/* --- deciding ------------------------------------------------------------------------ */

/* The categories named in data-consent="CAT [CAT...]"; 0 when one is unknown. */
static mc_catmask_t marked_categories(const mc_html_t *h, const element_t *el)
{
    size_t n, i = 0;
    const char *v = value_of(el, A_CONSENT, &n);
    mc_catmask_t mask = 0;

    if (!h->policy->cats)
        return 0;
    while (i < n) {
        size_t start;
        int cat;

        while (i < n && is_space(v[i]))
            i++;
        start = i;
        while (i < n && !is_space(v[i]))
            i++;
        if (i == start)
            break;
        cat = mc_categories_index_n(h->policy->cats, v + start, i - start);
        if (cat < 0)
            return 0;
        mask |= (mc_catmask_t)1 << cat;
    }
    return mask;
}

/* The fetching attributes EL has, for an author-marked element: all but
 * CSS (style, fill, ...), which the author did not mean to hold. */
static uint64_t live_attrs(const element_t *el)
{
    uint64_t live = 0;

    for (size_t i = 0; i < FETCH_ATTRS; i++) {
        attr_id_t a = fetch_attrs[i].attr;

        if (fetch_attrs[i].kind != F_CSS && has(el, a) && fetches(el, a))
            live |= BIT(a);
    }
    return live;
}

static int saved_any(const element_t *el)
{
    for (size_t i = 0; i < FETCH_ATTRS; i++) {
        if (has(el, fetch_attrs[i].saved))
            return 1;
    }
    return 0;
}

static int is_frame(const element_t *el)
{
    return !el->foreign && (el->tag == MC_TAG_IFRAME || el->tag == MC_TAG_FRAME);
}

/* An element the author marked with data-consent="CAT". */
static action_t decide_marked(const mc_html_t *h, const element_t *el, verdict_t *v)
{
    mc_catmask_t cats = marked_categories(h, el);
    int granted = cats != 0 && (cats & h->policy->granted) == cats;
    size_t sn = 0;
    const char *service = has(el, A_CONSENT_SERVICE) ? value_of(el, A_CONSENT_SERVICE, &sn) : NULL;

    /* the author named the service: granting it alone brings the element back */
    if (cats != 0 && !granted && service)
        granted = service_granted(h, service, sn);
    int neutralised = saved_any(el) || (typed(el) && script_plain(el));
    int live;

    v->attrs = live_attrs(el);
    if (el->tag == MC_TAG_SCRIPT)
        live = script_runs(el);
    else if (el->tag == MC_TAG_STYLE && !el->foreign)
        live = style_applies(el);
    else
        live = v->attrs != 0;
    if (granted && neutralised)
        return ACT_RESTORE;
    if (!granted && live)
        return ACT_NEUTRALISE;
    return !granted && is_frame(el) && h->policy->frame_name ? ACT_RENAME : ACT_NONE;
}

/* Attributes neutralised together: an image's src and srcset, a link's
 * href and imagesrcset (a browser would fall back on the one left). */
static uint64_t with_partners(const element_t *el, uint64_t attrs)
{
    uint64_t pair = 0;

    if (el->tag == MC_TAG_IMG || el->tag == MC_TAG_SOURCE)
        pair = BIT(A_SRC) | BIT(A_SRCSET);
    else if (el->tag == MC_TAG_LINK)
        pair = BIT(A_HREF) | BIT(A_IMAGESRCSET);
    if (attrs & pair)
        attrs |= pair;
    return attrs & (el->set | ~FETCH_BITS); /* only those it has */
}

static void handlers_refused(mc_html_t *h, const element_t *el, verdict_t *v);

static action_t decide(mc_html_t *h, const element_t *el, verdict_t *v)
{
    memset(v, 0, sizeof(*v));
    h->main_url_len = 0;
    service_reset(h);
    if (has(el, A_CONSENT))
        return decide_marked(h, el, v);
    if (el->tag == MC_TAG_SCRIPT && !script_runs(el))
        return script_lists_urls(el) ? ACT_WAIT_BODY : ACT_NONE;
    if (el->handlers)
        handlers_refused(h, el, v);
    if (has(el, A_ATTRIBUTENAME) && el->tag != MC_TAG_STYLE) {
        mc_catmask_t m = animation_refused(h, el);

        if (m) {
            v->handlers |= m; /* held with the handlers: renamed, reload */
            v->animation = 1;
            v->reload = 1;
        }
    }
    /* in fetch_attrs' order: only those the element has */
    for (uint64_t left = el->set & FETCH_BITS; left; left &= left - 1) {
        const struct fetch_attr *f = &fetch_attrs[__builtin_ctzll(left)];
        mc_catmask_t m;

        unsigned notes = h->svc_notes;

        if (!fetches(el, f->attr))
            continue;
        m = attr_refused(h, el, f, v);
        if (m && h->svc_notes == notes)
            service_note(h, NULL); /* refused by what no one rule classified (srcdoc) */
        if (m) {
            v->refused |= m;
            v->attrs |= BIT(f->attr);
        }
    }
    v->attrs = with_partners(el, v->attrs);
    if (v->refused) {
        v->refused |= v->handlers;
        return ACT_NEUTRALISE;
    }
    /* an inline script or style sheet is judged by its body, still to come
     * (with what its handlers reach: judge_tag keeps it) */
    if (el->tag == MC_TAG_SCRIPT && !has(el, el->url_attr))
        return ACT_WAIT_BODY;
    /* whatever its type: Chromium's preload scanner fetches the @import of
     * any <style> */
    if (el->tag == MC_TAG_STYLE)
        return ACT_WAIT_BODY;
    if (v->handlers) {
        v->refused = v->handlers;
        v->only_handlers = 1;
        return ACT_NEUTRALISE;
    }
    return ACT_NONE;
}

/* --- rewriting ----------------------------------------------------------------------- */

/* ` NAME=` and the value of attribute A as it was written: quoted values
 * keep their quotes; an unquoted one is quoted, escaping '"'. */
static void write_attr(mc_html_t *h, const char *name, const element_t *el, attr_id_t a)
{
    const attr_slot_t *s = &el->attrs[a];
    const char *v = el->bytes + s->value;

    out_str(h, " ");
    out_str(h, name);
    out_str(h, "=");
    if (s->quote) {
        out_put(h, v - 1, s->value_len + 2);
        return;
    }
    out_str(h, "\"");
    for (size_t i = 0; i < s->value_len; i++) {
        if (v[i] == '"')
            out_str(h, "&quot;");
        else
            out_put(h, v + i, 1);
    }
    out_str(h, "\"");
}

/* ` data-consent="CAT CAT"`: the refused categories, in their order. */
static void write_categories(mc_html_t *h, mc_catmask_t cats)
{
    int first = 1;

    out_str(h, " data-consent=\"");
    for (mc_catmask_t left = cats; left; left &= left - 1) { /* in their order */
        int c = __builtin_ctz(left);

        if (!mc_categories_name(h->policy->cats, c))
            continue;
        if (!first)
            out_str(h, " ");
        out_str(h, mc_categories_name(h->policy->cats, c));
        first = 0;
    }
    out_str(h, "\"");
}

static int first_category(mc_catmask_t cats)
{
    for (int c = 0; c < MC_MAX_CATEGORIES; c++) {
        if (mc_catmask_has(cats, c))
            return c;
    }
    return -1;
}

/* ` src="PLACEHOLDER"` for a neutralised frame, when the policy has one. */
static void write_placeholder(mc_html_t *h, const element_t *el, mc_catmask_t cats)
{
    const char *value;
    size_t n = 0;
    int cat;

    if (!h->policy->placeholder)
        return;
    if (has(el, A_CONSENT))
        cats = marked_categories(h, el);
    cat = first_category(cats);
    if (cat < 0)
        return;
    if (h->main_url_len == 0) { /* an author-marked frame: its URL as written */
        size_t len;
        const char *v = value_decoded(h, el, el->url_attr, &len);
        const char *url = url_resolved(h, v, len, &len);

        h->main_url_len = min_size(len, RESOLVED_MAX);
        memcpy(h->main_url, url, h->main_url_len);
    }
    if (h->main_url_len == 0)
        return;
    value = h->policy->placeholder(h->policy->placeholder_baton, cat, h->main_url, h->main_url_len,
                                   &n);
    if (!value)
        return;
    out_str(h, " src=\"");
    /* under a <base> elsewhere, a path would lead to that host */
    if (h->base_len > 0 && h->policy->origin && value[0] == '/')
        out_attr_text(h, h->policy->origin, strlen(h->policy->origin));
    out_put(h, value, n);
    out_str(h, "\"");
}

/* Whether attribute A gives a length above one pixel, as a browser reads
 * a dimension: ASCII whitespace, then digits (a fraction or a unit after
 * them does not matter); a percentage counts whatever its number. */
static int dimension_above_one(const element_t *el, attr_id_t a)
{
    size_t n, i = 0;
    const char *v = value_of(el, a, &n);
    unsigned long px = 0;

    if (!has(el, a))
        return 0;
    while (i < n && v[i] >= '0' && v[i] <= '9') {
        if (px < 100000)
            px = px * 10 + (unsigned long)(v[i] - '0');
        i++;
    }
    if (i == 0)
        return 0;
    while (i < n && (v[i] == '.' || (v[i] >= '0' && v[i] <= '9')))
        i++;
    return px > 1 || (i < n && v[i] == '%');
}

/* ` src="NEUTRAL"` for a held <img> with a box of its own (policy.held_image). */
static void write_held_image(mc_html_t *h, const element_t *el)
{
    const char *value = h->policy->held_image;

    if (!value || el->tag != MC_TAG_IMG || el->foreign || !dimension_above_one(el, A_WIDTH) ||
        !dimension_above_one(el, A_HEIGHT))
        return;
    out_str(h, " src=\"");
    if (h->base_len > 0 && h->policy->origin && value[0] == '/')
        out_attr_text(h, h->policy->origin, strlen(h->policy->origin));
    out_str(h, value);
    out_str(h, "\"");
}

/* ` NAME="CSS"` with the refused URLs of attribute A's CSS made inert; the
 * original goes to data-consent-NAME. 0 when nothing in it was refused. */
static int write_inert_css(mc_html_t *h, const element_t *el, attr_id_t a)
{
    size_t n;
    const char *s = value_decoded(h, el, a, &n);

    if (!css_refused(h, s, n) || h->css_out_len == 0)
        return 0;
    out_str(h, " ");
    out_str(h, attr_names[a].name);
    out_str(h, "=\"");
    out_attr_text(h, h->css_out, h->css_out_len);
    out_str(h, "\"");
    return 1;
}

/* ` name="PREFIX-N"` for the Nth frame of the document whose content is
 * held, and its own name in data-consent-name ("" for none), for consent.js
 * to give back. Chromium sends each frame of a page brought back from
 * session history to the URL it last had under the same name (or, without
 * one, the same place among its siblings), not to its src: the embed's,
 * when that page was once live. A name only a held frame has is never
 * found there. Returns the attributes to drop. */
static uint64_t write_frame_name(mc_html_t *h, const element_t *el)
{
    char n[16];

    if (!h->policy->frame_name)
        return 0;
    out_str(h, " name=\"");
    out_attr_text(h, h->policy->frame_name, strlen(h->policy->frame_name));
    apr_snprintf(n, sizeof(n), "-%u\"", h->frames_named++);
    out_str(h, n);
    if (has(el, A_NAME)) {
        write_attr(h, "data-consent-name", el, A_NAME);
        return BIT(A_NAME) | BIT(A_CONSENT_NAME);
    }
    if (!has(el, A_CONSENT_NAME))
        out_str(h, " data-consent-name=\"\"");
    return BIT(A_NAME);
}

/* Writes the attributes that disarm EL; returns those to drop from the
 * original ones (every copy: a duplicate would otherwise take over). */
static uint64_t write_neutralising(mc_html_t *h, const element_t *el, const verdict_t *v)
{
    uint64_t drop = 0;
    int script = typed(el) && !v->only_handlers;

    if (script) {
        out_str(h, " type=\"text/plain\"");
        drop |= BIT(A_TYPE);
    }
    if (!has(el, A_CONSENT)) {
        write_categories(h, v->refused);
        if (h->svc_state == SVC_ONE) {
            out_str(h, " data-consent-service=\"");
            out_str(h, h->service);
            out_str(h, "\"");
        }
        /* the page's own would speak for what it did not classify */
        drop |= BIT(A_CONSENT_SERVICE);
    }
    for (size_t i = 0; i < FETCH_ATTRS; i++) {
        const struct fetch_attr *f = &fetch_attrs[i];

        if (!(v->attrs & BIT(f->attr)))
            continue;
        if (f->kind == F_CSS && write_inert_css(h, el, f->attr) == 0)
            continue; /* nothing in it to make inert: an author-marked element's */
        write_attr(h, attr_names[f->saved].name, el, f->attr);
        drop |= BIT(f->attr) | BIT(f->saved);
    }
    if (el->foreign && (v->attrs & BIT(el->url_attr)))
        drop |= BIT(A_HREF) | BIT(A_XLINK_HREF);
    if ((el->tag == MC_TAG_IFRAME || el->tag == MC_TAG_FRAME) && (v->attrs & BIT(A_SRC)))
        write_placeholder(h, el, v->refused);
    if (v->attrs & BIT(A_SRC))
        write_held_image(h, el);
    if (is_frame(el) && (v->attrs & (BIT(A_SRC) | BIT(A_SRCDOC))))
        drop |= write_frame_name(h, el);
    if (script && has(el, A_TYPE)) {
        write_attr(h, "data-consent-type", el, A_TYPE);
        drop |= BIT(A_CONSENT_TYPE);
    }
    if (v->handlers)
        drop |= BIT(SEEN_HANDLER);
    if (v->animation) {
        write_attr(h, "data-consent-attributename", el, A_ATTRIBUTENAME);
        drop |= BIT(A_ATTRIBUTENAME);
    }
    if (v->reload)
        out_str(h, " data-consent-reload=\"\"");
    return drop;
}

/* Writes the attributes that bring a marked element back to life. */
static uint64_t write_restoring(mc_html_t *h, const element_t *el)
{
    uint64_t drop = 0;

    for (size_t i = 0; i < FETCH_ATTRS; i++) {
        const struct fetch_attr *f = &fetch_attrs[i];
        attr_id_t to = f->saved == A_CONSENT_SRC ? el->url_attr : f->attr;

        if (!has(el, f->saved) || (drop & BIT(f->saved)))
            continue;
        if (to == A_XLINK_HREF)
            to = A_HREF;
        write_attr(h, attr_names[to].name, el, f->saved);
        drop |= BIT(f->saved) | BIT(to);
    }
    if (typed(el) && has(el, A_CONSENT_TYPE)) {
        write_attr(h, "type", el, A_CONSENT_TYPE);
        drop |= BIT(A_CONSENT_TYPE) | BIT(A_TYPE);
    } else if (typed(el) && script_plain(el)) {
        drop |= BIT(A_TYPE);
    }
    /* a held frame's own name (write_frame_name), or none */
    if (is_frame(el) && has(el, A_CONSENT_NAME)) {
        if (el->attrs[A_CONSENT_NAME].value_len > 0)
            write_attr(h, "name", el, A_CONSENT_NAME);
        drop |= BIT(A_CONSENT_NAME) | BIT(A_NAME);
    }
    return drop;
}

typedef struct keep {
    mc_html_t *h;
    uint64_t drop;
} keep_t;

/* An event handler kept as data-consent-on...: RAW to NAME is the space
 * before it. */
static void write_renamed(mc_html_t *h, const char *tag, size_t raw, size_t name, size_t raw_end)
{
    out_put(h, tag + raw, name - raw);
    out_str(h, "data-consent-");
    out_put(h, tag + name, raw_end - name);
}

static void keep_attr(void *baton, const char *tag, const mc_lex_attr_t *attr)
{
    keep_t *k = baton;
    int id = attr_lookup(tag + attr->name, attr->name_len);

    if (id < 0 && handler_name(tag + attr->name, attr->name_len))
        id = SEEN_HANDLER;
    if (id == SEEN_HANDLER && (k->drop & BIT(SEEN_HANDLER)))
        write_renamed(k->h, tag, attr->raw, attr->name, attr->raw_end);
    else if (id < 0 || !(k->drop & BIT(id)))
        out_put(k->h, tag + attr->raw, attr->raw_end - attr->raw);
}

/* The start tag rewritten: its name, the new attributes, then the old ones
 * byte for byte, less those dropped, and its end ("/>" stays). */
static void write_element(mc_html_t *h, const element_t *el, action_t act, const verdict_t *v)
{
    keep_t keep = {h, 0};
    mc_lex_tag_shape_t shape;

    out_put(h, el->bytes, el->shape.name_end);
    if (act == ACT_RESTORE)
        keep.drop = write_restoring(h, el);
    else if (act == ACT_RENAME)
        keep.drop = write_frame_name(h, el);
    else
        keep.drop = write_neutralising(h, el, v);
    if (el->n_seen <= ELEMENT_ATTRS_SEEN) { /* as read: no second walk */
        size_t from = 0, to = 0; /* kept bytes not written yet */

        for (unsigned i = 0; i < el->n_seen; i++) {
            const attr_seen_t *a = &el->seen[i];

            if (a->id == SEEN_HANDLER && (keep.drop & BIT(SEEN_HANDLER))) {
                out_put(h, el->bytes + from, to - from);
                write_renamed(h, el->bytes, a->raw, a->name, a->raw_end);
                from = to = a->raw_end;
                continue;
            }
            if (a->id >= 0 && (keep.drop & BIT(a->id)))
                continue;
            if (a->raw != to) { /* not right after the last kept one */
                out_put(h, el->bytes + from, to - from);
                from = a->raw;
            }
            to = a->raw_end;
        }
        if (el->shape.tail != to) {
            out_put(h, el->bytes + from, to - from);
            from = el->shape.tail;
        }
        out_put(h, el->bytes + from, el->len - from);
    } else {
        mc_lex_tag_walk(el->bytes, el->len, keep_attr, &keep, &shape);
        out_put(h, el->bytes + shape.tail, el->len - shape.tail);
    }
    if (act == ACT_RESTORE) {
        h->stats.restored++;
    } else if (act == ACT_NEUTRALISE) {
        h->stats.neutralised++;
        h->stats.refused |= v->refused;
    }
}

/* --- inline scripts that name a tracker ------------------------------------------------ */

static int host_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-';
}

/* Where a URL written in a script ends: at a quote, space or bracket. */
static int url_char(char c)
{
    return c != '"' && c != '\'' && c != '`' && !is_space(c) && c != ')' && c != '(' && c != ',' &&
           c != ';' && c != '+' && c != '<' && c != '>';
}

/* The refused category of the host named at S[I..N) ("connect.facebook.net/en_US/x.js"),
 * read to where a URL in a script would end; -1 for none. */
static mc_catmask_t named_host_refused(mc_html_t *h, const char *s, size_t i, size_t n)
{
    size_t host = i, end;
    int dots = 0;
    char *u = h->resolved;
    size_t len;

    while (i < n && host_char(s[i]))
        dots += s[i++] == '.';
    if (dots == 0 || i - host < 4 || s[i - 1] == '.')
        return 0;
    end = i;
    while (end < n && end - host < MC_HTML_TAG_MAX && url_char(s[end]))
        end++;
    len = (size_t)(apr_cpystrn(u, "https://", RESOLVED_MAX) - u);
    for (size_t k = host; k < end; k++) { /* "\/" in a JSON-style string is "/" */
        if (s[k] == '\\' && k + 1 < end && s[k + 1] == '/')
            continue;
        u[len++] = s[k];
    }
    return refused_mask(h, classify(h, MC_RULE_URL, u, len));
}

static int script_mark_byte(char c)
{
    return c == '/' || c == '\\' || c == '"' || c == '\'' || c == '`';
}

/* The first byte at or after I of the N at S that may begin a host a
 * script names ('/', '\\' or a quote), or N: most of a script is
 * passed sixteen bytes at a time. */
static size_t script_mark(const char *s, size_t i, size_t n)
{
#ifdef MC_HTML_SSE2
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        __m128i slashes = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('/')),
                                       _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')));
        __m128i quotes = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                                   _mm_cmpeq_epi8(v, _mm_set1_epi8('\''))),
                                      _mm_cmpeq_epi8(v, _mm_set1_epi8('`')));
        unsigned hits = (unsigned)_mm_movemask_epi8(_mm_or_si128(slashes, quotes));

        if (hits)
            return i + (size_t)__builtin_ctz(hits);
    }
#endif
    while (i < n && !script_mark_byte(s[i]))
        i++;
    return i;
}

/* The refused categories of the tracker hosts a script names in its
 * strings: after "//" ("https://host", "//host", "https:\/\/host") or
 * right after a quote ("'connect.facebook.net'"). A script that builds a
 * URL from pieces is beyond this: ConsentCSP is the wall for that. */
static mc_catmask_t script_hosts_refused(mc_html_t *h, const char *s, size_t n)
{
    mc_catmask_t mask = 0;

    for (size_t i = script_mark(s, 0, n); i < n; i = script_mark(s, i + 1, n)) {
        char c = s[i];

        if (c == '/' && i + 1 < n && s[i + 1] == '/')
            mask |= named_host_refused(h, s, i + 2, n);
        else if (c == '\\' && i + 3 < n && s[i + 1] == '/' && s[i + 2] == '\\' && s[i + 3] == '/')
            mask |= named_host_refused(h, s, i + 4, n);
        else if ((c == '"' || c == '\'' || c == '`') && i + 1 < n && host_char(s[i + 1]))
            mask |= named_host_refused(h, s, i + 1, n);
    }
    return mask;
}

/* The refused categories a script's text reaches: an inline rule's
 * signature, or a tracker host it names. */
static mc_catmask_t script_refused(mc_html_t *h, const char *s, size_t n)
{
    mc_catmask_t m = refused_mask(h, classify(h, MC_RULE_INLINE, s, n));

    return m ? m : script_hosts_refused(h, s, n);
}

/* --- event handlers --------------------------------------------------------------------
 *
 * An event-handler attribute is an inline script: judged as one, by its
 * value as the browser reads it. When one reaches a refused category,
 * every handler of the element is renamed data-consent-on... (a browser
 * runs none of them), and consent.js puts them back once the categories
 * are granted. A handler of an event that may fire with no visitor's act
 * (load, error, a media or animation event, focus) may have missed it by
 * then: the page loads anew instead (data-consent-reload). */

/* Events only a visitor's act fires: a handler put back still has them
 * all to come. */
static int visitor_event(const char *name, size_t len)
{
    static const char *const acts[] = {"onclick",   "ondblclick", "onauxclick", "onmouse",
                                       "onpointer", "onkey",      "ontouch",    "onsubmit",
                                       "onreset",   "oninput",    "onbeforeinput", "onchange",
                                       "ondrag",    "ondrop",     "onwheel",    "oncontextmenu",
                                       "oncopy",    "oncut",      "onpaste",    "oninvalid"};

    for (size_t i = 0; i < sizeof(acts) / sizeof(acts[0]); i++) {
        size_t n = strlen(acts[i]);

        if (len >= n && prefix_equals_ci(name, acts[i], n))
            return 1;
    }
    return 0;
}

typedef struct handlers_judged {
    mc_html_t *h;
    mc_catmask_t refused;
    int unasked; /* a handler of an event no visitor's act fires */
} handlers_judged_t;

static void judge_handler(void *baton, const char *tag, const mc_lex_attr_t *attr)
{
    handlers_judged_t *j = baton;
    const char *v = tag + attr->value;
    size_t n = attr->value_len, len;

    if (!handler_name(tag + attr->name, attr->name_len))
        return;
    if (!visitor_event(tag + attr->name, attr->name_len))
        j->unasked = 1;
    if (!mc_charref_none(v, n) &&
        mc_charref_decode(v, n, 1, j->h->dec, DECODED_MAX, &len) == MC_OK) {
        v = j->h->dec;
        n = len;
    }
    j->refused |= script_refused(j->h, v, n);
}

/* Sets V's handlers and reload for the event handlers of EL. */
static void handlers_refused(mc_html_t *h, const element_t *el, verdict_t *v)
{
    handlers_judged_t j = {h, 0, 0};
    mc_lex_tag_shape_t shape;

    mc_lex_tag_walk(el->bytes, el->len, judge_handler, &j, &shape);
    v->handlers = j.refused;
    v->reload = j.refused && j.unasked;
}

/* --- holding ------------------------------------------------------------------------ */

static int needs_attributes(const mc_html_t *h, mc_tag_id_t tag)
{
    switch (tag) {
    case MC_TAG_SCRIPT:
    case MC_TAG_IFRAME:
    case MC_TAG_FRAME:
    case MC_TAG_IMG:
    case MC_TAG_IMAGE:
    case MC_TAG_EMBED:
    case MC_TAG_OBJECT:
    case MC_TAG_LINK:
    case MC_TAG_STYLE:
    case MC_TAG_VIDEO:
    case MC_TAG_AUDIO:
    case MC_TAG_SOURCE:
    case MC_TAG_TRACK:
    case MC_TAG_INPUT:
    case MC_TAG_META:
    case MC_TAG_TEMPLATE: /* a declarative shadow root is live */
        return 1;
    case MC_TAG_BASE: return !h->base_seen;
    case MC_TAG_HTML: return !h->html_seen; /* for lang */
    default: return 0;
    }
}

/* SVG elements that fetch through href. */
static int foreign_fetcher(mc_tag_id_t tag)
{
    return tag == MC_TAG_IMAGE || tag == MC_TAG_SCRIPT || tag == MC_TAG_USE ||
           tag == MC_TAG_FEIMAGE || tag == MC_TAG_STYLE;
}

/* HTML elements that Chromium's preload scanner fetches for even inside
 * <svg> or <math>, where the tree builder makes them foreign: judged as
 * the HTML elements they are to the scanner. */
static int preloaded_in_foreign(mc_tag_id_t tag)
{
    return tag == MC_TAG_LINK || tag == MC_TAG_INPUT || tag == MC_TAG_BASE;
}

/* The held element is let go: its bytes are sent with the next span. */
static void release(mc_html_t *h, int oversized)
{
    if (oversized && h->hold_tag != MC_TAG_HTML)
        h->stats.oversized++;
    h->hold = HOLD_NONE;
}

/* --- start tags too long to hold ----------------------------------------------------
 *
 * A start tag no rule reports (<div>, <a>, <td>, SVG's <path>) is judged
 * whole at its end when an attribute of it may fetch (flagged_tag_end).
 * One longer than MC_HTML_TAG_MAX cannot be held whole, and what may
 * fetch can come anywhere in it: it is walked as it streams
 * (mc_lex_stream_t). Each attribute that may fetch on it — a style, an
 * event handler, ping, background, SVG's fill and its kin, attributeName —
 * is held alone, from its name to its value's end, and judged as the
 * element with only that attribute would be. One that reaches a refused
 * category is renamed data-consent-NAME where it stands; the first puts
 * data-consent (every category not granted: what the rest of the tag
 * reaches is not known when it is written) and data-consent-reload in
 * front of it. consent.js reloads the page once all is granted, and the
 * tag then passes whole. An attribute that may fetch and is longer than
 * the cap itself is renamed unread; every other attribute streams on,
 * whatever its length (a framework's page state in one data- attribute). */

/* A name longer than this is none that fetches: it streams on. */
#define LONG_NAME_MAX 64
/* A tag judged for one attribute: "<", the tag's name, " ", the attribute, ">". */
#define LONG_BUF (MC_HTML_TAG_MAX + MC_LEX_NAME_MAX + 4)

/* Copies the bytes [FROM, TO) of the stream, none sent yet, to DST: from
 * the carry, the chunk, or both. */
static void long_copy(const mc_html_t *h, char *dst, mc_lex_off_t from, mc_lex_off_t to)
{
    mc_lex_off_t ce = carry_end(h);

    if (from < ce) {
        size_t n = (size_t)((to < ce ? to : ce) - from);

        memcpy(dst, h->carry + (from - h->out_off), n);
        dst += n;
        from += n;
    }
    if (from < to)
        memcpy(dst, h->chunk + (from - h->chunk_off), (size_t)(to - from));
}

/* Whether the attribute A (its name unsent) may fetch on the long tag:
 * one the lexer flags (a tag read whole is judged only for those:
 * flagged_tag_end), by a name that fetches on it or is an event handler. */
static int long_may_fetch(mc_html_t *h, const mc_lex_attr_t *a)
{
    char name[LONG_NAME_MAX] = "";
    element_t el;
    int id;

    if (h->long_known == a->name + 1)
        return h->long_fetches;
    h->long_known = a->name + 1;
    h->long_fetches = 0;
    h->long_renamed = 0;
    if (a->name_len == 0 || a->name_len > LONG_NAME_MAX)
        return 0;
    long_copy(h, name, a->name, a->name + a->name_len);
    if (!mc_lex_attr_flagged(name, a->name_len))
        return 0;
    id = attr_lookup(name, a->name_len);
    element_init(&el, h->long_tag, 0, name, 0);
    if (id < 0)
        h->long_fetches = handler_name(name, a->name_len);
    else
        h->long_fetches = id == A_ATTRIBUTENAME ||
                          ((BIT(id) & FETCH_BITS) != 0 && fetches(&el, (attr_id_t)id));
    return h->long_fetches;
}

/* The refused categories the attribute A (unsent, whole, at most the cap
 * long) reaches on the long tag: the tag judged with it alone.
 * attributeName reaches every refused one: what an animation sets is in
 * its other attributes. */
static mc_catmask_t long_refused(mc_html_t *h, const mc_lex_attr_t *a)
{
    char *tag = h->long_buf + LONG_BUF;
    size_t name_len = strlen(h->long_name), n = 0;
    element_t el;
    verdict_t v;

    tag[n++] = '<';
    memcpy(tag + n, h->long_name, name_len);
    n += name_len;
    tag[n++] = ' ';
    long_copy(h, tag + n, a->name, (mc_lex_off_t)a->raw_end);
    n += (size_t)(a->raw_end - a->name);
    tag[n++] = '>';
    if (attr_lookup(tag + name_len + 2, a->name_len) == A_ATTRIBUTENAME)
        return refused_all(h);
    if (!element_read(&el, h->long_tag, 0, tag, n))
        return 0;
    /* a script or sheet waits for its body: what its handlers reach counts */
    return decide(h, &el, &v) == ACT_NEUTRALISE ? v.refused : v.handlers;
}

/* Renames the attribute whose name is at NAME: data-consent-NAME. */
static void long_rename(mc_html_t *h, mc_lex_off_t name)
{
    emit_until(h, name);
    if (!h->long_marked) {
        mc_catmask_t all = refused_all(h);

        write_categories(h, all);
        out_str(h, " data-consent-reload=\"\" ");
        h->long_marked = 1;
        h->stats.neutralised++;
        h->stats.refused |= all;
    }
    out_str(h, "data-consent-");
}

/* mc_lex_stream_run's call for each whole attribute of the long tag. One
 * whose bytes to the next attribute (or the tag's end) are over the cap
 * would have outgrown the carry at a chunk's end: renamed unread, as
 * long_keep does there. */
static void long_attr(void *baton, const mc_lex_attr_t *a, size_t next)
{
    mc_html_t *h = baton;

    if (a->name < h->long_judge_from || !long_may_fetch(h, a) || h->long_renamed)
        return;
    if (next - a->name > MC_HTML_TAG_MAX || long_refused(h, a))
        long_rename(h, (mc_lex_off_t)a->name);
}

/* Starts walking the start tag the lexer is in: it outgrew the cap. Its
 * attributes from JUDGE_FROM on are judged (those before, oversized_clean
 * has). */
static void long_start(mc_html_t *h, mc_lex_off_t judge_from)
{
    h->long_on = 1;
    h->long_from = h->lex.tok_start;
    h->long_at = h->long_from + 1; /* after '<' */
    /* a name still being read is longer than any known: one no rule knows */
    h->long_tag = mc_lex_name_pending(&h->lex) ? MC_TAG_OTHER : h->lex.tag;
    apr_cpystrn(h->long_name, mc_lex_name_pending(&h->lex) ? "x-long" : h->lex.name,
                sizeof(h->long_name));
    h->long_marked = 0;
    h->long_known = 0;
    h->long_judge_from = judge_from;
    mc_lex_stream_init(&h->long_walk);
    if (!h->long_buf)
        h->long_buf = apr_palloc(h->pool, (size_t)2 * LONG_BUF);
}

/* Walks the long tag on to TO, or to its end: the carry's bytes from a
 * copy, LONG_BUF at a time (a rename sends what is before it, which moves
 * the carry; a tag read in a held body may fill more of it than a tag
 * alone), the chunk's where they are. */
static void long_walk_to(mc_html_t *h, mc_lex_off_t to)
{
    while (h->long_on && h->long_at < to) {
        mc_lex_off_t ce = carry_end(h), stop = to, done;
        const char *piece;

        if (h->long_at < ce) {
            stop = to < ce ? to : ce;
            if (stop - h->long_at > LONG_BUF)
                stop = h->long_at + LONG_BUF;
            long_copy(h, h->long_buf, h->long_at, stop);
            piece = h->long_buf;
        } else {
            piece = h->chunk + (h->long_at - h->chunk_off);
        }
        done = (mc_lex_off_t)mc_lex_stream_run(&h->long_walk, piece, (size_t)(stop - h->long_at),
                                               (size_t)h->long_at, long_attr, h);
        h->long_at = done;
        if (done < stop)
            h->long_on = 0; /* its '>' */
    }
}

/* A chunk ends inside the long tag, walked to END: where the bytes to keep
 * begin. A name is kept while it is being read; an attribute that may
 * fetch, until it is whole (and judged) or outgrows the cap (renamed
 * unread). */
static mc_lex_off_t long_keep(mc_html_t *h, mc_lex_off_t end)
{
    const mc_lex_attr_t *a = &h->long_walk.attr;

    if (!h->long_walk.open || a->name < h->long_judge_from)
        return end;
    if (mc_lex_stream_in_name(&h->long_walk))
        return end - a->name <= LONG_NAME_MAX ? (mc_lex_off_t)a->name : end;
    if (!long_may_fetch(h, a) || h->long_renamed)
        return end;
    if (end - a->name <= MC_HTML_TAG_MAX)
        return (mc_lex_off_t)a->name;
    long_rename(h, (mc_lex_off_t)a->name);
    h->long_renamed = 1;
    return end;
}

/* Whether the lexer's start tag, END bytes on, is one to walk: never
 * held (one held outgrew the cap in oversized_tag), longer than the cap,
 * none of it sent, nothing else holding, something refused. */
static int long_wanted(mc_html_t *h, mc_lex_off_t end)
{
    mc_lex_t *lx = &h->lex;

    return !h->long_on && lx->tok_start != h->oversized_from && h->hold == HOLD_NONE &&
           !h->sheet_on && !h->close_after_tag &&
           lx->tok_start != h->long_from && end - lx->tok_start > MC_HTML_TAG_MAX &&
           lx->tok_start >= h->out_off && !mc_lex_inert(lx) && refused_all(h) != 0;
}

/* --- over a cap ---------------------------------------------------------------------
 *
 * A target element too long to hold cannot be judged: it fails closed.
 * Only a visitor who granted every category gets it as it is; for anyone
 * else it is disarmed whole, for every category they refused, by bytes
 * written before the ones that stream past (nothing more is held).
 * Writing attributes first is not enough on its own: the parser keeps the
 * first of two attributes of one name, but Chromium's preload scanner reads
 * them all and takes the last type, rel or imagesrcset, skips an empty src
 * or href, and inside <svg> fetches a later href or a sheet's @import
 * whatever comes first. So:
 *  - an HTML element the scanner reads goes inside a <template> (neither
 *    the parser nor the scanner fetches anything there; consent.js puts
 *    its content in place once everything is granted), closed after the
 *    start tag (void elements) or after the end tag (script, style and
 *    iframe, whose text ends only there);
 *  - elements whose content is markup (object, video, audio, template),
 *    which may end without an end tag, and a <frame> (a frameset ignores
 *    <template>) get attributes in front, in values that fetch nothing,
 *    that the scanner, which does not read these, cannot undo; consent.js
 *    reloads the page for them (data-consent-reload) once all is granted;
 *  - inside <svg> or <math>, where <template> is not inert, the start tag
 *    becomes text in a CDATA section: no element, nothing fetched (its
 *    content, if any, is left to its parent); it comes back with the next
 *    page load after consent. */

/* Every category that is not granted, or 0 when all are. */
static mc_catmask_t refused_all(mc_html_t *h)
{
    mc_catmask_t all = 0;

    for (int c = 0; c < MC_MAX_CATEGORIES; c++) {
        if (refused(h, c))
            all |= (mc_catmask_t)1 << c;
    }
    return all;
}

/* Where the name of the start tag TAG ends (a tag's name ends only at
 * whitespace, '/' or '>'). */
static size_t tag_name_end(const char *tag, size_t len)
{
    size_t i = 1;

    while (i < len && !is_space(tag[i]) && tag[i] != '/' && tag[i] != '>')
        i++;
    return i;
}

/* What goes in front of the attributes of an oversized HTML element that
 * is not wrapped; NULL when it is wrapped in a <template>. */
static const char *oversized_front(mc_tag_id_t t)
{
    switch (t) {
    case MC_TAG_OBJECT: return " data=\"about:blank\"";
    case MC_TAG_VIDEO: return " src=\"data:,\" poster=\"data:,\"";
    case MC_TAG_AUDIO: return " src=\"data:,\"";
    case MC_TAG_FRAME: return " src=\"about:blank\"";
    case MC_TAG_TEMPLATE: return " shadowrootmode=\"none\" shadowroot=\"none\"";
    default: return NULL;
    }
}

/* An HTML element with no end tag: a wrapping <template> closes after its
 * start tag. */
static int void_element(mc_tag_id_t t)
{
    return t != MC_TAG_SCRIPT && t != MC_TAG_STYLE && t != MC_TAG_IFRAME;
}

/* Whether an oversized <img>, <script> or <meta> can pass, judged by its
 * first MC_HTML_TAG_MAX bytes TAG: what they hold of it is clean, and
 * nothing that follows can fetch. An <img> needs a src among them (what
 * follows has none that counts: the parser and the scanner take the
 * first) or a src cut off while it is a data: URL; a srcset that may
 * follow is made void by an empty one in front (*SRCSET_FRONT). A
 * <script> needs a src among them: it fetches nothing else. A <meta>
 * needs an http-equiv among them that is not refresh. A style attribute
 * after the cut is not seen. */
static int oversized_clean(mc_html_t *h, const char *tag, int *srcset_front)
{
    element_t el;
    verdict_t v;
    mc_lex_attr_t cut;
    mc_lex_cut_t at;
    int cut_id = -1;
    mc_tag_id_t t = h->hold_tag == MC_TAG_IMAGE ? MC_TAG_IMG : h->hold_tag;

    *srcset_front = 0;
    if (h->hold_in_foreign || (t != MC_TAG_IMG && t != MC_TAG_SCRIPT && t != MC_TAG_META))
        return 0;
    element_init(&el, t, 0, tag, MC_HTML_TAG_MAX);
    at = mc_lex_tag_walk_cut(tag, MC_HTML_TAG_MAX, collect_attr, &el, &cut);
    if (at == MC_LEX_CUT_NOT || at == MC_LEX_CUT_TAG_NAME || at == MC_LEX_CUT_NAME)
        return 0; /* a name still open may become any */
    el.url_attr = A_SRC;
    if (has(&el, A_CONSENT))
        return 0;
    if (at != MC_LEX_CUT_BETWEEN)
        cut_id = attr_lookup(tag + cut.name, cut.name_len);
    /* a type of its own does not hold the scanner, which takes the last */
    el.set &= ~BIT(A_TYPE);
    if (decide(h, &el, &v) == ACT_NEUTRALISE)
        return 0;
    if (t == MC_TAG_SCRIPT) {
        size_t n;

        value_of(&el, A_SRC, &n);
        return has(&el, A_SRC) && n > 0;
    }
    if (t == MC_TAG_META) { /* a long Content-Security-Policy must stay */
        size_t n;
        const char *equiv = value_of(&el, A_HTTP_EQUIV, &n);

        return has(&el, A_HTTP_EQUIV) && !equals_ci(equiv, n, "refresh");
    }
    if (!has(&el, A_SRC)) {
        const char *u = tag + cut.value;
        size_t n = cut.value_len;

        trim(&u, &n);
        if (at != MC_LEX_CUT_VALUE || cut_id != A_SRC || !starts_ci(u, n, "data:"))
            return 0;
    } else if (cut_id >= 0 && cut_id != A_SRC && fetches(&el, (attr_id_t)cut_id)) {
        return 0;
    }
    *srcset_front = !has(&el, A_SRCSET);
    return 1;
}

/* The held start tag outgrew MC_HTML_TAG_MAX (at a chunk's end, or at its
 * own end): decided by its first MC_HTML_TAG_MAX bytes, which any split
 * holds, then let go. */
static void oversized_tag(mc_html_t *h)
{
    mc_catmask_t all = refused_all(h);
    const char *tag, *front;
    size_t name_end;
    int srcset_front;

    h->oversized_from = h->hold_from;
    if (all == 0) {
        release(h, 1);
        return;
    }
    if (h->hold_tag == MC_TAG_HTML) {
        /* the root element is never held back: its attributes are read as
         * in a tag no rule reports (a handler of it runs for the whole page) */
        release(h, 1);
        long_start(h, 0);
        long_walk_to(h, mc_lex_pos(&h->lex));
        return;
    }
    emit_until(h, h->hold_from);
    tag = contiguous(h, h->hold_from, h->hold_from + MC_HTML_TAG_MAX);
    name_end = tag_name_end(tag, MC_HTML_TAG_MAX);
    front = oversized_front(h->hold_tag);
    if (oversized_clean(h, tag, &srcset_front)) {
        /* what its first bytes settle passes; what may fetch after them is
         * read as in a tag no rule reports */
        release(h, 1);
        long_start(h, h->hold_from + MC_HTML_TAG_MAX);
        if (srcset_front) {
            long_walk_to(h, h->hold_from + name_end);
            emit_until(h, h->hold_from + name_end);
            out_str(h, " srcset=\"\"");
        }
        long_walk_to(h, mc_lex_pos(&h->lex));
        return;
    }
    h->stats.neutralised++;
    h->stats.refused |= all;
    if (h->hold_in_foreign) {
        out_str(h, "<![CDATA[");
        h->close_after_tag = "]]>";
    } else if (front) {
        emit_until(h, h->hold_from + name_end);
        if (h->hold_tag != MC_TAG_TEMPLATE) { /* consent.js would unwrap a template */
            write_categories(h, all);
            out_str(h, " data-consent-reload=\"\"");
        }
        out_str(h, front);
    } else {
        out_str(h, "<template");
        write_categories(h, all);
        out_str(h, ">");
        if (void_element(h->hold_tag))
            h->close_after_tag = "</template>";
        else
            h->close_template = h->hold_tag;
    }
    release(h, 1);
}

/* --- a style sheet too long to hold -------------------------------------------------
 *
 * A page's own CSS is often longer than the cap. From the cap on, an HTML
 * <style>'s text streams through a CSS reader (mc_css_stream_feed) that
 * disarms the refused URLs as the whole sheet would have them, holding
 * only a window of bytes whose tokens are not complete. What it cannot
 * read within the window and may fetch fails closed: from there on the
 * sheet is ended and its rest sent inside a <template>. Either way the
 * original sheet can only come with a new page load: an empty
 * <template data-consent-reload> after the sheet asks consent.js for one
 * once what it disarmed is granted. */

/* The bytes of the sheet's text that may be the start of its end tag
 * ("</style" and the byte that decides it) are read only when they are not. */
#define SHEET_TAIL 16

static int sheet_write(void *baton, const char *data, size_t len)
{
    out_put(baton, data, len);
    return 0;
}

static void sheet_feed(mc_html_t *h, const char *p, size_t n, int final)
{
    css_judge_t judge = {h, 0, 0};
    size_t taken;
    mc_status_t st;

    if (h->sheet_blind) {
        out_put(h, p, n);
        return;
    }
    st = mc_css_stream_feed(h->sheet, p, n, final, h->css_scratch, DECODED_MAX, css_ref_kept,
                            &judge, sheet_write, h, &taken);
    h->sheet_refused |= judge.refused;
    if (st == MC_OK)
        return;
    /* a token longer than the window that may fetch: the sheet ends here
     * and the rest is text in an inert copy */
    out_str(h, "</style><template");
    write_categories(h, refused_all(h));
    out_str(h, " data-consent-reload=\"\"><style>");
    out_put(h, h->sheet->win, h->sheet->len);
    out_put(h, p + taken, n - taken);
    h->sheet_blind = 1;
    h->close_template = MC_TAG_STYLE;
    h->stats.neutralised++;
    h->stats.refused |= refused_all(h);
}

/* Reads the sheet's bytes before OFF not sent yet: the carry's, then the
 * chunk's. */
static void sheet_feed_until(mc_html_t *h, mc_lex_off_t off)
{
    if (off <= h->out_off)
        return;
    if (h->carry_len > 0) {
        size_t n = (size_t)((off < carry_end(h) ? off : carry_end(h)) - h->out_off);

        sheet_feed(h, h->carry, n, 0);
        carry_drop(h, n);
    }
    if (off > h->out_off) {
        sheet_feed(h, h->chunk + (h->out_off - h->chunk_off), (size_t)(off - h->out_off), 0);
        h->out_off = off;
    }
}

/* The held <style>'s text outgrew the cap: its start tag goes out as it
 * is, and its text streams from here. */
static void sheet_start(mc_html_t *h)
{
    if (!h->sheet) {
        size_t window = h->inline_max > 4096 ? h->inline_max : 4096;

        h->sheet = apr_palloc(h->pool, sizeof(*h->sheet));
        mc_css_stream_init(h->sheet, apr_palloc(h->pool, window), window);
    } else {
        mc_css_stream_init(h->sheet, h->sheet->win, h->sheet->cap);
    }
    emit_until(h, h->body_from);
    h->sheet_on = 1;
    h->sheet_blind = 0;
    h->sheet_refused = 0;
}

/* The streamed sheet ends at OFF (its end tag, or the document's end). */
static void sheet_end(mc_html_t *h, mc_lex_off_t off)
{
    sheet_feed_until(h, off);
    sheet_feed(h, "", 0, 1);
    h->sheet_on = 0;
    if (!h->sheet_blind && h->sheet_refused) {
        h->sheet_marker = h->sheet_refused;
        h->stats.neutralised++;
        h->stats.refused |= h->sheet_refused;
    }
}

/* The held <style>'s handlers that name a tracker (hold_handlers), HTML
 * or SVG: its start tag TAG[0..LEN) is written with them renamed, the page
 * to load anew once they are granted; the caller drops the original.
 * Returns 0 when it has none (nothing written). */
static int style_handlers_held(mc_html_t *h, const char *tag, size_t len)
{
    element_t el;
    verdict_t v = {.refused = h->hold_handlers,
                   .handlers = h->hold_handlers,
                   .only_handlers = 1,
                   .reload = h->hold_reload};

    if (!h->hold_handlers || !element_read(&el, MC_TAG_STYLE, h->hold_foreign != 0, tag, len))
        return 0;
    write_element(h, &el, ACT_NEUTRALISE, &v);
    h->stats.refused |= h->hold_handlers;
    return 1;
}

/* The held inline script's or sheet's body cannot be judged (it outgrew
 * the cap, or it is an SVG one with a child element): its start tag, still
 * held, is neutralised for every refused category (consent.js runs it once
 * all are granted), and the body streams on behind it. An HTML style
 * sheet streams through the CSS reader; an SVG one loses its start tag. */
static void body_fail_closed(mc_html_t *h)
{
    element_t el;
    verdict_t v = {refused_all(h), 0, 0, 0, 0, 0};

    if (h->hold_tag == MC_TAG_STYLE && !h->hold_foreign && v.refused) {
        emit_until(h, h->hold_from);
        if (style_handlers_held(h, contiguous(h, h->hold_from, h->body_from),
                                (size_t)(h->body_from - h->hold_from)))
            drop_until(h, h->body_from);
        sheet_start(h);
    }
    if (h->hold_tag == MC_TAG_STYLE && h->hold_foreign && v.refused) {
        /* an SVG sheet's text is markup's text (references decoded): the
         * CSS reader cannot stream it. Without its start tag it is text of
         * the drawing, styling nothing; the page comes as it was with a
         * reload once all is granted. */
        emit_until(h, h->hold_from);
        out_str(h, "<g");
        write_categories(h, v.refused);
        out_str(h, " data-consent-reload=\"\"></g>");
        drop_until(h, h->body_from);
        h->stats.neutralised++;
        h->stats.refused |= v.refused;
    }
    if (h->hold_tag == MC_TAG_SCRIPT && v.refused) {
        emit_until(h, h->hold_from);
        service_reset(h);
        if (element_read(&el, MC_TAG_SCRIPT, h->hold_foreign,
                         contiguous(h, h->hold_from, h->body_from),
                         (size_t)(h->body_from - h->hold_from))) {
            write_element(h, &el, ACT_NEUTRALISE, &v);
            drop_until(h, h->body_from);
        }
    }
}

/* The held body outgrew the cap. */
static void oversized_body(mc_html_t *h)
{
    body_fail_closed(h);
    release(h, 1);
}

/* At a chunk's end: a hold that has already outgrown its cap ends here,
 * which is what its length would decide at its end anyway. */
static void check_caps(mc_html_t *h, mc_lex_off_t end)
{
    if (h->hold == HOLD_TAG && end - h->hold_from > MC_HTML_TAG_MAX)
        oversized_tag(h);
    else if (h->hold == HOLD_BODY && end - h->body_from > h->inline_max)
        oversized_body(h);
}

static void read_lang(mc_html_t *h, const element_t *el)
{
    size_t n;

    if (!has(el, A_LANG))
        return;
    n = el->attrs[A_LANG].value_len;
    if (n > LANG_MAX)
        return;
    memcpy(h->lang, el->bytes + el->attrs[A_LANG].value, n);
    h->lang[n] = '\0';
    h->has_lang = 1;
}

/* The document's base URL: the first <base href>, when it is absolute
 * (a relative one resolves against the page's own URL: first-party). */
static void read_base(mc_html_t *h, const element_t *el)
{
    size_t n;
    const char *v;

    if (!has(el, A_HREF))
        return;
    h->base_seen = 1;
    v = value_decoded(h, el, A_HREF, &n);
    trim(&v, &n);
    if (n > 0 && n <= BASE_MAX && mc_url_has_host(v, n)) {
        h->base = apr_palloc(h->pool, BASE_MAX);
        memcpy(h->base, v, n);
        h->base_len = n;
    }
}

/* Whether the <base> EL leads off the page's host (policy.origin; any
 * host when that is not known). Met once the banner is sent, such a base
 * would take the banner's form and links, written as paths, to its host. */
static int base_elsewhere(mc_html_t *h, const element_t *el)
{
    size_t n;
    const char *v = value_decoded(h, el, A_HREF, &n);
    mc_url_norm_t base, own;
    int elsewhere = 1;

    trim(&v, &n);
    if (!mc_url_has_host(v, n))
        return 0;
    if (!mc_url_normalise(v, n, &base))
        return 1;
    if (h->policy->origin && mc_url_normalise(h->policy->origin, strlen(h->policy->origin), &own)) {
        elsewhere = base.host_len != own.host_len || memcmp(base.text, own.text, base.host_len) != 0;
        mc_url_release(&own);
    }
    mc_url_release(&base);
    return elsewhere;
}

/* judge_tag's FOREIGN: an SVG element, or one that may be SVG or HTML. */
#define FOREIGN_EITHER 2

/* Rewrites the complete start tag [FROM, END) when it must be. */
static action_t judge_tag(mc_html_t *h, mc_tag_id_t tag, int foreign, mc_lex_off_t from,
                          mc_lex_off_t end)
{
    element_t el;
    verdict_t v;
    action_t act;

    emit_until(h, from);
    if (!element_read_kept(&el, tag, foreign != 0, contiguous(h, from, end), (size_t)(end - from),
                           &h->lex, from))
        return ACT_NONE;
    /* FOREIGN_EITHER: an <image> or <script> that may be an SVG element or
     * an HTML one (mc_lex_uncertain): read as HTML when it fetches only
     * the HTML way, by src */
    if (foreign == FOREIGN_EITHER && !has(&el, A_HREF) && !has(&el, A_XLINK_HREF) &&
        has(&el, A_SRC) && (tag == MC_TAG_IMAGE || tag == MC_TAG_SCRIPT))
        element_read(&el, tag, 0, el.bytes, el.len);
    if (el.tag == MC_TAG_HTML) {
        read_lang(h, &el);
        if (!el.handlers) /* a handler of the root element runs for the whole page */
            return ACT_NONE;
    }
    if (el.tag == MC_TAG_TEMPLATE && (has(&el, A_SHADOWROOTMODE) || has(&el, A_SHADOWROOT)))
        mc_lex_template_is_live(&h->lex);
    act = decide(h, &el, &v);
    /* read as SVG (it has an href), it may still be an HTML element to a
     * browser, which fetches its src: that is judged too */
    if (foreign == FOREIGN_EITHER && el.foreign && has(&el, A_SRC) && !has(&el, A_CONSENT) &&
        (act == ACT_NONE || act == ACT_NEUTRALISE)) {
        size_t n;
        const char *src = value_decoded(h, &el, A_SRC, &n);
        mc_catmask_t cats = refused_mask(h, url_category(h, src, n));

        if (cats) {
            v.refused |= cats;
            v.attrs |= BIT(A_SRC);
            v.only_handlers = 0;
            act = ACT_NEUTRALISE;
        }
    }
    if (el.tag == MC_TAG_BASE && has(&el, A_HREF) && !has(&el, A_CONSENT) &&
        (h->ns_depth > 0 ||
         (!h->base_seen && h->stats.banner_injected && base_elsewhere(h, &el)))) {
        /* a base only a browser without scripts reads: the two readings of
         * the page would resolve its URLs apart; a base to another host
         * after the banner: a choice made without scripts would be posted
         * there. While anything is refused no reading gets it. */
        memset(&v, 0, sizeof(v));
        for (int c = 0; c < MC_MAX_CATEGORIES; c++)
            v.refused |= refused_mask(h, c);
        v.attrs = BIT(A_HREF);
        act = v.refused ? ACT_NEUTRALISE : act;
    }
    if (act == ACT_NEUTRALISE || act == ACT_RESTORE || act == ACT_RENAME) {
        write_element(h, &el, act, &v);
        drop_until(h, end);
    }
    h->hold_handlers = act == ACT_WAIT_BODY ? v.handlers : 0;
    h->hold_reload = act == ACT_WAIT_BODY && v.reload;
    /* a base held has no href: for the browser the next one with an href
     * is the document's, so it is read as this one would have been */
    if (el.tag == MC_TAG_BASE && !h->base_seen && act != ACT_NEUTRALISE)
        read_base(h, &el);
    return act;
}

/* The held start tag is complete at END. */
static void held_tag_end(mc_html_t *h, mc_lex_off_t end)
{
    if (end - h->hold_from > MC_HTML_TAG_MAX) {
        oversized_tag(h);
        return;
    }
    if (judge_tag(h, h->hold_tag, h->hold_foreign, h->hold_from, end) == ACT_WAIT_BODY) {
        h->hold = HOLD_BODY;
        h->body_from = end;
        return;
    }
    release(h, 0);
}

/* --- namespaces in XML documents (policy->xml) ------------------------------------- */

static const struct {
    const char *uri;
    const char *opener; /* the element a default declaration of it belongs on */
} live_namespaces[] = {
    {"http://www.w3.org/1999/xhtml", "html"},
    {"http://www.w3.org/2000/svg", "svg"},
    {"http://www.w3.org/1998/Math/MathML", "math"},
};

typedef struct ns_binding {
    mc_html_t *h;
    const char *name; /* the element's, as written (XML names keep their case) */
    size_t name_len;
    size_t at[8]; /* offsets in the tag where "#consent-held" goes */
    int n;
} ns_binding_t;

static void find_binding(void *baton, const char *tag, const mc_lex_attr_t *attr)
{
    ns_binding_t *b = baton;
    const char *name = tag + attr->name, *v = tag + attr->value;
    size_t n = attr->value_len, len;
    int prefixed = attr->name_len > 6 && memcmp(name, "xmlns:", 6) == 0;

    if (!attr->has_value || b->n == (int)(sizeof(b->at) / sizeof(b->at[0])) ||
        !(prefixed || (attr->name_len == 5 && memcmp(name, "xmlns", 5) == 0)))
        return;
    /* the XML parser reads character references in the value */
    if (!mc_charref_none(v, n) && mc_charref_decode(v, n, 1, b->h->dec, DECODED_MAX, &len) == MC_OK) {
        v = b->h->dec;
        n = len;
    }
    for (size_t i = 0; i < sizeof(live_namespaces) / sizeof(live_namespaces[0]); i++) {
        const char *opener = live_namespaces[i].opener;

        if (n != strlen(live_namespaces[i].uri) || memcmp(v, live_namespaces[i].uri, n) != 0)
            continue;
        if (!prefixed && b->name_len == strlen(opener) && memcmp(b->name, opener, b->name_len) == 0)
            continue;
        b->at[b->n++] = attr->value + attr->value_len;
    }
}

/* A start tag of an XML document ended at END: its live namespace
 * bindings made inert. 1 when it was rewritten. */
static int xml_tag_end(mc_html_t *h, mc_lex_off_t end)
{
    mc_lex_off_t from = h->lex.tok_start;
    const char *bytes;
    mc_lex_tag_shape_t shape;
    ns_binding_t b;
    size_t done = 0, name_end;

    if (from < h->out_off || end - from > MC_HTML_TAG_MAX)
        return 0;
    bytes = contiguous(h, from, end);
    memset(&b, 0, sizeof(b));
    b.h = h;
    /* the walk calls back before it says where the name is: read it here */
    name_end = 1;
    while (name_end < (size_t)(end - from) && !is_space(bytes[name_end]) &&
           bytes[name_end] != '/' && bytes[name_end] != '>')
        name_end++;
    b.name = bytes + 1;
    b.name_len = name_end - 1;
    if (!mc_lex_tag_walk(bytes, (size_t)(end - from), find_binding, &b, &shape) || b.n == 0)
        return 0;
    emit_until(h, from);
    for (int i = 0; i < b.n; i++) {
        out_put(h, bytes + done, b.at[i] - done);
        out_str(h, "#consent-held");
        done = b.at[i];
    }
    out_put(h, bytes + done, (size_t)(end - from) - done);
    drop_until(h, end);
    h->stats.neutralised++;
    return 1;
}

/* A start tag the rewriter did not hold ended, and it has an attribute
 * that may fetch (style, background, ...). */
static void flagged_tag_end(mc_html_t *h, mc_lex_off_t end)
{
    mc_lex_off_t from = h->lex.tok_start;

    if (from == h->long_from) /* walked as it streamed */
        return;
    if (end - from > MC_HTML_TAG_MAX && long_wanted(h, end)) {
        /* over the cap within one chunk: walked here, as one cut by a
         * chunk's end would have been */
        h->stats.oversized++;
        long_start(h, 0);
        long_walk_to(h, end);
        return;
    }
    if (from < h->out_off || end - from > MC_HTML_TAG_MAX) {
        h->stats.oversized++;
        return;
    }
    judge_tag(h, h->lex.tag, 0, from, end);
}

/* A held <style>'s sheet reaches a refused category: it is sent twice,
 * first with those URLs made inert, then whole inside
 * <template data-consent="CAT">, which consent.js puts in place (the later
 * sheet wins the cascade where the two differ). Not <style type=text/plain>:
 * Chromium's preload scanner fetches the @import of any <style>, but
 * nothing inside a <template>. The template is closed after the sheet's
 * own end tag (on_tag_end). */
static void held_sheet_end(mc_html_t *h, const char *all, size_t tag_len, size_t body_len)
{
    const char *body = all + tag_len;
    mc_catmask_t cats = css_refused(h, body, body_len);
    int sheet = cats && h->css_out_len > 0;

    /* handlers that name a tracker: the start tag with them renamed (the
     * template's copy below is inert as it is) */
    if (style_handlers_held(h, all, tag_len)) {
        if (!sheet) {
            drop_until(h, h->body_from); /* the body goes out as it is */
            h->stats.neutralised++;
            return;
        }
    } else if (sheet) {
        out_put(h, all, tag_len);
    }
    if (!sheet)
        return;
    out_put(h, h->css_out, h->css_out_len);
    out_str(h, "</style><template");
    write_categories(h, cats);
    out_str(h, ">");
    out_put(h, all, tag_len);
    out_put(h, body, body_len);
    drop_until(h, h->body_from + body_len);
    h->close_template = MC_TAG_STYLE;
    h->stats.neutralised++;
    h->stats.refused |= cats;
}

/* The end of the comment whose text begins at P (after "<!--"), or END:
 * "-->" or "--!>" ends it, and so does a '>' right at its start ("<!-->",
 * "<!--->"), as the tokenizer has it. */
static const char *comment_end(const char *p, const char *end)
{
    if (p < end && *p == '>')
        return p + 1;
    if (end - p >= 2 && p[0] == '-' && p[1] == '>')
        return p + 2;
    for (; end - p >= 3; p++) {
        if (p[0] != '-' || p[1] != '-')
            continue;
        if (p[2] == '>')
            return p + 3;
        if (end - p >= 4 && p[2] == '!' && p[3] == '>')
            return p + 4;
    }
    return end;
}

/* The byte after the '>' of the tag whose name ends at P, or END when
 * the body ends first; *SELF_CLOSING as the tokenizer's states set it: a
 * '/' right before the '>' counts unless it is part of an unquoted value
 * ("<g a=b/>" is no self-closing tag). */
static const char *foreign_tag_end(const char *p, const char *end, int *self_closing)
{
    /* the tokenizer's states: tag name, before / in / after an attribute
     * name, an unquoted value, self-closing start tag */
    enum { NAME, BEFORE, ATTR, AFTER, UNQUOTED, SLASH } st = NAME;

    for (*self_closing = 0; p < end; p++) {
        char c = *p;

        if (st == SLASH && c != '>')
            st = BEFORE; /* "<g / a>": the '/' was nothing */
        if (c == '>') {
            *self_closing = st == SLASH;
            return p + 1;
        }
        if (st == UNQUOTED) {
            if (is_space(c))
                st = BEFORE;
        } else if (c == '/') {
            st = SLASH;
        } else if (is_space(c)) {
            st = st == ATTR ? AFTER : st == NAME ? BEFORE : st;
        } else if (c == '=' && (st == ATTR || st == AFTER)) { /* a value, after whitespace */
            const char *v = p + 1;

            while (v < end && is_space(*v))
                v++;
            if (v < end && (*v == '"' || *v == '\'')) {
                v = memchr(v + 1, *v, (size_t)(end - v - 1));
                if (!v)
                    return end;
                p = v;
                st = BEFORE; /* "after attribute value (quoted)" acts the same */
            } else {
                p = v - 1;
                st = UNQUOTED;
            }
        } else if (st != NAME) {
            st = ATTR; /* a name's byte, or one that begins a name ('=' too) */
        }
    }
    return end;
}

/* Open child elements foreign_source follows, and the longest name it
 * tells apart (SVG's longest is 19 bytes); past either a body fails closed. */
#define FOREIGN_DEPTH 16
#define FOREIGN_NAME_MAX 32

/* What a browser takes for the source of an SVG <script> or <style> whose
 * body is BODY: its child text content, the text between its child nodes
 * and not inside them ("fbq<g>x</g>('init')" runs as "fbq('init')").
 * Character references are decoded, comments left out, a CDATA section's
 * text taken as written; an end tag closes the child it names and those
 * inside it, as in foreign content. Writes it to H's sheet_text and returns
 * it, its length in *N; NULL when it cannot be told (children nested
 * deeper than FOREIGN_DEPTH, a name longer than FOREIGN_NAME_MAX or with a
 * NUL, a child whose content is HTML): such a body fails closed. */
static const char *foreign_source(mc_html_t *h, const char *body, size_t len, size_t *n)
{
    const char *p = body, *end = body + len;
    size_t cap = 2 * h->inline_max + 8, at = 0;
    char open[FOREIGN_DEPTH][FOREIGN_NAME_MAX];
    size_t open_len[FOREIGN_DEPTH];
    unsigned depth = 0;

    if (!h->sheet_text)
        h->sheet_text = apr_palloc(h->pool, cap);
    while (p < end) {
        const char *lt = memchr(p, '<', (size_t)(end - p)), *text_end = lt ? lt : end;
        size_t got;

        if (depth == 0 && mc_charref_decode(p, (size_t)(text_end - p), 0, h->sheet_text + at,
                                            cap - at, &got) != MC_OK)
            return NULL;
        if (depth == 0)
            at += got;
        if (!lt)
            break;
        p = lt + 1;
        if (p < end && (mc_ascii_alpha((unsigned char)*p) ||
                        (*p == '/' && p + 1 < end && mc_ascii_alpha((unsigned char)p[1])))) {
            int closing = *p == '/', self_closing;
            const char *name = p + closing, *name_end = name;
            char lower[FOREIGN_NAME_MAX];
            size_t name_len;

            while (name_end < end && !is_space(*name_end) && *name_end != '/' &&
                   *name_end != '>')
                name_end++;
            name_len = (size_t)(name_end - name);
            /* a NUL is U+FFFD to the tokenizer: not the name's bytes */
            if (name_len > FOREIGN_NAME_MAX || memchr(name, '\0', name_len))
                return NULL;
            for (size_t i = 0; i < name_len; i++)
                lower[i] = ascii_lower(name[i]);
            /* inside one the HTML rules hold (special elements, raw text,
             * CDATA as a comment): not followed here */
            if (!closing && mc_tag_integration_point(mc_tag_lookup(lower, name_len)))
                return NULL;
            p = foreign_tag_end(name_end, end, &self_closing);
            if (!closing && !self_closing) {
                if (depth == FOREIGN_DEPTH)
                    return NULL;
                memcpy(open[depth], lower, name_len);
                open_len[depth++] = name_len;
            } else if (closing) { /* to the child it names; one it does not name is outside */
                for (unsigned k = depth; k-- > 0;) {
                    if (open_len[k] == name_len && memcmp(open[k], lower, name_len) == 0) {
                        depth = k;
                        break;
                    }
                }
            }
        } else if ((size_t)(end - p) >= 3 && memcmp(p, "!--", 3) == 0) {
            p = comment_end(p + 3, end);
        } else if ((size_t)(end - p) >= 8 && memcmp(p, "![CDATA[", 8) == 0) {
            const char *cdata = p + 8, *close = cdata;

            while (end - close >= 3 && memcmp(close, "]]>", 3) != 0)
                close++;
            if (end - close < 3)
                close = end;
            if (depth == 0 && (size_t)(close - cdata) > cap - at)
                return NULL;
            if (depth == 0) {
                memcpy(h->sheet_text + at, cdata, (size_t)(close - cdata));
                at += (size_t)(close - cdata);
            }
            p = close == end ? end : close + 3;
        } else if (p < end && (*p == '!' || *p == '?' || *p == '/')) {
            /* a bogus comment, to the next '>' ("</>" is nothing at all) */
            const char *gt = memchr(p, '>', (size_t)(end - p));

            p = gt ? gt + 1 : end;
        } else if (depth == 0) { /* a '<' of the text */
            if (at == cap)
                return NULL;
            h->sheet_text[at++] = '<';
        }
    }
    *n = at;
    return h->sheet_text;
}

/* An SVG <style>: its text is markup's text (references decoded), and it
 * styles the whole page. Sent with the refused URLs made inert, marked with
 * their categories; the original comes with the next page load after
 * consent (an SVG <template> would not hold it inert). */
static void held_foreign_sheet_end(mc_html_t *h, const char *all, size_t tag_len,
                                   size_t body_len, const char *text, size_t n)
{
    element_t el;
    verdict_t v = {0, 0, 0, 0, 0, 0};
    int sheet;

    v.refused = css_refused(h, text, n);
    sheet = v.refused && h->css_out_len > 0;
    if (!sheet) { /* its handlers alone may name a tracker (it fires load and error too) */
        if (style_handlers_held(h, all, tag_len)) {
            drop_until(h, h->body_from); /* the body goes out as it is */
            h->stats.neutralised++;
        }
        return;
    }
    if (!element_read(&el, MC_TAG_STYLE, 1, all, tag_len))
        return;
    /* with the sheet's categories, its handlers' (renamed) */
    v.handlers = h->hold_handlers;
    v.reload = h->hold_reload;
    v.refused |= v.handlers;
    write_element(h, &el, ACT_NEUTRALISE, &v);
    for (size_t i = 0; i < h->css_out_len; i++) { /* as text again */
        char c = h->css_out[i];

        if (c == '&')
            out_str(h, "&amp;");
        else if (c == '<')
            out_str(h, "&lt;");
        else
            out_put(h, &c, 1);
    }
    drop_until(h, h->body_from + body_len);
}

/* The held inline script's or style sheet's end tag begins at LT; the
 * lexer stands at the byte after its name. */
static void held_body_end(mc_html_t *h, mc_lex_off_t lt)
{
    const char *all, *body, *text = NULL;
    size_t tag_len = (size_t)(h->body_from - h->hold_from);
    size_t body_len = (size_t)(lt - h->body_from), text_len = 0;
    element_t el;
    verdict_t v = {0, 0, 0, 0, 0, 0};

    if (mc_lex_pos(&h->lex) - h->body_from > h->inline_max) {
        oversized_body(h);
        if (h->sheet_on)
            sheet_end(h, lt);
        return;
    }
    emit_until(h, h->hold_from);
    all = contiguous(h, h->hold_from, lt);
    body = all + tag_len;
    /* an SVG sheet that may be an HTML one with a child element: read as
     * HTML, the text inside the child is CSS too (a script is judged both
     * ways below; a sheet is sent as one reading makes it inert) */
    if (h->hold_foreign &&
        (!(text = foreign_source(h, body, body_len, &text_len)) ||
         (h->hold_foreign == FOREIGN_EITHER && h->hold_tag == MC_TAG_STYLE &&
          memchr(body, '<', body_len)))) {
        body_fail_closed(h);
        h->stats.unreadable++;
        release(h, 0);
        return;
    }
    if (h->hold_tag == MC_TAG_STYLE) {
        if (h->hold_foreign)
            held_foreign_sheet_end(h, all, tag_len, body_len, text, text_len);
        else
            held_sheet_end(h, all, tag_len, body_len);
        release(h, 0);
        return;
    }
    service_reset(h);
    v.refused = script_refused(h, text ? text : body, text ? text_len : body_len);
    /* one that may be an HTML script is raw text to a browser reading it so */
    if (h->hold_foreign == FOREIGN_EITHER)
        v.refused |= script_refused(h, body, body_len);
    v.handlers = h->hold_handlers;
    v.reload = h->hold_reload;
    v.only_handlers = !v.refused;
    v.refused |= v.handlers;
    if (v.refused && element_read(&el, MC_TAG_SCRIPT, h->hold_foreign, all, tag_len)) {
        write_element(h, &el, ACT_NEUTRALISE, &v);
        drop_until(h, h->body_from);
    }
    release(h, 0);
}

/* A tag at LT inside the held SVG <script> or <style> that the rewriter
 * judges on its own: the text after its element is the body's source too
 * (foreign_source), which is then read by no one, so the body fails
 * closed. Unless the tag BREAKS_OUT of foreign content (an HTML element):
 * then the body ended right before it. (An HTML body is raw text: a tag
 * ends it only as the lexer's other reading of an uncertain one.) */
static void held_body_cut(mc_html_t *h, mc_lex_off_t lt, int breaks_out)
{
    if (!h->hold_foreign || breaks_out) {
        held_body_end(h, lt);
        return;
    }
    body_fail_closed(h);
    h->stats.unreadable++;
    release(h, 0);
}

/* --- <noscript> ---------------------------------------------------------------------- */

/* Both send everything before them first, rewritten markup included: what
 * is watched for "</noscript" must start and end exactly there. */
static void watch_start(mc_html_t *h, mc_lex_off_t at, const char *end_tag)
{
    emit_until(h, at);
    out_flush(h);
    h->ns_end_len = strlen(end_tag);
    memcpy(h->ns_end, end_tag, h->ns_end_len + 1);
    h->ns_scanning = 1;
    h->ns_stop = 0;
}

static void noscript_start(mc_html_t *h, mc_lex_off_t end)
{
    /* inside a watched raw-text element it is text, or an SVG element */
    if (h->raw_watch)
        return;
    /* its own attributes are read as a tag either way */
    watch_start(h, end, NS_END);
    h->ns_depth++;
}

/* "</name" of the HTML elements whose content is raw text, or NULL. */
static const char *raw_end_tag(mc_tag_id_t tag)
{
    switch (tag) {
    case MC_TAG_SCRIPT: return "</script";
    case MC_TAG_STYLE: return "</style";
    case MC_TAG_XMP: return "</xmp";
    case MC_TAG_IFRAME: return "</iframe";
    case MC_TAG_NOEMBED: return "</noembed";
    case MC_TAG_NOFRAMES: return "</noframes";
    case MC_TAG_TEXTAREA: return "</textarea";
    case MC_TAG_TITLE: return "</title";
    default: return NULL;
    }
}

/* An element whose content a browser reading it as HTML takes as raw text
 * to the first "</name", and the lexer (uncertain) reads as markup: from
 * its start tag on (AT: its '<', whose attribute values may be escaped
 * too, harmlessly), every "</name" that is not the end tag the lexer reads
 * is escaped, so that either reading ends the element at the same place. */
static void raw_watch_start(mc_html_t *h, mc_tag_id_t tag, mc_lex_off_t at)
{
    h->raw_watch = tag;
    watch_start(h, at, raw_end_tag(tag));
}

/* The watched element's end tag, read by the lexer, begins at LT. */
static void raw_watch_end(mc_html_t *h, mc_lex_off_t lt)
{
    /* an SVG <script> or <style> left open inside it ends here, judged */
    if (h->hold == HOLD_BODY)
        held_body_end(h, lt);
    emit_until(h, lt);
    out_flush(h);
    h->ns_real_end = 1;
    h->ns_stop = 1;
    h->raw_watch = MC_TAG_OTHER;
}

static void noscript_end(mc_html_t *h)
{
    if (h->ns_depth == 0 || h->raw_watch)
        return;
    /* an SVG <script> or <style> left open inside it ends here, judged */
    if (h->hold == HOLD_BODY)
        held_body_end(h, h->lex.tok_start);
    emit_until(h, h->lex.tok_start);
    out_flush(h);
    h->ns_real_end = 1;
    if (--h->ns_depth == 0)
        h->ns_stop = 1;
}

/* --- events -------------------------------------------------------------------------- */

/* A start tag's name is known; its '<' is at lex.tok_start, unsent. */
static void start_tag_named(mc_html_t *h)
{
    mc_lex_t *lx = &h->lex;
    mc_tag_id_t tag = lx->tag;
    int either, held_foreign, held_either;

    h->tag = tag;
    h->tag_html = mc_lex_html_context(lx);
    h->tag_foreign = !h->tag_html && !mc_lex_inert(lx);
    /* the lexer's reading may not be the browser's (foreign content where
     * a browser reads HTML, or the other way): the tag is judged both ways */
    either = mc_lex_uncertain(lx) && !mc_lex_inert(lx);
    h->tag_either = either;
    held_foreign = (h->tag_foreign || (either && foreign_fetcher(tag))) &&
                   (foreign_fetcher(tag) || preloaded_in_foreign(tag));
    held_either = either && !h->tag_html && needs_attributes(h, tag) && tag != MC_TAG_HTML &&
                  tag != MC_TAG_TEMPLATE;
    /* a tag inside an SVG <script> or <style> (HTML's are raw text): an
     * element the rewriter judges, one that breaks out, or one that may
     * (uncertain, or <font> before its attributes are read) cuts the body;
     * another is read in it (foreign_source) */
    if (h->hold == HOLD_BODY) {
        if (h->hold_foreign && !h->tag_html && !either && !held_foreign && !lx->tree_pending)
            return;
        held_body_cut(h, lx->tok_start, h->tag_html);
    }
    if (held_foreign) {
        h->hold = HOLD_TAG;
        h->hold_tag = tag;
        h->hold_foreign = !foreign_fetcher(tag) ? 0 : either ? FOREIGN_EITHER : 1;
        h->hold_in_foreign = 1;
        h->hold_from = lx->tok_start;
        return;
    }
    if (held_either) {
        h->hold = HOLD_TAG;
        h->hold_tag = tag;
        h->hold_foreign = 0;
        h->hold_in_foreign = 0;
        h->hold_from = lx->tok_start;
        return;
    }
    if (!h->tag_html)
        return;
    if (h->doc == DOC_UNKNOWN)
        h->doc = tag == MC_TAG_HTML || tag == MC_TAG_HEAD || tag == MC_TAG_BODY ? DOC_FULL
                                                                                : DOC_FRAGMENT;
    if (tag == MC_TAG_FRAMESET)
        h->frameset = 1;
    if (injecting(h) && !h->stats.head_injected && tag != MC_TAG_HTML && tag != MC_TAG_HEAD)
        inject_head(h, lx->tok_start);
    if (needs_attributes(h, tag)) {
        if (tag == MC_TAG_HTML)
            h->html_seen = 1;
        h->hold = HOLD_TAG;
        h->hold_tag = tag;
        h->hold_foreign = 0;
        h->hold_in_foreign = 0;
        h->hold_from = lx->tok_start;
    }
}

static void on_tag_name(mc_html_t *h)
{
    mc_lex_t *lx = &h->lex;

    if (!lx->end_tag)
        start_tag_named(h);
    else if (h->hold == HOLD_BODY && lx->tag == h->hold_tag)
        held_body_end(h, lx->tok_start);
    else if (h->sheet_on && lx->tag == MC_TAG_STYLE)
        sheet_end(h, lx->tok_start);
    if (lx->end_tag && h->raw_watch && lx->tag == h->raw_watch)
        raw_watch_end(h, lx->tok_start);
    else if (lx->end_tag && lx->tag == MC_TAG_NOSCRIPT && !mc_lex_inert(lx))
        /* in foreign content too ("<noscript><svg></noscript>"): a
         * browser running scripts has read text to here, one that does
         * not closes the <svg> and the <noscript> (or, an integration point
         * or an HTML element around the <svg> in between, reads on inside
         * them, as markup either way) */
        noscript_end(h);
}

/* A <font> or <annotation-xml> in foreign content ended at END: its
 * attributes tell the lexer whether HTML follows. */
static void tree_attrs(mc_html_t *h, mc_lex_off_t end)
{
    mc_lex_off_t from = h->lex.tok_start;

    if (h->hold != HOLD_NONE || from < h->out_off || end - from > MC_HTML_TAG_MAX) {
        mc_lex_tree_attrs(&h->lex, NULL, 0);
        return;
    }
    emit_until(h, from);
    mc_lex_tree_attrs(&h->lex, contiguous(h, from, end), (size_t)(end - from));
}

static void on_tag_end(mc_html_t *h)
{
    mc_lex_t *lx = &h->lex;
    mc_lex_off_t end = mc_lex_pos(lx);

    if (lx->end_tag) {
        /* not one inside a held body (an SVG <iframe>'s end tag inside its
         * SVG <script>): what is held is not sent yet, and the template
         * closes at the next such end tag, or with the document */
        if (h->close_template != MC_TAG_OTHER && lx->tag == h->close_template &&
            h->hold == HOLD_NONE) {
            emit_until(h, end);
            out_str(h, "</template>");
            h->close_template = MC_TAG_OTHER;
        }
        if (h->sheet_marker && lx->tag == MC_TAG_STYLE) {
            emit_until(h, end);
            out_str(h, "<template");
            write_categories(h, h->sheet_marker);
            out_str(h, " data-consent-reload=\"\"></template>");
            h->sheet_marker = 0;
        }
        return;
    }
    if (h->xml_guard && xml_tag_end(h, end)) {
        /* its elements are plain XML now: nothing of it to judge */
        if (h->hold == HOLD_TAG && lx->tag_reported)
            release(h, 0);
        return;
    }
    /* an unreported tag with an attribute that fetches, inside an SVG
     * <script> or <style>: that body fails closed here, as at any other
     * tag, and the tag is judged alone. One flagged only for a handler is
     * left in the body (nothing of it renders, no handler of it runs): the
     * text after its element is judged with the rest (foreign_source). */
    if (h->hold == HOLD_BODY && !lx->tag_reported && (lx->attr_fetch || lx->tree_pending))
        held_body_cut(h, lx->tok_start, 0);
    else if (h->hold == HOLD_BODY && lx->attr_flag)
        check_caps(h, end); /* as a chunk's end there would: the tag is then judged alone */
    if (lx->tree_pending)
        tree_attrs(h, end);
    if (h->hold == HOLD_TAG && lx->tag_reported)
        held_tag_end(h, end);
    else if (lx->attr_flag && h->hold == HOLD_NONE && !mc_lex_inert(lx) && !h->close_after_tag)
        flagged_tag_end(h, end);
    if (h->close_after_tag) { /* an oversized element wrapped whole */
        emit_until(h, end);
        out_str(h, h->close_after_tag);
        h->close_after_tag = NULL;
    }
    /* a <noscript> that may be an HTML one: its content may be raw text */
    if (lx->tag_reported && h->tag == MC_TAG_NOSCRIPT && (h->tag_html || h->tag_either))
        noscript_start(h, end);
    /* so may another element's that the lexer read as markup */
    if (lx->tag_reported && h->tag_either && raw_end_tag(h->tag) && !h->raw_watch &&
        h->ns_depth == 0)
        raw_watch_start(h, h->tag, h->hold == HOLD_BODY ? h->hold_from : lx->tok_start);
    if (!lx->tag_reported || !h->tag_html)
        return;
    if (!injecting(h))
        return;
    if (h->tag == MC_TAG_HEAD && !h->stats.head_injected)
        inject_head(h, end);
    else if (h->tag == MC_TAG_BODY && !h->banner_called)
        inject_banner(h, end);
}

static void on_markup_end(mc_html_t *h)
{
    if (h->lex.markup == MC_MARKUP_DOCTYPE && h->doc == DOC_UNKNOWN)
        h->doc = DOC_FULL;
}

/* Until the document's kind is known and the head assets are in, every
 * start tag matters; after that only the elements acted on do, and the
 * lexer reads past the others without stopping. */
static void choose_reported(mc_html_t *h)
{
    h->lex.report_all = h->doc == DOC_UNKNOWN || (injecting(h) && !h->stats.head_injected) ||
                        h->xml_guard;
    /* an <input> or <meta> with nothing to judge passes unread only where
     * reading it changes nothing: with no body or tag held (such a tag
     * cuts a held SVG script's body), no sheet, <noscript>, watched raw
     * text or long tag in hand; elsewhere every one is read, whole or cut */
    h->lex.report_unless = h->hold == HOLD_NONE && !h->sheet_on && h->ns_depth == 0 &&
                                   !h->raw_watch && !h->long_on
                               ? REPORTED_UNLESS
                               : 0;
}

/* The chunk is read: send what need not be held, carry the rest. A start
 * tag not finished is carried too, up to its cap: an attribute still to
 * come may need it rewritten. */
static void chunk_done(mc_html_t *h, mc_lex_off_t end)
{
    mc_lex_off_t keep = end;

    check_caps(h, end);
    long_walk_to(h, end);
    if (mc_lex_in_start_tag(&h->lex) && long_wanted(h, end)) {
        h->stats.oversized++;
        long_start(h, 0);
        long_walk_to(h, end);
    }
    if (h->sheet_on && end - h->out_off > SHEET_TAIL) {
        sheet_feed_until(h, end - SHEET_TAIL);
        keep = h->out_off;
    } else if (h->sheet_on) {
        keep = h->out_off;
    } else if (h->hold != HOLD_NONE)
        keep = h->hold_from;
    else if (h->long_on)
        keep = long_keep(h, end);
    else if (mc_lex_in_start_tag(&h->lex) && end - h->lex.tok_start <= MC_HTML_TAG_MAX)
        keep = h->lex.tok_start;
    emit_until(h, keep);
    carry_absorb(h, end);
    if (h->carry_len > h->stats.max_held)
        h->stats.max_held = h->carry_len;
}

/* --- API ------------------------------------------------------------------------------ */

mc_html_t *mc_html_create(apr_pool_t *p, const mc_html_policy_t *policy, mc_html_sink_fn *sink,
                          void *baton)
{
    mc_html_t *h = apr_pcalloc(p, sizeof(*h));

    h->pool = p;
    h->policy = policy;
    h->sink = sink;
    h->baton = baton;
    h->inline_max = policy->inline_max ? policy->inline_max : MC_HTML_INLINE_MAX;
    if (h->inline_max > INLINE_LIMIT)
        h->inline_max = INLINE_LIMIT;
    h->carry_cap = MC_HTML_TAG_MAX + h->inline_max;
    /* the buffers in one allocation: one block from the allocator, not six */
    h->out = apr_palloc(p, OUT_BUFFER + 2 * DECODED_MAX + 2 * RESOLVED_MAX + h->carry_cap);
    h->dec = h->out + OUT_BUFFER;
    h->css_scratch = h->dec + DECODED_MAX;
    h->resolved = h->css_scratch + DECODED_MAX;
    h->main_url = h->resolved + RESOLVED_MAX;
    h->carry = h->main_url + RESOLVED_MAX;
    mc_lex_init(&h->lex, 1);
    {
        mc_catmask_t all = mc_categories_all(policy->cats);

        h->xml_guard = policy->xml && (policy->granted & all) != all;
    }
    h->lex.report_mask = REPORTED_TAGS;
    h->lex.report_unless = REPORTED_UNLESS;
    h->long_from = h->oversized_from = (mc_lex_off_t)-1;
    return h;
}

mc_status_t mc_html_write(mc_html_t *h, const char *data, size_t len)
{
    mc_lex_event_t ev;

    if (h->error != MC_OK)
        return h->error;
    if (h->ended)
        return MC_EINVAL;
    if (len == 0)
        return MC_OK;
    h->chunk = data;
    mc_lex_chunk(&h->lex, data, len);
    while (h->error == MC_OK && (ev = mc_lex_next(&h->lex)) != MC_LEX_MORE) {
        if (h->long_on) /* a long tag ends before any event */
            long_walk_to(h, mc_lex_pos(&h->lex));
        if (ev == MC_LEX_TAG_NAME)
            on_tag_name(h);
        else if (ev == MC_LEX_TAG_END)
            on_tag_end(h);
        else
            on_markup_end(h);
        choose_reported(h);
    }
    chunk_done(h, h->chunk_off + len);
    out_flush(h);
    h->chunk_off += len;
    h->chunk = NULL;
    return h->error;
}

mc_status_t mc_html_end(mc_html_t *h)
{
    if (h->error != MC_OK || h->ended)
        return h->error;
    h->ended = 1;
    /* a sheet cut off by the end of the document applies as it is: it is
     * judged there (a script cut off so never runs) */
    if (h->sheet_on)
        sheet_end(h, carry_end(h));
    else if (h->hold == HOLD_BODY && h->hold_tag == MC_TAG_STYLE)
        held_body_end(h, carry_end(h));
    /* what is held passes as it was: an unfinished tag is no tag, and a
     * script cut off by the end of the document never runs */
    h->hold = HOLD_NONE;
    h->long_on = 0;
    emit_until(h, carry_end(h));
    if (injecting(h) && !h->banner_called) {
        if (!h->stats.head_injected)
            inject_head(h, h->out_off);
        inject_banner(h, h->out_off);
    }
    out_flush(h);
    /* a "</noscript" cut off by the end of the document ends nothing */
    sink_raw(h, MC_HTML_OUT_NEW, h->ns_pending, h->ns_pending_len);
    h->ns_pending_len = 0;
    return h->error;
}

size_t mc_html_held(const mc_html_t *h)
{
    return h->carry_len;
}

const mc_html_stats_t *mc_html_stats(const mc_html_t *h)
{
    return &h->stats;
}

int mc_html_has_base(const mc_html_t *h)
{
    return h->base_len > 0;
}
