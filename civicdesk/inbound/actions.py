"""The inbound pipeline, one for every way in: store the raw message (idempotent by its key), then
process it in the worker: parse, automated?, thread, a new case or a comment on the threaded one."""

import email.policy
import hashlib
import logging
import re
from datetime import timedelta
from email.parser import BytesHeaderParser
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from civicdesk.cases import actions as case_actions
from civicdesk.cases.attachments import removed_on_error
from civicdesk.cases.models import Channel
from civicdesk.lib import tasks
from civicdesk.notify.models import OutboxMessage

from . import loops, media, parsing, sms, threading, voice
from .models import Conversation, InboundMessage
from .services import suggest_service, triage_service

log = logging.getLogger(__name__)
Status = InboundMessage.Status
MAX_TEXT = 4000  # cases.actions.MAX_DESCRIPTION
PURGE_BATCH = 500  # raw messages cleared per transaction
SPANISH = {"el", "la", "de", "que", "y", "en", "los", "las", "por", "una", "hay", "calle", "gracias", "está"}
ENGLISH = {"the", "and", "is", "there", "a", "of", "on", "in", "my", "street", "thanks", "please"}


class TooLarge(Exception):
    """Refused before anything is stored: over INBOUND_MAX_BYTES."""


def email_key(raw):
    """An e-mail's idempotency key: its Message-ID, or a digest of the bytes when it has none."""
    headers = BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)
    found = parsing.message_ids(str(headers.get("Message-ID") or ""))
    if found:
        return found[0][:255]
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def receive(channel, key, raw, *, sender="", envelope_sender=None, recipients=()):
    """Store one inbound message and queue its processing. The same (channel, key) again returns the
    row stored the first time and creates nothing but adds the recipients it did not have. Raises
    TooLarge."""
    if len(raw) > settings.INBOUND_MAX_BYTES:
        raise TooLarge(f"{len(raw)} bytes is over the limit of {settings.INBOUND_MAX_BYTES}")
    key = (key or email_key(raw))[:255]
    recipients = list(dict.fromkeys(recipients))
    # No look first: a new message (nearly all of them) costs the receiver one query less, and
    # the unique key answers for one stored before.
    try:
        with transaction.atomic():
            message = InboundMessage.objects.create(
                channel=channel,
                key=key,
                raw=raw,
                size=len(raw),
                sender=sender[:320],
                envelope_sender="<>" if envelope_sender in ("", "<>") else (envelope_sender or "")[:320],
                recipients=recipients,
            )
            tasks.enqueue_with_transaction(partial(_enqueue, message.pk))
    except IntegrityError:  # the same key: a delivery again (a retry, another recipient)
        return _add_recipients(InboundMessage.objects.defer("raw").get(channel=channel, key=key), recipients)
    return message


def _add_recipients(message, recipients):
    """One message sent to two of our addresses may arrive as two deliveries (To: 311@, Cc: roads@,
    each its own SMTP transaction): one message and one case, with every address it was sent to
    (the idempotency key stays the Message-ID; the first delivery's bytes are the ones kept)."""
    if all(recipient in message.recipients for recipient in recipients):
        return message
    with transaction.atomic():
        message = InboundMessage.objects.defer("raw").select_for_update().get(pk=message.pk)
        message.recipients += [r for r in recipients if r not in message.recipients]
        message.save(update_fields=["recipients"])
    return message


def _enqueue(message_id):
    from .tasks import process_message

    process_message.enqueue(message_id)


def process(message_id, *, release_by=None):
    """Process a stored message once; `release_by` (a staff user) re-runs a quarantined or ignored
    one, past the check that stopped it."""
    with transaction.atomic():
        allowed = [Status.RECEIVED] if release_by is None else [Status.QUARANTINED, Status.IGNORED_AUTOMATED]
        message = InboundMessage.objects.select_for_update().filter(pk=message_id, status__in=allowed).first()
        if message is None:
            return None  # done already (a repeated task), or discarded
        try:
            # A failure takes back a half-made case or comment, and the photo files it stored.
            with removed_on_error(), transaction.atomic():
                PROCESSORS.get(message.channel, _process_email)(message, force=release_by is not None)
        except media.FetchLater as error:  # nothing was made: the message waits for its files
            media.fetch_later(message, str(error))
        except ValidationError as error:
            _quarantine_failed(message, "; ".join(error.messages))
        except Exception as error:  # a bug or a broken message we did not foresee: keep it, say why
            log.exception("inbound message %s could not be processed", message.pk)
            _quarantine_failed(message, f"Processing failed: {type(error).__name__}")
        if release_by is not None:
            message.released_by = release_by
            message.save(update_fields=["released_by"])
    return message


def retry_stalled(limit=100, now=None):
    """The safety net (run by `civicdesk deliver_outbox`): messages still "received" well after they
    were stored, or after they were due again, lost their task or its worker (a worker killed
    mid-message leaves its task claimed and the message untouched). Each is processed here. Every
    try is counted first, in its own commit, so a message that kills whatever processes it is
    quarantined after media.ATTEMPTS tries instead of stalling the net. Returns the statuses."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.INBOUND_STALLED_SECONDS)
    stalled = (
        InboundMessage.objects.filter(status=Status.RECEIVED, received_at__lt=cutoff)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lt=cutoff))
        .order_by("received_at")
        .values_list("pk", flat=True)
    )
    outcomes = []
    for pk in list(stalled[:limit]):
        with transaction.atomic():
            # A message a live worker holds is skipped: it is being processed right now.
            message = (
                InboundMessage.objects.defer("raw")
                .select_for_update(skip_locked=True)
                .filter(pk=pk, status=Status.RECEIVED)
                .first()
            )
            if message is None:
                continue
            message.attempts += 1
            message.next_attempt_at = now
            message.save(update_fields=["attempts", "next_attempt_at"])
            if message.attempts > media.ATTEMPTS:
                _finish(message, Status.QUARANTINED, f"Processing never finished in {media.ATTEMPTS} tries.")
                outcomes.append("inbound quarantined")
                continue
        processed = process(pk)
        outcomes.append(
            f"inbound {processed.status}" if processed is not None else "inbound taken by a worker"
        )
    return outcomes


# channel -> function(message, force) for channels other than e-mail; filled in AppConfig.ready()
# (messaging: WhatsApp, Telegram, social), so this pipeline does not import each channel's module.
PROCESSORS = {}


def _quarantine_failed(message, reason):
    message.case = message.conversation = None  # rolled back with the savepoint
    message.attachments = []
    _finish(message, Status.QUARANTINED, reason[:300])


def discard(message):
    InboundMessage.objects.filter(pk=message.pk).exclude(status=Status.PROCESSED).update(
        status=Status.DISCARDED, processed_at=timezone.now()
    )


def purge_raw(now=None):
    """Clear the raw bytes of messages past their retention, keeping the row (sender, subject, text,
    status, reason) for the record: discarded ones after INBOUND_DISCARDED_RETENTION_DAYS, processed
    and ignored ones after INBOUND_RAW_RETENTION_DAYS. Quarantined (and unprocessed) messages are
    never purged: someone still has to look at them. Returns how many were purged."""
    now = now or timezone.now()
    retention = {
        Status.DISCARDED: settings.INBOUND_DISCARDED_RETENTION_DAYS,
        Status.PROCESSED: settings.INBOUND_RAW_RETENTION_DAYS,
        Status.IGNORED_AUTOMATED: settings.INBOUND_RAW_RETENTION_DAYS,
    }
    purged = 0
    for status, days in retention.items():
        due = InboundMessage.objects.filter(
            status=status, processed_at__lt=now - timedelta(days=days), raw_purged_at__isnull=True
        )
        # In batches: one short transaction each, however many are due.
        while batch := list(due.values_list("pk", flat=True)[:PURGE_BATCH]):
            purged += InboundMessage.objects.filter(pk__in=batch).update(raw=b"", raw_purged_at=now)
    return purged


def _process_email(message, force):
    raw = bytes(message.raw)
    try:
        parsed = parsing.parse(raw)
    except parsing.Undecodable as error:
        if not force:
            return _finish(message, Status.QUARANTINED, str(error)[:300])
        parsed = parsing.parse_leniently(raw)
    _describe(message, parsed)
    reason = loops.automated_reason(parsed, message.envelope_sender)
    if reason and not force:
        return _finish(message, Status.IGNORED_AUTOMATED, reason)
    images, kept = media.split_parts(parsed.parts)
    message.attachments = kept
    thread = threading.find_thread(parsed, message.recipients)
    text = parsed.text or parsed.full_text
    if thread.case is None:
        _new_case(message, parsed, text, images)
    elif thread.verified:
        _comment(message, parsed, thread.conversation, thread.case, text, images)
    else:
        _unverified_note(message, parsed, thread.case, text, images)
    return None


def _process_sms(message, force):
    conversation, case, reason = sms.process_sms(message)
    if conversation is not None:
        return _link(message, conversation, case or conversation.case, reason)
    return _finish(message, Status.PROCESSED, reason)


def _process_voice(message, force):
    conversation, case = voice.process_call(message)
    return _link(message, conversation, case)


# How each channel's stored message is processed; e-mail is the default.
PROCESSORS = {Channel.SMS: _process_sms, Channel.VOICE: _process_voice}


def _describe(message, parsed):
    message.sender = message.sender or parsed.sender
    message.subject = parsed.subject[:300]
    message.text = parsed.text


def _comment(message, parsed, conversation, case, text, images):
    if not text and not images:
        return _finish(message, Status.IGNORED_AUTOMATED, "Empty reply")
    created = conversation is None
    if created:
        conversation = Conversation.objects.create(
            channel=Channel.EMAIL, address=parsed.sender, case=case, language=case.language, **_inbound_now()
        )
    if text:
        case_actions.resident_comment(case, text[:MAX_TEXT])
    media.attach_privately(case, images)
    _link(message, conversation, case, created=created)


def _unverified_note(message, parsed, case, text, images):
    """Mail that names a case by its number or headers, from the case's address, that our mail
    server did not authenticate: anyone can write those (decision 52). Staff read it as an internal
    note; the resident's thread, the case's status and the conversation (which would let the next
    such mail in) are left alone."""
    if not text and not images:
        return _finish(message, Status.IGNORED_AUTOMATED, "Empty reply")
    intro = gettext(
        "E-mail from %(sender)s that names this case, but its sender could not be verified (the "
        "address may be forged). It was not added to the resident's thread. Subject: %(subject)s"
    ) % {"sender": parsed.sender, "subject": parsed.subject}
    case_actions.add_note(case, None, f"{intro}\n\n{text}"[: case_actions.MAX_MESSAGE])
    media.attach_privately(case, images)
    message.case = case
    return _finish(message, Status.PROCESSED, "Sender not verified: a staff note on the case")


def _new_case(message, parsed, text, images):
    suggestion = suggest_service(f"{parsed.subject}\n{text}")
    service = suggestion.service or triage_service()
    language = guess_language(parsed)
    description = "\n\n".join(part for part in (parsed.subject, text) if part)[:MAX_TEXT]
    conversation = Conversation(
        channel=Channel.EMAIL, address=parsed.sender, language=language, **_inbound_now()
    )

    def on_created(case):
        conversation.case = case
        conversation.save()
        media.attach_privately(case, images)

    case = case_actions.submit_case(
        service=service,
        description=description,
        channel=Channel.EMAIL,
        reporter_email=parsed.sender,
        reporter_name=parsed.sender_name[:150],
        language=language,
        on_created=on_created,
    )
    _cap_acknowledgements(case, parsed.sender)
    _link(message, conversation, case, created=True)


def _cap_acknowledgements(case, address):
    """At most INBOUND_ACK_LIMIT acknowledgements to one address per window: a sender that escapes
    every loop check still gets a bounded number of answers."""
    since = timezone.now() - timedelta(seconds=settings.INBOUND_ACK_WINDOW_SECONDS)
    sent = (
        OutboxMessage.objects.filter(kind="acknowledgement", recipient=address, created_at__gte=since)
        .exclude(case=case)
        .exclude(status=OutboxMessage.Status.CANCELLED)
        .count()
    )
    if sent >= settings.INBOUND_ACK_LIMIT:
        OutboxMessage.objects.filter(case=case, kind="acknowledgement").update(
            status=OutboxMessage.Status.CANCELLED, last_error="Acknowledgement cap for this address"
        )


def _inbound_now():
    now = timezone.now()
    return {"last_inbound_at": now, "updated_at": now}


def _link(message, conversation, case, reason="", *, created=False):
    """`created`: the conversation was made for this message, with its times set already."""
    if not created:
        Conversation.objects.filter(pk=conversation.pk).update(**_inbound_now())
    message.conversation, message.case = conversation, case
    _finish(message, Status.PROCESSED, reason)


# What processing changes on the row: never `raw`, which would be sent back to the database whole.
PROCESSED_FIELDS = ["sender", "subject", "text", "attachments", "status", "reason", "conversation", "case"]


def _finish(message, status, reason):
    message.status, message.reason, message.processed_at = status, reason, timezone.now()
    message.save(update_fields=[*PROCESSED_FIELDS, "processed_at"])
    return None


def guess_language(parsed):
    declared = str(parsed.headers.get("Content-Language") or "").strip().lower()
    if declared[:2] in ("en", "es"):
        return declared[:2]
    words = re.findall(r"\w+", parsed.text.lower())
    spanish = sum(word in SPANISH for word in words)
    return "es" if spanish > sum(word in ENGLISH for word in words) else "en"
