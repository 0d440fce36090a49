/*
 * health.h - what `SetHandler pyfarm-jobs-health` decides: the tables the
 * module's statements use (listed once here; the indexes are
 * core/indexes.h's), what the schema check found missing, and the answer
 * for load balancers (README, "Health").  Pure: APR and the JSON writer.
 */
#ifndef PFJ_CORE_HEALTH_H
#define PFJ_CORE_HEALTH_H

#include <apr_pools.h>
#include <apr_tables.h>
#include "core/json_writer.h"

#define PFJ_REQUIRED_TABLE_COUNT 19

/* The tables of sql/schema.sql that the module reads or writes. */
extern const char *const pfj_required_tables[PFJ_REQUIRED_TABLE_COUNT];

/* What a schema check found; each list holds names (const char *), in
 * the order of their list. */
typedef struct pfj_schema_gaps {
    apr_array_header_t *tables;  /* missing tables */
    apr_array_header_t *indexes; /* missing indexes, INVALID ones included */
    apr_array_header_t *invalid; /* the INVALID ones among them */
} pfj_schema_gaps;

pfj_schema_gaps *pfj_schema_gaps_make(apr_pool_t *p);

/* Takes in one row of the schema check's statement (http/db_session.h):
 * kind "table" or "index", the name, and for an index its
 * pg_index.indisvalid ("f": INVALID; NULL or "": no such index).  The
 * name is copied. */
void pfj_schema_gaps_add(pfj_schema_gaps *g, const char *kind,
                         const char *name, const char *valid);

/* The names of list, NULL-terminated (as pfj_missing_indexes_warning()
 * takes them). */
const char *const *pfj_schema_names(const apr_array_header_t *list);

/* The health answer: writes its body with w and returns its HTTP status.
 * gaps NULL: no database connection.  200 {"status": "ok"} when nothing
 * is missing, else 503 {"status": "error", "problems": [...]}, one
 * object per problem: {"kind": "database", "problem": "unavailable"},
 * {"kind": "table", "name": N, "problem": "missing"}, {"kind": "index",
 * "name": N, "problem": "missing" or "invalid"}. */
int pfj_health_answer(pfj_jw *w, const pfj_schema_gaps *gaps);

#endif
