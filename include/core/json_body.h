/*
 * json_body.h - the reference's request-body rules (doc/api.md §0.2):
 * which media types are parsed as JSON, which pass through unparsed, which
 * are refused; and a strict JSON parser whose result lives as long as a
 * pool.  Pure: APR and json-c only.
 */
#ifndef PFJ_CORE_JSON_BODY_H
#define PFJ_CORE_JSON_BODY_H

#include <apr_pools.h>
#include <json-c/json.h>
#include "core/utf8.h"

typedef enum pfj_media {
    PFJ_MEDIA_JSON, /* application/json: parsed */
    PFJ_MEDIA_PASS, /* form, multipart, zip, csv: left to handlers */
    PFJ_MEDIA_OTHER /* refused (415) when the body is not empty */
} pfj_media;

/* Classifies a Content-Type header value (NULL when absent).  *mimetype
 * receives the lower-cased type without parameters ("" when absent), which
 * is what error messages quote. */
pfj_media pfj_media_classify(apr_pool_t *p, const char *content_type,
                             const char **mimetype);

/* Parses exactly one JSON document (surrounding white space allowed) as
 * Python's json.loads would accept it.  On success *out is the value (NULL
 * for JSON null) and a cleanup on p releases it; returns 0.  Returns -1 on
 * any syntax error, trailing data or invalid UTF-8. */
int pfj_json_parse(apr_pool_t *p, const char *buf, apr_size_t len,
                   json_object **out);

/* What a parsed document holds that the reference would keep but neither
 * json-c nor PostgreSQL can: integers beyond 64 bits (json-c clamps them)
 * and strings with a NUL character.  Returns the message to refuse the
 * request with (400), or NULL when the document is fine. */
const char *pfj_json_unstorable(json_object *o);

/* Python's type name of a JSON value for error messages: "dict", "list",
 * "str", "int", "float", "bool", "NoneType". */
const char *pfj_json_type_name(json_object *o);

/* Ties o to the pool: json_object_put() runs when p is cleared.  Returns
 * o, so new objects can be made and pooled in one expression. */
json_object *pfj_json_pooled(apr_pool_t *p, json_object *o);

/* "dictionary expected but got list instead": the reference's message for
 * a body that is not a JSON object. */
const char *pfj_json_not_object(apr_pool_t *p, json_object *o);

/* Python's `key in body` for a body that is not an object: a list that
 * holds the string key, or a string that contains it. */
int pfj_json_mentions(json_object *body, const char *key);

/* Python's truth value of a JSON value: null, false, 0, 0.0, "", [] and {}
 * are false. */
int pfj_json_truthy(json_object *o);

/* 1 when o is a JSON integer (not a boolean) that fits in 64 bits, with its
 * value in *out. */
int pfj_json_int64(json_object *o, apr_int64_t *out);

/* 1 when o is a JSON number (integer or float, not a boolean) with a finite
 * value. */
int pfj_json_is_number(json_object *o);

/* Length of a JSON array; 0 for anything else. */
size_t pfj_list_length(json_object *o);

/* obj[key] = a new empty JSON array, which it returns. */
json_object *pfj_put_list(json_object *obj, const char *key);

/* obj[key] = text as a JSON string, or null when text is NULL. */
void pfj_put_string(json_object *obj, const char *key, const char *text);

/* A set of strings, for finding repeats in a list a client sent: the keys
 * of a JSON object on p.  json-c hashes keys with a seed drawn once per
 * process, so keys chosen by a client cannot be made to collide; adding
 * and finding take constant time, and a list of n entries is checked in
 * O(n), not by comparing each entry with those before it. */
json_object *pfj_string_set(apr_pool_t *p);

/* Adds s to set: 1 when it was not in it yet, 0 when it was. */
int pfj_string_set_add(json_object *set, const char *s);

#endif
