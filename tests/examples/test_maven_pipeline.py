"""The Maven pipeline example runs on a small generated data set with figures worked by hand.

The real files are not part of the repository: the tests write seven deals with the
same columns, including the ``GTXPro`` spelling and a product that is in no file.
"""

from __future__ import annotations

import csv
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.examples.scripts import loaded, run_script

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples" / "maven_pipeline.py"

PRODUCTS = [
    ("GTX Basic", "GTX", "550"),
    ("GTX Pro", "GTX", "4821"),
    ("MG Special", "MG", "55"),
]
TEAMS = [("Ann Agent", "Mo Manager", "Central"), ("Bob Broker", "Mo Manager", "East")]
PIPELINE = [
    # id, agent, product, account, stage, engage, close, value
    ("W1", "Ann Agent", "GTXPro", "Acme", "Won", "2017-01-01", "2017-01-11", "5000"),  # 10 days
    ("W2", "Bob Broker", "MG Special", "Beta", "Won", "2017-01-01", "2017-01-31", "50"),  # 30
    ("W3", "Ann Agent", "GTX Basic", "Acme", "Won", "2017-02-01", "2017-03-13", "500"),  # 40
    ("L1", "Bob Broker", "GTX Basic", "Beta", "Lost", "2017-01-01", "2017-01-05", "0"),  # 4
    ("E1", "Ann Agent", "GTXPro", "", "Engaging", "2017-06-01", "", ""),
    ("P1", "Bob Broker", "MG Special", "", "Prospecting", "", "", ""),
    ("X1", "Bob Broker", "Widget", "", "Prospecting", "", "", ""),
]


def write(path: Path, header: list[str], rows: list[tuple[str, ...]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file, lineterminator="\r\n")  # the real files have CRLF
        writer.writerow(header)
        writer.writerows(rows)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write(tmp_path / "products.csv", ["product", "series", "sales_price"], PRODUCTS)
    write(tmp_path / "sales_teams.csv", ["sales_agent", "manager", "regional_office"], TEAMS)
    header = "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date"
    write(tmp_path / "sales_pipeline.csv", [*header.split(","), "close_value"], PIPELINE)
    return tmp_path


@pytest.fixture
def example() -> Iterator[types.ModuleType]:
    with loaded(SCRIPT) as module:
        yield module


def test_loading_matches_spellings_and_refuses_unknown_products(
    example: types.ModuleType, folder: Path
) -> None:
    loaded = example.load(folder)
    assert [deal.external_id for deal in loaded.deals] == ["W1", "W2", "W3", "L1", "E1", "P1"]
    assert loaded.rejected == [(8, "product 'Widget' is not in products.csv")]
    assert dict(loaded.spellings) == {("GTXPro", "GTX Pro"): 2}
    won, _, _, lost, engaging, prospecting = loaded.deals
    assert won.stage == "won"
    assert str(won.amount) == "5000 USD"
    assert [visit.stage for visit in won.stage_history] == ["engaging", "won"]
    assert won.custom_fields["office"] == "Central"
    assert lost.stage == "lost"
    assert str(lost.amount) == "550 USD"  # the list price: lost deals have no value
    assert str(engaging.amount) == "4821 USD"
    assert prospecting.stage == "prospecting"
    assert prospecting.custom_fields["account"] is None


def test_the_printed_figures(
    example: types.ModuleType, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert example.main([str(folder)]) == 0
    out = capsys.readouterr().out
    assert "Maven CRM pipeline: 6 deals read, 1 refused" in out
    assert "  refused line 8: product 'Widget' is not in products.csv" in out
    assert "  product 'GTXPro' read as 'GTX Pro' (2 deals)" in out
    assert "  prospecting 1, engaging 1, won 3, lost 1" in out
    assert "Closed deals: 4; win rate 75.0% (3 won)" in out
    assert "Won revenue: 5,550 USD" in out
    assert "Median days from engaging to close: won 30, lost 4" in out
    # Smoothed toward the defaults with 10 pseudo-deals: (3 + 10 x 0.1) / 14 and
    # (3 + 10 x 0.4) / 14.
    assert any(
        line.split()[:3] == ["prospecting", "4", "3"] and "28.6%" in line
        for line in out.splitlines()
    )
    assert any(
        line.split()[:3] == ["engaging", "4", "3"] and "50.0%" in line for line in out.splitlines()
    )
    # Weighted: 4821 x 0.5 + 55 x 4/14 = 2410.50 + 15.71.
    assert "engaging         1  4821.00 USD  2410.50 USD" in out
    assert "total            2  4876.00 USD  2426.21 USD" in out
    assert "(mean 2,426) USD" in out


def test_runs_as_a_script(folder: Path) -> None:
    printed = run_script(SCRIPT, str(folder), "--seed", "3", timeout=120)
    assert "What the 2 open deals will bring (10,000 trials, seed 3):" in printed
