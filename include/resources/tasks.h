/*
 * tasks.h - the tasks of a job: list, get, update (doc/api.md §8,
 * §10.1-§10.3).
 */
#ifndef PFJ_RESOURCES_TASKS_H
#define PFJ_RESOURCES_TASKS_H

#include "http/request.h"

extern const pfj_stmt pfj_tasks_stmts[];

int pfj_tasks_list(pfj_req *q);
int pfj_tasks_get(pfj_req *q);
int pfj_tasks_update(pfj_req *q);

#endif
