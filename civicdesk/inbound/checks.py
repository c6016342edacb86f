"""The admin's "send a test" for each channel account (decision 51): a real call on the provider's
wire, answered with what worked or a specific reason it did not (refused credentials, an unreachable
host, a timeout). No secret is ever part of the answer."""

import imaplib
import json
import socket
import ssl
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import replace

from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from imap_tools.errors import MailboxFolderSelectError, MailboxFolderStatusError, MailboxLoginError

from . import config, imap, twilio
from .channel_accounts import check_destination, validate_api_base
from .senders import template

TIMEOUT = 15  # seconds


class CheckFailed(Exception):
    pass


def _hide(text, secrets):
    """Whatever a server or library said, without any of the account's secrets in it."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "•••")
    return text


def _network_reason(error, where):
    """A reason people can act on, for an exception raised while talking to `where`."""
    reason = getattr(error, "reason", error)
    if isinstance(reason, TimeoutError | socket.timeout):
        return _("%(where)s did not answer within %(seconds)s seconds.") % {
            "where": where,
            "seconds": TIMEOUT,
        }
    if isinstance(reason, socket.gaierror):
        return _("%(where)s: no such host.") % {"where": where}
    if isinstance(reason, ConnectionRefusedError):
        return _("%(where)s refused the connection (nothing listens on that port).") % {"where": where}
    if isinstance(reason, ssl.SSLError):
        return _("%(where)s: the TLS handshake failed (%(reason)s).") % {"where": where, "reason": reason}
    return _("%(where)s could not be reached (%(reason)s).") % {"where": where, "reason": reason}


def _reachable(check, *args):
    """The account's destination checked again before connecting: the name may resolve elsewhere
    now than when the account was saved, or the server's settings may have changed."""
    try:
        check(*args)
    except ValidationError as error:
        raise CheckFailed(" ".join(error.messages)) from None


@contextmanager
def _talking_to(where, secrets):
    """Turns what a call to a provider raised into CheckFailed, with the provider's own words when
    it gave them in JSON (anything else is not shown: it may be some other server's page)."""
    try:
        yield
    except urllib.error.HTTPError as error:
        detail = _short(_hide(_provider_message(error.read()[:2000]), secrets))
        values = {"where": where, "code": error.code, "detail": detail}
        if error.code in (401, 403):
            raise CheckFailed(
                _("%(where)s refused the credentials (HTTP %(code)s): %(detail)s") % values
                if detail
                else _("%(where)s refused the credentials (HTTP %(code)s).") % values
            ) from None
        raise CheckFailed(
            _("%(where)s answered HTTP %(code)s: %(detail)s") % values
            if detail
            else _("%(where)s: HTTP %(code)s from the provider.") % values
        ) from None
    except (urllib.error.URLError, OSError) as error:
        raise CheckFailed(_hide(_network_reason(error, where), secrets)) from None
    except ValueError:
        raise CheckFailed(_("%(where)s answered something that is not JSON.") % {"where": where}) from None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is answered as the HTTP error it is: urllib would follow it with the
    Authorization header to wherever it points."""

    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _http(request, where, secrets):
    _reachable(validate_api_base, request.full_url)
    with _talking_to(where, secrets), _opener.open(request, timeout=TIMEOUT) as response:
        return json.loads(response.read() or b"{}")


def _provider_message(body):
    """Twilio's "message", Graph's "error.message", Telegram's "description"; "" when the body is not
    such JSON."""
    try:
        data = json.loads(body)
    except ValueError:
        return ""
    found = ""
    if isinstance(data, dict):
        error = data.get("error")
        found = (
            data.get("message")
            or data.get("description")
            or (error.get("message") if isinstance(error, dict) else error)
        )
    return str(found or "")


def _short(text, limit=160):
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------- IMAP


def check_imap(row):
    account = config.imap_account(row)
    where = f"{account.host}:{account.port}"
    _reachable(check_destination, account.host, account.port)
    try:
        count = imap.check(account, timeout=TIMEOUT)
    except MailboxLoginError:
        raise CheckFailed(
            _("%(where)s refused the login: check the user and password.") % {"where": where}
        ) from None
    except (MailboxFolderSelectError, MailboxFolderStatusError):
        raise CheckFailed(
            _("The folder %(folder)s does not exist on %(where)s.")
            % {"folder": account.folder, "where": where}
        ) from None
    except (OSError, imaplib.IMAP4.error, EOFError) as error:
        raise CheckFailed(_hide(_network_reason(error, where), [account.password])) from None
    return _("Logged in to %(where)s as %(user)s; %(folder)s holds %(count)s messages.") % {
        "where": where,
        "user": account.user,
        "folder": account.folder,
        "count": count,
    }


# ---------------------------------------------------------------- Twilio


def check_twilio(row, to):
    """Sends a real SMS to `to` (E.164) through the account's Messages resource."""
    account = replace(config.twilio_account(row), timeout=TIMEOUT)
    body = _("This is a test message from %(city)s 311.") % {"city": settings.CITY_NAME}
    _reachable(validate_api_base, account.api_base)
    with _talking_to(f"Twilio ({account.api_base})", [account.auth_token]):
        answer = twilio.post_message(account, to, body, status_callback=False)
    return _("Twilio accepted the test message to %(to)s (%(sid)s, %(status)s).") % {
        "to": to,
        "sid": answer.get("sid", "?"),
        "status": answer.get("status", "?"),
    }


# ---------------------------------------------------------------- WhatsApp


def check_whatsapp(row, to, language="en"):
    """Sends the approved template (a number that has not written to us in 24 hours can receive
    nothing else), or a text when the number has no template."""
    account = config.whatsapp_account(row)
    base = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to.lstrip("+")}
    if account.template_name:
        payload = base | template(account, language, "TEST")
    else:
        text = _("This is a test message from %(city)s 311.") % {"city": settings.CITY_NAME}
        payload = base | {"type": "text", "text": {"preview_url": False, "body": text}}
    request = urllib.request.Request(  # noqa: S310 - the admin's API base, validated
        account.messages_url(),
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {account.access_token}"},
        method="POST",
    )
    answer = _http(request, f"WhatsApp ({account.api_base})", [account.access_token, account.app_secret])
    wamid = ((answer.get("messages") or [{}])[0]).get("id", "?")
    return _("WhatsApp accepted the test message to %(to)s (%(id)s).") % {"to": to, "id": wamid}


# ---------------------------------------------------------------- Telegram


def telegram_webhook_url(row=None):
    """Where Telegram must post this bot's updates: its own URL, or the environment bot's."""
    if row is None:
        return settings.SITE_URL + reverse("inbound-telegram")
    return settings.SITE_URL + reverse("inbound-telegram-bot", args=[row.pk])


def check_telegram(row, register=False):
    """getMe, then getWebhookInfo: is the bot's webhook this site's URL for it? With `register`,
    setWebhook first, with our URL and the stored secret (which nobody can read back)."""
    bot = config.telegram_account(row)
    secrets = [bot.bot_token, bot.webhook_secret]
    ours = telegram_webhook_url(row)

    def call(method, payload=None):
        request = urllib.request.Request(  # noqa: S310 - the admin's API base, validated
            bot.method_url(method),
            data=json.dumps(payload or {}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        answer = _http(request, f"Telegram ({bot.api_base})", secrets)
        if answer.get("ok") is not True:
            raise CheckFailed(
                _("Telegram refused %(method)s: %(detail)s")
                % {"method": method, "detail": _short(_hide(str(answer.get("description", "")), secrets))}
            )
        return answer.get("result") or {}

    me = call("getMe")
    if register:
        call("setWebhook", {"url": ours, "secret_token": bot.webhook_secret, "allowed_updates": ["message"]})
    webhook = call("getWebhookInfo").get("url", "")
    name = me.get("username", "?")
    if webhook == ours:
        return True, _("Bot @%(name)s answers, and its webhook is this site (%(url)s).") % {
            "name": name,
            "url": ours,
        }
    return False, _(
        "Bot @%(name)s answers, but its webhook is %(webhook)s, not this site's %(url)s: messages to the bot "
        "do not reach CivicDesk. Run the test again with the box to point the webhook here ticked."
    ) % {"name": name, "webhook": webhook or _("not set"), "url": ours}
