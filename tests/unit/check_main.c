/* Runs every unit suite of the pure-C core. No httpd is involved. */
#include <apr_general.h>
#include <apr_strings.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

apr_pool_t *test_pool;

void unit_pool_setup(void)
{
    ck_assert_int_eq(apr_pool_create(&test_pool, NULL), APR_SUCCESS);
}

void unit_pool_teardown(void)
{
    apr_pool_destroy(test_pool);
    test_pool = NULL;
}

const char *unit_data_path(const char *name)
{
    return apr_pstrcat(test_pool, MC_TEST_DATA, "/", name, NULL);
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        Suite *(*make)(void);
    } suites[] = {{"category", category_suite}, {"rules", rules_suite},
                  {"token", token_suite},       {"cookie", cookie_suite},
                  {"decision", decision_suite}, {"chain", chain_suite},
                  {"lang", lang_suite}};
    SRunner *runner;
    int failed;

    apr_initialize();
    runner = srunner_create(NULL);
    for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
        /* "check_consent rules" runs one suite, for quick iteration */
        if (argc < 2 || strcmp(argv[1], suites[i].name) == 0)
            srunner_add_suite(runner, suites[i].make());
    }
    srunner_run_all(runner, CK_NORMAL);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    apr_terminate();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
