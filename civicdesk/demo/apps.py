from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Riverton, the demo city, with its commands (`load_demo`, `generate_cases`); no models.

    An app of its own so the domain never imports the demo: the commands live here, not in `cases`.
    """

    name = "civicdesk.demo"
    label = "demo"
