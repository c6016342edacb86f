"""PostgreSQL's import paths with real connections: concurrent imports, and the bulk first load."""

import io
import threading

import pytest
from django.core.management import call_command
from django.db import connection

from civicdesk.cases.models import Case, CaseEvent, Service
from civicdesk.transfer.importer import BULK_TABLES, Importer, Report
from civicdesk.transfer.mapping import load
from civicdesk.transfer.readers import reader_for

from .conftest import Run

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def schema():
    """Names of the indexes and constraints of the cases and events tables."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = ANY(%s::regclass[]) "
            "UNION ALL SELECT conname FROM pg_constraint WHERE conrelid = ANY(%s::regclass[])",
            [list(BULK_TABLES), list(BULK_TABLES)],
        )
        return sorted(name for (name,) in cursor.fetchall())


def import_at_once(tmp_path, path, *args, copies=2):
    """Run `copies` imports of one file in threads (each its own connection), released together."""
    barrier = threading.Barrier(copies)
    runs = [None] * copies

    def worker(index):
        report = tmp_path / f"report-{index}.csv"
        out = io.StringIO()
        try:
            barrier.wait(timeout=10)
            call_command(
                "import_cases", str(path), *args, "--report", str(report), stdout=out, stderr=io.StringIO()
            )
            runs[index] = Run(out.getvalue(), report)
        except Exception as error:  # noqa: BLE001 - the test shows what a side got
            runs[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "an import never finished"
    return runs


@pytest.mark.parametrize("bulk", ["never", "always"])
def test_it_imports_each_row_once_when_two_imports_of_a_file_run_at_once(bulk, shared_data, tmp_path):
    runs = import_at_once(
        tmp_path, shared_data / "nyc311-100.csv", "--format", "nyc311", "--batch", "7", "--bulk", bulk
    )
    assert all(isinstance(run, Run) for run in runs), runs
    assert sum(run.counts["imported"] for run in runs) == 100
    assert sum(run.counts["skipped"] for run in runs) == 100
    assert sum(run.counts["failed"] for run in runs) == 0
    assert Case.objects.count() == Case.objects.values("source_id").distinct().count() == 100
    assert CaseEvent.objects.count() == 200


def test_a_bulk_load_rebuilds_every_index_and_constraint_and_skips_a_later_duplicate(shared_data, tmp_path):
    before = schema()
    lines = (shared_data / "nyc311-100.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    path = tmp_path / "repeated.csv"
    path.write_text("".join([*lines, lines[3]]), encoding="utf-8")  # the third record again, at the end
    report = tmp_path / "report.csv"
    out = io.StringIO()
    call_command(
        "import_cases", str(path), "--format", "nyc311", "--batch", "7", "--bulk", "always",
        "--report", str(report), stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    run = Run(out.getvalue(), report)
    assert run.counts == {"imported": 100, "skipped": 1, "failed": 0}
    assert [row["reason"] for row in run.report] == ["duplicate id within the file"]
    assert schema() == before
    assert CaseEvent.objects.count() == 200
    assert Case.objects.filter(service__group="NYC 311", department__isnull=False).count() == 100


class StopAfter:
    """A progress display that interrupts the import after `rows` records."""

    def __init__(self, rows):
        self.rows = rows

    def update(self, rows, position, final=False):
        if rows >= self.rows:
            raise KeyboardInterrupt


def test_a_failed_bulk_load_keeps_nothing_and_leaves_the_indexes(shared_data):
    import signal

    before = schema()
    path = shared_data / "nyc311-100.csv"
    importer = Importer(load("nyc311"), Report(io.StringIO()), batch=7, progress=StopAfter(60), bulk=True)
    # The converting process inherits this process's signal handlers; a test runner's may ignore
    # SIGTERM (pytest-xdist's workers do), and stopping early must still end it (it once hung here).
    previous = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        with path.open("rb") as file, pytest.raises(KeyboardInterrupt):
            importer.run(reader_for(path, "csv", file, importer.columns))
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert importer.result.imported > 0  # batches were written before the interruption...
    assert not Case.objects.exists() and not CaseEvent.objects.exists()  # ...and rolled back
    # Services were created outside the load's transaction (it locks only the case tables): they
    # stay, inactive, for the next attempt.
    assert Service.objects.filter(group="NYC 311").exists()
    assert not Service.objects.filter(group="NYC 311", active=True).exists()
    assert schema() == before


def test_it_fails_cleanly_when_the_converting_process_dies(shared_data, monkeypatch):
    import os

    monkeypatch.setattr(Importer, "_batches", lambda self, reader: os._exit(3))  # in the forked child
    before = schema()
    path = shared_data / "nyc311-100.csv"
    importer = Importer(load("nyc311"), Report(io.StringIO()), batch=7, bulk=True)
    with path.open("rb") as file, pytest.raises(RuntimeError, match=r"converting process ended \(3\)"):
        importer.run(reader_for(path, "csv", file, importer.columns))
    assert not Case.objects.exists()
    assert schema() == before  # the bulk load was rolled back, its indexes back in place


class EditPolicyAfter:
    """A progress display that, once `rows` records are read, edits policy on another connection
    (services, departments, hence the policy version row) under a lock timeout, and keeps the outcome."""

    def __init__(self, rows):
        self.rows, self.outcome = rows, None

    def update(self, rows, position, final=False):
        if rows >= self.rows and self.outcome is None:
            thread = threading.Thread(target=self._edit)
            thread.start()
            thread.join()

    def _edit(self):
        from django.db import transaction

        from civicdesk.cases.models import Department

        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '5s'")
                department = Department.objects.create(code="edited-meanwhile", name="Edited meanwhile")
                Service.objects.filter(group="NYC 311").update(description="edited meanwhile")
                Service.objects.create(
                    code="edited-meanwhile", name="Edited meanwhile", default_department=department
                )
            self.outcome = "edited"
        except Exception as error:  # noqa: BLE001 - the test shows what the edit got
            self.outcome = error
        finally:
            connection.close()


def test_a_bulk_load_locks_only_the_case_tables(shared_data):
    path = shared_data / "nyc311-100.csv"
    progress = EditPolicyAfter(60)
    importer = Importer(load("nyc311"), Report(io.StringIO()), batch=7, progress=progress, bulk=True)
    with path.open("rb") as file:
        importer.run(reader_for(path, "csv", file, importer.columns))
    assert importer.bulk  # the load ran as one transaction...
    assert progress.outcome == "edited"  # ...and policy could be edited while it ran
    assert importer.result.imported == Case.objects.count() == 100
    assert Service.objects.filter(description="edited meanwhile").exists()
