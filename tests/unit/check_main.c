/* Runs every unit suite of the pure-C core. No httpd is involved. */
#include <apr_file_io.h>
#include <apr_general.h>
#include <apr_strings.h>
#include <stdio.h>
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

/* Not the default flags: those delete the file when it is closed. */
#define TEMP_FLAGS (APR_FOPEN_CREATE | APR_FOPEN_READ | APR_FOPEN_WRITE | APR_FOPEN_EXCL)

static apr_status_t remove_temp_file(void *path)
{
    remove(path);
    return APR_SUCCESS;
}

const char *unit_temp_file(const void *data, size_t len)
{
    const char *dir = NULL;
    apr_file_t *file;
    char *path;

    ck_assert_int_eq(apr_temp_dir_get(&dir, test_pool), APR_SUCCESS);
    path = apr_pstrcat(test_pool, dir, "/mc_unit_XXXXXX", NULL);
    ck_assert_int_eq(apr_file_mktemp(&file, path, TEMP_FLAGS, test_pool), APR_SUCCESS);
    ck_assert_int_eq(apr_file_write_full(file, data, len, NULL), APR_SUCCESS);
    apr_file_close(file);
    apr_pool_cleanup_register(test_pool, path, remove_temp_file, apr_pool_cleanup_null);
    return path;
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
                  {"lang", lang_suite},         {"locale", locale_suite},
                  {"banner", banner_suite},     {"declaration", declaration_suite},
                  {"html", html_suite},         {"html_tree", html_tree_suite},
                  {"guardrules", guardrules_suite},
                  {"logstats", logstats_suite},
                  {"seen", seen_suite},         {"css", css_suite},
                  {"charref", charref_suite},   {"url", url_suite},
                  {"csp", csp_suite},           {"gtag", gtag_suite},
                  {"inuse", inuse_suite},       {"used", used_suite},
                  {"pagecache", pagecache_suite},
                  {"httpfield", httpfield_suite}, {"inflate", inflate_suite},
                  {"charset", charset_suite},
                  {"statekey", statekey_suite}};
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
