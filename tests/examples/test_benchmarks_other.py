"""The serialization, storage and demo benchmarks run at tiny sizes and print their figures.

Timings are not checked; these tests only keep the scripts working (the serialization
benchmark once broke silently when leads gained a field the baselines did not have).
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.examples.scripts import run_script

ROOT = Path(__file__).resolve().parents[2]


def run(script: str, *arguments: str) -> str:
    return run_script(ROOT / "benchmarks" / script, *arguments)


def test_serialization_benchmark_runs_and_its_implementations_agree() -> None:
    printed = run("bench_serialization.py", "--leads", "200", "--repeat", "1")
    for step in ("construction", "dump", "load", "round trip"):
        line = re.search(
            rf"^{step}: leadflow [\d,]+ leads/s; hand-written, same checks", printed, re.M
        )
        assert line, printed
    assert re.search(
        r"^round trip >= hand-written, same checks \(the target\): (met|NOT met)", printed, re.M
    )


def test_storage_benchmark_runs() -> None:
    printed = run(
        "bench_storage.py",
        "--leads",
        "200",
        "--gets",
        "10",
        "--updates",
        "10",
        "--memory-leads",
        "200",
    )
    for step in ("add_many", "get by id", "page through a filter", "update"):
        assert re.search(
            rf"^{step}: memory [\d,]+/s; sqlite [\d,]+/s; raw sqlite3 [\d,]+/s", printed, re.M
        ), printed
    assert re.search(r"^memory adapter: [\d,]+ bytes per lead for 200 leads", printed, re.M), (
        printed
    )


def test_demo_benchmark_runs() -> None:
    printed = run("bench_demo.py", "--leads", "150")
    assert re.search(
        r"^demo, 150 leads: [\d.]+ s \(target < 60 s: (met|NOT met)\); generating and"
        r" bulk-storing the data alone: [\d.]+ s \(ratio [\d.]+\)$",
        printed,
        re.M,
    ), printed
