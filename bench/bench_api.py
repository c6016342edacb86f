"""The REST API's case list and case read on a generated database: server time per request, p50/p95 ms.

    python bench/bench_api.py --database-url postgres://.../civicdesk_lead_1m [--runs 30] [--warmup 3]

Reuses a database already filled by `civicdesk generate_cases` (not created, not dropped; the script
only adds two staff accounts and their API tokens if missing, and migrates the api app's tables).
In this process, with production settings (DEBUG off), it times whole requests through the Django
stack with a real Bearer token (hash look-up, rate-limit counter, JSON rendering) but no network:

- `GET /api/v1/cases`: one page (50) for a 311 agent (every department) and for Public Works staff;
- the same with a filter (`status=active&department=public-works`), and the next page by cursor;
- `GET /api/v1/cases/{number}`: a single case read with its ETag.
"""

import argparse

from benchlib import (
    civicdesk,
    django_in_process,
    on_generated_database,
    pg_version,
    report,
    scenario,
    staff_users,
    timed_get,
)


def client_for(user):
    """A test client sending a fresh read token of `user` (the plain token exists only here)."""
    from django.test import Client

    from civicdesk.api.models import ApiToken

    token = ApiToken(user=user, name="bench_api", scope=ApiToken.Scope.READ)
    raw = token.issue()
    token.save()
    return Client(headers={"Authorization": f"Bearer {raw}"})


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="a database filled by generate_cases (default: make one)")
    parser.add_argument("--count", type=int, default=100_000, help="cases to generate without --database-url")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    return on_generated_database(parser.parse_args(), run)


def run(args):
    civicdesk(args.database_url, "migrate", "api", "--noinput", "-v0", DEBUG="true")
    with django_in_process(args.database_url):
        from django.conf import settings

        settings.API_RATE = "1000000/m"  # the bench must time the API, not its rate limit
        measure(args)


def measure(args):
    from civicdesk.cases.models import Case
    from civicdesk.cases.workflow import ACTIVE

    staff, agent, works = staff_users("bench-api")
    cases = Case.objects.count()
    number = (
        Case.objects.filter(department=works, status__in=ACTIVE)
        .order_by("-id")
        .values_list("number", flat=True)[500]
    )
    staff_client, agent_client = client_for(staff), client_for(agent)
    first = agent_client.get("/api/v1/cases").json()
    filtered = "status=active&department=public-works"
    first_filtered = agent_client.get(f"/api/v1/cases?{filtered}").json()
    scenarios = [
        ("list_default_agent", agent_client, "/api/v1/cases"),
        ("list_default_staff", staff_client, "/api/v1/cases"),
        ("list_filtered_agent", agent_client, f"/api/v1/cases?{filtered}"),
        ("list_page_2_agent", agent_client, f"/api/v1/cases?after={first['next']}"),
        ("list_filtered_page_2", agent_client, f"/api/v1/cases?{filtered}&after={first_filtered['next']}"),
        ("list_priority_sort_staff", staff_client, "/api/v1/cases?status=active&sort=priority"),
        ("read_case_staff", staff_client, f"/api/v1/cases/{number}"),
    ]
    results = []
    for name, client, url in scenarios:
        timings, response = timed_get(client, url, args.runs, args.warmup)
        body = response.json()
        rows = len(body["items"]) if "items" in body else 1
        results.append(scenario(name, url, timings, 50, rows=rows))
    report(
        "api",
        database=f"PostgreSQL {pg_version()}",
        cases=cases,
        case_number=number,
        runs=args.runs,
        warmup=args.warmup,
        results=results,
    )


if __name__ == "__main__":
    main()
