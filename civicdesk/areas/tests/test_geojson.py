"""Reading area files: every bad feature is named with its number and reason; good files come back whole."""

import json

import pytest

from civicdesk.areas.geojson import GeoJSONError, parse_areas

from .conftest import bow_tie, collection, feature, polygon, square

WARDS = collection(
    feature("1", polygon(square(-71.1, 42.3, 0.05))), feature(2, polygon(square(-71.0, 42.3, 0.05)))
)


def refusal(data, name_property="name", **kwargs):
    with pytest.raises(GeoJSONError) as caught:
        parse_areas(data, name_property, **kwargs)
    return caught.value


def test_it_reads_a_feature_collection_with_names_and_other_properties():
    areas = parse_areas(collection(feature(3.0, polygon(square(-71.1, 42.3)), OBJECTID=7)), "name")
    assert [(a.name, a.properties, a.repair) for a in areas] == [("3", {"OBJECTID": 7}, "")]
    assert areas[0].geometry.bounds == (-71.1, 42.3, -70.1, 43.3)


def test_it_reads_bytes_with_a_byte_order_mark():
    assert [a.name for a in parse_areas(b"\xef\xbb\xbf" + WARDS.encode(), "name")] == ["1", "2"]


def test_it_reads_a_single_feature_and_names_a_bare_geometry_after_the_layer():
    single = json.dumps(feature("North", polygon(square(0, 0))))
    assert [a.name for a in parse_areas(single, "name")] == ["North"]
    bare = json.dumps(polygon(square(0, 0)))
    assert [a.name for a in parse_areas(bare, "name", default_name="City limits")] == ["City limits"]


@pytest.mark.parametrize(
    "crs",
    [
        "urn:ogc:def:crs:OGC:1.3:CRS84",
        "EPSG:4326",
        "urn:ogc:def:crs:EPSG::4326",
        "http://www.opengis.net/def/crs/EPSG/0/4326",
        "urn:ogc:def:crs:EPSG::4269",
    ],
)
def test_it_accepts_a_longitude_latitude_crs(crs):
    data = collection(feature("1", polygon(square(0, 0))), crs={"type": "name", "properties": {"name": crs}})
    assert len(parse_areas(data, "name")) == 1


def test_it_refuses_a_crs_naming_a_projection():
    mass_state_plane = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2249"}}
    error = refusal(collection(feature("1", polygon(square(0, 0))), crs=mass_state_plane))
    assert "EPSG::2249" in str(error) and "reproject it to EPSG:4326" in str(error)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ("{not json", "the file is not JSON: Expecting property name"),
        (b"\xff\xfe\x00", "the file is not UTF-8 text"),
        ('{"type": "Topology"}', "not GeoJSON: type “Topology”"),
        ("[1, 2]", "not GeoJSON: no GeoJSON “type”"),
        ('{"type": "FeatureCollection", "features": []}', "has no features"),
        (
            '{"type": "Polygon", "coordinates": [[[0, 0], [1, NaN], [1, 1], [0, 0]]]}',
            "NaN is not a JSON number",
        ),
    ],
)
def test_it_refuses_a_file_that_is_not_geojson(data, reason):
    assert reason in str(refusal(data))


def test_it_refuses_a_geometry_that_is_not_a_polygon_naming_the_feature():
    line = {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}
    error = refusal(collection(feature("1", polygon(square(0, 0))), feature("2", line)))
    assert error.problems == [(2, "its geometry is a LineString; an area must be a Polygon or MultiPolygon")]


def test_it_refuses_an_invalid_geometry_with_the_reason_from_geos():
    error = refusal(collection(feature("1", polygon(square(5, 5))), feature("2", bow_tie())))
    [(number, reason)] = error.problems
    assert number == 2 and reason.startswith("invalid geometry: Self-intersection[0.5 0.5]")


def test_it_repairs_a_ring_touching_itself_when_the_area_is_unchanged():
    # Two squares sharing one corner drawn as one ring, as ArcGIS exports do (Boston's wards 5, 16, 17).
    touching = polygon([[0, 0], [1, 0], [1, 1], [2, 1], [2, 2], [1, 2], [1, 1], [0, 1], [0, 0]])
    [area] = parse_areas(collection(feature("1", touching)), "name")
    assert area.geometry.is_valid and area.geometry.area == 2.0
    assert area.repair.startswith("repaired Ring Self-intersection[1 1]")


def test_it_refuses_projected_coordinates():
    feet = polygon([[236000, 900000], [237000, 900000], [237000, 901000], [236000, 900000]])
    [(number, reason)] = refusal(collection(feature("1", polygon(square(0, 0))), feature("2", feet))).problems
    assert number == 2 and reason.startswith(
        "its coordinates are not longitude/latitude degrees: (236000, 900000)"
    )


def test_it_refuses_latitude_written_before_longitude():
    seattle_swapped = polygon([[47.6, -122.3], [47.7, -122.3], [47.7, -122.2], [47.6, -122.3]])
    [(number, reason)] = refusal(collection(feature("1", seattle_swapped))).problems
    assert number == 1 and reason.startswith("its coordinates look swapped: (47.6, -122.3) reads as latitude")


@pytest.mark.parametrize("name", [None, "", "  ", True, {"n": 1}])
def test_it_refuses_a_feature_without_a_usable_name(name):
    data = collection(feature("1", polygon(square(0, 0))), feature(name, polygon(square(2, 0)), OBJECTID=2))
    assert refusal(data).problems == [
        (2, "no “name” property to name the area (its properties: name, OBJECTID)")
    ]


def test_it_says_once_when_no_feature_has_the_name_property():
    data = collection(*(feature(n, polygon(square(n, 0)), WARD=n) for n in range(3)))
    assert refusal(data, "DISTRICT").problems == [
        (None, "no feature has a “DISTRICT” property (the first has: name, WARD)")
    ]


def test_it_refuses_duplicate_names_in_the_layer():
    data = collection(*(feature(n, polygon(square(i, 0))) for i, n in enumerate(["3", "4", 3])))
    assert refusal(data).problems == [(3, "duplicate name “3” (feature 1 has it too)")]


def test_it_lists_every_bad_feature_at_once():
    data = collection(
        feature(None, polygon(square(0, 0))), feature("ok", polygon(square(2, 0))), feature("x", None)
    )
    assert [number for number, _ in refusal(data).problems] == [1, 3]
    assert refusal(data).lines[1] == "feature 3: it has no geometry"
