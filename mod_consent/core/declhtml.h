/* The cookie declaration as a page a person reads (GET declaration with
 * Accept: text/html, or ?format=html): per category, its title and
 * description and a table of the services the site uses, one row each:
 *
 *   <!DOCTYPE html><html lang=".."><head> meta, <title>, the caller's head
 *   </head><body class="mc-page"><main class="mc-page-main mc-decl">
 *     <h1>{title}</h1><p class="mc-decl-intro">{intro}</p>
 *     [<p class="mc-decl-recipients">{who receives data}</p>]
 *     per category: <section class="mc-decl-cat" aria-labelledby="mc-decl-CAT">
 *       <h2 id="mc-decl-CAT">{title}</h2><p>{description}</p>
 *       <table class="mc-decl-table"><caption>..</caption>
 *         <thead><tr><th scope="col">Service</th> Purpose, Cookies and
 *           lifetime, Provider, Outside the EEA, Seen through</tr></thead>
 *         <tbody><tr><th scope="row">YouTube</th><td data-label="..">..</td>..
 *       </table> (or <p class="mc-decl-none">{no services}</p>)
 *       [<ul class="mc-decl-other"> the category's other cookies: the
 *        scope's own rules, the consent cookie, seen ones]
 *     </section>
 *     [<p><a href="{privacy}">..</a></p>]
 *   </main></body></html>
 *
 * Each td carries its column's name in data-label, so that consent.css can
 * stack a row into a card on a narrow screen without the page scrolling
 * sideways. No inline style or script; every text is escaped. The words
 * around the catalogue's are nb, nn or en (English for any other language);
 * the categories' titles and descriptions are the locale's. */
#ifndef MC_DECLHTML_H
#define MC_DECLHTML_H

#include <apr_pools.h>
#include <apr_tables.h>

#include "category.h"
#include "locale.h"

typedef struct mc_declaration_page {
    const char *head;         /* markup for <head> as is (the stylesheet); may be NULL */
    const char *privacy_url;  /* ConsentPrivacyPolicy; NULL for no link */
    const char *settings_url; /* where to change a choice; NULL for no link */
} mc_declaration_page_t;

/* DECL (mc_declaration_make, narrowed by mc_declaration_only_used) and
 * USED (mc_used_services, in the locale's language) as the page above. */
char *mc_declaration_html(apr_pool_t *p, const apr_array_header_t *decl,
                          const apr_array_header_t *used, const mc_categories_t *cats,
                          const mc_locale_t *loc, const mc_declaration_page_t *page);

#endif
