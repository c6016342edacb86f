"""Load address points from a file: OpenAddresses CSV or GeoJSON out of the box, other layouts by a mapping.

The whole file is one transaction: a failure leaves the points as they were. Rows that cannot be an
address point (no coordinates, no street, no house number...) are skipped and reported with their
line and reason; a file with no good row at all changes nothing. Rows are written in batches (COPY on
PostgreSQL), so half a million points take seconds, not minutes.
"""

import csv
import io
import json
import math
import time
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from civicdesk.lib.bulk import Table, insert
from civicdesk.lib.textfiles import decoded_lines

from . import local
from .models import AddressImport, AddressPoint
from .normalise import house_value, street_key

BATCH = 5000
SHOWN = 100
FIELDS = ("lon", "lat", "number", "street", "unit", "city", "postcode", "id", "hash")
REQUIRED = ("lon", "lat", "number", "street")
# OpenAddresses' own column names (CSV) and property names (GeoJSON, which has no lon/lat columns).
OPENADDRESSES_CSV = {name: name.upper() for name in FIELDS}
OPENADDRESSES_GEOJSON = {name: name for name in FIELDS if name not in ("lon", "lat")}
TEXT_LIMITS = {"number": 20, "unit": 40, "street": 200, "city": 120, "postcode": 20, "id": 120, "hash": 120}
TABLE = Table(AddressPoint, skip=("id",))
ROW = TABLE.maker(
    ("number", "house", "unit", "street", "street_key", "city", "postcode", "latitude", "longitude", "source")
    + ("external_id",)
)


class ImportRefused(Exception):
    """The file cannot be imported at all (unreadable, wrong columns, no good row): nothing changed."""


@dataclass
class Report:
    source: str
    imported: int = 0
    replaced: int = 0
    skipped: int = 0
    fallback_lines: int = 0  # lines that were not UTF-8, read as Windows-1252
    bad: list = field(default_factory=list)  # [(line, reason)] of the first SHOWN skipped rows
    seconds: float = 0.0


def parse_mapping(text):
    """The --mapping text: "HOUSE_NO=number,ST_NAME=street" -> {"number": "HOUSE_NO", "street": "ST_NAME"}."""
    mapping = {}
    for pair in filter(None, (p.strip() for p in (text or "").split(","))):
        column, _sep, name = (part.strip() for part in pair.partition("="))
        if not column or name not in FIELDS:
            raise ImportRefused(
                _("“%(pair)s” is not column=field; the fields are %(fields)s")
                % {"pair": pair, "fields": ", ".join(FIELDS)}
            )
        mapping[name] = column
    return mapping


def import_file(path, *, file_format=None, mapping=None, source=None, replace=False):
    """Import the points of one file; returns a `Report`. Raises ImportRefused."""
    path = Path(path)
    file_format = file_format or ("geojson" if path.suffix.lower() in (".geojson", ".json") else "csv")
    source = (source or path.stem)[:120]
    started = time.monotonic()
    try:
        with path.open("rb") as file:
            report = Report(source)
            if file_format == "csv":
                records = csv_records(file, {**OPENADDRESSES_CSV, **(mapping or {})}, report)
            else:
                records = geojson_records(file, {**OPENADDRESSES_GEOJSON, **(mapping or {})})
            _write(records, report, replace, path.name)
    except OSError as error:
        raise ImportRefused(
            _("cannot read %(file)s: %(error)s") % {"file": path, "error": error.strerror}
        ) from None
    report.seconds = time.monotonic() - started
    return report


def _write(records, report, replace, file_name):
    source = report.source
    points = _points(records, source, report)
    with transaction.atomic():
        if replace:
            report.replaced, _counts = AddressPoint.objects.filter(source=source).delete()
        while batch := list(islice(points, BATCH)):
            insert(TABLE, batch)
            report.imported += len(batch)
        if not report.imported:
            raise ImportRefused(_("the file has no usable address point: nothing was imported or replaced"))
        AddressImport.objects.create(
            source=source,
            file_name=file_name[:300],
            imported=report.imported,
            skipped=report.skipped,
            replaced=report.replaced,
        )
        transaction.on_commit(local.invalidate)
    local.invalidate()


def _points(records, source, report):
    for line, values in records:
        point = values if isinstance(values, str) else _point(values)
        if isinstance(point, str):
            report.skipped += 1
            if len(report.bad) < SHOWN:
                report.bad.append((line, point))
            continue
        yield ROW((*point, source, values.get("id") or values.get("hash") or ""))


def _point(values):
    """(number, house, unit, street, street_key, city, postcode, latitude, longitude), or why not."""
    if any(values.get(name) in (None, "") for name in ("lon", "lat")):
        return _("no coordinates")
    try:
        longitude, latitude = float(values["lon"]), float(values["lat"])
    except (TypeError, ValueError):
        return _("the coordinates are not numbers")
    if not (math.isfinite(latitude) and math.isfinite(longitude)):
        return _("the coordinates are not numbers")
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180) or latitude == longitude == 0:
        return _("the coordinates are outside the world (or 0, 0)")
    text = {name: " ".join(str(values.get(name) or "").split()) for name in TEXT_LIMITS}
    if any("\x00" in value for value in text.values()):
        return _("the row holds a NUL character")
    if not text["street"] or not (key := street_key(text["street"])):
        return _("no street name")
    if not text["number"] or house_value(text["number"]) is None:
        return _("no house number")
    for name, limit in TEXT_LIMITS.items():
        if len(text[name]) > limit:
            return _("%(field)s is longer than %(limit)d characters") % {"field": name, "limit": limit}
    number, unit, street, city, postcode = (text[n] for n in ("number", "unit", "street", "city", "postcode"))
    house = house_value(number)
    return number, house, unit, street, key, city, postcode, round(latitude, 7), round(longitude, 7)


def csv_records(file, mapping, report):
    """(line, {field: text}) per row; a row that is not a record is (line, reason)."""

    def lines():
        for text, fell_back in decoded_lines(file):
            report.fallback_lines += fell_back
            yield text

    reader = csv.reader(lines())
    header = [name.strip() for name in next(reader, [])]
    missing = [mapping[name] for name in REQUIRED if mapping[name] not in header]
    if missing:
        raise ImportRefused(
            _("the file has no column %(columns)s (map others with --mapping column=field)")
            % {"columns": ", ".join(missing)}
        )
    positions = {name: header.index(column) for name, column in mapping.items() if column in header}
    start = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:  # a field over csv's limit: that row only
            yield start, _("the row cannot be read: %(error)s") % {"error": error}
            start = reader.line_num + 1
            continue
        if len(row) == len(header):
            yield start, {name: row[i] for name, i in positions.items()}
        elif any(row):
            yield (
                start,
                _("the row has %(count)d columns, the header %(width)d")
                % {
                    "count": len(row),
                    "width": len(header),
                },
            )
        start = reader.line_num + 1


def geojson_records(file, mapping):
    """Features of a FeatureCollection, or of OpenAddresses' one-feature-per-line files (streamed)."""
    text = io.TextIOWrapper(file, encoding="utf-8-sig", errors="replace")
    first = text.readline()
    try:
        feature = json.loads(first)
    except ValueError:
        feature = None
    if isinstance(feature, dict) and feature.get("type") == "Feature":
        yield 1, _properties(feature, mapping)
        for line, raw in enumerate(text, start=2):
            if raw.strip():
                yield line, _feature_line(raw, mapping)
        return
    try:
        document = json.loads(first + text.read())
    except ValueError as error:
        raise ImportRefused(_("the file is not GeoJSON: %(error)s") % {"error": error}) from None
    if not isinstance(document, dict) or not isinstance(document.get("features"), list):
        raise ImportRefused(_("the GeoJSON file holds no FeatureCollection and no feature per line"))
    for number, feature in enumerate(document["features"], start=1):
        yield _("feature %(number)d") % {"number": number}, _properties(feature, mapping)


def _feature_line(raw, mapping):
    try:
        return _properties(json.loads(raw), mapping)
    except ValueError:
        return _("the line is not a JSON feature")


def _properties(feature, mapping):
    if not isinstance(feature, dict) or not isinstance(feature.get("properties"), dict):
        return _("the feature has no properties")
    geometry = feature.get("geometry")
    geometry = geometry if isinstance(geometry, dict) else {}
    coordinates = geometry.get("coordinates")
    if geometry.get("type") != "Point" or not isinstance(coordinates, list) or len(coordinates) < 2:
        return _("the feature is not a point")
    properties = feature["properties"]
    values = {name: properties.get(key) for name, key in mapping.items() if name not in ("lon", "lat")}
    return {**values, "lon": coordinates[0], "lat": coordinates[1]}
