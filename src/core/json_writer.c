/*
 * json_writer.c - streaming JSON writer with Python json.dumps() output
 * (doc/api.md §0.3, §0.6).
 *
 * Every byte goes through apr_brigade_write(), which buffers into the
 * brigade's last heap bucket and calls the flush callback when that fills
 * up; strings are escaped into a local chunk first so a long string costs
 * one brigade call per chunk, not per character.
 */
#include <string.h>

#include <apr_strings.h>

#include "core/json_writer.h"
#include "core/json_body.h"
#include "core/db_values.h"
#include "core/utf8.h"

/* Longest escape of one code point: a surrogate pair, "\ud83d\ude00". */
#define MAX_ESCAPE_LEN 12
#define ESCAPE_CHUNK 1024

static const char hex_digits[] = "0123456789abcdef";

static void put(pfj_jw *w, const char *s, apr_size_t len)
{
    if (w->status == APR_SUCCESS)
        w->status = apr_brigade_write(w->bb, w->flush, w->flush_ctx, s, len);
}

static void put_str(pfj_jw *w, const char *s)
{
    put(w, s, strlen(s));
}

void pfj_jw_init(pfj_jw *w, apr_bucket_brigade *bb, apr_brigade_flush flush,
                 void *flush_ctx)
{
    memset(w, 0, sizeof(*w));
    w->bb = bb;
    w->flush = flush;
    w->flush_ctx = flush_ctx;
    w->pool = bb->p;
}

/* Writes the ", " that precedes every item of a container but its first. */
static void separate(pfj_jw *w)
{
    if (w->depth == 0)
        return;
    if (w->count[w->depth - 1])
        put(w, ", ", 2);
    else
        w->count[w->depth - 1] = 1;
}

/* Prepares for a value; false when the writer has already failed. */
static int begin_value(pfj_jw *w)
{
    if (w->status != APR_SUCCESS)
        return 0;
    if (w->after_key)
        w->after_key = 0;
    else
        separate(w);
    return w->status == APR_SUCCESS;
}

static char *put_u_escape(char *out, unsigned unit)
{
    out[0] = '\\';
    out[1] = 'u';
    out[2] = hex_digits[unit >> 12 & 0xF];
    out[3] = hex_digits[unit >> 8 & 0xF];
    out[4] = hex_digits[unit >> 4 & 0xF];
    out[5] = hex_digits[unit & 0xF];
    return out + 6;
}

/* The two-character escapes json.dumps uses; 0 when cp has none. */
static char short_escape(unsigned cp)
{
    switch (cp) {
    case '"':
        return '"';
    case '\\':
        return '\\';
    case '\n':
        return 'n';
    case '\r':
        return 'r';
    case '\t':
        return 't';
    case '\b':
        return 'b';
    case '\f':
        return 'f';
    default:
        return 0;
    }
}

/* Writes code point cp as json.dumps(ensure_ascii=True) does: printable
 * ASCII (' '..'~') as is, the rest as \uXXXX, DEL included; returns the
 * end of what was written (at most MAX_ESCAPE_LEN bytes). */
static char *escape_code_point(char *out, unsigned cp)
{
    char letter = short_escape(cp);

    if (letter != 0) {
        out[0] = '\\';
        out[1] = letter;
        return out + 2;
    }
    if (cp < 0x20 || cp > 0x7E) {
        if (cp <= 0xFFFF)
            return put_u_escape(out, cp);
        cp -= 0x10000;
        out = put_u_escape(out, 0xD800 | cp >> 10);
        return put_u_escape(out, 0xDC00 | (cp & 0x3FF));
    }
    *out = (char)cp;
    return out + 1;
}

/* A quoted, escaped string, written one chunk at a time. */
/* Length of the run of bytes json.dumps writes as they are. */
static apr_size_t plain_run(const unsigned char *s, apr_size_t len)
{
    apr_size_t n = 0;

    while (n < len && s[n] >= 0x20 && s[n] < 0x7f && s[n] != '"'
           && s[n] != '\\') {
        n++;
    }
    return n;
}

static void put_quoted(pfj_jw *w, const char *s, apr_size_t len)
{
    const unsigned char *in = (const unsigned char *)s;
    char chunk[ESCAPE_CHUNK];
    char *out = chunk;
    apr_size_t i = 0;
    unsigned cp;

    *out++ = '"';
    while (i < len) {
        apr_size_t plain = plain_run(in + i, len - i);

        if (plain > 0) {
            /* printable ASCII needs no escaping: copied in one piece */
            put(w, chunk, out - chunk);
            put(w, s + i, plain);
            out = chunk;
            i += plain;
            continue;
        }
        if (out > chunk + sizeof(chunk) - MAX_ESCAPE_LEN - 1) {
            put(w, chunk, out - chunk);
            out = chunk;
        }
        i += pfj_utf8_decode(in + i, len - i, &cp);
        out = escape_code_point(out, cp == PFJ_UTF8_INVALID
                                         ? PFJ_UTF8_REPLACEMENT
                                         : cp);
    }
    *out++ = '"';
    put(w, chunk, out - chunk);
}

static void open_container(pfj_jw *w, char bracket)
{
    if (!begin_value(w))
        return;
    if (w->depth == PFJ_JW_MAX_DEPTH) {
        w->status = APR_EINVAL;
        return;
    }
    w->count[w->depth++] = 0;
    put(w, &bracket, 1);
}

static void close_container(pfj_jw *w, char bracket)
{
    if (w->status != APR_SUCCESS)
        return;
    if (w->depth == 0 || w->after_key) { /* nothing open, or key left */
        w->status = APR_EINVAL;          /* without its value */
        return;
    }
    w->depth--;
    put(w, &bracket, 1);
}

void pfj_jw_object_begin(pfj_jw *w)
{
    open_container(w, '{');
}

void pfj_jw_object_end(pfj_jw *w)
{
    close_container(w, '}');
}

void pfj_jw_array_begin(pfj_jw *w)
{
    open_container(w, '[');
}

void pfj_jw_array_end(pfj_jw *w)
{
    close_container(w, ']');
}

void pfj_jw_key(pfj_jw *w, const char *key)
{
    /* json.dumps({None: 1}) writes the key as "null" */
    const char *text = key != NULL ? key : "null";

    if (w->status != APR_SUCCESS)
        return;
    if (w->depth == 0 || w->after_key) {
        w->status = APR_EINVAL;
        return;
    }
    separate(w);
    put_quoted(w, text, strlen(text));
    put(w, ": ", 2);
    w->after_key = 1;
}

void pfj_jw_string_n(pfj_jw *w, const char *s, apr_size_t len)
{
    if (begin_value(w))
        put_quoted(w, s, len);
}

void pfj_jw_string(pfj_jw *w, const char *s)
{
    if (s == NULL)
        pfj_jw_null(w);
    else
        pfj_jw_string_n(w, s, strlen(s));
}

void pfj_jw_raw(pfj_jw *w, const char *token)
{
    if (begin_value(w))
        put_str(w, token != NULL ? token : "null");
}

void pfj_jw_int64(pfj_jw *w, apr_int64_t v)
{
    char digits[32];

    apr_snprintf(digits, sizeof(digits), "%" APR_INT64_T_FMT, v);
    pfj_jw_raw(w, digits);
}

static void write_uint64(pfj_jw *w, apr_uint64_t v)
{
    char digits[32];

    apr_snprintf(digits, sizeof(digits), "%" APR_UINT64_T_FMT, v);
    pfj_jw_raw(w, digits);
}

/* The text lands in the brigade's pool: a few bytes per number. */
void pfj_jw_double(pfj_jw *w, double v)
{
    pfj_jw_raw(w, pfj_fmt_double(w->pool, v));
}

void pfj_jw_bool(pfj_jw *w, int v)
{
    pfj_jw_raw(w, v ? "true" : "false");
}

void pfj_jw_null(pfj_jw *w)
{
    pfj_jw_raw(w, "null");
}

/* json-c keeps integers above INT64_MAX as uint64, and get_int64 then
 * answers INT64_MAX; only in that case is get_uint64 the right reading. */
static void write_json_int(pfj_jw *w, struct json_object *o)
{
    apr_int64_t v = json_object_get_int64(o);

    if (v == APR_INT64_MAX)
        write_uint64(w, json_object_get_uint64(o));
    else
        pfj_jw_int64(w, v);
}

static void write_json_array(pfj_jw *w, struct json_object *o)
{
    size_t i, n = json_object_array_length(o);

    pfj_jw_array_begin(w);
    for (i = 0; i < n && w->status == APR_SUCCESS; i++)
        pfj_jw_json(w, json_object_array_get_idx(o, i));
    pfj_jw_array_end(w);
}

static void write_json_object(pfj_jw *w, struct json_object *o)
{
    struct json_object_iter it;

    pfj_jw_object_begin(w);
    json_object_object_foreachC(o, it)
    {
        if (w->status != APR_SUCCESS)
            break;
        pfj_jw_key(w, it.key);
        pfj_jw_json(w, it.val);
    }
    pfj_jw_object_end(w);
}

void pfj_jw_json(pfj_jw *w, struct json_object *o)
{
    switch (json_object_get_type(o)) {
    case json_type_null:
        pfj_jw_null(w);
        break;
    case json_type_boolean:
        pfj_jw_bool(w, json_object_get_boolean(o));
        break;
    case json_type_int:
        write_json_int(w, o);
        break;
    case json_type_double:
        pfj_jw_double(w, json_object_get_double(o));
        break;
    case json_type_string:
        pfj_jw_string_n(w, json_object_get_string(o),
                        (apr_size_t)json_object_get_string_len(o));
        break;
    case json_type_array:
        write_json_array(w, o);
        break;
    case json_type_object:
        write_json_object(w, o);
        break;
    }
}

void pfj_jw_kv_string(pfj_jw *w, const char *key, const char *s)
{
    pfj_jw_key(w, key);
    pfj_jw_string(w, s);
}

void pfj_jw_kv_raw(pfj_jw *w, const char *key, const char *token)
{
    pfj_jw_key(w, key);
    pfj_jw_raw(w, token);
}

void pfj_jw_kv_null(pfj_jw *w, const char *key)
{
    pfj_jw_key(w, key);
    pfj_jw_null(w);
}

void pfj_jw_kv_digits(pfj_jw *w, const char *key, const char *digits)
{
    while (digits[0] == '0' && digits[1] != '\0') {
        digits++;
    }
    pfj_jw_kv_raw(w, key, digits);
}

/* JSON text from the database, re-rendered in Python style. */
static void write_db_json(pfj_jw *w, const char *text, int null_is_list)
{
    json_object *o = NULL;

    if (text == NULL && null_is_list) {
        pfj_jw_array_begin(w);
        pfj_jw_array_end(w);
    }
    else if (text == NULL
             || pfj_json_parse(w->pool, text, strlen(text), &o) != 0) {
        pfj_jw_null(w);
    }
    else if (pfj_json_unstorable(o)) {
        /* integers beyond json-c's 64 bits: the text, written by Python's
         * json.dumps or by this module, is already in the answer's form */
        pfj_jw_raw(w, text);
    }
    else {
        pfj_jw_json(w, o);
    }
}

static const char *format_db_scalar(apr_pool_t *p, pfj_db_kind kind,
                                    const char *text)
{
    switch (kind) {
    case PFJ_DB_TIMESTAMP:
        return pfj_fmt_timestamp(p, text);
    case PFJ_DB_NUMERIC:
        return pfj_fmt_numeric(p, text);
    case PFJ_DB_FLOAT:
        return pfj_fmt_double(p, strtod(text, NULL));
    case PFJ_DB_BOOL:
        return text[0] == 't' ? "true" : "false";
    default:
        return text;
    }
}

void pfj_jw_db_value(pfj_jw *w, pfj_db_kind kind, const char *text)
{
    if (kind == PFJ_DB_JSON || kind == PFJ_DB_JSON_LIST) {
        write_db_json(w, text, kind == PFJ_DB_JSON_LIST);
    }
    else if (text == NULL) {
        pfj_jw_null(w);
    }
    else if (kind == PFJ_DB_TEXT) {
        pfj_jw_string(w, text);
    }
    else if (kind == PFJ_DB_TIMESTAMP) {
        pfj_jw_string(w, format_db_scalar(w->pool, kind, text));
    }
    else {
        pfj_jw_raw(w, format_db_scalar(w->pool, kind, text));
    }
}

void pfj_jw_kv_db(pfj_jw *w, const char *key, pfj_db_kind kind,
                  const char *text)
{
    pfj_jw_key(w, key);
    pfj_jw_db_value(w, kind, text);
}

/* NUL-terminated by writing the terminator into the brigade before
 * flattening (apr_brigade_pflatten adds none).  NULL if o nests deeper
 * than PFJ_JW_MAX_DEPTH. */
const char *pfj_json_to_string(apr_pool_t *p, struct json_object *o)
{
    apr_bucket_alloc_t *ba = apr_bucket_alloc_create(p);
    apr_bucket_brigade *bb = apr_brigade_create(p, ba);
    pfj_jw w;
    char *text = NULL;
    apr_size_t len;

    pfj_jw_init(&w, bb, NULL, NULL);
    pfj_jw_json(&w, o);
    put(&w, "", 1);
    if (w.status != APR_SUCCESS
        || apr_brigade_pflatten(bb, &text, &len, p) != APR_SUCCESS)
        text = NULL;
    apr_brigade_destroy(bb);
    apr_bucket_alloc_destroy(ba);
    return text;
}
