/* The cookie declaration; what it lists, and its JSON, are described in
 * declaration.h. */
#include "declaration.h"

#include "csp.h"

#include <apr_hash.h>
#include <apr_strings.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* --- the catalogue's services ------------------------------------------------------ */

static const char *service_key(apr_pool_t *p, const char *category, const char *name)
{
    /* category names hold no '/' */
    return apr_pstrcat(p, category, "/", name, NULL);
}

static const mc_service_t *service_at(const apr_array_header_t *services, int i)
{
    return &((const mc_service_t *)services->elts)[i];
}

static const mc_rule_t *rule_at(const apr_array_header_t *rules, int i)
{
    return &((const mc_rule_t *)rules->elts)[i];
}

/* Each service by category and name: its last definition. */
static apr_hash_t *services_by_key(apr_pool_t *p, const mc_ruleset_t *rs)
{
    apr_hash_t *by_key = apr_hash_make(p);

    for (int i = 0; i < rs->services->nelts; i++) {
        const mc_service_t *svc = service_at(rs->services, i);
        apr_hash_set(by_key, service_key(p, svc->category, svc->name), APR_HASH_KEY_STRING, svc);
    }
    return by_key;
}

/* The keys of the services that some cookie or URL rule names: those a
 * visitor meets. A service with inline signatures only is a variant of one
 * of them. */
static apr_hash_t *services_with_rules(apr_pool_t *p, const mc_ruleset_t *rs)
{
    static const mc_rule_kind_t kinds[] = {MC_RULE_COOKIE, MC_RULE_URL};
    apr_hash_t *used = apr_hash_make(p);

    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        const apr_array_header_t *rules = rs->rules[kinds[k]];
        for (int i = 0; i < rules->nelts; i++) {
            const mc_rule_t *r = rule_at(rules, i);
            if (r->service)
                apr_hash_set(used, service_key(p, r->category, r->service), APR_HASH_KEY_STRING, r);
        }
    }
    return used;
}

/* --- building ------------------------------------------------------------------------ */

static mc_declared_category_t *category_at(apr_array_header_t *decl, int index)
{
    return &APR_ARRAY_IDX(decl, index, mc_declared_category_t);
}

static void add_cookie(mc_declared_category_t *cat, const char *name, const char *service,
                       const char *vendor, int pattern)
{
    mc_declared_cookie_t *c = apr_array_push(cat->cookies);

    c->name = name;
    c->service = service;
    c->vendor = vendor;
    c->pattern = pattern;
}

/* The cookie rules in the order they count: the catalogue's, then the scope's. */
static apr_array_header_t *cookie_rules(apr_pool_t *p, const mc_ruleset_t *catalogue,
                                        const apr_array_header_t *scope_rules)
{
    const apr_array_header_t *listed = catalogue->rules[MC_RULE_COOKIE];
    apr_array_header_t *rules = apr_array_make(p, listed->nelts + 8, sizeof(const mc_rule_t *));

    for (int i = 0; i < listed->nelts; i++)
        APR_ARRAY_PUSH(rules, const mc_rule_t *) = rule_at(listed, i);
    for (int i = 0; scope_rules && i < scope_rules->nelts; i++) {
        const mc_rule_t *r = rule_at(scope_rules, i);
        if (mc_pattern_kind(r->pattern) == MC_RULE_COOKIE)
            APR_ARRAY_PUSH(rules, const mc_rule_t *) = r;
    }
    return rules;
}

static void add_rule_cookies(apr_pool_t *p, apr_array_header_t *decl, const mc_categories_t *cats,
                             const apr_array_header_t *rules, apr_hash_t *services,
                             const char *consent_cookie)
{
    /* pattern text -> the rule that wins for it */
    apr_hash_t *last = apr_hash_make(p);

    for (int i = 0; i < rules->nelts; i++) {
        const mc_rule_t *r = APR_ARRAY_IDX(rules, i, const mc_rule_t *);
        apr_hash_set(last, r->text, APR_HASH_KEY_STRING, r);
    }
    for (int i = 0; i < rules->nelts; i++) {
        const mc_rule_t *r = APR_ARRAY_IDX(rules, i, const mc_rule_t *);
        int index = mc_categories_index(cats, r->category);
        int regex = r->text[0] == '~';
        const mc_service_t *svc = NULL;

        if (index < 0 || apr_hash_get(last, r->text, APR_HASH_KEY_STRING) != r ||
            strcmp(r->text, consent_cookie) == 0)
            continue;
        if (r->service)
            svc = apr_hash_get(services, service_key(p, r->category, r->service),
                               APR_HASH_KEY_STRING);
        add_cookie(category_at(decl, index), regex ? r->text + 1 : r->text, r->service,
                   svc ? svc->vendor : NULL, regex || strpbrk(r->text, "*?") != NULL);
        APR_ARRAY_IDX(category_at(decl, index)->cookies,
                      category_at(decl, index)->cookies->nelts - 1, mc_declared_cookie_t)
            .regex = regex;
    }
}

static void add_services(apr_pool_t *p, apr_array_header_t *decl, const mc_categories_t *cats,
                         const mc_ruleset_t *catalogue, apr_hash_t *services)
{
    apr_hash_t *used = services_with_rules(p, catalogue);

    for (int i = 0; i < catalogue->services->nelts; i++) {
        const mc_service_t *svc = service_at(catalogue->services, i);
        const char *key = service_key(p, svc->category, svc->name);
        int index = mc_categories_index(cats, svc->category);

        if (index < 0 || apr_hash_get(services, key, APR_HASH_KEY_STRING) != svc ||
            !apr_hash_get(used, key, APR_HASH_KEY_STRING))
            continue;
        APR_ARRAY_PUSH(category_at(decl, index)->services, const mc_service_t *) = svc;
    }
}

apr_array_header_t *mc_declaration_make(apr_pool_t *p, const mc_categories_t *cats,
                                        const mc_ruleset_t *catalogue,
                                        const apr_array_header_t *scope_rules,
                                        const char *consent_cookie)
{
    int n = mc_categories_count(cats);
    mc_catmask_t required = mc_categories_required(cats);
    apr_array_header_t *decl = apr_array_make(p, n, sizeof(mc_declared_category_t));
    apr_hash_t *services = services_by_key(p, catalogue);

    for (int i = 0; i < n; i++) {
        mc_declared_category_t *cat = apr_array_push(decl);
        cat->name = mc_categories_name(cats, i);
        cat->required = mc_catmask_has(required, i);
        cat->cookies = apr_array_make(p, 8, sizeof(mc_declared_cookie_t));
        cat->services = apr_array_make(p, 4, sizeof(const mc_service_t *));
    }
    add_cookie(category_at(decl, MC_CAT_NECESSARY), consent_cookie, MC_DECLARATION_OWN_SERVICE,
               NULL, 0);
    add_rule_cookies(p, decl, cats, cookie_rules(p, catalogue, scope_rules), services,
                     consent_cookie);
    add_services(p, decl, cats, catalogue, services);
    return decl;
}

/* --- the cookies seen ----------------------------------------------------------------- */

/* The rule that classifies NAME: the scope's, then the catalogue's (as
 * mc_cookie_granted decides). */
static const mc_rule_t *seen_rule(const mc_ruleset_t *catalogue,
                                  const apr_array_header_t *scope_rules, const char *name)
{
    const mc_rule_t *rule = NULL;

    if (scope_rules)
        rule = mc_rules_match(scope_rules, MC_RULE_COOKIE, name, strlen(name));
    return rule ? rule : mc_ruleset_match_cookie(catalogue, name);
}

static int seen_order(const void *a, const void *b)
{
    const mc_declared_seen_t *x = a, *y = b;
    /* unclassified (-1) after every category */
    unsigned cx = (unsigned)x->category, cy = (unsigned)y->category;
    int c;

    if (cx != cy)
        return cx < cy ? -1 : 1;
    if ((c = strcmp(x->name, y->name)) != 0)
        return c;
    return strcmp(x->domain, y->domain);
}

apr_array_header_t *mc_declaration_seen(apr_pool_t *p, const mc_categories_t *cats,
                                        const mc_ruleset_t *catalogue,
                                        const apr_array_header_t *scope_rules,
                                        const char *consent_cookie,
                                        const apr_array_header_t *seen)
{
    apr_array_header_t *out =
        apr_array_make(p, seen && seen->nelts ? seen->nelts : 1, sizeof(mc_declared_seen_t));
    apr_hash_t *services = services_by_key(p, catalogue);

    for (int i = 0; seen && i < seen->nelts; i++) {
        const mc_seen_cookie_t *c = &APR_ARRAY_IDX(seen, i, mc_seen_cookie_t);
        mc_declared_seen_t *d = apr_array_push(out);
        const mc_rule_t *rule = NULL;

        d->name = c->name;
        d->domain = c->domain;
        d->lifetime = c->lifetime;
        d->first_seen = c->first_seen;
        d->last_seen = c->last_seen;
        d->category = -1;
        d->treatment = mc_unclassified_treatment(MC_UNCLASSIFIED_HOLD,
                                                 mc_declaration_life(c->lifetime));
        if (consent_cookie && strcmp(c->name, consent_cookie) == 0) {
            d->category = MC_CAT_NECESSARY;
            d->service = MC_DECLARATION_OWN_SERVICE;
            continue;
        }
        rule = seen_rule(catalogue, scope_rules, c->name);
        if (!rule)
            continue;
        d->rule = rule->text;
        d->category = mc_categories_index(cats, rule->category);
        if (d->category >= 0 && rule->service) {
            const mc_service_t *svc = apr_hash_get(
                services, service_key(p, rule->category, rule->service), APR_HASH_KEY_STRING);
            d->service = rule->service;
            d->vendor = svc ? svc->vendor : NULL;
        }
    }
    if (out->nelts > 1)
        qsort(out->elts, (size_t)out->nelts, sizeof(mc_declared_seen_t), seen_order);
    return out;
}

/* The entry of CAT naming NAME, or NULL. */
static mc_declared_cookie_t *named_cookie(const mc_declared_category_t *cat, const char *name)
{
    for (int i = 0; i < cat->cookies->nelts; i++) {
        mc_declared_cookie_t *c = &APR_ARRAY_IDX(cat->cookies, i, mc_declared_cookie_t);
        if (strcmp(c->name, name) == 0)
            return c;
    }
    return NULL;
}

mc_cookie_life_t mc_declaration_life(int64_t lifetime)
{
    if (lifetime == MC_SEEN_SESSION)
        return MC_COOKIE_SESSION;
    return lifetime > 0 ? MC_COOKIE_PERSISTENT : MC_COOKIE_DELETION;
}

void mc_declaration_treat(apr_array_header_t *seen, mc_unclassified_t mode)
{
    for (int i = 0; seen && i < seen->nelts; i++) {
        mc_declared_seen_t *s = &APR_ARRAY_IDX(seen, i, mc_declared_seen_t);
        if (s->category < 0)
            s->treatment = mc_unclassified_treatment(mode, mc_declaration_life(s->lifetime));
    }
}

void mc_declaration_add_seen(apr_pool_t *p, apr_array_header_t *decl,
                             const apr_array_header_t *seen)
{
    for (int i = 0; seen && i < seen->nelts; i++) {
        const mc_declared_seen_t *s = &APR_ARRAY_IDX(seen, i, mc_declared_seen_t);
        int index = s->category >= 0 ? s->category : MC_CAT_NECESSARY;
        int mark = 0;
        mc_declared_category_t *cat;
        mc_declared_cookie_t *known;

        if (s->category < 0) {
            if (s->treatment == MC_TREATMENT_BLOCKED)
                continue;
            mark = s->treatment == MC_TREATMENT_HELD ? MC_DECLARED_HELD : MC_DECLARED_LET_THROUGH;
        }
        if (index >= decl->nelts)
            continue;
        cat = category_at(decl, index);
        if ((known = named_cookie(cat, s->name)) != NULL) {
            if (known->unclassified && mark > known->unclassified)
                known->unclassified = mark;
            continue;
        }
        add_cookie(cat, apr_pstrdup(p, s->name), s->service, s->vendor, 0);
        APR_ARRAY_IDX(cat->cookies, cat->cookies->nelts - 1, mc_declared_cookie_t).unclassified =
            mark;
    }
}

/* --- JSON --------------------------------------------------------------------------------- */

/* Sets KEY; nonzero when VALUE is NULL (out of memory, or a string that is
 * not UTF-8). */
static int put(json_t *object, const char *key, json_t *value)
{
    return json_object_set_new(object, key, value) != 0;
}

static json_t *string_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* Appends VALUE to LIST. An entry that cannot be made (a rule written in
 * another encoding than UTF-8) is left out rather than failing the whole
 * declaration. */
static void append_entry(json_t *list, json_t *value)
{
    if (value)
        json_array_append_new(list, value);
}

static json_t *cookie_json(const mc_declared_cookie_t *c)
{
    json_t *o = json_object();

    if (!o || put(o, "name", json_string(c->name)) ||
        put(o, "service", string_or_null(c->service)) ||
        put(o, "vendor", string_or_null(c->vendor)) ||
        put(o, "pattern", json_boolean(c->pattern))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* The catalogue's description in LANG, else in its primary subtag ("en"
 * for "en-gb"), else NULL. */
static const char *service_description(apr_pool_t *p, const mc_service_t *svc, const char *lang)
{
    const char *text, *dash;

    if (!svc->description || !lang)
        return NULL;
    if ((text = apr_table_get(svc->description, lang)) != NULL)
        return text;
    dash = strchr(lang, '-');
    return dash ? apr_table_get(svc->description, apr_pstrndup(p, lang, (size_t)(dash - lang)))
                : NULL;
}

static json_t *service_json(apr_pool_t *p, const mc_service_t *svc, const char *lang)
{
    json_t *o = json_object();

    if (!o || put(o, "name", json_string(svc->name)) ||
        put(o, "vendor", string_or_null(svc->vendor)) ||
        put(o, "privacy", string_or_null(svc->privacy_url)) ||
        put(o, "description", string_or_null(service_description(p, svc, lang)))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *category_json(apr_pool_t *p, const mc_declared_category_t *cat,
                             const mc_locale_t *loc)
{
    const char *lang = mc_locale_lang(loc);
    const char *title = mc_locale_text(loc, apr_pstrcat(p, "category.", cat->name, ".title", NULL));
    const char *description =
        mc_locale_text(loc, apr_pstrcat(p, "category.", cat->name, ".description", NULL));
    json_t *o = json_object();
    json_t *cookies, *services;

    /* a category of the admin's without a title shows its name, as in the
     * banner; the lists belong to O from the start, so nothing leaks */
    if (!o || put(o, "name", json_string(cat->name)) ||
        put(o, "title", json_string(title ? title : cat->name)) ||
        put(o, "description", string_or_null(description)) ||
        put(o, "required", json_boolean(cat->required)) || put(o, "cookies", json_array()) ||
        put(o, "services", json_array())) {
        json_decref(o);
        return NULL;
    }
    cookies = json_object_get(o, "cookies");
    services = json_object_get(o, "services");
    for (int i = 0; i < cat->cookies->nelts; i++) {
        const mc_declared_cookie_t *c = &APR_ARRAY_IDX(cat->cookies, i, mc_declared_cookie_t);
        /* no rule says what it is for: never presented as of a category */
        if (!c->unclassified)
            append_entry(cookies, cookie_json(c));
    }
    for (int i = 0; i < cat->services->nelts; i++)
        append_entry(services,
                     service_json(p, APR_ARRAY_IDX(cat->services, i, const mc_service_t *), lang));
    return o;
}

/* Unix seconds as RFC 3339 UTC: "2026-11-24T09:12:00Z". */
static json_t *utc_json(int64_t t)
{
    time_t when = (time_t)t;
    struct tm tm;
    char buf[32];

    if (!gmtime_r(&when, &tm) || strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        return json_null();
    return json_string(buf);
}

static json_t *seen_json(const mc_declared_seen_t *s, const mc_categories_t *cats)
{
    const char *category = s->category >= 0 ? mc_categories_name(cats, s->category) : NULL;
    json_t *o = json_object();

    if (!o || put(o, "name", json_string(s->name)) ||
        put(o, "category", json_string(category ? category : "unclassified")) ||
        put(o, "domain", json_string(s->domain)) ||
        put(o, "lifetime",
            s->lifetime == MC_SEEN_SESSION ? json_null() : json_integer((json_int_t)s->lifetime)) ||
        put(o, "first_seen", utc_json(s->first_seen)) ||
        put(o, "last_seen", utc_json(s->last_seen)) ||
        put(o, "service", string_or_null(s->service)) ||
        put(o, "vendor", string_or_null(s->vendor))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* What the admin reads of an unclassified cookie: its fate, and the fix. */
static const char *unclassified_advice(apr_pool_t *p, const mc_declared_seen_t *s)
{
    const char *fate;

    switch (s->treatment) {
    case MC_TREATMENT_HELD:
        fate = "persistent, so it is held: a visitor gets it only after accepting every "
               "category (ConsentUnclassified hold)";
        break;
    case MC_TREATMENT_BLOCKED:
        fate = "it is removed from every response (ConsentUnclassified block)";
        break;
    default:
        fate = s->lifetime == MC_SEEN_SESSION
                   ? "a session cookie, so it is set without consent (ConsentUnclassified hold "
                     "lets session cookies through)"
                   : "it is set without consent (ConsentUnclassified allow)";
    }
    return apr_psprintf(p,
                        "No rule says what %s is for; %s. Classify it with ConsentCookieRule "
                        "CATEGORY %s, e.g. \"ConsentCookieRule statistics %s\", or "
                        "\"ConsentCookieRule necessary %s\" only if the site cannot work "
                        "without it.",
                        s->name, fate, s->name, s->name, s->name);
}

static json_t *unclassified_json(apr_pool_t *p, const mc_declared_seen_t *s)
{
    json_t *o = json_object();

    if (!o || put(o, "name", json_string(s->name)) ||
        put(o, "domain", json_string(s->domain)) ||
        put(o, "lifetime",
            s->lifetime == MC_SEEN_SESSION ? json_null() : json_integer((json_int_t)s->lifetime)) ||
        put(o, "persistent", json_boolean(s->lifetime != MC_SEEN_SESSION)) ||
        put(o, "treatment", json_string(mc_treatment_str(s->treatment))) ||
        put(o, "advice", json_string(unclassified_advice(p, s)))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

apr_array_header_t *mc_declaration_copy(apr_pool_t *p, const apr_array_header_t *decl)
{
    apr_array_header_t *copy = apr_array_copy(p, decl);

    for (int i = 0; i < copy->nelts; i++) {
        mc_declared_category_t *cat = &APR_ARRAY_IDX(copy, i, mc_declared_category_t);
        cat->cookies = apr_array_copy(p, cat->cookies);
        cat->services = apr_array_copy(p, cat->services);
    }
    return copy;
}

char *mc_declaration_json(apr_pool_t *p, const apr_array_header_t *decl, const mc_locale_t *loc,
                          const char *policy)
{
    return mc_declaration_json_seen(p, decl, NULL, NULL, loc, policy);
}

static json_t *blocked_json(apr_pool_t *p, const mc_blocked_host_t *b)
{
    json_t *o = json_object();

    if (!o || put(o, "host", json_string(b->host)) ||
        put(o, "directive", json_string(mc_csp_directive_names(p, b->directives))) ||
        put(o, "count", json_integer((json_int_t)b->count)) ||
        put(o, "first_seen", utc_json(b->first_seen)) ||
        put(o, "last_seen", utc_json(b->last_seen))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

char *mc_declaration_json_seen(apr_pool_t *p, const apr_array_header_t *decl,
                               const apr_array_header_t *seen, const mc_categories_t *cats,
                               const mc_locale_t *loc, const char *policy)
{
    return mc_declaration_json_full(p, decl, seen, NULL, cats, loc, policy);
}

char *mc_declaration_json_full(apr_pool_t *p, const apr_array_header_t *decl,
                               const apr_array_header_t *seen, const apr_array_header_t *blocked,
                               const mc_categories_t *cats, const mc_locale_t *loc,
                               const char *policy)
{
    json_t *root = json_object();
    json_t *categories;
    char *text, *out = NULL;

    if (!root || put(root, "policy", json_string(policy ? policy : "")) ||
        put(root, "lang", json_string(mc_locale_lang(loc))) ||
        put(root, "categories", json_array()) || put(root, "seen", json_array()) ||
        put(root, "blocked", json_array()) || put(root, "unclassified", json_array())) {
        json_decref(root);
        return NULL;
    }
    for (int i = 0; seen && i < seen->nelts; i++) {
        const mc_declared_seen_t *s = &APR_ARRAY_IDX(seen, i, mc_declared_seen_t);
        if (s->category < 0)
            append_entry(json_object_get(root, "unclassified"), unclassified_json(p, s));
    }
    categories = json_object_get(root, "categories");
    for (int i = 0; seen && cats && i < seen->nelts; i++)
        append_entry(json_object_get(root, "seen"),
                     seen_json(&APR_ARRAY_IDX(seen, i, mc_declared_seen_t), cats));
    for (int i = 0; blocked && i < blocked->nelts; i++)
        append_entry(json_object_get(root, "blocked"),
                     blocked_json(p, &APR_ARRAY_IDX(blocked, i, mc_blocked_host_t)));
    for (int i = 0; i < decl->nelts; i++) {
        json_t *cat = category_json(p, &APR_ARRAY_IDX(decl, i, mc_declared_category_t), loc);
        if (!cat || json_array_append_new(categories, cat) != 0) {
            json_decref(root);
            return NULL;
        }
    }
    text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    if (text) {
        out = apr_pstrdup(p, text);
        free(text);
    }
    return out;
}
