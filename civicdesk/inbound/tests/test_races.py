"""Two messages from one resident processed at the same moment by two workers (each its own
database connection): one conversation and one case, never two.

Needs PostgreSQL: on SQLite every transaction takes the database's write lock when it begins
(`transaction_mode` IMMEDIATE in settings), so two workers' processing cannot interleave there and
this race does not exist. The CI's PostgreSQL pass runs these.
"""

import json
import threading
from urllib.parse import urlencode

import pytest

from civicdesk.cases.models import Case, Channel
from civicdesk.inbound import actions, messaging
from civicdesk.inbound.models import Conversation, InboundMessage
from civicdesk.residents import consent
from civicdesk.residents.models import ContactPoint, Resident
from civicdesk.test import run_together, wait_for_a_lock_waiter

from .fake_twilio import FROM
from .messaging_helpers import whatsapp_body

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PHONE = "+16175550123"


def pause_first_worker_in(monkeypatch, module, name):
    """Patch `module.name` (called after the worker looked for an open conversation, before it
    makes one): the first worker to reach it holds its transaction there until PostgreSQL reports
    the other worker waiting on a lock. Without a lock the other goes right through, and makes its
    own conversation meanwhile."""
    inside, seen = threading.Event(), {}
    real = getattr(module, name)

    def paused(*args, **kwargs):
        if threading.current_thread().name == "actor-0" and not inside.is_set():
            inside.set()
            seen["waiting"] = wait_for_a_lock_waiter()
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, paused)
    return inside, seen


def process_both(first, second, inside):
    def later():
        assert inside.wait(10)
        return actions.process(second.pk)

    return run_together(lambda: actions.process(first.pk), later)


def stored(channel, key, raw):
    """A message as the webhook stored it, its processing task not run yet (both are queued)."""
    return InboundMessage.objects.create(channel=channel, key=key, raw=raw, size=len(raw))


def sms(sid, body):
    form = urlencode({"MessageSid": sid, "From": PHONE, "To": FROM, "Body": body}).encode()
    return stored(Channel.SMS, f"twilio:{sid}", form)


def test_two_first_texts_from_one_number_make_one_conversation(cast, fake_twilio, monkeypatch):
    first, second = sms("SM1", "The street light is dark"), sms("SM2", "on Elm Street")
    inside, seen = pause_first_worker_in(monkeypatch, consent, "sms_allowed")
    results = process_both(first, second, inside)
    assert all(isinstance(result, InboundMessage) for result in results), results
    assert seen["waiting"]  # the second worker queued behind the first
    conversation = Conversation.objects.get(channel=Channel.SMS, address=PHONE)
    assert set(conversation.messages.values_list("key", flat=True)) == {"twilio:SM1", "twilio:SM2"}
    # The second text answered the first's question (where is it?): one case from both.
    case = Case.objects.get()
    assert (case.description, case.address) == ("The street light is dark", "on Elm Street")
    assert conversation.case == case


def whatsapp(wamid, text):
    data = whatsapp_body(wamid=wamid, text=text)["entry"][0]["changes"][0]["value"]
    payload = {"message": data["messages"][0], "contact": data["contacts"][0]}
    return stored("whatsapp", wamid, json.dumps(payload).encode())


def test_two_whatsapp_messages_at_once_make_one_case(cast, monkeypatch):
    # A resident who wrote before (their number is in the directory) writes twice in quick succession.
    known = Resident.objects.create(display_name="Ana")
    ContactPoint.objects.create(resident=known, kind="whatsapp", value="+15551234567")
    first = whatsapp("wamid.R1", "A fallen tree blocks Elm Street")
    second = whatsapp("wamid.R2", "It fell on a parked car")
    inside, seen = pause_first_worker_in(monkeypatch, messaging, "suggest_service")
    results = process_both(first, second, inside)
    assert all(isinstance(result, InboundMessage) for result in results), results
    assert seen["waiting"]
    case = Case.objects.get()
    assert case.description == "A fallen tree blocks Elm Street"
    assert list(case.events.filter(kind="comment").values_list("message", flat=True)) == [
        "It fell on a parked car"
    ]
    assert Conversation.objects.get(channel="whatsapp").case == case
