"""What the command line prints: titled tables as text, CSV or JSON, and progress.

Every command builds :class:`Section` objects and :func:`render` writes them in the
format asked for.  Text tables use ``rich`` when it is installed (the ``cli`` extra)
and the output is a terminal, and plain aligned columns otherwise, so that what a
script or a test reads does not depend on the terminal.
"""

from __future__ import annotations

import csv
import json
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Literal, TextIO

import attrs

from leadflow._fields import to_tuple
from leadflow._frames import cell, text_table

FORMATS = ("table", "csv", "json")
Format = Literal["table", "csv", "json"]


@attrs.frozen(kw_only=True)
class Section:
    """One titled table of a command's output; ``name`` is its key in JSON."""

    name: str
    title: str
    columns: tuple[str, ...] = attrs.field(converter=to_tuple)
    rows: tuple[tuple[Any, ...], ...] = attrs.field(converter=to_tuple)
    #: A line printed under the table (text format only).
    note: str | None = None
    #: Columns of fractions, shown as percentages in text.
    percent: tuple[str, ...] = attrs.field(default=(), converter=to_tuple)

    def records(self) -> list[dict[str, Any]]:
        """The rows as dicts keyed by column."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


def _plain(value: Any) -> Any:
    """A value as JSON has it: Decimals as numbers, dates as ISO text, the rest as text."""
    if isinstance(value, bool) or value is None or isinstance(value, int | float | str):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return str(value)


def _text(value: Any) -> str:
    """A value in a text table: amounts with two decimals, counts with thousands commas."""
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, float):
        return cell(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return cell(value)


def render(sections: Sequence[Section], fmt: Format, out: TextIO) -> None:
    """Write ``sections`` to ``out`` as text tables, CSV blocks or one JSON object."""
    if fmt == "json":
        document = {
            s.name: [{k: _plain(v) for k, v in r.items()} for r in s.records()] for s in sections
        }
        json.dump(document, out, indent=2, ensure_ascii=False)
        out.write("\n")
        return
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        for i, section in enumerate(sections):
            if i:
                out.write("\n")
            out.write(f"# {section.title}\n")
            writer.writerow(section.columns)
            writer.writerows([_plain(value) for value in row] for row in section.rows)
        return
    if _rich_terminal(out):
        _render_rich(sections, out)
        return
    for i, section in enumerate(sections):
        if i:
            out.write("\n")
        out.write(section.title + "\n")
        out.write(
            text_table(section.columns, section.records(), percent=section.percent, text=_text)
            + "\n"
        )
        if section.note:
            out.write(section.note + "\n")


def _rich_terminal(out: TextIO) -> bool:
    try:
        import rich  # noqa: F401, PLC0415 - optional, imported on use
    except ImportError:
        return False
    return bool(getattr(out, "isatty", lambda: False)())


def _render_rich(sections: Sequence[Section], out: TextIO) -> None:
    from rich.console import Console  # noqa: PLC0415 - optional
    from rich.table import Table  # noqa: PLC0415

    console = Console(file=out)
    for section in sections:
        table = Table(title=section.title, title_justify="left")
        numeric = [
            all(
                isinstance(row[i], int | float | Decimal)
                for row in section.rows
                if row[i] is not None
            )
            for i in range(len(section.columns))
        ]
        for column, right in zip(section.columns, numeric, strict=True):
            table.add_column(column, justify="right" if right else "left")
        for row in section.rows:
            table.add_row(
                *(
                    cell(value, percent=True) if column in section.percent else _text(value)
                    for column, value in zip(section.columns, row, strict=True)
                )
            )
        console.print(table)
        if section.note:
            console.print(section.note)


class Progress:
    """Progress of a command's steps on standard error.

    On a terminal with ``rich`` installed each step shows a progress bar; otherwise a
    step that took a second or more says so when it ends, so that logs show where the
    time went.  ``quiet`` silences both.
    """

    def __init__(self, *, stream: TextIO | None = None, quiet: bool = False) -> None:
        self.stream = sys.stderr if stream is None else stream
        self.quiet = quiet

    @contextmanager
    def step(self, description: str, total: int) -> Iterator[Callable[[int], None]]:
        """A step of ``total`` units; the block calls the function it gets to advance."""
        started = time.perf_counter()
        if not self.quiet and _rich_terminal(self.stream):
            from rich.console import Console  # noqa: PLC0415 - optional
            from rich.progress import Progress as Bar  # noqa: PLC0415

            with Bar(console=Console(file=self.stream), transient=False) as bar:
                task = bar.add_task(description, total=max(total, 1))
                yield lambda done: bar.advance(task, done)
                bar.update(task, completed=max(total, 1))
            return
        yield lambda done: None
        elapsed = time.perf_counter() - started
        if not self.quiet and elapsed >= 1.0:
            self.stream.write(f"{description}: {total:,} in {elapsed:.1f} s\n")
            self.stream.flush()
