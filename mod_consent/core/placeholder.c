/* The placeholder page of a blocked embed; its shape is described in
 * placeholder.h. */
#include "placeholder.h"

#include <apr_strings.h>
#include <apr_tables.h>
#include <string.h>
#include <strings.h>

#include "banner.h"

char *mc_placeholder_text(apr_pool_t *p, const char *text, const char *service,
                          const char *category)
{
    static const char k_service[] = "{service}", k_category[] = "{category}";
    const char *s = mc_html_escape(p, text);
    const char *svc = mc_html_escape(p, service ? service : "");
    const char *cat = mc_html_escape(p, category ? category : "");
    apr_array_header_t *parts = apr_array_make(p, 8, sizeof(const char *));

    while (*s) {
        const char *a = strstr(s, k_service), *b = strstr(s, k_category), *at;
        size_t klen;
        const char *value;

        if (!a && !b)
            break;
        if (a && (!b || a < b)) {
            at = a;
            klen = sizeof(k_service) - 1;
            value = svc;
        } else {
            at = b;
            klen = sizeof(k_category) - 1;
            value = cat;
        }
        APR_ARRAY_PUSH(parts, const char *) = apr_pstrmemdup(p, s, (apr_size_t)(at - s));
        APR_ARRAY_PUSH(parts, const char *) = value;
        s = at + klen;
    }
    APR_ARRAY_PUSH(parts, const char *) = s;
    return apr_array_pstrcat(p, parts, '\0');
}

char *mc_placeholder_host(apr_pool_t *p, const char *url)
{
    const char *h, *end;
    char *host;

    if (strncasecmp(url, "https://", 8) == 0)
        h = url + 8;
    else if (strncasecmp(url, "http://", 7) == 0)
        h = url + 7;
    else
        return NULL;
    end = h + strcspn(h, "/?#");
    for (const char *at = h; at < end; at++) {
        if (*at == '@')
            h = at + 1;
    }
    if (h < end && *h == '[') {
        const char *close = memchr(h, ']', (size_t)(end - h));
        if (!close)
            return NULL;
        end = close + 1;
    } else {
        const char *colon = memchr(h, ':', (size_t)(end - h));
        if (colon)
            end = colon;
    }
    if (end == h)
        return NULL;
    host = apr_pstrmemdup(p, h, (apr_size_t)(end - h));
    for (char *c = host; *c; c++) {
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
        else if ((unsigned char)*c <= ' ' || *c == '\\')
            return NULL;
    }
    return host;
}

/* A title in running text: "Marketing" reads "marketing"; an acronym or
 * a title that does not start with an ASCII capital is left as it is. */
static char *running_text(apr_pool_t *p, const char *title)
{
    char *s = apr_pstrdup(p, title);

    if (s[0] >= 'A' && s[0] <= 'Z' && !(s[1] >= 'A' && s[1] <= 'Z'))
        s[0] = (char)(s[0] - 'A' + 'a');
    return s;
}

static const char *text_of(const mc_locale_t *loc, const char *key, const char *fallback)
{
    const char *t = loc ? mc_locale_text(loc, key) : NULL;
    return t ? t : fallback;
}

static const char *hidden(apr_pool_t *p, const char *name, const char *value)
{
    return apr_pstrcat(p, "<input type=\"hidden\" name=\"", name, "\" value=\"",
                       mc_html_escape(p, value), "\">", NULL);
}

/* The hidden fields every form of the placeholder sends: the visitor's
 * categories (and CATEGORY when not -1), services (and SERVICE_ID when not
 * NULL), where the choice is made, the page and the language. */
static void put_fields(apr_array_header_t *b, const mc_categories_t *cats,
                       const mc_placeholder_opts_t *o, int category, const char *service_id,
                       const char *lang)
{
    apr_pool_t *p = b->pool;

    APR_ARRAY_PUSH(b, const char *) = hidden(p, "method", "custom");
    for (int i = 0; i < mc_categories_count(cats); i++) {
        if (i == category || mc_catmask_has(o->granted, i))
            APR_ARRAY_PUSH(b, const char *) = hidden(p, "granted", mc_categories_name(cats, i));
    }
    for (int i = 0; o->services && i < o->services->nelts; i++) {
        const char *id = APR_ARRAY_IDX(o->services, i, const char *);

        if (!service_id || strcmp(id, service_id) != 0)
            APR_ARRAY_PUSH(b, const char *) = hidden(p, "service", id);
    }
    if (service_id)
        APR_ARRAY_PUSH(b, const char *) = hidden(p, "service", service_id);
    APR_ARRAY_PUSH(b, const char *) = hidden(p, "via", "placeholder");
    APR_ARRAY_PUSH(b, const char *) = hidden(p, "return", o->return_path ? o->return_path : "/");
    APR_ARRAY_PUSH(b, const char *) = hidden(p, "lang", lang);
}

static const char *form_start(apr_pool_t *p, const mc_placeholder_opts_t *o, const char *cls)
{
    return apr_pstrcat(p, "<form class=\"", cls, "\" method=\"post\" action=\"",
                       mc_html_escape(p, apr_pstrcat(p, o->base_path, "/decision", NULL)),
                       "\" target=\"_top\">", NULL);
}

char *mc_placeholder_render(apr_pool_t *p, const mc_locale_t *loc, const mc_categories_t *cats,
                            const mc_placeholder_opts_t *o, size_t *len)
{
    const char *name = mc_categories_name(cats, o->category);
    const char *title = running_text(
        p, text_of(loc, apr_pstrcat(p, "category.", name, ".title", NULL), name));
    const char *lang = o->lang ? o->lang : (loc ? mc_locale_lang(loc) : "en");
    const char *service = o->service ? o->service : "";
    apr_array_header_t *b = apr_array_make(p, 32, sizeof(const char *));
    char *html;

#define PUT(s) (APR_ARRAY_PUSH(b, const char *) = (s))
    PUT("<!DOCTYPE html><html lang=\"");
    PUT(mc_html_escape(p, lang));
    PUT("\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, "
        "initial-scale=1\"><meta name=\"robots\" content=\"noindex\"><title>");
    PUT(mc_html_escape(p, service));
    PUT("</title>");
    if (o->css_href) {
        PUT("<link rel=\"stylesheet\" href=\"");
        PUT(mc_html_escape(p, o->css_href));
        PUT("\">");
    }
    PUT("</head><body class=\"mc-placeholder\"><main class=\"mc-placeholder-box\">"
        "<p class=\"mc-placeholder-text\">");
    PUT(mc_placeholder_text(p, text_of(loc, "placeholder_text", "{service}"), service, title));
    PUT("</p><div class=\"mc-placeholder-actions\">");
    if (!o->locked_off && o->service_id) {
        PUT(form_start(p, o, "mc-placeholder-form mc-placeholder-service"));
        put_fields(b, cats, o, -1, o->service_id, lang);
        PUT("<button type=\"submit\" class=\"mc-btn mc-placeholder-allow-service\">");
        PUT(mc_placeholder_text(p, text_of(loc, "placeholder_allow_service", "{service}"),
                                service, title));
        PUT("</button></form>");
    }
    PUT("<a class=\"mc-btn mc-placeholder-load\" href=\"");
    PUT(mc_html_escape(p, o->url));
    PUT("\">");
    PUT(mc_placeholder_text(p, text_of(loc, "placeholder_load", ""), service, title));
    PUT("</a>");
    if (!o->locked_off) {
        PUT(form_start(p, o, "mc-placeholder-form"));
        put_fields(b, cats, o, o->category, NULL, lang);
        /* next to a service's own button, the whole category is the lesser choice */
        PUT(o->service_id
                ? "<button type=\"submit\" class=\"mc-btn mc-placeholder-allow mc-placeholder-more\">"
                : "<button type=\"submit\" class=\"mc-btn mc-placeholder-allow\">");
        PUT(mc_placeholder_text(p, text_of(loc, "placeholder_allow", ""), service, title));
        PUT("</button></form>");
    }
    PUT("</div></main></body></html>\n");
#undef PUT
    html = apr_array_pstrcat(p, b, '\0');
    if (len)
        *len = strlen(html);
    return html;
}
