# SPDX-License-Identifier: MIT
"""Daemon-level behaviour (issue 2): daemon mode (single fork, setsid, umask, cwd, /dev/null),
the locked pidfile and second-instance refusal, privilege drop, PID 1 in a pid namespace,
SIGUSR2."""
import os
import shutil
import signal
import subprocess
import tempfile

import pytest

from conftest import (CORRALD, STARTED, alive, children_of, compose_config, proc_status,
                      run_corrald, wait_until)


def read_pid(path):
    try:
        with open(path) as f:
            txt = f.read()
    except FileNotFoundError:
        return None
    return int(txt) if txt.endswith("\n") and txt.strip().isdigit() else None


def test_daemon_mode_forks_once_detaches_and_refuses_a_second_instance(corral, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    conf = tmp_path / "corral.conf"
    pidfile = tmp_path / "corrald.pid"
    conf.write_text(compose_config(str(tmp_path), f"""
        [supervisord]
        logfile={tmp_path}/corrald.log
        pidfile={pidfile}
        childlogdir={tmp_path}
        directory={work}
        umask=027

        [program:w]
        command=/bin/sleep 1000
        startsecs=0
        stopwaitsecs=1
    """))
    r = run_corrald(["-c", str(conf)], cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    pid = wait_until(lambda: read_pid(pidfile), what="pidfile")
    w = corral.adopt(pid, logfile=str(tmp_path / "corrald.log"))
    try:
        st = proc_status(pid)
        assert st is not None
        assert int(st["PPid"]) != os.getpid()
        assert os.getsid(pid) == pid and os.getpgid(pid) == pid, "no setsid()"
        assert st["Umask"] == "0027"
        assert os.readlink(f"/proc/{pid}/cwd") == str(work)
        for fd in (0, 1, 2):
            assert os.readlink(f"/proc/{pid}/fd/{fd}") == "/dev/null"
        worker = wait_until(lambda: children_of(pid), what="worker spawned")[0]
        # The worker inherits the daemon's umask.
        assert proc_status(worker)["Umask"] == "0027"

        # A second instance on the same pidfile refuses, in both modes, and changes nothing.
        for args in (["-c", str(conf)], ["-n", "-c", str(conf)]):
            r2 = run_corrald(args, cwd=str(tmp_path))
            assert r2.returncode == 1, (args, r2.stderr)
            assert "already running" in r2.stderr and str(pid) in r2.stderr
        assert read_pid(pidfile) == pid
        assert alive(pid) and alive(worker)
    finally:
        w.stop()
    assert not alive(worker)
    assert not pidfile.exists(), "pidfile left behind"


def test_foreground_pidfile_is_written_locked_and_removed(corral):
    d = corral.start("""
        [program:w]
        command=/bin/sleep 1000
        startsecs=0
        stopwaitsecs=1
    """)
    pidfile = os.path.join(d.dir, "corrald.pid")
    assert read_pid(pidfile) == d.pid
    r = run_corrald(["-n", "-c", d.conf], cwd=d.dir)
    assert r.returncode == 1 and "already running" in r.stderr
    assert read_pid(pidfile) == d.pid
    assert d.stop() == 0
    assert not os.path.exists(pidfile)


def test_stale_pidfile_is_replaced(corral, tmp_path):
    # A pidfile nobody holds (a crashed daemon) does not block the next start.
    (tmp_path / "corrald.pid").write_text("999999\n")
    d = corral.start("""
        [program:w]
        command=/bin/sleep 1000
        startsecs=0
        stopwaitsecs=1
    """)
    assert read_pid(str(tmp_path / "corrald.pid")) == d.pid


def test_started_line_and_sigusr2_reopen(corral):
    d = corral.start("""
        [program:w]
        command=/bin/sleep 1000
        startsecs=0
        stopwaitsecs=1
    """)
    assert f"{STARTED} {d.pid}" in d.log()
    os.kill(d.pid, signal.SIGUSR2)
    d.wait_log("received SIGUSR2 indicating log reopen request")
    assert d.proc.poll() is None


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
def test_user_drops_privileges(corral):
    tmp = tempfile.mkdtemp(prefix="corral-user-")
    os.chmod(tmp, 0o777)
    try:
        d = corral.start(f"""
            [supervisord]
            logfile={tmp}/corrald.log
            pidfile={tmp}/corrald.pid
            childlogdir={tmp}
            user=nobody

            [unix_http_server]
            file={tmp}/corral.sock

            [program:w]
            command=/bin/sleep 1000
            startsecs=0
            stopwaitsecs=1
        """)
        import pwd
        nobody = pwd.getpwnam("nobody").pw_uid
        assert proc_status(d.pid)["Uid"].split()[:2] == [str(nobody)] * 2
        worker = d.wait_spawned("w")[0]
        assert proc_status(worker)["Uid"].split()[0] == str(nobody)
        assert "Supervisor is running as root" not in d.log()
        d.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
def test_root_without_user_logs_crit(corral):
    d = corral.start("""
        [program:w]
        command=/bin/sleep 1000
        startsecs=0
        stopwaitsecs=1
    """)
    assert "CRIT Supervisor is running as root" in d.log()


@pytest.mark.skipif(shutil.which("unshare") is None or os.geteuid() != 0,
                    reason="needs unshare and root")
def test_pid1_in_a_pid_namespace_reaps_everything(corral, tmp_path):
    conf = tmp_path / "corral.conf"
    conf.write_text(compose_config(str(tmp_path), """
        [program:orphaner]
        command=/bin/sh -c 'while :; do /bin/sh -c "/bin/sleep 0.02 &"; /bin/sleep 0.05; done'
        startsecs=0
        stopwaitsecs=1

        [program:holder]
        command=/bin/sh -c '/bin/sh -c "/bin/sleep 1000 &"; exec /bin/sleep 1001'
        startsecs=0
        stopwaitsecs=1
    """))

    def log():
        return (tmp_path / "out").read_text(errors="replace")

    def start(*unshare_opts):
        with open(tmp_path / "out", "wb") as out:
            u = subprocess.Popen(["unshare", "--pid", "--fork", "--mount-proc", *unshare_opts, CORRALD,
                                  "-n", "-c", str(conf)], stdin=subprocess.DEVNULL, stdout=out,
                                 stderr=subprocess.STDOUT, cwd=str(tmp_path))
        wait_until(lambda: STARTED in log() or u.poll() is not None, what="corrald as pid 1")
        return u

    u = start()
    if u.poll() is not None and "cannot change root filesystem propagation" in log():
        # A chroot whose / is not a mount point (a bare root filesystem, as fresh-machine.sh
        # makes) cannot make / private; its mounts already are, so leave propagation alone.
        u = start("--propagation", "unchanged")
    try:
        assert f"{STARTED} 1" in log(), log()
        pid = wait_until(lambda: children_of(u.pid), what="corrald host pid")[0]
        # Its log names workers by their pids inside the namespace: zombies and survivors only.
        w = corral.adopt(pid)
        # Orphans are reparented to corrald (pid 1 inside) and reaped.
        wait_until(lambda: any(proc_status(c) and b"1000" in open(f"/proc/{c}/cmdline", "rb").read()
                               for c in children_of(pid)), what="adopted orphan")
        w.check()                       # orphans reaped: no zombie stays
        w.expect_exit()
        os.kill(pid, signal.SIGTERM)
        assert u.wait(15) == 0, log()
    finally:
        if u.poll() is None:
            u.kill()
            u.wait()


def test_sd_notify_ready_reloading_stopping(corral, tmp_path):
    import socket
    path = str(tmp_path / "notify.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    s.settimeout(10)
    try:
        d = corral.start("""
            [program:w]
            command=/bin/sleep 1000
            startsecs=0
            stopwaitsecs=1
        """, env={"NOTIFY_SOCKET": path})
        assert b"READY=1" in s.recv(4096)
        with open(f"/proc/{d.wait_spawned('w')[0]}/environ", "rb") as f:
            assert b"NOTIFY_SOCKET=" not in f.read(), "worker inherited NOTIFY_SOCKET"
        d.reload()
        assert b"RELOADING=1" in s.recv(4096)
        assert b"READY=1" in s.recv(4096)
        d.wait_spawned("w", 2)
        assert d.stop() == 0
        assert b"STOPPING=1" in s.recv(4096)
    finally:
        s.close()


def test_foreground_echoes_the_log_to_stdout_as_supervisord_does(tmp_path):
    """supervisord -n echoes its log to stdout (-s silences it); stderr stays quiet (issue 18)."""
    conf = tmp_path / "c.conf"
    conf.write_text(compose_config(str(tmp_path), "[program:a]\ncommand=/bin/sleep 1000\n"))
    for extra, echoed in (((), True), (("-s",), False)):
        out, err = tmp_path / "out", tmp_path / "err"
        with open(out, "wb") as o, open(err, "wb") as e:
            p = subprocess.Popen([CORRALD, "-n", "-c", str(conf), *extra], stdin=subprocess.DEVNULL,
                                 stdout=o, stderr=e)
        try:
            log = tmp_path / "corrald.log"
            wait_until(lambda: log.exists() and STARTED in log.read_text(), what="started")
        finally:
            p.send_signal(signal.SIGTERM)
            assert p.wait(30) == 0
        (tmp_path / "corrald.log").unlink()
        assert (STARTED in out.read_text()) == echoed, out.read_text()
        assert STARTED not in err.read_text(), err.read_text()
