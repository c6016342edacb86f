"""WhatsApp Cloud API: the verify-token handshake, X-Hub-Signature-256, one case per wamid, staff
replies through the Graph API wire format, the 24-hour window, status callbacks and consent."""

from datetime import timedelta

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from civicdesk.cases import actions as case_actions
from civicdesk.cases.models import Case, Channel
from civicdesk.inbound.models import Conversation, InboundMessage
from civicdesk.notify.models import OutboxMessage
from civicdesk.residents.models import ContactPoint

from .messaging_helpers import APP_SECRET, Provider, post_whatsapp, whatsapp_body, whatsapp_statuses

NUMBER = "+15551234567"


@pytest.fixture
def graph():
    provider = Provider()
    provider.answer = {"messaging_product": "whatsapp", "messages": [{"id": "wamid.OUT1"}]}
    with override_settings(
        WHATSAPP_APP_SECRET=APP_SECRET,
        WHATSAPP_VERIFY_TOKEN="verify-me",
        WHATSAPP_ACCESS_TOKEN="EAAtoken",
        WHATSAPP_PHONE_NUMBER_ID="PNID",
        WHATSAPP_API_BASE=provider.url,
        WHATSAPP_API_VERSION="21.0",
        WHATSAPP_TEMPLATE_NAME="case_update",
        WHATSAPP_TEMPLATE_LANGUAGES={"en": "en_US"},
    ):
        yield provider
    provider.stop()


def deliver(client, capture, data, **kwargs):
    with capture(execute=True):
        return post_whatsapp(client, data, **kwargs)


def test_it_answers_the_verify_token_handshake(client, db, graph):
    url = reverse("inbound-whatsapp")
    ok = client.get(
        url, {"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"}
    )
    assert ok.status_code == 200
    assert ok.content == b"1158201444"
    wrong = client.get(url, {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"})
    assert wrong.status_code == 403
    assert client.get(url, {"hub.mode": "unsubscribe", "hub.verify_token": "verify-me"}).status_code == 403


def test_it_refuses_the_handshake_when_no_token_is_configured(db, client, graph):
    with override_settings(WHATSAPP_VERIFY_TOKEN=""):
        response = client.get(reverse("inbound-whatsapp"), {"hub.mode": "subscribe", "hub.verify_token": ""})
    assert response.status_code == 403


def test_it_refuses_missing_and_wrong_signatures(client, graph, db):
    assert post_whatsapp(client, whatsapp_body(), signature="").status_code == 401
    assert post_whatsapp(client, whatsapp_body(), secret="not-the-secret").status_code == 403
    assert post_whatsapp(client, whatsapp_body(), signature="sha256=" + "0" * 64).status_code == 403
    assert not InboundMessage.objects.exists()


def test_it_refuses_a_signature_over_other_bytes(client, graph, db):
    import hashlib
    import hmac
    import json

    other = hmac.new(APP_SECRET.encode(), json.dumps({"x": 1}).encode(), hashlib.sha256).hexdigest()
    assert post_whatsapp(client, whatsapp_body(), signature=f"sha256={other}").status_code == 403


def test_it_answers_503_when_not_configured(client, db):
    with override_settings(WHATSAPP_APP_SECRET=""):
        assert post_whatsapp(client, whatsapp_body()).status_code == 503


def test_it_makes_one_case_from_three_deliveries_of_one_wamid(
    client, cast, graph, django_capture_on_commit_callbacks
):
    for _ in range(3):
        assert deliver(client, django_capture_on_commit_callbacks, whatsapp_body()).status_code == 200
    assert InboundMessage.objects.filter(channel="whatsapp").count() == 1
    case = Case.objects.get()
    assert case.channel == Channel.SOCIAL
    assert case.reporter_phone == NUMBER
    assert case.reporter_name == "Ana Lopez"
    conversation = Conversation.objects.get(case=case)
    assert (conversation.channel, conversation.address) == ("whatsapp", NUMBER)
    assert ContactPoint.objects.filter(kind="whatsapp", value=NUMBER).exists()


def test_it_acknowledges_on_whatsapp_in_the_graph_api_wire_format(
    client, cast, graph, django_capture_on_commit_callbacks
):
    deliver(client, django_capture_on_commit_callbacks, whatsapp_body())
    case = Case.objects.get()
    [request] = graph.requests
    assert request["path"] == "/v21.0/PNID/messages"
    assert request["headers"]["Authorization"] == "Bearer EAAtoken"
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["json"] == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "15551234567",
        "type": "text",
        "text": {"preview_url": False, "body": request["json"]["text"]["body"]},
    }
    assert case.number in request["json"]["text"]["body"]
    sent = OutboxMessage.objects.get(channel="whatsapp")
    assert (sent.status, sent.provider_id, sent.provider_status) == ("sent", "wamid.OUT1", "sent")


def test_a_second_message_comments_on_the_open_case(client, cast, graph, django_capture_on_commit_callbacks):
    deliver(client, django_capture_on_commit_callbacks, whatsapp_body())
    deliver(client, django_capture_on_commit_callbacks, whatsapp_body("wamid.AAA2", "It is still there"))
    case = Case.objects.get()
    assert case.events.filter(kind="comment", message="It is still there").exists()
    assert InboundMessage.objects.filter(case=case).count() == 2


def _whatsapp_case(client, cast, capture, at):
    with time_machine.travel(at, tick=False):
        deliver(client, capture, whatsapp_body())
    return Case.objects.get()


def test_a_staff_reply_within_24_hours_goes_as_free_text(
    client, cast, graph, django_capture_on_commit_callbacks
):
    start = timezone.now()
    case = _whatsapp_case(client, cast, django_capture_on_commit_callbacks, start)
    later = start + timedelta(hours=23, minutes=59)
    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        case_actions.reply(case, cast.root, "A crew comes tomorrow.")
    body = graph.requests[-1]["json"]
    assert body["type"] == "text"
    assert body["text"]["body"] == "A crew comes tomorrow."


def test_a_staff_reply_after_24_hours_goes_as_the_approved_template(
    client, cast, graph, django_capture_on_commit_callbacks
):
    start = timezone.now()
    case = _whatsapp_case(client, cast, django_capture_on_commit_callbacks, start)
    later = start + timedelta(hours=24, seconds=1)
    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        case_actions.reply(case, cast.root, "A crew comes tomorrow.")
    body = graph.requests[-1]["json"]
    assert body["type"] == "template"
    assert "text" not in body
    assert body["template"] == {
        "name": "case_update",
        "language": {"code": "en_US"},
        "components": [{"type": "body", "parameters": [{"type": "text", "text": case.number}]}],
    }


def test_outside_the_window_without_a_template_nothing_is_sent(
    client, cast, graph, django_capture_on_commit_callbacks
):
    start = timezone.now()
    case = _whatsapp_case(client, cast, django_capture_on_commit_callbacks, start)
    requests_before = len(graph.requests)
    with (
        override_settings(WHATSAPP_TEMPLATE_NAME=""),
        time_machine.travel(start + timedelta(days=2), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        case_actions.reply(case, cast.root, "A crew comes tomorrow.")
    assert len(graph.requests) == requests_before
    reply = OutboxMessage.objects.get(channel="whatsapp", kind="reply")
    assert reply.status == OutboxMessage.Status.CANCELLED
    assert "24-hour" in reply.last_error


def test_it_records_delivery_statuses_and_never_goes_back(
    client, cast, graph, django_capture_on_commit_callbacks
):
    deliver(client, django_capture_on_commit_callbacks, whatsapp_body())
    post_whatsapp(client, whatsapp_statuses(("wamid.OUT1", "read")))
    post_whatsapp(client, whatsapp_statuses(("wamid.OUT1", "delivered"), ("wamid.UNKNOWN", "read")))
    assert OutboxMessage.objects.get(channel="whatsapp").provider_status == "read"


def test_a_resident_who_asked_not_to_be_contacted_gets_nothing(
    client, cast, graph, django_capture_on_commit_callbacks
):
    deliver(client, django_capture_on_commit_callbacks, whatsapp_body())
    case = Case.objects.get()
    resident = ContactPoint.objects.get(kind="whatsapp", value=NUMBER).resident
    resident.preferred_channel = "none"
    resident.save()
    requests_before = len(graph.requests)
    with django_capture_on_commit_callbacks(execute=True):
        case_actions.reply(case, cast.root, "A crew comes tomorrow.")
    assert len(graph.requests) == requests_before
    assert OutboxMessage.objects.get(kind="reply").status == OutboxMessage.Status.CANCELLED


def test_a_photo_is_kept_in_quarantine_not_lost(client, cast, graph, django_capture_on_commit_callbacks):
    body = whatsapp_body("wamid.IMG", "")
    message = body["entry"][0]["changes"][0]["value"]["messages"][0]
    message["type"] = "image"
    del message["text"]
    message["image"] = {"id": "media1", "mime_type": "image/jpeg"}
    deliver(client, django_capture_on_commit_callbacks, body)
    stored = InboundMessage.objects.get(key="wamid.IMG")
    assert stored.status == InboundMessage.Status.QUARANTINED
    assert "image" in stored.reason
    assert not Case.objects.exists()


def test_it_refuses_a_body_that_is_not_json(client, graph, db):
    import hashlib
    import hmac

    raw = b"not json"
    signature = "sha256=" + hmac.new(APP_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    response = client.post(
        reverse("inbound-whatsapp"),
        raw,
        content_type="application/json",
        headers={"X-Hub-Signature-256": signature},
    )
    assert response.status_code == 400


def test_the_window_runs_from_when_the_resident_wrote_not_when_it_was_processed(
    client, cast, graph, django_capture_on_commit_callbacks
):
    """Delivered (or processed) late: the message says it was sent 23 hours ago, so the window
    closes in one hour, and a reply two hours later must be the template."""
    now = timezone.now()
    sent = str(int((now - timedelta(hours=23)).timestamp()))
    body = whatsapp_body()
    body["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"] = sent
    with time_machine.travel(now, tick=False):
        deliver(client, django_capture_on_commit_callbacks, body)
    case = Case.objects.get()
    later = now + timedelta(hours=2)
    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        case_actions.reply(case, cast.root, "A crew comes tomorrow.")
    assert graph.requests[-1]["json"]["type"] == "template"


def test_when_meta_says_the_window_closed_the_template_goes_instead(
    client, cast, graph, django_capture_on_commit_callbacks
):
    deliver(client, django_capture_on_commit_callbacks, whatsapp_body())
    case = Case.objects.get()
    refused = {"error": {"code": 131047, "message": "Re-engagement message", "type": "OAuthException"}}
    graph.queued = [(400, refused)]
    with django_capture_on_commit_callbacks(execute=True):
        case_actions.reply(case, cast.root, "A crew comes tomorrow.")
    assert [r["json"]["type"] for r in graph.requests[-2:]] == ["text", "template"]
    reply = OutboxMessage.objects.get(kind="reply")
    assert (reply.status, reply.provider_id) == ("sent", "wamid.OUT1")


def test_another_refusal_is_not_retried(client, cast, graph, django_capture_on_commit_callbacks):
    deliver(client, django_capture_on_commit_callbacks, whatsapp_body())
    graph.queued = [(400, {"error": {"code": 131026, "message": "Message undeliverable"}})]
    with django_capture_on_commit_callbacks(execute=True):
        case_actions.reply(Case.objects.get(), cast.root, "A crew comes tomorrow.")
    reply = OutboxMessage.objects.get(kind="reply")
    assert reply.status == OutboxMessage.Status.CANCELLED
    assert "131026" in reply.last_error
    assert graph.requests[-1]["json"]["type"] == "text"


def test_a_resident_holding_the_number_as_a_phone_who_said_no_gets_nothing_either(
    client, cast, graph, django_capture_on_commit_callbacks
):
    from civicdesk.residents.models import Resident

    deliver(client, django_capture_on_commit_callbacks, whatsapp_body())
    caller = Resident.objects.create(display_name="Ana (phone)", preferred_channel="none")
    ContactPoint.objects.create(resident=caller, kind="phone", value=NUMBER)
    before = len(graph.requests)
    with django_capture_on_commit_callbacks(execute=True):
        case_actions.reply(Case.objects.get(), cast.root, "A crew comes tomorrow.")
    assert len(graph.requests) == before
    assert OutboxMessage.objects.get(kind="reply").status == OutboxMessage.Status.CANCELLED


@pytest.mark.parametrize(
    "data",
    [
        {"entry": 5},
        {"entry": ["x", {"changes": {"value": 1}}]},
        {"entry": [{"changes": [{"value": {"messages": 7, "statuses": "x", "contacts": [1]}}]}]},
        {"entry": [{"changes": [{"value": {"messages": [{"id": {"a": 1}, "from": []}]}}]}]},
        {"entry": [{"changes": [{"value": {"statuses": [{"id": 1, "status": ["read"]}]}}]}]},
    ],
)
def test_a_malformed_delivery_is_answered_without_an_error(client, graph, db, data):
    response = post_whatsapp(client, data)
    assert response.status_code == 200
    assert response.json() == {"messages": 0, "statuses": 0}
    assert not InboundMessage.objects.exists()
