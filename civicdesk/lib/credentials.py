"""Long random secrets handed out once (Open311 API keys, REST API tokens): stored only as a hash,
with their last use noted sparingly."""

import hashlib
from datetime import timedelta

from django.utils import timezone

# How often `last_used_at` is written: once a minute is enough to audit, and spares a write per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_secret(raw: str) -> str:
    """The secrets are 192+ random bits, so one fast SHA-256 is safe (a slow hash would cost every
    request)."""
    return hashlib.sha256(raw.encode()).hexdigest()


def note_use(credential, now=None):
    """Set `credential.last_used_at`, writing to the database at most once per LAST_USED_RESOLUTION."""
    now = now or timezone.now()
    last = credential.last_used_at
    if last is None or now - last >= LAST_USED_RESOLUTION:
        type(credential).objects.filter(pk=credential.pk).update(last_used_at=now)
        credential.last_used_at = now
