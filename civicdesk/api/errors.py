"""One JSON error shape for every failure, and the exception handlers that produce it.

    {"error": {"code": "validation_error", "message": "...", "fields": {"status": ["..."]}}}

Exceptions from the actions (Django's ValidationError and PermissionDenied, StaleCase), ninja's own
(request validation, authentication, unparseable bodies) and Http404 all end up here, so a client
handles one shape whatever went wrong.
"""

import logging

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from civicdesk.cases.actions import StaleCase

logger = logging.getLogger(__name__)


class ErrorDetail(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] | None = None


class ErrorOut(Schema):
    error: ErrorDetail


class ApiError(Exception):
    """An error answer with a status, a stable code for programs and a message for people."""

    def __init__(self, status: int, code: str, message: str, fields=None, headers=None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.fields, self.headers = fields, headers or {}


def not_found() -> ApiError:
    return ApiError(404, "not_found", _("Nothing was found at this address."))


# Errors any operation may answer; each operation adds its own (404, 409, 412...).
COMMON_READ = (400, 401, 403, 422, 429)
COMMON_WRITE = (*COMMON_READ, 413, 415)


def responses(ok: dict, *errors: int, write: bool = False) -> dict:
    """An operation's `response=` mapping: its successes plus every error code it may answer."""
    codes = {*(COMMON_WRITE if write else COMMON_READ), *errors}
    return {**ok, frozenset(codes): ErrorOut}


def error_response(status, code, message, fields=None, headers=None) -> HttpResponse:
    body = {"error": {"code": code, "message": str(message)}}
    if fields:
        body["error"]["fields"] = {name: [str(m) for m in messages] for name, messages in fields.items()}
    response = JsonResponse(body, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _location(loc) -> str:
    """ninja's ("body", "payload", "status") -> "status"; ("query", "limit") -> "limit"."""
    parts = [str(p) for p in loc[1:]]
    if loc and loc[0] == "body":
        parts = parts[1:]  # the view's parameter name means nothing to the client
    return ".".join(parts) or "body"


def _ninja_validation(request, exc: NinjaValidationError):
    fields: dict[str, list[str]] = {}
    for error in exc.errors:
        fields.setdefault(_location(error.get("loc", ())), []).append(error.get("msg", ""))
    return error_response(422, "validation_error", _("Some values are missing or not valid."), fields)


def _django_validation(request, exc: DjangoValidationError):
    fields = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return error_response(422, "validation_error", _("Some values are missing or not valid."), fields)


def _permission_denied(request, exc):
    return error_response(403, "forbidden", _("You may not do this."))


def _stale(request, exc: StaleCase):
    return error_response(412, "precondition_failed", str(exc), headers={"ETag": f'"v{exc.case.version}"'})


def _authentication(request, exc):
    return error_response(
        401,
        "unauthenticated",
        _("Sign in, or send an API token as “Authorization: Bearer <token>”."),
        headers={"WWW-Authenticate": 'Bearer realm="api"'},
    )


def _api_error(request, exc: ApiError):
    return error_response(exc.status, exc.code, exc.message, exc.fields, exc.headers)


def _http_error(request, exc: HttpError):
    if isinstance(exc.__cause__, ApiError):  # raised by our body parser, wrapped by ninja
        return _api_error(request, exc.__cause__)
    if exc.status_code == 400:
        return error_response(400, "malformed_request", _("The request body is not valid JSON."))
    return error_response(exc.status_code, "http_error", str(exc))


def _too_big(request, exc):
    return error_response(413, "payload_too_large", _("The request body is too large."))


def _not_found(request, exc):
    return _api_error(request, not_found())


def _unexpected(request, exc):
    logger.exception("API error on %s %s", request.method, request.path, exc_info=exc)
    return error_response(500, "server_error", _("Something went wrong on our side. Try again later."))


def register(api):
    api.add_exception_handler(NinjaValidationError, _ninja_validation)
    api.add_exception_handler(DjangoValidationError, _django_validation)
    api.add_exception_handler(PermissionDenied, _permission_denied)
    api.add_exception_handler(StaleCase, _stale)
    api.add_exception_handler(AuthenticationError, _authentication)
    api.add_exception_handler(ApiError, _api_error)
    api.add_exception_handler(HttpError, _http_error)
    api.add_exception_handler(RequestDataTooBig, _too_big)
    api.add_exception_handler(Http404, _not_found)
    api.add_exception_handler(Exception, _unexpected)


def json_404(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """Unknown addresses under the API answer in the API's shape, not with an HTML page."""
    return _api_error(request, not_found())
