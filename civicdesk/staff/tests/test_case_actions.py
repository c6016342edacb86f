"""Each action form on the case page, per role: allowed, refused, invalid, stale; with and without htmx."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from civicdesk.cases import actions
from civicdesk.cases.models import Case, CaseEvent, EventKind, Priority

from .helpers import HTMX, case_url, page_text


@pytest.fixture
def case(report):
    return report(description="Hole by the bus stop")


def post(client, user, case, name, data, **kwargs):
    client.force_login(user)
    prefix = {"staff-recategorise": "service"}.get(name, name.removeprefix("staff-"))
    fields = {f"{prefix}-version": str(Case.objects.get(pk=case.pk).version)}
    fields.update({f"{prefix}-{key}": value for key, value in data.items()})
    return client.post(case_url(case, name), fields, **kwargs)


def events(case, kind):
    return list(CaseEvent.objects.filter(case=case, kind=kind))


def fresh(case):
    return Case.objects.get(pk=case.pk)


# ---------------------------------------------------------------- reply and note


@pytest.mark.parametrize("person", ["bob", "dave", "erin", "root"])
def test_it_sends_a_public_reply(client, cast, case, person):
    response = post(client, getattr(cast, person), case, "staff-reply", {"message": "Crew booked"})
    assert response.status_code == 302 and response["Location"] == case_url(case)
    (event,) = events(case, EventKind.REPLY)
    assert event.public and event.message == "Crew booked" and event.actor == getattr(cast, person)


def test_it_shows_the_reply_with_a_message_after_the_redirect(client, cast, case):
    response = post(client, cast.bob, case, "staff-reply", {"message": "Crew booked"}, follow=True)
    text = page_text(response)
    assert "Reply sent to the resident." in text and "Crew booked" in text


def test_it_refuses_an_empty_reply_with_the_error_on_the_field(client, cast, case):
    response = post(client, cast.bob, case, "staff-reply", {"message": "   "})
    assert response.status_code == 400
    text = page_text(response)
    assert 'class="error-summary"' in text and 'href="#field-reply-message"' in text
    assert 'aria-invalid="true"' in text
    assert not events(case, EventKind.REPLY)


def test_it_adds_an_internal_note(client, cast, case):
    assert post(client, cast.erin, case, "staff-note", {"message": "Caller rang again"}).status_code == 302
    (event,) = events(case, EventKind.NOTE)
    assert not event.public and event.message == "Caller rang again"


# ---------------------------------------------------------------- assign


def test_it_lets_staff_assign_a_colleague_in_their_department(client, cast, case):
    assert post(client, cast.bob, case, "staff-assign", {"assignee": cast.bob.pk}).status_code == 302
    assert fresh(case).assignee == cast.bob
    assert len(events(case, EventKind.ASSIGNED)) == 1


def test_it_refuses_staff_taking_a_case_from_someone_else(client, cast, case):
    actions.assign(case, cast.dave, assignee=cast.dave)
    response = post(client, cast.bob, case, "staff-assign", {"assignee": cast.bob.pk})
    assert response.status_code == 403
    assert "Only supervisors may take a case from someone else" in page_text(response)
    assert fresh(case).assignee == cast.dave


def test_it_lets_a_supervisor_reassign(client, cast, case):
    actions.assign(case, cast.bob, assignee=cast.bob)
    assert post(client, cast.dave, case, "staff-assign", {"assignee": cast.dave.pk}).status_code == 302
    assert fresh(case).assignee == cast.dave


def test_it_lets_a_supervisor_send_a_case_to_another_department(client, cast, case):
    response = post(
        client, cast.dave, case, "staff-assign", {"department": "parks", "assignee": ""}, follow=True
    )
    assert fresh(case).department == cast.parks
    assert response.redirect_chain[-1][0] == reverse("staff-queue")  # no longer his to see
    assert "is no longer in your queue" in page_text(response)


def test_it_lets_an_agent_transfer_but_not_pick_a_person(client, cast, case):
    data = {"department": "parks", "assignee": cast.carol.pk}
    assert post(client, cast.erin, case, "staff-assign", data).status_code == 302
    case = fresh(case)
    assert case.department == cast.parks and case.assignee is None


def test_it_says_so_when_a_person_is_not_in_the_department(client, cast, case):
    response = post(client, cast.dave, case, "staff-assign", {"department": "parks", "assignee": cast.bob.pk})
    assert response.status_code == 400
    assert "Bob Worker does not work in Parks." in page_text(response)
    assert fresh(case).department == cast.public_works


def test_it_lists_a_departments_people_for_the_person_select(client, cast):
    client.force_login(cast.dave)
    text = page_text(client.get(reverse("staff-people"), {"assign-department": "parks"}, headers=HTMX))
    assert "Carol Ranger" in text and "Bob Worker" not in text and "Nobody (unassigned)" in text


# ---------------------------------------------------------------- status


def test_it_changes_the_status(client, cast, case):
    assert post(client, cast.bob, case, "staff-status", {"status": "in_progress"}).status_code == 302
    assert fresh(case).status == "in_progress"
    assert len(events(case, EventKind.STATUS)) == 1


def test_it_asks_for_a_reason_when_rejecting(client, cast, case):
    response = post(client, cast.bob, case, "staff-status", {"status": "rejected", "reason": ""})
    assert response.status_code == 400
    assert 'href="#field-status-reason"' in page_text(response)
    assert fresh(case).status == "new"


def test_it_refuses_a_status_the_machine_does_not_allow(client, cast, case):
    response = post(client, cast.bob, case, "staff-status", {"status": "closed"})
    assert response.status_code == 400 and fresh(case).status == "new"


def test_it_sends_a_message_with_a_status_change(client, cast, case):
    data = {"status": "resolved", "message": "Filled it in"}
    assert post(client, cast.bob, case, "staff-status", data).status_code == 302
    assert events(case, EventKind.REPLY)[0].message == "Filled it in"


# ---------------------------------------------------------------- priority and service


def test_it_changes_the_priority(client, cast, case):
    assert post(client, cast.bob, case, "staff-priority", {"priority": "1"}).status_code == 302
    assert fresh(case).priority == Priority.URGENT


def test_it_refuses_agents_changing_the_priority(client, cast, case):
    response = post(client, cast.erin, case, "staff-priority", {"priority": "1"})
    assert response.status_code == 403
    assert "You may not change the priority of this case." in page_text(response)
    assert fresh(case).priority == Priority.NORMAL and not events(case, EventKind.PRIORITY)


def test_it_says_nothing_changed_for_the_same_priority(client, cast, case):
    response = post(client, cast.bob, case, "staff-priority", {"priority": "3"}, follow=True)
    assert "Nothing changed." in page_text(response)
    assert not events(case, EventKind.PRIORITY)


def test_it_changes_the_service(client, cast, case):
    assert post(client, cast.erin, case, "staff-recategorise", {"service": "tree"}).status_code == 302
    assert fresh(case).service == cast.tree
    assert len(events(case, EventKind.RECATEGORISED)) == 1


# ---------------------------------------------------------------- merge


def test_it_merges_into_a_case_given_by_number(client, cast, case, report):
    original = report(description="The first report")
    assert post(client, cast.bob, case, "staff-merge", {"target": original.number}).status_code == 302
    case = fresh(case)
    assert case.status == "duplicate" and case.duplicate_of == original
    assert len(events(original, EventKind.DUPLICATE_ADDED)) == 1


def test_it_merges_into_a_case_picked_from_the_search(client, cast, case, report):
    original = report(description="The first report")
    response = post(client, cast.bob, case, "staff-merge", {"target": "", "pick": original.number})
    assert response.status_code == 302 and fresh(case).duplicate_of == original


def test_it_treats_a_case_in_another_department_as_unknown_when_merging(client, cast, case, report):
    elsewhere = report(service=cast.tree)
    response = post(client, cast.bob, case, "staff-merge", {"target": elsewhere.number})
    assert response.status_code == 400
    assert f"There is no case {elsewhere.number}." in page_text(response)
    assert fresh(case).status == "new"


def test_it_finds_merge_targets_as_the_user_types(client, cast, case, report):
    original = report(description="Sinkhole near the library")
    report(service=cast.tree, description="Sinkhole in the park")  # Parks: not Bob's to see
    client.force_login(cast.bob)
    url = case_url(case, "staff-merge-search")
    text = page_text(client.get(url, {"merge-target": "sinkhole"}, headers=HTMX))
    assert f'name="merge-pick" value="{original.number}"' in text
    assert "in the park" not in text and "<html" not in text


# ---------------------------------------------------------------- photos


def png():
    data = io.BytesIO()
    Image.new("RGB", (20, 20), "blue").save(data, format="PNG")
    return SimpleUploadedFile("p.png", data.getvalue(), content_type="image/png")


def test_it_adds_a_photo(client, cast, case):
    response = post(client, cast.bob, case, "staff-attach", {"file": png(), "public": "on"})
    assert response.status_code == 302
    assert case.attachments.get().public is True
    assert len(events(case, EventKind.ATTACHMENT)) == 1


def test_it_explains_a_file_that_is_not_a_photo(client, cast, case):
    bad = SimpleUploadedFile("notes.png", b"not an image", content_type="image/png")
    response = post(client, cast.bob, case, "staff-attach", {"file": bad})
    assert response.status_code == 400
    assert "is not a photo we can read" in page_text(response)
    assert not case.attachments.exists()


# ---------------------------------------------------------------- stale forms and htmx


def test_it_refuses_a_stale_form_with_a_clear_message_and_keeps_the_text(client, cast, case):
    client.force_login(cast.bob)
    old_version = str(case.version)
    actions.change_priority(case, cast.dave, Priority.HIGH)  # someone else, meanwhile
    data = {"reply-version": old_version, "reply-message": "Typed before the change"}
    response = client.post(case_url(case, "staff-reply"), data)
    assert response.status_code == 409
    text = page_text(response)
    assert "was changed by someone else" in text
    assert "Typed before the change</textarea>" in text
    assert f'name="reply-version" value="{fresh(case).version}"' in text
    assert not events(case, EventKind.REPLY)


def test_it_answers_htmx_with_the_case_partial_and_the_message(client, cast, case):
    response = post(client, cast.bob, case, "staff-note", {"message": "Via htmx"}, headers=HTMX, follow=True)
    text = page_text(response)
    assert response.status_code == 200 and "<html" not in text
    assert text.lstrip().startswith('<div id="case-main"')
    assert (
        '<div id="staff-messages" hx-swap-oob="innerHTML"><p class="msg success">Internal note added.</p>'
        in text
    )


def test_it_answers_htmx_errors_with_status_200_so_they_are_swapped_in(client, cast, case):
    response = post(client, cast.bob, case, "staff-reply", {"message": ""}, headers=HTMX)
    assert response.status_code == 200
    assert 'class="error-summary"' in page_text(response)
