from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from civicdesk.lib.businesstime import validate_periods

from .models import BusinessCalendar, CaseClock, Closure, EscalationStep, SLAPolicy, WorkingPeriod


class PeriodFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        weekly = {}
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if data and not data.get("DELETE") and data.get("start") and data.get("end"):
                weekly.setdefault(data["weekday"], []).append((data["start"], data["end"]))
        problems = validate_periods(weekly)
        if problems:
            raise ValidationError([_("Working periods: %(problem)s") % {"problem": p} for p in problems])


class PeriodInline(admin.TabularInline):
    model = WorkingPeriod
    formset = PeriodFormSet
    extra = 0


class ClosureInline(admin.TabularInline):
    model = Closure
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone", "always_open", "holiday_country", "holiday_subdivision"]
    inlines = [PeriodInline, ClosureInline]


class StepInline(admin.StackedInline):
    model = EscalationStep
    extra = 0
    fields = [
        ("clock", "trigger", "hours_after"),
        ("notify_supervisor", "raise_priority", "add_tag"),
        ("reassign_department", "reassign_user"),
    ]


@admin.register(SLAPolicy)
class SLAPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "service",
        "priority",
        "calendar",
        "response_hours",
        "resolution_hours",
        "at_risk_percent",
        "active",
    ]
    list_filter = ["active", "calendar", "priority"]
    search_fields = ["name", "service__name"]
    inlines = [StepInline]


@admin.register(CaseClock)
class CaseClockAdmin(admin.ModelAdmin):
    """Read-only: clocks follow case events; this is for looking, and for reports."""

    list_display = [
        "case",
        "policy",
        "response_due_at",
        "resolution_due_at",
        "response_met",
        "resolution_met",
        "next_step_at",
    ]
    list_filter = ["response_met", "resolution_met", "policy"]
    search_fields = ["case__number"]
    list_select_related = ["case", "policy"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
