"""The forecasting benchmark runs at tiny sizes and prints every figure (timings not checked)."""

from __future__ import annotations

import math
import re
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.examples.scripts import loaded, run_script

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "bench_forecasting.py"
TINY = ["--deals", "50", "--trials", "300", "--reference-trials", "1000"]
TINY += ["--baseline-trials", "30", "--repeat", "1", "--opportunities", "300"]

NUMBERS = r"[\d,]+ / [\d,]+ / [\d,]+"
RANGES = re.compile(
    rf"^ranges, 50 deals: P10/P50/P90 = {NUMBERS} in [\d.]+ s \(target < 0\.5 s: (met|NOT met)\);"
    rf" 1,000-trial reference {NUMBERS} in [\d.]+ s; largest difference [\d.]+%"
    r" \(target < 1%: (met|NOT met)\)$",
    re.M,
)
LOOP = re.compile(
    r"^  plain numpy loop, one trial at a time \(rng\.random\(n\) < p\): 30 trials in [\d.]+ s,"
    r" [\d.]+ s scaled to 300 trials \(ratio [\d.]+ to leadflow\)$",
    re.M,
)
NORMAL = re.compile(
    rf"^  normal approximation: P10/P50/P90 = {NUMBERS} in [\d.]+ s \(ratio [\d.]+ to leadflow\);"
    r" largest difference from the reference [\d.]+%$",
    re.M,
)

WEIGHTED = re.compile(
    r"^weighted pipeline, 300 open deals by quarter and owner: [\d,]+ groups in [\d.]+ s"
    r" \(target < 2 s: (met|NOT met)\); plain loop summing floats: [\d.]+ s \(ratio [\d.]+\);"
    r" totals agree: yes \(building the deals took [\d.]+ s\)$",
    re.M,
)


@pytest.fixture
def bench() -> Iterator[types.ModuleType]:
    with loaded(SCRIPT) as module:
        yield module


def check_ranges(printed: str) -> None:
    assert RANGES.search(printed), printed
    assert LOOP.search(printed), printed
    assert NORMAL.search(printed), printed


def test_the_script_runs_and_prints_every_figure() -> None:
    printed = run_script(SCRIPT, *TINY)
    check_ranges(printed)
    assert WEIGHTED.search(printed), printed


def test_bench_ranges_runs_in_process(
    bench: types.ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    bench.bench_ranges(deals=50, trials=300, reference_trials=1_000, baseline_trials=30, repeat=1)
    printed = capsys.readouterr().out
    check_ranges(printed)
    assert len(printed.splitlines()) == 3


def test_the_reference_is_a_fair_monte_carlo(bench: types.ModuleType) -> None:
    # The benchmark's own reference and loop must agree with leadflow's exact method,
    # or the differences it prints mean nothing.
    from leadflow.forecasting.simulation import revenue_range

    amounts, probabilities = bench.make_deals(12, seed=5)
    exact = revenue_range(amounts, probabilities, method="exact")
    wanted = [exact.p10, exact.p50, exact.p90]
    reference = bench.reference_quantiles(amounts, probabilities, 100_000, seed=1)
    loop = bench.one_trial_at_a_time(amounts, probabilities, 20_000, seed=1)
    assert bench.largest_difference(reference, wanted) < 0.02
    assert bench.largest_difference(loop, wanted) < 0.04


def test_bench_weighted_agrees_with_the_plain_loop(
    bench: types.ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    bench.bench_weighted(opportunities=300, repeat=1)
    printed = capsys.readouterr().out
    assert WEIGHTED.search(printed), printed
    deals = bench.make_opportunities(40, seed=5)
    groups = bench.by_hand(deals)
    assert sum(len(d.name) > 0 for d in deals) == 40
    assert math.isclose(
        math.fsum(g[0] for g in groups.values()),
        math.fsum(float(d.amount.amount) for d in deals),
    )
