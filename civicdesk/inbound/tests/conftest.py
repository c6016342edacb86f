import pytest
from django.test import override_settings

from civicdesk.cases import actions as case_actions
from civicdesk.cases.models import Channel
from civicdesk.inbound.models import Conversation
from civicdesk.notify.models import OutboxMessage

RESIDENT = "resident@example.org"
# Our mail server's authserv-id, and the header it adds for a sender it authenticated (decision 52).
AUTHSERV_ID = "mx.city.test"
AUTHENTICATED = (
    b"Authentication-Results: mx.city.test; dkim=pass header.d=example.org;\r\n"
    b" dmarc=pass header.from=example.org\r\n"
)


@pytest.fixture(autouse=True)
def _domains():
    with override_settings(
        INBOUND_EMAIL_DOMAINS=["city.test"], INBOUND_WEBHOOK_SECRET="s3cret", INBOUND_AUTHSERV_ID=AUTHSERV_ID
    ):
        yield


@pytest.fixture
def emailed_case(cast):
    """A case that came by e-mail from RESIDENT, its conversation's token "corpustoken" and its
    acknowledgement's Message-ID <ack@city.test>."""
    case = case_actions.submit_case(
        service=cast.tree, description="A fallen tree", channel=Channel.EMAIL, reporter_email=RESIDENT
    )
    Conversation.objects.create(channel=Channel.EMAIL, address=RESIDENT, case=case, token="corpustoken")
    OutboxMessage.objects.filter(case=case, kind="acknowledgement").update(message_id="<ack@city.test>")
    return case


@pytest.fixture
def fake_twilio():
    """A local Twilio API, and the settings that point CivicDesk at it (decision 48)."""
    from .fake_twilio import ACCOUNT, FROM, PUBLIC, TOKEN, FakeTwilio

    fake = FakeTwilio()
    fake.start()
    with override_settings(
        TWILIO_ACCOUNT_SID=ACCOUNT,
        TWILIO_AUTH_TOKEN=TOKEN,
        TWILIO_FROM=FROM,
        TWILIO_API_BASE=fake.base,
        TWILIO_WEBHOOK_BASE=PUBLIC,
        VOICE_AGENT_NUMBER="+16175550199",
    ):
        yield fake
    fake.stop()


@pytest.fixture
def dovecot():
    """A real IMAP server (Debian's dovecot), started for the test."""
    from conftest import free_port, require_component

    from . import dovecot as dovecot_server

    if not dovecot_server.available():
        require_component(f"dovecot at {dovecot_server.BINARY} (apt-get install dovecot-imapd)")
    server = dovecot_server.Dovecot(free_port())
    server.start()
    yield server
    server.cleanup()
