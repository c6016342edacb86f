"""Service-level policy from memory: which policy a case gets, its steps, and its business calendar.

Built once per process and rebuilt when policy changes anywhere (cases.policy: a calendar, a
period, a closure, a policy or a step), so starting a clock costs no query for policy and the
calendar (working hours, holidays, closures) is not rebuilt for every case.
"""

from civicdesk.cases import policy

from .models import BusinessCalendar, SLAPolicy


class Snapshot:
    def __init__(self):
        # Every policy, inactive ones too: a clock keeps its policy's steps after it is retired.
        rows = SLAPolicy.objects.select_related("calendar").prefetch_related("steps").order_by("pk")
        self.policies = {p.pk: p for p in rows}
        self.active = [p for p in self.policies.values() if p.active]
        self.calendars = {c.pk: c for c in BusinessCalendar.objects.prefetch_related("periods", "closures")}
        self._pure = {}  # (calendar id, year) -> businesstime.Calendar

    def for_case(self, service_id, priority):
        """The most specific active policy: service and priority, then service, then priority, then any."""
        candidates = [
            p for p in self.active if p.service_id in (service_id, None) and p.priority in (priority, None)
        ]
        return min(candidates, key=lambda p: (p.service_id is None, p.priority is None, p.pk), default=None)

    def steps(self, policy_id):
        found = self.policies.get(policy_id)
        return list(found.steps.all()) if found is not None else None

    def calendar(self, calendar_id, around):
        """The pure calendar near `around`; None for a calendar created after this snapshot."""
        key = (calendar_id, around.year)
        pure = self._pure.get(key)
        if pure is None and calendar_id in self.calendars:
            pure = self._pure[key] = self.calendars[calendar_id].to_calendar(around)
        return pure


_cache = policy.cache("sla", Snapshot)


def current():
    return _cache.get()


def cache():
    return _cache
