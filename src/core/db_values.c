/*
 * db_values.c - PostgreSQL value text -> the JSON token text pyfarm-master
 * emits (doc/api.md §0.6, §0.7).
 *
 * Numbers are handled as a decimal digit string plus an exponent and never
 * go through a text form with a decimal point, so LC_NUMERIC (a decimal
 * comma) cannot change the output.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/count.h"
#include "core/db_values.h"

/* 17 significant digits always identify a double (DBL_DECIMAL_DIG). */
#define MAX_DOUBLE_DIGITS 17

/* A finite decimal: sign * 0.d1d2d3... * 10^(point).  "point" is where the
 * decimal point goes in the digit string (Python's decpt): 1.5 is "15"
 * with point 1, 0.001 is "1" with point -2. */
typedef struct {
    int negative;
    char digits[MAX_DOUBLE_DIGITS + 1];
    int ndigits;
    int point;
} decimal;

/* Python's repr switches to exponent form outside 1e-4 <= |x| < 1e16. */
static int uses_positional(int point)
{
    return point > -4 && point <= 16;
}

static char *put_zeros(char *out, int n)
{
    for (; n > 0; n--)
        *out++ = '0';
    return out;
}

/* "123" point 5 -> "12300.0"; point 2 -> "12.3"; point -1 -> "0.0123". */
static char *layout_positional(char *out, const decimal *d)
{
    if (d->point <= 0) {
        memcpy(out, "0.", 2);
        out = put_zeros(out + 2, -d->point);
        memcpy(out, d->digits, d->ndigits);
        return out + d->ndigits;
    }
    if (d->point < d->ndigits) {
        memcpy(out, d->digits, d->point);
        out += d->point;
        *out++ = '.';
        memcpy(out, d->digits + d->point, d->ndigits - d->point);
        return out + d->ndigits - d->point;
    }
    memcpy(out, d->digits, d->ndigits);
    out = put_zeros(out + d->ndigits, d->point - d->ndigits);
    memcpy(out, ".0", 2);
    return out + 2;
}

/* "15" point 17 -> "1.5e+16"; "1" point -4 -> "1e-05". */
static char *layout_scientific(char *out, const decimal *d)
{
    *out++ = d->digits[0];
    if (d->ndigits > 1) {
        *out++ = '.';
        memcpy(out, d->digits + 1, d->ndigits - 1);
        out += d->ndigits - 1;
    }
    return out + sprintf(out, "e%+03d", d->point - 1);
}

/* Python's float repr layout of a shortest-digits decimal. */
static const char *layout_repr(apr_pool_t *p, const decimal *d)
{
    /* longest: "-1.2345678901234567e-308"; positional needs at most
     * "-0.000" before 17 digits, or 16 digits and ".0" */
    char buf[MAX_DOUBLE_DIGITS + 16];
    char *out = buf;

    if (d->negative)
        *out++ = '-';
    out = uses_positional(d->point) ? layout_positional(out, d)
                                    : layout_scientific(out, d);
    return apr_pstrmemdup(p, buf, out - buf);
}

/* The double nearest to d, read from a point-free "DDDe-N" text so that
 * strtod's locale-dependent decimal point never comes into play. */
static double decimal_value(const decimal *d)
{
    char text[MAX_DOUBLE_DIGITS + 16];

    snprintf(text, sizeof(text), "%s%.*se%d", d->negative ? "-" : "",
             d->ndigits, d->digits, d->point - d->ndigits);
    return strtod(text, NULL);
}

/* x (finite, >= 0) correctly rounded to ndigits significant digits.
 * "%.*e" prints "D[<locale point>DDD]e<exp>": take the digits around
 * whatever the point is, and the exponent after the 'e'. */
static void round_to_digits(double x, int ndigits, decimal *d)
{
    char text[MAX_DOUBLE_DIGITS + 16];
    const char *c;

    snprintf(text, sizeof(text), "%.*e", ndigits - 1, x);
    d->ndigits = 0;
    for (c = text; *c != 'e'; c++)
        if (*c >= '0' && *c <= '9')
            d->digits[d->ndigits++] = *c;
    d->digits[d->ndigits] = '\0';
    d->point = atoi(c + 1) + 1;
}

/* The next decimal up with as many digits: "1239" -> "1240", and "999"
 * -> "100" with the point one place further right. */
static void next_decimal_up(decimal *d)
{
    int i = d->ndigits - 1;

    while (i >= 0 && d->digits[i] == '9')
        d->digits[i--] = '0';
    if (i >= 0) {
        d->digits[i]++;
    }
    else {
        d->digits[0] = '1';
        d->point++;
    }
}

/* A power of two (all mantissa bits clear) has a rounding interval half
 * as wide below it as above. */
static int is_power_of_two(double x)
{
    apr_uint64_t bits;

    memcpy(&bits, &x, sizeof(bits));
    return (bits & APR_UINT64_C(0xFFFFFFFFFFFFF)) == 0;
}

/* Shortest digits that read back as x, the digit string Python's repr
 * uses (David Gay's shortest mode: among the shortest, the nearest).
 * The nearest n-digit decimal is the one to try, except below a power of
 * two, where it can miss the narrow lower interval while the decimal just
 * above it still falls in the wide upper one: for 2**-1017 the nearest
 * 16 digits, 7.120236347223044e-307, miss, and 7.120236347223045e-307 is
 * the repr. */
static void shortest_digits(double x, decimal *d)
{
    int ndigits;

    d->negative = signbit(x) != 0;
    for (ndigits = 1; ndigits < MAX_DOUBLE_DIGITS; ndigits++) {
        round_to_digits(fabs(x), ndigits, d);
        if (decimal_value(d) == x)
            return;
        if (is_power_of_two(x)) {
            next_decimal_up(d);
            if (decimal_value(d) == x)
                return;
        }
    }
    round_to_digits(fabs(x), MAX_DOUBLE_DIGITS, d);
}

const char *pfj_fmt_double(apr_pool_t *p, double d)
{
    decimal dec;

    if (isnan(d))
        return "NaN";
    if (isinf(d))
        return d < 0 ? "-Infinity" : "Infinity";
    shortest_digits(d, &dec);
    return layout_repr(p, &dec);
}

/* Skips a run of decimal digits; NULL when there is none. */
static const char *skip_digits(const char *s)
{
    const char *start = s;

    while (*s >= '0' && *s <= '9')
        s++;
    return s == start ? NULL : s;
}

/* True when text is -?digits(.digits)? */
static int is_plain_decimal(const char *text)
{
    const char *s = text + (*text == '-');

    s = skip_digits(s);
    if (s != NULL && *s == '.')
        s = skip_digits(s + 1);
    return s != NULL && *s == '\0';
}

/* NUMERIC values can be any length, so the text goes to strtod as
 * "<all digits>e-<fraction length>": no decimal point for the locale to
 * misread, and strtod rounds correctly as Python's float(Decimal) does. */
const char *pfj_fmt_numeric(apr_pool_t *p, const char *text)
{
    const char *point, *fraction;
    int integer_len;

    if (text == NULL || !is_plain_decimal(text))
        return NULL;
    point = strchr(text, '.');
    integer_len = point != NULL ? (int)(point - text) : (int)strlen(text);
    fraction = point != NULL ? point + 1 : "";
    return pfj_fmt_double(p, strtod(apr_psprintf(p, "%.*s%se-%d", integer_len,
                                                 text, fraction,
                                                 (int)strlen(fraction)),
                                    NULL));
}

/* True when s matches pattern, where '9' stands for any decimal digit and
 * every other pattern character for itself. */
static int matches_shape(const char *s, const char *pattern)
{
    for (; *pattern != '\0'; s++, pattern++) {
        if (*pattern == '9' ? !(*s >= '0' && *s <= '9') : *s != *pattern)
            return 0;
    }
    return 1;
}

#define PG_TIMESTAMP_SHAPE "9999-99-99 99:99:99"
#define PG_TIMESTAMP_LEN (sizeof(PG_TIMESTAMP_SHAPE) - 1)
#define MAX_FRACTION_DIGITS 6

/* PostgreSQL prints 1..6 fraction digits with trailing zeros trimmed;
 * returns how many there are after the '.', or -1 when malformed. */
static int fraction_digits(const char *fraction)
{
    const char *end = skip_digits(fraction);

    if (end == NULL || *end != '\0' || end - fraction > MAX_FRACTION_DIGITS)
        return -1;
    return (int)(end - fraction);
}

const char *pfj_fmt_timestamp(apr_pool_t *p, const char *text)
{
    char *iso;
    const char *rest;
    int nfraction;

    if (text == NULL || !matches_shape(text, PG_TIMESTAMP_SHAPE))
        return NULL;
    iso = apr_pstrmemdup(p, text, PG_TIMESTAMP_LEN);
    iso[10] = 'T';
    rest = text + PG_TIMESTAMP_LEN;
    if (*rest == '\0')
        return iso;
    if (*rest != '.' || (nfraction = fraction_digits(rest + 1)) < 0)
        return NULL;
    /* isoformat() omits the microseconds when they are zero */
    if (strspn(rest + 1, "0") == (apr_size_t)nfraction)
        return iso;
    return apr_psprintf(p, "%s%s%.*s", iso, rest,
                        MAX_FRACTION_DIGITS - nfraction, "000000");
}

static const struct {
    int code;
    const char *code_text;
    const char *name;
} work_states[] = {
    {PFJ_STATE_PAUSED, "100", "paused"},
    {PFJ_STATE_RUNNING, "105", "running"},
    {PFJ_STATE_DONE, "106", "done"},
    {PFJ_STATE_FAILED, "107", "failed"},
};

#define N_WORK_STATES PFJ_COUNT(work_states)

const char *pfj_state_name(const char *code_text)
{
    apr_size_t i;

    for (i = 0; code_text != NULL && i < N_WORK_STATES; i++)
        if (strcmp(code_text, work_states[i].code_text) == 0)
            return work_states[i].name;
    return NULL;
}

int pfj_state_code(const char *name)
{
    apr_size_t i;

    for (i = 0; name != NULL && i < N_WORK_STATES; i++)
        if (strcmp(name, work_states[i].name) == 0)
            return work_states[i].code;
    return -1;
}

/* Reads an unsigned decimal no greater than max from the start of s (at
 * least one digit, no sign, no space); returns the end of the digits, or
 * NULL when there are none or the value exceeds max. */
static const char *parse_bounded(const char *s, apr_uint64_t max,
                                 apr_uint64_t *value)
{
    const char *end = skip_digits(s);

    if (end == NULL)
        return NULL;
    for (*value = 0; s < end; s++) {
        *value = *value * 10 + (apr_uint64_t)(*s - '0');
        if (*value > max)
            return NULL;
    }
    return end;
}

#define IPV4_MAX 4294967295u

const char *pfj_fmt_ipv4(apr_pool_t *p, const char *bigint_text)
{
    apr_uint64_t ip;
    const char *end;

    if (bigint_text == NULL)
        return NULL;
    end = parse_bounded(bigint_text, IPV4_MAX, &ip);
    if (end == NULL || *end != '\0')
        return NULL;
    return apr_psprintf(p, "%u.%u.%u.%u", (unsigned)(ip >> 24) & 0xff,
                        (unsigned)(ip >> 16) & 0xff,
                        (unsigned)(ip >> 8) & 0xff, (unsigned)ip & 0xff);
}

/* A number literal of any length in the form of the decimal above:
 * significant digits without leading or trailing zeros ("" for zero). */
typedef struct literal {
    int negative;
    const char *digits;
    long point;
} literal;

/* Exponents beyond this are clamped: they only need to compare right. */
#define EXPONENT_CLAMP 1000000000L

static long parse_exponent(const char *c)
{
    int negative = (*c == '-');
    long e = 0;

    if (*c == '-' || *c == '+') {
        c++;
    }
    for (; *c >= '0' && *c <= '9'; c++) {
        e = e < EXPONENT_CLAMP ? e * 10 + (*c - '0') : EXPONENT_CLAMP;
    }
    return negative ? -e : e;
}

static literal parse_literal(apr_pool_t *p, const char *s)
{
    literal d = {0, NULL, 0};
    char *out = apr_palloc(p, strlen(s) + 1);
    apr_size_t n = 0;
    int in_fraction = 0;

    d.negative = (*s == '-');
    for (s += d.negative; (*s >= '0' && *s <= '9') || *s == '.'; s++) {
        if (*s == '.') {
            in_fraction = 1;
        }
        else if (n > 0 || *s != '0') {
            out[n++] = *s;
            d.point += !in_fraction;
        }
        else if (in_fraction) {
            d.point--; /* a zero between the point and the digits */
        }
    }
    if (*s == 'e' || *s == 'E') {
        d.point += parse_exponent(s + 1);
    }
    while (n > 0 && out[n - 1] == '0') {
        n--;
    }
    out[n] = '\0';
    d.digits = out;
    return d;
}

/* Compares the magnitudes of two non-zero literals. */
static int magnitude_cmp(const literal *a, const literal *b)
{
    const char *x = a->digits, *y = b->digits;

    if (a->point != b->point) {
        return a->point < b->point ? -1 : 1;
    }
    for (; *x || *y; x += (*x != 0), y += (*y != 0)) {
        char cx = *x ? *x : '0', cy = *y ? *y : '0';
        if (cx != cy) {
            return cx < cy ? -1 : 1;
        }
    }
    return 0;
}

int pfj_decimal_cmp(apr_pool_t *p, const char *a, const char *b)
{
    literal x = parse_literal(p, a), y = parse_literal(p, b);
    int sx = *x.digits ? (x.negative ? -1 : 1) : 0;
    int sy = *y.digits ? (y.negative ? -1 : 1) : 0;

    if (sx != sy) {
        return sx < sy ? -1 : 1;
    }
    return sx * (sx ? magnitude_cmp(&x, &y) : 0);
}

#define DIGITS "0123456789"

const char *pfj_decimal_text(apr_pool_t *p, const char *s)
{
    const char *sign = "", *whole, *fraction = "", *exponent = "";
    apr_size_t nwhole, nfraction = 0, nexponent = 0, n;

    while (isspace((unsigned char)*s)) {
        s++;
    }
    if (*s == '-' || *s == '+') {
        sign = (*s++ == '-') ? "-" : "";
    }
    whole = s;
    nwhole = strspn(s, DIGITS);
    s += nwhole;
    if (*s == '.') {
        fraction = ++s;
        nfraction = strspn(s, DIGITS);
        s += nfraction;
    }
    if (nwhole + nfraction == 0) {
        return NULL;
    }
    if (*s == 'e' || *s == 'E') {
        exponent = s;
        n = 1 + (s[1] == '-' || s[1] == '+');
        if (strspn(s + n, DIGITS) == 0) {
            return NULL;
        }
        nexponent = n + strspn(s + n, DIGITS);
        s += nexponent;
    }
    while (isspace((unsigned char)*s)) {
        s++;
    }
    if (*s != '\0') {
        return NULL;
    }
    return apr_pstrcat(p, sign,
                       nwhole ? apr_pstrmemdup(p, whole, nwhole) : "0",
                       nfraction ? "." : "",
                       apr_pstrmemdup(p, fraction, nfraction),
                       apr_pstrmemdup(p, exponent, nexponent), NULL);
}

int pfj_db_bool(const char *v)
{
    return v != NULL && v[0] == 't';
}
