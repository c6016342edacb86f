"""Importing a city's history: records from a reader become cases and their first events, in bulk.

This deliberately bypasses `cases.actions`: history is not news. An action per row would e-mail
reporters, fire webhooks and start service-level clocks for cases closed years ago, and a million
rows would take hours. Instead, per batch of a few thousand records (one transaction each):

- records already in the database (same `source` and `source_id`) are skipped; `Case.id` above the
  highest id at the start of the run tells "imported earlier in this file" from "imported before";
- case numbers are reserved per year with `next_numbers`, a block at a time (the year's sequence
  on PostgreSQL, decision 32);
- PostgreSQL: the cases are `COPY`d straight into `cases_case` (rows pre-formatted as COPY text),
  with ids drawn from its sequence first, then their events; should another import of the same
  source have stored one of them meanwhile, that batch goes through a staging table and
  `INSERT ... SELECT ... ON CONFLICT (source, source_id) DO NOTHING` instead, so a concurrent import
  of the same file cannot duplicate a case; SQLite: `bulk_create`;
- a large first import on PostgreSQL (no case at all yet) is one transaction instead, under an
  exclusive lock on cases and events (and nothing else), with their secondary indexes and
  constraints set aside and rebuilt at the end (`lib.indexes`): several times cheaper than
  maintaining them row by row, and the city has no cases yet for anyone to miss while it runs;
- services and departments are created on first sight outside any load's transaction, each
  committed at once, so policy (and the policy version row) is never locked for a whole import;
- each case gets a SUBMITTED event at its creation time and, unless it is still new, a STATUS event
  at its closing time (finished cases) or last update (active ones), by "Import from <source>".

Memory stays constant: one batch of records, plus bounded caches (services, departments, the area
and H3 cell of recently seen points). A re-import never changes a case it finds: once imported, a
case belongs to CivicDesk's staff, and the source's later edits must not overwrite theirs.
"""

import csv
import multiprocessing
import sys
import time
from collections import defaultdict, deque
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from queue import Empty

from django.db import connection, transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from psycopg.errors import UniqueViolation

from civicdesk.areas import locate
from civicdesk.cases.actions import next_numbers
from civicdesk.cases.models import Case, CaseEvent, Department, EventKind, Priority, Service
from civicdesk.cases.workflow import FINISHED, Status
from civicdesk.lib import indexes, metrics
from civicdesk.lib.bulk import EVENT_FIELDS, Table, dumps, tracking_tokens
from civicdesk.lib.geo import cell_for

from .convert import Converter, Record, RowError
from .copytext import NULL, template, text
from .mapping import Mapping, slug_for
from .readers import BadRecord

BATCH = 5000
# A first import of at least this many bytes loads in one transaction with indexes built at the end.
BULK_BYTES = 16 << 20
# The only tables a bulk load locks. Only their foreign keys to each other are set aside: dropping
# one to services, departments or users would lock that table (ACCESS EXCLUSIVE) for the whole load,
# stopping submissions, policy edits and sign-ins. Those stay, checked per statement.
BULK_TABLES = ("cases_case", "cases_caseevent")
CASE_COLUMNS = (
    *("id", "number", "description", "latitude", "longitude", "geo_cell", "address", "status"),
    *("status_reason", "priority", "channel", "department_id", "service_id", "areas", "source_id"),
    *("tracking_token", "version", "created_at", "updated_at", "resolved_at", "closed_at", "expected_at"),
)
EVENT_COLUMNS = ("case_id", "created_at", "kind", "changes", "message")
STAGE = "transfer_case_stage"
NEXT_IDS = "SELECT nextval(pg_get_serial_sequence('cases_case', 'id')) FROM generate_series(1, %s)"
SKIPPED, FAILED = "skipped", "failed"


@dataclass
class Result:
    imported: int = 0
    skipped: int = 0
    failed: int = 0

    @property
    def total(self):
        return self.imported + self.skipped + self.failed

    def __str__(self):
        return f"imported {self.imported}, skipped {self.skipped}, failed {self.failed}"


def _same(value):
    return value


class Report:
    """The CSV of every record not imported and why: line, source id, outcome, reason."""

    def __init__(self, file):
        self.writer = csv.writer(file)
        self.writer.writerow(["line", "source_id", "outcome", "reason"])

    def add(self, line, source_id, outcome, reason):
        self.writer.writerow([line, source_id, outcome, reason])


class Progress:
    """Rows read, percent of the file and rows/s on stderr: redrawn on a terminal, else a line a while."""

    def __init__(self, size, stream=None):
        self.size, self.stream = size, stream or sys.stderr
        self.tty = self.stream.isatty()
        self.every = 0.5 if self.tty else 10.0
        self.started = self.shown = time.monotonic()

    def update(self, rows, position, final=False):
        """`rows` read so far, `position` bytes of the file."""
        now = time.monotonic()
        if not final and now - self.shown < self.every:
            return
        self.shown = now
        rate = rows / max(now - self.started, 1e-9)
        share = f"{100 * position / self.size:5.1f}%  " if self.size else ""
        text = f"{share}{rows:>12,} rows  {rate:>10,.0f} rows/s"
        self.stream.write(f"\r{text}" if self.tty else f"{text}\n")
        if final and self.tty:
            self.stream.write("\n")
        self.stream.flush()


class Catalog:
    """Services and departments by the mapping's source values, created on first sight (see mapping)."""

    def __init__(self, mapping: Mapping):
        self.mapping = mapping
        self.departments = {}  # source value -> (id, code) or (None, None)
        self.services = {}  # source value -> (id, (default department id, code), default priority)

    def department(self, key, name):
        if key not in self.departments:
            self.departments[key] = self._department(key, name) if key else (None, None)
        return self.departments[key]

    def _department(self, key, name):
        rule = self.mapping.departments.get(key, {})
        if "code" in rule:
            department = Department.objects.get(code=rule["code"])
        else:
            department, _created = Department.objects.get_or_create(
                code=slug_for(key, 32), defaults={"name": (rule.get("name") or name or key)[:120]}
            )
        return department.pk, department.code

    def service(self, key, name, department_id):
        """(id, (default department id, code), priority); RowError when unmapped and creating is off."""
        if key not in self.services:
            self.services[key] = self._service(key, name, department_id)
        found = self.services[key]
        if found is None:
            raise RowError(_("no service is mapped to “%(value)s”") % {"value": key[:60]})
        return found

    def _service(self, key, name, department_id):
        code = self.mapping.services.get(key)
        if code is not None:
            service = Service.objects.select_related("default_department").get(code=code)
        elif self.mapping.create_services:
            service, _created = Service.objects.get_or_create(
                code=slug_for(key, 64, self.mapping.source),
                defaults={
                    "name": name[:120],
                    "group": self.mapping.service_group,
                    "active": False,
                    "default_department_id": department_id,
                },
            )
        else:
            return None
        department = service.default_department
        default = (department.pk, department.code) if department else (None, None)
        return service.pk, default, service.default_priority or Priority.NORMAL


class Importer:
    """Options: `progress` (a Progress), `size` (the input's length in bytes, to choose a bulk load)
    and `bulk` (True or False forces the choice; only ever used on PostgreSQL outside a transaction)."""

    def __init__(self, mapping: Mapping, report: Report, *, batch=BATCH, dry_run=False, **options):
        self.mapping, self.report, self.batch, self.dry_run = mapping, report, batch, dry_run
        self.progress = options.get("progress")
        self.size, self.bulk = options.get("size", 0), options.get("bulk")
        self.converter = Converter(mapping)
        self.catalog = Catalog(mapping)
        self.result = Result()
        self.label = f"Import from {mapping.source}"
        self.postgres = connection.vendor == "postgresql"
        self.cases = Table(Case)
        self.events = Table(CaseEvent, skip={"id"})
        # COPY takes JSON as text: each distinct value is encoded once (caches).
        self.case_line = template(self.cases, CASE_COLUMNS, {"source": mapping.source}).format
        self.event_line = template(
            self.events, EVENT_COLUMNS, {"actor_label": self.label, "actor_id": None, "public": True}
        ).format
        self.encode = _copy_json if self.postgres else _same
        self.place = lru_cache(maxsize=50_000)(self._place)
        self.cell_areas = lru_cache(maxsize=50_000)(self._cell_areas)
        self.submitted = lru_cache(maxsize=1000)(self._submitted)
        self.status_change = lru_cache(maxsize=100)(
            lambda status: self.encode({"status": [Status.NEW, status]})
        )
        self.no_areas = self.encode({})
        self.dry_numbers = 0
        self.pending = deque()  # batches being written by the writer thread (PostgreSQL)

    @property
    def columns(self):
        """The source columns to read, in the order the converter expects them."""
        return self.converter.columns

    def run(self, reader):
        self.mapping.check_targets()
        self.first_new_id = (Case.objects.aggregate(last=Max("id"))["last"] or 0) + 1
        # A first import of a source into PostgreSQL need not look its ids up before each batch: none
        # can exist from before, and one repeated in the file is caught by the insert's ON CONFLICT
        # and reported when its batch settles. (SQLite's bulk insert has no ON CONFLICT to lean on.)
        self.look_up_first = not self.postgres or Case.objects.filter(source=self.mapping.source).exists()
        self.locator = locate.locator()
        self.threaded = self.postgres and not self.dry_run and not connection.in_atomic_block
        if self.bulk is None:
            self.bulk = self.size >= BULK_BYTES and not self.look_up_first and not Case.objects.exists()
        self.bulk = self.bulk and self.threaded
        with metrics.import_progress() as self.rows_done:  # for /metrics
            self._run(reader)
        return self.result

    def _run(self, reader):
        if self.dry_run:  # the real thing in one transaction, rolled back
            with transaction.atomic():
                self._read(reader, self._batches(reader))
                transaction.set_rollback(True)
        elif self.threaded:
            # Three at once: a second process reads and converts the next batches, this one turns a
            # batch into COPY text while PostgreSQL stores the one before, on the writer thread's own
            # connection. That connection only sees committed services and departments: never inside
            # a caller's transaction (then each batch is written in turn). This thread's connection
            # creates them, committed at once, even during a bulk load. The process is forked before
            # the writer thread starts.
            with (
                converted_elsewhere(self, reader) as batches,
                ThreadPoolExecutor(max_workers=1) as self.writer,
            ):
                try:
                    self._read_threaded(reader, batches)
                finally:
                    self.writer.submit(connection.close)  # the writer thread's own connection
        else:
            self._read(reader, self._batches(reader))

    def _read_threaded(self, reader, batches):
        if self.bulk and not self.writer.submit(self._begin_bulk).result():
            # Another import filled the table while this one waited for the lock: import normally.
            self.bulk = False
            self.first_new_id = (Case.objects.aggregate(last=Max("id"))["last"] or 0) + 1
            self.look_up_first = Case.objects.filter(source=self.mapping.source).exists()
        try:
            self._read(reader, batches)
            while self.pending:
                self._settle(*self._written(self.pending.popleft()))
        except BaseException:
            if self.bulk:
                self.writer.submit(self._end_bulk, failed=True).result()
            raise
        if self.bulk:
            self.writer.submit(self._end_bulk, failed=False).result()

    def _begin_bulk(self):
        """In the writer thread: open the load's one transaction; False if cases exist after all."""
        self.bulk_block = transaction.atomic()
        self.bulk_block.__enter__()
        try:
            return self._set_up_bulk()
        except BaseException as error:
            self.bulk_block.__exit__(type(error), error, error.__traceback__)
            raise

    def _set_up_bulk(self):
        with connection.cursor() as cursor:
            # Concurrent imports wait here; the next one finds the cases and skips them.
            cursor.execute(f"LOCK TABLE {', '.join(BULK_TABLES)} IN ACCESS EXCLUSIVE MODE")
            cursor.execute("SELECT EXISTS (SELECT 1 FROM cases_case)")
            if cursor.fetchone()[0]:
                self.bulk_block.__exit__(None, None, None)
                return False
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
            # The foreign keys kept (to services, departments, users) are checked per statement, not
            # queued for the commit: an index cannot be built on a table with checks pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        # The unique index on (source, source_id) stays: the COPY's conflicts and ON CONFLICT need it.
        indexes.set_aside(connection, BULK_TABLES, references=BULK_TABLES, keep_unique=True)
        return True

    def _end_bulk(self, failed):
        """In the writer thread: rebuild indexes and constraints and commit, or roll everything back."""
        if failed:
            self.bulk_block.__exit__(RuntimeError, RuntimeError("import failed"), None)
            return
        try:
            indexes.restore(connection, workers=1, memory="256MB")  # in this transaction, in turn
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {', '.join(BULK_TABLES)}")
        except BaseException as error:
            self.bulk_block.__exit__(type(error), error, error.__traceback__)
            raise
        self.bulk_block.__exit__(None, None, None)

    def _read(self, reader, batches):
        for seen, records, failures, position, fallback_lines in batches:
            for failure in failures:
                self._fail(*failure)
            if records:
                self._store(records)
            self.rows_done.update(seen)
            reader.fallback_lines = fallback_lines
            if self.progress is not None:
                self.progress.update(seen, position)
        if self.progress is not None:
            self.progress.update(seen, position, final=True)

    def _batches(self, reader):
        """Read and convert: per batch of records, (rows read so far, records, failures as
        (line, source id, reason), bytes read, lines not UTF-8). The last one may be empty."""
        records, failures, seen = [], [], 0
        for line, values in reader:
            seen += 1
            converted = self._convert(line, values)
            (records if isinstance(converted, Record) else failures).append(converted)
            if len(records) >= self.batch:
                yield seen, records, failures, reader.position, reader.fallback_lines
                records, failures = [], []
        yield seen, records, failures, reader.position, reader.fallback_lines

    def _convert(self, line, values):
        """A Record, or why the row cannot be one: (line, source id, reason)."""
        if isinstance(values, BadRecord):
            return line, "", values.reason
        try:
            return self.converter.convert(line, values)
        except RowError as error:
            return line, self.converter.value(values, "id"), str(error)

    def _fail(self, line, source_id, reason, outcome=FAILED):
        self.report.add(line, source_id, outcome, reason)
        if outcome == FAILED:
            self.result.failed += 1
        else:
            self.result.skipped += 1

    # ------------------------------------------------------------ one batch

    def _store(self, records):
        records = self._new(records)
        values = []
        for record in records:
            try:
                values.append(self._case(record))
            except RowError as error:
                self._fail(record.line, record.source_id, str(error))
        if not values:
            return
        self._number(values)
        if not self.postgres:
            self._settle(values, self._write_sqlite(values))
        elif not self.threaded:
            self._settle(values, self._write_postgres(values))
        else:
            if self.pending:  # one batch in flight at a time: it commits before the next one starts
                self._settle(*self._written(self.pending.popleft()))
            self.pending.append((values, self.writer.submit(self._write_postgres, values)))

    @staticmethod
    def _written(pending):
        values, future = pending
        return values, future.result()

    def _settle(self, values, written):
        """Count a written batch; a record not inserted lost a race to another import of the source,
        or repeats an id of an earlier batch. `written` is (inserted source ids, {source id: case id}
        of the others), both read by the writer's connection."""
        inserted, existing = written
        self.result.imported += len(inserted)
        lost = [v["record"] for v in values if v["record"].source_id not in inserted]
        if lost:
            self._classify(lost, existing)

    def _new(self, records):
        """Drop (and report) records whose id is already a case, or came earlier in this batch."""
        first, fresh = {}, []
        for record in records:
            if record.source_id in first:
                self._duplicate(record, first[record.source_id])
            else:
                first[record.source_id] = record.line
                fresh.append(record)
        if not self.look_up_first:
            return fresh
        existing = self._classify_existing(fresh)
        return [r for r in fresh if r.source_id not in existing]

    def _classify_existing(self, records):
        """Report the records whose id is already a case: before this run, or earlier in this file."""
        existing = dict(
            Case.objects.filter(source=self.mapping.source, source_id__in=[r.source_id for r in records])
            .order_by()
            .values_list("source_id", "id")
        )
        self._classify(records, existing)
        return existing

    def _classify(self, records, existing):
        for record in records:
            case_id = existing.get(record.source_id)
            if case_id is None:
                continue
            if case_id >= self.first_new_id:
                self._duplicate(record, None)
            else:
                self._fail(record.line, record.source_id, _("already imported"), SKIPPED)

    def _duplicate(self, record, first_line):
        reason = _("duplicate id within the file")
        if first_line is not None:
            reason = _("duplicate id within the file (first on line %(line)d)") % {"line": first_line}
        self._fail(record.line, record.source_id, reason, SKIPPED)

    def _place(self, latitude, longitude):
        """(H3 cell, areas) of a point; cached, as real data repeats addresses a lot."""
        cell = cell_for(latitude, longitude)
        areas = self.cell_areas(cell)
        if areas is None:  # an area's edge crosses the cell
            areas = self.encode(self.locator.areas_for(latitude, longitude))
        return cell, areas

    def _cell_areas(self, cell):
        """The areas of every point of the cell (encoded), or None when the point must be looked up."""
        areas = self.locator.areas_in_cell(cell)
        return None if areas is None else self.encode(areas)

    def _submitted(self, department, priority):
        return self.encode(
            {"status": [None, Status.NEW], "department": [None, department], "priority": [None, priority]}
        )

    def _case(self, record: Record):
        department_id, department_code = self.catalog.department(record.department, record.department_name)
        service_id, default_department, priority = self.catalog.service(
            record.service, record.service_name, department_id
        )
        if department_id is None:
            department_id, department_code = default_department
        if record.latitude is None:
            cell, areas = "", self.no_areas
        else:
            cell, areas = self.place(record.latitude, record.longitude)
        return {
            "record": record,
            "department_code": department_code,
            "service_id": service_id,
            "department_id": department_id,
            "priority": priority,
            "geo_cell": cell,
            "areas": areas,
        }

    def _number(self, values):
        """Case numbers by each case's own year, reserved in one block per year."""
        by_year = defaultdict(list)
        for value in values:
            by_year[value["record"].created.year].append(value)
        for year_values in by_year.values():
            numbers = self._numbers(len(year_values), year_values[0]["record"].created)
            for value, number in zip(year_values, numbers, strict=True):
                value["number"] = number
        for value, token in zip(values, tracking_tokens(len(values)), strict=True):
            value["tracking_token"] = token

    def _numbers(self, count, when):
        if not self.dry_run:
            return next_numbers(count, when)
        # A dry run must not take numbers from the live counter (nor hold its lock for the run).
        start, self.dry_numbers = self.dry_numbers, self.dry_numbers + count
        return [f"dry-{n:010d}" for n in range(start + 1, start + count + 1)]

    def _fields(self, value):
        record = value["record"]
        return {
            "number": value["number"],
            "service_id": value["service_id"],
            "description": record.description,
            "latitude": record.latitude,
            "longitude": record.longitude,
            "geo_cell": value["geo_cell"],
            "address": record.address,
            "status": record.status,
            "status_reason": record.status_reason if record.status in FINISHED else "",
            "priority": value["priority"],
            "channel": record.channel,
            "department_id": value["department_id"],
            "areas": value["areas"],
            "source": self.mapping.source,
            "source_id": record.source_id,
            "tracking_token": value["tracking_token"],
            "version": 1 if record.status == Status.NEW else 2,
            "created_at": record.created,
            "updated_at": record.updated,
            "resolved_at": record.resolved,
            "closed_at": record.closed,
            "expected_at": record.due,
        }

    def _events(self, case_id, value):
        """SUBMITTED at creation; a STATUS event for where the case stands now (unless still new)."""
        record = value["record"]
        submitted = self.submitted(value["department_code"], value["priority"])
        events = [(case_id, None, self.label, record.created, EventKind.SUBMITTED, submitted, True, "")]
        if record.status != Status.NEW:
            finished = record.status in FINISHED
            at = (record.closed or record.resolved) if finished else record.updated
            message = record.status_reason if finished else ""
            changes = self.status_change(record.status)
            events.append((case_id, None, self.label, at, EventKind.STATUS, changes, True, message))
        return events

    # ------------------------------------------------------------ writing

    def _write_sqlite(self, values):
        with transaction.atomic():
            cases = Case.objects.bulk_create([Case(**self._fields(v)) for v in values], batch_size=500)
            events = [
                CaseEvent(**dict(zip(EVENT_FIELDS, event, strict=True)))
                for case, value in zip(cases, values, strict=True)
                for event in self._events(case.pk, value)
            ]
            CaseEvent.objects.bulk_create(events, batch_size=500)
        return {case.source_id for case in cases}, {}

    def _write_postgres(self, values):
        """COPY the batch straight into the table, with ids taken from its sequence first.

        Should another import of the same source have stored one of these cases meanwhile (or an
        earlier batch of this file, under the same id), the COPY fails as a whole; the batch then
        goes through a staging table and `INSERT ... ON CONFLICT DO NOTHING`, which is slower but
        stores everything that is not a case yet.
        """
        with transaction.atomic(), connection.cursor() as cursor:
            # A crash loses at most the last batches, and re-running imports exactly those again.
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
            cursor.execute(NEXT_IDS, [len(values)])
            ids = [case_id for (case_id,) in cursor.fetchall()]
            lines = [self._case_line(case_id, value) for case_id, value in zip(ids, values, strict=True)]
            try:
                with transaction.atomic():
                    self._copy(cursor, "cases_case", self.cases.columns, lines)
                inserted = {value["record"].source_id: i for value, i in zip(values, ids, strict=True)}
            except UniqueViolation:
                inserted = self._insert_new(cursor, lines)
            self._copy(
                cursor,
                "cases_caseevent",
                self.events.columns,
                (
                    line
                    for value in values
                    if (case_id := inserted.get(value["record"].source_id)) is not None
                    for line in self._event_lines(case_id, value)
                ),
            )
            lost = [v["record"].source_id for v in values if v["record"].source_id not in inserted]
            existing = self._existing(cursor, lost) if lost else {}
        return set(inserted), existing

    def _case_line(self, case_id, value):
        record = value["record"]
        finished = record.status in FINISHED
        return self.case_line(
            case_id,
            value["number"],
            text(record.description),
            NULL if record.latitude is None else record.latitude,
            NULL if record.longitude is None else record.longitude,
            value["geo_cell"],
            text(record.address),
            record.status,
            text(record.status_reason) if finished else "",
            value["priority"],
            record.channel,
            NULL if value["department_id"] is None else value["department_id"],
            value["service_id"],
            value["areas"],
            text(record.source_id),
            value["tracking_token"],
            1 if record.status == Status.NEW else 2,
            record.created,
            record.updated,
            NULL if record.resolved is None else record.resolved,
            NULL if record.closed is None else record.closed,
            NULL if record.due is None else record.due,
        )

    def _event_lines(self, case_id, value):
        """The COPY text of `_events`."""
        record = value["record"]
        submitted = self.submitted(value["department_code"], value["priority"])
        yield self.event_line(case_id, record.created, SUBMITTED, submitted, "")
        if record.status != Status.NEW:
            finished = record.status in FINISHED
            at = (record.closed or record.resolved) if finished else record.updated
            message = text(record.status_reason) if finished else ""
            yield self.event_line(case_id, at, STATUS, self.status_change(record.status), message)

    def _insert_new(self, cursor, lines):
        """The rows whose source id is not a case yet: {source id: case id}."""
        columns = ", ".join(self.cases.columns)
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} AS SELECT {columns} FROM cases_case WITH NO DATA"  # noqa: S608
        )
        cursor.execute(f"TRUNCATE {STAGE}")
        self._copy(cursor, STAGE, self.cases.columns, lines)
        cursor.execute(
            f"INSERT INTO cases_case ({columns}) SELECT {columns} FROM {STAGE} "  # noqa: S608
            "ON CONFLICT (source, source_id) WHERE source_id <> '' DO NOTHING RETURNING source_id, id"
        )
        return dict(cursor.fetchall())

    def _existing(self, cursor, source_ids):
        """{source id: case id} of these ids, seen by the writer (whose lock may keep others out)."""
        cursor.execute(
            "SELECT source_id, id FROM cases_case WHERE source = %s AND source_id = ANY(%s)",
            [self.mapping.source, source_ids],
        )
        return dict(cursor.fetchall())

    @staticmethod
    def _copy(cursor, table, columns, lines):
        """COPY pre-formatted text lines, a megabyte or so per write."""
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            chunk = []
            for line in lines:
                chunk.append(line)
                if len(chunk) >= 2000:
                    copy.write("".join(chunk))
                    chunk = []
            if chunk:
                copy.write("".join(chunk))


@contextmanager
def converted_elsewhere(importer, reader):
    """The importer's batches (`Importer._batches`), read and converted in a forked process and
    handed over through a bounded queue (two batches ahead: memory stays constant). Conversion
    needs no database; the child never touches this process's connections, and leaves with
    `os._exit`, as multiprocessing's forked children do, so none is closed under the parent."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue(maxsize=2)
    child = context.Process(target=_send_batches, args=(importer, reader, queue), daemon=True)
    child.start()
    try:
        yield _received(queue, child)
    finally:
        # Done, or stopped early. SIGKILL, not SIGTERM: a child stopped early may be blocked handing
        # its last batch to a pipe nobody reads any more, and it inherited this process's signal
        # handlers (a test runner's, a worker's), which may not make it exit.
        if child.is_alive():
            child.kill()
        child.join()
        queue.close()


def _send_batches(importer, reader, queue):
    try:
        for batch in importer._batches(reader):
            queue.put(batch)
    except BaseException as error:  # noqa: BLE001 - raised again in the importing process
        queue.put(error)
    else:
        queue.put(None)


def _received(queue, child):
    while True:
        try:
            item = queue.get(timeout=1)
        except Empty:
            if child.is_alive():
                continue
            try:  # it may have sent its last words just before it ended
                item = queue.get_nowait()
            except Empty:
                raise RuntimeError(f"the converting process ended ({child.exitcode})") from None
        if item is None:
            return
        if isinstance(item, BaseException):
            raise item
        yield item


def _copy_json(value):
    return text(dumps(value))


SUBMITTED, STATUS = EventKind.SUBMITTED.value, EventKind.STATUS.value
