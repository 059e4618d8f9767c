# SPDX-License-Identifier: MIT
"""Large log replies (issue 18, item 3): readLog/readProcess*Log/tailProcess*Log of a big log are
streamed to the client as it reads, so clients that never read hold little memory, other clients
are answered at once, and a multicall of big reads never stalls the loop. The streamed text must
be exactly what the buffered path sends (escaping, U+FFFD for bytes XML cannot carry)."""
import codecs
import re
import socket
import time
import xmlrpc.client

from conftest import fd_count, wait_until
from test_http import connect, get_pid_ok, post, proxy, read_response

MB = 1 << 20


def rpc_call(method, *params):
    return xmlrpc.client.dumps(params, method).encode()


def big_logger(tmp_path):
    log = tmp_path / "big.log"
    return log, f"""
[program:big]
command=/bin/sleep 1000
startsecs=0
stdout_logfile={log}
stdout_logfile_maxbytes=0
"""


def per_byte_replace(err):
    return "\ufffd" * (err.end - err.start), err.end


codecs.register_error("corral-per-byte", per_byte_replace)


def expected_text(data):
    """What corrald sends for log bytes: UTF-8 with each byte of an invalid or cut sequence as
    U+FFFD, and the controls XML 1.0 forbids as U+FFFD too."""
    s = data.decode("utf-8", "corral-per-byte")
    return re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f]", "\ufffd", s)


def hwm_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmHWM:\s+(\d+)", f.read()).group(1))


def answers_fast(d, limit=1.0):
    t0 = time.monotonic()
    ok = get_pid_ok(d)
    return ok and time.monotonic() - t0 < limit, time.monotonic() - t0


def test_streamed_log_reads_are_exact(corral, tmp_path):
    log, conf = big_logger(tmp_path)
    d = corral.start(conf)
    d.wait_state("big", "RUNNING")
    # Multibyte characters at every alignment against any block size, markup characters, and the
    # bytes XML cannot carry (a lone 0xff, a control).
    unit = "€ & <tag> é 𝄞 ok\n".encode() + b"bad \xff ctl \x01 end\n"
    data = unit * (3 * MB // 2 // len(unit))
    with open(log, "ab") as f:
        f.write(data)
    p = proxy(d)
    assert p.supervisor.readProcessStdoutLog("big", 0, 0) == expected_text(data)
    # From inside a character: its continuation bytes are each replaced.
    assert p.supervisor.readProcessStdoutLog("big", 1, 0) == expected_text(data[1:])
    assert p.supervisor.readProcessStdoutLog("big", 5, MB) == expected_text(data[5:5 + MB])
    assert p.supervisor.tailProcessStdoutLog("big", 0, (1 << 31) - 1) == [expected_text(data), len(data), False]
    # A multicall mixing big reads (streamed) with small answers keeps every result in order.
    def call(method, *params):
        return {"methodName": method, "params": list(params)}
    res = p.system.multicall([call("supervisor.getPID"), call("supervisor.readProcessStdoutLog", "big", 0, 0),
                              call("supervisor.readProcessStdoutLog", "big", -100, 0),
                              call("supervisor.readProcessStdoutLog", "big", 7, MB - 1),
                              call("supervisor.readProcessStdoutLog", "nosuch", 0, 0)])
    assert res[0] == d.pid
    assert res[1] == expected_text(data)
    assert res[2] == expected_text(data[-100:])
    assert res[3] == expected_text(data[7:7 + MB - 1])
    assert res[4]["faultCode"] == 10
    # A small read still answers with a Content-Length, as supervisord does.
    s = connect(d)
    s.sendall(post(rpc_call("supervisor.readProcessStdoutLog", "big", -1600, 0)))
    r = read_response(s)
    s.close()
    assert re.search(rb"(?i)\r\ncontent-length: *\d+", r), r[:300]


def test_clients_that_do_not_read_hold_little_memory(corral, tmp_path):
    log, conf = big_logger(tmp_path)
    d = corral.start(conf)
    d.wait_state("big", "RUNNING")
    assert get_pid_ok(d)
    fds0 = fd_count(d.pid)
    with open(log, "ab") as f:
        f.write((b"x" * 99 + b"\n") * (50 * MB // 100))
    base = hwm_kb(d.pid)
    hogs = []
    for _ in range(16):
        s = connect(d)
        s.sendall(post(rpc_call("supervisor.readProcessStdoutLog", "big", 0, 0)))
        hogs.append(s)
    # Every hog's request is taken (it holds a connection) and the daemon still answers at once.
    wait_until(lambda: fd_count(d.pid) >= fds0 + 16, what="16 connections held")
    for _ in range(5):
        ok, took = answers_fast(d)
        assert ok, f"getPID took {took:.2f} s while 16 clients hold 50 MB replies"
    grew = (hwm_kb(d.pid) - base) // 1024
    assert grew < 100, f"peak RSS grew by {grew} MiB for 16 unread 50 MiB replies"
    for s in hogs:
        s.close()
    wait_until(lambda: fd_count(d.pid) <= fds0, what="the hogs' connections and files released")
    assert get_pid_ok(d)


def test_multicall_of_large_reads_does_not_stall_the_loop(corral, tmp_path):
    log, conf = big_logger(tmp_path)
    d = corral.start(conf)
    d.wait_state("big", "RUNNING")
    with open(log, "ab") as f:
        f.write((b"y" * 99 + b"\n") * (50 * MB // 100))
    base = hwm_kb(d.pid)
    calls = [{"methodName": "supervisor.readProcessStdoutLog", "params": ["big", 0, 0]}] * 20
    hog = connect(d)
    hog.sendall(post(rpc_call("system.multicall", calls)))
    # Whether the multicall is still being run or is being sent, others are answered within a second.
    for _ in range(5):
        ok, took = answers_fast(d)
        assert ok, f"getPID took {took:.2f} s beside a multicall of 20 reads of 50 MiB"
    grew = (hwm_kb(d.pid) - base) // 1024
    assert grew < 100, f"peak RSS grew by {grew} MiB for a multicall of 20 reads of 50 MiB"
    # The multicall itself is answered: its first bytes arrive.
    hog.settimeout(10)
    head = hog.recv(4096)
    assert head.startswith(b"HTTP/1.1 200 "), head[:200]
    hog.close()
    assert get_pid_ok(d)


def test_many_large_reads_in_one_multicall_are_bounded(corral, tmp_path):
    """More big reads than corrald keeps files open for: the extra ones are refused with a fault
    (never an unbounded buffer), the rest are streamed, and nothing leaks."""
    log, conf = big_logger(tmp_path)
    d = corral.start(conf)
    d.wait_state("big", "RUNNING")
    with open(log, "ab") as f:
        f.write((b"z" * 99 + b"\n") * 2000)
    fds0 = fd_count(d.pid)
    p = proxy(d)
    res = list(p.system.multicall([{"methodName": "supervisor.readProcessStdoutLog",
                                    "params": ["big", 0, 0]}] * 200))
    texts = [r for r in res if isinstance(r, str)]
    faults = [r for r in res if isinstance(r, dict)]
    assert len(texts) == 16 and all(len(t) == 200000 for t in texts)
    assert all(f["faultCode"] == 30 for f in faults), faults[:3]
    assert len(texts) + len(faults) == 200
    wait_until(lambda: fd_count(d.pid) <= fds0, what="streamed files closed")
