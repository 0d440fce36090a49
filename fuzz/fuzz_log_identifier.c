/*
 * fuzz_log_identifier.c - a task log's identifier as the URL or a
 * registration body gives it (src/resources/task_logs.c): whether it may
 * name a file, the content type of its download, and the URL of the log
 * on its agent (core/log_identifier.h); and the same text as an agent id
 * (core/model_check.h, pfj_is_uuid).  The URL carries no byte a URL
 * cannot (controls, space, non-ASCII).
 */
#include "fuzz.h"
#include "core/log_identifier.h"
#include "core/model_check.h"

/* 1 when url has only bytes a URL carries as they are. */
static int url_bytes_only(const char *url)
{
    for (; *url; url++) {
        if ((unsigned char)*url <= ' ' || (unsigned char)*url >= 0x7f) {
            return 0;
        }
    }
    return 1;
}

static void agent_url(apr_pool_t *p, const char *use_address,
                      const char *identifier)
{
    const char *url = pfj_log_agent_url(p, use_address, "render-01",
                                        "2130706433", "50000", identifier);

    PFJ_FUZZ_CHECK(url != NULL && url_bytes_only(url));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = pfj_fuzz_pool();
    const char *text = pfj_fuzz_text(p, data, size);

    if (pfj_log_identifier_ok(text)) {
        pfj_log_content_type(text);
        agent_url(p, "311", text);
        agent_url(p, "312", text);
    }
    pfj_is_uuid(text);
    apr_pool_destroy(p);
    return 0;
}
