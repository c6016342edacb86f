"""Small geographic helpers that work the same on SQLite and PostgreSQL."""

import math

import h3

CELL_RESOLUTION = 9  # ~0.1 km² hexagons: "near this pin" is the cell and its ring.


def cell_for(latitude, longitude, resolution=CELL_RESOLUTION):
    if latitude is None or longitude is None:
        return ""
    return h3.latlng_to_cell(latitude, longitude, resolution)


def nearby_cells(latitude, longitude, rings=1):
    """The cell of a point and the `rings` rings around it (for an indexed IN query)."""
    return list(h3.grid_disk(cell_for(latitude, longitude), rings))


def valid_coordinates(latitude, longitude):
    return -90 <= latitude <= 90 and -180 <= longitude <= 180


EARTH_RADIUS_M = 6_371_008.8
METRES_PER_DEGREE = 111_320  # of latitude, and of longitude at the equator


def metres_between(latitude1, longitude1, latitude2, longitude2):
    """Great-circle distance (haversine), in metres."""
    phi1, phi2 = math.radians(latitude1), math.radians(latitude2)
    dphi, dlambda = phi2 - phi1, math.radians(longitude2 - longitude1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(latitude, longitude, metres):
    """(min_lat, max_lat, min_lon, max_lon) of a box around a point that holds its `metres` circle
    (with a 1% margin: a parallel is longer than the great circle between two of its points)."""
    dlat = math.degrees(metres * 1.01 / EARTH_RADIUS_M)
    dlon = dlat / max(math.cos(math.radians(latitude)), 0.01)
    return latitude - dlat, latitude + dlat, longitude - dlon, longitude + dlon
