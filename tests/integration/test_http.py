# SPDX-License-Identifier: MIT
"""The control server seen from the wire: error pages, limits, hostile bodies, concurrency, auth,
socket handling, and the /logtail and /mainlogtail streams (compat G)."""
import http.client
import os
import re
import socket
import stat
import subprocess
import threading
import time
import xmlrpc.client

import pytest

from conftest import alive, run_corrald, wait_until

SLEEPER = """
[program:sleeper]
command=/bin/sleep 1000
startsecs=0
"""

TALKER = """
[program:talker]
command=/bin/sh -c 'i=0; while :; do i=$((i+1)); echo "talker line $i"; echo "talker err $i" >&2; sleep 0.1; done'
startsecs=0
"""

# ctl's hand-written streaming client (compat G.2): empty Host and an extra CRLF.
CTL_GET = ("GET {path} HTTP/1.1\r\nHost: \r\nAccept-Encoding: chunked\r\nAccept: */*\r\n"
           "User-agent: Supervisor HTTP Client\r\n\r\n\r\n")

RPC_GETPID = (b"<?xml version='1.0'?>\n<methodCall>\n<methodName>supervisor.getPID</methodName>\n"
              b"<params>\n</params>\n</methodCall>\n")


def connect(d, timeout=10):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(d.sock)
    return s


def read_response(s, until=None, limit=1 << 20):
    """Read one response: headers plus Content-Length body, or until `until` is seen / EOF."""
    buf = b""
    while len(buf) < limit:
        if until is not None and until in buf:
            break
        head_end = buf.find(b"\r\n\r\n")
        if until is None and head_end >= 0:
            m = re.search(rb"(?i)\r\ncontent-length: *(\d+)", buf[:head_end])
            if m and len(buf) >= head_end + 4 + int(m.group(1)):
                break
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        buf += chunk
    return buf


def raw(d, data, until=None):
    s = connect(d)
    try:
        s.sendall(data if isinstance(data, bytes) else data.encode())
        return read_response(s, until)
    finally:
        s.close()


def post(body, path="/RPC2", extra=b""):
    return (b"POST " + path.encode() + b" HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml\r\n" + extra +
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=10):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


class UnixTransport(xmlrpc.client.Transport):
    def __init__(self, path):
        super().__init__()
        self.path = path

    def make_connection(self, host):
        return UnixHTTPConnection(self.path)


def proxy(d):
    return xmlrpc.client.ServerProxy("http://localhost", transport=UnixTransport(d.sock))


def get_pid_ok(d):
    r = raw(d, post(RPC_GETPID))
    return r.startswith(b"HTTP/1.1 200 ") and (b"<int>%d</int>" % d.pid) in r


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def status_code(resp):
    m = re.match(rb"HTTP/1\.[01] (\d{3}) ", resp)
    return int(m.group(1)) if m else None


def dechunk(data):
    """Body of a chunked response so far (incomplete trailing chunk ignored)."""
    body = data.split(b"\r\n\r\n", 1)[1]
    out = b""
    while True:
        m = re.match(rb"([0-9a-fA-F]+)\r\n", body)
        if not m:
            return out
        n = int(m.group(1), 16)
        start = m.end()
        if n == 0 or len(body) < start + n + 2:
            return out
        out += body[start:start + n]
        body = body[start + n + 2:]


# --- plain HTTP --------------------------------------------------------------------------------

def test_error_pages_and_routes(corral):
    d = corral.start(SLEEPER)
    r = raw(d, "GET /nonexistent HTTP/1.1\r\nHost: x\r\n\r\n")
    assert r.startswith(b"HTTP/1.1 404 ")
    assert b"Content-Type: text/html\r\n" in r
    assert r.endswith(b"<head>\r\n<title>Error response</title>\r\n</head>\r\n<body>\r\n"
                      b"<h1>Error response</h1>\r\n<p>Error code 404.\r\n<p>Message: Not Found.\r\n</body>\r\n")
    assert status_code(raw(d, "GET /RPC2 HTTP/1.0\r\n\r\n")) == 400
    assert raw(d, "GET /RPC2 HTTP/1.0\r\n\r\n").startswith(b"HTTP/1.0 400 ")
    assert status_code(raw(d, "PUT /logtail/sleeper HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")) == 400
    # XML-RPC on any path starting with /RPC2
    r = raw(d, post(RPC_GETPID, path="/RPC2/anything"))
    assert r.startswith(b"HTTP/1.1 200 ") and b"Content-Type: text/xml" in r


def test_garbage_and_truncated_bodies(corral):
    d = corral.start(SLEEPER)
    r = raw(d, b"POST /RPC2 HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello")
    assert status_code(r) == 400
    # Content-Length shorter than the XML: truncated document → 400
    body = RPC_GETPID
    r = raw(d, b"POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\n\r\n" + body)
    assert status_code(r) == 400
    # binary junk
    r = raw(d, post(bytes(range(256)) * 40))
    assert status_code(r) == 400
    # a body promised but never finished: the client gives up, the server carries on
    s = connect(d)
    s.sendall(b"POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n<?xml vers")
    s.close()
    # not even HTTP
    r = raw(d, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 100 + b"\r\n\r\n")
    assert status_code(r) in (None, 400)
    assert get_pid_ok(d)
    assert alive(d.pid)


def test_oversized_body_is_refused_quickly(corral):
    d = corral.start(SLEEPER)
    s = connect(d)
    t0 = time.monotonic()
    s.sendall(b"POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: 104857600\r\n\r\n")
    sent = 0
    block = b"<" * 65536
    try:
        s.settimeout(0.2)
        while sent < 100 * 1024 * 1024:
            try:
                sent += s.send(block)
            except socket.timeout:
                break                    # the server stopped reading: good
    except (BrokenPipeError, ConnectionResetError):
        pass
    s.settimeout(5)
    r = read_response(s)
    s.close()
    assert status_code(r) == 413, r[:200]
    assert sent < 100 * 1024 * 1024
    assert time.monotonic() - t0 < 10
    assert get_pid_ok(d)


def test_billion_laughs_is_harmless(corral):
    d = corral.start(SLEEPER)
    lol = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY lol "lol">\n'
           + b"".join(b'<!ENTITY lol%d "%s">\n' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                      for i in range(1, 10))
           + b"]>\n<methodCall><methodName>&lol9;</methodName></methodCall>\n")
    before = rss_kb(d.pid)
    t0 = time.monotonic()
    r = raw(d, post(lol))
    assert time.monotonic() - t0 < 5
    assert status_code(r) in (200, 400), r[:300]
    assert b"lollollollollol" not in r
    assert get_pid_ok(d)
    assert rss_kb(d.pid) - before < 64 * 1024


def test_keepalive_and_pipelining(corral):
    d = corral.start(SLEEPER)
    one = post(RPC_GETPID)
    s = connect(d)
    s.sendall(one + one + one)
    buf = b""
    deadline = time.monotonic() + 10
    while buf.count(b"</methodResponse>") < 3 and time.monotonic() < deadline:
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    s.close()
    assert buf.count(b"HTTP/1.1 200 OK\r\n") == 3


def test_fifty_concurrent_clients(corral):
    d = corral.start(SLEEPER)
    d.wait_state("sleeper", "RUNNING")
    results = []
    lock = threading.Lock()

    def worker():
        try:
            p = proxy(d)
            ok = all(p.supervisor.getPID() == d.pid for _ in range(5))
            info = p.supervisor.getProcessInfo("sleeper")
            ok = ok and info["statename"] == "RUNNING"
        except Exception as e:   # noqa: BLE001 - reported below
            ok = repr(e)
        with lock:
            results.append(ok)

    threads = [threading.Thread(target=worker) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(results) == 50
    assert all(r is True for r in results), [r for r in results if r is not True][:3]


def test_silent_and_slow_clients_do_not_block_others(corral):
    d = corral.start(SLEEPER)
    silent = [connect(d) for _ in range(10)]                 # connect and say nothing
    slow = connect(d)
    slow.sendall(b"POST /RPC2 HTTP/1.1\r\nHost: x\r\n")      # half a header block
    drip = connect(d)
    drip.sendall(b"POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: 300\r\n\r\n<?xml")
    t0 = time.monotonic()
    for _ in range(10):
        assert get_pid_ok(d)
    r = d.ctl("status")
    assert r.returncode == 0, r.stdout + r.stderr
    assert time.monotonic() - t0 < 10
    for s in silent + [slow, drip]:
        s.close()


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_fd_exhaustion_neither_spins_nor_hangs_the_socket(corral, tmp_path):
    """Issue 18: with every fd in use (ulimit -n 64, 40 programs whose spawns fail), the listen
    socket stays readable; corrald must not retry accept in a busy loop, and a client is still
    answered, with the spare descriptor kept for that."""
    progs = "".join(f"[program:p{i:02d}]\ncommand=/bin/sleep 1000\nstartsecs=0\n"
                    f"stdout_logfile={tmp_path}/p{i:02d}.log\nstderr_logfile={tmp_path}/p{i:02d}.err\n\n"
                    for i in range(40))
    d = corral.start("[supervisord]\nminfds=32\n\n" + progs, wrapper=("/usr/bin/prlimit", "--nofile=64:64"))
    wait_until(lambda: "too many open files" in d.log().lower(), what="spawns failing for lack of fds")
    # A client arrives while no fd is free: it is answered (from the spare descriptor) ...
    r = d.ctl("status", timeout=20)
    assert "FATAL" in r.stdout or "RUNNING" in r.stdout, r.stdout
    # An idle client now holds the spare descriptor, and a second one waits in the backlog with
    # no fd to take it: corrald retries calmly (no busy accept loop) ...
    holder = connect(d)
    wait_until(lambda: "cannot accept connections" in d.log(), what="exhaustion logged")
    waiting = connect(d)
    before, t0 = cpu_seconds(d.pid), time.monotonic()
    wait_until(lambda: time.monotonic() - t0 >= 2.0, timeout=5, what="a 2 s window")   # bounded: proves no spin
    used = cpu_seconds(d.pid) - before
    assert used < 0.5, f"corrald used {used:.2f} s of CPU in 2 s while out of fds (spinning)"
    # ... and serves the waiting client as soon as a descriptor is free.
    holder.close()
    body = b"<?xml version='1.0'?><methodCall><methodName>supervisor.getPID</methodName></methodCall>"
    waiting.sendall(post(body))
    assert f"<int>{d.pid}</int>".encode() in read_response(waiting)
    waiting.close()
    assert d.proc.poll() is None


def test_idle_client_is_dropped(corral):
    d = corral.start(SLEEPER)
    s = connect(d, timeout=60)
    s.sendall(b"POST /RPC2 HTTP/1.1\r\nHost: x\r\n")
    t0 = time.monotonic()
    data = s.recv(100)          # EOF once the server's idle timeout fires
    assert data == b"" or status_code(data) is not None
    assert time.monotonic() - t0 < 45
    s.close()


# --- auth --------------------------------------------------------------------------------------

def auth_conf(d_dir, user_pw):
    return f"""
[unix_http_server]
file={d_dir}/corral.sock
username=alice
password={user_pw}

[supervisorctl]
serverurl=unix://{d_dir}/corral.sock
username=alice
password=secret

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
""" + SLEEPER


@pytest.mark.parametrize("stored", ["secret", "{SHA}e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4"])
def test_auth(corral, tmp_path, stored):
    d = corral.start(auth_conf(tmp_path, stored))
    r = d.ctl("status")
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.match(r"sleeper +RUNNING +pid \d+", r.stdout)
    # no credentials: 401 with the exact headers, on every URL
    for req in (post(RPC_GETPID), CTL_GET.format(path="/logtail/sleeper").encode(),
                CTL_GET.format(path="/mainlogtail").encode(), b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"):
        resp = raw(d, req)
        assert resp.startswith(b"HTTP/1.1 401 "), resp[:100]
        assert b'WWW-Authenticate: Basic realm="default"\r\n' in resp
        assert re.search(rb"(?i)\r\nconnection: close\r\n", resp)
    # wrong password through the real supervisorctl: prints, retries once, exits 1
    r = subprocess.run(["/usr/bin/supervisorctl", "-c", d.conf, "-p", "wrong", "status"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1
    assert r.stdout.startswith("Server requires authentication\n")
    assert "401 Unauthorized" in r.stdout
    good = b"Authorization: Basic YWxpY2U6c2VjcmV0\r\n"
    assert status_code(raw(d, post(RPC_GETPID, extra=good))) == 200


# --- sockets -----------------------------------------------------------------------------------

def test_socket_mode_default_and_custom(corral, tmp_path):
    d = corral.start(SLEEPER)
    st = os.lstat(d.sock)
    assert stat.S_ISSOCK(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o700
    assert not [f for f in os.listdir(d.dir) if f.startswith("corral.sock.")]
    d.stop()
    assert not os.path.exists(d.sock), "socket file left behind at exit"
    other = tmp_path / "b"
    other.mkdir()
    d2 = corral.start(f"""
[unix_http_server]
file={other}/corral.sock
chmod=0760

[supervisorctl]
serverurl=unix://{other}/corral.sock
""" + SLEEPER, dir=other, wait=False)
    try:
        wait_until(lambda: os.path.exists(d2.sock), what="socket")
        assert stat.S_IMODE(os.lstat(d2.sock).st_mode) == 0o760
    finally:
        d2.stop()


def test_stale_socket_is_replaced(corral, tmp_path):
    path = str(tmp_path / "corral.sock")
    s = socket.socket(socket.AF_UNIX)
    s.bind(path)            # bound, never listening: what a crashed server leaves
    s.close()
    d = corral.start(SLEEPER, wait=False)
    wait_until(lambda: _try(lambda: get_pid_ok(d)), what="rpc over the replaced socket")


def test_live_socket_is_refused(corral, tmp_path):
    d = corral.start(SLEEPER)
    other = tmp_path / "second"
    other.mkdir()
    d2 = corral.start(f"""
[unix_http_server]
file={d.sock}

[supervisorctl]
serverurl=unix://{d.sock}
""", dir=other, wait=False)
    d2.expect_rc = 2                    # refused at startup: the usage/config exit status
    try:
        rc = d2.wait_exit(15)
        log = d2.log()
    finally:
        d2.stop()
    assert rc != 0
    assert f"Another program is already listening on {d.sock}" in log
    assert get_pid_ok(d), "the first server lost its socket"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def listen_backlog(port):
    """Connections waiting in the accept queue of the TCP listener on 127.0.0.1:port."""
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            local, state, queues = fields[1], fields[3], fields[4]
            if state == "0A" and int(local.split(":")[1], 16) == port:
                return int(queues.split(":")[1], 16)
    return None


def test_unauthenticated_floods_do_not_lock_out_an_authenticated_client(corral, tmp_path):
    """Issue 18: on one TCP listener (all peers 127.0.0.1), 1,000 unauthenticated connections
    misbehave in each way found — idle, headers with a Content-Length then hang up, slowloris —
    and an authenticated client is still answered promptly each time."""
    port = free_port()
    d = corral.start(f"""
[inet_http_server]
port=127.0.0.1:{port}
username=alice
password=secret
""" + SLEEPER, wait=True)
    body = b"<?xml version='1.0'?><methodCall><methodName>supervisor.getPID</methodName></methodCall>"
    request = post(body, extra=b"Authorization: Basic YWxpY2U6c2VjcmV0\r\n")   # alice:secret

    def answered_promptly():
        """One attempt, no retry (Python's xmlrpc client retries a reset connection once)."""
        t0 = time.monotonic()
        c = socket.create_connection(("127.0.0.1", port), timeout=30)
        try:
            c.sendall(request)
            resp = read_response(c)
        finally:
            c.close()
        assert status_code(resp) == 200 and f"<int>{d.pid}</int>".encode() in resp, resp[:300]
        return time.monotonic() - t0

    def opened(n, first=b""):
        socks = []
        for _ in range(n):
            c = socket.create_connection(("127.0.0.1", port), timeout=10)
            if first:
                c.sendall(first)
            socks.append(c)
        # corrald has taken every one in (to hold or to drop): the listen backlog is empty.
        wait_until(lambda: listen_backlog(port) == 0, what="connections accepted")
        return socks

    answered_promptly()

    head = b"POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"
    # 1. 1,000 idle connections, held open.
    idle = opened(1000)
    took = answered_promptly()
    for c in idle:
        c.close()
    assert took < 5, f"authenticated call took {took:.1f} s behind idle connections"
    # 2. 1,000 requests that announce a body and hang up.
    for c in opened(1000, head):
        c.close()
    took = answered_promptly()
    assert took < 5, f"authenticated call took {took:.1f} s behind hung-up requests"
    # 3. slowloris: 1,000 connections each trickling a header byte at a time.
    slow = opened(1000, b"P")
    for part in (b"O", b"S", b"T"):
        for c in slow:
            try:
                c.sendall(part)
            except OSError:
                pass
    took = answered_promptly()
    for c in slow:
        c.close()
    assert took < 5, f"authenticated call took {took:.1f} s behind slowloris clients"
    assert d.proc.poll() is None


def test_inet_loopback_and_refused_public(corral, tmp_path):
    port = free_port()
    d = corral.start(f"""
[inet_http_server]
port=127.0.0.1:{port}

[supervisorctl]
serverurl=http://127.0.0.1:{port}

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
""" + SLEEPER, wait=False)
    p = xmlrpc.client.ServerProxy(f"http://127.0.0.1:{port}/RPC2")
    wait_until(lambda: _try(lambda: p.supervisor.getPID()) == d.pid, what="tcp rpc")
    r = d.ctl("status")
    assert r.returncode == 0, r.stdout + r.stderr
    other = tmp_path / "pub"
    other.mkdir()
    d2 = corral.start(f"""
[inet_http_server]
port=0.0.0.0:{free_port()}
""" + SLEEPER, dir=other, wait=False)
    d2.expect_rc = 2                    # refused at startup: the usage/config exit status
    try:
        rc = d2.wait_exit(15)
        log = d2.log()
    finally:
        d2.stop()
    assert rc != 0
    assert "non-loopback" in log
    # --check-config agrees with the daemon (issue 18): the same file is invalid, exit 2.
    r = run_corrald(["--check-config", "-c", d2.conf])
    assert r.returncode == 2 and "non-loopback" in r.stderr, (r.returncode, r.stderr)


def _try(fn):
    try:
        return fn()
    except Exception:   # noqa: BLE001
        return None


# --- streams -----------------------------------------------------------------------------------

def test_logtail_stream_follows(corral):
    d = corral.start(TALKER)
    d.wait_state("talker", "RUNNING")
    wait_until(lambda: b"talker line 90\n" in raw(d, post(
        b"<?xml version='1.0'?><methodCall><methodName>supervisor.readProcessStdoutLog</methodName>"
        b"<params><param><value><string>talker</string></value></param><param><value><int>0</int></value>"
        b"</param><param><value><int>0</int></value></param></params></methodCall>")), what="log lines")
    s = connect(d)
    s.sendall(CTL_GET.format(path="/logtail/talker/stdout").encode())
    data = read_response(s, until=b"\r\n\r\n")
    head = data.split(b"\r\n\r\n")[0]
    assert head.startswith(b"HTTP/1.1 200 ")
    assert b"Transfer-Encoding: chunked" in head
    assert b"Content-Type: text/plain;charset=utf-8" in head
    assert b"X-Accel-Buffering: no" in head
    assert b"Content-Length" not in head
    # the first chunk is the last 1024 bytes; then new lines keep coming
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        data += s.recv(65536)
        body = dechunk(data)
        if len(body) > 1024 + 200:
            break
    s.close()
    body = dechunk(data)
    first = int(data.split(b"\r\n\r\n", 1)[1].split(b"\r\n", 1)[0], 16)
    assert first == 1024
    nums = [int(x) for x in re.findall(rb"talker line (\d+)\n", body)]
    assert nums == list(range(nums[0], nums[0] + len(nums))), "lines lost or repeated"
    assert len(body) > 1024 + 200


def test_logtail_errors_and_channels(corral):
    d = corral.start(TALKER)
    d.wait_state("talker", "RUNNING")
    for path in ("/logtail/bogus/stdout", "/logtail/talker/nope", "/logtail/nogroup:talker"):
        assert status_code(raw(d, CTL_GET.format(path=path))) == 404, path
    # no channel = stdout; "g:p" with %-escapes; stderr
    for path, needle in (("/logtail/talker", b"talker line"), ("/logtail/talker%3Atalker/stdout", b"talker line"),
                         ("/logtail/talker/stderr", b"talker err")):
        r = raw(d, CTL_GET.format(path=path), until=needle)
        assert r.startswith(b"HTTP/1.1 200 "), (path, r[:100])
        assert needle in r, path


def test_mainlogtail(corral):
    d = corral.start(SLEEPER)
    d.wait_state("sleeper", "RUNNING")
    s = connect(d)
    s.sendall(CTL_GET.format(path="/mainlogtail").encode())
    data = read_response(s, until=b"\r\n\r\n")
    assert data.startswith(b"HTTP/1.1 200 ")
    assert b"X-Accel-Buffering" not in data.split(b"\r\n\r\n")[0]
    # something logged now arrives on the stream
    d.ctl("stop", "sleeper")
    deadline = time.monotonic() + 10
    while b"stopped: sleeper" not in dechunk(data) and time.monotonic() < deadline:
        data += s.recv(65536)
    s.close()
    assert b"stopped: sleeper" in dechunk(data)


def test_truncation_is_announced(corral):
    d = corral.start(TALKER)
    d.wait_state("talker", "RUNNING")
    s = connect(d)
    s.sendall(CTL_GET.format(path="/logtail/talker").encode())
    data = read_response(s, until=b"talker line")
    assert d.ctl("clear", "talker").stdout == "talker: cleared\n"
    deadline = time.monotonic() + 10
    while b"==> File truncated <==\n" not in dechunk(data) and time.monotonic() < deadline:
        data += s.recv(65536)
    s.close()
    assert b"==> File truncated <==\n" in dechunk(data)


def test_many_followers_and_a_stalled_one(corral):
    d = corral.start("""
[program:flood]
command=/bin/sh -c 'while :; do head -c 60000 /dev/zero | tr "\\0" x; echo; sleep 0.05; done'
startsecs=0
stdout_logfile_maxbytes=0
""")
    d.wait_state("flood", "RUNNING")
    before = rss_kb(d.pid)
    stalled = socket.socket(socket.AF_UNIX)
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.connect(d.sock)
    stalled.sendall(CTL_GET.format(path="/logtail/flood").encode())   # and never read
    followers = [connect(d) for _ in range(20)]
    for f in followers:
        f.sendall(CTL_GET.format(path="/logtail/flood").encode())
    got = {i: 0 for i in range(len(followers))}
    deadline = time.monotonic() + 10
    while min(got.values()) < 500000 and time.monotonic() < deadline:
        for i, f in enumerate(followers):
            f.settimeout(0.01)
            try:
                got[i] += len(f.recv(1 << 20))
            except socket.timeout:
                pass
    assert min(got.values()) >= 500000, got
    t0 = time.monotonic()
    assert get_pid_ok(d)
    assert time.monotonic() - t0 < 2
    assert rss_kb(d.pid) - before < 32 * 1024, "per-connection buffering is not bounded"
    for f in followers + [stalled]:
        f.close()


def test_closed_followers_are_released(corral):
    d = corral.start(SLEEPER)          # a quiet log: only a hang-up can free the stream
    d.wait_state("sleeper", "RUNNING")
    base = len(os.listdir(f"/proc/{d.pid}/fd"))
    socks = [connect(d) for _ in range(10)]
    for s in socks:
        s.sendall(CTL_GET.format(path="/mainlogtail").encode())
        read_response(s, until=b"\r\n\r\n")
    assert len(os.listdir(f"/proc/{d.pid}/fd")) >= base + 10
    for s in socks:
        s.close()
    wait_until(lambda: len(os.listdir(f"/proc/{d.pid}/fd")) <= base, timeout=5,
               what="follower fds released after hang-up")


def test_deferred_reply_does_not_block_others(corral):
    d = corral.start("""
[program:slowstart]
command=/bin/sleep 1000
startsecs=5
autostart=false
""")
    p = proxy(d)
    bg = subprocess.Popen(["/usr/bin/supervisorctl", "-c", d.conf, "start", "slowstart"],
                          stdout=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: p.supervisor.getProcessInfo("slowstart")["statename"] == "STARTING",
                   timeout=20, what="STARTING")
        t0 = time.monotonic()
        assert get_pid_ok(d)
        assert time.monotonic() - t0 < 1
        assert bg.poll() is None, "start returned before startsecs"
        out, _ = bg.communicate(timeout=30)
    finally:
        if bg.poll() is None:
            bg.kill()
            bg.wait()
    assert out == "slowstart: started\n"
    assert bg.returncode == 0
