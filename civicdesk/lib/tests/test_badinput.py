"""NUL characters and text that is not UTF-8 on the pages: a 400 or a field error, never a 500.

PostgreSQL refuses NUL even in a lookup, so on PostgreSQL each of these was a 500 before; on
SQLite the text was stored. Run on both databases.
"""

import pytest
from django.test import Client
from django.urls import reverse

from civicdesk.cases import actions
from civicdesk.cases.models import Case, CaseEvent
from civicdesk.lib.badinput import nul_field, undecodable_field

NULL_MESSAGE = "Null characters are not allowed."


@pytest.fixture
def client():
    """A client that answers 500 instead of raising, as the server would."""
    return Client(raise_request_exception=False)


@pytest.fixture
def case(cast):
    return actions.submit_case(
        service=cast.pothole, answers={"depth": "deep"}, description="Hole", reporter_email="r@example.org"
    )


def test_it_names_the_field_with_a_nul_or_undecodable_bytes():
    assert nul_field([("a", "ok"), ("b", "x\x00y")]) == "b"
    assert nul_field([("a\x00", "ok")]) == "a\\0"
    assert nul_field([("a", "ok"), ("b", None)]) is None
    assert undecodable_field(b"a=caf%C3%A9&b=caf%E9") == "b"
    assert undecodable_field(b"a=caf\xe9") == "a"
    assert undecodable_field(b"a=1&=%FF") == ""
    assert undecodable_field(b"a=1&b=%E2%82%AC+x") is None


@pytest.mark.parametrize(
    "url",
    [
        "/?q=%00",
        "/cases/%00/",
        "/track/%00/",
        "/submitted/%00/",
        "/open-data/cases.csv?service=%00",
        "/accounts/login/?next=%00",
    ],
)
def test_it_answers_a_nul_in_a_public_address_with_400(client, cast, url):
    response = client.get(url)
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()


@pytest.mark.parametrize(
    "query",
    ["q=%00", "status=%00", "service=%00", "tag=%00", "after=%00", "x%00=1"],
)
def test_it_answers_a_nul_in_the_staff_queue_filters_with_400(client, cast, query):
    client.force_login(cast.bob)
    response = client.get(f"/staff/?{query}")
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()


def test_it_answers_a_nul_in_other_staff_addresses_with_400(client, cast, case):
    client.force_login(cast.dave)
    for url in (
        f"/staff/cases/{case.number}%00/",
        "/staff/people/?assign-department=%00",
        "/staff/export.csv?q=%00",
        f"/staff/cases/{case.number}/merge/search/?merge-target=%00",
    ):
        assert client.get(url).status_code == 400, url
    client.force_login(cast.erin)
    assert client.get("/staff/intake/?service=%00").status_code == 400


def test_it_answers_the_report_form_with_field_errors_for_nul(client, cast):
    url = reverse("portal-report", args=["pothole"])
    data = {"description": "a\x00b", "attr_depth": "deep", "address": "1 Elm\x00St", "name": "R\x00"}
    response = client.post(url, data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {name: errors[name] for name in ("description", "address", "name")} == dict.fromkeys(
        ("description", "address", "name"), [NULL_MESSAGE]
    )
    assert not Case.objects.exists()


def test_it_answers_a_tracking_page_comment_with_a_field_error_for_nul(client, case):
    response = client.post(reverse("portal-track", args=[case.tracking_token]), {"message": "hi\x00"})
    assert response.status_code == 200 and NULL_MESSAGE in response.content.decode()
    assert not CaseEvent.objects.filter(case=case, message__contains="hi").exists()


def test_it_answers_agent_intake_with_field_errors_for_nul(client, cast):
    client.force_login(cast.erin)
    data = {
        "channel": "phone",
        "reporter_name": "Carl\x00",
        "reporter_phone": "555",
        "language": "en",
        "service": "pothole\x00",
        "description": "Hole\x00",
        "attr_depth": "deep",
    }
    response = client.post(reverse("staff-intake"), data)
    assert response.status_code == 400
    assert NULL_MESSAGE in response.content.decode()
    assert not Case.objects.exists()


def test_it_answers_a_staff_note_with_a_field_error_for_nul(client, cast, case):
    client.force_login(cast.bob)
    url = reverse("staff-note", args=[case.number])
    response = client.post(url, {"note-message": "crew\x00note", "note-version": case.version})
    assert response.status_code == 400 and NULL_MESSAGE in response.content.decode()
    assert not CaseEvent.objects.filter(case=case, message__contains="crew").exists()


def test_it_answers_the_sign_in_form_with_a_field_error_for_nul(client, cast):
    response = client.post(reverse("account_login"), {"login": "alice@demo.test\x00", "password": "x\x00"})
    assert response.status_code == 200 and NULL_MESSAGE in response.content.decode()


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded; charset=latin-1", "description=caf\xe9".encode("latin-1")),
        ("application/x-www-form-urlencoded; charset=utf-16", "description=cafe".encode("utf-16")),
        ("application/x-www-form-urlencoded", b"description=caf%E9&attr_depth=deep"),
        ("application/x-www-form-urlencoded", b"description=caf\xe9&attr_depth=deep"),
        ("multipart/form-data; boundary=x; charset=utf-16", b"--x--\r\n"),
    ],
)
def test_it_answers_form_bodies_that_are_not_utf8_with_400(client, cast, content_type, body):
    url = reverse("portal-report", args=["pothole"])
    response = client.generic("POST", url, body, content_type=content_type)
    assert response.status_code == 400
    assert "UTF-8" in response.content.decode()
    assert not Case.objects.exists()


def test_it_accepts_utf8_forms_declared_with_any_spelling(client, cast):
    url = reverse("portal-report", args=["pothole"])
    body = b"description=caf%C3%A9+%E2%82%AC&attr_depth=deep&address=1+Elm+St"
    # Percent-encoded bytes are ASCII on the wire, so a form declared US-ASCII is fine too.
    for charset in ("", "; charset=utf-8", "; charset=UTF8", "; charset=us-ascii"):
        response = client.generic(
            "POST", url, body, content_type="application/x-www-form-urlencoded" + charset
        )
        assert response.status_code == 302, charset
    assert set(Case.objects.values_list("description", flat=True)) == {"café €"}


def test_it_answers_in_spanish(client, cast):
    response = client.get("/?q=%00", headers={"Accept-Language": "es"})
    assert response.status_code == 400 and "NUL" in response.content.decode()
    assert "This request cannot be read" not in response.content.decode()


def test_it_answers_a_nul_in_an_admin_json_field_with_400(client, cast):
    client.force_login(cast.root)
    data = {"code": "x", "name": "X", "group": "G", "default_priority": "3"}
    for field, text in (("translations", '{"es": {"name": "a\\u0000"}}'), ("name", "X\x00")):
        response = client.post("/admin/cases/service/add/", data | {field: text})
        assert response.status_code == 400, field
        assert f"The field “{field}” contains a NUL character." in response.content.decode()
    assert not cast.pothole.__class__.objects.filter(code="x").exists()
