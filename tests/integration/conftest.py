# SPDX-License-Identifier: MIT
"""Shared black-box harness: start the real corrald on a temp config, poll with deadlines, and
check at teardown that nothing was left behind (zombies, survivors, leaked fds).

Usage in a test:
    def test_x(corral):
        d = corral.start('''
            [program:a]
            command=/bin/sleep 1000
        ''')                      # [supervisord] and a unix server section are added if absent
        d.wait_state('a', 'RUNNING')
        pid = d.pid_of('a')

Until the control plane is available, observe through /proc and the log (corrald -n echoes its
main log to stdout): d.wait_log(), d.spawned_pids(name). d.require_ctl() skips a test that needs
supervisorctl when the daemon serves no control socket.

Every corrald a test runs goes through the same invariants (class Watched): no zombie child, no
worker outliving corrald, workers holding fds 0-2 only with empty signal masks, and the expected
exit status (d.expect_rc, 0 unless the test says otherwise). They are checked at teardown, when a
test calls d.stop(), and after each of d's wait helpers succeeds. A test that makes corrald exit
itself (shutdown, a signal) says so first with d.expect_exit() (d.ctl("shutdown") does it) and waits
with d.wait_exit(); the fixture then waits for that exit instead of racing it with SIGTERM. A second
daemon comes from corral.start(..., dir=...); one the test did not start as its child (daemon mode,
a pid namespace) from corral.adopt(pid).
"""
import ctypes
import os
import platform
import re
import signal
import subprocess
import textwrap
import time

import pytest

BUILD = os.environ.get("CORRAL_BUILD") or os.path.join(os.path.dirname(__file__), "..", "..", "build")
BUILD = os.path.abspath(BUILD)
CORRALD = os.path.join(BUILD, "corrald")
CORRALCTL = os.path.join(BUILD, "corralctl")
SUPERVISORCTL = "/usr/bin/supervisorctl"


def wait_until(pred, timeout=10.0, interval=0.01, what="condition"):
    """Poll pred() until it returns a truthy value; fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def holds_for(pred, seconds, interval=0.05, what="condition"):
    """Proof that nothing happens, bounded: pred() stays truthy for the whole `seconds` (polled,
    failing as soon as it breaks). Callers say why `seconds` is long enough for what they rule out."""
    deadline = time.monotonic() + seconds
    while True:
        if not pred():
            raise AssertionError(f"{what} stopped holding")
        if time.monotonic() > deadline:
            return
        time.sleep(interval)


def proc_status(pid):
    """Fields of /proc/<pid>/status as a dict, or None if the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            return dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
    except (FileNotFoundError, ProcessLookupError):
        return None


def children_of(ppid):
    """Pids whose parent is ppid (from /proc)."""
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = proc_status(int(d))
            if st and st.get("PPid") == str(ppid):
                out.append(int(d))
    return out


def is_zombie(pid):
    st = proc_status(pid)
    return st is not None and st.get("State", "").startswith("Z")


def alive(pid):
    st = proc_status(pid)
    return st is not None and not st.get("State", "").startswith("Z")


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


STARTED = "supervisord started with pid"


def compose_config(dirpath, config_text):
    """The test's config text, with a [supervisord] section (logs, pidfile, childlogdir in
    dirpath, loglevel=debug) and a unix control socket added when absent."""
    sock = os.path.join(dirpath, "corral.sock")
    text = textwrap.dedent(config_text)
    if "[supervisord]" not in text:
        text = (f"[supervisord]\nlogfile={dirpath}/corrald.log\npidfile={dirpath}/corrald.pid\n"
                f"childlogdir={dirpath}\nloglevel=debug\n\n") + text
    if "[unix_http_server]" not in text and "[inet_http_server]" not in text:
        text += (f"\n[unix_http_server]\nfile={sock}\n\n[supervisorctl]\n"
                 f"serverurl=unix://{sock}\n\n[rpcinterface:supervisor]\n"
                 "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n")
    return text


def run_corrald(args, timeout=10, cwd=None, env=None):
    """Run corrald to completion (bad configs, --check-config, -v, daemon mode's parent)."""
    return subprocess.run([CORRALD, *args], capture_output=True, text=True, timeout=timeout,
                          cwd=cwd, env=env, stdin=subprocess.DEVNULL)


# --- invariants ----------------------------------------------------------------------------------
_libc = ctypes.CDLL(None, use_errno=True)
_SYS_KCMP = {"x86_64": 312, "aarch64": 272}.get(platform.machine())
KCMP_FILE, KCMP_VM = 0, 1


def kcmp(a, b, kind, i1=0, i2=0):
    """kcmp(2): 0 when processes a and b share the resource, None when the kernel cannot tell."""
    if _SYS_KCMP is None:
        return None
    r = _libc.syscall(ctypes.c_long(_SYS_KCMP), ctypes.c_long(a), ctypes.c_long(b),
                      ctypes.c_long(kind), ctypes.c_ulong(i1), ctypes.c_ulong(i2))
    return None if r < 0 else r


def shares_vm(pid, other):
    """pid runs in other's address space: a vfork child before its exec, or the tracer task
    LeakSanitizer clones at exit under the ASan build. Parts of corrald, not workers."""
    r = kcmp(pid, other, KCMP_VM)
    if r is not None:
        return r == 0
    try:
        return os.readlink(f"/proc/{pid}/exe") == os.readlink(f"/proc/{other}/exe")
    except OSError:
        return False


def start_time(pid):
    """Field 22 of /proc/<pid>/stat: tells a pid apart from a later process reusing it."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
    except OSError:
        return None
    return int(s[s.rindex(")") + 2:].split()[19])


def exe_name(pid):
    try:
        return os.path.basename(os.readlink(f"/proc/{pid}/exe"))
    except OSError:
        return ""


SHELLS = {"sh", "dash", "bash"}
# Python ignores these two itself at startup.
PYTHON_IGN = (1 << (signal.SIGPIPE - 1)) | (1 << (signal.SIGXFSZ - 1))


def fd_shared_with(pid, fd, other):
    """pid's fd is the same open file as one of other's fds (kcmp), i.e. it leaked from other."""
    try:
        theirs = [int(x) for x in os.listdir(f"/proc/{other}/fd")]
    except OSError:
        return False
    return any(kcmp(pid, other, KCMP_FILE, fd, o) == 0 for o in theirs)


def worker_problems(pid, corrald, traps=False):
    """What corrald's spawn gives every worker: fds 0-2 only, no blocked or ignored signal. A
    program may change both after its exec, so each rule holds as far as the program keeps it:
    python ignores SIGPIPE/SIGXFSZ itself; a shell may trap signals and holds saved fds for its
    redirections, so for a shell only an fd shared with corrald counts, and SigIgn is its own;
    traps: the configured command traps signals itself (and may exec on, keeping them)."""
    st = proc_status(pid)
    if st is None or st.get("State", "").startswith("Z") or shares_vm(pid, corrald):
        return []
    exe = exe_name(pid)
    try:
        fds = sorted(int(x) for x in os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return []
    extra = [fd for fd in fds if fd > 2]
    if exe in SHELLS:
        extra = [fd for fd in extra if fd_shared_with(pid, fd, corrald)]
    out = []
    if extra:
        targets = []
        for fd in extra:
            try:
                targets.append(f"{fd} -> {os.readlink(f'/proc/{pid}/fd/{fd}')}")
            except OSError:
                targets.append(f"{fd} (gone)")
        out.append(f"worker {pid} ({exe}) has leaked fds {', '.join(targets)} (holds {fds})")
    if int(st["SigBlk"], 16):
        out.append(f"worker {pid} ({exe}) has blocked signals {st['SigBlk']}")
    ign = int(st["SigIgn"], 16) & ~(PYTHON_IGN if exe.startswith("python") else 0)
    if ign and exe not in SHELLS and not traps:
        out.append(f"worker {pid} ({exe}) has ignored signals {st['SigIgn']}")
    return out


CTL_OPTS_WITH_VALUE = {"-c", "-s", "-u", "-p", "--configuration", "--serverurl", "--username",
                       "--password", "--history-file"}


def asks_shutdown(args):
    """The supervisorctl/corralctl command line is `shutdown` itself (not `help shutdown`, not a
    `shutdown x` usage error): corrald is about to exit."""
    i = 0
    while i < len(args) and args[i].startswith("-"):
        i += 2 if args[i] in CTL_OPTS_WITH_VALUE else 1
    return list(args[i:]) == ["shutdown"]


class Watched:
    """A corrald under the invariants. pid: corrald; proc: its Popen when the test is its parent
    (then its exit status is checked against expect_rc); log: a function returning its log text,
    whose `spawned:` lines name the workers (None: only zombies and survivors are checked)."""

    def __init__(self, pid, proc=None, log=None):
        self.pid = pid
        self.proc = proc
        self._log_text = log
        self.expect_rc = 0 if proc is not None else None   # None: not ours to wait for
        self.exiting = False            # the test made it exit: wait, do not signal
        self.snapshot = None            # {pid: start time} of its descendants before it exited
        self.problems = []
        self.finished = False

    def running(self):
        if self.proc is not None:
            return self.proc.poll() is None
        return alive(self.pid)

    def returncode(self):
        return self.proc.returncode if self.proc is not None else None

    def descendants(self):
        """Every live process whose ancestry leads to corrald (walks /proc), corrald's own
        tasks (shares_vm) aside."""
        parent = {}
        for d in os.listdir("/proc"):
            if d.isdigit():
                st = proc_status(int(d))
                if st:
                    parent[int(d)] = int(st.get("PPid", "0"))
        out = []
        for pid in parent:
            p, seen = pid, 0
            while p in parent and p > 1 and seen < 64:
                p = parent[p]
                seen += 1
                if p == self.pid:
                    if not shares_vm(pid, self.pid):
                        out.append(pid)
                    break
        return out

    def workers(self):
        """{pid: process name} of the live children corrald spawned as workers (adopted orphans
        are not workers)."""
        if self._log_text is None:
            return {}
        spawned = {int(p): n for n, p in
                   re.findall(r"spawned: '([^']*)' with pid (\d+)", self._log_text())}
        return {c: spawned[c] for c in children_of(self.pid) if c in spawned}

    def traps(self, name):
        """The program of process name sets its own signal dispositions (see Corrald)."""
        return False

    def invariant_problems(self):
        """Zombies that stay (one may exist for an instant between exit and reap) and workers
        that break worker_problems."""
        if not self.running():
            return []
        out = []
        for pid, name in self.workers().items():
            p = worker_problems(pid, self.pid, self.traps(name))
            # A worker seen inside its execve (vfork lets corrald go on before the kernel has
            # closed the close-on-exec fds), or a shell that blocks every signal for an instant
            # around each fork it makes, is not breaking a rule: a real leak or mask is still
            # there at each of a few looks at uneven intervals (a looping shell cannot match all).
            for delay in (0.03, 0.05, 0.07, 0.11):
                if not p:
                    break
                time.sleep(delay)
                p = worker_problems(pid, self.pid, self.traps(name))
            out += p
        zombies = [c for c in children_of(self.pid) if is_zombie(c)]
        if zombies:
            deadline = time.monotonic() + 2.0
            while zombies and time.monotonic() < deadline and self.running():
                time.sleep(0.01)
                zombies = [z for z in zombies if is_zombie(z)]
            if zombies and self.running():
                out.append(f"zombie children {zombies} of corrald {self.pid}")
        return out

    def check(self):
        """Assert the invariants now (the wait helpers call this after their condition holds)."""
        p = self.invariant_problems()
        assert not p, "\n".join(p)

    def expect_exit(self, rc=None):
        """The test is about to make corrald exit (shutdown, a signal; rc when not 0): remember
        the processes that must go with it, and let the fixture wait for that exit instead of
        racing it with SIGTERM."""
        if rc is not None:
            self.expect_rc = rc
        if not self.exiting and self.running():
            self.snapshot = {p: start_time(p) for p in self.descendants()}
            self.exiting = True

    def wait_exit(self, timeout=30.0):
        """Wait for the exit the test caused; returns the exit status (None if not our child)."""
        self.expect_exit()
        if self.proc is not None:
            self.proc.wait(timeout)
        else:
            wait_until(lambda: not alive(self.pid), timeout, what=f"corrald {self.pid} to exit")
        return self.returncode()

    def stop(self, sig=signal.SIGTERM, timeout=30.0):
        """Check the invariants, stop corrald (or wait for the exit the test caused), then check
        that nothing outlived it. Problems go to self.problems (the fixture fails the test)."""
        if self.finished:
            return self.returncode()
        self.finished = True
        if self.running() and not self.exiting:
            self.problems += self.invariant_problems()
            self.expect_exit()
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass
        try:
            self.wait_exit(timeout)
        except (subprocess.TimeoutExpired, AssertionError):
            os.kill(self.pid, signal.SIGKILL)
            if self.proc is not None:
                self.proc.wait()
            self.problems.append(f"corrald {self.pid} did not exit within {timeout}s")
        rc = self.returncode()
        if self.expect_rc is not None and rc != self.expect_rc:
            self.problems.append(f"corrald exited {rc} (expected {self.expect_rc}):\n"
                                 f"{self._log_text()[-3000:] if self._log_text else ''}")
        # corrald waits for its workers before a clean exit; after a kill, PR_SET_PDEATHSIG
        # takes them down asynchronously.
        grace = 0.0 if rc == 0 else 5.0
        left = [p for p, t in (self.snapshot or {}).items() if alive(p) and start_time(p) == t]
        deadline = time.monotonic() + grace
        while left and time.monotonic() < deadline:
            time.sleep(0.01)
            left = [p for p in left if alive(p)]
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.problems.append(f"worker {pid} outlived corrald")
        return rc



class Corrald(Watched):
    def __init__(self, tmp_path, config_text, extra_args=(), env=None, wrapper=()):
        self.dir = str(tmp_path)
        self.sock = os.path.join(self.dir, "corral.sock")
        self.conf = os.path.join(self.dir, "corral.conf")
        self.logfile = os.path.join(self.dir, "corrald.log")
        self.write_config(config_text)
        self.stderr_path = os.path.join(self.dir, "corrald.stderr")
        self._stderr = open(self.stderr_path, "wb")
        e = dict(os.environ)
        if env:
            e.update(env)
        # wrapper: a command that execs corrald in its own process (e.g. prlimit), so the pid holds.
        self.proc = subprocess.Popen([*wrapper, CORRALD, "-n", "-c", self.conf, *extra_args],
                                     stdin=subprocess.DEVNULL, stdout=self._stderr,
                                     stderr=subprocess.STDOUT, cwd=self.dir, env=e)
        super().__init__(self.proc.pid, self.proc, self.log)

    def write_config(self, config_text):
        """(Re)write the config file; send SIGHUP (d.reload()) to apply it."""
        with open(self.conf, "w") as f:
            f.write(compose_config(self.dir, config_text))

    def reload(self):
        os.kill(self.pid, signal.SIGHUP)

    # --- observation -----------------------------------------------------------------------
    def count_log(self, needle):
        return self.log().count(needle)

    def spawned_pids(self, name):
        """Pids from the log's `spawned: 'name' with pid N` lines, in order."""
        return [int(m) for m in re.findall(rf"spawned: '{re.escape(name)}' with pid (\d+)", self.log())]

    def wait_spawned(self, name, n=1, timeout=10.0):
        """Wait until name was spawned at least n times; returns the list of its pids."""
        pids = wait_until(lambda: len(self.spawned_pids(name)) >= n and self.spawned_pids(name),
                          timeout, interval=0.05,
                          what=f"{n} spawn(s) of {name} (log:\n{self.log()[-2000:]})")
        self.check()
        return pids

    def has_ctl(self):
        return os.path.exists(self.sock)

    def require_ctl(self):
        if not self.has_ctl():
            pytest.skip("no control socket (control plane not built in)")

    def log(self):
        """What corrald printed (foreground mode echoes the main log to stderr)."""
        if not self._stderr.closed:
            self._stderr.flush()
        with open(self.stderr_path, "rb") as f:
            return f.read().decode(errors="replace")

    def wait_log(self, needle, timeout=10.0):
        v = wait_until(lambda: needle in self.log(), timeout, what=f"log line {needle!r}")
        self.check()
        return v

    def ctl(self, *args, check=False, timeout=30):
        """Run the real supervisorctl against this corrald; returns CompletedProcess (text)."""
        if asks_shutdown(args):
            self.expect_exit()
        r = subprocess.run([SUPERVISORCTL, "-c", self.conf, *args], capture_output=True, text=True,
                           timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError(f"supervisorctl {args} -> {r.returncode}: {r.stdout}{r.stderr}")
        return r

    def corralctl(self, *args, check=False, timeout=30):
        if asks_shutdown(args):
            self.expect_exit()
        r = subprocess.run([CORRALCTL, "-c", self.conf, *args], capture_output=True, text=True,
                           timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError(f"corralctl {args} -> {r.returncode}: {r.stdout}{r.stderr}")
        return r

    def status(self):
        """{namespec: (state, description)} via supervisorctl status."""
        r = self.ctl("status")
        out = {}
        for line in r.stdout.splitlines():
            parts = line.split(None, 2)
            if len(parts) >= 2:
                out[parts[0]] = (parts[1], parts[2] if len(parts) > 2 else "")
        return out

    def state_of(self, name):
        return self.status().get(name, (None, None))[0]

    def wait_state(self, name, state, timeout=15.0):
        v = wait_until(lambda: self.state_of(name) == state, timeout, interval=0.05,
                       what=f"{name} -> {state} (log:\n{self.log()[-2000:]})")
        self.check()
        return v

    def pid_of(self, name):
        r = self.ctl("pid", name)
        try:
            return int(r.stdout.strip())
        except ValueError:
            return 0

    def wait_socket(self, timeout=10.0):
        return wait_until(lambda: os.path.exists(self.sock), timeout, what="control socket")

    def traps(self, name):
        """The [program:name] section's command sets a trap: its SigIgn is its own."""
        with open(self.conf) as f:
            text = f.read()
        m = re.search(rf"^\[program:{re.escape(name)}\]\s*$(.*?)(?=^\[|\Z)", text, re.M | re.S)
        return bool(m and re.search(r"^\s*command\s*=.*\btrap\b", m.group(1), re.M))

    def stop(self, sig=signal.SIGTERM, timeout=30.0):
        rc = super().stop(sig, timeout)
        if not self._stderr.closed:
            self._stderr.close()
        return rc


@pytest.fixture
def corral(tmp_path):
    """Factory: corral.start(config_text, *args) → Corrald; corral.adopt(pid) → Watched for a
    corrald the test did not start as its child. Everything is stopped (or waited for, when the
    test made it exit) and the test fails if an invariant (class Watched) does not hold."""
    started = []

    class Factory:
        def start(self, config_text, *extra_args, wait=True, env=None, dir=None, wrapper=()):
            d = Corrald(dir or tmp_path, config_text, extra_args, env=env, wrapper=wrapper)
            started.append(d)
            if wait:
                # The control socket (if any) is listening before this line is logged.
                wait_until(lambda: STARTED in d.log() or d.proc.poll() is not None, 10.0,
                           what="corrald to start")
                if STARTED not in d.log():
                    raise AssertionError(f"corrald did not come up (rc {d.proc.poll()}):\n{d.log()}")
            return d

        def adopt(self, pid, logfile=None):
            def log():
                with open(logfile, "rb") as f:
                    return f.read().decode(errors="replace")
            w = Watched(pid, log=log if logfile else None)
            started.append(w)
            return w

    yield Factory()
    problems = []
    for d in started:
        d.stop()
        problems += d.problems
    if problems:
        pytest.fail("\n".join(problems))
