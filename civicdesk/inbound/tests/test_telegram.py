"""Telegram bot webhook: the secret-token header, one case per update_id, replies by sendMessage."""

import pytest
from django.test import override_settings

from civicdesk.cases import actions as case_actions
from civicdesk.cases.models import Case, Channel
from civicdesk.inbound.models import Conversation, InboundMessage
from civicdesk.notify.models import OutboxMessage
from civicdesk.residents.models import ContactPoint

from .messaging_helpers import BOT_SECRET, Provider, post_telegram, telegram_update


@pytest.fixture
def bot_api():
    provider = Provider()
    provider.answer = {"ok": True, "result": {"message_id": 99}}
    with override_settings(
        TELEGRAM_WEBHOOK_SECRET=BOT_SECRET, TELEGRAM_BOT_TOKEN="123:ABC", TELEGRAM_API_BASE=provider.url
    ):
        yield provider
    provider.stop()


def deliver(client, capture, data, **kwargs):
    with capture(execute=True):
        return post_telegram(client, data, **kwargs)


def test_it_refuses_a_missing_or_wrong_secret_token(client, bot_api, db):
    assert post_telegram(client, telegram_update(), secret="").status_code == 401
    assert post_telegram(client, telegram_update(), secret="guess").status_code == 403
    assert not InboundMessage.objects.exists()


def test_it_answers_503_when_not_configured(client, db):
    with override_settings(TELEGRAM_WEBHOOK_SECRET=""):
        assert post_telegram(client, telegram_update()).status_code == 503


def test_it_refuses_what_is_not_an_update(client, bot_api, db):
    assert post_telegram(client, {"hello": 1}).status_code == 400


def test_it_makes_one_case_from_three_deliveries_of_one_update(
    client, cast, bot_api, django_capture_on_commit_callbacks
):
    for _ in range(3):
        assert deliver(client, django_capture_on_commit_callbacks, telegram_update()).status_code == 200
    assert InboundMessage.objects.filter(channel="telegram").count() == 1
    case = Case.objects.get()
    assert case.channel == Channel.SOCIAL
    assert Conversation.objects.get(case=case).address == "42"
    assert ContactPoint.objects.filter(kind="telegram", value="ana_l").exists()


def test_it_sends_the_acknowledgement_and_replies_with_send_message(
    client, cast, bot_api, django_capture_on_commit_callbacks
):
    deliver(client, django_capture_on_commit_callbacks, telegram_update())
    case = Case.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        case_actions.reply(case, cast.root, "A crew comes tomorrow.")
    assert [r["path"] for r in bot_api.requests] == ["/bot123:ABC/sendMessage"] * 2
    assert case.number in bot_api.requests[0]["json"]["text"]
    assert bot_api.requests[1]["json"] == {"chat_id": "42", "text": "A crew comes tomorrow."}
    assert bot_api.requests[1]["headers"]["Content-Type"] == "application/json"
    assert set(OutboxMessage.objects.values_list("provider_id", flat=True)) == {"99"}


def test_a_second_message_comments_and_an_edit_is_not_filed(
    client, cast, bot_api, django_capture_on_commit_callbacks
):
    deliver(client, django_capture_on_commit_callbacks, telegram_update())
    deliver(client, django_capture_on_commit_callbacks, telegram_update(1002, "Still dark"))
    edit = {"update_id": 1003, "edited_message": telegram_update()["message"]}
    assert deliver(client, django_capture_on_commit_callbacks, edit).json() == {"stored": False}
    case = Case.objects.get()
    assert case.events.filter(kind="comment", message="Still dark").exists()


def test_a_resident_who_asked_not_to_be_contacted_gets_nothing(
    client, cast, bot_api, django_capture_on_commit_callbacks
):
    deliver(client, django_capture_on_commit_callbacks, telegram_update())
    resident = ContactPoint.objects.get(kind="telegram").resident
    resident.preferred_channel = "none"
    resident.save()
    before = len(bot_api.requests)
    with django_capture_on_commit_callbacks(execute=True):
        case_actions.reply(Case.objects.get(), cast.root, "A crew comes tomorrow.")
    assert len(bot_api.requests) == before
    assert OutboxMessage.objects.get(kind="reply").status == OutboxMessage.Status.CANCELLED


def test_a_refused_send_is_not_retried(client, cast, bot_api, django_capture_on_commit_callbacks):
    bot_api.status, bot_api.answer = (
        403,
        {"ok": False, "description": "Forbidden: bot was blocked by the user"},
    )
    deliver(client, django_capture_on_commit_callbacks, telegram_update())
    ack = OutboxMessage.objects.get(kind="acknowledgement")
    assert ack.status == OutboxMessage.Status.CANCELLED
    assert "blocked" in ack.last_error
