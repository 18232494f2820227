#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memrchr */
#endif
#include "html_lex.h"

#include "charref.h"

#include <string.h>

/* SSE2 (every x86-64) finds the end of a quoted value sixteen bytes at a
 * time; elsewhere, or with MC_HTML_NO_SIMD, a plain loop does. */
#if defined(__SSE2__) && !defined(MC_HTML_NO_SIMD)
#define MC_LEX_SSE2 1
#include <emmintrin.h>
#endif

/* The grammar, after the HTML standard's tokenizer states. States the
 * standard has but that cannot move a token boundary are folded away:
 * comment "less-than sign" states (a nested "<!--" only raises an error),
 * the RCDATA/RAWTEXT temporary buffers (text either way), the doctype
 * sub-states (every one of them ends at the first '>'). */
enum lex_state {
    S_DATA = 0,
    S_TAG_OPEN,     /* "<" */
    S_END_TAG_OPEN, /* "</" */
    S_TAG_NAME,     /* "<na" */
    S_TAG,          /* after the name: attributes, to '>' (tag_state) */
    S_MARKUP_DECL,  /* "<!" matching "--", "DOCTYPE" or "[CDATA[" */
    S_COMMENT_START,
    S_COMMENT_START_DASH,
    S_COMMENT,
    S_COMMENT_END_DASH,
    S_COMMENT_END,
    S_COMMENT_END_BANG,
    S_BOGUS,
    S_DOCTYPE,
    S_CDATA,
    S_CDATA_BRACKET,
    S_CDATA_END,
    S_RCDATA,
    S_RAWTEXT,
    S_PLAINTEXT,
    S_RAW_LT,       /* "<" in RCDATA or RAWTEXT */
    S_RAW_END_OPEN, /* "</" in raw text: is an end tag for the element next? */
    S_RAW_END_NAME, /* "</scr": matching the element's name */
    S_SCRIPT,
    S_SCRIPT_LT,
    S_SCRIPT_ESC_START,      /* "<!" */
    S_SCRIPT_ESC_START_DASH, /* "<!-" */
    S_SCRIPT_ESC,            /* inside "<!--" ... "-->" */
    S_SCRIPT_ESC_DASH,
    S_SCRIPT_ESC_DASH_DASH,
    S_SCRIPT_ESC_LT,
    S_SCRIPT_DESC_START, /* "<scr" inside the escape: double escape? */
    S_SCRIPT_DESC,       /* double escaped: "</script>" does not end the script */
    S_SCRIPT_DESC_DASH,
    S_SCRIPT_DESC_DASH_DASH,
    S_SCRIPT_DESC_LT,
    S_SCRIPT_DESC_END /* "</scr" inside the double escape */
};

/* Inside a tag: the standard's tag name and attribute states, one to one. */
enum tag_state {
    T_NAME = 0,
    T_BEFORE_ATTR,
    T_ATTR_NAME,
    T_AFTER_ATTR,
    T_BEFORE_VALUE,
    T_VALUE_DQ,
    T_VALUE_SQ,
    T_VALUE_UNQ,
    T_AFTER_VALUE,
    T_SELF_CLOSING,
    T_DONE,
    T_COUNT = T_DONE
};

/* The only bytes that steer the tag states. */
enum tag_class { C_OTHER = 0, C_SPACE, C_SLASH, C_EQ, C_GT, C_DQ, C_SQ, C_COUNT };

static const unsigned char tag_class[256] = {
    ['\t'] = C_SPACE, ['\n'] = C_SPACE, ['\f'] = C_SPACE, ['\r'] = C_SPACE, [' '] = C_SPACE,
    ['/'] = C_SLASH,  ['='] = C_EQ,     ['>'] = C_GT,     ['"'] = C_DQ,     ['\''] = C_SQ};

/* The transition table both the streaming scan and mc_lex_tag_walk run.
 * Columns: other, space, '/', '=', '>', '"', '\''. A carriage return
 * counts as space: the standard's input preprocessing turns it into a
 * line feed. */
static const unsigned char tag_next[T_COUNT][C_COUNT] = {
    [T_NAME] = {T_NAME, T_BEFORE_ATTR, T_SELF_CLOSING, T_NAME, T_DONE, T_NAME, T_NAME},
    /* '=' or a quote here starts an attribute name ("<a =x>" has an attribute "=x") */
    [T_BEFORE_ATTR] = {T_ATTR_NAME, T_BEFORE_ATTR, T_SELF_CLOSING, T_ATTR_NAME, T_DONE, T_ATTR_NAME,
                       T_ATTR_NAME},
    [T_ATTR_NAME] = {T_ATTR_NAME, T_AFTER_ATTR, T_SELF_CLOSING, T_BEFORE_VALUE, T_DONE, T_ATTR_NAME,
                     T_ATTR_NAME},
    [T_AFTER_ATTR] = {T_ATTR_NAME, T_AFTER_ATTR, T_SELF_CLOSING, T_BEFORE_VALUE, T_DONE,
                      T_ATTR_NAME, T_ATTR_NAME},
    /* only here does a quote open a value */
    [T_BEFORE_VALUE] = {T_VALUE_UNQ, T_BEFORE_VALUE, T_VALUE_UNQ, T_VALUE_UNQ, T_DONE, T_VALUE_DQ,
                        T_VALUE_SQ},
    [T_VALUE_DQ] = {T_VALUE_DQ, T_VALUE_DQ, T_VALUE_DQ, T_VALUE_DQ, T_VALUE_DQ, T_AFTER_VALUE,
                    T_VALUE_DQ},
    [T_VALUE_SQ] = {T_VALUE_SQ, T_VALUE_SQ, T_VALUE_SQ, T_VALUE_SQ, T_VALUE_SQ, T_VALUE_SQ,
                    T_AFTER_VALUE},
    [T_VALUE_UNQ] = {T_VALUE_UNQ, T_BEFORE_ATTR, T_VALUE_UNQ, T_VALUE_UNQ, T_DONE, T_VALUE_UNQ,
                     T_VALUE_UNQ},
    /* "a="1"b=2": the next attribute may follow without a space */
    [T_AFTER_VALUE] = {T_ATTR_NAME, T_BEFORE_ATTR, T_SELF_CLOSING, T_ATTR_NAME, T_DONE, T_ATTR_NAME,
                       T_ATTR_NAME},
    [T_SELF_CLOSING] = {T_ATTR_NAME, T_BEFORE_ATTR, T_SELF_CLOSING, T_ATTR_NAME, T_DONE,
                        T_ATTR_NAME, T_ATTR_NAME}};

/* A frame's namespace (mc_lex_frame_t.ns) and whether it is an
 * integration point (ip): an HTML one (SVG foreignObject, desc, title;
 * MathML annotation-xml with an HTML encoding), a MathML text one (mi, mo,
 * mn, ms, mtext), or an annotation-xml that is neither (an <svg> inside it
 * is an SVG root). */
enum frame_ns { NS_SVG = 1, NS_MATH };
enum frame_ip { IP_NONE = 0, IP_HTML, IP_TEXT, IP_ANNOT };

/* Keywords after "<!" (markup_kind). */
enum markup_keyword { K_NONE = 0, K_COMMENT, K_DOCTYPE, K_CDATA };

static const char script_name[] = "script";
#define SCRIPT_NAME_LEN 6

/* --- bytes ------------------------------------------------------------------------ */

static int is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static char ascii_lower(unsigned char c)
{
    return (char)((c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c);
}

/* C with bit 0x20 set: its lower case when it is a letter, and never a
 * letter when it is not (0x40 and 0x5b..0x5f become '`' and '{'..DEL). So
 * where only letters can match — the keys of fetching_keys[] — it does
 * what ascii_lower does, in one instruction. */
static unsigned char fold_letter(char c)
{
    return (unsigned char)c | 0x20u;
}

/* Whitespace, '/' or '>': what may follow a tag name. */
static int ends_name(unsigned char c)
{
    unsigned k = tag_class[c];

    return k == C_SPACE || k == C_SLASH || k == C_GT;
}

static mc_lex_off_t off_of(const mc_lex_t *lx, const char *at)
{
    return lx->chunk_off + (mc_lex_off_t)(at - lx->chunk);
}

/* --- searching a few bytes ahead -------------------------------------------------------
 *
 * Inside a tag the runs are short (a name, a value: a few bytes each), so
 * they are searched a byte at a time, each byte's class from one table.
 * Sixteen-byte compares measured slower there: each class of byte costs a
 * compare, and the next step waits for the compare's result, where a byte
 * loop lets the branch predictor run ahead. Only a tag's name, read once
 * per tag, is found with one load (tag_name_fast). */

/* Bytes of the classes in SET (a bit per enum tag_class). */
#define CLASS_BIT(k) (1u << (k))
#define SET_NAME_END (CLASS_BIT(C_SPACE) | CLASS_BIT(C_SLASH) | CLASS_BIT(C_GT))
#define SET_ATTR_NAME_END (SET_NAME_END | CLASS_BIT(C_EQ) | CLASS_BIT(C_DQ) | CLASS_BIT(C_SQ))
#define SET_VALUE_END (CLASS_BIT(C_SPACE) | CLASS_BIT(C_GT))

/* Each byte's class as its bit (CLASS_BIT), 0 for an ordinary byte: a
 * byte is tested against a set with one instruction. */
static const unsigned char tag_bits[256] = {
    ['\t'] = CLASS_BIT(C_SPACE), ['\n'] = CLASS_BIT(C_SPACE), ['\f'] = CLASS_BIT(C_SPACE),
    ['\r'] = CLASS_BIT(C_SPACE), [' '] = CLASS_BIT(C_SPACE),  ['/'] = CLASS_BIT(C_SLASH),
    ['='] = CLASS_BIT(C_EQ),     ['>'] = CLASS_BIT(C_GT),     ['"'] = CLASS_BIT(C_DQ),
    ['\''] = CLASS_BIT(C_SQ)};

/* The first byte at or after P of a class in SET, where a '>' lies ahead
 * of P: every set holds '>', so the search stops there at the latest and
 * needs no bound (one compare and branch less a byte, on the bytes of
 * every attribute name). Two bytes a turn: when the first is not in SET
 * it is no '>', so the '>' ahead lies past it and the second is there. */
static inline const char *find_fenced(const char *p, unsigned set)
{
    for (;; p += 2) {
        if (tag_bits[(unsigned char)p[0]] & set)
            return p;
        if (tag_bits[(unsigned char)p[1]] & set)
            return p + 1;
    }
}

/* Past the whitespace at P, where a '>' lies ahead. */
static const char *skip_space_fenced(const char *p)
{
    while (tag_bits[(unsigned char)*p] & CLASS_BIT(C_SPACE))
        p++;
    return p;
}

#ifdef MC_LEX_SSE2
static unsigned byte_mask(__m128i v, char c)
{
    return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(c)));
}

/* The bytes of V that may end a tag name, a bit each: whitespace, '/',
 * '>', and the other bytes up to ' ', which one compare takes with the
 * whitespace (tag_name_fast sends those few names to the bytewise read). */
static unsigned name_end_mask(__m128i v)
{
    __m128i low = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(' ')), v);
    __m128i slash = _mm_cmpeq_epi8(v, _mm_set1_epi8('/'));
    __m128i gt = _mm_cmpeq_epi8(v, _mm_set1_epi8('>'));

    return (unsigned)_mm_movemask_epi8(_mm_or_si128(low, _mm_or_si128(slash, gt)));
}

static __m128i lower16(__m128i v)
{
    __m128i upper = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('A' - 1)),
                                  _mm_cmplt_epi8(v, _mm_set1_epi8('Z' + 1)));

    return _mm_add_epi8(v, _mm_and_si128(upper, _mm_set1_epi8('a' - 'A')));
}
#endif

/* The next '<' in [P, END), or NULL. On tag-heavy pages it is mostly a
 * few bytes on, which one compare of sixteen finds sooner than a call. */
static const char *find_lt(const char *p, const char *end)
{
#ifdef MC_LEX_SSE2
    if (end - p >= 16) {
        unsigned hits = byte_mask(_mm_loadu_si128((const __m128i *)(const void *)p), '<');

        if (hits)
            return p + __builtin_ctz(hits);
        p += 16;
    }
#endif
    return memchr(p, '<', (size_t)(end - p));
}

/* The first '-' or '<' in [P, END), or END. Only escaped script text needs
 * two bytes at once, and it is rare enough for a plain loop. */
static const char *find_dash_or_lt(const char *p, const char *end)
{
    while (p < end && *p != '-' && *p != '<')
        p++;
    return p;
}

/* --- tag names -------------------------------------------------------------------- */

/* Tag names are found with one probe of a hash table: a name's slot is
 * worked out from its first four bytes (zero past its end) and its length,
 * a multiplicative hash. The slots of the names below are all different —
 * were two to collide, the second initialiser would override the first,
 * which -Wextra (gcc's -Woverride-init, clang's -Winitializer-overrides)
 * makes an error. The four bytes come from the register that read the
 * name (tag_name_fast), so the probe need not wait for a load of the
 * name's last byte. Looked up once per tag, this avoids the mispredicted
 * branches of a search through lists. */
#define TAG_SLOTS 512
#define TAG_LEAD(b0, b1, b2, b3)                                                                   \
    ((uint32_t)(b0) | (uint32_t)(b1) << 8 | (uint32_t)(b2) << 16 | (uint32_t)(b3) << 24)
#define TAG_HASH(lead, len) ((uint32_t)(((lead) ^ ((uint32_t)(len) << 16)) * 0x803468b7u) >> 23)
#define TAG_SLOT(b0, b1, b2, b3, len) TAG_HASH(TAG_LEAD(b0, b1, b2, b3), len)

typedef struct tag_name {
    char name[MC_LEX_NAME_MAX + 1];
    mc_tag_id_t id;
} tag_name_t;

#define BREAKOUT MC_TAG_BREAKOUT
static const tag_name_t tag_names[TAG_SLOTS] = {
    [TAG_SLOT('b', 0, 0, 0, 1)] = {"b", BREAKOUT},
    [TAG_SLOT('b', 'i', 'g', 0, 3)] = {"big", BREAKOUT},
    [TAG_SLOT('b', 'l', 'o', 'c', 10)] = {"blockquote", BREAKOUT},
    [TAG_SLOT('b', 'o', 'd', 'y', 4)] = {"body", MC_TAG_BODY},
    [TAG_SLOT('b', 'r', 0, 0, 2)] = {"br", MC_TAG_BR},
    [TAG_SLOT('c', 'e', 'n', 't', 6)] = {"center", BREAKOUT},
    [TAG_SLOT('c', 'o', 'd', 'e', 4)] = {"code", BREAKOUT},
    [TAG_SLOT('d', 'd', 0, 0, 2)] = {"dd", BREAKOUT},
    [TAG_SLOT('d', 'e', 's', 'c', 4)] = {"desc", MC_TAG_DESC},
    [TAG_SLOT('d', 'i', 'v', 0, 3)] = {"div", BREAKOUT},
    [TAG_SLOT('d', 'l', 0, 0, 2)] = {"dl", BREAKOUT},
    [TAG_SLOT('d', 't', 0, 0, 2)] = {"dt", BREAKOUT},
    [TAG_SLOT('e', 'm', 0, 0, 2)] = {"em", BREAKOUT},
    [TAG_SLOT('e', 'm', 'b', 'e', 5)] = {"embed", MC_TAG_EMBED},
    [TAG_SLOT('f', 'o', 'r', 'e', 13)] = {"foreignobject", MC_TAG_FOREIGNOBJECT},
    [TAG_SLOT('f', 'r', 'a', 'm', 8)] = {"frameset", MC_TAG_FRAMESET},
    [TAG_SLOT('h', '1', 0, 0, 2)] = {"h1", BREAKOUT},
    [TAG_SLOT('h', '2', 0, 0, 2)] = {"h2", BREAKOUT},
    [TAG_SLOT('h', '3', 0, 0, 2)] = {"h3", BREAKOUT},
    [TAG_SLOT('h', '4', 0, 0, 2)] = {"h4", BREAKOUT},
    [TAG_SLOT('h', '5', 0, 0, 2)] = {"h5", BREAKOUT},
    [TAG_SLOT('h', '6', 0, 0, 2)] = {"h6", BREAKOUT},
    [TAG_SLOT('h', 'e', 'a', 'd', 4)] = {"head", MC_TAG_HEAD},
    [TAG_SLOT('h', 'r', 0, 0, 2)] = {"hr", BREAKOUT},
    [TAG_SLOT('h', 't', 'm', 'l', 4)] = {"html", MC_TAG_HTML},
    [TAG_SLOT('i', 0, 0, 0, 1)] = {"i", BREAKOUT},
    [TAG_SLOT('i', 'f', 'r', 'a', 6)] = {"iframe", MC_TAG_IFRAME},
    [TAG_SLOT('i', 'm', 'a', 'g', 5)] = {"image", MC_TAG_IMAGE},
    [TAG_SLOT('i', 'm', 'g', 0, 3)] = {"img", MC_TAG_IMG},
    [TAG_SLOT('l', 'i', 0, 0, 2)] = {"li", BREAKOUT},
    [TAG_SLOT('l', 'i', 'n', 'k', 4)] = {"link", MC_TAG_LINK},
    [TAG_SLOT('l', 'i', 's', 't', 7)] = {"listing", BREAKOUT},
    [TAG_SLOT('m', 'a', 't', 'h', 4)] = {"math", MC_TAG_MATH},
    [TAG_SLOT('m', 'e', 'n', 'u', 4)] = {"menu", BREAKOUT},
    [TAG_SLOT('m', 'e', 't', 'a', 4)] = {"meta", MC_TAG_META},
    [TAG_SLOT('m', 'i', 0, 0, 2)] = {"mi", MC_TAG_MI},
    [TAG_SLOT('m', 'n', 0, 0, 2)] = {"mn", MC_TAG_MN},
    [TAG_SLOT('m', 'o', 0, 0, 2)] = {"mo", MC_TAG_MO},
    [TAG_SLOT('m', 's', 0, 0, 2)] = {"ms", MC_TAG_MS},
    [TAG_SLOT('m', 't', 'e', 'x', 5)] = {"mtext", MC_TAG_MTEXT},
    [TAG_SLOT('n', 'o', 'b', 'r', 4)] = {"nobr", BREAKOUT},
    [TAG_SLOT('n', 'o', 'e', 'm', 7)] = {"noembed", MC_TAG_NOEMBED},
    [TAG_SLOT('n', 'o', 'f', 'r', 8)] = {"noframes", MC_TAG_NOFRAMES},
    [TAG_SLOT('o', 'b', 'j', 'e', 6)] = {"object", MC_TAG_OBJECT},
    [TAG_SLOT('o', 'l', 0, 0, 2)] = {"ol", BREAKOUT},
    [TAG_SLOT('p', 0, 0, 0, 1)] = {"p", MC_TAG_P},
    [TAG_SLOT('p', 'l', 'a', 'i', 9)] = {"plaintext", MC_TAG_PLAINTEXT},
    [TAG_SLOT('p', 'r', 'e', 0, 3)] = {"pre", BREAKOUT},
    [TAG_SLOT('r', 'u', 'b', 'y', 4)] = {"ruby", BREAKOUT},
    [TAG_SLOT('s', 0, 0, 0, 1)] = {"s", BREAKOUT},
    [TAG_SLOT('s', 'c', 'r', 'i', 6)] = {"script", MC_TAG_SCRIPT},
    [TAG_SLOT('s', 'm', 'a', 'l', 5)] = {"small", BREAKOUT},
    [TAG_SLOT('s', 'p', 'a', 'n', 4)] = {"span", BREAKOUT},
    [TAG_SLOT('s', 't', 'r', 'i', 6)] = {"strike", BREAKOUT},
    [TAG_SLOT('s', 't', 'r', 'o', 6)] = {"strong", BREAKOUT},
    [TAG_SLOT('s', 't', 'y', 'l', 5)] = {"style", MC_TAG_STYLE},
    [TAG_SLOT('s', 'u', 'b', 0, 3)] = {"sub", BREAKOUT},
    [TAG_SLOT('s', 'u', 'p', 0, 3)] = {"sup", BREAKOUT},
    [TAG_SLOT('s', 'v', 'g', 0, 3)] = {"svg", MC_TAG_SVG},
    [TAG_SLOT('t', 'a', 'b', 'l', 5)] = {"table", BREAKOUT},
    [TAG_SLOT('t', 'e', 'm', 'p', 8)] = {"template", MC_TAG_TEMPLATE},
    [TAG_SLOT('t', 'e', 'x', 't', 8)] = {"textarea", MC_TAG_TEXTAREA},
    [TAG_SLOT('t', 'i', 't', 'l', 5)] = {"title", MC_TAG_TITLE},
    [TAG_SLOT('t', 't', 0, 0, 2)] = {"tt", BREAKOUT},
    [TAG_SLOT('u', 0, 0, 0, 1)] = {"u", BREAKOUT},
    [TAG_SLOT('u', 'l', 0, 0, 2)] = {"ul", BREAKOUT},
    [TAG_SLOT('v', 'a', 'r', 0, 3)] = {"var", BREAKOUT},
    [TAG_SLOT('x', 'm', 'p', 0, 3)] = {"xmp", MC_TAG_XMP},
    [TAG_SLOT('v', 'i', 'd', 'e', 5)] = {"video", MC_TAG_VIDEO},
    [TAG_SLOT('a', 'u', 'd', 'i', 5)] = {"audio", MC_TAG_AUDIO},
    [TAG_SLOT('s', 'o', 'u', 'r', 6)] = {"source", MC_TAG_SOURCE},
    [TAG_SLOT('t', 'r', 'a', 'c', 5)] = {"track", MC_TAG_TRACK},
    [TAG_SLOT('i', 'n', 'p', 'u', 5)] = {"input", MC_TAG_INPUT},
    [TAG_SLOT('b', 'a', 's', 'e', 4)] = {"base", MC_TAG_BASE},
    [TAG_SLOT('f', 'r', 'a', 'm', 5)] = {"frame", MC_TAG_FRAME},
    [TAG_SLOT('n', 'o', 's', 'c', 8)] = {"noscript", MC_TAG_NOSCRIPT},
    [TAG_SLOT('u', 's', 'e', 0, 3)] = {"use", MC_TAG_USE},
    [TAG_SLOT('f', 'e', 'i', 'm', 7)] = {"feimage", MC_TAG_FEIMAGE},
    [TAG_SLOT('f', 'o', 'n', 't', 4)] = {"font", MC_TAG_FONT},
    [TAG_SLOT('a', 'n', 'n', 'o', 14)] = {"annotation-xml", MC_TAG_ANNOTATION_XML},
    [TAG_SLOT('m', 'g', 'l', 'y', 6)] = {"mglyph", MC_TAG_MGLYPH},
};
#undef BREAKOUT

/* The first four bytes of a name of LEN bytes, lower-case, as one word;
 * zero past its end. */
static uint32_t name_lead(const char *name, size_t len)
{
    uint32_t lead = 0;

    for (size_t i = 0; i < len && i < 4; i++)
        lead |= (uint32_t)(unsigned char)ascii_lower((unsigned char)name[i]) << (8 * i);
    return lead;
}

/* The slot of the name at NAME, in any case. */
static const tag_name_t *name_slot(const char *name, size_t len)
{
    return &tag_names[TAG_HASH(name_lead(name, len), len)];
}

static mc_tag_id_t lookup_name(const char *name, size_t len)
{
    const tag_name_t *t;

    if (len > MC_LEX_NAME_MAX)
        return MC_TAG_OTHER;
    t = name_slot(name, len);
    return memcmp(t->name, name, len) == 0 && t->name[len] == '\0' ? t->id : MC_TAG_OTHER;
}

mc_tag_id_t mc_tag_lookup(const char *name, size_t len)
{
    return len > 0 ? lookup_name(name, len) : MC_TAG_OTHER;
}

/* The HTML elements whose start tag ends foreign content ("<svg><p>"); a
 * <font> does when it has color, face or size (mc_lex_tree_attrs). */
static int breaks_out(mc_tag_id_t id)
{
    return id == MC_TAG_BREAKOUT || id == MC_TAG_P || id == MC_TAG_BR || id == MC_TAG_IMG ||
           id == MC_TAG_EMBED || id == MC_TAG_BODY || id == MC_TAG_HEAD || id == MC_TAG_META;
}

/* HTML elements that have no end tag: nothing stays open after them. */
static int html_void(const mc_lex_t *lx)
{
    static const char *const others[] = {"area",     "col",     "hr",     "wbr",
                                         "basefont", "bgsound", "keygen", "param"};

    switch (lx->tag) {
    case MC_TAG_IMG:
    case MC_TAG_IMAGE:
    case MC_TAG_EMBED:
    case MC_TAG_INPUT:
    case MC_TAG_LINK:
    case MC_TAG_META:
    case MC_TAG_BASE:
    case MC_TAG_SOURCE:
    case MC_TAG_TRACK:
    case MC_TAG_FRAME:
    case MC_TAG_BR: return 1;
    case MC_TAG_OTHER:
    case MC_TAG_BREAKOUT:
        for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
            if (strcmp(lx->name, others[i]) == 0)
                return 1;
        }
        return 0;
    default: return 0;
    }
}

/* --- the tree: what a browser's tree builder would tell the tokenizer -------------
 *
 * The frames are the open SVG and MathML elements, innermost last, as the
 * standard's stack of open elements holds them; the HTML elements around
 * them are not followed, and those inside an integration point only
 * counted (html_open). A start tag goes to the HTML rules where the
 * standard's tree construction dispatcher sends it there (start_is_html);
 * otherwise it is a foreign element, unless it breaks out. An end tag
 * closes the innermost open foreign element of its name, as the
 * foreign-content rules do. */

static mc_lex_frame_t *top_frame(mc_lex_t *lx)
{
    return lx->nframes > 0 ? &lx->frames[lx->nframes - 1] : NULL;
}

static const mc_lex_frame_t *top_frame_c(const mc_lex_t *lx)
{
    return lx->nframes > 0 ? &lx->frames[lx->nframes - 1] : NULL;
}

/* The start tag just named is read by the HTML rules: no foreign element
 * is open, or the current one is an integration point that takes it, or
 * an HTML element is open inside one. */
static int start_is_html(const mc_lex_t *lx)
{
    const mc_lex_frame_t *f = top_frame_c(lx);

    if (!f || f->html_open > 0)
        return 1;
    switch (f->ip) {
    case IP_HTML: return 1;
    case IP_TEXT: /* <malignmark> has no id of its own (its hash slot is taken) */
        return lx->tag != MC_TAG_MGLYPH &&
               !(lx->name_len == 10 && memcmp(lx->name, "malignmark", 10) == 0);
    case IP_ANNOT: return lx->tag == MC_TAG_SVG;
    default: return 0;
    }
}

/* "<![CDATA[" opens a CDATA section: the current node is not an HTML
 * element. Inside an integration point where HTML elements were opened
 * the count of those still open may be wrong (the lexer does not follow
 * every implied end tag): read as a bogus comment, whose end shows what
 * the section would hide, and uncertain from there on. */
static int cdata_allowed(mc_lex_t *lx)
{
    mc_lex_frame_t *f = top_frame(lx);

    if (!f || lx->uncertain)
        return 0;
    if (f->html_seen) {
        lx->uncertain = 1;
        return 0;
    }
    return 1;
}

int mc_lex_foreign(const mc_lex_t *lx)
{
    const mc_lex_frame_t *f = top_frame_c(lx);

    return f && f->html_open == 0 && f->ip != IP_HTML && f->ip != IP_TEXT;
}

int mc_lex_uncertain(const mc_lex_t *lx)
{
    return lx->uncertain && lx->nframes > 0;
}

/* Inside <template> only when every template around is a live shadow root. */
int mc_lex_inert(const mc_lex_t *lx)
{
    unsigned d = lx->template_depth;

    if (d == 0)
        return 0;
    if (d > 64)
        return 1;
    return (lx->template_live & (d == 64 ? ~(uint64_t)0 : (((uint64_t)1 << d) - 1))) !=
           (d == 64 ? ~(uint64_t)0 : (((uint64_t)1 << d) - 1));
}

void mc_lex_template_is_live(mc_lex_t *lx)
{
    if (lx->template_depth > 0 && lx->template_depth <= 64)
        lx->template_live |= (uint64_t)1 << (lx->template_depth - 1);
}

int mc_lex_html_context(const mc_lex_t *lx)
{
    if (mc_lex_inert(lx))
        return 0;
    return start_is_html(lx) || breaks_out(lx->tag);
}

static void frames_set(mc_lex_t *lx, unsigned n)
{
    lx->nframes = n;
    if (n == 0)
        lx->uncertain = 0;
}

/* Opens a frame for the element just named. Past MC_LEX_FRAMES_MAX the
 * element is not followed, and the lexer is uncertain. */
static void frame_push(mc_lex_t *lx, enum frame_ns ns, enum frame_ip ip)
{
    mc_lex_frame_t *f;

    if (lx->nframes == MC_LEX_FRAMES_MAX) {
        lx->uncertain = 1;
        return;
    }
    f = &lx->frames[lx->nframes++];
    f->ns = (uint8_t)ns;
    f->ip = (uint8_t)ip;
    f->html_open = 0;
    f->html_seen = 0;
    f->depth = 1;
    f->tpl = (uint16_t)(lx->template_depth < 0xffff ? lx->template_depth : 0xffff);
    f->name_len = (uint8_t)lx->name_len;
    memcpy(f->name, lx->name, lx->name_len);
    f->name[lx->name_len] = '\0';
}

static int frame_named(const mc_lex_frame_t *f, const mc_lex_t *lx)
{
    return f->name_len == lx->name_len && memcmp(f->name, lx->name, lx->name_len) == 0;
}

/* Closes the innermost element of frame K, and every frame above it. */
static void frame_close(mc_lex_t *lx, unsigned k)
{
    frames_set(lx, --lx->frames[k].depth == 0 ? k : k + 1);
}

/* A breakout: pops to the nearest integration point (or HTML). */
static void frames_pop_foreign(mc_lex_t *lx)
{
    unsigned n = lx->nframes;

    while (n > 0 && lx->frames[n - 1].ip != IP_HTML && lx->frames[n - 1].ip != IP_TEXT)
        n--;
    frames_set(lx, n);
}

/* "</template>" closes the innermost template, and every element opened
 * inside it. */
static void template_close(mc_lex_t *lx)
{
    unsigned n = lx->nframes;
    mc_lex_frame_t *f;

    while (n > 0 && lx->frames[n - 1].tpl >= lx->template_depth)
        n--;
    frames_set(lx, n);
    lx->template_depth--;
    f = top_frame(lx);
    if (f && f->html_open > 0 && f->tpl < lx->template_depth + 1)
        f->html_open--;
}

static void enter_raw(mc_lex_t *lx, enum lex_state state)
{
    lx->state = (uint8_t)state;
    lx->raw_tag = lx->tag;
    lx->raw_name_len = lx->name_len;
    memcpy(lx->raw_name, lx->name, lx->name_len);
}

/* A start tag read by the HTML rules, in HTML or inside an integration
 * point (the top frame, where there is one). */
static void html_start_tag(mc_lex_t *lx)
{
    mc_lex_frame_t *ip = top_frame(lx);

    /* uncertain, raw text would hide what the other reading makes tags */
    if (lx->uncertain && ip && lx->tag != MC_TAG_SVG && lx->tag != MC_TAG_MATH &&
        lx->tag != MC_TAG_TEMPLATE) {
        if (!html_void(lx) && ip->html_open < 0xff)
            ip->html_open++;
        ip->html_seen = 1;
        return;
    }
    switch (lx->tag) {
    case MC_TAG_SVG:
    case MC_TAG_MATH:
        /* "<svg/>" opens and closes at once */
        if (lx->self_closing)
            return;
        frame_push(lx, lx->tag == MC_TAG_SVG ? NS_SVG : NS_MATH, IP_NONE);
        if (lx->frameset)
            lx->uncertain = 1;
        return;
    case MC_TAG_FRAMESET: lx->frameset = 1; break;
    /* HTML ignores "/>" on these: "<script/>" still starts a script */
    case MC_TAG_SCRIPT: enter_raw(lx, S_SCRIPT); break;
    case MC_TAG_STYLE:
    case MC_TAG_XMP:
    case MC_TAG_IFRAME:
    case MC_TAG_NOEMBED:
    case MC_TAG_NOFRAMES: enter_raw(lx, S_RAWTEXT); break;
    case MC_TAG_TEXTAREA:
    case MC_TAG_TITLE: enter_raw(lx, S_RCDATA); break;
    case MC_TAG_PLAINTEXT: lx->state = S_PLAINTEXT; break;
    case MC_TAG_TEMPLATE:
        lx->template_depth++;
        if (lx->template_depth <= 64) /* inert until the rewriter says otherwise */
            lx->template_live &= ~((uint64_t)1 << (lx->template_depth - 1));
        break;
    default: break;
    }
    /* an HTML element open inside an integration point: the end tags of
     * the foreign elements around it do nothing until it is closed */
    if (ip && !html_void(lx) && ip->html_open < 0xff)
        ip->html_open++;
    if (ip)
        ip->html_seen = 1;
}

static int svg_integration_point(mc_tag_id_t id)
{
    return id == MC_TAG_FOREIGNOBJECT || id == MC_TAG_DESC || id == MC_TAG_TITLE;
}

static int math_integration_point(mc_tag_id_t id)
{
    return id == MC_TAG_MI || id == MC_TAG_MO || id == MC_TAG_MN || id == MC_TAG_MS ||
           id == MC_TAG_MTEXT;
}

int mc_tag_integration_point(mc_tag_id_t id)
{
    return svg_integration_point(id) || math_integration_point(id) ||
           id == MC_TAG_ANNOTATION_XML;
}

/* A start tag read by the foreign-content rules: an element of the
 * current node's namespace ("<svg>" inside <math> is a MathML element). */
static void foreign_start_tag(mc_lex_t *lx)
{
    mc_lex_frame_t *top = top_frame(lx);
    enum frame_ns ns = (enum frame_ns)top->ns;
    enum frame_ip ip = IP_NONE;

    if (lx->self_closing)
        return;
    if (ns == NS_SVG && svg_integration_point(lx->tag))
        ip = IP_HTML;
    else if (ns == NS_MATH && math_integration_point(lx->tag))
        ip = IP_TEXT;
    if (ip == IP_NONE && top->ip == IP_NONE && frame_named(top, lx) && top->depth < 0xffff) {
        top->depth++;
        return;
    }
    frame_push(lx, ns, ip);
}

static void tree_start_tag(mc_lex_t *lx)
{
    if (!start_is_html(lx)) {
        const mc_lex_frame_t *top = top_frame_c(lx);

        if (lx->tag == MC_TAG_FONT || (lx->tag == MC_TAG_ANNOTATION_XML && top->ns == NS_MATH)) {
            lx->tree_pending = 1; /* its attributes decide */
            return;
        }
        if (!breaks_out(lx->tag)) {
            foreign_start_tag(lx);
            return;
        }
        frames_pop_foreign(lx);
    }
    html_start_tag(lx);
}

/* What the attributes of a <font> or <annotation-xml> say. */
typedef struct tree_attrs {
    mc_tag_id_t tag;
    int html;     /* the element holds HTML, or breaks out */
    int encoding; /* an encoding attribute was read (the first counts) */
} tree_attrs_t;

static int attr_name_is(const char *name, size_t len, const char *want)
{
    size_t n = strlen(want);

    if (len != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (ascii_lower((unsigned char)name[i]) != want[i])
            return 0;
    }
    return 1;
}

static void tree_attr(void *baton, const char *tag, const mc_lex_attr_t *attr)
{
    tree_attrs_t *t = baton;
    const char *name = tag + attr->name;
    char value[64];
    size_t n;

    if (t->tag == MC_TAG_FONT) {
        if (attr_name_is(name, attr->name_len, "color") ||
            attr_name_is(name, attr->name_len, "face") ||
            attr_name_is(name, attr->name_len, "size"))
            t->html = 1;
        return;
    }
    if (t->encoding || !attr_name_is(name, attr->name_len, "encoding"))
        return;
    t->encoding = 1;
    /* the value as the tokenizer gives it: character references decoded */
    if (mc_charref_decode(tag + attr->value, attr->has_value ? attr->value_len : 0, 1, value,
                          sizeof(value), &n) != MC_OK)
        return; /* longer than either name */
    t->html =
        attr_name_is(value, n, "text/html") || attr_name_is(value, n, "application/xhtml+xml");
}

void mc_lex_tree_attrs(mc_lex_t *lx, const char *tag, size_t len)
{
    tree_attrs_t t = {lx->tag, 0, 0};
    mc_lex_tag_shape_t shape;

    if (!lx->tree_pending)
        return;
    lx->tree_pending = 0;
    if (!tag || !mc_lex_tag_walk(tag, len, tree_attr, &t, &shape)) {
        t.html = 0; /* not known: read as foreign, uncertain */
        lx->uncertain = 1;
    }
    if (lx->tag == MC_TAG_FONT) {
        if (!t.html) {
            foreign_start_tag(lx);
            return;
        }
        frames_pop_foreign(lx);
        html_start_tag(lx);
        return;
    }
    if (!lx->self_closing)
        frame_push(lx, NS_MATH, t.html ? IP_HTML : IP_ANNOT);
}

/* An end tag read by the HTML rules (the current node is HTML). */
static void html_end_tag(mc_lex_t *lx)
{
    mc_lex_frame_t *f = top_frame(lx);

    if (lx->tag == MC_TAG_TEMPLATE && lx->template_depth > 0)
        template_close(lx);
    else if (f && f->html_open > 0 && lx->tag != MC_TAG_BR) /* "</br>" is a <br> */
        f->html_open--;
}

static void tree_end_tag(mc_lex_t *lx)
{
    unsigned n = lx->nframes;
    const mc_lex_frame_t *top = top_frame_c(lx);
    int crossed = 0; /* HTML elements may be open between the frames walked */

    if (n > 0 && top->html_open == 0 && (lx->tag == MC_TAG_P || lx->tag == MC_TAG_BR)) {
        /* "</p>" and "</br>" end foreign content as "<p>" does */
        frames_pop_foreign(lx);
        return;
    }
    if (lx->tag == MC_TAG_TEMPLATE && (n == 0 || top->html_open > 0)) {
        html_end_tag(lx);
        return;
    }
    /* the foreign-content rules: the innermost foreign element of the name */
    for (unsigned k = n; k > 0; k--) {
        if (k == n && top->html_seen)
            crossed = 1;
        if (frame_named(&lx->frames[k - 1], lx)) {
            /* with HTML elements open inside, a browser closes nothing:
             * unless they are all closed, which the counts cannot tell
             * for sure ("</div>" closes no <p>). Read as closed, uncertain. */
            int unsure = crossed || lx->name_len == MC_LEX_NAME_MAX;

            frame_close(lx, k - 1);
            if (unsure && lx->nframes > 0)
                lx->uncertain = 1;
            return;
        }
        if (k > 1 && lx->frames[k - 2].html_seen)
            crossed = 1;
    }
    if (n == 0 || top->html_open > 0) {
        html_end_tag(lx);
        return;
    }
    /* The HTML rules take it, with a foreign element current */
    if (lx->tag == MC_TAG_TEMPLATE && lx->template_depth > 0) {
        template_close(lx);
        return;
    }
    if (lx->tag == MC_TAG_BODY || lx->tag == MC_TAG_HTML)
        return; /* they close nothing */
    /* an integration point is special: the end tag stops there, ignored */
    for (unsigned k = n; k > 0; k--) {
        if (lx->frames[k - 1].ip != IP_NONE)
            return;
    }
    /* it closes the foreign content if an HTML element of its name is
     * open around it, else nothing: read on as foreign, uncertain */
    lx->uncertain = 1;
}

/* --- the states ---------------------------------------------------------------------- */

static void goto_state(mc_lex_t *lx, enum lex_state s)
{
    lx->state = (uint8_t)s;
}

static void begin_tag(mc_lex_t *lx, int end_tag)
{
    lx->rec_to = 0;
    lx->end_tag = end_tag;
    lx->self_closing = 0;
    lx->attr_flag = 0;
    lx->attr_fetch = 0;
    lx->name_len = 0;
    goto_state(lx, S_TAG_NAME);
}

static mc_lex_event_t lex_tag_name(mc_lex_t *lx);
static mc_lex_event_t name_known(mc_lex_t *lx, mc_tag_id_t id);
static mc_lex_event_t lex_tag(mc_lex_t *lx);

/* The bytes of a name's first word that are the name's (a table, not a
 * shift: names of one to three bytes and longer ones come mixed). */
#ifdef MC_LEX_SSE2
static const uint32_t lead_mask[5] = {0, 0xffu, 0xffffu, 0xffffffu, 0xffffffffu};
#endif

/* A tag's name at P read at once when sixteen bytes of the chunk are left:
 * its end and its lower-case form from one load, its id from one compare.
 * Returns where the tag states take over (the byte after the name, or
 * after the first MC_LEX_NAME_MAX bytes of a longer one), or NULL when the
 * bytewise lex_tag_name must read it. Either way the name is the same. */
static inline const char *tag_name_fast(mc_lex_t *lx, const char *p, mc_tag_id_t *id)
{
#ifdef MC_LEX_SSE2
    __m128i name, known;
    unsigned ends, same, want, len;
    uint32_t lead;
    const tag_name_t *t;

    if (lx->end - p < 16)
        return NULL;
    name = _mm_loadu_si128((const __m128i *)(const void *)p);
    ends = name_end_mask(name);
    name = lower16(name);
    if (!ends) { /* longer than any name the lexer knows */
        _mm_storeu_si128((__m128i *)(void *)lx->name, name);
        lx->name_len = MC_LEX_NAME_MAX;
        *id = MC_TAG_OTHER;
        return p + MC_LEX_NAME_MAX;
    }
    len = (unsigned)__builtin_ctz(ends);
    if (tag_class[(unsigned char)p[len]] == C_OTHER) /* a control byte, not whitespace */
        return NULL;
    lead = (uint32_t)_mm_cvtsi128_si32(name) & lead_mask[len < 4 ? len : 4];
    t = &tag_names[TAG_HASH(lead, len)];
    lx->name_len = len;
    known = _mm_loadu_si128((const __m128i *)(const void *)t->name);
    same = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(name, known));
    want = (1u << len) - 1;
    *id = (same & want) == want && t->name[len] == '\0' ? t->id : MC_TAG_OTHER;
    _mm_storeu_si128((__m128i *)(void *)lx->name, name);
    return p + len;
#else
    (void)lx;
    (void)p;
    (void)id;
    return NULL;
#endif
}

static const char *tag_rest_fast(mc_lex_t *lx, const char *p, int *self_closing);
static mc_lex_event_t tag_states(mc_lex_t *lx, const char *p, unsigned st);
static mc_lex_event_t tag_done(mc_lex_t *lx, const char *after, int self_closing);

/* Reads a tag whose name begins at P, to its end if the chunk holds it.
 * Returns its events, and in *NEXT where reading goes on (lx->p); MORE
 * with the state back in S_DATA when the tag was read through unreported.
 * The position stays in a register from the '<' to the tag's end. */
static inline mc_lex_event_t read_tag(mc_lex_t *lx, const char *p, int end_tag, const char **next)
{
    mc_lex_event_t ev;
    mc_tag_id_t id;
    const char *q;

    begin_tag(lx, end_tag);
    q = tag_name_fast(lx, p, &id);
    if (!q) {
        lx->p = p;
        ev = lex_tag_name(lx);
        if (ev == MC_LEX_MORE && lx->state == S_TAG)
            ev = lex_tag(lx);
    } else if ((ev = name_known(lx, id)) != MC_LEX_MORE) {
        lx->p = q;
    } else {
        int self_closing = 0;
        const char *after = *q == '>' ? q + 1 : tag_rest_fast(lx, q, &self_closing);

        if (after) {
            *next = after;
            return tag_done(lx, after, self_closing);
        }
        ev = tag_states(lx, q, T_NAME);
    }
    *next = lx->p;
    return ev;
}

/* Tags that are no one's business, passed over whole (quiet_tag). */
typedef struct quiet {
    uint64_t stop_start; /* start tags that are: the reported, the tree's */
    uint64_t stop_end;   /* end tags that are */
    uint64_t unless;     /* start tags that are with a wanted attribute (report_unless) */
    const char *limit;   /* a tag whose '<' is before it may be quiet */
} quiet_t;

static void quiet_set(const mc_lex_t *lx, quiet_t *qt);
static const char *quiet_tag(const char *lt, const char *end, const char *fence,
                             const quiet_t *qt);

/* The fast path: text runs to the next '<', found with one memchr, and the
 * usual tags ("<name ...>", "</name>") are read straight through, without
 * going back to the state dispatch for each part of them. */
static mc_lex_event_t lex_data(mc_lex_t *lx)
{
    const char *p = lx->p;
    const char *end = lx->end;
    quiet_t qt;

    quiet_set(lx, &qt);
    for (;;) {
        /* a tag right after a tag ("</a></li>"): taken without the search,
         * so the next tag's reading need not wait for it */
        const char *lt = p < end && *p == '<' ? p : find_lt(p, end);
        const char *after;
        mc_lex_event_t ev;

        if (!lt) {
            lx->p = end;
            return MC_LEX_MORE;
        }
        if (lt < qt.limit && (after = quiet_tag(lt, end, lx->last_gt, &qt)) != NULL) {
            p = after;
            continue;
        }
        lx->tok_start = off_of(lx, lt);
        after = lt + 1;
        if (after < end && is_alpha((unsigned char)*after)) {
            ev = read_tag(lx, after, 0, &p);
        } else if (end - after > 1 && *after == '/' && is_alpha((unsigned char)after[1])) {
            ev = read_tag(lx, after + 1, 1, &p);
        } else {
            lx->p = after;
            goto_state(lx, S_TAG_OPEN);
            return MC_LEX_MORE;
        }
        if (ev != MC_LEX_MORE || lx->state != S_DATA || p == end)
            return ev;
        quiet_set(lx, &qt); /* the tag may have opened foreign content */
    }
}

/* After '<': a tag, markup, or just a '<' in the text. */
static mc_lex_event_t lex_tag_open(mc_lex_t *lx)
{
    unsigned char c = (unsigned char)*lx->p;

    if (c == '!') {
        lx->p++;
        lx->match = 0;
        lx->markup_kind = K_NONE;
        lx->data_start = mc_lex_pos(lx);
        goto_state(lx, S_MARKUP_DECL);
    } else if (c == '/') {
        lx->p++;
        goto_state(lx, S_END_TAG_OPEN);
    } else if (is_alpha(c)) {
        begin_tag(lx, 0);
    } else if (c == '?') {
        /* "<?xml ...>": a bogus comment whose data starts with the '?' */
        lx->data_start = mc_lex_pos(lx);
        goto_state(lx, S_BOGUS);
    } else {
        goto_state(lx, S_DATA);
    }
    return MC_LEX_MORE;
}

static mc_lex_event_t lex_end_tag_open(mc_lex_t *lx)
{
    unsigned char c = (unsigned char)*lx->p;

    if (is_alpha(c)) {
        begin_tag(lx, 1);
        return MC_LEX_MORE;
    }
    if (c == '>') {
        lx->p++;
        lx->markup = MC_MARKUP_EMPTY;
        goto_state(lx, S_DATA);
        return MC_LEX_MARKUP_END;
    }
    lx->data_start = mc_lex_pos(lx);
    goto_state(lx, S_BOGUS);
    return MC_LEX_MORE;
}

/* The name is known (or is longer than any we act on): report it, if it
 * is one asked for, and read on in the tag states, which take the rest of
 * a long name as name. */
static mc_lex_event_t name_known(mc_lex_t *lx, mc_tag_id_t id)
{
    lx->tag = id;
    lx->name[lx->name_len] = '\0';
    lx->tag_state = T_NAME;
    lx->tag_reported = lx->report_all || (lx->report_mask & MC_LEX_TAG_BIT(id)) != 0;
    goto_state(lx, S_TAG);
    return lx->tag_reported ? MC_LEX_TAG_NAME : MC_LEX_MORE;
}

static mc_lex_event_t lex_tag_name(mc_lex_t *lx)
{
    while (lx->p < lx->end) {
        unsigned char c = (unsigned char)*lx->p;

        if (ends_name(c))
            return name_known(lx, lookup_name(lx->name, lx->name_len));
        if (lx->name_len == MC_LEX_NAME_MAX)
            return name_known(lx, MC_TAG_OTHER);
        lx->name[lx->name_len++] = ascii_lower(c);
        lx->p++;
    }
    return MC_LEX_MORE;
}

/* With no foreign element open, the tags that change the tree: start tags
 * that open foreign content, raw text or a template, or set frameset (see
 * html_start_tag), and the end tag of a template (html_end_tag). Any other
 * tag leaves it as it is, and tag_done need not call out for it. */
#define TREE_START_TAGS                                                                            \
    (MC_LEX_TAG_BIT(MC_TAG_SVG) | MC_LEX_TAG_BIT(MC_TAG_MATH) | MC_LEX_TAG_BIT(MC_TAG_FRAMESET) |  \
     MC_LEX_TAG_BIT(MC_TAG_SCRIPT) | MC_LEX_TAG_BIT(MC_TAG_STYLE) | MC_LEX_TAG_BIT(MC_TAG_XMP) |   \
     MC_LEX_TAG_BIT(MC_TAG_IFRAME) | MC_LEX_TAG_BIT(MC_TAG_NOEMBED) |                              \
     MC_LEX_TAG_BIT(MC_TAG_NOFRAMES) | MC_LEX_TAG_BIT(MC_TAG_TEXTAREA) |                           \
     MC_LEX_TAG_BIT(MC_TAG_TITLE) | MC_LEX_TAG_BIT(MC_TAG_PLAINTEXT) |                             \
     MC_LEX_TAG_BIT(MC_TAG_TEMPLATE))
#define TREE_END_TAGS MC_LEX_TAG_BIT(MC_TAG_TEMPLATE)

/* The tree's part of a tag just ended, out of tag_done's way: most tags
 * have none. */
static __attribute__((noinline)) void tree_tag(mc_lex_t *lx)
{
    if (lx->end_tag)
        tree_end_tag(lx);
    else
        tree_start_tag(lx);
}

static mc_lex_event_t tag_done(mc_lex_t *lx, const char *after, int self_closing)
{
    lx->p = after;
    lx->self_closing = self_closing;
    goto_state(lx, S_DATA);
    if (lx->tree && (lx->nframes > 0 || ((lx->end_tag ? TREE_END_TAGS : TREE_START_TAGS) &
                                         MC_LEX_TAG_BIT(lx->tag)) != 0))
        tree_tag(lx);
    return lx->tag_reported || (lx->attr_flag && !lx->end_tag) || lx->tree_pending ? MC_LEX_TAG_END
                                                                                   : MC_LEX_MORE;
}

/* The attribute names that may fetch on any element (SVG's presentation
 * attributes take url() too, an SVG animation's attributeName names one
 * it sets), by their length and their first and last
 * bytes, lower-case. One probe of a table keyed on the three: a name is
 * tested at every attribute of every tag, and a switch on the length
 * became an indirect jump that mispredicted about once a tag. The slots
 * are all different (-Woverride-init would make a collision an error). */
#define FETCHING_KEY(len, first, last)                                                             \
    (((uint64_t)(len) << 16) | ((uint64_t)(first) << 8) | (uint64_t)(last))
#define FETCHING_SLOT(len, first, last)                                                            \
    (((unsigned)(first) + 4u * (unsigned)(last) + 3u * (unsigned)(len)) & 31u)
#define FETCHING(len, first, last)                                                                 \
    [FETCHING_SLOT(len, first, last)] = FETCHING_KEY(len, first, last)

static const uint64_t fetching_keys[32] = {
    FETCHING(4, 'p', 'g'),  /* ping */
    FETCHING(4, 'f', 'l'),  /* fill */
    FETCHING(4, 'm', 'k'),  /* mask */
    FETCHING(5, 's', 'e'),  /* style */
    FETCHING(6, 's', 't'),  /* srcset */
    FETCHING(6, 's', 'c'),  /* srcdoc */
    FETCHING(6, 's', 'e'),  /* stroke */
    FETCHING(6, 'p', 'r'),  /* poster */
    FETCHING(6, 'f', 'r'),  /* filter */
    FETCHING(6, 'c', 'r'),  /* cursor */
    FETCHING(9, 'c', 'h'),  /* clip-path */
    FETCHING(10, 'b', 'd'), /* background */
    FETCHING(10, 'm', 'd'), /* marker-mid, marker-end */
    FETCHING(11, 'i', 't'), /* imagesrcset */
    FETCHING(12, 'm', 't'), /* marker-start */
    FETCHING(13, 'a', 'e'), /* attributename: what an SVG animation sets may fetch */
};

static int fetching_attr_name(size_t len, unsigned char first, unsigned char last)
{
    return fetching_keys[FETCHING_SLOT(len, first, last)] == FETCHING_KEY(len, first, last);
}

/* An event handler ("onload", "onerror", ...): its value is a script, which
 * may name a tracker. FIRST and SECOND lower-case. */
static int handler_attr_name(size_t len, unsigned char first, unsigned char second)
{
    return len > 2 && first == 'o' && second == 'n';
}

/* What the name at NAME, LEN bytes the chunk holds whole, is to its tag:
 * NAME_FETCHES (attr_flag and attr_fetch), NAME_HANDLER (attr_flag) or 0.
 * The second byte is read only for an 'o' first (rare: the tight loop of
 * tag-heavy pages). */
enum { NAME_HANDLER = 1, NAME_FETCHES };

static inline int name_kind(const char *name, size_t len)
{
    unsigned char first = fold_letter(name[0]);

    if (fetching_attr_name(len, first, fold_letter(name[len - 1])))
        return NAME_FETCHES;
    return first == 'o' && handler_attr_name(len, first, fold_letter(name[1])) ? NAME_HANDLER : 0;
}

int mc_lex_attr_flagged(const char *name, size_t len)
{
    return len > 0 && name_kind(name, len) != 0;
}

/* An attribute name ended at AT (the byte that ended it). Its last byte is
 * the one before, or, when AT begins the chunk, the last of the chunk
 * before (kept in attr_last). */
static void attr_name_end(mc_lex_t *lx, const char *at)
{
    mc_lex_off_t end = off_of(lx, at);
    size_t len = (size_t)(end - lx->attr_name_start);
    unsigned char last = at > lx->chunk ? (unsigned char)at[-1] : lx->attr_last;

    if (fetching_attr_name(len, lx->attr_first, (unsigned char)ascii_lower(last)))
        lx->attr_flag = lx->attr_fetch = 1;
    else if (handler_attr_name(len, lx->attr_first, lx->attr_second))
        lx->attr_flag = 1;
}

/* States in which an ordinary byte (not space, '/', '=', '>' or a quote)
 * leaves the state as it is. */
static int in_run(unsigned st)
{
    return st == T_NAME || st == T_ATTR_NAME || st == T_VALUE_UNQ;
}

/* Past the ordinary bytes at P: to the first byte that may steer the tag
 * states, or END. */
static const char *skip_run(const char *p, const char *end)
{
    while (p < end && tag_class[(unsigned char)*p] == C_OTHER)
        p++;
    return p;
}

/* The closing quote Q of an attribute value, or NULL. Values are mostly
 * short: sixteen bytes compared at once find their end sooner than a call. */
static const char *find_quote(const char *p, const char *end, char q)
{
#ifdef MC_LEX_SSE2
    for (; end - p >= 16; p += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        unsigned hits = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(q)));

        if (hits)
            return p + __builtin_ctz(hits);
    }
    for (; p < end; p++) {
        if (*p == q)
            return p;
    }
    return NULL;
#else
    return memchr(p, q, (size_t)(end - p));
#endif
}

/* An attribute name at NAME ends at AT: may it fetch? (attr_name_end for
 * a name that the chunk holds whole) */
static void attr_name_whole(mc_lex_t *lx, const char *name, const char *at)
{
    int kind = name_kind(name, (size_t)(at - name));

    if (kind)
        lx->attr_flag = 1;
    if (kind == NAME_FETCHES)
        lx->attr_fetch = 1;
}

/* The rest of a tag in its usual shape, from its name on: attributes
 * written name="value", name='value', name=value or name, apart by
 * whitespace, then '>' or "/>". Each part is found with one search rather
 * than a step of the tag states per byte. Returns the byte after the '>'
 * and sets *SELF_CLOSING; or NULL when the tag leaves that shape or the
 * chunk, and lex_tag reads it again with the full states (attr_flag only
 * ever goes from 0 to 1, so reading twice sets it the same).
 *
 * The loop's top stands where the standard's states are "before attribute
 * name" or "after attribute value (quoted)": in both, '>' ends the tag,
 * '/' may self-close it, whitespace is skipped, and another byte starts a
 * name — unless it is '=' or a quote, which the full states handle.
 *
 * The chunk's last '>' fences the searches: while P is before it, none
 * can run past it, and a byte that is not '>' has another after it. */
static inline __attribute__((always_inline)) const char *
tag_rest(mc_lex_t *lx, const char *p, int *self_closing, const char *lt);

static const char *tag_rest_fast(mc_lex_t *lx, const char *p, int *self_closing)
{
    return tag_rest(lx, p, self_closing, NULL);
}

/* tag_rest_fast for a reported start tag whose '<' is at LT in the chunk:
 * it keeps the bounds of the tag's parts too (mc_lex_t.rec_*). */
static const char *tag_rest_kept(mc_lex_t *lx, const char *p, int *self_closing, const char *lt)
{
    return tag_rest(lx, p, self_closing, lt);
}

/* The tag from LT, read to AFTER, is kept: N attributes, the last part
 * ending at PREV_END. */
static void keep_done(mc_lex_t *lx, unsigned n, size_t prev_end, int self_closing, const char *lt,
                      const char *after)
{
    lx->rec_n = n;
    lx->rec_tail = (uint16_t)prev_end;
    lx->rec_self_closing = self_closing;
    lx->rec_from = lx->tok_start;
    lx->rec_to = lx->tok_start + (mc_lex_off_t)(after - lt);
}

/* LT: keep the parts' bounds, as offsets from LT (the tag's '<'), in
 * lx->rec: as walk_fast finds them, each attribute from where the part
 * before it ended (RAW) to where its name or value ends (RAW_END). NULL:
 * keep nothing (the compiler leaves all of that out). */
static inline __attribute__((always_inline)) const char *
tag_rest(mc_lex_t *lx, const char *p, int *self_closing, const char *lt)
{
    const char *fence = lx->last_gt;
    size_t prev_end = 0;
    unsigned n = 0;
    int keep = lt != NULL;

    if (!fence || p > fence)
        return NULL;
    p = find_fenced(p, SET_NAME_END); /* a name longer than name[] */
    if (keep)
        lx->rec_name_end = (uint16_t)(prev_end = (size_t)(p - lt));
    for (;;) {
        mc_lex_rec_attr_t *a = NULL;
        const char *name;
        unsigned char c;

        p = skip_space_fenced(p);
        c = (unsigned char)*p;
        if (tag_bits[c]) { /* not the start of a name */
            if (c == '>' || (c == '/' && p[1] == '>')) {
                *self_closing = c == '/';
                if (keep)
                    keep_done(lx, n, prev_end, c == '/', lt, p + (c == '/' ? 2 : 1));
                return p + (c == '/' ? 2 : 1);
            }
            return NULL;
        }
        name = p;
        p = find_fenced(p + 1, SET_ATTR_NAME_END);
        if (keep && n == MC_LEX_REC_ATTRS) {
            keep = 0; /* more than walk_fast keeps: it is read again */
        } else if (keep) {
            a = &lx->rec[n++];
            *a = (mc_lex_rec_attr_t){.name = (uint16_t)(name - lt),
                                     .name_len = (uint16_t)(p - name),
                                     .raw = (uint16_t)prev_end,
                                     .raw_end = (uint16_t)(p - lt)};
            prev_end = (size_t)(p - lt);
        }
        if (*p != '=') { /* "name=" comes first */
            if (*p == '"' || *p == '\'')
                return NULL;
            attr_name_whole(lx, name, p);
            p = skip_space_fenced(p); /* "after attribute name" */
            if (*p != '=')
                continue; /* '>', '/' or the next name: as at the top */
        } else {
            attr_name_whole(lx, name, p);
        }
        c = (unsigned char)*++p;
        if (c == '"' || c == '\'') {
            const char *value = p + 1;

            p = find_quote(value, lx->end, (char)c);
            if (!p || ++p > fence)
                return NULL;
            if (a) {
                a->has_value = 1;
                a->quote = c;
                a->value = (uint16_t)(value - lt);
                a->value_len = (uint16_t)(p - 1 - value);
            }
        } else if (c == '>') { /* "name=>": an empty value */
            *self_closing = 0;
            if (a) {
                a->has_value = 1;
                a->value = a->raw_end = (uint16_t)(prev_end = (size_t)(p - lt));
            }
            if (keep)
                keep_done(lx, n, prev_end, 0, lt, p + 1);
            return p + 1;
        } else if (tag_class[c] == C_SPACE) { /* "name= value" */
            return NULL;
        } else { /* unquoted: to whitespace or '>' */
            const char *value = p;

            p = find_fenced(p + 1, SET_VALUE_END);
            if (a) {
                a->has_value = 1;
                a->value = (uint16_t)(value - lt);
                a->value_len = (uint16_t)(p - value);
            }
        }
        if (a)
            a->raw_end = (uint16_t)(prev_end = (size_t)(p - lt));
    }
}

/* --- quiet tags ------------------------------------------------------------------------
 *
 * Most tags of a page are nothing the reader acts on: a name it does not
 * report, no attribute that may fetch, nothing the tree follows. Read the
 * long way (read_tag), such a tag only moves the state from data back to
 * data; quiet_tag passes over it in one go, with the position, the stop
 * masks and the fence in registers, and writes nothing to the lexer. Any
 * tag it is not sure of — reported, the tree's, an attribute that may
 * fetch, an unusual shape, the chunk's end near — it leaves where it is,
 * for read_tag to read from its '<' as before: the events and the state
 * are the same either way. */

/* Whether quiet tags may be passed over now, and which tags are not quiet.
 * Inside foreign content every tag is the tree's. */
static void quiet_set(const mc_lex_t *lx, quiet_t *qt)
{
    /* a '>' ahead in the chunk, and sixteen bytes for the name's load
     * (from "</" on); the chunk's start when no tag may be quiet */
    if (lx->report_all || (lx->tree && lx->nframes > 0) || !lx->last_gt || lx->end - lx->chunk < 18)
        qt->limit = lx->chunk;
    else
        qt->limit = lx->end - lx->last_gt >= 17 ? lx->last_gt : lx->end - 17;
    qt->unless = lx->report_unless & lx->report_mask & ~(lx->tree ? TREE_START_TAGS : 0);
    qt->stop_start = (lx->report_mask & ~qt->unless) | (lx->tree ? TREE_START_TAGS : 0);
    qt->stop_end = lx->report_mask | (lx->tree ? TREE_END_TAGS : 0);
}

/* Whether the attribute name at NAME, LEN bytes, makes a tag of
 * report_unless reported: src, http-equiv, data-consent and its family. */
static int unless_attr_name(const char *name, size_t len)
{
    static const char consent[] = "data-consent";
    const size_t n = sizeof(consent) - 1;

    if (len == 3 || len == 10)
        return attr_name_is(name, len, len == 3 ? "src" : "http-equiv");
    return len >= n && attr_name_is(name, n, consent);
}

/* The id of the tag name at NAME, and in *AFTER where it ends; NULL-safe:
 * returns 0 when the name is to be read the long way (a control byte in
 * it). Needs sixteen bytes at NAME. */
static inline int quiet_name(const char *name, const char **after, mc_tag_id_t *id)
{
#ifdef MC_LEX_SSE2
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)name);
    unsigned ends = name_end_mask(v), len, same, want;
    uint32_t lead;
    const tag_name_t *t;

    if (!ends) { /* longer than any name known: quiet_tag reads the rest */
        *id = MC_TAG_OTHER;
        *after = name + MC_LEX_NAME_MAX;
        return 1;
    }
    len = (unsigned)__builtin_ctz(ends);
    if (tag_class[(unsigned char)name[len]] == C_OTHER)
        return 0;
    /* bit 0x20 set: lower case for letters, and no byte that is not a
     * letter becomes one of a known name's (fold_letter) */
    v = _mm_or_si128(v, _mm_set1_epi8(0x20));
    lead = (uint32_t)_mm_cvtsi128_si32(v) & lead_mask[len < 4 ? len : 4];
    t = &tag_names[TAG_HASH(lead, len)];
    same = (unsigned)_mm_movemask_epi8(
        _mm_cmpeq_epi8(v, _mm_loadu_si128((const __m128i *)(const void *)t->name)));
    want = (1u << len) - 1;
    *id = (same & want) == want && t->name[len] == '\0' ? t->id : MC_TAG_OTHER;
    *after = name + len;
    return 1;
#else
    const char *q = find_fenced(name, SET_NAME_END);
    size_t len = (size_t)(q - name);
    char lower[MC_LEX_NAME_MAX];

    *after = q;
    if (len > MC_LEX_NAME_MAX) {
        *id = MC_TAG_OTHER;
        return 1;
    }
    for (size_t i = 0; i < len; i++)
        lower[i] = ascii_lower((unsigned char)name[i]);
    *id = lookup_name(lower, len);
    return 1;
#endif
}

/* The byte after the '>' of the quiet tag whose '<' is at LT, or NULL when
 * it is not one (or may not be). FENCE is the chunk's last '>', LT before
 * it and eighteen bytes before the chunk's end (quiet_set's limit). The
 * attributes are read as tag_rest_fast reads them. */
static inline const char *quiet_tag(const char *lt, const char *end, const char *fence,
                                    const quiet_t *qt)
{
    const char *p = lt + 1, *tag_name;
    int end_tag = 0, unless;
    mc_tag_id_t id;

    if (*p == '/') {
        end_tag = 1;
        p++;
    }
    tag_name = p;
    if (!is_alpha((unsigned char)*p) || !quiet_name(p, &p, &id) ||
        ((end_tag ? qt->stop_end : qt->stop_start) & MC_LEX_TAG_BIT(id)) != 0)
        return NULL;
    unless = !end_tag && (qt->unless & MC_LEX_TAG_BIT(id)) != 0;
    if (*p == '>')
        return p + 1;
    if (p > fence)
        return NULL;
    if (p - tag_name == MC_LEX_NAME_MAX)
        p = find_fenced(p, SET_NAME_END); /* a name longer than name[] */
    for (;;) {
        const char *name;
        unsigned char c;

        p = skip_space_fenced(p);
        c = (unsigned char)*p;
        if (tag_bits[c]) { /* not the start of a name */
            if (c == '>' || (c == '/' && p[1] == '>'))
                return p + (c == '/' ? 2 : 1);
            return NULL;
        }
        name = p;
        p = find_fenced(p + 1, SET_ATTR_NAME_END);
        if (!end_tag && (name_kind(name, (size_t)(p - name)) ||
                         (unless && unless_attr_name(name, (size_t)(p - name)))))
            return NULL;
        if (*p != '=') { /* "name=" comes first: the rest as tag_rest_fast has it */
            if (*p == '"' || *p == '\'')
                return NULL;
            p = skip_space_fenced(p);
            if (*p != '=')
                continue;
        }
        c = (unsigned char)*++p;
        if (c == '"' || c == '\'') {
            p = find_quote(p + 1, end, (char)c);
            if (!p || ++p > fence)
                return NULL;
        } else if (c == '>') {
            return p + 1;
        } else if (tag_class[c] == C_SPACE) {
            return NULL;
        } else {
            p = find_fenced(p + 1, SET_VALUE_END);
        }
    }
}

/* The rest of a tag, to its '>'. The tight loop of tag-heavy pages. A run
 * of ordinary bytes inside a name or an unquoted value is skipped without
 * stepping the state; a quoted value is skipped whole (a '>' inside it
 * does not end the tag); every other byte takes one step of tag_next. */
static mc_lex_event_t lex_tag(mc_lex_t *lx)
{
    const char *p = lx->p;
    unsigned st = lx->tag_state;

    if (st == T_NAME) {
        int self_closing;
        const char *after;
        /* a reported start tag the chunk holds whole: its parts are kept */
        const char *lt = lx->tag_reported && !lx->end_tag && lx->tok_start >= lx->chunk_off &&
                                 lx->chunk_off + lx->chunk_len - lx->tok_start <= UINT16_MAX
                             ? lx->chunk + (lx->tok_start - lx->chunk_off)
                             : NULL;

        /* "<p>", "</div>": half of all tags (a kept one: tag_rest keeps its bounds) */
        if (!lt && p < lx->end && *p == '>')
            return tag_done(lx, p + 1, 0);
        after = lt ? tag_rest_kept(lx, p, &self_closing, lt) : tag_rest_fast(lx, p, &self_closing);

        if (after)
            return tag_done(lx, after, self_closing);
    }
    return tag_states(lx, p, st);
}

/* The tag states from P in state ST, a byte at a time but for runs. */
static mc_lex_event_t tag_states(mc_lex_t *lx, const char *p, unsigned st)
{
    const char *end = lx->end;

    if (lx->attr_second_pending && p < end) { /* a name begun at the last chunk's end */
        lx->attr_second = (unsigned char)ascii_lower((unsigned char)*p);
        lx->attr_second_pending = 0;
    }

    while (p < end) {
        unsigned next;

        if (in_run(st)) {
            p = skip_run(p, end);
            if (p == end)
                break;
        } else if (st == T_VALUE_DQ || st == T_VALUE_SQ) {
            const char *q = find_quote(p, end, st == T_VALUE_DQ ? '"' : '\'');

            if (!q) {
                p = end;
                break;
            }
            p = q + 1;
            st = T_AFTER_VALUE;
            continue;
        }
        next = tag_next[st][tag_class[(unsigned char)*p++]];
        if (st == T_ATTR_NAME && next != T_ATTR_NAME) {
            attr_name_end(lx, p - 1);
        } else if (next == T_ATTR_NAME && st != T_ATTR_NAME) {
            lx->attr_name_start = off_of(lx, p - 1);
            lx->attr_first = (unsigned char)ascii_lower((unsigned char)p[-1]);
            /* the second byte may be the next chunk's first */
            lx->attr_second_pending = p == end;
            if (p < end)
                lx->attr_second = (unsigned char)ascii_lower((unsigned char)*p);
        }
        if (next == T_DONE)
            return tag_done(lx, p, st == T_SELF_CLOSING);
        st = next;
    }
    if (st == T_ATTR_NAME && p > lx->chunk)
        lx->attr_last = (unsigned char)p[-1];
    lx->tag_state = (uint8_t)st;
    lx->p = p;
    return MC_LEX_MORE;
}

/* "<!" then "--", "DOCTYPE" (any case) or, in foreign content, "[CDATA[";
 * anything else makes a bogus comment of what follows "<!". */
static mc_lex_event_t lex_markup_decl(mc_lex_t *lx)
{
    static const char *const keywords[] = {"", "--", "doctype", "[CDATA["};

    while (lx->p < lx->end) {
        unsigned char c = (unsigned char)*lx->p;
        const char *kw;

        if (lx->markup_kind == K_NONE) {
            if (c == '-')
                lx->markup_kind = K_COMMENT;
            else if (c == 'D' || c == 'd')
                lx->markup_kind = K_DOCTYPE;
            else if (c == '[' && cdata_allowed(lx))
                lx->markup_kind = K_CDATA;
            else {
                goto_state(lx, S_BOGUS);
                return MC_LEX_MORE;
            }
        } else {
            kw = keywords[lx->markup_kind];
            if ((lx->markup_kind == K_DOCTYPE ? ascii_lower(c) : (char)c) != kw[lx->match]) {
                goto_state(lx, S_BOGUS);
                return MC_LEX_MORE;
            }
        }
        lx->p++;
        if (keywords[lx->markup_kind][++lx->match] == '\0') {
            static const enum lex_state next[] = {S_BOGUS, S_COMMENT_START, S_DOCTYPE, S_CDATA};

            lx->data_start = mc_lex_pos(lx);
            goto_state(lx, next[lx->markup_kind]);
            return MC_LEX_MORE;
        }
    }
    return MC_LEX_MORE;
}

static mc_lex_event_t markup_end(mc_lex_t *lx, mc_lex_markup_t kind, mc_lex_off_t data_end)
{
    lx->markup = kind;
    lx->data_end = data_end;
    goto_state(lx, S_DATA);
    return MC_LEX_MARKUP_END;
}

/* A bogus comment or a doctype: both end at the first '>', whatever quotes
 * came before it (a doctype's quoted identifiers end there too). */
static mc_lex_event_t lex_to_gt(mc_lex_t *lx, mc_lex_markup_t kind)
{
    const char *gt = memchr(lx->p, '>', (size_t)(lx->end - lx->p));

    if (!gt) {
        lx->p = lx->end;
        return MC_LEX_MORE;
    }
    lx->p = gt + 1;
    return markup_end(lx, kind, off_of(lx, gt));
}

/* The comment states. What ends a comment: "-->", "--!>", and right after
 * "<!--" also ">" and "->". */
static mc_lex_event_t lex_comment(mc_lex_t *lx)
{
    unsigned char c = (unsigned char)*lx->p;
    mc_lex_off_t at = mc_lex_pos(lx);

    switch (lx->state) {
    case S_COMMENT_START:
    case S_COMMENT_START_DASH:
        if (c == '>') {
            lx->p++;
            return markup_end(lx, MC_MARKUP_COMMENT, lx->data_start);
        }
        if (c == '-') {
            lx->p++;
            goto_state(lx, lx->state == S_COMMENT_START ? S_COMMENT_START_DASH : S_COMMENT_END);
            return MC_LEX_MORE;
        }
        goto_state(lx, S_COMMENT);
        return MC_LEX_MORE;
    case S_COMMENT: {
        const char *dash = memchr(lx->p, '-', (size_t)(lx->end - lx->p));

        lx->p = dash ? dash + 1 : lx->end;
        if (dash)
            goto_state(lx, S_COMMENT_END_DASH);
        return MC_LEX_MORE;
    }
    case S_COMMENT_END_DASH:
        if (c == '-') {
            lx->p++;
            goto_state(lx, S_COMMENT_END);
        } else {
            goto_state(lx, S_COMMENT);
        }
        return MC_LEX_MORE;
    case S_COMMENT_END:
        if (c == '>') {
            lx->p++;
            return markup_end(lx, MC_MARKUP_COMMENT, at - 2);
        }
        if (c == '!' || c == '-') {
            lx->p++;
            if (c == '!')
                goto_state(lx, S_COMMENT_END_BANG);
            return MC_LEX_MORE;
        }
        goto_state(lx, S_COMMENT);
        return MC_LEX_MORE;
    default: /* S_COMMENT_END_BANG */
        if (c == '>') {
            lx->p++;
            return markup_end(lx, MC_MARKUP_COMMENT, at - 3);
        }
        if (c == '-') {
            lx->p++;
            goto_state(lx, S_COMMENT_END_DASH);
        } else {
            goto_state(lx, S_COMMENT);
        }
        return MC_LEX_MORE;
    }
}

/* CDATA section content, to "]]>". */
static mc_lex_event_t lex_cdata(mc_lex_t *lx)
{
    unsigned char c = (unsigned char)*lx->p;
    const char *bracket;

    switch (lx->state) {
    case S_CDATA:
        bracket = memchr(lx->p, ']', (size_t)(lx->end - lx->p));
        lx->p = bracket ? bracket + 1 : lx->end;
        if (bracket)
            goto_state(lx, S_CDATA_BRACKET);
        return MC_LEX_MORE;
    case S_CDATA_BRACKET:
        if (c == ']') {
            lx->p++;
            goto_state(lx, S_CDATA_END);
        } else {
            goto_state(lx, S_CDATA);
        }
        return MC_LEX_MORE;
    default: /* S_CDATA_END: "]]" seen */
        if (c == '>') {
            lx->p++;
            return markup_end(lx, MC_MARKUP_CDATA, mc_lex_pos(lx) - 3);
        }
        if (c == ']')
            lx->p++;
        else
            goto_state(lx, S_CDATA);
        return MC_LEX_MORE;
    }
}

/* RCDATA and RAWTEXT: text to "</name" where name is the element's own. */
static mc_lex_event_t lex_rawtext(mc_lex_t *lx)
{
    const char *lt = memchr(lx->p, '<', (size_t)(lx->end - lx->p));

    if (!lt) {
        lx->p = lx->end;
        return MC_LEX_MORE;
    }
    lx->tok_start = off_of(lx, lt);
    lx->p = lt + 1;
    lx->raw_return = lx->state;
    goto_state(lx, S_RAW_LT);
    return MC_LEX_MORE;
}

static mc_lex_event_t lex_raw_lt(mc_lex_t *lx)
{
    if (*lx->p == '/') {
        lx->p++;
        goto_state(lx, S_RAW_END_OPEN);
    } else {
        goto_state(lx, lx->raw_return);
    }
    return MC_LEX_MORE;
}

static mc_lex_event_t lex_raw_end_open(mc_lex_t *lx)
{
    if (is_alpha((unsigned char)*lx->p)) {
        lx->match = 0;
        goto_state(lx, S_RAW_END_NAME);
    } else {
        goto_state(lx, lx->raw_return);
    }
    return MC_LEX_MORE;
}

/* "</" in raw text: the element's name in any case, then whitespace, '/'
 * or '>', makes an end tag; anything else leaves it text and goes back to
 * the raw state, which reads the byte again. */
static mc_lex_event_t lex_raw_end_name(mc_lex_t *lx)
{
    while (lx->p < lx->end) {
        unsigned char c = (unsigned char)*lx->p;

        if (lx->match < lx->raw_name_len) {
            if (ascii_lower(c) != lx->raw_name[lx->match])
                break;
            lx->match++;
            lx->p++;
            continue;
        }
        if (lx->raw_name_len == 0 || !ends_name(c))
            break;
        begin_tag(lx, 1);
        lx->name_len = lx->raw_name_len;
        memcpy(lx->name, lx->raw_name, lx->raw_name_len);
        return name_known(lx, lx->raw_tag);
    }
    if (lx->p < lx->end)
        goto_state(lx, lx->raw_return);
    return MC_LEX_MORE;
}

/* Script data, to "</script" — unless "<!--" has opened an escape. */
static mc_lex_event_t lex_script(mc_lex_t *lx)
{
    const char *lt = memchr(lx->p, '<', (size_t)(lx->end - lx->p));

    if (!lt) {
        lx->p = lx->end;
        return MC_LEX_MORE;
    }
    lx->tok_start = off_of(lx, lt);
    lx->p = lt + 1;
    goto_state(lx, S_SCRIPT_LT);
    return MC_LEX_MORE;
}

/* '<' in script data: "</" may end it, "<!--" escapes. */
static mc_lex_event_t lex_script_lt(mc_lex_t *lx)
{
    unsigned char c = (unsigned char)*lx->p;

    switch (lx->state) {
    case S_SCRIPT_LT:
        if (c == '/') {
            lx->p++;
            lx->raw_return = S_SCRIPT;
            goto_state(lx, S_RAW_END_OPEN);
        } else if (c == '!') {
            lx->p++;
            goto_state(lx, S_SCRIPT_ESC_START);
        } else {
            goto_state(lx, S_SCRIPT);
        }
        break;
    case S_SCRIPT_ESC_START:
    case S_SCRIPT_ESC_START_DASH:
        if (c == '-') {
            lx->p++;
            goto_state(lx, lx->state == S_SCRIPT_ESC_START ? S_SCRIPT_ESC_START_DASH
                                                           : S_SCRIPT_ESC_DASH_DASH);
        } else {
            goto_state(lx, S_SCRIPT);
        }
        break;
    default: /* S_SCRIPT_ESC_LT */
        if (c == '/') {
            lx->p++;
            lx->raw_return = S_SCRIPT_ESC;
            goto_state(lx, S_RAW_END_OPEN);
        } else if (is_alpha(c)) {
            lx->match = 0;
            goto_state(lx, S_SCRIPT_DESC_START);
        } else {
            goto_state(lx, S_SCRIPT_ESC);
        }
        break;
    }
    return MC_LEX_MORE;
}

/* Escaped ("<!-- ... -->") and double-escaped ("<!-- <script> ... ")
 * script text: '-' and '<' are the bytes that matter. */
static mc_lex_event_t lex_script_escaped(mc_lex_t *lx)
{
    int dbl = lx->state >= S_SCRIPT_DESC;
    enum lex_state text = dbl ? S_SCRIPT_DESC : S_SCRIPT_ESC;
    enum lex_state dash = dbl ? S_SCRIPT_DESC_DASH : S_SCRIPT_ESC_DASH;
    enum lex_state dash_dash = dbl ? S_SCRIPT_DESC_DASH_DASH : S_SCRIPT_ESC_DASH_DASH;
    unsigned char c;

    if (lx->state == text) {
        lx->p = find_dash_or_lt(lx->p, lx->end);
        if (lx->p == lx->end)
            return MC_LEX_MORE;
    }
    c = (unsigned char)*lx->p;
    if (c == '<') {
        lx->tok_start = mc_lex_pos(lx);
        goto_state(lx, dbl ? S_SCRIPT_DESC_LT : S_SCRIPT_ESC_LT);
    } else if (c == '-') {
        goto_state(lx, lx->state == text ? dash : dash_dash);
    } else if (c == '>' && lx->state == dash_dash) {
        goto_state(lx, S_SCRIPT); /* "-->" closes the escape */
    } else {
        goto_state(lx, text);
    }
    lx->p++;
    return MC_LEX_MORE;
}

/* "<script" (double escape start) or "</script" (double escape end) inside
 * an escape: matched against "script" then whitespace, '/' or '>'. */
static mc_lex_event_t lex_script_double(mc_lex_t *lx)
{
    int starting = lx->state == S_SCRIPT_DESC_START;
    enum lex_state back = starting ? S_SCRIPT_ESC : S_SCRIPT_DESC;
    unsigned char c = (unsigned char)*lx->p;

    if (lx->state == S_SCRIPT_DESC_LT) {
        if (c == '/') {
            lx->p++;
            lx->match = 0;
            goto_state(lx, S_SCRIPT_DESC_END);
        } else {
            goto_state(lx, S_SCRIPT_DESC);
        }
        return MC_LEX_MORE;
    }
    if (lx->match < SCRIPT_NAME_LEN && ascii_lower(c) == script_name[lx->match]) {
        lx->p++;
        lx->match++;
        return MC_LEX_MORE;
    }
    if (ends_name(c)) {
        lx->p++;
        if (lx->match == SCRIPT_NAME_LEN)
            back = starting ? S_SCRIPT_DESC : S_SCRIPT_ESC;
    }
    goto_state(lx, back);
    return MC_LEX_MORE;
}

/* --- driving ---------------------------------------------------------------------------- */

void mc_lex_init(mc_lex_t *lx, int tree)
{
    memset(lx, 0, sizeof(*lx));
    lx->tree = (uint8_t)(tree != 0);
    lx->report_all = 1;
}

void mc_lex_set_start(mc_lex_t *lx, mc_lex_start_t start, const char *last_start_tag)
{
    static const enum lex_state states[] = {S_DATA,   S_RCDATA,    S_RAWTEXT,
                                            S_SCRIPT, S_PLAINTEXT, S_CDATA};
    size_t n = last_start_tag ? strlen(last_start_tag) : 0;

    goto_state(lx, states[start]);
    lx->raw_name_len = 0;
    if (n == 0 || n > MC_LEX_NAME_MAX)
        return;
    for (size_t i = 0; i < n; i++)
        lx->raw_name[i] = ascii_lower((unsigned char)last_start_tag[i]);
    lx->raw_name_len = (unsigned)n;
    lx->raw_tag = mc_tag_lookup(lx->raw_name, n);
}

void mc_lex_chunk(mc_lex_t *lx, const char *data, size_t len)
{
    lx->chunk_off += lx->chunk_len;
    lx->chunk = data;
    lx->chunk_len = len;
    lx->p = data;
    lx->end = len > 0 ? data + len : data;
    lx->last_gt = len > 0 ? memrchr(data, '>', len) : NULL;
}

static mc_lex_event_t lex_step(mc_lex_t *lx)
{
    switch ((enum lex_state)lx->state) {
    case S_DATA: return lex_data(lx);
    case S_TAG_OPEN: return lex_tag_open(lx);
    case S_END_TAG_OPEN: return lex_end_tag_open(lx);
    case S_TAG_NAME: return lex_tag_name(lx);
    case S_TAG: return lex_tag(lx);
    case S_MARKUP_DECL: return lex_markup_decl(lx);
    case S_COMMENT_START:
    case S_COMMENT_START_DASH:
    case S_COMMENT:
    case S_COMMENT_END_DASH:
    case S_COMMENT_END:
    case S_COMMENT_END_BANG: return lex_comment(lx);
    case S_BOGUS: return lex_to_gt(lx, MC_MARKUP_BOGUS);
    case S_DOCTYPE: return lex_to_gt(lx, MC_MARKUP_DOCTYPE);
    case S_CDATA:
    case S_CDATA_BRACKET:
    case S_CDATA_END: return lex_cdata(lx);
    case S_RCDATA:
    case S_RAWTEXT: return lex_rawtext(lx);
    case S_PLAINTEXT: lx->p = lx->end; return MC_LEX_MORE;
    case S_RAW_LT: return lex_raw_lt(lx);
    case S_RAW_END_OPEN: return lex_raw_end_open(lx);
    case S_RAW_END_NAME: return lex_raw_end_name(lx);
    case S_SCRIPT: return lex_script(lx);
    case S_SCRIPT_LT:
    case S_SCRIPT_ESC_START:
    case S_SCRIPT_ESC_START_DASH:
    case S_SCRIPT_ESC_LT: return lex_script_lt(lx);
    case S_SCRIPT_ESC:
    case S_SCRIPT_ESC_DASH:
    case S_SCRIPT_ESC_DASH_DASH:
    case S_SCRIPT_DESC:
    case S_SCRIPT_DESC_DASH:
    case S_SCRIPT_DESC_DASH_DASH: return lex_script_escaped(lx);
    case S_SCRIPT_DESC_START:
    case S_SCRIPT_DESC_LT:
    case S_SCRIPT_DESC_END: return lex_script_double(lx);
    }
    return MC_LEX_MORE;
}

mc_lex_event_t mc_lex_next(mc_lex_t *lx)
{
    if (lx->tree_pending) /* the caller did not say: read as foreign, uncertain */
        mc_lex_tree_attrs(lx, NULL, 0);
    while (lx->p < lx->end) {
        mc_lex_event_t ev = lex_step(lx);

        if (ev != MC_LEX_MORE)
            return ev;
    }
    return MC_LEX_MORE;
}

int mc_lex_name_pending(const mc_lex_t *lx)
{
    return lx->state == S_TAG_OPEN || (lx->state == S_TAG_NAME && !lx->end_tag);
}

int mc_lex_in_start_tag(const mc_lex_t *lx)
{
    return lx->state == S_TAG_OPEN || ((lx->state == S_TAG_NAME || lx->state == S_TAG) && !lx->end_tag);
}

mc_lex_eof_t mc_lex_eof(const mc_lex_t *lx, mc_lex_off_t *data_end)
{
    mc_lex_off_t end = mc_lex_pos(lx);

    switch ((enum lex_state)lx->state) {
    case S_TAG_NAME:
    case S_TAG: return MC_LEX_EOF_DROP;
    case S_MARKUP_DECL:
    case S_BOGUS: return MC_LEX_EOF_BOGUS;
    case S_DOCTYPE: return MC_LEX_EOF_DOCTYPE;
    case S_COMMENT_START:
    case S_COMMENT_START_DASH: *data_end = lx->data_start; return MC_LEX_EOF_COMMENT;
    /* dashes (and "--!") still pending at the end are not part of the data */
    case S_COMMENT: *data_end = end; return MC_LEX_EOF_COMMENT;
    case S_COMMENT_END_DASH: *data_end = end - 1; return MC_LEX_EOF_COMMENT;
    case S_COMMENT_END: *data_end = end - 2; return MC_LEX_EOF_COMMENT;
    case S_COMMENT_END_BANG: *data_end = end - 3; return MC_LEX_EOF_COMMENT;
    default: return MC_LEX_EOF_TEXT;
    }
}

/* --- walking one tag ----------------------------------------------------------------- */

typedef struct walk {
    mc_lex_attr_fn *fn;
    void *baton;
    const char *tag;
    mc_lex_attr_t attr;
    int open;        /* attr holds an attribute not yet reported */
    size_t prev_end; /* where the last name, value or attribute ended */
    size_t next;     /* where what follows the attribute being reported begins */
} walk_t;

static void walk_flush(walk_t *w)
{
    if (w->open && w->fn) {
        w->attr.raw_end = w->prev_end;
        w->fn(w->baton, w->tag, &w->attr);
    }
    w->open = 0;
}

/* Turns one transition of the tag states at byte I into attribute bounds. */
static void walk_step(walk_t *w, unsigned st, unsigned next, size_t i, mc_lex_tag_shape_t *shape)
{
    mc_lex_attr_t *a = &w->attr;

    if (st == T_NAME && next != T_NAME)
        shape->name_end = w->prev_end = i;
    if (next == T_ATTR_NAME && st != T_ATTR_NAME) {
        w->next = i;
        walk_flush(w);
        *a = (mc_lex_attr_t){.name = i, .raw = w->prev_end};
        w->open = 1;
    }
    if (st == T_ATTR_NAME && next != T_ATTR_NAME) {
        a->name_len = i - a->name;
        w->prev_end = i;
    }
    if (st == T_BEFORE_VALUE && next != T_BEFORE_VALUE) {
        a->has_value = 1;
        a->quote = next == T_VALUE_DQ ? '"' : next == T_VALUE_SQ ? '\'' : 0;
        a->value = a->quote ? i + 1 : i;
        if (next == T_DONE) /* "name=>": an empty value */
            w->prev_end = i;
    }
    if ((st == T_VALUE_DQ || st == T_VALUE_SQ) && next == T_AFTER_VALUE) {
        a->value_len = i - a->value;
        w->prev_end = i + 1;
    }
    if (st == T_VALUE_UNQ && next != T_VALUE_UNQ) {
        a->value_len = i - a->value;
        w->prev_end = i;
    }
}

/* Attributes walk_fast keeps before it reports them. */
#define WALK_FAST_ATTRS 16

/* The value at P (after '='), as walk_step bounds it; P .. the returned
 * end, or NULL for a shape walk_fast leaves to the tag states. */
static const char *walk_value(const char *tag, const char *p, const char *end, mc_lex_attr_t *a)
{
    unsigned char c = (unsigned char)*p;
    const char *q;

    a->has_value = 1;
    if (c == '>') { /* "name=>": empty, and the tag ends */
        a->value = (size_t)(p - tag);
        return p;
    }
    if (c == '"' || c == '\'') {
        a->quote = c;
        a->value = (size_t)(p + 1 - tag);
        q = find_quote(p + 1, end, (char)c);
        if (!q || q + 1 >= end) /* past the fence: not this shape */
            return NULL;
        a->value_len = (size_t)(q - p - 1);
        return q + 1;
    }
    if (tag_class[c] == C_SPACE) /* "name= value" */
        return NULL;
    a->value = (size_t)(p - tag);
    q = find_fenced(p + 1, SET_VALUE_END);
    a->value_len = (size_t)(q - p);
    return q;
}

/* mc_lex_tag_walk for a tag in the usual shape (tag_rest_fast's), with a
 * search per part instead of a step per byte. The attributes are kept and
 * reported only once the whole tag has read as that shape: 0, and nothing
 * reported, sends the tag to the full states. The bounds are those
 * walk_step sets: RAW from where the previous part ended, RAW_END where
 * this one's name or value ends. */
static int walk_fast(const char *tag, size_t len, size_t i, mc_lex_attr_fn *fn, void *baton,
                     mc_lex_tag_shape_t *shape)
{
    mc_lex_attr_t attrs[WALK_FAST_ATTRS];
    unsigned n = 0;
    const char *end = tag + len;
    const char *p;
    size_t prev_end;

    if (tag[len - 1] != '>') /* the fence of every search below */
        return 0;
    p = find_fenced(tag + i, SET_NAME_END);
    shape->name_end = prev_end = (size_t)(p - tag);
    for (;;) {
        mc_lex_attr_t *a;
        unsigned char c;

        p = skip_space_fenced(p);
        c = (unsigned char)*p;
        if (tag_bits[c]) { /* not the start of a name */
            if (c == '>' || (c == '/' && p[1] == '>'))
                break;
            return 0;
        }
        if (n == WALK_FAST_ATTRS)
            return 0;
        a = &attrs[n++];
        *a = (mc_lex_attr_t){.name = (size_t)(p - tag), .raw = prev_end};
        p = find_fenced(p + 1, SET_ATTR_NAME_END);
        a->name_len = (size_t)(p - tag) - a->name;
        prev_end = (size_t)(p - tag);
        if (*p != '=') { /* "name=" comes first */
            if (*p == '"' || *p == '\'')
                return 0;
            p = skip_space_fenced(p);
        }
        if (*p == '=') {
            if (!(p = walk_value(tag, p + 1, end, a)))
                return 0;
            prev_end = (size_t)(p - tag);
        }
        a->raw_end = prev_end;
    }
    if (p + (*p == '/') != end - 1) /* not one complete tag */
        return 0;
    shape->tail = prev_end;
    shape->self_closing = *p == '/';
    for (unsigned k = 0; k < n && fn; k++)
        fn(baton, tag, &attrs[k]);
    return 1;
}

/* Runs the tag states over TAG[I..LEN) from state *ST. Returns the index
 * of the '>' that ends the tag (*ST is then the state before it), or LEN
 * when the bytes end first (*ST is where they leave the tag). */
static size_t walk_run(walk_t *w, const char *tag, size_t len, size_t i, unsigned *st,
                       mc_lex_tag_shape_t *shape, size_t base)
{
    while (i < len) {
        unsigned next;

        /* bytes that leave the state as it is mark no boundary: skip them */
        if (in_run(*st)) {
            i = (size_t)(skip_run(tag + i, tag + len) - tag);
        } else if (*st == T_VALUE_DQ || *st == T_VALUE_SQ) {
            const char *q = find_quote(tag + i, tag + len, *st == T_VALUE_DQ ? '"' : '\'');

            i = q ? (size_t)(q - tag) : len;
        }
        if (i == len)
            break;
        next = tag_next[*st][tag_class[(unsigned char)tag[i]]];
        walk_step(w, *st, next, base + i, shape);
        if (next == T_DONE)
            return i;
        *st = next;
        i++;
    }
    return len;
}

int mc_lex_tag_walk(const char *tag, size_t len, mc_lex_attr_fn *fn, void *baton,
                    mc_lex_tag_shape_t *shape)
{
    walk_t w = {.fn = fn, .baton = baton, .tag = tag};
    size_t i = len > 1 && tag[1] == '/' ? 2 : 1;
    unsigned st = T_NAME;

    memset(shape, 0, sizeof(*shape));
    if (len < 3 || tag[0] != '<' || !is_alpha((unsigned char)tag[i]))
        return 0;
    shape->name = i;
    if (walk_fast(tag, len, i, fn, baton, shape))
        return 1;
    shape->name_end = 0;
    i = walk_run(&w, tag, len, i, &st, shape, 0);
    if (i == len)
        return 0;
    walk_flush(&w);
    shape->tail = w.prev_end;
    shape->self_closing = st == T_SELF_CLOSING;
    return i == len - 1;
}

#ifdef MC_LEX_CHECK_KEPT
#include <stdlib.h>

/* Test builds (ASan, fuzzing): what the lexer kept is what a walk of the
 * same bytes finds, or the process aborts. */
typedef struct walked {
    unsigned n;
    mc_lex_attr_t a[MC_LEX_REC_ATTRS];
} walked_t;

static void walked_add(void *baton, const char *tag, const mc_lex_attr_t *attr)
{
    walked_t *w = baton;

    (void)tag;
    if (w->n < MC_LEX_REC_ATTRS)
        w->a[w->n] = *attr;
    w->n++;
}

static int attr_same(const mc_lex_attr_t *a, const mc_lex_rec_attr_t *r)
{
    return a->name == r->name && a->name_len == r->name_len && a->has_value == r->has_value &&
           a->quote == r->quote && (!a->has_value || a->value == r->value) &&
           a->value_len == r->value_len && a->raw == r->raw && a->raw_end == r->raw_end;
}

static void check_kept(const mc_lex_t *lx, const char *tag, size_t len)
{
    walked_t w = {0};
    mc_lex_tag_shape_t shape;

    if (!mc_lex_tag_walk(tag, len, walked_add, &w, &shape) || w.n != lx->rec_n ||
        shape.name != 1 || shape.name_end != lx->rec_name_end || shape.tail != lx->rec_tail ||
        shape.self_closing != lx->rec_self_closing)
        abort();
    for (unsigned k = 0; k < w.n; k++) {
        if (!attr_same(&w.a[k], &lx->rec[k]))
            abort();
    }
}
#endif

int mc_lex_tag_recorded(const mc_lex_t *lx, mc_lex_off_t from, const char *tag, size_t len,
                        mc_lex_attr_fn *fn, void *baton, mc_lex_tag_shape_t *shape)
{
    if (lx->rec_to == 0 || lx->rec_from != from || lx->rec_to - from != len)
        return 0;
#ifdef MC_LEX_CHECK_KEPT
    check_kept(lx, tag, len);
#endif
    *shape = (mc_lex_tag_shape_t){.name = 1,
                                  .name_end = lx->rec_name_end,
                                  .tail = lx->rec_tail,
                                  .self_closing = lx->rec_self_closing};
    for (unsigned k = 0; k < lx->rec_n && fn; k++) {
        const mc_lex_rec_attr_t *r = &lx->rec[k];
        mc_lex_attr_t a = {.name = r->name,
                           .name_len = r->name_len,
                           .has_value = r->has_value,
                           .quote = r->quote,
                           .value = r->value,
                           .value_len = r->value_len,
                           .raw = r->raw,
                           .raw_end = r->raw_end};

        fn(baton, tag, &a);
    }
    return 1;
}

mc_lex_cut_t mc_lex_tag_walk_cut(const char *tag, size_t len, mc_lex_attr_fn *fn, void *baton,
                                 mc_lex_attr_t *cut)
{
    walk_t w = {.fn = fn, .baton = baton, .tag = tag};
    mc_lex_tag_shape_t shape;
    unsigned st = T_NAME;

    memset(cut, 0, sizeof(*cut));
    memset(&shape, 0, sizeof(shape));
    if (len < 2 || tag[0] != '<' || !is_alpha((unsigned char)tag[1]))
        return MC_LEX_CUT_NOT;
    if (walk_run(&w, tag, len, 1, &st, &shape, 0) != len)
        return MC_LEX_CUT_NOT; /* it ends within: a whole tag */
    switch (st) {
    case T_NAME: return MC_LEX_CUT_TAG_NAME;
    case T_ATTR_NAME:
        *cut = w.attr;
        cut->name_len = len - cut->name;
        return MC_LEX_CUT_NAME;
    case T_AFTER_ATTR:
    case T_BEFORE_VALUE: *cut = w.attr; return MC_LEX_CUT_BEFORE_VALUE;
    case T_VALUE_DQ:
    case T_VALUE_SQ:
    case T_VALUE_UNQ:
        *cut = w.attr;
        cut->value_len = len - cut->value;
        return MC_LEX_CUT_VALUE;
    default: /* between attributes: the last one is whole */
        walk_flush(&w);
        return MC_LEX_CUT_BETWEEN;
    }
}

void mc_lex_stream_init(mc_lex_stream_t *s)
{
    memset(s, 0, sizeof(*s));
    s->state = T_NAME;
}

/* walk_t's call for a stream: the attribute and where what follows it
 * begins, to mc_lex_stream_fn. */
typedef struct stream_call {
    mc_lex_stream_fn *fn;
    void *baton;
    const walk_t *w;
} stream_call_t;

static void stream_attr(void *baton, const char *tag, const mc_lex_attr_t *attr)
{
    const stream_call_t *c = baton;

    (void)tag;
    c->fn(c->baton, attr, c->w->next);
}

size_t mc_lex_stream_run(mc_lex_stream_t *s, const char *piece, size_t len, size_t off,
                         mc_lex_stream_fn *fn, void *baton)
{
    walk_t w = {.fn = stream_attr, .attr = s->attr, .open = s->open, .prev_end = s->prev_end};
    stream_call_t call = {fn, baton, &w};
    mc_lex_tag_shape_t shape;
    unsigned st = s->state;
    size_t i;

    w.baton = &call;
    memset(&shape, 0, sizeof(shape));
    i = walk_run(&w, piece, len, 0, &st, &shape, off);
    if (i < len) { /* the '>' that ends the tag: its last attribute is whole */
        w.next = off + i;
        walk_flush(&w);
        st = T_DONE;
    }
    s->state = st;
    s->attr = w.attr;
    s->open = w.open;
    s->prev_end = w.prev_end;
    return off + i;
}

int mc_lex_stream_in_name(const mc_lex_stream_t *s)
{
    return s->state == T_ATTR_NAME;
}
