"""How fast cases stream out as CSV / GeoJSON (target: >= 50,000 rows/s): open data and staff exports.

    python bench/bench_export.py --database-url postgres://.../civicdesk_lead_1m [--runs 3]
    python bench/bench_export.py --count 100000 [--runs 3]     # generates a fresh PostgreSQL database

With `--database-url` the database is reused as it is (not created, nor dropped). In this process,
with production settings (DEBUG off), whole requests go through the Django stack with
`django.test.Client` (no network, no web server): `/open-data/cases.csv` and `.geojson` anonymously
(the rate limit raised for the run), and the staff queue's `export.csv` / `export.geojson` of every
case (`?status=`) for a 311 agent, who sees all departments. The streamed body is read to the end.
"""

import argparse
import os
import sys
import time

from benchlib import civicdesk, database, env, median, pg_version, report

AGENT_EMAIL = "bench-export-agent@civicdesk.invalid"


def measure(database_url, runs):
    os.environ.update(env(database_url))
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client

    from civicdesk.accounts.models import Role, User
    from civicdesk.cases.models import Case

    settings.OPEN_DATA_RATE = "1000000/h"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    agent, _created = User.objects.get_or_create(
        email=AGENT_EMAIL, defaults={"role": Role.AGENT, "full_name": "Bench Agent"}
    )
    count = Case.objects.count()
    anonymous, staff = Client(), Client()
    staff.force_login(agent)
    targets = {
        "open_data_csv": (anonymous, "/open-data/cases.csv", {}),
        "open_data_geojson": (anonymous, "/open-data/cases.geojson", {}),
        "staff_csv": (staff, "/staff/export.csv", {"status": ""}),
        "staff_geojson": (staff, "/staff/export.geojson", {"status": ""}),
    }
    results = {}
    for name, (client, url, params) in targets.items():
        seconds, size = [], 0
        for _run in range(runs):
            started = time.perf_counter()
            reply = client.get(url, params)
            if reply.status_code != 200:
                raise SystemExit(f"{url}: HTTP {reply.status_code}")
            size = sum(len(chunk) for chunk in reply.streaming_content)
            seconds.append(time.perf_counter() - started)
        results[name] = {
            "seconds": median(seconds),
            "rows_per_s": round(count / min(seconds)) if min(seconds) else None,
            "median_rows_per_s": round(count / median(seconds)) if median(seconds) else None,
            "megabytes": round(size / 1e6, 1),
        }
        sys.stderr.write(f"{name}: {results[name]}\n")
    return count, results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="a generated database to reuse (not dropped)")
    parser.add_argument("--count", type=int, default=100_000, help="cases to generate without --database-url")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if args.database_url:
        count, results = measure(args.database_url, args.runs)
    else:
        with database("postgresql") as url:
            civicdesk(
                url, "generate_cases", "--count", str(args.count), "--until", "2026-01-31", DEBUG="true"
            )
            count, results = measure(url, args.runs)
            from django.db import connections

            connections.close_all()  # so the database can be dropped
    report("export", db="postgresql", version=pg_version(), count=count, runs=args.runs, **results)


if __name__ == "__main__":
    main()
