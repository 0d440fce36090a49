/*
 * fuzz_query.c - a list's request target, "path?query" as the client
 * sent it: the query read as every handler reads it (core/router.h), a
 * list's page, the task list's cursor and state filter, and the Link to
 * the next page (core/list_page.h), whose query must read back as the
 * request's did.
 */
#include <string.h>
#include <strings.h>
#include <apr_strings.h>
#include "fuzz.h"
#include "core/list_page.h"
#include "core/router.h"

/* The keys the Links of src/http/request.c and src/resources/tasks.c
 * replace. */
static const char *const offset_keys[] = {"offset", NULL};
static const char *const cursor_keys[] = {"offset", "after", NULL};

/* 1 when key is one of keys (a NULL-terminated list), matched as
 * apr_table_get() matches keys. */
static int listed(const char *const *keys, const char *key)
{
    for (; *keys; keys++) {
        if (strcasecmp(*keys, key) == 0) {
            return 1;
        }
    }
    return 0;
}

typedef struct kept_pairs {
    const char *const *replaced;
    apr_array_header_t *pairs; /* "key=value" of the pairs kept */
} kept_pairs;

static int keep_pair(void *rec, const char *key, const char *value)
{
    kept_pairs *kept = rec;
    const char *pair;

    if (!listed(kept->replaced, key)) {
        pair = apr_pstrcat(kept->pairs->pool, key, "=", value, NULL);
        APR_ARRAY_PUSH(kept->pairs, const char *) = pair;
    }
    return 1;
}

/* The decoded pairs of query, in order, without the replaced keys. */
static const char *kept(apr_pool_t *p, apr_table_t *query,
                        const char *const *replaced)
{
    kept_pairs kept = {replaced, apr_array_make(p, 8, sizeof(char *))};

    apr_table_do(keep_pair, &kept, query, NULL);
    return apr_array_pstrcat(p, kept.pairs, '&');
}

/* The Link's target reads back as the request's pairs without the
 * replaced keys, and with key=value for the next page. */
static void check_link(apr_pool_t *p, const char *path, const char *args,
                       apr_table_t *query, const char *const *replaced,
                       const char *key, const char *value)
{
    const char *link = pfj_next_page_link(p, path, args, replaced,
                                          apr_pstrcat(p, key, "=", value,
                                                      NULL));
    const char *start = strchr(link, '?'), *end = strstr(link, ">; rel=");
    apr_table_t *back;

    PFJ_FUZZ_CHECK(link[0] == '<' && start != NULL && end != NULL);
    back = pfj_parse_query(p, apr_pstrmemdup(p, start + 1, end - start - 1));
    PFJ_FUZZ_CHECK(strcmp(kept(p, back, replaced), kept(p, query, replaced))
                   == 0);
    PFJ_FUZZ_CHECK(strcmp(apr_table_get(back, key), value) == 0);
}

static void read_list_query(apr_pool_t *p, const char *path, const char *args)
{
    apr_table_t *query = pfj_parse_query(p, args);
    pfj_task_cursor after;
    unsigned states;
    pfj_page page;

    if (pfj_page_read(query, 1000, &page) == NULL) {
        pfj_page_fetch(&page);
        check_link(p, path, args, query, offset_keys, "offset", "200");
    }
    if (pfj_task_cursor_read(p, query, &after) == NULL && after.frame) {
        check_link(p, path, args, query, cursor_keys, "after",
                   pfj_task_cursor_text(p, after.frame, after.id));
    }
    pfj_task_states_read(query, &states);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = pfj_fuzz_pool();
    char *path = pfj_fuzz_text(p, data, size);
    char *args = strchr(path, '?');

    if (args != NULL) {
        *args++ = '\0';
    }
    read_list_query(p, path, args);
    apr_pool_destroy(p);
    return 0;
}
