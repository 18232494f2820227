/* The configuration (glue_config.c): the directives, the merging of
 * scopes, and the checks once the whole configuration is read. */
#ifndef MC_GLUE_CONFIG_H
#define MC_GLUE_CONFIG_H

#include "mod_consent.h"

extern const command_rec mc_directives[];
void *mc_create_server_conf(apr_pool_t *p, server_rec *s);
void *mc_merge_server_conf(apr_pool_t *p, void *base, void *add);
void *mc_create_dir_conf(apr_pool_t *p, char *dir);
void *mc_merge_dir_conf(apr_pool_t *p, void *base, void *add);
void mc_config_pre(apr_pool_t *pconf);
int mc_config_post(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s);
int mc_engine_on(const request_rec *r);
/* Whether R's page is rewritten (ConsentRewrite, default On). */
int mc_rewrite_on(const request_rec *r);
/* The INDEXth of ConsentLanguages in D's scope (the default nb nn en when
 * none is set), or NULL past the last. */
const char *mc_dir_language(const mc_dir_conf_t *d, int index);
/* 1 when R comes from a ConsentAdminAddress. */
int mc_is_admin(const request_rec *r);

#endif
