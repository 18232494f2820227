#include "logstats.h"

#include <apr_strings.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

const char *const mc_logstats_methods[MC_LOGSTATS_METHODS] = {"accept_all", "reject_all",
                                                               "custom", "withdraw", "gpc"};

/* The built-in categories keep their usual order in every table. */
static const char *const mc_builtin_categories[] = {"necessary", "preferences", "statistics",
                                                    "marketing"};

mc_logstats_t *mc_logstats_create(apr_pool_t *p)
{
    mc_logstats_t *st = apr_pcalloc(p, sizeof(*st));

    st->pool = p;
    st->categories = apr_array_make(p, 8, sizeof(mc_logstats_category_t));
    st->days = apr_array_make(p, 32, sizeof(mc_logstats_day_t));
    st->langs = apr_array_make(p, 4, sizeof(mc_logstats_count_t));
    st->chains = apr_array_make(p, 2, sizeof(mc_logstats_count_t));
    st->ids = apr_hash_make(p);
    st->day_index = apr_hash_make(p);
    st->category_index = apr_hash_make(p);
    st->lang_index = apr_hash_make(p);
    st->chain_index = apr_hash_make(p);
    st->services = apr_array_make(p, 4, sizeof(mc_logstats_count_t));
    st->vias = apr_array_make(p, 3, sizeof(mc_logstats_count_t));
    st->service_index = apr_hash_make(p);
    st->via_index = apr_hash_make(p);
    return st;
}

/* Index of NAME in ARR (elements starting with a name), added when new.
 * INDEX maps the name to its slot number, kept in the pool. */
static int mc_named_slot(apr_pool_t *p, apr_hash_t *index, apr_array_header_t *arr,
                         const char *name)
{
    const int *found = apr_hash_get(index, name, APR_HASH_KEY_STRING);
    int *slot_no;
    char *copy;
    void *slot;

    if (found)
        return *found;
    copy = apr_pstrdup(p, name);
    slot = apr_array_push(arr);
    memset(slot, 0, (size_t)arr->elt_size);
    *(const char **)slot = copy;
    slot_no = apr_palloc(p, sizeof(*slot_no));
    *slot_no = arr->nelts - 1;
    apr_hash_set(index, copy, APR_HASH_KEY_STRING, slot_no);
    return *slot_no;
}

static mc_status_t mc_stats_names(mc_logstats_t *st, const json_t *names, int granted)
{
    size_t i;
    json_t *name;

    if (!json_is_array(names))
        return MC_EINVAL;
    json_array_foreach(names, i, name)
    {
        mc_logstats_category_t *cat;
        int slot;

        if (!json_is_string(name))
            return MC_EINVAL;
        /* the slot first: adding it may move the array's elements */
        slot = mc_named_slot(st->pool, st->category_index, st->categories,
                             json_string_value(name));
        cat = &APR_ARRAY_IDX(st->categories, slot, mc_logstats_category_t);
        if (granted)
            cat->granted++;
        else
            cat->refused++;
    }
    return MC_OK;
}

static int mc_method_index(const char *method)
{
    for (int i = 0; i < MC_LOGSTATS_METHODS; i++) {
        if (strcmp(method, mc_logstats_methods[i]) == 0)
            return i;
    }
    return -1;
}

static void mc_stats_count(mc_logstats_t *st, apr_hash_t *index, apr_array_header_t *arr,
                           const char *name)
{
    /* the slot first: adding it may move the array's elements */
    int slot = mc_named_slot(st->pool, index, arr, name);

    APR_ARRAY_IDX(arr, slot, mc_logstats_count_t).count++;
}

static void mc_stats_day(mc_logstats_t *st, const char *time, int method)
{
    char day[11];
    int *at;
    mc_logstats_day_t *d;

    apr_cpystrn(day, time, sizeof(day));
    at = apr_hash_get(st->day_index, day, APR_HASH_KEY_STRING);
    if (!at) {
        d = apr_array_push(st->days);
        memset(d, 0, sizeof(*d));
        memcpy(d->day, day, sizeof(day));
        /* a slot number, not a pointer: the array moves when it grows */
        at = apr_palloc(st->pool, sizeof(*at));
        *at = st->days->nelts - 1;
        apr_hash_set(st->day_index, apr_pstrdup(st->pool, day), APR_HASH_KEY_STRING, at);
    }
    d = &APR_ARRAY_IDX(st->days, *at, mc_logstats_day_t);
    d->total++;
    d->by_method[method]++;
}

/* The record's "services" (absent in older records: none). */
static mc_status_t mc_stats_services(mc_logstats_t *st, const json_t *ids)
{
    size_t i;
    json_t *id;

    if (!ids)
        return MC_OK;
    if (!json_is_array(ids))
        return MC_EINVAL;
    json_array_foreach(ids, i, id)
    {
        if (!json_is_string(id))
            return MC_EINVAL;
    }
    json_array_foreach(ids, i, id)
    {
        mc_stats_count(st, st->service_index, st->services, json_string_value(id));
    }
    return MC_OK;
}

mc_status_t mc_logstats_add(mc_logstats_t *st, const char *line, size_t len, const char **err)
{
    json_t *obj = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
    const char *time, *id, *method, *lang, *chain, *via;
    int m;

    time = json_string_value(json_object_get(obj, "time"));
    id = json_string_value(json_object_get(obj, "id"));
    method = json_string_value(json_object_get(obj, "method"));
    lang = json_string_value(json_object_get(obj, "lang"));
    chain = json_string_value(json_object_get(obj, "chain"));
    via = json_string_value(json_object_get(obj, "via"));
    m = method ? mc_method_index(method) : -1;
    if (!time || strlen(time) < 10 || !id || m < 0 || !lang) {
        json_decref(obj);
        *err = "the record lacks a field the statistics need";
        return MC_EINVAL;
    }
    if (mc_stats_names(st, json_object_get(obj, "granted"), 1) != MC_OK ||
        mc_stats_names(st, json_object_get(obj, "refused"), 0) != MC_OK) {
        json_decref(obj);
        *err = "the record's granted or refused is not a list of names";
        return MC_EINVAL;
    }
    if (mc_stats_services(st, json_object_get(obj, "services")) != MC_OK) {
        json_decref(obj);
        *err = "the record's services is not a list of ids";
        return MC_EINVAL;
    }
    mc_stats_count(st, st->via_index, st->vias, via ? via : "unrecorded");
    st->total++;
    st->by_method[m]++;
    if (!apr_hash_get(st->ids, id, APR_HASH_KEY_STRING)) {
        apr_hash_set(st->ids, apr_pstrdup(st->pool, id), APR_HASH_KEY_STRING, st);
        st->distinct_ids++;
    }
    mc_stats_count(st, st->lang_index, st->langs, lang);
    mc_stats_count(st, st->chain_index, st->chains, chain ? chain : "");
    mc_stats_day(st, time, m);
    if (!st->first_time[0] || strcmp(time, st->first_time) < 0)
        apr_cpystrn(st->first_time, time, sizeof(st->first_time));
    if (strcmp(time, st->last_time) > 0)
        apr_cpystrn(st->last_time, time, sizeof(st->last_time));
    json_decref(obj);
    return MC_OK;
}

/* ---- days ------------------------------------------------------------------------------ */

/* Days from civil date (proleptic Gregorian), after H. Hinnant's algorithm. */
static long mc_days_from_civil(long y, long m, long d)
{
    long era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

long mc_logstats_day_number(const char *day)
{
    long y, m, d;

    if (!day || strlen(day) != 10 || day[4] != '-' || day[7] != '-')
        return -1;
    for (int i = 0; i < 10; i++) {
        if (i != 4 && i != 7 && (day[i] < '0' || day[i] > '9'))
            return -1;
    }
    y = strtol(day, NULL, 10);
    m = strtol(day + 5, NULL, 10);
    d = strtol(day + 8, NULL, 10);
    if (m < 1 || m > 12 || d < 1 || d > 31)
        return -1;
    return mc_days_from_civil(y, m, d);
}

void mc_logstats_day_text(long number, char out[11])
{
    long z = number + 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    long d = doy - (153 * mp + 2) / 5 + 1;
    long m = mp + (mp < 10 ? 3 : -9);
    long y = yoe + era * 400 + (m <= 2);

    if (y < 0 || y > 9999) {
        out[0] = '\0';
        return;
    }
    apr_snprintf(out, 11, "%04ld-%02ld-%02ld", y, m, d);
}

static int mc_day_cmp(const void *a, const void *b)
{
    return strcmp(((const mc_logstats_day_t *)a)->day, ((const mc_logstats_day_t *)b)->day);
}

static int mc_category_rank(const char *name)
{
    for (size_t i = 0; i < sizeof(mc_builtin_categories) / sizeof(char *); i++) {
        if (strcmp(name, mc_builtin_categories[i]) == 0)
            return (int)i;
    }
    return (int)(sizeof(mc_builtin_categories) / sizeof(char *));
}

static int mc_category_cmp(const void *a, const void *b)
{
    const mc_logstats_category_t *ca = a, *cb = b;
    int ra = mc_category_rank(ca->name), rb = mc_category_rank(cb->name);

    return ra != rb ? ra - rb : strcmp(ca->name, cb->name);
}

/* The hash indexes are of no use once sorted: they are dropped. */
void mc_logstats_finish(mc_logstats_t *st)
{
    int n = st->days->nelts;
    long first, last;

    qsort(st->days->elts, (size_t)n, sizeof(mc_logstats_day_t), mc_day_cmp);
    qsort(st->categories->elts, (size_t)st->categories->nelts, sizeof(mc_logstats_category_t),
          mc_category_cmp);
    st->day_index = NULL;
    st->category_index = NULL;
    if (n < 2)
        return;
    first = mc_logstats_day_number(APR_ARRAY_IDX(st->days, 0, mc_logstats_day_t).day);
    last = mc_logstats_day_number(APR_ARRAY_IDX(st->days, n - 1, mc_logstats_day_t).day);
    if (first < 0 || last < 0 || last - first + 1 <= n || last - first >= MC_LOGSTATS_FILL_MAX)
        return;
    {
        apr_array_header_t *all = apr_array_make(st->pool, (int)(last - first + 1),
                                                 sizeof(mc_logstats_day_t));
        int at = 0;

        for (long day = first; day <= last; day++) {
            mc_logstats_day_t *d = apr_array_push(all);

            memset(d, 0, sizeof(*d));
            mc_logstats_day_text(day, d->day);
            if (at < n && strcmp(APR_ARRAY_IDX(st->days, at, mc_logstats_day_t).day, d->day) == 0)
                *d = APR_ARRAY_IDX(st->days, at++, mc_logstats_day_t);
        }
        st->days = all;
    }
}

double mc_logstats_rate(uint64_t part, uint64_t whole)
{
    return whole == 0 ? 0.0 : (double)part / (double)whole;
}

/* ---- JSON ------------------------------------------------------------------------------- */

static json_t *mc_counts_json(const apr_array_header_t *arr)
{
    json_t *obj = json_object();

    for (int i = 0; i < arr->nelts; i++) {
        const mc_logstats_count_t *c = &APR_ARRAY_IDX(arr, i, mc_logstats_count_t);
        json_object_set_new(obj, c->name, json_integer((json_int_t)c->count));
    }
    return obj;
}

char *mc_logstats_json(const mc_logstats_t *st, apr_pool_t *p)
{
    json_t *root = json_object(), *methods = json_object(), *cats = json_object();
    json_t *days = json_array();
    char *text, *out;

    json_object_set_new(root, "records", json_integer((json_int_t)st->total));
    json_object_set_new(root, "bad", json_integer((json_int_t)st->bad));
    json_object_set_new(root, "distinct_ids", json_integer((json_int_t)st->distinct_ids));
    json_object_set_new(root, "first", st->total ? json_string(st->first_time) : json_null());
    json_object_set_new(root, "last", st->total ? json_string(st->last_time) : json_null());
    json_object_set_new(root, "chains", mc_counts_json(st->chains));
    for (int m = 0; m < MC_LOGSTATS_METHODS; m++) {
        json_object_set_new(methods, mc_logstats_methods[m],
                            json_pack("{s:I,s:f}", "count", (json_int_t)st->by_method[m], "rate",
                                      mc_logstats_rate(st->by_method[m], st->total)));
    }
    json_object_set_new(root, "methods", methods);
    for (int i = 0; i < st->categories->nelts; i++) {
        const mc_logstats_category_t *c = &APR_ARRAY_IDX(st->categories, i, mc_logstats_category_t);
        json_object_set_new(cats, c->name,
                            json_pack("{s:I,s:I,s:f}", "granted", (json_int_t)c->granted,
                                      "refused", (json_int_t)c->refused, "acceptance",
                                      mc_logstats_rate(c->granted, c->granted + c->refused)));
    }
    json_object_set_new(root, "categories", cats);
    json_object_set_new(root, "languages", mc_counts_json(st->langs));
    json_object_set_new(root, "services", mc_counts_json(st->services));
    json_object_set_new(root, "via", mc_counts_json(st->vias));
    for (int i = 0; i < st->days->nelts; i++) {
        const mc_logstats_day_t *d = &APR_ARRAY_IDX(st->days, i, mc_logstats_day_t);
        json_t *day = json_pack("{s:s,s:I}", "day", d->day, "total", (json_int_t)d->total);

        for (int m = 0; m < MC_LOGSTATS_METHODS; m++)
            json_object_set_new(day, mc_logstats_methods[m],
                                json_integer((json_int_t)d->by_method[m]));
        json_array_append_new(days, day);
    }
    json_object_set_new(root, "days", days);
    text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (!text)
        return NULL;
    out = apr_pstrcat(p, text, "\n", NULL);
    free(text);
    return out;
}
