/* job_cases.c - fixtures of the job decisions' tests (job_cases.h). */
#include <string.h>
#include <apr_strings.h>
#include "job_cases.h"
#include "core/json_body.h"
#include "core/job_update_rules.h"

/* The fake row's column names, by pfj_lookup_column. */
static const char *const lookup_names[PFJ_LC_COUNT] = {
    [PFJ_LC_JOBTYPE_VERSION_ID] = "jobtype_version_id",
    [PFJ_LC_SUPPORTS_TILING] = "supports_tiling",
    [PFJ_LC_SOFTWARE] = "software",
    [PFJ_LC_MISSING_PARENT] = "missing_parent",
    [PFJ_LC_CYCLIC_PARENT] = "cyclic_parent",
    [PFJ_LC_USER_ID] = "user_id",
    [PFJ_LC_QUEUE_ID] = "queue_id",
    [PFJ_LC_MISSING_NOTIFIED] = "missing_notified",
    [PFJ_LC_GROUP_EXISTS] = "group_exists",
    [PFJ_LC_ID_EXISTS] = "id_exists",
    [PFJ_LC_USER_ID_NAME] = "user_id_name",
    [PFJ_LC_QUEUE_ID_EXISTS] = "queue_id_exists",
};

static const char *const all_found[PFJ_LC_COUNT] = {
    [PFJ_LC_JOBTYPE_VERSION_ID] = "3",
    [PFJ_LC_SUPPORTS_TILING] = "t",
    [PFJ_LC_USER_ID] = "4",
    [PFJ_LC_QUEUE_ID] = "8",
    [PFJ_LC_GROUP_EXISTS] = "t",
    [PFJ_LC_ID_EXISTS] = "f",
    [PFJ_LC_USER_ID_NAME] = "alice",
    [PFJ_LC_QUEUE_ID_EXISTS] = "t",
};

json_object *pfj_test_json(const char *text)
{
    char *json = apr_pstrdup(pfj_test_pool, text), *c;
    json_object *o;

    for (c = json; *c; c++) {
        if (*c == '\'') {
            *c = '"';
        }
    }
    ck_assert_msg(pfj_json_parse(pfj_test_pool, json, strlen(json), &o) == 0,
                  "unparsable test input %s", json);
    return o;
}

const char *pfj_test_list_of(int n, const char *entry_format, int repeat_first)
{
    apr_array_header_t *entries = apr_array_make(pfj_test_pool, n + 1,
                                                 sizeof(const char *));
    int i;

    for (i = 0; i < n; i++) {
        APR_ARRAY_PUSH(entries, const char *) = apr_psprintf(pfj_test_pool,
                                                             entry_format, i);
    }
    if (repeat_first) {
        APR_ARRAY_PUSH(entries, const char *) = apr_psprintf(pfj_test_pool,
                                                             entry_format, 0);
    }
    return apr_pstrcat(pfj_test_pool, "[",
                       apr_array_pstrcat(pfj_test_pool, entries, ','), "]",
                       NULL);
}

void pfj_test_merge(json_object *o, const char *from)
{
    json_object_object_foreach(pfj_test_json(from), key, value)
    {
        if (!json_object_object_get_ex(o, key, NULL)) {
            json_object_object_add(o, key, json_object_get(value));
        }
    }
}

const char *pfj_test_plain(json_object *o)
{
    return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
}

/* The target row's column names, by pfj_target_column. */
static const char *const target_names[PFJ_TC_COUNT] = {
    [PFJ_TC_ID] = "id",
    [PFJ_TC_FIRST_FRAME] = "first_frame",
    [PFJ_TC_LAST_FRAME] = "last_frame",
    [PFJ_TC_BY] = "by",
    [PFJ_TC_JOBTYPE] = "jobtype",
    [PFJ_TC_NUM_TILES] = "num_tiles",
};

static const char *const job_7[PFJ_TC_COUNT] = {
    [PFJ_TC_ID] = "7",
    [PFJ_TC_FIRST_FRAME] = "1.0000",
    [PFJ_TC_LAST_FRAME] = "3.0000",
    [PFJ_TC_BY] = "1.0000",
    [PFJ_TC_JOBTYPE] = "render",
};

/* A copy of the n columns of row with changes (a JSON object by the
 * columns' names) applied. */
static const char *const *fake_row(const char *const *row,
                                   const char *const *names, int n,
                                   const char *changes)
{
    const char **copy = apr_pmemdup(pfj_test_pool, row, n * sizeof(*row));
    int i;

    if (changes == NULL) {
        return copy;
    }
    json_object_object_foreach(pfj_test_json(changes), name, value)
    {
        for (i = 0; i < n && strcmp(names[i], name) != 0; i++) {
        }
        ck_assert_msg(i < n, "no column %s", name);
        copy[i] = value ? apr_pstrdup(pfj_test_pool,
                                      json_object_get_string(value))
                        : NULL;
    }
    return copy;
}

const char *const *pfj_test_found(const char *changes)
{
    return fake_row(all_found, lookup_names, PFJ_LC_COUNT, changes);
}

const char *const *pfj_test_target(const char *changes)
{
    return fake_row(job_7, target_names, PFJ_TC_COUNT, changes);
}

pfj_dir_conf *pfj_test_conf(void)
{
    return pfj_config_create(pfj_test_pool, NULL);
}

pfj_dir_conf *pfj_test_conf_user_from_auth(pfj_user_from_auth mode)
{
    pfj_dir_conf *conf = pfj_test_conf();

    conf->user_from_auth = mode;
    return conf;
}

pfj_job_draft *pfj_test_draft(const char *body)
{
    return pfj_draft_new(pfj_test_pool, pfj_test_json(body), pfj_test_conf());
}
