from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResidentsConfig(AppConfig):
    name = "civicdesk.residents"
    label = "residents"
    verbose_name = _("Resident directory")

    def ready(self):
        from civicdesk.notify.outbox import register_opt_out

        from .directory import opted_out

        register_opt_out(opted_out)
