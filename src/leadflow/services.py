"""Use cases over a unit of work: load, call the pure core, save, record, commit.

Each service is one unit of work: it commits what it did, and on any error it rolls
back every uncommitted change of the unit of work and re-raises, so storage holds
all of it or none of it.  Give each service a fresh unit of work, or one with
nothing pending::

    with store.unit_of_work(actor="ana") as uow:
        result = convert_lead(uow, lead_id, at=now, actor="ana")

Times are the caller's: every service takes ``at``.  ``actor`` is recorded on the
domain events (the unit of work's actor is recorded with every event, too).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

import attrs

from leadflow._fields import to_utc
from leadflow.accounts import Account
from leadflow.activities import Activity
from leadflow.contacts import Contact
from leadflow.conversion import (
    AccountMatch,
    ContactMatch,
    ConversionResult,
    account_from_lead,
    contact_from_lead,
    contact_roles_from_lead,
    match_domain,
    merge_into_account,
    merge_into_contact,
)
from leadflow.errors import InvalidTransition, ValidationError
from leadflow.events import Event, LeadConverted, StateChanged
from leadflow.forecasting import (
    CALENDAR,
    NO_SLIP,
    FiscalCalendar,
    Method,
    Period,
    PeriodForecast,
    SlipModel,
    forecast_period,
    pipeline_as_of,
)
from leadflow.leads import Lead, LeadScore
from leadflow.lifecycle import LEAD_LIFECYCLE, MARKETING_STAGES, RuleTable, apply_lead_action
from leadflow.opportunities import Opportunity
from leadflow.pipelines import DEFAULT_PIPELINE, Pipeline, Pipelines, StageChange, find_pipeline
from leadflow.ports import Query, Store, UnitOfWork
from leadflow.scoring import Score, ScoringModel, StageThresholds
from leadflow.values import AccountId, ContactId, ExchangeRates, LeadId, Money, OpportunityId

__all__ = [
    "ImportSummary",
    "advance_marketing_stage",
    "close_opportunity",
    "convert_lead",
    "disqualify_lead",
    "forecast",
    "import_leads",
    "move_opportunity",
    "opportunities_as_of",
    "qualify_lead",
    "reopen_opportunity",
    "reset_marketing_stage",
    "score_lead",
    "score_leads",
    "transition_lead",
]

T = TypeVar("T")


def _one_unit(uow: UnitOfWork, work: Callable[[], T]) -> T:
    """Run ``work`` and commit; on any error roll back and re-raise."""
    try:
        result = work()
        uow.commit()
    except BaseException:
        uow.rollback()
        raise
    return result


# ======================================================================== leads


def transition_lead(
    uow: UnitOfWork,
    lead_id: LeadId,
    action: str,
    *,
    at: datetime,
    actor: str | None = None,
    reason: str | None = None,
    lifecycle: RuleTable = LEAD_LIFECYCLE,
) -> Lead:
    """Apply a lifecycle action (``"work"``, ``"nurture"``, ``"recycle"``, ...) to a stored lead."""

    def work() -> Lead:
        lead, events = apply_lead_action(
            uow.leads.get(lead_id), action, at=at, actor=actor, reason=reason, table=lifecycle
        )
        stored = uow.leads.update(lead)
        uow.record(*events)
        return stored

    return _one_unit(uow, work)


def qualify_lead(
    uow: UnitOfWork,
    lead_id: LeadId,
    *,
    at: datetime,
    actor: str | None = None,
    reason: str | None = None,
    lifecycle: RuleTable = LEAD_LIFECYCLE,
    marketing: RuleTable = MARKETING_STAGES,
) -> Lead:
    """Qualify a lead (its guards decide) and advance its marketing stage to ``sql``.

    The marketing stage moves only forward: a lead already past ``sql`` stays where
    it is.  Raises :class:`~leadflow.errors.InvalidTransition` with every guard's
    reason when the lead does not qualify.
    """

    def work() -> Lead:
        lead, events = apply_lead_action(
            uow.leads.get(lead_id), "qualify", at=at, actor=actor, reason=reason, table=lifecycle
        )
        lead, more = _advance_if_behind(lead, "sql", marketing, at=at, actor=actor)
        stored = uow.leads.update(lead)
        uow.record(*events, *more)
        return stored

    return _one_unit(uow, work)


def disqualify_lead(
    uow: UnitOfWork,
    lead_id: LeadId,
    *,
    reason: str,
    at: datetime,
    actor: str | None = None,
    lifecycle: RuleTable = LEAD_LIFECYCLE,
) -> Lead:
    """Disqualify a lead for ``reason`` (one of the lifecycle's reasons)."""
    return transition_lead(
        uow, lead_id, "disqualify", at=at, actor=actor, reason=reason, lifecycle=lifecycle
    )


def advance_marketing_stage(
    uow: UnitOfWork,
    lead_id: LeadId,
    stage: str,
    *,
    at: datetime,
    actor: str | None = None,
    reason: str | None = None,
    marketing: RuleTable = MARKETING_STAGES,
) -> Lead:
    """Move a lead's marketing stage forward to ``stage`` (``"mql"``, ...).

    Raises :class:`~leadflow.errors.InvalidTransition` when ``stage`` is not ahead
    of the lead's stage.
    """

    def work() -> Lead:
        lead, events = marketing.apply(
            uow.leads.get(lead_id), f"advance:{stage}", at=at, actor=actor, reason=reason
        )
        stored = uow.leads.update(lead)
        uow.record(*events)
        return stored

    return _one_unit(uow, work)


def score_lead(
    uow: UnitOfWork,
    lead_id: LeadId,
    model: ScoringModel,
    *,
    at: datetime,
    actor: str | None = None,
    thresholds: StageThresholds | None = None,
    marketing: RuleTable = MARKETING_STAGES,
) -> tuple[Lead, Score]:
    """Score a stored lead with its stored activities and keep the score on the lead.

    The lead's :attr:`~leadflow.leads.Lead.score` becomes the score's summary.  With
    ``thresholds``, the lead's marketing stage also moves forward to the stage the
    score earns (``advance:<stage>``, recorded as a ``StateChanged`` whose reason
    names the score); a stage the lead has already reached or passed is left alone,
    so a lower score never moves a lead back.  Returns the stored lead and the full
    score with its explanation.
    """

    def work() -> tuple[Lead, Score]:
        lead = uow.leads.get(lead_id)
        activities = list(uow.activities.stream(Query(Activity).where(lead_id=lead_id)))
        score = model.score(lead, activities, at=at)
        stage = None if thresholds is None else thresholds.stage_for(score)
        lead, events = _keep_score(
            lead, score.to_lead_score(), stage, at=at, actor=actor, marketing=marketing
        )
        stored = uow.leads.update(lead)
        uow.record(*events)
        return stored, score

    return _one_unit(uow, work)


def _keep_score(
    lead: Lead,
    summary: LeadScore,
    stage: str | None,
    *,
    at: datetime,
    actor: str | None,
    marketing: RuleTable,
) -> tuple[Lead, Sequence[Event]]:
    """The lead with its score, advanced to ``stage`` when that is ahead of its own."""
    lead = attrs.evolve(lead, score=summary, updated_at=max(to_utc(at), lead.updated_at))
    if stage is None or f"advance:{stage}" not in marketing.allowed_actions(lead):
        return lead, ()
    band = "" if summary.grade is None else f", {summary.grade}"
    reason = f"{summary.model} score {summary.value:g}{band}"
    return marketing.apply(lead, f"advance:{stage}", at=at, actor=actor, reason=reason)


def score_leads(
    store: Store,
    model: ScoringModel,
    *,
    at: datetime,
    thresholds: StageThresholds | None = None,
    batch_size: int = 1_000,
    actor: str | None = "scoring",
    marketing: RuleTable = MARKETING_STAGES,
    on_batch: Callable[[int], None] | None = None,
) -> list[Lead]:
    """Score every stored lead with its stored activities, as :func:`score_lead` does one.

    The model scores them all at once (``score_many``); the scores are stored a batch
    of ``batch_size`` leads per unit of work, each batch all or nothing, and
    ``on_batch`` is told how many leads each stored batch held.  Returns the stored
    leads.
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValidationError.single("batch_size", batch_size, "must be a whole number >= 1")
    with store.unit_of_work() as uow:
        leads = list(uow.leads.stream(Query(Lead)))
        activities = list(uow.activities.stream(Query(Activity)))
    scores = model.score_many(leads, activities, at=at)
    stored: list[Lead] = []
    for start in range(0, len(leads), batch_size):
        end = min(start + batch_size, len(leads))
        with store.unit_of_work(actor=actor) as uow:
            for i in range(start, end):
                value, band = scores.values[i], scores.bands[i]
                summary = LeadScore(value=value, model=model.name, scored_at=at, grade=band)
                stage = None if thresholds is None else thresholds.stage_for(value, band)
                lead, events = _keep_score(
                    leads[i], summary, stage, at=at, actor=actor, marketing=marketing
                )
                stored.append(uow.leads.update(lead))
                uow.record(*events)
            uow.commit()
        if on_batch is not None:
            on_batch(end - start)
    return stored


def reset_marketing_stage(
    uow: UnitOfWork,
    lead_id: LeadId,
    *,
    at: datetime,
    reason: str | None = None,
    actor: str | None = None,
    marketing: RuleTable = MARKETING_STAGES,
) -> Lead:
    """Put a lead's marketing stage back to the first (``"lead"``), explicitly."""

    def work() -> Lead:
        lead, events = marketing.apply(
            uow.leads.get(lead_id), "reset", at=at, actor=actor, reason=reason
        )
        stored = uow.leads.update(lead)
        uow.record(*events)
        return stored

    return _one_unit(uow, work)


def _advance_if_behind(
    lead: Lead, stage: str, marketing: RuleTable, *, at: datetime, actor: str | None
) -> tuple[Lead, list[StateChanged]]:
    """Advance the marketing stage to ``stage`` when the table allows it from here."""
    if marketing.transition(lead.marketing_stage, f"advance:{stage}") is None:
        return lead, []
    return marketing.apply(lead, f"advance:{stage}", at=at, actor=actor)


# =================================================================== conversion


def convert_lead(
    uow: UnitOfWork,
    lead_id: LeadId,
    *,
    at: datetime,
    actor: str | None = None,
    account_id: AccountId | None = None,
    contact_id: ContactId | None = None,
    create_opportunity: bool = True,
    opportunity_name: str | None = None,
    owner: str | None = None,
    pipeline: Pipeline = DEFAULT_PIPELINE,
    lifecycle: RuleTable = LEAD_LIFECYCLE,
    marketing: RuleTable = MARKETING_STAGES,
) -> ConversionResult:
    """Convert a qualified lead into an account, a contact and (optionally) an opportunity.

    In one unit of work:

    1. the contact is the one given (``contact_id``), else the oldest contact with
       the lead's e-mail address, else a new one;
    2. the account is the one given (``account_id``), else the matched contact's
       account, else the oldest account with the lead's web domain (its website,
       or a company e-mail domain), else the oldest with the same company name
       (compared by :func:`~leadflow.values.company_key`), else a new one;
    3. matched records only have their blanks filled, the lead's touches added and
       newer consent taken (:mod:`leadflow.conversion`);
    4. with ``create_opportunity``, a deal opens in ``pipeline``'s first stage with
       the BANT budget as its amount and the BANT timeline as its close date when
       known, the lead's campaign, and the first stage's playbook activities;
    5. the lead's activities are linked to the contact and account too;
    6. the lead moves to ``converted`` (its lifecycle's ``convert`` action decides),
       its marketing stage advances to ``opportunity`` (or ``sql``), and it keeps
       links to what it became.

    Converting a lead that was converted before raises
    :class:`~leadflow.errors.InvalidTransition` naming the existing links.
    """
    at = to_utc(at)

    def work() -> ConversionResult:
        lead = uow.leads.get(lead_id)
        _refuse_second_conversion(lead, lifecycle)
        converted, events = apply_lead_action(lead, "convert", at=at, actor=actor, table=lifecycle)
        contact, contact_match = _find_contact(uow, lead, contact_id)
        domain = match_domain(lead)
        account, account_match = _find_account(uow, lead, account_id, contact, domain)
        if account is None:
            account = uow.accounts.add(account_from_lead(lead, at=at, owner=owner))
        else:
            # An account matched by name was looked for by domain first, and not found.
            taken = account_match != "company_name" and _domain_taken(uow, domain, account)
            merged = merge_into_account(account, lead, at=at, domain_taken=taken)
            account = account if merged is account else uow.accounts.update(merged)
        if contact is None:
            contact = uow.contacts.add(contact_from_lead(lead, account=account, at=at, owner=owner))
        else:
            merged_contact = merge_into_contact(contact, lead, account=account, at=at)
            if merged_contact is not contact:
                contact = uow.contacts.update(merged_contact)
        opportunity: Opportunity | None = None
        playbook: tuple[Activity, ...] = ()
        if create_opportunity:
            opened = _open_opportunity(
                lead, account, contact, pipeline, at=at, name=opportunity_name, owner=owner
            )
            opportunity = uow.opportunities.add(opened.opportunity)
            if opened.activities:
                playbook = tuple(uow.activities.add_many(opened.activities))
        relinked = _relink_activities(uow, lead, account, contact, at=at)
        stage = "opportunity" if opportunity is not None else "sql"
        converted, more = _advance_if_behind(converted, stage, marketing, at=at, actor=actor)
        converted = attrs.evolve(
            converted,
            converted_at=at,
            converted_account_id=account.id,
            converted_contact_id=contact.id,
            converted_opportunity_id=None if opportunity is None else opportunity.id,
        )
        result = ConversionResult(
            lead=uow.leads.update(converted),
            account=account,
            contact=contact,
            opportunity=opportunity,
            account_match=account_match,
            contact_match=contact_match,
            relinked_activities=relinked,
            playbook_activities=playbook,
        )
        recorded: tuple[Event, ...] = (
            *events,
            *more,
            LeadConverted(
                entity_id=lead.id.value,
                account_id=account.id,
                contact_id=contact.id,
                opportunity_id=None if opportunity is None else opportunity.id,
                created=result.created,
                at=at,
                actor=actor,
            ),
        )
        uow.record(*recorded)
        return attrs.evolve(result, events=recorded)

    return _one_unit(uow, work)


def _refuse_second_conversion(lead: Lead, lifecycle: RuleTable) -> None:
    if lead.converted_account_id is None and lead.converted_contact_id is None:
        return
    links = [f"account {lead.converted_account_id}", f"contact {lead.converted_contact_id}"]
    if lead.converted_opportunity_id is not None:
        links.append(f"opportunity {lead.converted_opportunity_id}")
    raise InvalidTransition(
        entity="lead",
        entity_id=lead.id.value,
        state=lead.status,
        action="convert",
        allowed=lifecycle.actions(lead.status) if lead.status in lifecycle.state_names else (),
        reason="it was already converted into " + ", ".join(links),
    )


def _oldest(found: Iterable[T]) -> T | None:
    ordered = sorted(found, key=lambda e: (e.created_at, e.id.value))  # type: ignore[attr-defined]
    return ordered[0] if ordered else None


def _find_contact(
    uow: UnitOfWork, lead: Lead, contact_id: ContactId | None
) -> tuple[Contact | None, ContactMatch]:
    if contact_id is not None:
        return uow.contacts.get(contact_id), "explicit"
    if lead.email is not None:
        found = _oldest(uow.contacts.by_email(lead.email))
        if found is not None:
            return found, "email"
    return None, "created"


def _find_account(
    uow: UnitOfWork,
    lead: Lead,
    account_id: AccountId | None,
    contact: Contact | None,
    domain: str | None,
) -> tuple[Account | None, AccountMatch]:
    if account_id is not None:
        return uow.accounts.get(account_id), "explicit"
    if contact is not None and contact.account_id is not None:
        return uow.accounts.get(contact.account_id), "contact"
    if domain is not None:
        found = _oldest(uow.accounts.by_website_domain(domain))
        if found is not None:
            return found, "website_domain"
    if lead.company and lead.company.strip():
        found = _oldest(uow.accounts.stream(Query(Account).where(name_key=lead.company)))
        if found is not None:
            return found, "company_name"
    return None, "created"


def _domain_taken(uow: UnitOfWork, domain: str | None, account: Account) -> bool:
    """Whether another account has the web domain ``domain`` the lead would give ``account``."""
    if account.website_domain is not None or domain is None:
        return False
    return any(other.id != account.id for other in uow.accounts.by_website_domain(domain))


def _open_opportunity(
    lead: Lead,
    account: Account,
    contact: Contact,
    pipeline: Pipeline,
    *,
    at: datetime,
    name: str | None,
    owner: str | None,
) -> StageChange:
    budget = lead.bant.budget
    timeline = lead.bant.timeline
    return pipeline.open(
        name=name or f"{account.name}: new business",
        at=at,
        account_id=account.id,
        primary_contact_id=contact.id,
        contact_roles=contact_roles_from_lead(lead, contact),
        amount=None if budget is None else budget.value,
        expected_close_date=None if timeline is None else timeline.value,
        source_lead_id=lead.id,
        campaign_id=lead.campaign_id,
        owner=owner or lead.owner,
    )


def _relink_activities(
    uow: UnitOfWork, lead: Lead, account: Account, contact: Contact, *, at: datetime
) -> int:
    count = 0
    for activity in list(uow.activities.stream(Query(Activity).where(lead_id=lead.id))):
        changes: dict[str, Any] = {}
        if activity.contact_id is None:
            changes["contact_id"] = contact.id
        if activity.account_id is None:
            changes["account_id"] = account.id
        if changes:
            uow.activities.update(
                attrs.evolve(activity, updated_at=max(at, activity.updated_at), **changes)
            )
            count += 1
    return count


# ================================================================ opportunities


def _store_change(uow: UnitOfWork, change: StageChange) -> StageChange:
    """Store a pipeline action's result; return it with the records as stored."""
    stored = uow.opportunities.update(change.opportunity)
    activities = tuple(uow.activities.add_many(change.activities)) if change.activities else ()
    uow.record(*change.events)
    return attrs.evolve(change, opportunity=stored, activities=activities)


def _pipeline_of(
    uow: UnitOfWork, opportunity_id: OpportunityId, pipelines: Pipelines
) -> tuple[Opportunity, Pipeline]:
    opportunity = uow.opportunities.get(opportunity_id)
    return opportunity, find_pipeline(pipelines, opportunity.pipeline)


def move_opportunity(
    uow: UnitOfWork,
    opportunity_id: OpportunityId,
    stage: str,
    *,
    at: datetime,
    actor: str | None = None,
    reason: str | None = None,
    pipelines: Pipelines = DEFAULT_PIPELINE,
) -> StageChange:
    """Move a deal to another open stage of its pipeline and run that stage's playbook.

    ``pipelines`` holds the organisation's pipelines (one, or several); the deal's
    ``pipeline`` field picks its own.
    """

    def work() -> StageChange:
        opportunity, pipeline = _pipeline_of(uow, opportunity_id, pipelines)
        change = pipeline.move(opportunity, stage, at=at, actor=actor, reason=reason)
        return _store_change(uow, change)

    return _one_unit(uow, work)


def close_opportunity(
    uow: UnitOfWork,
    opportunity_id: OpportunityId,
    *,
    won: bool,
    at: datetime,
    actor: str | None = None,
    reason: str | None = None,
    amount: Money | None = None,
    close_date: date | None = None,
    competitor: str | None = None,
    pipelines: Pipelines = DEFAULT_PIPELINE,
    marketing: RuleTable = MARKETING_STAGES,
) -> StageChange:
    """Close a deal won (amount and close date required) or lost (reason required).

    A won deal advances the marketing stage of the lead it came from to
    ``customer`` when that lead is stored and behind.
    """

    def work() -> StageChange:
        opportunity, pipeline = _pipeline_of(uow, opportunity_id, pipelines)
        if won:
            change = pipeline.close_won(
                opportunity, at=at, actor=actor, amount=amount, close_date=close_date, reason=reason
            )
        else:
            change = pipeline.close_lost(
                opportunity, at=at, actor=actor, reason=reason, competitor=competitor
            )
        stored = _store_change(uow, change)
        if won and opportunity.source_lead_id is not None:
            leads = uow.leads.get_many([opportunity.source_lead_id])
            lead = leads.get(opportunity.source_lead_id)
            if lead is not None:
                moved, events = _advance_if_behind(lead, "customer", marketing, at=at, actor=actor)
                if events:
                    uow.leads.update(moved)
                    uow.record(*events)
        return stored

    return _one_unit(uow, work)


def reopen_opportunity(
    uow: UnitOfWork,
    opportunity_id: OpportunityId,
    *,
    at: datetime,
    actor: str | None = None,
    stage: str | None = None,
    reason: str | None = None,
    pipelines: Pipelines = DEFAULT_PIPELINE,
) -> StageChange:
    """Reopen a closed deal in ``stage``, by default the open stage it was closed from."""

    def work() -> StageChange:
        opportunity, pipeline = _pipeline_of(uow, opportunity_id, pipelines)
        change = pipeline.reopen(opportunity, at=at, actor=actor, stage=stage, reason=reason)
        return _store_change(uow, change)

    return _one_unit(uow, work)


# ================================================================= forecasting


def opportunities_as_of(
    uow: UnitOfWork, at: datetime | None = None, *, use_log: bool = True
) -> list[Opportunity]:
    """Every stored opportunity; with ``at``, as it stood at that moment.

    The rebuild is :func:`~leadflow.forecasting.asof.pipeline_as_of`'s: stages from the
    deals' stage histories and, with ``use_log`` (the default), the other fields from
    the store's event log.  Pass ``use_log=False`` for history that was imported after
    the fact, whose events were recorded later than the changes they describe.  Reads
    only: nothing is stored.
    """
    deals = list(uow.opportunities.stream(Query(Opportunity)))
    if at is None:
        return deals
    events = uow.events.read(entity="opportunity") if use_log else ()
    return pipeline_as_of(deals, at, events=events)


def forecast(
    uow: UnitOfWork,
    *,
    period: Period | str,
    at: datetime,
    pipelines: Pipelines = DEFAULT_PIPELINE,
    use_log: bool = True,
    calendar: FiscalCalendar = CALENDAR,
    slip: SlipModel = NO_SLIP,
    quota: Money | None = None,
    method: Method | str = Method.MONTE_CARLO,
    trials: int = 10_000,
    seed: int | None = None,
    rates: ExchangeRates | None = None,
) -> PeriodForecast:
    """Forecast ``period`` from the stored opportunities as they stood at ``at``.

    :func:`opportunities_as_of` rebuilds the pipeline at ``at`` (so a forecast "as of
    the first of the quarter" made later still sees only what was known then), and
    :func:`~leadflow.forecasting.forecast.forecast_period` forecasts it with the other
    arguments.  Reads only: nothing is stored.
    """
    deals = opportunities_as_of(uow, at, use_log=use_log)
    return forecast_period(
        deals,
        pipelines,
        period=period,
        at=at,
        calendar=calendar,
        slip=slip,
        quota=quota,
        method=method,
        trials=trials,
        seed=seed,
        rates=rates,
    )


# ================================================================== importing


@attrs.frozen(kw_only=True)
class ImportSummary:
    """What :func:`import_leads` did."""

    #: Leads stored.
    added: int
    #: Leads left out because a stored lead (or an earlier one of the same import)
    #: has the same external id or e-mail address.
    skipped: int
    #: Activities stored with the added leads.
    activities: int
    #: Units of work committed, one per batch.
    batches: int


def _lead_keys(lead: Lead) -> list[tuple[str, str]]:
    keys = []
    if lead.external_id is not None:
        keys.append(("external_id", lead.external_id))
    if lead.email is not None:
        keys.append(("email", lead.email.key))
    return keys


def import_leads(
    store: Store,
    leads: Sequence[Lead],
    activities: Iterable[Activity] = (),
    *,
    batch_size: int = 500,
    actor: str | None = None,
) -> ImportSummary:
    """Store the leads that are not stored yet, with their activities, batch by batch.

    A lead is already stored when a stored lead has its external id or its e-mail
    address (case-insensitive); so is a second lead of the same import with one of
    an earlier one's.  Such leads are skipped with their activities, which makes
    re-running an import change nothing.  Each batch of ``batch_size`` leads is one
    unit of work: a batch that fails stores nothing, and the batches before it stay
    stored.
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValidationError.single("batch_size", batch_size, "must be a whole number >= 1")
    by_lead: dict[LeadId, list[Activity]] = {}
    for activity in activities:
        if activity.lead_id is not None:
            by_lead.setdefault(activity.lead_id, []).append(activity)
    seen: set[tuple[str, str]] = set()
    added = skipped = stored_activities = batches = 0
    for start in range(0, len(leads), batch_size):
        batch = leads[start : start + batch_size]
        with store.unit_of_work(actor=actor) as uow:
            fresh = []
            for lead in batch:
                keys = _lead_keys(lead)
                if any(key in seen for key in keys) or _stored(uow, lead):
                    skipped += 1
                    continue
                seen.update(keys)
                fresh.append(lead)
            if not fresh:
                continue
            uow.leads.add_many(fresh)
            mine = [activity for lead in fresh for activity in by_lead.get(lead.id, ())]
            if mine:
                uow.activities.add_many(mine)
            uow.commit()
        added += len(fresh)
        stored_activities += len(mine)
        batches += 1
    return ImportSummary(
        added=added, skipped=skipped, activities=stored_activities, batches=batches
    )


def _stored(uow: UnitOfWork, lead: Lead) -> bool:
    """Whether a stored lead has this lead's external id or e-mail address."""
    if lead.external_id is not None and uow.leads.by_external_id(lead.external_id):
        return True
    return lead.email is not None and bool(uow.leads.by_email(lead.email))
