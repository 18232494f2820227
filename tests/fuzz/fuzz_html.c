/* libFuzzer target for the streaming HTML rewriter (mod_consent/core/html.c).
 *
 * For every input it checks, and aborts when one fails:
 *  - no crash and no undefined behaviour (built with ASan and UBSan);
 *  - the output for the whole input equals the output for the same input
 *    cut at 2 to 5 places chosen from the input's own bytes (and, for short
 *    inputs, fed one byte at a time);
 *  - with injection off and a classifier that matches nothing, an input
 *    without author marks ("data-consent") comes out byte for byte, but for
 *    the "</noscript" a <noscript> must not end at (sent as "&lt;/noscript"),
 *    and the like for raw text the lexer reads as markup ("&lt;/xmp"),
 *    when no target can be over a cap (or every category is granted) and
 *    no SVG script or sheet failed closed (stats.unreadable);
 *  - the bytes held never exceed MC_HTML_TAG_MAX + inline_max.
 * The policy (granted categories, classifier, injection, inline cap) is
 * chosen from a hash of the input, so one corpus explores all of them.
 *
 * Build (from the repository root; "make fuzz" does the same):
 *   sh build-aux/embed.sh . rules/default.json locales/nb.json locales/nn.json \
 *      locales/en.json > /tmp/builtin_data.c
 *   clang -std=gnu11 -fsanitize=fuzzer,address,undefined -g -O1 \
 *      $(pkg-config --cflags apr-1 apr-util-1 libpcre2-8 jansson libcrypto) -Imod_consent/core \
 *      tests/fuzz/fuzz_html.c mod_consent/core/{status,category,rules,builtin,html,html_lex}.c \
 *      /tmp/builtin_data.c -o /tmp/fuzz_html \
 *      $(pkg-config --libs apr-1 apr-util-1 libpcre2-8 jansson libcrypto)
 *   mkdir -p /tmp/corpus && /tmp/fuzz_html -max_len=8192 /tmp/corpus tests/fuzz/seeds/html
 * (libFuzzer adds what it finds to the FIRST directory: keep the seeds second.)
 * Adding -DMC_HTML_TAG_MAX=64 lets short inputs reach the oversized-tag path.
 */
#include <apr_general.h>
#include <apr_pools.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "gtag.h"
#include "html.h"
#include "rules.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_CUTS 5
/* Inputs up to this size are also fed one byte at a time. */
#define BYTEWISE_MAX 512

static apr_pool_t *root;
static mc_ruleset_t *rules;
static mc_categories_t *cats;

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_html: %s\n", what);
        abort();
    }
}

/* Once, before any input: what is made here lives as long as the process
 * (and is made outside libFuzzer's per-input leak check, which cannot see
 * into APR's pool memory). */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const mc_builtin_file_t *catalogue;
    const char *err = NULL;

    apr_initialize();
    /* tears the catalogue down before the leak check that runs at exit */
    atexit(apr_terminate);
    apr_pool_create(&root, NULL);
    rules = mc_ruleset_make(root);
    cats = mc_categories_make(root);
    catalogue = mc_builtin_find("rules/default.json");
    check(catalogue && mc_ruleset_load_json(rules, catalogue->data, catalogue->len, "default",
                                            &err) == MC_OK,
          "the default catalogue does not load");
    return 0;
}

/* --- the policy's callbacks ---------------------------------------------------- */

static int classify_catalogue(void *baton, mc_rule_kind_t kind, const char *subject, size_t len,
                              const char **service)
{
    const mc_rule_t *rule = kind == MC_RULE_URL ? mc_ruleset_match_url(rules, subject, len)
                                                : mc_ruleset_match_inline(rules, subject, len);
    /* as the glue does: a Google tag's ids decide (Consent Mode on) */
    const char *gtag = rule && rule->google_tag ? mc_gtag_classify(kind, subject, len, 1) : NULL;

    *service = rule && !gtag ? rule->service_id : NULL;
    if (gtag)
        return mc_categories_index(cats, gtag);
    return rule ? mc_categories_index(cats, rule->category) : -1;
}

/* Classifies far more than the catalogue does, so rewriting is exercised
 * on whatever the fuzzer makes: -1 to 3 from a byte of the subject. */
static int classify_often(void *baton, mc_rule_kind_t kind, const char *subject, size_t len,
                          const char **service)
{
    /* the Google tag id scanners read every subject the fuzzer makes */
    (void)mc_gtag_classify(kind, subject, len, 0);
    *service = NULL;
    return len == 0 ? -1 : (int)((unsigned char)subject[len / 2] % 5) - 1;
}

static int classify_nothing(void *baton, mc_rule_kind_t kind, const char *subject, size_t len,
                            const char **service)
{
    *service = NULL;
    return -1;
}

static const char *banner(void *baton, const char *lang, size_t *len)
{
    *len = 8;
    return "[banner]";
}

/* --- output ------------------------------------------------------------------------- */

typedef struct output {
    char *data;
    size_t len;
    size_t cap;
    unsigned unreadable; /* the rewriter's count of bodies it failed closed */
} output_t;

static mc_status_t sink(void *baton, mc_html_out_t kind, const char *data, size_t len)
{
    output_t *out = baton;

    check(len > 0, "the sink was handed an empty span");
    if (out->len + len > out->cap) {
        out->cap = (out->len + len) * 2;
        out->data = realloc(out->data, out->cap);
        check(out->data != NULL, "out of memory");
    }
    memcpy(out->data + out->len, data, len);
    out->len += len;
    return MC_OK;
}

/* Rewrites DATA cut before each of CUTS[0..NCUTS) into OUT (emptied first). */
static void rewrite(const mc_html_policy_t *policy, const uint8_t *data, size_t size,
                    const size_t *cuts, int ncuts, output_t *out)
{
    size_t cap = MC_HTML_TAG_MAX + (policy->inline_max ? policy->inline_max : MC_HTML_INLINE_MAX);
    apr_pool_t *p;
    mc_html_t *h;
    size_t from = 0;

    out->len = 0;
    apr_pool_create(&p, root);
    h = mc_html_create(p, policy, sink, out);
    for (int i = 0; i <= ncuts; i++) {
        size_t to = i < ncuts ? cuts[i] : size;

        check(mc_html_write(h, (const char *)data + from, to - from) == MC_OK, "write failed");
        check(mc_html_held(h) <= cap, "held more than the cap");
        from = to;
    }
    check(mc_html_end(h) == MC_OK, "end failed");
    check(mc_html_stats(h)->max_held <= cap, "max_held is over the cap");
    out->unreadable = mc_html_stats(h)->unreadable;
    apr_pool_destroy(p);
}

static void rewrite_bytewise(const mc_html_policy_t *policy, const uint8_t *data, size_t size,
                             output_t *out)
{
    size_t cuts[BYTEWISE_MAX];

    for (size_t i = 1; i < size; i++)
        cuts[i - 1] = i;
    rewrite(policy, data, size, cuts, size > 0 ? (int)size - 1 : 0, out);
}

static int same(const output_t *a, const output_t *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

/* --- choices from the input -------------------------------------------------------- */

static uint64_t hash_bytes(const uint8_t *data, size_t size)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */

    for (size_t i = 0; i < size; i++) {
        h ^= data[i];
        h *= 1099511628211ull;
    }
    return h;
}

static uint64_t next_hash(uint64_t *h)
{
    *h ^= *h >> 33;
    *h *= 0xff51afd7ed558ccdull;
    *h ^= *h >> 33;
    return *h;
}

static int compare_offsets(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;

    return x < y ? -1 : x > y;
}

static int choose_cuts(uint64_t *h, size_t size, size_t *cuts)
{
    int n = 2 + (int)(next_hash(h) % 4);

    for (int i = 0; i < n; i++)
        cuts[i] = size ? (size_t)(next_hash(h) % (size + 1)) : 0;
    qsort(cuts, (size_t)n, sizeof(cuts[0]), compare_offsets);
    return n;
}

/* Is IN[I..SIZE) "</" and the name of an element whose content can be
 * raw text? */
static int raw_end_at(const uint8_t *in, size_t size, size_t i)
{
    static const char *const names[] = {"noscript", "script",   "style",    "xmp",  "iframe",
                                        "noembed",  "noframes", "textarea", "title"};

    if (i + 1 >= size || in[i + 1] != '/')
        return 0;
    for (size_t n = 0; n < sizeof(names) / sizeof(names[0]); n++) {
        size_t len = strlen(names[n]), k = 0;

        while (k < len && i + 2 + k < size && (in[i + 2 + k] | 0x20) == names[n][k])
            k++;
        if (k == len)
            return 1;
    }
    return 0;
}

/* OUT is IN byte for byte, but for a "</noscript" that the rewriter sent
 * as "&lt;/noscript" (where a browser running scripts would end a
 * <noscript> that the markup reading goes on with), and the same for the
 * end of raw text ("</xmp", "</script", ...) that the lexer, uncertain,
 * reads as markup. */
static int same_but_raw_text_ends(const uint8_t *in, size_t size, const output_t *out)
{
    size_t i = 0, o = 0;

    while (i < size && o < out->len) {
        if (in[i] == '<' && out->len - o >= 4 && memcmp(out->data + o, "&lt;", 4) == 0) {
            if (!raw_end_at(in, size, i))
                return 0;
            i++;
            o += 4;
            continue;
        }
        if ((uint8_t)out->data[o] != in[i])
            return 0;
        i++;
        o++;
    }
    return i == size && o == out->len;
}

/* DATA holds WORD (lower-case letters and punctuation) in any letter case. */
static int has_word(const uint8_t *data, size_t size, const char *word)
{
    size_t len = strlen(word);

    for (size_t i = 0; i + len <= size; i++) {
        size_t k = 0;

        while (k < len && (data[i + k] | 0x20) == (word[k] | 0x20))
            k++;
        if (k == len)
            return 1;
    }
    return 0;
}

static int has_marks(const uint8_t *data, size_t size)
{
    return has_word(data, size, "data-consent");
}

static void choose_policy(uint64_t *h, mc_html_policy_t *policy)
{
    uint64_t bits = next_hash(h);

    memset(policy, 0, sizeof(*policy));
    policy->cats = cats;
    policy->granted = (mc_catmask_t)(bits & 0xf) | mc_categories_required(cats);
    policy->classify = (bits & 0x10) ? classify_often : classify_catalogue;
    policy->inject = (bits & 0x20) != 0;
    policy->head_html = "[head]";
    policy->head_len = 6;
    policy->banner = (bits & 0x40) ? banner : NULL;
    policy->inline_max = (bits & 0x80) ? 24 + (size_t)((bits >> 8) % 64) : 0;
    policy->frame_name = (bits >> 20) & 1 ? "mc-0a1b2c3d4e5f" : NULL;
    policy->held_image = (bits >> 21) & 1 ? "/_consent/held.svg?v=0a1b2c3d4e5f" : NULL;
    policy->origin = (bits >> 22) & 1 ? "https://klinikk.example" : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static output_t whole, split;
    mc_html_policy_t policy;
    size_t cuts[MAX_CUTS];
    uint64_t h = hash_bytes(data, size);
    int ncuts;

    choose_policy(&h, &policy);
    ncuts = choose_cuts(&h, size, cuts);

    rewrite(&policy, data, size, NULL, 0, &whole);
    rewrite(&policy, data, size, cuts, ncuts, &split);
    check(same(&whole, &split), "a split input gave another output");
    if (size <= BYTEWISE_MAX) {
        rewrite_bytewise(&policy, data, size, &split);
        check(same(&whole, &split), "one-byte chunks gave another output");
    }

    /* a <base> inside a <noscript> is neutralised whatever the classifier says */
    if (!has_marks(data, size) && !(has_word(data, size, "<noscript") && has_word(data, size, "<base"))) {
        policy.inject = 0;
        policy.classify = classify_nothing;
        /* a target over a cap waits for every category: none can be over
         * with the default inline cap and an input no longer than a tag,
         * and none is held back from a visitor who granted everything */
        policy.inline_max = 0;
        if (size > MC_HTML_TAG_MAX)
            policy.granted = mc_categories_all(cats);
        rewrite(&policy, data, size, cuts, ncuts, &split);
        /* nor one an SVG script or sheet that cannot be read whole fails
         * closed in (a child element the rewriter judges apart) */
        check(split.unreadable > 0 || same_but_raw_text_ends(data, size, &split),
              "untouched input did not pass byte for byte");
    }
    return 0;
}
