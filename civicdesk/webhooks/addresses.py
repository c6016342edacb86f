"""Where webhooks may go: public internet addresses only, unless settings.WEBHOOK_ALLOW_PRIVATE.

An administrator (or an admin API token) chooses the receiver URL and the start of every answer is
shown in the delivery log, so without this check a subscription could read the cloud metadata
service (169.254.169.254) or any internal system (server-side request forgery). The sender connects
to exactly the addresses `resolve` checked, so a second DNS answer (DNS rebinding) cannot point
elsewhere. Forms and the REST API call `check_url` to refuse such a URL when it is saved.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from civicdesk.lib import hosts

SCHEMES = ("http", "https")


def check_url(url: str) -> None:
    """Raise ValidationError for a receiver URL the sender would refuse; for forms and the REST API."""
    if urlsplit(url).scheme.lower() not in SCHEMES:
        raise ValidationError(_("Enter an address starting with https:// (or http://)."), code="scheme")
    host, _port = _host_and_port(url)
    if settings.WEBHOOK_ALLOW_PRIVATE:
        return  # every address is allowed: no need to look the name up now
    try:
        resolve(url)
    except OSError:
        raise ValidationError(
            _("The host %(host)s could not be found; check the address."),
            code="unknown_host",
            params={"host": host},
        ) from None


def resolve(url: str) -> list[str]:
    """The IP addresses to connect to for `url`, each one checked.

    Raises ValidationError for a refused address (no retry changes that) and OSError when the name
    does not resolve (that may pass: the outbox retries).
    """
    host, port = _host_and_port(url)
    addresses = hosts.resolve(host, port)
    internal = hosts.first_internal(addresses)
    if internal is None or settings.WEBHOOK_ALLOW_PRIVATE:
        return addresses
    if internal == host:
        message = _(
            "%(address)s is an internal address (loopback, private, link-local, reserved or multicast); "
            "webhooks go only to public internet addresses unless the server setting "
            "WEBHOOK_ALLOW_PRIVATE is on."
        )
    else:
        message = _(
            "%(host)s resolves to %(address)s, an internal address (loopback, private, link-local, "
            "reserved or multicast); webhooks go only to public internet addresses unless the server "
            "setting WEBHOOK_ALLOW_PRIVATE is on."
        )
    raise ValidationError(message, code="private_address", params={"host": host, "address": internal})


def _host_and_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError:
        raise ValidationError(
            _("The port in this address is not a number from 0 to 65535."), code="port"
        ) from None
    if not parts.hostname:
        raise ValidationError(_("This address has no host name."), code="host")
    return parts.hostname, port
