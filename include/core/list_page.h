/*
 * list_page.h - what a list's query string asks for beyond the reference
 * (doc/api.md §1, §8): the page (?limit=&offset=) every paged list takes,
 * the task list's keyset cursor (?after=<frame>,<id>) and state filter
 * (?state=, repeatable), and the Link header (RFC 8288) that points at
 * the next page.  Pure: no httpd, no database.
 *
 * Each reader returns NULL when the parameter is absent or good, else the
 * message of the 400 to answer.  Keys are matched as apr_table_get()
 * matches them (the way every query parameter of the module is read), and
 * the first value of a repeated key counts (?state= takes every value).
 */
#ifndef PFJ_CORE_LIST_PAGE_H
#define PFJ_CORE_LIST_PAGE_H

#include <apr_pools.h>
#include <apr_tables.h>
#include "core/work_state.h"

/* The page of a list. */
typedef struct pfj_page {
    apr_int64_t limit;  /* rows shown, cut to the list's maximum; -1: all */
    apr_int64_t offset; /* rows skipped first; 0 when not given */
} pfj_page;

/* ?limit= and ?offset=: non-negative decimal integers (64 bits); limit
 * above max is cut to max. */
const char *pfj_page_read(apr_table_t *query, apr_int64_t max, pfj_page *page);

/* The rows a list's statement fetches for the page: one more than it
 * shows, so that the answer knows whether more remain without counting
 * them (pfj_page_more); -1 (all) without a limit, 0 for limit 0. */
apr_int64_t pfj_page_fetch(const pfj_page *page);

/* 1 when a page whose statement returned fetched rows has a next page:
 * it has a positive limit and more rows came than it shows. */
int pfj_page_more(const pfj_page *page, apr_int64_t fetched);

/* 1 when the row of this index (0 for the first) that a page's statement
 * returned is shown: not the one beyond its limit. */
int pfj_page_shows(const pfj_page *page, apr_int64_t index);

/* a + b for non-negative counts, at most APR_INT64_MAX. */
apr_int64_t pfj_count_add(apr_int64_t a, apr_int64_t b);

/* The task list's keyset cursor, ?after=<frame>,<id>: the tasks after the
 * one of this frame and id in the list's (frame, id) order. */
typedef struct pfj_task_cursor {
    const char *frame; /* a decimal as given; NULL: from the first task */
    const char *id;    /* decimal digits, at most 2^63-1 */
} pfj_task_cursor;

/* Longest frame of a cursor, in characters (sign and point included). */
#define PFJ_CURSOR_FRAME_MAX 64

/* frame: an optional "-", digits, optionally "." and digits, at most
 * PFJ_CURSOR_FRAME_MAX characters; id: digits up to 2^63-1. */
const char *pfj_task_cursor_read(apr_pool_t *p, apr_table_t *query,
                                 pfj_task_cursor *after);

/* The value of ?after= for a page that ends at the task of this frame
 * (NUMERIC text, as PostgreSQL writes it) and id: "2.5000" -> "2.5,17",
 * "7.0000" -> "7,17" (trailing zeros of the fraction dropped). */
const char *pfj_task_cursor_text(apr_pool_t *p, const char *frame,
                                 const char *id);

/* The states ?state= takes (§8), in the order of their bits
 * (PFJ_TASK_STATE_BIT) and of the task list statement's branches: the
 * name, and the code stored in tasks.state as an SQL literal (queued is
 * NULL; a queued task with an agent, shown "assigned", is queued). */
/* clang-format off */
#define PFJ_TASK_STATE_FILTERS(X)          \
    X(queued, "NULL")                      \
    X(paused, PFJ_SQL_PAUSED)              \
    X(running, PFJ_SQL_RUNNING)            \
    X(done, PFJ_SQL_DONE)                  \
    X(failed, PFJ_SQL_FAILED)
#define PFJ_TASK_STATE_ENUM(name, code) PFJ_TASK_STATE_##name,
/* clang-format on */
enum pfj_task_state_filter {
    PFJ_TASK_STATE_FILTERS(PFJ_TASK_STATE_ENUM) PFJ_TASK_STATE_COUNT
};
#define PFJ_TASK_STATE_BIT(i) (1u << (i))

/* Every ?state= value: each must be one of the names above.  *states gets
 * their bits; 0 when there is none (no filter). */
const char *pfj_task_states_read(apr_table_t *query, unsigned *states);

/*
 * The value of a Link header pointing at the next page: the path-absolute
 * URI reference of path (as the client sent it) and query (the raw query
 * string, NULL for none) without its parameters named in replaced (a
 * NULL-terminated list), with param ("offset=200") at the end:
 * `</api/v1/jobs/?limit=100&offset=200>; rel="next"`.  The other
 * parameters are kept as sent, in their order; characters a URI cannot
 * carry (space, quotes, angle brackets, non-ASCII...) and a "%" that
 * starts no escape are percent-encoded, which the query's reader decodes
 * back to the same text.
 */
const char *pfj_next_page_link(apr_pool_t *p, const char *path,
                               const char *query, const char *const *replaced,
                               const char *param);

#endif
