"""Resilience drills: what the suite does when load, faults and bad input meet it.

Each drill runs a real Odoo in prefork mode (bench/harness.py) on its own database,
prints one PASS/FAIL line per check with its figures, and returns its failures; the
script exits 1 when any check failed.

  no-loss      signed load from 8 clients, a share of exact repeats sent at the same
               time: every 2xx answer has exactly one message and one effect
  remote-down  an outbound endpoint's remote answers 503 for a while under load:
               the breaker opens, the backlog is held, then delivered in order, once
  sigkill      SIGKILL of the whole server while jobs run, then a restart: every
               message ends done (or failed with an exception), no effect twice
  pg-restart   a throwaway PostgreSQL cluster stopped for 10 s during ingestion:
               503 (never another 5xx) while it is down, retrying clients all end
               2xx, every accepted message stored once
  bad-input    the gateway's bad-input corpus: each request its documented 4xx and a
               problem+json, nothing 5xx, no worker lost
  schemathesis the OpenAPI document against the gateway: no server error, answers
               conform to the document

``--smoke`` (run by make test): no-loss with 100 requests, bad-input, sigkill with 40
messages, on the database interop_drills_smoke.
"""

import argparse
import http.server
import importlib.util
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path

from harness import (
    BENCH_ENDPOINT,
    BENCH_EVENT,
    BENCH_KEY,
    BENCH_SECRET,
    HOST,
    INBOUND_PATH,
    ROOT,
    OdooServer,
    Setup,
    free_port,
    governed_request,
    log,
    machine,
    request,
    run_load,
    sample,
    signed_headers,
    wait_until,
)

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
#: an inbound endpoint of the drill database that does not require signatures
OPEN_ENDPOINT = "drills-open"
OPEN_KEY = "iop_drills_open_0123456789abcdef"
REMOTE_ENDPOINT = "drills-remote"
PENDING_STATES = ("received", "validated", "queued", "processing")


def _load_corpus():
    path = ROOT / "addons" / "interop_gateway" / "tests" / "bad_input.py"
    spec = importlib.util.spec_from_file_location("interop_bad_input", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


corpus = _load_corpus()


class Checks:
    """The checks of one drill: one PASS/FAIL line each, failures kept."""

    def __init__(self, drill):
        self.drill = drill
        self.failures = []

    def expect(self, ok, name, figures=""):
        line = f"{'PASS' if ok else 'FAIL'} {self.drill}: {name}" + (
            f" ({figures})" if figures else ""
        )
        print(line, flush=True)
        if not ok:
            self.failures.append(line)
        return ok


class Drills:
    def __init__(self, args, setup):
        self.args = args
        self.setup = setup
        self.db = args.db

    # helpers

    def server(self, name, runner=True, setup=None, db=None, db_filter=True):
        port = free_port(19069)
        return OdooServer(
            setup or self.setup,
            db or self.db,
            port,
            workers=self.args.workers,
            runner=runner,
            name=name,
            db_filter=db_filter,
        )

    def shell(self, code, timeout=600, setup=None, db=None):
        """Run Python ``code`` in ``odoo-bin shell`` on the drill database; return
        its stdout lines."""
        setup = setup or self.setup
        logfile = setup.log_dir / f"{db or self.db}-shell.log"
        command = setup.odoo(
            db or self.db, "--no-http", f"--logfile={logfile}", "--log-level=warn"
        )
        command.insert(2, "shell")  # the sub-command comes before the options
        result = subprocess.run(
            command,
            input=code,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode:
            raise RuntimeError(f"odoo shell failed: {result.stderr[-2000:]}")
        return result.stdout.splitlines()

    def max_message_id(self, setup=None, db=None):
        rows = (setup or self.setup).query(
            db or self.db, "SELECT COALESCE(max(id), 0) FROM interop_message"
        )
        return rows[0][0]

    def pending(self, since, setup=None, db=None):
        rows = (setup or self.setup).query(
            db or self.db,
            "SELECT count(*) FROM interop_message WHERE id > %s AND state IN %s",
            (since, PENDING_STATES),
        )
        return rows[0][0]

    def effects(self, since):
        return dict(
            self.setup.query(
                self.db,
                "SELECT message_id, count(*) FROM interop_bench_record"
                " WHERE message_id > %s GROUP BY message_id",
                (since,),
            )
        )

    def prepare(self):
        """The drill database: suite, bench fixtures, the drills' own endpoints."""
        if self.args.template:
            self.copy_template(self.args.template)
        elif not self.args.keep_db:
            self.setup.create_database(self.db)
        self.shell(
            f"""
import json
owner = env.ref("base.user_admin")
Endpoint = env["interop.endpoint"]
if not Endpoint.search([("code", "=", {OPEN_ENDPOINT!r})]):
    endpoint = Endpoint.create({{
        "code": {OPEN_ENDPOINT!r}, "name": "Drills (unsigned)",
        "system_kind": "other", "direction": "inbound", "environment": "test",
        "data_classification": "internal", "business_owner_id": owner.id,
        "technical_owner_id": owner.id, "gateway_rate_limit": 1000000,
        "gateway_require_signature": False,
    }})
    endpoint._activate()
    endpoint.service_user_id.groups_id = [(4, env.ref("base.group_user").id)]
    env["interop.api.key"]._generate(endpoint, "Drills key", key={OPEN_KEY!r})
env.cr.commit()
"""
        )

    def copy_template(self, template):
        """The drill database as a copy of ``template`` (e.g. make test's fresh
        database, idle once pytest is done) plus the bench fixtures: faster than
        installing the suite again."""
        conn = self.setup.connect()
        with conn.cursor() as cr:
            cr.execute(f'DROP DATABASE IF EXISTS "{self.db}"')
            cr.execute(f'CREATE DATABASE "{self.db}" TEMPLATE "{template}"')
        conn.close()
        filestore = Path(self.setup.options["data_dir"]) / "filestore"
        shutil.rmtree(filestore / self.db, ignore_errors=True)
        if (filestore / template).exists():
            shutil.copytree(filestore / template, filestore / self.db)
        log(f"{self.db}: a copy of {template}; installing interop_bench")
        subprocess.run(
            self.setup.odoo(
                self.db,
                "-i",
                "interop_bench",
                "--stop-after-init",
                "--no-http",
                f"--logfile={self.setup.log_dir / f'{self.db}-install.log'}",
                "--log-level=warn",
            ),
            check=True,
        )
        # made by this code (make test's database): no upgrade when a server starts
        self.setup.remember_code(self.db)

    # 1. no loss under load

    def no_loss(self):
        checks = Checks("no-loss")
        count, clients = self.args.requests, 8
        since = self.max_message_id()
        # in each group of 10 requests, the first 3 are the same request (same key,
        # same body): consecutive numbers go to different clients at the same time
        originals = {}

        def make(n):
            group, rank = divmod(n, 10)
            if rank < 3:
                if group not in originals:
                    body = sample(n)
                    originals[group] = (body, f"drill-{uuid.uuid4()}")
                body, key = originals[group]
                return "POST", INBOUND_PATH, body, signed_headers(body, key)
            method, path, body, headers = governed_request(n)
            return method, path, body, headers

        keys = {}

        def make_and_note(n):
            req = make(n)
            keys[n] = req[3]["Idempotency-Key"]
            return req

        with self.server("noloss") as server:
            result = run_load(
                server.port,
                make_and_note,
                clients=clients,
                count=count,
                duration=self.args.seconds,
                label="no-loss",
                keep_accepted=True,
            )
            log(result.summary())
            drained = wait_until(
                lambda: self.pending(since) == 0, self.args.drain_timeout, 1
            )
        sent = len(keys)
        non_2xx = {s: c for s, c in result.statuses.items() if not 200 <= s < 300}
        checks.expect(
            not non_2xx and not result.errors,
            "every request answered 2xx",
            f"{sent} requests from {clients} clients in {result.elapsed:.1f} s, "
            f"{result.rate():.0f} req/s, statuses {dict(result.statuses)}"
            + (f", errors {dict(result.errors)}" if result.errors else ""),
        )
        answers = defaultdict(list)  # key -> [(status, message id)]
        for n, status, body in result.accepted:
            answers[keys[n]].append((status, json.loads(body)["message_id"]))
        repeats = [k for k, a in answers.items() if len(a) > 1]
        bad_repeats = [
            k
            for k, a in answers.items()
            if sorted(s for s, _id in a) != [200] * (len(a) - 1) + [202]
            or len({i for _s, i in a}) != 1
        ]
        checks.expect(
            not bad_repeats,
            "exact repeats answered 200 with the first message's id",
            f"{len(repeats)} keys sent 3 times at once, "
            f"{sum(len(answers[k]) - 1 for k in repeats)} repeats, "
            f"{len(bad_repeats)} wrong",
        )
        rows = self.setup.query(
            self.db,
            "SELECT m.idempotency_key, array_agg(m.id), array_agg(m.state)"
            " FROM interop_message m JOIN interop_endpoint e ON e.id = m.endpoint_id"
            " WHERE m.id > %s AND e.code = %s GROUP BY m.idempotency_key",
            (since, BENCH_ENDPOINT),
        )
        stored = {key: (ids, states) for key, ids, states in rows}
        lost = [k for k in answers if k not in stored]
        duplicated = [k for k, (ids, _s) in stored.items() if len(ids) > 1]
        mismatched = [
            k for k, a in answers.items() if k in stored and stored[k][0] != [a[0][1]]
        ]
        unanswered = [k for k in stored if k not in answers]
        checks.expect(
            not (lost or duplicated or mismatched),
            "every accepted key stored exactly once, under the id answered",
            f"{len(answers)} accepted keys, {len(stored)} stored, {len(lost)} lost, "
            f"{len(duplicated)} duplicated, {len(mismatched)} other id, "
            f"{len(unanswered)} stored without a 2xx answer",
        )
        effects = self.effects(since)
        states = Counter(s for _ids, states in stored.values() for s in states)
        no_effect = [
            k for k, (ids, _s) in stored.items() if effects.get(ids[0], 0) == 0
        ]
        twice = [m for m, c in effects.items() if c > 1]
        checks.expect(
            bool(drained) and not no_effect and not twice,
            "every message processed once: one bench record each",
            f"drained: {bool(drained)}, states {dict(states)}, "
            f"{sum(effects.values())} records, {len(no_effect)} without, "
            f"{len(twice)} with more than one",
        )
        return checks.failures

    # 2. the remote is down

    def remote_down(self):
        checks = Checks("remote-down")
        remote = Remote()
        remote.start()
        duration, outage_at, outage = (
            self.args.remote_seconds,
            self.args.outage_start,
            self.args.outage,
        )
        interval = self.args.send_interval
        run = uuid.uuid4().hex[:8]
        log(
            f"remote-down: breaker cool-down set to {self.args.cooldown} s and "
            f"timeout 5 s on the drill endpoint (defaults 60 s, 15 s); back-off "
            f"unchanged (30 s, 1 min...)"
        )
        code = f"""
import time
owner = env.ref("base.user_admin")
Endpoint = env["interop.endpoint"]
endpoint = Endpoint.search([("code", "=", {REMOTE_ENDPOINT!r})])
vals = {{"base_url": "http://127.0.0.1:{remote.port}/in",
        "breaker_cooldown": {self.args.cooldown}, "breaker_threshold": 5,
        "outbound_timeout": 5}}
if not endpoint:
    endpoint = Endpoint.create(dict(vals, code={REMOTE_ENDPOINT!r},
        name="Drills remote", system_kind="other", direction="outbound",
        environment="test", data_classification="internal",
        business_owner_id=owner.id, technical_owner_id=owner.id))
    endpoint._activate()
else:
    endpoint._interop_apply_write(vals)  # the drill sets it up past control
    endpoint.action_reset_breaker()
env.cr.commit()
print("READY", flush=True)
end = time.monotonic() + {duration}
seq = 0
while time.monotonic() < end:
    message = endpoint._send(None, {{"run": {run!r}, "seq": seq}})
    env.cr.commit()
    print("SENT", seq, message.id, flush=True)
    seq += 1
    time.sleep({interval})
"""
        since = self.max_message_id()
        observed = Counter()
        with self.server("remote", runner=True):
            sender = threading.Thread(
                target=lambda: observed.update(
                    sent=sum(
                        1
                        for line in self.shell(code, timeout=duration + 300)
                        if line.startswith("SENT")
                    )
                )
            )
            sender.start()
            wait_until(lambda: remote.received, 120, 0.2)
            log(f"remote-down: first delivery; remote down in {outage_at} s")
            time.sleep(outage_at)
            remote.down = True
            down_at = time.time()
            log(f"remote-down: remote answers 503 for {outage} s")
            end = time.monotonic() + outage
            while time.monotonic() < end:
                row = self.setup.query(
                    self.db,
                    "SELECT e.breaker_state, (SELECT count(*) FROM interop_message m"
                    " WHERE m.endpoint_id = e.id AND m.state = 'queued'"
                    " AND m.date_held IS NOT NULL)"
                    " FROM interop_endpoint e WHERE e.code = %s",
                    (REMOTE_ENDPOINT,),
                )[0]
                observed[f"breaker {row[0]}"] += 1
                observed["held max"] = max(observed["held max"], row[1])
                time.sleep(1)
            seq_up = self.setup.query(
                self.db,
                "SELECT count(*) FROM interop_message m JOIN interop_endpoint e"
                " ON e.id = m.endpoint_id WHERE e.code = %s AND m.id > %s",
                (REMOTE_ENDPOINT, since),
            )[0][0]
            remote.down = False
            up_at = time.time()
            log("remote-down: remote up again")
            sender.join()
            sent = observed["sent"]
            delivered = wait_until(
                lambda: (
                    remote.delivered_count(run) >= sent and self.pending(since) == 0
                ),
                self.args.drain_timeout,
                1,
            )
            drained_after = time.time() - up_at
        remote.stop()
        checks.expect(
            observed["breaker open"] + observed["breaker half_open"] > 0,
            "the breaker opened during the outage",
            "breaker samples (1/s) "
            + str({k: v for k, v in observed.items() if k.startswith("breaker")}),
        )
        checks.expect(
            observed["held max"] > 0,
            "the backlog was held",
            f"up to {observed['held max']} messages held; remote refused "
            f"{remote.refused} calls with 503",
        )
        receipts = remote.deliveries(run)
        per_seq = Counter(seq for seq, _t in receipts)
        twice = [s for s, c in per_seq.items() if c > 1]
        missing = [s for s in range(sent) if s not in per_seq]
        checks.expect(
            bool(delivered) and not missing and not twice,
            "every message delivered, none twice",
            f"{sent} sent, {len(per_seq)} delivered, {len(missing)} missing, "
            f"{len(twice)} twice, all delivered {drained_after:.0f} s after the "
            f"recovery: {bool(delivered)}",
        )
        # the backlog: messages created before the remote came back and not
        # delivered by then; it goes out oldest first, nothing newer overtakes it
        delivered_before = {s for s, t in receipts if t < up_at}
        after = [s for s, t in receipts if t >= up_at]
        backlog = [s for s in after if s < seq_up and s not in delivered_before]
        last = max((i for i, s in enumerate(after) if s in set(backlog)), default=-1)
        overtaking = [s for s in after[:last] if s >= seq_up]
        inversions = sum(1 for a, b in itertools.pairwise(backlog) if b < a)
        checks.expect(
            not inversions and not overtaking,
            "the backlog delivered in order after the recovery",
            f"{len(backlog)} messages in the backlog, {inversions} out of order, "
            f"{len(overtaking)} newer ones before its end; outage "
            f"{up_at - down_at:.0f} s",
        )
        return checks.failures

    # 3. SIGKILL mid-processing

    def sigkill(self):
        checks = Checks("sigkill")
        count = self.args.kill_messages
        since = self.max_message_id()
        with self.server("sigkill-queue", runner=False) as server:
            # one in 20 asks to fail: it must end failed, with its exception
            result = run_load(
                server.port,
                lambda n: governed_request(n, fail=n % 20 == 19),
                clients=4,
                count=count,
                label="queue",
            )
        checks.expect(
            result.statuses.get(202) == count,
            "messages queued with the runner off",
            f"{dict(result.statuses)}",
        )
        server = self.server("sigkill-run", runner=True).start()
        done_at_kill = wait_until(
            lambda: self.done_count(since) >= max(3, count // 10), 120, 0.1
        )
        done_at_kill = self.done_count(since)
        running = self.setup.query(
            self.db,
            "SELECT count(*) FROM queue_job WHERE state IN ('enqueued', 'started')",
        )[0][0]
        server.kill()
        log(f"sigkill: killed with {done_at_kill}/{count} done, {running} jobs running")
        # as a restart takes: the runner requeues jobs enqueued over 10 s ago
        time.sleep(11)
        started = time.monotonic()
        with self.server("sigkill-restart", runner=True):
            settled = wait_until(
                lambda: self.pending(since) == 0, self.args.drain_timeout, 1
            )
            elapsed = time.monotonic() - started
        rows = self.setup.query(
            self.db,
            "SELECT m.state, count(*), count(x.id) FROM interop_message m"
            " LEFT JOIN LATERAL (SELECT id FROM interop_exception x"
            " WHERE x.message_id = m.id LIMIT 1) x ON true"
            " WHERE m.id > %s GROUP BY m.state",
            (since,),
        )
        states = {state: (n, with_exception) for state, n, with_exception in rows}
        effects = self.effects(since)
        twice = [m for m, c in effects.items() if c > 1]
        failed, failed_with_exception = states.get("failed", (0, 0))
        stuck = sum(n for s, (n, _x) in states.items() if s not in ("done", "failed"))
        checks.expect(
            bool(settled) and not stuck and failed == failed_with_exception,
            "every message done, or failed with an exception, after the restart",
            f"killed at {done_at_kill}/{count} done with {running} jobs running; "
            f"settled {elapsed:.0f} s after the restart; states "
            f"{ {s: n for s, (n, _x) in states.items()} }, {failed_with_exception} "
            f"exceptions, {stuck} stuck",
        )
        done = states.get("done", (0, 0))[0]
        checks.expect(
            not twice and len(effects) == done,
            "no effect twice",
            f"{sum(effects.values())} records for {done} done messages, "
            f"{len(twice)} messages with more than one",
        )
        return checks.failures

    def done_count(self, since):
        return self.setup.query(
            self.db,
            "SELECT count(*) FROM interop_message WHERE id > %s AND state = 'done'",
            (since,),
        )[0][0]

    # 4. PostgreSQL restart during ingestion

    def pg_restart(self):
        checks = Checks("pg-restart")
        cluster = ThrowawayCluster(self.setup)
        try:
            cluster.create()
            setup = cluster.setup_for()
            db = "interop_drills_pg"
            log(f"pg-restart: copying {self.db} into the throwaway cluster")
            cluster.copy_database(self.db, db)
            since = self.max_message_id(setup, db)
            issued = {}

            def make(n):
                req = governed_request(n)
                issued[n] = req[3]["Idempotency-Key"]
                return req

            # -d without --db-filter: Odoo knows the database without listing them;
            # it still answers its own 404 while PostgreSQL is down, as it serves a
            # request whose registry check fails without a database (README)
            with self.server(
                "pg", runner=False, setup=setup, db=db, db_filter=self.args.pg_db_filter
            ) as server:
                outcome = {}
                loader = threading.Thread(
                    target=lambda: outcome.update(
                        result=run_load(
                            server.port,
                            make,
                            clients=8,
                            duration=self.args.pg_seconds,
                            label="pg-restart",
                            keep_accepted=True,
                            retry_on=(503, "error"),
                        )
                    )
                )
                loader.start()
                time.sleep(3)
                log(f"pg-restart: stopping PostgreSQL for {self.args.pg_down} s")
                cluster.stop()
                down = time.monotonic()
                health = Counter()
                while time.monotonic() - down < self.args.pg_down:
                    try:
                        health[
                            request(server.port, "GET", "/interop/v1/health")[0]
                        ] += 1
                    except OSError as error:
                        health[type(error).__name__] += 1
                    time.sleep(1)
                cluster.start()
                log("pg-restart: PostgreSQL is back")
                loader.join()
                result = outcome["result"]
            accepted_n = {n for n, _s, _b in result.accepted}
            keys = {issued[n] for n in accepted_n}
            other_5xx = {
                s: c for s, c in result.statuses.items() if s >= 500 and s != 503
            }
            checks.expect(
                not other_5xx,
                "no 5xx but 503 while PostgreSQL was down",
                f"statuses of all attempts {dict(result.statuses)}, connection "
                f"errors {dict(result.errors)}; health while down {dict(health)}",
            )
            checks.expect(
                len(accepted_n) == len(issued) and result.statuses.get(503, 0) > 0,
                "retrying clients all ended 2xx",
                f"{len(issued)} requests, {len(accepted_n)} ended 2xx, "
                f"{result.statuses.get(503, 0)} answers 503 on the way",
            )
            rows = setup.query(
                db,
                "SELECT idempotency_key, count(*) FROM interop_message"
                " WHERE id > %s GROUP BY idempotency_key",
                (since,),
            )
            stored = dict(rows)
            lost = [k for k in keys if k not in stored]
            twice = [k for k, c in stored.items() if c > 1]
            checks.expect(
                not lost and not twice,
                "every accepted message stored exactly once",
                f"{len(keys)} accepted, {len(stored)} stored, {len(lost)} lost, "
                f"{len(twice)} twice",
            )
        finally:
            cluster.remove()
        return checks.failures

    # 5. bad input

    def bad_input(self):
        checks = Checks("bad-input")

        def payload(text=None):
            value = json.loads(sample(int(time.time() * 1000) % 10**6))
            if text is not None:
                value["id"] = text
            return value

        target = corpus.Target(
            key=BENCH_KEY,
            secret=BENCH_SECRET,
            endpoint_code=BENCH_ENDPOINT,
            event_code=BENCH_EVENT,
            payload=payload,
            invalid=lambda: {"event_id": f"evt-{uuid.uuid4()}", "results": "none"},
        )
        with self.server("badinput", runner=False) as server:
            log_start = server.logfile.stat().st_size if server.logfile.exists() else 0
            results = corpus.run(HOST, server.port, target)
            alive = server.process.poll() is None
            health = request(server.port, "GET", "/interop/v1/health")[0]
            with open(server.logfile, "rb") as logfile:
                logfile.seek(log_start)
                logged = logfile.read().decode(errors="replace")
        for entry, status, wrong in results:
            checks.expect(not wrong, f"{entry.name} -> {entry.status}", wrong or status)
        bad_lines = [
            line
            for line in logged.splitlines()
            if " ERROR " in line or " CRITICAL " in line or "Worker (" in line
        ]
        checks.expect(
            alive and health == 200 and not bad_lines,
            "the server is up, no error logged, no worker lost",
            f"{len(results)} entries; health {health}; "
            f"{len(bad_lines)} ERROR/CRITICAL/worker lines"
            + (f": {bad_lines[0][:200]}" if bad_lines else ""),
        )
        return checks.failures

    # 6. schemathesis

    def schemathesis(self):
        checks = Checks("schemathesis")
        st = Path(os.environ.get("INTEROP_DRILLS_VENV", "")) / "bin" / "st"
        if not st.exists():
            checks.expect(False, "schemathesis installed", f"{st} not found")
            return checks.failures
        with self.server("schemathesis", runner=False) as server:
            base = f"http://{HOST}:{server.port}"
            command = [
                str(st),
                "run",
                f"{base}/interop/v1/openapi.json",
                f"--base-url={base}",
                f"--header=Authorization: Bearer {OPEN_KEY}",
                f"--set-path=endpoint_code={OPEN_ENDPOINT}",
                "--checks=all",
                "--experimental=openapi-3.1",
                "--data-generation-method=all",
                "--hypothesis-suppress-health-check=filter_too_much,too_slow",
                f"--hypothesis-max-examples={self.args.st_examples}",
                "--hypothesis-deadline=None",
                "--hypothesis-derandomize",
                "--request-timeout=30000",
                "--no-color",
                "--show-trace",
                "--exclude-path-regex=/interop/v1/inbound/\\{endpoint_code\\}/(?!"
                + BENCH_EVENT.replace(".", "\\.")
                + "$)",
            ]
            started = time.monotonic()
            completed = subprocess.run(
                command,
                capture_output=True,
                text=True,
                timeout=self.args.st_timeout,
                check=False,
            )
            elapsed = time.monotonic() - started
        output = completed.stdout + completed.stderr
        report = self.setup.log_dir / f"{self.db}-schemathesis.txt"
        report.write_text(output)
        summary = [line for line in output.splitlines() if line.startswith("=")]
        checks.expect(
            completed.returncode == 0,
            "no server error, every answer conforms to the document",
            f"{elapsed:.0f} s, {self.args.st_examples} examples per operation, "
            f"unsigned endpoint {OPEN_ENDPOINT}; {summary[-1] if summary else ''}"
            f" (full output: {report})",
        )
        if completed.returncode:
            print(output[-4000:], flush=True)
        return checks.failures


class ThrowawayCluster:
    """A PostgreSQL 15 cluster of the drill's own, in /tmp, on a free port."""

    def __init__(self, setup):
        self.setup = setup
        self.port = free_port(55432)
        self.data = Path(tempfile.mkdtemp(prefix="interop-drills-pg-", dir="/tmp"))
        self.conf = self.data.with_suffix(".conf")

    def as_pg(self, *command):
        prefix = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
        subprocess.run(
            prefix + [str(c) for c in command],
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def create(self):
        if os.getuid() == 0:
            shutil.chown(self.data, "postgres", "postgres")
        self.as_pg(
            PG_BIN / "initdb",
            "-D",
            self.data / "data",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--auth=trust",
        )
        with open(self.data / "data" / "postgresql.conf", "a") as conf:
            conf.write(
                f"listen_addresses = '127.0.0.1'\nport = {self.port}\n"
                f"unix_socket_directories = '{self.data}'\nmax_connections = 100\n"
            )
        self.start()
        self.as_pg(
            PG_BIN / "psql",
            "-h",
            HOST,
            "-p",
            self.port,
            "-U",
            "postgres",
            "-qc",
            "CREATE ROLE interop LOGIN SUPERUSER",
        )
        log(f"pg-restart: throwaway cluster {self.data} on port {self.port}")

    def start(self):
        self.as_pg(
            PG_BIN / "pg_ctl",
            "-D",
            self.data / "data",
            "-l",
            self.data / "log",
            "-w",
            "start",
        )

    def stop(self):
        self.as_pg(
            PG_BIN / "pg_ctl", "-D", self.data / "data", "-m", "fast", "-w", "stop"
        )

    def setup_for(self):
        """A Setup whose Odoo configuration points at this cluster."""
        text = Path(self.setup.conf).read_text()
        lines = [
            f"db_port = {self.port}" if line.startswith("db_port") else line
            for line in text.splitlines()
        ]
        self.conf.write_text("\n".join(lines) + "\n")
        previous = os.environ["INTEROP_ODOO_CONF"]
        os.environ["INTEROP_ODOO_CONF"] = str(self.conf)
        try:
            return Setup()
        finally:
            os.environ["INTEROP_ODOO_CONF"] = previous

    def copy_database(self, source, target):
        """pg_dump of the drill database, restored here (faster than installing)."""
        options = self.setup.options
        dump = subprocess.Popen(
            [
                PG_BIN / "pg_dump",
                "-h",
                options.get("db_host"),
                "-p",
                options.get("db_port"),
                "-U",
                options.get("db_user"),
                "-Fc",
                source,
            ],
            stdout=subprocess.PIPE,
        )
        subprocess.run(
            [
                PG_BIN / "createdb",
                "-h",
                HOST,
                "-p",
                str(self.port),
                "-U",
                "interop",
                target,
            ],
            check=True,
        )
        subprocess.run(
            [
                PG_BIN / "pg_restore",
                "-h",
                HOST,
                "-p",
                str(self.port),
                "-U",
                "interop",
                "-d",
                target,
                "--no-owner",
            ],
            stdin=dump.stdout,
            check=True,
        )
        dump.wait()
        # the copy has its own filestore: Odoo's assets are regenerated there
        filestore = Path(self.setup.options["data_dir"]) / "filestore"
        if (filestore / source).exists() and not (filestore / target).exists():
            shutil.copytree(filestore / source, filestore / target)

    def remove(self):
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.data, ignore_errors=True)
        self.conf.unlink(missing_ok=True)
        filestore = Path(self.setup.options["data_dir"]) / "filestore"
        shutil.rmtree(filestore / "interop_drills_pg", ignore_errors=True)


class Remote:
    """A partner's HTTP server on 127.0.0.1 recording what it receives; answers 503
    while ``down``."""

    def __init__(self):
        self.port = free_port(19500)
        self.down = False
        self.refused = 0
        self.lock = threading.Lock()
        self.receipts = []  # (run, seq, idempotency key, time) of 200 answers
        remote = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if remote.down:
                    with remote.lock:
                        remote.refused += 1
                    self.send_response(503)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                payload = json.loads(body)
                with remote.lock:
                    remote.receipts.append(
                        (
                            payload.get("run"),
                            payload.get("seq"),
                            self.headers.get("Idempotency-Key"),
                            time.time(),
                        )
                    )
                answer = b'{"ok": true}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *_args):
                pass

        self.httpd = http.server.ThreadingHTTPServer((HOST, self.port), Handler)

    @property
    def received(self):
        return bool(self.receipts)

    def deliveries(self, run):
        with self.lock:
            return [(seq, t) for r, seq, _key, t in self.receipts if r == run]

    def delivered_count(self, run):
        return len({seq for seq, _t in self.deliveries(run)})

    def start(self):
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


DRILLS = [
    "no-loss",
    "bad-input",
    "sigkill",
    "remote-down",
    "pg-restart",
    "schemathesis",
]
SMOKE = ["no-loss", "bad-input", "sigkill"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="the short version")
    parser.add_argument("--only", help=f"comma-separated drills of {','.join(DRILLS)}")
    parser.add_argument("--db", help="default interop_drills(_smoke)")
    parser.add_argument("--keep-db", action="store_true", help="reuse the database")
    parser.add_argument(
        "--template", help="copy this database (with the suite) instead of installing"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--requests", type=int, default=3000, help="no-loss")
    parser.add_argument("--seconds", type=float, default=120, help="no-loss bound")
    parser.add_argument("--drain-timeout", type=float, default=300)
    parser.add_argument("--kill-messages", type=int, default=300, help="sigkill")
    parser.add_argument(
        "--remote-seconds", type=float, default=90, help="remote-down: sending time"
    )
    parser.add_argument("--outage-start", type=float, default=15)
    parser.add_argument(
        "--outage", type=float, default=50, help="seconds the remote answers 503"
    )
    parser.add_argument("--send-interval", type=float, default=0.5)
    parser.add_argument("--cooldown", type=int, default=10, help="breaker cool-down")
    parser.add_argument("--pg-seconds", type=float, default=25, help="pg-restart load")
    parser.add_argument("--pg-down", type=float, default=10)
    parser.add_argument(
        "--pg-db-filter",
        action="store_true",
        help="pg-restart: serve with --db-filter (then Odoo answers 404 while down)",
    )
    parser.add_argument("--st-examples", type=int, default=100)
    parser.add_argument("--st-timeout", type=float, default=600)
    args = parser.parse_args()
    if args.smoke:
        args.requests, args.kill_messages = min(args.requests, 100), 40
        args.drain_timeout = min(args.drain_timeout, 120)
    names = args.only.split(",") if args.only else (SMOKE if args.smoke else DRILLS)
    unknown = set(names) - set(DRILLS)
    if unknown:
        parser.error(f"unknown drills: {', '.join(sorted(unknown))}")
    args.db = args.db or ("interop_drills_smoke" if args.smoke else "interop_drills")
    setup = Setup()
    drills = Drills(args, setup)
    started = time.monotonic()
    drills.prepare()
    failures = []
    for name in names:
        log(f"drill {name}")
        try:
            failures += getattr(drills, name.replace("-", "_"))()
        except Exception as error:  # noqa: BLE001 - a drill that breaks is a failure
            line = f"FAIL {name}: the drill stopped: {type(error).__name__}: {error}"
            print(line, flush=True)
            failures.append(line)
    print(
        f"\nDrills {', '.join(names)} on {args.db}, Odoo prefork {args.workers} "
        f"workers ({machine()}), {time.monotonic() - started:.0f} s: "
        + (f"{len(failures)} check(s) FAILED" if failures else "all checks passed"),
        flush=True,
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
