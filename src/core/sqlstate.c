/*
 * sqlstate.c - PostgreSQL errors by SQLSTATE (see sqlstate.h).
 */
#include <string.h>
#include "core/count.h"
#include "core/sqlstate.h"

/* SQLSTATE characters: digits and upper-case ASCII letters. */
static int is_code_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
}

/* "<SEVERITY>:  " ends with a colon and two spaces; the code follows and
 * ends with a colon.  Only the first line is read: DETAIL or CONTEXT
 * lines may quote anything. */
int pfj_sqlstate_parse(const char *message, char code[PFJ_SQLSTATE_SIZE])
{
    const char *end = strchr(message, '\n');
    const char *p = strstr(message, ":  ");
    int i;

    if (p == NULL || (end && p > end)) {
        return 0;
    }
    p += 3;
    for (i = 0; i < PFJ_SQLSTATE_SIZE - 1; i++) {
        if (!is_code_char(p[i])) {
            return 0;
        }
    }
    if (p[i] != ':') {
        return 0;
    }
    memcpy(code, p, PFJ_SQLSTATE_SIZE - 1);
    code[PFJ_SQLSTATE_SIZE - 1] = '\0';
    return 1;
}

typedef struct failure_code {
    const char *code; /* a whole SQLSTATE, or a class of two characters */
    pfj_db_failure failure;
} failure_code;

/* PostgreSQL's Appendix A. */
static const failure_code failure_codes[] = {
    /* connection exceptions: the session is gone */
    {"08", PFJ_DB_FAILURE_LOST_SESSION},
    /* a prepared statement that does not exist: a session replaced
     * behind the pool's back (libpq reconnected it) has none of ours */
    {"26000", PFJ_DB_FAILURE_LOST_SESSION},
    /* admin_shutdown, crash_shutdown: the backend ends the session */
    {"57P01", PFJ_DB_FAILURE_LOST_SESSION},
    {"57P02", PFJ_DB_FAILURE_LOST_SESSION},
    /* idle_session_timeout, idle_in_transaction_session_timeout */
    {"57P05", PFJ_DB_FAILURE_LOST_SESSION},
    {"25P03", PFJ_DB_FAILURE_LOST_SESSION},
    /* serialization_failure, statement_completion_unknown,
     * deadlock_detected */
    {"40001", PFJ_DB_FAILURE_TRANSIENT},
    {"40003", PFJ_DB_FAILURE_TRANSIENT},
    {"40P01", PFJ_DB_FAILURE_TRANSIENT},
    /* insufficient resources: too many connections, out of memory,
     * disk full */
    {"53", PFJ_DB_FAILURE_TRANSIENT},
    /* lock_not_available (lock_timeout, NOWAIT) */
    {"55P03", PFJ_DB_FAILURE_TRANSIENT},
    /* query_canceled (statement_timeout), cannot_connect_now (starting
     * up, shutting down, in recovery) */
    {"57014", PFJ_DB_FAILURE_TRANSIENT},
    {"57P03", PFJ_DB_FAILURE_TRANSIENT},
    /* read_only_sql_transaction: a standby, before a failover's
     * promotion or when libpq reached the wrong host */
    {"25006", PFJ_DB_FAILURE_TRANSIENT},
};

pfj_db_failure pfj_sqlstate_failure(const char *code)
{
    size_t i, n;

    for (i = 0; i < PFJ_COUNT(failure_codes); i++) {
        n = strlen(failure_codes[i].code);
        if (strncmp(code, failure_codes[i].code, n) == 0) {
            return failure_codes[i].failure;
        }
    }
    return PFJ_DB_FAILURE_OTHER;
}
