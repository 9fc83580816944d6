"""Forecast categories rolled up per period: closed, commit, best case, pipeline, omitted.

Each deal counts, at its full amount, in its forecast category (its own override, else
its stage's; see :class:`~leadflow.opportunities.ForecastCategory`) and in the period
its close date falls in.  Won deals are ``closed``; lost deals are ``omitted``.  The
usual cumulative views, as Salesforce's collaborative forecasts roll them up, are
properties of each row:

* ``commit_forecast`` = closed + commit;
* ``best_case_forecast`` = closed + commit + best case;
* ``open_pipeline`` = commit + best case + pipeline (every open deal not omitted).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import attrs

from leadflow._fields import to_tuple
from leadflow._frames import Table, cell, text_table
from leadflow.errors import NotFound
from leadflow.forecasting._deals import Key, as_keys
from leadflow.forecasting.periods import CALENDAR, FiscalCalendar, Period, PeriodUnit
from leadflow.forecasting.weighted import weighted_pipeline
from leadflow.opportunities import ForecastCategory, Opportunity
from leadflow.pipelines import DEFAULT_PIPELINE, Pipelines
from leadflow.values import ExchangeRates, Money

__all__ = ["CategoryRollup", "CategoryRow", "forecast_categories"]

_ZERO = Decimal(0)


def _plus(*amounts: Money | None) -> Money | None:
    present = [amount for amount in amounts if amount is not None]
    return sum(present[1:], present[0]) if present else None


@attrs.frozen(kw_only=True)
class CategoryRow:
    """The amounts of one period (and group) by forecast category."""

    #: The period (or ``None`` for deals without a close date), then any further keys.
    key: tuple[object, ...] = attrs.field(converter=to_tuple)
    #: How many deals, in every category.
    deals: int
    closed: Money | None
    commit: Money | None
    best_case: Money | None
    pipeline: Money | None
    omitted: Money | None

    @property
    def period(self) -> Period | None:
        """The period of the row."""
        period = self.key[0]
        return period if isinstance(period, Period) else None

    @property
    def commit_forecast(self) -> Money | None:
        """Closed + commit."""
        return _plus(self.closed, self.commit)

    @property
    def best_case_forecast(self) -> Money | None:
        """Closed + commit + best case."""
        return _plus(self.closed, self.commit, self.best_case)

    @property
    def open_pipeline(self) -> Money | None:
        """Commit + best case + pipeline: every open deal that is not omitted."""
        return _plus(self.commit, self.best_case, self.pipeline)


_CATEGORY_FIELDS = {category: category.value for category in ForecastCategory}
_VIEWS = ("commit_forecast", "best_case_forecast", "open_pipeline")


@attrs.frozen(kw_only=True)
class CategoryRollup(Table[CategoryRow]):
    """Forecast categories per period (and group), sorted by key."""

    _row = CategoryRow

    #: The names of the keys: ``"period"`` then any further grouping keys.
    by: tuple[str, ...] = attrs.field(converter=to_tuple)
    currency: str | None

    def row(self, *key: object) -> CategoryRow:
        """The row with these key values; :class:`~leadflow.errors.NotFound` if none."""
        for row in self.rows:
            if row.key == key:
                return row
        raise NotFound(entity="forecast category row", key=key)

    def records(self) -> list[dict[str, Any]]:
        """One plain dict per row: keys by name, category amounts and views as Decimal."""
        names = (*_CATEGORY_FIELDS.values(), *_VIEWS)
        return [
            {
                **dict(zip(self.by, row.key, strict=True)),
                "deals": row.deals,
                **{name: _number(getattr(row, name)) for name in names},
                "currency": self.currency,
            }
            for row in self.rows
        ]

    def __str__(self) -> str:
        names = (*_CATEGORY_FIELDS.values(), *_VIEWS)
        records = [
            {
                **{name: cell(value) for name, value in zip(self.by, row.key, strict=True)},
                "deals": row.deals,
                **{name: _whole(getattr(row, name)) for name in names},
            }
            for row in self.rows
        ]
        title = f"Forecast categories ({self.currency or 'no amounts'})"
        return title + "\n" + text_table([*self.by, "deals", *names], records)


def _number(money: Money | None) -> Decimal | None:
    return None if money is None else money.amount


def _whole(money: Money | None) -> int | str:
    return "" if money is None else int(money.amount.to_integral_value())


def forecast_categories(
    opportunities: Iterable[Opportunity],
    pipelines: Pipelines = DEFAULT_PIPELINE,
    *,
    unit: PeriodUnit | str = PeriodUnit.QUARTER,
    calendar: FiscalCalendar = CALENDAR,
    by: Key | Sequence[Key] = (),
    periods: Iterable[Period] | None = None,
    rates: ExchangeRates | None = None,
) -> CategoryRollup:
    """Roll the deals' amounts up by period and forecast category.

    ``by`` adds grouping keys after the period (``"owner"``, ...; see
    :func:`~leadflow.forecasting.weighted.weighted_pipeline`).  ``periods`` keeps only
    those periods and lists each of them even when no deal falls in it (only without
    further keys).  ``rates`` converts every amount to ``rates.base``.
    """
    extra = as_keys(by)
    table = weighted_pipeline(
        opportunities,
        pipelines,
        by=("period", *extra, "forecast_category"),
        unit=unit,
        calendar=calendar,
        rates=rates,
        include="all",
    )
    wanted = None if periods is None else tuple(periods)
    sums: dict[tuple[object, ...], dict[ForecastCategory, Decimal]] = {}
    counts: dict[tuple[object, ...], int] = {}
    for row in table.rows:
        *key_values, category_value = row.key
        key = tuple(key_values)
        category = ForecastCategory(category_value)
        if wanted is not None and key[0] not in wanted:
            continue
        amounts = sums.setdefault(key, {})
        if row.amount is not None:
            amounts[category] = amounts.get(category, _ZERO) + row.amount.amount
        counts[key] = counts.get(key, 0) + row.deals
    if wanted is not None and not extra:
        for period in wanted:
            sums.setdefault((period,), {})
            counts.setdefault((period,), 0)
    currency = table.currency

    def money(amount: Decimal) -> Money | None:
        return None if currency is None else Money(amount=amount, currency=currency)

    rows = [
        CategoryRow(
            key=key,
            deals=counts[key],
            **{
                name: money(amounts.get(category, _ZERO))
                for category, name in _CATEGORY_FIELDS.items()
            },
        )
        for key, amounts in sums.items()
    ]
    order: dict[tuple[object, ...], int] = {}
    for index, row in enumerate(table.rows):
        order.setdefault(tuple(row.key[:-1]), index)
    place: dict[object, int] = {period: index for index, period in enumerate(wanted or ())}
    rows.sort(key=lambda row: (place.get(row.key[0], -1), order.get(row.key, len(order))))
    names = ("period", *table.by[1:-1])
    return CategoryRollup(by=names, currency=currency, rows=rows)
