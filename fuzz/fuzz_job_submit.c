/*
 * fuzz_job_submit.c - a job submission, POST /api/v1/jobs/, as
 * src/resources/job_submit.c decides it: the Job model's checks
 * (core/model_check.h), the checks before the lookup, and those on a
 * lookup row (core/job_submit_rules.h).  The input: two bytes of lookup
 * bits (pfj_fuzz_lookup_row), one of configuration bits (pfj_fuzz_conf),
 * then the body.
 */
#include "fuzz.h"
#include "core/job_submit_rules.h"

static const pfj_refusal *submit(apr_pool_t *p, json_object *body,
                                 const pfj_dir_conf *conf, unsigned found,
                                 pfj_job_plan *plan)
{
    const char *invalid = pfj_validate(p, &pfj_job_model, body);
    const pfj_refusal *no;
    pfj_job_draft *d;

    if (invalid != NULL) {
        return pfj_refuse(p, PFJ_HTTP_BAD_REQUEST, "%s", invalid);
    }
    if ((no = pfj_submit_prepare(p, body, conf, &d)) != NULL) {
        return no;
    }
    return pfj_draft_decide(d, pfj_fuzz_lookup_row(d, found), plan);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = pfj_fuzz_pool();
    unsigned found = pfj_fuzz_bits(&data, &size, 2);
    const pfj_dir_conf *conf = pfj_fuzz_conf(p,
                                             pfj_fuzz_bits(&data, &size, 1));
    const pfj_refusal *no;
    json_object *body;
    pfj_job_plan plan;

    if (pfj_fuzz_body(p, data, size, &body) == 0) {
        if ((no = submit(p, body, conf, found, &plan)) != NULL) {
            pfj_fuzz_refusal(p, no);
        }
        else {
            PFJ_FUZZ_CHECK(plan.row != NULL);
            pfj_fuzz_job_plan(&plan);
        }
    }
    apr_pool_destroy(p);
    return 0;
}
