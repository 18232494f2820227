/* Banner language negotiation from Accept-Language. */
#include "lang.h"
#include "unit.h"

static const char *const offered[] = {"nb", "nn", "en"};

static int pick(const char *accept)
{
    return mc_lang_negotiate(accept, offered, 3);
}

START_TEST(exact_and_regional_tags_match)
{
    ck_assert_int_eq(pick("en"), 2);
    ck_assert_int_eq(pick("nn-NO"), 1);
    ck_assert_int_eq(pick("EN-gb"), 2);
}
END_TEST

START_TEST(norwegian_no_means_bokmal)
{
    ck_assert_int_eq(pick("no"), 0);
    ck_assert_int_eq(pick("no-NO,en;q=0.5"), 0);
}
END_TEST

START_TEST(q_values_decide_not_order)
{
    ck_assert_int_eq(pick("en;q=0.4, nn;q=0.9"), 1);
    ck_assert_int_eq(pick("de, en;q=0.8, nb;q=0.81"), 0);
    /* equal weight: the visitor's first listed wins */
    ck_assert_int_eq(pick("en, nb"), 2);
}
END_TEST

START_TEST(refused_and_unknown_languages_never_match)
{
    ck_assert_int_eq(pick("en;q=0"), -1);
    ck_assert_int_eq(pick("de-DE, fr"), -1);
    ck_assert_int_eq(pick(NULL), -1);
    ck_assert_int_eq(pick(""), -1);
    ck_assert_int_eq(pick(",,;q=1,;"), -1);
    /* a prefix is not a match: "e" is not "en", "nbx" is not "nb" */
    ck_assert_int_eq(pick("e, nbx"), -1);
}
END_TEST

START_TEST(tag_syntax)
{
    ck_assert(mc_lang_tag_valid("nb"));
    ck_assert(mc_lang_tag_valid("en-GB"));
    ck_assert(!mc_lang_tag_valid("n"));
    ck_assert(!mc_lang_tag_valid("1b"));
    ck_assert(!mc_lang_tag_valid("nb_NO"));
    ck_assert(!mc_lang_tag_valid("abcdefghi"));
}
END_TEST

Suite *lang_suite(void)
{
    Suite *s = suite_create("lang");
    TCase *tc = tcase_create("negotiate");

    tcase_add_test(tc, exact_and_regional_tags_match);
    tcase_add_test(tc, norwegian_no_means_bokmal);
    tcase_add_test(tc, q_values_decide_not_order);
    tcase_add_test(tc, refused_and_unknown_languages_never_match);
    tcase_add_test(tc, tag_syntax);
    suite_add_tcase(s, tc);
    return s;
}
