"""Calendar and fiscal periods: ISO weeks, months, quarters, halves and years.

A :class:`Period` is a half-open range of days, ``start <= day < end``, with a unit
and a label such as ``"2027Q1"``.  A :class:`FiscalCalendar` says which periods
exist: years (and so their halves and quarters) start in ``start_month``, and a
fiscal year is named by the calendar year it ends in (``name_by="end"``, the common
convention: the US federal fiscal year 2027 runs from October 2026 to September
2027) or starts in (``name_by="start"``).  :data:`CALENDAR` is the plain calendar
year.

Labels:

- years ``2027``, halves ``2027H1``, quarters ``2027Q1`` in the plain calendar;
  ``FY2027``, ``FY2027H1``, ``FY2027Q1`` in a fiscal calendar (``start_month`` other
  than 1), whose quarters and halves count from the fiscal year's first month;
- months ``2027-03`` and ISO 8601 weeks ``2027-W05`` in every calendar.  An ISO week
  runs Monday to Sunday and belongs to the ISO year that holds its Thursday, so
  week 1 is the week with the year's first Thursday and a year has 52 or 53 weeks
  (ISO 8601-1:2019, as implemented by :meth:`datetime.date.isocalendar`).

Month arithmetic uses ``dateutil.relativedelta``, so that month ends and leap years
come out right.  The calendar answers :meth:`FiscalCalendar.period_of` from a cache,
so that classifying a million opportunities by close date costs little more than a
million dictionary look-ups; :meth:`FiscalCalendar.period_key` hands out the look-up
itself for hot loops.  The module reads no clock: "this quarter" is
``window("quarter", today)`` with ``today`` given by the caller.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Literal, TypeVar

import attrs
from dateutil.relativedelta import relativedelta

from leadflow._config import choice
from leadflow._fields import fail
from leadflow.errors import InvalidConfiguration, ValidationError
from leadflow.values import StrEnum

__all__ = ["CALENDAR", "FiscalCalendar", "Period", "PeriodUnit"]

T = TypeVar("T")


class PeriodUnit(StrEnum):
    """The length of a period."""

    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    HALF = "half"
    YEAR = "year"


#: Months per unit, for the units that are whole months.
_MONTHS = {PeriodUnit.MONTH: 1, PeriodUnit.QUARTER: 3, PeriodUnit.HALF: 6, PeriodUnit.YEAR: 12}
_RANGE = "the years 1 to 9999"


def _to_unit(value: PeriodUnit | str) -> PeriodUnit:
    """The unit ``value`` is or names (any case); ``InvalidConfiguration`` at ``unit``."""
    return choice(PeriodUnit, value, key="unit", what="unit")


def _to_day(value: object, path: str) -> date:
    """``value`` as a date (a datetime gives its own date); ``ValidationError`` if neither."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise ValidationError.single(path, value, "must be a date or a datetime")


def _whole(value: object, key: str, *, minimum: int | None = None) -> int:
    """``value`` if it is an int (not a bool) of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidConfiguration(key=key, reason="must be a whole number", value=value)
    if minimum is not None and value < minimum:
        raise InvalidConfiguration(key=key, reason=f"must be {minimum} or more", value=value)
    return value


def _plain_date(inst: object, attribute: attrs.Attribute[date], value: object) -> None:
    """Validator: a date that is not a datetime."""
    if isinstance(value, datetime) or not isinstance(value, date):
        fail(inst, attribute.name, value, "must be a date (not a datetime)")


def _after_start(inst: Period, attribute: attrs.Attribute[date], value: date) -> None:
    """Validator: the end comes after the start."""
    if value <= inst.start:
        fail(inst, attribute.name, value, f"must be after start ({inst.start})")


@attrs.frozen(kw_only=True, order=False, cache_hash=True)
class Period:
    """A range of days with a unit and a label: ``start <= day < end``.

    Build periods with a :class:`FiscalCalendar` (:meth:`~FiscalCalendar.period_of`,
    :meth:`~FiscalCalendar.parse`, ...), which makes sure they exist in it.  Periods
    are hashable, and sort by ``start``, then ``end`` (then unit and label, so that
    equal ranges from different calendars still sort the same way every time).
    ``str(period)`` is its label.
    """

    unit: PeriodUnit = attrs.field(converter=_to_unit)
    #: The first day of the period.
    start: date = attrs.field(validator=_plain_date)
    #: The first day after the period (the end is exclusive).
    end: date = attrs.field(validator=[_plain_date, _after_start])
    #: The name of the period, such as ``2027Q1``, ``FY2027Q1``, ``2027-03`` or ``2027-W05``.
    label: str

    def __contains__(self, day: date) -> bool:
        """Whether ``day`` falls in the period; a datetime is taken as its own date."""
        day = _to_day(day, "day")
        return self.start <= day < self.end

    @property
    def days(self) -> int:
        """The number of days in the period."""
        return (self.end - self.start).days

    @property
    def last_day(self) -> date:
        """The last day of the period (the day before ``end``)."""
        return self.end - timedelta(days=1)

    def __str__(self) -> str:
        return self.label

    def _order(self) -> tuple[date, date, str, str]:
        return (self.start, self.end, self.unit.value, self.label)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return self._order() < other._order()

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return self._order() <= other._order()

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return self._order() > other._order()

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return self._order() >= other._order()


class _PeriodCache(dict[date, Period]):
    """The periods of one unit of a calendar by day, filled as days are asked for.

    A day not seen before goes through :meth:`__missing__`, which computes its period,
    reuses the one :class:`Period` object per start day, and remembers plain dates
    (not datetimes, which would make the cache grow with every time of day).
    """

    __slots__ = ("_by_start", "_calendar", "_unit")

    def __init__(self, calendar: FiscalCalendar, unit: PeriodUnit) -> None:
        super().__init__()
        self._calendar = calendar
        self._unit = unit
        self._by_start: dict[date, Period] = {}

    def __missing__(self, day: date) -> Period:
        if type(day) is not date:
            # A datetime or another subclass of date: look up its plain date.
            plain = _to_day(day, "day")
            return self[date(plain.year, plain.month, plain.day)]
        try:
            start, end, label = self._calendar._bounds(day, self._unit)
        except (ValueError, OverflowError):
            raise ValidationError.single(
                "day", day, f"has no whole {self._unit.value} within {_RANGE}"
            ) from None
        period = self._by_start.get(start)
        if period is None:
            period = Period(unit=self._unit, start=start, end=end, label=label)
            self._by_start[start] = period
        self[day] = period
        return period


# -------------------------------------------------------------------------- labels

_FORMS = (
    "accepted forms are 2027, FY2027, 2027H1, 2027Q1 (also 2027-Q1, 2027 Q1, Q1 2027, "
    "FY2027Q1), 2027-03 and 2027-W05 (also 2027W05), with four-digit years, in any case"
)
_YEAR_LABEL = re.compile(r"(?:FY)?([0-9]{4})")
_PART_AFTER = re.compile(r"(?:FY)?([0-9]{4})-?([HQ])([0-9]+)")
_PART_BEFORE = re.compile(r"([HQ])([0-9]+)-?(?:FY)?([0-9]{4})")
_MONTH_LABEL = re.compile(r"([0-9]{4})-([0-9]{1,2})")
_WEEK_LABEL = re.compile(r"([0-9]{4})-?W([0-9]{1,2})")


def _bad_label(label: object, reason: str) -> InvalidConfiguration:
    return InvalidConfiguration(key="period", reason=f"{reason}; {_FORMS}", value=label)


def _weeks_in(iso_year: int) -> int:
    """The number of ISO weeks in ``iso_year``: 28 December is always in its last week."""
    return date(iso_year, 12, 28).isocalendar()[1]


# ------------------------------------------------------------------------ calendars


@attrs.frozen(kw_only=True)
class FiscalCalendar:
    """Which weeks, months, quarters, halves and years exist, and their labels.

    ``start_month`` (1 to 12) is the month the year starts in; quarters and halves
    count from it, so with ``start_month=4`` the first quarter is April to June.
    ``name_by`` says which calendar year names a fiscal year that spans two: the one
    it ends in (``"end"``, the default: with ``start_month=2``, FY2027 runs from
    February 2026 to January 2027) or the one it starts in (``"start"``).  Months and
    ISO weeks are the same in every calendar.  A bad setting raises
    :class:`~leadflow.errors.InvalidConfiguration` naming the key.

    Every method that takes a ``unit`` accepts a :class:`PeriodUnit` or its text
    (``"quarter"``).  Days may be dates or datetimes; a datetime is taken as its own
    date, in its own time zone, so convert it to the zone whose calendar counts first.
    Periods must lie within the years 1 to 9999.
    """

    start_month: int = 1
    name_by: Literal["end", "start"] = "end"

    # By unit; members are str, so a unit's text finds its member's cache too.
    _caches: dict[str, _PeriodCache] = attrs.field(init=False, repr=False, eq=False, hash=False)

    def __attrs_post_init__(self) -> None:
        month = self.start_month
        if isinstance(month, bool) or not isinstance(month, int) or not 1 <= month <= 12:
            raise InvalidConfiguration(
                key="start_month",
                reason="must be a month number from 1 (January) to 12 (December)",
                value=month,
            )
        if self.name_by not in ("end", "start"):
            raise InvalidConfiguration(
                key="name_by",
                reason="must be 'end' (name a fiscal year by the calendar year it ends in) "
                "or 'start' (by the year it starts in)",
                value=self.name_by,
            )
        caches: dict[str, _PeriodCache] = {unit: _PeriodCache(self, unit) for unit in PeriodUnit}
        object.__setattr__(self, "_caches", caches)

    # ------------------------------------------------------------------ questions

    @property
    def is_fiscal(self) -> bool:
        """Whether years start in another month than January (and labels start with FY)."""
        return self.start_month != 1

    def period_of(self, day: date, unit: PeriodUnit | str) -> Period:
        """The period of ``unit`` that holds ``day``.

        Raises :class:`~leadflow.errors.ValidationError` when ``day`` is not a date or
        its period does not fit within the years 1 to 9999.
        """
        try:
            cache = self._caches[unit]
        except (KeyError, TypeError):
            cache = self._caches[_to_unit(unit)]
        try:
            return cache[day]
        except TypeError:  # unhashable
            raise ValidationError.single("day", day, "must be a date or a datetime") from None

    def period_key(self, unit: PeriodUnit | str) -> Callable[[date], Period]:
        """A fast function ``day -> period_of(day, unit)`` for hot loops.

        It is the cache's own look-up: a day seen before costs one dictionary look-up.
        It raises what :meth:`period_of` raises, except that an unhashable argument
        raises :class:`TypeError`.
        """
        return self._caches[_to_unit(unit)].__getitem__

    def year_of(self, day: date) -> int:
        """The number of the (fiscal) year that holds ``day``: 2027 for FY2027."""
        start = self.period_of(day, PeriodUnit.YEAR).start
        return start.year + 1 if self.is_fiscal and self.name_by == "end" else start.year

    def shift(self, period: Period, n: int) -> Period:
        """The period ``n`` periods of the same unit after ``period`` (before it if negative).

        ``period`` must be a period of this calendar, else
        :class:`~leadflow.errors.InvalidConfiguration` at ``period``.
        """
        if not isinstance(period, Period):
            raise InvalidConfiguration(key="period", reason="must be a Period", value=period)
        n = _whole(n, "n")
        own = self.period_of(period.start, period.unit)
        if own != period:
            raise InvalidConfiguration(
                key="period",
                reason=f"is not a {period.unit.value} of this calendar ({self!r}), "
                f"whose {period.unit.value} holding {period.start} is {own.label}",
                value=period.label,
            )
        try:
            if period.unit is PeriodUnit.WEEK:
                start = period.start + timedelta(weeks=n)
            else:
                start = period.start + relativedelta(months=n * _MONTHS[period.unit])
            return self.period_of(start, period.unit)
        except (ValueError, OverflowError):
            raise InvalidConfiguration(
                key="n", reason=f"moves {period.label} outside {_RANGE}", value=n
            ) from None

    def distance(self, first: Period, second: Period) -> int:
        """How many periods ``second`` comes after ``first`` (negative when before).

        Both must be periods of this calendar and of one unit, else
        :class:`~leadflow.errors.InvalidConfiguration` at ``second``.
        """
        if not isinstance(second, Period) or not isinstance(first, Period):
            raise InvalidConfiguration(key="second", reason="must be a Period", value=second)
        if second.unit is not first.unit:
            raise InvalidConfiguration(
                key="second",
                reason=f"must be a {first.unit.value} like {first.label}",
                value=second.label,
            )
        for period in (first, second):
            if self.period_of(period.start, period.unit) != period:
                raise InvalidConfiguration(
                    key="second" if period is second else "first",
                    reason=f"is not a {period.unit.value} of this calendar ({self!r})",
                    value=period.label,
                )
        if first.unit is PeriodUnit.WEEK:
            return (second.start - first.start).days // 7
        months = (
            (second.start.year - first.start.year) * 12 + second.start.month - first.start.month
        )
        return months // _MONTHS[first.unit]

    def periods(self, unit: PeriodUnit | str, *, start: date, end: date) -> tuple[Period, ...]:
        """Every period of ``unit`` that overlaps the days ``[start, end)``, in order.

        The first holds ``start`` and the last holds the day before ``end``; an empty
        range (``start == end``) has none.  ``end`` before ``start`` raises
        :class:`~leadflow.errors.InvalidConfiguration` at ``end``.
        """
        key = self.period_key(unit)
        first, stop = _to_day(start, "start"), _to_day(end, "end")
        if stop < first:
            raise InvalidConfiguration(
                key="end", reason=f"must not be before start ({first})", value=stop
            )
        if stop == first:
            return ()
        period = key(first)
        found = [period]
        while period.end < stop:
            period = key(period.end)
            found.append(period)
        return tuple(found)

    def window(
        self, unit: PeriodUnit | str, at: date, *, count: int = 1, offset: int = 0
    ) -> tuple[Period, ...]:
        """``count`` consecutive periods, the first ``offset`` periods from the one holding ``at``.

        ``window("quarter", today)`` is this quarter, ``window("quarter", today,
        offset=-1)`` the last one and ``window("quarter", today, count=2, offset=1)``
        the next two.
        """
        count = _whole(count, "count", minimum=0)
        offset = _whole(offset, "offset")
        if count == 0:
            return ()
        first = self.shift(self.period_of(_to_day(at, "at"), unit), offset)
        key = self.period_key(first.unit)
        found = [first]
        try:
            for _ in range(count - 1):
                found.append(key(found[-1].end))
        except ValidationError:
            raise InvalidConfiguration(
                key="count", reason=f"reaches past {_RANGE}", value=count
            ) from None
        return tuple(found)

    def parse(self, label: str) -> Period:
        """The period a label names, in this calendar.

        Letters may be in any case and spaces are ignored.  Years, halves and quarters
        are this calendar's, with or without ``FY``: in a calendar whose year starts
        in April, ``2027Q1`` and ``FY2027Q1`` are both April to June 2026 (with
        ``name_by="end"``).  Accepted: ``2027``, ``FY2027``, ``2027H1``, ``2027Q1``,
        ``2027-Q1``, ``Q1 2027``, ``FY2027Q1``, ``2027-03``, ``2027-W05`` and
        ``2027W05``; years have four digits.  Anything else, or a quarter, half, month
        or ISO week that does not exist, raises
        :class:`~leadflow.errors.InvalidConfiguration` at ``period`` saying why.
        """
        if not isinstance(label, str):
            raise _bad_label(label, "must be text")
        text = "".join(label.split()).upper()
        try:
            if match := _YEAR_LABEL.fullmatch(text):
                return self._year_part(int(match[1]), PeriodUnit.YEAR, 1, label)
            if match := _PART_AFTER.fullmatch(text):
                year, letter, number = int(match[1]), match[2], int(match[3])
            elif match := _PART_BEFORE.fullmatch(text):
                letter, number, year = match[1], int(match[2]), int(match[3])
            elif match := _MONTH_LABEL.fullmatch(text):
                return self._month(int(match[1]), int(match[2]), label)
            elif match := _WEEK_LABEL.fullmatch(text):
                return self._week(int(match[1]), int(match[2]), label)
            else:
                raise _bad_label(label, "is not a period label")
            unit = PeriodUnit.QUARTER if letter == "Q" else PeriodUnit.HALF
            return self._year_part(year, unit, number, label)
        except InvalidConfiguration:
            raise
        except (ValueError, OverflowError):
            raise _bad_label(label, f"is outside {_RANGE}") from None

    def bucket(
        self,
        items: Iterable[T],
        unit: PeriodUnit | str,
        *,
        key: Callable[[T], date | None],
    ) -> dict[Period | None, list[T]]:
        """Group ``items`` by the period of ``unit`` that holds ``key(item)``.

        Items whose key is ``None`` go under ``None``.  The groups keep the items'
        order; the keys are in period order, with ``None`` last, and periods without
        items are left out.  A key that is not a date, a datetime or ``None`` raises
        :class:`~leadflow.errors.ValidationError` at the item's position.
        """
        period_of = self.period_key(unit)
        groups: dict[Period | None, list[T]] = {}
        for index, item in enumerate(items):
            day = key(item)
            try:
                period = None if day is None else period_of(day)
            except (ValidationError, TypeError):
                raise ValidationError.single(
                    f"[{index}]", day, "key gave no date, datetime or None"
                ) from None
            group = groups.get(period)
            if group is None:
                groups[period] = [item]
            else:
                group.append(item)
        ordered: dict[Period | None, list[T]] = {
            period: groups[period] for period in sorted(p for p in groups if p is not None)
        }
        if None in groups:
            ordered[None] = groups[None]
        return ordered

    # ---------------------------------------------------------------- internals

    def _first_year(self, number: int) -> int:
        """The calendar year in which the (fiscal) year ``number`` starts."""
        return number - 1 if self.is_fiscal and self.name_by == "end" else number

    def _year_name(self, first_year: int) -> str:
        """The label of the year that starts in ``start_month`` of ``first_year``."""
        if not self.is_fiscal:
            return f"{first_year:04d}"
        number = first_year + 1 if self.name_by == "end" else first_year
        return f"FY{number:04d}"

    def _bounds(self, day: date, unit: PeriodUnit) -> tuple[date, date, str]:
        """Start, end and label of the period of ``unit`` that holds ``day``."""
        if unit is PeriodUnit.WEEK:
            iso_year, week, weekday = day.isocalendar()
            start = day - timedelta(days=weekday - 1)
            return start, start + timedelta(days=7), f"{iso_year:04d}-W{week:02d}"
        if unit is PeriodUnit.MONTH:
            start = day.replace(day=1)
            return start, start + relativedelta(months=1), f"{day.year:04d}-{day.month:02d}"
        size = _MONTHS[unit]
        first_year = day.year if day.month >= self.start_month else day.year - 1
        index = (day.month - self.start_month) % 12 // size
        start = date(first_year, self.start_month, 1) + relativedelta(months=index * size)
        end = start + relativedelta(months=size)
        name = self._year_name(first_year)
        if unit is PeriodUnit.YEAR:
            return start, end, name
        letter = "Q" if unit is PeriodUnit.QUARTER else "H"
        return start, end, f"{name}{letter}{index + 1}"

    def _year_part(self, number: int, unit: PeriodUnit, part: int, label: str) -> Period:
        """Quarter or half ``part`` (or the whole year) of the year named ``number``."""
        size = _MONTHS[unit]
        parts = 12 // size
        if not 1 <= part <= parts:
            name = unit.value
            raise _bad_label(
                label, f"{name} must be 1 to {parts}" if parts > 2 else f"{name} must be 1 or 2"
            )
        first = date(self._first_year(number), self.start_month, 1)
        return self.period_of(first + relativedelta(months=(part - 1) * size), unit)

    def _month(self, year: int, month: int, label: str) -> Period:
        if not 1 <= month <= 12:
            raise _bad_label(label, "month must be 01 to 12")
        return self.period_of(date(year, month, 1), PeriodUnit.MONTH)

    def _week(self, iso_year: int, week: int, label: str) -> Period:
        if iso_year < 1:
            raise _bad_label(label, f"is outside {_RANGE}")
        weeks = _weeks_in(iso_year)
        if not 1 <= week <= weeks:
            raise _bad_label(label, f"ISO year {iso_year} has weeks 01 to {weeks}")
        return self.period_of(date.fromisocalendar(iso_year, week, 1), PeriodUnit.WEEK)


#: The plain calendar: years start in January; labels ``2027``, ``2027H1``, ``2027Q1``.
CALENDAR: FiscalCalendar = FiscalCalendar()
