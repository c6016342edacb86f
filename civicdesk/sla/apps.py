from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "civicdesk.sla"
    label = "sla"
    verbose_name = "Service levels"
