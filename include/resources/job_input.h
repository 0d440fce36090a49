/*
 * job_input.h - what job submission (job_submit.c) and job update
 * (job_update.c) share: the lookup statement that answers the checks of
 * both, the SQL both writing statements use, and - until the update is
 * decided in core too - the update's request on its way through the
 * checks and the checks of the parts both take (the submission's are
 * core/job_rules.h).  Checks return DECLINED to go on, or the answer they
 * sent.
 */
#ifndef PFJ_RESOURCES_JOB_INPUT_H
#define PFJ_RESOURCES_JOB_INPUT_H

#include "http/request.h"
#include "core/job_rules.h"

/* Unknown tag names of plan.p->'all_tags' are created; tag_ids maps every
 * name to its id.  A tag created meanwhile by another request is found by
 * ON CONFLICT ... DO UPDATE, which returns its row. */
#define PFJ_TAG_IDS_CTE \
    " wanted_tags AS (SELECT DISTINCT name" \
    "   FROM plan, json_array_elements_text(plan.p->'all_tags') AS name)," \
    " created_tags AS (" \
    "   INSERT INTO tags (tag) SELECT w.name FROM wanted_tags w" \
    "    WHERE NOT EXISTS (SELECT 1 FROM tags t WHERE t.tag = w.name)" \
    "   ON CONFLICT (tag) DO UPDATE SET tag = EXCLUDED.tag" \
    "   RETURNING id, tag)," \
    " tag_ids AS (SELECT id, tag FROM created_tags" \
    "   UNION ALL SELECT t.id, t.tag" \
    "   FROM tags t JOIN wanted_tags w ON w.name = t.tag),"

/* §9.1 step 4: the tasks of new frames (a set of numerics), one per frame
 * or num_tiles per frame, with the job's priority and the defaults the
 * database does not have. */
#define PFJ_INSERT_TASKS(job_id, priority, num_tiles, frames) \
    "   INSERT INTO tasks (state, priority, time_submitted, job_id, hidden," \
    "     attempts, failures, frame, tile, sent_to_agent, progress)" \
    "   SELECT NULL, " priority ", now() AT TIME ZONE 'utc', " job_id "," \
    "     false, 0, 0, f.frame, tl.tile, false, 0.0" \
    "     FROM job, plan, " frames " AS f(frame)," \
    "     LATERAL (SELECT generate_series(0, " num_tiles " - 1)" \
    "               WHERE " num_tiles " > 0" \
    "              UNION ALL SELECT NULL" \
    "               WHERE COALESCE(" num_tiles ", 0) = 0) AS tl(tile)"

/* A job submission or update on its way through the checks. */
typedef struct pfj_job_input {
    pfj_req *q;
    apr_pool_t *p;
    json_object *body;
    json_object *lookup;    /* input of pfj_job_lookup */
    json_object *row;       /* the jobs row, by column name */
    json_object *plan;      /* input of the writing statement */
    json_object *all_tags;  /* tag names the plan refers to */
    pfj_rows found;         /* the lookup's answer */
    pfj_rows target;        /* an update's job, locked */
    apr_int64_t tiles;      /* tasks per new frame (num_tiles) */
    json_object *columns;   /* an update's new column values */
    const char *start;      /* start/end/by as decimal text */
    const char *end;
    const char *by;
    const char *start_token;    /* start/end as the answer shows them */
    const char *end_token;
} pfj_job_input;

extern const pfj_stmt pfj_job_input_stmts[];

/* Runs pfj_job_lookup on the draft's lookup input: its row, by
 * pfj_lookup_column, or NULL when the database failed. */
const char *const *pfj_job_lookup_row(pfj_db *db, const pfj_job_draft *d);

json_object *pfj_input_field(const pfj_job_input *s, const char *key);
int pfj_input_has_field(const pfj_job_input *s, const char *key);
size_t pfj_input_list_length(json_object *o);
void pfj_input_put(json_object *obj, const char *key, json_object *v);
void pfj_input_put_string(json_object *obj, const char *key, const char *v);
int pfj_input_fail(pfj_job_input *s, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int pfj_input_fail_requirement(pfj_job_input *s, int status, const char *msg);
int pfj_input_listed_before(json_object *list, const char *key, const char *value);
void pfj_input_collect_software(pfj_job_input *s);
int pfj_input_collect_parents(pfj_job_input *s);
int pfj_input_collect_user(pfj_job_input *s);
int pfj_input_collect_queue(pfj_job_input *s);
int pfj_input_run_lookup(pfj_job_input *s, pfj_db *db);
const char *pfj_input_found(const pfj_job_input *s, enum pfj_lookup_column c);
int pfj_input_check_software(pfj_job_input *s);
int pfj_input_check_integers(pfj_job_input *s);
int pfj_input_check_step(pfj_job_input *s);
int pfj_input_check_task_count(pfj_job_input *s);
int pfj_input_collect_tag_requirements(pfj_job_input *s);
void pfj_input_start(pfj_job_input *s, pfj_req *q);

#endif
