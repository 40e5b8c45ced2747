# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The deployments' secrets: the Odoo configuration files the suite's scripts write
hold the encryption key and the master password. No Docker engine runs where the
suite is built: the compose file is checked statically and its entrypoint run with
its commands printed instead of run."""

import configparser
import importlib.util
import os
import pathlib
import stat
import subprocess
import tempfile

import yaml
from cryptography.fernet import Fernet

from odoo.tests import BaseCase, tagged
from odoo.tools import config

ROOT = pathlib.Path(__file__).resolve().parents[1]
ENTRYPOINT = ROOT / "docker" / "interop-entrypoint"
SUITE = ",".join(
    ["interop"]
    + sorted(p.parent.name for p in (ROOT / "addons").glob("interop_*/__manifest__.py"))
)


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def _read_conf(path):
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(path)
    return parser["options"]


def _check_compose():
    spec = importlib.util.spec_from_file_location(
        "interop_check_compose", ROOT / "tools" / "check_compose.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@tagged("post_install", "-at_install")
class TestDockerDeployment(BaseCase):
    """docker compose up: a key and a master password of its own, a private
    configuration, the whole suite with demo data."""

    def setUp(self):
        super().setUp()
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.state = pathlib.Path(tmp.name) / "state"
        self.conf = self.state / "odoo.conf"
        self.compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
        self.service = self.compose["services"]["odoo"]

    def _start(self, **env):
        """The odoo service starting, as compose starts it; returns its commands."""
        environment = {
            "PATH": os.environ["PATH"],
            "HOME": os.environ.get("HOME", "/tmp"),
            **{k: str(v) for k, v in self.service["environment"].items()},
            # compose's interpolation of ${INTEROP_ADMIN_PASSWD:-} when unset
            "INTEROP_ADMIN_PASSWD": "",
            "INTEROP_STATE_DIR": str(self.state),
            "INTEROP_SUITE_ADDONS": str(ROOT / "addons"),
            "INTEROP_ENTRYPOINT_DRY_RUN": "1",
            **env,
        }
        done = subprocess.run(
            ["bash", str(ENTRYPOINT), *self.service["command"]],
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        self.assertEqual(done.returncode, 0, done.stderr)
        # the odoo commands (in the image, wait-for-psql.py runs before them)
        return [
            line[4:] for line in done.stdout.splitlines() if line[:9] == "RUN odoo "
        ]

    def test_attack_compose_serves_the_image_default_master_password(self):
        self._start()
        password = _read_conf(self.conf)["admin_passwd"]
        self.assertNotIn(password, ("admin", "", "False"))
        self.assertGreaterEqual(len(password), 24)
        self.assertEqual(_mode(self.state / "admin_passwd"), 0o600)
        self._start()
        self.assertEqual(_read_conf(self.conf)["admin_passwd"], password)  # kept
        self._start(INTEROP_ADMIN_PASSWD="chosen-by-the-operator-2026")
        self.assertEqual(
            _read_conf(self.conf)["admin_passwd"], "chosen-by-the-operator-2026"
        )

    def test_attack_compose_starts_without_an_encryption_key(self):
        self._start()
        keys = _read_conf(self.conf)["interop_encryption_keys"]
        key_id, key = keys.split(":", 1)
        self.assertEqual(key_id, "docker")
        fernet = Fernet(key.encode())  # a valid Fernet key
        self.assertEqual(fernet.decrypt(fernet.encrypt(b"x")), b"x")
        self.assertEqual(_mode(self.state / "encryption.key"), 0o600)
        # kept in the volume: a restart must still decrypt what was stored
        self._start()
        self.assertEqual(_read_conf(self.conf)["interop_encryption_keys"], keys)

    def test_attack_local_user_reads_the_docker_conf(self):
        self._start()
        self.assertEqual(_mode(self.conf), 0o600)
        self.assertEqual(_mode(self.state), 0o700)
        # an older, readable configuration is replaced by a private one
        self.conf.chmod(0o644)
        self._start()
        self.assertEqual(_mode(self.conf), 0o600)

    def test_compose_installs_the_whole_suite_with_demo_data(self):
        conf = str(self.conf)
        install = f"-d interop_demo -i {SUITE} --stop-after-init --no-http"
        commands = self._start()
        self.assertEqual(
            commands,
            [
                f"odoo -c {conf} {install}",
                f"odoo -c {conf} " + " ".join(self.service["command"][1:]),
            ],
        )
        self.assertIn("interop_revenue", SUITE)
        options = _read_conf(self.conf)
        self.assertEqual(options["db_name"], "interop_demo")
        # one database, no listing of PostgreSQL's per request (no dbfilter)
        self.assertNotIn("dbfilter", options)
        self.assertEqual(options["list_db"], "False")
        self.assertEqual(
            options["server_wide_modules"], "base,web,queue_job,interop_gateway"
        )

    def test_compose_file_passes_the_static_check(self):
        check = _check_compose()
        self.assertEqual(list(check.problems(self.compose)), [])
        # the shape it had: part of the suite installed by the command, no secret
        old = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
        old["services"]["odoo"]["command"].append("--init=interop")
        old["services"]["odoo"]["environment"]["INTEROP_ADMIN_PASSWD"] = "admin"
        found = " ".join(check.problems(old))
        self.assertIn("--init", found)
        self.assertIn("INTEROP_ADMIN_PASSWD", found)

    def test_compose_runs_the_postgresql_the_suite_is_tested_on(self):
        """Both stacks run PostgreSQL 15, as make run and make test do."""
        check = _check_compose()
        for service in ("db", "db-scale"):
            other = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
            self.assertEqual(other["services"][service]["image"], "postgres:15")
            other["services"][service]["image"] = "postgres:16"
            found = " ".join(check.problems(other))
            self.assertIn("postgres:15", found, service)


@tagged("post_install", "-at_install")
class TestDevelopmentConfiguration(BaseCase):
    """make run / make test: the generated odoo.conf is the owner's alone."""

    def test_attack_local_user_reads_the_generated_conf(self):
        with tempfile.TemporaryDirectory() as tmp:
            conf = pathlib.Path(tmp) / "odoo.conf"
            conf.write_text("; an older one\n")
            conf.chmod(0o644)
            script = (
                f'source "{ROOT}/tools/interop-env.sh"\n'
                f'INTEROP_BUILD="{tmp}"; ODOO_CONF="{conf}"\n'
                "DB_HOST=127.0.0.1 DB_PORT=5432 DB_USER=interop DB_PASSWORD=False\n"
                "INTEROP_KEY=dev-key-under-test\n"
                "ensure_admin_password\n"
                "write_odoo_conf 8069\n"
                f'write_private_conf_copy "{tmp}/odoo-test.conf" s/8069/8070/\n'
            )
            done = subprocess.run(
                ["bash", "-c", script],
                env={**os.environ, "INTEROP_CACHE": tmp},
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertIn("dev:dev-key-under-test", conf.read_text())
            self.assertEqual(_mode(pathlib.Path(tmp) / "admin_passwd"), 0o600)
            self.assertEqual(_mode(conf), 0o600)
            self.assertEqual(_mode(pathlib.Path(tmp) / "odoo-test.conf"), 0o600)

    def test_attack_network_user_opens_the_database_manager_with_a_known_password(
        self,
    ):
        with tempfile.TemporaryDirectory() as tmp:
            conf = pathlib.Path(tmp) / "odoo.conf"
            script = (
                f'source "{ROOT}/tools/interop-env.sh"\n'
                f'INTEROP_BUILD="{tmp}"; ODOO_CONF="{conf}"\n'
                "DB_HOST=127.0.0.1 DB_PORT=5432 DB_USER=interop DB_PASSWORD=False\n"
                "INTEROP_KEY=k; ensure_admin_password; write_odoo_conf 8069\n"
            )
            passwords = []
            for chosen in ("", "", "chosen-by-the-developer"):
                done = subprocess.run(
                    ["bash", "-c", script],
                    env={
                        **os.environ,
                        "INTEROP_CACHE": tmp,
                        "INTEROP_ADMIN_PASSWD": chosen,
                    },
                    capture_output=True,
                    text=True,
                    timeout=60,
                    check=False,
                )
                self.assertEqual(done.returncode, 0, done.stderr)
                passwords.append(_read_conf(conf)["admin_passwd"])
            generated = (pathlib.Path(tmp) / "admin_passwd").read_text().strip()
            self.assertGreaterEqual(len(generated), 24)
            self.assertNotIn(generated, ("admin", "interop-dev-only"))
            self.assertEqual(
                passwords, [generated, generated, "chosen-by-the-developer"]
            )

    def test_attack_local_user_reads_the_running_conf(self):
        rcfile = config.rcfile
        self.assertTrue(rcfile and os.path.isfile(rcfile), rcfile)
        self.assertEqual(
            _mode(rcfile) & 0o077,
            0,
            f"{rcfile} (the encryption key, the master password) is readable by "
            "other users of this machine",
        )
