/*
 * fuzz_json_body.c - a request body of type application/json as the http
 * layer reads it (src/http/request.c): the strict parser and the storable
 * check (core/json_body.h), then what handlers and error messages make
 * of any parsed value: its Python type name, truth, repr and str
 * (core/pyrepr.h), and its json.dumps rendering (core/json_writer.h),
 * which is ASCII and parses again.
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

static void render(apr_pool_t *p, json_object *body)
{
    const char *text = pfj_json_to_string(p, body);
    json_object *again;

    PFJ_FUZZ_CHECK(text != NULL && is_ascii(text));
    PFJ_FUZZ_CHECK(pfj_json_parse(p, text, strlen(text), &again) == 0);
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
