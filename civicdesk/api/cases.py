"""/cases: list, create, read (with ETag), and every change through civicdesk.cases.actions.

Changes are `POST /cases/{number}/<action>` (assign, status, priority, reply, notes, merge), one
operation per action, rather than a PATCH of fields: each action has its own permission, event
and e-mail, and a PATCH would have to guess which action a changed field means. Each honours
`If-Match` (the ETag of `GET /cases/{number}`) and answers the case with its new ETag.
"""

import re
from typing import Annotated, Literal

from django.db.models import F
from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import parse_etags
from django.utils.translation import gettext as _
from ninja import Field, Header, Query, Router, Schema
from pydantic import WithJsonSchema

from civicdesk.accounts.models import User
from civicdesk.cases import actions, disclosure, permissions
from civicdesk.cases.models import Channel
from civicdesk.cases.paging import decode_cursor, paginate
from civicdesk.cases.queries import (
    ASSIGNEE,
    CODE,
    MAX_SEARCH,
    SORTS,
    STATUS_FILTERS,
    filter_cases,
    read_filters,
    sort_keys,
)

from . import idempotency
from .auth import SIGNED_IN
from .errors import ApiError, not_found, responses
from .schemas import (
    AssignIn,
    AttachmentOut,
    CaseDetailOut,
    CaseIn,
    CaseNumber,
    CasePage,
    ChangedCaseOut,
    EventOut,
    MergeIn,
    MessageIn,
    PriorityIn,
    StatusIn,
)
from .serialize import attachment_dict, audience, case_dict, contact_dict, event_dict, render

router = Router(tags=["cases"], auth=SIGNED_IN)

DEFAULT_SORT = "newest"  # every case, newest first: served by the created_at index at any size
ETAG = re.compile(r'\s*"v(\d{1,9})"\s*')
IF_MATCH = "If-Match"
IDEMPOTENT = {"parameters": [idempotency.OPENAPI_PARAMETER]}


def _text(schema: dict):
    """A filter parameter taken as text, documented as `schema`: civicdesk.cases.queries.read_filters
    reads it, the one reader of list filters (staff queue, API, open data)."""
    return Annotated[str | None, WithJsonSchema({"anyOf": [schema, {"type": "null"}]})]


def _code():
    return {"type": "string", "pattern": f"^{CODE.pattern}$"}


class CaseFilters(Schema):
    status: _text({"type": "string", "enum": list(STATUS_FILTERS)}) = None
    service: _text(_code()) = None
    department: _text(_code()) = Field(None, description="A department code, or `mine`.")
    assignee: _text({"type": "string", "pattern": f"^({ASSIGNEE.pattern})$"}) = Field(
        None, description="`me`, `unassigned` or a user id (city staff only)."
    )
    channel: _text({"type": "string", "enum": list(Channel.values)}) = None
    overdue: _text({"type": "boolean"}) = Field(
        None, description="`true`: only open cases past their due time."
    )
    created_from: _text({"type": "string", "format": "date"}) = None
    created_to: _text({"type": "string", "format": "date"}) = None
    q: _text({"type": "string", "maxLength": MAX_SEARCH}) = Field(
        None, description="Full-text search (city staff only)."
    )
    sort: Annotated[str, WithJsonSchema({"type": "string", "enum": list(SORTS)})] = DEFAULT_SORT
    limit: int = Field(50, ge=1, le=200)
    after: str | None = Field(None, max_length=500, description="The `next` cursor of the page before.")
    before: str | None = Field(None, max_length=500, description="The `previous` cursor of the page after.")


# ---------------------------------------------------------------- helpers


def etag(case) -> str:
    return f'"v{case.version}"'


def with_etag(response: HttpResponse, case) -> HttpResponse:
    response["ETag"] = etag(case)
    response["Cache-Control"] = "private, no-cache"
    return response


def expected_version(if_match: str | None) -> int | None:
    """The version an `If-Match` names; None when absent or `*` (no check)."""
    if if_match is None or if_match.strip() == "*":
        return None
    match = ETAG.fullmatch(if_match)
    if match is None:
        raise ApiError(
            412,
            "precondition_failed",
            _('If-Match must be the ETag of the case as this API sent it, for example "v3".'),
        )
    return int(match.group(1))


def with_relations(cases):
    """What serializing a case reads, in the same query (the numbers of parent and original only:
    joining whole case rows twice made a page of 50 noticeably slower)."""
    return cases.select_related("service", "department", "assignee").annotate(
        parent_number=F("parent__number"), duplicate_of_number=F("duplicate_of__number")
    )


def get_case(request, number: str):
    """The case if this caller may see it; 404 exactly as if it did not exist otherwise."""
    case = with_relations(request.auth.cases()).filter(number=number).first()
    if case is None:
        raise not_found()
    return case


def require_staff(request):
    if not request.auth.is_staff:
        raise ApiError(403, "forbidden", _("Only city staff may change cases through the API."))


def after_change(request, case) -> tuple:
    """(case, body): the case re-read with its relations after a change, as the caller now sees it.

    A change can take it out of their sight (a transfer; a new case routed to a department outside
    theirs or their token's): then the body is its number and version only, nothing a read would refuse.
    """
    seen = with_relations(request.auth.cases()).filter(pk=case.pk).first()
    if seen is None:
        return case, {"number": case.number, "version": case.version}
    return seen, case_dict(seen, request.auth)


def case_response(request, case, status=200) -> HttpResponse:
    """The case after a change, with its new ETag."""
    case, body = after_change(request, case)
    return with_etag(render(ChangedCaseOut, body, status), case)


def is_current(if_none_match: str, case) -> bool:
    """If-None-Match per RFC 9110: `*`, or a list of ETags one of which is ours (weak comparison)."""
    tags = parse_etags(if_none_match)
    return tags == ["*"] or etag(case) in {tag.removeprefix("W/") for tag in tags}


def list_cases_from(request, cases, filters: CaseFilters) -> dict:
    """One page of `cases` (already limited to what the caller may see) after the filters."""
    parsed = read_filters(filters.dict(exclude={"limit", "after", "before"}, exclude_none=True))
    refused = dict(parsed.errors)
    if not request.auth.is_staff:  # what residents are not shown, they may not filter by either
        staff_only = {
            "q": _("Full-text search is for city staff."),
            "assignee": _("Filtering by assignee is for city staff."),
        }
        refused |= {name: [message] for name, message in staff_only.items() if getattr(filters, name)}
    if refused:
        raise ApiError(422, "validation_error", _("Some values are missing or not valid."), fields=refused)
    values = parsed.values
    keys = sort_keys(values.pop("sort", DEFAULT_SORT))  # a blank `sort` is a missing one
    for name in ("after", "before"):
        cursor = getattr(filters, name)
        if cursor and decode_cursor(cursor, keys, cases.model) is None:
            raise ApiError(400, "invalid_cursor", _("This cursor is not valid for this sort order."))
    now = timezone.now()
    cases = filter_cases(with_relations(cases), values, request.auth.user, now)
    page = paginate(cases, keys, after=filters.after, before=filters.before, size=filters.limit)
    return {
        "items": [case_dict(c, request.auth, now) for c in page.items],
        "next": page.next_cursor,
        "previous": page.previous_cursor,
    }


# ---------------------------------------------------------------- reads

Include = Query(None, description="`contact`: add the reporter's contact (audited; roles allowed to see it).")
IfNoneMatch = Header(
    None, alias="If-None-Match", description="ETags you have (a list, `W/` or `*`): 304 if one is current."
)


@router.get("", response=responses({200: CasePage}), summary="List cases")
def list_cases(request, filters: Query[CaseFilters]):
    """Cases the caller may see (staff: their departments; residents: their own), filtered, in pages.

    Contact details never appear in lists.
    """
    return list_cases_from(request, request.auth.cases(), filters)


@router.get("/{number}", response=responses({200: CaseDetailOut, 304: None}, 404), summary="Read a case")
def read_case(
    request,
    number: CaseNumber,
    include: Literal["contact"] | None = Include,
    if_none_match: str | None = IfNoneMatch,
):
    case = get_case(request, number)
    data = case_dict(case, request.auth)
    if include == "contact":
        if not permissions.can(request.auth.user, "view_contact", case):
            raise ApiError(403, "forbidden", _("Your role may not see residents' contact details."))
        actions.record_contact_view(case, request.auth.user)
        data["contact"] = contact_dict(case)
    elif if_none_match and is_current(if_none_match, case):
        return with_etag(HttpResponse(status=304), case)
    return with_etag(render(CaseDetailOut, data), case)


@router.get("/{number}/timeline", response=responses({200: list[EventOut]}, 404), summary="Timeline")
def read_timeline(request, number: CaseNumber):
    """Every event for staff (internal notes included); public events only for residents."""
    case = get_case(request, number)
    events = disclosure.events(case, audience(request.auth)).order_by("created_at", "id")
    return [event_dict(e, request.auth) for e in events]


@router.get("/{number}/attachments", response=responses({200: list[AttachmentOut]}, 404), summary="Photos")
def list_attachments(request, number: CaseNumber):
    """Photo metadata and addresses; internal photos for staff only."""
    case = get_case(request, number)
    photos = disclosure.photos(case, audience(request.auth)).order_by("created_at", "id")
    return [attachment_dict(request, a) for a in photos]


# ---------------------------------------------------------------- changes


@router.post(
    "",
    response=responses({201: ChangedCaseOut}, write=True),
    openapi_extra=IDEMPOTENT,
    summary="Create a case",
)
@idempotency.idempotent
def create_case(request, payload: CaseIn):
    """A case on a resident's behalf (channel `api`); for roles that may create cases for callers."""
    require_staff(request)
    permissions.require(request.auth.user, "create_for_caller")
    if payload.priority is not None and not permissions.can(request.auth.user, "change_priority"):
        raise ApiError(
            403, "forbidden", _("Your role may not set the priority of a case: leave `priority` out.")
        )
    data = payload.dict()
    data["answers"] = data.pop("attributes")
    case = actions.submit_case(channel=Channel.API, actor=request.auth.user, **data)
    response = case_response(request, case, status=201)
    response["Location"] = f"{request.path.rstrip('/')}/{case.number}"
    return response


def _change(request, number, if_match, perform):
    """Run one action on a visible case with the If-Match version; answer the changed case."""
    require_staff(request)
    version = expected_version(if_match)
    case = get_case(request, number)
    return case_response(request, perform(case, request.auth.user, version))


CHANGE = {
    "response": responses({200: ChangedCaseOut}, 404, 412, write=True),
    "openapi_extra": IDEMPOTENT,
}
IfMatch = Header(None, alias=IF_MATCH, description='The ETag you read, e.g. "v3". Stale: 412.')


@router.post("/{number}/assign", summary="Assign or transfer", **CHANGE)
@idempotency.idempotent
def assign_case(request, number: CaseNumber, payload: AssignIn, if_match: str | None = IfMatch):
    """`department` alone transfers (and clears the person); `assignee` sets or (null) clears the person."""

    def perform(case, user, version):
        given = payload.model_fields_set
        department = payload.department or actions.UNCHANGED  # null or absent: stays where it is
        assignee = _staff_member(payload.assignee) if "assignee" in given else actions.UNCHANGED
        return actions.assign(case, user, department=department, assignee=assignee, expected_version=version)

    return _change(request, number, if_match, perform)


def _staff_member(user_id):
    if user_id is None:
        return None
    person = User.objects.filter(pk=user_id, is_active=True).first()
    if person is None or not person.is_city_staff:
        raise ApiError(
            422,
            "validation_error",
            _("Some values are missing or not valid."),
            fields={"assignee": [_("There is no member of staff with this id.")]},
        )
    return person


@router.post("/{number}/status", summary="Change the status", **CHANGE)
@idempotency.idempotent
def change_status(request, number: CaseNumber, payload: StatusIn, if_match: str | None = IfMatch):
    """Moves through the status machine; `reason` is needed for rejected / not our responsibility."""

    def perform(case, user, version):
        return actions.change_status(
            case,
            user,
            payload.status,
            reason=payload.reason,
            message=payload.message,
            expected_version=version,
        )

    return _change(request, number, if_match, perform)


@router.post("/{number}/priority", summary="Change the priority", **CHANGE)
@idempotency.idempotent
def change_priority(request, number: CaseNumber, payload: PriorityIn, if_match: str | None = IfMatch):
    def perform(case, user, version):
        return actions.change_priority(case, user, payload.priority, expected_version=version)

    return _change(request, number, if_match, perform)


@router.post("/{number}/reply", summary="Reply to the resident", **CHANGE)
@idempotency.idempotent
def reply(request, number: CaseNumber, payload: MessageIn, if_match: str | None = IfMatch):
    """A public message, shown on the case and e-mailed to the reporter."""

    def perform(case, user, version):
        return actions.reply(case, user, payload.message, expected_version=version)

    return _change(request, number, if_match, perform)


@router.post("/{number}/notes", summary="Add an internal note", **CHANGE)
@idempotency.idempotent
def add_note(request, number: CaseNumber, payload: MessageIn, if_match: str | None = IfMatch):
    """Staff only; never shown or sent to the resident."""

    def perform(case, user, version):
        return actions.add_note(case, user, payload.message, expected_version=version)

    return _change(request, number, if_match, perform)


@router.post("/{number}/merge", summary="Close as a duplicate", **CHANGE)
@idempotency.idempotent
def merge_case(request, number: CaseNumber, payload: MergeIn, if_match: str | None = IfMatch):
    """Closes this case as a duplicate of `target` (a case the caller may see)."""

    def perform(case, user, version):
        target = request.auth.cases().filter(number=payload.target).first()
        if target is None:
            raise ApiError(
                422,
                "validation_error",
                _("Some values are missing or not valid."),
                fields={"target": [_("There is no case %(number)s.") % {"number": payload.target}]},
            )
        return actions.merge(case, user, target, expected_version=version)

    return _change(request, number, if_match, perform)
