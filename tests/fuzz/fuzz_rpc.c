/* SPDX-License-Identifier: MIT */
/* fuzz_rpc — libFuzzer target: an HTTP body → rpc_dispatch on a small process table (commands that
 * do not exist and no log files, so nothing is spawned or written), plus the codec round trip:
 * whatever parses as a call must re-encode into a body that parses to the same bytes again. */
#include <ev.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/cfg.h"
#include "core/log.h"
#include "ctl/rpc.h"
#include "core/sup.h"
#include "shared/xmlrpc.h"

#include "own_child.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char config[] =
        "[supervisord]\n"
        "logfile=NONE\n"
        "[unix_http_server]\n"
        "file=/nonexistent-corral-fuzz/corral.sock\n"
        "[program:sleeper]\n"
        "command=/nonexistent-corral-fuzz/sleep 1000\n"
        "autostart=false\n"
        "stdout_logfile=NONE\n"
        "stderr_logfile=NONE\n"
        "[program:talker]\n"
        "command=/nonexistent-corral-fuzz/talk\n"
        "autostart=false\n"
        "stdout_logfile=NONE\n"
        "stderr_logfile=NONE\n"
        "[program:worker]\n"
        "command=/nonexistent-corral-fuzz/work\n"
        "numprocs=2\n"
        "process_name=%(program_name)s_%(process_num)02d\n"
        "autostart=false\n"
        "stdout_logfile=NONE\n"
        "stderr_logfile=NONE\n"
        "[group:grp]\n"
        "programs=worker\n";

static bool have_table;
static size_t ngroups;

static void
table_init(void)
{
        struct cfg_load_options opt = { .path = "/nonexistent-corral-fuzz/corral.conf" };
        struct cfg_errors errs = { 0 };
        struct cfg *c = cfg_load_string(config, &opt, &errs);
        cfg_errors_clear(&errs);
        have_table = false;
        if (!c)
                return;
        struct sup_options so = { .config_path = opt.path };
        if (sup_init(ev_default_loop(0), c, &so) < 0)
                return;
        struct proc_group *const *g;
        ngroups = sup_groups(&g);
        have_table = true;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc; (void)argv;
        log_set_level(LOGL_CRIT);
        own_child_start();
        table_init();
        if (have_table) {               /* the sweep, once up front: not only after a shutdown RPC */
                sup_fini();
                own_child_check("sup_fini");
                table_init();
        }
        if (!have_table)
                fprintf(stderr, "fuzz_rpc: no process table (cfg/sup not available), fuzzing without\n");
        return 0;
}

static void
on_done(void *ctx, int status, struct xr_buf *body)
{
        int *calls = ctx;
        (*calls)++;
        if (status != 200 && status != 400 && status != 500)
                abort();
        if (status == 200) {
                /* Our own reply must always parse. */
                struct xr_response r;
                char *err = NULL;
                if (xr_parse_response(body->p, body->len, &r, &err) < 0) {
                        fprintf(stderr, "unparsable reply: %s\n%s\n", err, body->p);
                        abort();
                }
                xr_response_free(&r);
        }
        xr_buf_free(body);
}

static void
roundtrip(const uint8_t *data, size_t size)
{
        struct xr_call c;
        char *err = NULL;
        if (xr_parse_call((const char *)data, size, &c, &err) < 0) {
                free(err);
                return;
        }
        struct xr_buf a = { 0 }, b = { 0 };
        xr_encode_call(&a, c.method, c.params);
        xr_call_free(&c);
        if (xr_parse_call(a.p, a.len, &c, &err) < 0) {
                fprintf(stderr, "re-encoded call does not parse: %s\n%s\n", err, a.p);
                abort();
        }
        xr_encode_call(&b, c.method, c.params);
        xr_call_free(&c);
        if (a.len != b.len || memcmp(a.p, b.p, a.len) != 0) {
                fprintf(stderr, "encoding is not stable:\n%s\n---\n%s\n", a.p, b.p);
                abort();
        }
        xr_buf_free(&a);
        xr_buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        int calls = 0;
        roundtrip(data, size);
        struct rpc_pending *p = rpc_dispatch((const char *)data, size, on_done, &calls);
        if (p) {
                if (calls)
                        abort();        /* replied and pending at once */
                rpc_cancel(p);
        } else if (calls != 1) {
                abort();
        }
        /* removeProcessGroup/addProcessGroup may change the table: start over from the config. */
        if (have_table) {
                struct proc_group *const *g;
                if (sup_groups(&g) != ngroups || sup_mood() != SUP_RUNNING) {
                        sup_fini();
                        own_child_check("sup_fini");
                        table_init();
                }
        }
        return 0;
}
