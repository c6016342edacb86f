import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.test import override_settings

from civicdesk.cases.models import Case, CaseEvent, EventKind, Service
from civicdesk.cases.workflow import ACTIVE, Status


def generate(count, seed=2, batch=150):
    out, err = StringIO(), StringIO()
    call_command("generate_cases", count=count, seed=seed, batch=batch, stdout=out, stderr=err)
    return out.getvalue()


def test_it_refuses_to_run_with_debug_off(db):
    with override_settings(DEBUG=False), pytest.raises(CommandError, match="DEBUG"):
        generate(10)
    assert not Case.objects.exists()


# transactional_db: on PostgreSQL the generator writes from a second connection.
@override_settings(DEBUG=True)
def test_it_generates_realistic_cases_in_bulk(transactional_db):
    output = generate(400)

    assert re.search(r"generated 400 cases and \d+ events in .* cases/s, \d+ rows/s", output)
    assert Service.objects.count() >= 25  # Riverton's catalogue, since the database had none
    cases = Case.objects.all()
    assert cases.count() == 400
    assert cases.values("number").distinct().count() == 400
    assert cases.values("tracking_token").distinct().count() == 400
    assert all(re.fullmatch(r"\d\d-\d{6}", n) for n in cases.values_list("number", flat=True))
    assert not cases.filter(geo_cell="").exists()
    assert cases.values("service").distinct().count() >= 15

    statuses = dict(cases.values_list("status").annotate(n=Count("id")))
    assert statuses[Status.CLOSED] > 200
    assert 0.02 * 400 < sum(n for status, n in statuses.items() if status in ACTIVE) < 0.3 * 400
    assert len(statuses) >= 6
    for case in cases.filter(status=Status.DUPLICATE):
        assert case.duplicate_of.created_at <= case.created_at
        assert case.duplicate_of.service_id == case.service_id

    per_case = dict(CaseEvent.objects.values_list("case").annotate(n=Count("id")))
    assert len(per_case) == 400 and sum(per_case.values()) > 2 * 400
    assert CaseEvent.objects.filter(kind=EventKind.SUBMITTED).count() == 400
    closed = cases.filter(status=Status.CLOSED).first()
    times = list(closed.events.values_list("created_at", flat=True))
    assert times == sorted(times) and times[0] == closed.created_at
    assert closed.resolved_at <= closed.closed_at == closed.updated_at == times[-1]

    generate(50, seed=3)  # a second run adds cases and keeps numbering going
    assert Case.objects.count() == 450
    assert Case.objects.values("number").distinct().count() == 450


@override_settings(DEBUG=True)
def test_it_makes_the_same_cases_from_the_same_seed_and_dates(transactional_db):
    def cases(writers=1):
        args = ["--count", "120", "--seed", "9", "--until", "2026-03-31", "--writers", str(writers)]
        call_command("generate_cases", *args, stdout=StringIO(), stderr=StringIO())
        made = list(
            Case.objects.order_by("created_at", "id").values_list("created_at", "service__code", "status")
        )
        Case.objects.all().delete()
        return made

    first = cases()
    assert first == cases()
    assert first == cases(writers=3)  # on PostgreSQL: three processes build the batches
    assert first[-1][0].date().isoformat() <= "2026-04-01"
    assert first[0][0].year == 2024


def _schema(cursor):
    """Every index and constraint of the case and event tables, as PostgreSQL would recreate them.

    A partial index's predicate is cut off: PostgreSQL prints `x IN (...)` back as an equivalent
    expression with other casts after a round trip (the planner still uses the index; the queue
    and search tests show it).
    """
    cursor.execute(
        "SELECT split_part(indexdef, ' WHERE ', 1) "
        "|| CASE WHEN indexdef LIKE '%% WHERE %%' THEN ' (partial)' ELSE '' END "
        "FROM pg_indexes WHERE tablename IN ('cases_case', 'cases_caseevent') "
        "UNION ALL SELECT conname || ' ' || pg_get_constraintdef(oid) || ' ' || convalidated "
        "FROM pg_constraint WHERE conrelid IN ('cases_case'::regclass, 'cases_caseevent'::regclass) "
        "ORDER BY 1"
    )
    return [row[0] for row in cursor.fetchall()]


@pytest.mark.postgres
@override_settings(DEBUG=True)
def test_it_builds_the_indexes_after_a_large_load_with_the_same_definitions(transactional_db):
    from django.db import IntegrityError, connection, transaction

    with connection.cursor() as cursor:
        before = _schema(cursor)
    call_command(
        "generate_cases",
        count=300,
        batch=100,
        defer_indexes="yes",
        writers=3,
        stdout=StringIO(),
        stderr=StringIO(),
    )
    with connection.cursor() as cursor:  # the command closed this thread's connection before forking
        assert _schema(cursor) == before
        cursor.execute("SELECT to_regclass('bulk_deferred_ddl')")
        assert cursor.fetchone()[0] is None
    assert Case.objects.count() == 300
    # The foreign keys are back, and checked.
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseEvent.objects.create(case_id=10**12, kind=EventKind.NOTE, message="nobody's")
    # The search index works on the rows loaded without it.
    word = Case.objects.first().description.split()[0]
    from civicdesk.cases.search import search_cases

    assert search_cases(Case.objects.all(), word).exists()


@override_settings(DEBUG=True)
@pytest.mark.postgres
def test_it_first_rebuilds_what_an_interrupted_load_set_aside(transactional_db):
    from django.db import connection

    from civicdesk.lib import indexes

    with connection.cursor() as cursor:
        before = _schema(cursor)
        assert indexes.set_aside(connection, ["cases_case", "cases_caseevent"]) > 20
        left = _schema(cursor)  # the load was killed here: primary keys and checks remain
        assert len(left) == 6 and all(" PRIMARY KEY " in d or "_pkey ON" in d or " CHECK " in d for d in left)
    call_command("generate_cases", count=20, defer_indexes="no", stdout=StringIO(), stderr=StringIO())
    with connection.cursor() as cursor:
        assert _schema(cursor) == before
