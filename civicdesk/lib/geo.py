"""Small geographic helpers that work the same on SQLite and PostgreSQL."""

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
