from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _repair_search(using, **kwargs):
    from django.db import connections

    from civicdesk.cases.search import ensure_search_schema

    ensure_search_schema(connections[using])


class CasesConfig(AppConfig):
    name = "civicdesk.cases"
    label = "cases"

    def ready(self):
        # On SQLite a migration that rebuilds cases_case silently drops the full-text triggers;
        # this puts them back after every migrate.
        post_migrate.connect(_repair_search, sender=self, dispatch_uid="civicdesk-search-repair")
        from . import emails, policy
        from .models import Department, Service, ServiceAttribute

        # Cached per process (cases.catalogue, routing, service levels): a change is a new version.
        policy.watch(Service, ServiceAttribute, Department)
        emails.register()
