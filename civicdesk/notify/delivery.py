"""Deliver outbox messages: claim, send, record. Safe to run in many processes at once.

A claim is a lease: the sender writes who holds the message and until when, and a heartbeat thread
renews the lease while the send is in flight. A worker killed mid-send stops renewing, its lease runs
out within OUTBOX_LEASE_SECONDS, and the next sweep (`deliver_outbox`) takes the message over. The
message keeps its Message-ID, so a receiver can recognise the second copy of a message that did
arrive before the kill.
"""

import logging
import os
import socket
import threading
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import DatabaseError, connections, transaction
from django.db.models import Case, DateTimeField, ExpressionWrapper, F, TextField, Value, When
from django.db.models.functions import Now
from django.utils import timezone

from .models import OutboxMessage, backoff
from .outbox import (
    ACCOUNT_KIND,
    ALERT_KIND,
    may_send,
    queue_failure_alert,
    render_now,
    start_delivery,
    waits_for_rendering,
)

log = logging.getLogger(__name__)


WITHHELD = "Not sent: the resident asked not to be contacted."


class Undeliverable(Exception):
    """A failure no fast retry can fix (the receiver was deleted, the address is refused)."""


# Functions(message) -> dict of extra headers for an e-mail; "Subject" replaces the subject. Other
# apps add theirs in AppConfig.ready() (inbound adds threading and loop headers).
HEADER_HOOKS = []


def register_headers(hook):
    if hook not in HEADER_HOOKS:
        HEADER_HOOKS.append(hook)


def send_email(message):
    headers = {"Message-ID": message.message_id} if message.message_id else {}
    for hook in HEADER_HOOKS:
        headers.update(hook(message))
    subject = headers.pop("Subject", message.subject)
    EmailMessage(
        subject, message.body, settings.DEFAULT_FROM_EMAIL, [message.recipient], headers=headers or None
    ).send()


# channel -> function(message) that sends it once or raises. Other apps add theirs in their
# AppConfig.ready() (webhooks does), so the outbox never imports the apps built on it.
SENDERS = {OutboxMessage.Channel.EMAIL: send_email}


def register_sender(channel, sender):
    SENDERS[channel] = sender


def send(message):
    """Send one message on its channel; any exception means this attempt failed."""
    sender = SENDERS.get(message.channel)
    if sender is None:
        raise Undeliverable(f"No sender for channel {message.channel!r}")
    sender(message)


def forget_account_body():
    """The body to keep once a message is done: none for an account e-mail. A password-reset or
    confirm-email link stays usable for days and must not sit in the database (or the admin) after
    it went; the subject, recipient, status and Message-ID are enough to answer "did it go?"."""
    return Case(When(kind=ACCOUNT_KIND, then=Value("")), default=F("body"), output_field=TextField())


def lease_end():
    """When a lease taken or renewed now runs out, on the database's clock: the one every host
    shares, so a sender whose clock is ahead cannot take over a live send (see OutboxQuerySet.due)."""
    length = timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    return ExpressionWrapper(Now() + length, output_field=DateTimeField())


def claim(message_id, now, holder):
    """Take a message with one conditional UPDATE; False if it is not due or another worker holds it.

    The attempt is counted here, not after the send: a message that kills its worker every time
    still runs out of fast attempts instead of being taken over forever.
    """
    return bool(
        OutboxMessage.objects.due(now)
        .filter(pk=message_id)
        .update(
            status=OutboxMessage.Status.SENDING,
            claimed_at=now,
            claimed_by=holder,
            lease_until=lease_end(),
            attempts=F("attempts") + 1,
        )
    )


def renew(message_id, holder):
    """Extend our lease; False if the message is no longer ours (it ran out and someone took it)."""
    return bool(
        OutboxMessage.objects.filter(
            pk=message_id, status=OutboxMessage.Status.SENDING, claimed_by=holder
        ).update(lease_until=lease_end())
    )


class Heartbeat:
    """Renews a lease every OUTBOX_HEARTBEAT_SECONDS from a thread while the block runs."""

    def __init__(self, message_id, holder):
        self.message_id, self.holder = message_id, holder
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.beat, name=f"outbox-lease-{message_id}", daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.stopped.set()
        self.thread.join()

    def beat(self):
        try:
            while not self.stopped.wait(settings.OUTBOX_HEARTBEAT_SECONDS):
                try:
                    if not renew(self.message_id, self.holder):
                        log.warning("outbox %s: lease lost while sending", self.message_id)
                        return
                except DatabaseError as error:  # the database blinked: the next beat tries again
                    log.warning("outbox %s: lease not renewed: %s", self.message_id, error)
        finally:
            connections.close_all()  # this thread's own connections


def new_holder():
    """Who holds a claim: host and process for people reading the admin, plus a token per attempt."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def deliver(message_id):
    """Try one message now. Returns its status afterwards, or None if it was not ours to send."""
    holder = new_holder()
    if not claim(message_id, timezone.now(), holder):
        return None
    message = OutboxMessage.objects.select_related("case").get(pk=message_id)
    if not may_send(message):
        return _withheld(message)
    try:
        with Heartbeat(message_id, holder):
            if waits_for_rendering(message) and not render_now(message):
                raise Undeliverable("Its case no longer exists.")
            send(message)
    except Exception as error:  # noqa: BLE001 - any failure means "try again later"
        return _failed(message, holder, error)
    return _sent(message)


def _sent(message):
    # Recorded even if our lease ran out meanwhile: the message went, and must not go again.
    OutboxMessage.objects.filter(pk=message.pk, status=OutboxMessage.Status.SENDING).update(
        status=OutboxMessage.Status.SENT,
        body=forget_account_body(),
        sent_at=timezone.now(),
        last_error="",
        claimed_by="",
        lease_until=None,
    )
    return OutboxMessage.Status.SENT


def _withheld(message):
    """Not sent, nor ever retried on its own: the resident asked not to be contacted."""
    OutboxMessage.objects.filter(pk=message.pk, status=OutboxMessage.Status.SENDING).update(
        status=OutboxMessage.Status.CANCELLED,
        subject="",
        body="",
        last_error=WITHHELD,
        claimed_by="",
        lease_until=None,
    )
    return OutboxMessage.Status.CANCELLED


def _failed(message, holder, error):
    log.warning("outbox %s attempt %s failed: %s", message.pk, message.attempts, error)
    now = timezone.now()
    if isinstance(error, Undeliverable):
        # No retry can fix it (a paused or deleted subscription, a refused address): stop, and tell
        # nobody. Pausing a busy subscription must not e-mail every administrator once per queued
        # event; the admin can redeliver a cancelled message once the cause is fixed.
        status, retry_at, alert = OutboxMessage.Status.CANCELLED, now, False
    else:
        slow = message.attempts >= settings.OUTBOX_MAX_ATTEMPTS
        if slow:
            status, delay = OutboxMessage.Status.FAILED, timedelta(seconds=settings.OUTBOX_SLOW_RETRY_SECONDS)
        else:
            status, delay = OutboxMessage.Status.PENDING, backoff(message.attempts)
        retry_at = now + delay
        alert = slow and message.alerted_at is None and message.kind != ALERT_KIND
    fields = {
        "status": status,
        "next_attempt_at": retry_at,
        "last_error": f"{type(error).__name__}: {error}"[:2000],
        "claimed_by": "",
        "lease_until": None,
    }
    if status == OutboxMessage.Status.CANCELLED:
        fields["body"] = forget_account_body()
    if alert:
        fields["alerted_at"] = now
    with transaction.atomic():
        mine = OutboxMessage.objects.filter(
            pk=message.pk, status=OutboxMessage.Status.SENDING, claimed_by=holder
        ).update(**fields)
        if not mine:  # our lease ran out and another sender has it now: its result counts
            return None
        if alert:
            message.refresh_from_db()
            queue_failure_alert(message)
    return status


# Other apps' safety nets, run by the same sweep as the outbox's (`civicdesk deliver_outbox`):
# functions(limit) -> a list of outcomes, one per item taken up. Added in AppConfig.ready()
# (inbound adds its messages whose task or worker died).
SWEEPS = []


def register_sweep(sweep):
    if sweep not in SWEEPS:
        SWEEPS.append(sweep)


def deliver_due(limit=100):
    """Deliver every message that is due, including slow retries and claims whose lease ran out."""
    ids = list(OutboxMessage.objects.due().order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
    return [deliver(pk) for pk in ids]


def requeue(queryset, statuses):
    """Make the chosen messages due now with a fresh set of attempts; their tasks start on commit.

    Never touches a message that is being sent: a live worker may be halfway through it, and a dead
    one's lease runs out anyway. Returns the ids queued.
    """
    statuses = [s for s in statuses if s != OutboxMessage.Status.SENDING]
    # An account e-mail whose body was forgotten has nothing left to send; the person asks again.
    forgotten = {"kind": ACCOUNT_KIND, "body": ""}
    ids = list(queryset.filter(status__in=statuses).exclude(**forgotten).values_list("pk", flat=True))
    OutboxMessage.objects.filter(pk__in=ids, status__in=statuses).update(
        status=OutboxMessage.Status.PENDING, next_attempt_at=timezone.now(), attempts=0
    )
    for pk in ids:
        start_delivery(pk)
    return ids


def cancel(queryset):
    """Stop trying the chosen messages. A message being sent right now is left alone. Returns the count."""
    return queryset.filter(status__in=OutboxMessage.RETRIED).update(
        status=OutboxMessage.Status.CANCELLED, body=forget_account_body(), claimed_by="", lease_until=None
    )
