/* check_glue.c - the module's glue to httpd without a server: the module
 * record (directives, per-directory create/merge, hooks) and the http
 * layer's answers that need no database (405, 413, 308, OPTIONS, HEAD,
 * 404, 415, 503), driven through the handler hook the module registers.
 * stub.c stands in for httpd; CK_NORMAL prints the Check summary line. */
#include <stdlib.h>
#include <unistd.h>
#include <apr_general.h>
#include <apr_hooks.h>
#include <apr_optional_hooks.h>
#include <apr_strings.h>
#include <check.h>
#include <httpd.h>
#include <http_config.h>
#include <mod_status.h>
#include "core/count.h"
#include "core/dir_config.h"
#include "http/db_session.h"
#include "http/dispatch.h"
#include "http/stats.h"
#include "stub.h"

extern module AP_MODULE_DECLARE_DATA pyfarm_jobs_module;

#define JSON_TYPE "application/json"
#define HTML_TYPE "text/html; charset=utf-8"
#define API "/api/v1/jobs"

static apr_pool_t *pool;

/* Each test: a fresh pool, the module's hooks registered, mod_dbd's
 * functions present and bound (check_config runs before any request). */
static void setup(void)
{
    ck_assert_int_eq(apr_pool_create(&pool, NULL), APR_SUCCESS);
    pfj_stub_handler_hook = NULL;
    pfj_stub_check_config_hook = NULL;
    pfj_stub_post_config_hook = NULL;
    pfj_stub_pre_translate_name_hook = NULL;
    pfj_stub_translate_name_hook = NULL;
    pfj_stub_translate_name_last_hook = NULL;
    pfj_stub_map_to_storage_hook = NULL;
    pfj_stub_log_transaction_hook = NULL;
    pyfarm_jobs_module.register_hooks(pool);
    ck_assert_ptr_nonnull(pfj_stub_handler_hook);
    ck_assert_ptr_nonnull(pfj_stub_check_config_hook);
    ck_assert_ptr_nonnull(pfj_stub_post_config_hook);
    ck_assert_ptr_nonnull(pfj_stub_pre_translate_name_hook);
    ck_assert_ptr_nonnull(pfj_stub_translate_name_hook);
    ck_assert_ptr_nonnull(pfj_stub_translate_name_last_hook);
    ck_assert_ptr_nonnull(pfj_stub_map_to_storage_hook);
    ck_assert_ptr_nonnull(pfj_stub_log_transaction_hook);
    pfj_stub_mod_dbd(1);
    ck_assert_int_eq(pfj_stub_check_config_hook(pool, pool, pool, NULL), OK);
    pfj_stub_last_log[0] = '\0';
    pfj_stub_prepared = 0;
    pfj_stub_acquired = 0;
}

static void teardown(void)
{
    apr_pool_destroy(pool);
    pool = NULL;
}

/* ---- directives, as httpd's invoke_cmd() calls their setters ---- */

static const command_rec *directive(const char *name)
{
    const command_rec *cmd;

    for (cmd = pyfarm_jobs_module.cmds; cmd->name; cmd++) {
        if (strcasecmp(cmd->name, name) == 0) {
            return cmd;
        }
    }
    ck_abort_msg("no directive %s", name);
    return NULL;
}

/* "Directive arg" in a section whose configuration is conf: NULL when
 * accepted, else the error httpd would print.  For a FLAG directive httpd
 * itself refuses anything but On and Off; only those are given here. */
static const char *set(void *conf, const char *name, const char *arg)
{
    const command_rec *cmd = directive(name);
    cmd_parms parms;

    memset(&parms, 0, sizeof(parms));
    parms.info = cmd->cmd_data;
    parms.cmd = cmd;
    parms.pool = pool;
    parms.temp_pool = pool;
    switch (cmd->args_how) {
    case TAKE1:
        return cmd->AP_TAKE1(&parms, conf, arg);
    case FLAG:
        ck_assert(strcasecmp(arg, "On") == 0 || strcasecmp(arg, "Off") == 0);
        return cmd->AP_FLAG(&parms, conf, strcasecmp(arg, "On") == 0);
    default:
        ck_abort_msg("%s: unexpected args_how %d", name, cmd->args_how);
    }
    return NULL;
}

static pfj_dir_conf *section(const char *dir)
{
    return pyfarm_jobs_module.create_dir_config(pool, (char *)dir);
}

static pfj_dir_conf *merge(pfj_dir_conf *outer, pfj_dir_conf *inner)
{
    return pyfarm_jobs_module.merge_dir_config(pool, outer, inner);
}

START_TEST(directives_take_what_httpd_parses)
{
    ck_assert_int_eq(directive("PyFarmJobsAutocreateUsers")->args_how, FLAG);
    ck_assert_int_eq(directive("PyFarmJobsBase")->args_how, TAKE1);
    ck_assert_int_eq(directive("PyFarmJobsMaxBodySize")->args_how, TAKE1);
    ck_assert_int_eq(directive("PyFarmJobsMaxTasksPerJob")->args_how, TAKE1);
    ck_assert_int_eq(directive("PyFarmJobsMaxListLimit")->args_how, TAKE1);
    ck_assert_int_eq(directive("PyFarmJobsUserFromAuth")->args_how, TAKE1);
}
END_TEST

/* Every directive: server config and <Location>/<Directory>, never
 * .htaccess (a user's .htaccess must not raise the admin's limits). */
START_TEST(directives_are_the_admins_only)
{
    const command_rec *cmd;
    int n = 0;

    for (cmd = pyfarm_jobs_module.cmds; cmd->name; cmd++, n++) {
        ck_assert_msg(cmd->req_override == (RSRC_CONF | ACCESS_CONF), "%s",
                      cmd->name);
    }
    ck_assert_int_eq(n, 10);
}
END_TEST

START_TEST(max_body_size_good_and_bad)
{
    pfj_dir_conf *c = section("/");

    ck_assert_ptr_null(set(c, "PyFarmJobsMaxBodySize", "65536"));
    ck_assert_int_eq(pfj_conf_max_body(c), 65536);
    ck_assert_str_eq(set(c, "PyFarmJobsMaxBodySize", "0"),
                     "'0' is not a positive number of bytes");
    ck_assert_str_eq(set(c, "PyFarmJobsMaxBodySize", "64k"),
                     "'64k' is not a positive number of bytes");
    ck_assert_str_eq(set(c, "PyFarmJobsMaxBodySize", "-1"),
                     "'-1' is not a positive number of bytes");
    ck_assert_str_eq(set(c, "PyFarmJobsMaxBodySize", ""),
                     "'' is not a positive number of bytes");
    ck_assert_int_eq(pfj_conf_max_body(c), 65536);
    ck_assert_ptr_null(set(c, "PyFarmJobsMaxLogSize", "2048"));
    ck_assert_int_eq(pfj_conf_max_log_size(c), 2048);
    ck_assert_str_eq(set(c, "PyFarmJobsMaxLogSize", "1G"),
                     "'1G' is not a positive number of bytes");
}
END_TEST

START_TEST(counts_good_and_bad)
{
    pfj_dir_conf *c = section("/");

    ck_assert_ptr_null(set(c, "PyFarmJobsMaxTasksPerJob", "10"));
    ck_assert_int_eq(pfj_conf_max_tasks(c), 10);
    ck_assert_ptr_null(set(c, "PyFarmJobsMaxListLimit", "25"));
    ck_assert_int_eq(pfj_conf_list_limit(c), 25);
    ck_assert_str_eq(set(c, "PyFarmJobsMaxTasksPerJob", "many"),
                     "'many' is not a positive number");
    ck_assert_str_eq(set(c, "PyFarmJobsMaxListLimit", "0"),
                     "'0' is not a positive number");
    ck_assert_str_eq(set(c, "PyFarmJobsMaxListLimit", "1e3"),
                     "'1e3' is not a positive number");
    ck_assert_int_eq(pfj_conf_max_tasks(c), 10);
    ck_assert_int_eq(pfj_conf_list_limit(c), 25);
    ck_assert_ptr_null(set(c, "PyFarmJobsDefaultAutodeleteTime", "3600"));
    ck_assert_str_eq(pfj_conf_autodelete(pool, c), "3600");
    ck_assert_ptr_null(set(c, "PyFarmJobsDefaultAutodeleteTime", "None"));
    ck_assert_ptr_null(pfj_conf_autodelete(pool, c));
    ck_assert_int_eq(c->autodelete, -2);
    ck_assert_str_eq(set(c, "PyFarmJobsDefaultAutodeleteTime", "soon"),
                     "'soon' is not a positive number");
}
END_TEST

START_TEST(base_good_and_bad)
{
    pfj_dir_conf *c = section("/");

    ck_assert_ptr_null(set(c, "PyFarmJobsBase", "/farm/api/v1/jobs//"));
    ck_assert_str_eq(pfj_conf_base(c), "/farm/api/v1/jobs");
    ck_assert_str_eq(set(c, "PyFarmJobsBase", "farm"),
                     "'farm' is not a URL path (it must start with /)");
    ck_assert_str_eq(pfj_conf_base(c), "/farm/api/v1/jobs");
}
END_TEST

START_TEST(on_off_and_strings)
{
    pfj_dir_conf *c = section("/");

    ck_assert_int_eq(pfj_conf_autocreate_users(c), 1);
    ck_assert_ptr_null(set(c, "PyFarmJobsAutocreateUsers", "Off"));
    ck_assert_int_eq(c->autocreate_users, 0);
    ck_assert_int_eq(pfj_conf_autocreate_users(c), 0);
    ck_assert_ptr_null(set(c, "PyFarmJobsAutocreateUsers", "On"));
    ck_assert_int_eq(c->autocreate_users, 1);
    ck_assert_ptr_null(set(c, "PyFarmJobsAutocreateUserEmail",
                           "{username}@example.com"));
    ck_assert_str_eq(pfj_conf_user_email(c), "{username}@example.com");
    ck_assert_ptr_null(set(c, "PyFarmJobsAutocreateUserEmail", "NONE"));
    ck_assert_str_eq(c->user_email, "");
    ck_assert_ptr_null(pfj_conf_user_email(c));
}
END_TEST

START_TEST(user_from_auth_good_and_bad)
{
    pfj_dir_conf *c = section("/");

    ck_assert_int_eq(pfj_conf_user_from_auth(c), PFJ_USER_FROM_AUTH_OFF);
    ck_assert_ptr_null(set(c, "PyFarmJobsUserFromAuth", "On"));
    ck_assert_int_eq(pfj_conf_user_from_auth(c), PFJ_USER_FROM_AUTH_ON);
    ck_assert_ptr_null(set(c, "PyFarmJobsUserFromAuth", "allowothers"));
    ck_assert_int_eq(pfj_conf_user_from_auth(c),
                     PFJ_USER_FROM_AUTH_ALLOW_OTHERS);
    ck_assert_str_eq(set(c, "PyFarmJobsUserFromAuth", "Others"),
                     "'Others' is not On, Off or AllowOthers");
    ck_assert_ptr_null(set(c, "PyFarmJobsUserFromAuth", "OFF"));
    ck_assert_int_eq(c->user_from_auth, PFJ_USER_FROM_AUTH_OFF);
}
END_TEST

START_TEST(log_dir_is_server_root_relative)
{
    pfj_dir_conf *c = section("/");

    pfj_stub_server_root = "/srv/httpd";
    ck_assert_ptr_null(set(c, "PyFarmJobsLogDir", "task_logs//"));
    ck_assert_str_eq(pfj_conf_log_dir(c), "/srv/httpd/task_logs");
    ck_assert_ptr_null(set(c, "PyFarmJobsLogDir", "/var/tmp/logs/"));
    ck_assert_str_eq(pfj_conf_log_dir(c), "/var/tmp/logs");
    ck_assert_ptr_null(set(c, "PyFarmJobsLogDir", "/"));
    ck_assert_str_eq(pfj_conf_log_dir(c), "/");
}
END_TEST

/* ---- per-directory create and merge, through the module record ---- */

/* The directive and a value for each field of pfj_dir_conf (one per
 * field: a new field needs a line here, scripts/check-sources.py checks
 * create and merge). */
static const struct {
    const char *directive;
    const char *outer, *inner;
} every_directive[] = {
    {"PyFarmJobsBase", "/outer", "/inner"},
    {"PyFarmJobsMaxBodySize", "100", "200"},
    {"PyFarmJobsAutocreateUsers", "Off", "On"},
    {"PyFarmJobsAutocreateUserEmail", "outer@example.com", "none"},
    {"PyFarmJobsMaxTasksPerJob", "300", "400"},
    {"PyFarmJobsMaxListLimit", "500", "600"},
    {"PyFarmJobsDefaultAutodeleteTime", "700", "none"},
    {"PyFarmJobsLogDir", "/var/outer", "/var/inner"},
    {"PyFarmJobsMaxLogSize", "800", "900"},
    {"PyFarmJobsUserFromAuth", "On", "AllowOthers"},
};
#define NDIRECTIVES PFJ_COUNT(every_directive)

/* What a configuration gives, field by field, as text. */
static const char *effective(const pfj_dir_conf *c)
{
    const char *autodelete = pfj_conf_autodelete(pool, c);
    const char *email = pfj_conf_user_email(c);

    return apr_psprintf(pool,
                        "base=%s body=%" APR_OFF_T_FMT " autocreate=%d "
                        "email=%s tasks=%" APR_INT64_T_FMT
                        " limit=%" APR_INT64_T_FMT " autodelete=%s "
                        "logdir=%s logsize=%" APR_OFF_T_FMT " userfromauth=%d",
                        pfj_conf_base(c), pfj_conf_max_body(c),
                        pfj_conf_autocreate_users(c), email ? email : "(none)",
                        pfj_conf_max_tasks(c), pfj_conf_list_limit(c),
                        autodelete ? autodelete : "(none)",
                        pfj_conf_log_dir(c), pfj_conf_max_log_size(c),
                        pfj_conf_user_from_auth(c));
}

START_TEST(directives_cover_every_field)
{
    pfj_dir_conf *c = section("/");
    pfj_dir_conf unset;
    apr_size_t i;

    memcpy(&unset, c, sizeof(unset));
    for (i = 0; i < NDIRECTIVES; i++) {
        ck_assert_ptr_null(set(c, every_directive[i].directive,
                               every_directive[i].outer));
    }
    /* a field no directive reaches would still be unset */
    ck_assert(c->base != unset.base);
    ck_assert(c->max_body != unset.max_body);
    ck_assert(c->autocreate_users != unset.autocreate_users);
    ck_assert(c->user_email != unset.user_email);
    ck_assert(c->max_tasks != unset.max_tasks);
    ck_assert(c->list_limit != unset.list_limit);
    ck_assert(c->autodelete != unset.autodelete);
    ck_assert(c->log_dir != unset.log_dir);
    ck_assert(c->max_log_size != unset.max_log_size);
    ck_assert(c->user_from_auth != unset.user_from_auth);
}
END_TEST

START_TEST(create_is_unset_everywhere)
{
    ck_assert_str_eq(effective(section(NULL)),
                     "base=/api/v1/jobs body=1048576 autocreate=1 "
                     "email=(none) tasks=1000000 limit=1000 "
                     "autodelete=(none) logdir=/var/lib/pyfarm/task_logs "
                     "logsize=1073741824 userfromauth=0");
    ck_assert_str_eq(effective(merge(section(NULL), section("/x"))),
                     effective(section(NULL)));
}
END_TEST

START_TEST(unset_inherits)
{
    pfj_dir_conf *outer = section("/");
    apr_size_t i;

    for (i = 0; i < NDIRECTIVES; i++) {
        set(outer, every_directive[i].directive, every_directive[i].outer);
    }
    ck_assert_str_eq(effective(merge(outer, section("/inner"))),
                     effective(outer));
    ck_assert_str_eq(effective(merge(section("/"), outer)), effective(outer));
}
END_TEST

/* For each directive alone in the inner section: that field is the
 * inner one, every other field the outer one. */
START_TEST(inner_wins_field_by_field)
{
    pfj_dir_conf *outer = section("/");
    apr_size_t i, j;

    for (i = 0; i < NDIRECTIVES; i++) {
        set(outer, every_directive[i].directive, every_directive[i].outer);
    }
    for (i = 0; i < NDIRECTIVES; i++) {
        pfj_dir_conf *inner = section("/inner");
        pfj_dir_conf *expected = section("/expected");

        set(inner, every_directive[i].directive, every_directive[i].inner);
        for (j = 0; j < NDIRECTIVES; j++) {
            set(expected, every_directive[j].directive,
                j == i ? every_directive[j].inner : every_directive[j].outer);
        }
        ck_assert_msg(strcmp(effective(merge(outer, inner)),
                             effective(expected))
                          == 0,
                      "%s: %s, expected %s", every_directive[i].directive,
                      effective(merge(outer, inner)), effective(expected));
    }
}
END_TEST

START_TEST(merge_of_three_levels)
{
    pfj_dir_conf *server = section(NULL);
    pfj_dir_conf *location = section("/api");
    pfj_dir_conf *inner = section("/api/v1/jobs");
    pfj_dir_conf *m;

    set(server, "PyFarmJobsMaxBodySize", "100");
    set(server, "PyFarmJobsMaxListLimit", "5");
    set(location, "PyFarmJobsMaxBodySize", "200");
    set(inner, "PyFarmJobsAutocreateUsers", "Off");
    m = merge(merge(server, location), inner);
    ck_assert_int_eq(pfj_conf_max_body(m), 200);
    ck_assert_int_eq(pfj_conf_list_limit(m), 5);
    ck_assert_int_eq(pfj_conf_autocreate_users(m), 0);
    ck_assert_int_eq(pfj_conf_max_tasks(m), PFJ_DEFAULT_MAX_TASKS);
}
END_TEST

/* ---- hooks ---- */

START_TEST(check_config_needs_mod_dbd)
{
    pfj_stub_mod_dbd(0);
    ck_assert_int_eq(pfj_stub_check_config_hook(pool, pool, pool, NULL),
                     HTTP_INTERNAL_SERVER_ERROR);
    ck_assert_str_eq(pfj_stub_last_log,
                     "mod_pyfarm_jobs needs mod_dbd: enable it (a2enmod "
                     "dbd, or LoadModule dbd_module) before loading "
                     "mod_pyfarm_jobs");
    pfj_stub_mod_dbd(1);
    ck_assert_int_eq(pfj_stub_check_config_hook(pool, pool, pool, NULL), OK);
}
END_TEST

START_TEST(post_config_prepares_every_statement_and_the_log_dir)
{
    server_rec s;
    process_rec process = {.pool = pool};
    char tmpl[] = "/tmp/check_glue.XXXXXX";
    const char *dir;
    const pfj_stmt *const *t;
    const pfj_stmt *st;
    apr_finfo_t finfo;
    int statements = 0;

    memset(&s, 0, sizeof(s));
    s.process = &process;
    ck_assert_ptr_nonnull(mkdtemp(tmpl));
    dir = apr_pstrcat(pool, tmpl, "/task/logs", NULL);
    ck_assert_ptr_null(set(section("/"), "PyFarmJobsLogDir", dir));
    for (t = pfj_api_statements; *t; t++) {
        for (st = *t; st->label; st++) {
            statements++;
        }
    }
    ck_assert_int_eq(pfj_stub_post_config_hook(pool, pool, pool, &s), OK);
    ck_assert_int_gt(statements, 0);
    ck_assert_int_eq(pfj_stub_prepared, statements);
    /* mod_dbd groups the statements in its own post_config: ours first */
    ck_assert_str_eq(pfj_stub_post_config_succ[0], "mod_dbd.c");
    ck_assert_int_eq(apr_stat(&finfo, dir, APR_FINFO_TYPE, pool), APR_SUCCESS);
    ck_assert_int_eq(finfo.filetype, APR_DIR);
    apr_dir_remove(dir, pool);
    apr_dir_remove(apr_pstrcat(pool, tmpl, "/task", NULL), pool);
    apr_dir_remove(tmpl, pool);
}
END_TEST

/* ---- requests through the handler hook ---- */

/* A request to the handler with the configuration conf (NULL: a section
 * that sets nothing) and, when ctype is not NULL, that Content-Type. */
static request_rec *request(const char *method, const char *uri,
                            const char *ctype, const char *body,
                            pfj_dir_conf *conf)
{
    request_rec *r = pfj_stub_request(pool, method, uri, body);

    pfj_stub_set_dir_conf(r, &pyfarm_jobs_module, conf ? conf : section("/"));
    if (ctype) {
        apr_table_setn(r->headers_in, "Content-Type", ctype);
    }
    return r;
}

/* Runs the handler; the response is complete (one EOS) when it is OK. */
static int handle(request_rec *r)
{
    int rc = pfj_stub_handler_hook(r);

    if (rc == OK) {
        ck_assert_int_eq(pfj_stub_eos_count(r), 1);
    }
    return rc;
}

static void assert_json(request_rec *r, int status, const char *body)
{
    ck_assert_int_eq(r->status, status);
    ck_assert_str_eq(r->content_type, JSON_TYPE);
    ck_assert_str_eq(pfj_stub_output(r), body);
}

/* mod_dbd runs the module's post_connect hook on each new connection;
 * connections of a DBD configuration without the module's statements are
 * left alone (their sessions are not the module's). */
START_TEST(post_connect_sets_up_only_the_modules_connections)
{
    apr_array_header_t *hooks = apr_optional_hook_get("post_connect");
    dbd_LINK_post_connect_t *hook;
    ap_dbd_t dbd;
    dbd_cfg_t cfg;
    int i, found = 0;

    ck_assert_ptr_nonnull(hooks);
    for (i = 0; i < hooks->nelts; i++) {
        hook = (dbd_LINK_post_connect_t *)hooks->elts + i;
        found = found || hook->pFunc == pfj_db_post_connect;
    }
    ck_assert(found);
    memset(&dbd, 0, sizeof(dbd));
    memset(&cfg, 0, sizeof(cfg));
    ck_assert_int_eq(pfj_db_post_connect(pool, &cfg, &dbd), DECLINED);
    dbd.prepared = apr_hash_make(pool);
    apr_hash_set(dbd.prepared, "authn_dbd_1", APR_HASH_KEY_STRING, pool);
    ck_assert_int_eq(pfj_db_post_connect(pool, &cfg, &dbd), DECLINED);
}
END_TEST

/* ---- the directory walk skipped for API requests ---- */

/* A request whose <Location> configuration (core's SetHandler handler,
 * the module's conf) is what translate_name sees, translated (the hook
 * always declines) and ready for map_to_storage. */
static request_rec *translated(const char *method, const char *handler,
                               pfj_dir_conf *conf)
{
    request_rec *r = request(method, API "/7/tasks/", NULL, NULL, conf);

    pfj_stub_set_handler_conf(r, handler);
    r->filename = "/srv/htdocs" API "/7/tasks/";
    ck_assert_int_eq(pfj_stub_translate_name_hook(r), DECLINED);
    return r;
}

START_TEST(api_requests_map_to_no_file)
{
    pfj_dir_conf *farm = section("/farm/api/v1/jobs");
    request_rec *r = translated("GET", "pyfarm-jobs", NULL);

    /* translated before core would merge the path into DocumentRoot */
    ck_assert_int_eq(pfj_stub_translate_name_last_hook(r), OK);
    ck_assert_str_eq(r->filename, "pyfarm-jobs:" API);
    ck_assert_str_eq(r->canonical_filename, "pyfarm-jobs:" API);
    ck_assert_int_eq(pfj_stub_map_to_storage_hook(r), OK);
    ck_assert_str_eq(r->filename, "pyfarm-jobs:" API);
    /* handler names are case-insensitive, as core's fixup lowers them */
    r = translated("POST", "PyFarm-Jobs", NULL);
    ck_assert_int_eq(pfj_stub_map_to_storage_hook(r), OK);
    ck_assert_ptr_null(set(farm, "PyFarmJobsBase", "/farm/api/v1/jobs"));
    r = translated("DELETE", "pyfarm-jobs", farm);
    ck_assert_int_eq(pfj_stub_map_to_storage_hook(r), OK);
    ck_assert_str_eq(r->filename, "pyfarm-jobs:/farm/api/v1/jobs");
}
END_TEST

/* The counters' table made as httpd's parent makes it (forgotten with
 * the test's pool, pconf here). */
static void make_stats_table(void)
{
    static process_rec process;
    static server_rec s;

    process.pool = pool;
    s.process = &process;
    ck_assert_int_eq(pfj_stats_post_config(pool, &s), OK);
}

/* mod_status' ?auto lines as the status hook writes them. */
static const char *status_auto(void)
{
    request_rec *r = request("GET", "/server-status?auto", NULL, NULL, NULL);
    apr_array_header_t *hooks = apr_optional_hook_get("status_hook");

    ck_assert_ptr_nonnull(hooks); /* registered with mod_status */
    ck_assert_int_eq(pfj_stats_status_hook(r, AP_STATUS_SHORT), OK);
    return pfj_stub_output(r);
}

START_TEST(api_requests_are_counted_as_logged)
{
    request_rec *r;

    make_stats_table();
    /* with the status sent, also by httpd (access control's 401) */
    r = translated("GET", "pyfarm-jobs", NULL);
    r->status = HTTP_UNAUTHORIZED;
    ck_assert_int_eq(pfj_stub_log_transaction_hook(r), DECLINED);
    /* not the API's */
    r = translated("GET", "default-handler", NULL);
    ck_assert_int_eq(pfj_stub_log_transaction_hook(r), DECLINED);
    r = translated("GET", "pyfarm-jobs-metrics", NULL);
    ck_assert_int_eq(pfj_stub_log_transaction_hook(r), DECLINED);
    ck_assert_ptr_nonnull(strstr(status_auto(),
                                 "PyFarmJobsRequests_tasks_list: 1\n"
                                 "PyFarmJobsClientErrors_tasks_list: 1\n"));
    ck_assert_ptr_nonnull(strstr(status_auto(),
                                 "PyFarmJobsRequests_unrouted: 0\n"));
}
END_TEST

START_TEST(metrics_answer_get_and_head_only)
{
    request_rec *r = request("POST", "/metrics", NULL, NULL, NULL);

    make_stats_table();
    r->handler = "pyfarm-jobs-metrics";
    ck_assert_int_eq(pfj_stub_handler_hook(r), HTTP_METHOD_NOT_ALLOWED);
    ck_assert(r->allowed_methods->method_mask == (AP_METHOD_BIT << M_GET));
}
END_TEST

START_TEST(other_requests_are_walked_as_before)
{
    static const char *const handlers[] = {NULL, "default-handler",
                                           "pyfarm-jobs-not", "none"};
    request_rec *r;
    apr_size_t i;

    for (i = 0; i < PFJ_COUNT(handlers); i++) {
        r = translated("GET", handlers[i], NULL);
        ck_assert_int_eq(pfj_stub_translate_name_last_hook(r), DECLINED);
        ck_assert_int_eq(pfj_stub_map_to_storage_hook(r), DECLINED);
        ck_assert_str_eq(r->filename, "/srv/htdocs" API "/7/tasks/");
    }
    /* httpd answers TRACE (mod_http's map_to_storage) */
    r = translated("TRACE", "pyfarm-jobs", NULL);
    ck_assert_int_eq(pfj_stub_translate_name_last_hook(r), DECLINED);
    ck_assert_int_eq(pfj_stub_map_to_storage_hook(r), DECLINED);
    /* a URL a later translate_name hook rewrote (mod_rewrite's PT) */
    r = translated("GET", "pyfarm-jobs", NULL);
    r->uri = "/static/logo.png";
    ck_assert_int_eq(pfj_stub_translate_name_last_hook(r), DECLINED);
    ck_assert_int_eq(pfj_stub_map_to_storage_hook(r), DECLINED);
    ck_assert_str_eq(r->filename, "/srv/htdocs" API "/7/tasks/");
    /* mod_proxy's requests are mod_proxy's */
    r = request("GET", API "/1", NULL, NULL, NULL);
    pfj_stub_set_handler_conf(r, "pyfarm-jobs");
    r->proxyreq = PROXYREQ_REVERSE;
    ck_assert_int_eq(pfj_stub_translate_name_hook(r), DECLINED);
    ck_assert_int_eq(pfj_stub_translate_name_last_hook(r), DECLINED);
    ck_assert_int_eq(pfj_stub_map_to_storage_hook(r), DECLINED);
    /* no translate_name (a file subrequest): nothing noted */
    r = request("GET", API "/1", NULL, NULL, NULL);
    ck_assert_int_eq(pfj_stub_translate_name_last_hook(r), DECLINED);
    ck_assert_int_eq(pfj_stub_map_to_storage_hook(r), DECLINED);
}
END_TEST

/* pre_translate_name: an API path holding %00 is kept from httpd's
 * decoding (DONE), which would answer its HTML 404; the router gives the
 * API's JSON 404 instead.  Everything else is decoded by httpd. */
static int pre_translated(const char *uri, const char *handler)
{
    request_rec *r = request("GET", uri, NULL, NULL, NULL);

    pfj_stub_set_handler_conf(r, handler);
    return pfj_stub_pre_translate_name_hook(r);
}

START_TEST(nul_escapes_of_api_paths_are_left_to_the_router)
{
    request_rec *r;

    ck_assert_int_eq(pre_translated(API "/a%00b", "pyfarm-jobs"), DONE);
    ck_assert_int_eq(pre_translated(API "/1/tasks/%00", "PyFarm-Jobs"), DONE);
    ck_assert_int_eq(pre_translated(API "/a%00b?x=1", "pyfarm-jobs"), DONE);
    /* then the router: no route, the JSON 404 */
    r = request("GET", API "/a%00b", NULL, NULL, NULL);
    ck_assert_int_eq(handle(r), OK);
    assert_json(r, HTTP_NOT_FOUND,
                "{\"error\": \"http://localhost" API
                "/a%00b was not found\"}");
    /* decoded by httpd as before */
    ck_assert_int_eq(pre_translated(API "/a%2500b", "pyfarm-jobs"), DECLINED);
    ck_assert_int_eq(pre_translated(API "/a%20b", "pyfarm-jobs"), DECLINED);
    ck_assert_int_eq(pre_translated(API "/1?x=%00", "pyfarm-jobs"), DECLINED);
    ck_assert_int_eq(pre_translated("/static/a%00b", NULL), DECLINED);
    ck_assert_int_eq(pre_translated("/static/a%00b", "default-handler"),
                     DECLINED);
    r = request("GET", API "/a%00b", NULL, NULL, NULL);
    pfj_stub_set_handler_conf(r, "pyfarm-jobs");
    r->proxyreq = PROXYREQ_REVERSE;
    ck_assert_int_eq(pfj_stub_pre_translate_name_hook(r), DECLINED);
}
END_TEST

START_TEST(other_handlers_are_declined)
{
    request_rec *r = request("GET", API "/", NULL, NULL, NULL);

    r->handler = "default-handler";
    ck_assert_int_eq(pfj_stub_handler_hook(r), DECLINED);
    r->handler = NULL;
    ck_assert_int_eq(pfj_stub_handler_hook(r), DECLINED);
    ck_assert_int_eq(pfj_stub_pass_count(r), 0);
}
END_TEST

START_TEST(method_not_allowed_405_with_allow)
{
    request_rec *r = request("DELETE", API "/", NULL, NULL, NULL);

    ck_assert_int_eq(handle(r), OK);
    assert_json(r, 405,
                "{\"error\": \"http://localhost/api/v1/jobs/ does not allow "
                "DELETE requests\"}");
    ck_assert_str_eq(apr_table_get(r->err_headers_out, "Allow"),
                     "GET, HEAD, POST, OPTIONS");

    r = request("PUT", API "/1?x=1", NULL, NULL, NULL);
    ck_assert_int_eq(handle(r), OK);
    assert_json(r, 405,
                "{\"error\": \"http://localhost/api/v1/jobs/1?x=1 does not "
                "allow PUT requests\"}");
    ck_assert_str_eq(apr_table_get(r->err_headers_out, "Allow"),
                     "GET, HEAD, POST, DELETE, OPTIONS");

    r = request("PATCH", API "/1/tasks/", NULL, NULL, NULL);
    ck_assert_int_eq(handle(r), OK);
    ck_assert_int_eq(r->status, 405);
    ck_assert_str_eq(apr_table_get(r->err_headers_out, "Allow"),
                     "GET, HEAD, OPTIONS");
}
END_TEST

START_TEST(declared_body_over_the_limit_413_unread)
{
    request_rec *r = request("POST", API "/", JSON_TYPE, "{}", NULL);

    apr_table_setn(r->headers_in, "Content-Length", "1048577");
    ck_assert_int_eq(handle(r), OK);
    assert_json(r, 413,
                "{\"error\": \"request body is larger than the limit of "
                "1048576 bytes\"}");
    ck_assert_int_eq(pfj_stub_read_count(r), 0);
    ck_assert_int_eq(r->connection->keepalive, AP_CONN_CLOSE);
}
END_TEST

START_TEST(body_over_the_configured_limit_413)
{
    pfj_dir_conf *c = section("/");
    request_rec *r;

    ck_assert_ptr_null(set(c, "PyFarmJobsMaxBodySize", "10"));
    r = request("PUT", API "/1", JSON_TYPE, "{}", c);
    apr_table_setn(r->headers_in, "Content-Length", "11");
    ck_assert_int_eq(handle(r), OK);
    assert_json(r, 413,
                "{\"error\": \"request body is larger than the limit of "
                "10 bytes\"}");
    ck_assert_int_eq(pfj_stub_read_count(r), 0);

    /* no Content-Length (chunked): refused once more than 10 are read */
    r = request("POST", API "/", JSON_TYPE, "{\"title\": \"too long\"}", c);
    ck_assert_int_eq(handle(r), OK);
    assert_json(r, 413,
                "{\"error\": \"request body is larger than the limit of "
                "10 bytes\"}");
    ck_assert_int_gt(pfj_stub_read_count(r), 0);
    ck_assert_int_eq(r->connection->keepalive, AP_CONN_CLOSE);
}
END_TEST

START_TEST(slash_redirect_308)
{
    request_rec *r = request("GET", API, NULL, NULL, NULL);
    const char *html = "<!doctype html>\n<html lang=en>\n"
                       "<title>Redirecting...</title>\n"
                       "<h1>Redirecting...</h1>\n"
                       "<p>You should be redirected automatically to the "
                       "target URL: <a href=\"http://localhost/api/v1/jobs/\">"
                       "http://localhost/api/v1/jobs/</a>. If not, click the "
                       "link.\n";

    ck_assert_int_eq(handle(r), OK);
    ck_assert_int_eq(r->status, HTTP_PERMANENT_REDIRECT);
    ck_assert_str_eq(r->content_type, HTML_TYPE);
    ck_assert_str_eq(apr_table_get(r->headers_out, "Location"),
                     "http://localhost/api/v1/jobs/");
    ck_assert_str_eq(pfj_stub_output(r), html);

    r = request("POST", API "/1/tasks?a=1&b=%22", NULL, NULL, NULL);
    apr_table_setn(r->headers_in, "Host", "farm.example:8080");
    ck_assert_int_eq(handle(r), OK);
    ck_assert_int_eq(r->status, HTTP_PERMANENT_REDIRECT);
    ck_assert_str_eq(apr_table_get(r->headers_out, "Location"),
                     "http://farm.example:8080/api/v1/jobs/1/tasks/"
                     "?a=1&b=%22");
    ck_assert_ptr_nonnull(strstr(pfj_stub_output(r),
                                 "href=\"http://farm.example:8080/api/v1/"
                                 "jobs/1/tasks/?a=1&amp;b=%22\""));
}
END_TEST

START_TEST(options_lists_the_methods_with_an_empty_html_body)
{
    request_rec *r = request("OPTIONS", API "/1", NULL, NULL, NULL);

    ck_assert_int_eq(handle(r), OK);
    ck_assert_int_eq(r->status, HTTP_OK);
    ck_assert_str_eq(r->content_type, HTML_TYPE);
    ck_assert_str_eq(apr_table_get(r->headers_out, "Allow"),
                     "GET, HEAD, POST, DELETE, OPTIONS");
    ck_assert_str_eq(apr_table_get(r->headers_out, "Content-Length"), "0");
    ck_assert_str_eq(pfj_stub_output(r), "");

    r = request("OPTIONS", API "/", NULL, NULL, NULL);
    ck_assert_int_eq(handle(r), OK);
    ck_assert_str_eq(apr_table_get(r->headers_out, "Allow"),
                     "GET, HEAD, POST, OPTIONS");

    /* an unknown path is a 404 for OPTIONS too */
    r = request("OPTIONS", API "/1/nothing", NULL, NULL, NULL);
    ck_assert_int_eq(handle(r), OK);
    ck_assert_int_eq(r->status, HTTP_NOT_FOUND);
    ck_assert_ptr_null(apr_table_get(r->headers_out, "Allow"));
}
END_TEST

/* HEAD is routed as GET and answered by the GET handler (httpd's header
 * filter drops the body, and keeps the Content-Length of the GET). */
START_TEST(head_is_routed_as_get)
{
    request_rec *get = request("GET", API "/schema", NULL, NULL, NULL);
    request_rec *r = request("HEAD", API "/schema", NULL, NULL, NULL);

    ck_assert_int_eq(handle(get), OK);
    ck_assert_int_eq(handle(r), OK);
    ck_assert_int_eq(r->status, HTTP_OK);
    ck_assert_str_eq(r->content_type, JSON_TYPE);
    ck_assert_str_eq(pfj_stub_output(r), pfj_stub_output(get));
    ck_assert_ptr_nonnull(strstr(pfj_stub_output(r), "\"id\": \"BIGINT\""));

    /* a route without GET: 405, and the Allow header has no HEAD */
    r = request("HEAD", API "/1/tasks/2/failed_on_agents/agent", NULL, NULL,
                NULL);
    ck_assert_int_eq(handle(r), OK);
    ck_assert_int_eq(r->status, HTTP_METHOD_NOT_ALLOWED);
    ck_assert_str_eq(apr_table_get(r->err_headers_out, "Allow"),
                     "DELETE, OPTIONS");
}
END_TEST

START_TEST(unknown_path_404_json)
{
    request_rec *r = request("GET", API "/1/nothing", NULL, NULL, NULL);

    ck_assert_int_eq(handle(r), OK);
    assert_json(r, 404,
                "{\"error\": \"http://localhost/api/v1/jobs/1/nothing was "
                "not found\"}");

    /* the URL as sent: path undecoded, with the query */
    r = request("GET", API "/1/no%20thing?q=%41", NULL, NULL, NULL);
    apr_table_setn(r->headers_in, "Host", "farm.example:8080");
    ck_assert_int_eq(handle(r), OK);
    ck_assert_str_eq(r->uri, API "/1/no thing");
    assert_json(r, 404,
                "{\"error\": \"http://farm.example:8080/api/v1/jobs/1/"
                "no%20thing?q=%41 was not found\"}");
}
END_TEST

START_TEST(outside_the_configured_base_404)
{
    pfj_dir_conf *c = section("/");
    request_rec *r;

    ck_assert_ptr_null(set(c, "PyFarmJobsBase", "/farm/jobs/"));
    r = request("GET", API "/schema", NULL, NULL, c);
    ck_assert_int_eq(handle(r), OK);
    ck_assert_int_eq(r->status, HTTP_NOT_FOUND);
    ck_assert_str_eq(pfj_stub_last_log,
                     "/api/v1/jobs/schema is outside the API prefix "
                     "/farm/jobs (see PyFarmJobsBase)");

    r = request("GET", "/farm/jobs/schema", NULL, NULL, c);
    ck_assert_int_eq(handle(r), OK);
    ck_assert_int_eq(r->status, HTTP_OK);
}
END_TEST

START_TEST(unsupported_media_type_415)
{
    request_rec *r = request("POST", API "/", "text/plain; charset=utf-8",
                             "hello", NULL);

    ck_assert_int_eq(handle(r), OK);
    assert_json(r, 415,
                "{\"error\": \"Unsupported media type 'text/plain'\"}");

    r = request("PUT", API "/1", NULL, "{}", NULL);
    ck_assert_int_eq(handle(r), OK);
    assert_json(r, 415, "{\"error\": \"Unsupported media type ''\"}");

    /* a type left for the handler: the submission wants JSON */
    r = request("POST", API "/", "text/csv", "title,jobtype\nx,y\n", NULL);
    ck_assert_int_eq(handle(r), OK);
    assert_json(r, 415,
                "{\"error\": \"Unsupported mimetype, only "
                "{'application/json'} mimetype(s) are supported.\"}");
}
END_TEST

START_TEST(json_body_errors_400)
{
    request_rec *r = request("POST", API "/", JSON_TYPE, "{bad", NULL);

    ck_assert_int_eq(handle(r), OK);
    assert_json(r, 400, "{\"error\": \"failed to decode json\"}");

    r = request("POST", API "/", JSON_TYPE, "", NULL);
    ck_assert_int_eq(handle(r), OK);
    assert_json(r, 400, "{\"error\": \"no data to decode\"}");

    /* an empty body of an unknown type is no body at all: routed */
    r = request("DELETE", API "/", "text/plain", "", NULL);
    ck_assert_int_eq(handle(r), OK);
    ck_assert_int_eq(r->status, 405);
}
END_TEST

START_TEST(no_database_connection_503)
{
    request_rec *r = request("GET", API "/1", NULL, NULL, NULL);

    ck_assert_int_eq(handle(r), OK);
    ck_assert_int_eq(pfj_stub_acquired, 1);
    assert_json(r, 503,
                "{\"error\": \"the database is unavailable, try again "
                "later\"}");
    ck_assert_str_eq(apr_table_get(r->err_headers_out, "Retry-After"), "1");
}
END_TEST

/* A log upload asks for a connection of its own, which it gives back
 * before reading the body; without one: 503, and the unread body closes
 * the connection. */
START_TEST(no_database_connection_for_a_log_upload_503)
{
    request_rec *r = request("PUT",
                             API "/1/tasks/1/attempts/1/logs/a.csv/logfile",
                             "text/csv", "a,b\n", NULL);

    ck_assert_int_eq(handle(r), OK);
    ck_assert_int_eq(pfj_stub_acquired, 1);
    ck_assert_int_eq(pfj_stub_read_count(r), 0);
    ck_assert_int_eq(r->connection->keepalive, AP_CONN_CLOSE);
    assert_json(r, 503,
                "{\"error\": \"the database is unavailable, try again "
                "later\"}");
}
END_TEST

/* SetHandler pyfarm-jobs-health, wherever it is set: without a database
 * connection 503 naming the database, never cached; GET and HEAD only. */
START_TEST(health_without_a_database_503)
{
    request_rec *r = request("GET", "/pyfarm-jobs-health", NULL, NULL, NULL);

    r->handler = "pyfarm-jobs-health";
    ck_assert_int_eq(handle(r), OK);
    ck_assert_int_eq(pfj_stub_acquired, 1);
    assert_json(r, 503,
                "{\"status\": \"error\", \"problems\": [{\"kind\": "
                "\"database\", \"problem\": \"unavailable\"}]}");
    ck_assert_str_eq(apr_table_get(r->headers_out, "Cache-Control"),
                     "no-store");

    r = request("POST", "/pyfarm-jobs-health", JSON_TYPE, "{}", NULL);
    r->handler = "pyfarm-jobs-health";
    ck_assert_int_eq(handle(r), OK);
    assert_json(r, 405,
                "{\"error\": \"http://localhost/pyfarm-jobs-health does "
                "not allow POST requests\"}");
    ck_assert_str_eq(apr_table_get(r->err_headers_out, "Allow"), "GET, HEAD");
}
END_TEST

static Suite *glue_suite(void)
{
    Suite *s = suite_create("glue");
    TCase *directives = tcase_create("directives");
    TCase *dir_config = tcase_create("dir_config");
    TCase *hooks = tcase_create("hooks");
    TCase *responses = tcase_create("responses");

    tcase_add_checked_fixture(directives, setup, teardown);
    tcase_add_test(directives, directives_take_what_httpd_parses);
    tcase_add_test(directives, directives_are_the_admins_only);
    tcase_add_test(directives, max_body_size_good_and_bad);
    tcase_add_test(directives, counts_good_and_bad);
    tcase_add_test(directives, base_good_and_bad);
    tcase_add_test(directives, on_off_and_strings);
    tcase_add_test(directives, user_from_auth_good_and_bad);
    tcase_add_test(directives, log_dir_is_server_root_relative);
    suite_add_tcase(s, directives);

    tcase_add_checked_fixture(dir_config, setup, teardown);
    tcase_add_test(dir_config, directives_cover_every_field);
    tcase_add_test(dir_config, create_is_unset_everywhere);
    tcase_add_test(dir_config, unset_inherits);
    tcase_add_test(dir_config, inner_wins_field_by_field);
    tcase_add_test(dir_config, merge_of_three_levels);
    suite_add_tcase(s, dir_config);

    tcase_add_checked_fixture(hooks, setup, teardown);
    tcase_add_test(hooks, check_config_needs_mod_dbd);
    tcase_add_test(hooks,
                   post_config_prepares_every_statement_and_the_log_dir);
    tcase_add_test(hooks, post_connect_sets_up_only_the_modules_connections);
    tcase_add_test(hooks, api_requests_map_to_no_file);
    tcase_add_test(hooks, other_requests_are_walked_as_before);
    tcase_add_test(hooks, api_requests_are_counted_as_logged);
    tcase_add_test(hooks, metrics_answer_get_and_head_only);
    tcase_add_test(hooks, nul_escapes_of_api_paths_are_left_to_the_router);
    suite_add_tcase(s, hooks);

    tcase_add_checked_fixture(responses, setup, teardown);
    tcase_add_test(responses, other_handlers_are_declined);
    tcase_add_test(responses, method_not_allowed_405_with_allow);
    tcase_add_test(responses, declared_body_over_the_limit_413_unread);
    tcase_add_test(responses, body_over_the_configured_limit_413);
    tcase_add_test(responses, slash_redirect_308);
    tcase_add_test(responses,
                   options_lists_the_methods_with_an_empty_html_body);
    tcase_add_test(responses, head_is_routed_as_get);
    tcase_add_test(responses, unknown_path_404_json);
    tcase_add_test(responses, outside_the_configured_base_404);
    tcase_add_test(responses, unsupported_media_type_415);
    tcase_add_test(responses, json_body_errors_400);
    tcase_add_test(responses, no_database_connection_503);
    tcase_add_test(responses, no_database_connection_for_a_log_upload_503);
    tcase_add_test(responses, health_without_a_database_503);
    suite_add_tcase(s, responses);
    return s;
}

int main(void)
{
    SRunner *sr;
    int failed;

    apr_initialize();
    /* the optional functions (mod_dbd's) live in the hooks' pool */
    apr_pool_create(&apr_hook_global_pool, NULL);
    /* httpd gives each module its index when it is loaded */
    pyfarm_jobs_module.module_index = 1; /* 0 is core's */
    sr = srunner_create(glue_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    apr_terminate();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
