/* Text and encoding helpers the other units share: HTML and URL escaping,
 * base64url, hex hashes and times as the consent log writes them. */
#include "text.h"

#include <apr_strings.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

/* --- HTML and URLs ----------------------------------------------------------------- */

static const char *html_entity(char c)
{
    switch (c) {
    case '&': return "&amp;";
    case '<': return "&lt;";
    case '>': return "&gt;";
    case '"': return "&quot;";
    case '\'': return "&#39;";
    default: return NULL;
    }
}

char *mc_html_escape(apr_pool_t *p, const char *s)
{
    size_t len = 0;
    char *out, *o;

    for (const char *c = s; *c; c++) {
        const char *e = html_entity(*c);
        len += e ? strlen(e) : 1;
    }
    o = out = apr_palloc(p, len + 1);
    for (const char *c = s; *c; c++) {
        const char *e = html_entity(*c);
        if (e) {
            size_t n = strlen(e);
            memcpy(o, e, n);
            o += n;
        } else
            *o++ = *c;
    }
    *o = '\0';
    return out;
}

static int url_unreserved(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~' || c == '/';
}

char *mc_url_query_encode(apr_pool_t *p, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = apr_palloc(p, strlen(s) * 3 + 1), *o = out;

    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (url_unreserved(*c))
            *o++ = (char)*c;
        else {
            *o++ = '%';
            *o++ = hex[*c >> 4];
            *o++ = hex[*c & 15];
        }
    }
    *o = '\0';
    return out;
}

/* --- base64url (RFC 4648 section 5, no padding) --------------------------------------- */

static const char mc_b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* The value of a letter or digit, the same in both alphabets; -1 else. */
static int b64_alnum_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return -1;
}

int mc_b64url_value(char c)
{
    return c == '-' ? 62 : c == '_' ? 63 : b64_alnum_value(c);
}

int mc_base64_value(char c)
{
    return c == '+' ? 62 : c == '/' ? 63 : b64_alnum_value(c);
}

/* Writes the encoding of DATA and a NUL to OUT ((len + 2) / 3 * 4 + 1 bytes). */
void mc_b64url_encode_to(char *out, const unsigned char *data, size_t len)
{
    size_t i = 0;

    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8 | data[i + 2];
        *out++ = mc_b64url_alphabet[v >> 18];
        *out++ = mc_b64url_alphabet[(v >> 12) & 63];
        *out++ = mc_b64url_alphabet[(v >> 6) & 63];
        *out++ = mc_b64url_alphabet[v & 63];
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)data[i] << 16;
        *out++ = mc_b64url_alphabet[v >> 18];
        *out++ = mc_b64url_alphabet[(v >> 12) & 63];
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8;
        *out++ = mc_b64url_alphabet[v >> 18];
        *out++ = mc_b64url_alphabet[(v >> 12) & 63];
        *out++ = mc_b64url_alphabet[(v >> 6) & 63];
    }
    *out = '\0';
}

char *mc_base64url_encode(apr_pool_t *p, const unsigned char *data, size_t len)
{
    char *out = apr_palloc(p, (len + 2) / 3 * 4 + 1);

    mc_b64url_encode_to(out, data, len);
    return out;
}

long mc_base64url_decode(unsigned char *out, const char *in, size_t len)
{
    uint32_t acc = 0;
    int bits = 0;
    long n = 0;

    if (len % 4 == 1)
        return -1;
    for (size_t i = 0; i < len; i++) {
        int v = mc_b64url_value(in[i]);

        if (v < 0)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    /* Only the canonical form is accepted (unused low bits zero), so that a
     * signature has exactly one spelling and no edited byte can still verify. */
    return acc == 0 ? n : -1;
}

/* --- hashes and times ---------------------------------------------------------------- */

static EVP_MD *sha256_fetched;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

/* Kept for the life of the process (reachable: no leak to report). */
static void sha256_fetch(void)
{
    sha256_fetched = EVP_MD_fetch(NULL, "SHA2-256", NULL);
}

const EVP_MD *mc_sha256(void)
{
    if (pthread_once(&sha256_once, sha256_fetch) != 0 || !sha256_fetched)
        return EVP_sha256(); /* looked up at each use, as before */
    return sha256_fetched;
}

void mc_hex_to(char *out, const void *data, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *in = data;

    for (size_t i = 0; i < len; i++) {
        out[2 * i] = hex[in[i] >> 4];
        out[2 * i + 1] = hex[in[i] & 15];
    }
    out[2 * len] = '\0';
}

mc_status_t mc_sha256_hex(const void *data, size_t len, char *out)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;

    out[0] = '\0';
    if (!EVP_Digest(data, len, md, &md_len, mc_sha256(), NULL) || md_len * 2 != MC_HASH_HEX)
        return MC_ECRYPTO;
    mc_hex_to(out, md, md_len);
    return MC_OK;
}

int mc_hash_hex_valid(const char *s, size_t len)
{
    if (len != MC_HASH_HEX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    }
    return 1;
}

char *mc_time_rfc3339(apr_pool_t *p, int64_t time_usec)
{
    int64_t secs = time_usec / 1000000;
    int64_t usec = time_usec % 1000000;
    struct tm tm;
    time_t t;

    if (usec < 0) { /* C division truncates; a time before 1970 needs the floor */
        usec += 1000000;
        secs--;
    }
    t = (time_t)secs;
    if (!gmtime_r(&t, &tm))
        return NULL;
    return apr_psprintf(p, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                        tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(usec / 1000));
}

mc_status_t mc_size_parse(const char *s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0, unit = 1;

    if (!s || !(*s >= '0' && *s <= '9'))
        return MC_EINVAL;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (v > (UINT64_MAX - 9) / 10)
            return MC_EINVAL;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    switch (*s) {
    case 'k': case 'K': unit = 1024; s++; break;
    case 'm': case 'M': unit = (uint64_t)1 << 20; s++; break;
    case 'g': case 'G': unit = (uint64_t)1 << 30; s++; break;
    default: break;
    }
    if (*s || (v && unit > max / v) || v * unit > max)
        return MC_EINVAL;
    *out = v * unit;
    return MC_OK;
}
