"""Cases out as CSV, JSON or GeoJSON, streamed in constant memory: the staff queue's exports and open data.

A queryset becomes rows in keyset batches: ROWS_PER_FETCH rows at a time, each batch the rows after
the last one of the batch before in the export's sort order (`WHERE (keys) > (last) ORDER BY keys
LIMIT n`, `cases.paging.seek`), encoded at once and sent as one chunk. No server-side cursor: one
lives in a server connection across fetches, which PgBouncer's transaction pooling hands to other
clients between statements (decision 39); every batch is a short query of its own, so memory stays
bounded by one batch whatever the size of the export. On PostgreSQL all the batches of an export
are read in one REPEATABLE READ, READ ONLY transaction: a long export is one snapshot, so a case
changed, added or removed while it runs is exported as it was when it started, never twice or
skipped (a transaction, unlike a cursor, is what a transaction-pooled connection keeps). PostgreSQL
formats the timestamps and reads the area names itself, byte for byte what the Python path (used
on SQLite) writes; every export ends with the point (rounded in public ones) and the areas. Which
fields go out, and how precise the point is, the disclosure policy says for each audience
(`cases.disclosure.columns`): the staff set and the open-data set differ, and neither carries
reporter contact details.
"""

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from django.db import connections, transaction
from django.db.models import CharField, Func, JSONField, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import NullIf
from django.http import StreamingHttpResponse
from django.utils import timezone

from civicdesk.areas.models import AreaLayer
from civicdesk.cases import disclosure
from civicdesk.cases.paging import Key, order_by, seek

ROWS_PER_FETCH = 2000
# The order of an export that names none: oldest first, the primary key breaking ties.
OLDEST_FIRST = (Key("created_at"), Key("id"))

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
    empty: type | None = None  # a JSON column's empty value (list or dict), see `_unless_empty`


def _iso(value: datetime | None):
    return value.isoformat() if value is not None else None


FIELDS = (
    Field("number", "number"),
    Field("service", "service__code"),
    Field("service_name", "service__name"),
    Field("department", "department__code"),
    Field("department_name", "department__name"),
    Field("status", "status"),
    Field("priority", "priority"),
    Field("channel", "channel"),
    Field("assignee", "assignee__full_name"),
    Field("address", "address"),
    Field("description", "description"),
    Field("tags", "tags", empty=list),
    Field("created_at", "created_at", _iso),
    Field("updated_at", "updated_at", _iso),
    Field("acknowledged_at", "acknowledged_at", _iso),
    Field("resolved_at", "resolved_at", _iso),
    Field("closed_at", "closed_at", _iso),
    Field("expected_at", "expected_at", _iso),
    Field("source", "source"),
    Field("source_id", "source_id"),
)


def fields_for(audience) -> tuple[Field, ...]:
    allowed = disclosure.columns(audience)
    return tuple(field for field in FIELDS if field.name in allowed)


class IsoText(Func):
    """A timestamp as PostgreSQL writes it for us, exactly like `datetime.isoformat()` in UTC (the
    fraction only when not zero): formatting in the database is much faster than in Python."""

    template = (
        "replace(to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), '.000000', '')"
        " || '+00:00'"
    )
    output_field = CharField()


def _unless_empty(lookup: str, empty: type) -> NullIf:
    """A JSON column, NULL where it holds its empty value: most cases have no tags and no areas, and
    decoding their `[]` and `{}` row by row took more time than formatting the whole row."""
    return NullIf(lookup, Value(empty(), JSONField()))


def _column(field: Field, in_sql: bool):
    """What the queryset reads for `field`: timestamps as text on PostgreSQL, JSON NULL when empty."""
    if in_sql and field.convert is _iso:
        return IsoText(field.lookup)
    return _unless_empty(field.lookup, field.empty) if field.empty else field.lookup


class Exporter:
    """Encodes a queryset's cases in one format, a fetched batch of rows at a time."""

    def __init__(self, audience):
        self.fields = fields_for(audience)
        self.names = [f.name for f in self.fields]
        exact = disclosure.view(audience).decimals is None
        self.coordinate = None if exact else partial(disclosure.coordinate, audience=audience)
        self.layers = list(AreaLayer.objects.order_by("slug").values_list("slug", flat=True))

    def batches(self, queryset, keys, *, area_names: bool) -> Iterator[list[list]]:
        """Lists of rows `[*values, latitude, longitude, *areas]` in `keys` order, timestamps as ISO
        text. The areas are one name (or None) per layer with `area_names`, else the case's dict."""
        in_sql = connections[queryset.db].vendor == "postgresql"
        columns = [_column(f, in_sql) for f in self.fields]
        converters = [(i, f.convert) for i, f in enumerate(self.fields) if f.convert and not in_sql]
        empties = [(i, f.empty) for i, f in enumerate(self.fields) if f.empty]
        width = len(self.fields)
        if area_names:
            areas = [KeyTextTransform(slug, "areas") for slug in self.layers]
        else:
            areas, empties = [_unless_empty("areas", dict)], [*empties, (width + 2, dict)]
        rounded = self.coordinate
        for batch in keyset_batches(queryset, [*columns, "latitude", "longitude", *areas], keys):
            for row in batch:
                for i, convert in converters:
                    row[i] = convert(row[i])
                for i, empty in empties:
                    if row[i] is None:
                        row[i] = empty()
                if rounded is not None:
                    row[width], row[width + 1] = rounded(row[width]), rounded(row[width + 1])
            yield batch

    def csv(self, queryset, keys=OLDEST_FIRST) -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([*self.names, "latitude", "longitude", *self.layers])
        # Timestamps (ISO text), numbers and lists never start like a formula: only text is checked.
        texts = [i for i, f in enumerate(self.fields) if f.convert is None]
        texts += range(len(self.fields) + 2, len(self.fields) + 2 + len(self.layers))
        for batch in self.batches(queryset, keys, area_names=True):
            for row in batch:
                for i in texts:
                    if isinstance(row[i], str) and row[i].startswith(FORMULA_STARTS):
                        row[i] = "'" + row[i]  # kept as text by a spreadsheet
            writer.writerows(batch)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        yield buffer.getvalue()

    def json(self, queryset, keys=OLDEST_FIRST) -> Iterator[str]:
        names = [*self.names, "latitude", "longitude", "areas"]
        items = (
            [dict(zip(names, row, strict=True)) for row in batch]
            for batch in self.batches(queryset, keys, area_names=False)
        )
        return _joined("[", items, "]\n")

    def geojson(self, queryset, keys=OLDEST_FIRST) -> Iterator[str]:
        names, width = self.names, len(self.names)

        def feature(row):
            properties = dict(zip(names, row, strict=False))  # `row` goes on with the point, the areas
            properties["areas"] = row[-1]
            latitude, longitude = row[width], row[width + 1]
            geometry = None if latitude is None else {"type": "Point", "coordinates": [longitude, latitude]}
            return {"type": "Feature", "geometry": geometry, "properties": properties}

        features = (
            [feature(row) for row in batch] for batch in self.batches(queryset, keys, area_names=False)
        )
        return _joined('{"type":"FeatureCollection","features":[', features, "]}\n")


def keyset_batches(queryset, values: list, keys) -> Iterator[list[list]]:
    """`queryset.values_list(*values)` in `keys` order (which must end with a unique column), as
    lists of at most ROWS_PER_FETCH rows, each fetched by its own query after the last row of the
    one before."""
    ordered = queryset.order_by(*order_by(keys))
    width = len(values)
    last = None
    with one_snapshot(queryset.db):
        while True:
            page = ordered if last is None else ordered.filter(seek(keys, last))
            rows = list(page.values_list(*values, *(key.field for key in keys))[:ROWS_PER_FETCH])
            if not rows:
                return
            last = rows[-1][width:]
            yield [list(row[:width]) for row in rows]
            if len(rows) < ROWS_PER_FETCH:
                return


@contextmanager
def one_snapshot(alias):
    """On PostgreSQL, a REPEATABLE READ, READ ONLY transaction for the reads inside (unless one is
    open already: its own snapshot rules then). An export that stops half-way (the client went
    away) closes its generator, which rolls this back. SQLite (one machine, small exports) reads
    without: a read transaction held for a download's length stops its WAL checkpoints."""
    connection = connections[alias]
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with transaction.atomic(using=alias):
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _joined(start: str, batches: Iterable[list], end: str) -> Iterator[str]:
    """`start item,item,... end`, a chunk per batch: a list encoded at once is its items joined by commas."""
    yield start
    first = True
    for batch in batches:
        yield _encode(batch)[1:-1] if first else "," + _encode(batch)[1:-1]
        first = False
    yield end


def response(exporter: Exporter, queryset, kind: str, name: str, keys=OLDEST_FIRST) -> StreamingHttpResponse:
    """A streamed download of `queryset` in `keys` order (`cases.paging` keys ending with a unique
    one) as `kind` (csv, json, geojson) named `<name>-<date>.<kind>`."""
    body = getattr(exporter, kind)(queryset, keys)
    reply = StreamingHttpResponse((text.encode() for text in body), content_type=KINDS[kind])
    reply["Content-Disposition"] = f'attachment; filename="{name}-{timezone.localdate():%Y-%m-%d}.{kind}"'
    reply["X-Content-Type-Options"] = "nosniff"
    return reply
