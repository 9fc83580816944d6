"""Properties of won-revenue ranges against brute-force enumeration of every outcome."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction
from statistics import NormalDist

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from leadflow.forecasting.simulation import (
    SlipModel,
    normal_error_bound,
    period_ranges,
    revenue_range,
    window_range,
)

probabilities = st.one_of(
    st.sampled_from([0.0, 1.0, 0.5, 0.25]),
    st.floats(0, 1, allow_nan=False),
)
whole_deals = st.lists(st.tuples(st.integers(0, 60), probabilities), max_size=8)
real_deals = st.lists(
    st.tuples(st.floats(0, 1e6, allow_nan=False, allow_infinity=False), probabilities),
    max_size=8,
)


def brute_force(deals: list[tuple[float, float]]) -> dict[Fraction, Fraction]:
    """Every won/lost combination, in exact rational arithmetic: total -> probability."""
    outcomes: dict[Fraction, Fraction] = {}
    for won in itertools.product([False, True], repeat=len(deals)):
        chance = Fraction(1)
        total = Fraction(0)
        for (amount, p), w in zip(deals, won, strict=True):
            chance *= Fraction(p) if w else 1 - Fraction(p)
            total += Fraction(amount) if w else 0
        if chance:
            outcomes[total] = outcomes.get(total, Fraction(0)) + chance
    return outcomes


def split(deals: list[tuple[float, float]]) -> tuple[list[float], list[float]]:
    return [a for a, _ in deals], [p for _, p in deals]


@given(whole_deals)
def test_exact_equals_brute_force_for_whole_amounts(deals: list[tuple[int, float]]) -> None:
    reference = brute_force(deals)  # type: ignore[arg-type]
    r = revenue_range(*split(deals), method="exact")  # type: ignore[arg-type]
    totals = sorted(reference)
    for total in totals:
        tail = float(sum(c for t, c in reference.items() if t >= total))
        assert math.isclose(r.probability_at_least(float(total)), tail, abs_tol=1e-12)
    assert r.probability_at_least(float(totals[-1]) + 0.5) == 0.0
    # the quantile is the smallest total whose distribution function reaches q
    for q in (0.0, 0.05, 0.1, 0.3, 0.5, 0.7, 0.9, 0.95, 1.0):
        x = Fraction(r.quantile(q))
        assert x in reference
        reaches = float(sum(c for t, c in reference.items() if t <= x))
        assert reaches >= q - 1e-9
        before = [t for t in totals if t < x]
        if before:
            assert float(sum(c for t, c in reference.items() if t <= before[-1])) < q + 1e-9


@given(real_deals)
def test_exact_equals_brute_force_for_any_amounts(deals: list[tuple[float, float]]) -> None:
    reference = brute_force(deals)
    r = revenue_range(*split(deals), method="exact")
    totals = sorted(reference)
    scale = max(1.0, float(sum(Fraction(a) for a, _ in deals)))
    # Between two totals far enough apart that rounding cannot blur them, the chance of
    # reaching the midpoint is the chance of reaching the upper one.
    for lower, upper in itertools.pairwise(totals):
        if float(upper - lower) > 1e-9 * scale:
            mid = float((lower + upper) / 2)
            tail = float(sum(c for t, c in reference.items() if t >= upper))
            assert math.isclose(r.probability_at_least(mid), tail, abs_tol=1e-9)


@given(real_deals)
def test_mean_and_variance_are_the_formulas(deals: list[tuple[float, float]]) -> None:
    mean = sum(Fraction(a) * Fraction(p) for a, p in deals)
    variance = sum(Fraction(a) ** 2 * Fraction(p) * (1 - Fraction(p)) for a, p in deals)
    for method in ("monte_carlo", "normal", "exact"):
        r = revenue_range(*split(deals), method=method, trials=20, seed=1)
        assert math.isclose(r.mean, float(mean), rel_tol=1e-12, abs_tol=1e-300)
        assert math.isclose(r.variance, float(variance), rel_tol=1e-12, abs_tol=1e-300)
        assert r.deals == len(deals)


@given(real_deals, st.integers(0, 2**32), st.integers(1, 300))
def test_simulated_totals_are_possible_totals(
    deals: list[tuple[float, float]], seed: int, trials: int
) -> None:
    reference = brute_force(deals)
    r = revenue_range(*split(deals), trials=trials, seed=seed)
    scale = max(1.0, float(sum(Fraction(a) for a, _ in deals)))
    quantiles = [r.quantile(q / 10) for q in range(11)]
    assert quantiles == sorted(quantiles)
    # the smallest and the largest trial are totals that can happen
    for x in (quantiles[0], quantiles[-1]):
        assert min(abs(float(t) - x) for t in reference) <= 1e-9 * scale
    assert r.probability_at_least(quantiles[0]) == 1.0
    assert r.quantile(0.5) == revenue_range(*split(deals), trials=trials, seed=seed).quantile(0.5)


@given(whole_deals)
def test_the_normal_error_bound_holds(deals: list[tuple[int, float]]) -> None:
    amounts, chances = split(deals)  # type: ignore[arg-type]
    bound = normal_error_bound(amounts, chances)
    r = revenue_range(amounts, chances, method="normal")
    if r.variance == 0:
        assert bound == 0.0
        assert r.probability_at_least(r.mean) == 1.0
        assert r.probability_at_least(r.mean + 1) == 0.0
        return
    normal = NormalDist(r.mean, r.std)
    reference = brute_force(deals)  # type: ignore[arg-type]
    below = 0.0
    for total in sorted(reference):
        at = float(total)
        # the distribution function jumps at each total: compare both sides of the jump
        assert abs(below - normal.cdf(at)) <= bound + 1e-12
        below += float(reference[total])
        assert abs(below - normal.cdf(at)) <= bound + 1e-12


offsets_lists = st.lists(st.integers(-5, 12), max_size=40)


@given(offsets_lists, st.integers(0, 6), st.floats(0, 10, allow_nan=False))
def test_slip_shares_are_the_pooled_counts(offsets: list[int], top: int, prior: float) -> None:
    if not offsets and prior == 0:
        return
    model = SlipModel.from_offsets(offsets, max_offset=top, prior_strength=prior)
    assert len(model.shares) == top + 1
    assert math.isclose(math.fsum(model.shares), 1.0, abs_tol=1e-12)
    n = len(offsets) + prior
    for k, share in enumerate(model.shares):
        # early counts as on time, beyond top as top
        count = sum(1 for o in offsets if o == k or (k == 0 and o < 0) or (k == top and o > top))
        count += prior if k == 0 else 0
        assert math.isclose(share, count / n, rel_tol=1e-12, abs_tol=1e-15)


slips = st.lists(st.integers(0, 5), min_size=1, max_size=4).filter(any)
period_deals = st.lists(
    st.tuples(st.integers(1, 1000), probabilities, st.integers(0, 3)), max_size=8
)


@given(period_deals, slips)
def test_periods_hold_each_deal_with_its_slipped_chance(
    deals: list[tuple[int, float, int]], weights: list[int]
) -> None:
    horizon = 4
    slip = SlipModel(shares=[Fraction(w, sum(weights)) for w in weights])
    amounts = [a for a, _, _ in deals]
    chances = [p for _, p, _ in deals]
    periods = [t for _, _, t in deals]
    ranges = period_ranges(amounts, chances, periods, horizon=horizon, slip=slip, method="exact")
    for j, r in enumerate(ranges):
        # an independent reference: each deal in period j with p * shares[j - t]
        in_period = [(a, p * slip.share_in(j - t)) for a, p, t in deals]
        expected = sum(a * q for a, q in in_period)
        assert math.isclose(r.mean, expected, rel_tol=1e-12, abs_tol=1e-9)
        reference = brute_force(in_period)
        for total in reference:
            tail = float(sum(c for t, c in reference.items() if t >= total))
            assert math.isclose(r.probability_at_least(float(total)), tail, abs_tol=1e-9)
    # the whole horizon: what slips beyond it is gone
    window = window_range(
        amounts,
        chances,
        periods,
        horizon=horizon,
        first=0,
        count=horizon,
        slip=slip,
        method="normal",
    )
    kept = sum(a * p * sum(slip.shares[: horizon - t]) for a, p, t in deals)
    assert math.isclose(window.mean, kept, rel_tol=1e-9, abs_tol=1e-9)
    assert math.isclose(window.mean, math.fsum(r.mean for r in ranges), rel_tol=1e-9, abs_tol=1e-9)


@given(st.integers(1, 40), st.integers(0, 2**31))
def test_monte_carlo_repeats_for_a_seed(n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    amounts, chances = rng.lognormal(6, 2, n), rng.uniform(0, 1, n)
    first = revenue_range(amounts, chances, trials=200, seed=seed)
    again = revenue_range(amounts.tolist(), chances.tolist(), trials=200, seed=seed)
    assert [first.quantile(q / 8) for q in range(9)] == [again.quantile(q / 8) for q in range(9)]
