r"""Probabilities learned from history: stage win rates, win rates by group, time in stage.

A pipeline's stage probabilities are a guess until your own closed deals say otherwise.
These functions read the closed deals' stage histories and outcomes (through
``leadflow.forecasting._deals``, so that "closed", "won" and "close date" mean the
same everywhere in forecasting) and estimate:

* :func:`stage_win_rates`: for each open stage, the share of closed deals that reached
  it and were won, shrunk toward the stage's configured probability, with a 95 %
  Wilson interval; :meth:`StageWinRates.apply` puts the learned rates into a pipeline;
* :func:`win_rates`: the win rate per owner, campaign, lead source or any other key,
  shrunk toward the overall win rate;
* :func:`time_in_stage`: how long deals stay in each open stage.

**Smoothing.** A stage (or group) with few closed deals has a noisy observed rate: one
deal gives 0 % or 100 %.  Each rate is therefore the *m-estimate* of Cestnik (1990,
"Estimating probabilities: a crucial task in machine learning", ECAI): with ``won``
wins among ``n`` deals, a prior rate ``p0`` and a prior strength ``m`` (a number of
pseudo-deals),

.. math::

   \text{rate} = \frac{\text{won} + m\,p_0}{n + m},

which is also the posterior mean of the win probability under a
:math:`\mathrm{Beta}(m p_0, m (1 - p_0))` prior.  It lies between the observed rate
``won / n`` and ``p0``, moving toward the observed rate as ``n`` grows.  ``m = 0`` gives
the observed rate (and ``p0`` when there are no deals).

**Intervals.** ``low`` and ``high`` bound the *observed* rate with the Wilson score
interval (E. B. Wilson, 1927, "Probable inference, the law of succession, and
statistical inference", JASA 22: 209-212) at 95 % (``z = 1.959963984540054``):

.. math::

   \frac{\hat p + \frac{z^2}{2n} \pm z \sqrt{\frac{\hat p (1 - \hat p)}{n}
   + \frac{z^2}{4 n^2}}}{1 + \frac{z^2}{n}},

which, unlike the normal approximation, stays within 0..1 and is sensible for small
``n``.  Without deals the interval is 0..1.

**Percentiles** (:func:`time_in_stage`, and
:func:`~leadflow.forecasting.velocity.cycle_times`) interpolate linearly between the
closest ranks, as numpy's default ``linear`` method does (definition 7 of Hyndman and
Fan, 1996, "Sample quantiles in statistical packages", The American Statistician 50:
361-365): for ``n`` sorted values ``x[0] .. x[n-1]`` the ``q`` quantile is at position
``h = (n - 1) q``, that is ``x[floor(h)] + (h - floor(h)) (x[floor(h) + 1] - x[floor(h)])``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

import attrs

from leadflow._config import check_number
from leadflow._frames import text_table, to_frame
from leadflow.errors import InvalidConfiguration, NotFound, ValidationError
from leadflow.forecasting._deals import (
    DealReader,
    closed_deals,
    days_between,
    key_function,
    require_aware,
    summary,
)
from leadflow.opportunities import Opportunity
from leadflow.pipelines import DEFAULT_PIPELINE, Outcome, Pipeline, Pipelines
from leadflow.values import Probability

__all__ = [
    "GroupRate",
    "GroupWinRates",
    "StageDuration",
    "StageRate",
    "StageWinRates",
    "stage_win_rates",
    "time_in_stage",
    "win_rates",
]

#: The standard normal quantile of a two-sided 95 % interval.
_Z95 = 1.959963984540054

# ------------------------------------------------------------------- statistics


def _wilson(successes: int, trials: int, z: float = _Z95) -> tuple[float, float]:
    """The Wilson score interval of ``successes / trials``; 0..1 without trials.

    The bounds are clipped so that they hold the observed rate even after rounding.
    """
    if trials == 0:
        return 0.0, 1.0
    p = successes / trials
    z2 = z * z
    denominator = 1.0 + z2 / trials
    centre = (p + z2 / (2 * trials)) / denominator
    half = z / denominator * math.sqrt(p * (1.0 - p) / trials + z2 / (4 * trials * trials))
    return max(0.0, min(p, centre - half)), min(1.0, max(p, centre + half))


def _smoothed(won: int, count: int, prior: float, strength: float) -> float:
    """The m-estimate ``(won + m p0) / (count + m)``, kept between observed and prior."""
    if count == 0:
        return prior
    rate = (won + strength * prior) / (count + strength)
    observed = won / count
    return min(max(rate, min(observed, prior)), max(observed, prior))


# ------------------------------------------------------------- stage win rates


@attrs.frozen(kw_only=True)
class StageRate:
    """The learned win rate of one open stage.

    ``reached`` counts the closed deals (won or lost) that reached the stage, ``won``
    those of them that were won; ``default`` is the stage's configured probability
    and ``rate`` the smoothed estimate (see :mod:`leadflow.forecasting.history`).
    ``low`` and ``high`` bound the observed rate with a 95 % Wilson interval (0 and 1
    when no closed deal reached the stage).
    """

    stage: str
    reached: int
    won: int
    default: float
    rate: float
    low: float
    high: float

    @property
    def observed(self) -> float | None:
        """``won / reached``; ``None`` when no closed deal reached the stage."""
        return None if self.reached == 0 else self.won / self.reached

    def record(self) -> dict[str, object]:
        """The row as a plain dict: stage, reached, won, observed, rate, low, high, default."""
        return {
            "stage": self.stage,
            "reached": self.reached,
            "won": self.won,
            "observed": self.observed,
            "rate": self.rate,
            "low": self.low,
            "high": self.high,
            "default": self.default,
        }


_RATE_COLUMNS = ("observed", "rate", "low", "high", "default")


@attrs.frozen(kw_only=True)
class StageWinRates:
    """Win rates learned per open stage of one pipeline, from its closed deals.

    Made by :func:`stage_win_rates`.  ``stages`` holds the pipeline's open stages in
    pipeline order.
    """

    pipeline: str
    prior_strength: float
    stages: tuple[StageRate, ...]

    def rate(self, stage: str) -> float:
        """The learned rate of the open stage ``stage``.

        :class:`~leadflow.errors.NotFound` when the pipeline has no open stage of that
        name.
        """
        for row in self.stages:
            if row.stage == stage:
                return row.rate
        raise NotFound(entity=f"open stage of pipeline {self.pipeline}", key=stage)

    def apply(self, pipeline: Pipeline) -> Pipeline:
        """``pipeline`` with each open stage's probability replaced by its learned rate.

        The won and lost stages and everything else stay as they are.  The pipeline
        must be the one the rates were learned for: the same name and the same open
        stages in the same order, else :class:`~leadflow.errors.InvalidConfiguration`.
        """
        if pipeline.name != self.pipeline:
            raise InvalidConfiguration(
                key="pipeline",
                reason=f"the rates were learned for pipeline {self.pipeline}",
                value=pipeline.name,
            )
        names = [stage.name for stage in pipeline.open_stages]
        learned = [row.stage for row in self.stages]
        if names != learned:
            raise InvalidConfiguration(
                key="stages",
                reason=f"the rates were learned for the open stages {', '.join(learned)}",
                value=names,
            )
        rates = {row.stage: row.rate for row in self.stages}
        stages = tuple(
            attrs.evolve(stage, probability=Probability(value=rates[stage.name]))
            if stage.is_open
            else stage
            for stage in pipeline.stages
        )
        return attrs.evolve(pipeline, stages=stages)

    def records(self) -> list[dict[str, object]]:
        """One plain dict per stage (see :meth:`StageRate.record`)."""
        return [row.record() for row in self.stages]

    def to_frame(self) -> Any:
        """The records as a ``pandas.DataFrame`` (needs pandas)."""
        return to_frame(self.records())

    def __str__(self) -> str:
        head = (
            f"Stage win rates, pipeline {self.pipeline} "
            f"(prior strength {self.prior_strength:g} deals)"
        )
        records = self.records()
        columns = list(records[0]) if records else []
        return head + "\n" + text_table(columns, records, percent=_RATE_COLUMNS)


def _reached(opportunity: Opportunity, order: dict[str, int]) -> int:
    """How far along the open stages the deal got: the furthest position visited, or -1.

    Visits to stages that are not open stages of the pipeline are ignored.
    """
    return max((order[v.stage] for v in opportunity.stage_history if v.stage in order), default=-1)


def stage_win_rates(
    opportunities: Iterable[Opportunity],
    pipeline: Pipeline = DEFAULT_PIPELINE,
    *,
    prior_strength: float = 10.0,
    closed_since: date | None = None,
    closed_until: date | None = None,
) -> StageWinRates:
    """Learn each open stage's win rate from the closed deals of ``pipeline``.

    Only deals of this pipeline (``opportunity.pipeline == pipeline.name``) that are
    closed, won or lost, count; with ``closed_since`` and ``closed_until`` only those
    whose close date falls in ``[closed_since, closed_until)``.  A reopened deal counts
    by its current outcome; one reopened and still open does not count.

    A closed deal *reached* a stage when its stage history visited that stage or any
    open stage after it in pipeline order: a deal that skipped a stage still got past
    it.  A deal whose history visits no open stage of the pipeline reaches none.
    Each stage's rate is ``(won + m p0) / (reached + m)`` with ``p0`` the stage's
    configured probability and ``m = prior_strength`` (see
    :mod:`leadflow.forecasting.history` for the formula's source and the Wilson
    interval).

    :raises ~leadflow.errors.InvalidConfiguration: ``prior_strength`` is not a finite
        number of 0 or more, or the window is not two dates in order.
    :raises ~leadflow.errors.NotFound: a deal of the pipeline is in a stage the pipeline
        does not have.
    """
    strength = check_number("prior_strength", prior_strength, minimum=0)
    open_stages = pipeline.open_stages
    order = {stage.name: i for i, stage in enumerate(open_stages)}
    reached = [0] * len(open_stages)
    won = [0] * len(open_stages)
    deals = closed_deals(opportunities, pipeline, closed_since, closed_until, only=pipeline.name)
    for opportunity, _, state in deals:
        furthest = _reached(opportunity, order)
        for i in range(furthest + 1):
            reached[i] += 1
            if state is Outcome.WON:
                won[i] += 1
    rows = []
    for i, stage in enumerate(open_stages):
        default = stage.probability.value
        low, high = _wilson(won[i], reached[i])
        rows.append(
            StageRate(
                stage=stage.name,
                reached=reached[i],
                won=won[i],
                default=default,
                rate=_smoothed(won[i], reached[i], default, strength),
                low=low,
                high=high,
            )
        )
    return StageWinRates(pipeline=pipeline.name, prior_strength=strength, stages=tuple(rows))


# ------------------------------------------------------------- win rates by group


@attrs.frozen(kw_only=True)
class GroupRate:
    """The win rate of one group of closed deals (one owner, campaign, source, ...).

    ``closed`` counts the group's closed deals, ``won`` the won ones; ``observed`` is
    ``won / closed`` (``None`` without deals), ``rate`` the estimate shrunk toward the
    overall win rate, and ``low`` and ``high`` the 95 % Wilson interval of the
    observed rate.
    """

    key: object
    closed: int
    won: int
    observed: float | None
    rate: float
    low: float
    high: float

    def record(self) -> dict[str, object]:
        """The row as a plain dict: key, closed, won, observed, rate, low, high."""
        return attrs.asdict(self, recurse=False)


@attrs.frozen(kw_only=True)
class GroupWinRates:
    """Win rates per group of closed deals, made by :func:`win_rates`.

    ``by`` names the grouping (the attribute, ``custom.<key>``, or the callable's
    name); ``overall`` is the win rate of all the closed deals counted, toward which
    each group's rate is shrunk with ``prior_strength`` pseudo-deals.  ``groups`` are
    sorted by number of closed deals, most first, then by key as text.
    """

    by: str
    overall: float
    prior_strength: float
    groups: tuple[GroupRate, ...]

    def rate(self, key: object) -> float:
        """The rate of the group ``key``; the overall rate for a key never seen."""
        for group in self.groups:
            if group.key == key:
                return group.rate
        return self.overall

    def records(self) -> list[dict[str, object]]:
        """One plain dict per group (see :meth:`GroupRate.record`)."""
        return [group.record() for group in self.groups]

    def to_frame(self) -> Any:
        """The records as a ``pandas.DataFrame`` (needs pandas)."""
        return to_frame(self.records())

    def __str__(self) -> str:
        head = (
            f"Win rates by {self.by} (overall {self.overall:.1%}, "
            f"prior strength {self.prior_strength:g} deals)"
        )
        records = self.records()
        columns = list(records[0]) if records else []
        return head + "\n" + text_table(columns, records, percent=_RATE_COLUMNS)


def win_rates(
    opportunities: Iterable[Opportunity],
    pipelines: Pipelines = DEFAULT_PIPELINE,
    *,
    by: str | Callable[[Opportunity], object],
    prior_strength: float = 10.0,
    closed_since: date | None = None,
    closed_until: date | None = None,
) -> GroupWinRates:
    """The win rate of closed deals per group, shrunk toward the overall win rate.

    ``by`` is an :class:`~leadflow.opportunities.Opportunity` attribute name
    (``"owner"``, ``"campaign_id"``, ``"account_id"``, ``"pipeline"``, ...),
    ``"custom.<key>"`` for ``opportunity.custom_fields.get(key)``, or a function that
    gives a deal's key.  Deals count when they are closed (won or lost) and, with
    ``closed_since`` and ``closed_until``, when their close date falls in
    ``[closed_since, closed_until)``.  Each group's rate is
    ``(won + m p) / (closed + m)`` with ``p`` the overall win rate and
    ``m = prior_strength`` (see :mod:`leadflow.forecasting.history`).

    Win rates by lead source: an opportunity carries the lead it came from
    (``source_lead_id``) and the credited campaign (``campaign_id``).  Group by the
    campaign directly, or look the lead's source up yourself and pass a function::

        source_of = {
            lead.id: lead.first_touch.source if lead.first_touch else None for lead in leads
        }
        by_source = win_rates(deals, by=lambda deal: source_of.get(deal.source_lead_id))
        by_source.rate("google")

    :raises ~leadflow.errors.InvalidConfiguration: ``by`` names no attribute, a key is
        not hashable, ``prior_strength`` is not a finite number of 0 or more, or the
        window is not two dates in order.
    :raises ~leadflow.errors.ValidationError: no closed deal is counted, so there is no
        overall rate (``opportunities``, with the number of deals given).
    :raises ~leadflow.errors.NotFound: a deal runs through a pipeline not among
        ``pipelines``, or is in a stage its pipeline does not have.
    """
    strength = check_number("prior_strength", prior_strength, minimum=0)
    reader = DealReader(pipelines)
    name, key_of = key_function(by, reader)
    deals = list(opportunities)
    counts: dict[object, list[int]] = {}
    for opportunity, _, state in closed_deals(deals, pipelines, closed_since, closed_until):
        key = key_of(opportunity, reader.stage(opportunity))
        try:
            entry = counts.setdefault(key, [0, 0])
        except TypeError:
            raise InvalidConfiguration(
                key="by", reason="gave a key that is not hashable", value=key
            ) from None
        entry[0] += 1
        entry[1] += state is Outcome.WON
    closed = sum(entry[0] for entry in counts.values())
    if closed == 0:
        raise ValidationError.single(
            "opportunities", len(deals), "deals given, none closed in the window: no win rate"
        )
    overall = sum(entry[1] for entry in counts.values()) / closed
    groups = []
    for key, (count, won) in counts.items():
        low, high = _wilson(won, count)
        groups.append(
            GroupRate(
                key=key,
                closed=count,
                won=won,
                observed=won / count,
                rate=_smoothed(won, count, overall, strength),
                low=low,
                high=high,
            )
        )
    groups.sort(key=lambda group: (-group.closed, str(group.key)))
    return GroupWinRates(by=name, overall=overall, prior_strength=strength, groups=tuple(groups))


# ----------------------------------------------------------------- time in stage


@attrs.frozen(kw_only=True)
class StageDuration:
    """How long deals stayed in one open stage, in days.

    ``completed`` counts the visits that ended (the deal moved on, back, or closed),
    ``ongoing`` those still open.  The figures are over completed visits only and are
    ``None`` without any.  Ongoing visits are *right-censored*: their length is not
    known yet, only that it is at least the time spent so far.  Leaving them out means
    that the long visits, which are the ones most likely to be still going on, are
    under-represented, so the figures lean short.
    """

    stage: str
    completed: int
    ongoing: int
    mean_days: float | None
    median_days: float | None
    p25_days: float | None
    p75_days: float | None
    p90_days: float | None


def time_in_stage(
    opportunities: Iterable[Opportunity],
    pipeline: Pipeline = DEFAULT_PIPELINE,
    *,
    at: datetime | None = None,
) -> tuple[StageDuration, ...]:
    """Days the deals of ``pipeline`` spent in each open stage, in pipeline order.

    Every visit in the deals' stage histories counts, open and closed deals alike, so
    a deal that went back to a stage counts twice there.  Won and lost stages have no
    duration and are left out, as are visits to stages the pipeline does not have and
    deals of other pipelines.  Percentiles interpolate linearly between the closest
    ranks (as numpy's default; see :mod:`leadflow.forecasting.history`).

    With ``at``, the histories are read as they stood at that moment: visits that
    began later are ignored, and visits that ended later are ongoing.  Without it,
    every visit that has ended is completed and every other one is ongoing.

    Ongoing visits are right-censored and left out of the statistics, which therefore
    lean short (see :class:`StageDuration`).

    :raises ~leadflow.errors.ValidationError: ``at`` is a naive datetime.
    """
    require_aware("at", at)
    open_stages = pipeline.open_stages
    durations: dict[str, list[float]] = {stage.name: [] for stage in open_stages}
    ongoing = dict.fromkeys(durations, 0)
    for opportunity in opportunities:
        if opportunity.pipeline != pipeline.name:
            continue
        for visit in opportunity.stage_history:
            if visit.stage not in durations:
                continue
            if at is not None and visit.entered_at > at:
                continue
            left = visit.left_at
            if left is not None and (at is None or left <= at):
                durations[visit.stage].append(days_between(visit.entered_at, left))
            else:
                ongoing[visit.stage] += 1
    result = []
    for stage in open_stages:
        values = durations[stage.name]
        figures = summary(values)
        result.append(
            StageDuration(
                stage=stage.name,
                completed=len(values),
                ongoing=ongoing[stage.name],
                mean_days=figures["mean"],
                median_days=figures["median"],
                p25_days=figures["p25"],
                p75_days=figures["p75"],
                p90_days=figures["p90"],
            )
        )
    return tuple(result)
