"""Policy kept in each process's memory, rebuilt when it changes anywhere.

Policy (services, routing rules, calendars, service levels, areas, webhook subscriptions) is read on
every submission and changes a few times a day. A `PolicyCache` keeps what `load()` built from it
with the `stamp()` it was built at: a value that moves whenever the policy changes (a version row
bumped in the change's transaction, or row counts and the latest `updated_at`). The stamp is asked
of the database at most every POLICY_REFRESH_SECONDS, so:
- in between, a read costs no statement at all;
- another process's change is seen within POLICY_REFRESH_SECONDS, whatever the cache backend
  (nothing depends on a shared cache being configured);
- this process's own changes call `clear()` (at once and again on commit) and are seen at once.

`hits` and `misses` count reads served from memory and rebuilds, reported as metrics.
"""

import threading
import time

from django.conf import settings

from . import metrics

DEFAULT_REFRESH_SECONDS = 2.0


def refresh_seconds():
    return float(getattr(settings, "POLICY_REFRESH_SECONDS", DEFAULT_REFRESH_SECONDS))


class PolicyCache:
    """One value built from the database, shared by the threads of a process."""

    def __init__(self, name, load, stamp, clock=time.monotonic):
        self.name = name
        self.load, self.read_stamp, self.clock = load, stamp, clock
        self.lock = threading.Lock()
        # (value, stamp, checked_at), replaced whole, never changed in place: a thread reading it
        # without the lock sees one consistent snapshot, or None.
        self.current = None
        self.hits = self.misses = 0
        metrics.register_cache(name, self)

    def get(self):
        """The value, rebuilt first if its stamp moved since it was last checked."""
        current = self.current
        if current is not None and self.clock() - current[2] < refresh_seconds():
            self.hits += 1
            return current[0]
        with self.lock:
            current = self.current
            # The value is known current as of the stamp's read: that is when the interval starts.
            asked_at, stamp = self.clock(), self.read_stamp()
            if current is None or stamp != current[1]:
                # Stamp first, then rows: a change in between only costs one more rebuild later.
                value = self.load()
                self.misses += 1
            else:
                value = current[0]
                self.hits += 1
            self.current = (value, stamp, asked_at)
            return value

    def clear(self):
        """Forget the value: the next read rebuilds it."""
        with self.lock:
            self.current = None

    def __repr__(self):
        return f"<PolicyCache {self.name}: {self.hits} hits, {self.misses} misses>"
