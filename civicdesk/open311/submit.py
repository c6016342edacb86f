"""POST requests.{fmt}: an Open311 client reports a problem through `actions.submit_case`, so routing,
service levels and the acknowledgement happen exactly as for the portal."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils import translation
from django.utils.translation import gettext as _

from civicdesk.cases import actions
from civicdesk.cases.models import Case, Channel, Service

from . import access, serialize
from .formats import respond
from .models import Submission
from .params import Open311Error, value

ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")
# submit_case's field names -> the Open311 parameter the client sent.
PARAMETERS = {
    "service": "service_code",
    "latitude": "lat",
    "longitude": "long",
    "address": "address_string",
    "reporter_email": "email",
    "photos": "media",
}
MAX_ID = Submission._meta.get_field("device_id").max_length
MAX_EMAIL = Case._meta.get_field("reporter_email").max_length


def create(request, fmt, data):
    key = access.required_key(request)
    access.throttle(key)
    service = _service(data)
    extra = _extra(data)
    location = _location(data)
    answers = _answers(data)
    try:
        case = actions.submit_case(
            service=service,
            channel=Channel.API,
            description=value(data, "description") or "",
            answers=answers,
            **location,
            reporter_name=" ".join(filter(None, [value(data, "first_name"), value(data, "last_name")])),
            reporter_email=value(data, "email") or "",
            reporter_phone=value(data, "phone") or "",
            language=translation.get_language() or "en",
            photos=request.FILES.getlist("media"),
            on_created=lambda new: Submission.objects.create(case=new, api_key=key, **extra),
        )
    except ValidationError as error:
        raise _as_errors(error) from None
    case = Case.objects.select_related("service", "open311_submission").get(pk=case.pk)
    return respond(fmt, "service_requests", [serialize.posted(case, case.open311_submission)])


def _service(data):
    code = value(data, "service_code")
    if code is None:
        raise Open311Error(400, _("service_code: choose a service; GET services.xml lists them."))
    service = Service.objects.filter(code=code, active=True).first()
    if service is None:
        raise Open311Error(400, _("service_code: there is no service “%(code)s”.") % {"code": code[:64]})
    return service


def _location(data):
    """lat+long, address_string or address_id: at least one, and lat never without long."""
    lat, long, address = value(data, "lat"), value(data, "long"), value(data, "address_string")
    address_id = value(data, "address_id")
    if (lat is None) != (long is None):
        missing = "long" if long is None else "lat"
        raise Open311Error(400, _("%(field)s: give lat and long together.") % {"field": missing})
    if lat is None and address is None and address_id is None:
        raise Open311Error(400, _("location: give lat and long, address_string or address_id."))
    if address is None and address_id is not None:
        # Without an address register, staff at least see which address the client meant.
        address = _("Address ID %(id)s") % {"id": address_id[:MAX_ID]}
    return {"latitude": lat, "longitude": long, "address": address or ""}


def _extra(data):
    """What the client sent that the case has no field for, checked before anything is written."""
    extra = {}
    for name in ("device_id", "account_id", "address_id"):
        text = value(data, name) or ""
        if len(text) > MAX_ID:
            raise Open311Error(
                400, _("%(field)s: use at most %(limit)d characters.") % {"field": name, "limit": MAX_ID}
            )
        extra[name] = text
    email = value(data, "email") or ""
    if len(email) > MAX_EMAIL:
        raise Open311Error(400, _("email: use at most %(limit)d characters.") % {"limit": MAX_EMAIL})
    media_url = value(data, "media_url") or ""
    if media_url:
        try:
            URLValidator(schemes=["http", "https"])(media_url)
            if len(media_url) > 1000:
                raise ValidationError("too long")
        except ValidationError:
            raise Open311Error(400, _("media_url: give an http or https address.")) from None
    extra["media_url"] = media_url
    return extra


def _answers(data):
    """attribute[CODE]=value and attribute[CODE][]=value (multivaluelist) -> {code: value or list}."""
    collected, as_list = {}, set()
    for name in data:
        if not name.startswith("attribute"):
            continue
        match = ATTRIBUTE.match(name)
        if match is None:
            raise Open311Error(400, _("%(name)s: write attributes as attribute[CODE].") % {"name": name[:80]})
        code = match.group(1)
        collected.setdefault(code, []).extend(v for v in data.getlist(name) if v.strip())
        if match.group(2):
            as_list.add(code)
    return {
        code: values if code in as_list or len(values) > 1 else next(iter(values), "")
        for code, values in collected.items()
    }


def _as_errors(error):
    """One spec error per problem, each naming the parameter the client sent."""
    lines = []
    for field, messages in error.message_dict.items():
        name = PARAMETERS.get(field, field)
        lines += [f"{name}: {message}" for message in messages]
    return Open311Error(400, *lines)
