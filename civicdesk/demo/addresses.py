"""Riverton's address points, laid out from its street names (places.py) as a grid per neighbourhood.

Each neighbourhood's streets alternate east-west and north-south, 160 m apart, through its centre,
so streets of one neighbourhood cross; houses stand every 40 m, odd numbers on the north or east side,
even on the other, 12 m back from the street. Some Downtown buildings have flats (units A-C).
The file `data/riverton-addresses.csv` is this layout in OpenAddresses' CSV columns, imported by
`load_demo`; `python -m civicdesk.demo.addresses` writes it again (a test checks it is current).
"""

import csv
import io
import math
from pathlib import Path

from .places import METRES_PER_DEGREE, NEIGHBOURHOODS

FILE = Path(__file__).parent / "data" / "riverton-addresses.csv"
COLUMNS = ("LON", "LAT", "NUMBER", "STREET", "UNIT", "CITY", "DISTRICT", "REGION", "POSTCODE", "ID", "HASH")
STREET_GAP_M, HOUSE_GAP_M, SETBACK_M = 160, 40, 12


def _position(hood, north_m, east_m):
    latitude = hood.latitude + north_m / METRES_PER_DEGREE
    longitude = hood.longitude + east_m / (METRES_PER_DEGREE * math.cos(math.radians(hood.latitude)))
    return round(latitude, 6), round(longitude, 6)


def points():
    """(longitude, latitude, number, street, unit, postcode, neighbourhood) for every address."""
    for n, hood in enumerate(NEIGHBOURHOODS, start=1):
        postcode = f"0{1900 + n}"
        half = round(hood.spread_m * 1.2 / HOUSE_GAP_M)
        for i, street in enumerate(hood.streets):
            offset = (i // 2 - (len(hood.streets) // 2 - 1) / 2) * STREET_GAP_M
            for step in range(half * 2 + 1):
                along = (step - half) * HOUSE_GAP_M
                for side, number in ((1, 2 * step + 1), (-1, 2 * step + 2)):
                    across = offset + side * SETBACK_M
                    north, east = (across, along) if i % 2 == 0 else (along, across)
                    latitude, longitude = _position(hood, north, east)
                    units = "ABC" if hood.name == "Downtown" and i == 0 and number % 10 == 1 else ""
                    for unit in units or [""]:
                        yield longitude, latitude, str(number), street, unit, postcode, hood.name


def csv_text():
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for i, (longitude, latitude, number, street, unit, postcode, hood) in enumerate(points(), start=1):
        writer.writerow(
            (longitude, latitude, number, street, unit, "Riverton", hood, "MA", postcode, f"rv-{i}", "")
        )
    return out.getvalue()


if __name__ == "__main__":
    FILE.parent.mkdir(exist_ok=True)
    FILE.write_text(csv_text(), encoding="utf-8")
