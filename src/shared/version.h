/* SPDX-License-Identifier: MIT */
/* version — the versions corral answers with: supervisord's (getSupervisorVersion, getVersion,
 * corrald --version) and the XML-RPC API's (getAPIVersion, what supervisorctl checks for). corral
 * has no version number of its own yet: it answers as the supervisord it is compatible with. */
#ifndef CORRAL_VERSION_H
#define CORRAL_VERSION_H

#define VERSION_SUPERVISOR      "4.2.5"
#define VERSION_API             "3.0"

#endif
