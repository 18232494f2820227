/* Text and encoding helpers the other units share: HTML and URL escaping,
 * base64url, hex hashes and times as the consent log writes them. */
#ifndef MC_TEXT_H
#define MC_TEXT_H

#include <apr_pools.h>
#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

/* S with & < > " ' as character references: safe in text and in quoted
 * attribute values. */
char *mc_html_escape(apr_pool_t *p, const char *s);

/* S percent-encoded for a URL query value: everything but unreserved
 * characters (RFC 3986) and '/' is encoded. */
char *mc_url_query_encode(apr_pool_t *p, const char *s);

/* base64url (RFC 4648 section 5) without padding. */
char *mc_base64url_encode(apr_pool_t *p, const unsigned char *data, size_t len);
/* The same into OUT ((LEN + 2) / 3 * 4 + 1 bytes), NUL-terminated. */
void mc_b64url_encode_to(char *out, const unsigned char *data, size_t len);
/* Returns the decoded length, or -1 for invalid or non-canonical input
 * (unused low bits set). OUT holds LEN * 3 / 4 + 1 bytes. */
long mc_base64url_decode(unsigned char *out, const char *in, size_t len);
/* The value (0-63) of a base64url character, or -1. */
int mc_b64url_value(char c);
/* The same for base64's standard alphabet (RFC 4648 section 4: '+', '/'). */
int mc_base64_value(char c);

/* A lower-case hex SHA-256: what the consent log's chain and text hashes are. */
#define MC_HASH_HEX 64

/* SHA-256 as libcrypto's digests take it, looked up once per process:
 * EVP_sha256() makes OpenSSL 3 look the algorithm up again at every use,
 * under a lock the threads of a child share (the page cache's keys, the
 * state's key and the log's hashes are made for every request). */
const EVP_MD *mc_sha256(void);

/* Lower-case hex SHA-256 of DATA into OUT (MC_HASH_HEX + 1 bytes);
 * MC_ECRYPTO (and OUT empty) if libcrypto fails. */
mc_status_t mc_sha256_hex(const void *data, size_t len, char *out);
/* DATA's LEN bytes as 2 * LEN lowercase hex digits and a NUL, into OUT. */
void mc_hex_to(char *out, const void *data, size_t len);

/* 1 when S (LEN bytes) is such a hash: MC_HASH_HEX lower-case hex digits. */
int mc_hash_hex_valid(const char *s, size_t len);

/* RFC 3339 UTC with milliseconds: "2026-11-24T06:13:23.123Z"; NULL for a
 * time the C library cannot break down. */
char *mc_time_rfc3339(apr_pool_t *p, int64_t time_usec);

/* A byte count as a config file writes it: digits with an optional K, M
 * or G (powers of 1024), at most MAX; "0" is zero. MC_EINVAL otherwise. */
mc_status_t mc_size_parse(const char *s, uint64_t max, uint64_t *out);

#endif
