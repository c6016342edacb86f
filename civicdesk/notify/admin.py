from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .delivery import cancel, requeue
from .models import OutboxMessage
from .outbox import ACCOUNT_KIND


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "kind",
        "recipient",
        "status",
        "attempts",
        "next_attempt_at",
        "lease_until",
        "alerted_at",
        "last_error",
    ]
    list_filter = ["status", "kind", "channel"]
    search_fields = ["recipient", "subject", "case__number", "message_id"]
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
    actions = ["retry_now", "cancel_messages"]
    date_hierarchy = "created_at"

    def get_fields(self, request, obj=None):
        # An account e-mail's body holds a password-reset or confirm-email link: nobody reads it here.
        fields = super().get_fields(request, obj)
        if obj is not None and obj.kind == ACCOUNT_KIND:
            return [field for field in fields if field != "body"]
        return fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Retry the selected messages now"))
    def retry_now(self, request, queryset):
        statuses = [OutboxMessage.Status.FAILED, OutboxMessage.Status.PENDING, OutboxMessage.Status.CANCELLED]
        ids = requeue(queryset, statuses)
        self.message_user(
            request,
            ngettext("%(count)d message queued again.", "%(count)d messages queued again.", len(ids))
            % {"count": len(ids)},
            messages.SUCCESS,
        )

    @admin.action(description=_("Cancel the selected messages (stop retrying them)"))
    def cancel_messages(self, request, queryset):
        count = cancel(queryset)
        self.message_user(
            request,
            ngettext("%(count)d message cancelled.", "%(count)d messages cancelled.", count)
            % {"count": count},
            messages.SUCCESS,
        )
