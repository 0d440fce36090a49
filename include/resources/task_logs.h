/*
 * task_logs.h - the logs of a task attempt (doc/api.md §11): list,
 * register, get, update, and the log file's download and upload.  The task
 * must have both the URL's task id and job id.
 */
#ifndef PFJ_RESOURCES_TASK_LOGS_H
#define PFJ_RESOURCES_TASK_LOGS_H

#include "http/request.h"

extern const pfj_stmt pfj_task_logs_stmts[];

int pfj_task_logs_list(pfj_req *q);
int pfj_task_log_register(pfj_req *q);
int pfj_task_log_get(pfj_req *q);
int pfj_task_log_update(pfj_req *q);
int pfj_task_logfile_get(pfj_req *q);
int pfj_task_logfile_put(pfj_req *q);

#endif
