/*
 * task_columns.h - the columns of the tasks table, declared once.
 *
 * Whatever lists them - the SELECT list of a task object, the enum that
 * indexes its rows, the renderer's table, what an update may send for each
 * and in which range, the SET list of the update statement - is derived
 * from PFJ_TASK_COLUMNS, so no list can fall out of step with another.
 *
 * X(name, render, input, min, max, nullable):
 *   render    how a task object shows the column (doc/api.md §0.6):
 *             INT TEXT BOOL TIMESTAMP NUMERIC FLOAT, or STATE (§0.7)
 *   input     what an update may send for it (§10.2): INT BOOL STR FLOAT
 *             UUID (a value of that type, step 10), ID (the task's own id
 *             only), STATE (step 9), NOW (step 2), FIXED (refused)
 *   min, max  the range of an INT
 *   nullable  0 when an update cannot set it to null
 * S goes between entries: ", " for an SQL list, nothing for a C list.
 */
#ifndef PFJ_CORE_TASK_COLUMNS_H
#define PFJ_CORE_TASK_COLUMNS_H

#include <stdint.h>
#include "core/work_state.h"

/* clang-format off */
#define PFJ_TASK_COLUMNS(X, S)                                              \
    X(id, INT, ID, INT64_MIN, INT64_MAX, 1) S                               \
    X(state, STATE, STATE, 0, 0, 1) S                                       \
    X(priority, INT, INT, PFJ_PRIORITY_MIN, PFJ_PRIORITY_MAX, 1) S          \
    X(time_submitted, TIMESTAMP, FIXED, 0, 0, 1) S                          \
    X(time_started, TIMESTAMP, NOW, 0, 0, 1) S                              \
    X(time_finished, TIMESTAMP, FIXED, 0, 0, 1) S                           \
    X(agent_id, TEXT, UUID, 0, 0, 1) S                                      \
    X(job_id, INT, FIXED, 0, 0, 1) S                                        \
    X(hidden, BOOL, BOOL, 0, 0, 1) S                                        \
    X(attempts, INT, INT, 0, INT32_MAX, 0) S                                \
    X(failures, INT, INT, INT32_MIN, INT32_MAX, 0) S                        \
    X(frame, NUMERIC, FIXED, 0, 0, 1) S                                     \
    X(tile, INT, INT, INT32_MIN, INT32_MAX, 1) S                            \
    X(last_error, TEXT, STR, 0, 0, 1) S                                     \
    X(sent_to_agent, BOOL, BOOL, 0, 0, 0) S                                 \
    X(progress, FLOAT, FLOAT, 0, 0, 1)

/* Derived pieces.  PFJ_TC_<name> indexes a task object's row. */
#define PFJ_TASK_COLUMN_ENUM(name, render, input, min, max, nullable) \
    PFJ_TC_##name,
/* clang-format on */
enum pfj_task_column { PFJ_TASK_COLUMNS(PFJ_TASK_COLUMN_ENUM, ) PFJ_TC_COUNT };

/* "t.id, t.state, ..." */
/* clang-format off */
#define PFJ_TASK_COLUMN_SQL(name, render, input, min, max, nullable) \
    "t." #name
/* clang-format on */
#define PFJ_TASK_SELECT_LIST PFJ_TASK_COLUMNS(PFJ_TASK_COLUMN_SQL, ", ")

/* "state = r.state, priority = r.priority, ... ": every column an update
 * writes from the new row r, each followed by ", ". */
#define PFJ_TASK_SET_ID(name)
#define PFJ_TASK_SET_FIXED(name)
#define PFJ_TASK_SET_NOW(name)
#define PFJ_TASK_SET_STATE(name) #name " = r." #name ", "
#define PFJ_TASK_SET_INT PFJ_TASK_SET_STATE
#define PFJ_TASK_SET_BOOL PFJ_TASK_SET_STATE
#define PFJ_TASK_SET_STR PFJ_TASK_SET_STATE
#define PFJ_TASK_SET_FLOAT PFJ_TASK_SET_STATE
#define PFJ_TASK_SET_UUID PFJ_TASK_SET_STATE
/* clang-format off */
#define PFJ_TASK_COLUMN_SET(name, render, input, min, max, nullable) \
    PFJ_TASK_SET_##input(name)
/* clang-format on */
#define PFJ_TASK_SET_LIST PFJ_TASK_COLUMNS(PFJ_TASK_COLUMN_SET, )

#endif
