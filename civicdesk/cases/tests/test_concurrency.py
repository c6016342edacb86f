"""Two people changing one case at the same moment, each through their own database connection.

Needs PostgreSQL: the actions rely on row locks (SELECT ... FOR UPDATE), which SQLite does not have
(it serialises whole-database writes instead). The CI's PostgreSQL pass runs these.
"""

import threading

import pytest
from django.core.exceptions import ValidationError

from civicdesk.cases import actions
from civicdesk.cases.actions import StaleCase
from civicdesk.cases.models import Case, CaseEvent, EventKind
from civicdesk.test import run_together, wait_for_a_lock_waiter

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def new_case(cast):
    return actions.submit_case(
        service=cast.pothole, answers={"depth": "deep"}, reporter_email="res@example.org"
    )


def test_it_makes_the_second_writer_wait_for_the_first_and_loses_nothing(cast, monkeypatch):
    case = new_case(cast)
    stale_copy_a, stale_copy_b = Case.objects.get(pk=case.pk), Case.objects.get(pk=case.pk)
    a_holds_lock, seen = threading.Event(), {}
    real_event = actions._event

    def event_after_the_other_waits(*args, **kwargs):
        # The first actor holds the row lock until PostgreSQL reports the second one waiting on a lock.
        if threading.current_thread().name == "actor-0" and not a_holds_lock.is_set():
            a_holds_lock.set()
            seen["waiting"] = wait_for_a_lock_waiter()
        return real_event(*args, **kwargs)

    monkeypatch.setattr(actions, "_event", event_after_the_other_waits)

    def first():
        actions.change_priority(stale_copy_a, cast.dave, 1)

    def second():
        assert a_holds_lock.wait(5)
        actions.reply(stale_copy_b, cast.bob, "Crew on the way")

    assert run_together(first, second) == [None, None]
    assert seen["waiting"]  # the second writer queued behind the lock instead of writing alongside
    case.refresh_from_db()
    assert case.version == 3 and case.priority == 1 and case.acknowledged_at is not None
    kinds = list(case.events.exclude(kind=EventKind.ROUTED).values_list("kind", flat=True))
    assert kinds == [EventKind.SUBMITTED, EventKind.PRIORITY, EventKind.REPLY]


def test_it_counts_every_concurrent_action_in_the_version(cast):
    case = new_case(cast)
    stale = [Case.objects.get(pk=case.pk) for _ in range(2)]

    def priorities():
        for priority in [1, 2, 3, 4, 1, 2]:
            actions.change_priority(stale[0], cast.dave, priority)

    def replies():
        for n in range(6):
            actions.reply(stale[1], cast.bob, f"Update {n}")

    assert run_together(priorities, replies) == [None, None]
    case.refresh_from_db()
    events = CaseEvent.objects.filter(case=case).exclude(kind__in=[EventKind.SUBMITTED, EventKind.ROUTED])
    assert events.count() == 12 and case.version == 1 + 12
    assert case.priority == 2


def test_it_gives_exactly_one_of_two_same_version_edits_a_stale_error(cast):
    case = new_case(cast)
    results = run_together(
        lambda: actions.change_priority(case, cast.dave, 1, expected_version=1),
        lambda: actions.change_priority(case, cast.bob, 4, expected_version=1),
    )
    stale = [r for r in results if isinstance(r, StaleCase)]
    won = [r for r in results if isinstance(r, Case)]
    assert len(stale) == 1 and len(won) == 1, results
    case.refresh_from_db()
    assert case.version == 2 and case.priority == won[0].priority
    assert case.events.filter(kind=EventKind.PRIORITY).count() == 1


def test_it_merges_only_one_way_when_two_people_merge_a_pair_opposite_ways(cast):
    a, b = new_case(cast), new_case(cast)
    results = run_together(lambda: actions.merge(a, cast.dave, b), lambda: actions.merge(b, cast.bob, a))
    assert sorted(type(r).__name__ for r in results) == ["Case", "ValidationError"]
    assert any(isinstance(r, ValidationError) for r in results)
    duplicates = Case.objects.filter(duplicate_of__isnull=False)
    assert duplicates.count() == 1 and duplicates.get().status == "duplicate"
    assert CaseEvent.objects.filter(kind=EventKind.DUPLICATE_ADDED).count() == 1


def test_it_never_hands_out_the_same_case_number_twice(cast):
    def five():
        return [new_case(cast).number for _ in range(5)]

    first, second = run_together(five, five)
    numbers = first + second
    assert len(set(numbers)) == 10
    # Consecutive from wherever the year's sequence stood (it is not rolled back between tests).
    values = sorted(int(n[-6:]) for n in numbers)
    assert values == list(range(values[0], values[0] + 10))
