/* The consent banner as server-rendered HTML, from a locale's texts and the
 * site's categories. Everything works as a plain form, without JavaScript;
 * consent.js only enhances it. Every text and attribute value is
 * HTML-escaped. No inline style or script: it works under a strict CSP.
 *
 * mc_banner_render writes two siblings, one of them hidden:
 *
 *   <div id="mc-reopen-box" class="mc-reopen-box mc-at-{corner}" lang=".."[ hidden]>
 *     <a id="mc-reopen" class="mc-reopen" href="{base}/settings?return=.." title="{reopen}">
 *       <svg class="mc-reopen-mark" aria-hidden="true">..</svg>
 *       <span class="mc-reopen-text">{reopen}</span></a>
 *   </div>
 *   <section id="mc-banner" class="mc-banner" aria-labelledby="mc-title" lang=".."[ hidden]>
 *     <form id="mc-form" class="mc-form" method="post" action="{base}/decision">
 *       hidden inputs "return" (when known) and "lang"
 *       <h2 id="mc-title" tabindex="-1">{title}</h2> <p id="mc-intro">{intro}</p>
 *       [<p id="mc-gpc">{gpc_notice}</p>] [<p class="mc-links"><a href=privacy>..</a></p>]
 *       <div class="mc-actions">
 *         <button class="mc-btn" name="method" value="accept_all">  .. "reject_all"
 *           (named {withdraw} instead of {reject_all} once more than the
 *           required categories is granted; both names in data-label-*)
 *         <details id="mc-settings"><summary class="mc-btn">{settings}</summary>
 *           <fieldset class="mc-cats"><legend>{settings_title}</legend>
 *             per category: a checkbox "granted" with its <label> and description
 *             (required ones checked, disabled, "always on", posted by a hidden input)
 *             and, when the category has cookies, under the description:
 *             <details class="mc-cookies"><summary>{cookies_label} (N)</summary>
 *               <ul><li><code>_ga</code> — Google Analytics</li>..</ul></details>
 *           </fieldset>
 *           [<details class="mc-cookies mc-unclassified-box">
 *              <summary>{unclassified_title} (N)</summary>
 *              [<p class="mc-unclassified-note">{unclassified_held_note}</p>
 *               <ul class="mc-unclassified mc-held"><li><code>x</code></li>..</ul>]
 *              [<p class="mc-unclassified-note">{unclassified_allowed_note}</p>
 *               <ul class="mc-unclassified"><li><code>y</code></li>..</ul>]</details>]
 *             (cookies the site was seen to set that no rule classifies, apart
 *             from every category, none presented as necessary: those held
 *             until the visitor accepts all, then those set without asking;
 *             blocked ones are never set and not shown)
 *           <button class="mc-btn" name="method" value="custom">{save}</button>
 *         </details>
 *       </div>
 *     </form>
 *   </section>
 *
 * Before a decision the banner shows and the "Cookie settings" control is
 * hidden (consent.js reveals it after a choice); after one, the control
 * shows and the banner is hidden (consent.js reopens it in place; without
 * JavaScript the control links to the settings page).
 *
 * Standalone (the settings page), the section is never hidden, carries the
 * class "mc-standalone" as well, and its <details> is open.
 *
 * mc_settings_render writes the settings page, a whole document:
 *
 *   <!DOCTYPE html><html lang=".."><head> meta, <title>{settings_page_title},
 *     the caller's head markup (the assets) </head>
 *   <body class="mc-page"><main class="mc-page-main">
 *     <h1 class="mc-page-title">{settings_page_title}</h1>
 *     <div id="mc-state" class="mc-state">
 *       <p>{current_state_none}</p>                       before a decision, or
 *       <p>{current_state}</p><dl class="mc-state-list">  after one:
 *         {state_time} <time datetime="..Z">2026-11-24 06:13 UTC</time>
 *         {state_granted} the titles of the granted categories
 *         [{state_refused} those of the refused ones]
 *         {state_id} <code id="mc-consent-id">ID</code> {state_id_help}
 *       </dl>
 *     </div>
 *     <p id="mc-withdraw" class="mc-withdraw">{withdraw_note}</p>
 *     the banner section, standalone (without the control: consent.js then
 *     leaves the form alone, and a choice posts it and returns the visitor)
 *     <p class="mc-back"><a id="mc-back" href="{return or /}">{back}</a></p>
 *   </main></body></html> */
#ifndef MC_BANNER_H
#define MC_BANNER_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <stddef.h>
#include <stdint.h>

#include "category.h"
#include "locale.h"
#include "text.h"

/* The cookies of one category as markup, made once (mc_banner_cookie_lists)
 * and reused by every banner: COUNT entries in LIST, a <ul>; NULL for none. */
typedef struct mc_banner_cookies {
    int count;
    const char *list;
    /* cookies the site was seen to set that no rule classifies, carried by
     * the necessary category's entry and shown apart from every category
     * (above): UNCLASSIFIED those set without consent, HELD those held
     * until every optional category is granted; a <ul> each, or NULL */
    int unclassified_count;
    const char *unclassified;
    int held_count;
    const char *held;
} mc_banner_cookies_t;

/* Where the "Cookie settings" control sits: ConsentReopenPosition. */
#define MC_REOPEN_DEFAULT "bottom-left"

/* 1 for "bottom-left", "bottom-right", "top-left" or "top-right". */
int mc_reopen_position_valid(const char *position);

/* The services in use of one category as second-layer markup, made once
 * per language by mc_banner_service_lists and reused by every banner:
 *   <fieldset class="mc-services"><legend>{Services}</legend>
 *     <div class="mc-service">
 *       <input type="checkbox" class="mc-service" id="mc-svc-ID" name="service"
 *              value="ID" data-category="CAT" aria-describedby="mc-svc-ID-desc">
 *       <label for="mc-svc-ID">YouTube (Google)</label>
 *       <p id="mc-svc-ID-desc" class="mc-service-desc">{purpose}</p>
 *       <details class="mc-service-cookies"><summary>{cookies_label} (N)</summary>
 *         <ul><li><code>YSC</code>: {lifetime}</li>..</ul>
 *         <p class="mc-service-who">{responsible: entity}. {outside the EEA: ..}</p>
 *       </details></div>..</fieldset>
 * A required category's services have no checkbox (they are always on).
 * Three variants, as the banner needs them: boxes unticked, ticked (the
 * category is granted), and unticked and disabled (GPC refuses the
 * category). */
typedef struct mc_banner_services {
    int count;
    const char *off;
    const char *on;
    const char *refused;
} mc_banner_services_t;

typedef struct mc_banner_opts {
    const char *base_path;   /* ConsentBasePath, e.g. "/_consent" */
    const char *return_path; /* the page's path and query; NULL for none */
    const char *privacy_url; /* ConsentPrivacyPolicy; NULL for no link */
    const char *lang;        /* the lang attribute; NULL for the locale's */
    int gpc;                 /* show gpc_notice; marketing cannot be chosen */
    int decided;             /* a decision exists: show the control */
    mc_catmask_t granted;    /* decided: what is granted (presets the switches) */
    /* decided: ids (const char *) of services granted on their own, beyond
     * GRANTED (their switches show ticked); NULL for none */
    const apr_array_header_t *granted_services;
    int standalone;          /* on a page of its own: shown, second layer open */
    const char *reopen_position; /* corner of the control (mc_reopen_position_valid); NULL: default */
    const mc_banner_cookies_t *cookies; /* one per category, or NULL: no lists */
    const mc_banner_services_t *services; /* one per category, or NULL: none listed */
    /* the first layer's sentence on who receives data (mc-recipients):
     * the vendors of the services in use ("Google, Meta"), or NULL when
     * none is known yet; OUTSIDE_EEA when one of them sends data outside
     * the EEA; MAX_AGE the seconds a choice is kept (0: not said) */
    const char *recipients;
    int outside_eea;
    int64_t max_age;
} mc_banner_opts_t;

/* What the settings page says besides the banner's options. */
typedef struct mc_settings_page {
    const char *head;       /* markup for <head> as is: the assets' <link> and <script> */
    const char *consent_id; /* decided: the consent id; NULL or "" for none */
    int64_t time;           /* decided: when, in Unix seconds */
    /* the request comes from a ConsentAdminAddress: the page ends with the
     * administrator's panel (mc_admin_panel) of these unclassified cookies
     * (mc_declared_seen_t with category -1; others are skipped), NULL for
     * none */
    int admin;
    const apr_array_header_t *unclassified;
} mc_settings_page_t;

/* The control and the banner, as above. LEN (may be NULL) gets the length. */
char *mc_banner_render(apr_pool_t *p, const mc_locale_t *loc, const mc_categories_t *cats,
                       const mc_banner_opts_t *o, size_t *len);

/* Only the banner section (both layers). */
char *mc_banner_markup(apr_pool_t *p, const mc_locale_t *loc, const mc_categories_t *cats,
                       const mc_banner_opts_t *o);

/* Only the "Cookie settings" control. */
char *mc_banner_control(apr_pool_t *p, const mc_locale_t *loc, const mc_banner_opts_t *o);

/* The settings page, as above, for O (return_path NULL counts as "/").
 * LEN (may be NULL) gets the length. */
char *mc_settings_render(apr_pool_t *p, const mc_locale_t *loc, const mc_categories_t *cats,
                         const mc_banner_opts_t *o, const mc_settings_page_t *page, size_t *len);

/* The settings page's panel for the site's administrator, never shown to
 * a visitor (mc_settings_page_t.admin):
 *   <section id="mc-admin" class="mc-admin" aria-labelledby="mc-admin-title">
 *     <h2 id="mc-admin-title">{admin_title}</h2><p>{admin_intro}</p>
 *     <p>{admin_none}</p>                                 when none, else
 *     <table class="mc-admin-cookies"><caption>{admin_caption}</caption>
 *       <thead> {admin_name} {admin_domain} {admin_lifetime} {admin_treatment}
 *       <tbody><tr><td><code>NAME</code></td><td>DOMAIN</td>
 *         <td>{admin_persistent} or {admin_session}</td>
 *         <td class="mc-admin-held|allowed|blocked">{admin_held|allowed|blocked}</td></tr>..
 *     </table>
 *     <p>{admin_howto} <code>necessary</code>, <code>..</code></p>
 *     <pre class="mc-admin-directives"><code>ConsentCookieRule CATEGORY NAME
 *       ..</code></pre>
 *   </section>
 * {days} in admin_persistent becomes the lifetime in whole days. */
char *mc_admin_panel(apr_pool_t *p, const mc_locale_t *loc, const mc_categories_t *cats,
                     const apr_array_header_t *unclassified);

/* Per category of DECL (from mc_declaration_make, in category order) its
 * cookie list as above, names escaped, a pattern shown as its text, the
 * service after a dash when known. One entry per element of DECL. */
mc_banner_cookies_t *mc_banner_cookie_lists(apr_pool_t *p, const apr_array_header_t *decl);

/* Per category of CATS, the markup of the services of USED
 * (mc_used_service_t *, used.h) in it, in LOC's language; one entry per
 * category. */
mc_banner_services_t *mc_banner_service_lists(apr_pool_t *p, const apr_array_header_t *used,
                                              const mc_categories_t *cats, const mc_locale_t *loc);

/* The first layer's sentence naming RECIPIENTS (NULL: the one without
 * names), as shown: the locale's "recipients" with {recipients} filled in,
 * or its "recipients_none". */
const char *mc_banner_recipients_sentence(apr_pool_t *p, const mc_locale_t *loc,
                                          const char *recipients);

#endif
