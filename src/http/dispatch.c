/*
 * dispatch.c - endpoint -> handler, and the statement tables of every resource.
 * An endpoint without a handler answers 501.
 */
#include "http/dispatch.h"
#include "http/db_session.h"
#include "http/stats.h"
#include "resources/jobs.h"
#include "resources/job_input.h"
#include "resources/job_submit.h"
#include "resources/job_update.h"
#include "resources/tasks.h"
#include "resources/failed_on_agents.h"
#include "resources/notified_users.h"
#include "resources/task_logs.h"

const pfj_handler_fn pfj_api_handlers[PFJ_EP_COUNT] = {
    [PFJ_EP_SCHEMA] = pfj_jobs_schema,
    [PFJ_EP_JOBS_LIST] = pfj_jobs_list,
    [PFJ_EP_JOB_GET] = pfj_jobs_get,
    [PFJ_EP_JOB_SUBMIT] = pfj_jobs_submit,
    [PFJ_EP_JOB_DELETE] = pfj_jobs_delete,
    [PFJ_EP_JOB_UPDATE] = pfj_jobs_update,
    [PFJ_EP_TASKS_LIST] = pfj_tasks_list,
    [PFJ_EP_TASK_GET] = pfj_tasks_get,
    [PFJ_EP_TASK_UPDATE] = pfj_tasks_update,
    [PFJ_EP_FAILED_ON_AGENTS_LIST] = pfj_failed_on_agents_list,
    [PFJ_EP_FAILED_ON_AGENTS_ADD] = pfj_failed_on_agents_add,
    [PFJ_EP_FAILED_ON_AGENT_DELETE] = pfj_failed_on_agent_delete,
    [PFJ_EP_NOTIFIED_USERS_LIST] = pfj_notified_users_list,
    [PFJ_EP_NOTIFIED_USERS_ADD] = pfj_notified_users_add,
    [PFJ_EP_NOTIFIED_USER_DELETE] = pfj_notified_user_delete,
    [PFJ_EP_TASK_LOGS_LIST] = pfj_task_logs_list,
    [PFJ_EP_TASK_LOG_REGISTER] = pfj_task_log_register,
    [PFJ_EP_TASK_LOG_GET] = pfj_task_log_get,
    [PFJ_EP_TASK_LOG_UPDATE] = pfj_task_log_update,
    [PFJ_EP_LOGFILE_GET] = pfj_task_logfile_get,
    [PFJ_EP_LOGFILE_PUT] = pfj_task_logfile_put,
};

const pfj_stmt *const pfj_api_statements[] = {
    pfj_db_session_stmts,
    pfj_jobs_stmts,
    pfj_job_input_stmts,
    pfj_job_submit_stmts,
    pfj_job_update_stmts,
    pfj_tasks_stmts,
    pfj_failed_on_agents_stmts,
    pfj_notified_users_stmts,
    pfj_task_logs_stmts,
    pfj_stats_stmts,
    NULL,
};
