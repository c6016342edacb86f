"""The Twilio wire: webhook signatures (checked with `twilio`'s own RequestValidator), the REST call
that sends an SMS, the delivery-status callback, and fetching a call's recording (decision 48).
Any Twilio-compatible provider speaks the same wire; each account's API base points at it. Which
account applies is `inbound.config`'s to say (decision 51)."""

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

from . import config, media


def public_url(request):
    """The URL Twilio called, which is what it signed: TWILIO_WEBHOOK_BASE (default SITE_URL) and the
    path and query, never the Host header a proxy in front of us may have rewritten."""
    query = request.META.get("QUERY_STRING", "")
    return config.twilio_webhook_base() + request.path + (f"?{query}" if query else "")


def signed(request):
    """The account this POST is for (by its To number, or From for a callback about a message we
    sent; else the default) when X-Twilio-Signature is that account's signature of it, else None.
    Refused when no auth token is configured: an unsigned channel would let anyone file cases or
    unsubscribe numbers."""
    signature = request.headers.get("X-Twilio-Signature", "")
    account = config.twilio_for(request.POST.get("To"), request.POST.get("From"))
    if account is None or not account.auth_token or not signature:
        return None
    params = {key: request.POST.get(key) for key in request.POST}
    valid = RequestValidator(account.auth_token).validate(public_url(request), params, signature)
    return account if valid else None


def _auth_header(account):
    pair = f"{account.account_sid}:{account.auth_token}".encode()
    return "Basic " + base64.b64encode(pair).decode()


def messages_url(account):
    return f"{account.api_base}/2010-04-01/Accounts/{account.account_sid}/Messages.json"


def post_message(account, to, body, status_callback=True):
    """POST Twilio's Messages resource; returns its JSON answer. Raises urllib's errors."""
    form = {"To": to, "From": account.number, "Body": body}
    if status_callback:
        form["StatusCallback"] = account.webhook_base + reverse("inbound-sms-status")
    request = urllib.request.Request(  # noqa: S310 - https (or the tests' http) from the account
        messages_url(account),
        data=urllib.parse.urlencode(form).encode(),
        headers={"Authorization": _auth_header(account), "Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=account.timeout) as response:  # noqa: S310
        return json.loads(response.read() or b"{}")


def send_sms(message):
    """The outbox's sender for channel "sms": one POST of Twilio's Messages resource, from the number
    the resident last wrote to or called. A 4xx other than 429 is a refusal no retry fixes (an
    invalid or opted-out number: Twilio error 21610)."""
    account = config.twilio_for_reply(message.recipient, message.case_id)
    if account is None or not account.can_send():
        raise Undeliverable(
            "SMS is not configured: add a Twilio number in the admin "
            "(or set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM)."
        )
    try:
        answer = post_message(account, message.recipient, message.body)
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


def fetch_recording(url, account):
    """A recording's audio (WAV) or an MMS's file from Twilio, with the account's Basic auth (media
    can be protected). Only from that account's API base: the URL comes from a POST and must not make
    us fetch anything else. Returns (bytes, content type)."""
    if account is None or not url.startswith(account.api_base + "/"):
        raise ValueError("The file is not on the configured Twilio API.")
    auth = {"Authorization": _auth_header(account)}
    return media.get(url, auth, settings.INBOUND_MAX_BYTES, account.timeout)
