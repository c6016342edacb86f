from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "civicdesk.webhooks"
    verbose_name = _("Webhooks")

    def ready(self):
        from civicdesk.cases.actions import follow_events
        from civicdesk.notify.delivery import register_sender
        from civicdesk.notify.models import OutboxMessage

        from . import fanout, sender, subscriptions

        subscriptions.connect()
        # The outbox sends webhook rows through us, and actions tell us every event: neither
        # imports this app (the domain never imports an integration).
        register_sender(OutboxMessage.Channel.WEBHOOK, sender.post)
        follow_events(fanout.on_event)
