/*
 * fuzz_route.c - the request head the http layer routes (src/http/
 * request.c): "METHOD path", the path after the API's prefix as the
 * client sent it, undecoded; a second line is the Content-Type, which
 * decides how the body is read.  Through the router (core/router.h) and
 * the media type rules (core/json_body.h).
 */
#include <string.h>
#include "fuzz.h"
#include "core/json_body.h"
#include "core/router.h"
#include "core/utf8.h"

/* What a found route hands its handler: decoded, well-formed values. */
static void check_args(const pfj_route_match *m)
{
    int i;

    PFJ_FUZZ_CHECK(m->nargs >= 0 && m->nargs <= PFJ_ROUTE_MAX_ARGS);
    for (i = 0; i < m->nargs; i++) {
        PFJ_FUZZ_CHECK(m->args[i] != NULL && *m->args[i] != '\0');
        PFJ_FUZZ_CHECK(pfj_utf8_valid(m->args[i], strlen(m->args[i])));
    }
}

static void route(apr_pool_t *p, const char *method, const char *path)
{
    pfj_route_match m;
    pfj_route_result result = pfj_route(p, path, pfj_method_bit(method), &m);

    if (result == PFJ_ROUTE_FOUND) {
        PFJ_FUZZ_CHECK(m.endpoint != PFJ_EP_NONE);
        check_args(&m);
    }
    if (result == PFJ_ROUTE_BAD_METHOD) {
        PFJ_FUZZ_CHECK(m.allowed != 0);
    }
    pfj_allow_header(p, m.allowed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = pfj_fuzz_pool();
    char *method = pfj_fuzz_text(p, data, size);
    char *path = strchr(method, ' ');
    char *content_type = strchr(method, '\n');
    const char *mimetype;

    if (content_type != NULL) {
        *content_type++ = '\0';
        pfj_media_classify(p, content_type, &mimetype);
    }
    if (path != NULL && (content_type == NULL || path < content_type)) {
        *path++ = '\0';
        route(p, method, path);
    }
    apr_pool_destroy(p);
    return 0;
}
