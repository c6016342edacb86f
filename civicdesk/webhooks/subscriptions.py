"""The active subscriptions as a small snapshot in each process's memory: an event costs no query.

Subscriptions are policy (cases.policy): every save or delete of one, and every change of its
department or service lists, gives the policy version a new token in the same transaction, which
every process compares at most every POLICY_REFRESH_SECONDS; this process forgets its copy at once
and again on commit. A subscription deleted on another process may still be used there for that
long: its message is then undeliverable and cancelled (no database constraint ties the two).
"""

from dataclasses import dataclass

from civicdesk.cases import policy

from .models import Subscription


@dataclass(frozen=True)
class Target:
    """What the fan-out needs of a subscription; empty sets mean "every"."""

    id: int
    url: str
    events: frozenset[str]
    departments: frozenset[int]
    services: frozenset[int]

    def wants(self, webhook_type: str, case) -> bool:
        return (
            (not self.events or webhook_type in self.events)
            and (not self.departments or case.department_id in self.departments)
            and (not self.services or case.service_id in self.services)
        )


def _load():
    rows = Subscription.objects.filter(active=True).prefetch_related("departments", "services")
    return [_target(s) for s in rows]


_cache = policy.cache("webhooks", _load)


def active() -> list[Target]:
    return _cache.get()


def _target(subscription):
    return Target(
        id=subscription.pk,
        url=subscription.url,
        events=frozenset(subscription.events or ()),
        departments=frozenset(d.pk for d in subscription.departments.all()),
        services=frozenset(s.pk for s in subscription.services.all()),
    )


def connect():
    """Called once from the app config."""
    policy.watch(Subscription)
