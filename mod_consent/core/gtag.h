/* Google tags by their ids: which categories a gtag.js URL or an inline
 * gtag snippet needs, from the ids it configures.
 *
 * One gtag.js serves many products; what it does depends on the ids it is
 * given, not on its URL. So the catalogue marks its Google tag services
 * ("google_tag": true) and, when such a rule classifies an element, the ids
 * decide (mc_gtag_category):
 *
 *   G-...   Google Analytics 4                        statistics
 *   UA-...  Universal Analytics                       statistics
 *   AW-...  Google Ads                                marketing
 *   DC-...  Floodlight (Campaign Manager)             marketing
 *   GT-...  a Google tag (may carry Ads destinations) marketing
 *   GTM-... a Tag Manager container (may load anything) marketing
 *
 * GT- and GTM- count as marketing because what they send is configured at
 * Google, not in the page: a Google tag GT-... routinely forwards to Google
 * Ads too, a container may hold any tag. Nothing in the markup can prove
 * otherwise, so they wait for the larger consent.
 *
 * The scanners read what the browser would, as far as a page's snippet
 * shows it: ids spelt in either case, in '', "" or `` strings with escapes,
 * through gtag(), window.gtag() or dataLayer.push([...]). An id they cannot
 * read for sure (built by concatenation, a variable, a template with ${},
 * gtag called other than with plain arguments) makes the result
 * MC_GTAG_UNKNOWN: the catalogue's own classification then stands, never a
 * smaller one. Marketing ids (AW-, DC-, GT-, GTM-) also count wherever they
 * appear in the body, comments included, so a misread cannot hide one. */
#ifndef MC_GTAG_H
#define MC_GTAG_H

#include <stddef.h>

#include "rules.h"

#define MC_GTAG_STATS 0x1u     /* G-, UA- */
#define MC_GTAG_ADS 0x2u       /* AW-, DC- */
#define MC_GTAG_CONTAINER 0x4u /* GT-, GTM- */
#define MC_GTAG_UNKNOWN 0x8u   /* an id that could not be read */

/* The kind of one id, spelt in any case ("G-ABC123", "AW-123/label"), or 0
 * when S[0..N) is not an id. */
unsigned mc_gtag_id_kind(const char *s, size_t n);

/* The ids of a gtag.js URL's id= query parameters (the URL as rules take
 * it: absolute or protocol-relative; percent-encoding decoded, names in any
 * case). 0 when it has none. */
unsigned mc_gtag_ids_url(const char *url, size_t len);

/* The ids an inline script body configures. 0 when it names none. */
unsigned mc_gtag_ids_inline(const char *body, size_t len);

/* The category a Google tag with IDS needs, or NULL when the ids do not
 * decide (none, or one unknown): the catalogue's category then applies.
 * CONSENT_MODE is ConsentGoogleConsentMode: off, any marketing id makes the
 * tag marketing (gtag would set ad cookies); on, a tag with a statistics id
 * loads with statistics, because consent.js has already denied the ads
 * signals before it runs, and a tag with only marketing ids stays
 * marketing. */
const char *mc_gtag_category(unsigned ids, int consent_mode);

/* Both steps for a subject the rewriter classifies (MC_RULE_URL or
 * MC_RULE_INLINE); NULL when the ids do not decide. */
const char *mc_gtag_classify(mc_rule_kind_t kind, const char *subject, size_t len,
                             int consent_mode);

#endif
