"""One `sla_watch` sweep on PostgreSQL with 1M cases, 100k open with clocks: seconds per sweep.

    python bench/bench_sla_watch.py [--count 1000000] [--open 100000] [--due 100] [--database-url URL]

With `--database-url`, reuses a database already filled by `generate_cases` (`--count` is then
ignored and the cases are counted) instead of creating one; that database is not dropped.

Generates the cases (`civicdesk generate_cases`), gives `--open` active cases a clock whose next
escalation is in the future, makes `--due` of them due now, then times `sla.watch.sweep()`: an index
range scan on `next_step_at` plus the firing of each due step through `actions.escalate`. Also times
a sweep with nothing due (the cost every idle `sla_watch` pass pays).
"""

import argparse
import contextlib
import os
import sys
import time

from benchlib import ROOT, civicdesk, database, env, pg_version, report

CLOCKS_SQL = """
INSERT INTO sla_caseclock (case_id, policy_id, started_at, resolution_due_at, at_risk_at, paused,
                           next_step_id, next_step_at)
SELECT id, %(policy)s, created_at, now() + interval '3 days', now() + interval '1 day', interval '0',
       %(step)s, now() + (random() * interval '30 days') + interval '1 hour'
FROM cases_case WHERE status IN ('new', 'open', 'in_progress', 'reopened') ORDER BY id LIMIT %(open)s
"""


def prepare(args):
    from django.db import connection

    from civicdesk.sla.models import BusinessCalendar, EscalationStep, SLAPolicy

    calendar = BusinessCalendar.objects.create(name="bench 24/7", always_open=True)
    policy = SLAPolicy.objects.create(name="bench", calendar=calendar, resolution_hours=72)
    step = EscalationStep.objects.create(
        policy=policy, trigger="breach", add_tag="late", notify_supervisor=False
    )
    with connection.cursor() as cursor:
        cursor.execute(CLOCKS_SQL, {"policy": policy.pk, "step": step.pk, "open": args.open})
        clocks = cursor.rowcount
        cursor.execute(
            "UPDATE sla_caseclock SET next_step_at = now() - interval '1 minute' WHERE id IN "
            "(SELECT id FROM sla_caseclock ORDER BY id LIMIT %s)",
            [args.due],
        )
        cursor.execute("ANALYZE sla_caseclock")
    return clocks


def timed_sweep():
    from civicdesk.sla.watch import sweep

    started = time.perf_counter()
    fired = sweep()
    return fired, time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=100)
    parser.add_argument("--database-url", help="reuse this generated database (not dropped)")
    args = parser.parse_args()
    reuse = args.database_url
    with contextlib.nullcontext(reuse) if reuse else database("postgresql") as url:
        if not reuse:
            civicdesk(url, "generate_cases", "--count", str(args.count), "--seed", "3", DEBUG="true")
        os.environ.update(env(url))
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        if reuse:
            from civicdesk.cases.models import Case

            args.count = Case.objects.count()
        clocks = prepare(args)
        fired, busy = timed_sweep()
        idle = min(timed_sweep()[1] for _ in range(5))
    report(
        "sla_watch_sweep",
        database=f"PostgreSQL {pg_version()}",
        cases=args.count,
        open_clocks=clocks,
        due=args.due,
        fired=fired,
        sweep_with_due_s=round(busy, 3),
        idle_sweep_ms=round(idle * 1000, 2),
        target_s=2,
    )


if __name__ == "__main__":
    main()
