"""POST one webhook message to its subscription's URL, signed, and log the attempt.

Called by `notify.delivery.send` for channel "webhook", so claims, backoff, retries and giving up are
the outbox's. The URL and secret are read now, not when the message was queued: a receiver that
moved, or a rotated secret, applies to the next attempt.
"""

import http.client
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone

from civicdesk.notify.delivery import Undeliverable

from . import signing
from .models import DeliveryAttempt, Subscription

RESPONSE_BYTES = 1024


class DeliveryFailed(Exception):
    """The receiver did not answer 2xx; the outbox tries again later."""


class _SameHostRedirects(urllib.request.HTTPRedirectHandler):
    """Follow only 307/308 to the same scheme, host and port, re-sending the same signed POST.

    Anything else (another host, or a 301-303 that would turn the POST into a GET without its body)
    stops as a failed attempt showing the 3xx, so the city updates the URL instead.
    """

    max_redirections = 3

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        old, new = urlsplit(req.full_url), urlsplit(newurl)
        if code not in (307, 308) or (old.scheme, old.netloc) != (new.scheme, new.netloc):
            return None
        headers = dict(req.header_items())
        return urllib.request.Request(newurl, data=req.data, headers=headers, method="POST")  # noqa: S310 - same scheme


_opener = urllib.request.build_opener(_SameHostRedirects)


def post(message):
    """Send `message` once. Returns the status code; raises DeliveryFailed or Undeliverable."""
    subscription = Subscription.objects.filter(pk=message.subscription_id).first()
    attempt = DeliveryAttempt(message=message, subscription=subscription, attempted_at=timezone.now())
    try:
        request = _request(message, subscription)
    except Undeliverable as error:
        attempt.error = str(error)
        attempt.save()
        raise
    attempt.url = request.full_url
    started = time.monotonic()
    try:
        with _opener.open(request, timeout=settings.WEBHOOK_TIMEOUT) as response:
            attempt.status_code, attempt.response_body = response.status, _read(response)
    except urllib.error.HTTPError as error:  # a non-2xx answer
        attempt.status_code, attempt.response_body = error.code, _read(error)
        moved = error.headers.get("Location") if 300 <= error.code < 400 else None
        attempt.error = f"HTTP {error.code} {error.reason}"
        if moved:
            attempt.error += f" (redirect to {moved} not followed)"
    except (OSError, ValueError, http.client.HTTPException) as error:  # refused, timeout, DNS, TLS...
        attempt.error = f"{type(error).__name__}: {getattr(error, 'reason', error)}"
    attempt.duration_ms = round((time.monotonic() - started) * 1000)
    attempt.success = not attempt.error
    attempt.save()
    if not attempt.success:
        raise DeliveryFailed(attempt.error)
    return attempt.status_code


def _request(message, subscription):
    if subscription is None:
        raise Undeliverable("The webhook subscription was deleted.")
    if not subscription.active:
        raise Undeliverable("The webhook subscription is paused; redeliver after reactivating it.")
    if urlsplit(subscription.url).scheme not in ("http", "https"):
        raise Undeliverable(f"Refused to send to a non-HTTP URL: {subscription.url}")
    headers = signing.headers(subscription.secret, message.webhook_id, message.body)
    data = message.body.encode()
    return urllib.request.Request(subscription.url, data=data, headers=headers, method="POST")  # noqa: S310 - checked


def _read(response):
    """The start of the answer, for the log; never the whole of a large body."""
    try:
        return response.read(RESPONSE_BYTES).decode("utf-8", "replace")
    except OSError:
        return ""
