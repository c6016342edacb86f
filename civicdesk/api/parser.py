"""Request bodies and query strings: JSON only, bounded, and free of text no database can store."""

import json

from django.conf import settings
from django.utils.translation import gettext as _
from ninja.parser import Parser

from civicdesk.lib import badinput

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
            inner = f"{path}.{key}" if path != "body" else str(key)
            _check_text(key, inner.replace("\x00", "\\0"))  # the field that carries the bad name
            _check_text(item, inner)
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
        if not badinput.utf8_charset(request):
            raise ApiError(400, "unsupported_charset", _("Send the request body as UTF-8 JSON."))
        try:
            # RFC 8259: JSON between systems is UTF-8. json.loads(bytes) would also guess UTF-16
            # and UTF-32; decoding first refuses them, and any byte that is not UTF-8, with a 400.
            text = request.body.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ApiError(400, "unsupported_charset", _("Send the request body as UTF-8 JSON.")) from None
        try:
            data = json.loads(text, parse_constant=_refuse_constant)
        except ValueError:
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
                        fields={key.replace("\x00", "\\0"): [_("Text may not contain NUL characters.")]},
                    )
        return super().parse_querydict(data, list_fields, request)
