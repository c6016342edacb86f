from functools import partial

from django.contrib import admin, messages
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import OutboxMessage
from .outbox import enqueue


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "recipient", "status", "attempts", "next_attempt_at", "last_error"]
    list_filter = ["status", "kind", "channel"]
    search_fields = ["recipient", "subject", "case__number"]
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
    actions = ["retry_now"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Retry the selected messages now"))
    def retry_now(self, request, queryset):
        # Not "sending": a live worker may be halfway through it; a dead one's claim expires anyway.
        retryable = [OutboxMessage.Status.FAILED, OutboxMessage.Status.PENDING]
        ids = list(queryset.filter(status__in=retryable).values_list("pk", flat=True))
        OutboxMessage.objects.filter(pk__in=ids, status__in=retryable).update(
            status=OutboxMessage.Status.PENDING, next_attempt_at=timezone.now(), attempts=0
        )
        for pk in ids:
            transaction.on_commit(partial(enqueue, pk), robust=True)
        self.message_user(
            request,
            ngettext("%(count)d message queued again.", "%(count)d messages queued again.", len(ids))
            % {"count": len(ids)},
            messages.SUCCESS,
        )
