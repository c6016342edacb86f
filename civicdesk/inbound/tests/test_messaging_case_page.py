"""The staff case page says, next to the reply box, where a reply to a WhatsApp, Telegram or social
case goes, and whether WhatsApp's 24-hour window is still open."""

import json
from datetime import timedelta

import time_machine
from django.urls import reverse
from django.utils import timezone

from civicdesk.inbound import actions
from civicdesk.inbound.models import Conversation

from .messaging_helpers import telegram_update

WHATSAPP = {
    "message": {
        "from": "15551234567",
        "id": "wamid.P1",
        "type": "text",
        "text": {"body": "A fallen tree on Elm"},
    },
    "contact": {"profile": {"name": "Ana"}, "wa_id": "15551234567"},
}


def make_case(channel, key, data):
    return actions.process(actions.receive(channel, key, json.dumps(data).encode()).pk).case


def reply_box(client, user, case, language="en"):
    client.force_login(user)
    page = client.get(
        reverse("staff-case", args=[case.number]), HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()
    start = page.index('id="reply-title"')
    return page[start : page.index("</form>", start)]


def test_inside_the_window_it_says_until_when_free_text_goes(client, cast):
    case = make_case("whatsapp", "wamid.P1", WHATSAPP)
    closes = Conversation.objects.get(case=case).last_inbound_at + timedelta(hours=24)
    with time_machine.travel(timezone.now() + timedelta(hours=23), tick=False):
        box = reply_box(client, cast.root, case)
    assert "This resident wrote on WhatsApp. Until" in box
    assert str(closes.year) in box


def test_outside_the_window_it_says_only_the_template_goes(client, cast):
    case = make_case("whatsapp", "wamid.P1", WHATSAPP)
    with time_machine.travel(timezone.now() + timedelta(hours=24, minutes=1), tick=False):
        box = reply_box(client, cast.root, case)
    assert "more than 24 hours ago" in box
    assert "only the approved template" in box


def test_it_says_so_in_spanish(client, cast):
    case = make_case("whatsapp", "wamid.P1", WHATSAPP)
    cast.root.preferred_language = "es"
    cast.root.save()
    with time_machine.travel(timezone.now() + timedelta(days=2), tick=False):
        box = reply_box(client, cast.root, case, "es")
    assert "plantilla aprobada" in box


def test_a_telegram_case_says_the_reply_goes_to_telegram(client, cast):
    case = make_case("telegram", "1001", telegram_update())
    assert "on Telegram" in reply_box(client, cast.root, case)


def test_an_email_case_has_no_such_note(client, cast):
    raw = b"From: a@example.org\r\nTo: 311@city.test\r\nSubject: Tree\r\nMessage-ID: <n1@x>\r\n\r\n"
    raw += b"A fallen tree.\r\n"
    case = actions.process(actions.receive("email", None, raw).pk).case
    assert 'id="reply-channel"' not in reply_box(client, cast.root, case)
