"""The commands behind :func:`leadflow.cli.main`.

Each takes the parsed arguments, the output stream and the progress display, and
returns the exit status.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TextIO

import leadflow
from leadflow.campaigns import Campaign
from leadflow.cli import UsageError, moment, store_url
from leadflow.cli._output import Progress, Section, render
from leadflow.cli._report import (
    by_campaign,
    by_source,
    forecast_section,
    funnel,
    pipeline_sections,
    scores,
)
from leadflow.datasets.workflow import STAGE_THRESHOLDS, scoring_model
from leadflow.events import RecordedEvent
from leadflow.forecasting import (
    CALENDAR,
    FiscalCalendar,
    Period,
    PeriodForecast,
    forecast_period,
    pipeline_as_of,
    stage_win_rates,
)
from leadflow.leads import Lead
from leadflow.opportunities import Opportunity
from leadflow.pipelines import DEFAULT_PIPELINE
from leadflow.ports import Query, Store
from leadflow.scoring import load_model
from leadflow.services import import_leads as import_service
from leadflow.services import score_leads
from leadflow.tabular import ColumnMapping, read_leads
from leadflow.values import Money

__all__ = ["demo", "forecast", "import_leads", "report", "score"]


def open_store(args: argparse.Namespace) -> Store:
    """The store ``--db`` names."""
    return leadflow.connect(store_url(args.db))


def everything(store: Store) -> tuple[list[Lead], list[Opportunity], list[Campaign]]:
    """Every lead, opportunity and campaign in the store."""
    with store.unit_of_work() as uow:
        leads = list(uow.leads.stream(Query(Lead)))
        deals = list(uow.opportunities.stream(Query(Opportunity)))
        campaigns = list(uow.campaigns.stream(Query(Campaign)))
    return leads, deals, campaigns


# ------------------------------------------------------------------- import


def import_leads(args: argparse.Namespace, out: TextIO, progress: Progress) -> int:
    """``leadflow import leads FILE --map MAPPING``."""
    source = Path(args.file)
    if not source.is_file():
        raise UsageError(f"{source}: no such file")
    if args.batch_size < 1:
        raise UsageError("--batch-size must be at least 1")
    mapping = ColumnMapping.load(args.map)
    with progress.step(f"reading {source.name}", 1):
        result = read_leads(source, mapping)
    rejects = Path(args.rejects) if args.rejects else source.with_suffix(".rejects.csv")
    if result.rejected:
        result.write_rejects(rejects)
    with open_store(args) as store, progress.step("storing leads", len(result.leads)):
        summary = import_service(
            store, result.leads, result.activities, batch_size=args.batch_size, actor="import"
        )
    rows: list[tuple[str, object]] = [
        ("rows read", result.rows),
        ("rows rejected", result.rejected_rows),
        ("leads added", summary.added),
        ("leads already stored", summary.skipped),
        ("activities added", summary.activities),
        ("batches", summary.batches),
        ("rejects file", str(rejects) if result.rejected else None),
    ]
    note = None
    if result.rejected:
        first = result.rejected[0]
        note = f"first rejection: row {first.row}, {first.column}: {first.reason}"
    render(
        [
            Section(
                name="import",
                title=f"Import of {source.name}",
                columns=("figure", "value"),
                rows=rows,
                note=note,
            )
        ],
        args.format,
        out,
    )
    return 0


# -------------------------------------------------------------------- score


def score(args: argparse.Namespace, out: TextIO, progress: Progress) -> int:
    """``leadflow score``: score every stored lead and keep the scores on the leads."""
    model = load_model(args.model) if args.model else scoring_model()
    thresholds = None if args.model else STAGE_THRESHOLDS
    at = moment(args.at)
    with open_store(args) as store:
        with store.unit_of_work() as uow:
            count = uow.leads.count(Query(Lead))
        with progress.step("scoring leads", count) as advance:
            scored = score_leads(store, model, at=at, thresholds=thresholds, on_batch=advance)
    top = sorted(scored, key=lambda lead: -(lead.score.value if lead.score else 0.0))[:10]
    rows = [
        (
            " ".join(p for p in (lead.first_name, lead.last_name) if p) or str(lead.id),
            lead.company,
            lead.score.value if lead.score else None,
            lead.score.grade if lead.score else None,
        )
        for lead in top
    ]
    sections = [
        scores(scored),
        Section(
            name="top", title="Top leads", columns=("lead", "company", "score", "grade"), rows=rows
        ),
    ]
    render(sections, args.format, out)
    return 0


# ----------------------------------------------------------------- forecast


def _quota(text: str | None, currency: str | None) -> Money | None:
    if text is None:
        return None
    try:
        amount = Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise UsageError(f"--quota: {text!r} is not an amount") from None
    return None if currency is None else Money(amount=amount, currency=currency)


def forecast(args: argparse.Namespace, out: TextIO, progress: Progress) -> int:
    """``leadflow forecast --period P``: the period's forecast from the stored pipeline."""
    calendar = FiscalCalendar(start_month=args.fiscal_start)
    period = calendar.parse(args.period)
    at = moment(args.at)
    with open_store(args) as store, progress.step(f"forecasting {period}", 1):
        with store.unit_of_work() as uow:
            deals = list(uow.opportunities.stream(Query(Opportunity)))
        result = forecast_as_of(
            store,
            deals,
            period=period,
            at=at,
            use_log=args.use_log,
            calendar=calendar,
            quota=args.quota,
            trials=args.trials,
            seed=args.seed,
        )
    render([forecast_section(result)], args.format, out)
    return 0


def learned_pipeline(deals: Sequence[Opportunity]) -> Any:
    """The default pipeline with win rates learned from the closed deals (when there are any)."""
    return stage_win_rates(deals, DEFAULT_PIPELINE).apply(DEFAULT_PIPELINE)


def forecast_as_of(
    store: Store,
    deals: Sequence[Opportunity],
    *,
    period: Period,
    at: datetime,
    use_log: bool,
    calendar: FiscalCalendar = CALENDAR,
    quota: str | None = None,
    trials: int = 10_000,
    seed: int | None = None,
) -> PeriodForecast:
    """``period``'s forecast from the stored ``deals`` as they stood at ``at``.

    The deals are rebuilt as of ``at`` (with the store's event log when ``use_log``), and
    the win rates are learned from those of them closed by then, so that a forecast as
    of a past moment sees no later outcome.
    """
    events: Sequence[RecordedEvent] = ()
    if use_log:
        with store.unit_of_work() as uow:
            events = uow.events.read(entity="opportunity")
    then = pipeline_as_of(deals, at, events=events)
    currency = next((d.amount.currency for d in then if d.amount is not None), None)
    return forecast_period(
        then,
        learned_pipeline(then),
        period=period,
        at=at,
        calendar=calendar,
        quota=_quota(quota, currency),
        trials=trials,
        seed=seed,
    )


# ------------------------------------------------------------------- report


def report_sections(
    store: Store, *, at: datetime, seed: int | None, progress: Progress, use_log: bool = False
) -> list[Section]:
    """Every section of the report, with next quarter's forecast as of ``at``."""
    leads, deals, campaigns = everything(store)
    pipeline = learned_pipeline(deals)
    next_quarter = CALENDAR.shift(CALENDAR.period_of(at.date(), "quarter"), 1)
    with progress.step(f"forecasting {next_quarter}", 1):
        result = forecast_as_of(
            store, deals, period=next_quarter, at=at, use_log=use_log, seed=seed
        )
    return [
        funnel(leads),
        by_source(leads, deals),
        by_campaign(leads, deals, campaigns),
        scores(leads),
        *pipeline_sections(deals, pipeline),
        forecast_section(result),
    ]


def report(args: argparse.Namespace, out: TextIO, progress: Progress) -> int:
    """``leadflow report``: the funnel, sources, campaigns, scores, pipeline and next quarter."""
    at = moment(args.at)
    with open_store(args) as store:
        sections = report_sections(
            store, at=at, seed=args.seed, progress=progress, use_log=args.use_log
        )
    render(sections, args.format, out)
    return 0


# --------------------------------------------------------------------- demo


def demo(args: argparse.Namespace, out: TextIO, progress: Progress) -> int:
    """``leadflow demo``: see :mod:`leadflow.cli._demo`."""
    from leadflow.cli._demo import run  # noqa: PLC0415 - the generator is only needed here

    return run(args, out, progress)
