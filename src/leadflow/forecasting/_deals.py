"""What forecasting reads from an opportunity: its pipeline, outcome, dates and amount.

Every forecasting module reads deals through these functions, so that "when did this
deal close" and "which stage counts" have one answer:

* a deal's **outcome** is its current stage's (open, won or lost);
* it **opened** when it entered its first stage (its creation time without a history);
* it **closed** when it entered its current, closed stage;
* its **close date** is, for a won deal, the close date given when it was won
  (``expected_close_date``, which :meth:`~leadflow.pipelines.Pipeline.close_won`
  sets), else the day it closed; for a lost deal the day it closed; for an open deal
  the day it is expected to close.  Days are counted in the pipeline calendar's time
  zone.
"""

from __future__ import annotations

import decimal
import math
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime
from decimal import Decimal

import attrs

from leadflow._fields import to_utc
from leadflow.errors import CurrencyMismatch, InvalidConfiguration, NotFound, ValidationError
from leadflow.opportunities import ForecastCategory, Opportunity
from leadflow.pipelines import DEFAULT_PIPELINE, Outcome, Pipeline, Pipelines
from leadflow.values import ExchangeRates, Money


def pipeline_map(pipelines: Pipelines = DEFAULT_PIPELINE) -> Mapping[str, Pipeline]:
    """The pipelines by name."""
    if isinstance(pipelines, Pipeline):
        return {pipelines.name: pipelines}
    return {p.name: p for p in pipelines}


def pipeline_of(pipelines: Mapping[str, Pipeline], opportunity: Opportunity) -> Pipeline:
    """The pipeline ``opportunity`` runs through, or :class:`~leadflow.errors.NotFound`."""
    try:
        return pipelines[opportunity.pipeline]
    except KeyError:
        raise NotFound(entity="pipeline", key=opportunity.pipeline) from None


def outcome(opportunity: Opportunity, pipeline: Pipeline) -> Outcome:
    """Whether the deal is open, won or lost: its current stage's outcome."""
    return pipeline.stage(opportunity.stage).outcome


def opened_at(opportunity: Opportunity) -> datetime:
    """When the deal entered its first stage (its creation time without a history)."""
    history = opportunity.stage_history
    return history[0].entered_at if history else opportunity.created_at


def closed_at(opportunity: Opportunity, pipeline: Pipeline) -> datetime | None:
    """When the deal entered its current, closed stage; ``None`` while it is open.

    Without a stage history that ends in the current stage, the deal's last update is
    taken as its close.
    """
    if outcome(opportunity, pipeline) is Outcome.OPEN:
        return None
    history = opportunity.stage_history
    if history and history[-1].stage == opportunity.stage:
        return history[-1].entered_at
    return opportunity.updated_at


def close_date(opportunity: Opportunity, pipeline: Pipeline) -> date | None:
    """The day the deal closed (won or lost), or is expected to close (open).

    See the module documentation for which date counts.
    """
    state = outcome(opportunity, pipeline)
    if state is Outcome.OPEN:
        return opportunity.expected_close_date
    if state is Outcome.WON and opportunity.expected_close_date is not None:
        return opportunity.expected_close_date
    moment = closed_at(opportunity, pipeline)
    return None if moment is None else pipeline.calendar.local_date(moment)


def days_between(start: datetime, end: datetime) -> float:
    """Days from ``start`` to ``end``, with fractions."""
    return (end - start).total_seconds() / 86_400.0


def amount_in(opportunity: Opportunity, *, rates: ExchangeRates | None = None) -> Money | None:
    """The deal's amount, converted to ``rates.base`` when rates are given."""
    money = opportunity.amount
    if money is None or rates is None:
        return money
    return rates.convert(money)


# ------------------------------------------------------------------ reading many deals


@attrs.frozen
class StageInfo:
    """A stage as forecasting reads it, worked out once per stage."""

    pipeline: Pipeline
    name: str
    outcome: Outcome
    probability: Decimal
    category: ForecastCategory

    @property
    def is_open(self) -> bool:
        """Whether deals in this stage are still open."""
        return self.outcome is Outcome.OPEN


_EXACT = decimal.Context(prec=decimal.MAX_PREC, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)


def exact() -> AbstractContextManager[decimal.Context]:
    """A decimal context that never rounds: sums of products come out exact, in any order.

    Use it for additions and multiplications only (a division such as 1/3 would not
    end).  Decimal arithmetic costs what the digits cost, so this is as fast as the
    default context for the amounts and probabilities deals carry.
    """
    return decimal.localcontext(_EXACT)


def probability_decimal(value: float) -> Decimal:
    """A probability as the Decimal of its shortest representation (0.1 -> ``Decimal("0.1")``)."""
    return Decimal(repr(float(value)))


class DealReader:
    """Reads many deals quickly: stage facts by table lookup, amounts in one currency.

    Amounts must all be in one currency, or be converted by ``rates``; the first
    amount read fixes the currency, and a second currency raises
    :class:`~leadflow.errors.CurrencyMismatch`.
    """

    def __init__(self, pipelines: Pipelines, *, rates: ExchangeRates | None = None) -> None:
        self.pipelines = pipeline_map(pipelines)
        self.rates = rates
        self.currency: str | None = None if rates is None else rates.base
        self._stages: dict[tuple[str, str], StageInfo] = {
            (pipeline.name, stage.name): StageInfo(
                pipeline=pipeline,
                name=stage.name,
                outcome=stage.outcome,
                probability=probability_decimal(stage.probability.value),
                category=stage.forecast_category,
            )
            for pipeline in self.pipelines.values()
            for stage in pipeline.stages
        }
        self._overrides: dict[float, Decimal] = {}

    def local_date(self, moment: datetime) -> date:
        """The day ``moment`` falls on, in the calendar of the first pipeline given."""
        first = next(iter(self.pipelines.values()), None)
        return moment.date() if first is None else first.calendar.local_date(moment)

    def stage(self, opportunity: Opportunity) -> StageInfo:
        """The facts of the deal's current stage; :class:`~leadflow.errors.NotFound` if unknown."""
        try:
            return self._stages[opportunity.pipeline, opportunity.stage]
        except KeyError:
            pipeline = pipeline_of(self.pipelines, opportunity)
            pipeline.stage(opportunity.stage)  # raises NotFound naming the stage
            raise  # pragma: no cover - the line above always raises

    def probability(self, opportunity: Opportunity, info: StageInfo) -> Decimal:
        """The deal's win probability: its override, else its stage's."""
        override = opportunity.probability
        if override is None:
            return info.probability
        value = override.value
        found = self._overrides.get(value)
        if found is None:
            found = self._overrides[value] = probability_decimal(value)
        return found

    @staticmethod
    def category(opportunity: Opportunity, info: StageInfo) -> ForecastCategory:
        """The deal's forecast category: its override, else its stage's."""
        override = opportunity.forecast_category
        return info.category if override is None else override

    def close_date(self, opportunity: Opportunity, info: StageInfo) -> date | None:
        """:func:`close_date`, quick for open deals."""
        if info.outcome is Outcome.OPEN:
            return opportunity.expected_close_date
        return close_date(opportunity, info.pipeline)

    def amount(self, opportunity: Opportunity) -> Decimal | None:
        """The deal's amount as a Decimal in :attr:`currency`, or ``None`` without one."""
        money = opportunity.amount
        if money is None:
            return None
        if money.currency == self.currency:
            return money.amount
        if self.rates is not None:
            return self.rates.convert(money).amount
        if self.currency is None:
            self.currency = money.currency
            return money.amount
        raise CurrencyMismatch(left=self.currency, right=money.currency, operation="add")

    def money(self, amount: Decimal) -> Money | None:
        """``amount`` as Money in :attr:`currency` (``None`` before any amount was read)."""
        return None if self.currency is None else Money(amount=amount, currency=self.currency)


#: How a group is chosen: a key name or a function of the deal.
Key = str | Callable[[Opportunity], object]

#: Key names that are not Opportunity fields.
DERIVED_KEYS = ("period", "outcome", "forecast_category", "close_date")

KeyFunction = Callable[[Opportunity, StageInfo], object]


def as_keys(by: Key | Sequence[Key]) -> tuple[Key, ...]:
    """One key or a sequence of keys, as a tuple."""
    if isinstance(by, (list, tuple)):
        return tuple(by)
    return (by,)  # type: ignore[return-value]  # a bad key is refused by key_function


def key_function(
    by: Key,
    reader: DealReader,
    *,
    period_of: Callable[[date], object] | None = None,
) -> tuple[str, KeyFunction]:
    """The name and the function of a grouping key.

    ``by`` is a callable (named by its ``__name__``), ``"period"`` (the period of the
    deal's close date, by ``period_of``), ``"outcome"``, ``"forecast_category"``,
    ``"close_date"``, ``"custom.<name>"`` (a custom field), or an
    :class:`~leadflow.opportunities.Opportunity` field name such as ``"owner"``,
    ``"stage"`` or ``"pipeline"``.
    """
    if callable(by):
        function = by
        return getattr(by, "__name__", "key"), lambda opportunity, info: function(opportunity)
    if not isinstance(by, str):
        raise InvalidConfiguration(key="by", reason="must be a key name or a function", value=by)
    if by == "period":
        if period_of is None:
            raise InvalidConfiguration(
                key="by", reason="cannot group by period here; group by close_date", value=by
            )
        periods = period_of
        close = reader.close_date

        def period(opportunity: Opportunity, info: StageInfo) -> object:
            day = close(opportunity, info)
            return None if day is None else periods(day)

        return by, period
    if by == "outcome":
        return by, lambda opportunity, info: info.outcome
    if by == "forecast_category":
        return by, reader.category
    if by == "close_date":
        return by, reader.close_date
    if by.startswith("custom."):
        name = by[len("custom.") :]
        if not name:
            raise InvalidConfiguration(
                key="by", reason="custom.<name> needs the custom field's name", value=by
            )
        return by, lambda opportunity, info: opportunity.custom_fields.get(name)
    if by not in _FIELDS:
        known = ", ".join((*DERIVED_KEYS, "custom.<name>", *sorted(_FIELDS)))
        raise InvalidConfiguration(key="by", reason=f"must be one of {known}", value=by)
    getter = operator.attrgetter(by)
    return by, lambda opportunity, info: getter(opportunity)


_FIELDS = frozenset(
    name
    for name in attrs.fields_dict(Opportunity)
    if name not in ("contact_roles", "stage_history", "line_items", "competitors", "custom_fields")
)


# ------------------------------------------------------------- closed deals


def close_window(
    closed_since: date | None, closed_until: date | None
) -> Callable[[date | None], bool]:
    """A test of whether a close date falls in ``[closed_since, closed_until)``."""
    for key, day in (("closed_since", closed_since), ("closed_until", closed_until)):
        if day is not None and (isinstance(day, datetime) or not isinstance(day, date)):
            raise InvalidConfiguration(key=key, reason="must be a date (not a datetime)", value=day)
    if closed_since is not None and closed_until is not None and closed_until <= closed_since:
        raise InvalidConfiguration(
            key="closed_until",
            reason=f"must be after closed_since ({closed_since}): the window would be empty",
            value=closed_until,
        )

    def inside(day: date | None) -> bool:
        if day is None:
            return closed_since is None and closed_until is None
        if closed_since is not None and day < closed_since:
            return False
        return closed_until is None or day < closed_until

    return inside


def closed_deals(
    opportunities: Iterable[Opportunity],
    pipelines: Pipelines,
    closed_since: date | None,
    closed_until: date | None,
    *,
    only: str | None = None,
) -> Iterable[tuple[Opportunity, Pipeline, Outcome]]:
    """The closed deals (won or lost) with a close date in the window, with their outcome.

    With ``only``, deals of other pipelines are skipped; otherwise a deal of a pipeline
    not among ``pipelines`` raises :class:`~leadflow.errors.NotFound`.
    """
    inside = close_window(closed_since, closed_until)
    by_name = pipeline_map(pipelines)
    for opportunity in opportunities:
        if only is not None and opportunity.pipeline != only:
            continue
        pipeline = pipeline_of(by_name, opportunity)
        state = outcome(opportunity, pipeline)
        if state is Outcome.OPEN or not inside(close_date(opportunity, pipeline)):
            continue
        yield opportunity, pipeline, state


def require_aware(key: str, moment: datetime | None) -> None:
    """Refuse a value that is not an aware datetime (``None`` passes), naming ``key``."""
    if moment is None:
        return
    if not isinstance(moment, datetime):
        raise ValidationError.single(key, moment, "is not a datetime")
    if moment.utcoffset() is None:
        raise ValidationError.single(key, moment, "is a naive datetime; give it a time zone")


def utc(key: str, moment: datetime) -> datetime:
    """``moment`` in UTC, once :func:`require_aware` has checked it."""
    require_aware(key, moment)
    return to_utc(moment)


# ------------------------------------------------------------------- figures


def quantile(ordered: Sequence[float], q: float) -> float:
    """The ``q`` quantile of sorted values, by linear interpolation between closest ranks."""
    position = (len(ordered) - 1) * q
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (position - below) * (ordered[above] - ordered[below])


def summary(values: Iterable[float]) -> dict[str, float | None]:
    """Mean, median, quartiles, 90th percentile, minimum and maximum; ``None`` when empty."""
    ordered = sorted(values)
    if not ordered:
        return dict.fromkeys(("mean", "median", "p25", "p75", "p90", "min", "max"))
    return {
        "mean": math.fsum(ordered) / len(ordered),
        "median": quantile(ordered, 0.5),
        "p25": quantile(ordered, 0.25),
        "p75": quantile(ordered, 0.75),
        "p90": quantile(ordered, 0.9),
        "min": ordered[0],
        "max": ordered[-1],
    }
