"""Random walks through the status machine, driven through the real actions and database.

The expectations come from the transition table in workflow.py (that table *is* the spec); what is
tested is that the actions obey it, record it and change nothing when they refuse.
"""

import pytest
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicdesk.cases import actions
from civicdesk.cases.models import CaseEvent, EventKind
from civicdesk.cases.workflow import ACTIVE, FINISHED, NEEDS_REASON, TRANSITIONS, Status, allowed_targets
from civicdesk.notify.models import OutboxMessage

STATUSES = list(Status.values)
moves = st.one_of(
    st.tuples(st.just("status"), st.sampled_from(STATUSES), st.booleans()),
    st.tuples(st.just("merge"), st.none(), st.booleans()),
    st.tuples(st.just("reopen"), st.none(), st.booleans()),
)


def row(case):
    case.refresh_from_db()
    return model_to_dict(case) | {"version": case.version, "updated_at": case.updated_at}


def counts(case):
    return CaseEvent.objects.count(), OutboxMessage.objects.count()


def is_allowed(current, kind, target, with_reason):
    if kind == "merge":
        return Status.DUPLICATE in TRANSITIONS[current]
    if kind == "reopen":
        return Status.REOPENED in TRANSITIONS[current]
    if target == Status.DUPLICATE:  # only merge may mark a duplicate
        return False
    return target in TRANSITIONS[current] and (with_reason or target not in NEEDS_REASON)


def act(case, cast, kind, target, with_reason, original):
    actor = cast.dave
    if kind == "merge":
        return actions.merge(case, actor, original), Status.DUPLICATE
    if kind == "reopen":
        return actions.reopen(case, actor, reason="Still broken"), Status.REOPENED
    reason = "Checked on site" if with_reason else ""
    return actions.change_status(case, actor, target, reason=reason), target


def check_times(case, status, before):
    if status in ACTIVE:
        assert case.resolved_at is None and case.closed_at is None
    if status == Status.RESOLVED:
        assert case.resolved_at == case.updated_at and case.closed_at is None
    if status == Status.CLOSED:
        assert case.closed_at == case.updated_at
        assert case.resolved_at == (before["resolved_at"] or case.closed_at)
    if status in FINISHED - {Status.RESOLVED}:
        assert case.closed_at == case.updated_at
    if status == Status.REOPENED:
        assert case.duplicate_of is None
    assert case.acknowledged_at is not None


def check_success(case, before, old, new):
    assert case.status == new and case.version == before["version"] + 1
    kind = EventKind.REOPENED if new == Status.REOPENED else EventKind.STATUS
    event = case.events.filter(kind=kind).latest("id")
    assert event.changes["status"] == [old, new] and event.public
    check_times(case, new, before)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(walk=st.lists(moves, max_size=10))
@pytest.mark.django_db
def test_it_follows_the_transition_table_on_every_walk(cast, walk):
    original = actions.submit_case(service=cast.pothole, answers={"depth": "shallow"})
    case = actions.submit_case(
        service=cast.pothole, answers={"depth": "deep"}, reporter_email="res@example.org"
    )
    for kind, target, with_reason in walk:
        before, (events, outbox) = row(case), counts(case)
        old = case.status
        if is_allowed(old, kind, target, with_reason):
            case, new = act(case, cast, kind, target, with_reason, original)
            check_success(case, before, old, new)
            if kind == "merge":
                assert case.duplicate_of == original
                assert original.events.filter(kind=EventKind.DUPLICATE_ADDED).count() >= 1
        else:
            with pytest.raises(ValidationError) as error:
                act(case, cast, kind, target, with_reason, original)
            assert {"status", "reason"} & set(error.value.message_dict)
            assert row(case) == before and counts(case) == (events, outbox)


def test_it_offers_only_the_moves_the_table_allows():
    for current in STATUSES:
        offered = set(allowed_targets(current))
        assert offered == set(TRANSITIONS[current]) - {Status.DUPLICATE}
        assert current not in offered  # no "change" to the same status


def test_it_asks_for_a_reason_on_the_reason_field(cast):
    case = actions.submit_case(service=cast.pothole, answers={"depth": "deep"})
    with pytest.raises(ValidationError) as error:
        actions.change_status(case, cast.bob, Status.REJECTED)
    assert "reason" in error.value.message_dict["reason"][0]


def test_it_keeps_the_message_to_the_resident_out_of_the_public_reason(cast):
    case = actions.submit_case(service=cast.pothole, answers={"depth": "deep"})
    with pytest.raises(ValidationError):
        actions.change_status(case, cast.bob, Status.REJECTED, message="Dear Alice Smith, not a pothole.")
    case = actions.change_status(
        case, cast.bob, Status.RESOLVED, message="Dear Alice Smith of 12 Elm St, fixed."
    )
    assert case.status_reason == ""
    assert case.events.get(kind="reply").message == "Dear Alice Smith of 12 Elm St, fixed."


def test_it_refuses_a_move_the_table_does_not_allow_with_a_status_message(cast):
    case = actions.submit_case(service=cast.pothole, answers={"depth": "deep"})
    with pytest.raises(ValidationError) as error:
        actions.change_status(case, cast.bob, Status.CLOSED)
    assert error.value.message_dict == {"status": ["A case that is “New” cannot become “Closed”."]}
    with pytest.raises(ValidationError) as error:
        actions.change_status(case, cast.bob, "on_fire")
    assert "not a case status" in error.value.message_dict["status"][0]
