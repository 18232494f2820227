/* The services a site uses, and the words they are shown with; see used.h. */
#include "used.h"

#include <apr_hash.h>
#include <jansson.h>
#include <apr_strings.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* --- words ------------------------------------------------------------------------------ */

const char *mc_words_lang(const char *lang)
{
    if (lang && strncasecmp(lang, "nn", 2) == 0)
        return "nn";
    if (lang && (strncasecmp(lang, "nb", 2) == 0 || strncasecmp(lang, "no", 2) == 0))
        return "nb";
    return "en";
}

typedef struct unit {
    int64_t seconds;
    const char *one[3]; /* nb, nn, en */
    const char *many[3];
} unit_t;

static const unit_t units[] = {
    {(int64_t)365 * 86400, {"år", "år", "year"}, {"år", "år", "years"}},
    {(int64_t)30 * 86400, {"måned", "månad", "month"}, {"måneder", "månader", "months"}},
    {86400, {"dag", "dag", "day"}, {"dager", "dagar", "days"}},
    {3600, {"time", "time", "hour"}, {"timer", "timar", "hours"}},
    {60, {"minutt", "minutt", "minute"}, {"minutter", "minutt", "minutes"}},
    {1, {"sekund", "sekund", "second"}, {"sekunder", "sekund", "seconds"}},
};

static int words_index(const char *lang)
{
    const char *w = mc_words_lang(lang);

    return strcmp(w, "nb") == 0 ? 0 : strcmp(w, "nn") == 0 ? 1 : 2;
}

const char *mc_period_text(apr_pool_t *p, int64_t seconds, const char *lang)
{
    static const char *const session[] = {"til nettleseren lukkes", "til nettlesaren blir lukka",
                                          "until the browser closes"};
    int w = words_index(lang);

    if (seconds == MC_LIFETIME_SESSION)
        return session[w];
    if (seconds < 0)
        return NULL;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        const unit_t *u = &units[i];
        int64_t n = seconds / u->seconds;
        /* months read better than days from half a year on */
        if (seconds % u->seconds != 0 || n == 0 || (u->seconds == (int64_t)30 * 86400 && n < 6))
            continue;
        return apr_psprintf(p, "%" APR_INT64_T_FMT " %s", (apr_int64_t)n,
                            n == 1 ? u->one[w] : u->many[w]);
    }
    return apr_psprintf(p, "0 %s", units[5].many[w]);
}

/* --- which services ------------------------------------------------------------------------ */

static const char *name_key(apr_pool_t *p, const char *category, const char *name)
{
    return apr_pstrcat(p, category, "/", name, NULL);
}

typedef struct finder {
    apr_hash_t *by_id;   /* id -> const mc_service_t *, the last definition */
    apr_hash_t *by_name; /* category/name -> const mc_service_t * */
} finder_t;

static void finder_make(apr_pool_t *p, finder_t *f, const mc_ruleset_t *catalogue)
{
    f->by_id = apr_hash_make(p);
    f->by_name = apr_hash_make(p);
    for (int i = 0; i < catalogue->services->nelts; i++) {
        const mc_service_t *s = &APR_ARRAY_IDX(catalogue->services, i, mc_service_t);
        apr_hash_set(f->by_id, mc_service_id(p, s), APR_HASH_KEY_STRING, s);
        apr_hash_set(f->by_name, name_key(p, s->category, s->name), APR_HASH_KEY_STRING, s);
    }
}

static mc_used_service_t *used_entry(apr_pool_t *p, apr_hash_t *used, const mc_categories_t *cats,
                                     const mc_service_t *s)
{
    /* one entry per definition: keyed by its category and name */
    const char *key = name_key(p, s->category, s->name);
    mc_used_service_t *u = apr_hash_get(used, key, APR_HASH_KEY_STRING);
    int category = mc_categories_index(cats, s->category);

    if (u || category < 0)
        return u;
    u = apr_pcalloc(p, sizeof(*u));
    u->service = s;
    u->id = mc_service_id(p, s);
    u->category = category;
    u->cookies = apr_array_make(p, 4, sizeof(mc_used_cookie_t));
    apr_hash_set(used, key, APR_HASH_KEY_STRING, u);
    return u;
}

static void seen_between(mc_used_service_t *u, int64_t first, int64_t last)
{
    if (!u->first_seen || (first && first < u->first_seen))
        u->first_seen = first;
    if (last > u->last_seen)
        u->last_seen = last;
}

static int used_order(const void *a, const void *b)
{
    const mc_used_service_t *x = *(const mc_used_service_t *const *)a;
    const mc_used_service_t *y = *(const mc_used_service_t *const *)b;

    if (x->category != y->category)
        return x->category < y->category ? -1 : 1;
    return strcmp(x->service->name, y->service->name);
}

static int glob_like(const char *name)
{
    return strpbrk(name, "*?") != NULL;
}

/* The catalogue's cookies of U, then the seen ones it does not name. */
static void add_cookies(apr_pool_t *p, mc_used_service_t *u, const apr_array_header_t *seen,
                        const char *lang)
{
    const mc_service_t *s = u->service;

    for (int i = 0; s->cookies && i < s->cookies->nelts; i++) {
        const mc_service_cookie_t *c = &APR_ARRAY_IDX(s->cookies, i, mc_service_cookie_t);
        mc_used_cookie_t *o;

        if (c->name[0] == '~')
            continue; /* shown through the names seen, below */
        o = apr_array_push(u->cookies);
        o->name = c->name;
        o->pattern = glob_like(c->name);
        o->lifetime = c->lifetime;
        o->purpose = mc_lang_text(p, c->purpose, lang);
        for (int j = 0; seen && j < seen->nelts; j++) {
            const mc_declared_seen_t *d = &APR_ARRAY_IDX(seen, j, mc_declared_seen_t);
            if (!d->service || strcmp(d->service, s->name) != 0 || !d->rule ||
                strcmp(d->rule, c->name) != 0)
                continue;
            o->seen = 1;
            if (o->pattern && !o->seen_name)
                o->seen_name = d->name;
            if (o->lifetime == MC_LIFETIME_UNKNOWN)
                o->lifetime = d->lifetime == MC_SEEN_SESSION ? MC_LIFETIME_SESSION : d->lifetime;
        }
    }
    /* seen cookies a regex (or a rule of another file) classified */
    for (int j = 0; seen && j < seen->nelts; j++) {
        const mc_declared_seen_t *d = &APR_ARRAY_IDX(seen, j, mc_declared_seen_t);
        int listed = 0;
        mc_used_cookie_t *o;

        if (!d->service || strcmp(d->service, s->name) != 0)
            continue;
        for (int i = 0; i < u->cookies->nelts && !listed; i++) {
            const mc_used_cookie_t *c = &APR_ARRAY_IDX(u->cookies, i, mc_used_cookie_t);
            listed = strcmp(c->name, d->name) == 0 || (d->rule && strcmp(c->name, d->rule) == 0);
        }
        if (listed)
            continue;
        o = apr_array_push(u->cookies);
        o->name = d->name;
        o->lifetime = d->lifetime == MC_SEEN_SESSION ? MC_LIFETIME_SESSION : d->lifetime;
        o->seen = 1;
    }
}

apr_array_header_t *mc_used_services(apr_pool_t *p, const mc_categories_t *cats,
                                     const mc_ruleset_t *catalogue, const apr_array_header_t *inuse,
                                     const apr_array_header_t *seen, const char *lang)
{
    apr_hash_t *used = apr_hash_make(p);
    apr_array_header_t *out;
    finder_t f;

    finder_make(p, &f, catalogue);
    for (int i = 0; inuse && i < inuse->nelts; i++) {
        const mc_inuse_t *e = &APR_ARRAY_IDX(inuse, i, mc_inuse_t);
        const mc_service_t *s = apr_hash_get(f.by_id, e->service, APR_HASH_KEY_STRING);
        mc_used_service_t *u = s ? used_entry(p, used, cats, s) : NULL;
        if (!u)
            continue;
        u->how |= e->how;
        seen_between(u, e->first_seen, e->last_seen);
    }
    for (int i = 0; seen && i < seen->nelts; i++) {
        const mc_declared_seen_t *d = &APR_ARRAY_IDX(seen, i, mc_declared_seen_t);
        const mc_service_t *s;
        mc_used_service_t *u;
        if (!d->service || d->category < 0)
            continue;
        s = apr_hash_get(f.by_name, name_key(p, mc_categories_name(cats, d->category), d->service),
                         APR_HASH_KEY_STRING);
        if (!s || !(u = used_entry(p, used, cats, s)))
            continue;
        u->how |= MC_INUSE_COOKIE;
        seen_between(u, d->first_seen, d->last_seen);
    }
    out = apr_array_make(p, (int)apr_hash_count(used) + 1, sizeof(mc_used_service_t *));
    for (apr_hash_index_t *hi = apr_hash_first(p, used); hi; hi = apr_hash_next(hi)) {
        mc_used_service_t *u = apr_hash_this_val(hi);
        add_cookies(p, u, seen, lang);
        APR_ARRAY_PUSH(out, mc_used_service_t *) = u;
    }
    if (out->nelts > 1)
        qsort(out->elts, (size_t)out->nelts, sizeof(mc_used_service_t *), used_order);
    return out;
}

/* --- the declaration, narrowed -----------------------------------------------------------------
 */

static const mc_used_service_t *find_used(const apr_array_header_t *used, const char *name,
                                          const char *category)
{
    for (int i = 0; used && i < used->nelts; i++) {
        const mc_used_service_t *u = APR_ARRAY_IDX(used, i, const mc_used_service_t *);
        if (strcmp(u->service->name, name) == 0 && strcmp(u->service->category, category) == 0)
            return u;
    }
    return NULL;
}

static int names_cookie(const apr_array_header_t *cookies, const char *name)
{
    for (int i = 0; i < cookies->nelts; i++) {
        if (strcmp(APR_ARRAY_IDX(cookies, i, mc_declared_cookie_t).name, name) == 0)
            return 1;
    }
    return 0;
}

void mc_declaration_only_used(apr_pool_t *p, apr_array_header_t *decl,
                              const apr_array_header_t *used, const apr_array_header_t *seen)
{
    for (int i = 0; i < decl->nelts; i++) {
        mc_declared_category_t *cat = &APR_ARRAY_IDX(decl, i, mc_declared_category_t);
        apr_array_header_t *cookies = apr_array_make(p, 8, sizeof(mc_declared_cookie_t));
        apr_array_header_t *services = apr_array_make(p, 4, sizeof(const mc_service_t *));

        for (int j = 0; j < cat->cookies->nelts; j++) {
            const mc_declared_cookie_t *c = &APR_ARRAY_IDX(cat->cookies, j, mc_declared_cookie_t);
            int own = c->service && strcmp(c->service, MC_DECLARATION_OWN_SERVICE) == 0;
            /* a regex of the catalogue's means nothing to a visitor; the
             * admin's own (no service) is shown as written */
            int regex = c->regex && c->service && !own;

            if (c->service && !own && !c->unclassified && !find_used(used, c->service, cat->name))
                continue;
            if (!regex) {
                if (!names_cookie(cookies, c->name))
                    *(mc_declared_cookie_t *)apr_array_push(cookies) = *c;
                continue;
            }
            /* a regex shows as the names seen that it classified */
            for (int k = 0; seen && k < seen->nelts; k++) {
                const mc_declared_seen_t *d = &APR_ARRAY_IDX(seen, k, mc_declared_seen_t);
                mc_declared_cookie_t *n;
                if (!d->rule || d->rule[0] != '~' || strcmp(d->rule + 1, c->name) != 0 ||
                    names_cookie(cookies, d->name))
                    continue;
                n = apr_array_push(cookies);
                *n = *c;
                n->name = d->name;
                n->pattern = 0;
            }
        }
        for (int j = 0; j < cat->services->nelts; j++) {
            const mc_service_t *s = APR_ARRAY_IDX(cat->services, j, const mc_service_t *);
            if (find_used(used, s->name, s->category))
                APR_ARRAY_PUSH(services, const mc_service_t *) = s;
        }
        /* a used service without cookie or URL rules is listed all the same */
        for (int j = 0; used && j < used->nelts; j++) {
            const mc_used_service_t *u = APR_ARRAY_IDX(used, j, const mc_used_service_t *);
            int listed = 0;
            if (u->category != i)
                continue;
            for (int k = 0; k < services->nelts && !listed; k++)
                listed = APR_ARRAY_IDX(services, k, const mc_service_t *) == u->service;
            if (!listed)
                APR_ARRAY_PUSH(services, const mc_service_t *) = u->service;
        }
        cat->cookies = cookies;
        cat->services = services;
    }
}

void mc_declaration_drop_service_cookies(apr_pool_t *p, apr_array_header_t *decl)
{
    for (int i = 0; i < decl->nelts; i++) {
        mc_declared_category_t *cat = &APR_ARRAY_IDX(decl, i, mc_declared_category_t);
        apr_array_header_t *kept = apr_array_make(p, 4, sizeof(mc_declared_cookie_t));
        for (int j = 0; j < cat->cookies->nelts; j++) {
            const mc_declared_cookie_t *c = &APR_ARRAY_IDX(cat->cookies, j, mc_declared_cookie_t);
            if (!c->service || strcmp(c->service, MC_DECLARATION_OWN_SERVICE) == 0)
                *(mc_declared_cookie_t *)apr_array_push(kept) = *c;
        }
        cat->cookies = kept;
    }
}

/* --- the recipients ----------------------------------------------------------------------------
 */

const char *mc_used_recipients(apr_pool_t *p, const apr_array_header_t *used,
                               const mc_categories_t *cats, int *outside_eea)
{
    mc_catmask_t required = mc_categories_required(cats);
    apr_hash_t *named = apr_hash_make(p);
    const char *list = NULL;

    if (outside_eea)
        *outside_eea = 0;
    for (int i = 0; used && i < used->nelts; i++) {
        const mc_used_service_t *u = APR_ARRAY_IDX(used, i, const mc_used_service_t *);
        const char *who = u->service->vendor ? u->service->vendor : u->service->name;
        if (mc_catmask_has(required, u->category))
            continue;
        if (outside_eea && u->service->outside_eea == 1)
            *outside_eea = 1;
        if (apr_hash_get(named, who, APR_HASH_KEY_STRING))
            continue;
        apr_hash_set(named, who, APR_HASH_KEY_STRING, who);
        list = list ? apr_pstrcat(p, list, ", ", who, NULL) : who;
    }
    return list;
}

/* --- the declaration's JSON --------------------------------------------------------------------
 */

const char *mc_used_purpose(apr_pool_t *p, const mc_used_service_t *u, const char *lang)
{
    const char *text = mc_lang_text(p, u->service->purpose, lang);

    return text ? text : mc_lang_text(p, u->service->description, lang);
}

const char *mc_used_how_text(apr_pool_t *p, unsigned how, const char *lang)
{
    static const char *const words[3][3] = {
        {"informasjonskapsel", "sideelement", "CSP-rapport"},
        {"informasjonskapsel", "sideelement", "CSP-rapport"},
        {"cookie", "page element", "CSP report"},
    };
    int w = words_index(lang);
    const char *out = NULL;

    for (int i = 0; i < 3; i++) {
        if (!(how & (1u << i)))
            continue;
        out = out ? apr_pstrcat(p, out, ", ", words[w][i], NULL) : words[w][i];
    }
    return out ? out : "";
}

static int put(json_t *o, const char *key, json_t *value)
{
    return json_object_set_new(o, key, value) != 0;
}

static json_t *string_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *cookie_json(apr_pool_t *p, const mc_used_cookie_t *c, const char *lang)
{
    json_t *o = json_object();

    if (!o || put(o, "name", json_string(c->name)) || put(o, "pattern", json_boolean(c->pattern)) ||
        put(o, "lifetime",
            c->lifetime >= 0 ? json_integer((json_int_t)c->lifetime) : json_null()) ||
        put(o, "session", json_boolean(c->lifetime == MC_LIFETIME_SESSION)) ||
        put(o, "duration", string_or_null(mc_period_text(p, c->lifetime, lang))) ||
        put(o, "purpose", string_or_null(c->purpose)) || put(o, "seen", json_boolean(c->seen)) ||
        put(o, "example", string_or_null(c->seen_name))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *how_json(unsigned how)
{
    static const char *const names[] = {"cookie", "element", "csp"};
    json_t *a = json_array();

    for (int i = 0; a && i < 3; i++) {
        if (how & (1u << i))
            json_array_append_new(a, json_string(names[i]));
    }
    return a;
}

static json_t *countries_json(const apr_array_header_t *countries)
{
    json_t *a;

    if (!countries)
        return json_null();
    a = json_array();
    for (int i = 0; a && i < countries->nelts; i++)
        json_array_append_new(a, json_string(APR_ARRAY_IDX(countries, i, const char *)));
    return a;
}

/* Adds to O (a service of the declaration) what U knows. */
static int add_used_fields(apr_pool_t *p, json_t *o, const mc_used_service_t *u, const char *lang)
{
    const mc_service_t *s = u->service;
    json_t *cookies = json_array();

    if (!cookies || put(o, "id", json_string(u->id)) ||
        put(o, "category", json_string(s->category)) ||
        put(o, "entity", string_or_null(s->entity)) ||
        put(o, "purpose", string_or_null(mc_used_purpose(p, u, lang))) ||
        put(o, "countries", countries_json(s->countries)) ||
        put(o, "outside_eea", s->outside_eea < 0 ? json_null() : json_boolean(s->outside_eea)) ||
        put(o, "transfer", string_or_null(s->transfer)) || put(o, "seen_by", how_json(u->how)) ||
        put(o, "seen_by_text", json_string(mc_used_how_text(p, u->how, lang))))
        return 1;
    for (int i = 0; i < u->cookies->nelts; i++) {
        json_t *c = cookie_json(p, &APR_ARRAY_IDX(u->cookies, i, mc_used_cookie_t), lang);
        if (c)
            json_array_append_new(cookies, c);
    }
    return put(o, "cookies", cookies);
}

static const mc_used_service_t *used_by_name(const apr_array_header_t *used, const char *name,
                                             const char *category)
{
    return find_used(used, name, category);
}

char *mc_declaration_json_used(apr_pool_t *p, const apr_array_header_t *decl,
                               const apr_array_header_t *seen, const apr_array_header_t *blocked,
                               const apr_array_header_t *used, const mc_categories_t *cats,
                               const mc_locale_t *loc, const char *policy)
{
    apr_array_header_t *narrow = mc_declaration_copy(p, decl);
    const char *lang = mc_locale_lang(loc);
    const char *text, *recipients;
    json_t *root, *categories;
    json_error_t jerr;
    char *out = NULL, *dumped;
    int outside = 0;

    mc_declaration_only_used(p, narrow, used, seen);
    text = mc_declaration_json_full(p, narrow, seen, blocked, cats, loc, policy);
    if (!text || !(root = json_loads(text, 0, &jerr)))
        return NULL;
    recipients = mc_used_recipients(p, used, cats, &outside);
    put(root, "recipients", string_or_null(recipients));
    put(root, "outside_eea", json_boolean(outside));
    categories = json_object_get(root, "categories");
    for (size_t i = 0; i < json_array_size(categories); i++) {
        json_t *cat = json_array_get(categories, i);
        json_t *services = json_object_get(cat, "services");
        const char *cat_name = json_string_value(json_object_get(cat, "name"));
        for (size_t j = 0; j < json_array_size(services); j++) {
            json_t *svc = json_array_get(services, j);
            const mc_used_service_t *u = used_by_name(
                used, json_string_value(json_object_get(svc, "name")), cat_name ? cat_name : "");
            if (u && add_used_fields(p, svc, u, lang)) {
                json_decref(root);
                return NULL;
            }
        }
    }
    dumped = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    if (dumped) {
        out = apr_pstrdup(p, dumped);
        free(dumped);
    }
    return out;
}
