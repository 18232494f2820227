/* The banner's markup, checked the way a browser would read it: its start
 * tags and their attributes, not a byte-for-byte copy. */
#include <apr_strings.h>
#include <apr_tables.h>
#include <string.h>

#include "banner.h"
#include "builtin.h"
#include "category.h"
#include "declaration.h"
#include "locale.h"
#include "placeholder.h"
#include "rules.h"
#include "unit.h"

/* --- a small reader for the markup the banner writes ----------------------------- */

typedef struct tag {
    const char *name;
    apr_table_t *attrs; /* raw (still escaped) values; "" for a bare attribute */
} tag_t;

static const char *read_name(const char **p)
{
    const char *start = *p;

    while (**p && !strchr(" \t\n/>=", **p))
        (*p)++;
    return apr_pstrndup(test_pool, start, (size_t)(*p - start));
}

/* Attributes up to '>'. The banner always double-quotes values: anything
 * else fails the test. */
static void read_attrs(const char **p, tag_t *t)
{
    for (;;) {
        const char *name, *end;
        while (**p == ' ')
            (*p)++;
        if (**p == '/' && (*p)[1] == '>') /* an empty element, closed as XML closes it */
            (*p)++;
        if (**p == '>' || **p == '\0')
            break;
        name = read_name(p);
        ck_assert_msg(*name, "empty attribute name in <%s>", t->name);
        ck_assert_msg(!apr_table_get(t->attrs, name), "<%s> repeats %s", t->name, name);
        if (**p != '=') {
            apr_table_set(t->attrs, name, "");
            continue;
        }
        ck_assert_msg((*p)[1] == '"', "<%s %s=...> is not double-quoted", t->name, name);
        end = strchr(*p + 2, '"');
        ck_assert_ptr_nonnull(end);
        apr_table_set(t->attrs, name, apr_pstrndup(test_pool, *p + 2, (size_t)(end - *p - 2)));
        *p = end + 1;
    }
}

/* Every start tag of HTML, in order. */
static apr_array_header_t *start_tags(const char *html)
{
    apr_array_header_t *tags = apr_array_make(test_pool, 64, sizeof(tag_t));

    for (const char *p = strchr(html, '<'); p; p = strchr(p, '<')) {
        tag_t *t;
        p++;
        if (*p == '/')
            continue;
        t = apr_array_push(tags);
        t->name = read_name(&p);
        t->attrs = apr_table_make(test_pool, 4);
        read_attrs(&p, t);
        ck_assert_msg(*p == '>', "<%s> is not closed", t->name);
    }
    return tags;
}

static const char *attr(const tag_t *t, const char *name)
{
    return apr_table_get(t->attrs, name);
}

/* The tags named NAME (any name for NULL) whose attribute KEY is VALUE
 * (any tag for a NULL KEY; any value for a NULL VALUE). */
static apr_array_header_t *select_tags(const apr_array_header_t *tags, const char *name,
                                       const char *key, const char *value)
{
    apr_array_header_t *out = apr_array_make(test_pool, 8, sizeof(const tag_t *));

    for (int i = 0; i < tags->nelts; i++) {
        const tag_t *t = &APR_ARRAY_IDX(tags, i, tag_t);
        const char *v = key ? attr(t, key) : NULL;
        if (name && strcmp(t->name, name) != 0)
            continue;
        if (key && (!v || (value && strcmp(v, value) != 0)))
            continue;
        APR_ARRAY_PUSH(out, const tag_t *) = t;
    }
    return out;
}

static const tag_t *only(const apr_array_header_t *tags, const char *name, const char *key,
                         const char *value)
{
    apr_array_header_t *found = select_tags(tags, name, key, value);

    ck_assert_msg(found->nelts == 1, "%d <%s %s=%s>, expected one", found->nelts, name,
                  key ? key : "", value ? value : "");
    return APR_ARRAY_IDX(found, 0, const tag_t *);
}

/* Where T stands in TAGS (document order). */
static long index_of(const apr_array_header_t *tags, const tag_t *t)
{
    return (long)(t - (const tag_t *)tags->elts);
}

/* --- fixtures ------------------------------------------------------------------------ */

static const mc_locale_t *locale_en(void)
{
    const mc_builtin_file_t *f = mc_builtin_find("locales/en.json");
    mc_locale_t *loc = NULL;
    const char *err = NULL;

    ck_assert_int_eq(mc_locale_parse(test_pool, f->data, f->len, "en", &loc, &err), MC_OK);
    return loc;
}

static mc_categories_t *categories(void)
{
    mc_categories_t *cats = mc_categories_make(test_pool);
    const char *err = NULL;

    ck_assert_int_eq(mc_categories_add(cats, "chat", 0, &err), MC_OK);
    ck_assert_int_eq(mc_categories_add(cats, "security", 1, &err), MC_OK);
    return cats;
}

static mc_banner_opts_t opts(void)
{
    mc_banner_opts_t o;

    memset(&o, 0, sizeof(o));
    o.base_path = "/_consent";
    o.return_path = "/om-oss?side=2";
    o.lang = "en";
    return o;
}

static const char *render(const mc_locale_t *loc, const mc_banner_opts_t *o)
{
    size_t len = 0;
    const char *html = mc_banner_render(test_pool, loc, categories(), o, &len);

    ck_assert_uint_eq(len, strlen(html));
    return html;
}

static apr_array_header_t *rendered_tags(const mc_banner_opts_t *o)
{
    return start_tags(render(locale_en(), o));
}

/* --- the form ------------------------------------------------------------------------ */

START_TEST(the_banner_is_a_form_posting_to_the_endpoint)
{
    mc_banner_opts_t o = opts();
    apr_array_header_t *tags = rendered_tags(&o);
    const tag_t *form = only(tags, "form", NULL, NULL);

    ck_assert_str_eq(attr(form, "method"), "post");
    ck_assert_str_eq(attr(form, "action"), "/_consent/decision");
    ck_assert_str_eq(attr(only(tags, "input", "name", "return"), "value"), "/om-oss?side=2");
    ck_assert_str_eq(attr(only(tags, "input", "name", "return"), "type"), "hidden");
    ck_assert_str_eq(attr(only(tags, "input", "name", "lang"), "value"), "en");
    ck_assert_str_eq(attr(only(tags, "input", "name", "lang"), "type"), "hidden");
}
END_TEST

START_TEST(accept_reject_and_settings_have_equal_weight)
{
    mc_banner_opts_t o = opts();
    apr_array_header_t *tags = rendered_tags(&o);
    apr_array_header_t *buttons = select_tags(tags, "button", NULL, NULL);
    static const char *const values[] = {"accept_all", "reject_all", "custom"};
    const tag_t *summary = only(tags, "summary", NULL, NULL);

    ck_assert_int_eq(buttons->nelts, 3);
    for (int i = 0; i < 3; i++) {
        const tag_t *b = APR_ARRAY_IDX(buttons, i, const tag_t *);
        ck_assert_str_eq(attr(b, "type"), "submit");
        ck_assert_str_eq(attr(b, "name"), "method");
        ck_assert_str_eq(attr(b, "value"), values[i]);
        ck_assert_str_eq(attr(b, "class"), attr(summary, "class"));
    }
    /* "Settings" follows the two first-layer buttons and holds the second layer */
    ck_assert_int_gt(index_of(tags, summary),
                     index_of(tags, APR_ARRAY_IDX(buttons, 1, const tag_t *)));
    ck_assert_int_lt(index_of(tags, summary),
                     index_of(tags, APR_ARRAY_IDX(buttons, 2, const tag_t *)));
    ck_assert_int_eq(select_tags(tags, "details", "open", NULL)->nelts, 0);
}
END_TEST

START_TEST(no_box_is_ticked_before_a_decision)
{
    mc_banner_opts_t o = opts();
    apr_array_header_t *tags = rendered_tags(&o);
    apr_array_header_t *boxes = select_tags(tags, "input", "name", "granted");
    static const char *const optional[] = {"preferences", "statistics", "marketing", "chat"};
    int checkboxes = 0;

    for (int i = 0; i < boxes->nelts; i++) {
        const tag_t *b = APR_ARRAY_IDX(boxes, i, const tag_t *);
        if (strcmp(attr(b, "type"), "checkbox") != 0)
            continue;
        checkboxes++;
        ck_assert_msg(!attr(b, "checked"), "%s is ticked", attr(b, "value"));
        ck_assert_msg(!attr(b, "disabled"), "%s is disabled", attr(b, "value"));
    }
    ck_assert_int_eq(checkboxes, 4);
    for (int i = 0; i < 4; i++)
        only(tags, "input", "value", optional[i]);
}
END_TEST

START_TEST(required_categories_are_locked_on_and_still_posted)
{
    mc_banner_opts_t o = opts();
    const char *html = render(locale_en(), &o);
    apr_array_header_t *tags = start_tags(html);
    static const char *const required[] = {"necessary", "security"};

    for (int i = 0; i < 2; i++) {
        const tag_t *box =
            only(tags, "input", "id", apr_pstrcat(test_pool, "mc-cat-", required[i], NULL));
        const tag_t *hidden = only(tags, "input", "value", required[i]);
        ck_assert_str_eq(attr(box, "type"), "checkbox");
        ck_assert_ptr_nonnull(attr(box, "checked"));
        ck_assert_ptr_nonnull(attr(box, "disabled"));
        ck_assert_ptr_null(attr(box, "name"));
        ck_assert_str_eq(attr(hidden, "type"), "hidden");
        ck_assert_str_eq(attr(hidden, "name"), "granted");
    }
    ck_assert_int_eq(select_tags(tags, "span", "class", "mc-always")->nelts, 2);
    ck_assert_ptr_nonnull(strstr(html, ">Always on<"));
}
END_TEST

START_TEST(after_a_decision_the_control_shows_and_switches_match_the_state)
{
    mc_banner_opts_t o = opts();
    apr_array_header_t *tags;

    o.decided = 1;
    o.granted = (1u << MC_CAT_NECESSARY) | (1u << MC_CAT_STATISTICS);
    tags = rendered_tags(&o);
    ck_assert_ptr_nonnull(attr(only(tags, "section", "id", "mc-banner"), "hidden"));
    ck_assert_ptr_null(attr(only(tags, "div", "id", "mc-reopen-box"), "hidden"));
    ck_assert_ptr_nonnull(attr(only(tags, "input", "value", "statistics"), "checked"));
    ck_assert_ptr_null(attr(only(tags, "input", "value", "marketing"), "checked"));
    ck_assert_ptr_null(attr(only(tags, "input", "value", "preferences"), "checked"));

    o.decided = 0;
    tags = rendered_tags(&o);
    ck_assert_ptr_null(attr(only(tags, "section", "id", "mc-banner"), "hidden"));
    ck_assert_ptr_nonnull(attr(only(tags, "div", "id", "mc-reopen-box"), "hidden"));
    /* a granted mask without a decision ticks nothing */
    ck_assert_ptr_null(attr(only(tags, "input", "value", "statistics"), "checked"));
}
END_TEST

START_TEST(the_control_links_to_the_settings_page)
{
    mc_banner_opts_t o = opts();
    const tag_t *a;

    o.decided = 1;
    a = only(rendered_tags(&o), "a", "id", "mc-reopen");
    ck_assert_str_eq(attr(a, "href"), "/_consent/settings?return=/om-oss%3Fside%3D2");
    ck_assert_str_eq(attr(a, "class"), "mc-reopen");
    /* named for screen readers and as a tooltip, beside a mark hidden from them */
    ck_assert_str_eq(attr(a, "title"), "Cookie settings");
    ck_assert_ptr_nonnull(strstr(mc_banner_control(test_pool, locale_en(), &o),
                                 "<span class=\"mc-reopen-text\">Cookie settings</span></a>"));
    ck_assert_str_eq(attr(only(rendered_tags(&o), "svg", "class", "mc-reopen-mark"), "aria-hidden"),
                     "true");
    o.return_path = NULL;
    a = only(rendered_tags(&o), "a", "id", "mc-reopen");
    ck_assert_str_eq(attr(a, "href"), "/_consent/settings");
}
END_TEST

START_TEST(the_control_sits_in_the_corner_the_admin_chose)
{
    mc_banner_opts_t o = opts();

    o.decided = 1;
    ck_assert_str_eq(attr(only(rendered_tags(&o), "div", "id", "mc-reopen-box"), "class"),
                     "mc-reopen-box mc-at-bottom-left");
    o.reopen_position = "top-right";
    ck_assert_str_eq(attr(only(rendered_tags(&o), "div", "id", "mc-reopen-box"), "class"),
                     "mc-reopen-box mc-at-top-right");
    ck_assert(mc_reopen_position_valid("bottom-right"));
    ck_assert(!mc_reopen_position_valid("middle"));
    ck_assert(!mc_reopen_position_valid("bottom-left\" onclick=\"x"));
    ck_assert(!mc_reopen_position_valid(NULL));
}
END_TEST

/* Refusing is one click in the first layer; once something optional is
 * granted, the same button withdraws it and says so. */
START_TEST(the_refusal_is_named_withdraw_once_something_is_granted)
{
    mc_banner_opts_t o = opts();
    const tag_t *b;

    b = only(rendered_tags(&o), "button", "value", "reject_all");
    ck_assert_str_eq(attr(b, "data-label-withdraw"), "Withdraw consent");
    ck_assert_ptr_nonnull(strstr(render(locale_en(), &o),
                                 "value=\"reject_all\" data-label-reject=\"Reject all\" "
                                 "data-label-withdraw=\"Withdraw consent\">Reject all</button>"));
    o.decided = 1;
    o.granted = mc_categories_required(categories());
    ck_assert_ptr_nonnull(strstr(render(locale_en(), &o),
                                 ">Reject all</button>"));
    o.granted |= (mc_catmask_t)1 << mc_categories_index(categories(), "statistics");
    ck_assert_ptr_nonnull(strstr(render(locale_en(), &o),
                                 ">Withdraw consent</button>"));
    ck_assert_ptr_null(strstr(render(locale_en(), &o),
                              ">Reject all</button>"));
}
END_TEST

/* --- texts and escaping --------------------------------------------------------------- */

START_TEST(every_text_is_escaped)
{
    mc_text_t t[] = {{"intro", "<script>\"&'"},
                     {"category.chat.title", "<b>Chat</b>"},
                     {"accept_all", "Yes & <i>no</i>"}};
    mc_locale_t *loc = NULL;
    const char *err = NULL;
    mc_banner_opts_t o = opts();
    const char *html;

    ck_assert_int_eq(mc_locale_derive(test_pool, locale_en(), "en", t, 3, &loc, &err), MC_OK);
    html = render(loc, &o);
    ck_assert_ptr_nonnull(strstr(html, "&lt;script&gt;&quot;&amp;&#39;"));
    ck_assert_ptr_nonnull(strstr(html, "&lt;b&gt;Chat&lt;/b&gt;"));
    ck_assert_ptr_nonnull(strstr(html, ">Yes &amp; &lt;i&gt;no&lt;/i&gt;</button>"));
    ck_assert_ptr_null(strstr(html, "<script"));
    ck_assert_ptr_null(strstr(html, "<b>"));
    ck_assert_ptr_null(strstr(html, "<i>"));
    start_tags(html); /* and it still reads as well-formed tags */
}
END_TEST

START_TEST(the_return_path_is_escaped)
{
    mc_banner_opts_t o = opts();
    const char *html;

    o.return_path = "/s?q=\"><script>&x='1'";
    o.decided = 1;
    html = render(locale_en(), &o);
    ck_assert_str_eq(attr(only(start_tags(html), "input", "name", "return"), "value"),
                     "/s?q=&quot;&gt;&lt;script&gt;&amp;x=&#39;1&#39;");
    ck_assert_str_eq(attr(only(start_tags(html), "a", "id", "mc-reopen"), "href"),
                     "/_consent/settings?return=/s%3Fq%3D%22%3E%3Cscript%3E%26x%3D%271%27");
    ck_assert_ptr_null(strstr(html, "<script"));
}
END_TEST

START_TEST(the_privacy_link_only_when_configured)
{
    mc_banner_opts_t o = opts();
    const tag_t *a;

    ck_assert_int_eq(select_tags(rendered_tags(&o), "a", "class", "mc-privacy")->nelts, 0);
    o.privacy_url = "https://klinikk.test/personvern?a=1&b=\"2\"";
    a = only(rendered_tags(&o), "a", "class", "mc-privacy");
    ck_assert_str_eq(attr(a, "href"), "https://klinikk.test/personvern?a=1&amp;b=&quot;2&quot;");
    ck_assert_ptr_nonnull(strstr(render(locale_en(), &o), ">Privacy policy</a>"));
}
END_TEST

START_TEST(the_gpc_notice_only_with_gpc)
{
    mc_banner_opts_t o = opts();
    apr_array_header_t *tags = rendered_tags(&o);
    const tag_t *marketing;

    ck_assert_int_eq(select_tags(tags, NULL, "id", "mc-gpc")->nelts, 0);
    ck_assert_ptr_null(strstr(render(locale_en(), &o), "Global Privacy Control"));
    o.gpc = 1;
    tags = rendered_tags(&o);
    only(tags, "p", "id", "mc-gpc");
    ck_assert_ptr_nonnull(strstr(render(locale_en(), &o), "Global Privacy Control"));
    /* marketing cannot be chosen: shown off, disabled, and explained */
    marketing = only(tags, "input", "id", "mc-cat-marketing");
    ck_assert_ptr_nonnull(attr(marketing, "disabled"));
    ck_assert_ptr_null(attr(marketing, "checked"));
    ck_assert_ptr_null(attr(marketing, "name"));
    ck_assert_ptr_nonnull(strstr(attr(marketing, "aria-describedby"), "mc-gpc"));
}
END_TEST

START_TEST(a_category_without_texts_shows_its_name)
{
    mc_banner_opts_t o = opts();
    const char *html = render(locale_en(), &o);

    ck_assert_ptr_nonnull(strstr(html, "for=\"mc-cat-chat\" class=\"mc-cat-title\">chat</label>"));
    ck_assert_ptr_null(
        attr(only(start_tags(html), "input", "id", "mc-cat-chat"), "aria-describedby"));
}
END_TEST

/* --- safety and accessibility -------------------------------------------------------- */

START_TEST(no_inline_style_or_script_anywhere)
{
    mc_banner_opts_t o = opts();
    apr_array_header_t *all;

    o.gpc = 1;
    o.privacy_url = "/personvern";
    all = rendered_tags(&o);
    for (int i = 0; i < all->nelts; i++) {
        const tag_t *t = &APR_ARRAY_IDX(all, i, tag_t);
        const apr_array_header_t *attrs = apr_table_elts(t->attrs);
        ck_assert_str_ne(t->name, "script");
        ck_assert_str_ne(t->name, "style");
        for (int j = 0; j < attrs->nelts; j++) {
            const char *name = APR_ARRAY_IDX(attrs, j, apr_table_entry_t).key;
            ck_assert_msg(strcmp(name, "style") != 0 && strncmp(name, "on", 2) != 0, "<%s %s>",
                          t->name, name);
        }
    }
}
END_TEST

START_TEST(the_banner_is_a_named_region_in_its_language)
{
    mc_banner_opts_t o = opts();
    apr_array_header_t *tags;
    const tag_t *section;

    o.lang = "nb";
    tags = rendered_tags(&o);
    section = only(tags, "section", "id", "mc-banner");
    ck_assert_str_eq(attr(section, "lang"), "nb");
    ck_assert_str_eq(attr(section, "aria-labelledby"), "mc-title");
    ck_assert_str_eq(attr(only(tags, "h2", "id", "mc-title"), "tabindex"), "-1");
    ck_assert_str_eq(attr(only(tags, "div", "id", "mc-reopen-box"), "lang"), "nb");
    ck_assert_str_eq(attr(only(tags, "input", "name", "lang"), "value"), "nb");
    o.lang = NULL;
    ck_assert_str_eq(attr(only(rendered_tags(&o), "section", NULL, NULL), "lang"), "en");
}
END_TEST

START_TEST(every_switch_has_a_label_and_a_description)
{
    mc_banner_opts_t o = opts();
    apr_array_header_t *tags = rendered_tags(&o);
    apr_array_header_t *boxes = select_tags(tags, "input", "type", "checkbox");

    ck_assert_int_eq(boxes->nelts, 6);
    only(tags, "legend", "id", "mc-settings-title");
    for (int i = 0; i < boxes->nelts; i++) {
        const tag_t *b = APR_ARRAY_IDX(boxes, i, const tag_t *);
        const char *id = attr(b, "id");
        const char *described = attr(b, "aria-describedby");
        only(tags, "label", "for", id);
        /* the admin's own categories have no description until ConsentText */
        if (strcmp(id, "mc-cat-chat") == 0 || strcmp(id, "mc-cat-security") == 0) {
            ck_assert_ptr_null(described);
            continue;
        }
        ck_assert_ptr_nonnull(described);
        only(tags, "p", "id", described);
    }
}
END_TEST

START_TEST(escaping_helpers)
{
    ck_assert_str_eq(mc_html_escape(test_pool, "a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
    ck_assert_str_eq(mc_html_escape(test_pool, ""), "");
    ck_assert_str_eq(mc_html_escape(test_pool, "blåbær"), "blåbær");
    ck_assert_str_eq(mc_url_query_encode(test_pool, "/a b?c=d&e#f"), "/a%20b%3Fc%3Dd%26e%23f");
    ck_assert_str_eq(mc_url_query_encode(test_pool, "/å"), "/%C3%A5");
}
END_TEST

/* --- standalone, and the settings page ------------------------------------------------ */

#define HEAD_MARKUP                                                                                \
    "<link rel=\"stylesheet\" href=\"/_consent/consent.css?v=1\"><script "                         \
    "src=\"/_consent/consent.js?v=1\" data-base=\"/_consent\"></script>"
#define DECIDED_AT 1795500803 /* 2026-11-24T06:13:23Z */

static const char *settings_page(const mc_banner_opts_t *o)
{
    mc_settings_page_t page;
    size_t len = 0;
    const char *html;

    memset(&page, 0, sizeof(page));
    page.head = HEAD_MARKUP;
    page.consent_id = o->decided ? "NUsM7eeIudFQ1w5f48YLew" : NULL;
    page.time = o->decided ? DECIDED_AT : 0;
    html = mc_settings_render(test_pool, locale_en(), categories(), o, &page, &len);
    ck_assert_uint_eq(len, strlen(html));
    return html;
}

START_TEST(standalone_the_banner_shows_with_its_second_layer_open)
{
    mc_banner_opts_t o = opts();
    apr_array_header_t *tags;
    const tag_t *section;

    o.decided = 1;
    o.granted = (1u << MC_CAT_NECESSARY) | (1u << MC_CAT_MARKETING);
    o.standalone = 1;
    tags = start_tags(mc_banner_markup(test_pool, locale_en(), categories(), &o));
    section = only(tags, "section", "id", "mc-banner");
    ck_assert_ptr_null(attr(section, "hidden"));
    ck_assert_str_eq(attr(section, "class"), "mc-banner mc-standalone");
    ck_assert_ptr_nonnull(attr(only(tags, "details", "id", "mc-settings"), "open"));
    ck_assert_ptr_nonnull(attr(only(tags, "input", "value", "marketing"), "checked"));
    ck_assert_ptr_null(attr(only(tags, "input", "value", "statistics"), "checked"));
}
END_TEST

START_TEST(the_default_banner_is_not_standalone)
{
    mc_banner_opts_t o = opts();
    const char *html = render(locale_en(), &o);
    apr_array_header_t *tags = start_tags(html);

    ck_assert_str_eq(attr(only(tags, "section", "id", "mc-banner"), "class"), "mc-banner");
    ck_assert_ptr_null(attr(only(tags, "details", "id", "mc-settings"), "open"));
    ck_assert_ptr_null(strstr(html, "mc-standalone"));
    ck_assert_ptr_nonnull(strstr(
        html, "<details id=\"mc-settings\" class=\"mc-settings\"><summary class=\"mc-btn\">"));
}
END_TEST

START_TEST(the_settings_page_is_a_whole_document)
{
    mc_banner_opts_t o = opts();
    const char *html = settings_page(&o);
    apr_array_header_t *tags = start_tags(html);
    const tag_t *back;

    ck_assert_msg(strncmp(html, "<!DOCTYPE html>\n<html lang=\"en\">", 31) == 0, "%.60s", html);
    ck_assert_ptr_nonnull(strstr(html, "<title>Cookie settings</title>"));
    ck_assert_ptr_nonnull(strstr(html, HEAD_MARKUP));
    ck_assert(strstr(html, HEAD_MARKUP) < strstr(html, "</head>"));
    ck_assert_ptr_nonnull(strstr(html, "<h1 class=\"mc-page-title\">Cookie settings</h1>"));
    only(tags, "meta", "charset", "utf-8");
    only(tags, "body", "class", "mc-page");
    /* the banner, open, posting back to where the visitor came from */
    ck_assert_ptr_null(attr(only(tags, "section", "id", "mc-banner"), "hidden"));
    ck_assert_ptr_nonnull(attr(only(tags, "details", "id", "mc-settings"), "open"));
    ck_assert_str_eq(attr(only(tags, "form", NULL, NULL), "action"), "/_consent/decision");
    ck_assert_str_eq(attr(only(tags, "input", "name", "return"), "value"), "/om-oss?side=2");
    back = only(tags, "a", "id", "mc-back");
    ck_assert_str_eq(attr(back, "href"), "/om-oss?side=2");
    ck_assert_ptr_nonnull(strstr(html, ">Back to the page you came from</a>"));
    /* withdrawing is one click, and says what happens */
    only(tags, "button", "value", "reject_all");
    ck_assert_ptr_nonnull(strstr(html, "Cookies from tracking services are then deleted"));
    /* the control is left out: consent.js leaves a standalone form alone */
    ck_assert_int_eq(select_tags(tags, NULL, "id", "mc-reopen-box")->nelts, 0);
    ck_assert_int_eq(select_tags(tags, NULL, "id", "mc-reopen")->nelts, 0);
}
END_TEST

START_TEST(the_settings_page_before_a_decision)
{
    mc_banner_opts_t o = opts();
    apr_array_header_t *tags;
    const char *html;

    o.granted = (1u << MC_CAT_STATISTICS); /* no decision: counts for nothing */
    html = settings_page(&o);
    tags = start_tags(html);
    ck_assert_ptr_nonnull(strstr(html, "You have not made a choice yet."));
    ck_assert_int_eq(select_tags(tags, "dl", NULL, NULL)->nelts, 0);
    ck_assert_int_eq(select_tags(tags, NULL, "id", "mc-consent-id")->nelts, 0);
    ck_assert_ptr_null(attr(only(tags, "input", "value", "statistics"), "checked"));
    ck_assert_ptr_null(attr(only(tags, "input", "value", "marketing"), "checked"));
    ck_assert_ptr_nonnull(attr(only(tags, "input", "id", "mc-cat-necessary"), "checked"));
}
END_TEST

START_TEST(the_settings_page_after_a_decision)
{
    mc_banner_opts_t o = opts();
    apr_array_header_t *tags;
    const char *html;

    o.decided = 1;
    o.granted = (1u << MC_CAT_NECESSARY) | (1u << MC_CAT_STATISTICS);
    html = settings_page(&o);
    tags = start_tags(html);
    ck_assert_ptr_null(strstr(html, "You have not made a choice yet."));
    ck_assert_ptr_nonnull(strstr(html, "<p>This is what you chose:</p>"));
    ck_assert_str_eq(attr(only(tags, "time", NULL, NULL), "datetime"), "2026-11-24T06:13:23Z");
    ck_assert_ptr_nonnull(strstr(html, ">2026-11-24 06:13 UTC</time>"));
    /* granted and refused by title, required categories among the granted */
    ck_assert_ptr_nonnull(
        strstr(html, "<dt>Accepted</dt><dd>Necessary, Statistics, security</dd>"));
    ck_assert_ptr_nonnull(strstr(html, "<dt>Rejected</dt><dd>Preferences, Marketing, chat</dd>"));
    ck_assert_ptr_nonnull(
        strstr(html, "<dt>Consent ID</dt><dd><code id=\"mc-consent-id\">NUsM7eeIudFQ1w5f48YLew"));
    ck_assert_ptr_nonnull(attr(only(tags, "input", "value", "statistics"), "checked"));
    ck_assert_ptr_null(attr(only(tags, "input", "value", "marketing"), "checked"));

    /* everything granted: nothing to list as rejected */
    o.granted = 0xffffffffu;
    html = settings_page(&o);
    ck_assert_ptr_null(strstr(html, "<dt>Rejected</dt>"));
}
END_TEST

START_TEST(the_settings_page_escapes_the_return_path_and_defaults_to_the_root)
{
    mc_banner_opts_t o = opts();
    apr_array_header_t *tags;
    const char *html;

    o.return_path = "/s?q=\"><script>alert(1)</script>";
    html = settings_page(&o);
    tags = start_tags(html);
    ck_assert_str_eq(attr(only(tags, "a", "id", "mc-back"), "href"),
                     "/s?q=&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;");
    ck_assert_str_eq(attr(only(tags, "input", "name", "return"), "value"),
                     "/s?q=&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;");
    ck_assert_ptr_null(strstr(html, "<script>"));
    o.return_path = NULL;
    tags = start_tags(settings_page(&o));
    ck_assert_str_eq(attr(only(tags, "a", "id", "mc-back"), "href"), "/");
    ck_assert_str_eq(attr(only(tags, "input", "name", "return"), "value"), "/");
}
END_TEST

START_TEST(the_settings_page_has_no_inline_style_or_script)
{
    mc_banner_opts_t o = opts();
    apr_array_header_t *all;

    o.decided = 1;
    o.gpc = 1;
    o.privacy_url = "/personvern";
    all = start_tags(settings_page(&o));
    for (int i = 0; i < all->nelts; i++) {
        const tag_t *t = &APR_ARRAY_IDX(all, i, tag_t);
        const apr_array_header_t *attrs = apr_table_elts(t->attrs);
        ck_assert_str_ne(t->name, "style");
        if (strcmp(t->name, "script") == 0)
            ck_assert_ptr_nonnull(attr(t, "src"));
        for (int j = 0; j < attrs->nelts; j++) {
            const char *name = APR_ARRAY_IDX(attrs, j, apr_table_entry_t).key;
            ck_assert_msg(strcmp(name, "style") != 0 && strncmp(name, "on", 2) != 0, "<%s %s>",
                          t->name, name);
        }
    }
}
END_TEST

/* --- the placeholder of a blocked embed ---------------------------------------------- */

static mc_placeholder_opts_t placeholder_opts(mc_categories_t *cats)
{
    mc_placeholder_opts_t o;

    memset(&o, 0, sizeof(o));
    o.base_path = "/_consent";
    o.css_href = "/_consent/consent.css?v=abc";
    o.url = "https://www.youtube.com/embed/x?a=1&b=\"2\"";
    o.service = "YouTube";
    o.category = mc_categories_index(cats, "marketing");
    o.granted = mc_categories_required(cats) |
                ((mc_catmask_t)1 << mc_categories_index(cats, "statistics"));
    o.return_path = "/side?x=1&y=<2>";
    return o;
}

START_TEST(the_placeholder_names_the_service_and_category)
{
    mc_categories_t *cats = categories();
    mc_placeholder_opts_t o = placeholder_opts(cats);
    const char *html = mc_placeholder_render(test_pool, locale_en(), cats, &o, NULL);
    apr_array_header_t *tags = start_tags(html);

    ck_assert_ptr_nonnull(strstr(html, "This content is from YouTube, which uses marketing "
                                       "cookies."));
    ck_assert_ptr_nonnull(strstr(html, ">Load content</a>"));
    ck_assert_ptr_nonnull(strstr(html, ">Allow marketing everywhere</button>"));
    ck_assert_str_eq(attr(only(tags, "html", NULL, NULL), "lang"), "en");
    ck_assert_str_eq(attr(only(tags, "link", "rel", "stylesheet"), "href"),
                     "/_consent/consent.css?v=abc");
    ck_assert_str_eq(attr(only(tags, "body", NULL, NULL), "class"), "mc-placeholder");
    ck_assert_str_eq(attr(only(tags, "a", NULL, NULL), "href"),
                     "https://www.youtube.com/embed/x?a=1&amp;b=&quot;2&quot;");
}
END_TEST

START_TEST(the_placeholder_form_grants_this_category_on_top)
{
    mc_categories_t *cats = categories();
    mc_placeholder_opts_t o = placeholder_opts(cats);
    apr_array_header_t *tags;
    const tag_t *form;
    apr_array_header_t *granted;

    o.lang = "nb";
    tags = start_tags(mc_placeholder_render(test_pool, locale_en(), cats, &o, NULL));
    form = only(tags, "form", NULL, NULL);
    ck_assert_str_eq(attr(form, "method"), "post");
    ck_assert_str_eq(attr(form, "action"), "/_consent/decision");
    ck_assert_str_eq(attr(form, "target"), "_top");
    ck_assert_str_eq(attr(only(tags, "input", "name", "method"), "value"), "custom");
    ck_assert_str_eq(attr(only(tags, "input", "name", "return"), "value"),
                     "/side?x=1&amp;y=&lt;2&gt;");
    ck_assert_str_eq(attr(only(tags, "input", "name", "lang"), "value"), "nb");
    ck_assert_str_eq(attr(only(tags, "html", NULL, NULL), "lang"), "nb");
    granted = select_tags(tags, "input", "name", "granted");
    ck_assert_int_eq(granted->nelts, 4); /* with "security", required */
    only(tags, "input", "value", "security");
    only(tags, "input", "value", "necessary");
    only(tags, "input", "value", "statistics");
    only(tags, "input", "value", "marketing");
    ck_assert_int_eq(select_tags(tags, "input", "value", "preferences")->nelts, 0);
    ck_assert_int_eq(select_tags(tags, "script", NULL, NULL)->nelts, 0);
    ck_assert_int_eq(select_tags(tags, "style", NULL, NULL)->nelts, 0);
    ck_assert_int_eq(select_tags(tags, NULL, "style", NULL)->nelts, 0);
    o.return_path = NULL;
    tags = start_tags(mc_placeholder_render(test_pool, locale_en(), cats, &o, NULL));
    ck_assert_str_eq(attr(only(tags, "input", "name", "return"), "value"), "/");
    o.locked_off = 1;
    tags = start_tags(mc_placeholder_render(test_pool, locale_en(), cats, &o, NULL));
    ck_assert_int_eq(select_tags(tags, "form", NULL, NULL)->nelts, 0);
    ck_assert_int_eq(select_tags(tags, "button", NULL, NULL)->nelts, 0);
    only(tags, "a", NULL, NULL);
}
END_TEST

START_TEST(the_placeholder_escapes_service_and_texts)
{
    mc_text_t t[] = {{"placeholder_text", "<b>{service}</b> & {category}{category}"},
                     {"category.marketing.title", "Ads \"&\" <x>"}};
    mc_categories_t *cats = categories();
    mc_placeholder_opts_t o = placeholder_opts(cats);
    mc_locale_t *loc = NULL;
    const char *err = NULL, *html;

    ck_assert_int_eq(mc_locale_derive(test_pool, locale_en(), "en", t, 2, &loc, &err), MC_OK);
    o.service = "Evil<script>{category}";
    html = mc_placeholder_render(test_pool, loc, cats, &o, NULL);
    ck_assert_ptr_null(strstr(html, "<script"));
    ck_assert_ptr_nonnull(strstr(html, "&lt;b&gt;Evil&lt;script&gt;{category}&lt;/b&gt; &amp; "
                                       "ads &quot;&amp;&quot; &lt;x&gt;ads &quot;"));
    ck_assert_ptr_nonnull(strstr(html, "<title>Evil&lt;script&gt;{category}</title>"));
}
END_TEST

START_TEST(the_placeholder_offers_the_service_alone_first)
{
    mc_categories_t *cats = categories();
    mc_placeholder_opts_t o = placeholder_opts(cats);
    apr_array_header_t *ids = apr_array_make(test_pool, 2, sizeof(const char *));
    apr_array_header_t *tags, *forms, *fields;
    const char *html;
    const char *first_form_fields = "";

    APR_ARRAY_PUSH(ids, const char *) = "google-maps";
    o.service_id = "youtube";
    o.services = ids;
    html = mc_placeholder_render(test_pool, locale_en(), cats, &o, NULL);
    tags = start_tags(html);
    forms = select_tags(tags, "form", NULL, NULL);
    ck_assert_int_eq(forms->nelts, 2);
    ck_assert_str_eq(attr(APR_ARRAY_IDX(forms, 0, const tag_t *), "class"),
                     "mc-placeholder-form mc-placeholder-service");
    ck_assert_str_eq(attr(APR_ARRAY_IDX(forms, 0, const tag_t *), "target"), "_top");
    /* "Allow YouTube" comes first, then "Load content", then the category */
    ck_assert_ptr_nonnull(strstr(html, ">Allow YouTube</button>"));
    ck_assert(strstr(html, ">Allow YouTube</button>") < strstr(html, ">Load content</a>"));
    ck_assert(strstr(html, ">Load content</a>") < strstr(html, ">Allow marketing everywhere<"));
    /* the service form keeps the categories and services granted now, adds
     * youtube and not marketing */
    fields = select_tags(tags, "input", "type", "hidden");
    for (int i = 0; i < fields->nelts; i++) {
        const tag_t *t = APR_ARRAY_IDX(fields, i, const tag_t *);

        if (strcmp(attr(t, "name"), "method") == 0 && *first_form_fields)
            break; /* the second form starts */
        first_form_fields = apr_pstrcat(test_pool, first_form_fields, attr(t, "name"), "=",
                                        attr(t, "value"), " ", (char *)NULL);
    }
    ck_assert_str_eq(first_form_fields,
                     "method=custom granted=necessary granted=statistics granted=security "
                     "service=google-maps service=youtube via=placeholder "
                     "return=/side?x=1&amp;y=&lt;2&gt; lang=en ");
    ck_assert_int_eq(select_tags(tags, "input", "value", "marketing")->nelts, 1);
    ck_assert_int_eq(select_tags(tags, "input", "value", "youtube")->nelts, 1);
    ck_assert_int_eq(select_tags(tags, "input", "value", "google-maps")->nelts, 2);
    /* under GPC neither form */
    o.locked_off = 1;
    tags = start_tags(mc_placeholder_render(test_pool, locale_en(), cats, &o, NULL));
    ck_assert_int_eq(select_tags(tags, "form", NULL, NULL)->nelts, 0);
}
END_TEST

START_TEST(placeholder_helpers)
{
    ck_assert_str_eq(mc_placeholder_host(test_pool, "https://WWW.YouTube.com/embed/x"),
                     "www.youtube.com");
    ck_assert_str_eq(mc_placeholder_host(test_pool, "http://u:p@host.example:8080?q"),
                     "host.example");
    ck_assert_str_eq(mc_placeholder_host(test_pool, "https://[::1]:8/x"), "[::1]");
    ck_assert_ptr_null(mc_placeholder_host(test_pool, "javascript:alert(1)"));
    ck_assert_ptr_null(mc_placeholder_host(test_pool, "//www.youtube.com/embed/x"));
    ck_assert_ptr_null(mc_placeholder_host(test_pool, "/local"));
    ck_assert_ptr_null(mc_placeholder_host(test_pool, "https:///x"));
    ck_assert_str_eq(mc_placeholder_text(test_pool, "{service}: {x} {category}", "A&B", "c"),
                     "A&amp;B: {x} c");
}
END_TEST

/* --- the cookie lists of the second layer ---------------------------------------------- */

/* A declaration made the way the module makes it: the consent cookie under
 * necessary, _ga under statistics, a regex with markup characters under
 * marketing, nothing under the others. */
static const mc_banner_cookies_t *cookie_lists(mc_categories_t *cats)
{
    mc_ruleset_t *rs = mc_ruleset_make(test_pool);
    const char *err = NULL;

    ck_assert_int_eq(mc_ruleset_add(rs, MC_RULE_COOKIE, "statistics", "_ga", "t:1", &err), MC_OK);
    ck_assert_int_eq(mc_ruleset_add(rs, MC_RULE_COOKIE, "marketing", "~^ad<x>&\"y", "t:2", &err),
                     MC_OK);
    return mc_banner_cookie_lists(test_pool,
                                  mc_declaration_make(test_pool, cats, rs, NULL, "mc_consent"));
}

static const char *render_with_cookies(mc_banner_opts_t *o)
{
    mc_categories_t *cats = categories();

    o->cookies = cookie_lists(cats);
    return mc_banner_render(test_pool, locale_en(), cats, o, NULL);
}

/* The markup of the category NAME's row, up to the next row. */
static const char *category_row(const char *html, const char *name)
{
    const char *start = strstr(html, apr_pstrcat(test_pool, "id=\"mc-cat-", name, "\"", NULL));
    const char *end;

    ck_assert_ptr_nonnull(start);
    end = strstr(start, "<div class=\"mc-cat\">");
    if (!end)
        end = strstr(start, "</fieldset>");
    ck_assert_ptr_nonnull(end);
    return apr_pstrndup(test_pool, start, (size_t)(end - start));
}

START_TEST(each_category_lists_its_cookies_under_its_description)
{
    mc_banner_opts_t o = opts();
    const char *html = render_with_cookies(&o);
    const char *stats = category_row(html, "statistics");
    const char *necessary = category_row(html, "necessary");

    ck_assert_ptr_nonnull(strstr(stats, "<details class=\"mc-cookies\"><summary>Cookies (1)"
                                        "</summary><ul><li><code>_ga</code></li></ul></details>"));
    /* after the description, inside the category's row */
    ck_assert_ptr_nonnull(strstr(stats, "mc-desc-statistics"));
    ck_assert(strstr(stats, "mc-cookies") > strstr(stats, "class=\"mc-cat-desc\""));
    ck_assert_ptr_nonnull(
        strstr(necessary, "<li><code>mc_consent</code> \xe2\x80\x94 mod_consent</li>"));
    ck_assert_ptr_nonnull(strstr(necessary, "<summary>Cookies (1)</summary>"));
}
END_TEST

START_TEST(cookie_names_are_escaped_and_patterns_shown_as_text)
{
    mc_banner_opts_t o = opts();
    const char *html = render_with_cookies(&o);
    const char *marketing = category_row(html, "marketing");

    ck_assert_ptr_nonnull(strstr(marketing, "<code>^ad&lt;x&gt;&amp;&quot;y</code>"));
    ck_assert_ptr_null(strstr(html, "ad<x>"));
}
END_TEST

START_TEST(no_list_for_a_category_without_cookies)
{
    mc_banner_opts_t o = opts();
    const char *html = render_with_cookies(&o);

    ck_assert_ptr_null(strstr(category_row(html, "preferences"), "mc-cookies"));
    ck_assert_ptr_null(strstr(category_row(html, "chat"), "mc-cookies"));
    ck_assert_ptr_null(strstr(category_row(html, "security"), "<details"));
    /* without lists at all, no category has one */
    o = opts();
    ck_assert_ptr_null(strstr(render(locale_en(), &o), "mc-cookies"));
}
END_TEST

START_TEST(the_settings_page_lists_the_cookies_too)
{
    mc_banner_opts_t o = opts();
    mc_categories_t *cats = categories();
    mc_settings_page_t page;

    memset(&page, 0, sizeof(page));
    o.cookies = cookie_lists(cats);
    ck_assert_ptr_nonnull(strstr(mc_settings_render(test_pool, locale_en(), cats, &o, &page, NULL),
                                 "<li><code>_ga</code></li>"));
}
END_TEST

Suite *banner_suite(void)
{
    Suite *s = suite_create("banner");
    TCase *form = tcase_create("form");
    TCase *texts = tcase_create("texts");
    TCase *safety = tcase_create("safety");
    TCase *settings = tcase_create("settings");
    TCase *placeholder = tcase_create("placeholder");

    tcase_add_checked_fixture(form, unit_pool_setup, unit_pool_teardown);
    tcase_add_test(form, the_banner_is_a_form_posting_to_the_endpoint);
    tcase_add_test(form, accept_reject_and_settings_have_equal_weight);
    tcase_add_test(form, no_box_is_ticked_before_a_decision);
    tcase_add_test(form, required_categories_are_locked_on_and_still_posted);
    tcase_add_test(form, after_a_decision_the_control_shows_and_switches_match_the_state);
    tcase_add_test(form, the_control_links_to_the_settings_page);
    tcase_add_test(form, the_control_sits_in_the_corner_the_admin_chose);
    tcase_add_test(form, the_refusal_is_named_withdraw_once_something_is_granted);
    suite_add_tcase(s, form);

    tcase_add_checked_fixture(texts, unit_pool_setup, unit_pool_teardown);
    tcase_add_test(texts, every_text_is_escaped);
    tcase_add_test(texts, the_return_path_is_escaped);
    tcase_add_test(texts, the_privacy_link_only_when_configured);
    tcase_add_test(texts, the_gpc_notice_only_with_gpc);
    tcase_add_test(texts, a_category_without_texts_shows_its_name);
    suite_add_tcase(s, texts);

    tcase_add_checked_fixture(safety, unit_pool_setup, unit_pool_teardown);
    tcase_add_test(safety, no_inline_style_or_script_anywhere);
    tcase_add_test(safety, the_banner_is_a_named_region_in_its_language);
    tcase_add_test(safety, every_switch_has_a_label_and_a_description);
    tcase_add_test(safety, escaping_helpers);
    tcase_add_test(safety, each_category_lists_its_cookies_under_its_description);
    tcase_add_test(safety, cookie_names_are_escaped_and_patterns_shown_as_text);
    tcase_add_test(safety, no_list_for_a_category_without_cookies);
    suite_add_tcase(s, safety);

    tcase_add_checked_fixture(settings, unit_pool_setup, unit_pool_teardown);
    tcase_add_test(settings, standalone_the_banner_shows_with_its_second_layer_open);
    tcase_add_test(settings, the_default_banner_is_not_standalone);
    tcase_add_test(settings, the_settings_page_is_a_whole_document);
    tcase_add_test(settings, the_settings_page_before_a_decision);
    tcase_add_test(settings, the_settings_page_after_a_decision);
    tcase_add_test(settings, the_settings_page_escapes_the_return_path_and_defaults_to_the_root);
    tcase_add_test(settings, the_settings_page_has_no_inline_style_or_script);
    tcase_add_test(settings, the_settings_page_lists_the_cookies_too);
    suite_add_tcase(s, settings);

    tcase_add_checked_fixture(placeholder, unit_pool_setup, unit_pool_teardown);
    tcase_add_test(placeholder, the_placeholder_names_the_service_and_category);
    tcase_add_test(placeholder, the_placeholder_form_grants_this_category_on_top);
    tcase_add_test(placeholder, the_placeholder_escapes_service_and_texts);
    tcase_add_test(placeholder, placeholder_helpers);
    tcase_add_test(placeholder, the_placeholder_offers_the_service_alone_first);
    suite_add_tcase(s, placeholder);
    return s;
}
