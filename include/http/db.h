/*
 * db.h - named prepared statements over mod_dbd's pool, one transaction per
 * request.
 *
 * Statements are registered with mod_dbd at configuration time (labels
 * prefixed "pfj_"); at request time they are looked up by label in the
 * pooled connection.  The first failed statement marks the request's
 * database work failed: later statements are not run and pfj_db_end() rolls
 * back.  Whether a failure is transient (connection lost, deadlock, lock or
 * statement timeout: answered 503 so agents retry) or not (500) is
 * recorded for the response.
 */
#ifndef PFJ_HTTP_DB_H
#define PFJ_HTTP_DB_H

#include <httpd.h>
#include <apr_dbd.h>
#include <mod_dbd.h>
#include "core/db_values.h"

typedef struct pfj_stmt {
    const char *label;
    const char *sql; /* apr_dbd placeholders: %s %d %lld, %% for % */
} pfj_stmt;

typedef struct pfj_db {
    request_rec *r;
    ap_dbd_t *dbd;
    int in_transaction; /* BEGIN was sent, COMMIT or ROLLBACK not yet */
    int failed;         /* a statement failed: nothing will be committed */
    int transient;      /* ... and trying again later may succeed */
    int nrun;           /* statements run (in the transaction, if any) */
} pfj_db;

typedef struct pfj_rows {
    pfj_db *db;
    apr_dbd_results_t *res;
    apr_dbd_row_t *row;
} pfj_rows;

/* Config time: 1 when mod_dbd's functions are available. */
int pfj_db_bind_mod_dbd(void);

/* Config time: registers every statement of the NULL-terminated tables
 * with mod_dbd, for the server s and all its virtual hosts. */
void pfj_db_prepare(apr_pool_t *ptemp, server_rec *s,
                    const pfj_stmt *const *tables);

/* A pooled connection for the request (released with the request pool), or
 * NULL when the database cannot be reached (logged). */
pfj_db *pfj_db_open(request_rec *r);

/* A pooled connection for a request that goes on for long without the
 * database once it has asked it (a log upload streams its body after one
 * lookup): given back with pfj_db_close(), outside any transaction, so
 * that a slow client does not keep it from others (mod_dbd's pool is
 * small, and a request that finds it empty waits); at the latest with the
 * request pool.  NULL when the database cannot be reached (logged). */
pfj_db *pfj_db_open_brief(request_rec *r);
void pfj_db_close(pfj_db *db);

/* Starts a transaction of the request (one after another the handler
 * rolled back starts afresh); 0 on success. */
int pfj_db_begin(pfj_db *db);

/* Commits, or rolls back when a statement failed; 0 when committed. */
int pfj_db_end(pfj_db *db);

/* Rolls the transaction back without a database error: a request refused
 * half-way through its work. */
void pfj_db_rollback(pfj_db *db);

/* Runs a row-returning statement; args[i] NULL is SQL NULL.  0 on success:
 * rows is ready for pfj_db_next(). */
int pfj_db_select(pfj_db *db, const char *label, int nargs,
                  const char *const *args, pfj_rows *rows);

/* Runs a statement returning no rows; *nrows (may be NULL) gets the count
 * of affected rows.  0 on success. */
int pfj_db_exec(pfj_db *db, const char *label, int nargs,
                const char *const *args, int *nrows);

/* Advances to the next row: 1 when there is one, 0 at the end. */
int pfj_db_next(pfj_rows *rows);

/* The number of rows the statement returned (every select holds all its
 * rows: they are fetched with random access); 0 once they are all read. */
int pfj_db_count(const pfj_rows *rows);

/* *at on row n (1 for the first) of the same rows, which stay where they
 * are; 1 when there is such a row, else 0. */
int pfj_db_row_at(const pfj_rows *rows, int n, pfj_rows *at);

/* Column n of the current row as text; NULL for SQL NULL. */
const char *pfj_db_col(const pfj_rows *rows, int n);

/* Columns 0 .. n-1 of the current row as an array of their texts (on the
 * request pool), for the core's decisions. */
const char *const *pfj_db_cols(const pfj_rows *rows, int n);

/* Convenience: runs a statement expected to return at most one row and
 * leaves rows on it.  Returns 1 when a row is there, 0 when none, -1 on a
 * database error. */
int pfj_db_select_row(pfj_db *db, const char *label, int nargs,
                      const char *const *args, pfj_rows *rows);

#endif
