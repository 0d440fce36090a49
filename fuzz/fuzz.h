/*
 * fuzz.h - what the libFuzzer targets of fuzz/ share (README, "Hostile
 * input"): APR set up once, a pool of its own for each input, the input
 * as a C string, the bits that pick what the database would have
 * answered, and the lookup row of the job decisions made from them.
 *
 * Every target is one LLVMFuzzerTestOneInput that makes a pool with
 * pfj_fuzz_pool(), hands the input to the core's entry points the way
 * the http layer does, and destroys the pool: every json-c object is tied
 * to it (pfj_json_pooled), so what outlives it is a leak.
 */
#ifndef PFJ_FUZZ_H
#define PFJ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <apr_pools.h>
#include <json-c/json.h>
#include "core/job_rules.h"

/* An invariant of what the core answered: when cond is false the input
 * is a finding, as a crash is (libFuzzer keeps it). */
#define PFJ_FUZZ_CHECK(cond) \
    ((cond) ? (void)0 : pfj_fuzz_fail(#cond, __FILE__, __LINE__))
void pfj_fuzz_fail(const char *what, const char *file, int line)
    __attribute__((noreturn));

/* A pool on an allocator of its own, which it frees when it is
 * destroyed: what a later input touches of an earlier one's pool is a
 * use after free that AddressSanitizer sees. */
apr_pool_t *pfj_fuzz_pool(void);

/* The input as a NUL-terminated string, in memory of its own (freed with
 * p), so that reading past its end is caught; a NUL inside ends it
 * early, as it ends any C string httpd hands over. */
char *pfj_fuzz_text(apr_pool_t *p, const uint8_t *data, size_t size);

/* Bit n of bits, 0 or 1. */
int pfj_fuzz_bit(unsigned bits, unsigned n);

/* The first n bytes of the input (fewer when it is shorter) as bits,
 * first byte lowest; the input is advanced past them. */
unsigned pfj_fuzz_bits(const uint8_t **data, size_t *size, size_t n);

/* The body the http layer would hand a handler: parsed, storable
 * (src/http/request.c, preprocess_body).  0 with *body set (NULL for
 * JSON null), -1 when the request would have been refused. */
int pfj_fuzz_body(apr_pool_t *p, const uint8_t *data, size_t size,
                  json_object **body);

/* Bits of pfj_fuzz_lookup_row, one per answer of pfj_job_lookup
 * (src/resources/job_input.c) that may go either way. */
enum pfj_fuzz_lookup_bit {
    PFJ_FUZZ_VERSION_FOUND,
    PFJ_FUZZ_TILING,
    PFJ_FUZZ_SOFTWARE_FOUND,
    PFJ_FUZZ_VERSIONS_FOUND,
    PFJ_FUZZ_PARENT_MISSING,
    PFJ_FUZZ_PARENT_CYCLIC,
    PFJ_FUZZ_USER_FOUND,
    PFJ_FUZZ_QUEUE_FOUND,
    PFJ_FUZZ_NOTIFIED_MISSING,
    PFJ_FUZZ_GROUP_EXISTS,
    PFJ_FUZZ_ID_EXISTS,
    PFJ_FUZZ_USER_ID_EXISTS,
    PFJ_FUZZ_QUEUE_ID_EXISTS
};

/* A row of pfj_job_lookup for the draft's lookup input, as the statement
 * could answer it: each answer picked by its bit of bits (ids of
 * software entries that name the same software are the same). */
const char *const *pfj_fuzz_lookup_row(const pfj_job_draft *d, unsigned bits);

/* A configuration as a <Location> could have it: the defaults, or (bit 0
 * of bits) users not created, (bit 1) a cap of 100 tasks per job, (bit 2)
 * an e-mail template and an autodelete time. */
const pfj_dir_conf *pfj_fuzz_conf(apr_pool_t *p, unsigned bits);

/* What the http layer does with a decision's answer: a refusal's error
 * body is rendered (a 4xx or the 500 of what the reference did not
 * expect); a job plan's documents are turned into the statement's
 * parameters. */
void pfj_fuzz_refusal(apr_pool_t *p, const pfj_refusal *no);
void pfj_fuzz_job_plan(const pfj_job_plan *plan);

#endif
