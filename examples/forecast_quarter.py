"""Forecast a quarter from a pipeline with history, and check the forecast against the truth.

Run it with ``python examples/forecast_quarter.py [--leads N] [--seed S]``.

A synthetic company (:func:`leadflow.datasets.synthetic`) is played out in a SQLite
database: its leads worked, converted and their deals moved, won or lost, through
leadflow's services (:func:`leadflow.datasets.workflow.play_out`).  Its data ends on
30 June 2026.  The script then does what a sales-operations analyst would on that day:

1. learn each stage's win rate from the deals closed so far, smoothed toward the
   pipeline's defaults;
2. read the weighted pipeline by quarter and owner;
3. forecast the third quarter: expected revenue, P10/P50/P90 and the chance of reaching
   a quota, and the forecast categories;
4. backtest: the forecast made at the start of the second quarter, against what was
   won in it;
5. compare the third-quarter forecast with what the data set's hidden truth says the
   open deals will bring.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from decimal import Decimal

import leadflow
from leadflow import Money, Opportunity, Query
from leadflow.datasets import synthetic
from leadflow.datasets.workflow import play_out
from leadflow.forecasting import (
    CALENDAR,
    backtest,
    forecast_period,
    stage_win_rates,
    weighted_pipeline,
)
from leadflow.pipelines import DEFAULT_PIPELINE


def main(argv: Sequence[str] | None = None) -> int:
    """Play the company out, then forecast its third quarter."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=3_000)
    parser.add_argument("--seed", type=int, default=0)
    arguments = parser.parse_args(argv)

    company = synthetic(leads=arguments.leads, seed=arguments.seed)
    with leadflow.connect("sqlite://") as store:  # a private database, gone when closed
        play_out(store, company)
        with store.unit_of_work() as uow:
            deals = list(uow.opportunities.stream(Query(Opportunity)))
    today = company.end
    print(f"{len(deals):,} deals as of {today:%Y-%m-%d}")

    learned = stage_win_rates(deals, DEFAULT_PIPELINE)
    print(learned)
    pipeline = learned.apply(DEFAULT_PIPELINE)

    print()
    print(weighted_pipeline(deals, pipeline, by=("period", "owner")))

    quarter = CALENDAR.shift(CALENDAR.period_of(today.date(), "quarter"), 1)
    result = forecast_period(
        deals,
        pipeline,
        period=quarter,
        at=today,
        quota=Money.of(400_000, company.currency),
        seed=arguments.seed,
    )
    print()
    print(result)

    second = CALENDAR.shift(quarter, -1)
    print()
    print(backtest(deals, pipeline, periods=[second]))

    truly = sum(
        (
            deal.amount.amount
            for deal in deals
            if DEFAULT_PIPELINE.stage(deal.stage).is_open
            and deal.source_lead_id is not None
            and company.truth[deal.source_lead_id].wins
            and deal.expected_close_date in quarter
            and deal.amount is not None
        ),
        Decimal(0),
    )
    print()
    print(
        f"The hidden truth: the open deals will bring {truly:,.0f} {company.currency}"
        f" in {quarter}; forecast P10-P90 {result.range.p10:,.0f} to {result.range.p90:,.0f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
