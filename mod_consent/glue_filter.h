/* The HTML output filter, CONSENT_HTML (glue_filter.c). */
#ifndef MC_GLUE_FILTER_H
#define MC_GLUE_FILTER_H

#include "mod_consent.h"

#include "util_filter.h"

apr_status_t mc_html_filter(ap_filter_t *f, apr_bucket_brigade *bb);

/* header_parser: Accept-Encoding left with only the codings the filter
 * can undo, before a handler or backend reads it; the filter gives the
 * client's field back. */
int mc_filter_header_parser(request_rec *r);

#endif
