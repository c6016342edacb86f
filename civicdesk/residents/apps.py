from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResidentsConfig(AppConfig):
    name = "civicdesk.residents"
    label = "residents"
    verbose_name = _("Resident directory")

    def ready(self):
        # The outbox asks us before every SMS whether the number said STOP, without importing us.
        from civicdesk.notify import outbox

        from .consent import sms_allowed

        outbox.register_channel_consent("sms", sms_allowed)
