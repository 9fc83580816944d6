"""The ``leadflow`` command line (also ``python -m leadflow``).

::

    leadflow demo [--db PATH] [--leads N] [--seed S] [--replace]
    leadflow import leads FILE.csv --map MAPPING.toml [--db URL] [--rejects PATH]
    leadflow score [--db URL] [--model FILE] [--at WHEN]
    leadflow forecast --period 2027Q1 [--db URL] [--at WHEN] [--quota AMOUNT]
    leadflow report [--db URL] [--at WHEN]

``--db`` takes a store URL (``sqlite:///path``, ``postgresql://...``, ``memory://``)
or a path, read as a SQLite file; it defaults to ``leadflow.db`` in the working
directory, and for the demo to ``leadflow-demo.db``, which each demo run replaces.
``--format table|csv|json`` chooses the output.  A failure prints one line and exits
with 1 (2 for a usage error); ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import TextIO

from leadflow.cli._output import FORMATS, Progress
from leadflow.errors import LeadflowError

__all__ = ["main"]

DEFAULT_DB = "leadflow.db"
#: The demo's own SQLite file, replaced at every run unless ``--db`` names another store.
DEMO_DB = "leadflow-demo.db"

_USE_LOG = (
    "rebuild deals as of --at from the event log too (for a store that recorded changes as "
    "they happened; without it, only stage histories are rebuilt)"
)


class UsageError(Exception):
    """A command was given arguments it cannot use (exit status 2)."""


def store_url(value: str) -> str:
    """A store URL from ``--db``: a URL as it is, a path as a SQLite file."""
    if "://" in value:
        return value
    return f"sqlite:///{value}"


def moment(value: str | None) -> datetime:
    """``--at``: an ISO 8601 date or date-time (UTC when it has no offset); now by default."""
    if value is None:
        return datetime.now(timezone.utc)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"--at: {value!r} is not an ISO 8601 date or date-time (2027-01-15 or 2027-01-15T09:00)"
        ) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


def _common(parser: argparse.ArgumentParser, *, db: bool = True, fmt: bool = True) -> None:
    if db:
        parser.add_argument(
            "--db", default=DEFAULT_DB, help=f"store URL or SQLite file (default: {DEFAULT_DB})"
        )
    if fmt:
        parser.add_argument("--format", choices=FORMATS, default="table", help="output format")
    parser.add_argument("--quiet", action="store_true", help="no progress on standard error")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    from leadflow.cli import _commands as commands  # noqa: PLC0415 - keeps `leadflow --help` light

    parser = argparse.ArgumentParser(
        prog="leadflow",
        description="Lead management on your own database: a demo, imports, scores, forecasts.",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser("demo", help="generate an organisation on SQLite and report on it")
    _common(demo, db=False)
    demo.add_argument(
        "--db",
        help=f"store URL or SQLite file (default: {DEMO_DB}, replaced at every run)",
    )
    demo.add_argument("--leads", type=int, default=2_000, help="how many leads (default 2,000)")
    demo.add_argument("--seed", type=int, default=0, help="seed of the synthetic data")
    demo.add_argument(
        "--replace", action="store_true", help="empty the database first if it holds data"
    )
    demo.set_defaults(run=commands.demo)

    importing = sub.add_parser("import", help="import records from a file")
    kinds = importing.add_subparsers(dest="kind", metavar="KIND", required=True)
    leads = kinds.add_parser("leads", help="import leads from a CSV file")
    leads.add_argument("file", help="the CSV file")
    leads.add_argument("--map", required=True, help="the column mapping (TOML or JSON)")
    leads.add_argument("--rejects", help="where to write rejected rows (default FILE.rejects.csv)")
    leads.add_argument("--batch-size", type=int, default=500, help="leads per transaction")
    _common(leads)
    leads.set_defaults(run=commands.import_leads)

    score = sub.add_parser("score", help="score every lead and keep the scores")
    _common(score)
    score.add_argument("--model", help="a scoring model file (TOML or JSON); the demo's by default")
    score.add_argument("--at", help="when the scores are taken (default: now)")
    score.set_defaults(run=commands.score)

    forecast = sub.add_parser("forecast", help="forecast a period from the stored pipeline")
    _common(forecast)
    forecast.add_argument("--period", required=True, help="2027Q1, 2027-03, 2027H1, FY2027 ...")
    forecast.add_argument("--at", help="forecast as of this moment (default: now)")
    forecast.add_argument("--use-log", action="store_true", help=_USE_LOG)
    forecast.add_argument("--quota", help="a target amount, in the deals' currency")
    forecast.add_argument("--fiscal-start", type=int, default=1, help="first month of the year")
    forecast.add_argument("--seed", type=int, help="Monte Carlo seed (default: fresh)")
    forecast.add_argument("--trials", type=int, default=10_000, help="Monte Carlo trials")
    forecast.set_defaults(run=commands.forecast)

    report = sub.add_parser("report", help="the funnel, scores, pipeline and next quarter")
    _common(report)
    report.add_argument("--at", help="report as of this moment (default: now)")
    report.add_argument("--use-log", action="store_true", help=_USE_LOG)
    report.add_argument("--seed", type=int, default=0, help="Monte Carlo seed of the forecast")
    report.set_defaults(run=commands.report)
    return parser


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    """Run the command line; returns the exit status."""
    stream = sys.stdout if out is None else out
    parser = build_parser()
    args = parser.parse_args(argv)  # usage errors exit with 2, as argparse does
    if args.version:
        from importlib.metadata import version  # noqa: PLC0415

        stream.write(f"leadflow {version('leadflow')}\n")
        return 0
    if args.command is None:
        parser.print_help(stream)
        return 2
    progress = Progress(quiet=args.quiet)
    try:
        return int(args.run(args, stream, progress))
    except UsageError as error:
        if args.debug:
            raise
        parser.exit(2, f"leadflow {args.command}: error: {error}\n")
    except (LeadflowError, OSError, ImportError) as error:
        if args.debug:
            raise
        sys.stderr.write(f"leadflow {args.command}: error: {_one_line(error)}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("leadflow: interrupted\n")
        return 130
    return 0  # pragma: no cover - parser.exit does not return


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text or type(error).__name__
