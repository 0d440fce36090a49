/*
 * log_identifier.c - task log names: acceptable identifiers, download content
 * types, agent URLs (see log_identifier.h).
 */
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "core/count.h"
#include "core/log_identifier.h"
#include "core/db_values.h"

#define USE_ADDRESS_REMOTE "311"
#define USE_ADDRESS_HOSTNAME "312"

/* Compression suffixes Python's mimetypes looks through (encodings_map),
 * case-sensitive as there. */
static const char *const encodings[] = {".gz", ".Z",  ".bz2",
                                        ".xz", ".br", NULL};

static const struct {
    const char *extension; /* matched case-insensitively */
    const char *type;
} types[] = {
    {".csv", "text/csv; charset=utf-8"},
    {".txt", "text/plain; charset=utf-8"},
};

#define OCTET_STREAM "application/octet-stream"

int pfj_log_identifier_ok(const char *identifier)
{
    apr_size_t len = strlen(identifier);

    return len > 0 && len <= PFJ_LOG_IDENTIFIER_MAX && identifier[0] != '.'
           && strchr(identifier, '/') == NULL;
}

static int ends_with(const char *s, apr_size_t len, const char *suffix)
{
    apr_size_t n = strlen(suffix);

    return len > n && strncmp(s + len - n, suffix, n) == 0;
}

/* Length of name without a compression suffix. */
static apr_size_t without_encoding(const char *name)
{
    apr_size_t len = strlen(name);
    int i;

    for (i = 0; encodings[i]; i++) {
        if (ends_with(name, len, encodings[i])) {
            return len - strlen(encodings[i]);
        }
    }
    return len;
}

const char *pfj_log_content_type(const char *identifier)
{
    apr_size_t len = without_encoding(identifier), n, i;

    for (i = 0; i < PFJ_COUNT(types); i++) {
        n = strlen(types[i].extension);
        if (len > n
            && strncasecmp(identifier + len - n, types[i].extension, n) == 0) {
            return types[i].type;
        }
    }
    return OCTET_STREAM;
}

/* The identifier as a URL path segment: controls, space, DEL and
 * non-ASCII bytes percent-encoded (UTF-8), every other byte as it is. */
static const char *url_segment(apr_pool_t *p, const char *s)
{
    char *out = apr_palloc(p, 3 * strlen(s) + 1), *o = out;
    const unsigned char *c;

    for (c = (const unsigned char *)s; *c; c++) {
        if (*c <= ' ' || *c >= 0x7f) {
            o += apr_snprintf(o, 4, "%%%02X", *c);
        }
        else {
            *o++ = (char)*c;
        }
    }
    *o = '\0';
    return out;
}

const char *pfj_log_agent_url(apr_pool_t *p, const char *use_address,
                              const char *hostname, const char *remote_ip,
                              const char *port, const char *identifier)
{
    const char *host;

    if (use_address && strcmp(use_address, USE_ADDRESS_REMOTE) == 0) {
        /* no address: no URL (the reference redirects to "http://None:...") */
        host = pfj_fmt_ipv4(p, remote_ip);
    }
    else if (use_address && strcmp(use_address, USE_ADDRESS_HOSTNAME) == 0) {
        host = hostname;
    }
    else {
        return NULL;
    }
    if (host == NULL || port == NULL) {
        return NULL;
    }
    return apr_pstrcat(p, "http://", host, ":", port, "/api/v1/task_logs/",
                       url_segment(p, identifier), NULL);
}
