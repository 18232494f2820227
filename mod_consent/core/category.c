#include "category.h"

#include <apr_strings.h>
#include <string.h>

/* Names are held inline, not pointed to: a caller may add a name from a buffer it frees
 * (a parsed JSON file, a temporary pool), and a copy of the set stays self-contained. */
struct mc_categories {
    int count;
    char names[MC_MAX_CATEGORIES][MC_CATEGORY_NAME_MAX + 1];
    mc_catmask_t required;
};

static const char *const builtin_names[] = {"necessary", "preferences", "statistics", "marketing"};

mc_categories_t *mc_categories_make(apr_pool_t *p)
{
    mc_categories_t *cats = apr_pcalloc(p, sizeof(*cats));

    for (int i = 0; i < 4; i++)
        apr_cpystrn(cats->names[i], builtin_names[i], sizeof(cats->names[i]));
    cats->count = 4;
    cats->required = (mc_catmask_t)1 << MC_CAT_NECESSARY;
    return cats;
}

mc_categories_t *mc_categories_copy(apr_pool_t *p, const mc_categories_t *src)
{
    mc_categories_t *cats = apr_palloc(p, sizeof(*cats));

    *cats = *src;
    return cats;
}

int mc_category_name_valid(const char *name)
{
    size_t len = 0;

    for (const char *c = name; *c; c++, len++) {
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_' || *c == '-'))
            return 0;
    }
    return len >= 1 && len <= MC_CATEGORY_NAME_MAX;
}

mc_status_t mc_categories_add(mc_categories_t *cats, const char *name, int required,
                              const char **err)
{
    int index = mc_categories_index(cats, name);

    if (!mc_category_name_valid(name)) {
        *err = "a category name is 1 to 32 characters of a-z, 0-9, '_' and '-'";
        return MC_EINVAL;
    }
    if (index == MC_CAT_NECESSARY) {
        if (!required) {
            *err = "the category 'necessary' is always required";
            return MC_EINVAL;
        }
        return MC_OK;
    }
    if (index < 0) {
        if (cats->count >= MC_MAX_CATEGORIES) {
            *err = "too many categories (at most 32)";
            return MC_ELIMIT;
        }
        index = cats->count++;
        /* fits: mc_category_name_valid() checked the length */
        apr_cpystrn(cats->names[index], name, sizeof(cats->names[index]));
    }
    if (required)
        cats->required |= (mc_catmask_t)1 << index;
    else
        cats->required &= ~((mc_catmask_t)1 << index);
    return MC_OK;
}

int mc_categories_index_n(const mc_categories_t *cats, const char *name, size_t len)
{
    /* Lengths first: NAME may hold a NUL within LEN, and strncmp() would then stop early
     * and match a shorter name, and the check after it read past that name's end. */
    for (int i = 0; i < cats->count; i++) {
        if (strlen(cats->names[i]) == len && memcmp(cats->names[i], name, len) == 0)
            return i;
    }
    return -1;
}

int mc_categories_index(const mc_categories_t *cats, const char *name)
{
    return mc_categories_index_n(cats, name, strlen(name));
}

const char *mc_categories_name(const mc_categories_t *cats, int index)
{
    return index >= 0 && index < cats->count ? cats->names[index] : NULL;
}

int mc_categories_count(const mc_categories_t *cats)
{
    return cats->count;
}

mc_catmask_t mc_categories_required(const mc_categories_t *cats)
{
    return cats->required;
}

mc_catmask_t mc_categories_all(const mc_categories_t *cats)
{
    return cats->count >= 32 ? ~(mc_catmask_t)0 : (((mc_catmask_t)1 << cats->count) - 1);
}
