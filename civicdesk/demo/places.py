"""Riverton's map: neighbourhoods around a fictional centre (42.30, -71.10), their streets and parks.

Points cluster around each neighbourhood's centre (busy streets get more reports), so maps,
heat maps and "near this pin" queries have something realistic to show.
"""

import math
from dataclasses import dataclass
from itertools import accumulate

CENTRE = (42.30, -71.10)


@dataclass(frozen=True)
class Neighbourhood:
    name: str
    latitude: float
    longitude: float
    spread_m: float  # standard deviation of report positions around the centre
    weight: float  # share of the city's reports
    streets: tuple[str, ...]
    spanish_share: float = 0.12  # share of reports written in Spanish


NEIGHBOURHOODS = (
    Neighbourhood(
        "Downtown",
        42.3005,
        -71.0995,
        450,
        1.6,
        (
            "Main St",
            "Market St",
            "Court St",
            "Bridge St",
            "Union Sq",
            "Exchange Pl",
            "Bank Row",
            "Clock Tower Way",
        ),
    ),
    Neighbourhood(
        "Riverside",
        42.3080,
        -71.0890,
        600,
        1.2,
        ("River Rd", "Wharf St", "Ferry Ln", "Quay St", "Heron Ave", "Boathouse Way", "Tidewater Dr"),
        spanish_share=0.25,
    ),
    Neighbourhood(
        "Mill District",
        42.2935,
        -71.0870,
        550,
        1.3,
        ("Mill Rd", "Foundry St", "Loom St", "Spindle Ave", "Canal St", "Brick Row", "Weaver Ct"),
        spanish_share=0.35,
    ),
    Neighbourhood(
        "Oak Hill",
        42.2890,
        -71.1120,
        700,
        0.9,
        ("Oak Hill Rd", "Acorn St", "Summit Ave", "Ridge Way", "Chestnut Ter", "Hilltop Cir"),
        spanish_share=0.05,
    ),
    Neighbourhood(
        "Eastbrook",
        42.3010,
        -71.0760,
        650,
        1.1,
        ("Brook St", "Eastern Ave", "Willow Ln", "Pond St", "Meadow Rd", "Garden Pl", "Fenwick St"),
        spanish_share=0.30,
    ),
    Neighbourhood(
        "Northgate",
        42.3150,
        -71.1050,
        700,
        1.0,
        ("North Ave", "Gate St", "Granite St", "Quarry Rd", "Station St", "Depot Sq", "Cedar St"),
    ),
    Neighbourhood(
        "Westfield",
        42.2980,
        -71.1240,
        800,
        0.8,
        ("Field St", "Westfield Rd", "Orchard Ln", "Barn Hill Rd", "Harvest Ave", "Clover St"),
        spanish_share=0.06,
    ),
    Neighbourhood(
        "Southport",
        42.2830,
        -71.0960,
        650,
        0.9,
        ("Port Rd", "Harbor View Dr", "Anchor St", "Lighthouse Ln", "Compass St", "Beacon Ave"),
        spanish_share=0.22,
    ),
    Neighbourhood(
        "College Park",
        42.3110,
        -71.1180,
        500,
        0.7,
        ("College Ave", "Scholar St", "Library Way", "Campus Dr", "Elm St", "Founders Rd"),
        spanish_share=0.08,
    ),
)

CUMULATIVE_WEIGHTS = list(accumulate(n.weight for n in NEIGHBOURHOODS))
PARKS = ("Millbrook Park", "Riverside Commons", "Oak Hill Reservation", "Heron Pond Park", "Founders Green")
METRES_PER_DEGREE = 111_320


def _offset(neighbourhood, north_m, east_m):
    latitude = neighbourhood.latitude + north_m / METRES_PER_DEGREE
    longitude = neighbourhood.longitude + east_m / (METRES_PER_DEGREE * math.cos(math.radians(latitude)))
    return round(latitude, 6), round(longitude, 6)


def pick_neighbourhood(rng):
    return rng.choices(NEIGHBOURHOODS, cum_weights=CUMULATIVE_WEIGHTS)[0]


def random_place(rng, neighbourhood=None):
    """(latitude, longitude, address, neighbourhood) for one report."""
    hood = neighbourhood or pick_neighbourhood(rng)
    latitude, longitude = _offset(hood, rng.gauss(0, hood.spread_m), rng.gauss(0, hood.spread_m))
    street = rng.choice(hood.streets)
    if rng.random() < 0.15:
        other = rng.choice([s for s in hood.streets if s != street])
        address = f"{street} & {other}, Riverton"
    else:
        address = f"{rng.randint(1, 420)} {street}, Riverton"
    return latitude, longitude, address, hood


def near(rng, latitude, longitude, metres=40):
    """A point a few steps from another: a second report of the same problem."""
    north, east = rng.gauss(0, metres), rng.gauss(0, metres)
    latitude += north / METRES_PER_DEGREE
    longitude += east / (METRES_PER_DEGREE * math.cos(math.radians(latitude)))
    return round(latitude, 6), round(longitude, 6)
