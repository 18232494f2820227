/* The cookie declaration as a page; its shape is described in declhtml.h. */
#include "declhtml.h"

#include <apr_strings.h>
#include <string.h>

#include "banner.h"
#include "declaration.h"
#include "used.h"

/* The page's own words, in nb, nn and en. */
enum {
    W_TITLE,
    W_INTRO,
    W_EMPTY,
    W_SERVICE,
    W_PURPOSE,
    W_COOKIES,
    W_PROVIDER,
    W_OUTSIDE,
    W_SEEN,
    W_NONE,
    W_OTHER,
    W_YES,
    W_NO,
    W_UNKNOWN,
    W_PRIVACY,
    W_SETTINGS,
    W_RECIPIENTS,
    W_CAPTION,
    W_NO_COOKIES,
    W_EXAMPLE,
    W_COUNT
};

static const char intro_nb[] =
    "Her er tjenestene vi har sett at nettstedet bruker, med formålet, informasjonskapslene og "
    "hvor lenge de varer, hvem som er ansvarlig og om opplysninger sendes ut av EØS. Listen "
    "oppdateres etter hvert som sidene vises.";
static const char empty_nb[] =
    "Vi har ennå ikke sett at nettstedet bruker tjenester fra andre. Listen fylles etter hvert "
    "som sidene vises.";
static const char intro_nn[] =
    "Her er tenestene vi har sett at nettstaden brukar, med føremålet, informasjonskapslane og "
    "kor lenge dei varer, kven som er ansvarleg og om opplysningar blir sende ut av EØS. Lista "
    "blir oppdatert etter kvart som sidene blir viste.";
static const char empty_nn[] =
    "Vi har enno ikkje sett at nettstaden brukar tenester frå andre. Lista blir fylt etter "
    "kvart som sidene blir viste.";
static const char intro_en[] =
    "These are the services this site is seen to use, with their purpose, their cookies and "
    "how long they last, who is responsible, and whether data leaves the EEA. The list grows "
    "as pages are served.";
static const char empty_en[] =
    "This site has not yet been seen to use any third-party service. The list fills as pages "
    "are served.";

static const char *const words[3][W_COUNT] = {
    {"Informasjonskapsler og tjenester på nettstedet",
     intro_nb,
     empty_nb,
     "Tjeneste",
     "Formål",
     "Informasjonskapsler og levetid",
     "Ansvarlig",
     "Utenfor EØS",
     "Sett gjennom",
     "Ingen tjenester i denne kategorien.",
     "Andre informasjonskapsler:",
     "Ja",
     "Nei",
     "Ikke oppgitt",
     "Personvernerklæring",
     "Endre valgene dine",
     "Mottakere ved samtykke:",
     "Tjenester i kategorien",
     "Ingen kjente",
     "f.eks."},
    {"Informasjonskapslar og tenester på nettstaden",
     intro_nn,
     empty_nn,
     "Teneste",
     "Føremål",
     "Informasjonskapslar og levetid",
     "Ansvarleg",
     "Utanfor EØS",
     "Sett gjennom",
     "Ingen tenester i denne kategorien.",
     "Andre informasjonskapslar:",
     "Ja",
     "Nei",
     "Ikkje oppgitt",
     "Personvernerklæring",
     "Endre vala dine",
     "Mottakarar ved samtykke:",
     "Tenester i kategorien",
     "Ingen kjende",
     "t.d."},
    {"Cookies and services on this site",
     intro_en,
     empty_en,
     "Service",
     "Purpose",
     "Cookies and lifetime",
     "Responsible",
     "Outside the EEA",
     "Seen through",
     "No services in this category.",
     "Other cookies:",
     "Yes",
     "No",
     "Not stated",
     "Privacy policy",
     "Change your choices",
     "Recipients with your consent:",
     "Services in the category",
     "None known",
     "e.g."},
};

typedef struct out {
    apr_pool_t *p;
    apr_array_header_t *pieces;
    const char *const *w;
    const char *lang;
} out_t;

static void put(out_t *o, const char *s)
{
    APR_ARRAY_PUSH(o->pieces, const char *) = s;
}

static void put_esc(out_t *o, const char *s)
{
    put(o, mc_html_escape(o->p, s ? s : ""));
}

static void put_cell_start(out_t *o, int word)
{
    put(o, "<td data-label=\"");
    put_esc(o, o->w[word]);
    put(o, "\">");
}

static void put_cookies(out_t *o, const mc_used_service_t *u)
{
    if (u->cookies->nelts == 0) {
        put_esc(o, o->w[W_NO_COOKIES]);
        return;
    }
    put(o, "<ul class=\"mc-decl-cookies\">");
    for (int i = 0; i < u->cookies->nelts; i++) {
        const mc_used_cookie_t *c = &APR_ARRAY_IDX(u->cookies, i, mc_used_cookie_t);
        const char *period = mc_period_text(o->p, c->lifetime, o->lang);
        put(o, "<li><code>");
        put_esc(o, c->name);
        put(o, "</code>");
        if (c->seen_name) {
            put(o, " (");
            put_esc(o, o->w[W_EXAMPLE]);
            put(o, " <code>");
            put_esc(o, c->seen_name);
            put(o, "</code>)");
        }
        if (period) {
            put(o, ": ");
            put_esc(o, period);
        }
        if (c->purpose) {
            put(o, ". ");
            put_esc(o, c->purpose);
        }
        put(o, "</li>");
    }
    put(o, "</ul>");
}

static void put_outside(out_t *o, const mc_service_t *s)
{
    if (s->outside_eea < 0) {
        put_esc(o, o->w[W_UNKNOWN]);
        return;
    }
    put_esc(o, o->w[s->outside_eea ? W_YES : W_NO]);
    if (s->countries) {
        put(o, " (");
        for (int i = 0; i < s->countries->nelts; i++) {
            if (i)
                put(o, ", ");
            put_esc(o, APR_ARRAY_IDX(s->countries, i, const char *));
        }
        put(o, ")");
    }
    if (s->outside_eea && s->transfer) {
        put(o, "<br>");
        put_esc(o, s->transfer);
    }
}

static void put_row(out_t *o, const mc_used_service_t *u)
{
    const mc_service_t *s = u->service;
    const char *purpose = mc_used_purpose(o->p, u, o->lang);

    put(o, "<tr><th scope=\"row\" data-label=\"");
    put_esc(o, o->w[W_SERVICE]);
    put(o, "\">");
    put_esc(o, s->name);
    if (s->vendor && strcmp(s->vendor, s->name) != 0) {
        put(o, " <span class=\"mc-decl-vendor\">(");
        put_esc(o, s->vendor);
        put(o, ")</span>");
    }
    put(o, "</th>");
    put_cell_start(o, W_PURPOSE);
    put_esc(o, purpose ? purpose : o->w[W_UNKNOWN]);
    put(o, "</td>");
    put_cell_start(o, W_COOKIES);
    put_cookies(o, u);
    put(o, "</td>");
    put_cell_start(o, W_PROVIDER);
    put_esc(o, s->entity ? s->entity : s->vendor ? s->vendor : o->w[W_UNKNOWN]);
    if (s->privacy_url) {
        put(o, "<br><a href=\"");
        put_esc(o, s->privacy_url);
        put(o, "\">");
        put_esc(o, o->w[W_PRIVACY]);
        put(o, "</a>");
    }
    put(o, "</td>");
    put_cell_start(o, W_OUTSIDE);
    put_outside(o, s);
    put(o, "</td>");
    put_cell_start(o, W_SEEN);
    put_esc(o, mc_used_how_text(o->p, u->how, o->lang));
    put(o, "</td></tr>");
}

static void put_head_row(out_t *o)
{
    static const int cols[] = {W_SERVICE, W_PURPOSE, W_COOKIES, W_PROVIDER, W_OUTSIDE, W_SEEN};

    put(o, "<thead><tr>");
    for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
        put(o, "<th scope=\"col\">");
        put_esc(o, o->w[cols[i]]);
        put(o, "</th>");
    }
    put(o, "</tr></thead>");
}

/* The category's cookies no used service accounts for. */
static void put_other_cookies(out_t *o, const mc_declared_category_t *cat)
{
    int listed = 0;

    for (int i = 0; i < cat->cookies->nelts; i++) {
        const mc_declared_cookie_t *c = &APR_ARRAY_IDX(cat->cookies, i, mc_declared_cookie_t);
        int own = c->service && strcmp(c->service, MC_DECLARATION_OWN_SERVICE) == 0;
        if (c->service && !own)
            continue;
        if (!listed++) {
            put(o, "<p class=\"mc-decl-other-title\">");
            put_esc(o, o->w[W_OTHER]);
            put(o, "</p><ul class=\"mc-decl-other\">");
        }
        put(o, "<li><code>");
        put_esc(o, c->name);
        put(o, "</code>");
        if (own)
            put(o, " (mod_consent)");
        put(o, "</li>");
    }
    if (listed)
        put(o, "</ul>");
}

static void put_category(out_t *o, const mc_declared_category_t *cat,
                         const apr_array_header_t *used, int index, const mc_locale_t *loc)
{
    const char *id = mc_html_escape(o->p, cat->name);
    const char *title =
        mc_locale_text(loc, apr_pstrcat(o->p, "category.", cat->name, ".title", NULL));
    const char *desc =
        mc_locale_text(loc, apr_pstrcat(o->p, "category.", cat->name, ".description", NULL));
    int rows = 0;

    put(o, apr_pstrcat(o->p, "<section class=\"mc-decl-cat\" aria-labelledby=\"mc-decl-", id,
                       "\"><h2 id=\"mc-decl-", id, "\">", NULL));
    put_esc(o, title ? title : cat->name);
    put(o, "</h2>");
    if (desc) {
        put(o, "<p class=\"mc-decl-desc\">");
        put_esc(o, desc);
        put(o, "</p>");
    }
    for (int i = 0; used && i < used->nelts; i++) {
        const mc_used_service_t *u = APR_ARRAY_IDX(used, i, const mc_used_service_t *);
        if (u->category != index)
            continue;
        if (!rows++) {
            put(o, "<table class=\"mc-decl-table\"><caption>");
            put_esc(o, apr_pstrcat(o->p, o->w[W_CAPTION], " ", title ? title : cat->name, NULL));
            put(o, "</caption>");
            put_head_row(o);
            put(o, "<tbody>");
        }
        put_row(o, u);
    }
    if (rows)
        put(o, "</tbody></table>");
    else {
        put(o, "<p class=\"mc-decl-none\">");
        put_esc(o, o->w[W_NONE]);
        put(o, "</p>");
    }
    put_other_cookies(o, cat);
    put(o, "</section>");
}

char *mc_declaration_html(apr_pool_t *p, const apr_array_header_t *decl,
                          const apr_array_header_t *used, const mc_categories_t *cats,
                          const mc_locale_t *loc, const mc_declaration_page_t *page)
{
    out_t o;
    const char *w = mc_words_lang(mc_locale_lang(loc));
    const char *recipients = mc_used_recipients(p, used, cats, NULL);

    o.p = p;
    o.pieces = apr_array_make(p, 256, sizeof(const char *));
    o.w = words[strcmp(w, "nb") == 0 ? 0 : strcmp(w, "nn") == 0 ? 1 : 2];
    o.lang = mc_locale_lang(loc);
    put(&o, "<!DOCTYPE html><html lang=\"");
    put_esc(&o, o.lang);
    put(&o, "\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
            "content=\"width=device-width, initial-scale=1\"><title>");
    put_esc(&o, o.w[W_TITLE]);
    put(&o, "</title>");
    if (page && page->head)
        put(&o, page->head);
    put(&o, "</head><body class=\"mc-page\"><main class=\"mc-page-main mc-decl\">"
            "<h1 class=\"mc-page-title\">");
    put_esc(&o, o.w[W_TITLE]);
    put(&o, "</h1><p class=\"mc-decl-intro\">");
    put_esc(&o, o.w[used && used->nelts ? W_INTRO : W_EMPTY]);
    put(&o, "</p>");
    if (recipients) {
        put(&o, "<p class=\"mc-decl-recipients\">");
        put_esc(&o, o.w[W_RECIPIENTS]);
        put(&o, " ");
        put_esc(&o, recipients);
        put(&o, "</p>");
    }
    for (int i = 0; i < decl->nelts; i++)
        put_category(&o, &APR_ARRAY_IDX(decl, i, mc_declared_category_t), used, i, loc);
    if (page && (page->settings_url || page->privacy_url)) {
        put(&o, "<p class=\"mc-back\">");
        if (page->settings_url) {
            put(&o, "<a href=\"");
            put_esc(&o, page->settings_url);
            put(&o, "\">");
            put_esc(&o, o.w[W_SETTINGS]);
            put(&o, "</a>");
        }
        if (page->settings_url && page->privacy_url)
            put(&o, " · ");
        if (page->privacy_url) {
            put(&o, "<a href=\"");
            put_esc(&o, page->privacy_url);
            put(&o, "\">");
            put_esc(&o, o.w[W_PRIVACY]);
            put(&o, "</a>");
        }
        put(&o, "</p>");
    }
    put(&o, "</main></body></html>\n");
    return apr_array_pstrcat(p, o.pieces, '\0');
}
