"""POST requests.{fmt}: through submit_case (routing, SLA, acknowledgement), spec-shaped errors."""

import pytest
from django.core import mail

from civicdesk.cases.models import (
    Case,
    CaseEvent,
    CaseNumber,
    Channel,
    Datatype,
    EventKind,
    Service,
    ServiceAttribute,
)
from civicdesk.notify.models import OutboxMessage
from civicdesk.open311.models import Submission

from .helpers import error_lines, png, post, xml


def test_it_creates_a_routed_case_with_sla_and_acknowledgement(
    client, cast, sla, api_key, schemas, django_capture_on_commit_callbacks
):
    row, key = api_key
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            client,
            key,
            email="Pat@Example.org",
            first_name="Pat",
            last_name="Lee",
            phone="555-0100",
            account_id="u-7",
        )
    assert response.status_code == 200, response.content
    (reply,) = schemas("requests.json", response.json())
    case = Case.objects.get(number=reply["service_request_id"])
    assert case.channel == Channel.API and case.department == cast.public_works
    assert case.reporter_name == "Pat Lee" and case.reporter_email == "pat@example.org"
    assert case.reporter_phone == "555-0100" and case.attributes == {"depth": "deep"}
    assert case.expected_at is not None and case.events.filter(kind=EventKind.ROUTED).exists()
    assert reply["service_notice"].startswith("We aim to deal with this by")
    assert reply["account_id"] == "u-7" and reply["token"] == case.open311_submission.token
    assert OutboxMessage.objects.filter(recipient="pat@example.org", kind="acknowledgement").exists()
    assert mail.outbox[0].to == ["pat@example.org"] and case.number in mail.outbox[0].subject
    row.refresh_from_db()
    assert row.last_used_at is not None


def test_it_replies_in_xml_as_the_spec_says(client, cast, api_key):
    root = xml(post(client, api_key[1], fmt="xml"))
    assert root.tag == "service_requests"
    (request,) = root
    assert request.tag == "request"
    assert [c.tag for c in request][:4] == ["service_request_id", "token", "service_notice", "account_id"]
    assert Case.objects.filter(number=request.findtext("service_request_id")).exists()


def test_it_answers_tokens_it_issued(client, cast, api_key):
    reply = post(client, api_key[1]).json()[0]
    body = client.get(f"/open311/v2/tokens/{reply['token']}.json").json()
    assert body == [{"service_request_id": reply["service_request_id"], "token": reply["token"]}]
    assert client.get("/open311/v2/tokens/made-up.json").status_code == 404
    case = Case.objects.get(number=reply["service_request_id"])
    assert client.get(f"/open311/v2/tokens/{case.tracking_token}.xml").status_code == 404


def test_it_needs_a_valid_active_api_key(client, cast, api_key):
    row, key = api_key
    for given, message in (
        (None, "an API key is required"),
        ("", "an API key is required"),
        ("wrong", "not valid"),
    ):
        response = post(client, given)
        assert response.status_code == 403
        (line,) = error_lines(response)
        assert line.startswith("403 api_key: ") and message in line
    row.revoke()
    assert post(client, key).status_code == 403
    assert not Case.objects.exists()


def test_it_limits_each_key_with_retry_after(client, cast, api_key):
    row, key = api_key
    row.rate = "2/h"
    row.save()
    assert [post(client, key).status_code for _ in range(3)] == [200, 200, 429]
    response = post(client, key, fmt="xml")
    assert response.status_code == 429 and 0 < int(response["Retry-After"]) <= 3600
    assert xml(response).find("error").findtext("code") == "429"
    assert Case.objects.count() == 2


def test_it_names_each_bad_field_in_its_own_error(client, cast, api_key):
    response = post(
        client, api_key[1], **{"attribute[depth]": None, "attribute[width_cm]": "wide", "email": "x@"}
    )
    assert response.status_code == 400
    assert sorted(error_lines(response)) == [
        "400 attribute[depth]: This question needs an answer.",
        "400 attribute[width_cm]: Enter a number.",
        "400 email: Enter a valid e-mail address.",
    ]
    assert not Case.objects.exists()


def test_it_checks_service_and_location(client, cast, api_key):
    key = api_key[1]
    cases = [
        ({"service_code": None}, "400 service_code: choose a service"),
        ({"service_code": "nope"}, "400 service_code: there is no service “nope”."),
        ({"lat": None, "long": None}, "400 location: give lat and long, address_string or address_id."),
        ({"long": None}, "400 long: give lat and long together."),
        ({"lat": "91"}, "400 lat: This point is not on Earth"),
        ({"long": "east"}, "400 long: Enter a number."),
        ({"lat": "nan"}, "400 lat: Enter a number."),
        ({"media_url": "javascript:alert(1)"}, "400 media_url: give an http or https address."),
        ({"device_id": "d" * 101}, "400 device_id: use at most 100 characters."),
        ({"description": "x" * 4001}, "400 description: Use at most 4000 characters"),
    ]
    for fields, expected in cases:
        response = post(client, key, **fields)
        assert response.status_code == 400, fields
        assert error_lines(response)[0].startswith(expected), (fields, error_lines(response))
    assert not Case.objects.exists()


def test_it_accepts_an_address_or_address_id_instead_of_a_point(client, cast, api_key):
    by_address = post(client, api_key[1], lat=None, long=None, address_string="1 Main St").json()[0]
    assert Case.objects.get(number=by_address["service_request_id"]).address == "1 Main St"
    by_id = post(client, api_key[1], lat=None, long=None, address_id="ADDR-42").json()[0]
    case = Case.objects.get(number=by_id["service_request_id"])
    assert case.open311_submission.address_id == "ADDR-42" and "ADDR-42" in case.address
    (listed,) = client.get(f"/open311/v2/requests/{case.number}.json").json()
    assert listed["address_id"] == "ADDR-42"


def test_it_checks_answers_of_every_datatype(client, cast, api_key):
    service = Service.objects.create(code="survey", name="Survey")
    for order, (code, datatype) in enumerate(
        [
            ("s", "string"),
            ("n", "number"),
            ("d", "datetime"),
            ("t", "text"),
            ("one", "singlevaluelist"),
            ("many", "multivaluelist"),
        ]
    ):
        values = [{"key": "a", "name": "A"}, {"key": "b", "name": "B"}] if "list" in datatype else []
        ServiceAttribute.objects.create(
            service=service, code=code, label=code, datatype=datatype, order=order, values=values
        )
    good = {
        "attribute[s]": "short",
        "attribute[n]": "12.5",
        "attribute[d]": "2026-05-01T14:30:00-04:00",
        "attribute[t]": "long text",
        "attribute[one]": "a",
        "attribute[many][]": ["a", "b"],
        "attribute[depth]": None,
    }
    reply = post(client, api_key[1], service_code="survey", **good)
    assert reply.status_code == 200, reply.content
    case = Case.objects.get(number=reply.json()[0]["service_request_id"])
    assert case.attributes == {
        "s": "short",
        "n": 12.5,
        "d": "2026-05-01T14:30:00-04:00",
        "t": "long text",
        "one": "a",
        "many": ["a", "b"],
    }
    bad = {
        "attribute[s]": "x" * 201,
        "attribute[n]": "12 apples",
        "attribute[d]": "2026-05-01T14:30:00",
        "attribute[t]": "y" * 4001,
        "attribute[one][]": ["a", "b"],
        "attribute[many][]": ["a", "zzz"],
        "attribute[colour]": "red",
        "attribute[depth]": None,
    }
    lines = error_lines(post(client, api_key[1], service_code="survey", **bad))
    assert sorted(line.split(":")[0] for line in lines) == [
        "400 attribute[colour]",
        "400 attribute[d]",
        "400 attribute[many]",
        "400 attribute[n]",
        "400 attribute[one]",
        "400 attribute[s]",
        "400 attribute[t]",
    ]
    huge = post(
        client, api_key[1], service_code="survey", **{"attribute[n]": "1e100000000", "attribute[depth]": None}
    )
    assert error_lines(huge) == ["400 attribute[n]: Enter a number."]
    assert Datatype.values == ["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]


def test_it_takes_a_photo_as_multipart_media(client, cast, api_key, settings):
    settings.SITE_URL = "http://testserver"
    response = post(client, api_key[1], media=png())
    assert response.status_code == 200, response.content
    case = Case.objects.get(number=response.json()[0]["service_request_id"])
    photo = case.attachments.get()
    assert photo.public and photo.content_type == "image/png"
    (listed,) = client.get(f"/open311/v2/requests/{case.number}.json").json()
    assert listed["media_url"] == f"http://testserver/photos/{photo.pk}/full/"


def test_it_refuses_a_file_that_is_not_a_photo(client, cast, api_key):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("x.png", b"not an image", content_type="image/png")
    response = post(client, api_key[1], media=fake)
    assert response.status_code == 400
    assert error_lines(response)[0].startswith("400 media: “x.png” is not a photo we can read")


def test_it_keeps_client_details_out_of_the_case_but_on_record(client, cast, api_key):
    reply = post(
        client, api_key[1], device_id="dev-1", account_id="acc-1", media_url="https://pics.example/1.jpg"
    )
    submission = Submission.objects.get(case__number=reply.json()[0]["service_request_id"])
    assert (submission.device_id, submission.account_id, submission.api_key) == ("dev-1", "acc-1", api_key[0])
    assert submission.media_url == "https://pics.example/1.jpg"


def test_it_lets_the_body_win_over_the_query_string_without_merging(client, cast, api_key):
    body = {"api_key": api_key[1], "service_code": "pothole", "lat": "42.36", "long": "-71.06"}
    url = "/open311/v2/requests.json?attribute[depth]=shallow&attribute[width_cm]=30"
    response = client.post(url, body | {"attribute[depth]": "deep"})
    assert response.status_code == 200, response.content
    case = Case.objects.get(number=response.json()[0]["service_request_id"])
    assert case.attributes == {"depth": "deep", "width_cm": 30}


def test_it_refuses_an_api_key_in_the_query_string(client, cast, api_key):
    row, key = api_key
    body = {"service_code": "pothole", "lat": "42.36", "long": "-71.06", "attribute[depth]": "deep"}
    response = client.post(f"/open311/v2/requests.json?api_key={key}", body)
    assert response.status_code == 403
    assert error_lines(response) == [
        "403 api_key: send the API key in the POST body, not in the query string."
    ]
    assert not Case.objects.exists()
    row.refresh_from_db()
    assert row.last_used_at is None


# ---------------------------------------------------------------- one transaction for the case and its record


class Boom(RuntimeError):
    pass


def explode(*args, **kwargs):
    raise Boom("the database went away mid-write")


def test_it_keeps_no_case_when_its_submission_record_cannot_be_written(client, cast, api_key, monkeypatch):
    monkeypatch.setattr(Submission, "save", explode)
    with pytest.raises(Boom):
        post(client, api_key[1], email="pat@example.org", media=png())
    assert not Case.objects.exists() and not CaseEvent.objects.exists()
    assert not OutboxMessage.objects.exists() and not CaseNumber.objects.filter(last__gt=0).exists()


def test_it_keeps_no_submission_record_when_the_case_fails_after_it(client, cast, api_key, monkeypatch):
    written, save = [], Submission.save

    def save_and_note(self, *args, **kwargs):
        save(self, *args, **kwargs)
        written.append(self.pk)

    monkeypatch.setattr(Submission, "save", save_and_note)
    monkeypatch.setattr(OutboxMessage.objects, "create", explode)  # the acknowledgement, queued after it
    with pytest.raises(Boom):
        post(client, api_key[1], email="pat@example.org")
    assert written  # the record was written inside the case's transaction ...
    assert not Submission.objects.exists() and not Case.objects.exists()  # ... and undone with it
