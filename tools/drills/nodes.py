"""Several Odoo nodes on one PostgreSQL: the multi-node drill and bench (make drills).

On loopback, real processes: nginx (Debian's package) in front, two Odoo HTTP nodes
(prefork, queue_job's runner off, no cron), two job-worker nodes (runner on: one holds
its PostgreSQL advisory lock, the other stands by; cron on; their HTTP serves jobs
only, through nginx's job listener), one PostgreSQL (the private cluster of
tools/interop-env.sh). nginx's configuration is docker/nginx/templates/
interop.conf.template, as the ``scale`` profile of docker-compose.yml uses it.

  bench       1 then 2 HTTP nodes through nginx (wrk, unique messages), with CPU per
              message per role (HTTP nodes, job nodes, PostgreSQL backends of the
              database, nginx) from /proc/<pid>/stat before and after
  config      an API key revoked through one HTTP node is refused by the other at
              once (Odoo's cache signaling through PostgreSQL)
  rate-limit  one endpoint's limit, requests alternating between the two HTTP nodes:
              each minute window accepts exactly the limit
  idempotency each key sent at the same moment to both HTTP nodes: one message,
              both answers name it
  oauth2      two Odoo processes need a new access token at the same time: one call
              to the token endpoint, both use its token
  breaker     two Odoo processes record failures of one endpoint at once: every
              failure counted, the circuit opened once (one activity)
  sync        two Odoo processes Run Now one sync at once (the scheduled action's
              row lock): one runs, the other is refused; each record pushed once,
              the watermark where the run ended, each chunk delivered once
  failover    under signed ingestion through nginx: SIGKILL of the job node holding
              the runner's lock (the standby takes over within 30 s), then of an
              HTTP node (clients retrying on connection errors and 502 succeed);
              every accepted message ends done, or failed with an exception, once

Each check prints one PASS/FAIL line with its figures; the script exits 1 when any
failed. Bounded: 4 Odoo nodes of ``--workers`` workers, loads bounded in time, every
wait bounded.
"""

import argparse
import http.client
import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path[:0] = [str(ROOT / "bench"), str(HERE)]

import drills as resilience
import nginx_conf
from harness import (
    BENCH_ENDPOINT,
    BENCH_EVENT,
    HOST,
    OdooServer,
    Setup,
    governed_request,
    log,
    machine,
    request,
    run_load,
    sample,
    wait_until,
)

#: queue_job 18.0's runner lock (odoo/addons/queue_job/jobrunner/runner.py)
PG_ADVISORY_LOCK_ID = 2293787760715711918
#: the gateway's largest body of any endpoint (interop_gateway MAX_BODY_BYTES_CAP)
MAX_BODY_BYTES = 16 * 1024 * 1024
#: --limit-time-real of the HTTP nodes; nginx waits a little longer
HTTP_LIMIT_TIME_REAL = 120
JOB_LIMIT_TIME_REAL = 600
OPEN_ENDPOINT = "nodes-open"
OPEN_KEY = "iop_nodes_open_0123456789abcdef"
#: revoked by the drill: a new one each run
REVOKE_KEY = f"iop_{uuid.uuid4().hex}"
LIMITED_ENDPOINT = "nodes-limited"
LIMITED_KEY = "iop_nodes_lim_0123456789abcdef"
OAUTH_ENDPOINT = "nodes-remote"
OAUTH_CREDENTIAL = "Nodes OAuth2"
TAKEOVER_LIMIT = 30
CLK_TCK = os.sysconf("SC_CLK_TCK")


def _seconds(value):
    return "never" if value is None else f"{value:.1f} s"


def open_path(endpoint):
    return f"/interop/v1/inbound/{endpoint}/{BENCH_EVENT}"


# CPU time from /proc


def _stat(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None
    # after the command: state ppid pgrp session ... utime(12) stime(13)
    return int(fields[2]), (int(fields[11]) + int(fields[12])) / CLK_TCK


def group_pids(pgid):
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _stat(int(entry))
            if stat and stat[0] == pgid:
                pids.append(int(entry))
    return pids


def cpu_of(pids):
    """{pid: CPU seconds} of the processes still alive."""
    seconds = {}
    for pid in pids:
        stat = _stat(pid)
        if stat:
            seconds[pid] = stat[1]
    return seconds


def cpu_delta(before, after):
    """CPU seconds spent between two snapshots (a process new in ``after`` counts
    whole; one gone by then is not counted)."""
    return sum(value - before.get(pid, 0.0) for pid, value in after.items())


class Node(OdooServer):
    """One Odoo node of the topology: ``http`` (runner off, no cron, behind nginx)
    or ``jobs`` (runner on, cron on, jobs sent by the runner through nginx)."""

    def __init__(self, setup, db, port, gevent_port, role, name, workers, jobs_port):
        # -d without --db-filter, as the benchmarks serve (bench/harness.py): with a
        # filter, Odoo lists PostgreSQL's databases on a connection of its own for
        # every request without a session (every partner request), work the figures
        # would not count on the database's backends
        super().__init__(
            setup, db, port, workers=workers, runner=role == "jobs", name=name
        )
        self.role = role
        self.gevent_port = gevent_port
        self.jobs_port = jobs_port
        self.name = name

    def start(self, timeout=240):
        jobs = self.role == "jobs"
        limit = JOB_LIMIT_TIME_REAL if jobs else HTTP_LIMIT_TIME_REAL
        args = self.setup.odoo(
            self.db,
            f"--http-port={self.port}",
            f"--gevent-port={self.gevent_port}",
            f"--workers={self.workers}",
            f"--max-cron-threads={1 if jobs else 0}",
            "--load=base,web,queue_job,interop_gateway",
            f"--logfile={self.logfile}",
            f"--log-level={os.environ.get('INTEROP_BENCH_LOG_LEVEL', 'warn')}",
            f"--limit-time-real={limit}",
            f"--limit-time-cpu={limit}",
            "--limit-request=100000",
            *([] if jobs else ["--proxy-mode"]),
        )
        env = dict(os.environ)
        # the runner sends each job to nginx's job listener: every job node runs jobs
        env["ODOO_QUEUE_JOB_HOST"] = HOST
        env["ODOO_QUEUE_JOB_PORT"] = str(self.jobs_port)
        if jobs:
            # the runner's capacity: the HTTP workers of both job nodes
            capacity = 2 * self.workers
            env["ODOO_QUEUE_JOB_CHANNELS"] = f"root:{capacity},root.interop:{capacity}"
        else:
            # queue_job is loaded server-wide: a root channel of capacity 0 keeps its
            # runner from starting on an HTTP node
            env["ODOO_QUEUE_JOB_CHANNELS"] = "root:0"
        self.process = subprocess.Popen(args, env=env, start_new_session=True)
        self.wait_ready(timeout)
        return self

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def cpu(self):
        return cpu_of(group_pids(self.process.pid)) if self.alive() else {}


class Nginx:
    """A private nginx on loopback rendering the template."""

    def __init__(self, run_dir, name, listen, jobs_listen, http_nodes, job_nodes):
        self.dir = Path(run_dir) / name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = listen
        values = {
            "INTEROP_LISTEN": f"{HOST}:{listen}",
            "INTEROP_JOBS_LISTEN": f"{HOST}:{jobs_listen}",
            "INTEROP_HTTP_SERVERS": nginx_conf.servers(
                f"{HOST}:{node.port}" for node in http_nodes
            ),
            "INTEROP_WEBSOCKET_SERVERS": nginx_conf.servers(
                f"{HOST}:{node.gevent_port}" for node in http_nodes
            ),
            "INTEROP_JOB_SERVERS": nginx_conf.servers(
                f"{HOST}:{node.port}" for node in job_nodes
            ),
            "INTEROP_MAX_BODY_BYTES": MAX_BODY_BYTES,
            "INTEROP_PROXY_TIMEOUT": f"{HTTP_LIMIT_TIME_REAL + 10}s",
            "INTEROP_JOB_TIMEOUT": f"{JOB_LIMIT_TIME_REAL + 10}s",
        }
        fragment = self.dir / "interop.conf"
        fragment.write_text(nginx_conf.render(values))
        self.conf = self.dir / "nginx.conf"
        self.conf.write_text(nginx_conf.main_conf(fragment, self.dir))
        self.process = None

    def test(self):
        done = subprocess.run(
            ["nginx", "-t", "-q", "-c", str(self.conf), "-p", str(self.dir)],
            capture_output=True,
            text=True,
            check=False,
        )
        return done.returncode, done.stderr.strip()

    def start(self):
        self.process = subprocess.Popen(
            ["nginx", "-c", str(self.conf), "-p", str(self.dir), "-g", "daemon off;"],
            start_new_session=True,
        )
        if not wait_until(lambda: self._answers(), 20, 0.2):
            raise RuntimeError(f"nginx did not start; see {self.dir / 'error.log'}")
        return self

    def _answers(self):
        try:
            return request(self.port, "GET", "/interop/v1/health")[0] == 200
        except OSError:
            return False

    def cpu(self):
        return cpu_of(group_pids(self.process.pid)) if self.process else {}

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(15)


class TokenServer:
    """An OAuth2 token endpoint on 127.0.0.1 that takes its time: counts grants."""

    def __init__(self, delay=1.5):
        self.grants = 0
        self.lock = threading.Lock()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with server.lock:
                    server.grants += 1
                    number = server.grants
                time.sleep(delay)
                body = json.dumps(
                    {"access_token": f"tok-{number}", "expires_in": 3600}
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args):
                pass

        self.httpd = http.server.ThreadingHTTPServer((HOST, 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class NodesDrill(resilience.Drills):
    def __init__(self, args, setup):
        super().__init__(args, setup)
        self.run_dir = Path(tempfile.mkdtemp(prefix="interop-nodes-"))
        self.ports = iter(range(args.port_base, args.port_base + 20))
        self.jobs_port = next(self.ports)
        self.http_nodes, self.job_nodes, self.nginx, self.nginx_one = [], [], None, None
        self.ids = {}

    # topology

    def node(self, role, index):
        return Node(
            self.setup,
            self.db,
            next(self.ports),
            next(self.ports),
            role,
            f"{role}{index}",
            self.args.workers,
            self.jobs_port,
        )

    def runner_lock_holder(self):
        """The PostgreSQL backend holding queue_job's runner lock, or None."""
        rows = self.setup.query(
            "postgres",
            "SELECT l.pid FROM pg_locks l JOIN pg_database d ON d.oid = l.database"
            " WHERE l.locktype = 'advisory' AND l.granted AND d.datname = %s"
            " AND l.classid::bigint = %s AND l.objid::bigint = %s AND l.objsubid = 1",
            (self.db, PG_ADVISORY_LOCK_ID >> 32, PG_ADVISORY_LOCK_ID & 0xFFFFFFFF),
        )
        return rows[0][0] if rows else None

    def start_topology(self, checks):
        # the first job node first: it takes the runner's lock, the second stands by
        first = self.node("jobs", 1).start()
        self.job_nodes.append(first)
        holder = wait_until(self.runner_lock_holder, 60, 0.2)
        checks.expect(
            bool(holder), "the first job node's runner holds the lock", f"pid {holder}"
        )
        self.job_nodes.append(self.node("jobs", 2).start())
        for index in (1, 2):
            self.http_nodes.append(self.node("http", index).start())
        time.sleep(7)  # the second runner tried the lock (it retries every 5 s)
        checks.expect(
            self.runner_lock_holder() == holder,
            "one runner: the second job node stands by",
            f"lock still held by backend {self.runner_lock_holder()}",
        )
        self.nginx = Nginx(
            self.run_dir,
            "nginx",
            next(self.ports),
            self.jobs_port,
            self.http_nodes,
            self.job_nodes,
        )
        status, errors = self.nginx.test()
        checks.expect(status == 0, "nginx -t accepts the rendered template", errors)
        self.nginx.start()
        # the same nodes behind an nginx with one HTTP node, for the bench (its job
        # listener is not used: the runner calls the first one's)
        self.nginx_one = Nginx(
            self.run_dir,
            "nginx-one",
            next(self.ports),
            next(self.ports),
            self.http_nodes[:1],
            self.job_nodes,
        )
        self.nginx_one.start()
        log(
            f"topology: nginx :{self.nginx.port} (one HTTP node: "
            f":{self.nginx_one.port}), HTTP nodes {[n.port for n in self.http_nodes]}, "
            f"job nodes {[n.port for n in self.job_nodes]}"
        )

    def stop_topology(self):
        for proxy in (self.nginx, self.nginx_one):
            if proxy:
                proxy.stop()
        for node in self.http_nodes + self.job_nodes:
            node.stop()
        shutil.rmtree(self.run_dir, ignore_errors=True)

    # fixtures

    def prepare_nodes(self):
        self.prepare()
        lines = self.shell(
            f"""
import json
owner = env.ref("base.user_admin")
Endpoint = env["interop.endpoint"]
Key = env["interop.api.key"]
ids = {{}}
for code, limit, keys in (
    ({OPEN_ENDPOINT!r}, 1000000, [("open", {OPEN_KEY!r}), ("revoke", {REVOKE_KEY!r})]),
    ({LIMITED_ENDPOINT!r}, {self.args.rate_limit}, [("limited", {LIMITED_KEY!r})]),
):
    endpoint = Endpoint.search([("code", "=", code)])
    if not endpoint:
        endpoint = Endpoint.create({{
            "code": code, "name": code, "system_kind": "other",
            "direction": "inbound", "environment": "test",
            "data_classification": "phi", "business_owner_id": owner.id,
            "technical_owner_id": owner.id, "gateway_rate_limit": limit,
            "gateway_require_signature": False,
        }})
        endpoint._activate()
        endpoint.service_user_id.groups_id = [(4, env.ref("base.group_user").id)]
    for name, key in keys:
        record = Key.search([("endpoint_id", "=", endpoint.id), ("name", "=", name),
                             ("state", "=", "active")])
        if not record or name == "revoke":
            record = Key._generate(endpoint, name, key=key)[0]
        ids[name] = record.id
remote = Endpoint.search([("code", "=", {OAUTH_ENDPOINT!r})])
if not remote:
    remote = Endpoint.create({{
        "code": {OAUTH_ENDPOINT!r}, "name": "Nodes remote", "system_kind": "other",
        "direction": "outbound", "environment": "test",
        "data_classification": "internal", "business_owner_id": owner.id,
        "technical_owner_id": owner.id, "base_url": "http://127.0.0.1:9/api",
    }})
    remote._activate()
ids["remote"] = remote.id
env.cr.commit()
print("IDS", json.dumps(ids))
"""
        )
        self.ids = json.loads(
            next(line for line in lines if line.startswith("IDS"))[4:]
        )

    # bench

    def bench(self):
        checks = resilience.Checks("bench")
        rows = []
        for label, proxy in (
            ("1 HTTP node", self.nginx_one),
            ("2 HTTP nodes", self.nginx),
        ):
            rows.append(self.bench_one(label, proxy))
        for row in rows:
            print(row["line"], flush=True)
        ok = all(row["accepted"] and not row["other"] for row in rows)
        checks.expect(
            ok and all(row["drained"] for row in rows),
            "every bench request accepted and processed",
            "; ".join(
                f"{row['label']}: {row['accepted']} accepted, {row['other']} other"
                for row in rows
            ),
        )
        self.bench_rows = rows
        return checks.failures

    def bench_one(self, label, proxy):
        since = self.max_message_id()
        pg_before = cpu_of(self.db_backends())
        before = {
            "http": self.cpu_nodes(self.http_nodes),
            "jobs": self.cpu_nodes(self.job_nodes),
            "nginx": proxy.cpu(),
        }
        started = time.monotonic()
        done = subprocess.run(
            [
                "wrk",
                f"-t{self.args.wrk_threads}",
                f"-c{self.args.wrk_connections}",
                f"-d{self.args.bench_seconds}s",
                # a slow answer is a latency to measure, not an error
                "--timeout=60s",
                "-s",
                str(HERE / "ingest.lua"),
                f"http://{HOST}:{proxy.port}",
                "--",
                open_path(OPEN_ENDPOINT),
                OPEN_KEY,
                f"b{uuid.uuid4().hex[:8]}",
            ],
            capture_output=True,
            text=True,
            timeout=self.args.bench_seconds + 60,
            check=False,
        )
        ingest_seconds = time.monotonic() - started
        http_after = self.cpu_nodes(self.http_nodes)
        nginx_after = proxy.cpu()
        summary = dict(
            part.split("=")
            for line in done.stdout.splitlines()
            if line.startswith("WRK ")
            for part in line.split()[1:]
        )
        drained = wait_until(
            lambda: self.pending(since) == 0, self.args.drain_timeout, 1
        )
        total_seconds = time.monotonic() - started
        jobs_after = self.cpu_nodes(self.job_nodes)
        pg_after = cpu_of(self.db_backends())
        processed = self.setup.query(
            self.db,
            "SELECT count(*) FROM interop_message WHERE id > %s AND state = 'done'",
            (since,),
        )[0][0]
        accepted = int(summary.get("accepted", 0))
        cpu = {
            "http": cpu_delta(before["http"], http_after),
            "jobs": cpu_delta(before["jobs"], jobs_after),
            "pg": cpu_delta(pg_before, pg_after),
            "nginx": cpu_delta(before["nginx"], nginx_after),
        }
        per = {role: 1000 * value / max(accepted, 1) for role, value in cpu.items()}
        line = (
            f"BENCH {label:<12} ingest {accepted / ingest_seconds:7.1f} msg/s "
            f"(p50 {summary.get('p50_ms', '?')} ms, p99 {summary.get('p99_ms', '?')} "
            f"ms), ingest+process {processed / total_seconds:6.1f} msg/s; CPU ms per "
            f"message: HTTP nodes {per['http']:.1f}, job nodes {per['jobs']:.1f}, "
            f"PostgreSQL {per['pg']:.1f}, nginx {per['nginx']:.2f} "
            f"({accepted} messages, {processed} done, drained {bool(drained)})"
        )
        log(line)
        return {
            "label": label,
            "line": line,
            "accepted": accepted,
            "other": int(summary.get("other", 0)) + int(summary.get("errors", 0)),
            "drained": bool(drained),
            "per": per,
            "rate": accepted / ingest_seconds,
        }

    def cpu_nodes(self, nodes):
        seconds = {}
        for node in nodes:
            seconds.update(node.cpu())
        return seconds

    def db_backends(self):
        return [
            pid
            for (pid,) in self.setup.query(
                "postgres",
                "SELECT pid FROM pg_stat_activity WHERE datname = %s",
                (self.db,),
            )
        ]

    # a configuration change seen by the other node at once

    def config(self):
        checks = resilience.Checks("config")
        one, other = self.http_nodes
        path = open_path(OPEN_ENDPOINT)

        def send(node):
            body = sample(int(time.time() * 1e6) % 10**9)
            headers = {
                "Content-Type": "application/json",
                "Authorization": f"Bearer {REVOKE_KEY}",
                "Connection": "close",
            }
            return request(node.port, "POST", path, body, headers)[0]

        warm = Counter(send(other) for _ in range(4 * self.args.workers))
        # revoked through the first node, by a manager's RPC call
        started = time.monotonic()
        status, answer = self.jsonrpc(
            one.port, "interop.api.key", "action_revoke", [[self.ids["revoke"]]]
        )
        revoked_in = time.monotonic() - started
        after = Counter(send(other) for _ in range(4 * self.args.workers))
        checks.expect(
            warm == Counter({202: 4 * self.args.workers})
            and status == 200
            and "error" not in answer
            and after == Counter({401: 4 * self.args.workers}),
            "a key revoked through one HTTP node is refused by the other at once",
            f"before: {dict(warm)} from the other node (every worker's cache warm); "
            f"revoked on the first in {revoked_in * 1000:.0f} ms; the very next "
            f"requests to the other node: {dict(after)}",
        )
        return checks.failures

    def jsonrpc(self, port, model, method, args):
        body = json.dumps(
            {
                "jsonrpc": "2.0",
                "method": "call",
                "params": {
                    "service": "object",
                    "method": "execute_kw",
                    "args": [self.db, 2, self.args.admin_password, model, method, args],
                },
            }
        ).encode()
        status, answer = request(
            port, "POST", "/jsonrpc", body, {"Content-Type": "application/json"}
        )
        return status, json.loads(answer or b"{}")

    # the rate limit across both HTTP nodes

    def rate_limit(self):
        checks = resilience.Checks("rate-limit")
        limit = self.args.rate_limit
        # the whole burst inside one minute window
        now = time.time()
        if now % 60 > 30:
            time.sleep(61 - now % 60)
        answers = []
        lock = threading.Lock()
        sequence = iter(range(2 * limit))
        nodes = self.http_nodes

        def client():
            while True:
                with lock:
                    n = next(sequence, None)
                if n is None:
                    return
                node = nodes[n % 2]
                body = sample(10**8 + n)
                headers = {
                    "Content-Type": "application/json",
                    "Authorization": f"Bearer {LIMITED_KEY}",
                    "Connection": "close",
                }
                window = int(time.time() // 60)
                status, _body = request(
                    node.port, "POST", open_path(LIMITED_ENDPOINT), body, headers
                )
                with lock:
                    answers.append((window, node.name, status))

        threads = [threading.Thread(target=client) for _ in range(6)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        by_window = defaultdict(Counter)
        by_node = defaultdict(Counter)
        for window, node, status in answers:
            by_window[window][status] += 1
            by_node[node][status] += 1
        accepted = {
            w: sum(c for s, c in st.items() if 200 <= s < 300)
            for w, st in by_window.items()
        }
        ok = all(
            value <= limit and (value == limit or not by_window[w].get(429))
            for w, value in accepted.items()
        )
        both = all(st.get(202) and st.get(429) for st in by_node.values())
        checks.expect(
            ok and both and len(by_node) == 2,
            "the limit holds across both HTTP nodes, per minute window",
            f"limit {limit}/min, {2 * limit} requests alternating between the nodes "
            f"in {elapsed:.1f} s; accepted per window {list(accepted.values())}; "
            f"per node { ({n: dict(c) for n, c in by_node.items()}) }",
        )
        return checks.failures

    # one message per idempotency key, whichever node answers

    def idempotency(self):
        checks = resilience.Checks("idempotency")
        one, other = self.http_nodes
        path = open_path(OPEN_ENDPOINT)
        pairs = 4 * self.args.workers
        run = uuid.uuid4().hex[:8]
        answers = defaultdict(list)
        lock = threading.Lock()

        def send(node, n, body, barrier):
            headers = {
                "Content-Type": "application/json",
                "Authorization": f"Bearer {OPEN_KEY}",
                "Idempotency-Key": f"nodes-{run}-{n}",
                "Connection": "close",
            }
            barrier.wait(30)
            status, answer = request(node.port, "POST", path, body, headers)
            message = json.loads(answer or b"{}").get("message_id")
            with lock:
                answers[n].append((status, message))

        # each key sent at the same moment to both HTTP nodes, directly
        for n in range(pairs):
            barrier = threading.Barrier(2)
            body = sample(2 * 10**8 + n)  # the same body: a repeat, not a conflict
            threads = [
                threading.Thread(target=send, args=(node, n, body, barrier))
                for node in (one, other)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        rows = self.setup.query(
            self.db,
            "SELECT idempotency_key, count(*) FROM interop_message"
            " WHERE idempotency_key LIKE %s GROUP BY idempotency_key",
            (f"nodes-{run}-%",),
        )
        stored = dict(rows)
        statuses = Counter(
            tuple(sorted(status for status, _m in pair)) for pair in answers.values()
        )
        one_id = all(
            len({m for _s, m in pair}) == 1 and None not in {m for _s, m in pair}
            for pair in answers.values()
        )
        checks.expect(
            len(stored) == pairs
            and set(stored.values()) == {1}
            and one_id
            and set(statuses) == {(200, 202)},
            "one key sent at once to both HTTP nodes: one message, one id",
            f"{pairs} keys, each to both nodes at the same moment: answers "
            f"{ {' + '.join(map(str, k)): v for k, v in statuses.items()} }; "
            f"{len(stored)} keys stored, messages per key "
            f"{sorted(set(stored.values()))}; both answers name one message: {one_id}",
        )
        return checks.failures

    # the circuit breaker's count, across processes

    def breaker(self):
        checks = resilience.Checks("breaker")
        failures = 40
        threshold = 2 * failures - 1
        self.shell(
            f"""
remote = env["interop.endpoint"].browse({self.ids["remote"]})
remote.activity_ids.unlink()
remote._interop_apply_write({{
    "breaker_threshold": {threshold}, "breaker_state": "closed",
    "breaker_failure_count": 0, "breaker_date_opened": False,
}})
env.cr.commit()
"""
        )
        ready, outputs = self.two_at_once(
            "breaker",
            f'remote = env["interop.endpoint"].browse({self.ids["remote"]})',
            f"""
states = [remote._breaker_record_failure() for _ in range({failures})]
print("STATES", ",".join(states), flush=True)
""",
        )
        (row,) = self.setup.query(
            self.db,
            "SELECT breaker_state, breaker_failure_count, ("
            "  SELECT count(*) FROM mail_activity a JOIN ir_model m"
            "   ON m.id = a.res_model_id WHERE m.model = 'interop.endpoint'"
            "   AND a.res_id = e.id AND a.active)"
            " FROM interop_endpoint e WHERE e.id = %s",
            (self.ids["remote"],),
        )
        state, count, activities = row
        opened = [
            line.split()[1].split(",").count("open")
            for out in outputs
            for line in out.splitlines()
            if line.startswith("STATES")
        ]
        # restored for the next runs (the sync drills of other tools use it)
        self.shell(
            f"""
remote = env["interop.endpoint"].browse({self.ids["remote"]})
remote.activity_ids.unlink()
remote._interop_apply_write({{
    "breaker_state": "closed", "breaker_failure_count": 0,
    "breaker_date_opened": False,
}})
env.cr.commit()
"""
        )
        checks.expect(
            ready == ["READY", "READY"]
            and count == 2 * failures
            and state == "open"
            and activities == 1
            and len(opened) == 2,
            "two Odoo processes counting failures of one endpoint at once: every "
            "failure counted, the circuit opened once",
            f"{failures} failures from each process, threshold {threshold}: count "
            f"{count}, state {state}, {activities} activity for the technical owner; "
            f"calls that saw it open per process {opened}",
        )
        return checks.failures

    # one sync run at a time, its watermark shared, whatever the node

    def sync(self):
        checks = resilience.Checks("sync")
        records = 15
        server = TokenServer(delay=0)  # the remote: answers every delivery 200
        tag = uuid.uuid4().hex[:8]
        try:
            lines = self.shell(
                f"""
remote = env["interop.endpoint"].browse({self.ids["remote"]})
remote._interop_apply_write({{"base_url": "http://127.0.0.1:{server.port}/api"}})
Partner = env["res.partner"]
partners = Partner.create([{{"name": f"Nodes sync {tag} {{i}}"}}
                           for i in range({records})])
# changed two hours ago: past the push's lag of one minute (after the ORM's own
# updates of the new records)
env.flush_all()
env.cr.execute(
    "UPDATE res_partner SET write_date = now() at time zone 'UTC'"
    " - interval '2 hours' WHERE id IN %s", (tuple(partners.ids),))
sync = env["interop.sync"].create({{
    "name": "Nodes sync {tag}", "endpoint_id": remote.id, "direction": "push",
    "resource_path": "/partners", "model_id": env.ref("base.model_res_partner").id,
    "chunk_size": 1, "domain": "[('name', '=like', 'Nodes sync {tag} %')]",
}})
env.cr.commit()
print("SYNC", sync.id)
"""
            )
            sync_id = int(next(line for line in lines if line.startswith("SYNC"))[5:])
            ready, outputs = self.two_at_once(
                "sync",
                f"""
from odoo.exceptions import UserError
sync = env["interop.sync"].browse({sync_id})
""",
                """
try:
    sync.action_run_now()
    print("RESULT ran", flush=True)
except UserError:
    print("RESULT refused", flush=True)
env.cr.commit()
""",
            )
            results = sorted(
                line.split()[1]
                for out in outputs
                for line in out.splitlines()
                if line.startswith("RESULT")
            )
            runs = self.setup.query(
                self.db,
                "SELECT id, read_count, created_count FROM interop_sync_run"
                " WHERE sync_id = %s ORDER BY id",
                (sync_id,),
            )
            (watermark,) = self.setup.query(
                self.db,
                "SELECT s.watermark = to_char(p.write_date, 'YYYY-MM-DD HH24:MI:SS.US')"
                " || '|' || p.id FROM interop_sync s, res_partner p"
                " WHERE s.id = %s AND p.name = %s",
                (sync_id, f"Nodes sync {tag} {records - 1}"),
            )[0]

            def delivered():
                rows = self.setup.query(
                    self.db,
                    "SELECT count(*) FILTER (WHERE m.state = 'done'), count(*)"
                    " FROM interop_message m JOIN interop_sync_run r"
                    " ON r.id = m.sync_run_id WHERE r.sync_id = %s",
                    (sync_id,),
                )
                done, total = rows[0]
                return (done, total) if total and done == total else None

            deliveries = wait_until(delivered, 120, 0.5)
        finally:
            server.stop()
        pushed = sum(created for _id, _read, created in runs)
        checks.expect(
            ready == ["READY", "READY"]
            and pushed == records
            and watermark
            and bool(deliveries)
            and deliveries[1] == records
            and server.grants == records
            and (
                results == ["ran", "refused"]
                and len(runs) == 1
                or results == ["ran", "ran"]
                and [r[2] for r in runs][1:] == [0]
            ),
            "two Odoo processes run one sync at once (Run Now): one runs, the other "
            "is refused; each record pushed once; the watermark where the run ended",
            f"{records} changed records, chunks of 1: outcomes {results}, runs "
            f"(id, read, pushed) {runs}; watermark at the last record: "
            f"{bool(watermark)}; deliveries done/total {deliveries}, "
            f"{server.grants} received by the remote",
        )
        return checks.failures

    # one OAuth2 refresh at a time, across processes

    def oauth2(self):
        checks = resilience.Checks("oauth2")
        server = TokenServer()
        try:
            self.shell(
                f"""
remote = env["interop.endpoint"].browse({self.ids["remote"]})
base = "http://127.0.0.1:{server.port}"
remote._interop_apply_write({{"base_url": base + "/api"}})
Credential = env["interop.credential"]
credential = Credential.search([("name", "=", {OAUTH_CREDENTIAL!r})])
if not credential:
    credential = Credential.create({{
        "name": {OAUTH_CREDENTIAL!r}, "kind": "oauth2_client_credentials",
        "endpoint_id": remote.id, "client_id": "nodes-client",
        "token_url": base + "/oauth/token",
    }})
    credential._set_secret("nodes-client-secret")
else:
    credential.sudo()._vault_write({{"access_token_enc": False,
                                     "date_token_expiry": False}})
    credential._interop_apply_write({{"token_url": base + "/oauth/token"}})
env.cr.commit()
"""
            )
            ready, outputs = self.two_at_once(
                "oauth2",
                "credential = env['interop.credential'].search("
                f"[('name', '=', {OAUTH_CREDENTIAL!r})])",
                """
print("TOKEN", credential._get_access_token(), flush=True)
env.cr.commit()
""",
            )
            tokens = [
                line.split()[1]
                for out in outputs
                for line in out.splitlines()
                if line.startswith("TOKEN")
            ]
        finally:
            server.stop()
        checks.expect(
            ready == ["READY", "READY"]
            and server.grants == 1
            and len(set(tokens)) == 1
            and len(tokens) == 2,
            "two Odoo processes needing a new token at once: one refresh",
            f"{server.grants} call(s) to the token endpoint, tokens used {tokens}",
        )
        return checks.failures

    def two_at_once(self, name, prepare, action):
        """Two Odoo shells run ``prepare``, then ``action`` at the same moment (both
        wait for a file the drill creates once both are ready); returns what each
        printed when ready (``READY``) and its output after."""
        go = self.run_dir / f"{name}-go"
        code = f"""
import pathlib, time
{prepare}
print("READY", flush=True)
go = pathlib.Path({str(go)!r})
deadline = time.monotonic() + 300
while not go.exists() and time.monotonic() < deadline:
    time.sleep(0.01)
{action}
"""
        processes = [self.shell_process(code, f"{name}-{i}") for i in (1, 2)]
        ready = [p.stdout.readline().strip() for p in processes]
        go.touch()
        outputs = []
        for process in processes:
            outputs.append(process.stdout.read())
            process.wait(120)
        return ready, outputs

    def shell_process(self, code, name):
        logfile = self.setup.log_dir / f"{self.db}-{name}.log"
        command = self.setup.odoo(
            self.db, "--no-http", f"--logfile={logfile}", "--log-level=warn"
        )
        command.insert(2, "shell")
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        process.stdin.write(code)
        process.stdin.close()
        return process

    # fail-over under load

    def failover(self):
        checks = resilience.Checks("failover")
        since = self.max_message_id()
        keys = {}

        def make(n):
            req = governed_request(n, fail=n % 20 == 19)
            keys[n] = req[3]["Idempotency-Key"]
            return req

        figures = {}

        def faults():
            load_started = time.monotonic()
            time.sleep(self.args.kill_runner_at)
            master, standby = self.job_nodes
            old = self.runner_lock_holder()
            done_before = self.done_count(since)
            master.kill()
            killed = time.monotonic()

            def new_holder():
                holder = self.runner_lock_holder()
                return holder if holder and holder != old else None

            new = wait_until(new_holder, TAKEOVER_LIMIT + 30, 0.1)
            figures["takeover"] = time.monotonic() - killed if new else None
            resumed = wait_until(lambda: self.done_count(since) > done_before, 120, 0.2)
            figures["resumed"] = time.monotonic() - killed if resumed else None
            figures["standby_alive"] = standby.alive()
            wait = load_started + self.args.kill_http_at - time.monotonic()
            time.sleep(max(0, wait))
            self.http_nodes[0].kill()
            figures["http_killed"] = True

        fault_thread = threading.Thread(target=faults)
        fault_thread.start()
        result = run_load(
            self.nginx.port,
            make,
            clients=self.args.clients,
            duration=self.args.failover_seconds,
            label="failover",
            keep_accepted=True,
            retry_on=("error", 502, 503, 504),
        )
        fault_thread.join()
        log(result.summary())
        drained = wait_until(
            lambda: self.pending(since) == 0, self.args.drain_timeout, 1
        )
        takeover, resumed = figures.get("takeover"), figures.get("resumed")
        checks.expect(
            takeover is not None and takeover <= TAKEOVER_LIMIT,
            f"the standby job node takes the runner's lock within {TAKEOVER_LIMIT} s "
            "of the SIGKILL of the node holding it",
            f"lock taken over after {_seconds(takeover)}, the first message done "
            f"after the kill {_seconds(resumed)}",
        )
        sent = len(keys)
        not_accepted = sent - len({n for n, _s, _b in result.accepted})
        checks.expect(
            figures.get("http_killed") and not_accepted == 0,
            "clients retrying on connection errors and 502 all end 2xx through nginx "
            "after an HTTP node's SIGKILL",
            f"{sent} requests from {self.args.clients} clients in "
            f"{result.elapsed:.0f} s, answers {dict(result.statuses)}, connection "
            f"errors {dict(result.errors)}, {not_accepted} never accepted",
        )
        answers = defaultdict(set)
        for n, _status, body in result.accepted:
            answers[keys[n]].add(json.loads(body)["message_id"])
        rows = self.setup.query(
            self.db,
            "SELECT m.idempotency_key, array_agg(m.id), array_agg(m.state),"
            " bool_and(m.state = 'done' OR (m.state = 'failed' AND EXISTS ("
            "   SELECT 1 FROM interop_exception x WHERE x.message_id = m.id)))"
            " FROM interop_message m JOIN interop_endpoint e ON e.id = m.endpoint_id"
            " WHERE m.id > %s AND e.code = %s GROUP BY m.idempotency_key",
            (since, BENCH_ENDPOINT),
        )
        stored = {key: (ids, states, ended) for key, ids, states, ended in rows}
        lost = [k for k in answers if k not in stored]
        duplicated = [k for k, (ids, _s, _e) in stored.items() if len(ids) > 1]
        other_id = [
            k for k, ids in answers.items() if k in stored and set(stored[k][0]) != ids
        ]
        not_ended = [k for k, (_i, _s, ended) in stored.items() if not ended]
        states = Counter(s for _i, sts, _e in stored.values() for s in sts)
        effects = self.effects(since)
        twice = [m for m, c in effects.items() if c > 1]
        done_ids = {
            i
            for ids, sts, _e in stored.values()
            for i, s in zip(ids, sts, strict=True)
            if s == "done"
        }
        checks.expect(
            bool(drained)
            and not (lost or duplicated or other_id or not_ended or twice)
            and set(effects) == done_ids,
            "every accepted message stored once and ended done, or failed with an "
            "exception, its effect once",
            f"{len(answers)} accepted keys, {len(stored)} stored, {len(lost)} lost, "
            f"{len(duplicated)} duplicated, {len(other_id)} under another id; states "
            f"{dict(states)}, {len(not_ended)} not ended (or failed without an "
            f"exception); {sum(effects.values())} effects for {len(done_ids)} done, "
            f"{len(twice)} twice; drained {bool(drained)}",
        )
        return checks.failures


DRILLS = [
    "bench",
    "config",
    "rate-limit",
    "idempotency",
    "oauth2",
    "breaker",
    "sync",
    "failover",
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help=f"comma-separated drills of {','.join(DRILLS)}")
    parser.add_argument("--db", default="interop_drills_nodes")
    parser.add_argument("--keep-db", action="store_true", help="reuse the database")
    parser.add_argument(
        "--template", help="copy this database (with the suite) instead of installing"
    )
    parser.add_argument("--port-base", type=int, default=18500, help="20 ports")
    parser.add_argument("--workers", type=int, default=2, help="per node")
    parser.add_argument("--admin-password", default="admin")
    parser.add_argument("--bench-seconds", type=int, default=15)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--wrk-connections", type=int, default=8)
    parser.add_argument("--rate-limit", type=int, default=120)
    parser.add_argument("--clients", type=int, default=4, help="failover load")
    parser.add_argument("--failover-seconds", type=float, default=45)
    parser.add_argument("--kill-runner-at", type=float, default=8)
    parser.add_argument("--kill-http-at", type=float, default=20)
    parser.add_argument("--drain-timeout", type=float, default=300)
    args = parser.parse_args()
    names = args.only.split(",") if args.only else DRILLS
    unknown = set(names) - set(DRILLS)
    if unknown:
        parser.error(f"unknown drills: {', '.join(sorted(unknown))}")
    for tool in ("nginx", "wrk"):
        if not shutil.which(tool):
            sys.exit(
                f"{tool} not found: run through make drills (tools/drills/nodes.sh)"
            )
    setup = Setup()
    drill = NodesDrill(args, setup)
    started = time.monotonic()
    drill.prepare_nodes()
    failures = []
    topology = resilience.Checks("topology")
    try:
        # the OAuth2 and breaker drills run two processes of their own
        if set(names) - {"oauth2", "breaker"}:
            drill.start_topology(topology)
            failures += topology.failures
        # the fail-over kills nodes: it comes last
        for name in [n for n in DRILLS if n in names]:
            log(f"drill {name}")
            try:
                failures += getattr(drill, name.replace("-", "_"))()
            except Exception as error:  # noqa: BLE001 - a drill that breaks fails
                line = (
                    f"FAIL {name}: the drill stopped: {type(error).__name__}: {error}"
                )
                print(line, flush=True)
                failures.append(line)
    finally:
        drill.stop_topology()
    print(
        f"\nNodes drill {', '.join(names)} on {args.db}: nginx, 2 HTTP nodes and 2 job "
        f"nodes of {args.workers} workers, one PostgreSQL ({machine()}), "
        f"{time.monotonic() - started:.0f} s, load average at the end "
        f"{' '.join(Path('/proc/loadavg').read_text().split()[:3])}: "
        + (f"{len(failures)} check(s) FAILED" if failures else "all checks passed"),
        flush=True,
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
