/*
 * job_rules.h - what the decisions of a job submission and of a job update
 * share (doc/api.md §3, §6, §9.1, §9.5, §9.6): the draft a decision fills
 * on its way, and the rules of the parts both take - software
 * requirements, parents, owner, queue, tag requirements, integer columns
 * and their ranges, text lengths, the frame step and the task count.
 * Pure: APR and json-c.
 *
 * A decision runs in two phases around the one statement that answers
 * every lookup (pfj_job_lookup, src/resources/job_input.c): the first
 * checks what needs no lookup and builds the lookup's input
 * (draft->lookup); the second checks the lookup's row (draft->found) and
 * builds the documents of the writing statement.  Every check returns
 * NULL to go on, or the refusal (core/refusal.h).
 */
#ifndef PFJ_CORE_JOB_RULES_H
#define PFJ_CORE_JOB_RULES_H

#include <apr_pools.h>
#include <json-c/json.h>
#include "core/count.h"
#include "core/dir_config.h"
#include "core/refusal.h"

#define PFJ_MAX_USERNAME 255
#define PFJ_MAX_TAG 64

/* Columns of pfj_job_lookup, in order. */
enum pfj_lookup_column {
    PFJ_LC_JOBTYPE_VERSION_ID,
    PFJ_LC_SUPPORTS_TILING,
    PFJ_LC_SOFTWARE,
    PFJ_LC_MISSING_PARENT,
    PFJ_LC_CYCLIC_PARENT,
    PFJ_LC_USER_ID,
    PFJ_LC_QUEUE_ID,
    PFJ_LC_MISSING_NOTIFIED,
    PFJ_LC_GROUP_EXISTS,
    PFJ_LC_ID_EXISTS,
    PFJ_LC_USER_ID_NAME,
    PFJ_LC_QUEUE_ID_EXISTS,
    PFJ_LC_COUNT
};

/* A job submission or update on its way through its decision.  The JSON
 * documents are tied to the pool. */
typedef struct pfj_job_draft {
    apr_pool_t *p;
    const struct pfj_job_decision *decision; /* its checks (see below) */
    json_object *body;                       /* the request body, an object */
    const pfj_dir_conf *conf;
    const char *auth_user;     /* the user httpd authenticated (r->user);
                                * NULL when anonymous */
    const char *const *target; /* an update's job row, locked (columns
                                 * of pfj_update_target); NULL on
                                 * submission */
    json_object *lookup;       /* input of pfj_job_lookup */
    const char *const *found;  /* its row, by pfj_lookup_column (text,
                                 * NULL for SQL NULL) */
    json_object *plan;         /* the writing statement's plan */
    json_object *row;          /* the jobs columns it writes, by name */
    json_object *all_tags;     /* tag names the plan refers to */
    json_object *listed;       /* per list of the body, the values seen so
                                 * far (pfj_draft_first_listing) */
    apr_int64_t tiles;         /* tasks per new frame (num_tiles) */
    const char *start;         /* the frame range as decimal text */
    const char *end;
    const char *by;
    const char *start_token; /* start/end as the answer shows them */
    const char *end_token;
} pfj_job_draft;

/* What a decision hands the resource to store and render. */
typedef struct pfj_job_plan {
    json_object *plan;       /* the writing statement's plan */
    json_object *row;        /* a submission's jobs row (the second
                                 * document); NULL for an update */
    const char *job_id;      /* the updated job; NULL on submission */
    const char *start_token; /* start/end as the answer shows them */
    const char *end_token;
    int recompute_state; /* an update changed the frames without
                                 * setting a state: §9.2 after the write */
} pfj_job_plan;

/* A check of a decision: NULL to go on, or the refusal. */
typedef const pfj_refusal *(*pfj_draft_check)(pfj_job_draft *d);

/* Runs n checks in their order up to the first refusal, which it
 * returns. */
const pfj_refusal *pfj_draft_run(pfj_job_draft *d,
                                 const pfj_draft_check *checks, size_t n);

/* A fresh draft for body (an object) under conf. */
pfj_job_draft *pfj_draft_new(apr_pool_t *p, json_object *body,
                             const pfj_dir_conf *conf);

/* A decision: its checks before the lookup and on the lookup's row, in
 * order, and what completes the plan once they all pass. */
typedef struct pfj_job_decision {
    const pfj_draft_check *before;
    size_t n_before;
    const pfj_draft_check *after;
    size_t n_after;
    void (*complete)(pfj_job_draft *d, pfj_job_plan *plan);
} pfj_job_decision;

/* A decision of two arrays of checks and its completion. */
/* clang-format off */
#define PFJ_JOB_DECISION(before, after, complete) \
    {before, PFJ_COUNT(before), after, PFJ_COUNT(after), complete}
/* clang-format on */

/* The first phase: a fresh draft (*draft, always set) of decision for
 * body, sent by auth_user (NULL when anonymous), on the job's locked row
 * target (NULL on submission), through the checks before the lookup. */
const pfj_refusal *pfj_draft_prepare(apr_pool_t *p, json_object *body,
                                     const pfj_dir_conf *conf,
                                     const char *auth_user,
                                     const char *const *target,
                                     const pfj_job_decision *decision,
                                     pfj_job_draft **draft);

/* The second phase: the checks on the lookup's row found (by
 * pfj_lookup_column); when they pass, the plan: *plan holds the draft's
 * plan and start/end tokens and what the decision completes it with. */
const pfj_refusal *pfj_draft_decide(pfj_job_draft *d, const char *const *found,
                                    pfj_job_plan *plan);

/* A check of one element of a list the body gives, adding what it
 * collects to out. */
typedef const pfj_refusal *(*pfj_element_check)(pfj_job_draft *d,
                                                json_object *element,
                                                json_object *out);

/* Runs check on every element of the body's list key, in order (none
 * when it is not a list), up to the first refusal, which it returns. */
const pfj_refusal *pfj_draft_each(pfj_job_draft *d, const char *key,
                                  pfj_element_check check, json_object *out);

/* The body's member key (NULL for JSON null or absent), and whether the
 * body has it at all. */
json_object *pfj_draft_field(const pfj_job_draft *d, const char *key);
int pfj_draft_has_field(const pfj_job_draft *d, const char *key);

/* 1 when value is listed in the body's list for the first time, 0 when an
 * earlier entry of that list had it (list names the list; each has its
 * own set of values seen, in constant time per entry). */
int pfj_draft_first_listing(pfj_job_draft *d, const char *list,
                            const char *value);

/* A column of the lookup's row; _true: it is PostgreSQL's true. */
const char *pfj_draft_found(const pfj_job_draft *d, enum pfj_lookup_column c);
int pfj_draft_found_true(const pfj_job_draft *d, enum pfj_lookup_column c);

/* ---- before the lookup: what it needs, and what cannot be looked up ---- */

/* software_requirements: one lookup entry per request entry. */
void pfj_draft_collect_software(pfj_job_draft *d);

/* parents: [{"id": int}, ...], into the lookup and (when present) the
 * plan. */
const pfj_refusal *pfj_draft_collect_parents(pfj_job_draft *d);

/* user: a truthy string names the owner (pfj_draft_set_owner), who must
 * be one pfj_draft_check_owner lets through. */
const pfj_refusal *pfj_draft_collect_user(pfj_job_draft *d);

/* The user PyFarmJobsUserFromAuth makes the owner of a job: the
 * authenticated user; NULL when the directive is Off or the request
 * anonymous. */
const char *pfj_draft_auth_owner(const pfj_job_draft *d);

/* name, at most 255 characters, as the owner: into the lookup and the
 * plan. */
const pfj_refusal *pfj_draft_set_owner(pfj_job_draft *d, const char *name);

/* The user name may become a job's owner: under PyFarmJobsUserFromAuth On
 * only the authenticated user (403 for another). */
const pfj_refusal *pfj_draft_check_owner(pfj_job_draft *d, const char *name);

/* jobqueue: "top/child" as the lookup's list of names (§9.6). */
const pfj_refusal *pfj_draft_collect_queue(pfj_job_draft *d);

/* The body's integer field, when it is one, as the lookup's member as. */
void pfj_draft_collect_id(pfj_job_draft *d, const char *field, const char *as);

/* ---- on the lookup's row ---- */

/* §9.5: every requirement resolved (into the plan's "software"), no
 * software twice; {"error": [message]}. */
const pfj_refusal *pfj_draft_check_software(pfj_job_draft *d);

/* Every parent exists (404, a bare string); an update's job (the lookup's
 * "job") is not its own parent and no job depending on it is one. */
const pfj_refusal *pfj_draft_check_parents(pfj_job_draft *d);

/* The owner exists, or autocreate lets it be created. */
const pfj_refusal *pfj_draft_check_user(pfj_job_draft *d, int autocreate);

/* The queue path leads to a queue. */
const pfj_refusal *pfj_draft_check_queue(pfj_job_draft *d);

/* Integer columns (core/job_columns.h): 32 or 64 bits, and the
 * reference's validator ranges; in the table's order, the 64-bit columns
 * before the 32-bit ones. */
const pfj_refusal *pfj_draft_check_integers(pfj_job_draft *d);

/* The body's value of integer column name when it is a JSON integer, as
 * pfj_draft_check_integers checks it; any other value goes on (its type
 * is the caller's to check). */
const pfj_refusal *pfj_draft_check_integer(pfj_job_draft *d, const char *name);

/* Text columns within their longest (core/job_columns.h): the string
 * text of column name; every text column the body gives, in the table's
 * order. */
const pfj_refusal *pfj_draft_check_length(pfj_job_draft *d, const char *name,
                                          const char *text);
const pfj_refusal *pfj_draft_check_lengths(pfj_job_draft *d);

/* d->by positive and at least 0.0001, the whole range within
 * NUMERIC(10,4) (§9.1). */
const pfj_refusal *pfj_draft_check_step(pfj_job_draft *d);

/* The tasks of the range (d->tiles per frame) within
 * PyFarmJobsMaxTasksPerJob. */
const pfj_refusal *pfj_draft_check_task_count(pfj_job_draft *d);

/* tag_requirements: [{"tag", "negate"}] into the plan; a list, even an
 * empty one, replaces the job's requirements. */
const pfj_refusal *pfj_draft_collect_tag_requirements(pfj_job_draft *d);

#endif
