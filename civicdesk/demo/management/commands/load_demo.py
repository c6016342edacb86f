"""`civicdesk load_demo`: build Riverton, the demo city, in an empty development database."""

import time

from django.core.management.base import BaseCommand, CommandError

from civicdesk.cases.models import Department
from civicdesk.demo import DEMO_SEED, require_debug
from civicdesk.demo.histories import CASE_COUNT
from civicdesk.demo.people import CAST, PASSWORD


class Command(BaseCommand):
    help = (
        "Create Riverton, a fictional demo city: departments, services, staff logins (password 'demo'), "
        "a few hundred cases with their histories, and its address points. Development only: refuses "
        "unless DEBUG is on."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when the database already has departments."
        )
        parser.add_argument("--seed", type=int, default=DEMO_SEED, help="Same seed, same city.")
        parser.add_argument("--cases", type=int, default=CASE_COUNT, help="How many cases to create.")

    def handle(self, *args, if_empty, seed, cases, **options):
        require_debug("load_demo")
        from civicdesk.demo.load import load

        if Department.objects.exists():
            if if_empty:
                self.stdout.write("The database already has data: demo not loaded.")
                return
            raise CommandError(
                "The database already has departments. load_demo fills an empty database only: "
                "use a new database (or `civicdesk flush`), or pass --if-empty to skip quietly."
            )
        started = time.monotonic()
        summary = load(seed=seed, count=cases)
        statuses = ", ".join(f"{status} {n}" for status, n in sorted(summary["statuses"].items()))
        seconds = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Riverton is ready in {seconds:.1f} s: {summary['departments']} departments, "
                f"{summary['services']} services, {summary['accounts']} accounts, {summary['cases']} cases "
                f"({statuses}), {summary['addresses']} address points."
            )
        )
        logins = ", ".join(f"{name}@demo.test" for name in CAST)
        self.stdout.write(f"Log in as {logins} with the password “{PASSWORD}”.")
