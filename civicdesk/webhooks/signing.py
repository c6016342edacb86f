"""Standard Webhooks signatures (https://www.standardwebhooks.com/), for sending and for receivers.

A receiver checks a delivery with the raw body, before parsing it::

    from civicdesk.webhooks.signing import VerificationError, verify

    try:
        event = verify(secret, request.headers, request.body)
    except VerificationError:
        return 401

The signed content is ``f"{webhook-id}.{webhook-timestamp}.{body}"``; the key is the base64 part of
the ``whsec_...`` secret; ``webhook-signature`` holds one or more space-separated ``v1,<base64>``.
"""

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Mapping

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret


class VerificationError(Exception):
    """The delivery is not authentic (or too old): answer 4xx and ignore it."""


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def sign(secret: str, webhook_id: str, timestamp: int, body: bytes | str) -> str:
    """The `webhook-signature` header value for one attempt (a str body is signed as its UTF-8)."""
    payload = body.encode() if isinstance(body, str) else bytes(body)
    content = f"{webhook_id}.{timestamp}.".encode() + payload
    digest = hmac.new(_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secret: str, webhook_id: str, body: str, timestamp: int | None = None) -> dict[str, str]:
    """Every header of a signed delivery; the timestamp is this attempt's, so retries sign afresh."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, webhook_id, timestamp, body),
        "Content-Type": "application/json",
        "User-Agent": "CivicDesk-Webhooks/1",
    }


def verify(secret: str, headers: Mapping[str, str], body: bytes | str, tolerance: int = 300) -> dict:
    """Check a received delivery and return its parsed JSON; raise VerificationError if it fails.

    `headers` may be any mapping (names compared case-insensitively); `tolerance` is how many seconds
    the timestamp may differ from this machine's clock, which stops old deliveries being replayed.
    """
    lower = {name.lower(): value for name, value in headers.items()}
    try:
        webhook_id, stamp, signatures = (
            lower[name] for name in ("webhook-id", "webhook-timestamp", "webhook-signature")
        )
    except KeyError as missing:
        raise VerificationError(f"Missing header {missing}.") from None
    try:
        timestamp = int(stamp)
    except ValueError:
        raise VerificationError("webhook-timestamp is not a number.") from None
    if abs(time.time() - timestamp) > tolerance:
        raise VerificationError("webhook-timestamp is too old or in the future.")
    # The raw bytes are checked, as the specification signs them: decoding first (with replacement
    # characters) would let two different invalid byte sequences share one signature.
    expected = sign(secret, webhook_id, timestamp, body).encode()
    # Several signatures appear while a sender rotates its secret; any one may match.
    if not any(hmac.compare_digest(expected, candidate.encode()) for candidate in signatures.split()):
        raise VerificationError("No signature matches.")
    return json.loads(body)
