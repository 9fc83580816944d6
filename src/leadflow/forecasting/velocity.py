"""How fast deals move: cycle times and sales velocity.

* :func:`cycle_times`: the days from a deal's opening to its close, over closed deals
  (won, lost, or both), with the mean, median, quartiles, 90th percentile and range;
* :func:`sales_velocity`: the *sales velocity* equation, the revenue the pipeline
  produces per day from four factors: open deals, win rate, average deal size and
  average sales cycle.

A deal's opening, close, close date, outcome and amount are read as everywhere in
forecasting (``leadflow.forecasting._deals``): it opened when it entered its first
stage and closed when it entered its current, closed stage.  Percentiles interpolate
linearly between the closest ranks, as numpy's default does (see
:mod:`leadflow.forecasting.history`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

import attrs

from leadflow._config import check_number
from leadflow.errors import MISSING, InvalidConfiguration, ValidationError
from leadflow.forecasting._deals import (
    amount_in,
    closed_at,
    closed_deals,
    days_between,
    opened_at,
    outcome,
    pipeline_map,
    pipeline_of,
    require_aware,
    summary,
)
from leadflow.opportunities import Opportunity
from leadflow.pipelines import DEFAULT_PIPELINE, Outcome, Pipelines
from leadflow.values import ExchangeRates, Money

__all__ = ["CycleTimes", "Velocity", "cycle_times", "sales_velocity"]


@attrs.frozen(kw_only=True)
class CycleTimes:
    """Days from opening to close over closed deals; the figures are ``None`` without any.

    ``outcome`` says which deals were counted: ``"won"``, ``"lost"`` or ``"closed"``
    (both).
    """

    outcome: str
    count: int
    mean_days: float | None
    median_days: float | None
    p25_days: float | None
    p75_days: float | None
    p90_days: float | None
    min_days: float | None
    max_days: float | None

    def __str__(self) -> str:
        if not self.count:
            return f"{self.outcome} deals: none"
        return (
            f"{self.outcome} deals: {self.count:,}; days to close: median {self.median_days:.1f},"
            f" mean {self.mean_days:.1f} (p25 {self.p25_days:.1f}, p75 {self.p75_days:.1f},"
            f" p90 {self.p90_days:.1f}; {self.min_days:.1f} to {self.max_days:.1f})"
        )


def _which(value: object) -> Outcome | None:
    if value is None:
        return None
    if value in (Outcome.WON, Outcome.LOST):
        return Outcome(value)
    raise InvalidConfiguration(key="outcome", reason="must be won, lost or None", value=value)


def cycle_times(
    opportunities: Iterable[Opportunity],
    pipelines: Pipelines = DEFAULT_PIPELINE,
    *,
    outcome: Literal["won", "lost"] | None = None,
    closed_since: date | None = None,
    closed_until: date | None = None,
) -> CycleTimes:
    """Days from opening to close of the closed deals, optionally only the won or lost ones.

    A deal opened when it entered its first stage and closed when it entered its
    current, closed stage; a reopened and closed again deal counts once, from its
    first opening to its last close.  With ``closed_since`` and ``closed_until`` only
    deals whose close date falls in ``[closed_since, closed_until)`` count.

    :raises ~leadflow.errors.InvalidConfiguration: ``outcome`` is not ``"won"``,
        ``"lost"`` or ``None``, or the window is not two dates in order.
    :raises ~leadflow.errors.NotFound: a deal runs through a pipeline not among
        ``pipelines``, or is in a stage its pipeline does not have.
    """
    wanted = _which(outcome)
    days = []
    for opportunity, pipeline, state in closed_deals(
        opportunities, pipelines, closed_since, closed_until
    ):
        if wanted is not None and state is not wanted:
            continue
        end = closed_at(opportunity, pipeline)
        if end is not None:
            days.append(days_between(opened_at(opportunity), end))
    figures = summary(days)
    return CycleTimes(
        outcome="closed" if wanted is None else wanted.value,
        count=len(days),
        mean_days=figures["mean"],
        median_days=figures["median"],
        p25_days=figures["p25"],
        p75_days=figures["p75"],
        p90_days=figures["p90"],
        min_days=figures["min"],
        max_days=figures["max"],
    )


@attrs.frozen(kw_only=True)
class Velocity:
    """Sales velocity and its four factors, made by :func:`sales_velocity`.

    ``per_day`` is ``open_deals x win_rate x average_deal_size / average_cycle_days``;
    ``won`` and ``lost`` count the closed deals the win rate, deal size and cycle came
    from.
    """

    open_deals: int
    win_rate: float
    average_deal_size: Money
    average_cycle_days: float
    per_day: Money
    won: int
    lost: int

    def per_period(self, days: float) -> Money:
        """The revenue expected over ``days`` days at this velocity: ``per_day x days``."""
        return self.per_day * check_number("days", days, minimum=0)

    def records(self) -> list[dict[str, object]]:
        """One plain dict per factor, and one for the result: ``factor`` and ``value``."""
        return [
            {"factor": "open_deals", "value": self.open_deals},
            {"factor": "win_rate", "value": self.win_rate},
            {"factor": "average_deal_size", "value": self.average_deal_size},
            {"factor": "average_cycle_days", "value": self.average_cycle_days},
            {"factor": "per_day", "value": self.per_day},
            {"factor": "won", "value": self.won},
            {"factor": "lost", "value": self.lost},
        ]

    def __str__(self) -> str:
        rows = [
            ("open deals", str(self.open_deals)),
            ("x win rate", f"{self.win_rate:.1%} ({self.won} won, {self.lost} lost)"),
            ("x average deal size", str(self.average_deal_size.rounded())),
            ("/ average cycle", f"{self.average_cycle_days:.1f} days"),
            ("= sales velocity", f"{self.per_day.rounded()} per day"),
        ]
        width = max(len(name) for name, _ in rows)
        return "\n".join(f"{name.ljust(width)}  {value}" for name, value in rows)


def sales_velocity(
    opportunities: Iterable[Opportunity],
    pipelines: Pipelines = DEFAULT_PIPELINE,
    *,
    at: datetime,
    closed_since: date | None = None,
    closed_until: date | None = None,
    rates: ExchangeRates | None = None,
) -> Velocity:
    """Sales velocity: the revenue per day the pipeline produces at its current pace.

    The *sales velocity* equation, as sales glossaries commonly give it (HubSpot's and
    Salesforce's among them; see for example Reply.io's sales glossary,
    https://reply.io/sales-glossary/sales-velocity/)::

        velocity = number of opportunities x average deal size x win rate
        / sales cycle length

    with, here:

    * **open deals**: the deals whose current stage is open and that had opened by
      ``at``;
    * **win rate**: ``won / (won + lost)`` over the deals closed in the window: close
      date in ``[closed_since, closed_until)`` (either bound may be left out) and
      closed by ``at``;
    * **average deal size**: the mean amount of the won deals in the window, converted
      with ``rates`` when given;
    * **average cycle**: the mean days from opening to close of the won deals in the
      window.

    Deals are taken as they are now: a deal that was open at ``at`` and has closed
    since is neither open nor closed here.  Rebuild the deals as of ``at`` first, or
    pass the present moment, for a figure about a past date.

    :raises ~leadflow.errors.ValidationError: no won deal closed in the window
        (``opportunities``, with the number of deals closed in the window), a won deal
        has no amount (``opportunities[i].amount``), the won deals' average cycle is
        0 days, or ``at`` is naive.
    :raises ~leadflow.errors.CurrencyMismatch: the won deals' amounts are in several
        currencies and ``rates`` does not convert them all.
    :raises ~leadflow.errors.InvalidConfiguration: the window is not two dates in order.
    :raises ~leadflow.errors.NotFound: a deal runs through a pipeline not among
        ``pipelines``, or is in a stage its pipeline does not have.
    """
    require_aware("at", at)
    deals = list(opportunities)
    by_name = pipeline_map(pipelines)
    open_deals = sum(
        1
        for deal in deals
        if outcome(deal, pipeline_of(by_name, deal)) is Outcome.OPEN and opened_at(deal) <= at
    )
    won: list[Opportunity] = []
    cycles: list[float] = []
    lost = 0
    for deal, pipeline, state in closed_deals(deals, by_name.values(), closed_since, closed_until):
        end = closed_at(deal, pipeline)
        if end is None or end > at:
            continue
        if state is Outcome.WON:
            won.append(deal)
            cycles.append(days_between(opened_at(deal), end))
        else:
            lost += 1
    if not won:
        raise ValidationError.single(
            "opportunities", lost, "no won deals closed in the window: velocity needs at least one"
        )
    position = {id(deal): i for i, deal in enumerate(deals)}
    amounts = []
    for deal in won:
        amount = amount_in(deal, rates=rates)
        if amount is None:
            raise ValidationError.single(
                f"opportunities[{position[id(deal)]}].amount",
                MISSING,
                f"is required on won deal {deal.id}: the average deal size needs every amount",
            )
        amounts.append(amount)
    average_size = sum(amounts[1:], amounts[0]) / len(amounts)
    average_cycle = math.fsum(cycles) / len(cycles)
    if average_cycle <= 0:
        raise ValidationError.single(
            "opportunities",
            len(won),
            "won deals closed the moment they opened: an average cycle of 0 days has no velocity",
        )
    count = len(won) + lost
    per_day = average_size * (Decimal(open_deals) * Decimal(len(won)) / Decimal(count))
    return Velocity(
        open_deals=open_deals,
        win_rate=len(won) / count,
        average_deal_size=average_size,
        average_cycle_days=average_cycle,
        per_day=per_day / average_cycle,
        won=len(won),
        lost=lost,
    )
