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

import attrs

import leadflow
from leadflow.activities import Activity
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
from leadflow.forecasting import CALENDAR, FiscalCalendar, stage_win_rates
from leadflow.leads import Lead, LeadScore
from leadflow.lifecycle import MARKETING_STAGES
from leadflow.opportunities import Opportunity
from leadflow.pipelines import DEFAULT_PIPELINE
from leadflow.ports import Query, Store
from leadflow.scoring import GradeMatrix, StageThresholds, load_model
from leadflow.services import forecast as forecast_service
from leadflow.services import import_leads as import_service
from leadflow.tabular import ColumnMapping, read_leads
from leadflow.values import Money

__all__ = ["DEMO_MODEL", "demo", "forecast", "import_leads", "report", "score"]

#: The scoring model ``leadflow score`` and the demo use unless given another: fit
#: (seniority, company size, free-mail) by engagement (what the lead did, fading with a
#: 30-day half-life), as grades A1 (fits, very engaged) to D4.
DEMO_MODEL = """
type = "grade_matrix"
fit_grades = [{ name = "A", min = 20 }, { name = "B", min = 10 }, { name = "C", min = 0 }, { name = "D" }]
engagement_levels = [{ name = "1", min = 30 }, { name = "2", min = 20 }, { name = "3", min = 12 }, { name = "4" }]

[fit]
type = "fit"
rules = [
  { name = "executive", when = { field = "title", matches = '(?i)\\bceo\\b|\\bcfo\\b|\\bcoo\\b|chief|\\bvp\\b|vice president|founder|managing director' }, points = 12 },
  { name = "director", when = { field = "title", matches = "(?i)director|head of" }, points = 8 },
  { name = "manager", when = { field = "title", matches = "(?i)manager|team lead" }, points = 2 },
  { name = "not a buyer", when = { field = "title", matches = "(?i)student|intern|freelancer|researcher" }, points = -15 },
  { name = "200+ employees", when = { field = "company_size", min = 200 }, points = 3 },
  { name = "1,000+ employees", when = { field = "company_size", min = 1000 }, points = 3 },
  { name = "industry we win in", when = { field = "industry", in = ["Software & Internet", "Financial Services"] }, points = 5 },
  { name = "industry we rarely win", when = { field = "industry", in = ["Education", "Government", "Non-profit"] }, points = -5 },
  { name = "partner referral", when = { field = "source", matches = "(?i)^partner" }, points = 8 },
  { name = "free-mail address", when = { field = "free_mail", equals = true }, points = -5 },
]

[engagement]
type = "engagement"
max = 100
decay = { half_life_days = 90 }
rules = [
  { name = "forms", kinds = ["form_submission"], points = 20, max = 40 },
  { name = "events", kinds = ["event_attendance"], points = 20, max = 40 },
  { name = "e-mail clicks", kinds = ["email_click"], points = 5, max = 20 },
  { name = "e-mail opens", kinds = ["email_open"], points = 1, max = 10 },
  { name = "web visits", kinds = ["web_visit"], points = 2, max = 20 },
  { name = "replies and calls", kinds = ["email", "call", "meeting"], direction = "inbound", points = 10, max = 30 },
  { name = "unsubscribed", kinds = ["unsubscribe"], points = -30, decay = false },
]
"""  # noqa: E501 - TOML inline tables are one line each


#: The grades of :data:`DEMO_MODEL` that make a lead marketing qualified (MQL).
DEMO_THRESHOLDS = StageThresholds(grades={"mql": ["A1", "A2", "A3", "B1", "B2", "C1"]})


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
    model = load_model(args.model) if args.model else GradeMatrix.from_toml(DEMO_MODEL)
    thresholds = None if args.model else DEMO_THRESHOLDS
    at = moment(args.at)
    with open_store(args) as store:
        scored = score_all(store, model, at=at, progress=progress, thresholds=thresholds)
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


def score_all(
    store: Store,
    model: Any,
    *,
    at: datetime,
    progress: Progress,
    thresholds: StageThresholds | None = None,
    batch: int = 1_000,
) -> list[Lead]:
    """Score every stored lead at ``at`` and store the scores, a batch per unit of work.

    With ``thresholds``, a lead whose score earns a later marketing stage than its own
    advances to it (forward only, recorded as a ``StateChanged`` naming the score), as
    :func:`~leadflow.services.score_lead` does for one lead.
    """
    with store.unit_of_work() as uow:
        leads = list(uow.leads.stream(Query(Lead)))
        activities = list(uow.activities.stream(Query(Activity)))
    with progress.step("scoring leads", len(leads)) as advance:
        results = model.score_many(leads, activities, at=at)
        stored: list[Lead] = []
        for start in range(0, len(leads), batch):
            with store.unit_of_work(actor="scoring") as uow:
                for i in range(start, min(start + batch, len(leads))):
                    value, band = results.values[i], results.bands[i]
                    lead = attrs.evolve(
                        leads[i],
                        score=LeadScore(value=value, model=model.name, scored_at=at, grade=band),
                        updated_at=max(at, leads[i].updated_at),
                    )
                    stage = None if thresholds is None else thresholds.stage_for(value, band)
                    if stage is not None and f"advance:{stage}" in MARKETING_STAGES.allowed_actions(
                        lead
                    ):
                        reason = f"{model.name} score {value:g}, {band}"
                        lead, events = MARKETING_STAGES.apply(
                            lead, f"advance:{stage}", at=at, actor="scoring", reason=reason
                        )
                        uow.record(*events)
                    stored.append(uow.leads.update(lead))
                uow.commit()
            advance(min(batch, len(leads) - start))
    return stored


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
    with open_store(args) as store:
        _, deals, _ = everything(store)
        pipeline = learned_pipeline(deals)
        currency = next((d.amount.currency for d in deals if d.amount is not None), None)
        with progress.step(f"forecasting {period}", 1), store.unit_of_work() as uow:
            result = forecast_service(
                uow,
                period=period,
                at=at,
                pipelines=pipeline,
                calendar=calendar,
                quota=_quota(args.quota, currency),
                trials=args.trials,
                seed=args.seed,
                use_log=args.use_log,
            )
    render([forecast_section(result)], args.format, out)
    return 0


def learned_pipeline(deals: Sequence[Opportunity]) -> Any:
    """The default pipeline with win rates learned from the closed deals (when there are any)."""
    return stage_win_rates(deals, DEFAULT_PIPELINE).apply(DEFAULT_PIPELINE)


# ------------------------------------------------------------------- report


def report_sections(
    store: Store, *, at: datetime, seed: int | None, progress: Progress, use_log: bool = False
) -> list[Section]:
    """Every section of the report, with next quarter's forecast as of ``at``."""
    leads, deals, campaigns = everything(store)
    pipeline = learned_pipeline(deals)
    next_quarter = CALENDAR.shift(CALENDAR.period_of(at.date(), "quarter"), 1)
    with progress.step(f"forecasting {next_quarter}", 1), store.unit_of_work() as uow:
        result = forecast_service(
            uow, period=next_quarter, at=at, pipelines=pipeline, seed=seed, use_log=use_log
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
    """``leadflow demo``: see :mod:`leadflow.cli.demo`."""
    from leadflow.cli.demo import run  # noqa: PLC0415 - the generator is only needed here

    return run(args, out, progress)
