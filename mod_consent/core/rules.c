/* The rule set: glob and PCRE2 patterns, URL normalisation, and the JSON
 * catalogue loader. Semantics are described in rules.h and, for catalogue
 * authors, in conf/rules/README.md. */
#define PCRE2_CODE_UNIT_WIDTH 8

#include "rules.h"

#include <apr_file_io.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include <jansson.h>
#include <pcre2.h>
#include <stdint.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>

#include "ascii.h"
#include "url.h"

/* A regex gets this many backtracking steps, this much nesting and this much
 * heap per match; past that the match counts as "no match". Real signatures
 * need a few hundred steps; catastrophic ones need billions. */
#define REGEX_MATCH_LIMIT 100000
#define REGEX_DEPTH_LIMIT 10000
#define REGEX_HEAP_LIMIT_KIB 8192

#define CATALOGUE_MAX ((apr_off_t)4 * 1024 * 1024) /* the default catalogue is ~30 KB */

/* ---------------------------------------------------------------- globs -- */

typedef enum glob_form {
    GLOB_EXACT,  /* no wildcard: one length check and a memcmp */
    GLOB_PREFIX, /* only a trailing '*' ("_ga_*"): a prefix memcmp */
    GLOB_WILD    /* anything else */
} glob_form_t;

typedef struct globpat {
    const char *text;
    size_t len; /* for GLOB_PREFIX, without the trailing '*' */
    glob_form_t form;
} globpat_t;

struct mc_pattern {
    mc_rule_kind_t kind;
    const char *text;            /* as written, for log lines */
    pcre2_code *regex;           /* NULL for a glob */
    pcre2_match_context *limits; /* with regex */
    int jit;                     /* the regex was compiled to machine code */
    const char *literal;         /* regex: bytes every match contains (required_literal) */
    size_t literal_len;          /* 0: none known */
    globpat_t name;              /* cookie glob */
    globpat_t host;              /* URL glob: host part, lower-case */
    globpat_t path;              /* URL glob: what follows the first '/' */
    int has_path;                /* URL glob: "host/..." rather than "host" */
};

static void glob_init(globpat_t *g, const char *text, size_t len)
{
    size_t wild = 0;
    size_t last_wild = 0;

    for (size_t i = 0; i < len; i++) {
        if (text[i] == '*' || text[i] == '?') {
            wild++;
            last_wild = i;
        }
    }
    g->text = text;
    g->len = len;
    if (wild == 0) {
        g->form = GLOB_EXACT;
    } else if (wild == 1 && last_wild == len - 1 && text[last_wild] == '*') {
        g->form = GLOB_PREFIX;
        g->len = len - 1;
    } else {
        g->form = GLOB_WILD;
    }
}

static int utf8_continuation(unsigned char c)
{
    return (c & 0xc0) == 0x80;
}

/* Bytes of the character at S (at most N): '?' and '*' step over whole UTF-8
 * characters so "caf?" matches "café". A byte that does not start a valid
 * sequence counts as one character. */
static size_t char_len(const char *s, size_t n)
{
    unsigned char lead = (unsigned char)s[0];
    size_t want = lead >= 0xf8 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;

    if (want > n)
        return 1;
    for (size_t i = 1; i < want; i++) {
        if (!utf8_continuation((unsigned char)s[i]))
            return 1;
    }
    return want;
}

/* Whole-subject glob match. On a mismatch it only ever backtracks to the
 * latest '*' (an earlier star can never do better), so the cost is bounded
 * by pattern length times subject length, with no recursion. */
static int glob_wild_match(const char *p, size_t plen, const char *s, size_t slen)
{
    size_t pi = 0, si = 0;
    size_t star_p = SIZE_MAX, star_s = 0;

    while (si < slen) {
        if (pi < plen && p[pi] == '*') {
            star_p = ++pi;
            star_s = si;
        } else if (pi < plen && p[pi] == '?') {
            pi++;
            si += char_len(s + si, slen - si);
        } else if (pi < plen && p[pi] == s[si]) {
            pi++;
            si++;
        } else if (star_p != SIZE_MAX) {
            star_s += char_len(s + star_s, slen - star_s);
            pi = star_p;
            si = star_s;
        } else {
            return 0;
        }
    }
    while (pi < plen && p[pi] == '*')
        pi++;
    return pi == plen;
}

/* Whether the M bytes at LIT (M > 0) occur in the N at S. For a URL's few
 * dozen bytes a search for the first byte and a compare beat memmem's
 * set-up, paid for every rule a URL is tried against. */
static inline int literal_in(const char *s, size_t n, const char *lit, size_t m)
{
    const char *end = s + n;

    while ((size_t)(end - s) >= m) {
        s = memchr(s, lit[0], (size_t)(end - s) - m + 1);
        if (!s)
            return 0;
        if (memcmp(s + 1, lit + 1, m - 1) == 0)
            return 1;
        s++;
    }
    return 0;
}

static int glob_match(const globpat_t *g, const char *s, size_t n)
{
    switch (g->form) {
    case GLOB_EXACT: return n == g->len && memcmp(s, g->text, n) == 0;
    case GLOB_PREFIX: return n >= g->len && memcmp(s, g->text, g->len) == 0;
    case GLOB_WILD: return glob_wild_match(g->text, g->len, s, n);
    }
    return 0;
}

/* A host glob matches the host itself or any subdomain of it: the host, or
 * what follows any of its dots, must match the whole glob. So
 * "google-analytics.com" matches "ssl.google-analytics.com" but not
 * "evilgoogle-analytics.com". Both sides are lower-case already. */
static int host_match(const globpat_t *g, const char *host, size_t len)
{
    /* without wildcards, that is one compare of the host's end */
    if (g->form == GLOB_EXACT)
        return len >= g->len && memcmp(host + len - g->len, g->text, g->len) == 0 &&
               (len == g->len || host[len - g->len - 1] == '.');
    if (glob_match(g, host, len))
        return 1;
    for (size_t i = 0; i < len; i++) {
        if (host[i] == '.' && glob_match(g, host + i + 1, len - i - 1))
            return 1;
    }
    return 0;
}

/* ------------------------------------------------------ required literals -- */

/* A regex's required literal: bytes that every match of it contains, such
 * as "fbevents.js" in "connect\.facebook\.net/[^'\"]*\/fbevents\.js". A
 * subject without them cannot match, which is told far more cheaply than
 * by running the regex (the signature index, below). It is read off the
 * pattern's top level only: the longest run of plain characters (and
 * escaped punctuation) that no quantifier touches, between groups,
 * classes and escapes. Whatever the reading does not know for sure — a
 * top-level '|', an option setting such as "(?i)" that reaches the rest of
 * the pattern, \Q, an escape it cannot measure — gives no literal, and
 * the regex is simply always run. */

/* Past the class opening at RE[I] ('['); 0 when it does not close, or
 * holds a '[' ("[[:digit:]]"), which this reading does not follow. */
static size_t skip_class(const char *re, size_t n, size_t i)
{
    i++;
    if (i < n && re[i] == '^')
        i++;
    if (i < n && re[i] == ']') /* "[]a]": a ']' first is a member */
        i++;
    for (; i < n; i++) {
        if (re[i] == '\\')
            i++;
        else if (re[i] == '[')
            return 0;
        else if (re[i] == ']')
            return i + 1;
    }
    return 0;
}

/* Past the group opening at RE[I] ('('); 0 when it does not close. */
static size_t skip_group(const char *re, size_t n, size_t i)
{
    int depth = 0;

    for (; i < n; i++) {
        if (re[i] == '\\') {
            i++;
        } else if (re[i] == '[') {
            size_t end = skip_class(re, n, i);

            if (end == 0)
                return 0;
            i = end - 1;
        } else if (re[i] == '(') {
            depth++;
        } else if (re[i] == ')' && --depth == 0) {
            return i + 1;
        }
    }
    return 0;
}

/* An option setting that reaches the rest of the pattern: "(?i)", "(?-x)". */
static int global_options(const char *re, size_t n, size_t i)
{
    size_t k = i + 2;

    if (k >= n || re[i + 1] != '?')
        return 0;
    while (k < n && (mc_ascii_alpha((unsigned char)re[k]) || re[k] == '-' || re[k] == '^'))
        k++;
    return k > i + 2 && k < n && re[k] == ')';
}

/* Length of a quantifier at RE[I] ("?", "*", "+", "{2}", "{1,3}", then a
 * lazy '?' or possessive '+'); 0 when there is none, -1 for a '{' this
 * reading does not know to be a quantifier or a literal ("{,3}"). */
static long quantifier_len(const char *re, size_t n, size_t i)
{
    size_t j;

    if (i >= n)
        return 0;
    if (re[i] == '?' || re[i] == '*' || re[i] == '+') {
        j = i + 1;
    } else if (re[i] == '{') {
        size_t k = i + 1;

        while (k < n && mc_ascii_digit((unsigned char)re[k]))
            k++;
        if (k == i + 1)
            return -1;
        if (k < n && re[k] == ',')
            k++;
        while (k < n && mc_ascii_digit((unsigned char)re[k]))
            k++;
        if (k >= n || re[k] != '}')
            return -1;
        j = k + 1;
    } else {
        return 0;
    }
    if (j < n && (re[j] == '?' || re[j] == '+'))
        j++;
    return (long)(j - i);
}

/* Escapes after '\' that stand for one non-literal thing in two bytes; any
 * other letter or digit (\x41, \p{L}, \g1, \Q ...) stops the reading. */
static int plain_class_escape(char c)
{
    return c && strchr("sSdDwWbBAzZGhHvVRXKntrfea", c) != NULL;
}

/* The length of the atom at RE[I] (a byte, an escape, a group, a class);
 * *LITERAL is the byte it stands for, or -1. 0: stop reading. */
static size_t atom_len(const char *re, size_t n, size_t i, int *literal)
{
    char c = re[i];

    *literal = -1;
    switch (c) {
    case '|': /* a top-level alternative */
    case ')':
    case '{':
    case '?':
    case '*':
    case '+': return 0;
    case '.':
    case '^':
    case '$': return 1;
    case '[': return skip_class(re, n, i) ? skip_class(re, n, i) - i : 0;
    case '(':
        if (global_options(re, n, i)) /* "(?i)": what follows changes */
            return 0;
        return skip_group(re, n, i) ? skip_group(re, n, i) - i : 0;
    case '\\':
        if (i + 1 >= n)
            return 0;
        if (mc_ascii_alpha((unsigned char)re[i + 1]) || mc_ascii_digit((unsigned char)re[i + 1]))
            return plain_class_escape(re[i + 1]) ? 2 : 0;
        *literal = (unsigned char)re[i + 1]; /* "\." "\(" "\/": that byte */
        return 2;
    default: *literal = (unsigned char)c; return 1;
    }
}

/* Finds RE's required literal: writes it to OUT (room for 2 * N bytes) and
 * returns its length, or 0 when there is none this reading is sure of. */
static size_t required_literal(const char *re, size_t n, char *out)
{
    char *run = out + n; /* the run being read; the longest so far is at OUT */
    size_t best = 0, len = 0;

    /* \Q...\E and "(?#...)" may hold any bytes, parentheses too, and a verb
     * anywhere ("(*ACCEPT)" in a group) may end a match early */
    for (size_t i = 0; i + 1 < n; i++) {
        if ((re[i] == '\\' && re[i + 1] == 'Q') || (re[i] == '(' && re[i + 1] == '*') ||
            (re[i] == '(' && re[i + 1] == '?' && i + 2 < n && re[i + 2] == '#'))
            return 0;
        if (re[i] == '\\')
            i++;
    }
    for (size_t i = 0; i < n;) {
        int literal;
        size_t a = atom_len(re, n, i, &literal);
        long q;

        if (a == 0)
            return 0;
        q = quantifier_len(re, n, i + a);
        if (q < 0)
            return 0;
        if (literal >= 0 && q == 0) {
            run[len++] = (char)literal;
        } else {
            len = 0; /* a quantified byte may repeat or be absent: the run breaks */
        }
        if (len > best) {
            best = len;
            memcpy(out, run, len);
        }
        i += a + (size_t)q;
    }
    return best;
}

/* Keeps PAT's required literal when it is long enough to filter by. */
static void literal_find(apr_pool_t *p, mc_pattern_t *pat, const char *re, size_t len)
{
    char *buf = apr_palloc(p, 2 * len + 1);
    size_t n = required_literal(re, len, buf);

    if (n < 3)
        return;
    pat->literal = buf;
    pat->literal_len = n;
}

/* --------------------------------------------------------------- regexes -- */

static apr_status_t regex_cleanup(void *data)
{
    mc_pattern_t *pat = data;

    pcre2_match_context_free(pat->limits);
    pcre2_code_free(pat->regex);
    pat->limits = NULL;
    pat->regex = NULL;
    return APR_SUCCESS;
}

static mc_status_t regex_compile(apr_pool_t *p, mc_pattern_t *pat, const char *re, size_t len,
                                 const char **err)
{
    int code;
    PCRE2_SIZE offset;
    PCRE2_UCHAR msg[256];

    pat->regex = pcre2_compile((PCRE2_SPTR)re, len, 0, &code, &offset, NULL);
    if (!pat->regex) {
        pcre2_get_error_message(code, msg, sizeof(msg));
        *err = apr_psprintf(p, "bad regex '%s': %s at offset %" APR_SIZE_T_FMT, pat->text,
                            (const char *)msg, (size_t)offset);
        return MC_EINVAL;
    }
    pat->limits = pcre2_match_context_create(NULL);
    if (!pat->limits) {
        pcre2_code_free(pat->regex);
        pat->regex = NULL;
        *err = "out of memory compiling a regex";
        return MC_ELIMIT;
    }
    pcre2_set_match_limit(pat->limits, REGEX_MATCH_LIMIT);
    pcre2_set_depth_limit(pat->limits, REGEX_DEPTH_LIMIT);
    pcre2_set_heap_limit(pat->limits, REGEX_HEAP_LIMIT_KIB);
    /* JIT is only a speed-up: where it is unavailable (no JIT support built
     * in, or a system that forbids executable memory) the interpreter runs
     * the same pattern under the same limits. */
    pat->jit = pcre2_jit_compile(pat->regex, PCRE2_JIT_COMPLETE) == 0;
    literal_find(p, pat, re, len);
    apr_pool_cleanup_register(p, pat, regex_cleanup, apr_pool_cleanup_null);
    return MC_OK;
}

static int regex_limit_error(int rc)
{
    return rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
           rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT ||
           rc == PCRE2_ERROR_NOMEMORY;
}

/* Compiled patterns are shared by every thread of the server, match data
 * cannot be: each thread keeps one block and reuses it for every pattern.
 * One ovector pair is enough because only "does it match" is asked
 * (pcre2_match then answers 0 for a match with more groups). Making and
 * freeing match data per pattern was a tenth of the rewriter's time on a
 * page with a few inline scripts. */
static pthread_key_t match_data_key;
static pthread_once_t match_data_once = PTHREAD_ONCE_INIT;
static int match_data_key_ok;

static void match_data_free(void *md)
{
    pcre2_match_data_free(md);
}

static void match_data_key_create(void)
{
    match_data_key_ok = pthread_key_create(&match_data_key, match_data_free) == 0;
}

static pcre2_match_data *thread_match_data(void)
{
    pcre2_match_data *md;

    if (pthread_once(&match_data_once, match_data_key_create) != 0 || !match_data_key_ok)
        return NULL;
    md = pthread_getspecific(match_data_key);
    if (!md) {
        md = pcre2_match_data_create(1, NULL);
        if (md && pthread_setspecific(match_data_key, md) != 0) {
            pcre2_match_data_free(md);
            md = NULL;
        }
    }
    return md;
}

static int regex_search(const mc_pattern_t *pat, const char *s, size_t n)
{
    pcre2_match_data *md = thread_match_data();
    int rc;

    if (!md) {
        mc_log(MC_LOG_DEBUG, "regex '%s': no memory for a match; counted as no match", pat->text);
        return -1;
    }
    /* Compiled, the pattern is run straight: pcre2_match would only check
     * its arguments and make the same call, for each of the many patterns
     * an inline script is matched against. */
    if (pat->jit)
        rc = pcre2_jit_match(pat->regex, (PCRE2_SPTR)s, n, 0, 0, md, pat->limits);
    else
        rc = pcre2_match(pat->regex, (PCRE2_SPTR)s, n, 0, 0, md, pat->limits);
    if (rc >= 0)
        return 1;
    if (rc == PCRE2_ERROR_NOMATCH)
        return 0;
    if (regex_limit_error(rc)) {
        mc_log(MC_LOG_DEBUG,
               "regex '%s' hit its match limit on a %zu-byte subject; counted as no match",
               pat->text, n);
        return -1;
    }
    mc_log(MC_LOG_DEBUG,
           "regex '%s' failed on a %zu-byte subject (PCRE2 error %d); counted as no match",
           pat->text, n, rc);
    return 0;
}

/* ------------------------------------------------------------------ URLs -- */

static char ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static int starts_with_ci(const char *s, size_t n, const char *prefix)
{
    size_t i = 0;

    for (; prefix[i]; i++) {
        if (i >= n || ascii_lower(s[i]) != prefix[i])
            return 0;
    }
    return 1;
}

static int url_pattern_match(const mc_pattern_t *pat, const mc_url_norm_t *u)
{
    const char *path = u->text + u->host_len + 1;

    if (pat->regex) {
        /* a URL without the bytes every match holds cannot match */
        if (pat->literal_len > 0 && !literal_in(u->text, u->len, pat->literal, pat->literal_len))
            return 0;
        return regex_search(pat, u->text, u->len);
    }
    if (!host_match(&pat->host, u->text, u->host_len))
        return 0;
    return !pat->has_path || glob_match(&pat->path, path, u->len - u->host_len - 1);
}

/* ------------------------------------------------------------- patterns -- */

const char *mc_rule_kind_str(mc_rule_kind_t kind)
{
    switch (kind) {
    case MC_RULE_COOKIE: return "cookie";
    case MC_RULE_URL: return "url";
    case MC_RULE_INLINE: return "inline";
    }
    return "unknown";
}

static int kind_valid(mc_rule_kind_t kind)
{
    return kind == MC_RULE_COOKIE || kind == MC_RULE_URL || kind == MC_RULE_INLINE;
}

/* Globs name cookies and URLs, neither of which can hold a space or a
 * control character: such a pattern is a typo that would never match. */
static mc_status_t glob_check(apr_pool_t *p, const char *text, const char **err)
{
    for (const char *c = text; *c; c++) {
        if ((unsigned char)*c <= 0x20 || *c == 0x7f) {
            *err = apr_psprintf(p, "pattern '%s' contains a space or control character", text);
            return MC_EINVAL;
        }
    }
    return MC_OK;
}

/* A glob's host as URLs' hosts are normalised: lower case and, for an
 * international name without wildcards, mapped to its ASCII form as a
 * browser maps it ("bücher.example" matches "xn--bcher-kva.example"). */
static char *url_glob_host(apr_pool_t *p, char *host, size_t *len)
{
    mc_url_norm_t u;
    int ascii = 1;

    for (char *c = host; *c; c++) {
        *c = ascii_lower(*c);
        ascii &= (unsigned char)*c < 0x80;
    }
    if (ascii || strpbrk(host, "*?"))
        return host;
    if (!mc_url_normalise(apr_pstrcat(p, "//", host, NULL), *len + 2, &u))
        return host;
    host = apr_pstrmemdup(p, u.text, u.host_len);
    *len = u.host_len;
    mc_url_release(&u);
    return host;
}

/* "host" or "host/pathglob"; a scheme written out of habit is dropped. */
static mc_status_t url_glob_compile(apr_pool_t *p, mc_pattern_t *pat, const char **err)
{
    const char *text = pat->text;
    const char *slash;
    char *host;
    size_t host_len;

    if (starts_with_ci(text, strlen(text), "https://"))
        text += 8;
    else if (starts_with_ci(text, strlen(text), "http://"))
        text += 7;
    else if (text[0] == '/' && text[1] == '/')
        text += 2;
    slash = strchr(text, '/');
    host_len = slash ? (size_t)(slash - text) : strlen(text);
    if (host_len == 0) {
        *err = apr_psprintf(p, "URL pattern '%s' has no host", pat->text);
        return MC_EINVAL;
    }
    host = apr_pstrmemdup(p, text, host_len);
    if (strchr(host, ':') || strchr(host, '@')) {
        *err = apr_psprintf(p,
                            "URL pattern '%s': write the host alone (no port or user), "
                            "it matches every port",
                            pat->text);
        return MC_EINVAL;
    }
    host = url_glob_host(p, host, &host_len);
    glob_init(&pat->host, host, host_len);
    pat->has_path = slash != NULL;
    if (slash) {
        /* spelt as the normal form spells paths, or "/%7Euser" would never match */
        size_t path_len = strlen(slash + 1);
        char *path = apr_palloc(p, 3 * path_len + 1);

        path_len = mc_url_canon_glob(slash + 1, path_len, path);
        path[path_len] = '\0';
        glob_init(&pat->path, path, path_len);
    }
    return MC_OK;
}

static mc_status_t pattern_length_check(apr_pool_t *p, const char *text, const char **err)
{
    size_t len = strlen(text);

    if (len == 0) {
        *err = "empty pattern";
        return MC_EINVAL;
    }
    if (len > MC_PATTERN_MAX) {
        *err = apr_psprintf(p, "pattern '%.40s...' is longer than %d bytes", text, MC_PATTERN_MAX);
        return MC_EINVAL;
    }
    return MC_OK;
}

mc_status_t mc_pattern_compile(apr_pool_t *p, mc_rule_kind_t kind, const char *pattern,
                               mc_pattern_t **out, const char **err)
{
    mc_pattern_t *pat;
    mc_status_t s;
    const char *re;

    if (!pattern || !kind_valid(kind)) {
        *err = "no pattern, or an unknown rule kind";
        return MC_EINVAL;
    }
    s = pattern_length_check(p, pattern, err);
    if (s != MC_OK)
        return s;
    pat = apr_pcalloc(p, sizeof(*pat));
    pat->kind = kind;
    pat->text = apr_pstrdup(p, pattern);
    /* Inline signatures are always regexes; the '~' is optional there. */
    if (pattern[0] == '~' || kind == MC_RULE_INLINE) {
        re = pattern[0] == '~' ? pattern + 1 : pattern;
        if (*re == '\0') {
            *err = apr_psprintf(p, "bad regex '%s': empty", pattern);
            return MC_EINVAL;
        }
        s = regex_compile(p, pat, re, strlen(re), err);
    } else {
        s = glob_check(p, pattern, err);
        if (s == MC_OK && kind == MC_RULE_URL)
            s = url_glob_compile(p, pat, err);
        else if (s == MC_OK)
            glob_init(&pat->name, pat->text, strlen(pat->text));
    }
    if (s == MC_OK)
        *out = pat;
    return s;
}

int mc_pattern_match(const mc_pattern_t *pattern, const char *subject, size_t len)
{
    mc_url_norm_t u;
    int r;

    if (!subject) {
        subject = "";
        len = 0;
    }
    if (pattern->kind == MC_RULE_URL) {
        if (!mc_url_normalise(subject, len, &u))
            return 0;
        r = url_pattern_match(pattern, &u);
        mc_url_release(&u);
        return r;
    }
    if (pattern->regex)
        return regex_search(pattern, subject, len);
    return glob_match(&pattern->name, subject, len);
}

mc_rule_kind_t mc_pattern_kind(const mc_pattern_t *pattern)
{
    return pattern->kind;
}

/* -------------------------------------------------------------- matching -- */

static const mc_rule_t *rule_at(const apr_array_header_t *rules, int i)
{
    return &((const mc_rule_t *)rules->elts)[i];
}

/* The last URL rule of RULES that matches U, trying every one. */
static const mc_rule_t *scan_url_rules(const apr_array_header_t *rules, const mc_url_norm_t *u)
{
    for (int i = rules->nelts - 1; i >= 0; i--) {
        const mc_rule_t *r = rule_at(rules, i);

        if (r->pattern->kind == MC_RULE_URL && url_pattern_match(r->pattern, u) > 0)
            return r;
    }
    return NULL;
}

static const mc_rule_t *match_url_rules(const apr_array_header_t *rules, const char *url,
                                        size_t len)
{
    const mc_rule_t *found;
    mc_url_norm_t u;

    if (!mc_url_normalise(url, len, &u))
        return NULL;
    found = scan_url_rules(rules, &u);
    mc_url_release(&u);
    return found;
}

/* The last of RULES' inline signatures that the script S matches. A
 * signature whose required literal the script lacks is passed without
 * running it. A set's own rules go through its signature index instead
 * (mc_ruleset_match_inline); this reads the few of a directory. */
static const mc_rule_t *match_inline_rules(const apr_array_header_t *rules, const char *s, size_t n)
{
    for (int i = rules->nelts - 1; i >= 0; i--) {
        const mc_rule_t *r = rule_at(rules, i);
        const mc_pattern_t *pat = r->pattern;

        if (pat->kind != MC_RULE_INLINE ||
            (pat->literal_len > 0 && !literal_in(s, n, pat->literal, pat->literal_len)))
            continue;
        if (mc_pattern_match(pat, s, n) > 0)
            return r;
    }
    return NULL;
}

/* ------------------------------------------------------ the host index -- */

/* A set's URL rules by host. A glob whose host has no wildcard
 * ("connect.facebook.net") matches a URL only when it is the URL's host or
 * what follows one of its dots (host_match), so the rule is filed under
 * that host, and a URL looks up its host and each of those parts: one
 * hash of the host's bytes, a probe per label. A host glob with wildcards
 * is filed under what its end surely holds: "*.doubleclick.net" and
 * "ad*.doubleclick.net" match only hosts ending in ".doubleclick.net", so
 * under "doubleclick.net". What no host names (regexes, "google.*") is
 * tried for every URL. The rules a URL could match are then tried last to
 * first, as without the index: the last match wins. */

/* Hosts a URL can look up: more parts than that (a host of more labels
 * holding as many filed hosts) and the rules are simply all tried. */
#define INDEX_HITS_MAX 16

typedef struct host_entry {
    const char *key; /* NULL: a free slot */
    size_t len;
    uint32_t hash;
    apr_array_header_t *rules; /* int: the rules' places, ascending */
} host_entry_t;

struct mc_url_index {
    int covered; /* the first COVERED of the set's URL rules are filed */
    host_entry_t *slots;
    uint32_t mask; /* slots - 1, a power of two less one */
    uint32_t used;
    apr_array_header_t *always; /* int: the places of the rules filed under no host */
};

/* FNV-1a over the bytes from last to first, one at a time: going left
 * along a host, the hash of each part after a dot comes on the way. */
static uint32_t hash_step(uint32_t h, unsigned char c)
{
    return (h ^ c) * 16777619u;
}

#define HASH_START 2166136261u

static uint32_t hash_reversed(const char *s, size_t n)
{
    uint32_t h = HASH_START;

    while (n > 0)
        h = hash_step(h, (unsigned char)s[--n]);
    return h;
}

static host_entry_t *index_find(const mc_url_index_t *idx, const char *key, size_t len,
                                uint32_t hash)
{
    for (uint32_t i = hash & idx->mask;; i = (i + 1) & idx->mask) {
        host_entry_t *e = &idx->slots[i];

        if (!e->key || (e->hash == hash && e->len == len && memcmp(e->key, key, len) == 0))
            return e;
    }
}

static void index_grow(apr_pool_t *p, mc_url_index_t *idx)
{
    host_entry_t *old = idx->slots;
    uint32_t old_size = idx->mask + 1;

    idx->mask = old_size * 2 - 1;
    idx->slots = apr_pcalloc(p, sizeof(host_entry_t) * (idx->mask + 1));
    for (uint32_t i = 0; i < old_size; i++) {
        if (old[i].key)
            *index_find(idx, old[i].key, old[i].len, old[i].hash) = old[i];
    }
}

/* The host a URL glob's matches all hold as their host or after a dot of
 * it (above); NULL for none. */
static const char *index_key(const mc_pattern_t *pat, size_t *len)
{
    const globpat_t *g = &pat->host;
    size_t tail = 0;
    const char *dot;

    if (pat->regex || pat->kind != MC_RULE_URL)
        return NULL;
    if (g->form == GLOB_EXACT) {
        *len = g->len;
        return g->text;
    }
    if (g->form == GLOB_PREFIX) /* ends in its wildcard */
        return NULL;
    for (size_t i = 0; i < g->len; i++) {
        if (g->text[i] == '*' || g->text[i] == '?')
            tail = i + 1;
    }
    /* every match ends with the bytes after the last wildcard; past a dot
     * in them, what follows is after a dot of the host */
    dot = memchr(g->text + tail, '.', g->len - tail);
    if (!dot || dot + 1 == g->text + g->len)
        return NULL;
    *len = (size_t)(g->text + g->len - (dot + 1));
    return dot + 1;
}

/* Files the set's URL rules not filed yet. */
static void index_extend(mc_ruleset_t *rs)
{
    const apr_array_header_t *rules = rs->rules[MC_RULE_URL];
    mc_url_index_t *idx = rs->url_index;

    if (!idx || idx->covered > rules->nelts) { /* none yet, or not this set's any more */
        idx = rs->url_index = apr_pcalloc(rs->pool, sizeof(*idx));
        idx->mask = 15;
        idx->slots = apr_pcalloc(rs->pool, sizeof(host_entry_t) * (idx->mask + 1));
        idx->always = apr_array_make(rs->pool, 8, sizeof(int));
    }
    for (; idx->covered < rules->nelts; idx->covered++) {
        const mc_pattern_t *pat = ((const mc_rule_t *)rules->elts)[idx->covered].pattern;
        size_t len = 0;
        const char *key = index_key(pat, &len);
        uint32_t hash;
        host_entry_t *e;

        if (pat->kind != MC_RULE_URL) /* never matched as a URL rule */
            continue;
        if (!key) {
            APR_ARRAY_PUSH(idx->always, int) = idx->covered;
            continue;
        }
        hash = hash_reversed(key, len);
        e = index_find(idx, key, len, hash);
        if (!e->key) {
            if (2 * (idx->used + 1) > idx->mask + 1) {
                index_grow(rs->pool, idx);
                e = index_find(idx, key, len, hash);
            }
            *e = (host_entry_t){key, len, hash, apr_array_make(rs->pool, 2, sizeof(int))};
            idx->used++;
        }
        APR_ARRAY_PUSH(e->rules, int) = idx->covered;
    }
}

/* The rule lists of the hosts filed under the host of U and each part
 * after its dots, into LISTS; -1 when they are more than INDEX_HITS_MAX. */
static int index_hits(const mc_url_index_t *idx, const mc_url_norm_t *u,
                      const apr_array_header_t **lists)
{
    uint32_t h = HASH_START;
    int n = 0;

    for (size_t i = u->host_len; i-- > 0;) {
        const host_entry_t *e;

        h = hash_step(h, (unsigned char)u->text[i]);
        if (i > 0 && u->text[i - 1] != '.')
            continue;
        e = index_find(idx, u->text + i, u->host_len - i, h);
        if (!e->key)
            continue;
        if (n == INDEX_HITS_MAX)
            return -1;
        lists[n++] = e->rules;
    }
    return n;
}

/* The last of RULES that U matches, trying only those in LISTS (N of
 * them, each ascending; no place in two). */
static const mc_rule_t *match_listed(const apr_array_header_t *rules, const mc_url_norm_t *u,
                                     const apr_array_header_t **lists, int n)
{
    int next[INDEX_HITS_MAX + 1];

    for (int k = 0; k < n; k++)
        next[k] = lists[k]->nelts - 1;
    for (;;) {
        int best = -1, at = -1;
        const mc_rule_t *r;

        for (int k = 0; k < n; k++) {
            int place = next[k] >= 0 ? APR_ARRAY_IDX(lists[k], next[k], int) : -1;

            if (place > at) {
                at = place;
                best = k;
            }
        }
        if (best < 0)
            return NULL;
        next[best]--;
        r = rule_at(rules, at);
        if (url_pattern_match(r->pattern, u) > 0)
            return r;
    }
}

static const mc_rule_t *match_url_indexed(const mc_ruleset_t *rs, const char *url, size_t len)
{
    const apr_array_header_t *rules = rs->rules[MC_RULE_URL];
    const apr_array_header_t *lists[INDEX_HITS_MAX + 1];
    const mc_rule_t *found;
    mc_url_norm_t u;
    int n;

    if (rules->nelts == 0 || !url || !mc_url_normalise(url, len, &u))
        return NULL;
    n = index_hits(rs->url_index, &u, lists);
    if (n >= 0) {
        lists[n++] = rs->url_index->always;
        found = match_listed(rules, &u, lists, n);
    } else {
        found = scan_url_rules(rules, &u);
    }
    mc_url_release(&u);
    return found;
}

/* ------------------------------------------------- the signature index -- */

/* A set's inline signatures by three-byte pieces of each one's required
 * literal, its anchors. Most scripts a page holds match no signature, and
 * the default catalogue has about fifty: asking each in turn whether the
 * script may hold its literal cost more than the rest of a small script's
 * handling. A script is read once instead, every second three bytes of
 * it hashed to a slot of a table of the anchors; only where the slot is
 * taken are its anchors compared and, on a hit, the whole literal. A
 * literal is filed under two anchors side by side, so that one of them
 * starts at an even place wherever the literal is. The signatures whose
 * literal is there, with those that have none, are then run last to first
 * as without the index: the last match wins. */

#define SIG_SLOTS 2048u       /* ~100 anchors: one window in twenty meets a taken slot */
#define SIG_CANDIDATES_MAX 32 /* literals found in one script; more: all are tried */

typedef struct sig_anchor {
    uint32_t gram; /* the three bytes (gram_at) */
    uint32_t next; /* the next anchor of the slot, + 1; 0: none */
    size_t at;     /* where the bytes start in the literal */
    int place;     /* the rule's place in rules[MC_RULE_INLINE] */
} sig_anchor_t;

struct mc_sig_index {
    int covered;              /* the first COVERED inline rules are filed */
    uint32_t slot[SIG_SLOTS]; /* the slot's first anchor, + 1; 0: none */
    apr_array_header_t *anchors; /* sig_anchor_t */
    apr_array_header_t *always;  /* int: the places of the rules without anchors, ascending */
};

static uint32_t gram_slot(uint32_t gram)
{
    return (gram * 0x9E3779B1u) >> 21; /* SIG_SLOTS is 2^11 */
}

/* How often a byte is met in scripts, roughly: 2 for space, the commonest
 * letters and JavaScript's commonest punctuation, 1 for the other
 * letters, 0 for the rest (digits, '_', '/', '-' ...). */
static int byte_commonness(unsigned char c)
{
    if (c != 0 && strchr(" etaoinsrl.();,='\"", c))
        return 2;
    return mc_ascii_alpha(c) ? 1 : 0;
}

/* Where in the literal L (N >= 4 bytes) the four bytes least often met
 * start, the two anchors' bytes: a script that holds no signature meets
 * fewer of the anchors. */
static size_t anchors_at(const char *l, size_t n)
{
    size_t best = 0;
    int best_score = 9;

    for (size_t i = 0; i + 4 <= n; i++) {
        int score = 0;

        for (size_t k = i; k < i + 4; k++)
            score += byte_commonness((unsigned char)l[k]);
        if (score < best_score) {
            best_score = score;
            best = i;
        }
    }
    return best;
}

/* The three bytes at S as a number: a four-byte load, the fourth byte
 * masked off, as the machine orders them. S has four bytes. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define GRAM_MASK 0xFFFFFF00u
#else
#define GRAM_MASK 0x00FFFFFFu
#endif

static uint32_t gram_at(const char *s)
{
    uint32_t w;

    memcpy(&w, s, sizeof(w));
    return w & GRAM_MASK;
}

/* The three bytes at S, the last of a subject: its fourth is not read. */
static uint32_t gram_last(const char *s)
{
    char four[4] = {s[0], s[1], s[2], 0};

    return gram_at(four);
}

/* Files the set's inline rules not filed yet. */
static void sig_index_extend(mc_ruleset_t *rs)
{
    const apr_array_header_t *rules = rs->rules[MC_RULE_INLINE];
    mc_sig_index_t *idx = rs->sig_index;

    if (!idx || idx->covered > rules->nelts) { /* none yet, or not this set's any more */
        idx = rs->sig_index = apr_pcalloc(rs->pool, sizeof(*idx));
        idx->anchors = apr_array_make(rs->pool, 64, sizeof(sig_anchor_t));
        idx->always = apr_array_make(rs->pool, 8, sizeof(int));
    }
    for (; idx->covered < rules->nelts; idx->covered++) {
        const mc_pattern_t *pat = rule_at(rules, idx->covered)->pattern;

        if (pat->kind != MC_RULE_INLINE) /* never matched as a signature */
            continue;
        if (pat->literal_len < 4) { /* no literal, or too short for two anchors: always run */
            APR_ARRAY_PUSH(idx->always, int) = idx->covered;
            continue;
        }
        for (size_t at = anchors_at(pat->literal, pat->literal_len), k = 0; k < 2; k++) {
            sig_anchor_t *a = apr_array_push(idx->anchors);
            uint32_t slot;

            a->at = at + k;
            a->gram = a->at + 4 <= pat->literal_len ? gram_at(pat->literal + a->at)
                                                    : gram_last(pat->literal + a->at);
            a->place = idx->covered;
            slot = gram_slot(a->gram);
            a->next = idx->slot[slot];
            idx->slot[slot] = (uint32_t)idx->anchors->nelts;
        }
    }
}

/* Adds PLACE to the N places at OUT, once; 0 when they are full. */
static int candidate_add(int *out, int *n, int place)
{
    for (int k = 0; k < *n; k++) {
        if (out[k] == place)
            return 1;
    }
    if (*n == SIG_CANDIDATES_MAX)
        return 0;
    out[(*n)++] = place;
    return 1;
}

/* Adds the rules of the anchors of GRAM, the three bytes at I of the
 * script S (N bytes), whose literal is there, to the FOUND places at OUT;
 * 0 when they are full. */
static int gram_hits(const mc_sig_index_t *idx, const apr_array_header_t *rules, uint32_t k,
                     uint32_t gram, const char *s, size_t n, size_t i, int *out, int *found)
{
    while (k != 0) {
        const sig_anchor_t *a = &APR_ARRAY_IDX(idx->anchors, k - 1, sig_anchor_t);
        const mc_pattern_t *pat;

        k = a->next;
        if (a->gram != gram || i < a->at)
            continue;
        pat = rule_at(rules, a->place)->pattern;
        if (n - (i - a->at) >= pat->literal_len &&
            memcmp(s + i - a->at, pat->literal, pat->literal_len) == 0 &&
            !candidate_add(out, found, a->place))
            return 0;
    }
    return 1;
}

/* The places of the rules whose literal the script S holds, into OUT; -1
 * when they are more than SIG_CANDIDATES_MAX. The windows at even places
 * are enough, each literal having two anchors side by side. */
static int sig_candidates(const mc_sig_index_t *idx, const apr_array_header_t *rules,
                          const char *s, size_t n, int *out)
{
    const uint32_t *slot = idx->slot;
    int found = 0;
    size_t i = 0;

    for (; i + 4 <= n; i += 2) { /* the tight loop: a load, a hash, a probe */
        uint32_t gram = gram_at(s + i), k = slot[gram_slot(gram)];

        if (k != 0 && !gram_hits(idx, rules, k, gram, s, n, i, out, &found))
            return -1;
    }
    if (i + 3 <= n) {
        uint32_t gram = gram_last(s + i);

        if (!gram_hits(idx, rules, slot[gram_slot(gram)], gram, s, n, i, out, &found))
            return -1;
    }
    return found;
}

static const mc_rule_t *match_inline_indexed(const mc_ruleset_t *rs, const char *s, size_t n)
{
    const apr_array_header_t *rules = rs->rules[MC_RULE_INLINE];
    const apr_array_header_t *always = rs->sig_index->always;
    int cand[SIG_CANDIDATES_MAX];
    int found = sig_candidates(rs->sig_index, rules, s, n, cand);
    int c = 0, w = always->nelts - 1;

    if (found < 0)
        return match_inline_rules(rules, s, n);
    for (int k = 1; k < found; k++) { /* a few: descending, by insertion */
        int place = cand[k], j = k;

        for (; j > 0 && cand[j - 1] < place; j--)
            cand[j] = cand[j - 1];
        cand[j] = place;
    }
    /* the two lists, each descending, merged */
    while (c < found || w >= 0) {
        int place = w < 0 || (c < found && cand[c] > APR_ARRAY_IDX(always, w, int))
                        ? cand[c++]
                        : APR_ARRAY_IDX(always, w--, int);
        const mc_rule_t *r = rule_at(rules, place);

        if (mc_pattern_match(r->pattern, s, n) > 0)
            return r;
    }
    return NULL;
}

const mc_rule_t *mc_rules_match(const apr_array_header_t *rules, mc_rule_kind_t kind,
                                const char *subject, size_t len)
{
    if (!rules || rules->nelts == 0 || !subject)
        return NULL;
    /* A URL is normalised once for the whole array, not once per rule. */
    if (kind == MC_RULE_URL)
        return match_url_rules(rules, subject, len);
    if (kind == MC_RULE_INLINE)
        return match_inline_rules(rules, subject, len);
    for (int i = rules->nelts - 1; i >= 0; i--) {
        const mc_rule_t *r = rule_at(rules, i);

        if (r->pattern->kind == kind && mc_pattern_match(r->pattern, subject, len) > 0)
            return r;
    }
    return NULL;
}

const mc_rule_t *mc_ruleset_match_cookie(const mc_ruleset_t *rs, const char *name)
{
    if (!name)
        return NULL;
    return mc_rules_match(rs->rules[MC_RULE_COOKIE], MC_RULE_COOKIE, name, strlen(name));
}

const mc_rule_t *mc_ruleset_match_url(const mc_ruleset_t *rs, const char *url, size_t len)
{
    /* rules pushed past the index: all of them are tried */
    if (!rs->url_index || rs->url_index->covered != rs->rules[MC_RULE_URL]->nelts)
        return mc_rules_match(rs->rules[MC_RULE_URL], MC_RULE_URL, url, len);
    return match_url_indexed(rs, url, len);
}

const mc_rule_t *mc_ruleset_match_inline(const mc_ruleset_t *rs, const char *body, size_t len)
{
    /* rules pushed past the index: all of them are tried */
    if (!rs->sig_index || rs->sig_index->covered != rs->rules[MC_RULE_INLINE]->nelts)
        return mc_rules_match(rs->rules[MC_RULE_INLINE], MC_RULE_INLINE, body, len);
    if (!body)
        return NULL;
    return match_inline_indexed(rs, body, len);
}

/* -------------------------------------------------------------- rule sets -- */

mc_ruleset_t *mc_ruleset_make(apr_pool_t *p)
{
    mc_ruleset_t *rs = apr_pcalloc(p, sizeof(*rs));

    rs->pool = p;
    for (int k = 0; k < 3; k++)
        rs->rules[k] = apr_array_make(p, 16, sizeof(mc_rule_t));
    rs->services = apr_array_make(p, 16, sizeof(mc_service_t));
    return rs;
}

/* --- service ids ---------------------------------------------------------------------- */

static int id_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

const char *mc_service_id(apr_pool_t *p, const mc_service_t *s)
{
    char *id;
    size_t n = 0;
    int gap = 0;

    if (s->id)
        return s->id;
    id = apr_palloc(p, MC_SERVICE_ID_MAX + 1);
    for (const char *c = s->name ? s->name : ""; *c && n < MC_SERVICE_ID_MAX; c++) {
        char l = (*c >= 'A' && *c <= 'Z') ? (char)(*c - 'A' + 'a') : *c;

        if (!id_char(l)) {
            gap = n > 0;
            continue;
        }
        if (gap && n + 1 < MC_SERVICE_ID_MAX)
            id[n++] = '-';
        gap = 0;
        id[n++] = l;
    }
    id[n] = '\0';
    return id;
}

int mc_service_id_valid(const char *id, size_t len)
{
    if (len == 0 || len > MC_SERVICE_ID_MAX || id[0] == '-' || id[len - 1] == '-')
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (!id_char(id[i]) && id[i] != '-')
            return 0;
    }
    return 1;
}

const mc_service_t *mc_ruleset_service(const mc_ruleset_t *rs, const char *id, size_t len)
{
    if (!rs || !id)
        return NULL;
    for (int i = rs->services->nelts - 1; i >= 0; i--) {
        const mc_service_t *svc = &((const mc_service_t *)rs->services->elts)[i];

        if (svc->id && strlen(svc->id) == len && memcmp(svc->id, id, len) == 0)
            return svc;
    }
    return NULL;
}

/* --- building -------------------------------------------------------------------------- */

/* Appends a rule whose CATEGORY, SERVICE and SOURCE already live in rs->pool. */
static mc_status_t ruleset_push(mc_ruleset_t *rs, mc_rule_kind_t kind, const char *category,
                                const mc_service_t *service, const char *pattern,
                                const char *source, const char **err)
{
    mc_pattern_t *pat;
    mc_rule_t *rule;
    mc_status_t s = mc_pattern_compile(rs->pool, kind, pattern, &pat, err);

    if (s != MC_OK)
        return s;
    rule = apr_array_push(rs->rules[kind]);
    rule->category = category;
    rule->service = service ? service->name : NULL;
    rule->service_id = service ? service->id : NULL;
    rule->text = pat->text;
    rule->source = source;
    rule->pattern = pat;
    if (kind == MC_RULE_URL)
        index_extend(rs);
    else if (kind == MC_RULE_INLINE)
        sig_index_extend(rs);
    return MC_OK;
}

mc_status_t mc_ruleset_add(mc_ruleset_t *rs, mc_rule_kind_t kind, const char *category,
                           const char *pattern, const char *source, const char **err)
{
    if (!kind_valid(kind)) {
        *err = "unknown rule kind";
        return MC_EINVAL;
    }
    if (!category || !*category) {
        *err = "a rule needs a category";
        return MC_EINVAL;
    }
    return ruleset_push(rs, kind, apr_pstrdup(rs->pool, category), NULL, pattern,
                        source ? apr_pstrdup(rs->pool, source) : NULL, err);
}

void mc_ruleset_append(mc_ruleset_t *rs, const mc_ruleset_t *src)
{
    for (int k = 0; k < 3; k++)
        apr_array_cat(rs->rules[k], src->rules[k]);
    apr_array_cat(rs->services, src->services);
    index_extend(rs);
    sig_index_extend(rs);
}

static const char *or_unknown(const char *s)
{
    return s ? s : "(unknown source)";
}

mc_status_t mc_ruleset_check_categories(const mc_ruleset_t *rs, const mc_categories_t *cats,
                                        const char **err)
{
    for (int i = 0; i < rs->services->nelts; i++) {
        const mc_service_t *svc = &((const mc_service_t *)rs->services->elts)[i];

        if (mc_categories_index(cats, svc->category) < 0) {
            *err = apr_psprintf(rs->pool, "%s: service '%s': unknown category '%s'",
                                or_unknown(svc->source), svc->name, svc->category);
            return MC_EINVAL;
        }
    }
    for (int k = 0; k < 3; k++) {
        for (int i = 0; i < rs->rules[k]->nelts; i++) {
            const mc_rule_t *r = rule_at(rs->rules[k], i);

            if (mc_categories_index(cats, r->category) < 0) {
                *err = apr_psprintf(rs->pool, "%s: %s rule '%s': unknown category '%s'",
                                    or_unknown(r->source), mc_rule_kind_str((mc_rule_kind_t)k),
                                    r->text, r->category);
                return MC_EINVAL;
            }
        }
    }
    return MC_OK;
}

/* -------------------------------------------------------------- services -- */

const char *mc_lang_text(apr_pool_t *p, const apr_table_t *table, const char *lang)
{
    const char *text, *dash;

    if (!table || !lang)
        return NULL;
    if ((text = apr_table_get(table, lang)) != NULL)
        return text;
    dash = strchr(lang, '-');
    return dash ? apr_table_get(table, apr_pstrndup(p, lang, (size_t)(dash - lang))) : NULL;
}

int mc_country_in_eea(const char *code)
{
    /* the 27 EU states, then Iceland, Liechtenstein and Norway */
    static const char eea[] = "AT BE BG HR CY CZ DK EE FI FR DE GR IE IT LV LT LU MT NL PL PT "
                              "RO SK SI ES SE IS LI NO ";

    if (!code || strlen(code) != 2)
        return 0;
    for (const char *c = eea; *c; c += 3) {
        if (c[0] == code[0] && c[1] == code[1])
            return 1;
    }
    return 0;
}

/* "P[nY][nM][nW][nD][T[nH][nM][nS]]", at least one part. */
static mc_status_t iso_duration(const char *s, int64_t *out)
{
    static const int64_t day = 86400;
    int64_t total = 0;
    int time = 0, parts = 0;

    if (*s++ != 'P')
        return MC_EINVAL;
    while (*s) {
        int64_t n = 0, unit;
        int digits = 0;

        if (*s == 'T' && !time) {
            time = 1;
            s++;
            continue;
        }
        while (*s >= '0' && *s <= '9' && digits < 9) {
            n = n * 10 + (*s++ - '0');
            digits++;
        }
        if (!digits)
            return MC_EINVAL;
        switch (*s) {
        case 'Y': unit = time ? 0 : 365 * day; break;
        case 'M': unit = time ? 60 : 30 * day; break;
        case 'W': unit = time ? 0 : 7 * day; break;
        case 'D': unit = time ? 0 : day; break;
        case 'H': unit = time ? 3600 : 0; break;
        case 'S': unit = time ? 1 : 0; break;
        default: unit = 0;
        }
        if (!unit)
            return MC_EINVAL;
        total += n * unit;
        parts++;
        s++;
    }
    if (!parts)
        return MC_EINVAL;
    *out = total;
    return MC_OK;
}

mc_status_t mc_lifetime_parse(const char *text, int64_t *out)
{
    if (!text)
        return MC_EINVAL;
    if (strcmp(text, "session") == 0) {
        *out = MC_LIFETIME_SESSION;
        return MC_OK;
    }
    return iso_duration(text, out);
}

/* ------------------------------------------------------------- catalogue -- */

/* What a service or catalogue error message starts with. */
typedef struct where {
    apr_pool_t *pool;
    const char *label; /* "/etc/x.json" or "/etc/x.json: service 'Foo'" */
    const char **err;
} where_t;

static mc_status_t fail(const where_t *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static mc_status_t fail(const where_t *w, const char *fmt, ...)
{
    va_list ap;
    const char *msg;

    va_start(ap, fmt);
    msg = apr_pvsprintf(w->pool, fmt, ap);
    va_end(ap);
    *w->err = apr_psprintf(w->pool, "%s: %s", w->label, msg);
    return MC_EINVAL;
}

/* Keys starting with "x-" or "_comment" are the author's own notes. */
static int key_ignored(const char *key)
{
    return strncmp(key, "x-", 2) == 0 || strncmp(key, "_comment", 8) == 0;
}

static int key_in(const char *key, const char *const *known)
{
    for (; *known; known++) {
        if (strcmp(key, *known) == 0)
            return 1;
    }
    return key_ignored(key);
}

static mc_status_t check_keys(const where_t *w, json_t *obj, const char *const *known)
{
    for (void *it = json_object_iter(obj); it; it = json_object_iter_next(obj, it)) {
        const char *key = json_object_iter_key(it);

        if (!key_in(key, known))
            return fail(w,
                        "unknown key '%s' (keys starting with 'x-' or '_comment' are "
                        "ignored; is it a typo?)",
                        key);
    }
    return MC_OK;
}

/* The value of KEY as a non-empty string in the pool; NULL when absent.
 * REQUIRED makes absence an error too. */
static mc_status_t get_string(const where_t *w, json_t *obj, const char *key, int required,
                              const char **out)
{
    json_t *v = json_object_get(obj, key);

    *out = NULL;
    if (!v && !required)
        return MC_OK;
    if (!v)
        return fail(w, "'%s' is missing", key);
    if (!json_is_string(v) || json_string_length(v) == 0)
        return fail(w, "'%s' must be a non-empty string", key);
    *out = apr_pstrdup(w->pool, json_string_value(v));
    return MC_OK;
}

static int language_tag_valid(const char *tag)
{
    size_t len = strlen(tag);

    for (const char *c = tag; *c; c++) {
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '-'))
            return 0;
    }
    return len >= 2 && len <= 16;
}

/* An object of language tag -> non-empty text, as KEY (for messages). */
static mc_status_t load_texts(const where_t *w, json_t *desc, const char *key, apr_table_t **out)
{
    *out = NULL;
    if (!desc)
        return MC_OK;
    if (!json_is_object(desc))
        return fail(w, "'%s' must be an object of language: text", key);
    *out = apr_table_make(w->pool, 3);
    for (void *it = json_object_iter(desc); it; it = json_object_iter_next(desc, it)) {
        const char *lang = json_object_iter_key(it);
        json_t *text = json_object_iter_value(it);

        if (!language_tag_valid(lang))
            return fail(w, "'%s': '%s' is not a language tag", key, lang);
        if (!json_is_string(text) || json_string_length(text) == 0)
            return fail(w, "'%s': '%s' must be a non-empty string", key, lang);
        apr_table_set(*out, lang, json_string_value(text));
    }
    return MC_OK;
}

static mc_status_t load_description(const where_t *w, json_t *svc, apr_table_t **out)
{
    return load_texts(w, json_object_get(svc, "description"), "description", out);
}

static mc_status_t load_patterns(const where_t *w, mc_ruleset_t *rs, json_t *svc, const char *key,
                                 mc_rule_kind_t kind, const mc_service_t *service,
                                 const char *source)
{
    json_t *list = json_object_get(svc, key);
    const char *err;

    if (!list)
        return MC_OK;
    if (!json_is_array(list))
        return fail(w, "'%s' must be an array of strings", key);
    for (size_t i = 0; i < json_array_size(list); i++) {
        json_t *item = json_array_get(list, i);
        const char *text;

        if (kind == MC_RULE_COOKIE && json_is_object(item))
            text = json_string_value(json_object_get(item, "name")); /* checked by load_cookies */
        else if (!json_is_string(item))
            return fail(w, "'%s'[%" APR_SIZE_T_FMT "] must be a string", key, i);
        else
            text = json_string_value(item);
        if (ruleset_push(rs, kind, service->category, service, text, source, &err) != MC_OK)
            return fail(w, "'%s': %s", key, err);
        ((mc_rule_t *)rs->rules[kind]->elts)[rs->rules[kind]->nelts - 1].google_tag =
            service->google_tag;
    }
    return MC_OK;
}

/* --- what the declaration says of a service --- */

static const char *const cookie_keys[] = {"name", "lifetime", "purpose", NULL};

static mc_status_t load_lifetime(const where_t *w, json_t *v, const char *at, int64_t *out)
{
    *out = MC_LIFETIME_UNKNOWN;
    if (!v)
        return MC_OK;
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        *out = (int64_t)json_integer_value(v);
        return MC_OK;
    }
    if (json_is_string(v) && mc_lifetime_parse(json_string_value(v), out) == MC_OK)
        return MC_OK;
    return fail(w,
                "%s: 'lifetime' must be seconds (0 or more), \"session\" or an ISO 8601 "
                "duration such as \"P2Y\", \"P13M\", \"P90D\" or \"PT30M\"",
                at);
}

/* "cookies": strings, or objects {"name", "lifetime", "purpose"}; each as a
 * mc_service_cookie_t of SVC (the rules come from load_patterns). */
static mc_status_t load_cookies(const where_t *w, json_t *obj, mc_service_t *svc)
{
    json_t *list = json_object_get(obj, "cookies");

    svc->cookies = apr_array_make(w->pool, 4, sizeof(mc_service_cookie_t));
    if (!list)
        return MC_OK;
    if (!json_is_array(list))
        return fail(w, "'cookies' must be an array of strings (names) or {\"name\", "
                       "\"lifetime\", \"purpose\"} objects");
    for (size_t i = 0; i < json_array_size(list); i++) {
        json_t *item = json_array_get(list, i);
        mc_service_cookie_t *c = apr_array_push(svc->cookies);
        const char *at = apr_psprintf(w->pool, "'cookies'[%" APR_SIZE_T_FMT "]", i);
        mc_status_t s;

        c->lifetime = MC_LIFETIME_UNKNOWN;
        c->purpose = NULL;
        if (json_is_string(item)) {
            c->name = apr_pstrdup(w->pool, json_string_value(item));
            continue;
        }
        if (!json_is_object(item))
            return fail(w, "%s must be a name or a {\"name\", \"lifetime\", \"purpose\"} object",
                        at);
        for (void *it = json_object_iter(item); it; it = json_object_iter_next(item, it)) {
            if (!key_in(json_object_iter_key(it), cookie_keys))
                return fail(w,
                            "%s: unknown key '%s' (a cookie has 'name', 'lifetime' and "
                            "'purpose')",
                            at, json_object_iter_key(it));
        }
        if (!json_is_string(json_object_get(item, "name")) ||
            json_string_length(json_object_get(item, "name")) == 0)
            return fail(w, "%s: 'name' must be a non-empty string", at);
        c->name = apr_pstrdup(w->pool, json_string_value(json_object_get(item, "name")));
        s = load_lifetime(w, json_object_get(item, "lifetime"), at, &c->lifetime);
        if (s == MC_OK)
            s = load_texts(w, json_object_get(item, "purpose"),
                           apr_pstrcat(w->pool, at, ": purpose", NULL), &c->purpose);
        if (s != MC_OK)
            return s;
    }
    return MC_OK;
}

static int country_valid(const char *c)
{
    return strlen(c) == 2 && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z';
}

/* "countries", "outside_eea" and "transfer". Either of the first two says
 * whether data leaves the EEA; when both are given they must agree. */
static mc_status_t load_transfer(const where_t *w, json_t *obj, mc_service_t *svc)
{
    json_t *countries = json_object_get(obj, "countries");
    json_t *outside = json_object_get(obj, "outside_eea");
    int any_outside = 0;

    svc->outside_eea = -1;
    if (countries) {
        if (!json_is_array(countries) || json_array_size(countries) == 0)
            return fail(w, "'countries' must be a non-empty array of ISO 3166 codes such as "
                           "\"IE\" or \"US\"");
        svc->countries =
            apr_array_make(w->pool, (int)json_array_size(countries), sizeof(const char *));
        for (size_t i = 0; i < json_array_size(countries); i++) {
            json_t *c = json_array_get(countries, i);
            if (!json_is_string(c) || !country_valid(json_string_value(c)))
                return fail(w,
                            "'countries'[%" APR_SIZE_T_FMT "] must be a two-letter ISO 3166 "
                            "code in capitals, such as \"IE\" or \"US\"",
                            i);
            any_outside |= !mc_country_in_eea(json_string_value(c));
            APR_ARRAY_PUSH(svc->countries, const char *) =
                apr_pstrdup(w->pool, json_string_value(c));
        }
        svc->outside_eea = any_outside;
    }
    if (outside) {
        if (!json_is_boolean(outside))
            return fail(w, "'outside_eea' must be true or false");
        if (countries && json_is_true(outside) != any_outside)
            return fail(w, "'outside_eea' is %s but 'countries' lists %s",
                        json_is_true(outside) ? "true" : "false",
                        any_outside ? "a country outside the EEA" : "only EEA countries");
        svc->outside_eea = json_is_true(outside);
    }
    return get_string(w, obj, "transfer", 0, &svc->transfer);
}

static const char *const service_keys[] = {"name",      "id",          "vendor",   "category",
                                           "privacy",   "description", "purpose",  "entity",
                                           "countries", "outside_eea", "transfer", "cookies",
                                           "urls",      "inline",      "google_tag",
                                           NULL};

static mc_status_t load_service_fields(const where_t *w, json_t *obj, mc_service_t *svc)
{
    mc_status_t s = check_keys(w, obj, service_keys);

    if (s == MC_OK)
        s = get_string(w, obj, "category", 1, &svc->category);
    if (s == MC_OK && !mc_category_name_valid(svc->category))
        s = fail(w, "'category' '%s' is not a category name (a-z, 0-9, '_', '-')", svc->category);
    if (s == MC_OK)
        s = get_string(w, obj, "id", 0, &svc->id);
    if (s == MC_OK && svc->id && !mc_service_id_valid(svc->id, strlen(svc->id)))
        s = fail(w, "'id' '%s' is not a service id (a-z, 0-9 and '-', at most %d)", svc->id,
                 MC_SERVICE_ID_MAX);
    if (s == MC_OK && !svc->id)
        svc->id = mc_service_id(w->pool, svc);
    if (s == MC_OK && !*svc->id)
        s = fail(w, "the name gives no id (no letter or digit): give one with 'id'");
    if (s == MC_OK)
        s = get_string(w, obj, "vendor", 0, &svc->vendor);
    if (s == MC_OK)
        s = get_string(w, obj, "privacy", 0, &svc->privacy_url);
    if (s == MC_OK && svc->privacy_url && strncmp(svc->privacy_url, "https://", 8) != 0 &&
        strncmp(svc->privacy_url, "http://", 7) != 0)
        s = fail(w, "'privacy' must be an http(s) URL, not '%s'", svc->privacy_url);
    if (s == MC_OK)
        s = load_description(w, obj, &svc->description);
    if (s == MC_OK && json_object_get(obj, "google_tag") &&
        !json_is_boolean(json_object_get(obj, "google_tag")))
        s = fail(w, "'google_tag' must be true or false");
    if (s == MC_OK)
        svc->google_tag = json_is_true(json_object_get(obj, "google_tag"));
    if (s == MC_OK)
        s = load_texts(w, json_object_get(obj, "purpose"), "purpose", &svc->purpose);
    if (s == MC_OK)
        s = get_string(w, obj, "entity", 0, &svc->entity);
    if (s == MC_OK)
        s = load_transfer(w, obj, svc);
    if (s == MC_OK)
        s = load_cookies(w, obj, svc);
    return s;
}

static mc_status_t load_service(const where_t *cat, mc_ruleset_t *rs, json_t *obj, size_t index,
                                apr_hash_t *seen)
{
    where_t w = *cat;
    mc_service_t svc = {0};
    const char *rule_source;
    mc_status_t s;

    if (!json_is_object(obj))
        return fail(cat, "services[%" APR_SIZE_T_FMT "] must be an object", index);
    if (!json_object_get(obj, "name"))
        return fail(cat, "services[%" APR_SIZE_T_FMT "] has no 'name'", index);
    w.label = apr_psprintf(w.pool, "%s: services[%" APR_SIZE_T_FMT "]", cat->label, index);
    s = get_string(&w, obj, "name", 1, &svc.name);
    if (s != MC_OK)
        return s;
    if (apr_hash_get(seen, svc.name, APR_HASH_KEY_STRING))
        return fail(cat, "service '%s' is listed twice", svc.name);
    apr_hash_set(seen, svc.name, APR_HASH_KEY_STRING, svc.name);
    w.label = apr_psprintf(w.pool, "%s: service '%s'", cat->label, svc.name);
    svc.source = cat->label;
    s = load_service_fields(&w, obj, &svc);
    if (s == MC_OK) {
        const char *id_key = apr_pstrcat(w.pool, "id:", svc.id, (char *)NULL);
        const char *other = apr_hash_get(seen, id_key, APR_HASH_KEY_STRING);

        if (other)
            return fail(cat, "services '%s' and '%s' have the same id '%s'", other, svc.name,
                        svc.id);
        apr_hash_set(seen, id_key, APR_HASH_KEY_STRING, svc.name);
    }
    rule_source = apr_psprintf(w.pool, "%s: %s", cat->label, svc.name);
    if (s == MC_OK)
        s = load_patterns(&w, rs, obj, "cookies", MC_RULE_COOKIE, &svc, rule_source);
    if (s == MC_OK)
        s = load_patterns(&w, rs, obj, "urls", MC_RULE_URL, &svc, rule_source);
    if (s == MC_OK)
        s = load_patterns(&w, rs, obj, "inline", MC_RULE_INLINE, &svc, rule_source);
    if (s == MC_OK)
        *(mc_service_t *)apr_array_push(rs->services) = svc;
    return s;
}

static const char *const catalogue_keys[] = {"catalogue", "updated", "services", NULL};

static mc_status_t load_catalogue(const where_t *w, mc_ruleset_t *rs, json_t *root)
{
    json_t *services = json_object_get(root, "services");
    apr_hash_t *seen = apr_hash_make(w->pool);
    const char *ignored;
    mc_status_t s;

    if (!json_is_object(root))
        return fail(w, "a catalogue is a JSON object with a 'services' array");
    s = check_keys(w, root, catalogue_keys);
    if (s == MC_OK)
        s = get_string(w, root, "catalogue", 0, &ignored);
    if (s == MC_OK)
        s = get_string(w, root, "updated", 0, &ignored);
    if (s != MC_OK)
        return s;
    if (!json_is_array(services))
        return fail(w, "'services' must be an array of service objects");
    for (size_t i = 0; i < json_array_size(services); i++) {
        s = load_service(w, rs, json_array_get(services, i), i, seen);
        if (s != MC_OK)
            return s;
    }
    return MC_OK;
}

static const char *json_error_text(apr_pool_t *p, const char *source, const json_error_t *e)
{
    if (e->line > 0)
        return apr_psprintf(p, "%s:%d:%d: %s", source, e->line, e->column, e->text);
    return apr_psprintf(p, "%s: %s", source, e->text);
}

mc_status_t mc_ruleset_load_json(mc_ruleset_t *rs, const char *json, size_t len, const char *source,
                                 const char **err)
{
    json_error_t jerr;
    json_t *root;
    mc_ruleset_t *loaded;
    where_t w = {rs->pool, NULL, err};
    mc_status_t s;

    w.label = apr_pstrdup(rs->pool, source ? source : "(catalogue)");
    root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        *err = json_error_text(rs->pool, w.label, &jerr);
        return MC_EINVAL;
    }
    /* Load into a set of our own so a bad catalogue adds nothing to RS. */
    loaded = mc_ruleset_make(rs->pool);
    s = load_catalogue(&w, loaded, root);
    json_decref(root);
    if (s == MC_OK)
        mc_ruleset_append(rs, loaded);
    return s;
}

static mc_status_t read_file(apr_pool_t *p, apr_pool_t *errpool, const char *path, char **data,
                             apr_size_t *len, const char **err)
{
    apr_file_t *f;
    apr_finfo_t info;
    apr_status_t rv;
    char buf[256];

    rv = apr_file_open(&f, path, APR_FOPEN_READ, APR_FPROT_OS_DEFAULT, p);
    if (rv == APR_SUCCESS)
        rv = apr_file_info_get(&info, APR_FINFO_SIZE, f);
    if (rv == APR_SUCCESS && info.size > CATALOGUE_MAX) {
        *err = apr_psprintf(errpool, "%s: larger than 4 MiB; is it a rule catalogue?", path);
        return MC_ELIMIT;
    }
    if (rv == APR_SUCCESS) {
        *len = (apr_size_t)info.size;
        *data = apr_palloc(p, *len + 1);
        rv = apr_file_read_full(f, *data, *len, len);
    }
    if (rv != APR_SUCCESS && !(rv == APR_EOF && *len == 0)) {
        *err = apr_psprintf(errpool, "%s: cannot read the rule catalogue: %s", path,
                            apr_strerror(rv, buf, sizeof(buf)));
        return MC_EIO;
    }
    return MC_OK;
}

mc_status_t mc_ruleset_load_file(mc_ruleset_t *rs, const char *path, const char **err)
{
    apr_pool_t *tmp;
    char *data = NULL;
    apr_size_t len = 0;
    mc_status_t s;

    if (apr_pool_create(&tmp, rs->pool) != APR_SUCCESS) {
        *err = "out of memory";
        return MC_ELIMIT;
    }
    s = read_file(tmp, rs->pool, path, &data, &len, err);
    if (s == MC_OK)
        s = mc_ruleset_load_json(rs, data, len, path, err);
    apr_pool_destroy(tmp);
    return s;
}
