/* SPDX-License-Identifier: MIT */
/* api_json — corral's small read-only JSON API served beside /RPC2 (GET /corral/v1/status): the
 * daemon's state and every process as getAllProcessInfo reports it, in one compact table that a
 * client decodes in a fraction of the time the XML-RPC reply takes. Not part of supervisord.
 * Built and encoded with jansson. */
#ifndef CORRAL_API_JSON_H
#define CORRAL_API_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "shared/xmlrpc.h"

#define API_JSON_STATUS_PATH "/corral/v1/status"

/* api_json_status - the body of GET /corral/v1/status at wall time now, one line of compact JSON:
 *   {"supervisor":{"pid","state","statecode","version","api_version"},
 *    "fields":["name","group","namespec","state","statename","pid","start","stop","now",
 *              "exitstatus","spawnerr","description","stdout_logfile","stderr_logfile"],
 *    "processes":[[row],…]}
 * one row (an array in the order of "fields") per process, in getAllProcessInfo's order
 * (sup_procs_by_name) with its values. Rows are arrays, not objects, so that a client builds no
 * hash table per process. Answered in every daemon state (a client that needs RUNNING checks
 * "state"). Appends to *b (caller frees). */
void api_json_status(struct xr_buf *b, double now);

/* api_json_string - a new jansson string holding s[0..len) (NULs allowed), with every byte that
 * is not part of well-formed UTF-8 replaced by U+FFFD: jansson refuses invalid UTF-8, and spawn
 * errors may quote arbitrary bytes. Never NULL (allocation failure aborts). Caller owns the
 * reference. */
json_t *api_json_string(const char *s, size_t len);

#endif
