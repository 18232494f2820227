/* The HTML output filter, CONSENT_HTML (glue_filter.c). */
#ifndef MC_GLUE_FILTER_H
#define MC_GLUE_FILTER_H

#include "mod_consent.h"

#include "util_filter.h"

apr_status_t mc_html_filter(ap_filter_t *f, apr_bucket_brigade *bb);

#endif
