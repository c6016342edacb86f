"""The queue's current list as a file: exactly the cases the filters show, on all pages, streamed."""

from django.http import Http404
from django.utils import timezone
from django.views.decorators.http import require_GET

from civicdesk.cases.disclosure import Audience
from civicdesk.cases.queries import SORTS, filter_cases, sort_keys
from civicdesk.transfer.export import KINDS, Exporter, response

from ..forms import QueueFilterForm
from .base import _visible_cases, staff_required
from .queue import _filter_data


@require_GET
@staff_required
def export_cases(request, kind):
    """CSV, JSON or GeoJSON of the queue as filtered and sorted; no reporter contact details."""
    if kind not in KINDS:
        raise Http404
    form = QueueFilterForm(_filter_data(request), user=request.user, sorts=SORTS)
    filters = form.filters()
    sort = filters.pop("sort")
    cases = filter_cases(_visible_cases(request), filters, request.user, timezone.now())
    return response(Exporter(Audience.STAFF), cases, kind, "cases", keys=sort_keys(sort))
