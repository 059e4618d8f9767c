# SPDX-License-Identifier: MIT
"""Readiness (issue 10 item 1), black-box against real notifiers: `ready=` decides when STARTING
becomes RUNNING. Every wait has a deadline; the timeouts in the configs are short so that the
file stays fast. Parsing (every key, every error) is unit-tested in tests/unit/check_cfg.c."""
import os
import socket
import time

from conftest import SUPERVISORCTL, holds_for, run_corrald, wait_until
from test_update import rpc

# A worker that speaks sd_notify from Python: the kernel adds the sender's credentials to each
# datagram (corrald's socket has SO_PASSCRED). The body follows this prelude.
PY_NOTIFY = """import os, socket, sys, time
def say(m):
    a = os.environ["NOTIFY_SOCKET"]
    a = "\\0" + a[1:] if a[0] == "@" else a
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.sendto(m.encode(), a)
    s.close()
"""


def script(tmp_path, name, body):
    f = tmp_path / name
    f.write_text(PY_NOTIFY + body)
    return f"/usr/bin/python3 {f}"


def info(d, name):
    return rpc(d).supervisor.getProcessInfo(name)


def test_notify_ready_after_systemd_notify(corral, tmp_path):
    # The worker waits for a flag file before it tells (systemd-notify run from the shell: its
    # own pid is a child of the worker, attributed through the worker's process group). Until
    # then it is STARTING however long it has been up (startsecs is not the rule any more).
    flag = tmp_path / "go"
    d = corral.start(f"""
        [program:svc]
        command=/bin/sh -c 'while [ ! -e {flag} ]; do sleep 0.05; done; systemd-notify --ready --status="serving 3 clients"; exec sleep 1000'
        ready=notify
        startsecs=0
        stopwaitsecs=1
    """)
    d.require_ctl()
    d.wait_spawned("svc")
    holds_for(lambda: d.state_of("svc") == "STARTING", 1.0, what="STARTING until READY=1 (startsecs=0 "
              "would be RUNNING at once)")
    # status answers fast while the process waits
    t0 = time.monotonic()
    assert info(d, "svc")["statename"] == "STARTING"
    assert time.monotonic() - t0 < 0.05
    flag.write_text("")
    d.wait_state("svc", "RUNNING", timeout=5)
    d.wait_log("success: svc entered RUNNING state, process is ready (notify)")
    desc = wait_until(lambda: (lambda s: "serving 3 clients" in s and s)(info(d, "svc")["description"]), 5,
                      what="STATUS= in the description")
    assert desc.startswith("pid ") and desc.endswith("; serving 3 clients"), desc
    assert "serving 3 clients" in d.ctl("status", "svc").stdout


def test_notify_from_python_with_status_and_watchdog(corral, tmp_path):
    # STATUS while STARTING, READY, then WATCHDOG pings every 0.2 s for 3 s, then silence: the
    # watchdog (0.6 s) kills it and autorestart brings it back.
    cmd = script(tmp_path, "py.py", """say("STATUS=warming up")
time.sleep(0.3)
say("READY=1\\nSTATUS=up")
for i in range(15):
    time.sleep(0.2)
    say("WATCHDOG=1")
time.sleep(1000)
""")
    d = corral.start(f"""
        [program:py]
        command={cmd}
        ready=notify
        watchdog_sec=0.6
        autorestart=true
        stopwaitsecs=1
    """)
    d.require_ctl()
    first = d.wait_spawned("py")[0]
    wait_until(lambda: info(d, "py")["description"] == "warming up", 5, what="STATUS while STARTING")
    wait_until(lambda: info(d, "py")["statename"] == "RUNNING", 5, what="py RUNNING")
    assert info(d, "py")["description"].endswith("; up")
    # the pings keep it alive past its 0.6 s watchdog
    holds_for(lambda: d.spawned_pids("py") == [first], 1.5, what="pinged: no restart (2.5 watchdogs)")
    d.wait_log("py: no WATCHDOG=1 within 0.6 s (watchdog_sec), killing it", timeout=5)
    d.wait_spawned("py", 2, timeout=5)


def test_notify_mainpid_names_a_process_that_speaks_for_the_worker(corral, tmp_path):
    # The worker starts a helper in a session of its own (not attributable by process group),
    # announces it as MAINPID and waits for it; the helper says READY=1 and exits.
    helper = tmp_path / "helper.py"
    helper.write_text(PY_NOTIFY + 'time.sleep(0.3)\nsay("READY=1")\n')
    cmd = script(tmp_path, "mp.py", f"""import subprocess
h = subprocess.Popen([sys.executable, "{helper}"], start_new_session=True)
say("MAINPID=%d" % h.pid)
h.wait()
time.sleep(1000)
""")
    d = corral.start(f"""
        [program:mp]
        command={cmd}
        ready=notify
        ready_timeout=10
        stopwaitsecs=1
    """)
    d.require_ctl()
    d.wait_spawned("mp")
    d.wait_state("mp", "RUNNING", timeout=5)
    d.wait_log("notify: 'mp' says its main pid is")


def test_fd_newline_on_the_notification_fd(corral, tmp_path):
    # s6's notification-fd: "ok" writes a partial line first, then the newline once the flag
    # exists; "mute" closes its fd 5 without a newline and never becomes ready. Both close the fd
    # before going on (a worker keeps only fds 0-2: the fixture checks it).
    flag = tmp_path / "go"
    d = corral.start(f"""
        [program:ok]
        command=/bin/sh -c 'printf partial >&5; while [ ! -e {flag} ]; do sleep 0.05; done; echo >&5; exec 5>&-; exec sleep 1000'
        ready=fd:5
        startsecs=0
        stopwaitsecs=1

        [program:mute]
        command=/bin/sh -c 'exec 3>&-; exec sleep 1000'
        ready=fd:3
        ready_timeout=30
        startsecs=0
        stopwaitsecs=1
    """)
    d.require_ctl()
    d.wait_spawned("ok")
    d.wait_spawned("mute")
    holds_for(lambda: d.state_of("ok") == "STARTING" and d.state_of("mute") == "STARTING", 0.5,
              what="no newline yet")
    flag.write_text("")
    d.wait_state("ok", "RUNNING", timeout=5)
    d.wait_log("success: ok entered RUNNING state, process is ready (fd)")
    assert d.state_of("mute") == "STARTING"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_tcp_against_python_http_server(corral, tmp_path):
    # python3 -m http.server starts listening only once the flag exists; the probe (every
    # 0.1 s) finds the port closed until then. (The shell stays the worker: the server's
    # listening socket is its own fd, which the fixture would count as leaked in a worker.)
    flag, port = tmp_path / "go", free_port()
    d = corral.start(f"""
        [program:web]
        command=/bin/sh -c 'while [ ! -e {flag} ]; do sleep 0.05; done; /usr/bin/python3 -m http.server {port} --bind 127.0.0.1 --directory {tmp_path}'
        ready=tcp:127.0.0.1:{port}
        ready_interval=0.1
        startsecs=0
        stopasgroup=true
        stopwaitsecs=2
    """)
    d.require_ctl()
    d.wait_spawned("web")
    holds_for(lambda: d.state_of("web") == "STARTING", 0.5, what="port closed: STARTING")
    flag.write_text("")
    d.wait_state("web", "RUNNING", timeout=5)
    d.wait_log("success: web entered RUNNING state, process is ready (tcp)")


def test_http_get_must_answer_2xx(corral, tmp_path):
    # python3 -m http.server serves a directory: GET /health is 404 until the file exists, then
    # 200. The probe (every 0.1 s) keeps the process STARTING through the 404s.
    www, port = tmp_path / "www", free_port()
    www.mkdir()
    d = corral.start(f"""
        [program:web]
        command=/bin/sh -c '/usr/bin/python3 -m http.server {port} --bind 127.0.0.1 --directory {www}'
        ready=http://127.0.0.1:{port}/health
        ready_interval=0.1
        stopasgroup=true
        stopwaitsecs=2
    """)
    d.require_ctl()
    d.wait_spawned("web")
    wait_until(lambda: _get(port) == 404, 5,
               what="the server answering 404")
    holds_for(lambda: d.state_of("web") == "STARTING", 0.5, what="404: STARTING")
    (www / "health").write_text("ok")
    d.wait_state("web", "RUNNING", timeout=5)
    d.wait_log("success: web entered RUNNING state, process is ready (http)")


def _get(port):
    import urllib.error
    import urllib.request
    try:
        return urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1).status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return None


def test_exec_probe_runs_until_it_exits_zero_and_leaves_nothing(corral, tmp_path):
    # "ok" is ready once `test -e "$FLAG"` exits 0 (every 0.1 s; the probe gets the program's
    # environment=, so an unset FLAG would test "" and never succeed); "hang"'s probe never ends and is
    # cancelled (killed, reaped) when hang is stopped: the fixture's invariants see no zombie and
    # no orphan at teardown, and the probe's commands are never counted as workers.
    flag = tmp_path / "go"
    d = corral.start(f"""
        [program:ok]
        command=/bin/sleep 1000
        environment=FLAG="{flag}"
        ready=exec:test -e "$FLAG"
        ready_interval=0.1
        stopwaitsecs=1

        [program:hang]
        command=/bin/sleep 1000
        ready=exec:exec /bin/sleep 999
        stopwaitsecs=1
    """)
    d.require_ctl()
    ok = d.wait_spawned("ok")[0]
    hang = d.wait_spawned("hang")[0]
    probe = wait_until(lambda: [p for p in d.descendants() if p not in (ok, hang)
                                and "999" in open(f"/proc/{p}/cmdline").read()], 5, what="hang's probe")
    holds_for(lambda: d.state_of("ok") == "STARTING", 0.4, what="flag absent: STARTING")
    flag.write_text("")
    d.wait_state("ok", "RUNNING", timeout=5)
    d.wait_log("success: ok entered RUNNING state, process is ready (exec)")
    assert d.ctl("stop", "hang").returncode == 0
    wait_until(lambda: not os.path.exists(f"/proc/{probe[0]}"), 5, what="the cancelled probe reaped")
    assert d.state_of("hang") == "STOPPED"
    assert "reaped unknown pid" not in d.log()


def test_not_ready_in_time_is_a_failed_start(corral):
    # Never says READY: each attempt is killed after ready_timeout and counts as a failed start,
    # then FATAL after startretries.
    d = corral.start("""
        [program:mute]
        command=/bin/sleep 1000
        ready=notify
        ready_timeout=0.3
        startretries=1
        backoff_initial=0.1
    """)
    d.require_ctl()
    d.wait_log("gave up: mute entered FATAL state", timeout=10)
    assert d.count_log("mute: not ready within 0.3 s (ready_timeout), killing it") == 2
    assert len(d.spawned_pids("mute")) == 2
    assert info(d, "mute")["spawnerr"] == "Not ready within 0.3 s (ready_timeout)"


def test_notify_from_a_stranger_is_ignored(corral):
    # A process corrald did not start (this test) sends READY=1 on the socket: attribution is by
    # the sender's pid, so nothing becomes RUNNING.
    d = corral.start("""
        [program:w]
        command=/bin/sleep 1000
        ready=notify
        ready_timeout=30
        stopwaitsecs=1
    """)
    d.require_ctl()
    pid = d.wait_spawned("w")[0]
    env = open(f"/proc/{pid}/environ", "rb").read().split(b"\0")
    addr = [e for e in env if e.startswith(b"NOTIFY_SOCKET=")][0].split(b"=", 1)[1].decode()
    assert addr.startswith("@")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.sendto(b"READY=1\nMAINPID=%d" % pid, "\0" + addr[1:])
    s.close()
    holds_for(lambda: d.state_of("w") == "STARTING", 0.5, what="a stranger's READY=1 ignored")


def test_bad_ready_value_is_refused_with_file_and_line(tmp_path):
    conf = tmp_path / "corral.conf"
    conf.write_text(f"[supervisord]\nlogfile={tmp_path}/log\npidfile={tmp_path}/pid\n\n"
                    "[program:x]\ncommand=/bin/true\nready=sometime\n")
    r = run_corrald(["--check-config", "-c", str(conf)])
    assert r.returncode == 2, r.stderr
    assert f"{conf}:7" in r.stderr and "[program:x]" in r.stderr and "ready" in r.stderr, r.stderr


def test_idle_corrald_with_ready_programs_up_wakes_up_zero_times(corral, tmp_path):
    # Once every process is RUNNING, no probe, timer or socket of readiness is left to wake the
    # loop: corrald's context switches stay put (the notify socket exists but is silent).
    d = corral.start(f"""
        [program:n]
        command=/bin/sh -c 'systemd-notify --ready; exec sleep 1000'
        ready=notify
        stopwaitsecs=1

        [program:t]
        command=/bin/sleep 1000
        ready=exec:true
        ready_interval=0.05
        stopwaitsecs=1

        [program:plain]
        command=/bin/sleep 1000
        startsecs=0
        stopwaitsecs=1
    """)
    d.require_ctl()
    for n in ("n", "t", "plain"):
        d.wait_log(f"success: {n} entered RUNNING state")

    def switches():
        st = open(f"/proc/{d.pid}/status").read()
        return [line for line in st.splitlines() if "ctxt_switches" in line]
    before = switches()
    holds_for(lambda: switches() == before, 1.5, what="corrald asleep (20 ready_intervals of t's)")


def test_real_supervisorctl_start_waits_for_ready_while_status_answers(corral, tmp_path):
    # supervisorctl start returns once the process is ready (startProcess waits for RUNNING);
    # meanwhile status answers at once. stop and a second start work as for any program.
    import subprocess
    flag = tmp_path / "go"
    d = corral.start(f"""
        [program:svc]
        command=/bin/sh -c 'while [ ! -e {flag} ]; do sleep 0.05; done; systemd-notify --ready; exec sleep 1000'
        ready=notify
        autostart=false
        stopwaitsecs=1
    """)
    d.require_ctl()
    start = subprocess.Popen([SUPERVISORCTL, "-c", d.conf, "start", "svc"], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
    try:
        d.wait_spawned("svc")
        holds_for(lambda: start.poll() is None and info(d, "svc")["statename"] == "STARTING", 0.5,
                  what="start waits for READY=1")
        worst = 0.0
        for _ in range(10):
            t0 = time.monotonic()
            rpc(d).supervisor.getAllProcessInfo()
            worst = max(worst, time.monotonic() - t0)
        assert worst < 0.05, f"status took {worst * 1000:.1f} ms while svc waits"
        flag.write_text("")
        out, _ = start.communicate(timeout=10)
    finally:
        if start.poll() is None:
            start.kill()
            start.wait()
    assert "svc: started" in out, out
    assert d.state_of("svc") == "RUNNING"
    assert "svc: stopped" in d.ctl("stop", "svc").stdout
    assert "svc: started" in d.ctl("start", "svc").stdout      # the flag is there: ready at once
