"""Turn a case event into webhook deliveries in the outbox (same transaction as the change)."""


def on_event(case, event):
    """Called by cases.actions for every timeline event."""
