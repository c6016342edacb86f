from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "civicdesk.routing"
    label = "routing"
    verbose_name = "Routing"

    def ready(self):
        from civicdesk.cases import policy

        from .models import RoutingRule

        # Cached per process (routing.rules): every change is a new policy version.
        policy.watch(RoutingRule)
