"""One period's forecast, worked by hand with the exact method."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import attrs
import pytest

from leadflow import CurrencyMismatch, Money, Opportunity, Probability, ValidationError
from leadflow.forecasting.forecast import forecast_period
from leadflow.forecasting.periods import CALENDAR
from leadflow.forecasting.simulation import SlipModel
from leadflow.pipelines import Pipeline, Stage

UTC = timezone.utc
T0 = datetime(2025, 11, 3, 9, tzinfo=UTC)
AT = datetime(2026, 2, 1, 12, tzinfo=UTC)

PLAIN = Pipeline(
    name="default",
    won_requires=(),
    stages=(
        Stage(name="new", probability=0.5, forecast_category="pipeline"),
        Stage(name="late", probability=0.2, forecast_category="commit"),
        Stage(name="won", probability=1.0, forecast_category="closed", outcome="won"),
        Stage(name="lost", probability=0.0, forecast_category="omitted", outcome="lost"),
    ),
)


def opened(name: str, amount: int | None, close: date | None, stage: str = "new") -> Opportunity:
    return PLAIN.open(
        name=name,
        at=T0,
        stage=stage,
        amount=None if amount is None else Money.of(amount, "EUR"),
        expected_close_date=close,
    ).opportunity


def deals() -> list[Opportunity]:
    won = PLAIN.close_won(
        opened("won", 1000, None), at=T0 + timedelta(days=80), close_date=date(2026, 1, 20)
    ).opportunity
    lost = PLAIN.close_lost(
        opened("lost", 9000, date(2026, 2, 1)), at=T0 + timedelta(days=80), reason="price"
    ).opportunity
    return [
        won,
        lost,
        opened("this quarter", 2000, date(2026, 3, 10)),  # 50 %
        opened("overdue", 400, date(2025, 12, 15)),  # 50 %, expected last quarter
        opened("next quarter", 500, date(2026, 5, 2), stage="late"),  # 20 %
        opened("no date", 700, None),
        opened("no amount", None, date(2026, 3, 1)),
    ]


def test_this_quarter_counts_won_open_and_overdue_deals() -> None:
    result = forecast_period(deals(), PLAIN, period="2026Q1", at=AT, method="exact", quota=3000)
    assert result.period == CALENDAR.parse("2026Q1")
    assert result.currency == "EUR"
    assert (result.won, result.won_deals) == (Decimal("1000"), 1)
    assert result.open_deals == 3  # this quarter, overdue and the one without an amount
    assert result.overdue == 1
    assert result.unscheduled == 1
    assert result.open_amount == Decimal("2400")
    assert result.weighted == Decimal("2200")  # 1000 + 2000 x 0.5 + 400 x 0.5
    # Four equally likely outcomes on top of the 1000 won: 0, 400, 2000, 2400.
    assert result.range.mean == pytest.approx(2200)
    assert result.range.p10 == pytest.approx(1000)
    assert result.range.p90 == pytest.approx(3400)
    assert result.probability_of_quota == pytest.approx(0.5)
    assert result.categories.closed == Money.of(1000, "EUR")
    assert result.categories.omitted == Money.of(9000, "EUR")
    summary = result.summary()
    assert summary["period"] == "2026Q1"
    assert summary["weighted"] == Decimal("2200")
    text = str(result)
    assert text.startswith("Forecast for 2026Q1 as of 2026-02-01 12:00 UTC (EUR)")
    assert "reached with probability 50%" in text


def test_a_later_quarter_counts_only_the_deals_expected_in_it() -> None:
    result = forecast_period(deals(), PLAIN, period=CALENDAR.parse("2026Q2"), at=AT, seed=1)
    assert result.won == 0
    assert result.open_deals == 1
    assert result.overdue == 0
    assert result.weighted == Decimal("100.0")
    assert result.probability_of_quota is None


def test_slip_spreads_the_chance_over_later_periods() -> None:
    slip = SlipModel(shares=(0.5, 0.5))
    result = forecast_period(
        deals(), PLAIN, period="2026Q2", at=AT, slip=slip, method="exact", seed=None
    )
    # Expected this quarter (and overdue) and won one quarter late: 2000 x .5 x .5 + 400 x .5 x .5;
    # expected next quarter and won on time: 500 x .2 x .5.
    assert result.weighted == Decimal("650")
    assert result.open_deals == 4  # the one without an amount too
    assert result.overdue == 1
    assert result.range.mean == pytest.approx(650)


def test_a_past_period_counts_what_was_won_in_it() -> None:
    earlier = forecast_period(deals(), PLAIN, period="2025Q4", at=AT, method="exact")
    assert earlier.won == 0
    assert earlier.open_deals == 0
    january = forecast_period(deals(), PLAIN, period="2026-01", at=AT, method="exact")
    assert january.won == Decimal("1000")
    assert january.range.p50 == pytest.approx(1000)


def test_a_deals_own_probability_counts() -> None:
    deal = opened("a", 1000, date(2026, 3, 1))
    deal = attrs.evolve(deal, probability=Probability(value=0.9))
    result = forecast_period([deal], PLAIN, period="2026Q1", at=AT, method="normal")
    assert result.weighted == Decimal("900.0")


def test_a_quota_in_another_currency_is_refused() -> None:
    with pytest.raises(CurrencyMismatch):
        forecast_period(deals(), PLAIN, period="2026Q1", at=AT, quota=Money.of(1, "USD"))


def test_a_quota_in_money_of_the_same_currency() -> None:
    result = forecast_period(
        deals(), PLAIN, period="2026Q1", at=AT, quota=Money.of(1000, "EUR"), method="exact"
    )
    assert result.quota == Decimal("1000")
    assert result.probability_of_quota == pytest.approx(1.0)


def test_a_moment_without_a_time_zone_is_refused() -> None:
    with pytest.raises(ValidationError, match="naive datetime") as caught:
        forecast_period(deals(), PLAIN, period="2026Q1", at=datetime(2026, 2, 1))
    assert caught.value.problems[0].path == "at"
