/*
 * failed_on_agents.h - the agents a task failed on: list, add, remove
 * (doc/api.md §10.4).  The task must belong to the URL's job.
 */
#ifndef PFJ_RESOURCES_FAILED_ON_AGENTS_H
#define PFJ_RESOURCES_FAILED_ON_AGENTS_H

#include "http/request.h"

extern const pfj_stmt pfj_failed_on_agents_stmts[];

int pfj_failed_on_agents_list(pfj_req *q);
int pfj_failed_on_agents_add(pfj_req *q);
int pfj_failed_on_agent_delete(pfj_req *q);

#endif
