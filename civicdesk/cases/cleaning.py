"""Input checks shared by the actions: each returns the cleaned value or raises a ValidationError
keyed by the field, so forms and APIs can show the message in the right place. No database writes."""

import math

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from civicdesk.lib.geo import valid_coordinates
from civicdesk.lib.phones import e164

from .models import Priority


def text(value, field, limit, required=True):
    text = (value or "").strip()
    if "\x00" in text:  # PostgreSQL cannot store it; SQLite would, and cut the text short elsewhere
        raise ValidationError({field: _("Null characters are not allowed.")})
    if required and not text:
        raise ValidationError({field: _("This field cannot be empty.")})
    if len(text) > limit:
        raise ValidationError(
            {
                field: _("Use at most %(limit)d characters (you used %(count)d).")
                % {"limit": limit, "count": len(text)}
            }
        )
    return text


def location(latitude, longitude):
    if latitude in (None, "") and longitude in (None, ""):
        return None, None
    errors = {}
    values = {}
    for field, raw in (("latitude", latitude), ("longitude", longitude)):
        try:
            values[field] = float(raw)
            if not math.isfinite(values[field]):
                raise ValueError
        except (TypeError, ValueError):
            errors[field] = _("Enter a number.")
    if errors:
        raise ValidationError(errors)
    if not valid_coordinates(values["latitude"], values["longitude"]):
        raise ValidationError(
            {
                "latitude": _(
                    "This point is not on Earth: latitude must be between -90 and 90 "
                    "and longitude between -180 and 180."
                )
            }
        )
    return values["latitude"], values["longitude"]


MAX_EMAIL = 254  # the longest address SMTP carries, and the column size


def email(value, field):
    address = (value or "").strip().lower()
    if len(address) > MAX_EMAIL:
        raise ValidationError(
            {field: _("An e-mail address has at most %(max)d characters.") % {"max": MAX_EMAIL}}
        )
    if address:
        try:
            validate_email(address)
        except ValidationError:
            raise ValidationError({field: _("Enter a valid e-mail address.")}) from None
    return address


MAX_PHONE = 32  # the column size


def phone(value):
    """A phone number in E.164 ("+16175550100"), national numbers read in settings.PHONE_REGION.
    What does not parse (a local number without area code, an extension, letters) is kept as typed:
    the case still carries it, but the resident directory cannot match it to other spellings."""
    return e164(value, settings.PHONE_REGION)[:MAX_PHONE]


def priority(value, default=None):
    if value in (None, "") and default is not None:
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = None
    if number not in Priority.values:
        raise ValidationError({"priority": _("Choose a priority from the list.")})
    return number


def collect(errors, check, *args, **kwargs):
    """Run one check, keeping its messages in `errors` so every problem is reported at once."""
    try:
        return check(*args, **kwargs)
    except ValidationError as error:
        errors.update(error.message_dict)
        return None
