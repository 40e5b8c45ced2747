# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Writes that must outlive the transaction of the job that makes them.

When a delivery fails transiently, the job raises ``RetryableJobError`` and
queue_job rolls its transaction back before postponing it. The trace of that
attempt, the circuit breaker's count of consecutive failures and a freshly
fetched access token must survive that rollback: they are written here, in a
short transaction of their own that is committed at once, as queue_job itself
does to store a postponed job. The job's own cursor is never committed.

Such a transaction must never touch a row the job's transaction has locked or
changed (the message being delivered): it would wait for a transaction that
waits for it. It only inserts attempts and updates endpoints and credentials,
which delivery jobs never write in their own transaction.
"""

import random
import time
from contextlib import contextmanager

from psycopg2 import OperationalError

from odoo.service.model import PG_CONCURRENCY_ERRORS_TO_RETRY

#: tries of a short transaction that lost a race with a concurrent one
MAX_TRIES = 3


@contextmanager
def _own_cursor(env):
    # flush first: in tests the registry hands out a cursor on the test transaction,
    # which must see what the caller wrote
    env.flush_all()
    with env.registry.cursor() as cr:
        yield env(cr=cr)


def run_in_own_transaction(env, func):
    """Call ``func(own_env)`` in a transaction of its own, commit it, return its result.

    Concurrency failures (two jobs updating one endpoint's breaker at once) are
    retried with a fresh transaction; queries that may race are run with
    ``log_exceptions=False`` so that a lost race is not reported as an error.
    """
    for attempt in range(1, MAX_TRIES + 1):
        try:
            with _own_cursor(env) as own_env:
                result = func(own_env)
            break
        except OperationalError as error:
            if error.pgcode not in PG_CONCURRENCY_ERRORS_TO_RETRY or (
                attempt == MAX_TRIES
            ):
                raise
            time.sleep(random.uniform(0, 0.05 * attempt))
    # what was committed there is read again from the database here
    env.invalidate_all()
    return result
