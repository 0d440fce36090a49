/*
 * job_submit_rules.h - the decision of a job submission, POST
 * /api/v1/jobs/ (doc/api.md §3, §9.1, §9.5, §9.6), in the reference's
 * order: the resource (src/resources/job_submit.c) validates the body
 * with pfj_job_model (§3 step 1), prepares the draft, runs the lookup on
 * its input, and gets the plan of pfj_submit_insert from the lookup's row
 * (pfj_draft_decide).  Pure: APR and json-c.
 */
#ifndef PFJ_CORE_JOB_SUBMIT_RULES_H
#define PFJ_CORE_JOB_SUBMIT_RULES_H

#include "core/job_rules.h"
#include "core/model_check.h"

/* The reference's Job model with §3's validation parameters. */
extern const pfj_model pfj_job_model;

/* §3 steps 2-4 and what cannot be looked up, on a body that passed
 * pfj_job_model, sent by auth_user (the user httpd authenticated; NULL
 * when anonymous); *draft (always set) holds the lookup's input.  NULL to
 * go on, or the refusal.  pfj_draft_decide then takes §3 steps 5-16 on
 * the lookup's row and makes the plan: pfj_submit_insert's plan and jobs
 * row, and the answer's start/end. */
const pfj_refusal *pfj_submit_prepare(apr_pool_t *p, json_object *body,
                                      const pfj_dir_conf *conf,
                                      const char *auth_user,
                                      pfj_job_draft **draft);

#endif
