"""The weighted pipeline and the forecast-category rollup, on deals worked by hand."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import attrs
import pytest

from leadflow import (
    CurrencyMismatch,
    InvalidConfiguration,
    Money,
    NotFound,
    Opportunity,
    StageVisit,
)
from leadflow.forecasting.categories import forecast_categories
from leadflow.forecasting.periods import CALENDAR, FiscalCalendar
from leadflow.forecasting.weighted import weighted_pipeline
from leadflow.opportunities import ForecastCategory
from leadflow.pipelines import b2b_pipeline
from leadflow.values import ExchangeRates, Probability

T0 = datetime(2026, 1, 5, 9, tzinfo=timezone.utc)
Q1 = CALENDAR.parse("2026Q1")
Q2 = CALENDAR.parse("2026Q2")


def deal(
    name: str,
    amount: int | None,
    *,
    stage: str = "prospecting",
    close: date | None = date(2026, 2, 10),
    owner: str | None = "ann",
    currency: str = "EUR",
    **fields: object,
) -> Opportunity:
    """A deal opened at T0 in prospecting that entered ``stage`` three days later."""
    history = [StageVisit(stage="prospecting", entered_at=T0)]
    if stage != "prospecting":
        moved = T0 + timedelta(days=3)
        history = [
            attrs.evolve(history[0], left_at=moved),
            StageVisit(stage=stage, entered_at=moved),
        ]
    return Opportunity(
        name=name,
        created_at=T0,
        stage=stage,
        stage_history=history,
        amount=None if amount is None else Money.of(amount, currency),
        expected_close_date=close,
        owner=owner,
        **fields,  # type: ignore[arg-type]
    )


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


# --------------------------------------------------------------------- weighted


def test_weighted_sums_amount_times_stage_probability_by_period_and_owner() -> None:
    deals = [
        deal("a", 1000, stage="prospecting"),  # 10 %: 100
        deal("b", 2000, stage="proposal", owner="bob"),  # 60 %: 1200
        deal("c", 3000, stage="negotiation", close=date(2026, 5, 1)),  # 80 %: 2400
        deal("d", 500, stage="needs_analysis", close=date(2026, 3, 31)),  # 30 %: 150
    ]
    table = weighted_pipeline(deals, by=("period", "owner"))
    assert table.by == ("period", "owner")
    assert [row.key for row in table] == [(Q1, "ann"), (Q1, "bob"), (Q2, "ann")]
    assert table.row(Q1, "ann").amount == eur("1500")
    assert table.row(Q1, "ann").weighted == eur("250")
    assert table.row(Q1, "ann").deals == 2
    assert table.row(Q1, "bob").weighted == eur("1200")
    assert table.row(Q2, "ann").weighted == eur("2400")
    assert table.total.deals == 4
    assert table.total.amount == eur("6500")
    assert table.total.weighted == eur("3850")
    assert table.currency == "EUR"


def test_a_deals_own_probability_overrides_its_stage() -> None:
    table = weighted_pipeline([deal("a", 1000, probability=Probability(value=0.35))])
    assert table.total.weighted == eur("350")


def test_open_only_by_default_and_all_counts_won_in_full_and_lost_at_nothing() -> None:
    deals = [
        deal("open", 1000, stage="proposal"),
        deal("won", 2000, stage="closed_won"),
        deal("lost", 4000, stage="closed_lost"),
    ]
    assert weighted_pipeline(deals).total.weighted == eur("600")
    assert weighted_pipeline(deals).total.deals == 1
    every = weighted_pipeline(deals, include="all")
    assert every.total.deals == 3
    assert every.total.amount == eur("7000")
    assert every.total.weighted == eur("2600")


def test_deals_without_amount_are_counted_and_add_nothing() -> None:
    table = weighted_pipeline([deal("a", None), deal("b", 1000)])
    assert table.total.deals == 2
    assert table.total.without_amount == 1
    assert table.total.weighted == eur("100")


def test_no_amount_at_all_gives_no_currency() -> None:
    table = weighted_pipeline([deal("a", None)])
    assert table.currency is None
    assert table.total.amount is None


def test_deals_without_a_close_date_group_under_none_after_the_periods() -> None:
    table = weighted_pipeline(
        [deal("a", 100, close=None), deal("b", 100), deal("c", 100, close=date(2025, 12, 1))],
        by="period",
    )
    assert [row.key[0] for row in table] == [CALENDAR.parse("2025Q4"), Q1, None]


def test_mixing_currencies_without_rates_raises() -> None:
    deals = [deal("a", 100), deal("b", 100, currency="USD")]
    with pytest.raises(CurrencyMismatch, match="EUR and USD"):
        weighted_pipeline(deals)


def test_rates_convert_every_amount_to_the_base() -> None:
    rates = ExchangeRates(base="EUR", rates={"USD": "0.5"})
    deals = [deal("a", 1000), deal("b", 1000, currency="USD", stage="proposal")]
    table = weighted_pipeline(deals, rates=rates)
    assert table.currency == "EUR"
    assert table.total.amount == eur("1500")
    # 1000 x 0.1 + 500 x 0.6
    assert table.total.weighted == eur("400")


def test_a_currency_without_a_rate_raises_even_with_rates() -> None:
    rates = ExchangeRates(base="EUR", rates={"USD": "0.5"})
    with pytest.raises(CurrencyMismatch, match="GBP"):
        weighted_pipeline([deal("a", 1, currency="GBP")], rates=rates)


def test_group_by_a_function_a_custom_field_and_the_stage() -> None:
    deals = [
        deal("a", 100, custom_fields={"region": "north"}),
        deal("b", 300, stage="proposal", custom_fields={"region": "south"}),
        deal("c", 500, stage="proposal"),
    ]

    def size(opportunity: Opportunity) -> str:
        assert opportunity.amount is not None
        return "big" if opportunity.amount.amount >= 300 else "small"

    by_size = weighted_pipeline(deals, by=size)
    assert by_size.by == ("size",)
    assert by_size.row("big").weighted == eur("480")
    by_region = weighted_pipeline(deals, by="custom.region")
    assert [row.key for row in by_region] == [("north",), ("south",), (None,)]
    by_stage = weighted_pipeline(deals, by="stage")
    assert by_stage.row("proposal").amount == eur("800")


def test_fiscal_periods_label_the_groups() -> None:
    fiscal = FiscalCalendar(start_month=4)
    table = weighted_pipeline([deal("a", 100)], by="period", calendar=fiscal)
    (row,) = table.rows
    assert str(row.key[0]) == "FY2026Q4"  # Feb 2026 is in the year April 2025 - March 2026


def test_months_as_the_unit() -> None:
    table = weighted_pipeline([deal("a", 100)], by="period", unit="month")
    assert str(table.rows[0].key[0]) == "2026-02"


@pytest.mark.parametrize(
    ("by", "reason"),
    [
        ("colour", "must be one of"),
        (("owner", "owner"), "names a key twice"),
        (42, "must be a key name or a function"),
    ],
)
def test_bad_keys_are_refused(by: object, reason: str) -> None:
    with pytest.raises(InvalidConfiguration, match=reason) as caught:
        weighted_pipeline([deal("a", 1)], by=by)  # type: ignore[arg-type]
    assert caught.value.key == "by"


def test_bad_include_is_refused() -> None:
    with pytest.raises(InvalidConfiguration, match="include"):
        weighted_pipeline([], include="won")  # type: ignore[arg-type]


def test_unknown_stage_and_pipeline_are_not_found() -> None:
    with pytest.raises(NotFound, match="pipeline other not found"):
        weighted_pipeline([deal("a", 1, stage="proposal", pipeline="other")], b2b_pipeline())
    odd = Opportunity(created_at=T0, name="x", stage="nowhere")
    with pytest.raises(NotFound, match="nowhere"):
        weighted_pipeline([odd])


def test_row_lookup_names_a_missing_group() -> None:
    with pytest.raises(NotFound, match="pipeline group"):
        weighted_pipeline([deal("a", 1)], by="owner").row("zed")


def test_text_records_and_frame() -> None:
    table = weighted_pipeline([deal("a", 1000), deal("b", 1000, owner="bob")], by="owner")
    text = str(table)
    assert text.splitlines()[0].split() == ["owner", "deals", "amount", "weighted"]
    assert text.splitlines()[-1].split() == ["total", "2", "2000.00", "EUR", "200.00", "EUR"]
    records = table.records()
    assert records[0] == {
        "owner": "ann",
        "deals": 1,
        "without_amount": 0,
        "amount": Decimal("1000"),
        "weighted": Decimal("100.0"),
        "currency": "EUR",
    }
    frame = table.to_frame()
    assert list(frame["owner"]) == ["ann", "bob"]


# ------------------------------------------------------------------- categories


def test_categories_roll_up_per_period_with_the_cumulative_views() -> None:
    deals = [
        deal("won", 1000, stage="closed_won"),  # closed (Feb, its expected close date)
        deal("commit", 2000, stage="negotiation"),  # commit
        deal("best", 4000, stage="proposal"),  # best case
        deal("early", 8000),  # pipeline
        deal("lost", 16000, stage="closed_lost"),  # omitted, lost on 8 January
        deal("later", 32000, stage="negotiation", close=date(2026, 4, 2)),
        deal("moved up", 64000, forecast_category=ForecastCategory.COMMIT),
    ]
    rollup = forecast_categories(deals)
    q1 = rollup.row(Q1)
    assert q1.period == Q1
    assert q1.deals == 6
    assert (q1.closed, q1.commit, q1.best_case, q1.pipeline, q1.omitted) == (
        eur("1000"),
        eur("66000"),
        eur("4000"),
        eur("8000"),
        eur("16000"),
    )
    assert q1.commit_forecast == eur("67000")
    assert q1.best_case_forecast == eur("71000")
    assert q1.open_pipeline == eur("78000")
    assert rollup.row(Q2).commit == eur("32000")
    assert [row.key for row in rollup] == [(Q1,), (Q2,)]


def test_categories_for_chosen_periods_list_empty_ones_in_their_order() -> None:
    q3 = CALENDAR.parse("2026Q3")
    rollup = forecast_categories([deal("a", 100)], periods=[q3, Q1])
    assert [row.key for row in rollup] == [(q3,), (Q1,)]
    assert rollup.row(q3).deals == 0
    assert rollup.row(q3).pipeline == eur("0")
    assert rollup.row(Q1).pipeline == eur("100")


def test_categories_by_owner() -> None:
    rollup = forecast_categories(
        [deal("a", 100), deal("b", 200, owner="bob"), deal("c", 400, owner="bob")], by="owner"
    )
    assert rollup.by == ("period", "owner")
    assert rollup.row(Q1, "bob").pipeline == eur("600")
    assert rollup.row(Q1, "ann").pipeline == eur("100")
    text = str(rollup)
    assert "commit_forecast" in text.splitlines()[1]
    records = rollup.records()
    assert records[0]["owner"] == "ann"
    assert records[0]["pipeline"] == Decimal("100")


def test_categories_without_amounts() -> None:
    rollup = forecast_categories([deal("a", None)])
    assert rollup.currency is None
    assert rollup.row(Q1).pipeline is None
    assert rollup.row(Q1).commit_forecast is None
    with pytest.raises(NotFound):
        rollup.row(Q2)
