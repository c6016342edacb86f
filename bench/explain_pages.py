"""PostgreSQL's own time for the queries behind the benchmarked pages: the raw figure beside each p95.

    python bench/explain_pages.py --database-url postgres://.../civicdesk_10m [--plans]

On a database filled by `civicdesk generate_cases` (not changed, but for the bench users that
bench_queue and bench_api create when missing), requests each page once through the Django stack
as bench_queue, bench_open311 and bench_api do, records its queries, then runs each SELECT again
under `EXPLAIN (ANALYZE, BUFFERS)`: execution time of every query, their sum per page and the
slowest query's plan. The difference between a page's p95 and this sum is Django, Python and
rendering.
"""

import argparse
import json
import sys

from benchlib import civicdesk, django_in_process, pg_version, report, staff_users


def pages(staff, agent, works):
    from django.test import Client

    from civicdesk.api.models import ApiToken

    def signed_in(user):
        client = Client()
        client.force_login(user)
        return client

    def bearer(user):
        token = ApiToken(user=user, name="explain_pages", scope=ApiToken.Scope.READ)
        raw = token.issue()
        token.save()
        return Client(headers={"Authorization": f"Bearer {raw}"})

    anonymous, staff_web, agent_web, agent_api = Client(), signed_in(staff), signed_in(agent), bearer(agent)
    return [
        ("queue_default", staff_web, "/staff/"),
        ("queue_status_all", staff_web, "/staff/?status=all"),
        ("queue_department_agent", agent_web, f"/staff/?department={works.code}"),
        ("search_common_word", staff_web, "/staff/?q=street"),
        ("search_common_word_agent", agent_web, "/staff/?q=street"),
        ("open311_default", anonymous, "/open311/v2/requests.json"),
        ("open311_status_open", anonymous, "/open311/v2/requests.json?status=open"),
        ("api_list_agent", agent_api, "/api/v1/cases"),
        ("api_list_filtered", agent_api, "/api/v1/cases?status=active&department=public-works"),
    ]


def explain(cursor, sql):
    cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}")
    return cursor.fetchone()[0][0]


def measure(show_plans):
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from civicdesk.cases.models import Case

    settings.API_RATE = settings.OPEN311_GET_RATE = "1000000/m"
    staff, agent, works = staff_users("bench-explain")
    results = []
    for name, client, url in pages(staff, agent, works):
        client.get(url)  # warm: sessions, caches, the plan of each statement
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"GET {url}: {response.status_code}")
        timed = []
        with connection.cursor() as cursor:
            for query in captured.captured_queries:
                if query["sql"].lstrip().upper().startswith("SELECT"):
                    plan = explain(cursor, query["sql"])
                    timed.append((plan["Execution Time"], plan, query["sql"]))
        timed.sort(key=lambda t: t[0], reverse=True)
        if show_plans:
            for ms, _plan, sql in timed[:4]:
                sys.stderr.write(f"  {ms:.1f} ms: {sql[:700]}\n")
        slowest_ms, plan, sql = timed[0]
        result = {
            "page": name,
            "url": url,
            "queries": len(captured.captured_queries),
            "sum_execution_ms": round(sum(t[0] for t in timed), 1),
            "slowest_execution_ms": round(slowest_ms, 1),
            "slowest_top_node": plan["Plan"]["Node Type"],
            "slowest_sql": sql[:300],
        }
        sys.stderr.write(f"{name}: {len(timed)} SELECTs, {result['sum_execution_ms']} ms in PostgreSQL\n")
        if show_plans:
            sys.stderr.write(json.dumps(plan["Plan"], indent=1)[:6000] + "\n")
        results.append(result)
    cases = Case.objects.count()
    report("explain_pages", database=f"PostgreSQL {pg_version()}", cases=cases, results=results)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True, help="a database filled by generate_cases")
    parser.add_argument("--plans", action="store_true", help="print the slowest query's plan of each page")
    args = parser.parse_args()
    civicdesk(args.database_url, "migrate", "api", "--noinput", "-v0", DEBUG="true")
    with django_in_process(args.database_url):
        from django.core.management import call_command

        call_command("collectstatic", "--noinput", verbosity=0)
        measure(args.plans)


if __name__ == "__main__":
    main()
