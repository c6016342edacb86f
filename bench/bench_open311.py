"""Open311 GET requests.json on a generated database: server time per request, p50/p95 in ms.

    python bench/bench_open311.py --database-url postgres://.../civicdesk_lead_1m [--runs 30] [--warmup 3]

Reuses a database already filled by `civicdesk generate_cases` (it is not created, nor dropped, nor
changed). In this process, with production settings (DEBUG off), it times whole anonymous requests
through the Django stack with `django.test.Client` — middleware, rate limit, queries, JSON — but no
network and no web server:

- one default page (the last 90 days, 50 newest), the same with `extensions=true` (notes and
  extended attributes), page 20, and `status=open`.
"""

import argparse

from benchlib import django_in_process, pg_version, report, scenario, timed_get

SCENARIOS = [
    ("default_page", "/open311/v2/requests.json"),
    ("extensions", "/open311/v2/requests.json?extensions=true"),
    ("page_20", "/open311/v2/requests.json?page=20"),
    ("status_open", "/open311/v2/requests.json?status=open"),
    ("status_closed", "/open311/v2/requests.json?status=closed"),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True, help="a database filled by generate_cases")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()
    with django_in_process(args.database_url):
        measure(args)


def measure(args):
    from django.conf import settings
    from django.test import Client

    from civicdesk.cases.models import Case

    settings.OPEN311_GET_RATE = "1000000/m"  # the benchmark is one client in a loop
    client = Client()
    results = []
    for name, url in SCENARIOS:
        timings, response = timed_get(client, url, args.runs, args.warmup)
        rows = len(response.json())
        results.append(scenario(name, url, timings, 50, rows=rows))
    database = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    report(
        "open311_requests",
        database=f"PostgreSQL {pg_version()}" if database == "postgresql" else database,
        cases=Case.objects.count(),
        runs=args.runs,
        warmup=args.warmup,
        results=results,
    )


if __name__ == "__main__":
    main()
