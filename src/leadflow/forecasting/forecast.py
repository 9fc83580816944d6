"""One period's forecast: what we will close, how sure we are, and against which quota.

:func:`forecast_period` answers the sales leader's first two questions for one
period, as the deals stand at ``at``:

* **won**: deals already won with a close date in the period;
* **expected** (``weighted``): won plus each open deal's amount x the chance it is won
  *in this period*: its win probability, times the slip model's share for the number
  of periods between the one it is expected in and this one (without a slip model,
  only deals expected in this period count, in full);
* open deals whose expected close date has passed (**overdue**) are taken as expected
  in the period that contains ``at``;
* **range**: the distribution of won revenue, each deal won independently (see
  :mod:`leadflow.forecasting.simulation`), with P10/P50/P90 and the chance of reaching
  ``quota``;
* **categories**: the period's forecast-category rollup.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs

from leadflow.errors import CurrencyMismatch
from leadflow.forecasting._deals import DealReader, exact, utc
from leadflow.forecasting.categories import CategoryRow, forecast_categories
from leadflow.forecasting.periods import CALENDAR, FiscalCalendar, Period
from leadflow.forecasting.simulation import NO_SLIP, Method, RevenueRange, SlipModel, revenue_range
from leadflow.opportunities import Opportunity
from leadflow.pipelines import DEFAULT_PIPELINE, Outcome, Pipelines
from leadflow.values import ExchangeRates, Money

__all__ = ["PeriodForecast", "forecast_period"]

_ZERO = Decimal(0)


@attrs.frozen(kw_only=True)
class PeriodForecast:
    """The forecast of one period, made at ``at``."""

    period: Period
    #: When the forecast was made.
    at: datetime
    currency: str | None
    #: Won so far, with a close date in the period.
    won: Decimal
    #: Deals won so far in the period.
    won_deals: int
    #: Open deals that may close in the period (chance above 0).
    open_deals: int
    #: Of those, how many are overdue (expected close date before ``at``'s period).
    overdue: int
    #: Open deals without an expected close date, left out.
    unscheduled: int
    #: The sum of the open deals' amounts that may close in the period.
    open_amount: Decimal
    #: Won plus amount x chance of the open deals: the expected won revenue.
    weighted: Decimal
    #: The distribution of the period's won revenue (won deals included).
    range: RevenueRange
    #: The period's forecast categories (by close date, as the deals stand).
    categories: CategoryRow
    #: The target, if one was given.
    quota: Decimal | None = None

    @property
    def probability_of_quota(self) -> float | None:
        """The chance that won revenue reaches the quota (``None`` without one)."""
        return None if self.quota is None else self.range.probability_at_least(float(self.quota))

    def summary(self) -> dict[str, Any]:
        """The figures as one plain dict."""
        return {
            "period": str(self.period),
            "at": self.at.isoformat(),
            "currency": self.currency,
            "won": self.won,
            "won_deals": self.won_deals,
            "open_deals": self.open_deals,
            "overdue": self.overdue,
            "unscheduled": self.unscheduled,
            "open_amount": self.open_amount,
            "weighted": self.weighted,
            "p10": self.range.p10,
            "p50": self.range.p50,
            "p90": self.range.p90,
            "quota": self.quota,
            "probability_of_quota": self.probability_of_quota,
        }

    def __str__(self) -> str:
        spread = self.range
        how = str(spread.method) + (f", {spread.trials:,} trials" if spread.trials else "")
        rows: list[tuple[str, Decimal | float, str]] = [
            ("won so far", self.won, f"{self.won_deals} deals"),
            (
                "open, may close",
                self.open_amount,
                f"{self.open_deals} deals, {self.overdue} overdue",
            ),
            ("expected", self.weighted, "won + amount x chance"),
            ("P10", spread.p10, how),
            ("P50", spread.p50, ""),
            ("P90", spread.p90, ""),
            ("commit forecast", _amount(self.categories.commit_forecast), "closed + commit"),
            ("best case", _amount(self.categories.best_case_forecast), "+ best case"),
        ]
        if self.quota is not None:
            chance = self.probability_of_quota or 0.0
            rows.append(("quota", self.quota, f"reached with probability {chance:.0%}"))
        title = f"Forecast for {self.period} as of {self.at:%Y-%m-%d %H:%M} UTC"
        lines = [f"{title} ({self.currency})" if self.currency else title]
        lines += [f"  {name:<16}{value:>14,.0f}  {note}".rstrip() for name, value, note in rows]
        return "\n".join(lines)


def _amount(money: Money | None) -> Decimal:
    return _ZERO if money is None else money.amount


def forecast_period(
    opportunities: Iterable[Opportunity],
    pipelines: Pipelines = DEFAULT_PIPELINE,
    *,
    period: Period | str,
    at: datetime,
    calendar: FiscalCalendar = CALENDAR,
    slip: SlipModel = NO_SLIP,
    quota: Money | Decimal | int | None = None,
    method: Method | str = Method.MONTE_CARLO,
    trials: int = 10_000,
    seed: int | None = None,
    rates: ExchangeRates | None = None,
) -> PeriodForecast:
    """Forecast ``period`` (a :class:`~leadflow.forecasting.periods.Period` or a label).

    ``at`` is when the forecast is made; pass :func:`~leadflow.forecasting.asof.pipeline_as_of`
    deals to forecast as of a past date.  ``slip`` spreads each open deal's chance over
    the periods after the one it is expected in (see the module documentation).
    ``method``, ``trials`` and ``seed`` choose how the range is worked out (see
    :func:`~leadflow.forecasting.simulation.revenue_range`).  A ``quota`` in Money
    must be in the forecast's currency.
    """
    at = utc("at", at)
    deals = list(opportunities)
    target = calendar.parse(period) if isinstance(period, str) else period
    reader = DealReader(pipelines, rates=rates)
    period_of = calendar.period_key(target.unit)
    today = reader.local_date(at)
    current = period_of(today)
    ahead = calendar.distance(current, target)

    tally = _Tally()
    with exact():
        for opportunity in deals:
            tally.add(
                opportunity,
                reader,
                target=target,
                ahead=ahead,
                place=lambda day: calendar.distance(current, period_of(day)),
                slip=slip,
            )
    spread = revenue_range(
        [*tally.amounts, float(tally.won)],
        [*tally.chances, 1.0],
        method=method,
        trials=trials,
        seed=seed,
    )
    rollup = forecast_categories(
        deals, pipelines, unit=target.unit, calendar=calendar, periods=[target], rates=rates
    )
    return PeriodForecast(
        period=target,
        at=at,
        currency=reader.currency,
        won=tally.won,
        won_deals=tally.won_deals,
        open_deals=tally.open_deals,
        overdue=tally.overdue,
        unscheduled=tally.unscheduled,
        open_amount=tally.open_amount,
        weighted=tally.won + tally.weighted,
        range=spread,
        categories=rollup.row(target),
        quota=_quota(quota, reader.currency),
    )


@attrs.define
class _Tally:
    """The won deals and the open deals' chances of closing in the target period."""

    won: Decimal = _ZERO
    won_deals: int = 0
    open_deals: int = 0
    overdue: int = 0
    unscheduled: int = 0
    open_amount: Decimal = _ZERO
    weighted: Decimal = _ZERO
    amounts: list[float] = attrs.Factory(list)
    chances: list[float] = attrs.Factory(list)

    def add(
        self,
        opportunity: Opportunity,
        reader: DealReader,
        *,
        target: Period,
        ahead: int,
        place: Callable[[date], int],
        slip: SlipModel,
    ) -> None:
        """Count one deal: won in the target period, or open with a chance to close in it.

        ``ahead`` is how many periods the target is after the current one (the one that
        holds the moment of the forecast), ``place`` how many periods a day is after it.
        """
        info = reader.stage(opportunity)
        if info.outcome is Outcome.WON:
            day = reader.close_date(opportunity, info)
            amount = reader.amount(opportunity)
            if day is not None and day in target and amount is not None:
                self.won += amount
                self.won_deals += 1
            return
        expected = opportunity.expected_close_date
        if not info.is_open or ahead < 0:
            return
        if expected is None:
            self.unscheduled += 1
            return
        offset = place(expected)
        late = offset < 0
        position = max(0, offset)
        if position > ahead:
            return
        chance = float(reader.probability(opportunity, info)) * slip.share_in(ahead - position)
        if chance <= 0.0:
            return
        self.open_deals += 1
        self.overdue += late
        amount = reader.amount(opportunity)
        if amount is None:
            return
        self.open_amount += amount
        self.weighted += amount * Decimal(repr(chance))
        self.amounts.append(float(amount))
        self.chances.append(chance)


def _quota(quota: Money | Decimal | int | None, currency: str | None) -> Decimal | None:
    if quota is None:
        return None
    if isinstance(quota, Money):
        if currency is not None and quota.currency != currency:
            raise CurrencyMismatch(left=currency, right=quota.currency, operation="compare")
        return quota.amount
    return Decimal(quota)
