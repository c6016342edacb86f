from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


def _repair_search(using, **kwargs):
    from django.db import connections

    from civicdesk.lib.search import ensure_search_schema

    ensure_search_schema(connections[using])


class StaffConfig(AppConfig):
    name = "civicdesk.staff"
    label = "staff"

    def ready(self):
        # The staff queue is the search's main user. On SQLite a later migration that rebuilds
        # cases_case drops the FTS triggers silently; this puts them back after every migrate.
        # (Sent per app with models only, so listen for the cases app, which owns the tables.)
        cases = apps.get_app_config("cases")
        post_migrate.connect(_repair_search, sender=cases, dispatch_uid="civicdesk-search-repair")
