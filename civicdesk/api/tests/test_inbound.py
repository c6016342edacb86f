"""/inbound/case-updates: a work-order system reports progress through the actions."""

import pytest
from django.db import connection

from civicdesk.api.inbound import linked_to
from civicdesk.cases import actions
from civicdesk.cases.models import Case

from .conftest import error_of

URL = "/inbound/case-updates"


def with_external_id(case, **ids):
    for system, external_id in ids.items():
        actions.link_external(case, None, system, external_id)


def test_it_applies_status_note_and_reply_as_the_token_user(api, cast, pothole_case):
    response = api("bob").post(
        URL,
        {
            "case": pothole_case.number,
            "status": "in_progress",
            "note": "Crew 4 assigned",
            "reply": "Crew is coming",
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["applied"] == ["status", "reply", "note"]
    case = Case.objects.get(pk=pothole_case.pk)
    assert case.status == "in_progress" and body["case"]["version"] == case.version
    assert response["ETag"] == f'"v{case.version}"'
    assert {e.kind for e in case.events.filter(actor=cast.bob)} == {"status", "reply", "note"}


def test_it_finds_a_case_by_its_id_in_another_system(api, pothole_case):
    with_external_id(pothole_case, maximo="WO-77")
    response = api("bob").post(URL, {"external": {"system": "maximo", "id": "WO-77"}, "status": "resolved"})
    assert response.status_code == 200
    assert Case.objects.get(pk=pothole_case.pk).status == "resolved"
    missing = api("bob").post(URL, {"external": {"system": "maximo", "id": "WO-78"}, "status": "resolved"})
    assert missing.status_code == 404


def test_it_keeps_nothing_when_one_part_is_refused(api, pothole_case):
    api("bob").post(URL, {"case": pothole_case.number, "status": "resolved"})
    response = api("bob").post(
        URL, {"case": pothole_case.number, "status": "in_progress", "note": "more work"}
    )
    assert response.status_code == 422
    assert "cannot become" in error_of(response)["fields"]["status"][0]
    assert not pothole_case.events.filter(kind="note").exists()


def test_it_is_idempotent_with_a_key(api, pothole_case):
    bob = api("bob")
    body = {"case": pothole_case.number, "note": "Crew 4 assigned"}
    first = bob.post(URL, body, **{"Idempotency-Key": "wo-77-1"})
    again = bob.post(URL, body, **{"Idempotency-Key": "wo-77-1"})
    assert first.status_code == again.status_code == 200 and first.json() == again.json()
    assert pothole_case.events.filter(kind="note").count() == 1


def test_it_links_the_case_to_the_work_order_and_finds_it_by_that_id_later(api, cast, pothole_case):
    bob = api("bob")
    linked = bob.post(URL, {"case": pothole_case.number, "external_id": {"maximo": "WO-1"}})
    assert linked.status_code == 200 and linked.json()["applied"] == ["external_id"]
    case = Case.objects.get(pk=pothole_case.pk)
    assert case.external_ids == {"maximo": "WO-1"}
    assert case.events.get(kind="linked").changes == {"external_ids.maximo": [None, "WO-1"]}
    later = bob.post(URL, {"external": {"system": "maximo", "id": "WO-1"}, "status": "in_progress"})
    assert later.status_code == 200 and Case.objects.get(pk=pothole_case.pk).status == "in_progress"
    # The same link again is not a change: no second event.
    bob.post(URL, {"case": pothole_case.number, "external_id": {"maximo": "WO-1"}})
    assert case.events.filter(kind="linked").count() == 1


def test_it_needs_a_case_and_something_to_do(api, pothole_case):
    response = api("bob").post(URL, {"status": "resolved"})
    assert response.status_code == 422 and "case" in error_of(response)["fields"]
    response = api("bob").post(URL, {"case": pothole_case.number})
    assert response.status_code == 422 and "status" in error_of(response)["fields"]


def test_it_refuses_read_tokens_sessions_residents_and_other_departments(
    api, client, cast, pothole_case, tree_case
):
    body = {"case": pothole_case.number, "status": "resolved"}
    assert api("bob", "read").post(URL, body).status_code == 403
    assert api("alice").post(URL, body).status_code == 403
    assert api("carol").post(URL, body).status_code == 404
    client.force_login(cast.bob)
    assert client.post(f"/api/v1{URL}", body, content_type="application/json").status_code == 401
    assert Case.objects.get(pk=pothole_case.pk).status == "new"


@pytest.mark.parametrize(
    ("system", "external_id"),
    [
        ("isnull", "false"),
        ("isnull", "true"),
        ("contains", "WO"),
        ("regex", ".*"),
        ("has_key", "maximo"),
        ("has_any_keys", "maximo"),
        ("iexact", "wo-77"),
        ("startswith", "WO"),
        ("gt", "A"),
    ],
)
def test_it_reads_a_system_name_as_a_key_never_as_a_lookup(api, pothole_case, system, external_id):
    with_external_id(pothole_case, maximo="WO-77")
    body = {"external": {"system": system, "id": external_id}, "status": "resolved"}
    response = api("bob").post(URL, body)
    assert response.status_code == 404, response.content
    assert Case.objects.get(pk=pothole_case.pk).status == "new"


def test_it_finds_a_case_by_a_system_named_like_a_lookup_or_made_of_digits(api, pothole_case, tree_case):
    with_external_id(pothole_case, **{"contains": "A-1", "311": "B-2", "city.maximo": "C-3"})
    with_external_id(tree_case, **{"311": "B-3"})
    bob = api("bob")
    for system, external_id in (("contains", "A-1"), ("311", "B-2"), ("city.maximo", "C-3")):
        response = bob.post(URL, {"external": {"system": system, "id": external_id}, "note": system})
        assert response.status_code == 200, (system, response.content)
        assert response.json()["case"]["number"] == pothole_case.number
    assert bob.post(URL, {"external": {"system": "311", "id": "B-3"}, "note": "x"}).status_code == 404
    assert sorted(pothole_case.events.filter(kind="note").values_list("message", flat=True)) == [
        "311",
        "city.maximo",
        "contains",
    ]


def test_a_look_up_by_external_id_uses_the_index_on_postgresql(pothole_case):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL-only: checks the query plan")
    with_external_id(pothole_case, maximo="WO-77")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = linked_to(Case.objects.all(), "maximo", "WO-77").explain()
    assert "case_external_ids_idx" in plan
    assert list(linked_to(Case.objects.all(), "maximo", "WO-77")) == [pothole_case]
