"""The lifecycle benchmark runs at tiny sizes and prints every figure (timings not checked)."""

from __future__ import annotations

import re
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.examples.scripts import loaded, run_script

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "bench_lifecycle.py"
TINY = ["--transitions", "2000", "--conversions", "20", "--repeat", "1"]

TRANSITIONS = re.compile(
    r"^lead transitions 2,000 \(.*\): leadflow [\d,]+/s; bare dict\+evolve [\d,]+/s "
    r"\(ratio [\d.]+, target <= 2: (met|NOT met)\)",
    re.M,
)
LIBRARY = re.compile(
    r"; transitions Machine\.trigger [\d,]+/s \(leadflow/transitions [\d.]+, "
    r"target > 1: (met|NOT met)\)$",
    re.M,
)
SKIPPED = "transitions Machine.trigger: skipped, transitions is not installed"
CONVERSIONS = re.compile(
    r"^lead conversions 20, one unit of work each: memory [\d,]+/s; sqlite [\d,]+/s; "
    r"bare sqlite unit of work with the same writes [\d,]+/s \(ratio [\d.]+\)$",
    re.M,
)
TARGET = re.compile(r"^target sqlite >= 1,000 conversions/s: (met|NOT met) \([\d,]+/s\)$", re.M)
MATCHED = re.compile(r"^  accounts: .*created [\d,]+", re.M)


@pytest.fixture
def bench() -> Iterator[types.ModuleType]:
    with loaded(SCRIPT) as module:
        yield module


def check_figures(printed: str) -> None:
    assert TRANSITIONS.search(printed), printed
    assert LIBRARY.search(printed) or SKIPPED in printed, printed
    assert CONVERSIONS.search(printed), printed
    assert MATCHED.search(printed), printed
    assert TARGET.search(printed), printed


def test_the_script_runs_and_prints_every_figure() -> None:
    printed = run_script(SCRIPT, *TINY)
    check_figures(printed)


def test_main_runs_in_process(bench: types.ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    bench.main(TINY)
    check_figures(capsys.readouterr().out)


def test_without_transitions_the_baseline_is_skipped_with_a_note(
    bench: types.ModuleType,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "transitions", None)  # makes `import transitions` fail
    bench.main(["--transitions", "200", "--conversions", "0", "--repeat", "1"])
    printed = capsys.readouterr().out
    assert SKIPPED in printed
    assert "lead transitions 200 " in printed
    assert not LIBRARY.search(printed)
