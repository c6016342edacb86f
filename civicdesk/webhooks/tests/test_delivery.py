"""Webhook delivery through the outbox: retries with backoff while a receiver is down or failing, the
same webhook-id on every attempt, the attempt log, redirects, and messages no retry can save."""

import io
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from civicdesk.cases import actions
from civicdesk.notify.delivery import deliver, deliver_due
from civicdesk.notify.models import OutboxMessage
from civicdesk.webhooks.models import DeliveryAttempt, new_secret
from civicdesk.webhooks.signing import VerificationError, verify


@pytest.fixture
def created(cast, subscribe, django_capture_on_commit_callbacks):
    """Submit a case for a subscription to every event; returns (subscription, its case.created message)."""

    def make(**fields):
        subscription = subscribe(events=["case.created"], **fields)
        with django_capture_on_commit_callbacks(execute=True):
            case = actions.submit_case(service=cast.pothole, answers={"depth": "deep"})
        return subscription, OutboxMessage.objects.get(case=case, channel="webhook")

    return make


def later(message):
    """Travel to just after the message's next attempt is due."""
    message.refresh_from_db()
    return time_machine.travel(message.next_attempt_at + timedelta(seconds=1), tick=True)


def test_it_keeps_a_delivery_while_the_receiver_is_down_and_sends_it_later_with_the_same_id(
    receiver, created
):
    receiver.stop()
    subscription, message = created()
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("pending", 1)
    assert "Connection refused" in message.last_error
    [attempt] = DeliveryAttempt.objects.filter(message=message)
    assert attempt.status_code is None and not attempt.success and "Connection refused" in attempt.error
    assert attempt.subscription == subscription and attempt.url == receiver.url
    assert deliver_due() == []  # backing off: not due yet

    receiver.start()
    with later(message):
        out = io.StringIO()
        call_command("deliver_outbox", "--once", stdout=out)  # the sweep, as cron or a worker runs it
        assert out.getvalue() == "deliver_outbox: 1 sent\n"
        [(_path, headers, body)] = receiver.requests
        assert verify(subscription.secret, headers, body)["type"] == "case.created"
    assert headers["webhook-id"] == message.webhook_id
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == ("sent", 2, "")
    assert deliver(message.pk) is None  # a late task finds nothing to do
    assert list(DeliveryAttempt.objects.filter(message=message).values_list("status_code", "success")) == [
        (204, True),
        (None, False),
    ]


def test_it_retries_a_failing_receiver_fast_then_every_few_hours(receiver, created):
    receiver.status, receiver.answer = 500, b"database is down"
    with override_settings(OUTBOX_MAX_ATTEMPTS=3):
        subscription, message = created()
        windows = []
        for _ in range(2):
            with later(message):
                before = timezone.now()
                deliver_due()
                after = timezone.now()
                message.refresh_from_db()
                # The retry is planned from the failure's moment, somewhere between before and after.
                windows.append((message.next_attempt_at - after, message.next_attempt_at - before))
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", 3)
    assert message.last_error == "DeliveryFailed: HTTP 500 Internal Server Error"
    # The outbox's exponential backoff (the first retry came after 30 s), then, out of fast tries, its
    # slow retry hours away (see notify's tests).
    for (low, high), gap in zip(windows, [60, settings.OUTBOX_SLOW_RETRY_SECONDS], strict=True):
        assert low <= timedelta(seconds=gap) <= high
    assert {h["webhook-id"] for _p, h, _b in receiver.requests} == {message.webhook_id}
    assert len({h["webhook-timestamp"] for _p, h, _b in receiver.requests}) == 3  # each attempt signs anew
    log = DeliveryAttempt.objects.filter(message=message)
    assert (
        list(log.values_list("status_code", "success", "response_body"))
        == [(500, False, "database is down")] * 3
    )


def test_it_logs_the_status_and_only_the_start_of_the_answer(receiver, created):
    receiver.status, receiver.answer = 200, b"ok " + b"x" * 5000
    subscription, message = created()
    [attempt] = DeliveryAttempt.objects.filter(message=message)
    assert (attempt.status_code, attempt.success, attempt.error) == (200, True, "")
    assert attempt.response_body.startswith("ok xxx") and len(attempt.response_body) == 1024
    assert attempt.duration_ms >= 0 and attempt.subscription == subscription


def test_it_signs_the_next_attempt_with_a_rotated_secret(receiver, created):
    receiver.stop()
    subscription, message = created()
    old = subscription.secret
    subscription.secret = new_secret()
    subscription.save()
    receiver.start()
    with later(message):
        deliver_due()
        [(_path, headers, body)] = receiver.requests
        assert verify(subscription.secret, headers, body)["data"]["number"]
        with pytest.raises(VerificationError):
            verify(old, headers, body)


def test_it_reads_a_moved_url_at_send_time(receiver, created):
    subscription, message = created()
    receiver.requests.clear()
    subscription.url = receiver.url.replace("/hooks/civicdesk", "/v2/hooks")
    subscription.save()
    OutboxMessage.objects.filter(pk=message.pk).update(status="pending")
    assert deliver(message.pk) == "sent"
    assert [path for path, _h, _b in receiver.requests] == ["/v2/hooks"]


def test_it_follows_a_same_host_307_with_the_signed_post_and_refuses_other_redirects(receiver, created):
    receiver.routes["/hooks/civicdesk"] = (307, {"Location": "/hooks/moved"})
    subscription, message = created()
    assert [path for path, _h, _b in receiver.requests] == ["/hooks/civicdesk", "/hooks/moved"]
    _path, headers, body = receiver.requests[1]
    assert verify(subscription.secret, headers, body)["type"] == "case.created"
    message.refresh_from_db()
    assert message.status == "sent"

    receiver.routes["/hooks/civicdesk"] = (302, {"Location": "http://elsewhere.example/steal"})
    OutboxMessage.objects.filter(pk=message.pk).update(status="pending")  # as if redelivered
    assert deliver(message.pk) == "pending" and len(receiver.requests) == 3
    attempt = DeliveryAttempt.objects.filter(message=message).first()  # the latest
    assert attempt.status_code == 302
    assert attempt.error == "HTTP 302 Found (redirect to http://elsewhere.example/steal not followed)"


@pytest.mark.parametrize(
    "change, error",
    [
        ({"active": False}, "The webhook subscription is paused; redeliver after reactivating it."),
        ({"url": "ftp://127.0.0.1/hooks"}, "Refused to send to a non-HTTP URL: ftp://127.0.0.1/hooks"),
    ],
)
def test_it_cancels_at_once_what_no_retry_can_deliver_and_alerts_nobody(receiver, created, change, error):
    receiver.stop()
    with override_settings(ADMINS=["ops@example.org"]):
        subscription, message = created()
        for field, value in change.items():
            setattr(subscription, field, value)
        subscription.save()
        with later(message):
            assert deliver_due() == ["cancelled"]
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (
        "cancelled",
        2,
        f"Undeliverable: {error}",
    )
    assert message.alerted_at is None
    assert not OutboxMessage.objects.filter(kind="outbox_alert").exists()
    assert DeliveryAttempt.objects.filter(message=message, error=error).count() == 1
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert deliver_due() == []  # never tried again


def test_it_cancels_a_delivery_whose_subscription_was_deleted(receiver, created):
    receiver.stop()
    subscription, message = created()
    subscription.delete()
    with later(message):
        assert deliver_due() == ["cancelled"]
    message.refresh_from_db()
    assert message.subscription is None and message.status == "cancelled"
    assert message.last_error == "Undeliverable: The webhook subscription was deleted."
    assert not OutboxMessage.objects.filter(kind="outbox_alert").exists()
