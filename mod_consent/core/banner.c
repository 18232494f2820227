/* The consent banner's markup; its shape is described in banner.h. */
#include "banner.h"

#include <apr_strings.h>
#include <apr_tables.h>
#include <string.h>

/* --- escaping ------------------------------------------------------------------ */

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
        put(b, " checked");
    if (locked || refused)
        put(b, " disabled");
    if (described)
        put(b, apr_pstrcat(b->p, " aria-describedby=\"", described, "\"", NULL));
    put(b, ">");
    if (locked)
        put(b, apr_pstrcat(b->p, "<input type=\"hidden\" name=\"granted\" value=\"", name, "\">",
                           NULL));
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
    put(b, "</div>");
}

static void put_second_layer(builder_t *b, const mc_categories_t *cats, const mc_banner_opts_t *o)
{
    put(b, "<details id=\"mc-settings\" class=\"mc-settings\"><summary class=\"mc-btn\">");
    put_text(b, "settings", "");
    put(b, "</summary><div class=\"mc-layer\"><fieldset class=\"mc-cats\">"
           "<legend id=\"mc-settings-title\" class=\"mc-subtitle\">");
    put_text(b, "settings_title", "");
    put(b, "</legend>");
    for (int i = 0; i < mc_categories_count(cats); i++)
        put_switch(b, cats, o, i);
    put(b, "</fieldset><button type=\"submit\" class=\"mc-btn\" name=\"method\" "
           "value=\"custom\">");
    put_text(b, "save", "");
    put(b, "</button></div></details>");
}

/* --- the first layer --------------------------------------------------------------- */

static void put_hidden_fields(builder_t *b, const mc_banner_opts_t *o)
{
    if (o->return_path) {
        put(b, "<input type=\"hidden\" name=\"return\" value=\"");
        put_escaped(b, o->return_path);
        put(b, "\">");
    }
    put(b, "<input type=\"hidden\" name=\"lang\" value=\"");
    put_escaped(b, lang_of(b->loc, o));
    put(b, "\">");
}

static void put_intro(builder_t *b, const mc_banner_opts_t *o)
{
    put(b, "<h2 id=\"mc-title\" class=\"mc-title\" tabindex=\"-1\">");
    put_text(b, "title", "");
    put(b, "</h2><p id=\"mc-intro\" class=\"mc-intro\">");
    put_text(b, "intro", "");
    put(b, "</p>");
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

static void put_banner(builder_t *b, const mc_categories_t *cats, const mc_banner_opts_t *o)
{
    put(b, "<section id=\"mc-banner\" class=\"mc-banner\" aria-labelledby=\"mc-title\" lang=\"");
    put_escaped(b, lang_of(b->loc, o));
    put(b, o->decided ? "\" hidden>" : "\">");
    put(b, "<form id=\"mc-form\" class=\"mc-form\" method=\"post\" action=\"");
    put_escaped(b, apr_pstrcat(b->p, o->base_path, "/decision", NULL));
    put(b, "\">");
    put_hidden_fields(b, o);
    put_intro(b, o);
    put(b, "<div class=\"mc-actions\">");
    put_choice(b, "accept_all", "accept_all");
    put_choice(b, "reject_all", "reject_all");
    put_second_layer(b, cats, o);
    put(b, "</div></form></section>");
}

static void put_control(builder_t *b, const mc_banner_opts_t *o)
{
    const char *href = apr_pstrcat(b->p, o->base_path, "/settings", NULL);

    if (o->return_path)
        href = apr_pstrcat(b->p, href, "?return=", mc_url_query_encode(b->p, o->return_path), NULL);
    put(b, "<div id=\"mc-reopen-box\" class=\"mc-reopen-box\" lang=\"");
    put_escaped(b, lang_of(b->loc, o));
    put(b, o->decided ? "\">" : "\" hidden>");
    put(b, "<a id=\"mc-reopen\" class=\"mc-reopen\" href=\"");
    put_escaped(b, href);
    put(b, "\">");
    put_text(b, "reopen", "");
    put(b, "</a></div>");
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
