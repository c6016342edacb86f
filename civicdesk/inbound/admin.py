from django.contrib import admin, messages
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import actions
from .models import Conversation, InboundMessage

RAW_SHOWN = 100_000  # characters of the raw message shown; the whole stays stored


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    """The quarantine: messages that could not be read, or were taken for automated mail, with the
    reason. Staff read them, release them into a case, or discard them."""

    list_display = ["received_at", "channel", "sender", "subject", "status", "reason", "case"]
    list_filter = ["status", "channel"]
    search_fields = ["sender", "subject", "key", "case__number"]
    date_hierarchy = "received_at"
    actions = ["release", "discard"]
    exclude = ["raw"]
    readonly_fields = [
        *[f.name for f in InboundMessage._meta.fields if f.name != "raw"],
        "raw_message",
    ]

    class Media:
        css = {"all": ["inbound/admin.css"]}

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        # The list never needs the bytes (up to INBOUND_MAX_BYTES each); one message's page does.
        return queryset if request.resolver_match.url_name.endswith("_change") else queryset.defer("raw")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("raw message"))
    def raw_message(self, obj):
        if obj.raw_purged_at is not None:
            return _("Purged after its retention period, on %(date)s.") % {
                "date": formats.date_format(timezone.localtime(obj.raw_purged_at), "DATETIME_FORMAT")
            }
        text = bytes(obj.raw).decode("utf-8", errors="replace")
        return text[:RAW_SHOWN]

    @admin.action(description=_("Release the selected messages into cases"))
    def release(self, request, queryset):
        released = 0
        for message in queryset.filter(
            status__in=[InboundMessage.Status.QUARANTINED, InboundMessage.Status.IGNORED_AUTOMATED],
            raw_purged_at__isnull=True,  # nothing left to process
        ):
            result = actions.process(message.pk, release_by=request.user)
            released += result is not None and result.status == InboundMessage.Status.PROCESSED
        self.message_user(
            request,
            ngettext("%(count)d message released.", "%(count)d messages released.", released)
            % {"count": released},
            messages.SUCCESS,
        )

    @admin.action(description=_("Discard the selected messages"))
    def discard(self, request, queryset):
        for message in queryset:
            actions.discard(message)
        self.message_user(request, _("Discarded."), messages.SUCCESS)


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "channel", "address", "case", "last_inbound_at"]
    list_filter = ["channel"]
    search_fields = ["address", "case__number"]
    readonly_fields = [f.name for f in Conversation._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# The channels' accounts (decision 51) have their own module; importing it registers them.
from . import channel_admin  # noqa: E402, F401
