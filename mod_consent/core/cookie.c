#include "cookie.h"

#include <apr_strings.h>
#include <string.h>

/* The Expires every deletion we emit carries, for clients that ignore Max-Age. */
#define EPOCH_DATE "Thu, 01 Jan 1970 00:00:00 GMT"
/* Most parent domains a deletion is emitted for (see pick_parents). */
#define MAX_PARENTS 4

/* --- character classes -------------------------------------------------------------- */

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* RFC 9110 tchar: what a cookie name is made of. */
static int is_tchar(char c)
{
    return is_alpha(c) || is_digit(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

int mc_cookie_name_valid(const char *name, size_t max)
{
    size_t len = 0;

    for (const char *c = name; *c; c++, len++) {
        if (!is_tchar(*c))
            return 0;
    }
    return len > 0 && len <= max;
}

/* RFC 6265bis: a user agent drops a cookie carrying any of these (tab is allowed). */
static int is_ctl(char c)
{
    unsigned char u = (unsigned char)c;

    return (u < 0x20 && u != '\t') || u == 0x7f;
}

static char ascii_lower(char c)
{
    if (c >= 'A' && c <= 'Z')
        return (char)(c + ('a' - 'A'));
    return c;
}

/* --- spans: [begin, end) views into the caller's text ------------------------------- */

typedef struct span {
    const char *b;
    const char *e;
} span_t;

static span_t span_trim(span_t s)
{
    while (s.b < s.e && is_ows(*s.b))
        s.b++;
    while (s.e > s.b && is_ows(s.e[-1]))
        s.e--;
    return s;
}

static size_t span_len(span_t s)
{
    return (size_t)(s.e - s.b);
}

static int span_ieq(span_t s, const char *lit)
{
    size_t n = strlen(lit);

    return span_len(s) == n && strncasecmp(s.b, lit, n) == 0;
}

static int span_has_ctl(span_t s)
{
    for (const char *c = s.b; c < s.e; c++) {
        if (is_ctl(*c))
            return 1;
    }
    return 0;
}

static char *span_dup(apr_pool_t *p, span_t s)
{
    return apr_pstrmemdup(p, s.b, span_len(s));
}

/* Splits S at the first SEP: *HEAD gets the part before it, the return value the rest
 * (empty, at S's end, when SEP does not occur). */
static span_t span_cut(span_t s, char sep, span_t *head)
{
    const char *at = memchr(s.b, sep, span_len(s));

    if (!at) {
        *head = s;
        return (span_t){s.e, s.e};
    }
    *head = (span_t){s.b, at};
    return (span_t){at + 1, s.e};
}

/* --- mc_setcookie_split ------------------------------------------------------------- */

/* 1 when the comma just before AFTER starts a new cookie: optional whitespace, a name, optional
 * whitespace, '='. The comma in "Expires=Wed, 21 Oct 2026 ..." is followed by "21 Oct",
 * a token and a space, so it does not split. The scan stops at the next non-token byte,
 * which is never past the next comma, so the whole split stays linear. */
static int comma_starts_cookie(const char *after)
{
    const char *c = after;
    const char *name;

    while (is_ows(*c))
        c++;
    name = c;
    while (is_tchar(*c))
        c++;
    if (c == name)
        return 0;
    while (is_ows(*c))
        c++;
    return *c == '=';
}

/* A '"' opens a quoted value only right after '=' (whitespace allowed between), so a
 * stray quote inside a value does not swallow the cookies after it. */
static int quote_opens_value(const char *field, const char *quote)
{
    const char *c = quote;

    while (c > field && is_ows(c[-1]))
        c--;
    return c > field && c[-1] == '=';
}

static void push_trimmed(apr_array_header_t *out, apr_pool_t *p, span_t piece)
{
    piece = span_trim(piece);
    if (span_len(piece) > 0)
        APR_ARRAY_PUSH(out, char *) = span_dup(p, piece);
}

apr_array_header_t *mc_setcookie_split(apr_pool_t *p, const char *field)
{
    apr_array_header_t *out = apr_array_make(p, 2, sizeof(char *));
    const char *start = field;
    int quoted = 0;

    if (!field)
        return out;
    for (const char *c = field; *c; c++) {
        if (*c == '"') {
            if (quoted)
                quoted = 0;
            else
                quoted = quote_opens_value(field, c);
        } else if (*c == ',' && !quoted && comma_starts_cookie(c + 1)) {
            push_trimmed(out, p, (span_t){start, c});
            start = c + 1;
        }
    }
    push_trimmed(out, p, (span_t){start, start + strlen(start)});
    return out;
}

/* --- cookie dates (RFC 6265 section 5.1.1) ------------------------------------------ */

/* apr_date_parse_rfc() is not used: it returns 0 for failure, which is also the value of
 * "Thu, 01 Jan 1970 00:00:00 GMT", the most common date in a deletion. The cookie date
 * algorithm is also more tolerant ("01-Jan-70", any order of the parts), as browsers are. */

typedef struct cookie_date {
    int have_time, have_day, have_month, have_year;
    int hour, minute, second, day, month, year;
} cookie_date_t;

/* RFC 6265 date delimiter: tab, and printable ASCII other than digits, letters and ":". */
static int is_date_delimiter(char c)
{
    unsigned char u = (unsigned char)c;

    return u == 0x09 || (u >= 0x20 && u <= 0x2f) || (u >= 0x3b && u <= 0x40) ||
           (u >= 0x5b && u <= 0x60) || (u >= 0x7b && u <= 0x7e);
}

/* Reads 1..MAX digits at *C; returns the count read (0 for none). */
static int read_digits(const char **c, const char *end, int max, int *value)
{
    int n = 0;

    *value = 0;
    while (*c < end && n < max && is_digit(**c)) {
        *value = *value * 10 + (**c - '0');
        (*c)++;
        n++;
    }
    return n;
}

/* MIN..MAX digits, then the token ends or goes on with a non-digit. */
static int digits_token(span_t tok, int min, int max, int *value)
{
    const char *c = tok.b;
    int n = read_digits(&c, tok.e, max, value);

    return n >= min && (c == tok.e || !is_digit(*c));
}

/* hms-time: 1*2DIGIT ":" 1*2DIGIT ":" 1*2DIGIT, then a non-digit or the end. */
static int time_token(span_t tok, cookie_date_t *d)
{
    const char *c = tok.b;

    if (!read_digits(&c, tok.e, 2, &d->hour) || c == tok.e || *c++ != ':')
        return 0;
    if (!read_digits(&c, tok.e, 2, &d->minute) || c == tok.e || *c++ != ':')
        return 0;
    if (!read_digits(&c, tok.e, 2, &d->second))
        return 0;
    return c == tok.e || !is_digit(*c);
}

static int month_token(span_t tok, int *month)
{
    static const char *const names[12] = {"jan", "feb", "mar", "apr", "may", "jun",
                                          "jul", "aug", "sep", "oct", "nov", "dec"};

    if (span_len(tok) < 3)
        return 0;
    for (int i = 0; i < 12; i++) {
        if (strncasecmp(tok.b, names[i], 3) == 0) {
            *month = i + 1;
            return 1;
        }
    }
    return 0;
}

static void date_token(span_t tok, cookie_date_t *d)
{
    if (!d->have_time && time_token(tok, d))
        d->have_time = 1;
    else if (!d->have_day && digits_token(tok, 1, 2, &d->day))
        d->have_day = 1;
    else if (!d->have_month && month_token(tok, &d->month))
        d->have_month = 1;
    else if (!d->have_year && digits_token(tok, 2, 4, &d->year))
        d->have_year = 1;
}

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Days from 1970-01-01 to Y-M-D in the proleptic Gregorian calendar. */
static int64_t days_from_epoch(int y, int m, int d)
{
    /* Count from March so that the leap day is the last day of the shifted year. */
    int64_t yy = m <= 2 ? y - 1 : y;
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    int64_t yoe = yy - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + doe - 719468;
}

static int date_valid(cookie_date_t *d)
{
    if (!d->have_time || !d->have_day || !d->have_month || !d->have_year)
        return 0;
    if (d->year >= 70 && d->year <= 99)
        d->year += 1900;
    else if (d->year <= 69)
        d->year += 2000;
    return d->year >= 1601 && d->day >= 1 && d->day <= days_in_month(d->year, d->month) &&
           d->hour <= 23 && d->minute <= 59 && d->second <= 59;
}

/* Parses a cookie date into Unix seconds; 0 when it is not one. */
static int cookie_date_parse(span_t text, int64_t *out)
{
    cookie_date_t d = {0};
    const char *c = text.b;

    while (c < text.e) {
        const char *start;

        while (c < text.e && is_date_delimiter(*c))
            c++;
        start = c;
        while (c < text.e && !is_date_delimiter(*c))
            c++;
        if (c > start)
            date_token((span_t){start, c}, &d);
    }
    if (!date_valid(&d))
        return 0;
    *out = days_from_epoch(d.year, d.month, d.day) * 86400 + (int64_t)d.hour * 3600 +
           (int64_t)d.minute * 60 + d.second;
    return 1;
}

/* --- mc_setcookie_parse ------------------------------------------------------------- */

/* RFC 6265 section 5.2.2: an optional '-' and digits, nothing else; otherwise the
 * attribute is ignored. Values beyond int64 saturate (a cookie for ever, or gone). */
static int max_age_parse(span_t v, int64_t *out)
{
    int negative = v.b < v.e && *v.b == '-';
    const char *c = v.b + negative;
    int64_t n = 0;

    if (c == v.e)
        return 0;
    for (; c < v.e; c++) {
        if (!is_digit(*c))
            return 0;
        if (n <= (INT64_MAX - 9) / 10)
            n = n * 10 + (*c - '0');
        else
            n = INT64_MAX;
    }
    *out = negative ? -n : n;
    return 1;
}

static const char *domain_value(apr_pool_t *p, span_t v)
{
    char *domain;

    if (v.b < v.e && *v.b == '.')
        v.b++;
    if (v.b == v.e)
        return NULL;
    domain = span_dup(p, v);
    for (char *c = domain; *c; c++)
        *c = ascii_lower(*c);
    return domain;
}

/* One "name=value" attribute; later ones of the same name override earlier ones, as in
 * the RFC's attribute list. A Path not starting with '/' means the default path. */
static void attribute_apply(apr_pool_t *p, span_t av, mc_setcookie_t *out)
{
    span_t name;
    span_t value = span_trim(span_cut(av, '=', &name));
    int64_t n;

    name = span_trim(name);
    if (span_ieq(name, "domain")) {
        out->domain = domain_value(p, value);
    } else if (span_ieq(name, "path")) {
        out->path = (value.b < value.e && *value.b == '/') ? span_dup(p, value) : NULL;
    } else if (span_ieq(name, "max-age")) {
        if (max_age_parse(value, &n)) {
            out->has_max_age = 1;
            out->max_age = n;
        }
    } else if (span_ieq(name, "expires")) {
        if (cookie_date_parse(value, &n)) {
            out->has_expires = 1;
            out->expires = n;
        }
    }
}

static mc_status_t name_value_parse(apr_pool_t *p, span_t pair, mc_setcookie_t *out)
{
    span_t name = {pair.b, pair.b};
    span_t value = pair;

    /* RFC 6265bis: without '=' the whole pair is the value of a nameless cookie. */
    if (memchr(pair.b, '=', span_len(pair)))
        value = span_cut(pair, '=', &name);
    name = span_trim(name);
    value = span_trim(value);
    if (span_len(name) == 0 && span_len(value) == 0)
        return MC_EINVAL;
    /* A browser drops such a cookie; a name we cannot trust is never classified. */
    if (span_has_ctl(name) || span_has_ctl(value))
        return MC_EINVAL;
    out->name = span_dup(p, name);
    out->value = span_dup(p, value);
    return MC_OK;
}

mc_status_t mc_setcookie_parse(apr_pool_t *p, const char *text, mc_setcookie_t *out)
{
    size_t len = text ? strnlen(text, MC_COOKIE_HEADER_MAX + 1) : 0;
    span_t rest;
    span_t pair;
    mc_status_t rv;

    *out = (mc_setcookie_t){0};
    if (!text || len > MC_COOKIE_HEADER_MAX)
        return MC_EINVAL;
    rest = span_cut((span_t){text, text + len}, ';', &pair);
    rv = name_value_parse(p, pair, out);
    if (rv != MC_OK)
        return rv;
    while (rest.b < rest.e) {
        span_t av;

        rest = span_cut(rest, ';', &av);
        attribute_apply(p, av, out);
    }
    return MC_OK;
}

int mc_setcookie_is_deletion(const mc_setcookie_t *c, int64_t now)
{
    if (c->has_max_age)
        return c->max_age <= 0;
    return c->has_expires && c->expires < now;
}

mc_cookie_life_t mc_setcookie_life(const mc_setcookie_t *c, int64_t now)
{
    if (mc_setcookie_is_deletion(c, now))
        return MC_COOKIE_DELETION;
    return c->has_max_age || c->has_expires ? MC_COOKIE_PERSISTENT : MC_COOKIE_SESSION;
}

/* --- consent for a cookie ------------------------------------------------------------ */

mc_treatment_t mc_unclassified_treatment(mc_unclassified_t mode, mc_cookie_life_t life)
{
    if (life == MC_COOKIE_DELETION)
        return MC_TREATMENT_ALLOWED;
    switch (mode) {
    case MC_UNCLASSIFIED_ALLOW: return MC_TREATMENT_ALLOWED;
    case MC_UNCLASSIFIED_BLOCK: return MC_TREATMENT_BLOCKED;
    default: return life == MC_COOKIE_PERSISTENT ? MC_TREATMENT_HELD : MC_TREATMENT_ALLOWED;
    }
}

const char *mc_treatment_str(mc_treatment_t t)
{
    switch (t) {
    case MC_TREATMENT_ALLOWED: return "allowed";
    case MC_TREATMENT_HELD: return "held";
    default: return "blocked";
    }
}

int mc_cookie_passes(int category, mc_cookie_life_t life, mc_catmask_t granted,
                     mc_catmask_t optional, mc_unclassified_t mode)
{
    if (life == MC_COOKIE_DELETION)
        return 1;
    if (category >= 0)
        return mc_catmask_has(granted, category);
    switch (mc_unclassified_treatment(mode, life)) {
    case MC_TREATMENT_ALLOWED: return 1;
    case MC_TREATMENT_HELD: return (granted & optional) == optional;
    default: return 0;
    }
}

/* --- Cookie request header ---------------------------------------------------------- */

static void cookie_push(apr_array_header_t *out, apr_pool_t *p, span_t piece)
{
    span_t name;
    span_t value = span_cut(piece, '=', &name);
    mc_cookie_t *c;

    name = span_trim(name);
    if (span_len(name) == 0)
        return;
    c = &APR_ARRAY_PUSH(out, mc_cookie_t);
    c->name = span_dup(p, name);
    c->value = span_dup(p, span_trim(value));
}

apr_array_header_t *mc_cookie_parse(apr_pool_t *p, const char *header)
{
    apr_array_header_t *out = apr_array_make(p, 8, sizeof(mc_cookie_t));
    span_t rest;

    if (!header)
        return out;
    rest = (span_t){header, header + strlen(header)};
    while (rest.b < rest.e) {
        span_t piece;

        rest = span_cut(rest, ';', &piece);
        cookie_push(out, p, piece);
    }
    return out;
}

char *mc_cookie_join(apr_pool_t *p, const apr_array_header_t *cookies)
{
    size_t len = 0;
    char *out;
    char *at;

    if (!cookies || cookies->nelts == 0)
        return NULL;
    for (int i = 0; i < cookies->nelts; i++) {
        const mc_cookie_t *c = &APR_ARRAY_IDX(cookies, i, mc_cookie_t);

        len += strlen(c->name) + 1 + strlen(c->value) + 2;
    }
    /* One allocation: a stripped header can be as large as the request allowed. */
    at = out = apr_palloc(p, len + 1);
    for (int i = 0; i < cookies->nelts; i++) {
        const mc_cookie_t *c = &APR_ARRAY_IDX(cookies, i, mc_cookie_t);

        if (i > 0)
            at = stpcpy(at, "; ");
        at = stpcpy(at, c->name);
        *at++ = '=';
        at = stpcpy(at, c->value);
    }
    *at = '\0';
    return out;
}

/* --- expiry headers ----------------------------------------------------------------- */

/* A name we copy into a Set-Cookie value must not be able to add attributes or headers. */
static int expiry_name_safe(const char *name)
{
    if (!name || !*name)
        return 0;
    for (const char *c = name; *c; c++) {
        if (is_ctl(*c) || is_ows(*c) || *c == ';' || *c == ',' || *c == '=')
            return 0;
    }
    return 1;
}

/* Lower-cased host without port and trailing dot, or NULL when it is an IP literal or
 * holds anything but [a-z0-9._-]: such a host gets the host-only deletion only. */
static char *domain_of_host(apr_pool_t *p, const char *host)
{
    const char *colon;
    char *domain;
    size_t len;

    if (!host || *host == '[')
        return NULL;
    colon = strchr(host, ':');
    if (colon && strchr(colon + 1, ':'))
        return NULL; /* an IPv6 address without brackets */
    len = colon ? (size_t)(colon - host) : strlen(host);
    if (len > 0 && host[len - 1] == '.')
        len--;
    domain = apr_pstrmemdup(p, host, len);
    for (char *c = domain; *c; c++) {
        *c = ascii_lower(*c);
        if (!is_alpha(*c) && !is_digit(*c) && *c != '.' && *c != '-' && *c != '_')
            return NULL;
    }
    return domain;
}

/* A URL parser's "ends in a number" test: decimal digits, or "0x" and hex digits. */
static int label_is_number(const char *label)
{
    const char *c = label;
    int hex = c[0] == '0' && (c[1] == 'x' || c[1] == 'X');

    for (c += hex ? 2 : 0; *c; c++) {
        if (!is_digit(*c) && !(hex && strchr("abcdefABCDEF", *c)))
            return 0;
    }
    return 1;
}

/* Every label non-empty, and the last one not a number: a browser reads a host that ends
 * in a number as an IPv4 address (in any of its spellings), which has no parent domain. */
static int domain_is_name(const char *domain)
{
    const char *last = strrchr(domain, '.');
    const char *label = last ? last + 1 : domain;

    if (*domain == '\0' || *domain == '.' || strstr(domain, "..") || *label == '\0')
        return 0;
    return !label_is_number(label);
}

/* Parent domains of DOMAIN with at least two labels, nearest to the top first, at most
 * MAX_PARENTS of them: those nearest the top hold the registrable domain, which is where
 * trackers set their cookies. Walking back from the end keeps this bounded however many
 * labels a hostile Host header has. */
static int pick_parents(const char *domain, const char **parents)
{
    const char *c = domain + strlen(domain);
    int dots = 0;
    int n = 0;

    while (c > domain && n < MAX_PARENTS) {
        c--;
        if (*c != '.')
            continue;
        /* the first dot from the end leaves a one-label suffix ("no"): not a parent */
        if (++dots >= 2)
            parents[n++] = c + 1;
    }
    return n;
}

/* Cookie name prefixes (RFC 6265bis 4.1.3): a browser only accepts a deletion of a
 * "__Secure-" cookie with Secure, and of a "__Host-" cookie also without Domain. */
static int prefix_needs_secure(const char *name)
{
    return strncasecmp(name, "__Secure-", 9) == 0 || strncasecmp(name, "__Host-", 7) == 0;
}

static int prefix_forbids_domain(const char *name)
{
    return strncasecmp(name, "__Host-", 7) == 0;
}

static char *expiry_header(apr_pool_t *p, const char *name, const char *domain, int secure)
{
    return apr_pstrcat(p, name, "=; Max-Age=0; Path=/; Expires=" EPOCH_DATE,
                       domain ? "; Domain=" : "", domain ? domain : "", secure ? "; Secure" : "",
                       (char *)NULL);
}

apr_array_header_t *mc_cookie_expiry_headers(apr_pool_t *p, const char *name, const char *host,
                                             int secure)
{
    apr_array_header_t *out = apr_array_make(p, 1 + MAX_PARENTS, sizeof(char *));
    const char *parents[MAX_PARENTS];
    const char *domain;
    int n = 0;

    if (!expiry_name_safe(name))
        return out;
    secure = secure || prefix_needs_secure(name);
    APR_ARRAY_PUSH(out, char *) = expiry_header(p, name, NULL, secure);
    domain = domain_of_host(p, host);
    if (domain && domain_is_name(domain) && !prefix_forbids_domain(name))
        n = pick_parents(domain, parents);
    for (int i = 0; i < n; i++)
        APR_ARRAY_PUSH(out, char *) = expiry_header(p, name, parents[i], secure);
    return out;
}

int mc_domain_match(const char *host, const char *domain)
{
    size_t hl = strlen(host), dl = strlen(domain);

    if (hl == dl)
        return strcasecmp(host, domain) == 0;
    return hl > dl && host[hl - dl - 1] == '.' && strcasecmp(host + hl - dl, domain) == 0;
}
