"""Turn a case event into webhook deliveries in the outbox (same transaction as the change)."""

import uuid

from civicdesk.notify.models import OutboxMessage
from civicdesk.notify.outbox import start_delivery

from . import payload, subscriptions


def on_event(case, event):
    """Called by cases.actions for every timeline event: one outbox row per subscription and type."""
    targets = subscriptions.active()
    if not targets:
        return []
    wanted = [(t, kind) for kind in payload.event_types(case, event) for t in targets if t.wants(kind, case)]
    bodies = {kind: payload.body(case, event, kind) for kind in {kind for _t, kind in wanted}}
    messages = OutboxMessage.objects.bulk_create(
        OutboxMessage(
            channel=OutboxMessage.Channel.WEBHOOK,
            kind=kind,
            case=case,
            subscription_id=target.id,
            recipient=target.url,
            body=bodies[kind],
            webhook_id=f"msg_{uuid.uuid4().hex}",
        )
        for target, kind in wanted
    )
    for message in messages:
        start_delivery(message.pk)
    return messages
