/*
 * dir_config.c - creation, merging and defaults of the per-directory
 * configuration (see dir_config.h).
 */
#include <strings.h>
#include <apr_strings.h>
#include "core/count.h"
#include "core/dir_config.h"

void *pfj_config_create(apr_pool_t *p, char *dir)
{
    pfj_dir_conf *c = apr_pcalloc(p, sizeof(*c));

    c->max_body = -1;
    c->autocreate_users = -1;
    c->max_tasks = -1;
    c->list_limit = -1;
    c->autodelete = -1;
    c->max_log_size = -1;
    c->user_from_auth = -1;
    return c;
}

void *pfj_config_merge(apr_pool_t *p, void *basev, void *addv)
{
    const pfj_dir_conf *base = basev;
    const pfj_dir_conf *add = addv;
    pfj_dir_conf *c = apr_pcalloc(p, sizeof(*c));

    c->base = add->base ? add->base : base->base;
    c->max_body = add->max_body >= 0 ? add->max_body : base->max_body;
    c->autocreate_users = add->autocreate_users >= 0 ? add->autocreate_users
                                                     : base->autocreate_users;
    c->user_email = add->user_email ? add->user_email : base->user_email;
    c->max_tasks = add->max_tasks >= 0 ? add->max_tasks : base->max_tasks;
    c->list_limit = add->list_limit >= 0 ? add->list_limit : base->list_limit;
    c->autodelete = add->autodelete != -1 ? add->autodelete : base->autodelete;
    c->log_dir = add->log_dir ? add->log_dir : base->log_dir;
    c->max_log_size = add->max_log_size >= 0 ? add->max_log_size
                                             : base->max_log_size;
    c->user_from_auth = add->user_from_auth >= 0 ? add->user_from_auth
                                                 : base->user_from_auth;
    return c;
}

const char *pfj_config_parse_size(apr_pool_t *p, const char *arg,
                                  apr_off_t *out)
{
    char *end;
    apr_off_t v;

    if (apr_strtoff(&v, arg, &end, 10) != APR_SUCCESS || *end != '\0'
        || end == arg || v <= 0) {
        return apr_psprintf(p, "'%s' is not a positive number of bytes", arg);
    }
    *out = v;
    return NULL;
}

const char *pfj_config_parse_count(apr_pool_t *p, const char *arg,
                                   apr_int64_t *out)
{
    apr_off_t v;

    if (pfj_config_parse_size(p, arg, &v) != NULL) {
        return apr_psprintf(p, "'%s' is not a positive number", arg);
    }
    *out = v;
    return NULL;
}

const char *pfj_config_parse_base(apr_pool_t *p, const char *arg,
                                  const char **out)
{
    apr_size_t len = strlen(arg);

    if (arg[0] != '/') {
        return apr_psprintf(p,
                            "'%s' is not a URL path (it must start "
                            "with /)",
                            arg);
    }
    while (len > 0 && arg[len - 1] == '/') {
        len--;
    }
    *out = apr_pstrmemdup(p, arg, len);
    return NULL;
}

const char *pfj_config_parse_user_from_auth(apr_pool_t *p, const char *arg,
                                            int *out)
{
    static const struct {
        const char *name;
        pfj_user_from_auth value;
    } values[] = {{"Off", PFJ_USER_FROM_AUTH_OFF},
                  {"On", PFJ_USER_FROM_AUTH_ON},
                  {"AllowOthers", PFJ_USER_FROM_AUTH_ALLOW_OTHERS}};
    apr_size_t i;

    for (i = 0; i < PFJ_COUNT(values); i++) {
        if (strcasecmp(arg, values[i].name) == 0) {
            *out = values[i].value;
            return NULL;
        }
    }
    return apr_psprintf(p, "'%s' is not On, Off or AllowOthers", arg);
}

const char *pfj_conf_base(const pfj_dir_conf *c)
{
    return c->base ? c->base : PFJ_DEFAULT_BASE;
}

apr_off_t pfj_conf_max_body(const pfj_dir_conf *c)
{
    return c->max_body >= 0 ? c->max_body : PFJ_DEFAULT_MAX_BODY;
}

int pfj_conf_autocreate_users(const pfj_dir_conf *c)
{
    return c->autocreate_users != 0;
}

const char *pfj_conf_user_email(const pfj_dir_conf *c)
{
    return (c->user_email && *c->user_email) ? c->user_email : NULL;
}

apr_int64_t pfj_conf_max_tasks(const pfj_dir_conf *c)
{
    return c->max_tasks >= 0 ? c->max_tasks : PFJ_DEFAULT_MAX_TASKS;
}

apr_int64_t pfj_conf_list_limit(const pfj_dir_conf *c)
{
    return c->list_limit >= 0 ? c->list_limit : PFJ_DEFAULT_LIST_LIMIT;
}

const char *pfj_conf_autodelete(apr_pool_t *p, const pfj_dir_conf *c)
{
    return c->autodelete >= 0
               ? apr_psprintf(p, "%" APR_INT64_T_FMT, c->autodelete)
               : NULL;
}

const char *pfj_conf_log_dir(const pfj_dir_conf *c)
{
    return c->log_dir ? c->log_dir : PFJ_DEFAULT_LOG_DIR;
}

apr_off_t pfj_conf_max_log_size(const pfj_dir_conf *c)
{
    return c->max_log_size >= 0 ? c->max_log_size : PFJ_DEFAULT_MAX_LOG_SIZE;
}

pfj_user_from_auth pfj_conf_user_from_auth(const pfj_dir_conf *c)
{
    return c->user_from_auth >= 0 ? (pfj_user_from_auth)c->user_from_auth
                                  : PFJ_USER_FROM_AUTH_OFF;
}
