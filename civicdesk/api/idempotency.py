"""`Idempotency-Key` on POSTs: a retried request gets the first answer and changes nothing.

The record of a key is inserted, and the change made, in ONE transaction that the answer's status
commits (2xx) or rolls back (anything else, so a refused request may simply be retried). A second
request with the same key either finds the committed record and replays it, or - when it arrives
while the first is still running - waits on the unique index until the first commits, then
replays it. Keys belong to one caller (token or session user) and last 24 hours.
"""

import hashlib
import json
from datetime import timedelta
from functools import wraps

from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.decorators import decorate_view

from .errors import ApiError
from .models import IdempotencyRecord

HEADER = "Idempotency-Key"
KEEP_FOR = timedelta(hours=24)
MAX_KEY_LENGTH = 255
REPLAYED_HEADERS = ("ETag", "Location")

OPENAPI_PARAMETER = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": "^[ -~]+$"},
    "description": "Any unique string (a UUID). A retry with the same key and body gets the first "
    "answer and changes nothing; the same key with a different body is refused (422). Kept 24 hours.",
}


def _fingerprint(request) -> str:
    """What makes two requests "the same": method, path, If-Match and the JSON body's content."""
    try:
        body = json.dumps(json.loads(request.body), sort_keys=True, separators=(",", ":"))
    except ValueError:
        body = request.body.decode("utf-8", "replace")
    parts = [request.method, request.get_full_path(), request.headers.get("If-Match", ""), body]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _key(request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not 0 < len(key) <= MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise ApiError(
            400,
            "invalid_idempotency_key",
            _("The Idempotency-Key must be 1 to %(max)d printable ASCII characters.")
            % {"max": MAX_KEY_LENGTH},
        )
    return key


def _claim(request, key):
    """The new record for this key, or the answer already given to it."""
    caller, fingerprint = request.auth.key, _fingerprint(request)
    IdempotencyRecord.objects.filter(
        caller=caller, key=key, created_at__lt=timezone.now() - KEEP_FOR
    ).delete()
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                caller=caller, key=key, fingerprint=fingerprint, status=0
            )
    except IntegrityError:
        return None, _replay(IdempotencyRecord.objects.get(caller=caller, key=key), fingerprint)
    return record, None


def _replay(record, fingerprint):
    if record.fingerprint != fingerprint:
        raise ApiError(
            422,
            "idempotency_key_reused",
            _(
                "This Idempotency-Key was already used for a different request. "
                "Use a new key for a new request."
            ),
        )
    response = HttpResponse(record.body, status=record.status, content_type="application/json")
    for name, value in record.headers.items():
        response[name] = value
    response["Idempotent-Replayed"] = "true"
    return response


def _in_one_transaction(run):
    """Around ninja's whole operation (auth, validation, view, rendering): keep or undo the claim."""

    @wraps(run)
    def wrapper(request, *args, **kwargs):
        if HEADER not in request.headers:
            return run(request, *args, **kwargs)
        with transaction.atomic():
            response = run(request, *args, **kwargs)
            record = getattr(request, "_idempotency_record", None)
            if record is None:
                return response  # refused before the view, or a replay: nothing was claimed
            if not 200 <= response.status_code < 300:
                transaction.set_rollback(True)
                return response
            record.status, record.body = response.status_code, response.content.decode()
            record.headers = {h: response[h] for h in REPLAYED_HEADERS if response.has_header(h)}
            record.save(update_fields=["status", "body", "headers"])
        return response

    return wrapper


def idempotent(view):
    """Decorate a POST operation (below the router's decorator)."""

    @wraps(view)
    def claiming(request, *args, **kwargs):
        key = _key(request)
        if key is not None:
            record, replay = _claim(request, key)
            if replay is not None:
                return replay
            request._idempotency_record = record
        return view(request, *args, **kwargs)

    return decorate_view(_in_one_transaction)(claiming)


def purge(now=None) -> int:
    """Forget keys older than 24 hours (the `purge_idempotency_keys` command)."""
    cutoff = (now or timezone.now()) - KEEP_FOR
    return IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()[0]
