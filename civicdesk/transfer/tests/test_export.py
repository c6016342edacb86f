"""Staff exports of the queue and public open data: formats, filters, scoping, no personal data."""

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from civicdesk.areas.models import AreaLayer
from civicdesk.cases import actions
from civicdesk.cases.models import Case, Channel
from civicdesk.transfer import export

pytestmark = pytest.mark.django_db

PII = (
    "Zed Reporter",
    "zed@example.org",
    "+1 555 0100",
    "call me at 555-0199 or mail zed.private@example.org",
)


@pytest.fixture
def city(cast):
    hole = actions.submit_case(
        service=cast.pothole,
        answers={"depth": "deep"},
        description=PII[3],
        latitude=42.361234,
        longitude=-71.057891,
        address="12 Elm Street",
        reporter_name=PII[0],
        reporter_email=PII[1],
        reporter_phone=PII[2],
        created_at=datetime(2024, 1, 10, 15, tzinfo=UTC),
    )
    crack = actions.submit_case(
        service=cast.pothole,
        answers={"depth": "shallow"},
        description="Cracked road",
        channel=Channel.WEB,
        created_at=datetime(2024, 2, 10, 15, tzinfo=UTC),
    )
    tree = actions.submit_case(
        service=cast.tree, description="Fallen oak", created_at=datetime(2024, 3, 10, 15, tzinfo=UTC)
    )
    actions.add_note(hole, cast.bob, "Internal: the caller is the landlord's nephew")
    return {"hole": hole, "crack": crack, "tree": tree}


def body(response):
    return b"".join(response.streaming_content).decode()


def staff_export(client, user, kind, **params):
    client.force_login(user)
    return client.get(reverse("staff-export", args=[kind]), {"status": "", **params})


def test_it_exports_the_staff_queue_as_csv_json_and_geojson(client, cast, city):
    reply = staff_export(client, cast.dave, "csv")
    assert reply.status_code == 200 and reply["Content-Type"] == "text/csv; charset=utf-8"
    assert reply["Content-Disposition"].startswith('attachment; filename="cases-')
    rows = list(csv.DictReader(io.StringIO(body(reply))))
    assert {r["number"] for r in rows} == {city["hole"].number, city["crack"].number}
    hole = next(r for r in rows if r["number"] == city["hole"].number)
    assert (hole["service"], hole["latitude"], hole["address"]) == ("pothole", "42.361234", "12 Elm Street")
    items = json.loads(body(staff_export(client, cast.dave, "json")))
    assert {i["number"] for i in items} == {r["number"] for r in rows}
    collection = json.loads(body(staff_export(client, cast.dave, "geojson")))
    assert collection["type"] == "FeatureCollection"
    points = {f["properties"]["number"]: f["geometry"] for f in collection["features"]}
    assert points[city["hole"].number] == {"type": "Point", "coordinates": [-71.057891, 42.361234]}
    assert points[city["crack"].number] is None


def test_it_leaves_reporter_contact_out_of_staff_exports(client, cast, city):
    for kind in ("csv", "json", "geojson"):
        text = body(staff_export(client, cast.root, kind))
        assert city["hole"].number in text
        for secret in PII[:3]:
            assert secret not in text
        assert "landlord" not in text


def test_it_exports_exactly_the_filtered_list_across_all_pages(client, cast, city, report_many):
    numbers = report_many(60)
    rows = list(csv.DictReader(io.StringIO(body(staff_export(client, cast.root, "csv", service="tree")))))
    assert {r["number"] for r in rows} == set(numbers) | {city["tree"].number}
    rows = list(
        csv.DictReader(
            io.StringIO(
                body(
                    staff_export(client, cast.root, "csv", created_from="2024-02-01", created_to="2024-02-28")
                )
            )
        )
    )
    assert [r["number"] for r in rows] == [city["crack"].number]
    newest = list(csv.DictReader(io.StringIO(body(staff_export(client, cast.root, "csv", sort="newest")))))
    assert [r["created_at"] for r in newest] == sorted((r["created_at"] for r in newest), reverse=True)


def test_it_exports_open_cases_by_default_like_the_queue(client, cast, city):
    actions.change_status(city["crack"], cast.dave, "resolved")
    client.force_login(cast.dave)
    rows = list(csv.DictReader(io.StringIO(body(client.get(reverse("staff-export", args=["csv"]))))))
    assert [r["number"] for r in rows] == [city["hole"].number]


def test_it_refuses_staff_exports_to_residents_and_strangers(client, cast, city):
    url = reverse("staff-export", args=["csv"])
    assert client.get(url).status_code == 302  # to sign in
    client.force_login(cast.alice)
    assert client.get(url).status_code == 403
    client.force_login(cast.carol)
    rows = list(csv.DictReader(io.StringIO(body(client.get(url, {"status": ""})))))
    assert [r["number"] for r in rows] == [city["tree"].number]
    assert client.get(reverse("staff-export", args=["xlsx"])).status_code == 404


def test_it_links_the_exports_from_the_queue_with_its_filters(client, cast, city):
    client.force_login(cast.bob)
    page = client.get(reverse("staff-queue"), {"service": "pothole", "after": "x"}).content.decode()
    assert f'{reverse("staff-export", args=["csv"])}?service=pothole"' in page
    assert "Export GeoJSON" in page


# ---------------------------------------------------------------- open data


def test_it_describes_the_open_data(client, city):
    page = client.get(reverse("open-data"))
    assert page.status_code == 200 and "public" in page["Cache-Control"]
    text = page.content.decode()
    for kind in ("csv", "json", "geojson"):
        assert reverse("open-data-cases", args=[kind]) in text
    assert "<code>pothole</code>" in text


def test_it_publishes_no_personal_data(client, city):
    for kind in ("csv", "json", "geojson"):
        reply = client.get(reverse("open-data-cases", args=[kind]))
        assert reply.status_code == 200 and "max-age" in reply["Cache-Control"]
        text = body(reply)
        assert city["hole"].number in text
        for secret in (*PII, "zed", "Elm Street", "landlord", "Cracked road"):
            assert secret not in text


def test_it_rounds_public_points_to_a_block(client, city):
    collection = json.loads(body(client.get(reverse("open-data-cases", args=["geojson"]))))
    geometry = next(
        f["geometry"] for f in collection["features"] if f["properties"]["number"] == city["hole"].number
    )
    assert geometry["coordinates"] == [-71.058, 42.361]
    rows = list(csv.DictReader(io.StringIO(body(client.get(reverse("open-data-cases", args=["csv"]))))))
    assert {r["number"]: (r["latitude"], r["longitude"]) for r in rows}[city["hole"].number] == (
        "42.361",
        "-71.058",
    )
    assert set(rows[0]) == {
        "number",
        "service",
        "service_name",
        "department",
        "department_name",
        "status",
        "created_at",
        "updated_at",
        "closed_at",
        "latitude",
        "longitude",
    }


def test_it_filters_open_data_by_date_and_service(client, city):
    def numbers(**params):
        return [
            i["number"]
            for i in json.loads(body(client.get(reverse("open-data-cases", args=["json"]), params)))
        ]

    assert numbers() == [city["hole"].number, city["crack"].number, city["tree"].number]
    assert numbers(since="2024-02-01") == [city["crack"].number, city["tree"].number]
    assert numbers(until="2024-02-10") == [city["hole"].number, city["crack"].number]
    assert numbers(service="tree") == [city["tree"].number]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"since": "2024-13-01"}, "“since” must be a date written YYYY-MM-DD"),
        ({"until": "yesterday"}, "“until” must be a date written YYYY-MM-DD"),
        ({"since": "2024-03-01", "until": "2024-01-01"}, "is after"),
        ({"service": "unicorns"}, "no service with the code “unicorns”"),
    ],
)
def test_it_explains_bad_open_data_filters(client, city, params, message):
    reply = client.get(reverse("open-data-cases", args=["csv"]), params)
    assert reply.status_code == 400
    assert message in reply.content.decode()


def test_it_rate_limits_anonymous_downloads_per_address(client, city, settings):
    settings.OPEN_DATA_RATE = "2/h"
    url = reverse("open-data-cases", args=["csv"])
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 429]
    assert client.get(url, REMOTE_ADDR="10.9.9.9").status_code == 200
    limited = client.get(url)
    assert int(limited["Retry-After"]) > 0 and "Too many downloads" in limited.content.decode()


@pytest.mark.parametrize(
    "params",
    [{"until": "9999-12-31"}, {"since": "0001-01-01"}, {"since": "1899-12-31"}, {"until": "9001-01-01"}],
)
def test_it_refuses_open_data_dates_outside_the_supported_years(client, city, params):
    reply = client.get(reverse("open-data-cases", args=["csv"]), params)
    assert reply.status_code == 400
    ((name, value),) = params.items()
    assert f"“{name}” must be a date in the years 1900 to 9000; got “{value}”." in reply.content.decode()


def test_it_rate_limits_signed_in_residents_per_account_but_not_city_staff(client, cast, city, settings):
    settings.OPEN_DATA_RATE = "2/h"
    url = reverse("open-data-cases", args=["csv"])
    client.force_login(cast.alice)
    assert [client.get(url, REMOTE_ADDR=f"10.0.0.{n}").status_code for n in range(3)] == [200, 200, 429]
    client.force_login(cast.bob)
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 200]
    client.logout()
    assert client.get(url).status_code == 200  # the anonymous count of this address is its own


FORMULAS = ('=HYPERLINK("http://evil.example","Click")', "+1+2", "-2+3", "@SUM(A1)", "\tx", "\rx")


def test_it_defuses_formulas_in_csv_cells_only(client, cast):
    numbers = {}
    for text in FORMULAS:
        case = actions.submit_case(service=cast.pothole, answers={"depth": "deep"}, description="hole")
        # Set directly: the forms strip leading blanks, older imported data may still have them.
        Case.objects.filter(pk=case.pk).update(description=text, address=text)
        numbers[case.number] = text
    rows = list(csv.DictReader(io.StringIO(body(staff_export(client, cast.dave, "csv")), newline="")))
    assert {r["number"]: (r["description"], r["address"]) for r in rows} == {
        number: (f"'{text}", f"'{text}") for number, text in numbers.items()
    }
    items = json.loads(body(staff_export(client, cast.dave, "json")))
    assert {i["number"]: (i["description"], i["address"]) for i in items} == {
        number: (text, text) for number, text in numbers.items()
    }


def test_it_writes_timestamps_and_areas_like_the_cases_hold_them(client, cast, city):
    """PostgreSQL formats timestamps and reads area names itself: the files must say what Python would."""
    AreaLayer.objects.create(slug="ward", label="Wards")
    AreaLayer.objects.create(slug="zone", label="Zones")
    Case.objects.filter(pk=city["hole"].pk).update(
        areas={"ward": "=Ward 3", "zone": "Zone é"},
        tags=["night", "=sum"],
        acknowledged_at=datetime(2024, 1, 11, 9, 30, 0, 120000, tzinfo=UTC),
        closed_at=datetime(1999, 12, 31, 23, 59, 59, 1, tzinfo=UTC),
    )
    Case.objects.filter(pk=city["crack"].pk).update(areas={"ward": "Ward 1", "old_layer": "gone"})
    cases = {case.number: case for case in Case.objects.filter(service=cast.pothole)}
    rows = list(csv.DictReader(io.StringIO(body(staff_export(client, cast.dave, "csv")), newline="")))
    items = json.loads(body(staff_export(client, cast.dave, "json")))
    features = json.loads(body(staff_export(client, cast.dave, "geojson")))["features"]
    stamps = ("created_at", "updated_at", "acknowledged_at", "resolved_at", "closed_at", "expected_at")
    for number, case in cases.items():
        iso = {name: getattr(case, name) and getattr(case, name).isoformat() for name in stamps}
        row = next(r for r in rows if r["number"] == number)
        assert {name: row[name] for name in stamps} == {name: value or "" for name, value in iso.items()}
        item = next(i for i in items if i["number"] == number)
        assert ({name: item[name] for name in stamps}, item["areas"], item["tags"]) == (
            iso,
            case.areas,
            case.tags,
        )
        assert row["tags"] == str(case.tags)
        properties = next(f["properties"] for f in features if f["properties"]["number"] == number)
        assert ({name: properties[name] for name in stamps}, properties["areas"]) == (iso, case.areas)
    hole = next(r for r in rows if r["number"] == city["hole"].number)
    assert (hole["acknowledged_at"], hole["closed_at"]) == (
        "2024-01-11T09:30:00.120000+00:00",
        "1999-12-31T23:59:59.000001+00:00",
    )
    assert {r["number"]: (r["ward"], r["zone"]) for r in rows} == {
        city["hole"].number: ("'=Ward 3", "Zone é"),
        city["crack"].number: ("Ward 1", ""),
    }


def test_it_writes_the_same_files_whatever_the_fetch_size(client, cast, city, report_many, monkeypatch):
    """Rows are fetched and encoded a batch at a time: the batches must join into the same file."""
    report_many(5)
    whole = {kind: body(staff_export(client, cast.root, kind)) for kind in ("csv", "json", "geojson")}
    monkeypatch.setattr(export, "ROWS_PER_FETCH", 2)
    assert {kind: body(staff_export(client, cast.root, kind)) for kind in whole} == whole
    assert len(json.loads(whole["geojson"])["features"]) == 8
    assert len(list(csv.DictReader(io.StringIO(whole["csv"])))) == 8
