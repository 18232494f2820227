/* The endpoint's pages (glue_pages.c): settings, declaration, placeholder. */
#ifndef MC_GLUE_PAGES_H
#define MC_GLUE_PAGES_H

#include "mod_consent.h"

/* Serves {ConsentBasePath}SUB when SUB names a page ("/settings",
 * "/declaration", "/placeholder"); DECLINED otherwise. */
int mc_pages_handler(request_rec *r, const char *sub);

#endif
