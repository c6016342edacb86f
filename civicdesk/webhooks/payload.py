"""What a case event means to a receiver: its webhook types and the JSON body.

The body carries what the public case page shows plus the routing facts other city systems need
(department, priority, areas, tags); never the reporter's name, e-mail or phone, nobody's name,
and no internal text (notes, escalation wording, routing rule names). Free text is what the
disclosure policy lets the webhook audience read: identifiers masked, residents' comments left out.
"""

import json
from datetime import UTC, datetime

from django.conf import settings
from django.urls import reverse

from civicdesk.cases import disclosure
from civicdesk.cases.disclosure import Audience
from civicdesk.cases.models import EventKind, Priority
from civicdesk.cases.workflow import Status

from .models import WebhookEvent

# Staff-visible changes worth telling another system about. Left out on purpose: notes and internal
# photos (their content is internal), contact views (an audit line), the merge line (the status
# event to "duplicate" before it already says so).
UPDATE_KINDS = {
    EventKind.ASSIGNED,
    EventKind.PRIORITY,
    EventKind.RECATEGORISED,
    EventKind.ROUTED,
    EventKind.ESCALATED,
    EventKind.TAGGED,
    EventKind.DUPLICATE_ADDED,
    EventKind.SPLIT,
    EventKind.FOLLOWED,
    EventKind.ATTACHMENT,
}
FINAL_TYPES = {Status.RESOLVED: WebhookEvent.RESOLVED, Status.CLOSED: WebhookEvent.CLOSED}
# The parts of `CaseEvent.changes` a receiver gets; others hold people's names or internal text.
SHARED_CHANGES = {
    "status",
    "priority",
    "department",
    "service",
    "tags",
    "duplicate_of",
    "duplicates",
    "parent",
    "children",
    "followers",
    "attachment",
}


def event_types(case, event) -> list[str]:
    """The webhook types one timeline event produces, most specific last; often none."""
    if event.kind == EventKind.SUBMITTED:
        return [WebhookEvent.CREATED]
    types = []
    old, new = event.changes.get("status") or (None, None)
    if old is not None and old != new:
        types += [WebhookEvent.STATUS_CHANGED, *([FINAL_TYPES[new]] if new in FINAL_TYPES else [])]
    if event.kind in (EventKind.REPLY, EventKind.COMMENT) and event.public:
        types.append(WebhookEvent.PUBLIC_COMMENT)
    elif event.kind in UPDATE_KINDS and _worth_an_update(case, event):
        types.append(WebhookEvent.UPDATED)
    return types


def _worth_an_update(case, event):
    if event.kind == EventKind.ATTACHMENT:
        return event.public
    # Routing while the case is created is part of "case.created"; later (after a change of
    # service) it moves the case to another department.
    return not (event.kind == EventKind.ROUTED and event.created_at == case.created_at)


def body(case, event, webhook_type: str) -> str:
    """The JSON text that is signed and sent: compact, ASCII only, so every receiver hashes the same bytes."""
    document = {"type": webhook_type, "timestamp": _iso(event.created_at), "data": case_data(case, event)}
    return json.dumps(document, separators=(",", ":"))


def case_data(case, event) -> dict:
    latitude, longitude = disclosure.location(case, Audience.WEBHOOK)
    return {
        "number": case.number,
        "url": settings.SITE_URL + reverse("portal-case-public", args=[case.number]),
        "service": {"code": case.service.code, "name": case.service.name},
        "status": case.status,
        "priority": Priority(case.priority).name.lower(),
        "department": case.department.code if case.department_id else None,
        "description": disclosure.description(case, Audience.WEBHOOK),
        "address": disclosure.address(case, Audience.WEBHOOK),
        "latitude": latitude,
        "longitude": longitude,
        "areas": case.areas,
        "tags": case.tags,
        "channel": case.channel,
        "source": case.source,
        "source_id": case.source_id,
        "parent": case.parent.number if case.parent_id else None,
        "duplicate_of": case.duplicate_of.number if case.duplicate_of_id else None,
        "created_at": _iso(case.created_at),
        "updated_at": _iso(case.updated_at),
        "acknowledged_at": _iso(case.acknowledged_at),
        "expected_at": _iso(case.expected_at),
        "resolved_at": _iso(case.resolved_at),
        "closed_at": _iso(case.closed_at),
        "event": {
            "kind": event.kind,
            "at": _iso(event.created_at),
            "public": event.public,
            "changes": {k: v for k, v in event.changes.items() if k in SHARED_CHANGES},
            "message": disclosure.message(event, Audience.WEBHOOK),
        },
    }


def _iso(moment: datetime | None) -> str | None:
    """UTC with a Z, to the millisecond, as Standard Webhooks shows it."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
