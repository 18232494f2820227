#include "token.h"

#include <apr_file_io.h>
#include <apr_strings.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#define MC_TOKEN_VERSION "2"
#define MC_TOKEN_VERSION_1 "1" /* no SERVICES field */
#define MC_TOKEN_FIELDS 7      /* version, id, policy, time, granted, services, sig */
#define MC_SIG_LEN 32          /* HMAC-SHA256 */
#define MC_HASH_BLOCK 64       /* SHA-256's block: HMAC's padded key */
#define MC_ID_BYTES 16
#define MC_RANDOM_KEY_LEN 32
#define MC_TIME_DIGITS_MAX 19 /* INT64_MAX has 19 digits */

enum { F_VERSION, F_ID, F_POLICY, F_TIME, F_GRANTED, F_SERVICES, F_SIG };

/* The token's fields as found in the value, before the signature is trusted. */
typedef struct mc_token_parts {
    const char *field[MC_TOKEN_FIELDS];
    size_t flen[MC_TOKEN_FIELDS];
    size_t signed_len; /* bytes before ".SIG": what the HMAC covers */
    unsigned char policy[MC_TOKEN_MAX];
    size_t policy_len;
    int64_t time;
    mc_catmask_t granted;
    int services; /* how many ids SERVICES has */
    unsigned char sig[MC_TOKEN_MAX];
} mc_token_parts_t;

const char *mc_token_status_str(mc_token_status_t s)
{
    switch (s) {
    case MC_TOKEN_VALID: return "valid";
    case MC_TOKEN_MISSING: return "missing";
    case MC_TOKEN_MALFORMED: return "malformed";
    case MC_TOKEN_BAD_SIGNATURE: return "bad signature";
    case MC_TOKEN_EXPIRED: return "expired";
    case MC_TOKEN_OUTDATED: return "outdated policy";
    case MC_TOKEN_FUTURE: return "time in the future";
    }
    return "unknown token status";
}

/* ---- base64url ------------------------------------------------------------------ */

static int mc_b64url_chars_valid(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (mc_b64url_value(s[i]) < 0)
            return 0;
    }
    return 1;
}

/* ---- MACs ------------------------------------------------------------------------ */

/* HMAC-SHA256 (RFC 2104) from the hash states after the key's inner and
 * outer padded blocks. OpenSSL 3's one-shot HMAC() looks the digest up and
 * hashes both blocks again at each call, about 1 us: a visible share of
 * every request that carries a consent cookie. Copying two states made
 * once, when the key is loaded, costs a fifth of that. */
struct mc_token_pads {
    EVP_MD_CTX *inner;
    EVP_MD_CTX *outer;
};

static void pads_clear(struct mc_token_pads *pads)
{
    EVP_MD_CTX_free(pads->inner);
    EVP_MD_CTX_free(pads->outer);
    pads->inner = pads->outer = NULL;
}

static apr_status_t pads_cleanup(void *data)
{
    pads_clear(data);
    return APR_SUCCESS;
}

/* Hashes KEY's two padded blocks into PADS (cleared on failure). */
static int pads_init(const mc_token_key_t *key, struct mc_token_pads *pads)
{
    unsigned char block[MC_HASH_BLOCK] = {0}, inner[MC_HASH_BLOCK], outer[MC_HASH_BLOCK];
    const EVP_MD *md = mc_sha256();
    int ok = 1;

    if (key->len > MC_HASH_BLOCK) /* a long key is hashed first */
        ok = EVP_Digest(key->bytes, key->len, block, NULL, md, NULL);
    else
        memcpy(block, key->bytes, key->len);
    for (size_t i = 0; i < MC_HASH_BLOCK; i++) {
        inner[i] = block[i] ^ 0x36;
        outer[i] = block[i] ^ 0x5c;
    }
    pads->inner = EVP_MD_CTX_new();
    pads->outer = EVP_MD_CTX_new();
    ok = ok && pads->inner && pads->outer && EVP_DigestInit_ex(pads->inner, md, NULL) &&
         EVP_DigestUpdate(pads->inner, inner, sizeof(inner)) &&
         EVP_DigestInit_ex(pads->outer, md, NULL) &&
         EVP_DigestUpdate(pads->outer, outer, sizeof(outer));
    OPENSSL_cleanse(block, sizeof(block));
    OPENSSL_cleanse(inner, sizeof(inner));
    OPENSSL_cleanse(outer, sizeof(outer));
    if (!ok)
        pads_clear(pads);
    return ok;
}

void mc_token_key_prepare(apr_pool_t *p, mc_token_key_t *key)
{
    struct mc_token_pads *pads = apr_pcalloc(p, sizeof(*pads));

    key->pads = NULL;
    if (!pads_init(key, pads))
        return;
    apr_pool_pre_cleanup_register(p, pads, pads_cleanup);
    key->pads = pads;
}

/* The MAC of the N pieces DATA[i] (LEN[i] bytes) one after the other. */
static int key_mac(const mc_token_key_t *key, const void *const *data, const size_t *len, int n,
                   unsigned char out[MC_SIG_LEN])
{
    struct mc_token_pads own = {NULL, NULL};
    const struct mc_token_pads *pads = key->pads;
    unsigned char inner[MC_SIG_LEN];
    unsigned int inner_len = 0, out_len = 0;
    EVP_MD_CTX *md;
    int ok;

    if (!pads) {
        if (!pads_init(key, &own))
            return 0;
        pads = &own;
    }
    md = EVP_MD_CTX_new();
    ok = md && EVP_MD_CTX_copy_ex(md, pads->inner);
    for (int i = 0; ok && i < n; i++)
        ok = EVP_DigestUpdate(md, data[i], len[i]);
    ok = ok && EVP_DigestFinal_ex(md, inner, &inner_len) && inner_len == MC_SIG_LEN &&
         EVP_MD_CTX_copy_ex(md, pads->outer) && EVP_DigestUpdate(md, inner, inner_len) &&
         EVP_DigestFinal_ex(md, out, &out_len) && out_len == MC_SIG_LEN;
    EVP_MD_CTX_free(md);
    pads_clear(&own);
    OPENSSL_cleanse(inner, sizeof(inner));
    return ok;
}

/* ---- keys and ids --------------------------------------------------------------- */

static size_t mc_strip_newline(const char *buf, size_t n)
{
    if (n >= 2 && buf[n - 2] == '\r' && buf[n - 1] == '\n')
        return n - 2;
    if (n >= 1 && buf[n - 1] == '\n')
        return n - 1;
    return n;
}

mc_status_t mc_token_key_from_file(apr_pool_t *p, const char *path, mc_token_key_t *key,
                                   const char **err)
{
    /* Two bytes more than the largest key leave room for "\r\n"; one more
     * than that tells a too-long file apart without reading all of it. */
    char buf[MC_KEY_MAX + 3];
    apr_size_t n = 0;
    apr_file_t *file;
    apr_status_t rv;
    char msg[256];

    key->pads = NULL;
    rv = apr_file_open(&file, path, APR_FOPEN_READ | APR_FOPEN_BINARY, APR_FPROT_OS_DEFAULT, p);
    if (rv != APR_SUCCESS) {
        *err = apr_psprintf(p, "cannot open secret file %s: %s", path,
                            apr_strerror(rv, msg, sizeof(msg)));
        return APR_STATUS_IS_ENOENT(rv) ? MC_ENOTFOUND : MC_EIO;
    }
    rv = apr_file_read_full(file, buf, sizeof(buf), &n);
    apr_file_close(file);
    if (rv != APR_SUCCESS && !APR_STATUS_IS_EOF(rv)) {
        OPENSSL_cleanse(buf, sizeof(buf));
        *err = apr_psprintf(p, "cannot read secret file %s: %s", path,
                            apr_strerror(rv, msg, sizeof(msg)));
        return MC_EIO;
    }
    n = mc_strip_newline(buf, n);
    if (n < MC_KEY_MIN || n > MC_KEY_MAX) {
        OPENSSL_cleanse(buf, sizeof(buf));
        *err = n < MC_KEY_MIN
                   ? apr_psprintf(p,
                                  "secret file %s is %" APR_SIZE_T_FMT " bytes; at least %d are "
                                  "needed (create one with: head -c 32 /dev/urandom | base64 > %s)",
                                  path, n, MC_KEY_MIN, path)
                   : apr_psprintf(p,
                                  "secret file %s is longer than %d bytes (create one with: "
                                  "head -c 32 /dev/urandom | base64 > %s)",
                                  path, MC_KEY_MAX, path);
        return MC_EINVAL;
    }
    memcpy(key->bytes, buf, n);
    key->len = n;
    OPENSSL_cleanse(buf, sizeof(buf));
    mc_token_key_prepare(p, key);
    return MC_OK;
}

mc_status_t mc_token_key_random(mc_token_key_t *key)
{
    key->pads = NULL;
    if (RAND_bytes(key->bytes, MC_RANDOM_KEY_LEN) != 1)
        return MC_ECRYPTO;
    key->len = MC_RANDOM_KEY_LEN;
    return MC_OK;
}

mc_status_t mc_consent_id_new(char *out)
{
    unsigned char raw[MC_ID_BYTES];

    if (RAND_bytes(raw, sizeof(raw)) != 1)
        return MC_ECRYPTO;
    mc_b64url_encode_to(out, raw, sizeof(raw));
    return MC_OK;
}

int mc_consent_id_valid(const char *id, size_t len)
{
    return len == MC_ID_LEN && mc_b64url_chars_valid(id, len);
}

void mc_consent_init(mc_consent_t *c, const mc_categories_t *cats)
{
    c->decided = 0;
    c->id[0] = '\0';
    c->policy = NULL;
    c->time = 0;
    c->granted = mc_categories_required(cats);
    c->services = NULL;
}

int mc_consent_has_service(const mc_consent_t *c, const char *id)
{
    if (!c->services || !id)
        return 0;
    for (int i = 0; i < c->services->nelts; i++) {
        if (strcmp(APR_ARRAY_IDX(c->services, i, const char *), id) == 0)
            return 1;
    }
    return 0;
}

/* ---- encoding ------------------------------------------------------------------- */

static int mc_token_hmac(const mc_token_key_t *key, const char *data, size_t len,
                         unsigned char sig[MC_SIG_LEN])
{
    const void *piece = data;

    return key_mac(key, &piece, &len, 1, sig);
}

/* Names of the categories in MASK, in index order, joined with ':'. */
static char *mc_token_join_names(apr_pool_t *p, const mc_categories_t *cats, mc_catmask_t mask)
{
    char *joined = "";

    for (int i = 0; i < mc_categories_count(cats); i++) {
        if (!mc_catmask_has(mask, i))
            continue;
        joined = apr_pstrcat(p, joined, *joined ? ":" : "", mc_categories_name(cats, i), NULL);
    }
    return joined;
}

/* C's service ids joined with ':'; NULL when one is malformed or there are
 * too many for the decoder. */
static char *mc_token_join_services(apr_pool_t *p, const mc_consent_t *c)
{
    char *joined = "";

    if (!c->services)
        return joined;
    if (c->services->nelts > MC_SERVICES_MAX)
        return NULL;
    for (int i = 0; i < c->services->nelts; i++) {
        const char *id = APR_ARRAY_IDX(c->services, i, const char *);

        if (!id || !mc_service_id_valid(id, strlen(id)))
            return NULL;
        joined = apr_pstrcat(p, joined, i ? ":" : "", id, NULL);
    }
    return joined;
}

char *mc_token_encode(apr_pool_t *p, const mc_token_key_t *key, const mc_categories_t *cats,
                      const mc_consent_t *c)
{
    const char *services = mc_token_join_services(p, c);
    unsigned char sig[MC_SIG_LEN];
    mc_catmask_t granted = (c->granted | mc_categories_required(cats)) & mc_categories_all(cats);
    char *payload;
    char *value;

    if (!c->policy || !*c->policy || !mc_consent_id_valid(c->id, strlen(c->id)) || c->time < 0 ||
        !services)
        return NULL;
    payload =
        apr_psprintf(p, MC_TOKEN_VERSION ".%s.%s.%" PRId64 ".%s.%s", c->id,
                     mc_base64url_encode(p, (const unsigned char *)c->policy, strlen(c->policy)),
                     c->time, mc_token_join_names(p, cats, granted), services);
    if (!mc_token_hmac(key, payload, strlen(payload), sig))
        return NULL;
    value = apr_pstrcat(p, payload, ".", mc_base64url_encode(p, sig, sizeof(sig)), NULL);
    /* A value the decoder would refuse is no use to anyone. */
    return strlen(value) <= MC_TOKEN_MAX ? value : NULL;
}

/* ---- decoding ------------------------------------------------------------------- */

/* Splits VALUE on '.' into its fields: seven for a version 2 token, of
 * which only SERVICES may be empty; six non-empty ones for version 1, whose
 * SERVICES is then taken as empty. */
static int mc_token_split(const char *value, size_t len, mc_token_parts_t *parts)
{
    const char *field[MC_TOKEN_FIELDS];
    size_t flen[MC_TOKEN_FIELDS];
    size_t start = 0;
    int n = 0;
    int v1;

    for (size_t i = 0; i <= len; i++) {
        if (i < len && value[i] != '.')
            continue;
        if (n == MC_TOKEN_FIELDS)
            return 0;
        field[n] = value + start;
        flen[n] = i - start;
        n++;
        start = i + 1;
    }
    v1 = n == MC_TOKEN_FIELDS - 1;
    if (!v1 && n != MC_TOKEN_FIELDS)
        return 0;
    for (int f = 0, to = 0; f < n; f++, to++) {
        if (v1 && to == F_SERVICES) {
            parts->field[to] = field[f]; /* empty: points at the signature */
            parts->flen[to] = 0;
            to++;
        }
        if (flen[f] == 0 && (v1 || to != F_SERVICES))
            return 0;
        parts->field[to] = field[f];
        parts->flen[to] = flen[f];
    }
    parts->signed_len = (size_t)(parts->field[F_SIG] - value) - 1;
    return 1;
}

/* A plain decimal: digits only, no leading zero, fits in int64_t. */
static int mc_token_parse_time(const char *s, size_t len, int64_t *out)
{
    int64_t v = 0;

    if (len > MC_TIME_DIGITS_MAX || (len > 1 && s[0] == '0'))
        return 0;
    for (size_t i = 0; i < len; i++) {
        int d = s[i] - '0';

        if (d < 0 || d > 9 || v > (INT64_MAX - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    *out = v;
    return 1;
}

/* Checks the ':'-separated names and collects the known ones into *MASK. */
static int mc_token_parse_names(const mc_categories_t *cats, const char *s, size_t len,
                                mc_catmask_t *mask)
{
    char name[MC_CATEGORY_NAME_MAX + 1];
    size_t start = 0;

    *mask = 0;
    for (size_t i = 0; i <= len; i++) {
        size_t n = i - start;
        int index;

        if (i < len && s[i] != ':')
            continue;
        if (n == 0 || n > MC_CATEGORY_NAME_MAX)
            return 0;
        memcpy(name, s + start, n);
        name[n] = '\0';
        if (!mc_category_name_valid(name))
            return 0;
        index = mc_categories_index(cats, name);
        if (index >= 0) /* a name this configuration does not know is ignored */
            *mask |= (mc_catmask_t)1 << index;
        start = i + 1;
    }
    return 1;
}

/* Checks the ':'-separated service ids (syntax and count; an empty field is
 * none) and counts them. */
static int mc_token_parse_services(const char *s, size_t len, int *count)
{
    size_t start = 0;

    *count = 0;
    if (len == 0)
        return 1;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != ':')
            continue;
        if (!mc_service_id_valid(s + start, i - start) || ++*count > MC_SERVICES_MAX)
            return 0;
        start = i + 1;
    }
    return 1;
}

/* The ids of the services in SERVICES that RS knows. */
static const apr_array_header_t *mc_token_known_services(apr_pool_t *p, const mc_ruleset_t *rs,
                                                         const char *s, size_t len)
{
    apr_array_header_t *ids = apr_array_make(p, 4, sizeof(const char *));
    size_t start = 0;

    for (size_t i = 0; len > 0 && i <= len; i++) {
        const mc_service_t *svc;

        if (i < len && s[i] != ':')
            continue;
        svc = mc_ruleset_service(rs, s + start, i - start);
        if (svc) /* an id this configuration does not know is ignored */
            APR_ARRAY_PUSH(ids, const char *) = svc->id;
        start = i + 1;
    }
    return ids;
}

static int mc_token_version_is(const mc_token_parts_t *parts, const char *version)
{
    return parts->flen[F_VERSION] == strlen(version) &&
           memcmp(parts->field[F_VERSION], version, parts->flen[F_VERSION]) == 0;
}

/* Syntax only: nothing found here is trusted before the signature is checked. */
static int mc_token_parse(const mc_categories_t *cats, const char *value, size_t len,
                          mc_token_parts_t *parts)
{
    long n;
    int v1;

    if (!mc_token_split(value, len, parts))
        return 0;
    /* the version must agree with the number of fields the split found */
    v1 = parts->flen[F_SERVICES] == 0 && parts->field[F_SERVICES] == parts->field[F_SIG];
    if (!mc_token_version_is(parts, v1 ? MC_TOKEN_VERSION_1 : MC_TOKEN_VERSION))
        return 0;
    if (!mc_consent_id_valid(parts->field[F_ID], parts->flen[F_ID]))
        return 0;
    n = mc_base64url_decode(parts->policy, parts->field[F_POLICY], parts->flen[F_POLICY]);
    if (n <= 0 || memchr(parts->policy, '\0', (size_t)n))
        return 0;
    parts->policy_len = (size_t)n;
    if (!mc_token_parse_time(parts->field[F_TIME], parts->flen[F_TIME], &parts->time))
        return 0;
    if (!mc_token_parse_names(cats, parts->field[F_GRANTED], parts->flen[F_GRANTED],
                              &parts->granted))
        return 0;
    if (!mc_token_parse_services(parts->field[F_SERVICES], parts->flen[F_SERVICES],
                                 &parts->services))
        return 0;
    n = mc_base64url_decode(parts->sig, parts->field[F_SIG], parts->flen[F_SIG]);
    return n == MC_SIG_LEN;
}

static int mc_token_signature_ok(const mc_token_key_t *key, const char *value,
                                 const mc_token_parts_t *parts)
{
    unsigned char expected[MC_SIG_LEN];

    if (!mc_token_hmac(key, value, parts->signed_len, expected))
        return 0;
    return CRYPTO_memcmp(expected, parts->sig, MC_SIG_LEN) == 0;
}

static int mc_token_policy_current(const mc_token_parts_t *parts, const char *policy)
{
    return policy && strlen(policy) == parts->policy_len &&
           memcmp(policy, parts->policy, parts->policy_len) == 0;
}

/* Judges a token whose signature is good: outdated, expired, future or valid. */
static mc_token_status_t mc_token_judge(const mc_token_parts_t *parts, const char *policy,
                                        int64_t now, int64_t max_age)
{
    if (!mc_token_policy_current(parts, policy))
        return MC_TOKEN_OUTDATED;
    /* Written as differences so that no sum of two int64_t can overflow:
     * parts->time is never negative and NOW is a current clock. */
    if (parts->time <= now && now - parts->time >= max_age)
        return MC_TOKEN_EXPIRED;
    if (parts->time > now && parts->time - now > MC_CLOCK_SKEW)
        return MC_TOKEN_FUTURE;
    return MC_TOKEN_VALID;
}

mc_token_status_t mc_token_decode(apr_pool_t *p, const mc_token_key_t *key,
                                  const mc_categories_t *cats, const mc_ruleset_t *rs,
                                  const char *value, size_t len, const char *policy, int64_t now,
                                  int64_t max_age, mc_consent_t *out)
{
    mc_token_parts_t parts;
    mc_token_status_t status;

    mc_consent_init(out, cats);
    if (!value || len == 0)
        return MC_TOKEN_MISSING;
    if (len > MC_TOKEN_MAX)
        return MC_TOKEN_MALFORMED;
    /* Some clients send the value as a quoted-string (RFC 6265 allows it). */
    if (len >= 2 && value[0] == '"' && value[len - 1] == '"') {
        value++;
        len -= 2;
    }
    if (!mc_token_parse(cats, value, len, &parts))
        return MC_TOKEN_MALFORMED;
    if (!mc_token_signature_ok(key, value, &parts))
        return MC_TOKEN_BAD_SIGNATURE;
    status = mc_token_judge(&parts, policy, now, max_age);
    if (status == MC_TOKEN_VALID || status == MC_TOKEN_EXPIRED || status == MC_TOKEN_OUTDATED) {
        memcpy(out->id, parts.field[F_ID], MC_ID_LEN);
        out->id[MC_ID_LEN] = '\0';
    }
    if (status == MC_TOKEN_VALID) {
        out->decided = 1;
        out->policy = apr_pstrmemdup(p, (const char *)parts.policy, parts.policy_len);
        out->time = parts.time;
        out->granted = parts.granted | mc_categories_required(cats);
        out->services =
            mc_token_known_services(p, rs, parts.field[F_SERVICES], parts.flen[F_SERVICES]);
    }
    return status;
}

/* ---- signed text -------------------------------------------------------------------- */

#define MC_TEXT_SIG_BYTES 16

static int text_signature(const mc_token_key_t *key, const char *purpose, const char *text,
                          char out[MC_TEXT_SIG_LEN + 1])
{
    unsigned char mac[MC_SIG_LEN];
    /* the purpose with its NUL: no purpose and text can pass for another */
    const void *data[2] = {purpose, text};
    size_t len[2] = {strlen(purpose) + 1, strlen(text)};
    int ok = key_mac(key, data, len, 2, mac);

    if (ok)
        mc_b64url_encode_to(out, mac, MC_TEXT_SIG_BYTES);
    OPENSSL_cleanse(mac, sizeof(mac));
    return ok;
}

char *mc_token_sign_text(apr_pool_t *p, const mc_token_key_t *key, const char *purpose,
                         const char *text)
{
    char sig[MC_TEXT_SIG_LEN + 1];

    return text_signature(key, purpose, text, sig) ? apr_pstrdup(p, sig) : NULL;
}

int mc_token_text_signed(const mc_token_key_t *key, const char *purpose, const char *text,
                         const char *sig)
{
    char want[MC_TEXT_SIG_LEN + 1];

    return sig && strlen(sig) == MC_TEXT_SIG_LEN && text_signature(key, purpose, text, want) &&
           CRYPTO_memcmp(want, sig, MC_TEXT_SIG_LEN) == 0;
}
