/* The page cache: what is put in comes back byte for byte under its key
 * only, the byte bound holds whatever is put in, the least recently used
 * entry goes first, and an entry over the per-entry maximum is refused. */
#include "unit.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pagecache.h"
#include "text.h"

static void key_of(unsigned char key[MC_PAGECACHE_KEY], unsigned n)
{
    memset(key, 0, MC_PAGECACHE_KEY);
    /* the last bytes only: the bucket hash reads the first 8, so these
     * keys would all share a bucket without the seed's mixing */
    key[MC_PAGECACHE_KEY - 2] = (unsigned char)(n >> 8);
    key[MC_PAGECACHE_KEY - 1] = (unsigned char)n;
}

static void put(mc_pagecache_t *c, unsigned n, const char *body, const char *meta)
{
    unsigned char key[MC_PAGECACHE_KEY];

    key_of(key, n);
    ck_assert_int_eq(mc_pagecache_put(c, key, body, strlen(body), meta, meta ? strlen(meta) : 0),
                     MC_OK);
}

/* The body under key N, or NULL on a miss. */
static const char *get(mc_pagecache_t *c, unsigned n, const char **meta)
{
    unsigned char key[MC_PAGECACHE_KEY];
    const char *body, *m;
    size_t len, mlen;
    static char out[4096], mout[256];

    key_of(key, n);
    if (mc_pagecache_get(c, key, &body, &len, &m, &mlen) != MC_OK)
        return NULL;
    ck_assert_uint_lt(len, sizeof(out));
    memcpy(out, body, len);
    out[len] = '\0';
    if (meta) {
        ck_assert_uint_lt(mlen, sizeof(mout));
        memcpy(mout, m, mlen);
        mout[mlen] = '\0';
        *meta = mout;
    }
    return out;
}

START_TEST(entries_come_back_under_their_own_key_only)
{
    mc_pagecache_t *c = mc_pagecache_create(64 * 1024, 8192, 42);
    const char *meta = NULL;
    mc_pagecache_stats_t st;

    ck_assert_ptr_nonnull(c);
    put(c, 1, "<p>granted nothing</p>", "youtube");
    put(c, 2, "<p>granted all</p>", NULL);
    ck_assert_str_eq(get(c, 1, &meta), "<p>granted nothing</p>");
    ck_assert_str_eq(meta, "youtube");
    ck_assert_str_eq(get(c, 2, &meta), "<p>granted all</p>");
    ck_assert_str_eq(meta, "");
    ck_assert_ptr_null(get(c, 3, NULL));
    /* a second put under a key replaces what it held */
    put(c, 1, "<p>changed file</p>", NULL);
    ck_assert_str_eq(get(c, 1, NULL), "<p>changed file</p>");
    mc_pagecache_stats(c, &st);
    ck_assert_uint_eq(st.entries, 2);
    ck_assert_uint_eq(st.hits, 3);
    ck_assert_uint_eq(st.misses, 1);
    ck_assert_uint_eq(st.stores, 3);
    mc_pagecache_destroy(c);
}
END_TEST

START_TEST(the_byte_bound_holds_and_the_least_recently_used_goes_first)
{
    /* room for four entries of 1000 bytes, each counted with its overhead */
    size_t each = 1000 + MC_PAGECACHE_OVERHEAD;
    mc_pagecache_t *c = mc_pagecache_create(4 * each + 10, 2000, 7);
    char body[1001];
    mc_pagecache_stats_t st;

    memset(body, 'x', 1000);
    body[1000] = '\0';
    for (unsigned i = 1; i <= 4; i++)
        put(c, i, body, NULL);
    ck_assert_ptr_nonnull(get(c, 1, NULL)); /* 1 is now the most recent */
    put(c, 5, body, NULL);                  /* pushes out 2, the oldest */
    ck_assert_ptr_null(get(c, 2, NULL));
    ck_assert_ptr_nonnull(get(c, 1, NULL));
    ck_assert_ptr_nonnull(get(c, 3, NULL));
    ck_assert_ptr_nonnull(get(c, 5, NULL));
    mc_pagecache_stats(c, &st);
    ck_assert_uint_eq(st.entries, 4);
    ck_assert_uint_eq(st.evictions, 1);
    ck_assert_uint_le(st.bytes, st.limit);
    /* many more puts than fit: the bound still holds */
    for (unsigned i = 100; i < 400; i++)
        put(c, i, body + (i % 900), "m");
    mc_pagecache_stats(c, &st);
    ck_assert_uint_le(st.bytes, st.limit);
    ck_assert_uint_le(st.entries, st.limit / MC_PAGECACHE_OVERHEAD);
    ck_assert_str_eq(get(c, 399, NULL), body + (399 % 900));
    mc_pagecache_destroy(c);
}
END_TEST

START_TEST(an_entry_over_the_maximum_is_refused_and_nothing_is_pushed_out)
{
    mc_pagecache_t *c = mc_pagecache_create(16 * 1024, 1024, 1);
    unsigned char key[MC_PAGECACHE_KEY];
    char *big = malloc(2048);
    mc_pagecache_stats_t st;

    memset(big, 'y', 2048);
    put(c, 1, "small", NULL);
    key_of(key, 2);
    ck_assert_int_eq(mc_pagecache_put(c, key, big, 2048, NULL, 0), MC_ELIMIT);
    ck_assert_int_eq(mc_pagecache_put(c, key, big, 1000, big, 100), MC_ELIMIT);
    ck_assert(!mc_pagecache_fits(c, 1000, 100));
    ck_assert(mc_pagecache_fits(c, 1000, 24));
    ck_assert_ptr_null(get(c, 2, NULL));
    ck_assert_str_eq(get(c, 1, NULL), "small");
    mc_pagecache_stats(c, &st);
    ck_assert_uint_eq(st.refused, 2);
    ck_assert_uint_eq(st.entries, 1);
    /* a limit too small for any entry makes no cache */
    ck_assert_ptr_null(mc_pagecache_create(10, 10, 1));
    mc_pagecache_clear(c);
    ck_assert_ptr_null(get(c, 1, NULL));
    mc_pagecache_stats(c, &st);
    ck_assert_uint_eq(st.bytes, 0);
    free(big);
    mc_pagecache_destroy(c);
}
END_TEST

START_TEST(many_keys_in_one_cache_all_come_back)
{
    mc_pagecache_t *c = mc_pagecache_create(4 * 1024 * 1024, 4096, 99);
    char body[32];

    for (unsigned i = 0; i < 5000; i++) {
        snprintf(body, sizeof(body), "page %u", i);
        put(c, i, body, NULL);
    }
    for (unsigned i = 0; i < 5000; i += 7) {
        snprintf(body, sizeof(body), "page %u", i);
        ck_assert_str_eq(get(c, i, NULL), body);
    }
    mc_pagecache_destroy(c);
}
END_TEST

START_TEST(sizes_read_as_a_config_file_writes_them)
{
    uint64_t v = 1;
    const char *bad[] = {"", "M", "-1", "1.5M", "16MB", "16 M", "1T", "99999999999999999999", "5G"};

    ck_assert_int_eq(mc_size_parse("0", 1024, &v), MC_OK);
    ck_assert_uint_eq(v, 0);
    ck_assert_int_eq(mc_size_parse("512", UINT64_MAX, &v), MC_OK);
    ck_assert_uint_eq(v, 512);
    ck_assert_int_eq(mc_size_parse("64k", UINT64_MAX, &v), MC_OK);
    ck_assert_uint_eq(v, 65536);
    ck_assert_int_eq(mc_size_parse("16M", UINT64_MAX, &v), MC_OK);
    ck_assert_uint_eq(v, 16 * 1024 * 1024);
    ck_assert_int_eq(mc_size_parse("1G", (uint64_t)1 << 30, &v), MC_OK);
    ck_assert_uint_eq(v, (uint64_t)1 << 30);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(mc_size_parse(bad[i], (uint64_t)4 << 30, &v) == MC_EINVAL, "accepted '%s'",
                      bad[i]);
    ck_assert_int_eq(mc_size_parse("2G", (uint64_t)1 << 30, &v), MC_EINVAL);
}
END_TEST

/* A page being sent stays whole while the cache moves on: replaced under
 * its key, pushed out, cleared, the cache destroyed. The last release
 * frees it (the sanitizer build reports a use after free or a leak). */
START_TEST(a_held_page_outlives_its_entry)
{
    mc_pagecache_t *c = mc_pagecache_create(4 * (MC_PAGECACHE_OVERHEAD + 64), 64, 7);
    unsigned char key[MC_PAGECACHE_KEY];
    const char *held, *again, *meta;
    size_t len = 0, again_len = 0, meta_len = 0;
    mc_pagecache_stats_t st;

    key_of(key, 1);
    ck_assert_ptr_null(mc_pagecache_hold(c, key, &len, &meta, &meta_len));
    put(c, 1, "the page as the first visitor got it", "youtube");
    held = mc_pagecache_hold(c, key, &len, &meta, &meta_len);
    ck_assert_ptr_nonnull(held);
    ck_assert_uint_eq(len, strlen("the page as the first visitor got it"));
    ck_assert_int_eq(memcmp(meta, "youtube", meta_len), 0);
    again = mc_pagecache_hold(c, key, &again_len, &meta, &meta_len);
    ck_assert_ptr_eq(again, held);
    mc_pagecache_stats(c, &st);
    ck_assert_uint_eq(st.hits, 2);
    ck_assert_uint_eq(st.misses, 1);

    put(c, 1, "the page after the file changed", NULL);
    ck_assert_str_eq(get(c, 1, NULL), "the page after the file changed");
    ck_assert_int_eq(memcmp(held, "the page as the first visitor got it", len), 0);
    for (unsigned n = 2; n < 20; n++) /* pushes everything else out */
        put(c, n, "another page", NULL);
    ck_assert_ptr_null(get(c, 1, NULL));
    mc_pagecache_release(again);
    ck_assert_int_eq(memcmp(held, "the page as the first visitor got it", len), 0);
    mc_pagecache_destroy(c);
    ck_assert_int_eq(memcmp(held, "the page as the first visitor got it", len), 0);
    mc_pagecache_release(held);
    mc_pagecache_release(NULL);
}
END_TEST

/* Threads serving pages hold and release them without the lock while
 * others put new ones in: every page read is whole and its own. */
typedef struct sharing {
    pthread_mutex_t lock;
    mc_pagecache_t *cache;
    unsigned seed;
    int wrong;
} sharing_t;

static void page_text(char *out, size_t size, unsigned n)
{
    snprintf(out, size, "page %u: %0*u", n, (int)(n % 40) + 8, n * 2654435761u);
}

static void *serve_pages(void *arg)
{
    sharing_t *s = arg;
    unsigned r = __atomic_fetch_add(&s->seed, 1, __ATOMIC_RELAXED) * 7919u + 1;

    for (int i = 0; i < 20000; i++) {
        unsigned char key[MC_PAGECACHE_KEY];
        char want[128];
        const char *body, *meta;
        size_t len = 0, meta_len = 0;
        unsigned n;

        r = r * 1103515245u + 12345u;
        n = (r >> 16) % 24;
        key_of(key, n);
        page_text(want, sizeof(want), n);
        pthread_mutex_lock(&s->lock);
        body = mc_pagecache_hold(s->cache, key, &len, &meta, &meta_len);
        if (!body)
            mc_pagecache_put(s->cache, key, want, strlen(want), NULL, 0);
        pthread_mutex_unlock(&s->lock);
        if (!body)
            continue;
        if (len != strlen(want) || memcmp(body, want, len) != 0)
            __atomic_fetch_add(&s->wrong, 1, __ATOMIC_RELAXED);
        mc_pagecache_release(body);
    }
    return NULL;
}

START_TEST(pages_are_held_and_released_across_threads)
{
    sharing_t s = {.cache = mc_pagecache_create(8 * (MC_PAGECACHE_OVERHEAD + 64), 128, 9)};
    pthread_t threads[4];
    mc_pagecache_stats_t st;

    pthread_mutex_init(&s.lock, NULL);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_create(&threads[i], NULL, serve_pages, &s), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(threads[i], NULL);
    mc_pagecache_stats(s.cache, &st);
    ck_assert_int_eq(s.wrong, 0);
    /* 24 pages in room for 8: they were pushed out while held */
    ck_assert_uint_gt(st.evictions, 100);
    ck_assert_uint_gt(st.hits, 100);
    mc_pagecache_destroy(s.cache);
    pthread_mutex_destroy(&s.lock);
}
END_TEST

Suite *pagecache_suite(void)
{
    Suite *s = suite_create("pagecache");
    TCase *tc = tcase_create("pagecache");

    tcase_add_test(tc, entries_come_back_under_their_own_key_only);
    tcase_add_test(tc, the_byte_bound_holds_and_the_least_recently_used_goes_first);
    tcase_add_test(tc, an_entry_over_the_maximum_is_refused_and_nothing_is_pushed_out);
    tcase_add_test(tc, many_keys_in_one_cache_all_come_back);
    tcase_add_test(tc, sizes_read_as_a_config_file_writes_them);
    tcase_add_test(tc, a_held_page_outlives_its_entry);
    tcase_add_test(tc, pages_are_held_and_released_across_threads);
    suite_add_tcase(s, tc);
    return s;
}
