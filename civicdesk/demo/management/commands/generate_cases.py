"""`civicdesk generate_cases --count N --seed S`: realistic synthetic cases for benchmarks."""

import random
import time
from datetime import date, datetime, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from civicdesk.demo import require_debug


class Command(BaseCommand):
    help = (
        "Add N synthetic cases spread over the last two years (service mix, neighbourhood clusters, "
        "weekly and seasonal rhythm, status mix, event histories), written in bulk. The same seed "
        "gives the same cases. Uses the database's services, or creates Riverton's catalogue when "
        "there are none. Development only: refuses unless DEBUG is on."
    )

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, required=True, help="How many cases to add.")
        parser.add_argument("--seed", type=int, default=1, help="Same seed, same cases.")
        parser.add_argument("--batch", type=int, default=5000, help="Cases per transaction.")
        parser.add_argument("--years", type=int, default=2, help="Spread the cases over this many years.")
        parser.add_argument(
            "--until",
            type=date.fromisoformat,
            help="Last day of the period (YYYY-MM-DD; default today): fixes the dates, so a seed "
            "gives exactly the same cases whenever it runs.",
        )
        parser.add_argument(
            "--writers",
            type=int,
            default=2,
            help="PostgreSQL: processes building and storing batches in parallel (one per core).",
        )
        parser.add_argument(
            "--defer-indexes",
            choices=["auto", "yes", "no"],
            default="auto",
            help="PostgreSQL: drop the case and event tables' secondary indexes and foreign keys during "
            "the load and rebuild them after it (auto: when adding more cases than the table holds).",
        )

    def handle(self, *args, count, seed, batch, years, writers, until, defer_indexes, **options):
        require_debug("generate_cases")
        if min(count, batch, years, writers) < 1:
            raise CommandError("--count, --batch, --years and --writers must be positive.")
        from civicdesk.demo.synthetic import Generator

        now = None
        if until is not None:
            now = timezone.make_aware(datetime.combine(until + timedelta(days=1), datetime.min.time()))
        generator = Generator(random.Random(seed), count, now=now, years=years)
        started = last_report = time.monotonic()
        done = 0
        defer = {"auto": None, "yes": True, "no": False}[defer_indexes]
        for done in generator.run(batch, writers, defer):
            now = time.monotonic()
            if now - last_report >= 5 or done == count:
                last_report = now
                self.stderr.write(f"{done:>10,} / {count:,} cases  {done / (now - started):,.0f} cases/s")
        seconds = time.monotonic() - started
        rows = done + generator.event_count
        self.stdout.write(
            f"generated {done} cases and {generator.event_count} events in {seconds:.1f} s: "
            f"{done / seconds:.0f} cases/s, {rows / seconds:.0f} rows/s "
            f"(indexes and statistics: {generator.index_seconds:.1f} s)"
        )
