"""One conversation model for every channel: a thread with one resident on one channel, linked to
its case; each inbound message keyed by its channel's idempotency key (decision 46)."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicdesk.cases.models import Channel

# Messaging channels a conversation or inbound message can be on besides the case channels
# (decision 49): their cases are on the "social" case channel; the thread keeps which app it was.
MESSAGING_CHANNELS = [("whatsapp", _("WhatsApp")), ("telegram", _("Telegram"))]
CHANNELS = [*Channel.choices, *MESSAGING_CHANNELS]


def new_token():
    """Lower case only: mail software may lower-case an address, and we compare lowered ones."""
    return secrets.token_hex(16)


class Conversation(models.Model):
    """One thread with one resident on one channel. The outbound side is the case's outbox rows
    (notify.OutboxMessage, found through the case): notify must not know about this app."""

    channel = models.CharField(_("channel"), max_length=10, choices=CHANNELS)
    # The resident's contact on that channel: an e-mail address now; an E.164 number or a handle later.
    address = models.CharField(_("address"), max_length=320)
    # In the Reply-To (reply+<token>@domain): threads a reply whatever its subject and headers say.
    token = models.CharField(_("token"), max_length=40, unique=True, default=new_token)
    case = models.ForeignKey(
        "cases.Case", models.SET_NULL, null=True, blank=True, related_name="conversations"
    )
    language = models.CharField(_("language"), max_length=8, default="en")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    # WhatsApp's 24-hour reply window will be measured from it.
    last_inbound_at = models.DateTimeField(_("last inbound message"), null=True, blank=True)
    # A text channel's dialogue (SMS): the step the resident is at ("" when none is open) and what
    # they said so far; kept here so a resident who pauses resumes where they were (decision 48).
    step = models.CharField(_("step"), max_length=20, blank=True)
    answers = models.JSONField(_("answers so far"), default=dict, blank=True)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        indexes = [models.Index(fields=["channel", "address"], name="inbound_conv_address_idx")]

    def __str__(self):
        return f"{self.channel}:{self.address}"


class InboundMessage(models.Model):
    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        PROCESSED = "processed", _("Processed")
        IGNORED_AUTOMATED = "ignored_automated", _("Ignored: automated")
        QUARANTINED = "quarantined", _("Quarantined")
        DISCARDED = "discarded", _("Discarded")

    channel = models.CharField(_("channel"), max_length=10, choices=CHANNELS)
    # The channel's idempotency key: the Message-ID for e-mail, the provider's message id elsewhere.
    key = models.CharField(_("key"), max_length=255)
    # The message as it arrived, whole. A BinaryField, not the storage API: it is written in the
    # same transaction as the row, so "stored" (the SMTP 250, the webhook's 200) means both exist.
    # INBOUND_MAX_BYTES (25 MB) bounds it; larger input is refused before it is stored.
    raw = models.BinaryField(_("raw message"), editable=False)
    size = models.PositiveIntegerField(_("size"), default=0)
    sender = models.CharField(_("sender"), max_length=320, blank=True)
    envelope_sender = models.CharField(_("envelope sender"), max_length=320, blank=True)
    recipients = models.JSONField(_("recipients"), default=list, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    text = models.TextField(_("text"), blank=True, help_text=_("The cleaned body."))
    # The parts that are not the text: name, content type, size, and what became of each.
    attachments = models.JSONField(_("attachments"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    conversation = models.ForeignKey(
        Conversation, models.SET_NULL, null=True, blank=True, related_name="messages"
    )
    case = models.ForeignKey(
        "cases.Case", models.SET_NULL, null=True, blank=True, related_name="inbound_messages"
    )
    # A social post's link (generic social webhook): a later post with the same link joins its case.
    link = models.URLField(_("link"), max_length=500, blank=True)
    # Times its processing waited for files to be fetched from the provider (MMS, WhatsApp media).
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    # Set when processing must wait (a media file to fetch again later): the safety net
    # (actions.retry_stalled) leaves the message alone until then.
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    # When `raw` was cleared after its retention period (`civicdesk purge_inbound`); the row stays.
    raw_purged_at = models.DateTimeField(_("raw message purged"), null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound messages")
        ordering = ["-received_at"]
        constraints = [models.UniqueConstraint(fields=["channel", "key"], name="inbound_message_key_unique")]
        indexes = [
            models.Index(fields=["status", "received_at"], name="inbound_status_idx"),
            # Which of the city's accounts a resident last wrote to: replies go out from it.
            models.Index(fields=["channel", "sender", "received_at"], name="inbound_sender_idx"),
        ]

    def __str__(self):
        return f"{self.channel} {self.key} ({self.status})"


# The channels' accounts live in their own module; imported here so that Django registers them.
from .channel_accounts import ImapMailbox, TelegramBot, TwilioNumber, WhatsAppNumber  # noqa: E402, F401
