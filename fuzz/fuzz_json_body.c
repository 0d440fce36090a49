/*
 * fuzz_json_body.c - a request body of type application/json as the http
 * layer reads it (src/http/request.c): the strict parser and the storable
 * check (core/json_body.h), then what handlers and error messages make
 * of any parsed value: its Python type name, truth, repr and str
 * (core/pyrepr.h), and its json.dumps rendering (core/json_writer.h),
 * which is ASCII and parses again.  The text of a member of an object
 * body is what a job's data and environ columns store; it is rendered
 * back into the job object as a JSON column (pfj_jw_kv_db, PFJ_DB_JSON).
 */
#include <string.h>
#include "fuzz.h"
#include "core/json_body.h"
#include "core/json_writer.h"
#include "core/pyrepr.h"

/* 1 when s holds ASCII characters only. */
static int is_ascii(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s >= 0x80) {
            return 0;
        }
    }
    return 1;
}

/* A member's stored text as the job object shows it. */
static void render_stored(apr_pool_t *p, json_object *value)
{
    const char *text = pfj_json_to_string(p, value);
    apr_bucket_alloc_t *ba = apr_bucket_alloc_create(p);
    apr_bucket_brigade *bb = apr_brigade_create(p, ba);
    pfj_jw w;

    pfj_jw_init(&w, bb, NULL, NULL);
    pfj_jw_object_begin(&w);
    pfj_jw_kv_db(&w, "data", PFJ_DB_JSON, text);
    pfj_jw_object_end(&w);
    PFJ_FUZZ_CHECK(w.status == APR_SUCCESS);
    apr_brigade_destroy(bb);
    apr_bucket_alloc_destroy(ba);
}

static void render(apr_pool_t *p, json_object *body)
{
    const char *text = pfj_json_to_string(p, body);
    json_object *again;

    PFJ_FUZZ_CHECK(text != NULL && is_ascii(text));
    PFJ_FUZZ_CHECK(pfj_json_parse(p, text, strlen(text), &again) == 0);
    if (json_object_is_type(body, json_type_object)) {
        json_object_object_foreach(body, key, value)
        {
            (void)key; /* the macro declares it */
            render_stored(p, value);
        }
    }
    pfj_json_type_name(body);
    pfj_json_truthy(body);
    pfj_json_not_object(p, body);
    pfj_json_mentions(body, "username");
    pfj_py_repr(p, body);
    pfj_py_str(p, body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = pfj_fuzz_pool();
    json_object *body;

    if (pfj_fuzz_body(p, data, size, &body) == 0) {
        render(p, body);
    }
    apr_pool_destroy(p);
    return 0;
}
