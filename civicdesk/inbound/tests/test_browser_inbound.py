"""The e-mail conversation on the staff case page and the quarantine in the admin pass axe-core, in both
languages."""

import pytest
from django.test import Client

from civicdesk.browser.helpers import (
    DESKTOP,
    PHONE,
    assert_accessible,
    assert_no_horizontal_scroll,
    block_map_tiles,
)
from civicdesk.cases import actions as case_actions
from civicdesk.inbound import actions
from civicdesk.inbound.models import InboundMessage

pytestmark = pytest.mark.browser

MAIL = (
    b"From: Ana <ana@example.org>\r\nTo: 311@city.test\r\nSubject: Fallen tree on Elm\r\n"
    b"Message-ID: <b1@example.org>\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
    b"Content-Type: text/plain\r\n\r\nA fallen tree on Elm Street.\r\n--b\r\n"
    b"Content-Type: application/pdf\r\n"
    b'Content-Disposition: attachment; filename="letter.pdf"\r\n\r\n%PDF-1.4\r\n--b--\r\n'
)
BROKEN = MAIL.replace(b"<b1@", b"<b2@").replace(
    b"Content-Type: text/plain", b"Content-Type: text/plain; charset=x-no"
)


def signed_in(browser, base, user, language, viewport=DESKTOP):
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport=viewport)
    context.add_cookies(
        [
            {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base},
            {"name": "django_language", "value": language, "url": base},
        ]
    )
    page = context.new_page()
    block_map_tiles(page)
    return page


@pytest.fixture
def emailed(site):
    base, cast = site
    # Committed at once here: the queued task has processed each message by the time receive returns.
    case = InboundMessage.objects.get(pk=actions.receive("email", None, MAIL).pk).case
    case_actions.reply(case, cast.carol, "A crew is on its way.")
    quarantined = InboundMessage.objects.get(pk=actions.receive("email", None, BROKEN).pk)
    assert quarantined.status == "quarantined"
    return case, quarantined


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_conversation_is_accessible(site, browser, emailed, language, viewport):
    base, cast = site
    case, _ = emailed
    page = signed_in(browser, base, cast.erin, language, viewport)
    page.goto(f"{base}/staff/cases/{case.number}/")
    assert page.locator("#conversation-title").is_visible()
    assert_accessible(page, f"case page with a conversation [{language}]")
    assert_no_horizontal_scroll(page)


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_quarantine_is_accessible(site, browser, emailed, language):
    base, cast = site
    _, quarantined = emailed
    page = signed_in(browser, base, cast.root, language)
    for path in ("?status__exact=quarantined", f"{quarantined.pk}/change/"):
        page.goto(f"{base}/admin/inbound/inboundmessage/{path}")
        assert page.locator("html").get_attribute("lang") == language
        assert_accessible(page, f"quarantine {path} [{language}]")


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_sms_conversation_is_accessible(site, browser, language):
    """A case reported by SMS (decision 48): its thread is headed "SMS conversation"."""
    from civicdesk.cases.models import Channel
    from civicdesk.inbound.models import Conversation

    base, cast = site
    case = case_actions.submit_case(
        service=cast.tree, description="A fallen tree", channel=Channel.SMS, reporter_phone="+16175550123"
    )
    conversation = Conversation.objects.create(channel=Channel.SMS, address="+16175550123", case=case)
    InboundMessage.objects.create(
        channel=Channel.SMS, key="twilio:SMb1", raw=b"", status="processed", text="A fallen tree",
        conversation=conversation, case=case,
    )  # fmt: skip
    case_actions.reply(case, cast.carol, "A crew is on its way.")
    page = signed_in(browser, base, cast.carol, language)
    page.goto(f"{base}/staff/cases/{case.number}/")
    assert page.locator("#conversation-title").inner_text() in ("SMS conversation", "Conversación por SMS")
    assert_accessible(page, f"case page with an SMS conversation [{language}]")


@pytest.fixture
def channel_accounts(site):
    """One account of each kind (decision 51), each with its secrets set."""
    from civicdesk.inbound.channel_accounts import ImapMailbox, TelegramBot, TwilioNumber, WhatsAppNumber

    rows = [
        ImapMailbox(name="311 inbox", host="imap.city.test", user="311@city.test"),
        TwilioNumber(name="Main line", number="+16175550100", account_sid="AC0123"),
        WhatsAppNumber(name="WhatsApp", phone_number_id="1234567890", template_name="case_update"),
        TelegramBot(name="City bot"),
    ]
    for row in rows:
        for name in row.SECRETS:
            row.set_secret(name, f"{name}-SECRET-VALUE")
        row.save()
    return rows


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_channel_accounts_are_accessible(site, browser, channel_accounts, language, viewport):
    base, cast = site
    page = signed_in(browser, base, cast.root, language, viewport)
    for row in channel_accounts:
        admin = f"{base}/admin/inbound/{row._meta.model_name}/"
        for path in ("", f"{row.pk}/change/", f"{row.pk}/test/", "add/"):
            page.goto(admin + path)
            assert page.locator("html").get_attribute("lang") == language
            assert "SECRET-VALUE" not in page.content()
            assert_accessible(page, f"{row._meta.model_name} {path or 'list'} [{language}]")
            if path:  # a list's table may scroll inside its own box; the pages around it may not
                assert_no_horizontal_scroll(page)
