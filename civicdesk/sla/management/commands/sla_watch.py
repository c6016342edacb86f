import time

from django.core.management.base import BaseCommand

from civicdesk.cases import numbers
from civicdesk.sla.watch import sweep


class Command(BaseCommand):
    help = "Fire due SLA escalation steps, forever (or once with --once). Run as many copies as you like."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="One sweep, then exit.")
        parser.add_argument("--interval", type=float, default=30, help="Seconds between sweeps.")

    def handle(self, *args, once=False, interval=30, **options):
        while True:
            # Periodic upkeep that must not wait for a submission: next year's case-number sequence.
            numbers.prepare_next_year()
            fired = sweep()
            if fired or once:
                self.stdout.write(f"fired {fired} escalation steps")
            if once:
                return
            time.sleep(interval)
