/*
 * logfile.c - task log files on disk (see logfile.h).
 *
 * Memory stays flat whatever the size of a log: a download is one file
 * bucket (sendfile when EnableSendfile is on, and httpd's byte-range filter
 * cuts Range requests out of it), a gzipped log is inflated piece by piece
 * into the output filters, and an upload goes from the input brigade to
 * the disk bucket by bucket.
 */
#include <unistd.h>
#include <zlib.h>

#include <apr_file_io.h>
#include <apr_strings.h>
#include <httpd.h>
#include <http_core.h>
#include <http_log.h>
#include <http_protocol.h>
#include <http_request.h>
#include <unixd.h>
#include <util_filter.h>

#include "resources/logfile.h"

APLOG_USE_MODULE(pyfarm_jobs);

#define NOTED_DIRS_KEY "pfj_logfile_dirs"
/* clang-format off */
#define DIR_PERMS (APR_FPROT_UREAD | APR_FPROT_UWRITE | APR_FPROT_UEXECUTE \
                   | APR_FPROT_GREAD | APR_FPROT_GEXECUTE                \
                   | APR_FPROT_WREAD | APR_FPROT_WEXECUTE)
#define FILE_PERMS (APR_FPROT_UREAD | APR_FPROT_UWRITE | APR_FPROT_GREAD \
                    | APR_FPROT_WREAD)
/* clang-format on */
/* Hidden, so that no acceptable identifier names one (log_identifier.h). */
#define TEMP_NAME "/.upload-XXXXXX"
#define READ_SIZE 65536
#define GZIP_BUF_SIZE 65536
#define GUNZIPPED_TYPE "text/csv; charset=utf-8"

/* ---- the directory ---- */

static apr_array_header_t *noted_dirs(apr_pool_t *pconf)
{
    void *dirs = NULL;

    apr_pool_userdata_get(&dirs, NOTED_DIRS_KEY, pconf);
    if (dirs == NULL) {
        dirs = apr_array_make(pconf, 2, sizeof(const char *));
        apr_pool_userdata_setn(dirs, NOTED_DIRS_KEY, NULL, pconf);
    }
    return dirs;
}

void pfj_logfile_note_dir(apr_pool_t *pconf, const char *dir)
{
    APR_ARRAY_PUSH(noted_dirs(pconf), const char *) = dir;
}

/* Creates dir when it is missing; as root, the children's User gets it. */
static void prepare_dir(apr_pool_t *p, server_rec *s, const char *dir)
{
    apr_finfo_t finfo;
    apr_status_t rv;

    if (apr_stat(&finfo, dir, APR_FINFO_TYPE, p) == APR_SUCCESS) {
        if (finfo.filetype != APR_DIR) {
            ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
                         "PyFarmJobsLogDir %s "
                         "is not a directory: task log uploads will fail",
                         dir);
        }
        return;
    }
    rv = apr_dir_make_recursive(dir, DIR_PERMS, p);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s,
                     "PyFarmJobsLogDir %s "
                     "cannot be created: task log uploads will fail until "
                     "it exists and the user httpd runs as can write there",
                     dir);
        return;
    }
    if (geteuid() == 0
        && chown(dir, ap_unixd_config.user_id, ap_unixd_config.group_id)
               != 0) {
        ap_log_error(APLOG_MARK, APLOG_ERR, errno, s,
                     "PyFarmJobsLogDir %s: "
                     "cannot give it to the user httpd runs as",
                     dir);
        return;
    }
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s,
                 "created the task log "
                 "directory %s",
                 dir);
}

void pfj_logfile_prepare_dirs(apr_pool_t *pconf, apr_pool_t *ptemp,
                              server_rec *s)
{
    apr_array_header_t *dirs = noted_dirs(pconf);
    int i;

    if (dirs->nelts == 0) {
        prepare_dir(ptemp, s, PFJ_DEFAULT_LOG_DIR);
    }
    for (i = 0; i < dirs->nelts; i++) {
        prepare_dir(ptemp, s, APR_ARRAY_IDX(dirs, i, const char *));
    }
}

/* ---- downloads ---- */

/* The regular file at path, open for reading, with its size and mtime;
 * NULL when there is none (anything but a missing file is logged). */
static apr_file_t *open_regular(request_rec *r, const char *path,
                                apr_finfo_t *finfo)
{
    apr_file_t *fd;
    apr_status_t rv;

    rv = apr_file_open(&fd, path,
                       APR_FOPEN_READ | APR_FOPEN_BINARY
                           | APR_FOPEN_SENDFILE_ENABLED,
                       APR_FPROT_OS_DEFAULT, r->pool);
    if (rv != APR_SUCCESS) {
        if (!APR_STATUS_IS_ENOENT(rv) && !APR_STATUS_IS_ENAMETOOLONG(rv)) {
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, rv, r,
                          "cannot read the task log %s", path);
        }
        return NULL;
    }
    rv = apr_file_info_get(finfo,
                           APR_FINFO_TYPE | APR_FINFO_SIZE | APR_FINFO_MTIME,
                           fd);
    if (rv != APR_SUCCESS || finfo->filetype != APR_REG) {
        apr_file_close(fd);
        return NULL;
    }
    return fd;
}

/* Status and headers of a download (the reference as run: no-cache). */
static void start_download(request_rec *r, const char *content_type,
                           const apr_finfo_t *finfo)
{
    r->status = HTTP_OK;
    ap_set_content_type(r, content_type);
    ap_update_mtime(r, finfo->mtime);
    ap_set_last_modified(r);
    apr_table_setn(r->headers_out, "Cache-Control", "no-cache");
}

int pfj_logfile_send(pfj_req *q, const char *path, const char *content_type)
{
    request_rec *r = q->r;
    apr_finfo_t finfo;
    apr_file_t *fd = open_regular(r, path, &finfo);
    apr_bucket_brigade *bb;

    if (fd == NULL) {
        return DECLINED;
    }
    start_download(r, content_type, &finfo);
    ap_set_content_length(r, finfo.size);
    ap_set_accept_ranges(r); /* the byte-range filter serves them */
    bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    if (finfo.size > 0) {
        apr_brigade_insert_file(bb, fd, 0, finfo.size, r->pool);
    }
    return pfj_send_brigade(q, bb);
}

/* One gzip file being inflated into the response. */
typedef struct gunzip {
    request_rec *r;
    const char *path;
    apr_file_t *fd;
    z_stream zs;
    int in_member; /* inside a gzip member (not at its end) */
    unsigned char *in;
    unsigned char *out;
} gunzip;

static apr_status_t end_inflate(void *data)
{
    inflateEnd(&((gunzip *)data)->zs);
    return APR_SUCCESS;
}

/* Inflates what zs holds as input into bb, until it needs more; a new
 * member may follow the end of one (Python's gzip reads concatenated
 * members).  0, or -1 on corrupt data or a failed write. */
static int inflate_input(gunzip *g, apr_bucket_brigade *bb)
{
    int zrc;

    for (;;) {
        g->zs.next_out = g->out;
        g->zs.avail_out = GZIP_BUF_SIZE;
        zrc = inflate(&g->zs, Z_NO_FLUSH);
        if (zrc == Z_BUF_ERROR) {
            return 0; /* no progress without more input */
        }
        if (zrc != Z_OK && zrc != Z_STREAM_END) {
            return -1;
        }
        g->in_member = zrc != Z_STREAM_END;
        if ((zrc == Z_STREAM_END && inflateReset(&g->zs) != Z_OK)
            || apr_brigade_write(bb, ap_filter_flush, g->r->output_filters,
                                 (const char *)g->out,
                                 GZIP_BUF_SIZE - g->zs.avail_out)
                   != APR_SUCCESS) {
            return -1;
        }
        if (g->zs.avail_in == 0 && g->zs.avail_out != 0) {
            return 0;
        }
    }
}

/* The whole file through inflate_input; 0, or -1 when the file cannot be
 * read, is corrupt or ends inside a member. */
static int inflate_file(gunzip *g, apr_bucket_brigade *bb)
{
    apr_size_t n;
    apr_status_t rv;

    for (;;) {
        n = GZIP_BUF_SIZE;
        rv = apr_file_read(g->fd, g->in, &n);
        if (APR_STATUS_IS_EOF(rv)) {
            return g->in_member ? -1 : 0;
        }
        if (rv != APR_SUCCESS) {
            return -1;
        }
        g->zs.next_in = g->in;
        g->zs.avail_in = (uInt)n;
        if (inflate_input(g, bb) != 0) {
            return -1;
        }
    }
}

/* Ends a response whose body cannot be completed: httpd then closes the
 * connection without the last chunk, so the client sees it cut short
 * (what mod_proxy does with a broken backend). */
static int cut_short(gunzip *g, apr_bucket_brigade *bb)
{
    request_rec *r = g->r;

    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                  "task log %s cannot be "
                  "decompressed: %s",
                  g->path,
                  g->zs.msg ? g->zs.msg : "read error or truncated file");
    APR_BRIGADE_INSERT_TAIL(bb,
                            ap_bucket_error_create(HTTP_BAD_GATEWAY, NULL,
                                                   r->pool, bb->bucket_alloc));
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(bb->bucket_alloc));
    ap_pass_brigade(r->output_filters, bb);
    return AP_FILTER_ERROR;
}

int pfj_logfile_send_gunzipped(pfj_req *q, const char *path)
{
    request_rec *r = q->r;
    gunzip *g = apr_pcalloc(r->pool, sizeof(*g));
    apr_finfo_t finfo;
    apr_bucket_brigade *bb;

    g->r = r;
    g->path = path;
    if ((g->fd = open_regular(r, path, &finfo)) == NULL) {
        return DECLINED;
    }
    if (inflateInit2(&g->zs, 16 + MAX_WBITS) != Z_OK) {
        return pfj_send_unhandled(q);
    }
    apr_pool_cleanup_register(r->pool, g, end_inflate, apr_pool_cleanup_null);
    g->in = apr_palloc(r->pool, GZIP_BUF_SIZE);
    g->out = apr_palloc(r->pool, GZIP_BUF_SIZE);
    start_download(r, GUNZIPPED_TYPE, &finfo);
    bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    if (!r->header_only && inflate_file(g, bb) != 0) {
        return cut_short(g, bb);
    }
    return pfj_send_brigade(q, bb);
}

/* ---- uploads ---- */

typedef struct upload {
    request_rec *r;
    const char *path; /* where the log goes */
    char *temp;       /* where it is written meanwhile */
    apr_file_t *fd;
    apr_off_t size; /* bytes written so far */
    apr_off_t max;
    apr_status_t error; /* the disk's complaint, for the 500 */
    int placed;         /* temp renamed to path */
} upload;

/* Request pool cleanup: whatever went wrong, no partial file stays. */
static apr_status_t remove_temp(void *data)
{
    upload *u = data;

    if (!u->placed) {
        apr_file_remove(u->temp, u->r->pool);
    }
    return APR_SUCCESS;
}

/* 0, or 500 with u->error set. */
static int open_temp(upload *u, const char *dir)
{
    u->temp = apr_pstrcat(u->r->pool, dir, TEMP_NAME, NULL);
    u->error = apr_file_mktemp(&u->fd, u->temp,
                               APR_FOPEN_CREATE | APR_FOPEN_READ
                                   | APR_FOPEN_WRITE | APR_FOPEN_EXCL
                                   | APR_FOPEN_BINARY,
                               u->r->pool);
    if (u->error != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, u->error, u->r,
                      "PyFarmJobsLogDir %s: cannot create a file there; it "
                      "must exist and be writable by the user httpd runs "
                      "as",
                      dir);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    apr_pool_cleanup_register(u->r->pool, u, remove_temp,
                              apr_pool_cleanup_null);
    return 0;
}

/* Appends bytes to the temporary file: 0, 413 beyond the cap, or 500. */
static int append(upload *u, const char *data, apr_size_t len)
{
    if ((u->size += len) > u->max) {
        return HTTP_REQUEST_ENTITY_TOO_LARGE;
    }
    u->error = apr_file_write_full(u->fd, data, len, NULL);
    return u->error == APR_SUCCESS ? 0 : HTTP_INTERNAL_SERVER_ERROR;
}

/* Appends the data buckets of bb; *eos is set at its end. */
static int append_brigade(upload *u, apr_bucket_brigade *bb, int *eos)
{
    apr_bucket *b;
    const char *data;
    apr_size_t len;
    apr_status_t rv;
    int rc;

    for (b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb);
         b = APR_BUCKET_NEXT(b)) {
        if (APR_BUCKET_IS_EOS(b)) {
            *eos = 1;
            return 0;
        }
        if (APR_BUCKET_IS_METADATA(b)) {
            continue;
        }
        if ((rv = apr_bucket_read(b, &data, &len, APR_BLOCK_READ))
            != APR_SUCCESS) {
            return ap_map_http_request_error(rv, HTTP_BAD_REQUEST);
        }
        if ((rc = append(u, data, len)) != 0) {
            return rc;
        }
    }
    return 0;
}

/* The request body, brigade by brigade, into the temporary file. */
static int append_request_body(upload *u)
{
    request_rec *r = u->r;
    apr_bucket_brigade *bb = apr_brigade_create(r->pool,
                                                r->connection->bucket_alloc);
    apr_status_t rv;
    int eos = 0, rc = 0;

    while (rc == 0 && !eos) {
        rv = ap_get_brigade(r->input_filters, bb, AP_MODE_READBYTES,
                            APR_BLOCK_READ, READ_SIZE);
        if (rv != APR_SUCCESS) {
            ap_log_rerror(APLOG_MARK, APLOG_INFO, rv, r,
                          "upload of %s "
                          "broken off after %" APR_OFF_T_FMT " bytes",
                          u->path, u->size);
            return ap_map_http_request_error(rv, HTTP_BAD_REQUEST);
        }
        rc = append_brigade(u, bb, &eos);
        apr_brigade_cleanup(bb);
    }
    return rc;
}

/* The bytes as sent: those of a JSON body, which was read before
 * routing, else the raw body - of a form type too (the reference's form
 * parser consumes those and it writes an empty file). */
static int write_body(upload *u, pfj_req *q)
{
    if (q->has_json) {
        return append(u, q->json_text, q->json_len);
    }
    return append_request_body(u);
}

/* Closes the temporary file and renames it into place; 0 or 500. */
static int place(upload *u)
{
    if ((u->error = apr_file_close(u->fd)) != APR_SUCCESS
        || (u->error = apr_file_perms_set(u->temp, FILE_PERMS)) != APR_SUCCESS
        || (u->error = apr_file_rename(u->temp, u->path, u->r->pool))
               != APR_SUCCESS) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    u->placed = 1;
    return 0;
}

static int send_write_error(pfj_req *q, upload *u)
{
    char reason[120];

    apr_strerror(u->error, reason, sizeof(reason));
    ap_log_rerror(APLOG_MARK, APLOG_ERR, u->error, q->r,
                  "cannot store the "
                  "task log %s",
                  u->path);
    return pfj_send_errorf(q, HTTP_INTERNAL_SERVER_ERROR,
                           "Could not write "
                           "file %s to disk: %s",
                           u->path, reason);
}

/* PyFarmJobsMaxLogSize, or httpd's LimitRequestBody when lower. */
static apr_off_t upload_limit(pfj_req *q)
{
    apr_off_t max = pfj_conf_max_log_size(q->conf);
    apr_off_t httpd_max = ap_get_limit_req_body(q->r);

    return (httpd_max > 0 && httpd_max < max) ? httpd_max : max;
}

int pfj_logfile_receive(pfj_req *q, const char *dir, const char *path)
{
    upload *u = apr_pcalloc(q->r->pool, sizeof(*u));
    int rc;

    u->r = q->r;
    u->path = path;
    u->max = upload_limit(q);
    if (pfj_req_declares_more_than(q, u->max)) {
        return pfj_send_body_failure(q, HTTP_REQUEST_ENTITY_TOO_LARGE, u->max);
    }
    if ((rc = open_temp(u, dir)) == 0 && (rc = write_body(u, q)) == 0) {
        rc = place(u);
    }
    if (rc != 0 && u->fd != NULL) {
        /* now, not when the request ends: the answer may come first */
        apr_pool_cleanup_run(q->r->pool, u, remove_temp);
    }
    if (rc == HTTP_INTERNAL_SERVER_ERROR) {
        return send_write_error(q, u);
    }
    if (rc != 0) {
        return pfj_send_body_failure(q, rc, u->max);
    }
    return pfj_send_empty_html(q, HTTP_CREATED);
}
