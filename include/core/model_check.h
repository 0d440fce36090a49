/*
 * model_check.h - the reference's model validation for "validated" endpoints
 * (doc/api.md §0.5): POST /jobs/ (model Job) and POST .../logs/ (model
 * TaskLog).  Checks, in order, that the body is a JSON object, that no
 * disallowed key is present, that every key is known, that every required
 * key is present, and the type of every present key.  Pure: APR, json-c.
 */
#ifndef PFJ_CORE_MODEL_CHECK_H
#define PFJ_CORE_MODEL_CHECK_H

#include <apr_pools.h>
#include <json-c/json.h>

/* What a column accepts (§0.5's type table). */
typedef enum pfj_coltype {
    PFJ_COL_INT,      /* JSON integer, or true/false (Python bools are ints) */
    PFJ_COL_STR,      /* JSON string */
    PFJ_COL_BOOL,     /* true/false */
    PFJ_COL_DICT,     /* JSON object */
    PFJ_COL_ENUM,     /* string or integer (work states) */
    PFJ_COL_DATETIME, /* nothing from JSON matches */
    PFJ_COL_LIST,     /* a relationship: JSON array */
    PFJ_COL_CUSTOM    /* NUMERIC: only the column's custom check decides;
                         * without one nothing matches */
} pfj_coltype;

typedef struct pfj_column {
    const char *name;
    pfj_coltype type;
    /* optional, and when set it replaces the type match (whatever the
     * type): 1 when the value is acceptable (NULL is JSON null); a failure
     * is reported as "type check failed for '<name>'" */
    int (*check)(json_object *value);
} pfj_column;

/* The lists of names end with NULL; a NULL list is an empty one.  A key
 * both ignored and a column is ignored. */
typedef struct pfj_model {
    const pfj_column *columns;     /* columns and relationships; a NULL
                                         * name ends them */
    const char *const *ignored;    /* accepted, not type-checked */
    const char *const *disallowed; /* refused */
    const char *const *required;   /* must be present */
} pfj_model;

/*
 * Returns NULL when body passes, else the message (on p) of the first
 * failing check, exactly as the reference words it (the answer is 400
 * {"error": message}); key sets are sorted, the type checks run in the
 * body's key order and report the first failure:
 *   "dictionary expected but got list instead"
 *   "column(s) not allowed for this request: {'id', 'x'}"
 *   "request contains field(s) that do not exist: {'foo'}"
 *   "request is missing field(s): {'title'}"
 *   "type check failed for 'by'"
 *   "field 'priority' has type <class 'str'> but we expected type(s) <class 'int'>"
 * JSON null is never accepted by a type check.  body NULL is JSON null.
 */
const char *pfj_validate(apr_pool_t *p, const pfj_model *model,
                         json_object *body);

/* Python's class repr of a JSON value's type: "<class 'int'>",
 * "<class 'NoneType'>", ... */
const char *pfj_py_class(json_object *value);

/*
 * 1 when s is an agent id in the canonical form: 8-4-4-4-12 hex digits,
 * either case - what agents send (str() of a Python UUID).  The reference
 * parses with Python's uuid.UUID(), which also takes braces, "urn:uuid:"
 * and missing hyphens, and PostgreSQL has a list of its own; taking the
 * one form keeps every other text away from PostgreSQL's uuid input,
 * where it would fail the statement.
 */
int pfj_is_uuid(const char *s);

#endif
