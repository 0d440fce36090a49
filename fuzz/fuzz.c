/*
 * fuzz.c - what the libFuzzer targets share (see fuzz.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_general.h>
#include <apr_strings.h>
#include "fuzz.h"
#include "core/json_body.h"
#include "core/json_writer.h"

/* libFuzzer calls this once, before the first input. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (apr_initialize() != APR_SUCCESS) {
        abort();
    }
    atexit(apr_terminate);
    return 0;
}

void pfj_fuzz_fail(const char *what, const char *file, int line)
{
    fprintf(stderr, "%s:%d: invariant failed: %s\n", file, line, what);
    abort();
}

apr_pool_t *pfj_fuzz_pool(void)
{
    apr_allocator_t *allocator;
    apr_pool_t *p;

    if (apr_allocator_create(&allocator) != APR_SUCCESS
        || apr_pool_create_ex(&p, NULL, NULL, allocator) != APR_SUCCESS) {
        abort();
    }
    apr_allocator_owner_set(allocator, p);
    return p;
}

static apr_status_t free_text(void *text)
{
    free(text);
    return APR_SUCCESS;
}

char *pfj_fuzz_text(apr_pool_t *p, const uint8_t *data, size_t size)
{
    size_t len = strnlen((const char *)data, size);
    char *text = malloc(len + 1);

    if (text == NULL) {
        abort();
    }
    memcpy(text, data, len);
    text[len] = '\0';
    apr_pool_cleanup_register(p, text, free_text, apr_pool_cleanup_null);
    return text;
}

int pfj_fuzz_bit(unsigned bits, unsigned n)
{
    return (bits >> n) & 1u;
}

unsigned pfj_fuzz_bits(const uint8_t **data, size_t *size, size_t n)
{
    size_t i, taken = *size < n ? *size : n;
    unsigned bits = 0;

    for (i = 0; i < taken; i++) {
        bits |= (unsigned)(*data)[i] << (8 * i);
    }
    *data += taken;
    *size -= taken;
    return bits;
}

int pfj_fuzz_body(apr_pool_t *p, const uint8_t *data, size_t size,
                  json_object **body)
{
    if (size == 0 || pfj_json_parse(p, (const char *)data, size, body) != 0
        || pfj_json_unstorable(*body) != NULL) {
        return -1;
    }
    return 0;
}

/* ---- the lookup row ---- */

/* The lookup input's member key as text; NULL when absent. */
static const char *lookup_text(const pfj_job_draft *d, const char *key)
{
    json_object *v = json_object_object_get(d->lookup, key);

    return v ? json_object_get_string(v) : NULL;
}

/* The first element of the lookup input's list key as text; NULL for an
 * empty or absent list. */
static const char *lookup_first(const pfj_job_draft *d, const char *key)
{
    json_object *list = json_object_object_get(d->lookup, key);

    return pfj_list_length(list) > 0
               ? json_object_get_string(json_object_array_get_idx(list, 0))
               : NULL;
}

/* text when bit b of bits is set, else NULL (SQL NULL). */
static const char *if_bit(unsigned bits, unsigned b, const char *text)
{
    return pfj_fuzz_bit(bits, b) ? text : NULL;
}

/* EXISTS of the lookup input's id key: "t" when bit b of bits is set and
 * the input has the key, else "f" (no row has a NULL id). */
static const char *exists(const pfj_job_draft *d, unsigned bits, unsigned b,
                          const char *key)
{
    return pfj_fuzz_bit(bits, b) && json_object_object_get(d->lookup, key)
               ? "t"
               : "f";
}

/* The id of software entry i: that of the first entry naming the same
 * software, counted from 1. */
static int software_id(json_object *entries, size_t i)
{
    const char *name = json_object_get_string(json_object_object_get(
        json_object_array_get_idx(entries, i), "software"));
    size_t j;

    for (j = 0; j < i && name != NULL; j++) {
        const char *other = json_object_get_string(json_object_object_get(
            json_object_array_get_idx(entries, j), "software"));
        if (other != NULL && strcmp(name, other) == 0) {
            break;
        }
    }
    return (int)j + 1;
}

/* An id the lookup found, or JSON null. */
static json_object *found_id(int found, int id)
{
    return found ? json_object_new_int(id) : NULL;
}

/* The software column: json_agg of each entry's ids, NULL for none. */
static const char *software_text(const pfj_job_draft *d, unsigned bits)
{
    json_object *entries = json_object_object_get(d->lookup, "software");
    json_object *ids = pfj_json_pooled(d->p, json_object_new_array());
    int software = pfj_fuzz_bit(bits, PFJ_FUZZ_SOFTWARE_FOUND);
    int versions = pfj_fuzz_bit(bits, PFJ_FUZZ_VERSIONS_FOUND);
    size_t i, n = pfj_list_length(entries);

    for (i = 0; i < n; i++) {
        json_object *entry = json_object_new_object();
        int id = software_id(entries, i);
        json_object_array_add(ids, entry);
        json_object_object_add(entry, "software_id", found_id(software, id));
        json_object_object_add(entry, "min_version_id",
                               found_id(versions, 10 * id));
        json_object_object_add(entry, "max_version_id",
                               found_id(versions, 10 * id + 1));
    }
    return n > 0 ? json_object_to_json_string(ids) : NULL;
}

const char *const *pfj_fuzz_lookup_row(const pfj_job_draft *d, unsigned bits)
{
    const char **row = apr_pcalloc(d->p, PFJ_LC_COUNT * sizeof(*row));
    const char *parent = lookup_first(d, "parents");

    row[PFJ_LC_JOBTYPE_VERSION_ID] = if_bit(bits, PFJ_FUZZ_VERSION_FOUND, "3");
    row[PFJ_LC_SUPPORTS_TILING] = if_bit(bits, PFJ_FUZZ_TILING, "t");
    row[PFJ_LC_SOFTWARE] = software_text(d, bits);
    row[PFJ_LC_MISSING_PARENT] = if_bit(bits, PFJ_FUZZ_PARENT_MISSING, parent);
    row[PFJ_LC_CYCLIC_PARENT] = if_bit(bits, PFJ_FUZZ_PARENT_CYCLIC, parent);
    row[PFJ_LC_USER_ID] = lookup_text(d, "user")
                              ? if_bit(bits, PFJ_FUZZ_USER_FOUND, "4")
                              : NULL;
    row[PFJ_LC_QUEUE_ID] = lookup_first(d, "queue")
                               ? if_bit(bits, PFJ_FUZZ_QUEUE_FOUND, "8")
                               : NULL;
    row[PFJ_LC_MISSING_NOTIFIED] = if_bit(bits, PFJ_FUZZ_NOTIFIED_MISSING,
                                          lookup_first(d, "notified"));
    row[PFJ_LC_GROUP_EXISTS] = exists(d, bits, PFJ_FUZZ_GROUP_EXISTS, "group");
    row[PFJ_LC_ID_EXISTS] = exists(d, bits, PFJ_FUZZ_ID_EXISTS, "id");
    row[PFJ_LC_USER_ID_EXISTS] = exists(d, bits, PFJ_FUZZ_USER_ID_EXISTS,
                                        "user_id");
    row[PFJ_LC_QUEUE_ID_EXISTS] = exists(d, bits, PFJ_FUZZ_QUEUE_ID_EXISTS,
                                         "queue_id");
    return row;
}

const pfj_dir_conf *pfj_fuzz_conf(apr_pool_t *p, unsigned bits)
{
    pfj_dir_conf *conf = pfj_config_create(p, NULL);

    if (pfj_fuzz_bit(bits, 0)) {
        conf->autocreate_users = 0;
    }
    if (pfj_fuzz_bit(bits, 1)) {
        conf->max_tasks = 100;
    }
    if (pfj_fuzz_bit(bits, 2)) {
        conf->user_email = "{username}@example.com";
        conf->autodelete = 3600;
    }
    return conf;
}

/* ---- a decision's answer ---- */

void pfj_fuzz_refusal(apr_pool_t *p, const pfj_refusal *no)
{
    PFJ_FUZZ_CHECK(no->status >= 400 && no->status <= 500);
    if (no->shape != PFJ_REFUSAL_UNHANDLED) {
        PFJ_FUZZ_CHECK(no->message != NULL);
        pfj_json_to_string(
            p, pfj_json_pooled(p, json_object_new_string(no->message)));
    }
}

void pfj_fuzz_job_plan(const pfj_job_plan *plan)
{
    PFJ_FUZZ_CHECK(plan->plan != NULL && plan->start_token != NULL
                   && plan->end_token != NULL);
    json_object_to_json_string_ext(plan->plan, JSON_C_TO_STRING_PLAIN);
    json_object_to_json_string_ext(plan->row, JSON_C_TO_STRING_PLAIN);
}
