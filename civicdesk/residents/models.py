"""The resident directory: one person behind many contact points (e-mails, phones, handles, an
account). Cases are not linked to residents by a column: a resident's cases are those whose
reporter account, e-mail or phone is one of the resident's contact points (see directory.py), so
filing a case costs nothing here and a merge moves contact points, never case rows."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ChannelPreference(models.TextChoices):
    # The values of accounts.User.preferred_channel, plus "not known yet".
    UNKNOWN = "", _("Not known")
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    NONE = "none", _("Do not contact me")


class Resident(models.Model):
    display_name = models.CharField(_("name"), max_length=150, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    preferred_channel = models.CharField(
        _("preferred contact channel"), max_length=8, choices=ChannelPreference.choices, blank=True
    )
    consent_source = models.CharField(_("where the contact preference came from"), max_length=64, blank=True)
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="resident",
        verbose_name=_("account"),
    )
    merged_into = models.ForeignKey(
        "self",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="merged_from",
        verbose_name=_("merged into"),
        db_index=False,
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        indexes = [
            models.Index(
                fields=["merged_into"],
                name="resident_merged_into_idx",
                condition=models.Q(merged_into__isnull=False),
            )
        ]

    def __str__(self):
        return self.display_name or _("Resident %(id)s") % {"id": self.pk}

    # An account holder sets their own preferences on their profile: when linked, the account's
    # values count and the resident's own fields are a fallback (decision 47), except that "do not
    # contact" on either wins: a refusal told to an agent, or kept by a merge, is never lost.
    @property
    def effective_channel(self):
        if self.account_id and self.preferred_channel != ChannelPreference.NONE:
            return self.account.preferred_channel
        return self.preferred_channel

    @property
    def effective_language(self):
        return self.account.preferred_language if self.account_id else self.language

    @property
    def may_be_contacted(self):
        return self.effective_channel != ChannelPreference.NONE

    def get_effective_channel_display(self):
        return ChannelPreference(self.effective_channel).label


class ContactKind(models.TextChoices):
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone")
    WHATSAPP = "whatsapp", _("WhatsApp")
    TELEGRAM = "telegram", _("Telegram")
    SOCIAL = "social", _("Social media")


# Kinds whose value is an E.164 number, matched against cases' reporter_phone.
PHONE_KINDS = (ContactKind.PHONE, ContactKind.WHATSAPP)


class ContactPoint(models.Model):
    resident = models.ForeignKey(
        Resident, models.CASCADE, related_name="contact_points", verbose_name=_("resident")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ContactKind.choices)
    value = models.CharField(_("value"), max_length=254)  # normalised: see directory.normalise
    verified = models.BooleanField(_("verified"), default=False)
    source = models.CharField(_("source"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # A phone's carrier opt-out (STOP and its synonyms; START clears it). The one truth the outbox
    # reads before every SMS to this number (notify.outbox.may_send, decision 48).
    sms_opted_out_at = models.DateTimeField(_("SMS opt-out"), null=True, blank=True)

    class Meta:
        verbose_name = _("contact point")
        verbose_name_plural = _("contact points")
        ordering = ["kind", "value"]
        constraints = [models.UniqueConstraint(fields=["kind", "value"], name="unique_contact_point")]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.value}"


class ResidentEventKind(models.TextChoices):
    CREATED = "created", _("Created")
    MERGED = "merged", _("Merged")
    UNMERGED = "unmerged", _("Merge undone")
    CONTACT_VIEWED = "contact_viewed", _("Contact details viewed")


class ResidentEvent(models.Model):
    """The directory's audit trail. A merge's row records exactly what moved, so undo can move it back."""

    resident = models.ForeignKey(Resident, models.CASCADE, related_name="events", verbose_name=_("resident"))
    other = models.ForeignKey(
        Resident,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        help_text="For a merge: the resident merged in (the source).",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ResidentEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    actor_label = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)
    changes = models.JSONField(default=dict, blank=True)
    undone_by = models.OneToOneField(
        "self", models.SET_NULL, null=True, blank=True, related_name="undoes", db_index=False
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("resident event")
        verbose_name_plural = _("resident events")
        indexes = [models.Index(fields=["resident", "created_at"], name="resident_event_idx")]

    def __str__(self):
        return f"{self.resident_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def can_undo(self):
        return self.kind == ResidentEventKind.MERGED and self.undone_by_id is None
