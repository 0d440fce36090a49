/*
 * json_writer.h - a streaming JSON writer that produces exactly what
 * Python's json.dumps() produces with its defaults: ", " between items,
 * ": " after keys, every non-ASCII character escaped as \uXXXX (surrogate
 * pairs above U+FFFF), floats in Python repr.
 *
 * Output goes into an APR bucket brigade through apr_brigade_write(), so a
 * large list streams out through the flush callback (ap_filter_flush in the
 * module) instead of being held whole in memory.  Pure APR + json-c.
 */
#ifndef PFJ_CORE_JSON_WRITER_H
#define PFJ_CORE_JSON_WRITER_H

#include <apr_buckets.h>
#include <json-c/json.h>

#define PFJ_JW_MAX_DEPTH 64

typedef struct pfj_jw {
    apr_bucket_brigade *bb;
    apr_brigade_flush flush; /* may be NULL: everything stays in bb */
    void *flush_ctx;
    apr_pool_t *pool;    /* for formatting values: bb's pool, or a
                                 * pool the caller clears as it goes */
    apr_status_t status; /* first write error; later calls are no-ops */
    int depth;
    int after_key; /* next value follows a key: no separator */
    unsigned char count[PFJ_JW_MAX_DEPTH]; /* items so far, saturating at 1 */
} pfj_jw;

void pfj_jw_init(pfj_jw *w, apr_bucket_brigade *bb, apr_brigade_flush flush,
                 void *flush_ctx);

void pfj_jw_object_begin(pfj_jw *w);
void pfj_jw_object_end(pfj_jw *w);
void pfj_jw_array_begin(pfj_jw *w);
void pfj_jw_array_end(pfj_jw *w);

/* An object key; the next call writes its value. */
void pfj_jw_key(pfj_jw *w, const char *key);

/* A UTF-8 string, escaped like json.dumps (ensure_ascii); NULL -> null.
 * Invalid UTF-8 bytes are written as \ufffd. */
void pfj_jw_string(pfj_jw *w, const char *s);
void pfj_jw_string_n(pfj_jw *w, const char *s, apr_size_t len);

void pfj_jw_int64(pfj_jw *w, apr_int64_t v);
void pfj_jw_double(pfj_jw *w, double v); /* Python float repr */
void pfj_jw_bool(pfj_jw *w, int v);
void pfj_jw_null(pfj_jw *w);

/* A value token written as is (already formatted number); NULL -> null. */
void pfj_jw_raw(pfj_jw *w, const char *token);

/* Any json-c value, re-rendered in Python style (ints as ints, doubles in
 * Python repr, strings escaped, object key order kept). NULL -> null. */
void pfj_jw_json(pfj_jw *w, struct json_object *o);

/* Shorthands for "key": value. */
void pfj_jw_kv_string(pfj_jw *w, const char *key, const char *s);
void pfj_jw_kv_raw(pfj_jw *w, const char *key, const char *token);
void pfj_jw_kv_null(pfj_jw *w, const char *key);

/* "key": an integer given as decimal digits (a URL's id), as Python
 * prints int(digits): any length, leading zeros dropped ("007" -> 7). */
void pfj_jw_kv_digits(pfj_jw *w, const char *key, const char *digits);

/* How a database column is rendered (doc/api.md §0.6). */
typedef enum pfj_db_kind {
    PFJ_DB_INT,       /* integer text, as is */
    PFJ_DB_TEXT,      /* a string */
    PFJ_DB_BOOL,      /* PostgreSQL's t / f */
    PFJ_DB_TIMESTAMP, /* "YYYY-MM-DDTHH:MM:SS.ffffff" */
    PFJ_DB_NUMERIC,   /* NUMERIC as a Python float */
    PFJ_DB_FLOAT,     /* double precision as a Python float */
    PFJ_DB_JSON,      /* JSON text (a JSONDict column, json_build_object) */
    PFJ_DB_JSON_LIST  /* JSON text of a json_agg(); NULL is [] */
} pfj_db_kind;

/* A value as PostgreSQL returns it (text; NULL for SQL NULL) rendered the
 * reference's way.  Text that does not parse as its kind renders null. */
void pfj_jw_db_value(pfj_jw *w, pfj_db_kind kind, const char *text);
void pfj_jw_kv_db(pfj_jw *w, const char *key, pfj_db_kind kind,
                  const char *text);

/* Render a whole json-c value into a pool string (tests, error bodies). */
const char *pfj_json_to_string(apr_pool_t *p, struct json_object *o);

#endif
