"""actions.assign: what the caller left out stays, `assignee=None` clears, and the department rules
(same department is no transfer; a transfer clears the person unless it names one of the new
department's people) hold for every caller."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from civicdesk.cases import actions
from civicdesk.cases.models import Case, CaseEvent, EventKind


@pytest.fixture
def bobs_case(cast):
    """A Public Works case Bob is working."""
    case = actions.submit_case(service=cast.pothole, answers={"depth": "deep"})
    return actions.assign(case, cast.dave, assignee=cast.bob)


def assigned_events(case):
    return list(CaseEvent.objects.filter(case=case, kind=EventKind.ASSIGNED).order_by("id"))


def test_it_changes_nothing_when_neither_part_is_given(cast, bobs_case):
    case = actions.assign(bobs_case, cast.dave)
    assert (case.department, case.assignee, case.version) == (cast.public_works, cast.bob, bobs_case.version)
    assert len(assigned_events(case)) == 1  # only the fixture's


def test_it_clears_the_person_when_told_to(cast, bobs_case):
    case = actions.assign(bobs_case, cast.dave, assignee=None)
    assert (case.department, case.assignee) == (cast.public_works, None)
    assert assigned_events(case)[-1].changes == {"assignee": ["Bob Worker", None]}


@pytest.mark.parametrize("department", ["public-works", "department object"])
def test_it_treats_the_cases_own_department_as_no_transfer_and_keeps_the_person(cast, bobs_case, department):
    department = cast.public_works if department == "department object" else department
    case = actions.assign(bobs_case, cast.dave, department=department)
    assert (case.department, case.assignee, case.version) == (cast.public_works, cast.bob, bobs_case.version)
    assert len(assigned_events(case)) == 1


def test_it_lets_an_agent_name_the_cases_own_department_as_a_no_op(cast, bobs_case):
    """Nothing changes, so nothing needs a permission beyond seeing the case."""
    case = actions.assign(bobs_case, cast.erin, department=cast.public_works)
    assert (case.assignee, case.version) == (cast.bob, bobs_case.version)


def test_it_sets_a_person_of_the_same_department_without_a_transfer(cast, bobs_case):
    case = actions.assign(bobs_case, cast.dave, department="public-works", assignee=cast.dave)
    assert (case.department, case.assignee) == (cast.public_works, cast.dave)
    assert assigned_events(case)[-1].changes == {"assignee": ["Bob Worker", "Dave Boss"]}


def test_it_clears_the_person_on_a_transfer(cast, bobs_case):
    case = actions.assign(bobs_case, cast.dave, department=cast.parks)
    assert (case.department, case.assignee) == (cast.parks, None)
    assert assigned_events(case)[-1].changes == {
        "department": ["public-works", "parks"],
        "assignee": ["Bob Worker", None],
    }


def test_it_transfers_to_a_person_of_the_new_department(cast, bobs_case):
    case = actions.assign(bobs_case, cast.dave, department="parks", assignee=cast.carol)
    assert (case.department, case.assignee) == (cast.parks, cast.carol)
    assert assigned_events(case)[-1].changes == {
        "department": ["public-works", "parks"],
        "assignee": ["Bob Worker", "Carol Ranger"],
    }


@pytest.mark.parametrize("person", ["bob", "dave"])
def test_it_refuses_a_transfer_to_someone_outside_the_new_department(cast, bobs_case, person):
    """Naming the current person (bob) with the new department is refused too: they would keep a
    case their department no longer has."""
    with pytest.raises(ValidationError) as error:
        actions.assign(bobs_case, cast.dave, department=cast.parks, assignee=getattr(cast, person))
    assert "does not work in Parks" in error.value.message_dict["assignee"][0]
    case = Case.objects.get(pk=bobs_case.pk)
    assert (case.department, case.assignee) == (cast.public_works, cast.bob)


@pytest.mark.parametrize("department", [None, "", "no-such-department"])
def test_it_refuses_a_department_that_is_not_one(cast, bobs_case, department):
    with pytest.raises(ValidationError) as error:
        actions.assign(bobs_case, cast.dave, department=department)
    assert error.value.message_dict == {"department": ["Choose a department from the list."]}


def test_it_opens_a_new_case_on_its_first_assignment(cast):
    case = actions.submit_case(service=cast.pothole, answers={"depth": "deep"})
    case = actions.assign(case, cast.dave, department=cast.parks)
    assert case.status == "open"
    assert assigned_events(case)[-1].changes == {
        "department": ["public-works", "parks"],
        "status": ["new", "open"],
    }


# (actor, who works the case first, the call) -> allowed. Each part that changes needs its permission:
# a transfer "transfer", a change of person "assign", taking a case from someone else "reassign".
COMBINATIONS = [
    ("erin", None, {"department": "parks"}, True),  # agents transfer unassigned cases
    ("erin", "bob", {"department": "parks"}, False),  # ... but do not take them from someone
    ("erin", "bob", {"department": "public-works"}, True),  # no transfer, nothing changes
    ("erin", None, {"assignee": "bob"}, False),  # agents do not choose people
    ("erin", None, {"department": "public-works", "assignee": "bob"}, False),
    ("bob", None, {"department": "parks"}, False),  # staff do not transfer
    ("bob", None, {"assignee": "bob"}, True),
    ("bob", "bob", {"assignee": None}, True),  # drop their own case
    ("bob", "dave", {"assignee": None}, False),  # not someone else's
    ("bob", "dave", {"department": "public-works"}, True),  # no transfer, the person stays
    ("dave", "bob", {"assignee": None}, True),
    ("dave", "bob", {"department": "parks", "assignee": "carol"}, True),
    ("carol", None, {"assignee": None}, False),  # cannot see the case at all
]


@pytest.mark.parametrize(("actor", "first", "call", "allowed"), COMBINATIONS)
def test_it_asks_the_permission_of_each_part_that_changes(cast, actor, first, call, allowed):
    case = actions.submit_case(service=cast.pothole, answers={"depth": "deep"})
    if first:
        case = actions.assign(case, None, assignee=getattr(cast, first))
    kwargs = {k: getattr(cast, v) if k == "assignee" and v else v for k, v in call.items()}
    if allowed:
        actions.assign(case, getattr(cast, actor), **kwargs)
        return
    before = Case.objects.filter(pk=case.pk).values("department", "assignee", "version").get()
    with pytest.raises(PermissionDenied):
        actions.assign(case, getattr(cast, actor), **kwargs)
    assert Case.objects.filter(pk=case.pk).values("department", "assignee", "version").get() == before
