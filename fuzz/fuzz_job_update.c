/*
 * fuzz_job_update.c - a job update, POST /api/v1/jobs/<job>, as
 * src/resources/job_update.c decides it on the job's locked row and a
 * lookup row (core/job_update_rules.h).  The input: two bytes of lookup
 * bits (pfj_fuzz_lookup_row), one byte that picks the configuration
 * (pfj_fuzz_conf, bits 0-2) and the job's row (bits 3-5, see
 * target_row), then the body.
 */
#include "fuzz.h"
#include "core/job_update_rules.h"

/* Jobs as pfj_update_target reads them: tiled or not, with a step or
 * without (an old row), or without tasks. */
static const char *const job_rows[][PFJ_TC_COUNT] = {
    {"7", "1.0000", "3.0000", "1.0000", "render", NULL},
    {"7", "1.0000", "100.0000", "0.5000", "render", "4"},
    {"7", "-5.5000", "5.5000", NULL, "render", NULL},
    {"7", NULL, NULL, "1.0000", "render", NULL},
};

/* The job's row by bits 3-5: one of job_rows, or none (no such job). */
static const char *const *target_row(unsigned bits)
{
    unsigned i = (bits >> 3) & 7u;

    return i < PFJ_COUNT(job_rows) ? job_rows[i] : NULL;
}

static const pfj_refusal *update(apr_pool_t *p, json_object *body,
                                 unsigned found, unsigned bits,
                                 pfj_job_plan *plan)
{
    const pfj_refusal *no;
    pfj_job_draft *d;

    if ((no = pfj_update_check_body(p, body)) != NULL) {
        return no;
    }
    pfj_update_changes_parents(body);
    if ((no = pfj_update_prepare(p, body, pfj_fuzz_conf(p, bits),
                                 target_row(bits), &d))
        != NULL) {
        return no;
    }
    return pfj_draft_decide(d, pfj_fuzz_lookup_row(d, found), plan);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = pfj_fuzz_pool();
    unsigned found = pfj_fuzz_bits(&data, &size, 2);
    unsigned bits = pfj_fuzz_bits(&data, &size, 1);
    const pfj_refusal *no;
    json_object *body;
    pfj_job_plan plan;

    if (pfj_fuzz_body(p, data, size, &body) == 0) {
        if ((no = update(p, body, found, bits, &plan)) != NULL) {
            pfj_fuzz_refusal(p, no);
        }
        else {
            PFJ_FUZZ_CHECK(plan.job_id != NULL);
            pfj_fuzz_job_plan(&plan);
        }
    }
    apr_pool_destroy(p);
    return 0;
}
