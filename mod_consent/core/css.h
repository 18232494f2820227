/* Every URL a browser would fetch from a piece of CSS (a style sheet, the
 * body of a <style> element or a style="" attribute), found the way CSS
 * Syntax Level 3 tokenises it rather than by pattern: comments, strings,
 * escapes in names ("\75 rl(" is url), url tokens and bad-url tokens, and
 * the blocks that nest them. The HTML rewriter uses it to neutralise the
 * tracker URLs among them.
 *
 * A reference is one of:
 *   url(x)  url( "x" )  url('x')          MC_CSS_URL (any case, any escape)
 *   @import "x"  @import url(x)           MC_CSS_IMPORT
 *   image-set("x" 1x, ...)                MC_CSS_IMAGE_SET, for each string
 *     (also -webkit-image-set() and image()) directly in the function;
 *     url()s in them come as MC_CSS_URL
 *   src("x")                              MC_CSS_SRC
 *   --name: ... "x" ...                   MC_CSS_VAR_STRING: a string in a
 *     custom property's value, which image-set(var(--name)) or
 *     src(var(--name)) would fetch
 * Bad-url tokens ("url(a b)", "url(a"b)") and bad strings (a newline
 * inside) are not fetched by a browser and not reported.
 *
 * The CSS must be whole: a piece cut in the middle of a token is read as
 * if it ended there. Time is linear in its length and nothing is allocated;
 * block nesting is tracked exactly to MC_CSS_MAX_DEPTH levels, beyond
 * which strings in image-set() are reported even where they might not be
 * direct arguments. */
#ifndef MC_CSS_H
#define MC_CSS_H

#include <stddef.h>

#include "status.h"

#define MC_CSS_MAX_DEPTH 4096

typedef enum mc_css_ref_kind {
    MC_CSS_URL = 0,   /* url(...) token or url("...") function */
    MC_CSS_IMPORT,    /* @import "x" / @import url(x) */
    MC_CSS_IMAGE_SET, /* a string inside image-set()/-webkit-image-set()/image() */
    MC_CSS_SRC,       /* src("...") function */
    MC_CSS_VAR_STRING /* a string in a custom property's value */
} mc_css_ref_kind_t;

typedef struct mc_css_ref {
    mc_css_ref_kind_t kind;
    /* The bytes to replace: the whole url token or function ("url( x )",
     * "src('x')"), or the string with its quotes ("\"x\"") for @import,
     * image-set and custom properties. A url("x") or src("x") followed by
     * anything but ")" covers the name and the string only; one left open
     * at the end of the CSS ends there. */
    size_t start, end;
    /* The URL with CSS escapes decoded (a NUL or an invalid escape as
     * U+FFFD, in UTF-8), then as a URL parser reads it: ASCII tab and
     * newlines removed, C0 controls and spaces trimmed from both ends.
     * NUL-terminated (URL_LEN does not count the NUL; a decoded NUL is
     * U+FFFD, so there is none inside). Points into the caller's scratch
     * buffer and is valid only during the call; NULL when it did not fit
     * there with its terminator. */
    const char *url;
    size_t url_len;
    /* The URL is a data: URL, which fetches nothing (known when URL is
     * NULL too, from the part that fitted). */
    int data;
} mc_css_ref_t;

/* Calls FN for each URL reference in CSS[0..N), in order; the references do
 * not overlap. SCRATCH/SCRATCH_CAP: where decoded URLs are written (a URL
 * that does not fit is reported with url=NULL). FN returns 0 to go on,
 * non-zero to stop. Returns MC_OK (MC_EINVAL when CSS or FN is NULL). Never
 * reads past N. Linear time. */
typedef int mc_css_ref_fn(void *baton, const mc_css_ref_t *ref);
mc_status_t mc_css_scan(const char *css, size_t n, char *scratch, size_t scratch_cap,
                        mc_css_ref_fn *fn, void *baton);

/* Writes CSS to OUT with each reference for which KEEP returns 0 replaced by
 * an inert one that fetches nothing, everything else byte for byte:
 *   url(...)                -> url("data:,")
 *   src(...)                -> src("data:,")
 *   the string of an @import, image-set() or custom property -> "data:,"
 *   @import url(...)        -> @import url("data:,")
 * (a function left without its ")" in the input stays so). The rest of the
 * CSS tokenises as before, so the declarations around a replaced URL still
 * apply. OUT holds at most CAP bytes; MC_ELIMIT if too small (N + 16 * the
 * number of references is always enough); *OUT_LEN gets the length written. */
typedef int mc_css_keep_fn(void *baton, const mc_css_ref_t *ref);
mc_status_t mc_css_neutralise(const char *css, size_t n, char *scratch, size_t scratch_cap,
                              mc_css_keep_fn *keep, void *baton, char *out, size_t cap,
                              size_t *out_len);

/* --- a style sheet too long to hold: read as it streams ------------------------------
 *
 * mc_css_stream_feed gives the same bytes as mc_css_neutralise over the
 * whole sheet, written as they are settled: the stream keeps a window of
 * the bytes whose tokens are not complete yet (a token is read again when
 * the next bytes arrive) and, between windows, the scanner's state. A
 * token longer than the window is read on without being held when it
 * cannot fetch anything — a comment, whitespace, a url() or url("...")/
 * src("...") whose URL is a data: URL — and is otherwise the stream's end:
 * MC_ELIMIT, and what the stream did not write is the caller's to make
 * harmless. */

/* What the scanner carries from one token to the next. */
typedef struct mc_css_state {
    unsigned char levels[MC_CSS_MAX_DEPTH / 4]; /* each open block, two bits */
    size_t depth;           /* levels held in LEVELS */
    size_t overflow;        /* levels beyond those, whose closers are not known */
    int overflow_image_set; /* an image-set() opened among those */
    int after_import;       /* the last solid token was "@import" */
    size_t custom_depth;    /* 1 + the depth of the custom property being read, or 0 */
} mc_css_state_t;

typedef struct mc_css_stream {
    mc_css_state_t state;
    char *win; /* the window: bytes read, not yet written */
    size_t cap, len;
    int skip;    /* the window starts inside a long comment, url or string */
    int quote;   /* the string's quote, while skipping one */
    int escaped; /* the last byte skipped was an escaping backslash */
    int failed;  /* a token outgrew the window: nothing more is read */
} mc_css_stream_t;

/* Where the stream's output goes, in order; non-zero stops the stream
 * (mc_css_stream_feed then returns MC_EIO). */
typedef int mc_css_write_fn(void *baton, const char *data, size_t len);

/* Starts a stream with WINDOW[0..CAP) as its window (CAP >= 64). */
void mc_css_stream_init(mc_css_stream_t *cs, char *window, size_t cap);

/* Reads CSS[0..N), the next bytes of the sheet, and writes through WRITE
 * every byte now settled, each reference for which KEEP returns 0 replaced
 * as mc_css_neutralise does. FINAL: these are the sheet's last bytes;
 * everything is written. Returns MC_OK; MC_ELIMIT when a token outgrew the
 * window: the window's bytes (cs->win, cs->len) and CSS[*TAKEN..N) are
 * not written, and later calls return MC_ELIMIT at once (*TAKEN = 0);
 * MC_EIO when WRITE failed. */
mc_status_t mc_css_stream_feed(mc_css_stream_t *cs, const char *css, size_t n, int final,
                               char *scratch, size_t scratch_cap, mc_css_keep_fn *keep,
                               void *keep_baton, mc_css_write_fn *write, void *write_baton,
                               size_t *taken);

/* A name for logging and tests ("url", "import", "image-set", "src", "var-string"). */
const char *mc_css_ref_kind_str(mc_css_ref_kind_t kind);

#endif
