from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "civicdesk.webhooks"
    verbose_name = _("Webhooks")

    def ready(self):
        from civicdesk.notify.delivery import register_sender
        from civicdesk.notify.models import OutboxMessage

        from . import sender, subscriptions

        subscriptions.connect()
        # The outbox sends webhook rows through us; it never imports this app (no import cycle).
        register_sender(OutboxMessage.Channel.WEBHOOK, sender.post)
