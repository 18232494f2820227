/* HTTP header field values (httpfield.h). Every function walks its value
 * once, in place; only what is returned is allocated. */
#include "httpfield.h"

#include <apr_strings.h>
#include <apr_tables.h>
#include <string.h>
#include <strings.h>

/* RFC 9110's OWS: space and horizontal tab, nothing else. */
static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

static const char *skip_ows(const char *s)
{
    while (is_ows(*s))
        s++;
    return s;
}

static const char *trim_end(const char *start, const char *end)
{
    while (end > start && is_ows(end[-1]))
        end--;
    return end;
}

/* Past the quoted string that starts at S (on its '"'): after the closing
 * quote, or at the end of the value when it has none. */
static const char *skip_quoted(const char *s)
{
    for (s++; *s && *s != '"'; s++) {
        if (*s == '\\' && s[1])
            s++;
    }
    return *s ? s + 1 : s;
}

/* The first STOP at or after S that is not inside a quoted string, or the
 * end of the value. */
static const char *find_unquoted(const char *s, char stop)
{
    while (*s && *s != stop)
        s = *s == '"' ? skip_quoted(s) : s + 1;
    return s;
}

/* The next non-empty element of the list at *S, trimmed: [*START, *END).
 * 0 when the list has no more. */
static int next_element(const char **s, const char **start, const char **end)
{
    const char *p = *s;

    while (*p == ',' || is_ows(*p))
        p++;
    if (!*p) {
        *s = p;
        return 0;
    }
    *start = p;
    p = find_unquoted(p, ',');
    *end = trim_end(*start, p);
    *s = p;
    return 1;
}

/* Whether [START, END) is the word WORD, whatever its case. */
static int span_is(const char *start, const char *end, const char *word)
{
    size_t n = strlen(word);

    return (size_t)(end - start) == n && strncasecmp(start, word, n) == 0;
}

/* Whether the element [START, END) is directive NAME: its name (up to '='
 * or whitespace) is NAME. */
static int directive_is(const char *start, const char *end, const char *name)
{
    const char *name_end = start;

    while (name_end < end && *name_end != '=' && !is_ows(*name_end))
        name_end++;
    return span_is(start, name_end, name);
}

/* --- Content-Type ---------------------------------------------------------------------- */

static int media_type_is(const char *ct, const char *type)
{
    size_t n = strlen(type);

    return strncasecmp(ct, type, n) == 0 && (ct[n] == '\0' || ct[n] == ';' || is_ows(ct[n]));
}

int mc_httpfield_is_xhtml(const char *content_type)
{
    return content_type && media_type_is(skip_ows(content_type), "application/xhtml+xml");
}

mc_httpfield_doc_t mc_httpfield_document(const char *content_type)
{
    const char *ct, *end;

    if (!content_type)
        return MC_HTTPFIELD_DOC_UNKNOWN;
    ct = skip_ows(content_type);
    if (media_type_is(ct, "text/html") || media_type_is(ct, "application/xhtml+xml"))
        return MC_HTTPFIELD_DOC_HTML;
    if (*ct == '\0' || *ct == ';' || media_type_is(ct, "unknown/unknown") ||
        media_type_is(ct, "application/unknown") || media_type_is(ct, "*/*"))
        return MC_HTTPFIELD_DOC_UNKNOWN;
    if (media_type_is(ct, "text/xml") || media_type_is(ct, "application/xml"))
        return MC_HTTPFIELD_DOC_XML;
    /* MIME Sniffing's XML MIME type: any subtype ending in "+xml" */
    end = ct;
    while (*end && *end != ';' && !is_ows(*end))
        end++;
    if (end - ct > 4 && strncasecmp(end - 4, "+xml", 4) == 0 && memchr(ct, '/', (size_t)(end - ct)))
        return MC_HTTPFIELD_DOC_XML;
    return MC_HTTPFIELD_DOC_OTHER;
}

/* The quoted string at S (on its '"') without its quotes and escapes. */
static const char *unquote(apr_pool_t *p, const char *s)
{
    const char *end = skip_quoted(s);
    char *out = apr_palloc(p, (apr_size_t)(end - s) + 1), *o = out;

    for (s++; s < end && *s != '"'; s++) {
        if (*s == '\\' && s[1])
            s++;
        *o++ = *s;
    }
    *o = '\0';
    return out;
}

const char *mc_httpfield_param(apr_pool_t *p, const char *content_type, const char *name)
{
    const char *s;

    if (!content_type)
        return NULL;
    /* the type and subtype are tokens: no quoted string before the first ';' */
    s = strchr(content_type, ';');
    while (s && *s == ';') {
        const char *name_start = skip_ows(s + 1), *name_end, *value;

        name_end = name_start;
        while (*name_end && *name_end != '=' && *name_end != ';')
            name_end++;
        if (*name_end != '=') {
            s = name_end; /* no value: not a parameter */
            continue;
        }
        value = skip_ows(name_end + 1);
        s = find_unquoted(value, ';');
        if (!span_is(name_start, trim_end(name_start, name_end), name))
            continue;
        if (*value == '"')
            return unquote(p, value); /* what follows its closing quote is ignored */
        return apr_pstrmemdup(p, value, (apr_size_t)(trim_end(value, s) - value));
    }
    return NULL;
}

/* A charset label is matched without the ASCII whitespace around it (the
 * WHATWG Encoding standard's "get an encoding"). */
mc_charset_t mc_httpfield_charset(apr_pool_t *p, const char *content_type)
{
    const char *cs = mc_httpfield_param(p, content_type, "charset");

    return cs ? mc_charset_of_label(cs, strlen(cs)) : MC_CHARSET_BYTES;
}

const char *mc_httpfield_as_utf8(apr_pool_t *p, const char *content_type)
{
    const char *ct = skip_ows(content_type ? content_type : "");
    const char *end = ct;

    while (*end && *end != ';')
        end++;
    end = trim_end(ct, end);
    if (end == ct)
        return "text/html; charset=utf-8";
    return apr_pstrcat(p, apr_pstrmemdup(p, ct, (apr_size_t)(end - ct)), "; charset=utf-8", NULL);
}

/* --- Content-Encoding ---------------------------------------------------------------- */

int mc_httpfield_codings(const char *list, mc_httpfield_coding_t out[MC_HTTPFIELD_CODINGS_MAX])
{
    const char *s = list, *start, *end;
    int n = 0;

    if (!list)
        return 0;
    while (next_element(&s, &start, &end)) {
        mc_httpfield_coding_t c;

        if (span_is(start, end, "identity"))
            continue;
        if (span_is(start, end, "gzip") || span_is(start, end, "x-gzip"))
            c = MC_HTTPFIELD_GZIP;
        else if (span_is(start, end, "deflate"))
            c = MC_HTTPFIELD_DEFLATE;
        else
            return -1;
        if (n == MC_HTTPFIELD_CODINGS_MAX)
            return -1;
        out[n++] = c;
    }
    return n;
}

const char *mc_httpfield_readable_accept(apr_pool_t *p, const char *list)
{
    const char *s = list, *start, *end;
    const char *kept = NULL;

    if (!list)
        return NULL;
    while (next_element(&s, &start, &end)) {
        const char *name_end = start;

        /* the coding's name, before its weight (";q=...") */
        while (name_end < end && *name_end != ';' && !is_ows(*name_end))
            name_end++;
        if (!span_is(start, name_end, "gzip") && !span_is(start, name_end, "x-gzip") &&
            !span_is(start, name_end, "deflate") && !span_is(start, name_end, "identity"))
            continue;
        kept = apr_pstrcat(p, kept ? kept : "", kept ? ", " : "",
                           apr_pstrmemdup(p, start, (apr_size_t)(end - start)), NULL);
    }
    return kept ? kept : "identity";
}

/* --- lists of directives and tokens ------------------------------------------------ */

int mc_httpfield_has_directive(const char *list, const char *name)
{
    const char *s = list, *start, *end;

    if (!list)
        return 0;
    while (next_element(&s, &start, &end)) {
        if (directive_is(start, end, name))
            return 1;
    }
    return 0;
}

const char *mc_httpfield_without_directive(apr_pool_t *p, const char *list, const char *name)
{
    apr_array_header_t *kept = apr_array_make(p, 4, sizeof(const char *));
    const char *s = list, *start, *end;

    if (!list)
        return NULL;
    while (next_element(&s, &start, &end)) {
        if (!directive_is(start, end, name))
            APR_ARRAY_PUSH(kept, const char *) =
                apr_pstrmemdup(p, start, (apr_size_t)(end - start));
    }
    return kept->nelts ? apr_array_pstrcat(p, kept, ',') : NULL;
}

int mc_httpfield_directive_seconds(const char *list, const char *name, long long *seconds)
{
    const char *s = list, *start, *end;

    if (!list)
        return 0;
    while (next_element(&s, &start, &end)) {
        const char *v = start;
        long long n = 0;
        int quoted, digits = 0;

        if (!directive_is(start, end, name))
            continue;
        while (v < end && *v != '=')
            v++;
        if (v == end)
            return 0;
        v = skip_ows(v + 1);
        quoted = v < end && *v == '"';
        v += quoted;
        for (; v < end && *v >= '0' && *v <= '9'; v++, digits++) {
            /* RFC 9111 1.2.2: a value too large to hold is taken as 2^31 */
            if (n < 2147483648LL)
                n = n * 10 + (*v - '0');
        }
        if (n > 2147483648LL)
            n = 2147483648LL;
        if (!digits || v != end - quoted || (quoted && *v != '"'))
            return 0;
        *seconds = n;
        return 1;
    }
    return 0;
}

int mc_httpfield_vary_has_cookie(const char *list)
{
    const char *s = list, *start, *end;

    if (!list)
        return 0;
    while (next_element(&s, &start, &end)) {
        if (span_is(start, end, "cookie") || span_is(start, end, "*"))
            return 1;
    }
    return 0;
}

/* --- ETag ---------------------------------------------------------------------------------- */

/* RFC 9110, 8.8.3: etagc = %x21 / %x23-7E / obs-text */
static int etagc(char c)
{
    unsigned char u = (unsigned char)c;

    return u == 0x21 || (u >= 0x23 && u <= 0x7e) || u >= 0x80;
}

const char *mc_httpfield_variant_etag(apr_pool_t *p, const char *etag, const char *variant)
{
    const char *s, *opaque;

    if (!etag)
        return NULL;
    s = skip_ows(etag);
    /* "W/" is case-sensitive (RFC 9110, 8.8.3) */
    if (s[0] == 'W' && s[1] == '/')
        s += 2;
    if (*s != '"')
        return NULL;
    opaque = ++s;
    while (etagc(*s))
        s++;
    if (*s != '"' || *skip_ows(s + 1) != '\0')
        return NULL;
    return apr_pstrcat(p, "W/\"", apr_pstrmemdup(p, opaque, (apr_size_t)(s - opaque)), "-mc",
                       variant, "\"", NULL);
}

/* --- Link and Refresh ------------------------------------------------------------------ */

apr_array_header_t *mc_httpfield_links(apr_pool_t *p, const char *value)
{
    apr_array_header_t *out = apr_array_make(p, 2, sizeof(mc_httpfield_link_t));
    const char *s = value ? value : "";

    for (;;) {
        const char *start, *end, *close = NULL;
        mc_httpfield_link_t *link;

        while (*s == ',' || is_ows(*s))
            s++;
        if (!*s)
            return out;
        start = s;
        if (*s == '<') {
            /* a URI reference holds no '>', but may hold commas */
            close = strchr(s, '>');
            s = close ? close + 1 : s + strlen(s);
        }
        s = find_unquoted(s, ',');
        end = trim_end(start, s);
        link = apr_array_push(out);
        link->text = apr_pstrmemdup(p, start, (apr_size_t)(end - start));
        link->uri = close ? apr_pstrmemdup(p, start + 1, (apr_size_t)(close - start - 1)) : NULL;
    }
}

/* The HTML standard's ASCII whitespace. */
static int html_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

static const char *skip_html_space(const char *s)
{
    while (html_space(*s))
        s++;
    return s;
}

const char *mc_httpfield_refresh_url(apr_pool_t *p, const char *value)
{
    const char *s = skip_html_space(value ? value : ""), *digits = s, *end;

    /* the time: digits, then digits and dots */
    while (*s >= '0' && *s <= '9')
        s++;
    if (s == digits && *s != '.')
        return NULL;
    while ((*s >= '0' && *s <= '9') || *s == '.')
        s++;
    if (*s && *s != ';' && *s != ',' && !html_space(*s))
        return NULL;
    s = skip_html_space(s);
    if (*s == ';' || *s == ',')
        s = skip_html_space(s + 1);
    /* "url =" may come first; "url" without '=' is part of the URL, as
     * browsers read it */
    if ((s[0] == 'u' || s[0] == 'U') && (s[1] == 'r' || s[1] == 'R') &&
        (s[2] == 'l' || s[2] == 'L')) {
        const char *after = skip_html_space(s + 3);
        if (*after == '=')
            s = skip_html_space(after + 1);
    }
    if (*s == '"' || *s == '\'') {
        end = strchr(s + 1, *s);
        s++;
        if (!end)
            end = s + strlen(s);
    }
    else {
        end = s + strlen(s);
    }
    while (end > s && html_space(end[-1]))
        end--;
    return end > s ? apr_pstrmemdup(p, s, (apr_size_t)(end - s)) : NULL;
}
