"""Invariants of calendar and fiscal periods, checked on generated days and calendars.

The reference below computes periods another way than the module does: months are
counted from the year 0 with integer arithmetic (no relativedelta), and ISO weeks are
found from their Thursday (no ``isocalendar``).
"""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import date, timedelta

from hypothesis import example, given
from hypothesis import strategies as st

from leadflow.forecasting.periods import CALENDAR, FiscalCalendar, Period, PeriodUnit

# Four-digit (fiscal and ISO) years, with room for shifts of up to a century.
DAYS = st.dates(min_value=date(1100, 1, 1), max_value=date(9899, 12, 31))
CALENDARS = st.builds(
    FiscalCalendar,
    start_month=st.integers(min_value=1, max_value=12),
    name_by=st.sampled_from(["end", "start"]),
)
UNITS = st.sampled_from(list(PeriodUnit))
SIZES = {PeriodUnit.MONTH: 1, PeriodUnit.QUARTER: 3, PeriodUnit.HALF: 6, PeriodUnit.YEAR: 12}


def _month_start(index: int) -> date:
    """The first day of month number ``index`` counted from January of the year 0."""
    year, month = divmod(index, 12)
    return date(year, month + 1, 1)


def reference(calendar: FiscalCalendar, day: date, unit: PeriodUnit) -> tuple[str, date, date]:
    """Label, start and end of the period of ``unit`` holding ``day``, worked out afresh."""
    if unit is PeriodUnit.WEEK:
        monday = day - timedelta(days=day.weekday())
        thursday = monday + timedelta(days=3)  # the week's ISO year is its Thursday's year
        week = (thursday - date(thursday.year, 1, 1)).days // 7 + 1
        return f"{thursday.year}-W{week:02d}", monday, monday + timedelta(days=7)
    size = SIZES[unit]
    index = day.year * 12 + day.month - 1
    if unit is PeriodUnit.MONTH:
        return f"{day.year}-{day.month:02d}", _month_start(index), _month_start(index + 1)
    shift = calendar.start_month - 1
    first = (index - shift) // size * size + shift  # the period's first month
    year_first = (index - shift) // 12 * 12 + shift  # the fiscal year's first month
    start_year = year_first // 12
    if calendar.start_month == 1:
        name = str(start_year)
    else:
        name = f"FY{start_year + 1 if calendar.name_by == 'end' else start_year}"
    part = (first - year_first) // size + 1
    suffix = {PeriodUnit.YEAR: "", PeriodUnit.HALF: f"H{part}", PeriodUnit.QUARTER: f"Q{part}"}
    return name + suffix[unit], _month_start(first), _month_start(first + size)


@given(CALENDARS, DAYS, UNITS)
@example(CALENDAR, date(2024, 12, 30), PeriodUnit.WEEK)
@example(CALENDAR, date(2027, 1, 3), PeriodUnit.WEEK)
@example(FiscalCalendar(start_month=12), date(2026, 12, 1), PeriodUnit.QUARTER)
@example(FiscalCalendar(start_month=2), date(2024, 2, 29), PeriodUnit.YEAR)
def test_period_of_matches_the_reference_and_holds_the_day(
    calendar: FiscalCalendar, day: date, unit: PeriodUnit
) -> None:
    period = calendar.period_of(day, unit)
    assert (period.label, period.start, period.end) == reference(calendar, day, unit)
    assert period.unit is unit
    assert day in period
    assert period.start <= day <= period.last_day < period.end
    assert calendar.period_of(period.start, unit) == period
    assert calendar.period_of(period.last_day, unit) == period
    assert calendar.period_key(unit.value)(day) == period


@given(CALENDARS, DAYS, UNITS)
def test_period_lengths(calendar: FiscalCalendar, day: date, unit: PeriodUnit) -> None:
    days = calendar.period_of(day, unit).days
    expected = {
        PeriodUnit.WEEK: {7},
        PeriodUnit.MONTH: {28, 29, 30, 31},
        PeriodUnit.QUARTER: {89, 90, 91, 92},
        PeriodUnit.HALF: {181, 182, 183, 184},
        PeriodUnit.YEAR: {365, 366},
    }
    assert days in expected[unit]


@given(CALENDARS, DAYS, UNITS, st.integers(min_value=-60, max_value=60))
def test_periods_tile_time(calendar: FiscalCalendar, day: date, unit: PeriodUnit, n: int) -> None:
    period = calendar.period_of(day, unit)
    after, before = calendar.shift(period, 1), calendar.shift(period, -1)
    assert after.start == period.end
    assert before.end == period.start
    assert before < period < after
    moved = calendar.shift(period, n)
    assert calendar.shift(moved, -n) == period
    assert (moved.start > period.start) == (n > 0)
    assert (moved == period) == (n == 0)


@given(CALENDARS, DAYS, UNITS)
def test_labels_parse_back_to_their_period(
    calendar: FiscalCalendar, day: date, unit: PeriodUnit
) -> None:
    period = calendar.period_of(day, unit)
    assert calendar.parse(period.label) == period
    assert calendar.parse(f"  {period.label.lower()} ") == period
    if unit in (PeriodUnit.QUARTER, PeriodUnit.HALF):
        year, part = period.label[:-2], period.label[-2:]
        assert calendar.parse(f"{part} {year}") == period
        assert calendar.parse(f"{year}-{part}") == period
        assert calendar.parse(year.removeprefix("FY") + part) == period


@given(CALENDARS, DAYS)
def test_quarters_fall_inside_their_half_and_year(calendar: FiscalCalendar, day: date) -> None:
    quarter = calendar.period_of(day, "quarter")
    half = calendar.period_of(day, "half")
    year = calendar.period_of(day, "year")
    month = calendar.period_of(day, "month")
    assert year.start <= half.start <= quarter.start <= month.start
    assert month.end <= quarter.end <= half.end <= year.end
    assert quarter.label.startswith(year.label)
    assert half.label.startswith(year.label)
    quarter_number, half_number = int(quarter.label[-1]), int(half.label[-1])
    assert half_number == (quarter_number + 1) // 2
    assert year.label.removeprefix("FY") == str(calendar.year_of(day))
    assert year.start.month == calendar.start_month
    assert year.start.day == 1


@given(CALENDARS, UNITS, DAYS, st.integers(min_value=0, max_value=800))
def test_periods_cover_the_range_without_gaps(
    calendar: FiscalCalendar, unit: PeriodUnit, start: date, length: int
) -> None:
    end = start + timedelta(days=length)
    found = calendar.periods(unit, start=start, end=end)
    if length == 0:
        assert found == ()
        return
    assert start in found[0]
    assert end - timedelta(days=1) in found[-1]
    for earlier, later in itertools.pairwise(found):
        assert earlier.end == later.start
    # Every period overlaps the range: none lies wholly before start or from end on.
    assert all(p.end > start and p.start < end for p in found)
    # Brute force: the distinct periods of the days in the range, in order.
    every = [calendar.period_of(start + timedelta(days=i), unit) for i in range(length)]
    assert list(dict.fromkeys(every)) == list(found)


@given(CALENDARS, UNITS, DAYS, st.integers(min_value=1, max_value=10), st.integers(-20, 20))
def test_a_window_is_consecutive_periods_from_the_shifted_one(
    calendar: FiscalCalendar, unit: PeriodUnit, at: date, count: int, offset: int
) -> None:
    window = calendar.window(unit, at, count=count, offset=offset)
    here = calendar.period_of(at, unit)
    assert len(window) == count
    assert list(window) == [calendar.shift(here, offset + i) for i in range(count)]


@given(
    CALENDARS,
    UNITS,
    st.lists(st.one_of(st.none(), DAYS), max_size=60),
)
def test_bucket_keeps_every_item_exactly_once(
    calendar: FiscalCalendar, unit: PeriodUnit, days: list[date | None]
) -> None:
    items = list(enumerate(days))  # distinct items, even where the days repeat
    groups = calendar.bucket(items, unit, key=lambda item: item[1])
    flat = [item for group in groups.values() for item in group]
    assert Counter(flat) == Counter(items)
    for period, group in groups.items():
        assert group, "no empty groups"
        assert group == sorted(group), "items keep their order"
        for _, day in group:
            if period is None:
                assert day is None
            else:
                assert day is not None
                assert day in period
    keys = list(groups)
    periods: list[Period] = [p for p in keys if p is not None]
    assert periods == sorted(periods)
    assert None not in keys[: len(periods)]
    assert (None in groups) == (None in days)
