/* A streaming gzip and deflate inflater (inflate.h) over zlib. */
#include "inflate.h"

#include <apr_strings.h>
/* zlib then takes its input as const (next_in), as it only reads it. */
#define ZLIB_CONST
#include <zlib.h>

/* Compressed bytes given to zlib at once: its counters (uInt) are 32-bit. */
#define SLICE ((size_t)1 << 30)
/* zlib window bits for a gzip wrapper (RFC 1952) around a 32 KB window. */
#define GZIP_WINDOW (15 + 16)
/* ... for a zlib wrapper (RFC 1950), and for none (RFC 1951) */
#define ZLIB_WINDOW 15
#define RAW_WINDOW (-15)

struct mc_inflate {
    apr_pool_t *pool;
    z_stream zs; /* zlib keeps a pointer to it: the struct never moves */
    int live;    /* zs is initialised and not ended */
    mc_inflate_state_t state;
    mc_inflate_format_t format;
    unsigned members;
    /* deflate: the first two bytes, until they tell zlib from raw */
    unsigned char head[2];
    size_t head_len;
    int head_known;
    char *buf; /* one chunk of output */
    size_t chunk;
    mc_inflate_sink_fn *sink;
    void *baton;
    mc_status_t failure; /* what every write returns once FAILED */
    const char *err;     /* zlib's words for a corrupt body */
};

const char *mc_inflate_state_str(mc_inflate_state_t state)
{
    switch (state) {
    case MC_INFLATE_BETWEEN: return "between members";
    case MC_INFLATE_MEMBER: return "inside a member";
    case MC_INFLATE_TRAILING: return "after the last member";
    case MC_INFLATE_FAILED: return "failed";
    }
    return "?";
}

static apr_status_t release(void *data)
{
    mc_inflate_t *z = data;

    if (z->live)
        inflateEnd(&z->zs);
    z->live = 0;
    return APR_SUCCESS;
}

mc_inflate_t *mc_inflate_make(apr_pool_t *p, mc_inflate_format_t format, size_t chunk,
                              mc_inflate_sink_fn *sink, void *baton, const char **err)
{
    mc_inflate_t *z = apr_pcalloc(p, sizeof(*z));
    int zrc = inflateInit2(&z->zs, format == MC_INFLATE_GZIP ? GZIP_WINDOW : ZLIB_WINDOW);

    if (zrc != Z_OK) {
        *err = apr_psprintf(p, "zlib cannot start inflating (%d)", zrc);
        return NULL;
    }
    z->live = 1;
    apr_pool_cleanup_register(p, z, release, apr_pool_cleanup_null);
    z->pool = p;
    z->format = format;
    z->head_known = format == MC_INFLATE_GZIP;
    z->chunk = chunk == 0 ? 1 : chunk > SLICE ? SLICE : chunk;
    z->buf = apr_palloc(p, z->chunk);
    z->sink = sink;
    z->baton = baton;
    return z;
}

static mc_status_t stop(mc_inflate_t *z, mc_status_t st, const char *err)
{
    z->state = MC_INFLATE_FAILED;
    z->failure = st;
    z->err = err;
    return st;
}

static mc_status_t inflate_error(mc_inflate_t *z, int zrc)
{
    /* Bytes after a complete member that do not start another one (a
     * server's padding, a log line): browsers ignore them, and so do we.
     * total_out counts this member's output only (inflateReset zeroes it):
     * a member that breaks after giving output is corrupt, not trailing. */
    if (zrc == Z_DATA_ERROR && z->members > 0 && z->zs.total_out == 0) {
        z->state = MC_INFLATE_TRAILING;
        return MC_OK;
    }
    return stop(z, MC_EINVAL,
                apr_psprintf(z->pool, "zlib %d: %s", zrc, z->zs.msg ? z->zs.msg : "no message"));
}

/* One round: up to one chunk inflated and handed to the sink. */
static mc_status_t inflate_round(mc_inflate_t *z)
{
    size_t made;
    int zrc;

    z->zs.next_out = (Bytef *)z->buf;
    z->zs.avail_out = (uInt)z->chunk;
    zrc = inflate(&z->zs, Z_NO_FLUSH);
    made = z->chunk - z->zs.avail_out;
    if (made > 0) {
        mc_status_t st = z->sink(z->baton, z->buf, made);
        if (st != MC_OK)
            return stop(z, st, NULL);
    }
    if (zrc == Z_STREAM_END) {
        z->members++;
        /* a deflate body is one stream: what follows it is ignored */
        z->state = z->format == MC_INFLATE_GZIP ? MC_INFLATE_BETWEEN : MC_INFLATE_TRAILING;
        return MC_OK;
    }
    /* Z_BUF_ERROR: no progress possible until more input comes. */
    return zrc == Z_OK || zrc == Z_BUF_ERROR ? MC_OK : inflate_error(z, zrc);
}

/* Inflates LEN (<= SLICE) bytes; on MC_OK zlib holds no pointer into DATA
 * any more, unless what is left of it is ignored (TRAILING). */
static mc_status_t inflate_slice(mc_inflate_t *z, const char *data, size_t len)
{
    mc_status_t st = MC_OK;

    z->zs.next_in = (const Bytef *)data;
    z->zs.avail_in = (uInt)len;
    do {
        if (z->state == MC_INFLATE_BETWEEN) {
            /* a gzip body may hold several members (RFC 1952, 2.2) */
            if (z->zs.avail_in == 0)
                break;
            if (z->members > 0 && inflateReset(&z->zs) != Z_OK)
                return inflate_error(z, Z_STREAM_ERROR);
            z->state = MC_INFLATE_MEMBER;
        }
        st = inflate_round(z);
        /* a full chunk may leave more output waiting without any input */
    } while (st == MC_OK && z->state != MC_INFLATE_TRAILING &&
             (z->zs.avail_in > 0 || z->zs.avail_out == 0));
    return st;
}

/* RFC 1950 2.2: deflate with a window of at most 32 KB, and a check sum. */
static int zlib_header(const unsigned char *b)
{
    return (b[0] & 0x0f) == 8 && (b[0] >> 4) <= 7 && ((unsigned)b[0] * 256 + b[1]) % 31 == 0;
}

/* A deflate body's first two bytes say whether zlib wraps it; until both
 * have come they are kept here. 1 when the stream can be inflated now. */
static int know_head(mc_inflate_t *z, const char **data, size_t *len, mc_status_t *st)
{
    while (z->head_len < 2 && *len > 0) {
        z->head[z->head_len++] = (unsigned char)**data;
        (*data)++;
        (*len)--;
    }
    if (z->head_len < 2)
        return 0;
    z->head_known = 1;
    if (!zlib_header(z->head) && inflateReset2(&z->zs, RAW_WINDOW) != Z_OK) {
        *st = inflate_error(z, Z_STREAM_ERROR);
        return 0;
    }
    z->state = MC_INFLATE_MEMBER;
    *st = inflate_slice(z, (const char *)z->head, 2);
    return *st == MC_OK;
}

mc_status_t mc_inflate_write(mc_inflate_t *z, const char *data, size_t len, const char **err)
{
    mc_status_t st = MC_OK;

    *err = NULL;
    if (z->state == MC_INFLATE_FAILED) {
        *err = z->err;
        return z->failure;
    }
    if (!z->live) {
        *err = "the inflater has ended";
        return MC_EINVAL;
    }
    if (!z->head_known && !know_head(z, &data, &len, &st)) {
        if (st != MC_OK)
            *err = z->err;
        return st;
    }
    while (st == MC_OK && len > 0 && z->state != MC_INFLATE_TRAILING) {
        size_t n = len > SLICE ? SLICE : len;

        st = inflate_slice(z, data, n);
        data += n;
        len -= n;
    }
    if (st != MC_OK)
        *err = z->err;
    return st;
}

mc_inflate_state_t mc_inflate_state(const mc_inflate_t *z)
{
    return z->state;
}

unsigned mc_inflate_members(const mc_inflate_t *z)
{
    return z->members;
}

mc_inflate_state_t mc_inflate_end(mc_inflate_t *z)
{
    apr_pool_cleanup_run(z->pool, z, release);
    return z->state;
}
