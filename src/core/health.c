/*
 * health.c - the schema the module needs and the health answer (see
 * health.h).
 */
#include <string.h>
#include <apr_strings.h>
#include "core/health.h"

#define HTTP_OK 200
#define HTTP_SERVICE_UNAVAILABLE 503

const char *const pfj_required_tables[PFJ_REQUIRED_TABLE_COUNT] = {
    "jobs",
    "tasks",
    "jobtypes",
    "jobtype_versions",
    "job_queues",
    "job_groups",
    "users",
    "tags",
    "job_tag_associations",
    "job_tag_requirements",
    "software",
    "software_versions",
    "job_software_requirements",
    "job_dependencies",
    "notified_users",
    "agents",
    "failed_tasks_in_agents",
    "task_logs",
    "task_log_associations",
};

pfj_schema_gaps *pfj_schema_gaps_make(apr_pool_t *p)
{
    pfj_schema_gaps *g = apr_palloc(p, sizeof(*g));

    g->tables = apr_array_make(p, 4, sizeof(const char *));
    g->indexes = apr_array_make(p, 4, sizeof(const char *));
    g->invalid = apr_array_make(p, 4, sizeof(const char *));
    return g;
}

void pfj_schema_gaps_add(pfj_schema_gaps *g, const char *kind,
                         const char *name, const char *valid)
{
    const char *copy = apr_pstrdup(g->tables->pool, name);

    if (strcmp(kind, "table") == 0) {
        APR_ARRAY_PUSH(g->tables, const char *) = copy;
        return;
    }
    /* an INVALID index serves no query: it is missing too */
    APR_ARRAY_PUSH(g->indexes, const char *) = copy;
    if (valid && *valid) {
        APR_ARRAY_PUSH(g->invalid, const char *) = copy;
    }
}

const char *const *pfj_schema_names(const apr_array_header_t *list)
{
    const char **names = apr_pcalloc(list->pool,
                                     (list->nelts + 1) * sizeof(*names));

    memcpy(names, list->elts, list->nelts * sizeof(*names));
    return names;
}

static int is_invalid(const pfj_schema_gaps *g, const char *name)
{
    int i;

    for (i = 0; i < g->invalid->nelts; i++) {
        if (APR_ARRAY_IDX(g->invalid, i, const char *) == name) {
            return 1;
        }
    }
    return 0;
}

static void problem(pfj_jw *w, const char *kind, const char *name,
                    const char *what)
{
    pfj_jw_object_begin(w);
    pfj_jw_kv_string(w, "kind", kind);
    if (name) {
        pfj_jw_kv_string(w, "name", name);
    }
    pfj_jw_kv_string(w, "problem", what);
    pfj_jw_object_end(w);
}

static void problems(pfj_jw *w, const pfj_schema_gaps *g)
{
    const char *name;
    int i;

    if (g == NULL) {
        problem(w, "database", NULL, "unavailable");
        return;
    }
    for (i = 0; i < g->tables->nelts; i++) {
        problem(w, "table", APR_ARRAY_IDX(g->tables, i, const char *),
                "missing");
    }
    for (i = 0; i < g->indexes->nelts; i++) {
        name = APR_ARRAY_IDX(g->indexes, i, const char *);
        problem(w, "index", name, is_invalid(g, name) ? "invalid" : "missing");
    }
}

int pfj_health_answer(pfj_jw *w, const pfj_schema_gaps *gaps)
{
    int ok = gaps && gaps->tables->nelts == 0 && gaps->indexes->nelts == 0;

    pfj_jw_object_begin(w);
    pfj_jw_kv_string(w, "status", ok ? "ok" : "error");
    if (!ok) {
        pfj_jw_key(w, "problems");
        pfj_jw_array_begin(w);
        problems(w, gaps);
        pfj_jw_array_end(w);
    }
    pfj_jw_object_end(w);
    return ok ? HTTP_OK : HTTP_SERVICE_UNAVAILABLE;
}
