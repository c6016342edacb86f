"""Which conversation an inbound e-mail continues, and the headers that let replies find theirs."""

import re
from typing import NamedTuple

from django.conf import settings

from civicdesk.cases.models import Case, Channel
from civicdesk.notify.models import OutboxMessage

from . import authresults
from .loops import loop_marker
from .models import Conversation, InboundMessage

SUBJECT_TAG = re.compile(r"\[#(\d{2}-\d{6})\]")
# Kinds a person wrote (staff replies); every other case e-mail is sent by the machine.
PERSONAL_KINDS = {"reply"}


def reply_address(token):
    return f"reply+{token}@{settings.INBOUND_EMAIL_DOMAINS[0]}"


class Thread(NamedTuple):
    conversation: object  # Conversation or None
    case: object  # Case or None
    # The sender proved who they are: the Reply-To token (a secret), or our mail server's
    # authentication of the From domain (decision 52). Only a verified sender writes in the case.
    verified: bool


NO_THREAD = Thread(None, None, False)


def find_thread(parsed, envelope_recipients=()):
    """The Thread this mail continues, or NO_THREAD: the Reply-To token first (in the envelope or
    the headers), then the case number in the subject (from the case's own correspondent only),
    then In-Reply-To/References. The last two can be forged: they are verified."""
    domains = {d.lower() for d in settings.INBOUND_EMAIL_DOMAINS}
    for recipient in [*envelope_recipients, *parsed.recipients]:
        local, _at, domain = recipient.partition("@")
        if domain in domains and local.startswith("reply+"):
            token = local[6:].lower()
            conversation = Conversation.objects.filter(token=token).select_related("case").first()
            if conversation is not None:
                return Thread(conversation, conversation.case, True)
    if match := SUBJECT_TAG.search(parsed.subject):
        case = Case.objects.filter(number=match.group(1)).first()
        if case is not None and _corresponds(case, parsed.sender):
            return _claimed(parsed, case, _conversation_of(case, parsed.sender))
    ids = parsed.in_reply_to + parsed.references
    if ids:
        outbound = OutboxMessage.objects.filter(message_id__in=ids, case__isnull=False).first()
        if outbound is not None and _corresponds(outbound.case, parsed.sender):
            return _claimed(parsed, outbound.case, _conversation_of(outbound.case, parsed.sender))
        earlier = (
            InboundMessage.objects.defer("raw")
            .filter(channel=Channel.EMAIL, key__in=ids, conversation__isnull=False)
            .select_related("conversation__case")
            .first()
        )
        if earlier is not None and earlier.conversation.address == parsed.sender:
            return _claimed(parsed, earlier.conversation.case, earlier.conversation)
    return NO_THREAD


def _claimed(parsed, case, conversation):
    """A thread the headers claim: From, Subject and Message-IDs are the sender's to write."""
    return Thread(conversation, case, sender_verified(parsed))


def sender_verified(parsed):
    """Did our mail server (INBOUND_AUTHSERV_ID) authenticate the From domain (RFC 8601)?"""
    try:
        values = parsed.headers.get_all("Authentication-Results") or []
    except Exception:  # noqa: BLE001 - a malformed header proves nothing
        return False
    domain = parsed.sender.rpartition("@")[2]
    return authresults.verified(values, settings.INBOUND_AUTHSERV_ID, domain)


def _corresponds(case, sender):
    """Only the case's own correspondent continues it by number or headers: a guessed number or a
    forwarded copy from someone else opens their own case."""
    if sender and case.reporter_email.lower() == sender:
        return True
    return Conversation.objects.filter(case=case, address=sender).exists()


def _conversation_of(case, address):
    return Conversation.objects.filter(case=case, channel=Channel.EMAIL, address=address).first()


def outbound_headers(message):
    """Headers for an outbox e-mail (registered with notify.delivery): X-Loop and Auto-Submitted on
    every one; for a case that has an e-mail conversation with the recipient, the threading: the case
    number in the subject, the Reply-To token, In-Reply-To/References to the resident's messages."""
    headers = {"X-Loop": loop_marker()}
    if message.kind not in PERSONAL_KINDS:
        headers["Auto-Submitted"] = "auto-replied" if message.kind == "acknowledgement" else "auto-generated"
    if message.case_id is None or not settings.INBOUND_EMAIL_DOMAINS:
        return headers
    # One query in the usual case: the resident's latest Message-IDs with their conversation's token
    # (Message-IDs only: a message that had none is keyed by a hash of its bytes, not an id to cite).
    rows = list(
        InboundMessage.objects.filter(
            conversation__case_id=message.case_id,
            conversation__channel=Channel.EMAIL,
            conversation__address=message.recipient.lower(),
            key__startswith="<",
        )
        .order_by("-conversation__updated_at", "-conversation_id", "-received_at")
        .values_list("conversation_id", "conversation__token", "key")[:10]
    )
    rows = [row for row in rows if row[0] == rows[0][0]]  # the latest conversation's (rarely two)
    token = rows[0][1] if rows else _token_without_message_ids(message)
    if token is None:
        return headers
    number = message.case.number
    headers["Reply-To"] = reply_address(token)
    if f"[#{number}]" not in message.subject:
        headers["Subject"] = f"{message.subject} [#{number}]"
    keys = [key for _conversation, _token, key in rows]
    if keys:
        headers["In-Reply-To"] = keys[0]
        headers["References"] = " ".join(reversed(keys))
    return headers


def _token_without_message_ids(message):
    conversations = Conversation.objects.filter(
        case_id=message.case_id, channel=Channel.EMAIL, address=message.recipient.lower()
    )
    return conversations.order_by("-updated_at").values_list("token", flat=True).first()
