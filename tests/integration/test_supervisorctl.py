# SPDX-License-Identifier: MIT
"""The real /usr/bin/supervisorctl against corrald: every command of compat F.2 prints what
supervisord 4.2.5 printed in the wire/ traces and exits with the same code."""
import os
import re
import signal
import socket
import subprocess
import time

import pytest

from conftest import SUPERVISORCTL, wait_until

PROGRAMS = """
[program:sleeper]
command=/bin/sleep 1000
startsecs=1

[program:quick]
command=/bin/sh -c "echo quick-start; exit 3"
startsecs=1
startretries=2

[program:talker]
command=/bin/sh -c 'i=0; while :; do i=$((i+1)); echo "talker line $i"; echo "talker err $i" >&2; sleep 0.1; done'
startsecs=1
"""

RUNNING = r"RUNNING   pid \d+, uptime \d+:\d\d:\d\d"


def line(name, rest):
    return "%-33s%s" % (name, rest)


@pytest.fixture
def sd(corral):
    """corrald with the programs of the wire traces, settled: quick FATAL, the others RUNNING."""
    d = corral.start(PROGRAMS)
    d.wait_state("sleeper", "RUNNING")
    d.wait_state("talker", "RUNNING")
    d.wait_state("quick", "FATAL", timeout=20)
    return d


def run(d, *args, timeout=30):
    return d.ctl(*args, timeout=timeout)


def test_status(sd):
    r = run(sd, "status")
    assert r.returncode == 3
    lines = r.stdout.splitlines()
    assert lines[0] == line("quick", "FATAL     Exited too quickly (process log may have details)")
    assert re.fullmatch(r"sleeper {26}" + RUNNING, lines[1]), lines[1]
    assert re.fullmatch(r"talker {27}" + RUNNING, lines[2]), lines[2]
    assert len(lines) == 3
    r = run(sd, "status", "sleeper")
    assert r.returncode == 0 and re.fullmatch(r"sleeper {26}" + RUNNING + "\n", r.stdout)
    r = run(sd, "status", "bogus")
    assert (r.returncode, r.stdout) == (4, "bogus: ERROR (no such process)\n")
    r = run(sd, "status", "bogus:*")
    assert (r.returncode, r.stdout) == (4, "bogus: ERROR (no such group)\n")


def test_start_stop_restart(sd):
    r = run(sd, "start", "sleeper")
    assert (r.returncode, r.stdout) == (0, "sleeper: ERROR (already started)\n")
    r = run(sd, "start", "bogus")
    assert (r.returncode, r.stdout) == (1, "bogus: ERROR (no such process)\n")
    r = run(sd, "start", "quick")
    assert (r.returncode, r.stdout) == (7, "quick: ERROR (spawn error)\n")
    r = run(sd, "start")
    assert r.returncode == 2
    r = run(sd, "stop", "sleeper")
    assert (r.returncode, r.stdout) == (0, "sleeper: stopped\n")
    r = run(sd, "stop", "sleeper")
    assert (r.returncode, r.stdout) == (0, "sleeper: ERROR (not running)\n")
    r = run(sd, "status", "sleeper")
    assert r.returncode == 3
    assert re.fullmatch(r"sleeper {26}STOPPED   \w{3} \d\d \d\d:\d\d [AP]M\n", r.stdout), r.stdout
    t0 = time.monotonic()
    r = run(sd, "start", "sleeper")
    assert (r.returncode, r.stdout) == (0, "sleeper: started\n")
    assert time.monotonic() - t0 >= 1.0, "start returned before startsecs"
    r = run(sd, "restart", "sleeper")
    assert (r.returncode, r.stdout) == (0, "sleeper: stopped\nsleeper: started\n")
    r = run(sd, "stop", "all")
    assert r.returncode == 0
    assert sorted(r.stdout.splitlines()) == ["sleeper: stopped", "talker: stopped"]
    r = run(sd, "start", "all")
    assert r.returncode == 7
    assert sorted(r.stdout.splitlines()) == ["quick: ERROR (spawn error)", "sleeper: started", "talker: started"]


def test_groups(corral):
    d = corral.start("""
[program:worker]
command=/bin/sleep 1000
numprocs=2
numprocs_start=1
process_name=%(program_name)s_%(process_num)02d
autostart=false
startsecs=0

[program:newprog]
command=/bin/sleep 500
startsecs=0

[group:grp]
programs=worker,newprog
priority=500
""")
    d.wait_state("grp:newprog", "RUNNING")
    r = d.ctl("status")
    assert r.returncode == 3
    assert r.stdout.splitlines()[1:] == [line("grp:worker_01", "STOPPED   Not started"),
                                          line("grp:worker_02", "STOPPED   Not started")]
    r = d.ctl("start", "grp:*")
    assert (r.returncode, r.stdout) == (0, "grp:worker_01: started\ngrp:worker_02: started\n")
    r = d.ctl("start", "grp")
    assert (r.returncode, r.stdout) == (1, "grp: ERROR (no such process)\n")
    r = d.ctl("start", "nogrp:*")
    assert (r.returncode, r.stdout) == (2, "nogrp: ERROR (no such group)\n")
    r = d.ctl("stop", "grp:worker_01")
    assert (r.returncode, r.stdout) == (0, "grp:worker_01: stopped\n")
    r = d.ctl("status", "grp:*")
    assert r.returncode == 3 and len(r.stdout.splitlines()) == 3
    r = d.ctl("stop", "grp:*")
    assert r.returncode == 0
    assert sorted(r.stdout.splitlines()) == ["grp:newprog: stopped", "grp:worker_02: stopped"]
    r = d.ctl("avail")
    assert r.stdout.splitlines() == [
        "%-32s %-9s %-9s %s" % ("grp:newprog", "in use", "auto", "500:999"),
        "%-32s %-9s %-9s %s" % ("grp:worker_01", "in use", "manual", "500:999"),
        "%-32s %-9s %-9s %s" % ("grp:worker_02", "in use", "manual", "500:999"),
    ]


def test_signal(sd):
    r = run(sd, "signal", "HUP", "talker")
    assert (r.returncode, r.stdout) == (0, "talker: signalled\n")
    r = run(sd, "signal", "FOO", "talker")
    assert (r.returncode, r.stdout) == (1, "talker: ERROR (bad signal name)\n")
    r = run(sd, "signal", "HUP", "quick")
    assert (r.returncode, r.stdout) == (7, "quick: ERROR (not running)\n")
    r = run(sd, "signal", "HUP", "bogus")
    assert (r.returncode, r.stdout) == (1, "bogus: ERROR (no such process)\n")


def test_pid(sd):
    r = run(sd, "pid")
    assert (r.returncode, r.stdout) == (0, f"{sd.pid}\n")
    r = run(sd, "pid", "sleeper")
    assert r.returncode == 0 and int(r.stdout) > 0
    r = run(sd, "pid", "quick")
    assert (r.returncode, r.stdout) == (7, "0\n")
    r = run(sd, "pid", "bogus")
    assert (r.returncode, r.stdout) == (1, "No such process bogus\n")
    r = run(sd, "pid", "all")
    pids = r.stdout.split()
    assert r.returncode == 0 and len(pids) == 3 and pids[0] == "0"


def consecutive(text, what):
    nums = [int(x) for x in re.findall(what + r" (\d+)\n", text)]
    return nums and nums == list(range(nums[0], nums[0] + len(nums))) and len(nums)


def test_tail(sd):
    wait_until(lambda: (consecutive(run(sd, "tail", "talker").stdout, "talker line") or 0) >= 12,
               timeout=30, what="talker output")
    r = run(sd, "tail", "talker")
    assert r.returncode == 0
    assert r.stdout.endswith("\n\n") and len(r.stdout) <= 1601
    assert consecutive(r.stdout, "talker line") >= 12
    r = run(sd, "tail", "-40", "talker")
    assert r.returncode == 0 and len(r.stdout) == 41
    r = run(sd, "tail", "talker", "stderr")
    assert r.returncode == 0 and consecutive(r.stdout, "talker err") >= 12
    assert "talker line" not in r.stdout
    r = run(sd, "tail", "bogus")
    assert (r.returncode, r.stdout) == (1, "bogus: ERROR (no such process name)\n")
    r = run(sd, "tail", "quick")
    assert r.returncode == 0 and r.stdout.startswith("quick-start\n")


def follow(d, *args, seconds=2.0, until=None, enough=None):
    """Run a streaming ctl command, stop it with SIGINT like the traces did, return stdout."""
    p = subprocess.Popen([SUPERVISORCTL, "-c", d.conf, *args], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    os.set_blocking(p.stdout.fileno(), False)
    out = b""
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline and p.poll() is None:
            chunk = p.stdout.read()
            if chunk:
                out += chunk
                if until and until in out:
                    break
                if enough and enough(out):
                    break
            time.sleep(0.02)
    finally:
        if p.poll() is None:
            p.send_signal(signal.SIGINT)
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    rest = p.stdout.read()
    return (out + (rest or b"")).decode(errors="replace"), p.stderr.read().decode()


def test_tail_f(sd):
    out, _ = follow(sd, "tail", "-f", "talker", seconds=10, until=b"talker line")
    assert out.startswith("==> Press Ctrl-C to exit <==\n")
    # it keeps following: lines appear that were not written yet when it started
    start = len(run(sd, "tail", "talker").stdout)
    out, _ = follow(sd, "tail", "-f", "talker", seconds=20,
                    enough=lambda o: len(re.findall(rb"talker line \d+\n", o)) >= 40)
    nums = [int(x) for x in re.findall(r"talker line (\d+)\n", out)]
    assert len(nums) >= 10 and nums == list(range(nums[0], nums[0] + len(nums)))
    assert start
    out, _ = follow(sd, "tail", "-f", "talker", "stderr", seconds=10, until=b"talker err")
    assert "talker err" in out
    out, err = follow(sd, "tail", "-f", "bogus", seconds=10)
    assert "Cannot read, status code 404" in err


def test_maintail(sd):
    r = run(sd, "maintail")
    assert r.returncode == 0 and "spawned: 'sleeper'" in r.stdout and r.stdout.endswith("\n\n")
    r = run(sd, "maintail", "-200")
    assert r.returncode == 0 and len(r.stdout) == 201
    p = subprocess.Popen([SUPERVISORCTL, "-c", sd.conf, "maintail", "-f"], stdout=subprocess.PIPE)
    try:
        os.set_blocking(p.stdout.fileno(), False)
        out = b""
        # Connected once the stream carries the log's tail after its header: from then on the
        # stop line must come through the follow, not through that initial tail.
        header = b"==> Press Ctrl-C to exit <==\n"

        def streaming():
            nonlocal out
            out += p.stdout.read() or b""
            return len(out) > len(header) and out.startswith(header)
        wait_until(streaming, 10, interval=0.02, what="maintail -f streaming")
        run(sd, "stop", "sleeper")
        deadline = time.monotonic() + 10
        while b"stopped: sleeper" not in out and time.monotonic() < deadline:
            out += p.stdout.read() or b""
            time.sleep(0.05)
    finally:
        p.send_signal(signal.SIGINT)
        p.wait(5)
    assert out.startswith(b"==> Press Ctrl-C to exit <==\n")
    assert b"stopped: sleeper" in out


def test_clear(sd):
    r = run(sd, "clear", "talker")
    assert (r.returncode, r.stdout) == (0, "talker: cleared\n")
    r = run(sd, "clear", "all")
    assert r.returncode == 0
    assert r.stdout == "quick: cleared\nsleeper: cleared\ntalker: cleared\n"
    r = run(sd, "clear", "bogus")
    assert (r.returncode, r.stdout) == (1, "bogus: ERROR (no such process)\n")


def test_avail_reread_update_add_remove(sd):
    r = run(sd, "avail")
    assert r.stdout.splitlines() == ["%-32s %-9s %-9s %s" % (n, "in use", "auto", "999:999")
                                     for n in ("quick", "sleeper", "talker")]
    r = run(sd, "reread")
    assert (r.returncode, r.stdout) == (0, "No config updates to processes\n")
    r = run(sd, "update")
    assert (r.returncode, r.stdout) == (0, "")
    text = open(sd.conf).read()
    text = text.replace("/bin/sleep 1000", "/bin/sleep 2000")
    text = text.replace("[program:quick]\ncommand=/bin/sh -c \"echo quick-start; exit 3\"\nstartsecs=1\nstartretries=2\n",
                        "[program:newprog]\ncommand=/bin/sleep 500\nstartsecs=0\n")
    with open(sd.conf, "w") as f:
        f.write(text)
    r = run(sd, "reread")
    assert (r.returncode, r.stdout) == (0, "newprog: available\nquick: disappeared\nsleeper: changed\n")
    r = run(sd, "update")
    assert r.returncode == 0
    assert r.stdout == ("quick: stopped\nquick: removed process group\nsleeper: stopped\n"
                        "sleeper: updated process group\nnewprog: added process group\n")
    sd.wait_state("newprog", "RUNNING")
    r = run(sd, "add", "newprog")
    assert (r.returncode, r.stdout) == (0, "ERROR: process group already active\n")
    r = run(sd, "add", "bogus")
    assert (r.returncode, r.stdout) == (1, "ERROR: no such process/group: bogus\n")
    r = run(sd, "remove", "newprog")
    assert (r.returncode, r.stdout) == (1, "ERROR: process/group still running: newprog\n")
    r = run(sd, "stop", "newprog")
    assert (r.returncode, r.stdout) == (0, "newprog: stopped\n")
    r = run(sd, "remove", "newprog")
    assert (r.returncode, r.stdout) == (0, "newprog: removed process group\n")
    r = run(sd, "remove", "bogus")
    assert (r.returncode, r.stdout) == (1, "ERROR: no such process/group: bogus\n")
    r = run(sd, "add", "newprog")
    assert (r.returncode, r.stdout) == (0, "newprog: added process group\n")
    with open(sd.conf, "a") as f:
        f.write("\n[program:broken\n")
    r = run(sd, "reread")
    assert r.returncode == 1 and r.stdout.startswith("ERROR: CANT_REREAD: ")


def test_version(sd):
    r = run(sd, "version")
    assert (r.returncode, r.stdout) == (0, "4.2.5\n")


def test_reload_keeps_pid(sd):
    r = run(sd, "reload")
    assert (r.returncode, r.stdout) == (0, "Restarted supervisord\n")
    sd.wait_state("sleeper", "RUNNING")
    assert run(sd, "pid").stdout == f"{sd.pid}\n"


def test_shutdown(sd):
    r = run(sd, "shutdown")
    assert (r.returncode, r.stdout) == (0, "Shut down\n")
    assert sd.wait_exit(30) == 0
    assert not os.path.exists(sd.sock)
    r = run(sd, "shutdown")
    assert r.returncode == 1
    assert r.stdout == f"ERROR: unix://{sd.sock} no such file (already shut down?)\n"
    r = run(sd, "status")
    assert (r.returncode, r.stdout) == (4, f"unix://{sd.sock} no such file\n")
    r = run(sd, "pid")
    assert r.returncode == 7


def test_socket_refused(tmp_path):
    dead = str(tmp_path / "dead.sock")
    s = socket.socket(socket.AF_UNIX)
    s.bind(dead)
    s.close()
    conf = tmp_path / "dead.conf"
    conf.write_text(f"[supervisorctl]\nserverurl=unix://{dead}\n")
    r = subprocess.run([SUPERVISORCTL, "-c", str(conf), "status"], capture_output=True, text=True, timeout=30)
    assert (r.returncode, r.stdout) == (4, f"unix://{dead} refused connection\n")


def test_auth_failures(corral, tmp_path):
    d = corral.start(f"""
[unix_http_server]
file={tmp_path}/corral.sock
username=alice
password={{SHA}}e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4

[supervisorctl]
serverurl=unix://{tmp_path}/corral.sock
username=alice
password=secret

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[program:sleeper]
command=/bin/sleep 1000
startsecs=0
""")
    r = d.ctl("status")
    assert r.returncode == 0, r.stdout
    expected = ("Server requires authentication\n"
                "error: <class 'xmlrpc.client.ProtocolError'>, <ProtocolError for 127.0.0.1/RPC2: "
                "401 Unauthorized>: file: /usr/lib/python3/dist-packages/supervisor/xmlrpc.py line: 539\n")
    for extra in (("-p", "wrong"), ("-u", "bob")):
        r = subprocess.run([SUPERVISORCTL, "-c", d.conf, *extra, "status"], capture_output=True,
                           text=True, timeout=30)
        assert (r.returncode, r.stdout) == (1, expected)
    conf = tmp_path / "nocreds.conf"
    conf.write_text(f"[supervisorctl]\nserverurl=unix://{tmp_path}/corral.sock\n")
    r = subprocess.run([SUPERVISORCTL, "-c", str(conf), "status"], capture_output=True, text=True, timeout=30)
    assert (r.returncode, r.stdout) == (1, expected)
    r = subprocess.run([SUPERVISORCTL, "-c", str(conf), "tail", "-f", "sleeper"], capture_output=True,
                       text=True, timeout=30)
    assert (r.returncode, r.stdout) == (1, expected)
    r = d.ctl("shutdown")
    assert (r.returncode, r.stdout) == (0, "Shut down\n")
    assert d.wait_exit(30) == 0         # wait for the exit this test caused


def test_stray_byte_in_a_spawn_error_keeps_replies_well_formed(corral):
    """A byte that is not UTF-8 in a spawn error (here from the command path) must not make the
    XML-RPC reply ill-formed: the real supervisorctl parses it and sees U+FFFD."""
    d = corral.start("""
        [program:bad]
        command=%(ENV_BADCMD)s
        startretries=0
    """, env={"BADCMD": "/nonexistent/a\udcffb"})     # surrogateescape: a raw 0xff byte
    d.wait_state("bad", "FATAL")
    r = d.ctl("status", "bad")
    assert r.returncode == 3, r.stdout + r.stderr
    assert "can't find command" in r.stdout and "\ufffd" in r.stdout, r.stdout
