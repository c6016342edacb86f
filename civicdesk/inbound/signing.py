"""HMAC signatures of the raw-MIME webhook: `X-CivicDesk-Timestamp` (Unix seconds) and
`X-CivicDesk-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>." + body>` with the shared secret."""

import hashlib
import hmac
import time


class BadSignature(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def sign(secret, timestamp, body):
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret, timestamp, signature, body, max_age, now=None):
    """Raises BadSignature(401) when missing, (403) when wrong or outside the time window either way."""
    if not timestamp or not signature:
        raise BadSignature(401, "Missing X-CivicDesk-Timestamp or X-CivicDesk-Signature.")
    try:
        stamp = int(timestamp)
    except ValueError:
        raise BadSignature(403, "X-CivicDesk-Timestamp is not a Unix time.") from None
    if abs((now or time.time()) - stamp) > max_age:
        raise BadSignature(403, "Stale timestamp: sign each delivery when it is sent.")
    if not hmac.compare_digest(sign(secret, timestamp, body), signature.strip()):
        raise BadSignature(403, "Wrong signature.")
