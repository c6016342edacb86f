"""Cases out as CSV, JSON or GeoJSON, streamed in constant memory: the staff queue's exports and open data.

A queryset becomes rows with `values_list(...).iterator()` (a server-side cursor on PostgreSQL),
each row is encoded on its own, and text leaves in chunks of about 64 KB. Which fields go out is
a list of `Field`s: the staff set and the public set differ, and neither carries reporter contact
details (bulk export of personal data is a separate, audited privacy feature).
"""

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from django.http import StreamingHttpResponse
from django.utils import timezone

from civicdesk.areas.models import AreaLayer

CHUNK = 1 << 16
ROWS_PER_FETCH = 2000
# Public coordinates keep 3 decimals: ~110 m north-south, ~85 m east-west at 40° latitude, a block,
# so a point no longer names a house (whose resident may be the reporter).
PUBLIC_DECIMALS = 3

KINDS = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "geojson": "application/geo+json",
}
# Spreadsheets run a CSV cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Field:
    name: str  # the column / property name in the file
    lookup: str  # the queryset lookup read for it
    convert: Callable | None = None


def _iso(value: datetime | None):
    return value.isoformat() if value is not None else None


def _inert(value):
    """A text cell a spreadsheet would run as a formula, kept as text by a leading quote."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def _rounded(value):
    return round(value, PUBLIC_DECIMALS) if value is not None else None


STAFF_FIELDS = (
    Field("number", "number"),
    Field("service", "service__code"),
    Field("service_name", "service__name"),
    Field("department", "department__code"),
    Field("status", "status"),
    Field("priority", "priority"),
    Field("channel", "channel"),
    Field("assignee", "assignee__full_name"),
    Field("address", "address"),
    Field("description", "description"),
    Field("tags", "tags"),
    Field("created_at", "created_at", _iso),
    Field("updated_at", "updated_at", _iso),
    Field("acknowledged_at", "acknowledged_at", _iso),
    Field("resolved_at", "resolved_at", _iso),
    Field("closed_at", "closed_at", _iso),
    Field("expected_at", "expected_at", _iso),
    Field("source", "source"),
    Field("source_id", "source_id"),
)
PUBLIC_FIELDS = (
    Field("number", "number"),
    Field("service", "service__code"),
    Field("service_name", "service__name"),
    Field("department", "department__code"),
    Field("department_name", "department__name"),
    Field("status", "status"),
    Field("created_at", "created_at", _iso),
    Field("updated_at", "updated_at", _iso),
    Field("closed_at", "closed_at", _iso),
)
# Every export ends with the point and the areas; public ones round the point.
POINT = ("latitude", "longitude", "areas")


class Exporter:
    """Encodes a queryset's cases in one format, chunk by chunk."""

    def __init__(self, fields, *, public):
        self.fields = fields
        self.names = [f.name for f in fields]
        self.lookups = [f.lookup for f in fields] + list(POINT)
        self.converters = [(i, f.convert) for i, f in enumerate(fields) if f.convert]
        self.coordinate = _rounded if public else None
        self.layers = list(AreaLayer.objects.order_by("slug").values_list("slug", flat=True))

    def rows(self, queryset) -> Iterator[tuple[list, float | None, float | None, dict]]:
        """(values, latitude, longitude, areas) per case."""
        width, rounded = len(self.fields), self.coordinate
        for row in queryset.values_list(*self.lookups).iterator(chunk_size=ROWS_PER_FETCH):
            values = list(row[:width])
            for i, convert in self.converters:
                values[i] = convert(values[i])
            latitude, longitude = row[width], row[width + 1]
            if rounded is not None:
                latitude, longitude = rounded(latitude), rounded(longitude)
            yield values, latitude, longitude, row[width + 2] or {}

    def csv(self, queryset) -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([*self.names, "latitude", "longitude", *self.layers])
        layers = self.layers
        for values, latitude, longitude, areas in self.rows(queryset):
            cells = [*values, latitude, longitude, *[areas.get(slug, "") for slug in layers]]
            writer.writerow([_inert(cell) for cell in cells])
            if buffer.tell() >= CHUNK:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    def json(self, queryset) -> Iterator[str]:
        names, encode = self.names, _encoder()
        return _joined(
            "[",
            (
                encode(
                    {
                        **dict(zip(names, values, strict=True)),
                        "latitude": lat,
                        "longitude": lon,
                        "areas": areas,
                    }
                )
                for values, lat, lon, areas in self.rows(queryset)
            ),
            "]\n",
        )

    def geojson(self, queryset) -> Iterator[str]:
        names, encode = self.names, _encoder()
        return _joined(
            '{"type":"FeatureCollection","features":[',
            (
                encode(
                    {
                        "type": "Feature",
                        "geometry": None if lat is None else {"type": "Point", "coordinates": [lon, lat]},
                        "properties": {**dict(zip(names, values, strict=True)), "areas": areas},
                    }
                )
                for values, lat, lon, areas in self.rows(queryset)
            ),
            "]}\n",
        )


def _encoder():
    return json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _joined(start: str, items: Iterable[str], end: str) -> Iterator[str]:
    """`start item,item,... end` in chunks of about CHUNK characters."""
    parts, size, first = [start], len(start), True
    for item in items:
        if not first:
            parts.append(",")
        parts.append(item)
        first, size = False, size + len(item) + 1
        if size >= CHUNK:
            yield "".join(parts)
            parts, size = [], 0
    parts.append(end)
    yield "".join(parts)


def response(exporter: Exporter, queryset, kind: str, name: str) -> StreamingHttpResponse:
    """A streamed download of `queryset` as `kind` (csv, json, geojson) named `<name>-<date>.<kind>`."""
    body = getattr(exporter, kind)(queryset)
    reply = StreamingHttpResponse((text.encode() for text in body), content_type=KINDS[kind])
    reply["Content-Disposition"] = f'attachment; filename="{name}-{timezone.localdate():%Y-%m-%d}.{kind}"'
    reply["X-Content-Type-Options"] = "nosniff"
    return reply
