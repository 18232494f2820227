/* Shared by the unit test files: each test_<unit>.c exports one Suite. */
#ifndef MC_UNIT_H
#define MC_UNIT_H

#include <apr_pools.h>
#include <check.h>

Suite *category_suite(void);
Suite *rules_suite(void);
Suite *token_suite(void);
Suite *cookie_suite(void);
Suite *decision_suite(void);
Suite *chain_suite(void);
Suite *lang_suite(void);
Suite *html_suite(void);
Suite *html_tree_suite(void);
Suite *locale_suite(void);
Suite *banner_suite(void);
Suite *declaration_suite(void);
Suite *guardrules_suite(void);
Suite *logstats_suite(void);
Suite *seen_suite(void);
Suite *css_suite(void);
Suite *charref_suite(void);
Suite *url_suite(void);
Suite *csp_suite(void);
Suite *gtag_suite(void);
Suite *inuse_suite(void);
Suite *used_suite(void);
Suite *pagecache_suite(void);
Suite *httpfield_suite(void);
Suite *inflate_suite(void);
Suite *charset_suite(void);
Suite *statekey_suite(void);

/* A pool made before and destroyed after each test (checked fixtures). */
extern apr_pool_t *test_pool;
void unit_pool_setup(void);
void unit_pool_teardown(void);

/* A new file in the temporary directory holding DATA, removed with test_pool. */
const char *unit_temp_file(const void *data, size_t len);

/* Path of a fixture below tests/data. */
const char *unit_data_path(const char *name);

#endif
