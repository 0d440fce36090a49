/*
 * db_session.h - what the module does once per pooled database connection:
 * its session is set up for the module (JIT off, verbose errors), through
 * mod_dbd's post_connect hook as a new connection opens, and again when
 * db.c finds the session replaced (a reconnection after a lost session).
 * The first connection of each process also checks that the indexes the
 * module's plans need exist (core/indexes.h), with the statement that
 * the health handler runs (resources/health.h).
 */
#ifndef PFJ_HTTP_DB_SESSION_H
#define PFJ_HTTP_DB_SESSION_H

#include <httpd.h>
#include <apr_dbd.h>
#include <mod_dbd.h>
#include "http/db.h"

/* The schema check's statement: of the tables and indexes its two text[]
 * parameters name, the rows (kind, name, indisvalid) of those missing or
 * INVALID, for pfj_schema_gaps_add() (core/health.h). */
#define PFJ_SCHEMA_CHECK "pfj_schema_check"

/* Its parameters (args[0], args[1]): the tables the module uses, or none
 * unless with_tables, and the indexes of sql/indexes.sql it needs. */
void pfj_db_schema_check_args(apr_pool_t *p, int with_tables,
                              const char **args);

/* The statements of this file, prepared with every other table. */
extern const pfj_stmt pfj_db_session_stmts[];

/* mod_dbd's post_connect hook: a new connection of mod_dbd's pool (of any
 * server whose DBD configuration holds the module's statements). */
apr_status_t pfj_db_post_connect(apr_pool_t *pool, dbd_cfg_t *cfg,
                                 ap_dbd_t *dbd);

/* Sets the session of dbd up: errors in libpq's verbose form (they carry
 * their SQLSTATE: core/sqlstate.h), and JIT off, for the session (not a
 * transaction: call it outside one).  0 on success; failures are logged
 * for s. */
int pfj_db_setup_session(ap_dbd_t *dbd, apr_pool_t *p, const server_rec *s);

/* A session that replaced a lost one (libpq reconnected dbd): the
 * admin's DBDInitSQL statements run again, then pfj_db_setup_session().
 * Call it outside a transaction; 0 when the setup succeeded. */
int pfj_db_restore_session(ap_dbd_t *dbd, apr_pool_t *p, const server_rec *s);

/* 1 when libpq found dbd's connection broken (the server went away). */
int pfj_db_session_broken(ap_dbd_t *dbd);

/* Checks that the database has every index of sql/indexes.sql that the
 * module's plans need (core/indexes.h) and logs one warning for s naming
 * those missing or INVALID.  How many are missing (INVALID ones included;
 * 0: all there), or -1 when the check itself failed (logged). */
int pfj_db_check_indexes(ap_dbd_t *dbd, apr_pool_t *p, const server_rec *s);

#endif
