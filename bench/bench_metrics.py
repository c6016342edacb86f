"""The database part of a `/metrics` scrape on PostgreSQL: ms per scrape (median, p95, max).

    python bench/bench_metrics.py [--count 1000000] [--open 100000] [--scrapes 20] [--database-url URL]

On `--count` generated cases (or a database already filled by `generate_cases`, `--database-url`,
not dropped), gives `--open` active cases an SLA clock (a tenth overdue, a tenth at risk, a few
steps due) and queues 1,000 outbox messages, then times `monitoring.DatabaseCollector().collect()`:
the outbox, task queue and SLA queries one scrape runs, whatever process answers it.
"""

import argparse
import time

from benchlib import civicdesk, database, django_in_process, pg_version, pick, report

CLOCKS_SQL = """
INSERT INTO sla_caseclock (case_id, policy_id, started_at, resolution_due_at, at_risk_at, paused,
                           next_step_id, next_step_at)
SELECT id, %(policy)s, created_at,
       now() + (CASE WHEN mod(n, 10) = 0 THEN interval '-1 day' ELSE interval '2 days' END),
       now() + (CASE WHEN mod(n, 10) IN (0, 1) THEN interval '-1 hour' ELSE interval '1 day' END),
       interval '0', %(step)s,
       now() + (CASE WHEN mod(n, 1000) = 0 THEN interval '-1 minute' ELSE interval '5 days' END)
FROM (SELECT id, created_at, row_number() OVER (ORDER BY id) AS n FROM cases_case
      WHERE status IN ('new', 'open', 'in_progress', 'reopened')
        AND NOT EXISTS (SELECT 1 FROM sla_caseclock c WHERE c.case_id = cases_case.id)
      ORDER BY id LIMIT %(open)s) AS open_cases
"""


def prepare(args):
    from django.db import connection

    from civicdesk.notify.models import OutboxMessage
    from civicdesk.sla.models import BusinessCalendar, EscalationStep, SLAPolicy

    calendar = BusinessCalendar.objects.create(name="bench metrics 24/7", always_open=True)
    policy = SLAPolicy.objects.create(name="bench metrics", calendar=calendar, resolution_hours=72)
    step = EscalationStep.objects.create(
        policy=policy, trigger="breach", add_tag="late", notify_supervisor=False
    )
    with connection.cursor() as cursor:
        cursor.execute(CLOCKS_SQL, {"policy": policy.pk, "step": step.pk, "open": args.open})
        clocks = cursor.rowcount
        cursor.execute("ANALYZE sla_caseclock")
    OutboxMessage.objects.bulk_create(
        OutboxMessage(channel=("email", "webhook")[n % 2], kind="bench", recipient="x", body="")
        for n in range(1000)
    )
    return clocks


def scrape_ms():
    from civicdesk.monitoring import DatabaseCollector

    started = time.perf_counter()
    families = list(DatabaseCollector().collect())
    return (time.perf_counter() - started) * 1000, families


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--scrapes", type=int, default=20)
    parser.add_argument("--database-url", help="reuse this generated database (not dropped)")
    args = parser.parse_args()
    if args.database_url:
        run(args)
    else:
        with database("postgresql") as url:
            civicdesk(url, "generate_cases", "--count", str(args.count), "--seed", "1", DEBUG="true")
            civicdesk(url, "dbshell", "--", "-c", "VACUUM ANALYZE")
            args.database_url = url
            run(args)


def run(args):
    with django_in_process(args.database_url):
        from civicdesk.cases.models import Case

        cases = Case.objects.count()
        clocks = prepare(args)
        scrape_ms()  # warm-up
        timings = sorted(scrape_ms()[0] for _ in range(args.scrapes))
        _ms, families = scrape_ms()
    figures = {f.name: [(s.labels, s.value) for s in f.samples] for f in families}
    report(
        "metrics_scrape_database",
        database=f"PostgreSQL {pg_version()}",
        cases=cases,
        clocks_added=clocks,
        scrapes=args.scrapes,
        p50_ms=pick(timings, 0.5),
        p95_ms=pick(timings, 0.95),
        max_ms=round(timings[-1], 1),
        sla=figures.get("civicdesk_sla_open_cases"),
        steps_due=figures.get("civicdesk_sla_steps_due"),
    )


if __name__ == "__main__":
    main()
