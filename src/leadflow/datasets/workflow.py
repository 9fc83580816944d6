"""Play a synthetic organisation out in a store: the flow the demo shows.

:func:`play_out` stores a :class:`~leadflow.datasets.synthetic.SyntheticOrganisation`
and works it through leadflow's services, each action at its own moment, as the hidden
truth has it:

1. campaigns, accounts and contacts are stored in one unit of work, leads and
   activities with :func:`~leadflow.services.import_leads`, which leaves the data set's
   duplicate leads out (same e-mail address);
2. each lead, in the order it arrived, is worked; a lead the truth says converts has
   its BANT completed on a call, is qualified and converted (matching existing
   accounts); a lead that will not convert is, more often than not, disqualified with a
   reason; the rest stay worked;
3. each new deal gets the truth's amount and close date and moves through the pipeline
   a stage at a time toward its close, won or lost as the truth says, or stays open
   where its timeline has reached by the end of the data set: a deal that will be won
   goes all the way and closes at the end of its cycle, one that will be lost drops out
   when it would have moved on from the last stage it reaches;
4. every lead is scored with :data:`SCORING_MODEL` as of the end, advancing those with
   the grades in :data:`STAGE_THRESHOLDS` to MQL.

Nothing here reads the clock: every moment comes from the data set.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timedelta
from typing import Protocol

import attrs

from leadflow.datasets.synthetic import LeadTruth, SyntheticOrganisation
from leadflow.errors import InvalidTransition
from leadflow.leads import Lead
from leadflow.lifecycle import DISQUALIFICATION_REASONS
from leadflow.opportunities import ContactRole
from leadflow.ports import Query, Store
from leadflow.scoring import GradeMatrix, StageThresholds
from leadflow.services import (
    close_opportunity,
    convert_lead,
    disqualify_lead,
    import_leads,
    move_opportunity,
    qualify_lead,
    score_leads,
    transition_lead,
)
from leadflow.values import BANT, Assessment, Authority, Need, OpportunityId

__all__ = ["SCORING_MODEL", "STAGE_THRESHOLDS", "Steps", "play_out", "scoring_model"]

#: The open stages a deal moves through, in order, after prospecting.
_STAGES = ("qualification", "needs_analysis", "proposal", "negotiation")
_REPS = ("sam", "kim", "ana", "raj")


class Steps(Protocol):
    """Where :func:`play_out` reports its steps (the command line's progress display)."""

    def step(self, description: str, total: int) -> AbstractContextManager[Callable[[int], None]]:
        """A step of ``total`` units; the block calls the function it gets to advance."""
        ...


class _Silent:
    @contextmanager
    def step(self, description: str, total: int) -> Iterator[Callable[[int], None]]:
        del description, total
        yield lambda done: None


#: A scoring model for the synthetic organisation (and a reasonable start for a real
#: one): fit (seniority, company size, industry, partner referrals, free-mail) by
#: engagement (what the lead did, fading with a 90-day half-life), as grades A1 (fits,
#: very engaged) to D4.  ``leadflow score`` uses it unless given another model.
SCORING_MODEL = """
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


#: The grades of :data:`SCORING_MODEL` that make a lead marketing qualified (MQL).
STAGE_THRESHOLDS = StageThresholds(grades={"mql": ["A1", "A2", "A3", "B1", "B2", "C1"]})


def scoring_model() -> GradeMatrix:
    """:data:`SCORING_MODEL`, read."""
    return GradeMatrix.from_toml(SCORING_MODEL)


def play_out(store: Store, org: SyntheticOrganisation, *, steps: Steps | None = None) -> None:
    """Store ``org`` and work it end to end (see the module documentation)."""
    progress = _Silent() if steps is None else steps
    _store_organisation(store, org, progress)
    _work_leads(store, org, progress)
    leads = len(org.leads)
    with progress.step("scoring leads", leads) as advance:
        score_leads(
            store, scoring_model(), at=org.end, thresholds=STAGE_THRESHOLDS, on_batch=advance
        )


def _store_organisation(store: Store, org: SyntheticOrganisation, progress: Steps) -> None:
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


def _work_leads(store: Store, org: SyntheticOrganisation, progress: Steps) -> None:
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
    # Each step of the cycle is a stage.  A won deal goes all the way and closes at the
    # end of its cycle; a lost one drops out, closed lost, when it would have moved on
    # from the last stage it reached (so an open deal's stage says how far it has got).
    step = timedelta(days=cycle / (len(_STAGES) + 1))
    last = len(_STAGES) if wins else rng.randint(0, len(_STAGES))
    for i, stage in enumerate(_STAGES[:last]):
        at = opened + step * (i + 1)
        if at > org.end:
            return
        with store.unit_of_work(actor=rep) as uow:
            move_opportunity(uow, deal.id, stage, at=at, actor=rep)
    closes = close_at if wins else opened + step * (last + 1)
    if closes > org.end:
        return
    with store.unit_of_work(actor=rep) as uow:
        if wins:
            close_opportunity(
                uow, deal.id, won=True, at=closes, actor=rep, close_date=closes.date()
            )
        else:
            reason = rng.choice(("price", "competitor", "no decision", "timing"))
            close_opportunity(uow, deal.id, won=False, at=closes, actor=rep, reason=reason)
