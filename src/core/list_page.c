/*
 * list_page.c - a list's page, the task list's cursor and state filter,
 * the next page's Link (see list_page.h; doc/api.md §1, §8).
 */
#include <errno.h>
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "core/count.h"
#include "core/list_page.h"
#include "core/router.h"

/* A count parameter: absent (0), a non-negative integer in *v (1), or
 * anything else (-1). */
static int count_value(const char *text, apr_int64_t *v)
{
    char *end;

    if (text == NULL) {
        return 0;
    }
    errno = 0;
    *v = apr_strtoi64(text, &end, 10);
    return (pfj_is_digits(text) && errno == 0) ? 1 : -1;
}

const char *pfj_page_read(apr_table_t *query, apr_int64_t max, pfj_page *page)
{
    apr_int64_t n;
    int has;

    page->limit = -1;
    page->offset = 0;
    if ((has = count_value(apr_table_get(query, "limit"), &n)) < 0) {
        return "limit must be a non-negative integer";
    }
    if (has) {
        page->limit = n < max ? n : max;
    }
    if ((has = count_value(apr_table_get(query, "offset"), &n)) < 0) {
        return "offset must be a non-negative integer";
    }
    if (has) {
        page->offset = n;
    }
    return NULL;
}

apr_int64_t pfj_count_add(apr_int64_t a, apr_int64_t b)
{
    return a > APR_INT64_MAX - b ? APR_INT64_MAX : a + b;
}

apr_int64_t pfj_page_fetch(const pfj_page *page)
{
    return page->limit <= 0 ? page->limit : pfj_count_add(page->limit, 1);
}

int pfj_page_more(const pfj_page *page, apr_int64_t fetched)
{
    return page->limit > 0 && fetched > page->limit;
}

int pfj_page_shows(const pfj_page *page, apr_int64_t index)
{
    return page->limit < 0 || index < page->limit;
}

/* ["-"] digits ["." digits] */
static int is_decimal(const char *s)
{
    apr_size_t n;

    s += *s == '-';
    if ((n = strspn(s, "0123456789")) == 0) {
        return 0;
    }
    s += n;
    if (*s == '.') {
        if ((n = strspn(++s, "0123456789")) == 0) {
            return 0;
        }
        s += n;
    }
    return *s == '\0';
}

const char *pfj_task_cursor_read(apr_pool_t *p, apr_table_t *query,
                                 pfj_task_cursor *after)
{
    const char *text = apr_table_get(query, "after"), *comma, *id;
    char *frame;

    after->frame = after->id = NULL;
    if (text == NULL) {
        return NULL;
    }
    comma = strchr(text, ',');
    if (comma && comma - text <= PFJ_CURSOR_FRAME_MAX) {
        frame = apr_pstrmemdup(p, text, comma - text);
        id = pfj_id_within(comma + 1, APR_INT64_MAX);
        if (is_decimal(frame) && id) {
            after->frame = frame;
            after->id = id;
            return NULL;
        }
    }
    return "after must be <frame>,<id> (a decimal and a non-negative "
           "integer)";
}

const char *pfj_task_cursor_text(apr_pool_t *p, const char *frame,
                                 const char *id)
{
    const char *point = strchr(frame, '.');
    apr_size_t len = strlen(frame);

    if (point) {
        while (frame[len - 1] == '0') {
            len--;
        }
        if (frame + len - 1 == point) {
            len--;
        }
    }
    return apr_psprintf(p, "%.*s,%s", (int)len, frame, id);
}

/* clang-format off */
#define STATE_NAME(name, code) #name,
/* clang-format on */
static const char *const state_names[] = {PFJ_TASK_STATE_FILTERS(STATE_NAME)};

typedef struct state_reading {
    unsigned states;
    int unknown;
} state_reading;

static int read_state(void *rec, const char *key, const char *value)
{
    state_reading *reading = rec;
    apr_size_t i;

    for (i = 0; i < PFJ_COUNT(state_names); i++) {
        if (strcmp(value, state_names[i]) == 0) {
            reading->states |= PFJ_TASK_STATE_BIT(i);
            return 1;
        }
    }
    reading->unknown = 1;
    return 0;
}

const char *pfj_task_states_read(apr_table_t *query, unsigned *states)
{
    state_reading reading = {0, 0};

    apr_table_do(read_state, &reading, query, "state", NULL);
    *states = reading.states;
    return reading.unknown ? "state must be one of queued, paused, running, "
                             "done, failed"
                           : NULL;
}

/* 1 for a character a URI carries as it is in a path or a query (RFC
 * 3986: unreserved, sub-delims, ":", "@", "/", "?"). */
static int uri_char(unsigned char c)
{
    return apr_isalnum(c) || (c != '\0' && strchr("-._~!$&'()*+,;=:@/?", c));
}

/* s with what a URI cannot carry percent-encoded; a "%" is kept when it
 * starts an escape (%XX), as the query's reader would decode it. */
static const char *uri_escape(apr_pool_t *p, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    apr_size_t i, len = strlen(s);
    char *out = apr_palloc(p, 3 * len + 1), *o = out;
    unsigned char c;

    for (i = 0; i < len; i++) {
        c = (unsigned char)s[i];
        if (uri_char(c)
            || (c == '%' && i + 2 < len && apr_isxdigit(s[i + 1])
                && apr_isxdigit(s[i + 2]))) {
            *o++ = (char)c;
        }
        else {
            *o++ = '%';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    *o = '\0';
    return out;
}

/* 1 when the query pair (raw "key=value") is one of the replaced keys, as
 * the query's reader sees its key. */
static int is_replaced(apr_pool_t *p, const char *pair,
                       const char *const *replaced)
{
    apr_table_t *t = pfj_parse_query(p, pair);

    for (; *replaced; replaced++) {
        if (apr_table_get(t, *replaced)) {
            return 1;
        }
    }
    return 0;
}

const char *pfj_next_page_link(apr_pool_t *p, const char *path,
                               const char *query, const char *const *replaced,
                               const char *param)
{
    apr_array_header_t *pairs = apr_array_make(p, 8, sizeof(const char *));
    const char *pair = query, *amp, *kept;
    apr_size_t len;

    while (pair && *pair) {
        amp = strchr(pair, '&');
        len = amp ? (apr_size_t)(amp - pair) : strlen(pair);
        kept = apr_pstrmemdup(p, pair, len);
        if (len > 0 && !is_replaced(p, kept, replaced)) {
            APR_ARRAY_PUSH(pairs, const char *) = kept;
        }
        pair = amp ? amp + 1 : NULL;
    }
    APR_ARRAY_PUSH(pairs, const char *) = param;
    return apr_pstrcat(p, "<", uri_escape(p, path), "?",
                       uri_escape(p, apr_array_pstrcat(p, pairs, '&')),
                       ">; rel=\"next\"", NULL);
}
