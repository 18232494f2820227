/* The cookies the site is seen to set (glue_seen.c): recorded from every
 * response's Set-Cookie fields into one table in shared memory, for the
 * cookie declaration and the banner's second layer. */
#ifndef MC_GLUE_SEEN_H
#define MC_GLUE_SEEN_H

#include "mod_consent.h"

#include "blocked.h"
#include "cookie.h"
#include "seen.h"

/* Entries in the table shared by every process of the server (all its
 * virtual hosts together). */
#define MC_SEEN_CAPACITY 512
/* Blocked hosts (blocked.h) in the same shared memory: a flood of reports
 * naming random hosts adds at most this many entries and log lines. */
#define MC_BLOCKED_CAPACITY 128

void mc_seen_pre_config(apr_pool_t *pconf);
/* Attaches the table (made, and loaded from DefaultRuntimeDir, once per
 * process tree) and arranges for it to be saved when PCONF is cleared. */
int mc_seen_post_config(apr_pool_t *pconf, server_rec *main_server);
void mc_seen_child_init(apr_pool_t *pchild, server_rec *main_server);

/* Notes that R's response sets C (a parsed Set-Cookie that is not a
 * deletion), kept or removed. Cheap: the shared table is written only when
 * this process has not written the cookie in the last minute, or its
 * lifetime grew. Returns what the table did: MC_SEEN_ADDED (or REPLACED)
 * once per cookie for the whole process tree; MC_SEEN_UNCHANGED when it
 * was not written, MC_SEEN_INVALID when it cannot be recorded. */
mc_seen_result_t mc_seen_note(request_rec *r, const mc_setcookie_t *c);

/* 1 when the table records R's site setting cookie NAME with a lifetime
 * (persistent), on any domain. Looked up again at most once a minute per
 * name and process. */
int mc_seen_persistent(request_rec *r, const char *name);

/* R's site's seen cookies, classified for R's scope and sorted
 * (mc_declared_seen_t, declaration.h), the unclassified ones with the
 * treatment of R's ConsentUnclassified, in R's pool. */
apr_array_header_t *mc_seen_declared(request_rec *r);

/* The banner's cookie lists for R's site: the server's lists (DECL made
 * for the server's scope, PLAIN its lists without seen cookies) with the
 * seen cookies added. *CACHE (NULL at first) keeps this process's copy,
 * rebuilt only when the table gained a name. The result is R's. */
typedef struct mc_seen_lists mc_seen_lists_t;
const mc_banner_cookies_t *mc_seen_banner_lists(request_rec *r, mc_seen_lists_t **cache,
                                                const apr_array_header_t *decl,
                                                const mc_banner_cookies_t *plain);

/* Counts a violation of DIRECTIVE (csp.h) by HOST on R's site in the shared
 * table of blocked hosts. *FULL_FIRST is 1 when this is the first host the
 * full table refused since the start or restart. */
mc_blocked_result_t mc_seen_block(request_rec *r, const char *host, int directive,
                                  int *full_first);

/* R's site's blocked hosts (mc_blocked_host_t, sorted by host), in R's pool. */
apr_array_header_t *mc_seen_blocked(request_rec *r);

/* Catalogue services the site uses (inuse.h) in the same shared memory;
 * saved with the seen cookies. */
#define MC_INUSE_CAPACITY 256

/* Notes that R's site uses the services named SERVICES (N catalogue
 * service names, as rules carry them), seen HOW (MC_INUSE_*). Cheap: the
 * shared table is written only for a service this process has not written
 * that way in the last minute. */
void mc_seen_use(request_rec *r, const char *const *services, int n, unsigned how);

/* R's site's services in use (mc_inuse_t, sorted by id), in R's pool. */
apr_array_header_t *mc_seen_in_use(request_rec *r);

/* The services R's site uses (mc_used_service_t *, used.h) with their
 * cookies in LANG, in R's pool. */
apr_array_header_t *mc_seen_used_services(request_rec *r, const char *lang);

/* Sets O's services (the second layer's, per category), recipients and
 * outside_eea for R's site in LOC's language. Cheap: kept per process and
 * remade only when the tables change. */
void mc_seen_banner_services(request_rec *r, const mc_locale_t *loc, mc_banner_opts_t *o);

/* Grows when the site's seen cookies or services in use change: a cache
 * of what is made from them is stale when it moved. */
uint64_t mc_seen_services_generation(void);

/* The site key of S: "host:port". */
const char *mc_seen_site(apr_pool_t *p, const server_rec *s);

#endif
