/* Set-Cookie and Cookie headers as servers and browsers really send them, and hostile. */
#include <apr_strings.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "cookie.h"
#include "unit.h"

#define EXPIRY_TAIL "=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT"

static const char *item(const apr_array_header_t *a, int i)
{
    ck_assert_int_lt(i, a->nelts);
    return APR_ARRAY_IDX(a, i, const char *);
}

static mc_setcookie_t parsed(const char *text)
{
    mc_setcookie_t c;

    ck_assert_int_eq(mc_setcookie_parse(test_pool, text, &c), MC_OK);
    return c;
}

static char *repeat(const char *unit, int times)
{
    size_t n = strlen(unit);
    char *out = apr_palloc(test_pool, n * (size_t)times + 1);

    for (int i = 0; i < times; i++)
        memcpy(out + n * (size_t)i, unit, n);
    out[n * (size_t)times] = '\0';
    return out;
}

/* --- splitting a folded Set-Cookie value -------------------------------------------- */

START_TEST(hosts_match_their_domain_and_its_subdomains_only)
{
    ck_assert(mc_domain_match("klinikk.no", "klinikk.no"));
    ck_assert(mc_domain_match("WWW.Klinikk.no", "klinikk.no"));
    ck_assert(mc_domain_match("a.b.klinikk.no", "klinikk.no"));
    /* a name that merely ends the same is another site */
    ck_assert(!mc_domain_match("evilklinikk.no", "klinikk.no"));
    ck_assert(!mc_domain_match("klinikk.no", "www.klinikk.no"));
    ck_assert(!mc_domain_match("klinikk.no.evil.example", "klinikk.no"));
    ck_assert(!mc_domain_match("", "klinikk.no"));
}
END_TEST

START_TEST(split_single_cookie_is_trimmed)
{
    apr_array_header_t *a = mc_setcookie_split(test_pool, "  sid=abc; Path=/  ");

    ck_assert_int_eq(a->nelts, 1);
    ck_assert_str_eq(item(a, 0), "sid=abc; Path=/");
}
END_TEST

START_TEST(split_folded_header_with_expires_dates)
{
    apr_array_header_t *a = mc_setcookie_split(
        test_pool, "_ga=GA1.1.1; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Path=/, "
                   "sid=abc; HttpOnly,_fbp=fb.1; expires=Thursday, 22-Oct-26 07:28:00 GMT");

    ck_assert_int_eq(a->nelts, 3);
    ck_assert_str_eq(item(a, 0), "_ga=GA1.1.1; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Path=/");
    ck_assert_str_eq(item(a, 1), "sid=abc; HttpOnly");
    ck_assert_str_eq(item(a, 2), "_fbp=fb.1; expires=Thursday, 22-Oct-26 07:28:00 GMT");
}
END_TEST

START_TEST(split_keeps_commas_inside_quoted_values)
{
    apr_array_header_t *a = mc_setcookie_split(test_pool, "a=\"x, b=y\"; Path=/, c=3");

    ck_assert_int_eq(a->nelts, 2);
    ck_assert_str_eq(item(a, 0), "a=\"x, b=y\"; Path=/");
    ck_assert_str_eq(item(a, 1), "c=3");
}
END_TEST

START_TEST(split_stray_quote_does_not_swallow_later_cookies)
{
    apr_array_header_t *a = mc_setcookie_split(test_pool, "a=x\"y, b=2, c=3");

    ck_assert_int_eq(a->nelts, 3);
    ck_assert_str_eq(item(a, 0), "a=x\"y");
}
END_TEST

START_TEST(split_allows_space_before_equals_and_drops_empty_pieces)
{
    apr_array_header_t *a = mc_setcookie_split(test_pool, ", a=1,b =2 ,  c=3");

    ck_assert_int_eq(a->nelts, 3);
    ck_assert_str_eq(item(a, 0), "a=1");
    ck_assert_str_eq(item(a, 1), "b =2");
    ck_assert_str_eq(item(a, 2), "c=3");
}
END_TEST

START_TEST(split_of_nothing_is_empty)
{
    ck_assert_int_eq(mc_setcookie_split(test_pool, NULL)->nelts, 0);
    ck_assert_int_eq(mc_setcookie_split(test_pool, "")->nelts, 0);
    ck_assert_int_eq(mc_setcookie_split(test_pool, " \t ")->nelts, 0);
}
END_TEST

START_TEST(split_comma_without_a_name_does_not_split)
{
    apr_array_header_t *a = mc_setcookie_split(test_pool, "a=1, =2, 3, ;x");

    ck_assert_int_eq(a->nelts, 1);
}
END_TEST

START_TEST(split_of_hostile_comma_runs_is_fast)
{
    char *field = apr_pstrcat(test_pool, "a=1", repeat(", xxxxxxxx yyy", 8000), (char *)NULL);
    clock_t start = clock();
    apr_array_header_t *a = mc_setcookie_split(test_pool, field);

    ck_assert_int_eq(a->nelts, 1);
    a = mc_setcookie_split(test_pool, repeat(",x=", 40000));
    ck_assert_int_eq(a->nelts, 40000);
    ck_assert_double_lt((double)(clock() - start) / CLOCKS_PER_SEC, 1.0);
}
END_TEST

/* --- parsing one Set-Cookie --------------------------------------------------------- */

START_TEST(parse_plain_cookie)
{
    mc_setcookie_t c = parsed("sid=abc123");

    ck_assert_str_eq(c.name, "sid");
    ck_assert_str_eq(c.value, "abc123");
    ck_assert_ptr_null(c.domain);
    ck_assert_ptr_null(c.path);
    ck_assert(!c.has_max_age);
    ck_assert(!c.has_expires);
}
END_TEST

START_TEST(parse_keeps_quotes_and_equals_in_value)
{
    ck_assert_str_eq(parsed("id=\"a b\"; Path=/").value, "\"a b\"");
    ck_assert_str_eq(parsed("t=a=b==").value, "a=b==");
}
END_TEST

START_TEST(parse_without_equals_is_nameless)
{
    mc_setcookie_t c = parsed("justvalue; Path=/");

    ck_assert_str_eq(c.name, "");
    ck_assert_str_eq(c.value, "justvalue");
    c = parsed("=v");
    ck_assert_str_eq(c.name, "");
    ck_assert_str_eq(c.value, "v");
}
END_TEST

START_TEST(parse_empty_value)
{
    mc_setcookie_t c = parsed("a=; Max-Age=0");

    ck_assert_str_eq(c.name, "a");
    ck_assert_str_eq(c.value, "");
}
END_TEST

START_TEST(parse_trims_name_and_value)
{
    mc_setcookie_t c = parsed("  a \t=  1 ;path=/x");

    ck_assert_str_eq(c.name, "a");
    ck_assert_str_eq(c.value, "1");
    ck_assert_str_eq(c.path, "/x");
}
END_TEST

START_TEST(parse_attributes_in_odd_case_and_spacing)
{
    mc_setcookie_t c = parsed("a=1;   DoMaIn = .Example.NO ;PATH=/x;mAx-AgE= 60 ;"
                              "EXPIRES=Wed, 21 Oct 2026 07:28:00 GMT;secure;HTTPONLY");

    ck_assert_str_eq(c.domain, "example.no");
    ck_assert_str_eq(c.path, "/x");
    ck_assert(c.has_max_age);
    ck_assert_int_eq(c.max_age, 60);
    ck_assert(c.has_expires);
    ck_assert_int_eq(c.expires, 1792567680);
}
END_TEST

START_TEST(parse_domain_strips_one_dot_and_empty_is_none)
{
    ck_assert_ptr_null(parsed("a=1; Domain=").domain);
    ck_assert_ptr_null(parsed("a=1; Domain=.").domain);
    ck_assert_str_eq(parsed("a=1; Domain=..x.no").domain, ".x.no");
    ck_assert_str_eq(parsed("a=1; Domain=WWW.example.no").domain, "www.example.no");
}
END_TEST

START_TEST(parse_path_must_start_with_slash)
{
    ck_assert_ptr_null(parsed("a=1; Path=x/y").path);
    ck_assert_ptr_null(parsed("a=1; Path=").path);
    ck_assert_str_eq(parsed("a=1; Path=/").path, "/");
}
END_TEST

START_TEST(parse_max_age_negative_garbage_and_huge)
{
    mc_setcookie_t c = parsed("a=1; Max-Age=-1");

    ck_assert(c.has_max_age);
    ck_assert_int_eq(c.max_age, -1);
    ck_assert(!parsed("a=1; Max-Age=abc").has_max_age);
    ck_assert(!parsed("a=1; Max-Age=1a").has_max_age);
    ck_assert(!parsed("a=1; Max-Age=+5").has_max_age);
    ck_assert(!parsed("a=1; Max-Age=-").has_max_age);
    ck_assert(!parsed("a=1; Max-Age=").has_max_age);
    ck_assert(!parsed("a=1; Max-Age=1 2").has_max_age);
    ck_assert_int_eq(parsed("a=1; Max-Age=99999999999999999999999").max_age, INT64_MAX);
    ck_assert_int_eq(parsed("a=1; Max-Age=-99999999999999999999").max_age, -INT64_MAX);
}
END_TEST

START_TEST(parse_last_valid_attribute_wins)
{
    ck_assert_int_eq(parsed("a=1; Max-Age=5; max-age=7").max_age, 7);
    ck_assert_int_eq(parsed("a=1; Max-Age=5; Max-Age=junk").max_age, 5);
    ck_assert_str_eq(parsed("a=1; Domain=a.no; Domain=b.no").domain, "b.no");
}
END_TEST

START_TEST(parse_expires_in_every_format_browsers_accept)
{
    ck_assert_int_eq(parsed("a=; Expires=Thu, 01 Jan 1970 00:00:00 GMT").expires, 0);
    ck_assert(parsed("a=; Expires=Thu, 01 Jan 1970 00:00:00 GMT").has_expires);
    ck_assert_int_eq(parsed("a=; expires=Thu, 01-Jan-70 00:00:01 GMT").expires, 1);
    ck_assert_int_eq(parsed("a=; expires=Sun Nov  6 08:49:37 1994").expires, 784111777);
    ck_assert_int_eq(parsed("a=; expires=Tue, 29 Feb 2000 12:00:00 GMT").expires, 951825600);
    ck_assert_int_eq(parsed("a=; expires=1 jan 1601 0:0:0").expires, -11644473600LL);
}
END_TEST

START_TEST(parse_expires_garbage_is_ignored)
{
    ck_assert(!parsed("a=1; Expires=tomorrow").has_expires);
    ck_assert(!parsed("a=1; Expires=").has_expires);
    ck_assert(!parsed("a=1; Expires=Mon, 30 Feb 2026 00:00:00 GMT").has_expires);
    ck_assert(!parsed("a=1; Expires=Mon, 31 Dec 1600 00:00:00 GMT").has_expires);
    ck_assert(!parsed("a=1; Expires=Mon, 01 Jan 2026 24:00:00 GMT").has_expires);
    ck_assert(!parsed("a=1; Expires=Mon, 01 Jan 2026 GMT").has_expires);
    ck_assert(!parsed("a=1; Expires=Mon, 001 Jan 2026 00:00:00 GMT").has_expires);
}
END_TEST

START_TEST(parse_trailing_semicolons)
{
    mc_setcookie_t c = parsed("a=1;");

    ck_assert_str_eq(c.value, "1");
    c = parsed("a=1; ;; ");
    ck_assert_str_eq(c.name, "a");
    ck_assert_ptr_null(c.path);
}
END_TEST

START_TEST(parse_refuses_empty_cookie)
{
    mc_setcookie_t c;

    ck_assert_int_eq(mc_setcookie_parse(test_pool, "", &c), MC_EINVAL);
    ck_assert_int_eq(mc_setcookie_parse(test_pool, "=", &c), MC_EINVAL);
    ck_assert_int_eq(mc_setcookie_parse(test_pool, " ; Path=/", &c), MC_EINVAL);
    ck_assert_int_eq(mc_setcookie_parse(test_pool, NULL, &c), MC_EINVAL);
}
END_TEST

START_TEST(parse_refuses_over_long_input)
{
    char *ok = apr_pstrcat(test_pool, "a=", repeat("x", MC_COOKIE_HEADER_MAX - 2), (char *)NULL);
    char *big = apr_pstrcat(test_pool, ok, "x", (char *)NULL);
    mc_setcookie_t c;

    ck_assert_int_eq(mc_setcookie_parse(test_pool, ok, &c), MC_OK);
    ck_assert_int_eq(mc_setcookie_parse(test_pool, big, &c), MC_EINVAL);
}
END_TEST

static const char *const with_controls[] = {"a\x01"
                                            "b=1",
                                            "a\x7f=1",
                                            "\x1f"
                                            "a=1",
                                            "a=1\x02",
                                            "a=x\ry",
                                            "a\nb=1"};

START_TEST(parse_refuses_control_characters)
{
    mc_setcookie_t c;

    ck_assert_int_eq(mc_setcookie_parse(test_pool, with_controls[_i], &c), MC_EINVAL);
}
END_TEST

START_TEST(parse_allows_tab_in_value)
{
    ck_assert_str_eq(parsed("a=x\ty").value, "x\ty");
}
END_TEST

/* --- deletions ---------------------------------------------------------------------- */

START_TEST(deletion_by_max_age_or_past_expires)
{
    const int64_t now = 1792567680;

    ck_assert(mc_setcookie_is_deletion(&(mc_setcookie_t){0}, now) == 0);
    ck_assert(mc_setcookie_is_deletion(&(mc_setcookie_t){.has_max_age = 1, .max_age = 0}, now));
    ck_assert(mc_setcookie_is_deletion(&(mc_setcookie_t){.has_max_age = 1, .max_age = -1}, now));
    ck_assert(!mc_setcookie_is_deletion(&(mc_setcookie_t){.has_max_age = 1, .max_age = 60}, now));
    ck_assert(mc_setcookie_is_deletion(&(mc_setcookie_t){.has_expires = 1, .expires = 0}, now));
    ck_assert(
        !mc_setcookie_is_deletion(&(mc_setcookie_t){.has_expires = 1, .expires = now + 1}, now));
}
END_TEST

START_TEST(deletion_max_age_overrides_expires)
{
    const int64_t now = 1792567680;

    ck_assert(!mc_setcookie_is_deletion(
        &(mc_setcookie_t){.has_max_age = 1, .max_age = 60, .has_expires = 1, .expires = 0}, now));
    ck_assert(mc_setcookie_is_deletion(
        &(mc_setcookie_t){.has_max_age = 1, .max_age = 0, .has_expires = 1, .expires = now * 2},
        now));
}
END_TEST

START_TEST(deletion_from_parsed_headers)
{
    const int64_t now = 1792567680;
    mc_setcookie_t c = parsed("_ga=; Max-Age=garbage; Expires=Thu, 01 Jan 1970 00:00:00 GMT");

    ck_assert(mc_setcookie_is_deletion(&c, now));
    c = parsed("_ga=GA1; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=3600");
    ck_assert(!mc_setcookie_is_deletion(&c, now));
    c = parsed("_ga=GA1; Max-Age=-99999999999999999999");
    ck_assert(mc_setcookie_is_deletion(&c, now));
}
END_TEST

/* --- the Cookie request header ------------------------------------------------------ */

static const mc_cookie_t *pair(const apr_array_header_t *a, int i)
{
    ck_assert_int_lt(i, a->nelts);
    return &APR_ARRAY_IDX(a, i, mc_cookie_t);
}

START_TEST(cookie_header_pairs_in_order_with_duplicates)
{
    apr_array_header_t *a = mc_cookie_parse(test_pool, "a=1; b=2; a=3");

    ck_assert_int_eq(a->nelts, 3);
    ck_assert_str_eq(pair(a, 0)->name, "a");
    ck_assert_str_eq(pair(a, 0)->value, "1");
    ck_assert_str_eq(pair(a, 1)->name, "b");
    ck_assert_str_eq(pair(a, 2)->name, "a");
    ck_assert_str_eq(pair(a, 2)->value, "3");
}
END_TEST

START_TEST(cookie_header_spaces_tabs_and_empty_pieces)
{
    apr_array_header_t *a = mc_cookie_parse(test_pool, ";;  a = 1 ;\tb=2\t;; ;");

    ck_assert_int_eq(a->nelts, 2);
    ck_assert_str_eq(pair(a, 0)->name, "a");
    ck_assert_str_eq(pair(a, 0)->value, "1");
    ck_assert_str_eq(pair(a, 1)->name, "b");
    ck_assert_str_eq(pair(a, 1)->value, "2");
}
END_TEST

START_TEST(cookie_header_missing_equals_and_equals_in_value)
{
    apr_array_header_t *a = mc_cookie_parse(test_pool, "flag; t=a=b==; =nameless; e=");

    ck_assert_int_eq(a->nelts, 3);
    ck_assert_str_eq(pair(a, 0)->name, "flag");
    ck_assert_str_eq(pair(a, 0)->value, "");
    ck_assert_str_eq(pair(a, 1)->value, "a=b==");
    ck_assert_str_eq(pair(a, 2)->name, "e");
    ck_assert_str_eq(pair(a, 2)->value, "");
}
END_TEST

START_TEST(cookie_header_empty)
{
    ck_assert_int_eq(mc_cookie_parse(test_pool, NULL)->nelts, 0);
    ck_assert_int_eq(mc_cookie_parse(test_pool, "")->nelts, 0);
    ck_assert_int_eq(mc_cookie_parse(test_pool, " ; ;")->nelts, 0);
}
END_TEST

START_TEST(cookie_header_of_100_kb_parses_in_linear_time)
{
    clock_t start = clock();
    apr_array_header_t *a = mc_cookie_parse(test_pool, repeat("c12=v; ", 15000));

    ck_assert_int_eq(a->nelts, 15000);
    ck_assert_int_eq(mc_cookie_parse(test_pool, repeat(";", 100000))->nelts, 0);
    ck_assert_int_eq(mc_cookie_parse(test_pool, repeat("=", 100000))->nelts, 0);
    ck_assert_int_eq(mc_cookie_parse(test_pool, repeat("x", 100000))->nelts, 1);
    ck_assert_int_eq(mc_cookie_parse(test_pool, repeat(" ", 100000))->nelts, 0);
    ck_assert_double_lt((double)(clock() - start) / CLOCKS_PER_SEC, 1.0);
}
END_TEST

START_TEST(cookie_join_rebuilds_the_header)
{
    apr_array_header_t *a = mc_cookie_parse(test_pool, " a=1;b=2 ;  flag");

    ck_assert_str_eq(mc_cookie_join(test_pool, a), "a=1; b=2; flag=");
    ck_assert_ptr_null(mc_cookie_join(test_pool, mc_cookie_parse(test_pool, "")));
    ck_assert_ptr_null(mc_cookie_join(test_pool, NULL));
}
END_TEST

START_TEST(cookie_join_after_removing_one)
{
    apr_array_header_t *a = mc_cookie_parse(test_pool, "_ga=GA1; sid=x; _fbp=fb");
    apr_array_header_t *kept = apr_array_make(test_pool, 2, sizeof(mc_cookie_t));

    APR_ARRAY_PUSH(kept, mc_cookie_t) = *pair(a, 1);
    ck_assert_str_eq(mc_cookie_join(test_pool, kept), "sid=x");
}
END_TEST

/* --- deleting a cookie in the browser ----------------------------------------------- */

static apr_array_header_t *expiry(const char *name, const char *host, int secure)
{
    return mc_cookie_expiry_headers(test_pool, name, host, secure);
}

START_TEST(expiry_for_www_host_covers_registrable_domain)
{
    apr_array_header_t *a = expiry("_ga", "www.example.no", 0);

    ck_assert_int_eq(a->nelts, 2);
    ck_assert_str_eq(item(a, 0), "_ga" EXPIRY_TAIL);
    ck_assert_str_eq(item(a, 1), "_ga" EXPIRY_TAIL "; Domain=example.no");
}
END_TEST

START_TEST(expiry_for_deep_host_covers_every_parent)
{
    apr_array_header_t *a = expiry("_ga", "a.b.example.no", 0);

    ck_assert_int_eq(a->nelts, 3);
    ck_assert_str_eq(item(a, 0), "_ga" EXPIRY_TAIL);
    ck_assert_str_eq(item(a, 1), "_ga" EXPIRY_TAIL "; Domain=example.no");
    ck_assert_str_eq(item(a, 2), "_ga" EXPIRY_TAIL "; Domain=b.example.no");
}
END_TEST

START_TEST(expiry_parents_are_capped_at_four_nearest_the_top)
{
    apr_array_header_t *a = expiry("x", "a.b.c.d.e.f.example.no", 0);

    ck_assert_int_eq(a->nelts, 5);
    ck_assert_str_eq(item(a, 1), "x" EXPIRY_TAIL "; Domain=example.no");
    ck_assert_str_eq(item(a, 4), "x" EXPIRY_TAIL "; Domain=d.e.f.example.no");
}
END_TEST

static const char *const host_only_hosts[] = {
    "example.no",    "localhost",   "127.0.0.1",   "127.0.0.1:8080", "[::1]:8443", "a.1.0x7f",
    "a.b.0XfF",      "[::1]",       "::1",         "example.123",    "",           ".",
    "a..example.no", "evil.no;x=y", "exa mple.no", "ex\r\nample.no"};

START_TEST(expiry_host_only_for_ips_single_labels_and_malformed_hosts)
{
    apr_array_header_t *a = expiry("_ga", host_only_hosts[_i], 0);

    ck_assert_int_eq(a->nelts, 1);
    ck_assert_str_eq(item(a, 0), "_ga" EXPIRY_TAIL);
    ck_assert_int_eq(expiry("_ga", NULL, 0)->nelts, 1);
}
END_TEST

START_TEST(expiry_host_with_port_case_and_trailing_dot)
{
    apr_array_header_t *a = expiry("_ga", "WWW.Example.NO.:8443", 0);

    ck_assert_int_eq(a->nelts, 2);
    ck_assert_str_eq(item(a, 1), "_ga" EXPIRY_TAIL "; Domain=example.no");
}
END_TEST

START_TEST(expiry_secure_flag_on_every_header)
{
    apr_array_header_t *a = expiry("_ga", "a.b.example.no", 1);

    ck_assert_int_eq(a->nelts, 3);
    ck_assert_str_eq(item(a, 0), "_ga" EXPIRY_TAIL "; Secure");
    ck_assert_str_eq(item(a, 2), "_ga" EXPIRY_TAIL "; Domain=b.example.no; Secure");
}
END_TEST

START_TEST(expiry_honours_cookie_name_prefixes)
{
    apr_array_header_t *a = expiry("__Host-sid", "www.example.no", 0);

    ck_assert_int_eq(a->nelts, 1);
    ck_assert_str_eq(item(a, 0), "__Host-sid" EXPIRY_TAIL "; Secure");
    a = expiry("__Secure-id", "www.example.no", 0);
    ck_assert_int_eq(a->nelts, 2);
    ck_assert_str_eq(item(a, 1), "__Secure-id" EXPIRY_TAIL "; Domain=example.no; Secure");
}
END_TEST

static const char *const hostile_names[] = {
    "", "a;b", "a b", "a,b", "a=b", "a\tb", "a\r\nSet-Cookie: x=1", "a\x7f"};

START_TEST(expiry_refuses_names_that_could_inject)
{
    ck_assert_int_eq(expiry(hostile_names[_i], "www.example.no", 1)->nelts, 0);
    ck_assert_int_eq(expiry(NULL, "www.example.no", 1)->nelts, 0);
}
END_TEST


/* --- what passes: the decision for each kind of cookie under each mode ------------------- */

#define NOW 1795000000 /* 2026-11-18 */

START_TEST(life_of_each_kind_of_set_cookie)
{
    mc_setcookie_t c = parsed("s=1; Path=/");

    ck_assert_int_eq(mc_setcookie_life(&c, NOW), MC_COOKIE_SESSION);
    c = parsed("p=1; Max-Age=31536000");
    ck_assert_int_eq(mc_setcookie_life(&c, NOW), MC_COOKIE_PERSISTENT);
    c = parsed("p=1; Expires=Wed, 21 Oct 2037 07:28:00 GMT");
    ck_assert_int_eq(mc_setcookie_life(&c, NOW), MC_COOKIE_PERSISTENT);
    c = parsed("d=; Max-Age=0");
    ck_assert_int_eq(mc_setcookie_life(&c, NOW), MC_COOKIE_DELETION);
    c = parsed("d=; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
    ck_assert_int_eq(mc_setcookie_life(&c, NOW), MC_COOKIE_DELETION);
    /* a Max-Age wins over an Expires in the past, as in browsers */
    c = parsed("p=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=60");
    ck_assert_int_eq(mc_setcookie_life(&c, NOW), MC_COOKIE_PERSISTENT);
    /* an Expires that is no date is ignored by browsers: a session cookie */
    c = parsed("s=1; Expires=someday");
    ck_assert_int_eq(mc_setcookie_life(&c, NOW), MC_COOKIE_SESSION);
}
END_TEST

/* necessary (0) is required, the other three optional */
#define OPTIONAL ((mc_catmask_t)0xe)
#define NECESSARY_ONLY ((mc_catmask_t)0x1)
#define ALL ((mc_catmask_t)0xf)
#define STATS_ONLY ((mc_catmask_t)(0x1 | (1u << MC_CAT_STATISTICS)))

START_TEST(hold_holds_persistent_unclassified_cookies_until_all_is_granted)
{
    const mc_unclassified_t m = MC_UNCLASSIFIED_HOLD;

    ck_assert_int_eq(mc_cookie_passes(-1, MC_COOKIE_PERSISTENT, NECESSARY_ONLY, OPTIONAL, m), 0);
    ck_assert_int_eq(mc_cookie_passes(-1, MC_COOKIE_PERSISTENT, STATS_ONLY, OPTIONAL, m), 0);
    /* every optional category but marketing (Global Privacy Control): held */
    ck_assert_int_eq(mc_cookie_passes(-1, MC_COOKIE_PERSISTENT,
                                      ALL & ~(1u << MC_CAT_MARKETING), OPTIONAL, m),
                     0);
    ck_assert_int_eq(mc_cookie_passes(-1, MC_COOKIE_PERSISTENT, ALL, OPTIONAL, m), 1);
    /* session cookies keep logins working; deletions always pass */
    ck_assert_int_eq(mc_cookie_passes(-1, MC_COOKIE_SESSION, NECESSARY_ONLY, OPTIONAL, m), 1);
    ck_assert_int_eq(mc_cookie_passes(-1, MC_COOKIE_DELETION, NECESSARY_ONLY, OPTIONAL, m), 1);
    /* a request cookie nobody saw set persistently is left alone */
    ck_assert_int_eq(mc_cookie_passes(-1, MC_COOKIE_UNKNOWN, NECESSARY_ONLY, OPTIONAL, m), 1);
    /* with no optional category at all, nothing is left to wait for */
    ck_assert_int_eq(mc_cookie_passes(-1, MC_COOKIE_PERSISTENT, NECESSARY_ONLY, 0, m), 1);
    ck_assert_int_eq(mc_unclassified_treatment(m, MC_COOKIE_PERSISTENT), MC_TREATMENT_HELD);
    ck_assert_int_eq(mc_unclassified_treatment(m, MC_COOKIE_SESSION), MC_TREATMENT_ALLOWED);
    ck_assert_str_eq(mc_treatment_str(MC_TREATMENT_HELD), "held");
}
END_TEST

START_TEST(allow_and_block_keep_their_meaning)
{
    static const mc_cookie_life_t lives[] = {MC_COOKIE_SESSION, MC_COOKIE_PERSISTENT,
                                             MC_COOKIE_UNKNOWN};

    for (size_t i = 0; i < sizeof(lives) / sizeof(lives[0]); i++) {
        ck_assert_int_eq(mc_cookie_passes(-1, lives[i], NECESSARY_ONLY, OPTIONAL,
                                          MC_UNCLASSIFIED_ALLOW),
                         1);
        ck_assert_int_eq(mc_cookie_passes(-1, lives[i], ALL, OPTIONAL, MC_UNCLASSIFIED_BLOCK), 0);
    }
    ck_assert_int_eq(
        mc_cookie_passes(-1, MC_COOKIE_DELETION, NECESSARY_ONLY, OPTIONAL, MC_UNCLASSIFIED_BLOCK),
        1);
    ck_assert_str_eq(mc_treatment_str(mc_unclassified_treatment(MC_UNCLASSIFIED_BLOCK,
                                                                MC_COOKIE_SESSION)),
                     "blocked");
    ck_assert_str_eq(mc_treatment_str(mc_unclassified_treatment(MC_UNCLASSIFIED_ALLOW,
                                                                MC_COOKIE_PERSISTENT)),
                     "allowed");
}
END_TEST

START_TEST(classified_cookies_follow_their_category_in_every_mode)
{
    static const mc_unclassified_t modes[] = {MC_UNCLASSIFIED_HOLD, MC_UNCLASSIFIED_ALLOW,
                                              MC_UNCLASSIFIED_BLOCK};

    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        mc_unclassified_t m = modes[i];
        ck_assert_int_eq(
            mc_cookie_passes(MC_CAT_STATISTICS, MC_COOKIE_PERSISTENT, STATS_ONLY, OPTIONAL, m), 1);
        ck_assert_int_eq(
            mc_cookie_passes(MC_CAT_MARKETING, MC_COOKIE_PERSISTENT, STATS_ONLY, OPTIONAL, m), 0);
        /* a session cookie of a refused category does not pass either */
        ck_assert_int_eq(
            mc_cookie_passes(MC_CAT_MARKETING, MC_COOKIE_SESSION, STATS_ONLY, OPTIONAL, m), 0);
        ck_assert_int_eq(
            mc_cookie_passes(MC_CAT_MARKETING, MC_COOKIE_DELETION, NECESSARY_ONLY, OPTIONAL, m),
            1);
        ck_assert_int_eq(
            mc_cookie_passes(MC_CAT_NECESSARY, MC_COOKIE_PERSISTENT, NECESSARY_ONLY, OPTIONAL, m),
            1);
    }
}
END_TEST

/* ConsentCookieName is checked by this: a name a browser would store. */
START_TEST(cookie_names_are_http_tokens)
{
    ck_assert(mc_cookie_name_valid("consent", 64));
    ck_assert(mc_cookie_name_valid("__Host-samtykke", 64));
    ck_assert(mc_cookie_name_valid("a!#$%&'*+-.^_`|~", 64));
    ck_assert(!mc_cookie_name_valid("", 64));
    ck_assert(!mc_cookie_name_valid("bad name", 64));
    ck_assert(!mc_cookie_name_valid("a=b", 64));
    ck_assert(!mc_cookie_name_valid("a;b", 64));
    ck_assert(!mc_cookie_name_valid("\"q\"", 64));
    ck_assert(!mc_cookie_name_valid("n\xc3\xb8kkel", 64));
    ck_assert(mc_cookie_name_valid("abcd", 4));
    ck_assert(!mc_cookie_name_valid("abcde", 4));
}
END_TEST

Suite *cookie_suite(void)
{
    Suite *s = suite_create("cookie");
    TCase *split = tcase_create("setcookie_split");
    TCase *parse = tcase_create("setcookie_parse");
    TCase *request = tcase_create("cookie_header");
    TCase *expire = tcase_create("expiry_headers");
    TCase *passes = tcase_create("cookie_passes");

    tcase_add_checked_fixture(split, unit_pool_setup, unit_pool_teardown);
    tcase_add_test(split, hosts_match_their_domain_and_its_subdomains_only);
    tcase_add_test(split, split_single_cookie_is_trimmed);
    tcase_add_test(split, cookie_names_are_http_tokens);
    tcase_add_test(split, split_folded_header_with_expires_dates);
    tcase_add_test(split, split_keeps_commas_inside_quoted_values);
    tcase_add_test(split, split_stray_quote_does_not_swallow_later_cookies);
    tcase_add_test(split, split_allows_space_before_equals_and_drops_empty_pieces);
    tcase_add_test(split, split_of_nothing_is_empty);
    tcase_add_test(split, split_comma_without_a_name_does_not_split);
    tcase_add_test(split, split_of_hostile_comma_runs_is_fast);
    suite_add_tcase(s, split);

    tcase_add_checked_fixture(parse, unit_pool_setup, unit_pool_teardown);
    tcase_add_test(parse, parse_plain_cookie);
    tcase_add_test(parse, parse_keeps_quotes_and_equals_in_value);
    tcase_add_test(parse, parse_without_equals_is_nameless);
    tcase_add_test(parse, parse_empty_value);
    tcase_add_test(parse, parse_trims_name_and_value);
    tcase_add_test(parse, parse_attributes_in_odd_case_and_spacing);
    tcase_add_test(parse, parse_domain_strips_one_dot_and_empty_is_none);
    tcase_add_test(parse, parse_path_must_start_with_slash);
    tcase_add_test(parse, parse_max_age_negative_garbage_and_huge);
    tcase_add_test(parse, parse_last_valid_attribute_wins);
    tcase_add_test(parse, parse_expires_in_every_format_browsers_accept);
    tcase_add_test(parse, parse_expires_garbage_is_ignored);
    tcase_add_test(parse, parse_trailing_semicolons);
    tcase_add_test(parse, parse_refuses_empty_cookie);
    tcase_add_test(parse, parse_refuses_over_long_input);
    tcase_add_loop_test(parse, parse_refuses_control_characters, 0,
                        (int)(sizeof(with_controls) / sizeof(with_controls[0])));
    tcase_add_test(parse, parse_allows_tab_in_value);
    tcase_add_test(parse, deletion_by_max_age_or_past_expires);
    tcase_add_test(parse, deletion_max_age_overrides_expires);
    tcase_add_test(parse, deletion_from_parsed_headers);
    suite_add_tcase(s, parse);

    tcase_add_checked_fixture(request, unit_pool_setup, unit_pool_teardown);
    tcase_add_test(request, cookie_header_pairs_in_order_with_duplicates);
    tcase_add_test(request, cookie_header_spaces_tabs_and_empty_pieces);
    tcase_add_test(request, cookie_header_missing_equals_and_equals_in_value);
    tcase_add_test(request, cookie_header_empty);
    tcase_add_test(request, cookie_header_of_100_kb_parses_in_linear_time);
    tcase_add_test(request, cookie_join_rebuilds_the_header);
    tcase_add_test(request, cookie_join_after_removing_one);
    suite_add_tcase(s, request);

    tcase_add_checked_fixture(expire, unit_pool_setup, unit_pool_teardown);
    tcase_add_test(expire, expiry_for_www_host_covers_registrable_domain);
    tcase_add_test(expire, expiry_for_deep_host_covers_every_parent);
    tcase_add_test(expire, expiry_parents_are_capped_at_four_nearest_the_top);
    tcase_add_loop_test(expire, expiry_host_only_for_ips_single_labels_and_malformed_hosts, 0,
                        (int)(sizeof(host_only_hosts) / sizeof(host_only_hosts[0])));
    tcase_add_test(expire, expiry_host_with_port_case_and_trailing_dot);
    tcase_add_test(expire, expiry_secure_flag_on_every_header);
    tcase_add_test(expire, expiry_honours_cookie_name_prefixes);
    tcase_add_loop_test(expire, expiry_refuses_names_that_could_inject, 0,
                        (int)(sizeof(hostile_names) / sizeof(hostile_names[0])));
    suite_add_tcase(s, expire);

    tcase_add_checked_fixture(passes, unit_pool_setup, unit_pool_teardown);
    tcase_add_test(passes, life_of_each_kind_of_set_cookie);
    tcase_add_test(passes, hold_holds_persistent_unclassified_cookies_until_all_is_granted);
    tcase_add_test(passes, allow_and_block_keep_their_meaning);
    tcase_add_test(passes, classified_cookies_follow_their_category_in_every_mode);
    suite_add_tcase(s, passes);
    return s;
}
