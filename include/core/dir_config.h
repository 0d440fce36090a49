/*
 * dir_config.h - the module's per-directory configuration.  Every field has an
 * "unset" value so that merging lets the innermost section win field by
 * field; the pfj_conf_* accessors turn "unset" into the documented default.
 * Pure APR: the directive table itself lives in mod_pyfarm_jobs.c.
 */
#ifndef PFJ_CORE_DIR_CONFIG_H
#define PFJ_CORE_DIR_CONFIG_H

#include <apr_pools.h>
#include <apr_tables.h>

#define PFJ_DEFAULT_BASE "/api/v1/jobs"
#define PFJ_DEFAULT_MAX_BODY ((apr_off_t)1024 * 1024)
#define PFJ_DEFAULT_MAX_TASKS 1000000
#define PFJ_DEFAULT_LIST_LIMIT 1000
#define PFJ_DEFAULT_LOG_DIR "/var/lib/pyfarm/task_logs"
#define PFJ_DEFAULT_MAX_LOG_SIZE ((apr_off_t)1024 * 1024 * 1024)

/* PyFarmJobsUserFromAuth: who a job's owner ("user") may be when httpd
 * authenticated the request (doc/api.md §0.9, §3, §6). */
typedef enum pfj_user_from_auth {
    PFJ_USER_FROM_AUTH_OFF,         /* whoever the body names */
    PFJ_USER_FROM_AUTH_ON,          /* the authenticated user only */
    PFJ_USER_FROM_AUTH_ALLOW_OTHERS /* the authenticated user unless the
                                     * body names another */
} pfj_user_from_auth;

typedef struct pfj_dir_conf {
    const char *base;       /* PyFarmJobsBase; NULL = unset */
    apr_off_t max_body;     /* PyFarmJobsMaxBodySize; -1 = unset */
    int autocreate_users;   /* PyFarmJobsAutocreateUsers; -1 = unset */
    const char *user_email; /* PyFarmJobsAutocreateUserEmail; NULL = unset,
                             * "" = set to none */
    apr_int64_t max_tasks;  /* PyFarmJobsMaxTasksPerJob; -1 = unset */
    apr_int64_t list_limit; /* PyFarmJobsMaxListLimit; -1 = unset */
    apr_int64_t autodelete; /* PyFarmJobsDefaultAutodeleteTime; -1 = unset,
                             * -2 = set to none */
    const char *log_dir;    /* PyFarmJobsLogDir, absolute, no trailing
                             * slash; NULL = unset */
    apr_off_t max_log_size; /* PyFarmJobsMaxLogSize; -1 = unset */
    int user_from_auth;     /* PyFarmJobsUserFromAuth, a
                             * pfj_user_from_auth; -1 = unset */
} pfj_dir_conf;

void *pfj_config_create(apr_pool_t *p, char *dir);
void *pfj_config_merge(apr_pool_t *p, void *basev, void *addv);

/* Parses a directive's byte count ("65536"); NULL on success, else the
 * error message for the admin. */
const char *pfj_config_parse_size(apr_pool_t *p, const char *arg,
                                  apr_off_t *out);

/* Parses a directive's positive count ("1000"); NULL on success, else the
 * error message. */
const char *pfj_config_parse_count(apr_pool_t *p, const char *arg,
                                   apr_int64_t *out);

/* Parses PyFarmJobsBase: a URL path ("/farm/api/v1/jobs"), kept without
 * its trailing slashes; NULL on success, else the error message. */
const char *pfj_config_parse_base(apr_pool_t *p, const char *arg,
                                  const char **out);

/* Parses PyFarmJobsUserFromAuth: On, Off or AllowOthers, in any case,
 * into a pfj_user_from_auth; NULL on success, else the error message. */
const char *pfj_config_parse_user_from_auth(apr_pool_t *p, const char *arg,
                                            int *out);

/* The URL path the API is served under (default /api/v1/jobs). */
const char *pfj_conf_base(const pfj_dir_conf *c);
apr_off_t pfj_conf_max_body(const pfj_dir_conf *c);
int pfj_conf_autocreate_users(const pfj_dir_conf *c);   /* default on */
const char *pfj_conf_user_email(const pfj_dir_conf *c); /* NULL: none */
apr_int64_t pfj_conf_max_tasks(const pfj_dir_conf *c);
apr_int64_t pfj_conf_list_limit(const pfj_dir_conf *c);
/* The default jobs.autodelete_time in seconds as text; NULL: none. */
const char *pfj_conf_autodelete(apr_pool_t *p, const pfj_dir_conf *c);
/* The directory of task log files (doc/api.md §11, tasklogs_dir). */
const char *pfj_conf_log_dir(const pfj_dir_conf *c);
apr_off_t pfj_conf_max_log_size(const pfj_dir_conf *c);
pfj_user_from_auth pfj_conf_user_from_auth(const pfj_dir_conf *c); /* off */

#endif
