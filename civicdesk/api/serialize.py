"""Model rows to API dictionaries, with what each caller may see.

What each caller sees is the disclosure policy's: staff see the staff view; residents (who reach
only their own cases) the reporter's view, without the staff-only fields (assignee, tags, areas,
external ids), internal events or names of staff. Reporter contact details are added only by the
single-case read, for roles allowed `view_contact` (and that read is audited).
"""

from functools import cache

from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from pydantic import TypeAdapter

from civicdesk.cases import disclosure
from civicdesk.cases.disclosure import Audience
from civicdesk.cases.models import localized


def audience(caller) -> Audience:
    return Audience.STAFF if caller.is_staff else Audience.REPORTER


def case_dict(case, caller, now=None) -> dict:
    now = now or timezone.now()
    seen = audience(caller)
    staff = disclosure.view(seen).staff_names
    routing = disclosure.view(seen).routing
    latitude, longitude = disclosure.location(case, seen)
    return {
        "number": case.number,
        "service": case.service.code,
        "service_name": str(case.service),
        "status": case.status,
        "status_reason": disclosure.reason(case, seen),
        "priority": case.priority,
        "channel": case.channel,
        "department": case.department.code if case.department_id else None,
        "assignee": _person(case.assignee) if staff and case.assignee_id else None,
        "description": disclosure.description(case, seen),
        "address": disclosure.address(case, seen),
        "latitude": latitude,
        "longitude": longitude,
        "attributes": case.attributes,
        "tags": list(case.tags) if routing else None,
        "areas": dict(case.areas) if routing else None,
        "external_ids": dict(case.external_ids) if routing else None,
        "parent": _number_of(case, "parent"),
        "duplicate_of": _number_of(case, "duplicate_of"),
        "overdue": bool(case.expected_at and case.expected_at < now and case.is_active),
        "created_at": case.created_at,
        "updated_at": case.updated_at,
        "acknowledged_at": case.acknowledged_at,
        "resolved_at": case.resolved_at,
        "closed_at": case.closed_at,
        "expected_at": case.expected_at,
        "version": case.version,
    }


def _number_of(case, field):
    """The number of a related case, from the annotation of `cases.with_relations` when present."""
    if getattr(case, f"{field}_id") is None:
        return None
    number = getattr(case, f"{field}_number", None)
    return number if number is not None else getattr(case, field).number


def _person(user) -> dict:
    return {"id": user.pk, "name": str(user)}


def contact_dict(case) -> dict:
    return {"name": case.reporter_name, "email": case.reporter_email, "phone": case.reporter_phone}


# What a resident sees of an event's changes: the same as the tracking page (the new status).
RESIDENT_CHANGES = {"status"}


def event_dict(event, caller) -> dict:
    seen = audience(caller)
    changes = (
        event.changes
        if seen == Audience.STAFF
        else {k: v for k, v in event.changes.items() if k in RESIDENT_CHANGES}
    )
    return {
        "id": event.pk,
        "kind": event.kind,
        "created_at": event.created_at,
        "public": event.public,
        "message": disclosure.message(event, seen),
        "changes": changes,
        "actor": disclosure.actor(event, seen),
    }


def attachment_dict(request, attachment) -> dict:
    def url(size):
        return request.build_absolute_uri(reverse("portal-photo", args=[attachment.pk, size]))

    return {
        "id": attachment.pk,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "width": attachment.width,
        "height": attachment.height,
        "public": attachment.public,
        "created_at": attachment.created_at,
        "url": url("full"),
        "thumbnail_url": url("thumb"),
    }


def service_dict(service) -> dict:
    return {
        "code": service.code,
        "name": str(service),
        "description": localized(service, "description"),
        "group": localized(service, "group"),
        "keywords": [k.strip() for k in service.keywords.split(",") if k.strip()],
        "default_department": service.default_department.code if service.default_department_id else None,
        "default_priority": service.default_priority,
        "attributes": [
            {
                "code": a.code,
                "label": str(a),
                "datatype": a.datatype,
                "required": a.required,
                "order": a.order,
                "help_text": localized(a, "help_text"),
                "values": [{"key": k, "name": n} for k, n in a.value_choices()],
            }
            for a in service.attributes.all()
        ],
    }


@cache
def _adapter(schema) -> TypeAdapter:
    return TypeAdapter(schema)


def render(schema, data, status=200) -> HttpResponse:
    """A response validated against `schema` (a Schema or a union of them), for views that set
    headers (ETag, Location)."""
    adapter = _adapter(schema)
    body = adapter.dump_json(adapter.validate_python(data))
    return HttpResponse(body, status=status, content_type="application/json; charset=utf-8")
