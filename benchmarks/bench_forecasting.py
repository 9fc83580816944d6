"""Forecasting benchmark: the range of won revenue of many open deals, and the weighted pipeline.

Usage::

    python benchmarks/bench_forecasting.py [--deals 10000] [--trials 10000]
                                           [--reference-trials 100000]
                                           [--baseline-trials 2000] [--repeat 3]
                                           [--opportunities 1000000]

**Ranges.**  ``--deals`` open deals, each won independently with a probability drawn
uniformly from 0.05 to 0.95, with log-normal amounts (numpy ``lognormal(mean=9,
sigma=1)``, a median of about 8,100 and a long right tail); both drawn with fixed
seeds.  leadflow's :func:`~leadflow.forecasting.simulation.revenue_range` with its
default method (Monte Carlo, ``--trials`` trials) gives P10, P50 and P90; the time
includes reading the three quantiles.

Measured in the same run:

* the **reference**: a separate, plain chunked Monte Carlo with ``--reference-trials``
  trials (float64 uniforms, another seed), against which the quantiles are compared.
  Target: within 1%; and leadflow's figures in under 0.5 s;
* a **plain numpy loop** drawing one whole trial at a time (``rng.random(n) < p``, then
  the dot product with the amounts) for ``--baseline-trials`` trials, its time scaled
  to ``--trials``: what one writes first;
* the **normal approximation** (``method="normal"``), with its own difference from the
  reference.

**Weighted pipeline.**  ``--opportunities`` open deals (random stages of the default
pipeline, 50 owners, expected close dates over two years, amounts in EUR) grouped by
quarter and owner with :func:`~leadflow.forecasting.weighted.weighted_pipeline`
(exact Decimal sums).  Target: under 2 s for a million.  The baseline, measured in
the same run, is the loop one writes first: float sums in a dict keyed by (year,
quarter, owner).  Both totals are compared.

Every time is the best of ``--repeat`` runs (the reference runs once), with the cyclic
GC off while timing.
"""

from __future__ import annotations

import argparse
import math
import random
import time
from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone
from typing import Any

import numpy as np
from _timing import best_of

from leadflow import Money, Opportunity, StageVisit
from leadflow.forecasting.simulation import revenue_range
from leadflow.forecasting.weighted import weighted_pipeline
from leadflow.pipelines import DEFAULT_PIPELINE

QUANTILES = (0.1, 0.5, 0.9)


def make_deals(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` log-normal amounts and win probabilities uniform in 0.05 .. 0.95."""
    rng = np.random.default_rng(seed)
    amounts = rng.lognormal(mean=9.0, sigma=1.0, size=n)
    probabilities = rng.uniform(0.05, 0.95, size=n)
    return amounts, probabilities


def reference_quantiles(
    amounts: np.ndarray, probabilities: np.ndarray, trials: int, seed: int
) -> list[float]:
    """P10/P50/P90 of a plain chunked Monte Carlo with float64 uniforms (about 32 MB a chunk)."""
    rng = np.random.default_rng(seed)
    chunk = max(1, 2**21 // max(1, len(amounts)))
    totals = np.empty(trials)
    for start in range(0, trials, chunk):
        rows = min(chunk, trials - start)
        totals[start : start + rows] = (rng.random((rows, len(amounts))) < probabilities) @ amounts
    return [float(x) for x in np.quantile(totals, QUANTILES)]


def one_trial_at_a_time(
    amounts: np.ndarray, probabilities: np.ndarray, trials: int, seed: int
) -> list[float]:
    """The straightforward loop: one full trial per iteration."""
    rng = np.random.default_rng(seed)
    n = len(amounts)
    totals = [float((rng.random(n) < probabilities) @ amounts) for _ in range(trials)]
    return [float(x) for x in np.quantile(totals, QUANTILES)]


def leadflow_quantiles(
    amounts: np.ndarray, probabilities: np.ndarray, **options: Any
) -> list[float]:
    spread = revenue_range(amounts, probabilities, **options)
    return [spread.p10, spread.p50, spread.p90]


def largest_difference(ours: Sequence[float], reference: Sequence[float]) -> float:
    """The largest relative difference between matching quantiles."""
    return max(abs(a - b) / abs(b) for a, b in zip(ours, reference, strict=True))


def figures(values: Sequence[float]) -> str:
    return " / ".join(f"{value:,.0f}" for value in values)


def met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def bench_ranges(
    deals: int = 10_000,
    trials: int = 10_000,
    reference_trials: int = 100_000,
    baseline_trials: int = 2_000,
    repeat: int = 3,
) -> None:
    amounts, probabilities = make_deals(deals)
    reference_time, reference = best_of(
        1, lambda: reference_quantiles(amounts, probabilities, reference_trials, seed=2)
    )
    ours_time, ours = best_of(
        repeat, lambda: leadflow_quantiles(amounts, probabilities, trials=trials, seed=1)
    )
    difference = largest_difference(ours, reference)
    print(
        f"ranges, {deals:,} deals: P10/P50/P90 = {figures(ours)} in {ours_time:.2f} s"
        f" (target < 0.5 s: {met(ours_time < 0.5)}); {reference_trials:,}-trial reference"
        f" {figures(reference)} in {reference_time:.1f} s; largest difference"
        f" {difference:.2%} (target < 1%: {met(difference < 0.01)})"
    )
    loop_time, _ = best_of(
        repeat, lambda: one_trial_at_a_time(amounts, probabilities, baseline_trials, seed=3)
    )
    scaled = loop_time * trials / baseline_trials
    print(
        f"  plain numpy loop, one trial at a time (rng.random(n) < p): {baseline_trials:,}"
        f" trials in {loop_time:.2f} s, {scaled:.2f} s scaled to {trials:,} trials"
        f" (ratio {scaled / ours_time:.1f} to leadflow)"
    )
    normal_time, normal = best_of(
        repeat, lambda: leadflow_quantiles(amounts, probabilities, method="normal")
    )
    print(
        f"  normal approximation: P10/P50/P90 = {figures(normal)} in {normal_time:.4f} s"
        f" (ratio {normal_time / ours_time:.3f} to leadflow); largest difference from the"
        f" reference {largest_difference(normal, reference):.2%}"
    )


def make_opportunities(n: int, seed: int = 0) -> list[Opportunity]:
    """``n`` open deals across the default pipeline's open stages, 50 owners and two years
    of expected close dates, with amounts from a pool of 1,000 (shared, to save memory)."""
    rng = random.Random(seed)
    created = datetime(2026, 1, 5, tzinfo=timezone.utc)
    stages = [stage.name for stage in DEFAULT_PIPELINE.open_stages]
    visits = {stage: (StageVisit(stage=stage, entered_at=created),) for stage in stages}
    owners = [f"rep-{i:02d}" for i in range(50)]
    amounts = [Money.of(rng.randint(10, 5_000) * 10, "EUR") for _ in range(1_000)]
    days = [date(2026, 1, 1) + timedelta(days=i) for i in range(730)]
    deals = []
    for i in range(n):
        stage = rng.choice(stages)
        deals.append(
            Opportunity(
                created_at=created,
                name=f"deal {i}",
                stage=stage,
                stage_history=visits[stage],
                amount=rng.choice(amounts),
                expected_close_date=rng.choice(days),
                owner=rng.choice(owners),
            )
        )
    return deals


def by_hand(deals: Sequence[Opportunity]) -> dict[tuple[int, int, str | None], list[float]]:
    """The baseline: a plain loop summing floats by (year, quarter, owner) in a dict."""
    chance = {stage.name: stage.probability.value for stage in DEFAULT_PIPELINE.stages}
    groups: dict[tuple[int, int, str | None], list[float]] = {}
    for deal in deals:
        day = deal.expected_close_date
        assert day is not None
        assert deal.amount is not None
        key = (day.year, (day.month - 1) // 3 + 1, deal.owner)
        amount = float(deal.amount.amount)
        group = groups.get(key)
        if group is None:
            group = groups[key] = [0.0, 0.0]
        group[0] += amount
        group[1] += amount * chance[deal.stage]
    return groups


def bench_weighted(opportunities: int = 1_000_000, repeat: int = 3) -> None:
    start = time.perf_counter()
    deals = make_opportunities(opportunities)
    built = time.perf_counter() - start
    ours_time, table = best_of(
        repeat, lambda: weighted_pipeline(deals, by=("period", "owner"), unit="quarter")
    )
    hand_time, groups = best_of(repeat, lambda: by_hand(deals))
    total = float(table.total.weighted.amount)
    hand_total = math.fsum(group[1] for group in groups.values())
    agree = len(table) == len(groups) and math.isclose(total, hand_total, rel_tol=1e-9)
    print(
        f"weighted pipeline, {opportunities:,} open deals by quarter and owner:"
        f" {len(table):,} groups in {ours_time:.2f} s (target < 2 s: {met(ours_time < 2.0)});"
        f" plain loop summing floats: {hand_time:.2f} s (ratio {ours_time / hand_time:.2f});"
        f" totals agree: {'yes' if agree else 'NO'} (building the deals took {built:.1f} s)"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=10_000)
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--reference-trials", type=int, default=100_000)
    parser.add_argument("--baseline-trials", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--opportunities", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    bench_ranges(
        deals=args.deals,
        trials=args.trials,
        reference_trials=args.reference_trials,
        baseline_trials=args.baseline_trials,
        repeat=args.repeat,
    )
    bench_weighted(opportunities=args.opportunities, repeat=args.repeat)


if __name__ == "__main__":
    main()
