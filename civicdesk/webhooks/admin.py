from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from civicdesk.notify.delivery import requeue
from civicdesk.notify.models import OutboxMessage

from .addresses import check_url
from .models import DeliveryAttempt, Subscription, WebhookDelivery, WebhookEvent, new_secret


class SubscriptionForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        label=_("events"),
        choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Event types to send; none ticked sends every type."),
    )

    class Meta:
        model = Subscription
        fields = ["name", "url", "active", "events", "departments", "services"]

    def clean_url(self):
        # URLField also accepts ftp:// and internal addresses; the sender refuses both.
        url = self.cleaned_data["url"]
        check_url(url)
        return url


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    list_display = ["name", "url", "active", "event_list", "created_at"]
    list_filter = ["active"]
    search_fields = ["name", "url"]
    filter_horizontal = ["departments", "services"]
    actions = ["rotate_secret"]

    def get_fields(self, request, obj=None):
        fields = ["name", "url", "active", "events", "departments", "services"]
        # The secret exists once the subscription is saved; it is shown, never typed.
        return fields if obj is None else [*fields, "secret", "delivery_log", "created_by", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["secret", "delivery_log", "created_by", "created_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description=_("events"))
    def event_list(self, obj):
        return ", ".join(obj.events) if obj.events else _("all")

    @admin.display(description=_("delivery log"))
    def delivery_log(self, obj):
        url = reverse("admin:webhooks_deliveryattempt_changelist") + f"?subscription__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, _("Attempts for this subscription"))

    @admin.action(description=_("Rotate the signing secret of the selected subscriptions"))
    def rotate_secret(self, request, queryset):
        subscriptions = list(queryset)
        for subscription in subscriptions:
            subscription.secret = new_secret()
            subscription.save(update_fields=["secret"])
        self.message_user(
            request,
            ngettext(
                "Secret rotated for %(count)d subscription. Give the receiver its new secret: every "
                "attempt from now on is signed with it.",
                "Secrets rotated for %(count)d subscriptions. Give the receivers their new secrets: every "
                "attempt from now on is signed with them.",
                len(subscriptions),
            )
            % {"count": len(subscriptions)},
            messages.SUCCESS,
        )


def _redeliver(modeladmin, request, message_ids):
    """A new attempt of each chosen message: same body, same webhook-id, signed with today's secret."""
    statuses = [OutboxMessage.Status.SENT, OutboxMessage.Status.FAILED, OutboxMessage.Status.PENDING]
    ids = requeue(WebhookDelivery.objects.filter(pk__in=message_ids), statuses)
    modeladmin.message_user(
        request,
        ngettext("%(count)d delivery queued again.", "%(count)d deliveries queued again.", len(ids))
        % {"count": len(ids)},
        messages.SUCCESS,
    )


class ReadOnlyAdmin(admin.ModelAdmin):
    """Written by the sender only; people read and redeliver."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    fields = ["attempted_at", "url", "status_code", "success", "error", "duration_ms", "response_body"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "webhook_id", "subscription", "case", "status", "attempts"]
    list_filter = ["status", "kind", "subscription"]
    search_fields = ["webhook_id", "case__number", "recipient"]
    fields = [
        "webhook_id",
        "kind",
        "subscription",
        "case",
        "recipient",
        "status",
        "attempts",
        "created_at",
        "next_attempt_at",
        "sent_at",
        "last_error",
        "body",
    ]
    readonly_fields = fields
    inlines = [AttemptInline]
    actions = ["redeliver"]
    date_hierarchy = "created_at"
    list_select_related = ["subscription", "case"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(channel=OutboxMessage.Channel.WEBHOOK)

    @admin.action(description=_("Redeliver the selected deliveries"))
    def redeliver(self, request, queryset):
        _redeliver(self, request, queryset.values_list("pk", flat=True))


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(ReadOnlyAdmin):
    list_display = [
        "attempted_at",
        "subscription",
        "kind",
        "webhook_id",
        "status_code",
        "success",
        "duration_ms",
        "error",
    ]
    list_filter = ["success", "status_code", "subscription"]
    search_fields = ["message__webhook_id", "message__case__number", "url"]
    readonly_fields = [f.name for f in DeliveryAttempt._meta.fields]
    actions = ["redeliver"]
    date_hierarchy = "attempted_at"
    list_select_related = ["subscription", "message"]

    @admin.display(description=_("event type"))
    def kind(self, obj):
        return obj.message.kind

    @admin.display(description=_("webhook id"))
    def webhook_id(self, obj):
        return obj.message.webhook_id

    @admin.action(description=_("Redeliver the messages of the selected attempts"))
    def redeliver(self, request, queryset):
        _redeliver(self, request, queryset.values_list("message_id", flat=True))
