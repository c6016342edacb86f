"""Policy cached per process: another process's change is used once the refresh interval has passed,
never later; this process's own changes at once."""

from datetime import timedelta

import pytest
from django.db import connection

from civicdesk.cases import actions, catalogue, policy
from civicdesk.routing import rules
from civicdesk.routing.models import RoutingRule
from civicdesk.sla import policies
from civicdesk.sla.models import BusinessCalendar, SLAPolicy

REFRESH = 60


class Clock:
    now = 5000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(settings, monkeypatch):
    settings.POLICY_REFRESH_SECONDS = REFRESH
    fake = Clock()
    for cache in policy.caches():
        cache.clear()
        monkeypatch.setattr(cache, "clock", fake)
    yield fake
    for cache in policy.caches():
        cache.clear()


def changed_elsewhere(sql, params=()):
    """What another process's change looks like from here: rows and the policy version move in the
    database, and nothing tells this process's memory."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        cursor.execute(
            "UPDATE cases_policyversion SET token = md5(random()::text)"
            if connection.vendor == "postgresql"
            else "UPDATE cases_policyversion SET token = hex(randomblob(16))"
        )


def submit(cast):
    return actions.submit_case(service=cast.pothole, answers={"depth": "deep"}, description="Hole")


def test_it_routes_with_another_process_s_rule_once_the_interval_passed(cast, clock):
    rule = RoutingRule.objects.create(name="Potholes to Parks", set_department=cast.parks)
    rule.services.set([cast.pothole])
    assert submit(cast).department == cast.parks
    changed_elsewhere(
        "UPDATE routing_routingrule SET set_department_id = %s WHERE id = %s", [cast.public_works.pk, rule.pk]
    )
    clock.now += REFRESH - 1
    assert submit(cast).department == cast.parks  # within the interval: the copy in memory
    clock.now += 1
    assert submit(cast).department == cast.public_works  # never a rule older than the interval


def test_it_prices_the_sla_with_another_process_s_policy_once_the_interval_passed(cast, clock):
    calendar = BusinessCalendar.objects.create(name="24/7", always_open=True)
    sla = SLAPolicy.objects.create(
        name="Potholes", service=cast.pothole, calendar=calendar, resolution_hours=10
    )
    case = submit(cast)
    assert case.clock.resolution_due_at == case.created_at + timedelta(hours=10)
    changed_elsewhere("UPDATE sla_slapolicy SET resolution_hours = 3 WHERE id = %s", [sla.pk])
    clock.now += REFRESH
    case = submit(cast)
    assert case.clock.resolution_due_at == case.created_at + timedelta(hours=3)
    assert case.expected_at == case.clock.resolution_due_at


def test_it_uses_this_process_s_own_change_at_once(cast, clock):
    calendar = BusinessCalendar.objects.create(name="24/7", always_open=True)
    sla = SLAPolicy.objects.create(
        name="Potholes", service=cast.pothole, calendar=calendar, resolution_hours=10
    )
    submit(cast)
    sla.resolution_hours = 2
    sla.save()  # the admin's save: a signal
    case = submit(cast)
    assert case.clock.resolution_due_at == case.created_at + timedelta(hours=2)
    cast.pothole.attributes.filter(code="depth").update(required=False)
    cached = {a.code: a for a in catalogue.service("pothole").attributes.all()}
    assert cached["depth"].required  # an update() sends no signal: only the interval brings it in


def test_it_counts_hits_and_misses(cast, clock):
    submit(cast)
    before = {c.name: (c.hits, c.misses) for c in policy.caches()}
    submit(cast)
    after = {c.name: (c.hits, c.misses) for c in policy.caches()}
    assert {"services", "routing", "sla", "webhooks"} <= after.keys()
    for name in ("services", "routing", "sla"):
        assert after[name][0] > before[name][0] and after[name][1] == before[name][1]
    assert rules.cache() in policy.caches() and policies.cache() in policy.caches()
