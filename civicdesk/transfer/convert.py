"""One source record -> the facts of one case, or a RowError saying why not. Pure: no database.

This is the importer's hot path (a million rows a minute), so dates in the formats cities really
use are parsed by slicing instead of `strptime`, and values are picked by position, not by name.
"""

from dataclasses import dataclass
from datetime import datetime
from math import isfinite

from django.utils.translation import gettext as _

from civicdesk.cases.workflow import FINISHED, Status
from civicdesk.lib.dates import FIRST_YEAR, LAST_YEAR, in_range

from .mapping import COLUMNS, Mapping

MAX_SOURCE_ID = 64
MAX_ADDRESS = 300
RESOLVED = {Status.RESOLVED, Status.CLOSED}
# Dates are accepted in these years only: far enough from datetime's limits (1 and 9999) that moving
# to UTC or adding a day cannot overflow, and wide enough for any real case.


class RowError(Exception):
    """This record cannot become a case; the message is the report's reason."""


@dataclass(slots=True)
class Record:
    line: int
    source_id: str
    status: str
    service: str  # the mapping's service key
    service_name: str
    department: str  # the mapping's department key ("" for none)
    department_name: str
    channel: str
    created: datetime
    updated: datetime
    closed: datetime | None  # when it reached its final status (finished cases only)
    resolved: datetime | None
    due: datetime | None
    latitude: float | None
    longitude: float | None
    address: str
    description: str
    status_reason: str


def _us_12h(text):
    """`05/01/2022 12:00:03 AM` (NYC); anything else raises ValueError for the next format."""
    if len(text) != 22 or text[2] != "/" or text[5] != "/" or text[19] != " ":
        raise ValueError(text)
    hour = int(text[11:13])
    if not 1 <= hour <= 12:
        raise ValueError(text)
    marker = text[20:]
    if marker == "PM":
        hour = hour % 12 + 12
    elif marker == "AM":
        hour = hour % 12
    else:
        raise ValueError(text)
    # Rewritten as ISO for the C parser, which also checks every digit.
    return datetime.fromisoformat(f"{text[6:10]}-{text[0:2]}-{text[3:5]} {hour:02d}{text[13:19]}")


FAST = {"%m/%d/%Y %I:%M:%S %p": _us_12h, "iso": datetime.fromisoformat}


def date_parser(formats, zone):
    """text -> aware datetime, trying each format; naive results are local time in `zone`."""
    parsers = [FAST.get(f) or (lambda text, f=f: datetime.strptime(text, f)) for f in formats]  # noqa: DTZ007

    def parse(text):
        for parser in parsers:
            try:
                value = parser(text)
                break
            except ValueError:
                continue
        else:
            raise ValueError(text)
        if value.tzinfo is None:
            return value.replace(tzinfo=zone)
        return value

    return parse


def _latest(first, *others):
    """The latest of the dates given (None for those missing)."""
    for other in others:
        if other is not None and other > first:
            first = other
    return first


class Converter:
    """Turns `(line, values)` from a reader into a Record, by the mapping's rules."""

    def __init__(self, mapping: Mapping):
        self.mapping = mapping
        self.columns = sorted(mapping.needed_columns)
        position = {name: i for i, name in enumerate(self.columns)}
        self.fields = {field: [position[c] for c in names] for field, names in mapping.columns.items()}
        self.parse_date = date_parser(mapping.date_formats, mapping.zone)
        self.south, self.west, self.north, self.east = mapping.bounds
        self.getters = {field: self._getter(field) for field in COLUMNS}

    def value(self, values, field):
        """The field's text from a record's values ("" when the mapping has no column for it)."""
        return self.getters[field](values)

    def _getter(self, field):
        positions = self.fields.get(field)
        separator = {"address": ", ", "description": "\n", "status_reason": "\n"}.get(field, " / ")
        if not positions:
            return lambda values: ""
        if len(positions) == 1:
            position = positions[0]
            return lambda values: values[position].strip()
        return lambda values: separator.join(v for p in positions if (v := values[p].strip()))

    def _date(self, values, field, required=False):
        text = self.getters[field](values)
        if not text:
            if required:
                raise RowError(_("missing date in “%(column)s”") % {"column": self._label(field)})
            return None
        try:
            value = self.parse_date(text)
        except ValueError:
            raise RowError(
                _("bad date “%(value)s” in “%(column)s”") % {"value": text[:40], "column": self._label(field)}
            ) from None
        if not in_range(value):
            raise RowError(
                _("date “%(value)s” in “%(column)s” is outside the years %(first)d to %(last)d")
                % {"value": text[:40], "column": self._label(field), "first": FIRST_YEAR, "last": LAST_YEAR}
            )
        return value

    def _label(self, field):
        return " + ".join(self.mapping.columns[field])

    def convert(self, line, values):
        get = self.getters
        source_id = get["id"](values)
        if not source_id:
            raise RowError(_("missing id"))
        if len(source_id) > MAX_SOURCE_ID:
            raise RowError(_("id longer than %(max)d characters") % {"max": MAX_SOURCE_ID})
        raw_status = get["status"](values)
        status = self.mapping.status.get(raw_status)
        if status is None:
            raise RowError(_("unknown status “%(value)s”") % {"value": raw_status[:40]})
        service = get["service"](values)
        if not service:
            raise RowError(_("missing service in “%(column)s”") % {"column": self._label("service")})
        created = self._date(values, "created", required=True)
        updated = self._date(values, "updated") or created
        closed, resolved = self._ends(values, status, updated)
        if closed is not None and closed < created:
            raise RowError(_("closed before it was created"))
        latitude, longitude = self._point(values)
        return Record(
            line=line,
            source_id=source_id,
            status=status,
            service=service,
            service_name=get["service_name"](values) or service,
            department=get["department"](values),
            department_name=get["department_name"](values),
            channel=self.mapping.channels.get(get["channel"](values), self.mapping.default_channel),
            created=created,
            updated=_latest(created, updated, closed, resolved),
            closed=closed,
            resolved=resolved,
            due=self._date(values, "due"),
            latitude=latitude,
            longitude=longitude,
            address=" ".join(get["address"](values).split())[:MAX_ADDRESS],
            description=get["description"](values),
            status_reason=get["status_reason"](values).strip(),
        )

    def _ends(self, values, status, updated):
        """(closed, resolved) times; a finished case without a closing time closed at its last update."""
        if status not in FINISHED:
            return None, None
        closed = self._date(values, "closed") or updated
        resolved = (self._date(values, "resolved") or closed) if status in RESOLVED else None
        return (closed if status != Status.RESOLVED else None), resolved

    def _point(self, values):
        text_lat, text_lon = self.getters["latitude"](values), self.getters["longitude"](values)
        if not text_lat and not text_lon:
            return None, None
        if not (text_lat and text_lon):
            raise RowError(_("only one of latitude and longitude is given"))
        try:
            latitude, longitude = float(text_lat), float(text_lon)
        except ValueError:
            raise RowError(
                _("unparseable coordinates “%(lat)s, %(lon)s”") % {"lat": text_lat[:20], "lon": text_lon[:20]}
            ) from None
        if (latitude, longitude) in self.mapping.placeholders:
            return None, None
        if not (
            isfinite(latitude)
            and isfinite(longitude)
            and self.south <= latitude <= self.north
            and self.west <= longitude <= self.east
        ):
            raise RowError(
                _("coordinates %(lat)s, %(lon)s are outside the plausible area")
                % {"lat": text_lat[:20], "lon": text_lon[:20]}
            )
        return latitude, longitude
