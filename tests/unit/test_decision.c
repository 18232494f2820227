/* A visitor's decision: form and JSON bodies, the redirect target, what is granted and
 * recorded, and the state JSON the endpoint answers with. */
#include <apr_strings.h>
#include <jansson.h>
#include <string.h>

#include "decision.h"
#include "unit.h"

#define NEC (1u << MC_CAT_NECESSARY)
#define PREF (1u << MC_CAT_PREFERENCES)
#define STAT (1u << MC_CAT_STATISTICS)
#define MKT (1u << MC_CAT_MARKETING)
#define ALL (NEC | PREF | STAT | MKT)

static mc_categories_t *cats;
static mc_ruleset_t *rules;

static void decision_setup(void)
{
    static const char json[] =
        "{\"services\": [{\"name\": \"YouTube\", \"category\": \"marketing\"},"
        "{\"name\": \"Google Maps\", \"category\": \"marketing\"},"
        "{\"name\": \"Matomo\", \"category\": \"statistics\"}]}";
    const char *err = NULL;

    unit_pool_setup();
    cats = mc_categories_make(test_pool);
    rules = mc_ruleset_make(test_pool);
    ck_assert_int_eq(mc_ruleset_load_json(rules, json, sizeof(json) - 1, "test", &err), MC_OK);
}

/* Ids as a comma-separated string, to compare a list in one assertion. */
static const char *joined(const apr_array_header_t *ids)
{
    const char *out = "";

    for (int i = 0; ids && i < ids->nelts; i++)
        out = apr_pstrcat(test_pool, out, i ? "," : "", APR_ARRAY_IDX(ids, i, const char *),
                          (char *)NULL);
    return out;
}

static void decision_teardown(void)
{
    cats = NULL;
    rules = NULL;
    unit_pool_teardown();
}

/* --- form decoding ------------------------------------------------------------------ */

static apr_array_header_t *form(const char *body)
{
    apr_array_header_t *pairs = NULL;
    const char *reason = NULL;

    ck_assert_int_eq(mc_form_parse(test_pool, body, strlen(body), &pairs, &reason), MC_OK);
    return pairs;
}

static const mc_form_pair_t *field(const apr_array_header_t *pairs, int i)
{
    ck_assert_int_lt(i, pairs->nelts);
    return &APR_ARRAY_IDX(pairs, i, mc_form_pair_t);
}

START_TEST(form_pairs_in_order_names_may_repeat)
{
    apr_array_header_t *p = form("granted=statistics&granted=marketing&method=custom");

    ck_assert_int_eq(p->nelts, 3);
    ck_assert_str_eq(field(p, 0)->name, "granted");
    ck_assert_str_eq(field(p, 1)->value, "marketing");
    ck_assert_str_eq(field(p, 2)->name, "method");
}
END_TEST

START_TEST(form_decodes_plus_and_percent_escapes)
{
    apr_array_header_t *p = form("a+b=c+d%20e&x=%2B%26%3d%3D&u=%C3%A6");

    ck_assert_str_eq(field(p, 0)->name, "a b");
    ck_assert_str_eq(field(p, 0)->value, "c d e");
    ck_assert_str_eq(field(p, 1)->value, "+&==");
    ck_assert_str_eq(field(p, 2)->value, "\xc3\xa6");
}
END_TEST

START_TEST(form_skips_empty_pieces_and_allows_missing_equals)
{
    apr_array_header_t *p = form("&&flag&&a=&");

    ck_assert_int_eq(p->nelts, 2);
    ck_assert_str_eq(field(p, 0)->name, "flag");
    ck_assert_str_eq(field(p, 0)->value, "");
    ck_assert_str_eq(field(p, 1)->name, "a");
    ck_assert_str_eq(field(p, 1)->value, "");
    ck_assert_int_eq(form("")->nelts, 0);
}
END_TEST

START_TEST(form_reads_only_the_given_length)
{
    apr_array_header_t *pairs = NULL;
    const char *reason = NULL;

    ck_assert_int_eq(mc_form_parse(test_pool, "a=1&b=%zz", 3, &pairs, &reason), MC_OK);
    ck_assert_int_eq(pairs->nelts, 1);
    ck_assert_str_eq(field(pairs, 0)->value, "1");
    /* "%4" cut by the length is truncated, even though the byte after it is a digit */
    ck_assert_int_eq(mc_form_parse(test_pool, "a=%41", 4, &pairs, &reason), MC_EINVAL);
}
END_TEST

static const char *const bad_forms[] = {"a=%zz", "a=%4",  "a=%",     "%g1=x",
                                        "a=%00", "%00=x", "a=1&b=%2"};

START_TEST(form_bad_escapes_and_nuls_are_malformed)
{
    apr_array_header_t *pairs = NULL;
    const char *reason = NULL;
    const char *body = bad_forms[_i];

    ck_assert_int_eq(mc_form_parse(test_pool, body, strlen(body), &pairs, &reason), MC_EINVAL);
    ck_assert_str_eq(reason, "malformed form body");
}
END_TEST

START_TEST(form_raw_nul_is_malformed)
{
    apr_array_header_t *pairs = NULL;
    const char *reason = NULL;

    ck_assert_int_eq(mc_form_parse(test_pool, "a=1\0b", 5, &pairs, &reason), MC_EINVAL);
    ck_assert_str_eq(reason, "malformed form body");
}
END_TEST

/* --- form decisions ----------------------------------------------------------------- */

static mc_decision_t form_ok(const char *body)
{
    mc_decision_t d;
    const char *reason = "unset";

    ck_assert_msg(mc_decision_parse_form(test_pool, cats, body, strlen(body), &d, &reason) == MC_OK,
                  "refused '%s': %s", body, reason);
    return d;
}

static const char *form_refused(const char *body)
{
    mc_decision_t d;
    const char *reason = NULL;

    ck_assert_int_eq(mc_decision_parse_form(test_pool, cats, body, strlen(body), &d, &reason),
                     MC_EINVAL);
    ck_assert_ptr_nonnull(reason);
    return reason;
}

START_TEST(form_banner_buttons)
{
    mc_decision_t d = form_ok("method=accept_all&return=%2Fside%2Fom-oss");

    ck_assert_int_eq(d.method, MC_METHOD_ACCEPT_ALL);
    ck_assert_uint_eq(d.requested, 0);
    ck_assert_str_eq(d.return_path, "/side/om-oss");
    ck_assert_ptr_null(d.lang);
    d = form_ok("method=reject_all");
    ck_assert_int_eq(d.method, MC_METHOD_REJECT_ALL);
    ck_assert_ptr_null(d.return_path);
}
END_TEST

START_TEST(form_custom_with_checkboxes)
{
    mc_decision_t d = form_ok("granted=statistics&granted=marketing&method=custom&lang=nb");

    ck_assert_int_eq(d.method, MC_METHOD_CUSTOM);
    ck_assert_uint_eq(d.requested, STAT | MKT);
    ck_assert_str_eq(d.lang, "nb");
    ck_assert_uint_eq(form_ok("method=custom").requested, 0);
    ck_assert_uint_eq(form_ok("method=custom&granted=necessary").requested, NEC);
    ck_assert_uint_eq(form_ok("method=custom&granted=statistics&granted=statistics").requested,
                      STAT);
}
END_TEST

START_TEST(form_granted_ignored_but_checked_for_accept_and_reject)
{
    ck_assert_uint_eq(form_ok("method=reject_all&granted=statistics").requested, 0);
    ck_assert_uint_eq(form_ok("method=accept_all&granted=marketing").requested, 0);
    ck_assert_str_eq(form_refused("method=reject_all&granted=bogus"), "unknown category 'bogus'");
}
END_TEST

START_TEST(form_ignores_unknown_fields)
{
    mc_decision_t d = form_ok("save=Lagre+valg&method=custom&granted=preferences&x=%C3%A6");

    ck_assert_uint_eq(d.requested, PREF);
}
END_TEST

START_TEST(form_accepts_admin_categories)
{
    const char *err;

    ck_assert_int_eq(mc_categories_add(cats, "functional", 0, &err), MC_OK);
    ck_assert_uint_eq(form_ok("method=custom&granted=functional").requested, 1u << 4);
}
END_TEST

START_TEST(form_lang_values)
{
    ck_assert_str_eq(form_ok("method=custom&lang=nb-NO").lang, "nb-NO");
    ck_assert_str_eq(form_ok("method=custom&lang=en").lang, "en");
    ck_assert_str_eq(form_ok("method=custom&lang=zh-Hant").lang, "zh-Hant");
    ck_assert_str_eq(form_refused("method=custom&lang=x"), "bad lang");
    ck_assert_str_eq(form_refused("method=custom&lang=nynorsk-x"), "bad lang");
    ck_assert_str_eq(form_refused("method=custom&lang=n%C3%B8"), "bad lang");
    ck_assert_str_eq(form_refused("method=custom&lang=en_GB"), "bad lang");
    ck_assert_str_eq(form_refused("method=custom&lang="), "bad lang");
}
END_TEST

START_TEST(form_every_refusal_reason)
{
    ck_assert_str_eq(form_refused(""), "missing method");
    ck_assert_str_eq(form_refused("granted=statistics"), "missing method");
    ck_assert_str_eq(form_refused("method=accept_all&method=reject_all"), "method given twice");
    ck_assert_str_eq(form_refused("method=accept_all&method=accept_all"), "method given twice");
    ck_assert_str_eq(form_refused("method=withdraw"), "unknown method 'withdraw'");
    ck_assert_str_eq(form_refused("method=gpc"), "unknown method 'gpc'");
    ck_assert_str_eq(form_refused("method=Accept_All"), "unknown method 'Accept_All'");
    ck_assert_str_eq(form_refused("method="), "unknown method ''");
    ck_assert_str_eq(form_refused("method=custom&granted=Statistics"),
                     "unknown category 'Statistics'");
    ck_assert_str_eq(form_refused("method=custom&granted="), "unknown category ''");
    ck_assert_str_eq(form_refused("method=custom&return=%2F%2Fevil.example"),
                     "return must be a path on this site");
    ck_assert_str_eq(form_refused("method=custom&return=https://evil.example/"),
                     "return must be a path on this site");
    ck_assert_str_eq(form_refused("method=custom&return=/a&return=/b"), "return given twice");
    ck_assert_str_eq(form_refused("method=custom&lang=nb&lang=en"), "lang given twice");
    ck_assert_str_eq(form_refused("method=custom&granted=%zz"), "malformed form body");
    ck_assert_str_eq(form_refused("method=custom&service=You+Tube"), "unknown service 'You Tube'");
    ck_assert_str_eq(form_refused("method=custom&service="), "unknown service ''");
    ck_assert_str_eq(form_refused("method=custom&via=popup"), "unknown via 'popup'");
    ck_assert_str_eq(form_refused("method=custom&via=banner&via=settings"), "via given twice");
}
END_TEST

START_TEST(form_reason_quotes_hostile_values_safely)
{
    const char *why = form_refused("method=%0D%0ASet-Cookie:+x=1%7F%C3%A6"
                                   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");

    ck_assert_str_eq(why, "unknown method '??Set-Cookie: x=1???aaaaaaaaaaaaaaaaaaaa...'");
    for (const char *c = why; *c; c++)
        ck_assert(*c >= 0x20 && *c < 0x7f);
}
END_TEST

/* --- JSON decisions ----------------------------------------------------------------- */

static mc_decision_t json_ok(const char *body)
{
    mc_decision_t d;
    const char *reason = "unset";

    ck_assert_msg(mc_decision_parse_json(test_pool, cats, body, strlen(body), &d, &reason) == MC_OK,
                  "refused '%s': %s", body, reason);
    return d;
}

static const char *json_refused_n(const char *body, size_t len)
{
    mc_decision_t d;
    const char *reason = NULL;

    ck_assert_int_eq(mc_decision_parse_json(test_pool, cats, body, len, &d, &reason), MC_EINVAL);
    ck_assert_ptr_nonnull(reason);
    return reason;
}

static const char *json_refused(const char *body)
{
    return json_refused_n(body, strlen(body));
}

START_TEST(json_valid_decisions)
{
    mc_decision_t d = json_ok("{\"method\": \"custom\", \"granted\": [\"statistics\"], "
                              "\"lang\": \"en\"}");

    ck_assert_int_eq(d.method, MC_METHOD_CUSTOM);
    ck_assert_uint_eq(d.requested, STAT);
    ck_assert_str_eq(d.lang, "en");
    ck_assert_ptr_null(d.return_path);
    ck_assert_int_eq(json_ok("{\"method\":\"accept_all\"}").method, MC_METHOD_ACCEPT_ALL);
    ck_assert_int_eq(json_ok(" {\"method\":\"reject_all\"}\n").method, MC_METHOD_REJECT_ALL);
    ck_assert_uint_eq(json_ok("{\"granted\":[],\"method\":\"custom\"}").requested, 0);
    ck_assert_uint_eq(
        json_ok("{\"method\":\"custom\",\"granted\":[\"necessary\",\"marketing\"]}").requested,
        NEC | MKT);
}
END_TEST

START_TEST(json_granted_checked_but_ignored_for_accept_and_reject)
{
    ck_assert_uint_eq(json_ok("{\"method\":\"reject_all\",\"granted\":[\"statistics\"]}").requested,
                      0);
    ck_assert_str_eq(json_refused("{\"method\":\"accept_all\",\"granted\":[\"ads\"]}"),
                     "unknown category 'ads'");
}
END_TEST

START_TEST(json_return_is_ignored)
{
    ck_assert_ptr_null(json_ok("{\"method\":\"accept_all\",\"return\":\"//evil\"}").return_path);
}
END_TEST

START_TEST(json_reads_only_the_given_length)
{
    const char *body = "{\"method\":\"accept_all\"}garbage";
    mc_decision_t d;
    const char *reason = NULL;

    ck_assert_int_eq(mc_decision_parse_json(test_pool, cats, body, 23, &d, &reason), MC_OK);
    ck_assert_str_eq(json_refused(body), "malformed json");
}
END_TEST

static const struct {
    const char *body;
    const char *reason;
} json_refusals[] = {
    {"", "malformed json"},
    {"{", "malformed json"},
    {"method=accept_all", "malformed json"},
    {"{\"method\":\"accept_all\"} {}", "malformed json"},
    {"{\"method\":\"accept\\u0000all\"}", "malformed json"},
    {"{\"method\":\"accept_all\",\"lang\":\"\xff\xfe\"}", "malformed json"},
    {"[]", "body must be a json object"},
    {"[{\"method\":\"accept_all\"}]", "body must be a json object"},
    {"\"accept_all\"", "body must be a json object"},
    {"null", "body must be a json object"},
    {"{}", "missing method"},
    {"{\"granted\":[\"statistics\"]}", "missing method"},
    {"{\"method\":1}", "method must be a string"},
    {"{\"method\":null}", "method must be a string"},
    {"{\"method\":[\"custom\"]}", "method must be a string"},
    {"{\"method\":\"withdraw\"}", "unknown method 'withdraw'"},
    {"{\"method\":\"\"}", "unknown method ''"},
    {"{\"method\":\"custom\",\"granted\":\"statistics\"}",
     "granted must be a list of category names"},
    {"{\"method\":\"custom\",\"granted\":[1]}", "granted must be a list of category names"},
    {"{\"method\":\"custom\",\"granted\":[\"statistics\",null]}",
     "granted must be a list of category names"},
    {"{\"method\":\"custom\",\"granted\":[[\"statistics\"]]}",
     "granted must be a list of category names"},
    {"{\"method\":\"custom\",\"granted\":{\"statistics\":true}}",
     "granted must be a list of category names"},
    {"{\"method\":\"custom\",\"granted\":[\"bogus\"]}", "unknown category 'bogus'"},
    {"{\"method\":\"custom\",\"lang\":5}", "bad lang"},
    {"{\"method\":\"custom\",\"lang\":\"norsk-bokmaal\"}", "bad lang"},
    {"{\"method\":\"accept_all\",\"extra\":1}", "unknown field 'extra'"},
    {"{\"method\":\"custom\",\"services\":\"youtube\"}", "services must be a list of service ids"},
    {"{\"method\":\"custom\",\"services\":[1]}", "services must be a list of service ids"},
    {"{\"method\":\"custom\",\"services\":[\"YouTube\"]}", "unknown service 'YouTube'"},
    {"{\"method\":\"custom\",\"via\":1}", "via must be a string"},
    {"{\"method\":\"custom\",\"via\":\"Banner\"}", "unknown via 'Banner'"},
    {"{\"Method\":\"accept_all\"}", "unknown field 'Method'"},
    {"{\"method\":\"accept_all\",\"method\":\"reject_all\"}", "duplicate field"},
};

START_TEST(json_every_refusal_reason)
{
    ck_assert_str_eq(json_refused(json_refusals[_i].body), json_refusals[_i].reason);
}
END_TEST

START_TEST(json_null_body_is_malformed)
{
    ck_assert_str_eq(json_refused_n(NULL, 0), "malformed json");
}
END_TEST

START_TEST(json_reason_quotes_hostile_keys_safely)
{
    const char *why = json_refused("{\"\\r\\nX-Evil: 1\\u00e6\":1,\"method\":\"custom\"}");

    ck_assert_str_eq(why, "unknown field '\?\?X-Evil: 1\?\?'");
}
END_TEST

/* --- return paths ------------------------------------------------------------------- */

static const char *const good_paths[] = {"/", "/a?b=c#d", "/side/om-oss", "/%2F%2Fevil.com",
                                         "/s\xc3\xb8k?q=%C3%A6"};
static const char *const bad_paths[] = {"",
                                        "a",
                                        "//evil",
                                        "/\\evil",
                                        "/a\\b",
                                        "https://x",
                                        "javascript:alert(1)",
                                        "/a\r\nSet-Cookie: x=1",
                                        "/\t",
                                        "/\t/evil",
                                        "/a b",
                                        "/a\x7f",
                                        " /a"};

START_TEST(return_path_good)
{
    ck_assert(mc_return_path_valid(good_paths[_i]));
}
END_TEST

START_TEST(return_path_bad)
{
    ck_assert(!mc_return_path_valid(bad_paths[_i]));
}
END_TEST

START_TEST(return_path_length_limit)
{
    char *path = apr_palloc(test_pool, 2050);

    memset(path, 'a', 2049);
    path[0] = '/';
    path[2048] = '\0';
    ck_assert(mc_return_path_valid(path));
    path[2048] = 'a';
    path[2049] = '\0';
    ck_assert(!mc_return_path_valid(path));
    ck_assert(!mc_return_path_valid(NULL));
}
END_TEST

/* --- applying a decision ------------------------------------------------------------ */

static mc_consent_t consent(int decided, mc_catmask_t granted)
{
    mc_consent_t c;

    memset(&c, 0, sizeof(c));
    c.decided = decided;
    c.granted = granted;
    if (decided) {
        strcpy(c.id, "Zm9vYmFyYmF6cXV4MTIzNA");
        c.policy = "1";
        c.time = 1795500803;
    }
    return c;
}

typedef struct apply_case {
    mc_method_t method;
    mc_catmask_t requested;
    int prev_decided;
    mc_catmask_t prev_granted;
    int gpc;
    mc_catmask_t granted;
    mc_method_t recorded;
} apply_case_t;

static const apply_case_t apply_cases[] = {
    /* first decisions */
    {MC_METHOD_ACCEPT_ALL, 0, 0, NEC, 0, ALL, MC_METHOD_ACCEPT_ALL},
    {MC_METHOD_REJECT_ALL, 0, 0, NEC, 0, NEC, MC_METHOD_REJECT_ALL},
    {MC_METHOD_CUSTOM, STAT, 0, NEC, 0, NEC | STAT, MC_METHOD_CUSTOM},
    {MC_METHOD_CUSTOM, 0, 0, NEC, 0, NEC, MC_METHOD_CUSTOM},
    {MC_METHOD_CUSTOM, PREF | MKT, 0, NEC, 0, NEC | PREF | MKT, MC_METHOD_CUSTOM},
    /* bits beyond the configured categories never reach the grant */
    {MC_METHOD_CUSTOM, STAT | (1u << 20), 0, NEC, 0, NEC | STAT, MC_METHOD_CUSTOM},
    /* GPC refuses marketing; it is recorded only when it changed the outcome */
    {MC_METHOD_ACCEPT_ALL, 0, 0, NEC, 1, NEC | PREF | STAT, MC_METHOD_GPC},
    {MC_METHOD_CUSTOM, MKT, 0, NEC, 1, NEC, MC_METHOD_GPC},
    {MC_METHOD_CUSTOM, STAT | MKT, 0, NEC, 1, NEC | STAT, MC_METHOD_GPC},
    {MC_METHOD_CUSTOM, STAT, 0, NEC, 1, NEC | STAT, MC_METHOD_CUSTOM},
    {MC_METHOD_REJECT_ALL, 0, 0, NEC, 1, NEC, MC_METHOD_REJECT_ALL},
    /* withdrawal: taking back an earlier grant */
    {MC_METHOD_REJECT_ALL, 0, 1, NEC | STAT, 0, NEC, MC_METHOD_WITHDRAW},
    {MC_METHOD_REJECT_ALL, 0, 1, ALL, 0, NEC, MC_METHOD_WITHDRAW},
    {MC_METHOD_CUSTOM, 0, 1, NEC | PREF, 0, NEC, MC_METHOD_WITHDRAW},
    {MC_METHOD_CUSTOM, NEC, 1, ALL, 0, NEC, MC_METHOD_WITHDRAW},
    {MC_METHOD_REJECT_ALL, 0, 1, ALL, 1, NEC, MC_METHOD_WITHDRAW},
    /* not a withdrawal */
    {MC_METHOD_REJECT_ALL, 0, 1, NEC, 0, NEC, MC_METHOD_REJECT_ALL},
    {MC_METHOD_REJECT_ALL, 0, 0, NEC | STAT, 0, NEC, MC_METHOD_REJECT_ALL},
    {MC_METHOD_CUSTOM, STAT, 1, ALL, 0, NEC | STAT, MC_METHOD_CUSTOM},
    {MC_METHOD_CUSTOM, 0, 1, NEC, 0, NEC, MC_METHOD_CUSTOM},
    {MC_METHOD_ACCEPT_ALL, 0, 1, NEC | STAT, 0, ALL, MC_METHOD_ACCEPT_ALL},
    /* GPC taking marketing away after an earlier grant is GPC, not a withdrawal */
    {MC_METHOD_CUSTOM, MKT, 1, ALL, 1, NEC, MC_METHOD_GPC},
};

START_TEST(apply_combinations)
{
    const apply_case_t *t = &apply_cases[_i];
    mc_decision_t d = {.method = t->method, .requested = t->requested};
    mc_consent_t prev = consent(t->prev_decided, t->prev_granted);
    mc_catmask_t granted = 0;
    const apr_array_header_t *services = NULL;
    mc_method_t recorded = MC_METHOD_ACCEPT_ALL;

    mc_decision_apply(test_pool, &d, cats, rules, &prev, t->gpc, &granted, &services, &recorded);
    ck_assert_uint_eq(granted, t->granted);
    ck_assert_str_eq(mc_method_str(recorded), mc_method_str(t->recorded));
}
END_TEST

START_TEST(apply_without_previous_consent)
{
    mc_decision_t d = {.method = MC_METHOD_REJECT_ALL};
    mc_catmask_t granted = 0;
    const apr_array_header_t *services = NULL;
    mc_method_t recorded = MC_METHOD_ACCEPT_ALL;

    mc_decision_apply(test_pool, &d, cats, rules, NULL, 0, &granted, &services, &recorded);
    ck_assert_uint_eq(granted, NEC);
    ck_assert_int_eq(recorded, MC_METHOD_REJECT_ALL);
}
END_TEST

START_TEST(apply_keeps_admin_required_categories)
{
    mc_decision_t d = {.method = MC_METHOD_REJECT_ALL};
    mc_consent_t prev = consent(0, NEC);
    mc_catmask_t granted = 0;
    const apr_array_header_t *services = NULL;
    mc_method_t recorded = MC_METHOD_ACCEPT_ALL;
    const char *err;

    ck_assert_int_eq(mc_categories_add(cats, "security", 1, &err), MC_OK);
    ck_assert_int_eq(mc_categories_add(cats, "functional", 0, &err), MC_OK);
    mc_decision_apply(test_pool, &d, cats, rules, &prev, 0, &granted, &services, &recorded);
    ck_assert_uint_eq(granted, NEC | (1u << 4));
    d.method = MC_METHOD_ACCEPT_ALL;
    mc_decision_apply(test_pool, &d, cats, rules, &prev, 0, &granted, &services, &recorded);
    ck_assert_uint_eq(granted, ALL | (1u << 4) | (1u << 5));
}
END_TEST

START_TEST(apply_gpc_cannot_refuse_a_required_marketing)
{
    mc_decision_t d = {.method = MC_METHOD_ACCEPT_ALL};
    mc_consent_t prev = consent(0, NEC);
    mc_catmask_t granted = 0;
    const apr_array_header_t *services = NULL;
    mc_method_t recorded = MC_METHOD_GPC;
    const char *err;

    ck_assert_int_eq(mc_categories_add(cats, "marketing", 1, &err), MC_OK);
    mc_decision_apply(test_pool, &d, cats, rules, &prev, 1, &granted, &services, &recorded);
    ck_assert_uint_eq(granted, ALL);
    ck_assert_int_eq(recorded, MC_METHOD_ACCEPT_ALL);
}
END_TEST

START_TEST(method_names)
{
    ck_assert_str_eq(mc_method_str(MC_METHOD_ACCEPT_ALL), "accept_all");
    ck_assert_str_eq(mc_method_str(MC_METHOD_REJECT_ALL), "reject_all");
    ck_assert_str_eq(mc_method_str(MC_METHOD_CUSTOM), "custom");
    ck_assert_str_eq(mc_method_str(MC_METHOD_WITHDRAW), "withdraw");
    ck_assert_str_eq(mc_method_str(MC_METHOD_GPC), "gpc");
}
END_TEST

/* --- state JSON --------------------------------------------------------------------- */

static json_t *state_of(const mc_consent_t *c, const char *policy, int gpc)
{
    char *text = mc_state_json(test_pool, cats, c, policy, gpc);
    json_error_t error;
    json_t *state;

    ck_assert_ptr_nonnull(text);
    ck_assert_ptr_null(strchr(text, '\n'));
    state = json_loads(text, JSON_REJECT_DUPLICATES, &error);
    ck_assert_msg(state != NULL, "not JSON: %s", text);
    ck_assert(json_is_object(state));
    return state;
}

/* "a,b,c" from a JSON list of strings, to compare a list in one assertion. */
static const char *names_of(json_t *list)
{
    const char *out = "";

    ck_assert(json_is_array(list));
    for (size_t i = 0; i < json_array_size(list); i++) {
        json_t *item = json_array_get(list, i);

        ck_assert(json_is_string(item));
        out = apr_pstrcat(test_pool, out, i ? "," : "", json_string_value(item), (char *)NULL);
    }
    return out;
}

/* The keys of OBJECT in document order. */
static const char *keys_of(json_t *object)
{
    const char *out = "";

    for (void *it = json_object_iter(object); it; it = json_object_iter_next(object, it))
        out = apr_pstrcat(test_pool, out, *out ? "," : "", json_object_iter_key(it), (char *)NULL);
    return out;
}

START_TEST(state_before_any_decision)
{
    mc_consent_t c = consent(0, NEC);
    json_t *s = state_of(&c, "1", 0);

    ck_assert_str_eq(keys_of(s), "decided,id,policy,time,granted,refused,services,gpc");
    ck_assert_str_eq(names_of(json_object_get(s, "services")), "");
    ck_assert(json_is_false(json_object_get(s, "decided")));
    ck_assert(json_is_null(json_object_get(s, "id")));
    ck_assert(json_is_null(json_object_get(s, "time")));
    ck_assert_str_eq(json_string_value(json_object_get(s, "policy")), "1");
    ck_assert_str_eq(names_of(json_object_get(s, "granted")), "necessary");
    ck_assert_str_eq(names_of(json_object_get(s, "refused")), "preferences,statistics,marketing");
    ck_assert(json_is_false(json_object_get(s, "gpc")));
    json_decref(s);
}
END_TEST

START_TEST(state_after_a_decision)
{
    mc_consent_t c = consent(1, NEC | STAT);
    json_t *s = state_of(&c, "1", 1);

    ck_assert(json_is_true(json_object_get(s, "decided")));
    ck_assert_str_eq(json_string_value(json_object_get(s, "id")), "Zm9vYmFyYmF6cXV4MTIzNA");
    ck_assert_str_eq(json_string_value(json_object_get(s, "time")), "2026-11-24T06:13:23Z");
    ck_assert_str_eq(json_string_value(json_object_get(s, "policy")), "1");
    ck_assert_str_eq(names_of(json_object_get(s, "granted")), "necessary,statistics");
    ck_assert_str_eq(names_of(json_object_get(s, "refused")), "preferences,marketing");
    ck_assert(json_is_true(json_object_get(s, "gpc")));
    json_decref(s);
}
END_TEST

START_TEST(state_undecided_hides_a_lapsed_id)
{
    mc_consent_t c = consent(0, NEC);
    json_t *s;

    strcpy(c.id, "Zm9vYmFyYmF6cXV4MTIzNA");
    c.time = 1795500803;
    s = state_of(&c, "2", 0);
    ck_assert(json_is_null(json_object_get(s, "id")));
    ck_assert(json_is_null(json_object_get(s, "time")));
    ck_assert_str_eq(json_string_value(json_object_get(s, "policy")), "2");
    json_decref(s);
}
END_TEST

START_TEST(state_lists_admin_categories_and_required_ones)
{
    mc_consent_t c = consent(1, STAT | ALL);
    const char *err;
    json_t *s;

    ck_assert_int_eq(mc_categories_add(cats, "security", 1, &err), MC_OK);
    ck_assert_int_eq(mc_categories_add(cats, "functional", 0, &err), MC_OK);
    c.granted = STAT; /* required ones are listed as granted even if missing */
    s = state_of(&c, "1", 0);
    ck_assert_str_eq(names_of(json_object_get(s, "granted")), "necessary,statistics,security");
    ck_assert_str_eq(names_of(json_object_get(s, "refused")), "preferences,marketing,functional");
    json_decref(s);
}
END_TEST

START_TEST(state_accept_all_refuses_nothing)
{
    mc_consent_t c = consent(1, ALL);
    json_t *s = state_of(&c, "1", 0);

    ck_assert_str_eq(names_of(json_object_get(s, "refused")), "");
    ck_assert_str_eq(names_of(json_object_get(s, "granted")),
                     "necessary,preferences,statistics,marketing");
    json_decref(s);
}
END_TEST

/* --- services and via --------------------------------------------------------------- */

START_TEST(form_and_json_carry_services_and_via)
{
    mc_decision_t d = form_ok("method=custom&granted=statistics&service=youtube"
                              "&service=google-maps&service=youtube&via=placeholder");
    const char *reason = NULL;
    const char *body = "{\"method\":\"custom\",\"services\":[\"youtube\"],\"via\":\"settings\"}";

    ck_assert_str_eq(joined(d.services), "youtube,google-maps");
    ck_assert_str_eq(mc_via_str(d.via), "placeholder");
    ck_assert_uint_eq(d.requested, STAT);
    d = form_ok("method=reject_all");
    ck_assert_str_eq(mc_via_str(d.via), "banner"); /* the default */
    ck_assert_int_eq(mc_decision_parse_json(test_pool, cats, body, strlen(body), &d, &reason),
                     MC_OK);
    ck_assert_str_eq(joined(d.services), "youtube");
    ck_assert_str_eq(mc_via_str(d.via), "settings");
    /* services only count for custom */
    d = form_ok("method=accept_all&service=youtube");
    ck_assert_str_eq(joined(d.services), "");
}
END_TEST

START_TEST(unknown_service_is_refused_against_the_rules)
{
    mc_decision_t d = form_ok("method=custom&service=youtube&service=tiktok");
    const char *reason = NULL;

    ck_assert_int_eq(mc_decision_check_services(test_pool, &d, rules, &reason), MC_EINVAL);
    ck_assert_str_eq(reason, "unknown service 'tiktok'");
    d = form_ok("method=custom&service=youtube&service=matomo");
    ck_assert_int_eq(mc_decision_check_services(test_pool, &d, rules, &reason), MC_OK);
    ck_assert_int_eq(mc_decision_check_services(test_pool, &d, NULL, &reason), MC_EINVAL);
}
END_TEST

START_TEST(too_many_services_are_refused)
{
    const char *body = "method=custom";

    for (int i = 0; i <= MC_SERVICES_MAX; i++)
        body = apr_psprintf(test_pool, "%s&service=s%d", body, i);
    ck_assert_str_eq(form_refused(body), "too many services");
}
END_TEST

START_TEST(apply_grants_services_beyond_their_categories)
{
    mc_decision_t d = form_ok("method=custom&granted=statistics&service=youtube&service=matomo"
                              "&via=placeholder");
    mc_consent_t prev = consent(1, NEC | STAT);
    mc_catmask_t granted = 0;
    const apr_array_header_t *services = NULL;
    mc_method_t recorded = MC_METHOD_GPC;

    mc_decision_apply(test_pool, &d, cats, rules, &prev, 0, &granted, &services, &recorded);
    ck_assert_uint_eq(granted, NEC | STAT);
    ck_assert_str_eq(joined(services), "youtube"); /* matomo is covered by statistics */
    ck_assert_int_eq(recorded, MC_METHOD_CUSTOM);
    /* marketing granted: youtube is covered */
    d = form_ok("method=custom&granted=marketing&service=youtube");
    mc_decision_apply(test_pool, &d, cats, rules, &prev, 0, &granted, &services, &recorded);
    ck_assert_str_eq(joined(services), "");
    /* accept_all and reject_all grant no single service */
    d = form_ok("method=accept_all&service=youtube");
    mc_decision_apply(test_pool, &d, cats, rules, &prev, 0, &granted, &services, &recorded);
    ck_assert_uint_eq(granted, ALL);
    ck_assert_str_eq(joined(services), "");
    d = form_ok("method=reject_all&service=youtube");
    mc_decision_apply(test_pool, &d, cats, rules, &prev, 0, &granted, &services, &recorded);
    ck_assert_str_eq(joined(services), "");
}
END_TEST

START_TEST(apply_gpc_refuses_marketing_services)
{
    mc_decision_t d = form_ok("method=custom&service=youtube&service=matomo");
    mc_catmask_t granted = 0;
    const apr_array_header_t *services = NULL;
    mc_method_t recorded = MC_METHOD_CUSTOM;

    mc_decision_apply(test_pool, &d, cats, rules, NULL, 1, &granted, &services, &recorded);
    ck_assert_uint_eq(granted, NEC);
    ck_assert_str_eq(joined(services), "matomo");
    ck_assert_int_eq(recorded, MC_METHOD_GPC);
    d = form_ok("method=custom&service=matomo");
    mc_decision_apply(test_pool, &d, cats, rules, NULL, 1, &granted, &services, &recorded);
    ck_assert_str_eq(joined(services), "matomo");
    ck_assert_int_eq(recorded, MC_METHOD_CUSTOM);
}
END_TEST

START_TEST(apply_refusing_after_a_service_is_a_withdrawal)
{
    static const char *const yt[] = {"youtube"};
    apr_array_header_t *had = apr_array_make(test_pool, 1, sizeof(const char *));
    mc_decision_t d = form_ok("method=reject_all");
    mc_consent_t prev = consent(1, NEC);
    mc_catmask_t granted = 0;
    const apr_array_header_t *services = NULL;
    mc_method_t recorded = MC_METHOD_CUSTOM;

    mc_decision_apply(test_pool, &d, cats, rules, &prev, 0, &granted, &services, &recorded);
    ck_assert_int_eq(recorded, MC_METHOD_REJECT_ALL);
    APR_ARRAY_PUSH(had, const char *) = yt[0];
    prev.services = had;
    mc_decision_apply(test_pool, &d, cats, rules, &prev, 0, &granted, &services, &recorded);
    ck_assert_int_eq(recorded, MC_METHOD_WITHDRAW);
    /* keeping one service is not a withdrawal */
    d = form_ok("method=custom&service=google-maps");
    mc_decision_apply(test_pool, &d, cats, rules, &prev, 0, &granted, &services, &recorded);
    ck_assert_int_eq(recorded, MC_METHOD_CUSTOM);
}
END_TEST

START_TEST(apply_from_a_placeholder_only_adds)
{
    apr_array_header_t *had = apr_array_make(test_pool, 1, sizeof(const char *));
    mc_decision_t d = form_ok("method=custom&service=youtube&via=placeholder");
    mc_consent_t prev = consent(1, NEC | STAT);
    mc_catmask_t granted = 0;
    const apr_array_header_t *services = NULL;
    mc_method_t recorded = MC_METHOD_GPC;

    APR_ARRAY_PUSH(had, const char *) = "google-maps";
    prev.services = had;
    mc_decision_apply(test_pool, &d, cats, rules, &prev, 0, &granted, &services, &recorded);
    ck_assert_uint_eq(granted, NEC | STAT);
    ck_assert_str_eq(joined(services), "google-maps,youtube");
    ck_assert_int_eq(recorded, MC_METHOD_CUSTOM);
    /* from the banner the same body replaces */
    d = form_ok("method=custom&service=youtube");
    mc_decision_apply(test_pool, &d, cats, rules, &prev, 0, &granted, &services, &recorded);
    ck_assert_uint_eq(granted, NEC);
    ck_assert_str_eq(joined(services), "youtube");
}
END_TEST

/* Ids from a comma-separated string ("" for none). */
static apr_array_header_t *ids_of(const char *list)
{
    apr_array_header_t *out = apr_array_make(test_pool, 2, sizeof(const char *));
    char *copy = apr_pstrdup(test_pool, list);
    char *last = NULL;

    for (char *id = apr_strtok(copy, ",", &last); id; id = apr_strtok(NULL, ",", &last))
        APR_ARRAY_PUSH(out, const char *) = id;
    return out;
}

START_TEST(narrows_when_anything_is_taken_back)
{
    static const struct {
        mc_catmask_t before;
        const char *before_services;
        mc_catmask_t after;
        const char *after_services;
        int narrows;
    } cases[] = {
        {NEC, "", NEC, "", 0},                         /* nothing was granted */
        {NEC, "", ALL, "", 0},                         /* accept all */
        {ALL, "", NEC, "", 1},                         /* withdraw */
        {ALL, "", NEC | PREF | STAT, "", 1},           /* marketing unticked */
        {NEC | STAT, "", NEC | MKT, "", 1},            /* one for another */
        {NEC, "youtube", NEC, "youtube", 0},           /* the same again */
        {NEC, "youtube", NEC, "", 1},                  /* the service taken back */
        {NEC, "youtube", NEC | MKT, "", 0},            /* now covered by its category */
        {NEC, "youtube", NEC, "google-maps", 1},       /* another service instead */
        {NEC, "youtube,matomo", NEC | STAT, "youtube", 0},
        {NEC | MKT, "", NEC, "youtube,google-maps", 1}, /* a category for some of its services */
        {NEC, "", NEC, "youtube", 0},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ck_assert_msg(mc_decision_narrows(cats, rules, cases[i].before, ids_of(cases[i].before_services),
                                          cases[i].after, ids_of(cases[i].after_services)) ==
                          cases[i].narrows,
                      "case %zu", i);
    }
    /* no lists at all */
    ck_assert_int_eq(mc_decision_narrows(cats, rules, ALL, NULL, ALL, NULL), 0);
    ck_assert_int_eq(mc_decision_narrows(cats, rules, NEC, ids_of("youtube"), NEC, NULL), 1);
}
END_TEST

START_TEST(state_lists_granted_services)
{
    apr_array_header_t *ids = apr_array_make(test_pool, 2, sizeof(const char *));
    mc_consent_t c = consent(1, NEC | STAT);
    json_t *s;

    APR_ARRAY_PUSH(ids, const char *) = "youtube";
    APR_ARRAY_PUSH(ids, const char *) = "google-maps";
    c.services = ids;
    s = state_of(&c, "1", 0);
    ck_assert_str_eq(keys_of(s), "decided,id,policy,time,granted,refused,services,gpc");
    ck_assert_str_eq(names_of(json_object_get(s, "services")), "youtube,google-maps");
    ck_assert_str_eq(names_of(json_object_get(s, "refused")), "preferences,marketing");
    json_decref(s);
}
END_TEST

Suite *decision_suite(void)
{
    Suite *s = suite_create("decision");
    TCase *forms = tcase_create("form");
    TCase *json = tcase_create("json");
    TCase *paths = tcase_create("return_path");
    TCase *apply = tcase_create("apply");
    TCase *state = tcase_create("state");

    tcase_add_checked_fixture(forms, decision_setup, decision_teardown);
    tcase_add_test(forms, form_pairs_in_order_names_may_repeat);
    tcase_add_test(forms, form_decodes_plus_and_percent_escapes);
    tcase_add_test(forms, form_skips_empty_pieces_and_allows_missing_equals);
    tcase_add_test(forms, form_reads_only_the_given_length);
    tcase_add_loop_test(forms, form_bad_escapes_and_nuls_are_malformed, 0,
                        (int)(sizeof(bad_forms) / sizeof(bad_forms[0])));
    tcase_add_test(forms, form_raw_nul_is_malformed);
    tcase_add_test(forms, form_banner_buttons);
    tcase_add_test(forms, form_custom_with_checkboxes);
    tcase_add_test(forms, form_granted_ignored_but_checked_for_accept_and_reject);
    tcase_add_test(forms, form_ignores_unknown_fields);
    tcase_add_test(forms, form_accepts_admin_categories);
    tcase_add_test(forms, form_lang_values);
    tcase_add_test(forms, form_every_refusal_reason);
    tcase_add_test(forms, form_reason_quotes_hostile_values_safely);
    suite_add_tcase(s, forms);

    tcase_add_checked_fixture(json, decision_setup, decision_teardown);
    tcase_add_test(json, json_valid_decisions);
    tcase_add_test(json, json_granted_checked_but_ignored_for_accept_and_reject);
    tcase_add_test(json, json_return_is_ignored);
    tcase_add_test(json, json_reads_only_the_given_length);
    tcase_add_loop_test(json, json_every_refusal_reason, 0,
                        (int)(sizeof(json_refusals) / sizeof(json_refusals[0])));
    tcase_add_test(json, json_null_body_is_malformed);
    tcase_add_test(json, json_reason_quotes_hostile_keys_safely);
    suite_add_tcase(s, json);

    tcase_add_checked_fixture(paths, decision_setup, decision_teardown);
    tcase_add_loop_test(paths, return_path_good, 0,
                        (int)(sizeof(good_paths) / sizeof(good_paths[0])));
    tcase_add_loop_test(paths, return_path_bad, 0, (int)(sizeof(bad_paths) / sizeof(bad_paths[0])));
    tcase_add_test(paths, return_path_length_limit);
    suite_add_tcase(s, paths);

    tcase_add_checked_fixture(apply, decision_setup, decision_teardown);
    tcase_add_loop_test(apply, apply_combinations, 0,
                        (int)(sizeof(apply_cases) / sizeof(apply_cases[0])));
    tcase_add_test(apply, apply_without_previous_consent);
    tcase_add_test(apply, apply_keeps_admin_required_categories);
    tcase_add_test(apply, apply_gpc_cannot_refuse_a_required_marketing);
    tcase_add_test(apply, method_names);
    tcase_add_test(apply, form_and_json_carry_services_and_via);
    tcase_add_test(apply, unknown_service_is_refused_against_the_rules);
    tcase_add_test(apply, too_many_services_are_refused);
    tcase_add_test(apply, apply_grants_services_beyond_their_categories);
    tcase_add_test(apply, apply_gpc_refuses_marketing_services);
    tcase_add_test(apply, apply_refusing_after_a_service_is_a_withdrawal);
    tcase_add_test(apply, apply_from_a_placeholder_only_adds);
    tcase_add_test(apply, narrows_when_anything_is_taken_back);
    suite_add_tcase(s, apply);

    tcase_add_checked_fixture(state, decision_setup, decision_teardown);
    tcase_add_test(state, state_before_any_decision);
    tcase_add_test(state, state_after_a_decision);
    tcase_add_test(state, state_undecided_hides_a_lapsed_id);
    tcase_add_test(state, state_lists_admin_categories_and_required_ones);
    tcase_add_test(state, state_accept_all_refuses_nothing);
    tcase_add_test(state, state_lists_granted_services);
    suite_add_tcase(s, state);
    return s;
}
