import json

import pytest


@pytest.fixture(autouse=True)
def fresh_locator():
    """Each test's database starts over (rolled back), so the process-wide locator must too."""
    from civicdesk.areas import locate

    locate.invalidate()
    yield
    locate.invalidate()


def square(west, south, size=1.0):
    """A closed ring, counter-clockwise, longitude first."""
    east, north = west + size, south + size
    return [[west, south], [east, south], [east, north], [west, north], [west, south]]


def polygon(*rings):
    return {"type": "Polygon", "coordinates": list(rings)}


def feature(name, geometry, key="name", **properties):
    return {"type": "Feature", "properties": {key: name, **properties}, "geometry": geometry}


def collection(*features, **members):
    return json.dumps({"type": "FeatureCollection", **members, "features": list(features)})


def bow_tie():
    """Edges cross in the middle: not a polygon any tool agrees on."""
    return polygon([[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]])
