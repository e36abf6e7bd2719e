#!/usr/bin/env python3
"""Peak memory of `rootlock webhook` under reviews with the largest answers.

    [ONLY=SCENARIO] [WH_PORT=18453] bench/webhook_memory.py [path/to/rootlock]
    # default binary: $CARGO_TARGET_DIR/release/rootlock, else target/release/rootlock;
    # ONLY runs one scenario: one, concurrent, unread, unread-h2 or dry-run

Starts the webhook (offline, default config: enforce, warn and audit all
`immutable`, so each answer names every failing container three times) on
loopback and, for each scenario, reports the server's RSS and the peak
(VmHWM) against the Deployment's memory limit (128 MiB), measured in the
same run as an idle server's RSS:

* one: a single such review, answered and read;
* concurrent: 8 clients each post the heaviest review the value bound
  admits (containers with 57-character names, each failing most checks)
  and read the answers;
* unread: 200 connections each post that review and never read the answer
  (the server holds what it cannot send);
* unread-h2: the same over HTTP/2, 8 connections x 32 streams;
* dry-run: the webhook against a fake API server (this script, plain HTTP,
  a kubeconfig pointing at it) whose namespace holds 3,000 running pods of
  about 9 KB of JSON each (managedFields, status, env), listed in the pages
  the webhook asks for; 4 clients each send 3 namespace UPDATEs that make
  enforce stricter, so each asks for a dry-run of every pod.

The server is restarted for each scenario, so each peak is its own.
"""

import http.server
import json
import os
import select
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Where cargo put the build (CARGO_TARGET_DIR), as the shell benches look.
TARGET_DIR = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
BIN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(TARGET_DIR, "release/rootlock")
LIMIT_MIB = 128
PORT = int(os.environ.get("WH_PORT", "18453"))


def heavy_review(containers=1800):
    rec = json.load(open(os.path.join(ROOT, "testdata/apiserver/admission/05-pod-create.json")))
    body = rec["body"]
    spec = body["request"]["object"]["spec"]
    spec["containers"] = [
        {
            # 57 characters: a DNS label has at most 63.
            "name": f"c{i:05d}-" + "x" * 50,
            "image": "nginx",
            "securityContext": {"privileged": True, "runAsUser": 0},
        }
        for i in range(containers)
    ]
    return json.dumps(body, separators=(",", ":")).encode()


def status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                out[k] = int(v.split()[0]) / 1024
    return out


def tcp_kernel_mib():
    """Memory of all TCP socket buffers on the machine (both ends of the
    loopback connections), which the kernel charges to the pods' cgroups."""
    with open("/proc/net/sockstat") as f:
        for line in f:
            if line.startswith("TCP:"):
                fields = line.split()
                return int(fields[fields.index("mem") + 1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    return 0.0


def tls_context(ca, alpn):
    ctx = ssl.create_default_context(cafile=ca)
    ctx.set_alpn_protocols([alpn])
    return ctx


def connect(ctx, reads=True):
    s = socket.create_connection(("127.0.0.1", PORT))
    if not reads:
        # A small receive buffer: what the client does not read stays with
        # the server, not in this socket.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    return ctx.wrap_socket(s, server_hostname="localhost")


def post_h1(conn, body):
    head = (
        "POST /validate?timeout=10s HTTP/1.1\r\nHost: localhost\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    conn.sendall(head + body)


def read_answer_h1(conn):
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    status = head.split(b"\r\n")[0].decode()
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v)
    while len(rest) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        rest += chunk
    return status, rest


def h2_frame(kind, flags, stream, payload):
    n = len(payload)
    return bytes([n >> 16, (n >> 8) & 255, n & 255, kind, flags]) + stream.to_bytes(4, "big") + payload


def h2_headers(path):
    """HPACK without indexing or Huffman: :method POST, :scheme https (from
    the static table), then literal :path, :authority, content-type."""
    def lit(name, value):
        return b"\x00" + bytes([len(name)]) + name + bytes([len(value)]) + value
    return (b"\x83\x87" + lit(b":path", path) + lit(b":authority", b"localhost")
            + lit(b"content-type", b"application/json"))


class H2Poster:
    """Posts `body` on `streams` HTTP/2 streams of `conn`, within the
    server's flow-control windows, while advertising a window of zero bytes
    for the answers (SETTINGS_INITIAL_WINDOW_SIZE 0): the server may not
    send them, and keeps them. Frames from the server are read (for its
    WINDOW_UPDATEs), so only flow control holds the answers back. One
    thread per connection: an SSL socket is not shared between threads."""

    def __init__(self, conn, body, streams):
        self.conn, self.body, self.streams = conn, body, streams
        self.conn_window = 65535
        self.stream_window = {}
        self.initial = 65535
        self.closed = False
        threading.Thread(target=self.run, daemon=True).start()

    def read_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.conn.recv(n - len(buf))
            if not chunk:
                raise OSError("closed")
            buf += chunk
        return buf

    def read_frame(self):
        head = self.read_exact(9)
        n = int.from_bytes(head[:3], "big")
        kind, flags, sid = head[3], head[4], int.from_bytes(head[5:9], "big") & 0x7FFFFFFF
        payload = self.read_exact(n)
        if kind == 4 and not flags & 1:  # SETTINGS: apply, acknowledge
            for i in range(0, n, 6):
                if int.from_bytes(payload[i:i + 2], "big") == 4:
                    self.initial = int.from_bytes(payload[i + 2:i + 6], "big")
            self.conn.sendall(h2_frame(4, 1, 0, b""))
        elif kind == 8:  # WINDOW_UPDATE
            inc = int.from_bytes(payload, "big") & 0x7FFFFFFF
            if sid == 0:
                self.conn_window += inc
            else:
                self.stream_window[sid] = self.stream_window.get(sid, self.initial) + inc
        elif kind == 7:  # GOAWAY
            self.closed = True

    def room(self, sid):
        return min(self.conn_window, self.stream_window.get(sid, self.initial), 16384)

    def run(self):
        self.conn.settimeout(10)
        headers = h2_headers(b"/validate?timeout=10s")
        todo = [(2 * i + 1, 0) for i in range(self.streams)]
        try:
            self.conn.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
                              + h2_frame(4, 0, 0, (4).to_bytes(2, "big") + (0).to_bytes(4, "big")))
            while not self.closed:
                sent = False
                while todo and self.room(todo[0][0]) > 0:
                    sid, off = todo[0]
                    if off == 0:
                        self.conn.sendall(h2_frame(1, 4, sid, headers))  # END_HEADERS
                    n = min(self.room(sid), len(self.body) - off)
                    end = off + n == len(self.body)
                    self.conn.sendall(h2_frame(0, 1 if end else 0, sid, self.body[off:off + n]))
                    self.conn_window -= n
                    self.stream_window[sid] = self.stream_window.get(sid, self.initial) - n
                    todo[0] = (sid, off + n)
                    if end:
                        todo.pop(0)
                    sent = True
                ready, _, _ = select.select([self.conn], [], [], 0 if sent else 0.2)
                if ready or self.conn.pending():
                    self.read_frame()
        except OSError:
            pass


def scenario(name, run, api=None):
    """`api`: the URL of an API server to use instead of `--offline`."""
    tmp = tempfile.mkdtemp(prefix="rootlock-memory-")
    subprocess.run([BIN, "webhook", "certs", "--out-dir", tmp, "--ip", "127.0.0.1", "--dns", "localhost"],
                   check=True, capture_output=True)
    env = dict(os.environ)
    if api:
        with open(f"{tmp}/kubeconfig", "w") as f:
            json.dump({"apiVersion": "v1", "kind": "Config", "current-context": "fake",
                       "clusters": [{"name": "fake", "cluster": {"server": api}}],
                       "users": [{"name": "fake", "user": {}}],
                       "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "fake"}}]}, f)
        env["KUBECONFIG"] = f"{tmp}/kubeconfig"
    server = subprocess.Popen(
        [BIN, "webhook", *([] if api else ["--offline"]), "--threads", "2", f"--listen=127.0.0.1:{PORT}",
         f"--tls-cert={tmp}/tls.crt", f"--tls-key={tmp}/tls.key"],
        stderr=open(os.environ.get("WH_LOG", "/dev/null"), "w"), env=env,
    )
    try:
        for _ in range(200):
            try:
                c = connect(tls_context(f"{tmp}/ca.crt", "http/1.1"))
                c.sendall(b"GET /readyz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                ready = c.recv(64).startswith(b"HTTP/1.1 200")
                c.close()
                if ready:
                    break
            except OSError:
                pass
            time.sleep(0.05)
        idle = status(server.pid)["VmRSS"]
        held, codes = run(tls_context(f"{tmp}/ca.crt", "h2" if name.endswith("h2") else "http/1.1"))
        time.sleep(2)
        s = status(server.pid)
        kernel = tcp_kernel_mib()
        made = answers_made(tls_context(f"{tmp}/ca.crt", "http/1.1"))
        print(f"{name:<12} idle {idle:6.1f} MiB   now {s['VmRSS']:6.1f} MiB   peak {s['VmHWM']:6.1f} MiB"
              f" = {s['VmHWM'] / LIMIT_MIB:5.1%} of {LIMIT_MIB} MiB   kernel TCP buffers now {kernel:6.1f} MiB\n{'':13}client saw: {codes}; server answered: {made}")
        for c in held:
            c.close()
    finally:
        server.kill()
        server.wait()
        subprocess.run(["rm", "-rf", tmp])


def answers_made(ctx):
    """The server's own count of /validate answers, by HTTP status."""
    c = connect(ctx)
    c.sendall(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    text = b""
    while chunk := c.recv(65536):
        text += chunk
    c.close()
    made = {}
    for line in text.decode(errors="replace").splitlines():
        if line.startswith('rootlock_webhook_requests_total{path="/validate"'):
            code = line.split('code="')[1].split('"')[0]
            made[code] = int(float(line.split()[-1]))
    return made


def concurrent(ctx, body, clients=8, rounds=3):
    codes = {}
    lock = threading.Lock()

    def one():
        c = connect(ctx)
        for _ in range(rounds):
            post_h1(c, body)
            st, answer = read_answer_h1(c) or ("closed", b"")
            n = len(answer)
            with lock:
                codes[st] = codes.get(st, 0) + 1
                codes["largest answer"] = max(codes.get("largest answer", 0), n)
        c.close()

    ts = [threading.Thread(target=one) for _ in range(clients)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return [], codes


def unread(ctx, body, conns=200):
    held = []
    for _ in range(conns):
        c = connect(ctx, reads=False)
        post_h1(c, body)
        held.append(c)
    time.sleep(8)
    return held, "not read"


def unread_h2(ctx, body, conns=8, streams=32):
    held = []
    for _ in range(conns):
        c = connect(ctx, reads=False)
        H2Poster(c, body, streams)
        held.append(c)
    time.sleep(8)
    return held, "not read"


def running_pod(i):
    """The recorded `kubectl run` pod as a running replica carries it:
    managedFields, status, env; about 9 KB of JSON."""
    rec = json.load(open(os.path.join(ROOT, "testdata/apiserver/admission/05-pod-create.json")))
    pod = rec["body"]["request"]["object"]
    pod["metadata"].update(name=f"web-{i:05d}", namespace="shop", ownerReferences=[
        {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": f"web-{i // 10}", "uid": f"rs-{i // 10}",
         "controller": True}])
    pod["metadata"]["managedFields"] = [{
        "manager": "kube-controller-manager", "operation": "Update", "apiVersion": "v1",
        "fieldsType": "FieldsV1",
        "fieldsV1": {"f:spec": {f"k:{{\"name\":\"c{k}\"}}": {".": {}, "f:image": {}, "f:name": {}}
                                for k in range(40)}}}]
    pod["status"] = {"phase": "Running", "podIP": "10.0.0.1", "conditions": [
        {"type": f"C{k}", "status": "True", "lastTransitionTime": "2026-11-28T15:47:09Z"} for k in range(8)]}
    for c in pod["spec"]["containers"]:
        c["env"] = [{"name": f"VARIABLE_{k}", "value": "x" * 40} for k in range(60)]
    return json.dumps(pod, separators=(",", ":"))


class FakeApi(http.server.BaseHTTPRequestHandler):
    """Namespace "shop" (list; a watch that stays silent) and its pods,
    paged as the API server pages them: `limit`, `continue` = offset."""
    pods = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        path, _, query = self.path.partition("?")
        q = dict(kv.split("=", 1) for kv in query.split("&") if "=" in kv)
        if path == "/api/v1/namespaces" and q.get("watch") in ("true", "1"):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            time.sleep(30)
            return
        if path == "/api/v1/namespaces":
            body = json.dumps({"kind": "NamespaceList", "apiVersion": "v1", "metadata": {"resourceVersion": "1"},
                               "items": [{"metadata": {"name": "shop", "resourceVersion": "1"}}]})
        elif path == "/api/v1/namespaces/shop/pods":
            start, limit = int(q.get("continue", 0)), int(q.get("limit", 500))
            end = min(start + limit, len(self.pods))
            meta = '{"resourceVersion":"1"' + (f',"continue":"{end}"' if end < len(self.pods) else "") + "}"
            body = '{"kind":"PodList","apiVersion":"v1","metadata":' + meta + ',"items":[' + \
                ",".join(self.pods[start:end]) + "]}"
        else:
            self.send_error(404)
            return
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the webhook gave up on this page (its dry-run's time ran out)


def fake_api(pods=3000):
    FakeApi.pods = [running_pod(i) for i in range(pods)]
    api = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeApi)
    api.daemon_threads = True
    threading.Thread(target=api.serve_forever, daemon=True).start()
    print(f"fake API: {pods} pods of {len(FakeApi.pods[0])} bytes")
    return api


def stricter_namespace_review():
    """A namespace UPDATE from enforce=privileged to enforce=immutable."""
    rec = json.load(open(os.path.join(ROOT, "testdata/apiserver/admission/02-namespace-update.json")))
    body = rec["body"]
    body["request"]["object"]["metadata"]["labels"] = {"rootlock.dev/enforce": "immutable"}
    body["request"]["oldObject"]["metadata"]["labels"] = {"rootlock.dev/enforce": "privileged"}
    return json.dumps(body, separators=(",", ":")).encode()


def dry_runs(ctx, body, clients=4, rounds=3):
    held, codes = concurrent(ctx, body, clients=clients, rounds=rounds)
    # What the last answer says: the dry-run's warnings, or why there were none.
    c = connect(ctx)
    post_h1(c, body)
    st, answer = read_answer_h1(c) or ("closed", b"")
    c.close()
    warnings = json.loads(answer)["response"].get("warnings", []) if answer else []
    print(f"{'':13}last answer: {st}, {len(warnings)} warnings: {warnings[:2]}")
    return held, codes


def main():
    body = heavy_review()
    print(f"review: {len(body)} bytes; server: {BIN}")
    if os.environ.get("ONLY") in (None, "one"): scenario("one", lambda ctx: concurrent(ctx, body, clients=1, rounds=1))
    if os.environ.get("ONLY") in (None, "concurrent"): scenario("concurrent", lambda ctx: concurrent(ctx, body))
    if os.environ.get("ONLY") in (None, "unread"): scenario("unread", lambda ctx: unread(ctx, body))
    if os.environ.get("ONLY") in (None, "unread-h2"): scenario("unread-h2", lambda ctx: unread_h2(ctx, body))
    if os.environ.get("ONLY") in (None, "dry-run"):
        api = fake_api()
        ns = stricter_namespace_review()
        scenario("dry-run-one", lambda ctx: dry_runs(ctx, ns, clients=1, rounds=1), api=f"http://127.0.0.1:{api.server_port}")
        scenario("dry-run", lambda ctx: dry_runs(ctx, ns), api=f"http://127.0.0.1:{api.server_port}")
        api.shutdown()


if __name__ == "__main__":
    main()
