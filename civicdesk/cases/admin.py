from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .models import Attachment, Case, CaseEvent, Datatype, Department, Service, ServiceAttribute


def _is_text_map(value):
    return isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    )


class TranslationsForm(forms.ModelForm):
    """JSON boxes hold what the code reads: an emptied box is "none", not a database error (500)."""

    def clean_translations(self):
        value = self.cleaned_data.get("translations") or {}
        if not (isinstance(value, dict) and all(_is_text_map(texts) for texts in value.values())):
            raise ValidationError(_('Write it as {"es": {"name": "…"}}: a language code, then its texts.'))
        return value


class ServiceAttributeForm(TranslationsForm):
    def clean_values(self):
        values = self.cleaned_data.get("values") or []
        if not (isinstance(values, list) and all(_is_choice(v) for v in values)):
            raise ValidationError(_('Write the choices as [{"key": "deep", "name": "Deep"}, …].'))
        keys = [v["key"] for v in values]
        if len(set(keys)) != len(keys):
            raise ValidationError(_("Each choice needs its own key."))
        return values

    def clean(self):
        cleaned = super().clean()
        is_list = cleaned.get("datatype") in (Datatype.SINGLE, Datatype.MULTI)
        # Residents could not answer a list question with nothing to choose from.
        if is_list and "values" in cleaned and not cleaned["values"]:
            self.add_error("values", _("A question with choices needs at least one choice."))
        return cleaned


def _is_choice(value):
    return (
        isinstance(value, dict)
        and isinstance(value.get("key"), str)
        and value["key"].strip() != ""
        and isinstance(value.get("name"), str)
        and _is_text_map(value.get("translations", {}))
    )


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    form = TranslationsForm
    list_display = ["code", "name", "email", "active", "supervisor_list"]
    search_fields = ["code", "name"]
    list_filter = ["active"]

    @admin.display(description=_("supervisors"))
    def supervisor_list(self, department):
        return ", ".join(str(u) for u in department.supervisors)


class ServiceAttributeInline(admin.StackedInline):
    model = ServiceAttribute
    form = ServiceAttributeForm
    extra = 0
    fields = [("code", "datatype", "required", "order"), "label", "help_text", "values", "translations"]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    form = TranslationsForm
    list_display = ["code", "name", "group", "default_department", "default_priority", "active"]
    list_filter = ["active", "group", "default_department"]
    search_fields = ["code", "name", "keywords"]
    inlines = [ServiceAttributeInline]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class EventInline(ReadOnlyInline):
    model = CaseEvent
    fields = ["created_at", "actor_label", "kind", "public", "changes", "message"]
    readonly_fields = fields
    verbose_name_plural = _("timeline")


class AttachmentInline(ReadOnlyInline):
    model = Attachment
    fields = ["created_at", "file", "content_type", "size", "public"]
    readonly_fields = fields


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Read-only: cases change only through the actions (staff workspace, APIs), so the audit trail holds."""

    def view_on_site(self, case):
        """The staff case page: the model's own URL is the reporter's private tracking link."""
        return reverse("staff-case", args=[case.number])

    list_display = [
        "number",
        "service",
        "status",
        "priority",
        "department",
        "assignee",
        "channel",
        "created_at",
    ]
    list_filter = ["status", "priority", "channel", "department"]
    search_fields = ["number", "description", "address"]
    date_hierarchy = "created_at"
    list_select_related = ["service", "department", "assignee"]
    inlines = [EventInline, AttachmentInline]
    show_full_result_count = False
    # The tracking token is the reporter's key to the case: it is shown to nobody but them.
    exclude = ["tracking_token"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Case._meta.fields if f.name != "tracking_token"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # View-only pages: no Save buttons that would only be refused, and every POST gets 403.
        return False

    def has_delete_permission(self, request, obj=None):
        return False
