"""The pipeline as it stood on a past date, and backtests of forecasts made then.

:func:`opportunity_as_of` rebuilds one deal as it was at a moment ``at``:

* its **stage** comes from its stage history: the last stage entered at or before
  ``at`` (a deal that entered its first stage later did not exist yet).  When the
  stage then differs from today's, the deal's probability and forecast-category
  overrides, close reason and competitor are cleared, as every stage action clears
  them;
* its **other fields** (amount, expected close date, owner, ...) come from the event
  log when you pass one: every :class:`~leadflow.events.EntityUpdated` recorded after
  ``at`` is undone, newest first, using the value it records from before the change,
  and a deal whose :class:`~leadflow.events.EntityAdded` was recorded after ``at`` did
  not exist yet.  Without events they are taken as they are now: say so when you
  report an as-of figure, because a won deal's amount and close date are usually
  updated when it is won.

The stage history tells when the business says a move happened; the event log when
the store learned of a change.  They agree when leadflow records changes as they
happen; for history imported later, pass no events for the imported deals.

:func:`backtest` measures forecasts: for each period, the forecast made as of a date
before it (won so far plus the weighted open deals expected to close in it) against
what was won in it, with the mean absolute percentage error over the periods.
:func:`learn_slip` learns how often won deals closed later than expected.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, time, timezone
from decimal import Decimal
from typing import Any

import attrs

from leadflow._frames import Table
from leadflow.errors import InvalidConfiguration
from leadflow.events import EntityAdded, EntityRemoved, EntityUpdated, RecordedEvent
from leadflow.forecasting._deals import (
    DealReader,
    opened_at,
    utc,
)
from leadflow.forecasting.periods import CALENDAR, FiscalCalendar, Period, PeriodUnit
from leadflow.forecasting.simulation import SlipModel
from leadflow.forecasting.weighted import weighted_pipeline
from leadflow.opportunities import Opportunity
from leadflow.pipelines import DEFAULT_PIPELINE, Outcome, Pipelines
from leadflow.serialization import from_dict, to_dict
from leadflow.values import ExchangeRates, Money

__all__ = [
    "Backtest",
    "BacktestRow",
    "backtest",
    "learn_slip",
    "opportunity_as_of",
    "pipeline_as_of",
]

_OPPORTUNITY = "opportunity"


def _history(events: Iterable[RecordedEvent]) -> dict[Any, list[RecordedEvent]]:
    """The opportunities' events by entity id, in log order."""
    found: dict[Any, list[RecordedEvent]] = defaultdict(list)
    for recorded in sorted(events, key=lambda r: r.position):
        event = recorded.event
        if getattr(event, "entity", None) == _OPPORTUNITY and isinstance(
            event, (EntityAdded, EntityUpdated, EntityRemoved)
        ):
            found[event.entity_id].append(recorded)
    return found


def _from_log(
    opportunity: Opportunity, at: datetime, events: Sequence[RecordedEvent]
) -> Opportunity | None:
    """The deal's fields at ``at``, by undoing the updates recorded after it."""
    added = next((r for r in events if isinstance(r.event, EntityAdded)), None)
    if added is not None and added.recorded_at > at:
        return None
    later = [r for r in events if isinstance(r.event, EntityUpdated) and r.recorded_at > at]
    if not later:
        return opportunity
    document = dict(to_dict(opportunity))
    for recorded in reversed(later):
        event = recorded.event
        if not isinstance(event, EntityUpdated):  # pragma: no cover - filtered just above
            continue
        for name, change in event.changes.items():
            if change.before is None:
                document.pop(name, None)
            else:
                document[name] = change.before
    document["version"] = max(0, later[0].event.version - 1)  # type: ignore[union-attr]
    return from_dict(Opportunity, document)


def _from_history(opportunity: Opportunity, at: datetime) -> Opportunity | None:
    """The deal at ``at`` by its stage history (other fields as they are)."""
    if opened_at(opportunity) > at:
        return None
    history = opportunity.stage_history
    if not history:
        return opportunity if opportunity.created_at <= at else None
    visits = [visit for visit in history if visit.entered_at <= at]
    last = visits[-1]
    if last.left_at is not None and last.left_at > at:
        visits[-1] = last = attrs.evolve(last, left_at=None)
    if len(visits) == len(history) and visits[-1] == history[-1]:
        return opportunity
    changes: dict[str, Any] = {"stage_history": tuple(visits)}
    if last.stage != opportunity.stage or len(visits) != len(history):
        changes.update(
            stage=last.stage,
            probability=None,
            forecast_category=None,
            close_reason=None,
            lost_to=None,
        )
    if opportunity.updated_at > at:
        changes["updated_at"] = max(opportunity.created_at, at)
    return attrs.evolve(opportunity, **changes)


def opportunity_as_of(
    opportunity: Opportunity,
    at: datetime,
    *,
    events: Sequence[RecordedEvent] = (),
) -> Opportunity | None:
    """The deal as it stood at ``at``, or ``None`` if it did not exist yet.

    ``events`` are this deal's events from the log (others are ignored); see the
    module documentation for what is rebuilt from what.
    """
    at = utc("at", at)
    mine = _history(events).get(opportunity.id.value, [])
    rebuilt = _from_log(opportunity, at, mine) if mine else opportunity
    return None if rebuilt is None else _from_history(rebuilt, at)


def pipeline_as_of(
    opportunities: Iterable[Opportunity],
    at: datetime,
    *,
    events: Iterable[RecordedEvent] = (),
) -> list[Opportunity]:
    """Every deal that existed at ``at``, as it stood then (see :func:`opportunity_as_of`).

    ``events`` is the store's event log (or the part of it about opportunities);
    read it with ``uow.events.read(entity="opportunity")``.
    """
    at = utc("at", at)
    by_id = _history(events)
    rebuilt: list[Opportunity] = []
    for opportunity in opportunities:
        mine = by_id.get(opportunity.id.value)
        state = _from_log(opportunity, at, mine) if mine else opportunity
        if state is not None:
            state = _from_history(state, at)
        if state is not None:
            rebuilt.append(state)
    return rebuilt


# ----------------------------------------------------------------- backtests


@attrs.frozen(kw_only=True)
class BacktestRow:
    """The forecast for one period made as of a date, against what was won in it."""

    period: Period
    #: When the forecast was made.
    as_of: datetime
    #: Won by then plus the weighted open deals expected to close in the period,
    #: rounded to the currency's minor unit.
    forecast: Decimal
    #: What was won in the period, as the deals stand now.
    actual: Decimal
    #: ``forecast - actual``.
    error: Decimal
    #: ``error / actual`` as a fraction (``None`` when nothing was won).
    percentage_error: float | None


@attrs.frozen(kw_only=True)
class Backtest(Table[BacktestRow]):
    """Forecasts against actuals per period, with the mean absolute percentage error."""

    _row = BacktestRow

    currency: str | None = None

    @property
    def mape(self) -> float | None:
        """Mean absolute percentage error over the periods where something was won.

        ``mean(|forecast - actual| / actual)`` as a fraction (0.12 is 12 %); ``None``
        when no period had a won deal.
        """
        errors = [abs(r.percentage_error) for r in self.rows if r.percentage_error is not None]
        return math.fsum(errors) / len(errors) if errors else None

    @property
    def mean_error(self) -> Decimal | None:
        """The average of ``forecast - actual``: above 0, the forecasts ran high."""
        if not self.rows:
            return None
        return sum((r.error for r in self.rows), Decimal(0)) / len(self.rows)

    def __str__(self) -> str:
        text = super().__str__()
        mape = self.mape
        summary = "MAPE: -" if mape is None else f"MAPE: {mape:.1%}"
        return f"{text}\n{summary} over {len(self.rows)} periods ({self.currency or 'no amounts'})"


def _period_start(period: Period) -> datetime:
    return datetime.combine(period.start, time(0), tzinfo=timezone.utc)


def backtest(
    opportunities: Iterable[Opportunity],
    pipelines: Pipelines = DEFAULT_PIPELINE,
    *,
    periods: Iterable[Period],
    as_of: Callable[[Period], datetime] | None = None,
    events: Iterable[RecordedEvent] = (),
    calendar: FiscalCalendar = CALENDAR,
    rates: ExchangeRates | None = None,
) -> Backtest:
    """Compare, for each period, the forecast made as of ``as_of(period)`` with what was won.

    The forecast is what :func:`~leadflow.forecasting.weighted.weighted_pipeline`
    with ``include="all"`` gives for the period on the pipeline rebuilt as of that
    moment: deals already won in the period at their amount, open deals expected to
    close in it at amount x probability.  The default moment is the start of the
    period (midnight UTC).  The actual is the amount of the deals won in the period,
    as they stand now.  Pass a pipeline with learned probabilities
    (:meth:`~leadflow.forecasting.history.StageWinRates.apply`) to test those; learn
    them from deals closed before the earliest forecast, or the test flatters them.
    """
    deals = list(opportunities)
    log = list(events)
    chosen = tuple(periods)
    if not chosen:
        raise InvalidConfiguration(key="periods", reason="needs at least one period", value=[])
    units = {period.unit for period in chosen}
    if len(units) != 1:
        raise InvalidConfiguration(
            key="periods", reason="must all be of one unit", value=[str(p) for p in chosen]
        )
    (unit,) = units
    moment_of = as_of or _period_start
    actual_table = weighted_pipeline(
        deals,
        pipelines,
        by=("period", "outcome"),
        unit=unit,
        calendar=calendar,
        rates=rates,
        include="all",
    )
    currency = actual_table.currency
    rows: list[BacktestRow] = []
    for period in chosen:
        moment = utc("as_of", moment_of(period))
        snapshot = pipeline_as_of(deals, moment, events=log)
        table = weighted_pipeline(
            snapshot,
            pipelines,
            by="period",
            unit=unit,
            calendar=calendar,
            rates=rates,
            include="all",
        )
        currency = currency or table.currency
        forecast = _cents(_weighted_of(table.rows, (period,)), currency)
        actual = _amount_of(actual_table.rows, (period, Outcome.WON))
        error = forecast - actual
        rows.append(
            BacktestRow(
                period=period,
                as_of=moment,
                forecast=forecast,
                actual=actual,
                error=error,
                percentage_error=None if actual == 0 else float(error / actual),
            )
        )
    return Backtest(rows=rows, currency=currency)


def _cents(amount: Decimal, currency: str | None) -> Decimal:
    """``amount`` rounded to the currency's minor unit (unchanged without a currency)."""
    if currency is None:
        return amount
    return Money(amount=amount, currency=currency).rounded().amount


def _weighted_of(rows: Iterable[Any], key: tuple[object, ...]) -> Decimal:
    for row in rows:
        if row.key == key:
            return Decimal(0) if row.weighted is None else Decimal(row.weighted.amount)
    return Decimal(0)


def _amount_of(rows: Iterable[Any], key: tuple[object, ...]) -> Decimal:
    for row in rows:
        if row.key == key:
            return Decimal(0) if row.amount is None else Decimal(row.amount.amount)
    return Decimal(0)


# ----------------------------------------------------------------- slipping


def learn_slip(
    opportunities: Iterable[Opportunity],
    pipelines: Pipelines = DEFAULT_PIPELINE,
    *,
    snapshots: Iterable[datetime],
    events: Iterable[RecordedEvent],
    unit: PeriodUnit | str = PeriodUnit.QUARTER,
    calendar: FiscalCalendar = CALENDAR,
    max_offset: int = 3,
    prior_strength: float = 0.0,
) -> SlipModel:
    """How many periods late won deals closed, learned from what was expected at snapshots.

    At each snapshot, every deal then open and later won contributes one offset: the
    periods between the one its expected close date (as of the snapshot) fell in,
    or the snapshot's own period when that date had already passed, and the one it
    closed in.  The expected close date as it was needs the event log, since winning
    a deal sets it to the actual close date.  See
    :meth:`~leadflow.forecasting.simulation.SlipModel.from_offsets` for ``max_offset``
    and ``prior_strength``.
    """
    deals = list(opportunities)
    log = list(events)
    reader = DealReader(pipelines)
    period_of = calendar.period_key(unit)
    final = {deal.id: deal for deal in deals}
    offsets: list[int] = []
    for i, snapshot in enumerate(snapshots):
        moment = utc(f"snapshots[{i}]", snapshot)
        now = period_of(reader.local_date(moment))
        for then in pipeline_as_of(deals, moment, events=log):
            info = reader.stage(then)
            if not info.is_open or then.expected_close_date is None:
                continue
            later = final[then.id]
            later_info = reader.stage(later)
            if later_info.outcome is not Outcome.WON:
                continue
            closed = reader.close_date(later, later_info)
            if closed is None:  # pragma: no cover - a won deal always has a close date
                continue
            expected = max(period_of(then.expected_close_date), now)
            offsets.append(calendar.distance(expected, period_of(closed)))
    return SlipModel.from_offsets(offsets, max_offset=max_offset, prior_strength=prior_strength)
