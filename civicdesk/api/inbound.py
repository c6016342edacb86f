"""/inbound/case-updates: a work-order system reports progress on a case.

Applied through the actions (change_status, add_note, reply) with the token's user as the actor,
all in one transaction: if one part is refused (a status the case cannot move to), nothing of the
update is kept. Only write tokens may call it; a session (a person in a browser) may not.
"""

import json

from django.db import connection, transaction
from django.db.models import F, Func, TextField
from django.utils.translation import gettext as _
from ninja import Router

from civicdesk.cases import actions

from . import idempotency
from .auth import bearer
from .cases import after_change, require_staff, with_etag, with_relations
from .errors import ApiError, not_found, responses
from .schemas import InboundUpdateIn, InboundUpdateOut
from .serialize import render

router = Router(tags=["inbound"], auth=[bearer])


class ObjectKeyText(Func):
    """SQLite: the text value of one key of a JSON object, the key taken literally.

    Not `external_ids__<system>` (the system became a lookup: `isnull`, `regex`) nor KT() (a key
    of digits, `311`, became an array index, though link_external stores every system as a key).
    """

    output_field = TextField()

    def __init__(self, field: str, key: str):
        super().__init__(F(field))
        self.key = key

    def as_sqlite(self, compiler, connection):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"JSON_EXTRACT({sql}, %s)", (*params, f"$.{json.dumps(self.key)}")


def find_case(request, payload):
    cases = with_relations(request.auth.cases())
    if payload.case:
        case = cases.filter(number=payload.case).first()
    else:
        case = linked_to(cases, payload.external.system, payload.external.id).order_by("pk").first()
    if case is None:
        raise not_found()
    return case


def linked_to(cases, system, external_id):
    """The cases whose id in `system` is `external_id`."""
    if connection.vendor == "postgresql":  # containment, which the partial GIN index serves
        return cases.filter(external_ids__contains={system: external_id}).exclude(external_ids={})
    return cases.annotate(external_id=ObjectKeyText("external_ids", system)).filter(external_id=external_id)


def _check(payload):
    errors = {}
    if bool(payload.case) == bool(payload.external):
        errors["case"] = [_("Give either `case` (the case number) or `external` (system and id).")]
    if not (payload.status or payload.note.strip() or payload.reply.strip() or payload.external_id):
        errors["status"] = [_("Give at least one of `status`, `note`, `reply` or `external_id`.")]
    if errors:
        raise ApiError(422, "validation_error", _("Some values are missing or not valid."), fields=errors)


@router.post(
    "/case-updates",
    response=responses({200: InboundUpdateOut}, 404, write=True),
    openapi_extra={"parameters": [idempotency.OPENAPI_PARAMETER]},
    summary="Report progress on a case",
)
@idempotency.idempotent
def update_case(request, payload: InboundUpdateIn):
    """Status (with `reason`), a public `reply`, an internal `note` and your `external_id`, in that order."""
    _check(payload)
    require_staff(request)
    case, user, applied = find_case(request, payload), request.auth.user, []
    with transaction.atomic():
        if payload.status and payload.status != case.status:
            case = actions.change_status(
                case, user, payload.status, reason=payload.reason, message=payload.reply
            )
            applied.append("status")
            applied += ["reply"] if payload.reply.strip() else []
        elif payload.reply.strip():
            case = actions.reply(case, user, payload.reply)
            applied.append("reply")
        if payload.note.strip():
            case = actions.add_note(case, user, payload.note)
            applied.append("note")
        for system, external_id in (payload.external_id or {}).items():
            case = actions.link_external(case, user, system, external_id)
        applied += ["external_id"] if payload.external_id else []
    case, body = after_change(request, case)
    return with_etag(render(InboundUpdateOut, {"case": body, "applied": applied}), case)
