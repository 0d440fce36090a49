/*
 * json_body.c - media-type rules and strict JSON parsing of request bodies
 * (see json_body.h).
 */
#include <apr_strings.h>
#include <apr_lib.h>
#include "core/json_body.h"
#include "core/utf8.h"

/* Deeper documents are refused rather than risking the stack. */
#define MAX_JSON_DEPTH 64

/* Media types the reference accepts without parsing them. */
static const char *const pass_types[] = {"application/x-www-form-urlencoded",
                                         "multipart/form-data",
                                         "application/zip", "text/csv", NULL};

static const char *bare_mimetype(apr_pool_t *p, const char *content_type)
{
    const char *end = strchr(content_type, ';');
    apr_size_t len = end ? (apr_size_t)(end - content_type)
                         : strlen(content_type);
    char *m, *c;

    while (len > 0 && apr_isspace(content_type[len - 1])) {
        len--;
    }
    while (len > 0 && apr_isspace(*content_type)) {
        content_type++, len--;
    }
    m = apr_pstrmemdup(p, content_type, len);
    for (c = m; *c; c++) {
        *c = apr_tolower(*c);
    }
    return m;
}

pfj_media pfj_media_classify(apr_pool_t *p, const char *content_type,
                             const char **mimetype)
{
    int i;

    *mimetype = content_type ? bare_mimetype(p, content_type) : "";
    if (strcmp(*mimetype, "application/json") == 0) {
        return PFJ_MEDIA_JSON;
    }
    for (i = 0; pass_types[i]; i++) {
        if (strcmp(*mimetype, pass_types[i]) == 0) {
            return PFJ_MEDIA_PASS;
        }
    }
    return PFJ_MEDIA_OTHER;
}

static apr_status_t release_json(void *o)
{
    json_object_put(o);
    return APR_SUCCESS;
}

static int only_white_space(const char *s, apr_size_t len)
{
    apr_size_t i;

    for (i = 0; i < len; i++) {
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') {
            return 0;
        }
    }
    return 1;
}

/* What json-c accepts even in strict mode but Python's json.loads refuses:
 * single-quoted keys, raw control characters inside strings, a number
 * ending in "." ("1."). */
static int python_refuses(const char *s, apr_size_t len)
{
    apr_size_t i;
    int in_string = 0;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (in_string) {
            if (c < 0x20) {
                return 1;
            }
            if (c == '\\') {
                i++;
            }
            else if (c == '"') {
                in_string = 0;
            }
        }
        else if (c == '"') {
            in_string = 1;
        }
        else if (c == '\''
                 || (c == '.' && (i + 1 == len || !apr_isdigit(s[i + 1])))) {
            return 1;
        }
    }
    return 0;
}

int pfj_json_parse(apr_pool_t *p, const char *buf, apr_size_t len,
                   json_object **out)
{
    struct json_tokener *tok;
    json_object *o;
    apr_size_t end;
    enum json_tokener_error err;
    /* The terminating NUL tells json-c the input is complete (a bare
     * number is otherwise left waiting for more digits). */
    const char *text = apr_pstrmemdup(p, buf, len);

    /* json-c's JSON_TOKENER_VALIDATE_UTF8 only counts continuation bytes:
     * it takes overlong forms, surrogates and code points beyond U+10FFFF,
     * which Python's strict decoding refuses and PostgreSQL cannot store. */
    if (len >= (apr_size_t)INT32_MAX || !pfj_utf8_valid(buf, len)
        || python_refuses(buf, len)) {
        return -1;
    }
    tok = json_tokener_new_ex(MAX_JSON_DEPTH);
    if (tok == NULL) {
        return -1;
    }
    json_tokener_set_flags(tok,
                           JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    o = json_tokener_parse_ex(tok, text, (int)len + 1);
    err = json_tokener_get_error(tok);
    end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (err != json_tokener_success
        || (end < len && !only_white_space(text + end, len - end))) {
        json_object_put(o);
        return -1;
    }
    *out = o ? pfj_json_pooled(p, o) : NULL;
    return 0;
}

json_object *pfj_json_pooled(apr_pool_t *p, json_object *o)
{
    apr_pool_cleanup_register(p, o, release_json, apr_pool_cleanup_null);
    return o;
}

const char *pfj_json_not_object(apr_pool_t *p, json_object *o)
{
    return apr_psprintf(p, "dictionary expected but got %s instead",
                        pfj_json_type_name(o));
}

/* json-c keeps integers up to UINT64_MAX exactly and gives those beyond
 * either limit the value of the limit (the limits themselves are refused
 * with them). */
static int is_clamped_int(json_object *o)
{
    return json_object_get_int64(o) == INT64_MIN
           || json_object_get_uint64(o) == UINT64_MAX;
}

const char *pfj_json_unstorable(json_object *o)
{
    const char *err = NULL;
    size_t i;

    switch (json_object_get_type(o)) {
    case json_type_int:
        return is_clamped_int(o) ? "integers must fit in 64 bits" : NULL;
    case json_type_string:
        return memchr(json_object_get_string(o), '\0',
                      json_object_get_string_len(o))
                   ? "strings must not contain NUL characters"
                   : NULL;
    case json_type_array:
        for (i = 0; !err && i < json_object_array_length(o); i++) {
            err = pfj_json_unstorable(json_object_array_get_idx(o, i));
        }
        return err;
    case json_type_object: {
        json_object_object_foreach(o, key, value)
        {
            (void)key;
            if ((err = pfj_json_unstorable(value)) != NULL) {
                return err;
            }
        }
        return NULL;
    }
    default:
        return NULL;
    }
}

const char *pfj_json_type_name(json_object *o)
{
    switch (json_object_get_type(o)) {
    case json_type_object:
        return "dict";
    case json_type_array:
        return "list";
    case json_type_string:
        return "str";
    case json_type_int:
        return "int";
    case json_type_double:
        return "float";
    case json_type_boolean:
        return "bool";
    case json_type_null:
        break;
    }
    return "NoneType";
}

int pfj_json_truthy(json_object *o)
{
    switch (json_object_get_type(o)) {
    case json_type_null:
        return 0;
    case json_type_boolean:
        return json_object_get_boolean(o);
    case json_type_int:
        return json_object_get_int64(o) != 0;
    case json_type_double:
        return json_object_get_double(o) != 0.0;
    case json_type_string:
        return json_object_get_string_len(o) > 0;
    case json_type_array:
        return json_object_array_length(o) > 0;
    case json_type_object:
        return json_object_object_length(o) > 0;
    }
    return 0;
}

/* json-c clamps integers beyond 64 bits to the limits: treat those as out
 * of range. */
int pfj_json_int64(json_object *o, apr_int64_t *out)
{
    apr_int64_t v;

    if (!json_object_is_type(o, json_type_int)) {
        return 0;
    }
    v = json_object_get_int64(o);
    if (v == INT64_MAX || v == INT64_MIN) {
        return 0;
    }
    *out = v;
    return 1;
}

int pfj_json_is_number(json_object *o)
{
    double d;

    if (json_object_is_type(o, json_type_int)) {
        return 1;
    }
    if (!json_object_is_type(o, json_type_double)) {
        return 0;
    }
    d = json_object_get_double(o);
    return d == d && d - d == 0.0;
}

int pfj_json_mentions(json_object *body, const char *key)
{
    size_t i;
    json_object *item;

    if (json_object_is_type(body, json_type_string)) {
        return strstr(json_object_get_string(body), key) != NULL;
    }
    if (!json_object_is_type(body, json_type_array)) {
        return 0;
    }
    for (i = 0; i < json_object_array_length(body); i++) {
        item = json_object_array_get_idx(body, i);
        if (json_object_is_type(item, json_type_string)
            && strcmp(json_object_get_string(item), key) == 0) {
            return 1;
        }
    }
    return 0;
}

size_t pfj_list_length(json_object *o)
{
    return json_object_is_type(o, json_type_array)
               ? json_object_array_length(o)
               : 0;
}

json_object *pfj_put_list(json_object *obj, const char *key)
{
    json_object *list = json_object_new_array();

    json_object_object_add(obj, key, list);
    return list;
}

void pfj_put_string(json_object *obj, const char *key, const char *text)
{
    json_object_object_add(obj, key,
                           text ? json_object_new_string(text) : NULL);
}

json_object *pfj_string_set(apr_pool_t *p)
{
    return pfj_json_pooled(p, json_object_new_object());
}

int pfj_string_set_add(json_object *set, const char *s)
{
    if (json_object_object_get_ex(set, s, NULL)) {
        return 0;
    }
    json_object_object_add(set, s, NULL);
    return 1;
}
