/* The streaming gzip inflater (inflate.h): what a proxied backend's gzip
 * body becomes, in bounded chunks, however it is cut or padded. The bodies
 * are made here with zlib's deflate, the inflater's output compared with
 * what went in. */
#include <apr_strings.h>
#include <stdint.h>
#include <string.h>
#include <zlib.h>

#include "inflate.h"
#include "unit.h"

#define CHUNK 8000 /* what the filter uses: APR_BUCKET_BUFF_SIZE */

/* --- fixtures ------------------------------------------------------------------------ */

/* What the sink was handed. */
typedef struct collected {
    char *data;
    size_t len, size;
    int count_only; /* bytes not kept, each checked to be FILL */
    char fill;
    int fill_ok;
    size_t calls, largest, bound;
    size_t stop_after; /* calls before the sink says MC_ELIMIT; 0: never */
} collected_t;

static collected_t got;

static void got_reset(size_t bound)
{
    memset(&got, 0, sizeof(got));
    got.bound = bound;
    got.fill_ok = 1;
}

static mc_status_t collect(void *baton, const char *data, size_t len)
{
    collected_t *c = baton;

    ck_assert_uint_gt(len, 0);
    ck_assert_uint_le(len, c->bound);
    c->calls++;
    if (len > c->largest)
        c->largest = len;
    if (!c->count_only) {
        if (c->len + len > c->size) {
            size_t size = (c->len + len) * 2;
            char *grown = apr_palloc(test_pool, size);

            if (c->len)
                memcpy(grown, c->data, c->len);
            c->data = grown;
            c->size = size;
        }
        memcpy(c->data + c->len, data, len);
    } else {
        for (size_t i = 0; i < len; i++)
            c->fill_ok &= data[i] == c->fill;
    }
    c->len += len;
    return c->stop_after && c->calls >= c->stop_after ? MC_ELIMIT : MC_OK;
}

/* Counts without keeping: for bodies too large to hold. */
static void got_count_only(char fill)
{
    got.count_only = 1;
    got.fill = fill;
}

static mc_inflate_t *inflater_of(mc_inflate_format_t format, size_t chunk)
{
    const char *err = NULL;
    mc_inflate_t *z;

    got_reset(chunk);
    z = mc_inflate_make(test_pool, format, chunk, collect, &got, &err);
    ck_assert_ptr_nonnull(z);
    return z;
}

static mc_inflate_t *inflater(size_t chunk)
{
    return inflater_of(MC_INFLATE_GZIP, chunk);
}

/* A page of LEN bytes that compresses as HTML does, not as zeros. */
static char *page(size_t len, unsigned seed)
{
    char *s = apr_palloc(test_pool, len + 1);
    size_t n = 0;

    while (n < len) {
        char line[64];
        int k = apr_snprintf(line, sizeof(line), "<p class=\"c%u\">line %u</p>\n", seed % 7,
                             seed * 2654435761u);

        seed++;
        for (int i = 0; i < k && n < len; i++)
            s[n++] = line[i];
    }
    s[len] = '\0';
    return s;
}

typedef struct bytes {
    char *data;
    size_t len;
} bytes_t;

/* DATA compressed with zlib's window bits WBITS: 15 + 16 gzip, 15 zlib,
 * -15 raw deflate. */
static bytes_t compressed(const char *data, size_t len, int wbits)
{
    z_stream zs;
    bytes_t out;
    size_t bound;

    memset(&zs, 0, sizeof(zs));
    ck_assert_int_eq(deflateInit2(&zs, 6, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY), Z_OK);
    bound = deflateBound(&zs, len) + 32;
    out.data = apr_palloc(test_pool, bound);
    zs.next_in = (Bytef *)(uintptr_t)data;
    zs.avail_in = (uInt)len;
    zs.next_out = (Bytef *)out.data;
    zs.avail_out = (uInt)bound;
    ck_assert_int_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
    out.len = zs.total_out;
    deflateEnd(&zs);
    return out;
}

/* DATA as one gzip member. */
static bytes_t gzip_member(const char *data, size_t len)
{
    return compressed(data, len, 15 + 16);
}

static bytes_t concat(bytes_t a, const char *b, size_t b_len)
{
    bytes_t out;

    out.data = apr_palloc(test_pool, a.len + b_len);
    memcpy(out.data, a.data, a.len);
    memcpy(out.data + a.len, b, b_len);
    out.len = a.len + b_len;
    return out;
}

/* How many bytes zlib itself gets out of DATA with room for all of them:
 * what a body cut short after DATA held. */
static size_t decodable(const char *data, size_t len, size_t room)
{
    char *out = apr_palloc(test_pool, room);
    z_stream zs;
    size_t n;

    memset(&zs, 0, sizeof(zs));
    ck_assert_int_eq(inflateInit2(&zs, 15 + 16), Z_OK);
    zs.next_in = (Bytef *)(uintptr_t)data;
    zs.avail_in = (uInt)len;
    zs.next_out = (Bytef *)out;
    zs.avail_out = (uInt)room;
    ck_assert_int_eq(inflate(&zs, Z_SYNC_FLUSH), Z_OK);
    ck_assert_uint_gt(zs.avail_out, 0);
    n = zs.total_out;
    inflateEnd(&zs);
    return n;
}

static void write_ok(mc_inflate_t *z, const char *data, size_t len)
{
    const char *err = "unset";

    ck_assert_int_eq(mc_inflate_write(z, data, len, &err), MC_OK);
    ck_assert_ptr_null(err);
}

static void assert_got(const char *want, size_t len)
{
    ck_assert_uint_eq(got.len, len);
    ck_assert(memcmp(got.data, want, len) == 0);
}

/* --- whole bodies ---------------------------------------------------------------------- */

START_TEST(one_member_inflates_to_the_page)
{
    const char *html = page(100000, 1);
    bytes_t gz = gzip_member(html, strlen(html));
    mc_inflate_t *z = inflater(CHUNK);

    write_ok(z, gz.data, gz.len);
    assert_got(html, strlen(html));
    ck_assert_uint_eq(mc_inflate_members(z), 1);
    ck_assert_int_eq(mc_inflate_end(z), MC_INFLATE_BETWEEN);
}
END_TEST

START_TEST(several_members_inflate_one_after_the_other)
{
    const char *a = page(30000, 1), *b = page(5, 2), *c = page(20000, 3);
    bytes_t gz = gzip_member(a, strlen(a));
    bytes_t gb = gzip_member(b, strlen(b)), gc = gzip_member(c, strlen(c));
    mc_inflate_t *z = inflater(CHUNK);

    gz = concat(concat(gz, gb.data, gb.len), gc.data, gc.len);
    write_ok(z, gz.data, gz.len);
    assert_got(apr_pstrcat(test_pool, a, b, c, NULL), strlen(a) + strlen(b) + strlen(c));
    ck_assert_uint_eq(mc_inflate_members(z), 3);
    ck_assert_int_eq(mc_inflate_end(z), MC_INFLATE_BETWEEN);
}
END_TEST

START_TEST(an_empty_body_gives_nothing)
{
    mc_inflate_t *z = inflater(CHUNK);

    write_ok(z, "", 0);
    ck_assert_uint_eq(got.calls, 0);
    ck_assert_int_eq(mc_inflate_end(z), MC_INFLATE_BETWEEN);
}
END_TEST

/* --- bytes that are not gzip ----------------------------------------------------------- */

START_TEST(bytes_after_a_member_are_ignored)
{
    static const char garbage[] = "\n<!-- served by backend 3 -->\n";
    const char *html = page(20000, 4);
    bytes_t gz = gzip_member(html, strlen(html));
    mc_inflate_t *z = inflater(CHUNK);

    gz = concat(gz, garbage, sizeof(garbage) - 1);
    write_ok(z, gz.data, gz.len);
    ck_assert_int_eq(mc_inflate_state(z), MC_INFLATE_TRAILING);
    /* and whatever comes after, gzip or not */
    write_ok(z, "more", 4);
    write_ok(z, gz.data, gz.len);
    assert_got(html, strlen(html));
    ck_assert_uint_eq(mc_inflate_members(z), 1);
    ck_assert_int_eq(mc_inflate_end(z), MC_INFLATE_TRAILING);
}
END_TEST

START_TEST(a_body_that_is_not_gzip_is_an_error)
{
    static const char html[] = "<!doctype html><p>not compressed at all</p>";
    mc_inflate_t *z = inflater(CHUNK);
    const char *err = NULL;

    ck_assert_int_eq(mc_inflate_write(z, html, sizeof(html) - 1, &err), MC_EINVAL);
    ck_assert_ptr_nonnull(err);
    ck_assert_ptr_nonnull(strstr(err, "zlib"));
    ck_assert_uint_eq(got.calls, 0);
    ck_assert_int_eq(mc_inflate_state(z), MC_INFLATE_FAILED);
    /* it stays an error */
    ck_assert_int_eq(mc_inflate_write(z, "x", 1, &err), MC_EINVAL);
    ck_assert_ptr_nonnull(err);
    ck_assert_int_eq(mc_inflate_end(z), MC_INFLATE_FAILED);
}
END_TEST

START_TEST(a_member_with_a_wrong_checksum_is_an_error)
{
    const char *html = page(20000, 5);
    bytes_t gz = gzip_member(html, strlen(html));
    mc_inflate_t *z = inflater(CHUNK);
    const char *err = NULL;

    gz.data[gz.len - 8] ^= 0x55; /* the CRC-32 of the trailer */
    ck_assert_int_eq(mc_inflate_write(z, gz.data, gz.len, &err), MC_EINVAL);
    ck_assert_ptr_nonnull(err);
    ck_assert_int_eq(mc_inflate_state(z), MC_INFLATE_FAILED);
}
END_TEST

START_TEST(a_second_member_that_breaks_after_giving_output_is_an_error)
{
    const char *a = page(2000, 6), *b = page(50000, 7);
    bytes_t ga = gzip_member(a, strlen(a)), gb = gzip_member(b, strlen(b));
    bytes_t gz;
    mc_inflate_t *z = inflater(CHUNK);
    const char *err = NULL;

    memset(gb.data + gb.len / 2, 0xff, 64);
    gz = concat(ga, gb.data, gb.len);
    ck_assert_int_eq(mc_inflate_write(z, gz.data, gz.len, &err), MC_EINVAL);
    ck_assert_ptr_nonnull(err);
    ck_assert_uint_gt(got.len, strlen(a));
}
END_TEST

/* --- cut short --------------------------------------------------------------------------- */

START_TEST(a_body_cut_short_gives_what_it_held_and_says_so_at_the_end)
{
    const char *html = page(60000, 8);
    bytes_t gz = gzip_member(html, strlen(html));
    mc_inflate_t *z = inflater(CHUNK);

    write_ok(z, gz.data, gz.len / 2);
    ck_assert_uint_gt(got.len, 0);
    ck_assert_uint_lt(got.len, strlen(html));
    ck_assert(memcmp(got.data, html, got.len) == 0);
    ck_assert_int_eq(mc_inflate_end(z), MC_INFLATE_MEMBER);
}
END_TEST

/* Even when the output has just filled a chunk as the last input byte
 * was read: what zlib still holds must come out before the write returns. */
START_TEST(a_body_cut_short_gives_every_byte_it_held)
{
    const char *html = page(30000, 15);
    bytes_t gz = gzip_member(html, strlen(html));

    for (size_t chunk = 1; chunk <= 64; chunk *= 4) {
        for (size_t cut = gz.len / 3; cut < gz.len / 3 + 16; cut++) {
            mc_inflate_t *z = inflater(chunk);

            write_ok(z, gz.data, cut);
            ck_assert_uint_eq(got.len, decodable(gz.data, cut, strlen(html)));
            ck_assert(memcmp(got.data, html, got.len) == 0);
            ck_assert_int_eq(mc_inflate_end(z), MC_INFLATE_MEMBER);
        }
    }
}
END_TEST

START_TEST(a_second_member_cut_short_is_cut_short)
{
    const char *a = page(3000, 9), *b = page(3000, 10);
    bytes_t ga = gzip_member(a, strlen(a)), gb = gzip_member(b, strlen(b));
    mc_inflate_t *z = inflater(CHUNK);

    write_ok(z, ga.data, ga.len);
    write_ok(z, gb.data, 5); /* half a header */
    ck_assert_int_eq(mc_inflate_end(z), MC_INFLATE_MEMBER);
    assert_got(a, strlen(a));
}
END_TEST

/* --- bounded memory -------------------------------------------------------------------- */

START_TEST(a_bomb_leaves_in_chunks_no_larger_than_the_bound)
{
    size_t big = (size_t)16 << 20;
    char *zeros = apr_pcalloc(test_pool, big);
    bytes_t gz = gzip_member(zeros, big);
    mc_inflate_t *z = inflater(CHUNK);

    ck_assert_uint_lt(gz.len, big / 500);
    got_count_only('\0');
    write_ok(z, gz.data, gz.len);
    ck_assert_uint_eq(got.len, big);
    ck_assert(got.fill_ok);
    ck_assert_uint_le(got.largest, CHUNK);
    ck_assert_uint_ge(got.calls, big / CHUNK);
    ck_assert_int_eq(mc_inflate_end(z), MC_INFLATE_BETWEEN);
}
END_TEST

START_TEST(a_sink_that_stops_stops_the_inflater)
{
    const char *html = page(100000, 11);
    bytes_t gz = gzip_member(html, strlen(html));
    mc_inflate_t *z = inflater(1000);
    const char *err = "unset";

    got.stop_after = 2;
    ck_assert_int_eq(mc_inflate_write(z, gz.data, gz.len, &err), MC_ELIMIT);
    ck_assert_ptr_null(err);
    ck_assert_uint_eq(got.calls, 2);
    ck_assert_int_eq(mc_inflate_write(z, gz.data, gz.len, &err), MC_ELIMIT);
    ck_assert_uint_eq(got.calls, 2);
}
END_TEST

/* --- however the body is cut ----------------------------------------------------------- */

START_TEST(a_body_fed_one_byte_at_a_time_gives_the_same_page)
{
    static const char garbage[] = "\r\n";
    const char *a = page(40000, 12), *b = page(9000, 13);
    bytes_t ga = gzip_member(a, strlen(a)), gb = gzip_member(b, strlen(b));
    bytes_t gz = concat(concat(ga, gb.data, gb.len), garbage, sizeof(garbage) - 1);
    mc_inflate_t *z = inflater(CHUNK);

    for (size_t i = 0; i < gz.len; i++)
        write_ok(z, gz.data + i, 1);
    assert_got(apr_pstrcat(test_pool, a, b, NULL), strlen(a) + strlen(b));
    ck_assert_uint_eq(mc_inflate_members(z), 2);
    ck_assert_int_eq(mc_inflate_end(z), MC_INFLATE_TRAILING);
}
END_TEST

START_TEST(a_chunk_of_one_byte_still_gives_the_page)
{
    const char *html = page(5000, 14);
    bytes_t gz = gzip_member(html, strlen(html));
    mc_inflate_t *z = inflater(1);

    write_ok(z, gz.data, gz.len);
    assert_got(html, strlen(html));
    ck_assert_uint_eq(got.calls, strlen(html));
}
END_TEST

START_TEST(the_state_names_itself_for_logs)
{
    ck_assert_str_eq(mc_inflate_state_str(MC_INFLATE_MEMBER), "inside a member");
    ck_assert_str_eq(mc_inflate_state_str(MC_INFLATE_TRAILING), "after the last member");
}
END_TEST

/* --- deflate: a zlib stream, or a raw one ----------------------------------------------- */

/* The deflate body of a whole page, fed in pieces of STEP bytes. */
static void deflate_body_gives_the_page(int wbits, size_t step)
{
    const char *html = page(70000, 4);
    bytes_t body = compressed(html, strlen(html), wbits);
    mc_inflate_t *z = inflater_of(MC_INFLATE_DEFLATE, CHUNK);

    for (size_t off = 0; off < body.len; off += step)
        write_ok(z, body.data + off, body.len - off < step ? body.len - off : step);
    assert_got(html, strlen(html));
    ck_assert_int_eq(mc_inflate_end(z), MC_INFLATE_TRAILING);
}

START_TEST(a_zlib_stream_inflates_to_the_page_however_it_is_cut)
{
    deflate_body_gives_the_page(15, 1);
    deflate_body_gives_the_page(15, 2);
    deflate_body_gives_the_page(15, 4093);
    deflate_body_gives_the_page(15, 1 << 20);
}
END_TEST

/* Browsers take a raw deflate stream as "deflate" too: servers sent them. */
START_TEST(a_raw_deflate_stream_inflates_to_the_page_however_it_is_cut)
{
    deflate_body_gives_the_page(-15, 1);
    deflate_body_gives_the_page(-15, 3);
    deflate_body_gives_the_page(-15, 1 << 20);
}
END_TEST

/* One stream: bytes after it are ignored, as gzip's trailing bytes are; a
 * second stream is not inflated. */
START_TEST(a_deflate_body_is_one_stream)
{
    const char *a = page(2000, 5);
    bytes_t one = compressed(a, strlen(a), 15);
    bytes_t two = concat(one, one.data, one.len);
    mc_inflate_t *z = inflater_of(MC_INFLATE_DEFLATE, CHUNK);

    write_ok(z, two.data, two.len);
    assert_got(a, strlen(a));
    ck_assert_int_eq(mc_inflate_end(z), MC_INFLATE_TRAILING);
}
END_TEST

START_TEST(a_deflate_body_that_is_not_deflate_is_an_error)
{
    static const char text[] = "<!DOCTYPE html><p>plain text sent as deflate</p>";
    mc_inflate_t *z = inflater_of(MC_INFLATE_DEFLATE, CHUNK);
    const char *err = NULL;

    ck_assert_int_eq(mc_inflate_write(z, text, sizeof(text) - 1, &err), MC_EINVAL);
    ck_assert_ptr_nonnull(err);
    ck_assert_int_eq(mc_inflate_state(z), MC_INFLATE_FAILED);
}
END_TEST

START_TEST(a_deflate_body_cut_short_says_so)
{
    const char *a = page(50000, 6);
    bytes_t body = compressed(a, strlen(a), 15);
    mc_inflate_t *z = inflater_of(MC_INFLATE_DEFLATE, CHUNK);

    write_ok(z, body.data, body.len / 2);
    ck_assert_uint_gt(got.len, 0);
    ck_assert(memcmp(got.data, a, got.len) == 0);
    ck_assert_int_eq(mc_inflate_end(z), MC_INFLATE_MEMBER);
}
END_TEST

Suite *inflate_suite(void)
{
    Suite *s = suite_create("inflate");
    TCase *tc = tcase_create("inflate");

    tcase_add_checked_fixture(tc, unit_pool_setup, unit_pool_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, one_member_inflates_to_the_page);
    tcase_add_test(tc, several_members_inflate_one_after_the_other);
    tcase_add_test(tc, an_empty_body_gives_nothing);
    tcase_add_test(tc, bytes_after_a_member_are_ignored);
    tcase_add_test(tc, a_body_that_is_not_gzip_is_an_error);
    tcase_add_test(tc, a_member_with_a_wrong_checksum_is_an_error);
    tcase_add_test(tc, a_second_member_that_breaks_after_giving_output_is_an_error);
    tcase_add_test(tc, a_body_cut_short_gives_what_it_held_and_says_so_at_the_end);
    tcase_add_test(tc, a_body_cut_short_gives_every_byte_it_held);
    tcase_add_test(tc, a_second_member_cut_short_is_cut_short);
    tcase_add_test(tc, a_bomb_leaves_in_chunks_no_larger_than_the_bound);
    tcase_add_test(tc, a_sink_that_stops_stops_the_inflater);
    tcase_add_test(tc, a_body_fed_one_byte_at_a_time_gives_the_same_page);
    tcase_add_test(tc, a_chunk_of_one_byte_still_gives_the_page);
    tcase_add_test(tc, the_state_names_itself_for_logs);
    tcase_add_test(tc, a_zlib_stream_inflates_to_the_page_however_it_is_cut);
    tcase_add_test(tc, a_raw_deflate_stream_inflates_to_the_page_however_it_is_cut);
    tcase_add_test(tc, a_deflate_body_is_one_stream);
    tcase_add_test(tc, a_deflate_body_that_is_not_deflate_is_an_error);
    tcase_add_test(tc, a_deflate_body_cut_short_says_so);
    suite_add_tcase(s, tc);
    return s;
}
