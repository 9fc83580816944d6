"""The X Education scoring example runs on a generated file with a known truth.

The real ``Leads.csv`` is not part of the repository: the tests write 600 leads with
the same header, whose conversion is driven by the time spent on the website, the
lead origin and the last activity, and whose leak columns are noise.
"""

from __future__ import annotations

import csv
import math
import random
import re
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from leadflow.scoring.evaluate import roc_auc
from leadflow.tabular import ColumnMapping
from tests.examples.scripts import loaded, run_script

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples" / "score_x_education.py"

# The header of the real Leads.csv, in its order.
HEADER = [
    "Prospect ID",
    "Lead Number",
    "Lead Origin",
    "Lead Source",
    "Do Not Email",
    "Do Not Call",
    "Converted",
    "TotalVisits",
    "Total Time Spent on Website",
    "Page Views Per Visit",
    "Last Activity",
    "Country",
    "Specialization",
    "How did you hear about X Education",
    "What is your current occupation",
    "What matters most to you in choosing a course",
    "Search",
    "Magazine",
    "Newspaper Article",
    "X Education Forums",
    "Newspaper",
    "Digital Advertisement",
    "Through Recommendations",
    "Receive More Updates About Our Courses",
    "Tags",
    "Lead Quality",
    "Update me on Supply Chain Content",
    "Get updates on DM Content",
    "Lead Profile",
    "City",
    "Asymmetrique Activity Index",
    "Asymmetrique Profile Index",
    "Asymmetrique Activity Score",
    "Asymmetrique Profile Score",
    "I agree to pay the amount through cheque",
    "A free copy of Mastering The Interview",
    "Last Notable Activity",
]
LEAKS = [
    "Tags",
    "Lead Quality",
    "Lead Profile",
    "Asymmetrique Activity Index",
    "Asymmetrique Profile Index",
    "Asymmetrique Activity Score",
    "Asymmetrique Profile Score",
]

# The truth: log-odds of conversion by origin and last activity, plus time on the site.
ORIGIN = {"Landing Page Submission": 0.3, "API": -0.3, "Lead Add Form": 2.5, "Lead Import": -1.0}
ACTIVITY = {
    "SMS Sent": 1.5,
    "Email Opened": 0.5,
    "Olark Chat Conversation": -1.0,
    "Page Visited on Website": 0.0,
    "Email Bounced": -1.5,
}
ROWS = 600
# The models must rank the held-out leads well above chance, though below the truth.
BOUND = 0.7

AUC = re.compile(r"^AUC\s+(\d\.\d{4})$", re.M)
EXPLAINED = re.compile(
    r"^Lead lead-\d{4} \((?:converted|did not convert)\): probability [\d.]+%, "
    r"log-odds ([+-]\d+\.\d\d), the sum of\n((?: +[+-]\d+\.\d\d  .+\n)+)",
    re.M,
)
SUMMARY = re.compile(
    r"^held-out ROC AUC: logistic regression (\d\.\d{3}), naive Bayes (\d\.\d{3}) "
    r"\(target about 0\.89\)$",
    re.M,
)


def true_log_odds(origin: str, activity: str, seconds: int) -> float:
    return -2.0 + ORIGIN[origin] + ACTIVITY[activity] + 2.5 * min(seconds, 1500) / 1000


def write_leads(path: Path, *, seed: int = 7) -> float:
    """Write the leads; return the AUC of the true log-odds, the best any model can do."""
    rng = random.Random(seed)
    truth: list[float] = []
    outcomes: list[bool] = []
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=HEADER)
        writer.writeheader()
        for i in range(ROWS):
            origin = rng.choices(list(ORIGIN), weights=[5, 4, 1, 1])[0]
            activity = rng.choice(list(ACTIVITY))
            seconds = 0 if rng.random() < 0.25 else min(int(rng.expovariate(1 / 500)), 2200)
            visits = 0 if seconds == 0 else rng.randint(1, 12)
            eta = true_log_odds(origin, activity, seconds)
            converted = rng.random() < 1 / (1 + math.exp(-eta))
            truth.append(eta)
            outcomes.append(converted)
            row = dict.fromkeys(HEADER, "No")
            row |= {
                "Prospect ID": f"lead-{i:04d}",
                "Lead Number": str(660000 + i),
                "Lead Origin": origin,
                # Two spellings of one label: the import folds them.
                "Lead Source": rng.choice(["Google", "google", "Direct Traffic", "Olark Chat"]),
                "Do Not Email": rng.choice(["No"] * 9 + ["Yes"]),
                "Converted": str(int(converted)),
                # A few visit counts are missing, as in the real file.
                "TotalVisits": "" if rng.random() < 0.02 else str(visits),
                "Total Time Spent on Website": str(seconds),
                "Page Views Per Visit": f"{rng.uniform(1, 4):.2f}" if visits else "0",
                "Last Activity": activity,
                "Country": rng.choice(["India", "India", "", "United States"]),
                "Specialization": rng.choice(["Select", "", "Finance Management", "Marketing"]),
                "How did you hear about X Education": rng.choice(["Select", "Online Search"]),
                "What is your current occupation": rng.choice(["Unemployed", "Student", ""]),
                "What matters most to you in choosing a course": rng.choice(
                    ["Better Career Prospects", ""]
                ),
                "City": rng.choice(["Select", "Mumbai", "Thane & Outskirts", ""]),
                "A free copy of Mastering The Interview": rng.choice(["No", "Yes"]),
                "Last Notable Activity": rng.choice(["Modified", "Email Opened", activity]),
                # The leak columns: noise and placeholders, nothing to learn from.
                "Tags": rng.choice(["Ringing", "Will revert after reading the email", ""]),
                "Lead Quality": rng.choice(["Might be", "Not Sure", "Worst", ""]),
                "Lead Profile": rng.choice(["Select", "Potential Lead", ""]),
                "Asymmetrique Activity Index": rng.choice(["01.High", "02.Medium", ""]),
                "Asymmetrique Profile Index": rng.choice(["01.High", "02.Medium", ""]),
                "Asymmetrique Activity Score": str(rng.randint(10, 18)),
                "Asymmetrique Profile Score": str(rng.randint(12, 20)),
            }
            writer.writerow(row)
    return roc_auc(outcomes, truth)


@pytest.fixture
def example() -> Iterator[types.ModuleType]:
    with loaded(SCRIPT) as module:
        yield module


@pytest.fixture
def leads_csv(tmp_path: Path) -> Path:
    path = tmp_path / "Leads.csv"
    best = write_leads(path)
    assert best > BOUND + 0.1, f"the generated truth ranks leads too poorly ({best:.3f})"
    return path


def check_output(printed: str) -> None:
    assert f"{ROWS} rows read: {ROWS} leads and 0 activities imported, 0 rows rejected" in printed
    assert "unmapped columns" not in printed
    assert re.search(r"^  Lead Source: 'google' -> 'Google' \(\d+ rows\)$", printed, re.M)
    naive_bayes, logistic = (float(auc) for auc in AUC.findall(printed))
    assert naive_bayes > BOUND, printed
    assert logistic > BOUND, printed
    assert printed.count("Send the top N leads to sales:") == 2
    assert re.search(r"^  top +\d+ leads: \d+% convert \(\d+% of all conversions\)$", printed, re.M)
    explained = EXPLAINED.findall(printed)
    assert len(explained) == 2, printed
    for log_odds, lines in explained:
        points = [float(line.split()[0]) for line in lines.splitlines()]
        assert len(points) == 7  # the baseline, five features, the rest together
        assert sum(points) == pytest.approx(float(log_odds), abs=0.04)
    summary = SUMMARY.search(printed)
    assert summary, printed
    assert float(summary.group(1)) == pytest.approx(logistic, abs=0.0006)
    assert float(summary.group(2)) == pytest.approx(naive_bayes, abs=0.0006)
    assert printed.rstrip().endswith(summary.group(0))


def test_main_scores_the_generated_leads(
    example: types.ModuleType, leads_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert example.main([str(leads_csv), "--seed", "3"]) == 0
    printed = capsys.readouterr().out
    check_output(printed)
    assert "split (seed 3): 480 leads to fit on, 120 held out" in printed


def test_the_script_runs_from_the_command_line(leads_csv: Path) -> None:
    printed = run_script(SCRIPT, str(leads_csv), timeout=120)
    check_output(printed)
    assert "split (seed 0): " in printed


def test_the_mapping_ignores_the_leak_columns_and_maps_every_other(
    example: types.ModuleType,
) -> None:
    mapping = ColumnMapping.from_toml(example.MAPPING)
    fields = {column.name: column.field for column in mapping.columns}
    assert set(fields) == set(HEADER)
    assert {name for name, field in fields.items() if field == "ignore"} == set(LEAKS)
    assert fields["Prospect ID"] == "external_id"


def test_no_model_reads_the_outcome_or_the_identifiers(example: types.ModuleType) -> None:
    mapping = ColumnMapping.from_toml(example.MAPPING)
    fields = {column.name: column.field for column in mapping.columns}
    kept_out = {fields[name] for name in ("Converted", "Prospect ID", "Lead Number")}
    for model in example.MODELS:
        assert not {feature.field for feature in model.features} & kept_out
