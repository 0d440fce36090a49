/*
 * indexes.c - the indexes the module's plans need (see indexes.h).
 */
#include <apr_strings.h>
#include <apr_tables.h>
#include "core/indexes.h"

const char *const pfj_required_indexes[PFJ_REQUIRED_INDEX_COUNT] = {
    "pfj_tasks_job_frame_id_idx",
    "pfj_tasks_agent_id_idx",
    "pfj_failed_tasks_in_agents_task_id_idx",
    "pfj_task_log_associations_task_attempt_idx",
    "pfj_job_dependencies_childid_idx",
    "pfj_notified_users_job_id_idx",
    "pfj_job_software_requirements_job_id_idx",
    "pfj_job_tag_requirements_job_id_idx",
    "pfj_jobs_title_idx",
    "pfj_jobs_jobtype_version_id_idx",
    "pfj_jobs_user_id_idx",
    "pfj_jobs_job_queue_id_idx",
    "pfj_jobs_job_group_id_idx",
    "pfj_tasks_assigned_idx",
    "pfj_tasks_unfinished_idx",
    "pfj_tasks_failed_idx",
    "pfj_tasks_active_idx",
    "pfj_tasks_job_state_frame_idx",
};

const char *pfj_text_array(apr_pool_t *p, const char *const *names, int n)
{
    apr_array_header_t *items = apr_array_make(p, n > 0 ? n : 1,
                                               sizeof(const char *));
    int i;

    for (i = 0; i < n; i++) {
        APR_ARRAY_PUSH(items, const char *) = names[i];
    }
    return apr_pstrcat(p, "{", apr_array_pstrcat(p, items, ','), "}", NULL);
}

/* "a, b, c" of a NULL-terminated list, and its length. */
static const char *listed(apr_pool_t *p, const char *const *names, int *n)
{
    const char *text = "";

    for (*n = 0; names[*n]; (*n)++) {
        text = apr_pstrcat(p, text, *n ? ", " : "", names[*n], NULL);
    }
    return text;
}

/* "; pfj_x exists but is INVALID ...: drop it first", or "". */
static const char *invalid_clause(apr_pool_t *p, const char *const *invalid)
{
    int n;
    const char *names = listed(p, invalid, &n);

    if (n == 0) {
        return "";
    }
    return apr_psprintf(p,
                        "; %s %s but %s INVALID (a failed CREATE INDEX "
                        "CONCURRENTLY), which IF NOT EXISTS keeps: drop %s "
                        "first",
                        names, n == 1 ? "exists" : "exist",
                        n == 1 ? "is" : "are", n == 1 ? "it" : "them");
}

const char *pfj_missing_indexes_warning(apr_pool_t *p,
                                        const char *const *missing,
                                        const char *const *invalid)
{
    int n;
    const char *names = listed(p, missing, &n);

    if (n == 0) {
        return NULL;
    }
    return apr_psprintf(p,
                        "mod_pyfarm_jobs: the database lacks %s %s: %s "
                        "queries scan whole tables; run sql/indexes.sql (it "
                        "is idempotent)%s",
                        n == 1 ? "index" : "indexes", names,
                        n == 1 ? "its" : "their", invalid_clause(p, invalid));
}
