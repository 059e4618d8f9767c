/* SPDX-License-Identifier: MIT */
/* check_fsm — every (state, event) cell of the process state machine against an expected table
 * written here independently (as text, in supervisord's terms), plus the classifiers. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fsm.h"
#include "unit.h"

/* Column order of the expected table. */
static const enum proc_event cols[] = {
        PE_START, PE_STOP, PE_SIGNAL, PE_SPAWNED, PE_SPAWN_FAILED, PE_STARTSECS_ELAPSED,
        PE_EXIT_EARLY, PE_EXIT_EXPECTED, PE_EXIT_UNEXPECTED, PE_BACKOFF_ELAPSED,
        PE_RESTART_DELAYED, PE_RETRIES_EXHAUSTED, PE_STOP_TIMEOUT, PE_KILL_FAILED,
};
#define NCOLS (sizeof cols / sizeof cols[0])

/* Cell notation:
 *   "-"              can't happen (ignored, logged)
 *   "!FAULTNAME"     command rejected with that fault
 *   "NEXT[:A+B…]"    accepted; NEXT is a state name or "=" (unchanged); A… action names */
static const char *const expected[PROC__COUNT][NCOLS] = {
        /*                  START                        STOP                               SIGNAL          SPAWNED       SPAWN_FAILED                          STARTSECS                EARLY                                                     EXPECTED                                                  UNEXPECTED                                                BACKOFF_EL        RESTART_DELAYED                 RETRIES_EX                       STOP_TIMEOUT      KILL_FAILED */
        [PROC_STOPPED] = {  "STARTING:SPAWN+FIRSTDELAY", "!NOT_RUNNING",                    "!NOT_RUNNING", "-",          "-",                                  "-",                     "-",                                                      "-",                                                      "-",                                                      "-",              "-",                            "-",                             "-",              "-" },
        [PROC_STARTING] = { "!ALREADY_STARTED",          "STOPPING:STOP+ARMSTOP",           "=:SIGUSER",    "=:ARMSTART", "BACKOFF:RETRY+NEXTDELAY+ARMBACKOFF", "RUNNING:RESET+SUCCESS", "BACKOFF:QUICK+RETRY+NEXTDELAY+ARMBACKOFF",               "EXITED:EXITED+RESET",                                    "EXITED:EXITED+RESET",                                    "-",              "-",                            "-",                             "-",              "UNKNOWN:UNKILL" },
        [PROC_RUNNING] = {  "!ALREADY_STARTED",          "STOPPING:STOP+ARMSTOP",           "=:SIGUSER",    "-",          "-",                                  "-",                     "EXITED:EXITED+RESET",                                    "EXITED:EXITED+RESET",                                    "EXITED:EXITED+RESET",                                    "-",              "-",                            "-",                             "-",              "UNKNOWN:UNKILL" },
        [PROC_BACKOFF] = {  "!ALREADY_STARTED",          "STOPPED:RESET+FIRSTDELAY+UNSTOP", "!NOT_RUNNING", "-",          "-",                                  "-",                     "-",                                                      "-",                                                      "-",                                                      "STARTING:SPAWN", "-",                            "FATAL:RESET+FIRSTDELAY+GAVEUP", "-",              "-" },
        [PROC_STOPPING] = { "!ABNORMAL_TERMINATION",     "!NOT_RUNNING",                    "=:SIGUSER",    "-",          "-",                                  "-",                     "STOPPED:STOPPEDEXIT+UNSTOP+UNKILL+LEFTOVERS+FIRSTDELAY", "STOPPED:STOPPEDEXIT+UNSTOP+UNKILL+LEFTOVERS+FIRSTDELAY", "STOPPED:STOPPEDEXIT+UNSTOP+UNKILL+LEFTOVERS+FIRSTDELAY", "-",              "-",                            "-",                             "=:KILL+ARMSTOP", "UNKNOWN:UNKILL" },
        [PROC_EXITED] = {   "STARTING:SPAWN+FIRSTDELAY", "!NOT_RUNNING",                    "!NOT_RUNNING", "-",          "-",                                  "-",                     "-",                                                      "-",                                                      "-",                                                      "-",              "BACKOFF:NEXTDELAY+ARMBACKOFF", "-",                             "-",              "-" },
        [PROC_FATAL] = {    "STARTING:SPAWN+FIRSTDELAY", "!NOT_RUNNING",                    "!NOT_RUNNING", "-",          "-",                                  "-",                     "-",                                                      "-",                                                      "-",                                                      "-",              "-",                            "-",                             "-",              "-" },
        [PROC_UNKNOWN] = {  "!FAILED",                   "!NOT_RUNNING",                    "!NOT_RUNNING", "-",          "-",                                  "-",                     "EXITED:EXITED",                                          "EXITED:EXITED",                                          "EXITED:EXITED",                                          "-",              "-",                            "-",                             "-",              "-" },
};

static const struct { const char *name; unsigned bit; } actnames[] = {
        { "SPAWN", ACT_SPAWN },
        { "STOP", ACT_SIGNAL_STOP },
        { "KILL", ACT_SIGNAL_KILL },
        { "SIGUSER", ACT_SIGNAL_USER },
        { "LEFTOVERS", ACT_KILL_LEFTOVERS },
        { "RETRY", ACT_COUNT_RETRY },
        { "RESET", ACT_RESET_BACKOFF },
        { "ARMSTART", ACT_ARM_STARTSECS },
        { "ARMBACKOFF", ACT_ARM_BACKOFF },
        { "ARMSTOP", ACT_ARM_STOPWAIT },
        { "STOPPEDEXIT", ACT_EXIT_STOPPED },
        { "QUICK", ACT_EXIT_QUICK },
        { "EXITED", ACT_EXIT_EXITED },
        { "UNSTOP", ACT_CLEAR_STOP },
        { "UNKILL", ACT_CLEAR_KILLING },
        { "SUCCESS", ACT_LOG_SUCCESS },
        { "GAVEUP", ACT_LOG_GAVE_UP },
        { "NEXTDELAY", ACT_NEXT_DELAY },
        { "FIRSTDELAY", ACT_RESET_DELAY },
};

static const struct { const char *name; int code; } faultnames[] = {
        { "NOT_RUNNING", 70 }, { "ALREADY_STARTED", 60 }, { "FAILED", 30 },
        { "ABNORMAL_TERMINATION", 40 },
};

static int
state_by_name(const char *s, size_t n)
{
        static const char *const names[] = { "STOPPED", "STARTING", "RUNNING", "BACKOFF", "STOPPING",
                                             "EXITED", "FATAL", "UNKNOWN" };
        for (int i = 0; i < 8; i++)
                if (strlen(names[i]) == n && !strncmp(names[i], s, n))
                        return i;
        return -1;
}

/* Parse one expected cell into (next, fault, actions); next = PROC_SAME for "=". */
static void
parse_cell(const char *txt, unsigned *next, unsigned *fault, unsigned *acts, bool *never)
{
        *next = PROC_SAME;
        *fault = 0;
        *acts = 0;
        *never = false;
        if (!strcmp(txt, "-")) {
                *never = true;
                return;
        }
        if (txt[0] == '!') {
                for (size_t i = 0; i < sizeof faultnames / sizeof faultnames[0]; i++)
                        if (!strcmp(txt + 1, faultnames[i].name))
                                *fault = (unsigned)faultnames[i].code;
                ck_assert_msg(*fault, "bad fault in expected table: %s", txt);
                return;
        }
        const char *colon = strchr(txt, ':');
        size_t n = colon ? (size_t)(colon - txt) : strlen(txt);
        if (!(n == 1 && txt[0] == '=')) {
                int s = state_by_name(txt, n);
                ck_assert_msg(s >= 0, "bad state in expected table: %s", txt);
                *next = (unsigned)s;
        }
        while (colon) {
                const char *a = colon + 1;
                colon = strchr(a, '+');
                size_t len = colon ? (size_t)(colon - a) : strlen(a);
                bool found = false;
                for (size_t i = 0; i < sizeof actnames / sizeof actnames[0]; i++)
                        if (strlen(actnames[i].name) == len && !strncmp(actnames[i].name, a, len)) {
                                *acts |= actnames[i].bit;
                                found = true;
                        }
                ck_assert_msg(found, "bad action in expected table: %s", txt);
        }
}

START_TEST(test_every_cell)
{
        /* the columns cover every event */
        ck_assert_uint_eq(NCOLS, PE__COUNT);
        for (int s = 0; s < PROC__COUNT; s++)
                for (size_t e = 0; e < NCOLS; e++) {
                        unsigned next, fault, acts;
                        bool never;
                        const char *txt = expected[s][e];
                        ck_assert_ptr_nonnull(txt);
                        parse_cell(txt, &next, &fault, &acts, &never);
                        struct fsm_cell c = fsm_step((enum proc_state)s, cols[e]);
                        const char *where = fsm_event_name(cols[e]);
                        if (never) {
                                ck_assert_msg(c.actions == ACT_CANT_HAPPEN && c.fault == 0 && c.next == PROC_SAME,
                                              "%s × %s: expected can't-happen", proc_state_name((enum proc_state)s), where);
                                continue;
                        }
                        ck_assert_msg(!(c.actions & ACT_CANT_HAPPEN), "%s × %s: unexpected can't-happen",
                                      proc_state_name((enum proc_state)s), where);
                        ck_assert_msg(c.fault == fault, "%s × %s: fault %u, expected %u",
                                      proc_state_name((enum proc_state)s), where, c.fault, fault);
                        if (fault) {
                                ck_assert_msg(c.next == PROC_SAME && c.actions == 0, "%s × %s: a rejection changes nothing",
                                              proc_state_name((enum proc_state)s), where);
                                continue;
                        }
                        /* an explicit "=" and the same state by name mean the same */
                        unsigned got = c.next == (unsigned)s ? PROC_SAME : c.next;
                        ck_assert_msg(got == next, "%s × %s: next %u, expected %u",
                                      proc_state_name((enum proc_state)s), where, c.next, next);
                        ck_assert_msg(c.actions == acts, "%s × %s: actions 0x%x, expected 0x%x",
                                      proc_state_name((enum proc_state)s), where, c.actions, acts);
                }
}
END_TEST

START_TEST(test_out_of_range)
{
        struct fsm_cell c = fsm_step(PROC__COUNT, PE_START);
        ck_assert_uint_eq(c.actions, ACT_CANT_HAPPEN);
        c = fsm_step(PROC_STOPPED, PE__COUNT);
        ck_assert_uint_eq(c.actions, ACT_CANT_HAPPEN);
        c = fsm_step(PROC_STOPPED, PE_NONE);
        ck_assert_uint_eq(c.actions, ACT_CANT_HAPPEN);
        ck_assert_str_eq(fsm_event_name(PE_NONE), "PE_NONE");
        ck_assert_str_eq(fsm_event_name(PE_STOP_TIMEOUT), "PE_STOP_TIMEOUT");
}
END_TEST

START_TEST(test_states)
{
        static const int codes[] = { 0, 10, 20, 30, 40, 100, 200, 1000 };
        static const char *const names[] = { "STOPPED", "STARTING", "RUNNING", "BACKOFF", "STOPPING",
                                             "EXITED", "FATAL", "UNKNOWN" };
        for (int s = 0; s < PROC__COUNT; s++) {
                ck_assert_int_eq(proc_state_code((enum proc_state)s), codes[s]);
                ck_assert_str_eq(proc_state_name((enum proc_state)s), names[s]);
        }
        ck_assert(proc_state_is_stopped(PROC_EXITED) && proc_state_is_stopped(PROC_UNKNOWN));
        ck_assert(!proc_state_is_stopped(PROC_STOPPING));
        ck_assert(proc_state_is_running(PROC_BACKOFF) && !proc_state_is_running(PROC_STOPPING));
        ck_assert(proc_state_is_signallable(PROC_STOPPING) && !proc_state_is_signallable(PROC_BACKOFF));
}
END_TEST

START_TEST(test_classify_exit)
{
        /* uptime < startsecs is early whatever the status */
        ck_assert_int_eq(fsm_classify_exit(0.5, 1, true), PE_EXIT_EARLY);
        ck_assert_int_eq(fsm_classify_exit(0.999, 1, false), PE_EXIT_EARLY);
        /* exactly startsecs is not too quick (supervisord: now - laststart < startsecs) */
        ck_assert_int_eq(fsm_classify_exit(1.0, 1, true), PE_EXIT_EXPECTED);
        ck_assert_int_eq(fsm_classify_exit(5.0, 1, false), PE_EXIT_UNEXPECTED);
        /* startsecs=0: never early */
        ck_assert_int_eq(fsm_classify_exit(0.0, 0, false), PE_EXIT_UNEXPECTED);
        ck_assert_int_eq(fsm_classify_exit(0.0, 0, true), PE_EXIT_EXPECTED);
}
END_TEST

START_TEST(test_classify_backoff)
{
        /* startretries=3: 4 failed starts in all; the 4th failure gives up */
        ck_assert_int_eq(fsm_classify_backoff(1, 3), PE_NONE);
        ck_assert_int_eq(fsm_classify_backoff(3, 3), PE_NONE);
        ck_assert_int_eq(fsm_classify_backoff(4, 3), PE_RETRIES_EXHAUSTED);
        ck_assert_int_eq(fsm_classify_backoff(1, 0), PE_RETRIES_EXHAUSTED);
        /* startretries=infinite never gives up */
        ck_assert_int_eq(fsm_classify_backoff(1000000, CFG_STARTRETRIES_INFINITE), PE_NONE);
        ck_assert_int_eq(fsm_classify_backoff(CFG_STARTRETRIES_INFINITE, CFG_STARTRETRIES_INFINITE), PE_NONE);
}
END_TEST

START_TEST(test_classify_restart)
{
        /* no automatic restart stays none */
        ck_assert_int_eq(fsm_classify_restart(PE_NONE, false, 0, 60), PE_NONE);
        /* a crash sooner than backoff_reset after RUNNING waits the next delay */
        ck_assert_int_eq(fsm_classify_restart(PE_START, false, 2, 60), PE_RESTART_DELAYED);
        ck_assert_int_eq(fsm_classify_restart(PE_START, false, 59.99, 60), PE_RESTART_DELAYED);
        /* up at least backoff_reset: at once, from the first delay */
        ck_assert_int_eq(fsm_classify_restart(PE_START, false, 60, 60), PE_START);
        ck_assert_int_eq(fsm_classify_restart(PE_START, false, 3600, 60), PE_START);
        /* an expected exit (autorestart=true) is no crash: at once */
        ck_assert_int_eq(fsm_classify_restart(PE_START, true, 0, 60), PE_START);
        /* backoff_reset=0 (linear's default): supervisord's immediate restart */
        ck_assert_int_eq(fsm_classify_restart(PE_START, false, 0, 0), PE_START);
}
END_TEST

START_TEST(test_classify_autorestart)
{
        ck_assert_int_eq(fsm_classify_autorestart(CFG_AUTORESTART_ALWAYS, true, true), PE_START);
        ck_assert_int_eq(fsm_classify_autorestart(CFG_AUTORESTART_ALWAYS, false, true), PE_START);
        ck_assert_int_eq(fsm_classify_autorestart(CFG_AUTORESTART_UNEXPECTED, false, true), PE_START);
        ck_assert_int_eq(fsm_classify_autorestart(CFG_AUTORESTART_UNEXPECTED, true, true), PE_NONE);
        ck_assert_int_eq(fsm_classify_autorestart(CFG_AUTORESTART_NEVER, false, true), PE_NONE);
        ck_assert_int_eq(fsm_classify_autorestart(CFG_AUTORESTART_NEVER, true, true), PE_NONE);
        /* suppressed while shutting down / reloading */
        ck_assert_int_eq(fsm_classify_autorestart(CFG_AUTORESTART_ALWAYS, false, false), PE_NONE);
        ck_assert_int_eq(fsm_classify_autorestart(CFG_AUTORESTART_UNEXPECTED, false, false), PE_NONE);
}
END_TEST

START_TEST(test_classify_timer_kill)
{
        ck_assert_int_eq(fsm_classify_timer(PROC_STARTING), PE_STARTSECS_ELAPSED);
        ck_assert_int_eq(fsm_classify_timer(PROC_BACKOFF), PE_BACKOFF_ELAPSED);
        ck_assert_int_eq(fsm_classify_timer(PROC_STOPPING), PE_STOP_TIMEOUT);
        ck_assert_int_eq(fsm_classify_timer(PROC_RUNNING), PE_NONE);
        ck_assert_int_eq(fsm_classify_timer(PROC_STOPPED), PE_NONE);
        ck_assert_int_eq(fsm_classify_timer(PROC_FATAL), PE_NONE);
        ck_assert_int_eq(fsm_classify_timer(PROC_EXITED), PE_NONE);
        ck_assert_int_eq(fsm_classify_kill(0), PE_NONE);
        ck_assert_int_eq(fsm_classify_kill(-ESRCH), PE_NONE);
        ck_assert_int_eq(fsm_classify_kill(-EPERM), PE_KILL_FAILED);
}
END_TEST

Suite *
unit_suite(void)
{
        Suite *s = suite_create("fsm");
        TCase *tc = tcase_create("table");
        tcase_add_test(tc, test_every_cell);
        tcase_add_test(tc, test_out_of_range);
        tcase_add_test(tc, test_states);
        suite_add_tcase(s, tc);
        tc = tcase_create("classifiers");
        tcase_add_test(tc, test_classify_exit);
        tcase_add_test(tc, test_classify_backoff);
        tcase_add_test(tc, test_classify_autorestart);
        tcase_add_test(tc, test_classify_restart);
        tcase_add_test(tc, test_classify_timer_kill);
        suite_add_tcase(s, tc);
        return s;
}
