"""The queue: the cases a person may see, filtered, searched, paged by keyset; bulk actions on them."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from civicdesk.cases import actions, permissions
from civicdesk.cases.actions import StaleCase
from civicdesk.cases.paging import paginate
from civicdesk.cases.queries import (
    COUNT_CAP,
    PAGE_SIZE,
    SEARCH_COUNT_CAP,
    SORTS,
    capped_count,
    default_sort,
    filter_cases,
    mark_rows,
    saved_views,
    sort_keys,
)

from ..forms import BulkForm, QueueFilterForm
from .base import _visible_cases, render_page, safe_next, staff_required

MAX_FAILURES_LISTED = 20


def _filter_data(request):
    data = request.GET.copy()
    if "status" not in data:
        data["status"] = "active"  # a work queue opens on the work still to do
    if data.get("sort") not in SORTS:
        data["sort"] = default_sort(data["status"])
    return data


@require_GET
@staff_required
def show_queue(request):
    user, now = request.user, timezone.now()
    form = QueueFilterForm(_filter_data(request), user=user, sorts=SORTS)
    filters = form.filters()
    sort = filters.pop("sort")
    visible = _visible_cases(request)
    cases = filter_cases(
        visible.select_related("service", "department", "assignee", "clock"), filters, user, now
    )
    page = paginate(
        cases,
        sort_keys(sort),
        after=request.GET.get("after"),
        before=request.GET.get("before"),
        size=PAGE_SIZE,
    )
    context = {
        "form": form,
        "page": page,
        "cases": mark_rows(page.items, now),
        "count": capped_count(cases, SEARCH_COUNT_CAP if "q" in filters else COUNT_CAP),
        "views": _saved_views_with_counts(request, visible, now),
        "bulk": _bulk_form(user),
        "next": request.get_full_path(),
        "section": "queue",
    }
    return render_page(request, "staff/queue.html", context, partial="results")


def _saved_views_with_counts(request, visible, now):
    current = {k: v for k, v in request.GET.items() if v and k not in ("after", "before", "sort")}
    views = []
    for view in saved_views(request.user):
        count = capped_count(filter_cases(visible, view.params, request.user, now))
        views.append({"view": view, "count": count, "current": current == view.params})
    return views


def _bulk_form(user):
    """The bulk-action form, or None when this role may do none of its actions."""
    allowed = [
        a for a in ("assign", "transfer", "change_status", "change_priority") if permissions.can(user, a)
    ]
    if not allowed:
        return None
    form = BulkForm(user=user, prefix="bulk")
    form.allowed = set(allowed)
    return form


# ---------------------------------------------------------------- bulk actions


@require_POST
@staff_required
def update_cases(request):
    """Apply one action to each ticked case, one action call (and event) per case."""
    back = safe_next(request, reverse("staff-queue"))
    form = BulkForm(request.POST, user=request.user, prefix="bulk")
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else error)
        return redirect(back)
    done, failures = _apply_to_each(request, form.cleaned_data)
    _report(request, done, failures)
    return redirect(back)


def _bulk_call(request, data):
    """The action for the chosen bulk operation, as f(case, expected_version)."""
    user = request.user
    match data["action"]:
        case "assign":
            return lambda c, v: actions.assign(c, user, assignee=data["assignee"], expected_version=v)
        case "department":
            return lambda c, v: actions.assign(c, user, department=data["department"], expected_version=v)
        case "status":
            return lambda c, v: actions.change_status(
                c, user, data["status"], reason=data["reason"], expected_version=v
            )
        case _:
            return lambda c, v: actions.change_priority(c, user, data["priority"], expected_version=v)


def _apply_to_each(request, data):
    call = _bulk_call(request, data)
    refs = dict(data["cases"])
    found = {c.number: c for c in _visible_cases(request).filter(number__in=list(refs))}
    done, failures = 0, []
    for number, version in refs.items():
        case = found.get(number)
        if case is None:
            failures.append((number, _("no such case")))
            continue
        try:
            call(case, version)
        except StaleCase:
            failures.append((number, _("changed by someone else since you loaded the list")))
        except PermissionDenied:
            failures.append((number, _("you may not do that to this case")))
        except ValidationError as error:
            failures.append((number, " ".join(m for ms in error.message_dict.values() for m in ms)))
        else:
            done += 1
    return done, failures


def _report(request, done, failures):
    if done:
        messages.success(
            request, ngettext("Updated %(count)d case.", "Updated %(count)d cases.", done) % {"count": done}
        )
    if failures:
        messages.error(
            request,
            ngettext("%(count)d case was not changed:", "%(count)d cases were not changed:", len(failures))
            % {"count": len(failures)},
        )
    for number, reason in failures[:MAX_FAILURES_LISTED]:
        messages.error(request, _("%(number)s: %(reason)s") % {"number": number, "reason": reason})
    if len(failures) > MAX_FAILURES_LISTED:
        messages.error(request, _("…and %(count)d more.") % {"count": len(failures) - MAX_FAILURES_LISTED})
