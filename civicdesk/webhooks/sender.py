"""POST one webhook message to its subscription's URL, signed, and log the attempt.

Registered with `notify.delivery` for channel "webhook" (see apps.py), so claims, backoff, retries
and giving up are the outbox's. The URL and secret are read now, not when the message was queued: a
receiver that moved, or a rotated secret, applies to the next attempt. The receiver's name is looked
up once per attempt, checked (`addresses.resolve`) and the connection made to the addresses checked.
"""

import http.client
import socket
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from civicdesk.notify.delivery import Undeliverable

from . import addresses, signing
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


class _PinnedHandler(urllib.request.HTTPHandler, urllib.request.HTTPSHandler):
    """Open http and https connections to the checked addresses, never to a fresh DNS answer.

    Only the socket's destination changes: the Host header, TLS SNI and the certificate check still
    use the name in the URL. A same-host redirect goes through the same handler, so the same addresses.
    """

    def __init__(self, checked: list[str]):
        super().__init__()
        self.checked = checked

    def http_open(self, req):
        return self.do_open(self._connection(http.client.HTTPConnection), req)

    def https_open(self, req):
        return self.do_open(self._connection(http.client.HTTPSConnection), req)

    def _connection(self, connection_class):
        def make(host, **kwargs):
            connection = connection_class(host, **kwargs)
            connection._create_connection = self._connect  # http.client's hook for opening the socket
            return connection

        return make

    def _connect(self, address, timeout, source_address=None):
        """Like socket.create_connection, but over the checked addresses instead of a lookup."""
        _host, port = address
        for ip in self.checked[:-1]:
            try:
                return socket.create_connection((ip, port), timeout, source_address)
            except OSError:
                continue
        return socket.create_connection((self.checked[-1], port), timeout, source_address)


def _opener(checked):
    # No proxies from the environment: a proxy would make its own lookup of the receiver's name.
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}), _SameHostRedirects, _PinnedHandler(checked)
    )


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
        opener = _opener(addresses.resolve(request.full_url))  # connects only where the check looked
        with opener.open(request, timeout=settings.WEBHOOK_TIMEOUT) as response:
            attempt.status_code, attempt.response_body = response.status, _read(response)
    except ValidationError as refused:  # an internal address: nothing was sent, and no retry helps
        attempt.error = " ".join(refused.messages)
        attempt.save()
        raise Undeliverable(attempt.error) from None
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
