from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "civicdesk.notify"
    label = "notify"
    verbose_name = "Notifications"

    def ready(self):
        from civicdesk.lib import taskworkers

        from . import checks  # noqa: F401 - registers the outbox settings check

        # Every task worker (the outbox's deliveries are its tasks) drops stale database connections.
        taskworkers.connect()
