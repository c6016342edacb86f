"""Business-time arithmetic for SLA clocks: "respond within 2 business days", "resolve within 8 hours".

Pure Python (no Django, no database). A `Calendar` describes a city's working week in local wall time plus
holidays and partial closures; the functions below count working time in real elapsed time.

Semantics, chosen so the functions compose without edge cases:

* Every input datetime must be timezone-aware (ValueError otherwise); every output is in UTC.
* Working time is half-open: an interval [open, close) contains its opening instant but not its closing one.
* A weekly period is converted to real time per local date. A wall time maps to the earliest instant at
  which the local clock reads that time or later, so:
  - an ambiguous wall time (the repeated hour when clocks fall back) is its first occurrence (fold=0);
  - a non-existent wall time (skipped when clocks spring forward) is the instant of the jump.
  A period 00:00-04:00 thus holds 3 real hours on a spring-forward night and 5 on a fall-back night.
  An end of time(0) or time.max means the following midnight.
* `add(cal, start, d)` is the earliest instant t >= start with between(cal, start, t) >= d. Hence a due time
  that exhausts an interval exactly is that interval's closing instant (not the next opening), and
  add(cal, t, 0) == t even when closed: zero is neutral, so add(add(s, a), b) == add(s, a + b) for all
  a, b >= 0. Use next_open() for "the earliest time someone can act".
"""

import bisect
import functools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from itertools import combinations
from types import MappingProxyType

Period = tuple[time, time]
Interval = tuple[datetime, datetime]

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ONE_DAY = timedelta(days=1)
RESOLUTION = timedelta(microseconds=1)
HORIZON_YEARS = 10
HORIZON = timedelta(days=366 * HORIZON_YEARS)


@dataclass(frozen=True)
class Calendar:
    """A working calendar: weekly periods (weekday 0=Monday -> [(start, end), ...]) in `tz` wall time,
    closed local dates (holidays) and partial closures (aware datetime ranges).

    Construction normalises the fields (sorted tuples, closures in UTC and merged) and raises ValueError
    for invalid periods (see validate_periods), naive closures, or datetimes in `closed`."""

    tz: tzinfo
    weekly: Mapping[int, Sequence[Period]]
    closed: frozenset[date] = frozenset()
    closures: tuple[Interval, ...] = ()

    def __post_init__(self):
        if problems := validate_periods(self.weekly):
            raise ValueError("invalid working periods: " + "; ".join(problems))
        if any(isinstance(day, datetime) for day in self.closed):  # a datetime never equals a date
            raise ValueError("closed holds local dates, not datetimes")
        weekly = {day: tuple(sorted(periods)) for day, periods in self.weekly.items() if periods}
        object.__setattr__(self, "weekly", MappingProxyType(weekly))
        object.__setattr__(self, "closed", frozenset(self.closed))
        object.__setattr__(self, "closures", _merge_closures(self.closures))

    @classmethod
    def always_open(cls, tz: tzinfo) -> "Calendar":
        """24/7, e.g. for emergencies: working time equals elapsed time."""
        return cls(tz, {day: [(time(0), time(0))] for day in range(7)})


def validate_periods(weekly: Mapping[int, Sequence[Period]]) -> list[str]:
    """Human-readable problems with a weekly schedule ([] when fine). Touching periods are fine."""
    problems = []
    for day, periods in weekly.items():
        if day not in range(7):
            problems.append(f"unknown weekday {day!r} (0=Monday … 6=Sunday)")
            continue
        name = DAY_NAMES[day]
        problems += [f"{name}: {problem}" for problem in map(_period_problem, periods) if problem]
        spans = sorted(_span(period) for period in periods if not _period_problem(period))
        problems += [
            f"{name}: {_label(first)} overlaps {_label(second)}"
            for first, second in combinations(spans, 2)
            if second[0] < first[1]  # sorted by start, so this is the only way to overlap
        ]
    return problems


def open_intervals(cal: Calendar, start: datetime, end: datetime) -> Iterator[Interval]:
    """Working intervals within [start, end) in UTC, in order, clipped to [start, end) and merged where
    they touch (across midnight or around a closure's edge). Closed dates and closures are left out."""
    # In UTC: adding a timedelta to an aware datetime in a local zone is wall-clock arithmetic.
    start, end = _utc(start), _utc(end)
    current = None
    for piece in _pieces(cal, start, end):
        if current and piece[0] <= current[1]:
            current = (current[0], max(current[1], piece[1]))
        else:
            if current:
                yield current
            current = piece
    if current:
        yield current


def is_open(cal: Calendar, at: datetime) -> bool:
    """Whether `at` is working time (an opening instant is open, a closing one is not)."""
    at = _utc(at)
    return any(True for _ in open_intervals(cal, at, at + RESOLUTION))


def next_open(cal: Calendar, at: datetime) -> datetime:
    """The first working instant at or after `at` (`at` itself, in UTC, if open)."""
    at = _utc(at)
    for opening, _ in _ahead(cal, at):
        return opening
    raise _beyond_horizon(at)


def add(cal: Calendar, start: datetime, duration: timedelta) -> datetime:
    """The earliest instant by which `duration` of working time has elapsed since `start` (UTC).

    Counting begins at the next opening when `start` is outside hours. An interval exhausted exactly
    gives its closing instant. add(cal, t, timedelta(0)) == t, even outside hours."""
    start = _utc(start)
    if duration < timedelta(0):
        raise ValueError("duration must not be negative")
    intervals = _ahead(cal, start)  # refuses a calendar without working hours, even for a zero duration
    if not duration:
        return start  # nothing has to elapse, so no need to wait for an opening
    remaining = duration
    for opening, closing in intervals:
        if remaining <= closing - opening:
            return opening + remaining
        remaining -= closing - opening
    raise _beyond_horizon(start)


def between(cal: Calendar, start: datetime, end: datetime) -> timedelta:
    """Working time elapsed in [start, end); zero when end <= start."""
    return sum((closing - opening for opening, closing in open_intervals(cal, start, end)), timedelta(0))


# ---------------------------------------------------------------- internals


def _ahead(cal: Calendar, start: datetime) -> Iterator[Interval]:
    """Working intervals from `start` (UTC) up to the horizon, which keeps a calendar closed for years
    (or an absurd duration) from searching for ever."""
    if not any(cal.weekly.values()):
        raise ValueError("calendar has no working hours")
    # Unmerged pieces, lazily: merging touching intervals would read ahead to the next gap, which for a
    # 24/7 calendar means the whole ten-year horizon on every call.
    return _pieces(cal, start, start + HORIZON)


def _beyond_horizon(start: datetime) -> ValueError:
    return ValueError(f"no working time left within {HORIZON_YEARS} years of {start.isoformat()}")


def _pieces(cal: Calendar, start: datetime, end: datetime) -> Iterator[Interval]:
    """Unmerged working pieces clipped to [start, end), walking local dates one at a time."""
    # A day either side: near odd transitions (clocks falling back over midnight) an instant's local
    # date can differ from the day whose periods contain it.
    day = start.astimezone(cal.tz).date() - ONE_DAY
    last = end.astimezone(cal.tz).date() + ONE_DAY
    while day <= last:
        if day not in cal.closed:
            for opening, closing in _day_intervals(cal.tz, day, cal.weekly.get(day.weekday(), ())):
                yield from _minus_closures(cal.closures, max(opening, start), min(closing, end))
        day += ONE_DAY


@functools.lru_cache(maxsize=8192)
def _day_intervals(tz: tzinfo, day: date, periods: tuple[Period, ...]) -> tuple[Interval, ...]:
    """One local date's periods as UTC intervals (cached: SLA clocks revisit the same weeks constantly)."""
    return tuple(
        (_instant(tz, datetime.combine(day, opening)), _instant(tz, _end_wall(day, closing)))
        for opening, closing in periods
    )


def _end_wall(day: date, closing: time) -> datetime:
    if closing in (time(0), time.max):  # "until midnight"
        return datetime.combine(day + ONE_DAY, time(0))
    return datetime.combine(day, closing)


def _instant(tz: tzinfo, wall: datetime) -> datetime:
    """The earliest UTC instant at which the clock in `tz` reads the naive `wall` or later."""
    utc = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)  # fold=0: first of two ambiguous instants
    if _wall(utc, tz) == wall:
        return utc
    # `wall` is skipped by a forward jump: fold=1 reads before it, fold=0 after. Find the jump by
    # bisection; this happens a few times a year per boundary, so simplicity beats zone-table parsing.
    before = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    while utc - before > RESOLUTION:
        middle = before + (utc - before) / 2
        before, utc = (before, middle) if _wall(middle, tz) >= wall else (middle, utc)
    return utc


def _wall(moment: datetime, tz: tzinfo) -> datetime:
    return moment.astimezone(tz).replace(tzinfo=None)


def _minus_closures(closures: tuple[Interval, ...], start: datetime, end: datetime) -> Iterator[Interval]:
    """[start, end) with the (sorted, merged) closures cut out."""
    if start >= end:
        return
    first = bisect.bisect_right(closures, start, key=lambda closure: closure[1])  # first ending after start
    for closed_from, closed_until in closures[first:]:
        if closed_from >= end:
            break
        if closed_from > start:
            yield start, closed_from
        start = closed_until
    if start < end:
        yield start, end


def _merge_closures(closures: Iterable[Interval]) -> tuple[Interval, ...]:
    """Closures in UTC, sorted and merged, so each working interval can bisect into them."""
    spans = sorted((_utc(begin), _utc(finish)) for begin, finish in closures)
    if any(finish < begin for begin, finish in spans):
        raise ValueError("a closure ends before it starts")
    merged: list[Interval] = []
    for begin, finish in spans:
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], finish))
        elif begin < finish:
            merged.append((begin, finish))
    return tuple(merged)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment.isoformat()}: pass a timezone-aware datetime")
    return moment.astimezone(UTC)


def _period_problem(period: Period) -> str | None:
    opening, closing = period
    if opening.tzinfo or closing.tzinfo:
        return f"{_label(_span(period))} must be local wall times, without a time zone"
    start, end = _span(period)
    if end < start:
        return f"{_label((start, end))} ends before it starts"
    return f"{_label((start, end))} is empty" if end == start else None


def _span(period: Period) -> tuple[timedelta, timedelta]:
    """A period as offsets from midnight, an end of time(0) or time.max counting as 24:00."""
    opening, closing = period
    end = ONE_DAY if closing in (time(0), time.max) else _since_midnight(closing)
    return _since_midnight(opening), end


def _since_midnight(moment: time) -> timedelta:
    return timedelta(
        hours=moment.hour, minutes=moment.minute, seconds=moment.second, microseconds=moment.microsecond
    )


def _label(span: tuple[timedelta, timedelta]) -> str:
    return "–".join(_clock(offset) for offset in span)


def _clock(offset: timedelta) -> str:
    minutes, seconds = divmod(offset.total_seconds(), 60)
    text = f"{int(minutes // 60):02d}:{int(minutes % 60):02d}"
    return text + (f":{seconds:02g}" if seconds else "")
