"""Every change to a case happens here.

Each action runs in one transaction, locks the case row, checks who may act, writes the change and
its CaseEvent (the timeline and the audit trail), queues notifications in the outbox and schedules
follow-up work with `transaction.on_commit`. Views, the staff workspace, APIs, e-mail intake and the
importer all call these functions; nothing else writes a case.

Errors: `django.core.exceptions.ValidationError` with a field -> message dict (shown next to form
fields, turned into API errors), `PermissionDenied` when the actor may not act, `StaleCase` when the
caller's copy of the case is out of date.
"""

import math

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from civicdesk.lib.geo import cell_for, valid_coordinates
from civicdesk.notify.outbox import queue_case_email

from . import permissions
from .attachments import prepare_image, store_image
from .attributes import MAX_TEXT, clean_answers
from .models import Case, CaseEvent, CaseNumber, Channel, Department, EventKind, Priority, Service
from .workflow import FINISHED, Status, TransitionError, check_transition

MAX_DESCRIPTION = MAX_TEXT
MAX_MESSAGE = 10_000


class StaleCase(Exception):
    """The case changed since the caller read it (optimistic concurrency)."""

    def __init__(self, case):
        super().__init__(
            _("Case %(number)s was changed by someone else. Reload it and try again.")
            % {"number": case.number}
        )
        self.case = case


# ---------------------------------------------------------------- helpers


def next_numbers(count=1, when=None):
    """Reserve `count` case numbers for the year of `when`, under a row lock."""
    year = (when or timezone.now()).year
    with transaction.atomic():
        CaseNumber.objects.get_or_create(year=year)
        CaseNumber.objects.filter(year=year).update(last=F("last") + count)
        last = CaseNumber.objects.select_for_update().get(year=year).last
    return [f"{year % 100:02d}-{n:06d}" for n in range(last - count + 1, last + 1)]


def _actor_label(actor):
    return str(actor) if actor is not None else "system"


def _event(case, actor, kind, *, changes=None, public=False, message="", at=None):
    return CaseEvent.objects.create(
        case=case,
        actor=actor,
        actor_label=_actor_label(actor),
        kind=kind,
        changes=changes or {},
        public=public,
        message=message,
        created_at=at or timezone.now(),
    )


def _locked(case, expected_version=None):
    """Re-read `case` under a row lock; refuse if the caller's version is stale."""
    fresh = Case.objects.select_for_update().get(pk=case.pk)
    if expected_version is not None and int(expected_version) != fresh.version:
        raise StaleCase(fresh)
    return fresh


def _save(case, fields, at=None):
    case.updated_at = at or timezone.now()
    case.version += 1
    case.save(update_fields=[*fields, "updated_at", "version"])


def _text(value, field, limit, required=True):
    text = (value or "").strip()
    if required and not text:
        raise ValidationError({field: _("This field cannot be empty.")})
    if len(text) > limit:
        raise ValidationError(
            {
                field: _("Use at most %(limit)d characters (you used %(count)d).")
                % {"limit": limit, "count": len(text)}
            }
        )
    return text


def _clean_location(latitude, longitude):
    if latitude in (None, "") and longitude in (None, ""):
        return None, None
    errors = {}
    values = {}
    for field, raw in (("latitude", latitude), ("longitude", longitude)):
        try:
            values[field] = float(raw)
            if not math.isfinite(values[field]):
                raise ValueError
        except (TypeError, ValueError):
            errors[field] = _("Enter a number.")
    if errors:
        raise ValidationError(errors)
    if not valid_coordinates(values["latitude"], values["longitude"]):
        raise ValidationError(
            {
                "latitude": _(
                    "This point is not on Earth: latitude must be between -90 and 90 "
                    "and longitude between -180 and 180."
                )
            }
        )
    return values["latitude"], values["longitude"]


# ---------------------------------------------------------------- intake


def submit_case(
    *,
    service,
    description="",
    answers=None,
    latitude=None,
    longitude=None,
    address="",
    channel=Channel.WEB,
    reporter=None,
    reporter_name="",
    reporter_email="",
    reporter_phone="",
    language="en",
    actor=None,
    photos=(),
    priority=None,
    created_at=None,
):
    """Create a case from any channel. Validates everything before writing anything."""
    if isinstance(service, str):
        service = Service.objects.filter(code=service, active=True).first()
        if service is None:
            raise ValidationError({"service": _("Choose a service from the list.")})
    if actor is not None and channel in (Channel.PHONE, Channel.WALK_IN):
        permissions.require(actor, "create_for_caller")
    errors = {}
    try:
        description = _text(description, "description", MAX_DESCRIPTION, required=False)
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        latitude, longitude = _clean_location(latitude, longitude)
    except ValidationError as error:
        errors.update(error.message_dict)
    clean, answer_errors = clean_answers(list(service.attributes.all()), answers or {})
    errors.update({f"attribute[{code}]": msg for code, msg in answer_errors.items()})
    if channel not in Channel.values:
        errors["channel"] = _("Unknown channel.")
    try:
        photos = _prepare(photos)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    if reporter is not None:
        reporter_email = reporter_email or reporter.email
        reporter_name = reporter_name or reporter.full_name
        reporter_phone = reporter_phone or reporter.phone
    now = created_at or timezone.now()
    with transaction.atomic():
        case = Case.objects.create(
            number=next_numbers(1, now)[0],
            service=service,
            description=description,
            attributes=clean,
            latitude=latitude,
            longitude=longitude,
            geo_cell=cell_for(latitude, longitude),
            address=_text(address, "address", 300, required=False),
            channel=channel,
            reporter=reporter,
            reporter_name=reporter_name.strip()[:150],
            reporter_email=(reporter_email or "").strip().lower(),
            reporter_phone=(reporter_phone or "").strip()[:32],
            language=(language or "en")[:8],
            priority=priority or service.default_priority,
            department=service.default_department,
            created_at=now,
            updated_at=now,
        )
        _event(
            case,
            actor,
            EventKind.SUBMITTED,
            public=True,
            at=now,
            changes={
                "status": [None, case.status],
                "department": [None, case.department.code],
                "priority": [None, case.priority],
            },
        )
        for photo in photos:
            _attach(case, actor or reporter, photo, public=True)
        queue_case_email(case, "acknowledgement")
    return case


# ---------------------------------------------------------------- staff actions


def acknowledge(case, actor, *, expected_version=None):
    with transaction.atomic():
        case = _locked(case, expected_version)
        permissions.require(actor, "acknowledge", case)
        if case.status != Status.NEW:
            return case
        case.status, case.acknowledged_at = Status.OPEN, timezone.now()
        _save(case, ["status", "acknowledged_at"])
        _event(
            case, actor, EventKind.ACKNOWLEDGED, public=True, changes={"status": [Status.NEW, Status.OPEN]}
        )
    return case


def assign(case, actor, *, department=None, assignee=None, expected_version=None):
    """Give a case to a department and/or a person in it. `assignee=None` with no department clears it."""
    with transaction.atomic():
        case = _locked(case, expected_version)
        permissions.require(actor, "assign" if department is None else "transfer", case)
        department = department or case.department
        if isinstance(department, str):
            department = Department.objects.filter(code=department).first()
            if department is None:
                raise ValidationError({"department": _("Choose a department from the list.")})
        if department != case.department:
            permissions.require(actor, "transfer", case)
        if assignee is not None and not assignee.departments.filter(pk=department.pk).exists():
            raise ValidationError(
                {
                    "assignee": _("%(person)s does not work in %(department)s.")
                    % {"person": assignee, "department": department}
                }
            )
        taking_from_other = case.assignee_id not in (
            None,
            getattr(actor, "pk", None),
            getattr(assignee, "pk", None),
        )
        if taking_from_other:
            permissions.require(actor, "reassign", case)
        changes = {}
        if department != case.department:
            changes["department"] = [case.department.code if case.department else None, department.code]
            case.department = department
        if assignee != case.assignee:
            changes["assignee"] = [
                str(case.assignee) if case.assignee else None,
                str(assignee) if assignee else None,
            ]
            case.assignee = assignee
        if not changes:
            return case
        fields = ["department", "assignee"]
        if case.status == Status.NEW:
            case.status, case.acknowledged_at = Status.OPEN, timezone.now()
            changes["status"] = [Status.NEW, Status.OPEN]
            fields += ["status", "acknowledged_at"]
        _save(case, fields)
        _event(case, actor, EventKind.ASSIGNED, changes=changes)
    return case


def change_status(case, actor, status, *, reason="", message="", expected_version=None):
    """Move a case through the status machine; resolving tells the reporter."""
    if status == Status.DUPLICATE:
        raise ValidationError({"status": _("Use “merge as duplicate” to mark a duplicate.")})
    message = _text(message, "message", MAX_MESSAGE, required=False)
    with transaction.atomic():
        case = _locked(case, expected_version)
        permissions.require(actor, "reopen" if status == Status.REOPENED else "change_status", case)
        try:
            check_transition(case.status, status, reason or message)
        except TransitionError as error:
            raise ValidationError({"status": str(error)}) from None
        _apply_status(case, actor, status, reason=(reason or message).strip())
        if message:
            _event(case, actor, EventKind.REPLY, public=True, message=message)
        if status == Status.RESOLVED:
            queue_case_email(case, "resolved", message=message)
        elif message:
            queue_case_email(case, "reply", message=message)
    return case


def _apply_status(case, actor, status, reason=""):
    now = timezone.now()
    changes = {"status": [case.status, status]}
    case.status = status
    case.status_reason = reason if status in FINISHED or status == Status.REOPENED else ""
    if status == Status.RESOLVED:
        case.resolved_at = now
    elif status == Status.CLOSED:
        case.closed_at = now
        case.resolved_at = case.resolved_at or now
    elif status in FINISHED:
        case.closed_at = now
    elif status == Status.REOPENED:
        case.resolved_at = case.closed_at = None
    if case.acknowledged_at is None and status != Status.NEW:
        case.acknowledged_at = now
    _save(case, ["status", "status_reason", "resolved_at", "closed_at", "acknowledged_at"], at=now)
    kind = EventKind.REOPENED if status == Status.REOPENED else EventKind.STATUS
    _event(case, actor, kind, public=True, changes=changes, message=case.status_reason, at=now)


def reopen(case, actor, *, reason, expected_version=None):
    return change_status(
        case,
        actor,
        Status.REOPENED,
        reason=_text(reason, "reason", MAX_MESSAGE),
        expected_version=expected_version,
    )


def change_priority(case, actor, priority, *, expected_version=None):
    if int(priority) not in Priority.values:
        raise ValidationError({"priority": _("Choose a priority from the list.")})
    with transaction.atomic():
        case = _locked(case, expected_version)
        permissions.require(actor, "change_priority", case)
        if case.priority == int(priority):
            return case
        changes = {"priority": [case.priority, int(priority)]}
        case.priority = int(priority)
        _save(case, ["priority"])
        _event(case, actor, EventKind.PRIORITY, changes=changes)
    return case


def recategorise(case, actor, service, *, expected_version=None):
    """Change a case's service. Its answers stay in the timeline; the new service's questions start empty."""
    with transaction.atomic():
        case = _locked(case, expected_version)
        permissions.require(actor, "recategorise", case)
        if service == case.service:
            return case
        changes = {"service": [case.service.code, service.code]}
        if case.attributes:
            changes["attributes"] = [case.attributes, {}]
        case.service, case.attributes = service, {}
        _save(case, ["service", "attributes"])
        _event(case, actor, EventKind.RECATEGORISED, public=True, changes=changes)
    return case


def reply(case, actor, message, *, expected_version=None):
    """A public message: on the timeline the resident sees, and e-mailed to them."""
    message = _text(message, "message", MAX_MESSAGE)
    with transaction.atomic():
        case = _locked(case, expected_version)
        permissions.require(actor, "reply", case)
        fields = ["updated_at"]
        if case.acknowledged_at is None:
            case.acknowledged_at = timezone.now()
            fields.append("acknowledged_at")
        _save(case, fields)
        _event(case, actor, EventKind.REPLY, public=True, message=message)
        queue_case_email(case, "reply", message=message)
    return case


def add_note(case, actor, message, *, expected_version=None):
    """An internal note: staff only, never shown or sent to the resident."""
    message = _text(message, "message", MAX_MESSAGE)
    with transaction.atomic():
        case = _locked(case, expected_version)
        permissions.require(actor, "note", case)
        _save(case, [])
        _event(case, actor, EventKind.NOTE, public=False, message=message)
    return case


def resident_comment(case, message="", *, photos=(), reporter=None):
    """The reporter (holder of the tracking link) adds a comment or photos.

    A case waiting on the resident goes back to the department: the resident has answered.
    """
    message = _text(message, "message", MAX_DESCRIPTION, required=not photos)
    photos = _prepare(photos)
    with transaction.atomic():
        case = _locked(case)
        if message:
            _event(
                case,
                reporter,
                EventKind.REPLY,
                public=True,
                message=message,
                changes={"from": [None, "reporter"]},
            )
        for photo in photos:
            _attach(case, reporter, photo, public=True)
        if case.status == Status.WAITING_ON_RESIDENT:
            _apply_status(case, None, Status.OPEN)
        else:
            _save(case, [])
    return case


def attach_file(case, actor, upload, *, public=True, expected_version=None):
    upload = prepare_image(upload)
    with transaction.atomic():
        case = _locked(case, expected_version)
        permissions.require(actor, "attach", case)
        attachment = _attach(case, actor, upload, public=public)
        _save(case, [])
    return attachment


def _prepare(photos):
    """Check every photo before anything is written; all problems at once."""
    prepared, problems = [], []
    for photo in photos:
        try:
            prepared.append(prepare_image(photo))
        except ValidationError as error:
            problems += error.message_dict["photos"]
    if problems:
        raise ValidationError({"photos": problems})
    return prepared


def _attach(case, actor, upload, public):
    attachment = store_image(case, upload, uploaded_by=actor, public=public)
    _event(case, actor, EventKind.ATTACHMENT, public=public, changes={"attachment": [None, attachment.pk]})
    return attachment


def merge(case, actor, target, *, expected_version=None):
    """Close `case` as a duplicate of `target`; the target's timeline notes it."""
    if target.pk == case.pk:
        raise ValidationError({"target": _("A case cannot duplicate itself.")})
    with transaction.atomic():
        # Lock both rows in a fixed order so two opposite merges cannot deadlock.
        first, second = sorted([case, target], key=lambda c: c.pk)
        locked = {c.pk: c for c in (_locked(first), _locked(second))}
        case, target = locked[case.pk], locked[target.pk]
        if expected_version is not None and int(expected_version) != case.version:
            raise StaleCase(case)
        permissions.require(actor, "merge", case)
        permissions.require(actor, "view", target)
        if target.duplicate_of_id is not None:
            target = target.duplicate_of
        if target.pk == case.pk:
            raise ValidationError({"target": _("That case is already a duplicate of this one.")})
        try:
            check_transition(case.status, Status.DUPLICATE)
        except TransitionError as error:
            raise ValidationError({"status": str(error)}) from None
        case.duplicate_of = target
        _save(case, ["duplicate_of"])
        _apply_status(
            case, actor, Status.DUPLICATE, reason=_("Duplicate of %(number)s") % {"number": target.number}
        )
        _event(case, actor, EventKind.MERGED, public=True, changes={"duplicate_of": [None, target.number]})
        _save(target, [])
        _event(target, actor, EventKind.DUPLICATE_ADDED, changes={"duplicates": [None, case.number]})
    return case


def record_contact_view(case, actor):
    """Seeing a reporter's contact details is itself audited."""
    permissions.require(actor, "view_contact", case)
    _event(case, actor, EventKind.CONTACT_VIEWED)
