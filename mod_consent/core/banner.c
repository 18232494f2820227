/* The consent banner's markup; its shape is described in banner.h. */
#include "banner.h"
#include "declaration.h"
#include "used.h"

#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <apr_time.h>
#include <string.h>
#include <strings.h>

/* --- escaping ------------------------------------------------------------------ */

/* --- building ---------------------------------------------------------------------- */

/* The markup is a list of pieces joined once at the end. */
typedef struct builder {
    apr_pool_t *p;
    apr_array_header_t *pieces; /* const char * */
    const mc_locale_t *loc;
} builder_t;

static void put(builder_t *b, const char *s)
{
    APR_ARRAY_PUSH(b->pieces, const char *) = s;
}

static void put_escaped(builder_t *b, const char *s)
{
    put(b, mc_html_escape(b->p, s));
}

/* A text of the locale, escaped; FALLBACK when the locale lacks it. */
static void put_text(builder_t *b, const char *key, const char *fallback)
{
    const char *text = mc_locale_text(b->loc, key);
    put_escaped(b, text ? text : fallback);
}

static void builder_init(builder_t *b, apr_pool_t *p, const mc_locale_t *loc)
{
    b->p = p;
    b->pieces = apr_array_make(p, 128, sizeof(const char *));
    b->loc = loc;
}

static char *builder_join(builder_t *b)
{
    return apr_array_pstrcat(b->p, b->pieces, '\0');
}

static const char *lang_of(const mc_locale_t *loc, const mc_banner_opts_t *o)
{
    return o->lang ? o->lang : mc_locale_lang(loc);
}

/* --- the second layer: one switch per category ---------------------------------------- */

static int switch_locked(const mc_categories_t *cats, int i)
{
    return mc_catmask_has(mc_categories_required(cats), i);
}

/* GPC refuses marketing whatever is chosen: the switch says so by being
 * off and disabled rather than offering a choice that would not count. */
static int switch_refused(const mc_categories_t *cats, const mc_banner_opts_t *o, int i)
{
    return o->gpc && i == MC_CAT_MARKETING && !switch_locked(cats, i);
}

/* The checkbox of category NAME (escaped); DESCRIBED lists the ids of the
 * texts that describe it, or is NULL. */
static void put_checkbox(builder_t *b, const char *name, int locked, int refused, int checked,
                         const char *described)
{
    put(b, apr_pstrcat(b->p, "<input type=\"checkbox\" id=\"mc-cat-", name,
                       "\" class=\"mc-switch\"", NULL));
    /* a disabled box is not posted: a hidden field carries the locked ones */
    if (!locked && !refused)
        put(b, apr_pstrcat(b->p, " name=\"granted\" value=\"", name, "\"", NULL));
    if (checked)
        put(b, " checked=\"checked\"");
    if (locked || refused)
        put(b, " disabled=\"disabled\"");
    if (described)
        put(b, apr_pstrcat(b->p, " aria-describedby=\"", described, "\"", NULL));
    put(b, " />");
    if (locked)
        put(b, apr_pstrcat(b->p, "<input type=\"hidden\" name=\"granted\" value=\"", name,
                           "\" />", NULL));
}

/* The cookies of category I, folded under its description. */
static void put_cookies(builder_t *b, const mc_banner_opts_t *o, int i)
{
    const mc_banner_cookies_t *c = o->cookies ? &o->cookies[i] : NULL;
    /* under the category's services, its own list holds the rest */
    int others = o->services && o->services[i].count > 0;

    if (!c || c->count <= 0 || !c->list)
        return;
    put(b, "<details class=\"mc-cookies\"><summary>");
    if (others)
        put_text(b, "other_cookies_label", "Other cookies");
    else
        put_text(b, "cookies_label", "Cookies");
    put(b, apr_psprintf(b->p, " (%d)</summary>", c->count));
    put(b, c->list);
    put(b, "</details>");
}

/* The cookies no rule classifies, apart from every category: an auditor
 * reads "necessary" as a claim, and nobody has made it for these. Those
 * held are named because "accept all" lets them in: a choice covers only
 * what it was told of. */
static void put_unclassified_box(builder_t *b, const mc_banner_opts_t *o)
{
    const mc_banner_cookies_t *c = o->cookies ? &o->cookies[MC_CAT_NECESSARY] : NULL;
    int held, allowed;

    if (!c)
        return;
    held = c->held_count > 0 && c->held;
    allowed = c->unclassified_count > 0 && c->unclassified;
    if (!held && !allowed)
        return;
    put(b, "<details class=\"mc-cookies mc-unclassified-box\"><summary>");
    put_text(b, "unclassified_title", "Cookies not yet classified");
    put(b, apr_psprintf(b->p, " (%d)</summary>",
                        (held ? c->held_count : 0) + (allowed ? c->unclassified_count : 0)));
    if (held) {
        put(b, "<p class=\"mc-unclassified-note\">");
        put_text(b, "unclassified_held_note", "");
        put(b, "</p>");
        put(b, c->held);
    }
    if (allowed) {
        put(b, "<p class=\"mc-unclassified-note\">");
        put_text(b, "unclassified_allowed_note", "");
        put(b, "</p>");
        put(b, c->unclassified);
    }
    put(b, "</details>");
}

/* MARKUP (a category's unticked service switches) with the switch of each
 * service in IDS ticked. */
static const char *tick_services(apr_pool_t *p, const char *markup, const apr_array_header_t *ids)
{
    for (int k = 0; ids && k < ids->nelts; k++) {
        const char *id = APR_ARRAY_IDX(ids, k, const char *);
        const char *at, *end;

        if (!mc_service_id_valid(id, strlen(id)))
            continue;
        at = strstr(markup, apr_pstrcat(p, "name=\"service\" value=\"", id, "\"", NULL));
        if (!at || !(end = strchr(at, '>')))
            continue;
        /* before the " />" that closes the box */
        if (end - at >= 2 && end[-1] == '/' && end[-2] == ' ')
            end -= 2;
        markup = apr_pstrcat(p, apr_pstrmemdup(p, markup, (apr_size_t)(end - markup)),
                             " checked=\"checked\"", end, NULL);
    }
    return markup;
}

/* The services in use of category I, ticked when the category is or, one
 * by one, when granted on their own. */
static void put_services(builder_t *b, const mc_banner_opts_t *o, int i, int checked, int refused)
{
    const mc_banner_services_t *s = o->services ? &o->services[i] : NULL;

    if (!s || s->count == 0)
        return;
    if (refused || checked) {
        put(b, refused ? s->refused : s->on);
        return;
    }
    put(b, o->decided ? tick_services(b->p, s->off, o->granted_services) : s->off);
}

static void put_switch(builder_t *b, const mc_categories_t *cats, const mc_banner_opts_t *o, int i)
{
    const char *raw_name = mc_categories_name(cats, i);
    const char *name = mc_html_escape(b->p, raw_name);
    const char *desc =
        mc_locale_text(b->loc, apr_pstrcat(b->p, "category.", raw_name, ".description", NULL));
    int locked = switch_locked(cats, i), refused = switch_refused(cats, o, i);
    int checked = locked || (o->decided && !refused && mc_catmask_has(o->granted, i));
    const char *described = desc ? apr_pstrcat(b->p, "mc-desc-", name, NULL) : NULL;

    if (refused)
        described = described ? apr_pstrcat(b->p, described, " mc-gpc", NULL) : "mc-gpc";
    put(b, "<div class=\"mc-cat\">");
    put_checkbox(b, name, locked, refused, checked, described);
    put(b, apr_pstrcat(b->p, "<label for=\"mc-cat-", name, "\" class=\"mc-cat-title\">", NULL));
    put_text(b, apr_pstrcat(b->p, "category.", raw_name, ".title", NULL), raw_name);
    if (locked) {
        put(b, " <span class=\"mc-always\">");
        put_text(b, "always_on", "");
        put(b, "</span>");
    }
    put(b, "</label>");
    if (desc) {
        put(b, apr_pstrcat(b->p, "<p id=\"mc-desc-", name, "\" class=\"mc-cat-desc\">", NULL));
        put_escaped(b, desc);
        put(b, "</p>");
    }
    put_services(b, o, i, checked, refused);
    put_cookies(b, o, i);
    put(b, "</div>");
}

static void put_second_layer(builder_t *b, const mc_categories_t *cats, const mc_banner_opts_t *o)
{
    put(b, o->standalone ? "<details id=\"mc-settings\" class=\"mc-settings\" open=\"open\">"
                         : "<details id=\"mc-settings\" class=\"mc-settings\">");
    put(b, "<summary class=\"mc-btn\">");
    put_text(b, "settings", "");
    put(b, "</summary><div class=\"mc-layer\"><fieldset class=\"mc-cats\">"
           "<legend id=\"mc-settings-title\" class=\"mc-subtitle\">");
    put_text(b, "settings_title", "");
    put(b, "</legend>");
    for (int i = 0; i < mc_categories_count(cats); i++)
        put_switch(b, cats, o, i);
    put(b, "</fieldset>");
    put_unclassified_box(b, o);
    put(b, "<button type=\"submit\" class=\"mc-btn\" name=\"method\" "
           "value=\"custom\">");
    put_text(b, "save", "");
    put(b, "</button></div></details>");
}

/* The unclassified cookies of CAT marked MARK, names only (they have no
 * service): a <ul>, or NULL for none; *COUNT gets how many. */
static const char *unclassified_list(apr_pool_t *p, const mc_declared_category_t *cat, int mark,
                                     int *count)
{
    builder_t b;

    *count = 0;
    builder_init(&b, p, NULL);
    put(&b, mark == MC_DECLARED_HELD ? "<ul class=\"mc-unclassified mc-held\">"
                                     : "<ul class=\"mc-unclassified\">");
    for (int j = 0; j < cat->cookies->nelts; j++) {
        const mc_declared_cookie_t *c = &APR_ARRAY_IDX(cat->cookies, j, mc_declared_cookie_t);
        if (c->unclassified != mark)
            continue;
        put(&b, "<li><code>");
        put_escaped(&b, c->name);
        put(&b, "</code></li>");
        (*count)++;
    }
    put(&b, "</ul>");
    return *count ? builder_join(&b) : NULL;
}

mc_banner_cookies_t *mc_banner_cookie_lists(apr_pool_t *p, const apr_array_header_t *decl)
{
    mc_banner_cookies_t *out = apr_pcalloc(p, sizeof(*out) * (decl->nelts ? decl->nelts : 1));

    for (int i = 0; i < decl->nelts; i++) {
        const mc_declared_category_t *cat = &APR_ARRAY_IDX(decl, i, mc_declared_category_t);
        builder_t b;

        int unclassified = 0;

        if (!cat->cookies || cat->cookies->nelts == 0)
            continue;
        builder_init(&b, p, NULL);
        put(&b, "<ul>");
        for (int j = 0; j < cat->cookies->nelts; j++) {
            const mc_declared_cookie_t *c = &APR_ARRAY_IDX(cat->cookies, j, mc_declared_cookie_t);
            if (c->unclassified) {
                unclassified++;
                continue;
            }
            put(&b, "<li><code>");
            put_escaped(&b, c->name);
            put(&b, "</code>");
            if (c->service) {
                put(&b, " \xe2\x80\x94 "); /* an em dash */
                put_escaped(&b, c->service);
            }
            put(&b, "</li>");
        }
        put(&b, "</ul>");
        out[i].count = cat->cookies->nelts - unclassified;
        out[i].list = out[i].count > 0 ? builder_join(&b) : NULL;
        if (unclassified) {
            out[i].unclassified =
                unclassified_list(p, cat, MC_DECLARED_LET_THROUGH, &out[i].unclassified_count);
            out[i].held = unclassified_list(p, cat, MC_DECLARED_HELD, &out[i].held_count);
        }
    }
    return out;
}

/* --- the services in use ------------------------------------------------------------- */

enum { SW_LEGEND, SW_WHO, SW_OUTSIDE, SW_YES, SW_NO, SW_COUNT };

static const char *const service_words[3][SW_COUNT] = {
    {"Tjenester", "Ansvarlig", "Utenfor EØS", "ja", "nei"},
    {"Tenester", "Ansvarleg", "Utanfor EØS", "ja", "nei"},
    {"Services", "Responsible", "Outside the EEA", "yes", "no"},
};

static const char *const *service_words_for(const mc_locale_t *loc)
{
    const char *w = mc_words_lang(mc_locale_lang(loc));

    return service_words[strcmp(w, "nb") == 0 ? 0 : strcmp(w, "nn") == 0 ? 1 : 2];
}

/* Who is responsible and where data goes, in a sentence or two. */
static void put_service_who(builder_t *b, const mc_service_t *s, const char *const *w)
{
    if (!s->entity && s->outside_eea < 0)
        return;
    put(b, "<p class=\"mc-service-who\">");
    if (s->entity) {
        put_escaped(b, w[SW_WHO]);
        put(b, ": ");
        put_escaped(b, s->entity);
        put(b, ". ");
    }
    if (s->outside_eea >= 0) {
        put_escaped(b, w[SW_OUTSIDE]);
        put(b, ": ");
        put_escaped(b, w[s->outside_eea ? SW_YES : SW_NO]);
        for (int i = 0; s->countries && i < s->countries->nelts; i++) {
            put(b, i ? ", " : " (");
            put_escaped(b, APR_ARRAY_IDX(s->countries, i, const char *));
        }
        put(b, s->countries ? ")." : ".");
        if (s->outside_eea && s->transfer) {
            put(b, " ");
            put_escaped(b, s->transfer);
            put(b, ".");
        }
    }
    put(b, "</p>");
}

static void put_service_cookies(builder_t *b, const mc_used_service_t *u)
{
    const char *lang = mc_locale_lang(b->loc);

    put(b, "<details class=\"mc-service-cookies\"><summary>");
    put_text(b, "cookies_label", "Cookies");
    put(b, apr_psprintf(b->p, " (%d)</summary>", u->cookies->nelts));
    if (u->cookies->nelts) {
        put(b, "<ul>");
        for (int i = 0; i < u->cookies->nelts; i++) {
            const mc_used_cookie_t *c = &APR_ARRAY_IDX(u->cookies, i, mc_used_cookie_t);
            const char *period = mc_period_text(b->p, c->lifetime, lang);
            put(b, "<li><code>");
            put_escaped(b, c->name);
            put(b, "</code>");
            if (period) {
                put(b, ": ");
                put_escaped(b, period);
            }
            put(b, "</li>");
        }
        put(b, "</ul>");
    }
    put_service_who(b, u->service, service_words_for(b->loc));
    put(b, "</details>");
}

/* One service; MODE 0 unticked, 1 ticked, 2 disabled; FIXED: no box. */
static void put_service(builder_t *b, const mc_used_service_t *u, const char *category, int mode,
                        int fixed)
{
    const mc_service_t *s = u->service;
    const char *id = mc_html_escape(b->p, u->id);
    const char *purpose = mc_used_purpose(b->p, u, mc_locale_lang(b->loc));

    put(b, "<div class=\"mc-service-item\">");
    if (!fixed) {
        put(b, apr_pstrcat(b->p, "<input type=\"checkbox\" class=\"mc-service\" id=\"mc-svc-", id,
                           "\" name=\"service\" value=\"", id, "\" data-category=\"",
                           mc_html_escape(b->p, category), "\"", NULL));
        if (purpose)
            put(b, apr_pstrcat(b->p, " aria-describedby=\"mc-svc-", id, "-desc\"", NULL));
        put(b, mode == 1 ? " checked=\"checked\" />" : mode == 2 ? " disabled=\"disabled\" />" : " />");
        put(b,
            apr_pstrcat(b->p, "<label for=\"mc-svc-", id, "\" class=\"mc-service-name\">", NULL));
    } else
        put(b, "<span class=\"mc-service-name\">");
    put_escaped(b, s->name);
    if (s->vendor && strcmp(s->vendor, s->name) != 0) {
        put(b, " (");
        put_escaped(b, s->vendor);
        put(b, ")");
    }
    put(b, fixed ? "</span>" : "</label>");
    if (purpose) {
        put(b,
            apr_pstrcat(b->p, "<p id=\"mc-svc-", id, "-desc\" class=\"mc-service-desc\">", NULL));
        put_escaped(b, purpose);
        put(b, "</p>");
    }
    put_service_cookies(b, u);
    put(b, "</div>");
}

static const char *service_block(apr_pool_t *p, const mc_locale_t *loc,
                                 const apr_array_header_t *used, const mc_categories_t *cats,
                                 int index, int mode)
{
    int fixed = mc_catmask_has(mc_categories_required(cats), index);
    const char *category = mc_categories_name(cats, index);
    builder_t b;

    builder_init(&b, p, loc);
    put(&b, "<fieldset class=\"mc-services\"><legend class=\"mc-services-title\">");
    put_escaped(&b, service_words_for(loc)[SW_LEGEND]);
    put(&b, "</legend>");
    for (int i = 0; i < used->nelts; i++) {
        const mc_used_service_t *u = APR_ARRAY_IDX(used, i, const mc_used_service_t *);
        if (u->category == index)
            put_service(&b, u, category, mode, fixed);
    }
    put(&b, "</fieldset>");
    return builder_join(&b);
}

mc_banner_services_t *mc_banner_service_lists(apr_pool_t *p, const apr_array_header_t *used,
                                              const mc_categories_t *cats, const mc_locale_t *loc)
{
    int n = mc_categories_count(cats);
    mc_banner_services_t *out = apr_pcalloc(p, sizeof(*out) * (size_t)(n ? n : 1));

    for (int i = 0; used && i < n; i++) {
        for (int j = 0; j < used->nelts; j++)
            out[i].count += APR_ARRAY_IDX(used, j, const mc_used_service_t *)->category == i;
        if (!out[i].count)
            continue;
        out[i].off = service_block(p, loc, used, cats, i, 0);
        out[i].on = service_block(p, loc, used, cats, i, 1);
        out[i].refused = service_block(p, loc, used, cats, i, 2);
    }
    return out;
}

/* --- the first layer --------------------------------------------------------------- */

static void put_hidden_fields(builder_t *b, const mc_banner_opts_t *o)
{
    if (o->return_path) {
        put(b, "<input type=\"hidden\" name=\"return\" value=\"");
        put_escaped(b, o->return_path);
        put(b, "\" />");
    }
    put(b, "<input type=\"hidden\" name=\"lang\" value=\"");
    put_escaped(b, lang_of(b->loc, o));
    put(b, "\" />");
    /* the log tells the settings page from the banner */
    if (o->standalone)
        put(b, "<input type=\"hidden\" name=\"via\" value=\"settings\" />");
}

/* TEMPLATE with the first "{NAME}" replaced by VALUE. */
static const char *fill(apr_pool_t *p, const char *template, const char *name, const char *value)
{
    const char *at = strstr(template, name);

    if (!at)
        return template;
    return apr_pstrcat(p, apr_pstrndup(p, template, (size_t)(at - template)), value,
                       at + strlen(name), NULL);
}

const char *mc_banner_recipients_sentence(apr_pool_t *p, const mc_locale_t *loc,
                                          const char *recipients)
{
    const char *text;

    if (!recipients) {
        text = mc_locale_text(loc, "recipients_none");
        return text ? text
                    : "With your consent, companies whose services this site uses may receive "
                      "data about your visit.";
    }
    text = mc_locale_text(loc, "recipients");
    return fill(p,
                text ? text : "Recipients of data about your visit if you consent: {recipients}.",
                "{recipients}", recipients);
}

/* Who receives data, whether outside the EEA, and how long a choice is kept. */
static void put_recipients(builder_t *b, const mc_banner_opts_t *o)
{
    const char *lang = lang_of(b->loc, o);

    put(b, "<p id=\"mc-recipients\" class=\"mc-recipients\">");
    put_escaped(b, mc_banner_recipients_sentence(b->p, b->loc, o->recipients));
    if (o->recipients && o->outside_eea) {
        put(b, " ");
        put_text(b, "recipients_outside_eea", "Some of them process data outside the EEA.");
    }
    if (o->max_age > 0) {
        const char *t = mc_locale_text(b->loc, "retention");
        put(b, " ");
        put_escaped(b, fill(b->p, t ? t : "We keep your choice for {period}.", "{period}",
                            mc_period_text(b->p, o->max_age, lang)));
    }
    put(b, "</p>");
}

static void put_intro(builder_t *b, const mc_banner_opts_t *o)
{
    put(b, "<h2 id=\"mc-title\" class=\"mc-title\" tabindex=\"-1\">");
    put_text(b, "title", "");
    put(b, "</h2><p id=\"mc-intro\" class=\"mc-intro\">");
    put_text(b, "intro", "");
    put(b, "</p>");
    put_recipients(b, o);
    if (o->gpc) {
        put(b, "<p id=\"mc-gpc\" class=\"mc-gpc\">");
        put_text(b, "gpc_notice", "");
        put(b, "</p>");
    }
    if (o->privacy_url) {
        put(b, "<p class=\"mc-links\"><a class=\"mc-privacy\" href=\"");
        put_escaped(b, o->privacy_url);
        put(b, "\">");
        put_text(b, "privacy_policy", "");
        put(b, "</a></p>");
    }
}

/* Accept all, Reject all and Settings: one row, one class, equal weight. */
static void put_choice(builder_t *b, const char *method, const char *key)
{
    put(b, apr_pstrcat(b->p, "<button type=\"submit\" class=\"mc-btn\" name=\"method\" value=\"",
                       method, "\">", NULL));
    put_text(b, key, "");
    put(b, "</button>");
}

/* "Reject all", or "Withdraw consent" once something beyond the required
 * categories is granted: the same button (method reject_all), named for
 * what it does. Both names ride along so that consent.js can rename it
 * after a choice made without a reload. */
static void put_refusal(builder_t *b, const mc_categories_t *cats, const mc_banner_opts_t *o)
{
    int withdraws = o->decided && ((o->granted & ~mc_categories_required(cats)) != 0 ||
                                   (o->granted_services && o->granted_services->nelts > 0));

    put(b, "<button type=\"submit\" class=\"mc-btn\" name=\"method\" value=\"reject_all\""
           " data-label-reject=\"");
    put_text(b, "reject_all", "");
    put(b, "\" data-label-withdraw=\"");
    put_text(b, "withdraw", "");
    put(b, "\">");
    put_text(b, withdraws ? "withdraw" : "reject_all", "");
    put(b, "</button>");
}

static void put_banner(builder_t *b, const mc_categories_t *cats, const mc_banner_opts_t *o)
{
    put(b, o->standalone ? "<section id=\"mc-banner\" class=\"mc-banner mc-standalone\""
                         : "<section id=\"mc-banner\" class=\"mc-banner\"");
    put(b, " aria-labelledby=\"mc-title\" lang=\"");
    put_escaped(b, lang_of(b->loc, o));
    put(b, o->decided && !o->standalone ? "\" hidden=\"hidden\">" : "\">");
    put(b, "<form id=\"mc-form\" class=\"mc-form\" method=\"post\" action=\"");
    put_escaped(b, apr_pstrcat(b->p, o->base_path, "/decision", NULL));
    put(b, "\">");
    put_hidden_fields(b, o);
    put_intro(b, o);
    put(b, "<div class=\"mc-actions\">");
    put_choice(b, "accept_all", "accept_all");
    put_refusal(b, cats, o);
    put_second_layer(b, cats, o);
    put(b, "</div></form></section>");
}

int mc_reopen_position_valid(const char *position)
{
    static const char *const corners[] = {"bottom-left", "bottom-right", "top-left", "top-right"};

    for (size_t i = 0; position && i < sizeof(corners) / sizeof(corners[0]); i++) {
        if (strcmp(position, corners[i]) == 0)
            return 1;
    }
    return 0;
}

/* A cookie with a bite taken out: a circle of radius 10 with a notch at
 * the top right, and three crumbs (drawn with the even-odd rule). */
#define REOPEN_MARK                                                                            \
    "M21.9 11.1A3 3 0 0 1 18 8a3 3 0 0 1-3-3.9A10 10 0 1 0 21.9 11.1z"                          \
    "M8 7.5a1.5 1.5 0 1 1 0 3a1.5 1.5 0 1 1 0-3zM7.5 14a1.25 1.25 0 1 1 0 2.5a1.25 1.25 0 1 1 "  \
    "0-2.5zM13.5 13a1.5 1.5 0 1 1 0 3a1.5 1.5 0 1 1 0-3z"

static void put_control(builder_t *b, const mc_banner_opts_t *o)
{
    const char *href = apr_pstrcat(b->p, o->base_path, "/settings", NULL);

    if (o->return_path)
        href = apr_pstrcat(b->p, href, "?return=", mc_url_query_encode(b->p, o->return_path), NULL);
    put(b, "<div id=\"mc-reopen-box\" class=\"mc-reopen-box mc-at-");
    put_escaped(b, o->reopen_position ? o->reopen_position : MC_REOPEN_DEFAULT);
    put(b, "\" lang=\"");
    put_escaped(b, lang_of(b->loc, o));
    put(b, o->decided ? "\">" : "\" hidden=\"hidden\">");
    put(b, "<a id=\"mc-reopen\" class=\"mc-reopen\" href=\"");
    put_escaped(b, href);
    put(b, "\" title=\"");
    put_text(b, "reopen", "");
    /* a small round control on a phone (the name stays for screen readers
     * and shows beside the mark from tablet width up) */
    put(b, "\"><svg xmlns=\"http://www.w3.org/2000/svg\" class=\"mc-reopen-mark\" viewBox=\"0 0 24 24\" width=\"20\" height=\"20\""
           " aria-hidden=\"true\" focusable=\"false\"><path fill=\"currentColor\" fill-rule=\"evenodd\" d=\""
           REOPEN_MARK "\"></path></svg><span class=\"mc-reopen-text\">");
    put_text(b, "reopen", "");
    put(b, "</span></a></div>");
}

/* --- the settings page --------------------------------------------------------------- */

/* "2026-11-24 06:13 UTC", in a <time> that carries the exact instant
 * (consent.js shows it in the visitor's own time zone). */
static void put_time(builder_t *b, int64_t unix_seconds)
{
    apr_time_exp_t tm;

    if (apr_time_exp_gmt(&tm, apr_time_from_sec(unix_seconds)) != APR_SUCCESS)
        return;
    put(b,
        apr_psprintf(b->p,
                     "<time class=\"mc-local-time\" datetime=\"%04d-%02d-%02dT%02d:%02d:%02dZ\">"
                     "%04d-%02d-%02d %02d:%02d UTC</time>",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min));
}

/* The titles of the categories in MASK, in category order, comma-separated. */
static void put_category_titles(builder_t *b, const mc_categories_t *cats, mc_catmask_t mask)
{
    int listed = 0;

    for (int i = 0; i < mc_categories_count(cats); i++) {
        const char *name = mc_categories_name(cats, i);
        if (!mc_catmask_has(mask, i))
            continue;
        if (listed++)
            put(b, ", ");
        put_text(b, apr_pstrcat(b->p, "category.", name, ".title", NULL), name);
    }
}

/* A <dt> with the text KEY, and the start of its <dd>. */
static void put_term(builder_t *b, const char *key)
{
    put(b, "<dt>");
    put_text(b, key, "");
    put(b, "</dt><dd>");
}

/* The visitor's consent in words: none yet, or when, what and under which id. */
static void put_state(builder_t *b, const mc_categories_t *cats, const mc_banner_opts_t *o,
                      const mc_settings_page_t *page)
{
    mc_catmask_t granted = o->granted | mc_categories_required(cats);
    mc_catmask_t refused = mc_categories_all(cats) & ~granted;

    put(b, "<div id=\"mc-state\" class=\"mc-state\"><p>");
    if (!o->decided) {
        put_text(b, "current_state_none", "");
        put(b, "</p></div>");
        return;
    }
    put_text(b, "current_state", "");
    put(b, "</p><dl class=\"mc-state-list\">");
    put_term(b, "state_time");
    put_time(b, page->time);
    put(b, "</dd>");
    put_term(b, "state_granted");
    put_category_titles(b, cats, granted);
    put(b, "</dd>");
    if (refused) {
        put_term(b, "state_refused");
        put_category_titles(b, cats, refused);
        put(b, "</dd>");
    }
    if (page->consent_id && *page->consent_id) {
        put_term(b, "state_id");
        put(b, "<code id=\"mc-consent-id\">");
        put_escaped(b, page->consent_id);
        put(b, "</code> <span class=\"mc-hint\">");
        put_text(b, "state_id_help", "");
        put(b, "</span></dd>");
    }
    put(b, "</dl></div>");
}

static void put_page_head(builder_t *b, const mc_banner_opts_t *o, const mc_settings_page_t *page)
{
    put(b, "<!DOCTYPE html>\n<html lang=\"");
    put_escaped(b, lang_of(b->loc, o));
    put(b, "\">\n<head>\n<meta charset=\"utf-8\">\n"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
           "<meta name=\"robots\" content=\"noindex\">\n<title>");
    put_text(b, "settings_page_title", "");
    put(b, "</title>\n");
    if (page->head)
        put(b, page->head);
    put(b, "\n</head>\n");
}

char *mc_settings_render(apr_pool_t *p, const mc_locale_t *loc, const mc_categories_t *cats,
                         const mc_banner_opts_t *o, const mc_settings_page_t *page, size_t *len)
{
    mc_banner_opts_t standalone = *o;
    builder_t b;
    char *html;

    standalone.standalone = 1;
    if (!standalone.return_path)
        standalone.return_path = "/";
    builder_init(&b, p, loc);
    put_page_head(&b, o, page);
    put(&b, "<body class=\"mc-page\">\n<main class=\"mc-page-main\">\n"
            "<h1 class=\"mc-page-title\">");
    put_text(&b, "settings_page_title", "");
    put(&b, "</h1>\n");
    put_state(&b, cats, o, page);
    put(&b, "\n<p id=\"mc-withdraw\" class=\"mc-withdraw\">");
    put_text(&b, "withdraw_note", "");
    put(&b, "</p>\n");
    put_banner(&b, cats, &standalone);
    if (page->admin) {
        put(&b, "\n");
        put(&b, mc_admin_panel(p, loc, cats, page->unclassified));
    }
    put(&b, "\n<p class=\"mc-back\"><a id=\"mc-back\" href=\"");
    put_escaped(&b, standalone.return_path);
    put(&b, "\">");
    put_text(&b, "back", "");
    put(&b, "</a></p>\n</main>\n</body>\n</html>\n");
    html = builder_join(&b);
    if (len)
        *len = strlen(html);
    return html;
}

/* --- the administrator's panel --------------------------------------------------- */

/* TEXT with "{period}" replaced by PERIOD. */
static const char *with_period(apr_pool_t *p, const char *text, const char *period)
{
    const char *at = strstr(text, "{period}");

    if (!at)
        return text;
    return apr_psprintf(p, "%.*s%s%s", (int)(at - text), text, period, at + 8);
}

static void put_admin_row(builder_t *b, const mc_declared_seen_t *s)
{
    const char *treatment = mc_treatment_str(s->treatment);

    put(b, "<tr><td><code>");
    put_escaped(b, s->name);
    put(b, "</code></td><td>");
    put_escaped(b, s->domain);
    put(b, "</td><td>");
    if (s->lifetime == MC_SEEN_SESSION) {
        put_text(b, "admin_session", "session");
    } else {
        const char *text = mc_locale_text(b->loc, "admin_persistent");
        const char *period = mc_period_text(b->p, s->lifetime, mc_locale_lang(b->loc));

        put_escaped(b, with_period(b->p, text ? text : "persistent ({period})",
                                   period ? period : "?"));
    }
    put(b, apr_pstrcat(b->p, "</td><td class=\"mc-admin-", treatment, "\">", NULL));
    put_text(b, apr_pstrcat(b->p, "admin_", treatment, NULL), treatment);
    put(b, "</td></tr>");
}

char *mc_admin_panel(apr_pool_t *p, const mc_locale_t *loc, const mc_categories_t *cats,
                     const apr_array_header_t *unclassified)
{
    builder_t b;
    apr_hash_t *named;
    int rows = 0;

    builder_init(&b, p, loc);
    named = apr_hash_make(p);
    put(&b, "<section id=\"mc-admin\" class=\"mc-admin\" aria-labelledby=\"mc-admin-title\">"
            "<h2 id=\"mc-admin-title\">");
    put_text(&b, "admin_title", "For the site's administrator");
    put(&b, "</h2><p>");
    put_text(&b, "admin_intro", "");
    put(&b, "</p>");
    for (int i = 0; unclassified && i < unclassified->nelts; i++) {
        const mc_declared_seen_t *s = &APR_ARRAY_IDX(unclassified, i, mc_declared_seen_t);
        if (s->category >= 0)
            continue;
        if (rows++ == 0) {
            put(&b, "<table class=\"mc-admin-cookies\"><caption>");
            put_text(&b, "admin_caption", "");
            put(&b, "</caption><thead><tr><th scope=\"col\">");
            put_text(&b, "admin_name", "Name");
            put(&b, "</th><th scope=\"col\">");
            put_text(&b, "admin_domain", "Domain");
            put(&b, "</th><th scope=\"col\">");
            put_text(&b, "admin_lifetime", "Lifetime");
            put(&b, "</th><th scope=\"col\">");
            put_text(&b, "admin_treatment", "Treatment");
            put(&b, "</th></tr></thead><tbody>");
        }
        put_admin_row(&b, s);
        apr_hash_set(named, s->name, APR_HASH_KEY_STRING, s);
    }
    if (rows == 0) {
        put(&b, "<p class=\"mc-admin-none\">");
        put_text(&b, "admin_none", "");
        put(&b, "</p></section>");
        return builder_join(&b);
    }
    put(&b, "</tbody></table><p class=\"mc-admin-howto\">");
    put_text(&b, "admin_howto", "");
    for (int i = 0; i < mc_categories_count(cats); i++) {
        put(&b, i ? ", <code>" : " <code>");
        put_escaped(&b, mc_categories_name(cats, i));
        put(&b, "</code>");
    }
    put(&b, "</p><pre class=\"mc-admin-directives\"><code>");
    for (int i = 0, first = 1; i < unclassified->nelts; i++) {
        const mc_declared_seen_t *s = &APR_ARRAY_IDX(unclassified, i, mc_declared_seen_t);
        /* one line per name, whatever its domains */
        if (s->category >= 0 || apr_hash_get(named, s->name, APR_HASH_KEY_STRING) != s)
            continue;
        put(&b, first ? "ConsentCookieRule CATEGORY " : "\nConsentCookieRule CATEGORY ");
        put_escaped(&b, s->name);
        first = 0;
    }
    put(&b, "</code></pre></section>");
    return builder_join(&b);
}

/* --- entry points ------------------------------------------------------------------ */

char *mc_banner_markup(apr_pool_t *p, const mc_locale_t *loc, const mc_categories_t *cats,
                       const mc_banner_opts_t *o)
{
    builder_t b;

    builder_init(&b, p, loc);
    put_banner(&b, cats, o);
    return builder_join(&b);
}

char *mc_banner_control(apr_pool_t *p, const mc_locale_t *loc, const mc_banner_opts_t *o)
{
    builder_t b;

    builder_init(&b, p, loc);
    put_control(&b, o);
    return builder_join(&b);
}

char *mc_banner_render(apr_pool_t *p, const mc_locale_t *loc, const mc_categories_t *cats,
                       const mc_banner_opts_t *o, size_t *len)
{
    builder_t b;
    char *html;

    builder_init(&b, p, loc);
    put_control(&b, o);
    put_banner(&b, cats, o);
    html = builder_join(&b);
    if (len)
        *len = strlen(html);
    return html;
}
