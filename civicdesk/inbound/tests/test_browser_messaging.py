"""The WhatsApp reply note on the staff case page passes axe-core in both languages, with the
24-hour window open and closed, and so do the thread's notes on a refused reply and its template."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from civicdesk.browser.helpers import DESKTOP, PHONE, assert_accessible, assert_no_horizontal_scroll
from civicdesk.inbound import actions
from civicdesk.inbound.models import Conversation, InboundMessage
from civicdesk.notify.models import OutboxMessage

from .test_browser_inbound import signed_in

pytestmark = pytest.mark.browser


def whatsapp_case(key, number):
    data = {
        "message": {
            "from": number,
            "id": key,
            "type": "text",
            "text": {"body": "A fallen tree on Elm Street"},
        },
        "contact": {"profile": {"name": "Ana"}, "wa_id": number},
    }
    # Committed at once here: the queued task has processed the message by the time receive returns.
    return InboundMessage.objects.get(pk=actions.receive("whatsapp", key, json.dumps(data).encode()).pk).case


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_whatsapp_reply_note_is_accessible(site, browser, language, viewport):
    base, cast = site
    fresh = whatsapp_case("wamid.B1", "15551230001")
    stale = whatsapp_case("wamid.B2", "15551230002")
    Conversation.objects.filter(case=stale).update(last_inbound_at=timezone.now() - timedelta(days=2))
    reply = {"channel": "whatsapp", "kind": "reply", "case": stale, "recipient": "+15551230002"}
    OutboxMessage.objects.create(
        **reply, body="A crew comes.", status="sent", provider_status="failed", last_error="WhatsApp: 131047"
    )
    OutboxMessage.objects.create(**reply, body="A crew comes.", status="sent", as_template=True)
    page = signed_in(browser, base, cast.root, language, viewport)
    for case in (fresh, stale):
        page.goto(f"{base}/staff/cases/{case.number}/")
        assert page.locator("#reply-channel").is_visible()
        if case == stale:
            assert page.locator(".conversation .hint").count() == 2
        assert_accessible(page, f"WhatsApp case page [{language}]")
        assert_no_horizontal_scroll(page)
