/* libFuzzer target for the CSS URL scanner and its neutralised copy
 * (mod_consent/core/css.c).
 *
 * For every input it checks, and aborts when one fails:
 *  - no crash and no undefined behaviour (built with ASan and UBSan), and no
 *    read past the input (it is copied to a buffer of exactly its size);
 *  - the references come in order, do not overlap and lie within the input;
 *    each starts where such a reference can (a quote for a string, a name
 *    for url()/src()) and its URL is NUL-terminated, without tab or newline,
 *    trimmed; with a scratch buffer of 3 * N + 1 bytes (the most decoding
 *    can need) no URL is NULL;
 *  - a small scratch buffer changes only which URLs are NULL;
 *  - the neutralised copy fits in N + 16 per reference; scanned again it
 *    has the same references of the same kinds, the kept ones reading the
 *    same URL and every other one "data:,", and between them the bytes of
 *    the input: no URL that was not to be kept is left;
 *  - read as a stream (mc_css_stream_feed) with a window of 64 to 319
 *    bytes, fed in pieces whose sizes the input picks, it writes the same
 *    bytes as the whole sheet neutralised, or, when a token outgrew the
 *    window, a beginning of them, and leaves the rest unwritten.
 * Which references are kept follows a hash of their URL (and a stream
 * keeps every data: URL, as the rewriter does).
 * "make fuzz-css" builds and runs it (FUZZ_SECONDS).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "css.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_css: %s\n", what);
        abort();
    }
}

typedef struct seen_ref {
    mc_css_ref_kind_t kind;
    size_t start, end;
    int has_url;
    uint32_t hash; /* of the URL */
    int is_data;   /* the URL is "data:," */
} seen_ref_t;

typedef struct seen {
    const char *css;
    size_t n;
    seen_ref_t *refs;
    size_t count, max;
} seen_t;

static uint32_t url_hash(const char *url, size_t len)
{
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)url[i]) * 16777619u;
    return h;
}

static int record(void *baton, const mc_css_ref_t *ref)
{
    seen_t *s = baton;
    seen_ref_t *r;
    char first;

    check(s->count < s->max, "more references than bytes");
    check(ref->start < ref->end && ref->end <= s->n, "a reference outside the input");
    check(s->count == 0 || s->refs[s->count - 1].end <= ref->start,
          "references out of order or overlapping");
    first = s->css[ref->start];
    if (first == '"' || first == '\'')
        check(ref->kind != MC_CSS_URL && ref->kind != MC_CSS_SRC, "url() starting with a quote");
    else
        check(ref->kind == MC_CSS_URL || ref->kind == MC_CSS_SRC || ref->kind == MC_CSS_IMPORT,
              "a string reference starting with no quote");
    if (ref->url != NULL) {
        check(ref->url[ref->url_len] == '\0', "a URL without its terminator");
        check(memchr(ref->url, '\t', ref->url_len) == NULL &&
                  memchr(ref->url, '\n', ref->url_len) == NULL &&
                  memchr(ref->url, '\r', ref->url_len) == NULL,
              "a tab or newline left in a URL");
        check(ref->url_len == 0 || ((unsigned char)ref->url[0] > 0x20 &&
                                    (unsigned char)ref->url[ref->url_len - 1] > 0x20),
              "a URL not trimmed");
    }
    r = &s->refs[s->count++];
    r->kind = ref->kind;
    r->start = ref->start;
    r->end = ref->end;
    r->has_url = ref->url != NULL;
    r->hash = ref->url ? url_hash(ref->url, ref->url_len) : 0;
    r->is_data = ref->url != NULL && ref->url_len == 6 && memcmp(ref->url, "data:,", 6) == 0;
    return 0;
}

static int keep_by_hash(void *baton, const mc_css_ref_t *ref)
{
    (void)baton;
    return ref->url != NULL && (url_hash(ref->url, ref->url_len) & 1);
}

static int keep_data_or_by_hash(void *baton, const mc_css_ref_t *ref)
{
    return ref->data || keep_by_hash(baton, ref);
}

typedef struct written {
    char *data;
    size_t len, cap;
} written_t;

static int write_out(void *baton, const char *data, size_t len)
{
    written_t *w = baton;

    check(w->len + len <= w->cap, "the stream wrote more than the whole sheet");
    memcpy(w->data + w->len, data, len);
    w->len += len;
    return 0;
}

/* CSS through a stream, compared with its whole neutralised copy. */
static void check_stream(const uint8_t *data, const char *css, size_t size, char *scratch,
                         size_t scratch_cap)
{
    size_t window = 64 + (size > 0 ? data[0] : 0);
    size_t whole_cap = size + 16 * (size + 1), whole_len = 0, off = 0, taken = 0;
    char *whole = malloc(whole_cap);
    char *win = malloc(window);
    mc_css_stream_t cs;
    written_t w = {0};
    mc_status_t st = MC_OK;

    check(whole != NULL && win != NULL, "out of memory");
    check(mc_css_neutralise(css, size, scratch, scratch_cap, keep_data_or_by_hash, NULL, whole,
                            whole_cap, &whole_len) == MC_OK,
          "neutralise failed");
    w.data = malloc(whole_len + 1);
    w.cap = whole_len;
    check(w.data != NULL, "out of memory");
    mc_css_stream_init(&cs, win, window);
    for (size_t i = 1; st == MC_OK; i++) {
        size_t k = 1 + (size > i ? data[i] : i) % 97;

        if (k > size - off)
            k = size - off;
        st = mc_css_stream_feed(&cs, css + off, k, off + k == size, scratch, scratch_cap,
                                keep_data_or_by_hash, NULL, write_out, &w, &taken);
        off += k;
        if (off == size)
            break;
    }
    check(memcmp(w.data, whole, w.len) == 0, "the stream wrote other bytes");
    if (st == MC_OK)
        check(w.len == whole_len, "the stream wrote less than the whole sheet");
    else
        check(st == MC_ELIMIT, "the stream failed otherwise");
    free(w.data);
    free(win);
    free(whole);
}

static void scan_all(seen_t *s, const char *css, size_t n, char *scratch, size_t cap)
{
    s->css = css;
    s->n = n;
    s->count = 0;
    check(mc_css_scan(css, n, scratch, cap, record, s) == MC_OK, "scan failed");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *css = malloc(size ? size : 1);
    size_t scratch_cap = 3 * size + 1;
    char *scratch = malloc(scratch_cap);
    seen_t a = {0}, small = {0}, b = {0};
    size_t out_cap, out_len = 0, in_at = 0, out_at = 0;
    char *out;

    check(css != NULL && scratch != NULL, "out of memory");
    memcpy(css, data, size);
    a.max = small.max = size + 1;
    a.refs = malloc(a.max * sizeof(*a.refs));
    small.refs = malloc(small.max * sizeof(*small.refs));
    check(a.refs != NULL && small.refs != NULL, "out of memory");

    scan_all(&a, css, size, scratch, scratch_cap);
    for (size_t i = 0; i < a.count; i++)
        check(a.refs[i].has_url, "a URL did not fit in 3 * N + 1 bytes");

    check_stream(data, css, size, scratch, scratch_cap);

    scan_all(&small, css, size, scratch, size > 0 ? (size_t)data[0] % 16 : 0);
    check(small.count == a.count, "the scratch size changed the references");
    for (size_t i = 0; i < a.count; i++)
        check(small.refs[i].kind == a.refs[i].kind && small.refs[i].start == a.refs[i].start &&
                  small.refs[i].end == a.refs[i].end &&
                  (!small.refs[i].has_url || small.refs[i].hash == a.refs[i].hash),
              "the scratch size changed a reference");

    out_cap = size + 16 * a.count;
    out = malloc(out_cap ? out_cap : 1);
    check(out != NULL, "out of memory");
    check(mc_css_neutralise(css, size, scratch, scratch_cap, keep_by_hash, NULL, out, out_cap,
                            &out_len) == MC_OK,
          "N + 16 per reference was not enough");
    check(out_len <= out_cap, "wrote past the capacity");

    b.max = out_len + 1;
    b.refs = malloc(b.max * sizeof(*b.refs));
    check(b.refs != NULL, "out of memory");
    free(scratch);
    scratch_cap = 3 * out_len + 1;
    scratch = malloc(scratch_cap);
    check(scratch != NULL, "out of memory");
    scan_all(&b, out, out_len, scratch, scratch_cap);
    check(b.count == a.count, "the neutralised copy has other references");
    for (size_t i = 0; i < a.count; i++) {
        size_t gap = a.refs[i].start - in_at;
        check(b.refs[i].kind == a.refs[i].kind, "a reference changed kind");
        check(b.refs[i].start - out_at == gap && memcmp(out + out_at, css + in_at, gap) == 0,
              "bytes between references changed");
        if (a.refs[i].hash & 1) { /* kept */
            check(b.refs[i].end - b.refs[i].start == a.refs[i].end - a.refs[i].start &&
                      memcmp(out + b.refs[i].start, css + a.refs[i].start,
                             a.refs[i].end - a.refs[i].start) == 0,
                  "a kept reference changed");
        } else {
            check(b.refs[i].is_data, "a reference not kept still fetches");
        }
        in_at = a.refs[i].end;
        out_at = b.refs[i].end;
    }
    check(out_len - out_at == size - in_at && memcmp(out + out_at, css + in_at, size - in_at) == 0,
          "bytes after the last reference changed");

    free(b.refs);
    free(out);
    free(small.refs);
    free(a.refs);
    free(scratch);
    free(css);
    return 0;
}
