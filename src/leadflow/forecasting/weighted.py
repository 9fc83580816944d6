"""The weighted pipeline: open amounts times their win probabilities, grouped any way.

A deal's weighted amount is its amount times its win probability: the deal's own
``probability`` when set, else its stage's default from the pipeline (see
:meth:`~leadflow.pipelines.Pipeline.probability`).  Summed over deals it is the
expected won revenue when each deal is won independently with its probability.
Group it by ``"period"`` (of the expected close date), ``"owner"``, ``"pipeline"``,
``"stage"``, ``"forecast_category"``, any other opportunity field, a custom field
(``"custom.<name>"``) or any function of the deal.

Amounts must be in one currency, or an :class:`~leadflow.values.ExchangeRates` table
must convert them: mixing currencies without one raises
:class:`~leadflow.errors.CurrencyMismatch`, because a total across currencies means
nothing.  Sums are exact: :class:`~decimal.Decimal` arithmetic with no rounding at all
(not the default context's 28 significant digits), so the total does not depend on
the order of the deals.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any, Literal

import attrs

from leadflow._fields import to_tuple
from leadflow._frames import Table, cell, text_table
from leadflow.errors import InvalidConfiguration, NotFound
from leadflow.forecasting._deals import (
    DealReader,
    Key,
    KeyFunction,
    StageInfo,
    as_keys,
    exact,
    key_function,
)
from leadflow.forecasting.periods import CALENDAR, FiscalCalendar, PeriodUnit
from leadflow.opportunities import Opportunity
from leadflow.pipelines import DEFAULT_PIPELINE, Pipelines
from leadflow.values import ExchangeRates, Money

__all__ = ["PipelineRow", "WeightedPipeline", "weighted_pipeline"]

_ZERO = Decimal(0)


@attrs.frozen(kw_only=True)
class PipelineRow:
    """One group of the weighted pipeline."""

    #: The group's key values, one per grouping key (empty for the total).
    key: tuple[object, ...] = attrs.field(converter=to_tuple)
    #: How many deals are in the group.
    deals: int
    #: How many of them have no amount (they count as 0).
    without_amount: int
    #: The sum of the amounts (``None`` when no deal had an amount).
    amount: Money | None
    #: The sum of amount x probability.
    weighted: Money | None


@attrs.frozen(kw_only=True)
class WeightedPipeline(Table[PipelineRow]):
    """The weighted pipeline, one row per group, sorted by key, with the total."""

    _row = PipelineRow

    #: The names of the grouping keys.
    by: tuple[str, ...] = attrs.field(converter=to_tuple)
    #: The currency of every amount (``None`` when no deal had an amount).
    currency: str | None
    total: PipelineRow

    def row(self, *key: object) -> PipelineRow:
        """The row of the group with these key values (:class:`~leadflow.errors.NotFound`)."""
        for row in self.rows:
            if row.key == key:
                return row
        raise NotFound(entity="pipeline group", key=key)

    def records(self) -> list[dict[str, Any]]:
        """One plain dict per group: the key values by name, then the figures (Decimal)."""
        return [
            {
                **dict(zip(self.by, row.key, strict=True)),
                "deals": row.deals,
                "without_amount": row.without_amount,
                "amount": None if row.amount is None else row.amount.amount,
                "weighted": None if row.weighted is None else row.weighted.amount,
                "currency": self.currency,
            }
            for row in self.rows
        ]

    def __str__(self) -> str:
        columns = [*self.by, "deals", "amount", "weighted"]
        shown = [*self.rows, self.total] if self.by else [self.total]
        records = [
            {
                **{name: cell(value) for name, value in zip(self.by, row.key, strict=False)},
                **({self.by[0]: "total"} if self.by and not row.key else {}),
                "deals": row.deals,
                "amount": _rounded(row.amount),
                "weighted": _rounded(row.weighted),
            }
            for row in shown
        ]
        for record in records:
            for name in self.by:
                record.setdefault(name, "")
        return text_table(columns, records)


def _rounded(money: Money | None) -> str:
    return "" if money is None else str(money.rounded())


def weighted_pipeline(
    opportunities: Iterable[Opportunity],
    pipelines: Pipelines = DEFAULT_PIPELINE,
    *,
    by: Key | Sequence[Key] = (),
    unit: PeriodUnit | str = PeriodUnit.QUARTER,
    calendar: FiscalCalendar = CALENDAR,
    rates: ExchangeRates | None = None,
    include: Literal["open", "all"] = "open",
) -> WeightedPipeline:
    """Sum amount and amount x probability over the deals, grouped by ``by``.

    ``by`` is one key or a sequence of keys (see the module documentation);
    ``"period"`` groups by the ``unit`` period of ``calendar`` that the deal's close
    date falls in (deals without one under ``None``).  ``include="open"`` (the
    default) counts open deals only; ``"all"`` counts won deals at their full amount
    and lost ones at nothing.  ``rates`` converts every amount to ``rates.base``.
    """
    if include not in ("open", "all"):
        raise InvalidConfiguration(key="include", reason="must be 'open' or 'all'", value=include)
    reader = DealReader(pipelines, rates=rates)
    names, key_of = _keys(by, reader, calendar=calendar, unit=unit)
    groups: dict[tuple[object, ...], list[Any]] = {}
    stage = reader.stage
    probability = reader.probability
    amount_of = reader.amount
    open_only = include == "open"
    with exact():
        for opportunity in opportunities:
            info = stage(opportunity)
            if open_only and not info.is_open:
                continue
            key = key_of(opportunity, info)
            group = groups.get(key)
            if group is None:
                group = groups[key] = [0, 0, _ZERO, _ZERO]
            group[0] += 1
            amount = amount_of(opportunity)
            if amount is None:
                group[1] += 1
            else:
                group[2] += amount
                group[3] += amount * probability(opportunity, info)
    rows = [_row(reader, key, group) for key, group in groups.items()]
    rows.sort(key=lambda row: _order(row.key))
    totals: list[Any] = [0, 0, _ZERO, _ZERO]
    with exact():
        for group in groups.values():
            for i, value in enumerate(group):
                totals[i] += value
    total = _row(reader, (), totals)
    return WeightedPipeline(by=names, currency=reader.currency, rows=rows, total=total)


def _row(reader: DealReader, key: tuple[object, ...], group: list[Any]) -> PipelineRow:
    """A row from a group's [deals, without amount, amount, weighted] sums."""
    deals, without_amount, amount, weighted = group
    return PipelineRow(
        key=key,
        deals=deals,
        without_amount=without_amount,
        amount=reader.money(amount),
        weighted=reader.money(weighted),
    )


def _keys(
    by: Key | Sequence[Key],
    reader: DealReader,
    *,
    calendar: FiscalCalendar,
    unit: PeriodUnit | str,
) -> tuple[tuple[str, ...], Callable[[Opportunity, StageInfo], tuple[object, ...]]]:
    """The key names and one function giving a deal's key tuple (specialised for speed)."""
    keys = as_keys(by)
    period_of = calendar.period_key(unit) if "period" in keys else None
    pairs = [key_function(key, reader, period_of=period_of) for key in keys]
    names = tuple(name for name, _ in pairs)
    if len(set(names)) != len(names):
        raise InvalidConfiguration(key="by", reason="names a key twice", value=list(names))
    functions: list[KeyFunction] = [function for _, function in pairs]
    if not functions:
        return names, lambda opportunity, info: ()
    if len(functions) == 1:
        (first,) = functions
        return names, lambda opportunity, info: (first(opportunity, info),)
    if len(functions) == 2:
        first, second = functions
        return names, lambda opportunity, info: (
            first(opportunity, info),
            second(opportunity, info),
        )
    return names, lambda opportunity, info: tuple(f(opportunity, info) for f in functions)


def _order(key: tuple[object, ...]) -> tuple[tuple[bool, str, object], ...]:
    """Sort groups by their key values, ``None`` last; other values by type, then value."""
    return tuple((value is None, type(value).__name__, _sortable(value)) for value in key)


def _sortable(value: object) -> object:
    """The value itself when values of its type can be ordered, else its text."""
    if value is None:
        return ""
    try:
        operator.lt(value, value)  # type: ignore[arg-type]
    except TypeError:
        return str(value)
    return value
