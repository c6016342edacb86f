"""Bulk actions from the queue: one action call and one event per case; failures named with reasons."""

import pytest
from django.urls import reverse

from civicdesk.cases import actions
from civicdesk.cases.models import Case, CaseEvent, EventKind, Priority

from .helpers import HTMX, page_text


@pytest.fixture
def three(report):
    return [report(description=f"Hole {i}") for i in range(3)]


def refs(cases):
    return [f"{c.number}:{Case.objects.get(pk=c.pk).version}" for c in cases]


def bulk(client, user, cases, action, follow=True, **fields):
    client.force_login(user)
    data = {"bulk-cases": refs(cases), "bulk-action": action, "next": "/staff/?status=active"}
    data.update({f"bulk-{k}": v for k, v in fields.items()})
    return client.post(reverse("staff-bulk"), data, follow=follow)


def test_it_sets_the_priority_of_each_case_with_one_event_each(client, cast, three):
    response = bulk(client, cast.bob, three, "priority", priority=Priority.URGENT)
    assert response.redirect_chain[0][0] == "/staff/?status=active"
    assert set(Case.objects.values_list("priority", flat=True)) == {Priority.URGENT}
    for case in three:
        assert CaseEvent.objects.filter(case=case, kind=EventKind.PRIORITY).count() == 1
    assert "Updated 3 cases." in page_text(response)


def test_it_assigns_each_case(client, cast, three):
    bulk(client, cast.dave, three, "assign", assignee=cast.bob.pk)
    assert set(Case.objects.values_list("assignee", flat=True)) == {cast.bob.pk}
    assert CaseEvent.objects.filter(kind=EventKind.ASSIGNED).count() == 3


def test_it_sends_each_case_to_a_department(client, cast, three):
    bulk(client, cast.erin, three, "department", department="parks")
    assert set(Case.objects.values_list("department", flat=True)) == {cast.parks.pk}


def test_it_reports_which_cases_failed_and_why(client, cast, three, report):
    resolved, stale, hidden = three[0], three[1], report(service=cast.tree)
    actions.change_status(resolved, cast.bob, "resolved")
    cases = [*three, hidden]
    data_refs = refs(cases)
    actions.add_note(stale, cast.dave, "Changed meanwhile")
    client.force_login(cast.bob)
    data = {"bulk-cases": data_refs, "bulk-action": "status", "bulk-status": "in_progress"}
    text = page_text(client.post(reverse("staff-bulk"), data, follow=True))
    assert "Updated 1 case." in text and "3 cases were not changed:" in text
    assert f"{resolved.number}: A case that is “Resolved” cannot become “In progress”." in text
    assert f"{stale.number}: changed by someone else since you loaded the list" in text
    assert f"{hidden.number}: no such case" in text
    assert Case.objects.get(pk=three[2].pk).status == "in_progress"
    assert Case.objects.get(pk=stale.pk).status == "new"


def test_it_refuses_what_a_role_may_not_do_case_by_case(client, cast, three):
    text = page_text(bulk(client, cast.erin, three, "priority", priority=Priority.LOW))
    assert "3 cases were not changed:" in text and "you may not do that to this case" in text
    assert not CaseEvent.objects.filter(kind=EventKind.PRIORITY).exists()


def test_it_needs_a_value_for_the_chosen_action(client, cast, three):
    text = page_text(bulk(client, cast.bob, three, "priority", priority=""))
    assert "Choose a value for this action." in text
    assert not CaseEvent.objects.filter(kind=EventKind.PRIORITY).exists()


def test_it_needs_a_reason_for_rejecting(client, cast, three):
    text = page_text(bulk(client, cast.bob, three, "status", status="rejected"))
    assert "Give a reason for this status." in text
    assert not Case.objects.filter(status="rejected").exists()


def test_it_needs_at_least_one_case(client, cast):
    client.force_login(cast.bob)
    data = {"bulk-action": "priority", "bulk-priority": "1"}
    text = page_text(client.post(reverse("staff-bulk"), data, follow=True))
    assert "Tick at least one case in the list." in text


def test_it_ignores_an_outside_next_url(client, cast, three):
    client.force_login(cast.bob)
    data = {
        "bulk-cases": refs(three),
        "bulk-action": "priority",
        "bulk-priority": "2",
        "next": "https://evil.test/",
    }
    assert client.post(reverse("staff-bulk"), data)["Location"] == reverse("staff-queue")


def test_it_answers_htmx_with_the_refreshed_results(client, cast, three):
    client.force_login(cast.bob)
    data = {"bulk-cases": refs(three), "bulk-action": "priority", "bulk-priority": "1", "next": "/staff/"}
    response = client.post(reverse("staff-bulk"), data, headers=HTMX, follow=True)
    text = page_text(response)
    assert text.lstrip().startswith('<div id="queue-results">')
    assert "Updated 3 cases." in text and "Urgent" in text


@pytest.mark.parametrize("next_page", ["-1", "1e309", "nan"])
def test_it_goes_back_to_the_queue_when_next_is_not_a_path(client, cast, three, next_page):
    client.force_login(cast.bob)
    data = {"bulk-cases": refs(three), "bulk-action": "priority", "bulk-priority": Priority.URGENT}
    response = client.post(reverse("staff-bulk"), {**data, "next": next_page})
    assert response.status_code == 302 and response.url == reverse("staff-queue")


def test_it_takes_a_version_that_is_not_an_ascii_number_as_no_version(client, cast, three):
    client.force_login(cast.bob)
    data = {
        "bulk-cases": [f"{three[0].number}:²"],
        "bulk-action": "priority",
        "bulk-priority": Priority.URGENT,
    }
    response = client.post(reverse("staff-bulk"), data, follow=True)
    assert response.status_code == 200


def test_it_keeps_the_people_on_cases_already_in_the_chosen_department(client, cast, three):
    """Sending cases to the department they are in is no transfer: nobody loses their case."""
    for case, person in zip(three, [cast.bob, cast.dave, cast.bob], strict=True):
        actions.assign(case, cast.dave, assignee=person)
    text = page_text(bulk(client, cast.dave, three, "department", department="public-works"))
    assert "were not changed" not in text
    assert list(Case.objects.order_by("pk").values_list("department", "assignee")) == [
        (cast.public_works.pk, cast.bob.pk),
        (cast.public_works.pk, cast.dave.pk),
        (cast.public_works.pk, cast.bob.pk),
    ]
    assert CaseEvent.objects.filter(kind=EventKind.ASSIGNED).count() == 3  # only the assignments above


def test_it_clears_the_person_of_each_case_it_transfers(client, cast, three):
    actions.assign(three[0], cast.dave, assignee=cast.bob)
    assert "Updated 3 cases." in page_text(bulk(client, cast.root, three, "department", department="parks"))
    assert set(Case.objects.values_list("department", "assignee")) == {(cast.parks.pk, None)}


def test_it_refuses_a_nul_in_a_case_reference_without_a_server_error(client, cast, three):
    client.force_login(cast.dave)
    data = {
        "bulk-cases": [f"{three[0].number}\x00:1"],
        "bulk-action": "priority",
        "bulk-priority": Priority.URGENT,
    }
    response = client.post(reverse("staff-bulk"), data, follow=True)
    assert response.status_code < 500
    assert not CaseEvent.objects.filter(kind=EventKind.PRIORITY).exists()
