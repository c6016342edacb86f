"""What every staff view shares: who may enter, which cases they see, htmx-aware rendering."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme

from civicdesk.cases.models import Case


def staff_required(view):
    """Signed-in city staff only: others are sent to sign in, residents get 403."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not request.user.is_city_staff:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _visible_cases(request):
    return Case.objects.visible_to(request.user)


def _get_case_for_staff(request, number):
    """The case `number` if this user may see it; 404 otherwise, exactly as if it did not exist."""
    queryset = _visible_cases(request).select_related("service", "department", "assignee", "duplicate_of")
    return get_object_or_404(queryset, number=number)


def is_htmx(request):
    """An htmx request for part of a page (not a history restore, which wants the whole page)."""
    return request.headers.get("HX-Request") == "true" and not request.headers.get(
        "HX-History-Restore-Request"
    )


def render_page(request, template, context, *, partial=None, status=200):
    """The whole page, or only `partial` of it for htmx (always 200: htmx swaps only 2xx)."""
    htmx = is_htmx(request) and partial is not None
    name = f"{template}#{partial}" if htmx else template
    response = render(request, name, {**context, "htmx": htmx}, status=200 if htmx else status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def safe_next(request, fallback):
    """The `next` URL from the request when it points inside this site, else `fallback`."""
    target = request.POST.get("next") or request.GET.get("next")
    # A path, never a bare word: redirect() would take that for the name of a view.
    if (
        target
        and target.startswith("/")
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return fallback
