"""Which channel account applies (decision 51): the one place that reads the accounts configured in
the admin and the environment's (INBOUND_IMAP_*, TWILIO_*, WHATSAPP_*, TELEGRAM_*). Callers get plain
values with the secrets in clear and never read those settings themselves.

The environment's account, when its secret is set, is listed first and is the default; the admin's
active rows follow. An inbound message names the account it came to (the `To` number, WhatsApp's
phone_number_id, the bot's URL); a reply goes out from the account its resident last wrote to."""

import logging
from dataclasses import dataclass, field

from django.conf import settings

from . import sealed
from .channel_accounts import ImapMailbox, TelegramBot, TwilioNumber, WhatsAppNumber
from .models import InboundMessage

log = logging.getLogger(__name__)
ENV = "env"  # the key of the environment's account


def _secret(row, name):
    """A secret no current key opens counts as unset (its account refuses and says why in the log),
    rather than a 500 on every webhook."""
    try:
        return row.secret(name)
    except sealed.Unreadable:
        log.error(
            "The %s of %s %r cannot be opened with the current keys: enter it again.",
            name,
            row._meta.verbose_name,
            row.name,
        )
        return ""


# ---------------------------------------------------------------- IMAP


@dataclass(frozen=True)
class ImapAccount:
    """A mailbox as `inbound.imap` polls it."""

    host: str
    port: int
    user: str
    password: str = field(repr=False)
    folder: str = "INBOX"
    processed_folder: str = "Processed"
    refused_folder: str = "Refused"
    security: str = "ssl"  # "ssl", "starttls" or "none"
    key: str = "env"  # which configured mailbox (inbound.config): "env" or a row's id


def imap_accounts():
    """Every mailbox `fetchmail` polls: the environment's, then the active rows."""
    return [*env_imap(), *(imap_account(row) for row in ImapMailbox.objects.filter(active=True))]


def env_imap():
    """The environment's mailbox (INBOUND_IMAP_*), as a list of none or one."""
    if not (settings.INBOUND_IMAP_HOST and settings.INBOUND_IMAP_USER):
        return []
    return [
        ImapAccount(
            host=settings.INBOUND_IMAP_HOST,
            port=settings.INBOUND_IMAP_PORT,
            user=settings.INBOUND_IMAP_USER,
            password=settings.INBOUND_IMAP_PASSWORD,
            folder=settings.INBOUND_IMAP_FOLDER,
            processed_folder=settings.INBOUND_IMAP_PROCESSED_FOLDER,
            refused_folder=settings.INBOUND_IMAP_REFUSED_FOLDER,
            security=settings.INBOUND_IMAP_SSL,
            key=ENV,
        )
    ]


def imap_account(row):
    return ImapAccount(
        host=row.host,
        port=row.port,
        user=row.user,
        password=_secret(row, "password"),
        folder=row.folder,
        processed_folder=row.processed_folder,
        refused_folder=row.refused_folder,
        security=row.security,
        key=str(row.pk),
    )


def imap_interval():
    return settings.INBOUND_IMAP_INTERVAL


# ---------------------------------------------------------------- Twilio


@dataclass(frozen=True)
class Twilio:
    key: str
    number: str
    account_sid: str
    auth_token: str = field(repr=False)
    api_base: str
    agent_number: str
    webhook_base: str = field(default_factory=lambda: twilio_webhook_base())
    timeout: float = field(default_factory=lambda: settings.TWILIO_TIMEOUT)

    def can_send(self):
        return bool(self.account_sid and self.auth_token and self.number)


def twilio_webhook_base():
    """Our public URL as Twilio calls it (what it signs), whichever account it calls for."""
    return settings.TWILIO_WEBHOOK_BASE


def twilio_accounts():
    return [*env_twilio(), *(twilio_account(row) for row in TwilioNumber.objects.filter(active=True))]


def env_twilio():
    if not settings.TWILIO_AUTH_TOKEN:
        return []
    return [
        Twilio(
            key=ENV,
            number=settings.TWILIO_FROM,
            account_sid=settings.TWILIO_ACCOUNT_SID,
            auth_token=settings.TWILIO_AUTH_TOKEN,
            api_base=settings.TWILIO_API_BASE,
            agent_number=settings.VOICE_AGENT_NUMBER,
        )
    ]


def twilio_account(row):
    return Twilio(
        key=str(row.pk),
        number=row.number,
        account_sid=row.account_sid,
        auth_token=_secret(row, "auth_token"),
        api_base=row.api_base.rstrip("/"),
        agent_number=row.agent_number or settings.VOICE_AGENT_NUMBER,
    )


def twilio_for(*numbers, sending=False):
    """The account whose number is one of `numbers` (a webhook's To, or From for a status callback
    about a message we sent), else the default; None when no account is configured. `sending`:
    among the accounts that can send only."""
    wanted = {number for number in numbers if number}
    return _pick(twilio_accounts(), lambda a: a.number in wanted, sending)


def twilio_for_reply(phone, case_id=None):
    """The account a text or call from `phone` last came in on (for this case when known), else the
    first that can send."""
    return twilio_for(_came_in_on(["sms", "voice"], phone, case_id), sending=True)


def _pick(accounts, wanted, sending):
    """The first of `accounts` that is `wanted`, else the first (the default). The environment's
    account may hold only what checks webhooks (a verify token, a webhook secret): with `sending`,
    the default is the first account that can send."""
    if sending:
        accounts = [account for account in accounts if account.can_send()]
    return next((a for a in accounts if wanted(a)), accounts[0] if accounts else None)


# ---------------------------------------------------------------- WhatsApp


@dataclass(frozen=True)
class WhatsApp:
    key: str
    phone_number_id: str
    access_token: str = field(repr=False)
    app_secret: str = field(repr=False)
    verify_token: str = field(repr=False)
    template_name: str
    template_languages: dict
    api_base: str
    api_version: str

    def can_send(self):
        return bool(self.access_token and self.phone_number_id)

    def messages_url(self):
        return f"{self.api_base.rstrip('/')}/v{self.api_version}/{self.phone_number_id}/messages"


def whatsapp_accounts():
    return [*env_whatsapp(), *(whatsapp_account(row) for row in WhatsAppNumber.objects.filter(active=True))]


def env_whatsapp():
    if not (settings.WHATSAPP_APP_SECRET or settings.WHATSAPP_ACCESS_TOKEN or settings.WHATSAPP_VERIFY_TOKEN):
        return []
    return [
        WhatsApp(
            key=ENV,
            phone_number_id=settings.WHATSAPP_PHONE_NUMBER_ID,
            access_token=settings.WHATSAPP_ACCESS_TOKEN,
            app_secret=settings.WHATSAPP_APP_SECRET,
            verify_token=settings.WHATSAPP_VERIFY_TOKEN,
            template_name=settings.WHATSAPP_TEMPLATE_NAME,
            template_languages=settings.WHATSAPP_TEMPLATE_LANGUAGES,
            api_base=settings.WHATSAPP_API_BASE,
            api_version=settings.WHATSAPP_API_VERSION,
        )
    ]


def whatsapp_account(row):
    return WhatsApp(
        key=str(row.pk),
        phone_number_id=row.phone_number_id,
        access_token=_secret(row, "access_token"),
        app_secret=_secret(row, "app_secret"),
        verify_token=_secret(row, "verify_token"),
        template_name=row.template_name,
        template_languages=row.languages(),
        api_base=row.api_base,
        api_version=row.api_version,
    )


def whatsapp_for(phone_number_id=None, sending=False):
    """The account of this phone number id, else the default (see `_pick` for `sending`)."""
    wanted = phone_number_id or None  # never an account without one
    return _pick(whatsapp_accounts(), lambda a: a.phone_number_id == wanted, sending)


def whatsapp_for_reply(number, case_id=None):
    return whatsapp_for(_came_in_on(["whatsapp"], number, case_id), sending=True)


# ---------------------------------------------------------------- Telegram


@dataclass(frozen=True)
class Telegram:
    key: str
    bot_token: str = field(repr=False)
    webhook_secret: str = field(repr=False)
    api_base: str

    def can_send(self):
        return bool(self.bot_token)

    def method_url(self, method):
        return f"{self.api_base.rstrip('/')}/bot{self.bot_token}/{method}"


def telegram_bot(key=ENV):
    """The environment's bot (its webhook is /inbound/telegram/), or an active row's (its own URL,
    /inbound/telegram/<id>/); None when there is no such bot."""
    if key == ENV:
        if not (settings.TELEGRAM_BOT_TOKEN or settings.TELEGRAM_WEBHOOK_SECRET):
            return None
        return Telegram(
            ENV, settings.TELEGRAM_BOT_TOKEN, settings.TELEGRAM_WEBHOOK_SECRET, settings.TELEGRAM_API_BASE
        )
    row = TelegramBot.objects.filter(active=True, pk=key).first() if str(key).isdigit() else None
    return telegram_account(row) if row else None


def telegram_account(row):
    return Telegram(str(row.pk), _secret(row, "bot_token"), _secret(row, "webhook_secret"), row.api_base)


def telegram_for_reply(chat_id, case_id=None):
    """The bot the chat last wrote to (no other bot may write to it), else the first that can send:
    the environment's, then the active rows."""
    key = _came_in_on(["telegram"], chat_id, case_id)
    found = telegram_bot(key) if key else None
    if found is not None:
        return found
    bots = [telegram_bot(ENV), *(telegram_account(row) for row in TelegramBot.objects.filter(active=True))]
    return _pick([bot for bot in bots if bot], lambda bot: False, sending=True)


# ---------------------------------------------------------------- where a resident wrote to


def _came_in_on(channels, address, case_id=None):
    """The account key (our number, phone number id, bot) recorded as the recipient of the latest
    message from `address`, preferring one about `case_id`; None when unknown."""
    messages = InboundMessage.objects.filter(channel__in=channels, sender=address).only("recipients")
    latest = (messages.filter(case=case_id).first() if case_id else None) or messages.first()
    recipients = latest.recipients if latest else []
    return str(recipients[0]) if recipients else None
