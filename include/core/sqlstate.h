/*
 * sqlstate.h - what a PostgreSQL error means for the request, by its
 * SQLSTATE (the code does not change with lc_messages; the message text
 * does).  Pure: no APR, no httpd.
 */
#ifndef PFJ_CORE_SQLSTATE_H
#define PFJ_CORE_SQLSTATE_H

/* Five characters and the terminating NUL. */
#define PFJ_SQLSTATE_SIZE 6

typedef enum pfj_db_failure {
    /* a bug, a constraint, anything trying again would not mend: 500 */
    PFJ_DB_FAILURE_OTHER,
    /* busy or down for a while (deadlock, serialization, lock or
     * statement timeout, too many connections, starting up): 503 */
    PFJ_DB_FAILURE_TRANSIENT,
    /* the session is gone or was replaced (restart, failover, a
     * terminated backend): reconnect, prepare again, retry; else 503 */
    PFJ_DB_FAILURE_LOST_SESSION
} pfj_db_failure;

/* The SQLSTATE of an error message in libpq's verbose form, whose first
 * line is "<SEVERITY>:  <SQLSTATE>: <message>" (the severity word is
 * translated too): 1 with code set, 0 when the message carries none (an
 * error of libpq itself, such as a connection that broke). */
int pfj_sqlstate_parse(const char *message, char code[PFJ_SQLSTATE_SIZE]);

/* What an error with this SQLSTATE means for the request. */
pfj_db_failure pfj_sqlstate_failure(const char *code);

#endif
