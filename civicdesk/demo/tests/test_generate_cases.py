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
    def cases():
        args = ["--count", "120", "--seed", "9", "--until", "2026-03-31"]
        call_command("generate_cases", *args, stdout=StringIO(), stderr=StringIO())
        made = list(
            Case.objects.order_by("created_at", "id").values_list("created_at", "service__code", "status")
        )
        Case.objects.all().delete()
        return made

    first = cases()
    assert first == cases()
    assert first[-1][0].date().isoformat() <= "2026-04-01"
    assert first[0][0].year == 2024
