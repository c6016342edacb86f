"""Several `civicdesk sla_watch` processes at once on PostgreSQL: every step fires exactly once."""

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from civicdesk.cases import actions
from civicdesk.cases.models import CaseEvent, EventKind
from civicdesk.sla.models import BusinessCalendar, EscalationFiring, EscalationStep, SLAPolicy

CASES = 40


def database_url():
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def watcher():
    env = os.environ | {
        "DATABASE_URL": database_url(),
        "SECRET_KEY": "sla-watch-test",
        "DEBUG": "false",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "civicdesk.cli", "sla_watch", "--once"],
        env=env,
        cwd=settings.BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.django_db(transaction=True)
def test_it_fires_each_step_exactly_once_with_two_watchers(cast):
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass: needs real concurrent connections")
    calendar = BusinessCalendar.objects.create(name="24/7", always_open=True)
    policy = SLAPolicy.objects.create(
        name="Potholes", service=cast.pothole, calendar=calendar, resolution_hours=4
    )
    for trigger, hours in [("at_risk", 0), ("breach", 0), ("after_breach", 1)]:
        EscalationStep.objects.create(policy=policy, trigger=trigger, hours_after=hours, add_tag=trigger)
    long_ago = timezone.now() - timedelta(days=2)
    for _ in range(CASES):
        actions.submit_case(
            service=cast.pothole, description="Old hole", answers={"depth": "deep"}, created_at=long_ago
        )
    watchers = [watcher(), watcher()]
    outputs = [w.communicate(timeout=120) for w in watchers]
    assert [w.returncode for w in watchers] == [0, 0], outputs
    fired = [int(out.split()[1]) for out, _err in outputs]
    assert sum(fired) == CASES * 3
    assert EscalationFiring.objects.count() == CASES * 3
    assert CaseEvent.objects.filter(kind=EventKind.ESCALATED).count() == CASES * 3
    for case in cast.pothole.cases.all():
        assert sorted(case.tags) == ["after_breach", "at_risk", "breach"]
