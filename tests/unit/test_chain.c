/* Consent-log records and their hash chain: what an auditor relies on. */
#include <apr_file_io.h>
#include <apr_strings.h>
#include <apr_time.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "chain.h"
#include "ipaddr.h"
#include "unit.h"

#define TEXT_HASH "4ce3d9f6d9fb27d5283dbb4a4eebdb553493a91da121d4e3aab6ba82af1134e7"
#define TIME_USEC 1772439300123456LL /* 2026-03-02T08:15:00.123456Z */

static mc_record_t test_record(void)
{
    mc_record_t rec = {0};

    rec.time_usec = TIME_USEC;
    rec.id = "q3Zb9xY0nTL2kRr7vWc1dA";
    rec.policy = "3";
    rec.cats = mc_categories_make(test_pool);
    rec.granted = (1u << MC_CAT_NECESSARY) | (1u << MC_CAT_STATISTICS);
    rec.method = "custom";
    rec.lang = "nb";
    rec.text = TEXT_HASH;
    rec.ip = "203.0.113.0";
    rec.ua = "Mozilla/5.0 (X11; Linux x86_64) Firefox/135.0";
    return rec;
}

static char *format_ok(const mc_record_t *rec, const char *prev, char *hash)
{
    const char *err = NULL;
    char *line = mc_record_format(test_pool, rec, prev, hash, &err);

    ck_assert_msg(line != NULL, "format failed: %s", err);
    return line;
}

/* The line without its '\n', as mc_record_check takes it. */
static size_t body_len(const char *line)
{
    return strlen(line) - 1;
}

/* Hex SHA-256 computed here with EVP, independently of mc_sha256_hex. */
static char *evp_sha256_hex(const char *data, size_t len)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    char *hex = apr_palloc(test_pool, 2 * EVP_MAX_MD_SIZE + 1);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();

    ck_assert(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL));
    ck_assert(EVP_DigestUpdate(ctx, data, len));
    ck_assert(EVP_DigestFinal_ex(ctx, md, &md_len));
    EVP_MD_CTX_free(ctx);
    for (size_t i = 0; i < md_len; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return hex;
}

/* PREFIX (a record up to and including "prev") closed with its correct hash,
 * so that field checks can be tested apart from the hash check. */
static char *seal(const char *prefix)
{
    return apr_pstrcat(test_pool, prefix, ",\"hash\":\"", evp_sha256_hex(prefix, strlen(prefix)),
                       "\"}", NULL);
}

static const char *check_error(const char *line)
{
    char prev[MC_HASH_HEX + 1], hash[MC_HASH_HEX + 1];
    const char *err = NULL;

    ck_assert_int_eq(mc_record_check(test_pool, line, strlen(line), prev, hash, &err), MC_EINVAL);
    ck_assert_ptr_nonnull(err);
    return err;
}

/* The lines of a fixture, '\n' removed. */
static apr_array_header_t *read_lines(const char *name)
{
    apr_array_header_t *lines = apr_array_make(test_pool, 8, sizeof(char *));
    FILE *f = fopen(unit_data_path(name), "r");
    char buf[8192];

    ck_assert_msg(f != NULL, "fixture %s", name);
    while (fgets(buf, sizeof(buf), f)) {
        buf[strcspn(buf, "\n")] = '\0';
        APR_ARRAY_PUSH(lines, char *) = apr_pstrdup(test_pool, buf);
    }
    fclose(f);
    return lines;
}

/* Walks the fixture files in order; returns the first failing "file:line"
 * and its reason in *ERR, or NULL when the chain is intact. */
static const char *walk_files(const char *const *names, size_t count, const char **err)
{
    mc_chain_walk_t walk;
    mc_record_info_t info;

    mc_chain_walk_init(&walk);
    for (size_t f = 0; f < count; f++) {
        apr_array_header_t *lines = read_lines(names[f]);

        for (int i = 0; i < lines->nelts; i++) {
            const char *line = APR_ARRAY_IDX(lines, i, char *);

            if (mc_chain_walk_next(&walk, test_pool, line, strlen(line), &info, err) != MC_OK)
                return apr_psprintf(test_pool, "%s:%d", names[f], i + 1);
        }
    }
    return NULL;
}

/* ---- formatting ------------------------------------------------------------------- */

START_TEST(format_then_check_round_trip)
{
    mc_record_t rec = test_record();
    char hash[MC_HASH_HEX + 1], prev[MC_HASH_HEX + 1], hash2[MC_HASH_HEX + 1];
    const char *err = NULL;
    char *line = format_ok(&rec, mc_chain_genesis, hash);

    ck_assert_uint_le(strlen(line), MC_RECORD_MAX);
    ck_assert_int_eq(line[strlen(line) - 1], '\n');
    ck_assert_ptr_null(memchr(line, '\n', body_len(line)));
    ck_assert_int_eq(mc_record_check(test_pool, line, body_len(line), prev, hash2, &err), MC_OK);
    ck_assert_str_eq(prev, mc_chain_genesis);
    ck_assert_str_eq(hash2, hash);
}
END_TEST

START_TEST(record_has_contract_fields_in_order)
{
    mc_record_t rec = test_record();
    char hash[MC_HASH_HEX + 1];
    char *line = format_ok(&rec, mc_chain_genesis, hash);
    const char *expected = apr_pstrcat(
        test_pool,
        "{\"time\":\"2026-03-02T08:15:00.123Z\",\"id\":\"q3Zb9xY0nTL2kRr7vWc1dA\","
        "\"policy\":\"3\",\"granted\":[\"necessary\",\"statistics\"],"
        "\"refused\":[\"preferences\",\"marketing\"],\"method\":\"custom\",\"lang\":\"nb\","
        "\"text\":\"" TEXT_HASH "\",\"ip\":\"203.0.113.0\","
        "\"ua\":\"Mozilla/5.0 (X11; Linux x86_64) Firefox/135.0\",\"prev\":\"",
        mc_chain_genesis, "\",\"hash\":\"", hash, "\"}\n", NULL);

    ck_assert_str_eq(line, expected);
}
END_TEST

START_TEST(services_and_via_are_written_checked_and_hashed)
{
    mc_record_t rec = test_record();
    apr_array_header_t *ids = apr_array_make(test_pool, 2, sizeof(const char *));
    char hash[MC_HASH_HEX + 1], prev[MC_HASH_HEX + 1], hash2[MC_HASH_HEX + 1];
    const char *err = NULL;
    char *line, *edited, *at;

    APR_ARRAY_PUSH(ids, const char *) = "youtube";
    rec.services = ids;
    rec.via = "placeholder";
    line = format_ok(&rec, mc_chain_genesis, hash);
    ck_assert_ptr_nonnull(strstr(line, "\"refused\":[\"preferences\",\"marketing\"],"
                                       "\"services\":[\"youtube\"],\"method\":\"custom\","
                                       "\"via\":\"placeholder\",\"lang\""));
    ck_assert_int_eq(mc_record_check(test_pool, line, body_len(line), prev, hash2, &err), MC_OK);
    ck_assert_str_eq(hash2, hash);
    /* the hash covers them: another service or another via breaks the record */
    edited = apr_pstrdup(test_pool, line);
    at = strstr(edited, "youtube");
    memcpy(at, "vimeo\",\"x", 7);
    ck_assert_int_ne(mc_record_check(test_pool, edited, body_len(edited), prev, hash2, &err),
                     MC_OK);
    edited = apr_pstrdup(test_pool, line);
    at = strstr(edited, "placeholder");
    memcpy(at, "settings\"   ", 11);
    ck_assert_int_ne(mc_record_check(test_pool, edited, body_len(edited), prev, hash2, &err),
                     MC_OK);
    /* an empty list is written too */
    rec.services = apr_array_make(test_pool, 1, sizeof(const char *));
    line = format_ok(&rec, mc_chain_genesis, hash);
    ck_assert_ptr_nonnull(strstr(line, "\"services\":[],\"method\""));
}
END_TEST

START_TEST(hash_is_sha256_of_the_line_before_the_hash_field)
{
    mc_record_t rec = test_record();
    char hash[MC_HASH_HEX + 1];
    char *line = format_ok(&rec, mc_chain_genesis, hash);
    const char *field = strstr(line, ",\"hash\":\"");

    ck_assert_ptr_nonnull(field);
    ck_assert_str_eq(hash, evp_sha256_hex(line, (size_t)(field - line)));
    ck_assert_int_eq(strncmp(field + 9, hash, MC_HASH_HEX), 0);
}
END_TEST

START_TEST(sha256_known_answer)
{
    char hex[MC_HASH_HEX + 1];

    ck_assert_int_eq(mc_sha256_hex("abc", 3, hex), MC_OK);
    ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
END_TEST

START_TEST(each_record_links_to_the_previous_hash)
{
    mc_record_t rec = test_record();
    char h1[MC_HASH_HEX + 1], h2[MC_HASH_HEX + 1], prev[MC_HASH_HEX + 1], h[MC_HASH_HEX + 1];
    const char *err = NULL;
    char *second;

    format_ok(&rec, mc_chain_genesis, h1);
    rec.method = "withdraw";
    rec.granted = 0;
    second = format_ok(&rec, h1, h2);
    ck_assert_int_eq(mc_record_check(test_pool, second, body_len(second), prev, h, &err), MC_OK);
    ck_assert_str_eq(prev, h1);
    ck_assert_str_eq(h, h2);
    ck_assert_str_ne(h1, h2);
    /* refused holds every category not granted; necessary stays granted */
    ck_assert_ptr_nonnull(strstr(second, "\"granted\":[\"necessary\"],\"refused\":[\"preferences\","
                                         "\"statistics\",\"marketing\"]"));
}
END_TEST

START_TEST(optional_fields_are_omitted_or_present)
{
    mc_record_t rec = test_record();
    char hash[MC_HASH_HEX + 1];
    char *line;

    rec.ip = NULL;
    rec.ua = NULL;
    line = format_ok(&rec, mc_chain_genesis, hash);
    ck_assert_ptr_null(strstr(line, "\"ip\""));
    ck_assert_ptr_null(strstr(line, "\"ua\""));
    ck_assert_ptr_null(strstr(line, "\"gpc\""));
    rec.gpc = 1;
    rec.method = "gpc";
    line = format_ok(&rec, mc_chain_genesis, hash);
    ck_assert_ptr_nonnull(strstr(line, ",\"gpc\":true,\"prev\":"));
}
END_TEST

START_TEST(chain_name_is_recorded_and_checked)
{
    mc_record_t rec = test_record();
    char hash[MC_HASH_HEX + 1];
    mc_record_info_t info;
    const char *err = NULL;
    char *line;

    rec.gpc = 1;
    rec.method = "gpc";
    rec.chain = "web-2.oslo";
    line = format_ok(&rec, mc_chain_genesis, hash);
    ck_assert_ptr_nonnull(strstr(line, ",\"gpc\":true,\"chain\":\"web-2.oslo\",\"prev\":"));
    ck_assert_int_eq(mc_record_parse(test_pool, line, body_len(line), &info, &err), MC_OK);
    ck_assert_str_eq(info.chain, "web-2.oslo");

    rec.chain = NULL;
    line = format_ok(&rec, mc_chain_genesis, hash);
    ck_assert_int_eq(mc_record_parse(test_pool, line, body_len(line), &info, &err), MC_OK);
    ck_assert_str_eq(info.chain, "");

    /* a name that could not be matched safely is never written */
    rec.chain = "web 2";
    ck_assert_ptr_null(mc_record_format(test_pool, &rec, mc_chain_genesis, hash, &err));
    ck_assert(!mc_chain_name_valid(""));
    ck_assert(!mc_chain_name_valid("a/b"));
    ck_assert(mc_chain_name_valid("A_z-0.9"));
    {
        char long_name[MC_CHAIN_NAME_MAX + 2];
        memset(long_name, 'x', sizeof(long_name) - 1);
        long_name[sizeof(long_name) - 1] = '\0';
        ck_assert(!mc_chain_name_valid(long_name));
        long_name[MC_CHAIN_NAME_MAX] = '\0';
        ck_assert(mc_chain_name_valid(long_name));
    }
}
END_TEST

START_TEST(user_agent_is_cut_at_a_character_boundary)
{
    mc_record_t rec = test_record();
    char hash[MC_HASH_HEX + 1];
    char *ua = apr_palloc(test_pool, 300);
    char *line;

    /* 255 ASCII bytes then a 2-byte character: it would end at byte 257 */
    memset(ua, 'a', 255);
    memcpy(ua + 255, "\xc3\xa9tail", sizeof("\xc3\xa9tail"));
    rec.ua = ua;
    line = format_ok(&rec, mc_chain_genesis, hash);
    ck_assert_ptr_nonnull(strstr(
        line, apr_pstrcat(test_pool, "\"ua\":\"", apr_pstrndup(test_pool, ua, 255), "\",", NULL)));
    /* with one byte less before it, the character fits exactly in 256 */
    rec.ua = ua + 1;
    line = format_ok(&rec, mc_chain_genesis, hash);
    ck_assert_ptr_nonnull(
        strstr(line, apr_pstrcat(test_pool, "\"ua\":\"", apr_pstrndup(test_pool, ua + 1, 256),
                                 "\",", NULL)));
}
END_TEST

START_TEST(invalid_utf8_in_user_agent_is_replaced)
{
    mc_record_t rec = test_record();
    char hash[MC_HASH_HEX + 1], prev[MC_HASH_HEX + 1], h[MC_HASH_HEX + 1];
    const char *err = NULL;
    char *line;

    /* a stray byte, an overlong '/', a surrogate and a cut-off sequence */
    rec.ua = "Bot\xff/1 \xc0\xaf \xed\xa0\x80 end\xe2\x82";
    line = format_ok(&rec, mc_chain_genesis, hash);
    ck_assert_ptr_nonnull(strstr(line, "\"ua\":\"Bot\xef\xbf\xbd/1 \xef\xbf\xbd\xef\xbf\xbd "
                                       "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd "
                                       "end\xef\xbf\xbd\xef\xbf\xbd\","));
    ck_assert_int_eq(mc_record_check(test_pool, line, body_len(line), prev, h, &err), MC_OK);
}
END_TEST

START_TEST(too_long_record_is_refused)
{
    mc_record_t rec = test_record();
    char hash[MC_HASH_HEX + 1];
    char *policy = apr_palloc(test_pool, MC_RECORD_MAX + 1);
    const char *err = NULL;

    memset(policy, 'p', MC_RECORD_MAX);
    policy[MC_RECORD_MAX] = '\0';
    rec.policy = policy;
    ck_assert_ptr_null(mc_record_format(test_pool, &rec, mc_chain_genesis, hash, &err));
    ck_assert_ptr_nonnull(strstr(err, "more than 4000"));
}
END_TEST

START_TEST(format_refuses_a_record_that_would_not_verify)
{
    mc_record_t rec = test_record();
    char hash[MC_HASH_HEX + 1];
    const char *err = NULL;

    rec.method = "scroll";
    ck_assert_ptr_null(mc_record_format(test_pool, &rec, mc_chain_genesis, hash, &err));
    ck_assert_ptr_nonnull(strstr(err, "'method'"));
    rec = test_record();
    rec.id = "not an id";
    ck_assert_ptr_null(mc_record_format(test_pool, &rec, mc_chain_genesis, hash, &err));
    ck_assert_ptr_nonnull(strstr(err, "'id'"));
    rec = test_record();
    ck_assert_ptr_null(mc_record_format(test_pool, &rec, "abc", hash, &err));
    ck_assert_ptr_nonnull(strstr(err, "'prev'"));
    rec.lang = NULL;
    ck_assert_ptr_null(mc_record_format(test_pool, &rec, mc_chain_genesis, hash, &err));
    ck_assert_ptr_nonnull(strstr(err, "'lang'"));
    rec = test_record();
    rec.policy = "bad \xff utf-8";
    ck_assert_ptr_null(mc_record_format(test_pool, &rec, mc_chain_genesis, hash, &err));
    ck_assert_ptr_nonnull(strstr(err, "'policy'"));
}
END_TEST

/* ---- checking one record ------------------------------------------------------------- */

#define FIELDS_HEAD                                                                                \
    "{\"time\":\"2026-03-02T08:15:00.123Z\",\"id\":\"q3Zb9xY0nTL2kRr7vWc1dA\",\"policy\":\"3\","   \
    "\"granted\":[\"necessary\"],\"refused\":[\"marketing\"],"
#define FIELDS_TAIL                                                                                \
    "\"method\":\"reject_all\",\"lang\":\"nb\",\"text\":\"" TEXT_HASH "\",\"prev\":\""             \
    "0000000000000000000000000000000000000000000000000000000000000000\""

START_TEST(sealed_minimal_record_checks)
{
    char prev[MC_HASH_HEX + 1], hash[MC_HASH_HEX + 1];
    const char *err = NULL;
    const char *line = seal(FIELDS_HEAD FIELDS_TAIL);

    ck_assert_int_eq(mc_record_check(test_pool, line, strlen(line), prev, hash, &err), MC_OK);
    /* with services and via */
    line = seal(FIELDS_HEAD "\"services\":[\"youtube\",\"google-maps\"],"
                            "\"method\":\"custom\",\"via\":\"placeholder\",\"lang\":\"nb\","
                            "\"text\":\"" TEXT_HASH "\",\"prev\":\""
                            "0000000000000000000000000000000000000000000000000000000000000000\"");
    ck_assert_msg(mc_record_check(test_pool, line, strlen(line), prev, hash, &err) == MC_OK, "%s",
                  err);
    ck_assert_str_eq(check_error(seal(FIELDS_HEAD "\"services\":[\"YouTube\"]," FIELDS_TAIL)),
                     "field 'services' is not a list of service ids, each once");
    ck_assert_str_eq(check_error(seal(FIELDS_HEAD "\"services\":[\"a\",\"a\"]," FIELDS_TAIL)),
                     "field 'services' is not a list of service ids, each once");
    ck_assert_str_eq(
        check_error(seal(FIELDS_HEAD
                         "\"method\":\"custom\",\"via\":\"popup\",\"lang\":\"nb\","
                         "\"text\":\"" TEXT_HASH "\",\"prev\":\""
                         "0000000000000000000000000000000000000000000000000000000000000000\"")),
        "field 'via' is not one of banner, settings, placeholder");
}
END_TEST

START_TEST(field_errors_are_specific)
{
    static const struct {
        const char *prefix;
        const char *reason;
    } cases[] = {
        {"{\"time\":\"2026-03-02T08:15:00.123Z\",\"id\":\"q3Zb9xY0nTL2kRr7vWc1dA\",\"policy\":"
         "\"3\",\"granted\":[\"necessary\"],\"refused\":[],\"lang\":\"nb\",\"text\":\"" TEXT_HASH
         "\",\"prev\":\"0000000000000000000000000000000000000000000000000000000000000000\"",
         "missing field 'method'"},
        {FIELDS_HEAD "\"colour\":\"blue\"," FIELDS_TAIL, "unknown field 'colour'"},
        {"{\"id\":\"q3Zb9xY0nTL2kRr7vWc1dA\",\"time\":\"2026-03-02T08:15:00.123Z\",\"policy\":"
         "\"3\",\"granted\":[\"necessary\"],\"refused\":[],\"method\":\"reject_all\",\"lang\":"
         "\"nb\",\"text\":\"" TEXT_HASH
         "\",\"prev\":\"0000000000000000000000000000000000000000000000000000000000000000\"",
         "field 'time' is out of order"},
        {"{\"time\":\"2026-03-02 08:15:00\",\"id\":\"q3Zb9xY0nTL2kRr7vWc1dA\",\"policy\":\"3\","
         "\"granted\":[\"necessary\"],\"refused\":[]," FIELDS_TAIL,
         "field 'time' is not an RFC 3339 UTC time"},
        {"{\"time\":\"2026-02-29T08:15:00Z\",\"id\":\"q3Zb9xY0nTL2kRr7vWc1dA\",\"policy\":\"3\","
         "\"granted\":[\"necessary\"],\"refused\":[]," FIELDS_TAIL,
         "field 'time' is not"},
        {"{\"time\":\"2026-03-02T08:15:00+01:00\",\"id\":\"q3Zb9xY0nTL2kRr7vWc1dA\",\"policy\":"
         "\"3\",\"granted\":[\"necessary\"],\"refused\":[]," FIELDS_TAIL,
         "field 'time' is not"},
        {"{\"time\":\"2026-03-02T08:15:00.123Z\",\"id\":\"q3Zb9xY0nTL2kRr7vWc1d\",\"policy\":"
         "\"3\",\"granted\":[\"necessary\"],\"refused\":[]," FIELDS_TAIL,
         "field 'id' is not a consent id"},
        {"{\"time\":\"2026-03-02T08:15:00.123Z\",\"id\":\"q3Zb9xY0nTL2kRr7vWc1dA\",\"policy\":3,"
         "\"granted\":[\"necessary\"],\"refused\":[]," FIELDS_TAIL,
         "field 'policy' is not a string"},
        {"{\"time\":\"2026-03-02T08:15:00.123Z\",\"id\":\"q3Zb9xY0nTL2kRr7vWc1dA\",\"policy\":"
         "\"3\",\"granted\":[\"statistics\"],\"refused\":[]," FIELDS_TAIL,
         "'granted' does not contain 'necessary'"},
        {"{\"time\":\"2026-03-02T08:15:00.123Z\",\"id\":\"q3Zb9xY0nTL2kRr7vWc1dA\",\"policy\":"
         "\"3\",\"granted\":[\"necessary\",\"marketing\"],\"refused\":[\"marketing\"]," FIELDS_TAIL,
         "category 'marketing' is both granted and refused"},
        {"{\"time\":\"2026-03-02T08:15:00.123Z\",\"id\":\"q3Zb9xY0nTL2kRr7vWc1dA\",\"policy\":"
         "\"3\",\"granted\":[\"necessary\",\"necessary\"],\"refused\":[]," FIELDS_TAIL,
         "category 'necessary' is listed twice"},
        {"{\"time\":\"2026-03-02T08:15:00.123Z\",\"id\":\"q3Zb9xY0nTL2kRr7vWc1dA\",\"policy\":"
         "\"3\",\"granted\":[\"necessary\",\"Ads\"],\"refused\":[]," FIELDS_TAIL,
         "field 'granted' is not a list of category names"},
        {FIELDS_HEAD
         "\"method\":\"scroll\",\"lang\":\"nb\",\"text\":\"" TEXT_HASH
         "\",\"prev\":\"0000000000000000000000000000000000000000000000000000000000000000\"",
         "field 'method' is not one of"},
        {FIELDS_HEAD "\"method\":\"custom\",\"lang\":\"nb\",\"text\":\"ABC\",\"prev\":\""
                     "0000000000000000000000000000000000000000000000000000000000000000\"",
         "field 'text' is not 64 lower-case hex digits"},
        {FIELDS_HEAD FIELDS_TAIL ",\"gpc\":1", "field 'gpc' is out of order"},
        {FIELDS_HEAD "\"method\":\"gpc\",\"lang\":\"nb\",\"text\":\"" TEXT_HASH
                     "\",\"gpc\":\"yes\",\"prev\":\""
                     "0000000000000000000000000000000000000000000000000000000000000000\"",
         "field 'gpc' is not true or false"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *err = check_error(seal(cases[i].prefix));

        ck_assert_msg(strstr(err, cases[i].reason) != NULL, "case %zu: got \"%s\", want \"%s\"", i,
                      err, cases[i].reason);
    }
}
END_TEST

START_TEST(hash_errors_are_specific)
{
    const char *good = seal(FIELDS_HEAD FIELDS_TAIL);
    char *edited = apr_pstrdup(test_pool, good);

    *strstr(edited, "reject_all") = 'R';
    ck_assert_str_eq(check_error(edited), "hash does not match the record");
    ck_assert_str_eq(check_error(apr_pstrcat(test_pool, good, " ", NULL)),
                     "the record does not end with its \"hash\" field");
    ck_assert_str_eq(check_error(apr_pstrcat(test_pool, " ", good, NULL)),
                     "the record does not start with '{'");
    ck_assert_ptr_nonnull(strstr(check_error("this is not a record"), "not valid JSON"));
    ck_assert_str_eq(check_error("[1,2]"), "not a JSON object");
    ck_assert_str_eq(check_error(""), "empty line");
    /* a second "hash" key could make a line mean two things */
    ck_assert_ptr_nonnull(
        strstr(check_error(seal(FIELDS_HEAD "\"hash\":\"x\"," FIELDS_TAIL)), "duplicate"));
}
END_TEST

/* ---- chains of records (fixtures in tests/data/chain) ---------------------------------- */

START_TEST(valid_log_is_intact)
{
    const char *names[] = {"chain/valid.log"};
    const char *err = NULL;

    ck_assert_ptr_null(walk_files(names, 1, &err));
}
END_TEST

START_TEST(tampered_logs_fail_at_the_right_line)
{
    static const struct {
        const char *file;
        const char *where;
        const char *reason;
    } cases[] = {
        {"chain/edited.log", "chain/edited.log:3", "hash does not match the record"},
        {"chain/rehashed.log", "chain/rehashed.log:4", "the chain is broken here"},
        {"chain/removed.log", "chain/removed.log:3", "the chain is broken here"},
        {"chain/swapped.log", "chain/swapped.log:2", "the chain is broken here"},
        {"chain/truncated.log", "chain/truncated.log:5", "not valid JSON"},
        {"chain/nonjson.log", "chain/nonjson.log:4", "not valid JSON"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *err = NULL;
        const char *where = walk_files(&cases[i].file, 1, &err);

        ck_assert_msg(where != NULL, "%s passed", cases[i].file);
        ck_assert_str_eq(where, cases[i].where);
        ck_assert_msg(strstr(err, cases[i].reason) != NULL, "%s: %s", cases[i].file, err);
    }
}
END_TEST

START_TEST(rotated_pieces_chain_in_order_only)
{
    const char *in_order[] = {"chain/part1.log", "chain/part2.log"};
    const char *reversed[] = {"chain/part2.log", "chain/part1.log"};
    const char *err = NULL;

    ck_assert_ptr_null(walk_files(in_order, 2, &err));
    ck_assert_str_eq(walk_files(reversed, 2, &err), "chain/part1.log:1");
}
END_TEST

START_TEST(chain_may_start_mid_way)
{
    apr_array_header_t *lines = read_lines("chain/midway.log");
    const char *first = APR_ARRAY_IDX(lines, 0, char *);
    const char *names[] = {"chain/midway.log"};
    mc_record_info_t info;
    const char *err = NULL;

    ck_assert_ptr_null(walk_files(names, 1, &err));
    ck_assert_int_eq(mc_record_parse(test_pool, first, strlen(first), &info, &err), MC_OK);
    ck_assert_str_ne(info.prev, mc_chain_genesis);
    ck_assert_str_eq(info.id, "q3Zb9xY0nTL2kRr7vWc1dA");
    ck_assert_str_eq(info.time, "2026-03-02T08:26:42.789Z");
}
END_TEST

START_TEST(failed_record_still_names_its_id)
{
    apr_array_header_t *lines = read_lines("chain/edited.log");
    const char *third = APR_ARRAY_IDX(lines, 2, char *);
    mc_record_info_t info;
    const char *err = NULL;

    ck_assert_int_eq(mc_record_parse(test_pool, third, strlen(third), &info, &err), MC_EINVAL);
    ck_assert_str_eq(info.id, "q3Zb9xY0nTL2kRr7vWc1dA");
    ck_assert_str_eq(info.hash, "");
}
END_TEST

/* ---- the tail of a log file ---------------------------------------------------------- */

static const char *last_hash_of(const char *name)
{
    apr_array_header_t *lines = read_lines(name);
    const char *last = APR_ARRAY_IDX(lines, lines->nelts - 1, char *);

    return apr_pstrndup(test_pool, strstr(last, ",\"hash\":\"") + 9, MC_HASH_HEX);
}

START_TEST(tail_of_a_log)
{
    char hash[MC_HASH_HEX + 1];
    const char *err = NULL;

    ck_assert_int_eq(mc_chain_tail(test_pool, unit_data_path("chain/valid.log"), hash, &err),
                     MC_OK);
    ck_assert_str_eq(hash, last_hash_of("chain/valid.log"));
}
END_TEST

START_TEST(tail_of_a_single_record)
{
    mc_record_t rec = test_record();
    char hash[MC_HASH_HEX + 1], tail[MC_HASH_HEX + 1];
    const char *err = NULL;
    char *line = format_ok(&rec, mc_chain_genesis, hash);

    ck_assert_int_eq(mc_chain_tail(test_pool, unit_temp_file(line, strlen(line)), tail, &err), MC_OK);
    ck_assert_str_eq(tail, hash);
}
END_TEST

START_TEST(tail_of_empty_or_missing_file_is_not_found)
{
    char hash[MC_HASH_HEX + 1];
    const char *err = NULL;

    ck_assert_int_eq(mc_chain_tail(test_pool, unit_data_path("chain/empty.log"), hash, &err),
                     MC_ENOTFOUND);
    ck_assert_int_eq(mc_chain_tail(test_pool, "/nonexistent/consent.log", hash, &err),
                     MC_ENOTFOUND);
}
END_TEST

START_TEST(tail_of_a_torn_write_is_an_error)
{
    char hash[MC_HASH_HEX + 1];
    const char *err = NULL;

    ck_assert_int_eq(mc_chain_tail(test_pool, unit_data_path("chain/torn-newline.log"), hash, &err),
                     MC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "no newline at its end"));
    ck_assert_int_eq(mc_chain_tail(test_pool, unit_data_path("chain/truncated.log"), hash, &err),
                     MC_EINVAL);
}
END_TEST

START_TEST(tail_with_a_bad_last_record_is_an_error)
{
    const char *bad = "{\"time\":\"2026-03-02T08:15:00.123Z\"}\n";
    char hash[MC_HASH_HEX + 1];
    const char *err = NULL;

    ck_assert_int_eq(mc_chain_tail(test_pool, unit_temp_file(bad, strlen(bad)), hash, &err), MC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "the last record of"));
    ck_assert_int_eq(mc_chain_tail(test_pool, unit_temp_file("\n", 1), hash, &err), MC_EINVAL);
}
END_TEST

START_TEST(tail_of_a_huge_last_line_is_refused)
{
    size_t len = MC_LINE_MAX + 10;
    char *data = apr_palloc(test_pool, len);
    char hash[MC_HASH_HEX + 1];
    const char *err = NULL;

    memset(data, 'x', len);
    data[0] = '\n';
    data[len - 1] = '\n';
    ck_assert_int_eq(mc_chain_tail(test_pool, unit_temp_file(data, len), hash, &err), MC_ELIMIT);
}
END_TEST

START_TEST(tail_of_a_large_log_reads_only_its_end)
{
    mc_record_t rec = test_record();
    char prev[MC_HASH_HEX + 1], hash[MC_HASH_HEX + 1], tail[MC_HASH_HEX + 1];
    /* the first line is garbage: only the last one may be looked at */
    char *data = apr_pstrdup(test_pool, "not a record\n");
    apr_array_header_t *parts = apr_array_make(test_pool, 10001, sizeof(char *));
    const char *err = NULL;
    apr_time_t start;

    APR_ARRAY_PUSH(parts, char *) = data;
    memcpy(prev, mc_chain_genesis, sizeof(prev));
    for (int i = 0; i < 10000; i++) {
        rec.time_usec = TIME_USEC + (int64_t)i * 1000000;
        APR_ARRAY_PUSH(parts, char *) = format_ok(&rec, prev, hash);
        memcpy(prev, hash, sizeof(prev));
    }
    data = apr_array_pstrcat(test_pool, parts, 0);
    start = apr_time_now();
    ck_assert_int_eq(mc_chain_tail(test_pool, unit_temp_file(data, strlen(data)), tail, &err), MC_OK);
    ck_assert_int_lt(apr_time_now() - start, apr_time_from_msec(250));
    ck_assert_str_eq(tail, hash);
}
END_TEST

/* ---- helpers the log depends on -------------------------------------------------------- */

START_TEST(ip_addresses_are_truncated)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"203.0.113.7", "203.0.113.0"},
        {"10.0.0.255", "10.0.0.0"},
        {"0.0.0.0", "0.0.0.0"},
        {"2001:db8:1:2::5", "2001:db8:1::"},
        {"2001:0db8:abcd:0012:0000:0000:0000:0001", "2001:db8:abcd::"},
        {"2001:db8::1", "2001:db8::"},
        {"::1", "::"},
        {"::ffff:198.51.100.23", "198.51.100.0"},
        {"::FFFF:198.51.100.23", "198.51.100.0"},
        {"fe80::1%eth0", NULL},
        {"[2001:db8::1]", NULL},
        {"203.0.113", NULL},
        {"203.0.113.256", NULL},
        {" 203.0.113.7", NULL},
        {"example.no", NULL},
        {"", NULL},
    };

    ck_assert_ptr_null(mc_ip_truncate(test_pool, NULL));
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *got = mc_ip_truncate(test_pool, cases[i].in);

        if (cases[i].out)
            ck_assert_msg(got && strcmp(got, cases[i].out) == 0, "%s -> %s", cases[i].in,
                          got ? got : "NULL");
        else
            ck_assert_msg(got == NULL, "%s -> %s, want NULL", cases[i].in, got);
    }
}
END_TEST

START_TEST(times_are_rfc3339_utc_with_milliseconds)
{
    ck_assert_str_eq(mc_time_rfc3339(test_pool, 0), "1970-01-01T00:00:00.000Z");
    ck_assert_str_eq(mc_time_rfc3339(test_pool, TIME_USEC), "2026-03-02T08:15:00.123Z");
    ck_assert_str_eq(mc_time_rfc3339(test_pool, 951782400999999LL), "2000-02-29T00:00:00.999Z");
    ck_assert_str_eq(mc_time_rfc3339(test_pool, -1), "1969-12-31T23:59:59.999Z");
}
END_TEST

Suite *chain_suite(void)
{
    Suite *s = suite_create("chain");
    TCase *format = tcase_create("formatting records");
    TCase *check = tcase_create("checking a record");
    TCase *chain = tcase_create("chains");
    TCase *tail = tcase_create("the tail of a log");
    TCase *helpers = tcase_create("helpers");
    TCase *all[] = {format, check, chain, tail, helpers};

    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        tcase_add_checked_fixture(all[i], unit_pool_setup, unit_pool_teardown);
        suite_add_tcase(s, all[i]);
    }
    tcase_set_timeout(tail, 30); /* the 10000-record log, under sanitizers */
    tcase_add_test(format, services_and_via_are_written_checked_and_hashed);
    tcase_add_test(format, format_then_check_round_trip);
    tcase_add_test(format, record_has_contract_fields_in_order);
    tcase_add_test(format, hash_is_sha256_of_the_line_before_the_hash_field);
    tcase_add_test(format, sha256_known_answer);
    tcase_add_test(format, each_record_links_to_the_previous_hash);
    tcase_add_test(format, optional_fields_are_omitted_or_present);
    tcase_add_test(format, chain_name_is_recorded_and_checked);
    tcase_add_test(format, user_agent_is_cut_at_a_character_boundary);
    tcase_add_test(format, invalid_utf8_in_user_agent_is_replaced);
    tcase_add_test(format, too_long_record_is_refused);
    tcase_add_test(format, format_refuses_a_record_that_would_not_verify);
    tcase_add_test(check, sealed_minimal_record_checks);
    tcase_add_test(check, field_errors_are_specific);
    tcase_add_test(check, hash_errors_are_specific);
    tcase_add_test(chain, valid_log_is_intact);
    tcase_add_test(chain, tampered_logs_fail_at_the_right_line);
    tcase_add_test(chain, rotated_pieces_chain_in_order_only);
    tcase_add_test(chain, chain_may_start_mid_way);
    tcase_add_test(chain, failed_record_still_names_its_id);
    tcase_add_test(tail, tail_of_a_log);
    tcase_add_test(tail, tail_of_a_single_record);
    tcase_add_test(tail, tail_of_empty_or_missing_file_is_not_found);
    tcase_add_test(tail, tail_of_a_torn_write_is_an_error);
    tcase_add_test(tail, tail_with_a_bad_last_record_is_an_error);
    tcase_add_test(tail, tail_of_a_huge_last_line_is_refused);
    tcase_add_test(tail, tail_of_a_large_log_reads_only_its_end);
    tcase_add_test(helpers, ip_addresses_are_truncated);
    tcase_add_test(helpers, times_are_rfc3339_utc_with_milliseconds);
    return s;
}
