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
"""
import os
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


class Corrald:
    def __init__(self, tmp_path, config_text, extra_args=(), env=None, wrapper=()):
        self.dir = str(tmp_path)
        self.sock = os.path.join(self.dir, "corral.sock")
        self.conf = os.path.join(self.dir, "corral.conf")
        self.logfile = os.path.join(self.dir, "corrald.log")
        self.expect_rc = 0              # exit status expected when the fixture stops it
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
        self.pid = self.proc.pid

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
        return wait_until(lambda: len(self.spawned_pids(name)) >= n and self.spawned_pids(name),
                          timeout, interval=0.05,
                          what=f"{n} spawn(s) of {name} (log:\n{self.log()[-2000:]})")

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
        return wait_until(lambda: needle in self.log(), timeout, what=f"log line {needle!r}")

    def ctl(self, *args, check=False, timeout=30):
        """Run the real supervisorctl against this corrald; returns CompletedProcess (text)."""
        r = subprocess.run([SUPERVISORCTL, "-c", self.conf, *args], capture_output=True, text=True,
                           timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError(f"supervisorctl {args} -> {r.returncode}: {r.stdout}{r.stderr}")
        return r

    def corralctl(self, *args, check=False, timeout=30):
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
        return wait_until(lambda: self.state_of(name) == state, timeout, interval=0.05,
                          what=f"{name} -> {state} (log:\n{self.log()[-2000:]})")

    def pid_of(self, name):
        r = self.ctl("pid", name)
        try:
            return int(r.stdout.strip())
        except ValueError:
            return 0

    def wait_socket(self, timeout=10.0):
        return wait_until(lambda: os.path.exists(self.sock), timeout, what="control socket")

    # --- teardown ----------------------------------------------------------------------------
    def stop(self, sig=signal.SIGTERM, timeout=30.0):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("corrald did not exit after SIGTERM")
        if not self._stderr.closed:
            self._stderr.close()
        return self.proc.returncode

    def descendants(self):
        """Every live process whose ancestry leads to corrald (walks /proc)."""
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
                    out.append(pid)
                    break
        return out

    def assert_clean_children(self):
        """Invariants while running: no zombie child, children have only fds 0-2, empty SigBlk/SigIgn."""
        for pid in children_of(self.pid):
            st = proc_status(pid)
            if st is None:
                continue
            assert not st["State"].startswith("Z"), f"zombie child {pid} of corrald"
            try:
                fds = sorted(int(x) for x in os.listdir(f"/proc/{pid}/fd"))
            except (FileNotFoundError, PermissionError):
                continue
            assert all(fd <= 2 for fd in fds), f"child {pid} has leaked fds {fds}"
            assert int(st["SigBlk"], 16) == 0, f"child {pid} has blocked signals {st['SigBlk']}"
            assert int(st["SigIgn"], 16) == 0, f"child {pid} has ignored signals {st['SigIgn']}"


@pytest.fixture
def corral(tmp_path):
    """Factory: corral.start(config_text, *args) → Corrald. Everything started is stopped, and the
    test fails if a worker outlives corrald or a zombie remains."""
    started = []

    class Factory:
        def start(self, config_text, *extra_args, wait=True, env=None, wrapper=()):
            d = Corrald(tmp_path, config_text, extra_args, env=env, wrapper=wrapper)
            started.append(d)
            if wait:
                # The control socket (if any) is listening before this line is logged.
                wait_until(lambda: STARTED in d.log() or d.proc.poll() is not None, 10.0,
                           what="corrald to start")
                if STARTED not in d.log():
                    raise AssertionError(f"corrald did not come up (rc {d.proc.poll()}):\n{d.log()}")
            return d

    yield Factory()
    problems = []
    for d in started:
        running = d.proc.poll() is None
        survivors = d.descendants() if running else []
        rc = d.stop()
        if running and rc != d.expect_rc:
            problems.append(f"corrald exited {rc} (expected {d.expect_rc}):\n{d.log()[-3000:]}")
        for pid in survivors:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
                problems.append(f"worker {pid} outlived corrald")
    if problems:
        pytest.fail("\n".join(problems))
