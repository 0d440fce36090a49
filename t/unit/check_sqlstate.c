/* check_sqlstate.c - PostgreSQL errors by SQLSTATE (src/core/sqlstate.c):
 * the code read from libpq's verbose messages in any language, and what
 * each code means for the request. */
#include "core/sqlstate.h"
#include "suites.h"

static const struct {
    const char *message;
    const char *code; /* NULL: the message carries none */
} parse_cases[] = {
    {"ERROR:  40P01: deadlock detected\nDETAIL:  Process 1 waits for "
     "ShareLock on transaction 2.\nLOCATION:  DeadLockReport, "
     "deadlock.c:1148\n",
     "40P01"},
    /* lc_messages = de_DE: the severity and the text are translated */
    {"FEHLER:  55P03: konnte Sperre nicht setzen: Zeitüberschreitung\n",
     "55P03"},
    {"FATAL:  57P01: Verbindung wird abgebrochen aufgrund von Anweisung "
     "des Administrators\nserver closed the connection unexpectedly\n",
     "57P01"},
    {"ERROR:  26000: prepared statement \"pfj_job_get\" does not exist",
     "26000"},
    /* libpq's own errors have no SQLSTATE */
    {"server closed the connection unexpectedly\n\tThis probably means "
     "the server terminated abnormally\n",
     NULL},
    {"no connection to the server\n", NULL},
    {"", NULL},
    /* libpq's default (not verbose) form */
    {"ERROR:  relation \"jobs\" does not exist\n", NULL},
    {"ERROR:  deadlock detected\n", NULL},
    /* only the first line counts: later lines may quote anything */
    {"ERROR:  value too long\nDETAIL:  40P01: looks like a code\n", NULL},
    /* five code characters, then a colon */
    {"ERROR:  40P0: short\n", NULL},
    {"ERROR:  40P011: long\n", NULL},
    {"ERROR:  40p01: lower case\n", NULL},
    {"ERROR:  40P01", NULL},
};

START_TEST(test_sqlstate_parse)
{
    char code[PFJ_SQLSTATE_SIZE] = "";
    const char *want = parse_cases[_i].code;
    int found = pfj_sqlstate_parse(parse_cases[_i].message, code);

    ck_assert_msg(found == (want != NULL), "%s", parse_cases[_i].message);
    if (want) {
        ck_assert_str_eq(code, want);
    }
}
END_TEST

static const struct {
    const char *code;
    pfj_db_failure failure;
} failure_cases[] = {
    {"08000", PFJ_DB_FAILURE_LOST_SESSION},
    {"08006", PFJ_DB_FAILURE_LOST_SESSION},
    {"26000", PFJ_DB_FAILURE_LOST_SESSION},
    {"57P01", PFJ_DB_FAILURE_LOST_SESSION},
    {"57P02", PFJ_DB_FAILURE_LOST_SESSION},
    {"57P05", PFJ_DB_FAILURE_LOST_SESSION},
    {"25P03", PFJ_DB_FAILURE_LOST_SESSION},
    {"40001", PFJ_DB_FAILURE_TRANSIENT},
    {"40003", PFJ_DB_FAILURE_TRANSIENT},
    {"40P01", PFJ_DB_FAILURE_TRANSIENT},
    {"53000", PFJ_DB_FAILURE_TRANSIENT},
    {"53100", PFJ_DB_FAILURE_TRANSIENT},
    {"53200", PFJ_DB_FAILURE_TRANSIENT},
    {"53300", PFJ_DB_FAILURE_TRANSIENT},
    {"55P03", PFJ_DB_FAILURE_TRANSIENT},
    {"57014", PFJ_DB_FAILURE_TRANSIENT},
    {"57P03", PFJ_DB_FAILURE_TRANSIENT},
    {"25006", PFJ_DB_FAILURE_TRANSIENT},
    /* bugs and constraints: trying again would not mend them */
    {"23505", PFJ_DB_FAILURE_OTHER},
    {"23503", PFJ_DB_FAILURE_OTHER},
    {"42P01", PFJ_DB_FAILURE_OTHER},
    {"42601", PFJ_DB_FAILURE_OTHER},
    {"22003", PFJ_DB_FAILURE_OTHER},
    {"40002", PFJ_DB_FAILURE_OTHER},
    {"25001", PFJ_DB_FAILURE_OTHER},
    {"55000", PFJ_DB_FAILURE_OTHER},
    {"57000", PFJ_DB_FAILURE_OTHER},
    {"XX000", PFJ_DB_FAILURE_OTHER},
};

START_TEST(test_sqlstate_failure)
{
    ck_assert_msg(pfj_sqlstate_failure(failure_cases[_i].code)
                      == failure_cases[_i].failure,
                  "%s", failure_cases[_i].code);
}
END_TEST

Suite *pfj_suite_sqlstate(void)
{
    Suite *s = suite_create("sqlstate");
    TCase *tc = tcase_create("sqlstate");

    tcase_add_loop_test(tc, test_sqlstate_parse, 0, N_CASES(parse_cases));
    tcase_add_loop_test(tc, test_sqlstate_failure, 0, N_CASES(failure_cases));
    suite_add_tcase(s, tc);
    return s;
}
