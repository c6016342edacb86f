"""The active subscriptions as a small snapshot in the shared cache, so an event costs one cache read.

The snapshot is dropped whenever a subscription or its department/service lists change (Django's
model signals, so the admin, the REST API and scripts are all covered) and again when that
transaction commits, so no process can cache what was read before the commit. The TTL bounds
staleness where the cache is per-process (the default memory cache with several web processes).

A city without subscriptions should pay nothing per event, and a Redis round trip per event is not
nothing: a process trusts its own "there are none" for EMPTY_SECONDS. A non-empty list is always read
from the shared cache, so a deleted subscription (or one a rolled-back transaction created) is never
used from a process's memory.
"""

import time
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from .models import Subscription

CACHE_KEY = "webhooks:subscriptions:v1"
CACHE_SECONDS = 60
EMPTY_SECONDS = 2.0
_local = {"empty_until": 0.0}


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


def active() -> list[Target]:
    now = time.monotonic()
    if now < _local["empty_until"]:
        return []
    targets = cache.get(CACHE_KEY)
    if targets is None:
        targets = [
            _target(s)
            for s in Subscription.objects.filter(active=True).prefetch_related("departments", "services")
        ]
        cache.set(CACHE_KEY, targets, CACHE_SECONDS)
    _local["empty_until"] = 0.0 if targets else now + EMPTY_SECONDS
    return targets


def _target(subscription):
    return Target(
        id=subscription.pk,
        url=subscription.url,
        events=frozenset(subscription.events or ()),
        departments=frozenset(d.pk for d in subscription.departments.all()),
        services=frozenset(s.pk for s in subscription.services.all()),
    )


def invalidate(**_signal_kwargs):
    _local["empty_until"] = 0.0
    cache.delete(CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(CACHE_KEY), robust=True)


def connect():
    """Called once from the app config."""
    post_save.connect(invalidate, sender=Subscription, dispatch_uid="webhooks-subscription-saved")
    post_delete.connect(invalidate, sender=Subscription, dispatch_uid="webhooks-subscription-deleted")
    for field in ("departments", "services"):
        through = getattr(Subscription, field).through
        m2m_changed.connect(invalidate, sender=through, dispatch_uid=f"webhooks-subscription-{field}")
