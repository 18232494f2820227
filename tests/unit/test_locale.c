/* Banner texts: the shipped locales, strict loading, overrides and the hash
 * of the texts a visitor saw. */
#include <apr_strings.h>
#include <string.h>

#include "builtin.h"
#include "chain.h"
#include "locale.h"
#include "unit.h"

static const mc_locale_t *shipped(const char *lang)
{
    const char *name = apr_pstrcat(test_pool, "locales/", lang, ".json", NULL);
    const mc_builtin_file_t *f = mc_builtin_find(name);
    mc_locale_t *loc = NULL;
    const char *err = NULL;

    ck_assert_ptr_nonnull(f);
    ck_assert_msg(mc_locale_parse(test_pool, f->data, f->len, name, &loc, &err) == MC_OK, "%s",
                  err);
    return loc;
}

/* A locale file with every required text, TEXT_EXTRA spliced into "texts"
 * and TOP_EXTRA into the top-level object. */
static const char *locale_json(const char *top_extra, const char *text_extra, const char *skip)
{
    const char *texts = "";

    for (const char *const *k = mc_locale_required_keys; *k; k++) {
        if (skip && strcmp(*k, skip) == 0)
            continue;
        texts = apr_pstrcat(test_pool, texts, *texts ? "," : "", "\"", *k, "\":\"Text ", *k, "\"",
                            NULL);
    }
    return apr_pstrcat(test_pool, "{\"lang\":\"en\",\"name\":\"English\"", top_extra,
                       ",\"texts\":{", texts, text_extra, "}}", NULL);
}

static const char *parse_error(const char *json)
{
    mc_locale_t *loc = NULL;
    const char *err = NULL;

    ck_assert_int_eq(mc_locale_parse(test_pool, json, strlen(json), "test.json", &loc, &err),
                     MC_EINVAL);
    ck_assert_ptr_null(loc);
    ck_assert_ptr_nonnull(err);
    return err;
}

static mc_locale_t *derive(const mc_locale_t *base, const char *lang, const mc_text_t *texts, int n)
{
    mc_locale_t *loc = NULL;
    const char *err = NULL;

    ck_assert_msg(mc_locale_derive(test_pool, base, lang, texts, n, &loc, &err) == MC_OK, "%s",
                  err);
    return loc;
}

START_TEST(every_shipped_locale_loads_with_every_key)
{
    static const char *const langs[] = {"nb", "nn", "en"};

    for (int i = 0; i < 3; i++) {
        const mc_locale_t *loc = shipped(langs[i]);
        ck_assert_str_eq(mc_locale_lang(loc), langs[i]);
        ck_assert_ptr_null(mc_locale_missing(test_pool, loc));
        for (const char *const *k = mc_locale_required_keys; *k; k++)
            ck_assert_msg(mc_locale_text(loc, *k) != NULL, "%s lacks %s", langs[i], *k);
        ck_assert_int_eq(strlen(mc_locale_hash(loc)), MC_HASH_HEX);
    }
    ck_assert_str_eq(mc_locale_text(shipped("en"), "accept_all"), "Accept all");
    ck_assert_str_eq(mc_locale_name(shipped("nb")), "Norsk bokmål");
}
END_TEST

START_TEST(a_complete_file_loads)
{
    const char *json = locale_json("", ",\"category.chat.title\":\"Chat\"", NULL);
    mc_locale_t *loc = NULL;
    const char *err = NULL;

    ck_assert_msg(mc_locale_parse(test_pool, json, strlen(json), "t", &loc, &err) == MC_OK, "%s",
                  err);
    ck_assert_str_eq(mc_locale_text(loc, "category.chat.title"), "Chat");
    ck_assert_ptr_null(mc_locale_text(loc, "category.chat.description"));
}
END_TEST

START_TEST(a_missing_key_is_named)
{
    const char *err = parse_error(locale_json("", "", "intro"));

    ck_assert_msg(strstr(err, "test.json") && strstr(err, "missing texts: intro"), "%s", err);
}
END_TEST

START_TEST(an_unknown_key_is_named_with_the_known_ones)
{
    const char *err = parse_error(locale_json("", ",\"titel\":\"x\"", NULL));

    ck_assert_msg(strstr(err, "unknown text key 'titel'") && strstr(err, "accept_all"), "%s", err);
    err = parse_error(locale_json("", ",\"category.Chat.title\":\"x\"", NULL));
    ck_assert_msg(strstr(err, "category.Chat.title"), "%s", err);
}
END_TEST

START_TEST(bad_json_says_where)
{
    const char *err = parse_error("{\"lang\": \"en\",\n \"name\": }");

    ck_assert_msg(strstr(err, "test.json: line 2"), "%s", err);
}
END_TEST

START_TEST(structure_and_values_are_strict)
{
    const char *err;

    err = parse_error("[]");
    ck_assert_msg(strstr(err, "object"), "%s", err);
    err = parse_error(locale_json(",\"author\":\"x\"", "", NULL));
    ck_assert_msg(strstr(err, "unknown field 'author'"), "%s", err);
    err = parse_error(locale_json("", ",\"category.chat.title\":3", NULL));
    ck_assert_msg(strstr(err, "must be a string"), "%s", err);
    err = parse_error(locale_json("", ",\"category.chat.title\":\"\"", NULL));
    ck_assert_msg(strstr(err, "empty"), "%s", err);
    err = parse_error(locale_json("", ",\"category.chat.title\":\"a\\nb\"", NULL));
    ck_assert_msg(strstr(err, "control character"), "%s", err);
    err = parse_error(locale_json("", ",\"category.chat.title\":\"a\\u0000b\"", NULL));
    ck_assert_msg(strstr(err, "NUL"), "%s", err);
    err = parse_error(locale_json("", ",\"title\":\"twice\"", NULL));
    ck_assert_msg(strstr(err, "duplicate"), "%s", err);
    err = parse_error("{\"lang\":\"e\",\"name\":\"x\",\"texts\":{}}");
    ck_assert_msg(strstr(err, "lang"), "%s", err);
    err = parse_error("{\"lang\":\"en\",\"name\":\"\",\"texts\":{}}");
    ck_assert_msg(strstr(err, "name"), "%s", err);
    err = parse_error("{\"lang\":\"en\",\"name\":\"English\",\"texts\":[]}");
    ck_assert_msg(strstr(err, "texts"), "%s", err);
}
END_TEST

START_TEST(keys_known_and_unknown)
{
    ck_assert(mc_locale_key_known("title"));
    ck_assert(mc_locale_key_known("category.marketing.description"));
    ck_assert(mc_locale_key_known("category.chat_2.title"));
    ck_assert(!mc_locale_key_known("Title"));
    ck_assert(!mc_locale_key_known("category..title"));
    ck_assert(!mc_locale_key_known("category.chat.name"));
    ck_assert(!mc_locale_key_known("category.Chat.title"));
    ck_assert(!mc_locale_key_known("category.chat"));
    ck_assert(!mc_locale_key_known(""));
    ck_assert_ptr_nonnull(strstr(mc_locale_keys_list(test_pool), "gpc_notice"));
    ck_assert_ptr_nonnull(strstr(mc_locale_keys_list(test_pool), "category.NAME.title"));
}
END_TEST

START_TEST(texts_must_be_showable)
{
    ck_assert_ptr_null(mc_locale_text_problem("Godta alle – «ja»"));
    ck_assert_ptr_nonnull(mc_locale_text_problem(""));
    ck_assert_ptr_nonnull(mc_locale_text_problem("tab\there"));
    ck_assert_ptr_nonnull(mc_locale_text_problem("del\x7f"));
    ck_assert_ptr_nonnull(mc_locale_text_problem("latin1 \xe6"));
    ck_assert_ptr_nonnull(mc_locale_text_problem("overlong \xc0\xaf"));
    ck_assert_ptr_nonnull(mc_locale_text_problem("surrogate \xed\xa0\x80"));
    ck_assert_ptr_nonnull(mc_locale_text_problem(apr_psprintf(test_pool, "%2001s", "x")));
}
END_TEST

START_TEST(overrides_change_the_text_and_the_hash)
{
    const mc_locale_t *en = shipped("en");
    mc_text_t t = {"accept_all", "Yes, fine"};
    mc_locale_t *loc = derive(en, "en", &t, 1);

    ck_assert_str_eq(mc_locale_text(loc, "accept_all"), "Yes, fine");
    ck_assert_str_eq(mc_locale_text(loc, "reject_all"), "Reject all");
    ck_assert_str_ne(mc_locale_hash(loc), mc_locale_hash(en));
    /* the base is untouched */
    ck_assert_str_eq(mc_locale_text(en, "accept_all"), "Accept all");
}
END_TEST

START_TEST(the_hash_depends_on_the_texts_only)
{
    const mc_locale_t *en = shipped("en");
    mc_text_t ab[] = {{"title", "A"}, {"intro", "B"}};
    mc_text_t ba[] = {{"intro", "B"}, {"title", "A"}};
    mc_text_t same = {"accept_all", "Accept all"};

    ck_assert_str_eq(mc_locale_hash(derive(en, "en", ab, 2)),
                     mc_locale_hash(derive(en, "en", ba, 2)));
    ck_assert_str_eq(mc_locale_hash(derive(derive(en, "en", ab, 1), "en", ab + 1, 1)),
                     mc_locale_hash(derive(en, "en", ba, 2)));
    /* setting a text to what it already says changes nothing */
    ck_assert_str_eq(mc_locale_hash(derive(en, "en", &same, 1)), mc_locale_hash(en));
    ck_assert_str_eq(mc_locale_hash(shipped("en")), mc_locale_hash(en));
}
END_TEST

START_TEST(the_hash_differs_per_language)
{
    ck_assert_str_ne(mc_locale_hash(shipped("nb")), mc_locale_hash(shipped("nn")));
    ck_assert_str_ne(mc_locale_hash(shipped("nb")), mc_locale_hash(shipped("en")));
    ck_assert_str_ne(mc_locale_hash(shipped("nn")), mc_locale_hash(shipped("en")));
}
END_TEST

START_TEST(the_hash_is_of_the_canonical_json)
{
    mc_text_t t[] = {{"title", "Say \"hi\" \\ å"}, {"intro", "B/c"}};
    const char *canonical = "{\"intro\":\"B/c\",\"title\":\"Say \\\"hi\\\" \\\\ å\"}";
    char expected[MC_HASH_HEX + 1];

    ck_assert_int_eq(mc_sha256_hex(canonical, strlen(canonical), expected), MC_OK);
    ck_assert_str_eq(mc_locale_hash(derive(NULL, "de", t, 2)), expected);
}
END_TEST

START_TEST(later_overrides_win)
{
    mc_text_t t[] = {{"title", "first"}, {"title", "second"}};
    mc_locale_t *loc = derive(shipped("nb"), "nb", t, 2);

    ck_assert_str_eq(mc_locale_text(loc, "title"), "second");
}
END_TEST

START_TEST(a_language_without_texts_reports_what_is_missing)
{
    mc_text_t t = {"title", "Cookies"};
    mc_locale_t *loc = derive(NULL, "DE", &t, 1);
    const char *missing = mc_locale_missing(test_pool, loc);

    ck_assert_str_eq(mc_locale_lang(loc), "de");
    ck_assert_ptr_nonnull(missing);
    /* in the order of mc_locale_required_keys, title being set */
    ck_assert_msg(strncmp(missing, "intro, accept_all, ", 19) == 0, "%s", missing);
    ck_assert_int_eq(mc_locale_count(loc), 1);
    ck_assert_str_eq(mc_locale_entry(loc, 0)->key, "title");
    ck_assert_ptr_null(mc_locale_entry(loc, 1));
}
END_TEST

START_TEST(bad_overrides_are_refused)
{
    const mc_locale_t *en = shipped("en");
    mc_locale_t *loc = NULL;
    const char *err = NULL;
    mc_text_t unknown = {"titel", "x"}, bad = {"title", "a\tb"};

    ck_assert_int_eq(mc_locale_derive(test_pool, en, "en", &unknown, 1, &loc, &err), MC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "unknown text key 'titel'"));
    ck_assert_ptr_null(loc);
    ck_assert_int_eq(mc_locale_derive(test_pool, en, "en", &bad, 1, &loc, &err), MC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "control character"));
    ck_assert_int_eq(mc_locale_derive(test_pool, en, "e_n", NULL, 0, &loc, &err), MC_EINVAL);
}
END_TEST

Suite *locale_suite(void)
{
    Suite *s = suite_create("locale");
    TCase *load = tcase_create("load");
    TCase *texts = tcase_create("texts");

    tcase_add_checked_fixture(load, unit_pool_setup, unit_pool_teardown);
    tcase_add_test(load, every_shipped_locale_loads_with_every_key);
    tcase_add_test(load, a_complete_file_loads);
    tcase_add_test(load, a_missing_key_is_named);
    tcase_add_test(load, an_unknown_key_is_named_with_the_known_ones);
    tcase_add_test(load, bad_json_says_where);
    tcase_add_test(load, structure_and_values_are_strict);
    tcase_add_test(load, keys_known_and_unknown);
    tcase_add_test(load, texts_must_be_showable);
    suite_add_tcase(s, load);

    tcase_add_checked_fixture(texts, unit_pool_setup, unit_pool_teardown);
    tcase_add_test(texts, overrides_change_the_text_and_the_hash);
    tcase_add_test(texts, the_hash_depends_on_the_texts_only);
    tcase_add_test(texts, the_hash_differs_per_language);
    tcase_add_test(texts, the_hash_is_of_the_canonical_json);
    tcase_add_test(texts, later_overrides_win);
    tcase_add_test(texts, a_language_without_texts_reports_what_is_missing);
    tcase_add_test(texts, bad_overrides_are_refused);
    suite_add_tcase(s, texts);
    return s;
}
