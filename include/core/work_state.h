/*
 * work_state.h - the integer codes pyfarm stores for states (doc/api.md
 * §0.7, schema: WorkState and AgentState) and the limits its models
 * enforce, as C constants and, through PFJ_SQL_INT, as SQL literals: no
 * statement spells 106 where it means "done".
 */
#ifndef PFJ_CORE_WORK_STATE_H
#define PFJ_CORE_WORK_STATE_H

/* jobs.state, tasks.state, task_log_associations.state; NULL is queued */
#define PFJ_STATE_PAUSED 100
#define PFJ_STATE_RUNNING 105
#define PFJ_STATE_DONE 106
#define PFJ_STATE_FAILED 107

/* agents.state values that keep an agent's tasks from running a job */
#define PFJ_AGENT_DISABLED 200
#define PFJ_AGENT_OFFLINE 201

/* jobs.priority and tasks.priority (queue_min/max_priority) */
#define PFJ_PRIORITY_MIN (-1000)
#define PFJ_PRIORITY_MAX 1000

/* A constant as an SQL literal: PFJ_SQL_INT(PFJ_STATE_DONE) is "106". */
#define PFJ_SQL_INT(c) PFJ_SQL_INT_(c)
#define PFJ_SQL_INT_(c) #c

#define PFJ_SQL_PAUSED PFJ_SQL_INT(PFJ_STATE_PAUSED)
#define PFJ_SQL_RUNNING PFJ_SQL_INT(PFJ_STATE_RUNNING)
#define PFJ_SQL_DONE PFJ_SQL_INT(PFJ_STATE_DONE)
#define PFJ_SQL_FAILED PFJ_SQL_INT(PFJ_STATE_FAILED)
#define PFJ_SQL_AGENT_DISABLED PFJ_SQL_INT(PFJ_AGENT_DISABLED)
#define PFJ_SQL_AGENT_OFFLINE PFJ_SQL_INT(PFJ_AGENT_OFFLINE)

#endif
