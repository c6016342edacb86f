"""areas_for and inside_city: the right name per layer, deterministic on overlaps, fresh after changes."""

import json

import pytest

from civicdesk.areas import locate
from civicdesk.areas.actions import import_file
from civicdesk.areas.models import Area

from .conftest import collection, feature, polygon, square

pytestmark = pytest.mark.django_db


def load(layer, *features, **options):
    return import_file(collection(*features), layer, "name", **options)


def test_it_names_the_area_of_each_layer_holding_the_point():
    load("ward", feature("1", polygon(square(0, 0))), feature("2", polygon(square(1, 0))))
    load("zone", feature("East", polygon(square(1, 0, 2))))
    assert locate.areas_for(0.5, 0.5) == {"ward": "1"}  # latitude first, as everywhere in CivicDesk
    assert locate.areas_for(0.5, 1.5) == {"ward": "2", "zone": "East"}
    assert locate.areas_for(1.5, 2.5) == {"zone": "East"}
    assert locate.areas_for(-5, -5) == {}
    assert locate.areas_for(None, 1.0) == {}


def test_it_respects_holes_and_islands_of_a_multipolygon():
    ring_with_hole = [square(0, 0, 3), square(1, 1, 1)[::-1]]
    harbour = {"type": "MultiPolygon", "coordinates": [ring_with_hole, [square(5, 0)]]}
    load("ward", feature("3", harbour), feature("Island", polygon(square(1, 1, 1))))
    assert locate.areas_for(0.5, 0.5) == {"ward": "3"}
    assert locate.areas_for(1.5, 1.5) == {"ward": "Island"}  # in the hole of ward 3
    assert locate.areas_for(0.5, 5.5) == {"ward": "3"}  # on its second polygon
    assert locate.areas_for(0.5, 4.5) == {}  # between the two


def test_it_picks_the_smallest_area_where_areas_of_one_layer_overlap():
    load(
        "zone", feature("Citywide", polygon(square(0, 0, 10))), feature("Downtown", polygon(square(4, 4, 2)))
    )
    assert locate.areas_for(5, 5) == {"zone": "Downtown"}
    assert locate.areas_for(1, 1) == {"zone": "Citywide"}


def test_it_gives_a_point_on_a_shared_edge_the_same_answer_whatever_the_import_order():
    answers = set()
    for names in (["1", "2"], ["2", "1"]):
        squares = {"1": polygon(square(0, 0)), "2": polygon(square(1, 0))}
        load("ward", *(feature(n, squares[n]) for n in names), replace=True)
        answers.add(locate.areas_for(0.5, 1.0)["ward"])
    assert answers == {"1"}  # equal sizes: the lowest name


def test_it_answers_inside_city_only_when_a_boundary_is_configured():
    load("ward", feature("1", polygon(square(0, 0))))
    assert locate.inside_city(0.5, 0.5) is None
    import_file(json.dumps(polygon(square(0, 0, 2))), "city", "name", city_boundary=True)
    assert locate.inside_city(0.5, 0.5) is True
    assert locate.inside_city(0.5, 2.5) is False
    assert locate.inside_city(None, None) is None
    assert locate.areas_for(1.5, 1.5) == {"city": "city"}


def test_it_sees_changes_made_by_another_process_within_the_refresh_interval(settings):
    load("ward", feature("1", polygon(square(0, 0))))
    assert locate.areas_for(0.5, 0.5) == {"ward": "1"}
    # Another process renames the area: nothing invalidates this process's locator.
    settings.POLICY_REFRESH_SECONDS = 3600
    Area.objects.filter(name="1").update(
        name="One", updated_at=Area.objects.get().updated_at.replace(year=2099)
    )
    assert locate.areas_for(0.5, 0.5) == {"ward": "1"}  # still cached
    settings.POLICY_REFRESH_SECONDS = 0
    assert locate.areas_for(0.5, 0.5) == {"ward": "One"}
    Area.objects.all().delete()
    assert locate.areas_for(0.5, 0.5) == {}  # a deletion changes the count
