"""The resident directory in the staff workspace: search, the resident's page (every case on every
channel, contact points, preferences), merge with confirmation, and undo.

Every page here shows contact details, so only roles allowed to see them enter ("view_residents",
the view_contact roles) and each page records that this person looked (ResidentEvent).
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from civicdesk.cases import permissions
from civicdesk.residents import actions, directory
from civicdesk.residents.models import Resident, ResidentEvent, ResidentEventKind

from .base import _get_case_for_staff, _visible_cases, render_page, staff_required

CASES_SHOWN = 200


class MergeForm(forms.Form):
    other = forms.IntegerField(
        label=gettext_lazy("Number of the duplicate resident to merge into this one"),
        min_value=1,
        help_text=gettext_lazy("Shown as “Resident number” on each resident's page."),
    )


def _require(user, action):
    if not permissions.can(user, action):
        raise PermissionDenied


def _sees(request, resident):
    """Staff limited to their departments (supervisors) see a resident only through one of the
    resident's cases they may see, as they would see the same contact details on that case."""
    user = request.user
    return user.sees_all_departments or (directory.cases_of(resident) & _visible_cases(request)).exists()


def _resident(request, pk):
    """The resident `pk` if this user may see it; 404 otherwise, as a case outside one's departments."""
    resident = get_object_or_404(Resident.objects.select_related("account", "merged_into"), pk=pk)
    if not _sees(request, resident):
        raise Http404
    return resident


@require_GET
@staff_required
def list_residents(request):
    _require(request.user, "view_residents")
    query = request.GET.get("q", "").strip()[:254]
    results = list(directory.search(query)[: directory.SEARCH_RESULTS]) if query else None
    if results and not request.user.sees_all_departments:
        results = [resident for resident in results if _sees(request, resident)]
    if results:
        actions.record_contact_view(request.user, results)
    context = {"query": query, "results": results, "section": "residents"}
    return render_page(request, "staff/residents.html", context)


@require_GET
@staff_required
def show_resident(request, pk):
    _require(request.user, "view_residents")
    return _show(request, _resident(request, pk), MergeForm())


def _show(request, resident, merge_form, status=200):
    """The resident's page; showing it is recorded, as every showing of contact details is."""
    actions.record_contact_view(request.user, [resident])
    return render_page(request, "staff/resident.html", _context(request, resident, merge_form), status=status)


def _context(request, resident, merge_form):
    cases = directory.cases_of(resident) & _visible_cases(request)
    cases = cases.select_related("service", "department").order_by("-created_at")
    merges = resident.events.filter(kind=ResidentEventKind.MERGED).select_related("other", "undone_by")
    return {
        "resident": resident,
        "contact_points": list(resident.contact_points.all()),
        "cases": list(cases[:CASES_SHOWN]),
        "cases_limit": CASES_SHOWN,
        "merges": list(merges),
        "merge_form": merge_form,
        "may_manage": permissions.can(request.user, "manage_residents"),
        "section": "residents",
    }


@require_POST
@staff_required
def merge_resident(request, pk):
    """First POST: a confirmation page naming both residents. The confirmed POST merges."""
    _require(request.user, "manage_residents")
    target = _resident(request, pk)
    form = MergeForm(request.POST)
    source = None
    if form.is_valid():
        source = Resident.objects.filter(pk=form.cleaned_data["other"]).first()
        if source is None or not _sees(request, source):
            form.add_error("other", _("There is no resident with this number."))
            source = None
        elif source.pk == target.pk:
            form.add_error("other", _("A resident cannot be merged into itself."))
            source = None
    if source is None:
        return _show(request, target, form, status=400)
    if request.POST.get("confirm") != "yes":
        actions.record_contact_view(request.user, [source])
        context = {"resident": target, "source": source, "section": "residents"}
        context["source_points"] = list(source.contact_points.all())
        return render_page(request, "staff/resident_merge.html", context)
    try:
        actions.merge(request.user, source, target)
    except ValidationError as error:
        for message in error.messages:
            form.add_error(None, message)
        return _show(request, target, form, status=400)
    messages.success(request, _("Resident %(source)s was merged into this one.") % {"source": source.pk})
    return redirect("staff-resident", target.pk)


@require_POST
@staff_required
def undo_merge(request, pk, event_id):
    _require(request.user, "manage_residents")
    event = get_object_or_404(ResidentEvent, pk=event_id, resident_id=pk, kind=ResidentEventKind.MERGED)
    try:
        actions.unmerge(request.user, event)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("staff-resident", pk)
    messages.success(
        request, _("The merge was undone: resident %(id)s stands alone again.") % {"id": event.other_id}
    )
    return redirect("staff-resident", pk)


@require_POST
@staff_required
def open_for_case(request, number):
    """ "Open resident" on a case page: the resident behind its reporter, made when there is none."""
    _require(request.user, "view_residents")
    case = _get_case_for_staff(request, number)
    try:
        resident = directory.resident_for(
            email=case.reporter_email,
            phone=case.reporter_phone,
            account=case.reporter,
            name=case.reporter_name,
            language=case.language,
            source="staff",
        )
    except ValidationError:
        messages.error(request, _("This case has no reporter contact details to find a resident by."))
        return redirect("staff-case", case.number)
    return redirect("staff-resident", resident.pk)
