/*
 * job_update_rules.h - the decision of a job update, POST
 * /api/v1/jobs/<job> (doc/api.md §6, §9.1), in the reference's order:
 * the resource (src/resources/job_update.c) checks the body, locks the
 * job's row (pfj_update_target), prepares the draft on it, runs the
 * lookup on the draft's input, and gets the plan of pfj_update_apply from
 * the lookup's row (pfj_draft_decide).  Pure: APR and json-c.
 */
#ifndef PFJ_CORE_JOB_UPDATE_RULES_H
#define PFJ_CORE_JOB_UPDATE_RULES_H

#include "core/job_rules.h"

/* Columns of pfj_update_target, in order. */
enum pfj_target_column {
    PFJ_TC_ID,
    PFJ_TC_FIRST_FRAME,
    PFJ_TC_LAST_FRAME,
    PFJ_TC_BY,
    PFJ_TC_JOBTYPE,
    PFJ_TC_NUM_TILES,
    PFJ_TC_COUNT
};

/* The body is an object (checked before the database is asked). */
const pfj_refusal *pfj_update_check_body(apr_pool_t *p, json_object *body);

/* 1 when the update replaces the job's parents: such updates are
 * serialised (two at once could each pass the cycle check and make a
 * cycle together). */
int pfj_update_changes_parents(json_object *body);

/* §6 steps 1-4 and what cannot be looked up, sent by auth_user (the user
 * httpd authenticated; NULL when anonymous), on the job's row (by
 * pfj_target_column; NULL when there is no such job); *draft (always set)
 * holds the lookup's input.  NULL to go on, or the refusal.
 * pfj_draft_decide then takes §6 steps 5-15 on the lookup's row and makes
 * the plan of pfj_update_apply and the answer's start/end. */
const pfj_refusal *pfj_update_prepare(apr_pool_t *p, json_object *body,
                                      const pfj_dir_conf *conf,
                                      const char *auth_user,
                                      const char *const *target,
                                      pfj_job_draft **draft);

#endif
