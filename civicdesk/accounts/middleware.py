"""Session rules for city staff: an idle session ends, and work needs a second factor.

Both apply to browser sessions only. A Bearer-token API call carries no session identity
(`request.user` is anonymous until the API's own auth runs), so neither rule touches it.
"""

from urllib.parse import urlencode, urlsplit

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

LAST_SEEN_KEY = "civicdesk_last_seen"
# The last-seen time is written at most this often, so a busy session is not saved on every request.
LAST_SEEN_RESOLUTION_SECONDS = 60
# Factors that count as a second factor (recovery codes alone are a backup, not a factor).
SECOND_FACTORS = [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]


def _is_staff_session(request):
    user = getattr(request, "user", None)
    return user is not None and user.is_authenticated and user.is_city_staff


class StaffIdleTimeoutMiddleware:
    """Sign a staff user out after STAFF_IDLE_TIMEOUT_MINUTES without a request.

    The request then goes on as an anonymous one, so every kind of page answers the way it does to
    a stranger (a staff page redirects to sign-in, the API answers 401).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        timeout = settings.STAFF_IDLE_TIMEOUT_MINUTES * 60
        if timeout > 0 and _is_staff_session(request):
            now = int(timezone.now().timestamp())
            last_seen = request.session.get(LAST_SEEN_KEY)
            if last_seen is not None and now - last_seen > timeout:
                logout(request)
                messages.info(
                    request,
                    _("You were signed out after %(minutes)d minutes without activity. Please sign in again.")
                    % {"minutes": settings.STAFF_IDLE_TIMEOUT_MINUTES},
                )
                if request.headers.get("HX-Request"):
                    return _send_whole_page_to_sign_in(request)
            elif last_seen is None or now - last_seen >= LAST_SEEN_RESOLUTION_SECONDS:
                request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)


def _send_whole_page_to_sign_in(request):
    """htmx would swap the sign-in page into a fragment of the workspace; move the page instead,
    coming back to the page the person was on."""
    current = urlsplit(request.headers.get("HX-Current-URL", ""))
    page = current.path + (f"?{current.query}" if current.query else "")
    if not page.startswith("/") or page.startswith("//"):
        page = reverse("staff-queue")
    response = HttpResponse(status=204)
    response["HX-Redirect"] = f"{reverse('account_login')}?{urlencode({'next': page})}"
    return response


def _exempt_prefixes():
    """Where a staff user without a second factor may still go: setting one up, signing out."""
    return (
        reverse("mfa_index"),  # /accounts/2fa/: activation of TOTP, keys, recovery codes
        # allauth adds no factor while one of the person's addresses is unverified: they must be able
        # to resend the confirmation (or remove the address) and follow its link, or they never get in.
        reverse("account_email"),
        reverse("account_confirm_email", kwargs={"key": "-"}).removesuffix("-/"),  # and the "sent" page
        reverse("account_logout"),
        reverse("account_reauthenticate"),
        reverse("set_language"),
        settings.STATIC_URL if settings.STATIC_URL.startswith("/") else f"/{settings.STATIC_URL}",
        "/healthz",
    )


def _is_token_call(request):
    """The API authenticates a Bearer token before any session cookie sent with it."""
    return request.path.startswith("/api/") and request.headers.get("Authorization", "").startswith("Bearer ")


class StaffMFARequiredMiddleware:
    """With MFA_REQUIRED_FOR_STAFF, a signed-in staff user without TOTP or a security key is sent
    to set one up before anything else (the API answers 403 with the JSON error shape instead)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            settings.MFA_REQUIRED_FOR_STAFF
            and _is_staff_session(request)
            and not request.path.startswith(_exempt_prefixes())
            and not _is_token_call(request)
            and not Authenticator.objects.filter(user=request.user, type__in=SECOND_FACTORS).exists()
        ):
            return self._refuse(request)
        return self.get_response(request)

    def _refuse(self, request):
        message = _("Staff accounts need two-factor authentication. Set it up to continue.")
        if request.path.startswith("/api/"):
            return JsonResponse({"error": {"code": "mfa_required", "message": message}}, status=403)
        messages.warning(request, message)
        return redirect("mfa_index")
