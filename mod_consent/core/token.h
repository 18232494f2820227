/* The signed consent cookie.
 *
 * Value (all cookie-octets, no quoting needed):
 *   "2." ID "." POLICY64 "." TIME "." GRANTED "." SERVICES "." SIG
 *   ID        22 chars, base64url of 16 random bytes (the consent id)
 *   POLICY64  base64url (no padding) of the policy version string
 *   TIME      decimal Unix seconds of the decision
 *   GRANTED   granted category names joined with ':' (necessary included)
 *   SERVICES  ids of the services granted beyond the granted categories
 *             (mc_service_id), joined with ':'; may be empty; at most
 *             MC_SERVICES_MAX of them
 *   SIG       base64url of HMAC-SHA256(key, everything before ".SIG")
 * Signatures are compared in constant time (CRYPTO_memcmp). Category names
 * and service ids the current configuration does not know are ignored on
 * decode. Version 1 tokens ("1." without SERVICES, from before per-service
 * consent) still decode, with no services.
 */
#ifndef MC_TOKEN_H
#define MC_TOKEN_H

#include <apr_pools.h>
#include <stddef.h>
#include <stdint.h>

#include "category.h"
#include "rules.h"
#include "status.h"
#include "text.h"

#define MC_ID_LEN 22
#define MC_TOKEN_MAX 3072  /* longer cookie values are malformed */
#define MC_SERVICES_MAX 64 /* granted services a token carries, at most */
#define MC_KEY_MIN 16      /* bytes of secret, at least */
#define MC_KEY_MAX 256
#define MC_CLOCK_SKEW 300 /* a decision up to this far in the future is accepted */

struct mc_token_pads;

typedef struct mc_token_key {
    unsigned char bytes[MC_KEY_MAX];
    size_t len;
    /* The MAC's keyed hash states, made once by the two functions below;
     * NULL (a key filled in by hand) makes each MAC key itself again. */
    const struct mc_token_pads *pads;
} mc_token_key_t;

typedef struct mc_consent {
    int decided;            /* 1 only for a valid, current token */
    char id[MC_ID_LEN + 1]; /* "" when no id */
    const char *policy;     /* NULL when undecided */
    int64_t time;           /* Unix seconds; 0 when undecided */
    mc_catmask_t granted;   /* always includes the required categories */
    /* Ids (const char *) of the services granted beyond GRANTED's
     * categories; NULL or empty for none. Shared, never changed in place:
     * copy before adding. */
    const apr_array_header_t *services;
} mc_consent_t;

typedef enum mc_token_status {
    MC_TOKEN_VALID = 0,
    MC_TOKEN_MISSING,
    MC_TOKEN_MALFORMED,
    MC_TOKEN_BAD_SIGNATURE,
    MC_TOKEN_EXPIRED,
    MC_TOKEN_OUTDATED, /* signed for another policy version */
    MC_TOKEN_FUTURE    /* time beyond now + MC_CLOCK_SKEW */
} mc_token_status_t;

const char *mc_token_status_str(mc_token_status_t s);

/* The key is the file's bytes, one trailing newline removed; MC_KEY_MIN to
 * MC_KEY_MAX bytes. Its MAC states are kept in P, for the life of P. */
mc_status_t mc_token_key_from_file(apr_pool_t *p, const char *path, mc_token_key_t *key,
                                   const char **err);
/* Random bytes, without MAC states (pads NULL). */
mc_status_t mc_token_key_random(mc_token_key_t *key);
/* Makes KEY's MAC states, kept in P and freed by P's cleanup (so P must not
 * outlive the code that registers it: in httpd, the configuration pool,
 * never the process pool, as a module is unloaded at each restart); without
 * them (no memory) each MAC keys itself. */
void mc_token_key_prepare(apr_pool_t *p, mc_token_key_t *key);

/* A fresh random consent id (MC_ID_LEN chars + NUL). */
mc_status_t mc_consent_id_new(char *out);
/* 1 when ID (LEN bytes) looks like one: MC_ID_LEN base64url characters. */
int mc_consent_id_valid(const char *id, size_t len);

/* An undecided consent: only the required categories granted. */
void mc_consent_init(mc_consent_t *c, const mc_categories_t *cats);

/* 1 when C's services include ID. */
int mc_consent_has_service(const mc_consent_t *c, const char *id);

/* Encodes C (decided, id, policy, time, granted, services) into a signed
 * value. NULL when C cannot make a token the decoder accepts (no valid id,
 * empty policy, negative time, a malformed service id, more than
 * MC_SERVICES_MAX services, longer than MC_TOKEN_MAX) or libcrypto fails. */
char *mc_token_encode(apr_pool_t *p, const mc_token_key_t *key, const mc_categories_t *cats,
                      const mc_consent_t *c);

/* Decodes VALUE. Always fills OUT: with the decision when VALID; otherwise
 * as undecided (mc_consent_init), except that for EXPIRED and OUTDATED
 * tokens (signature good) out->id keeps the old id so a new decision
 * continues the visitor's history. Services not in RS (NULL: none known)
 * are dropped. */
mc_token_status_t mc_token_decode(apr_pool_t *p, const mc_token_key_t *key,
                                  const mc_categories_t *cats, const mc_ruleset_t *rs,
                                  const char *value, size_t len, const char *policy, int64_t now,
                                  int64_t max_age, mc_consent_t *out);

/* A signature of TEXT for PURPOSE (a word: "placeholder"), by KEY: base64url
 * of the first 16 bytes of HMAC-SHA256(KEY, PURPOSE "\0" TEXT), 22
 * characters. A URL the module wrote into a page carries one, so that an
 * endpoint can tell it from one an attacker made up. NULL if libcrypto
 * fails. */
#define MC_TEXT_SIG_LEN 22
char *mc_token_sign_text(apr_pool_t *p, const mc_token_key_t *key, const char *purpose,
                         const char *text);
/* 1 when SIG is that signature (compared in constant time). */
int mc_token_text_signed(const mc_token_key_t *key, const char *purpose, const char *text,
                         const char *sig);

#endif
