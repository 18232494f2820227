/* Banner texts of one language: loading a locale file, looking texts up,
 * overriding them (ConsentText), and the hash of the texts a visitor saw.
 *
 * A locale file (conf/locales/nb.json) is one JSON object:
 *   {"lang": "nb", "name": "Norsk bokmål", "texts": {KEY: TEXT, ...}}
 * with every key of mc_locale_required_keys in "texts" and no unknown one.
 * Besides the required keys, "category.NAME.title" and
 * "category.NAME.description" name the texts of an admin's own category.
 *
 * The hash (for the consent log's "text" field) is the lower-case hex
 * SHA-256 of the texts as one compact JSON object with the keys sorted,
 * UTF-8 unescaped: what Python's
 *   json.dumps(texts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
 * writes. Texts hold no control characters, so only '"' and '\' are escaped;
 * an auditor can recompute the hash from the wording alone.
 *
 * A locale never changes once made: mc_locale_derive makes a new one. */
#ifndef MC_LOCALE_H
#define MC_LOCALE_H

#include <apr_pools.h>
#include <stddef.h>

#include "status.h"

#define MC_LOCALE_TEXT_MAX 2000 /* bytes of one text */

typedef struct mc_locale mc_locale_t;

/* One text: KEY and its wording. */
typedef struct mc_text {
    const char *key;
    const char *text;
} mc_text_t;

/* The keys every locale carries, NULL-terminated, in the order a translator
 * reads them. */
extern const char *const mc_locale_required_keys[];

/* 1 when KEY is a required key or a category text key
 * ("category.NAME.title", "category.NAME.description", NAME a valid
 * category name). */
int mc_locale_key_known(const char *key);

/* The known keys, comma-separated, for error messages. */
const char *mc_locale_keys_list(apr_pool_t *p);

/* NULL when TEXT may be shown (valid UTF-8, 1 to MC_LOCALE_TEXT_MAX bytes,
 * no control characters); otherwise why not. */
const char *mc_locale_text_problem(const char *text);

/* Loads a locale file's bytes. SOURCE names it in errors
 * ("locales/nb.json: line 3 column 5: ..."). Strict: the three fields and
 * nothing else, a valid language tag, every required text, no unknown key,
 * no duplicate key, every text passing mc_locale_text_problem. */
mc_status_t mc_locale_parse(apr_pool_t *p, const char *json, size_t len, const char *source,
                            mc_locale_t **out, const char **err);

/* BASE (NULL for none) as language LANG, with TEXTS (N of them) set on top;
 * a later entry for a key wins over an earlier one. Every key must be known
 * and every text valid. Required keys may stay missing (mc_locale_missing
 * says which). The result is a new locale; BASE is not touched. */
mc_status_t mc_locale_derive(apr_pool_t *p, const mc_locale_t *base, const char *lang,
                             const mc_text_t *texts, int n, mc_locale_t **out, const char **err);

const char *mc_locale_lang(const mc_locale_t *loc);
/* The language's own name ("Norsk bokmål"); for a derived locale, BASE's. */
const char *mc_locale_name(const mc_locale_t *loc);
/* The text for KEY, or NULL. */
const char *mc_locale_text(const mc_locale_t *loc, const char *key);
/* How many texts LOC holds, and the I-th in key order. */
int mc_locale_count(const mc_locale_t *loc);
const mc_text_t *mc_locale_entry(const mc_locale_t *loc, int i);
/* The required keys LOC lacks, comma-separated, or NULL when none. */
const char *mc_locale_missing(apr_pool_t *p, const mc_locale_t *loc);
/* The hex SHA-256 of the canonical texts (above); computed when LOC was made. */
const char *mc_locale_hash(const mc_locale_t *loc);

#endif
