#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Soak test (`make soak`, never part of `make check`): run the real corrald for SOAK_S seconds
under every kind of load at once and fail if it grows, leaks zombies, dies or stops answering.

Load, all at the same time, on one corrald with a temp config:
  * crash storms: workers that exit at once, and workers that exit after 0.1-0.6 s, all with
    autorestart=true, startsecs=0 and backoff_reset=0 (restart at once, as supervisord does;
    tests/soak/crash.sh counts every start);
  * 20 concurrent control clients (XML-RPC over the unix socket): getAllProcessInfo,
    startProcess/stopProcess, readProcessStdoutLog, tailProcessStdoutLog;
  * log floods: workers writing a few MB/s each to stdout and stderr, rotation on (1 MB x 2);
  * a reload every 10 s: two `supervisorctl update`s (reloadConfig + add/remove groups, as
    supervisorctl does it) with a config change (a group comes and goes, another one's environment
    changes), then one SIGHUP, and again;
  * /logtail followers (HTTP GET /logtail/<name>[/stderr] and /mainlogtail, streaming) that come
    and go, some closing politely, some with a reset.

Every second it samples corrald's RSS, fd count, CPU% and its zombie children into a CSV, and a
separate probe times one getPID on a fresh connection. At the end it draws a PNG with gnuplot and
writes a summary. Outputs: <out>/soak.csv, <out>/soak.png, <out>/summary.txt.

Failures (exit status 1, reason on stderr and in the summary): corrald dies; the probe gets no
answer for PROBE_DEAD_S; a zombie child persists; RSS, fds or CPU grow after warm-up (median of
the second fifth of the run against the last fifth, tolerances below); corrald does not exit 0 on
SIGTERM at the end, or leaves a worker behind. Every process started is killed by pid at the end,
also on failure or Ctrl-C.
"""
import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import xmlrpc.client

HERE = os.path.dirname(os.path.abspath(__file__))
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024

N_CLIENTS = 20
MAX_FOLLOWERS = 6
RELOAD_EVERY_S = 10
FLOOD_OUT, FLOOD_ERR = 128 * 1024, 32 * 1024   # bytes per round of tests/soak/flood.sh
PROBE_DEAD_S = 15      # no getPID answer for this long = corrald stopped answering
CALL_TIMEOUT_S = 30    # one XML-RPC call (stopProcess waits for the stop) may take this long
ZOMBIE_PERSIST_S = 3   # a zombie child seen in this many consecutive samples is not being reaped

# Growth tolerances, last fifth's median vs second fifth's median (the first fifth is warm-up):
# * RSS: glibc's heap grows to the high-water mark of what is live at once (20 clients' request and
#   reply buffers, followers' tail buffers, a getAllProcessInfo reply built during a reload) and a
#   rare peak may come after warm-up; pages freed inside the heap are not returned. 1 MiB + 10%
#   absorbs that. A leak tied to the load does not fit in it: with the load this driver applies
#   (hundreds of requests and restarts per second, see the summary) 8 bytes lost per request or
#   per restart over the 3/5 of the run between the two windows already exceed it on a 20 min run
#   (the summary prints the smallest per-event leak the bound would catch for this run).
# * fds: the count is the listeners, log files, 2-3 pipes per live worker and one socket per open
#   connection, so it swings with the crash-storm workers alive at the sampling instant (14 of them,
#   3 pipes each: up to 42) and the followers and clients connected. The medians over a fifth of
#   the run damp that to a few fds; +16 stays far below one leaked fd per reload (72 between the
#   windows of a 20 min run) and per follower or per restart (thousands).
# * CPU: cost per event must not grow, but CPU% on a 2-core machine shared with other jobs is
#   noisy (a busy neighbour starves the driver and so lowers the load it offers). Only a gross
#   growth fails: more than 1.5x and 5 points.
RSS_TOL_KIB, RSS_TOL_FRAC = 1024, 0.10
FD_TOL = 16
CPU_TOL_FRAC, CPU_TOL_POINTS = 0.5, 5.0


class Failure(Exception):
    pass


# --- XML-RPC over the unix socket ----------------------------------------------------------------

class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.path)
        self.sock = s


class UnixTransport(xmlrpc.client.Transport):
    def __init__(self, path, timeout):
        super().__init__()
        self.path = path
        self.timeout = timeout

    def make_connection(self, host):
        if self._connection and host == self._connection[0]:
            return self._connection[1]
        self._connection = host, UnixHTTPConnection(self.path, self.timeout)
        return self._connection[1]


def proxy(sock, timeout=CALL_TIMEOUT_S):
    return xmlrpc.client.ServerProxy("http://localhost/RPC2", transport=UnixTransport(sock, timeout))


# --- /proc ---------------------------------------------------------------------------------------

def stat_fields(pid):
    """(state, ppid, utime+stime ticks, starttime, rss pages) or None if gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
    except OSError:
        return None
    rest = s[s.rindex(")") + 2:].split()
    # rest[0] is field 3 (state); field n is rest[n - 3]
    return rest[0], int(rest[1]), int(rest[11]) + int(rest[12]), int(rest[19]), int(rest[21])


def all_pids():
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def marked_pids(mark):
    """Pids whose environment carries SOAK_MARK=<mark>: corrald and everything it started."""
    want = f"SOAK_MARK={mark}".encode()
    out = []
    for pid in all_pids():
        if pid == os.getpid():
            continue
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                if want in f.read().split(b"\0"):
                    out.append(pid)
        except OSError:
            pass
    return out


# --- the config ----------------------------------------------------------------------------------

def make_config(d, gen):
    """The config of reload generation `gen`: the group `churn` exists only in odd generations and
    the talker's environment carries the generation, so every `update` adds or removes one group
    and restarts another."""
    crash, flood, talker = (os.path.join(HERE, x) for x in ("crash.sh", "flood.sh", "talker.sh"))
    text = f"""\
[supervisord]
logfile={d}/corrald.log
logfile_maxbytes=1MB
logfile_backups=2
pidfile={d}/corrald.pid
childlogdir={d}/logs
loglevel=info

[unix_http_server]
file={d}/corral.sock

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[program:crash_now]
command={crash} {d}/starts 1 now
process_name=%(program_name)s_%(process_num)d
numprocs=10
startsecs=0
autorestart=true
backoff_reset=0
stopasgroup=true

[program:crash_rand]
command={crash} {d}/starts 2 rand
process_name=%(program_name)s_%(process_num)d
numprocs=4
startsecs=0
autorestart=true
backoff_reset=0
stopasgroup=true
stderr_logfile_maxbytes=1MB
stderr_logfile_backups=1

[program:flood]
command={flood} {d}/floods {FLOOD_OUT} {FLOOD_ERR}
process_name=%(program_name)s_%(process_num)d
numprocs=2
startsecs=0
autorestart=true
stopasgroup=true
stdout_logfile_maxbytes=1MB
stdout_logfile_backups=2
stderr_logfile_maxbytes=1MB
stderr_logfile_backups=2

[program:talker]
command={talker} t
startsecs=0
autorestart=true
stopasgroup=true
stdout_logfile_maxbytes=1MB
stdout_logfile_backups=1
environment=SOAK_GEN="{gen}"

[program:sleeper]
command=/bin/sleep 1000000
process_name=%(program_name)s_%(process_num)d
numprocs=4
startsecs=0
autorestart=false
"""
    if gen % 2:
        text += f"""
[program:churn]
command={talker} churn
startsecs=0
stopasgroup=true
"""
    return text


# --- the load ------------------------------------------------------------------------------------

class Counters:
    def __init__(self):
        self.lock = threading.Lock()
        self.c = {}

    def add(self, key, n=1):
        with self.lock:
            self.c[key] = self.c.get(key, 0) + n

    def get(self, key):
        with self.lock:
            return self.c.get(key, 0)


class Soak:
    def __init__(self, corrald, seconds, out):
        self.corrald = corrald
        self.seconds = seconds
        self.out = out
        self.dir = tempfile.mkdtemp(prefix="corral-soak-")
        self.sock = os.path.join(self.dir, "corral.sock")
        self.conf = os.path.join(self.dir, "corral.conf")
        self.stop = threading.Event()
        self.fail = []                  # reasons found by the threads
        self.n = Counters()
        self.proc = None
        self.threads = []
        self.names = ["sleeper:sleeper_0"]
        self.last_answer = time.monotonic()
        self.ping_ms = float("nan")
        self.reloads = {"update": 0, "sighup": 0}

    def flag(self, why):
        self.fail.append(why)
        self.stop.set()

    def count_file(self, name):
        try:
            return os.path.getsize(os.path.join(self.dir, name))
        except OSError:
            return 0

    # corrald
    def start(self):
        os.makedirs(os.path.join(self.dir, "logs"))
        with open(self.conf, "w") as f:
            f.write(make_config(self.dir, 0))
        env = dict(os.environ, SOAK_MARK=self.dir)
        self.stdout = open(os.path.join(self.dir, "corrald.stdout"), "wb")
        # own session: a Ctrl-C on the terminal reaches the driver, which then stops corrald itself
        self.proc = subprocess.Popen([self.corrald, "-n", "-c", self.conf], env=env, stdin=subprocess.DEVNULL,
                                     stdout=self.stdout, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 20
        while True:
            try:
                if proxy(self.sock, 5).supervisor.getState()["statename"] == "RUNNING":
                    break
            except (OSError, xmlrpc.client.Error, http.client.HTTPException):
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise Failure(f"corrald did not come up (exit status {self.proc.poll()}); see {self.dir}")
            time.sleep(0.05)

    # 20 control clients
    def client(self, seed):
        rnd = random.Random(seed)
        p = proxy(self.sock)
        while not self.stop.is_set():
            name = rnd.choice(self.names)
            op = rnd.choice(("info", "info", "start", "stop", "read", "tail"))
            try:
                if op == "info":
                    infos = p.supervisor.getAllProcessInfo()
                    self.names = [f"{i['group']}:{i['name']}" for i in infos] or self.names
                elif op == "start":
                    p.supervisor.startProcess(f"sleeper:sleeper_{rnd.randrange(4)}", rnd.random() < 0.5)
                elif op == "stop":
                    p.supervisor.stopProcess(f"sleeper:sleeper_{rnd.randrange(4)}", rnd.random() < 0.5)
                elif op == "read":
                    p.supervisor.readProcessStdoutLog(name, -rnd.choice((100, 1600, 16000)), 0)
                else:
                    p.supervisor.tailProcessStdoutLog(name, rnd.randrange(0, 1 << 20), rnd.choice((100, 4096)))
                self.n.add("requests")
            except xmlrpc.client.Fault as e:
                # answered: BAD_NAME while a reload swaps groups, ALREADY_STARTED, NOT_RUNNING,
                # SHUTDOWN_STATE during a SIGHUP; the summary lists them by code
                self.n.add("requests")
                self.n.add("faults")
                self.n.add(f"fault {e.faultCode} {op}")
            except (OSError, xmlrpc.client.Error, http.client.HTTPException) as e:
                self.n.add("errors")
                self.n.add(f"error {type(e).__name__}")
                p = proxy(self.sock)
                self.stop.wait(0.1)
            # a short random pause: 20 clients otherwise keep the driver's GIL and a shared core busy
            self.stop.wait(rnd.uniform(0, 0.02))

    # /logtail followers
    def follower(self, rnd, lifetime):
        path = rnd.choice(["/logtail/talker", "/logtail/talker/stderr", "/logtail/flood:flood_0",
                           "/logtail/flood:flood_1/stderr", "/logtail/crash_rand:crash_rand_0/stderr",
                           "/logtail/churn", "/mainlogtail"])
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.n.add("followers_open")
        try:
            s.settimeout(5)
            s.connect(self.sock)
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
            end = time.monotonic() + lifetime
            got = 0
            while time.monotonic() < end and not self.stop.is_set():
                try:
                    b = s.recv(65536)
                except socket.timeout:
                    continue
                if not b:
                    break   # 404 for a group a reload removed, or the stream ended
                got += len(b)
            self.n.add("follow_bytes", got)
            if rnd.random() < 0.5:   # go away with a reset instead of a FIN
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
        except OSError as e:
            self.n.add("follow_errors")
            self.n.add(f"follow error {type(e).__name__}")
        finally:
            s.close()
            self.n.add("followers_open", -1)

    def followers(self):
        rnd = random.Random(7)
        live = []
        while not self.stop.is_set():
            live = [t for t in live if t.is_alive()]
            if len(live) < MAX_FOLLOWERS:
                t = threading.Thread(target=self.follower, args=(random.Random(rnd.random()), rnd.uniform(0.2, 8)),
                                     daemon=True)
                t.start()
                live.append(t)
                self.n.add("followers")
            self.stop.wait(rnd.uniform(0.1, 1.0))
        for t in live:
            t.join(10)

    # a reload every 10 s
    def update(self, p):
        added, changed, removed = p.supervisor.reloadConfig()[0]
        for g in removed:
            p.supervisor.stopProcessGroup(g)
            p.supervisor.removeProcessGroup(g)
        for g in changed:
            p.supervisor.stopProcessGroup(g)
            p.supervisor.removeProcessGroup(g)
            p.supervisor.addProcessGroup(g)
        for g in added:
            p.supervisor.addProcessGroup(g)
        if not (added or changed or removed):
            raise Failure("update found no change although the config changed")

    def reloader(self):
        gen = 0
        while not self.stop.wait(RELOAD_EVERY_S):
            gen += 1
            with open(self.conf + ".new", "w") as f:
                f.write(make_config(self.dir, gen))
            os.replace(self.conf + ".new", self.conf)
            try:
                if gen % 3 == 0:
                    os.kill(self.proc.pid, signal.SIGHUP)
                    self.reloads["sighup"] += 1
                else:
                    self.update(proxy(self.sock))
                    self.reloads["update"] += 1
            except (OSError, xmlrpc.client.Error, http.client.HTTPException, Failure) as e:
                self.flag(f"reload {gen} failed: {e!r}")

    # liveness
    def prober(self):
        while not self.stop.is_set():
            t0 = time.monotonic()
            try:
                if proxy(self.sock, PROBE_DEAD_S).supervisor.getPID() != self.proc.pid:
                    self.flag("getPID answered another pid")
                self.last_answer = time.monotonic()
                self.ping_ms = (self.last_answer - t0) * 1000
            except xmlrpc.client.Fault as e:
                # SHUTDOWN_STATE while a SIGHUP reload restarts everything (supervisord does the
                # same); it is an answer, but PROBE_DEAD_S of nothing else is a stuck reload
                self.n.add(f"probe fault {e.faultCode}")
                self.ping_ms = float("nan")
            except (OSError, xmlrpc.client.Error, http.client.HTTPException) as e:
                self.n.add("probe_errors")
                self.ping_ms = float("nan")
                self.n.add(f"probe error {type(e).__name__}")
            if time.monotonic() - self.last_answer > PROBE_DEAD_S:
                self.flag(f"corrald stopped answering: no getPID result for {PROBE_DEAD_S} s")
            self.stop.wait(max(0.0, 1.0 - (time.monotonic() - t0)))

    def spawn(self, target, *args):
        t = threading.Thread(target=target, args=args, daemon=True)
        t.start()
        self.threads.append(t)

    # sampling
    def zombies(self):
        """Zombie children of corrald as {(pid, starttime)}."""
        out = set()
        for pid in all_pids():
            f = stat_fields(pid)
            if f and f[1] == self.proc.pid and f[0] == "Z":
                out.add((pid, f[3]))
        return out

    def run(self):
        self.start()
        for i in range(N_CLIENTS):
            self.spawn(self.client, i)
        self.spawn(self.followers)
        self.spawn(self.reloader)
        self.spawn(self.prober)
        os.makedirs(self.out, exist_ok=True)
        csv = open(os.path.join(self.out, "soak.csv"), "w")
        csv.write("t_s,rss_kib,fds,cpu_pct,zombies,ping_ms,starts,requests,errors,log_mib,reloads,followers_open\n")
        self.rows = []
        seen = {}            # zombie -> consecutive samples
        t0 = time.monotonic()
        prev_t, prev_ticks = t0, stat_fields(self.proc.pid)[2]
        next_t = t0 + 1
        while not self.stop.is_set():
            self.stop.wait(max(0.0, next_t - time.monotonic()))
            next_t += 1
            if self.proc.poll() is not None:
                self.flag(f"corrald died (exit status {self.proc.returncode})")
                break
            f = stat_fields(self.proc.pid)
            try:
                fds = len(os.listdir(f"/proc/{self.proc.pid}/fd"))
            except OSError:
                fds = -1
            now = time.monotonic()
            cpu = (f[2] - prev_ticks) / CLK_TCK / (now - prev_t) * 100
            prev_t, prev_ticks = now, f[2]
            z = self.zombies()
            seen = {k: seen.get(k, 0) + 1 for k in z}
            stuck = [k[0] for k, n in seen.items() if n >= ZOMBIE_PERSIST_S]
            if stuck:
                self.flag(f"zombie child(ren) of corrald not reaped for {ZOMBIE_PERSIST_S} samples: pids {stuck}")
            row = (round(now - t0, 2), f[4] * PAGE_KIB, fds, round(cpu, 1), len(z), round(self.ping_ms, 1),
                   self.count_file("starts"), self.n.get("requests"), self.n.get("errors"),
                   round(self.count_file("floods") * (FLOOD_OUT + FLOOD_ERR) / 2**20, 1),
                   sum(self.reloads.values()), self.n.get("followers_open"))
            self.rows.append(row)
            self.elapsed = now - t0
            csv.write(",".join(str(x) for x in row) + "\n")
            csv.flush()
            if now - t0 >= self.seconds:
                break
        csv.close()
        self.stop.set()
        for t in self.threads:
            t.join(CALL_TIMEOUT_S + 5)

    # the end
    def shutdown(self):
        """Stop corrald with SIGTERM (it must exit 0 and leave no worker), then kill by pid
        whatever is left, whatever happened before."""
        problems = []
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(60)
                if rc != 0:
                    problems.append(f"corrald exited {rc} on SIGTERM, expected 0")
            except subprocess.TimeoutExpired:
                problems.append("corrald did not exit within 60 s of SIGTERM")
        deadline = time.monotonic() + 5
        while True:
            left = marked_pids(self.dir)
            if not left or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        if left and not self.fail:
            problems.append(f"processes outlived corrald: {left}")
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        return problems


# --- verdict, plot, summary ----------------------------------------------------------------------

def window_medians(rows, col):
    n = len(rows)
    second = [r[col] for r in rows[n // 5: 2 * n // 5]]
    last = [r[col] for r in rows[4 * n // 5:]]
    return statistics.median(second), statistics.median(last)


def growth_checks(rows):
    """(failures, figures) for RSS, fds and CPU."""
    fails, fig = [], {}
    if len(rows) < 25:
        return [f"run too short to judge growth ({len(rows)} samples, need 25)"], fig
    rss0, rss1 = window_medians(rows, 1)
    fd0, fd1 = window_medians(rows, 2)
    cpu0, cpu1 = window_medians(rows, 3)
    fig.update(rss_second_fifth_kib=rss0, rss_last_fifth_kib=rss1, fds_second_fifth=fd0, fds_last_fifth=fd1,
               cpu_second_fifth=cpu0, cpu_last_fifth=cpu1)
    rss_limit = rss0 * (1 + RSS_TOL_FRAC) + RSS_TOL_KIB
    fig["rss_limit_kib"] = round(rss_limit)
    if rss1 > rss_limit:
        fails.append(f"RSS grew: median {rss0} KiB in the second fifth, {rss1} KiB in the last (limit {rss_limit:.0f})")
    if fd1 > fd0 + FD_TOL:
        fails.append(f"fds grew: median {fd0} in the second fifth, {fd1} in the last (limit {fd0 + FD_TOL})")
    if cpu1 > cpu0 * (1 + CPU_TOL_FRAC) + CPU_TOL_POINTS:
        fails.append(f"CPU grew: median {cpu0}% in the second fifth, {cpu1}% in the last")
    return fails, fig


def plot(csv, png, rows):
    """Four panels; the grey bands are the two windows the growth check compares."""
    gp = shutil.which("gnuplot")
    if not gp:
        return "gnuplot not found (tests/deps.sh soak installs gnuplot-nox)"
    term = "pngcairo size 1100,1100 font 'sans,10'"
    if subprocess.run([gp, "-e", "set terminal pngcairo"], capture_output=True).returncode != 0:
        term = "png size 1100,1100"
    n = len(rows)
    bands = "\n".join(f"set object {i + 1} rect from {rows[a][0]}, graph 0 to {rows[b - 1][0]}, graph 1 "
                      "fillcolor rgb '#e8e8e8' fillstyle solid noborder behind"
                      for i, (a, b) in enumerate(((n // 5, 2 * n // 5), (4 * n // 5, n))))
    script = f"""
set terminal {term}
set output '{png}'
set datafile separator ','
set key autotitle columnhead top left
set grid
{bands}
set xlabel 'time (s)'
set xrange [0:{rows[-1][0] if rows else 1}]
set multiplot layout 4,1 title 'corrald soak: RSS, fds, CPU, zombies (1 sample/s; grey: the windows the growth check compares)'
set ylabel 'RSS (MiB)'
set yrange [0:*]
plot '{csv}' using 1:($2/1024) with lines lw 2 title 'RSS'
set ylabel 'open fds'
plot '{csv}' using 1:3 with lines lw 1 title 'fds'
set ylabel 'CPU (% of one core)'
plot '{csv}' using 1:4 with lines lw 1 title 'CPU'
set ylabel 'zombie children'
set yrange [0:*]
plot '{csv}' using 1:5 with impulses lw 2 title 'zombies'
unset multiplot
"""
    r = subprocess.run([gp], input=script, text=True, capture_output=True)
    return None if r.returncode == 0 else f"gnuplot failed: {r.stderr.strip()}"


def summarize(s, fails, fig, args):
    rows, el = s.rows, s.elapsed
    last = rows[-1] if rows else None
    lines = [f"corral soak: {'FAIL' if fails else 'PASS'}",
             f"duration: {el:.0f} s (asked {args.seconds} s), {len(rows)} samples, corrald {args.corrald}"]
    if last:
        starts, reqs, errs, log_mib = last[6], last[7], last[8], last[9]
        lines += [
            f"load: {starts / el:.0f} worker starts/s (crash storm, {starts} in all); "
            f"{reqs / el:.0f} XML-RPC requests/s from {N_CLIENTS} clients ({reqs} in all, "
            f"{s.n.get('faults')} faults, {errs} transport errors); "
            f"{log_mib / el:.2f} MiB/s of worker output ({log_mib:.0f} MiB); "
            f"reloads: {s.reloads['update']} update + {s.reloads['sighup']} SIGHUP; "
            f"{s.n.get('followers')} /logtail followers ({s.n.get('follow_bytes') / 2**20:.1f} MiB streamed, "
            f"{s.n.get('follow_errors')} errors); probe errors: {s.n.get('probe_errors')}",
            f"RSS: {rows[0][1]} KiB at start, {max(r[1] for r in rows)} KiB max, {last[1]} KiB at end",
            f"fds: {rows[0][2]} at start, {max(r[2] for r in rows)} max, {last[2]} at end",
            f"CPU: median {statistics.median(r[3] for r in rows):.1f}% of one core, max {max(r[3] for r in rows):.1f}%",
            f"zombies: max {max(r[4] for r in rows)} in one sample (none may persist {ZOMBIE_PERSIST_S} samples)",
            f"probe getPID: median {statistics.median([r[5] for r in rows if r[5] == r[5]] or [0]):.1f} ms, "
            f"max {max([r[5] for r in rows if r[5] == r[5]] or [0]):.1f} ms",
        ]
        errs_by = {k: v for k, v in sorted(s.n.c.items()) if " error " in f" {k} "}
        if errs_by:
            lines.append(f"errors by kind: {errs_by}")
        faults_by = {k: v for k, v in sorted(s.n.c.items()) if " fault " in f" {k} "}
        if faults_by:
            lines.append(f"faults by code and call: {faults_by}")
    if fig:
        lines.append(
            f"growth (median 2nd fifth -> last fifth): RSS {fig['rss_second_fifth_kib']} -> {fig['rss_last_fifth_kib']} KiB "
            f"(limit {fig['rss_limit_kib']}), fds {fig['fds_second_fifth']} -> {fig['fds_last_fifth']} (limit +{FD_TOL}), "
            f"CPU {fig['cpu_second_fifth']} -> {fig['cpu_last_fifth']}%")
        if last and last[7]:
            span = el * 3 / 5
            per_req = (fig["rss_limit_kib"] - fig["rss_second_fifth_kib"]) * 1024 / (last[7] / el * span)
            per_start = (fig["rss_limit_kib"] - fig["rss_second_fifth_kib"]) * 1024 / max(1, last[6] / el * span)
            lines.append(f"the RSS bound catches a leak of >= {per_req:.0f} B per request or >= {per_start:.0f} B per start")
    lines += [f"FAIL: {f}" for f in fails]
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corrald", default=os.path.join(HERE, "..", "..", "build", "corrald"))
    ap.add_argument("--seconds", type=int, default=int(os.environ.get("SOAK_S", "1200")))
    ap.add_argument("--out", default=os.path.join(HERE, "..", "..", "build", "soak"))
    args = ap.parse_args()
    args.corrald, args.out = os.path.abspath(args.corrald), os.path.abspath(args.out)
    os.makedirs(args.out, exist_ok=True)
    # Ctrl-C (even if our parent ignored SIGINT, as a shell does for `&` jobs) and SIGTERM (a CI
    # timeout) end the run through the cleanup below
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    s = Soak(args.corrald, args.seconds, args.out)
    s.rows, s.elapsed = [], 0.0
    fails, fig, interrupted = [], {}, False
    print(f"corral soak: {args.seconds} s, run dir {s.dir}, outputs in {args.out}", flush=True)
    try:
        s.run()
    except KeyboardInterrupt:
        interrupted = True
        fails.append("interrupted")
    except Failure as e:
        fails.append(str(e))
    finally:
        s.stop.set()
        fails = s.fail + fails
        fails += s.shutdown()
    if not interrupted and s.rows:
        g, fig = growth_checks(s.rows)
        fails += g
        why = plot(os.path.join(args.out, "soak.csv"), os.path.join(args.out, "soak.png"), s.rows)
        if why:
            fails.append(why)
    s.elapsed = max(s.elapsed, 1e-9)
    text = summarize(s, fails, fig, args)
    with open(os.path.join(args.out, "summary.txt"), "w") as f:
        f.write(text)
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump({"fails": fails, "elapsed_s": s.elapsed, "counters": s.n.c, "reloads": s.reloads, **fig}, f, indent=1)
    sys.stdout.write(text)
    if fails:
        tail = os.path.join(args.out, "corrald.log.tail")
        try:
            with open(os.path.join(s.dir, "corrald.log"), "rb") as src, open(tail, "wb") as dst:
                src.seek(max(0, os.path.getsize(src.name) - 65536))
                dst.write(src.read())
        except OSError:
            pass
        print(f"corral soak FAILED; run dir kept: {s.dir}; last 64 KiB of the main log: {tail}", file=sys.stderr)
        return 1
    shutil.rmtree(s.dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
