# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The gateway's rate limit: requests per endpoint and minute, across workers.

Pure Python, no Odoo: each worker counts in memory (:class:`RateCounter`) and adds
its count to a shared counter (the gateway's table, a callback) now and then.
"""

import math
import threading
import time

#: seconds of a rate limit window
RATE_WINDOW = 60
#: a worker adds its requests to the shared count at least this often (seconds) ...
RATE_SYNC_SECONDS = 1.0
#: ... and every 1/RATE_SYNC_FRACTION of the limit
RATE_SYNC_FRACTION = 100


def seconds_to_next_window(now):
    """Seconds from ``now`` (Unix time) to the next window, at least 1."""
    window_end = (now // RATE_WINDOW + 1) * RATE_WINDOW
    return max(1, math.ceil(window_end - now))


class RateCounter:
    """This process's rate counters: {key: [window start, requests not yet added
    to the shared count, last known shared count, monotonic time of last sync]}."""

    def __init__(self):
        self._state = {}
        self._lock = threading.Lock()

    def count(self, key, now, limit, add_usage):
        """Count a request of ``key`` at ``now`` (Unix time); return the count of
        its window across workers, as far as this worker knows it.

        ``add_usage(window, count)`` adds ``count`` requests to the shared count of
        the window and returns its total. It is called every second, every 1/100 of
        the limit, and whenever the estimate reaches the limit: a worker sees the
        others' requests within a second, a refusal is always decided on the shared
        count, and a request costs no database round trip most of the time.
        """
        window = int(now // RATE_WINDOW) * RATE_WINDOW
        with self._lock:
            state = self._state.get(key)
            if state is None or state[0] != window:
                state = self._state[key] = [window, 0, 0, -math.inf]
            state[1] += 1  # pending: counted here, not yet in the shared count
            estimate = state[2] + state[1]
            sync = (
                state[1] >= max(1, limit // RATE_SYNC_FRACTION)
                or estimate >= limit
                or time.monotonic() - state[3] >= RATE_SYNC_SECONDS
            )
            if not sync:
                return estimate
            pending, state[1] = state[1], 0
            state[3] = time.monotonic()
        total = add_usage(window, pending)
        with self._lock:
            if state[0] == window:
                state[2] = max(state[2], total)
            return total + state[1]
