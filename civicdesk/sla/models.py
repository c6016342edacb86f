import functools
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import holidays
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from civicdesk.cases.models import Case, Department, Priority, Service
from civicdesk.lib import businesstime
from civicdesk.routing.models import WEEKDAYS


@functools.lru_cache(maxsize=64)
def _holidays(country, subdivision, years):
    """Public holidays never change for a given region and years; computing them is slow, so once."""
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=years))


class BusinessCalendar(models.Model):
    """Working hours, public holidays and closures that SLA clocks count in."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default=settings.TIME_ZONE)
    always_open = models.BooleanField(
        _("open 24/7"), default=False, help_text=_("For emergencies: every hour counts; periods are ignored.")
    )
    holiday_country = models.CharField(
        _("public holidays of country"),
        max_length=2,
        blank=True,
        help_text=_("ISO code, e.g. US, ES, MX; empty for none."),
    )
    holiday_subdivision = models.CharField(
        _("state or region"),
        max_length=10,
        blank=True,
        help_text=_("e.g. MA for Massachusetts, MD for Madrid."),
    )

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if self.time_zone not in available_timezones():
            errors["time_zone"] = _("Unknown time zone. Use a name such as America/New_York.")
        if self.holiday_country:
            errors.update(self._holiday_region_errors())
        elif self.holiday_subdivision:
            errors["holiday_subdivision"] = _("Choose the country first.")
        if errors:
            raise ValidationError(errors)

    def _holiday_region_errors(self):
        country, subdivision = self.holiday_country.upper(), self.holiday_subdivision or None
        try:
            holidays.country_holidays(country)
        except NotImplementedError:
            return {"holiday_country": _("No holiday list exists for country “%(c)s”.") % {"c": country}}
        try:
            holidays.country_holidays(country, subdiv=subdivision)
        except (NotImplementedError, KeyError, ValueError):
            return {
                "holiday_subdivision": _("“%(s)s” is not a subdivision of %(c)s.")
                % {"s": subdivision, "c": country}
            }
        return {}

    def holiday_dates(self, years):
        if not self.holiday_country:
            return set()
        return set(_holidays(self.holiday_country.upper(), self.holiday_subdivision or None, tuple(years)))

    def to_calendar(self, around):
        """The pure calendar for date arithmetic near `around` (holidays for the surrounding years)."""
        try:
            tz = ZoneInfo(self.time_zone)
        except ZoneInfoNotFoundError:
            tz = ZoneInfo(settings.TIME_ZONE)
        if self.always_open:
            return businesstime.Calendar.always_open(tz)
        years = range(around.year - 1, around.year + 3)
        weekly = {}
        for period in self.periods.all():
            weekly.setdefault(period.weekday, []).append((period.start, period.end))
        closed = self.holiday_dates(years) | {c.day for c in self.closures.all()}
        return businesstime.Calendar(tz=tz, weekly=weekly, closed=frozenset(closed))


class WorkingPeriod(models.Model):
    calendar = models.ForeignKey(BusinessCalendar, models.CASCADE, related_name="periods")
    weekday = models.PositiveSmallIntegerField(_("day"), choices=WEEKDAYS)
    start = models.TimeField(_("from"))
    end = models.TimeField(_("until"))

    class Meta:
        ordering = ["weekday", "start"]
        verbose_name = _("working period")
        verbose_name_plural = _("working periods")

    def __str__(self):
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"


class Closure(models.Model):
    """A day the calendar does not count: a local holiday, a storm closure."""

    calendar = models.ForeignKey(BusinessCalendar, models.CASCADE, related_name="closures")
    day = models.DateField(_("date"))
    name = models.CharField(_("reason"), max_length=100, blank=True)

    class Meta:
        ordering = ["day"]
        constraints = [models.UniqueConstraint(fields=["calendar", "day"], name="unique_closure_day")]
        verbose_name = _("closure")
        verbose_name_plural = _("closures")

    def __str__(self):
        return f"{self.day} {self.name}"


class SLAPolicy(models.Model):
    name = models.CharField(_("name"), max_length=120)
    service = models.ForeignKey(
        Service,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="sla_policies",
        verbose_name=_("service"),
        help_text=_("Empty: every service."),
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, null=True, blank=True, help_text=_("Empty: every priority.")
    )
    calendar = models.ForeignKey(BusinessCalendar, models.PROTECT, verbose_name=_("calendar"))
    response_hours = models.DecimalField(
        _("first response within (business hours)"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    resolution_hours = models.DecimalField(
        _("resolve within (business hours)"), max_digits=8, decimal_places=2
    )
    at_risk_percent = models.PositiveSmallIntegerField(_("at risk after (% of the target)"), default=75)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("service-level policy")
        verbose_name_plural = _("service-level policies")

    def __str__(self):
        return self.name

    def clean(self):
        twins = SLAPolicy.objects.filter(active=True, service=self.service_id, priority=self.priority)
        if self.active and twins.exclude(pk=self.pk).exists():
            raise ValidationError(_("Another active policy already covers this service and priority."))
        if not 1 <= self.at_risk_percent <= 99:
            raise ValidationError({"at_risk_percent": _("Use a percentage between 1 and 99.")})
        for field in ("response_hours", "resolution_hours"):
            value = getattr(self, field)
            if value is not None and value <= 0:
                raise ValidationError({field: _("Use a positive number of hours.")})

    @property
    def response_target(self):
        return None if self.response_hours is None else timedelta(hours=float(self.response_hours))

    @property
    def resolution_target(self):
        return timedelta(hours=float(self.resolution_hours))


class EscalationStep(models.Model):
    class Trigger(models.TextChoices):
        AT_RISK = "at_risk", _("When at risk")
        BREACH = "breach", _("At breach")
        AFTER_BREACH = "after_breach", _("Hours after breach")

    class Clock(models.TextChoices):
        RESPONSE = "response", _("First response")
        RESOLUTION = "resolution", _("Resolution")

    policy = models.ForeignKey(SLAPolicy, models.CASCADE, related_name="steps")
    clock = models.CharField(_("clock"), max_length=10, choices=Clock.choices, default=Clock.RESOLUTION)
    trigger = models.CharField(_("when"), max_length=12, choices=Trigger.choices)
    hours_after = models.DecimalField(_("hours after breach"), max_digits=6, decimal_places=2, default=0)
    notify_supervisor = models.BooleanField(_("e-mail the department's supervisors"), default=True)
    raise_priority = models.BooleanField(_("raise priority one step"), default=False)
    reassign_department = models.ForeignKey(
        Department,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("send to department"),
    )
    reassign_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assign to"),
    )
    add_tag = models.CharField(_("add tag"), max_length=40, blank=True)

    class Meta:
        ordering = ["policy", "clock", "trigger", "hours_after"]
        verbose_name = _("escalation step")
        verbose_name_plural = _("escalation steps")

    def __str__(self):
        return f"{self.get_clock_display()}: {self.get_trigger_display()}"

    def clean(self):
        if self.trigger == self.Trigger.AFTER_BREACH and self.hours_after <= 0:
            raise ValidationError({"hours_after": _("Give how many hours after the breach.")})
        if (
            self.reassign_user_id
            and self.reassign_department_id
            and not self.reassign_user.departments.filter(pk=self.reassign_department_id).exists()
        ):
            raise ValidationError({"reassign_user": _("This person does not work in that department.")})


class CaseClock(models.Model):
    """A case's service-level clock: targets in business time, pauses, outcome and the next escalation."""

    case = models.OneToOneField(Case, models.CASCADE, related_name="clock")
    policy = models.ForeignKey(SLAPolicy, models.SET_NULL, null=True, related_name="clocks")
    started_at = models.DateTimeField()
    response_due_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    at_risk_at = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    paused_since = models.DateTimeField(null=True, blank=True)
    paused = models.DurationField(default=timedelta, help_text="Business time spent waiting on the resident.")
    response_met = models.BooleanField(null=True)
    resolution_met = models.BooleanField(null=True)
    business_to_respond = models.DurationField(null=True, blank=True)
    business_to_resolve = models.DurationField(null=True, blank=True)
    next_step = models.ForeignKey(EscalationStep, models.SET_NULL, null=True, blank=True, related_name="+")
    next_step_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("service-level clock")
        verbose_name_plural = _("service-level clocks")

    def __str__(self):
        return f"clock of case {self.case_id}"


class EscalationFiring(models.Model):
    """A step that fired for a case. The unique pair makes 'exactly once' a database fact."""

    clock = models.ForeignKey(CaseClock, models.CASCADE, related_name="firings")
    step = models.ForeignKey(EscalationStep, models.CASCADE, related_name="firings")
    fired_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["clock", "step"], name="step_fires_once")]

    def __str__(self):
        return f"{self.step} for clock {self.clock_id} at {self.fired_at}"
