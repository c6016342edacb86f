"""Account e-mails go through the outbox: SMTP being down answers normally and delivers later."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse

from civicdesk.accounts.models import User
from civicdesk.notify.delivery import deliver_due
from civicdesk.notify.models import OutboxMessage

PASSWORD = "tall-lantern-orchard-5821"  # noqa: S105 - long enough for any password policy


@pytest.fixture
def smtp_down(smtp_server):
    """The real SMTP server, stopped."""
    smtp_server.stop()
    with override_settings(MAILERS=smtp_server.mailers):
        yield smtp_server


def back_up_and_deliver(smtp_server):
    """SMTP answers again; the sweep sends what is due once the backoff is over."""
    smtp_server.start()
    retry_at = max(OutboxMessage.objects.values_list("next_attempt_at", flat=True))
    with time_machine.travel(retry_at + timedelta(seconds=1), tick=False):
        assert set(deliver_due()) == {"sent"}
    return smtp_server.messages


def body(message):
    return message.get_body(("plain",)).get_content()


def test_it_signs_up_with_smtp_down_and_sends_the_confirmation_later(
    client, cast, smtp_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # the delivery task runs, as in production
        response = client.post(
            reverse("account_signup"),
            {"email": "new@example.org", "password1": PASSWORD, "password2": PASSWORD},
        )
    assert response.status_code == 302
    assert User.objects.filter(email="new@example.org").exists()
    queued = OutboxMessage.objects.get(kind="account")
    assert (queued.recipient, queued.status, queued.attempts) == ("new@example.org", "pending", 1)
    assert "Connection refused" in queued.last_error
    assert smtp_down.envelopes == []

    [message] = back_up_and_deliver(smtp_down)
    assert message["To"] == "new@example.org" and message["Message-ID"] == queued.message_id
    assert message["Subject"].startswith("[Riverton 311] ")
    link = re.search(r"http://\S+/accounts/confirm-email/\S+/", body(message))
    assert link, body(message)
    assert client.get(link.group(0)).status_code == 200  # allauth's own link, rendered by its template


def test_it_answers_a_password_reset_with_smtp_down_and_sends_it_later(
    client, cast, smtp_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_reset_password"), {"email": "alice@demo.test"})
    assert response.status_code == 302
    assert OutboxMessage.objects.get(kind="account").attempts == 1  # tried at once, and kept
    [message] = back_up_and_deliver(smtp_down)
    assert message["To"] == "alice@demo.test"
    assert re.search(r"/accounts/password/reset/key/\S+/", body(message)), body(message)


def test_it_sends_a_password_reset_to_someone_who_asked_not_to_be_contacted(client, cast, smtp_server):
    cast.alice.preferred_channel = "none"
    cast.alice.save(update_fields=["preferred_channel"])
    with override_settings(MAILERS=smtp_server.mailers):
        response = client.post(reverse("account_reset_password"), {"email": "alice@demo.test"})
        assert response.status_code == 302
        deliver_due()
    assert [m["To"] for m in smtp_server.messages] == ["alice@demo.test"]
    assert "/accounts/password/reset/key/" in body(smtp_server.messages[0])
