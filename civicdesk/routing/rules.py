"""Load the admin's rules for the engine, cached per process until the rules change.

Whether policy changed is asked of the database at most every POLICY_REFRESH_SECONDS (cases.policy),
so a decision costs no query; another process sees an edit within that time. A rule's snapshot names
services and departments by code, so their changes count too.
"""

from django.utils import timezone

from civicdesk.cases import policy

from . import engine
from .models import RoutingRule


def _load():
    rules = (
        RoutingRule.objects.filter(active=True)
        .select_related("set_department")
        .prefetch_related("services", "split_to")
    )
    return [r.snapshot() for r in rules]


_cache = policy.cache("routing", _load)


def cache():
    return _cache


def active_rules():
    return _cache.get()


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
