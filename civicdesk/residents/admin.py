from django.contrib import admin

from .models import ContactPoint, Resident, ResidentEvent


class ContactPointInline(admin.TabularInline):
    model = ContactPoint
    extra = 0
    fields = ["kind", "value", "verified", "source", "created_at"]
    readonly_fields = ["created_at"]


@admin.register(Resident)
class ResidentAdmin(admin.ModelAdmin):
    """For corrections by administrators; merges go through the staff page, which records them."""

    list_display = ["pk", "display_name", "language", "preferred_channel", "account", "merged_into"]
    search_fields = ["display_name", "contact_points__value"]
    raw_id_fields = ["account", "merged_into"]
    readonly_fields = ["merged_into", "created_at", "updated_at"]
    inlines = [ContactPointInline]


@admin.register(ResidentEvent)
class ResidentEventAdmin(admin.ModelAdmin):
    """The directory's audit trail: read only."""

    list_display = ["created_at", "resident", "kind", "other", "actor_label"]
    list_filter = ["kind"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
