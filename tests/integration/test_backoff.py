# SPDX-License-Identifier: MIT
"""Backoff (issue 10 item 3), black-box: the delays between attempts are read from the main log's
timestamps of the `spawned:` lines (millisecond resolution) and must match the configured timing
within 20 %. Small backoff_initial values keep the file fast; the arithmetic itself (every key,
jitter bounds) is unit-tested in tests/unit/check_backoff.c."""
import datetime
import os
import re
import signal
import xmlrpc.client

from conftest import holds_for, run_corrald, wait_until
from test_update import rpc

LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) \w+ spawned: '([^']+)' with pid (\d+)$", re.M)


def spawn_times(d, name):
    """Seconds (from the log's timestamps) of each spawn of name, in order."""
    out = []
    for ts, n, _ in LINE.findall(d.log()):
        if n == name:
            t = datetime.datetime.strptime(ts, "%Y-%m-%d %H:%M:%S,%f")
            out.append(t.timestamp())
    return out


def gaps(d, name):
    t = spawn_times(d, name)
    return [round(b - a, 3) for a, b in zip(t, t[1:])]


def near(got, want, what):
    assert abs(got - want) <= 0.2 * want, f"{what}: {got:.3f} s, expected {want} s ± 20 %"


def test_exponential_linear_and_cap_timings(corral):
    # Each attempt exits at once (before startsecs), so the gap between two spawns is the delay.
    d = corral.start("""
        [program:exp]
        command=/bin/sh -c 'exit 1'
        startretries=3
        backoff_initial=0.4

        [program:lin]
        command=/bin/sh -c 'exit 1'
        startretries=3
        backoff=linear
        backoff_initial=0.4

        [program:cap]
        command=/bin/sh -c 'exit 1'
        startretries=4
        backoff_initial=0.4
        backoff_max=0.8
    """)
    for n in ("exp", "lin", "cap"):
        d.wait_log(f"gave up: {n} entered FATAL state", timeout=15)
    for want, got in zip([0.4, 0.8, 1.6], gaps(d, "exp")):
        near(got, want, "exponential")
    for want, got in zip([0.4, 0.8, 1.2], gaps(d, "lin")):
        near(got, want, "linear")
    for want, got in zip([0.4, 0.8, 0.8, 0.8], gaps(d, "cap")):
        near(got, want, "backoff_max")
    assert [len(gaps(d, n)) for n in ("exp", "lin", "cap")] == [3, 3, 4]


def test_startretries_infinite_never_gives_up(corral):
    d = corral.start("""
        [program:forever]
        command=/bin/sh -c 'exit 1'
        startretries=infinite
        backoff_initial=0.02
        backoff_max=0.05
    """)
    d.wait_spawned("forever", 12, timeout=15)
    assert d.state_of("forever") in ("BACKOFF", "STARTING")
    assert "gave up" not in d.log()
    assert max(gaps(d, "forever")[5:]) < 0.5        # capped at 0.05 s, not growing


def test_jitter_spreads_programs_killed_together(corral):
    # 20 jittered programs and 5 without jitter, killed in the same instant right after they
    # started (RUNNING less than backoff_reset): each waits its first delay, 1 s, less a random
    # fraction of it (jitter=1). Without jitter they all come back within a few ms.
    progs = "".join(f"[program:j{i}]\ncommand=/bin/sleep 1000\nstartsecs=0\nautorestart=true\n"
                    f"backoff_jitter=1\nstopwaitsecs=1\n\n" for i in range(20))
    progs += "".join(f"[program:n{i}]\ncommand=/bin/sleep 1000\nstartsecs=0\nautorestart=true\n"
                     f"stopwaitsecs=1\n\n" for i in range(5))
    d = corral.start(progs)
    names = [f"j{i}" for i in range(20)] + [f"n{i}" for i in range(5)]
    first = {n: d.wait_spawned(n)[0] for n in names}
    for n in names:
        os.kill(first[n], signal.SIGKILL)
    for n in names:
        d.wait_spawned(n, 2, timeout=10)
    jittered = sorted(spawn_times(d, f"j{i}")[1] for i in range(20))
    plain = sorted(spawn_times(d, f"n{i}")[1] for i in range(5))
    assert plain[-1] - plain[0] < 0.25, plain
    spread = jittered[-1] - jittered[0]
    assert spread > 0.4, f"20 jittered respawns within {spread:.3f} s"
    # not a few clusters either: most respawns at a distinct millisecond
    assert len(set(round(t, 3) for t in jittered)) >= 15, jittered


def test_backoff_reset_short_runs_keep_growing_long_runs_start_over(corral):
    # Both run 0.6 s after RUNNING (startsecs=0) and crash. "short" has backoff_reset=5: every
    # crash comes too soon, so the delay grows 0.3, 0.6, 1.2 s on top of the 0.6 s run. "long"
    # has backoff_reset=0.4: each crash starts over and restarts at once (supervisord).
    d = corral.start("""
        [program:short]
        command=/bin/sh -c 'sleep 0.6; exit 1'
        startsecs=0
        autorestart=true
        backoff_initial=0.3
        backoff_reset=5

        [program:long]
        command=/bin/sh -c 'sleep 0.6; exit 1'
        startsecs=0
        autorestart=true
        backoff_initial=0.3
        backoff_reset=0.4
    """)
    d.wait_spawned("short", 4, timeout=15)
    d.wait_spawned("long", 4, timeout=15)
    for want, got in zip([0.9, 1.2, 1.8], gaps(d, "short")):
        near(got, want, "short runs: delays grow")
    for got in gaps(d, "long")[:3]:
        near(got, 0.6, "long runs: at once")
    assert "gave up" not in d.log()     # crashes after RUNNING are no failed starts


def test_status_and_description_show_the_next_retry(corral):
    d = corral.start("""
        [program:flap]
        command=/bin/sh -c 'exit 1'
        startretries=infinite
        backoff_initial=2
        backoff_factor=3
    """)
    d.require_ctl()
    d.wait_spawned("flap", 2, timeout=10)       # the second failure waits retry 2: 6 s
    want = r"Exited too quickly \(process log may have details\); retry 2 in [56] s"
    info = wait_until(lambda: (lambda i: i["statename"] == "BACKOFF" and i)(
        rpc(d).supervisor.getProcessInfo("flap")), 5, what="flap in BACKOFF")
    assert re.fullmatch(want, info["description"]), info["description"]
    want = want.replace("[56]", "[3-6]")         # a count-down: each client takes its time to start
    assert info["spawnerr"] == "Exited too quickly (process log may have details)"
    r = d.ctl("status", "flap")                 # the real supervisorctl prints it as is
    assert re.fullmatch(r"flap {29}BACKOFF   " + want + "\n", r.stdout), r.stdout
    r = d.corralctl("status", "flap")
    assert re.search(r"BACKOFF +" + want, r.stdout), r.stdout
    # a stop in BACKOFF ends the retries
    assert rpc(d).supervisor.stopProcess("flap") is True
    holds_for(lambda: len(d.spawned_pids("flap")) == 2, 0.5, what="no spawn after stop")
    try:
        rpc(d).supervisor.stopProcess("flap")
        raise AssertionError("stopped twice")
    except xmlrpc.client.Fault as f:
        assert "NOT_RUNNING" in f.faultString


def test_bad_backoff_value_is_refused_with_file_and_line(tmp_path, corral):
    conf = tmp_path / "corral.conf"
    conf.write_text(f"[supervisord]\nlogfile={tmp_path}/log\npidfile={tmp_path}/pid\n\n"
                    "[program:x]\ncommand=/bin/true\nbackoff_jitter=2\n")
    for args in (["--check-config", "-c", str(conf)], ["-n", "-c", str(conf)]):
        r = run_corrald(args)
        assert r.returncode == 2, (args, r.stderr)
        assert f"{conf}:7" in r.stderr and "backoff_jitter" in r.stderr and "'2'" in r.stderr, r.stderr
    # on reload: refused, the old config and its worker kept
    base = "[program:a]\ncommand=/bin/sleep 1000\nstartsecs=0\nstopwaitsecs=1\n"
    d = corral.start(base)
    pa = d.wait_spawned("a")[0]
    d.write_config(base + "backoff=sometimes\n")
    d.reload()
    d.wait_log("keeping old config")
    assert "sometimes" in d.log() and "backoff" in d.log()
    assert d.proc.poll() is None and d.spawned_pids("a") == [pa]
