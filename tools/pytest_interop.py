"""pytest plugin of the Interop suite: nothing may pass quietly.

- a test that is skipped is reported as failed (a skipped suite is not a passing suite);
- a WARNING, ERROR or CRITICAL logged while a test runs fails that test;
- one logged outside any test (registry loading, teardown) fails the session.
Expected log lines belong inside ``mute_logger`` or ``assertLogs``, as with Odoo's
own runner.
"""

import logging
import sys

import pytest


class _Collector(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.records = []

    def emit(self, record):
        self.records.append(record)

    def take(self):
        records, self.records = self.records, []
        return records


_collector = _Collector()
_outside_tests = []


def _describe(records):
    return "\n".join(
        f"{r.levelname} {r.name}: {r.getMessage()}".splitlines()[0] for r in records
    )


def _not_test_mode_alarm(record):
    # pytest-odoo imports odoo.tests before it turns test mode on (the mode stays off
    # while the registry loads, so that Odoo does not run the modules' tests itself):
    # this one message is the expected consequence, not a fault of the suite.
    return not record.getMessage().startswith("Importing test framework")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_cmdline_main(config):
    # a wrapper, and the first: pytest-odoo's own wrapper imports odoo.tests
    logging.getLogger("odoo.tests.common").addFilter(_not_test_mode_alarm)
    return (yield)


def pytest_configure(config):
    logging.getLogger().addHandler(_collector)


def pytest_collection_finish(session):
    # pytest imports the suite's modules to collect their tests, before Odoo loads
    # them into a registry: Odoo then finds them imported and does not call their
    # manifest's post_load hook (odoo.modules.module.load_openerp_module). Call it
    # as Odoo would have, once.
    from odoo.modules.module import get_manifest

    for qualname, package in list(sys.modules.items()):
        prefix, _dot, name = qualname.rpartition(".")
        if prefix != "odoo.addons" or not name.startswith("interop"):
            continue
        hook = (get_manifest(name) or {}).get("post_load")
        if hook:
            getattr(package, hook)()


def pytest_runtest_logstart(nodeid, location):
    _outside_tests.extend(_collector.take())


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    records = _collector.take()
    if report.skipped:
        reason = (
            report.longrepr[2]
            if isinstance(report.longrepr, tuple)
            else report.longrepr
        )
        report.outcome = "failed"
        report.longrepr = f"skipped, and a skipped test counts as a failure: {reason}"
    elif records:
        report.outcome = "failed"
        report.longrepr = (
            f"{len(records)} line(s) logged at WARNING or above during {report.when}:\n"
            + _describe(records)
        )


def pytest_sessionfinish(session, exitstatus):
    _outside_tests.extend(_collector.take())
    if _outside_tests and session.exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter):
    if _outside_tests:
        terminalreporter.section("logged outside tests (counts as a failure)", red=True)
        terminalreporter.line(_describe(_outside_tests))
