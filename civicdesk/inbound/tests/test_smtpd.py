"""The SMTP receiver, fed by smtplib on a free port: 250 only once the message is stored."""

import smtplib

import pytest

from civicdesk.cases.models import Case
from civicdesk.inbound.management.commands.smtpd import make_controller
from civicdesk.inbound.models import InboundMessage
from civicdesk.inbound.smtp import stop

MAIL = (
    "From: Ana <ana@example.org>\r\nTo: 311@city.test\r\nSubject: Fallen tree\r\n"
    "Message-ID: <smtp1@example.org>\r\n\r\nA fallen tree on Elm Street.\r\n"
)


@pytest.fixture
def receiver(transactional_db):
    from conftest import free_port

    port = free_port()
    controller = make_controller("127.0.0.1", port)
    controller.start()
    yield port
    stop(controller)


@pytest.mark.tasks
def test_it_stores_mail_and_makes_one_case_from_three_deliveries(receiver):
    from civicdesk.test import make_cast

    make_cast()
    for _ in range(3):
        with smtplib.SMTP("127.0.0.1", receiver, timeout=10) as client:
            refused = client.sendmail("ana@example.org", ["311@city.test"], MAIL)
        assert refused == {}
    message = InboundMessage.objects.get()
    assert message.status == "processed"
    assert message.recipients == ["311@city.test"]
    assert Case.objects.filter(reporter_email="ana@example.org").count() == 1


@pytest.mark.tasks
def test_it_keeps_every_recipient_of_one_message_delivered_in_two_transactions(receiver):
    """To: 311@ and Cc: roads@ as two SMTP transactions (as a sending server may split them): one
    message, one case, both addresses on the stored message; nothing dropped as a duplicate."""
    from civicdesk.test import make_cast

    make_cast()
    for recipient in ("311@city.test", "roads@city.test", "311@city.test"):
        with smtplib.SMTP("127.0.0.1", receiver, timeout=10) as client:
            assert client.sendmail("ana@example.org", [recipient], MAIL) == {}
    message = InboundMessage.objects.get()
    assert message.recipients == ["311@city.test", "roads@city.test"]
    assert message.status == "processed"
    assert Case.objects.filter(reporter_email="ana@example.org").count() == 1


def test_it_refuses_recipients_outside_our_domains(receiver):
    with (
        smtplib.SMTP("127.0.0.1", receiver, timeout=10) as client,
        pytest.raises(smtplib.SMTPRecipientsRefused),
    ):
        client.sendmail("ana@example.org", ["someone@elsewhere.test"], MAIL)
    assert not InboundMessage.objects.exists()


def test_it_marks_an_empty_envelope_sender_as_a_bounce(receiver):
    with smtplib.SMTP("127.0.0.1", receiver, timeout=10) as client:
        client.sendmail("<>", ["311@city.test"], MAIL.replace("smtp1", "smtp2"))
    message = InboundMessage.objects.get()
    assert message.envelope_sender == "<>"
    assert message.status == "ignored_automated"
    assert "envelope" in message.reason


def test_it_takes_a_burst_from_several_connections_without_loss(receiver):
    """Four senders at once, 50 messages each: every one stored and made into its own case."""
    from concurrent.futures import ThreadPoolExecutor

    from civicdesk.test import make_cast

    make_cast()

    def send(sender):
        with smtplib.SMTP("127.0.0.1", receiver, timeout=30) as client:
            for n in range(50):
                mail = MAIL.replace("smtp1", f"burst-{sender}-{n}").replace("ana@", f"s{sender}@")
                assert client.sendmail(f"s{sender}@example.org", ["311@city.test"], mail) == {}

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(send, range(4)))
    assert InboundMessage.objects.count() == 200
    assert InboundMessage.objects.filter(status="processed").count() == 200
    assert Case.objects.filter(channel="email").count() == 200


def test_it_answers_250_only_for_committed_messages_in_a_burst_of_1000_from_8_clients(receiver, monkeypatch):
    """1,000 messages from eight smtplib clients at once. Each client, on its own database connection,
    finds its message committed the moment it hears 250; none is lost. Processing is left queued
    (the burst above runs it): this one is about taking the messages in."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    from civicdesk.inbound import actions

    monkeypatch.setattr(actions, "_enqueue", lambda message_id: None)

    def send(sender):
        try:
            with smtplib.SMTP("127.0.0.1", receiver, timeout=60) as client:
                for n in range(125):
                    key = f"thousand-{sender}-{n}"
                    mail = MAIL.replace("smtp1", key)
                    assert client.sendmail("ana@example.org", ["311@city.test"], mail) == {}
                    assert InboundMessage.objects.filter(key=f"<{key}@example.org>").exists()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(send, range(8)))
    assert InboundMessage.objects.filter(key__startswith="<thousand-").count() == 1000
