from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .models import ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "rate", "department", "active", "last_used_at", "created_at"]
    list_filter = ["active", "department"]
    search_fields = ["name", "prefix", "contact"]
    fields = [
        "name",
        "rate",
        "department",
        "contact",
        "prefix",
        "active",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    readonly_fields = ["prefix", "active", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def save_model(self, request, obj, form, change):
        key = None if change else obj.new_secret()
        super().save_model(request, obj, form, change)
        if key:
            messages.warning(
                request,
                _(
                    "The API key for “%(name)s” is %(key)s — copy it now: "
                    "it is stored hashed and never shown again."
                )
                % {"name": obj.name, "key": key},
            )

    @admin.action(description=gettext_lazy("Revoke the selected keys"))
    def revoke(self, request, queryset):
        keys = list(queryset.filter(active=True))
        for key in keys:
            key.revoke()
        count = len(keys)
        messages.success(
            request, ngettext("%(count)d key revoked.", "%(count)d keys revoked.", count) % {"count": count}
        )
