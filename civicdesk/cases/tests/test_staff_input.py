"""Bad input to the staff actions: refused with a message on the right field, and nothing written."""

import pytest
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict

from civicdesk.cases import actions
from civicdesk.cases.models import Case, CaseEvent, Service
from civicdesk.notify.models import OutboxMessage


@pytest.fixture
def case(cast):
    return actions.submit_case(
        service=cast.pothole, answers={"depth": "deep"}, reporter_email="r@example.org"
    )


def state():
    rows = [model_to_dict(c) | {"version": c.version} for c in Case.objects.order_by("pk")]
    return rows, CaseEvent.objects.count(), OutboxMessage.objects.count()


def refused(call):
    before = state()
    with pytest.raises(ValidationError) as error:
        call()
    assert state() == before
    return error.value.message_dict


def test_it_refuses_a_status_change_the_table_does_not_allow(cast, case):
    assert refused(lambda: actions.change_status(case, cast.bob, "closed")) == {
        "status": ["A case that is “New” cannot become “Closed”."]
    }


def test_it_refuses_marking_a_duplicate_without_merging(cast, case):
    assert "merge" in refused(lambda: actions.change_status(case, cast.bob, "duplicate"))["status"][0]


def test_it_asks_for_a_reason_to_reject(cast, case):
    assert refused(lambda: actions.change_status(case, cast.bob, "rejected", reason="  ")) == {
        "reason": ["Give a reason when a case is “Rejected”."]
    }


def test_it_refuses_reopening_an_open_case_or_without_a_reason(cast, case):
    assert "status" in refused(lambda: actions.reopen(case, cast.bob, reason="Still broken"))
    actions.change_status(case, cast.bob, "resolved")
    assert refused(lambda: actions.reopen(case, cast.bob, reason="")) == {
        "reason": ["This field cannot be empty."]
    }


@pytest.mark.parametrize("priority", [0, 5, "urgent", None, "1.5"])
def test_it_refuses_a_priority_not_on_the_list(cast, case, priority):
    assert refused(lambda: actions.change_priority(case, cast.bob, priority)) == {
        "priority": ["Choose a priority from the list."]
    }


@pytest.mark.parametrize("action", [actions.reply, actions.add_note])
@pytest.mark.parametrize(
    ("text", "expected"), [("   ", "This field cannot be empty."), ("x" * 10_001, "Use at most")]
)
def test_it_refuses_an_empty_or_huge_reply_or_note(cast, case, action, text, expected):
    assert refused(lambda: action(case, cast.bob, text))["message"][0].startswith(expected)


def test_it_refuses_merging_a_case_into_itself_or_into_its_own_duplicate(cast, case):
    assert "target" in refused(lambda: actions.merge(case, cast.bob, case))
    other = actions.submit_case(service=cast.pothole, answers={"depth": "deep"})
    actions.merge(other, cast.bob, case)
    assert refused(lambda: actions.merge(case, cast.bob, other)) == {
        "target": ["That case is already a duplicate of this one."]
    }


def test_it_merges_into_the_original_when_given_a_duplicate(cast, case):
    first = actions.submit_case(service=cast.pothole, answers={"depth": "deep"})
    second = actions.submit_case(service=cast.pothole, answers={"depth": "deep"})
    actions.merge(first, cast.bob, case)
    merged = actions.merge(second, cast.bob, first)
    assert merged.duplicate_of == case and merged.version == 2
    case.refresh_from_db()
    assert case.version == 3  # one bump per duplicate merged in


def test_it_refuses_an_unknown_department_or_an_inactive_service(cast, case):
    assert refused(lambda: actions.assign(case, cast.dave, department="sanitation")) == {
        "department": ["Choose a department from the list."]
    }
    retired = Service.objects.create(
        code="old", name="Old", default_department=cast.public_works, active=False
    )
    assert refused(lambda: actions.recategorise(case, cast.bob, retired)) == {
        "service": ["Choose a service from the list."]
    }


def test_it_refuses_an_assignee_who_is_not_city_staff(cast, case):
    cast.alice.departments.add(cast.public_works)
    assert "assignee" in refused(lambda: actions.assign(case, cast.dave, assignee=cast.alice))


def test_it_clears_the_duplicate_link_when_a_duplicate_is_reopened(cast, case):
    other = actions.submit_case(service=cast.pothole, answers={"depth": "deep"})
    actions.merge(other, cast.bob, case)
    reopened = actions.reopen(other, cast.bob, reason="Different hole")
    assert reopened.duplicate_of is None and reopened.status == "reopened"
    assert reopened.events.latest("id").changes == {
        "status": ["duplicate", "reopened"],
        "duplicate_of": [case.number, None],
    }
