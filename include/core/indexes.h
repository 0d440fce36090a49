/*
 * indexes.h - the indexes of sql/indexes.sql that the module's plans need,
 * listed once (scripts/check-sources.py compares the list with the CREATE
 * INDEX names of sql/indexes.sql), and the words of the check that finds
 * them missing.  Pure: APR only.
 */
#ifndef PFJ_CORE_INDEXES_H
#define PFJ_CORE_INDEXES_H

#include <apr_pools.h>

#define PFJ_REQUIRED_INDEX_COUNT 18

/* Their names. */
extern const char *const pfj_required_indexes[PFJ_REQUIRED_INDEX_COUNT];

/* n names (plain lower-case identifiers, as these lists hold) as a
 * PostgreSQL text[] literal: "{pfj_a,pfj_b,...}". */
const char *pfj_text_array(apr_pool_t *p, const char *const *names, int n);

/* The one warning of a database that lacks the NULL-terminated missing
 * indexes, of which the NULL-terminated invalid ones (left by a failed
 * CREATE INDEX CONCURRENTLY) exist but serve no query; NULL when nothing
 * is missing. */
const char *pfj_missing_indexes_warning(apr_pool_t *p,
                                        const char *const *missing,
                                        const char *const *invalid);

#endif
