# SPDX-License-Identifier: MIT
"""Reload (issue 5): SIGHUP / supervisor.restart in place with the same pid, a broken config
that changes nothing, and reread/add/remove (supervisorctl reread, update, add, remove)."""
import os
import signal
import socket
import subprocess
import textwrap

import pytest

from conftest import STARTED, alive, proc_status, wait_until

BASE = """
    [program:a]
    command=/bin/sleep 1000
    startsecs=0
    stopwaitsecs=1
    priority=10

    [program:b]
    command=/bin/sleep 1001
    startsecs=0
    stopwaitsecs=1
    priority=20
"""


def test_sighup_with_broken_config_keeps_every_worker(corral):
    d = corral.start(BASE)
    pa, pb = d.wait_spawned("a")[0], d.wait_spawned("b")[0]
    d.write_config(BASE + "\n[program:broken]\nautostart=maybe\n")
    d.reload()
    d.wait_log("keeping old config")
    assert "broken" in d.log()
    assert d.proc.poll() is None, "corrald exited on a bad reload"
    assert alive(pa) and alive(pb)
    assert d.spawned_pids("a") == [pa] and d.spawned_pids("b") == [pb]
    assert d.log().count(STARTED) == 1
    # Still fully working: a good config afterwards reloads normally.
    d.write_config(BASE)
    d.reload()
    d.wait_spawned("a", 2)
    assert not alive(pa)


def test_sighup_restarts_on_the_new_config_with_the_same_pid(corral):
    d = corral.start(BASE)
    pa = d.wait_spawned("a")[0]
    d.wait_spawned("b")
    d.write_config(BASE.replace("[program:b]", "[program:c]"))
    d.reload()
    d.wait_spawned("c")
    d.wait_spawned("a", 2)
    log = d.log()
    assert log.count(f"{STARTED} {d.pid}") == 2
    assert "received SIGHUP indicating restart request" in log
    # Stopped in reverse priority order, before anything new started.
    assert log.index("stopped: b") < log.index("stopped: a") < log.index("spawned: 'c'")
    assert not alive(pa)
    assert len(d.spawned_pids("b")) == 1
    assert d.proc.poll() is None


def test_sigterm_during_reload_still_shuts_down(corral):
    d = corral.start("""
        [program:slow]
        command=/bin/sh -c 'trap "" TERM; while :; do sleep 0.1; done'
        startsecs=0
        stopwaitsecs=1
    """)
    pid = d.wait_spawned("slow")[0]
    # The trap must be in place, or the reload's SIGTERM ends it at once and the reload completes.
    wait_until(lambda: proc_status(pid) and int(proc_status(pid)["SigIgn"], 16) != 0,
               what="trap installed")
    d.reload()
    d.wait_log("waiting for slow to die")
    d.expect_exit()
    os.kill(d.pid, signal.SIGTERM)
    assert d.wait_exit(10) == 0
    assert not alive(pid)
    assert len(d.spawned_pids("slow")) == 1


def test_supervisorctl_reload_keeps_the_pid(corral):
    d = corral.start(BASE)
    d.require_ctl()
    pa = d.wait_spawned("a")[0]
    r = d.ctl("reload")
    assert r.returncode == 0, r.stdout + r.stderr
    d.wait_spawned("a", 2)
    assert not alive(pa)
    assert d.proc.poll() is None
    wait_until(lambda: d.pid_of("a") not in (0, pa), what="new pid in status")


def test_reread_update_add_remove(corral):
    d = corral.start(BASE)
    d.require_ctl()
    pa = d.wait_spawned("a")[0]
    pb = d.wait_spawned("b")[0]
    # b changes, c is added, a stays the same.
    new = BASE.replace("/bin/sleep 1001", "/bin/sleep 1002") + """
    [program:c]
    command=/bin/sleep 1003
    startsecs=0
    stopwaitsecs=1
    """
    d.write_config(new)
    r = d.ctl("reread")
    assert r.returncode == 0
    assert "b: changed" in r.stdout and "c: available" in r.stdout and "a:" not in r.stdout
    # Nothing changed yet.
    assert alive(pa) and alive(pb) and d.state_of("c") is None
    r = d.ctl("update")
    assert r.returncode == 0, r.stdout + r.stderr
    d.wait_state("c", "RUNNING")
    d.wait_state("b", "RUNNING")
    assert d.pid_of("a") == pa, "unchanged group was restarted"
    assert not alive(pb)
    # remove needs a stopped group
    r = d.ctl("remove", "c")
    assert r.returncode != 0 and "still running" in r.stdout.lower()
    d.ctl("stop", "c")
    r = d.ctl("remove", "c")
    assert r.returncode == 0 and "removed process group" in r.stdout
    assert d.state_of("c") is None
    r = d.ctl("add", "c")
    assert r.returncode == 0
    d.wait_state("c", "RUNNING")
    r = d.ctl("add", "nosuch")
    assert r.returncode != 0


def test_sighup_clears_old_auto_logs(corral):
    import glob
    d = corral.start(BASE)
    d.wait_spawned("a")
    pattern = os.path.join(d.dir, "a-stdout---supervisor-*.log")
    first = wait_until(lambda: glob.glob(pattern), what="AUTO log of a")
    assert len(first) == 1
    d.reload()
    d.wait_spawned("a", 2)
    now = wait_until(lambda: glob.glob(pattern), what="AUTO log of the new a")
    assert len(now) == 1 and now != first, (first, now)


def test_sighup_applies_the_new_loglevel(corral):
    from conftest import children_of
    d = corral.start(BASE)          # loglevel=debug
    old = d.wait_spawned("a")[0]
    d.write_config("[supervisord]\nlogfile=%s/corrald.log\npidfile=%s/corrald.pid\nchildlogdir=%s\n"
                   "loglevel=warn\n" % (d.dir, d.dir, d.dir) + textwrap.dedent(BASE))
    d.reload()

    def new_a():
        return [c for c in children_of(d.pid) if c != old and alive(c)
                and open(f"/proc/{c}/cmdline", "rb").read().startswith(b"/bin/sleep\x001000")]
    pid = wait_until(new_a, what="a restarted")[0]
    # A WARN line as a barrier: the unexpected exit of the new a. Its INFO spawn line came first.
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: d.log().count("exited: a") >= 1, what="WARN exit line")
    assert len(d.spawned_pids("a")) == 1, "INFO lines still logged after loglevel=warn"



def server_conf(tmp_path, unix_pw, inet_port, inet_host="127.0.0.1", inet_pw="secret"):
    return f"""
[unix_http_server]
file={tmp_path}/corral.sock
username=alice
password={unix_pw}

[inet_http_server]
port={inet_host}:{inet_port}
username=alice
password={inet_pw}

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
""" + BASE


def ctl_as(serverurl, password):
    """The real supervisorctl against serverurl as alice: (returncode, stdout)."""
    r = subprocess.run(["/usr/bin/supervisorctl", "-s", serverurl, "-u", "alice", "-p", password,
                        "pid"], capture_output=True, text=True, timeout=30)
    return r.returncode, r.stdout


def free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def test_reload_applies_control_server_changes(corral, tmp_path):
    """Issue 18: a reload applies [unix_http_server]/[inet_http_server] as supervisord does: the
    new password works and the old one is refused, a new port is served and the old one closed;
    an address that cannot be bound keeps the old one serving, with the new credentials, and the
    log says so."""
    p1, p2 = free_ports(2)
    unix = f"unix://{tmp_path}/corral.sock"
    d = corral.start(server_conf(tmp_path, "one", p1))
    ok = (0, f"{d.pid}\n")
    assert ctl_as(unix, "one") == ok
    assert ctl_as(f"http://127.0.0.1:{p1}", "secret") == ok

    def reloaded(n):
        d.reload()
        wait_until(lambda: d.log().count(STARTED) >= n, what=f"reload {n - 1}")

    d.write_config(server_conf(tmp_path, "two", p2, inet_pw="other"))
    reloaded(2)
    assert ctl_as(unix, "two") == ok
    assert ctl_as(unix, "one")[0] != 0
    assert ctl_as(f"http://127.0.0.1:{p2}", "other") == ok
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", p1), timeout=5).close()
    # A new address that is refused (non-loopback without... here: a port in use by someone else).
    squatter = socket.socket()
    squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    squatter.bind(("127.0.0.1", p1))
    squatter.listen(1)
    try:
        d.write_config(server_conf(tmp_path, "three", p1, inet_pw="third"))
        reloaded(3)
        assert "still serving on 127.0.0.1:%d, with the new credentials" % p2 in d.log()
        assert ctl_as(f"http://127.0.0.1:{p2}", "third") == ok
        assert ctl_as(f"http://127.0.0.1:{p2}", "other")[0] != 0
        assert ctl_as(unix, "three") == ok
    finally:
        squatter.close()
    assert d.proc.poll() is None
