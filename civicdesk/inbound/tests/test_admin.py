"""The quarantine in the admin: administrators read held messages, release or discard them."""

import pytest

from civicdesk.inbound import actions
from civicdesk.inbound.models import InboundMessage
from civicdesk.test import PASSWORD

BROKEN = (
    b"From: Ana <ana@example.org>\r\nTo: 311@city.test\r\nSubject: Fallen tree\r\n"
    b"Message-ID: <q1@example.org>\r\nContent-Type: text/plain; charset=x-nonsense\r\n\r\nA fallen tree.\r\n"
)
LIST = "/admin/inbound/inboundmessage/"


@pytest.fixture
def quarantined(cast):
    return actions.process(actions.receive("email", None, BROKEN).pk)


@pytest.fixture
def admin_client(client, cast):
    assert client.login(email="root@demo.test", password=PASSWORD)
    return client


def test_it_lists_quarantined_messages_with_their_reason(admin_client, quarantined):
    page = admin_client.get(LIST, {"status__exact": "quarantined"}).content.decode()
    assert "Unknown charset" in page
    detail = admin_client.get(f"{LIST}{quarantined.pk}/change/").content.decode()
    assert "A fallen tree." in detail  # the raw message, readable


def test_it_releases_into_a_case(admin_client, quarantined):
    response = admin_client.post(LIST, {"action": "release", "_selected_action": [quarantined.pk]})
    assert response.status_code == 302
    quarantined.refresh_from_db()
    assert quarantined.status == "processed" and quarantined.case is not None


def test_it_discards(admin_client, quarantined):
    admin_client.post(LIST, {"action": "discard", "_selected_action": [quarantined.pk]})
    assert InboundMessage.objects.get(pk=quarantined.pk).status == "discarded"


def test_it_is_closed_to_staff(client, cast, quarantined):
    client.force_login(cast.dave)
    assert client.get(LIST).status_code in (302, 403)
