/*
 * stats.h - the API's counters for the whole server (core/stats.h's table
 * in shared memory, which every child maps), what counts into them, and
 * what shows them: mod_status' section and the Prometheus metrics handler
 * (SetHandler pyfarm-jobs-metrics).  README, "Monitoring".
 */
#ifndef PFJ_HTTP_STATS_H
#define PFJ_HTTP_STATS_H

#include <httpd.h>
#include "core/dir_config.h"
#include "core/stats.h"
#include "http/db.h"

/* post_config: the table, made once and kept for the life of httpd's
 * parent (across graceful restarts, as mod_status' scoreboard is), and
 * forgotten with pconf.
 * An error status when no shared memory can be had. */
int pfj_stats_post_config(apr_pool_t *pconf, server_rec *s);

/* log_transaction of an API request (conf its configuration): counts its
 * final status and latency under the endpoint its path routes to: routed,
 * as the handler routed it, or PFJ_EP_COUNT when the handler did not
 * (httpd answered first: 401, 408, 413...; a body refused before
 * routing), and the path is routed here. */
void pfj_stats_log_request(request_rec *r, const pfj_dir_conf *conf,
                           pfj_endpoint routed);

/* mod_status' status_hook: the HTML section, or "Key: value" lines for
 * ?auto (AP_STATUS_SHORT). */
int pfj_stats_status_hook(request_rec *r, int flags);

/* The handler of "pyfarm-jobs-metrics": Prometheus' text format. */
int pfj_stats_metrics(request_rec *r);

/* What db.c counts (nothing before the table exists). */
void pfj_stats_note_db_error(pfj_stats_db_error e);
void pfj_stats_note_reconnect(void);
void pfj_stats_note_conn_acquired(void);
void pfj_stats_note_conn_released(void);

/* The metrics' statement (tasks and jobs by state). */
extern const pfj_stmt pfj_stats_stmts[];

#endif
