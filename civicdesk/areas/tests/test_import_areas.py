"""`civicdesk import_areas`: one layer per run, all or nothing, and a clear reason when refused."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from civicdesk.areas.models import Area, AreaLayer

from .conftest import bow_tie, collection, feature, polygon, square

pytestmark = pytest.mark.django_db

WARDS = collection(
    feature(1, polygon(square(-71.10, 42.30, 0.05)), OBJECTID=10),
    feature(2, polygon(square(-71.05, 42.30, 0.05))),
)


@pytest.fixture
def write(tmp_path):
    def write(text, name="areas.geojson"):
        path = tmp_path / name
        path.write_text(text)
        return path

    return write


def run(path, *args):
    output = io.StringIO()
    call_command("import_areas", str(path), *args, stdout=output)
    return output.getvalue()


def test_it_imports_a_layer_with_names_bounding_boxes_and_properties(write):
    output = run(write(WARDS), "--layer", "ward", "--name-property", "name")
    assert output.strip().endswith("imported 2 areas into layer ward")
    layer = AreaLayer.objects.get(slug="ward")
    assert (layer.label, layer.is_city_boundary) == ("Ward", False)
    first = layer.areas.get(name="1")
    assert (first.min_lon, first.min_lat, first.max_lon, first.max_lat) == pytest.approx(
        (-71.10, 42.30, -71.05, 42.35)
    )
    assert first.vertex_count == 5 and first.properties == {"OBJECTID": 10}
    assert json.loads(first.geometry)["type"] == "Polygon"


def test_it_refuses_a_bad_file_naming_the_feature_and_imports_nothing(write):
    bad = collection(feature("1", polygon(square(0, 0))), feature("2", bow_tie()))
    with pytest.raises(CommandError) as caught:
        run(write(bad), "--layer", "ward", "--name-property", "name")
    assert "refused, nothing was imported" in str(caught.value)
    assert "feature 2: invalid geometry: Self-intersection" in str(caught.value)
    assert not AreaLayer.objects.exists() and not Area.objects.exists()


def test_it_refuses_a_layer_that_already_has_areas_unless_replacing(write):
    run(write(WARDS), "--layer", "ward", "--name-property", "name")
    one = collection(feature("9", polygon(square(-71.0, 42.3))))
    with pytest.raises(CommandError, match="layer “ward” already has 2 areas; nothing was imported"):
        run(write(one), "--layer", "ward", "--name-property", "name")
    assert sorted(Area.objects.values_list("name", flat=True)) == ["1", "2"]
    output = run(write(one), "--layer", "ward", "--name-property", "name", "--replace", "--label", "Wards")
    assert "replaced 2 areas" in output and output.strip().endswith("imported 1 areas into layer ward")
    assert list(Area.objects.values_list("name", flat=True)) == ["9"]
    assert AreaLayer.objects.get().label == "Wards"


def test_it_allows_only_one_city_boundary_layer(write):
    city = json.dumps(polygon(square(-71.2, 42.2, 0.3)))
    output = run(
        write(city), "--layer", "city", "--name-property", "name", "--label", "Boston", "--city-boundary"
    )
    assert output.strip().endswith("imported 1 areas into layer city")
    assert AreaLayer.objects.get(slug="city").is_city_boundary and Area.objects.get().name == "Boston"
    with pytest.raises(CommandError, match="layer “city” is already the city boundary"):
        run(write(city), "--layer", "limits", "--name-property", "name", "--city-boundary")
    assert not AreaLayer.objects.filter(slug="limits").exists()


def test_it_refuses_a_layer_lying_wholly_outside_the_city(write):
    run(
        write(json.dumps(polygon(square(-71.2, 42.2, 0.3)))),
        "--layer",
        "city",
        "--name-property",
        "n",
        "--city-boundary",
    )
    swapped = collection(feature("1", polygon(square(42.30, -71.10, 0.05))))  # Boston, latitude first
    with pytest.raises(CommandError, match="are latitude and longitude swapped"):
        run(write(swapped), "--layer", "ward", "--name-property", "name")
    assert list(AreaLayer.objects.values_list("slug", flat=True)) == ["city"]


def test_it_reports_repairs_it_made(write):
    touching = polygon([[0, 0], [1, 0], [1, 1], [2, 1], [2, 2], [1, 2], [1, 1], [0, 1], [0, 0]])
    output = run(write(collection(feature("A", touching))), "--layer", "zone", "--name-property", "name")
    assert "feature 1 (“A”): repaired Ring Self-intersection[1 1]" in output


def test_it_refuses_a_layer_name_that_is_not_a_slug(write):
    with pytest.raises(CommandError, match="“Ward 3!” is not a layer name"):
        run(write(WARDS), "--layer", "Ward 3!", "--name-property", "name")
    assert not AreaLayer.objects.exists()


def test_it_says_when_the_file_cannot_be_read(tmp_path):
    with pytest.raises(CommandError, match="cannot read .*missing.geojson: No such file"):
        run(tmp_path / "missing.geojson", "--layer", "ward", "--name-property", "name")
