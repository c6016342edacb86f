"""The local geocoder: the city's own address points, matched without any external service.

A query names a street, fuzzily: the street names are held in each process (`StreetIndex`, a few
thousand to tens of thousands of names, rebuilt when an import commits), and rapidfuzz compares
the query's street with all of them in C. Only the few streets close enough (SIMILAR) reach the
database, through the (street_key, house) index: one small query for an address, one for a street
or an intersection. So the cost does not grow with the number of points.
"""

import dataclasses
import math
from collections import defaultdict
from itertools import product

import shapely
from django.db import connection
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from civicdesk.lib.geo import METRES_PER_DEGREE, bounding_box, metres_between
from civicdesk.lib.policycache import PolicyCache

from .lookup import ADDRESS, INTERSECTION, STREET, Place, ranked
from .models import AddressImport, AddressPoint, label
from .normalise import Query, clean_number, fold, house_value, parse, street_of

SIMILAR = 0.75  # street-name similarity (optimal string alignment, 0-1) below which a street is not named
STREETS_PER_NAME = 8
OTHER_NUMBER = 0.7  # the house number is not on the street: its nearest number there is offered
NUMBER_WINDOW = 200  # how far along the street numbers are looked for
CORNER_M = 100  # two streets whose nearest points are farther apart do not meet
CLOSE_CORNER_M = 50
CROSSING_DEGREES = 30  # streets meeting at a narrower angle than this are taken to run side by side
HEADING_M = 250
FIELDS = ("number", "unit", "street", "street_key", "city", "postcode", "latitude", "longitude")


class StreetIndex:
    """Every stored street name, taken apart (normalise.street_of), and every city name."""

    def __init__(self, rows):
        self.by_core = defaultdict(dict)
        self.cities = defaultdict(set)  # compact(name) -> the names as stored
        for key, city in rows:
            street, _rest = street_of(key.split())
            self.by_core[street.core][key] = street
            if city:
                self.cities[compact(city)].add(city)
        self.cores = list(self.by_core)
        # Names whose lengths differ by more than a quarter cannot be SIMILAR: compared by length.
        self.by_length = defaultdict(list)
        for core in self.cores:
            self.by_length[len(core)].append(core)

    @classmethod
    def from_database(cls):
        return cls(AddressPoint.objects.values_list("street_key", "city").distinct().order_by())

    def city_in(self, text):
        """The stored city `text` names ("riverton ma 02134" names Riverton): its compact name, or ""."""
        if not text or not self.cities:
            return ""
        found = process.extractOne(
            compact(text), list(self.cities), scorer=fuzz.partial_ratio, score_cutoff=90
        )
        return found[0] if found else ""

    def streets(self, wanted, limit=STREETS_PER_NAME):
        """[(key, score)] of the stored streets like `wanted`, best first."""
        size = len(wanted.core)
        hits = [
            hit
            for length in range(math.ceil(size * SIMILAR - 1e-9), math.floor(size / SIMILAR + 1e-9) + 1)
            if length in self.by_length
            for hit in process.extract(
                wanted.core,
                self.by_length[length],
                scorer=OSA.normalized_similarity,
                score_cutoff=SIMILAR,
                limit=limit,
            )
        ]
        found = [
            (key, similarity * _agreement(wanted, street))
            for core, similarity, _ in hits
            for key, street in self.by_core[core].items()
        ]
        return sorted(found, key=lambda hit: (-hit[1], hit[0]))[:limit]


def _agreement(wanted, street):
    """How much a street's type and directional agree with what was typed (none typed: almost fully)."""
    kind = 1.0 if wanted.kind == street.kind else 0.97 if not wanted.kind else 0.8
    direction = 1.0 if wanted.direction == street.direction else 0.95 if not wanted.direction else 0.7
    return kind * direction


def _stamp():
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(id), COUNT(*) FROM {AddressImport._meta.db_table}")  # noqa: S608
        return tuple(cursor.fetchone())


_index = PolicyCache("streets", StreetIndex.from_database, _stamp)


def street_index():
    return _index.get()


def invalidate():
    """Forget the streets in memory (after an import); the next lookup reads them again."""
    _index.clear()


def compact(city):
    """A city's name for comparing: folded, letters and digits only ("Town 03" and "town03" agree)."""
    return "".join(c for c in fold(city) if c.isalnum())


def match(text, limit):
    query = parse(text)
    index = street_index()
    if query is None or not index.cores:
        return ranked(text, [], limit)
    query = _town_at_end(query, index)
    query = dataclasses.replace(query, city=index.city_in(query.city))
    find = _corners if query.cross is not None else _addresses if query.number else _streets
    # A named town is searched first (fewer rows); only when it has nothing, every town.
    places = (
        find(query, index, AddressPoint.objects.filter(city__in=index.cities[query.city]))
        if query.city
        else []
    )
    return ranked(text, places or find(query, index, AddressPoint.objects.all()), limit)


def _town_at_end(query, index):
    """A town written after a street without its type ("12 Main Riverton") is the town, not the street."""
    words = query.street.core.split()
    if query.street.kind or query.cross is not None:
        return query
    for k in (2, 1):
        if len(words) > k and compact(" ".join(words[-k:])) in index.cities:
            street = dataclasses.replace(query.street, core=" ".join(words[:-k]))
            return dataclasses.replace(
                query, street=street, city=" ".join(filter(None, (query.city, *words[-k:])))
            )
    return query


def _closest(streets):
    """The streets worth a database query: those nearly as good as the best (when a name was typed
    exactly, other spellings are not what was meant)."""
    if not streets:
        return {}
    best = streets[0][1]
    return dict(hit for hit in streets if hit[1] >= best - (0.05 if best >= 0.97 else 0.15))


def _addresses(query, index, points):
    streets, house = _closest(index.streets(query.street)), house_value(query.number)
    if not streets or house is None:
        return []
    exact = list(points.filter(street_key__in=streets, house=house).values_list(*FIELDS))
    places = [_place(query, p, streets[p[3]] * _number_fit(query, p)) for p in exact]
    missing = set(streets) - {p[3] for p in exact}
    if missing:  # the number is not on that street: its nearest one, on the same side first
        on_street = defaultdict(list)
        window = (house - NUMBER_WINDOW, house + NUMBER_WINDOW)
        for row in points.filter(street_key__in=missing, house__range=window).values_list(*FIELDS):
            on_street[row[3], row[4]].append(row)
        for (key, _city), rows in on_street.items():
            other = min(rows, key=lambda p: _along(p, house))
            places.append(_place(query, other, streets[key] * OTHER_NUMBER, kind=STREET))
    return _one_per_address(places)


def _along(point, house):
    value = house_value(point[0])
    return value % 2 != house % 2, abs(value - house), value, point[1]


def _number_fit(query, point):
    number, unit = point[0], point[1]
    fit = 1.0 if clean_number(number) == query.number else 0.9  # "12" typed, "12A" stored
    if query.unit:
        fit *= 1.0 if unit.upper() == query.unit else 0.98 if not unit else 0.9
    elif unit:
        fit *= 0.98
    return fit


def _city_fit(query, city, postcode):
    fit = 1.0
    if query.city and city and compact(city) != query.city:
        fit *= 0.8  # another town was named
    if query.postcode and postcode and postcode.split("-")[0] != query.postcode.split("-")[0]:
        fit *= 0.9
    return fit


def _place(query, point, score, kind=ADDRESS):
    number, unit, street, _key, city, postcode, latitude, longitude = point
    unit = unit or query.unit
    return Place(
        latitude=latitude,
        longitude=longitude,
        label=label(number, unit, street, city),
        confidence=round(score * _city_fit(query, city, postcode), 3),
        kind=kind,
        number=number,
        unit=unit,
        street=street,
        city=city,
        postcode=postcode,
    )


def _one_per_address(places):
    """The units of one building are one answer: the best-fitting unit stands for the address."""
    best = {}
    for place in places:
        key = (place.number, place.street, place.city)
        if key not in best or place.confidence > best[key].confidence:
            best[key] = place
    return list(best.values())


def _points_of(points, keys):
    """{(street_key, city): [(street, latitude, longitude, house)]} for whole streets."""
    found = defaultdict(list)
    rows = points.filter(street_key__in=keys).values_list(
        "street_key", "city", "street", "latitude", "longitude", "house"
    )
    for key, city, *rest in rows:
        found[key, city].append(rest)
    return found


def _streets(query, index, points):
    """A street named without a number: its middle point, in each town it runs through."""
    places, streets = [], _closest(index.streets(query.street))
    for (key, city), on_street in _points_of(points, streets).items():
        middle = sorted(on_street, key=lambda p: (p[3] or 0, p[1], p[2]))[len(on_street) // 2]
        row = ("", "", middle[0], key, city, "", middle[1], middle[2])
        places.append(_place(query, row, streets[key] * 0.9, kind=STREET))
    return places


def _corners(query, index, points):
    one, two = _closest(index.streets(query.street)), _closest(index.streets(query.cross))
    points = _points_of(points, one.keys() | two.keys())
    places = []
    for (key1, city1), (key2, city2) in product(points, points):
        if key1 not in one or key2 not in two or key1 == key2 or city1 != city2:
            continue
        metres, latitude, longitude = _meeting(points[key1, city1], points[key2, city2])
        if metres > CORNER_M:
            continue
        street1, street2 = min(p[0] for p in points[key1, city1]), min(p[0] for p in points[key2, city2])
        score = one[key1] * two[key2] * (1.0 if metres <= CLOSE_CORNER_M else 0.9)
        row = ("", "", f"{street1} & {street2}", "", city1, "", latitude, longitude)
        places.append(_place(query, row, score, kind=INTERSECTION))
    return places


def _meeting(points1, points2):
    """(metres, latitude, longitude): where two streets meet, the midpoint of their nearest pair of
    points; (inf, ...) for streets that run side by side (their nearest points may be a short block
    apart, but their directions there differ by less than CROSSING_DEGREES)."""
    scale = METRES_PER_DEGREE * math.cos(math.radians(points1[0][1]))
    plane1, plane2 = ([(p[2] * scale, p[1] * METRES_PER_DEGREE) for p in ps] for ps in (points1, points2))
    (near1, near2), metres = shapely.STRtree(shapely.points(plane2)).query_nearest(
        shapely.points(plane1), return_distance=True, all_matches=False
    )
    best = int(metres.argmin())
    i, j = int(near1[best]), int(near2[best])
    turn = abs(_heading(plane1, plane1[i]) - _heading(plane2, plane2[j])) % 180
    if min(turn, 180 - turn) < CROSSING_DEGREES:
        return math.inf, 0.0, 0.0
    a, b = points1[i], points2[j]
    return float(metres[best]), round((a[1] + b[1]) / 2, 6), round((a[2] + b[2]) / 2, 6)


def _heading(plane, centre, radius=HEADING_M):
    """The direction (degrees, 0-180) a street runs near `centre`: the main axis of its points there."""
    near = [(x - centre[0], y - centre[1]) for x, y in plane if math.dist((x, y), centre) <= radius]
    sxx = sum(x * x for x, _ in near)
    syy = sum(y * y for _, y in near)
    sxy = sum(x * y for x, y in near)
    return math.degrees(0.5 * math.atan2(2 * sxy, sxx - syy)) % 180


def nearest(latitude, longitude, max_metres):
    min_lat, max_lat, min_lon, max_lon = bounding_box(latitude, longitude, max_metres)
    rows = AddressPoint.objects.filter(
        latitude__range=(min_lat, max_lat), longitude__range=(min_lon, max_lon)
    ).values_list(*FIELDS)
    # The building, not one of its units, when they share a point; then the lower number.
    found = min(
        (
            (metres_between(latitude, longitude, row[6], row[7]), row[1], house_value(row[0]) or 0, row)
            for row in rows
        ),
        default=None,
    )
    if found is None or found[0] > max_metres:
        return None
    metres, *_, row = found
    place = _place(Query(street=None), row, 1 - metres / (2 * max_metres))
    return dataclasses.replace(place, distance_m=round(metres, 1))
