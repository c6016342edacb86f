"""The outbox delivered through a real SMTP server: sent once, kept through an outage, given up on loudly."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from civicdesk.cases import actions
from civicdesk.notify.delivery import deliver, deliver_due
from civicdesk.notify.models import OutboxMessage
from civicdesk.test import PASSWORD

CHANGELIST = "/admin/notify/outboxmessage/"


def submit(cast, email="res@example.org"):
    return actions.submit_case(
        service=cast.pothole, answers={"depth": "deep"}, reporter_email=email, reporter_name="Res"
    )


@pytest.fixture
def mail_to(smtp_server):
    with override_settings(MAILERS=smtp_server.mailers):
        yield smtp_server


def later(message):
    """Travel to just after the message's next attempt is due."""
    message.refresh_from_db()
    return time_machine.travel(message.next_attempt_at + timedelta(seconds=1), tick=True)


def test_it_sends_the_acknowledgement_over_smtp(cast, mail_to, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = submit(cast)
    [envelope] = mail_to.envelopes
    [message] = mail_to.messages
    assert envelope.rcpt_tos == ["res@example.org"]
    assert message["To"] == "res@example.org" and message["From"] == settings.DEFAULT_FROM_EMAIL
    assert message["Subject"] == f"We received your report {case.number}"
    body = message.get_body(("plain",)).get_content()
    # An anonymous report's name is the sender's own choice: never put in the city's words.
    assert body.startswith("Hello,\r\n") and "Res," not in body
    assert case.number in body and case.tracking_url in body
    row = OutboxMessage.objects.get(case=case)
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, "") and row.sent_at


def test_it_greets_by_name_only_a_signed_in_reporter_or_a_caller_an_agent_took(
    cast, mail_to, django_capture_on_commit_callbacks
):
    forged = "URGENT: pay your fine at http://evil.test"
    with django_capture_on_commit_callbacks(execute=True):
        actions.submit_case(
            service=cast.pothole,
            answers={"depth": "deep"},
            reporter_email="v@example.org",
            reporter_name=forged,
        )
        actions.submit_case(service=cast.pothole, answers={"depth": "deep"}, reporter=cast.alice)
        actions.submit_case(
            service=cast.pothole,
            answers={"depth": "deep"},
            channel="phone",
            actor=cast.erin,
            reporter_email="caller@example.org",
            reporter_name="Carl Caller",
        )
    bodies = {m["To"]: m.get_body(("plain",)).get_content() for m in mail_to.messages}
    assert "evil.test" not in bodies["v@example.org"] and bodies["v@example.org"].startswith("Hello,\r\n")
    assert bodies[cast.alice.email].startswith(f"Hello {cast.alice.full_name},")
    assert bodies["caller@example.org"].startswith("Hello Carl Caller,")


def test_it_keeps_a_message_through_an_smtp_outage_and_sends_it_once(
    cast, mail_to, django_capture_on_commit_callbacks
):
    mail_to.stop()
    with django_capture_on_commit_callbacks(execute=True):
        case = submit(cast)  # the case is filed even though the e-mail cannot go
    message = OutboxMessage.objects.get(case=case)
    assert (message.status, message.attempts) == ("pending", 1)
    assert "Connection refused" in message.last_error and message.next_attempt_at > timezone.now()
    assert deliver_due() == []  # not due yet: no hammering a server that is down

    mail_to.start()
    with later(message):
        assert deliver_due() == ["sent"]
        assert deliver_due() == []
        assert deliver(message.pk) is None  # a late task for it finds nothing to do
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == ("sent", 2, "")
    assert [m["To"] for m in mail_to.messages] == ["res@example.org"]


def test_it_backs_off_between_attempts(cast, mail_to, django_capture_on_commit_callbacks):
    mail_to.stop()
    with django_capture_on_commit_callbacks(execute=True):
        case = submit(cast)
    message = OutboxMessage.objects.get(case=case)
    windows = []
    for _ in range(3):
        with later(message):
            before = timezone.now()
            deliver_due()
            after = timezone.now()
            message.refresh_from_db()
            # The retry is planned from the failure's moment, somewhere between before and after.
            windows.append((message.next_attempt_at - after, message.next_attempt_at - before))
    for (low, high), gap in zip(windows, [60, 120, 240], strict=True):
        assert low <= timedelta(seconds=gap) <= high
    assert message.attempts == 4


def fail_fast_attempts(cast, mail_to, capture, attempts=3):
    """A case whose acknowledgement failed its `attempts` fast tries with SMTP down."""
    mail_to.stop()
    with capture(execute=True):
        case = submit(cast, email="lost@example.org")
    message = OutboxMessage.objects.get(case=case, kind="acknowledgement")
    for _ in range(attempts - 1):
        with later(message):
            deliver_due()
    message.refresh_from_db()
    return message


@override_settings(OUTBOX_MAX_ATTEMPTS=3, ADMINS=["ops@city.test"])
def test_it_retries_a_failed_message_slowly_and_alerts_the_administrators_once(
    cast, mail_to, django_capture_on_commit_callbacks
):
    message = fail_fast_attempts(cast, mail_to, django_capture_on_commit_callbacks)
    assert (message.status, message.attempts) == ("failed", 3) and message.alerted_at
    slow = timedelta(seconds=settings.OUTBOX_SLOW_RETRY_SECONDS)
    assert message.next_attempt_at == message.alerted_at + slow
    alerts = OutboxMessage.objects.filter(kind="outbox_alert")
    assert sorted(alerts.values_list("recipient", flat=True)) == ["ops@city.test", "root@demo.test"]

    with time_machine.travel(message.next_attempt_at - timedelta(minutes=1), tick=False):
        deliver_due()
    message.refresh_from_db()
    assert message.attempts == 3  # not before its slow retry is due
    for expected in (4, 5):
        with time_machine.travel(message.next_attempt_at, tick=False):
            deliver_due()  # the message, and the alerts (which fail too: SMTP is down)
        message.refresh_from_db()
        assert (message.status, message.attempts) == ("failed", expected)
    assert set(alerts.values_list("status", flat=True)) == {"failed"}  # alerts run out of tries too...
    assert OutboxMessage.objects.filter(kind="outbox_alert").count() == 2  # ...and nobody is alerted again

    mail_to.start()
    with time_machine.travel(message.next_attempt_at, tick=False):
        deliver_due()
    received = sorted(m["To"] for m in mail_to.messages)
    assert received == ["lost@example.org", "ops@city.test", "root@demo.test"]
    alert = next(m for m in mail_to.messages if m["To"] == "ops@city.test")
    assert alert["Subject"] == "Undelivered message: acknowledgement to lost@example.org"
    body = alert.get_body(("plain",)).get_content()
    assert f"/admin/notify/outboxmessage/?id__exact={message.pk}" in body and "Connection refused" in body


def test_it_stops_retrying_a_message_an_administrator_cancels(
    cast, client, mail_to, django_capture_on_commit_callbacks
):
    with override_settings(OUTBOX_MAX_ATTEMPTS=3):
        message = fail_fast_attempts(cast, mail_to, django_capture_on_commit_callbacks)
    assert client.login(email="root@demo.test", password=PASSWORD)
    page = client.get(CHANGELIST, {"status__exact": "failed"})
    assert page.status_code == 200
    assert "lost@example.org" in page.content.decode() and "ConnectionRefusedError" in page.content.decode()

    response = client.post(CHANGELIST, {"action": "cancel_messages", "_selected_action": [message.pk]})
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.status == "cancelled"
    mail_to.start()
    with time_machine.travel(message.next_attempt_at + timedelta(days=1), tick=False):
        deliver_due()  # sends the administrators' alert, not the cancelled message
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("cancelled", 3)
    assert [m["To"] for m in mail_to.messages] == ["root@demo.test"]


def test_it_sends_a_failed_message_at_once_when_the_admin_retries_it(
    cast, client, mail_to, django_capture_on_commit_callbacks
):
    with override_settings(OUTBOX_MAX_ATTEMPTS=3):
        message = fail_fast_attempts(cast, mail_to, django_capture_on_commit_callbacks)
    assert client.login(email="root@demo.test", password=PASSWORD)
    mail_to.start()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(CHANGELIST, {"action": "retry_now", "_selected_action": [message.pk]})
    assert response.status_code == 302
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 1)
    assert [m["To"] for m in mail_to.messages] == ["lost@example.org"]


def test_it_does_not_retry_a_message_that_was_sent_or_is_being_sent(cast, client, mail_to):
    sent = OutboxMessage.objects.create(kind="reply", recipient="a@example.org", body="x", status="sent")
    sending = OutboxMessage.objects.create(
        kind="reply", recipient="b@example.org", body="x", status="sending", claimed_at=timezone.now()
    )
    assert client.login(email="root@demo.test", password=PASSWORD)
    client.post(CHANGELIST, {"action": "retry_now", "_selected_action": [sent.pk, sending.pk]})
    assert list(OutboxMessage.objects.order_by("pk").values_list("status", flat=True)) == ["sent", "sending"]
    assert mail_to.envelopes == []


def test_it_takes_over_a_message_whose_lease_ran_out_with_the_same_message_id(cast, mail_to):
    now = timezone.now()
    stuck = OutboxMessage.objects.create(
        kind="reply",
        recipient="stuck@example.org",
        subject="Update",
        body="x",
        status="sending",
        attempts=1,
        claimed_at=now - timedelta(seconds=40),
        claimed_by="dead-worker",
        lease_until=now - timedelta(seconds=1),
    )
    held = OutboxMessage.objects.create(
        kind="reply",
        recipient="busy@example.org",
        body="x",
        status="sending",
        claimed_at=now,
        claimed_by="live-worker",
        lease_until=now + timedelta(seconds=30),
    )
    assert deliver_due() == ["sent"]
    [copy] = mail_to.messages
    assert copy["To"] == "stuck@example.org" and copy["Message-ID"] == stuck.message_id
    held.refresh_from_db()
    stuck.refresh_from_db()
    assert (held.status, held.claimed_by) == ("sending", "live-worker")
    assert (stuck.status, stuck.attempts, stuck.claimed_by, stuck.lease_until) == ("sent", 2, "", None)


def test_it_gives_each_message_one_message_id_on_the_site_domain_for_every_attempt(
    cast, mail_to, django_capture_on_commit_callbacks
):
    mail_to.stop()
    with (
        override_settings(SITE_URL="https://311.riverton.example"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        case = submit(cast)
        submit(cast, email="other@example.org")
    first, second = OutboxMessage.objects.filter(kind="acknowledgement").order_by("pk")
    assert first.message_id.endswith("@311.riverton.example>") and first.message_id != second.message_id
    mail_to.start()
    with later(first):
        deliver_due()
    [copy] = [m for m in mail_to.messages if m["To"] == "res@example.org"]
    assert copy["Message-ID"] == OutboxMessage.objects.get(case=case).message_id == first.message_id


@pytest.mark.django_db(transaction=True)  # the heartbeat thread writes through its own connection
def test_it_keeps_the_lease_alive_while_a_slow_send_runs(monkeypatch):
    """The heartbeat renews the lease during the send, so nobody takes over a live worker's message."""
    from civicdesk.notify import delivery

    message = OutboxMessage.objects.create(kind="reply", recipient="slow@example.org", body="x")
    seen = []

    def slow_send(message):
        first = OutboxMessage.objects.get(pk=message.pk).lease_until
        for _ in range(200):  # until the heartbeat has renewed it twice (or 2 s)
            seen.append(OutboxMessage.objects.get(pk=message.pk).lease_until)
            if len(set(seen) - {first}) >= 2:
                return
            threading.Event().wait(0.01)

    monkeypatch.setitem(delivery.SENDERS, "email", slow_send)
    with override_settings(OUTBOX_LEASE_SECONDS=30, OUTBOX_HEARTBEAT_SECONDS=0.05):
        assert deliver(message.pk) == "sent"
    assert len(set(seen)) >= 3 and seen == sorted(seen)


def test_it_keeps_the_change_when_queueing_the_delivery_fails(
    cast, monkeypatch, django_capture_on_commit_callbacks
):
    from civicdesk.notify import outbox

    def broken(message_id):
        raise ConnectionError("task queue down")

    monkeypatch.setattr(outbox, "enqueue", broken)
    with django_capture_on_commit_callbacks(execute=True):
        case = submit(cast)  # no exception reaches the resident: the case exists
    assert OutboxMessage.objects.get(case=case).status == "pending"  # deliver_outbox sends it later


@override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}})
def test_it_writes_the_delivery_task_in_the_change_s_own_transaction_when_tasks_are_in_the_database(cast):
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    def queued_for(message):
        return [t for t in DBTaskResult.objects.all() if t.args_kwargs["args"] == [message.pk]]

    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        message = OutboxMessage.objects.get(case=submit(cast))
        assert len(queued_for(message)) == 1  # before the commit: no on-commit step to lose
        raise Undo
    assert DBTaskResult.objects.count() == 0  # rolled back with the case and the message
    message = OutboxMessage.objects.get(case=submit(cast))
    [task] = queued_for(message)
    assert task.task_path == "civicdesk.notify.tasks.deliver_message"


def test_it_forgets_the_body_of_an_account_e_mail_once_sent(cast, client, mail_to):
    response = client.post("/accounts/password/reset/", {"email": "alice@demo.test"})
    assert response.status_code == 302
    deliver_due()
    [received] = mail_to.messages
    assert "/accounts/password/reset/key/" in received.get_body(("plain",)).get_content()  # it went whole
    message = OutboxMessage.objects.get(kind="account")
    assert (message.status, message.body, message.recipient) == ("sent", "", "alice@demo.test")
    assert message.subject == received["Subject"] and message.message_id == received["Message-ID"]
    reply = OutboxMessage.objects.create(kind="reply", recipient="a@example.org", body="Fixed.")
    deliver(reply.pk)
    reply.refresh_from_db()
    assert (reply.status, reply.body) == ("sent", "Fixed.")  # other e-mails keep theirs


def test_it_forgets_the_body_of_a_cancelled_account_e_mail_and_never_sends_it_empty(cast, client, mail_to):
    account = OutboxMessage.objects.create(
        kind="account", recipient="a@example.org", subject="Reset", body="key"
    )
    reply = OutboxMessage.objects.create(kind="reply", recipient="b@example.org", body="Fixed.")
    assert client.login(email="root@demo.test", password=PASSWORD)
    client.post(CHANGELIST, {"action": "cancel_messages", "_selected_action": [account.pk, reply.pk]})
    rows = OutboxMessage.objects.filter(pk__in=[account.pk, reply.pk]).order_by("pk")
    assert list(rows.values_list("status", "subject", "body")) == [
        ("cancelled", "Reset", ""),
        ("cancelled", "", "Fixed."),
    ]
    client.post(CHANGELIST, {"action": "retry_now", "_selected_action": [account.pk, reply.pk]})
    assert list(rows.values_list("status", flat=True)) == ["cancelled", "pending"]


def test_it_never_shows_the_body_of_an_account_e_mail_in_the_admin(cast, client):
    account = OutboxMessage.objects.create(
        kind="account",
        recipient="a@example.org",
        subject="Reset",
        body="/accounts/password/reset/key/SECRET/",
    )
    reply = OutboxMessage.objects.create(kind="reply", recipient="b@example.org", body="We filled the hole.")
    assert client.login(email="root@demo.test", password=PASSWORD)
    page = client.get(f"{CHANGELIST}{account.pk}/change/")
    assert page.status_code == 200
    content = page.content.decode()
    assert "a@example.org" in content and "Reset" in content and "SECRET" not in content
    assert "We filled the hole." in client.get(f"{CHANGELIST}{reply.pk}/change/").content.decode()


def test_it_links_the_alert_to_the_list_of_that_one_message_where_it_can_be_cancelled(cast, client):
    from civicdesk.notify.outbox import queue_failure_alert

    failed = OutboxMessage.objects.create(
        kind="reply", recipient="lost@example.org", body="x", status="failed"
    )
    OutboxMessage.objects.create(kind="reply", recipient="other@example.org", body="y", status="failed")
    [alert, *_] = queue_failure_alert(failed)
    [link] = [line for line in alert.body.splitlines() if line.startswith(settings.SITE_URL)]
    assert client.login(email="root@demo.test", password=PASSWORD)
    page = client.get(link.removeprefix(settings.SITE_URL)).content.decode()
    assert "lost@example.org" in page and "other@example.org" not in page
    assert 'value="cancel_messages"' in page
    client.post(
        link.removeprefix(settings.SITE_URL), {"action": "cancel_messages", "_selected_action": [failed.pk]}
    )
    failed.refresh_from_db()
    assert failed.status == "cancelled"


def test_it_never_takes_over_a_live_send_from_a_host_whose_clock_runs_ahead(cast, mail_to):
    from civicdesk.notify.delivery import claim

    message = OutboxMessage.objects.create(kind="reply", recipient="busy@example.org", body="x")
    assert claim(message.pk, timezone.now(), "live-worker")
    with time_machine.travel(timezone.now() + timedelta(hours=1), tick=True):  # this host is an hour ahead
        assert deliver_due() == []
    message.refresh_from_db()
    assert (message.status, message.claimed_by) == ("sending", "live-worker") and mail_to.envelopes == []


@pytest.mark.parametrize(
    "heartbeat, lease, errors", [(10, 30, []), (30, 30, ["notify.E001"]), (40, 30, ["notify.E001"])]
)
def test_it_checks_that_the_heartbeat_renews_the_lease_before_it_runs_out(heartbeat, lease, errors):
    from civicdesk.notify.checks import check_lease_settings

    with override_settings(OUTBOX_HEARTBEAT_SECONDS=heartbeat, OUTBOX_LEASE_SECONDS=lease):
        assert [error.id for error in check_lease_settings()] == errors
