from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "civicdesk.notify"
    label = "notify"
    verbose_name = "Notifications"
