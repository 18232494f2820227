#include "chain.h"

#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "token.h"

/* A record ends with exactly this: ,"hash":"<64 hex>"} */
#define MC_HASH_KEY ",\"hash\":\""
#define MC_HASH_KEY_LEN (sizeof(MC_HASH_KEY) - 1)
#define MC_HASH_END "\"}"
#define MC_HASH_TAIL_LEN (MC_HASH_KEY_LEN + MC_HASH_HEX + sizeof(MC_HASH_END) - 1)
#define MC_TAIL_BLOCK 4096
#define MC_REPLACEMENT_CHAR "\xEF\xBF\xBD" /* U+FFFD in UTF-8 */

const char mc_chain_genesis[MC_HASH_HEX + 1] =
    "0000000000000000000000000000000000000000000000000000000000000000";

static const char *const mc_record_methods[] = {"accept_all", "reject_all", "custom", "withdraw",
                                                "gpc"};
static const char *const mc_record_vias[] = {"banner", "settings", "placeholder"};
#define MC_RECORD_SERVICES_MAX 64 /* as many as a consent cookie carries */

/* ---- small helpers -------------------------------------------------------------- */

int mc_chain_name_valid(const char *name)
{
    size_t len = name ? strlen(name) : 0;

    if (len == 0 || len > MC_CHAIN_NAME_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

/* N decimal digits at S into *OUT; stops at a NUL, so never reads past it. */
static int mc_digits(const char *s, int n, int *out)
{
    *out = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        *out = *out * 10 + (s[i] - '0');
    }
    return 1;
}

static int mc_days_in_month(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

    return month == 2 && leap ? 29 : days[month - 1];
}

/* "YYYY-MM-DDTHH:MM:SS[.fraction]Z": RFC 3339 in UTC, as records carry it. */
static int mc_rfc3339_utc_valid(const char *s)
{
    int year, month, day, hour, minute, second;

    if (!mc_digits(s, 4, &year) || s[4] != '-' || !mc_digits(s + 5, 2, &month) || s[7] != '-' ||
        !mc_digits(s + 8, 2, &day) || s[10] != 'T' || !mc_digits(s + 11, 2, &hour) ||
        s[13] != ':' || !mc_digits(s + 14, 2, &minute) || s[16] != ':' ||
        !mc_digits(s + 17, 2, &second))
        return 0;
    s += 19;
    if (*s == '.') {
        if (s[1] < '0' || s[1] > '9')
            return 0;
        for (s++; *s >= '0' && *s <= '9'; s++)
            ;
    }
    if (strcmp(s, "Z") != 0)
        return 0;
    return month >= 1 && month <= 12 && day >= 1 && day <= mc_days_in_month(year, month) &&
           hour <= 23 && minute <= 59 && second <= 60; /* 60: a leap second */
}

/* ---- User-Agent ------------------------------------------------------------------ */

/* Length of the well-formed UTF-8 sequence at S (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or 0. */
static size_t mc_utf8_seq_len(const unsigned char *s, size_t avail)
{
    unsigned char lo = 0x80, hi = 0xBF;
    size_t n;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF) {
        n = 2;
    } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        n = 3;
        lo = s[0] == 0xE0 ? 0xA0 : lo;
        hi = s[0] == 0xED ? 0x9F : hi;
    } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        n = 4;
        lo = s[0] == 0xF0 ? 0x90 : lo;
        hi = s[0] == 0xF4 ? 0x8F : hi;
    } else {
        return 0;
    }
    if (avail < n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++) {
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    }
    return n;
}

/* UA as valid UTF-8 of at most MC_UA_MAX bytes: each invalid byte becomes
 * U+FFFD (jansson refuses invalid UTF-8), and the cut never splits a
 * character. */
static char *mc_ua_clean(apr_pool_t *p, const char *ua)
{
    const unsigned char *in = (const unsigned char *)ua;
    size_t avail = strlen(ua);
    char *out = apr_palloc(p, MC_UA_MAX + 1);
    size_t o = 0;

    while (avail > 0) {
        size_t n = mc_utf8_seq_len(in, avail);
        const char *piece = n ? (const char *)in : MC_REPLACEMENT_CHAR;
        size_t piece_len = n ? n : sizeof(MC_REPLACEMENT_CHAR) - 1;

        if (o + piece_len > MC_UA_MAX)
            break;
        memcpy(out + o, piece, piece_len);
        o += piece_len;
        in += n ? n : 1;
        avail -= n ? n : 1;
    }
    out[o] = '\0';
    return out;
}

/* ---- formatting ----------------------------------------------------------------- */

static json_t *mc_names_array(const mc_categories_t *cats, mc_catmask_t mask)
{
    json_t *names = json_array();

    for (int i = 0; names && i < mc_categories_count(cats); i++) {
        if (mc_catmask_has(mask, i))
            json_array_append_new(names, json_string(mc_categories_name(cats, i)));
    }
    return names;
}

static json_t *mc_services_array(const apr_array_header_t *ids)
{
    json_t *list = json_array();

    for (int i = 0; list && i < ids->nelts; i++)
        json_array_append_new(list, json_string(APR_ARRAY_IDX(ids, i, const char *)));
    return list;
}

/* Sets KEY to VALUE (which jansson takes over); remembers the first key
 * that failed: a NULL or non-UTF-8 string gives a NULL VALUE. */
static void mc_json_put(json_t *obj, const char *key, json_t *value, const char **bad)
{
    if (json_object_set_new(obj, key, value) != 0 && !*bad)
        *bad = key;
}

/* The record as a JSON object ending with "prev"; *BAD names a field that
 * could not be set. The key order is the contract's. */
static json_t *mc_record_object(apr_pool_t *p, const mc_record_t *rec, const char *prev,
                                const char **bad)
{
    mc_catmask_t all = mc_categories_all(rec->cats);
    mc_catmask_t granted = (rec->granted | mc_categories_required(rec->cats)) & all;
    const char *time = mc_time_rfc3339(p, rec->time_usec);
    json_t *obj = json_object();

    *bad = NULL;
    if (!obj)
        return NULL;
    mc_json_put(obj, "time", time ? json_string(time) : NULL, bad);
    mc_json_put(obj, "id", rec->id ? json_string(rec->id) : NULL, bad);
    mc_json_put(obj, "policy", rec->policy ? json_string(rec->policy) : NULL, bad);
    mc_json_put(obj, "granted", mc_names_array(rec->cats, granted), bad);
    mc_json_put(obj, "refused", mc_names_array(rec->cats, all & ~granted), bad);
    if (rec->services)
        mc_json_put(obj, "services", mc_services_array(rec->services), bad);
    mc_json_put(obj, "method", rec->method ? json_string(rec->method) : NULL, bad);
    if (rec->via)
        mc_json_put(obj, "via", json_string(rec->via), bad);
    mc_json_put(obj, "lang", rec->lang ? json_string(rec->lang) : NULL, bad);
    mc_json_put(obj, "text", rec->text ? json_string(rec->text) : NULL, bad);
    if (rec->ip)
        mc_json_put(obj, "ip", json_string(rec->ip), bad);
    if (rec->ua)
        mc_json_put(obj, "ua", json_string(mc_ua_clean(p, rec->ua)), bad);
    if (rec->gpc)
        mc_json_put(obj, "gpc", json_true(), bad);
    if (rec->chain)
        mc_json_put(obj, "chain", mc_chain_name_valid(rec->chain) ? json_string(rec->chain) : NULL,
                    bad);
    mc_json_put(obj, "prev", prev ? json_string(prev) : NULL, bad);
    return obj;
}

/* Dumps OBJ, hashes it up to its closing '}' and appends the "hash" field. */
static char *mc_record_seal(apr_pool_t *p, const json_t *obj, char *hash, const char **err)
{
    char *text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    size_t body_len, line_len;
    char *line = NULL;

    if (!text) {
        *err = "cannot serialise the record (out of memory)";
        return NULL;
    }
    body_len = strlen(text) - 1; /* without the closing '}' */
    line_len = body_len + MC_HASH_TAIL_LEN + 1;
    if (line_len > MC_RECORD_MAX)
        *err = apr_psprintf(p, "the record would be %" APR_SIZE_T_FMT " bytes, more than %d",
                            line_len, MC_RECORD_MAX);
    else if (mc_sha256_hex(text, body_len, hash) != MC_OK)
        *err = "SHA-256 failed in libcrypto";
    else
        line = apr_psprintf(p, "%.*s" MC_HASH_KEY "%s" MC_HASH_END "\n", (int)body_len, text, hash);
    free(text);
    return line;
}

char *mc_record_format(apr_pool_t *p, const mc_record_t *rec, const char *prev, char *hash_out,
                       const char **err)
{
    mc_record_info_t info;
    const char *bad, *why;
    char hash[MC_HASH_HEX + 1];
    json_t *obj = mc_record_object(p, rec, prev, &bad);
    char *line;

    if (!obj || bad) {
        json_decref(obj);
        *err = obj ? apr_psprintf(p, "record field '%s' is missing or not valid UTF-8", bad)
                   : "cannot build the record (out of memory)";
        return NULL;
    }
    line = mc_record_seal(p, obj, hash, err);
    json_decref(obj);
    if (!line)
        return NULL;
    /* Whatever the caller passed (id, method, text, prev...), the log never
     * gets a line its own verifier would refuse. */
    if (mc_record_parse(p, line, strlen(line) - 1, &info, &why) != MC_OK) {
        *err = apr_psprintf(p, "the record would not verify: %s", why);
        return NULL;
    }
    memcpy(hash_out, hash, sizeof(hash));
    return line;
}

/* ---- checking: the fields ---------------------------------------------------------- */

typedef int mc_field_valid_fn(const json_t *value);

static int mc_json_is_text(const json_t *v)
{
    return json_is_string(v);
}

static int mc_json_is_time(const json_t *v)
{
    return json_is_string(v) && mc_rfc3339_utc_valid(json_string_value(v));
}

static int mc_json_is_id(const json_t *v)
{
    return json_is_string(v) && mc_consent_id_valid(json_string_value(v), json_string_length(v));
}

static int mc_json_is_hex64(const json_t *v)
{
    return json_is_string(v) && mc_hash_hex_valid(json_string_value(v), json_string_length(v));
}

static int mc_json_is_method(const json_t *v)
{
    for (size_t i = 0; json_is_string(v) && i < sizeof(mc_record_methods) / sizeof(char *); i++) {
        if (strcmp(json_string_value(v), mc_record_methods[i]) == 0)
            return 1;
    }
    return 0;
}

static int mc_json_is_via(const json_t *v)
{
    for (size_t i = 0; json_is_string(v) && i < sizeof(mc_record_vias) / sizeof(char *); i++) {
        if (strcmp(json_string_value(v), mc_record_vias[i]) == 0)
            return 1;
    }
    return 0;
}

/* At most MC_RECORD_SERVICES_MAX service ids, none twice. */
static int mc_json_is_services(const json_t *v)
{
    size_t i;
    json_t *id;

    if (!json_is_array(v) || json_array_size(v) > MC_RECORD_SERVICES_MAX)
        return 0;
    json_array_foreach (v, i, id) {
        const char *s = json_string_value(id);

        if (!s || !mc_service_id_valid(s, strlen(s)))
            return 0;
        for (size_t j = 0; j < i; j++) {
            if (strcmp(json_string_value(json_array_get(v, j)), s) == 0)
                return 0;
        }
    }
    return 1;
}

static int mc_json_is_flag(const json_t *v)
{
    return json_is_boolean(v);
}

static int mc_json_is_chain(const json_t *v)
{
    return json_is_string(v) && mc_chain_name_valid(json_string_value(v));
}

/* At most MC_MAX_CATEGORIES valid names (which also bounds the work). */
static int mc_json_is_names(const json_t *v)
{
    size_t i;
    json_t *name;

    if (!json_is_array(v) || json_array_size(v) > MC_MAX_CATEGORIES)
        return 0;
    json_array_foreach(v, i, name)
    {
        if (!json_is_string(name) || !mc_category_name_valid(json_string_value(name)))
            return 0;
    }
    return 1;
}

/* The contract's fields, in the order a record holds them. */
static const struct mc_field {
    const char *name;
    int required;
    mc_field_valid_fn *valid;
    const char *expected;
} mc_fields[] = {
    {"time", 1, mc_json_is_time, "an RFC 3339 UTC time"},
    {"id", 1, mc_json_is_id, "a consent id (22 base64url characters)"},
    {"policy", 1, mc_json_is_text, "a string"},
    {"granted", 1, mc_json_is_names, "a list of category names"},
    {"refused", 1, mc_json_is_names, "a list of category names"},
    {"services", 0, mc_json_is_services, "a list of service ids, each once"},
    {"method", 1, mc_json_is_method, "one of accept_all, reject_all, custom, withdraw, gpc"},
    {"via", 0, mc_json_is_via, "one of banner, settings, placeholder"},
    {"lang", 1, mc_json_is_text, "a string"},
    {"text", 1, mc_json_is_hex64, "64 lower-case hex digits"},
    {"ip", 0, mc_json_is_text, "a string"},
    {"ua", 0, mc_json_is_text, "a string"},
    {"gpc", 0, mc_json_is_flag, "true or false"},
    {"chain", 0, mc_json_is_chain, "a chain name (1-64 of A-Z a-z 0-9 . _ -)"},
    {"prev", 1, mc_json_is_hex64, "64 lower-case hex digits"},
    {"hash", 1, mc_json_is_hex64, "64 lower-case hex digits"},
};
#define MC_FIELD_COUNT (sizeof(mc_fields) / sizeof(mc_fields[0]))

static int mc_field_index(const char *name)
{
    for (size_t i = 0; i < MC_FIELD_COUNT; i++) {
        if (strcmp(mc_fields[i].name, name) == 0)
            return (int)i;
    }
    return -1;
}

/* Every key known, in contract order, of the right type; none missing. */
static mc_status_t mc_record_fields_check(apr_pool_t *p, json_t *obj, const char **err)
{
    int seen[MC_FIELD_COUNT] = {0};
    int last = -1;
    const char *key;
    json_t *value;

    json_object_foreach(obj, key, value)
    {
        int i = mc_field_index(key);

        if (i < 0) {
            *err = apr_psprintf(p, "unknown field '%s'", key);
            return MC_EINVAL;
        }
        if (i < last) {
            *err = apr_psprintf(p, "field '%s' is out of order", key);
            return MC_EINVAL;
        }
        if (!mc_fields[i].valid(value)) {
            *err = apr_psprintf(p, "field '%s' is not %s", key, mc_fields[i].expected);
            return MC_EINVAL;
        }
        seen[i] = 1;
        last = i;
    }
    for (size_t i = 0; i < MC_FIELD_COUNT; i++) {
        if (mc_fields[i].required && !seen[i]) {
            *err = apr_psprintf(p, "missing field '%s'", mc_fields[i].name);
            return MC_EINVAL;
        }
    }
    return MC_OK;
}

/* Whether NAMES holds NAME among its first BEFORE entries. */
static int mc_names_contain(const json_t *names, const char *name, size_t before)
{
    for (size_t i = 0; i < before && i < json_array_size(names); i++) {
        if (strcmp(json_string_value(json_array_get(names, i)), name) == 0)
            return 1;
    }
    return 0;
}

static mc_status_t mc_names_unique(apr_pool_t *p, const json_t *names, const char **err)
{
    for (size_t i = 0; i < json_array_size(names); i++) {
        const char *name = json_string_value(json_array_get(names, i));

        if (mc_names_contain(names, name, i)) {
            *err = apr_psprintf(p, "category '%s' is listed twice", name);
            return MC_EINVAL;
        }
    }
    return MC_OK;
}

/* "granted" holds "necessary"; no name twice; no name both granted and refused. */
static mc_status_t mc_record_names_check(apr_pool_t *p, const json_t *obj, const char **err)
{
    const json_t *granted = json_object_get(obj, "granted");
    const json_t *refused = json_object_get(obj, "refused");

    if (!mc_names_contain(granted, "necessary", json_array_size(granted))) {
        *err = "'granted' does not contain 'necessary'";
        return MC_EINVAL;
    }
    if (mc_names_unique(p, granted, err) != MC_OK || mc_names_unique(p, refused, err) != MC_OK)
        return MC_EINVAL;
    for (size_t i = 0; i < json_array_size(refused); i++) {
        const char *name = json_string_value(json_array_get(refused, i));

        if (mc_names_contain(granted, name, json_array_size(granted))) {
            *err = apr_psprintf(p, "category '%s' is both granted and refused", name);
            return MC_EINVAL;
        }
    }
    return MC_OK;
}

/* ---- checking: the hash ------------------------------------------------------------ */

/* The line ends with its "hash" field, which is the SHA-256 of what precedes it. */
static mc_status_t mc_record_hash_check(const char *line, size_t len, char *hash_out,
                                        const char **err)
{
    const char *tail;
    char expected[MC_HASH_HEX + 1];

    if (line[0] != '{') {
        *err = "the record does not start with '{'";
        return MC_EINVAL;
    }
    tail = len >= MC_HASH_TAIL_LEN ? line + len - MC_HASH_TAIL_LEN : NULL;
    if (!tail || memcmp(tail, MC_HASH_KEY, MC_HASH_KEY_LEN) != 0 ||
        !mc_hash_hex_valid(tail + MC_HASH_KEY_LEN, MC_HASH_HEX) ||
        memcmp(tail + MC_HASH_KEY_LEN + MC_HASH_HEX, MC_HASH_END, sizeof(MC_HASH_END) - 1) != 0) {
        *err = "the record does not end with its \"hash\" field";
        return MC_EINVAL;
    }
    if (mc_sha256_hex(line, (size_t)(tail - line), expected) != MC_OK) {
        *err = "SHA-256 failed in libcrypto";
        return MC_ECRYPTO;
    }
    if (memcmp(expected, tail + MC_HASH_KEY_LEN, MC_HASH_HEX) != 0) {
        *err = "hash does not match the record";
        return MC_EINVAL;
    }
    memcpy(hash_out, expected, sizeof(expected));
    return MC_OK;
}

static json_t *mc_record_load(apr_pool_t *p, const char *line, size_t len, const char **err)
{
    json_error_t jerr;
    json_t *obj;

    if (len == 0) {
        *err = "empty line";
        return NULL;
    }
    /* Duplicate keys would let a line say two things at once. */
    obj = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!obj) {
        *err = apr_psprintf(p, "not valid JSON: %s (column %d)", jerr.text, jerr.column);
        return NULL;
    }
    if (!json_is_object(obj)) {
        json_decref(obj);
        *err = "not a JSON object";
        return NULL;
    }
    return obj;
}

static const char *mc_json_strdup(apr_pool_t *p, const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);

    return json_is_string(v) ? apr_pstrdup(p, json_string_value(v)) : NULL;
}

mc_status_t mc_record_parse(apr_pool_t *p, const char *line, size_t len, mc_record_info_t *info,
                            const char **err)
{
    char hash[MC_HASH_HEX + 1];
    json_t *obj = mc_record_load(p, line, len, err);
    mc_status_t rv;

    memset(info, 0, sizeof(*info));
    if (!obj)
        return MC_EINVAL;
    info->time = mc_json_strdup(p, obj, "time");
    info->id = mc_json_strdup(p, obj, "id");
    info->chain = mc_json_strdup(p, obj, "chain");
    if (!info->chain)
        info->chain = "";
    rv = mc_record_hash_check(line, len, hash, err);
    if (rv == MC_OK)
        rv = mc_record_fields_check(p, obj, err);
    if (rv == MC_OK)
        rv = mc_record_names_check(p, obj, err);
    if (rv == MC_OK) {
        memcpy(info->prev, json_string_value(json_object_get(obj, "prev")), MC_HASH_HEX + 1);
        memcpy(info->hash, hash, sizeof(hash));
    }
    json_decref(obj);
    return rv;
}

mc_status_t mc_record_check(apr_pool_t *p, const char *line, size_t len, char *prev_out,
                            char *hash_out, const char **err)
{
    mc_record_info_t info;
    mc_status_t rv = mc_record_parse(p, line, len, &info, err);

    if (rv == MC_OK) {
        memcpy(prev_out, info.prev, sizeof(info.prev));
        memcpy(hash_out, info.hash, sizeof(info.hash));
    }
    return rv;
}

/* ---- the chain ------------------------------------------------------------------ */

void mc_chain_walk_init(mc_chain_walk_t *w)
{
    w->last[0] = '\0';
    w->records = 0;
}

mc_status_t mc_chain_walk_next(mc_chain_walk_t *w, apr_pool_t *p, const char *line, size_t len,
                               mc_record_info_t *info, const char **err)
{
    mc_status_t rv = mc_record_parse(p, line, len, info, err);

    if (rv != MC_OK)
        return rv;
    if (w->records > 0 && strcmp(info->prev, w->last) != 0) {
        *err = apr_psprintf(p,
                            "the chain is broken here: prev is %.12s..., the previous record's "
                            "hash is %.12s... (a record was removed, moved or edited)",
                            info->prev, w->last);
        return MC_EINVAL;
    }
    memcpy(w->last, info->hash, sizeof(w->last));
    w->records++;
    return MC_OK;
}

static mc_status_t mc_read_at(apr_file_t *file, apr_off_t offset, char *buf, size_t len)
{
    apr_size_t got = 0;

    if (apr_file_seek(file, APR_SET, &offset) != APR_SUCCESS)
        return MC_EIO;
    if (apr_file_read_full(file, buf, len, &got) != APR_SUCCESS || got != len)
        return MC_EIO;
    return MC_OK;
}

/* Finds the last line of a file of SIZE bytes (> 0) by reading blocks
 * backwards from its end, never more than MC_LINE_MAX + 1 bytes. */
static mc_status_t mc_tail_line(apr_pool_t *p, apr_file_t *file, apr_off_t size, const char *path,
                                const char **line, size_t *len, const char **err)
{
    size_t cap = size > MC_LINE_MAX + 1 ? MC_LINE_MAX + 1 : (size_t)size;
    char *buf = apr_palloc(p, cap);
    char *end = buf + cap - 1; /* the file's final byte: its last '\n' */
    size_t have = 0;

    while (have < cap) {
        size_t n = cap - have < MC_TAIL_BLOCK ? cap - have : MC_TAIL_BLOCK;
        char *block = buf + cap - have - n;

        if (mc_read_at(file, size - (apr_off_t)(have + n), block, n) != MC_OK) {
            *err = apr_psprintf(p, "cannot read the end of %s", path);
            return MC_EIO;
        }
        if (have == 0 && *end != '\n') {
            *err = apr_psprintf(p,
                                "the last line of %s has no newline at its end: a write was cut "
                                "off; verify the log and move the torn line away",
                                path);
            return MC_EINVAL;
        }
        for (char *c = block + n; c-- > block;) {
            if (*c == '\n' && c != end) {
                *line = c + 1;
                *len = (size_t)(end - *line);
                return MC_OK;
            }
        }
        have += n;
    }
    if ((apr_off_t)have == size) { /* the file is a single line */
        *line = buf;
        *len = cap - 1;
        return MC_OK;
    }
    *err = apr_psprintf(p, "the last line of %s is longer than %d bytes", path, MC_LINE_MAX);
    return MC_ELIMIT;
}

mc_status_t mc_chain_tail(apr_pool_t *p, const char *path, char *hash_out, const char **err)
{
    apr_file_t *file;
    apr_finfo_t finfo;
    mc_record_info_t info;
    const char *line = NULL, *why;
    size_t len = 0;
    char msg[256];
    mc_status_t rv;
    apr_status_t arv;

    arv = apr_file_open(&file, path, APR_FOPEN_READ | APR_FOPEN_BINARY, APR_FPROT_OS_DEFAULT, p);
    if (arv != APR_SUCCESS) {
        *err = apr_psprintf(p, "cannot open %s: %s", path, apr_strerror(arv, msg, sizeof(msg)));
        return APR_STATUS_IS_ENOENT(arv) ? MC_ENOTFOUND : MC_EIO;
    }
    arv = apr_file_info_get(&finfo, APR_FINFO_SIZE, file);
    if (arv != APR_SUCCESS) {
        apr_file_close(file);
        *err = apr_psprintf(p, "cannot stat %s: %s", path, apr_strerror(arv, msg, sizeof(msg)));
        return MC_EIO;
    }
    if (finfo.size == 0) {
        apr_file_close(file);
        *err = apr_psprintf(p, "%s is empty", path);
        return MC_ENOTFOUND;
    }
    rv = mc_tail_line(p, file, finfo.size, path, &line, &len, err);
    apr_file_close(file);
    if (rv != MC_OK)
        return rv;
    if (mc_record_parse(p, line, len, &info, &why) != MC_OK) {
        *err = apr_psprintf(p, "the last record of %s is invalid: %s", path, why);
        return MC_EINVAL;
    }
    memcpy(hash_out, info.hash, sizeof(info.hash));
    return MC_OK;
}
