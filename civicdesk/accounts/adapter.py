"""allauth, adapted: account e-mails go through the outbox like every other message, and a browser
an account has signed in from before is not shut out by failures typed elsewhere (device cookie)."""

import secrets

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.utils import filter_users_by_email
from allauth.core import context as allauth_context
from allauth.core.internal import ratelimit
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.utils import translation

from civicdesk.notify.outbox import queue_account_email

# OWASP's "device cookie": a signed, HttpOnly cookie naming the account that last signed in here.
DEVICE_COOKIE = "civicdesk_device"
DEVICE_COOKIE_SALT = "civicdesk.accounts.device"
DEVICE_COOKIE_MAX_AGE = 365 * 24 * 60 * 60


def device_key(request, login):
    """The per-(account, device) throttle key when this browser's device cookie names the account
    being signed in to, else None (no cookie, a forged or expired one, or another account's)."""
    value = request.get_signed_cookie(
        DEVICE_COOKIE, default=None, salt=DEVICE_COOKIE_SALT, max_age=DEVICE_COOKIE_MAX_AGE
    )
    if not value or not login:
        return None
    user_pk, _, device = value.partition(":")
    # Looked up only for a browser with a valid cookie: no new hint about who has an account.
    if not device or user_pk not in {str(user.pk) for user in filter_users_by_email(login)}:
        return None
    return f"device:{user_pk}:{device}"


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix, email, context):
        """Render with allauth's own templates, then store instead of sending.

        allauth would send in the request: with SMTP down, a sign-up or a password reset answered 500
        and its e-mail was lost. From the outbox it goes, with retries, once SMTP answers again.
        These are e-mails the person asked for, so they go whatever their contact preference.
        """
        request = allauth_context.request
        ctx = {"request": request, "email": email, "current_site": get_current_site(request), **context}
        message = self.render_mail(template_prefix, email, ctx)
        queue_account_email(email, message.subject, message.body, translation.get_language())

    def pre_authenticate(self, request, **credentials):
        """The `login_failed` throttle, with the account's window swapped for the device's.

        allauth counts failures per address and per account (the e-mail typed). The per-account
        window is what anyone can fill from anywhere to keep a known account out. From a browser
        whose device cookie names that account, the same rates apply with the account's window
        replaced by this (account, device) pair's own: the address windows are the very same
        counters, and a guesser holding no such cookie cannot fill the owner's window.
        """
        key = device_key(request, credentials.get("email", credentials.get("username", "")))
        if key is None:
            return super().pre_authenticate(request, **credentials)
        # Kept where allauth's authenticate() looks for it, so a success rolls the attempt back.
        self._login_failed_rl_usage = ratelimit.consume(
            request, app="allauth.account", action="login_failed", key=key
        )
        if not self._login_failed_rl_usage:
            raise self.validation_error("too_many_login_attempts")

    def post_login(self, request, user, **kwargs):
        """Every completed sign-in (after the second factor, if any) gives this browser a device
        cookie for the account, with a fresh device id."""
        response = super().post_login(request, user, **kwargs)
        response.set_signed_cookie(
            DEVICE_COOKIE,
            f"{user.pk}:{secrets.token_urlsafe(16)}",
            salt=DEVICE_COOKIE_SALT,
            max_age=DEVICE_COOKIE_MAX_AGE,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
        return response
