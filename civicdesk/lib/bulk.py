"""Raw bulk inserts for loaders that bypass the actions on purpose (generate_cases, import_cases).

Rows are lists in a model's column order, written by PostgreSQL `COPY` or `executemany`.
"""

import json
import os
from base64 import urlsafe_b64encode
from operator import itemgetter

from django.db import connection, models

dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
EVENT_FIELDS = ("case_id", "actor_id", "actor_label", "created_at", "kind", "changes", "public", "message")


def tracking_tokens(count):
    """`secrets.token_urlsafe(24)` for a whole batch with one call to the system's random source."""
    raw = os.urandom(24 * count)
    return [urlsafe_b64encode(raw[i : i + 24]).decode() for i in range(0, 24 * count, 24)]


class Table:
    """Column order, defaults and value conversions for raw inserts into one model's table."""

    def __init__(self, model, skip=()):
        self.model = model
        self.fields = [f for f in model._meta.concrete_fields if f.attname not in skip]
        self.columns = [f.column for f in self.fields]
        self.index = {f.attname: i for i, f in enumerate(self.fields)}
        self.template = [None if f.null else f.get_default() for f in self.fields]
        self.json = [i for i, f in enumerate(self.fields) if isinstance(f, models.JSONField)]
        self.datetimes = [i for i, f in enumerate(self.fields) if isinstance(f, models.DateTimeField)]

    def row(self, **values):
        row = self.template.copy()
        for name, value in values.items():
            row[self.index[name]] = value
        return row

    def maker(self, names):
        """A fast row builder for values always given in the order of `names` (defaults fill the rest)."""
        missing = [f.attname for f in self.fields if f.attname not in names]
        defaults = tuple(self.template[self.index[name]] for name in missing)
        order = [*names, *missing]
        pick = itemgetter(*[order.index(f.attname) for f in self.fields])
        return lambda values: list(pick(values + defaults))

    def prepare(self, row, adapt_datetime):
        for i in self.json:
            if not isinstance(row[i], str):
                row[i] = dumps(row[i])
        if adapt_datetime is not None:
            for i in self.datetimes:
                if row[i] is not None:
                    row[i] = adapt_datetime(row[i])
        return row


def insert(table, rows):
    """Write rows (lists in column order, `prepare`d): COPY on PostgreSQL, else executemany."""
    name, columns = table.model._meta.db_table, ", ".join(table.columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {name} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(table.columns))
            cursor.executemany(f"INSERT INTO {name} ({columns}) VALUES ({marks})", rows)  # noqa: S608
