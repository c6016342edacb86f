"""Load the admin's rules for the engine, cached per process until the rules change.

Whether they changed is asked of the database at most every ROUTING_REFRESH_SECONDS (default 2), so a
decision costs no query; another process sees an edit within that time.
"""

import time

from django.conf import settings
from django.db.models import Count, Max
from django.utils import timezone

from . import engine
from .models import RoutingRule

_cache = {"stamp": None, "rules": [], "checked": 0.0}


def _stamp():
    return tuple(RoutingRule.objects.aggregate(n=Count("id"), at=Max("updated_at")).values())


def invalidate():
    _cache.update(stamp=None, checked=0.0)


def active_rules():
    now = time.monotonic()
    if (
        now - _cache["checked"] < getattr(settings, "ROUTING_REFRESH_SECONDS", 2)
        and _cache["stamp"] is not None
    ):
        return _cache["rules"]
    _cache["checked"] = now
    stamp = _stamp()
    if stamp != _cache["stamp"]:
        rules = (
            RoutingRule.objects.filter(active=True)
            .select_related("set_department")
            .prefetch_related("services", "split_to")
        )
        _cache.update(stamp=stamp, rules=[r.snapshot() for r in rules])
    return _cache["rules"]


def facts_for(case):
    """What the engine sees of a case (or of a case about to be created)."""
    return engine.Facts(
        service=case.service.code,
        group=case.service.group,
        areas=dict(case.areas or {}),
        description=case.description,
        answers=dict(case.attributes or {}),
        channel=case.channel,
        priority=case.priority,
        when=timezone.localtime(case.created_at),
    )


def decide(case, rules=None):
    return engine.route(facts_for(case), active_rules() if rules is None else rules)
