/*
 * pyrepr.c - Python 3 repr() of strings and JSON values, byte for byte as
 * CPython 3.11 prints them (Objects/unicodeobject.c unicode_repr and the
 * list, dict and set reprs).
 *
 * Text is appended to a growable buffer on the caller's pool; the result
 * is that buffer, NUL-terminated.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "core/count.h"
#include "core/pyrepr.h"
#include "core/db_values.h"
#include "core/utf8.h"

#define INITIAL_BUF_SIZE 64

/* Containers nested deeper than this print as [...] / {...}, as Python
 * prints a container that holds itself.  json_body.c's parser stops well
 * before, so only hand-built (or cyclic) values get there. */
#define MAX_REPR_DEPTH 100

typedef struct {
    apr_pool_t *pool;
    char *text; /* always NUL-terminated */
    apr_size_t len;
    apr_size_t size;
} repr_buf;

static void buf_init(repr_buf *b, apr_pool_t *p)
{
    b->pool = p;
    b->size = INITIAL_BUF_SIZE;
    b->text = apr_palloc(p, b->size);
    b->text[0] = '\0';
    b->len = 0;
}

static void buf_put(repr_buf *b, const char *s, apr_size_t len)
{
    if (b->len + len >= b->size) {
        char *bigger;

        b->size = 2 * (b->len + len + 1);
        bigger = apr_palloc(b->pool, b->size);
        memcpy(bigger, b->text, b->len);
        b->text = bigger;
    }
    memcpy(b->text + b->len, s, len);
    b->len += len;
    b->text[b->len] = '\0';
}

static void buf_puts(repr_buf *b, const char *s)
{
    buf_put(b, s, strlen(s));
}

/*
 * Non-ASCII code points that str.isprintable() rejects, taken from Python
 * 3.11 (Unicode 14.0.0): every assigned code point of categories Cc, Cf,
 * Cs, Co, Zl, Zp and Zs (but U+0020), with neighbouring ranges merged.
 * Unassigned code points (Cn) are non-printable to Python too, but that
 * set is large and moves with every Unicode version; of it only the
 * noncharacters are kept (see is_printable), other unassigned code points
 * are printed as they are - clients do not send them.
 */
static const struct {
    unsigned lo, hi;
} non_printable[] = {
    {0x00080, 0x000A0}, /* C1 controls, NO-BREAK SPACE */
    {0x000AD, 0x000AD}, /* SOFT HYPHEN */
    {0x00600, 0x00605}, /* Arabic number signs */
    {0x0061C, 0x0061C}, /* ARABIC LETTER MARK */
    {0x006DD, 0x006DD},
    {0x0070F, 0x0070F},
    {0x00890, 0x00891},
    {0x008E2, 0x008E2},
    {0x01680, 0x01680}, /* OGHAM SPACE MARK */
    {0x0180E, 0x0180E},
    {0x02000, 0x0200F}, /* spaces, zero-width and direction marks */
    {0x02028, 0x0202F}, /* LINE/PARAGRAPH SEPARATOR, embeddings, NNBSP */
    {0x0205F, 0x02064},
    {0x02066, 0x0206F},
    {0x03000, 0x03000}, /* IDEOGRAPHIC SPACE */
    {0x0D800, 0x0F8FF}, /* surrogates, private use */
    {0x0FEFF, 0x0FEFF}, /* BYTE ORDER MARK */
    {0x0FFF9, 0x0FFFB}, /* interlinear annotation */
    {0x110BD, 0x110BD},
    {0x110CD, 0x110CD},
    {0x13430, 0x13438}, /* Egyptian hieroglyph format controls */
    {0x1BCA0, 0x1BCA3},
    {0x1D173, 0x1D17A},  /* musical symbol format controls */
    {0xE0001, 0xE0001},  /* LANGUAGE TAG */
    {0xE0020, 0xE007F},  /* tag characters */
    {0xF0000, 0x10FFFF}, /* supplementary private use areas */
};

/* Noncharacters: U+FDD0..U+FDEF and the last two code points of each
 * plane (U+FFFE, U+FFFF, U+1FFFE, ...). */
static int is_noncharacter(unsigned cp)
{
    return (cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE;
}

/* str.isprintable() of one code point, within the limits told above. */
static int is_printable(unsigned cp)
{
    apr_size_t i;

    if (cp < 0x80)
        return cp >= 0x20 && cp < 0x7F;
    if (is_noncharacter(cp))
        return 0;
    for (i = 0; i < PFJ_COUNT(non_printable) && cp >= non_printable[i].lo; i++)
        if (cp <= non_printable[i].hi)
            return 0;
    return 1;
}

/* Python quotes with ' unless the text holds a ' and no ". */
static char choose_quote(const char *s, apr_size_t len)
{
    return memchr(s, '\'', len) != NULL && memchr(s, '"', len) == NULL ? '"'
                                                                       : '\'';
}

/* The letter of the two-character escape of cp ("\n", "\\", "\'"); 0 when
 * cp has none. */
static char escape_letter(unsigned cp, char quote)
{
    switch (cp) {
    case '\n':
        return 'n';
    case '\r':
        return 'r';
    case '\t':
        return 't';
    case '\\':
        return '\\';
    default:
        return cp == (unsigned char)quote ? quote : 0;
    }
}

/* \xhh, \uhhhh or \Uhhhhhhhh: the shortest form that holds cp. */
static void put_hex_escape(repr_buf *b, unsigned cp)
{
    char esc[sizeof("\\U0010ffff")];

    if (cp <= 0xFF)
        apr_snprintf(esc, sizeof(esc), "\\x%02x", cp);
    else if (cp <= 0xFFFF)
        apr_snprintf(esc, sizeof(esc), "\\u%04x", cp);
    else
        apr_snprintf(esc, sizeof(esc), "\\U%08x", cp);
    buf_puts(b, esc);
}

/* repr() of the str held in UTF-8 by s[0..len), NULs included. */
static void put_str_repr(repr_buf *b, const char *s, apr_size_t len)
{
    const unsigned char *in = (const unsigned char *)s;
    char quote = choose_quote(s, len);
    apr_size_t i, n;
    unsigned cp;
    char letter;

    buf_put(b, &quote, 1);
    for (i = 0; i < len; i += n) {
        n = pfj_utf8_decode(in + i, len - i, &cp);
        if (cp == PFJ_UTF8_INVALID) {
            /* what Python decoded the bytes to; a U+FFFD sent is kept */
            buf_puts(b, PFJ_UTF8_REPLACEMENT_TEXT);
            continue;
        }
        letter = escape_letter(cp, quote);
        if (letter != 0) {
            char esc[2] = {'\\', letter};

            buf_put(b, esc, 2);
        }
        else if (!is_printable(cp))
            put_hex_escape(b, cp);
        else
            buf_put(b, s + i, n);
    }
    buf_put(b, &quote, 1);
}

const char *pfj_py_repr_str(apr_pool_t *p, const char *s)
{
    repr_buf b;

    if (s == NULL)
        return "None";
    buf_init(&b, p);
    put_str_repr(&b, s, strlen(s));
    return b.text;
}

/* json-c keeps integers as int64, or as uint64 above INT64_MAX; asked for
 * an int64, it answers INT64_MAX for the latter. */
static void put_int(repr_buf *b, json_object *o)
{
    apr_int64_t i = json_object_get_int64(o);

    if (i == APR_INT64_MAX)
        buf_puts(b, apr_psprintf(b->pool, "%" APR_UINT64_T_FMT,
                                 (apr_uint64_t)json_object_get_uint64(o)));
    else
        buf_puts(b, apr_psprintf(b->pool, "%" APR_INT64_T_FMT, i));
}

/* repr(float): as json.dumps but for the non-finite values. */
static void put_float(repr_buf *b, double d)
{
    if (isnan(d))
        buf_puts(b, "nan");
    else if (isinf(d))
        buf_puts(b, d < 0 ? "-inf" : "inf");
    else
        buf_puts(b, pfj_fmt_double(b->pool, d));
}

static void put_repr(repr_buf *b, json_object *o, int depth);

/* [a, b]; depth counts the containers around this one. */
static void put_list(repr_buf *b, json_object *list, int depth)
{
    apr_size_t i, n = json_object_array_length(list);

    buf_puts(b, "[");
    if (n > 0 && depth == MAX_REPR_DEPTH)
        buf_puts(b, "...");
    else
        for (i = 0; i < n; i++) {
            if (i > 0)
                buf_puts(b, ", ");
            put_repr(b, json_object_array_get_idx(list, i), depth + 1);
        }
    buf_puts(b, "]");
}

/* {'k': v, ...} in the object's key order. */
static void put_dict(repr_buf *b, json_object *dict, int depth)
{
    int first = 1;

    buf_puts(b, "{");
    if (json_object_object_length(dict) > 0 && depth == MAX_REPR_DEPTH)
        buf_puts(b, "...");
    else {
        json_object_object_foreach(dict, key, value)
        {
            if (!first)
                buf_puts(b, ", ");
            first = 0;
            put_str_repr(b, key, strlen(key));
            buf_puts(b, ": ");
            put_repr(b, value, depth + 1);
        }
    }
    buf_puts(b, "}");
}

static void put_repr(repr_buf *b, json_object *o, int depth)
{
    switch (json_object_get_type(o)) { /* json_type_null for NULL */
    case json_type_null:
        buf_puts(b, "None");
        break;
    case json_type_boolean:
        buf_puts(b, json_object_get_boolean(o) ? "True" : "False");
        break;
    case json_type_int:
        put_int(b, o);
        break;
    case json_type_double:
        put_float(b, json_object_get_double(o));
        break;
    case json_type_string:
        put_str_repr(b, json_object_get_string(o),
                     (apr_size_t)json_object_get_string_len(o));
        break;
    case json_type_array:
        put_list(b, o, depth);
        break;
    case json_type_object:
        put_dict(b, o, depth);
        break;
    }
}

const char *pfj_py_repr(apr_pool_t *p, json_object *o)
{
    repr_buf b;

    buf_init(&b, p);
    put_repr(&b, o, 0);
    return b.text;
}

/* 'a', 'b': the reprs of strs[0..n) joined by ", ". */
static void put_str_items(repr_buf *b, const char *const *strs, int n)
{
    int i;

    for (i = 0; i < n; i++) {
        if (i > 0)
            buf_puts(b, ", ");
        put_str_repr(b, strs[i], strlen(strs[i]));
    }
}

static int compare_strs(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorts strs[0..n) bytewise and drops repeats; returns how many remain. */
static int sort_unique(const char **strs, int n)
{
    int i, kept = 0;

    qsort(strs, n, sizeof(*strs), compare_strs);
    for (i = 0; i < n; i++)
        if (kept == 0 || strcmp(strs[kept - 1], strs[i]) != 0)
            strs[kept++] = strs[i];
    return kept;
}

/* The elements are non-NULL strings; a set holds each once, so repeats in
 * strs are dropped.  A NULL array is the empty set. */
const char *pfj_py_set_repr(apr_pool_t *p, const apr_array_header_t *strs)
{
    apr_array_header_t *sorted;
    repr_buf b;
    int n;

    if (strs == NULL || strs->nelts == 0)
        return "set()";
    sorted = apr_array_copy(p, strs);
    n = sort_unique((const char **)sorted->elts, sorted->nelts);
    buf_init(&b, p);
    buf_puts(&b, "{");
    put_str_items(&b, (const char *const *)sorted->elts, n);
    buf_puts(&b, "}");
    return b.text;
}

/* The elements are non-NULL strings; a NULL array has no keys. */
const char *pfj_py_dict_keys_repr(apr_pool_t *p,
                                  const apr_array_header_t *strs)
{
    repr_buf b;

    buf_init(&b, p);
    buf_puts(&b, "dict_keys([");
    if (strs != NULL)
        put_str_items(&b, (const char *const *)strs->elts, strs->nelts);
    buf_puts(&b, "])");
    return b.text;
}

const char *pfj_py_str(apr_pool_t *p, json_object *o)
{
    if (json_object_is_type(o, json_type_string)) {
        return apr_pstrmemdup(p, json_object_get_string(o),
                              json_object_get_string_len(o));
    }
    return pfj_py_repr(p, o);
}
