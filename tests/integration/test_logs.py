# SPDX-License-Identifier: MIT
"""Worker output and logs, black-box: byte-exact capture, rotation, AUTO names and cleanup,
/dev/stdout passthrough, SIGUSR2 with both logrotate styles, a full disk, tails and stdin."""
import glob
import os
import re
import shutil
import signal
import stat
import subprocess
import textwrap
import xmlrpc.client

import pytest

from conftest import wait_until


def script(tmp_path, name, body):
    """A worker script file (keeps '%' and quotes out of the INI)."""
    p = os.path.join(str(tmp_path), name)
    with open(p, "w") as f:
        f.write(textwrap.dedent(body))
    return p


def read(path):
    with open(path, "rb") as f:
        return f.read()


def assert_only_stdio(d, pid):
    """The worker's fds 0-2 are pipes, and it holds no other (d.check(), conftest's invariants)."""
    d.check()
    for fd in (0, 1, 2):
        assert os.readlink(f"/proc/{pid}/fd/{fd}").startswith("pipe:")


def numbered(n):
    return b"".join(b"line %d %s\n" % (i, b"x" * (i % 41)) for i in range(n))


NUMBERED = """
    import sys
    out = sys.stdout.buffer
    for i in range({n}):
        out.write(b"line %d %s\\n" % (i, b"x" * (i % 41)))
    out.flush()
"""


def rpc(d):
    """supervisor's own XML-RPC client over the unix socket (Debian's python3 has it)."""
    from supervisor.xmlrpc import SupervisorTransport
    t = SupervisorTransport(None, None, "unix://" + d.sock)
    return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=t)


def call_wide(d, method, name, *ints):
    """Call method(name, *ints) with 64-bit <i8> arguments, which Python's own marshaller
    refuses to send (clients in other languages do send them)."""
    from supervisor.xmlrpc import SupervisorTransport
    args = "".join(f"<param><value><i8>{n}</i8></value></param>" for n in ints)
    body = (f"<?xml version='1.0'?><methodCall><methodName>{method}</methodName><params>"
            f"<param><value><string>{name}</string></value></param>{args}</params></methodCall>")
    t = SupervisorTransport(None, None, "unix://" + d.sock)
    try:
        return t.request("127.0.0.1", "/RPC2", body.encode())[0]
    except xmlrpc.client.Fault as f:
        return f


def test_stdout_and_stderr_byte_exact(corral, tmp_path):
    blob = bytes(range(256)) * 300 + b"tail without newline"
    w = script(tmp_path, "w.py", f"""
        import os
        data = bytes(range(256)) * 300 + b"tail without newline"
        os.write(1, data[:1000]); os.write(2, b"err\\x00bytes")
        rest = data[1000:]
        while rest:
            n = os.write(1, rest); rest = rest[n:]
    """)
    out, err = tmp_path / "w.out", tmp_path / "w.err"
    d = corral.start(f"""
        [program:w]
        command=/usr/bin/python3 {w}
        startsecs=0
        autorestart=false
        stdout_logfile={out}
        stderr_logfile={err}
    """)
    d.wait_state("w", "EXITED")
    # The exit is reported only after the pipes were drained: no waiting needed here.
    assert read(out) == blob
    assert read(err) == b"err\x00bytes"


def test_redirect_stderr(corral, tmp_path):
    w = script(tmp_path, "r.py", """
        import os
        os.write(1, b"one\\n"); os.write(2, b"two\\n"); os.write(1, b"three\\n")
    """)
    out = tmp_path / "r.out"
    d = corral.start(f"""
        [program:r]
        command=/usr/bin/python3 {w}
        startsecs=0
        autorestart=false
        redirect_stderr=true
        stdout_logfile={out}
    """)
    d.wait_state("r", "EXITED")
    assert read(out) == b"one\ntwo\nthree\n"


def test_rotation_keeps_writes_whole_across_many_files(corral, tmp_path):
    n = 100000          # > 2.5 MB: more than 5 rotations even if every read is a full 256 KiB
    w = script(tmp_path, "n.py", NUMBERED.format(n=n))
    out = str(tmp_path / "n.log")
    d = corral.start(f"""
        [program:n]
        command=/usr/bin/python3 {w}
        startsecs=0
        autorestart=false
        stdout_logfile={out}
        stdout_logfile_maxbytes=8KB
        stdout_logfile_backups=200
    """)
    d.wait_state("n", "EXITED")
    backups = sorted(glob.glob(out + ".*"), key=lambda p: int(p.rsplit(".", 1)[1]))
    assert len(backups) > 5
    # Names are consecutive .1 … .N; as supervisord's handler, each write lands whole and the file
    # rotates after the write that fills it: every rotated file is full, by less than one read more.
    assert [p.rsplit(".", 1)[1] for p in backups] == [str(i) for i in range(1, len(backups) + 1)]
    assert all(8192 <= os.path.getsize(p) < 8192 + 256 * 1024 for p in backups)
    got = b"".join(read(p) for p in reversed(backups)) + read(out)
    assert got == numbered(n)


def test_rotation_drops_oldest(corral, tmp_path):
    # Enough output for more than 4 rotations however the pipe reads group it (a read is at most
    # 256 KiB, and each lands whole in one file).
    w = script(tmp_path, "o.py", NUMBERED.format(n=50000))
    out = str(tmp_path / "o.log")
    d = corral.start(f"""
        [program:o]
        command=/usr/bin/python3 {w}
        startsecs=0
        autorestart=false
        stdout_logfile={out}
        stdout_logfile_maxbytes=4KB
        stdout_logfile_backups=3
    """)
    d.wait_state("o", "EXITED")
    assert sorted(os.path.basename(p) for p in glob.glob(out + "*")) == \
        ["o.log", "o.log.1", "o.log.2", "o.log.3"]
    want = numbered(50000)
    got = read(out + ".3") + read(out + ".2") + read(out + ".1") + read(out)
    assert want.endswith(got)


def test_auto_names_mode_and_cleanup(corral, tmp_path):
    stale = [tmp_path / "old-stdout---supervisor-abcdefgh.log",
             tmp_path / "old-stderr---supervisor-abcdefgh.log.2"]
    keep = [tmp_path / "old-stdout---otherid-abcdefgh.log", tmp_path / "mine.log"]
    for p in stale + keep:
        p.write_bytes(b"x")
    w = script(tmp_path, "a.py", """
        import os
        os.write(1, b"to auto out\\n"); os.write(2, b"to auto err\\n")
    """)
    d = corral.start(f"""
        [program:a]
        command=/usr/bin/python3 {w}
        startsecs=0
        autorestart=false
    """)
    d.wait_state("a", "EXITED")
    for p in stale:
        assert not p.exists(), f"{p} not cleaned up"
    for p in keep:
        assert p.exists()
    names = {}
    for ch in ("stdout", "stderr"):
        found = [p for p in os.listdir(str(tmp_path))
                 if re.fullmatch(rf"a-{ch}---supervisor-[a-z0-9_]{{8}}\.log", p)]
        assert len(found) == 1, os.listdir(str(tmp_path))
        names[ch] = os.path.join(str(tmp_path), found[0])
        assert stat.S_IMODE(os.stat(names[ch]).st_mode) == 0o600
    assert read(names["stdout"]) == b"to auto out\n"
    assert read(names["stderr"]) == b"to auto err\n"
    # supervisorctl reads the AUTO files through readProcess*Log.
    assert d.ctl("tail", "a").stdout == "to auto out\n\n"    # ctl adds a newline
    assert d.ctl("tail", "a", "stderr").stdout == "to auto err\n\n"


def test_nocleanup_keeps_auto_logs(corral, tmp_path):
    stale = tmp_path / "old-stdout---supervisor-abcdefgh.log"
    stale.write_bytes(b"x")
    d = corral.start(f"""
        [supervisord]
        logfile={tmp_path}/corrald.log
        pidfile={tmp_path}/corrald.pid
        childlogdir={tmp_path}
        nocleanup=true

        [program:s]
        command=/bin/sleep 1000
    """)
    d.wait_state("s", "RUNNING")
    assert stale.exists()


def test_dev_stdout_passthrough_never_rotated(corral, tmp_path):
    w = script(tmp_path, "p.py", """
        import sys
        for i in range(200):
            sys.stdout.write("passthrough %d %s\\n" % (i, "y" * 30))
        sys.stdout.flush()
    """)
    d = corral.start(f"""
        [program:p]
        command=/usr/bin/python3 {w}
        startsecs=0
        autorestart=false
        stdout_logfile=/dev/stdout
        stdout_logfile_maxbytes=1KB
    """)
    d.wait_state("p", "EXITED")
    log = d.log()
    for i in range(200):
        assert f"passthrough {i} {'y' * 30}\n" in log
    assert not os.path.exists("/dev/stdout.1")


def counter_script(tmp_path):
    return script(tmp_path, "c.py", """
        import sys, time
        i = 0
        while True:
            sys.stdout.write("tick %d\\n" % i); sys.stdout.flush()
            i += 1
            time.sleep(0.005)
    """)


def ticks(data):
    return [int(l.split()[1]) for l in data.decode().splitlines()]


def assert_consecutive(nums):
    assert nums, "no ticks"
    assert nums == list(range(nums[0], nums[0] + len(nums))), "a tick was lost or duplicated"


def test_sigusr2_reopen_create_style(corral, tmp_path):
    out = str(tmp_path / "c.log")
    d = corral.start(f"""
        [program:c]
        command=/usr/bin/python3 {counter_script(tmp_path)}
        stdout_logfile={out}
    """)
    d.wait_state("c", "RUNNING")
    wait_until(lambda: os.path.getsize(out) > 200, what="some output")
    os.rename(out, out + ".rotated")             # logrotate "create"
    d.proc.send_signal(signal.SIGUSR2)
    wait_until(lambda: os.path.exists(out) and os.path.getsize(out) > 100, what="a new log file")
    d.ctl("stop", "c", check=True)
    old, new = read(out + ".rotated"), read(out)
    assert ticks(old)[0] == 0
    assert_consecutive(ticks(old) + ticks(new))


def test_restart_after_logrotate_create_writes_the_new_file(corral, tmp_path):
    """The recipe users copy: logrotate `create` + `postrotate supervisorctl restart x`. As
    supervisord does, a spawn opens the log path again, so the restarted worker's output lands
    in the new file, not in the rotated one (issue 18)."""
    out = str(tmp_path / "r.log")
    d = corral.start(f"""
        [program:r]
        command=/bin/sh -c 'echo "start $$"; exec /bin/sleep 1000'
        stdout_logfile={out}
        startsecs=0
    """)
    first = d.wait_spawned("r")[0]
    wait_until(lambda: os.path.exists(out) and read(out) == f"start {first}\n".encode(), what="first line")
    recipe = tmp_path / "logrotate.conf"
    recipe.write_text(f"""{out} {{
    rotate 2
    create
    missingok
    postrotate
        /usr/bin/supervisorctl -c {d.conf} restart r >/dev/null
    endscript
}}
""")
    r = subprocess.run(["/usr/sbin/logrotate", "-f", "-s", str(tmp_path / "lr.state"), str(recipe)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    second = d.wait_spawned("r", 2)[1]
    wait_until(lambda: read(out) == f"start {second}\n".encode(), what="restarted worker's line in the new file")
    assert read(out + ".1") == f"start {first}\n".encode()
    # And by hand, with no logrotate at all: mv, then restart.
    os.rename(out, out + ".moved")
    d.ctl("restart", "r", check=True)
    third = d.wait_spawned("r", 3)[2]
    wait_until(lambda: os.path.exists(out) and read(out) == f"start {third}\n".encode(), what="third line")
    assert read(out + ".moved") == f"start {second}\n".encode()


def test_auto_log_name_is_never_followed_through_a_planted_symlink(corral, tmp_path):
    """Issue 18: an AUTO log's name is known before the first spawn (getProcessInfo tells it, and
    childlogdir is often /tmp); a symlink planted there must not redirect the output."""
    victim = tmp_path / "victim"
    victim.write_bytes(b"")
    d = corral.start("""
        [program:a]
        command=/bin/sh -c 'echo secret; exec /bin/sleep 1000'
        autostart=false
        startsecs=0
    """)
    path = rpc(d).supervisor.getProcessInfo("a")["stdout_logfile"]
    # As supervisord's mkstemp: created at once, empty, 0600, so a never-started program's log
    # reads as '' (issue 18) and the name is taken.
    assert path.startswith(str(tmp_path)) and read(path) == b""
    assert stat.S_IMODE(os.lstat(path).st_mode) == 0o600
    assert d.ctl("tail", "a").returncode == 0
    assert rpc(d).supervisor.readProcessStdoutLog("a", 0, 0) == ""
    # Where the directory lets others replace it (here: not sticky), a planted symlink is refused.
    os.unlink(path)
    os.symlink(victim, path)
    d.ctl("start", "a", check=True)
    d.wait_log("cannot open")
    assert read(victim) == b""
    assert os.path.islink(path)


def test_sigusr2_copytruncate(corral, tmp_path):
    out = str(tmp_path / "t.log")
    d = corral.start(f"""
        [program:t]
        command=/usr/bin/python3 {counter_script(tmp_path)}
        stdout_logfile={out}
    """)
    d.wait_state("t", "RUNNING")
    wait_until(lambda: os.path.getsize(out) > 500, what="some output")
    shutil.copyfile(out, out + ".1")             # logrotate "copytruncate"
    os.truncate(out, 0)
    d.proc.send_signal(signal.SIGUSR2)
    wait_until(lambda: os.path.getsize(out) > 100, what="output after truncation")
    d.ctl("stop", "t", check=True)
    new = read(out)
    assert b"\x00" not in new, "sparse hole: writing went on at the old offset"
    # Lines written between the copy and the truncation are lost by copytruncate's design, but
    # what follows is whole and in order.
    assert_consecutive(ticks(new))


@pytest.mark.parametrize("maxbytes", ["0", "2KB"])
def test_tail_f_follows_growth_and_rotation(corral, tmp_path, maxbytes):
    out = str(tmp_path / "f.log")
    d = corral.start(f"""
        [program:c]
        command=/usr/bin/python3 {counter_script(tmp_path)}
        stdout_logfile={out}
        stdout_logfile_maxbytes={maxbytes}
        stdout_logfile_backups=3
    """)
    d.wait_state("c", "RUNNING")
    cap = tmp_path / "tail-f.out"
    with open(cap, "wb") as f:
        t = subprocess.Popen(["/usr/bin/supervisorctl", "-c", d.conf, "tail", "-f", "c"],
                             stdout=f, stderr=subprocess.STDOUT)
    try:
        # Follow through several rotations (a 2 KB file holds ~250 ticks).
        wait_until(lambda: b"tick 1000\n" in cap.read_bytes(), timeout=30,
                   what="tail -f output across rotations")
    finally:
        t.terminate()
        t.wait(10)
    assert os.path.exists(out + ".3") == (maxbytes != "0")
    # ctl's banner, then the last 1 KB (whose first line may be partial), then the stream.
    lines = cap.read_bytes().split(b"\n")[2:-1]
    assert b"==> File truncated <==" not in b"\n".join(lines)
    assert_consecutive([int(l.split()[1]) for l in lines])


def test_main_log_format_reopen_and_maintail(corral, tmp_path):
    d = corral.start("""
        [program:m]
        command=/bin/sleep 1000
    """)
    d.wait_state("m", "RUNNING")
    main = read(d.logfile).decode()
    assert re.search(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO spawned: 'm' with pid \d+$",
                     main, re.M), main
    # Foreground: the same lines on stderr.
    assert re.search(r"INFO spawned: 'm' with pid \d+", d.log())
    os.rename(d.logfile, d.logfile + ".old")
    d.proc.send_signal(signal.SIGUSR2)
    wait_until(lambda: os.path.exists(d.logfile), what="main log recreated")
    d.ctl("stop", "m", check=True)
    wait_until(lambda: "stopped: m" in read(d.logfile).decode(), what="stop logged in new file")
    assert "stopped: m" in d.ctl("maintail").stdout


def test_tail_and_clear(corral, tmp_path):
    w = script(tmp_path, "l.py", """
        import sys, time
        sys.stdout.write("".join("row %04d\\n" % i for i in range(1000))); sys.stdout.flush()
        time.sleep(1000)
    """)
    out = str(tmp_path / "l.log")
    d = corral.start(f"""
        [program:l]
        command=/usr/bin/python3 {w}
        stdout_logfile={out}
    """)
    d.wait_state("l", "RUNNING")
    wait_until(lambda: os.path.getsize(out) == 9000, what="output")
    assert_only_stdio(d, d.pid_of("l"))             # no log or pipe fd leaked into the worker
    assert d.ctl("tail", "-45", "l").stdout == "row 0995\nrow 0996\nrow 0997\nrow 0998\nrow 0999\n\n"
    s = rpc(d)
    data, offset, overflow = s.supervisor.tailProcessStdoutLog("l", 0, 18)
    assert (data, offset, overflow) == ("row 0998\nrow 0999\n", 9000, True)
    assert s.supervisor.readProcessStdoutLog("l", 9, 9) == "row 0001\n"
    # Client-chosen extremes (issue 18): no overflow, no allocation of the request's size, and
    # supervisord's answers (a huge tail length is the whole log; a huge read is the rest).
    whole = "".join("row %04d\n" % i for i in range(1000))
    tail, read = "supervisor.tailProcessStdoutLog", "supervisor.readProcessStdoutLog"
    assert call_wide(d, tail, "l", 0, 2**40) == [whole, 9000, False]
    assert call_wide(d, read, "l", 8991, 2**63 - 1) == "row 0999\n"
    for off, n in ((2**63 - 1, 2**63 - 1), (-2**63, -2**63), (2**63 - 1, -2**63), (-2**63, 2**63 - 1)):
        assert call_wide(d, tail, "l", off, n)[0] in ("", whole), (off, n)
        r = call_wide(d, read, "l", off, n)
        assert r == "" or r == whole or r.faultString == "BAD_ARGUMENTS", (off, n, r)
    assert d.proc.poll() is None
    d.ctl("clear", "l", check=True)
    assert os.path.getsize(out) == 0


def test_send_process_stdin(corral, tmp_path):
    w = script(tmp_path, "e.py", """
        import sys
        for line in sys.stdin:
            sys.stdout.write("echo " + line); sys.stdout.flush()
    """)
    out = str(tmp_path / "e.log")
    d = corral.start(f"""
        [program:e]
        command=/usr/bin/python3 {w}
        stdout_logfile={out}
    """)
    d.wait_state("e", "RUNNING")
    assert_only_stdio(d, d.pid_of("e"))
    s = rpc(d)
    assert s.supervisor.sendProcessStdin("e", "hello\n") is True
    big = "".join("n%06d\n" % i for i in range(40000))      # more than a pipe holds
    assert s.supervisor.sendProcessStdin("e", big) is True
    want = ("echo hello\n" + "".join("echo n%06d\n" % i for i in range(40000))).encode()
    wait_until(lambda: read(out) == want, timeout=20, what="stdin echoed")


@pytest.fixture
def small_tmpfs(tmp_path):
    mnt = tmp_path / "full"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mnt)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs to fill up (need root): {r.stderr.strip()}")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_enospc_keeps_running_and_recovers(corral, tmp_path, small_tmpfs):
    # 1 MiB into a 256 KiB filesystem: the worker must never block, and corrald goes on.
    w = script(tmp_path, "f.py", """
        import sys
        out = sys.stdout.buffer
        for i in range(16):
            out.write(b"z" * 65535 + b"\\n"); out.flush()
        sys.stderr.write("done writing\\n"); sys.stderr.flush()
        for line in sys.stdin:
            out.write(b"after " + line.encode()); out.flush()
    """)
    out = str(small_tmpfs / "f.log")
    err = str(tmp_path / "f.err")
    d = corral.start(f"""
        [program:f]
        command=/usr/bin/python3 {w}
        stdout_logfile={out}
        stdout_logfile_maxbytes=0
        stderr_logfile={err}
    """)
    d.wait_state("f", "RUNNING")
    wait_until(lambda: os.path.exists(err) and read(err) == b"done writing\n",
               what="worker not blocked by the full disk")
    wait_until(lambda: "dropping output" in read(d.logfile).decode(), what="ENOSPC reported")
    s = rpc(d)
    assert d.state_of("f") == "RUNNING"
    assert read(d.logfile).decode().count("dropping output") == 1, "reported once per incident"
    d.ctl("clear", "f", check=True)              # frees the space
    assert s.supervisor.sendProcessStdin("f", "resumed\n") is True
    wait_until(lambda: read(out).endswith(b"after resumed\n"), what="writing resumed")
    main = read(d.logfile).decode()
    assert main.count("writing again") == 1
    assert re.search(r"writing again, \d+ bytes were dropped", main)


@pytest.fixture
def ro_dir(tmp_path):
    """A directory that can be switched between read-only and read-write (a bind mount)."""
    d = tmp_path / "ro"
    d.mkdir()
    r = subprocess.run(["mount", "--bind", str(d), str(d)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot bind-mount (need root): {r.stderr.strip()}")

    def mode(m):
        subprocess.run(["mount", "-o", f"remount,bind,{m}", str(d)], check=True)
    mode("ro")
    yield d, mode
    subprocess.run(["umount", "-l", str(d)], check=False)


def test_read_only_log_dir_then_writable(corral, tmp_path, ro_dir):
    d_ro, mode = ro_dir
    out = str(d_ro / "x.log")
    d = corral.start(f"""
        [program:c]
        command=/usr/bin/python3 {counter_script(tmp_path)}
        stdout_logfile={out}
    """)
    d.wait_state("c", "RUNNING")
    wait_until(lambda: "dropping output" in read(d.logfile).decode(), what="EROFS reported")
    assert "Read-only file system" in read(d.logfile).decode()
    mode("rw")
    wait_until(lambda: os.path.exists(out) and os.path.getsize(out) > 100, what="writing resumed")
    assert d.state_of("c") == "RUNNING"
    main = read(d.logfile).decode()
    assert main.count("dropping output") == 1
    assert main.count("writing again") == 1
    assert_consecutive(ticks(read(out))[1:])
