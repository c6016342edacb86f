from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "civicdesk.sla"
    label = "sla"
    verbose_name = "Service levels"

    def ready(self):
        from civicdesk.cases import policy

        from .models import BusinessCalendar, Closure, EscalationStep, SLAPolicy, WorkingPeriod

        # Cached per process (sla.policies): every change is a new policy version.
        policy.watch(BusinessCalendar, Closure, EscalationStep, SLAPolicy, WorkingPeriod)
