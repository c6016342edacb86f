"""One error shape for everything that can go wrong, and never a 5xx for bad input."""

import pytest
from django.test import override_settings

from .conftest import error_of


@pytest.fixture
def bob(api):
    return api("bob")


def test_it_answers_malformed_json_with_400(bob, pothole_case):
    response = bob.post(f"/cases/{pothole_case.number}/notes", '{"message": ')
    assert response.status_code == 400
    assert error_of(response) == {"code": "malformed_json", "message": "The request body is not valid JSON."}


def test_it_refuses_json_with_nan_which_is_not_json(bob, pothole_case):
    response = bob.post(f"/cases/{pothole_case.number}/priority", '{"priority": NaN}')
    assert response.status_code == 400


def test_it_answers_a_wrong_content_type_with_415(bob, pothole_case):
    response = bob.send(
        "POST",
        f"/cases/{pothole_case.number}/notes",
        "message=hello",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 415 and error_of(response)["code"] == "unsupported_media_type"
    assert not pothole_case.events.filter(kind="note").exists()


@override_settings(API_MAX_BODY=1000)
def test_it_answers_a_huge_body_with_413(bob, pothole_case):
    response = bob.post(f"/cases/{pothole_case.number}/notes", {"message": "x" * 2000})
    assert response.status_code == 413 and error_of(response)["code"] == "payload_too_large"


def test_it_answers_a_body_over_djangos_limit_with_413(bob, pothole_case, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = bob.post(f"/cases/{pothole_case.number}/notes", {"message": "x" * 200})
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"priority": "urgent"}, "priority"),
        ({"priority": 1.5}, "priority"),
        ({"priority": [1]}, "priority"),
        ({}, "priority"),
        ([], "priority"),
        ('"just text"', "priority"),
    ],
)
def test_it_names_the_field_of_a_wrong_type(bob, pothole_case, body, field):
    response = bob.post(f"/cases/{pothole_case.number}/priority", body)
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "validation_error" and field in error["fields"], error


def test_it_refuses_nul_characters_before_they_reach_the_database(bob, pothole_case):
    response = bob.post(f"/cases/{pothole_case.number}/notes", {"message": "a\u0000b"})
    assert response.status_code == 422 and "message" in error_of(response)["fields"]
    assert bob.get("/cases", {"q": "a\x00b"}).status_code == 422
    lone = bob.post(f"/cases/{pothole_case.number}/notes", '{"message": "\\ud800"}')
    assert lone.status_code == 422


def test_it_answers_unknown_addresses_and_cases_in_the_error_shape(bob):
    assert error_of(bob.get("/no/such/thing"))["code"] == "not_found"
    response = bob.get("/cases/26-999999")
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"
    assert bob.get("/cases/bad%20number").status_code == 422


def test_it_gives_validation_errors_from_the_actions_by_field(bob, pothole_case):
    response = bob.post(f"/cases/{pothole_case.number}/notes", {"message": "   "})
    assert response.status_code == 422
    assert error_of(response)["fields"] == {"message": ["This field cannot be empty."]}


def test_it_translates_error_messages(bob, pothole_case):
    response = bob.post(
        f"/cases/{pothole_case.number}/notes", {"message": "   "}, **{"Accept-Language": "es"}
    )
    assert response.status_code == 422
    assert error_of(response)["fields"]["message"] != ["This field cannot be empty."]


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", '{"message": "caf\u00e9"}'.encode("latin-1")),
        ("application/json", '{"message": "cafe"}'.encode("utf-16")),
        ("application/json", '{"message": "cafe"}'.encode("utf-32")),
        ("application/json; charset=latin-1", b'{"message": "cafe"}'),
        ("application/json; charset=utf-16", '{"message": "cafe"}'.encode("utf-16")),
    ],
)
def test_it_answers_a_body_that_is_not_utf8_with_400(bob, pothole_case, content_type, body):
    # generic(): the test client's post() would re-encode the bytes for the declared charset.
    url = f"/api/v1/cases/{pothole_case.number}/notes"
    response = bob.client.generic("POST", url, body, content_type=content_type, headers=bob.headers({}))
    assert response.status_code == 400
    assert error_of(response) == {
        "code": "unsupported_charset",
        "message": "Send the request body as UTF-8 JSON.",
    }
    assert not pothole_case.events.filter(kind="note").exists()


def test_it_accepts_utf8_json_with_or_without_a_charset_or_bom(bob, pothole_case):
    url = f"/cases/{pothole_case.number}/notes"
    for content_type, prefix in (
        ("application/json; charset=UTF-8", b""),
        ("application/json", b"\xef\xbb\xbf"),
    ):
        body = prefix + '{"message": "caf\u00e9"}'.encode()
        assert bob.send("POST", url, body, content_type=content_type).status_code == 200
    assert list(pothole_case.events.filter(kind="note").values_list("message", flat=True)) == ["café", "café"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"message": "a\\u0000b"}', "message"),
        ('{"message": "a", "x\\u0000": 1}', "x\\0"),
        ('{"service": "pothole", "description": "x", "answers": {"depth": "deep\\u0000"}}', "answers.depth"),
        ('{"service": "pothole", "description": "x\\u0000", "answers": {"depth": "deep"}}', "description"),
    ],
)
def test_it_names_the_field_that_carries_a_nul(bob, pothole_case, body, field):
    path = "/cases" if "service" in body else f"/cases/{pothole_case.number}/notes"
    response = bob.post(path, body)
    assert response.status_code == 422
    assert list(error_of(response)["fields"]) == [field]


@pytest.mark.parametrize(("query", "field"), [({"q": "a\x00"}, "q"), ({"service": "\x00"}, "service")])
def test_it_names_the_query_parameter_that_carries_a_nul(bob, pothole_case, query, field):
    response = bob.get("/cases", query)
    assert response.status_code == 422 and list(error_of(response)["fields"]) == [field]
    assert bob.get(f"/cases/{pothole_case.number}%00").status_code == 422
