/*
 * db_values.h - rendering of database values the way pyfarm-master renders
 * them (doc/api.md §0.6, §0.7).  Pure functions over APR: no httpd.
 *
 * PostgreSQL hands every value back as text; these turn that text into the
 * exact JSON token text the reference emits.
 */
#ifndef PFJ_CORE_DB_VALUES_H
#define PFJ_CORE_DB_VALUES_H

#include <apr_pools.h>
#include <apr_strings.h>
#include "core/work_state.h"

/*
 * Python float repr of d: shortest digits that round-trip, ".0" added to
 * integral values, exponent form ("1e-05", "1.5e+16") only below 1e-4 or
 * from 1e16 up; json.dumps spells the non-finite ones "NaN", "Infinity",
 * "-Infinity".
 */
const char *pfj_fmt_double(apr_pool_t *p, double d);

/*
 * NUMERIC text from PostgreSQL ("1.0000", "-3.1250", "10", "0.5") rendered
 * as Python renders float(Decimal(text)): "1.0", "-3.125", "10.0", "0.5".
 * Returns NULL when text is not a plain decimal.
 */
const char *pfj_fmt_numeric(apr_pool_t *p, const char *text);

/*
 * TIMESTAMP text from PostgreSQL ("2014-03-06 15:40:58.33525",
 * "2014-03-06 15:40:58") rendered as Python's datetime.isoformat():
 * "2014-03-06T15:40:58.335250" (exactly six fraction digits) or
 * "2014-03-06T15:40:58" when the microseconds are zero.
 * Returns NULL when text is not a timestamp of that shape.
 */
const char *pfj_fmt_timestamp(apr_pool_t *p, const char *text);

/* "100" -> "paused", "105" -> "running", "106" -> "done", "107" -> "failed";
 * anything else (including NULL) -> NULL. */
const char *pfj_state_name(const char *code_text);

/* 1 for PostgreSQL's true ("t"); 0 for false and NULL. */
int pfj_db_bool(const char *v);

/* The inverse for request input: "paused" -> 100 ... "failed" -> 107;
 * anything else (including "queued") -> -1.  Case-sensitive. */
int pfj_state_code(const char *name);

/*
 * agents.remote_ip (BIGINT text, 0..4294967295) -> dotted quad.  Returns
 * NULL for NULL and for text out of range.
 */
const char *pfj_fmt_ipv4(apr_pool_t *p, const char *bigint_text);

/* Text Python's Decimal() reads as a finite number (" +2", "4.", ".5",
 * "1e3") in the canonical form the other functions here and PostgreSQL
 * take ("2", "4", "0.5", "1e3"); NULL for anything else. */
const char *pfj_decimal_text(apr_pool_t *p, const char *s);

/* Compares two JSON number literals ("1", "-2.50", "1e-3") exactly, as
 * decimals: < 0, 0 or > 0.  Both must be valid JSON numbers. */
int pfj_decimal_cmp(apr_pool_t *p, const char *a, const char *b);

#endif
