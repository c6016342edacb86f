"""A city's own CSV through a mapping TOML, Open311 JSON and XML, bad rows, encodings."""

import json
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError

from civicdesk.cases.models import Case, CaseEvent, Channel

from .conftest import data_rows

pytestmark = pytest.mark.django_db

MAPPING = """
source = "riverton"
time_zone = "Europe/Madrid"
date_formats = ["%d.%m.%Y %H:%M", "iso"]
bounds = [40.0, -4.0, 41.0, -3.0]

[columns]
id = "Ticket"
created = "Opened"
closed = "Closed"
status = "State"
service = "Kind"
department = "Team"
latitude = "Lat"
longitude = "Lon"
address = ["Street", "Town"]
description = "Text"
channel = "Via"

[status]
"NEW" = "new"
"DONE" = "closed"
"WORKING" = "in_progress"

[channel]
"tel" = "phone"

[services]
"hole" = "pothole"

[departments]
"roads" = "public-works"
"""

HEADER = "Ticket,Opened,Closed,State,Kind,Team,Lat,Lon,Street,Town,Text,Via\n"
ROWS = [
    "A1,05.01.2024 09:30,06.01.2024 10:00,DONE,hole,roads,40.41,-3.70,Calle Mayor 1,Madrid,Deep hole,tel",
    "A2,31.12.2023 23:30,,WORKING,hole,,40.42,-3.71,,Madrid,Another,web",  # 3
    "A3,32.01.2024 09:30,,NEW,hole,roads,40.41,-3.70,,,bad date,",  # 4
    "A4,05.01.2024 09:30,,NEW,hole,roads,north,west,,,bad coordinates,",  # 5
    "A5,05.01.2024 09:30,,NEW,hole,roads,0,0,,,null island,",  # 6
    ",05.01.2024 09:30,,NEW,hole,roads,40.41,-3.70,,,missing id,",  # 7
    "A1,05.01.2024 09:30,,NEW,hole,roads,40.41,-3.70,,,duplicate,",  # 8
    "A6,05.01.2024 09:30,,LOST,hole,roads,40.41,-3.70,,,unknown status,",  # 9
    "A7,05.01.2024 09:30,04.01.2024 09:30,DONE,hole,roads,,,,,closed before opened,",  # 10
    "A8,,,NEW,hole,roads,,,,,no date,",  # 11
    "A9,05.01.2024 09:30,,NEW,graffiti,roads,,,,,new service,",  # 12
    "A10,05.01.2024,too,few",  # 13
]


@pytest.fixture
def city_files(tmp_path):
    mapping = tmp_path / "riverton.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    data = tmp_path / "riverton.csv"
    data.write_text(HEADER + "\n".join(ROWS) + "\n", encoding="utf-8")
    return data, mapping


def test_it_imports_a_city_csv_through_a_mapping_and_reports_every_bad_row(cast, city_files, import_cases):
    data, mapping = city_files
    run = import_cases(data, "--format", "csv", "--mapping", str(mapping))
    assert run.counts == {"imported": 3, "skipped": 1, "failed": 8}
    assert sum(run.counts.values()) == data_rows(data)
    lines = {row["line"]: (row["source_id"], row["outcome"], row["reason"]) for row in run.report}
    assert lines["4"] == ("A3", "failed", "bad date “32.01.2024 09:30” in “Opened”")
    assert lines["5"] == ("A4", "failed", "unparseable coordinates “north, west”")
    assert lines["6"] == ("A5", "failed", "coordinates 0, 0 are outside the plausible area")
    assert lines["7"] == ("", "failed", "missing id")
    assert lines["8"] == ("A1", "skipped", "duplicate id within the file (first on line 2)")
    assert lines["9"] == ("A6", "failed", "unknown status “LOST”")
    assert lines["10"] == ("A7", "failed", "closed before it was created")
    assert lines["11"] == ("A8", "failed", "missing date in “Opened”")
    assert lines["13"] == ("", "failed", "the row has 4 columns, the header 12")
    assert len(lines) == 9


def test_it_maps_services_departments_zones_and_channels_of_a_city_csv(cast, city_files, import_cases):
    data, mapping = city_files
    import_cases(data, "--format", "csv", "--mapping", str(mapping))
    first = Case.objects.get(source="riverton", source_id="A1")
    assert (first.service, first.department, first.channel) == (
        cast.pothole,
        cast.public_works,
        Channel.PHONE,
    )
    assert first.created_at == datetime(2024, 1, 5, 8, 30, tzinfo=UTC)  # Madrid is UTC+1 in winter
    assert first.address == "Calle Mayor 1, Madrid"
    # No team: the service's default department; an unknown channel: "import"; a new year's number.
    second = Case.objects.get(source="riverton", source_id="A2")
    assert (second.department, second.channel, second.status) == (
        cast.public_works,
        Channel.IMPORT,
        "in_progress",
    )
    assert second.number.startswith("23-")
    assert Case.objects.get(source_id="A9").service.code == "riverton-graffiti"


def test_it_refuses_a_mapping_naming_a_service_that_does_not_exist(db, city_files, import_cases):
    data, mapping = city_files  # no cast: "pothole" and "public-works" are missing
    with pytest.raises(CommandError, match="pothole"):
        import_cases(data, "--format", "csv", "--mapping", str(mapping))
    assert not Case.objects.exists()


def test_it_refuses_a_file_without_the_mapped_columns(cast, tmp_path, city_files, import_cases):
    _data, mapping = city_files
    other = tmp_path / "other.csv"
    other.write_text("id,when\n1,2024-01-01\n", encoding="utf-8")
    with pytest.raises(CommandError, match="no column “Closed”"):
        import_cases(other, "--format", "csv", "--mapping", str(mapping))


def test_it_reads_lines_that_are_not_utf8_as_windows_1252(cast, city_files, import_cases):
    data, mapping = city_files
    data.write_bytes(
        HEADER.encode()
        + "B1,05.01.2024 09:30,,NEW,hole,roads,,,Plaza Mayor,Madrid,Señal rota,\n".encode()
        + "B2,05.01.2024 09:30,,NEW,hole,roads,,,Caf\u00e9 Central,Madrid,Caf\u00e9,\n".encode("cp1252")
    )
    run = import_cases(data, "--format", "csv", "--mapping", str(mapping))
    assert run.counts["imported"] == 2
    assert Case.objects.get(source_id="B1").description == "Señal rota"
    assert Case.objects.get(source_id="B2").address == "Café Central, Madrid"


OPEN311 = [
    {
        "service_request_id": "638344",
        "status": "closed",
        "status_notes": "Duplicate request.",
        "service_name": "Sidewalk and Curb Issues",
        "service_code": 6,
        "description": "Curb broken",
        "agency_responsible": "Public Works",
        "requested_datetime": "2010-04-14T06:37:38-08:00",
        "updated_datetime": "2010-04-14T06:37:38-08:00",
        "expected_datetime": "2010-04-15T06:37:38-08:00",
        "address": "8TH AVE and JUDAH ST",
        "zipcode": 94122,
        "lat": 37.762221815,
        "long": -122.4651145,
    },
    {
        "service_request_id": "638349",
        "status": "open",
        "service_name": "Sidewalk and Curb Issues",
        "service_code": "6",
        "requested_datetime": "2010-04-19T06:37:38Z",
        "updated_datetime": "2010-04-20T08:00:00Z",
        "lat": 37.7,
        "long": -122.4,
    },
    {
        "service_request_id": "638350",
        "status": "open",
        "service_code": "6",
        "requested_datetime": "yesterday",
    },
]


def test_it_imports_open311_json(db, tmp_path, import_cases):
    path = tmp_path / "requests.json"
    path.write_text(json.dumps(OPEN311, indent=2), encoding="utf-8")
    run = import_cases(path, "--format", "open311")
    assert run.counts == {"imported": 2, "skipped": 0, "failed": 1}
    assert run.report[0]["source_id"] == "638350" and run.report[0]["line"] == "3"
    closed = Case.objects.get(source="open311", source_id="638344")
    assert closed.created_at == datetime(2010, 4, 14, 14, 37, 38, tzinfo=UTC)
    assert (closed.status, closed.status_reason, closed.address) == (
        "closed",
        "Duplicate request.",
        "8TH AVE and JUDAH ST, 94122",
    )
    assert (closed.service.code, closed.service.name) == ("open311-6", "Sidewalk and Curb Issues")
    assert closed.department.name == "Public Works"
    assert closed.closed_at == closed.created_at
    open_case = Case.objects.get(source_id="638349")
    assert open_case.updated_at == datetime(2010, 4, 20, 8, tzinfo=UTC) and open_case.closed_at is None
    assert CaseEvent.objects.filter(case=open_case, kind="status", created_at=open_case.updated_at).exists()


def test_it_imports_open311_xml_streaming_namespaced_elements(db, tmp_path, import_cases):
    path = tmp_path / "requests.xml"
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<service_requests xmlns:x="urn:x">'
        "<request><service_request_id>1</service_request_id><status>open</status>"
        "<service_code>001</service_code><service_name>Cans left out 24x7</service_name>"
        "<requested_datetime>2010-04-14T06:37:38-08:00</requested_datetime>"
        "<lat>37.76</lat><long>-122.46</long><address>8TH AVE and JUDAH ST</address></request>"
        "<request><service_request_id>2</service_request_id><status>closed</status>"
        "<service_code>001</service_code>"
        "<requested_datetime>2010-04-14T06:37:38Z</requested_datetime>"
        "<updated_datetime>2010-04-16T06:00:00Z</updated_datetime></request>"
        "<request><status>open</status><service_code>001</service_code>"
        "<requested_datetime>2010-04-14T06:37:38Z</requested_datetime></request>"
        "</service_requests>",
        encoding="utf-8",
    )
    run = import_cases(path, "--format", "open311")
    assert run.counts == {"imported": 2, "skipped": 0, "failed": 1}
    assert run.report[0]["reason"] == "missing id"
    assert Case.objects.get(source_id="1").service.name == "Cans left out 24x7"
    assert Case.objects.get(source_id="2").closed_at == datetime(2010, 4, 16, 6, tzinfo=UTC)


def test_it_refuses_json_that_is_not_a_list(db, tmp_path, import_cases):
    path = tmp_path / "requests.json"
    path.write_text('{"service_request_id": "1"}', encoding="utf-8")
    with pytest.raises(CommandError, match="list of requests"):
        import_cases(path, "--format", "open311")


def test_it_names_the_source_given_on_the_command_line(db, tmp_path, import_cases):
    path = tmp_path / "requests.json"
    path.write_text(json.dumps(OPEN311[:1]), encoding="utf-8")
    import_cases(path, "--format", "open311", "--source", "sf311")
    assert Case.objects.get().source == "sf311"
    assert import_cases(path, "--format", "open311").counts["imported"] == 1  # another source, another case


def test_it_tells_a_duplicate_in_an_earlier_batch_from_an_earlier_import(cast, city_files, import_cases):
    data, mapping = city_files
    run = import_cases(data, "--format", "csv", "--mapping", str(mapping), "--batch", "2")
    assert run.counts == {"imported": 3, "skipped": 1, "failed": 8}
    assert {r["line"]: r["reason"] for r in run.report}["8"] == "duplicate id within the file"
    again = import_cases(data, "--format", "csv", "--mapping", str(mapping), "--batch", "2")
    assert {r["line"]: r["reason"] for r in again.report}["2"] == "already imported"


def test_it_fails_only_the_rows_whose_dates_are_outside_the_supported_years(db, tmp_path, import_cases):
    path = tmp_path / "requests.json"
    far = [
        {**OPEN311[1], "service_request_id": "late", "requested_datetime": "9999-12-31T23:00:00"},
        {**OPEN311[1], "service_request_id": "early", "requested_datetime": "0001-01-01T00:00:00+05:00"},
    ]
    path.write_text(json.dumps([*far, OPEN311[1]]), encoding="utf-8")
    # Naive dates are New York time, west of UTC: 9999-12-31 23:00 there is in the year 10000 in UTC.
    run = import_cases(path, "--format", "open311")
    assert run.counts == {"imported": 1, "skipped": 0, "failed": 2}
    assert run.reasons() == {
        "late": "date “9999-12-31T23:00:00” in “requested_datetime” is outside the years 1900 to 9000",
        "early": "date “0001-01-01T00:00:00+05:00” in “requested_datetime” is outside the years 1900 to 9000",
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><service_requests/>',
            "the XML file declares a DTD or entities",
        ),
        (
            "<service_requests><request><status>open</request>",
            "the XML file is broken: mismatched tag: line 1",
        ),
        ("", "the XML file is broken: no element found: line 1"),
    ],
)
def test_it_refuses_xml_that_is_broken_or_declares_entities(db, tmp_path, import_cases, text, message):
    path = tmp_path / "requests.xml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CommandError, match=message):
        import_cases(path, "--format", "open311")
    assert not Case.objects.exists()
