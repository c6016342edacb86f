"""Fire due escalation steps. Safe to run in several processes: each step fires exactly once."""

import logging

from django.db import transaction
from django.utils import timezone

from civicdesk.cases import actions

from .models import CaseClock

log = logging.getLogger(__name__)


def sweep(now=None, limit=1000, max_passes=20):
    """Fire everything due by `now`: passes over the index on next_step_at until one fires nothing.

    A firing can make a clock's next step due at once (breach and "8 hours after breach" both past),
    hence the passes; each step fires once per case, so they end.
    """
    now = now or timezone.now()
    fired = 0
    for _ in range(max_passes):
        due = list(
            CaseClock.objects.filter(next_step_at__lte=now)
            .order_by("next_step_at")
            .values_list("pk", "next_step_id")[:limit]
        )
        fired_now = sum(_fire(pk, step_id, now) for pk, step_id in due)
        fired += fired_now
        if not fired_now and len(due) < limit:
            break
    return fired


def _fire(clock_id, step_id, now):
    # Claim and fire in one transaction: a second process's conditional UPDATE waits on the row lock,
    # then finds the clock already pointing at a later step and claims nothing. A crash rolls back both.
    with transaction.atomic():
        claimed = CaseClock.objects.filter(pk=clock_id, next_step_id=step_id, next_step_at__lte=now).update(
            next_step_at=None
        )
        if not claimed:
            return 0
        clock = CaseClock.objects.select_related("case", "next_step").get(pk=clock_id)
        actions.escalate(clock.case, clock.next_step, now=now)
    log.info("escalated case %s: step %s", clock.case.number, step_id)
    return 1
