"""Service-level clocks: started, paused, stopped and rescheduled by case events.

`on_event(case, event)` is called by cases.actions for every event it writes, inside the same
transaction, so a clock never disagrees with the timeline. Escalations are scheduled here
(`next_step_at`, indexed) and fired by `sla_watch` through `actions.escalate`.
"""

from datetime import timedelta

from civicdesk.cases import disclosure
from civicdesk.cases.disclosure import Audience
from civicdesk.cases.models import Case, EventKind
from civicdesk.cases.workflow import ACTIVE, Status
from civicdesk.lib import businesstime

from . import policies
from .models import CaseClock, EscalationStep

RESPONSE_KINDS = {EventKind.REPLY, EventKind.ACKNOWLEDGED, EventKind.STATUS}
# Routing moves a case between departments; neither its policy nor its due times depend on that.
RESCHEDULE_KINDS = {EventKind.PRIORITY, EventKind.RECATEGORISED, EventKind.ESCALATED}
STATUS_KINDS = {EventKind.STATUS, EventKind.REOPENED, EventKind.MERGED}
# Notes, photos, routing, links and the like leave the clock alone (and cost no query).
CLOCK_KINDS = RESPONSE_KINDS | RESCHEDULE_KINDS | STATUS_KINDS


def on_event(case, event):
    if event.kind == EventKind.SUBMITTED:  # a new case, which has no clock yet
        start(case, event.created_at)
        return
    if event.kind not in CLOCK_KINDS:
        return
    clock = CaseClock.objects.filter(case=case).select_related("policy__calendar").first()
    if clock is None:
        if event.kind in RESCHEDULE_KINDS:  # a new service or priority may have a policy
            start(case, event.created_at)
        return
    changed = _is_first_response(clock, event)
    if changed:
        _record_response(clock, event.created_at)
    if event.kind in STATUS_KINDS:
        _status_changed(clock, case, event)
        changed = True
    elif event.kind in RESCHEDULE_KINDS:
        # An escalation moves the clock to its next step; only a raised priority can change the policy.
        repolicy = event.kind != EventKind.ESCALATED or "priority" in event.changes
        if repolicy and not _repolicy(clock, case, event.created_at):
            return
        changed = True
    if changed:
        _schedule(clock, case, event.created_at)


def start(case, now):
    """Begin the clock of a case that has none, with the policy for its service and priority."""
    policy = policies.current().for_case(case.service_id, case.priority)
    if policy is None:
        _set_expected(case, None)
        return None
    clock = CaseClock(case=case, policy=policy, started_at=case.created_at, paused=timedelta())
    _compute_due(clock, save=False)
    _schedule(clock, case, now, fired=())  # a new clock: nothing has fired; one INSERT for it all
    return clock


def expected_at(service_id, priority, created_at):
    """When a case about to be created will be due (its expected resolution), or None without a
    policy: the case is inserted with it, so starting its clock needs no second write to it."""
    policy = policies.current().for_case(service_id, priority)
    if policy is None:
        return None
    clock = CaseClock(policy=policy, started_at=created_at, paused=timedelta())
    cal = calendar_for(clock, created_at)
    return businesstime.add(cal, created_at, policy.resolution_target)


def calendar_for(clock, around):
    """The policy's business calendar near `around`, from memory (sla.policies)."""
    found = policies.current().calendar(clock.policy.calendar_id, around)
    return found if found is not None else clock.policy.calendar.to_calendar(around)


def _compute_due(clock, save=True):
    policy = clock.policy
    cal = calendar_for(clock, clock.started_at)
    # Paused business time extends every target: waiting on the resident is not the city's time.
    if policy.response_target is not None:
        clock.response_due_at = businesstime.add(cal, clock.started_at, policy.response_target + clock.paused)
    target = policy.resolution_target
    clock.resolution_due_at = businesstime.add(cal, clock.started_at, target + clock.paused)
    risk = target * (policy.at_risk_percent / 100)
    clock.at_risk_at = businesstime.add(cal, clock.started_at, risk + clock.paused)
    if save:
        clock.save()
    _set_expected(clock.case, clock.resolution_due_at)


def _set_expected(case, when):
    if case.expected_at != when:
        case.expected_at = when
        Case.objects.filter(pk=case.pk).update(expected_at=when)


def _is_first_response(clock, event):
    if clock.responded_at is not None or event.kind not in RESPONSE_KINDS:
        return False
    # A response is something city staff said or did that the resident sees.
    seen = disclosure.sees(event, Audience.REPORTER)
    return seen and event.actor is not None and event.actor.is_city_staff


def _record_response(clock, when):
    clock.responded_at = when
    if clock.policy.response_target is not None:
        cal = calendar_for(clock, clock.started_at)
        clock.business_to_respond = businesstime.between(cal, clock.started_at, when) - clock.paused
        clock.response_met = when <= clock.response_due_at


def _status_changed(clock, case, event):
    now, status = event.created_at, case.status
    if status == Status.WAITING_ON_RESIDENT and clock.paused_since is None:
        clock.paused_since = now
    elif status != Status.WAITING_ON_RESIDENT and clock.paused_since is not None:
        cal = calendar_for(clock, clock.paused_since)
        clock.paused += businesstime.between(cal, clock.paused_since, now)
        clock.paused_since = None
        _compute_due(clock)
    if status in ACTIVE and clock.resolved_at is not None:
        # Reopened: the time it spent resolved was not the city's to use, so it extends the targets
        # like a pause; the outcome is decided again at the next resolution.
        cal = calendar_for(clock, clock.resolved_at)
        clock.paused += businesstime.between(cal, clock.resolved_at, now)
        clock.resolved_at = clock.resolution_met = clock.business_to_resolve = None
        _compute_due(clock)
    elif status not in ACTIVE and clock.resolved_at is None:
        cal = calendar_for(clock, clock.started_at)
        clock.resolved_at = now
        clock.business_to_resolve = businesstime.between(cal, clock.started_at, now) - clock.paused
        clock.resolution_met = now <= clock.resolution_due_at


def _repolicy(clock, case, now):
    """Follow a change of service or priority. False when no policy applies any more (clock removed)."""
    policy = policies.current().for_case(case.service_id, case.priority)
    if policy is None:
        clock.delete()
        _set_expected(case, None)
        return False
    if policy != clock.policy:  # due times depend only on the policy, the start and the pauses
        clock.policy = policy
        _compute_due(clock)
    return True


def step_time(clock, step):
    """When `step` is due for this clock, or None if its clock has stopped."""
    if step.clock == EscalationStep.Clock.RESPONSE:
        if clock.responded_at is not None or clock.response_due_at is None:
            return None
        due, risk = clock.response_due_at, None
        if step.trigger == EscalationStep.Trigger.AT_RISK:
            cal = calendar_for(clock, clock.started_at)
            share = clock.policy.response_target * (clock.policy.at_risk_percent / 100)
            risk = businesstime.add(cal, clock.started_at, share + clock.paused)
    else:
        if clock.resolved_at is not None:
            return None
        due, risk = clock.resolution_due_at, clock.at_risk_at
    if step.trigger == EscalationStep.Trigger.AT_RISK:
        return risk
    if step.trigger == EscalationStep.Trigger.BREACH:
        return due
    return due + timedelta(hours=float(step.hours_after))


def _steps(clock):
    found = policies.current().steps(clock.policy_id)
    return found if found is not None else list(clock.policy.steps.all())


def _schedule(clock, case, now, fired=None):
    """Point the clock at its earliest step that has not fired (none while paused or finished)."""
    clock.next_step, clock.next_step_at = None, None
    if clock.paused_since is None and case.status in ACTIVE:
        if fired is None:
            fired = set(clock.firings.values_list("step_id", flat=True))
        pending = [(step_time(clock, s), s) for s in _steps(clock) if s.pk not in fired]
        pending = sorted(((t, s) for t, s in pending if t is not None), key=lambda p: (p[0], p[1].pk))
        if pending:
            clock.next_step_at, clock.next_step = pending[0]
    clock.save()
