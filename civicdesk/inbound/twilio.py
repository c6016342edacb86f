"""The Twilio wire: webhook signatures (checked with `twilio`'s own RequestValidator), the REST call
that sends an SMS, the delivery-status callback, and fetching a call's recording (decision 48).
Any Twilio-compatible provider speaks the same wire; TWILIO_API_BASE points at it."""

import base64
import json
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings
from django.urls import reverse
from twilio.request_validator import RequestValidator

from civicdesk.notify.delivery import Undeliverable
from civicdesk.notify.models import OutboxMessage

from . import media


def public_url(request):
    """The URL Twilio called, which is what it signed: TWILIO_WEBHOOK_BASE (default SITE_URL) and the
    path and query, never the Host header a proxy in front of us may have rewritten."""
    query = request.META.get("QUERY_STRING", "")
    return settings.TWILIO_WEBHOOK_BASE + request.path + (f"?{query}" if query else "")


def signed(request):
    """True when X-Twilio-Signature is the account's signature of this POST. Refused when no auth
    token is configured: an unsigned channel would let anyone file cases or unsubscribe numbers."""
    signature = request.headers.get("X-Twilio-Signature", "")
    if not settings.TWILIO_AUTH_TOKEN or not signature:
        return False
    params = {key: request.POST.get(key) for key in request.POST}
    return RequestValidator(settings.TWILIO_AUTH_TOKEN).validate(public_url(request), params, signature)


def _auth_header():
    pair = f"{settings.TWILIO_ACCOUNT_SID}:{settings.TWILIO_AUTH_TOKEN}".encode()
    return "Basic " + base64.b64encode(pair).decode()


def messages_url():
    return f"{settings.TWILIO_API_BASE}/2010-04-01/Accounts/{settings.TWILIO_ACCOUNT_SID}/Messages.json"


def send_sms(message):
    """The outbox's sender for channel "sms": one POST of Twilio's Messages resource. A 4xx other
    than 429 is a refusal no retry fixes (an invalid or opted-out number: Twilio error 21610)."""
    if not (settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN and settings.TWILIO_FROM):
        raise Undeliverable("SMS is not configured (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM).")
    form = {
        "To": message.recipient,
        "From": settings.TWILIO_FROM,
        "Body": message.body,
        "StatusCallback": settings.TWILIO_WEBHOOK_BASE + reverse("inbound-sms-status"),
    }
    request = urllib.request.Request(  # noqa: S310 - https (or the tests' http) from settings
        messages_url(),
        data=urllib.parse.urlencode(form).encode(),
        headers={"Authorization": _auth_header(), "Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.TWILIO_TIMEOUT) as response:  # noqa: S310
            answer = json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        detail = error.read()[:500].decode(errors="replace")
        if 400 <= error.code < 500 and error.code != 429:
            raise Undeliverable(f"HTTP {error.code}: {detail}") from None
        raise
    OutboxMessage.objects.filter(pk=message.pk).update(
        provider_id=str(answer.get("sid", ""))[:64], provider_status=str(answer.get("status", ""))[:20]
    )


def record_status(sid, status, error_code=""):
    """A delivery-status callback: the latest status Twilio reported for the message it called `sid`."""
    fields = {"provider_status": status[:20]}
    if error_code:
        fields["last_error"] = f"Twilio error {error_code} ({status})"
    return OutboxMessage.objects.filter(provider_id=sid, channel=OutboxMessage.Channel.SMS).update(**fields)


def fetch_recording(url):
    """A recording's audio (WAV) or an MMS's file from Twilio, with the account's Basic auth (media
    can be protected). Only from TWILIO_API_BASE: the URL comes from a POST and must not make us
    fetch anything else. Returns (bytes, content type)."""
    if not url.startswith(settings.TWILIO_API_BASE + "/"):
        raise ValueError("The file is not on the configured Twilio API.")
    auth = {"Authorization": _auth_header()}
    return media.get(url, auth, settings.INBOUND_MAX_BYTES, settings.TWILIO_TIMEOUT)
