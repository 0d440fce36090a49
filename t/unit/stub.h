/* stub.h - httpd without a server, for the glue tests (check_glue.c).
 *
 * stub.c defines the few httpd functions the module calls (the linker's
 * list, nothing more), as mod_auth_openidc's test/stub.c does: requests
 * are built here, what the module passes down the output filters is kept
 * for the test to read, the hooks it registers are kept to be called, and
 * mod_dbd's optional functions can be faked. */
#ifndef PFJ_TEST_STUB_H
#define PFJ_TEST_STUB_H

#include <httpd.h>
#include <http_config.h>
#include <http_protocol.h>
#include <http_request.h>

/* A request as httpd hands it to the handler hook: method (with its
 * method_number; HEAD is M_GET with header_only), the URI as the client
 * sent it (r->uri is its decoded path), handler "pyfarm-jobs", an empty
 * per-directory configuration vector (see pfj_stub_set_dir_conf), and
 * body as the request body the input filters give (NULL: none). */
request_rec *pfj_stub_request(apr_pool_t *p, const char *method,
                              const char *unparsed_uri, const char *body);

/* Sets the module's per-directory configuration of r. */
void pfj_stub_set_dir_conf(request_rec *r, module *m, void *conf);

/* What reached ap_pass_brigade: the bytes of the data buckets, how many
 * EOS buckets, how many calls.  ap_get_brigade calls are counted too. */
const char *pfj_stub_output(request_rec *r);
int pfj_stub_eos_count(request_rec *r);
int pfj_stub_pass_count(request_rec *r);
int pfj_stub_read_count(request_rec *r);

/* The last message of ap_log_error / ap_log_rerror ("" when none). */
extern char pfj_stub_last_log[1024];

/* The hooks registered with ap_hook_*(), NULL until then. */
extern ap_HOOK_handler_t *pfj_stub_handler_hook;
extern ap_HOOK_check_config_t *pfj_stub_check_config_hook;
extern ap_HOOK_post_config_t *pfj_stub_post_config_hook;
extern ap_HOOK_pre_translate_name_t *pfj_stub_pre_translate_name_hook;
/* translate_name: the one registered REALLY_FIRST, and the one LAST. */
extern ap_HOOK_translate_name_t *pfj_stub_translate_name_hook;
extern ap_HOOK_translate_name_t *pfj_stub_translate_name_last_hook;
extern ap_HOOK_map_to_storage_t *pfj_stub_map_to_storage_hook;
extern ap_HOOK_log_transaction_t *pfj_stub_log_transaction_hook;
/* The predecessors and successors given with the post_config hook. */
extern const char *const *pfj_stub_post_config_succ;

/* Gives r a core configuration whose SetHandler is value (NULL: none),
 * in core's slot of r->per_dir_config: the stub's ap_expr_str_exec()
 * evaluates an expression to the text it was made from. */
void pfj_stub_set_handler_conf(request_rec *r, const char *value);

/* mod_dbd's ap_dbd_prepare, ap_dbd_acquire, ap_dbd_open and ap_dbd_close
 * as optional functions (present != 0) or absent.  The fake prepare counts
 * the statements it is given; the fake acquire and open count the
 * connections asked for and have none to give (NULL). */
void pfj_stub_mod_dbd(int present);
extern int pfj_stub_prepared;
extern int pfj_stub_acquired;

/* The ServerRoot ap_server_root_relative() resolves against. */
extern const char *pfj_stub_server_root;

#endif
