#include "decision.h"
#include "lang.h"

#include <apr_strings.h>
#include <apr_time.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "ascii.h"

#define REASON_QUOTE_MAX 40 /* bytes of a client's value quoted back in a reason */
#define RETURN_PATH_MAX 2048

const char *mc_method_str(mc_method_t m)
{
    switch (m) {
    case MC_METHOD_ACCEPT_ALL: return "accept_all";
    case MC_METHOD_REJECT_ALL: return "reject_all";
    case MC_METHOD_CUSTOM: return "custom";
    case MC_METHOD_WITHDRAW: return "withdraw";
    case MC_METHOD_GPC: return "gpc";
    }
    return "unknown";
}

const char *mc_via_str(mc_via_t v)
{
    switch (v) {
    case MC_VIA_BANNER: return "banner";
    case MC_VIA_SETTINGS: return "settings";
    case MC_VIA_PLACEHOLDER: return "placeholder";
    }
    return "unknown";
}

/* --- reasons ------------------------------------------------------------------------ */

/* "PREFIX 'VALUE'" with VALUE cut and made printable: a reason goes into a response body
 * and a log line, so it stays one short line of printable ASCII whatever the client sent. */
static const char *reason_quoting(apr_pool_t *p, const char *prefix, const char *value)
{
    size_t len = strlen(value);
    size_t keep = len > REASON_QUOTE_MAX ? REASON_QUOTE_MAX : len;
    char *shown = apr_pstrmemdup(p, value, keep);

    for (char *c = shown; *c; c++) {
        if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
            *c = '?';
    }
    return apr_pstrcat(p, prefix, " '", shown, len > keep ? "...'" : "'", (char *)NULL);
}

/* --- application/x-www-form-urlencoded ---------------------------------------------- */

/* Decodes [B, E): '+' is a space, %XX a byte. A NUL, raw or escaped, would cut the value
 * short when it is used as a C string, so it is malformed too. */
static mc_status_t form_decode(apr_pool_t *p, const char *b, const char *e, const char **out)
{
    char *dst = apr_palloc(p, (size_t)(e - b) + 1);
    char *at = dst;

    for (const char *c = b; c < e; c++) {
        if (*c == '%') {
            int hi = e - c > 2 ? mc_ascii_hex_value(c[1]) : -1;
            int lo = hi >= 0 ? mc_ascii_hex_value(c[2]) : -1;

            if (lo < 0 || (hi == 0 && lo == 0))
                return MC_EINVAL;
            *at++ = (char)(hi * 16 + lo);
            c += 2;
        } else if (*c == '\0') {
            return MC_EINVAL;
        } else if (*c == '+') {
            *at++ = ' ';
        } else {
            *at++ = *c;
        }
    }
    *at = '\0';
    *out = dst;
    return MC_OK;
}

static mc_status_t form_pair_push(apr_pool_t *p, apr_array_header_t *pairs, const char *b,
                                  const char *e)
{
    const char *eq = memchr(b, '=', (size_t)(e - b));
    mc_form_pair_t pair;

    if (form_decode(p, b, eq ? eq : e, &pair.name) != MC_OK)
        return MC_EINVAL;
    if (form_decode(p, eq ? eq + 1 : e, e, &pair.value) != MC_OK)
        return MC_EINVAL;
    APR_ARRAY_PUSH(pairs, mc_form_pair_t) = pair;
    return MC_OK;
}

mc_status_t mc_form_parse(apr_pool_t *p, const char *body, size_t len, apr_array_header_t **pairs,
                          const char **reason)
{
    const char *c = body;
    const char *end;

    *pairs = apr_array_make(p, 4, sizeof(mc_form_pair_t));
    if (!body)
        return MC_OK;
    end = body + len;
    while (c < end) {
        const char *amp = memchr(c, '&', (size_t)(end - c));
        const char *piece_end = amp ? amp : end;

        if (piece_end > c && form_pair_push(p, *pairs, c, piece_end) != MC_OK) {
            *reason = "malformed form body";
            return MC_EINVAL;
        }
        c = amp ? amp + 1 : end;
    }
    return MC_OK;
}

/* --- fields shared by both body types ----------------------------------------------- */

/* What the fields seen so far have set, to refuse repeats and a missing method. */
typedef struct field_state {
    int have_method;
    int have_return;
    int have_lang;
    int have_via;
    mc_catmask_t named;
    apr_array_header_t *services; /* ids named, each once */
} field_state_t;

static const char *method_field(apr_pool_t *p, const char *value, field_state_t *st,
                                mc_decision_t *out)
{
    static const struct {
        const char *name;
        mc_method_t method;
    } asked[] = {{"accept_all", MC_METHOD_ACCEPT_ALL},
                 {"reject_all", MC_METHOD_REJECT_ALL},
                 {"custom", MC_METHOD_CUSTOM}};

    if (st->have_method)
        return "method given twice";
    st->have_method = 1;
    for (size_t i = 0; i < sizeof(asked) / sizeof(asked[0]); i++) {
        if (strcmp(value, asked[i].name) == 0) {
            out->method = asked[i].method;
            return NULL;
        }
    }
    return reason_quoting(p, "unknown method", value);
}

static const char *granted_field(apr_pool_t *p, const mc_categories_t *cats, const char *value,
                                 field_state_t *st)
{
    int index = mc_categories_index(cats, value);

    if (index < 0)
        return reason_quoting(p, "unknown category", value);
    st->named |= (mc_catmask_t)1 << index;
    return NULL;
}

/* A service id, well formed (whether it is known is checked against the rules later);
 * a repeat is counted once. */
static const char *service_field(apr_pool_t *p, const char *value, field_state_t *st)
{
    if (!mc_service_id_valid(value, strlen(value)))
        return reason_quoting(p, "unknown service", value);
    if (!st->services)
        st->services = apr_array_make(p, 4, sizeof(const char *));
    for (int i = 0; i < st->services->nelts; i++) {
        if (strcmp(APR_ARRAY_IDX(st->services, i, const char *), value) == 0)
            return NULL;
    }
    if (st->services->nelts >= MC_SERVICES_MAX)
        return "too many services";
    APR_ARRAY_PUSH(st->services, const char *) = apr_pstrdup(p, value);
    return NULL;
}

static const char *via_field(apr_pool_t *p, const char *value, field_state_t *st,
                             mc_decision_t *out)
{
    static const mc_via_t vias[] = {MC_VIA_BANNER, MC_VIA_SETTINGS, MC_VIA_PLACEHOLDER};

    if (st->have_via)
        return "via given twice";
    st->have_via = 1;
    for (size_t i = 0; i < sizeof(vias) / sizeof(vias[0]); i++) {
        if (strcmp(value, mc_via_str(vias[i])) == 0) {
            out->via = vias[i];
            return NULL;
        }
    }
    return reason_quoting(p, "unknown via", value);
}

static const char *lang_field(apr_pool_t *p, const char *value, field_state_t *st,
                              mc_decision_t *out)
{
    if (st->have_lang)
        return "lang given twice";
    st->have_lang = 1;
    if (!mc_lang_tag_valid(value))
        return "bad lang";
    out->lang = apr_pstrdup(p, value);
    return NULL;
}

/* "granted" and "services" are validated for every method but only count for custom. */
static const char *decision_finish(const field_state_t *st, mc_decision_t *out)
{
    if (!st->have_method)
        return "missing method";
    out->requested = out->method == MC_METHOD_CUSTOM ? st->named : 0;
    out->services = out->method == MC_METHOD_CUSTOM ? st->services : NULL;
    return NULL;
}

static mc_status_t refuse(const char *why, const char **reason)
{
    *reason = why;
    return MC_EINVAL;
}

/* --- form body ---------------------------------------------------------------------- */

/* VALUE is already in the caller's pool (decoded by mc_form_parse). */
static const char *return_field(const char *value, field_state_t *st, mc_decision_t *out)
{
    if (st->have_return)
        return "return given twice";
    st->have_return = 1;
    if (!mc_return_path_valid(value))
        return "return must be a path on this site";
    out->return_path = value;
    return NULL;
}

static const char *form_field(apr_pool_t *p, const mc_categories_t *cats, const mc_form_pair_t *f,
                              field_state_t *st, mc_decision_t *out)
{
    if (strcmp(f->name, "method") == 0)
        return method_field(p, f->value, st, out);
    if (strcmp(f->name, "granted") == 0)
        return granted_field(p, cats, f->value, st);
    if (strcmp(f->name, "service") == 0)
        return service_field(p, f->value, st);
    if (strcmp(f->name, "via") == 0)
        return via_field(p, f->value, st, out);
    if (strcmp(f->name, "lang") == 0)
        return lang_field(p, f->value, st, out);
    if (strcmp(f->name, "return") == 0)
        return return_field(f->value, st, out);
    /* Anything else is ignored: HTML forms carry submit-button names and the like. */
    return NULL;
}

mc_status_t mc_decision_parse_form(apr_pool_t *p, const mc_categories_t *cats, const char *body,
                                   size_t len, mc_decision_t *out, const char **reason)
{
    apr_array_header_t *pairs;
    field_state_t st = {0};
    const char *why = NULL;

    *out = (mc_decision_t){0};
    if (mc_form_parse(p, body, len, &pairs, reason) != MC_OK)
        return MC_EINVAL;
    for (int i = 0; i < pairs->nelts && !why; i++)
        why = form_field(p, cats, &APR_ARRAY_IDX(pairs, i, mc_form_pair_t), &st, out);
    if (!why)
        why = decision_finish(&st, out);
    if (why)
        return refuse(why, reason);
    *reason = NULL;
    return MC_OK;
}

/* --- JSON body ---------------------------------------------------------------------- */

static const char *json_granted(apr_pool_t *p, const mc_categories_t *cats, json_t *list,
                                field_state_t *st)
{
    const char *why = NULL;

    if (!json_is_array(list))
        return "granted must be a list of category names";
    for (size_t i = 0; i < json_array_size(list) && !why; i++) {
        json_t *item = json_array_get(list, i);

        if (!json_is_string(item))
            return "granted must be a list of category names";
        why = granted_field(p, cats, json_string_value(item), st);
    }
    return why;
}

static const char *json_services(apr_pool_t *p, json_t *list, field_state_t *st)
{
    const char *why = NULL;

    if (!json_is_array(list))
        return "services must be a list of service ids";
    for (size_t i = 0; i < json_array_size(list) && !why; i++) {
        json_t *item = json_array_get(list, i);

        if (!json_is_string(item))
            return "services must be a list of service ids";
        why = service_field(p, json_string_value(item), st);
    }
    return why;
}

/* The JSON API is strict: an unknown key is a client bug worth reporting, not a field
 * to skip. "return" is accepted and ignored, since a JSON client does not redirect. */
static const char *json_field(apr_pool_t *p, const mc_categories_t *cats, const char *key,
                              json_t *value, field_state_t *st, mc_decision_t *out)
{
    if (strcmp(key, "method") == 0) {
        if (!json_is_string(value))
            return "method must be a string";
        return method_field(p, json_string_value(value), st, out);
    }
    if (strcmp(key, "granted") == 0)
        return json_granted(p, cats, value, st);
    if (strcmp(key, "services") == 0)
        return json_services(p, value, st);
    if (strcmp(key, "via") == 0) {
        if (!json_is_string(value))
            return "via must be a string";
        return via_field(p, json_string_value(value), st, out);
    }
    if (strcmp(key, "lang") == 0) {
        if (!json_is_string(value))
            return "bad lang";
        return lang_field(p, json_string_value(value), st, out);
    }
    if (strcmp(key, "return") == 0)
        return NULL;
    return reason_quoting(p, "unknown field", key);
}

static const char *json_load_failure(const json_error_t *error)
{
#if JANSSON_VERSION_HEX >= 0x020b00
    if (json_error_code(error) == json_error_duplicate_key)
        return "duplicate field";
#endif
    return "malformed json";
}

mc_status_t mc_decision_parse_json(apr_pool_t *p, const mc_categories_t *cats, const char *body,
                                   size_t len, mc_decision_t *out, const char **reason)
{
    json_error_t error;
    json_t *root;
    field_state_t st = {0};
    const char *why = NULL;

    *out = (mc_decision_t){0};
    /* JSON_DECODE_ANY so that a bare string or number is reported as "not an object"
     * rather than as malformed. */
    root = json_loadb(body ? body : "", body ? len : 0, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
                      &error);
    if (!root)
        return refuse(json_load_failure(&error), reason);
    if (!json_is_object(root))
        why = "body must be a json object";
    for (void *it = json_object_iter(root); it && !why; it = json_object_iter_next(root, it))
        why = json_field(p, cats, json_object_iter_key(it), json_object_iter_value(it), &st, out);
    if (!why)
        why = decision_finish(&st, out);
    /* Reasons live in P (or are literals), so they outlive ROOT. */
    json_decref(root);
    if (why)
        return refuse(why, reason);
    *reason = NULL;
    return MC_OK;
}

mc_status_t mc_decision_check_services(apr_pool_t *p, const mc_decision_t *d,
                                       const mc_ruleset_t *rs, const char **reason)
{
    for (int i = 0; d->services && i < d->services->nelts; i++) {
        const char *id = APR_ARRAY_IDX(d->services, i, const char *);

        if (!mc_ruleset_service(rs, id, strlen(id))) {
            *reason = reason_quoting(p, "unknown service", id);
            return MC_EINVAL;
        }
    }
    return MC_OK;
}

/* --- return path -------------------------------------------------------------------- */

int mc_return_path_valid(const char *path)
{
    size_t len;

    if (!path || path[0] != '/' || path[1] == '/' || path[1] == '\\')
        return 0;
    len = strnlen(path, RETURN_PATH_MAX + 1);
    if (len > RETURN_PATH_MAX)
        return 0;
    /* A browser drops tabs and newlines and reads '\' as '/', so "/\t/evil" or "/\evil"
     * would leave the site; controls and spaces also have no place in a Location. */
    for (const char *c = path; *c; c++) {
        if ((unsigned char)*c < 0x21 || (unsigned char)*c == 0x7f || *c == '\\')
            return 0;
    }
    return 1;
}

/* --- applying a decision ------------------------------------------------------------ */

static mc_catmask_t asked_categories(const mc_decision_t *d, const mc_categories_t *cats)
{
    mc_catmask_t required = mc_categories_required(cats);

    switch (d->method) {
    case MC_METHOD_ACCEPT_ALL: return mc_categories_all(cats);
    case MC_METHOD_CUSTOM: return required | (d->requested & mc_categories_all(cats));
    case MC_METHOD_REJECT_ALL:
    case MC_METHOD_WITHDRAW:
    case MC_METHOD_GPC: break;
    }
    return required;
}

/* A refusal or a custom choice of nothing optional, after a consent that granted more. */
static int is_withdrawal(const mc_decision_t *d, mc_catmask_t granted,
                         const apr_array_header_t *services, mc_catmask_t required,
                         const mc_consent_t *previous)
{
    int had = 0;

    if (d->method == MC_METHOD_ACCEPT_ALL || !previous || !previous->decided)
        return 0;
    had = (previous->granted & ~required) != 0 ||
          (previous->services && previous->services->nelts > 0);
    return had && (granted & ~required) == 0 && services->nelts == 0;
}

/* The category index of service ID in RS, or -1. */
static int service_category(const mc_categories_t *cats, const mc_ruleset_t *rs, const char *id)
{
    const mc_service_t *svc = mc_ruleset_service(rs, id, strlen(id));

    return svc ? mc_categories_index(cats, svc->category) : -1;
}

/* The services asked for whose category GRANTED lacks; *GPC_DROPPED counts those
 * refused only because of GPC. */
static apr_array_header_t *granted_services(apr_pool_t *p, const mc_decision_t *d,
                                            const mc_categories_t *cats, const mc_ruleset_t *rs,
                                            int gpc, mc_catmask_t granted, int *gpc_dropped)
{
    apr_array_header_t *out = apr_array_make(p, 2, sizeof(const char *));

    *gpc_dropped = 0;
    for (int i = 0; d->method == MC_METHOD_CUSTOM && d->services && i < d->services->nelts; i++) {
        const char *id = APR_ARRAY_IDX(d->services, i, const char *);
        int cat = service_category(cats, rs, id);

        if (cat < 0 || mc_catmask_has(granted, cat))
            continue; /* unknown, or covered by its category */
        if (gpc && cat == MC_CAT_MARKETING) {
            (*gpc_dropped)++;
            continue;
        }
        APR_ARRAY_PUSH(out, const char *) = id;
    }
    return out;
}

/* A placeholder's button only ever adds: what the visitor granted before
 * stays, even if the frame's copy of the page was made before a later choice. */
static const mc_decision_t *placeholder_adds(apr_pool_t *p, const mc_decision_t *d,
                                             const mc_consent_t *previous)
{
    mc_decision_t *merged;

    if (d->method != MC_METHOD_CUSTOM || d->via != MC_VIA_PLACEHOLDER || !previous ||
        !previous->decided)
        return d;
    merged = apr_pmemdup(p, d, sizeof(*d));
    merged->requested |= previous->granted;
    merged->services = apr_array_make(p, 4, sizeof(const char *));
    if (previous->services)
        apr_array_cat(merged->services, previous->services);
    for (int i = 0; d->services && i < d->services->nelts; i++) {
        const char *id = APR_ARRAY_IDX(d->services, i, const char *);
        mc_consent_t had = *previous;

        had.services = merged->services;
        if (!mc_consent_has_service(&had, id) && merged->services->nelts < MC_SERVICES_MAX)
            APR_ARRAY_PUSH(merged->services, const char *) = id;
    }
    return merged;
}

int mc_decision_narrows(const mc_categories_t *cats, const mc_ruleset_t *rs, mc_catmask_t before,
                        const apr_array_header_t *before_services, mc_catmask_t after,
                        const apr_array_header_t *after_services)
{
    if (before & ~after)
        return 1;
    for (int i = 0; before_services && i < before_services->nelts; i++) {
        const char *id = APR_ARRAY_IDX(before_services, i, const char *);
        int cat = service_category(cats, rs, id);
        int kept = cat >= 0 && mc_catmask_has(after, cat);

        for (int j = 0; !kept && after_services && j < after_services->nelts; j++)
            kept = strcmp(id, APR_ARRAY_IDX(after_services, j, const char *)) == 0;
        if (!kept)
            return 1;
    }
    return 0;
}

void mc_decision_apply(apr_pool_t *p, const mc_decision_t *asked_for,
                       const mc_categories_t *cats, const mc_ruleset_t *rs,
                       const mc_consent_t *previous, int gpc, mc_catmask_t *granted,
                       const apr_array_header_t **services, mc_method_t *recorded)
{
    const mc_decision_t *d = placeholder_adds(p, asked_for, previous);
    mc_catmask_t required = mc_categories_required(cats);
    mc_catmask_t asked = asked_categories(d, cats);
    apr_array_header_t *svcs;
    int gpc_dropped;

    *granted = asked;
    /* An admin may have made marketing required; required stays granted regardless. */
    if (gpc)
        *granted = (asked & ~((mc_catmask_t)1 << MC_CAT_MARKETING)) | required;
    svcs = granted_services(p, d, cats, rs, gpc, *granted, &gpc_dropped);
    *services = svcs;
    if (*granted != asked || gpc_dropped)
        *recorded = MC_METHOD_GPC;
    else if (is_withdrawal(d, *granted, svcs, required, previous))
        *recorded = MC_METHOD_WITHDRAW;
    else
        *recorded = d->method;
}

/* --- state JSON --------------------------------------------------------------------- */

/* RFC 3339 UTC to the second ("2026-11-24T06:13:23Z"): what the contract's state shows. */
static char *time_rfc3339_seconds(apr_pool_t *p, int64_t unix_seconds)
{
    apr_time_exp_t tm;

    if (apr_time_exp_gmt(&tm, apr_time_from_sec(unix_seconds)) != APR_SUCCESS)
        return NULL;
    return apr_psprintf(p, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                        tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Names of the categories in MASK, in category order. */
static json_t *category_list(const mc_categories_t *cats, mc_catmask_t mask)
{
    json_t *list = json_array();

    for (int i = 0; list && i < mc_categories_count(cats); i++) {
        if (mc_catmask_has(mask, i) &&
            json_array_append_new(list, json_string(mc_categories_name(cats, i))) != 0) {
            json_decref(list);
            return NULL;
        }
    }
    return list;
}

/* C's services, in order. */
static json_t *service_list(const mc_consent_t *c)
{
    json_t *list = json_array();

    for (int i = 0; list && c->services && i < c->services->nelts; i++) {
        if (json_array_append_new(list, json_string(APR_ARRAY_IDX(c->services, i, const char *))) !=
            0) {
            json_decref(list);
            return NULL;
        }
    }
    return list;
}

/* Sets KEY; nonzero when VALUE is NULL (out of memory, or a string that is not UTF-8). */
static int put(json_t *object, const char *key, json_t *value)
{
    return json_object_set_new(object, key, value) != 0;
}

static json_t *state_object(apr_pool_t *p, const mc_categories_t *cats, const mc_consent_t *c,
                            const char *policy, int gpc)
{
    mc_catmask_t granted = c->granted | mc_categories_required(cats);
    mc_catmask_t refused = mc_categories_all(cats) & ~granted;
    const char *time = c->decided ? time_rfc3339_seconds(p, c->time) : NULL;
    const char *id = c->decided && c->id[0] ? c->id : NULL;
    json_t *state = json_object();

    /* A decided consent is for the current policy (older ones decode as undecided), but
     * its own version is what it was given for. */
    if (c->decided && c->policy)
        policy = c->policy;
    if (!state || put(state, "decided", json_boolean(c->decided)) ||
        put(state, "id", id ? json_string(id) : json_null()) ||
        put(state, "policy", json_string(policy ? policy : "")) ||
        put(state, "time", time ? json_string(time) : json_null()) ||
        put(state, "granted", category_list(cats, granted)) ||
        put(state, "refused", category_list(cats, refused)) ||
        put(state, "services", service_list(c)) || put(state, "gpc", json_boolean(gpc))) {
        json_decref(state);
        return NULL;
    }
    return state;
}

char *mc_state_json(apr_pool_t *p, const mc_categories_t *cats, const mc_consent_t *c,
                    const char *policy, int gpc)
{
    json_t *state = state_object(p, cats, c, policy, gpc);
    char *text;
    char *out;

    if (!state)
        return NULL;
    text = json_dumps(state, JSON_COMPACT);
    json_decref(state);
    if (!text)
        return NULL;
    out = apr_pstrdup(p, text);
    free(text);
    return out;
}
