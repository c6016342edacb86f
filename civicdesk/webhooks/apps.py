from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "civicdesk.webhooks"
    verbose_name = _("Webhooks")

    def ready(self):
        from . import subscriptions

        subscriptions.connect()
