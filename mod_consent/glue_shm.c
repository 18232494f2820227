/* Shared memory for the httpd process tree (glue_shm.h). */
#include "mod_consent.h"

#include "util_mutex.h"

#include <apr_strings.h>

#include "glue_shm.h"

APLOG_USE_MODULE(consent);

mc_shm_t *mc_shm_get(server_rec *s, const char *name, apr_size_t size, const char *mutex_type,
                     const char *mutex_id, const char *what)
{
    apr_pool_t *proc_pool = s->process->pool;
    const char *key = apr_pstrcat(proc_pool, "mod_consent:shm:", name, NULL);
    mc_shm_t *sh = NULL;
    apr_status_t rv;

    apr_pool_userdata_get((void **)&sh, key, proc_pool);
    if (sh) {
        sh->made = 0;
        if (sh->size == size)
            return sh;
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                     MCLOGNO(00304) "the shared memory for %s has another size than this "
                                    "module needs: stop and start Apache (a graceful restart "
                                    "keeps the old one)",
                     what);
        return NULL;
    }
    sh = apr_pcalloc(proc_pool, sizeof(*sh));
    if (mutex_type) {
        rv = ap_global_mutex_create(&sh->mutex, &sh->lock_file, mutex_type, mutex_id, s,
                                    proc_pool, 0);
        if (rv != APR_SUCCESS)
            return NULL; /* ap_global_mutex_create has logged why */
    }
    rv = apr_shm_create(&sh->shm, size, NULL, proc_pool);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s,
                     MCLOGNO(00303) "no shared memory (%" APR_SIZE_T_FMT " bytes) for %s", size,
                     what);
        return NULL;
    }
    sh->base = apr_shm_baseaddr_get(sh->shm);
    sh->size = size;
    memset(sh->base, 0, size);
    sh->made = 1;
    apr_pool_userdata_set(sh, key, apr_pool_cleanup_null, proc_pool);
    return sh;
}

apr_status_t mc_shm_child_init(mc_shm_t *sh, apr_pool_t *pchild)
{
    return sh->mutex ? apr_global_mutex_child_init(&sh->mutex, sh->lock_file, pchild)
                     : APR_SUCCESS;
}
