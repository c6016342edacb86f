from itertools import groupby

from django.shortcuts import get_object_or_404, render

from civicdesk.cases.models import Case, Service


def home(request):
    services = Service.objects.filter(active=True).order_by("group", "name")
    groups = [(group, list(items)) for group, items in groupby(services, key=lambda s: s.localized("group"))]
    return render(request, "portal/home.html", {"groups": groups})


def track(request, token):
    case = get_object_or_404(Case.objects.select_related("service"), tracking_token=token)
    events = case.public_events().order_by("created_at", "id")
    return render(request, "portal/track.html", {"case": case, "events": events})
