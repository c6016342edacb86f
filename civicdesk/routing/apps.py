from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "civicdesk.routing"
    label = "routing"
    verbose_name = "Routing"
