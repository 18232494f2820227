/* Consent categories: the ordered set of names a site asks consent for.
 * A category's index in the set is its bit in an mc_catmask_t. The four
 * built-ins always come first, in this order: necessary (0), preferences (1),
 * statistics (2), marketing (3); admins add their own (ConsentCategory). */
#ifndef MC_CATEGORY_H
#define MC_CATEGORY_H

#include <apr_pools.h>
#include <stdint.h>

#include "status.h"

#define MC_MAX_CATEGORIES 32
#define MC_CATEGORY_NAME_MAX 32

typedef uint32_t mc_catmask_t;

enum {
    MC_CAT_NECESSARY = 0,
    MC_CAT_PREFERENCES = 1,
    MC_CAT_STATISTICS = 2,
    MC_CAT_MARKETING = 3
};

typedef struct mc_categories mc_categories_t;

/* A set holding the four built-ins. */
mc_categories_t *mc_categories_make(apr_pool_t *p);
mc_categories_t *mc_categories_copy(apr_pool_t *p, const mc_categories_t *src);

/* Adds NAME ([a-z0-9_-], 1..32 chars). REQUIRED categories are always
 * granted, like necessary. Adding an existing name only updates REQUIRED. */
mc_status_t mc_categories_add(mc_categories_t *cats, const char *name, int required,
                              const char **err);

int mc_category_name_valid(const char *name);

/* Index of NAME, or -1. */
int mc_categories_index(const mc_categories_t *cats, const char *name);
/* Same for a name that is not NUL-terminated. */
int mc_categories_index_n(const mc_categories_t *cats, const char *name, size_t len);
const char *mc_categories_name(const mc_categories_t *cats, int index);
int mc_categories_count(const mc_categories_t *cats);

mc_catmask_t mc_categories_required(const mc_categories_t *cats);
mc_catmask_t mc_categories_all(const mc_categories_t *cats);

static inline int mc_catmask_has(mc_catmask_t mask, int index)
{
    return index >= 0 && index < MC_MAX_CATEGORIES && (mask & ((mc_catmask_t)1 << index)) != 0;
}

#endif
