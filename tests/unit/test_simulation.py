"""Won-revenue ranges: worked examples, Monte Carlo against exact, slip and validation."""

from __future__ import annotations

import itertools
import math
import pickle
from decimal import Decimal
from fractions import Fraction
from statistics import NormalDist

import numpy as np
import pytest

from leadflow.errors import InvalidConfiguration, ValidationError
from leadflow.forecasting import simulation
from leadflow.forecasting.simulation import (
    NO_SLIP,
    Method,
    RevenueRange,
    SlipModel,
    normal_error_bound,
    period_ranges,
    revenue_range,
    window_range,
)

ALL_METHODS = ["monte_carlo", "normal", "exact", "auto"]


def enumerate_outcomes(amounts: list[float], probabilities: list[float]) -> dict[float, float]:
    """Every won/lost combination: total -> probability (a slow, obvious reference)."""
    outcomes: dict[float, float] = {}
    for won in itertools.product([False, True], repeat=len(amounts)):
        chance = math.prod(p if w else 1 - p for p, w in zip(probabilities, won, strict=True))
        total = sum(a for a, w in zip(amounts, won, strict=True) if w)
        outcomes[total] = outcomes.get(total, 0.0) + chance
    return outcomes


def at_least(outcomes: dict[float, float], amount: float) -> float:
    return sum(chance for total, chance in outcomes.items() if total >= amount)


# ============================================================ worked by hand


class TestTwoDeals:
    """100 won with 1/2 and 200 won with 1/4.

    Outcomes: 0 with 1/2 * 3/4 = 0.375; 100 with 0.375; 200 with 1/2 * 1/4 = 0.125;
    300 with 0.125.  Mean 50 + 50 = 100; variance 100^2 * 1/4 + 200^2 * 3/16 = 10,000.
    Distribution function: 0.375, 0.75, 0.875, 1.
    """

    A: list[float] = [100, 200]  # noqa: RUF012
    P: list[float] = [0.5, 0.25]  # noqa: RUF012

    def test_the_brute_force_reference_agrees_with_the_hand_count(self) -> None:
        assert enumerate_outcomes(self.A, self.P) == {0: 0.375, 100: 0.375, 200: 0.125, 300: 0.125}

    def test_exact(self) -> None:
        r = revenue_range(self.A, self.P, method="exact")
        assert (r.mean, r.variance, r.std) == (100.0, 10_000.0, 100.0)
        assert (r.p10, r.p50, r.p90) == (0.0, 100.0, 300.0)
        assert r.quantile(0.375) == 0.0  # F(0) = 0.375 reaches it exactly
        assert r.quantile(0.38) == 100.0
        assert r.quantile(0.0) == 0.0
        assert r.quantile(1.0) == 300.0
        assert r.probability_at_least(0) == 1.0
        assert r.probability_at_least(100) == pytest.approx(0.625, abs=1e-15)
        assert r.probability_at_least(150) == pytest.approx(0.25, abs=1e-15)
        assert r.probability_at_least(300) == pytest.approx(0.125, abs=1e-15)
        assert r.probability_at_least(300.5) == 0.0
        assert r.probability_at_least(-10) == 1.0
        assert (r.method, r.trials, r.seed, r.deals) == (Method.EXACT, None, None, 2)

    def test_monte_carlo_is_close(self) -> None:
        r = revenue_range(self.A, self.P, trials=40_000, seed=11)
        assert (r.mean, r.variance) == (100.0, 10_000.0)  # exact whatever the method
        assert (r.p10, r.p50, r.p90) == (0.0, 100.0, 300.0)
        se = math.sqrt(0.25 * 0.75 / 40_000)
        assert r.probability_at_least(150) == pytest.approx(0.25, abs=5 * se)
        assert r.probability_at_least(100) == pytest.approx(0.625, abs=5 * se)
        assert r.probability_at_least(0) == 1.0
        assert r.probability_at_least(301) == 0.0
        assert (r.method, r.trials, r.seed) == (Method.MONTE_CARLO, 40_000, 11)

    def test_normal(self) -> None:
        r = revenue_range(self.A, self.P, method="normal")
        # P10 = 100 - 1.2816 * 100 < 0: clipped to the least revenue possible.
        assert r.p10 == 0.0
        assert r.p50 == pytest.approx(100.0)
        assert r.p90 == pytest.approx(100 + 1.2815515655446004 * 100)
        assert r.quantile(0.0) == 0.0
        assert r.quantile(1.0) == 300.0  # the most revenue possible
        assert r.quantile(0.999999) == 300.0  # clipped as well
        assert r.probability_at_least(150) == pytest.approx(1 - NormalDist().cdf(0.5))
        assert r.probability_at_least(0) == 1.0
        assert r.probability_at_least(300.5) == 0.0
        assert (r.trials, r.seed) == (None, None)


def test_three_deals_whose_sums_coincide() -> None:
    # 1, 2 and 3, each won with 1/2: 3 is reached as 3 and as 1 + 2 (2/8); the other
    # totals 0, 1, 2, 4, 5, 6 once each (1/8).  F: 1/8, 2/8, 3/8, 5/8, 6/8, 7/8, 1.
    r = revenue_range([1, 2, 3], [0.5, 0.5, 0.5], method="exact")
    assert [r.probability_at_least(x) for x in range(8)] == pytest.approx(
        [1, 7 / 8, 6 / 8, 5 / 8, 3 / 8, 2 / 8, 1 / 8, 0]
    )
    assert (r.p10, r.p50, r.p90) == (0.0, 3.0, 6.0)
    assert r.quantile(0.3) == 2.0
    assert simulation_support(r) == 7


def simulation_support(r: RevenueRange) -> int:
    return len(r._outcomes.values)  # type: ignore[attr-defined]


def test_totals_equal_but_for_rounding_are_merged() -> None:
    # 0.1 + 0.2 is 0.30000000000000004, not 0.3: still one total, reached two ways.
    r = revenue_range([0.1, 0.2, 0.3], [0.5, 0.5, 0.5], method="exact")
    assert simulation_support(r) == 7  # 0, .1, .2, .3, .4, .5, .6
    assert r.probability_at_least(0.3) == pytest.approx(5 / 8)
    assert r.probability_at_least(0.30000000001) == pytest.approx(3 / 8)


def test_three_equal_amounts() -> None:
    # 10 each, won with 0.2, 0.5 and 0.9.
    # P(0) = .8*.5*.1 = .04; P(10) = .2*.5*.1 + .8*.5*.1 + .8*.5*.9 = .41;
    # P(20) = .2*.5*.1 + .2*.5*.9 + .8*.5*.9 = .46; P(30) = .2*.5*.9 = .09.
    r = revenue_range([10, 10, 10], [0.2, 0.5, 0.9], method="exact")
    assert r.probability_at_least(30) == pytest.approx(0.09)
    assert r.probability_at_least(20) == pytest.approx(0.55)
    assert r.probability_at_least(15) == pytest.approx(0.55)
    assert r.probability_at_least(10) == pytest.approx(0.96)
    assert (r.p10, r.p50, r.p90) == (10.0, 20.0, 20.0)  # F: .04, .45, .91, 1
    assert r.mean == pytest.approx(16.0)
    assert r.variance == pytest.approx(100 * (0.16 + 0.25 + 0.09))
    assert simulation_support(r) == 4


# ============================================================ certain deals, no deals


@pytest.mark.parametrize("method", ALL_METHODS)
def test_no_deals_is_the_point_mass_at_zero(method: str) -> None:
    r = revenue_range([], [], method=method)
    assert (r.deals, r.mean, r.variance) == (0, 0.0, 0.0)
    assert (r.p10, r.p50, r.p90, r.quantile(0), r.quantile(1)) == (0, 0, 0, 0, 0)
    assert r.probability_at_least(0) == 1.0
    assert r.probability_at_least(0.01) == 0.0


@pytest.mark.parametrize("method", ALL_METHODS)
def test_deals_with_probability_0_or_1_are_certain(method: str) -> None:
    r = revenue_range([500, 1000, 25], [1, 0, 1.0], method=method, seed=1)
    assert (r.mean, r.variance, r.deals) == (525.0, 0.0, 3)
    assert (r.p10, r.p50, r.p90) == (525.0, 525.0, 525.0)
    assert r.probability_at_least(525) == 1.0
    assert r.probability_at_least(525.01) == 0.0


def test_certain_deals_draw_nothing_so_the_seed_does_not_matter() -> None:
    first = revenue_range([500, 1000], [1, 0], seed=1)
    second = revenue_range([500, 1000], [1, 0], seed=2)
    assert first.summary() | {"seed": None} == second.summary() | {"seed": None}


@pytest.mark.parametrize("method", ALL_METHODS)
def test_certain_amounts_are_added_to_the_uncertain_ones(method: str) -> None:
    # 500 for sure, 1000 never, 7 with one half: 500 or 507.
    r = revenue_range([500, 1000, 7], [1, 0, 0.5], method=method, trials=20_000, seed=3)
    assert r.mean == 503.5
    assert r.variance == 49 * 0.25
    assert r.quantile(0) == 500.0
    assert r.quantile(1) == 507.0
    if method != "normal":
        assert (r.p10, r.p90) == (500.0, 507.0)
        assert r.probability_at_least(507) == pytest.approx(0.5, abs=0.02)
        assert r.probability_at_least(500) == 1.0


# ============================================================ Monte Carlo against exact


def test_monte_carlo_converges_to_exact() -> None:
    rng = np.random.default_rng(2024)
    amounts = rng.integers(1_000, 50_000, 14).astype(float)
    probabilities = rng.uniform(0.05, 0.95, 14)
    exact = revenue_range(amounts, probabilities, method="exact")
    simulated = revenue_range(amounts, probabilities, trials=200_000, seed=5)
    for q in (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95):
        assert simulated.quantile(q) == pytest.approx(exact.quantile(q), rel=0.01), q
        x = exact.quantile(q)
        chance = exact.probability_at_least(x)
        se = math.sqrt(chance * (1 - chance) / 200_000)
        assert simulated.probability_at_least(x) == pytest.approx(chance, abs=5 * se + 1e-12)


def test_normal_is_close_to_exact_for_many_similar_deals() -> None:
    # 40 deals of 1,000 with 0.4 each: a binomial count; the normal approximation fits it.
    exact = revenue_range([1_000] * 40, [0.4] * 40, method="exact")
    normal = revenue_range([1_000] * 40, [0.4] * 40, method="normal")
    assert simulation_support(exact) == 41
    for q in (0.1, 0.5, 0.9):
        assert normal.quantile(q) == pytest.approx(exact.quantile(q), abs=1_000)
    assert normal_error_bound([1_000] * 40, [0.4] * 40) < 0.15


def test_auto_is_exact_for_a_few_deals() -> None:
    amounts, chances = [100.0, 250.0, 400.0], [0.2, 0.5, 0.9]
    r = revenue_range(amounts, chances, method="auto", seed=3)
    assert r.method is Method.EXACT
    assert (r.trials, r.seed) == (None, None)
    outcomes = enumerate_outcomes(amounts, chances)
    assert r.probability_at_least(500) == pytest.approx(at_least(outcomes, 500))
    # Certain deals do not count toward the 16: 16 uncertain plus 30 certain is exact.
    many = revenue_range([1.0] * 46, [0.5] * 16 + [1.0] * 30, method="auto")
    assert many.method is Method.EXACT


def test_auto_is_normal_when_its_error_bound_is_small() -> None:
    # 0.56 / sqrt(n) for n equal deals at 0.5: at most 0.005 from n = 12,544.
    assert normal_error_bound([1.0] * 12_544, [0.5] * 12_544) <= 0.005
    assert revenue_range([1.0] * 12_544, [0.5] * 12_544, method="auto").method is Method.NORMAL
    assert normal_error_bound([1.0] * 12_000, [0.5] * 12_000) > 0.005
    r = revenue_range([1.0] * 12_000, [0.5] * 12_000, method="auto", seed=5)
    assert r.method is Method.MONTE_CARLO
    assert (r.trials, r.seed) == (10_000, 5)


def test_auto_simulates_when_one_deal_dominates() -> None:
    amounts = [1_000_000.0, *[1_000.0] * 40]
    r = revenue_range(amounts, [0.5] * 41, method="auto", seed=2)
    assert r.method is Method.MONTE_CARLO
    assert r.probability_at_least(1_000_000) == pytest.approx(0.5, abs=0.02)


def test_auto_chooses_per_period() -> None:
    ranges = period_ranges(
        [1.0] * 20, [0.5] * 20, [0] * 3 + [1] * 17, horizon=2, method="auto", seed=1
    )
    assert [r.method for r in ranges] == [Method.EXACT, Method.MONTE_CARLO]


def test_the_normal_error_bound_is_large_when_one_deal_dominates() -> None:
    assert normal_error_bound([1_000_000, *[1_000] * 40], [0.5] * 41) > 0.5
    assert normal_error_bound([10, 20], [1, 0]) == 0.0
    assert normal_error_bound([1e200, 1e200], [0.5, 0.5]) == pytest.approx(0.56 / math.sqrt(2))


# ============================================================ mean, variance, seeds


def test_mean_and_variance_are_the_exact_formulas() -> None:
    rng = np.random.default_rng(9)
    amounts = rng.lognormal(8, 1, 300)
    probabilities = rng.uniform(0, 1, 300)
    pairs = [(Fraction(a), Fraction(p)) for a, p in zip(amounts, probabilities, strict=True)]
    mean = float(sum(a * p for a, p in pairs))
    variance = float(sum(a * a * p * (1 - p) for a, p in pairs))
    for method in ALL_METHODS[:2]:
        r = revenue_range(amounts, probabilities, method=method, trials=10)
        assert r.mean == pytest.approx(mean, rel=1e-14)
        assert r.variance == pytest.approx(variance, rel=1e-14)
        assert r.std == pytest.approx(math.sqrt(variance), rel=1e-14)


def test_the_same_seed_gives_the_same_figures() -> None:
    rng = np.random.default_rng(3)
    amounts, probabilities = rng.lognormal(9, 1, 500), rng.uniform(0.05, 0.95, 500)
    first = revenue_range(amounts, probabilities, trials=3_000, seed=42)
    again = revenue_range(amounts, probabilities, trials=3_000, seed=42)
    assert first.summary() == again.summary()
    assert [first.quantile(q / 20) for q in range(21)] == [
        again.quantile(q / 20) for q in range(21)
    ]
    others = {revenue_range(amounts, probabilities, trials=3_000, seed=s).p50 for s in (1, 2, 3)}
    assert len(others | {first.p50}) == 4


def test_without_a_seed_the_entropy_used_is_recorded_and_repeats_the_run() -> None:
    amounts, probabilities = [100, 250, 400, 50], [0.3, 0.6, 0.2, 0.9]
    first = revenue_range(amounts, probabilities, trials=500)
    assert isinstance(first.seed, int)
    again = revenue_range(amounts, probabilities, trials=500, seed=first.seed)
    assert [first.quantile(q / 10) for q in range(11)] == [
        again.quantile(q / 10) for q in range(11)
    ]


def test_seeds_and_trials_are_left_out_of_normal_and_exact() -> None:
    for method in ("normal", "exact"):
        r = revenue_range([1, 2], [0.5, 0.5], method=method, seed=4, trials=7)
        assert (r.seed, r.trials) == (None, None)


def test_decimal_and_numpy_inputs_give_the_same_range() -> None:
    floats = revenue_range([100.5, 200.25, 50.0], [0.1, 0.5, 0.75], method="exact")
    decimals = revenue_range(
        [Decimal("100.5"), Decimal("200.25"), Decimal(50)],
        (Decimal("0.1"), Decimal("0.5"), Decimal("0.75")),
        method="exact",
    )
    arrays = revenue_range(
        np.array([100.5, 200.25, 50.0], np.float32),
        np.array([0.1, 0.5, 0.75]),
        method="exact",
    )
    integers = revenue_range(np.array([100, 200, 50]), [0.1, 0.5, 0.75], method="exact")
    for q in (0.1, 0.3, 0.5, 0.9):
        assert floats.quantile(q) == decimals.quantile(q) == arrays.quantile(q)
    assert integers.probability_at_least(300) == pytest.approx(0.05 * 0.75 + 0.05 * 0.25)


def test_a_quota_reached_exactly_is_not_missed_by_rounding() -> None:
    # 0.7 + 0.1 is 0.7999999999999999 in binary floating point, below 0.8.
    assert 0.7 + 0.1 < 0.8
    for method in ("exact", "monte_carlo"):
        r = revenue_range([0.7, 0.1], [0.5, 0.5], method=method, trials=40_000, seed=8)
        assert r.probability_at_least(0.8) == pytest.approx(0.25, abs=0.02)
        assert r.probability_at_least(0.8000001) == 0.0
    certain = revenue_range([0.7, 0.1], [1, 1], method="normal")
    assert certain.probability_at_least(0.8) == 1.0


# ============================================================ the kernel


def test_blocks_stay_within_the_budget() -> None:
    budget = 1_000 * simulation._BYTES_PER_CELL
    for deals, trials in [(10, 10_000), (1_000, 5), (5_000, 10_000), (1, 1)]:
        rows, columns = simulation._block_shape(deals, trials, budget)
        assert 1 <= rows <= trials
        assert 1 <= columns <= deals
        assert rows * columns * simulation._BYTES_PER_CELL <= budget
    # the whole problem when it fits:
    assert simulation._block_shape(10, 50, budget) == (50, 10)
    # one deal of one trial at least, whatever the budget:
    assert simulation._block_shape(10, 50, 1) == (1, 1)


@pytest.mark.parametrize(
    "cells",
    [
        5,  # 1 trial x 5 deals: three column blocks per trial
        40,  # 2 trials x 14 deals: row blocks
        1_000_000,  # one block
    ],
)
def test_the_kernel_wins_each_deal_with_its_probability_across_blocks(
    monkeypatch: pytest.MonkeyPatch, cells: int
) -> None:
    # Amounts 1, 2, 4, ...: a total's binary digits say which deals were won.  The kernel
    # compares a random byte with floor(256 p) and settles ties with a float: 0.0035 and
    # 0.9965 are won with 0 / 256 and 254 / 256 plus their ties (0.896 and 0.904 of a
    # 256th), so a kernel without the ties would be off by about 10 standard errors.
    monkeypatch.setattr(simulation, "_BLOCK_BYTES", cells * simulation._BYTES_PER_CELL)
    probabilities = np.array(
        [0.5, 0.1, 0.9, 0.3, 0.0035, 0.9965, 0.7, 0.25, 0.05, 0.6, 0.2, 0.8, 0.0005, 3 / 256]
    )
    amounts = 2.0 ** np.arange(14)
    trials = 20_000
    totals = simulation._simulate(amounts, probabilities, trials, np.random.default_rng(1))
    assert np.array_equal(totals, np.round(totals))
    bits = (totals.astype(np.int64)[:, None] >> np.arange(14)) & 1
    frequencies = bits.mean(axis=0)
    se = np.sqrt(probabilities * (1 - probabilities) / trials)
    assert np.all(np.abs(frequencies - probabilities) <= 5 * se), frequencies
    # pairs of deals are independent (the joint frequency is the product)
    joint = (bits[:, 0] & bits[:, 6]).mean()
    assert joint == pytest.approx(0.5 * 0.7, abs=5 * math.sqrt(0.35 * 0.65 / trials))


def test_blocks_do_not_change_the_distribution(monkeypatch: pytest.MonkeyPatch) -> None:
    amounts, probabilities = [3.0, 5.0, 11.0, 17.0], [0.2, 0.5, 0.7, 0.9]
    exact = revenue_range(amounts, probabilities, method="exact")
    monkeypatch.setattr(simulation, "_BLOCK_BYTES", 2 * simulation._BYTES_PER_CELL)
    small = revenue_range(amounts, probabilities, trials=30_000, seed=2)
    for x in (3, 5, 11, 17, 20, 25, 30):
        chance = exact.probability_at_least(x)
        se = math.sqrt(chance * (1 - chance) / 30_000)
        assert small.probability_at_least(x) == pytest.approx(chance, abs=5 * se + 1e-12)


# ============================================================ the result


def test_summary_and_text() -> None:
    r = revenue_range([100, 200], [0.5, 0.25], method="exact")
    assert r.summary() == {
        "mean": 100.0,
        "std": 100.0,
        "p10": 0.0,
        "p50": 100.0,
        "p90": 300.0,
        "method": "exact",
        "trials": None,
        "seed": None,
        "deals": 2,
    }
    assert str(r).splitlines() == [
        "won revenue from 2 deals (exact)",
        "  mean  100.00",
        "  std   100.00",
        "  P10     0.00",
        "  P50   100.00",
        "  P90   300.00",
    ]
    simulated = revenue_range([1_000_000], [0.5], trials=1_000, seed=3)
    text = str(simulated)
    assert text.startswith("won revenue from 1 deals (monte_carlo, 1,000 trials, seed 3)\n")
    assert "  P90   1,000,000.00" in text


def test_ranges_pickle_and_are_not_constructed_directly() -> None:
    r = revenue_range([100, 200, 300], [0.5, 0.25, 0.75], trials=100, seed=1)
    copy = pickle.loads(pickle.dumps(r))
    assert copy.summary() == r.summary()
    with pytest.raises(TypeError):
        RevenueRange(deals=1, mean=0.0, variance=0.0, method=Method.NORMAL)  # type: ignore[call-arg]


# ============================================================ bad input


@pytest.mark.parametrize(
    ("amounts", "probabilities", "path", "value"),
    [
        ([1, 2, -5], [0.1, 0.2, 0.3], "amounts[2]", -5),
        (np.array([1.0, np.nan]), [0.1, 0.2], "amounts[1]", math.nan),
        ([1, math.inf], [0.1, 0.2], "amounts[1]", math.inf),
        (["100"], [0.5], "amounts[0]", "100"),
        ([True], [0.5], "amounts[0]", True),
        ([10**400], [0.5], "amounts[0]", 10**400),
        ([1, 2], [0.5, 1.5], "probabilities[1]", 1.5),
        ([1, 2], np.array([-0.1, 0.5]), "probabilities[0]", -0.1),
        ([1, 2], [None, 0.5], "probabilities[0]", None),
        ([1] * 20, [0.5] * 17 + [Decimal("1.01"), 0.5, 0.5], "probabilities[17]", Decimal("1.01")),
    ],
)
def test_a_bad_value_is_named_with_its_index(
    amounts: object, probabilities: object, path: str, value: object
) -> None:
    with pytest.raises(ValidationError) as caught:
        revenue_range(amounts, probabilities)  # type: ignore[arg-type]
    (problem,) = caught.value.problems
    assert problem.path == path
    if isinstance(value, float) and math.isnan(value):
        assert math.isnan(problem.value)  # type: ignore[arg-type]
    else:
        assert problem.value == value
        assert type(problem.value) is type(value)
    assert path in str(caught.value)


def test_lengths_must_match() -> None:
    with pytest.raises(ValidationError) as caught:
        revenue_range([1, 2], [0.5, 0.5, 0.5])
    (problem,) = caught.value.problems
    assert problem.path == "probabilities"
    assert str(problem) == (
        "probabilities: 3 values given for 2 amounts; give one probability per amount"
    )


@pytest.mark.parametrize("bad", ["12", 5, None, np.zeros((2, 2))])
def test_amounts_must_be_a_flat_sequence(bad: object) -> None:
    with pytest.raises(ValidationError) as caught:
        revenue_range(bad, [0.5, 0.5])  # type: ignore[arg-type]
    assert caught.value.problems[0].path == "amounts"


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"trials": 0}, "trials"),
        ({"trials": 2.5}, "trials"),
        ({"trials": True}, "trials"),
        ({"method": "bootstrap"}, "method"),
        ({"seed": -1}, "seed"),
        ({"seed": "7"}, "seed"),
        ({"seed": -1, "method": "exact"}, "seed"),
        ({"max_support": 0}, "max_support"),
    ],
)
def test_bad_options_are_named(options: dict[str, object], key: str) -> None:
    with pytest.raises(InvalidConfiguration) as caught:
        revenue_range([1, 2], [0.5, 0.5], **options)  # type: ignore[arg-type]
    assert caught.value.key == key


def test_exact_refuses_a_support_too_large_and_suggests_monte_carlo() -> None:
    amounts = [2.0**k for k in range(12)]  # every subset sum differs: 4,096 totals
    assert simulation_support(revenue_range(amounts, [0.5] * 12, method="exact")) == 4_096
    with pytest.raises(InvalidConfiguration) as caught:
        revenue_range(amounts, [0.5] * 12, method="exact", max_support=4_095)
    assert caught.value.key == "max_support"
    assert "more than 4,095 distinct totals" in str(caught.value)
    assert "monte_carlo" in str(caught.value)
    # certain deals and deals without a chance do not count
    revenue_range([*amounts, 5.0, 7.0], [0.5] * 12 + [1, 0], method="exact", max_support=4_096)


@pytest.mark.parametrize("q", [-0.1, 1.01, math.nan, "0.5", None])
def test_quantile_needs_a_number_from_0_to_1(q: object) -> None:
    r = revenue_range([1, 2], [0.5, 0.5], method="exact")
    with pytest.raises(ValidationError) as caught:
        r.quantile(q)  # type: ignore[arg-type]
    assert caught.value.problems[0].path == "q"


@pytest.mark.parametrize("amount", [math.nan, math.inf, "10"])
def test_a_quota_must_be_a_finite_number(amount: object) -> None:
    r = revenue_range([1, 2], [0.5, 0.5], method="normal")
    with pytest.raises(ValidationError) as caught:
        r.probability_at_least(amount)  # type: ignore[arg-type]
    assert caught.value.problems[0].path == "amount"


def test_a_decimal_quota_is_accepted() -> None:
    r = revenue_range([100, 200], [0.5, 0.25], method="exact")
    assert r.probability_at_least(Decimal("150.00")) == pytest.approx(0.25)
    assert r.quantile(Decimal("0.5")) == 100.0  # type: ignore[arg-type]


# ============================================================ slip model


class TestSlipModel:
    def test_counts_pool_late_and_early_offsets(self) -> None:
        # -1 and -3 count as 0; 5 and 4 are pooled into max_offset 3:
        # counts 0: 2 + 2 = 4, 1: 1, 2: 1, 3: 2; eight offsets in all.
        model = SlipModel.from_offsets([0, 0, -1, -3, 1, 2, 5, 4], max_offset=3)
        assert model.shares == (4 / 8, 1 / 8, 1 / 8, 2 / 8)
        assert model.max_offset == 3

    def test_smoothing_adds_pseudo_observations_on_time(self) -> None:
        model = SlipModel.from_offsets([1, 1, 2], max_offset=2, prior_strength=1.5)
        assert model.shares == pytest.approx((1.5 / 4.5, 2 / 4.5, 1 / 4.5))
        assert SlipModel.from_offsets([], prior_strength=2).shares == (1.0, 0.0, 0.0, 0.0)

    def test_offsets_from_numpy_and_a_generator(self) -> None:
        model = SlipModel.from_offsets(iter(np.array([0, 1, 1, 1])), max_offset=1)
        assert model.shares == (0.25, 0.75)
        assert SlipModel.from_offsets([7, 8], max_offset=0).shares == (1.0,)

    def test_share_in(self) -> None:
        model = SlipModel(shares=(0.5, 0.3, 0.2))
        assert [model.share_in(k) for k in (-1, 0, 1, 2, 3)] == [0.0, 0.5, 0.3, 0.2, 0.0]
        assert NO_SLIP.shares == (1.0,)
        assert NO_SLIP.share_in(0) == 1.0
        assert NO_SLIP.share_in(1) == 0.0

    def test_shares_are_converted_to_floats(self) -> None:
        model = SlipModel(shares=[Decimal("0.75"), Fraction(1, 4)])
        assert model.shares == (0.75, 0.25)
        assert all(type(share) is float for share in model.shares)

    def test_shares_add_up_to_one_within_1e_9(self) -> None:
        SlipModel(shares=(0.5, 0.5 + 5e-10))
        with pytest.raises(InvalidConfiguration) as caught:
            SlipModel(shares=(0.5, 0.5 + 5e-9))
        assert caught.value.key == "shares"
        with pytest.raises(InvalidConfiguration, match="add up to 1"):
            SlipModel(shares=(0.5, 0.4))

    @pytest.mark.parametrize(
        ("shares", "key"),
        [((), "shares"), ((1.2, -0.2), "shares[0]"), ((0.5, math.nan), "shares[1]")],
    )
    def test_bad_shares(self, shares: tuple[float, ...], key: str) -> None:
        with pytest.raises(InvalidConfiguration) as caught:
            SlipModel(shares=shares)
        assert caught.value.key == key

    def test_bad_offsets(self) -> None:
        with pytest.raises(ValidationError) as caught:
            SlipModel.from_offsets([0, 1.5])  # type: ignore[list-item]
        assert caught.value.problems[0].path == "offsets[1]"
        with pytest.raises(ValidationError) as caught:
            SlipModel.from_offsets([True])
        assert caught.value.problems[0].path == "offsets[0]"
        with pytest.raises(ValidationError, match="give at least one offset"):
            SlipModel.from_offsets([])

    @pytest.mark.parametrize(
        ("options", "key"),
        [
            ({"max_offset": -1}, "max_offset"),
            ({"prior_strength": -1}, "prior_strength"),
            ({"prior_strength": math.inf}, "prior_strength"),
        ],
    )
    def test_bad_options(self, options: dict[str, object], key: str) -> None:
        with pytest.raises(InvalidConfiguration) as caught:
            SlipModel.from_offsets([0], **options)  # type: ignore[arg-type]
        assert caught.value.key == key


# ============================================================ periods


SLIP = SlipModel(shares=(0.5, 0.3, 0.2))


def test_period_means_by_hand() -> None:
    # 100 won with 1/2 in period 0; 200 won for sure and 300 won with 0.2, both in period 1.
    # Period 0: 100 * .5 * .5 = 25.
    # Period 1: 100 * .5 * .3 + 200 * .5 + 300 * .2 * .5 = 15 + 100 + 30 = 145.
    # Period 2: 100 * .5 * .2 + 200 * .3 + 300 * .2 * .3 = 10 + 60 + 18 = 88.
    # (200 and 300 slip two periods with .2: into period 3, beyond the horizon.)
    ranges = period_ranges(
        [100, 200, 300], [0.5, 1, 0.2], [0, 1, 1], horizon=3, slip=SLIP, method="exact"
    )
    assert [r.mean for r in ranges] == pytest.approx([25, 145, 88])
    assert [r.deals for r in ranges] == [1, 3, 3]
    # Period 1 exactly: 100 w.p. .15, 200 w.p. .5, 300 w.p. .1, independently.
    reference = enumerate_outcomes([100, 200, 300], [0.15, 0.5, 0.1])
    for x in (0, 100, 200, 250, 300, 400, 500, 600):
        assert ranges[1].probability_at_least(x) == pytest.approx(at_least(reference, x))


def test_period_means_equal_an_independent_sum() -> None:
    rng = np.random.default_rng(12)
    n, horizon = 60, 5
    amounts = rng.lognormal(8, 1, n)
    probabilities = rng.uniform(0, 1, n)
    periods = rng.integers(0, horizon, n)
    slip = SlipModel(shares=(0.4, 0.3, 0.2, 0.1))
    ranges = period_ranges(
        amounts, probabilities, periods, horizon=horizon, slip=slip, method="normal"
    )
    assert len(ranges) == horizon
    for j, r in enumerate(ranges):
        expected = 0.0
        for a, p, t in zip(amounts, probabilities, periods, strict=True):
            k = j - int(t)
            if 0 <= k < 4:
                expected += a * p * slip.shares[k]
        assert r.mean == pytest.approx(expected, rel=1e-12)


def test_deals_slipping_beyond_the_horizon_vanish() -> None:
    always_late = SlipModel(shares=(0.0, 1.0))
    ranges = period_ranges(
        [500, 700], [0.9, 0.5], [2, 0], horizon=3, slip=always_late, method="exact"
    )
    # 700 lands in period 1; 500 would land in period 3, beyond the horizon.
    assert [r.mean for r in ranges] == [0.0, 350.0, 0.0]
    assert [r.deals for r in ranges] == [0, 1, 0]
    assert ranges[2].probability_at_least(0.01) == 0.0
    window = window_range(
        [500, 700], [0.9, 0.5], [2, 0], horizon=3, first=0, count=3, slip=always_late
    )
    assert window.mean == 350.0


def test_without_slip_the_full_window_is_the_whole_range() -> None:
    amounts, probabilities = [120.0, 80.0, 45.0, 300.0], [0.3, 0.6, 0.9, 0.15]
    whole = revenue_range(amounts, probabilities, method="exact")
    window = window_range(
        amounts, probabilities, [0, 2, 1, 2], horizon=3, first=0, count=3, method="exact"
    )
    assert window.summary() == whole.summary()
    for x in (0, 45, 100, 200, 400, 545):
        assert window.probability_at_least(x) == whole.probability_at_least(x)


def test_a_window_holds_a_deal_once() -> None:
    # 1,000 won with 0.8, expected in period 0, slipping .5/.3/.2: the window 0..1 holds it
    # with .8 * (.5 + .3) = .64; the periods alone with .4 and .24.
    window = window_range([1_000], [0.8], [0], horizon=3, first=0, count=2, slip=SLIP)
    assert window.mean == pytest.approx(640)
    assert window.probability_at_least(1_000) == pytest.approx(0.64, abs=0.02)
    exact = window_range(
        [1_000], [0.8], [0], horizon=3, first=1, count=2, slip=SLIP, method="exact"
    )
    assert exact.probability_at_least(1_000) == pytest.approx(0.8 * 0.5)
    periods = period_ranges([1_000], [0.8], [0], horizon=3, slip=SLIP, method="exact")
    assert [r.probability_at_least(1) for r in periods] == pytest.approx([0.4, 0.24, 0.16])


def test_period_ranges_repeat_with_a_seed_and_use_one_stream_per_period() -> None:
    rng = np.random.default_rng(4)
    amounts, probabilities = rng.lognormal(8, 1, 200), rng.uniform(0.1, 0.9, 200)
    periods = np.zeros(200, np.int64)
    flat = SlipModel(shares=(0.5, 0.5))
    first = period_ranges(amounts, probabilities, periods, horizon=2, slip=flat, seed=6)
    again = period_ranges(amounts, probabilities, periods, horizon=2, slip=flat, seed=6)
    assert [r.summary() for r in first] == [r.summary() for r in again]
    assert all(r.seed == 6 and r.trials == 10_000 for r in first)
    # Both periods hold the same deals with the same chances; their own streams make
    # their simulated totals differ.
    assert first[0].mean == first[1].mean
    assert first[0].quantile(0.37) != first[1].quantile(0.37)


BAD_PERIOD_ARGUMENTS = [
    ({"periods": [3, 0]}, ValidationError, "periods[0]"),
    ({"periods": [0, -1]}, ValidationError, "periods[1]"),
    ({"periods": [0.0, 0]}, ValidationError, "periods[0]"),
    ({"periods": [0]}, ValidationError, "periods"),
    ({"periods": "00"}, ValidationError, "periods"),
    ({"amounts": [1, -1]}, ValidationError, "amounts[1]"),
    ({"horizon": 0}, InvalidConfiguration, "horizon"),
    ({"slip": (1.0,)}, InvalidConfiguration, "slip"),
    ({"first": 2, "count": 2}, InvalidConfiguration, "count"),
    ({"first": -1}, InvalidConfiguration, "first"),
    ({"count": 0}, InvalidConfiguration, "count"),
]  # fmt: skip


@pytest.mark.parametrize(("changes", "error", "where"), BAD_PERIOD_ARGUMENTS)
def test_bad_period_arguments_are_named(
    changes: dict[str, object], error: type[Exception], where: str
) -> None:
    window = {"first": 0, "count": 1}
    base = {"amounts": [1, 2], "probabilities": [0.5, 0.5], "periods": [0, 0], "horizon": 3}
    windowed = "first" in changes or "count" in changes
    calls = [(window_range, window)] if windowed else [(period_ranges, {}), (window_range, window)]
    for call, extra in calls:
        with pytest.raises(error) as caught:
            call(**(base | extra | changes))  # type: ignore[operator]
        if isinstance(caught.value, ValidationError):
            assert caught.value.problems[0].path == where
        else:
            assert caught.value.key == where  # type: ignore[attr-defined]
