/* The signed consent cookie: what a visitor's browser carries and what the
 * server believes of it. */
#include <apr_file_io.h>
#include <apr_strings.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

#include "token.h"
#include "unit.h"

#define NOW 1772439300   /* 2026-03-02 */
#define MAX_AGE 15552000 /* 180 days */
#define POLICY "3"
#define ID "q3Zb9xY0nTL2kRr7vWc1dA"

static mc_token_key_t test_key(const char *secret)
{
    mc_token_key_t key = {.pads = NULL};

    key.len = strlen(secret);
    memcpy(key.bytes, secret, key.len);
    return key;
}

static mc_categories_t *test_categories(void)
{
    return mc_categories_make(test_pool);
}

/* Two catalogue services, as a configuration knows them. */
static const mc_ruleset_t *test_rules(void)
{
    static const char json[] =
        "{\"services\": [{\"name\": \"YouTube\", \"category\": \"marketing\"},"
        "{\"name\": \"Google Maps\", \"category\": \"marketing\"}]}";
    mc_ruleset_t *rs = mc_ruleset_make(test_pool);
    const char *err = NULL;

    ck_assert_int_eq(mc_ruleset_load_json(rs, json, sizeof(json) - 1, "test", &err), MC_OK);
    return rs;
}

/* IDS as an array of service ids. */
static const apr_array_header_t *ids_of(const char *const *ids, int n)
{
    apr_array_header_t *a = apr_array_make(test_pool, n, sizeof(const char *));

    for (int i = 0; i < n; i++)
        APR_ARRAY_PUSH(a, const char *) = ids[i];
    return a;
}

/* The services of C joined with ',', to compare in one assertion. */
static const char *services_of(const mc_consent_t *c)
{
    const char *out = "";

    for (int i = 0; c->services && i < c->services->nelts; i++)
        out = apr_pstrcat(test_pool, out, i ? "," : "", APR_ARRAY_IDX(c->services, i, const char *),
                          NULL);
    return out;
}

/* A decided consent granting statistics, made NOW. */
static mc_consent_t test_consent(const mc_categories_t *cats)
{
    mc_consent_t c;

    mc_consent_init(&c, cats);
    c.decided = 1;
    apr_cpystrn(c.id, ID, sizeof(c.id));
    c.policy = POLICY;
    c.time = NOW;
    c.granted |= (mc_catmask_t)1 << MC_CAT_STATISTICS;
    return c;
}

static char *encode_default(void)
{
    mc_token_key_t key = test_key("0123456789abcdef0123456789abcdef");
    mc_consent_t c = test_consent(test_categories());

    return mc_token_encode(test_pool, &key, test_categories(), &c);
}

static mc_token_status_t decode_at(const char *value, int64_t now, mc_consent_t *out)
{
    mc_token_key_t key = test_key("0123456789abcdef0123456789abcdef");

    return mc_token_decode(test_pool, &key, test_categories(), test_rules(), value, strlen(value),
                           POLICY, now, MAX_AGE, out);
}

static mc_token_status_t decode(const char *value, mc_consent_t *out)
{
    return decode_at(value, NOW, out);
}

/* PAYLOAD with a correct signature appended, so that a test can reach the
 * checks that come after the signature, or show syntax is checked anyway. */
static char *sign(const char *payload)
{
    unsigned char sig[32];
    unsigned int len = 0;
    mc_token_key_t key = test_key("0123456789abcdef0123456789abcdef");

    ck_assert_ptr_nonnull(HMAC(EVP_sha256(), key.bytes, (int)key.len,
                               (const unsigned char *)payload, strlen(payload), sig, &len));
    return apr_pstrcat(test_pool, payload, ".", mc_base64url_encode(test_pool, sig, len), NULL);
}

static char *policy64(const char *policy)
{
    return mc_base64url_encode(test_pool, (const unsigned char *)policy, strlen(policy));
}

static char *payload_with(const char *time, const char *granted)
{
    return apr_psprintf(test_pool, "1." ID ".%s.%s.%s", policy64(POLICY), time, granted);
}

static void assert_undecided(const mc_consent_t *c)
{
    ck_assert_int_eq(c->decided, 0);
    ck_assert_ptr_null(c->policy);
    ck_assert_int_eq(c->time, 0);
    ck_assert_uint_eq(c->granted, (mc_catmask_t)1 << MC_CAT_NECESSARY);
}

/* ---- a good token ------------------------------------------------------------------ */

START_TEST(round_trip_keeps_the_decision)
{
    mc_consent_t out;
    char *value = encode_default();

    ck_assert_ptr_nonnull(value);
    ck_assert_int_eq(decode(value, &out), MC_TOKEN_VALID);
    ck_assert_int_eq(out.decided, 1);
    ck_assert_str_eq(out.id, ID);
    ck_assert_str_eq(out.policy, POLICY);
    ck_assert_int_eq(out.time, NOW);
    ck_assert_uint_eq(out.granted, (1u << MC_CAT_NECESSARY) | (1u << MC_CAT_STATISTICS));
}
END_TEST

START_TEST(value_has_the_documented_layout)
{
    char *value = encode_default();
    char *expected_prefix =
        apr_psprintf(test_pool, "2." ID ".%s.%d.necessary:statistics..", policy64(POLICY), NOW);

    ck_assert_ptr_nonnull(value);
    ck_assert_int_eq(strncmp(value, expected_prefix, strlen(expected_prefix)), 0);
    ck_assert_uint_eq(strlen(value), strlen(expected_prefix) + 43); /* 32-byte HMAC */
    ck_assert_str_eq(sign(apr_pstrndup(test_pool, value, strlen(expected_prefix) - 1)), value);
}
END_TEST

START_TEST(quoted_value_is_accepted)
{
    mc_consent_t out;
    char *quoted = apr_pstrcat(test_pool, "\"", encode_default(), "\"", NULL);

    ck_assert_int_eq(decode(quoted, &out), MC_TOKEN_VALID);
    ck_assert_str_eq(out.id, ID);
    ck_assert_int_eq(decode(quoted + 1, &out), MC_TOKEN_MALFORMED); /* only a closing quote */
}
END_TEST

START_TEST(policy_with_any_characters_round_trips)
{
    mc_token_key_t key = test_key("0123456789abcdef0123456789abcdef");
    mc_categories_t *cats = test_categories();
    mc_consent_t c = test_consent(cats), out;
    const char *policy = "2026-03 rev.2 (ny tekst: æøå)";
    char *value;

    c.policy = policy;
    value = mc_token_encode(test_pool, &key, cats, &c);
    ck_assert_ptr_nonnull(value);
    ck_assert_int_eq(mc_token_decode(test_pool, &key, cats, test_rules(), value, strlen(value),
                                     policy, NOW, MAX_AGE, &out),
                     MC_TOKEN_VALID);
    ck_assert_str_eq(out.policy, policy);
}
END_TEST

/* ---- forged and damaged tokens ------------------------------------------------------ */

START_TEST(changing_any_byte_never_validates)
{
    static const char replacements[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:=+/\" ";
    char *value = encode_default();
    size_t len = strlen(value);
    mc_consent_t out;

    for (size_t i = 0; i < len; i++) {
        char original = value[i];

        for (const char *r = replacements; *r; r++) {
            if (*r == original)
                continue;
            value[i] = *r;
            ck_assert_msg(decode(value, &out) != MC_TOKEN_VALID, "byte %zu as '%c' validated", i,
                          *r);
            ck_assert_int_eq(out.decided, 0);
        }
        value[i] = original;
    }
}
END_TEST

START_TEST(each_field_tampered_is_a_bad_signature)
{
    char *value = encode_default();
    char *sig = strrchr(value, '.') + 1;
    const char *tampered[] = {
        /* another id, another policy, another time, more categories */
        apr_psprintf(test_pool, "1.AAAAAAAAAAAAAAAAAAAAAA.%s.%d.necessary:statistics.%s",
                     policy64(POLICY), NOW, sig),
        apr_psprintf(test_pool, "1." ID ".%s.%d.necessary:statistics.%s", policy64("4"), NOW, sig),
        apr_psprintf(test_pool, "1." ID ".%s.%d.necessary:statistics.%s", policy64(POLICY), NOW + 1,
                     sig),
        apr_psprintf(test_pool, "1." ID ".%s.%d.necessary:statistics:marketing.%s",
                     policy64(POLICY), NOW, sig),
        apr_psprintf(test_pool, "1." ID ".%s.%d.necessary:statistics.%s", policy64(POLICY), NOW,
                     mc_base64url_encode(test_pool,
                                         (const unsigned char *)"0123456789abcdef"
                                                                "0123456789abcdef",
                                         32)),
    };
    mc_consent_t out;

    for (size_t i = 0; i < sizeof(tampered) / sizeof(tampered[0]); i++) {
        ck_assert_msg(decode(tampered[i], &out) == MC_TOKEN_BAD_SIGNATURE, "field %zu", i);
        assert_undecided(&out);
        ck_assert_str_eq(out.id, "");
    }
}
END_TEST

START_TEST(another_key_is_a_bad_signature)
{
    mc_token_key_t other = test_key("another secret, 32 bytes long!!");
    char *value = encode_default();
    mc_consent_t out;

    ck_assert_int_eq(mc_token_decode(test_pool, &other, test_categories(), test_rules(), value,
                                     strlen(value), POLICY, NOW, MAX_AGE, &out),
                     MC_TOKEN_BAD_SIGNATURE);
    assert_undecided(&out);
}
END_TEST

START_TEST(every_truncation_is_rejected)
{
    char *value = encode_default();
    size_t len = strlen(value);
    mc_token_key_t key = test_key("0123456789abcdef0123456789abcdef");
    mc_consent_t out;

    ck_assert_int_eq(mc_token_decode(test_pool, &key, test_categories(), test_rules(), value, 0,
                                     POLICY, NOW, MAX_AGE, &out),
                     MC_TOKEN_MISSING);
    for (size_t n = 1; n < len; n++) {
        mc_token_status_t s = mc_token_decode(test_pool, &key, test_categories(), test_rules(),
                                              value, n, POLICY, NOW, MAX_AGE, &out);

        ck_assert_msg(s == MC_TOKEN_MALFORMED || s == MC_TOKEN_BAD_SIGNATURE, "cut at %zu: %s", n,
                      mc_token_status_str(s));
    }
}
END_TEST

START_TEST(missing_value)
{
    mc_token_key_t key = test_key("0123456789abcdef0123456789abcdef");
    mc_consent_t out;

    ck_assert_int_eq(mc_token_decode(test_pool, &key, test_categories(), test_rules(), NULL, 0,
                                     POLICY, NOW, MAX_AGE, &out),
                     MC_TOKEN_MISSING);
    assert_undecided(&out);
    ck_assert_int_eq(decode("", &out), MC_TOKEN_MISSING);
}
END_TEST

START_TEST(oversized_value_is_malformed)
{
    char *value = apr_palloc(test_pool, MC_TOKEN_MAX + 2);
    char *good = encode_default();
    mc_consent_t out;

    /* a valid token followed by enough padding to pass the limit */
    memset(value, 'A', MC_TOKEN_MAX + 1);
    memcpy(value, good, strlen(good));
    value[MC_TOKEN_MAX + 1] = '\0';
    ck_assert_int_eq(decode(value, &out), MC_TOKEN_MALFORMED);
}
END_TEST

START_TEST(malformed_structure)
{
    const char *p64 = policy64(POLICY);
    const char *bad[] = {
        sign(apr_psprintf(test_pool, "2." ID ".%s.%d.necessary", p64, NOW)),   /* version */
        sign(apr_psprintf(test_pool, "1." ID ".%s.%d", p64, NOW)),             /* 5 fields */
        sign(apr_psprintf(test_pool, "1." ID ".%s.%d.necessary.x", p64, NOW)), /* 7 fields */
        sign(apr_psprintf(test_pool, "1." ID "..%d.necessary", NOW)),          /* empty policy */
        sign(apr_psprintf(test_pool, "1." ID ".%s..necessary", p64)),          /* empty time */
        sign(apr_psprintf(test_pool, "1." ID ".%s.%d.", p64, NOW)),            /* no names */
        sign(apr_psprintf(test_pool, "1.q3Zb9xY0nTL2kRr7vWc1d.%s.%d.necessary", p64, NOW)),
        sign(apr_psprintf(test_pool, "1.q3Zb9xY0nTL2kRr7vWc1dAA.%s.%d.necessary", p64, NOW)),
        sign(apr_psprintf(test_pool, "1.q3Zb9xY0nTL2kRr7vWc1d=.%s.%d.necessary", p64, NOW)),
        sign(apr_psprintf(test_pool, "1." ID ".Mw==.%d.necessary", NOW)),   /* padded */
        sign(apr_psprintf(test_pool, "1." ID ".M+.%d.necessary", NOW)),     /* '+' not url */
        sign(apr_psprintf(test_pool, "1." ID ".AA.%d.necessary", NOW)),     /* NUL policy */
        apr_psprintf(test_pool, "1." ID ".%s.%d.necessary.", p64, NOW),     /* empty sig */
        apr_psprintf(test_pool, "1." ID ".%s.%d.necessary.AAAA", p64, NOW), /* 3-byte sig */
        apr_psprintf(test_pool, "1." ID ".%s.%d.necessary.%s", p64, NOW,    /* 33-byte sig */
                     mc_base64url_encode(test_pool,
                                         (const unsigned char *)"0123456789abcdef"
                                                                "0123456789abcdefX",
                                         33)),
    };
    mc_consent_t out;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(decode(bad[i], &out) == MC_TOKEN_MALFORMED, "case %zu: %s", i, bad[i]);
        assert_undecided(&out);
    }
}
END_TEST

START_TEST(signature_must_be_canonical_base64url)
{
    char *value = encode_default();
    char *last = value + strlen(value) - 1;
    char canonical = *last;
    mc_consent_t out;

    /* 43 characters carry 258 bits for 256: the two spare bits must be 0 */
    for (const char *c = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"; *c;
         c++) {
        *last = *c;
        if (*c != canonical)
            ck_assert_int_ne(decode(value, &out), MC_TOKEN_VALID);
    }
}
END_TEST

START_TEST(time_must_be_plain_decimal)
{
    const char *bad_times[] = {"-1",
                               "+1772439300",
                               " 1772439300",
                               "1772439300 ",
                               "1.5",
                               "1e9",
                               "0x10",
                               "01772439300",
                               "17724393OO",
                               "9223372036854775808",
                               "99999999999999999999"};
    mc_consent_t out;

    for (size_t i = 0; i < sizeof(bad_times) / sizeof(bad_times[0]); i++) {
        char *value = sign(payload_with(bad_times[i], "necessary"));

        ck_assert_msg(decode(value, &out) == MC_TOKEN_MALFORMED, "time '%s'", bad_times[i]);
    }
    /* the largest int64 parses, and is then far in the future */
    ck_assert_int_eq(decode(sign(payload_with("9223372036854775807", "necessary")), &out),
                     MC_TOKEN_FUTURE);
    ck_assert_int_eq(decode(sign(payload_with("0", "necessary")), &out), MC_TOKEN_EXPIRED);
}
END_TEST

START_TEST(invalid_category_names_are_malformed)
{
    const char *bad_names[] = {"necessary:",
                               ":necessary",
                               "necessary::statistics",
                               "Necessary",
                               "necessary:stat istics",
                               "necessary:stat%20",
                               "necessary:a23456789012345678901234567890123"};
    mc_consent_t out;

    for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
        char *value = sign(payload_with(apr_itoa(test_pool, NOW), bad_names[i]));

        ck_assert_msg(decode(value, &out) == MC_TOKEN_MALFORMED, "names '%s'", bad_names[i]);
    }
}
END_TEST

/* ---- time and policy ----------------------------------------------------------------- */

START_TEST(expires_at_exactly_max_age)
{
    char *value = encode_default();
    mc_consent_t out;

    ck_assert_int_eq(decode_at(value, NOW + MAX_AGE - 1, &out), MC_TOKEN_VALID);
    ck_assert_int_eq(decode_at(value, NOW + MAX_AGE, &out), MC_TOKEN_EXPIRED);
    assert_undecided(&out);
    ck_assert_str_eq(out.id, ID); /* a new decision continues the visitor's history */
}
END_TEST

START_TEST(future_time_beyond_clock_skew)
{
    char *value = encode_default();
    mc_consent_t out;

    ck_assert_int_eq(decode_at(value, NOW - MC_CLOCK_SKEW, &out), MC_TOKEN_VALID);
    ck_assert_int_eq(decode_at(value, NOW - MC_CLOCK_SKEW - 1, &out), MC_TOKEN_FUTURE);
    assert_undecided(&out);
    ck_assert_str_eq(out.id, "");
}
END_TEST

START_TEST(outdated_policy_keeps_the_id)
{
    mc_token_key_t key = test_key("0123456789abcdef0123456789abcdef");
    char *value = encode_default();
    mc_consent_t out;

    ck_assert_int_eq(mc_token_decode(test_pool, &key, test_categories(), test_rules(), value,
                                     strlen(value), "4", NOW, MAX_AGE, &out),
                     MC_TOKEN_OUTDATED);
    assert_undecided(&out);
    ck_assert_str_eq(out.id, ID);
    /* "3" is not a prefix match for "30" */
    ck_assert_int_eq(mc_token_decode(test_pool, &key, test_categories(), test_rules(), value,
                                     strlen(value), "30", NOW, MAX_AGE, &out),
                     MC_TOKEN_OUTDATED);
}
END_TEST

/* ---- categories --------------------------------------------------------------------- */

START_TEST(unknown_category_is_ignored)
{
    mc_consent_t out;
    char *value = sign(payload_with(apr_itoa(test_pool, NOW), "necessary:newsletter:statistics"));

    ck_assert_int_eq(decode(value, &out), MC_TOKEN_VALID);
    ck_assert_uint_eq(out.granted, (1u << MC_CAT_NECESSARY) | (1u << MC_CAT_STATISTICS));
}
END_TEST

START_TEST(required_categories_are_always_granted)
{
    mc_token_key_t key = test_key("0123456789abcdef0123456789abcdef");
    mc_categories_t *cats = test_categories();
    const char *err = NULL;
    char *value = sign(payload_with(apr_itoa(test_pool, NOW), "statistics"));
    mc_consent_t out;
    int security;

    ck_assert_int_eq(decode(value, &out), MC_TOKEN_VALID);
    ck_assert(mc_catmask_has(out.granted, MC_CAT_NECESSARY));
    /* a category made required after the visitor decided */
    ck_assert_int_eq(mc_categories_add(cats, "security", 1, &err), MC_OK);
    security = mc_categories_index(cats, "security");
    ck_assert_int_eq(mc_token_decode(test_pool, &key, cats, test_rules(), value, strlen(value),
                                     POLICY, NOW, MAX_AGE, &out),
                     MC_TOKEN_VALID);
    ck_assert(mc_catmask_has(out.granted, security));
    ck_assert(mc_catmask_has(out.granted, MC_CAT_STATISTICS));
}
END_TEST

START_TEST(encode_writes_required_categories_and_only_known_ones)
{
    mc_token_key_t key = test_key("0123456789abcdef0123456789abcdef");
    mc_categories_t *cats = test_categories();
    mc_consent_t c = test_consent(cats);
    char *value;

    c.granted = (mc_catmask_t)1 << MC_CAT_MARKETING | (mc_catmask_t)1 << 20;
    value = mc_token_encode(test_pool, &key, cats, &c);
    ck_assert_ptr_nonnull(strstr(value, ".necessary:marketing."));
}
END_TEST

START_TEST(encode_refuses_what_decode_would_refuse)
{
    mc_token_key_t key = test_key("0123456789abcdef0123456789abcdef");
    mc_categories_t *cats = test_categories();
    mc_consent_t c = test_consent(cats);

    c.policy = NULL;
    ck_assert_ptr_null(mc_token_encode(test_pool, &key, cats, &c));
    c.policy = "";
    ck_assert_ptr_null(mc_token_encode(test_pool, &key, cats, &c));
    c = test_consent(cats);
    apr_cpystrn(c.id, "short", sizeof(c.id));
    ck_assert_ptr_null(mc_token_encode(test_pool, &key, cats, &c));
    c = test_consent(cats);
    c.time = -1;
    ck_assert_ptr_null(mc_token_encode(test_pool, &key, cats, &c));
    c = test_consent(cats);
    c.policy = apr_pstrndup(test_pool, memset(apr_palloc(test_pool, 2400), 'x', 2400), 2400);
    ck_assert_ptr_null(mc_token_encode(test_pool, &key, cats, &c)); /* over MC_TOKEN_MAX */
}
END_TEST

/* ---- services --------------------------------------------------------------------- */

static char *encode_services(const char *const *ids, int n)
{
    mc_token_key_t key = test_key("0123456789abcdef0123456789abcdef");
    mc_consent_t c = test_consent(test_categories());

    c.services = ids_of(ids, n);
    return mc_token_encode(test_pool, &key, test_categories(), &c);
}

START_TEST(services_round_trip_in_the_signed_value)
{
    static const char *const ids[] = {"youtube", "google-maps"};
    char *value = encode_services(ids, 2);
    mc_consent_t out;

    ck_assert_ptr_nonnull(strstr(value, ".necessary:statistics.youtube:google-maps."));
    ck_assert_int_eq(decode(value, &out), MC_TOKEN_VALID);
    ck_assert_str_eq(services_of(&out), "youtube,google-maps");
    ck_assert(mc_consent_has_service(&out, "youtube"));
    ck_assert(!mc_consent_has_service(&out, "meta-pixel"));
}
END_TEST

START_TEST(unknown_services_are_dropped_on_decode)
{
    char *value = sign(apr_psprintf(test_pool, "2." ID ".%s.%d.necessary.tiktok:youtube:vimeo",
                                    policy64(POLICY), NOW));
    mc_token_key_t key = test_key("0123456789abcdef0123456789abcdef");
    mc_consent_t out;

    ck_assert_int_eq(decode(value, &out), MC_TOKEN_VALID);
    ck_assert_str_eq(services_of(&out), "youtube");
    /* a configuration without a catalogue knows none */
    ck_assert_int_eq(mc_token_decode(test_pool, &key, test_categories(), NULL, value, strlen(value),
                                     POLICY, NOW, MAX_AGE, &out),
                     MC_TOKEN_VALID);
    ck_assert_str_eq(services_of(&out), "");
}
END_TEST

START_TEST(version_1_tokens_still_decode_without_services)
{
    char *value = sign(payload_with(apr_itoa(test_pool, NOW), "necessary:marketing"));
    mc_consent_t out;

    ck_assert_int_eq(decode(value, &out), MC_TOKEN_VALID);
    ck_assert(mc_catmask_has(out.granted, MC_CAT_MARKETING));
    ck_assert_str_eq(services_of(&out), "");
    ck_assert(!mc_consent_has_service(&out, "youtube"));
}
END_TEST

START_TEST(tampered_services_are_a_bad_signature)
{
    static const char *const ids[] = {"youtube"};
    char *value = encode_services(ids, 1);
    char *sig = strrchr(value, '.') + 1;
    const char *tampered[] = {
        apr_psprintf(test_pool, "2." ID ".%s.%d.necessary:statistics.youtube:google-maps.%s",
                     policy64(POLICY), NOW, sig),
        apr_psprintf(test_pool, "2." ID ".%s.%d.necessary:statistics.google-maps.%s",
                     policy64(POLICY), NOW, sig),
        apr_psprintf(test_pool, "2." ID ".%s.%d.necessary:statistics..%s", policy64(POLICY), NOW,
                     sig),
        /* the same fields as a version 1 token */
        apr_psprintf(test_pool, "1." ID ".%s.%d.necessary:statistics.%s", policy64(POLICY), NOW,
                     sig),
    };
    mc_consent_t out;

    ck_assert_int_eq(decode(value, &out), MC_TOKEN_VALID);
    for (size_t i = 0; i < sizeof(tampered) / sizeof(tampered[0]); i++) {
        ck_assert_msg(decode(tampered[i], &out) == MC_TOKEN_BAD_SIGNATURE, "case %zu", i);
        ck_assert_str_eq(services_of(&out), "");
    }
}
END_TEST

START_TEST(malformed_or_too_many_services)
{
    const char *p64 = policy64(POLICY);
    const char *many = "a";
    const char *bad[] = {
        sign(apr_psprintf(test_pool, "2." ID ".%s.%d.necessary.YouTube", p64, NOW)),
        sign(apr_psprintf(test_pool, "2." ID ".%s.%d.necessary.youtube:", p64, NOW)),
        sign(apr_psprintf(test_pool, "2." ID ".%s.%d.necessary.:youtube", p64, NOW)),
        sign(apr_psprintf(test_pool, "2." ID ".%s.%d.necessary.-youtube", p64, NOW)),
        sign(apr_psprintf(test_pool, "2." ID ".%s.%d.necessary.you%%20tube", p64, NOW)),
        NULL,
    };
    mc_consent_t out;
    static const char *const ids[MC_SERVICES_MAX + 1] = {"youtube"};
    const char *list[MC_SERVICES_MAX + 1];

    for (int i = 1; i <= MC_SERVICES_MAX; i++)
        many = apr_pstrcat(test_pool, many, ":a", NULL);
    bad[5] = sign(apr_psprintf(test_pool, "2." ID ".%s.%d.necessary.%s", p64, NOW, many));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(decode(bad[i], &out) == MC_TOKEN_MALFORMED, "case %zu", i);
    /* the encoder refuses what the decoder would */
    for (int i = 0; i <= MC_SERVICES_MAX; i++)
        list[i] = "youtube";
    ck_assert_ptr_null(encode_services(list, MC_SERVICES_MAX + 1));
    ck_assert_ptr_nonnull(encode_services(list, MC_SERVICES_MAX));
    list[0] = "You Tube";
    ck_assert_ptr_null(encode_services(list, 1));
    ck_assert_ptr_nonnull(encode_services(ids, 1));
}
END_TEST

/* ---- keys and ids -------------------------------------------------------------------- */

START_TEST(key_file_trailing_newline_is_stripped)
{
    mc_token_key_t key;
    const char *err = NULL;

    ck_assert_int_eq(
        mc_token_key_from_file(test_pool, unit_temp_file("0123456789abcdef\n", 17), &key, &err), MC_OK);
    ck_assert_uint_eq(key.len, 16);
    ck_assert_int_eq(memcmp(key.bytes, "0123456789abcdef", 16), 0);
    ck_assert_int_eq(
        mc_token_key_from_file(test_pool, unit_temp_file("0123456789abcdef\r\n", 18), &key, &err),
        MC_OK);
    ck_assert_uint_eq(key.len, 16);
    /* only one newline is taken away: the rest is part of the secret */
    ck_assert_int_eq(
        mc_token_key_from_file(test_pool, unit_temp_file("0123456789abcdef\n\n", 18), &key, &err),
        MC_OK);
    ck_assert_uint_eq(key.len, 17);
}
END_TEST

START_TEST(key_file_binary_bytes_are_kept)
{
    static const unsigned char secret[20] = {0,  1,  2,  0xff, 0,  '\n', 7,  8,  9, 10,
                                             11, 12, 13, 14,   15, 16,   17, 18, 0, 0x80};
    mc_token_key_t key;
    const char *err = NULL;

    ck_assert_int_eq(
        mc_token_key_from_file(test_pool, unit_temp_file(secret, sizeof(secret)), &key, &err), MC_OK);
    ck_assert_uint_eq(key.len, sizeof(secret));
    ck_assert_int_eq(memcmp(key.bytes, secret, sizeof(secret)), 0);
}
END_TEST

START_TEST(key_file_too_short_says_how_to_make_one)
{
    mc_token_key_t key;
    const char *err = NULL;
    const char *path = unit_temp_file("short\n", 6);

    ck_assert_int_eq(mc_token_key_from_file(test_pool, path, &key, &err), MC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, path));
    ck_assert_ptr_nonnull(strstr(err, "is 5 bytes; at least 16"));
    ck_assert_ptr_nonnull(strstr(err, "head -c 32 /dev/urandom | base64 >"));
}
END_TEST

START_TEST(key_file_too_long)
{
    char big[MC_KEY_MAX + 1];
    mc_token_key_t key;
    const char *err = NULL;

    memset(big, 'k', sizeof(big));
    ck_assert_int_eq(mc_token_key_from_file(test_pool, unit_temp_file(big, MC_KEY_MAX), &key, &err),
                     MC_OK);
    ck_assert_int_eq(mc_token_key_from_file(test_pool, unit_temp_file(big, sizeof(big)), &key, &err),
                     MC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "longer than 256 bytes"));
}
END_TEST

START_TEST(key_file_missing)
{
    mc_token_key_t key;
    const char *err = NULL;

    ck_assert_int_eq(mc_token_key_from_file(test_pool, "/nonexistent/consent.key", &key, &err),
                     MC_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/consent.key"));
}
END_TEST

START_TEST(random_key_and_ids)
{
    mc_token_key_t a, b;
    char id1[MC_ID_LEN + 1], id2[MC_ID_LEN + 1];

    ck_assert_int_eq(mc_token_key_random(&a), MC_OK);
    ck_assert_int_eq(mc_token_key_random(&b), MC_OK);
    ck_assert_uint_ge(a.len, MC_KEY_MIN);
    ck_assert_int_ne(memcmp(a.bytes, b.bytes, a.len), 0);
    ck_assert_int_eq(mc_consent_id_new(id1), MC_OK);
    ck_assert_int_eq(mc_consent_id_new(id2), MC_OK);
    ck_assert_uint_eq(strlen(id1), MC_ID_LEN);
    ck_assert(mc_consent_id_valid(id1, strlen(id1)));
    ck_assert_str_ne(id1, id2);
}
END_TEST

/* A loaded key signs with its MAC states made once: what it signs must be
 * HMAC-SHA256 of its bytes as OpenSSL computes it, for a key shorter than
 * SHA-256's 64-byte block, exactly one block, and longer (hashed first). */
START_TEST(loaded_keys_sign_with_hmac_sha256)
{
    static const size_t lengths[] = {MC_KEY_MIN, 64, 65, MC_KEY_MAX};
    static const char text[] = "placeholder\0https://www.youtube.com/embed/x";

    for (size_t k = 0; k < sizeof(lengths) / sizeof(lengths[0]); k++) {
        unsigned char secret[MC_KEY_MAX], mac[32];
        unsigned int mac_len = 0;
        mc_token_key_t loaded, by_hand = {.pads = NULL};
        mc_consent_t c = test_consent(test_categories()), back;
        const char *err = NULL, *value;

        for (size_t i = 0; i < lengths[k]; i++)
            secret[i] = (unsigned char)('A' + (i * 7 + k) % 26);
        ck_assert_int_eq(mc_token_key_from_file(test_pool, unit_temp_file(secret, lengths[k]),
                                                &loaded, &err),
                         MC_OK);
        ck_assert_ptr_nonnull(loaded.pads);
        ck_assert_ptr_nonnull(HMAC(EVP_sha256(), secret, (int)lengths[k],
                                   (const unsigned char *)text, sizeof(text) - 1, mac, &mac_len));
        ck_assert_str_eq(mc_token_sign_text(test_pool, &loaded, "placeholder",
                                            "https://www.youtube.com/embed/x"),
                         mc_base64url_encode(test_pool, mac, 16));
        /* a cookie signed by the loaded key verifies with the same bytes
         * keyed at each use, and the other way round */
        memcpy(by_hand.bytes, secret, lengths[k]);
        by_hand.len = lengths[k];
        value = mc_token_encode(test_pool, &loaded, test_categories(), &c);
        ck_assert_ptr_nonnull(value);
        ck_assert_int_eq(mc_token_decode(test_pool, &by_hand, test_categories(), test_rules(),
                                         value, strlen(value), POLICY, NOW, MAX_AGE, &back),
                         MC_TOKEN_VALID);
        value = mc_token_encode(test_pool, &by_hand, test_categories(), &c);
        ck_assert_int_eq(mc_token_decode(test_pool, &loaded, test_categories(), test_rules(),
                                         value, strlen(value), POLICY, NOW, MAX_AGE, &back),
                         MC_TOKEN_VALID);
        ck_assert_int_eq(back.granted, c.granted);
    }
}
END_TEST

START_TEST(base64url_round_trip_and_strictness)
{
    unsigned char data[40], back[40];

    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (unsigned char)(i * 37 + 250);
    for (size_t n = 0; n <= sizeof(data); n++) {
        char *text = mc_base64url_encode(test_pool, data, n);

        ck_assert_uint_eq(strlen(text), (n * 4 + 2) / 3);
        ck_assert_int_eq(mc_base64url_decode(back, text, strlen(text)), (long)n);
        ck_assert_int_eq(memcmp(back, data, n), 0);
        ck_assert_ptr_null(strpbrk(text, "+/="));
    }
    ck_assert_int_eq(mc_base64url_decode(back, "A", 1), -1);    /* impossible length */
    ck_assert_int_eq(mc_base64url_decode(back, "AB", 2), -1);   /* spare bits set */
    ck_assert_int_eq(mc_base64url_decode(back, "AA==", 4), -1); /* padding */
    ck_assert_int_eq(mc_base64url_decode(back, "a+/b", 4), -1); /* standard alphabet */
    ck_assert_int_eq(mc_base64url_decode(back, "-_-_", 4), 3);
}
END_TEST

START_TEST(status_names)
{
    for (int s = MC_TOKEN_VALID; s <= MC_TOKEN_FUTURE; s++)
        ck_assert_str_ne(mc_token_status_str((mc_token_status_t)s), "unknown token status");
}
END_TEST

START_TEST(signed_text_is_known_only_to_the_key)
{
    mc_token_key_t key, other;
    const char *url = "https://www.youtube.com/embed/x?rel=0";
    char *sig;

    memset(&key, 0, sizeof(key));
    memcpy(key.bytes, "0123456789abcdef0123456789abcdef", 32);
    key.len = 32;
    other = key;
    other.bytes[0] = 'X';
    sig = mc_token_sign_text(test_pool, &key, "placeholder", url);
    ck_assert_ptr_nonnull(sig);
    ck_assert_uint_eq(strlen(sig), MC_TEXT_SIG_LEN);
    ck_assert(mc_token_text_signed(&key, "placeholder", url, sig));
    /* another URL, purpose or key, a changed or cut signature: refused */
    ck_assert(!mc_token_text_signed(&key, "placeholder", "https://evil.example/matomo.php", sig));
    ck_assert(!mc_token_text_signed(&key, "other", url, sig));
    ck_assert(!mc_token_text_signed(&other, "placeholder", url, sig));
    sig[3] = sig[3] == 'A' ? 'B' : 'A';
    ck_assert(!mc_token_text_signed(&key, "placeholder", url, sig));
    ck_assert(!mc_token_text_signed(&key, "placeholder", url, "short"));
    ck_assert(!mc_token_text_signed(&key, "placeholder", url, NULL));
    /* HMAC-SHA256(key, "placeholder\0" url), its first 16 bytes in base64url,
     * computed apart with Python's hmac module */
    ck_assert_str_eq(mc_token_sign_text(test_pool, &key, "placeholder", "a"),
                     "a1IuUbbD4qKo3GJZsNkpJA");
}
END_TEST

Suite *token_suite(void)
{
    Suite *s = suite_create("token");
    TCase *good = tcase_create("good tokens");
    TCase *bad = tcase_create("forged and damaged tokens");
    TCase *time = tcase_create("time and policy");
    TCase *cats = tcase_create("categories");
    TCase *keys = tcase_create("keys and ids");
    TCase *all[] = {good, bad, time, cats, keys};

    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        tcase_add_checked_fixture(all[i], unit_pool_setup, unit_pool_teardown);
        suite_add_tcase(s, all[i]);
    }
    tcase_add_test(good, round_trip_keeps_the_decision);
    tcase_add_test(good, value_has_the_documented_layout);
    tcase_add_test(good, quoted_value_is_accepted);
    tcase_add_test(good, policy_with_any_characters_round_trips);
    tcase_add_test(bad, changing_any_byte_never_validates);
    tcase_add_test(bad, each_field_tampered_is_a_bad_signature);
    tcase_add_test(bad, another_key_is_a_bad_signature);
    tcase_add_test(bad, every_truncation_is_rejected);
    tcase_add_test(bad, missing_value);
    tcase_add_test(bad, oversized_value_is_malformed);
    tcase_add_test(bad, malformed_structure);
    tcase_add_test(bad, signature_must_be_canonical_base64url);
    tcase_add_test(bad, time_must_be_plain_decimal);
    tcase_add_test(bad, invalid_category_names_are_malformed);
    tcase_add_test(time, expires_at_exactly_max_age);
    tcase_add_test(time, future_time_beyond_clock_skew);
    tcase_add_test(time, outdated_policy_keeps_the_id);
    tcase_add_test(cats, unknown_category_is_ignored);
    tcase_add_test(cats, required_categories_are_always_granted);
    tcase_add_test(cats, encode_writes_required_categories_and_only_known_ones);
    tcase_add_test(cats, encode_refuses_what_decode_would_refuse);
    tcase_add_test(cats, services_round_trip_in_the_signed_value);
    tcase_add_test(cats, unknown_services_are_dropped_on_decode);
    tcase_add_test(cats, version_1_tokens_still_decode_without_services);
    tcase_add_test(cats, tampered_services_are_a_bad_signature);
    tcase_add_test(cats, malformed_or_too_many_services);
    tcase_add_test(keys, key_file_trailing_newline_is_stripped);
    tcase_add_test(keys, key_file_binary_bytes_are_kept);
    tcase_add_test(keys, key_file_too_short_says_how_to_make_one);
    tcase_add_test(keys, key_file_too_long);
    tcase_add_test(keys, key_file_missing);
    tcase_add_test(keys, random_key_and_ids);
    tcase_add_test(keys, loaded_keys_sign_with_hmac_sha256);
    tcase_add_test(keys, base64url_round_trip_and_strictness);
    tcase_add_test(keys, status_names);
    tcase_add_test(keys, signed_text_is_known_only_to_the_key);
    return s;
}
