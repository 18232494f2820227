/* Directives, per-scope configuration and its merging, and the post-config
 * step that compiles each server's categories, rules and key. */
#include "mod_consent.h"

#include "lang.h"

#include "ap_config.h"
#include "http_core.h"
#include "http_main.h"

#include <apr_network_io.h>
#include <apr_strings.h>
#include <errno.h>

#include "builtin.h"
#include "chain.h"

#include "glue_config.h"
#include "glue_log_dbd.h"
#include "glue_log_syslog.h"

APLOG_USE_MODULE(consent);

/* A category named by a per-directory rule. Categories are declared per
 * server and may be declared after the rule that uses them, so the names
 * are checked once the whole configuration is read (mc_config_post). */
typedef struct category_ref {
    const char *category;
    const char *source;
    server_rec *server;
} category_ref_t;

static apr_array_header_t *category_refs;
static int in_config_phase;

static const char *directive_source(cmd_parms *cmd)
{
    if (!cmd->directive)
        return "(unknown)";
    return apr_psprintf(cmd->pool, "%s:%d", cmd->directive->filename, cmd->directive->line_num);
}

void *mc_create_server_conf(apr_pool_t *p, server_rec *s)
{
    mc_server_conf_t *conf = apr_pcalloc(p, sizeof(*conf));

    conf->max_age = MC_UNSET;
    conf->page_cache = MC_UNSET;
    conf->respect_gpc = MC_UNSET;
    conf->shared_cache = MC_UNSET;
    conf->shared_ttl = MC_UNSET;
    return conf;
}

#define MERGE_PTR(field) merged->field = add->field ? add->field : base->field
#define MERGE_INT(field) merged->field = add->field != MC_UNSET ? add->field : base->field

static apr_array_header_t *append_arrays(apr_pool_t *p, const apr_array_header_t *base,
                                         const apr_array_header_t *add)
{
    if (!base)
        return (apr_array_header_t *)add;
    if (!add)
        return (apr_array_header_t *)base;
    return apr_array_append(p, base, add);
}

/* Per-key overrides: the inner scope's entries come first, so that
 * apr_table_get finds them before the outer scope's. */
static apr_table_t *overlay_tables(apr_pool_t *p, const apr_table_t *base,
                                   const apr_table_t *add)
{
    if (!base)
        return (apr_table_t *)add;
    if (!add)
        return (apr_table_t *)base;
    return apr_table_overlay(p, add, base);
}

void *mc_merge_server_conf(apr_pool_t *p, void *basev, void *addv)
{
    const mc_server_conf_t *base = basev, *add = addv;
    mc_server_conf_t *merged = apr_pcalloc(p, sizeof(*merged));

    merged->rules_entries = append_arrays(p, base->rules_entries, add->rules_entries);
    merged->category_decls = append_arrays(p, base->category_decls, add->category_decls);
    MERGE_PTR(policy);
    MERGE_INT(max_age);
    MERGE_INT(page_cache);
    MERGE_PTR(cookie_name);
    MERGE_PTR(cookie_domain);
    MERGE_PTR(key);
    MERGE_PTR(base_path);
    MERGE_PTR(log_target);
    MERGE_PTR(log_source);
    MERGE_INT(respect_gpc);
    MERGE_INT(shared_cache);
    MERGE_INT(shared_ttl);
    MERGE_PTR(admin_addrs);
    merged->engine_used = base->engine_used || add->engine_used;
    return merged;
}

void *mc_create_dir_conf(apr_pool_t *p, char *dir)
{
    mc_dir_conf_t *conf = apr_pcalloc(p, sizeof(*conf));

    conf->engine = MC_UNSET;
    conf->unclassified = MC_UNSET;
    conf->strip_request_cookies = MC_UNSET;
    conf->google_consent_mode = MC_UNSET;
    conf->csp_mode = MC_UNSET;
    conf->unreadable = MC_UNSET;
    conf->banner = MC_UNSET;
    conf->rewrite = MC_UNSET;
    return conf;
}

void *mc_merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
{
    const mc_dir_conf_t *base = basev, *add = addv;
    mc_dir_conf_t *merged = apr_palloc(p, sizeof(*merged));

    MERGE_INT(engine);
    /* Rules add up; the inner scope's come later and so win (last match). */
    merged->rules = append_arrays(p, base->rules, add->rules);
    MERGE_INT(banner);
    MERGE_INT(rewrite);
    MERGE_INT(unclassified);
    MERGE_INT(strip_request_cookies);
    MERGE_PTR(languages);
    merged->texts = overlay_tables(p, base->texts, add->texts);
    MERGE_PTR(privacy_policy);
    MERGE_PTR(reopen_position);
    MERGE_INT(google_consent_mode);
    MERGE_INT(csp_mode);
    MERGE_INT(unreadable);
    /* sources add up, as rules do */
    merged->csp_allow = append_arrays(p, base->csp_allow, add->csp_allow);
    return merged;
}

/* --- directive handlers: each returns NULL or an error httpd reports with
 *     the config file and line ------------------------------------------------ */

static const char *set_engine(cmd_parms *cmd, void *dconf, int on)
{
    mc_dir_conf_t *d = dconf;

    d->engine = on;
    /* .htaccess files are read per request, when the server config is
     * shared and read-only; only the main config may mark the server. */
    if (on && in_config_phase)
        mc_server_conf(cmd->server)->engine_used = 1;
    return NULL;
}

static void category_ref(cmd_parms *cmd, const char *category)
{
    category_ref_t *ref = apr_array_push(category_refs);

    ref->category = apr_pstrdup(cmd->pool, category);
    ref->source = directive_source(cmd);
    ref->server = cmd->server;
}

static const char *add_rule(cmd_parms *cmd, mc_dir_conf_t *d, mc_rule_kind_t kind,
                            const char *category, const char *pattern)
{
    mc_ruleset_t *rs;
    const char *err = NULL;
    const char *source = directive_source(cmd);

    if (!mc_category_name_valid(category))
        return apr_psprintf(cmd->pool, "%s: '%s' is not a category name", cmd->cmd->name,
                            category);
    /* mc_ruleset_add compiles and validates the pattern; the rule itself
     * is kept in the directory's plain array. */
    rs = mc_ruleset_make(cmd->pool);
    if (mc_ruleset_add(rs, kind, category, pattern, source, &err) != MC_OK)
        return apr_psprintf(cmd->pool, "%s %s: %s", cmd->cmd->name, category, err);
    if (!d->rules)
        d->rules = apr_array_make(cmd->pool, 4, sizeof(mc_rule_t));
    *(mc_rule_t *)apr_array_push(d->rules) = APR_ARRAY_IDX(rs->rules[kind], 0, mc_rule_t);
    category_ref(cmd, category);
    return NULL;
}

static const char *add_cookie_rule(cmd_parms *cmd, void *dconf, const char *category,
                                   const char *pattern)
{
    return add_rule(cmd, dconf, MC_RULE_COOKIE, category, pattern);
}

static const char *add_script_rule(cmd_parms *cmd, void *dconf, const char *category,
                                   const char *pattern)
{
    return add_rule(cmd, dconf, MC_RULE_URL, category, pattern);
}

/* One regex, not a list: a signature may well contain spaces. */
static const char *add_inline_rule(cmd_parms *cmd, void *dconf, const char *category,
                                   const char *regex)
{
    return add_rule(cmd, dconf, MC_RULE_INLINE, category, regex);
}

static const char *set_unclassified(cmd_parms *cmd, void *dconf, const char *arg)
{
    mc_dir_conf_t *d = dconf;

    if (strcasecmp(arg, "allow") == 0)
        d->unclassified = MC_UNCLASSIFIED_ALLOW;
    else if (strcasecmp(arg, "block") == 0)
        d->unclassified = MC_UNCLASSIFIED_BLOCK;
    else if (strcasecmp(arg, "hold") == 0)
        d->unclassified = MC_UNCLASSIFIED_HOLD;
    else
        return apr_psprintf(cmd->pool,
                            "ConsentUnclassified takes 'hold', 'allow' or 'block', not '%s'", arg);
    return NULL;
}

/* ConsentAdminAddress ADDR[/BITS]...: an IPv4 or IPv6 address, with an
 * optional prefix length, as mod_authz_host's "Require ip" reads it. */
static const char *add_admin_address(cmd_parms *cmd, void *dconf, const char *arg)
{
    mc_server_conf_t *conf = mc_server_conf(cmd->server);
    char *addr = apr_pstrdup(cmd->pool, arg);
    char *bits = strchr(addr, '/');
    apr_ipsubnet_t *subnet;
    apr_status_t rv;

    if (bits)
        *bits++ = '\0';
    if (!*addr || (bits && (!*bits || strspn(bits, "0123456789") != strlen(bits))))
        return apr_psprintf(cmd->pool, "ConsentAdminAddress '%s': not ADDRESS or ADDRESS/BITS",
                            arg);
    /* apr_ipsubnet_create also takes "10.1" as 10.1.0.0/16: only whole
     * addresses here, so that a typo is not a wider net than meant */
    if (!strchr(addr, ':') && strspn(addr, "0123456789.") == strlen(addr)) {
        int dots = 0;
        for (const char *c = addr; *c; c++)
            dots += *c == '.';
        if (dots != 3)
            return apr_psprintf(cmd->pool,
                                "ConsentAdminAddress '%s': not a whole IPv4 address", arg);
    }
    rv = apr_ipsubnet_create(&subnet, addr, bits, cmd->pool);
    if (rv != APR_SUCCESS) {
        char err[128];
        return apr_psprintf(cmd->pool, "ConsentAdminAddress '%s': %s", arg,
                            APR_STATUS_IS_EINVAL(rv) ? "not an IP address or network"
                                                     : apr_strerror(rv, err, sizeof(err)));
    }
    if (!conf->admin_addrs)
        conf->admin_addrs = apr_array_make(cmd->pool, 2, sizeof(apr_ipsubnet_t *));
    APR_ARRAY_PUSH(conf->admin_addrs, apr_ipsubnet_t *) = subnet;
    return NULL;
}

int mc_is_admin(const request_rec *r)
{
    const mc_server_conf_t *conf = mc_server_conf(r->server);
    apr_sockaddr_t *sa;

    if (!conf->admin_addrs || !r->useragent_ip)
        return 0;
    sa = r->useragent_addr;
    if (!sa && apr_sockaddr_info_get(&sa, r->useragent_ip, APR_UNSPEC, 0, APR_IPV4_ADDR_OK,
                                     r->pool) != APR_SUCCESS)
        return 0;
    for (int i = 0; i < conf->admin_addrs->nelts; i++) {
        if (apr_ipsubnet_test(APR_ARRAY_IDX(conf->admin_addrs, i, apr_ipsubnet_t *), sa))
            return 1;
    }
    return 0;
}

static const char *set_strip(cmd_parms *cmd, void *dconf, int on)
{
    ((mc_dir_conf_t *)dconf)->strip_request_cookies = on;
    return NULL;
}

static const char *set_banner(cmd_parms *cmd, void *dconf, int on)
{
    ((mc_dir_conf_t *)dconf)->banner = on;
    return NULL;
}

static const char *set_rewrite(cmd_parms *cmd, void *dconf, int on)
{
    ((mc_dir_conf_t *)dconf)->rewrite = on;
    return NULL;
}

static const char *set_google_consent_mode(cmd_parms *cmd, void *dconf, int on)
{
    ((mc_dir_conf_t *)dconf)->google_consent_mode = on;
    return NULL;
}

static const char *set_reopen_position(cmd_parms *cmd, void *dconf, const char *arg)
{
    if (!mc_reopen_position_valid(arg))
        return apr_psprintf(cmd->pool,
                            "%s: '%s' is not a corner: bottom-left, bottom-right, top-left or "
                            "top-right",
                            cmd->cmd->name, arg);
    ((mc_dir_conf_t *)dconf)->reopen_position = arg;
    return NULL;
}

static const char *add_language(cmd_parms *cmd, void *dconf, const char *lang)
{
    mc_dir_conf_t *d = dconf;
    char *copy;

    if (!mc_lang_tag_valid(lang))
        return apr_psprintf(cmd->pool, "ConsentLanguages: '%s' is not a language tag like nb or en",
                            lang);
    /* A scope that names languages replaces the outer list, not extends it. */
    if (!d->languages)
        d->languages = apr_array_make(cmd->pool, 3, sizeof(const char *));
    copy = apr_pstrdup(cmd->pool, lang);
    ap_str_tolower(copy);
    APR_ARRAY_PUSH(d->languages, const char *) = copy;
    return NULL;
}

static const char *add_rules_file(cmd_parms *cmd, void *dconf, const char *arg)
{
    mc_server_conf_t *s = mc_server_conf(cmd->server);
    mc_rules_entry_t *entry;
    const char *err = NULL;
    mc_status_t rv;

    entry = apr_palloc(cmd->pool, sizeof(*entry));
    entry->rules = mc_ruleset_make(cmd->pool);
    entry->source = directive_source(cmd);
    if (strcmp(arg, "default") == 0) {
        const mc_builtin_file_t *f = mc_builtin_find("rules/default.json");
        rv = mc_ruleset_load_json(entry->rules, f->data, f->len, "default catalogue", &err);
    }
    else {
        const char *path = ap_server_root_relative(cmd->pool, arg);
        if (!path)
            return apr_psprintf(cmd->pool, "ConsentRules: invalid path '%s'", arg);
        rv = mc_ruleset_load_file(entry->rules, path, &err);
    }
    if (rv != MC_OK)
        return apr_psprintf(cmd->pool, "ConsentRules %s: %s", arg, err);
    if (!s->rules_entries)
        s->rules_entries = apr_array_make(cmd->pool, 2, sizeof(mc_rules_entry_t));
    *(mc_rules_entry_t *)apr_array_push(s->rules_entries) = *entry;
    return NULL;
}

static const char *add_category(cmd_parms *cmd, void *dconf, const char *name,
                                const char *flag)
{
    mc_server_conf_t *s = mc_server_conf(cmd->server);
    mc_category_decl_t *decl;

    if (!mc_category_name_valid(name))
        return apr_psprintf(cmd->pool,
                            "ConsentCategory: '%s' is not a valid name (1 to 32 characters of "
                            "a-z, 0-9, '_' and '-')",
                            name);
    if (flag && strcasecmp(flag, "required") != 0)
        return apr_psprintf(cmd->pool, "ConsentCategory %s: the optional second word is "
                                       "'required', not '%s'", name, flag);
    if (strcmp(name, "necessary") == 0 && !flag)
        return "ConsentCategory: 'necessary' is built in and always required";
    if (!s->category_decls)
        s->category_decls = apr_array_make(cmd->pool, 2, sizeof(mc_category_decl_t));
    decl = apr_array_push(s->category_decls);
    decl->name = apr_pstrdup(cmd->pool, name);
    decl->required = flag != NULL;
    decl->source = directive_source(cmd);
    return NULL;
}

static const char *set_policy(cmd_parms *cmd, void *dconf, const char *arg)
{
    size_t len = strlen(arg);

    if (len == 0 || len > 64)
        return "ConsentPolicyVersion: give 1 to 64 characters, e.g. 2 or 2026-01";
    for (const char *c = arg; *c; c++) {
        if (!apr_isalnum(*c) && !strchr("._:-", *c))
            return apr_psprintf(cmd->pool,
                                "ConsentPolicyVersion: '%s' may use only letters, digits and "
                                "'.', '_', ':', '-'",
                                arg);
    }
    mc_server_conf(cmd->server)->policy = arg;
    return NULL;
}

/* Longest lifetime accepted: 400 days. Regulators treat consent older than
 * about 13 months as stale, and browsers cap cookie lifetimes at 400 days. */
#define MC_MAX_AGE_LIMIT 34560000

static const char *set_max_age(cmd_parms *cmd, void *dconf, const char *arg)
{
    char *end = NULL;
    apr_int64_t v;

    errno = 0;
    v = apr_strtoi64(arg, &end, 10);
    if (errno || !end || *end || end == arg || v < 1 || v > MC_MAX_AGE_LIMIT)
        return apr_psprintf(cmd->pool,
                            "ConsentMaxAge: '%s' is not a number of seconds from 1 to %d "
                            "(400 days)",
                            arg, MC_MAX_AGE_LIMIT);
    mc_server_conf(cmd->server)->max_age = v;
    return NULL;
}

/* Largest ConsentPageCache: 1 GB a child process. */
#define MC_PAGE_CACHE_LIMIT ((uint64_t)1 << 30)

static const char *set_page_cache(cmd_parms *cmd, void *dconf, const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    uint64_t v;

    if (err)
        return err;
    if (strcasecmp(arg, "off") == 0)
        v = 0;
    else if (mc_size_parse(arg, MC_PAGE_CACHE_LIMIT, &v) != MC_OK)
        return apr_psprintf(cmd->pool,
                            "ConsentPageCache: '%s' is not Off or a size in bytes up to 1G "
                            "(such as 16M or 512K)",
                            arg);
    mc_server_conf(cmd->server)->page_cache = (apr_int64_t)v;
    return NULL;
}

static const char *set_cookie_name(cmd_parms *cmd, void *dconf, const char *arg)
{
    if (!mc_cookie_name_valid(arg, 64))
        return apr_psprintf(cmd->pool,
                            "ConsentCookieName: '%s' is not a cookie name (1 to 64 letters, "
                            "digits or !#$%%&'*+-.^_`|~)",
                            arg);
    mc_server_conf(cmd->server)->cookie_name = arg;
    return NULL;
}

static int domain_valid(const char *d)
{
    int labels = 0;
    size_t label_len = 0;

    for (const char *c = d;; c++) {
        if (*c == '.' || *c == '\0') {
            if (label_len == 0 || label_len > 63)
                return 0;
            labels++;
            label_len = 0;
            if (*c == '\0')
                break;
        }
        else if (apr_isalnum(*c) || *c == '-')
            label_len++;
        else
            return 0;
    }
    return labels >= 2 && strlen(d) <= 253;
}

static const char *set_cookie_domain(cmd_parms *cmd, void *dconf, const char *arg)
{
    char *domain = apr_pstrdup(cmd->pool, arg[0] == '.' ? arg + 1 : arg);

    if (!domain_valid(domain))
        return apr_psprintf(cmd->pool,
                            "ConsentCookieDomain: '%s' is not a domain like example.no", arg);
    ap_str_tolower(domain);
    mc_server_conf(cmd->server)->cookie_domain = domain;
    return NULL;
}

static const char *set_secret_file(cmd_parms *cmd, void *dconf, const char *arg)
{
    mc_server_conf_t *s = mc_server_conf(cmd->server);
    const char *path = ap_server_root_relative(cmd->pool, arg);
    const char *err = NULL;

    if (!path)
        return apr_psprintf(cmd->pool, "ConsentSecretFile: invalid path '%s'", arg);
    s->key = apr_pcalloc(cmd->pool, sizeof(*s->key));
    if (mc_token_key_from_file(cmd->pool, path, s->key, &err) != MC_OK)
        return apr_psprintf(cmd->pool, "ConsentSecretFile: %s", err);
    return NULL;
}

static const char *set_base_path(cmd_parms *cmd, void *dconf, const char *arg)
{
    char *path = apr_pstrdup(cmd->pool, arg);
    size_t len = strlen(path);

    while (len > 1 && path[len - 1] == '/')
        path[--len] = '\0';
    if (path[0] != '/' || len < 2 || strstr(path, "//") || strstr(path, "/../") ||
        strstr(path, "/./"))
        return apr_psprintf(cmd->pool,
                            "ConsentBasePath: '%s' must be a URL path such as /_consent", arg);
    for (const char *c = path; *c; c++) {
        if (!apr_isalnum(*c) && !strchr("/-._~", *c))
            return apr_psprintf(cmd->pool,
                                "ConsentBasePath: '%s' may use only letters, digits and "
                                "'/', '-', '.', '_', '~'",
                                arg);
    }
    mc_server_conf(cmd->server)->base_path = path;
    return NULL;
}

static const char *set_log(cmd_parms *cmd, void *dconf, const char *arg)
{
    mc_server_conf_t *s = mc_server_conf(cmd->server);

    if (!*arg || (arg[0] == '|' && !arg[1]))
        return "ConsentLog: give a file, or \"|command\"";
    if (strncasecmp(arg, "syslog", 6) == 0 && (arg[6] == '\0' || arg[6] == ':')) {
        const char *err = mc_consentlog_syslog_parse(cmd->pool, arg, &s->log_target);

        if (err)
            return apr_psprintf(cmd->pool, "ConsentLog %s: %s", arg, err);
        s->log_source = directive_source(cmd);
        return NULL;
    }
    if (strcasecmp(arg, "dbd") == 0) {
        /* once per server: mod_dbd warns about a label registered twice */
        const char *err = s->log_target && strcmp(s->log_target, "dbd") == 0
                              ? NULL
                              : mc_consentlog_dbd_prepare(cmd);

        if (err)
            return err;
        s->log_target = "dbd";
        s->log_source = directive_source(cmd);
        return NULL;
    }
    if (arg[0] == '|')
        s->log_target = arg;
    else {
        s->log_target = ap_server_root_relative(cmd->pool, arg);
        if (!s->log_target)
            return apr_psprintf(cmd->pool, "ConsentLog: invalid path '%s'", arg);
    }
    s->log_source = directive_source(cmd);
    return NULL;
}

static const char *set_log_chain(cmd_parms *cmd, void *dconf, const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);

    (void)dconf;
    if (err)
        return err;
    if (!mc_chain_name_valid(arg))
        return apr_psprintf(cmd->pool,
                            "ConsentLogChain: '%s' is not a chain name (1-%d letters, digits, "
                            "'.', '_' or '-')",
                            arg, MC_CHAIN_NAME_MAX);
    mc_server_conf(cmd->server)->log_chain = arg;
    return NULL;
}

/* A shared cache keeps a page at most a year (RFC 9111's advice for
 * "never expires"); a page made under a changed configuration is kept as
 * long as this. */
#define MC_SHARED_TTL_LIMIT 31536000

static const char *set_shared_cache(cmd_parms *cmd, void *dconf, const char *flag,
                                    const char *seconds)
{
    mc_server_conf_t *s = mc_server_conf(cmd->server);
    char *end = NULL;
    apr_int64_t v;

    (void)dconf;
    if (strcasecmp(flag, "off") == 0) {
        s->shared_cache = 0;
        return seconds ? "ConsentSharedCache Off takes no seconds" : NULL;
    }
    if (strcasecmp(flag, "on") != 0)
        return apr_psprintf(cmd->pool,
                            "ConsentSharedCache: '%s' is not On or Off (ConsentSharedCache On "
                            "[SECONDS])",
                            flag);
    s->shared_cache = 1;
    if (!seconds)
        return NULL;
    errno = 0;
    v = apr_strtoi64(seconds, &end, 10);
    if (errno || !end || *end || end == seconds || v < 1 || v > MC_SHARED_TTL_LIMIT)
        return apr_psprintf(cmd->pool,
                            "ConsentSharedCache On: '%s' is not a number of seconds from 1 to %d "
                            "(how long a shared cache may keep a page)",
                            seconds, MC_SHARED_TTL_LIMIT);
    s->shared_ttl = v;
    return NULL;
}

static const char *set_respect_gpc(cmd_parms *cmd, void *dconf, int on)
{
    mc_server_conf(cmd->server)->respect_gpc = on;
    return NULL;
}

/* --- the banner's texts and links ---------------------------------------------- */

/* The longest privacy policy URL the banner links to. */
#define PRIVACY_URL_MAX 2048

static const char *set_text(cmd_parms *cmd, void *dconf, const char *lang, const char *key,
                            const char *text)
{
    mc_dir_conf_t *d = dconf;
    const char *problem;
    char *tag;

    if (!mc_lang_tag_valid(lang))
        return apr_psprintf(cmd->pool, "ConsentText: '%s' is not a language tag like nb or en",
                            lang);
    if (!mc_locale_key_known(key))
        return apr_psprintf(cmd->pool, "ConsentText %s: unknown text key '%s'; the keys are: %s",
                            lang, key, mc_locale_keys_list(cmd->pool));
    if ((problem = mc_locale_text_problem(text)) != NULL)
        return apr_psprintf(cmd->pool, "ConsentText %s %s: %s", lang, key, problem);
    if (strncmp(key, "category.", 9) == 0) {
        /* "category.NAME.title": NAME must be declared (checked once the
         * whole configuration is read) */
        const char *name = key + 9;
        category_ref(cmd, apr_pstrndup(cmd->pool, name, strcspn(name, ".")));
    }
    tag = apr_pstrdup(cmd->pool, lang);
    ap_str_tolower(tag);
    if (!d->texts)
        d->texts = apr_table_make(cmd->pool, 4);
    apr_table_set(d->texts, apr_pstrcat(cmd->pool, tag, " ", key, NULL), text);
    return NULL;
}

/* NULL when URL may be linked from the banner: an absolute http(s) URL or
 * a site path ("/personvern"). */
static const char *privacy_url_problem(apr_pool_t *p, const char *url)
{
    apr_uri_t uri;
    size_t len = strlen(url);

    if (len == 0 || len > PRIVACY_URL_MAX)
        return "give a URL of 1 to 2048 characters";
    for (const unsigned char *c = (const unsigned char *)url; *c; c++) {
        if (*c <= ' ' || *c == 0x7f || *c == '"' || *c == '<' || *c == '>' || *c == '\\')
            return "the URL contains a space, a quote, '<', '>' or '\\' (percent-encode them)";
    }
    if (url[0] == '/')
        return url[1] == '/' ? "a path must not start with '//'" : NULL;
    if ((strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0) ||
        apr_uri_parse(p, url, &uri) != APR_SUCCESS || !uri.hostname || !*uri.hostname)
        return "give an http:// or https:// URL, or a path starting with '/'";
    return NULL;
}

static const char *set_privacy_policy(cmd_parms *cmd, void *dconf, const char *url)
{
    const char *problem = privacy_url_problem(cmd->pool, url);

    if (problem)
        return apr_psprintf(cmd->pool, "ConsentPrivacyPolicy '%s': %s", url, problem);
    ((mc_dir_conf_t *)dconf)->privacy_policy = url;
    return NULL;
}

/* --- the Content-Security-Policy (ConsentCSP) ------------------------------------ */

static const char *set_csp(cmd_parms *cmd, void *dconf, const char *arg)
{
    mc_dir_conf_t *d = dconf;

    if (strcasecmp(arg, "off") == 0)
        d->csp_mode = MC_CSP_OFF;
    else if (strcasecmp(arg, "report") == 0)
        d->csp_mode = MC_CSP_REPORT;
    else if (strcasecmp(arg, "enforce") == 0)
        d->csp_mode = MC_CSP_ENFORCE;
    else
        return apr_psprintf(cmd->pool, "ConsentCSP takes Off, Report or Enforce, not '%s'", arg);
    return NULL;
}

/* ConsentUnreadable sandbox|refuse|pass */
static const char *set_unreadable(cmd_parms *cmd, void *dconf, const char *arg)
{
    mc_dir_conf_t *d = dconf;

    if (strcasecmp(arg, "sandbox") == 0)
        d->unreadable = MC_UNREADABLE_SANDBOX;
    else if (strcasecmp(arg, "refuse") == 0)
        d->unreadable = MC_UNREADABLE_REFUSE;
    else if (strcasecmp(arg, "pass") == 0)
        d->unreadable = MC_UNREADABLE_PASS;
    else
        return apr_psprintf(cmd->pool,
                            "ConsentUnreadable takes 'sandbox', 'refuse' or 'pass', not '%s'", arg);
    return NULL;
}

static const char *add_csp_allow(cmd_parms *cmd, void *dconf, const char *source)
{
    mc_dir_conf_t *d = dconf;
    const char *why = mc_csp_allow_check(source);
    char *copy;

    if (why)
        return apr_psprintf(cmd->pool, "ConsentCSPAllow '%s': %s", source, why);
    if (!d->csp_allow)
        d->csp_allow = apr_array_make(cmd->pool, 4, sizeof(const char *));
    copy = apr_pstrdup(cmd->pool, source);
    ap_str_tolower(copy);
    APR_ARRAY_PUSH(d->csp_allow, const char *) = copy;
    return NULL;
}

const command_rec mc_directives[] = {
    AP_INIT_FLAG("ConsentEngine", set_engine, NULL, RSRC_CONF | ACCESS_CONF | OR_FILEINFO,
                 "On to enforce cookie consent in this scope (default Off)"),
    AP_INIT_TAKE1("ConsentRules", add_rules_file, NULL, RSRC_CONF,
                  "a JSON rule catalogue, or 'default' for the shipped one; may repeat"),
    AP_INIT_ITERATE2("ConsentCookieRule", add_cookie_rule, NULL, RSRC_CONF | ACCESS_CONF,
                     "CATEGORY PATTERN...: classify cookie names (glob, or ~regex)"),
    AP_INIT_ITERATE2("ConsentScriptRule", add_script_rule, NULL, RSRC_CONF | ACCESS_CONF,
                     "CATEGORY PATTERN...: classify script, iframe, image and link URLs "
                     "(host[/path] glob, or ~regex)"),
    AP_INIT_TAKE2("ConsentInlineRule", add_inline_rule, NULL, RSRC_CONF | ACCESS_CONF,
                  "CATEGORY REGEX: classify inline scripts by a PCRE2 signature"),
    AP_INIT_TAKE12("ConsentCategory", add_category, NULL, RSRC_CONF,
                   "NAME [required]: declare an extra consent category"),
    AP_INIT_TAKE1("ConsentUnclassified", set_unclassified, NULL, RSRC_CONF | ACCESS_CONF,
                  "hold, allow or block cookies no rule classifies (default hold: persistent "
                  "ones wait until the visitor accepts every category, session ones pass)"),
    AP_INIT_ITERATE("ConsentAdminAddress", add_admin_address, NULL, RSRC_CONF,
                    "ADDR[/BITS]...: clients whose settings page shows the administrator's "
                    "panel (unclassified cookies and how to classify them)"),
    AP_INIT_TAKE1("ConsentPolicyVersion", set_policy, NULL, RSRC_CONF,
                  "policy version; changing it asks every visitor again (default 1)"),
    AP_INIT_TAKE1("ConsentMaxAge", set_max_age, NULL, RSRC_CONF,
                  "seconds a decision lasts (default 15552000, 180 days)"),
    AP_INIT_TAKE1("ConsentCookieName", set_cookie_name, NULL, RSRC_CONF,
                  "name of the consent cookie (default consent)"),
    AP_INIT_TAKE1("ConsentCookieDomain", set_cookie_domain, NULL, RSRC_CONF,
                  "domain to share one decision across subdomains (default host only)"),
    AP_INIT_TAKE1("ConsentSecretFile", set_secret_file, NULL, RSRC_CONF,
                  "file holding the key that signs consent cookies"),
    AP_INIT_TAKE1("ConsentBasePath", set_base_path, NULL, RSRC_CONF,
                  "URL path of the module's endpoint (default /_consent)"),
    AP_INIT_TAKE1("ConsentLogChain", set_log_chain, NULL, RSRC_CONF,
                  "the name of this server's chain in the consent log (default: host name)"),
    AP_INIT_TAKE1("ConsentLog", set_log, NULL, RSRC_CONF,
                  "where decisions are recorded: a file, \"|command\", syslog[:FACILITY], "
                  "or dbd (mod_dbd)"),
    AP_INIT_FLAG("ConsentRespectGPC", set_respect_gpc, NULL, RSRC_CONF,
                 "On to treat Sec-GPC: 1 as refusing marketing (default On)"),
    AP_INIT_TAKE12("ConsentSharedCache", set_shared_cache, NULL, RSRC_CONF,
                   "On [SECONDS] to let a shared cache (Varnish, a CDN) in front keep rewritten "
                   "pages per consent state, for up to SECONDS (default 120); Off (the default) "
                   "keeps them private"),
    AP_INIT_FLAG("ConsentStripRequestCookies", set_strip, NULL, RSRC_CONF | ACCESS_CONF,
                 "On to hide refused cookies from handlers and backends (default Off)"),
    AP_INIT_FLAG("ConsentBanner", set_banner, NULL, RSRC_CONF | ACCESS_CONF | OR_FILEINFO,
                 "Off: pages here get no banner (staff pages); what they carry is held back "
                 "all the same (default On)"),
    AP_INIT_FLAG("ConsentRewrite", set_rewrite, NULL, RSRC_CONF | ACCESS_CONF | OR_FILEINFO,
                 "Off: pages here go out as written (nothing held back, no banner, no policy "
                 "of the module's); cookies are filtered all the same (default On)"),
    AP_INIT_FLAG("ConsentGoogleConsentMode", set_google_consent_mode, NULL, RSRC_CONF | ACCESS_CONF,
                 "On to send Google Consent Mode v2 default and update signals (default Off)"),
    AP_INIT_TAKE1("ConsentUnreadable", set_unreadable, NULL, RSRC_CONF | ACCESS_CONF,
                  "sandbox, refuse or pass: what becomes of a page the rewriter cannot read "
                  "(an unknown Content-Encoding, ISO-2022-JP, an XML document) for a visitor "
                  "who has not granted everything (default sandbox)"),
    AP_INIT_TAKE1("ConsentCSP", set_csp, NULL, RSRC_CONF | ACCESS_CONF | OR_FILEINFO,
                  "Off, Report or Enforce: a Content-Security-Policy that lets pages reach only "
                  "the site, necessary hosts and the hosts of granted categories (default Off)"),
    AP_INIT_ITERATE("ConsentCSPAllow", add_csp_allow, NULL,
                    RSRC_CONF | ACCESS_CONF | OR_FILEINFO,
                    "hosts the site's pages may always reach under ConsentCSP (fonts, CDN)"),
    AP_INIT_ITERATE("ConsentLanguages", add_language, NULL, RSRC_CONF | ACCESS_CONF,
                    "banner languages offered; the first is the fallback (default nb nn en)"),
    AP_INIT_TAKE3("ConsentText", set_text, NULL, RSRC_CONF | ACCESS_CONF,
                  "LANG KEY \"TEXT\": replaces one banner text in one language"),
    AP_INIT_TAKE1("ConsentPrivacyPolicy", set_privacy_policy, NULL, RSRC_CONF | ACCESS_CONF,
                  "URL of the privacy policy the banner links to"),
    AP_INIT_TAKE1("ConsentReopenPosition", set_reopen_position, NULL, RSRC_CONF | ACCESS_CONF,
                  "corner of the \"Cookie settings\" control: bottom-left (default), "
                  "bottom-right, top-left or top-right"),
    AP_INIT_TAKE1("ConsentPageCache", set_page_cache, NULL, RSRC_CONF,
                  "bytes of rewritten static pages each child process keeps, such as 16M, or "
                  "Off (default 8M)"),
    {NULL}};

/* --- after the configuration is read ------------------------------------------- */

void mc_config_pre(apr_pool_t *pconf)
{
    category_refs = apr_array_make(pconf, 8, sizeof(category_ref_t));
    in_config_phase = 1;
}

static int build_categories(apr_pool_t *p, server_rec *s, mc_server_conf_t *conf)
{
    const char *err = NULL;

    conf->cats = mc_categories_make(p);
    for (int i = 0; conf->category_decls && i < conf->category_decls->nelts; i++) {
        const mc_category_decl_t *decl =
            &APR_ARRAY_IDX(conf->category_decls, i, mc_category_decl_t);
        if (mc_categories_add(conf->cats, decl->name, decl->required, &err) != MC_OK) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                         MCLOGNO(00001) "%s: ConsentCategory %s: %s", decl->source, decl->name,
                         err);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    return OK;
}

static int build_rules(apr_pool_t *p, server_rec *s, mc_server_conf_t *conf)
{
    const char *err = NULL;

    conf->rules = mc_ruleset_make(p);
    if (!conf->rules_entries) {
        const mc_builtin_file_t *f = mc_builtin_find("rules/default.json");
        if (mc_ruleset_load_json(conf->rules, f->data, f->len, "default catalogue", &err) !=
            MC_OK) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                         MCLOGNO(00002) "the built-in rule catalogue does not load: %s", err);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        return OK;
    }
    for (int i = 0; i < conf->rules_entries->nelts; i++) {
        const mc_rules_entry_t *entry = &APR_ARRAY_IDX(conf->rules_entries, i, mc_rules_entry_t);
        if (mc_ruleset_check_categories(entry->rules, conf->cats, &err) != MC_OK) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                         MCLOGNO(00003) "%s: ConsentRules: %s (declare it with ConsentCategory)",
                         entry->source, err);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        mc_ruleset_append(conf->rules, entry->rules);
    }
    return OK;
}

/* ConsentSharedCache On: the key's cookie is a necessary one of the
 * module's own, after every catalogue so that no other rule wins for it;
 * the declaration then lists it, and it is never expired as refused. Off,
 * it is a cookie like any other: one left from when it was On goes. */
static int add_state_cookie_rule(server_rec *s, mc_server_conf_t *conf)
{
    const char *err = NULL;

    if (conf->shared_cache != 1)
        return OK;
    if (mc_ruleset_add(conf->rules, MC_RULE_COOKIE, "necessary", conf->state_cookie_name,
                       "ConsentSharedCache", &err) != MC_OK) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                     MCLOGNO(00330) "ConsentSharedCache: the cookie name '%s' cannot be a rule: "
                                    "%s; choose another ConsentCookieName",
                     conf->state_cookie_name, err);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

static int check_category_refs(server_rec *main_server)
{
    for (int i = 0; i < category_refs->nelts; i++) {
        const category_ref_t *ref = &APR_ARRAY_IDX(category_refs, i, category_ref_t);
        /* Directory rules of the main server apply in every virtual host. */
        for (server_rec *s = main_server; s; s = s->next) {
            const mc_server_conf_t *conf = mc_server_conf(s);
            if (ref->server != main_server && ref->server != s)
                continue;
            if (mc_categories_index(conf->cats, ref->category) < 0) {
                ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                             MCLOGNO(00004) "%s: unknown consent category '%s' (declare it "
                                            "with ConsentCategory)",
                             ref->source, ref->category);
                return HTTP_INTERNAL_SERVER_ERROR;
            }
        }
    }
    return OK;
}

/* Without ConsentSecretFile every server of this process signs with one
 * random key. Its bytes are kept in the process pool, so that it survives
 * graceful restarts (consent would otherwise be voided by each restart);
 * its MAC states in a copy in PCONF, whose cleanup runs before this module
 * is unloaded (one in the process pool would be called at exit, at an
 * address where this module's code no longer is). */
static const mc_token_key_t *process_random_key(apr_pool_t *pconf, server_rec *s)
{
    static const char *const userdata_key = "mod_consent:random-key";
    apr_pool_t *proc_pool = s->process->pool;
    void *data = NULL;
    mc_token_key_t *key;

    apr_pool_userdata_get(&data, userdata_key, proc_pool);
    if (!data) {
        key = apr_pcalloc(proc_pool, sizeof(*key));
        if (mc_token_key_random(key) != MC_OK)
            return NULL;
        apr_pool_userdata_set(key, userdata_key, apr_pool_cleanup_null, proc_pool);
        data = key;
    }
    key = apr_pmemdup(pconf, data, sizeof(*key));
    mc_token_key_prepare(pconf, key);
    return key;
}

int mc_config_post(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *main_server)
{
    const mc_token_key_t *random_key = NULL;
    int warned_key = 0;
    int rv;

    in_config_phase = 0;
    for (server_rec *s = main_server; s; s = s->next) {
        mc_server_conf_t *conf = mc_server_conf(s);

        if ((rv = build_categories(pconf, s, conf)) != OK || (rv = build_rules(pconf, s, conf)) != OK)
            return rv;
        if (!conf->policy)
            conf->policy = MC_DEFAULT_POLICY;
        if (conf->max_age == MC_UNSET)
            conf->max_age = MC_DEFAULT_MAX_AGE;
        if (!conf->cookie_name)
            conf->cookie_name = MC_DEFAULT_COOKIE;
        conf->state_cookie_name =
            apr_pstrcat(pconf, conf->cookie_name, MC_STATE_COOKIE_SUFFIX, NULL);
        if (conf->shared_cache == MC_UNSET)
            conf->shared_cache = 0;
        if (conf->shared_ttl == MC_UNSET)
            conf->shared_ttl = MC_DEFAULT_SHARED_TTL;
        if ((rv = add_state_cookie_rule(s, conf)) != OK)
            return rv;
        if (!conf->base_path)
            conf->base_path = MC_DEFAULT_BASE;
        if (conf->respect_gpc == MC_UNSET)
            conf->respect_gpc = 1;
        conf->signing_key = conf->key;
        if (!conf->signing_key) {
            if (!random_key)
                random_key = process_random_key(pconf, s);
            conf->signing_key = random_key;
            if (!conf->signing_key) {
                ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                             MCLOGNO(00005) "no random key could be made for consent cookies; "
                                            "set ConsentSecretFile");
                return HTTP_INTERNAL_SERVER_ERROR;
            }
            if (conf->engine_used && !warned_key &&
                ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_CREATE_PRE_CONFIG) {
                ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                             MCLOGNO(00006) "no ConsentSecretFile: consent cookies are signed "
                                            "with a random key that a full restart replaces "
                                            "(every visitor is then asked again) and that other "
                                            "servers do not share");
                warned_key = 1;
            }
        }
    }
    return check_category_refs(main_server);
}

int mc_engine_on(const request_rec *r)
{
    const mc_dir_conf_t *d = mc_dir_conf(r);
    return d && d->engine == 1;
}

int mc_rewrite_on(const request_rec *r)
{
    const mc_dir_conf_t *d = mc_dir_conf(r);
    return !d || d->rewrite != 0;
}

const char *mc_dir_language(const mc_dir_conf_t *d, int index)
{
    static const char *const defaults[] = {"nb", "nn", "en"};

    if (d->languages)
        return index < d->languages->nelts ? APR_ARRAY_IDX(d->languages, index, const char *)
                                           : NULL;
    return index >= 0 && index < 3 ? defaults[index] : NULL;
}
