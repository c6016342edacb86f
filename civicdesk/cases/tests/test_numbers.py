"""Case numbers: unique, human-friendly, handed out without waiting for another submission's commit."""

import re
import threading
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection, connections
from django.utils import timezone

from civicdesk.cases import actions, numbers
from civicdesk.cases.models import Case

GUARD = 30  # seconds: only a failure guard, never what the test waits for when all is well


def submit(cast, **fields):
    return actions.submit_case(
        service=cast.pothole, answers={"depth": "deep"}, reporter_email="res@example.org", **fields
    )


def test_it_hands_out_ascending_unique_numbers_for_bulk_callers(db):
    year = timezone.now().year
    taken = actions.next_numbers(500, timezone.now())
    assert len(set(taken)) == 500 and taken == sorted(taken)
    assert all(re.fullmatch(rf"{year % 100:02d}-\d{{6}}", n) for n in taken)
    assert actions.next_numbers(1)[0] > taken[-1]


def test_it_numbers_each_year_on_its_own(db):
    old = actions.next_numbers(2, timezone.now().replace(year=2019))
    assert [n[:3] for n in old] == ["19-", "19-"]


def test_it_moves_past_a_run_of_numbers_restored_cases_hold_in_one_retry(cast):
    following = actions.next_numbers(1)[0]
    year, n = following.split("-")
    # A restored copy holds the next 20 numbers (more than submit_case's attempts).
    for taken in range(int(n) + 1, int(n) + 21):
        Case.objects.create(number=f"{year}-{taken:06d}", service=cast.pothole)
    case = submit(cast)
    assert case.number == f"{year}-{int(n) + 21:06d}"


def test_it_skips_a_number_an_imported_case_already_holds(cast):
    following = actions.next_numbers(1)[0]
    year, n = following.split("-")
    # A case imported with its own number takes the next two numbers the counter will give.
    for taken in (int(n) + 1, int(n) + 2):
        Case.objects.create(number=f"{year}-{taken:06d}", service=cast.pothole)
    case = submit(cast)
    assert case.number == f"{year}-{int(n) + 3:06d}"
    assert Case.objects.filter(number=case.number).count() == 1 and case.events.count() >= 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_numbers_the_second_submission_while_the_first_is_still_open(cast):
    """Two submissions on two connections: the second completes, number and all, while the first
    holds its transaction open; with a counter row locked until commit it would wait instead."""
    first_open, second_done, results = threading.Event(), threading.Event(), {}

    def hold_open(case):  # runs inside the first submission's transaction, after its number
        results["first_number"] = case.number
        first_open.set()
        results["first_waited"] = second_done.wait(GUARD)

    def first():
        try:
            results["first"] = submit(cast, on_created=hold_open)
        finally:
            connection.close()

    def second():
        try:
            assert first_open.wait(GUARD)
            results["second"] = submit(cast)
            # Still inside the first's open transaction: it cannot have committed yet.
            other = connections.create_connection("default")
            with other.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM cases_case WHERE number = %s", [results["first_number"]])
                results["first_visible"] = cursor.fetchone()[0]
            other.close()
        finally:
            second_done.set()
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(GUARD * 2)
    assert results["first_waited"], "the second submission did not finish while the first was open"
    assert results["first_visible"] == 0  # the first had not committed when the second was done
    assert results["second"].number != results["first"].number == results["first_number"]
    assert Case.objects.filter(number__in=[results["first"].number, results["second"].number]).count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_creates_a_year_sequence_once_under_concurrency(db):
    year = 2031
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SEQUENCE IF EXISTS {numbers.sequence_name(year)}")
    numbers.forget_known_sequences()
    barrier, got = threading.Barrier(4), []

    def take():
        try:
            barrier.wait(GUARD)
            numbers.create_sequence(year)
            got.extend(numbers.next_numbers(25, year))
        finally:
            connection.close()

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(GUARD)
    assert sorted(got) == [numbers.format_number(year, n) for n in range(1, 101)]


def _sequence_exists(year):
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [numbers.sequence_name(year)])
        return cursor.fetchone()[0]


@pytest.fixture
def far_years():
    """Two years no other test numbers in, without sequences, forgotten by this process before and after."""
    years = (2040, 2041)

    def drop():
        with connection.cursor() as cursor:
            for year in years:
                cursor.execute(f"DROP SEQUENCE IF EXISTS {numbers.sequence_name(year)}")
        numbers.forget_known_sequences()

    drop()
    yield years
    drop()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_creates_next_years_sequence_in_december_so_new_year_pays_no_ddl(cast, far_years, monkeypatch):
    from io import StringIO

    from django.core.management import call_command

    this_year, next_year = far_years
    with time_machine.travel(datetime(this_year, 11, 30, 23, tzinfo=UTC), tick=False):
        call_command("sla_watch", "--once", stdout=StringIO())
    assert not _sequence_exists(next_year)  # not before December
    with time_machine.travel(datetime(this_year, 12, 1, 0, 5, tzinfo=UTC), tick=False):
        call_command("sla_watch", "--once", stdout=StringIO())
    assert _sequence_exists(next_year)
    created = []
    monkeypatch.setattr(numbers, "create_sequence", lambda year, using="default": created.append(year))
    with time_machine.travel(datetime(next_year, 1, 1, 0, 0, 1, tzinfo=UTC), tick=False):
        case = submit(cast)
    assert case.number == numbers.format_number(next_year, 1)
    assert created == []  # the first case of the year created no sequence


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_prepares_next_year_on_a_process_first_number_in_december(far_years):
    this_year, next_year = far_years
    with time_machine.travel(datetime(this_year, 12, 20, 9, tzinfo=UTC), tick=False):
        assert numbers.next_numbers(1, this_year) == [numbers.format_number(this_year, 1)]
    assert _sequence_exists(next_year)
    # Without it, the first use still creates the sequence (the fallback).
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SEQUENCE {numbers.sequence_name(next_year)}")
    numbers.forget_known_sequences()
    with time_machine.travel(datetime(next_year, 1, 2, 9, tzinfo=UTC), tick=False):
        assert numbers.next_numbers(2, next_year) == [numbers.format_number(next_year, n) for n in (1, 2)]
