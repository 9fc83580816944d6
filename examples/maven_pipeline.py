"""The Maven Analytics B2B pipeline through leadflow: win rates, cycle times and a forecast.

Run it with ``python examples/maven_pipeline.py PATH`` where PATH is the folder holding
``sales_pipeline.csv``, ``products.csv`` and ``sales_teams.csv`` from Maven Analytics'
"CRM + Sales + Opportunities" data set (8,800 deals of a fictitious computer-hardware
company, October 2016 to December 2017).

What the script does, as a user of leadflow would:

1. Map the file's stages onto a leadflow pipeline: ``Prospecting`` and ``Engaging``
   are open stages, ``Won`` and ``Lost`` its ends.  Every deal is built through the
   pipeline's own actions (open, close won, close lost), so its stage history is real:
   it enters ``engaging`` on its engage date and closes on its close date.
2. Match each deal's product to the products file.  The two files spell some names
   differently (``GTXPro`` in the pipeline, ``GTX Pro`` in the products), so names are
   compared by their letters and digits only; a product that still does not match is
   reported with its row, not guessed.
3. Give open and lost deals the product's list price as their amount (the file has a
   close value only for closed deals, and it is 0 for lost ones).
4. Print what the closed deals say (win rate, won revenue, median days to close, win
   rates by stage learned from the stage histories, by regional office and by
   product) and what
   the open deals are worth: the weighted pipeline with the learned rates and the
   P10/P50/P90 of the revenue they will bring, by Monte Carlo with a fixed seed.

The file has no expected close dates, so the open deals are forecast as a whole rather
than per quarter; and no deal was lost while prospecting, so the learned rate of
``prospecting`` is, like that of ``engaging``, the win rate of deals that engaged.
"""

from __future__ import annotations

import argparse
import csv
import re
import time
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, timezone
from pathlib import Path

import attrs

from leadflow import LeadflowError, Money, Opportunity, Product
from leadflow.forecasting.history import stage_win_rates, win_rates
from leadflow.forecasting.simulation import revenue_range
from leadflow.forecasting.velocity import cycle_times
from leadflow.forecasting.weighted import weighted_pipeline
from leadflow.pipelines import Pipeline, Stage

UTC = timezone.utc
CURRENCY = "USD"
# The day after the last close date in the file: the data's "now".
AS_OF = datetime(2018, 1, 1, tzinfo=UTC)

# The file's stages mapped onto a leadflow pipeline.  The defaults are what a sales team
# might configure before it has history; the learned rates replace them below.
PIPELINE = Pipeline(
    name="maven",
    description="Maven Analytics' pipeline: prospecting, engaging, won or lost",
    lost_requires=(),  # the file gives no loss reasons
    stages=(
        Stage(name="prospecting", probability=0.1, forecast_category="pipeline"),
        Stage(name="engaging", probability=0.4, forecast_category="best_case"),
        Stage(name="won", probability=1.0, forecast_category="closed", outcome="won"),
        Stage(name="lost", probability=0.0, forecast_category="omitted", outcome="lost"),
    ),
)
FILES = ("sales_pipeline.csv", "products.csv", "sales_teams.csv")
STAGES = {"Prospecting": "prospecting", "Engaging": "engaging", "Won": "won", "Lost": "lost"}


def product_key(name: str) -> str:
    """A product name reduced to its letters and digits: ``GTXPro`` and ``GTX Pro`` agree."""
    return re.sub(r"[^0-9a-z]", "", name.casefold())


@attrs.frozen
class Loaded:
    """What was read: the deals, the rows refused with why, and the names matched."""

    deals: list[Opportunity]
    rejected: list[tuple[int, str]]
    spellings: Counter[tuple[str, str]]


def read_products(path: Path) -> dict[str, Product]:
    """The products by :func:`product_key`, with their list prices."""
    products: dict[str, Product] = {}
    with path.open(newline="", encoding="utf-8") as file:
        for row in csv.DictReader(file):
            product = Product(
                created_at=AS_OF,
                code=row["product"],
                name=row["product"],
                family=row["series"],
                list_price=Money.of(row["sales_price"], CURRENCY),
            )
            products[product_key(product.name)] = product
    return products


def read_offices(path: Path) -> dict[str, str]:
    """Each sales agent's regional office."""
    with path.open(newline="", encoding="utf-8") as file:
        return {row["sales_agent"]: row["regional_office"] for row in csv.DictReader(file)}


def _day(text: str) -> datetime:
    return datetime.combine(date.fromisoformat(text), datetime.min.time(), tzinfo=UTC)


def build_deal(row: dict[str, str], product: Product, office: str | None) -> Opportunity:
    """One row as an opportunity, through the pipeline's actions."""
    stage = STAGES.get(row["deal_stage"])
    if stage is None:
        raise ValueError(f"deal_stage {row['deal_stage']!r} is not one of {', '.join(STAGES)}")
    fields = {
        "external_id": row["opportunity_id"],
        "owner": row["sales_agent"],
        "amount": product.list_price,
        "custom_fields": {
            "product": product.name,
            "series": product.family,
            "account": row["account"] or None,
            "office": office,
        },
    }
    if stage == "prospecting":
        # No dates at all: the deal is known to exist as of the file's date.
        return PIPELINE.open(name=row["opportunity_id"], at=AS_OF, **fields).opportunity
    deal = PIPELINE.open(
        name=row["opportunity_id"], at=_day(row["engage_date"]), stage="engaging", **fields
    ).opportunity
    if stage == "won":
        return PIPELINE.close_won(
            deal,
            at=_day(row["close_date"]),
            amount=Money.of(row["close_value"], CURRENCY),
            close_date=date.fromisoformat(row["close_date"]),
        ).opportunity
    if stage == "lost":
        return PIPELINE.close_lost(deal, at=_day(row["close_date"]), reason=None).opportunity
    return deal


def load(folder: Path) -> Loaded:
    """Read the three files; a row that cannot be read is refused with its reason."""
    products = read_products(folder / "products.csv")
    offices = read_offices(folder / "sales_teams.csv")
    deals: list[Opportunity] = []
    rejected: list[tuple[int, str]] = []
    spellings: Counter[tuple[str, str]] = Counter()
    with (folder / "sales_pipeline.csv").open(newline="", encoding="utf-8") as file:
        for number, row in enumerate(csv.DictReader(file), start=2):  # line 1 is the header
            product = products.get(product_key(row["product"]))
            if product is None:
                rejected.append((number, f"product {row['product']!r} is not in products.csv"))
                continue
            if product.name != row["product"]:
                spellings[row["product"], product.name] += 1
            try:
                deals.append(build_deal(row, product, offices.get(row["sales_agent"])))
            except (LeadflowError, ValueError) as error:
                rejected.append((number, str(error)))
    return Loaded(deals=deals, rejected=rejected, spellings=spellings)


def main(argv: Sequence[str] | None = None) -> int:
    """Read the data set and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path, help="the folder with the Maven CRM CSV files")
    parser.add_argument("--seed", type=int, default=0, help="seed of the Monte Carlo run")
    arguments = parser.parse_args(argv)
    missing = [name for name in FILES if not (arguments.path / name).is_file()]
    if missing:
        parser.error(f"{arguments.path} has no {', '.join(missing)}")
    started = time.perf_counter()

    loaded = load(arguments.path)
    deals = loaded.deals
    stages = Counter(deal.stage for deal in deals)
    print(f"Maven CRM pipeline: {len(deals):,} deals read, {len(loaded.rejected)} refused")
    for number, reason in loaded.rejected[:5]:
        print(f"  refused line {number}: {reason}")
    for (spelled, name), count in sorted(loaded.spellings.items()):
        print(f"  product {spelled!r} read as {name!r} ({count:,} deals)")
    print("  " + ", ".join(f"{stage} {stages[stage]:,}" for stage in STAGES.values()))

    won = [deal for deal in deals if deal.stage == "won"]
    closed = stages["won"] + stages["lost"]
    won_revenue = sum(
        (deal.amount for deal in won if deal.amount is not None), Money.zero(CURRENCY)
    )
    print()
    print(
        f"Closed deals: {closed:,}; win rate {stages['won'] / closed:.1%} ({stages['won']:,} won)"
    )
    print(f"Won revenue: {won_revenue.amount:,.0f} {CURRENCY}")
    won_cycle = cycle_times(deals, PIPELINE, outcome="won")
    lost_cycle = cycle_times(deals, PIPELINE, outcome="lost")
    print(
        f"Median days from engaging to close: won {won_cycle.median_days:.0f},"
        f" lost {lost_cycle.median_days:.0f}"
    )

    learned = stage_win_rates(deals, PIPELINE, prior_strength=10)
    print()
    print("Win rates by stage, learned from the closed deals (10 pseudo-deals at the defaults):")
    print(learned)
    print()
    print("Win rates by regional office:")
    print(win_rates(deals, PIPELINE, by="custom.office"))
    print()
    print("Win rates by product (GTXPro and GTX Pro counted as one):")
    print(win_rates(deals, PIPELINE, by="custom.product"))

    tuned = learned.apply(PIPELINE)
    table = weighted_pipeline(deals, tuned, by="stage")
    print()
    print("Open pipeline, weighted by the learned rates:")
    print(table)

    open_deals = [deal for deal in deals if tuned.stage(deal.stage).is_open]
    amounts = [float(deal.amount.amount) for deal in open_deals if deal.amount is not None]
    chances = [float(tuned.probability(deal)) for deal in open_deals if deal.amount is not None]
    spread = revenue_range(amounts, chances, trials=10_000, seed=arguments.seed)
    print()
    print(
        f"What the {len(amounts):,} open deals will bring ({spread.trials:,} trials,"
        f" seed {arguments.seed}):"
    )
    print(
        f"  P10 {spread.p10:,.0f}  P50 {spread.p50:,.0f}  P90 {spread.p90:,.0f}"
        f"  (mean {spread.mean:,.0f}) {CURRENCY}"
    )
    print(f"\n({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
