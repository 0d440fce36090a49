/*
 * mod_pyfarm_jobs - PyFarm's jobs API (/api/v1/jobs) inside httpd.
 *
 * This file is the glue only: the module record, the directives, and the
 * hooks.  The API itself lives in src/ (see README).
 */
#include <httpd.h>
#include <http_config.h>
#include <http_core.h>
#include <http_log.h>
#include <http_protocol.h>
#include <http_request.h>
#include <ap_expr.h>
#include <apr_strings.h>
#include <mod_status.h>
#include "core/dir_config.h"
#include "http/db.h"
#include "http/db_session.h"
#include "http/request.h"
#include "http/dispatch.h"
#include "http/stats.h"
#include "resources/logfile.h"
#include "resources/health.h"

/* Defined by AP_DECLARE_MODULE at the end of this file. */
extern module AP_MODULE_DECLARE_DATA pyfarm_jobs_module;

#define HANDLER_NAME "pyfarm-jobs"
#define HEALTH_HANDLER_NAME "pyfarm-jobs-health"
#define METRICS_HANDLER_NAME "pyfarm-jobs-metrics"

/* Byte counts and counts go into the field of pfj_dir_conf whose offset
 * the directive's table entry carries (like httpd's ap_set_*_slot). */
static const char *set_size_slot(cmd_parms *cmd, void *dconf, const char *arg)
{
    return pfj_config_parse_size(cmd->pool, arg,
                                 (apr_off_t *)((char *)dconf
                                               + (apr_size_t)cmd->info));
}

static const char *set_count_slot(cmd_parms *cmd, void *dconf, const char *arg)
{
    return pfj_config_parse_count(cmd->pool, arg,
                                  (apr_int64_t *)((char *)dconf
                                                  + (apr_size_t)cmd->info));
}

#define SLOT(field) ((void *)APR_OFFSETOF(pfj_dir_conf, field))

static const char *set_autocreate_users(cmd_parms *cmd, void *dconf, int on)
{
    ((pfj_dir_conf *)dconf)->autocreate_users = on;
    return NULL;
}

static const char *set_user_email(cmd_parms *cmd, void *dconf, const char *arg)
{
    ((pfj_dir_conf *)dconf)->user_email = strcasecmp(arg, "none") ? arg : "";
    return NULL;
}

static const char *set_autodelete(cmd_parms *cmd, void *dconf, const char *arg)
{
    pfj_dir_conf *c = dconf;

    if (strcasecmp(arg, "none") == 0) {
        c->autodelete = -2;
        return NULL;
    }
    return pfj_config_parse_count(cmd->pool, arg, &c->autodelete);
}

/* Relative paths are taken from ServerRoot; the directory is made at
 * startup (logfile.c). */
static const char *set_log_dir(cmd_parms *cmd, void *dconf, const char *arg)
{
    char *dir = ap_server_root_relative(cmd->pool, arg);
    apr_size_t len;

    if (dir == NULL) {
        return apr_psprintf(cmd->pool, "PyFarmJobsLogDir: invalid path '%s'",
                            arg);
    }
    len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/') {
        dir[--len] = '\0';
    }
    ((pfj_dir_conf *)dconf)->log_dir = dir;
    pfj_logfile_note_dir(cmd->pool, dir);
    return NULL;
}

static const char *set_base(cmd_parms *cmd, void *dconf, const char *arg)
{
    return pfj_config_parse_base(cmd->pool, arg,
                                 &((pfj_dir_conf *)dconf)->base);
}

static const char *set_user_from_auth(cmd_parms *cmd, void *dconf,
                                      const char *arg)
{
    return pfj_config_parse_user_from_auth(
        cmd->pool, arg, &((pfj_dir_conf *)dconf)->user_from_auth);
}

static const command_rec pfj_directives[] = {
    AP_INIT_TAKE1("PyFarmJobsBase", set_base, NULL, RSRC_CONF | ACCESS_CONF,
                  "URL path the API is served under (default /api/v1/jobs): "
                  "the path of the <Location> with SetHandler pyfarm-jobs"),
    AP_INIT_TAKE1("PyFarmJobsMaxBodySize", set_size_slot, SLOT(max_body),
                  RSRC_CONF | ACCESS_CONF,
                  "Largest JSON request body in bytes (default 1048576); "
                  "larger bodies are answered 413"),
    AP_INIT_FLAG("PyFarmJobsAutocreateUsers", set_autocreate_users, NULL,
                 RSRC_CONF | ACCESS_CONF,
                 "On (default): unknown user names in a job "
                 "submission create users, as pyfarm-master does"),
    AP_INIT_TAKE1("PyFarmJobsAutocreateUserEmail", set_user_email, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "E-mail of autocreated users, {username} replaced "
                  "by the name (default none)"),
    AP_INIT_TAKE1("PyFarmJobsMaxTasksPerJob", set_count_slot, SLOT(max_tasks),
                  RSRC_CONF | ACCESS_CONF,
                  "Most tasks one job submission or update may create "
                  "(default 1000000)"),
    AP_INIT_TAKE1("PyFarmJobsMaxListLimit", set_count_slot, SLOT(list_limit),
                  RSRC_CONF | ACCESS_CONF,
                  "Largest ?limit= a list accepts (default 1000); without "
                  "?limit= lists are complete"),
    AP_INIT_TAKE1("PyFarmJobsDefaultAutodeleteTime", set_autodelete, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "autodelete_time in seconds of jobs submitted "
                  "without one (default none)"),
    AP_INIT_TAKE1("PyFarmJobsLogDir", set_log_dir, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "Directory of the task log files, "
                  "writable by httpd's User (default " PFJ_DEFAULT_LOG_DIR
                  "; made at startup)"),
    AP_INIT_TAKE1("PyFarmJobsMaxLogSize", set_size_slot, SLOT(max_log_size),
                  RSRC_CONF | ACCESS_CONF,
                  "Largest task log file upload in bytes (default "
                  "1073741824); larger uploads are answered 413"),
    AP_INIT_TAKE1("PyFarmJobsUserFromAuth", set_user_from_auth, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "On: a job's user is the user httpd authenticated, "
                  "another is refused (403); AllowOthers: that user "
                  "unless the job names another; Off (default): the "
                  "user the job names"),
    {NULL}};

/* Fails "apachectl configtest" and startup with one clear sentence when
 * mod_dbd is missing: nothing here works without its connection pool. */
static int pfj_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                            apr_pool_t *ptemp, server_rec *s)
{
    if (!pfj_db_bind_mod_dbd()) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, s,
                     "mod_pyfarm_jobs needs mod_dbd: enable it "
                     "(a2enmod dbd, or LoadModule dbd_module) before "
                     "loading mod_pyfarm_jobs");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

/* Registers every statement with mod_dbd; runs before mod_dbd's own
 * post_config, which groups the statements into the connection pools. */
static int pfj_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                           apr_pool_t *ptemp, server_rec *s)
{
    pfj_db_prepare(ptemp, s, pfj_api_statements);
    pfj_logfile_prepare_dirs(pconf, ptemp, s);
    return pfj_stats_post_config(pconf, s);
}

/* What translate_name notes of an API request for map_to_storage, and
 * the handler for log_transaction. */
typedef struct api_request_note {
    /* r->uri then: a later translate_name hook may rewrite it */
    const char *uri;
    /* what the request maps to instead of a file */
    const char *filename;
    /* the endpoint the handler routed the path to; NOT_ROUTED before */
    pfj_endpoint endpoint;
} api_request_note;

/* as pfj_stats_log_request() takes "not routed by the handler" */
#define NOT_ROUTED PFJ_EP_COUNT

static int pfj_handler(request_rec *r)
{
    api_request_note *note = ap_get_module_config(r->request_config,
                                                  &pyfarm_jobs_module);
    pfj_endpoint unnoted;

    if (r->handler == NULL) {
        return DECLINED;
    }
    if (strcmp(r->handler, HEALTH_HANDLER_NAME) == 0) {
        return pfj_health(r);
    }
    if (strcmp(r->handler, METRICS_HANDLER_NAME) == 0) {
        return pfj_stats_metrics(r);
    }
    if (strcmp(r->handler, HANDLER_NAME) != 0) {
        return DECLINED;
    }
    /* the endpoint is noted for log_transaction's count (an internal
     * redirect's request has no note of its own) */
    return pfj_handle_request(r,
                              ap_get_module_config(r->per_dir_config,
                                                   &pyfarm_jobs_module),
                              pfj_api_handlers,
                              note ? &note->endpoint : &unnoted);
}

/* Whether the configuration r has now hands the request to this module:
 * core's SetHandler, evaluated as core's fixup evaluates it.  Before
 * translate_name that configuration is the <Location>s' (and <If>s')
 * merged over the server's; a <Directory> cannot override it, since
 * <Location> sections merge after <Directory> ones. */
static int location_is_ours(request_rec *r)
{
    core_dir_config *core = ap_get_core_module_config(r->per_dir_config);
    const char *err = NULL, *name;

    if (core == NULL || core->expr_handler == NULL) {
        return 0;
    }
    name = ap_expr_str_exec(r, core->expr_handler, &err);
    return err == NULL && name && strcasecmp(name, HANDLER_NAME) == 0;
}

/* pre_translate_name, on the path as sent (only unreserved characters
 * decoded yet): httpd refuses a path holding %00 right after this hook,
 * where it decodes r->uri (ap_unescape_url_ex: 404 with its HTML page),
 * unless a hook returns DONE.  An API request with %00 is kept from that
 * decoding: its r->uri keeps its escapes, and the module routes the path
 * as sent anyway, decoding each segment itself - a segment holding NUL
 * matches no route, so the answer is the API's JSON 404 (or the body's
 * 400/413/415 first, §0.2).  Any other request, and every API request
 * without %00, is decoded by httpd as before. */
static int pfj_keep_nul_escapes(request_rec *r)
{
    if (r->proxyreq || r->parsed_uri.path == NULL
        || strstr(r->parsed_uri.path, "%00") == NULL || !location_is_ours(r)) {
        return DECLINED;
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                  "%%00 in %s: left encoded for the API's own 404",
                  r->parsed_uri.path);
    return DONE;
}

/* translate_name, first of all, and always declining (the URL is
 * translated as before): notes an API request while r->per_dir_config
 * still holds its <Location> configuration; map_to_storage starts over
 * from the server's. */
static int pfj_note_api_request(request_rec *r)
{
    api_request_note *note;
    const pfj_dir_conf *conf;

    if (r->proxyreq || !location_is_ours(r)) {
        return DECLINED;
    }
    conf = ap_get_module_config(r->per_dir_config, &pyfarm_jobs_module);
    note = apr_palloc(r->pool, sizeof(*note));
    note->uri = apr_pstrdup(r->pool, r->uri);
    note->filename = apr_pstrcat(r->pool, HANDLER_NAME ":",
                                 pfj_conf_base(conf), NULL);
    note->endpoint = NOT_ROUTED;
    ap_set_module_config(r->request_config, &pyfarm_jobs_module, note);
    return DECLINED;
}

/* The note of an API request that is still the API's: its URL was not
 * rewritten by a translate_name hook since, nor is it a TRACE (httpd
 * answers those) or a proxy request.  NULL for any other request. */
static const api_request_note *untouched_api_request(request_rec *r)
{
    const api_request_note *note = ap_get_module_config(r->request_config,
                                                        &pyfarm_jobs_module);

    if (note == NULL || r->method_number == M_TRACE || r->proxyreq
        || r->uri == NULL || strcmp(r->uri, note->uri) != 0) {
        return NULL;
    }
    return note;
}

/* translate_name, last before core's own (APR_HOOK_REALLY_LAST): an API
 * request that no other hook (mod_rewrite, mod_alias...) translated gets
 * the API's name as its filename.  Core would merge its path into
 * DocumentRoot, which fails for a path longer than the system allows
 * (PATH_MAX, 4096 on Linux) - 403 with httpd's HTML page and an error
 * "File name too long", for a long job title that LimitRequestLine let
 * through. */
static int pfj_translate_api_request(request_rec *r)
{
    const api_request_note *note = untouched_api_request(r);

    if (note == NULL) {
        return DECLINED;
    }
    r->filename = apr_pstrdup(r->pool, note->filename);
    r->canonical_filename = r->filename;
    return OK;
}

/* map_to_storage: an API request is stored in no file, so httpd's
 * directory and file walks (<Directory>, <Files>, .htaccess: a stat per
 * path segment) are skipped, as mod_proxy skips them for proxied requests.
 * The <Location> walk that follows map_to_storage still applies the API's
 * configuration and access control.  r->filename names the API rather than
 * a path under DocumentRoot (so mod_mime finds no extension in a job's
 * title).  TRACE is left to httpd, and so is a request whose URL a
 * translate_name hook rewrote. */
static int pfj_map_to_storage(request_rec *r)
{
    const api_request_note *note = untouched_api_request(r);

    if (note == NULL) {
        return DECLINED;
    }
    r->filename = apr_pstrdup(r->pool, note->filename);
    return OK;
}

/* log_transaction: an API request counts into the server's counters
 * with the status it was answered, also when httpd answered it (401 of
 * access control, 408, 413), under the endpoint the handler routed it to
 * (routed there only when the handler did not). */
static int pfj_count_api_request(request_rec *r)
{
    const api_request_note *note = untouched_api_request(r);

    if (note != NULL) {
        pfj_stats_log_request(r,
                              ap_get_module_config(r->per_dir_config,
                                                   &pyfarm_jobs_module),
                              note->endpoint);
    }
    return DECLINED;
}

static void pfj_register_hooks(apr_pool_t *p)
{
    static const char *const before_dbd[] = {"mod_dbd.c", NULL};

    ap_hook_check_config(pfj_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(pfj_post_config, NULL, before_dbd, APR_HOOK_MIDDLE);
    ap_hook_pre_translate_name(pfj_keep_nul_escapes, NULL, NULL,
                               APR_HOOK_MIDDLE);
    ap_hook_translate_name(pfj_note_api_request, NULL, NULL,
                           APR_HOOK_REALLY_FIRST);
    ap_hook_translate_name(pfj_translate_api_request, NULL, NULL,
                           APR_HOOK_LAST);
    ap_hook_map_to_storage(pfj_map_to_storage, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_handler(pfj_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_log_transaction(pfj_count_api_request, NULL, NULL,
                            APR_HOOK_MIDDLE);
    APR_OPTIONAL_HOOK(ap, status_hook, pfj_stats_status_hook, NULL, NULL,
                      APR_HOOK_MIDDLE);
    /* each new connection of mod_dbd's pool, as mod_dbd runs DBDInitSQL */
    APR_OPTIONAL_HOOK(dbd, post_connect, pfj_db_post_connect, NULL, NULL,
                      APR_HOOK_MIDDLE);
}

AP_DECLARE_MODULE(pyfarm_jobs) = {
    STANDARD20_MODULE_STUFF, pfj_config_create, pfj_config_merge, NULL, NULL,
    pfj_directives,          pfj_register_hooks};
