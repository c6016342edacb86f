"""Address lookup against a city-sized set of address points: the import, match() and nearest().

    python bench/bench_addresses.py [--db postgresql,sqlite] [--points 500000] [--queries 3000]

For each database: a fresh one, and a generated OpenAddresses CSV of `--points` points (seed 1):
as many towns as the points fill (7 for 500k), each a grid of 60 east-west and 60 north-south
streets 100 m apart, houses on both sides;
street names drawn from 12,000 invented names (so a name recurs in several towns, as "Main St"
does), the first twenty north-south streets of a town numbered ("1st Ave"...), one town in five
with Spanish names ("Calle ...", "Avenida ..."), one house in twenty with three flats. The file goes through
`civicdesk import_addresses` (timed: COPY on PostgreSQL), then in one process, Django set up with
production settings:

- match() over a mix of queries made from stored points (the same mix each run): exact with the
  town, abbreviations and types written out, typos (a letter swapped or dropped), units, Spanish
  forms, intersections ("X and Y", "corner of X and Y", "esquina de X y Y"), and addresses that
  exist nowhere; p50/p95 per kind and overall, and how often the stored point was the answer;
- nearest() at random points of the towns (a pin), p50/p95.

Target (issue 11): match() p95 <= 10 ms against 500k points on PostgreSQL. The first query of a
process loads the street index (timed separately: once per process and per import).
"""

import argparse
import csv
import os
import random
import sys
import tempfile
import time
from collections import defaultdict

import benchlib


def _words(text):
    return text.split()


LINES, SEGMENTS, GAP_M, HOUSE_GAP_M, PER_STREET = 60, 6, 100, 20, 100
STREETS_PER_TOWN = 2 * LINES * SEGMENTS
METRES_PER_DEGREE = 111_320
FIRST = _words(
    "Oak Maple Cedar Pine Elm Birch Willow Ash Spruce Walnut Chestnut Hickory Poplar Laurel Magnolia "
    "Holly Juniper Aspen Alder Linden Sycamore Cypress Hazel Rowan Beech Mill River Lake Hill Spring "
    "Forest Meadow Park Garden Valley Bridge Church School Market Union Liberty Washington Lincoln "
    "Franklin Jefferson Madison Monroe Adams Jackson Grant"
)
SECOND = _words("_ wood field ridge brook dale mont ton view crest side land haven ford gate mere worth bury")
SECOND += _words("stone water shire port well moor glen vale croft")
TYPES = {"St": "Street", "Ave": "Avenue", "Rd": "Road", "Dr": "Drive", "Ln": "Lane", "Pl": "Place"}
TYPES |= {"Ct": "Court", "Blvd": "Boulevard", "Ter": "Terrace", "Way": "Way"}
PREFIX = _words("_ Old New Upper Lower Little Great Mount Saint")
SPANISH = ("Calle", "Avenida", "Paseo")
ORDINAL = {1: "st", 2: "nd", 3: "rd"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="postgresql")
    parser.add_argument("--points", type=int, default=500_000)
    parser.add_argument("--queries", type=int, default=3000, help="match() and nearest() calls each")
    parser.add_argument("--misses", type=int, default=0, help="print this many wrong answers of each kind")
    args = parser.parse_args()
    if not benchlib.run_per_database(args.db):
        measure(args.db, args)


def ordinal(n):
    return f"{n}{'th' if 10 <= n % 100 <= 20 else ORDINAL.get(n % 10, 'th')}"


def town_names(rng, spanish):
    """A town's street names, none twice; the first 20 north-south lines are numbered avenues."""
    cores = sorted(
        {f"{p} {f}{s}".strip(" _").replace("_", "") for p in PREFIX for f in FIRST for s in SECOND}
    )
    kinds = SPANISH if spanish else sorted(TYPES)
    every = [f"{k} {c}" if spanish else f"{c} {k}" for c in cores for k in kinds]
    picked = iter(rng.sample(every, STREETS_PER_TOWN))
    east_west = [[next(picked) for _ in range(SEGMENTS)] for _ in range(LINES)]
    north_south = [
        [f"{ordinal(j + 1)} Ave"] * SEGMENTS
        if j < 20 and not spanish
        else [next(picked) for _ in range(SEGMENTS)]
        for j in range(LINES)
    ]
    return east_west, north_south


def city(rng, points):
    """Yield (lon, lat, number, street, unit, town); return the layout {town: (ew, ns, spanish)}.

    A town is LINES x LINES streets GAP_M apart, each line cut into SEGMENTS named streets of
    LINES / SEGMENTS blocks, PER_STREET houses each (HOUSE_GAP_M apart on each side)."""
    layout, streets = {}, round(points / (PER_STREET * (1 + 3 / 20)))
    for t in range(streets // STREETS_PER_TOWN + 1):
        town, spanish = f"Town{t + 1:02d}", t % 5 == 1
        lat0, lon0 = 42.0 + (t // 6) * 0.08, -71.5 + (t % 6) * 0.1
        east_west, north_south = town_names(rng, spanish)
        layout[town] = (east_west, north_south, spanish, False)
        made = 0
        for line, segment in ((i, s) for i in range(LINES) for s in range(SEGMENTS)):
            for names, across_first in ((east_west, True), (north_south, False)):
                if t * STREETS_PER_TOWN + made >= streets:
                    return layout
                made += 1
                street = names[line][segment]
                for k in range(PER_STREET):
                    along = segment * (LINES // SEGMENTS) * GAP_M + (k // 2) * HOUSE_GAP_M + 10
                    across = line * GAP_M + (12 if k % 2 else -12)
                    north, east = (across, along) if across_first else (along, across)
                    lat = lat0 + north / METRES_PER_DEGREE
                    lon = lon0 + east / (METRES_PER_DEGREE * 0.74)
                    for unit in ["", "1", "2", "3"] if k % 20 == 4 else [""]:
                        number = str(segment * PER_STREET + k + 1)  # numbers run on along the line
                        yield round(lon, 6), round(lat, 6), number, street, unit, town
        layout[town] = (east_west, north_south, spanish, True)
    return layout


def write_city(path, rng, points):
    generator = city(rng, points)
    count = 0
    with open(path, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["LON", "LAT", "NUMBER", "STREET", "UNIT", "CITY", "POSTCODE", "ID", "HASH"])
        while True:
            try:
                lon, lat, number, street, unit, town = next(generator)
            except StopIteration as done:
                return done.value, count
            count += 1
            writer.writerow([lon, lat, number, street, unit, town, "", f"b{count}", ""])


def typo(word, rng):
    letters = [i for i, c in enumerate(word) if c.isalpha()]
    i = rng.choice(letters[1:-1] or letters)
    if rng.random() < 0.5 and i + 1 < len(word) and word[i + 1].isalpha():
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + word[i + 1 :]


def queries(rng, sample, layout, count):
    """[(kind, text, expected (lat, lon) or None)]: the same mix for the same seed."""
    made = []
    spanish = [row for row in sample if layout[row[5]][2]]
    english = [row for row in sample if not layout[row[5]][2] and row[3].split()[-1] in TYPES]
    whole_towns = sorted(town for town, (*_, complete) in layout.items() if complete)
    while len(made) < count:
        kind = rng.choice(["exact", "expanded", "typo", "unit", "spanish", "intersection", "nowhere"])
        lon, lat, number, street, _unit, town = rng.choice(spanish if kind == "spanish" else english)
        while kind == "typo" and street[0].isdigit():  # "5th": a slip there is another street
            lon, lat, number, street, _unit, town = rng.choice(english)
        core, short = street.rsplit(" ", 1)
        if kind == "exact":
            text = f"{number} {street}, {town}"
        elif kind == "expanded":
            text = f"{number} {core.upper()} {TYPES[short].upper()}, {town}"
        elif kind == "typo":
            text = f"{number} {typo(core, rng)} {short}, {town}"
        elif kind == "unit":
            text = f"{number} {street} {rng.choice(['Apt', 'Unit', '#'])} {rng.randint(1, 3)}, {town}"
        elif kind == "spanish":
            kind_word, name = street.split(" ", 1)
            text = rng.choice([f"{street} {number}, {town}", f"{kind_word} {name}, número {number}, {town}"])
        elif kind == "intersection":
            town = rng.choice(whole_towns)
            east_west, north_south, is_spanish, _complete = layout[town]
            i, j = rng.randrange(LINES), rng.randrange(LINES)
            blocks = LINES // SEGMENTS
            form = (
                "esquina de {} y {}, {}"
                if is_spanish
                else rng.choice(["{} and {}, {}", "{} & {}, {}", "corner of {} and {}, {}"])
            )
            text = form.format(east_west[i][j // blocks], north_south[j][i // blocks], town)
            lat = None
        else:
            text, lat = f"{rng.randint(5000, 9999)} Zyzzogeton {rng.choice(sorted(TYPES))}", None
        made.append((kind, text, (lat, lon) if lat is not None else None))
    return made


def measure(kind, args):
    rng = random.Random(1)
    with tempfile.TemporaryDirectory(prefix="civicdesk-bench-") as tmp, benchlib.database(kind) as url:
        path = f"{tmp}/points.csv"
        layout, written = write_city(path, rng, args.points)
        started = time.perf_counter()
        benchlib.civicdesk(url, "import_addresses", path, "--source", "bench")
        import_seconds = time.perf_counter() - started
        if kind == "postgresql":
            benchlib.civicdesk(url, "dbshell", "--", "-c", "VACUUM ANALYZE")
        with benchlib.django_in_process(url):
            results = time_lookups(args, layout, path, rng)
        benchlib.report(
            "address_lookup",
            database=kind,
            command=" ".join(["python", "bench/bench_addresses.py", *sys.argv[1:]]),
            points=written,
            towns=len(layout),
            import_seconds=round(import_seconds, 1),
            import_points_per_second=round(written / import_seconds),
            **results,
            target_match_p95_ms=10,
        )


def time_lookups(args, layout, path, rng):
    from civicdesk.lib.geo import metres_between
    from civicdesk.places import local
    from civicdesk.places.lookup import match, nearest

    with open(path, newline="") as file:
        rows = list(csv.reader(file))[1:]
    sample = [rows[i] for i in sorted(rng.sample(range(len(rows)), min(len(rows), 20000)))]
    sample = [(float(r[0]), float(r[1]), r[2], r[3], r[4], r[5]) for r in sample]
    started = time.perf_counter()
    local.street_index()
    index_ms = (time.perf_counter() - started) * 1000
    mix = queries(rng, sample, layout, args.queries)
    by_kind, found, shown = defaultdict(list), defaultdict(lambda: [0, 0]), defaultdict(int)
    for kind, text, expected in mix:
        started = time.perf_counter()
        result = match(text)
        by_kind[kind].append((time.perf_counter() - started) * 1000)
        right = (
            result.best is not None
            and metres_between(result.best.latitude, result.best.longitude, *expected) < 1
            if expected
            else (result.best is not None) == (kind == "intersection")
        )
        found[kind][0] += right
        if not right and shown[kind] < args.misses:
            shown[kind] += 1
            answer = [(p.label, p.confidence, p.kind) for p in result.places[:3]]
            sys.stderr.write(f"miss {kind}: {text!r} -> ambiguous={result.ambiguous} {answer}\n")
        found[kind][1] += 1
    every = sorted(t for timings in by_kind.values() for t in timings)
    pins = [
        (lat + rng.uniform(-0.0004, 0.0004), lon + rng.uniform(-0.0004, 0.0004)) for lon, lat, *_ in sample
    ]
    nearest_ms = []
    for lat, lon in rng.sample(pins, min(len(pins), args.queries)):
        started = time.perf_counter()
        nearest(lat, lon)
        nearest_ms.append((time.perf_counter() - started) * 1000)
    nearest_ms.sort()
    raw_ms = raw_lookups(rng, args.queries)
    for kind in sorted(by_kind):
        timings = sorted(by_kind[kind])
        sys.stderr.write(
            f"match {kind:12} n={len(timings):5} p50 {benchlib.pick(timings, 0.5):6} ms  "
            f"p95 {benchlib.pick(timings, 0.95):6} ms  right {found[kind][0] / found[kind][1]:.2f}\n"
        )
    sys.stderr.write(
        f"match all: p95 {benchlib.pick(every, 0.95)} ms; nearest p95 {benchlib.pick(nearest_ms, 0.95)} ms\n"
    )
    return {
        "street_names": sum(len(keys) for keys in local.street_index().by_core.values()),
        "index_load_ms": round(index_ms, 1),
        "queries": len(every),
        "match_p50_ms": round(every[len(every) // 2], 2),
        "match_p95_ms": round(every[round(0.95 * (len(every) - 1))], 2),
        "match_by_kind": {
            kind: {
                "p95_ms": round(sorted(t)[round(0.95 * (len(t) - 1))], 2),
                "right": round(found[kind][0] / found[kind][1], 3),
            }
            for kind, t in sorted(by_kind.items())
        },
        "nearest_p50_ms": round(nearest_ms[len(nearest_ms) // 2], 2),
        "nearest_p95_ms": round(nearest_ms[round(0.95 * (len(nearest_ms) - 1))], 2),
        "raw_sql_p95_ms": benchlib.pick(raw_ms, 0.95),
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }


def raw_lookups(rng, count):
    """The database's floor, same run: one indexed SELECT by (street_key, house) per query, through a
    plain cursor, for keys of stored points (match() does this plus parsing and fuzzy matching)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT street_key, house FROM places_addresspoint WHERE house IS NOT NULL")
        keys = rng.sample(cursor.fetchall(), count)
        timings = []
        for key in keys:
            started = time.perf_counter()
            cursor.execute(
                "SELECT latitude, longitude FROM places_addresspoint WHERE street_key = %s AND house = %s",
                key,
            )
            cursor.fetchall()
            timings.append((time.perf_counter() - started) * 1000)
    sys.stderr.write(f"raw indexed SELECT p95 {benchlib.pick(sorted(timings), 0.95)} ms\n")
    return sorted(timings)


if __name__ == "__main__":
    main()
