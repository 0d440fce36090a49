/*
 * db_session.h - what the module does once per pooled database connection:
 * its session is set up for the module's plans (JIT off), through mod_dbd's
 * post_connect hook as a new connection opens, and again when db.c finds
 * the session replaced (a reconnection after a lost session).
 */
#ifndef PFJ_HTTP_DB_SESSION_H
#define PFJ_HTTP_DB_SESSION_H

#include <httpd.h>
#include <apr_dbd.h>
#include <mod_dbd.h>
#include "http/db.h"

/* The statements of this file, prepared with every other table. */
extern const pfj_stmt pfj_db_session_stmts[];

/* mod_dbd's post_connect hook: a new connection of mod_dbd's pool (of any
 * server whose DBD configuration holds the module's statements). */
apr_status_t pfj_db_post_connect(apr_pool_t *pool, dbd_cfg_t *cfg,
                                 ap_dbd_t *dbd);

/* Sets the session of dbd up: JIT off, for the session (not a transaction:
 * call it outside one).  0 on success; failures are logged for s. */
int pfj_db_setup_session(ap_dbd_t *dbd, apr_pool_t *p, const server_rec *s);

#endif
