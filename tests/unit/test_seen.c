/* The table of cookies a site is seen to set (seen.h), and how the
 * declaration classifies and lists them (declaration.h). */
#include <apr_strings.h>
#include <jansson.h>
#include <string.h>

#include "banner.h"
#include "builtin.h"
#include "category.h"
#include "cookie.h"
#include "declaration.h"
#include "rules.h"
#include "seen.h"
#include "unit.h"

/* --- fixtures ------------------------------------------------------------------------ */

static mc_seen_table_t *table(unsigned capacity)
{
    size_t size = mc_seen_size(capacity);
    mc_seen_table_t *t = mc_seen_init(apr_palloc(test_pool, size), size, capacity);

    ck_assert_ptr_nonnull(t);
    return t;
}

static mc_seen_cookie_t cookie(const char *name, const char *domain, int64_t lifetime,
                               int64_t when)
{
    mc_seen_cookie_t c = {"site:80", name, domain, lifetime, when, when};
    return c;
}

static mc_seen_result_t record(mc_seen_table_t *t, const char *name, int64_t lifetime,
                               int64_t when)
{
    mc_seen_cookie_t c = cookie(name, "example.no", lifetime, when);
    return mc_seen_record(t, &c);
}

static mc_seen_cookie_t lookup(const mc_seen_table_t *t, const char *name)
{
    mc_seen_cookie_t out;

    ck_assert_int_eq(mc_seen_lookup(t, "site:80", name, "example.no", &out), MC_OK);
    return out;
}

#define T0 1795500000

/* --- the table ---------------------------------------------------------------------- */

START_TEST(init_refuses_too_small_a_block)
{
    char small[64];

    ck_assert_ptr_null(mc_seen_init(small, sizeof(small), 4));
    ck_assert_ptr_null(mc_seen_init(small, sizeof(small), 0));
    ck_assert_uint_eq(mc_seen_capacity(table(7)), 7);
    ck_assert_uint_eq(mc_seen_count(table(7)), 0);
}
END_TEST

START_TEST(a_cookie_is_recorded_once_with_the_longest_lifetime)
{
    mc_seen_table_t *t = table(8);
    mc_seen_cookie_t c;

    ck_assert_int_eq(record(t, "_ga", 600, T0), MC_SEEN_ADDED);
    ck_assert_int_eq(record(t, "_ga", 7200, T0 + 10), MC_SEEN_UPDATED);
    ck_assert_int_eq(record(t, "_ga", 60, T0 + 5), MC_SEEN_UNCHANGED);
    ck_assert_int_eq(record(t, "_ga", MC_SEEN_SESSION, T0 - 100), MC_SEEN_UPDATED);
    ck_assert_uint_eq(mc_seen_count(t), 1);
    c = lookup(t, "_ga");
    ck_assert_int_eq(c.lifetime, 7200);
    ck_assert_int_eq(c.first_seen, T0 - 100);
    ck_assert_int_eq(c.last_seen, T0 + 10);
}
END_TEST

START_TEST(a_persistent_lifetime_beats_a_session)
{
    mc_seen_table_t *t = table(4);

    record(t, "sid", MC_SEEN_SESSION, T0);
    ck_assert_int_eq(lookup(t, "sid").lifetime, MC_SEEN_SESSION);
    record(t, "sid", 1, T0);
    ck_assert_int_eq(lookup(t, "sid").lifetime, 1);
}
END_TEST

START_TEST(site_name_and_domain_make_the_key)
{
    mc_seen_table_t *t = table(8);
    mc_seen_cookie_t a = cookie("x", "a.example.no", 1, T0), b = cookie("x", "example.no", 1, T0);
    mc_seen_cookie_t other = cookie("x", "a.example.no", 1, T0);
    apr_array_header_t *list;

    other.site = "other:443";
    ck_assert_int_eq(mc_seen_record(t, &a), MC_SEEN_ADDED);
    ck_assert_int_eq(mc_seen_record(t, &b), MC_SEEN_ADDED);
    ck_assert_int_eq(mc_seen_record(t, &other), MC_SEEN_ADDED);
    list = mc_seen_list(test_pool, t, "site:80");
    ck_assert_int_eq(list->nelts, 2);
    ck_assert_int_eq(mc_seen_list(test_pool, t, "other:443")->nelts, 1);
    ck_assert_int_eq(mc_seen_list(test_pool, t, NULL)->nelts, 3);
    ck_assert_int_eq(mc_seen_lookup(t, "site:80", "x", "b.example.no", &a), MC_ENOTFOUND);
}
END_TEST

START_TEST(the_generation_grows_only_with_new_names)
{
    mc_seen_table_t *t = table(4);
    uint64_t g0 = mc_seen_generation(t), g1;

    record(t, "a", 1, T0);
    g1 = mc_seen_generation(t);
    ck_assert_uint_gt(g1, g0);
    record(t, "a", 100, T0 + 100);
    ck_assert_uint_eq(mc_seen_generation(t), g1);
    record(t, "b", 1, T0);
    ck_assert_uint_gt(mc_seen_generation(t), g1);
}
END_TEST

START_TEST(bad_names_are_refused)
{
    mc_seen_table_t *t = table(4);
    char *long_name = apr_palloc(test_pool, MC_SEEN_NAME_MAX + 2);

    memset(long_name, 'n', MC_SEEN_NAME_MAX + 1);
    long_name[MC_SEEN_NAME_MAX + 1] = '\0';
    ck_assert_int_eq(record(t, long_name, 1, T0), MC_SEEN_INVALID);
    long_name[MC_SEEN_NAME_MAX] = '\0';
    ck_assert_int_eq(record(t, long_name, 1, T0), MC_SEEN_ADDED);
    ck_assert_int_eq(record(t, "", 1, T0), MC_SEEN_INVALID);
    ck_assert_int_eq(record(t, "tab\there", 1, T0), MC_SEEN_INVALID);
    ck_assert_int_eq(record(t, "nl\nhere", 1, T0), MC_SEEN_INVALID);
    ck_assert_uint_eq(mc_seen_count(t), 1);
}
END_TEST

START_TEST(a_full_table_refuses_new_names_and_keeps_the_old)
{
    mc_seen_table_t *t = table(3);

    record(t, "a", 1, T0);
    record(t, "b", 1, T0);
    record(t, "c", 1, T0);
    ck_assert_int_eq(mc_seen_full_first(t), 0);
    for (int i = 0; i < 100; i++)
        ck_assert_int_eq(record(t, apr_psprintf(test_pool, "flood%d", i), 1, T0 + 1),
                         MC_SEEN_FULL);
    ck_assert_int_eq(mc_seen_full_first(t), 1);
    ck_assert_int_eq(mc_seen_full_first(t), 0);
    ck_assert_uint_eq(mc_seen_count(t), 3);
    ck_assert_int_eq(lookup(t, "a").lifetime, 1);
    /* known names still update */
    ck_assert_int_eq(record(t, "b", 50, T0 + 2), MC_SEEN_UPDATED);
    mc_seen_rearm_full(t);
    record(t, "another", 1, T0 + 3);
    ck_assert_int_eq(mc_seen_full_first(t), 1);
}
END_TEST

START_TEST(a_stale_entry_makes_room)
{
    mc_seen_table_t *t = table(2);
    mc_seen_cookie_t out;

    record(t, "old", 1, T0);
    record(t, "recent", 1, T0 + MC_SEEN_STALE);
    ck_assert_int_eq(record(t, "new", 1, T0 + MC_SEEN_STALE - 1 + 1), MC_SEEN_REPLACED);
    ck_assert_int_eq(mc_seen_lookup(t, "site:80", "old", "example.no", &out), MC_ENOTFOUND);
    ck_assert_int_eq(lookup(t, "recent").lifetime, 1);
    ck_assert_int_eq(record(t, "newer", 1, T0 + MC_SEEN_STALE + 10), MC_SEEN_FULL);
    ck_assert_uint_eq(mc_seen_count(t), 2);
}
END_TEST

START_TEST(merge_adds_up_two_tables)
{
    mc_seen_table_t *a = table(4), *b = table(4);

    record(a, "x", 10, T0);
    record(b, "x", 20, T0 + 5);
    record(b, "y", 1, T0);
    ck_assert_uint_eq(mc_seen_merge(a, b), 0);
    ck_assert_uint_eq(mc_seen_count(a), 2);
    ck_assert_int_eq(lookup(a, "x").lifetime, 20);
    ck_assert_int_eq(lookup(a, "x").first_seen, T0);
    ck_assert_int_eq(lookup(a, "x").last_seen, T0 + 5);
}
END_TEST

/* --- the saved form ------------------------------------------------------------------- */

START_TEST(serialise_and_parse_round_trip)
{
    mc_seen_table_t *t = table(8), *back = table(8);
    mc_seen_cookie_t wide = cookie("wide", "example.no", 86400, T0);
    const char *err = NULL;
    char *text;

    wide.domain = "sub.example.no";
    record(t, "_ga", 63072000, T0);
    record(t, "sid", MC_SEEN_SESSION, T0 + 1);
    mc_seen_record(t, &wide);
    text = mc_seen_serialise(test_pool, t);
    ck_assert_int_eq(mc_seen_parse(back, text, strlen(text), &err), MC_OK);
    ck_assert_uint_eq(mc_seen_count(back), 3);
    ck_assert_int_eq(lookup(back, "_ga").lifetime, 63072000);
    ck_assert_int_eq(lookup(back, "sid").lifetime, MC_SEEN_SESSION);
    ck_assert_int_eq(lookup(back, "sid").first_seen, T0 + 1);
    ck_assert_str_eq(mc_seen_serialise(test_pool, back), text);
}
END_TEST

START_TEST(a_damaged_file_is_refused_whole)
{
    mc_seen_table_t *t = table(8), *back = table(8);
    const char *err = NULL;
    char *text, *cut;
    static const char *const bad[] = {
        "",
        "mc-seen 2\nend 0\n",
        "mc-seen 1\n",
        "mc-seen 1\ns\tn\td\t1\t2\t3\nend 2\n",
        "mc-seen 1\ns\tn\td\tx\t2\t3\nend 1\n",
        "mc-seen 1\ns\tn\td\t1\t2\nend 1\n",
        "mc-seen 1\ns\tn\td\t1\t2\t3\t4\nend 1\n",
        "mc-seen 1\ns\tn\td\t1\t5\t3\nend 1\n",
        "mc-seen 1\ns\t\td\t1\t2\t3\nend 1\n",
        "mc-seen 1\nend 0\ntrailing",
    };

    record(t, "a", 1, T0);
    record(t, "b", 2, T0);
    text = mc_seen_serialise(test_pool, t);
    cut = apr_pstrndup(test_pool, text, strlen(text) - 3);
    ck_assert_int_eq(mc_seen_parse(back, cut, strlen(cut), &err), MC_EINVAL);
    ck_assert_ptr_nonnull(err);
    ck_assert_uint_eq(mc_seen_count(back), 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err = NULL;
        ck_assert_msg(mc_seen_parse(back, bad[i], strlen(bad[i]), &err) == MC_EINVAL,
                      "accepted: %s", bad[i]);
        ck_assert_ptr_nonnull(err);
        ck_assert_uint_eq(mc_seen_count(back), 0);
    }
    ck_assert_int_eq(mc_seen_parse(back, "mc-seen 1\nend 0\n", 16, &err), MC_OK);
}
END_TEST

START_TEST(a_saved_table_larger_than_the_capacity_keeps_what_fits)
{
    mc_seen_table_t *big = table(10), *small = table(3);
    const char *err = NULL;
    char *text;

    for (int i = 0; i < 10; i++)
        record(big, apr_psprintf(test_pool, "c%d", i), i + 1, T0);
    text = mc_seen_serialise(test_pool, big);
    ck_assert_int_eq(mc_seen_parse(small, text, strlen(text), &err), MC_OK);
    ck_assert_uint_eq(mc_seen_count(small), 3);
    /* loading is not the flood to report */
    ck_assert_int_eq(mc_seen_full_first(small), 0);
}
END_TEST

/* --- lifetimes -------------------------------------------------------------------------- */

static int64_t lifetime_of(const char *header, int64_t now)
{
    mc_setcookie_t c;

    ck_assert_int_eq(mc_setcookie_parse(test_pool, header, &c), MC_OK);
    return mc_seen_lifetime(&c, now);
}

START_TEST(lifetimes_from_max_age_and_expires)
{
    /* Tue, 24 Nov 2026 09:00:00 GMT */
    const int64_t now = 1795510800;

    ck_assert_int_eq(lifetime_of("a=1; Max-Age=3600", now), 3600);
    ck_assert_int_eq(lifetime_of("a=1", now), MC_SEEN_SESSION);
    ck_assert_int_eq(lifetime_of("a=1; Path=/; HttpOnly", now), MC_SEEN_SESSION);
    ck_assert_int_eq(lifetime_of("a=1; Expires=Wed, 25 Nov 2026 09:00:00 GMT", now), 86400);
    /* to the minute, so a moving "a day from now" gives one lifetime */
    ck_assert_int_eq(lifetime_of("a=1; Expires=Wed, 25 Nov 2026 09:00:29 GMT", now), 86400);
    ck_assert_int_eq(lifetime_of("a=1; Expires=Wed, 25 Nov 2026 08:59:31 GMT", now), 86400);
    ck_assert_int_eq(lifetime_of("a=1; Expires=Tue, 24 Nov 2026 09:00:10 GMT", now), 60);
    /* Max-Age wins over Expires */
    ck_assert_int_eq(lifetime_of("a=1; Expires=Wed, 25 Nov 2026 09:00:00 GMT; Max-Age=5", now),
                     5);
    ck_assert_int_eq(lifetime_of("a=1; Max-Age=0", now), 0);
    ck_assert_int_eq(lifetime_of("a=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT", now), 0);
}
END_TEST

/* --- in the declaration ---------------------------------------------------------------- */

static mc_ruleset_t *catalogue(void)
{
    static const char json[] =
        "{\"services\":[{\"name\":\"Analytics\",\"category\":\"statistics\","
        "\"vendor\":\"Stat Inc\",\"cookies\":[\"_st\",\"_st_*\"]}]}";
    mc_ruleset_t *rs = mc_ruleset_make(test_pool);
    const char *err = NULL;

    ck_assert_msg(mc_ruleset_load_json(rs, json, strlen(json), "test", &err) == MC_OK, "%s", err);
    return rs;
}

static apr_array_header_t *seen_list(void)
{
    mc_seen_table_t *t = table(8);

    record(t, "zz_unknown", MC_SEEN_SESSION, T0);
    record(t, "_st", 600, T0);
    record(t, "_st_x", 600, T0);
    record(t, "consent", 100, T0);
    record(t, "pref", 10, T0);
    record(t, "aa_unknown", 5, T0);
    return mc_seen_list(test_pool, t, "site:80");
}

static apr_array_header_t *own_rules(void)
{
    apr_array_header_t *rules = apr_array_make(test_pool, 2, sizeof(mc_rule_t));
    mc_ruleset_t *rs = mc_ruleset_make(test_pool);
    const char *err = NULL;

    ck_assert_int_eq(mc_ruleset_add(rs, MC_RULE_COOKIE, "preferences", "pref", "conf:1", &err),
                     MC_OK);
    *(mc_rule_t *)apr_array_push(rules) = APR_ARRAY_IDX(rs->rules[MC_RULE_COOKIE], 0, mc_rule_t);
    return rules;
}

START_TEST(seen_cookies_are_classified_and_sorted)
{
    mc_categories_t *cats = mc_categories_make(test_pool);
    apr_array_header_t *seen =
        mc_declaration_seen(test_pool, cats, catalogue(), own_rules(), "consent", seen_list());
    static const char *const names[] = {"consent", "pref", "_st", "_st_x", "aa_unknown",
                                        "zz_unknown"};
    const mc_declared_seen_t *st;

    ck_assert_int_eq(seen->nelts, 6);
    for (int i = 0; i < 6; i++)
        ck_assert_str_eq(APR_ARRAY_IDX(seen, i, mc_declared_seen_t).name, names[i]);
    ck_assert_int_eq(APR_ARRAY_IDX(seen, 0, mc_declared_seen_t).category, MC_CAT_NECESSARY);
    ck_assert_int_eq(APR_ARRAY_IDX(seen, 1, mc_declared_seen_t).category,
                     mc_categories_index(cats, "preferences"));
    st = &APR_ARRAY_IDX(seen, 2, mc_declared_seen_t);
    ck_assert_int_eq(st->category, mc_categories_index(cats, "statistics"));
    ck_assert_str_eq(st->service, "Analytics");
    ck_assert_str_eq(st->vendor, "Stat Inc");
    ck_assert_int_eq(APR_ARRAY_IDX(seen, 5, mc_declared_seen_t).category, -1);
    /* without the scope's rule, pref is unclassified */
    seen = mc_declaration_seen(test_pool, cats, catalogue(), NULL, "consent", seen_list());
    ck_assert_str_eq(APR_ARRAY_IDX(seen, 3, mc_declared_seen_t).name, "aa_unknown");
    ck_assert_str_eq(APR_ARRAY_IDX(seen, 4, mc_declared_seen_t).name, "pref");
    ck_assert_int_eq(APR_ARRAY_IDX(seen, 4, mc_declared_seen_t).category, -1);
}
END_TEST

START_TEST(seen_cookies_in_the_json)
{
    mc_categories_t *cats = mc_categories_make(test_pool);
    mc_ruleset_t *rs = catalogue();
    apr_array_header_t *decl = mc_declaration_make(test_pool, cats, rs, NULL, "consent");
    apr_array_header_t *seen = mc_declaration_seen(test_pool, cats, rs, NULL, "consent",
                                                   seen_list());
    const mc_builtin_file_t *f = mc_builtin_find("locales/en.json");
    mc_locale_t *loc = NULL;
    const char *err = NULL;
    char *text;
    json_t *root, *list, *first, *last;
    json_error_t jerr;

    ck_assert_int_eq(mc_locale_parse(test_pool, f->data, f->len, "en", &loc, &err), MC_OK);
    text = mc_declaration_json_seen(test_pool, decl, seen, cats, loc, "1");
    ck_assert_ptr_nonnull(text);
    root = json_loads(text, 0, &jerr);
    ck_assert_ptr_nonnull(root);
    list = json_object_get(root, "seen");
    ck_assert_int_eq(json_array_size(list), 6);
    first = json_array_get(list, 0);
    ck_assert_str_eq(json_string_value(json_object_get(first, "name")), "consent");
    ck_assert_str_eq(json_string_value(json_object_get(first, "category")), "necessary");
    ck_assert_str_eq(json_string_value(json_object_get(first, "domain")), "example.no");
    ck_assert_int_eq(json_integer_value(json_object_get(first, "lifetime")), 100);
    ck_assert_str_eq(json_string_value(json_object_get(first, "first_seen")),
                     "2026-11-24T06:00:00Z");
    last = json_array_get(list, 5);
    ck_assert_str_eq(json_string_value(json_object_get(last, "category")), "unclassified");
    ck_assert(json_is_null(json_object_get(last, "lifetime")));
    ck_assert(json_is_array(json_object_get(root, "categories")));
    json_decref(root);
    /* the old entry point still says nothing was seen */
    root = json_loads(mc_declaration_json(test_pool, decl, loc, "1"), 0, &jerr);
    ck_assert_int_eq(json_array_size(json_object_get(root, "seen")), 0);
    json_decref(root);
}
END_TEST

static int listed(const apr_array_header_t *decl, int category, const char *name,
                  int *unclassified)
{
    const mc_declared_category_t *cat = &APR_ARRAY_IDX(decl, category, mc_declared_category_t);
    int n = 0;

    for (int i = 0; i < cat->cookies->nelts; i++) {
        const mc_declared_cookie_t *c = &APR_ARRAY_IDX(cat->cookies, i, mc_declared_cookie_t);
        if (strcmp(c->name, name) == 0) {
            n++;
            if (unclassified)
                *unclassified = c->unclassified;
        }
    }
    return n;
}

START_TEST(seen_cookies_join_the_banner_lists_once)
{
    mc_categories_t *cats = mc_categories_make(test_pool);
    mc_ruleset_t *rs = catalogue();
    int stats = mc_categories_index(cats, "statistics");
    apr_array_header_t *decl = mc_declaration_make(test_pool, cats, rs, NULL, "consent");
    apr_array_header_t *seen = mc_declaration_seen(test_pool, cats, rs, NULL, "consent",
                                                   seen_list());
    mc_banner_cookies_t *lists;
    int unclassified = 0;

    mc_declaration_treat(seen, MC_UNCLASSIFIED_ALLOW);
    mc_declaration_add_seen(test_pool, decl, seen);
    ck_assert_int_eq(listed(decl, stats, "_st", NULL), 1);
    ck_assert_int_eq(listed(decl, stats, "_st_x", NULL), 1);
    ck_assert_int_eq(listed(decl, MC_CAT_NECESSARY, "consent", NULL), 1);
    ck_assert_int_eq(listed(decl, MC_CAT_NECESSARY, "aa_unknown", &unclassified), 1);
    ck_assert_int_eq(unclassified, 1);
    lists = mc_banner_cookie_lists(test_pool, decl);
    ck_assert_int_eq(lists[MC_CAT_NECESSARY].unclassified_count, 3);
    ck_assert_ptr_nonnull(strstr(lists[MC_CAT_NECESSARY].unclassified, "<code>aa_unknown</code>"));
    ck_assert_ptr_null(strstr(lists[MC_CAT_NECESSARY].list, "aa_unknown"));
    ck_assert_ptr_nonnull(strstr(lists[stats].list, "<code>_st_x</code>"));

    /* blocked, the unclassified ones are never set: not in the banner */
    decl = mc_declaration_make(test_pool, cats, rs, NULL, "consent");
    mc_declaration_treat(seen, MC_UNCLASSIFIED_BLOCK);
    mc_declaration_add_seen(test_pool, decl, seen);
    ck_assert_int_eq(listed(decl, MC_CAT_NECESSARY, "aa_unknown", NULL), 0);
    ck_assert_int_eq(mc_banner_cookie_lists(test_pool, decl)[MC_CAT_NECESSARY].unclassified_count,
                     0);
}
END_TEST


static const mc_locale_t *locale(const char *lang)
{
    const mc_builtin_file_t *f =
        mc_builtin_find(apr_pstrcat(test_pool, "locales/", lang, ".json", NULL));
    mc_locale_t *loc = NULL;
    const char *err = NULL;

    ck_assert_int_eq(mc_locale_parse(test_pool, f->data, f->len, lang, &loc, &err), MC_OK);
    return loc;
}

/* The markup of the banner's necessary category: from its switch to the next one. */
static const char *necessary_block(const char *html)
{
    const char *start = strstr(html, "id=\"mc-cat-necessary\"");
    const char *end = start ? strstr(start, "<div class=\"mc-cat\">") : NULL;

    ck_assert_ptr_nonnull(start);
    ck_assert_ptr_nonnull(end);
    return apr_pstrndup(test_pool, start, (apr_size_t)(end - start));
}

START_TEST(held_cookies_are_shown_apart_from_necessary)
{
    mc_categories_t *cats = mc_categories_make(test_pool);
    mc_ruleset_t *rs = catalogue();
    apr_array_header_t *decl = mc_declaration_make(test_pool, cats, rs, NULL, "consent");
    apr_array_header_t *seen = mc_declaration_seen(test_pool, cats, rs, NULL, "consent",
                                                   seen_list());
    mc_banner_opts_t o;
    const char *html, *box, *held, *let;
    int mark = 0;

    /* the default: persistent ones held, the session one let through */
    mc_declaration_add_seen(test_pool, decl, seen);
    ck_assert_int_eq(listed(decl, MC_CAT_NECESSARY, "aa_unknown", &mark), 1);
    ck_assert_int_eq(mark, MC_DECLARED_HELD);
    ck_assert_int_eq(listed(decl, MC_CAT_NECESSARY, "zz_unknown", &mark), 1);
    ck_assert_int_eq(mark, MC_DECLARED_LET_THROUGH);
    memset(&o, 0, sizeof(o));
    o.base_path = "/_consent";
    o.cookies = mc_banner_cookie_lists(test_pool, decl);
    ck_assert_int_eq(o.cookies[MC_CAT_NECESSARY].held_count, 2);
    ck_assert_int_eq(o.cookies[MC_CAT_NECESSARY].unclassified_count, 1);
    html = mc_banner_render(test_pool, locale("en"), cats, &o, NULL);
    /* not one of them under necessary, which names only the consent cookie */
    ck_assert_ptr_null(strstr(necessary_block(html), "unknown"));
    ck_assert_ptr_nonnull(strstr(necessary_block(html), "<code>consent</code>"));
    box = strstr(html, "mc-unclassified-box");
    ck_assert_ptr_nonnull(box);
    ck_assert_ptr_nonnull(strstr(box, "Cookies not yet classified (3)"));
    held = strstr(box, "<ul class=\"mc-unclassified mc-held\">");
    let = strstr(box, "<ul class=\"mc-unclassified\">");
    ck_assert_ptr_nonnull(held);
    ck_assert_ptr_nonnull(let);
    /* the held list names the persistent ones and says when they are stored */
    ck_assert_ptr_nonnull(strstr(held, "<code>aa_unknown</code>"));
    ck_assert(strstr(held, "<code>pref</code>") < let);
    ck_assert_ptr_nonnull(strstr(box, "They are stored only if you accept all"));
    ck_assert_ptr_nonnull(strstr(let, "<code>zz_unknown</code>"));
    /* in Nynorsk too */
    html = mc_banner_render(test_pool, locale("nn"), cats, &o, NULL);
    ck_assert_ptr_nonnull(strstr(html, "Informasjonskapslar som enno ikkje er klassifiserte (3)"));
}
END_TEST

START_TEST(unclassified_cookies_in_the_json_apart_with_their_treatment)
{
    mc_categories_t *cats = mc_categories_make(test_pool);
    mc_ruleset_t *rs = catalogue();
    apr_array_header_t *decl = mc_declaration_make(test_pool, cats, rs, NULL, "consent");
    apr_array_header_t *seen = mc_declaration_seen(test_pool, cats, rs, NULL, "consent",
                                                   seen_list());
    json_t *root, *list, *necessary = NULL;
    json_error_t jerr;
    size_t i;
    json_t *v;

    /* even when the banner's lists carry them, the categories do not */
    mc_declaration_add_seen(test_pool, decl, seen);
    root = json_loads(mc_declaration_json_seen(test_pool, decl, seen, cats, locale("en"), "1"), 0,
                      &jerr);
    ck_assert_ptr_nonnull(root);
    list = json_object_get(root, "unclassified");
    ck_assert_int_eq(json_array_size(list), 3);
    json_array_foreach (json_object_get(root, "categories"), i, v) {
        if (strcmp(json_string_value(json_object_get(v, "name")), "necessary") == 0)
            necessary = json_object_get(v, "cookies");
    }
    ck_assert_ptr_nonnull(necessary);
    json_array_foreach (necessary, i, v)
        ck_assert_ptr_null(strstr(json_string_value(json_object_get(v, "name")), "unknown"));
    v = json_array_get(list, 0);
    ck_assert_str_eq(json_string_value(json_object_get(v, "name")), "aa_unknown");
    ck_assert_str_eq(json_string_value(json_object_get(v, "domain")), "example.no");
    ck_assert_int_eq(json_integer_value(json_object_get(v, "lifetime")), 5);
    ck_assert(json_is_true(json_object_get(v, "persistent")));
    ck_assert_str_eq(json_string_value(json_object_get(v, "treatment")), "held");
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(v, "advice")),
                                 "ConsentCookieRule statistics aa_unknown"));
    v = json_array_get(list, 2);
    ck_assert_str_eq(json_string_value(json_object_get(v, "name")), "zz_unknown");
    ck_assert(json_is_false(json_object_get(v, "persistent")));
    ck_assert(json_is_null(json_object_get(v, "lifetime")));
    ck_assert_str_eq(json_string_value(json_object_get(v, "treatment")), "allowed");
    json_decref(root);

    mc_declaration_treat(seen, MC_UNCLASSIFIED_BLOCK);
    root = json_loads(mc_declaration_json_seen(test_pool, decl, seen, cats, locale("en"), "1"), 0,
                      &jerr);
    json_array_foreach (json_object_get(root, "unclassified"), i, v)
        ck_assert_str_eq(json_string_value(json_object_get(v, "treatment")), "blocked");
    json_decref(root);
}
END_TEST

START_TEST(the_admin_panel_lists_unclassified_cookies_and_the_directive)
{
    mc_categories_t *cats = mc_categories_make(test_pool);
    apr_array_header_t *seen = mc_declaration_seen(test_pool, cats, catalogue(), NULL, "consent",
                                                   seen_list());
    const char *html = mc_admin_panel(test_pool, locale("en"), cats, seen);
    const char *row = strstr(html, "<code>aa_unknown</code>");

    ck_assert_ptr_nonnull(strstr(html, "For the site&#39;s administrator"));
    ck_assert_ptr_nonnull(row);
    ck_assert_ptr_nonnull(strstr(row, "Persistent (5 seconds)"));
    ck_assert_ptr_nonnull(strstr(row, "Held until the visitor accepts all"));
    ck_assert_ptr_nonnull(strstr(html, "<code>zz_unknown</code></td><td>example.no</td><td>"
                                       "Session</td><td class=\"mc-admin-allowed\">"));
    /* classified cookies are not in it */
    ck_assert_ptr_null(strstr(html, "<code>_st</code>"));
    ck_assert_ptr_nonnull(strstr(html, "ConsentCookieRule CATEGORY aa_unknown\n"
                                       "ConsentCookieRule CATEGORY pref\n"
                                       "ConsentCookieRule CATEGORY zz_unknown</code>"));
    ck_assert_ptr_nonnull(strstr(html, "<code>statistics</code>"));
    /* nothing to classify: said so */
    html = mc_admin_panel(test_pool, locale("nn"), cats, NULL);
    ck_assert_ptr_nonnull(strstr(html, "Alle informasjonskapslane som nettstaden set"));
    ck_assert_ptr_null(strstr(html, "<table"));
}
END_TEST

Suite *seen_suite(void)
{
    Suite *s = suite_create("seen");
    TCase *tc = tcase_create("seen");

    tcase_add_checked_fixture(tc, unit_pool_setup, unit_pool_teardown);
    tcase_add_test(tc, init_refuses_too_small_a_block);
    tcase_add_test(tc, a_cookie_is_recorded_once_with_the_longest_lifetime);
    tcase_add_test(tc, a_persistent_lifetime_beats_a_session);
    tcase_add_test(tc, site_name_and_domain_make_the_key);
    tcase_add_test(tc, the_generation_grows_only_with_new_names);
    tcase_add_test(tc, bad_names_are_refused);
    tcase_add_test(tc, a_full_table_refuses_new_names_and_keeps_the_old);
    tcase_add_test(tc, a_stale_entry_makes_room);
    tcase_add_test(tc, merge_adds_up_two_tables);
    tcase_add_test(tc, serialise_and_parse_round_trip);
    tcase_add_test(tc, a_damaged_file_is_refused_whole);
    tcase_add_test(tc, a_saved_table_larger_than_the_capacity_keeps_what_fits);
    tcase_add_test(tc, lifetimes_from_max_age_and_expires);
    tcase_add_test(tc, seen_cookies_are_classified_and_sorted);
    tcase_add_test(tc, seen_cookies_in_the_json);
    tcase_add_test(tc, seen_cookies_join_the_banner_lists_once);
    tcase_add_test(tc, held_cookies_are_shown_apart_from_necessary);
    tcase_add_test(tc, unclassified_cookies_in_the_json_apart_with_their_treatment);
    tcase_add_test(tc, the_admin_panel_lists_unclassified_cookies_and_the_directive);
    suite_add_tcase(s, tc);
    return s;
}
