/* Consent categories: the built-ins, admin-declared ones, and lookups by name. */
#include <stdio.h>
#include <string.h>

#include "category.h"
#include "unit.h"

static mc_status_t add(mc_categories_t *cats, const char *name, int required)
{
    const char *err = NULL;
    mc_status_t rv = mc_categories_add(cats, name, required, &err);

    if (rv != MC_OK)
        ck_assert_ptr_nonnull(err);
    return rv;
}

START_TEST(builtins_come_first_in_contract_order)
{
    mc_categories_t *cats = mc_categories_make(test_pool);

    ck_assert_int_eq(mc_categories_count(cats), 4);
    ck_assert_str_eq(mc_categories_name(cats, MC_CAT_NECESSARY), "necessary");
    ck_assert_str_eq(mc_categories_name(cats, MC_CAT_PREFERENCES), "preferences");
    ck_assert_str_eq(mc_categories_name(cats, MC_CAT_STATISTICS), "statistics");
    ck_assert_str_eq(mc_categories_name(cats, MC_CAT_MARKETING), "marketing");
    ck_assert_int_eq(mc_categories_index(cats, "marketing"), MC_CAT_MARKETING);
}
END_TEST

START_TEST(only_necessary_is_required_by_default)
{
    mc_categories_t *cats = mc_categories_make(test_pool);

    ck_assert_uint_eq(mc_categories_required(cats), 1u << MC_CAT_NECESSARY);
    ck_assert_uint_eq(mc_categories_all(cats), 0xfu);
}
END_TEST

START_TEST(admin_category_gets_next_index)
{
    mc_categories_t *cats = mc_categories_make(test_pool);

    ck_assert_int_eq(add(cats, "functional", 0), MC_OK);
    ck_assert_int_eq(mc_categories_index(cats, "functional"), 4);
    ck_assert_int_eq(mc_categories_count(cats), 5);
    ck_assert_uint_eq(mc_categories_all(cats), 0x1fu);
    ck_assert_uint_eq(mc_categories_required(cats), 1u);
}
END_TEST

START_TEST(required_admin_category_is_always_granted)
{
    mc_categories_t *cats = mc_categories_make(test_pool);

    ck_assert_int_eq(add(cats, "security", 1), MC_OK);
    ck_assert_uint_eq(mc_categories_required(cats), 1u | (1u << 4));
}
END_TEST

START_TEST(adding_again_only_updates_required)
{
    mc_categories_t *cats = mc_categories_make(test_pool);

    ck_assert_int_eq(add(cats, "security", 1), MC_OK);
    ck_assert_int_eq(add(cats, "security", 0), MC_OK);
    ck_assert_int_eq(mc_categories_count(cats), 5);
    ck_assert_uint_eq(mc_categories_required(cats), 1u);
    ck_assert_int_eq(add(cats, "statistics", 1), MC_OK);
    ck_assert_int_eq(mc_categories_count(cats), 5);
    ck_assert(mc_catmask_has(mc_categories_required(cats), MC_CAT_STATISTICS));
}
END_TEST

START_TEST(necessary_cannot_be_made_optional)
{
    mc_categories_t *cats = mc_categories_make(test_pool);

    ck_assert_int_eq(add(cats, "necessary", 0), MC_EINVAL);
    ck_assert_int_eq(add(cats, "necessary", 1), MC_OK);
    ck_assert_uint_eq(mc_categories_required(cats), 1u);
}
END_TEST

static const char *const bad_names[] = {"",
                                        "Marketing",
                                        "has space",
                                        "a.b",
                                        "\xc3\xa6rlig",
                                        "a;b",
                                        "tab\t",
                                        "abcdefghijklmnopqrstuvwxyz0123456"};

START_TEST(bad_names_are_refused)
{
    mc_categories_t *cats = mc_categories_make(test_pool);

    ck_assert(!mc_category_name_valid(bad_names[_i]));
    ck_assert_int_eq(add(cats, bad_names[_i], 0), MC_EINVAL);
    ck_assert_int_eq(mc_categories_count(cats), 4);
}
END_TEST

START_TEST(good_names_are_accepted)
{
    ck_assert(mc_category_name_valid("a"));
    ck_assert(mc_category_name_valid("social_media-2"));
    ck_assert(mc_category_name_valid("abcdefghijklmnopqrstuvwxyz012345"));
}
END_TEST

START_TEST(at_most_32_categories)
{
    mc_categories_t *cats = mc_categories_make(test_pool);
    char name[8];

    for (int i = 4; i < MC_MAX_CATEGORIES; i++) {
        snprintf(name, sizeof(name), "c%d", i);
        ck_assert_int_eq(add(cats, name, 0), MC_OK);
    }
    ck_assert_int_eq(mc_categories_count(cats), 32);
    ck_assert_uint_eq(mc_categories_all(cats), 0xffffffffu);
    ck_assert_int_eq(add(cats, "one-too-many", 0), MC_ELIMIT);
    ck_assert_int_eq(add(cats, "c31", 1), MC_OK);
    ck_assert(mc_catmask_has(mc_categories_required(cats), 31));
}
END_TEST

START_TEST(names_are_kept_after_the_caller_reuses_its_buffer)
{
    mc_categories_t *cats = mc_categories_make(test_pool);
    char name[16] = "functional";

    ck_assert_int_eq(add(cats, name, 0), MC_OK);
    snprintf(name, sizeof(name), "%s", "overwritten");
    ck_assert_str_eq(mc_categories_name(cats, 4), "functional");
    ck_assert_int_eq(mc_categories_index(cats, "functional"), 4);
}
END_TEST

START_TEST(copy_is_independent)
{
    mc_categories_t *cats = mc_categories_make(test_pool);
    mc_categories_t *copy;

    ck_assert_int_eq(add(cats, "functional", 0), MC_OK);
    copy = mc_categories_copy(test_pool, cats);
    ck_assert_int_eq(add(copy, "security", 1), MC_OK);
    ck_assert_int_eq(mc_categories_count(cats), 5);
    ck_assert_int_eq(mc_categories_index(cats, "security"), -1);
    ck_assert_int_eq(mc_categories_index(copy, "functional"), 4);
    ck_assert_int_eq(mc_categories_index(copy, "security"), 5);
}
END_TEST

START_TEST(lookup_by_length_needs_the_whole_name)
{
    mc_categories_t *cats = mc_categories_make(test_pool);
    static const char with_nul[] = "necessary\0xyz";

    ck_assert_int_eq(mc_categories_index_n(cats, "statistics:marketing", 10), MC_CAT_STATISTICS);
    ck_assert_int_eq(mc_categories_index_n(cats, "marketing", 9), MC_CAT_MARKETING);
    ck_assert_int_eq(mc_categories_index_n(cats, "stat", 4), -1);
    ck_assert_int_eq(mc_categories_index_n(cats, "statisticsX", 11), -1);
    ck_assert_int_eq(mc_categories_index_n(cats, "", 0), -1);
    /* a NUL inside the given length is not the end of the name */
    ck_assert_int_eq(mc_categories_index_n(cats, with_nul, sizeof(with_nul) - 1), -1);
    ck_assert_int_eq(mc_categories_index(cats, "unknown"), -1);
}
END_TEST

START_TEST(out_of_range_lookups_are_safe)
{
    mc_categories_t *cats = mc_categories_make(test_pool);

    ck_assert_ptr_null(mc_categories_name(cats, -1));
    ck_assert_ptr_null(mc_categories_name(cats, 4));
    ck_assert(!mc_catmask_has(0xffffffffu, -1));
    ck_assert(!mc_catmask_has(0xffffffffu, 32));
    ck_assert(mc_catmask_has(0x80000000u, 31));
    ck_assert(!mc_catmask_has(0x1u, 1));
}
END_TEST

Suite *category_suite(void)
{
    Suite *s = suite_create("category");
    TCase *tc = tcase_create("category");

    tcase_add_checked_fixture(tc, unit_pool_setup, unit_pool_teardown);
    tcase_add_test(tc, builtins_come_first_in_contract_order);
    tcase_add_test(tc, only_necessary_is_required_by_default);
    tcase_add_test(tc, admin_category_gets_next_index);
    tcase_add_test(tc, required_admin_category_is_always_granted);
    tcase_add_test(tc, adding_again_only_updates_required);
    tcase_add_test(tc, necessary_cannot_be_made_optional);
    tcase_add_loop_test(tc, bad_names_are_refused, 0,
                        (int)(sizeof(bad_names) / sizeof(bad_names[0])));
    tcase_add_test(tc, good_names_are_accepted);
    tcase_add_test(tc, at_most_32_categories);
    tcase_add_test(tc, names_are_kept_after_the_caller_reuses_its_buffer);
    tcase_add_test(tc, copy_is_independent);
    tcase_add_test(tc, lookup_by_length_needs_the_whole_name);
    tcase_add_test(tc, out_of_range_lookups_are_safe);
    suite_add_tcase(s, tc);
    return s;
}
