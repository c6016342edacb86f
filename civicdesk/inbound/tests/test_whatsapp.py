"""WhatsApp Cloud API: the verify-token handshake, X-Hub-Signature-256, one case per wamid, staff
replies through the Graph API wire format, the 24-hour window, status callbacks and consent."""

import contextlib
import json
import threading
import time
from datetime import timedelta

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from civicdesk.cases import actions as case_actions
from civicdesk.cases.models import Case, Channel
from civicdesk.inbound import actions, media
from civicdesk.inbound.models import Conversation, InboundMessage
from civicdesk.notify.models import OutboxMessage
from civicdesk.residents.models import ContactPoint

from .messaging_helpers import (
    APP_SECRET,
    Provider,
    image_bytes,
    post_whatsapp,
    whatsapp_body,
    whatsapp_statuses,
)

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


def media_message(wamid, kind="image", caption="", media_id="media1", mime_type="image/jpeg", **extra):
    body = whatsapp_body(wamid, "")
    message = body["entry"][0]["changes"][0]["value"]["messages"][0]
    message["type"] = kind
    del message["text"]
    message[kind] = {"id": media_id, "mime_type": mime_type, **extra}
    if caption:
        message[kind]["caption"] = caption
    return body


def serve_media(graph, media_id, data, content_type):
    """Graph API: GET /v21.0/<id> gives the file's URL, which serves the bytes (both with the token)."""
    url = f"{graph.url}/files/{media_id}"
    info = {"url": url, "mime_type": content_type, "id": media_id}
    graph.files[f"/v21.0/{media_id}"] = (200, json.dumps(info).encode(), "application/json")
    graph.files[f"/files/{media_id}"] = (200, data, content_type)


def test_a_photo_with_a_caption_is_a_case_with_the_photo_attached_privately(
    client, cast, graph, django_capture_on_commit_callbacks
):
    serve_media(graph, "media1", image_bytes(), "image/jpeg")
    body = media_message("wamid.IMG", caption="Graffiti on the library wall")
    deliver(client, django_capture_on_commit_callbacks, body)
    case = Case.objects.get()
    assert case.description == "Graffiti on the library wall"
    photo = case.attachments.get()
    assert (photo.public, photo.content_type) == (False, "image/jpeg")
    assert [path for path, _headers in graph.fetches] == ["/v21.0/media1", "/files/media1"]
    assert all(headers["Authorization"] == "Bearer EAAtoken" for _path, headers in graph.fetches)
    stored = InboundMessage.objects.get(key="wamid.IMG")
    assert stored.status == InboundMessage.Status.PROCESSED
    assert [entry["outcome"] for entry in stored.attachments] == ["attached"]


def test_a_photo_alone_joins_the_open_case_and_a_document_is_stored_and_listed(
    client, cast, graph, django_capture_on_commit_callbacks
):
    deliver(client, django_capture_on_commit_callbacks, whatsapp_body())
    case = Case.objects.get()
    serve_media(graph, "media2", image_bytes("PNG"), "image/png")
    serve_media(graph, "doc1", b"%PDF-1.4 a permit", "application/pdf")
    deliver(client, django_capture_on_commit_callbacks, media_message("wamid.IMG2", media_id="media2"))
    document = media_message("wamid.DOC", "document", media_id="doc1", mime_type="application/pdf")
    document["entry"][0]["changes"][0]["value"]["messages"][0]["document"]["filename"] = "permit.pdf"
    deliver(client, django_capture_on_commit_callbacks, document)
    assert Case.objects.get() == case
    assert case.attachments.get().content_type == "image/png"
    assert not case.events.filter(kind="comment").exists()  # a photo alone is no comment
    listing = InboundMessage.objects.get(key="wamid.DOC").attachments
    assert [(e["content_type"], e["outcome"], e["size"]) for e in listing] == [
        ("application/pdf", "stored", 17)
    ]
    assert listing[0]["name"].endswith(".pdf")


def test_a_fetch_that_fails_waits_and_is_tried_again_losing_nothing(
    client, cast, graph, django_capture_on_commit_callbacks
):
    graph.files["/v21.0/media1"] = (503, b"{}", "application/json")
    deliver(client, django_capture_on_commit_callbacks, media_message("wamid.IMG", caption="Broken bench"))
    stored = InboundMessage.objects.get(key="wamid.IMG")
    assert stored.status == InboundMessage.Status.RECEIVED
    assert (stored.attempts, stored.case) == (1, None)
    assert "attempt 1 of" in stored.reason and "503" in stored.reason
    assert not Case.objects.exists()
    serve_media(graph, "media1", image_bytes(), "image/jpeg")
    with django_capture_on_commit_callbacks(execute=True):
        actions.process(stored.pk)  # what the worker's retry runs
    stored.refresh_from_db()
    assert stored.status == InboundMessage.Status.PROCESSED
    assert Case.objects.get().attachments.count() == 1


def test_a_file_the_provider_no_longer_has_is_listed_and_the_text_is_taken(
    client, cast, graph, django_capture_on_commit_callbacks
):
    deliver(client, django_capture_on_commit_callbacks, media_message("wamid.IMG", caption="Broken bench"))
    case = Case.objects.get()
    assert not case.attachments.exists()
    [entry] = InboundMessage.objects.get(key="wamid.IMG").attachments
    assert entry["outcome"] == "not fetched: the provider answered HTTP 404"


def test_after_the_last_attempt_the_message_is_taken_without_the_file(
    client, cast, graph, django_capture_on_commit_callbacks
):
    graph.files["/v21.0/media1"] = (503, b"{}", "application/json")
    deliver(client, django_capture_on_commit_callbacks, media_message("wamid.IMG", caption="Broken bench"))
    stored = InboundMessage.objects.get(key="wamid.IMG")
    InboundMessage.objects.filter(pk=stored.pk).update(attempts=media.ATTEMPTS - 1)
    with django_capture_on_commit_callbacks(execute=True):
        actions.process(stored.pk)
    stored.refresh_from_db()
    assert stored.status == InboundMessage.Status.PROCESSED
    assert Case.objects.get().description == "Broken bench"
    assert stored.attachments[0]["outcome"].startswith(f"not fetched after {media.ATTEMPTS} attempts")


def test_an_image_that_is_not_one_is_refused_and_listed(
    client, cast, graph, django_capture_on_commit_callbacks
):
    serve_media(graph, "media1", b"not a jpeg at all", "image/jpeg")
    deliver(client, django_capture_on_commit_callbacks, media_message("wamid.IMG", caption="Broken bench"))
    assert not Case.objects.get().attachments.exists()
    [entry] = InboundMessage.objects.get(key="wamid.IMG").attachments
    assert entry["outcome"].startswith("refused")


def test_the_retry_is_queued_to_run_later_on_a_backend_that_can_wait(
    cast, graph, django_capture_on_commit_callbacks
):
    from django.tasks import default_task_backend

    raw = json.dumps(
        {"message": media_message("wamid.IMG")["entry"][0]["changes"][0]["value"]["messages"][0]}
    )
    graph.files["/v21.0/media1"] = (503, b"{}", "application/json")
    with override_settings(TASKS={"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}):
        message = actions.receive("whatsapp", "wamid.IMG", raw.encode())
        before = timezone.now()
        default_task_backend.clear()
        with django_capture_on_commit_callbacks(execute=True):
            actions.process(message.pk)
        [queued] = default_task_backend.results
    assert queued.task.name == "process_message" and queued.args == [message.pk]
    assert queued.task.run_after >= before + timedelta(seconds=60)


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
    assert graph.requests[-1]["json"] == template_request(case)
    reply = OutboxMessage.objects.get(kind="reply")
    assert (reply.status, reply.provider_id, reply.as_template) == ("sent", "wamid.OUT1", True)
    assert "approved template" in thread_on_the_case_page(client, cast, case)


def template_request(case):
    """The exact Graph API body of the approved template for this case."""
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": NUMBER.lstrip("+"),
        "type": "template",
        "template": {
            "name": "case_update",
            "language": {"code": "en_US"},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": case.number}]}],
        },
    }


def thread_on_the_case_page(client, user_cast, case):
    client.force_login(user_cast.root)
    page = client.get(reverse("staff-case", args=[case.number])).content.decode()
    return page[page.index('id="conversation-title"') : page.index('id="timeline-title"')]


def reengagement_failure(wamid):
    """Meta's status callback for a free-text message it refused after accepting it (131047)."""
    body = whatsapp_statuses((wamid, "failed"))
    error = {
        "code": 131047,
        "title": "Re-engagement message",
        "message": "Re-engagement message",
        "error_data": {"details": "Message failed to send because more than 24 hours have passed."},
    }
    body["entry"][0]["changes"][0]["value"]["statuses"][0]["errors"] = [error]
    return body


def test_when_meta_reports_the_window_closed_after_accepting_the_text_the_template_follows(
    client, cast, graph, django_capture_on_commit_callbacks
):
    """Meta usually accepts the text (200, a wamid) and refuses it later, in a status callback."""
    deliver(client, django_capture_on_commit_callbacks, whatsapp_body())
    case = Case.objects.get()
    graph.answer = {"messaging_product": "whatsapp", "messages": [{"id": "wamid.REPLY"}]}
    with django_capture_on_commit_callbacks(execute=True):
        case_actions.reply(case, cast.root, "A crew comes tomorrow.")
    assert graph.requests[-1]["json"]["type"] == "text"
    sent = len(graph.requests)
    graph.answer = {"messaging_product": "whatsapp", "messages": [{"id": "wamid.OUT2"}]}
    with django_capture_on_commit_callbacks(execute=True):
        assert post_whatsapp(client, reengagement_failure("wamid.REPLY")).status_code == 200
    # Meta repeats a callback it is not sure we got: the template goes once.
    with django_capture_on_commit_callbacks(execute=True):
        assert post_whatsapp(client, reengagement_failure("wamid.REPLY")).status_code == 200
    assert len(graph.requests) == sent + 1
    assert graph.requests[-1]["json"] == template_request(case)
    refused, template = OutboxMessage.objects.filter(kind="reply").order_by("pk")
    assert (refused.provider_status, refused.as_template) == ("failed", False)
    assert "131047" in refused.last_error
    assert (template.status, template.provider_id, template.as_template) == ("sent", "wamid.OUT2", True)
    assert template.body == "A crew comes tomorrow."  # the words wait on the tracking page
    thread = thread_on_the_case_page(client, cast, case)
    assert "WhatsApp refused it" in thread
    assert "approved template" in thread


def test_a_refused_template_is_not_sent_again(client, cast, graph, django_capture_on_commit_callbacks):
    start = timezone.now()
    case = _whatsapp_case(client, cast, django_capture_on_commit_callbacks, start)
    with (
        time_machine.travel(start + timedelta(days=2), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        graph.answer = {"messaging_product": "whatsapp", "messages": [{"id": "wamid.TEMPLATE"}]}
        case_actions.reply(case, cast.root, "A crew comes tomorrow.")
    sent = len(graph.requests)
    with django_capture_on_commit_callbacks(execute=True):
        post_whatsapp(client, reengagement_failure("wamid.TEMPLATE"))
    assert len(graph.requests) == sent
    assert OutboxMessage.objects.filter(kind="reply").count() == 1


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


# ---------------------------------------------------------------- media: names, hosts, deadlines


def document_named(filename, wamid="wamid.DOC"):
    body = media_message(wamid, "document", media_id="doc1", mime_type="application/pdf", caption="A permit")
    body["entry"][0]["changes"][0]["value"]["messages"][0]["document"]["filename"] = filename
    return body


@pytest.mark.parametrize(
    ("filename", "stored_as"),
    [("../../../etc/passwd", "passwd"), ("..", "file.pdf"), ("permits/2024/my permit.pdf", "my_permit.pdf")],
)
def test_a_documents_name_is_shown_as_sent_and_stored_safely_inside_the_messages_folder(
    client, cast, graph, django_capture_on_commit_callbacks, settings, tmp_path, filename, stored_as
):
    settings.MEDIA_ROOT = tmp_path
    serve_media(graph, "doc1", b"%PDF-1.4 a permit", "application/pdf")
    deliver(client, django_capture_on_commit_callbacks, document_named(filename))
    stored = InboundMessage.objects.get(key="wamid.DOC")
    assert stored.status == InboundMessage.Status.PROCESSED
    [entry] = stored.attachments
    assert (entry["name"], entry["outcome"]) == (filename, "stored")
    assert entry["stored"] == f"inbound/whatsapp/{stored.pk}/{stored_as}"
    assert [path.relative_to(tmp_path).as_posix() for path in tmp_path.rglob("*") if path.is_file()] == [
        entry["stored"]
    ]


def test_the_token_is_not_sent_to_a_media_url_on_another_host(
    client, cast, graph, django_capture_on_commit_callbacks
):
    info = {"url": "https://media.example.test/files/media1", "mime_type": "image/jpeg", "id": "media1"}
    graph.files["/v21.0/media1"] = (200, json.dumps(info).encode(), "application/json")
    deliver(client, django_capture_on_commit_callbacks, media_message("wamid.IMG", caption="Broken bench"))
    stored = InboundMessage.objects.get(key="wamid.IMG")
    assert stored.status == InboundMessage.Status.PROCESSED
    assert stored.attachments[0]["outcome"] == "not fetched: The Graph API gave no usable media URL."


def test_only_metas_media_host_or_the_graph_api_itself_gets_the_token():
    graph_api = "https://graph.facebook.com"
    assert media._meta_media_url("https://lookaside.fbsbx.com/whatsapp_business/attachments/", graph_api)
    assert media._meta_media_url("https://graph.facebook.com/v21.0/file", graph_api)
    assert not media._meta_media_url("http://lookaside.fbsbx.com/attachments/", graph_api)
    assert not media._meta_media_url("https://lookaside.fbsbx.com.example.test/attachments/", graph_api)
    assert not media._meta_media_url("https://user@example.test/lookaside.fbsbx.com", graph_api)


def test_the_media_id_stays_one_segment_of_the_graph_api_path(
    client, cast, graph, django_capture_on_commit_callbacks
):
    body = media_message("wamid.IMG", caption="Broken bench", media_id="../../me/messages?x=1")
    deliver(client, django_capture_on_commit_callbacks, body)
    assert [path for path, _headers in graph.fetches] == ["/v21.0/..%2F..%2Fme%2Fmessages%3Fx%3D1"]


def stalls_after_a_chunk(released):
    """Answers the headers and 10 of 1000 bytes, then nothing until `released` (at most 5 s, well
    under the per-socket timeout of 10 s, so only the deadline ends the wait)."""

    def answer(handler):
        with contextlib.suppress(OSError):  # the client has gone: what it was meant to do
            handler.send_response(200)
            handler.send_header("Content-Type", "application/pdf")
            handler.send_header("Content-Length", "1000")
            handler.end_headers()
            handler.wfile.write(b"%" * 10)
            handler.wfile.flush()
            released.wait(5)
            handler.wfile.write(b"%" * 990)

    return answer


def trickles(handler):
    """A byte every 20 ms for 5 s: every socket read is quick, the download is not."""
    with contextlib.suppress(OSError):
        handler.send_response(200)
        handler.send_header("Content-Type", "application/pdf")
        handler.send_header("Content-Length", "250")
        handler.end_headers()
        for _ in range(250):
            handler.wfile.write(b"%")
            handler.wfile.flush()
            time.sleep(0.02)


@pytest.mark.parametrize("slow", ["stalls", "trickles"])
def test_a_download_past_the_deadline_makes_the_message_wait(
    client, cast, graph, django_capture_on_commit_callbacks, settings, slow
):
    settings.INBOUND_MEDIA_DEADLINE_SECONDS = 0.3
    released = threading.Event()
    serve_media(graph, "doc1", b"", "application/pdf")
    graph.files["/files/doc1"] = stalls_after_a_chunk(released) if slow == "stalls" else trickles
    try:
        deliver(client, django_capture_on_commit_callbacks, document_named("permit.pdf"))
    finally:
        released.set()
    stored = InboundMessage.objects.get(key="wamid.DOC")
    assert (stored.status, stored.attempts, stored.case) == (InboundMessage.Status.RECEIVED, 1, None)
    assert stored.reason.startswith("Media not fetched yet (attempt 1 of 6): permit.pdf:")
    assert not Case.objects.exists()
