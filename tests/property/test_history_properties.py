"""Properties of the learned rates, on random histories built through pipeline actions."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadflow import Money, Opportunity
from leadflow.errors import ValidationError
from leadflow.forecasting.history import stage_win_rates, time_in_stage, win_rates
from leadflow.forecasting.velocity import cycle_times
from leadflow.pipelines import Outcome, Pipeline, Stage

UTC = timezone.utc
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
OWNERS = ["ana", "bob", None]

Histories = tuple[Pipeline, list[Opportunity]]


@st.composite
def histories(draw: st.DrawFn) -> Histories:
    """A pipeline with 1 to 4 open stages of random probabilities, and up to 12 deals.

    Each deal opens in a random open stage and takes up to 6 random allowed actions
    (move anywhere, close won, close lost, reopen) at increasing times.
    """
    probabilities = draw(st.lists(st.floats(0, 1), min_size=1, max_size=4))
    names = [f"s{i}" for i in range(len(probabilities))]
    pipeline = Pipeline(
        name="random",
        won_requires=(),
        lost_requires=(),
        stages=[
            *(
                Stage(name=name, probability=p, forecast_category="pipeline")
                for name, p in zip(names, probabilities, strict=True)
            ),
            Stage(name="won", probability=1, forecast_category="closed", outcome="won"),
            Stage(name="lost", probability=0, forecast_category="omitted", outcome="lost"),
        ],
    )
    deals = []
    for k in range(draw(st.integers(0, 12))):
        at = T0 + timedelta(hours=draw(st.integers(0, 2000)))
        opportunity = pipeline.open(
            name=f"deal {k}",
            at=at,
            stage=draw(st.sampled_from(names)),
            owner=draw(st.sampled_from(OWNERS)),
            amount=Money.of(draw(st.integers(0, 10_000)), "EUR"),
        ).opportunity
        for _ in range(draw(st.integers(0, 6))):
            at += timedelta(hours=draw(st.integers(0, 500)))
            if opportunity.stage in names:
                moves = [f"move:{name}" for name in names if name != opportunity.stage]
                actions = [*moves, "close_won", "close_lost"]
            else:
                actions = [f"reopen:{name}" for name in names]
            action = draw(st.sampled_from(actions))
            opportunity = pipeline.apply(opportunity, action, at=at, reason="r").opportunity
        deals.append(opportunity)
    return pipeline, deals


def closed(pipeline: Pipeline, deals: list[Opportunity]) -> list[Opportunity]:
    return [d for d in deals if not pipeline.stage(d.stage).is_open]


@given(histories(), st.floats(0, 50))
def test_reached_never_increases_along_the_pipeline(data: Histories, strength: float) -> None:
    pipeline, deals = data
    rates = stage_win_rates(deals, pipeline, prior_strength=strength)
    reached = [row.reached for row in rates.stages]
    assert reached == sorted(reached, reverse=True)
    assert all(0 <= row.won <= row.reached for row in rates.stages)


@given(histories())
def test_reached_and_won_agree_with_a_brute_force_count(data: Histories) -> None:
    pipeline, deals = data
    names = [stage.name for stage in pipeline.open_stages]
    rates = stage_win_rates(deals, pipeline)
    for i, row in enumerate(rates.stages):
        # reached stage i: visited stage i or a later open stage
        got_there = [
            d for d in closed(pipeline, deals) if any(v.stage in names[i:] for v in d.stage_history)
        ]
        assert row.reached == len(got_there)
        assert row.won == sum(pipeline.stage(d.stage).outcome is Outcome.WON for d in got_there)
    # every deal was opened through the pipeline, so every closed deal reached the first stage
    assert rates.stages[0].reached == len(closed(pipeline, deals))


@given(histories(), st.floats(0, 50))
def test_bounds_hold_the_observed_rate(data: Histories, strength: float) -> None:
    pipeline, deals = data
    for row in stage_win_rates(deals, pipeline, prior_strength=strength).stages:
        if row.observed is None:
            assert (row.low, row.high) == (0.0, 1.0)
        else:
            assert 0.0 <= row.low <= row.observed <= row.high <= 1.0


@given(histories(), st.floats(0, 50))
def test_the_rate_lies_between_observed_and_default(data: Histories, strength: float) -> None:
    pipeline, deals = data
    for row in stage_win_rates(deals, pipeline, prior_strength=strength).stages:
        observed = row.default if row.observed is None else row.observed
        assert min(observed, row.default) <= row.rate <= max(observed, row.default)
        if row.reached and strength:
            expected = (row.won + strength * row.default) / (row.reached + strength)
            assert row.rate == pytest.approx(expected, rel=1e-12, abs=1e-15)


@given(histories())
def test_prior_strength_zero_gives_the_observed_rate(data: Histories) -> None:
    pipeline, deals = data
    for row in stage_win_rates(deals, pipeline, prior_strength=0).stages:
        assert row.rate == (row.default if row.observed is None else row.observed)


@given(histories(), st.sampled_from(["owner", "pipeline", "stage"]))
def test_group_counts_add_up_to_the_closed_total(data: Histories, by: str) -> None:
    pipeline, deals = data
    finished = closed(pipeline, deals)
    if not finished:
        with pytest.raises(ValidationError):
            win_rates(deals, pipeline, by=by)
        return
    rates = win_rates(deals, pipeline, by=by)
    won = sum(pipeline.stage(d.stage).outcome is Outcome.WON for d in finished)
    assert sum(group.closed for group in rates.groups) == len(finished)
    assert sum(group.won for group in rates.groups) == won
    assert rates.overall == won / len(finished)
    sizes = [group.closed for group in rates.groups]
    assert sizes == sorted(sizes, reverse=True)
    for group in rates.groups:
        assert group.observed is not None
        assert 0.0 <= group.low <= group.observed <= group.high <= 1.0
        low, high = sorted((group.observed, rates.overall))
        assert low <= group.rate <= high


@given(histories())
def test_every_visit_is_completed_or_ongoing(data: Histories) -> None:
    pipeline, deals = data
    for row in time_in_stage(deals, pipeline):
        visits = [v for d in deals for v in d.stage_history if v.stage == row.stage]
        assert row.completed == sum(v.left_at is not None for v in visits)
        assert row.ongoing == sum(v.left_at is None for v in visits)
        if row.completed:
            figures = [row.p25_days, row.median_days, row.p75_days, row.p90_days]
            assert all(f is not None and f >= 0 for f in figures)
            assert figures == sorted(figures)  # type: ignore[type-var]


@given(histories())
def test_cycle_times_count_every_closed_deal(data: Histories) -> None:
    pipeline, deals = data
    finished = closed(pipeline, deals)
    times = cycle_times(deals, pipeline)
    won = cycle_times(deals, pipeline, outcome="won")
    lost = cycle_times(deals, pipeline, outcome="lost")
    assert times.count == len(finished) == won.count + lost.count
    if finished:
        figures = [
            times.min_days,
            times.p25_days,
            times.median_days,
            times.p75_days,
            times.p90_days,
            times.max_days,
        ]
        assert all(f is not None for f in figures)
        assert figures == sorted(figures)  # type: ignore[type-var]
