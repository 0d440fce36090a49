/*
 * router.c - the route table of the /api/v1/jobs subtree and the matching
 * rules of the reference (see router.h).
 */
#include <errno.h>
#include <apr_strings.h>
#include "core/count.h"
#include "core/router.h"
#include "core/utf8.h"

/* Placeholders: {job} is an id (digits) or a title (anything else),
 * {int} digits only, {str} any non-empty segment. */
typedef struct route {
    const char *pattern;
    unsigned method;
    pfj_endpoint endpoint;
} route;

#define LOGS "/{int}/tasks/{int}/attempts/{int}/logs/"

/* Literal routes come before the placeholders they would also match:
 * GET /schema is the schema, POST /schema updates a job titled "schema". */
static const route routes[] = {
    {"/", PFJ_M_GET, PFJ_EP_JOBS_LIST},
    {"/", PFJ_M_POST, PFJ_EP_JOB_SUBMIT},
    {"/schema", PFJ_M_GET, PFJ_EP_SCHEMA},
    {"/{job}", PFJ_M_GET, PFJ_EP_JOB_GET},
    {"/{job}", PFJ_M_POST, PFJ_EP_JOB_UPDATE},
    {"/{job}", PFJ_M_DELETE, PFJ_EP_JOB_DELETE},
    {"/{job}/tasks/", PFJ_M_GET, PFJ_EP_TASKS_LIST},
    {"/{job}/tasks/{int}", PFJ_M_GET, PFJ_EP_TASK_GET},
    {"/{job}/tasks/{int}", PFJ_M_POST, PFJ_EP_TASK_UPDATE},
    {"/{int}/tasks/{int}/failed_on_agents/", PFJ_M_GET,
     PFJ_EP_FAILED_ON_AGENTS_LIST},
    {"/{int}/tasks/{int}/failed_on_agents/", PFJ_M_POST,
     PFJ_EP_FAILED_ON_AGENTS_ADD},
    {"/{int}/tasks/{int}/failed_on_agents/{str}", PFJ_M_DELETE,
     PFJ_EP_FAILED_ON_AGENT_DELETE},
    {"/{job}/notified_users/", PFJ_M_GET, PFJ_EP_NOTIFIED_USERS_LIST},
    {"/{job}/notified_users/", PFJ_M_POST, PFJ_EP_NOTIFIED_USERS_ADD},
    {"/{job}/notified_users/{str}", PFJ_M_DELETE, PFJ_EP_NOTIFIED_USER_DELETE},
    {LOGS, PFJ_M_GET, PFJ_EP_TASK_LOGS_LIST},
    {LOGS, PFJ_M_POST, PFJ_EP_TASK_LOG_REGISTER},
    {LOGS "{str}", PFJ_M_GET, PFJ_EP_TASK_LOG_GET},
    {LOGS "{str}", PFJ_M_POST, PFJ_EP_TASK_LOG_UPDATE},
    {LOGS "{str}/logfile", PFJ_M_GET, PFJ_EP_LOGFILE_GET},
    {LOGS "{str}/logfile", PFJ_M_PUT, PFJ_EP_LOGFILE_PUT},
};

#define NROUTES PFJ_COUNT(routes)
#define MAX_SEGMENTS 16

/* A request path cut into decoded segments; a NULL segment never matches. */
typedef struct segments {
    int n;
    const char *seg[MAX_SEGMENTS];
} segments;

int pfj_is_digits(const char *s)
{
    if (s == NULL || *s == '\0') {
        return 0;
    }
    for (; *s; s++) {
        if (*s < '0' || *s > '9') {
            return 0;
        }
    }
    return 1;
}

const char *pfj_id_within(const char *digits, apr_int64_t max)
{
    apr_int64_t v;
    char *end;

    if (!pfj_is_digits(digits)) {
        return NULL;
    }
    errno = 0;
    v = apr_strtoi64(digits, &end, 10);
    return (errno == 0 && v <= max) ? digits : NULL;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes %XX escapes of s into out (room for len + 1 bytes); invalid
 * escapes are kept as they are, as Werkzeug keeps them.  Returns the
 * decoded length.  (apr_unescape_url refuses invalid escapes and %00
 * instead, so it cannot stand in.) */
static apr_size_t percent_decode(const char *s, apr_size_t len, char *out)
{
    apr_size_t i, o = 0;
    int hi, lo;

    for (i = 0; i < len; i++) {
        if (s[i] == '%' && i + 2 < len && (hi = hex_value(s[i + 1])) >= 0
            && (lo = hex_value(s[i + 2])) >= 0) {
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        }
        else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    return o;
}

char *pfj_decode_segment(apr_pool_t *p, const char *seg, apr_size_t len)
{
    char *out = apr_palloc(p, len + 1);
    apr_size_t o = percent_decode(seg, len, out);

    if (memchr(out, '\0', o) != NULL || !pfj_utf8_valid(out, o)) {
        return NULL;
    }
    return out;
}

/* Percent-decodes s; bytes that are not valid UTF-8 (and NUL, which no
 * C string or database text can hold) become U+FFFD, as Werkzeug's
 * errors="replace" decoding does. */
static char *decode_replacing(apr_pool_t *p, const char *s, apr_size_t len)
{
    char *raw = apr_palloc(p, len + 1), *out = apr_palloc(p, 3 * len + 1);
    apr_size_t n = percent_decode(s, len, raw), i = 0, o = 0, seq;
    unsigned cp;

    while (i < n) {
        seq = pfj_utf8_decode((unsigned char *)raw + i, n - i, &cp);
        if (cp == PFJ_UTF8_INVALID || cp == 0) {
            memcpy(out + o, PFJ_UTF8_REPLACEMENT_TEXT, 3);
            o += 3;
        }
        else {
            memcpy(out + o, raw + i, seq);
            o += seq;
        }
        i += seq;
    }
    out[o] = '\0';
    return out;
}

/* One "key=value" piece of a query string, "+" turned into a space before
 * percent-decoding. */
static char *decode_query_part(apr_pool_t *p, const char *s, apr_size_t len)
{
    char *copy = apr_pstrmemdup(p, s, len), *c;

    for (c = copy; *c; c++) {
        if (*c == '+') {
            *c = ' ';
        }
    }
    return decode_replacing(p, copy, len);
}

apr_table_t *pfj_parse_query(apr_pool_t *p, const char *args)
{
    apr_table_t *t = apr_table_make(p, 4);
    const char *pair = args, *amp, *eq;
    apr_size_t len;
    char *key, *value;

    while (pair && *pair) {
        amp = strchr(pair, '&');
        len = amp ? (apr_size_t)(amp - pair) : strlen(pair);
        eq = memchr(pair, '=', len);
        if (len > 0) {
            key = decode_query_part(p, pair,
                                    eq ? (apr_size_t)(eq - pair) : len);
            value = eq ? decode_query_part(p, eq + 1, len - (eq + 1 - pair))
                       : "";
            if (key && value) {
                apr_table_addn(t, key, value);
            }
        }
        pair = amp ? amp + 1 : NULL;
    }
    return t;
}

static int split_path(apr_pool_t *p, const char *path, segments *s)
{
    const char *start = path + 1, *slash;

    s->n = 0;
    for (;;) {
        if (s->n == MAX_SEGMENTS) {
            return 0;
        }
        slash = strchr(start, '/');
        if (slash == NULL) {
            s->seg[s->n++] = pfj_decode_segment(p, start, strlen(start));
            return 1;
        }
        s->seg[s->n++] = pfj_decode_segment(p, start, slash - start);
        start = slash + 1;
    }
}

static int segment_matches(const char *pat, apr_size_t plen, const char *seg)
{
    if (seg == NULL) {
        return 0;
    }
    if (plen == 5 && strncmp(pat, "{int}", 5) == 0) {
        return pfj_is_digits(seg);
    }
    if (plen == 5 && strncmp(pat, "{job}", 5) == 0) {
        return *seg != '\0';
    }
    if (plen == 5 && strncmp(pat, "{str}", 5) == 0) {
        return *seg != '\0' && strchr(seg, '/') == NULL;
    }
    return strlen(seg) == plen && strncmp(pat, seg, plen) == 0;
}

/* Matches the segments against one pattern, collecting placeholder values
 * into m->args when m is not NULL. */
static int pattern_matches(const char *pattern, const segments *s,
                           pfj_route_match *m)
{
    const char *pat = pattern + 1, *slash;
    apr_size_t plen;
    int i;

    if (m) {
        m->nargs = 0;
    }
    for (i = 0; i < s->n; i++) {
        slash = strchr(pat, '/');
        plen = slash ? (apr_size_t)(slash - pat) : strlen(pat);
        if (!segment_matches(pat, plen, s->seg[i])) {
            return 0;
        }
        if (m && pat[0] == '{' && m->nargs < PFJ_ROUTE_MAX_ARGS) {
            m->args[m->nargs++] = s->seg[i];
        }
        if (slash == NULL) {
            return i == s->n - 1;
        }
        pat = slash + 1;
    }
    return 0;
}

/* Union of the methods of every route whose pattern matches. */
static unsigned methods_for(const segments *s)
{
    unsigned allowed = 0;
    apr_size_t i;

    for (i = 0; i < NROUTES; i++) {
        if (pattern_matches(routes[i].pattern, s, NULL)) {
            allowed |= routes[i].method;
        }
    }
    return allowed;
}

pfj_route_result pfj_route(apr_pool_t *p, const char *path, unsigned method,
                           pfj_route_match *m)
{
    segments s;
    apr_size_t i;

    memset(m, 0, sizeof(*m));
    if (*path != '/') {
        return (*path == '\0') ? PFJ_ROUTE_REDIRECT : PFJ_ROUTE_NOT_FOUND;
    }
    if (!split_path(p, path, &s)) {
        return PFJ_ROUTE_NOT_FOUND;
    }
    for (i = 0; i < NROUTES; i++) {
        if (routes[i].method == method
            && pattern_matches(routes[i].pattern, &s, m)) {
            m->endpoint = routes[i].endpoint;
            m->allowed = methods_for(&s);
            return PFJ_ROUTE_FOUND;
        }
    }
    m->nargs = 0;
    m->allowed = methods_for(&s);
    if (m->allowed) {
        return PFJ_ROUTE_BAD_METHOD;
    }
    /* A route that ends in "/" also catches the path without it. */
    if (s.n < MAX_SEGMENTS && s.seg[s.n - 1] && *s.seg[s.n - 1]) {
        s.seg[s.n++] = "";
        if (methods_for(&s)) {
            return PFJ_ROUTE_REDIRECT;
        }
    }
    return PFJ_ROUTE_NOT_FOUND;
}

unsigned pfj_method_bit(const char *method)
{
    if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) {
        return PFJ_M_GET;
    }
    if (strcmp(method, "POST") == 0) {
        return PFJ_M_POST;
    }
    if (strcmp(method, "PUT") == 0) {
        return PFJ_M_PUT;
    }
    if (strcmp(method, "DELETE") == 0) {
        return PFJ_M_DELETE;
    }
    return 0;
}

const char *pfj_allow_header(apr_pool_t *p, unsigned allowed)
{
    return apr_pstrcat(p, (allowed & PFJ_M_GET) ? "GET, HEAD, " : "",
                       (allowed & PFJ_M_POST) ? "POST, " : "",
                       (allowed & PFJ_M_PUT) ? "PUT, " : "",
                       (allowed & PFJ_M_DELETE) ? "DELETE, " : "", "OPTIONS",
                       NULL);
}
