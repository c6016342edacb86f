"""The staff queue and its search on a generated database: server time per request, p50/p95 in ms.

    python bench/bench_queue.py --database-url postgres://.../civicdesk_lead_1m [--runs 30] [--warmup 3]

Reuses a database already filled by `civicdesk generate_cases` (it is not created, nor dropped;
the script only adds two staff accounts if they are missing). In this process, with production
settings (DEBUG off), it signs in a Public Works staff member and a 311 agent (who sees every
department) with `django.test.Client.force_login` and times whole requests through the Django
stack — middleware, session, queries, template — but no network and no web server:

- the default queue (`/staff/`: open cases, priority then due time), `?status=all`, a department
  filter, and page 2 through the "next" cursor link of page 1;
- full-text search `?q=` for a rare word, a common word ("street") and a case number.
"""

import argparse
import html
import re

from benchlib import (
    django_in_process,
    on_generated_database,
    pg_version,
    report,
    scenario,
    staff_users,
    timed_get,
)

NEXT_LINK = re.compile(r'<a href="([^"]*)"[^>]*rel="next"')


def rare_word(works):
    """A rare word: among the rarest description words of a 2% sample of all cases, the one with the
    fewest matches in the whole table (counted through the search index, up to 2,001). The
    synthetic descriptions reuse a small vocabulary, so a word of an open Public Works case is
    never rare; this one may match no case that the staff member's default queue shows."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT word FROM ts_stat($$SELECT to_tsvector('simple', description) FROM cases_case "
            "TABLESAMPLE SYSTEM (2) REPEATABLE (1)$$) WHERE length(word) >= 5 AND word ~ '^[a-z]+$' "
            "ORDER BY ndoc, word LIMIT 20"
        )
        counts = []
        for (word,) in cursor.fetchall():
            cursor.execute(
                "SELECT count(*) FROM (SELECT 1 FROM cases_case WHERE to_tsvector('simple'::regconfig, "
                "regexp_replace(number || ' ' || description || ' ' || address, '[^[:alnum:]]+', ' ', 'g')) "
                "@@ to_tsquery('simple'::regconfig, %s) LIMIT 2001) found",
                [f"'{word}':*"],
            )
            counts.append((cursor.fetchone()[0], word))
    return min(counts)[::-1]


def client_for(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def next_link(response):
    match = NEXT_LINK.search(response.content.decode())
    if match is None:
        raise SystemExit("no next-page link on page 1")
    return "/staff/" + html.unescape(match.group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="a database filled by generate_cases (default: make one)")
    parser.add_argument(
        "--count", type=int, default=1_000_000, help="cases to generate without --database-url"
    )
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    return on_generated_database(parser.parse_args(), run)


def run(args):
    with django_in_process(args.database_url):
        from django.core.management import call_command

        # DEBUG off serves static files from a manifest: collect them into the throwaway directory.
        call_command("collectstatic", "--noinput", verbosity=0)
        measure(args)


def measure(args):
    from civicdesk.cases.models import Case

    staff, agent, works = staff_users("bench-queue")
    cases = Case.objects.count()
    from civicdesk.cases.workflow import ACTIVE

    open_works = Case.objects.filter(department=works, status__in=ACTIVE).order_by("-id")
    number = open_works.values_list("number", flat=True)[500]  # an open case this staff member sees
    rare, rare_matches = rare_word(works)
    staff_client, agent_client = client_for(staff), client_for(agent)
    _timings, first_page = timed_get(staff_client, "/staff/", 0, 1)
    page_two = next_link(first_page)
    scenarios = [
        ("queue_default", "staff", "/staff/"),
        ("queue_status_all", "staff", "/staff/?status=all"),
        ("queue_page_2", "staff", page_two),
        ("queue_department_agent", "agent", f"/staff/?department={works.code}"),
        ("queue_default_agent", "agent", "/staff/"),
        ("search_rare_word", "staff", f"/staff/?q={rare}"),
        ("search_common_word", "staff", "/staff/?q=street"),
        ("search_case_number", "staff", f"/staff/?q={number}"),
        ("search_common_word_agent", "agent", "/staff/?q=street"),
    ]
    results = []
    for name, who, url in scenarios:
        client = staff_client if who == "staff" else agent_client
        timings, response = timed_get(client, url, args.runs, args.warmup)
        rows = response.content.decode().count('class="pick"')
        target = 200 if name.startswith("search") else 100
        results.append(scenario(name, url, timings, target, user=who, rows_on_page=rows))
    report(
        "staff_queue",
        database=f"PostgreSQL {pg_version()}",
        cases=cases,
        rare_word=rare,
        rare_word_matches_all_cases=rare_matches,
        case_number=number,
        runs=args.runs,
        warmup=args.warmup,
        results=results,
    )


if __name__ == "__main__":
    main()
