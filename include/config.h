/*
 * config.h - the module's per-directory configuration.  Every field has an
 * "unset" value so that merging lets the innermost section win field by
 * field; the pfj_conf_* accessors turn "unset" into the documented default.
 * Pure APR: the directive table itself lives in mod_pyfarm_jobs.c.
 */
#ifndef PFJ_CONFIG_H
#define PFJ_CONFIG_H

#include <apr_pools.h>

#define PFJ_DEFAULT_BASE        "/api/v1/jobs"
#define PFJ_DEFAULT_MAX_BODY    ((apr_off_t)1024 * 1024)

typedef struct pfj_dir_conf {
    const char *base;       /* URL path of the <Location>; NULL = unset */
    apr_off_t max_body;     /* PyFarmJobsMaxBodySize; -1 = unset */
} pfj_dir_conf;

void *pfj_config_create(apr_pool_t *p, char *dir);
void *pfj_config_merge(apr_pool_t *p, void *basev, void *addv);

/* Parses a directive's byte count ("65536"); NULL on success, else the
 * error message for the admin. */
const char *pfj_config_parse_size(apr_pool_t *p, const char *arg,
                                  apr_off_t *out);

const char *pfj_conf_base(const pfj_dir_conf *c);
apr_off_t pfj_conf_max_body(const pfj_dir_conf *c);

#endif
