/* Data files compiled into the module: the default rule catalogue and the
 * shipped banner locales. Generated from conf/ by build-aux/embed.sh. */
#ifndef MC_BUILTIN_H
#define MC_BUILTIN_H

#include <stddef.h>

typedef struct mc_builtin_file {
    const char *name; /* path below conf/, e.g. "rules/default.json" */
    const char *data; /* NUL-terminated */
    size_t len;       /* without the NUL */
} mc_builtin_file_t;

extern const mc_builtin_file_t mc_builtin_files[];

/* The embedded file NAME, or NULL. */
const mc_builtin_file_t *mc_builtin_find(const char *name);

#endif
