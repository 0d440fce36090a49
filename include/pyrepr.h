/*
 * pyrepr.h - Python 3 repr() of JSON values.  Several reference error
 * messages embed Python reprs ("Unknown columns: {'k': 1}", "column(s) not
 * allowed for this request: {'id'}"); agents and scripts see them, so they
 * are rendered the same way.  Pure: APR and json-c.
 */
#ifndef PFJ_PYREPR_H
#define PFJ_PYREPR_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <json-c/json.h>

/* repr(str): 'abc', "it's", 'a\nb', '\x00', 'é' (printable non-ASCII kept). */
const char *pfj_py_repr_str(apr_pool_t *p, const char *s);

/* repr() of the value json.loads() would produce: None, True, 1, 1.5,
 * 'x', [1, 'a'], {'k': None} (object keys in their order). NULL -> None. */
const char *pfj_py_repr(apr_pool_t *p, json_object *o);

/* repr() of a set of strings (array of const char *): {'a', 'b'}, sorted
 * bytewise for a stable answer (Python's own order is arbitrary); set()
 * when empty. */
const char *pfj_py_set_repr(apr_pool_t *p, const apr_array_header_t *strs);

/* repr(d.keys()) for keys in order: dict_keys(['a', 'b']). */
const char *pfj_py_dict_keys_repr(apr_pool_t *p,
                                  const apr_array_header_t *strs);

#endif
