"""The safety net for inbound messages whose task or worker died: `civicdesk deliver_outbox` takes
up a message still "received" INBOUND_STALLED_SECONDS after it was stored (decision 55)."""

import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from civicdesk.cases.models import Case
from civicdesk.inbound import actions, media
from civicdesk.inbound.models import InboundMessage

Status = InboundMessage.Status
MAIL = (
    b"From: Ana <ana@example.org>\r\nTo: 311@city.test\r\nSubject: Fallen tree\r\n"
    b"Message-ID: <stalled@example.org>\r\n\r\nA fallen tree on Elm Street.\r\n"
)


def stored(minutes_ago, **fields):
    """A message as a killed worker leaves it: stored, its task gone or stuck, never processed."""
    return InboundMessage.objects.create(
        channel="email",
        key="<stalled@example.org>",
        raw=MAIL,
        size=len(MAIL),
        sender="ana@example.org",
        received_at=timezone.now() - timedelta(minutes=minutes_ago),
        **fields,
    )


def test_the_outbox_sweep_processes_a_message_whose_worker_died(cast, settings):
    settings.INBOUND_STALLED_SECONDS = 300
    message = stored(minutes_ago=6)
    call_command("deliver_outbox", "--once")
    message.refresh_from_db()
    assert message.status == Status.PROCESSED
    assert message.case == Case.objects.get(reporter_email="ana@example.org")
    assert message.attempts == 1


def test_a_message_stored_a_moment_ago_is_left_to_its_task(cast, settings):
    settings.INBOUND_STALLED_SECONDS = 300
    message = stored(minutes_ago=4)
    assert actions.retry_stalled() == []
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.RECEIVED, 0)


def test_a_message_waiting_for_its_media_is_left_until_it_is_due(cast, settings):
    settings.INBOUND_STALLED_SECONDS = 300
    now = timezone.now()
    message = stored(minutes_ago=60, attempts=2, next_attempt_at=now + timedelta(minutes=4))
    assert actions.retry_stalled(now=now) == []
    # Its deferred task was lost too: once it is well past due, the net takes it.
    later = now + timedelta(minutes=10)
    assert actions.retry_stalled(now=later) == ["inbound processed"]
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.PROCESSED, 3)


def test_a_message_that_never_finishes_is_quarantined_not_retried_for_ever(cast, settings):
    """Each try is counted before it starts, in its own commit: a message that kills whatever
    processes it cannot keep the net busy."""
    settings.INBOUND_STALLED_SECONDS = 300
    message = stored(minutes_ago=60, attempts=media.ATTEMPTS)
    assert actions.retry_stalled() == ["inbound quarantined"]
    message.refresh_from_db()
    assert message.status == Status.QUARANTINED
    assert message.reason == f"Processing never finished in {media.ATTEMPTS} tries."
    assert not Case.objects.filter(reporter_email="ana@example.org").exists()


def test_a_counted_try_stays_counted_when_processing_dies(cast, settings, monkeypatch):
    settings.INBOUND_STALLED_SECONDS = 300
    message = stored(minutes_ago=6)

    def killed(_message, force):
        raise SystemExit("the worker was killed")  # not an Exception: process() does not catch it

    monkeypatch.setitem(actions.PROCESSORS, "email", killed)
    monkeypatch.setattr(actions, "_process_email", killed)
    with pytest.raises(SystemExit):
        actions.retry_stalled()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.RECEIVED, 1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_message_a_live_worker_holds_is_skipped_without_waiting(cast, settings):
    settings.INBOUND_STALLED_SECONDS = 300
    message = stored(minutes_ago=6)
    held, release = threading.Event(), threading.Event()

    def worker():
        try:
            with transaction.atomic():
                InboundMessage.objects.select_for_update().get(pk=message.pk)
                held.set()
                release.wait(timeout=20)
        finally:
            connection.close()

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        assert held.wait(timeout=10)
        assert actions.retry_stalled() == []
    finally:
        release.set()
        thread.join(timeout=20)
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.RECEIVED, 0)
