/*
 * logfile.h - task log files on disk (doc/api.md §11.5, §11.6): the log
 * directory, made at startup; downloads served by httpd's own file
 * machinery; uploads streamed to a temporary file and renamed into place.
 * Nothing here looks at the database or at names: the caller has checked
 * the identifier (log_identifier.h) and built the paths.
 */
#ifndef PFJ_RESOURCES_LOGFILE_H
#define PFJ_RESOURCES_LOGFILE_H

#include "http/request.h"

/* Directive time: a PyFarmJobsLogDir to prepare at startup (pconf is the
 * pool of the configuration being read). */
void pfj_logfile_note_dir(apr_pool_t *pconf, const char *dir);

/* post_config, still as root: creates each noted directory that does not
 * exist yet (the default one when the configuration names none) and gives
 * it to httpd's User, who writes the uploads.  Failures are logged. */
void pfj_logfile_prepare_dirs(apr_pool_t *pconf, apr_pool_t *ptemp,
                              server_rec *s);

/* §11.5: answers 200 with the file at path (a regular file that can be
 * read; Range requests work), with this content type.  Returns DECLINED,
 * having sent nothing, when there is no such file. */
int pfj_logfile_send(pfj_req *q, const char *path, const char *content_type);

/* §11.5: answers 200 with the decompressed content of the gzip file at
 * path, as text/csv; DECLINED, having sent nothing, when there is none. */
int pfj_logfile_send_gunzipped(pfj_req *q, const char *path);

/* §11.6: stores the request body (at most PyFarmJobsMaxLogSize bytes) as
 * the file path, by way of a temporary file in dir that is renamed into
 * place once complete, and answers: 201 (empty), 413, 500 "Could not write
 * file <path> to disk: <reason>", or what a broken upload gets.  A failed
 * upload leaves neither a partial file nor an old file changed. */
int pfj_logfile_receive(pfj_req *q, const char *dir, const char *path);

#endif
