from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InboundConfig(AppConfig):
    name = "civicdesk.inbound"
    verbose_name = _("Inbound messages")

    def ready(self):
        # The outbox adds our threading headers to case e-mails without importing this app.
        from civicdesk.notify import delivery, outbox

        from .actions import retry_stalled
        from .sms import route_case_message
        from .threading import outbound_headers
        from .twilio import send_sms

        delivery.register_headers(outbound_headers)
        # SMS goes out through the outbox like webhooks: Twilio's REST call is our sender.
        delivery.register_sender("sms", send_sms)
        outbox.register_case_route(route_case_message)
        # Messages whose task or worker died are processed by the outbox's safety net.
        delivery.register_sweep(retry_stalled)
        self._register_messaging()

    def _register_messaging(self):
        """WhatsApp, Telegram and social (decision 49): processing, senders, routes and consent."""
        from civicdesk.notify import delivery, outbox

        from . import actions, messaging, senders

        for channel in messaging.MESSAGING:
            actions.PROCESSORS[channel] = messaging.process_messaging
        delivery.register_sender(messaging.WHATSAPP, senders.send_whatsapp)
        delivery.register_sender(messaging.TELEGRAM, senders.send_telegram)
        outbox.register_case_route(messaging.queue_messages)
        for channel in messaging.OUTBOUND:
            outbox.register_channel_consent(channel, messaging.may_contact_handle)
