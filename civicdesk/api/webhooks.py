"""/webhooks: subscriptions to case events, for administrators only.

The secret is returned once, when the subscription is created. A department-restricted token
cannot manage webhooks: subscriptions reach every department, and a token only ever narrows.
"""

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Router, Status

from civicdesk.accounts.models import Role
from civicdesk.cases.models import Department, Service
from civicdesk.webhooks.addresses import check_url
from civicdesk.webhooks.models import Subscription

from . import idempotency
from .auth import SIGNED_IN
from .errors import ApiError, responses
from .schemas import DatabaseId, WebhookCreatedOut, WebhookIn, WebhookOut, WebhookPatch

router = Router(tags=["webhooks"], auth=SIGNED_IN)
URL_CHECK = URLValidator(schemes=["http", "https"])


def require_admin(request):
    caller = request.auth
    if not (caller.user.is_authenticated and caller.user.role == Role.ADMIN and caller.user.is_active):
        raise ApiError(403, "forbidden", _("Only administrators may manage webhooks."))
    if caller.department_ids is not None:
        raise ApiError(403, "forbidden", _("A token limited to departments may not manage webhooks."))


def webhook_dict(subscription) -> dict:
    return {
        "id": subscription.pk,
        "name": subscription.name,
        "url": subscription.url,
        "events": list(subscription.events),
        "departments": sorted(d.code for d in subscription.departments.all()),
        "services": sorted(s.code for s in subscription.services.all()),
        "active": subscription.active,
        "created_at": subscription.created_at,
    }


def _by_codes(model, codes, field):
    """The rows for `codes`, or a field error naming the unknown ones."""
    codes = sorted(set(codes))
    found = list(model.objects.filter(code__in=codes))
    unknown = sorted(set(codes) - {row.code for row in found})
    if unknown:
        raise ValidationError({field: _("Unknown codes: %(codes)s.") % {"codes": ", ".join(unknown)}})
    return found


def _check_url(url):
    try:
        URL_CHECK(url)
    except ValidationError:
        raise ValidationError({"url": _("Enter a full http:// or https:// address.")}) from None
    try:
        check_url(url)  # no internal addresses (server-side request forgery)
    except ValidationError as error:
        raise ValidationError({"url": error.messages}) from None


def _apply(subscription, values: dict):
    """Set fields and relations from `values` (only the keys present)."""
    if "url" in values:
        _check_url(values["url"])
    related = {
        name: _by_codes(model, values.pop(name), name)
        for name, model in (("departments", Department), ("services", Service))
        if values.get(name) is not None
    }
    if "events" in values:
        values["events"] = sorted(set(values["events"]))
    for name, value in values.items():
        setattr(subscription, name, value)
    with transaction.atomic():
        subscription.save()
        for name, rows in related.items():
            getattr(subscription, name).set(rows)


def _get(pk):
    return get_object_or_404(Subscription.objects.prefetch_related("departments", "services"), pk=pk)


@router.get("", response=responses({200: list[WebhookOut]}), summary="List webhooks")
def list_webhooks(request):
    require_admin(request)
    return [webhook_dict(s) for s in Subscription.objects.prefetch_related("departments", "services")]


@router.post(
    "",
    response=responses({201: WebhookCreatedOut}, write=True),
    openapi_extra={"parameters": [idempotency.OPENAPI_PARAMETER]},
    summary="Create a webhook",
)
@idempotency.idempotent
def create_webhook(request, payload: WebhookIn):
    require_admin(request)
    subscription = Subscription(created_by=request.auth.user)
    _apply(subscription, payload.dict())
    return Status(201, {**webhook_dict(_get(subscription.pk)), "secret": subscription.secret})


@router.get("/{webhook_id}", response=responses({200: WebhookOut}, 404), summary="Read a webhook")
def read_webhook(request, webhook_id: DatabaseId):
    require_admin(request)
    return webhook_dict(_get(webhook_id))


@router.patch(
    "/{webhook_id}", response=responses({200: WebhookOut}, 404, write=True), summary="Change a webhook"
)
def update_webhook(request, webhook_id: DatabaseId, payload: WebhookPatch):
    """Only the fields sent change; null for a field means "leave it"."""
    require_admin(request)
    subscription = _get(webhook_id)
    _apply(subscription, payload.dict(exclude_none=True))
    return webhook_dict(_get(webhook_id))


@router.delete("/{webhook_id}", response=responses({204: None}, 404), summary="Delete a webhook")
def delete_webhook(request, webhook_id: DatabaseId):
    require_admin(request)
    _get(webhook_id).delete()
    return HttpResponse(status=204)
