from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "civicdesk.notify"
    label = "notify"
    verbose_name = "Notifications"

    def ready(self):
        from . import checks  # noqa: F401 - registers the outbox settings check
