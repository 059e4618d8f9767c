# SPDX-License-Identifier: MIT
"""Fault injection (issue 18): fork failing with EAGAIN, allocation failures in the libraries on the
config, reload and request paths, ENOSPC and EIO on capture logs, a stopped daemon while workers
crash, and signal storms. After each fault corrald must answer a control request within a second,
hold no zombie and no orphan (the fixture), and be back to its fd count and (near) its RSS.

fd exhaustion is covered by test_http.py::test_fd_exhaustion_neither_spins_nor_hangs_the_socket."""
import functools
import os
import pty
import re
import resource
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import xmlrpc.client

import pytest

from conftest import BUILD, children_of, fd_count, is_zombie, proc_status, wait_until
from test_update import infos, rpc

SHIM = os.path.join(BUILD, "tests", "libfailalloc.so")
GETSTATE = (b"<?xml version='1.0'?>\n<methodCall>\n<methodName>supervisor.getState</methodName>\n"
            b"<params>\n</params>\n</methodCall>\n")


@functools.lru_cache(maxsize=None)
def asan_build():
    with open(os.path.join(BUILD, "corrald"), "rb") as f:
        return b"__asan_init" in f.read()


def san_env(extra=None):
    """Under ASan, freed memory sits in a quarantine (RSS grows by design): turn it off, so that
    RSS measures what corrald keeps (LeakSanitizer still checks at exit)."""
    env = dict(extra or {})
    asan = os.environ.get("ASAN_OPTIONS", "")
    env["ASAN_OPTIONS"] = (asan + ":" if asan else "") + "quarantine_size_mb=0"
    return env


def rss_kib(pid):
    return int(proc_status(pid)["VmRSS"].split()[0])


def post(body):
    return (b"POST /RPC2 HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml\r\nContent-Length: "
            + str(len(body)).encode() + b"\r\n\r\n" + body)


def exchange(d, data, timeout):
    """Send one request on a fresh connection; what came back before EOF, a full response or the
    timeout (b"": closed without an answer)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(d.sock)
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            return b""                   # closed before reading the request
        buf = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = re.search(rb"(?i)\r\ncontent-length: *(\d+)\r\n", buf)
            end = buf.find(b"\r\n\r\n")
            if m and end >= 0 and len(buf) >= end + 4 + int(m.group(1)):
                break
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            buf += chunk
        return buf
    finally:
        s.close()


def answers(d, limit=1.0):
    """corrald answers getState with RUNNING within `limit` seconds (the issue's liveness bar)."""
    t0 = time.monotonic()
    resp = exchange(d, post(GETSTATE), limit)
    took = time.monotonic() - t0
    assert resp.startswith(b"HTTP/1.1 200 ") and b"<string>RUNNING</string>" in resp, resp[:500]
    assert took < limit, f"getState took {took:.3f} s"
    return took


def wait_states(d, want, timeout=15.0):
    """Wait until each process is in its state (one XML-RPC call per look, no supervisorctl
    start-up per process); returns {name: getProcessInfo struct}."""
    def ok():
        try:
            cur = infos(d)
        except (xmlrpc.client.Fault, OSError):     # mid-reload: SHUTDOWN_STATE, or no socket
            return False
        return all(cur.get(n, {}).get("statename") == s for n, s in want.items()) and cur
    cur = wait_until(ok, timeout, interval=0.05, what=f"states {want} (log:\n{d.log()[-2000:]})")
    d.check()
    return cur


def client_fds(d):
    """corrald's fds that are accepted control connections (connected unix sockets at its socket's
    path): a client that has just closed may still be among them until corrald's next look."""
    with open("/proc/net/unix") as f:          # bound as <sock>.<n>, then renamed into place
        conns = {parts[6] for parts in (line.split() for line in f)
                 if len(parts) == 8 and parts[7].startswith(d.sock + ".") and parts[5] == "03"}
    n = 0
    for fd in os.listdir(f"/proc/{d.pid}/fd"):
        try:
            link = os.readlink(f"/proc/{d.pid}/fd/{fd}")
        except OSError:
            continue
        n += link.startswith("socket:[") and link[8:-1] in conns
    return n


class Baseline:
    """corrald's fd count (without client connections) and RSS now; back() asserts it answers and
    returns to them."""

    def __init__(self, d):
        self.d = d
        answers(d)                    # the first request's allocations are part of the baseline
        self.fds = fd_count(d.pid) - client_fds(d)
        self.rss = rss_kib(d.pid)

    def back(self, rss_slack_kib=None):
        d = self.d
        answers(d)
        d.check()
        # corrald may not have seen the last client's close yet: poll.
        wait_until(lambda: fd_count(d.pid) <= self.fds, 5.0,
                   what=f"fd count back to {self.fds} (now {fd_count(d.pid)})")
        # ASan's allocator grows its size-class regions for a few hundred requests before it is
        # flat (test_update.py measures that); LeakSanitizer checks for leaks at exit there.
        slack = rss_slack_kib or (4096 if asan_build() else 1024)
        rss = rss_kib(d.pid)
        print(f"baseline: fds {self.fds} -> {fd_count(d.pid)}, RSS {self.rss} -> {rss} KiB")
        assert rss <= self.rss + slack, (self.rss, rss)


# --- 1. fork fails with EAGAIN --------------------------------------------------------------------

def uid_in_use(uid):
    for p in os.listdir("/proc"):
        st = proc_status(int(p)) if p.isdigit() else None
        if st and int(st["Uid"].split()[0]) == uid:
            return True
    return False


@pytest.fixture
def nobody_dir():
    """A directory a throwaway uid can write: root ignores RLIMIT_NPROC, so the daemon runs as a
    uid of its own (no passwd entry needed), one that runs no process now (NPROC counts them)."""
    uid = 40000 + os.getpid() % 20000
    while uid_in_use(uid):
        uid += 1
    path = tempfile.mkdtemp(prefix="corral-nproc-", dir="/tmp")
    os.chown(path, uid, uid)
    yield path, uid
    shutil.rmtree(path, ignore_errors=True)


def hard_nproc():
    h = resource.getrlimit(resource.RLIMIT_NPROC)[1]
    return "unlimited" if h == resource.RLIM_INFINITY else str(h)


def raise_nproc(pid, uid):
    """Lift the daemon's soft RLIMIT_NPROC to its hard limit. As its own uid: root may lack
    CAP_SYS_RESOURCE in a container, and prlimit on another uid's process needs it."""
    h = hard_nproc()
    subprocess.run(["/usr/bin/setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                    "/usr/bin/prlimit", f"--pid={pid}", f"--nproc={h}:{h}"], check=True)


def test_fork_eagain_backs_off_to_fatal_and_start_works_after(nobody_dir, corral):
    # nobody_dir first: its directory goes after corrald has stopped.
    if os.geteuid() != 0:
        pytest.skip("needs root to run corrald under a throwaway uid")
    path, uid = nobody_dir
    # minprocs=1: corrald would otherwise raise its soft limit itself.
    progs = f"[supervisord]\nminprocs=1\nlogfile={path}/corrald.log\nchildlogdir={path}\n\n" + "".join(
        f"[program:p{i}]\ncommand=/bin/sleep 1000\nstartsecs=0\nstartretries=1\n\n" for i in range(3))
    # The uid runs corrald alone and may run one process, so every clone fails with EAGAIN.
    # ASan's LeakSanitizer needs a thread at exit: the limit is lifted before the end.
    d = corral.start(progs, dir=path, env=san_env(),
                     wrapper=("/usr/bin/prlimit", f"--nproc=1:{hard_nproc()}", "/usr/bin/setpriv",
                              f"--reuid={uid}", f"--regid={uid}", "--clear-groups"))
    try:
        wait_states(d, {f"p{i}": "FATAL" for i in range(3)})
        log = d.log()
        # A clear reason, once per attempt (1 + startretries), not a flood.
        for i in range(3):
            n = log.count(f"spawnerr: Too many processes in process table to spawn 'p{i}'")
            assert n == 2, (n, log[-3000:])
            assert f"gave up: p{i} entered FATAL state, too many start retries too quickly" in log
        assert "spawned:" not in log
        base = Baseline(d)
        # A start while forks still fail is answered with a fault, not a hang.
        with rpc(d) as proxy, pytest.raises(xmlrpc.client.Fault) as e:
            proxy.supervisor.startProcess("p0")
        assert e.value.faultCode == 50 and e.value.faultString == "SPAWN_ERROR: p0", e.value
        wait_states(d, {"p0": "FATAL"})      # after its retries
        base.back()
    finally:
        raise_nproc(d.pid, uid)
    with rpc(d) as proxy:
        started = proxy.supervisor.startAllProcesses()
    assert sorted((r["name"], r["status"]) for r in started) == [(f"p{i}", 80) for i in range(3)], started
    wait_states(d, {f"p{i}": "RUNNING" for i in range(3)})
    answers(d)


# --- 2. allocation failures in the libraries --------------------------------------------------------

class FailAlloc:
    """The failalloc shim (tests/shim/failalloc.c) preloaded into corrald, failing allocations made
    by one library while armed."""

    def __init__(self, tmp_path, lib):
        assert os.path.exists(SHIM), f"{SHIM} missing (make check-build builds it)"
        self.arm_path = str(tmp_path / "failalloc.arm")
        self.lib = lib
        self.n_hits = 0

    def env(self):
        # Under ASan the shim must come before ASan's runtime, which ASan checks by default.
        e = san_env({"LD_PRELOAD": SHIM, "CORRAL_FAILALLOC_LIB": self.lib,
                     "CORRAL_FAILALLOC_ARM": self.arm_path})
        e["ASAN_OPTIONS"] += ":verify_asan_link_order=0"
        return e

    def arm(self, nth=0):
        """Fail the nth allocation by the library from now on (0: every one)."""
        tmp = self.arm_path + ".new"
        with open(tmp, "w") as f:
            f.write(f"{nth}\n")
        os.replace(tmp, self.arm_path)   # a new inode: the shim restarts its count

    def disarm(self):
        try:
            os.unlink(self.arm_path)
        except FileNotFoundError:
            pass

    def hits(self):
        """Failures injected so far."""
        try:
            with open(self.arm_path + ".hits") as f:
                return f.read().count("fail ")
        except FileNotFoundError:
            return 0


SLEEPER = "[program:a]\ncommand=/bin/sleep 1000\nstartsecs=0\n"


def test_failalloc_shim_loads_into_corrald(corral, tmp_path):
    """The shim is preloaded and finds its library (without this, every case below proves
    nothing)."""
    fa = FailAlloc(tmp_path, "libexpat.so")
    d = corral.start(SLEEPER, env=fa.env())
    with open(f"/proc/{d.pid}/maps") as f:
        assert "libfailalloc.so" in f.read()
    fa.arm(0)
    resp = exchange(d, post(GETSTATE), 5.0)
    fa.disarm()
    assert fa.hits() >= 1, resp[:300]


# A multicall of three getProcessInfo: nested arrays and structs, longer names, more of expat's
# pools than getState's few elements.
MULTICALL = (b"<?xml version='1.0'?>\n<methodCall>\n<methodName>system.multicall</methodName>\n"
             b"<params><param><value><array><data>\n" + b"".join(
                 b"<value><struct><member><name>methodName</name><value><string>"
                 b"supervisor.getProcessInfo</string></value></member><member><name>params</name>"
                 b"<value><array><data><value><string>a</string></value></data></array></value>"
                 b"</member></struct></value>\n" for _ in range(3))
             + b"</data></array></value></param></params>\n</methodCall>\n")
REQUESTS = {"getState": (GETSTATE, b"<string>RUNNING</string>"),
            "multicall": (MULTICALL, b"<string>RUNNING</string>")}


@pytest.mark.parametrize("lib,request_name", [("libexpat.so", "getState"), ("libexpat.so", "multicall"),
                                              ("libmicrohttpd.so", "getState")])
def test_request_path_survives_each_failing_allocation(corral, tmp_path, lib, request_name):
    """Walk the library's allocations on one XML-RPC request: failing the 1st, 2nd, ... nth each
    gets a fault, an error page or a closed connection, never a crash, a hang or a leak, until n
    passes the request's last allocation (the request then succeeds with the shim armed)."""
    fa = FailAlloc(tmp_path, lib)
    d = corral.start(SLEEPER, env=fa.env())
    wait_states(d, {"a": "RUNNING"})
    base = Baseline(d)
    body, success = REQUESTS[request_name]
    outcomes = []
    for nth in range(1, 100):
        hits = fa.hits()
        fa.arm(nth)
        resp = exchange(d, post(body), 5.0)
        fa.disarm()
        if fa.hits() == hits:            # no nth allocation: the walk is over
            assert success in resp, resp[:500]
            break
        outcomes.append(resp.split(b"\r\n", 1)[0] or b"(closed)")
        # What a failed allocation may give: an error status, a fault, or no answer at all. A
        # request body expat could not parse is a 400, as supervisord answers any unmarshallable
        # body; the main log then says why.
        assert (resp == b"" or resp.startswith(b"HTTP/1.1 500 ") or resp.startswith(b"HTTP/1.1 503 ")
                or resp.startswith(b"HTTP/1.1 400 ")
                or (resp.startswith(b"HTTP/1.1 200 ") and b"<name>faultCode</name>" in resp)
                or success in resp), (nth, resp[:500])
        if resp.startswith(b"HTTP/1.1 400 "):
            assert len(OOM_400.findall(d.log())) == sum(o.startswith(b"HTTP/1.1 400 ") for o in outcomes), \
                re.findall(r".*XML-RPC.*", d.log())
        answers(d)
    else:
        pytest.fail("the request made 100 allocations in the library or more")
    assert outcomes, f"no allocation by {lib} failed"
    print(f"{lib} {request_name}: {len(outcomes)} allocations failed in turn:",
          {o.decode(): outcomes.count(o) for o in set(outcomes)})
    base.back()


OOM_400 = re.compile(r"XML-RPC request data is invalid: (XML error at line \d+: )?out of memory\n")


def test_every_expat_allocation_failing_is_refused_and_logged(corral, tmp_path):
    fa = FailAlloc(tmp_path, "libexpat.so")
    d = corral.start(SLEEPER, env=fa.env())
    base = Baseline(d)
    fa.arm(0)
    for _ in range(20):
        resp = exchange(d, post(GETSTATE), 5.0)
        assert resp.startswith(b"HTTP/1.1 400 "), resp[:500]
    fa.disarm()
    assert fa.hits() >= 20
    assert len(OOM_400.findall(d.log())) == 20, d.log()[-2000:]
    base.back()


@pytest.mark.parametrize("nth", [0, 2])
def test_reload_with_failing_parser_allocation_keeps_the_old_config(corral, tmp_path, nth):
    """nth 0: every allocation by inih fails; 2: the growth of its line buffer (a line longer than
    the first 256 bytes) fails after the first allocation succeeded."""
    fa = FailAlloc(tmp_path, "libinih.so")
    d = corral.start(SLEEPER, env=fa.env())
    pid = wait_states(d, {"a": "RUNNING"})["a"]["pid"]
    base = Baseline(d)
    d.write_config(SLEEPER + "\n[program:b]\ncommand=/bin/sleep 1000\nstartsecs=0\n; " + "x" * 400 + "\n")
    fa.arm(nth)
    # SIGHUP: refused, old config and its worker kept.
    d.reload()
    d.wait_log("restart request refused")
    assert "out of memory while parsing" in d.log()
    # reread over XML-RPC: a CANT_REREAD fault naming the cause.
    fa.arm(nth)
    with rpc(d) as proxy, pytest.raises(xmlrpc.client.Fault) as e:
        proxy.supervisor.reloadConfig()
    assert e.value.faultCode == 92 and "out of memory while parsing" in e.value.faultString, e.value
    fa.disarm()
    assert fa.hits() == 2 if nth else fa.hits() >= 2
    now = infos(d)
    assert now["a"]["pid"] == pid and "b" not in now, now
    base.back()
    # Disarmed, the same config applies.
    d.reload()
    wait_states(d, {"b": "RUNNING"})


def test_startup_with_failing_parser_allocation_exits_cleanly(corral, tmp_path):
    fa = FailAlloc(tmp_path, "libinih.so")
    fa.arm(0)
    d = corral.start(SLEEPER, env=fa.env(), wait=False)
    d.expect_exit(rc=2)
    rc = d.wait_exit(10)
    assert rc == 2, (rc, d.log())
    assert "out of memory while parsing" in d.log(), d.log()
    assert fa.hits() >= 1


# --- 3. ENOSPC and EIO on capture logs ------------------------------------------------------------

def writer(tmp_path, path):
    """A program that, once tmp_path/go exists, writes 4 MiB to a capture log at path and then
    touches tmp_path/done. 4 MiB is 64 pipe buffers: a worker whose output is not drained stops
    at the first."""
    go, done = tmp_path / "go", tmp_path / "done"
    return (f"[program:w]\ncommand=/bin/sh -c 'while [ ! -e {go} ]; do sleep 0.02; done;"
            f" head -c 4194304 /dev/zero | tr \"\\\\0\" x; touch {done}; exec /bin/sleep 1000'\n"
            f"startsecs=0\nstdout_logfile={path}\nstdout_logfile_maxbytes=0\nredirect_stderr=true\n")


def drains_and_says_once(d, tmp_path, path, error):
    """The worker gets its 4 MiB out though every write fails; the main log says so once."""
    base = Baseline(d)
    (tmp_path / "go").touch()
    wait_until((tmp_path / "done").exists, 20.0, what="the writer to get its 4 MiB out")
    wait_states(d, {"w": "RUNNING"})
    log = d.log()
    n = log.count(f"log file '{path}': cannot write: {error}; dropping output until it can be written again")
    assert n == 1, log[-3000:]
    base.back()


def test_enospc_on_a_capture_log_drains_the_worker_and_says_so_once(corral, tmp_path):
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    d = corral.start(writer(tmp_path, "/dev/full"), env=san_env())
    wait_states(d, {"w": "RUNNING"})
    drains_and_says_once(d, tmp_path, "/dev/full", "No space left on device")


def test_eio_on_a_capture_log_drains_the_worker_and_says_so_once(corral, tmp_path):
    """A pty whose master side is closed fails every write with EIO (no root-only mount needed)."""
    try:
        master, slave = pty.openpty()
    except OSError as e:
        pytest.skip(f"no pty here: {e}")
    path = os.ttyname(slave)
    os.close(slave)
    try:
        d = corral.start(writer(tmp_path, path), env=san_env())
        wait_states(d, {"w": "RUNNING"})      # spawned: its capture log is open
    finally:
        os.close(master)                 # from now on, writes to the slave fail with EIO
    drains_and_says_once(d, tmp_path, path, "Input/output error")


# --- 4. a stopped daemon while workers crash --------------------------------------------------------

def test_workers_crashing_while_corrald_is_stopped_are_all_reaped_and_restarted(corral):
    names = [f"c{i}" for i in range(5)]
    progs = "".join(f"[program:{n}]\ncommand=/bin/sleep 1000\nstartsecs=0\nautorestart=true\n\n"
                    for n in names)
    d = corral.start(progs, env=san_env())
    pids = {n: i["pid"] for n, i in wait_states(d, {n: "RUNNING" for n in names}).items()}
    base = Baseline(d)
    os.kill(d.pid, signal.SIGSTOP)
    try:
        wait_until(lambda: proc_status(d.pid)["State"].startswith("T"), 5.0, what="corrald stopped")
        for i, n in enumerate(names):      # several exits, of two kinds, while nobody reaps
            os.kill(pids[n], signal.SIGKILL if i % 2 else signal.SIGTERM)
        wait_until(lambda: all(is_zombie(p) for p in pids.values()), 5.0,
                   what="all five workers exited (zombies of the stopped corrald)")
    finally:
        os.kill(d.pid, signal.SIGCONT)
    wait_until(lambda: not any(is_zombie(p) for p in pids.values()), 5.0, what="every exit reaped")
    now = wait_states(d, {n: "RUNNING" for n in names})
    assert all(now[n]["pid"] not in (0, pids[n]) for n in names), (pids, now)
    log = d.log()
    for i, n in enumerate(names):
        sig = "SIGKILL" if i % 2 else "SIGTERM"
        # One exit each (none lost, none counted twice), then one respawn.
        assert log.count(f"exited: {n} (terminated by {sig}; not expected)") == 1, log[-3000:]
        assert len(d.spawned_pids(n)) == 2
    assert not [c for c in children_of(d.pid) if is_zombie(c)]
    base.back()


# --- 5. signal storms -----------------------------------------------------------------------------

COUNTER = ("[program:t]\ncommand=/bin/sh -c 'i=0; while [ $i -lt 3000 ]; do i=$((i+1)); echo $i; done;"
           " exec /bin/sleep 1000'\nstartsecs=0\nstdout_logfile={path}\nstdout_logfile_maxbytes=0\n")


def test_a_thousand_sighup_and_sigusr2_are_coalesced(corral, tmp_path):
    out = tmp_path / "t.out"
    main = tmp_path / "corrald.log"
    d = corral.start(SLEEPER + "\n" + COUNTER.format(path=out), env=san_env())
    wait_states(d, {"a": "RUNNING", "t": "RUNNING"})
    wait_until(lambda: out.read_text().endswith("\n3000\n"), 10.0, what="t's first run complete")
    base = Baseline(d)
    # Moved away as logrotate does: a reopen makes new files, nothing lands in neither.
    os.rename(main, str(main) + ".old")
    os.rename(out, str(out) + ".old")
    for _ in range(1000):
        os.kill(d.pid, signal.SIGHUP)
        os.kill(d.pid, signal.SIGUSR2)
    # Settled: the last restart has run, both are up again and t has written its count.
    wait_states(d, {"a": "RUNNING", "t": "RUNNING"}, 20.0)
    wait_until(lambda: out.exists() and out.read_text().endswith("\n3000\n"), 10.0,
               what="t's last run complete in a reopened t.out")
    log = d.log()
    reloads = log.count("received SIGHUP indicating restart request")
    ignored = log.count("ignored SIGHUP indicating restart request")
    reopens = log.count("received SIGUSR2 indicating log reopen request")
    # Standard signals coalesce while pending: once-or-few, far from a thousand.
    assert 1 <= reloads and reloads + ignored <= 50, (reloads, ignored)
    assert 1 <= reopens <= 50, reopens
    assert "restart request refused" not in log
    # No byte lost across the reopens and restarts: each run of t counts 1, 2, 3, ... without a
    # gap until it was stopped, and the main log files hold every line corrald echoed since it
    # opened the first.
    prev = 0
    for n in map(int, (open(str(out) + ".old").read() + out.read_text()).split()):
        assert n in (prev + 1, 1), (prev, n)
        prev = n
    lines = (open(str(main) + ".old").read() + main.read_text()).splitlines()
    echoed = d.log().splitlines()          # read after the files: it holds at least their lines
    at = echoed.index(lines[0])
    assert echoed[at:at + len(lines)] == lines
    print(f"storm: {reloads} restarts, {ignored} ignored, {reopens} reopens")
    base.back(rss_slack_kib=6144 if asan_build() else 2048)
