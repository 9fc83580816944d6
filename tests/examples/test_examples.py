"""The forecasting, import and notebook examples run on generated data and print their figures."""

from __future__ import annotations

import re
from pathlib import Path

from tests.examples.scripts import run_script

ROOT = Path(__file__).resolve().parents[2]


def run(script: str, *arguments: str) -> str:
    return run_script(ROOT / "examples" / script, *arguments)


def test_forecast_a_quarter() -> None:
    printed = run("forecast_quarter.py", "--leads", "600", "--seed", "2")
    assert re.search(r"^[\d,]+ deals as of 2026-06-30$", printed, re.M), printed
    assert "Stage win rates, pipeline default" in printed
    assert re.search(r"^Forecast for 2026Q3 as of 2026-06-30 00:00 UTC \(EUR\)$", printed, re.M)
    assert re.search(r"^  quota\s+400,000  reached with probability \d+%$", printed, re.M)
    assert re.search(r"^MAPE: [\d.]+% over 1 periods \(EUR\)$", printed, re.M), printed
    assert re.search(
        r"^The hidden truth: the open deals will bring [\d,]+ EUR in 2026Q3; forecast P10-P90"
        r" [\d,]+ to [\d,]+$",
        printed,
        re.M,
    )


def test_import_a_csv_twice() -> None:
    printed = run("import_csv.py", "--leads", "200", "--bad-rows", "4")
    first, second = re.findall(
        r"^(first|second) import: ([\d,]+) rows, (\d+) rejected; ([\d,]+) leads added,"
        r" ([\d,]+) already stored \((\d+) batches\); ([\d,]+) leads in the database$",
        printed,
        re.M,
    )
    assert first[1:3] == ("204", "4")
    assert int(first[3]) + int(first[4]) == 200
    # The second run adds nothing and finds every lead already stored.
    assert (second[3], second[4], second[5]) == ("0", "200", "0")
    assert first[6] == second[6] == first[3]
    assert len(re.findall(r"^rejected row \d+, ", printed, re.M)) == 4


def test_the_notebook_runs_as_a_script() -> None:
    printed = run("score_in_a_notebook.py")
    assert "1,400 leads to learn from, 600 to test on" in printed
    aucs = dict(
        re.findall(r"^(grades|naive Bayes|logistic regression)\s+ROC AUC ([\d.]+)$", printed, re.M)
    )
    assert set(aucs) == {"grades", "naive Bayes", "logistic regression"}
    assert all(0.65 < float(auc) < 0.95 for auc in aucs.values()), aucs
    assert re.search(r"^total\s+[+-][\d.]+\s+probability [\d.]+$", printed, re.M), printed
