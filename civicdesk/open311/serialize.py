"""CivicDesk objects as Open311 structures: what the disclosure policy lets the Open311 audience see
(never reporter details, internal notes, tracking tokens or what an API client sent about its user;
free text with identifiers masked)."""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from civicdesk.cases import disclosure
from civicdesk.cases.disclosure import Audience
from civicdesk.cases.models import EventKind, Status
from civicdesk.cases.workflow import ACTIVE

from .formats import Areas


def w3c(value):
    """W3C datetime in the city's zone, with its offset and without fractions of a second."""
    if value is None:
        return None
    return timezone.localtime(value).replace(microsecond=0).isoformat()


def open_closed(status):
    return "open" if status in ACTIVE else "closed"


def photo_url(attachment_id):
    return settings.SITE_URL + reverse("portal-photo", args=[attachment_id, "full"])


def service(item):
    return {
        "service_code": item.code,
        "service_name": item.localized("name"),
        "description": item.localized("description"),
        "metadata": bool(item.attribute_count),
        "type": "realtime",
        "keywords": item.keywords,
        "group": item.localized("group"),
    }


def definition(item):
    return {
        "service_code": item.code,
        "attributes": [_attribute(a) for a in item.attributes.all()],
    }


def _attribute(attribute):
    data = {
        "variable": True,
        "code": attribute.code,
        "datatype": attribute.datatype,
        "required": attribute.required,
        "datatype_description": attribute.localized("help_text") or None,
        "order": attribute.order,
        "description": attribute.localized("label"),
    }
    if attribute.is_list:
        data["values"] = [{"key": str(key), "name": name} for key, name in attribute.value_choices()]
    return data


def service_notice(case):
    if case.expected_at is None or case.status not in ACTIVE:
        return None
    return _("We aim to deal with this by %(date)s.") % {"date": w3c(case.expected_at)}


def request(case, photo_id=None, notes=None, numbers=None):
    """One case as an Open311 request. `notes` (a list) switches on the `extensions=true` fields;
    `numbers` maps the ids of linked cases (parent, original) to their numbers."""
    submission = getattr(case, "open311_submission", None)
    latitude, longitude = disclosure.location(case, Audience.OPEN311)
    data = {
        "service_request_id": case.number,
        "status": open_closed(case.status),
        "status_notes": disclosure.reason(case, Audience.OPEN311) or None,
        "service_name": case.service.localized("name"),
        "service_code": case.service.code,
        "description": disclosure.description(case, Audience.OPEN311) or None,
        "agency_responsible": str(case.department) if case.department else None,
        "service_notice": service_notice(case),
        "requested_datetime": w3c(case.created_at),
        "updated_datetime": w3c(case.updated_at),
        "expected_datetime": w3c(case.expected_at),
        "address": disclosure.address(case, Audience.OPEN311) or None,
        "address_id": (submission.address_id or None) if submission else None,
        "zipcode": None,
        "lat": latitude,
        "long": longitude,
        "media_url": photo_url(photo_id) if photo_id else None,
    }
    if notes is not None:
        data["extended_attributes"] = {
            "channel": case.channel,
            "status": case.status,
            "areas": Areas(case.areas or {}),
            "duplicate_of": (numbers or {}).get(case.duplicate_of_id),
            "parent": (numbers or {}).get(case.parent_id),
            "source_id": case.source_id or None,
        }
        data["notes"] = notes
    return data


def note(event):
    """A timeline event without its free text (replies and comments can name people)."""
    return {
        "datetime": w3c(event.created_at),
        "type": event.kind,
        "description": event_summary(event),
    }


def event_summary(event):
    changes = event.changes or {}
    if event.kind in (EventKind.STATUS, EventKind.REOPENED) and "status" in changes:
        return _("Status changed to “%(status)s”.") % {"status": Status(changes["status"][1]).label}
    if event.kind == EventKind.MERGED and "duplicate_of" in changes:
        return _("Merged as a duplicate of %(number)s.") % {"number": changes["duplicate_of"][1]}
    if event.kind == EventKind.COMMENT:
        return _("The reporter added a comment.")
    return str(EventKind(event.kind).label)


# mySociety's extended statuses for servicerequestupdates.
UPDATE_STATUS = {
    Status.NEW: "OPEN",
    Status.OPEN: "OPEN",
    Status.REOPENED: "OPEN",
    Status.WAITING_ON_RESIDENT: "OPEN",
    Status.IN_PROGRESS: "IN_PROGRESS",
    Status.RESOLVED: "FIXED",
    Status.CLOSED: "CLOSED",
    Status.DUPLICATE: "DUPLICATE",
    Status.REJECTED: "NO_FURTHER_ACTION",
    Status.NOT_OUR_RESPONSIBILITY: "NOT_COUNCILS_RESPONSIBILITY",
}


def update(event, number):
    status = (event.changes or {}).get("status", [None, Status.OPEN])[1]
    return {
        "update_id": str(event.pk),
        "service_request_id": number,
        "status": UPDATE_STATUS.get(status, "OPEN"),
        "updated_datetime": w3c(event.created_at),
        "description": disclosure.message(event, Audience.OPEN311) or event_summary(event),
        "media_url": None,
    }


def posted(case, submission):
    """The POST reply: the spec's fields plus those the official schema requires of a request."""
    return {
        "service_request_id": case.number,
        "token": submission.token,
        "service_notice": service_notice(case),
        "account_id": submission.account_id or None,
        "status": open_closed(case.status),
        "service_code": case.service.code,
        "requested_datetime": w3c(case.created_at),
    }
