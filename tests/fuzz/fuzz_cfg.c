/* SPDX-License-Identifier: MIT */
/* fuzz_cfg — libFuzzer target: config text → cfg_load_string. The input is appended to a small
 * valid config (so mutations reach program keys, expansions and groups from the first run). A
 * loaded config must diff as unchanged against itself and every group must be found by name.
 * The "file" lives in a directory that does not exist, so [include] matches nothing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/cfg.h"
#include "shared/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char base[] =
        "[supervisord]\n"
        "environment=A=1\n"
        "[program:f]\n"
        "command=/nonexistent-corral-fuzz/f %(process_num)d %(ENV_A)s\n";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static char *env[] = { "PATH=/nonexistent-corral-fuzz", "HOME=/nonexistent-corral-fuzz", "B=2", NULL };
        size_t bl = sizeof base - 1;
        char *text = xmalloc(bl + size + 1);
        memcpy(text, base, bl);
        memcpy(text + bl, data, size);
        text[bl + size] = '\0';
        struct cfg_load_options o = {
                .path = "/nonexistent-corral-fuzz/main.conf", .envp = env, .hostname = "fuzz",
        };
        struct cfg_errors e = { 0 };
        struct cfg *cfg = cfg_load_string(text, &o, &e);
        if (cfg) {
                struct cfg_diff d;
                cfg_diff(cfg, cfg, &d);
                if (d.nadded || d.nchanged || d.nremoved)
                        abort();
                cfg_diff_free(&d);
                for (size_t i = 0; i < cfg->ngroups; i++)
                        if (cfg_find_group(cfg, cfg->groups[i]->name) != cfg->groups[i])
                                abort();
        } else if (!e.n) {
                abort();                /* a failed load always says why */
        }
        cfg_free(cfg);
        cfg_errors_clear(&e);
        free(text);
        return 0;
}
