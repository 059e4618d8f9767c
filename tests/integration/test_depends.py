# SPDX-License-Identifier: MIT
"""depends_on and oneshot (issue 10 items 2 and 5), black-box: start and stop order from the main
log's timestamps and lines (loglevel=debug logs every signal sent) and /proc's process start
times; waiting and given-up starts from status; cycles refused at --check-config, start and
reload. The graph itself (order, cycles, unknown names) is unit-tested in tests/unit/check_cfg.c."""
import datetime
import os
import re
import time

from conftest import holds_for, run_corrald, wait_until
from test_update import rpc

STAMP = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) \w+ (.*)$", re.M)
TICKS = os.sysconf("SC_CLK_TCK")


def at(d, needle):
    """Seconds (log timestamp) of the first line containing needle, or None."""
    for ts, text in STAMP.findall(d.log()):
        if needle in text:
            return datetime.datetime.strptime(ts, "%Y-%m-%d %H:%M:%S,%f").timestamp()
    return None


def before(d, first, then):
    log = d.log()
    i, j = log.find(first), log.find(then)
    assert i >= 0 and j >= 0 and i < j, f"{first!r} should come before {then!r} in:\n{log[-3000:]}"


def proc_start(pid):
    with open(f"/proc/{pid}/stat") as f:
        s = f.read()
    return int(s[s.rindex(")") + 2:].split()[19]) / TICKS


def fast_status(d):
    """getAllProcessInfo's answer, asserting it comes within 50 ms while processes wait (the best of
    3 calls on one connection: a loaded test machine may stall any one of them)."""
    proxy, best = rpc(d), 1e9
    for _ in range(3):
        t = time.monotonic()
        info = {i["name"]: i for i in proxy.supervisor.getAllProcessInfo()}
        best = min(best, time.monotonic() - t)
    assert best < 0.05, best
    return info


APP = """
[program:db]
command=/bin/sleep 1000
startsecs=1
stopwaitsecs=2

[program:web]
command=/bin/sleep 1000
depends_on=db
priority=1
startsecs=0
stopwaitsecs=2

[program:other]
command=/bin/sleep 1000
startsecs=0

[program:api]
command=/bin/sleep 1000
depends_on=db
priority=2
startsecs=0
"""


def test_start_after_ready_parallel_otherwise_and_stop_in_reverse(corral):
    d = corral.start(APP)
    web = d.wait_spawned("web", timeout=10)[0]
    db, other = d.spawned_pids("db")[0], d.spawned_pids("other")[0]
    # web (priority 1) waited for db's RUNNING; other, independent, did not wait for anybody
    before(d, "success: db entered RUNNING", "spawned: 'web'")
    d.wait_spawned("api")
    before(d, "spawned: 'web'", "spawned: 'api'")     # released together: priority order
    assert at(d, "spawned: 'web'") - at(d, "spawned: 'db'") >= 1.0
    assert at(d, "spawned: 'other'") < at(d, "success: db entered RUNNING")
    assert proc_start(web) - proc_start(db) >= 0.9          # /proc agrees with the log
    assert proc_start(other) - proc_start(db) < 0.5
    assert "web waits for db" in d.log()
    # reload (SIGHUP): web is stopped and reaped before db gets its signal, then the same start order
    d.reload()
    d.wait_spawned("web", n=2, timeout=10)
    before(d, "stopped: web", f"killing db (pid {db})")
    db = d.spawned_pids("db")[1]
    log = d.log()
    assert log.find("success: db entered RUNNING", log.find(f"pid {db}")) < log.rfind("spawned: 'web'")
    d.wait_spawned("api", n=2)
    # shutdown: the same (the second web's stop)
    assert d.stop() == 0
    log = d.log()
    assert log.count("stopped: web") == 2
    assert 0 < log.rfind("stopped: web") < log.find(f"killing db (pid {db})"), log[-3000:]


def test_a_dependency_that_never_becomes_ready(corral):
    d = corral.start("""
        [program:db]
        command=/bin/sleep 1000
        startsecs=100
        [program:web]
        command=/bin/sleep 1000
        depends_on=db
    """)
    d.wait_spawned("db")
    wait_until(lambda: fast_status(d)["web"]["description"] == "waiting for db", 5, what="waiting")
    info = fast_status(d)
    assert info["web"]["statename"] == "STOPPED" and info["db"]["statename"] == "STARTING"
    r = d.ctl("status", "web")
    assert re.fullmatch(r"web +STOPPED +waiting for db\n", r.stdout), r.stdout
    holds_for(lambda: not d.spawned_pids("web"), 0.3, what="web not spawned")
    # a stop of the waiting start ends it
    r = d.ctl("stop", "web")
    assert "web: stopped" in r.stdout, r.stdout
    assert fast_status(d)["web"]["description"] != "waiting for db"


def test_a_fatal_dependency_leaves_its_dependents_not_started(corral):
    d = corral.start("""
        [program:db]
        command=/bin/sh -c 'exit 1'
        startretries=1
        backoff_initial=0.1
        [program:slow]
        command=/bin/sleep 1000
        startsecs=100
        [program:web]
        command=/bin/sleep 1000
        depends_on=slow, db
        [program:front]
        command=/bin/sleep 1000
        depends_on=web
    """)
    d.wait_log("gave up: db entered FATAL state")
    wait_until(lambda: fast_status(d)["web"]["description"] == "dependency db is FATAL", 5,
               what="web given up")
    info = fast_status(d)
    assert info["web"]["statename"] == "STOPPED"
    assert info["slow"]["statename"] == "STARTING"     # not the first dependency: still seen
    assert info["front"]["statename"] == "STOPPED" and "web" in info["front"]["description"]
    assert not d.spawned_pids("web") and not d.spawned_pids("front")
    r = d.ctl("start", "web")       # by hand: db is started again first, and fails again
    assert "web: ERROR" in r.stdout, r.stdout
    wait_until(lambda: len(d.spawned_pids("db")) >= 4, 5, what="db retried")


def test_cycle_and_unknown_name_refused(tmp_path, corral):
    conf = tmp_path / "corral.conf"
    head = f"[supervisord]\nlogfile={tmp_path}/log\npidfile={tmp_path}/pid\n\n"
    conf.write_text(head + "[program:a]\ncommand=/bin/true\ndepends_on=b\n\n"
                    "[program:b]\ncommand=/bin/true\ndepends_on=a\n")
    for args in (["--check-config", "-c", str(conf)], ["-n", "-c", str(conf)]):
        r = run_corrald(args)
        assert r.returncode == 2, (args, r.stderr)
        assert f"dependency cycle: a ({conf}:7) -> b ({conf}:11) -> a" in r.stderr, r.stderr
    conf.write_text(head + "[program:a]\ncommand=/bin/true\ndepends_on=nope\n")
    r = run_corrald(["--check-config", "-c", str(conf)])
    assert r.returncode == 2 and f"{conf}:7" in r.stderr and "'nope'" in r.stderr, r.stderr
    # on reload: refused, the old config and its worker kept
    base = "[program:a]\ncommand=/bin/sleep 1000\nstartsecs=0\n"
    d = corral.start(base)
    pa = d.wait_spawned("a")[0]
    d.write_config(base + "depends_on=a\n")
    d.reload()
    d.wait_log("keeping old config")
    assert "dependency cycle: a (" in d.log()
    assert d.proc.poll() is None and d.spawned_pids("a") == [pa]


def test_oneshot_gates_its_dependent_and_is_never_restarted(tmp_path, corral):
    flag = tmp_path / "migrated-once"
    d = corral.start(f"""
        [program:migrate]
        command=/bin/sh -c 'test -e {flag} || {{ touch {flag}; exit 3; }}; sleep 0.3'
        oneshot=true
        autorestart=true
        backoff_initial=0.2
        [program:web]
        command=/bin/sleep 1000
        depends_on=migrate
        startsecs=0
    """)
    d.wait_spawned("web", timeout=10)
    pids = d.spawned_pids("migrate")
    assert len(pids) == 2                       # the first run failed, the retry succeeded
    before(d, "exited: migrate (exit status 0; expected)", "spawned: 'web'")
    info = fast_status(d)
    assert info["migrate"]["statename"] == "EXITED" and info["migrate"]["exitstatus"] == 0
    holds_for(lambda: d.spawned_pids("migrate") == pids, 0.5, what="no restart after success")
    # supervisorctl start of a oneshot waits for its run to end
    r = d.ctl("start", "migrate")
    assert "migrate: started" in r.stdout, r.stdout
    assert d.state_of("migrate") in ("RUNNING", "EXITED")
    wait_until(lambda: d.state_of("migrate") == "EXITED", 5, what="oneshot done")


def test_supervisorctl_start_stop_update(corral):
    text = APP.replace("[program:db]\n", "[program:db]\nautostart=false\n").replace(
        "[program:web]\n", "[program:web]\nautostart=false\n")
    d = corral.start(text)
    d.wait_spawned("other")
    # starting web by hand starts db first
    r = d.ctl("start", "web")
    assert "web: started" in r.stdout, r.stdout
    assert d.state_of("db") == "RUNNING" and d.state_of("web") == "RUNNING"
    before(d, "success: db entered RUNNING", "spawned: 'web'")
    # stopping db stops web first
    db = d.pid_of("db")
    r = d.ctl("stop", "db")
    assert "db: stopped" in r.stdout, r.stdout
    assert d.state_of("web") == "STOPPED"
    before(d, "stopped: web", f"killing db (pid {db})")
    # stop all, then update with db changed: web goes first again
    d.ctl("start", "web", check=True)
    db = d.pid_of("db")
    d.write_config(text.replace("command=/bin/sleep 1000\nstartsecs=1", "command=/bin/sleep 999\nstartsecs=1"))
    r = d.ctl("update")
    assert "db: stopped" in r.stdout, r.stdout
    log = d.log()
    i = log.find(f"killing db (pid {db})")
    assert i > 0 and log.rfind("stopped: web", 0, i) > log.find("spawned: 'web'", log.find("killing db")), log[-3000:]
    d.ctl("start", "web", check=True)
    r = d.ctl("stop", "all")
    assert "web: stopped" in r.stdout and "db: stopped" in r.stdout, r.stdout
    log = d.log()
    db = d.spawned_pids("db")[-1]
    before_i = log.rfind("stopped: web")
    assert 0 < before_i < log.find(f"killing db (pid {db})"), log[-3000:]


def test_a_dependent_waits_for_readiness_not_for_the_spawn(corral, tmp_path):
    """depends_on and ready= together: db is spawned at once but ready (fd:3) only when the test
    lets it; web must not be spawned before that, however long db stays STARTING."""
    go = tmp_path / "go"
    d = corral.start(f"""
        [program:db]
        command=/bin/sh -c 'while [ ! -e {go} ]; do sleep 0.05; done; echo >&3; exec 3>&-; exec sleep 1000'
        ready=fd:3
        ready_timeout=30

        [program:web]
        command=/bin/sleep 1000
        depends_on=db
        startsecs=0
    """)
    wait_until(lambda: d.spawned_pids("db"), what="db spawned")
    # db runs but is not ready: web waits (bounded: longer than startsecs' default of 1 s, which
    # would have made db RUNNING without ready=).
    holds_for(lambda: d.state_of("db") == "STARTING" and not d.spawned_pids("web"), 1.5,
              what="web waiting while db is not ready")
    assert "waiting for db" in d.ctl("status", "web").stdout
    go.touch()
    d.wait_state("web", "RUNNING")
    assert d.state_of("db") == "RUNNING"
    before(d, "success: db entered RUNNING", "spawned: 'web'")
