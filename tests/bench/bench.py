# SPDX-License-Identifier: MIT
"""corral benchmark: corrald vs supervisord vs s6 vs runit, in one interleaved run.

Every figure is taken from the outside: memory from /proc/<pid>/smaps_rollup, CPU and context
switches from /proc/<pid>/stat and status, worker start times from a CLOCK_MONOTONIC stamp the
worker (bw.c) writes as its first action. Supervisors run with their documented defaults except
where a workload needs a setting, and every such setting is listed under the table.

Entry: tests/bench/run.sh --quick | --full  (make bench-quick / make bench)."""
import argparse
import ctypes
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
BUILD = os.path.abspath(os.environ.get("CORRAL_BUILD") or os.path.join(ROOT, "build"))
CORRALD = os.path.join(BUILD, "corrald")
CORRALCTL = os.path.join(BUILD, "corralctl")
SUPERVISORD = shutil.which("supervisord") or "/usr/bin/supervisord"
SUPERVISORCTL = shutil.which("supervisorctl") or "/usr/bin/supervisorctl"

# Processes that belong to a supervision tree (workers and control clients are excluded).
TREE_COMMS = {"corrald", "supervisord", "s6-svscan", "s6-supervise", "s6-log", "runsvdir", "runsv",
              "svlogd"}
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
SUPS = ["corrald", "supervisord", "s6", "runit"]
LOG_ROTATE = 52_428_800    # log workload, rotation on: 50 MB (supervisord's "50MB"), every peer
LOG_S6_MAX = 4_294_967_295  # the largest s6-log `s` it parses (uint32): "rotation off" for s6-log
S6_LOG_FILE_CAP = 256 << 20     # s6-log rotates at 256 MiB even when asked for more


class TrialError(Exception):
    pass


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --- /proc -------------------------------------------------------------------------------------
def read_stat(pid):
    """(comm, state, ppid, cpu_seconds) from /proc/<pid>/stat, or None if gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            s = f.read().decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError):
        return None
    lp, rp = s.index("("), s.rindex(")")
    rest = s[rp + 2:].split()
    return s[lp + 1:rp], rest[0], int(rest[1]), (int(rest[11]) + int(rest[12])) / CLK_TCK


def all_procs():
    """{pid: (comm, state, ppid)} for every process on the machine."""
    out = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = read_stat(int(d))
            if st:
                out[int(d)] = st[:3]
    return out


def descendants(root, procs=None):
    procs = procs if procs is not None else all_procs()
    kids = {}
    for pid, (_, _, ppid) in procs.items():
        kids.setdefault(ppid, []).append(pid)
    out, todo = [], [root]
    while todo:
        for k in kids.get(todo.pop(), []):
            out.append(k)
            todo.append(k)
    return out


def tree_pids(root, procs=None):
    """The supervision tree below and including root: supervisor processes only."""
    procs = procs if procs is not None else all_procs()
    if root not in procs:
        return []
    # a child with its parent's name is a fork that has not exec'd yet: not part of the tree
    return [root] + [p for p in descendants(root, procs) if procs[p][0] in TREE_COMMS
                     and procs[p][1] != "Z" and procs.get(procs[p][2], ("",))[0] != procs[p][0]]


def mem_kib(pids):
    """(RSS, PSS) in KiB summed over pids, from smaps_rollup."""
    rss = pss = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1])
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return rss, pss


def cpu_ns(pid):
    """On-CPU time of every thread of pid in seconds, ns resolution (schedstat), else clock ticks."""
    total = 0
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        return total / 1e9
    except (FileNotFoundError, ProcessLookupError):
        return None
    except (OSError, ValueError, IndexError):
        st = read_stat(pid)
        return st[3] if st else None


def cpu_ctx(pids):
    """{pid: (cpu_seconds, context_switches)} for the live pids."""
    out = {}
    for pid in pids:
        cpu = cpu_ns(pid)
        if cpu is None:
            continue
        ctx = 0
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        ctx += int(line.split()[1])
        except (FileNotFoundError, ProcessLookupError):
            continue
        out[pid] = (cpu, ctx)
    return out


def cpu_ctx_delta(a, b):
    """Summed (cpu seconds, context switches) between two cpu_ctx samples, over pids in both."""
    cpu = sum(b[p][0] - a[p][0] for p in a if p in b)
    ctx = sum(b[p][1] - a[p][1] for p in a if p in b)
    return cpu, ctx


def set_subreaper():
    """Orphans of anything we start re-parent to us, so the final sweep finds every one by pid."""
    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_CHILD_SUBREAPER = 36
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        log("warning: could not become a subreaper; orphans may escape the sweep")


def reap_all():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def sweep(timeout=10.0):
    """SIGKILL every descendant of this process, by pid, until none is left."""
    deadline = time.monotonic() + timeout
    while True:
        procs = all_procs()
        live = [p for p in descendants(os.getpid(), procs) if procs[p][1] != "Z"]
        for pid in live:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        reap_all()
        if not live or time.monotonic() > deadline:
            return len(live)
        time.sleep(0.02)


def wait_until(pred, timeout, what, interval=0.005):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise TrialError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


# --- stamps written by bw ----------------------------------------------------------------------
class Stamps:
    """Tails the file that bw workers append 'NAME PID SEC.NSEC' lines to."""

    def __init__(self, path):
        self.path = path
        self.off = 0
        self.partial = b""
        self.last = {}      # name -> (pid, ts)
        self.count = 0

    def poll(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.off)
                data = f.read()
        except FileNotFoundError:
            return
        self.off += len(data)
        data = self.partial + data
        lines = data.split(b"\n")
        self.partial = lines.pop()
        for line in lines:
            name, pid, ts = line.decode().split()
            self.last[name] = (int(pid), float(ts))
            self.count += 1


# --- supervisors -------------------------------------------------------------------------------
class Prog:
    def __init__(self, name, argv, kind="stamp", logdir=None, rotate=0, keep=2):
        self.name, self.argv, self.kind, self.logdir = name, argv, kind, logdir
        self.rotate, self.keep = rotate, keep     # logdir only: bytes per file (0 = off), archives


class Sup:
    """One supervisor under test. Subclasses write the config, launch, stop and name their tools."""
    name = "?"
    independent = False     # one supervisor process per service (s6, runit)

    def __init__(self, wd):
        self.wd = wd
        self.proc = None
        self.progs = []
        os.makedirs(wd, exist_ok=True)

    @property
    def root(self):
        return self.proc.pid

    def launch(self):
        out = open(os.path.join(self.wd, "supervisor.out"), "wb")
        t0 = time.monotonic()
        self.proc = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL, stdout=out,
                                     stderr=subprocess.STDOUT, cwd=self.wd, start_new_session=True)
        out.close()
        return t0

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def output(self):
        try:
            with open(os.path.join(self.wd, "supervisor.out"), "rb") as f:
                return f.read()[-1500:].decode(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_exit(self, timeout):
        try:
            self.proc.wait(timeout)
            return True
        except subprocess.TimeoutExpired:
            return False

    def stop(self):
        """Graceful stop with the peer's own mechanism; the caller sweeps leftovers by pid."""
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            self.wait_exit(20)

    # tools: lists of (label, argv) for "status of all" and "restart one"
    def status_tools(self):
        return []

    def restart_tools(self, name):
        return []


class InitStyle(Sup):
    """corrald and supervisord share the supervisord INI dialect."""
    daemon = None

    def configure(self, progs, storm=False):
        self.progs = progs
        self.conf = os.path.join(self.wd, "supervisord.conf")
        self.sock = os.path.join(self.wd, "ctl.sock")
        os.makedirs(os.path.join(self.wd, "childlogs"), exist_ok=True)
        parts = [f"[supervisord]\nlogfile={self.wd}/daemon.log\npidfile={self.wd}/daemon.pid\n"
                 f"childlogdir={self.wd}/childlogs\n\n"
                 f"[unix_http_server]\nfile={self.sock}\n\n"
                 f"[supervisorctl]\nserverurl=unix://{self.sock}\n\n"
                 "[rpcinterface:supervisor]\n"
                 "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n"]
        for p in progs:
            s = f"\n[program:{p.name}]\ncommand={' '.join(p.argv)}\n"
            if storm:
                # supervisord's restart at once after a crash (corrald backs off by default;
                # supervisord ignores the key): the storm measures restart speed, not policy.
                s += "startsecs=0\nbackoff_reset=0\n"
            if p.logdir:
                os.makedirs(p.logdir, exist_ok=True)
                s += (f"stdout_logfile={p.logdir}/current\nstdout_logfile_maxbytes={p.rotate}\n"
                      f"stdout_logfile_backups={p.keep}\n")
            parts.append(s)
        with open(self.conf, "w") as f:
            f.write("".join(parts))

    def argv(self):
        return [self.daemon, "-n", "-c", self.conf]

    def restart_tools(self, name):
        return [("supervisorctl", [SUPERVISORCTL, "-c", self.conf, "restart", name])]

    def status_tools(self):
        return [("supervisorctl", [SUPERVISORCTL, "-c", self.conf, "status"])]


class Corrald(InitStyle):
    name = "corrald"
    daemon = CORRALD

    def status_tools(self):
        return [("native", [CORRALCTL, "-c", self.conf, "status"])] + super().status_tools()

    def restart_tools(self, name):
        return [("native", [CORRALCTL, "-c", self.conf, "restart", name])] + super().restart_tools(name)


class Supervisord(InitStyle):
    name = "supervisord"
    daemon = SUPERVISORD

    def status_tools(self):
        return [("native", [SUPERVISORCTL, "-c", self.conf, "status"])] + super().status_tools()

    def restart_tools(self, name):
        return [("native", [SUPERVISORCTL, "-c", self.conf, "restart", name])] + super().restart_tools(name)


class DirStyle(Sup):
    """s6 and runit: one service directory per program; run is a symlink to bw (no shell)."""
    bw = None
    logger = None
    independent = True

    def configure(self, progs, storm=False):
        self.progs = progs
        self.scan = os.path.join(self.wd, "scan")
        os.makedirs(self.scan, exist_ok=True)
        for p in progs:
            d = os.path.join(self.scan, p.name)
            os.makedirs(d)
            os.symlink(p.argv[0], os.path.join(d, "run"))
            with open(os.path.join(d, "args"), "w") as f:
                f.write("".join(a + "\n" for a in p.argv[1:]))
            if p.logdir:
                os.makedirs(p.logdir, exist_ok=True)
                os.makedirs(os.path.join(d, "log"))
                with open(os.path.join(d, "log", "run"), "w") as f:
                    f.write("#!/bin/sh\nexec " + self.logger(p) + "\n")
                os.chmod(os.path.join(d, "log", "run"), 0o755)

    def dirs(self):
        return [os.path.join(self.scan, p.name) for p in self.progs]


class S6(DirStyle):
    name = "s6"

    def logger(self, p):
        return f"s6-log n{p.keep} s{p.rotate or LOG_S6_MAX} {p.logdir}"

    def argv(self):
        # -c: capacity only (s6-svscan refuses services beyond it); a logger counts as a service
        return ["s6-svscan", "-c", str(max(1000, 2 * len(self.progs) + 16)), self.scan]

    def stop(self):
        if self.alive():
            subprocess.run(["s6-svscanctl", "-t", self.scan], capture_output=True, timeout=30)
            self.wait_exit(20)

    def status_tools(self):
        return [("native", ["sh", "-c", f'for d in "{self.scan}"/*; do s6-svstat "$d"; done'])]

    def restart_tools(self, name):
        return [("native", ["s6-svc", "-r", "-wr", os.path.join(self.scan, name)])]


class Runit(DirStyle):
    name = "runit"

    def logger(self, p):
        with open(os.path.join(p.logdir, "config"), "w") as f:
            f.write(f"s{p.rotate}\nn{p.keep}\n")     # svlogd: s0 = never rotate
        return f"svlogd {p.logdir}"

    def argv(self):
        return ["runsvdir", self.scan]

    def stop(self):
        if self.alive():
            subprocess.run(["sv", "-w", "10", "force-shutdown"] + self.dirs(), capture_output=True,
                           timeout=60)
            self.proc.send_signal(signal.SIGHUP)
            self.wait_exit(20)

    def status_tools(self):
        return [("native", ["sv", "status"] + self.dirs())]

    def restart_tools(self, name):
        return [("native", ["sv", "restart", os.path.join(self.scan, name)])]


SUP_CLASSES = {"corrald": Corrald, "supervisord": Supervisord, "s6": S6, "runit": Runit}


# --- the bench ---------------------------------------------------------------------------------
class Bench:
    def __init__(self, args, tmp):
        self.a = args
        self.tmp = tmp
        self.res = {}          # metric key -> sup -> [values]
        self.notes = []
        self.failures = []
        self.seq = 0
        self.bw = os.path.join(tmp, "bw")
        self.floor = os.path.join(tmp, "floor")
        self.current = None

    def put(self, key, sup, value):
        self.res.setdefault(key, {}).setdefault(sup, []).append(value)

    def fail(self, msg):
        log("FAILED " + msg)
        self.failures.append(msg)

    def build_tools(self):
        cc = os.environ.get("CC", "cc")
        flags = ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Werror"]
        for exe in ("bw", "floor"):
            subprocess.run([cc, *flags, "-o", os.path.join(self.tmp, exe),
                            os.path.join(HERE, exe + ".c")], check=True)

    def new_sup(self, sname):
        self.seq += 1
        wd = os.path.join(self.tmp, f"{self.seq:03d}-{sname}")
        return SUP_CLASSES[sname](wd)

    def teardown(self, sup):
        try:
            sup.stop()
        except Exception as e:      # never let a stop problem leak processes
            log(f"{sup.name}: stop failed: {e}")
        left = sweep()
        if left:
            log(f"warning: {left} processes survived the sweep")
        self.current = None

    def trial(self, sname, fn, what):
        sup = self.new_sup(sname)
        self.current = sup
        log(f"{what}: {sname}")
        try:
            fn(sup)
        except TrialError as e:
            msg = f"{what} / {sname}: {e}"
            if sup.proc is not None and not sup.alive():
                msg += f" (supervisor exited {sup.proc.returncode}: {sup.output().strip()[-200:]!r})"
            self.fail(msg)
        finally:
            self.teardown(sup)

    def start_stamped(self, sup, n, settle=True):
        """N stamp workers; returns (stamps, cold-start seconds)."""
        sfile = os.path.join(sup.wd, "stamps")
        progs = [Prog(f"p{i:05d}", [self.bw, "stamp", sfile, f"p{i:05d}"]) for i in range(n)]
        sup.configure(progs)
        st = Stamps(sfile)
        t0 = sup.launch()

        def all_up():
            st.poll()
            if not sup.alive():
                raise TrialError("supervisor exited during start")
            if not st.last and time.monotonic() - t0 > 15:
                raise TrialError("no worker started within 15 s")
            return len(st.last) >= n
        wait_until(all_up, min(600, 30 + n * 0.12), f"{n} workers to start", interval=0.01)
        cold = max(ts for _, ts in st.last.values()) - t0
        if settle:
            # past every peer's startsecs / throttle (1 s) with margin, and the first loop passes
            newest = max(ts for _, ts in st.last.values())
            time.sleep(max(0.0, newest + 1.5 - time.monotonic()))
        return st, cold

    def time_cmd(self, argv, expect_lines=0):
        t = time.monotonic()
        r = subprocess.run(argv, capture_output=True, timeout=120)
        dt = time.monotonic() - t
        if expect_lines and len(r.stdout.splitlines()) < expect_lines:
            raise TrialError(f"{argv[0]} gave {len(r.stdout.splitlines())} lines, wanted "
                             f"{expect_lines} (rc {r.returncode}): {r.stdout[-200:]!r} {r.stderr[-200:]!r}")
        if not expect_lines and r.returncode != 0:
            raise TrialError(f"{' '.join(argv[:3])}… exited {r.returncode}: {r.stderr[-200:]!r}")
        return dt

    def kills(self, sup, st, count):
        """SIGKILL workers that have run past startsecs; latency = kill -> replacement's stamp.
        One at a time for a single-process supervisor: overlapping kills would wake a polling loop
        (supervisord's 1 s poll) early and flatter it. s6 and runit run one independent supervisor
        process per service, so there the next kill (of another service) follows 50 ms later
        without waiting: that changes nothing for them and saves s6's 1 s throttle per kill."""
        names = sorted(st.last)
        pending = {}        # name -> (old pid, kill time)
        lat = []

        def collect():
            st.poll()
            if not sup.alive():
                raise TrialError("supervisor exited during kills")
            for name, (opid, t) in list(pending.items()):
                pid, ts = st.last[name]
                if pid != opid:
                    lat.append((ts - t) * 1000)
                    del pending[name]
        for i in range(count):
            name = names[i % len(names)]
            wait_until(lambda: collect() or name not in pending, 15, f"replacement of {name}",
                       interval=0.0005)
            pid, ts = st.last[name]
            wait = ts + 1.2 - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            t = time.monotonic()
            os.kill(pid, signal.SIGKILL)
            pending[name] = (pid, t)
            if sup.independent:
                time.sleep(0.05)
                collect()
            else:
                wait_until(lambda: collect() or not pending, 15, f"replacement of {name}",
                           interval=0.0005)
        wait_until(lambda: collect() or not pending, 15, "the last replacements", interval=0.001)
        return lat

    # --- workloads (each runs one trial on one supervisor) ------------------------------------
    def w_tree(self, n):
        def fn(sup):
            st, cold = self.start_stamped(sup, n)
            tree = tree_pids(sup.root)
            rss, pss = mem_kib(tree)
            self.put(f"mem_rss_{n}", sup.name, rss / 1024)
            self.put(f"mem_pss_{n}", sup.name, pss / 1024)
            self.put(f"tree_procs_{n}", sup.name, len(tree))
            if n >= 100:
                self.put(f"cold_{n}", sup.name, cold * 1000)
            if n == 100:
                a = cpu_ctx(tree)
                time.sleep(self.a.idle)
                b = cpu_ctx(tree_pids(sup.root))
                cpu, ctx = cpu_ctx_delta(a, b)
                self.put("idle_cpu", sup.name, cpu * 1000 / self.a.idle)
                self.put("idle_wakeups", sup.name, ctx / self.a.idle)
            if n >= 100:
                for label, argv in sup.status_tools():
                    try:
                        reps = self.a.ctl_reps if n <= 100 else self.a.ctl_reps_big
                        ts = [self.time_cmd(argv, expect_lines=n) * 1000 for _ in range(reps)]
                        self.put(f"status_{label}_{n}", sup.name, statistics.median(ts))
                    except TrialError as e:
                        self.fail(f"status N={n} {label} / {sup.name}: {e}")
                labels = [label for label, _ in sup.restart_tools("x")] if n in self.a.restart_ns else []
                reps = self.a.restart_reps
                victims = sorted(st.last)[-reps * max(1, len(labels)):]
                for li, label in enumerate(labels):
                    ts = []
                    for r in range(reps):
                        argv = dict(sup.restart_tools(victims[li * reps + r]))[label]
                        try:
                            ts.append(self.time_cmd(argv) * 1000)
                        except TrialError as e:
                            self.fail(f"restart one N={n} {label} / {sup.name}: {e}")
                            break
                    if ts:
                        self.put(f"restart1_{label}_{n}", sup.name, statistics.median(ts))
            if n == 100 or n == self.a.scale:
                lat = self.kills(sup, st, self.a.kills)
                self.put(f"kill_p50_{n}", sup.name, pct(lat, 50))
                self.put(f"kill_p90_{n}", sup.name, pct(lat, 90))
                self.put(f"kill_max_{n}", sup.name, max(lat))
        return fn

    def w_storm(self):
        n = 50

        def fn(sup):
            cfile = os.path.join(sup.wd, "crashes")
            sup.configure([Prog(f"c{i:02d}", [self.bw, "crash", cfile]) for i in range(n)], storm=True)
            sup.launch()
            # warm-up: every worker has crashed at least twice, so the whole tree exists
            wait_until(lambda: os.path.exists(cfile) and os.path.getsize(cfile) >= 2 * 2 * n
                       or (not sup.alive() and "dead"), 20, "the storm to start", interval=0.05)
            if not sup.alive():
                raise TrialError("supervisor exited")
            time.sleep(0.5)
            tree = tree_pids(sup.root)
            rss0, _ = mem_kib(tree)
            a = cpu_ctx(tree)
            c0 = os.path.getsize(cfile) if os.path.exists(cfile) else 0
            t0 = time.monotonic()
            zmax = 0
            while time.monotonic() - t0 < self.a.storm:
                procs = all_procs()
                tset = set(tree_pids(sup.root, procs))
                z = sum(1 for p, (_, s, pp) in procs.items() if s == "Z" and pp in tset)
                zmax = max(zmax, z)
                time.sleep(0.1)
            dt = time.monotonic() - t0
            c1 = os.path.getsize(cfile)
            tree1 = tree_pids(sup.root)
            b = cpu_ctx(tree1)
            rss1, _ = mem_kib(tree1)
            cpu, _ = cpu_ctx_delta(a, b)
            self.put("storm_cpu", sup.name, cpu * 100 / dt)
            self.put("storm_zombies", sup.name, zmax)
            self.put("storm_rss", sup.name, (rss1 - rss0) / 1024)
            self.put("storm_rate", sup.name, (c1 - c0) / 2 / dt)
        return fn

    def w_log(self, rotate):
        """One worker writes log_mib MiB to stdout; rotate = bytes per log file, 0 = off."""
        nbytes = (self.a.log_mib << 20) // 100 * 100     # whole lines: loggers hold a partial one
        # Enough archives to keep every byte, so the byte count on disk stays exact. With rotation
        # "off", s6-log still caps a file at 256 MiB (whatever s says), so size keep for that cap.
        keep = nbytes // (rotate or S6_LOG_FILE_CAP) + 2
        mode = f"rot{rotate}"

        def status(pid):
            """(utime+stime seconds, VmRSS KiB, VmHWM KiB) of pid, or None if gone."""
            st = read_stat(pid)
            if not st:
                return None
            rss = hwm = 0
            try:
                with open(f"/proc/{pid}/status") as f:
                    for line in f:
                        if line.startswith("VmRSS:"):
                            rss = int(line.split()[1])
                        elif line.startswith("VmHWM:"):
                            hwm = int(line.split()[1])
            except (FileNotFoundError, ProcessLookupError):
                return None
            return st[3], rss, hwm

        def cat_run(out, tag):
            """MiB/s of the same producer piped straight into `cat > file`."""
            sfile2 = os.path.join(os.path.dirname(out), "stamps-" + tag)
            st2 = Stamps(sfile2)
            try:
                p = subprocess.Popen(["sh", "-c", f'"{self.bw}" produce {nbytes} "{sfile2}" exit | cat > "{out}"'])
                p.wait()
                t2 = time.monotonic()
                st2.poll()
                if os.path.getsize(out) != nbytes:
                    raise TrialError("cat baseline wrote the wrong size")
                return nbytes / 2**20 / (t2 - st2.last["produce"][1])
            finally:
                os.unlink(out)

        def fn(sup):
            sfile = os.path.join(sup.wd, "stamps")
            logdir = os.path.join(sup.wd, "plog")
            sup.configure([Prog("produce", [self.bw, "produce", str(nbytes), sfile], logdir=logdir,
                                rotate=rotate, keep=keep)])
            st = Stamps(sfile)
            out = os.path.join(sup.wd, "cat.out")
            try:
                cat0 = cat_run(out, "cat0")
                t0 = sup.launch()

                def files():
                    return [e for e in os.scandir(logdir)
                            if e.is_file() and e.name not in ("config", "lock", "state", "newstate")]

                def size(e):
                    try:
                        return e.stat().st_size
                    except FileNotFoundError:     # renamed by a rotating logger mid-scan
                        return 0

                def total():
                    n = sum(size(e) for e in files())
                    if not sup.alive():
                        raise TrialError("supervisor exited")
                    if n == 0 and time.monotonic() - t0 > 15:
                        raise TrialError("no log bytes on disk after 15 s")
                    return n

                def started():
                    st.poll()
                    if not sup.alive():
                        raise TrialError("supervisor exited")
                    return "produce" in st.last
                wait_until(started, 15, "producer stamp", interval=0.001)
                # CPU baseline once the producer runs: supervisor start-up is not log work
                base, last, peak = {}, {}, 0
                for pid in tree_pids(sup.root):
                    s0 = status(pid)
                    if s0:
                        base[pid] = s0[0]
                deadline = time.monotonic() + 30 + self.a.log_mib
                next_sample = 0.0
                while True:
                    now = time.monotonic()
                    if now >= next_sample:       # the tree every 100 ms: CPU, VmRSS, VmHWM
                        next_sample = now + 0.1
                        rss = 0
                        for pid in tree_pids(sup.root):
                            s1 = status(pid)
                            if s1:
                                last[pid] = s1
                                rss += s1[1]
                        peak = max(peak, rss)
                    if total() >= nbytes:
                        break
                    if now > deadline:
                        raise TrialError(f"log bytes on disk: {total()} of {nbytes} after "
                                         f"{30 + self.a.log_mib} s")
                    time.sleep(0.005)
                t1 = time.monotonic()
                for pid in tree_pids(sup.root):
                    s1 = status(pid)
                    if s1:
                        last[pid] = s1
                if total() != nbytes:
                    raise TrialError(f"log holds {total()} bytes, not {nbytes}")
                nfiles = len(files())
                cpu = sum(v[0] - base.get(pid, 0.0) for pid, v in last.items())
                hwm = sum(v[2] for v in last.values())
                gib = nbytes / 2**30
                self.put(f"log_mibs_{mode}", sup.name, nbytes / 2**20 / (t1 - st.last["produce"][1]))
                self.put(f"log_cpu_{mode}", sup.name, cpu / gib)
                self.put(f"log_rss_{mode}", sup.name, peak / 1024)
                self.put(f"log_hwm_{mode}", sup.name, hwm / 1024)
                if not rotate and nfiles > 1:
                    self.a.notes.append(f"log, rotation off: {sup.name} left {nfiles} files in the "
                                        "log dir (it rotated although asked not to).")
                log(f"log {mode} {sup.name}: {nfiles} files, tree CPU {cpu:.2f} s, "
                    f"peak RSS {peak / 1024:.1f} MiB, sum VmHWM {hwm / 1024:.1f} MiB")
                self.teardown(sup)
                shutil.rmtree(logdir, ignore_errors=True)
                # the same producer into `cat > file`, in the same run, right before and right
                # after this peer; the faster of the two is the baseline (conservative for the ratio)
                cat = max(cat0, cat_run(out, "cat1"))
                self.put(f"log_cat_{mode}", sup.name, cat)
                self.put(f"log_vs_cat_{mode}", sup.name, self.res[f"log_mibs_{mode}"][sup.name][-1] / cat)
            finally:
                # 1 GiB per trial: free the disk before the next one
                shutil.rmtree(logdir, ignore_errors=True)
                if os.path.exists(out):
                    os.unlink(out)
        return fn

    def floor_run(self):
        r = subprocess.run([self.floor, str(self.a.kills), self.bw], capture_output=True, text=True,
                           check=True, timeout=60)
        lat = [float(x) / 1000 for x in r.stdout.split()]
        self.put("floor_p50", "floor", pct(lat, 50))
        self.put("floor_p90", "floor", pct(lat, 90))
        self.put("floor_max", "floor", max(lat))

    def run(self):
        sups = [s for s in SUPS if s in self.a.only]
        for rep in range(self.a.repeats):
            order = sups[rep % len(sups):] + sups[:rep % len(sups)]
            log(f"repeat {rep + 1}/{self.a.repeats}, order {order}")
            tree = "tree" in self.a.workloads
            if tree:
                self.floor_run()
            for n in self.a.tree_ns if tree else []:
                for s in order:
                    self.trial(s, self.w_tree(n), f"tree N={n}")
            if tree and "corrald" in sups and self.a.scale:
                self.trial("corrald", self.w_tree(self.a.scale), f"tree N={self.a.scale}")
            for s in order if "storm" in self.a.workloads else []:
                self.trial(s, self.w_storm(), "crash storm")
            for rotate in (0, LOG_ROTATE) if "log" in self.a.workloads else ():
                for s in order:
                    self.trial(s, self.w_log(rotate), f"log throughput, rotation {rotate or 'off'}")


def pct(xs, p):
    xs = sorted(xs)
    k = (len(xs) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


# --- report ------------------------------------------------------------------------------------
def fmt(v):
    if v >= 100:
        return f"{v:.0f}"
    if v >= 10:
        return f"{v:.1f}"
    if v >= 1:
        return f"{v:.2f}"
    return f"{v:.3f}"


def cell(vals):
    if not vals:
        return "–"
    m = statistics.median(vals)
    if len(vals) == 1:
        return fmt(m)
    return f"{fmt(m)} ({fmt(min(vals))}–{fmt(max(vals))})"


def ratio(res, key, peer):
    a, b = res.get(key, {}).get("corrald"), res.get(key, {}).get(peer)
    if not a or not b:
        return "–"
    ma, mb = statistics.median(a), statistics.median(b)
    if mb == 0:
        return "–" if ma == 0 else "∞"
    return f"{ma / mb:.2f}×"


def rows(a):
    ns = a.tree_ns
    out = []
    for n in ns:
        out.append((f"tree RSS, N={n} (MiB) ↓", f"mem_rss_{n}"))
        out.append((f"tree PSS, N={n} (MiB) ↓", f"mem_pss_{n}"))
    for n in ns:
        if n >= 100:
            out.append((f"cold start, N={n} (ms) ↓", f"cold_{n}"))
    out += [("restart latency p50, N=100 (ms) ↓", "kill_p50_100"),
            ("restart latency p90, N=100 (ms) ↓", "kill_p90_100"),
            ("restart latency max, N=100 (ms) ↓", "kill_max_100"),
            ("idle CPU, N=100 (ms CPU per s) ↓", "idle_cpu"),
            ("idle wakeups, N=100 (ctx switches/s) ↓", "idle_wakeups")]
    for n in ns:
        if n >= 100:
            out.append((f"status all, N={n}, native tool (ms) ↓", f"status_native_{n}"))
            out.append((f"status all, N={n}, supervisorctl (ms) ↓", f"status_supervisorctl_{n}"))
    for n in ns:
        if n in a.restart_ns:
            out.append((f"restart one, N={n}, native tool (ms) ↓", f"restart1_native_{n}"))
            out.append((f"restart one, N={n}, supervisorctl (ms) ↓", f"restart1_supervisorctl_{n}"))
    out += [("crash storm: tree CPU (%) ↓", "storm_cpu"),
            ("crash storm: max zombies seen ↓", "storm_zombies"),
            ("crash storm: RSS growth (MiB) ↓", "storm_rss"),
            ("crash storm: restarts/s", "storm_rate")]
    size = "1 GiB" if a.log_mib == 1024 else f"{a.log_mib} MiB"
    for rotate in (0, LOG_ROTATE):
        m = f"rot{rotate}"
        w = f"log {size}, rotation " + ("at 50 MB" if rotate else "off")
        out += [(f"{w}: throughput (MiB/s) ↑", f"log_mibs_{m}"),
                (f"{w}: `cat > file` same run, best of before/after this peer (MiB/s)", f"log_cat_{m}"),
                (f"{w}: throughput ÷ `cat > file` ↑", f"log_vs_cat_{m}"),
                (f"{w}: tree CPU per GiB logged (s) ↓", f"log_cpu_{m}"),
                (f"{w}: tree peak RSS, 100 ms samples (MiB) ↓", f"log_rss_{m}")]
    return out


def report(b, elapsed, cmd):
    a, res = b.a, b.res
    L = []
    L.append(f"Command: `{cmd}` — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
             f"{os.cpu_count()} CPUs, kernel {os.uname().release}, {a.repeats} repeat(s), "
             f"took {elapsed:.0f} s.")
    L.append("")
    L.append("Cells: median (min–max over repeats); a single number means one repeat. "
             "Ratios: corrald's median ÷ the peer's (↓ lower is better, ↑ higher is better).")
    L.append("")
    L.append("| workload | corrald | supervisord | s6 | runit | ÷ supervisord | ÷ s6 | ÷ runit |")
    L.append("|---|---|---|---|---|---|---|---|")
    for label, key in rows(a):
        r = res.get(key, {})
        L.append(f"| {label} | " + " | ".join(cell(r.get(s, [])) for s in SUPS) + " | "
                 + " | ".join(ratio(res, key, p) for p in SUPS[1:]) + " |")
    L.append("")
    fl = res.get("floor_p50", {}).get("floor")
    if fl:
        L.append(f"Restart floor (this machine, C loop kill→waitpid→fork→exec→first instruction, "
                 f"{a.kills} kills): p50 {cell(fl)} ms, p90 {cell(res['floor_p90']['floor'])} ms, "
                 f"max {cell(res['floor_max']['floor'])} ms.")
    if a.scale and any(k.endswith(f"_{a.scale}") for k in res):
        L.append("")
        L.append(f"Scale (corrald only): N=100 vs N={a.scale} programs")
        L.append("")
        L.append(f"| metric | N=100 | N={a.scale} |")
        L.append("|---|---|---|")
        for label, k in [("restart latency p50 (ms)", "kill_p50"), ("restart latency p90 (ms)", "kill_p90"),
                         ("restart latency max (ms)", "kill_max"),
                         ("status all, corralctl (ms)", "status_native"),
                         ("status all, supervisorctl (ms)", "status_supervisorctl"),
                         ("restart one, corralctl (ms)", "restart1_native"),
                         ("tree RSS (MiB)", "mem_rss"), ("tree PSS (MiB)", "mem_pss"),
                         ("cold start (ms)", "cold")]:
            L.append(f"| {label} | {cell(res.get(f'{k}_100', {}).get('corrald', []))} | "
                     f"{cell(res.get(f'{k}_{a.scale}', {}).get('corrald', []))} |")
    L.append("")
    L.append("How each peer runs (documented defaults unless stated):")
    L += [
        "- Workers: `bw stamp` (tests/bench/bw.c) records CLOCK_MONOTONIC as its first action, then "
        "sleeps in pause() like `sleep`. Memory counts supervisor processes only (corrald; supervisord; "
        "s6-svscan + s6-supervise ×N; runsvdir + runsv ×N), PSS/RSS from /proc/<pid>/smaps_rollup.",
        "- corrald and supervisord: the same generated INI, `-n -c`, unix socket, program defaults "
        "(startsecs=1, autorestart=unexpected, stdout/stderr captured to AUTO files in childlogdir).",
        "- s6 (s6-svscan, s6 2.11): scan dir, `run` is a symlink to bw (no shell); stopped with "
        "`s6-svscanctl -t`. s6-supervise waits 1 s before respawning a service that died (its documented "
        "throttle), which dominates its restart latency and caps a crash storm at 1 restart/s/service.",
        "- runit (runsvdir/runsv 2.1.2): same layout; stopped with `sv force-shutdown` + SIGHUP. runsv "
        "sleeps 1 s before respawning a service that ran < 1 s (crash storm). runsvdir rescans every 5 s.",
        "- Restart latency: SIGKILL a worker that has run ≥ 1.2 s (past every peer's startsecs/throttle) "
        f"→ its replacement's first instruction; {a.kills} kills per repeat, one at a time for corrald and "
        "supervisord; 50 ms apart for s6/runit, whose per-service supervisors are independent.",
        "- Status: corrald `corralctl status` (native) and `supervisorctl status`; supervisord "
        "`supervisorctl status`; s6 one `s6-svstat` per service dir (there is no all-services query); "
        "runit one `sv status dir…`. Median of "
        f"{a.ctl_reps} calls per repeat at N ≤ 100, {a.ctl_reps_big} above. Restart one (median of "
        f"{a.restart_reps}): `corralctl/supervisorctl restart` (waits "
        "startsecs=1 → ≥ 1 s by design), `s6-svc -r -wr` (includes the 1 s throttle), `sv restart` "
        "(polls for up).",
        f"- Idle: {a.idle:g} s window, CPU = utime+stime of the tree, wakeups = voluntary+involuntary "
        "context switches of the tree per second.",
        f"- Crash storm: 50 workers `exit 1` at once, {a.storm:g} s; corrald/supervisord with startsecs=0 "
        "(as the workload prescribes), others default. Zombies = Z-state children of tree processes, "
        "sampled every 100 ms. Restarts/s counted from the workers' own appends.",
        f"- Log: one worker (`bw produce`) writes {a.log_mib} MiB of 100-byte lines to stdout as fast as "
        "it can (--full: 1 GiB); rate = bytes on disk ÷ (producer's first instruction → every byte in "
        "the log dir, checked exact). s6 uses s6-log, runit svlogd, supervisord/corrald stdout_logfile. "
        "Run twice per peer: rotation off (corrald/supervisord stdout_logfile_maxbytes=0; svlogd `s0`, "
        f"which never rotates; s6-log `s{LOG_S6_MAX}`, the largest size it accepts, above the "
        f"workload) and rotation at 50 MB = {LOG_ROTATE} B (maxbytes={LOG_ROTATE}, s6-log/svlogd "
        f"`s{LOG_ROTATE}`), keeping ⌈bytes ÷ size⌉ + 2 archives so no byte is dropped. "
        "`cat > file`: the same producer piped into `cat > file` right before and right after each "
        "peer's trial (no supervisor running), the faster of the two. Tree CPU = utime+stime (/proc/<pid>/stat) summed over the supervisor "
        "tree (corrald; supervisord; s6-svscan, s6-supervise, s6-log; runsvdir, runsv, svlogd; not "
        "the producer) from the producer's first instruction (start-up excluded) to the last byte, "
        "÷ GiB logged (clock-tick resolution). Peak RSS = max over 100 ms samples of the tree's "
        "summed VmRSS during the run (the per-process VmHWM sum, which also covers start-up, is in "
        "the log line of each trial).",
        "- RLIMIT_NOFILE is raised to 65536 where allowed (needed for 1,000+ programs); s6-svscan gets "
        "`-c 2N+16` (its service capacity, default too small for N=1000).",
    ]
    L += [f"- {n}" for n in a.notes]
    if b.failures:
        L.append("")
        L.append("Failures in this run:")
        L += [f"- {f}" for f in b.failures]
    return "\n".join(L) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="< 5 minutes (default)")
    mode.add_argument("--full", action="store_true")
    ap.add_argument("--only", default=",".join(SUPS), help="comma list of peers")
    ap.add_argument("--ns", default=None, help="comma list of tree sizes (default 10,100,1000)")
    ap.add_argument("--scale", type=int, default=None, help="corrald-only N (0 = skip; default 10000 full, 2000 quick)")
    ap.add_argument("--repeats", type=int, default=None)
    ap.add_argument("--workloads", default="tree,storm,log", help="comma list of tree,storm,log")
    ap.add_argument("--out", default=None, help="also write the report to this file")
    a = ap.parse_args()
    full = a.full
    a.notes = []
    a.only = a.only.split(",")
    a.workloads = a.workloads.split(",")
    a.tree_ns = [int(x) for x in (a.ns or "10,100,1000").split(",")]
    a.scale = (10000 if full else 2000) if a.scale is None else a.scale
    a.repeats = a.repeats or (3 if full else 1)
    a.idle = 30.0 if full else 10.0
    a.storm = 30.0 if full else 10.0
    a.log_mib = 1024 if full else 64
    a.kills = 100 if full else 30
    a.ctl_reps = 5 if full else 3
    a.ctl_reps_big = 3 if full else 1
    a.restart_ns = (100, 1000) if full else (100,)
    a.restart_reps = 3 if full else 2
    cmd = " ".join(["tests/bench/run.sh"] + sys.argv[1:])

    for exe in (CORRALD, CORRALCTL):
        if "corrald" in a.only and not os.access(exe, os.X_OK):
            sys.exit(f"bench: {exe} missing; run make first")
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = 65536
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(hard, want)))
        except (ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ValueError, OSError):
        pass
    # corrald, like supervisord, holds 5 fds per program (stdin/stdout/stderr pipes + 2 log files)
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    fit = (nofile - 256) // 5 // 100 * 100
    if a.scale > fit:
        log(f"RLIMIT_NOFILE is {nofile} and cannot be raised: scale N {a.scale} -> {fit}")
        a.notes.append(f"Scale N reduced from {a.scale} to {fit}: RLIMIT_NOFILE hard limit here is "
                       f"{nofile} and cannot be raised; corrald (like supervisord) holds 5 fds per "
                       "program with default logging, so 10,000 programs need ≥ 50,256.")
        a.scale = fit
    set_subreaper()
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    tmp = tempfile.mkdtemp(prefix="corral-bench-")
    b = Bench(a, tmp)
    t0 = time.monotonic()
    rc = 0
    try:
        b.build_tools()
        b.run()
    except KeyboardInterrupt:
        log("interrupted; cleaning up")
        rc = 130
    finally:
        left = sweep()
        if left:
            log(f"warning: {left} processes could not be killed")
        if not os.environ.get("BENCH_KEEP"):
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            log(f"kept {tmp}")
    text = report(b, time.monotonic() - t0, cmd)
    print(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)
    return rc or (1 if b.failures else 0)


if __name__ == "__main__":
    sys.exit(main())
