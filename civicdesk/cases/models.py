import secrets

from django.conf import settings
from django.core import signing
from django.db import models
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from civicdesk.lib.phones import e164

from .workflow import ACTIVE, Status


def localized(obj, field, language=None):
    """`obj.<field>` in the active (or given) language, falling back to the default text."""
    language = (language or translation.get_language() or "en")[:2]
    return (obj.translations.get(language) or {}).get(field) or getattr(obj, field)


class Department(models.Model):
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=120)
    email = models.EmailField(_("contact e-mail"), blank=True)
    translations = models.JSONField(
        _("translations"),
        default=dict,
        blank=True,
        help_text=_('For example {"es": {"name": "Obras Públicas"}}'),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self):
        return localized(self, "name")

    @property
    def supervisors(self):
        return self.members.filter(role="supervisor", is_active=True)


class Priority(models.IntegerChoices):
    URGENT = 1, _("Urgent")
    HIGH = 2, _("High")
    NORMAL = 3, _("Normal")
    LOW = 4, _("Low")


class Service(models.Model):
    """What a resident can ask for; the Open311 service definition."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    group = models.CharField(_("group"), max_length=80, blank=True)
    keywords = models.CharField(
        _("keywords"), max_length=400, blank=True, help_text=_("Comma-separated words residents might use.")
    )
    translations = models.JSONField(
        _("translations"),
        default=dict,
        blank=True,
        help_text=_('For example {"es": {"name": "Bache", "description": "…", "group": "Calles"}}'),
    )
    default_department = models.ForeignKey(
        Department,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="services",
        verbose_name=_("default department"),
        help_text=_("Where cases go when no routing rule decides. Empty: the triage queue."),
    )
    default_priority = models.PositiveSmallIntegerField(
        _("default priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["group", "name"]
        verbose_name = _("service")
        verbose_name_plural = _("services")

    def __str__(self):
        return localized(self, "name")

    def localized(self, field, language=None):
        return localized(self, field, language)


class Datatype(models.TextChoices):
    STRING = "string", _("Short text")
    NUMBER = "number", _("Number")
    DATETIME = "datetime", _("Date and time")
    TEXT = "text", _("Long text")
    SINGLE = "singlevaluelist", _("One choice from a list")
    MULTI = "multivaluelist", _("Several choices from a list")


class ServiceAttribute(models.Model):
    service = models.ForeignKey(Service, models.CASCADE, related_name="attributes")
    code = models.SlugField(_("code"), max_length=64)
    label = models.CharField(_("label"), max_length=200)
    datatype = models.CharField(
        _("datatype"), max_length=16, choices=Datatype.choices, default=Datatype.STRING
    )
    required = models.BooleanField(_("required"), default=False)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    values = models.JSONField(
        _("allowed values"),
        default=list,
        blank=True,
        help_text=_('For lists: [{"key": "deep", "name": "Deep", "translations": {"es": "Profundo"}}]'),
    )
    help_text = models.CharField(_("help text"), max_length=300, blank=True)
    translations = models.JSONField(
        _("translations"),
        default=dict,
        blank=True,
        help_text=_('For example {"es": {"label": "…", "help_text": "…"}}'),
    )

    class Meta:
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["service", "code"], name="unique_attribute_code")]
        verbose_name = _("service question")
        verbose_name_plural = _("service questions")

    def __str__(self):
        return localized(self, "label")

    def localized(self, field, language=None):
        return localized(self, field, language)

    def value_choices(self, language=None):
        language = (language or translation.get_language() or "en")[:2]
        return [(v["key"], v.get("translations", {}).get(language) or v["name"]) for v in self.values]

    @property
    def is_list(self):
        return self.datatype in (Datatype.SINGLE, Datatype.MULTI)


class Channel(models.TextChoices):
    WEB = "web", _("Web")
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    VOICE = "voice", _("Voice/IVR")
    SOCIAL = "social", _("Social media")
    API = "api", _("API")
    WALK_IN = "walk_in", _("Walk-in")
    IMPORT = "import", _("Import")


class CaseQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=ACTIVE)

    def visible_to(self, user):
        """The cases a staff user may see; none for anyone else."""
        if not (user.is_authenticated and user.is_city_staff):
            return self.none()
        if user.sees_all_departments:
            return self
        # A list of ids, not a subquery, so PostgreSQL can use the department index.
        return self.filter(department__in=list(user.departments.values_list("pk", flat=True)))


class CaseNumber(models.Model):
    """One row per year: SQLite's case-number counter (PostgreSQL uses a sequence per year, which
    starts after this counter: see cases.numbers)."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.year}: {self.last}"


class PolicyVersion(models.Model):
    """One row whose token changes in the transaction of every change to policy (services,
    departments, routing, service levels, webhook subscriptions): processes compare it to know
    their cached policy is current (cases.policy). A random token, not a counter, so a change
    rolled back can never be mistaken for a later one."""

    name = models.CharField(max_length=20, primary_key=True)
    token = models.CharField(max_length=32)

    def __str__(self):
        return f"{self.name}: {self.token}"


def new_tracking_token():
    return secrets.token_urlsafe(24)


class Case(models.Model):
    number = models.CharField(_("number"), max_length=16)
    service = models.ForeignKey(Service, models.PROTECT, related_name="cases", verbose_name=_("service"))
    description = models.TextField(_("description"), blank=True)
    attributes = models.JSONField(_("answers"), default=dict, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    geo_cell = models.CharField(
        max_length=16, blank=True, help_text="H3 cell (resolution 9) for 'near' queries."
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=24, choices=Status.choices, default=Status.NEW)
    status_reason = models.TextField(_("reason"), blank=True)
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.WEB)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="reported_cases",
        verbose_name=_("reporter account"),
        db_index=False,
    )
    reporter_name = models.CharField(_("reporter name"), max_length=150, blank=True)
    reporter_email = models.EmailField(_("reporter e-mail"), blank=True)
    reporter_phone = models.CharField(_("reporter phone"), max_length=32, blank=True)
    language = models.CharField(_("language"), max_length=8, default="en")
    department = models.ForeignKey(  # indexed by case_queue_idx, which it leads
        Department,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("department"),
        db_index=False,
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_cases",
        verbose_name=_("assignee"),
        db_index=False,
    )
    parent = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent case"),
        help_text=_("Set on sub-cases opened for other departments."),
        db_index=False,
    )
    areas = models.JSONField(_("areas"), default=dict, blank=True, help_text=_("Layer to area name."))
    tags = models.JSONField(_("tags"), default=list, blank=True)
    duplicate_of = models.ForeignKey(
        "self",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("duplicate of"),
        db_index=False,
    )
    external_ids = models.JSONField(_("external ids"), default=dict, blank=True)
    # Where an imported case came from ("nyc311", "boston311", ...) and its id there: re-importing
    # the same file finds the case instead of creating it twice.
    source = models.CharField(_("source system"), max_length=32, blank=True)
    source_id = models.CharField(_("id in the source system"), max_length=64, blank=True)
    tracking_token = models.CharField(max_length=40, default=new_tracking_token, editable=False)
    version = models.PositiveIntegerField(
        default=1, help_text="Bumped by every action; for stale-edit checks."
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now, db_index=True)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    expected_at = models.DateTimeField(_("expected resolution"), null=True, blank=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        # Unique and look-up indexes are declared here rather than with unique=True/db_index=True on
        # the fields: PostgreSQL then gets one plain B-tree each, not a second "_like" one, and the
        # columns most cases leave empty (no reporter, assignee, parent...: every imported case) are
        # indexed only where set. Each index is work on every insert; an import writes millions.
        constraints = [
            models.UniqueConstraint(fields=["number"], name="unique_case_number"),
            models.UniqueConstraint(fields=["tracking_token"], name="unique_case_tracking_token"),
            models.UniqueConstraint(
                fields=["source", "source_id"],
                condition=~models.Q(source_id=""),
                name="unique_case_source_id",
            ),
        ]
        indexes = [
            models.Index(fields=["department", "status", "priority"], name="case_queue_idx"),
            models.Index(fields=["status", "priority", "created_at"], name="case_status_idx"),
            # The staff queue's default order over open cases, citywide and per department.
            models.Index(
                fields=["priority", "expected_at", "created_at", "id"],
                name="case_open_order_idx",
                condition=models.Q(status__in=sorted(ACTIVE)),
            ),
            models.Index(
                fields=["department", "priority", "expected_at", "created_at", "id"],
                name="case_open_dept_order_idx",
                condition=models.Q(status__in=sorted(ACTIVE)),
            ),
            # "Unassigned in my department": open cases nobody holds. Without it PostgreSQL reads
            # the table in order hoping to meet them, and at 10M they sit among the newest rows.
            models.Index(
                fields=["department", "priority", "expected_at", "created_at", "id"],
                name="case_open_unassigned_idx",
                condition=models.Q(status__in=sorted(ACTIVE), assignee__isnull=True),
            ),
            *(
                models.Index(fields=[field], name=f"case_{field}_idx", condition=~models.Q(**{field: ""}))
                for field in ("geo_cell", "reporter_email", "reporter_phone")
            ),
            *(
                models.Index(
                    fields=[field],
                    name=f"case_{field}_idx",
                    condition=models.Q(**{f"{field}__isnull": False}),
                )
                for field in ("reporter", "assignee", "parent", "duplicate_of")
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.service}"

    def save(self, *args, **kwargs):
        # Every channel stores the reporter's phone in E.164 (as typed when it does not parse), so
        # the resident directory finds a person's cases by one indexed value. Here rather than in
        # each caller: submit_case, the admin and the importer all save through this method. No query.
        fields = kwargs.get("update_fields")
        if self.reporter_phone and (self._state.adding or (fields and "reporter_phone" in fields)):
            self.reporter_phone = e164(self.reporter_phone, settings.PHONE_REGION)[:32]
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("portal-track", args=[self.tracking_token])

    @property
    def tracking_url(self):
        return settings.SITE_URL + self.get_absolute_url()

    @property
    def greeting_name(self):
        """The name our e-mails greet the reporter by: only one the city can vouch for (their own
        account's, or typed by an agent). A name from a form or a From header is whatever the
        sender chose, and sent to the address they chose it would let anyone put words in the
        city's mail ("URGENT: pay at ...")."""
        if self.reporter_id or self.channel in (Channel.PHONE, Channel.WALK_IN):
            return self.reporter_name
        return ""

    @property
    def is_active(self):
        return self.status in ACTIVE

    @property
    def has_location(self):
        return self.latitude is not None and self.longitude is not None


class EventKind(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    ASSIGNED = "assigned", _("Assigned")
    STATUS = "status", _("Status changed")
    PRIORITY = "priority", _("Priority changed")
    RECATEGORISED = "recategorised", _("Service changed")
    REPLY = "reply", _("Public reply")
    COMMENT = "comment", _("Resident comment")
    NOTE = "note", _("Internal note")
    ATTACHMENT = "attachment", _("Photo added")
    MERGED = "merged", _("Merged as duplicate")
    DUPLICATE_ADDED = "duplicate_added", _("Duplicate merged in")
    REOPENED = "reopened", _("Reopened")
    CONTACT_VIEWED = "contact_viewed", _("Reporter contact viewed")
    FOLLOWED = "followed", _("Someone else reported it too")
    FOLLOWER_CONFIRMED = "follower_confirmed", _("Follower confirmed e-mail updates")
    FOLLOWER_STOPPED = "follower_stopped", _("Follower stopped e-mail updates")
    ROUTED = "routed", _("Routed")
    SPLIT = "split", _("Sub-case opened")
    ESCALATED = "escalated", _("Escalated")
    TAGGED = "tagged", _("Tags changed")
    LINKED = "linked", _("Linked to another system")


class AppendOnlyError(RuntimeError):
    pass


class CaseEvent(models.Model):
    """One line of a case's timeline and audit trail. Written once, never changed."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="events", db_index=False)  # event_case_idx
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="case_events",
        db_index=False,
    )
    actor_label = models.CharField(
        max_length=150, blank=True, help_text="Who acted, kept if the account goes."
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    kind = models.CharField(max_length=24, choices=EventKind.choices)
    changes = models.JSONField(default=dict, blank=True, help_text='{"field": [old, new]}')
    public = models.BooleanField(default=False)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["case", "created_at"], name="event_case_idx"),
            models.Index(fields=["actor"], name="event_actor_idx", condition=models.Q(actor__isnull=False)),
        ]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")

    def __str__(self):
        return f"{self.case_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnlyError("Case events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Case events are append-only.")


class CaseFollower(models.Model):
    """Someone who reported the same problem ("me too") or wants updates on a case."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="followers")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, null=True, blank=True, related_name="followed_cases"
    )
    email = models.EmailField(blank=True)
    # An address typed by someone not signed in gets updates only once its owner confirms it, so
    # nobody can sign a stranger up for a stream of e-mails.
    confirmed = models.BooleanField(default=True)
    language = models.CharField(max_length=8, default="en")
    created_at = models.DateTimeField(default=timezone.now)

    SALT = "civicdesk.follower"
    CONFIRM_DAYS = 7

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case", "email"], condition=~models.Q(email=""), name="unique_follower_email"
            ),
            models.UniqueConstraint(
                fields=["case", "user"], condition=models.Q(user__isnull=False), name="unique_follower_user"
            ),
        ]
        verbose_name = _("follower")
        verbose_name_plural = _("followers")

    def __str__(self):
        return f"{self.case_id}: {self.email or self.user_id or 'anonymous'}"

    @property
    def token(self):
        """A signed reference for the links in its e-mails (confirm, stop): nothing stored."""
        return signing.dumps(self.pk, salt=self.SALT, compress=True)

    @classmethod
    def from_token(cls, token, max_age=None):
        """The follower a link names, or None if the link is forged, expired or the follower gone."""
        try:
            pk = signing.loads(token, salt=cls.SALT, max_age=max_age)
        except signing.BadSignature:
            return None
        return cls.objects.select_related("case").filter(pk=pk).first()


def attachment_path(instance, filename):
    return f"cases/{timezone.now():%Y/%m}/{secrets.token_hex(12)}{filename[filename.rfind('.') :]}"


class Attachment(models.Model):
    case = models.ForeignKey(Case, models.CASCADE, related_name="attachments")
    file = models.ImageField(upload_to=attachment_path, width_field="width", height_field="height")
    thumbnail = models.ImageField(upload_to=attachment_path, blank=True)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField(null=True)
    height = models.PositiveIntegerField(null=True)
    public = models.BooleanField(default=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")

    def __str__(self):
        return self.file.name
