/* SPDX-License-Identifier: MIT */
/* fault — names of supervisord's fault codes. */
#include "shared/fault.h"

const char *
fault_name(int code)
{
        switch (code) {
        case FAULT_OK: return "OK";
        case FAULT_UNKNOWN_METHOD: return "UNKNOWN_METHOD";
        case FAULT_INCORRECT_PARAMETERS: return "INCORRECT_PARAMETERS";
        case FAULT_BAD_ARGUMENTS: return "BAD_ARGUMENTS";
        case FAULT_SIGNATURE_UNSUPPORTED: return "SIGNATURE_UNSUPPORTED";
        case FAULT_SHUTDOWN_STATE: return "SHUTDOWN_STATE";
        case FAULT_BAD_NAME: return "BAD_NAME";
        case FAULT_BAD_SIGNAL: return "BAD_SIGNAL";
        case FAULT_NO_FILE: return "NO_FILE";
        case FAULT_NOT_EXECUTABLE: return "NOT_EXECUTABLE";
        case FAULT_FAILED: return "FAILED";
        case FAULT_ABNORMAL_TERMINATION: return "ABNORMAL_TERMINATION";
        case FAULT_SPAWN_ERROR: return "SPAWN_ERROR";
        case FAULT_ALREADY_STARTED: return "ALREADY_STARTED";
        case FAULT_NOT_RUNNING: return "NOT_RUNNING";
        case FAULT_SUCCESS: return "SUCCESS";
        case FAULT_ALREADY_ADDED: return "ALREADY_ADDED";
        case FAULT_STILL_RUNNING: return "STILL_RUNNING";
        case FAULT_CANT_REREAD: return "CANT_REREAD";
        }
        return "UNKNOWN";
}
