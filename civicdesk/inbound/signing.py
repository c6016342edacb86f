"""HMAC signatures of the raw-MIME webhook: `X-CivicDesk-Timestamp` (Unix seconds) and
`X-CivicDesk-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<envelope from>.<envelope to>." + body>`
with the shared secret: the envelope headers steer threading and bounce detection, so they are signed
too (empty strings when absent)."""

import hashlib
import hmac
import time


class BadSignature(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def sign(secret, timestamp, body, envelope_from="", envelope_to=""):
    signed = f"{timestamp}.{envelope_from}.{envelope_to}.".encode() + body
    return f"sha256={hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()}"


def verify(secret, timestamp, signature, body, max_age, now=None, envelope_from="", envelope_to=""):
    """Raises BadSignature(401) when missing, (403) when wrong or outside the time window either way."""
    if not timestamp or not signature:
        raise BadSignature(401, "Missing X-CivicDesk-Timestamp or X-CivicDesk-Signature.")
    try:
        stamp = int(timestamp)
    except ValueError:
        raise BadSignature(403, "X-CivicDesk-Timestamp is not a Unix time.") from None
    if abs((now or time.time()) - stamp) > max_age:
        raise BadSignature(403, "Stale timestamp: sign each delivery when it is sent.")
    expected = sign(secret, timestamp, body, envelope_from, envelope_to).encode()
    if not hmac.compare_digest(expected, signature.strip().encode("utf-8", "replace")):
        raise BadSignature(403, "Wrong signature.")
