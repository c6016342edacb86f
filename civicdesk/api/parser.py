"""Request bodies and query strings: JSON only, bounded, and free of text no database can store."""

import json

from django.conf import settings
from django.utils.translation import gettext as _
from ninja.parser import Parser

from .errors import ApiError


def _refuse_constant(name):
    raise ValueError(f"{name} is not JSON")


def _bad_text(value) -> bool:
    """NUL characters and lone surrogates: PostgreSQL refuses them, so they must not reach it."""
    if "\x00" in value:
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _check_text(value, path="body"):
    if isinstance(value, str):
        bad = _bad_text(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, path)
            _check_text(item, f"{path}.{key}" if path != "body" else str(key))
        return
    elif isinstance(value, list):
        for item in value:
            _check_text(item, path)
        return
    else:
        return
    if bad:
        raise ApiError(
            422,
            "validation_error",
            _("Some values are missing or not valid."),
            fields={path: [_("Text may not contain NUL characters or unpaired surrogates.")]},
        )


class JsonParser(Parser):
    def parse_body(self, request):
        if request.content_type != "application/json":
            message = _("Send the request body as JSON (Content-Type: application/json).")
            raise ApiError(415, "unsupported_media_type", message)
        limit = settings.API_MAX_BODY
        if len(request.body) > limit:
            raise ApiError(
                413,
                "payload_too_large",
                _("The request body is larger than %(limit)d bytes.") % {"limit": limit},
            )
        try:
            data = json.loads(request.body, parse_constant=_refuse_constant)
        except (ValueError, UnicodeDecodeError):
            raise ApiError(400, "malformed_json", _("The request body is not valid JSON.")) from None
        _check_text(data)
        return data

    def parse_querydict(self, data, list_fields, request):
        for key, values in data.lists():
            for value in [key, *values]:
                if _bad_text(value):
                    raise ApiError(
                        422,
                        "validation_error",
                        _("Some values are missing or not valid."),
                        fields={key: [_("Text may not contain NUL characters.")]},
                    )
        return super().parse_querydict(data, list_fields, request)
