"""Open data: every case's public facts, for anyone, as CSV, JSON or GeoJSON.

Only the open-data columns leave (the disclosure policy's): no reporter data, no descriptions (free text
residents write often names people or gives a phone number), no addresses and no internal notes;
points are rounded to a block. Downloads are rate-limited per account, or per client address for
anonymous visitors; city staff are not limited.
"""

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from civicdesk.cases import disclosure
from civicdesk.cases.disclosure import Audience
from civicdesk.cases.models import Case, Service
from civicdesk.cases.queries import filter_cases, read_filters
from civicdesk.lib.ratelimit import client_ip, hit

from .export import KINDS, Exporter, fields_for, response

CACHE_SECONDS = 3600
# The filters open data offers, read like every list's (cases.queries), under the names it documents.
FILTERS = ("created_from", "created_to", "service")
ALIASES = {"since": "created_from", "until": "created_to"}


@require_GET
def show_open_data(request):
    context = {
        "fields": fields_for(Audience.OPEN_DATA),
        "decimals": disclosure.view(Audience.OPEN_DATA).decimals,
        # Services that have cases; EXISTS is one index probe per service, not a scan of the cases.
        "services": Service.objects.filter(Exists(Case.objects.filter(service=OuterRef("pk")))).order_by(
            "code"
        ),
    }
    reply = render(request, "transfer/open_data.html", context)
    patch_cache_control(reply, public=True, max_age=CACHE_SECONDS)
    return reply


@require_GET
def download_cases(request, kind):
    if kind not in KINDS:
        raise Http404
    wait = _throttle(request)
    if wait:
        return _too_many(wait)
    cases, error = _filtered(request.GET)
    if error:
        return HttpResponse(error + "\n", status=400, content_type="text/plain; charset=utf-8")
    reply = response(Exporter(Audience.OPEN_DATA), cases, kind, "cases")
    patch_cache_control(reply, public=True, max_age=CACHE_SECONDS)
    return reply


def _throttle(request):
    """Seconds to wait, or 0. Anyone may sign up as a resident, so only city staff go unlimited."""
    user = request.user
    if not user.is_authenticated:
        return hit("open-data", client_ip(request), settings.OPEN_DATA_RATE)
    if user.is_city_staff:
        return 0
    return hit("open-data", f"user-{user.pk}", settings.OPEN_DATA_RATE)


def _too_many(wait):
    minutes = wait // 60 + 1
    text = ngettext(
        "Too many downloads. Please try again in %(minutes)d minute.",
        "Too many downloads. Please try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}
    reply = HttpResponse(text + "\n", status=429, content_type="text/plain; charset=utf-8")
    reply["Retry-After"] = str(wait)
    return reply


def _filtered(params):
    """(cases, None) for valid `since`, `until` and `service` filters, else (None, a clear message)."""
    parsed = read_filters(params, names=FILTERS, aliases=ALIASES)
    if parsed.errors:
        return None, next(iter(parsed.errors.values()))[0]
    values = parsed.values
    since, until = values.get("created_from"), values.get("created_to")
    if since and until and since > until:
        return None, _("“since” (%(since)s) is after “until” (%(until)s).") % {"since": since, "until": until}
    code = values.get("service")
    if code and not Service.objects.filter(code=code).exists():
        return None, _("There is no service with the code “%(code)s”; the open data page lists them.") % {
            "code": code
        }
    return filter_cases(Case.objects.all(), values, user=None), None
