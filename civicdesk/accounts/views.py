"""The admin site signs in through allauth, so it has the same throttle and second factor."""

from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


def admin_login(request):
    """Replace Django's admin login form (no throttle, no MFA) with a redirect to allauth's."""
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    next_url = next_url or reverse("admin:index")
    if request.user.is_authenticated:
        if request.user.is_active and request.user.is_staff:
            return redirect(next_url)
        # Signed in without the administrator role: sending them to sign in would loop back here.
        raise PermissionDenied
    return redirect(f"{resolve_url('account_login')}?{urlencode({'next': next_url})}")
