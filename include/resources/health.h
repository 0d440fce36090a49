/*
 * health.h - `SetHandler pyfarm-jobs-health`: whether this httpd can
 * serve the API now, for load balancers and monitoring (README,
 * "Health").  Not under the API's URL: it answers wherever its handler is
 * set, whatever PyFarmJobsBase says.
 */
#ifndef PFJ_RESOURCES_HEALTH_H
#define PFJ_RESOURCES_HEALTH_H

#include <httpd.h>

/* GET or HEAD: a pooled connection runs the schema check; 200 {"status":
 * "ok"}, or 503 naming what is wrong (core/health.h).  Never cached
 * (Cache-Control: no-store).  Other methods: 405. */
int pfj_health(request_rec *r);

#endif
