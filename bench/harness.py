"""What the benchmarks and drills share: a real Odoo in prefork mode on a fixed
database, a bounded load generator on 127.0.0.1, and the bench partner's requests.

Run by tools/bench.sh (make bench, make drills), which bootstraps the environment and
passes the generated Odoo configuration in ``INTEROP_ODOO_CONF``.
"""

import configparser
import hashlib
import hmac
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parents[1]
BENCH_ADDONS = ROOT / "bench" / "addons"
HOST = "127.0.0.1"

# the bench partner (bench/addons/interop_bench/hooks.py)
BENCH_KEY = "iop_bench_lab_0123456789abcdef"
BENCH_SECRET = "bench-hmac-secret"
BENCH_ENDPOINT = "bench-lab"
BENCH_EVENT = "bench.result"
INBOUND_PATH = f"/interop/v1/inbound/{BENCH_ENDPOINT}/{BENCH_EVENT}"
PLAIN_PATH = "/interop_bench/plain"
DELAY_PATH = "/interop_bench/delay"
BENCH_MODULES = "interop,interop_gateway,interop_outbound,interop_revenue,interop_bench"
#: the system parameter holding the fingerprint of the code a bench database was made by
FINGERPRINT_PARAM = "interop_bench.code_fingerprint"


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Setup:
    """Where Odoo is and how to reach the database, from the generated config."""

    def __init__(self):
        self.conf = os.environ.get("INTEROP_ODOO_CONF")
        self.odoo_src = os.environ.get("ODOO_SRC")
        if not (self.conf and self.odoo_src):
            sys.exit("Run through tools/bench.sh (make bench / make drills).")
        parser = configparser.ConfigParser()
        parser.read(self.conf)
        self.options = parser["options"]
        self.addons_path = f"{self.options['addons_path']},{BENCH_ADDONS}"
        self.log_dir = Path(os.environ.get("INTEROP_BENCH_LOGS", "/tmp/interop-bench"))
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._fingerprint = None  # code_fingerprint

    def connect(self, dbname="postgres", autocommit=True):
        password = self.options.get("db_password")
        conn = psycopg2.connect(
            dbname=dbname,
            host=self.options.get("db_host"),
            port=self.options.get("db_port"),
            user=self.options.get("db_user"),
            password=None if password in (None, "False") else password,
        )
        conn.autocommit = autocommit
        return conn

    def odoo(self, db, *args):
        return [
            sys.executable,
            f"{self.odoo_src}/odoo-bin",
            "-c",
            self.conf,
            "-d",
            db,
            f"--addons-path={self.addons_path}",
            *args,
        ]

    def create_database(self, db, modules=BENCH_MODULES):
        """A fresh database with the suite and the bench fixtures, no demo data."""
        conn = self.connect()
        with conn.cursor() as cr:
            cr.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s",
                (db,),
            )
            cr.execute(f'DROP DATABASE IF EXISTS "{db}"')
        conn.close()
        log(f"creating {db} with {modules}")
        logfile = self.log_dir / f"{db}-install.log"
        subprocess.run(
            self.odoo(
                db,
                "-i",
                modules,
                "--without-demo=all",
                "--stop-after-init",
                "--no-http",
                f"--logfile={logfile}",
                "--log-level=warn",
            ),
            check=True,
        )
        self.remember_code(db)

    def code_fingerprint(self):
        """A hash of the suite's code that shapes a database (models, data, views:
        the Python, XML and CSV files of its modules and the bench fixtures), read
        once a run: a drill starts Odoo many times."""
        if self._fingerprint:
            return self._fingerprint
        digest = hashlib.sha256()
        tops = [ROOT / name for name in ("models", "data", "security", "views")]
        tops += [ROOT / "addons", BENCH_ADDONS, ROOT / "__manifest__.py"]
        for top in tops:
            files = [top] if top.is_file() else sorted(top.rglob("*"))
            for path in files:
                if path.suffix in (".py", ".xml", ".csv") and "tests" not in path.parts:
                    digest.update(str(path.relative_to(ROOT)).encode())
                    digest.update(path.read_bytes())
        self._fingerprint = digest.hexdigest()
        return self._fingerprint

    def ensure_current(self, db):
        """Upgrade the suite's modules of ``db`` when the code changed since it was
        installed or last upgraded (``--keep-db``): a database kept from an older
        tree lacks the columns of the newer one, and its routes would answer 500."""
        fingerprint = self.code_fingerprint()
        rows = self.query(
            db,
            "SELECT value FROM ir_config_parameter WHERE key = %s",
            (FINGERPRINT_PARAM,),
        )
        if rows and rows[0][0] == fingerprint:
            return
        modules = ",".join(
            name
            for (name,) in self.query(
                db,
                "SELECT name FROM ir_module_module WHERE state = 'installed'"
                " AND name LIKE 'interop%%' ORDER BY name",
            )
        )
        log(f"{db} was made by other code: upgrading {modules}")
        subprocess.run(
            self.odoo(
                db,
                "-u",
                modules,
                "--stop-after-init",
                "--no-http",
                f"--logfile={self.log_dir / f'{db}-upgrade.log'}",
                "--log-level=warn",
            ),
            check=True,
        )
        self.remember_code(db, fingerprint)

    def remember_code(self, db, fingerprint=None):
        self.query(
            db,
            "INSERT INTO ir_config_parameter (key, value) VALUES (%s, %s)"
            " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            (FINGERPRINT_PARAM, fingerprint or self.code_fingerprint()),
        )

    def query(self, db, sql, params=None):
        conn = self.connect(db)
        try:
            with conn.cursor() as cr:
                cr.execute(sql, params)
                return cr.fetchall() if cr.description else None
        finally:
            conn.close()


class OdooServer:
    """Odoo in prefork mode (``workers`` HTTP workers) serving one fixed database.

    ``runner``: with queue_job's job runner (a server-wide module), or without (jobs
    wait in the queue: ingestion measured alone).
    """

    def __init__(
        self,
        setup,
        db,
        port,
        workers=2,
        runner=True,
        name="odoo",
        db_filter=False,
        channels=None,
    ):
        self.setup = setup
        # Without --db-filter, Odoo knows its database (-d) without listing them on a
        # new connection to PostgreSQL for every request: the benchmarks' setting.
        # The drills serve as `make run` does, with the filter.
        self.db_filter = db_filter
        self.db = db
        self.port = port
        self.workers = workers
        self.runner = runner
        #: queue_job channels instead of the configuration's (e.g. "root:2")
        self.channels = channels
        self.logfile = setup.log_dir / f"{db}-{name}.log"
        self.process = None

    def start(self, timeout=90):
        self.setup.ensure_current(self.db)
        load = "base,web,queue_job,interop_gateway"
        args = self.setup.odoo(
            self.db,
            *([f"--db-filter=^{self.db}$"] if self.db_filter else []),
            f"--http-port={self.port}",
            # loopback only, and a websocket (gevent) port of its own: Odoo's default
            # 8072 on every interface collides with any other Odoo on the machine
            f"--http-interface={HOST}",
            f"--gevent-port={free_port(self.port + 20000)}",
            f"--workers={self.workers}",
            "--max-cron-threads=1",
            f"--load={load}",
            f"--logfile={self.logfile}",
            f"--log-level={os.environ.get('INTEROP_BENCH_LOG_LEVEL', 'warn')}",
            "--limit-time-real=600",
            "--limit-time-cpu=600",
            "--limit-request=100000",
        )
        env = dict(os.environ)
        # the job runner calls the workers on this server's port
        env["ODOO_QUEUE_JOB_PORT"] = str(self.port)
        env["ODOO_QUEUE_JOB_HOST"] = HOST
        env.pop("ODOO_QUEUE_JOB_CHANNELS", None)
        if self.channels:
            env["ODOO_QUEUE_JOB_CHANNELS"] = self.channels
        if not self.runner:
            # queue_job is imported server-wide (interop_gateway needs it): a root
            # channel of capacity 0 is what keeps its runner from starting
            env["ODOO_QUEUE_JOB_CHANNELS"] = "root:0"
        self.process = subprocess.Popen(args, env=env, start_new_session=True)
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout=90):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Odoo exited; see {self.logfile}")
            try:
                status, _body = request(self.port, "GET", "/interop/v1/health")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"Odoo did not answer in {timeout} s; see {self.logfile}")

    def signal(self, signum):
        try:
            os.killpg(self.process.pid, signum)
        except ProcessLookupError:
            pass

    def kill(self):
        """SIGKILL every process of the server (master, workers, job runner)."""
        self.signal(signal.SIGKILL)
        self.process.wait(30)

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.kill()
        # workers of a terminated master finish on their own; make sure
        self.signal(signal.SIGKILL)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def request(port, method, path, body=None, headers=None, timeout=30):
    """One request on a new connection; return (status, body bytes)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


class KeepAliveClient:
    """A partner that keeps its connection open (HTTP/1.1, no ``Connection: close``)
    and opens a new one only when the server closed it: ``opened`` counts them.

    Odoo in prefork mode answers in HTTP/1.0 and closes after every response (a
    worker serves one connection at a time: an idle kept-alive connection would hold
    it); partners keep theirs open to the reverse proxy in front. Against Odoo alone
    this client therefore reconnects for each request, which ``opened`` shows."""

    def __init__(self, port, timeout=30):
        self.port = port
        self.timeout = timeout
        self.conn = None
        self.opened = 0

    def request(self, method, path, body=None, headers=None):
        headers = {k: v for k, v in (headers or {}).items() if k != "Connection"}
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(
                    HOST, self.port, timeout=self.timeout
                )
                self.opened += 1
                fresh = True
            else:
                fresh = False
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                answer = response.read()
            except (
                http.client.RemoteDisconnected,
                BrokenPipeError,
                ConnectionResetError,
            ):
                # the server closed the kept connection meanwhile: once more, anew
                self.close()
                if fresh or attempt:
                    raise
                continue
            if response.will_close:
                self.close()
            return response.status, answer
        raise OSError("unreachable")

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def sample(n, size=1024, fail=False):
    """A lab result of about ``size`` bytes of JSON, unique by ``n``."""
    payload = {
        "event_id": f"evt-{n}-{uuid.uuid4().hex[:12]}",
        "id": f"S-{n}",
        "patient": {
            "ref": f"P-{n % 9973}",
            "name": "Jane Roe",
            "birth_date": "1980-01-01",
        },
        "results": [
            {"code": f"LOINC-{k:04d}", "value": k * 1.5, "unit": "mmol/L"}
            for k in range(8)
        ],
        "notes": "",
    }
    if fail:
        payload["fail"] = True
    filler = size - len(json.dumps(payload, separators=(",", ":")))
    payload["notes"] = "x" * max(0, filler)
    return json.dumps(payload, separators=(",", ":")).encode()


def signed_headers(body, idempotency_key=None, key=BENCH_KEY, secret=BENCH_SECRET):
    timestamp = str(int(time.time()))
    # the gateway's canonical string: method, path, Idempotency-Key, timestamp, body
    canonical = f"POST\n{INBOUND_PATH}\n{idempotency_key or ''}\n{timestamp}\n"
    digest = hmac.new(
        secret.encode(), canonical.encode() + body, hashlib.sha256
    ).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "Authorization": f"Bearer {key}",
        "X-Interop-Timestamp": timestamp,
        "X-Interop-Signature": f"sha256={digest}",
        "Connection": "close",
    }
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    return headers


class LoadResult:
    def __init__(self, label, clients):
        self.label = label
        self.clients = clients
        self.latencies = []
        self.statuses = Counter()
        self.errors = Counter()
        self.elapsed = 0.0
        self.accepted = []  # (n, status, response body) of the 2xx answers
        self.connections = 0  # connections opened (keep-alive mode)
        self.exhausted = False  # the requests made beforehand ran out (bench/wrk.py)
        #: CPU seconds by whom during the load (:func:`cpu_seconds`), when measured
        self.cpu = Counter()

    @property
    def count(self):
        return sum(self.statuses.values())

    def rate(self):
        return self.count / self.elapsed if self.elapsed else 0.0

    def percentile(self, q):
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    def merge(self, other):
        self.latencies += other.latencies
        self.statuses.update(other.statuses)
        self.errors.update(other.errors)
        self.elapsed += other.elapsed
        self.accepted += other.accepted
        self.connections += other.connections
        self.exhausted |= other.exhausted
        self.cpu.update(other.cpu)

    def cpu_summary(self):
        """CPU time per request by whom (ms), when it was measured."""
        if not self.cpu or not self.count:
            return ""
        return f"CPU ms per request: {cpu_per(self.cpu, self.count)}"

    def summary(self):
        return (
            f"{self.label:<10} c={self.clients}  {self.rate():8.1f} req/s  "
            f"p50 {self.percentile(0.5):6.1f} ms  p99 {self.percentile(0.99):6.1f} ms  "
            f"n={self.count}  statuses={dict(self.statuses)}"
            + (f"  errors={dict(self.errors)}" if self.errors else "")
            + (
                f"  connections/request={self.connections / self.count:.2f}"
                if self.connections and self.count
                else ""
            )
            + ("  (ran out of requests made beforehand)" if self.exhausted else "")
        )


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(server, db):
    """CPU seconds (user + system) used so far by the Odoo of ``server`` (its
    process group: master, workers, job runner; with the workers it has reaped),
    by PostgreSQL's processes for ``db`` (its backends and autovacuum workers:
    not the cluster's shared writers, which serve other databases too) and by
    this process (the load's client threads) and the children it waited for (a
    ``wrk`` client, bench/wrk.py). Read from ``/proc``: counters of
    the kernel, no sampling; two readings around a load give what it cost."""
    odoo = postgres = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as stat_file:
                stat = stat_file.read()
            with open(f"/proc/{entry.name}/cmdline", "rb") as cmdline_file:
                cmdline = cmdline_file.read().decode(errors="replace")
        except OSError:  # a process that ended meanwhile
            continue
        command, fields = (
            stat[stat.index("(") + 1 : stat.rindex(")")],
            stat[stat.rindex(")") + 2 :].split(),
        )
        # fields from the 3rd of proc(5): pgrp 5th, utime 14th ... cstime 17th
        ticks = int(fields[11]) + int(fields[12])
        if int(fields[2]) == server.process.pid:
            odoo += ticks
            if int(entry.name) == server.process.pid:  # and the workers it reaped
                odoo += int(fields[13]) + int(fields[14])
        elif command.startswith("postgres") and db in cmdline.split():
            postgres += ticks
    own = os.times()
    return Counter(
        {
            "Odoo": odoo / CLOCK_TICKS,
            "PostgreSQL": postgres / CLOCK_TICKS,
            "client": own.user + own.system + own.children_user + own.children_system,
        }
    )


def cpu_per(cpu, count):
    """``cpu`` (:func:`cpu_seconds` between two readings) per one of ``count``
    (requests, messages), in ms by whom and in total."""
    parts = [
        f"{who} {seconds / count * 1000:.2f}" for who, seconds in sorted(cpu.items())
    ]
    return f"{', '.join(parts)}; total {sum(cpu.values()) / count * 1000:.2f}"


def run_load(
    port,
    make_request,
    clients,
    duration=None,
    count=None,
    label="load",
    keep_accepted=False,
    retry_on=(),
    keep_alive=False,
):
    """Send requests from ``clients`` threads until ``duration`` seconds pass or
    ``count`` requests are sent (both bounded); ``make_request(n)`` returns
    ``(method, path, body, headers)``.

    ``retry_on``: statuses (and connection errors, if ``"error"`` is in it) after
    which a client sends the same request again, as a well-behaved partner does.
    ``keep_alive``: each client keeps its connection open (:class:`KeepAliveClient`)
    instead of opening one per request.
    """
    if duration is None and count is None:
        raise ValueError("a load is bounded in time or in count")
    result = LoadResult(label, clients)
    lock = threading.Lock()
    sequence = iter(range(count if count is not None else 10**9))
    stop_at = time.monotonic() + (duration if duration is not None else 3600)

    def client():
        latencies, statuses, errors, accepted = [], Counter(), Counter(), []
        kept = KeepAliveClient(port) if keep_alive else None
        while time.monotonic() < stop_at:
            with lock:
                n = next(sequence, None)
            if n is None:
                break
            method, path, body, headers = make_request(n)
            for _attempt in range(60):
                start = time.perf_counter()
                try:
                    if kept is not None:
                        status, answer = kept.request(method, path, body, headers)
                    else:
                        status, answer = request(port, method, path, body, headers)
                except OSError as error:
                    errors[type(error).__name__] += 1
                    if "error" not in retry_on or time.monotonic() >= stop_at + 120:
                        break
                    time.sleep(0.5)
                    continue
                latencies.append(time.perf_counter() - start)
                statuses[status] += 1
                if 200 <= status < 300 and keep_accepted:
                    accepted.append((n, status, answer))
                if status not in retry_on or time.monotonic() >= stop_at + 120:
                    break
                time.sleep(0.5)
        if kept is not None:
            kept.close()
        with lock:
            result.connections += kept.opened if kept is not None else 0
            result.latencies += latencies
            result.statuses.update(statuses)
            result.errors.update(errors)
            result.accepted += accepted

    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.elapsed = time.perf_counter() - start
    return result


def prepared(make, count, offset):
    """``count`` requests made before a round (body, signature, key): the load
    generator shares the machine with the server, and a partner system's own work
    (serialising, signing) is not the server's. Returns ``make_request(n)``."""
    requests = [make(offset + n) for n in range(count)]
    return requests.__getitem__


def alternate_rounds(
    port, routes, clients, rounds, seconds, per_second, log_rounds=True, cpu=None
):
    """Two routes measured side by side on one server: ``rounds`` rounds of
    ``seconds`` each per route, alternating A B, B A, ... (a drift of the machine
    (cache, autovacuum, a neighbour) weighs on both alike), each round's requests
    prepared beforehand (``per_second`` × ``seconds`` of them: more than the
    server answers; a faster machine ends the round on the count).

    ``cpu``: a function returning CPU seconds so far by whom (e.g. ``lambda:
    cpu_seconds(server, db)``), read around each round: the CPU time of each
    route per request by whom (:meth:`LoadResult.cpu_summary`).

    ``routes``: ``[(label, make_request), (label, make_request)]``. Returns
    ``(totals, ratios)``: a :class:`LoadResult` per label, in the order given, and
    the rate ratio first/second of each round."""
    totals = {label: LoadResult(label, clients) for label, _make in routes}
    first, second = (label for label, _make in routes)
    ratios = []
    offset = clients * 10**7
    for round_no in range(rounds):
        pair = list(routes) if round_no % 2 == 0 else list(reversed(routes))
        rates = {}
        for label, make in pair:
            count = int(per_second * seconds)
            offset += count
            requests = prepared(make, count, offset)
            before = cpu() if cpu else None
            part = run_load(
                port,
                requests,
                clients=clients,
                duration=seconds,
                count=count,
                label=label,
            )
            if cpu:
                part.cpu = cpu()
                part.cpu.subtract(before)
            if log_rounds:
                log(f"round {round_no + 1}: {part.summary()}")
            totals[label].merge(part)
            rates[label] = part.rate()
        ratios.append(rates[first] / rates[second] if rates[second] else 0.0)
    return [totals[label] for label, _make in routes], ratios


def governed_request(n, size=1024, fail=False):
    body = sample(n, size=size, fail=fail)
    return "POST", INBOUND_PATH, body, signed_headers(body, f"bench-{n}-{uuid.uuid4()}")


def plain_request(n, size=1024, path=PLAIN_PATH):
    body = sample(n, size=size)
    return (
        "POST",
        path,
        body,
        {"Content-Type": "application/json", "Connection": "close"},
    )


def delay_request(n, size=1024):
    """Odoo's create + ``with_delay()`` route (bench/addons/interop_bench)."""
    return plain_request(n, size=size, path=DELAY_PATH)


def free_port(start=None):
    """The first free local port from ``start`` (default: ``INTEROP_BENCH_PORT``, or
    18069), so that benchmarks run beside each other on one machine."""
    import socket

    port = start or int(os.environ.get("INTEROP_BENCH_PORT", "18069"))
    while True:
        with socket.socket() as sock:
            try:
                sock.bind((HOST, port))
                return port
            except OSError:
                port += 1


def wait_until(predicate, timeout, interval=0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


def message_states(setup, db):
    rows = setup.query(
        db,
        "SELECT m.state, count(*) FROM interop_message m"
        " JOIN interop_endpoint e ON e.id = m.endpoint_id"
        " WHERE e.code = %s GROUP BY m.state",
        (BENCH_ENDPOINT,),
    )
    return dict(rows)


def machine():
    cpu = os.cpu_count()
    try:
        with open("/proc/meminfo") as meminfo:
            mem_kb = int(meminfo.readline().split()[1])
    except OSError:
        mem_kb = 0
    return (
        f"{cpu} CPU, {mem_kb / 1024 / 1024:.0f} GB RAM, Python {sys.version.split()[0]}"
    )
