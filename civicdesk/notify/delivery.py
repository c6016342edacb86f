"""Deliver outbox messages: claim, send, record. Safe to run in many processes at once."""

import logging
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .models import OutboxMessage, backoff
from .outbox import enqueue

log = logging.getLogger(__name__)
# A claim older than this belongs to a worker that died mid-send; the message is tried again.
STALE_CLAIM = timedelta(minutes=10)


def claim(message_id, now):
    """Take a message for sending with one conditional UPDATE; False if another worker has it."""
    stale = now - STALE_CLAIM
    return bool(
        OutboxMessage.objects.filter(pk=message_id)
        .filter(
            Q(status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now)
            | Q(status=OutboxMessage.Status.SENDING, claimed_at__lt=stale)
        )
        .update(status=OutboxMessage.Status.SENDING, claimed_at=now)
    )


class Undeliverable(Exception):
    """A failure no retry can fix (the receiver was deleted, the address is refused): fail at once."""


def _send_email(message):
    EmailMessage(message.subject, message.body, settings.DEFAULT_FROM_EMAIL, [message.recipient]).send()


# Channel -> function(message). Other apps add their channel from their AppConfig.ready() (webhooks
# adds its POST): they build on the outbox, and the outbox imports none of them.
SENDERS = {OutboxMessage.Channel.EMAIL: _send_email}


def register_sender(channel, send_message):
    SENDERS[channel] = send_message


def send(message):
    """Send one message on its channel; any exception means this attempt failed."""
    sender = SENDERS.get(message.channel)
    if sender is None:
        raise Undeliverable(f"No sender for channel {message.channel!r}")
    sender(message)


def deliver(message_id):
    """Try one message now. Returns its status afterwards."""
    now = timezone.now()
    if not claim(message_id, now):
        return None
    message = OutboxMessage.objects.get(pk=message_id)
    message.attempts += 1
    try:
        send(message)
    except Exception as error:  # noqa: BLE001 - any failure means "try again later"
        log.warning("outbox %s attempt %s failed: %s", message.pk, message.attempts, error)
        message.last_error = f"{type(error).__name__}: {error}"[:2000]
        gave_up = isinstance(error, Undeliverable) or message.attempts >= settings.OUTBOX_MAX_ATTEMPTS
        message.status = OutboxMessage.Status.FAILED if gave_up else OutboxMessage.Status.PENDING
        message.next_attempt_at = now + backoff(message.attempts)
    else:
        message.status, message.sent_at, message.last_error = OutboxMessage.Status.SENT, timezone.now(), ""
    message.claimed_at = None
    message.save(
        update_fields=["attempts", "last_error", "status", "next_attempt_at", "sent_at", "claimed_at"]
    )
    return message.status


def deliver_due(limit=100):
    """Deliver every message that is due (and re-claim ones stuck with a dead worker)."""
    now = timezone.now()
    stuck = Q(status=OutboxMessage.Status.SENDING, claimed_at__lt=now - STALE_CLAIM)
    ids = list(
        OutboxMessage.objects.filter(Q(status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now) | stuck)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    return [deliver(pk) for pk in ids]


def requeue(queryset, statuses):
    """Make the chosen messages due now with a fresh set of attempts; their tasks start on commit.

    Never touches a message that is being sent: a live worker may be halfway through it, and a dead
    one's claim expires anyway. Returns the ids queued.
    """
    statuses = [s for s in statuses if s != OutboxMessage.Status.SENDING]
    ids = list(queryset.filter(status__in=statuses).values_list("pk", flat=True))
    OutboxMessage.objects.filter(pk__in=ids, status__in=statuses).update(
        status=OutboxMessage.Status.PENDING, next_attempt_at=timezone.now(), attempts=0
    )
    for pk in ids:
        transaction.on_commit(partial(enqueue, pk), robust=True)
    return ids
