/*
 * notified_users.h - the users notified about a job's events: list,
 * subscribe, unsubscribe (doc/api.md §10.5).
 */
#ifndef PFJ_RESOURCES_NOTIFIED_USERS_H
#define PFJ_RESOURCES_NOTIFIED_USERS_H

#include "http/request.h"

extern const pfj_stmt pfj_notified_users_stmts[];

int pfj_notified_users_list(pfj_req *q);
int pfj_notified_users_add(pfj_req *q);
int pfj_notified_user_delete(pfj_req *q);

#endif
