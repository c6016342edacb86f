from datetime import timedelta
from email.utils import make_msgid
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def new_message_id():
    """An RFC 5322 Message-ID on the site's own domain, made once per message and kept for every attempt."""
    return make_msgid(domain=urlsplit(settings.SITE_URL).hostname or "civicdesk.invalid")


class OutboxQuerySet(models.QuerySet):
    def due(self, now=None):
        """What a sender may take now: due retries (fast or slow) and claims whose lease ran out.

        Leases are written and read on the database's clock (delivery.lease_end): a host whose clock
        runs ahead must not see a live sender's lease as expired. Retries are a schedule, where a
        few seconds of skew do no harm.
        """
        now = now or timezone.now()
        retry = models.Q(status__in=OutboxMessage.RETRIED, next_attempt_at__lte=now)
        abandoned = models.Q(status=OutboxMessage.Status.SENDING, lease_until__lt=Now())
        return self.filter(retry | abandoned)


class OutboxMessage(models.Model):
    """A message a change caused, written in the same transaction as the change.

    Workers deliver it afterwards and retry with backoff, so a crash or an SMTP outage never
    loses a notification.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        # Out of fast retries: an administrator was told, and it is tried again every few hours.
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        WEBHOOK = "webhook", _("Webhook")
        SMS = "sms", _("SMS")
        WHATSAPP = "whatsapp", _("WhatsApp")
        TELEGRAM = "telegram", _("Telegram")

    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    kind = models.CharField(max_length=32, help_text="acknowledgement, resolved, reply, case.created, ...")
    case = models.ForeignKey("cases.Case", models.SET_NULL, null=True, blank=True, related_name="outbox")
    # An e-mail address, or the receiver URL a webhook was queued for (the URL used is read at send time).
    recipient = models.CharField(max_length=500)
    # Webhooks only. No database constraint: a subscription deleted while another process still had it
    # cached must never make a case action fail; the message is then simply undeliverable.
    subscription = models.ForeignKey(
        "webhooks.Subscription",
        models.SET_NULL,
        null=True,
        blank=True,
        db_constraint=False,
        related_name="messages",
        verbose_name=_("webhook subscription"),
    )
    # Standard Webhooks "webhook-id": the same on every attempt, so receivers can drop repeats.
    webhook_id = models.CharField(_("webhook id"), max_length=40, blank=True)
    language = models.CharField(max_length=8, default="en")
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # One Message-ID for every attempt, so a copy sent again after a crash is recognisable as the same.
    message_id = models.CharField(_("Message-ID"), max_length=255, blank=True, default=new_message_id)
    # The claim of the attempt in flight: who holds it and until when. The sender renews the lease
    # while it works; a lease that ran out belongs to a dead worker, and anyone may take the message.
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=100, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    # When administrators were told it failed: once per message, never for an alert itself.
    alerted_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # SMS and messaging channels (decisions 48, 49): the provider's id for the message sent (Twilio's
    # MessageSid, a WhatsApp "wamid", a Telegram message_id) and the last delivery status its
    # callbacks reported (queued, sent, delivered, read, undelivered, failed).
    provider_id = models.CharField(_("provider id"), max_length=128, blank=True)
    provider_status = models.CharField(_("provider status"), max_length=20, blank=True)
    # WhatsApp outside its 24-hour window (decision 49): the approved template went instead of the
    # body (set when it is sent, or beforehand on the copy queued after Meta refused the free text).
    as_template = models.BooleanField(_("sent as the approved template"), default=False)

    objects = OutboxQuerySet.as_manager()

    # Statuses a sender picks up again once `next_attempt_at` has come.
    RETRIED = (Status.PENDING, Status.FAILED)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due_idx"),
            # Inbound e-mail threads a reply by the Message-ID it answers (In-Reply-To/References).
            models.Index(fields=["message_id"], name="outbox_message_id_idx"),
            models.Index(
                fields=["provider_id"], name="outbox_provider_id_idx", condition=~models.Q(provider_id="")
            ),
        ]
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")

    def __str__(self):
        return f"{self.kind} to {self.recipient} ({self.status})"


def backoff(attempts):
    """Delay before the next try: 30 s, 1 min, 2 min ... capped at 1 hour."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))
