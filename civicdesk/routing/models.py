from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from civicdesk.cases.models import Channel, Department, Priority, Service

from . import engine

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


def _words(text):
    return [w.strip() for w in (text or "").split(",") if w.strip()]


class RoutingRule(models.Model):
    """One ordered rule: conditions (all must hold; empty means any) and what to do."""

    order = models.PositiveIntegerField(_("order"), default=100, db_index=True)
    name = models.CharField(_("name"), max_length=120)
    active = models.BooleanField(_("active"), default=True)
    keep_going = models.BooleanField(
        _("continue with later rules"),
        default=False,
        help_text=_("Off: the first matching rule decides. On: later rules may add to what this one did."),
    )
    # conditions
    services = models.ManyToManyField(Service, blank=True, verbose_name=_("services"))
    service_groups = models.CharField(
        _("service groups"),
        max_length=300,
        blank=True,
        help_text=_("Comma-separated, e.g. “Streets, Parks”."),
    )
    areas = models.CharField(
        _("areas"),
        max_length=500,
        blank=True,
        help_text=_("Comma-separated layer:area pairs, e.g. “ward:3, ward:4”."),
    )
    keywords = models.CharField(
        _("keywords"),
        max_length=500,
        blank=True,
        help_text=_(
            "Comma-separated words found in the description, or a regular expression starting with “re:”."
        ),
    )
    answers = models.JSONField(
        _("answers"),
        default=dict,
        blank=True,
        help_text=_('Question code to answer, e.g. {"hazard": "wires"}.'),
    )
    channels = models.JSONField(
        _("channels"), default=list, blank=True, help_text=_('e.g. ["phone", "web"]; empty means any.')
    )
    priorities = models.JSONField(
        _("priorities"),
        default=list,
        blank=True,
        help_text=_("e.g. [1, 2] for urgent and high; empty means any."),
    )
    weekdays = models.JSONField(
        _("days of the week"),
        default=list,
        blank=True,
        help_text=_("0 = Monday … 6 = Sunday; empty means every day."),
    )
    from_time = models.TimeField(_("from (local time)"), null=True, blank=True)
    to_time = models.TimeField(_("until (local time)"), null=True, blank=True)
    # actions
    set_department = models.ForeignKey(
        Department,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("send to department"),
    )
    assign_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assign to"),
    )
    set_priority = models.PositiveSmallIntegerField(
        _("set priority"), choices=Priority.choices, null=True, blank=True
    )
    add_tags = models.CharField(_("add tags"), max_length=200, blank=True, help_text=_("Comma-separated."))
    split_to = models.ManyToManyField(
        Department, blank=True, related_name="+", verbose_name=_("also open sub-cases for")
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        try:
            engine.keyword_pattern(self.keywords)
        except Exception as error:  # noqa: BLE001 - re.error and friends: tell the admin
            errors["keywords"] = _("This is not a valid regular expression: %(error)s") % {"error": error}
        errors.update(self._check_lists())
        if missing := self._missing_areas():
            errors["areas"] = _("No such area: %(areas)s. Import the layer first or fix the name.") % {
                "areas": ", ".join(missing)
            }
        if (
            self.assign_to_id
            and self.set_department_id
            and not self.assign_to.departments.filter(pk=self.set_department_id).exists()
        ):
            errors["assign_to"] = _("This person does not work in the department the rule sends cases to.")
        if errors:
            raise ValidationError(errors)

    def _check_lists(self):
        errors = {}
        if not isinstance(self.channels, list) or any(c not in Channel.values for c in self.channels):
            errors["channels"] = _("Use a list of channels from: %(all)s.") % {
                "all": ", ".join(Channel.values)
            }
        if not isinstance(self.priorities, list) or any(p not in Priority.values for p in self.priorities):
            errors["priorities"] = _("Use a list of numbers from 1 (urgent) to 4 (low).")
        if not isinstance(self.weekdays, list) or any(d not in range(7) for d in self.weekdays):
            errors["weekdays"] = _("Use a list of numbers from 0 (Monday) to 6 (Sunday).")
        if not isinstance(self.answers, dict):
            errors["answers"] = _('Use an object such as {"hazard": "wires"}.')
        return errors

    def area_pairs(self):
        pairs = []
        for item in _words(self.areas):
            layer, _sep, name = item.partition(":")
            pairs.append((layer.strip(), name.strip()))
        return pairs

    def _missing_areas(self):
        from civicdesk.areas.models import Area

        missing = []
        for layer, name in self.area_pairs():
            if not name or not Area.objects.filter(layer__slug=layer, name=name).exists():
                missing.append(f"{layer}:{name}")
        return missing

    def snapshot(self, services=None, split_to=None):
        """The rule as the engine sees it. An unsaved rule passes its many-to-many values from the form."""
        services = self.services.all() if services is None else services
        split_to = self.split_to.all() if split_to is None else split_to
        return engine.Rule(
            id=self.pk,
            name=self.name,
            services=frozenset(s.code for s in services),
            groups=frozenset(_words(self.service_groups)),
            areas=frozenset(self.area_pairs()),
            pattern=engine.keyword_pattern(self.keywords),
            answers=tuple(self.answers.items()),
            channels=frozenset(self.channels),
            priorities=frozenset(self.priorities),
            weekdays=frozenset(self.weekdays),
            from_time=self.from_time,
            to_time=self.to_time,
            department=self.set_department.code if self.set_department else None,
            assignee=self.assign_to_id,
            priority=self.set_priority,
            tags=tuple(_words(self.add_tags)),
            split_to=tuple(d.code for d in split_to),
            keep_going=self.keep_going,
        )
