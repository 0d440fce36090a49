/*
 * job_columns.h - the columns of the jobs table, declared once, in the
 * table's order (doc/api.md §0.8, §3, §4, §6; sql/schema.sql).
 *
 * Whatever lists them - the job object's SELECT list and the enum that
 * indexes its rows, the renderer's table, GET /jobs/schema, what a
 * submission or an update may send for each and in which range, the
 * columns the statements that write a job set - is derived from
 * PFJ_JOB_COLUMNS.
 *
 * X(name, render, schema, input, min, max):
 *   render  how a job object shows it (§0.6): INT TEXT BOOL TIMESTAMP
 *           NUMERIC JSON, STATE (§0.7), or HIDDEN (never shown: the ids
 *           behind jobtype_version, jobqueue and user)
 *   schema  its type as GET /jobs/schema names it (§4); HIDDEN columns
 *           are not listed
 *   input   the value a request may send (§0.5, §6 step 11): INT BIGINT
 *           STR BOOL DICT, ID (the job's own BIGINT id: a submission may
 *           choose it, an update cannot change it), STATE (a state name),
 *           DECIMAL (by), TIME (set by the module only)
 *   min, max  the range of an INT, BIGINT or ID (their 32 or 64 bits, or
 *           narrower: the reference's model validators) or the longest
 *           STR, in characters (0: unbounded)
 * S goes between entries: ", " for an SQL list, nothing for a C list.
 */
#ifndef PFJ_CORE_JOB_COLUMNS_H
#define PFJ_CORE_JOB_COLUMNS_H

#include <stdint.h>
#include "core/work_state.h"

/* The Job model's validators (agent_min/max_ram, agent_min/max_cpus) */
#define PFJ_RAM_MIN 16
#define PFJ_RAM_MAX 262144
#define PFJ_CPUS_MIN 1
#define PFJ_CPUS_MAX 256
#define PFJ_MAX_TITLE 255

/* clang-format off */
#define PFJ_JOB_COLUMNS(X, S)                                               \
    X(id, INT, "BIGINT", ID, INT64_MIN, INT64_MAX) S                        \
    X(state, STATE, "WorkStateEnum", STATE, 0, 0) S                         \
    X(priority, INT, "INTEGER", INT, PFJ_PRIORITY_MIN, PFJ_PRIORITY_MAX) S  \
    X(time_submitted, TIMESTAMP, "DATETIME", TIME, 0, 0) S                  \
    X(time_started, TIMESTAMP, "DATETIME", TIME, 0, 0) S                    \
    X(time_finished, TIMESTAMP, "DATETIME", TIME, 0, 0) S                   \
    X(jobtype_version_id, HIDDEN, "", INT, INT32_MIN, INT32_MAX) S          \
    X(job_queue_id, HIDDEN, "", BIGINT, INT64_MIN, INT64_MAX) S             \
    X(job_group_id, INT, "BIGINT", BIGINT, INT64_MIN, INT64_MAX) S          \
    X(user_id, HIDDEN, "", INT, INT32_MIN, INT32_MAX) S                     \
    X(minimum_agents, INT, "INTEGER", INT, INT32_MIN, INT32_MAX) S          \
    X(maximum_agents, INT, "INTEGER", INT, INT32_MIN, INT32_MAX) S          \
    X(weight, INT, "INTEGER", INT, INT32_MIN, INT32_MAX) S                  \
    X(title, TEXT, "VARCHAR(255)", STR, 0, PFJ_MAX_TITLE) S                 \
    X(notes, TEXT, "TEXT", STR, 0, 0) S                                     \
    X(output_link, TEXT, "TEXT", STR, 0, 0) S                               \
    X(by, NUMERIC, "NUMERIC(10, 4)", DECIMAL, 0, 0) S                       \
    X(num_tiles, INT, "INTEGER", INT, 0, INT32_MAX) S                       \
    X(batch, INT, "INTEGER", INT, INT32_MIN, INT32_MAX) S                   \
    X(requeue, INT, "INTEGER", INT, INT32_MIN, INT32_MAX) S                 \
    X(cpus, INT, "INTEGER", INT, PFJ_CPUS_MIN, PFJ_CPUS_MAX) S              \
    X(ram, INT, "INTEGER", INT, PFJ_RAM_MIN, PFJ_RAM_MAX) S                 \
    X(ram_warning, INT, "INTEGER", INT, INT32_MIN, INT32_MAX) S             \
    X(ram_max, INT, "INTEGER", INT, INT32_MIN, INT32_MAX) S                 \
    X(hidden, BOOL, "BOOLEAN", BOOL, 0, 0) S                                \
    X(environ, JSON, "JSONDict", DICT, 0, 0) S                              \
    X(data, JSON, "JSONDict", DICT, 0, 0) S                                 \
    X(to_be_deleted, BOOL, "BOOLEAN", BOOL, 0, 0) S                         \
    X(completion_notify_sent, BOOL, "BOOLEAN", BOOL, 0, 0) S                \
    X(autodelete_time, INT, "INTEGER", INT, INT32_MIN, INT32_MAX)
/* clang-format on */

/* "id, state, ...": every column, and "r.id, r.state, ...": every column
 * of a jobs row r. */
#define PFJ_JOB_COLUMN_NAME(name, render, schema, input, min, max) #name
#define PFJ_JOB_NAME_LIST PFJ_JOB_COLUMNS(PFJ_JOB_COLUMN_NAME, ", ")
#define PFJ_JOB_COLUMN_OF_R(name, render, schema, input, min, max) "r." #name
#define PFJ_JOB_R_LIST PFJ_JOB_COLUMNS(PFJ_JOB_COLUMN_OF_R, ", ")

/* "priority = r.priority, ...": what an update writes from its new row r
 * as it is, each followed by ", ": every column but the id, the state and
 * the times, which the update's statement decides itself. */
#define PFJ_JOB_SET_ID(name)
#define PFJ_JOB_SET_STATE(name)
#define PFJ_JOB_SET_TIME(name)
#define PFJ_JOB_SET_INT(name) #name " = r." #name ", "
#define PFJ_JOB_SET_BIGINT PFJ_JOB_SET_INT
#define PFJ_JOB_SET_STR PFJ_JOB_SET_INT
#define PFJ_JOB_SET_BOOL PFJ_JOB_SET_INT
#define PFJ_JOB_SET_DICT PFJ_JOB_SET_INT
#define PFJ_JOB_SET_DECIMAL PFJ_JOB_SET_INT
/* clang-format off */
#define PFJ_JOB_COLUMN_SET(name, render, schema, input, min, max) \
    PFJ_JOB_SET_##input(name)
/* clang-format on */
#define PFJ_JOB_SET_LIST PFJ_JOB_COLUMNS(PFJ_JOB_COLUMN_SET, )

/* "j.id, j.state, ...": the shown columns, each followed by ", ". */
#define PFJ_JOB_SHOWN_HIDDEN(name)
#define PFJ_JOB_SHOWN_STATE(name) "j." #name ", "
#define PFJ_JOB_SHOWN_INT PFJ_JOB_SHOWN_STATE
#define PFJ_JOB_SHOWN_TEXT PFJ_JOB_SHOWN_STATE
#define PFJ_JOB_SHOWN_BOOL PFJ_JOB_SHOWN_STATE
#define PFJ_JOB_SHOWN_TIMESTAMP PFJ_JOB_SHOWN_STATE
#define PFJ_JOB_SHOWN_NUMERIC PFJ_JOB_SHOWN_STATE
#define PFJ_JOB_SHOWN_JSON PFJ_JOB_SHOWN_STATE
/* clang-format off */
#define PFJ_JOB_COLUMN_SHOWN(name, render, schema, input, min, max) \
    PFJ_JOB_SHOWN_##render(name)
/* clang-format on */
#define PFJ_JOB_SHOWN_LIST PFJ_JOB_COLUMNS(PFJ_JOB_COLUMN_SHOWN, )

/* PFJ_JC_<name> indexes the shown columns of a job object's row. */
#define PFJ_JOB_ENUM_HIDDEN(name)
#define PFJ_JOB_ENUM_STATE(name) PFJ_JC_##name,
#define PFJ_JOB_ENUM_INT PFJ_JOB_ENUM_STATE
#define PFJ_JOB_ENUM_TEXT PFJ_JOB_ENUM_STATE
#define PFJ_JOB_ENUM_BOOL PFJ_JOB_ENUM_STATE
#define PFJ_JOB_ENUM_TIMESTAMP PFJ_JOB_ENUM_STATE
#define PFJ_JOB_ENUM_NUMERIC PFJ_JOB_ENUM_STATE
#define PFJ_JOB_ENUM_JSON PFJ_JOB_ENUM_STATE
/* clang-format off */
#define PFJ_JOB_COLUMN_ENUM(name, render, schema, input, min, max) \
    PFJ_JOB_ENUM_##render(name)
/* clang-format on */

#endif
