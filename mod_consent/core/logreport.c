/* The HTML page of `consent-log stats --html`: one self-contained file an
 * admin can mail or archive. Inline CSS and SVG only: no script, no font,
 * no image, no URL of any kind, so it shows the same offline and leaks
 * nothing when opened. Every text that came from the log is escaped; each
 * chart has a title, a description and a table of the same numbers beside
 * it, for screen readers and for copying. */
#include <apr_strings.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "banner.h" /* mc_html_escape */
#include "logstats.h"

#define CHART_W 760
#define CHART_H 300
#define PLOT_LEFT 56
#define PLOT_RIGHT 12
#define PLOT_TOP 12
#define PLOT_BOTTOM 40
#define LABEL_PX 84 /* room one date label needs on the x axis */
#define BAR_ROW 30
#define BAR_LABEL 150
#define BAR_MAX 520

/* One colour per method, readable on white and told apart without hue by
 * the tables beside the chart. */
static const char *const mc_method_colours[MC_LOGSTATS_METHODS] = {"#2e7d32", "#c62828",
                                                                   "#1565c0", "#6d4c41", "#6a1b9a"};

typedef struct mc_page {
    apr_pool_t *pool;
    char *data;
    size_t len, cap;
} mc_page_t;

static void mc_put(mc_page_t *pg, const char *text)
{
    size_t n = strlen(text);

    if (pg->len + n + 1 > pg->cap) {
        size_t cap = pg->cap * 2 > pg->len + n + 1 ? pg->cap * 2 : pg->len + n + 1;
        char *data = apr_palloc(pg->pool, cap);

        memcpy(data, pg->data, pg->len);
        pg->data = data;
        pg->cap = cap;
    }
    memcpy(pg->data + pg->len, text, n + 1);
    pg->len += n;
}

static void mc_putf(mc_page_t *pg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void mc_putf(mc_page_t *pg, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    mc_put(pg, apr_pvsprintf(pg->pool, fmt, ap));
    va_end(ap);
}

static const char *mc_esc(mc_page_t *pg, const char *text)
{
    return mc_html_escape(pg->pool, text);
}

static const char *mc_percent(apr_pool_t *p, uint64_t part, uint64_t whole)
{
    return apr_psprintf(p, "%.1f%%", 100.0 * mc_logstats_rate(part, whole));
}

/* A step of 1, 2 or 5 times a power of ten giving at most 5 grid lines. */
static uint64_t mc_nice_step(uint64_t max)
{
    uint64_t step = 1;

    while (step * 5 < max) {
        if (step * 2 * 5 >= max)
            return step * 2;
        if (step * 5 * 5 >= max)
            return step * 5;
        step *= 10;
    }
    return step;
}

static const char *mc_chain_name(const char *name)
{
    return *name ? name : "(unnamed)";
}

/* ---- summary and tables --------------------------------------------------------------- */

static void mc_page_summary(mc_page_t *pg, const mc_logstats_t *st, const char *source)
{
    mc_putf(pg, "<p class=\"source\">Read from %s.</p>\n", mc_esc(pg, source));
    mc_put(pg, "<table class=\"summary\">\n<caption>Totals</caption>\n<tbody>\n");
    mc_putf(pg, "<tr><th scope=\"row\">Decisions recorded</th><td>%" PRIu64 "</td></tr>\n",
            st->total);
    mc_putf(pg, "<tr><th scope=\"row\">Distinct consent ids</th><td>%" PRIu64 "</td></tr>\n",
            st->distinct_ids);
    mc_putf(pg, "<tr><th scope=\"row\">First decision</th><td>%s</td></tr>\n",
            st->total ? mc_esc(pg, st->first_time) : "-");
    mc_putf(pg, "<tr><th scope=\"row\">Last decision</th><td>%s</td></tr>\n",
            st->total ? mc_esc(pg, st->last_time) : "-");
    mc_put(pg, "<tr><th scope=\"row\">Chains</th><td>");
    for (int i = 0; i < st->chains->nelts; i++) {
        const mc_logstats_count_t *c = &APR_ARRAY_IDX(st->chains, i, mc_logstats_count_t);
        mc_putf(pg, "%s%s (%" PRIu64 ")", i ? ", " : "", mc_esc(pg, mc_chain_name(c->name)),
                c->count);
    }
    mc_put(pg, "</td></tr>\n");
    if (st->bad)
        mc_putf(pg,
                "<tr class=\"bad\"><th scope=\"row\">Problems found (not counted)</th>"
                "<td>%" PRIu64 "</td></tr>\n",
                st->bad);
    mc_put(pg, "</tbody>\n</table>\n");
}

static void mc_page_methods(mc_page_t *pg, const mc_logstats_t *st)
{
    mc_put(pg, "<section aria-labelledby=\"methods-h\">\n<h2 id=\"methods-h\">Decisions by "
               "method</h2>\n<table class=\"methods\">\n<thead><tr><th scope=\"col\">Method</th>"
               "<th scope=\"col\">Decisions</th><th scope=\"col\">Share</th></tr></thead>\n"
               "<tbody>\n");
    for (int m = 0; m < MC_LOGSTATS_METHODS; m++)
        mc_putf(pg,
                "<tr><th scope=\"row\"><span class=\"swatch\" style=\"background:%s\"></span>%s"
                "</th><td>%" PRIu64 "</td><td>%s</td></tr>\n",
                mc_method_colours[m], mc_logstats_methods[m], st->by_method[m],
                mc_percent(pg->pool, st->by_method[m], st->total));
    mc_put(pg, "</tbody>\n</table>\n</section>\n");
}

/* A section with a table of counts and their share of all decisions. */
static void mc_page_counts(mc_page_t *pg, const mc_logstats_t *st, const char *id,
                           const char *title, const char *column, const char *lead,
                           const apr_array_header_t *counts)
{
    mc_putf(pg,
            "<section aria-labelledby=\"%s-h\">\n<h2 id=\"%s-h\">%s</h2>\n%s"
            "<table class=\"%s\">\n<thead><tr><th scope=\"col\">%s</th>"
            "<th scope=\"col\">Decisions</th><th scope=\"col\">Share</th></tr></thead>\n"
            "<tbody>\n",
            id, id, title, lead, id, column);
    for (int i = 0; i < counts->nelts; i++) {
        const mc_logstats_count_t *c = &APR_ARRAY_IDX(counts, i, mc_logstats_count_t);
        mc_putf(pg, "<tr><th scope=\"row\">%s</th><td>%" PRIu64 "</td><td>%s</td></tr>\n",
                mc_esc(pg, c->name), c->count, mc_percent(pg->pool, c->count, st->total));
    }
    mc_put(pg, "</tbody>\n</table>\n</section>\n");
}

static void mc_page_langs(mc_page_t *pg, const mc_logstats_t *st)
{
    mc_page_counts(pg, st, "langs", "Banner language", "Language", "", st->langs);
    mc_page_counts(pg, st, "via", "Where choices were made", "Via",
                   "<p>Records from before per-service consent count as unrecorded.</p>\n",
                   st->vias);
    mc_page_counts(pg, st, "services", "Services allowed on their own", "Service",
                   "<p>Decisions that allowed a service without its whole category, as from a "
                   "placeholder's button.</p>\n",
                   st->services);
}

/* ---- decisions per day: stacked bars ------------------------------------------------------ */

static void mc_daily_axes(mc_page_t *pg, const mc_logstats_t *st, uint64_t top, uint64_t step)
{
    int plot_h = CHART_H - PLOT_TOP - PLOT_BOTTOM, n = st->days->nelts;
    int plot_w = CHART_W - PLOT_LEFT - PLOT_RIGHT;
    /* A year of days cannot carry a label each: every k-th day gets one. */
    int room = plot_w / LABEL_PX, every = n <= room ? 1 : (n + room - 1) / room;

    mc_put(pg, "<g class=\"axis\" aria-hidden=\"true\">\n");
    for (uint64_t v = 0; v <= top; v += step) {
        double y = PLOT_TOP + plot_h - (double)plot_h * (double)v / (double)top;
        mc_putf(pg,
                "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/><text x=\"%d\" y=\"%.1f\" "
                "text-anchor=\"end\">%" PRIu64 "</text>\n",
                PLOT_LEFT, CHART_W - PLOT_RIGHT, y, y, PLOT_LEFT - 6, y + 4, v);
    }
    for (int i = 0; i < n; i += every) {
        double x = PLOT_LEFT + (i + 0.5) * plot_w / (double)n;
        mc_putf(pg,
                "<line class=\"tick\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\"/>"
                "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
                x, x, CHART_H - PLOT_BOTTOM, CHART_H - PLOT_BOTTOM + 5, x,
                CHART_H - PLOT_BOTTOM + 18,
                mc_esc(pg, APR_ARRAY_IDX(st->days, i, mc_logstats_day_t).day));
    }
    mc_put(pg, "</g>\n");
}

static void mc_daily_chart(mc_page_t *pg, const mc_logstats_t *st)
{
    int n = st->days->nelts, plot_h = CHART_H - PLOT_TOP - PLOT_BOTTOM;
    double bar_w = (double)(CHART_W - PLOT_LEFT - PLOT_RIGHT) / (n ? n : 1);
    uint64_t max = 1, step, top;

    for (int i = 0; i < n; i++) {
        if (APR_ARRAY_IDX(st->days, i, mc_logstats_day_t).total > max)
            max = APR_ARRAY_IDX(st->days, i, mc_logstats_day_t).total;
    }
    step = mc_nice_step(max);
    top = (max + step - 1) / step * step;
    mc_putf(pg,
            "<svg class=\"chart\" role=\"img\" aria-labelledby=\"daily-title daily-desc\" "
            "viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\">\n"
            "<title id=\"daily-title\">Decisions per day by method</title>\n"
            "<desc id=\"daily-desc\">Stacked bars, one per day from %s to %s (%d days); each "
            "bar is split by method. The table beside the chart lists the same numbers.</desc>\n",
            CHART_W, CHART_H, CHART_W, CHART_H, n ? mc_esc(pg, APR_ARRAY_IDX(st->days, 0,
                                                                         mc_logstats_day_t).day)
                                                  : "-",
            n ? mc_esc(pg, APR_ARRAY_IDX(st->days, n - 1, mc_logstats_day_t).day) : "-", n);
    mc_daily_axes(pg, st, top, step);
    for (int i = 0; i < n; i++) {
        const mc_logstats_day_t *d = &APR_ARRAY_IDX(st->days, i, mc_logstats_day_t);
        double x = PLOT_LEFT + i * bar_w + (bar_w > 4 ? bar_w * 0.1 : 0);
        double w = bar_w > 4 ? bar_w * 0.8 : bar_w;
        double base = PLOT_TOP + plot_h;

        for (int m = 0; m < MC_LOGSTATS_METHODS; m++) {
            double h = (double)plot_h * (double)d->by_method[m] / (double)top;

            if (d->by_method[m] == 0)
                continue;
            base -= h;
            mc_putf(pg,
                    "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\">"
                    "<title>%s: %" PRIu64 " %s</title></rect>\n",
                    x, base, w, h, mc_method_colours[m], mc_esc(pg, d->day), d->by_method[m],
                    mc_logstats_methods[m]);
        }
    }
    mc_put(pg, "</svg>\n<ul class=\"legend\">\n");
    for (int m = 0; m < MC_LOGSTATS_METHODS; m++)
        mc_putf(pg, "<li><span class=\"swatch\" style=\"background:%s\"></span>%s</li>\n",
                mc_method_colours[m], mc_logstats_methods[m]);
    mc_put(pg, "</ul>\n");
}

static void mc_daily_table(mc_page_t *pg, const mc_logstats_t *st)
{
    mc_put(pg, "<div class=\"data\"><table class=\"daily\">\n<caption>Decisions per day"
               "</caption>\n<thead><tr><th scope=\"col\">Day</th>");
    for (int m = 0; m < MC_LOGSTATS_METHODS; m++)
        mc_putf(pg, "<th scope=\"col\">%s</th>", mc_logstats_methods[m]);
    mc_put(pg, "<th scope=\"col\">total</th></tr></thead>\n<tbody>\n");
    for (int i = 0; i < st->days->nelts; i++) {
        const mc_logstats_day_t *d = &APR_ARRAY_IDX(st->days, i, mc_logstats_day_t);

        mc_putf(pg, "<tr><th scope=\"row\">%s</th>", mc_esc(pg, d->day));
        for (int m = 0; m < MC_LOGSTATS_METHODS; m++)
            mc_putf(pg, "<td>%" PRIu64 "</td>", d->by_method[m]);
        mc_putf(pg, "<td>%" PRIu64 "</td></tr>\n", d->total);
    }
    mc_put(pg, "</tbody>\n</table></div>\n");
}

/* ---- acceptance per category: horizontal bars -------------------------------------------- */

static void mc_category_chart(mc_page_t *pg, const mc_logstats_t *st)
{
    int n = st->categories->nelts, h = n * BAR_ROW + 10, w = BAR_LABEL + BAR_MAX + 70;

    mc_putf(pg,
            "<svg class=\"chart\" role=\"img\" aria-labelledby=\"accept-title accept-desc\" "
            "viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\">\n"
            "<title id=\"accept-title\">Acceptance per category</title>\n"
            "<desc id=\"accept-desc\">One bar per category (%d): the share of decisions that "
            "granted it. The table beside the chart lists granted and refused counts.</desc>\n",
            w, h, w, h, n);
    for (int i = 0; i < n; i++) {
        const mc_logstats_category_t *c = &APR_ARRAY_IDX(st->categories, i, mc_logstats_category_t);
        double rate = mc_logstats_rate(c->granted, c->granted + c->refused);
        int y = 5 + i * BAR_ROW;
        const char *name = mc_esc(pg, c->name);

        mc_putf(pg,
                "<g><text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>"
                "<rect class=\"track\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\"/>"
                "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"#2e7d32\">"
                "<title>%s: %s accepted (%" PRIu64 " of %" PRIu64 ")</title></rect>"
                "<text x=\"%.1f\" y=\"%d\">%s</text></g>\n",
                BAR_LABEL - 8, y + 17, name, BAR_LABEL, y + 3, BAR_MAX, BAR_ROW - 8, BAR_LABEL,
                y + 3, rate * BAR_MAX, BAR_ROW - 8, name, mc_percent(pg->pool, c->granted,
                                                                   c->granted + c->refused),
                c->granted, c->granted + c->refused, BAR_LABEL + rate * BAR_MAX + 6, y + 17,
                mc_percent(pg->pool, c->granted, c->granted + c->refused));
    }
    mc_put(pg, "</svg>\n");
}

static void mc_category_table(mc_page_t *pg, const mc_logstats_t *st)
{
    mc_put(pg, "<div class=\"data\"><table class=\"categories\">\n<caption>Acceptance per "
               "category</caption>\n<thead><tr><th scope=\"col\">Category</th><th scope=\"col\">"
               "granted</th><th scope=\"col\">refused</th><th scope=\"col\">acceptance</th>"
               "</tr></thead>\n<tbody>\n");
    for (int i = 0; i < st->categories->nelts; i++) {
        const mc_logstats_category_t *c = &APR_ARRAY_IDX(st->categories, i, mc_logstats_category_t);
        mc_putf(pg,
                "<tr><th scope=\"row\">%s</th><td>%" PRIu64 "</td><td>%" PRIu64 "</td>"
                "<td>%s</td></tr>\n",
                mc_esc(pg, c->name), c->granted, c->refused,
                mc_percent(pg->pool, c->granted, c->granted + c->refused));
    }
    mc_put(pg, "</tbody>\n</table></div>\n");
}

static const char mc_page_css[] =
    "body{font:15px/1.45 system-ui,sans-serif;color:#1a1a1a;background:#fff;margin:0}"
    "main{max-width:1280px;margin:0 auto;padding:1rem 1.5rem}"
    "h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem}"
    "table{border-collapse:collapse;margin:.5rem 0}"
    "th,td{border:1px solid #bbb;padding:.2rem .5rem;text-align:right}"
    "th[scope=row]{text-align:left}caption{text-align:left;font-weight:600}"
    ".pair{display:flex;flex-wrap:wrap;gap:1.5rem;align-items:flex-start}"
    ".pair>figure{margin:0;flex:1 1 720px;max-width:780px}"
    ".chart{max-width:100%;height:auto}"
    ".chart text{font-size:11px;fill:#1a1a1a}"
    ".axis line{stroke:#ddd}.axis line.tick{stroke:#888}"
    ".track{fill:#eee}"
    ".data{max-height:340px;overflow:auto;flex:0 1 auto}"
    ".legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:1rem}"
    ".swatch{display:inline-block;width:.9em;height:.9em;margin-right:.35em;"
    "vertical-align:-.1em;border:1px solid #555}"
    ".bad th,.bad td{color:#b00020}.source{color:#444}"
    "@media print{.data{max-height:none;overflow:visible}}";

char *mc_logstats_html(const mc_logstats_t *st, apr_pool_t *p, const char *source)
{
    mc_page_t pg;

    pg.pool = p;
    pg.cap = 65536;
    pg.len = 0;
    pg.data = apr_palloc(p, pg.cap);
    pg.data[0] = '\0';
    mc_putf(&pg,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<title>Consent log statistics</title>\n<style>%s</style>\n</head>\n<body>\n<main>\n"
            "<h1>Consent log statistics</h1>\n",
            mc_page_css);
    mc_page_summary(&pg, st, source);
    mc_page_methods(&pg, st);
    mc_put(&pg, "<section aria-labelledby=\"daily-h\">\n<h2 id=\"daily-h\">Decisions per day</h2>"
                "\n<div class=\"pair\"><figure>\n");
    mc_daily_chart(&pg, st);
    mc_put(&pg, "</figure>\n");
    mc_daily_table(&pg, st);
    mc_put(&pg, "</div>\n</section>\n<section aria-labelledby=\"accept-h\">\n<h2 id=\"accept-h\">"
                "Acceptance per category</h2>\n<div class=\"pair\"><figure>\n");
    mc_category_chart(&pg, st);
    mc_put(&pg, "</figure>\n");
    mc_category_table(&pg, st);
    mc_put(&pg, "</div>\n</section>\n");
    mc_page_langs(&pg, st);
    mc_put(&pg, "</main>\n</body>\n</html>\n");
    return pg.data;
}
