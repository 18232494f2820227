#include "builtin.h"

#include <string.h>

const mc_builtin_file_t *mc_builtin_find(const char *name)
{
    for (const mc_builtin_file_t *f = mc_builtin_files; f->name; f++) {
        if (strcmp(f->name, name) == 0)
            return f;
    }
    return NULL;
}
