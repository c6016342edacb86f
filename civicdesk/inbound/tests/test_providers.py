"""Providers' inbound webhooks through django-anymail: Mailgun (signed), Postmark and SendGrid (basic
auth). The payloads are written here in each provider's documented shape."""

import base64
import hashlib
import hmac
import json
import time

import pytest
from django.test import override_settings
from django.urls import reverse

from civicdesk.cases.models import Case
from civicdesk.inbound.models import InboundMessage

SIGNING_KEY = "mailgun-signing-key"
AUTH = "civicdesk:hook-password"
RAW = (
    "Return-Path: <ana@example.org>\r\nFrom: Ana <ana@example.org>\r\nTo: 311@city.test\r\n"
    "Subject: Broken streetlight\r\nMessage-ID: <provider1@example.org>\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n\r\nThe streetlight on Oak Avenue is out.\r\n"
)


@pytest.fixture(autouse=True)
def _secrets():
    with override_settings(INBOUND_MAILGUN_SIGNING_KEY=SIGNING_KEY, INBOUND_ANYMAIL_BASIC_AUTH=AUTH):
        yield


@pytest.fixture
def worker(django_capture_on_commit_callbacks):
    """`with worker():` queued processing runs at the end, as a worker would run it after the commit."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def basic(credentials=AUTH):
    return {"Authorization": "Basic " + base64.b64encode(credentials.encode()).decode()}


def mailgun_post(client, raw=RAW, timestamp=None, key=SIGNING_KEY, **changes):
    timestamp = str(int(time.time())) if timestamp is None else timestamp
    token = "a" * 50
    fields = {
        "recipient": "311@city.test",
        "sender": "ana@example.org",
        "from": "Ana <ana@example.org>",
        "subject": "Broken streetlight",
        "body-mime": raw,
        "timestamp": timestamp,
        "token": token,
        "signature": hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest(),
        **changes,
    }
    return client.post(reverse("inbound-email-mailgun"), {k: v for k, v in fields.items() if v is not None})


@pytest.mark.tasks
def test_it_makes_one_case_from_a_signed_mailgun_message_delivered_three_times(client, cast, worker):
    for _ in range(3):
        with worker():
            response = mailgun_post(client)
        assert response.status_code == 200
    message = InboundMessage.objects.get()
    assert (message.key, message.status) == ("<provider1@example.org>", "processed")
    assert message.envelope_sender == "ana@example.org"
    assert message.recipients == ["311@city.test"]
    assert Case.objects.get(reporter_email="ana@example.org").channel == "email"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"signature": "0" * 64}, "incorrect signature"),
        ({"signature": None}, "without required security fields"),
        ({"key": "another-key"}, "incorrect signature"),
        ({"timestamp": str(int(time.time()) - 3600)}, "Stale"),
    ],
)
def test_it_refuses_a_mailgun_post_with_a_wrong_missing_or_stale_signature(client, db, changes, reason):
    response = mailgun_post(client, **changes)
    assert response.status_code == 403
    assert reason in response.json()["error"]
    assert not InboundMessage.objects.exists()


def test_it_answers_503_while_a_provider_is_not_configured(client, db):
    with override_settings(INBOUND_MAILGUN_SIGNING_KEY="", INBOUND_ANYMAIL_BASIC_AUTH=""):
        assert mailgun_post(client).status_code == 503
        assert postmark_post(client, POSTMARK).status_code == 503
    assert not InboundMessage.objects.exists()


POSTMARK = {
    "FromName": "Luis Pérez",
    "MessageStream": "inbound",
    "From": "luis@example.org",
    "FromFull": {"Email": "luis@example.org", "Name": "Luis Pérez", "MailboxHash": ""},
    "To": "311@city.test",
    "ToFull": [{"Email": "311@city.test", "Name": "", "MailboxHash": ""}],
    "Cc": "",
    "CcFull": [],
    "Bcc": "",
    "BccFull": [],
    "OriginalRecipient": "311@city.test",
    "Subject": "Basura sin recoger",
    "MessageID": "8a1f3c2e-5b7d-4c9a-b0e1-2d3f4a5b6c7d",
    "ReplyTo": "",
    "MailboxHash": "",
    "Date": "Mon, 7 Dec 2026 10:15:00 -0500",
    "TextBody": "No han recogido la basura en la calle Olmo desde el lunes.",
    "HtmlBody": "<p>No han recogido la basura en la calle Olmo desde el lunes.</p>",
    "StrippedTextReply": "",
    "Tag": "",
    "Headers": [
        {"Name": "Return-Path", "Value": "<luis@example.org>"},
        {"Name": "X-Spam-Status", "Value": "No"},
        {"Name": "Content-Language", "Value": "es"},
    ],
    "Attachments": [],
}


def postmark_post(client, payload, credentials=AUTH):
    headers = basic(credentials) if credentials else {}
    return client.post(
        reverse("inbound-email-postmark"),
        json.dumps(payload),
        content_type="application/json",
        headers=headers,
    )


@pytest.mark.tasks
def test_it_makes_one_case_from_a_postmark_message_without_message_id_delivered_three_times(
    client, cast, worker
):
    for _ in range(3):
        with worker():
            assert postmark_post(client, POSTMARK).status_code == 200
    message = InboundMessage.objects.get()
    assert message.key == "postmark:8a1f3c2e-5b7d-4c9a-b0e1-2d3f4a5b6c7d"
    assert message.envelope_sender == "luis@example.org"
    case = Case.objects.get(reporter_email="luis@example.org")
    assert case.language == "es"
    assert "calle Olmo" in case.description


def test_it_takes_postmark_raw_email_when_it_is_included(client, cast):
    response = postmark_post(client, {**POSTMARK, "RawEmail": RAW})
    assert response.status_code == 200
    assert InboundMessage.objects.get().key == "<provider1@example.org>"


@pytest.mark.parametrize("credentials", ["civicdesk:wrong", None])
def test_it_refuses_postmark_posts_without_the_right_basic_auth(client, db, credentials):
    response = postmark_post(client, POSTMARK, credentials=credentials)
    assert response.status_code == 403
    assert not InboundMessage.objects.exists()


def test_it_refuses_a_malformed_or_misdirected_postmark_post(client, db):
    bad_json = client.post(
        reverse("inbound-email-postmark"), b"{not json", content_type="application/json", headers=basic()
    )
    assert bad_json.status_code == 400
    tracking = postmark_post(client, {"RecordType": "Delivery", "MessageID": "x"})
    assert tracking.status_code == 400
    assert not InboundMessage.objects.exists()


def sendgrid_post(client, fields, credentials=AUTH):
    return client.post(reverse("inbound-email-sendgrid"), fields, headers=basic(credentials))


@pytest.mark.tasks
def test_it_stores_sendgrid_raw_mime_with_its_envelope(client, cast, worker):
    envelope = json.dumps({"from": "ana@example.org", "to": ["311@city.test"]})
    with worker():
        response = sendgrid_post(client, {"email": RAW, "envelope": envelope, "spam_score": "0.1"})
    assert response.status_code == 200
    message = InboundMessage.objects.get()
    assert (message.key, message.status) == ("<provider1@example.org>", "processed")
    assert message.recipients == ["311@city.test"]


@pytest.mark.tasks
def test_it_ignores_an_out_of_office_reply_that_comes_through_sendgrids_parsed_fields(client, cast, worker):
    fields = {
        "headers": (
            "From: Ana <ana@example.org>\nTo: 311@city.test\nSubject: Out of office\n"
            "Auto-Submitted: auto-replied\nMessage-ID: <ooo1@example.org>\n"
        ),
        "from": "Ana <ana@example.org>",
        "to": "311@city.test",
        "subject": "Out of office",
        "text": "I am away until Monday.",
        "charsets": json.dumps({"to": "UTF-8", "subject": "UTF-8", "from": "UTF-8", "text": "UTF-8"}),
        "envelope": json.dumps({"from": "ana@example.org", "to": ["311@city.test"]}),
    }
    with worker():
        assert sendgrid_post(client, fields).status_code == 200
    message = InboundMessage.objects.get()
    assert message.status == "ignored_automated"
    assert not Case.objects.filter(reporter_email="ana@example.org").exists()


def test_it_refuses_sendgrid_posts_with_the_wrong_basic_auth(client, db):
    response = sendgrid_post(client, {"email": RAW}, credentials="civicdesk:wrong")
    assert response.status_code == 403
    assert not InboundMessage.objects.exists()
