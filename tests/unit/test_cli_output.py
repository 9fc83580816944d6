"""The command line's output: text, CSV, JSON, rich tables on a terminal, and progress."""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal

import pytest

from leadflow.cli import _output
from leadflow.cli._output import Progress, Section, render

SECTIONS = [
    Section(
        name="funnel",
        title="Funnel",
        columns=("stage", "leads", "share"),
        rows=[("lead", 1200, 1.0), ("mql", 300, 0.25)],
        note="two stages",
        percent=("share",),
    ),
    Section(
        name="money",
        title="Money",
        columns=("what", "amount", "on"),
        rows=[("won", Decimal("1234.5"), date(2026, 3, 1)), ("lost", None, None)],
    ),
]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_text_aligns_numbers_and_shows_fractions_as_percentages() -> None:
    out = io.StringIO()
    render(SECTIONS, "table", out)
    assert out.getvalue().splitlines() == [
        "Funnel",
        "stage  leads   share",
        "lead   1,200  100.0%",
        "mql      300   25.0%",
        "two stages",
        "",
        "Money",
        "what    amount  on",
        "won   1,234.50  2026-03-01",
        "lost",
    ]


def test_csv_blocks_have_a_title_line() -> None:
    out = io.StringIO()
    render(SECTIONS, "csv", out)
    assert out.getvalue().splitlines() == [
        "# Funnel",
        "stage,leads,share",
        "lead,1200,1.0",
        "mql,300,0.25",
        "",
        "# Money",
        "what,amount,on",
        "won,1234.5,2026-03-01",
        "lost,,",
    ]


def test_json_is_one_object_keyed_by_section() -> None:
    out = io.StringIO()
    render(SECTIONS, "json", out)
    assert json.loads(out.getvalue()) == {
        "funnel": [
            {"stage": "lead", "leads": 1200, "share": 1.0},
            {"stage": "mql", "leads": 300, "share": 0.25},
        ],
        "money": [
            {"what": "won", "amount": 1234.5, "on": "2026-03-01"},
            {"what": "lost", "amount": None, "on": None},
        ],
    }


def test_a_terminal_gets_rich_tables() -> None:
    out = Terminal()
    render(SECTIONS, "table", out)
    text = out.getvalue()
    assert "Funnel" in text
    assert "1,200" in text
    assert "25.0%" in text
    assert "1,234.50" in text
    assert "┃" in text or "|" in text  # drawn as a table


def test_without_rich_a_terminal_gets_plain_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_output, "_rich_terminal", lambda out: False)
    out = Terminal()
    render(SECTIONS[:1], "table", out)
    assert out.getvalue().splitlines()[1] == "stage  leads   share"


def test_slow_steps_say_how_long_they_took(monkeypatch: pytest.MonkeyPatch) -> None:
    ticks = iter([0.0, 2.5, 10.0, 10.2])
    monkeypatch.setattr(_output.time, "perf_counter", lambda: next(ticks))
    stream = io.StringIO()
    progress = Progress(stream=stream)
    with progress.step("storing leads", 1_000) as advance:
        advance(1_000)
    with progress.step("scoring", 10):
        pass
    assert stream.getvalue() == "storing leads: 1,000 in 2.5 s\n"  # the quick step is silent
    quiet = io.StringIO()
    monkeypatch.setattr(_output.time, "perf_counter", iter([0.0, 5.0]).__next__)
    with Progress(stream=quiet, quiet=True).step("anything", 1):
        pass
    assert quiet.getvalue() == ""


def test_a_terminal_gets_progress_bars() -> None:
    stream = Terminal()
    with Progress(stream=stream).step("storing leads", 4) as advance:
        advance(2)
        advance(2)
    assert "storing leads" in stream.getvalue()
