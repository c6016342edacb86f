import pytest

from civicdesk.lib.geo import bounding_box, metres_between


def test_it_measures_distances_on_the_sphere():
    assert metres_between(42.3, -71.1, 42.3, -71.1) == 0
    assert metres_between(0, 0, 1, 0) == pytest.approx(111_195, rel=1e-4)  # one degree of latitude
    assert metres_between(42.3, -71.1, 42.3, -71.0) == pytest.approx(8_229, rel=1e-3)  # shorter up north
    assert metres_between(0, 179.9, 0, -179.9) == pytest.approx(22_239, rel=1e-3)  # across the date line


def test_its_bounding_box_holds_the_circle():
    min_lat, max_lat, min_lon, max_lon = bounding_box(42.3, -71.1, 100)
    assert 100 <= metres_between(42.3, -71.1, max_lat, -71.1) <= 102
    assert metres_between(42.3, -71.1, 42.3, min_lon) >= 100
    assert min_lat < 42.3 < max_lat and min_lon < -71.1 < max_lon
