"""The scoring benchmark runs at tiny sizes and prints every figure (timings not checked)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.examples.scripts import run_script

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "bench_scoring.py"
TINY = ["--leads", "300", "--activities", "10", "--rows", "400", "--repeat", "1"]

COMPOSITE = re.compile(
    r"^composite scoring 300 leads x 10 activities \(BANT \+ fit \+ engagement with decay\): "
    r"leadflow [\d,]+ activities/s; hand-written loop [\d,]+ activities/s "
    r"\(ratio [\d.]+, target <= 3: (met|NOT met)\)$",
    re.M,
)
RATE = re.compile(
    r"^target >= 1,000,000 activities/s: (met|NOT met) \([\d,]+/s; values agree to [\d.e+-]+\)$",
    re.M,
)
EXPLAINED = re.compile(r"^  with every explanation built \(30 leads\): [\d,]+ leads/s", re.M)
FIT = re.compile(
    r"^fit (NaiveBayes|LogisticRegression) on 400 rows x 12 features: [\d.]+ s "
    r"\(target < 10 s: (met|NOT met)\); reading the feature values alone [\d.]+ s",
    re.M,
)


def test_the_script_runs_and_prints_every_figure() -> None:
    printed = run_script(SCRIPT, *TINY)
    assert COMPOSITE.search(printed), printed
    assert RATE.search(printed), printed
    assert EXPLAINED.search(printed), printed
    assert [m.group(1) for m in FIT.finditer(printed)] == ["NaiveBayes", "LogisticRegression"]
