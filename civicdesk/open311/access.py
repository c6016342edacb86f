"""Who is calling: API keys, rate limits per key and per client address, the jurisdiction."""

from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from civicdesk.lib.ratelimit import client_ip, hit

from .models import ApiKey
from .params import Open311Error, value


def jurisdiction():
    return settings.OPEN311_JURISDICTION or urlsplit(settings.SITE_URL).hostname or "localhost"


def check_jurisdiction(data):
    given = value(data, "jurisdiction_id")
    if given is not None and given != jurisdiction():
        raise Open311Error(
            404,
            _("jurisdiction_id: this server answers only for “%(ours)s”, not “%(given)s”.")
            % {"ours": jurisdiction(), "given": given},
        )


def required_key(request):
    """The caller's active API key, or 403.

    Read from the POST body only: a key in the query string ends up in access logs and proxies.
    """
    given = value(request.POST, "api_key")
    if given is None and value(request.GET, "api_key") is not None:
        raise Open311Error(403, _("api_key: send the API key in the POST body, not in the query string."))
    if given is None:
        raise Open311Error(403, _("api_key: an API key is required to submit requests."))
    key = ApiKey.objects.find(given)
    if key is None:
        raise Open311Error(403, _("api_key: this API key is not valid or has been revoked."))
    key.touch()
    return key


def throttle_read(request, data):
    """A valid key reads at its own rate; everyone else shares a limit per client address."""
    given = value(data, "api_key")
    key = ApiKey.objects.find(given) if given else None
    if key is not None:
        throttle(key)
    else:
        _wait("open311-read", client_ip(request), settings.OPEN311_GET_RATE)


def throttle(key):
    _wait("open311-key", key.pk, key.rate)


def _wait(scope, ident, rate):
    wait = hit(scope, ident, rate)
    if wait:
        raise Open311Error(
            429,
            _("Too many requests: wait %(seconds)d seconds and try again.") % {"seconds": wait},
            headers={"Retry-After": str(wait)},
        )
