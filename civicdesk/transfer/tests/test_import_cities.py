"""The real NYC and Boston samples: every row accounted for, nothing twice, times and history kept."""

import csv
from datetime import UTC, datetime

import pytest
from django.core import mail

from civicdesk.areas.actions import import_file
from civicdesk.cases.models import Case, CaseEvent, Channel, Department, EventKind, Service
from civicdesk.notify.models import OutboxMessage

from .conftest import data_rows

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("city", ["nyc311", "boston311"])
def test_it_imports_a_city_sample_accounting_for_every_row(city, shared_data, import_cases):
    path = shared_data / f"{city}-100.csv"
    run = import_cases(path, "--format", city)
    counts = run.counts
    assert (
        run.last_line
        == f"imported {counts['imported']}, skipped {counts['skipped']}, failed {counts['failed']}"
    )
    assert sum(counts.values()) == data_rows(path) == 100
    assert Case.objects.filter(source=city).count() == counts["imported"] > 90
    assert len(run.report) == counts["skipped"] + counts["failed"]
    assert not OutboxMessage.objects.exists()
    assert mail.outbox == []


@pytest.mark.parametrize("city", ["nyc311", "boston311"])
def test_it_imports_nothing_twice(city, shared_data, import_cases):
    path = shared_data / f"{city}-100.csv"
    first = import_cases(path, "--format", city)
    cases, events = Case.objects.count(), CaseEvent.objects.count()
    again = import_cases(path, "--format", city)
    assert again.counts == {
        "imported": 0,
        "skipped": first.counts["imported"],
        "failed": first.counts["failed"],
    }
    assert (Case.objects.count(), CaseEvent.objects.count()) == (cases, events)
    assert {row["reason"] for row in again.report if row["outcome"] == "skipped"} == {"already imported"}


def test_it_keeps_nyc_times_in_new_york_time_and_writes_the_history(shared_data, import_cases):
    import_cases(shared_data / "nyc311-100.csv", "--format", "nyc311")
    case = Case.objects.get(source="nyc311", source_id="42254749")
    # 04/18/2019 09:55:45 PM and 04/19/2019 03:45:24 AM in New York (EDT, UTC-4)
    assert case.created_at == datetime(2019, 4, 19, 1, 55, 45, tzinfo=UTC)
    assert (
        case.closed_at == case.resolved_at == case.updated_at == datetime(2019, 4, 19, 7, 45, 24, tzinfo=UTC)
    )
    assert case.expected_at == datetime(2019, 4, 19, 9, 55, 45, tzinfo=UTC)
    assert (case.status, case.channel, case.department.code) == ("closed", Channel.PHONE, "nypd")
    assert case.number.startswith("19-")
    assert case.service.code == "nyc311-noise-residential"
    assert (case.service.name, case.service.active) == ("Noise - Residential", False)
    assert case.description == "Banging/Pounding"
    assert case.address == "3855 SHORE PARKWAY, BROOKLYN, 11235"
    assert case.geo_cell and case.reporter_email == ""
    events = list(case.events.order_by("created_at"))
    assert [(e.kind, e.created_at, e.actor_label) for e in events] == [
        (EventKind.SUBMITTED, case.created_at, "Import from nyc311"),
        (EventKind.STATUS, case.closed_at, "Import from nyc311"),
    ]
    assert events[1].changes == {"status": ["new", "closed"]}
    assert events[1].message.startswith("The Police Department responded")


def test_it_numbers_cases_by_their_own_year_and_maps_every_nyc_status(shared_data, import_cases):
    import_cases(shared_data / "nyc311-100.csv", "--format", "nyc311")
    with open(shared_data / "nyc311-100.csv", newline="", encoding="utf-8") as file:
        rows = {row["Unique Key"]: row for row in csv.DictReader(file)}
    for case in Case.objects.filter(source="nyc311"):
        created_year = rows[case.source_id]["Created Date"][6:10]
        assert case.number.startswith(created_year[2:] + "-")
    open_case = Case.objects.get(
        source="nyc311", source_id=next(k for k, r in rows.items() if r["Status"] == "Assigned")
    )
    assert open_case.status == "open" and open_case.closed_at is None
    assert len(set(Case.objects.values_list("number", flat=True))) == 100
    assert len(set(Case.objects.values_list("tracking_token", flat=True))) == 100


def test_it_creates_departments_and_inactive_services_on_the_fly(shared_data, import_cases):
    import_cases(shared_data / "boston311-100.csv", "--format", "boston311")
    works = Department.objects.get(code="pwdx")
    assert works.name == "Public Works Department"
    service = Service.objects.get(code="boston311-pick-up-dead-animal")
    assert service.group == "Boston 311" and not service.active
    assert service.default_department is not None
    assert not Service.objects.filter(active=True, group="Boston 311").exists()


def test_it_computes_boston_wards_and_drops_city_hall_placeholders(shared_data, import_cases):
    import_file((shared_data / "boston_wards.geojson").read_bytes(), "ward", "WARD", label="Wards")
    import_cases(shared_data / "boston311-100.csv", "--format", "boston311")
    with open(shared_data / "boston311-100.csv", newline="", encoding="utf-8") as file:
        rows = {row["case_enquiry_id"]: row for row in csv.DictReader(file)}
    placeholders = {k for k, r in rows.items() if (r["latitude"], r["longitude"]) == ("42.3594", "-71.0587")}
    assert placeholders
    for case in Case.objects.filter(source="boston311"):
        if case.source_id in placeholders:
            assert (case.latitude, case.areas, case.geo_cell) == (None, {}, "")
        else:
            assert case.areas.get("ward"), case.source_id
    assert Case.objects.filter(source="boston311", areas__ward="3").count() >= 5


def test_it_maps_boston_channels_and_keeps_open_cases_open(shared_data, import_cases):
    import_cases(shared_data / "boston311-100.csv", "--format", "boston311")
    case = Case.objects.get(source="boston311", source_id="101004143000")  # Constituent Call, Open
    assert (case.channel, case.status, case.closed_at) == (Channel.PHONE, "open", None)
    assert Case.objects.filter(source="boston311", channel=Channel.API).count() == 67
    closed = Case.objects.get(source="boston311", source_id="101004130437")
    assert closed.closed_at == datetime(2022, 1, 19, 16, 42, 16, tzinfo=UTC)  # 11:42:16 EST


def test_it_keeps_nothing_on_a_dry_run(shared_data, import_cases):
    run = import_cases(shared_data / "nyc311-100.csv", "--format", "nyc311", "--dry-run")
    assert run.counts["imported"] == 100
    assert "dry run" in run.output
    assert not Case.objects.exists() and not Service.objects.filter(group="NYC 311").exists()


@pytest.mark.django_db(transaction=True)
def test_it_imports_in_committed_batches_outside_a_transaction(shared_data, import_cases):
    """The real command's setting: batches commit one by one (PostgreSQL writes them from a thread)."""
    path = shared_data / "nyc311-100.csv"
    run = import_cases(path, "--format", "nyc311", "--batch", "7")
    assert run.counts == {"imported": 100, "skipped": 0, "failed": 0}
    assert CaseEvent.objects.filter(case__source="nyc311").count() == 200
    again = import_cases(path, "--format", "nyc311", "--batch", "7")
    assert again.counts == {"imported": 0, "skipped": 100, "failed": 0}
    assert Case.objects.count() == 100
