"""Who is calling: a Bearer token, a signed-in browser session, or (for public data) nobody.

Every caller is then rate-limited (per token, per session user, per client address for anonymous
callers and for failed token attempts) and gets a `Caller`: the user whose role rules apply, plus
the token's narrowing. The user follows exactly the rules of the pages (cases.permissions).
"""

from dataclasses import dataclass
from functools import cached_property

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from civicdesk.cases.models import Case
from civicdesk.lib.credentials import hash_secret
from civicdesk.lib.ratelimit import client_ip, hit

from .errors import ApiError
from .models import ApiToken

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@dataclass
class Caller:
    user: object  # a User, or AnonymousUser for public data
    token: ApiToken | None = None

    @property
    def key(self) -> str:
        """Whose counters and idempotency keys these are."""
        return f"token:{self.token.pk}" if self.token else f"user:{self.user.pk}"

    @property
    def is_staff(self) -> bool:
        return self.user.is_authenticated and self.user.is_city_staff

    @cached_property
    def department_ids(self) -> list[int] | None:
        """The token's department restriction; None when it has none."""
        if self.token is None:
            return None
        ids = list(self.token.departments.values_list("pk", flat=True))
        return ids or None

    def cases(self):
        """The cases this caller may see: the role's (staff) or their own reports (residents)."""
        if self.is_staff:
            cases = Case.objects.visible_to(self.user)
        elif self.user.is_authenticated:
            cases = Case.objects.filter(reporter=self.user)
        else:
            return Case.objects.none()
        if self.department_ids is not None:
            cases = cases.filter(department__in=self.department_ids)
        return cases


def _limit(scope_key: str):
    wait = hit("api", scope_key, settings.API_RATE)
    if wait:
        raise ApiError(
            429,
            "rate_limited",
            _("Too many requests. Try again in %(seconds)d seconds.") % {"seconds": wait},
            headers={"Retry-After": str(wait)},
        )


def _check_scope(request, caller: Caller):
    if request.method not in SAFE_METHODS and caller.token is not None and not caller.token.can_write:
        raise ApiError(403, "insufficient_scope", _("This API token may only read. Use a write token."))


class BearerAuth(HttpBearer):
    """`Authorization: Bearer <token>`. A token that is wrong, revoked or expired is refused (401)."""

    def authenticate(self, request, token):
        found = ApiToken.objects.select_related("user").filter(token_hash=hash_secret(token)).first()
        problem = found.problem() if found else _("This API token is not valid.")
        if problem:
            _limit(f"ip:{client_ip(request)}")  # guessing tokens is slow
            raise ApiError(
                401, "invalid_token", problem, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}
            )
        caller = Caller(found.user, found)
        _limit(caller.key)
        _check_scope(request, caller)
        found.touch(timezone.now())
        return caller


class SessionAuth(APIKeyCookie):
    """A signed-in browser. Unsafe methods need Django's CSRF token, as every form does."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self):
        super().__init__(csrf=True)

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if request.method not in SAFE_METHODS and check_csrf(request):
            raise ApiError(
                403, "csrf_failed", _("Send the CSRF token (X-CSRFToken header) with a signed-in session.")
            )
        caller = Caller(user)
        _limit(caller.key)
        return caller

    def authenticate(self, request, key):  # pragma: no cover - __call__ does the work
        return None


def anonymous(request):
    """Public data (services, departments, areas) needs no sign-in; counted per client address."""
    _limit(f"ip:{client_ip(request)}")
    return Caller(request.user)


bearer = BearerAuth()
session = SessionAuth()
SIGNED_IN = [bearer, session]
PUBLIC = [bearer, session, anonymous]
