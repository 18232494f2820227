/* A streaming inflater for response bodies in the two codings of HTTP that
 * zlib reads — gzip (RFC 1952) and deflate (RFC 9110 8.4.1.2: a zlib stream,
 * RFC 1950, or as browsers also take it, a raw deflate stream, RFC 1951) —
 * with bounded memory whatever the compression ratio.
 *
 * Driven as the rewriter is: make, write the body's bytes as they come, end.
 * Inflated bytes leave to a sink callback in chunks of at most the size
 * given at make, each handed over before the next is made, so a small body
 * that inflates to gigabytes never needs more than one chunk of memory.
 *
 * As browsers do, a gzip body may hold several members, one after the other
 * (RFC 1952, 2.2), and bytes after a complete member that do not start
 * another are ignored (state MC_INFLATE_TRAILING). A body that ends inside
 * a member has had everything inflated so far written to the sink; the state
 * at the end says so (MC_INFLATE_MEMBER). Bytes that are not gzip before any
 * member has ended, or a member that breaks, are an error. */
#ifndef MC_INFLATE_H
#define MC_INFLATE_H

#include <apr_pools.h>
#include <stddef.h>

#include "status.h"

typedef enum mc_inflate_state {
    MC_INFLATE_BETWEEN = 0, /* at the start, or after a complete member */
    MC_INFLATE_MEMBER,      /* inside a member that has not ended */
    MC_INFLATE_TRAILING,    /* after the last member: what follows is ignored */
    MC_INFLATE_FAILED       /* the body is corrupt */
} mc_inflate_state_t;

const char *mc_inflate_state_str(mc_inflate_state_t state);

typedef enum mc_inflate_format {
    MC_INFLATE_GZIP = 0, /* one or more gzip members */
    MC_INFLATE_DEFLATE   /* one zlib stream, or a raw deflate stream when the
                          * first two bytes are no zlib header (as browsers) */
} mc_inflate_format_t;

/* Takes LEN (1 to the chunk size) inflated bytes, valid during the call.
 * Anything but MC_OK stops inflating, and mc_inflate_write returns it. */
typedef mc_status_t mc_inflate_sink_fn(void *baton, const char *data, size_t len);

typedef struct mc_inflate mc_inflate_t;

/* An inflater in P for FORMAT whose output leaves to SINK in chunks of at most CHUNK
 * (> 0) bytes; zlib's state is released with P or by mc_inflate_end. NULL
 * and *ERR when zlib cannot start (out of memory). */
mc_inflate_t *mc_inflate_make(apr_pool_t *p, mc_inflate_format_t format, size_t chunk,
                              mc_inflate_sink_fn *sink, void *baton, const char **err);

/* Inflates the next LEN bytes of the body, handing all the output they
 * give to the sink. MC_OK; the sink's status when it stopped (*ERR NULL);
 * MC_EINVAL and *ERR (zlib's words) when the body is corrupt. Once TRAILING,
 * input is ignored. */
mc_status_t mc_inflate_write(mc_inflate_t *z, const char *data, size_t len, const char **err);

mc_inflate_state_t mc_inflate_state(const mc_inflate_t *z);

/* Members inflated to their end so far. */
unsigned mc_inflate_members(const mc_inflate_t *z);

/* The body has ended: releases zlib's state and returns the state the body
 * ended in (MEMBER: cut off inside a member; TRAILING: bytes were ignored). */
mc_inflate_state_t mc_inflate_end(mc_inflate_t *z);

#endif
