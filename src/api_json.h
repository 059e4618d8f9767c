/* SPDX-License-Identifier: MIT */
/* api_json — corral's small read-only JSON API served beside /RPC2 (GET /corral/v1/status): the
 * daemon's state and every process as getAllProcessInfo reports it, in one compact document that
 * a client decodes in a fraction of the time the XML-RPC reply takes. Not part of supervisord. */
#ifndef CORRAL_API_JSON_H
#define CORRAL_API_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "xmlrpc.h"

#define API_JSON_STATUS_PATH "/corral/v1/status"

/* api_json_status - the body of GET /corral/v1/status at wall time now:
 *   {"supervisor":{"pid","state","statecode","version","api_version"},
 *    "processes":[{"name","group","namespec","state","statename","pid","start","stop","now",
 *                  "exitstatus","spawnerr","description","stdout_logfile","stderr_logfile"},…]}
 * Processes in getAllProcessInfo's order (sup_procs_by_name) with its values. Answered in every
 * daemon state (a client that needs RUNNING checks "state"). Appends to *b (caller frees). */
void api_json_status(struct xr_buf *b, double now);

/* api_json_put_string - append s[0..len) as a JSON string literal: '"', '\\' and control
 * characters escaped, bytes that are not well-formed UTF-8 replaced by U+FFFD, so the output is
 * always valid JSON whatever the input (spawn errors may quote arbitrary bytes). */
void api_json_put_string(struct xr_buf *b, const char *s, size_t len);

#endif
