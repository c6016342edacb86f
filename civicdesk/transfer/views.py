"""Open data: every case's public facts, for anyone, as CSV, JSON or GeoJSON.

Only the open-data columns leave (the disclosure policy's): no reporter data, no descriptions (free text
residents write often names people or gives a phone number), no addresses and no internal notes;
points are rounded to a block. Downloads are rate-limited per account, or per client address for
anonymous visitors; city staff are not limited.
"""

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from civicdesk.cases import disclosure
from civicdesk.cases.disclosure import Audience
from civicdesk.cases.models import Case, Service
from civicdesk.lib.dates import FIRST_YEAR, LAST_YEAR, in_range
from civicdesk.lib.ratelimit import client_ip, hit

from .export import KINDS, Exporter, fields_for, response

CACHE_SECONDS = 3600


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
    cases = Case.objects.order_by("created_at", "id")
    days = {}
    for name in ("since", "until"):
        text = params.get(name, "").strip()
        if not text:
            continue
        try:
            days[name] = date.fromisoformat(text) if len(text) == 10 else None
        except ValueError:
            days[name] = None
        if days[name] is None:
            return None, _(
                "“%(name)s” must be a date written YYYY-MM-DD, such as 2024-01-31; got “%(value)s”."
            ) % {
                "name": name,
                "value": text[:40],
            }
        if not in_range(days[name]):
            return None, _(
                "“%(name)s” must be a date in the years %(first)d to %(last)d; got “%(value)s”."
            ) % {
                "name": name,
                "first": FIRST_YEAR,
                "last": LAST_YEAR,
                "value": text,
            }
    if "since" in days and "until" in days and days["since"] > days["until"]:
        return None, _("“since” (%(since)s) is after “until” (%(until)s).") % days
    if "since" in days:
        cases = cases.filter(created_at__gte=_start_of(days["since"]))
    if "until" in days:
        cases = cases.filter(created_at__lt=_start_of(days["until"] + timedelta(days=1)))
    if code := params.get("service", "").strip():
        if not Service.objects.filter(code=code).exists():
            return None, _("There is no service with the code “%(code)s”; the open data page lists them.") % {
                "code": code[:64]
            }
        cases = cases.filter(service__code=code)
    return cases, None


def _start_of(day):
    """Midnight at the start of `day` in the city's time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))
