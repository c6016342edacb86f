from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError

from civicdesk.cases import actions
from civicdesk.cases.models import EventKind, Status
from civicdesk.sla.models import BusinessCalendar, CaseClock, SLAPolicy
from civicdesk.sla.watch import sweep

NY = ZoneInfo("America/New_York")


def at(*args):
    return datetime(*args, tzinfo=NY)


def submit(cast, when):
    with time_machine.travel(when, tick=False):
        return actions.submit_case(
            service=cast.pothole,
            description="Hole",
            answers={"depth": "deep"},
            reporter_email="r@example.org",
        )


def test_it_sets_due_times_in_business_hours(cast, pothole_policy):
    case = submit(cast, at(2026, 11, 20, 15, 0))  # a Friday afternoon
    clock = case.clock
    assert clock.response_due_at == at(2026, 11, 23, 11, 0)  # 2 h Friday + 2 h Monday morning
    assert clock.at_risk_at == at(2026, 11, 23, 15, 0)  # 7 h: Friday 2 h + Monday 3 h + 2 h after lunch
    # 14 h: Friday 2 h, Monday 7 h, Tuesday 5 h
    assert clock.resolution_due_at == at(2026, 11, 24, 15, 0)
    case.refresh_from_db()
    assert case.expected_at == clock.resolution_due_at


def test_it_stops_the_response_clock_at_the_first_staff_reply(cast, pothole_policy):
    case = submit(cast, at(2026, 11, 16, 9, 0))
    with time_machine.travel(at(2026, 11, 16, 10, 30), tick=False):
        actions.resident_comment(case, "any news?")
    assert CaseClock.objects.get(case=case).responded_at is None
    with time_machine.travel(at(2026, 11, 16, 11, 0), tick=False):
        actions.reply(case, cast.bob, "On our list")
    clock = CaseClock.objects.get(case=case)
    assert clock.responded_at == at(2026, 11, 16, 11, 0) and clock.response_met is True
    assert clock.business_to_respond == timedelta(hours=2)


def test_it_pauses_while_waiting_on_the_resident_and_never_shortens(cast, pothole_policy):
    case = submit(cast, at(2026, 11, 16, 9, 0))
    due = case.clock.resolution_due_at
    with time_machine.travel(at(2026, 11, 16, 10, 0), tick=False):
        actions.change_status(case, cast.bob, Status.WAITING_ON_RESIDENT, message="Which side?")
    assert CaseClock.objects.get(case=case).next_step_at is None
    with time_machine.travel(at(2026, 11, 17, 10, 0), tick=False):  # 7 business hours later
        actions.resident_comment(case, "North side")
    clock = CaseClock.objects.get(case=case)
    assert clock.paused == timedelta(hours=7) and clock.resolution_due_at > due
    assert clock.resolution_due_at == at(2026, 11, 18, 17, 0)  # 14 h + 7 h paused: three full days


def test_it_records_the_outcome_on_resolution(cast, pothole_policy):
    case = submit(cast, at(2026, 11, 16, 9, 0))
    with time_machine.travel(at(2026, 11, 20, 9, 0), tick=False):
        actions.change_status(case, cast.bob, Status.RESOLVED)
    clock = CaseClock.objects.get(case=case)
    assert clock.resolution_met is False and clock.business_to_resolve == timedelta(hours=28)
    assert clock.response_met is False  # the first response (the resolution) came after Monday 13:00


def test_it_recomputes_when_priority_changes(cast, pothole_policy, office):
    urgent = SLAPolicy.objects.create(
        name="Urgent potholes", service=cast.pothole, priority=1, calendar=office, resolution_hours=2
    )
    case = submit(cast, at(2026, 11, 16, 9, 0))
    with time_machine.travel(at(2026, 11, 16, 9, 30), tick=False):
        actions.change_priority(case, cast.bob, 1)
    clock = CaseClock.objects.get(case=case)
    assert clock.policy == urgent and clock.resolution_due_at == at(2026, 11, 16, 11, 0)


def test_it_escalates_each_step_once_with_its_actions(
    cast, pothole_policy, django_capture_on_commit_callbacks
):
    case = submit(cast, at(2026, 11, 16, 9, 0))
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep(now=at(2026, 11, 16, 12, 0)) == 0
        assert sweep(now=at(2026, 11, 17, 9, 30)) == 1  # at risk (7 business hours)
        assert sweep(now=at(2026, 11, 17, 9, 30)) == 0
        assert sweep(now=at(2026, 11, 18, 10, 0)) == 2  # breach (Tue 17:00) and 8 h after it (Wed 01:00)
    case.refresh_from_db()
    escalations = list(case.events.filter(kind=EventKind.ESCALATED).order_by("id"))
    assert [e.changes["step"][1] for e in escalations] == [
        "resolution:at_risk",
        "resolution:breach",
        "resolution:after_breach",
    ]
    assert "at-risk" in case.tags and case.priority == 2 and case.assignee == cast.dave
    assert any("escalated" in m.subject for m in mail.outbox) and any(
        m.to == ["dave@demo.test"] for m in mail.outbox
    )


def test_it_refuses_an_unknown_holiday_region_and_overlapping_periods(office):
    bad = BusinessCalendar(name="x", holiday_country="US", holiday_subdivision="ZZ")
    with pytest.raises(ValidationError, match="subdivision"):
        bad.full_clean()
    with pytest.raises(ValidationError, match="No holiday list"):
        BusinessCalendar(name="y", holiday_country="QQ").full_clean()


def test_it_does_not_count_the_time_a_case_spent_resolved_after_a_reopen(cast, pothole_policy):
    case = submit(cast, at(2026, 11, 16, 9, 0))
    with time_machine.travel(at(2026, 11, 16, 11, 0), tick=False):
        actions.change_status(case, cast.bob, Status.RESOLVED)
    assert CaseClock.objects.get(case=case).resolution_met is True
    with time_machine.travel(at(2026, 11, 17, 11, 0), tick=False):  # 7 business hours later
        actions.reopen(case, cast.bob, reason="Still there")
    clock = CaseClock.objects.get(case=case)
    assert clock.resolution_met is None and clock.paused == timedelta(hours=7)
    assert clock.resolution_due_at == at(2026, 11, 18, 17, 0)  # 14 h + 7 h from Monday 9:00
    assert clock.next_step_at is not None and clock.next_step_at > at(2026, 11, 17, 11, 0)
