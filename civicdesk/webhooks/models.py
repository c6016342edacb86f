"""Webhook subscriptions: other systems told about case events, delivered through the outbox."""

import base64
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicdesk.notify.models import OutboxMessage


class WebhookEvent(models.TextChoices):
    CREATED = "case.created", _("Case created")
    UPDATED = "case.updated", _("Case updated")
    STATUS_CHANGED = "case.status_changed", _("Status changed")
    RESOLVED = "case.resolved", _("Case resolved")
    CLOSED = "case.closed", _("Case closed")
    PUBLIC_COMMENT = "case.public_comment", _("Public comment")


def new_secret():
    """A Standard Webhooks signing secret: "whsec_" and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class Subscription(models.Model):
    name = models.CharField(_("name"), max_length=120)
    url = models.URLField(_("receiver URL"), max_length=500)
    secret = models.CharField(_("signing secret"), max_length=80, default=new_secret)
    events = models.JSONField(
        _("events"), default=list, blank=True, help_text=_("Event types to send; empty sends every type.")
    )
    departments = models.ManyToManyField(
        "cases.Department", blank=True, verbose_name=_("departments"), help_text=_("Empty: every department.")
    )
    services = models.ManyToManyField(
        "cases.Service", blank=True, verbose_name=_("services"), help_text=_("Empty: every service.")
    )
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self):
        return f"{self.name} ({self.url})"


class WebhookDelivery(OutboxMessage):
    """The outbox's webhook messages, for their own admin page (same rows, same delivery machinery)."""

    class Meta:
        proxy = True
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")

    def __str__(self):
        return f"{self.kind} {self.webhook_id} ({self.get_status_display()})"


class DeliveryAttempt(models.Model):
    """One try at POSTing a webhook message: what the receiver answered, or why it could not."""

    message = models.ForeignKey(
        OutboxMessage, models.CASCADE, related_name="webhook_attempts", verbose_name=_("delivery")
    )
    subscription = models.ForeignKey(
        Subscription,
        models.SET_NULL,
        null=True,
        blank=True,
        db_constraint=False,
        related_name="attempts",
        verbose_name=_("subscription"),
    )
    url = models.CharField(_("URL"), max_length=500, blank=True)
    attempted_at = models.DateTimeField(_("attempted"), default=timezone.now)
    status_code = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    success = models.BooleanField(_("delivered"), default=False)
    error = models.TextField(_("error"), blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    response_body = models.TextField(_("response (first 1 KB)"), blank=True)

    class Meta:
        ordering = ["-attempted_at", "-id"]
        indexes = [models.Index(fields=["subscription", "attempted_at"], name="webhook_attempt_sub_idx")]
        verbose_name = _("webhook delivery attempt")
        verbose_name_plural = _("webhook delivery log")

    def __str__(self):
        outcome = self.status_code or self.error[:40]
        return f"{self.message_id} {self.attempted_at:%Y-%m-%d %H:%M:%S} {outcome}"
