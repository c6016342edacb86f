"""Fire due escalation steps. Safe to run in several processes: each step fires exactly once."""

import logging

from django.db import transaction
from django.utils import timezone

from civicdesk.cases import actions
from civicdesk.cases.models import Case

from .models import CaseClock, EscalationStep

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
        steps = EscalationStep.objects.in_bulk({step_id for _pk, step_id in due})
        fired_now = sum(_fire(pk, steps[step_id], now) for pk, step_id in due if step_id in steps)
        fired += fired_now
        if not fired_now and len(due) < limit:
            break
    return fired


def _fire(clock_id, step, now):
    """Claim and fire one step in one transaction; 1 if this process fired it."""
    try:
        with transaction.atomic():
            # Lock the case before the clock, in the same order as every action (case, then clock via
            # its event), so a sweep and a staff action cannot deadlock.
            case = Case.objects.select_for_update(of=("self",)).filter(clock__pk=clock_id).first()
            # A second process's conditional UPDATE waits on the row, then finds the clock pointing at
            # a later step and claims nothing. A crash rolls back the claim with the firing.
            claimed = CaseClock.objects.filter(pk=clock_id, next_step=step, next_step_at__lte=now).update(
                next_step_at=None
            )
            if not claimed:
                return 0
            actions.escalate(case, step, now=now)
    except Exception:  # one broken case must not stop every other escalation
        log.exception("escalation of clock %s step %s failed", clock_id, step.pk)
        return 0
    log.info("escalated case %s: step %s", case.number, step.pk)
    return 1
