"""Calendar and fiscal periods, checked against dates worked out by hand."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone

import pytest

from leadflow.errors import InvalidConfiguration, ValidationError
from leadflow.forecasting.periods import CALENDAR, FiscalCalendar, Period, PeriodUnit

Q = PeriodUnit.QUARTER
FEB_END = FiscalCalendar(start_month=2)
FEB_START = FiscalCalendar(start_month=2, name_by="start")
APR_END = FiscalCalendar(start_month=4)
APR_START = FiscalCalendar(start_month=4, name_by="start")
JUL_END = FiscalCalendar(start_month=7)
JUL_START = FiscalCalendar(start_month=7, name_by="start")
OCT_END = FiscalCalendar(start_month=10)
OCT_START = FiscalCalendar(start_month=10, name_by="start")


def span(period: Period) -> tuple[str, date, date]:
    return (period.label, period.start, period.end)


# ===================================================================== months


def test_february_of_a_leap_year_has_29_days() -> None:
    feb = CALENDAR.period_of(date(2024, 2, 29), "month")
    assert span(feb) == ("2024-02", date(2024, 2, 1), date(2024, 3, 1))
    assert feb.days == 29
    assert feb.last_day == date(2024, 2, 29)
    assert CALENDAR.period_of(date(2023, 2, 14), "month").days == 28
    assert CALENDAR.period_of(date(2100, 2, 1), "month").days == 28  # not a leap year
    assert CALENDAR.period_of(date(2000, 2, 1), "month").days == 29  # a leap year


def test_the_quarter_of_a_leap_day_has_91_days() -> None:
    quarter = CALENDAR.period_of(date(2024, 2, 29), Q)
    assert span(quarter) == ("2024Q1", date(2024, 1, 1), date(2024, 4, 1))
    assert quarter.days == 31 + 29 + 31
    assert CALENDAR.period_of(date(2024, 7, 1), "year").days == 366


def test_the_month_after_january_31_is_february() -> None:
    january = CALENDAR.period_of(date(2027, 1, 31), "month")
    assert span(CALENDAR.shift(january, 1)) == ("2027-02", date(2027, 2, 1), date(2027, 3, 1))
    (next_month,) = CALENDAR.window("month", date(2024, 1, 31), offset=1)
    assert span(next_month) == ("2024-02", date(2024, 2, 1), date(2024, 3, 1))
    assert span(CALENDAR.shift(january, -11)) == ("2026-02", date(2026, 2, 1), date(2026, 3, 1))


def test_months_keep_their_calendar_labels_in_fiscal_calendars() -> None:
    for calendar in (FEB_END, APR_START, OCT_END):
        month = calendar.period_of(date(2027, 3, 9), "month")
        assert span(month) == ("2027-03", date(2027, 3, 1), date(2027, 4, 1))


# ============================================================ plain calendar


@pytest.mark.parametrize(
    ("day", "unit", "expected"),
    [
        (date(2027, 1, 1), "quarter", ("2027Q1", date(2027, 1, 1), date(2027, 4, 1))),
        (date(2027, 3, 31), "quarter", ("2027Q1", date(2027, 1, 1), date(2027, 4, 1))),
        (date(2027, 4, 1), "quarter", ("2027Q2", date(2027, 4, 1), date(2027, 7, 1))),
        (date(2027, 12, 31), "quarter", ("2027Q4", date(2027, 10, 1), date(2028, 1, 1))),
        (date(2027, 6, 30), "half", ("2027H1", date(2027, 1, 1), date(2027, 7, 1))),
        (date(2027, 7, 1), "half", ("2027H2", date(2027, 7, 1), date(2028, 1, 1))),
        (date(2027, 5, 5), "year", ("2027", date(2027, 1, 1), date(2028, 1, 1))),
        (date(2027, 5, 5), "month", ("2027-05", date(2027, 5, 1), date(2027, 6, 1))),
    ],
)
def test_calendar_periods(day: date, unit: str, expected: tuple[str, date, date]) -> None:
    assert span(CALENDAR.period_of(day, unit)) == expected
    assert span(CALENDAR.period_of(day, PeriodUnit(unit))) == expected


def test_a_datetime_is_taken_as_its_own_date() -> None:
    late = datetime(2026, 12, 31, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert CALENDAR.period_of(late, "quarter").label == "2026Q4"  # 2027-01-01 in UTC
    assert CALENDAR.period_of(datetime(2027, 1, 1, 0, 0), "year").label == "2027"
    assert CALENDAR.period_key("month")(datetime(2027, 2, 28, 12)).label == "2027-02"


# =========================================================== fiscal calendars


@pytest.mark.parametrize(
    ("calendar", "day", "label", "start", "end"),
    [
        # February: FY2027 (named by its end) is February 2026 to January 2027.
        (FEB_END, date(2026, 2, 1), "FY2027", date(2026, 2, 1), date(2027, 2, 1)),
        (FEB_END, date(2027, 1, 31), "FY2027", date(2026, 2, 1), date(2027, 2, 1)),
        (FEB_END, date(2026, 1, 31), "FY2026", date(2025, 2, 1), date(2026, 2, 1)),
        (FEB_START, date(2026, 2, 1), "FY2026", date(2026, 2, 1), date(2027, 2, 1)),
        (FEB_START, date(2027, 1, 31), "FY2026", date(2026, 2, 1), date(2027, 2, 1)),
        # April.
        (APR_END, date(2026, 4, 1), "FY2027", date(2026, 4, 1), date(2027, 4, 1)),
        (APR_END, date(2026, 3, 31), "FY2026", date(2025, 4, 1), date(2026, 4, 1)),
        (APR_START, date(2026, 4, 1), "FY2026", date(2026, 4, 1), date(2027, 4, 1)),
        # July.
        (JUL_END, date(2027, 6, 30), "FY2027", date(2026, 7, 1), date(2027, 7, 1)),
        (JUL_START, date(2027, 6, 30), "FY2026", date(2026, 7, 1), date(2027, 7, 1)),
        # October: the US federal fiscal year 2027 is 1 October 2026 to 30 September 2027.
        (OCT_END, date(2026, 10, 1), "FY2027", date(2026, 10, 1), date(2027, 10, 1)),
        (OCT_END, date(2027, 9, 30), "FY2027", date(2026, 10, 1), date(2027, 10, 1)),
        (OCT_START, date(2027, 9, 30), "FY2026", date(2026, 10, 1), date(2027, 10, 1)),
    ],
)
def test_fiscal_years(
    calendar: FiscalCalendar, day: date, label: str, start: date, end: date
) -> None:
    assert span(calendar.period_of(day, "year")) == (label, start, end)
    assert calendar.year_of(day) == int(label[2:])


@pytest.mark.parametrize(
    ("calendar", "day", "label", "start", "end"),
    [
        (FEB_END, date(2026, 2, 1), "FY2027Q1", date(2026, 2, 1), date(2026, 5, 1)),
        (FEB_END, date(2027, 1, 31), "FY2027Q4", date(2026, 11, 1), date(2027, 2, 1)),
        (FEB_START, date(2027, 1, 31), "FY2026Q4", date(2026, 11, 1), date(2027, 2, 1)),
        (APR_END, date(2026, 4, 1), "FY2027Q1", date(2026, 4, 1), date(2026, 7, 1)),
        (APR_END, date(2026, 6, 30), "FY2027Q1", date(2026, 4, 1), date(2026, 7, 1)),
        (APR_END, date(2026, 3, 31), "FY2026Q4", date(2026, 1, 1), date(2026, 4, 1)),
        (APR_START, date(2027, 2, 1), "FY2026Q4", date(2027, 1, 1), date(2027, 4, 1)),
        (JUL_END, date(2026, 7, 1), "FY2027Q1", date(2026, 7, 1), date(2026, 10, 1)),
        (JUL_END, date(2027, 6, 30), "FY2027Q4", date(2027, 4, 1), date(2027, 7, 1)),
        (JUL_START, date(2026, 12, 24), "FY2026Q2", date(2026, 10, 1), date(2027, 1, 1)),
        (OCT_END, date(2026, 10, 1), "FY2027Q1", date(2026, 10, 1), date(2027, 1, 1)),
        (OCT_END, date(2027, 9, 30), "FY2027Q4", date(2027, 7, 1), date(2027, 10, 1)),
        (OCT_START, date(2027, 1, 15), "FY2026Q2", date(2027, 1, 1), date(2027, 4, 1)),
    ],
)
def test_fiscal_quarters_count_from_the_start_month(
    calendar: FiscalCalendar, day: date, label: str, start: date, end: date
) -> None:
    assert span(calendar.period_of(day, Q)) == (label, start, end)


@pytest.mark.parametrize(
    ("calendar", "day", "label", "start", "end"),
    [
        (FEB_END, date(2026, 7, 31), "FY2027H1", date(2026, 2, 1), date(2026, 8, 1)),
        (FEB_END, date(2026, 8, 1), "FY2027H2", date(2026, 8, 1), date(2027, 2, 1)),
        (APR_END, date(2027, 1, 1), "FY2027H2", date(2026, 10, 1), date(2027, 4, 1)),
        (APR_START, date(2027, 1, 1), "FY2026H2", date(2026, 10, 1), date(2027, 4, 1)),
        (JUL_END, date(2026, 12, 31), "FY2027H1", date(2026, 7, 1), date(2027, 1, 1)),
        (OCT_END, date(2027, 4, 1), "FY2027H2", date(2027, 4, 1), date(2027, 10, 1)),
    ],
)
def test_fiscal_halves(
    calendar: FiscalCalendar, day: date, label: str, start: date, end: date
) -> None:
    assert span(calendar.period_of(day, "half")) == (label, start, end)


def test_a_calendar_starting_in_january_names_years_the_same_either_way() -> None:
    by_start = FiscalCalendar(start_month=1, name_by="start")
    for day in (date(2027, 1, 1), date(2027, 12, 31)):
        for unit in PeriodUnit:
            assert by_start.period_of(day, unit) == CALENDAR.period_of(day, unit)
    assert by_start.year_of(date(2027, 12, 31)) == CALENDAR.year_of(date(2027, 12, 31)) == 2027
    assert not CALENDAR.is_fiscal
    assert APR_END.is_fiscal


def test_calendars_compare_by_their_settings() -> None:
    assert FiscalCalendar() == CALENDAR
    assert FiscalCalendar(start_month=4) == APR_END != APR_START
    assert hash(FiscalCalendar(start_month=4)) == hash(APR_END)
    assert repr(APR_START) == "FiscalCalendar(start_month=4, name_by='start')"


# ================================================================== ISO weeks


def test_iso_weeks_run_monday_to_sunday() -> None:
    week = CALENDAR.period_of(date(2027, 2, 3), "week")  # a Wednesday
    assert span(week) == ("2027-W05", date(2027, 2, 1), date(2027, 2, 8))
    assert week.days == 7
    assert CALENDAR.period_of(date(2027, 2, 7), "week") == week  # its Sunday
    assert CALENDAR.period_of(date(2027, 2, 8), "week").label == "2027-W06"


def test_2020_and_2026_have_53_iso_weeks_2025_and_2027_have_52() -> None:
    # 1 January 2020 was a Wednesday of a leap year and 1 January 2026 is a Thursday:
    # both years have 53 ISO weeks.  2025 and 2027 start on a Wednesday and a Friday.
    w53 = CALENDAR.period_of(date(2020, 12, 31), "week")
    assert span(w53) == ("2020-W53", date(2020, 12, 28), date(2021, 1, 4))
    assert CALENDAR.period_of(date(2021, 1, 3), "week") == w53
    w53 = CALENDAR.period_of(date(2027, 1, 1), "week")
    assert span(w53) == ("2026-W53", date(2026, 12, 28), date(2027, 1, 4))
    assert CALENDAR.parse("2026-W53") == w53
    assert CALENDAR.period_of(date(2025, 12, 28), "week").label == "2025-W52"
    assert CALENDAR.period_of(date(2027, 12, 31), "week").label == "2027-W52"


def test_a_week_spanning_the_new_year_belongs_to_the_year_of_its_thursday() -> None:
    week = CALENDAR.period_of(date(2024, 12, 30), "week")
    assert span(week) == ("2025-W01", date(2024, 12, 30), date(2025, 1, 6))
    assert CALENDAR.period_of(date(2024, 12, 29), "week").label == "2024-W52"
    assert CALENDAR.period_of(date(2023, 1, 1), "week").label == "2022-W52"  # a Sunday


def test_weeks_are_iso_weeks_in_fiscal_calendars_too() -> None:
    assert span(APR_END.period_of(date(2024, 12, 30), "week")) == span(
        CALENDAR.period_of(date(2024, 12, 30), "week")
    )


# ==================================================================== shifting


def test_shift_across_year_ends() -> None:
    q4 = CALENDAR.period_of(date(2026, 11, 15), Q)
    assert CALENDAR.shift(q4, 1).label == "2027Q1"
    assert CALENDAR.shift(q4, -4).label == "2025Q4"
    assert CALENDAR.shift(q4, 0) is q4
    december = CALENDAR.period_of(date(2026, 12, 1), "month")
    assert CALENDAR.shift(december, 1).label == "2027-01"
    assert CALENDAR.shift(december, -13).label == "2025-11"
    w53 = CALENDAR.parse("2026-W53")
    assert span(CALENDAR.shift(w53, 1)) == ("2027-W01", date(2027, 1, 4), date(2027, 1, 11))
    assert CALENDAR.shift(w53, -52).start == date(2025, 12, 29)
    assert CALENDAR.shift(w53, -52).label == "2026-W01"
    h2 = APR_END.parse("FY2027H2")
    assert span(APR_END.shift(h2, 1)) == ("FY2028H1", date(2027, 4, 1), date(2027, 10, 1))
    assert APR_END.shift(APR_END.parse("FY2027"), -2).label == "FY2025"


def test_shift_refuses_a_period_of_another_calendar() -> None:
    calendar_q1 = CALENDAR.parse("2027Q1")
    with pytest.raises(InvalidConfiguration) as caught:
        APR_END.shift(calendar_q1, 1)
    assert caught.value.key == "period"
    assert caught.value.value == "2027Q1"
    assert "FY2027Q4" in caught.value.reason  # what that calendar calls those months
    # Same days, other label: October's FY2027Q2 is the plain calendar's 2027Q1.
    assert span(OCT_END.shift(OCT_END.parse("FY2027Q1"), 1))[1:] == span(calendar_q1)[1:]


@pytest.mark.parametrize("n", [1.0, True, "1", None])
def test_shift_needs_a_whole_number(n: object) -> None:
    with pytest.raises(InvalidConfiguration) as caught:
        CALENDAR.shift(CALENDAR.parse("2027Q1"), n)  # type: ignore[arg-type]
    assert caught.value.key == "n"


def test_shift_beyond_the_year_9999_is_refused() -> None:
    with pytest.raises(InvalidConfiguration) as caught:
        CALENDAR.shift(CALENDAR.parse("9999Q3"), 1)
    assert caught.value.key == "n"
    assert "9999Q3" in caught.value.reason
    with pytest.raises(InvalidConfiguration, match="outside the years 1 to 9999"):
        CALENDAR.shift(CALENDAR.parse("2027-W01"), -200_000)


# ===================================================================== windows


def test_this_next_and_last_quarter() -> None:
    today = date(2026, 11, 15)
    assert [p.label for p in CALENDAR.window("quarter", today)] == ["2026Q4"]
    assert [p.label for p in CALENDAR.window(Q, today, count=2, offset=1)] == [
        "2027Q1",
        "2027Q2",
    ]
    assert [p.label for p in CALENDAR.window("quarter", date(2027, 1, 10), offset=-1)] == ["2026Q4"]
    assert CALENDAR.window("quarter", today, count=0) == ()


def test_windows_in_a_fiscal_calendar_cross_its_year_end() -> None:
    window = APR_END.window("quarter", date(2027, 3, 15), count=3)
    assert [span(p) for p in window] == [
        ("FY2027Q4", date(2027, 1, 1), date(2027, 4, 1)),
        ("FY2028Q1", date(2027, 4, 1), date(2027, 7, 1)),
        ("FY2028Q2", date(2027, 7, 1), date(2027, 10, 1)),
    ]
    weeks = CALENDAR.window("week", datetime(2026, 12, 30, 9), count=3, offset=-1)
    assert [p.label for p in weeks] == ["2026-W52", "2026-W53", "2027-W01"]


@pytest.mark.parametrize(
    ("options", "key"),
    [({"count": -1}, "count"), ({"count": 1.5}, "count"), ({"offset": "1"}, "offset")],
)
def test_window_refuses_bad_counts_and_offsets(options: dict[str, object], key: str) -> None:
    with pytest.raises(InvalidConfiguration) as caught:
        CALENDAR.window("month", date(2027, 1, 1), **options)  # type: ignore[arg-type]
    assert caught.value.key == key


def test_a_window_past_the_year_9999_is_refused() -> None:
    with pytest.raises(InvalidConfiguration) as caught:
        CALENDAR.window("year", date(9997, 1, 1), count=5)
    assert caught.value.key == "count"


# ==================================================================== periods()


def test_periods_lists_every_period_that_overlaps_the_range() -> None:
    found = CALENDAR.periods("quarter", start=date(2026, 11, 15), end=date(2027, 4, 2))
    assert [p.label for p in found] == ["2026Q4", "2027Q1", "2027Q2"]
    exact = CALENDAR.periods("quarter", start=date(2027, 1, 1), end=date(2027, 4, 1))
    assert [p.label for p in exact] == ["2027Q1"]  # the end is exclusive
    months = APR_END.periods("month", start=date(2024, 1, 31), end=date(2024, 3, 1))
    assert [(p.label, p.days) for p in months] == [("2024-01", 31), ("2024-02", 29)]
    assert CALENDAR.periods("week", start=date(2027, 1, 1), end=date(2027, 1, 1)) == ()


def test_periods_refuses_an_end_before_the_start() -> None:
    with pytest.raises(InvalidConfiguration) as caught:
        CALENDAR.periods("month", start=date(2027, 2, 1), end=date(2027, 1, 1))
    assert caught.value.key == "end"
    assert "2027-02-01" in str(caught.value)


# ====================================================================== parse


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("2027", ("2027", date(2027, 1, 1), date(2028, 1, 1))),
        ("FY2027", ("2027", date(2027, 1, 1), date(2028, 1, 1))),
        (" fy 2027 ", ("2027", date(2027, 1, 1), date(2028, 1, 1))),
        ("2027H2", ("2027H2", date(2027, 7, 1), date(2028, 1, 1))),
        ("2027-h1", ("2027H1", date(2027, 1, 1), date(2027, 7, 1))),
        ("H2 2027", ("2027H2", date(2027, 7, 1), date(2028, 1, 1))),
        ("2027Q1", ("2027Q1", date(2027, 1, 1), date(2027, 4, 1))),
        ("2027-Q2", ("2027Q2", date(2027, 4, 1), date(2027, 7, 1))),
        ("2027 q3", ("2027Q3", date(2027, 7, 1), date(2027, 10, 1))),
        ("Q4 2027", ("2027Q4", date(2027, 10, 1), date(2028, 1, 1))),
        ("q4-2027", ("2027Q4", date(2027, 10, 1), date(2028, 1, 1))),
        ("FY2027Q1", ("2027Q1", date(2027, 1, 1), date(2027, 4, 1))),
        ("2027-03", ("2027-03", date(2027, 3, 1), date(2027, 4, 1))),
        ("2027-3", ("2027-03", date(2027, 3, 1), date(2027, 4, 1))),
        ("2027-W05", ("2027-W05", date(2027, 2, 1), date(2027, 2, 8))),
        ("2027w05", ("2027-W05", date(2027, 2, 1), date(2027, 2, 8))),
        ("2027-W5", ("2027-W05", date(2027, 2, 1), date(2027, 2, 8))),
    ],
)
def test_parse_in_the_plain_calendar(label: str, expected: tuple[str, date, date]) -> None:
    assert span(CALENDAR.parse(label)) == expected


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("FY2027", ("FY2027", date(2026, 4, 1), date(2027, 4, 1))),
        ("2027", ("FY2027", date(2026, 4, 1), date(2027, 4, 1))),
        ("2027Q1", ("FY2027Q1", date(2026, 4, 1), date(2026, 7, 1))),
        ("fy2027q4", ("FY2027Q4", date(2027, 1, 1), date(2027, 4, 1))),
        ("Q2 FY2027", ("FY2027Q2", date(2026, 7, 1), date(2026, 10, 1))),
        ("FY2027-H2", ("FY2027H2", date(2026, 10, 1), date(2027, 4, 1))),
        ("2027-03", ("2027-03", date(2027, 3, 1), date(2027, 4, 1))),
        ("2027-W05", ("2027-W05", date(2027, 2, 1), date(2027, 2, 8))),
    ],
)
def test_parse_in_a_fiscal_calendar(label: str, expected: tuple[str, date, date]) -> None:
    assert span(APR_END.parse(label)) == expected


def test_parse_follows_name_by() -> None:
    assert span(APR_START.parse("FY2027Q1")) == ("FY2027Q1", date(2027, 4, 1), date(2027, 7, 1))
    assert span(FEB_END.parse("FY2027")) == ("FY2027", date(2026, 2, 1), date(2027, 2, 1))
    assert span(FEB_START.parse("FY2027")) == ("FY2027", date(2027, 2, 1), date(2028, 2, 1))


@pytest.mark.parametrize(
    ("label", "reason"),
    [
        ("2027Q5", "quarter must be 1 to 4"),
        ("2027Q0", "quarter must be 1 to 4"),
        ("Q12 2027", "quarter must be 1 to 4"),
        ("2027H3", "half must be 1 or 2"),
        ("2027-13", "month must be 01 to 12"),
        ("2027-00", "month must be 01 to 12"),
        ("2025-W53", "ISO year 2025 has weeks 01 to 52"),
        ("2027-W53", "ISO year 2027 has weeks 01 to 52"),
        ("2027-W00", "ISO year 2027 has weeks 01 to 52"),
        ("FY27Q1", "is not a period label"),
        ("27Q1", "is not a period label"),
        ("2027Q", "is not a period label"),
        ("FY2027-03", "is not a period label"),
        ("202703", "is not a period label"),
        ("2027/03", "is not a period label"),
        ("", "is not a period label"),
        ("next quarter", "is not a period label"),
        ("0000", "is outside the years 1 to 9999"),
        ("0000-W01", "is outside the years 1 to 9999"),
        ("9999-12", "is outside the years 1 to 9999"),
    ],
)
def test_parse_refuses_bad_labels_saying_what_is_accepted(label: str, reason: str) -> None:
    with pytest.raises(InvalidConfiguration) as caught:
        CALENDAR.parse(label)
    error = caught.value
    assert error.key == "period"
    assert error.value == label
    assert error.reason.startswith(reason + "; accepted forms are 2027, FY2027, 2027H1, 2027Q1")
    assert "2027-03 and 2027-W05" in error.reason
    assert str(error).startswith(f"invalid configuration at period: {reason}")


def test_parse_refuses_what_is_not_text() -> None:
    with pytest.raises(InvalidConfiguration) as caught:
        CALENDAR.parse(2027)  # type: ignore[arg-type]
    assert caught.value.reason.startswith("must be text")
    assert caught.value.value == 2027


def test_a_fiscal_year_must_fit_the_supported_years() -> None:
    # FY0001 of a calendar named by the year it ends in would start in the year 0.
    with pytest.raises(InvalidConfiguration, match="outside the years 1 to 9999"):
        APR_END.parse("FY0001")
    assert APR_START.parse("FY0001").start == date(1, 4, 1)


# ===================================================================== Period


def test_contains_is_half_open_and_takes_datetimes_as_dates() -> None:
    q1 = CALENDAR.parse("2027Q1")
    assert date(2027, 1, 1) in q1
    assert date(2027, 3, 31) in q1
    assert date(2027, 4, 1) not in q1
    assert date(2026, 12, 31) not in q1
    assert datetime(2027, 3, 31, 23, 59) in q1
    assert datetime(2027, 4, 1, 0, 0) not in q1
    with pytest.raises(ValidationError, match="must be a date or a datetime"):
        "2027-01-05" in q1  # type: ignore[operator]  # noqa: B015


def test_periods_sort_by_start_then_end_and_work_as_dict_keys() -> None:
    q1, q2 = CALENDAR.parse("2027Q1"), CALENDAR.parse("2027Q2")
    h1, year = CALENDAR.parse("2027H1"), CALENDAR.parse("2027")
    march = CALENDAR.parse("2027-03")
    assert sorted([year, q2, march, h1, q1]) == [q1, h1, year, march, q2]
    assert q1 < q2
    assert q1 <= q2
    assert q2 > q1
    assert q2 >= q1
    assert q1 <= CALENDAR.parse("2027Q1") >= q1
    assert not q2 < q1
    assert max(q1, q2) is q2
    totals = {q1: 1, q2: 2}
    assert (
        totals[Period(unit="quarter", start=date(2027, 1, 1), end=date(2027, 4, 1), label="2027Q1")]
        == 1
    )
    assert str(q1) == "2027Q1"
    assert f"{h1}" == "2027H1"
    with pytest.raises(TypeError):
        q1 < date(2027, 1, 1)  # noqa: B015


def test_equal_ranges_from_different_calendars_sort_by_label() -> None:
    plain = CALENDAR.parse("2027Q1")
    fiscal = JUL_END.parse("FY2027Q3")  # also January to March 2027
    assert (plain.start, plain.end) == (fiscal.start, fiscal.end)
    assert plain != fiscal
    assert sorted([fiscal, plain]) == [plain, fiscal]
    assert plain < fiscal
    assert not fiscal < plain


def test_the_same_period_is_one_object() -> None:
    calendar = FiscalCalendar(start_month=7)
    first = calendar.period_of(date(2027, 1, 2), Q)
    assert calendar.period_of(date(2027, 3, 30), "quarter") is first
    assert calendar.parse("FY2027Q3") is first


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"start": date(2027, 2, 1), "end": date(2027, 2, 1)}, "end"),
        ({"start": date(2027, 2, 1), "end": date(2027, 1, 1)}, "end"),
        ({"start": datetime(2027, 1, 1), "end": date(2027, 2, 1)}, "start"),
        ({"start": date(2027, 1, 1), "end": "2027-02-01"}, "end"),
    ],
)
def test_a_period_needs_a_start_before_its_end(fields: dict[str, object], path: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Period(unit="month", label="x", **fields)  # type: ignore[arg-type]
    assert caught.value.problems[0].path == path


# ===================================================================== bucket


def test_bucket_groups_by_period_in_order_with_none_last() -> None:
    deals = [
        ("a", date(2027, 5, 1)),
        ("b", None),
        ("c", date(2026, 12, 31)),
        ("d", date(2027, 1, 1)),
        ("e", datetime(2027, 5, 31, 18, 0)),
        ("f", date(2027, 2, 14)),
        ("g", None),
    ]
    groups = CALENDAR.bucket(deals, "quarter", key=lambda deal: deal[1])
    assert [
        (str(p) if p else None, [name for name, _ in items]) for p, items in groups.items()
    ] == [
        ("2026Q4", ["c"]),
        ("2027Q1", ["d", "f"]),
        ("2027Q2", ["a", "e"]),
        (None, ["b", "g"]),
    ]
    assert CALENDAR.bucket([], "month", key=lambda deal: deal) == {}


def test_bucket_names_the_item_whose_key_is_not_a_date() -> None:
    with pytest.raises(ValidationError) as caught:
        CALENDAR.bucket([date(2027, 1, 1), "2027-01-02"], "month", key=lambda x: x)  # type: ignore[arg-type, return-value]
    assert caught.value.problems[0].path == "[1]"
    assert caught.value.problems[0].value == "2027-01-02"
    with pytest.raises(ValidationError) as caught:
        CALENDAR.bucket([[2027]], "month", key=lambda x: x)  # type: ignore[arg-type, return-value]
    assert caught.value.problems[0].path == "[0]"


# ============================================================ units and settings


@pytest.mark.parametrize("unit", ["fortnight", "", 3, None, "quarters"])
def test_a_bad_unit_is_refused(unit: object) -> None:
    calls: list[Callable[[], object]] = [
        lambda: CALENDAR.period_of(date(2027, 1, 1), unit),  # type: ignore[arg-type]
        lambda: CALENDAR.period_key(unit),  # type: ignore[arg-type]
        lambda: CALENDAR.window(unit, date(2027, 1, 1)),  # type: ignore[arg-type]
        lambda: CALENDAR.periods(unit, start=date(2027, 1, 1), end=date(2027, 2, 1)),  # type: ignore[arg-type]
        lambda: CALENDAR.bucket([], unit, key=lambda x: x),  # type: ignore[arg-type]
    ]
    for call in calls:
        with pytest.raises(InvalidConfiguration) as caught:
            call()
        assert caught.value.key == "unit"
        assert "week, month, quarter, half, year" in caught.value.reason


def test_units_are_read_in_any_case() -> None:
    assert CALENDAR.period_of(date(2027, 5, 5), " Quarter ").label == "2027Q2"
    assert CALENDAR.period_key("HALF")(date(2027, 5, 5)).label == "2027H1"


@pytest.mark.parametrize("month", [0, 13, -1, True, "4", 4.0, None])
def test_a_bad_start_month_is_refused(month: object) -> None:
    with pytest.raises(InvalidConfiguration) as caught:
        FiscalCalendar(start_month=month)  # type: ignore[arg-type]
    assert caught.value.key == "start_month"
    assert caught.value.value is month


@pytest.mark.parametrize("name_by", ["middle", "END", None])
def test_a_bad_name_by_is_refused(name_by: object) -> None:
    with pytest.raises(InvalidConfiguration) as caught:
        FiscalCalendar(start_month=4, name_by=name_by)  # type: ignore[arg-type]
    assert caught.value.key == "name_by"
    assert "'end'" in caught.value.reason


@pytest.mark.parametrize("day", ["2027-01-01", 20270101, None, [2027]])
def test_period_of_refuses_what_is_not_a_day(day: object) -> None:
    with pytest.raises(ValidationError) as caught:
        CALENDAR.period_of(day, "month")  # type: ignore[arg-type]
    assert caught.value.problems[0].path == "day"
    assert caught.value.problems[0].reason == "must be a date or a datetime"


def test_periods_outside_the_years_1_to_9999_are_refused() -> None:
    with pytest.raises(ValidationError, match="has no whole month within the years 1 to 9999"):
        CALENDAR.period_of(date(9999, 12, 31), "month")
    with pytest.raises(ValidationError, match="has no whole year"):
        FEB_END.period_of(date(1, 1, 15), "year")
    assert CALENDAR.period_of(date(1, 1, 1), "year").label == "0001"
    assert CALENDAR.period_of(date(9999, 11, 30), "month").label == "9999-11"


def test_period_key_agrees_with_period_of() -> None:
    key = OCT_END.period_key(PeriodUnit.QUARTER)
    day = date(2026, 12, 24)
    assert key(day) is OCT_END.period_of(day, "quarter")
    assert key(day).label == "FY2027Q1"


def test_a_calendar_survives_pickling_with_its_periods() -> None:
    APR_END.period_of(date(2027, 3, 5), "quarter")  # fill the cache
    copy = pickle.loads(pickle.dumps(APR_END))
    assert copy == APR_END
    assert copy.period_of(date(2027, 3, 5), "quarter") == APR_END.period_of(date(2027, 3, 5), Q)
    assert copy.period_of(date(2027, 4, 5), "quarter").label == "FY2028Q1"


class TestDistance:
    @pytest.mark.parametrize(
        ("first", "second", "expected"),
        [
            ("2026Q1", "2026Q1", 0),
            ("2026Q1", "2027Q2", 5),
            ("2027Q2", "2026Q1", -5),
            ("2026-11", "2027-02", 3),
            ("2026H2", "2027H1", 1),
            ("2020", "2026", 6),
            ("2026-W52", "2027-W02", 3),  # 2026 has 53 ISO weeks
        ],
    )
    def test_counts_the_periods_between(self, first: str, second: str, expected: int) -> None:
        assert CALENDAR.distance(CALENDAR.parse(first), CALENDAR.parse(second)) == expected

    def test_fiscal_quarters(self) -> None:
        fiscal = FiscalCalendar(start_month=4)
        assert fiscal.distance(fiscal.parse("FY2026Q4"), fiscal.parse("FY2027Q1")) == 1

    def test_agrees_with_shift(self) -> None:
        start = CALENDAR.parse("2025-W50")
        for n in range(-60, 60, 7):
            assert CALENDAR.distance(start, CALENDAR.shift(start, n)) == n

    def test_refuses_other_units_and_other_calendars(self) -> None:
        with pytest.raises(InvalidConfiguration, match="must be a quarter") as caught:
            CALENDAR.distance(CALENDAR.parse("2026Q1"), CALENDAR.parse("2026-03"))
        assert caught.value.key == "second"
        fiscal = FiscalCalendar(start_month=2)
        with pytest.raises(InvalidConfiguration, match="not a quarter of this calendar"):
            CALENDAR.distance(CALENDAR.parse("2026Q1"), fiscal.parse("FY2027Q1"))
