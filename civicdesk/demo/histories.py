"""Riverton's cases and their histories, written through `cases.actions` like every real case.

First a plan is drawn from the seed (when each report arrives, about what, how far it has got),
then each plan is played: submit, acknowledge or assign, progress replies, questions to the
resident, internal notes, resolution, closing, reopening, merging duplicates, transfers.

Only `submit_case` takes a past time (`created_at`). The other actions stamp their events with the
current time unless they accept an `at=` keyword; `_act` passes one when they do, so the
histories become fully back-dated as soon as the actions support it.
"""

import inspect
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from civicdesk.accounts.models import Role
from civicdesk.cases import actions
from civicdesk.cases.models import Channel, Priority
from civicdesk.cases.workflow import Status

from . import catalogue, fake, people, places

CASE_COUNT = 540
DAYS = 90
DUPLICATE_WINDOW = timedelta(days=14)
# really is -> filed as: residents pick the wrong service; an agent moves the case where it belongs.
FILED_AS = {
    "illegal-dumping": "street-debris",
    "park-maintenance": "litter-basket",
    "traffic-signal": "streetlight-out",
    "storm-drain": "pothole",
    "stray-dog": "barking-dog",
}


@dataclass
class Plan:
    when: datetime
    spec: dict
    outcome: str
    took_days: float  # how long the fix takes (or will take)
    extras: set = field(default_factory=set)


@dataclass
class City:
    departments: dict
    services: dict
    people: dict

    def __post_init__(self):
        users = self.people.values()
        self.agents = [u for u in users if u.role == Role.AGENT]
        self.residents = [u for u in users if u.role == Role.RESIDENT]
        self.staff, self.supervisors = {}, {}
        for user in users:
            for department in user.departments.all():
                group = self.supervisors if user.role == Role.SUPERVISOR else self.staff
                group.setdefault(department.pk, []).append(user)


# ---------------------------------------------------------------- planning


def plan_cases(rng, now, count=CASE_COUNT, days=DAYS):
    """Decide, from the seed alone, every report: its time, service and how far it has got."""
    moments = sorted(_report_time(rng, now, days) for _ in range(count))
    plans = []
    for when in moments:
        spec = rng.choices(catalogue.SERVICES, weights=fake.service_weights(catalogue.SERVICES, when.month))[
            0
        ]
        age = (now - when).total_seconds() / 86400
        took = rng.lognormvariate(math.log(spec["days"]), 0.8)
        plan = Plan(when, spec, _outcome(rng, age, took), took)
        if rng.random() < 0.06:
            plan.extras.add("priority")
        if rng.random() < 0.08:
            plan.extras.add("note")
        if spec["code"] in FILED_AS and rng.random() < 0.2:
            plan.extras.add("misfiled")
        plans.append(plan)
    _cover_every_status(rng, plans, now)
    return plans


def _report_time(rng, now, days):
    """A moment in the last `days` days, busier on weekdays and in working hours (local time)."""
    local_now = timezone.localtime(now)
    while True:
        day = local_now.date() - timedelta(days=rng.randrange(days))
        if rng.random() * max(fake.WEEKDAYS) > fake.WEEKDAYS[day.weekday()]:
            continue
        hour = rng.choices(range(24), weights=fake.HOURS)[0]
        naive = datetime.combine(day, datetime.min.time()) + timedelta(hours=hour, minutes=rng.randrange(60))
        when = timezone.make_aware(naive, local_now.tzinfo)
        if when < now - timedelta(minutes=10):
            return when


def _outcome(rng, age_days, took_days):
    draw = rng.random()
    if age_days > 0.3 and draw < 0.06:
        return Status.DUPLICATE
    if age_days > 1 and draw < 0.09:
        return Status.REJECTED
    if age_days > 1 and draw < 0.12:
        return Status.NOT_OUR_RESPONSIBILITY
    if took_days < age_days:
        if rng.random() < 0.03:
            return Status.REOPENED
        settled = age_days - took_days > 3 and rng.random() < 0.85
        return Status.CLOSED if settled else Status.RESOLVED
    if age_days < 0.25 or rng.random() < 0.08:
        return Status.NEW
    if rng.random() < 0.12:
        return Status.WAITING_ON_RESIDENT
    return Status.OPEN if age_days / took_days < 0.3 else Status.IN_PROGRESS


def _cover_every_status(rng, plans, now):
    """Make sure the demo shows every status at least once, whatever the seed."""
    for status in Status.values:
        if any(p.outcome == status for p in plans):
            continue
        candidates = [
            i
            for i, p in enumerate(plans)
            if p.outcome == Status.CLOSED
            and (now - p.when).days >= 3
            and (status != Status.DUPLICATE or _earlier_same_service(plans, i))
        ]
        if candidates:
            plans[rng.choice(candidates)].outcome = status


def _earlier_same_service(plans, index):
    plan = plans[index]
    return any(
        p.spec is plan.spec and plan.when - DUPLICATE_WINDOW < p.when < plan.when for p in plans[:index]
    )


# ---------------------------------------------------------------- playing


class Clock:
    """Times for a case's later events: each step moves forward but never reaches `end` (now)."""

    def __init__(self, start, end):
        self.time, self.end = start, end

    def later(self, hours):
        room = (self.end - self.time).total_seconds()
        self.time += timedelta(seconds=min(hours * 3600, room / 2))
        return self.time


def _accepts_at(action):
    return "at" in inspect.signature(action).parameters


def _act(action, *args, at, **kwargs):
    if _accepts_at(action):
        kwargs["at"] = at
    return action(*args, **kwargs)


def play(rng, city, plans, now):
    """Submit and work every planned case, oldest first. Returns the cases."""
    recent = {}  # service code -> [(when, case)] of the last two weeks, for duplicates
    cases = []
    for plan in plans:
        target = _duplicate_target(rng, recent, plan)
        if plan.outcome == Status.DUPLICATE and target is None:
            plan.outcome = Status.CLOSED
        case = _submit(rng, city, plan, target)
        case = _work(rng, city, case, plan, Clock(plan.when, now), target)
        recent.setdefault(plan.spec["code"], []).append((plan.when, case))
        cases.append(case)
    return cases


def _duplicate_target(rng, recent, plan):
    if plan.outcome != Status.DUPLICATE:
        return None
    earlier = [c for when, c in recent.get(plan.spec["code"], []) if plan.when - when < DUPLICATE_WINDOW]
    return rng.choice(earlier) if earlier else None


def _submit(rng, city, plan, target):
    spec = plan.spec
    latitude, longitude, address, hood = places.random_place(rng)
    if target is not None and target.has_location:
        latitude, longitude = places.near(rng, target.latitude, target.longitude)
        address = target.address
    language = "es" if rng.random() < hood.spanish_share else "en"
    channel = rng.choices(list(fake.CHANNELS), weights=list(fake.CHANNELS.values()))[0]
    contact = _reporter(rng, city, channel, language)
    if contact.get("reporter") is not None:
        language = contact["reporter"].preferred_language
    filed = fake.SERVICES_BY_CODE[FILED_AS[spec["code"]]] if "misfiled" in plan.extras else spec
    return actions.submit_case(
        service=city.services[filed["code"]],
        description=fake.description(rng, spec, language),
        answers=fake.answers(rng, filed["questions"], plan.when),
        latitude=latitude,
        longitude=longitude,
        address=address,
        channel=channel,
        language=language,
        actor=rng.choice(city.agents) if channel in (Channel.PHONE, Channel.WALK_IN) else None,
        created_at=plan.when,
        **contact,
    )


def _reporter(rng, city, channel, language):
    """Who reported: an account holder, a named resident or nobody (anonymous)."""
    if channel == Channel.WEB and rng.random() < 0.12:
        return {"reporter": rng.choice(city.residents)}
    if (
        channel in (Channel.WEB, Channel.API, Channel.SOCIAL, Channel.VOICE, Channel.SMS)
        and rng.random() < 0.3
    ):
        return {}
    name, email, phone = people.random_reporter(rng, language)
    if channel == Channel.SMS:
        return {"reporter_phone": phone or f"+1 617 555 01{rng.randint(0, 99):02d}"}
    if channel == Channel.EMAIL:
        email = email or f"resident{rng.randint(100, 999)}@example.org"
    if channel in (Channel.PHONE, Channel.VOICE, Channel.WALK_IN):
        email = email if rng.random() < 0.3 else ""
    return {"reporter_name": name, "reporter_email": email, "reporter_phone": phone}


def _work(rng, city, case, plan, clock, target):
    if "misfiled" in plan.extras:
        case = _fix_category(rng, city, case, plan, clock)
    if "priority" in plan.extras and plan.outcome != Status.DUPLICATE:
        case = _act(
            actions.change_priority, case, _supervisor(rng, city, case), Priority.HIGH, at=clock.later(2)
        )
    if plan.outcome == Status.DUPLICATE:
        return _act(actions.merge, case, _merger(rng, city, case, target), target, at=clock.later(3))
    if plan.outcome == Status.NEW:
        if "note" in plan.extras:
            case = _act(actions.add_note, case, rng.choice(city.agents), _note(rng), at=clock.later(1))
        return case
    if plan.outcome in (Status.REJECTED, Status.NOT_OUR_RESPONSIBILITY):
        return _turn_down(rng, city, case, plan, clock)
    case = _take(rng, city, case, clock)
    if "note" in plan.extras:
        case = _act(actions.add_note, case, _worker(rng, city, case), _note(rng), at=clock.later(6))
    return _progress(rng, city, case, plan, clock)


def _progress(rng, city, case, plan, clock):
    worker, spanish = _worker(rng, city, case), case.language == "es"
    outcome, hours = plan.outcome, plan.took_days * 24
    if outcome == Status.OPEN:
        if rng.random() < 0.25:  # the resident answered a question, so it is back with the department
            case = _ask(rng, case, worker, clock, hours)
            case = actions.resident_comment(case, _pick(rng, catalogue.RESIDENT_ANSWERS, spanish))
        return case
    if outcome == Status.WAITING_ON_RESIDENT:
        return _ask(rng, case, worker, clock, hours)
    message = _pick(rng, catalogue.PROGRESS_REPLIES, spanish) if rng.random() < 0.5 else ""
    case = _act(
        actions.change_status, case, worker, Status.IN_PROGRESS, message=message, at=clock.later(hours / 3)
    )
    if outcome == Status.IN_PROGRESS:
        return case
    done = plan.spec["done"][1 if spanish else 0]
    case = _act(actions.change_status, case, worker, Status.RESOLVED, message=done, at=clock.later(hours / 2))
    if outcome == Status.CLOSED or (outcome == Status.REOPENED and rng.random() < 0.5):
        case = _act(actions.change_status, case, None, Status.CLOSED, at=clock.later(72))
    if outcome == Status.REOPENED:
        reason = _pick(rng, catalogue.REOPEN_REASONS, spanish)
        case = _act(
            actions.reopen, case, rng.choice([*city.agents, worker]), reason=reason, at=clock.later(96)
        )
    return case


def _take(rng, city, case, clock):
    """Someone in the department picks the case up: acknowledged, or assigned to a person."""
    if rng.random() < 0.2:
        return _act(actions.acknowledge, case, _worker(rng, city, case), at=clock.later(4))
    staff = rng.choice(city.staff[case.department_id])
    actor = staff if rng.random() < 0.5 else _supervisor(rng, city, case)
    return _act(actions.assign, case, actor, assignee=staff, at=clock.later(rng.uniform(0.5, 20)))


def _ask(rng, case, worker, clock, hours):
    question = _pick(rng, catalogue.QUESTIONS_TO_RESIDENT, case.language == "es")
    return _act(
        actions.change_status,
        case,
        worker,
        Status.WAITING_ON_RESIDENT,
        message=question,
        at=clock.later(hours / 4),
    )


def _turn_down(rng, city, case, plan, clock):
    spanish = case.language == "es"
    if plan.outcome == Status.REJECTED:
        actor, reason = _worker(rng, city, case), _pick(rng, catalogue.REJECTIONS, spanish)
        case = _act(actions.acknowledge, case, actor, at=clock.later(6))
    else:
        actor, reason = (
            rng.choice([*city.agents, _worker(rng, city, case)]),
            _pick(rng, catalogue.NOT_OURS, spanish),
        )
    return _act(actions.change_status, case, actor, plan.outcome, reason=reason, at=clock.later(24))


def _fix_category(rng, city, case, plan, clock):
    """An agent sees the report was filed under the wrong service and sends it where it belongs."""
    agent = rng.choice(city.agents)
    right = city.services[plan.spec["code"]]
    case = _act(actions.recategorise, case, agent, right, at=clock.later(1))
    if right.default_department_id != case.department_id:
        case = _act(actions.assign, case, agent, department=right.default_department, at=clock.later(0.5))
    if case.reporter_phone and rng.random() < 0.5:
        _act(actions.record_contact_view, case, agent, at=clock.later(0.2))
    return case


def _merger(rng, city, case, target):
    same = target.department_id == case.department_id
    return _worker(rng, city, case) if same and rng.random() < 0.6 else rng.choice(city.agents)


def _worker(rng, city, case):
    """Whoever has the case, or someone in its department."""
    staff = city.staff[case.department_id]
    return case.assignee if case.assignee in staff else rng.choice(staff)


def _supervisor(rng, city, case):
    return rng.choice(city.supervisors[case.department_id])


def _note(rng):
    return rng.choice(catalogue.INTERNAL_NOTES)


def _pick(rng, pairs, spanish):
    return rng.choice(pairs)[1 if spanish else 0]
