"""WhatsApp, Telegram and the generic social webhook (decision 49): what each stored message says,
and what it becomes. A direct message opens a case (the first) or comments on the conversation's
open case (the next ones); a public post becomes a case, or joins the case it names or whose link
was posted before. The guided SMS conversation (services by number, location, confirmation) can be
offered on these channels later by sharing the SMS flow; today the first message's text is the case.
"""

import dataclasses
import json
import mimetypes
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from types import SimpleNamespace

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from civicdesk.cases import actions as case_actions
from civicdesk.cases.models import Case, Channel
from civicdesk.cases.workflow import ACTIVE
from civicdesk.lib import locks
from civicdesk.notify.models import OutboxMessage
from civicdesk.notify.outbox import start_delivery
from civicdesk.residents.directory import normalise
from civicdesk.residents.models import (
    PHONE_KINDS,
    ContactPoint,
    Resident,
    ResidentEvent,
    ResidentEventKind,
)

from . import config, media
from .actions import guess_language
from .models import Conversation, InboundMessage
from .services import suggest_service, triage_service

Status = InboundMessage.Status
WHATSAPP, TELEGRAM, SOCIAL = "whatsapp", "telegram", Channel.SOCIAL
MESSAGING = (WHATSAPP, TELEGRAM, SOCIAL)
# Channels CivicDesk can write back on. The generic social webhook has no way back: staff answer
# those residents on the tool itself.
OUTBOUND = (WHATSAPP, TELEGRAM)
CASE_NUMBER = re.compile(r"(?<![\d-])(\d{2}-\d{6})(?![\d-])")
MAX_TEXT = 4000
# WhatsApp delivery statuses in the order they happen; a late "delivered" never undoes "read".
STATUS_ORDER = {"sent": 1, "delivered": 2, "read": 3, "failed": 4}
# Meta's "re-engagement message" error: free text refused because the 24-hour window has closed
# by Meta's clock (ours can be a little off, or the resident's last message never reached us). The
# send call may return it, or accept the text and report it later in a "failed" status callback.
REENGAGEMENT_ERROR = "131047"


@dataclass
class Incoming:
    kind: str  # "direct" or "post"
    address: str  # the number (E.164), chat id or handle to answer
    handle: str  # what goes into the resident directory
    name: str
    text: str
    language: str = ""
    link: str = ""
    latitude: float | None = None
    longitude: float | None = None
    place: str = ""
    unsupported: str = ""  # a message type that is not read yet (a contact card, a reaction...)
    sent_at: datetime | None = None  # when the resident sent it, as the provider says
    # media.Remote: the photos and other files it carries, at the provider
    files: list = dataclasses.field(default_factory=list)


# ---------------------------------------------------------------- reading each channel


def read_whatsapp(data):
    message, contact = data["message"], data.get("contact") or {}
    number = "+" + str(message["from"]).lstrip("+")
    kind = message.get("type", "")
    incoming = Incoming("direct", number, number, contact.get("profile", {}).get("name", ""), "")
    incoming.sent_at = _unix_time(message.get("timestamp"))
    if kind == "text":
        incoming.text = message.get("text", {}).get("body", "")
    elif kind == "location":
        place = message.get("location", {})
        incoming.latitude, incoming.longitude = place.get("latitude"), place.get("longitude")
        incoming.place = place.get("address") or place.get("name") or ""
        incoming.text = incoming.place
    elif kind in WHATSAPP_MEDIA:
        item = message.get(kind) or {}
        incoming.text = str(item.get("caption") or "")
        content_type = str(item.get("mime_type") or "").split(";")[0].strip()
        name = item.get("filename") or kind + (mimetypes.guess_extension(content_type) or "")
        incoming.files = [media.Remote(str(item.get("id", "")), content_type, str(name)[:100])]
    else:
        incoming.unsupported = kind or "unknown"
    return incoming


# WhatsApp message types that carry a file (fetched by its media id) and perhaps a caption.
WHATSAPP_MEDIA = ("image", "document", "video", "audio", "sticker")


def read_telegram(data):
    message = data.get("message") or {}
    sender, chat = message.get("from") or {}, message.get("chat") or {}
    name = " ".join(part for part in (sender.get("first_name"), sender.get("last_name")) if part)
    handle = sender.get("username") or str(sender.get("id", chat.get("id", "")))
    incoming = Incoming("direct", str(chat.get("id", "")), handle, name, message.get("text", ""))
    incoming.language = (sender.get("language_code") or "")[:2]
    incoming.sent_at = _unix_time(message.get("date"))
    if "text" not in message:
        incoming.unsupported = next(
            (k for k in ("photo", "voice", "location", "document") if k in message), "other"
        )
    return incoming


def read_social(data):
    handle = str(data["author_handle"])
    incoming = Incoming(data["kind"], handle, handle, handle, str(data.get("text") or ""))
    incoming.link = str(data.get("link") or "")[:500]
    incoming.latitude, incoming.longitude = data.get("lat"), data.get("lon")
    incoming.place = str(data.get("address") or "")[:200]
    return incoming


def _unix_time(value):
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


READERS = {WHATSAPP: read_whatsapp, TELEGRAM: read_telegram, SOCIAL: read_social}


# ---------------------------------------------------------------- processing


def process_messaging(message, force=False):
    """Called by actions.process for a message on one of MESSAGING, inside its savepoint."""
    incoming = READERS[message.channel](json.loads(bytes(message.raw)))
    message.sender, message.text, message.link = (
        incoming.address[:320],
        incoming.text[:MAX_TEXT],
        incoming.link,
    )
    if incoming.unsupported and not incoming.text:
        reason = f"A {incoming.unsupported} message: only text is read on this channel yet."
        return _finish(message, Status.QUARANTINED, reason)
    if not incoming.text.strip() and not incoming.files:
        return _finish(message, Status.IGNORED_AUTOMATED, "Empty message")
    # Two messages from one resident in two workers at once: the second waits for the first's
    # conversation and case (else each would open its own case).
    locks.hold(message.channel, incoming.address)
    # Before anything is made: a fetch that must wait takes the message back whole.
    account = config.whatsapp_for(next(iter(message.recipients), None))
    fetch = partial(media.fetch_whatsapp, account=account)
    photos, message.attachments = media.fetch_all(message, incoming.files, fetch, media.last_attempt(message))
    remember_contact(message.channel, incoming)
    if incoming.kind == "post":
        return _post(message, incoming)
    conversation = _open_conversation(message.channel, incoming.address)
    if conversation is not None:
        if incoming.text.strip():
            case_actions.resident_comment(conversation.case, incoming.text[:MAX_TEXT])
        media.attach_privately(conversation.case, photos)
        return _link(message, conversation, conversation.case, incoming)
    return _new_case(message, incoming, photos=photos)


def _open_conversation(channel, address):
    """The resident's latest conversation on this channel whose case is still open."""
    return (
        Conversation.objects.filter(channel=channel, address=address, case__status__in=ACTIVE)
        .select_related("case")
        .order_by("-updated_at", "-pk")
        .first()
    )


def _post(message, incoming):
    case = _named_case(incoming.text) or _case_of_link(incoming.link)
    if case is not None:
        # Linked, not a comment: a post's author is not the case's reporter, so it is shown to staff
        # in the case's thread and never on the reporter's tracking page, nor does it reopen anything.
        message.case = case
        return _finish(message, Status.PROCESSED, "")
    return _new_case(message, incoming, conversation=False)


def _named_case(text):
    numbers = CASE_NUMBER.findall(text)
    return Case.objects.filter(number__in=numbers).order_by("pk").first() if numbers else None


def _case_of_link(link):
    if not link:
        return None
    seen = InboundMessage.objects.filter(channel=SOCIAL, link=link, case__isnull=False).order_by(
        "received_at"
    )
    first = seen.select_related("case").first()
    return first.case if first else None


def _post_text(incoming):
    return f"{incoming.text}\n\n{incoming.link}".strip() if incoming.link else incoming.text


def _new_case(message, incoming, conversation=True, photos=()):
    text = _post_text(incoming) if incoming.kind == "post" else incoming.text
    service = suggest_service(text).service or triage_service()
    language = incoming.language if incoming.language in ("en", "es") else _guess_language(text)
    thread = Conversation(channel=message.channel, address=incoming.address, language=language)

    def on_created(case):
        if conversation:
            thread.case = case
            thread.save()
        media.attach_privately(case, photos)

    case = case_actions.submit_case(
        service=service,
        description=text[:MAX_TEXT],
        channel=Channel.SOCIAL,
        reporter_name=incoming.name[:150],
        reporter_phone=incoming.address if message.channel == WHATSAPP else "",
        latitude=incoming.latitude,
        longitude=incoming.longitude,
        address=incoming.place,
        language=language,
        on_created=on_created,
    )
    if not conversation:
        message.case = case
        return _finish(message, Status.PROCESSED, "")
    # submit_case's acknowledgement reaches the conversation through queue_messages (the outbox
    # route): on_created has linked it by then.
    return _link(message, thread, case, incoming)


def _guess_language(text):
    return guess_language(SimpleNamespace(headers={}, text=text))


def _link(message, conversation, case, incoming):
    """Thread the message. WhatsApp's window runs from when the resident sent their last message,
    not from when a (perhaps backlogged) worker read it: the provider's time, else when it was
    stored, never in the future; and a late-processed older message never moves the window back."""
    now = timezone.now()
    sent = min(incoming.sent_at or message.received_at, now)
    Conversation.objects.filter(pk=conversation.pk).update(updated_at=now)
    Conversation.objects.filter(
        Q(last_inbound_at__isnull=True) | Q(last_inbound_at__lt=sent), pk=conversation.pk
    ).update(last_inbound_at=sent)
    message.conversation, message.case = conversation, case
    return _finish(message, Status.PROCESSED, "")


def _finish(message, status, reason):
    message.status, message.reason, message.processed_at = status, reason[:300], timezone.now()
    message.save()


# ---------------------------------------------------------------- the resident directory

DIRECTORY_KINDS = {WHATSAPP: "whatsapp", TELEGRAM: "telegram", SOCIAL: "social"}


def remember_contact(channel, incoming):
    """Add the number or handle to the resident directory (a new resident when nobody holds it)."""
    kind = DIRECTORY_KINDS[channel]
    value = normalise(kind, incoming.handle)
    if not value or ContactPoint.objects.filter(kind=kind, value=value).exists():
        return
    try:
        with transaction.atomic():
            resident = Resident.objects.create(
                display_name=incoming.name[:150], language=incoming.language[:8]
            )
            ResidentEvent.objects.create(
                resident=resident, kind=ResidentEventKind.CREATED, changes={"source": channel}
            )
            ContactPoint.objects.create(resident=resident, kind=kind, value=value, source=channel)
    except IntegrityError:  # a concurrent message from the same person added it first
        pass


def may_contact_handle(message):
    """Consent on a messaging channel: nobody in the directory holding this number or handle asked
    not to be contacted. A WhatsApp number is also a phone: a resident who holds it as their phone
    (they called or texted) and asked not to be contacted is not written to on WhatsApp either."""
    kind = DIRECTORY_KINDS.get(message.channel)
    kinds = PHONE_KINDS if message.channel == WHATSAPP else (kind,)
    value = normalise(kind, message.recipient)
    points = list(ContactPoint.objects.filter(kind__in=kinds, value=value).select_related("resident"))
    if not points and message.channel == TELEGRAM:
        # A Telegram chat id is not the handle the directory holds: ask about the chat's sender.
        points = [point] if (point := _telegram_point(message)) else []
    return all(_current(point.resident).may_be_contacted for point in points)


def _current(resident):
    while resident.merged_into_id:  # a merge moves the points; this covers one caught halfway
        resident = resident.merged_into
    return resident


def _telegram_point(message):
    received = InboundMessage.objects.filter(channel=TELEGRAM, sender=message.recipient).order_by(
        "-received_at"
    )
    for stored in received[:1]:
        handle = read_telegram(json.loads(bytes(stored.raw))).handle
        return ContactPoint.objects.filter(kind="telegram", value=normalise("telegram", handle)).first()
    return None


# ---------------------------------------------------------------- outbound: staff replies and notices


def _texts(case, kind, context):
    if kind == "reply":
        return context.get("message", "")
    if kind == "resolved":
        text = _("Your report %(number)s is resolved.") % {"number": case.number}
        return f"{text}\n\n{context['message']}" if context.get("message") else text
    if kind == "acknowledgement":
        return _("Thank you. Your report is case %(number)s; we will write here when it changes.") % {
            "number": case.number
        }
    return ""


def queue_messages(case, kind, context):
    """The outbox route (notify.outbox.register_case_route): a notice or a staff reply goes back on
    the WhatsApp or Telegram conversation the case came from. Whether it goes as free text or as the
    approved template (WhatsApp's 24-hour window) is decided when it is sent, not now."""
    if case.channel != Channel.SOCIAL:
        # Only a direct message opens a messaging conversation, always on a new "social" case: every
        # other case's notices cost no query here (submit_case's query count is pinned).
        return []
    conversation = (
        Conversation.objects.filter(case=case, channel__in=OUTBOUND)
        .order_by("-last_inbound_at", "-pk")
        .first()
    )
    if conversation is None:
        return []
    with translation.override(case.language or "en"):
        body = _texts(case, kind, context)
    if not body:
        return []
    message = OutboxMessage.objects.create(
        channel=conversation.channel,
        kind=kind,
        case=case,
        recipient=conversation.address,
        language=case.language or "en",
        body=body,
    )
    start_delivery(message.pk)
    return [message]


def whatsapp_window_open(conversation, now=None):
    """May a free-text message go to this WhatsApp conversation now? Only within
    WHATSAPP_WINDOW_HOURS of the resident's last message (Meta's customer-service window)."""
    if conversation is None or conversation.last_inbound_at is None:
        return False
    window = timedelta(hours=settings.WHATSAPP_WINDOW_HOURS)
    return (now or timezone.now()) < conversation.last_inbound_at + window


def record_whatsapp_status(status):
    """A status callback on a message we sent: keep the furthest one reached (and failures). Free
    text that Meta refused because its window had closed (131047) goes again as the template."""
    provider_id, value = str(status.get("id", "")), str(status.get("status", ""))
    if not provider_id or value not in STATUS_ORDER:
        return 0
    sent = OutboxMessage.objects.filter(channel=WHATSAPP, provider_id=provider_id).first()
    if sent is None:
        return 0
    fields = {"provider_status": value}
    if value == "failed":
        errors = status.get("errors") or [{}]
        fields["last_error"] = f"WhatsApp: {errors[0].get('code', '')} {errors[0].get('title', '')}".strip()
    earlier = [name for name, order in STATUS_ORDER.items() if order < STATUS_ORDER[value]]
    with transaction.atomic():
        # Conditional, so a callback Meta repeats (or two at once) changes the row, and resends, once.
        changed = OutboxMessage.objects.filter(Q(provider_status__in=["", *earlier]), pk=sent.pk).update(
            **fields
        )
        if changed and value == "failed" and not sent.as_template and _window_closed(status):
            _queue_as_template(sent)
    return changed


def _window_closed(status):
    return any(str(error.get("code")) == REENGAGEMENT_ERROR for error in status.get("errors") or [])


def _queue_as_template(refused):
    """The same message again, marked to go as the approved template (the case number, "write back"):
    the resident still hears that there is news; the words wait on the tracking page."""
    message = OutboxMessage.objects.create(
        channel=refused.channel,
        kind=refused.kind,
        case_id=refused.case_id,
        recipient=refused.recipient,
        language=refused.language,
        body=refused.body,
        as_template=True,
    )
    start_delivery(message.pk)


def check_social_payload(data):
    """The generic social webhook's body; raises ValidationError with what is wrong."""
    if not isinstance(data, dict):
        raise ValidationError("The body must be a JSON object.")
    if data.get("kind") not in ("post", "direct"):
        raise ValidationError('"kind" must be "post" or "direct".')
    for field in ("id", "author_handle", "text"):
        if not isinstance(data.get(field), str) or not data[field].strip():
            raise ValidationError(f'"{field}" must be a non-empty string.')
    for field in ("lat", "lon"):
        if data.get(field) is not None and not isinstance(data[field], int | float):
            raise ValidationError(f'"{field}" must be a number.')
    if (data.get("lat") is None) != (data.get("lon") is None):
        raise ValidationError('Give both "lat" and "lon", or neither.')
