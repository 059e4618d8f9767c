/* SPDX-License-Identifier: MIT */
/* check_sup — sup's table: namespec lookup through the index, the sorted views, reread's diff,
 * add/remove, reload refusing a broken config, shutdown's completion hook. Nothing is spawned:
 * every program has autostart=false. */
#include <check.h>
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cfg/cfg.h"
#include "core/leftovers.h"
#include "core/sup.h"
#include "shared/util.h"
#include "unit.h"

static char dir[] = "/tmp/check_sup.XXXXXX";
static char *path;
static struct ev_loop *loop;
static int done_calls;

static const char *const BASE =
        "[supervisord]\n"
        "logfile=NONE\n"
        "[program:a]\ncommand=/bin/true\nautostart=false\npriority=30\n"
        "[program:b]\ncommand=/bin/true\nautostart=false\npriority=10\n"
        "[program:api]\ncommand=/bin/true\nautostart=false\npriority=2\n"
        "[program:jobs]\ncommand=/bin/true\nautostart=false\npriority=1\n"
        "[group:web]\nprograms=api,jobs\npriority=20\n"
        "[program:pool]\ncommand=/bin/true\nautostart=false\nnumprocs=3\n"
        "process_name=%(program_name)s_%(process_num)d\npriority=40\n";

static void
write_conf(const char *text)
{
        FILE *f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        fputs(text, f);
        fclose(f);
}

static void
on_done(void)
{
        done_calls++;
}

static void
setup_with(const char *text)
{
        ck_assert_ptr_nonnull(mkdtemp(dir));
        path = xasprintf("%s/corral.conf", dir);
        write_conf(text);
        struct cfg_load_options o = { .path = path };
        struct cfg_errors errs = { 0 };
        struct cfg *cfg = cfg_load(&o, &errs);
        if (!cfg)
                ck_abort_msg("config: %s", errs.n ? errs.v[0].text : "?");
        cfg_errors_clear(&errs);
        loop = ev_default_loop(0);
        struct sup_options so = { .config_path = path };
        sup_set_on_done(on_done);
        done_calls = 0;
        ck_assert_int_eq(sup_init(loop, cfg, &so), 0);
}

static void
setup(void)
{
        setup_with(BASE);
}

static void
teardown(void)
{
        sup_fini();
        unlink(path);
        rmdir(dir);
        free(path);
        strcpy(dir, "/tmp/check_sup.XXXXXX");
}

static const char *
name_of(const struct proc *p)
{
        return p ? p->cfg->name : "(null)";
}

START_TEST(test_lookup)
{
        ck_assert_str_eq(name_of(sup_find_proc("a")), "a");
        ck_assert_ptr_eq(sup_find_proc("a"), sup_find_proc("a:a"));
        ck_assert_str_eq(name_of(sup_find_proc("web:api")), "api");
        ck_assert_str_eq(sup_find_proc("web:api")->group->name, "web");
        ck_assert_str_eq(name_of(sup_find_proc("pool:pool_2")), "pool_2");
        /* "x" means process x in group x only; a group member needs its group. */
        ck_assert_ptr_null(sup_find_proc("api"));
        ck_assert_ptr_null(sup_find_proc("web"));
        ck_assert_ptr_null(sup_find_proc("web:*"));
        ck_assert_ptr_null(sup_find_proc("web:"));
        ck_assert_ptr_null(sup_find_proc("web:ap"));
        ck_assert_ptr_null(sup_find_proc("we:api"));
        ck_assert_ptr_null(sup_find_proc("nosuch"));
        ck_assert_ptr_null(sup_find_proc("pool:pool_3"));
        ck_assert_ptr_nonnull(sup_find_group("web"));
        ck_assert_ptr_null(sup_find_group("api"));
        ck_assert_int_eq(sup_mood(), SUP_RUNNING);
        ck_assert_ptr_eq(sup_cfg(), sup_cfg_read());
}
END_TEST

START_TEST(test_views)
{
        struct proc *const *v;
        size_t n = sup_procs_by_priority(&v);
        const char *prio[] = { "b", "jobs", "api", "a", "pool_0", "pool_1", "pool_2" };
        ck_assert_uint_eq(n, ARRAY_SIZE(prio));
        for (size_t i = 0; i < n; i++)
                ck_assert_str_eq(v[i]->cfg->name, prio[i]);
        n = sup_procs_by_name(&v);
        const char *byname[] = { "a", "b", "pool_0", "pool_1", "pool_2", "api", "jobs" };
        ck_assert_uint_eq(n, ARRAY_SIZE(byname));
        for (size_t i = 0; i < n; i++)
                ck_assert_str_eq(v[i]->cfg->name, byname[i]);
        struct proc_group *const *g;
        n = sup_groups(&g);
        const char *groups[] = { "b", "web", "a", "pool" };
        ck_assert_uint_eq(n, ARRAY_SIZE(groups));
        for (size_t i = 0; i < n; i++)
                ck_assert_str_eq(g[i]->name, groups[i]);
}
END_TEST

START_TEST(test_reread_add_remove)
{
        struct proc *keep = sup_find_proc("web:api");
        /* a removed, b changed, c added, web and pool unchanged. */
        char *text = xstrdup(BASE);
        char *at = strstr(text, "[program:a]");
        at[9] = 'c';                                    /* [program:c] */
        char *bcmd = strstr(strstr(text, "[program:b]"), "/bin/true");
        memcpy(bcmd, "/bin/echo", 9);
        write_conf(text);
        free(text);

        struct cfg_diff d;
        char *err = NULL;
        ck_assert_int_eq(sup_reread(&d, &err), FAULT_OK);
        ck_assert_ptr_null(err);
        ck_assert_uint_eq(d.nadded, 1);
        ck_assert_str_eq(d.added[0], "c");
        ck_assert_uint_eq(d.nchanged, 1);
        ck_assert_str_eq(d.changed[0], "b");
        ck_assert_uint_eq(d.nremoved, 1);
        ck_assert_str_eq(d.removed[0], "a");
        cfg_diff_free(&d);
        /* Nothing applied yet. */
        ck_assert_ptr_nonnull(sup_find_proc("a"));
        ck_assert_ptr_null(sup_find_proc("c"));
        ck_assert_ptr_nonnull(cfg_find_group(sup_cfg_read(), "c"));
        ck_assert_ptr_null(cfg_find_group(sup_cfg(), "c"));

        ck_assert_int_eq(sup_add_group("c"), FAULT_OK);
        ck_assert_int_eq(sup_add_group("c"), FAULT_ALREADY_ADDED);
        ck_assert_int_eq(sup_add_group("nosuch"), FAULT_BAD_NAME);
        ck_assert_int_eq(sup_remove_group("a"), FAULT_OK);
        ck_assert_int_eq(sup_remove_group("a"), FAULT_BAD_NAME);
        ck_assert_int_eq(sup_remove_group("b"), FAULT_OK);
        ck_assert_int_eq(sup_add_group("b"), FAULT_OK);
        ck_assert_ptr_null(sup_find_proc("a"));
        ck_assert_str_eq(name_of(sup_find_proc("c")), "c");
        ck_assert_str_eq(sup_find_proc("b")->cfg->command, "/bin/echo");
        /* The unchanged group kept its process object. */
        ck_assert_ptr_eq(sup_find_proc("web:api"), keep);

        /* A second reread against the groups now in force: no difference left. */
        ck_assert_int_eq(sup_reread(&d, &err), FAULT_OK);
        ck_assert_uint_eq(d.nadded + d.nchanged + d.nremoved, 0);
        cfg_diff_free(&d);

        struct proc *const *v;
        ck_assert_uint_eq(sup_procs_by_priority(&v), 7);
        ck_assert_str_eq(v[0]->cfg->name, "b");
        ck_assert_str_eq(v[3]->cfg->name, "c");
}
END_TEST

START_TEST(test_broken_config_changes_nothing)
{
        const struct cfg *before = sup_cfg();
        struct proc *a = sup_find_proc("a");
        write_conf("[supervisord]\n[program:x]\nautostart=maybe\ncommand=/bin/true\n");
        char *err = NULL;
        ck_assert_int_eq(sup_restart(&err), FAULT_CANT_REREAD);
        ck_assert_ptr_nonnull(err);
        ck_assert_ptr_nonnull(strstr(err, "autostart"));
        free(err);
        struct cfg_diff d;
        ck_assert_int_eq(sup_reread(&d, &err), FAULT_CANT_REREAD);
        ck_assert_ptr_nonnull(err);
        free(err);
        ck_assert_int_eq(sup_mood(), SUP_RUNNING);
        ck_assert_ptr_eq(sup_cfg(), before);
        ck_assert_ptr_eq(sup_find_proc("a"), a);
}
END_TEST

START_TEST(test_restart_and_shutdown)
{
        write_conf("[supervisord]\nlogfile=NONE\n[program:z]\ncommand=/bin/true\nautostart=false\n");
        char *err = NULL;
        /* Nothing runs, so the reload completes at once, on the new config. */
        ck_assert_int_eq(sup_restart(&err), FAULT_OK);
        ck_assert_ptr_null(err);
        ck_assert_int_eq(sup_mood(), SUP_RUNNING);
        ck_assert_ptr_null(sup_find_proc("a"));
        ck_assert_ptr_nonnull(sup_find_proc("z"));
        ck_assert_ptr_nonnull(cfg_find_group(sup_cfg(), "z"));

        sup_shutdown();
        ck_assert_int_eq(sup_mood(), SUP_SHUTDOWN);
        ck_assert_int_eq(done_calls, 1);
        sup_shutdown();                         /* idempotent */
        ck_assert_int_eq(done_calls, 1);
        ck_assert_int_eq(sup_add_group("z"), FAULT_SHUTDOWN_STATE);
        ck_assert_int_eq(sup_restart(&err), FAULT_SHUTDOWN_STATE);
        free(err);
}
END_TEST

static void
setup_many(void)
{
        size_t cap = 1 << 20;
        char *text = xmalloc(cap), *p = text;
        p += sprintf(p, "[supervisord]\nlogfile=NONE\n");
        for (int i = 0; i < 500; i++)
                p += sprintf(p, "[program:p%d]\ncommand=/bin/true\nautostart=false\n", i);
        p += sprintf(p, "[program:pool]\ncommand=/bin/true\nautostart=false\nnumprocs=500\n"
                        "process_name=w%%(process_num)d\n");
        setup_with(text);
        free(text);
}

/* Issue 18: the clean-up killed libFuzzer's symbolizer. What descends from a worker (its own
 * session) is killed; a child this process forked itself (same session) is left alone. */
START_TEST(test_leftovers_spare_own_helpers)
{
        pid_t helper = fork();
        ck_assert_int_ge(helper, 0);
        if (helper == 0) {
                pause();
                _exit(0);
        }
        pid_t stray = fork();
        ck_assert_int_ge(stray, 0);
        if (stray == 0) {
                (void)setsid();         /* as spawn does for every worker */
                pause();
                _exit(0);
        }
        /* Wait until the stray child is in its own session. */
        for (int i = 0; i < 1000 && getsid(stray) != stray; i++)
                usleep(1000);
        ck_assert_int_eq(getsid(stray), stray);
        ck_assert_uint_eq(leftovers_kill(), 1);
        int st;
        ck_assert_int_eq(waitpid(stray, &st, 0), stray);
        ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
        ck_assert_int_eq(waitpid(helper, &st, WNOHANG), 0);    /* still alive */
        kill(helper, SIGKILL);
        ck_assert_int_eq(waitpid(helper, &st, 0), helper);
}
END_TEST

START_TEST(test_many)
{
        char buf[64];
        for (int i = 0; i < 500; i++) {
                snprintf(buf, sizeof buf, "p%d", i);
                ck_assert_str_eq(name_of(sup_find_proc(buf)), buf);
                snprintf(buf, sizeof buf, "pool:w%d", i);
                ck_assert_str_eq(name_of(sup_find_proc(buf)), buf + 5);
                snprintf(buf, sizeof buf, "w%d", i);
                ck_assert_ptr_null(sup_find_proc(buf));
        }
        struct proc *const *v;
        ck_assert_uint_eq(sup_procs_by_name(&v), 1000);
}
END_TEST

Suite *
unit_suite(void)
{
        Suite *s = suite_create("sup");
        TCase *tc = tcase_create("core");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_lookup);
        tcase_add_test(tc, test_views);
        tcase_add_test(tc, test_reread_add_remove);
        tcase_add_test(tc, test_broken_config_changes_nothing);
        tcase_add_test(tc, test_restart_and_shutdown);
        tcase_add_test(tc, test_leftovers_spare_own_helpers);
        suite_add_tcase(s, tc);
        tc = tcase_create("limits");
        tcase_add_checked_fixture(tc, setup_many, teardown);
        tcase_add_test(tc, test_many);
        suite_add_tcase(s, tc);
        return s;
}
