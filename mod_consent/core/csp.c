/* The consent-aware Content-Security-Policy; see csp.h. */
#include "csp.h"

#include <apr_hash.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <jansson.h>
#include <string.h>

/* What every module policy allows: the page's own origin, and what the
 * site's own markup and scripts may need that has no host (csp.h). */
static const char *const base_sources[] = {"'self'", "'unsafe-inline'", "'unsafe-eval'", "blob:",
                                           "data:"};

static const char *const directive_names[MC_CSP_DIRECTIVES] = {
    "default-src", "script-src",  "script-src-elem", "script-src-attr", "style-src",
    "style-src-elem", "style-src-attr", "img-src", "connect-src", "font-src",
    "media-src",   "object-src",  "frame-src",       "child-src",       "worker-src",
    "manifest-src", "prefetch-src", "form-action",   "base-uri",        "frame-ancestors"};

const char *mc_csp_mode_str(mc_csp_mode_t mode)
{
    switch (mode) {
    case MC_CSP_OFF: return "Off";
    case MC_CSP_REPORT: return "Report";
    case MC_CSP_ENFORCE: return "Enforce";
    }
    return "?";
}

const char *mc_csp_header_name(mc_csp_mode_t mode)
{
    switch (mode) {
    case MC_CSP_REPORT: return "Content-Security-Policy-Report-Only";
    case MC_CSP_ENFORCE: return "Content-Security-Policy";
    default: return NULL;
    }
}

/* --- sources from rules ------------------------------------------------------------------ */

static int dns_char(char c)
{
    return apr_isalnum(c) || c == '-' || c == '.' || c == '_';
}

/* 1 when [S, S+LEN) is a host name: DNS characters, no empty label. */
static int host_name_ok(const char *s, size_t len)
{
    if (len == 0 || len > MC_CSP_HOST_MAX || s[0] == '.' || s[len - 1] == '.')
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (!dns_char(s[i]) || (s[i] == '.' && s[i + 1] == '.'))
            return 0;
    }
    return 1;
}

/* A path a source may carry as it is: CSP splits sources at spaces and
 * directives at ';', and ',' separates policies. */
static int path_ok(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7f || c == ';' || c == ',' || c == '\'' || c == '"')
            return 0;
    }
    return 1;
}

/* The path a source for path glob GLOB gets: "" (the whole host), or the
 * literal path when GLOB has no wildcard, or the literal part up to its
 * last '/' before the first wildcard (a prefix, csp.h). */
static const char *source_path(apr_pool_t *p, const char *glob)
{
    size_t wild = strcspn(glob, "*?");
    size_t keep;

    if (glob[wild] == '\0')
        return path_ok(glob, wild) ? apr_pstrcat(p, "/", glob, NULL) : "";
    for (keep = wild; keep > 0 && glob[keep - 1] != '/'; keep--)
        ;
    if (keep == 0 || !path_ok(glob, keep))
        return "";
    return apr_pstrcat(p, "/", apr_pstrmemdup(p, glob, keep), NULL);
}

const char *mc_csp_rule_sources(apr_pool_t *p, const char *text)
{
    const char *slash, *path;
    char *host;
    size_t host_len;

    if (!text || text[0] == '~')
        return NULL;
    if (strncasecmp(text, "https://", 8) == 0)
        text += 8;
    else if (strncasecmp(text, "http://", 7) == 0)
        text += 7;
    else if (text[0] == '/' && text[1] == '/')
        text += 2;
    slash = strchr(text, '/');
    host_len = slash ? (size_t)(slash - text) : strlen(text);
    host = apr_pstrmemdup(p, text, host_len);
    for (char *c = host; *c; c++)
        *c = (char)apr_tolower(*c);
    path = slash ? source_path(p, slash + 1) : "";
    if (strncmp(host, "*.", 2) == 0)
        return host_name_ok(host + 2, host_len - 2) ? apr_pstrcat(p, host, path, NULL) : NULL;
    if (!host_name_ok(host, host_len))
        return NULL;
    return apr_pstrcat(p, host, path, " *.", host, path, NULL);
}

const char *mc_csp_allow_check(const char *text)
{
    const char *s = text, *host, *end;
    size_t len;

    if (!text || !*text || strlen(text) > MC_PATTERN_MAX)
        return "give a host such as fonts.gstatic.com or https://cdn.example.com/lib/";
    if (!path_ok(text, strlen(text)))
        return "a source holds no space, quote, ';' or ','";
    end = strstr(s, "://");
    if (end) {
        if (!apr_isalpha(*s))
            return "the scheme must start with a letter";
        for (const char *c = s; c < end; c++) {
            if (!apr_isalnum(*c) && *c != '+' && *c != '-' && *c != '.')
                return "the scheme holds only letters, digits, '+', '-' and '.'";
        }
        s = end + 3;
    }
    host = strncmp(s, "*.", 2) == 0 ? s + 2 : s;
    len = strcspn(host, ":/");
    if (!host_name_ok(host, len))
        return "the host must be a DNS name (optionally starting with *.)";
    s = host + len;
    if (*s == ':') {
        s++;
        if (*s == '*')
            s++;
        else {
            if (!apr_isdigit(*s))
                return "the port must be digits or *";
            while (apr_isdigit(*s))
                s++;
        }
    }
    if (*s && *s != '/')
        return "a path must start with '/'";
    return NULL;
}

/* --- the sources of a scope ------------------------------------------------------------- */

typedef struct pattern_sources {
    int category;
    const char *sources; /* space-separated */
} pattern_sources_t;

struct mc_csp_sources {
    apr_pool_t *pool;
    const mc_categories_t *cats;
    apr_hash_t *by_pattern;     /* pattern text -> pattern_sources_t (the last rule's) */
    apr_array_header_t *order;  /* pattern texts, first seen first: a stable policy */
    apr_array_header_t *allowed; /* const char *, ConsentCSPAllow */
};

mc_csp_sources_t *mc_csp_sources_make(apr_pool_t *p, const mc_categories_t *cats)
{
    mc_csp_sources_t *s = apr_pcalloc(p, sizeof(*s));

    s->pool = p;
    s->cats = cats;
    s->by_pattern = apr_hash_make(p);
    s->order = apr_array_make(p, 64, sizeof(const char *));
    s->allowed = apr_array_make(p, 4, sizeof(const char *));
    return s;
}

void mc_csp_sources_add_rules(mc_csp_sources_t *s, const apr_array_header_t *rules)
{
    for (int i = 0; rules && i < rules->nelts; i++) {
        const mc_rule_t *rule = &APR_ARRAY_IDX(rules, i, mc_rule_t);
        pattern_sources_t *ps;
        int cat;

        if (!rule->pattern || mc_pattern_kind(rule->pattern) != MC_RULE_URL)
            continue;
        cat = mc_categories_index(s->cats, rule->category);
        if (cat < 0)
            continue;
        ps = apr_hash_get(s->by_pattern, rule->text, APR_HASH_KEY_STRING);
        if (!ps) {
            ps = apr_pcalloc(s->pool, sizeof(*ps));
            apr_hash_set(s->by_pattern, rule->text, APR_HASH_KEY_STRING, ps);
            APR_ARRAY_PUSH(s->order, const char *) = rule->text;
        }
        /* the same pattern again: the last rule decides its category */
        ps->category = cat;
        ps->sources = mc_csp_rule_sources(s->pool, rule->text);
    }
}

void mc_csp_sources_allow(mc_csp_sources_t *s, const char *source)
{
    APR_ARRAY_PUSH(s->allowed, const char *) = apr_pstrdup(s->pool, source);
}

/* Adds each space-separated source of LIST not yet in SEEN to OUT; returns
 * how many were new. With OUT NULL, only counts. */
static int add_sources(apr_pool_t *p, apr_hash_t *seen, apr_array_header_t *out, const char *list)
{
    char *copy = apr_pstrdup(p, list), *state = NULL;
    int added = 0;

    for (char *tok = apr_strtok(copy, " ", &state); tok; tok = apr_strtok(NULL, " ", &state)) {
        if (apr_hash_get(seen, tok, APR_HASH_KEY_STRING))
            continue;
        added++;
        if (out) {
            apr_hash_set(seen, tok, APR_HASH_KEY_STRING, tok);
            APR_ARRAY_PUSH(out, const char *) = tok;
        }
    }
    return added;
}

char *mc_csp_policy(apr_pool_t *p, const mc_csp_sources_t *s, mc_catmask_t granted,
                    const char *report_uri, const char *report_to, mc_catmask_t *left_out)
{
    apr_hash_t *seen = apr_hash_make(p);
    apr_array_header_t *out = apr_array_make(p, 64, sizeof(const char *));
    mc_catmask_t mask = granted | mc_categories_required(s->cats);
    char *policy;

    for (size_t i = 0; i < sizeof(base_sources) / sizeof(base_sources[0]); i++)
        add_sources(p, seen, out, base_sources[i]);
    for (int i = 0; i < s->allowed->nelts; i++)
        add_sources(p, seen, out, APR_ARRAY_IDX(s->allowed, i, const char *));
    for (int i = 0; i < s->order->nelts; i++) {
        const pattern_sources_t *ps = apr_hash_get(
            s->by_pattern, APR_ARRAY_IDX(s->order, i, const char *), APR_HASH_KEY_STRING);
        if (ps->sources && mc_catmask_has(mask, ps->category))
            add_sources(p, seen, out, ps->sources);
    }
    if (left_out) {
        *left_out = 0;
        for (int i = 0; i < s->order->nelts; i++) {
            const pattern_sources_t *ps = apr_hash_get(
                s->by_pattern, APR_ARRAY_IDX(s->order, i, const char *), APR_HASH_KEY_STRING);
            if (ps->sources && !mc_catmask_has(mask, ps->category) &&
                add_sources(p, seen, NULL, ps->sources) > 0)
                *left_out |= (mc_catmask_t)1 << ps->category;
        }
    }
    policy = apr_pstrcat(p, "default-src ", apr_array_pstrcat(p, out, ' '), NULL);
    if (report_uri)
        policy = apr_pstrcat(p, policy, "; report-uri ", report_uri, NULL);
    if (report_to)
        policy = apr_pstrcat(p, policy, "; report-to ", report_to, NULL);
    return policy;
}

/* --- reports ------------------------------------------------------------------------------ */

int mc_csp_directive_index(const char *name)
{
    for (int i = 0; name && i < MC_CSP_DIRECTIVES; i++) {
        if (strcmp(name, directive_names[i]) == 0)
            return i;
    }
    return -1;
}

const char *mc_csp_directive_name(int index)
{
    return index >= 0 && index < MC_CSP_DIRECTIVES ? directive_names[index] : NULL;
}

const char *mc_csp_directive_names(apr_pool_t *p, uint32_t mask)
{
    apr_array_header_t *names = apr_array_make(p, 4, sizeof(const char *));

    for (int i = 0; i < MC_CSP_DIRECTIVES; i++) {
        if (mask & ((uint32_t)1 << i))
            APR_ARRAY_PUSH(names, const char *) = directive_names[i];
    }
    return apr_array_pstrcat(p, names, ' ');
}

const char *mc_csp_url_host(apr_pool_t *p, const char *url)
{
    static const char *const schemes[] = {"https://", "http://", "wss://", "ws://"};
    const char *s = NULL, *at, *end;
    char *host;
    size_t len;

    for (size_t i = 0; url && !s && i < sizeof(schemes) / sizeof(schemes[0]); i++) {
        if (strncasecmp(url, schemes[i], strlen(schemes[i])) == 0)
            s = url + strlen(schemes[i]);
    }
    if (!s)
        return NULL;
    len = strcspn(s, "/?#");
    at = memchr(s, '@', len);
    if (at) {
        len -= (size_t)(at + 1 - s);
        s = at + 1;
    }
    if (s[0] == '[') {
        end = memchr(s, ']', len);
        if (!end)
            return NULL;
        len = (size_t)(end + 1 - s);
        for (const char *c = s + 1; c < end; c++) {
            if (!apr_isxdigit(*c) && *c != ':' && *c != '.')
                return NULL;
        }
    }
    else {
        end = memchr(s, ':', len);
        if (end)
            len = (size_t)(end - s);
        if (len > 0 && s[len - 1] == '.')
            len--; /* the root label's dot: the same host */
        if (!host_name_ok(s, len))
            return NULL;
    }
    if (len == 0 || len > MC_CSP_HOST_MAX)
        return NULL;
    host = apr_pstrmemdup(p, s, len);
    for (char *c = host; *c; c++)
        *c = (char)apr_tolower(*c);
    return host;
}

static const char *string_member(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* The directive a report names: CSP3's effective directive, else the first
 * word of CSP2's violated-directive. */
static int report_directive(apr_pool_t *p, const char *effective, const char *violated)
{
    if (effective)
        return mc_csp_directive_index(effective);
    if (!violated)
        return -1;
    return mc_csp_directive_index(apr_pstrndup(p, violated, strcspn(violated, " ")));
}

/* Adds the violation of one report (its fields given) to OUT; MC_EINVAL
 * when its document URL is missing or not http(s). */
static mc_status_t take_report(apr_pool_t *p, apr_array_header_t *out, const char *document,
                               const char *blocked, int directive, const char **err)
{
    const char *doc_host = mc_csp_url_host(p, document);
    const char *host = mc_csp_url_host(p, blocked);
    mc_csp_violation_t *v;

    if (!doc_host) {
        *err = "the report names no http(s) document URL";
        return MC_EINVAL;
    }
    /* inline, eval, data:, blob:, an unknown directive: no host to count */
    if (!host || directive < 0 || out->nelts >= MC_CSP_REPORT_VIOLATIONS_MAX)
        return MC_OK;
    v = apr_array_push(out);
    v->blocked_host = host;
    v->document_host = doc_host;
    v->directive = directive;
    return MC_OK;
}

static mc_status_t parse_report_uri(apr_pool_t *p, json_t *root, apr_array_header_t *out,
                                    const char **err)
{
    json_t *r = json_object_get(root, "csp-report");

    if (!json_is_object(root) || !json_is_object(r)) {
        *err = "expected {\"csp-report\": {...}}";
        return MC_EINVAL;
    }
    return take_report(p, out, string_member(r, "document-uri"), string_member(r, "blocked-uri"),
                       report_directive(p, string_member(r, "effective-directive"),
                                        string_member(r, "violated-directive")),
                       err);
}

static mc_status_t parse_reporting(apr_pool_t *p, json_t *root, apr_array_header_t *out,
                                   const char **err)
{
    size_t i;
    json_t *item;

    if (!json_is_array(root) || json_array_size(root) == 0) {
        *err = "expected a non-empty array of reports";
        return MC_EINVAL;
    }
    json_array_foreach(root, i, item)
    {
        json_t *body = json_object_get(item, "body");
        const char *type = string_member(item, "type");
        mc_status_t st;

        if (!json_is_object(item) || !type) {
            *err = "a report is not an object with a type";
            return MC_EINVAL;
        }
        if (strcmp(type, "csp-violation") != 0)
            continue;
        if (!json_is_object(body)) {
            *err = "a csp-violation report has no body";
            return MC_EINVAL;
        }
        st = take_report(p, out, string_member(body, "documentURL"),
                         string_member(body, "blockedURL"),
                         report_directive(p, string_member(body, "effectiveDirective"), NULL),
                         err);
        if (st != MC_OK)
            return st;
    }
    return MC_OK;
}

mc_status_t mc_csp_report_parse(apr_pool_t *p, mc_csp_format_t format, const char *body,
                                size_t len, apr_array_header_t **out, const char **err)
{
    json_error_t jerr;
    json_t *root;
    mc_status_t st;

    *out = apr_array_make(p, 2, sizeof(mc_csp_violation_t));
    if (len > MC_CSP_REPORT_BODY_MAX) {
        *err = "report too large";
        return MC_ELIMIT;
    }
    root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        *err = "the report is not JSON";
        return MC_EINVAL;
    }
    st = format == MC_CSP_FORMAT_REPORT_URI ? parse_report_uri(p, root, *out, err)
                                            : parse_reporting(p, root, *out, err);
    json_decref(root);
    if (st != MC_OK)
        apr_array_clear(*out);
    return st;
}
