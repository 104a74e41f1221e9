#!/usr/bin/env python3
"""Load test for `kruise-sim serve` on loopback (docs/serve.md, "Load test").

Serves a generated 1,000-node scenario at --speed 100 with a trace, then for 30 wall seconds:
  * 50 concurrent watchers (pods, nodes and BroadcastJobs, from the resourceVersion of a list);
  * 200 requests/s from 128 client threads: lists with label and field selectors, gets, full
    node lists, and node label patches (writes that every node watcher must see).
Then it pauses the clock, lets in-flight deliveries land, stops the server (SIGINT, which
finishes the trace) and checks:
  * no request failed (every status < 400) and the rate was kept;
  * no watch event was dropped: each watcher's stream equals the trace's `writes` of its kind
    after its starting resourceVersion, event for event (type and resourceVersion);
  * the server's resident memory stayed bounded (peak, and growth over the second half).
Exit status 0 when all hold, 1 otherwise.

Usage: tools/serve-load.py [--binary .build/release/kruise-sim] [--nodes 1000] [--seconds 30]
                           [--rate 200] [--watchers 50] [--speed 100] [--threads 128]
"""
import argparse
import http.client
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

SCENARIO = """name: serve-load
description: {nodes} nodes; an every-5-minute AdvancedCronJob broadcasting a 30 s pod to every node (TTL 60 s).
start: 2024-01-01T00:00:00Z
duration: 24h
nodes:
  - namePrefix: node
    count: {nodes}
manifests:
  - apiVersion: apps.kruise.io/v1alpha1
    kind: AdvancedCronJob
    metadata: {{name: sweep}}
    spec:
      schedule: "*/5 * * * *"
      template:
        broadcastJobTemplate:
          spec:
            template:
              spec:
                containers: [{{name: sweep, image: busybox}}]
                restartPolicy: Never
            completionPolicy: {{type: Always, ttlSecondsAfterFinished: 60}}
"""

RESOURCES = {
    "pods": ("Pod", "/api/v1/pods"),
    "nodes": ("Node", "/api/v1/nodes"),
    "broadcastjobs": ("BroadcastJob", "/apis/apps.kruise.io/v1alpha1/broadcastjobs"),
}


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


TYPE = re.compile(rb'^\{"type":"(\w+)"')
RV = re.compile(rb'"resourceVersion":"(\d+)"')


class Watcher(threading.Thread):
    """One watch from the resourceVersion of a list, read off a raw socket (Python's http.client
    is too slow for thousands of events a second). Each event is kept as (type, resourceVersion):
    a resourceVersion names one write, and these kinds carry no other resourceVersion field."""

    def __init__(self, host, port, resource):
        super().__init__(daemon=True)
        self.host, self.port, self.resource = host, port, resource
        self.kind, self.path = RESOURCES[resource]
        self.events = []  # (type, rv)
        self.start_rv = None
        self.error = None
        self.ready = threading.Event()

    def run(self):
        try:
            c = http.client.HTTPConnection(self.host, self.port, timeout=120)
            c.request("GET", self.path)
            body = json.loads(c.getresponse().read())
            c.close()
            self.start_rv = int(body["metadata"]["resourceVersion"])
            sock = socket.create_connection((self.host, self.port))
            sock.sendall(f"GET {self.path}?watch=true&resourceVersion={self.start_rv} HTTP/1.1\r\nHost: {self.host}\r\n\r\n".encode())
            buf = b""
            while b"\r\n\r\n" not in buf:
                data = sock.recv(65536)
                if not data:
                    raise RuntimeError("watch closed before its headers")
                buf += data
            head, buf = buf.split(b"\r\n\r\n", 1)
            if not head.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(f"watch {self.path}: {head.splitlines()[0]!r}")
            self.ready.set()
            # Chunked framing: each chunk is one event line; the size lines and CRLFs are skipped.
            while True:
                *lines, buf = buf.split(b"\n")
                for line in lines:
                    if line.startswith(b'{"type"'):
                        t = TYPE.match(line).group(1).decode()
                        if t == "ERROR":
                            raise RuntimeError(f"watch {self.path}: {line[:300]!r}")
                        self.events.append((t, int(RV.search(line).group(1))))
                data = sock.recv(1 << 20)
                if not data:
                    break
                buf += data
        except Exception as e:  # noqa: BLE001 - reported
            if not isinstance(e, ConnectionResetError):
                self.error = e
        finally:
            self.ready.set()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=".build/release/kruise-sim")
    ap.add_argument("--nodes", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--rate", type=float, default=200)
    ap.add_argument("--watchers", type=int, default=50)
    ap.add_argument("--speed", type=float, default=100)
    ap.add_argument("--threads", type=int, default=128)
    a = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="kruise-sim-load-")
    scen = os.path.join(tmp, "load.yaml")
    trace = os.path.join(tmp, "load.sqlite")
    with open(scen, "w") as f:
        f.write(SCENARIO.format(nodes=a.nodes))
    srv = subprocess.Popen([a.binary, "serve", scen, "--port", "0", "--speed", str(a.speed), "--trace", trace],
                           stdout=subprocess.PIPE, stderr=open(os.path.join(tmp, "serve.log"), "w"), text=True)
    url = srv.stdout.readline().strip()
    if not url.startswith("http://"):
        print(f"serve did not start; see {tmp}/serve.log", file=sys.stderr)
        return 1
    u = urllib.parse.urlparse(url)
    host, port = u.hostname, u.port
    print(f"serving {a.nodes} nodes at {url}, speed {a.speed}")

    mem = []
    stop_mem = threading.Event()

    def sample():
        while not stop_mem.is_set():
            mem.append((time.time(), rss_kib(srv.pid)))
            time.sleep(0.5)

    threading.Thread(target=sample, daemon=True).start()

    kinds = ["pods"] * 10 + ["nodes"] * 30 + ["broadcastjobs"] * 10
    watchers = [Watcher(host, port, kinds[i % len(kinds)]) for i in range(a.watchers)]
    for w in watchers:
        w.start()
    for w in watchers:
        w.ready.wait(60)

    # --rate req/s from --threads threads, each on its own keep-alive connection, each sending on
    # its own schedule (a thread held up by a slow answer sends its overdue requests at once).
    statuses, latencies, lock = [], [], threading.Lock()
    t0 = time.time()
    threads = a.threads
    per_thread = a.rate / threads

    def client(idx):
        c = http.client.HTTPConnection(host, port, timeout=60)
        n = 0
        while True:
            due = t0 + n / per_thread
            if due - t0 >= a.seconds:
                break
            d = due - time.time()
            if d > 0:
                time.sleep(d)
            k = (idx * 7919 + n) % 20
            node = f"node{(idx * 131 + n) % a.nodes + 1}"
            body, ctype = None, None
            if k < 5:
                method, path = "GET", "/api/v1/nodes?labelSelector=" + urllib.parse.quote(f"kubernetes.io/hostname={node}")
            elif k < 10:
                method, path = "GET", "/api/v1/namespaces/default/pods?fieldSelector=" + urllib.parse.quote(f"spec.nodeName={node}")
            elif k < 15:
                method, path = "GET", f"/api/v1/nodes/{node}"
            elif k < 17:
                method, path = "GET", "/apis/apps.kruise.io/v1alpha1/namespaces/default/broadcastjobs?labelSelector=" + urllib.parse.quote("app!=none")
            elif k < 18:
                method, path = "GET", "/api/v1/nodes"
            else:
                method, path = "PATCH", f"/api/v1/nodes/{node}"
                body, ctype = json.dumps({"metadata": {"labels": {"load": f"l{idx}-{n}"}}}), "application/merge-patch+json"
            s = time.time()
            try:
                c.request(method, path, body=body, headers={"Content-Type": ctype} if ctype else {})
                r = c.getresponse()
                r.read()
                st = r.status
            except Exception:  # noqa: BLE001
                st = 599
                c = http.client.HTTPConnection(host, port, timeout=60)
            with lock:
                statuses.append(st)
                latencies.append(time.time() - s)
            n += 1

    cs = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    for c in cs:
        c.start()
    for c in cs:
        c.join()
    wall = time.time() - t0

    # Pause, note the last resourceVersion, let deliveries in flight land, then stop.
    def call(method, path):
        c = http.client.HTTPConnection(host, port, timeout=60)
        c.request(method, path, body="" if method == "POST" else None)
        r = c.getresponse()
        return json.loads(r.read())

    call("POST", "/kruise-sim/speed?x=0")
    last_rv = int(call("GET", "/api/v1/nodes")["metadata"]["resourceVersion"])
    call("POST", "/kruise-sim/advance?by=5s")
    time.sleep(2)
    srv.send_signal(signal.SIGINT)
    srv.wait(120)
    stop_mem.set()

    db = sqlite3.connect(trace)
    by_kind = {}
    for kind, typ, rv in db.execute("SELECT kind, type, CAST(resource_version AS INTEGER) FROM writes ORDER BY seq"):
        by_kind.setdefault(kind, []).append((typ, rv))

    ok = True
    dropped = 0
    for i, w in enumerate(watchers):
        if w.error:
            print(f"watcher {i} ({w.resource}): {w.error}")
            ok = False
            continue
        want = [e for e in by_kind.get(w.kind, []) if w.start_rv < e[1] <= last_rv]
        got = [e for e in w.events if e[1] <= last_rv]
        if got != want:
            ok = False
            missing = len(set(want) - set(got))
            dropped += missing
            print(f"watcher {i} ({w.resource}): {len(got)} events, the trace has {len(want)} ({missing} missing)")
    errors = [s for s in statuses if s >= 400]
    rate = len(statuses) / wall
    lat = sorted(latencies)
    p50 = lat[len(lat) // 2] * 1000 if lat else 0
    p99 = lat[int(len(lat) * 0.99)] * 1000 if lat else 0
    peak = max(m for _, m in mem) if mem else 0
    half = [m for t, m in mem if t - t0 >= a.seconds / 2 and t - t0 <= a.seconds]
    growth = (half[-1] - half[0]) if len(half) > 1 else 0
    events = sum(len(w.events) for w in watchers)
    print(f"requests: {len(statuses)} in {wall:.1f} s ({rate:.0f}/s), errors {len(errors)}, latency p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    print(f"watchers: {len(watchers)}, {events} events received, {dropped} dropped (streams compared with the trace up to resourceVersion {last_rv})")
    print(f"memory: peak RSS {peak / 1024:.0f} MiB, growth over the second half {growth / 1024:+.0f} MiB")
    if errors:
        ok = False
    if rate < a.rate * 0.9:
        print(f"the request rate fell short of {a.rate}/s")
        ok = False
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
