"""``leadflow demo``: a synthetic organisation worked end to end on SQLite.

1. :func:`leadflow.datasets.synthetic` makes the organisation: campaigns, accounts with
   contacts, leads with touches, BANT fragments and consent, and their activities,
   with a hidden truth of which leads convert and which deals are won.
2. Campaigns, accounts and contacts are stored in one unit of work; leads and
   activities with :func:`~leadflow.services.import_leads`, in batches, which leaves
   out the data set's duplicate leads (same e-mail address).
3. The leads are worked in the order they arrived, through the services, each action
   at its own moment: a lead the truth says converts is worked, its BANT completed on a
   call, qualified and converted, matching existing accounts; a lead that will not
   convert and has gone quiet is disqualified with a reason; the rest are worked.
4. Every deal moves through the pipeline, a stage at a time, to its close, won or
   lost as the truth says, or stays open where its timeline has reached by the end of
   the data set, with its amount and expected close date.
5. Every lead is scored with :data:`~leadflow.cli.commands.DEMO_MODEL` as of the end.
6. The report: the funnel, sources, campaigns, scores, the pipeline, and next
   quarter's forecast with win rates learned from the closed deals; then the hidden
   truth against what leadflow saw (how well the scores rank the leads that converted,
   and what the forecast quarter's deals will really bring).
"""

from __future__ import annotations

import argparse
import random
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TextIO

import attrs

import leadflow
from leadflow.cli import DEMO_DB, UsageError, store_url
from leadflow.cli._output import Progress, Section, render
from leadflow.cli.commands import DEMO_MODEL, DEMO_THRESHOLDS, report_sections, score_all
from leadflow.datasets import LeadTruth, SyntheticOrganisation, synthetic
from leadflow.errors import InvalidTransition
from leadflow.forecasting import CALENDAR
from leadflow.leads import Lead
from leadflow.lifecycle import DISQUALIFICATION_REASONS
from leadflow.opportunities import ContactRole, Opportunity
from leadflow.pipelines import DEFAULT_PIPELINE, Outcome
from leadflow.ports import Query, Store
from leadflow.scoring import GradeMatrix
from leadflow.scoring.evaluate import roc_auc
from leadflow.services import (
    close_opportunity,
    convert_lead,
    disqualify_lead,
    import_leads,
    move_opportunity,
    qualify_lead,
    transition_lead,
)
from leadflow.values import BANT, Assessment, Authority, Need, OpportunityId

__all__ = ["run"]

#: The open stages a deal moves through, in order, after prospecting.
_STAGES = ("qualification", "needs_analysis", "proposal", "negotiation")
_REPS = ("sam", "kim", "ana", "raj")


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
        store_organisation(store, org, progress)
        work_leads(store, org, progress)
        model = GradeMatrix.from_toml(DEMO_MODEL)
        score_all(store, model, at=org.end, progress=progress, thresholds=DEMO_THRESHOLDS)
        sections = report_sections(store, at=org.end, seed=args.seed, progress=progress)
        sections.append(truth_section(store, org))
    render(sections, args.format, out)
    if args.format == "table":
        out.write(
            f"\nThe demo database is {args.db}; its data ends on {org.end:%Y-%m-%d}:"
            f" try `leadflow report --db {args.db} --at {org.end:%Y-%m-%d}`.\n"
        )
    return 0


def store_organisation(store: Store, org: SyntheticOrganisation, progress: Progress) -> None:
    """Campaigns, accounts and contacts in one unit of work; leads and activities in batches."""
    with (
        progress.step("storing campaigns and accounts", len(org.accounts)),
        store.unit_of_work(actor="demo") as uow,
    ):
        uow.campaigns.add_many(org.campaigns)
        uow.accounts.add_many(org.accounts)
        uow.contacts.add_many(org.contacts)
        uow.commit()
    with progress.step("storing leads and activities", len(org.leads)):
        import_leads(store, org.leads, org.activities, batch_size=1_000, actor="demo")


def _on_call(lead: Lead, at: datetime, rep: str) -> Lead:
    """What a rep learns on the discovery call: the BANT, consent to follow up, ownership."""
    bant = BANT(
        budget=lead.bant.budget,
        authority=lead.bant.authority or Assessment(value=Authority.DECISION_MAKER, assessed_at=at),
        need=lead.bant.need or Assessment(value=Need.HIGH, assessed_at=at),
        timeline=lead.bant.timeline,
    )
    consent = lead.consent
    if not consent.may_email() and not consent.blocked:
        consent = consent.record("email", given=True, at=at, source=f"call with {rep}")
    # The form may have left the company out; the rep asks.
    company = lead.company or f"{lead.last_name or lead.first_name or 'Unnamed'} Ltd"
    return attrs.evolve(
        lead,
        bant=bant,
        consent=consent,
        company=company,
        owner=lead.owner or rep,
        updated_at=max(at, lead.updated_at),
    )


def work_leads(store: Store, org: SyntheticOrganisation, progress: Progress) -> None:
    """Work every stored lead as the hidden truth has it, then move its deal."""
    rng = random.Random(org.seed)
    with store.unit_of_work() as uow:
        leads = sorted(uow.leads.stream(Query(Lead)), key=lambda lead: lead.created_at)
    with progress.step("working leads and deals", len(leads)) as advance:
        for lead in leads:
            truth = org.truth.get(lead.id)
            if truth is not None:
                _work(store, lead, truth, org, rng)
            advance(1)


def _work(
    store: Store, lead: Lead, truth: LeadTruth, org: SyntheticOrganisation, rng: random.Random
) -> None:
    rep = lead.owner or rng.choice(_REPS)
    start = lead.created_at + timedelta(hours=rng.randint(2, 48))
    if start > org.end:
        return
    with store.unit_of_work(actor=rep) as uow:
        transition_lead(uow, lead.id, "work", at=start, actor=rep)
    converts = truth.converts
    decided = start + timedelta(days=rng.randint(2, 10))
    if decided > org.end:
        return
    if not converts:
        if rng.random() < 0.6:
            with store.unit_of_work(actor=rep) as uow:
                reason = rng.choice(DISQUALIFICATION_REASONS[:4])
                disqualify_lead(uow, lead.id, reason=reason, at=decided, actor=rep)
        return
    with store.unit_of_work(actor=rep) as uow:
        current = uow.leads.get(lead.id)
        uow.leads.update(_on_call(current, start, rep))
        uow.commit()
    try:
        with store.unit_of_work(actor=rep) as uow:
            qualify_lead(uow, lead.id, at=decided, actor=rep)
    except InvalidTransition:
        return  # a do-not-contact request: the lead cannot be qualified
    with store.unit_of_work(actor=rep) as uow:
        result = convert_lead(uow, lead.id, at=decided, actor=rep)
    if result.opportunity is not None:
        _move_deal(
            store, _Deal(id=result.opportunity.id, truth=truth, rep=rep, opened=decided), org, rng
        )


@attrs.frozen
class _Deal:
    """A new deal to move: who works it, from when, and what the truth says of it."""

    id: OpportunityId
    truth: LeadTruth
    rep: str
    opened: datetime


def _move_deal(store: Store, deal: _Deal, org: SyntheticOrganisation, rng: random.Random) -> None:
    """Move a new deal a stage at a time toward its close, as far as the data set's end."""
    truth, rep, opened = deal.truth, deal.rep, deal.opened
    cycle = max(1, truth.cycle_days)
    close_at = opened + timedelta(days=cycle)
    wins = truth.wins
    with store.unit_of_work(actor=rep) as uow:
        current = uow.opportunities.get(deal.id)
        roles = current.contact_roles
        if not any(role.role == "decision maker" for role in roles) and current.primary_contact_id:
            roles = (
                *roles,
                ContactRole(contact_id=current.primary_contact_id, role="decision maker"),
            )
        uow.opportunities.update(
            attrs.evolve(
                current,
                amount=truth.amount,
                expected_close_date=close_at.date(),
                contact_roles=roles,
                owner=current.owner or rep,
                updated_at=max(opened, current.updated_at),
            )
        )
        uow.commit()
    # A lost deal drops out at a random stage; a won one goes all the way.
    last = len(_STAGES) if wins else rng.randint(0, len(_STAGES))
    for i, stage in enumerate(_STAGES[:last]):
        at = opened + timedelta(days=cycle * (i + 1) / (len(_STAGES) + 1))
        if at > org.end:
            return
        with store.unit_of_work(actor=rep) as uow:
            move_opportunity(uow, deal.id, stage, at=at, actor=rep)
    if close_at > org.end:
        return
    with store.unit_of_work(actor=rep) as uow:
        if wins:
            close_opportunity(
                uow, deal.id, won=True, at=close_at, actor=rep, close_date=close_at.date()
            )
        else:
            reason = rng.choice(("price", "competitor", "no decision", "timing"))
            close_opportunity(uow, deal.id, won=False, at=close_at, actor=rep, reason=reason)


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
