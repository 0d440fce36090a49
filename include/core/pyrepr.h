/*
 * pyrepr.h - Python 3 repr() of JSON values.  Several reference error
 * messages embed Python reprs ("Unknown columns: {'k': 1}", "column(s) not
 * allowed for this request: {'id'}"); agents and scripts see them, so they
 * are rendered the same way.  Pure: APR and json-c.
 */
#ifndef PFJ_CORE_PYREPR_H
#define PFJ_CORE_PYREPR_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <json-c/json.h>

/* repr(str) of UTF-8 text: 'abc', "it's", 'a\nb', '\xa0', 'é' (printable
 * non-ASCII kept; printability per Python 3.11, see src/pyrepr.c).  Invalid
 * UTF-8 reads as bytes.decode(errors="replace") does.  NULL -> None. */
const char *pfj_py_repr_str(apr_pool_t *p, const char *s);

/* repr() of the value json.loads() would produce: None, True, 1, 1.5,
 * 'x', [1, 'a'], {'k': None} (object keys in their order). NULL -> None. */
const char *pfj_py_repr(apr_pool_t *p, json_object *o);

/* str() of a JSON value as Python shows it in messages: a string as is,
 * anything else as its repr(). */
const char *pfj_py_str(apr_pool_t *p, json_object *o);

/* repr() of a set of strings (array of const char *, none NULL): {'a', 'b'},
 * sorted bytewise for a stable answer (Python's own order is arbitrary),
 * repeats shown once; set() when empty or NULL.  strs is not modified. */
const char *pfj_py_set_repr(apr_pool_t *p, const apr_array_header_t *strs);

/* repr(d.keys()) for keys in order: dict_keys(['a', 'b']); NULL or empty
 * -> dict_keys([]). */
const char *pfj_py_dict_keys_repr(apr_pool_t *p,
                                  const apr_array_header_t *strs);

#endif
