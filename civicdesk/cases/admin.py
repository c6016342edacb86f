from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Attachment, Case, CaseEvent, Department, Service, ServiceAttribute


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "email", "active", "supervisor_list"]
    search_fields = ["code", "name"]
    list_filter = ["active"]

    @admin.display(description=_("supervisors"))
    def supervisor_list(self, department):
        return ", ".join(str(u) for u in department.supervisors)


class ServiceAttributeInline(admin.StackedInline):
    model = ServiceAttribute
    extra = 0
    fields = [("code", "datatype", "required", "order"), "label", "help_text", "values", "translations"]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
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

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Case._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD") and super().has_view_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False
