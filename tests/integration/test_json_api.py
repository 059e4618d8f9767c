# SPDX-License-Identifier: MIT
"""corral's JSON status API (GET /corral/v1/status) and corralctl on it: the document's shape (a
"fields" header and one array row per process) and values against supervisorctl status, methods
and auth, corralctl's output identical with and without the API (CORRALCTL_NO_JSON=1), the
fallback against the real supervisord (404), and a fake server that only speaks JSON, which proves
corralctl really takes the JSON path and decodes any well-formed table (reordered and unknown
columns) while falling back to XML-RPC on anything else."""
import base64
import http.client
import json
import os
import re
import signal
import socket
import socketserver
import subprocess
import textwrap
import threading
import http.server
import sys
import xmlrpc.client

import pytest

sys.path.append("/usr/lib/python3/dist-packages")
import supervisor.xmlrpc  # noqa: E402  (Debian's supervisor package, for its unix-socket transport)

from conftest import CORRALCTL, SUPERVISORCTL, wait_until

SUPERVISORD = "/usr/bin/supervisord"
PATH = "/corral/v1/status"

PROGRAMS = """
[program:sleeper]
command=/bin/sleep 1000
startsecs=0

[program:quick]
command=/bin/false
startretries=0
startsecs=1

[program:manual]
command=/bin/sleep 1000
autostart=false

[program:missing]
command=/nonexistent/bin/x
startretries=0
stdout_logfile=NONE
stderr_logfile=NONE

[group:g]
programs=ga,gb

[program:ga]
command=/bin/sleep 1000
startsecs=0

[program:gb]
command=/bin/sleep 1000
startsecs=0
"""
FIELDS = ["name", "group", "namespec", "state", "statename", "pid", "start", "stop", "now",
          "exitstatus", "spawnerr", "description", "stdout_logfile", "stderr_logfile"]


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=10)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        self.sock.connect(self.path)


def request(sock, method="GET", path=PATH, auth=None):
    """(status, headers dict, body bytes) of one request on a fresh connection."""
    c = UnixHTTPConnection(sock)
    headers = {}
    if auth:
        headers["Authorization"] = "Basic " + base64.b64encode(auth.encode()).decode()
    c.request(method, path, headers=headers)
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, body


def rows(doc):
    """The document's process rows as dicts keyed by its "fields"."""
    return [dict(zip(doc["fields"], r, strict=True)) for r in doc["processes"]]


def table(sup, procs, fields=FIELDS):
    """A status document in corrald's shape from process dicts."""
    return {"supervisor": sup, "fields": fields, "processes": [[p[f] for f in fields] for p in procs]}


def settle(d):
    d.wait_state("sleeper", "RUNNING")
    d.wait_state("g:gb", "RUNNING")
    d.wait_state("quick", "FATAL")
    d.wait_state("missing", "FATAL")


def ctl_lines(r):
    """supervisorctl status → {namespec: (statename, description)}."""
    out = {}
    for line in r.stdout.splitlines():
        parts = line.split(None, 2)
        out[parts[0]] = (parts[1], parts[2] if len(parts) > 2 else "")
    return out


def test_shape_and_values(corral):
    d = corral.start(PROGRAMS)
    d.require_ctl()
    settle(d)
    st, hdr, body = request(d.sock)
    assert st == 200
    assert hdr["content-type"] == "application/json"
    assert body.endswith(b"]]}\n") and body.count(b"\n") == 1 and b'","' in body    # compact, one line
    doc = json.loads(body)
    assert list(doc) == ["supervisor", "fields", "processes"]
    sup = doc["supervisor"]
    assert sup["pid"] == d.pid and sup["state"] == "RUNNING" and sup["version"] == "4.2.5"
    assert sup["api_version"] == "3.0" and sup["statecode"] == 1
    assert doc["fields"] == FIELDS
    assert all(isinstance(r, list) and len(r) == len(FIELDS) for r in doc["processes"])
    procs = rows(doc)
    # getAllProcessInfo's order: by group, then name
    assert [p["namespec"] for p in procs] == ["g:ga", "g:gb", "manual", "missing", "quick", "sleeper"]
    by = {p["namespec"]: p for p in procs}
    assert by["sleeper"]["statename"] == "RUNNING" and by["sleeper"]["state"] == 20
    assert by["sleeper"]["pid"] == d.pid_of("sleeper") > 0
    assert by["sleeper"]["start"] > 0 and by["sleeper"]["now"] >= by["sleeper"]["start"]
    assert by["manual"]["statename"] == "STOPPED" and by["manual"]["pid"] == 0
    assert by["quick"]["state"] == 200 and by["quick"]["statename"] == "FATAL"
    assert by["missing"]["spawnerr"].startswith("can't find command")
    assert by["missing"]["stdout_logfile"] == "" and by["sleeper"]["stdout_logfile"].startswith(d.dir)
    assert by["g:ga"]["group"] == "g" and by["g:ga"]["name"] == "ga"

    # every field equal to getAllProcessInfo's (retried: "now" and uptimes tick)
    rpc = xmlrpc.client.ServerProxy("http://127.0.0.1", transport=supervisor.xmlrpc.SupervisorTransport(
        None, None, "unix://" + d.sock))

    def same_as_rpc():
        doc = json.loads(request(d.sock)[2])
        want = rpc.supervisor.getAllProcessInfo()
        for w in want:
            del w["logfile"]
            w["namespec"] = w["name"] if w["group"] == w["name"] else f'{w["group"]}:{w["name"]}'
        return rows(doc) == want
    wait_until(same_as_rpc, 10, interval=0.2, what="JSON status == getAllProcessInfo")

    # the same states and descriptions as supervisorctl status (retried: uptimes tick)
    def agree():
        want = ctl_lines(d.ctl("status"))
        doc = json.loads(request(d.sock)[2])
        got = {p["namespec"]: (p["statename"], p["description"]) for p in rows(doc)}
        return got == want
    wait_until(agree, 10, interval=0.2, what="JSON status == supervisorctl status")


def test_methods_and_paths(corral):
    d = corral.start("[program:a]\ncommand=/bin/sleep 1000\nstartsecs=0\n")
    d.require_ctl()
    for m in ("POST", "HEAD", "PUT", "DELETE"):
        st, hdr, _ = request(d.sock, m)
        assert st == 405, m
        assert hdr.get("allow") == "GET"
    assert request(d.sock, "GET", "/corral/v1/status/x")[0] == 404
    assert request(d.sock, "GET", "/corral/v1")[0] == 404
    assert request(d.sock, "GET", PATH + "?x=1")[0] == 200


def test_auth(corral):
    d = corral.start("""
        [supervisord]
        logfile=%(here)s/corrald.log
        pidfile=%(here)s/corrald.pid
        childlogdir=%(here)s

        [unix_http_server]
        file=%(here)s/corral.sock
        username=user
        password={SHA}%(sha)s

        [supervisorctl]
        serverurl=unix://%(here)s/corral.sock
        username=user
        password=secret

        [rpcinterface:supervisor]
        supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

        [program:a]
        command=/bin/sleep 1000
        startsecs=0
    """.replace("%(sha)s", __import__("hashlib").sha1(b"secret").hexdigest()))
    d.require_ctl()
    d.wait_state("a", "RUNNING")
    assert request(d.sock)[0] == 401
    st, hdr, _ = request(d.sock, auth="user:wrong")
    assert st == 401 and "basic" in hdr.get("www-authenticate", "").lower()
    assert request(d.sock, auth="other:secret")[0] == 401
    st, _, body = request(d.sock, auth="user:secret")
    assert st == 200 and rows(json.loads(body))[0]["name"] == "a"
    # corralctl with and without the API, and without credentials: same as supervisorctl
    for extra in ([], ["-u", "user", "-p", "wrong"]):
        a = subprocess.run([SUPERVISORCTL, "-c", d.conf, *extra, "status"], capture_output=True, text=True)
        for env in ({}, {"CORRALCTL_NO_JSON": "1"}):
            c = subprocess.run([CORRALCTL, "-c", d.conf, *extra, "status"], capture_output=True, text=True,
                               env=dict(os.environ, **env))
            assert (norm(c.stdout), c.returncode) == (norm(a.stdout), a.returncode), (extra, env, c.stderr)


def norm(text):
    return re.sub(r"uptime [\d:]+", "uptime T", text)


def run_both(conf, *args):
    """corralctl with the JSON API and with CORRALCTL_NO_JSON=1: (json run, xml run)."""
    j = subprocess.run([CORRALCTL, "-c", conf, *args], capture_output=True, text=True, timeout=30)
    x = subprocess.run([CORRALCTL, "-c", conf, *args], capture_output=True, text=True, timeout=30,
                       env=dict(os.environ, CORRALCTL_NO_JSON="1"))
    return j, x


ARGS = (["status"], ["status", "all"], ["status", "sleeper", "quick"], ["status", "g:*"],
        ["status", "g:ga", "nosuch"], ["status", "nosuch:*"], ["status", "sleeper"],
        ["--json", "status"], ["pid", "all"], ["--json", "pid", "all"])


def test_corralctl_same_with_and_without_json(corral):
    d = corral.start(PROGRAMS)
    d.require_ctl()
    settle(d)
    for args in ARGS:
        def agree():
            j, x = run_both(d.conf, *args)
            a = d.ctl(*[x for x in args if x != "--json"])
            same = (norm(j.stdout), j.returncode, j.stderr) == (norm(x.stdout), x.returncode, x.stderr)
            if "--json" not in args:
                same = same and (norm(j.stdout), j.returncode) == (norm(a.stdout), a.returncode)
            return same or print(args, j, x, a)
        wait_until(agree, 10, interval=0.2, what=f"corralctl {args} same with and without JSON")


def test_corralctl_when_shutting_down(corral):
    """While the daemon stops, the API still answers but corralctl takes the XML-RPC path, which
    reports SHUTDOWN_STATE exactly as supervisorctl does."""
    d = corral.start("""
        [program:slow]
        command=/bin/sh -c 'trap "" TERM; sleep 1000'
        stopwaitsecs=30
        startsecs=0
    """)
    d.require_ctl()
    d.wait_state("slow", "RUNNING")
    d.expect_exit()
    os.kill(d.pid, signal.SIGTERM)
    wait_until(lambda: json.loads(request(d.sock)[2])["supervisor"]["state"] == "SHUTDOWN", 10,
               what="SHUTDOWN state")
    j, x = run_both(d.conf, "status")
    a = d.ctl("status")
    assert (j.stdout, j.returncode) == (x.stdout, x.returncode) == (a.stdout, a.returncode)
    assert "SHUTDOWN_STATE" in j.stdout
    tree = d.descendants()
    d.expect_exit(rc=-signal.SIGKILL)
    os.kill(d.pid, signal.SIGKILL)
    for pid in tree:                    # a SIGKILLed corrald cannot stop its workers' children
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    d.wait_exit(10)


# --- a fake server that speaks only the JSON API ---------------------------------------------------
FAKE_SUP = {"pid": 4242, "state": "RUNNING", "statecode": 1, "version": "4.2.5", "api_version": "3.0"}
FAKE_PROCS = [
        {"name": "a\u00e9", "group": "a\u00e9", "namespec": "a\u00e9", "state": 20, "statename": "RUNNING",
         "pid": 7, "start": 1, "stop": 0, "now": 2, "exitstatus": 0, "spawnerr": "",
         "description": "pid 7, uptime 0:00:01", "stdout_logfile": "", "stderr_logfile": ""},
        {"name": "b", "group": "grp", "namespec": "grp:b", "state": 200, "statename": "FATAL",
         "pid": 0, "start": 0, "stop": 0, "now": 2, "exitstatus": 0, "spawnerr": "can't \"find\" \\x",
         "description": "can't \"find\" \\x", "stdout_logfile": "", "stderr_logfile": ""},
]
FAKE_DOC = table(FAKE_SUP, FAKE_PROCS)


class FakeHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def address_string(self):
        return "unix"

    def log_message(self, *a):
        pass

    def do_GET(self):
        self.server.requests.append(("GET", self.path))
        if self.path == PATH:
            body = self.server.doc
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
        else:
            body = b"not found"
            self.send_response(404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        self.server.requests.append(("POST", self.path))
        n = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(n)
        self.send_response(500)
        self.send_header("Content-Length", "0")
        self.end_headers()


class FakeServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def __init__(self, path):
        super().__init__(path, FakeHandler)
        self.requests = []
        self.connections = 0
        self.doc = json.dumps(FAKE_DOC).encode()

    def get_request(self):
        self.connections += 1
        return super().get_request()


@pytest.fixture
def fake(tmp_path):
    sock = str(tmp_path / "fake.sock")
    srv = FakeServer(sock)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    conf = tmp_path / "fake.conf"
    conf.write_text(f"[supervisorctl]\nserverurl=unix://{sock}\n")
    yield srv, str(conf)
    srv.shutdown()
    srv.server_close()
    t.join(10)


def test_corralctl_takes_the_json_path(fake):
    srv, conf = fake
    r = subprocess.run([CORRALCTL, "-c", conf, "status"], capture_output=True, text=True, timeout=30)
    assert r.stdout == ("a\u00e9" + " " * 31 + "RUNNING   pid 7, uptime 0:00:01\n"
                        "grp:b" + " " * 28 + "FATAL     can't \"find\" \\x\n")
    assert r.returncode == 3                        # a listed process is not running
    assert srv.requests == [("GET", PATH)] and srv.connections == 1     # no getVersion, no XML
    r = subprocess.run([CORRALCTL, "-c", conf, "pid", "all"], capture_output=True, text=True, timeout=30)
    assert (r.stdout, r.returncode) == ("7\n0\n", 0)
    r = subprocess.run([CORRALCTL, "-c", conf, "--json", "status", "grp:*"], capture_output=True, text=True)
    assert json.loads(r.stdout)[0]["spawnerr"] == "can't \"find\" \\x"
    # forced XML-RPC: the fake answers 500 to the POST
    srv.requests.clear()
    r = subprocess.run([CORRALCTL, "-c", conf, "status"], capture_output=True, text=True, timeout=30,
                       env=dict(os.environ, CORRALCTL_NO_JSON="1"))
    assert r.returncode != 0 and srv.requests == [("POST", "/RPC2")]


def test_corralctl_json_reader(fake):
    """corralctl decodes any well-formed table: columns found through "fields" (reordered, unknown
    ones ignored, missing ones read as ""/0), escapes, surrogate pairs, unknown members of any type,
    whitespace; anything malformed, not corrald's shape, or not from a RUNNING daemon means XML-RPC
    instead."""
    srv, conf = fake

    def status(doc):
        srv.doc = doc.encode() if isinstance(doc, str) else doc
        srv.requests.clear()
        r = subprocess.run([CORRALCTL, "-c", conf, "status"], capture_output=True, text=True, timeout=30)
        return r, [m for m, _ in srv.requests]

    # columns reordered, an unknown one ("future", holding an object), "namespec" and others absent
    odd = (' \n{ "extra" : [1, 2.5e3, {"x": [null, true, false, "\\u0041?"]}], "supervisor" : {"state":"RUNNING",'
           ' "api_version" : "3.0", "more": {}},\r\n "fields" : ["future", "statename", "group", "name", "state",'
           ' "pid", "description", "now"],\n "processes" : [ [{"a": [[]]}, "RUNNING", "g",'
           ' "x\\u00e9\\ud83d\\ude00\\t\\/\\"", 20, -0, "\\u2603 \\\\n", 1e3] ,'
           ' [null, "STOPPED", "g", "y", 2.0, 0, "Not started", 0] ] } \t')
    r, seen = status(odd)
    assert seen == ["GET"], r.stderr
    assert r.stdout == ("g:x\u00e9\U0001f600\t/\"" + " " * 25 + "RUNNING   \u2603 \\n\n"
                        "g:y" + " " * 30 + "STOPPED   Not started\n")
    assert r.returncode == 3                        # "state" 2.0 is not an integer: 0, not running

    # a process's state read from its "state" column, wherever that is: 20 RUNNING → exit 0
    fields = list(reversed(FIELDS))
    r, seen = status(json.dumps(table(FAKE_SUP, FAKE_PROCS[:1], fields)))
    assert (seen, r.returncode) == (["GET"], 0), r.stdout
    assert r.stdout == "a\u00e9" + " " * 31 + "RUNNING   pid 7, uptime 0:00:01\n"
    # no processes at all
    r, seen = status(json.dumps(table(FAKE_SUP, [])))
    assert (seen, r.stdout, r.returncode) == (["GET"], "", 0)

    good = json.dumps(FAKE_DOC)
    row0 = json.dumps(FAKE_DOC["processes"][0])
    for bad in (good[:-1], good + "x", good.replace(', 7, ', ', 07, ', 1), good.replace('""', '"\\u0000"', 1),
                good.replace('"RUNNING", "statecode"', '"SHUTDOWN", "statecode"'),
                good.replace('"3.0"', '"2.0"'), good.replace('"processes"', '"procs"'),
                good.replace('"a\\u00e9"', '"a\\x"', 1), good.replace("\\u00e9", "\\u00g9", 1),
                good.replace("\\u00e9", "\\ud800", 1), good.replace('""', '"\t"', 1),
                good.replace('"fields"', '"columns"'),                          # no header
                good.replace('"name", "group"', '"name", 1'),                   # a non-string column name
                good.replace('"name", "group"', '"name", "name"'),              # the same column twice
                good.replace(row0, row0[:-1] + ', 0]'),                         # a row longer than the header
                good.replace(row0, row0.replace(', ""]', ']')),                 # a row shorter
                good.replace(row0, json.dumps(FAKE_PROCS[0])),                  # a row that is an object
                good.replace('{"pid": 4242', '{"pid": 1, "pid": 4242'),         # a duplicate key
                good.replace(', 7, ', ', 99999999999999999999, ', 1),           # an integer jansson cannot hold
                "[]", "", "{" * 100 + "}" * 100, b"\xff" + good.encode()):
        assert bad != good
        r, seen = status(bad)
        assert seen == ["GET", "POST"], (bad, r.stdout)
        assert r.returncode != 0


# --- the real supervisord: 404, silent fallback on the same connection ----------------------------
def test_fallback_against_supervisord(tmp_path):
    sock = str(tmp_path / "sd.sock")
    conf = str(tmp_path / "sd.conf")
    with open(conf, "w") as f:
        f.write(f"[supervisord]\nlogfile={tmp_path}/sd.log\npidfile={tmp_path}/sd.pid\nchildlogdir={tmp_path}\n"
                f"[unix_http_server]\nfile={sock}\n[supervisorctl]\nserverurl=unix://{sock}\n"
                "[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = "
                "supervisor.rpcinterface:make_main_rpcinterface\n" + textwrap.dedent(PROGRAMS))
    out = open(tmp_path / "sd.out", "wb")
    p = subprocess.Popen([SUPERVISORD, "-n", "-c", conf], stdin=subprocess.DEVNULL, stdout=out,
                         stderr=subprocess.STDOUT, cwd=str(tmp_path))
    try:
        def listening():
            # supervisord creates the socket file before it listens: wait for a real connect.
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(sock)
                return True
            except OSError:
                return False
            finally:
                s.close()
        wait_until(listening, 15, what="supervisord listening")
        assert request(sock)[0] == 404

        def settled():
            s = ctl_lines(subprocess.run([SUPERVISORCTL, "-c", conf, "status"], capture_output=True, text=True))
            return s.get("sleeper", ("",))[0] == "RUNNING" and s.get("quick", ("",))[0] == "FATAL" \
                and s.get("missing", ("",))[0] == "FATAL" and s.get("g:gb", ("",))[0] == "RUNNING"
        wait_until(settled, 20, interval=0.2, what="supervisord settled")
        for args in ARGS:
            def agree():
                j, x = run_both(conf, *args)
                a = subprocess.run([SUPERVISORCTL, "-c", conf, *[x for x in args if x != "--json"]],
                                   capture_output=True, text=True)
                ok = (norm(j.stdout), j.returncode, j.stderr) == (norm(x.stdout), x.returncode, x.stderr)
                if "--json" not in args:
                    ok = ok and (norm(j.stdout), j.returncode) == (norm(a.stdout), a.returncode)
                return ok
            wait_until(agree, 10, interval=0.2, what=f"corralctl {args} against supervisord")
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        out.close()
