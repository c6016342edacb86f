"""`civicdesk deliver_outbox`: the sweep that sends what no task sent (a dead worker, a lost task)."""

import contextlib
import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection
from django.test import override_settings
from django.utils import timezone

from civicdesk.notify.management.commands import deliver_outbox
from civicdesk.notify.models import OutboxMessage


def queued(recipient, **fields):
    return OutboxMessage.objects.create(
        kind="reply", recipient=recipient, subject="Update on your case", body="We fixed it.", **fields
    )


def run(*args):
    out = io.StringIO()
    call_command("deliver_outbox", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_it_sends_due_messages_once_with_once(smtp_server):
    due = queued("due@example.org")
    later = queued("later@example.org", next_attempt_at=timezone.now() + timedelta(minutes=5))
    with override_settings(MAILERS=smtp_server.mailers):
        assert run("--once") == "deliver_outbox: 1 sent\n"
        assert run("--once") == ""
    assert [m["To"] for m in smtp_server.messages] == ["due@example.org"]
    due.refresh_from_db()
    later.refresh_from_db()
    assert due.status == "sent" and later.status == "pending"


@pytest.mark.django_db
def test_it_records_failures_and_keeps_the_message(smtp_server):
    message = queued("res@example.org")
    smtp_server.stop()
    with override_settings(MAILERS=smtp_server.mailers):
        assert run("--once") == "deliver_outbox: 1 pending\n"
    message.refresh_from_db()
    assert message.attempts == 1 and message.last_error


@pytest.mark.django_db
def test_it_sweeps_every_batch_in_one_run(smtp_server, monkeypatch):
    monkeypatch.setattr(deliver_outbox, "BATCH", 2)
    for n in range(5):
        queued(f"r{n}@example.org")
    with override_settings(MAILERS=smtp_server.mailers):
        assert run("--once") == "deliver_outbox: 5 sent\n"
    assert len(smtp_server.envelopes) == 5


class Stop(Exception):
    pass


@pytest.mark.django_db
def test_it_keeps_sweeping_with_a_pause_between_sweeps(smtp_server, monkeypatch):
    pauses = []

    def sleep(seconds):
        pauses.append(seconds)
        queued(f"new{len(pauses)}@example.org")  # arrives while the command sleeps
        if len(pauses) == 2:
            raise Stop

    monkeypatch.setattr(deliver_outbox.time, "sleep", sleep)
    queued("first@example.org")
    with override_settings(MAILERS=smtp_server.mailers), pytest.raises(Stop):
        run("--interval", "7")
    assert pauses == [7.0, 7.0]
    assert [m["To"] for m in smtp_server.messages] == ["first@example.org", "new1@example.org"]


@contextlib.contextmanager
def outbox_table_gone():
    """Every query on the outbox fails (a real database error) until `back()` is called, or the block ends."""
    table = OutboxMessage._meta.db_table

    def rename(old, new):
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {old} RENAME TO {new}")

    def back():
        if table not in connection.introspection.table_names():
            rename("outbox_gone", table)

    rename(table, "outbox_gone")
    try:
        yield back
    finally:
        back()  # whatever happened, the next test finds its table


@pytest.mark.django_db(transaction=True)  # a real database error, which would break a test transaction
def test_it_keeps_sweeping_after_a_database_error(smtp_server, monkeypatch, caplog):
    queued("first@example.org")
    pauses = []
    with outbox_table_gone() as back:  # every query of the first sweep fails

        def sleep(seconds):
            pauses.append(seconds)
            if len(pauses) == 1:
                back()  # the database is back
            else:
                raise Stop

        monkeypatch.setattr(deliver_outbox.time, "sleep", sleep)
        with override_settings(MAILERS=smtp_server.mailers), pytest.raises(Stop):
            run("--interval", "7")
    assert pauses == [7.0, 7.0]
    assert [m["To"] for m in smtp_server.messages] == ["first@example.org"]
    [failure] = [r for r in caplog.records if r.name == deliver_outbox.__name__]
    assert failure.levelname == "ERROR" and "sweep failed" in failure.getMessage() and failure.exc_info


@pytest.mark.django_db(transaction=True)
def test_it_stops_on_a_database_error_with_once():
    with outbox_table_gone(), pytest.raises(DatabaseError):
        run("--once")
