"""Cycle times and sales velocity, on small histories worked out by hand."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import attrs
import numpy as np
import pytest

from leadflow import InvalidConfiguration, Money, NotFound, Opportunity
from leadflow.errors import CurrencyMismatch, ValidationError
from leadflow.forecasting.velocity import CycleTimes, Velocity, cycle_times, sales_velocity
from leadflow.opportunities import ContactRole
from leadflow.pipelines import DEFAULT_PIPELINE, Pipeline, Stage
from leadflow.values import ContactId, ExchangeRates

UTC = timezone.utc
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # day n below is T0 + n days

P = Pipeline(
    name="simple",
    won_requires=(),
    lost_requires=(),
    stages=[
        Stage(name="a", probability=0.2, forecast_category="pipeline"),
        Stage(name="b", probability=0.5, forecast_category="pipeline"),
        Stage(name="won", probability=1, forecast_category="closed", outcome="won"),
        Stage(name="lost", probability=0, forecast_category="omitted", outcome="lost"),
    ],
)
OTHER = attrs.evolve(P, name="other")


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def eur(amount: int) -> Money:
    return Money.of(amount, "EUR")


def deal(steps: list[tuple[str, float]], *, pipeline: Pipeline = P, **fields: Any) -> Opportunity:
    """A deal opened in the first step's stage, then moved, closed or reopened at day n."""
    (first, start), *rest = steps
    opportunity = pipeline.open(name="deal", at=day(start), stage=first, **fields).opportunity
    for action, n in rest:
        if action == "won":
            change = pipeline.close_won(opportunity, at=day(n))
        elif action == "lost":
            change = pipeline.close_lost(opportunity, at=day(n), reason="price")
        elif action.startswith("reopen:"):
            change = pipeline.reopen(opportunity, at=day(n), stage=action.removeprefix("reopen:"))
        else:
            change = pipeline.move(opportunity, action, at=day(n))
        opportunity = change.opportunity
    return opportunity


def closed_deals() -> list[Opportunity]:
    """Won and lost deals; cycle in days and close day in the comments (T0 is Jan 5)."""
    return [
        deal([("a", 0), ("won", 10)], amount=eur(1000)),  # w1: 10 days, Jan 15
        deal([("a", 0), ("b", 3), ("won", 20)], amount=eur(3000)),  # w2: 20 days, Jan 25
        deal([("a", 5), ("won", 17)], amount=eur(2000)),  # w3: 12 days, Jan 22
        deal([("a", 0), ("lost", 4)], amount=eur(9999)),  # l1: 4 days, Jan 9
        deal([("a", 0), ("b", 2), ("lost", 8)]),  # l2: 8 days, Jan 13
        # r1: lost, reopened and won: 30 days from first opening to last close, Feb 4
        deal([("a", 0), ("lost", 3), ("reopen:a", 10), ("won", 30)], amount=eur(6000)),
    ]


def open_deals() -> list[Opportunity]:
    """Nine deals open now and opened by day 35, and one opened on day 40."""
    deals = [deal([("a", n)]) for n in range(5)]
    deals += [deal([("a", n), ("b", n + 1)]) for n in range(4)]
    deals.append(deal([("a", 40)]))
    return deals


class TestCycleTimes:
    def test_won_deals(self) -> None:
        times = cycle_times(closed_deals(), P, outcome="won")
        # [10, 12, 20, 30]: mean 72/4; quantile q at position 3q: p25 at 0.75 -> 11.5,
        # median at 1.5 -> 16, p75 at 2.25 -> 20 + 0.25 x 10, p90 at 2.7 -> 20 + 0.7 x 10
        assert times == CycleTimes(
            outcome="won",
            count=4,
            mean_days=18.0,
            median_days=16.0,
            p25_days=11.5,
            p75_days=22.5,
            p90_days=pytest.approx(27.0),
            min_days=10.0,
            max_days=30.0,
        )
        assert str(times) == (
            "won deals: 4; days to close: median 16.0, mean 18.0"
            " (p25 11.5, p75 22.5, p90 27.0; 10.0 to 30.0)"
        )

    def test_lost_deals(self) -> None:
        times = cycle_times(closed_deals(), P, outcome="lost")
        # [4, 8]: position q: p25 -> 5, median -> 6, p75 -> 7, p90 -> 7.6
        assert (times.outcome, times.count) == ("lost", 2)
        assert (times.mean_days, times.median_days, times.p25_days, times.p75_days) == (
            6.0,
            6.0,
            5.0,
            7.0,
        )
        assert times.p90_days == pytest.approx(7.6)

    def test_all_closed_deals(self) -> None:
        times = cycle_times(closed_deals() + open_deals(), P)
        values = [4, 8, 10, 12, 20, 30]
        # mean 84/6; position 5q: p25 at 1.25 -> 8.5, median at 2.5 -> 11,
        # p75 at 3.75 -> 12 + 0.75 x 8 = 18, p90 at 4.5 -> 25
        assert (times.outcome, times.count, times.mean_days) == ("closed", 6, 14.0)
        assert (times.p25_days, times.median_days, times.p75_days, times.p90_days) == (
            pytest.approx((8.5, 11.0, 18.0, 25.0))
        )
        assert (times.min_days, times.max_days) == (4.0, 30.0)
        expected = np.percentile(values, [25, 50, 75, 90])
        assert [times.p25_days, times.median_days, times.p75_days, times.p90_days] == (
            pytest.approx(list(expected))
        )

    def test_closed_window(self) -> None:
        # [Jan 10, Jan 26): w1, w2, w3 and l2
        times = cycle_times(
            closed_deals(), P, closed_since=date(2026, 1, 10), closed_until=date(2026, 1, 26)
        )
        assert (times.count, times.mean_days, times.median_days) == (4, 12.5, 11.0)
        won = cycle_times(
            closed_deals(),
            P,
            outcome="won",
            closed_since=date(2026, 1, 10),
            closed_until=date(2026, 1, 26),
        )
        assert (won.count, won.mean_days) == (3, pytest.approx(14.0))

    def test_fractions_of_days(self) -> None:
        times = cycle_times([deal([("a", 0), ("won", 1.25)], amount=eur(1))], P)
        assert times.mean_days == pytest.approx(1.25)

    def test_no_deals(self) -> None:
        times = cycle_times(open_deals(), P, outcome="lost")
        assert times == CycleTimes(
            outcome="lost",
            count=0,
            mean_days=None,
            median_days=None,
            p25_days=None,
            p75_days=None,
            p90_days=None,
            min_days=None,
            max_days=None,
        )
        assert str(times) == "lost deals: none"

    @pytest.mark.parametrize("bad", ["open", "Won", "closed", 1])
    def test_bad_outcome(self, bad: Any) -> None:
        with pytest.raises(InvalidConfiguration) as caught:
            cycle_times(closed_deals(), P, outcome=bad)
        assert caught.value.key == "outcome"

    def test_unknown_pipeline(self) -> None:
        with pytest.raises(NotFound, match="pipeline other not found"):
            cycle_times([deal([("a", 0), ("lost", 1)], pipeline=OTHER)], P)
        assert cycle_times([deal([("a", 0), ("lost", 1)], pipeline=OTHER)], [P, OTHER]).count == 1


class TestSalesVelocity:
    def test_the_four_factors(self) -> None:
        velocity = sales_velocity(closed_deals() + open_deals(), P, at=day(35))
        # open: the nine deals opened by day 35 (not the one opened on day 40)
        # won: w1, w2, w3, r1; lost: l1, l2 -> win rate 4 / 6
        # average deal size (1000 + 3000 + 2000 + 6000) / 4 = 3000 EUR
        # average cycle (10 + 20 + 12 + 30) / 4 = 18 days
        # per day: 9 x 4/6 x 3000 / 18 = 1000 EUR
        assert velocity == Velocity(
            open_deals=9,
            win_rate=4 / 6,
            average_deal_size=eur(3000),
            average_cycle_days=18.0,
            per_day=eur(1000),
            won=4,
            lost=2,
        )
        assert velocity.per_period(30) == eur(30_000)
        assert velocity.per_period(7.5) == eur(7500)

    def test_closed_window(self) -> None:
        velocity = sales_velocity(
            closed_deals() + open_deals(),
            P,
            at=day(35),
            closed_since=date(2026, 1, 10),
            closed_until=date(2026, 1, 26),
        )
        # won w1, w2, w3 (1000, 3000, 2000; 10, 20, 12 days), lost l2
        # 9 x 3/4 x 2000 / 14 = 13500 / 14
        assert (velocity.won, velocity.lost, velocity.win_rate) == (3, 1, 0.75)
        assert velocity.average_deal_size == eur(2000)
        assert velocity.average_cycle_days == pytest.approx(14.0)
        assert velocity.per_day.currency == "EUR"
        assert float(velocity.per_day.amount) == pytest.approx(13500 / 14)

    def test_deals_closed_after_the_moment_are_not_history_yet(self) -> None:
        # at day 25: r1 (day 30) has not closed yet and w2 (day 20) has
        velocity = sales_velocity(closed_deals(), P, at=day(25))
        assert (velocity.won, velocity.lost, velocity.open_deals) == (3, 2, 0)
        assert velocity.average_deal_size == eur(2000)  # (1000 + 3000 + 2000) / 3
        assert velocity.per_day == eur(0)

    def test_currencies_must_match(self) -> None:
        deals = [
            deal([("a", 0), ("won", 10)], amount=eur(1000)),
            deal([("a", 0), ("won", 20)], amount=Money.of(4000, "USD")),
            deal([("a", 0)]),
        ]
        with pytest.raises(CurrencyMismatch):
            sales_velocity(deals, P, at=day(30))

    def test_rates_convert_the_amounts(self) -> None:
        deals = [
            deal([("a", 0), ("won", 10)], amount=eur(1000)),
            deal([("a", 0), ("won", 20)], amount=Money.of(4000, "USD")),
            *(deal([("a", 0)]) for _ in range(3)),
        ]
        rates = ExchangeRates(base="EUR", rates={"USD": "0.5"})
        velocity = sales_velocity(deals, P, at=day(30), rates=rates)
        # 4000 USD x 0.5 = 2000 EUR; average (1000 + 2000) / 2 = 1500 EUR; cycle 15 days;
        # 3 x 2/2 x 1500 / 15 = 300 EUR a day
        assert velocity.average_deal_size == eur(1500)
        assert velocity.per_day == eur(300)
        to_dollars = ExchangeRates(base="USD", rates={"GBP": "1.3"})
        with pytest.raises(CurrencyMismatch, match="EUR and USD"):
            sales_velocity(deals, P, at=day(30), rates=to_dollars)

    def test_no_won_deal_in_the_window(self) -> None:
        with pytest.raises(ValidationError) as caught:
            sales_velocity(closed_deals(), P, at=day(35), closed_until=date(2026, 1, 14))
        problem = caught.value.problems[0]
        # l1 and l2 closed before Jan 14, no won deal did
        assert (problem.path, problem.value) == ("opportunities", 2)
        assert problem.reason == "no won deals closed in the window: velocity needs at least one"
        with pytest.raises(ValidationError):
            sales_velocity([], P, at=day(35))

    def test_won_deal_without_amount(self) -> None:
        deals = [deal([("a", 0), ("won", 10)], amount=eur(5)), deal([("a", 0), ("won", 10)])]
        with pytest.raises(ValidationError) as caught:
            sales_velocity(deals, P, at=day(35))
        assert caught.value.problems[0].path == "opportunities[1].amount"
        assert str(deals[1].id) in str(caught.value)

    def test_zero_cycle(self) -> None:
        deals = [deal([("a", 0), ("won", 0)], amount=eur(5))]
        with pytest.raises(ValidationError, match="0 days"):
            sales_velocity(deals, P, at=day(35))

    def test_bad_moment_and_window(self) -> None:
        with pytest.raises(ValidationError) as caught:
            sales_velocity(closed_deals(), P, at=datetime(2026, 2, 1))
        assert caught.value.problems[0].path == "at"
        with pytest.raises(InvalidConfiguration) as bad_window:
            sales_velocity(
                closed_deals(),
                P,
                at=day(35),
                closed_since=date(2026, 2, 1),
                closed_until=date(2026, 1, 1),
            )
        assert bad_window.value.key == "closed_until"

    def test_several_pipelines(self) -> None:
        deals = [
            deal([("a", 0), ("won", 10)], amount=eur(100)),
            deal([("a", 0), ("won", 30)], pipeline=OTHER, amount=eur(300)),
            deal([("a", 0)], pipeline=OTHER),
        ]
        velocity = sales_velocity(deals, [P, OTHER], at=day(35))
        # 1 x 1 x 200 / 20
        assert velocity.per_day == eur(10)
        with pytest.raises(NotFound):
            sales_velocity(deals, P, at=day(35))

    def test_the_default_pipeline(self) -> None:
        p = DEFAULT_PIPELINE
        won = p.open(
            name="won",
            at=day(0),
            amount=eur(8000),
            expected_close_date=date(2026, 3, 31),
            contact_roles=[ContactRole(contact_id=ContactId.new(), role="decision maker")],
        ).opportunity
        won = p.move(won, "negotiation", at=day(5)).opportunity
        won = p.close_won(won, at=day(40)).opportunity
        lost = p.open(name="lost", at=day(0)).opportunity
        lost = p.close_lost(lost, at=day(3), reason="no budget").opportunity
        pending = [p.open(name=f"open {i}", at=day(i)).opportunity for i in range(4)]
        velocity = sales_velocity([won, lost, *pending], at=day(50))
        # 4 x 1/2 x 8000 / 40 = 400 EUR a day
        assert (velocity.open_deals, velocity.win_rate) == (4, 0.5)
        assert velocity.per_day == eur(400)

    def test_per_period_refuses_bad_days(self) -> None:
        velocity = sales_velocity(closed_deals(), P, at=day(35))
        for bad in (-1, float("nan"), "30"):
            with pytest.raises(InvalidConfiguration) as caught:
                velocity.per_period(bad)  # type: ignore[arg-type]
            assert caught.value.key == "days"

    def test_records_and_text(self) -> None:
        velocity = sales_velocity(closed_deals() + open_deals(), P, at=day(35))
        assert velocity.records() == [
            {"factor": "open_deals", "value": 9},
            {"factor": "win_rate", "value": 4 / 6},
            {"factor": "average_deal_size", "value": eur(3000)},
            {"factor": "average_cycle_days", "value": 18.0},
            {"factor": "per_day", "value": eur(1000)},
            {"factor": "won", "value": 4},
            {"factor": "lost", "value": 2},
        ]
        assert str(velocity).splitlines() == [
            "open deals           9",
            "x win rate           66.7% (4 won, 2 lost)",
            "x average deal size  3000.00 EUR",
            "/ average cycle      18.0 days",
            "= sales velocity     1000.00 EUR per day",
        ]

    def test_exact_money_arithmetic(self) -> None:
        velocity = sales_velocity(closed_deals() + open_deals(), P, at=day(35))
        assert velocity.per_day.amount == Decimal(1000)
        assert velocity.average_deal_size.amount == Decimal(3000)
