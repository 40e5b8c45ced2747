# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The "scale" profile of docker-compose.yml: nginx before several Odoo nodes on one
PostgreSQL. No Docker engine runs where the suite is built: the compose file and the
nginx template (rendered as the nginx image renders it) are read back and held
against the gateway's own limits; each test breaks one thing the way an edit could
and shows the check catches it. tools/drills/nodes.py runs the same template with
real processes (make drills), nginx -t included."""

import configparser
import copy
import importlib.util
import os
import pathlib
import subprocess
import tempfile

import yaml

from odoo.tests import BaseCase, tagged

from ..models.interop_endpoint import MAX_BODY_BYTES_CAP

ROOT = pathlib.Path(__file__).resolve().parents[3]
ENTRYPOINT = ROOT / "docker" / "interop-entrypoint"


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check_compose = _load("interop_check_compose", ROOT / "tools" / "check_compose.py")
nginx_conf = _load("interop_nginx_conf", ROOT / "tools" / "drills" / "nginx_conf.py")


@tagged("post_install", "-at_install")
class TestScaleTopology(BaseCase):
    def setUp(self):
        super().setUp()
        self.compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
        self.services = self.compose["services"]

    def _problems(self, compose=None):
        return " | ".join(check_compose.problems(compose or self.compose))

    def _broken(self, change):
        compose = copy.deepcopy(self.compose)
        change(compose["services"])
        return self._problems(compose)

    def _nginx(self, **overrides):
        """The nginx configuration the scale profile runs, parsed: (upstreams by
        name, public server, job server)."""
        environment = {
            k: str(v) for k, v in self.services["nginx"]["environment"].items()
        }
        environment.update(overrides)
        parsed = nginx_conf.parse(nginx_conf.render(environment))
        upstreams = {
            d[1][0]: [s[1][0] for s in d[2] if s[0] == "server"]
            for d in nginx_conf.find(parsed, "upstream")
        }
        servers = {
            nginx_conf.find(d[2], "listen")[0][1][0]: d[2]
            for d in nginx_conf.find(parsed, "server")
        }
        return (
            upstreams,
            servers[environment["INTEROP_LISTEN"]],
            servers[environment["INTEROP_JOBS_LISTEN"]],
        )

    def _value(self, block, name):
        (directive,) = nginx_conf.find(block, name)
        return directive[1]

    def _location(self, server, path):
        (location,) = nginx_conf.find(server, "location", path)
        return location[2]

    def test_scale_profile_passes_the_static_check(self):
        self.assertEqual(self._problems(), "")
        self.assertEqual(
            {n for n, s in self.services.items() if s.get("profiles") == ["scale"]},
            {
                "db-scale",
                "odoo-init",
                "odoo-http-1",
                "odoo-http-2",
                "odoo-jobs-1",
                "odoo-jobs-2",
                "nginx",
            },
        )
        upstreams, public, jobs = self._nginx()
        self.assertEqual(
            upstreams,
            {
                "interop_http": ["odoo-http-1:8069", "odoo-http-2:8069"],
                "interop_websocket": ["odoo-http-1:8072", "odoo-http-2:8072"],
                "interop_jobs": ["odoo-jobs-1:8069", "odoo-jobs-2:8069"],
            },
        )
        gateway = self._location(public, "/interop/v1/")
        self.assertEqual(self._value(gateway, "proxy_pass"), ["http://interop_http"])
        websocket = self._location(public, "/websocket")
        self.assertEqual(
            self._value(websocket, "proxy_pass"), ["http://interop_websocket"]
        )
        self.assertEqual(
            self._value(self._location(jobs, "/queue_job/"), "proxy_pass"),
            ["http://interop_jobs"],
        )

    def test_attack_outside_caller_runs_a_job_through_nginx(self):
        _upstreams, public, jobs = self._nginx()
        # the public listener answers 404 under /queue_job/ (queue_job's runjob runs
        # any job whose uuid it is given); the runner's listener is not published
        self.assertEqual(
            self._value(self._location(public, "/queue_job/"), "return"), ["404"]
        )
        self.assertEqual(self._value(self._location(jobs, "/"), "return"), ["404"])
        self.assertEqual(self.services["nginx"]["ports"], ["8080:8080"])
        found = self._broken(
            lambda s: s["nginx"]["ports"].append("8079:8079"),
        )
        self.assertIn("job listener (8079) is never published", found)

    def test_nginx_refuses_a_body_the_gateway_accepts(self):
        _upstreams, public, _jobs = self._nginx()
        self.assertEqual(
            self._value(public, "client_max_body_size"), [str(MAX_BODY_BYTES_CAP)]
        )
        found = self._broken(
            lambda s: s["nginx"]["environment"].update(INTEROP_MAX_BODY_BYTES="1m")
        )
        self.assertIn(
            "INTEROP_MAX_BODY_BYTES must be the gateway's largest body", found
        )
        # beyond every endpoint's limit, nginx answers as the gateway does
        (problem,) = nginx_conf.find(public, "location", "@interop_payload_too_large")
        self.assertEqual(
            self._value(problem[2], "default_type"), ["application/problem+json"]
        )

    def test_nginx_cuts_a_request_the_node_still_runs(self):
        _upstreams, public, jobs = self._nginx()
        self.assertEqual(self._value(public, "proxy_read_timeout"), ["130s"])
        self.assertEqual(self._value(jobs, "proxy_read_timeout"), ["610s"])
        found = self._broken(
            lambda s: s["nginx"]["environment"].update(INTEROP_PROXY_TIMEOUT="60s")
        )
        self.assertIn("INTEROP_PROXY_TIMEOUT must be longer than", found)
        found = self._broken(
            lambda s: s["odoo-jobs-2"]["command"].append("--limit-time-real=900")
        )
        self.assertIn("INTEROP_JOB_TIMEOUT must be longer than", found)

    def test_nginx_sends_a_post_twice(self):
        # a request goes to the next node only when none received it (no
        # non_idempotent): a retried POST is the client's, with its Idempotency-Key
        _upstreams, public, _jobs = self._nginx()
        self.assertEqual(
            self._value(public, "proxy_next_upstream"), ["error", "timeout"]
        )

    def test_two_nodes_install_the_suite_at_once(self):
        found = self._broken(
            lambda s: s["odoo-http-2"]["environment"].pop("INTEROP_INSTALL")
        )
        self.assertIn("odoo-http-2: INTEROP_INSTALL must be 0", found)
        found = self._broken(lambda s: s["odoo-jobs-1"].pop("depends_on"))
        self.assertIn("odoo-jobs-1: must start after odoo-init", found)

    def test_nodes_each_encrypt_with_a_key_of_their_own(self):
        def own_volume(services):
            # (a new list: the nodes share the one of the x-interop-scale-node anchor)
            services["odoo-jobs-2"]["volumes"] = [
                *services["odoo-jobs-2"]["volumes"][:-1],
                "odoo-jobs-2-data:/var/lib/odoo",
            ]

        found = self._broken(own_volume)
        self.assertIn("every node mounts one volume on /var/lib/odoo", found)

    def test_http_node_runs_the_job_runner_or_cron(self):
        found = self._broken(
            lambda s: s["odoo-http-1"]["environment"].update(
                ODOO_QUEUE_JOB_CHANNELS="root:2"
            )
        )
        self.assertIn("two HTTP nodes and two job nodes", found)
        found = self._broken(
            lambda s: s["odoo-http-1"]["command"].__setitem__(3, "--max-cron-threads=1")
        )
        self.assertIn("odoo-http-1: an HTTP node runs no cron", found)

    def test_job_runner_sends_jobs_to_one_node_only(self):
        found = self._broken(
            lambda s: s["odoo-jobs-1"]["environment"].update(
                ODOO_QUEUE_JOB_HOST="localhost"
            )
        )
        self.assertIn("odoo-jobs-1: the runner sends jobs to nginx:8079", found)

    def _entrypoint(self, *command, conf=None, **env):
        with tempfile.TemporaryDirectory() as tmp:
            state = pathlib.Path(tmp) / "state"
            done = subprocess.run(
                ["bash", str(ENTRYPOINT), *command],
                env={
                    "PATH": os.environ["PATH"],
                    "HOME": tmp,
                    "INTEROP_STATE_DIR": str(state),
                    "INTEROP_SUITE_ADDONS": str(ROOT / "addons"),
                    "INTEROP_ENTRYPOINT_DRY_RUN": "1",
                    "INTEROP_DB": "interop_scale",
                    **env,
                },
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            if conf is not None:
                parser = configparser.ConfigParser(interpolation=None)
                parser.read(state / "odoo.conf")
                conf.update(parser["options"])
        self.assertEqual(done.returncode, 0, done.stderr)
        return [line for line in done.stdout.splitlines() if " odoo " in f" {line}"]

    def test_attack_partner_requests_make_every_node_list_the_databases(self):
        # with a dbfilter, Odoo lists PostgreSQL's databases (a query on a
        # connection to "postgres") for every request without a session: every
        # partner request, on every node (tools/drills/README.md measures it). The
        # nodes' odoo.conf names the one database instead, and no command adds a
        # filter or another database.
        node = self.services["odoo-http-1"]
        conf = {}
        self._entrypoint(*node["command"], conf=conf, INTEROP_INSTALL="0")
        self.assertEqual(conf["db_name"], "interop_scale")
        self.assertNotIn("dbfilter", conf)
        self.assertEqual(conf["list_db"], "False")
        found = self._broken(
            lambda s: s["odoo-jobs-1"]["command"].append("--db-filter=^interop_scale$")
        )
        self.assertIn("odoo-jobs-1: --db-filter in the command", found)
        found = self._broken(
            lambda s: s["odoo-http-2"]["command"].append("--database=other")
        )
        self.assertIn("odoo-http-2: --database in the command", found)

    def test_scale_nodes_serve_without_installing(self):
        installer = self._entrypoint(*self.services["odoo-init"]["command"])
        self.assertEqual(len(installer), 1)
        self.assertIn("-d interop_scale -i interop", installer[0])
        self.assertIn("--stop-after-init", installer[0])
        node = self.services["odoo-http-1"]
        serving = self._entrypoint(*node["command"], INTEROP_INSTALL="0")
        self.assertEqual(len(serving), 1)
        self.assertNotIn("--stop-after-init", serving[0])
        self.assertIn("--max-cron-threads=0", serving[0])
        # the single-node odoo service installs, then serves, as before
        self.assertEqual(len(self._entrypoint("odoo")), 2)
