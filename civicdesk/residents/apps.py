from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResidentsConfig(AppConfig):
    name = "civicdesk.residents"
    label = "residents"
    verbose_name = _("Resident directory")

    def ready(self):
        from civicdesk.notify import outbox

        from .consent import sms_allowed
        from .directory import opted_out

        outbox.register_opt_out(opted_out)
        # The outbox asks us before every SMS whether the number said STOP, without importing us.
        outbox.register_channel_consent("sms", lambda message: sms_allowed(message.recipient))
