"""The staff case page shows the e-mail conversation, without the resident's address."""

from django.urls import reverse

from civicdesk.cases import actions as case_actions
from civicdesk.inbound import actions

MAIL = (
    b"From: Ana <ana.secret@example.org>\r\nTo: 311@city.test\r\nSubject: Fallen tree on Elm\r\n"
    b"Message-ID: <page1@example.org>\r\n\r\nA fallen tree on Elm Street.\r\n"
)


def test_it_shows_the_thread_in_time_order_without_addresses(client, cast):
    case = actions.process(actions.receive("email", None, MAIL).pk).case
    case_actions.reply(case, cast.carol, "A crew is on its way.")
    reply = MAIL.replace(b"<page1@", b"<page2@").replace(
        b"Subject: Fallen", f"Subject: Re: [#{case.number}] Fallen".encode()
    )
    reply = reply.replace(b"A fallen tree on Elm Street.", b"Thank you!")
    assert actions.process(actions.receive("email", None, reply).pk).case == case
    client.force_login(cast.carol)
    page = client.get(reverse("staff-case", args=[case.number])).content.decode()
    section = page[page.index('id="conversation-title"') : page.index('id="timeline-title"')]
    assert section.index("A fallen tree on Elm Street.") < section.index("Acknowledgement")
    assert section.index("An update on your report") < section.index("Thank you!")
    assert "ana.secret@example.org" not in section


def test_it_shows_no_conversation_for_a_case_from_the_web(client, cast, report):
    case = report(service=cast.tree)
    client.force_login(cast.carol)
    page = client.get(reverse("staff-case", args=[case.number])).content.decode()
    assert 'id="conversation-title"' not in page
