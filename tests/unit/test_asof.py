"""The pipeline as of a past date, backtests and slip learning, on histories built by hand."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import attrs
import pytest

from leadflow import (
    InvalidConfiguration,
    Money,
    Opportunity,
    Probability,
    StageVisit,
    ValidationError,
)
from leadflow.adapters.memory import MemoryStore
from leadflow.events import RecordedEvent
from leadflow.forecasting.asof import backtest, learn_slip, opportunity_as_of, pipeline_as_of
from leadflow.forecasting.periods import CALENDAR
from leadflow.opportunities import ForecastCategory
from leadflow.pipelines import Pipeline, Stage

UTC = timezone.utc
T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
DAY = timedelta(days=1)

#: A pipeline without exit criteria, so that tests can move deals freely.
PLAIN = Pipeline(
    name="default",
    won_requires=(),
    stages=(
        Stage(name="new", probability=0.2, forecast_category="pipeline"),
        Stage(name="proposal", probability=0.5, forecast_category="best_case"),
        Stage(name="won", probability=1.0, forecast_category="closed", outcome="won"),
        Stage(name="lost", probability=0.0, forecast_category="omitted", outcome="lost"),
    ),
)


def opened(name: str, amount: int, close: date, *, at: datetime = T0) -> Opportunity:
    return PLAIN.open(
        name=name, at=at, amount=Money.of(amount, "EUR"), expected_close_date=close
    ).opportunity


# ------------------------------------------------------------ by stage history


def test_a_deal_before_it_opened_did_not_exist() -> None:
    deal = opened("a", 100, date(2026, 3, 1))
    assert opportunity_as_of(deal, T0 - timedelta(seconds=1)) is None
    assert opportunity_as_of(deal, T0) is deal


def test_the_stage_at_a_moment_comes_from_the_stage_history() -> None:
    deal = opened("a", 100, date(2026, 3, 1))
    deal = PLAIN.move(deal, "proposal", at=T0 + 2 * DAY).opportunity
    deal = attrs.evolve(
        deal, probability=Probability(value=0.7), forecast_category=ForecastCategory.COMMIT
    )
    won = PLAIN.close_won(deal, at=T0 + 9 * DAY, reason="fit").opportunity

    then = opportunity_as_of(won, T0 + DAY)
    assert then is not None
    assert then.stage == "new"
    assert then.stage_history == (StageVisit(stage="new", entered_at=T0),)
    assert then.close_reason is None
    assert then.updated_at == T0 + DAY

    middle = opportunity_as_of(won, T0 + 5 * DAY)
    assert middle is not None
    assert middle.stage == "proposal"
    assert [v.stage for v in middle.stage_history] == ["new", "proposal"]
    assert middle.stage_history[-1].left_at is None
    assert middle.probability is None  # the override belonged to a later state of the deal

    # A deal still in the same visit keeps its overrides.
    assert opportunity_as_of(deal, T0 + 5 * DAY) is deal
    assert opportunity_as_of(won, T0 + 10 * DAY) is won


def test_pipeline_as_of_keeps_the_deals_that_existed() -> None:
    early = opened("early", 100, date(2026, 3, 1))
    late = opened("late", 100, date(2026, 3, 1), at=T0 + 10 * DAY)
    assert [d.name for d in pipeline_as_of([early, late], T0 + 5 * DAY)] == ["early"]
    assert len(pipeline_as_of([early, late], T0 + 10 * DAY)) == 2


# --------------------------------------------------------------- by event log


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def stored_history() -> tuple[Opportunity, list[RecordedEvent], Clock]:
    """A deal stored on day 0 at 1000 due in March, 2000 from day 3, due in May from day 6."""
    clock = Clock(T0)
    store = MemoryStore(clock=clock)
    deal = opened("a", 1000, date(2026, 3, 15))
    with store.unit_of_work() as uow:
        deal = uow.opportunities.add(deal)
        uow.commit()
        clock.now = T0 + 3 * DAY
        deal = uow.opportunities.update(attrs.evolve(deal, amount=Money.of(2000, "EUR")))
        uow.commit()
        clock.now = T0 + 6 * DAY
        deal = uow.opportunities.update(attrs.evolve(deal, expected_close_date=date(2026, 5, 2)))
        uow.commit()
        events = uow.events.read()
    return deal, events, clock


def test_the_event_log_undoes_the_changes_recorded_after_the_moment() -> None:
    deal, events, _ = stored_history()
    assert opportunity_as_of(deal, T0 - DAY, events=events) is None
    first = opportunity_as_of(deal, T0 + DAY, events=events)
    assert first is not None
    assert first.amount == Money.of(1000, "EUR")
    assert first.expected_close_date == date(2026, 3, 15)
    assert first.version == 1
    second = opportunity_as_of(deal, T0 + 4 * DAY, events=events)
    assert second is not None
    assert second.amount == Money.of(2000, "EUR")
    assert second.expected_close_date == date(2026, 3, 15)
    assert opportunity_as_of(deal, T0 + 7 * DAY, events=events) == deal


def test_events_of_other_deals_change_nothing() -> None:
    _, events, _ = stored_history()
    other = opened("b", 5, date(2026, 3, 1))
    assert opportunity_as_of(other, T0 + DAY, events=events) is other


# -------------------------------------------------------------------- backtest


def test_backtest_compares_the_forecast_made_then_with_what_was_won() -> None:
    q1, q2 = CALENDAR.parse("2026Q1"), CALENDAR.parse("2026Q2")
    start = datetime(2025, 12, 1, tzinfo=UTC)
    # In "new" (20 %) on 1 January, expected in Q1; won in February at 1000.
    a = opened("a", 1000, date(2026, 2, 1), at=start)
    a = PLAIN.close_won(a, at=datetime(2026, 2, 1, tzinfo=UTC)).opportunity
    # In "proposal" (50 %) on 1 January, expected in Q1; lost in March.
    b = opened("b", 3000, date(2026, 3, 1), at=start)
    b = PLAIN.move(b, "proposal", at=start + DAY).opportunity
    b = PLAIN.close_lost(b, at=datetime(2026, 3, 2, tzinfo=UTC), reason="price").opportunity
    # Opened in February, expected and won in Q2 at 500.
    c = opened("c", 500, date(2026, 4, 10), at=datetime(2026, 2, 1, tzinfo=UTC))
    c = PLAIN.close_won(c, at=datetime(2026, 4, 10, tzinfo=UTC)).opportunity

    result = backtest([a, b, c], PLAIN, periods=[q1, q2])
    first, second = result.rows
    assert first.as_of == datetime(2026, 1, 1, tzinfo=UTC)
    assert first.forecast == Decimal("1700")  # 1000 x 0.2 + 3000 x 0.5
    assert first.actual == Decimal("1000")
    assert first.error == Decimal("700")
    assert first.percentage_error == pytest.approx(0.7)
    assert second.forecast == Decimal("100")  # c, in "new" on 1 April: 500 x 0.2
    assert second.actual == Decimal("500")
    assert second.percentage_error == pytest.approx(-0.8)
    assert result.mape == pytest.approx(0.75)
    assert result.mean_error == Decimal("150")
    assert result.currency == "EUR"
    assert "MAPE: 75.0% over 2 periods (EUR)" in str(result)
    assert [r["period"] for r in result.records()] == [q1, q2]


def test_backtest_at_a_chosen_moment_counts_deals_already_won() -> None:
    q1 = CALENDAR.parse("2026Q1")
    a = opened("a", 1000, date(2026, 2, 1), at=datetime(2025, 12, 1, tzinfo=UTC))
    a = PLAIN.close_won(a, at=datetime(2026, 2, 1, tzinfo=UTC)).opportunity
    as_of: Callable[[object], datetime] = lambda period: datetime(2026, 2, 15, tzinfo=UTC)  # noqa: E731
    result = backtest([a], PLAIN, periods=[q1], as_of=as_of)
    assert result.rows[0].forecast == Decimal("1000")
    assert result.rows[0].percentage_error == 0.0


def test_a_period_with_nothing_won_has_no_percentage_error() -> None:
    q1 = CALENDAR.parse("2026Q1")
    a = opened("a", 1000, date(2026, 2, 1), at=datetime(2025, 12, 1, tzinfo=UTC))
    result = backtest([a], PLAIN, periods=[q1])
    assert result.rows[0].percentage_error is None
    assert result.mape is None
    assert "MAPE: -" in str(result)


def test_backtest_needs_periods_of_one_unit() -> None:
    with pytest.raises(InvalidConfiguration, match="at least one period"):
        backtest([], PLAIN, periods=[])
    with pytest.raises(InvalidConfiguration, match="one unit"):
        backtest([], PLAIN, periods=[CALENDAR.parse("2026Q1"), CALENDAR.parse("2026-01")])


# ----------------------------------------------------------------------- slip


def test_slip_is_learned_from_the_close_date_expected_at_each_snapshot() -> None:
    deal, events, clock = stored_history()
    store_time = clock.now
    # Won in May: expected in Q1 on day 1 (one quarter late), in Q2 on day 7 (on time).
    won = PLAIN.close_won(deal, at=store_time + 2 * DAY, close_date=date(2026, 5, 2)).opportunity
    slip = learn_slip([won], PLAIN, snapshots=[T0 + DAY, T0 + 7 * DAY], events=events, max_offset=2)
    assert slip.shares == pytest.approx((0.5, 0.5, 0.0))


def test_a_passed_expected_date_counts_from_the_snapshots_period() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    deal = opened("a", 100, date(2026, 1, 20), at=start)
    won = PLAIN.close_won(deal, at=datetime(2026, 4, 3, tzinfo=UTC)).opportunity
    # Won deals keep the expected date unless a close date is given: 20 January, Q1.
    # At a snapshot in Q2 the passed date counts as Q2, where the deal was won.
    slip = learn_slip(
        [won], PLAIN, snapshots=[datetime(2026, 4, 1, tzinfo=UTC)], events=[], max_offset=1
    )
    assert slip.shares == pytest.approx((1.0, 0.0))


def test_moments_without_a_time_zone_are_refused_by_name() -> None:
    naive = datetime(2026, 1, 1)
    deal = opened("a", 100, date(2026, 3, 1))
    q1 = CALENDAR.parse("2026Q1")
    cases = [
        (lambda: opportunity_as_of(deal, naive), "at"),
        (lambda: pipeline_as_of([deal], naive), "at"),
        (lambda: backtest([deal], PLAIN, periods=[q1], as_of=lambda period: naive), "as_of"),
        (lambda: learn_slip([deal], PLAIN, snapshots=[T0, naive], events=[]), "snapshots[1]"),
    ]
    for call, path in cases:
        with pytest.raises(ValidationError, match="naive datetime") as caught:
            call()
        assert caught.value.problems[0].path == path
