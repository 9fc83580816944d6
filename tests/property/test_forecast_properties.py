"""Properties of the weighted pipeline, the category rollup, the as-of rebuild and a forecast."""

from __future__ import annotations

import decimal
import math
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import attrs
from hypothesis import given
from hypothesis import strategies as st

from leadflow import Money, Opportunity, Probability, StageVisit
from leadflow.forecasting import (
    CALENDAR,
    forecast_categories,
    forecast_period,
    pipeline_as_of,
    weighted_pipeline,
)
from leadflow.opportunities import ForecastCategory
from leadflow.pipelines import DEFAULT_PIPELINE

UTC = timezone.utc
START = datetime(2026, 1, 1, tzinfo=UTC)
STAGES = [stage.name for stage in DEFAULT_PIPELINE.stages]


@st.composite
def deals(draw: st.DrawFn) -> Opportunity:
    """A deal whose history walks through one to three stages, ending in any stage."""
    path = draw(st.lists(st.sampled_from(STAGES), min_size=1, max_size=3))
    moments = sorted(
        START + timedelta(hours=h)
        for h in draw(st.lists(st.integers(0, 24 * 400), min_size=len(path), max_size=len(path)))
    )
    visits = [
        StageVisit(stage=stage, entered_at=moment, left_at=later)
        for stage, moment, later in zip(path, moments, [*moments[1:], None], strict=True)
    ]
    amount = draw(
        st.none() | st.integers(0, 10**6).map(lambda n: Money.of(Decimal(n) / 100, "EUR"))
    )
    return Opportunity(
        created_at=moments[0],
        name="deal",
        stage=path[-1],
        stage_history=visits,
        amount=amount,
        expected_close_date=draw(st.none() | st.dates(date(2025, 6, 1), date(2027, 12, 31))),
        owner=draw(st.sampled_from(["ann", "bob", None])),
        probability=draw(st.none() | st.floats(0, 1).map(lambda p: Probability(value=p))),
        forecast_category=draw(st.none() | st.sampled_from(list(ForecastCategory))),
    )


pipelines = st.lists(deals(), max_size=25)


def brute_weighted(opportunities: list[Opportunity], include_closed: bool) -> Decimal:
    """Deal by deal, in a context that never rounds (the sums below are exact too)."""
    total = Decimal(0)
    with decimal.localcontext(decimal.Context(prec=decimal.MAX_PREC, Emax=decimal.MAX_EMAX)):
        return _brute(opportunities, include_closed, total)


def _brute(opportunities: list[Opportunity], include_closed: bool, total: Decimal) -> Decimal:
    for deal in opportunities:
        stage = DEFAULT_PIPELINE.stage(deal.stage)
        if (stage.is_open or include_closed) and deal.amount is not None:
            p = DEFAULT_PIPELINE.probability(deal).value
            total += deal.amount.amount * Decimal(repr(p))
    return total


@given(pipelines, st.booleans())
def test_the_weighted_total_is_the_sum_of_amount_times_probability(
    opportunities: list[Opportunity], include_closed: bool
) -> None:
    table = weighted_pipeline(
        opportunities, by=("period", "owner"), include="all" if include_closed else "open"
    )
    expected = brute_weighted(opportunities, include_closed)
    total = Decimal(0) if table.total.weighted is None else table.total.weighted.amount
    assert total == expected
    with decimal.localcontext(decimal.Context(prec=decimal.MAX_PREC, Emax=decimal.MAX_EMAX)):
        rows = sum((row.weighted.amount for row in table if row.weighted is not None), Decimal(0))
    assert rows == expected
    assert sum(row.deals for row in table) == table.total.deals
    keys = [row.key for row in table]
    assert len(set(keys)) == len(keys)


@given(pipelines)
def test_categories_add_up_to_every_deals_amount(opportunities: list[Opportunity]) -> None:
    rollup = forecast_categories(opportunities)
    amounts = weighted_pipeline(opportunities, by="period", include="all")
    assert [row.key for row in rollup] == [row.key for row in amounts]
    for row, totals in zip(rollup, amounts, strict=True):
        assert row.deals == totals.deals
        parts = [row.closed, row.commit, row.best_case, row.pipeline, row.omitted]
        if totals.amount is None:
            assert parts == [None] * 5
        else:
            assert sum(part.amount for part in parts if part is not None) == totals.amount.amount
            assert row.best_case_forecast is not None
            assert row.commit_forecast is not None
            assert row.best_case_forecast.amount >= row.commit_forecast.amount


@given(pipelines, st.integers(-100, 24 * 420))
def test_as_of_keeps_the_deals_then_open_in_a_stage_they_had_entered(
    opportunities: list[Opportunity], hours: int
) -> None:
    moment = START + timedelta(hours=hours)
    then = pipeline_as_of(opportunities, moment)
    opened = [d for d in opportunities if d.stage_history[0].entered_at <= moment]
    assert len(then) == len(opened)
    for before, now in zip(then, opened, strict=True):
        assert before.id == now.id
        assert before.stage_history == now.stage_history[: len(before.stage_history)] or (
            before.stage_history[-1].left_at is None
            and attrs.evolve(now.stage_history[len(before.stage_history) - 1], left_at=None)
            == before.stage_history[-1]
        )
        assert before.stage == before.stage_history[-1].stage
        assert before.stage_history[-1].entered_at <= moment
    assert pipeline_as_of(opportunities, START + timedelta(days=500)) == opportunities


@given(pipelines, st.sampled_from(["2026Q1", "2026Q2", "2026Q3", "2027Q1"]))
def test_a_forecasts_expected_revenue_is_its_ranges_mean(
    opportunities: list[Opportunity], label: str
) -> None:
    result = forecast_period(
        opportunities,
        period=label,
        at=datetime(2026, 2, 14, tzinfo=UTC),
        method="normal",
    )
    assert math.isclose(result.range.mean, float(result.weighted), rel_tol=1e-9, abs_tol=1e-6)
    assert result.range.p10 <= result.range.p50 <= result.range.p90
    assert result.range.p10 >= float(result.won) - 1e-6
    assert CALENDAR.parse(label) == result.period
