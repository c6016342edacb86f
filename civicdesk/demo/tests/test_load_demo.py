import random
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django.urls import reverse

from civicdesk.accounts.models import Role, User
from civicdesk.cases.models import Case, CaseEvent, Datatype, Department, EventKind, Service, ServiceAttribute
from civicdesk.cases.workflow import Status
from civicdesk.demo.histories import plan_cases
from civicdesk.demo.people import CAST, PASSWORD
from civicdesk.notify.models import OutboxMessage


def load(*args):
    out = StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def test_it_refuses_to_run_with_debug_off(db):
    with override_settings(DEBUG=False), pytest.raises(CommandError, match="DEBUG"):
        load()
    assert not Department.objects.exists()


@override_settings(DEBUG=True)
def test_it_builds_riverton_once(db):
    assert "Riverton is ready" in load()

    assert Department.objects.count() >= 5
    assert {"public-works", "parks"} <= set(Department.objects.values_list("code", flat=True))
    services = Service.objects.all()
    assert services.count() >= 25
    for service in services:
        spanish = service.translations["es"]
        assert spanish["name"] and spanish["description"] and spanish["group"], service.code
        assert 1 <= service.attributes.count() <= 3, service.code
    for attribute in ServiceAttribute.objects.all():
        assert attribute.translations["es"]["label"], attribute.code
        assert all(v["translations"]["es"] for v in attribute.values), attribute.code
    assert set(ServiceAttribute.objects.values_list("datatype", flat=True)) == set(Datatype.values)

    cases = Case.objects.all()
    assert cases.count() >= 500
    assert set(cases.values_list("status", flat=True)) == set(Status.values)
    assert cases.filter(language="es").exists()
    assert cases.filter(reporter_email="", reporter_name="", reporter_phone="", reporter=None).exists()
    assert cases.values("channel").distinct().count() >= 6
    assert not cases.filter(created_at__gt=datetime.now(UTC)).exists()
    assert CaseEvent.objects.filter(kind=EventKind.SUBMITTED).count() == cases.count()
    assert (
        CaseEvent.objects.filter(kind=EventKind.MERGED).count()
        == cases.filter(status=Status.DUPLICATE).count()
    )
    assert (
        cases.exclude(reporter_email="")
        .exclude(reporter_email__endswith="@example.org")
        .filter(reporter=None)
        .count()
        == 0
    )
    assert not OutboxMessage.objects.exclude(status=OutboxMessage.Status.SENT).exists()

    client = Client()
    for name in CAST:
        response = client.post(reverse("account_login"), {"login": f"{name}@demo.test", "password": PASSWORD})
        assert response.status_code == 302 and response.url == "/", name  # verified: no confirmation step
        client.logout()
    assert User.objects.get(email="dave@demo.test").role == Role.SUPERVISOR
    assert User.objects.get(email="carol@demo.test").departments.get().code == "parks"

    counts = (Department.objects.count(), Case.objects.count(), CaseEvent.objects.count())
    assert "already has data" in load("--if-empty")
    assert (Department.objects.count(), Case.objects.count(), CaseEvent.objects.count()) == counts
    with pytest.raises(CommandError, match="already has departments"):
        load()


def test_it_plans_the_same_city_from_the_same_seed():
    now = datetime(2026, 3, 15, 12, tzinfo=UTC)

    def summary(seed):
        return [(p.when, p.spec["code"], p.outcome) for p in plan_cases(random.Random(seed), now)]

    assert summary(5) == summary(5)
    assert summary(5) != summary(6)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_it_plans_every_status_even_for_a_small_city(seed):
    now = datetime(2026, 8, 1, 9, tzinfo=UTC)
    plans = plan_cases(random.Random(seed), now, count=60)
    assert {p.outcome for p in plans} == set(Status.values)
    assert all(p.when < now for p in plans)
    assert [p.when for p in plans] == sorted(p.when for p in plans)


def test_the_address_file_is_what_the_street_layout_gives():
    """data/riverton-addresses.csv is generated (python -m civicdesk.demo.addresses): never edited by hand."""
    from civicdesk.demo import addresses

    assert addresses.FILE.read_text(encoding="utf-8") == addresses.csv_text()


@override_settings(DEBUG=True)
def test_riverton_s_addresses_are_found(db):
    from civicdesk.places.lookup import INTERSECTION, match, nearest

    assert "4600 address points" in load("--cases", "20")

    place = match("12 Main St").best
    assert (place.label, place.postcode) == ("12 Main St, Riverton", "01901")
    assert match("Main St and Market St").best.kind == INTERSECTION
    assert nearest(place.latitude, place.longitude).label == "12 Main St, Riverton"
