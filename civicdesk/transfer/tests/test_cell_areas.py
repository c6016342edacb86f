"""The importer's area cache per H3 cell answers exactly what the point look-up answers."""

import pytest

from civicdesk.areas import locate
from civicdesk.areas.actions import import_file
from civicdesk.lib.geo import cell_for

pytestmark = pytest.mark.django_db


def test_a_cell_answers_for_its_points_only_when_no_area_edge_crosses_it(shared_data):
    import_file((shared_data / "boston_wards.geojson").read_bytes(), "ward", "WARD", label="Wards")
    locator = locate.locator()
    # A grid over Boston and beyond its edges, 250 x 250 points about 100-130 m apart: a few
    # points per cell (~350 m across), cells inside one ward, on ward edges and on the city's edge.
    south, west, size = 42.22, -71.20, 0.0012
    whole = divided = 0
    cells = {}
    for i in range(250):
        for j in range(250):
            latitude, longitude = south + i * size, west + j * size
            cell = cell_for(latitude, longitude)
            if cell not in cells:
                cells[cell] = locator.areas_in_cell(cell)
            in_cell = cells[cell]
            if in_cell is None:
                divided += 1
                continue
            whole += 1
            assert in_cell == locator.areas_for(latitude, longitude), (latitude, longitude)
    # Both cases are exercised (56,675 and 5,825 points when written), and the cache pays.
    assert whole > 40_000 and divided > 2_000 and len(cells) < whole / 5


def test_a_cell_without_layers_has_no_areas(db):
    assert locate.locator().areas_in_cell(cell_for(42.35, -71.06)) == {}
