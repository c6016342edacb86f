"""`civicdesk fetchmail` against a real IMAP server: Debian's dovecot, started by the test."""

import threading
import time

import imap_tools
import pytest
from django.core.management import call_command
from django.db import connections
from django.test import override_settings

from civicdesk.cases import actions as case_actions
from civicdesk.cases.models import Case
from civicdesk.inbound import config, imap
from civicdesk.inbound.models import Conversation, InboundMessage

from . import dovecot as dovecot_server


def mail(n, extra=""):
    return (
        f"From: Ana <ana{n}@example.org>\r\nTo: 311@city.test\r\nSubject: Fallen tree {n}\r\n"
        f"Message-ID: <imap{n}@example.org>\r\n{extra}\r\nA fallen tree on Elm Street, number {n}.\r\n"
    ).encode()


@pytest.fixture
def imap_cast(transactional_db):
    from civicdesk.test import make_cast

    return make_cast()


@pytest.fixture
def account(dovecot, imap_cast):
    with override_settings(
        INBOUND_IMAP_HOST="127.0.0.1",
        INBOUND_IMAP_PORT=dovecot.port,
        INBOUND_IMAP_USER=dovecot_server.USER,
        INBOUND_IMAP_PASSWORD=dovecot_server.PASSWORD,
        INBOUND_IMAP_SSL="none",
    ):
        yield config.imap_accounts()[0]


@pytest.mark.tasks
def test_it_stores_each_message_then_flags_it_seen_and_moves_it(dovecot, account):
    for n in range(3):
        dovecot.append(mail(n))
    call_command("fetchmail", "--once")
    assert Case.objects.filter(channel="email").count() == 3
    assert set(InboundMessage.objects.values_list("status", flat=True)) == {"processed"}
    assert dovecot.contents("INBOX") == []
    moved = dovecot.contents("Processed")
    assert sorted(raw for _, raw in moved) == [mail(n) for n in range(3)]  # byte for byte
    assert all(b"\\Seen" in flags for flags, _ in moved)


@pytest.mark.tasks
def test_it_fetches_again_after_a_crash_between_storing_and_flagging_and_stores_nothing_twice(
    dovecot, account, monkeypatch
):
    no_message_id = mail(7).replace(b"Message-ID: <imap7@example.org>\r\n", b"")
    dovecot.append(no_message_id)

    def crash(*args, **kwargs):
        raise ConnectionResetError("the connection died after the commit")

    with monkeypatch.context() as patch:
        patch.setattr(imap_tools.mailbox.BaseMailBox, "flag", crash)
        with pytest.raises(ConnectionResetError):
            imap.run(account, once=True)
    stored = InboundMessage.objects.get()
    assert stored.key.startswith("sha256:")  # no Message-ID: the digest of the bytes
    [(flags, _)] = dovecot.contents("INBOX")
    assert b"\\Seen" not in flags  # the server never heard of it

    imap.run(account, once=True)
    assert InboundMessage.objects.get().pk == stored.pk
    assert Case.objects.filter(reporter_email="ana7@example.org").count() == 1
    assert dovecot.contents("INBOX") == []
    assert len(dovecot.contents("Processed")) == 1


def test_it_moves_a_message_over_the_size_limit_aside_whole(dovecot, account):
    big = mail(1, extra="X-Padding: " + "x" * 500 + "\r\n")
    dovecot.append(big)
    dovecot.append(mail(2))
    with override_settings(INBOUND_MAX_BYTES=400):
        imap.run(account, once=True)
    assert list(InboundMessage.objects.values_list("key", flat=True)) == ["<imap2@example.org>"]
    assert [raw for _, raw in dovecot.contents("Refused")] == [big]
    assert dovecot.contents("INBOX") == []


@pytest.mark.tasks
def test_it_takes_the_envelope_from_return_path_and_delivered_to(dovecot, account, imap_cast):
    case = case_actions.submit_case(
        service=imap_cast.tree,
        description="A fallen tree",
        channel="email",
        reporter_email="resident@example.org",
    )
    Conversation.objects.create(
        channel="email", address="resident@example.org", case=case, token="corpustoken"
    )
    bounce = mail(3, extra="Return-Path: <>\r\n")
    reply = (
        b"Return-Path: <resident@example.org>\r\nDelivered-To: reply+corpustoken@city.test\r\n"
        b"From: resident@example.org\r\nTo: 311@city.test\r\nSubject: more\r\n"
        b"Message-ID: <imap-reply@example.org>\r\n\r\nThe tree is now blocking the road.\r\n"
    )
    dovecot.append(bounce)
    dovecot.append(reply)
    imap.run(account, once=True)
    stored_bounce = InboundMessage.objects.get(key="<imap3@example.org>")
    assert (stored_bounce.envelope_sender, stored_bounce.status) == ("<>", "ignored_automated")
    stored_reply = InboundMessage.objects.get(key="<imap-reply@example.org>")
    assert stored_reply.recipients == ["reply+corpustoken@city.test"]
    assert stored_reply.case == case
    assert stored_reply.status == "processed"


def test_it_wakes_from_idle_when_mail_arrives(dovecot, account):
    with imap.connect(account) as mailbox:
        assert "IDLE" in mailbox.client.capabilities
        threading.Timer(0.5, dovecot.append, [mail(4)]).start()
        give_up = time.monotonic() + 60  # a safety net, not a measurement
        assert imap._wait(mailbox, 120, True, stop=lambda: time.monotonic() > give_up) is True
        assert imap.fetch_once(mailbox, account) == 1


@pytest.mark.tasks
def test_it_reconnects_after_the_server_drops_the_connection(dovecot, account):
    stopping = threading.Event()

    def poll():
        try:
            imap.run(account, interval=1, stop=stopping.is_set)
        finally:
            connections.close_all()

    worker = threading.Thread(target=poll)
    worker.start()
    try:
        dovecot.append(mail(5))
        wait_until(lambda: InboundMessage.objects.filter(key="<imap5@example.org>").exists())
        dovecot.stop()  # every session ends with the server
        dovecot.start()
        dovecot.append(mail(6))
        wait_until(lambda: InboundMessage.objects.filter(key="<imap6@example.org>").exists())
    finally:
        stopping.set()
        worker.join(30)
    assert not worker.is_alive()
    assert Case.objects.filter(reporter_email__in=["ana5@example.org", "ana6@example.org"]).count() == 2


def wait_until(condition, timeout=60):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.1)


def test_it_stops_with_a_clear_error_on_a_refused_login(dovecot, account):
    from django.core.management.base import CommandError

    with override_settings(INBOUND_IMAP_PASSWORD="wrong"), pytest.raises(CommandError, match="login refused"):
        call_command("fetchmail", "--once")


def test_it_says_what_to_set_when_no_mailbox_is_configured(db):
    from django.core.management.base import CommandError

    with override_settings(INBOUND_IMAP_HOST=""), pytest.raises(CommandError, match="INBOUND_IMAP_HOST"):
        call_command("fetchmail", "--once")
