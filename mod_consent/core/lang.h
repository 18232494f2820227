/* Choosing the banner language from what the visitor's browser asks for. */
#ifndef MC_LANG_H
#define MC_LANG_H

/* The best of OFFERED (N lower-case tags like "nb", "en") for an
 * Accept-Language value, honouring q-values and matching "nb-NO" to "nb".
 * Norwegian "no" and "no-*" count as "nb" (Bokmål), the written standard
 * most Norwegian browsers mean by it. Returns an index into OFFERED, or -1
 * when nothing matches or ACCEPT is NULL. */
int mc_lang_negotiate(const char *accept, const char *const *offered, int n);

/* 1 when TAG is a syntactically valid language tag of 2 to 8 characters
 * (letters and '-', starting with two letters). */
int mc_lang_tag_valid(const char *tag);

#endif
