"""The channels' accounts an administrator configures in the admin (decision 51): IMAP mailboxes,
Twilio(-compatible) numbers, WhatsApp Business numbers and Telegram bots. Secrets are stored sealed
(`sealed`); `inbound.config` is the one place that reads these rows (or the environment's account)."""

import re
from urllib.parse import urlsplit

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator, URLValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicdesk.lib import hosts

from . import sealed

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
LANGUAGE_PAIRS = re.compile(r"^\s*[a-z]{2,3}:[A-Za-z_]{2,10}\s*(,\s*[a-z]{2,3}:[A-Za-z_]{2,10}\s*)*$")


def validate_api_base(value):
    """An API base the secrets are sent to: https to a public host; plain http to this machine and
    internal addresses only when CHANNEL_ALLOW_LOCAL_APIS (tests, a demo)."""
    URLValidator(schemes=["http", "https"])(value)
    parts = urlsplit(value)
    local = settings.CHANNEL_ALLOW_LOCAL_APIS and parts.hostname in LOOPBACK
    if parts.scheme != "https" and not local:
        raise ValidationError(
            _("Use an https:// address: the account's credentials are sent to it."), code="insecure"
        )
    check_destination(parts.hostname, parts.port or 443)


def check_destination(host, port):
    """Raise ValidationError unless every address `host` resolves to is a public internet one
    (server-side request forgery: an account's test and traffic would reach internal systems and
    the cloud's metadata service); anything goes with CHANNEL_ALLOW_LOCAL_APIS. Called when an
    account is saved and again before its test connects."""
    if settings.CHANNEL_ALLOW_LOCAL_APIS:
        return
    try:
        internal = hosts.first_internal(hosts.resolve(host, port))
    except (OSError, UnicodeError):
        raise ValidationError(
            _("The host %(host)s could not be found; check the address."),
            code="unknown_host",
            params={"host": host},
        ) from None
    if internal is not None:
        raise ValidationError(
            _(
                "%(host)s is (or resolves to) %(address)s, an internal address: channel accounts reach "
                "only public internet hosts unless the server setting CHANNEL_ALLOW_LOCAL_APIS is on."
            ),
            code="private_address",
            params={"host": host, "address": internal},
        )


def validate_e164(value):
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        number = None
    if (
        number is None
        or not phonenumbers.is_possible_number(number)
        or value != phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    ):
        raise ValidationError(
            _("Enter the number in international E.164 form, such as +16175550100."), code="e164"
        )


def validate_path_segment(value):
    """Account SIDs and phone number ids go into API paths: no slashes, spaces or dots."""
    if not re.fullmatch(r"[A-Za-z0-9_-]+", value):
        raise ValidationError(_("Only letters, digits, '-' and '_' are allowed here."), code="segment")


def validate_template_languages(value):
    if value and not LANGUAGE_PAIRS.match(value):
        raise ValidationError(
            _("Write pairs of our language and the template's language, such as en:en_US,es:es."),
            code="languages",
        )


class ChannelAccount(models.Model):
    """What every account has. SECRETS names the sealed columns (`<name>_sealed`) and whether the
    account works without them; SENT those sent to where the DESTINATION fields say (an existing
    account's change of destination needs them typed again, or else its test would send the stored
    ones to whoever the new destination is)."""

    SECRETS = {}  # name -> required
    SECRET_VALIDATORS = {}  # name -> validators of the typed value
    DESTINATION = ("api_base",)
    SENT = ()

    name = models.CharField(_("name"), max_length=100, help_text=_("For staff: which account this is."))
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True
        ordering = ["pk"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        # After a key rotation, every save moves the stored secrets to the current key.
        for name in self.SECRETS:
            setattr(self, f"{name}_sealed", sealed.reseal(getattr(self, f"{name}_sealed")))
        super().save(*args, **kwargs)

    def secret(self, name):
        """The secret in clear; raises sealed.Unreadable when no current key opens it."""
        return sealed.unseal(getattr(self, f"{name}_sealed"))

    def set_secret(self, name, value):
        setattr(self, f"{name}_sealed", sealed.seal(value))

    def has_secret(self, name):
        return bool(getattr(self, f"{name}_sealed"))


def _sealed(label):
    return models.TextField(label, blank=True, editable=False)


class ImapMailbox(ChannelAccount):
    class Security(models.TextChoices):
        SSL = "ssl", _("TLS (port 993)")
        STARTTLS = "starttls", _("STARTTLS (port 143)")
        NONE = "none", _("None (only on a private network)")

    SECRETS = {"password": True}
    DESTINATION = ("host", "port", "security")
    SENT = ("password",)

    host = models.CharField(_("host"), max_length=255)
    port = models.PositiveIntegerField(
        _("port"), default=993, validators=[MinValueValidator(1), MaxValueValidator(65535)]
    )
    security = models.CharField(_("security"), max_length=10, choices=Security.choices, default=Security.SSL)
    user = models.CharField(_("user"), max_length=255)
    password_sealed = _sealed(_("password"))
    folder = models.CharField(_("folder"), max_length=255, default="INBOX")
    processed_folder = models.CharField(
        _("processed folder"),
        max_length=255,
        default="Processed",
        blank=True,
        help_text=_("Fetched mail is moved here. Empty: it is only flagged as read."),
    )
    refused_folder = models.CharField(
        _("refused folder"),
        max_length=255,
        default="Refused",
        help_text=_("Mail over the size limit is moved here, untouched."),
    )

    class Meta(ChannelAccount.Meta):
        verbose_name = _("IMAP mailbox")
        verbose_name_plural = _("IMAP mailboxes")

    def clean(self):
        super().clean()
        if self.security == self.Security.NONE and not settings.CHANNEL_ALLOW_LOCAL_APIS:
            raise ValidationError(
                {"security": _("The password would cross the internet in clear: use TLS or STARTTLS.")}
            )
        if self.host:
            try:
                check_destination(self.host, self.port or 993)
            except ValidationError as error:
                raise ValidationError({"host": error}) from None


class TwilioNumber(ChannelAccount):
    SECRETS = {"auth_token": True}
    SENT = ("auth_token",)

    number = models.CharField(
        _("phone number"),
        max_length=20,
        unique=True,
        validators=[validate_e164],
        help_text=_("E.164, such as +16175550100."),
    )
    account_sid = models.CharField(_("account SID"), max_length=64, validators=[validate_path_segment])
    auth_token_sealed = _sealed(_("auth token"))
    api_base = models.CharField(
        _("API base"), max_length=200, default="https://api.twilio.com", validators=[validate_api_base]
    )
    agent_number = models.CharField(
        _("agents' number"),
        max_length=20,
        blank=True,
        validators=[validate_e164],
        help_text=_("Dialled when a caller presses 0 in the phone menu. Empty: VOICE_AGENT_NUMBER."),
    )

    class Meta(ChannelAccount.Meta):
        verbose_name = _("Twilio phone number")
        verbose_name_plural = _("Twilio phone numbers")


class WhatsAppNumber(ChannelAccount):
    SECRETS = {"access_token": True, "app_secret": True, "verify_token": False}
    SENT = ("access_token",)

    phone_number_id = models.CharField(
        _("phone number ID"), max_length=64, unique=True, validators=[validate_path_segment]
    )
    access_token_sealed = _sealed(_("access token"))
    app_secret_sealed = _sealed(_("app secret"))
    verify_token_sealed = _sealed(_("verify token"))
    template_name = models.CharField(
        _("template name"),
        max_length=100,
        blank=True,
        help_text=_("The approved template sent outside the 24-hour window; one parameter, the case number."),
    )
    template_languages = models.CharField(
        _("template languages"),
        max_length=200,
        blank=True,
        validators=[validate_template_languages],
        help_text=_("Our language and the template's, such as en:en_US,es:es."),
    )
    api_base = models.CharField(
        _("API base"), max_length=200, default="https://graph.facebook.com", validators=[validate_api_base]
    )
    api_version = models.CharField(
        _("API version"),
        max_length=10,
        default="21.0",
        validators=[RegexValidator(r"^\d+\.\d+$", _("Write the Graph API version as digits, such as 21.0."))],
    )

    class Meta(ChannelAccount.Meta):
        verbose_name = _("WhatsApp number")
        verbose_name_plural = _("WhatsApp numbers")

    def languages(self):
        return dict(pair.strip().split(":", 1) for pair in self.template_languages.split(",") if ":" in pair)


class TelegramBot(ChannelAccount):
    SECRETS = {"bot_token": True, "webhook_secret": True}
    SECRET_VALIDATORS = {
        # What Telegram accepts as secret_token, and so sends back in X-Telegram-Bot-Api-Secret-Token.
        "webhook_secret": [
            RegexValidator(
                r"^[A-Za-z0-9_-]{1,256}$",
                _("Use 1 to 256 letters, digits, '_' and '-' (what Telegram accepts)."),
            )
        ]
    }
    SENT = ("bot_token", "webhook_secret")

    bot_token_sealed = _sealed(_("bot token"))
    webhook_secret_sealed = _sealed(_("webhook secret"))
    api_base = models.CharField(
        _("API base"), max_length=200, default="https://api.telegram.org", validators=[validate_api_base]
    )

    class Meta(ChannelAccount.Meta):
        verbose_name = _("Telegram bot")
        verbose_name_plural = _("Telegram bots")
