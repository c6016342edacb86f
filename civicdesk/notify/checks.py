"""System checks for the outbox settings."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.compatibility)
def check_lease_settings(app_configs=None, **kwargs):
    """A heartbeat slower than the lease lets the sweeper take over every live send: duplicates."""
    heartbeat, lease = settings.OUTBOX_HEARTBEAT_SECONDS, settings.OUTBOX_LEASE_SECONDS
    if heartbeat < lease:
        return []
    return [
        checks.Error(
            f"OUTBOX_HEARTBEAT_SECONDS ({heartbeat}) must be less than OUTBOX_LEASE_SECONDS ({lease}).",
            hint="Renew the lease well within its length: a third of it (the defaults are 10 and 30).",
            id="notify.E001",
        )
    ]
