"""Two messages from a new contact resolved at once, and a merge running while a contact point is
added: each side in its own thread, so its own database connection.

Needs PostgreSQL: on SQLite every transaction takes the database's write lock when it begins
(`transaction_mode` IMMEDIATE in settings), so these cannot interleave there. The interleaving that
can happen on SQLite too (a merge between the lookup and the write) is in test_directory.py.
"""

import threading

import pytest

from civicdesk.residents import actions, directory
from civicdesk.residents.models import ContactPoint, Resident
from civicdesk.test import run_together, wait_for_a_lock_waiter

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def pause_first_in(monkeypatch, target, name):
    """The first thread to call `target.name` waits once the call is done, its transaction open,
    until PostgreSQL reports the other thread waiting on a lock (or gives up: nothing made it wait)."""
    inside, seen = threading.Event(), {}
    real = getattr(target, name)

    def paused(*args, **kwargs):
        result = real(*args, **kwargs)
        if threading.current_thread().name == "actor-0" and not inside.is_set():
            inside.set()
            seen["waiting"] = wait_for_a_lock_waiter()
        return result

    monkeypatch.setattr(target, name, paused)
    return inside, seen


def after(inside, call):
    def run():
        assert inside.wait(10)
        return call()

    return run


def test_two_lookups_of_a_new_contact_at_once_make_one_resident(db, monkeypatch):
    inside, seen = pause_first_in(monkeypatch, ContactPoint.objects, "bulk_create")

    def look_up():
        return directory.resident_for(phone="617-555-0100", source="sms")

    first, second = run_together(look_up, after(inside, look_up))
    assert isinstance(first, Resident) and first == second
    assert seen["waiting"]  # the second insert waited on the unique contact point, then found ours
    assert Resident.objects.count() == 1
    assert ContactPoint.objects.get().resident == first


def test_a_merge_waits_for_a_contact_point_being_added_and_takes_it_along(cast, monkeypatch):
    source = directory.resident_for(email="rita@example.org")
    target = directory.resident_for(email="rita.m@example.org")
    inside, seen = pause_first_in(monkeypatch, ContactPoint.objects, "bulk_create")

    def link():
        return directory.resident_for(email="rita@example.org", phone="617-555-0100")

    results = run_together(link, after(inside, lambda: actions.merge(cast.erin, source, target)))
    assert results[0] == source, results
    assert seen["waiting"]  # the merge queued behind the lookup's lock on the resident
    source.refresh_from_db()
    assert source.merged_into == target
    assert ContactPoint.objects.get(value="+16175550100").resident == target
    assert not source.contact_points.exists()
