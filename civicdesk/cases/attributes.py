"""Validate answers to a service's questions (Open311 attribute datatypes)."""

from datetime import datetime
from decimal import Decimal

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from .models import Datatype

MAX_TEXT = 4000


def _as_list(raw):
    if raw is None or raw == "":
        return []
    return list(raw) if isinstance(raw, (list, tuple)) else [raw]


MAX_NUMBER = Decimal(10) ** 15


def _number(text):
    # Bounded before conversion: "1e100000000" would otherwise become a huge int (minutes of CPU).
    try:
        number = Decimal(text) if len(text) <= 40 else None
        # abs() applies the decimal context: "1e100000000" overflows there.
        too_big = number is None or not number.is_finite() or abs(number) >= MAX_NUMBER
    except ArithmeticError:
        too_big = True
    if too_big:
        raise ValueError(_("Enter a number."))
    return int(number) if number == number.to_integral_value() else float(number)


def _clean_one(attribute, raw):
    """Return the stored form of one answer, or raise ValueError with a message for the field."""
    kind = attribute.datatype
    if kind in (Datatype.SINGLE, Datatype.MULTI):
        keys = {v["key"] for v in attribute.values}
        chosen = [str(v) for v in _as_list(raw)]
        if kind == Datatype.SINGLE and len(chosen) > 1:
            raise ValueError(_("Choose only one answer."))
        unknown = [c for c in chosen if c not in keys]
        if unknown:
            raise ValueError(_("“%(value)s” is not one of the choices.") % {"value": unknown[0]})
        return chosen if kind == Datatype.MULTI else chosen[0]
    if isinstance(raw, (list, dict)):
        raise ValueError(_("Give a single value."))
    text = str(raw).strip()
    if kind == Datatype.NUMBER:
        return _number(text)
    if kind == Datatype.DATETIME:
        try:
            value = raw if isinstance(raw, datetime) else parse_datetime(text)
        except ValueError:  # well-formed but impossible, e.g. month 13
            value = None
        if value is None:
            raise ValueError(_("Enter a date and time, for example 2026-05-01T14:30:00-04:00."))
        if value.tzinfo is None:
            raise ValueError(_("Give the time zone with the date and time."))
        return value.isoformat()
    limit = 200 if kind == Datatype.STRING else MAX_TEXT
    if len(text) > limit:
        raise ValueError(_("Use at most %(limit)d characters.") % {"limit": limit})
    return text


def clean_answers(attributes, raw_answers):
    """Check `raw_answers` (code -> value) against `attributes`.

    Returns (answers, errors): errors map an attribute code to a message. Unknown codes are errors
    too, so a client never believes an answer was kept when it was dropped.
    """
    answers, errors = {}, {}
    by_code = {a.code: a for a in attributes}
    for code in raw_answers:
        if code not in by_code:
            errors[code] = _("This service has no question “%(code)s”.") % {"code": code}
    for attribute in attributes:
        raw = raw_answers.get(attribute.code)
        if raw is None or raw == "" or raw == []:
            if attribute.required:
                errors[attribute.code] = _("This question needs an answer.")
            continue
        try:
            answers[attribute.code] = _clean_one(attribute, raw)
        except ValueError as error:
            errors[attribute.code] = str(error)
    return answers, errors
