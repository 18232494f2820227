/* The placeholder page a neutralised <iframe> shows instead of its embed
 * (GET {base}/placeholder?u=URL&l=LANG), a whole document that fills the
 * frame. It works without JavaScript and has no inline style or script:
 *
 *   <!DOCTYPE html><html lang=".."><head> meta, <title>{service}</title>,
 *     <link rel="stylesheet" href="{css}"> </head>
 *   <body class="mc-placeholder"><main class="mc-placeholder-box">
 *     <p class="mc-placeholder-text">{placeholder_text}</p>
 *     <div class="mc-placeholder-actions">
 *       [when the embed's rule belongs to a catalogue service:
 *       <form class="mc-placeholder-form mc-placeholder-service" method="post"
 *             action="{base}/decision" target="_top">
 *         hidden: method=custom, granted= each granted category, service=
 *         each granted service and this one, via=placeholder,
 *         return={the page}, lang
 *         <button type="submit" class="mc-btn mc-placeholder-allow-service">
 *           {placeholder_allow_service}</button>
 *       </form>]
 *       <a class="mc-btn" href="{the embed's own URL}">{placeholder_load}</a>
 *       <form class="mc-placeholder-form" method="post" action="{base}/decision"
 *             target="_top">
 *         hidden: method=custom, granted= each granted category and this
 *         one, service= each granted service, via=placeholder,
 *         return={the page}, lang
 *         <button type="submit" class="mc-btn mc-placeholder-allow">
 *           {placeholder_allow}</button>
 *       </form>
 *     </div>
 *   </main></body></html>
 *
 * The forms are left out when the category cannot be granted (marketing
 * under Global Privacy Control). The link loads only this embed, in the
 * frame, and records nothing; the first form grants this one service (the
 * rest of its category stays refused), the second the category
 * everywhere; both keep what the visitor granted before and reload the
 * whole page (the frame is the page's: the page comes back with the embed
 * live and anything else the grant covers). In the texts, {service} and
 * {category} (the category's title, lower-cased in running text) are
 * substituted after escaping. */
#ifndef MC_PLACEHOLDER_H
#define MC_PLACEHOLDER_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <stddef.h>

#include "category.h"
#include "locale.h"

typedef struct mc_placeholder_opts {
    const char *base_path;   /* ConsentBasePath */
    const char *css_href;    /* the stylesheet's (versioned) URL; NULL for none */
    const char *lang;        /* the lang attribute; NULL for the locale's */
    const char *url;         /* the embed's URL */
    const char *service;     /* who serves it ("YouTube", or the URL's host) */
    const char *service_id;  /* its catalogue service's id, or NULL: no service form */
    const apr_array_header_t *services; /* ids (const char *) granted now, or NULL */
    int category;            /* its category's index in the set */
    mc_catmask_t granted;    /* what the visitor grants now */
    const char *return_path; /* the page the frame is on; NULL counts as "/" */
    int locked_off;          /* the category cannot be granted (GPC and marketing): no form */
} mc_placeholder_opts_t;

/* The page, as above; LEN (may be NULL) gets its length. */
char *mc_placeholder_render(apr_pool_t *p, const mc_locale_t *loc, const mc_categories_t *cats,
                            const mc_placeholder_opts_t *o, size_t *len);

/* TEXT (raw) escaped, with "{service}" and "{category}" replaced by the
 * escaped SERVICE and CATEGORY. */
char *mc_placeholder_text(apr_pool_t *p, const char *text, const char *service,
                          const char *category);

/* The host of an absolute http(s) URL (lower-cased, without port or
 * userinfo), or NULL when URL is not one. */
char *mc_placeholder_host(apr_pool_t *p, const char *url);

#endif
