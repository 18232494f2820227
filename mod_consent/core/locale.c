/* Banner texts of one language; the format and the hash are described in
 * locale.h. */
#include "locale.h"

#include <apr_strings.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "category.h"
#include "chain.h"
#include "lang.h"

struct mc_locale {
    const char *lang;
    const char *name;
    mc_text_t *texts; /* sorted by key (byte order), keys unique */
    int count;
    char hash[MC_HASH_HEX + 1];
};

const char *const mc_locale_required_keys[] = {"title",
                                               "intro",
                                               "accept_all",
                                               "reject_all",
                                               "settings",
                                               "save",
                                               "privacy_policy",
                                               "reopen",
                                               "withdraw",
                                               "settings_title",
                                               "always_on",
                                               "cookies_label",
                                               "other_cookies_label",
                                               "gpc_notice",
                                               "settings_page_title",
                                               "current_state_none",
                                               "current_state",
                                               "state_time",
                                               "state_granted",
                                               "state_refused",
                                               "state_id",
                                               "state_id_help",
                                               "withdraw_note",
                                               "back",
                                               "placeholder_text",
                                               "placeholder_load",
                                               "placeholder_allow",
                                               "unclassified_title",
                                               "unclassified_held_note",
                                               "unclassified_allowed_note",
                                               "admin_title",
                                               "admin_intro",
                                               "admin_caption",
                                               "admin_none",
                                               "admin_name",
                                               "admin_domain",
                                               "admin_lifetime",
                                               "admin_treatment",
                                               "admin_persistent",
                                               "admin_session",
                                               "admin_held",
                                               "admin_allowed",
                                               "admin_blocked",
                                               "admin_howto",
                                               "placeholder_allow_service",
                                               "category.necessary.title",
                                               "category.necessary.description",
                                               "category.preferences.title",
                                               "category.preferences.description",
                                               "category.statistics.title",
                                               "category.statistics.description",
                                               "category.marketing.title",
                                               "category.marketing.description",
                                               NULL};

/* --- keys and texts ------------------------------------------------------------ */

static int required_key(const char *key)
{
    for (const char *const *k = mc_locale_required_keys; *k; k++) {
        if (strcmp(*k, key) == 0)
            return 1;
    }
    return 0;
}

/* "category.NAME.title" or "category.NAME.description" */
static int category_key(const char *key)
{
    static const char prefix[] = "category.";
    const char *name = key + sizeof(prefix) - 1;
    const char *dot;
    char buf[MC_CATEGORY_NAME_MAX + 1];

    if (strncmp(key, prefix, sizeof(prefix) - 1) != 0 || !(dot = strchr(name, '.')))
        return 0;
    if (strcmp(dot, ".title") != 0 && strcmp(dot, ".description") != 0)
        return 0;
    if (dot == name || (size_t)(dot - name) > MC_CATEGORY_NAME_MAX)
        return 0;
    memcpy(buf, name, (size_t)(dot - name));
    buf[dot - name] = '\0';
    return mc_category_name_valid(buf);
}

/* Texts a locale may have; the banner says them in English without. */
static const char *const optional_keys[] = {"recipients", "recipients_none",
                                            "recipients_outside_eea", "retention", NULL};

static int optional_key(const char *key)
{
    for (const char *const *k = optional_keys; *k; k++) {
        if (strcmp(*k, key) == 0)
            return 1;
    }
    return 0;
}

int mc_locale_key_known(const char *key)
{
    return required_key(key) || optional_key(key) || category_key(key);
}

const char *mc_locale_keys_list(apr_pool_t *p)
{
    const char *list = "";

    for (const char *const *k = mc_locale_required_keys; *k; k++)
        list = apr_pstrcat(p, list, *k, ", ", NULL);
    for (const char *const *k = optional_keys; *k; k++)
        list = apr_pstrcat(p, list, *k, ", ", NULL);
    return apr_pstrcat(p, list, "category.NAME.title, category.NAME.description", NULL);
}

/* Length of the UTF-8 sequence at S (RFC 3629: no overlongs, no surrogates,
 * nothing above U+10FFFF), or 0 when it is not one. */
static size_t utf8_sequence(const unsigned char *s)
{
    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        return (s[1] & 0xc0) == 0x80 ? 2 : 0;
    if (s[0] >= 0xe0 && s[0] <= 0xef) {
        unsigned char lo = s[0] == 0xe0 ? 0xa0 : 0x80, hi = s[0] == 0xed ? 0x9f : 0xbf;
        return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 ? 3 : 0;
    }
    if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        unsigned char lo = s[0] == 0xf0 ? 0x90 : 0x80, hi = s[0] == 0xf4 ? 0x8f : 0xbf;
        return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80 ? 4 : 0;
    }
    return 0;
}

const char *mc_locale_text_problem(const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t len = strlen(text);

    if (len == 0)
        return "the text is empty";
    if (len > MC_LOCALE_TEXT_MAX)
        return "the text is longer than 2000 bytes";
    while (*s) {
        size_t n;
        /* texts are one paragraph each; control characters would also make
         * the canonical form (and so the hash) depend on escaping rules */
        if (*s < 0x20 || *s == 0x7f)
            return "the text contains a control character (a tab or line break?)";
        if ((n = utf8_sequence(s)) == 0)
            return "the text is not valid UTF-8";
        s += n;
    }
    return NULL;
}

/* --- the locale ------------------------------------------------------------------ */

static int text_cmp(const void *a, const void *b)
{
    return strcmp(((const mc_text_t *)a)->key, ((const mc_text_t *)b)->key);
}

/* Bytes of S as a JSON string: quoted, '"' and '\' escaped (json.dumps
 * escapes nothing else in a text without control characters). */
static size_t quoted_len(const char *s)
{
    size_t len = 2;

    for (; *s; s++)
        len += *s == '"' || *s == '\\' ? 2 : 1;
    return len;
}

static char *put_quoted(char *o, const char *s)
{
    *o++ = '"';
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            *o++ = '\\';
        *o++ = *s;
    }
    *o++ = '"';
    return o;
}

/* The canonical form described in locale.h, hashed. */
static mc_status_t compute_hash(apr_pool_t *p, mc_locale_t *loc)
{
    size_t len = 2;
    char *canonical, *o;

    for (int i = 0; i < loc->count; i++)
        len += quoted_len(loc->texts[i].key) + 1 + quoted_len(loc->texts[i].text) + (i > 0);
    o = canonical = apr_palloc(p, len);
    *o++ = '{';
    for (int i = 0; i < loc->count; i++) {
        if (i > 0)
            *o++ = ',';
        o = put_quoted(o, loc->texts[i].key);
        *o++ = ':';
        o = put_quoted(o, loc->texts[i].text);
    }
    *o = '}';
    return mc_sha256_hex(canonical, len, loc->hash);
}

/* Sorts LOC's texts and hashes them: the last step of making a locale. */
static mc_status_t seal(apr_pool_t *p, mc_locale_t *loc, const char **err)
{
    qsort(loc->texts, (size_t)loc->count, sizeof(*loc->texts), text_cmp);
    if (compute_hash(p, loc) != MC_OK) {
        *err = "SHA-256 failed in libcrypto";
        return MC_ECRYPTO;
    }
    return MC_OK;
}

static char *lower_tag(apr_pool_t *p, const char *tag)
{
    char *copy = apr_pstrdup(p, tag);

    for (char *c = copy; *c; c++) {
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    }
    return copy;
}

/* Sets KEY to TEXT in LOC (room for one more entry is the caller's care). */
static void put_text(mc_locale_t *loc, const char *key, const char *text)
{
    for (int i = 0; i < loc->count; i++) {
        if (strcmp(loc->texts[i].key, key) == 0) {
            loc->texts[i].text = text;
            return;
        }
    }
    loc->texts[loc->count].key = key;
    loc->texts[loc->count++].text = text;
}

mc_status_t mc_locale_derive(apr_pool_t *p, const mc_locale_t *base, const char *lang,
                             const mc_text_t *texts, int n, mc_locale_t **out, const char **err)
{
    mc_locale_t *loc = apr_pcalloc(p, sizeof(*loc));
    int base_count = base ? base->count : 0;

    *out = NULL;
    if (!lang || !mc_lang_tag_valid(lang)) {
        *err = apr_psprintf(p, "'%s' is not a language tag like nb or en", lang ? lang : "");
        return MC_EINVAL;
    }
    loc->lang = lower_tag(p, lang);
    loc->name = base ? base->name : loc->lang;
    loc->texts = apr_palloc(p, sizeof(*loc->texts) * (size_t)(base_count + n + 1));
    if (base_count)
        memcpy(loc->texts, base->texts, sizeof(*loc->texts) * (size_t)base_count);
    loc->count = base_count;
    for (int i = 0; i < n; i++) {
        const char *problem;
        if (!mc_locale_key_known(texts[i].key)) {
            *err = apr_psprintf(p, "unknown text key '%s' (known keys: %s)", texts[i].key,
                                mc_locale_keys_list(p));
            return MC_EINVAL;
        }
        if ((problem = mc_locale_text_problem(texts[i].text)) != NULL) {
            *err = apr_psprintf(p, "text '%s': %s", texts[i].key, problem);
            return MC_EINVAL;
        }
        put_text(loc, texts[i].key, texts[i].text);
    }
    if (seal(p, loc, err) != MC_OK)
        return MC_ECRYPTO;
    *out = loc;
    return MC_OK;
}

/* --- loading a locale file ------------------------------------------------------- */

typedef struct parse_ctx {
    apr_pool_t *p;
    const char *source;
    const char **err;
} parse_ctx_t;

static mc_status_t parse_fail(const parse_ctx_t *c, const char *what)
{
    *c->err = apr_psprintf(c->p, "%s: %s", c->source, what);
    return MC_EINVAL;
}

static mc_status_t check_fields(const parse_ctx_t *c, json_t *root)
{
    const char *key;
    json_t *value;

    if (!json_is_object(root))
        return parse_fail(c, "the locale must be a JSON object");
    json_object_foreach (root, key, value) {
        if (strcmp(key, "lang") != 0 && strcmp(key, "name") != 0 && strcmp(key, "texts") != 0)
            return parse_fail(c, apr_psprintf(c->p,
                                              "unknown field '%s' (a locale has lang, "
                                              "name and texts)",
                                              key));
    }
    if (!json_is_string(json_object_get(root, "lang")) ||
        !mc_lang_tag_valid(json_string_value(json_object_get(root, "lang"))))
        return parse_fail(c, "\"lang\" must be a language tag like \"nb\"");
    if (!json_is_string(json_object_get(root, "name")) ||
        json_string_length(json_object_get(root, "name")) == 0)
        return parse_fail(c, "\"name\" must be the language's name, e.g. \"Norsk bokmål\"");
    if (!json_is_object(json_object_get(root, "texts")))
        return parse_fail(c, "\"texts\" must be an object of text key -> text");
    return MC_OK;
}

static mc_status_t load_texts(const parse_ctx_t *c, json_t *texts, mc_locale_t *loc)
{
    const char *key;
    json_t *value;

    loc->texts = apr_palloc(c->p, sizeof(*loc->texts) * (json_object_size(texts) + 1));
    json_object_foreach (texts, key, value) {
        const char *text = json_string_value(value);
        const char *problem;
        if (!mc_locale_key_known(key))
            return parse_fail(c, apr_psprintf(c->p, "unknown text key '%s' (known keys: %s)", key,
                                              mc_locale_keys_list(c->p)));
        if (!text)
            return parse_fail(c, apr_psprintf(c->p, "text '%s' must be a string", key));
        /* a "\u0000" inside the string would end it early in C */
        problem = strlen(text) != json_string_length(value) ? "the text contains a NUL"
                                                            : mc_locale_text_problem(text);
        if (problem)
            return parse_fail(c, apr_psprintf(c->p, "text '%s': %s", key, problem));
        loc->texts[loc->count].key = apr_pstrdup(c->p, key);
        loc->texts[loc->count++].text = apr_pstrdup(c->p, text);
    }
    return MC_OK;
}

static mc_status_t build_locale(const parse_ctx_t *c, json_t *root, mc_locale_t **out)
{
    mc_locale_t *loc = apr_pcalloc(c->p, sizeof(*loc));
    const char *missing;

    if (check_fields(c, root) != MC_OK)
        return MC_EINVAL;
    loc->lang = lower_tag(c->p, json_string_value(json_object_get(root, "lang")));
    loc->name = apr_pstrdup(c->p, json_string_value(json_object_get(root, "name")));
    if (load_texts(c, json_object_get(root, "texts"), loc) != MC_OK)
        return MC_EINVAL;
    if (seal(c->p, loc, c->err) != MC_OK)
        return MC_ECRYPTO;
    if ((missing = mc_locale_missing(c->p, loc)) != NULL)
        return parse_fail(c, apr_psprintf(c->p, "missing texts: %s", missing));
    *out = loc;
    return MC_OK;
}

mc_status_t mc_locale_parse(apr_pool_t *p, const char *json, size_t len, const char *source,
                            mc_locale_t **out, const char **err)
{
    parse_ctx_t c = {p, source ? source : "locale", err};
    json_error_t jerr;
    json_t *root;
    mc_status_t rv;

    *out = NULL;
    root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        *err = apr_psprintf(p, "%s: line %d column %d: %s", c.source, jerr.line, jerr.column,
                            jerr.text);
        return MC_EINVAL;
    }
    rv = build_locale(&c, root, out);
    json_decref(root);
    return rv;
}

/* --- reading --------------------------------------------------------------------- */

const char *mc_locale_lang(const mc_locale_t *loc)
{
    return loc->lang;
}

const char *mc_locale_name(const mc_locale_t *loc)
{
    return loc->name;
}

const char *mc_locale_text(const mc_locale_t *loc, const char *key)
{
    mc_text_t probe = {key, NULL};
    const mc_text_t *found =
        bsearch(&probe, loc->texts, (size_t)loc->count, sizeof(*loc->texts), text_cmp);

    return found ? found->text : NULL;
}

int mc_locale_count(const mc_locale_t *loc)
{
    return loc->count;
}

const mc_text_t *mc_locale_entry(const mc_locale_t *loc, int i)
{
    return i >= 0 && i < loc->count ? &loc->texts[i] : NULL;
}

const char *mc_locale_missing(apr_pool_t *p, const mc_locale_t *loc)
{
    const char *missing = NULL;

    for (const char *const *k = mc_locale_required_keys; *k; k++) {
        if (!mc_locale_text(loc, *k))
            missing = missing ? apr_pstrcat(p, missing, ", ", *k, NULL) : *k;
    }
    return missing;
}

const char *mc_locale_hash(const mc_locale_t *loc)
{
    return loc->hash;
}
