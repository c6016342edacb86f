"""Reading Open311 parameters: an empty value is a missing one; every problem is an `Open311Error`."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from civicdesk.lib.dates import FIRST_YEAR, LAST_YEAR, in_range

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
MAX_IDS = MAX_PAGE_SIZE
DEFAULT_WINDOW = timedelta(days=90)
# Dates near datetime's limits overflow when shifted (time zones, the default window): a 500.


class Open311Error(Exception):
    """One or more problems with a request, answered with the spec's error body."""

    def __init__(self, status, *descriptions, headers=None):
        super().__init__(*descriptions)
        self.status, self.descriptions, self.headers = status, [str(d) for d in descriptions], headers or {}


def value(data, name):
    text = data.get(name, "")
    text = text.strip() if isinstance(text, str) else ""
    return text or None


def bad(name, message):
    return Open311Error(400, f"{name}: {message}")


def moment(data, name):
    text = value(data, name)
    if text is None:
        return None
    try:
        parsed = parse_datetime(text)
    except ValueError:
        parsed = None
    if parsed is None:
        raise bad(name, _("not a date and time; use W3C format, e.g. 2026-01-05T13:15:30-05:00."))
    if parsed.tzinfo is None:
        raise bad(name, _("give a time zone, e.g. 2026-01-05T13:15:30Z or 2026-01-05T13:15:30-05:00."))
    if not in_range(parsed):
        raise bad(name, _("use a year from %(low)d to %(high)d.") % {"low": FIRST_YEAR, "high": LAST_YEAR})
    return parsed


def number(data, name, default, low, high):
    text = value(data, name)
    if text is None:
        return default
    try:
        result = int(text) if len(text) < 10 else None
    except ValueError:
        result = None
    if result is None or not low <= result <= high:
        raise bad(name, _("must be a whole number from %(low)d to %(high)d.") % {"low": low, "high": high})
    return result


def words(data, name, limit=MAX_IDS):
    """A comma-separated list, without blanks and repeats."""
    text = value(data, name)
    if text is None:
        return []
    items = list(dict.fromkeys(item.strip() for item in text.split(",") if item.strip()))
    if len(items) > limit:
        raise bad(name, _("give at most %(limit)d values.") % {"limit": limit})
    return items


def flag(data, name):
    text = (value(data, name) or "false").lower()
    if text not in ("true", "false", "1", "0"):
        raise bad(name, _("must be true or false."))
    return text in ("true", "1")


@dataclass
class Query:
    """What GET requests.{fmt} (and servicerequestupdates) asked for."""

    ids: list[str] = field(default_factory=list)
    service_codes: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    start: datetime | None = None
    end: datetime | None = None
    updated_after: datetime | None = None
    updated_before: datetime | None = None
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    extensions: bool = False

    @property
    def offset(self):
        return (self.page - 1) * self.page_size


def read_query(data):
    query = Query(
        ids=words(data, "service_request_id"),
        service_codes=words(data, "service_code"),
        statuses=[s.lower() for s in words(data, "status")],
        start=moment(data, "start_date"),
        end=moment(data, "end_date"),
        updated_after=moment(data, "updated_after"),
        updated_before=moment(data, "updated_before"),
        page=number(data, "page", 1, 1, 1_000_000),
        page_size=number(data, "page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE),
        extensions=flag(data, "extensions"),
    )
    if unknown := [s for s in query.statuses if s not in ("open", "closed")]:
        raise bad("status", _("“%(value)s” is not open or closed.") % {"value": unknown[0]})
    if query.start and query.end and query.start > query.end:
        raise bad("start_date", _("must be before end_date."))
    if not (query.start or query.end or query.updated_after or query.updated_before):
        query.start = timezone.now() - DEFAULT_WINDOW  # the spec's default: the last 90 days
    elif query.end and not query.start and not (query.updated_after or query.updated_before):
        query.start = query.end - DEFAULT_WINDOW
    return query
