"""mySociety's servicerequestupdates: public status changes in a window, oldest first."""

from datetime import timedelta
from urllib.parse import quote

from django.utils import timezone

from civicdesk.cases import actions
from civicdesk.cases.models import Status

from .helpers import W3C, error_lines, make_case, xml

URL = "/open311/v2/servicerequestupdates"


def test_it_lists_public_status_changes(client, cast):
    case = make_case(cast)
    before = timezone.now()
    actions.acknowledge(case, cast.bob)
    actions.add_note(case, cast.bob, "Not for the public")
    actions.change_status(case, cast.bob, Status.IN_PROGRESS)
    actions.change_status(case, cast.bob, Status.RESOLVED, reason="Hole filled")
    body = client.get(f"{URL}.json?start_date={quote(before.isoformat())}").json()
    assert [(u["service_request_id"], u["status"]) for u in body] == [
        (case.number, "OPEN"),
        (case.number, "IN_PROGRESS"),
        (case.number, "FIXED"),
    ]
    assert body[-1]["description"] == "Hole filled"
    assert all(W3C.match(u["updated_datetime"]) and u["update_id"].isdigit() for u in body)
    assert "Not for the public" not in str(body)
    root = xml(client.get(f"{URL}.xml"))
    assert root.tag == "service_request_updates"
    assert [u.tag for u in root] == ["request_update"] * 3
    assert {c.tag for c in root[0]} == {
        "update_id",
        "service_request_id",
        "status",
        "updated_datetime",
        "description",
        "media_url",
    }


def test_it_keeps_to_the_window_and_checks_dates(client, cast):
    case = make_case(cast)
    actions.change_status(case, cast.bob, Status.IN_PROGRESS)
    later = quote((timezone.now() + timedelta(minutes=1)).isoformat())
    assert client.get(f"{URL}.json?start_date={later}").json() == []
    response = client.get(f"{URL}.json?start_date=2026-01-01T00:00:00")
    assert response.status_code == 400 and "start_date: give a time zone" in error_lines(response)[0]
