/* Shared memory for the whole httpd process tree (glue_shm.c): a segment,
 * and a global lock when asked for, made once in the process pool so that
 * both outlive graceful restarts, and found again by name at the next
 * configuration. The consent log's chain heads, the table of seen cookies
 * and the page cache's counters live in such segments. */
#ifndef MC_GLUE_SHM_H
#define MC_GLUE_SHM_H

#include "mod_consent.h"

#include <apr_global_mutex.h>
#include <apr_shm.h>

typedef struct mc_shm {
    apr_shm_t *shm;
    void *base;                /* SIZE bytes, zeroed when made */
    apr_size_t size;
    apr_global_mutex_t *mutex; /* NULL when no lock was asked for */
    const char *lock_file;
    int made; /* 1 when this call made it: the caller lays it out */
} mc_shm_t;

/* The segment NAME of SIZE bytes for S's process tree, with a global lock
 * of MUTEX_TYPE (registered with ap_mutex_register in pre_config) named
 * MUTEX_ID, or none when MUTEX_TYPE is NULL. WHAT says what it holds, for
 * the error log. NULL when it cannot be made (logged). */
mc_shm_t *mc_shm_get(server_rec *s, const char *name, apr_size_t size, const char *mutex_type,
                     const char *mutex_id, const char *what);

/* In each child: attaches to the segment's lock; the caller says what
 * failing means for it. */
apr_status_t mc_shm_child_init(mc_shm_t *sh, apr_pool_t *pchild);

#endif
