"""Millions of realistic synthetic cases for benchmarks, written in bulk.

Reports arrive over the last two years with a weekly and seasonal rhythm and slow growth, spread
over Riverton's neighbourhoods, in the catalogue's service mix. Each case gets a short history
(submitted, picked up, worked, resolved, closed; sometimes rejected, merged or reopened) whose
times follow the service's typical time to fix. About one case in ten is still open.

This bypasses `cases.actions` on purpose: it is a loader for test data, like a bulk import, and
one action per case would take hours for a million cases. Rows go in with PostgreSQL `COPY`
(or `executemany` on SQLite) in batches of one transaction each, in constant memory. On
PostgreSQL several forked processes build and copy batches at once, and a load larger than what
the tables hold sets their secondary indexes and foreign keys aside and rebuilds them at the end
(civicdesk.lib.indexes).
"""

import bisect
import math
import multiprocessing
import random
from collections import deque
from datetime import UTC, datetime, time, timedelta
from functools import cache
from time import monotonic
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, connections, transaction
from django.utils import timezone

from civicdesk.accounts.models import Role, User
from civicdesk.cases import actions
from civicdesk.cases.models import Case, CaseEvent, Department, Service
from civicdesk.cases.workflow import Status
from civicdesk.lib import bulk, indexes
from civicdesk.lib.bulk import EVENT_FIELDS, Table, dumps, tracking_tokens
from civicdesk.lib.geo import cell_for

from . import catalogue, fake, people, places

YEARS = 2
DAY = 86400
# Overall reports by month: a little busier in summer.
CITY_SEASON = (0.85, 0.85, 0.95, 1.0, 1.1, 1.15, 1.15, 1.1, 1.05, 1.0, 0.9, 0.85)
GROWTH = 0.15  # 15 % more reports at the end of the period than at its start
BACKLOG = 0.08  # share of older cases still open: stuck, waiting on parts, forgotten
DEFAULT_DONE = (
    "The work is done. Thank you for reporting it.",
    "El trabajo está hecho. Gracias por avisarnos.",
)
S = Status


# Event `changes` repeat a lot: encode each distinct one once.
@cache
def status_change(old, new):
    return dumps({"status": [old, new]})


@cache
def assignment(label):
    return dumps({"assignee": [None, label], "status": [S.NEW, S.OPEN]})


class Writer:
    """Inserts one batch of cases and events; PostgreSQL gets COPY, others executemany."""

    def __init__(self, cases, events):
        self.cases, self.events = cases, events
        self.postgres = connection.vendor == "postgresql"
        self.adapt = None if self.postgres else connection.ops.adapt_datetimefield_value

    def allocate_ids(self, count):
        """Case ids for a batch, so duplicates and events can point at cases not yet written."""
        with connection.cursor() as cursor:
            if self.postgres:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [self.cases.model._meta.db_table, count],
                )
                return [r[0] for r in cursor.fetchall()]
            # SQLite: called inside the batch's write transaction, which no one else can enter.
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {self.cases.model._meta.db_table}")  # noqa: S608
            first = cursor.fetchone()[0] + 1
            return list(range(first, first + count))

    def write(self, table, rows):
        bulk.insert(table, rows)


class Mix:
    """The services residents ask for, weighted by month, with what the generator needs of each."""

    def __init__(self, services, staff):
        self.services = []
        for service in services:
            spec = fake.SERVICES_BY_CODE.get(service.code, {})
            self.services.append(
                {
                    "id": service.pk,
                    "code": service.code,
                    "department_id": service.default_department_id,
                    "department": service.default_department.code,
                    "priority": service.default_priority,
                    "questions": fake.questions_of(service),
                    "samples": spec.get("samples") or [service.description or service.name],
                    "samples_es": spec.get("samples_es", []),
                    "done": spec.get("done", DEFAULT_DONE),
                    "days": spec.get("days", 5),
                    "weight": spec.get("weight", 1.0),
                    "staff": staff.get(service.default_department_id, []),
                    "submitted": dumps(
                        {
                            "status": [None, S.NEW],
                            "department": [None, service.default_department.code],
                            "priority": [None, service.default_priority],
                        }
                    ),
                }
            )
        self.cumulative = {
            month: _cumulative(fake.service_weights(self.services, month)) for month in range(1, 13)
        }

    def pick(self, rng, month):
        weights = self.cumulative[month]
        return self.services[bisect.bisect(weights, rng.random() * weights[-1])]


def _cumulative(weights):
    total, result = 0.0, []
    for weight in weights:
        total += weight
        result.append(total)
    return result


def ensure_catalogue():
    """The services to generate cases for; Riverton's catalogue when the database has none."""
    if not Service.objects.filter(active=True).exists():
        from .city import build_catalogue

        if Department.objects.exists():
            raise RuntimeError("There are departments but no active services to generate cases for.")
        with transaction.atomic():
            build_catalogue()
    services = Service.objects.filter(active=True).select_related("default_department")
    return list(services.prefetch_related("attributes"))


def staff_by_department():
    staff = {}
    members = User.objects.filter(is_active=True, role__in=[Role.STAFF, Role.SUPERVISOR])
    for user in members.prefetch_related("departments"):
        for department in user.departments.all():
            staff.setdefault(department.pk, []).append((user.pk, str(user)))
    return staff


class Generator:
    def __init__(self, rng, count, now=None, years=YEARS):
        # `rng` draws the report times; each batch's cases come from a stream seeded from it.
        self.clock, self.count = rng, count
        self.seed = rng.getrandbits(64)
        self.rng = None
        self.now = (now or timezone.now()).astimezone(UTC)
        self.days = years * 365
        self.mix = Mix(ensure_catalogue(), staff_by_department())
        self.cases = Table(Case)
        self.events = Table(CaseEvent, skip={"id"})
        self.event_row = self.events.maker(EVENT_FIELDS)
        self.channels = list(fake.CHANNELS)
        self.channel_weights = _cumulative(fake.CHANNELS.values())
        self.writer = Writer(self.cases, self.events)
        # Duplicate targets: recent cases of each service, in the same batch (so the same transaction).
        self.recent = {s["id"]: deque(maxlen=30) for s in self.mix.services}
        self.zone = ZoneInfo(settings.TIME_ZONE)
        self.hours = _cumulative(fake.HOURS)
        self.event_count = 0
        self.index_seconds = 0.0  # rebuilding indexes and analysing, after the rows are in

    # ------------------------------------------------------------ time

    def daily_counts(self):
        """Cases per day (oldest first), summing exactly to `count` (largest remainder)."""
        today = timezone.localtime(self.now, self.zone).date()
        days = [today - timedelta(days=n) for n in range(self.days, 0, -1)]
        weights = [
            fake.WEEKDAYS[d.weekday()] * CITY_SEASON[d.month - 1] * (1 + GROWTH * i / len(days))
            for i, d in enumerate(days)
        ]
        expected = [self.count * w / sum(weights) for w in weights]
        counts = [math.floor(e) for e in expected]
        by_remainder = sorted(range(len(days)), key=lambda i: expected[i] - counts[i], reverse=True)
        for i in by_remainder[: self.count - sum(counts)]:
            counts[i] += 1
        return zip(days, counts, strict=True)

    def moments(self):
        """Every report time, oldest first: working hours are busiest (local time)."""
        for day, count in self.daily_counts():
            start = datetime.combine(day, time(), tzinfo=self.zone).astimezone(UTC)
            seconds = sorted(self._second_of_day() for _ in range(count))
            for second in seconds:
                yield start + timedelta(seconds=second)

    def _second_of_day(self):
        hour = bisect.bisect(self.hours, self.clock.random() * self.hours[-1])
        return hour * 3600 + self.clock.randrange(3600)

    def batches(self, size):
        """Lists of report times of at most `size`, never across a new year (numbers are per year)."""
        batch = []
        for when in self.moments():
            if batch and (len(batch) >= size or when.year != batch[0].year):
                yield batch
                batch = []
            batch.append(when)
        if batch:
            yield batch

    # ------------------------------------------------------------ rows

    def run(self, size, writers=2, defer_indexes=None):
        """Write every batch; yields the number of cases written so far after each one.

        On PostgreSQL, secondary indexes and foreign keys of the case and event tables are set aside
        during the load and rebuilt after it when `defer_indexes` is true, or when None and the
        tables hold fewer cases than are being added (rebuilding then costs less than maintaining).
        """
        if not self.writer.postgres:
            yield from self._run_in_turn(size)
            return
        indexes.restore(connection, workers=writers)  # what an interrupted earlier run set aside
        if defer_indexes is None:
            defer_indexes = self.count >= _estimated_rows(Case)
        tables = [Case._meta.db_table, CaseEvent._meta.db_table]
        if defer_indexes:
            indexes.set_aside(connection, tables)
        yield from self._run_in_processes(size, writers)
        started = monotonic()
        if defer_indexes:
            indexes.restore(connection, workers=writers)
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {', '.join(tables)}")  # plans at this size need statistics
        self.index_seconds = monotonic() - started

    def _run_in_processes(self, size, writers):
        # Building rows is most of the work: `writers` processes build and COPY batches while this
        # one hands out report times, ids and numbers in order (so both follow the calendar).
        # Each batch has its own random stream: the same seed gives the same cases however many
        # processes there are.
        connections.close_all()  # not shared with the forked processes
        global _forked
        _forked = self
        with multiprocessing.get_context("fork").Pool(writers, initializer=_forget_connections) as pool:
            pending, done = deque(), 0
            for index, whens in enumerate(self.batches(size)):
                ids = self.writer.allocate_ids(len(whens))
                numbers = actions.next_numbers(len(whens), whens[0])
                if len(pending) >= 2 * writers:
                    done += self._collect(pending.popleft())
                    yield done
                pending.append(pool.apply_async(_build_and_store, (index, whens, ids, numbers)))
            while pending:
                done += self._collect(pending.popleft())
                yield done
        _forked = None

    def _collect(self, result):
        cases, events = result.get()
        self.event_count += events
        return cases

    def _run_in_turn(self, size):
        done = 0
        for index, whens in enumerate(self.batches(size)):
            with transaction.atomic():  # SQLite: ids are safe to take inside the write transaction only
                ids = self.writer.allocate_ids(len(whens))
                cases, events = self.build(index, whens, ids, actions.next_numbers(len(whens), whens[0]))
                self.store(cases, events)
            self.event_count += len(events)
            done += len(whens)
            yield done

    def build(self, index, whens, ids, numbers):
        """The rows of batch number `index`, from that batch's own random stream."""
        self.rng = random.Random(f"{self.seed}:{index}")
        for recent in self.recent.values():
            recent.clear()
        cases, events = [], []
        for case_id, number, token, when in zip(
            ids, numbers, tracking_tokens(len(whens)), whens, strict=True
        ):
            cases.append(self.case(case_id, number, token, when, events))
        adapt = self.writer.adapt
        return [self.cases.prepare(r, adapt) for r in cases], [self.events.prepare(r, adapt) for r in events]

    def store(self, cases, events):
        with transaction.atomic():
            self.writer.write(self.cases, cases)
            self.writer.write(self.events, events)
        return len(cases)

    def case(self, case_id, number, token, when, events):
        rng, service = self.rng, self.mix.pick(self.rng, when.month)
        latitude, longitude, address, hood = places.random_place(rng)
        target = self._duplicate_target(service, when)
        if target is not None:
            latitude, longitude = places.near(rng, target[2], target[3])
            address = target[4]
        language = "es" if rng.random() < hood.spanish_share else "en"
        values = {
            "id": case_id,
            "number": number,
            "service_id": service["id"],
            "description": fake.description(rng, service, language),
            "attributes": fake.answers(rng, service["questions"], when),
            "latitude": latitude,
            "longitude": longitude,
            "geo_cell": cell_for(latitude, longitude),
            "address": address,
            "priority": service["priority"],
            "channel": rng.choices(self.channels, cum_weights=self.channel_weights)[0],
            "language": language,
            "department_id": service["department_id"],
            "tracking_token": token,
            "created_at": when,
            **self._reporter(language),
        }
        story = Story(self, service, case_id, number, when, language, target)
        values.update(story.play())
        events.extend(story.events)
        self.recent[service["id"]].append((case_id, number, latitude, longitude, address, when))
        return self.cases.row(**values)

    def _duplicate_target(self, service, when):
        if self.rng.random() >= 0.05:
            return None
        recent = [c for c in self.recent[service["id"]] if (when - c[5]).days < 10]
        return self.rng.choice(recent) if recent else None

    def _reporter(self, language):
        rng = self.rng
        if rng.random() < 0.3:
            return {}
        name, email, phone = people.random_reporter(rng, language)
        return {"reporter_name": name, "reporter_email": email, "reporter_phone": phone}


def _estimated_rows(model):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT GREATEST(reltuples, 0) FROM pg_class WHERE oid = %s::regclass", [model._meta.db_table]
        )
        return cursor.fetchone()[0]


_forked = None  # the Generator, in the processes forked by `Generator.run`


def _forget_connections():
    """A forked process must open its own connections, never close or use its parent's."""
    for conn in connections.all(initialized_only=True):
        conn.connection = None


def _build_and_store(index, whens, ids, numbers):
    generator = _forked
    cases, events = generator.build(index, whens, ids, numbers)
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")  # test data: a crash may lose the last batches
    generator.store(cases, events)
    return len(cases), len(events)


class Story:
    """One case's history: its events and the case fields they leave behind."""

    def __init__(self, generator, service, case_id, number, when, language, target):
        self.g, self.rng, self.service = generator, generator.rng, service
        self.case_id, self.number, self.time, self.target = case_id, number, when, target
        self.status = S.NEW
        self.events, self.own_events = [], 0
        self.fields = {}
        self.spanish = language == "es"

    def play(self):
        rng, now = self.rng, self.g.now
        self.event("submitted", None, public=True, changes=self.service["submitted"])
        if self.target is not None:
            return self.merged()
        age = (now - self.time).total_seconds() / DAY
        took = rng.lognormvariate(math.log(self.service["days"]), 0.8)
        draw = rng.random()
        if draw < 0.03:
            return self.turned_down(S.REJECTED, catalogue.REJECTIONS)
        if draw < 0.06:
            return self.turned_down(S.NOT_OUR_RESPONSIBILITY, catalogue.NOT_OURS)
        if took > age or rng.random() < BACKLOG:
            return self.in_the_works(age)
        worker = self.pick_up(took)
        self.maybe_note(worker, took)
        self.change(S.IN_PROGRESS, worker, after=took * 0.3)
        self.change(S.RESOLVED, worker, after=took * 0.7, reply=self.service["done"][self.spanish])
        if self.ago() > rng.uniform(3, 7):
            self.change(S.CLOSED, None, after=rng.uniform(3, 7))
            if rng.random() < 0.03:
                reason = rng.choice(catalogue.REOPEN_REASONS)[self.spanish]
                self.change(S.REOPENED, worker, after=rng.uniform(1, 20), reason=reason, kind="reopened")
        return self.finish()

    def in_the_works(self, age):
        """Still active: new (nobody has looked yet), open, in progress or waiting on the resident."""
        rng = self.rng
        if age * 24 < rng.uniform(0.5, 8) or rng.random() < 0.1:
            return self.finish()
        worker = self.pick_up(age)
        self.maybe_note(worker, age)
        draw = rng.random()
        if draw < 0.55:
            self.change(S.IN_PROGRESS, worker, after=age * rng.uniform(0.1, 0.6))
        elif draw < 0.65:
            question = rng.choice(catalogue.QUESTIONS_TO_RESIDENT)[self.spanish]
            self.change(S.WAITING_ON_RESIDENT, worker, after=age * rng.uniform(0.1, 0.6), reply=question)
        return self.finish()

    def maybe_note(self, worker, span):
        if self.rng.random() < 0.1:
            self.event("note", worker, message=self.rng.choice(catalogue.INTERNAL_NOTES), after=span * 0.1)

    def merged(self):
        actor = self.staff()
        target_id, target_number = self.target[0], self.target[1]
        reason = f"Duplicate of {target_number}"
        self.fields["duplicate_of_id"] = target_id
        self.change(S.DUPLICATE, actor, after=self.rng.uniform(0.05, 1), reason=reason)
        self.event("merged", actor, public=True, changes=dumps({"duplicate_of": [None, target_number]}))
        changes = dumps({"duplicates": [None, self.number]})
        self.events.append(self.row(target_id, actor, "duplicate_added", changes, False, ""))
        return self.finish()

    def turned_down(self, status, reasons):
        actor = self.pick_up(self.rng.uniform(0.1, 2))
        self.change(
            status, actor, after=self.rng.uniform(0.1, 3), reason=self.rng.choice(reasons)[self.spanish]
        )
        return self.finish()

    def pick_up(self, open_for):
        """Acknowledged, or assigned to someone in the department; returns who works it."""
        worker = self.staff()
        after = min(open_for * 0.2, self.rng.expovariate(1 / 0.25))
        if worker is not None and self.rng.random() < 0.7:
            self.fields["assignee_id"] = worker[0]
            self.event("assigned", worker, changes=assignment(worker[1]), after=after)
        else:
            self.event("acknowledged", worker, public=True, changes=status_change(S.NEW, S.OPEN), after=after)
        self.status = S.OPEN
        self.fields["acknowledged_at"] = self.time
        return worker

    def change(self, status, actor, *, after, reply="", reason="", kind="status"):
        """A status change as `actions.change_status` writes it: the change, then any public reply."""
        changes = status_change(self.status, status)
        self.event(kind, actor, public=True, changes=changes, message=reason or reply, after=after)
        if reply:
            self.event("reply", actor, public=True, message=reply)
        self.status = status
        self.fields.setdefault("acknowledged_at", self.time)
        if status == S.RESOLVED:
            self.fields["resolved_at"] = self.time
        elif status in (S.CLOSED, S.DUPLICATE, S.REJECTED, S.NOT_OUR_RESPONSIBILITY):
            self.fields["closed_at"] = self.time
            self.fields.setdefault("resolved_at", self.time if status == S.CLOSED else None)
        elif status == S.REOPENED:
            self.fields["resolved_at"] = self.fields["closed_at"] = None
        if status in (S.REJECTED, S.NOT_OUR_RESPONSIBILITY, S.REOPENED, S.DUPLICATE, S.RESOLVED, S.CLOSED):
            self.fields["status_reason"] = reason or reply

    def event(self, kind, actor, *, public=False, changes="{}", message="", after=0):
        """An event of this case `after` days after the previous one (never in the future)."""
        self.time = min(self.time + timedelta(days=after), self.g.now - timedelta(seconds=1))
        self.events.append(self.row(self.case_id, actor, kind, changes, public, message))
        self.own_events += 1

    def row(self, case_id, actor, kind, changes, public, message):
        actor_id, label = actor or (None, "system")
        return self.g.event_row((case_id, actor_id, label, self.time, kind, changes, public, message))

    def finish(self):
        return {
            **self.fields,
            "status": self.status,
            "updated_at": self.time,
            "version": self.own_events,
        }

    def staff(self):
        staff = self.service["staff"]
        return self.rng.choice(staff) if staff else None

    def ago(self):
        return (self.g.now - self.time).total_seconds() / DAY
