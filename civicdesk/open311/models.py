"""API keys for Open311 clients, and what each POST created (kept out of every public response)."""

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicdesk.lib.credentials import hash_secret, note_use
from civicdesk.lib.ratelimit import parse_rate


def default_rate():
    return settings.OPEN311_KEY_RATE


def validate_rate(value):
    try:
        count, _window = parse_rate(value)
    except (ValueError, KeyError):
        count = 0
    if count < 1:
        raise ValidationError(_("Write a rate as requests per unit, for example 60/m (units s, m, h, d)."))


def new_token():
    return secrets.token_urlsafe(24)


class ApiKeyQuerySet(models.QuerySet):
    def find(self, key):
        """The active key matching `key`, or None."""
        if not key or len(key) > 200:
            return None
        return self.filter(hashed_key=hash_secret(key), active=True).first()


class ApiKey(models.Model):
    name = models.CharField(_("name"), max_length=120, help_text=_("Who uses this key, e.g. “FixMyStreet”."))
    prefix = models.CharField(_("prefix"), max_length=8, editable=False, help_text=_("Start of the key."))
    hashed_key = models.CharField(max_length=64, unique=True, editable=False)
    rate = models.CharField(
        _("rate limit"),
        max_length=16,
        default=default_rate,
        validators=[validate_rate],
        help_text=_("Requests per unit: 60/m, 1000/h, 10000/d."),
    )
    department = models.ForeignKey(
        "cases.Department",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("department"),
        help_text=_("The department that looks after this client, if any."),
    )
    contact = models.TextField(
        _("contact"), blank=True, help_text=_("Who to call when this client misbehaves.")
    )
    active = models.BooleanField(_("active"), default=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("Open311 API key")
        verbose_name_plural = _("Open311 API keys")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    def new_secret(self):
        """Give this key a fresh secret and return it: the only moment it exists in clear."""
        key = secrets.token_urlsafe(32)
        self.prefix, self.hashed_key = key[:8], hash_secret(key)
        return key

    def touch(self):
        note_use(self)

    def revoke(self):
        self.active, self.revoked_at = False, timezone.now()
        self.save(update_fields=["active", "revoked_at"])


class Submission(models.Model):
    """What an Open311 client sent with a case that has no place on the case itself.

    Never shown in GET responses: `device_id` and `account_id` identify people.
    """

    case = models.OneToOneField("cases.Case", models.CASCADE, related_name="open311_submission")
    api_key = models.ForeignKey(ApiKey, models.PROTECT, related_name="submissions")
    token = models.CharField(max_length=40, unique=True, default=new_token)
    device_id = models.CharField(max_length=100, blank=True)
    account_id = models.CharField(max_length=100, blank=True)
    address_id = models.CharField(max_length=100, blank=True)
    media_url = models.URLField(max_length=1000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("Open311 submission")
        verbose_name_plural = _("Open311 submissions")

    def __str__(self):
        return f"{self.case_id} via {self.api_key_id}"
