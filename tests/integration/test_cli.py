"""The ``leadflow`` command line against real SQLite files."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import date, datetime, timezone
from importlib.metadata import version
from pathlib import Path

import attrs
import pytest

import leadflow
from leadflow import Lead, Money, Query, StageVisit
from leadflow.cli import main
from leadflow.pipelines import DEFAULT_PIPELINE
from tests.integration.postgres_server import require_driver

UTC = timezone.utc

CSV = """\
Id,Created,Email,First,Last,Company,Title,Size,Source
a-1,2026-03-02,ana@acme.example,Ana,Lima,Acme,Head of Sales,250,Google
a-2,2026-03-02,bo@globex.example,Bo,Chen,Globex,Analyst,40,google
a-3,2026-03-03,not-an-email,Cy,Diaz,Initech,CTO,900,LinkedIn
a-4,2026-03-04,di@umbrella.example,Di,Ek,Umbrella,Engineer,lots,Referral
a-5,2026-03-05,ed@hooli.example,Ed,Fox,Hooli,VP Marketing,5000,Google
a-6,2026-03-05,ANA@acme.example,Ana,Lima,Acme,Head of Sales,250,Google
"""

MAPPING = """
created_at = { column = "Created" }

[columns]
"Id" = "external_id"
"Email" = "email"
"First" = "first_name"
"Last" = "last_name"
"Company" = "company"
"Title" = "title"
"Size" = { field = "company_size", type = "integer" }
"Source" = "source"
"""


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    status = main(list(argv), out=out)
    return status, out.getvalue()


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path, Path]:
    table = tmp_path / "leads.csv"
    table.write_text(CSV, encoding="utf-8")
    mapping = tmp_path / "leads.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    return table, mapping, tmp_path / "crm.db"


def stored_leads(db: Path) -> list[Lead]:
    with leadflow.connect(f"sqlite:///{db}") as store, store.unit_of_work() as uow:
        return list(uow.leads.stream(Query(Lead)))


def figures(printed: str) -> dict[str, object]:
    """The figure/value rows of a one-section JSON output."""
    (section,) = json.loads(printed).values()
    return {row["figure"]: row["value"] for row in section}


# ------------------------------------------------------------------- basics


def test_version_and_help() -> None:
    assert run("--version") == (0, f"leadflow {version('leadflow')}\n")
    status, printed = run()
    assert status == 2
    assert "demo" in printed
    assert "forecast" in printed


def test_usage_errors_exit_with_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        run("forecast")  # --period is required
    assert exited.value.code == 2
    assert "--period" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        run("report", "--format", "xml")
    assert exited.value.code == 2


def test_python_dash_m_runs_the_command_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "leadflow", "--version"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert (done.returncode, done.stdout) == (0, f"leadflow {version('leadflow')}\n")


# ------------------------------------------------------------------- import


def test_import_keeps_the_good_rows_reports_the_bad_and_is_idempotent(
    files: tuple[Path, Path, Path],
) -> None:
    table, mapping, db = files
    status, printed = run(
        "import",
        "leads",
        str(table),
        "--map",
        str(mapping),
        "--db",
        str(db),
        "--format",
        "json",
        "--batch-size",
        "2",
    )
    assert status == 0
    got = figures(printed)
    assert got["rows read"] == 6
    assert got["rows rejected"] == 2
    # a-6 repeats a-1's e-mail address in another case: the same person.
    assert (got["leads added"], got["leads already stored"]) == (3, 1)
    assert got["batches"] == 2
    rejects = Path(str(got["rejects file"]))
    assert rejects == table.with_suffix(".rejects.csv")
    with rejects.open(encoding="utf-8", newline="") as stream:
        rejected = [(r["row"], r["column"], r["value"]) for r in csv.DictReader(stream)]
    assert rejected == [("3", "Email", "not-an-email"), ("4", "Size", "lots")]
    assert sorted(lead.external_id or "" for lead in stored_leads(db)) == ["a-1", "a-2", "a-5"]

    # The same file again changes nothing.
    status, printed = run(
        "import", "leads", str(table), "--map", str(mapping), "--db", str(db), "--format", "json"
    )
    assert status == 0
    assert (figures(printed)["leads added"], figures(printed)["leads already stored"]) == (0, 4)
    assert len(stored_leads(db)) == 3


def test_import_text_output(files: tuple[Path, Path, Path]) -> None:
    table, mapping, db = files
    status, printed = run("import", "leads", str(table), "--map", str(mapping), "--db", str(db))
    assert status == 0
    assert printed.splitlines()[0] == "Import of leads.csv"
    assert "first rejection: row 3, Email:" in printed


def test_failures_are_one_line_without_a_traceback(
    files: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    table, _, db = files
    status, _ = run(
        "import", "leads", str(table), "--map", str(table.parent / "nope.toml"), "--db", str(db)
    )
    assert status == 1
    error = capsys.readouterr().err
    assert error.startswith("leadflow import: error: ")
    assert error.count("\n") == 1
    assert "Traceback" not in error
    with pytest.raises(FileNotFoundError):
        run("import", "leads", str(table), "--map", "nope.toml", "--db", str(db), "--debug")


def test_a_missing_file_is_a_usage_error(
    files: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, mapping, db = files
    with pytest.raises(SystemExit) as exited:
        run("import", "leads", "missing.csv", "--map", str(mapping), "--db", str(db))
    assert exited.value.code == 2
    assert "missing.csv: no such file" in capsys.readouterr().err


# -------------------------------------------------------------------- score


def test_score_keeps_a_score_on_every_lead(files: tuple[Path, Path, Path]) -> None:
    table, mapping, db = files
    run("import", "leads", str(table), "--map", str(mapping), "--db", str(db))
    status, printed = run("score", "--db", str(db), "--at", "2026-03-10", "--format", "json")
    assert status == 0
    document = json.loads(printed)
    assert sum(row["leads"] for row in document["scores"]) == 3
    leads = stored_leads(db)
    assert all(lead.score is not None for lead in leads)
    assert {lead.score.scored_at for lead in leads if lead.score} == {
        datetime(2026, 3, 10, tzinfo=UTC)
    }
    # Ed, a VP (12 points) at a 5,000-person company (3 + 3), fits best: 18 is a B
    # (A needs 20); nobody has engaged yet: 4.
    assert document["top"][0]["lead"] == "Ed Fox"
    assert document["top"][0]["score"] == 18
    assert document["top"][0]["grade"] == "B4"


# --------------------------------------------------------- forecast and report


def deals_in(db: Path) -> None:
    """Three deals: won in Q1, in negotiation (80 %) and proposal (60 %) for Q2."""
    opened = datetime(2026, 1, 5, tzinfo=UTC)
    made = []
    for name, stage, amount, close in (
        ("won", "closed_won", 5_000, date(2026, 3, 10)),
        ("negotiating", "negotiation", 10_000, date(2026, 5, 1)),
        ("proposed", "proposal", 20_000, date(2026, 6, 1)),
    ):
        deal = DEFAULT_PIPELINE.open(
            name=name, at=opened, amount=Money.of(amount, "EUR"), expected_close_date=close
        ).opportunity
        moved = datetime(2026, 2, 2, tzinfo=UTC)
        history = (
            StageVisit(stage="prospecting", entered_at=opened, left_at=moved),
            StageVisit(stage=stage, entered_at=moved),
        )
        made.append(attrs.evolve(deal, stage=stage, stage_history=history))
    with leadflow.connect(f"sqlite:///{db}") as store, store.unit_of_work() as uow:
        uow.opportunities.add_many(made)
        uow.commit()


def test_forecast_a_quarter(tmp_path: Path) -> None:
    db = tmp_path / "deals.db"
    deals_in(db)
    status, printed = run(
        "forecast",
        "--db",
        str(db),
        "--period",
        "2026Q2",
        "--at",
        "2026-04-01",
        "--seed",
        "1",
        "--quota",
        "10,000",
        "--format",
        "json",
    )
    assert status == 0
    got = figures(printed)
    assert got["period"] == "2026Q2"
    assert got["open_deals"] == 2
    # The one closed deal went from prospecting to won, so only prospecting learns from
    # it; negotiation and proposal keep their 80 % and 60 %.
    assert got["expected"] == pytest.approx(10_000 * 0.8 + 20_000 * 0.6)
    assert got["quota"] == 10_000
    assert 0 < float(got["probability_of_quota"]) < 1  # type: ignore[arg-type]


def test_a_bad_period_or_moment(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "deals.db"
    deals_in(db)
    assert run("forecast", "--db", str(db), "--period", "2026Q5")[0] == 1
    assert "quarter must be 1 to 4" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        run("forecast", "--db", str(db), "--period", "2026Q2", "--at", "soon")
    assert exited.value.code == 2


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_report_in_every_format(files: tuple[Path, Path, Path], fmt: str) -> None:
    table, mapping, db = files
    run("import", "leads", str(table), "--map", str(mapping), "--db", str(db))
    deals_in(db)
    status, printed = run("report", "--db", str(db), "--at", "2026-03-15", "--format", fmt)
    assert status == 0
    names = [
        "funnel",
        "by_source",
        "by_campaign",
        "scores",
        "pipeline_by_stage",
        "pipeline_by_forecast_category",
        "forecast",
    ]
    if fmt == "json":
        document = json.loads(printed)
        assert list(document) == names
        funnel = {row["stage"]: row["leads"] for row in document["funnel"]}
        assert funnel["lead"] == 3
        # "Google" and "google" are one source.
        sources = {row["source"]: row["leads"] for row in document["by_source"]}
        assert sources == {"google": 3}
        forecast = {row["figure"]: row["value"] for row in document["forecast"]}
        assert forecast["period"] == "2026Q2"
    elif fmt == "csv":
        titles = [line for line in printed.splitlines() if line.startswith("# ")]
        assert len(titles) == len(names)
        assert "# Forecast for 2026Q2" in titles
    else:
        assert printed.startswith("Funnel: leads reaching each marketing stage")
        assert "Forecast for 2026Q2" in printed


# --------------------------------------------------------------------- demo


def test_the_demo_works_an_organisation_end_to_end(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    status, printed = run(
        "demo", "--db", str(db), "--leads", "300", "--seed", "3", "--quiet", "--format", "json"
    )
    assert status == 0
    document = json.loads(printed)
    assert list(document) == [
        "funnel",
        "by_source",
        "by_campaign",
        "scores",
        "pipeline_by_stage",
        "pipeline_by_forecast_category",
        "forecast",
        "truth",
    ]
    funnel = {row["stage"]: row["leads"] for row in document["funnel"]}
    # Duplicates (same e-mail address) were left out when the leads were stored.
    assert 280 <= funnel["lead"] < 300
    assert funnel["lead"] > funnel["mql"] >= funnel["sql"] > funnel["customer"] > 0
    stages = {row["stage"] for row in document["pipeline_by_stage"]}
    assert {"closed_won", "closed_lost"} <= stages
    forecast = {row["figure"]: row["value"] for row in document["forecast"]}
    assert forecast["period"] == "2026Q3"  # the quarter after the data's last day
    assert forecast["p10"] <= forecast["p50"] <= forecast["p90"]
    truth = {row["figure"]: row["value"] for row in document["truth"]}
    assert 0.6 < truth["scores: ROC AUC against the leads that truly convert"] < 0.95

    # What the demo stored is a real database that the other commands read.
    with leadflow.connect(f"sqlite:///{db}") as store, store.unit_of_work() as uow:
        leads = list(uow.leads.stream(Query(Lead)))
        converted = [lead for lead in leads if lead.status == "converted"]
        events = uow.events.read(entity="lead")
    assert len(leads) == funnel["lead"]
    assert all(lead.score is not None for lead in leads)
    assert len(converted) == funnel["sql"]
    assert any(getattr(r.event, "action", None) == "advance:mql" for r in events)
    status, again = run(
        "report", "--db", str(db), "--at", "2026-06-30", "--seed", "3", "--format", "json"
    )
    assert status == 0
    assert json.loads(again)["funnel"] == document["funnel"]


def test_the_demo_is_deterministic_and_guards_other_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "mine.db"
    first = run(
        "demo", "--db", str(db), "--leads", "120", "--seed", "5", "--quiet", "--format", "json"
    )
    assert first[0] == 0
    # A database that holds data is not touched without --replace.
    with pytest.raises(SystemExit) as exited:
        run("demo", "--db", str(db), "--leads", "120", "--quiet")
    assert exited.value.code == 2
    assert "already holds data; pass --replace" in capsys.readouterr().err
    again = run(
        "demo",
        "--db",
        str(db),
        "--leads",
        "120",
        "--seed",
        "5",
        "--quiet",
        "--format",
        "json",
        "--replace",
    )
    assert again == first


def test_the_demo_replaces_its_own_file_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run("demo", "--leads", "60", "--quiet")[0] == 0
    status, printed = run("demo", "--leads", "60", "--quiet")
    assert status == 0
    assert (tmp_path / "leadflow-demo.db").is_file()
    assert "try `leadflow report --db leadflow-demo.db --at 2026-06-30`" in printed


def test_the_commands_work_on_postgresql(
    files: tuple[Path, Path, Path], request: pytest.FixtureRequest
) -> None:
    require_driver()
    url = request.getfixturevalue("postgres_url")("cli")
    table, mapping, _ = files
    command = [
        "import",
        "leads",
        str(table),
        "--map",
        str(mapping),
        "--db",
        url,
        "--format",
        "json",
    ]
    status, printed = run(*command)
    assert status == 0
    assert figures(printed)["leads added"] == 3
    assert figures(run(*command)[1])["leads added"] == 0
    assert run("score", "--db", url, "--at", "2026-03-10", "--quiet")[0] == 0
    status, printed = run("report", "--db", url, "--at", "2026-03-15", "--format", "json")
    assert status == 0
    assert {row["stage"]: row["leads"] for row in json.loads(printed)["funnel"]}["lead"] == 3
