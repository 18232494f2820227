/* The cookie declaration: what a privacy page's cookie table lists, per
 * category, and the JSON it is served as. */
#include <apr_strings.h>
#include <jansson.h>
#include <string.h>

#include "builtin.h"
#include "category.h"
#include "declaration.h"
#include "locale.h"
#include "rules.h"
#include "unit.h"

/* --- fixtures ------------------------------------------------------------------------ */

static mc_categories_t *categories(void)
{
    mc_categories_t *cats = mc_categories_make(test_pool);
    const char *err = NULL;

    ck_assert_int_eq(mc_categories_add(cats, "chat", 0, &err), MC_OK);
    ck_assert_int_eq(mc_categories_add(cats, "security", 1, &err), MC_OK);
    return cats;
}

static void load(mc_ruleset_t *rs, const char *json, const char *source)
{
    const char *err = NULL;

    ck_assert_msg(mc_ruleset_load_json(rs, json, strlen(json), source, &err) == MC_OK, "%s", err);
}

/* The shipped catalogue. */
static mc_ruleset_t *shipped_rules(void)
{
    const mc_builtin_file_t *f = mc_builtin_find("rules/default.json");
    mc_ruleset_t *rs = mc_ruleset_make(test_pool);
    const char *err = NULL;

    ck_assert_int_eq(mc_ruleset_load_json(rs, f->data, f->len, "default", &err), MC_OK);
    return rs;
}

/* A directory's rules, as ConsentCookieRule and ConsentScriptRule keep them. */
static apr_array_header_t *scope_rules(void)
{
    apr_array_header_t *rules = apr_array_make(test_pool, 4, sizeof(mc_rule_t));
    mc_ruleset_t *rs = mc_ruleset_make(test_pool);
    const char *err = NULL;

    ck_assert_int_eq(mc_ruleset_add(rs, MC_RULE_COOKIE, "chat", "chat_session", "conf:1", &err),
                     MC_OK);
    ck_assert_int_eq(mc_ruleset_add(rs, MC_RULE_URL, "chat", "chat.example.com", "conf:2", &err),
                     MC_OK);
    ck_assert_int_eq(mc_ruleset_add(rs, MC_RULE_COOKIE, "chat", "~^chat_[0-9]+$", "conf:3", &err),
                     MC_OK);
    *(mc_rule_t *)apr_array_push(rules) = APR_ARRAY_IDX(rs->rules[MC_RULE_COOKIE], 0, mc_rule_t);
    *(mc_rule_t *)apr_array_push(rules) = APR_ARRAY_IDX(rs->rules[MC_RULE_URL], 0, mc_rule_t);
    *(mc_rule_t *)apr_array_push(rules) = APR_ARRAY_IDX(rs->rules[MC_RULE_COOKIE], 1, mc_rule_t);
    return rules;
}

static const mc_locale_t *shipped_locale(const char *lang)
{
    const char *name = apr_pstrcat(test_pool, "locales/", lang, ".json", NULL);
    const mc_builtin_file_t *f = mc_builtin_find(name);
    mc_locale_t *loc = NULL;
    const char *err = NULL;

    ck_assert_int_eq(mc_locale_parse(test_pool, f->data, f->len, name, &loc, &err), MC_OK);
    return loc;
}

static const mc_declared_category_t *category(const apr_array_header_t *decl, const char *name)
{
    for (int i = 0; i < decl->nelts; i++) {
        const mc_declared_category_t *c = &APR_ARRAY_IDX(decl, i, mc_declared_category_t);
        if (strcmp(c->name, name) == 0)
            return c;
    }
    ck_abort_msg("no category %s", name);
    return NULL;
}

/* The cookie NAME of category CAT, or NULL; it must be listed at most once. */
static const mc_declared_cookie_t *cookie(const mc_declared_category_t *cat, const char *name)
{
    const mc_declared_cookie_t *found = NULL;

    for (int i = 0; i < cat->cookies->nelts; i++) {
        const mc_declared_cookie_t *c = &APR_ARRAY_IDX(cat->cookies, i, mc_declared_cookie_t);
        if (strcmp(c->name, name) != 0)
            continue;
        ck_assert_msg(!found, "%s lists %s twice", cat->name, name);
        found = c;
    }
    return found;
}

static int has_service(const mc_declared_category_t *cat, const char *name)
{
    int n = 0;

    for (int i = 0; i < cat->services->nelts; i++)
        n += strcmp(APR_ARRAY_IDX(cat->services, i, const mc_service_t *)->name, name) == 0;
    ck_assert_msg(n <= 1, "%s lists service %s %d times", cat->name, name, n);
    return n;
}

static apr_array_header_t *shipped_declaration(void)
{
    return mc_declaration_make(test_pool, categories(), shipped_rules(), scope_rules(), "consent");
}

static json_t *parsed(const char *text)
{
    json_error_t error;
    json_t *root;

    ck_assert_ptr_nonnull(text);
    root = json_loads(text, 0, &error);
    ck_assert_msg(root != NULL, "not JSON: %s", error.text);
    return root;
}

/* The JSON object of category NAME. */
static json_t *json_category(json_t *root, const char *name)
{
    size_t i;
    json_t *c;

    json_array_foreach (json_object_get(root, "categories"), i, c) {
        if (strcmp(json_string_value(json_object_get(c, "name")), name) == 0)
            return c;
    }
    ck_abort_msg("no category %s in the JSON", name);
    return NULL;
}

/* --- what is listed ---------------------------------------------------------------- */

START_TEST(every_category_in_order_necessary_first)
{
    apr_array_header_t *decl = shipped_declaration();
    static const char *const names[] = {"necessary", "preferences", "statistics",
                                        "marketing", "chat",        "security"};
    static const int required[] = {1, 0, 0, 0, 0, 1};

    ck_assert_int_eq(decl->nelts, 6);
    for (int i = 0; i < 6; i++) {
        const mc_declared_category_t *c = &APR_ARRAY_IDX(decl, i, mc_declared_category_t);
        ck_assert_str_eq(c->name, names[i]);
        ck_assert_int_eq(c->required, required[i]);
    }
}
END_TEST

START_TEST(catalogue_cookies_under_their_category_with_service_and_vendor)
{
    apr_array_header_t *decl = shipped_declaration();
    const mc_declared_cookie_t *ga = cookie(category(decl, "statistics"), "_ga");
    const mc_declared_cookie_t *fbp = cookie(category(decl, "marketing"), "_fbp");
    const mc_declared_cookie_t *php = cookie(category(decl, "necessary"), "PHPSESSID");

    ck_assert_ptr_nonnull(ga);
    ck_assert_str_eq(ga->service, "Google Analytics");
    ck_assert_str_eq(ga->vendor, "Google");
    ck_assert_int_eq(ga->pattern, 0);
    ck_assert_ptr_nonnull(fbp);
    ck_assert_str_eq(fbp->service, "Meta Pixel");
    ck_assert_ptr_nonnull(php);
    ck_assert_ptr_null(cookie(category(decl, "marketing"), "_ga"));
}
END_TEST

START_TEST(globs_and_regexes_are_marked_as_patterns)
{
    apr_array_header_t *decl = shipped_declaration();
    const mc_declared_cookie_t *glob = cookie(category(decl, "statistics"), "_ga_*");
    const mc_declared_cookie_t *drupal =
        cookie(category(decl, "necessary"), "^S?SESS[0-9a-f]{32}$");

    ck_assert_ptr_nonnull(glob);
    ck_assert_int_eq(glob->pattern, 1);
    ck_assert_str_eq(glob->service, "Google Analytics");
    /* a regex without its '~' */
    ck_assert_ptr_nonnull(drupal);
    ck_assert_int_eq(drupal->pattern, 1);
    ck_assert_ptr_null(cookie(category(decl, "necessary"), "~^S?SESS[0-9a-f]{32}$"));
}
END_TEST

START_TEST(the_consent_cookie_comes_first_under_necessary)
{
    mc_ruleset_t *rs = shipped_rules();
    apr_array_header_t *decl;
    const mc_declared_cookie_t *first;
    const char *err = NULL;

    /* a rule naming it is left out: the module always lets it through */
    ck_assert_int_eq(mc_ruleset_add(rs, MC_RULE_COOKIE, "marketing", "mc_consent", "x", &err),
                     MC_OK);
    decl = mc_declaration_make(test_pool, categories(), rs, NULL, "mc_consent");
    first = &APR_ARRAY_IDX(category(decl, "necessary")->cookies, 0, mc_declared_cookie_t);
    ck_assert_str_eq(first->name, "mc_consent");
    ck_assert_str_eq(first->service, MC_DECLARATION_OWN_SERVICE);
    ck_assert_ptr_null(first->vendor);
    ck_assert_int_eq(first->pattern, 0);
    ck_assert_ptr_nonnull(cookie(category(decl, "necessary"), "mc_consent"));
    ck_assert_ptr_null(cookie(category(decl, "marketing"), "mc_consent"));
}
END_TEST

START_TEST(the_scopes_cookie_rules_are_listed_without_a_service)
{
    apr_array_header_t *decl = shipped_declaration();
    const mc_declared_category_t *chat = category(decl, "chat");
    const mc_declared_cookie_t *session = cookie(chat, "chat_session");
    const mc_declared_cookie_t *numbered = cookie(chat, "^chat_[0-9]+$");

    ck_assert_ptr_nonnull(session);
    ck_assert_ptr_null(session->service);
    ck_assert_ptr_null(session->vendor);
    ck_assert_int_eq(session->pattern, 0);
    ck_assert_ptr_nonnull(numbered);
    ck_assert_int_eq(numbered->pattern, 1);
    /* a URL rule is not a cookie */
    ck_assert_int_eq(chat->cookies->nelts, 2);
    ck_assert_int_eq(category(decl, "security")->cookies->nelts, 0);
}
END_TEST

START_TEST(a_later_rule_for_the_same_pattern_moves_it)
{
    mc_ruleset_t *rs = shipped_rules();
    apr_array_header_t *scope = apr_array_make(test_pool, 1, sizeof(mc_rule_t));
    mc_ruleset_t *directive = mc_ruleset_make(test_pool);
    apr_array_header_t *decl;
    const char *err = NULL;

    /* "ConsentCookieRule preferences _ga": it is what counts for _ga now */
    ck_assert_int_eq(mc_ruleset_add(directive, MC_RULE_COOKIE, "preferences", "_ga", "c", &err),
                     MC_OK);
    *(mc_rule_t *)apr_array_push(scope) =
        APR_ARRAY_IDX(directive->rules[MC_RULE_COOKIE], 0, mc_rule_t);
    decl = mc_declaration_make(test_pool, categories(), rs, scope, "consent");
    ck_assert_ptr_null(cookie(category(decl, "statistics"), "_ga"));
    ck_assert_ptr_nonnull(cookie(category(decl, "preferences"), "_ga"));
    ck_assert_ptr_nonnull(cookie(category(decl, "statistics"), "_ga_*"));
}
END_TEST

START_TEST(services_with_cookie_or_url_rules_under_their_category)
{
    apr_array_header_t *decl = shipped_declaration();

    ck_assert(has_service(category(decl, "statistics"), "Google Analytics"));
    /* URL rules only */
    ck_assert(has_service(category(decl, "statistics"), "Google Tag Manager"));
    ck_assert(has_service(category(decl, "marketing"), "Meta Pixel"));
    ck_assert(has_service(category(decl, "necessary"), "PHP session"));
    ck_assert(!has_service(category(decl, "marketing"), "Google Analytics"));
}
END_TEST

START_TEST(services_without_rules_and_redefinitions)
{
    mc_ruleset_t *rs = mc_ruleset_make(test_pool);
    apr_array_header_t *decl;
    const mc_declared_category_t *stats;

    load(rs,
         "{\"services\":[{\"name\":\"Inline only\",\"category\":\"statistics\","
         "\"inline\":[\"track\\\\(\"]},"
         "{\"name\":\"Counter\",\"category\":\"statistics\",\"vendor\":\"Old AS\","
         "\"cookies\":[\"cnt\",\"cnt\"]}]}",
         "first");
    load(rs,
         "{\"services\":[{\"name\":\"Counter\",\"category\":\"statistics\",\"vendor\":\"New AS\","
         "\"cookies\":[\"cnt\"]}]}",
         "second");
    decl = mc_declaration_make(test_pool, categories(), rs, NULL, "consent");
    stats = category(decl, "statistics");
    ck_assert(!has_service(stats, "Inline only"));
    ck_assert(has_service(stats, "Counter"));
    ck_assert_str_eq(APR_ARRAY_IDX(stats->services, 0, const mc_service_t *)->vendor, "New AS");
    ck_assert_int_eq(stats->cookies->nelts, 1);
    ck_assert_str_eq(cookie(stats, "cnt")->vendor, "New AS");
}
END_TEST

/* --- the JSON ------------------------------------------------------------------------ */

START_TEST(the_json_has_the_documented_shape)
{
    json_t *root =
        parsed(mc_declaration_json(test_pool, shipped_declaration(), shipped_locale("nb"), "7"));
    json_t *stats = json_category(root, "statistics");
    json_t *ga = json_array_get(json_object_get(stats, "cookies"), 0);
    json_t *svc = json_array_get(json_object_get(stats, "services"), 0);
    const char *key;
    json_t *value;
    static const char *const top[] = {"policy", "lang",    "categories",
                                      "seen",   "blocked", "unclassified"};
    static const char *const cat_keys[] = {"name",     "title",   "description",
                                           "required", "cookies", "services"};
    size_t i = 0;

    json_object_foreach (root, key, value)
        ck_assert_str_eq(key, top[i++]);
    ck_assert_uint_eq(i, 6);
    i = 0;
    json_object_foreach (stats, key, value)
        ck_assert_str_eq(key, cat_keys[i++]);
    ck_assert_str_eq(json_string_value(json_object_get(root, "policy")), "7");
    ck_assert_str_eq(json_string_value(json_object_get(root, "lang")), "nb");
    ck_assert(json_is_array(json_object_get(root, "seen")));
    ck_assert_uint_eq(json_array_size(json_object_get(root, "seen")), 0);
    ck_assert_str_eq(json_string_value(json_object_get(stats, "title")), "Statistikk");
    ck_assert(json_is_false(json_object_get(stats, "required")));
    ck_assert(json_is_true(json_object_get(json_category(root, "necessary"), "required")));
    ck_assert_str_eq(json_string_value(json_object_get(ga, "name")), "_ga");
    ck_assert_str_eq(json_string_value(json_object_get(ga, "service")), "Google Analytics");
    ck_assert_str_eq(json_string_value(json_object_get(ga, "vendor")), "Google");
    ck_assert(json_is_false(json_object_get(ga, "pattern")));
    ck_assert_str_eq(json_string_value(json_object_get(svc, "name")), "Google Analytics");
    ck_assert_str_eq(json_string_value(json_object_get(svc, "privacy")),
                     "https://policies.google.com/privacy");
    ck_assert_ptr_nonnull(
        strstr(json_string_value(json_object_get(svc, "description")), "besøkende"));
    json_decref(root);
}
END_TEST

START_TEST(unknown_things_are_null_in_the_json)
{
    json_t *root =
        parsed(mc_declaration_json(test_pool, shipped_declaration(), shipped_locale("en"), "1"));
    json_t *chat = json_category(root, "chat");
    json_t *session = json_array_get(json_object_get(chat, "cookies"), 0);
    json_t *own = json_array_get(json_object_get(json_category(root, "necessary"), "cookies"), 0);

    /* an admin's category without texts shows its name, as the banner does */
    ck_assert_str_eq(json_string_value(json_object_get(chat, "title")), "chat");
    ck_assert(json_is_null(json_object_get(chat, "description")));
    ck_assert_str_eq(json_string_value(json_object_get(session, "name")), "chat_session");
    ck_assert(json_is_null(json_object_get(session, "service")));
    ck_assert(json_is_null(json_object_get(session, "vendor")));
    ck_assert_str_eq(json_string_value(json_object_get(own, "name")), "consent");
    ck_assert_str_eq(json_string_value(json_object_get(own, "service")), "mod_consent");
    ck_assert_uint_eq(json_array_size(json_object_get(chat, "services")), 0);
    json_decref(root);
}
END_TEST

START_TEST(texts_follow_the_locale_and_its_language)
{
    mc_text_t t[] = {{"category.chat.title", "Chat with us"},
                     {"category.statistics.title", "Visitor statistics"}};
    mc_locale_t *loc = NULL;
    const char *err = NULL;
    json_t *root, *svc;

    ck_assert_int_eq(mc_locale_derive(test_pool, shipped_locale("en"), "en-GB", t, 2, &loc, &err),
                     MC_OK);
    root = parsed(mc_declaration_json(test_pool, shipped_declaration(), loc, "1"));
    ck_assert_str_eq(json_string_value(json_object_get(root, "lang")), "en-gb");
    ck_assert_str_eq(json_string_value(json_object_get(json_category(root, "chat"), "title")),
                     "Chat with us");
    ck_assert_str_eq(json_string_value(json_object_get(json_category(root, "statistics"), "title")),
                     "Visitor statistics");
    /* the catalogue has "en": the primary subtag of en-gb */
    svc = json_array_get(json_object_get(json_category(root, "statistics"), "services"), 0);
    ck_assert_ptr_nonnull(
        strstr(json_string_value(json_object_get(svc, "description")), "Measures how"));
    json_decref(root);
}
END_TEST

Suite *declaration_suite(void)
{
    Suite *s = suite_create("declaration");
    TCase *listed = tcase_create("listed");
    TCase *json = tcase_create("json");

    tcase_add_checked_fixture(listed, unit_pool_setup, unit_pool_teardown);
    tcase_add_test(listed, every_category_in_order_necessary_first);
    tcase_add_test(listed, catalogue_cookies_under_their_category_with_service_and_vendor);
    tcase_add_test(listed, globs_and_regexes_are_marked_as_patterns);
    tcase_add_test(listed, the_consent_cookie_comes_first_under_necessary);
    tcase_add_test(listed, the_scopes_cookie_rules_are_listed_without_a_service);
    tcase_add_test(listed, a_later_rule_for_the_same_pattern_moves_it);
    tcase_add_test(listed, services_with_cookie_or_url_rules_under_their_category);
    tcase_add_test(listed, services_without_rules_and_redefinitions);
    suite_add_tcase(s, listed);

    tcase_add_checked_fixture(json, unit_pool_setup, unit_pool_teardown);
    tcase_add_test(json, the_json_has_the_documented_shape);
    tcase_add_test(json, unknown_things_are_null_in_the_json);
    tcase_add_test(json, texts_follow_the_locale_and_its_language);
    suite_add_tcase(s, json);
    return s;
}
