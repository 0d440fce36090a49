/*
 * log_identifier.h - task log names (doc/api.md §11): which identifiers may name
 * a file in the log directory, the content type a download gets from its
 * name, and where a log lives on its agent (§10.6, §11.5).  Pure: APR only.
 */
#ifndef PFJ_CORE_LOG_IDENTIFIER_H
#define PFJ_CORE_LOG_IDENTIFIER_H

#include <apr_pools.h>

/* task_logs.identifier is VARCHAR(255), and a file name has at most 255
 * bytes (NAME_MAX): the identifier is both. */
#define PFJ_LOG_IDENTIFIER_MAX 255

/*
 * 1 when identifier may name a file right inside the log directory: 1 to
 * PFJ_LOG_IDENTIFIER_MAX bytes, no "/" (so neither an absolute path nor a
 * way out; C strings hold no NUL), and no leading "." (".", "..", and the
 * hidden names of uploads in progress).  Stricter than the reference's
 * realpath test (§11 [REC]).
 */
int pfj_log_identifier_ok(const char *identifier);

/*
 * The Content-Type of a download, from the identifier's extension as
 * Python's mimetypes guesses it (a compression suffix such as ".gz" is
 * looked through): ".csv" text/csv, ".txt" text/plain, both with
 * "; charset=utf-8" as Flask adds; anything else application/octet-stream.
 */
const char *pfj_log_content_type(const char *identifier);

/*
 * Where the agent serves the log (§10.6, §11.5): "http://<host>:<port>
 * /api/v1/task_logs/<identifier>", host by agents.use_address (text of the
 * integer): 311 remote -> remote_ip (BIGINT text), 312 hostname ->
 * hostname.  NULL for 310 local, 313 passive, an agent without that
 * address or port, or anything else: no URL reaches such an agent.  Bytes of the identifier that a URL
 * cannot carry as they are (controls, space, non-ASCII) are percent-encoded.
 */
const char *pfj_log_agent_url(apr_pool_t *p, const char *use_address,
                              const char *hostname, const char *remote_ip,
                              const char *port, const char *identifier);

#endif
