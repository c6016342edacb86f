"""The outbox delivered through a real SMTP server: sent once, kept through an outage, given up on loudly."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from civicdesk.cases import actions
from civicdesk.notify.delivery import deliver, deliver_due
from civicdesk.notify.models import OutboxMessage
from civicdesk.test import PASSWORD

CHANGELIST = "/admin/notify/outboxmessage/"


def submit(cast, email="res@example.org"):
    return actions.submit_case(
        service=cast.pothole, answers={"depth": "deep"}, reporter_email=email, reporter_name="Res"
    )


@pytest.fixture
def mail_to(smtp_server):
    with override_settings(MAILERS=smtp_server.mailers):
        yield smtp_server


def later(message):
    """Travel to just after the message's next attempt is due."""
    message.refresh_from_db()
    return time_machine.travel(message.next_attempt_at + timedelta(seconds=1), tick=True)


def test_it_sends_the_acknowledgement_over_smtp(cast, mail_to, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = submit(cast)
    [envelope] = mail_to.envelopes
    [message] = mail_to.messages
    assert envelope.rcpt_tos == ["res@example.org"]
    assert message["To"] == "res@example.org" and message["From"] == settings.DEFAULT_FROM_EMAIL
    assert message["Subject"] == f"We received your report {case.number}"
    body = message.get_body(("plain",)).get_content()
    assert "Hello Res," in body and case.number in body and case.tracking_url in body
    row = OutboxMessage.objects.get(case=case)
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, "") and row.sent_at


def test_it_keeps_a_message_through_an_smtp_outage_and_sends_it_once(
    cast, mail_to, django_capture_on_commit_callbacks
):
    mail_to.stop()
    with django_capture_on_commit_callbacks(execute=True):
        case = submit(cast)  # the case is filed even though the e-mail cannot go
    message = OutboxMessage.objects.get(case=case)
    assert (message.status, message.attempts) == ("pending", 1)
    assert "Connection refused" in message.last_error and message.next_attempt_at > timezone.now()
    assert deliver_due() == []  # not due yet: no hammering a server that is down

    mail_to.start()
    with later(message):
        assert deliver_due() == ["sent"]
        assert deliver_due() == []
        assert deliver(message.pk) is None  # a late task for it finds nothing to do
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == ("sent", 2, "")
    assert [m["To"] for m in mail_to.messages] == ["res@example.org"]


def test_it_backs_off_between_attempts(cast, mail_to, django_capture_on_commit_callbacks):
    mail_to.stop()
    with django_capture_on_commit_callbacks(execute=True):
        case = submit(cast)
    message = OutboxMessage.objects.get(case=case)
    gaps = []
    for _ in range(3):
        with later(message):
            before = timezone.now()
            deliver_due()
            message.refresh_from_db()
            gaps.append(round((message.next_attempt_at - before).total_seconds()))
    assert gaps == [60, 120, 240] and message.attempts == 4


def test_it_gives_up_after_the_last_attempt_and_the_admin_can_retry(
    cast, client, mail_to, django_capture_on_commit_callbacks
):
    mail_to.stop()
    with override_settings(OUTBOX_MAX_ATTEMPTS=3):
        with django_capture_on_commit_callbacks(execute=True):
            case = submit(cast, email="lost@example.org")
        message = OutboxMessage.objects.get(case=case)
        for _ in range(2):
            with later(message):
                deliver_due()
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", 3)
    with later(message):
        assert deliver_due() == []  # given up: no more automatic tries

    assert client.login(email="root@demo.test", password=PASSWORD)
    page = client.get(CHANGELIST, {"status__exact": "failed"})
    assert page.status_code == 200
    assert "lost@example.org" in page.content.decode() and "ConnectionRefusedError" in page.content.decode()

    mail_to.start()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(CHANGELIST, {"action": "retry_now", "_selected_action": [message.pk]})
    assert response.status_code == 302
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 1)
    assert [m["To"] for m in mail_to.messages] == ["lost@example.org"]


def test_it_does_not_retry_a_message_that_was_sent_or_is_being_sent(cast, client, mail_to):
    sent = OutboxMessage.objects.create(kind="reply", recipient="a@example.org", body="x", status="sent")
    sending = OutboxMessage.objects.create(
        kind="reply", recipient="b@example.org", body="x", status="sending", claimed_at=timezone.now()
    )
    assert client.login(email="root@demo.test", password=PASSWORD)
    client.post(CHANGELIST, {"action": "retry_now", "_selected_action": [sent.pk, sending.pk]})
    assert list(OutboxMessage.objects.order_by("pk").values_list("status", flat=True)) == ["sent", "sending"]
    assert mail_to.envelopes == []


def test_it_takes_over_a_message_whose_worker_died_mid_send(cast, mail_to):
    stuck = OutboxMessage.objects.create(
        kind="reply",
        recipient="stuck@example.org",
        subject="Update",
        body="x",
        status="sending",
        claimed_at=timezone.now() - timedelta(minutes=11),
    )
    fresh = OutboxMessage.objects.create(
        kind="reply", recipient="busy@example.org", body="x", status="sending", claimed_at=timezone.now()
    )
    assert deliver_due() == ["sent"]
    assert [m["To"] for m in mail_to.messages] == ["stuck@example.org"]
    fresh.refresh_from_db()
    stuck.refresh_from_db()
    assert fresh.status == "sending" and stuck.status == "sent"


def test_it_keeps_the_change_when_queueing_the_delivery_fails(
    cast, monkeypatch, django_capture_on_commit_callbacks
):
    from civicdesk.notify import outbox

    def broken(message_id):
        raise ConnectionError("task queue down")

    monkeypatch.setattr(outbox, "enqueue", broken)
    with django_capture_on_commit_callbacks(execute=True):
        case = submit(cast)  # no exception reaches the resident: the case exists
    assert OutboxMessage.objects.get(case=case).status == "pending"  # deliver_outbox sends it later
