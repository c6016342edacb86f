"""Providers' inbound webhooks, read by django-anymail (decision 50): anymail checks the provider's
signature or basic auth and turns each provider's format (raw MIME or its parsed fields) into one
message; its bytes go into the same `receive` as SMTP and IMAP. The answer is 200 only once every
message of the post is stored, so a provider retries anything not stored."""

import hashlib
import time

from anymail.exceptions import AnymailConfigurationError, AnymailWebhookValidationFailure
from anymail.webhooks.mailgun import MailgunInboundWebhookView
from anymail.webhooks.postmark import PostmarkInboundWebhookView
from anymail.webhooks.sendgrid import SendGridInboundWebhookView
from django.conf import settings
from django.http import JsonResponse

from civicdesk.cases.models import Channel
from civicdesk.lib import ratelimit

from . import actions


def _error(status, message):
    return JsonResponse({"error": message}, status=status)


class InboundProviderMixin:
    """Replaces anymail's signal dispatch: each message is stored through `receive`, in the request."""

    warn_if_no_basic_auth = False  # not configured: 503, never open to anyone

    def __init__(self, **kwargs):
        # Read per request, not at import: basic auth is shared by every provider's view.
        super().__init__(webhook_secret=self.basic_auth_setting(), **kwargs)

    def basic_auth_setting(self):
        return settings.INBOUND_ANYMAIL_BASIC_AUTH or []

    def post(self, request, *args, **kwargs):
        if not self.configured():
            return _error(503, f"Inbound e-mail from {self.esp_name} is not configured.")
        if int(request.META.get("CONTENT_LENGTH") or 0) > settings.INBOUND_MAX_BYTES * 2:
            return _error(413, "Too large.")  # base64 or form encoding may double a message's size
        try:
            self.run_validators(request)
            self.check_fresh(request)
        except AnymailWebhookValidationFailure as error:
            return self.refuse(request, str(error))
        try:
            events = self.parse_events(request)
        except (AnymailConfigurationError, KeyError, ValueError, UnicodeDecodeError) as error:
            # A malformed post, or the provider's tracking webhook pointed here: refused, not a 500.
            return _error(400, f"Not an inbound message from {self.esp_name}: {type(error).__name__}")
        stored = [self.store(request, event) for event in events]
        return JsonResponse({"stored": [message.pk for message in stored if message is not None]})

    def configured(self):
        return bool(settings.INBOUND_ANYMAIL_BASIC_AUTH)

    def check_fresh(self, request):
        """Providers that sign a timestamp: refuse a stale one (a replay)."""

    def refuse(self, request, reason):
        # A flood of forged posts is slowed per client, as on the raw-MIME webhook.
        wait = ratelimit.hit("inbound-refused", ratelimit.client_ip(request), settings.INBOUND_REFUSED_RATE)
        if wait:
            response = _error(429, "Too many refused deliveries from this address.")
            response["Retry-After"] = str(wait)
            return response
        return _error(403, reason)

    def store(self, request, event):
        message = event.message
        raw = message.as_bytes()
        try:
            return actions.receive(
                Channel.EMAIL,
                self.key(request, event, raw),
                raw,
                envelope_sender=message.envelope_sender,
                recipients=[message.envelope_recipient.lower()] if message.envelope_recipient else [],
            )
        except actions.TooLarge:
            return None  # over INBOUND_MAX_BYTES: refused, as the SMTP receiver does (552)

    def key(self, request, event, raw):
        """Message-ID; else the provider's own message id; else a digest of the post, which a retry
        repeats (a message rebuilt from parsed fields gets new MIME boundaries each time)."""
        key = actions.email_key(raw)
        if not key.startswith("sha256:"):
            return key
        if event.event_id:
            return f"{self.esp_name.lower()}:{event.event_id}"
        return "sha256:" + hashlib.sha256(request.body).hexdigest()


class MailgunInbound(InboundProviderMixin, MailgunInboundWebhookView):
    """Mailgun's route `forward()` to this URL (raw MIME with the `mime` URL suffix, or fields)."""

    def __init__(self, **kwargs):
        # anymail raises when the key is missing; without it this view answers 503 instead.
        kwargs["webhook_signing_key"] = settings.INBOUND_MAILGUN_SIGNING_KEY or "unset"
        super().__init__(**kwargs)

    def basic_auth_setting(self):
        return []  # Mailgun signs every post: its signature is the authentication

    def configured(self):
        return bool(settings.INBOUND_MAILGUN_SIGNING_KEY)

    def check_fresh(self, request):
        try:
            stamp = int(request.POST.get("timestamp", ""))
        except ValueError:
            raise AnymailWebhookValidationFailure("Mailgun webhook without a timestamp") from None
        if abs(time.time() - stamp) > settings.INBOUND_WEBHOOK_MAX_AGE:
            raise AnymailWebhookValidationFailure("Stale timestamp: a replayed delivery?")


class PostmarkInbound(InboundProviderMixin, PostmarkInboundWebhookView):
    """Postmark's inbound webhook (JSON; RawEmail when "Include raw email content" is on)."""


class SendGridInbound(InboundProviderMixin, SendGridInboundWebhookView):
    """SendGrid's Inbound Parse (multipart form; "POST the raw, full MIME message" or parsed fields).
    anymail no longer tests SendGrid officially (it still reads the format): our tests pin it."""
