"""Idempotency-Key: a retry gets the first answer and creates nothing; keys are per caller, 24 h."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from civicdesk.api.models import IdempotencyRecord
from civicdesk.cases.models import Case

from .conftest import Api, error_of, make_token

NEW_CASE = {"service": "tree", "description": "Branch on the path", "reporter_email": "r@example.org"}


def test_it_replays_the_first_answer_to_a_retried_create_and_creates_nothing(api):
    erin = api("erin")
    first = erin.post("/cases", NEW_CASE, **{"Idempotency-Key": "k-1"})
    again = erin.post("/cases", NEW_CASE, **{"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Location"] == first["Location"] and again["ETag"] == first["ETag"]
    assert again["Idempotent-Replayed"] == "true"
    assert Case.objects.count() == 1


def test_it_treats_the_same_json_in_another_layout_as_the_same_request(api):
    erin = api("erin")
    erin.post("/cases", NEW_CASE, **{"Idempotency-Key": "k-2"})
    relaid = '{"reporter_email": "r@example.org", "description": "Branch on the path",   "service": "tree"}'
    assert erin.post("/cases", relaid, **{"Idempotency-Key": "k-2"}).status_code == 201
    assert Case.objects.count() == 1


def test_it_refuses_the_same_key_with_a_different_body(api):
    erin = api("erin")
    erin.post("/cases", NEW_CASE, **{"Idempotency-Key": "k-3"})
    response = erin.post("/cases", {**NEW_CASE, "description": "Other"}, **{"Idempotency-Key": "k-3"})
    assert response.status_code == 422 and error_of(response)["code"] == "idempotency_key_reused"
    assert Case.objects.count() == 1


def test_it_scopes_keys_per_caller(api, cast):
    api("erin").post("/cases", NEW_CASE, **{"Idempotency-Key": "shared"})
    assert api("root").post("/cases", NEW_CASE, **{"Idempotency-Key": "shared"}).status_code == 201
    assert Case.objects.count() == 2


def test_it_does_not_keep_a_refused_request_so_it_can_be_retried(api, pothole_case):
    erin = api("erin")
    stale = erin.post(
        f"/cases/{pothole_case.number}/notes",
        {"message": "x"},
        **{"Idempotency-Key": "n-1", "If-Match": '"v9"'},
    )
    assert stale.status_code == 412 and not IdempotencyRecord.objects.exists()
    fixed = erin.post(
        f"/cases/{pothole_case.number}/notes",
        {"message": "x"},
        **{"Idempotency-Key": "n-1", "If-Match": '"v1"'},
    )
    assert fixed.status_code == 200
    replay = erin.post(
        f"/cases/{pothole_case.number}/notes",
        {"message": "x"},
        **{"Idempotency-Key": "n-1", "If-Match": '"v1"'},
    )
    assert replay.status_code == 200 and replay["ETag"] == fixed["ETag"] == '"v2"'
    assert pothole_case.events.filter(kind="note").count() == 1


def test_it_forgets_keys_after_24_hours(api):
    erin = api("erin")
    erin.post("/cases", NEW_CASE, **{"Idempotency-Key": "old"})
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        assert erin.post("/cases", NEW_CASE, **{"Idempotency-Key": "old"}).status_code == 201
        assert Case.objects.count() == 2
        erin.post("/cases", NEW_CASE, **{"Idempotency-Key": "new"})
    with time_machine.travel(timezone.now() + timedelta(hours=50)):
        call_command("purge_idempotency_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert not IdempotencyRecord.objects.exists()


def test_it_refuses_a_key_that_is_not_printable_ascii(api):
    response = api("erin").post("/cases", NEW_CASE, **{"Idempotency-Key": "x" * 300})
    assert response.status_code == 400 and error_of(response)["code"] == "invalid_idempotency_key"
    assert not Case.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_creates_once_when_the_same_key_arrives_twice_at_the_same_moment():
    from civicdesk.test import make_cast

    cast = make_cast()
    raw = make_token(cast.erin)
    barrier, answers = threading.Barrier(2), [None, None]

    def post(index):
        try:
            barrier.wait(timeout=10)
            answers[index] = Api(Client(), raw).post("/cases", NEW_CASE, **{"Idempotency-Key": "race"})
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].json() == answers[1].json()
    assert sorted(a.has_header("Idempotent-Replayed") for a in answers) == [False, True]
    assert Case.objects.count() == 1
