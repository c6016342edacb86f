"""Keyset ("seek") pagination: the next page starts after the last row shown, not at an OFFSET.

A page costs the same at row 50 as at row 900,000, and a row added or removed meanwhile does not
shift the pages. The sort keys must end with a unique column (the primary key) so the order is
total. Nullable keys sort their NULLs last going forwards (first going backwards), on SQLite and
PostgreSQL alike.
"""

import base64
import binascii
import json
from dataclasses import dataclass
from functools import reduce
from operator import and_, or_

from django.db.models import F, Q
from django.utils.dateparse import parse_datetime

from civicdesk.lib.dates import in_range


@dataclass(frozen=True)
class Key:
    field: str
    descending: bool = False
    nullable: bool = False


@dataclass
class Page:
    items: list
    next_cursor: str | None
    previous_cursor: str | None

    @property
    def has_other_pages(self):
        return bool(self.next_cursor or self.previous_cursor)


def order_by(keys, backwards=False):
    expressions = []
    for key in keys:
        descending = key.descending != backwards
        expression = F(key.field).desc if descending else F(key.field).asc
        if not key.nullable:
            # A NULLS clause on a NOT NULL column stops PostgreSQL from using its index: a full sort.
            expressions.append(expression())
        else:
            expressions.append(expression(nulls_first=True) if backwards else expression(nulls_last=True))
    return expressions


def _beyond(key, value, backwards):
    """Rows strictly after `value` in this key's direction (reversed when paging backwards)."""
    larger = key.descending == backwards
    if value is None:
        # NULL is last going forwards: nothing comes after it, every non-NULL comes before it.
        return Q(**{f"{key.field}__isnull": False}) if backwards else Q(pk__in=[])
    condition = Q(**{f"{key.field}__{'gt' if larger else 'lt'}": value})
    if key.nullable and not backwards:
        condition |= Q(**{f"{key.field}__isnull": True})
    return condition


def _equal(key, value):
    return Q(**{f"{key.field}__isnull": True}) if value is None else Q(**{key.field: value})


def seek(keys, values, backwards=False):
    """`(k1, k2, ...) > (v1, v2, ...)` in the sort order, spelled out so NULLs are handled."""
    alternatives = []
    for i, key in enumerate(keys):
        equal_before = [_equal(k, v) for k, v in zip(keys[:i], values[:i], strict=True)]
        alternatives.append(reduce(and_, [*equal_before, _beyond(key, values[i], backwards)]))
    return reduce(or_, alternatives)


def paginate(queryset, keys, *, after=None, before=None, size=50):
    """One page of `queryset` in `keys` order, after or before a cursor from an earlier page."""
    backwards = before is not None and after is None
    cursor = decode_cursor(before if backwards else after, keys, queryset.model)
    if cursor is not None:
        queryset = queryset.filter(seek(keys, cursor, backwards))
    rows = list(queryset.order_by(*order_by(keys, backwards))[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    first, last = (rows[0], rows[-1]) if rows else (None, None)
    has_next = more if not backwards else cursor is not None
    has_previous = more if backwards else cursor is not None
    return Page(
        items=rows,
        next_cursor=encode_cursor(last, keys) if has_next and last is not None else None,
        previous_cursor=encode_cursor(first, keys) if has_previous and first is not None else None,
    )


def encode_cursor(row, keys):
    values = []
    for key in keys:
        value = getattr(row, key.field)
        values.append(value.isoformat() if hasattr(value, "isoformat") else value)
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(text, keys, model):
    """The key values in a cursor, or None for a missing or mangled one (start from the top)."""
    if not text:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (ValueError, binascii.Error):
        return None
    if not isinstance(values, list) or len(values) != len(keys):
        return None
    try:
        return [_from_json(model, key, value) for key, value in zip(keys, values, strict=True)]
    except (TypeError, ValueError):
        return None


def _from_json(model, key, value):
    if value is None:
        if not key.nullable:
            raise ValueError(key.field)
        return None
    internal = model._meta.get_field("id" if key.field == "pk" else key.field).get_internal_type()
    if internal == "DateTimeField":
        parsed = parse_datetime(value)
        if parsed is None or not in_range(parsed):
            raise ValueError(value)
        return parsed
    if internal.endswith("IntegerField") or internal.endswith("AutoField"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(value)
        return value
    return str(value)
