"""Who may do what: every person in the cast against every staff action, on a Public Works case.

The expectations are written out here, from the roles the city described (not read back from
permissions.py), so a change to the permission table has to change this table too.
"""

import io

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict
from PIL import Image

from civicdesk.accounts.models import Role
from civicdesk.cases import actions, permissions
from civicdesk.cases.models import Case, CaseEvent, Service
from civicdesk.notify.models import OutboxMessage
from civicdesk.test import person

CASEWORK = {"bob", "dave", "erin", "root"}  # anyone who works Public Works cases or all cases
ALLOWED = {
    "acknowledge": CASEWORK,
    "reply": CASEWORK,
    "note": CASEWORK,
    "attach": CASEWORK,
    "change_status": CASEWORK,
    "reopen": CASEWORK,
    "link_external": CASEWORK,
    "recategorise": CASEWORK,
    "merge": CASEWORK,
    # the department decides how urgent its work is; agents do not
    "change_priority": {"bob", "dave", "root"},
    # choosing who in the department works the case
    "assign": {"bob", "dave", "root"},
    # sending a misrouted case to another department: agents and supervisors
    "transfer": {"dave", "erin", "root"},
    # taking a case out of a colleague's queue
    "reassign": {"dave", "root"},
    # reporters' contact details: those who call residents back
    "view_contact": {"dave", "erin", "root"},
    "create_for_caller": {"dave", "erin", "root"},
}
PEOPLE = ["alice", "bob", "carol", "dave", "erin", "root"]


def png():
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "green").save(out, format="PNG")
    return SimpleUploadedFile("p.png", out.getvalue())


def pw_case(cast, **fields):
    case = actions.submit_case(
        service=cast.pothole, answers={"depth": "deep"}, reporter_email="res@example.org"
    )
    if fields:
        Case.objects.filter(pk=case.pk).update(**fields)
        case.refresh_from_db()
    return case


def prepare(cast, action):
    """A Public Works case in the state the action needs, plus what else the action uses."""
    if action == "reopen":
        case = pw_case(cast)
        return actions.change_status(case, None, "resolved"), None
    if action == "merge":
        return pw_case(cast), pw_case(cast)
    if action == "recategorise":
        streetlight = Service.objects.create(
            code="streetlight", name="Streetlight out", default_department=cast.public_works
        )
        return pw_case(cast), streetlight
    if action == "reassign":
        frank = person("frank@demo.test", Role.STAFF, cast.public_works)
        return pw_case(cast, assignee=frank), None
    return pw_case(cast), None


def perform(cast, action, actor, case, extra):
    calls = {
        "acknowledge": lambda: actions.acknowledge(case, actor),
        "reply": lambda: actions.reply(case, actor, "We are on it"),
        "note": lambda: actions.add_note(case, actor, "Crew booked"),
        "attach": lambda: actions.attach_file(case, actor, png()),
        "change_status": lambda: actions.change_status(case, actor, "in_progress"),
        "reopen": lambda: actions.reopen(case, actor, reason="Still there"),
        "link_external": lambda: actions.link_external(case, actor, "maximo", "WO-9"),
        "recategorise": lambda: actions.recategorise(case, actor, extra),
        "merge": lambda: actions.merge(case, actor, extra),
        "change_priority": lambda: actions.change_priority(case, actor, 1),
        "assign": lambda: actions.assign(case, actor, assignee=cast.bob),
        "transfer": lambda: actions.assign(case, actor, department=cast.parks),
        "reassign": lambda: actions.assign(case, actor, assignee=cast.dave),
        "view_contact": lambda: actions.record_contact_view(case, actor),
        "create_for_caller": lambda: actions.submit_case(
            service=cast.pothole, answers={"depth": "deep"}, channel="phone", actor=actor
        ),
    }
    return calls[action]()


def state():
    return (
        [model_to_dict(c) | {"version": c.version} for c in Case.objects.order_by("pk")],
        CaseEvent.objects.count(),
        OutboxMessage.objects.count(),
    )


@pytest.mark.parametrize("action", sorted(ALLOWED))
@pytest.mark.parametrize("name", PEOPLE)
def test_it_lets_exactly_the_right_roles_act_on_a_public_works_case(cast, name, action):
    case, extra = prepare(cast, action)
    actor = getattr(cast, name)
    before = state()
    if name in ALLOWED[action]:
        perform(cast, action, actor, case, extra)
        new_events = CaseEvent.objects.order_by("id")[before[1] :]
        assert new_events and actor in {event.actor for event in new_events}
    else:
        with pytest.raises(PermissionDenied):
            perform(cast, action, actor, case, extra)
        assert state() == before


def test_it_refuses_parks_staff_everything_on_a_public_works_case(cast):
    case = pw_case(cast)
    assert not permissions.can_see(cast.carol, case)
    assert [a for a in permissions.STAFF_ACTIONS if permissions.can(cast.carol, a, case)] == []


def test_it_knows_every_staff_action_in_the_table():
    # A new action in permissions.py must get a row (and a call) here.
    assert set(permissions.STAFF_ACTIONS) - {"view"} == set(ALLOWED)


def test_it_lets_staff_assign_within_their_own_department_even_when_the_form_names_it(cast):
    case = pw_case(cast)
    actions.assign(case, cast.bob, department="public-works", assignee=cast.bob)
    case.refresh_from_db()
    assert case.assignee == cast.bob and case.status == "open"


def test_it_lets_staff_hand_their_own_case_on_or_drop_it(cast):
    case = actions.assign(pw_case(cast), cast.bob, assignee=cast.bob)
    case = actions.assign(case, cast.bob, assignee=cast.dave)
    assert case.assignee == cast.dave
    case = actions.assign(case, cast.dave, assignee=None)
    assert case.assignee is None


def test_it_does_not_let_an_agent_assign_a_person_by_naming_the_department(cast):
    case = pw_case(cast)
    with pytest.raises(PermissionDenied):
        actions.assign(case, cast.erin, department=cast.public_works, assignee=cast.bob)
    case.refresh_from_db()
    assert case.assignee is None


def test_it_leaves_taking_an_assigned_case_to_another_department_to_supervisors(cast):
    case = pw_case(cast, assignee=cast.bob)
    with pytest.raises(PermissionDenied):
        actions.assign(case, cast.erin, department=cast.parks)
    case = actions.assign(case, cast.dave, department=cast.parks)
    assert case.department == cast.parks and case.assignee is None
    assert case.events.latest("id").changes["assignee"] == ["Bob Worker", None]


def test_it_refuses_an_assignee_from_another_department(cast):
    case = pw_case(cast)
    with pytest.raises(ValidationError) as error:
        actions.assign(case, cast.dave, assignee=cast.carol)
    assert error.value.message_dict == {"assignee": ["Carol Ranger does not work in Public Works."]}


def test_it_answers_permission_before_staleness(cast):
    case = pw_case(cast)
    with pytest.raises(PermissionDenied):
        actions.reply(case, cast.carol, "hello", expected_version=99)


VISIBLE = {
    "alice": set(),
    "bob": {"public-works"},
    "carol": {"parks"},
    "dave": {"public-works"},
    "erin": {"public-works", "parks"},
    "root": {"public-works", "parks"},
}


@pytest.mark.parametrize("name", PEOPLE)
def test_it_shows_each_role_only_its_cases(cast, name):
    pw = pw_case(cast)
    park = actions.submit_case(service=cast.tree, description="Oak down")
    user = getattr(cast, name)
    seen = {c.department.code for c in Case.objects.visible_to(user)}
    assert seen == VISIBLE[name]
    assert {c.department.code for c in (pw, park) if permissions.can_see(user, c)} == VISIBLE[name]


def test_it_shows_nothing_to_anonymous_or_deactivated_staff(cast):
    pw_case(cast)
    cast.dave.is_active = False
    cast.dave.save()
    assert not Case.objects.visible_to(AnonymousUser()).exists()
    assert not Case.objects.visible_to(cast.dave).exists()
    with pytest.raises(PermissionDenied):
        actions.add_note(Case.objects.get(), cast.dave, "still here?")
