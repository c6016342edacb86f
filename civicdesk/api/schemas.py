"""Request and response bodies of the API (the OpenAPI document is generated from these)."""

from datetime import datetime
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import StringConstraints

from civicdesk.cases.models import Datatype, EventKind
from civicdesk.cases.workflow import Status
from civicdesk.webhooks.models import WebhookEvent

DatabaseId = Annotated[int, Field(ge=1, le=2**63 - 1)]
Code = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[-a-zA-Z0-9_]+$")]
CaseNumber = Annotated[str, StringConstraints(min_length=1, max_length=16, pattern=r"^[-A-Za-z0-9]+$")]
StatusName = Literal[tuple(Status.values)]
Answer = str | int | float | list[str] | None


class PersonRef(Schema):
    id: int
    name: str


class ContactOut(Schema):
    name: str
    email: str
    phone: str


class CaseOut(Schema):
    """A case. Fields marked "staff only" are null for residents."""

    number: str
    service: str
    service_name: str
    status: StatusName
    status_reason: str
    priority: int
    channel: str
    department: str | None
    assignee: PersonRef | None = Field(description="Staff only.")
    description: str
    address: str
    latitude: float | None
    longitude: float | None
    attributes: dict[str, Answer]
    tags: list[str] | None = Field(description="Staff only.")
    areas: dict[str, str] | None = Field(description="Staff only.")
    external_ids: dict | None = Field(description="Staff only: ids in other systems.")
    parent: str | None
    duplicate_of: str | None
    overdue: bool
    created_at: datetime
    updated_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    expected_at: datetime | None
    version: int = Field(description='Also the ETag: `"v<version>"`.')


class CaseOutOfSightOut(Schema):
    """A changed case the caller no longer sees (sent to, or a new case routed to, a department
    outside the caller's or the token's): its number and version only, as reading it answers 404."""

    number: str
    version: int


ChangedCaseOut = CaseOut | CaseOutOfSightOut


class CaseDetailOut(CaseOut):
    contact: ContactOut | None = Field(
        None, description="The reporter's contact, with `include=contact`, for roles allowed to see it."
    )


class CasePage(Schema):
    items: list[CaseOut]
    next: str | None = Field(description="Cursor for `after=`: the next page, or null on the last.")
    previous: str | None = Field(description="Cursor for `before=`: the previous page, or null.")


class CaseIn(Schema):
    service: Code
    description: str = Field("", max_length=20_000)
    attributes: dict[str, Answer] = Field(default_factory=dict, max_length=100)
    latitude: float | None = None
    longitude: float | None = None
    address: str = Field("", max_length=1000)
    reporter_name: str = Field("", max_length=300)
    reporter_email: str = Field("", max_length=300)
    reporter_phone: str = Field("", max_length=100)
    language: str = Field("en", max_length=8)
    priority: int | None = Field(
        None, ge=1, le=100, description="Only roles that may change priorities (not 311 agents); others: 403."
    )


class AssignIn(Schema):
    department: Code | None = Field(None, description="Send the case to this department (a transfer).")
    assignee: DatabaseId | None = Field(
        None, description="The person (user id) to work it; null clears the person."
    )


class StatusIn(Schema):
    status: StatusName
    reason: str = Field("", max_length=20_000)
    message: str = Field("", max_length=20_000, description="Also sent to the resident as a reply.")


class PriorityIn(Schema):
    priority: int = Field(ge=1, le=100)


class MessageIn(Schema):
    message: str = Field(max_length=20_000)


class MergeIn(Schema):
    target: CaseNumber = Field(description="The case this one duplicates.")


class EventOut(Schema):
    id: int
    kind: Literal[tuple(EventKind.values)]
    created_at: datetime
    public: bool
    message: str
    changes: dict
    actor: str | None = Field(description="Who acted (staff only; null for residents and the system).")


class AttachmentOut(Schema):
    id: int
    content_type: str
    size: int
    width: int | None
    height: int | None
    public: bool
    created_at: datetime
    url: str
    thumbnail_url: str


class ChoiceOut(Schema):
    key: str
    name: str


class QuestionOut(Schema):
    code: str
    label: str
    datatype: Literal[tuple(Datatype.values)]
    required: bool
    order: int
    help_text: str
    values: list[ChoiceOut]


class ServiceOut(Schema):
    code: str
    name: str
    description: str
    group: str
    keywords: list[str]
    default_department: str | None
    default_priority: int
    attributes: list[QuestionOut]


class DepartmentOut(Schema):
    code: str
    name: str
    email: str


class AreaOut(Schema):
    name: str
    bbox: list[float] = Field(description="[min_lon, min_lat, max_lon, max_lat]")
    geometry: dict | None = Field(description="GeoJSON geometry, with `geometry=true`.")


class AreaLayerOut(Schema):
    slug: str
    label: str
    is_city_boundary: bool
    areas: list[AreaOut]


class TokenInfo(Schema):
    name: str
    kind: str
    scope: str
    departments: list[str]
    expires_at: datetime | None


class MeOut(Schema):
    id: int
    email: str
    full_name: str
    phone: str
    role: str
    departments: list[str]
    preferred_language: str
    preferred_channel: str
    token: TokenInfo | None = Field(description="The token of this request, if one was used.")


WebhookEventName = Literal[tuple(WebhookEvent.values)]


class WebhookOut(Schema):
    id: int
    name: str
    url: str
    events: list[str]
    departments: list[str]
    services: list[str]
    active: bool
    created_at: datetime


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(description="The signing secret. Shown only in this answer: keep it.")


class WebhookIn(Schema):
    name: str = Field(min_length=1, max_length=120)
    url: str = Field(min_length=1, max_length=500)
    events: list[WebhookEventName] = Field(default_factory=list, max_length=20)
    departments: list[Code] = Field(default_factory=list, max_length=100)
    services: list[Code] = Field(default_factory=list, max_length=500)
    active: bool = True


class WebhookPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=120)
    url: str | None = Field(None, min_length=1, max_length=500)
    events: list[WebhookEventName] | None = Field(None, max_length=20)
    departments: list[Code] | None = Field(None, max_length=100)
    services: list[Code] | None = Field(None, max_length=500)
    active: bool | None = None


ExternalSystem = Annotated[
    str, StringConstraints(min_length=1, max_length=32, pattern=r"^[a-z0-9]+([._-][a-z0-9]+)*$")
]


class ExternalRef(Schema):
    system: ExternalSystem
    id: str = Field(min_length=1, max_length=64)


class InboundUpdateIn(Schema):
    case: CaseNumber | None = Field(None, description="The case number; or give `external`.")
    external: ExternalRef | None = Field(None, description="Find the case by its id in another system.")
    status: StatusName | None = None
    reason: str = Field("", max_length=20_000)
    note: str = Field("", max_length=20_000, description="An internal note (staff only).")
    reply: str = Field("", max_length=20_000, description="A public reply, e-mailed to the resident.")
    external_id: dict[ExternalSystem, Annotated[str, StringConstraints(max_length=64)]] | None = Field(
        None, description="This case's id in your system, stored so later updates can use `external`."
    )


class InboundUpdateOut(Schema):
    case: ChangedCaseOut
    applied: list[str] = Field(description="What was done: status, reply, note, external_id.")
