"""Raw messages are cleared after their retention period; the rows stay, quarantine is kept whole."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from civicdesk.inbound.models import InboundMessage
from civicdesk.test import PASSWORD

Status = InboundMessage.Status
RAW = b"From: ana@example.org\r\nSubject: Fallen tree\r\n\r\nA fallen tree.\r\n"
# (status, days since it was processed or discarded, purged?) with retention 30 (discarded) / 90.
CASES = [
    (Status.DISCARDED, 31, True),
    (Status.DISCARDED, 29, False),
    (Status.PROCESSED, 91, True),
    (Status.PROCESSED, 89, False),
    (Status.IGNORED_AUTOMATED, 91, True),
    (Status.QUARANTINED, 400, False),  # never automatically: someone has to look at it
    (Status.RECEIVED, 400, False),
]


@pytest.fixture
def messages(db):
    now = timezone.now()
    return [
        InboundMessage.objects.create(
            channel="email",
            key=f"<m{n}@example.org>",
            raw=RAW,
            size=len(RAW),
            sender="ana@example.org",
            subject="Fallen tree",
            status=status,
            reason="why",
            processed_at=None if status == Status.RECEIVED else now - timedelta(days=days),
            received_at=now - timedelta(days=days),
        )
        for n, (status, days, _purged) in enumerate(CASES)
    ]


@override_settings(INBOUND_DISCARDED_RETENTION_DAYS=30, INBOUND_RAW_RETENTION_DAYS=90)
def test_it_purges_raw_bytes_past_retention_and_keeps_the_record(messages, capsys):
    call_command("purge_inbound")
    assert "of 3 inbound messages" in capsys.readouterr().out
    for message, (status, days, purged) in zip(messages, CASES, strict=True):
        message.refresh_from_db()
        assert (bytes(message.raw) == b"") is purged, (status, days)
        assert (message.raw_purged_at is not None) is purged
        assert (message.status, message.sender, message.subject, message.reason) == (
            status,
            "ana@example.org",
            "Fallen tree",
            "why",
        )
        assert message.size == len(RAW)
    call_command("purge_inbound")
    assert "of 0 inbound messages" in capsys.readouterr().out


def test_it_shows_a_purged_message_in_the_admin_and_does_not_release_it(client, cast, messages):
    call_command("purge_inbound")
    ignored = messages[4]
    assert client.login(email="root@demo.test", password=PASSWORD)
    page = client.get(f"/admin/inbound/inboundmessage/{ignored.pk}/change/").content.decode()
    assert "Purged after its retention period" in page
    client.post("/admin/inbound/inboundmessage/", {"action": "release", "_selected_action": [ignored.pk]})
    ignored.refresh_from_db()
    assert ignored.status == Status.IGNORED_AUTOMATED and ignored.case is None
