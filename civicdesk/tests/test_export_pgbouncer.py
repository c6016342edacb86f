"""Exports through PgBouncer in transaction pooling: keyset batches, never a server-side cursor."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from civicdesk.cases import actions
from civicdesk.cases.models import Case
from civicdesk.test import make_cast
from civicdesk.transfer import export


def rows(response):
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def case_reads(queries):
    return [q["sql"] for q in queries if 'FROM "cases_case"' in q["sql"] and "SELECT" in q["sql"]]


def test_it_reads_an_export_in_keyset_batches_of_bounded_size(client, report, cast, monkeypatch):
    for n in range(7):
        report(description=f"Hole {n}")
    monkeypatch.setattr(export, "ROWS_PER_FETCH", 3)
    client.force_login(cast.root)
    with CaptureQueriesContext(connection) as queries:
        exported = rows(client.get(reverse("staff-export", args=["csv"]), {"status": "", "sort": "oldest"}))
    assert [row["number"] for row in exported] == list(
        Case.objects.order_by("created_at", "id").values_list("number", flat=True)
    )
    reads = case_reads(queries.captured_queries)
    # 7 rows in batches of 3: 3 + 3 + 1, each its own query with a LIMIT, each after the last
    # row of the one before; never DECLARE ... CURSOR.
    assert len(reads) == 3 and all(sql.rstrip().endswith("LIMIT 3") for sql in reads)
    assert all(">" in sql.split("WHERE", 1)[1] for sql in reads[1:])
    assert not any("DECLARE" in q["sql"].upper() for q in queries.captured_queries)


def test_it_exports_in_any_sort_order_with_ties_and_nulls(client, report, cast, monkeypatch):
    """Sort keys with NULLs (due time) and ties (priority) page exactly like the queue."""
    for n in range(5):
        report(description=f"Hole {n}", priority=2 if n % 2 else 3)
    monkeypatch.setattr(export, "ROWS_PER_FETCH", 2)
    client.force_login(cast.root)
    for sort in ("priority", "due", "newest", "updated"):
        exported = rows(client.get(reverse("staff-export", args=["csv"]), {"status": "", "sort": sort}))
        monkeypatch.setattr(export, "ROWS_PER_FETCH", 1000)
        whole = rows(client.get(reverse("staff-export", args=["csv"]), {"status": "", "sort": sort}))
        monkeypatch.setattr(export, "ROWS_PER_FETCH", 2)
        assert [r["number"] for r in exported] == [r["number"] for r in whole] and len(whole) == 5


@pytest.mark.django_db(transaction=True)
def test_it_streams_an_export_through_pgbouncer_in_transaction_pooling(
    client, through_pgbouncer, monkeypatch
):
    cast = make_cast()
    numbers = [
        actions.submit_case(service=cast.pothole, answers={"depth": "deep"}, description=f"Hole {n}").number
        for n in range(5)
    ]
    connection.ensure_connection()
    assert connection.connection.info.port == through_pgbouncer.port  # the socket goes to PgBouncer
    monkeypatch.setattr(export, "ROWS_PER_FETCH", 2)
    client.force_login(cast.root)
    for kind in ("csv", "json", "geojson"):
        response = client.get(reverse("staff-export", args=[kind]), {"status": "", "sort": "oldest"})
        assert response.status_code == 200
        text = b"".join(response.streaming_content).decode()
        assert all(number in text for number in numbers)
    response = client.get(reverse("open-data-cases", args=["csv"]))
    assert sorted(r["number"] for r in rows(response)) == sorted(numbers)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_exports_one_snapshot_while_cases_change_between_batches(client, report, cast, monkeypatch):
    """A case edited, added or deleted by someone else between two batches does not show up changed,
    twice or missing: the export is the queue as it was when the export began."""
    import threading

    for n in range(6):
        report(description=f"Hole {n}")
    before = list(Case.objects.order_by("-updated_at", "-id").values_list("number", "description"))
    monkeypatch.setattr(export, "ROWS_PER_FETCH", 2)
    client.force_login(cast.root)
    # Most recently updated first: an edit moves a case to the front, past the batches already read.
    response = client.get(reverse("staff-export", args=["csv"]), {"status": "", "sort": "updated"})
    chunks = iter(response.streaming_content)
    head = [next(chunks), next(chunks)]  # the header row's chunk, then the first batch

    def meanwhile():
        try:
            last = Case.objects.get(number=before[-1][0])
            Case.objects.filter(pk=last.pk).update(description="Edited meanwhile")
            actions.change_status(last, cast.root, "in_progress")
            report(description="Reported meanwhile")
            Case.objects.filter(number=before[-2][0]).delete()
        finally:
            connection.close()

    thread = threading.Thread(target=meanwhile)
    thread.start()
    thread.join()
    exported = list(csv.DictReader(io.StringIO(b"".join([*head, *chunks]).decode())))
    assert [(row["number"], row["description"]) for row in exported] == before
    assert Case.objects.filter(description="Edited meanwhile").exists()  # the change did commit
