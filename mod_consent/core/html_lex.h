/* The tokenizer under the HTML rewriter (html.c): one resumable state
 * machine over bytes that finds where every tag, comment, doctype, CDATA
 * section and raw-text run begins and ends, as the HTML standard's
 * tokenizer does, without building tokens.
 *
 * The rewriter drives it chunk by chunk (mc_lex_chunk, then mc_lex_next
 * until MC_LEX_MORE) and reads the few facts it acts on from the struct:
 * the name of the tag just opened, where the token began, whether the tag
 * was self-closing (the tag's fields at MC_LEX_TAG_NAME and MC_LEX_TAG_END;
 * a tag nothing is reported of may be passed over without them). Attributes are not looked at while streaming; a tag the
 * rewriter acts on is walked afterwards, whole, by mc_lex_tag_walk, which
 * runs the same attribute states (one transition table) over its bytes.
 *
 * With TREE on, the lexer also follows the few elements that change how
 * the following bytes are tokenised, as a browser's tree builder would tell
 * its tokenizer: raw text after <script>, <style>, <textarea>, <title>,
 * <xmp>, <iframe>, <noembed>, <noframes>, <plaintext>; foreign content
 * inside <svg> and <math> (CDATA sections, no raw text), every open SVG and
 * MathML element with its namespace, the integration points and breakout
 * tags of the standard's "parsing main in foreign content"; <template>
 * depth. The HTML elements around foreign content are not followed: where
 * a browser's reading hangs on them the lexer reads on as foreign content,
 * uncertain (mc_lex_uncertain), hiding no markup. The html5lib tokenizer
 * tests run with TREE off, as a bare tokenizer.
 *
 * Offsets are absolute: bytes since the start of the stream.
 */
#ifndef MC_HTML_LEX_H
#define MC_HTML_LEX_H

#include <stddef.h>
#include <stdint.h>

/* Tag names are kept, lower-cased, up to this length: every name the
 * rewriter or the tree acts on is shorter. */
#define MC_LEX_NAME_MAX 15
/* Open SVG and MathML elements followed at once (nested elements of one
 * name share a frame). Past that the lexer keeps reading, uncertain. */
#define MC_LEX_FRAMES_MAX 32

typedef uint64_t mc_lex_off_t;

/* Tags the lexer and the rewriter tell apart; every other name is OTHER. */
typedef enum mc_tag_id {
    MC_TAG_OTHER = 0,
    MC_TAG_HTML,
    MC_TAG_HEAD,
    MC_TAG_BODY,
    MC_TAG_FRAMESET,
    MC_TAG_TEMPLATE,
    MC_TAG_SCRIPT,
    MC_TAG_IFRAME,
    MC_TAG_IMG,
    MC_TAG_IMAGE, /* <image>: an <img> in HTML, an SVG element in foreign content */
    MC_TAG_EMBED,
    MC_TAG_OBJECT,
    MC_TAG_LINK,
    MC_TAG_SVG,
    MC_TAG_MATH,
    MC_TAG_STYLE,
    MC_TAG_TEXTAREA,
    MC_TAG_TITLE,
    MC_TAG_XMP,
    MC_TAG_NOEMBED,
    MC_TAG_NOFRAMES,
    MC_TAG_PLAINTEXT,
    MC_TAG_FOREIGNOBJECT,
    MC_TAG_DESC,
    MC_TAG_MI,
    MC_TAG_MO,
    MC_TAG_MN,
    MC_TAG_MS,
    MC_TAG_MTEXT,
    MC_TAG_VIDEO,
    MC_TAG_AUDIO,
    MC_TAG_SOURCE,
    MC_TAG_TRACK,
    MC_TAG_INPUT,
    MC_TAG_META, /* also ends foreign content */
    MC_TAG_BASE,
    MC_TAG_FRAME,
    MC_TAG_NOSCRIPT,
    MC_TAG_USE,            /* SVG */
    MC_TAG_FEIMAGE,        /* SVG */
    MC_TAG_FONT,           /* ends foreign content when it has color, face or size */
    MC_TAG_ANNOTATION_XML, /* MathML: HTML inside, with encoding="text/html" */
    MC_TAG_MGLYPH,         /* MathML inside <mi> ... <mtext> too, as <malignmark> is */
    MC_TAG_P,              /* ends foreign content, as "</p>" does */
    MC_TAG_BR,             /* ends foreign content, as "</br>" does */
    MC_TAG_BREAKOUT        /* an HTML element that ends foreign content (<div>, <b>, ...) */
} mc_tag_id_t;

/* A tag id's bit in mc_lex_t.report_mask. */
#define MC_LEX_TAG_BIT(id) ((uint64_t)1 << (id))

typedef enum mc_lex_event {
    MC_LEX_MORE = 0,  /* the chunk is used up */
    MC_LEX_TAG_NAME,  /* a tag's name is known: tag, end_tag, tok_start */
    MC_LEX_TAG_END,   /* the tag's '>' was consumed: self_closing */
    MC_LEX_MARKUP_END /* a comment, doctype, ... ended (markup says which) */
} mc_lex_event_t;

typedef enum mc_lex_markup {
    MC_MARKUP_COMMENT = 0,
    MC_MARKUP_BOGUS, /* <?xml ...>, <!x ...>, </ x> : a comment to a browser */
    MC_MARKUP_DOCTYPE,
    MC_MARKUP_CDATA, /* <![CDATA[ ... ]]> in foreign content */
    MC_MARKUP_EMPTY  /* "</>": no token at all */
} mc_lex_markup_t;

/* States a test may start the tokenizer in (html5lib's "initialStates"). */
typedef enum mc_lex_start {
    MC_LEX_START_DATA = 0,
    MC_LEX_START_RCDATA,
    MC_LEX_START_RAWTEXT,
    MC_LEX_START_SCRIPT,
    MC_LEX_START_PLAINTEXT,
    MC_LEX_START_CDATA
} mc_lex_start_t;

/* What a bare tokenizer would do with the bytes left at the end of input. */
typedef enum mc_lex_eof {
    MC_LEX_EOF_TEXT = 0, /* they are text (or there are none) */
    MC_LEX_EOF_DROP,     /* an unfinished tag: dropped */
    MC_LEX_EOF_COMMENT,  /* an unfinished comment: data_start .. eof_data_end */
    MC_LEX_EOF_BOGUS,    /* an unfinished bogus comment: data_start .. end */
    MC_LEX_EOF_DOCTYPE   /* an unfinished doctype */
} mc_lex_eof_t;

/* One open SVG or MathML element (or several of one name, nested). */
typedef struct mc_lex_frame {
    uint8_t ns;        /* its namespace (html_lex.c) */
    uint8_t ip;        /* whether it is an integration point, and which */
    uint8_t name_len;  /* MC_LEX_NAME_MAX: that long or longer */
    uint8_t html_open; /* HTML elements open inside this integration point */
    uint8_t html_seen; /* ... or ever opened there: html_open is a count */
    uint16_t depth;    /* nested elements of the same name */
    uint16_t tpl;      /* template_depth when it was opened */
    char name[MC_LEX_NAME_MAX + 1];
} mc_lex_frame_t;

/* An attribute of the start tag the lexer just read, as offsets from its
 * '<' (mc_lex_attr_t, smaller: a tag the rewriter reads is at most
 * MC_HTML_TAG_MAX bytes). */
typedef struct mc_lex_rec_attr {
    uint16_t name, name_len, value, value_len, raw, raw_end;
    uint8_t has_value, quote;
} mc_lex_rec_attr_t;

/* The attributes a start tag may have for the lexer to keep them. */
#define MC_LEX_REC_ATTRS 16

typedef struct mc_lex {
    /* the chunk being read */
    const char *p;
    const char *end;
    const char *chunk;
    size_t chunk_len;
    mc_lex_off_t chunk_off;
    const char *last_gt; /* the chunk's last '>', or NULL: fences searches in tags */

    uint8_t state;       /* where in the grammar (html_lex.c) */
    uint8_t tag_state;   /* where inside a tag */
    uint8_t raw_return;  /* the raw-text state a failed end-tag match returns to */
    uint8_t match;       /* characters matched of a keyword or end-tag name */
    uint8_t markup_kind; /* keyword being matched after "<!" */
    uint8_t tree;

    /* Which tags are reported (MC_LEX_TAG_NAME, MC_LEX_TAG_END): all, or
     * those whose bit is in report_mask. The others are still read, and
     * still change the state, without a word. */
    int report_all;
    uint64_t report_mask;
    int tag_reported;
    /* Of report_mask, the start tags that need only be reported with an
     * attribute named src, http-equiv or data-consent...: without one (and
     * without an attribute flagged below) such a tag may pass unreported,
     * like any other (an <input> fetches only by src, a <meta> only by
     * http-equiv). Whether it does depends on where the chunks end: the
     * reader must find nothing to do in such a tag when it is reported. */
    uint64_t report_unless;

    /* A start tag that carries an attribute which may fetch on any element
     * (style, background, srcset, imagesrcset, poster, ping, srcdoc, and
     * SVG's fill, stroke, filter, mask, cursor, clip-path, marker-*), an
     * event handler (a name that begins "on": a script) or an SVG
     * animation's attributeName (what it sets may fetch) ends with
     * MC_LEX_TAG_END even when its name is not reported: attr_flag says
     * so. The names are told apart by length and first, second and last
     * byte, which may take a rare other name too: the rewriter reads the
     * tag to be sure. */
    int attr_flag;
    int attr_fetch; /* ... flagged for a name that may fetch (not only a handler) */
    unsigned char attr_first;
    unsigned char attr_second;
    int attr_second_pending; /* the name began at a chunk's last byte */
    unsigned char attr_last; /* the last byte of a name the chunk's end cut */
    mc_lex_off_t attr_name_start;

    /* the current tag */
    int end_tag;
    int self_closing;
    mc_tag_id_t tag;
    unsigned name_len;
    char name[MC_LEX_NAME_MAX + 1];

    /* the element whose end tag ends the raw text being read */
    mc_tag_id_t raw_tag;
    unsigned raw_name_len; /* 0: no end tag is appropriate */
    char raw_name[MC_LEX_NAME_MAX + 1];

    /* the current token: its '<', and for comments, bogus comments and
     * CDATA sections where their data lies */
    mc_lex_off_t tok_start;
    mc_lex_off_t data_start;
    mc_lex_off_t data_end;
    mc_lex_markup_t markup;

    /* A reported start tag read whole in one chunk, in the usual shape:
     * its bounds, as mc_lex_tag_walk would find them, kept for
     * mc_lex_tag_recorded (the rewriter need not read it again). rec_to
     * is 0 when none is kept. */
    mc_lex_off_t rec_from, rec_to;
    unsigned rec_n;
    uint16_t rec_name_end, rec_tail;
    int rec_self_closing;
    mc_lex_rec_attr_t rec[MC_LEX_REC_ATTRS];

    /* tree: foreign content and templates */
    unsigned nframes;
    mc_lex_frame_t frames[MC_LEX_FRAMES_MAX];
    /* Where the standard's tree builder would decide by what the lexer
     * does not follow (the HTML elements open around an <svg>, a stack too
     * deep), the lexer reads on as foreign content and says it is
     * uncertain: the tags read may be HTML ones to a browser. Until the
     * foreign content it reads has ended, it then hides no markup from
     * its reader: no raw text, no CDATA section (what either reading
     * makes a tag is read as one). */
    int uncertain;
    /* a <frameset> was read as HTML: a browser that took it ignores an
     * <svg> or <math> after it, one that did not (a body had begun) opens
     * it; read as opened, uncertain */
    int frameset;
    /* the start tag just ended (<font>, <annotation-xml> in foreign
     * content) changes the tree by its attributes: mc_lex_tree_attrs */
    int tree_pending;
    unsigned template_depth;
    /* bit K: the template K + 1 deep is a declarative shadow root
     * (<template shadowrootmode>), whose content is live */
    uint64_t template_live;
} mc_lex_t;

void mc_lex_init(mc_lex_t *lx, int tree);

/* Starts the tokenizer in START; LAST_START_TAG names the element whose end
 * tag ends raw text (NULL: none is appropriate). For tests. */
void mc_lex_set_start(mc_lex_t *lx, mc_lex_start_t start, const char *last_start_tag);

/* The next LEN bytes of the stream are DATA. */
void mc_lex_chunk(mc_lex_t *lx, const char *data, size_t len);

/* Reads on to the next event. */
mc_lex_event_t mc_lex_next(mc_lex_t *lx);

/* Absolute offset of the next byte to read. */
static inline mc_lex_off_t mc_lex_pos(const mc_lex_t *lx)
{
    return lx->chunk_off + (mc_lex_off_t)(lx->p - lx->chunk);
}

/* 1 while a start tag has begun whose name is not complete yet ("<", "<scr"). */
int mc_lex_name_pending(const mc_lex_t *lx);

/* 1 while a start tag has begun and its '>' has not come yet. */
int mc_lex_in_start_tag(const mc_lex_t *lx);

/* 1 when the start tag whose name was just reported is an HTML element
 * (not an SVG or MathML one) outside any <template>: one the rewriter may
 * act on. */
int mc_lex_html_context(const mc_lex_t *lx);

/* Inside a <template> whose content is inert (not every template around is
 * a declarative shadow root). */
int mc_lex_inert(const mc_lex_t *lx);

/* The <template> just opened is a declarative shadow root: its content is
 * part of the page, not inert. */
void mc_lex_template_is_live(mc_lex_t *lx);

/* Foreign content (<svg>, <math>) is open, outside an integration point. */
int mc_lex_foreign(const mc_lex_t *lx);

/* The tags read now may be HTML elements to a browser although the lexer
 * reads them as foreign (see mc_lex_t.uncertain). */
int mc_lex_uncertain(const mc_lex_t *lx);

/* When lx->tree_pending after MC_LEX_TAG_END: the whole start tag, TAG[0]
 * '<' to its '>', whose attributes decide what it does to the tree (a
 * <font> with color, face or size ends foreign content; an
 * <annotation-xml> whose encoding is text/html or application/xhtml+xml
 * holds HTML). TAG NULL when the caller has not kept the bytes: the lexer
 * reads on as foreign content, uncertain. A caller that does not call it
 * before mc_lex_next gets the same. */
void mc_lex_tree_attrs(mc_lex_t *lx, const char *tag, size_t len);

/* What the input's end leaves unfinished; for an unfinished comment
 * *DATA_END is where its data ends. */
mc_lex_eof_t mc_lex_eof(const mc_lex_t *lx, mc_lex_off_t *data_end);

/* The id of a lower-case tag name. */
mc_tag_id_t mc_tag_lookup(const char *name, size_t len);

/* Whether the element ID of SVG or MathML may hold HTML (an integration
 * point; annotation-xml only with some encodings). */
int mc_tag_integration_point(mc_tag_id_t id);

/* ------------------------------------------------------ walking one tag -- */

/* One attribute of a tag, as offsets into the tag's bytes. RAW .. RAW_END
 * is the attribute with the whitespace before it: removing that span from
 * the tag removes the attribute cleanly. */
typedef struct mc_lex_attr {
    size_t name;
    size_t name_len;
    int has_value; /* "name=..." (a value, possibly empty) */
    int quote;     /* '"', '\'' or 0 for an unquoted value */
    size_t value;  /* the value, without quotes */
    size_t value_len;
    size_t raw;
    size_t raw_end;
} mc_lex_attr_t;

typedef void mc_lex_attr_fn(void *baton, const char *tag, const mc_lex_attr_t *attr);

typedef struct mc_lex_tag_shape {
    size_t name; /* offset of the tag name (after "<" or "</") */
    size_t name_end;
    size_t tail; /* where what follows the last attribute begins */
    int self_closing;
} mc_lex_tag_shape_t;

/* Walks a complete tag, TAG[0] '<' through TAG[LEN - 1] '>', calling FN
 * for each attribute in order (duplicates included). Returns 0 when the
 * bytes are not one complete tag. */
int mc_lex_tag_walk(const char *tag, size_t len, mc_lex_attr_fn *fn, void *baton,
                    mc_lex_tag_shape_t *shape);

/* mc_lex_tag_walk for the start tag TAG[0..LEN) whose '<' is at FROM in
 * the stream, when it is the reported start tag the lexer just read and
 * kept (mc_lex_t.rec_*): the same calls of FN and the same SHAPE, from
 * what the lexer found. 0, having called nothing, when it kept none of
 * those bytes: mc_lex_tag_walk reads them. */
int mc_lex_tag_recorded(const mc_lex_t *lx, mc_lex_off_t from, const char *tag, size_t len,
                        mc_lex_attr_fn *fn, void *baton, mc_lex_tag_shape_t *shape);

/* Where the end of a start tag's first bytes cuts it. */
typedef enum mc_lex_cut {
    MC_LEX_CUT_NOT = 0,      /* the bytes are no start of a tag, or a whole tag */
    MC_LEX_CUT_TAG_NAME,     /* inside the tag's name */
    MC_LEX_CUT_BETWEEN,      /* after a whole attribute (or the name) */
    MC_LEX_CUT_NAME,         /* inside an attribute's name (it may go on) */
    MC_LEX_CUT_BEFORE_VALUE, /* after a name, before its value ("src", "src=") */
    MC_LEX_CUT_VALUE         /* inside a value: value_len is what there is of it */
} mc_lex_cut_t;

/* Walks TAG[0..LEN), the first bytes of a start tag that goes on past
 * them, as mc_lex_tag_walk would: FN for each attribute that is whole
 * within them. CUT gets the attribute the end cuts (for MC_LEX_CUT_NAME,
 * _BEFORE_VALUE and _VALUE), as far as it goes. */
mc_lex_cut_t mc_lex_tag_walk_cut(const char *tag, size_t len, mc_lex_attr_fn *fn, void *baton,
                                 mc_lex_attr_t *cut);

/* Whether the lexer flags a start tag for an attribute named NAME (LEN
 * bytes, any case): one that may fetch, an event handler, or another with
 * the length and ends of one (mc_lex_t.attr_flag). */
int mc_lex_attr_flagged(const char *name, size_t len);

/* A start tag too long to hold, walked in pieces as it streams: the tag
 * states carried from one piece to the next, and the attribute begun and
 * not yet reported (OPEN: ATTR's name, and once known its name_len, are
 * set). */
typedef struct mc_lex_stream {
    unsigned state;
    int open;
    mc_lex_attr_t attr;
    size_t prev_end;
} mc_lex_stream_t;

/* An attribute of a tag read in pieces is whole (offsets in the stream):
 * NEXT is where what follows it begins, the next attribute's name or the
 * tag's '>'. */
typedef void mc_lex_stream_fn(void *baton, const mc_lex_attr_t *attr, size_t next);

/* Ready for the bytes after a start tag's '<'. */
void mc_lex_stream_init(mc_lex_stream_t *s);

/* Walks PIECE[0..LEN), the next bytes of the tag, whose first is at OFF in
 * the stream, calling FN for each attribute they complete, in order, as
 * mc_lex_tag_walk would. Returns the offset of the '>' that ends the tag
 * (the last attribute reported), or OFF + LEN when the tag goes on. */
size_t mc_lex_stream_run(mc_lex_stream_t *s, const char *piece, size_t len, size_t off,
                         mc_lex_stream_fn *fn, void *baton);

/* Whether the last piece ended inside an attribute's name. */
int mc_lex_stream_in_name(const mc_lex_stream_t *s);

#endif
