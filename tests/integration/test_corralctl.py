# SPDX-License-Identifier: MIT
"""corralctl against the real supervisorctl: same stdout, same exit status, for every command.

Each test runs twice: against corrald (conftest's `corral` fixture) and against the real
supervisord 4.2.5 (a local fixture below), so the client is checked on its own even while the
daemon is incomplete, and the daemon is checked through both clients.
"""
import json
import os
import re
import signal
import socket
import subprocess
import textwrap
import time

import pytest

from conftest import CORRALCTL, SUPERVISORCTL, asks_shutdown, wait_until

SUPERVISORD = "/usr/bin/supervisord"


class RealSupervisord:
    """The real supervisord in a temp dir, with the same config shape conftest gives corrald."""

    def __init__(self, tmp_path, config_text):
        self.dir = str(tmp_path)
        self.sock = os.path.join(self.dir, "sd.sock")
        self.conf = os.path.join(self.dir, "sd.conf")
        text = textwrap.dedent(config_text)
        if "[supervisord]" not in text:
            text = (f"[supervisord]\nlogfile={self.dir}/supervisord.log\npidfile={self.dir}/sd.pid\n"
                    f"childlogdir={self.dir}\n\n") + text
        if "[unix_http_server]" not in text and "[inet_http_server]" not in text:
            text += (f"\n[unix_http_server]\nfile={self.sock}\n\n[supervisorctl]\n"
                     f"serverurl=unix://{self.sock}\n\n[rpcinterface:supervisor]\n"
                     "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n")
        m = re.search(r"^\[unix_http_server\]\s*\nfile=(\S+)", text, re.M)
        if m:
            self.sock = m.group(1)
        with open(self.conf, "w") as f:
            f.write(text)
        self.out = open(os.path.join(self.dir, "sd.out"), "wb")
        self.proc = subprocess.Popen([SUPERVISORD, "-n", "-c", self.conf], stdin=subprocess.DEVNULL,
                                     stdout=self.out, stderr=subprocess.STDOUT, cwd=self.dir)
        self.pid = self.proc.pid

    def ctl(self, *args, timeout=30, input=None):
        return subprocess.run([SUPERVISORCTL, "-c", self.conf, *args], capture_output=True,
                              text=True, timeout=timeout, input=input)

    def corralctl(self, *args, timeout=30, input=None):
        return subprocess.run([CORRALCTL, "-c", self.conf, *args], capture_output=True, text=True,
                              timeout=timeout, input=input)

    def status(self):
        out = {}
        for line in self.ctl("status").stdout.splitlines():
            parts = line.split(None, 2)
            if len(parts) >= 2:
                out[parts[0]] = parts[1]
        return out

    def wait_state(self, name, state, timeout=15.0):
        return wait_until(lambda: self.status().get(name) == state, timeout, interval=0.05,
                          what=f"{name} -> {state}")

    def wait_exit(self, timeout=30.0):
        return self.proc.wait(timeout)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.out.close()


class CorralBackend:
    """Adapts conftest's Corrald to the small interface the tests use."""

    def __init__(self, d):
        self.d = d
        self.conf = d.conf
        self.sock = d.sock
        self.dir = d.dir
        self.pid = d.pid
        self.proc = d.proc

    def wait_exit(self, timeout=30.0):
        return self.d.wait_exit(timeout)

    def ctl(self, *args, timeout=30, input=None):
        if asks_shutdown(args):
            self.d.expect_exit()
        return subprocess.run([SUPERVISORCTL, "-c", self.conf, *args], capture_output=True,
                              text=True, timeout=timeout, input=input)

    def corralctl(self, *args, timeout=30, input=None):
        if asks_shutdown(args):
            self.d.expect_exit()
        return subprocess.run([CORRALCTL, "-c", self.conf, *args], capture_output=True, text=True,
                              timeout=timeout, input=input)

    def status(self):
        return {k: v[0] for k, v in self.d.status().items()}

    def wait_state(self, name, state, timeout=15.0):
        return self.d.wait_state(name, state, timeout)


@pytest.fixture(params=["supervisord", "corrald"])
def daemon(request, tmp_path):
    """daemon(config_text) → a running backend (real supervisord or corrald), with its socket up."""
    started = []
    corral = request.getfixturevalue("corral") if request.param == "corrald" else None

    def start(config_text):
        if corral is not None:
            return CorralBackend(corral.start(config_text))
        sd = RealSupervisord(tmp_path, config_text)
        started.append(sd)
        def listening():
            # supervisord creates the socket file before it listens: wait for a real connect.
            if sd.proc.poll() is not None:
                return True
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(sd.sock)
                return True
            except OSError:
                return False
            finally:
                s.close()
        wait_until(listening, 15, what="supervisord listening")
        assert sd.proc.poll() is None, "supervisord did not start"
        return sd

    yield start
    for sd in started:
        sd.stop()


PROGRAMS = """
[program:sleeper]
command=/bin/sleep 1000
startsecs=0

[program:talker]
command=/bin/sh -c 'i=0; while true; do i=$((i+1)); echo "talker line $i"; echo "err $i" >&2; sleep 0.2; done'
startsecs=0

[program:quick]
command=/bin/false
startretries=0
startsecs=1

[program:manual]
command=/bin/sleep 1000
autostart=false
startsecs=0

[group:g]
programs=ga,gb

[program:ga]
command=/bin/sleep 1000
startsecs=0

[program:gb]
command=/bin/sleep 1000
startsecs=0
"""


def norm(text):
    """Mask what legitimately differs between two runs: pids, uptimes, stop times."""
    text = re.sub(r"pid \d+, uptime [\d:]+( days?, [\d:]+)?", "pid N, uptime T", text)
    text = re.sub(r"^\d+$", "N", text, flags=re.M)
    text = re.sub(r"[A-Z][a-z]{2} \d\d \d\d:\d\d [AP]M", "DATE", text)
    return text


def same(b, *args, setup=None, normalize=True, input=None, unordered=False):
    """Run args with both clients (setup() before each) and assert equal stdout and exit status.
    unordered: the lines' order is the server's choice (equal priorities), compare them sorted."""
    if setup:
        setup()
    a = b.ctl(*args, input=input)
    if setup:
        setup()
    c = b.corralctl(*args, input=input)
    fa, fc = (norm(a.stdout), norm(c.stdout)) if normalize else (a.stdout, c.stdout)
    if unordered:
        fa, fc = sorted(fa.splitlines()), sorted(fc.splitlines())
    assert (fc, c.returncode) == (fa, a.returncode), \
        f"{args}: supervisorctl rc={a.returncode}\n{a.stdout}{a.stderr}\n--- corralctl rc={c.returncode}\n{c.stdout}{c.stderr}"
    return c


def settle(b):
    b.wait_state("sleeper", "RUNNING")
    b.wait_state("g:gb", "RUNNING")
    b.wait_state("quick", "FATAL")


def test_status_and_queries(daemon):
    b = daemon(PROGRAMS)
    settle(b)
    for args in (["status"], ["status", "sleeper"], ["status", "g:*"], ["status", "g:ga", "nosuch"],
                 ["status", "nosuch:*"], ["status", "all"], ["status", "sleeper", "quick"],
                 ["pid", "sleeper"], ["pid", "manual"], ["pid", "nosuch"], ["pid", "all"],
                 ["version"], ["version", "x"], ["avail"], ["reread"]):
        same(b, *args)
    r = b.corralctl("pid")
    assert r.returncode == 0 and int(r.stdout) == b.pid


def test_usage_errors_and_help(daemon):
    b = daemon(PROGRAMS)
    for args in (["help"], ["help", "start"], ["help", "tail"], ["help", "help"], ["help", "nope"],
                 ["nope"], ["nope-x", "y"], ["start"], ["stop"], ["restart"], ["clear"], ["signal"],
                 ["signal", "HUP"], ["tail"], ["tail", "-x", "talker"], ["tail", "talker", "sideways"],
                 ["tail", "a", "b", "c", "d"], ["maintail", "x"], ["maintail", "-1", "-2"],
                 ["avail", "x"], ["reread", "x"], ["shutdown", "x"], ["reload", "x"]):
        same(b, *args)


# The signals below kill the sleeps; each client signals in turn, so the second one needs them back
# at once: backoff_reset=0 is supervisord's restart at once after RUNNING (supervisord ignores the
# key). corrald's default would hold them in BACKOFF for a second, with nothing to signal.
AT_ONCE = PROGRAMS.replace("startsecs=0\n", "startsecs=0\nbackoff_reset=0\n")


def test_start_stop_restart_signal(daemon):
    b = daemon(AT_ONCE)
    settle(b)
    ctl = b.ctl
    same(b, "stop", "sleeper", setup=lambda: ctl("start", "sleeper"))
    same(b, "stop", "sleeper")                                    # not running: ERROR, rc 0
    same(b, "start", "sleeper", setup=lambda: ctl("stop", "sleeper"))
    same(b, "start", "sleeper")                                   # already started: rc 0
    same(b, "restart", "sleeper")
    same(b, "start", "quick")                                     # spawn error: rc 7
    same(b, "start", "nosuch")
    same(b, "start", "nosuch:*")                                  # no such group: rc 2
    same(b, "start", "g")                                         # bare group name: no such process
    same(b, "stop", "g:*", setup=lambda: ctl("start", "g:*"), unordered=True)
    same(b, "start", "g:*", setup=lambda: ctl("stop", "g:*"), unordered=True)
    same(b, "restart", "g:*", unordered=True)
    same(b, "stop", "nosuch:*")
    same(b, "signal", "HUP", "sleeper")
    same(b, "signal", "USR1", "g:*", unordered=True)
    same(b, "signal", "BOGUS", "sleeper")
    same(b, "signal", "HUP", "quick")                             # not running: rc 7
    same(b, "signal", "HUP", "nosuch", "nosuch:*")
    same(b, "stop", "manual")


def test_start_stop_all(daemon):
    b = daemon(PROGRAMS)
    settle(b)
    # result order among equal priorities is the server's; compare as sets of lines
    for args, setup in ((["stop", "all"], ["start", "all"]), (["start", "all"], ["stop", "all"])):
        b.ctl(*setup)
        a = b.ctl(*args)
        b.ctl(*setup)
        c = b.corralctl(*args)
        assert c.returncode == a.returncode
        assert sorted(c.stdout.splitlines()) == sorted(a.stdout.splitlines())


def test_tail_maintail_clear(daemon):
    b = daemon(PROGRAMS)
    settle(b)
    wait_until(lambda: "talker line 3" in b.ctl("tail", "talker").stdout, what="talker output")
    b.ctl("stop", "talker")      # freeze the log so both clients read the same bytes
    for args in (["tail", "talker"], ["tail", "-20", "talker"], ["tail", "talker", "stderr"],
                 ["tail", "-5", "talker", "STDERR"], ["tail", "nosuch"], ["tail", "manual"],
                 ["clear", "nosuch"], ["clear", "g:*"], ["clear", "talker", "sleeper"],
                 ["tail", "talker"], ["clear", "all"]):
        same(b, *args, normalize=False, unordered=args[0] == "clear")
    r = b.corralctl("maintail", "-200")
    assert r.returncode == 0 and r.stdout.endswith("\n")
    same(b, "maintail", "bad")


def test_tail_follow(daemon):
    b = daemon(PROGRAMS)
    settle(b)
    p = subprocess.Popen([CORRALCTL, "-c", b.conf, "tail", "-f", "talker"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        first = p.stdout.readline().decode()
        assert first == "==> Press Ctrl-C to exit <==\n"
        seen = set()
        deadline = time.monotonic() + 10
        while len(seen) < 3 and time.monotonic() < deadline:
            line = p.stdout.readline().decode()
            if line.startswith("talker line"):
                seen.add(line)
        assert len(seen) >= 3, "tail -f did not stream new lines"
        p.send_signal(signal.SIGINT)
        assert p.wait(10) == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        p.stdout.close()
        p.stderr.close()
    r = b.corralctl("tail", "-f", "nosuch", timeout=10)
    assert r.returncode == 0
    assert "Cannot read, status code 404" in r.stderr


def test_reread_update_add_remove(daemon):
    b = daemon(PROGRAMS)
    settle(b)
    same(b, "update")                                            # no changes: prints nothing
    same(b, "remove", "sleeper")                                 # still running
    same(b, "remove", "nosuch")
    same(b, "add", "nosuch")
    same(b, "add", "sleeper")                                    # already active: rc 0
    same(b, "remove", "manual", setup=lambda: b.ctl("add", "manual"))
    same(b, "add", "manual", setup=lambda: b.ctl("remove", "manual"))
    with open(b.conf) as f:
        orig = f.read()
    edited = orig.replace("command=/bin/sleep 1000\nstartsecs=0\n\n[program:talker]",
                          "command=/bin/sleep 1001\nstartsecs=0\n\n[program:talker]")
    edited = edited.replace("[program:manual]", "[program:newp]\ncommand=/bin/sleep 1000\n\n[program:manual_gone]")
    assert edited != orig
    with open(b.conf, "w") as f:
        f.write(edited)
    same(b, "reread")
    # --dry-run says what update would do and changes nothing
    before = b.status()
    r = b.corralctl("update", "--dry-run")
    assert r.returncode == 0
    assert r.stdout.splitlines() == ["manual: would stop and remove process group",
                                     "sleeper: would stop and update process group",
                                     "manual_gone: would add process group",
                                     "newp: would add process group"]
    assert b.status().keys() == before.keys()
    r = b.corralctl("update", "--dry-run", "sleeper", "nosuch")
    assert r.returncode == 1
    assert r.stdout.splitlines() == ["ERROR: no such group: nosuch",
                                     "sleeper: would stop and update process group"]

    def to_edited():
        with open(b.conf, "w") as f:
            f.write(orig)
        b.ctl("update")
        with open(b.conf, "w") as f:
            f.write(edited)
    same(b, "update", setup=to_edited)
    same(b, "update", "nosuch", "sleeper", setup=to_edited)
    same(b, "avail")


def test_json(daemon):
    b = daemon(PROGRAMS)
    settle(b)
    r = b.corralctl("--json", "status")
    st = json.loads(r.stdout)
    assert r.returncode == 3
    assert [x["name"] for x in st] == ["g:ga", "g:gb", "manual", "quick", "sleeper", "talker"]
    by = {x["name"]: x for x in st}
    assert by["sleeper"]["state"] == "RUNNING" and by["sleeper"]["statecode"] == 20
    assert by["sleeper"]["pid"] == int(b.ctl("pid", "sleeper").stdout)
    assert by["quick"]["state"] == "FATAL" and by["quick"]["pid"] == 0
    assert by["g:ga"]["group"] == "g" and by["g:ga"]["process"] == "ga"

    r = b.corralctl("--json", "status", "sleeper", "nosuch")
    assert r.returncode == 4 and "nosuch: ERROR (no such process)" in r.stderr
    assert [x["name"] for x in json.loads(r.stdout)] == ["sleeper"]

    r = b.corralctl("--json", "pid")
    assert json.loads(r.stdout) == {"supervisord": b.pid}
    r = b.corralctl("--json", "pid", "all")
    pids = json.loads(r.stdout)
    assert pids["manual"] == 0 and pids["sleeper"] == by["sleeper"]["pid"]
    r = b.corralctl("--json", "pid", "sleeper", "nosuch")
    assert r.returncode == 1 and json.loads(r.stdout) == {"sleeper": by["sleeper"]["pid"]}

    av = json.loads(b.corralctl("--json", "avail").stdout)
    assert {x["name"]: (x["inuse"], x["autostart"]) for x in av}["manual"] == (True, False)
    assert json.loads(b.corralctl("--json", "reread").stdout) == {"added": [], "changed": [], "removed": []}


ODD = r"""
[program:odd]
command='/nonexistent/a"b\c'
startretries=0
startsecs=0
"""


def test_json_unusual_strings(daemon):
    # a spawnerr (and so the FATAL description) holding a quote and a backslash must still come
    # out as JSON that parses, with the same string inside
    b = daemon(ODD)
    b.wait_state("odd", "FATAL")
    r = b.corralctl("--json", "status")
    st = json.loads(r.stdout)
    assert [x["name"] for x in st] == ["odd"]
    # (supervisord writes the path with %r, so its backslash comes doubled)
    assert '/nonexistent/a"b\\' in st[0]["spawnerr"] and st[0]["spawnerr"].endswith("c'")
    assert st[0]["description"] == st[0]["spawnerr"]
    assert json.loads(b.corralctl("--json", "pid", "all").stdout) == {"odd": 0}

def test_interactive_shell(daemon):
    b = daemon(PROGRAMS)
    settle(b)
    same(b, input="status sleeper\nnope\npid nosuch\nhelp stop\n")
    same(b, "-i", "reload", input="n\n")                          # asks, "n": nothing happens


def test_auth(daemon, tmp_path):
    sock = os.path.join(str(tmp_path), "auth.sock")
    b = daemon(PROGRAMS.split("[group:g]")[0] + f"""
[unix_http_server]
file={sock}
username=bob
password={{SHA}}6367c48dd193d56ea7b0baad25b19455e529f5ee

[supervisorctl]
serverurl=unix://{sock}
username=bob
password=abc123

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
""")
    wait_until(lambda: b.ctl("status", "sleeper").returncode == 0, what="auth daemon up")
    same(b, "status", "sleeper")
    same(b, "-p", "wrong", "status")          # 401: "Server requires authentication", rc 1
    same(b, "-p", "wrong", "reread")
    same(b, "-u", "eve", "pid")


def test_connection_errors(tmp_path):
    d = str(tmp_path)
    conf = os.path.join(d, "c.conf")
    dead = os.path.join(d, "dead.sock")
    import socket
    s = socket.socket(socket.AF_UNIX)
    s.bind(dead)                              # a socket file nobody listens on: ECONNREFUSED
    try:
        for url in (f"unix://{d}/missing.sock", f"unix://{dead}", "http://127.0.0.1:1"):
            with open(conf, "w") as f:
                f.write(f"[supervisorctl]\nserverurl={url}\n")
            for args in (["status"], ["pid"], ["start", "x"], ["reread"], ["shutdown"], ["tail", "x"],
                         ["version"], ["avail"]):
                a = subprocess.run([SUPERVISORCTL, "-c", conf, *args], capture_output=True, text=True)
                c = subprocess.run([CORRALCTL, "-c", conf, *args], capture_output=True, text=True)
                assert (c.stdout, c.returncode) == (a.stdout, a.returncode), (url, args)
        # usage errors: exit 2 with the message on stderr
        for args in (["-c", os.path.join(d, "nope.conf"), "status"], ["-s", "x", "status"], ["-z"]):
            a = subprocess.run([SUPERVISORCTL, *args], capture_output=True, text=True)
            c = subprocess.run([CORRALCTL, *args], capture_output=True, text=True)
            assert c.returncode == a.returncode == 2
            assert c.stderr.splitlines()[0] == a.stderr.splitlines()[0]
        with open(conf, "w") as f:
            f.write("[supervisord]\n")
        a = subprocess.run([SUPERVISORCTL, "-c", conf, "status"], capture_output=True, text=True)
        c = subprocess.run([CORRALCTL, "-c", conf, "status"], capture_output=True, text=True)
        assert c.returncode == a.returncode == 2
        assert c.stderr.splitlines()[0] == a.stderr.splitlines()[0]
    finally:
        s.close()


def test_shutdown(daemon):
    b = daemon(PROGRAMS)
    settle(b)
    r = b.corralctl("shutdown")
    assert (r.stdout, r.returncode) == ("Shut down\n", 0)
    b.wait_exit(30)                           # the exit this test caused (corrald's: status 0)
    same(b, "shutdown")                       # "ERROR: … (already shut down?)", rc 1
    same(b, "status")                         # no such file: rc 4


def test_status_of_1000_programs(daemon):
    progs = "".join(f"[program:p{i:04d}]\ncommand=/bin/sleep 1000\nautostart=false\n\n"
                    for i in range(1000))
    b = daemon(progs)
    wait_until(lambda: b.ctl("pid").returncode == 0, what="daemon up")
    t0 = time.monotonic()
    c = b.corralctl("status")
    elapsed = time.monotonic() - t0
    a = b.ctl("status")
    assert c.returncode == a.returncode == 3
    assert c.stdout == a.stdout
    assert len(c.stdout.splitlines()) == 1000
    print(f"corralctl status of 1000 programs: {elapsed * 1000:.1f} ms")


def test_timeout_on_a_server_that_never_answers(tmp_path):
    """Issue 18: a server that accepts but never answers (a daemon out of fds, a stopped one) must
    not hang corralctl: --timeout (default 10 s) gives up with a clear error."""
    path = str(tmp_path / "silent.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    try:
        t0 = time.monotonic()
        r = subprocess.run([CORRALCTL, "-s", f"unix://{path}", "--timeout", "1", "status"],
                           capture_output=True, text=True, timeout=60)
        took = time.monotonic() - t0
        assert r.returncode != 0
        assert "TimeoutError" in r.stdout + r.stderr, (r.stdout, r.stderr)
        assert took < 30, f"gave up after {took:.1f} s"
        r = subprocess.run([CORRALCTL, "-s", f"unix://{path}", "--timeout", "x", "status"],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 2 and "--timeout" in r.stderr
    finally:
        srv.close()
