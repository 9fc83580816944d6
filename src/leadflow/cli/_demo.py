"""``leadflow demo``: a synthetic organisation worked end to end on SQLite.

:func:`leadflow.datasets.synthetic` makes the organisation and
:func:`leadflow.datasets.workflow.play_out` stores it and works it through the
services (see there); then the report prints, with the hidden truth against what
leadflow saw: how well the scores rank the leads that converted, and what the open deals
expected next quarter will really bring.
"""

from __future__ import annotations

import argparse
from decimal import Decimal
from pathlib import Path
from typing import TextIO

import leadflow
from leadflow.cli import DEMO_DB, UsageError, store_url
from leadflow.cli._commands import report_sections
from leadflow.cli._output import Progress, Section, render
from leadflow.datasets import SyntheticOrganisation, synthetic
from leadflow.datasets.workflow import play_out
from leadflow.forecasting import CALENDAR
from leadflow.leads import Lead
from leadflow.opportunities import Opportunity
from leadflow.pipelines import DEFAULT_PIPELINE, Outcome
from leadflow.ports import Query, Store
from leadflow.scoring.evaluate import roc_auc

__all__ = ["run"]


def _prepare(args: argparse.Namespace) -> str:
    """The store URL; with ``--replace``, a SQLite file is removed first."""
    if args.leads < 0:
        raise UsageError("--leads must be 0 or more")
    if args.db is None:
        args.db, args.replace = DEMO_DB, True  # the demo's own file
    url = store_url(args.db)
    path = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
    if args.replace:
        if path is None:
            raise UsageError("--replace works on SQLite files only; use an empty store")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    return url


def _check_empty(store: Store, db: str) -> None:
    with store.unit_of_work() as uow:
        if uow.leads.count(Query(Lead)) or uow.opportunities.count(Query(Opportunity)):
            raise UsageError(
                f"{db} already holds data; pass --replace to start over, or --db another file"
            )


def run(args: argparse.Namespace, out: TextIO, progress: Progress) -> int:
    """Generate, store, work, score and report (see the module documentation)."""
    url = _prepare(args)
    with progress.step(f"generating {args.leads:,} leads", args.leads):
        org = synthetic(leads=args.leads, seed=args.seed)
    with leadflow.connect(url) as store:
        _check_empty(store, args.db)
        play_out(store, org, steps=progress)
        sections = report_sections(store, at=org.end, seed=args.seed, progress=progress)
        sections.append(truth_section(store, org))
    render(sections, args.format, out)
    if args.format == "table":
        out.write(
            f"\nThe demo database is {args.db}; its data ends on {org.end:%Y-%m-%d}:"
            f" try `leadflow report --db {args.db} --at {org.end:%Y-%m-%d}`.\n"
        )
    return 0


def truth_section(store: Store, org: SyntheticOrganisation) -> Section:
    """What the hidden truth says against what leadflow saw."""
    with store.unit_of_work() as uow:
        leads = list(uow.leads.stream(Query(Lead)))
        deals = list(uow.opportunities.stream(Query(Opportunity)))
    scored = [lead for lead in leads if lead.score is not None and lead.id in org.truth]
    outcomes = [org.truth[lead.id].converts for lead in scored]
    values = [lead.score.value for lead in scored if lead.score is not None]
    auc = roc_auc(outcomes, values) if len(set(outcomes)) == 2 else None
    next_quarter = CALENDAR.shift(CALENDAR.period_of(org.end.date(), "quarter"), 1)
    truly = Decimal(0)
    open_deals = 0
    for deal in deals:
        if DEFAULT_PIPELINE.stage(deal.stage).outcome is not Outcome.OPEN:
            continue
        open_deals += 1
        truth = org.truth.get(deal.source_lead_id) if deal.source_lead_id else None
        if (
            truth is not None
            and truth.wins
            and deal.expected_close_date is not None
            and deal.expected_close_date in next_quarter
            and deal.amount is not None
        ):
            truly += deal.amount.amount
    rows: list[tuple[str, object]] = [
        ("scores: ROC AUC against the leads that truly convert", auc),
        ("open deals at the end of the data", open_deals),
        (f"open deals truly won in {next_quarter}", truly),
    ]
    return Section(
        name="truth",
        title="The hidden truth, against what leadflow saw",
        columns=("figure", "value"),
        rows=rows,
        note=f"data from {org.start:%Y-%m-%d} to {org.end:%Y-%m-%d}, seed {org.seed}",
    )
