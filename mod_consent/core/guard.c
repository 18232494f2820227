/* The guard's rules for consent.js: see guard.h. */
#include "guard.h"

#include <apr_strings.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static int host_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

static int path_char(char c)
{
    return host_char(c) || (c >= 'A' && c <= 'Z') || c == '/' || c == '~';
}

/* Literal text of a regex made of CHAR-class characters and "\."; stops at
 * the first other character. Returns the length consumed. */
static size_t literal(const char *re, char *out, size_t *n, int (*ok)(char))
{
    size_t i = 0;

    for (;;) {
        if (re[i] == '\\' && re[i + 1] == '.') {
            out[(*n)++] = '.';
            i += 2;
        }
        else if (re[i] && ok(re[i])) {
            out[(*n)++] = re[i];
            i++;
        }
        else
            return i;
    }
}

static const char *regex_glob(apr_pool_t *p, const char *re)
{
    char *out = apr_palloc(p, strlen(re) + 2);
    size_t n = 0, host_len;

    if (strncmp(re, "(?:^|\\.)", 8) == 0)
        re += 8;
    else if (re[0] == '^')
        re++;
    else
        return NULL; /* unanchored: it may match in the path of any host */
    re += literal(re, out, &n, host_char);
    host_len = n;
    if (host_len == 0 || out[0] == '.' || out[host_len - 1] == '.')
        return NULL;
    if (*re == '/') {
        out[n++] = '/';
        re += 1 + literal(re + 1, out, &n, path_char);
    }
    if (*re == '$' && n == host_len)
        re++;
    else if (strcmp(re, "(?:[/?]|$)") == 0 || strcmp(re, ".*") == 0 || *re == '\0') {
        re += strlen(re);
        if (n > host_len)
            out[n++] = '*';
    }
    if (*re)
        return NULL;
    out[n] = '\0';
    return out;
}

const char *mc_guard_pattern(apr_pool_t *p, const char *pattern)
{
    const char *slash;
    char *copy;

    if (!pattern || !*pattern)
        return NULL;
    if (pattern[0] == '~')
        return regex_glob(p, pattern + 1);
    if (strncasecmp(pattern, "https://", 8) == 0)
        pattern += 8;
    else if (strncasecmp(pattern, "http://", 7) == 0)
        pattern += 7;
    else if (pattern[0] == '/' && pattern[1] == '/')
        pattern += 2;
    copy = apr_pstrdup(p, pattern);
    slash = strchr(copy, '/');
    for (char *c = copy; *c && (!slash || c < slash); c++) {
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    }
    return *copy && copy[0] != '/' ? copy : NULL;
}

const char *mc_guard_rules_js(apr_pool_t *p, const apr_array_header_t *rules,
                              const mc_categories_t *cats, int *skipped)
{
    int ncats = mc_categories_count(cats);
    mc_catmask_t required = mc_categories_required(cats);
    json_t **lists = apr_pcalloc(p, sizeof(json_t *) * (size_t)(ncats > 0 ? ncats : 1));
    json_t *root = json_object();
    json_t *services = json_object();
    const char **globs;
    int *cat_of;
    char *text;
    const char *js;
    int n = rules ? rules->nelts : 0;

    if (skipped)
        *skipped = 0;
    globs = apr_pcalloc(p, sizeof(*globs) * (size_t)(n + 1));
    cat_of = apr_pcalloc(p, sizeof(*cat_of) * (size_t)(n + 1));
    for (int i = 0; i < n; i++) {
        const mc_rule_t *r = &APR_ARRAY_IDX(rules, i, mc_rule_t);
        cat_of[i] = -1;
        if (!r->pattern || mc_pattern_kind(r->pattern) != MC_RULE_URL)
            continue;
        globs[i] = mc_guard_pattern(p, r->text);
        if (!globs[i]) {
            if (skipped)
                (*skipped)++;
            continue;
        }
        cat_of[i] = mc_categories_index(cats, r->category);
    }
    for (int i = 0; i < n; i++) {
        int c = cat_of[i], later = 0;
        if (c < 0 || mc_catmask_has(required, c))
            continue;
        /* the same pattern written again later: that rule's category wins */
        for (int j = i + 1; j < n && !later; j++)
            later = globs[j] && strcmp(globs[i], globs[j]) == 0;
        if (later)
            continue;
        if (!lists[c])
            lists[c] = json_array();
        json_array_append_new(lists[c], json_string(globs[i]));
        if (APR_ARRAY_IDX(rules, i, mc_rule_t).service_id)
            json_object_set_new(services, globs[i],
                                json_string(APR_ARRAY_IDX(rules, i, mc_rule_t).service_id));
    }
    for (int c = 0; c < ncats; c++) {
        if (lists[c])
            json_object_set_new(root, mc_categories_name(cats, c), lists[c]);
    }
    text = json_dumps(root, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
    json_decref(root);
    js = apr_pstrcat(p, "window.mcRules=", text ? text : "{}", ";\n", NULL);
    free(text);
    if (json_object_size(services) > 0) {
        text = json_dumps(services, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
        js = apr_pstrcat(p, js, "window.mcServices=", text ? text : "{}", ";\n", NULL);
        free(text);
    }
    json_decref(services);
    return js;
}
