"""Open311 GeoReport v2 (plus the page/extensions and mySociety servicerequestupdates extensions).

Every view takes the format from the URL suffix and answers problems with the spec's error body:
404 for what does not exist, 403 for a missing or bad api_key, 429 over a rate limit, 400 otherwise.
"""

from functools import wraps

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db.models import Count
from django.http.multipartparser import MultiPartParserError
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from civicdesk.cases import disclosure
from civicdesk.cases.disclosure import Audience
from civicdesk.cases.models import Attachment, Case, CaseEvent, EventKind, Service
from civicdesk.cases.workflow import ACTIVE, FINISHED
from civicdesk.lib import badinput

from . import access, serialize, submit
from .formats import errors, respond
from .models import Submission
from .params import Open311Error, read_query, value

CHANGESET = "2026-05-01T00:00:00+00:00"  # when this endpoint's behaviour last changed
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
MAX_FORM_BYTES = 256 * 1024
PATH_NAMES = {"number": "service_request_id", "code": "service_code"}  # URL parts in Open311's words


def endpoint(*methods):
    """Method check, safe parameter parsing, language, jurisdiction and errors for one view."""

    def decorate(view):
        @csrf_exempt
        @wraps(view)
        def wrapper(request, fmt="xml", **kwargs):
            try:
                data = _data(request, methods)
                _refuse_nul(data, kwargs)
                with translation.override(_language(data)):
                    try:
                        access.check_jurisdiction(data)
                        return view(request, fmt, data, **kwargs)
                    except Open311Error as error:
                        return _error_response(fmt, error)
            except Open311Error as error:
                return _error_response(fmt, error)

        return wrapper

    return decorate


def _error_response(fmt, error):
    response = errors(fmt, error.status, error.descriptions)
    for header, content in error.headers.items():
        response[header] = content
    return response


def _data(request, methods):
    """GET and POST parameters in one QueryDict (a name in both: POST only); bad bodies are 400/413."""
    allowed = [*methods, "HEAD"] if "GET" in methods else list(methods)
    if request.method not in allowed:
        raise Open311Error(
            405,
            _("Method %(method)s is not allowed here; use %(allowed)s.")
            % {"method": request.method, "allowed": ", ".join(methods)},
            headers={"Allow": ", ".join(allowed)},
        )
    try:
        if request.method != "POST":
            return request.GET.copy()
        _check_body(request)
        data = request.POST.copy()
        for name, values in request.GET.lists():
            if name not in data:
                data.setlist(name, values)
    except RequestDataTooBig:
        raise Open311Error(413, _("The request is too large.")) from None
    except (TooManyFieldsSent, TooManyFilesSent):
        raise Open311Error(400, _("The request has too many fields.")) from None
    except (MultiPartParserError, UnicodeDecodeError, ValueError):
        raise Open311Error(400, _("The request body could not be read as form data.")) from None
    return data


def _check_body(request):
    if request.content_type not in FORM_TYPES:
        raise Open311Error(
            400, _("Send the request as application/x-www-form-urlencoded or multipart/form-data.")
        )
    charset = request.content_params.get("charset")
    if not badinput.utf8_charset(request):
        raise Open311Error(
            400,
            _("charset: send the form in UTF-8, not “%(charset)s”.") % {"charset": charset[:40]},
        )
    if charset:
        request.encoding = "utf-8"  # "UTF8" and other aliases: Django itself accepts only "utf-8"
    limit = MAX_FORM_BYTES
    if request.content_type == "multipart/form-data":
        limit += settings.ATTACHMENT_MAX_BYTES
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        raise Open311Error(413, _("The request is too large: at most %(size)d bytes.") % {"size": limit})
    if (
        request.content_type == badinput.FORM
        and (name := badinput.undecodable_field(request.body)) is not None
    ):
        raise Open311Error(400, _("%(field)s: the value is not UTF-8 text.") % {"field": name[:80]})


def _refuse_nul(data, kwargs):
    """NUL in a parameter or the address: PostgreSQL cannot store or even look it up (a 500)."""
    path = [(PATH_NAMES.get(key, key), text) for key, text in kwargs.items()]
    name = badinput.nul_field([*((k, v) for k, values in data.lists() for v in values), *path])
    if name is not None:
        raise Open311Error(400, _("%(field)s: remove the NUL character.") % {"field": name[:80]})


def _language(data):
    wanted = (value(data, "locale") or "").replace("_", "-").lower()[:2]
    codes = {code for code, _name in settings.LANGUAGES}
    return wanted if wanted in codes else translation.get_language()


def _read(view):
    """Reads are rate-limited per client address (or per API key when one is given)."""

    @wraps(view)
    def wrapper(request, fmt, data, **kwargs):
        access.throttle_read(request, data)
        return view(request, fmt, data, **kwargs)

    return wrapper


# ---------------------------------------------------------------- discovery and services


@endpoint("GET")
@_read
def discovery(request, fmt, data):
    city = settings.CITY_NAME
    body = {
        "changeset": CHANGESET,
        "contact": settings.OPEN311_CONTACT or _("%(city)s 311") % {"city": city},
        "key_service": settings.OPEN311_KEY_SERVICE
        or _("Ask %(city)s 311 for an API key to submit requests.") % {"city": city},
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": settings.SITE_URL + "/open311/v2",
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return respond(fmt, "discovery", body)


@endpoint("GET")
@_read
def services(request, fmt, data):
    items = Service.objects.filter(active=True).annotate(attribute_count=Count("attributes"))
    return respond(fmt, "services", [serialize.service(s) for s in items.order_by("group", "name", "code")])


@endpoint("GET")
@_read
def service_definition(request, fmt, data, code):
    service = Service.objects.filter(code=code, active=True).prefetch_related("attributes").first()
    if service is None:
        raise Open311Error(404, _("service_code: there is no service “%(code)s”.") % {"code": code[:64]})
    return respond(fmt, "service_definition", serialize.definition(service))


# ---------------------------------------------------------------- requests


@endpoint("GET", "POST")
def requests(request, fmt, data):
    if request.method == "POST":
        return submit.create(request, fmt, data)
    access.throttle_read(request, data)
    query = read_query(data)
    return respond(fmt, "service_requests", _page(_cases(query), query.extensions))


@endpoint("GET")
@_read
def request_detail(request, fmt, data, number):
    cases = _with_relations(Case.objects.filter(number=number))
    if not cases:
        raise Open311Error(404, _("service_request_id: there is no request “%(id)s”.") % {"id": number[:40]})
    extensions = read_query(data).extensions
    return respond(fmt, "service_requests", _page(cases, extensions))


@endpoint("GET")
@_read
def token(request, fmt, data, token):
    submission = Submission.objects.filter(token=token).select_related("case").first()
    if submission is None:
        raise Open311Error(404, _("token: there is no request with this token."))
    return respond(
        fmt, "service_requests", [{"service_request_id": submission.case.number, "token": submission.token}]
    )


# Only what the serializer reads: at 50 rows a page, building wide model rows costs more than the query.
FIELDS = (
    *("number", "description", "latitude", "longitude", "address", "status", "status_reason", "channel"),
    *("areas", "source_id", "created_at", "updated_at", "expected_at", "parent_id", "duplicate_of_id"),
    *("service__code", "service__name", "service__translations"),
    *("department__name", "department__translations", "open311_submission__address_id"),
)


def _with_relations(cases):
    related = ("service", "department", "open311_submission")
    return cases.select_related(*related).only(*FIELDS).order_by("-created_at", "-id")


def _cases(query):
    cases = Case.objects.all()
    if query.ids:  # the spec: a list of ids overrides every other filter
        return list(_with_relations(cases.filter(number__in=query.ids)))
    if query.service_codes:
        cases = cases.filter(service__in=_service_ids(query.service_codes))
    if query.statuses in (["open"], ["closed"]):
        cases = cases.filter(status__in=sorted(ACTIVE if query.statuses == ["open"] else FINISHED))
    for lookup, moment in (
        ("created_at__gte", query.start),
        ("created_at__lte", query.end),
        ("updated_at__gte", query.updated_after),
        ("updated_at__lte", query.updated_before),
    ):
        if moment is not None:
            cases = cases.filter(**{lookup: moment})
    return list(_with_relations(cases)[query.offset : query.offset + query.page_size])


def _service_ids(codes):
    found = dict(Service.objects.filter(code__in=codes).values_list("code", "pk"))
    if missing := [code for code in codes if code not in found]:
        raise Open311Error(
            400, _("service_code: there is no service “%(code)s”.") % {"code": missing[0][:64]}
        )
    return list(found.values())


def _page(cases, extensions):
    """Serialize a page of cases with two more queries: first public photos and, with extensions, notes."""
    ids = [case.pk for case in cases]
    photos = {}
    for case_id, photo_id in (
        disclosure.photos(Attachment.objects.filter(case_id__in=ids), Audience.OPEN311)
        .order_by("-created_at", "-id")
        .values_list("case_id", "pk")
    ):
        photos[case_id] = photo_id  # the last one written is the earliest photo
    notes, numbers = {}, {}
    if extensions:
        linked = {c.parent_id for c in cases} | {c.duplicate_of_id for c in cases}
        numbers = dict(Case.objects.filter(pk__in=linked - {None}).values_list("pk", "number"))
        events = disclosure.events(CaseEvent.objects.filter(case_id__in=ids), Audience.OPEN311).only(
            "case_id", "created_at", "kind", "changes"
        )
        for event in events.order_by("created_at", "id"):
            notes.setdefault(event.case_id, []).append(serialize.note(event))
    return [
        serialize.request(case, photos.get(case.pk), notes.get(case.pk, []) if extensions else None, numbers)
        for case in cases
    ]


# ---------------------------------------------------------------- mySociety's servicerequestupdates

UPDATE_KINDS = [EventKind.ACKNOWLEDGED, EventKind.STATUS, EventKind.REOPENED]


@endpoint("GET")
@_read
def updates(request, fmt, data):
    """Public status changes in a time window, oldest first, for clients that sync (FixMyStreet)."""
    query = read_query(data)
    events = disclosure.events(CaseEvent.objects.filter(kind__in=UPDATE_KINDS), Audience.OPEN311)
    events = events.select_related("case")
    if query.start is not None:
        events = events.filter(created_at__gte=query.start)
    if query.end is not None:
        events = events.filter(created_at__lte=query.end)
    page = events.order_by("created_at", "id")[query.offset : query.offset + query.page_size]
    body = [serialize.update(event, event.case.number) for event in page]
    return respond(fmt, "service_request_updates", body)


@csrf_exempt
def not_found(request, path, fmt="xml"):
    return errors(fmt, 404, [_("There is no Open311 resource at this address.")])
