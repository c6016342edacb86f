"""Who may enter the staff workspace, and the 404 (never 403) for cases outside one's departments."""

import pytest
from django.urls import reverse

from civicdesk.cases.models import CaseEvent

from .helpers import case_url


def test_it_sends_anonymous_visitors_to_sign_in(client, cast):
    response = client.get(reverse("staff-queue"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("name", ["staff-queue", "staff-intake"])
def test_it_refuses_residents(client, cast, name):
    client.force_login(cast.alice)
    assert client.get(reverse(name)).status_code == 403


def test_it_refuses_residents_a_case_page(client, cast, report):
    case = report(reporter=cast.alice)
    client.force_login(cast.alice)
    assert client.get(case_url(case)).status_code == 403


def test_it_answers_404_for_a_case_in_another_department(client, cast, report):
    case = report()  # Public Works
    client.force_login(cast.carol)
    assert client.get(case_url(case)).status_code == 404


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("staff-reply", {"reply-version": "1", "reply-message": "hi"}),
        ("staff-note", {"note-version": "1", "note-message": "hi"}),
        ("staff-status", {"status-version": "1", "status-status": "open"}),
        ("staff-priority", {"priority-version": "1", "priority-priority": "1"}),
        ("staff-contact", {}),
    ],
)
def test_it_answers_404_to_actions_on_a_case_in_another_department(client, cast, report, name, data):
    case = report()
    before = CaseEvent.objects.filter(case=case).count()
    client.force_login(cast.carol)
    assert client.post(case_url(case, name), data).status_code == 404
    assert CaseEvent.objects.filter(case=case).count() == before


def test_it_answers_404_for_an_unknown_case(client, cast):
    client.force_login(cast.root)
    assert client.get(reverse("staff-case", args=["99-999999"])).status_code == 404


def test_it_refuses_get_on_actions(client, cast, report):
    case = report()
    client.force_login(cast.bob)
    assert client.get(case_url(case, "staff-reply")).status_code == 405
