/*
 * model_check.c - the checks of pyfarm-master's validate_with_model decorator
 * (doc/api.md §0.5), in its order and with its wording.  The media type
 * is checked by the caller.
 */
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "core/json_body.h"
#include "core/pyrepr.h"
#include "core/model_check.h"

#define PY_CLASS(name) "<class '" name "'>"

/* Bit of a json_type in a set of accepted types. */
#define JSON_TYPE_BIT(t) (1u << (t))

/* Per column type: the JSON types isinstance() accepts for the Python type
 * the reference expects, and how it prints that type. */
static const struct {
    unsigned accepted;
    const char *expected;
} coltypes[] = {
    [PFJ_COL_INT] = {JSON_TYPE_BIT(json_type_int)
                         | JSON_TYPE_BIT(json_type_boolean),
                     PY_CLASS("int")},
    [PFJ_COL_STR] = {JSON_TYPE_BIT(json_type_string), PY_CLASS("str")},
    [PFJ_COL_BOOL] = {JSON_TYPE_BIT(json_type_boolean), PY_CLASS("bool")},
    [PFJ_COL_DICT] = {JSON_TYPE_BIT(json_type_object), PY_CLASS("dict")},
    [PFJ_COL_ENUM] = {JSON_TYPE_BIT(json_type_string)
                          | JSON_TYPE_BIT(json_type_int)
                          | JSON_TYPE_BIT(json_type_boolean),
                      "(" PY_CLASS("str") ", " PY_CLASS("int") ")"},
    [PFJ_COL_DATETIME] = {0, PY_CLASS("datetime.datetime")},
    [PFJ_COL_LIST] = {JSON_TYPE_BIT(json_type_array), PY_CLASS("list")},
    [PFJ_COL_CUSTOM] = {0, PY_CLASS("decimal.Decimal")},
};

/* The class json.loads() gives each JSON type. */
static const char *const py_classes[] = {
    [json_type_null] = PY_CLASS("NoneType"),
    [json_type_boolean] = PY_CLASS("bool"),
    [json_type_double] = PY_CLASS("float"),
    [json_type_int] = PY_CLASS("int"),
    [json_type_object] = PY_CLASS("dict"),
    [json_type_array] = PY_CLASS("list"),
    [json_type_string] = PY_CLASS("str"),
};

const char *pfj_py_class(json_object *value)
{
    return py_classes[json_object_get_type(value)]; /* null for NULL */
}

/* Whether key is in the NULL-terminated list; a NULL list is empty. */
static int in_list(const char *const *list, const char *key)
{
    for (; list != NULL && *list != NULL; list++)
        if (strcmp(*list, key) == 0)
            return 1;
    return 0;
}

static const pfj_column *find_column(const pfj_model *model, const char *key)
{
    const pfj_column *col;

    for (col = model->columns; col->name != NULL; col++)
        if (strcmp(col->name, key) == 0)
            return col;
    return NULL;
}

static int is_disallowed(const pfj_model *model, const char *key)
{
    return in_list(model->disallowed, key);
}

/* Neither a column nor ignored (a disallowed key was refused before). */
static int is_unknown(const pfj_model *model, const char *key)
{
    return find_column(model, key) == NULL && !in_list(model->ignored, key);
}

static apr_array_header_t *new_key_array(apr_pool_t *p)
{
    return apr_array_make(p, 4, sizeof(const char *));
}

/* The body's keys that the filter picks. */
static apr_array_header_t *body_keys_where(apr_pool_t *p,
                                           const pfj_model *model,
                                           json_object *body,
                                           int (*picks)(const pfj_model *,
                                                        const char *))
{
    apr_array_header_t *keys = new_key_array(p);

    json_object_object_foreach(body, key, value)
    {
        (void)value; /* the macro declares it */
        if (picks(model, key))
            APR_ARRAY_PUSH(keys, const char *) = key;
    }
    return keys;
}

/* The required keys the body lacks. */
static apr_array_header_t *missing_keys(apr_pool_t *p, const pfj_model *model,
                                        json_object *body)
{
    apr_array_header_t *keys = new_key_array(p);
    const char *const *req;

    for (req = model->required; req != NULL && *req != NULL; req++)
        if (!json_object_object_get_ex(body, *req, NULL))
            APR_ARRAY_PUSH(keys, const char *) = *req;
    return keys;
}

/* "<what>: {'k1', 'k2'}", or NULL when keys is empty. */
static const char *key_set_error(apr_pool_t *p, const char *what,
                                 const apr_array_header_t *keys)
{
    if (keys->nelts == 0)
        return NULL;
    return apr_pstrcat(p, what, ": ", pfj_py_set_repr(p, keys), NULL);
}

/* The complaint about the value of column col, NULL if it is acceptable. */
static const char *value_error(apr_pool_t *p, const pfj_column *col,
                               json_object *value)
{
    const char *name = pfj_py_repr_str(p, col->name);

    if (col->check != NULL)
        return col->check(value)
                   ? NULL
                   : apr_pstrcat(p, "type check failed for ", name, NULL);
    if (coltypes[col->type].accepted
        & JSON_TYPE_BIT(json_object_get_type(value)))
        return NULL;
    return apr_pstrcat(p, "field ", name, " has type ", pfj_py_class(value),
                       " but we expected type(s) ",
                       coltypes[col->type].expected, NULL);
}

/* The first complaint about a value, keys in document order; every key
 * that is not ignored is a column by now. */
static const char *first_value_error(apr_pool_t *p, const pfj_model *model,
                                     json_object *body)
{
    const char *error;

    json_object_object_foreach(body, key, value)
    {
        if (in_list(model->ignored, key))
            continue;
        error = value_error(p, find_column(model, key), value);
        if (error != NULL)
            return error;
    }
    return NULL;
}

const char *pfj_validate(apr_pool_t *p, const pfj_model *model,
                         json_object *body)
{
    const char *error;

    if (!json_object_is_type(body, json_type_object))
        return pfj_json_not_object(p, body);
    error = key_set_error(p, "column(s) not allowed for this request",
                          body_keys_where(p, model, body, is_disallowed));
    if (error == NULL)
        error = key_set_error(p, "request contains field(s) that do not exist",
                              body_keys_where(p, model, body, is_unknown));
    if (error == NULL)
        error = key_set_error(p, "request is missing field(s)",
                              missing_keys(p, model, body));
    if (error == NULL)
        error = first_value_error(p, model, body);
    return error;
}

int pfj_is_uuid(const char *s)
{
    static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
    apr_size_t i;

    for (i = 0; shape[i]; i++) {
        if (shape[i] == '-' ? s[i] != '-' : !apr_isxdigit(s[i])) {
            return 0;
        }
    }
    return s[i] == '\0';
}
