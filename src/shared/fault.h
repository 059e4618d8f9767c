/* SPDX-License-Identifier: MIT */
/* fault — supervisord's fault codes (compat E.2). Runtime operations (proc_*, sup_*) return these
 * directly, so the RPC layer never re-interprets errors. FAULT_OK is success. */
#ifndef CORRAL_FAULT_H
#define CORRAL_FAULT_H

enum fault {
        FAULT_OK = 0,
        FAULT_UNKNOWN_METHOD = 1,
        FAULT_INCORRECT_PARAMETERS = 2,
        FAULT_BAD_ARGUMENTS = 3,
        FAULT_SIGNATURE_UNSUPPORTED = 4,
        FAULT_SHUTDOWN_STATE = 6,
        FAULT_BAD_NAME = 10,
        FAULT_BAD_SIGNAL = 11,
        FAULT_NO_FILE = 20,
        FAULT_NOT_EXECUTABLE = 21,
        FAULT_FAILED = 30,
        FAULT_ABNORMAL_TERMINATION = 40,
        FAULT_SPAWN_ERROR = 50,
        FAULT_ALREADY_STARTED = 60,
        FAULT_NOT_RUNNING = 70,
        FAULT_SUCCESS = 80,
        FAULT_ALREADY_ADDED = 90,
        FAULT_STILL_RUNNING = 91,
        FAULT_CANT_REREAD = 92,
};

/* "BAD_NAME" etc.; "UNKNOWN" for a code not in the table. */
const char *fault_name(int code);

#endif
