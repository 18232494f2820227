/* The services a site uses: which, with what cookies and lifetimes, the
 * declaration narrowed to them (JSON and page), and what the banner's two
 * layers say of them. */
#include <apr_strings.h>
#include <jansson.h>
#include <string.h>

#include "banner.h"
#include "builtin.h"
#include "category.h"
#include "declaration.h"
#include "declhtml.h"
#include "inuse.h"
#include "locale.h"
#include "rules.h"
#include "unit.h"
#include "used.h"

#define SITE "klinikk.test:443"

static mc_categories_t *categories(void)
{
    return mc_categories_make(test_pool);
}

static mc_ruleset_t *shipped_rules(void)
{
    const mc_builtin_file_t *f = mc_builtin_find("rules/default.json");
    mc_ruleset_t *rs = mc_ruleset_make(test_pool);
    const char *err = NULL;

    ck_assert_int_eq(mc_ruleset_load_json(rs, f->data, f->len, "default", &err), MC_OK);
    return rs;
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

/* In use: YouTube and the Pixel from page elements; GA and Drupal from
 * cookies the site set (_ga_ABC by the "_ga_*" glob, a Drupal session by
 * the catalogue's regex). */
typedef struct fixture {
    mc_categories_t *cats;
    mc_ruleset_t *rules;
    apr_array_header_t *inuse;
    apr_array_header_t *seen;
} fixture_t;

static fixture_t site(void)
{
    fixture_t f;
    size_t size = mc_inuse_size(8), seen_size = mc_seen_size(8);
    mc_inuse_table_t *t = mc_inuse_init(apr_palloc(test_pool, size), size, 8);
    mc_seen_table_t *s = mc_seen_init(apr_palloc(test_pool, seen_size), seen_size, 8);
    mc_seen_cookie_t ga = {SITE, "_ga_ABC123", "klinikk.test", 63072000, 100, 200};
    mc_seen_cookie_t gid = {SITE, "_gid", "klinikk.test", 86400, 150, 300};
    mc_seen_cookie_t drupal = {
        SITE, "SSESS0123456789abcdef0123456789abcdef", "klinikk.test", MC_SEEN_SESSION, 100, 200};

    f.cats = categories();
    f.rules = shipped_rules();
    mc_inuse_record(t, SITE, "youtube", MC_INUSE_ELEMENT, 100);
    mc_inuse_record(t, SITE, "google-analytics", MC_INUSE_ELEMENT, 50);
    mc_inuse_record(t, SITE, "meta-pixel", MC_INUSE_ELEMENT | MC_INUSE_CSP, 100);
    mc_inuse_record(t, SITE, "no-such-service", MC_INUSE_CSP, 100);
    mc_inuse_record(t, "other:80", "tiktok-pixel", MC_INUSE_ELEMENT, 100);
    f.inuse = mc_inuse_list(test_pool, t, SITE);
    mc_seen_record(s, &ga);
    mc_seen_record(s, &gid);
    mc_seen_record(s, &drupal);
    f.seen = mc_declaration_seen(test_pool, f.cats, f.rules, NULL, "consent",
                                 mc_seen_list(test_pool, s, SITE));
    return f;
}

static const mc_used_service_t *used_at(const apr_array_header_t *used, int i)
{
    return APR_ARRAY_IDX(used, i, const mc_used_service_t *);
}

static const mc_used_cookie_t *used_cookie(const mc_used_service_t *u, const char *name)
{
    for (int i = 0; i < u->cookies->nelts; i++) {
        const mc_used_cookie_t *c = &APR_ARRAY_IDX(u->cookies, i, mc_used_cookie_t);
        if (strcmp(c->name, name) == 0)
            return c;
    }
    return NULL;
}

START_TEST(only_the_services_seen_are_used)
{
    fixture_t f = site();
    apr_array_header_t *used = mc_used_services(test_pool, f.cats, f.rules, f.inuse, f.seen, "nn");
    const mc_used_service_t *ga;

    /* category order, then name: necessary, statistics, marketing */
    ck_assert_int_eq(used->nelts, 4);
    ck_assert_str_eq(used_at(used, 0)->id, "drupal");
    ck_assert_str_eq(used_at(used, 1)->id, "google-analytics");
    ck_assert_str_eq(used_at(used, 2)->id, "meta-pixel");
    ck_assert_str_eq(used_at(used, 3)->id, "youtube");
    ck_assert_uint_eq(used_at(used, 2)->how, MC_INUSE_ELEMENT | MC_INUSE_CSP);
    ga = used_at(used, 1);
    /* one entry, whether seen by a page element or by two of its cookies */
    ck_assert_uint_eq(ga->how, MC_INUSE_COOKIE | MC_INUSE_ELEMENT);
    ck_assert_int_eq(ga->first_seen, 50);
    ck_assert_int_eq(ga->last_seen, 300);
    ck_assert_int_eq(used_cookie(ga, "_ga")->lifetime, 2 * 365 * 86400);
    ck_assert_int_eq(used_cookie(ga, "_ga")->seen, 0);
    ck_assert_int_eq(used_cookie(ga, "_ga_*")->seen, 1);
    ck_assert_str_eq(used_cookie(ga, "_ga_*")->seen_name, "_ga_ABC123");
    ck_assert_ptr_nonnull(used_cookie(ga, "_ga")->purpose);
    ck_assert_str_eq(used_cookie(ga, "_ga")->purpose,
                     "Skil besøkjande frå kvarandre, slik at besøk kan teljast.");
    /* a regex is never shown: the name it classified is */
    ck_assert_ptr_null(used_cookie(used_at(used, 0), "~^S?SESS[0-9a-f]{32}$"));
    ck_assert_int_eq(
        used_cookie(used_at(used, 0), "SSESS0123456789abcdef0123456789abcdef")->lifetime,
        MC_LIFETIME_SESSION);
}
END_TEST

START_TEST(periods_read_as_words)
{
    ck_assert_str_eq(mc_period_text(test_pool, 2 * 365 * 86400, "nb"), "2 år");
    ck_assert_str_eq(mc_period_text(test_pool, 390 * 86400, "en"), "13 months");
    ck_assert_str_eq(mc_period_text(test_pool, 15552000, "nn"), "6 månader");
    ck_assert_str_eq(mc_period_text(test_pool, 15552000, "nb-NO"), "6 måneder");
    ck_assert_str_eq(mc_period_text(test_pool, 90 * 86400, "nn"), "90 dagar");
    ck_assert_str_eq(mc_period_text(test_pool, 86400, "en"), "1 day");
    ck_assert_str_eq(mc_period_text(test_pool, 1800, "nb"), "30 minutter");
    ck_assert_str_eq(mc_period_text(test_pool, 60, "de"), "1 minute");
    ck_assert_str_eq(mc_period_text(test_pool, MC_LIFETIME_SESSION, "nn"),
                     "til nettlesaren blir lukka");
    ck_assert_ptr_null(mc_period_text(test_pool, MC_LIFETIME_UNKNOWN, "en"));
}
END_TEST

START_TEST(recipients_are_the_vendors_of_optional_services)
{
    fixture_t f = site();
    apr_array_header_t *used = mc_used_services(test_pool, f.cats, f.rules, f.inuse, f.seen, "en");
    int outside = 0;

    /* Drupal is necessary: no one receives data by consent there */
    ck_assert_str_eq(mc_used_recipients(test_pool, used, f.cats, &outside), "Google, Meta");
    ck_assert_int_eq(outside, 1);
    ck_assert_ptr_null(mc_used_recipients(test_pool, NULL, f.cats, &outside));
    ck_assert_int_eq(outside, 0);
}
END_TEST

static json_t *find_by(json_t *list, const char *key, const char *value)
{
    for (size_t i = 0; i < json_array_size(list); i++) {
        json_t *o = json_array_get(list, i);
        if (strcmp(json_string_value(json_object_get(o, key)), value) == 0)
            return o;
    }
    return NULL;
}

START_TEST(declaration_json_lists_only_services_in_use_with_their_facts)
{
    fixture_t f = site();
    apr_array_header_t *decl = mc_declaration_make(test_pool, f.cats, f.rules, NULL, "consent");
    apr_array_header_t *used = mc_used_services(test_pool, f.cats, f.rules, f.inuse, f.seen, "en");
    char *text = mc_declaration_json_used(test_pool, decl, f.seen, NULL, used, f.cats,
                                          shipped_locale("en"), "1");
    json_error_t jerr;
    json_t *root = json_loads(text, 0, &jerr), *cats, *marketing, *yt, *necessary;

    ck_assert_ptr_nonnull(root);
    ck_assert_str_eq(json_string_value(json_object_get(root, "recipients")), "Google, Meta");
    ck_assert(json_is_true(json_object_get(root, "outside_eea")));
    cats = json_object_get(root, "categories");
    marketing = find_by(cats, "name", "marketing");
    ck_assert_int_eq(json_array_size(json_object_get(marketing, "services")), 2);
    yt = find_by(json_object_get(marketing, "services"), "name", "YouTube");
    ck_assert_ptr_nonnull(yt);
    ck_assert_str_eq(json_string_value(json_object_get(yt, "id")), "youtube");
    ck_assert_str_eq(json_string_value(json_object_get(yt, "entity")), "Google Ireland Limited");
    ck_assert(json_is_true(json_object_get(yt, "outside_eea")));
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(yt, "seen_by"), 0)),
                     "element");
    ck_assert(json_is_true(
        json_object_get(find_by(json_object_get(yt, "cookies"), "name", "YSC"), "session")));
    /* cookies of services not in use are not declared; nor is a regex */
    ck_assert_ptr_null(find_by(json_object_get(marketing, "cookies"), "name", "_ttp"));
    ck_assert_ptr_nonnull(find_by(json_object_get(marketing, "cookies"), "name", "YSC"));
    necessary = find_by(cats, "name", "necessary");
    ck_assert_ptr_null(find_by(json_object_get(necessary, "cookies"), "name", "PHPSESSID"));
    ck_assert_ptr_null(
        find_by(json_object_get(necessary, "cookies"), "name", "^S?SESS[0-9a-f]{32}$"));
    ck_assert_ptr_nonnull(find_by(json_object_get(necessary, "cookies"), "name",
                                  "SSESS0123456789abcdef0123456789abcdef"));
    ck_assert_ptr_null(strstr(text, "TikTok"));
    json_decref(root);
}
END_TEST

START_TEST(declaration_page_is_a_table_per_category_of_services_in_use)
{
    fixture_t f = site();
    apr_array_header_t *decl = mc_declaration_make(test_pool, f.cats, f.rules, NULL, "consent");
    apr_array_header_t *used = mc_used_services(test_pool, f.cats, f.rules, f.inuse, f.seen, "nb");
    mc_declaration_page_t page = {"<link rel=\"stylesheet\" href=\"/c.css\">",
                                  "/personvern?a=1&b=2", "/_consent/settings"};
    char *html;

    mc_declaration_add_seen(test_pool, decl, f.seen);
    mc_declaration_only_used(test_pool, decl, used, f.seen);
    html = mc_declaration_html(test_pool, decl, used, f.cats, shipped_locale("nb"), &page);
    ck_assert_ptr_nonnull(strstr(html, "<html lang=\"nb\">"));
    ck_assert_ptr_nonnull(
        strstr(html, "<h1 class=\"mc-page-title\">Informasjonskapsler og tjenester"));
    ck_assert_ptr_nonnull(strstr(html, "<th scope=\"row\" data-label=\"Tjeneste\">YouTube "
                                       "<span class=\"mc-decl-vendor\">(Google)</span></th>"));
    ck_assert_ptr_nonnull(strstr(html, "data-label=\"Utenfor EØS\">Ja (IE, US)"));
    ck_assert_ptr_nonnull(strstr(html, "<code>_ga</code>: 2 år"));
    ck_assert_ptr_nonnull(strstr(html, "Mottakere ved samtykke: Google, Meta"));
    ck_assert_ptr_nonnull(strstr(html, "href=\"/personvern?a=1&amp;b=2\""));
    /* preferences has no service in use */
    ck_assert_ptr_nonnull(strstr(html, "Ingen tjenester i denne kategorien."));
    ck_assert_ptr_null(strstr(html, "TikTok"));
    ck_assert_ptr_null(strstr(html, "style="));
    ck_assert_ptr_null(strstr(html, "S?SESS"));
}
END_TEST

static char *banner(const fixture_t *f, const char *lang, int decided, mc_catmask_t granted,
                    int with_services)
{
    const mc_locale_t *loc = shipped_locale(lang);
    apr_array_header_t *used =
        mc_used_services(test_pool, f->cats, f->rules, f->inuse, f->seen, lang);
    mc_banner_opts_t o;

    memset(&o, 0, sizeof(o));
    o.base_path = "/_consent";
    o.decided = decided;
    o.granted = granted;
    o.max_age = 15552000;
    if (with_services) {
        o.services = mc_banner_service_lists(test_pool, used, f->cats, loc);
        o.recipients = mc_used_recipients(test_pool, used, f->cats, &o.outside_eea);
    }
    return mc_banner_render(test_pool, loc, f->cats, &o, NULL);
}

START_TEST(first_layer_names_the_recipients_outside_the_eea_and_the_retention)
{
    fixture_t f = site();
    char *nn = banner(&f, "nn", 0, 0, 1), *en = banner(&f, "en", 0, 0, 1);
    char *fresh = banner(&f, "nb", 0, 0, 0);

    ck_assert_ptr_nonnull(strstr(nn, "<p id=\"mc-recipients\" class=\"mc-recipients\">Mottakarar "
                                     "av opplysningar om besøket ditt om du samtykkjer: Google, "
                                     "Meta. Nokre av dei behandlar opplysningar utanfor EØS. Vi "
                                     "hugsar valet ditt i 6 månader"));
    ck_assert_ptr_nonnull(strstr(en, "if you consent: Google, Meta. Some of them process data "
                                     "outside the EEA. We keep your choice for 6 months"));
    /* nothing seen yet: no names, no claim about the EEA */
    ck_assert_ptr_nonnull(strstr(fresh, "Hvis du samtykker, kan selskapene bak tjenestene"));
    ck_assert_ptr_null(strstr(fresh, "EØS"));
    ck_assert_ptr_nonnull(strstr(fresh, "i 6 måneder"));
}
END_TEST

/* Under a category that lists its services, the category's own cookie
 * list holds the rest and says so, not a second "Cookies". */
START_TEST(a_category_with_services_heads_its_other_cookies_apart)
{
    fixture_t f = site();
    const mc_locale_t *loc = shipped_locale("en");
    apr_array_header_t *used = mc_used_services(test_pool, f.cats, f.rules, f.inuse, f.seen, "en");
    apr_array_header_t *decl = mc_declaration_make(test_pool, f.cats, f.rules, NULL, "consent");
    mc_banner_opts_t o;
    const char *html;

    memset(&o, 0, sizeof(o));
    o.base_path = "/_consent";
    o.cookies = mc_banner_cookie_lists(test_pool, decl);
    html = mc_banner_render(test_pool, loc, f.cats, &o, NULL);
    ck_assert_ptr_nonnull(strstr(html, "<details class=\"mc-cookies\"><summary>Cookies ("));
    ck_assert_ptr_null(strstr(html, "Other cookies"));
    o.services = mc_banner_service_lists(test_pool, used, f.cats, loc);
    html = mc_banner_render(test_pool, loc, f.cats, &o, NULL);
    /* necessary lists Drupal, so the consent cookie is among the others */
    ck_assert_ptr_nonnull(strstr(html, "<details class=\"mc-cookies\"><summary>Other cookies ("));
    ck_assert_ptr_nonnull(strstr(html, "<details class=\"mc-service-cookies\"><summary>Cookies ("));
}
END_TEST

/* A service granted on its own shows ticked on the server-rendered
 * second layer (the settings page, a page without JavaScript): saving the
 * form as shown keeps it; and refusing is then a withdrawal. */
START_TEST(a_service_granted_alone_shows_ticked_and_refusal_withdraws_it)
{
    fixture_t f = site();
    const mc_locale_t *loc = shipped_locale("en");
    apr_array_header_t *used = mc_used_services(test_pool, f.cats, f.rules, f.inuse, f.seen, "en");
    apr_array_header_t *ids = apr_array_make(test_pool, 2, sizeof(const char *));
    mc_banner_opts_t o;
    const char *html;

    memset(&o, 0, sizeof(o));
    o.base_path = "/_consent";
    o.decided = 1;
    o.granted = mc_categories_required(f.cats);
    o.services = mc_banner_service_lists(test_pool, used, f.cats, loc);
    APR_ARRAY_PUSH(ids, const char *) = "youtube";
    APR_ARRAY_PUSH(ids, const char *) = "no-such\" onclick=\"x";
    o.granted_services = ids;
    html = mc_banner_render(test_pool, loc, f.cats, &o, NULL);
    ck_assert_ptr_nonnull(strstr(html, "name=\"service\" value=\"youtube\" data-category=\"marketing\" "
                                       "aria-describedby=\"mc-svc-youtube-desc\" checked=\"checked\" />"));
    ck_assert_ptr_null(strstr(html, "onclick"));
    ck_assert_ptr_nonnull(strstr(html, ">Withdraw consent</button>"));
    /* before a decision nothing is ticked, whatever is passed */
    o.decided = 0;
    html = mc_banner_render(test_pool, loc, f.cats, &o, NULL);
    ck_assert_ptr_null(strstr(html, " checked>"));
    ck_assert_ptr_nonnull(strstr(html, ">Reject all</button>"));
}
END_TEST

START_TEST(second_layer_lists_only_services_in_use_unticked)
{
    fixture_t f = site();
    char *nb = banner(&f, "nb", 0, 0, 1);
    char *granted = banner(&f, "nb", 1, (mc_catmask_t)1 << MC_CAT_MARKETING, 1);

    ck_assert_ptr_nonnull(strstr(nb, "<input type=\"checkbox\" class=\"mc-service\" "
                                     "id=\"mc-svc-youtube\" name=\"service\" value=\"youtube\" "
                                     "data-category=\"marketing\" "
                                     "aria-describedby=\"mc-svc-youtube-desc\" />"
                                     "<label for=\"mc-svc-youtube\" class=\"mc-service-name\">"
                                     "YouTube (Google)</label>"));
    ck_assert_ptr_nonnull(strstr(nb, "<legend class=\"mc-services-title\">Tjenester</legend>"));
    ck_assert_ptr_nonnull(strstr(nb, "<code>YSC</code>: til nettleseren lukkes"));
    ck_assert_ptr_nonnull(strstr(nb, "Ansvarlig: Google Ireland Limited."));
    ck_assert_ptr_null(strstr(nb, "tiktok"));
    ck_assert_ptr_null(strstr(nb, "_ttp"));
    ck_assert_ptr_null(strstr(nb, "class=\"mc-service\" id=\"mc-svc-youtube\" name=\"service\" "
                                  "value=\"youtube\" data-category=\"marketing\" "
                                  "aria-describedby=\"mc-svc-youtube-desc\" checked"));
    /* Drupal is necessary: shown, without a box */
    ck_assert_ptr_nonnull(strstr(nb, "<span class=\"mc-service-name\">Drupal</span>"));
    ck_assert_ptr_null(strstr(nb, "value=\"drupal\""));
    /* a granted category shows its services ticked */
    ck_assert_ptr_nonnull(strstr(granted, "aria-describedby=\"mc-svc-youtube-desc\" checked=\"checked\" />"));
}
END_TEST

Suite *used_suite(void)
{
    Suite *s = suite_create("used");
    TCase *tc = tcase_create("used");

    tcase_add_checked_fixture(tc, unit_pool_setup, unit_pool_teardown);
    tcase_add_test(tc, only_the_services_seen_are_used);
    tcase_add_test(tc, periods_read_as_words);
    tcase_add_test(tc, recipients_are_the_vendors_of_optional_services);
    tcase_add_test(tc, declaration_json_lists_only_services_in_use_with_their_facts);
    tcase_add_test(tc, declaration_page_is_a_table_per_category_of_services_in_use);
    tcase_add_test(tc, first_layer_names_the_recipients_outside_the_eea_and_the_retention);
    tcase_add_test(tc, second_layer_lists_only_services_in_use_unticked);
    tcase_add_test(tc, a_service_granted_alone_shows_ticked_and_refusal_withdraws_it);
    tcase_add_test(tc, a_category_with_services_heads_its_other_cookies_apart);
    suite_add_tcase(s, tc);
    return s;
}
