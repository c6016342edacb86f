"""/cases: what each role sees and may change, ETags, contact details, timelines, photos, paging."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from civicdesk.cases import actions
from civicdesk.cases.models import Case, CaseEvent, EventKind

from .conftest import error_of

CONTACT_WORDS = ("alice@demo.test", "555-0100", "Alice Resident")


def numbers(response):
    assert response.status_code == 200, response.content
    return [c["number"] for c in response.json()["items"]]


def photo(name="p.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


# ---------------------------------------------------------------- who sees what


@pytest.mark.parametrize(
    ("person", "sees_pothole", "sees_tree"),
    [
        ("bob", True, False),
        ("carol", False, True),
        ("dave", True, False),
        ("erin", True, True),
        ("root", True, True),
        ("alice", True, False),  # her own report only
    ],
)
def test_it_lists_and_reads_only_the_cases_each_role_may_see(
    api, pothole_case, tree_case, person, sees_pothole, sees_tree
):
    caller = api(person, "read")
    listed = numbers(caller.get("/cases"))
    assert (pothole_case.number in listed) == sees_pothole
    assert (tree_case.number in listed) == sees_tree
    for case, visible in ((pothole_case, sees_pothole), (tree_case, sees_tree)):
        response = caller.get(f"/cases/{case.number}")
        assert response.status_code == (200 if visible else 404)
        if not visible:  # exactly as if it did not exist
            assert error_of(response)["code"] == "not_found"
        for path in ("timeline", "attachments"):
            assert caller.get(f"/cases/{case.number}/{path}").status_code == (200 if visible else 404)


def test_it_never_puts_contact_details_in_lists(api, pothole_case):
    for person in ("erin", "root", "dave", "bob", "alice"):
        text = api(person).get("/cases").content.decode()
        assert pothole_case.number in text
        assert not any(word in text for word in CONTACT_WORDS), person


def test_it_hides_staff_only_fields_from_residents(api, cast, pothole_case):
    actions.assign(pothole_case, cast.dave, assignee=cast.bob)
    mine = api("alice").get(f"/cases/{pothole_case.number}").json()
    assert mine["assignee"] is None and mine["tags"] is None and mine["external_ids"] is None
    staff = api("dave").get(f"/cases/{pothole_case.number}").json()
    assert staff["assignee"] == {"id": cast.bob.pk, "name": "Bob Worker"} and staff["tags"] == []


@pytest.mark.parametrize("person", ["dave", "erin", "root"])
def test_it_adds_contact_details_on_request_for_allowed_roles_and_audits_it(api, pothole_case, person):
    response = api(person, "read").get(f"/cases/{pothole_case.number}", {"include": "contact"})
    assert response.status_code == 200
    assert response.json()["contact"] == {
        "name": "Alice Resident",
        "email": "alice@demo.test",
        "phone": "555-0100",
    }
    (event,) = CaseEvent.objects.filter(case=pothole_case, kind=EventKind.CONTACT_VIEWED)
    assert event.actor.email.startswith(person) and not event.public


@pytest.mark.parametrize("person", ["bob", "alice"])
def test_it_refuses_contact_details_to_other_roles(api, pothole_case, person):
    response = api(person).get(f"/cases/{pothole_case.number}", {"include": "contact"})
    assert response.status_code == 403
    assert not any(word in response.content.decode() for word in CONTACT_WORDS)
    assert not CaseEvent.objects.filter(kind=EventKind.CONTACT_VIEWED).exists()
    assert api(person).get(f"/cases/{pothole_case.number}").json()["contact"] is None


def test_it_shows_internal_notes_to_staff_only(api, cast, pothole_case):
    actions.add_note(pothole_case, cast.bob, "Crew says: big one")
    actions.reply(pothole_case, cast.bob, "We are on it")
    staff = api("bob").get(f"/cases/{pothole_case.number}/timeline").json()
    assert {"note", "reply", "routed"} <= {e["kind"] for e in staff}
    assert any(e["actor"] == "Bob Worker" for e in staff)
    resident = api("alice").get(f"/cases/{pothole_case.number}/timeline").json()
    kinds = [e["kind"] for e in resident]
    assert "note" not in kinds and "routed" not in kinds and "reply" in kinds
    assert all(e["public"] and e["actor"] is None for e in resident)
    assert "big one" not in str(resident)


def test_it_lists_photos_with_their_addresses_and_hides_internal_ones_from_residents(
    api, client, cast, pothole_case
):
    public = actions.attach_file(pothole_case, cast.bob, photo(), public=True)
    internal = actions.attach_file(pothole_case, cast.bob, photo(), public=False)
    staff = api("bob").get(f"/cases/{pothole_case.number}/attachments").json()
    assert [p["id"] for p in staff] == [public.pk, internal.pk]
    assert staff[0]["url"].endswith(f"/photos/{public.pk}/full/")
    assert client.get(staff[0]["url"]).status_code == 200  # the portal's checking view serves it
    resident = api("alice").get(f"/cases/{pothole_case.number}/attachments").json()
    assert [p["id"] for p in resident] == [public.pk]


def test_it_lets_residents_read_but_never_change_their_own_case(api, pothole_case):
    alice = api("alice")
    assert alice.get(f"/cases/{pothole_case.number}").status_code == 200
    for path, body in (
        ("notes", {"message": "x"}),
        ("reply", {"message": "x"}),
        ("priority", {"priority": 1}),
    ):
        response = alice.post(f"/cases/{pothole_case.number}/{path}", body)
        assert response.status_code == 403, path
    assert alice.post("/cases", {"service": "pothole", "attributes": {"depth": "deep"}}).status_code == 403
    assert Case.objects.get(pk=pothole_case.pk).version == pothole_case.version


def test_it_refuses_full_text_search_to_residents(api, pothole_case):
    response = api("alice").get("/cases", {"q": "library"})
    assert response.status_code == 422 and "q" in error_of(response)["fields"]
    assert numbers(api("bob").get("/cases", {"q": "library"})) == [pothole_case.number]


# ---------------------------------------------------------------- filters and pages


def test_it_refuses_the_assignee_filter_to_residents(api, cast, pothole_case):
    """Residents are not shown who works their case, so they may not probe for it either."""
    actions.assign(pothole_case, cast.dave, assignee=cast.bob)
    for value in (str(cast.bob.pk), "unassigned", "me"):
        response = api("alice").get("/cases", {"assignee": value})
        assert response.status_code == 422 and "assignee" in error_of(response)["fields"]
    assert numbers(api("bob").get("/cases", {"assignee": str(cast.bob.pk)})) == [pothole_case.number]


def test_it_filters_with_the_queue_filters(api, cast, pothole_case, tree_case):
    erin = api("erin")
    actions.change_status(tree_case, cast.carol, "resolved")
    assert numbers(erin.get("/cases", {"status": "active"})) == [pothole_case.number]
    assert numbers(erin.get("/cases", {"status": "resolved"})) == [tree_case.number]
    assert numbers(erin.get("/cases", {"service": "tree"})) == [tree_case.number]
    assert numbers(erin.get("/cases", {"department": "public-works"})) == [pothole_case.number]
    assert numbers(erin.get("/cases", {"channel": "api"})) == []
    assert numbers(erin.get("/cases", {"assignee": "unassigned", "status": "active"})) == [
        pothole_case.number
    ]
    assert numbers(erin.get("/cases", {"overdue": "true"})) == []
    assert len(numbers(erin.get("/cases", {"created_from": "2000-01-01", "created_to": "9000-01-01"}))) == 2
    assert numbers(erin.get("/cases", {"created_to": "2000-01-01"})) == []


def test_it_pages_with_cursors_both_ways(api, cast):
    created = [
        actions.submit_case(service=cast.tree, description=f"tree {i}", reporter_email="a@b.org").number
        for i in range(5)
    ]
    newest_first = list(reversed(created))
    erin = api("erin")
    first = erin.get("/cases", {"limit": 2}).json()
    assert [c["number"] for c in first["items"]] == newest_first[:2] and first["previous"] is None
    second = erin.get("/cases", {"limit": 2, "after": first["next"]}).json()
    assert [c["number"] for c in second["items"]] == newest_first[2:4]
    back = erin.get("/cases", {"limit": 2, "before": second["previous"]}).json()
    assert [c["number"] for c in back["items"]] == newest_first[:2]
    last = erin.get("/cases", {"limit": 2, "after": second["next"]}).json()
    assert [c["number"] for c in last["items"]] == newest_first[4:] and last["next"] is None
    oldest = erin.get("/cases", {"limit": 2, "sort": "oldest"}).json()
    assert [c["number"] for c in oldest["items"]] == created[:2]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"status": "sleeping"}, "status"),
        ({"assignee": "someone"}, "assignee"),
        ({"created_from": "yesterday"}, "created_from"),
        ({"sort": "random"}, "sort"),
    ],
)
def test_it_refuses_bad_filters_with_the_field_named(api, pothole_case, params, field):
    response = api("bob").get("/cases", params)
    assert response.status_code == 422
    assert field in error_of(response)["fields"]


def test_it_refuses_a_mangled_cursor(api, pothole_case):
    response = api("bob").get("/cases", {"after": "not-a-cursor"})
    assert response.status_code == 400 and error_of(response)["code"] == "invalid_cursor"


def test_it_lists_my_reported_cases(api, cast, pothole_case, tree_case):
    assert numbers(api("alice").get("/me/cases")) == [pothole_case.number]
    assert numbers(api("erin").get("/me/cases")) == []


# ---------------------------------------------------------------- ETag and If-Match


def test_it_sends_an_etag_and_answers_304_when_it_is_current(api, pothole_case):
    bob = api("bob")
    response = bob.get(f"/cases/{pothole_case.number}")
    assert response["ETag"] == '"v1"' and response.json()["version"] == 1
    cached = bob.get(f"/cases/{pothole_case.number}", **{"If-None-Match": '"v1"'})
    assert cached.status_code == 304 and cached.content == b""
    assert bob.get(f"/cases/{pothole_case.number}", **{"If-None-Match": '"v0"'}).status_code == 200


@pytest.mark.parametrize("header", ["*", '"v0", "v1"', 'W/"v1"', ' "v7" ,W/"v1", "x" '])
def test_it_answers_304_to_any_if_none_match_naming_the_current_etag(api, pothole_case, header):
    response = api("bob").get(f"/cases/{pothole_case.number}", **{"If-None-Match": header})
    assert response.status_code == 304 and response["ETag"] == '"v1"'


@pytest.mark.parametrize("header", ['"v0", W/"v2"', "v1", 'W/"v11"', ""])
def test_it_answers_the_case_to_an_if_none_match_not_naming_the_current_etag(api, pothole_case, header):
    response = api("bob").get(f"/cases/{pothole_case.number}", **{"If-None-Match": header})
    assert response.status_code == 200 and response.json()["number"] == pothole_case.number


def test_it_applies_a_change_with_a_current_if_match_and_returns_the_new_etag(api, pothole_case):
    response = api("bob").post(
        f"/cases/{pothole_case.number}/priority", {"priority": 1}, **{"If-Match": '"v1"'}
    )
    assert response.status_code == 200
    assert response["ETag"] == '"v2"' and response.json()["priority"] == 1


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("priority", {"priority": 1}),
        ("status", {"status": "in_progress"}),
        ("reply", {"message": "Hello"}),
        ("notes", {"message": "Hello"}),
        ("assign", {"assignee": None, "department": "parks"}),
    ],
)
def test_it_refuses_a_stale_if_match_with_412_and_changes_nothing(api, cast, pothole_case, path, body):
    actions.acknowledge(pothole_case, cast.bob)  # version 2 now
    events = pothole_case.events.count()
    response = api("dave").post(f"/cases/{pothole_case.number}/{path}", body, **{"If-Match": '"v1"'})
    assert response.status_code == 412
    assert error_of(response)["code"] == "precondition_failed" and response["ETag"] == '"v2"'
    fresh = Case.objects.get(pk=pothole_case.pk)
    assert (fresh.version, fresh.priority, fresh.status, fresh.department) == (
        2,
        3,
        "open",
        cast.public_works,
    )
    assert pothole_case.events.count() == events


def test_it_refuses_an_if_match_that_is_not_one_of_its_etags(api, pothole_case):
    response = api("bob").post(f"/cases/{pothole_case.number}/notes", {"message": "x"}, **{"If-Match": "v1"})
    assert response.status_code == 412
    assert not pothole_case.events.filter(kind="note").exists()


# ---------------------------------------------------------------- changes


def test_it_creates_a_case_on_the_api_channel_for_agents(api, cast):
    response = api("erin").post(
        "/cases",
        {
            "service": "pothole",
            "description": "Big hole",
            "attributes": {"depth": "shallow", "width_cm": "40"},
            "reporter_email": "caller@example.org",
            "reporter_name": "Carl Caller",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    case = Case.objects.get(number=body["number"])
    assert case.channel == "api" and case.reporter_email == "caller@example.org"
    assert case.attributes == {"depth": "shallow", "width_cm": 40}
    assert response["Location"].endswith(f"/api/v1/cases/{case.number}") and response["ETag"] == '"v1"'
    assert "caller@example.org" not in response.content.decode()
    assert case.events.get(kind="submitted").actor == cast.erin


def test_it_lets_only_roles_that_may_change_priorities_set_one_on_a_new_case(api):
    body = {"service": "pothole", "attributes": {"depth": "deep"}, "priority": 1}
    refused = api("erin").post("/cases", body)  # agents create cases but may not change priorities
    assert refused.status_code == 403 and "priority" in error_of(refused)["message"]
    assert not Case.objects.exists()
    created = api("dave").post("/cases", body)
    assert created.status_code == 201 and created.json()["priority"] == 1
    assert Case.objects.get().priority == 1


def test_it_answers_only_number_and_version_of_a_new_case_routed_out_of_the_tokens_sight(api, cast):
    parks_only = api("erin", departments=[cast.parks])
    body = {"service": "pothole", "description": "Hole by the school", "attributes": {"depth": "deep"}}
    response = parks_only.post("/cases", body)
    assert response.status_code == 201, response.content
    case = Case.objects.get()
    assert case.department == cast.public_works
    assert response.json() == {"number": case.number, "version": case.version}
    assert response["Location"].endswith(f"/api/v1/cases/{case.number}")
    assert parks_only.get(f"/cases/{case.number}").status_code == 404


def test_it_answers_only_number_and_version_after_a_transfer_out_of_the_tokens_sight(api, cast, pothole_case):
    works_only = api("erin", departments=[cast.public_works])
    response = works_only.post(f"/cases/{pothole_case.number}/assign", {"department": "parks"})
    assert response.status_code == 200, response.content
    case = Case.objects.get(pk=pothole_case.pk)
    assert case.department == cast.parks
    assert response.json() == {"number": case.number, "version": case.version}
    assert works_only.get(f"/cases/{case.number}").status_code == 404


def test_it_reports_every_problem_of_a_new_case_at_once(api):
    response = api("erin").post("/cases", {"service": "pothole", "attributes": {"colour": "red"}})
    assert response.status_code == 422
    fields = error_of(response)["fields"]
    assert "attribute[depth]" in fields and "attribute[colour]" in fields
    assert not Case.objects.exists()


def test_it_refuses_case_creation_to_department_staff(api):
    response = api("bob").post("/cases", {"service": "tree"})
    assert response.status_code == 403 and not Case.objects.exists()


def test_it_assigns_transfers_and_follows_the_role_rules(api, cast, pothole_case):
    number = pothole_case.number
    assert api("bob").post(f"/cases/{number}/assign", {"assignee": cast.bob.pk}).json()["assignee"]["id"] == (
        cast.bob.pk
    )
    refused = api("bob").post(f"/cases/{number}/assign", {"department": "parks"})  # staff may not transfer
    assert refused.status_code == 403
    moved = api("root").post(f"/cases/{number}/assign", {"department": "parks"})
    assert (
        moved.status_code == 200
        and moved.json()["department"] == "parks"
        and moved.json()["assignee"] is None
    )
    assert api("bob").get(f"/cases/{number}").status_code == 404  # no longer his department
    # dave supervises Public Works only: after sending a case away he gets its number and version.
    back = api("root").post(f"/cases/{number}/assign", {"department": "public-works"}).json()
    gone = api("dave").post(f"/cases/{number}/assign", {"department": "parks"})
    assert gone.status_code == 200 and gone.json() == {"number": number, "version": back["version"] + 1}
    assert api("dave").get(f"/cases/{number}").status_code == 404


def test_it_keeps_the_person_unless_told_to_clear_them(api, cast, pothole_case):
    url = f"/cases/{pothole_case.number}/assign"
    assert api("dave").post(url, {"assignee": cast.bob.pk}).status_code == 200
    # Its own department is no transfer; no department (absent or null) leaves it where it is.
    for unchanged in ({"department": "public-works"}, {"department": None}, {}):
        kept = api("dave").post(url, unchanged)
        assert kept.status_code == 200 and kept.json()["assignee"]["id"] == cast.bob.pk
    cleared = api("dave").post(url, {"assignee": None})
    assert cleared.status_code == 200 and cleared.json()["assignee"] is None
    assert CaseEvent.objects.filter(case=pothole_case, kind=EventKind.ASSIGNED).count() == 2


def test_it_refuses_an_assignee_who_is_not_staff(api, cast, pothole_case):
    response = api("dave").post(f"/cases/{pothole_case.number}/assign", {"assignee": cast.alice.pk})
    assert response.status_code == 422 and "assignee" in error_of(response)["fields"]


def test_it_changes_status_through_the_status_machine(api, pothole_case):
    bob = api("bob")
    refused = bob.post(f"/cases/{pothole_case.number}/status", {"status": "rejected"})
    assert refused.status_code == 422 and "reason" in error_of(refused)["fields"]
    done = bob.post(f"/cases/{pothole_case.number}/status", {"status": "resolved", "message": "Filled"})
    assert done.status_code == 200 and done.json()["status"] == "resolved"
    bad = bob.post(f"/cases/{pothole_case.number}/status", {"status": "in_progress"})
    assert bad.status_code == 422
    assert "cannot become" in error_of(bad)["fields"]["status"][0]


def test_it_merges_into_a_visible_case_only(api, cast, pothole_case, tree_case):
    other = actions.submit_case(service=cast.pothole, answers={"depth": "deep"}, reporter_email="o@x.org")
    bob = api("bob")
    hidden = bob.post(f"/cases/{other.number}/merge", {"target": tree_case.number})
    assert hidden.status_code == 422 and "target" in error_of(hidden)["fields"]
    merged = bob.post(f"/cases/{other.number}/merge", {"target": pothole_case.number})
    assert merged.status_code == 200
    assert merged.json()["status"] == "duplicate" and merged.json()["duplicate_of"] == pothole_case.number


def test_it_writes_replies_and_notes_as_the_token_user(api, cast, pothole_case):
    api("bob").post(f"/cases/{pothole_case.number}/reply", {"message": "On our way"})
    api("bob").post(f"/cases/{pothole_case.number}/notes", {"message": "Bring cones"})
    reply = pothole_case.events.get(kind="reply")
    note = pothole_case.events.get(kind="note")
    assert reply.actor == note.actor == cast.bob and reply.public and not note.public


def test_it_answers_404_for_changes_to_cases_the_caller_may_not_see(api, tree_case):
    response = api("bob").post(f"/cases/{tree_case.number}/notes", {"message": "x"})
    assert response.status_code == 404 and not tree_case.events.filter(kind="note").exists()
