"""The raw-MIME webhook: signed with the shared secret, refused otherwise, 200 once stored."""

import time

from django.test import override_settings
from django.urls import reverse

from civicdesk.inbound.models import InboundMessage
from civicdesk.inbound.signing import sign

MAIL = (
    b"From: Ana <ana@example.org>\r\nTo: 311@city.test\r\nSubject: Fallen tree\r\n"
    b"Message-ID: <hook1@example.org>\r\n\r\nA fallen tree on Elm Street.\r\n"
)


def post(client, body, timestamp=None, signature=None, secret="s3cret"):  # noqa: S107
    timestamp = str(int(time.time())) if timestamp is None else timestamp
    headers = {"X-CivicDesk-Timestamp": timestamp}
    headers["X-CivicDesk-Signature"] = sign(secret, timestamp, body) if signature is None else signature
    return client.post(reverse("inbound-email-raw"), body, content_type="message/rfc822", headers=headers)


def test_it_stores_a_signed_message(client, cast):
    response = post(client, MAIL)
    assert response.status_code == 200
    assert response.json()["id"] == InboundMessage.objects.get(key="<hook1@example.org>").pk


def test_it_makes_a_case_when_the_provider_gives_no_envelope_sender(
    client, cast, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, MAIL).status_code == 200  # no X-Envelope-From: unknown, not a bounce
    message = InboundMessage.objects.get()
    assert (message.status, message.case.reporter_email) == ("processed", "ana@example.org")


def test_it_ignores_a_message_whose_envelope_sender_is_empty(
    client, cast, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        timestamp = str(int(time.time()))
        headers = {
            "X-CivicDesk-Timestamp": timestamp,
            "X-CivicDesk-Signature": sign("s3cret", timestamp, MAIL, envelope_from="<>"),
            "X-Envelope-From": "<>",
        }
        client.post(reverse("inbound-email-raw"), MAIL, content_type="message/rfc822", headers=headers)
    assert InboundMessage.objects.get().status == "ignored_automated"


def test_it_refuses_envelope_headers_added_to_a_signed_delivery(client, db):
    timestamp = str(int(time.time()))
    headers = {
        "X-CivicDesk-Timestamp": timestamp,
        "X-CivicDesk-Signature": sign("s3cret", timestamp, MAIL),  # signed without them
        "X-Envelope-To": "reply+0123456789abcdef0123456789abcdef@city.test",
    }
    response = client.post(reverse("inbound-email-raw"), MAIL, content_type="message/rfc822", headers=headers)
    assert response.status_code == 403
    assert not InboundMessage.objects.exists()


def test_it_refuses_a_signature_that_is_not_ascii_and_a_length_that_is_not_a_number(client, db):
    response = post(client, MAIL, signature="sha256=é")
    assert (response.status_code, response.json()["error"]) == (403, "Wrong signature.")
    timestamp = str(int(time.time()))
    headers = {"X-CivicDesk-Timestamp": timestamp, "X-CivicDesk-Signature": sign("s3cret", timestamp, MAIL)}
    response = client.generic(
        "POST", reverse("inbound-email-raw"), MAIL, "message/rfc822", headers=headers, CONTENT_LENGTH="ten"
    )
    assert response.status_code == 400
    assert not InboundMessage.objects.exists()


def test_it_refuses_a_missing_signature(client, db):
    response = client.post(reverse("inbound-email-raw"), MAIL, content_type="message/rfc822")
    assert response.status_code == 401
    assert "Missing" in response.json()["error"]
    assert not InboundMessage.objects.exists()


def test_it_refuses_a_wrong_signature(client, db):
    response = post(client, MAIL, secret="not-the-secret")
    assert response.status_code == 403
    assert response.json()["error"] == "Wrong signature."
    assert not InboundMessage.objects.exists()


def test_it_refuses_a_signature_over_other_bytes(client, db):
    timestamp = str(int(time.time()))
    response = post(client, MAIL + b"tampered", timestamp, sign("s3cret", timestamp, MAIL))
    assert response.status_code == 403


def test_it_refuses_a_stale_timestamp(client, db):
    response = post(client, MAIL, timestamp=str(int(time.time()) - 3600))
    assert response.status_code == 403
    assert "Stale" in response.json()["error"]


def test_it_refuses_when_no_secret_is_configured(client, db):
    with override_settings(INBOUND_WEBHOOK_SECRET=""):
        response = post(client, MAIL)
    assert response.status_code == 503


def test_it_refuses_a_body_over_the_limit(client, db):
    with override_settings(INBOUND_MAX_BYTES=100):
        response = post(client, MAIL)
    assert response.status_code == 413
    assert not InboundMessage.objects.exists()


def test_it_answers_get_with_405(client, db):
    assert client.get(reverse("inbound-email-raw")).status_code == 405


def test_it_slows_a_flood_of_refused_posts_but_not_signed_ones(client, cast):
    with override_settings(INBOUND_REFUSED_RATE="2/h"):
        codes = [post(client, MAIL, secret="forged").status_code for _ in range(3)]
        assert codes == [403, 403, 429]
        assert post(client, MAIL).status_code == 200
