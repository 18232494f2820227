/* The module's endpoint under ConsentBasePath (glue_endpoint.c): claimed
 * early, and dispatched to the state, decisions, assets, pages and
 * reports. */
#ifndef MC_GLUE_ENDPOINT_H
#define MC_GLUE_ENDPOINT_H

#include "mod_consent.h"

int mc_translate_name(request_rec *r);
int mc_map_to_storage(request_rec *r);
int mc_endpoint_handler(request_rec *r);

#endif
