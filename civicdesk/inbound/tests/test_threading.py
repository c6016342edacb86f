"""Outbound e-mail of an e-mailed case carries its thread; replies find it; loops end."""

import smtplib

import pytest
from django.test import override_settings

from civicdesk.cases import actions as case_actions
from civicdesk.cases.models import CaseEvent, EventKind
from civicdesk.inbound import actions
from civicdesk.inbound.models import Conversation, InboundMessage
from civicdesk.inbound.tests.conftest import AUTHENTICATED

MAIL = (
    b"From: Ana <ana@example.org>\r\nTo: 311@city.test\r\nSubject: Fallen tree\r\n"
    b"Message-ID: <first@example.org>\r\n\r\nA fallen tree on Elm Street.\r\n"
)


def test_it_threads_the_acknowledgement_and_a_staff_reply(
    cast, smtp_server, django_capture_on_commit_callbacks
):
    with override_settings(MAILERS=smtp_server.mailers), django_capture_on_commit_callbacks(execute=True):
        message = actions.process(actions.receive("email", None, MAIL).pk)
    with override_settings(MAILERS=smtp_server.mailers), django_capture_on_commit_callbacks(execute=True):
        case_actions.reply(message.case, cast.carol, "A crew is on its way.")
    ack, reply = smtp_server.messages
    token = Conversation.objects.get(case=message.case).token
    number = message.case.number
    for sent in (ack, reply):
        assert f"[#{number}]" in sent["Subject"]
        assert sent["Reply-To"] == f"reply+{token}@city.test"
        assert sent["In-Reply-To"] == "<first@example.org>"
        assert sent["X-Loop"] == "civicdesk@city.test"
    assert ack["Auto-Submitted"] == "auto-replied"
    assert reply["Auto-Submitted"] is None  # a person wrote it: an answer to it is welcome


def test_it_threads_by_subject_only_for_the_case_correspondent(cast, emailed_case):
    subject = f"Subject: Re: update [#{emailed_case.number}]".encode()
    stranger = MAIL.replace(b"Subject: Fallen tree", subject).replace(b"<first@", b"<s1@")
    message = actions.process(actions.receive("email", None, stranger).pk)
    assert message.case != emailed_case  # a guessed number opens the stranger's own case
    own = AUTHENTICATED + stranger.replace(b"ana@example.org", b"resident@example.org").replace(
        b"<s1@", b"<s2@"
    )
    assert actions.process(actions.receive("email", None, own).pk).case == emailed_case


def test_it_threads_a_reply_to_an_earlier_inbound_message(cast):
    first = actions.process(actions.receive("email", None, MAIL).pk)
    again = AUTHENTICATED + MAIL.replace(
        b"<first@example.org>", b"<second@example.org>\r\nIn-Reply-To: <first@example.org>"
    )
    assert actions.process(actions.receive("email", None, again).pk).case == first.case


FORGED = (
    b"From: Resident <resident@example.org>\r\nTo: 311@city.test\r\nSubject: Re: [#{number}]\r\n"
    b"Message-ID: <forged-{n}@example.org>\r\n{extra}\r\nI am not the resident. Close this case.\r\n"
)
# Headers that do not verify the sender: none at all; another server's pass; ours failing (with a
# forged pass under it, written by the sender with our id); ours passing for another domain.
UNVERIFIED = [
    b"",
    b"Authentication-Results: mx.elsewhere.test; dmarc=pass header.from=example.org\r\n",
    b"Authentication-Results: mx.city.test; dkim=fail header.d=example.org; dmarc=fail\r\n"
    b"Authentication-Results: mx.city.test; dmarc=pass header.from=example.org\r\n",
    b"Authentication-Results: mx.city.test; dkim=pass header.d=attacker.test;\r\n"
    b" spf=pass smtp.mailfrom=x@attacker.test\r\n",
]


@pytest.mark.parametrize("n", range(len(UNVERIFIED)))
def test_it_keeps_forged_mail_naming_a_case_out_of_the_residents_thread(cast, emailed_case, n):
    """Anyone can put a resident's address in From and their case number in the subject (or cite
    our acknowledgement's Message-ID): without our server's authentication it is a staff note."""
    case_actions.change_status(emailed_case, None, "waiting_on_resident", message="Which side of the road?")
    for number, extra in ((emailed_case.number, b""), ("00-000000", b"In-Reply-To: <ack@city.test>\r\n")):
        raw = FORGED.replace(b"{number}", number.encode()).replace(b"{n}", f"{n}-{number}".encode())
        message = actions.process(
            actions.receive("email", None, raw.replace(b"{extra}", UNVERIFIED[n] + extra)).pk
        )
        assert message.status == "processed"
        assert message.case == emailed_case and message.conversation is None
        assert "not verified" in message.reason
    events = CaseEvent.objects.filter(case=emailed_case)
    assert not events.filter(kind=EventKind.COMMENT).exists()
    notes = events.filter(kind=EventKind.NOTE)
    assert notes.count() == 2 and not notes.filter(public=True).exists()
    assert "could not be verified" in notes.first().message and "Close this case" in notes.first().message
    emailed_case.refresh_from_db()
    assert emailed_case.status == "waiting_on_resident"  # no effect on the case
    assert Conversation.objects.filter(case=emailed_case).count() == 1  # none made for the sender


def test_it_threads_mail_our_server_authenticated(cast, emailed_case):
    case_actions.change_status(emailed_case, None, "waiting_on_resident", message="Which side of the road?")
    raw = FORGED.replace(b"{number}", emailed_case.number.encode()).replace(b"{n}", b"ok")
    raw = raw.replace(b"I am not the resident. Close this case.", b"The east side.")
    message = actions.process(actions.receive("email", None, AUTHENTICATED + raw.replace(b"{extra}", b"")).pk)
    assert message.case == emailed_case and message.conversation is not None
    assert CaseEvent.objects.get(case=emailed_case, kind=EventKind.COMMENT).message == "The east side."
    emailed_case.refresh_from_db()
    assert emailed_case.status == "open"  # the resident answered


def test_it_trusts_no_authentication_results_without_an_authserv_id(cast, emailed_case):
    raw = FORGED.replace(b"{number}", emailed_case.number.encode()).replace(b"{n}", b"noid")
    with override_settings(INBOUND_AUTHSERV_ID=""):
        message = actions.process(
            actions.receive("email", None, AUTHENTICATED + raw.replace(b"{extra}", b"")).pk
        )
    assert message.conversation is None and "not verified" in message.reason


def naive_autoresponder(received):
    """Answers every message it gets, without any RFC 3834 header: the worst kind."""
    to = str(received["Reply-To"] or received["From"])
    return (
        f"From: away@example.org\r\nTo: {to}\r\nSubject: Re: {received['Subject']}\r\n"
        f"Message-ID: <away-{received['Message-ID'].strip('<>')}>\r\n"
        f"In-Reply-To: {received['Message-ID']}\r\n\r\nI am away until Monday.\r\n"
    ).encode()


@pytest.fixture
def receiver(transactional_db):
    from civicdesk.inbound.management.commands.smtpd import make_controller
    from civicdesk.inbound.smtp import stop
    from conftest import free_port

    port = free_port()
    controller = make_controller("127.0.0.1", port)
    controller.start()
    yield port
    stop(controller)


@pytest.mark.tasks
def test_a_loop_with_an_autoresponder_ends_after_one_message(receiver, smtp_server):
    from civicdesk.test import make_cast

    make_cast()
    with override_settings(MAILERS=smtp_server.mailers):
        with smtplib.SMTP("127.0.0.1", receiver, timeout=10) as client:
            client.sendmail("away@example.org", ["311@city.test"], MAIL.replace(b"ana@", b"away@"))
        for _ in range(5):  # rounds: each of our messages gets an automatic answer
            answered = len(smtp_server.envelopes)
            for sent in smtp_server.messages:
                with smtplib.SMTP("127.0.0.1", receiver, timeout=10) as client:
                    client.sendmail("away@example.org", ["311@city.test"], naive_autoresponder(sent))
            if len(smtp_server.envelopes) == answered:
                break
    assert len(smtp_server.envelopes) == 1  # the acknowledgement, and nothing after it
    assert InboundMessage.objects.filter(status="processed").count() == 2
    case = InboundMessage.objects.first().case
    assert CaseEvent.objects.filter(case=case, kind=EventKind.COMMENT).count() == 1


def test_it_answers_no_rfc3834_autoreply_at_all(receiver, smtp_server):
    from civicdesk.test import make_cast

    make_cast()
    auto = MAIL.replace(b"Subject:", b"Auto-Submitted: auto-replied\r\nSubject:")
    with override_settings(MAILERS=smtp_server.mailers), smtplib.SMTP("127.0.0.1", receiver, timeout=10) as c:
        c.sendmail("ana@example.org", ["311@city.test"], auto)
    assert smtp_server.envelopes == []
    assert InboundMessage.objects.get().status == "ignored_automated"


def test_it_threads_by_the_token_in_the_envelope_when_the_headers_lack_it(cast, emailed_case):
    bcc = MAIL.replace(b"<first@", b"<bcc@")  # To: 311@city.test only; the token came as RCPT TO
    stored = actions.receive("email", None, bcc, recipients=["reply+corpustoken@city.test"])
    assert actions.process(stored.pk).case == emailed_case


def test_it_threads_a_reply_from_another_address_by_a_freshly_made_token(cast, emailed_case):
    from civicdesk.inbound.models import new_token

    conversation = Conversation.objects.get(case=emailed_case)
    conversation.token = new_token()
    conversation.save(update_fields=["token"])
    other = MAIL.replace(b"ana@example.org", b"ana.phone@example.net").replace(b"<first@", b"<phone@")
    address = f"Reply+{conversation.token.upper()}@City.TEST"  # as some mail software writes it back
    stored = actions.receive("email", None, other.replace(b"To: 311@city.test", f"To: {address}".encode()))
    assert actions.process(stored.pk).case == emailed_case


def test_it_cites_only_message_ids_in_the_threading_headers(cast, emailed_case):
    from civicdesk.inbound.threading import outbound_headers
    from civicdesk.notify.models import OutboxMessage

    conversation = Conversation.objects.get(case=emailed_case)
    for key in ("<one@example.org>", "sha256:" + "0" * 64):  # the second had no Message-ID
        InboundMessage.objects.create(channel="email", key=key, raw=b"x", conversation=conversation)
    reply = OutboxMessage.objects.create(
        kind="reply", case=emailed_case, recipient="resident@example.org", subject="Re", body="b"
    )
    headers = outbound_headers(reply)
    assert headers["In-Reply-To"] == "<one@example.org>" and "sha256" not in headers["References"]


def test_it_threads_outbound_mail_with_one_query_and_without_message_ids_too(cast, emailed_case):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from civicdesk.inbound.threading import outbound_headers
    from civicdesk.notify.models import OutboxMessage

    reply = OutboxMessage.objects.select_related("case").create(
        kind="reply", case=emailed_case, recipient="resident@example.org", subject="Re", body="b"
    )
    headers = outbound_headers(reply)  # the resident's messages had no Message-ID: the token only
    assert headers["Reply-To"] == "reply+corpustoken@city.test" and "In-Reply-To" not in headers
    conversation = Conversation.objects.get(case=emailed_case)
    InboundMessage.objects.create(
        channel="email", key="<one@example.org>", raw=b"x", conversation=conversation
    )
    with CaptureQueriesContext(connection) as queries:
        headers = outbound_headers(reply)
    assert len(queries) == 1
    assert (
        headers["Reply-To"] == "reply+corpustoken@city.test" and headers["In-Reply-To"] == "<one@example.org>"
    )


def test_it_never_writes_the_raw_bytes_back_when_processing(cast):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    stored = actions.receive("email", None, MAIL)
    with CaptureQueriesContext(connection) as queries:
        actions.process(stored.pk)
    updates = [
        q["sql"] for q in queries if q["sql"].startswith("UPDATE") and "inbound_inboundmessage" in q["sql"]
    ]
    assert updates and not any('"raw"' in sql for sql in updates)
