from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicdesk.lib.businesstime import (
    Calendar,
    add,
    between,
    is_open,
    next_open,
    open_intervals,
    validate_periods,
)

NEW_YORK = ZoneInfo("America/New_York")
MADRID = ZoneInfo("Europe/Madrid")
HOUR = timedelta(hours=1)
MICRO = timedelta(microseconds=1)
QUARTER = timedelta(minutes=15)
OFFICE = {day: [(time(9), time(17))] for day in range(5)}  # Monday to Friday, 9 to 5
LUNCH = {day: [(time(8), time(12)), (time(13), time(17))] for day in range(5)}


def local(tz, *args, fold=0):
    """Local wall time as a UTC instant (aware datetimes in a repeated hour never equal another zone's)."""
    return datetime(*args, tzinfo=tz, fold=fold).astimezone(UTC)


# ---------------------------------------------------------------- examples


def test_friday_afternoon_plus_two_hours_is_monday_morning():
    cal = Calendar(NEW_YORK, OFFICE)
    due = add(cal, local(NEW_YORK, 2025, 3, 7, 16), 2 * HOUR)  # the weekend also springs forward
    assert due == local(NEW_YORK, 2025, 3, 10, 10)
    assert due.tzinfo is UTC


def test_a_holiday_monday_pushes_the_due_time_to_tuesday():
    cal = Calendar(NEW_YORK, OFFICE, closed=frozenset({date(2025, 9, 1)}))  # Labor Day
    assert add(cal, local(NEW_YORK, 2025, 8, 29, 16), 2 * HOUR) == local(NEW_YORK, 2025, 9, 2, 10)
    assert between(cal, local(NEW_YORK, 2025, 8, 29, 16), local(NEW_YORK, 2025, 9, 2, 10)) == 2 * HOUR


def test_the_lunch_break_does_not_count():
    cal = Calendar(MADRID, LUNCH)
    assert add(cal, local(MADRID, 2025, 6, 2, 11), 2 * HOUR) == local(MADRID, 2025, 6, 2, 14)
    assert between(cal, local(MADRID, 2025, 6, 2, 11), local(MADRID, 2025, 6, 2, 14)) == 2 * HOUR
    assert not is_open(cal, local(MADRID, 2025, 6, 2, 12, 30))
    assert next_open(cal, local(MADRID, 2025, 6, 2, 12, 30)) == local(MADRID, 2025, 6, 2, 13)


def test_counting_starts_at_the_next_opening_and_ends_at_a_closing_edge():
    cal = Calendar(NEW_YORK, OFFICE)
    assert add(cal, local(NEW_YORK, 2025, 6, 2, 6), HOUR) == local(NEW_YORK, 2025, 6, 2, 10)
    full_day = add(cal, local(NEW_YORK, 2025, 6, 2, 9), 8 * HOUR)
    assert full_day == local(NEW_YORK, 2025, 6, 2, 17)  # Monday's closing, not Tuesday's opening
    assert add(cal, local(NEW_YORK, 2025, 6, 7, 12), timedelta(0)) == local(NEW_YORK, 2025, 6, 7, 12)


def test_opening_instants_are_open_and_closing_instants_are_not():
    cal = Calendar(NEW_YORK, OFFICE)
    assert is_open(cal, local(NEW_YORK, 2025, 6, 2, 9))
    assert not is_open(cal, local(NEW_YORK, 2025, 6, 2, 17))
    assert next_open(cal, local(NEW_YORK, 2025, 6, 2, 9)) == local(NEW_YORK, 2025, 6, 2, 9)
    assert next_open(cal, local(NEW_YORK, 2025, 6, 6, 17)) == local(NEW_YORK, 2025, 6, 9, 9)


def test_a_partial_closure_pauses_the_clock():
    storm = (local(NEW_YORK, 2025, 6, 3, 13), local(NEW_YORK, 2025, 6, 3, 20))
    cal = Calendar(NEW_YORK, OFFICE, closures=(storm,))
    assert add(cal, local(NEW_YORK, 2025, 6, 3, 12), 2 * HOUR) == local(NEW_YORK, 2025, 6, 4, 10)
    assert list(open_intervals(cal, local(NEW_YORK, 2025, 6, 3), local(NEW_YORK, 2025, 6, 4))) == [
        (local(NEW_YORK, 2025, 6, 3, 9), local(NEW_YORK, 2025, 6, 3, 13))
    ]


def test_adjacent_intervals_merge_across_midnight():
    cal = Calendar(MADRID, {0: [(time(20), time.max)], 1: [(time(0), time(6))]})
    assert list(open_intervals(cal, local(MADRID, 2025, 6, 2), local(MADRID, 2025, 6, 4))) == [
        (local(MADRID, 2025, 6, 2, 20), local(MADRID, 2025, 6, 3, 6))
    ]


@pytest.mark.parametrize("tz", [NEW_YORK, MADRID])
def test_a_24_7_calendar_is_plain_timedelta_arithmetic(tz):
    cal = Calendar.always_open(tz)
    start = local(tz, 2025, 3, 8, 22, 30)
    for duration in (timedelta(0), MICRO, 5 * HOUR, timedelta(days=240, seconds=7)):  # over both changes
        assert add(cal, start, duration) == start + duration
        assert between(cal, start, start + duration) == duration


def test_a_night_shift_on_spring_forward_night_has_an_hour_less():
    cal = Calendar(NEW_YORK, {5: [(time(22), time(0))], 6: [(time(0), time(4))]})
    saturday = local(NEW_YORK, 2025, 3, 8, 22)
    assert between(cal, local(NEW_YORK, 2025, 3, 9), local(NEW_YORK, 2025, 3, 10)) == 3 * HOUR
    assert list(open_intervals(cal, saturday, saturday + timedelta(days=1))) == [
        (saturday, local(NEW_YORK, 2025, 3, 9, 4))
    ]
    assert add(cal, saturday, 4 * HOUR) == local(NEW_YORK, 2025, 3, 9, 3)  # 02:00 does not exist
    assert add(cal, saturday, 5 * HOUR) == local(NEW_YORK, 2025, 3, 9, 4)


def test_a_night_shift_on_fall_back_night_has_an_hour_more():
    cal = Calendar(NEW_YORK, {5: [(time(22), time(0))], 6: [(time(0), time(4))]})
    saturday = local(NEW_YORK, 2025, 11, 1, 22)
    assert between(cal, local(NEW_YORK, 2025, 11, 2), local(NEW_YORK, 2025, 11, 3)) == 5 * HOUR
    assert add(cal, saturday, 4 * HOUR) == local(NEW_YORK, 2025, 11, 2, 1, fold=1)  # the second 01:00
    assert add(cal, saturday, 7 * HOUR) == local(NEW_YORK, 2025, 11, 2, 4)


def test_skipped_and_repeated_wall_times_resolve_to_the_earliest_instant():
    spring = Calendar(MADRID, {6: [(time(2, 30), time(5))]})  # 2025-03-30: 02:00 jumps to 03:00
    assert next_open(spring, local(MADRID, 2025, 3, 30)) == local(MADRID, 2025, 3, 30, 3)
    assert between(spring, local(MADRID, 2025, 3, 30), local(MADRID, 2025, 3, 31)) == 2 * HOUR
    fall = Calendar(MADRID, {6: [(time(2, 30), time(4))]})  # 2025-10-26: 03:00 goes back to 02:00
    assert next_open(fall, local(MADRID, 2025, 10, 26)) == local(MADRID, 2025, 10, 26, 2, 30, fold=0)
    assert between(fall, local(MADRID, 2025, 10, 26), local(MADRID, 2025, 10, 27)) == timedelta(hours=2.5)


def test_results_are_in_utc_whatever_the_input_zone():
    cal = Calendar(MADRID, OFFICE)
    start = local(NEW_YORK, 2025, 6, 2, 4)  # 10:00 in Madrid
    assert add(cal, start, HOUR) == local(MADRID, 2025, 6, 2, 11)
    assert add(cal, start, HOUR).tzinfo is next_open(cal, start).tzinfo is UTC


def test_validate_periods_reports_overlaps_reversed_and_empty_periods():
    weekly = {
        0: [(time(8), time(12)), (time(11), time(14))],
        2: [(time(17), time(9)), (time(10), time(10))],
        4: [(time(8), time(12)), (time(12), time(0))],  # touching is fine; time(0) ends at midnight
        7: [(time(8), time(9))],
    }
    assert validate_periods(weekly) == [
        "Monday: 08:00–12:00 overlaps 11:00–14:00",
        "Wednesday: 17:00–09:00 ends before it starts",
        "Wednesday: 10:00–10:00 is empty",
        "unknown weekday 7 (0=Monday … 6=Sunday)",
    ]
    assert validate_periods(LUNCH) == []
    with pytest.raises(ValueError, match="overlaps"):
        Calendar(NEW_YORK, weekly)


def test_naive_datetimes_are_refused():
    cal = Calendar(NEW_YORK, OFFICE)
    naive, aware = datetime(2025, 6, 2, 9), local(NEW_YORK, 2025, 6, 2, 9)
    for call in (
        lambda: add(cal, naive, HOUR),
        lambda: between(cal, naive, aware),
        lambda: between(cal, aware, naive),
        lambda: is_open(cal, naive),
        lambda: next_open(cal, naive),
        lambda: list(open_intervals(cal, aware, naive)),
        lambda: Calendar(NEW_YORK, OFFICE, closures=((naive, aware),)),
    ):
        with pytest.raises(ValueError, match="naive"):
            call()


def test_calendars_without_working_time_fail_clearly():
    start = local(NEW_YORK, 2025, 6, 2)
    with pytest.raises(ValueError, match="calendar has no working hours"):
        add(Calendar(NEW_YORK, {0: []}), start, HOUR)
    shut = Calendar(NEW_YORK, OFFICE, closures=((start, start + timedelta(days=365 * 12)),))
    with pytest.raises(ValueError, match="within 10 years"):
        next_open(shut, start)
    assert between(shut, start, start + timedelta(days=365)) == timedelta(0)
    with pytest.raises(ValueError, match="negative"):
        add(Calendar(NEW_YORK, OFFICE), start, -HOUR)


def test_it_adds_business_days_and_counts_a_year():
    cal = Calendar(MADRID, LUNCH, closed=frozenset({date(2025, 12, 25)}))
    due = add(cal, local(MADRID, 2025, 2, 3, 8), 30 * 8 * HOUR)  # 30 business days from a Monday opening
    year = between(cal, local(MADRID, 2025, 1, 1), local(MADRID, 2026, 1, 1))
    assert due == local(MADRID, 2025, 3, 14, 17)  # the sixth Friday's closing
    assert year == (261 - 1) * 8 * HOUR  # 261 weekdays in 2025, less Christmas


# ---------------------------------------------------------------- properties

ZONES = (NEW_YORK, MADRID)
MIDDLE = datetime(2026, 1, 1, tzinfo=UTC)
DAY_US = 86_400 * 10**6


def _transition_days(tz):
    """Local dates whose noon offset differs from the day before: the DST changes from 2024 to 2028."""
    days = [date(2024, 1, 1) + timedelta(days=n) for n in range(5 * 366)]
    noon = {day: datetime.combine(day, time(12), tzinfo=tz).utcoffset() for day in days}
    return [day for previous, day in zip(days, days[1:], strict=False) if noon[day] != noon[previous]]


TRANSITIONS = {tz: _transition_days(tz) for tz in ZONES}


def _weeks(grid_minutes):
    """Weekly schedules with 0-n periods a day: boundaries over the week, paired into shifts.

    Drawn as bytes (one per gap between boundaries, at most two days), because hypothesis' per-draw
    cost dominated the run time. The first byte picks how 24:00 is spelt."""
    slots = 24 * 60 // grid_minutes

    def build(raw):
        gaps = (1 + byte**2 * 2 * slots // 256**2 for byte in raw[1:])  # squared: mostly short gaps
        bounds = [bound for bound in accumulate(gaps) if bound <= 7 * slots]  # at least two: gaps <= 2 days
        midnight = time.max if raw[0] % 2 else time(0)
        return _shifts_to_weekly(bounds[: len(bounds) // 2 * 2], midnight, slots, grid_minutes)

    return st.binary(min_size=3, max_size=13).map(build)


def _shifts_to_weekly(bounds, midnight, slots, grid_minutes):
    """Shifts (pairs of sorted week slots) as weekly periods; one crossing midnight is split there."""
    weekly = {day: [] for day in range(7)}
    for begin, end in zip(bounds[::2], bounds[1::2], strict=True):
        while begin < end:
            day, slot = divmod(begin, slots)
            stop = min(end, (day + 1) * slots)
            closing = midnight if stop % slots == 0 else time(*divmod(stop % slots * grid_minutes, 60))
            weekly[day].append((time(*divmod(slot * grid_minutes, 60)), closing))
            begin = stop
    return weekly


# Strategies are built once: building them inside @st.composite on every draw dominated the run time.
WEEKS = {grid: _weeks(grid) for grid in (15, 60)}
NEAR_A_CHANGE = {
    tz: st.tuples(st.sampled_from(TRANSITIONS[tz]), st.integers(-3 * DAY_US, 3 * DAY_US)) for tz in ZONES
}
ANY_TIME = st.tuples(st.just(None), st.integers(-730 * DAY_US, 730 * DAY_US))
HOLIDAYS = st.frozensets(st.integers(-3, 40), max_size=4)
CLOSURES = st.lists(st.tuples(st.integers(-2 * 96, 30 * 96), st.integers(1, 3 * 96)), max_size=3)


def _start(tz, day, offset, on_grid):
    """A UTC instant: within three days of a DST change, or (day None) within two years of 2026.

    UTC, because the tests add timedeltas to it: in a local zone that would be wall-clock arithmetic."""
    base = MIDDLE if day is None else datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    if on_grid:  # land on the quarter-hour grid too, where the edges are
        offset -= offset % (15 * 60 * 10**6)
    return base + timedelta(microseconds=offset)


@st.composite
def scenarios(draw, grid_minutes=15, closures_on_grid=False):
    """(calendar, start): random weekly periods, holidays near start and closures around it."""
    tz = draw(st.sampled_from(ZONES))
    start = _start(tz, *draw(st.one_of(NEAR_A_CHANGE[tz], ANY_TIME)), draw(st.booleans()))
    spans = [(start + n * QUARTER, start + (n + length) * QUARTER) for n, length in draw(CLOSURES)]
    if closures_on_grid:
        spans = [(_floor(begin, QUARTER), _floor(end, QUARTER)) for begin, end in spans]
    first = start.astimezone(tz).date()
    cal = Calendar(
        tz,
        draw(WEEKS[grid_minutes]),
        closed=frozenset(first + timedelta(days=n) for n in draw(HOLIDAYS)),
        closures=tuple(spans),
    )
    return cal, start


def _floor(moment, step):
    """Round down to a multiple of `step` in UTC, which is one locally too: both offsets are whole hours."""
    utc = moment.astimezone(UTC)
    return utc - (utc - MIDDLE) % step


def up_to(limit):
    """Timedeltas from 0 to `limit`, to the microsecond."""
    return st.integers(0, limit // MICRO).map(lambda micros: micros * MICRO)


durations = st.one_of(
    st.integers(0, 40 * 4).map(lambda quarters: quarters * QUARTER),  # exact multiples reach edges
    up_to(40 * HOUR),
)
PROPERTY = settings(max_examples=200, deadline=None)


@PROPERTY
@given(scenario=scenarios(), duration=durations)
def test_between_inverts_add(scenario, duration):
    cal, start = scenario
    assert between(cal, start, add(cal, start, duration)) == duration
    in_local_time = start.astimezone(cal.tz)
    assert add(cal, in_local_time, duration) == add(cal, start, duration)
    assert between(cal, in_local_time, add(cal, start, duration)) == duration


@PROPERTY
@given(scenario=scenarios(), duration=durations.filter(bool))
def test_a_due_time_is_inside_working_hours_or_at_a_closing_edge(scenario, duration):
    cal, start = scenario
    due = add(cal, start, duration)
    assert is_open(cal, due - MICRO)
    assert due > next_open(cal, start)


@PROPERTY
@given(scenario=scenarios(), durations=st.lists(durations, min_size=2, max_size=2).map(sorted))
def test_add_is_monotonic_in_the_duration(scenario, durations):
    cal, start = scenario
    shorter, longer = durations
    assert add(cal, start, shorter) <= add(cal, start, longer)


@PROPERTY
@given(
    scenario=scenarios(),
    later=up_to(timedelta(days=5)),
    duration=durations,
)
def test_add_is_monotonic_in_the_start(scenario, later, duration):
    cal, start = scenario
    assert add(cal, start, duration) <= add(cal, start + later, duration)


@PROPERTY
@given(scenario=scenarios(), first=durations, second=durations)
def test_add_is_additive_including_zero(scenario, first, second):
    cal, start = scenario
    assert add(cal, add(cal, start, first), second) == add(cal, start, first + second)


@PROPERTY
@given(
    scenario=scenarios(),
    duration=durations,
    pause_at=st.floats(0, 1),
    pause=up_to(timedelta(days=3)),
)
def test_pausing_the_clock_never_brings_the_due_time_forward(scenario, duration, pause_at, pause):
    cal, start = scenario
    due = add(cal, start, duration)
    paused = min(start + (due - start) * pause_at, due)
    resumed = paused + pause
    remaining = duration - between(cal, start, paused)
    assert add(cal, resumed, remaining) >= due


@PROPERTY
@given(
    scenario=scenarios(),
    gaps=st.lists(up_to(timedelta(days=4)), min_size=2, max_size=2),
)
def test_between_is_additive_over_splits(scenario, gaps):
    cal, a = scenario
    b = a + gaps[0]
    c = b + gaps[1]
    assert between(cal, a, c) == between(cal, a, b) + between(cal, b, c)
    assert between(cal, c, a) == timedelta(0)


@PROPERTY
@given(scenario=scenarios(grid_minutes=60, closures_on_grid=True))
def test_agrees_with_a_wall_clock_reading_every_quarter_hour(scenario):
    """An independent oracle: sample real instants and read the local clock. With boundaries on whole hours
    (never strictly inside a repeated hour) "the wall time lies in a period" is the same rule as ours."""
    cal, start = scenario
    first = _floor(start, QUARTER)
    samples = [first + n * QUARTER for n in range(4 * 24 * 3)]
    expected = [_reads_open(cal, moment) for moment in samples]
    intervals = list(open_intervals(cal, first, samples[-1] + QUARTER))
    assert [any(a <= moment < b for a, b in intervals) for moment in samples] == expected
    assert [is_open(cal, moment) for moment in samples[::7]] == expected[::7]  # is_open is slower: spot-check
    assert between(cal, first, samples[-1] + QUARTER) == sum(expected) * QUARTER


def _reads_open(cal, moment):
    wall = moment.astimezone(cal.tz)
    if wall.date() in cal.closed or any(begin <= moment < end for begin, end in cal.closures):
        return False
    clock = wall.time().replace(fold=0, tzinfo=None)
    return any(
        begin <= clock and (end in (time(0), time.max) or clock < end)
        for begin, end in cal.weekly.get(wall.weekday(), ())
    )


@PROPERTY
@given(scenario=scenarios(), span=up_to(timedelta(days=10)))
def test_open_intervals_are_ordered_merged_and_clipped(scenario, span):
    cal, start = scenario
    intervals = list(open_intervals(cal, start, start + span))
    bounds = [moment for interval in intervals for moment in interval]
    assert bounds == sorted(bounds) and len(set(bounds)) == len(bounds)  # disjoint, never touching
    assert all(start <= moment <= start + span for moment in bounds)
    assert all(is_open(cal, opening) and is_open(cal, closing - MICRO) for opening, closing in intervals)
    assert all(not is_open(cal, closing) for _, closing in intervals if closing < start + span)


@PROPERTY
@given(scenario=scenarios())
def test_next_open_is_the_instant_itself_exactly_when_open(scenario):
    cal, start = scenario
    assert (next_open(cal, start) == start) == is_open(cal, start)
    assert is_open(cal, next_open(cal, start))
    assert next_open(cal, start.astimezone(cal.tz)) == next_open(cal, start)
    assert is_open(cal, start.astimezone(cal.tz)) == is_open(cal, start)
