"""Deliver due outbox messages: the safety net for messages whose task or worker died, and for
the other apps' work that needs one (notify.delivery.register_sweep: inbound messages).

Safe to run in several copies: each message is claimed with one conditional UPDATE.
"""

import logging
import time

from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections, connection

from civicdesk.notify.delivery import SWEEPS, deliver_due

BATCH = 100

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Send outbox messages that are due, every --interval seconds (or once with --once)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run one sweep and exit.")
        parser.add_argument(
            "--interval", type=float, default=15.0, help="Seconds to sleep between sweeps (default 15)."
        )

    def handle(self, *args, once=False, interval=15.0, **options):
        while True:
            try:
                self.sweep()
            except DatabaseError:
                if once:  # a one-off run says it failed, to whoever ran it
                    raise
                # The safety net must outlive a database restart or a failover: log it, drop the
                # broken connection, and try again after the pause.
                log.exception("deliver_outbox: sweep failed; trying again in %s s", interval)
                if not connection.in_atomic_block:
                    close_old_connections()
            if once:
                return
            time.sleep(interval)

    def sweep(self):
        # A long-running process must not keep a connection the database has dropped (never
        # mid-transaction, as when a test or a caller wraps the command in one).
        if not connection.in_atomic_block:
            close_old_connections()
        counts = {}
        while True:
            statuses = deliver_due(limit=BATCH)
            for status in statuses:
                counts[status] = counts.get(status, 0) + 1
            if len(statuses) < BATCH:
                break
        for other in SWEEPS:
            for status in other(limit=BATCH):
                counts[status] = counts.get(status, 0) + 1
        if counts:
            summary = ", ".join(
                f"{count} {status or 'taken by another worker'}" for status, count in counts.items()
            )
            self.stdout.write(f"deliver_outbox: {summary}")
