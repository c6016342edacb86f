"""GET requests.{fmt} and requests/{id}.{fmt}: fields, filters, paging, extensions, public data only."""

import json
from datetime import timedelta
from urllib.parse import quote

from django.utils import timezone

from civicdesk.areas.actions import import_file
from civicdesk.cases import actions
from civicdesk.cases.models import Case, Status

from .helpers import W3C, error_lines, make_case, png, xml

URL = "/open311/v2/requests.json"


def ids(response):
    assert response.status_code == 200, response.content
    return [r["service_request_id"] for r in response.json()]


def test_it_lists_requests_valid_per_the_schema(client, cast, schemas):
    case = make_case(cast)
    body = schemas("requests.json", client.get(URL).json())
    (item,) = body
    assert item["service_request_id"] == case.number
    assert item["status"] == "open"
    assert item["service_code"] == "pothole" and item["service_name"] == "Pothole"
    assert item["agency_responsible"] == "Public Works"
    assert item["description"] == "Hole on Elm St"
    assert item["address"] == "12 Elm St" and item["lat"] == 42.36 and item["long"] == -71.06
    assert item["media_url"] is None and item["zipcode"] is None
    for name in ("requested_datetime", "updated_datetime"):
        assert W3C.match(item[name]), item[name]
    assert "extended_attributes" not in item and "notes" not in item


def test_it_gives_expected_datetime_and_status_notes(client, cast, sla, schemas):
    case = make_case(cast)
    (open_item,) = client.get(URL).json()
    assert (
        open_item["expected_datetime"]
        == timezone.localtime(case.expected_at).replace(microsecond=0).isoformat()
    )
    assert open_item["service_notice"].startswith("We aim to deal with this by ")
    actions.change_status(case, None, Status.RESOLVED, reason="Filled with asphalt")
    (item,) = schemas("requests.json", client.get(f"/open311/v2/requests/{case.number}.json").json())
    assert item["status"] == "closed"
    assert item["status_notes"] == "Filled with asphalt"
    assert W3C.match(item["expected_datetime"])
    assert item["service_notice"] is None  # nothing more to expect of a closed case


def test_it_lists_newest_first_within_the_last_90_days_by_default(client, cast):
    now = timezone.now()
    old = make_case(cast, created_at=now - timedelta(days=91))
    older_recent = make_case(cast, created_at=now - timedelta(days=10))
    newest = make_case(cast, created_at=now - timedelta(days=1))
    same_time = make_case(cast, created_at=now - timedelta(days=1))
    listed = ids(client.get(URL))
    assert listed == [same_time.number, newest.number, older_recent.number]
    assert old.number not in listed


def test_it_filters_by_dates_with_a_zone_and_refuses_dates_without(client, cast):
    now = timezone.now()
    january = make_case(cast, created_at=now - timedelta(days=200))
    make_case(cast, created_at=now - timedelta(days=20))
    start = quote((now - timedelta(days=201)).isoformat())
    end = quote((now - timedelta(days=199)).isoformat())
    assert ids(client.get(f"{URL}?start_date={start}&end_date={end}")) == [january.number]
    response = client.get(f"{URL}?start_date=2026-01-05T13:15:30")
    assert response.status_code == 400
    assert error_lines(response) == [
        "400 start_date: give a time zone, e.g. 2026-01-05T13:15:30Z or 2026-01-05T13:15:30-05:00."
    ]
    for bad in ("yesterday", "2026-13-45T00:00:00Z", "2026-01-05"):
        response = client.get(f"{URL}?end_date={bad}")
        assert response.status_code == 400 and "end_date" in error_lines(response)[0]
    assert client.get(f"{URL}?start_date={end}&end_date={start}").status_code == 400


def test_it_filters_by_service_code_and_status(client, cast):
    pothole = make_case(cast)
    tree = make_case(cast, service=cast.tree, answers={})
    done = make_case(cast)
    actions.change_status(done, None, Status.RESOLVED)
    assert ids(client.get(f"{URL}?service_code=tree")) == [tree.number]
    assert ids(client.get(f"{URL}?service_code=tree,pothole")) == [done.number, tree.number, pothole.number]
    assert ids(client.get(f"{URL}?status=closed")) == [done.number]
    assert ids(client.get(f"{URL}?status=open&service_code=pothole")) == [pothole.number]
    assert ids(client.get(f"{URL}?status=open,closed&service_code=")) == [
        done.number,
        tree.number,
        pothole.number,
    ]
    assert error_lines(client.get(f"{URL}?status=pending")) == [
        "400 status: “pending” is not open or closed."
    ]
    assert error_lines(client.get(f"{URL}?service_code=nope")) == [
        "400 service_code: there is no service “nope”."
    ]


def test_it_lets_service_request_id_override_every_other_filter(client, cast):
    old = make_case(cast, created_at=timezone.now() - timedelta(days=400))
    recent = make_case(cast)
    make_case(cast)
    listed = ids(client.get(f"{URL}?service_request_id={old.number},{recent.number},99-999999&status=closed"))
    assert listed == [recent.number, old.number]


def test_it_pages_with_page_and_page_size(client, cast):
    numbers = [make_case(cast).number for _ in range(5)][::-1]
    assert ids(client.get(f"{URL}?page_size=2")) == numbers[:2]
    assert ids(client.get(f"{URL}?page_size=2&page=2")) == numbers[2:4]
    assert ids(client.get(f"{URL}?page_size=2&page=3")) == numbers[4:]
    assert ids(client.get(f"{URL}?page_size=2&page=4")) == []
    assert ids(client.get(f"{URL}?page_size=&page=")) == numbers
    for bad in ("page_size=0", "page_size=501", "page=0", "page=-1", "page_size=ten", "page=99999999999"):
        response = client.get(f"{URL}?{bad}")
        assert response.status_code == 400, bad
        assert error_lines(response)[0].startswith(f"400 {bad.split('=')[0]}: must be a whole number")


def test_it_filters_by_update_time(client, cast):
    quiet = make_case(cast, created_at=timezone.now() - timedelta(days=300))
    busy = make_case(cast, created_at=timezone.now() - timedelta(days=300))
    since = timezone.now()
    actions.change_status(busy, None, Status.IN_PROGRESS)
    assert ids(client.get(f"{URL}?updated_after={quote(since.isoformat())}")) == [busy.number]
    assert ids(client.get(f"{URL}?updated_before={quote(since.isoformat())}")) == [quiet.number]


def test_it_adds_extended_attributes_and_public_notes_only(client, cast, schemas):
    square = [[[-72, 42], [-70, 42], [-70, 43], [-72, 43], [-72, 42]]]
    feature = {
        "type": "Feature",
        "properties": {"WARD": "Ward 5"},
        "geometry": {"type": "Polygon", "coordinates": square},
    }
    import_file(json.dumps(feature).encode(), "ward", "WARD")
    original = make_case(cast)
    case = make_case(cast)
    actions.add_note(case, cast.bob, "Internal: the caller sounded drunk")
    actions.reply(case, cast.bob, "Dear Mrs Smith, we will come Tuesday")
    actions.merge(case, cast.bob, original)
    body = schemas(
        "requests.json", client.get(f"{URL}?extensions=true&service_request_id={case.number}").json()
    )
    (item,) = body
    assert item["extended_attributes"] == {
        "channel": "web",
        "status": "duplicate",
        "areas": {"ward": "Ward 5"},
        "duplicate_of": original.number,
        "parent": None,
        "source_id": None,
    }
    kinds = [note["type"] for note in item["notes"]]
    assert kinds[0] == "submitted" and "reply" in kinds and "merged" in kinds and "note" not in kinds
    assert all(W3C.match(note["datetime"]) for note in item["notes"])
    text = client.get(f"{URL}?extensions=true").content.decode()
    assert "drunk" not in text and "Mrs Smith" not in text
    root = xml(client.get(f"/open311/v2/requests/{case.number}.xml?extensions=true"))
    request = root.find("request")
    area = request.find("extended_attributes").find("areas").find("area")
    assert (area.findtext("layer"), area.findtext("name")) == ("ward", "Ward 5")
    assert [n.tag for n in request.find("notes")] == ["note"] * len(kinds)


def test_it_links_the_first_public_photo_served_to_anyone(client, cast, settings):
    settings.SITE_URL = "http://testserver"
    case = make_case(cast, photos=[png("first.png")])
    actions.attach_file(case, cast.bob, png("crew.png"), public=False)
    (item,) = client.get(URL).json()
    assert item["media_url"].startswith("http://testserver/photos/")
    photo = client.get(item["media_url"].removeprefix("http://testserver"))
    assert photo.status_code == 200 and photo["Content-Type"] == "image/png"
    internal = case.attachments.get(public=False)
    assert f"/photos/{internal.pk}/" not in client.get(f"{URL}?extensions=true").content.decode()


def test_it_wraps_requests_in_xml_and_escapes_text(client, cast):
    case = make_case(cast, description='Rock & <roll> "quoted" ünïcode')
    root = xml(client.get("/open311/v2/requests.xml"))
    assert root.tag == "service_requests"
    (request,) = root
    assert request.tag == "request"
    assert request.findtext("service_request_id") == case.number
    assert request.findtext("description") == 'Rock & <roll> "quoted" ünïcode'
    assert request.find("media_url").text is None
    names = [c.tag for c in request]
    assert names[:4] == ["service_request_id", "status", "status_notes", "service_name"]
    assert {"lat", "long", "requested_datetime", "agency_responsible", "address_id", "zipcode"} <= set(names)


def test_it_drops_characters_xml_cannot_carry(client, cast):
    case = make_case(cast)
    Case.objects.filter(pk=case.pk).update(description="bell\x07 and escape\x1b gone")
    root = xml(client.get(f"/open311/v2/requests/{case.number}.xml"))
    assert root.find("request").findtext("description") == "bell and escape gone"


def test_it_answers_one_request_as_a_one_element_list(client, cast, schemas):
    case = make_case(cast)
    body = schemas("requests.json", client.get(f"/open311/v2/requests/{case.number}.json").json())
    assert [r["service_request_id"] for r in body] == [case.number]
    missing = client.get("/open311/v2/requests/26-999999.json")
    assert missing.status_code == 404
    assert error_lines(missing) == ["404 service_request_id: there is no request “26-999999”."]
    assert xml(client.get("/open311/v2/requests/26-999999.xml")).find("error").findtext("code") == "404"


def test_it_never_shows_the_tracking_token(client, cast):
    case = make_case(cast, reporter_email="someone@example.org")
    for url in (f"{URL}?extensions=true", f"/open311/v2/requests/{case.number}.xml?extensions=true"):
        assert case.tracking_token not in client.get(url).content.decode()


def test_it_limits_reads_per_client_address(client, cast, settings):
    settings.OPEN311_GET_RATE = "3/m"
    statuses = [client.get(URL).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get("/open311/v2/services.xml")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert xml(response).find("error").findtext("code") == "429"
    other = client.get(URL, REMOTE_ADDR="10.1.2.3")
    assert other.status_code == 200
