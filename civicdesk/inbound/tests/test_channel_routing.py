"""Several accounts per channel (decision 51): each webhook is checked with, and recorded against,
the account it is for; replies go out from the account the resident wrote to; the environment's
account still works; secrets sealed at rest survive a key rotation through the fallbacks."""

import base64
import hashlib
import hmac
import json
from urllib.parse import parse_qs

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from civicdesk.cases import actions as case_actions
from civicdesk.cases.models import Case
from civicdesk.inbound import config, sealed
from civicdesk.inbound.channel_accounts import ImapMailbox, TelegramBot, TwilioNumber, WhatsAppNumber
from civicdesk.inbound.models import InboundMessage

from . import dovecot as dovecot_server
from .fake_twilio import PUBLIC, FakeTwilio, post_signed
from .messaging_helpers import Provider, telegram_update, whatsapp_body

A, B = "+16175550001", "+16175550002"
PHONE = "+16175550123"


@pytest.fixture
def fake():
    server = FakeTwilio()
    server.start()
    with override_settings(TWILIO_AUTH_TOKEN="", TWILIO_WEBHOOK_BASE=PUBLIC):
        yield server
    server.stop()


def number(fake, phone, sid, token, **fields):
    row = TwilioNumber(name=phone, number=phone, account_sid=sid, api_base=fake.base, **fields)
    row.set_secret("auth_token", token)
    row.save()
    return row


@pytest.fixture
def two_numbers(fake, db):
    return number(fake, A, "ACaaaa", "token-a"), number(
        fake, B, "ACbbbb", "token-b", agent_number="+16175550999"
    )


def sms(to, sid="SM1", body="HELP"):
    return {"MessageSid": sid, "From": PHONE, "To": to, "Body": body}


def signed_by(token, name, params, query=""):
    from .fake_twilio import sign

    path = reverse(name) + (f"?{query}" if query else "")
    return sign(PUBLIC + path, params, token)


def test_each_number_accepts_only_its_own_accounts_signature(client, two_numbers):
    for to, token, status in [
        (A, "token-a", 200),
        (B, "token-a", 403),
        (B, "token-b", 200),
        (A, "token-b", 403),
    ]:
        params = sms(to, sid=f"SM{to[-1]}{token[-1]}")
        response = post_signed(
            client, "inbound-sms", params, signature=signed_by(token, "inbound-sms", params)
        )
        assert response.status_code == status, (to, token)
    assert sorted(InboundMessage.objects.values_list("recipients", flat=True)) == [[A], [B]]


def test_a_reply_goes_out_from_the_number_the_resident_texted(
    client, cast, two_numbers, fake, django_capture_on_commit_callbacks
):
    params = sms(B)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_signed(
            client, "inbound-sms", params, signature=signed_by("token-b", "inbound-sms", params)
        )
    assert response.status_code == 200
    [(method, path, headers, body)] = fake.requests  # the HELP answer
    assert path == "/2010-04-01/Accounts/ACbbbb/Messages.json"
    assert headers["Authorization"] == "Basic " + base64.b64encode(b"ACbbbb:token-b").decode()
    form = parse_qs(body.decode())
    assert form["From"] == [B] and form["To"] == [PHONE]
    assert form["StatusCallback"] == [PUBLIC + reverse("inbound-sms-status")]


def test_a_status_callback_is_checked_with_the_sending_numbers_account(client, two_numbers):
    params = {"MessageSid": "SM9", "MessageStatus": "delivered", "From": B, "To": PHONE}
    name = "inbound-sms-status"
    assert post_signed(client, name, params, signature=signed_by("token-b", name, params)).status_code == 204
    assert post_signed(client, name, params, signature=signed_by("token-a", name, params)).status_code == 403


def test_the_phone_menu_dials_the_agents_of_the_number_called(client, two_numbers, settings):
    settings.VOICE_AGENT_NUMBER = "+16175550100"
    for to, agent in [(B, "+16175550999"), (A, "+16175550100")]:
        params = {"CallSid": "CA1", "From": PHONE, "To": to, "Digits": "0"}
        token = "token-b" if to == B else "token-a"
        name = "inbound-voice-choice"
        response = post_signed(
            client, name, params, "lang=en", signature=signed_by(token, name, params, "lang=en")
        )
        assert f"<Dial>{agent}</Dial>" in response.content.decode()


def test_a_recording_is_fetched_with_the_called_numbers_account_and_the_case_number_texted_from_it(
    client, cast, two_numbers, fake, django_capture_on_commit_callbacks
):
    recording = f"{fake.base}/2010-04-01/Accounts/ACbbbb/Recordings/RE1"
    params = {"RecordingSid": "RE1", "RecordingUrl": recording, "From": PHONE, "To": B, "CallSid": "CA1"}
    name = "inbound-voice-recorded"
    with django_capture_on_commit_callbacks(execute=True):
        post_signed(client, name, params, "lang=en", signature=signed_by("token-b", name, params, "lang=en"))
    case = Case.objects.get(channel="voice")
    (get, path, headers, _), (post, sms_path, sms_headers, body) = fake.requests
    assert (get, path) == ("GET", "/2010-04-01/Accounts/ACbbbb/Recordings/RE1")
    assert (
        headers["Authorization"]
        == sms_headers["Authorization"]
        == "Basic " + base64.b64encode(b"ACbbbb:token-b").decode()
    )
    assert sms_path == "/2010-04-01/Accounts/ACbbbb/Messages.json"
    form = parse_qs(body.decode())
    assert form["From"] == [B] and case.number in form["Body"][0]


def test_the_environments_account_is_the_default_beside_the_admins(client, fake, db, settings):
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, settings.TWILIO_FROM = (
        "ACenv",
        "token-env",
        "+16175550000",
    )
    settings.TWILIO_API_BASE = fake.base
    number(fake, A, "ACaaaa", "token-a")
    assert [account.key for account in config.twilio_accounts()] == [
        "env",
        str(TwilioNumber.objects.get().pk),
    ]
    params = sms("+16175550077")  # a number no account has: the default's
    assert (
        post_signed(
            client, "inbound-sms", params, signature=signed_by("token-env", "inbound-sms", params)
        ).status_code
        == 200
    )
    params = sms(A, sid="SM2")
    assert (
        post_signed(
            client, "inbound-sms", params, signature=signed_by("token-env", "inbound-sms", params)
        ).status_code
        == 403
    )


# ---------------------------------------------------------------- WhatsApp


@pytest.fixture
def graph():
    provider = Provider()
    provider.answer = {"messaging_product": "whatsapp", "messages": [{"id": "wamid.OUT"}]}
    yield provider
    provider.stop()


def whatsapp_number(graph, number_id, secret, token):
    row = WhatsAppNumber(name=number_id, phone_number_id=number_id, api_base=graph.url)
    row.set_secret("app_secret", secret)
    row.set_secret("access_token", token)
    row.save()
    return row


def post_whatsapp(client, data, secret):
    raw = json.dumps(data).encode()
    signature = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return client.post(
        reverse("inbound-whatsapp"),
        raw,
        content_type="application/json",
        headers={"X-Hub-Signature-256": signature},
    )


def for_number(number_id, wamid):
    data = whatsapp_body(wamid=wamid)
    data["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = number_id
    return data


def test_whatsapp_takes_each_number_with_its_apps_secret_and_replies_from_it(
    client, cast, graph, django_capture_on_commit_callbacks
):
    whatsapp_number(graph, "P1", "secret-1", "token-1")
    whatsapp_number(graph, "P2", "secret-2", "token-2")
    assert post_whatsapp(client, for_number("P2", "wamid.X"), "secret-1").json() == {
        "messages": 0,
        "statuses": 0,
    }
    assert post_whatsapp(client, for_number("P2", "wamid.Y"), "wrong").status_code == 403
    assert not InboundMessage.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert post_whatsapp(client, for_number("P2", "wamid.Z"), "secret-2").json()["messages"] == 1
    assert InboundMessage.objects.get().recipients == ["P2"]
    [acknowledgement] = graph.requests
    assert acknowledgement["path"] == "/v21.0/P2/messages"
    assert acknowledgement["headers"]["Authorization"] == "Bearer token-2"


# ---------------------------------------------------------------- Telegram


def test_each_bot_has_its_own_url_secret_and_replies(client, cast, graph, django_capture_on_commit_callbacks):
    graph.answer = {"ok": True, "result": {"message_id": 5}}
    bots = []
    for n in (1, 2):
        bot = TelegramBot(name=f"bot {n}", api_base=graph.url)
        bot.set_secret("bot_token", f"{n}:token")
        bot.set_secret("webhook_secret", f"hook-{n}")
        bot.save()
        bots.append(bot)
    url = reverse("inbound-telegram-bot", args=[bots[1].pk])

    def post(data, secret, to=url):
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
        return client.post(to, json.dumps(data), content_type="application/json", headers=headers)

    assert post(telegram_update(), "hook-1").status_code == 403  # the other bot's secret
    assert (
        post(telegram_update(), "hook-2", to=reverse("inbound-telegram-bot", args=[999])).status_code == 404
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert post(telegram_update(update_id=7), "hook-2").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):  # the same update_id, to the other bot
        first = reverse("inbound-telegram-bot", args=[bots[0].pk])
        assert post(telegram_update(update_id=7, chat_id=43), "hook-1", to=first).status_code == 200
    assert sorted(InboundMessage.objects.values_list("key", flat=True)) == [f"bot{b.pk}:7" for b in bots]
    case = Case.objects.get(inbound_messages__key=f"bot{bots[1].pk}:7")
    with django_capture_on_commit_callbacks(execute=True):
        case_actions.reply(case, cast.root, "A crew comes tomorrow.")
    assert graph.requests[-1]["path"] == "/bot2:token/sendMessage"
    assert graph.requests[-1]["json"] == {"chat_id": "42", "text": "A crew comes tomorrow."}


def test_the_environments_bot_keeps_its_url(client, db, settings):
    settings.TELEGRAM_WEBHOOK_SECRET = "env-hook"
    headers = {"X-Telegram-Bot-Api-Secret-Token": "env-hook"}
    response = client.post(
        reverse("inbound-telegram"),
        json.dumps(telegram_update()),
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 200
    assert InboundMessage.objects.get().key == "1001"


# ---------------------------------------------------------------- secrets at rest


def test_a_rotated_key_still_opens_through_the_fallbacks(db, settings):
    settings.SECRET_KEY = "old-key"
    row = TwilioNumber(name="n", number=A, account_sid="AC1")
    row.set_secret("auth_token", "token-a")
    row.save()
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "new-key", ["old-key"]
    assert TwilioNumber.objects.get().secret("auth_token") == "token-a"
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(sealed.Unreadable):
        TwilioNumber.objects.get().secret("auth_token")
    assert config.twilio_for(A).auth_token == ""  # unset, so its webhooks are refused, not a 500
    TwilioNumber.objects.get().save()  # saved while unreadable: kept as it was, not lost

    settings.SECRET_KEY_FALLBACKS = ["old-key"]
    TwilioNumber.objects.get().save()  # saving moves it to the current key
    settings.SECRET_KEY_FALLBACKS = []
    assert TwilioNumber.objects.get().secret("auth_token") == "token-a"


def test_channel_secrets_key_takes_over_from_secret_key(settings):
    settings.CHANNEL_SECRETS_KEY = "channel-key"
    token = sealed.seal("s3cret")
    settings.SECRET_KEY = "another"
    assert sealed.unseal(token) == "s3cret"
    settings.CHANNEL_SECRETS_KEY = "rotated"
    settings.CHANNEL_SECRETS_KEY_FALLBACKS = ["channel-key"]
    assert sealed.unseal(token) == "s3cret"


def test_an_unreadable_secret_refuses_the_webhook_without_an_error(client, fake, db, settings):
    settings.SECRET_KEY = "old-key"
    number(fake, A, "ACaaaa", "token-a")
    settings.SECRET_KEY = "new-key"
    params = sms(A)
    assert (
        post_signed(
            client, "inbound-sms", params, signature=signed_by("token-a", "inbound-sms", params)
        ).status_code
        == 403
    )


# ---------------------------------------------------------------- fetchmail


@pytest.fixture
def imap_cast(transactional_db):
    from civicdesk.test import make_cast

    return make_cast()


def test_fetchmail_polls_every_active_mailbox(dovecot, imap_cast, settings):
    settings.INBOUND_IMAP_HOST = ""
    dovecot.append(
        b"From: a@example.org\r\nTo: 311@city.test\r\nMessage-ID: <m1@x>\r\nSubject: Tree\r\n\r\nA tree.\r\n"
    )
    client = dovecot.client()
    client.create("Second")
    client.logout()
    dovecot.append(
        b"From: b@example.org\r\nTo: 311@city.test\r\nMessage-ID: <m2@x>\r\nSubject: Hole\r\n\r\nA hole.\r\n",
        "Second",
    )
    for folder, processed, active in [
        ("INBOX", "Done1", True),
        ("Second", "Done2", True),
        ("Second", "Off", False),
    ]:
        mailbox_row(folder, processed, dovecot.port, active)
    call_command("fetchmail", "--once")
    assert sorted(InboundMessage.objects.values_list("key", flat=True)) == ["<m1@x>", "<m2@x>"]
    assert len(dovecot.contents("Done1")) == 1 and len(dovecot.contents("Done2")) == 1
    assert dovecot.contents("Off") is None  # the inactive mailbox was not opened


def test_fetchmail_starts_polling_a_mailbox_added_in_the_admin_while_it_runs(dovecot, imap_cast, settings):
    import threading

    from django.db import connections

    from civicdesk.inbound.management.commands.fetchmail import Command

    from .test_fetchmail import wait_until

    settings.INBOUND_IMAP_HOST = ""
    mailbox_row("INBOX", "Done1", dovecot.port)
    dovecot.append(b"From: a@example.org\r\nTo: 311@city.test\r\nMessage-ID: <r1@x>\r\n\r\nA tree.\r\n")
    command = Command()
    command.once, command.interval, command.idle, command.only = False, 1, True, None
    command.stopping, command.refused = threading.Event(), []

    def supervise():
        try:
            command.supervise(command.accounts())
        finally:
            connections.close_all()

    worker = threading.Thread(target=supervise)
    worker.start()
    try:
        wait_until(lambda: InboundMessage.objects.filter(key="<r1@x>").exists())
        client = dovecot.client()
        client.create("Second")
        client.logout()
        dovecot.append(
            b"From: b@example.org\r\nTo: 311@city.test\r\nMessage-ID: <r2@x>\r\n\r\nA hole.\r\n", "Second"
        )
        mailbox_row("Second", "Done2", dovecot.port)
        wait_until(lambda: InboundMessage.objects.filter(key="<r2@x>").exists())
    finally:
        command.stopping.set()
        worker.join(30)
    assert not worker.is_alive()
    assert len(dovecot.contents("Done2")) == 1


def mailbox_row(folder, processed, port, active=True):
    row = ImapMailbox(
        name=folder, host="127.0.0.1", port=port, security="none", user=dovecot_server.USER,
        folder=folder, processed_folder=processed, active=active,
    )  # fmt: skip
    row.set_secret("password", dovecot_server.PASSWORD)
    row.save()
    return row


# ---------------------------------------------------------------- replies from an account that can send


def test_replies_default_to_the_first_account_that_can_send(fake, graph, db, settings):
    """The environment's account may hold only what checks webhooks; it is listed first but cannot
    send, so a resident nobody knows yet is answered from the admin's account that can."""
    settings.TWILIO_AUTH_TOKEN = "token-env"  # signatures only: no SID, no number
    settings.WHATSAPP_VERIFY_TOKEN = "verify-env"  # the handshake only
    settings.TELEGRAM_WEBHOOK_SECRET = "env-hook"  # the webhook only
    row = number(fake, A, "ACaaaa", "token-a")
    wa = whatsapp_number(graph, "PNID9", "app-9", "EAA9")
    bot = TelegramBot(name="bot", api_base=graph.url)
    bot.set_secret("bot_token", "9:token")
    bot.set_secret("webhook_secret", "hook-9")
    bot.save()
    assert [a.key for a in config.twilio_accounts()][0] == config.ENV  # still the default for webhooks
    assert config.twilio_for_reply(PHONE).key == str(row.pk)
    assert config.whatsapp_for_reply("15551234567").key == str(wa.pk)
    assert config.telegram_for_reply("42").key == str(bot.pk)


def test_no_account_that_can_send_means_no_account_for_a_reply(fake, db, settings):
    settings.TWILIO_AUTH_TOKEN = "token-env"
    assert config.twilio_for("+16175550077").key == config.ENV  # checks the webhook's signature
    assert config.twilio_for_reply(PHONE) is None  # send_sms says SMS is not configured


def test_the_accounts_never_show_their_secrets(fake, graph, db, settings):
    settings.INBOUND_IMAP_HOST, settings.INBOUND_IMAP_USER, settings.INBOUND_IMAP_PASSWORD = (
        "imap.example.org",
        "311",
        "imap-password",
    )
    settings.WHATSAPP_VERIFY_TOKEN = "verify-env"
    bot = TelegramBot(name="bot", api_base=graph.url)
    bot.set_secret("bot_token", "9:bot-token")
    bot.set_secret("webhook_secret", "hook-9")
    bot.save()
    accounts = [
        *config.imap_accounts(),
        config.twilio_account(number(fake, A, "ACaaaa", "token-a")),
        config.whatsapp_account(whatsapp_number(graph, "PNID9", "app-9", "EAA9")),
        *config.whatsapp_accounts()[:1],
        config.telegram_account(bot),
    ]
    shown = " ".join(repr(account) for account in accounts)
    assert "ACaaaa" in shown and "PNID9" in shown  # the rest is there
    for secret in ("imap-password", "token-a", "app-9", "EAA9", "verify-env", "9:bot-token", "hook-9"):
        assert secret not in shown
