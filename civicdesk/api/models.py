"""API tokens (stored hashed) and Idempotency-Key records."""

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicdesk.accounts.models import Role
from civicdesk.lib.credentials import hash_secret, note_use

TOKEN_PREFIX = "cdk_"  # noqa: S105 - not a secret: marks CivicDesk tokens for secret scanners


class ApiToken(models.Model):
    class Kind(models.TextChoices):
        PERSONAL = "personal", _("Personal (a person's own access)")
        SERVICE = "service", _("Service (an integration's own account)")

    class Scope(models.TextChoices):
        READ = "read", _("Read only")
        WRITE = "write", _("Read and write")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=120, help_text=_("What the token is for."))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.PERSONAL)
    scope = models.CharField(_("scope"), max_length=8, choices=Scope.choices, default=Scope.READ)
    departments = models.ManyToManyField(
        "cases.Department",
        blank=True,
        verbose_name=_("only these departments"),
        help_text=_("Narrows what the user may see to these departments. Empty: no narrowing."),
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(
        _("starts with"), max_length=12, editable=False, help_text=_("To recognise the token.")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    def clean(self):
        """Decision 18: residents read their own cases and nothing more (the admin form runs this)."""
        if self.user_id and self.user.role == Role.RESIDENT and self.can_write:
            raise ValidationError(
                {"scope": _("Residents may only read through the API: give them a read token.")}
            )

    def issue(self) -> str:
        """Give the token a fresh secret; the only moment the plain text exists."""
        raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
        self.token_hash, self.prefix = hash_secret(raw), raw[:12]
        return raw

    @property
    def can_write(self) -> bool:
        return self.scope == self.Scope.WRITE

    def problem(self, now=None) -> str:
        """Why this token may not be used now ("" when it may)."""
        now = now or timezone.now()
        if self.revoked_at is not None:
            return str(_("This API token has been revoked."))
        if self.expires_at is not None and self.expires_at <= now:
            return str(_("This API token has expired."))
        if not self.user.is_active:
            return str(_("The account of this API token is disabled."))
        return ""

    def touch(self, now=None):
        note_use(self, now)


class IdempotencyRecord(models.Model):
    """The first successful answer to a POST with an Idempotency-Key, replayed to retries for 24 h.

    Written in the same transaction as the change it answers, so a retry finds either nothing
    (the change did not happen) or the answer (it did). The unique constraint makes a concurrent
    duplicate wait for the first and then replay it.
    """

    caller = models.CharField(max_length=40, help_text="token:<id> or user:<id>")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="Hash of method, path, If-Match and body.")
    status = models.PositiveSmallIntegerField()
    body = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["caller", "key"], name="api_idempotency_unique_key")]
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")

    def __str__(self):
        return f"{self.caller} {self.key}"
