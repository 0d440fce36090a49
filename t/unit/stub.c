/* stub.c - the httpd functions the module calls, without a server (see
 * stub.h).  Only what the linker asks for; the ones no glue test reaches
 * (the log file download and upload paths) abort, so that a test that
 * does reach them fails loudly instead of testing a made-up httpd. */
#include <stdio.h>
#include <stdlib.h>
#include <apr_lib.h>
#include <apr_optional.h>
#include <apr_strings.h>
#include <httpd.h>
#include <ap_mpm.h>
#include <http_config.h>
#include <http_core.h>
#include <http_log.h>
#include <http_protocol.h>
#include <http_request.h>
#include <ap_expr.h>
#include <apr_dbd.h>
#include <mod_dbd.h>
#include <unixd.h>
#include <util_filter.h>
#include "core/count.h"
#include "stub.h"

/* What a request's filters saw. */
typedef struct stub_io {
    const char *body; /* request body; NULL: none */
    apr_size_t body_len;
    apr_size_t body_pos;
    int reads; /* ap_get_brigade calls */
    char *out; /* the response's data bytes */
    apr_size_t out_len;
    int eos;    /* EOS buckets passed */
    int passes; /* ap_pass_brigade calls */
} stub_io;

char pfj_stub_last_log[1024];
ap_HOOK_handler_t *pfj_stub_handler_hook;
ap_HOOK_check_config_t *pfj_stub_check_config_hook;
ap_HOOK_post_config_t *pfj_stub_post_config_hook;
ap_HOOK_pre_translate_name_t *pfj_stub_pre_translate_name_hook;
ap_HOOK_translate_name_t *pfj_stub_translate_name_hook;
ap_HOOK_translate_name_t *pfj_stub_translate_name_last_hook;
ap_HOOK_map_to_storage_t *pfj_stub_map_to_storage_hook;
ap_HOOK_log_transaction_t *pfj_stub_log_transaction_hook;
const char *const *pfj_stub_post_config_succ;
int pfj_stub_prepared;
int pfj_stub_acquired;
const char *pfj_stub_server_root = "/etc/apache2";

/* unixd.h: the User and Group httpd runs as (root's in the tests). */
unixd_config_rec ap_unixd_config;

static void unexpected(const char *name)
{
    fprintf(stderr, "stub.c: %s() is not stubbed for the glue tests\n", name);
    abort();
}

/* httpd's numbers of the methods the tests send (HEAD is M_GET). */
static int method_number(const char *method)
{
    static const struct {
        const char *name;
        int number;
    } methods[] = {
        {"GET", M_GET},     {"HEAD", M_GET},      {"POST", M_POST},
        {"PUT", M_PUT},     {"DELETE", M_DELETE}, {"OPTIONS", M_OPTIONS},
        {"PATCH", M_PATCH}, {"TRACE", M_TRACE},
    };
    apr_size_t i;

    for (i = 0; i < PFJ_COUNT(methods); i++) {
        if (strcmp(method, methods[i].name) == 0) {
            return methods[i].number;
        }
    }
    return M_INVALID;
}

/* %XX decoding in place, as httpd decodes r->uri. */
static void decode_path(char *s)
{
    char *o = s, hex[3] = {0};

    for (; *s; s++) {
        if (s[0] == '%' && apr_isxdigit(s[1]) && apr_isxdigit(s[2])) {
            hex[0] = s[1];
            hex[1] = s[2];
            *o++ = (char)strtol(hex, NULL, 16);
            s += 2;
        }
        else {
            *o++ = *s;
        }
    }
    *o = '\0';
}

request_rec *pfj_stub_request(apr_pool_t *p, const char *method,
                              const char *unparsed_uri, const char *body)
{
    request_rec *r = apr_pcalloc(p, sizeof(*r));
    conn_rec *c = apr_pcalloc(p, sizeof(*c));
    server_rec *s = apr_pcalloc(p, sizeof(*s));
    ap_filter_t *in = apr_pcalloc(p, sizeof(*in));
    ap_filter_t *out = apr_pcalloc(p, sizeof(*out));
    stub_io *io = apr_pcalloc(p, sizeof(*io));

    c->pool = p;
    c->bucket_alloc = apr_bucket_alloc_create(p);
    c->keepalive = AP_CONN_UNKNOWN;
    s->server_hostname = "localhost";
    s->port = 80;
    s->log.level = APLOG_TRACE8; /* every message reaches the stub */
    r->pool = p;
    r->connection = c;
    r->server = s;
    r->method = method;
    r->method_number = method_number(method);
    r->header_only = strcmp(method, "HEAD") == 0;
    r->protocol = "HTTP/1.1";
    r->proto_num = HTTP_VERSION(1, 1);
    r->hostname = "localhost";
    r->status = HTTP_OK;
    r->handler = "pyfarm-jobs";
    r->unparsed_uri = apr_pstrdup(p, unparsed_uri);
    apr_uri_parse(p, r->unparsed_uri, &r->parsed_uri);
    r->uri = apr_pstrdup(p, r->parsed_uri.path ? r->parsed_uri.path : "/");
    decode_path(r->uri);
    r->args = r->parsed_uri.query;
    r->headers_in = apr_table_make(p, 4);
    r->headers_out = apr_table_make(p, 4);
    r->err_headers_out = apr_table_make(p, 4);
    r->notes = apr_table_make(p, 4);
    r->subprocess_env = apr_table_make(p, 4);
    r->per_dir_config = apr_pcalloc(p, sizeof(void *) * 8);
    r->request_config = apr_pcalloc(p, sizeof(void *) * 8);
    r->allowed_methods = apr_pcalloc(p, sizeof(*r->allowed_methods));
    io->body = body;
    io->body_len = body ? strlen(body) : 0;
    in->ctx = io;
    in->r = r;
    in->c = c;
    out->ctx = io;
    out->r = r;
    out->c = c;
    r->input_filters = in;
    r->output_filters = out;
    return r;
}

void pfj_stub_set_dir_conf(request_rec *r, module *m, void *conf)
{
    ap_set_module_config(r->per_dir_config, m, conf);
}

void pfj_stub_set_handler_conf(request_rec *r, const char *value)
{
    core_dir_config *core = apr_pcalloc(r->pool, sizeof(*core));

    if (value) {
        core->expr_handler = apr_pcalloc(r->pool, sizeof(ap_expr_info_t));
        core->expr_handler->filename = value;
    }
    ap_set_core_module_config(r->per_dir_config, core);
}

/* The value of an expression made by pfj_stub_set_handler_conf(). */
AP_DECLARE(const char *) ap_expr_str_exec(request_rec *r,
                                          const ap_expr_info_t *expr,
                                          const char **err)
{
    *err = NULL;
    return expr->filename;
}

const char *pfj_stub_output(request_rec *r)
{
    stub_io *io = r->output_filters->ctx;

    return io->out ? io->out : "";
}

int pfj_stub_eos_count(request_rec *r)
{
    return ((stub_io *)r->output_filters->ctx)->eos;
}

int pfj_stub_pass_count(request_rec *r)
{
    return ((stub_io *)r->output_filters->ctx)->passes;
}

int pfj_stub_read_count(request_rec *r)
{
    return ((stub_io *)r->input_filters->ctx)->reads;
}

/* ---- filters ---- */

/* Keeps the data and counts the EOS buckets; the brigade is emptied, as
 * the core output filter would. */
AP_DECLARE(apr_status_t) ap_pass_brigade(ap_filter_t *f,
                                         apr_bucket_brigade *bb)
{
    stub_io *io = f->ctx;
    apr_bucket *b;
    const char *data;
    apr_size_t len;
    char *grown;

    io->passes++;
    for (b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb);
         b = APR_BUCKET_NEXT(b)) {
        if (APR_BUCKET_IS_EOS(b)) {
            io->eos++;
            continue;
        }
        if (APR_BUCKET_IS_METADATA(b)) {
            continue;
        }
        if (apr_bucket_read(b, &data, &len, APR_BLOCK_READ) != APR_SUCCESS) {
            return APR_EGENERAL;
        }
        grown = apr_palloc(f->r->pool, io->out_len + len + 1);
        memcpy(grown, io->out ? io->out : "", io->out_len);
        memcpy(grown + io->out_len, data, len);
        io->out_len += len;
        grown[io->out_len] = '\0';
        io->out = grown;
    }
    apr_brigade_cleanup(bb);
    return APR_SUCCESS;
}

AP_DECLARE_NONSTD(apr_status_t) ap_filter_flush(apr_bucket_brigade *bb,
                                                void *ctx)
{
    return ap_pass_brigade(ctx, bb);
}

/* The request body, at most readbytes a call, then EOS. */
AP_DECLARE(apr_status_t) ap_get_brigade(ap_filter_t *f, apr_bucket_brigade *bb,
                                        ap_input_mode_t mode,
                                        apr_read_type_e block,
                                        apr_off_t readbytes)
{
    stub_io *io = f->ctx;
    apr_size_t n = io->body_len - io->body_pos;

    io->reads++;
    if (n > (apr_size_t)readbytes) {
        n = (apr_size_t)readbytes;
    }
    if (n > 0) {
        APR_BRIGADE_INSERT_TAIL(bb,
                                apr_bucket_transient_create(io->body
                                                                + io->body_pos,
                                                            n,
                                                            bb->bucket_alloc));
        io->body_pos += n;
    }
    if (io->body_pos == io->body_len) {
        APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(bb->bucket_alloc));
    }
    return APR_SUCCESS;
}

/* ---- protocol ---- */

AP_DECLARE(void) ap_set_content_type(request_rec *r, const char *ct)
{
    r->content_type = ct;
}

AP_DECLARE(void) ap_set_content_length(request_rec *r, apr_off_t length)
{
    r->clength = length;
    apr_table_setn(r->headers_out, "Content-Length",
                   apr_off_t_toa(r->pool, length));
}

AP_DECLARE(int) ap_map_http_request_error(apr_status_t rv, int status)
{
    return status;
}

/* scheme://host[:port]uri, the host and port from the Host header (as
 * httpd does with UseCanonicalName Off), else the server's. */
AP_DECLARE(char *) ap_construct_url(apr_pool_t *p, const char *uri,
                                    request_rec *r)
{
    const char *host = apr_table_get(r->headers_in, "Host");

    return apr_pstrcat(p, "http://", host ? host : r->server->server_hostname,
                       uri, NULL);
}

AP_DECLARE(char *) ap_escape_html2(apr_pool_t *p, const char *s, int toasc)
{
    char *out = apr_palloc(p, strlen(s) * 6 + 1);
    apr_size_t n = 0;

    for (; *s; s++) {
        const char *esc = *s == '<'   ? "&lt;"
                          : *s == '>' ? "&gt;"
                          : *s == '&' ? "&amp;"
                          : *s == '"' ? "&quot;"
                                      : NULL;

        if (esc) {
            memcpy(out + n, esc, strlen(esc));
            n += strlen(esc);
        }
        else {
            out[n++] = *s;
        }
    }
    out[n] = '\0';
    return out;
}

/* ---- configuration and hooks ---- */

AP_DECLARE(char *) ap_server_root_relative(apr_pool_t *p, const char *fname)
{
    char *path;

    if (apr_filepath_merge(&path, pfj_stub_server_root, fname,
                           APR_FILEPATH_TRUENAME, p)
        != APR_SUCCESS) {
        return NULL;
    }
    return path;
}

AP_DECLARE(module *) ap_find_linked_module(const char *name)
{
    return NULL;
}

/* Only the session checks ask, on a connection the glue tests never open. */
AP_DECLARE(apr_status_t) ap_mpm_query(int query_code, int *result)
{
    unexpected("ap_mpm_query");
    return APR_ENOTIMPL;
}

AP_DECLARE(void) ap_hook_handler(ap_HOOK_handler_t *pf, const char *const *pre,
                                 const char *const *succ, int order)
{
    pfj_stub_handler_hook = pf;
}

AP_DECLARE(void) ap_hook_check_config(ap_HOOK_check_config_t *pf,
                                      const char *const *pre,
                                      const char *const *succ, int order)
{
    pfj_stub_check_config_hook = pf;
}

AP_DECLARE(void) ap_hook_post_config(ap_HOOK_post_config_t *pf,
                                     const char *const *pre,
                                     const char *const *succ, int order)
{
    pfj_stub_post_config_hook = pf;
    pfj_stub_post_config_succ = succ;
}

AP_DECLARE(void)
ap_hook_pre_translate_name(ap_HOOK_pre_translate_name_t *pf,
                           const char *const *pre, const char *const *succ,
                           int order)
{
    pfj_stub_pre_translate_name_hook = pf;
}

AP_DECLARE(void) ap_hook_translate_name(ap_HOOK_translate_name_t *pf,
                                        const char *const *pre,
                                        const char *const *succ, int order)
{
    if (order == APR_HOOK_LAST) {
        pfj_stub_translate_name_last_hook = pf;
    }
    else {
        pfj_stub_translate_name_hook = pf;
    }
}

AP_DECLARE(void) ap_hook_map_to_storage(ap_HOOK_map_to_storage_t *pf,
                                        const char *const *pre,
                                        const char *const *succ, int order)
{
    pfj_stub_map_to_storage_hook = pf;
}

AP_DECLARE(void) ap_hook_log_transaction(ap_HOOK_log_transaction_t *pf,
                                         const char *const *pre,
                                         const char *const *succ, int order)
{
    pfj_stub_log_transaction_hook = pf;
}

/* mod_status' section (ap_rputs) goes out as the handlers' bodies do. */
AP_DECLARE(int) ap_rwrite(const void *buf, int nbyte, request_rec *r)
{
    apr_bucket_brigade *bb = apr_brigade_create(r->pool,
                                                r->connection->bucket_alloc);

    apr_brigade_write(bb, NULL, NULL, buf, nbyte);
    return ap_pass_brigade(r->output_filters, bb) == APR_SUCCESS ? nbyte : -1;
}

/* ---- logging ---- */

static void keep_log(const char *fmt, va_list ap)
{
    apr_vsnprintf(pfj_stub_last_log, sizeof(pfj_stub_last_log), fmt, ap);
}

AP_DECLARE(void) ap_log_error_(const char *file, int line, int module_index,
                               int level, apr_status_t status,
                               const server_rec *s, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    keep_log(fmt, ap);
    va_end(ap);
}

AP_DECLARE(void) ap_log_rerror_(const char *file, int line, int module_index,
                                int level, apr_status_t status,
                                const request_rec *r, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    keep_log(fmt, ap);
    va_end(ap);
}

/* ---- mod_dbd ---- */

static void fake_dbd_prepare(server_rec *s, const char *sql, const char *label)
{
    pfj_stub_prepared++;
}

static ap_dbd_t *fake_dbd_acquire(request_rec *r)
{
    pfj_stub_acquired++;
    return NULL;
}

static ap_dbd_t *fake_dbd_open(apr_pool_t *p, server_rec *s)
{
    pfj_stub_acquired++;
    return NULL;
}

static void fake_dbd_close(server_rec *s, ap_dbd_t *dbd)
{
}

void pfj_stub_mod_dbd(int present)
{
    apr_dynamic_fn_register("ap_dbd_prepare",
                            present ? (apr_opt_fn_t *)fake_dbd_prepare : NULL);
    apr_dynamic_fn_register("ap_dbd_acquire",
                            present ? (apr_opt_fn_t *)fake_dbd_acquire : NULL);
    apr_dynamic_fn_register("ap_dbd_open",
                            present ? (apr_opt_fn_t *)fake_dbd_open : NULL);
    apr_dynamic_fn_register("ap_dbd_close",
                            present ? (apr_opt_fn_t *)fake_dbd_close : NULL);
}

/* ---- not reached by the glue tests (log file download and upload) ---- */

AP_DECLARE(apr_bucket *) ap_bucket_error_create(int error, const char *buf,
                                                apr_pool_t *p,
                                                apr_bucket_alloc_t *list)
{
    unexpected("ap_bucket_error_create");
    return NULL;
}

AP_DECLARE(apr_off_t) ap_get_limit_req_body(const request_rec *r)
{
    unexpected("ap_get_limit_req_body");
    return 0;
}

AP_DECLARE(void) ap_set_accept_ranges(request_rec *r)
{
    unexpected("ap_set_accept_ranges");
}

AP_DECLARE(void) ap_set_last_modified(request_rec *r)
{
    unexpected("ap_set_last_modified");
}

AP_DECLARE(void) ap_update_mtime(request_rec *r, apr_time_t dependency_mtime)
{
    unexpected("ap_update_mtime");
}
