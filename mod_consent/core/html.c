/* The streaming HTML rewriter: html_lex.c finds the tokens, this file
 * decides what to hold, what to rewrite and where to inject.
 *
 * Bytes flow through three places. Most leave as INPUT spans of the chunk
 * being written, sent lazily: out_off marks how far the sink has been
 * served, and a span is sent only when something must be inserted or
 * replaced after it, or when the chunk ends. What may still have to be
 * rewritten or identified — a start tag whose name is incomplete ("<scr"),
 * a target start tag, an inline script's body — is held: at a chunk's end
 * it is copied to the carry, a buffer of MC_HTML_TAG_MAX + inline_max bytes
 * made once. Rewritten markup is gathered in a small output buffer and
 * sent as NEW bytes.
 *
 * Every decision depends on the bytes alone, never on where a chunk ended:
 * a tag or script is "oversized" by its length, and the checks made at a
 * chunk's end only anticipate what the length will show.
 */
#include "html.h"

#include <apr_strings.h>
#include <string.h>

#include "html_lex.h"

/* Rewritten markup is sent in pieces of at most this many bytes. */
#define OUT_BUFFER 4096
/* A <html lang> value longer than this names no language. */
#define LANG_MAX 63
/* inline_max is clamped to this, so the carry's size cannot overflow. */
#define INLINE_LIMIT ((size_t)16 * 1024 * 1024)

typedef enum hold {
    HOLD_NONE = 0,
    HOLD_TAG, /* a start tag whose attributes are needed: from hold_from */
    HOLD_BODY /* an inline script: start tag and body, from hold_from */
} hold_t;

typedef enum doc_kind { DOC_UNKNOWN = 0, DOC_FULL, DOC_FRAGMENT } doc_kind_t;

/* The attributes the rewriter reads. */
typedef enum attr_id {
    A_SRC = 0,
    A_HREF,
    A_DATA,
    A_SRCSET,
    A_TYPE,
    A_CONSENT,
    A_CONSENT_SRC,
    A_CONSENT_SRCSET,
    A_CONSENT_TYPE,
    A_LANG,
    A_COUNT
} attr_id_t;

static const struct {
    const char *name;
    size_t len;
} attr_names[A_COUNT] = {{"src", 3},
                         {"href", 4},
                         {"data", 4},
                         {"srcset", 6},
                         {"type", 4},
                         {"data-consent", 12},
                         {"data-consent-src", 16},
                         {"data-consent-srcset", 19},
                         {"data-consent-type", 17},
                         {"lang", 4}};

#define BIT(a) (1u << (a))

/* The tags the rewriter acts on, once the document's head is settled. */
#define REPORTED_TAGS                                                                              \
    (MC_LEX_TAG_BIT(MC_TAG_HTML) | MC_LEX_TAG_BIT(MC_TAG_HEAD) | MC_LEX_TAG_BIT(MC_TAG_BODY) |     \
     MC_LEX_TAG_BIT(MC_TAG_FRAMESET) | MC_LEX_TAG_BIT(MC_TAG_SCRIPT) |                             \
     MC_LEX_TAG_BIT(MC_TAG_IFRAME) | MC_LEX_TAG_BIT(MC_TAG_IMG) | MC_LEX_TAG_BIT(MC_TAG_IMAGE) |   \
     MC_LEX_TAG_BIT(MC_TAG_EMBED) | MC_LEX_TAG_BIT(MC_TAG_OBJECT) | MC_LEX_TAG_BIT(MC_TAG_LINK))

struct mc_html {
    const mc_html_policy_t *policy;
    mc_html_sink_fn *sink;
    void *baton;
    mc_lex_t lex;
    mc_status_t error; /* the first sink error; it stops the rewriter */
    int ended;

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

    /* the start tag being read */
    mc_tag_id_t tag;
    int tag_html; /* an HTML element outside <template> */

    /* the document */
    doc_kind_t doc;
    int frameset;
    int html_seen;
    int banner_called;
    int has_lang;
    char lang[LANG_MAX + 1];

    size_t inline_max;
    char *url; /* a URL with "&amp;" decoded, for the classifier */
    char *out;
    size_t out_len;
    mc_html_stats_t stats;
};

/* One element the rewriter acts on, read from its start tag. */
typedef struct attr_slot {
    int set;
    int quote;
    size_t value;
    size_t value_len;
} attr_slot_t;

typedef struct element {
    mc_tag_id_t tag;
    const char *bytes;
    size_t len;
    mc_lex_tag_shape_t shape;
    attr_id_t url_attr;         /* src, href or data */
    attr_slot_t attrs[A_COUNT]; /* the first of each name: a browser ignores the rest */
} element_t;

typedef enum action { ACT_NONE = 0, ACT_NEUTRALISE, ACT_RESTORE, ACT_WAIT_BODY } action_t;

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

static void sink_send(mc_html_t *h, mc_html_out_t kind, const char *data, size_t len)
{
    if (h->error == MC_OK && len > 0)
        h->error = h->sink(h->baton, kind, data, len);
}

static void out_flush(mc_html_t *h)
{
    sink_send(h, MC_HTML_OUT_NEW, h->out, h->out_len);
    h->out_len = 0;
}

/* Appends to the rewritten markup being gathered. */
static void out_put(mc_html_t *h, const char *s, size_t n)
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

static void out_str(mc_html_t *h, const char *s)
{
    out_put(h, s, strlen(s));
}

/* Sends bytes as they are, after whatever was gathered before them. */
static void send_span(mc_html_t *h, mc_html_out_t kind, const char *data, size_t len)
{
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
    for (int a = 0; a < A_COUNT; a++) {
        if (attr_names[a].len == len && prefix_equals_ci(name, attr_names[a].name, len))
            return a;
    }
    return -1;
}

static void collect_attr(void *baton, const char *tag, const mc_lex_attr_t *attr)
{
    element_t *el = baton;
    int id = attr_lookup(tag + attr->name, attr->name_len);

    if (id < 0 || el->attrs[id].set)
        return;
    el->attrs[id] = (attr_slot_t){1, attr->quote, attr->value, attr->value_len};
}

static attr_id_t url_attr_of(mc_tag_id_t tag)
{
    if (tag == MC_TAG_OBJECT)
        return A_DATA;
    return tag == MC_TAG_LINK ? A_HREF : A_SRC;
}

/* Reads a complete start tag. 0 when its bytes are not one. */
static int element_read(element_t *el, mc_tag_id_t tag, const char *bytes, size_t len)
{
    memset(el, 0, sizeof(*el));
    el->tag = tag == MC_TAG_IMAGE ? MC_TAG_IMG : tag;
    el->bytes = bytes;
    el->len = len;
    el->url_attr = url_attr_of(el->tag);
    return mc_lex_tag_walk(bytes, len, collect_attr, el, &el->shape);
}

static int has(const element_t *el, attr_id_t a)
{
    return el->attrs[a].set;
}

/* The value of attribute A, trimmed of ASCII whitespace. */
static const char *value_of(const element_t *el, attr_id_t a, size_t *len)
{
    const char *v = el->bytes + el->attrs[a].value;

    *len = el->attrs[a].value_len;
    trim(&v, len);
    return v;
}

/* --- deciding ------------------------------------------------------------------------ */

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

static int script_plain(const element_t *el)
{
    size_t n;
    const char *t;

    if (!has(el, A_TYPE))
        return 0;
    t = value_of(el, A_TYPE, &n);
    return equals_ci(t, n, "text/plain");
}

static int classify(mc_html_t *h, mc_rule_kind_t kind, const char *subject, size_t len)
{
    if (!h->policy->classify || !h->policy->cats)
        return -1;
    return h->policy->classify(h->policy->classify_baton, kind, subject, len);
}

/* A URL as the classifier wants it: trimmed, and with the ampersand
 * references of query strings ("&amp;", "&#38;", "&#x26;") decoded. Other
 * references cannot change which host or path a rule sees. */
static const char *url_subject(mc_html_t *h, const char *v, size_t n, size_t *len)
{
    static const char *const amps[] = {"&amp;", "&#38;", "&#x26;"};
    size_t out = 0;

    trim(&v, &n);
    if (!memchr(v, '&', n)) {
        *len = n;
        return v;
    }
    for (size_t i = 0; i < n;) {
        size_t skip = 1;

        for (size_t k = 0; k < sizeof(amps) / sizeof(amps[0]); k++) {
            size_t m = strlen(amps[k]);

            if (n - i >= m && prefix_equals_ci(v + i, amps[k], m))
                skip = m;
        }
        h->url[out++] = v[i];
        i += skip;
    }
    *len = out;
    return h->url;
}

static int classify_url(mc_html_t *h, const char *v, size_t n)
{
    size_t len;
    const char *url = url_subject(h, v, n, &len);

    return len > 0 ? classify(h, MC_RULE_URL, url, len) : -1;
}

/* The first classified URL among an img's srcset candidates ("a.png 1x, b.png 2x"). */
static int classify_srcset(mc_html_t *h, const char *v, size_t n)
{
    size_t i = 0;

    while (i < n) {
        size_t start, cat_end;
        int cat;

        while (i < n && (is_space(v[i]) || v[i] == ','))
            i++;
        start = i;
        while (i < n && !is_space(v[i]))
            i++;
        cat_end = i;
        /* a candidate's URL may end with the comma that separates it */
        if (cat_end > start && v[cat_end - 1] == ',')
            cat_end--;
        cat = cat_end > start ? classify_url(h, v + start, cat_end - start) : -1;
        if (cat >= 0)
            return cat;
        while (i < n && v[i] != ',')
            i++;
    }
    return -1;
}

static int element_category(mc_html_t *h, const element_t *el)
{
    int cat = -1;

    if (has(el, el->url_attr))
        cat = classify_url(h, el->bytes + el->attrs[el->url_attr].value,
                           el->attrs[el->url_attr].value_len);
    if (cat < 0 && el->tag == MC_TAG_IMG && has(el, A_SRCSET))
        cat = classify_srcset(h, el->bytes + el->attrs[A_SRCSET].value,
                              el->attrs[A_SRCSET].value_len);
    return cat;
}

/* A category the visitor has not granted, that can be named in markup. */
static int refused(const mc_html_t *h, int cat)
{
    return cat >= 0 && !mc_catmask_has(h->policy->granted, cat) &&
           mc_categories_name(h->policy->cats, cat) != NULL;
}

/* An element the author marked with data-consent="CAT". */
static action_t decide_marked(const mc_html_t *h, const element_t *el)
{
    size_t n;
    const char *name = value_of(el, A_CONSENT, &n);
    int cat = h->policy->cats ? mc_categories_index_n(h->policy->cats, name, n) : -1;
    int granted = cat >= 0 && mc_catmask_has(h->policy->granted, cat);
    int neutralised = has(el, A_CONSENT_SRC) || (el->tag == MC_TAG_SCRIPT && script_plain(el));
    int live;

    if (el->tag == MC_TAG_SCRIPT)
        live = script_runs(el);
    else
        live = has(el, el->url_attr) || (el->tag == MC_TAG_IMG && has(el, A_SRCSET));
    if (granted && neutralised)
        return ACT_RESTORE;
    return !granted && live ? ACT_NEUTRALISE : ACT_NONE;
}

static action_t decide(mc_html_t *h, const element_t *el, int *cat)
{
    *cat = -1;
    if (has(el, A_CONSENT))
        return decide_marked(h, el);
    if (el->tag == MC_TAG_SCRIPT && !script_runs(el))
        return ACT_NONE;
    /* an inline script is judged by its body, which is still to come */
    if (el->tag == MC_TAG_SCRIPT && !has(el, A_SRC))
        return ACT_WAIT_BODY;
    *cat = element_category(h, el);
    return refused(h, *cat) ? ACT_NEUTRALISE : ACT_NONE;
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

/* ` src="PLACEHOLDER"` for a neutralised iframe, when the policy has one.
 * An author-marked element is of the category it names. */
static void write_placeholder(mc_html_t *h, const element_t *el, int cat)
{
    const char *url, *value;
    size_t url_len, n = 0;

    if (!h->policy->placeholder)
        return;
    if (has(el, A_CONSENT)) {
        const char *name = value_of(el, A_CONSENT, &n);
        cat = h->policy->cats ? mc_categories_index_n(h->policy->cats, name, n) : -1;
        n = 0;
    }
    if (cat < 0)
        return;
    url = url_subject(h, el->bytes + el->attrs[el->url_attr].value,
                      el->attrs[el->url_attr].value_len, &url_len);
    if (url_len == 0)
        return;
    value = h->policy->placeholder(h->policy->placeholder_baton, cat, url, url_len, &n);
    if (!value)
        return;
    out_str(h, " src=\"");
    out_put(h, value, n);
    out_str(h, "\"");
}

/* Writes the attributes that disarm EL; returns those to drop from the
 * original ones (every copy: a duplicate would otherwise take over). */
static unsigned write_neutralising(mc_html_t *h, const element_t *el, int cat)
{
    unsigned drop = 0;

    if (el->tag == MC_TAG_SCRIPT) {
        out_str(h, " type=\"text/plain\"");
        drop |= BIT(A_TYPE);
    }
    if (!has(el, A_CONSENT)) {
        out_str(h, " data-consent=\"");
        out_str(h, mc_categories_name(h->policy->cats, cat));
        out_str(h, "\"");
    }
    if (has(el, el->url_attr)) {
        write_attr(h, "data-consent-src", el, el->url_attr);
        drop |= BIT(el->url_attr) | BIT(A_CONSENT_SRC);
    }
    if (el->tag == MC_TAG_IFRAME && has(el, el->url_attr))
        write_placeholder(h, el, cat);
    if (el->tag == MC_TAG_IMG && has(el, A_SRCSET)) {
        write_attr(h, "data-consent-srcset", el, A_SRCSET);
        drop |= BIT(A_SRCSET) | BIT(A_CONSENT_SRCSET);
    }
    if (el->tag == MC_TAG_SCRIPT && has(el, A_TYPE)) {
        write_attr(h, "data-consent-type", el, A_TYPE);
        drop |= BIT(A_CONSENT_TYPE);
    }
    return drop;
}

/* Writes the attributes that bring a marked element back to life. */
static unsigned write_restoring(mc_html_t *h, const element_t *el)
{
    unsigned drop = 0;

    if (has(el, A_CONSENT_SRC)) {
        write_attr(h, attr_names[el->url_attr].name, el, A_CONSENT_SRC);
        drop |= BIT(A_CONSENT_SRC) | BIT(el->url_attr);
    }
    if (el->tag == MC_TAG_IMG && has(el, A_CONSENT_SRCSET)) {
        write_attr(h, "srcset", el, A_CONSENT_SRCSET);
        drop |= BIT(A_CONSENT_SRCSET) | BIT(A_SRCSET);
    }
    if (el->tag == MC_TAG_SCRIPT && has(el, A_CONSENT_TYPE)) {
        write_attr(h, "type", el, A_CONSENT_TYPE);
        drop |= BIT(A_CONSENT_TYPE) | BIT(A_TYPE);
    } else if (el->tag == MC_TAG_SCRIPT && script_plain(el)) {
        drop |= BIT(A_TYPE);
    }
    return drop;
}

typedef struct keep {
    mc_html_t *h;
    unsigned drop;
} keep_t;

static void keep_attr(void *baton, const char *tag, const mc_lex_attr_t *attr)
{
    keep_t *k = baton;
    int id = attr_lookup(tag + attr->name, attr->name_len);

    if (id < 0 || !(k->drop & BIT(id)))
        out_put(k->h, tag + attr->raw, attr->raw_end - attr->raw);
}

/* The start tag rewritten: its name, the new attributes, then the old ones
 * byte for byte, less those dropped, and its end ("/>" stays). */
static void write_element(mc_html_t *h, const element_t *el, action_t act, int cat)
{
    keep_t keep = {h, 0};
    mc_lex_tag_shape_t shape;

    out_put(h, el->bytes, el->shape.name_end);
    keep.drop = act == ACT_RESTORE ? write_restoring(h, el) : write_neutralising(h, el, cat);
    mc_lex_tag_walk(el->bytes, el->len, keep_attr, &keep, &shape);
    out_put(h, el->bytes + shape.tail, el->len - shape.tail);
    if (act == ACT_RESTORE)
        h->stats.restored++;
    else
        h->stats.neutralised++;
}

/* --- holding ------------------------------------------------------------------------ */

static int needs_attributes(const mc_html_t *h, mc_tag_id_t tag)
{
    switch (tag) {
    case MC_TAG_SCRIPT:
    case MC_TAG_IFRAME:
    case MC_TAG_IMG:
    case MC_TAG_IMAGE:
    case MC_TAG_EMBED:
    case MC_TAG_OBJECT:
    case MC_TAG_LINK: return 1;
    case MC_TAG_HTML: return !h->html_seen; /* for lang */
    default: return 0;
    }
}

/* The held element is let go as it is: past a cap, or not acted on. Its
 * bytes are sent with the next span. */
static void release(mc_html_t *h, int oversized)
{
    if (oversized && h->hold_tag != MC_TAG_HTML)
        h->stats.oversized++;
    h->hold = HOLD_NONE;
}

/* At a chunk's end: a hold that has already outgrown its cap ends here,
 * which is what its length would decide at its end anyway. */
static void check_caps(mc_html_t *h, mc_lex_off_t end)
{
    int tag_over = h->hold == HOLD_TAG && end - h->hold_from > MC_HTML_TAG_MAX;
    int body_over = h->hold == HOLD_BODY && end - h->body_from > h->inline_max;

    if (tag_over || body_over)
        release(h, 1);
}

static void read_lang(mc_html_t *h, const element_t *el)
{
    size_t n = el->attrs[A_LANG].value_len;

    if (!has(el, A_LANG) || n > LANG_MAX)
        return;
    memcpy(h->lang, el->bytes + el->attrs[A_LANG].value, n);
    h->lang[n] = '\0';
    h->has_lang = 1;
}

/* The held start tag is complete at END. */
static void held_tag_end(mc_html_t *h, mc_lex_off_t end)
{
    element_t el;
    action_t act;
    int cat;

    if (end - h->hold_from > MC_HTML_TAG_MAX) {
        release(h, 1);
        return;
    }
    emit_until(h, h->hold_from);
    if (!element_read(&el, h->hold_tag, contiguous(h, h->hold_from, end),
                      (size_t)(end - h->hold_from))) {
        release(h, 0);
        return;
    }
    if (el.tag == MC_TAG_HTML) {
        read_lang(h, &el);
        release(h, 0);
        return;
    }
    act = decide(h, &el, &cat);
    if (act == ACT_WAIT_BODY) {
        h->hold = HOLD_BODY;
        h->body_from = end;
        return;
    }
    if (act != ACT_NONE) {
        write_element(h, &el, act, cat);
        drop_until(h, end);
    }
    release(h, 0);
}

/* The held inline script's end tag begins at LT; the lexer stands at the
 * byte after "</script". */
static void held_body_end(mc_html_t *h, mc_lex_off_t lt)
{
    const char *all;
    size_t tag_len = (size_t)(h->body_from - h->hold_from);
    element_t el;
    int cat;

    if (mc_lex_pos(&h->lex) - h->body_from > h->inline_max) {
        release(h, 1);
        return;
    }
    emit_until(h, h->hold_from);
    all = contiguous(h, h->hold_from, lt);
    cat = classify(h, MC_RULE_INLINE, all + tag_len, (size_t)(lt - h->body_from));
    if (refused(h, cat) && element_read(&el, MC_TAG_SCRIPT, all, tag_len)) {
        write_element(h, &el, ACT_NEUTRALISE, cat);
        drop_until(h, h->body_from);
    }
    release(h, 0);
}

/* --- events -------------------------------------------------------------------------- */

/* A start tag's name is known; its '<' is at lex.tok_start, unsent. */
static void start_tag_named(mc_html_t *h)
{
    mc_lex_t *lx = &h->lex;
    mc_tag_id_t tag = lx->tag;

    h->tag = tag;
    h->tag_html = mc_lex_html_context(lx);
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
        h->hold_from = lx->tok_start;
    }
}

static void on_tag_name(mc_html_t *h)
{
    if (!h->lex.end_tag)
        start_tag_named(h);
    else if (h->hold == HOLD_BODY)
        held_body_end(h, h->lex.tok_start);
}

static void on_tag_end(mc_html_t *h)
{
    mc_lex_off_t end = mc_lex_pos(&h->lex);

    if (h->lex.end_tag)
        return;
    if (h->hold == HOLD_TAG)
        held_tag_end(h, end);
    if (!h->tag_html || !injecting(h))
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
    h->lex.report_all = h->doc == DOC_UNKNOWN || (injecting(h) && !h->stats.head_injected);
}

/* The chunk is read: send what need not be held, carry the rest. */
static void chunk_done(mc_html_t *h, mc_lex_off_t end)
{
    mc_lex_off_t keep = end;

    check_caps(h, end);
    if (h->hold != HOLD_NONE)
        keep = h->hold_from;
    else if (mc_lex_name_pending(&h->lex))
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

    h->policy = policy;
    h->sink = sink;
    h->baton = baton;
    h->inline_max = policy->inline_max ? policy->inline_max : MC_HTML_INLINE_MAX;
    if (h->inline_max > INLINE_LIMIT)
        h->inline_max = INLINE_LIMIT;
    h->carry_cap = MC_HTML_TAG_MAX + h->inline_max;
    h->carry = apr_palloc(p, h->carry_cap);
    h->url = apr_palloc(p, MC_HTML_TAG_MAX);
    h->out = apr_palloc(p, OUT_BUFFER);
    mc_lex_init(&h->lex, 1);
    h->lex.report_mask = REPORTED_TAGS;
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
    /* what is held passes as it was: an unfinished tag is no tag, and a
     * script cut off by the end of the document never runs */
    h->hold = HOLD_NONE;
    emit_until(h, carry_end(h));
    if (injecting(h) && !h->banner_called) {
        if (!h->stats.head_injected)
            inject_head(h, h->out_off);
        inject_banner(h, h->out_off);
    }
    out_flush(h);
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
