from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from civicdesk.places.lookup import match
from civicdesk.places.models import AddressImport, AddressPoint

from .conftest import DATA


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("import_addresses", *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_imports_openaddresses_csv(db):
    out, err = run(DATA / "openaddresses.csv")

    assert "133 address points imported from openaddresses.csv" in out and "0 rows skipped" in out
    assert err == ""
    point = AddressPoint.objects.get(external_id="t-3")
    assert (point.number, point.house, point.street, point.street_key, point.city, point.postcode) == (
        "3",
        3,
        "Main St",
        "main st",
        "Riverton",
        "01901",
    )
    assert (point.latitude, point.longitude, point.source) == (42.3001, -71.1025, "openaddresses")
    assert set(
        AddressPoint.objects.filter(street="Main St", number="7", city="Riverton").values_list(
            "unit", flat=True
        )
    ) == {
        "",
        "1",
        "2",
        "4B",
    }
    assert AddressImport.objects.get().imported == 133


def test_it_reports_each_bad_row_with_its_line_and_reason_and_imports_the_rest(db):
    out, err = run(DATA / "bad_rows.csv")

    assert err.splitlines() == [
        "line 3 skipped: no coordinates",
        "line 4 skipped: the coordinates are not numbers",
        "line 5 skipped: no street name",
        "line 6 skipped: no house number",
        "line 7 skipped: the coordinates are outside the world (or 0, 0)",
        "line 8 skipped: the row has 6 columns, the header 11",
    ]
    assert "2 address points imported" in out and "6 rows skipped" in out
    assert sorted(AddressPoint.objects.values_list("number", flat=True)) == ["1", "8"]
    assert AddressImport.objects.get().skipped == 6


def test_it_imports_an_openaddresses_geojson_feature_collection(db):
    out, err = run(DATA / "points.geojson")

    assert "2 address points imported" in out
    assert err.splitlines() == [
        "line feature 3 skipped: the feature is not a point",
        "line feature 4 skipped: no house number",
    ]
    second = AddressPoint.objects.get(number="14")
    assert (second.unit, second.street_key, second.external_id, second.longitude) == (
        "2B",
        "mayor st",
        "a2",
        -3.7041,
    )
    assert match("Calle Mayor 12, Madrid").best.label == "12 Calle Mayor, Madrid"


def test_it_streams_geojson_with_one_feature_per_line(db):
    out, err = run(DATA / "lines.geojson", "--source", "harbor")

    assert "2 address points imported" in out and "(source “harbor”)" in out
    assert err.splitlines() == [
        "line 3 skipped: the line is not a JSON feature",
        "line 5 skipped: the coordinates are outside the world (or 0, 0)",
    ]
    assert set(AddressPoint.objects.values_list("source", flat=True)) == {"harbor"}


def test_it_reads_other_layouts_through_a_mapping(db, tmp_path):
    path = tmp_path / "city.csv"
    path.write_text("X,Y,ADDR_NUM,ST_NAME,APT,TOWN,ZIP\n-71.1,42.3,15,Elm Street,2,Riverton,01901\n")

    out, _err = run(
        path, "--mapping", "X=lon, Y=lat,ADDR_NUM=number,ST_NAME=street,APT=unit,TOWN=city,ZIP=postcode"
    )

    assert "1 address points imported" in out
    point = AddressPoint.objects.get()
    assert (point.number, point.unit, point.street_key, point.city, point.postcode) == (
        "15",
        "2",
        "elm st",
        "Riverton",
        "01901",
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--mapping", "X=longitude"], "“X=longitude” is not column=field"),
        (["--mapping", "=lon"], "“=lon” is not column=field"),
    ],
)
def test_it_refuses_a_mapping_it_cannot_read(db, args, message):
    with pytest.raises(CommandError, match=message):
        run(DATA / "openaddresses.csv", *args)


def test_it_refuses_a_file_without_the_columns_and_names_them(db, tmp_path):
    path = tmp_path / "wrong.csv"
    path.write_text("X,Y,NUMBER,STREET\n-71.1,42.3,1,Elm St\n")
    with pytest.raises(CommandError, match="the file has no column LON, LAT"):
        run(path)
    assert not AddressPoint.objects.exists()


def test_it_refuses_a_missing_file_and_a_file_that_is_not_geojson(db, tmp_path):
    with pytest.raises(CommandError, match="cannot read .*nothing.csv: No such file"):
        run(tmp_path / "nothing.csv")
    broken = tmp_path / "broken.geojson"
    broken.write_text("[1, 2")
    with pytest.raises(CommandError, match="the file is not GeoJSON"):
        run(broken)
    listed = tmp_path / "list.geojson"
    listed.write_text("[1, 2]")
    with pytest.raises(CommandError, match="no FeatureCollection"):
        run(listed)


def test_it_replaces_the_points_of_the_same_source_in_one_transaction(db, tmp_path):
    run(DATA / "openaddresses.csv")
    run(DATA / "lines.geojson")
    update = tmp_path / "openaddresses.csv"
    update.write_text("LON,LAT,NUMBER,STREET\n-71.1,42.3,99,Main St\n")

    out, _err = run(update, "--replace")

    assert "1 address points imported" in out and "133 points replaced" in out
    assert AddressPoint.objects.filter(source="openaddresses").count() == 1
    assert AddressPoint.objects.filter(source="lines").count() == 2  # another source is left alone
    # The index follows the import at once: Lakeside's Main St is gone, Riverton's has only 99.
    assert [place.label for place in match("12 Main St, Lakeside").places] == ["99 Main St"]
    assert match("99 Main St").best.number == "99"


def test_it_replaces_nothing_when_the_new_file_has_no_good_row(db, tmp_path):
    run(DATA / "openaddresses.csv")
    empty = tmp_path / "openaddresses.csv"
    empty.write_text("LON,LAT,NUMBER,STREET\n,,1,Main St\n")

    with pytest.raises(CommandError, match="no usable address point: nothing was imported or replaced"):
        run(empty, "--replace")

    assert AddressPoint.objects.count() == 133
    assert AddressImport.objects.count() == 1


def test_it_reads_a_spreadsheet_s_utf8_with_a_byte_order_mark(db, tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffLON,LAT,NUMBER,STREET,CITY\n-3.7,40.4,3,Calle de la Peña,Madrid\n".encode())

    run(path)

    assert AddressPoint.objects.get().street_key == "pena st"


def test_a_row_too_long_to_read_is_skipped_and_the_next_ones_read(db, tmp_path):
    path = tmp_path / "long.csv"
    path.write_text(f"LON,LAT,NUMBER,STREET\n-71.1,42.3,1,{'x' * 200_000}\n-71.1,42.3,2,Elm St\n")

    out, err = run(path)

    assert err.strip() == "line 2 skipped: the row cannot be read: field larger than field limit (131072)"
    assert "1 address points imported" in out


def test_a_spreadsheet_s_windows_1252_lines_are_read_as_such_and_nul_is_refused(db, tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        "LON,LAT,NUMBER,STREET,CITY\n-3.7,40.4,3,Calle de la Peña,Madrid\n".encode()
        + "-3.7,40.4,5,Calle de la Peña,Madrid\n".encode("cp1252")
        + b"-3.7,40.4,7,Calle\x00Mayor,Madrid\n"
    )

    out, err = run(path)

    assert err.splitlines() == [
        "line 4 skipped: the row holds a NUL character",
        "1 line was not UTF-8 and was read as Windows-1252",
    ]
    assert set(AddressPoint.objects.values_list("street", flat=True)) == {"Calle de la Peña"}
    assert "2 address points imported" in out
