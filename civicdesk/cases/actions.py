"""Every change to a case happens here.

Each action runs in one transaction, locks the case row, checks who may act, writes the change and
its CaseEvent (the timeline and the audit trail), queues notifications in the outbox and schedules
follow-up work with `transaction.on_commit`. Views, the staff workspace, APIs, e-mail intake and the
importer all call these functions; nothing else writes a case.

Errors: `django.core.exceptions.ValidationError` with a field -> message dict (shown next to form
fields, turned into API errors), `PermissionDenied` when the actor may not act, `StaleCase` when the
caller's copy of the case is out of date.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from civicdesk.accounts.models import STAFF_ROLES
from civicdesk.areas import locate as area_locate
from civicdesk.lib.geo import cell_for
from civicdesk.notify.outbox import queue_case_email, queue_follower_email, queue_staff_email
from civicdesk.routing.rules import decide
from civicdesk.sla import clock as sla_clock
from civicdesk.sla.models import EscalationFiring

from . import catalogue, cleaning, numbers, permissions
from .attachments import prepare_image, removed_on_error, store_image
from .attributes import MAX_TEXT, clean_answers
from .models import (
    Case,
    CaseEvent,
    CaseFollower,
    Channel,
    Department,
    EventKind,
    Priority,
    Service,
)
from .workflow import ACTIVE, FINISHED, ReasonRequired, Status, TransitionError, check_transition

MAX_DESCRIPTION = MAX_TEXT
MAX_MESSAGE = 10_000
MAX_ADDRESS = Case._meta.get_field("address").max_length
MAX_EXTERNAL_SYSTEM, MAX_EXTERNAL_ID = 32, 64


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
    """`count` new case numbers for the year of `when` (no lock held through the caller's
    transaction on PostgreSQL: see cases.numbers). Gaps are possible, repeats are not."""
    return numbers.next_numbers(count, (when or timezone.now()).year)


# A number some case already holds (imported with its own number, a counter set back by hand) is
# skipped: the submission is tried again with the next one, never a 500.
NUMBER_ATTEMPTS = 5


def _number_taken(number, year):
    if not Case.objects.filter(number=number).exists():
        return False
    numbers.skip_past(number, year)
    return True


RESIDENT_LABEL = "resident"


def _actor_label(actor):
    """Who acted, as the timeline shows it to staff. Never a resident's name or e-mail: that is
    contact data, which only roles allowed to see it may (audited), and an anonymous report must
    stay anonymous when its reporter comments while signed in."""
    if actor is None:
        return "system"
    return str(actor) if actor.role in STAFF_ROLES else RESIDENT_LABEL


# Integrations that turn events into outbox rows in the same transaction (webhooks registers its
# fan-out when its app is ready): the domain never imports the integrations built on it.
EVENT_FOLLOWERS = []


def follow_events(on_event):
    """Call `on_event(case, event)` for every timeline event, inside the action's transaction."""
    if on_event not in EVENT_FOLLOWERS:
        EVENT_FOLLOWERS.append(on_event)


def _event(case, actor, kind, *, changes=None, public=False, message="", at=None):
    """Write one timeline event; the case's service-level clock and the integrations that follow
    events (webhooks) follow it in the same transaction."""
    return _record(case, [_new_event(case, actor, kind, changes, public, message, at)])[0]


def _new_event(case, actor, kind, changes=None, public=False, message="", at=None):
    return CaseEvent(
        case=case,
        actor=actor,
        actor_label=_actor_label(actor),
        kind=kind,
        changes=changes or {},
        public=public,
        message=message,
        created_at=at or timezone.now(),
    )


def _record(case, events):
    """Write events of `case` in one INSERT, then let the clock and the integrations follow each."""
    events = CaseEvent.objects.bulk_create(events)
    for event in events:
        sla_clock.on_event(case, event)
        for on_event in EVENT_FOLLOWERS:
            on_event(case, event)
    return events


def _locked(case, expected_version=None, actor=None, action=None):
    """Re-read `case` under a row lock; refuse if the caller's version is stale.

    With `action`, the permission is checked before the version, so someone who may not act on
    the case learns nothing about it from a StaleCase.
    """
    fresh = Case.objects.select_for_update().get(pk=case.pk)
    if action is not None:
        permissions.require(actor, action, fresh)
    if expected_version is not None and int(expected_version) != fresh.version:
        raise StaleCase(fresh)
    return fresh


def _save(case, fields, at=None):
    case.updated_at = at or timezone.now()
    case.version += 1
    case.save(update_fields=[*fields, "updated_at", "version"])


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
    on_created=None,
):
    """Create a case from any channel. Validates everything before writing anything.

    `on_created(case)` lets a channel record what it alone knows (Open311's submission row) in
    the case's own transaction, once the case and its routing exist: if it raises, nothing is kept.
    """
    service = _current_service(service)
    if actor is not None and channel in (Channel.PHONE, Channel.WALK_IN):
        permissions.require(actor, "create_for_caller")
    if reporter is not None:
        reporter_email = reporter_email or reporter.email
        reporter_name = reporter_name or reporter.full_name
        reporter_phone = reporter_phone or reporter.phone
    fields, photos = _clean_submission(
        service, description, answers, latitude, longitude, address, channel, reporter_email, priority, photos
    )
    fields.update(
        reporter=reporter,
        reporter_name=reporter_name.strip()[:150],
        reporter_phone=(reporter_phone or "").strip()[:32],
        language=(language or "en")[:8],
    )
    return _create_case(fields, actor, photos, created_at or timezone.now(), on_created)


def _current_service(service):
    """The service from memory (its questions and default department loaded: no query), given by
    code or as an instance; an instance of a service no longer active is used as given."""
    code = service if isinstance(service, str) else service.code
    cached = catalogue.service(code)
    if cached is not None and (isinstance(service, str) or cached.pk == service.pk):
        return cached
    if isinstance(service, str):
        raise ValidationError({"service": _("Choose a service from the list.")})
    return service


def _clean_submission(
    service, description, answers, latitude, longitude, address, channel, email, priority, photos
):
    """Every check of a new case at once: (fields, prepared photos), or one ValidationError listing all."""
    errors = {}
    description = cleaning.collect(
        errors, cleaning.text, description, "description", MAX_DESCRIPTION, required=False
    )
    address = cleaning.collect(errors, cleaning.text, address, "address", MAX_ADDRESS, required=False)
    latitude, longitude = cleaning.collect(errors, cleaning.location, latitude, longitude) or (None, None)
    email = cleaning.collect(errors, cleaning.email, email, "reporter_email")
    priority = cleaning.collect(errors, cleaning.priority, priority, service.default_priority)
    photos = cleaning.collect(errors, _prepare, photos)
    clean, answer_errors = clean_answers(list(service.attributes.all()), answers or {})
    errors.update({f"attribute[{code}]": msg for code, msg in answer_errors.items()})
    if channel not in Channel.values:
        errors["channel"] = _("Unknown channel.")
    if latitude is not None and area_locate.inside_city(latitude, longitude) is False:
        errors["latitude"] = _(
            "This place is outside %(city)s. Move the pin inside the city, or contact the "
            "authority responsible for that place."
        ) % {"city": settings.CITY_NAME}
    if errors:
        raise ValidationError(errors)
    fields = {
        "service": service,
        "description": description,
        "attributes": clean,
        "latitude": latitude,
        "longitude": longitude,
        "geo_cell": cell_for(latitude, longitude),
        "address": address,
        "channel": channel,
        "reporter_email": email,
        "priority": priority,
        "department": service.default_department,
        "areas": area_locate.areas_for(latitude, longitude),
    }
    return fields, photos


def _create_case(fields, actor, photos, now, on_created=None):
    decision = _route_new(fields, now)
    for attempt in range(1, NUMBER_ATTEMPTS + 1):
        tried = []
        try:
            return _insert_case(tried, fields, actor, photos, now, decision, on_created)
        except IntegrityError:
            # The atomic block (a transaction, or a savepoint inside the caller's) was rolled back.
            if attempt == NUMBER_ATTEMPTS or not tried or not _number_taken(tried[0], now.year):
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _insert_case(tried, fields, actor, photos, now, decision, on_created):
    # Photo files are not transactional: remove them if anything below fails.
    with removed_on_error(), transaction.atomic():
        # Inside the transaction: SQLite's counter goes back with a failure (PostgreSQL's sequence
        # never does, and never waits).
        tried.append(next_numbers(1, now)[0])
        case = Case.objects.create(number=tried[0], created_at=now, updated_at=now, **fields)
        submitted = {
            "status": [None, case.status],
            "department": [None, case.department.code if case.department else None],
            "priority": [None, case.priority],
        }
        _record(
            case,
            [
                _new_event(case, actor, EventKind.SUBMITTED, submitted, public=True, at=now),
                _new_routed_event(case, decision, at=now),
            ],
        )
        for code in decision.split_to:
            _open_subcase(case, code, at=now)
        if on_created is not None:
            on_created(case)
        for photo in photos:
            _attach(case, actor or case.reporter, photo, public=True)
        queue_case_email(case, "acknowledgement")
    return case


# ---------------------------------------------------------------- routing


def _route_new(fields, now):
    """Apply the routing rules to a case about to be created; no rule keeps the service's default."""
    decision = decide(Case(**fields, created_at=now))
    fields["department"] = _decided_department(decision, fields["department"])
    if decision.priority:
        fields["priority"] = decision.priority
    if decision.assignee and fields["department"] is not None:
        fields["assignee"] = fields["department"].members.filter(pk=decision.assignee, is_active=True).first()
    fields["tags"] = list(decision.tags)
    fields["expected_at"] = sla_clock.expected_at(fields["service"].pk, fields["priority"], now)
    return decision


def _decided_department(decision, fallback):
    """The rule's department if it still exists and is active, else `fallback`."""
    if not decision.department:
        return fallback
    return catalogue.department(decision.department) or fallback


def _routed_event(case, decision, at=None):
    return _record(case, [_new_routed_event(case, decision, at)])[0]


def _new_routed_event(case, decision, at=None):
    """Say in the timeline who decided where the case went (a rule, the service default, or triage)."""
    department = case.department.name if case.department else _("triage")
    if decision.matched:
        names = ", ".join(f"“{name}”" for _id, name in decision.rules)
        message = ngettext(
            "Routed to %(department)s by rule %(rules)s.",
            "Routed to %(department)s by rules %(rules)s.",
            len(decision.rules),
        ) % {
            "department": department,
            "rules": names,
        }
    elif case.department:
        message = _("Routed to %(department)s, the service's default department.") % {
            "department": department
        }
    else:
        message = _("No rule matched and the service has no default department: sent to triage.")
    changes = {
        "department": [None, case.department.code if case.department else None],
        "rules": [None, [list(r) for r in decision.rules]],
    }
    if decision.tags:
        changes["tags"] = [None, list(decision.tags)]
    return _new_event(case, None, EventKind.ROUTED, changes, message=message, at=at)


def _open_subcase(parent, department_code, at=None):
    """A sub-case for another department: it works its own part; the parent waits for all of them."""
    department = Department.objects.filter(code=department_code, active=True).first()
    if department is None or department == parent.department:
        return None
    copied = (
        "service",
        "description",
        "attributes",
        "latitude",
        "longitude",
        "geo_cell",
        "address",
        "channel",
        "language",
        "priority",
        "areas",
    )
    child = Case.objects.create(
        number=next_numbers(1, at)[0],
        parent=parent,
        department=department,
        created_at=at or timezone.now(),
        **{f: getattr(parent, f) for f in copied},
    )
    _event(
        child,
        None,
        EventKind.SUBMITTED,
        at=at,
        changes={"parent": [None, parent.number], "department": [None, department.code]},
    )
    _event(
        parent,
        None,
        EventKind.SPLIT,
        at=at,
        changes={"children": [None, child.number], "department": [None, department.code]},
        message=_("Sub-case %(number)s opened for %(department)s.")
        % {"number": child.number, "department": department.name},
    )
    return child


def _reroute(case, actor):
    """After a change of service: route again; a new department takes the case from the old one."""
    decision = decide(case)
    department = _decided_department(decision, case.department)
    if not decision.matched and case.service.default_department:
        department = case.service.default_department
    if department == case.department:
        return
    changes = {"department": [case.department.code if case.department else None, department.code]}
    if case.assignee:
        changes["assignee"] = [str(case.assignee), None]
    case.department, case.assignee = department, None
    _save(case, ["department", "assignee"])
    _routed_event(case, decision)


# ---------------------------------------------------------------- staff actions


def acknowledge(case, actor, *, expected_version=None):
    with transaction.atomic():
        case = _locked(case, expected_version, actor, "acknowledge")
        if case.status != Status.NEW:
            return case
        case.status, case.acknowledged_at = Status.OPEN, timezone.now()
        _save(case, ["status", "acknowledged_at"])
        _event(
            case, actor, EventKind.ACKNOWLEDGED, public=True, changes={"status": [Status.NEW, Status.OPEN]}
        )
    return case


# `assign`'s default for a part the caller did not mention; `assignee=None` clears the person.
UNCHANGED = object()


def assign(case, actor, *, department=UNCHANGED, assignee=UNCHANGED, expected_version=None):
    """Give a case to a department and/or a person in it.

    Naming the case's own department is no transfer and keeps the person. A transfer clears the
    person unless a person of the new department is named with it. `assignee=None` clears the person.
    """
    if department is not UNCHANGED:
        department = _department(department)
    with transaction.atomic():
        case = _locked(case, expected_version, actor, "view")
        department, assignee = _assignment(case, department, assignee)
        _check_assign(case, actor, department, assignee)
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


def _assignment(case, department, assignee):
    """The (department, person) the case ends with, from what the caller gave and left out."""
    if department is UNCHANGED:
        department = case.department
    if assignee is UNCHANGED:
        # The person works for the old department: a transfer leaves the new one to choose.
        assignee = case.assignee if department == case.department else None
    return department, assignee


def _department(value):
    if isinstance(value, Department):
        return value
    department = Department.objects.filter(code=value, active=True).first() if value else None
    if department is None:
        raise ValidationError({"department": _("Choose a department from the list.")})
    return department


def _check_assign(case, actor, department, assignee):
    """Each part of an assignment that changes needs its own permission, whatever else the call does.

    Sending the case to another department is a transfer; choosing (or clearing) the person is an
    assignment; taking the case from someone else's queue is a reassignment.
    """
    transfer = department != case.department
    person_changes = assignee != case.assignee
    if transfer:
        permissions.require(actor, "transfer", case)
    if person_changes:
        permissions.require(actor, "assign", case)
        if case.assignee_id not in (None, getattr(actor, "pk", None), getattr(assignee, "pk", None)):
            permissions.require(actor, "reassign", case)
    if assignee is None or not (transfer or person_changes):
        return
    if department is None:
        raise ValidationError({"department": _("Choose a department from the list.")})
    if not (assignee.is_city_staff and assignee.departments.filter(pk=department.pk).exists()):
        raise ValidationError(
            {
                "assignee": _("%(person)s does not work in %(department)s.")
                % {"person": assignee, "department": department}
            }
        )


def change_status(case, actor, status, *, reason="", message="", expected_version=None):
    """Move a case through the status machine; resolving tells the reporter."""
    if status == Status.DUPLICATE:
        raise ValidationError({"status": _("Use “merge as duplicate” to mark a duplicate.")})
    message = cleaning.text(message, "message", MAX_MESSAGE, required=False)
    # The reason is public (Open311 status_notes); a message to the resident is not a reason.
    reason = cleaning.text(reason, "reason", MAX_MESSAGE, required=False)
    action = "reopen" if status == Status.REOPENED else "change_status"
    with transaction.atomic():
        case = _locked(case, expected_version, actor, action)
        _check_transition(case.status, status, reason)
        _check_children_done(case, status)
        _apply_status(case, actor, status, reason=reason)
        if case.parent_id and status in FINISHED:
            _resolve_parent_when_children_done(case.parent_id)
        if message:
            _event(case, actor, EventKind.REPLY, public=True, message=message)
        if status == Status.RESOLVED:
            queue_case_email(case, "resolved", message=message)
        elif message:
            queue_case_email(case, "reply", message=message)
    return case


def _check_children_done(case, status):
    """A parent finishes after its sub-cases: none may be left working for a case that is gone."""
    if status not in FINISHED:
        return
    open_children = list(case.children.filter(status__in=ACTIVE).values_list("number", flat=True))
    if open_children:
        raise ValidationError(
            {
                "status": _(
                    "Sub-cases are still open: %(numbers)s. The case resolves when they are all done."
                )
                % {"numbers": ", ".join(open_children)}
            }
        )


def _resolve_parent_when_children_done(parent_id):
    parent = Case.objects.select_for_update().get(pk=parent_id)
    if parent.status not in ACTIVE or parent.children.filter(status__in=ACTIVE).exists():
        return
    message = _("Every department has finished its part.")
    _apply_status(parent, None, Status.RESOLVED, reason=message)
    queue_case_email(parent, "resolved", message=message)


def _check_transition(current, target, reason=""):
    try:
        check_transition(current, target, reason)
    except ReasonRequired as error:
        raise ValidationError({"reason": str(error)}) from None
    except TransitionError as error:
        raise ValidationError({"status": str(error)}) from None


def _apply_status(case, actor, status, reason=""):
    """Set the status, its reason and its times; one save (one version) and one event."""
    now = timezone.now()
    changes = {"status": [case.status, status]}
    case.status = status
    case.status_reason = reason if status in FINISHED or status == Status.REOPENED else ""
    _set_status_times(case, status, now)
    if status == Status.REOPENED and case.duplicate_of_id is not None:
        # A reopened case is work again, no longer someone else's duplicate.
        changes["duplicate_of"] = [case.duplicate_of.number, None]
        case.duplicate_of = None
    fields = ["status", "status_reason", "resolved_at", "closed_at", "acknowledged_at", "duplicate_of"]
    _save(case, fields, at=now)
    kind = EventKind.REOPENED if status == Status.REOPENED else EventKind.STATUS
    _event(case, actor, kind, public=True, changes=changes, message=case.status_reason, at=now)


def _set_status_times(case, status, now):
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


def reopen(case, actor, *, reason, expected_version=None):
    return change_status(
        case,
        actor,
        Status.REOPENED,
        reason=cleaning.text(reason, "reason", MAX_MESSAGE),
        expected_version=expected_version,
    )


def change_priority(case, actor, priority, *, expected_version=None):
    priority = cleaning.priority(priority)
    with transaction.atomic():
        case = _locked(case, expected_version, actor, "change_priority")
        if case.priority == priority:
            return case
        changes = {"priority": [case.priority, priority]}
        case.priority = priority
        _save(case, ["priority"])
        _event(case, actor, EventKind.PRIORITY, changes=changes)
    return case


def recategorise(case, actor, service, *, expected_version=None):
    """Change a case's service. Its answers stay in the timeline; the new service's questions start empty."""
    if isinstance(service, str) or not service.active:
        service = Service.objects.filter(code=getattr(service, "code", service), active=True).first()
        if service is None:
            raise ValidationError({"service": _("Choose a service from the list.")})
    with transaction.atomic():
        case = _locked(case, expected_version, actor, "recategorise")
        if service == case.service:
            return case
        changes = {"service": [case.service.code, service.code]}
        if case.attributes:
            changes["attributes"] = [case.attributes, {}]
        case.service, case.attributes = service, {}
        _save(case, ["service", "attributes"])
        _event(case, actor, EventKind.RECATEGORISED, public=True, changes=changes)
        _reroute(case, actor)
    return case


def reply(case, actor, message, *, expected_version=None):
    """A public message: on the timeline the resident sees, and e-mailed to them."""
    message = cleaning.text(message, "message", MAX_MESSAGE)
    with transaction.atomic():
        case = _locked(case, expected_version, actor, "reply")
        fields = []
        if case.acknowledged_at is None:
            case.acknowledged_at = timezone.now()
            fields.append("acknowledged_at")
        _save(case, fields)
        _event(case, actor, EventKind.REPLY, public=True, message=message)
        queue_case_email(case, "reply", message=message)
    return case


def add_note(case, actor, message, *, expected_version=None):
    """An internal note: staff only, never shown or sent to the resident."""
    message = cleaning.text(message, "message", MAX_MESSAGE)
    with transaction.atomic():
        case = _locked(case, expected_version, actor, "note")
        _save(case, [])
        _event(case, actor, EventKind.NOTE, public=False, message=message)
    return case


def link_external(case, actor, system, external_id, *, expected_version=None):
    """Record the case's id in another system (a work order, say), so that system can find it by that id."""
    system = cleaning.text(system, "system", MAX_EXTERNAL_SYSTEM)
    external_id = cleaning.text(external_id, "external_id", MAX_EXTERNAL_ID)
    with transaction.atomic():
        case = _locked(case, expected_version, actor, "link_external")
        old = case.external_ids.get(system)
        if old != external_id:
            case.external_ids = {**case.external_ids, system: external_id}
            _save(case, ["external_ids"])
            _event(case, actor, EventKind.LINKED, changes={f"external_ids.{system}": [old, external_id]})
    return case


def resident_comment(case, message="", *, photos=(), reporter=None):
    """The reporter (holder of the tracking link) adds a comment or photos.

    A case waiting on the resident goes back to the department: the resident has answered.
    """
    message = cleaning.text(message, "message", MAX_DESCRIPTION, required=not photos)
    photos = _prepare(photos)
    with removed_on_error(), transaction.atomic():
        case = _locked(case)
        if message:
            _event(case, reporter, EventKind.COMMENT, public=True, message=message)
        for photo in photos:
            _attach(case, reporter, photo, public=True)
        if case.status == Status.WAITING_ON_RESIDENT:
            _apply_status(case, None, Status.OPEN)
        else:
            _save(case, [])
    return case


def attach_file(case, actor, upload, *, public=True, expected_version=None):
    # Checked before the (slow) image work and again under the lock, where it counts.
    permissions.require(actor, "attach", case)
    upload = prepare_image(upload)
    with removed_on_error(), transaction.atomic():
        case = _locked(case, expected_version, actor, "attach")
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
        case, target = _lock_pair(case, _original(target))
        permissions.require(actor, "merge", case)
        if expected_version is not None and int(expected_version) != case.version:
            raise StaleCase(case)
        permissions.require(actor, "view", target)
        if target.pk == case.pk:
            raise ValidationError({"target": _("That case is already a duplicate of this one.")})
        if target.duplicate_of_id is not None:
            # It became a duplicate between our read and our lock.
            raise ValidationError({"target": _("That case was just merged elsewhere. Try again.")})
        _check_transition(case.status, Status.DUPLICATE)
        _check_children_done(case, Status.DUPLICATE)
        number = target.number
        case.duplicate_of = target
        _apply_status(case, actor, Status.DUPLICATE, reason=number)
        _event(case, actor, EventKind.MERGED, public=True, changes={"duplicate_of": [None, number]})
        _save(target, [])
        _event(target, actor, EventKind.DUPLICATE_ADDED, changes={"duplicates": [None, case.number]})
        if case.parent_id:
            _resolve_parent_when_children_done(case.parent_id)
    return case


def _original(case):
    """Merging into a duplicate merges into its original, so duplicates never chain."""
    original_id = Case.objects.filter(pk=case.pk).values_list("duplicate_of_id", flat=True).first()
    return Case(pk=original_id) if original_id else case


def _lock_pair(case, other):
    # Lock both rows in a fixed order so two opposite merges cannot deadlock.
    first, second = sorted([case, other], key=lambda c: c.pk)
    locked = {c.pk: c for c in (_locked(first), _locked(second))}
    return locked[case.pk], locked[other.pk]


def record_contact_view(case, actor):
    """Seeing a reporter's contact details is itself audited."""
    permissions.require(actor, "view_contact", case)
    _event(case, actor, EventKind.CONTACT_VIEWED)


def follow(case, *, email="", user=None, language="en"):
    """A resident reports the same problem ("me too") or asks for updates on an open case.

    Counted once per person: following twice changes nothing. An address other than the signed-in
    person's own is sent a link to confirm it first, and hears nothing else until then.
    """
    email = cleaning.email(email or getattr(user, "email", ""), "email")
    with transaction.atomic():
        case = _locked(case)
        followers = case.followers.all()
        if (user and followers.filter(user=user).exists()) or (
            email and followers.filter(email=email).exists()
        ):
            return case
        own = user is not None and email == user.email.lower()
        follower = CaseFollower.objects.create(
            case=case, user=user, email=email, language=language, confirmed=own or not email
        )
        if not follower.confirmed:
            queue_follower_email(follower, "follow_confirm")
        _save(case, [])
        _event(
            case, user, EventKind.FOLLOWED, public=True, changes={"followers": [None, case.followers.count()]}
        )
    return case


def confirm_follower(follower):
    """The owner of a typed address opened its confirmation link: they now get the case's updates.

    The event is an internal line that names no address. The case row is locked (its version is
    left alone: nothing on the case changes) so a confirmation and the resolution e-mail, which
    reads the confirmed followers, happen one after the other.
    """
    with transaction.atomic():
        case = _locked(follower.case)
        follower = CaseFollower.objects.get(pk=follower.pk)
        if follower.confirmed or not follower.email:  # confirmed already, or stopped since
            return follower
        follower.confirmed = True
        follower.save(update_fields=["confirmed"])
        _event(case, follower.user, EventKind.FOLLOWER_CONFIRMED)
    return follower


def stop_following(follower):
    """A follower stops the e-mails. The row stays, without its address: still counted as a report."""
    with transaction.atomic():
        case = _locked(follower.case)
        follower = CaseFollower.objects.get(pk=follower.pk)
        if not follower.email:
            return follower
        follower.email, follower.confirmed = "", False
        follower.save(update_fields=["email", "confirmed"])
        _event(case, follower.user, EventKind.FOLLOWER_STOPPED)
    return follower


# ---------------------------------------------------------------- service levels


def escalate(case, step, *, now=None):
    """Fire one escalation step (from `sla_watch`). The firing row makes a second firing impossible."""
    now = now or timezone.now()
    with transaction.atomic():
        case = _locked(case)
        EscalationFiring.objects.create(clock=case.clock, step=step, fired_at=now)
        changes, fields = _escalation_changes(case, step)
        changes["step"] = [None, f"{step.clock}:{step.trigger}"]
        _save(case, fields, at=now)
        _event(
            case,
            None,
            EventKind.ESCALATED,
            changes=changes,
            at=now,
            message=f"{step.get_clock_display()}: {step.get_trigger_display()}",
        )
        if step.notify_supervisor:
            supervisors = list(case.department.supervisors) if case.department else []
            fallback = [case.department.email] if case.department and case.department.email else []
            queue_staff_email(case, "escalation", supervisors or fallback, step=step)
    return case


def _escalation_changes(case, step):
    changes, fields = {}, []
    if step.raise_priority and case.priority > Priority.URGENT:
        changes["priority"] = [case.priority, case.priority - 1]
        case.priority -= 1
        fields.append("priority")
    if step.reassign_department_id and step.reassign_department_id != case.department_id:
        changes["department"] = [
            case.department.code if case.department else None,
            step.reassign_department.code,
        ]
        case.department, case.assignee = step.reassign_department, None
        fields += ["department", "assignee"]
    if step.reassign_user_id and step.reassign_user_id != case.assignee_id:
        changes["assignee"] = [str(case.assignee) if case.assignee else None, str(step.reassign_user)]
        case.assignee = step.reassign_user
        fields.append("assignee")
    if step.add_tag and step.add_tag not in case.tags:
        changes["tags"] = [list(case.tags), [*case.tags, step.add_tag]]
        case.tags = [*case.tags, step.add_tag]
        fields.append("tags")
    return changes, fields
