from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InboundConfig(AppConfig):
    name = "civicdesk.inbound"
    verbose_name = _("Inbound messages")

    def ready(self):
        # The outbox adds our threading headers to case e-mails without importing this app.
        from civicdesk.notify import delivery

        from .threading import outbound_headers

        delivery.register_headers(outbound_headers)
