"""The lifecycle services end to end, on memory, a real SQLite file and PostgreSQL.

Every test drives :mod:`leadflow.services` through a real store and then reads back
what was stored and what the event log says, rather than trusting the returned values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest

import leadflow
from leadflow import (
    BANT,
    Account,
    AccountId,
    Activity,
    ActivityKind,
    Assessment,
    Authority,
    CampaignId,
    Consent,
    Contact,
    ContactId,
    EmailAddress,
    InvalidTransition,
    Lead,
    Money,
    Need,
    NotFound,
    Opportunity,
    PhoneNumber,
    PostalAddress,
    Query,
    Touchpoint,
    ValidationError,
)
from leadflow.activities import Direction
from leadflow.events import LeadConverted, RecordedEvent, StateChanged
from leadflow.forecasting import CALENDAR
from leadflow.leads import LeadScore
from leadflow.lifecycle import DISQUALIFICATION_REASONS, LEAD_LIFECYCLE, MARKETING_STAGES
from leadflow.opportunities import ContactRole, ForecastCategory, StageVisit
from leadflow.pipelines import DEFAULT_PIPELINE, Outcome, Pipeline, PlaybookStep, Stage
from leadflow.ports import Store, entity_spec
from leadflow.scoring import ActivityRule, Bands, EngagementModel, StageThresholds
from leadflow.services import (
    ImportSummary,
    advance_marketing_stage,
    close_opportunity,
    convert_lead,
    disqualify_lead,
    forecast,
    import_leads,
    move_opportunity,
    opportunities_as_of,
    qualify_lead,
    reopen_opportunity,
    score_lead,
    score_leads,
    transition_lead,
)
from leadflow.testing.faults import snapshot
from leadflow.values import EntityId, LeadId
from tests.integration.postgres_server import require_driver

# 2026-03-02 is a Monday.
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
QUALIFY_AT = datetime(2026, 3, 3, 9, 0, tzinfo=timezone.utc)  # Tuesday
CONVERT_AT = datetime(2026, 3, 5, 14, 30, tzinfo=timezone.utc)  # Thursday
MOVE_AT = datetime(2026, 3, 6, 10, 0, tzinfo=timezone.utc)  # Friday
CLOSE_AT = datetime(2026, 3, 13, 16, 0, tzinfo=timezone.utc)  # Friday
REOPEN_AT = datetime(2026, 3, 16, 8, 0, tzinfo=timezone.utc)  # Monday

CAMPAIGN = CampaignId.new()
FIRST_TOUCH = Touchpoint(
    occurred_at=T0 - timedelta(days=7), source="google", medium="cpc", campaign_id=CAMPAIGN
)
SECOND_TOUCH = Touchpoint(occurred_at=T0 - timedelta(days=2), source="newsletter", medium="email")
CLOSE_BY = date(2026, 6, 30)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store of each kind: memory, a SQLite file, a PostgreSQL schema."""
    if request.param == "memory":
        url = "memory://"
    elif request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/services.db"
    else:
        require_driver()
        postgres_url: Callable[..., str] = request.getfixturevalue("postgres_url")
        url = postgres_url("services")
    with leadflow.connect(url) as opened:
        yield opened


# ======================================================================== helpers


def full_bant(
    *,
    budget: bool = True,
    authority: Authority | None = Authority.DECISION_MAKER,
    need: bool = True,
    timeline: bool = True,
) -> BANT:
    """A BANT assessment; each criterion can be left out."""
    return BANT(
        budget=Assessment(value=Money.of("48000", "EUR"), assessed_at=T0) if budget else None,
        authority=None if authority is None else Assessment(value=authority, assessed_at=T0),
        need=Assessment(value=Need.HIGH, assessed_at=T0) if need else None,
        timeline=Assessment(value=CLOSE_BY, assessed_at=T0) if timeline else None,
    )


def make_lead(**changes: Any) -> Lead:
    """A lead that qualifies: owner, e-mail with consent, all of BANT; ``changes`` override."""
    fields: dict[str, Any] = {
        "created_at": T0,
        "first_name": "Ana",
        "last_name": "Lima",
        "title": "Head of Operations",
        "email": "ana.lima@acme.com",
        "phone": "+49 30 1234567",
        "company": "Acme GmbH",
        "website": "https://www.acme.com/about",
        "industry": "manufacturing",
        "company_size": 250,
        "country": "DE",
        "owner": "rep-1",
        "consent": Consent().record("email", given=True, at=T0, source="web form"),
        "first_touch": FIRST_TOUCH,
        "touches": (FIRST_TOUCH, SECOND_TOUCH),
        "bant": full_bant(),
    }
    fields.update(changes)
    return Lead(**fields)


def put(store: Store, *entities: Any) -> None:
    """Store entities (any kinds) in one committed unit of work."""
    with store.unit_of_work(actor="seed") as uow:
        for entity in entities:
            getattr(uow, entity_spec(type(entity)).plural).add(entity)
        uow.commit()


def load(store: Store, entity_id: EntityId) -> Any:
    """The stored entity with this id, read in a fresh unit of work."""
    with store.unit_of_work() as uow:
        return getattr(uow, entity_spec(type(entity_id)).plural).get(entity_id)


def count(store: Store, cls: type[Any], **where: Any) -> int:
    """How many entities of ``cls`` are stored (matching ``where``)."""
    with store.unit_of_work() as uow:
        return int(getattr(uow, entity_spec(cls).plural).count(Query(cls).where(**where)))


def stored(store: Store, cls: type[Any], **where: Any) -> list[Any]:
    """The stored entities of ``cls`` matching ``where``, by id."""
    with store.unit_of_work() as uow:
        query = Query(cls, order="id").where(**where)
        return list(getattr(uow, entity_spec(cls).plural).stream(query))


def run(store: Store, service: Callable[..., Any], *args: Any, **options: Any) -> Any:
    """Call ``service`` in a fresh unit of work whose actor is the service's actor."""
    actor = options.setdefault("actor", "ana")
    with store.unit_of_work(actor=actor) as uow:
        return service(uow, *args, **options)


def history(store: Store, entity: str, entity_id: EntityId) -> list[RecordedEvent]:
    """The log's events about one entity, in order."""
    with store.unit_of_work() as uow:
        return uow.events.read(entity=entity, entity_id=entity_id.value)


def state_changes(recorded: list[RecordedEvent], machine: str) -> list[tuple[Any, ...]]:
    """``(action, from, to, at, actor, reason)`` of one machine's StateChanged events."""
    return [
        (e.action, e.from_state, e.to_state, e.at, e.actor, e.reason)
        for e in (r.event for r in recorded)
        if isinstance(e, StateChanged) and e.machine == machine
    ]


def qualified_lead(store: Store, **changes: Any) -> Lead:
    """A lead stored, then qualified through the service."""
    lead = make_lead(**changes)
    put(store, lead)
    qualified: Lead = run(store, qualify_lead, lead.id, at=QUALIFY_AT)
    return qualified


def lead_activity(lead: Lead, subject: str, **changes: Any) -> Activity:
    """An activity about the lead only."""
    fields: dict[str, Any] = {"kind": ActivityKind.EMAIL, "created_at": T0, "occurred_at": T0}
    fields.update(changes)
    return Activity(subject=subject, lead_id=lead.id, **fields)


def converted(store: Store, **changes: Any) -> tuple[Lead, Opportunity]:
    """A lead qualified and converted: the stored lead and its opportunity."""
    lead = qualified_lead(store, **changes)
    result = run(store, convert_lead, lead.id, at=CONVERT_AT)
    return result.lead, result.opportunity


def open_deal(store: Store, pipeline: Pipeline = DEFAULT_PIPELINE, **fields: Any) -> Opportunity:
    """An opportunity opened in ``pipeline`` and stored, without a lead."""
    account = Account(name="Initech", created_at=T0)
    put(store, account)
    opened = pipeline.open(name="Initech: licences", at=T0, account_id=account.id, **fields)
    put(store, opened.opportunity)
    deal: Opportunity = load(store, opened.opportunity.id)
    return deal


# ========================================================================== qualify


def test_qualify_stores_status_and_marketing_stage_and_records_state_changes(
    store: Store,
) -> None:
    lead = make_lead()
    put(store, lead)
    returned = run(store, qualify_lead, lead.id, at=QUALIFY_AT, actor="ana", reason="demo booked")
    kept = load(store, lead.id)
    assert (kept.status, kept.marketing_stage) == ("qualified", "sql")
    assert kept == returned
    assert kept.version == 2
    assert kept.updated_at == QUALIFY_AT
    recorded = history(store, "lead", lead.id)
    assert state_changes(recorded, "lead") == [
        ("qualify", "new", "qualified", QUALIFY_AT, "ana", "demo booked")
    ]
    assert state_changes(recorded, "marketing") == [
        ("advance:sql", "lead", "sql", QUALIFY_AT, "ana", None)
    ]
    # The unit of work's actor is recorded with every event of the service.
    assert {r.actor for r in recorded[1:]} == {"ana"}


def test_qualify_by_phone_with_consent(store: Store) -> None:
    lead = make_lead(
        email=None, consent=Consent().record("phone", given=True, at=T0, source="call")
    )
    put(store, lead)
    run(store, qualify_lead, lead.id, at=QUALIFY_AT)
    assert load(store, lead.id).status == "qualified"


def test_qualify_leaves_a_marketing_stage_already_past_sql(store: Store) -> None:
    lead = make_lead(marketing_stage="customer")
    put(store, lead)
    run(store, qualify_lead, lead.id, at=QUALIFY_AT)
    kept = load(store, lead.id)
    assert (kept.status, kept.marketing_stage) == ("qualified", "customer")
    assert state_changes(history(store, "lead", lead.id), "marketing") == []


def test_a_refused_qualify_lists_every_failing_guard_and_stores_nothing(store: Store) -> None:
    lead = make_lead(
        owner=None,
        phone=None,
        consent=Consent(),
        bant=full_bant(budget=False, authority=None, timeline=False),
    )
    put(store, lead)
    before = snapshot(store)
    with store.unit_of_work(actor="ana") as uow:
        with pytest.raises(InvalidTransition) as refused:
            qualify_lead(uow, lead.id, at=QUALIFY_AT, actor="ana")
        assert (refused.value.entity, refused.value.state, refused.value.action) == (
            "lead",
            "new",
            "qualify",
        )
        assert refused.value.reason == (
            "the lead has no owner; "
            "no way to reach the person: no consent to e-mail and no phone number; "
            "BANT has 1 of 4 criteria assessed (needs 3; missing budget, authority, timeline)"
        )
        assert str(lead.id.value) in str(refused.value)
        assert "allowed: work, nurture, qualify, disqualify" in str(refused.value)
        assert snapshot(store) == before  # nothing stored, no event recorded
        # Rolled back and still usable: another service in the same unit of work commits.
        transition_lead(uow, lead.id, "work", at=QUALIFY_AT, actor="ana")
    after = snapshot(store)
    assert [line for line in before.diff(after) if not line.startswith("event")] == [
        f"lead {lead.id}: changed (status, updated_at, version)"
    ]
    kept = load(store, lead.id)
    assert (kept.status, kept.marketing_stage) == ("working", "lead")
    assert state_changes(history(store, "lead", lead.id), "lead") == [
        ("work", "new", "working", QUALIFY_AT, "ana", None)
    ]


# ======================================================================= disqualify


def test_disqualify_needs_a_reason_from_the_list_and_recycle_clears_it(store: Store) -> None:
    lead = make_lead()
    put(store, lead)
    before = snapshot(store)
    listed = ", ".join(DISQUALIFICATION_REASONS)
    with pytest.raises(InvalidTransition) as blank:
        run(store, disqualify_lead, lead.id, reason="  ", at=QUALIFY_AT)
    assert blank.value.reason == f"a reason is required, one of: {listed}"
    with pytest.raises(InvalidTransition) as unknown:
        run(store, disqualify_lead, lead.id, reason="too expensive", at=QUALIFY_AT)
    assert unknown.value.reason == f"the reason 'too expensive' is not one of: {listed}"
    assert snapshot(store) == before

    run(store, disqualify_lead, lead.id, reason="no budget", at=QUALIFY_AT, actor="bo")
    kept = load(store, lead.id)
    assert (kept.status, kept.disqualification_reason) == ("disqualified", "no budget")

    run(store, transition_lead, lead.id, "recycle", at=CONVERT_AT, actor="bo")
    kept = load(store, lead.id)
    assert (kept.status, kept.disqualification_reason) == ("nurturing", None)
    assert state_changes(history(store, "lead", lead.id), "lead") == [
        ("disqualify", "new", "disqualified", QUALIFY_AT, "bo", "no budget"),
        ("recycle", "disqualified", "nurturing", CONVERT_AT, "bo", None),
    ]


def test_a_disqualification_reason_is_stored_as_the_list_spells_it(store: Store) -> None:
    lead = make_lead()
    put(store, lead)
    run(store, disqualify_lead, lead.id, reason="  No Budget ", at=QUALIFY_AT)
    assert load(store, lead.id).disqualification_reason == "no budget"


# ========================================================================== convert


def test_convert_creates_account_contact_and_opportunity_when_nothing_matches(
    store: Store,
) -> None:
    lead = make_lead()
    emailed = lead_activity(lead, "Welcome")
    called = lead_activity(lead, "Intro call", kind=ActivityKind.CALL)
    partner = Account(name="Partner Ltd", created_at=T0)
    # An activity that already names an account keeps it and only gains the contact.
    referred = lead_activity(lead, "Referral", account_id=partner.id)
    put(store, partner, lead, emailed, called, referred)
    run(store, qualify_lead, lead.id, at=QUALIFY_AT)

    result = run(store, convert_lead, lead.id, at=CONVERT_AT, actor="ana")
    assert result.created == ("account", "contact", "opportunity")
    assert result.matched == ()
    assert (result.account_match, result.contact_match) == ("created", "created")
    assert result.relinked_activities == 3

    account = load(store, result.account.id)
    assert account == result.account
    assert (account.name, account.website_domain, account.industry, account.size) == (
        "Acme GmbH",
        "acme.com",
        "manufacturing",
        250,
    )
    assert account.address == PostalAddress(country="DE")
    assert account.owner == "rep-1"

    contact = load(store, result.contact.id)
    assert contact == result.contact
    assert (contact.first_name, contact.last_name, contact.title) == (
        "Ana",
        "Lima",
        "Head of Operations",
    )
    assert contact.email == EmailAddress(value="ana.lima@acme.com")
    assert contact.phone == PhoneNumber(raw="+49 30 1234567")
    assert contact.account_id == account.id
    assert contact.role == "decision maker"
    assert contact.consent == lead.consent
    assert (contact.first_touch, contact.touches) == (FIRST_TOUCH, (FIRST_TOUCH, SECOND_TOUCH))
    assert contact.source_lead_id == lead.id

    opportunity = load(store, result.opportunity.id)
    assert opportunity == result.opportunity
    assert opportunity.name == "Acme GmbH: new business"
    assert (opportunity.pipeline, opportunity.stage) == ("default", "prospecting")
    assert opportunity.stage_history == (StageVisit(stage="prospecting", entered_at=CONVERT_AT),)
    assert opportunity.amount == Money.of("48000", "EUR")
    assert opportunity.expected_close_date == CLOSE_BY
    assert opportunity.campaign_id == CAMPAIGN
    assert opportunity.source_lead_id == lead.id
    assert opportunity.account_id == account.id
    assert opportunity.primary_contact_id == contact.id
    assert opportunity.contact_roles == (ContactRole(contact_id=contact.id, role="decision maker"),)
    assert opportunity.owner == "rep-1"

    # The first stage's playbook: a discovery call due two business days later,
    # Thursday -> Monday over the weekend.
    (call,) = stored(store, Activity, opportunity_id=opportunity.id)
    assert call.id == result.playbook_activities[0].id
    assert (call.kind, call.subject) == (ActivityKind.CALL, "Discovery call")
    assert call.due_at == datetime(2026, 3, 9, 14, 30, tzinfo=timezone.utc)
    assert (call.account_id, call.contact_id, call.campaign_id) == (
        account.id,
        contact.id,
        CAMPAIGN,
    )

    # The lead's own activities now also belong to the contact and the account.
    for original in (emailed, called):
        relinked = load(store, original.id)
        assert (relinked.lead_id, relinked.contact_id, relinked.account_id) == (
            lead.id,
            contact.id,
            account.id,
        )
        assert relinked.subject == original.subject
        assert relinked.updated_at == CONVERT_AT
    kept_referral = load(store, referred.id)
    assert (kept_referral.contact_id, kept_referral.account_id) == (contact.id, partner.id)

    kept = load(store, lead.id)
    assert kept == result.lead
    assert (kept.status, kept.marketing_stage) == ("converted", "opportunity")
    assert kept.converted_at == CONVERT_AT
    assert (
        kept.converted_account_id,
        kept.converted_contact_id,
        kept.converted_opportunity_id,
    ) == (account.id, contact.id, opportunity.id)

    recorded = history(store, "lead", lead.id)
    (done,) = [r.event for r in recorded if isinstance(r.event, LeadConverted)]
    assert done == LeadConverted(
        entity_id=lead.id.value,
        account_id=account.id,
        contact_id=contact.id,
        opportunity_id=opportunity.id,
        created=("account", "contact", "opportunity"),
        at=CONVERT_AT,
        actor="ana",
    )
    assert done in result.events
    assert state_changes(recorded, "lead") == [
        ("qualify", "new", "qualified", QUALIFY_AT, "ana", None),
        ("convert", "qualified", "converted", CONVERT_AT, "ana", None),
    ]
    # The log alone tells the lead's states.
    events = [r.event for r in recorded]
    assert LEAD_LIFECYCLE.replay(events) == kept.status
    assert MARKETING_STAGES.replay(events) == kept.marketing_stage


def test_convert_into_an_explicit_account_and_contact(store: Store) -> None:
    lead = qualified_lead(store)
    # Decoys that would match the lead by domain, name and e-mail: the explicit ids win.
    decoy_account = Account(name="Acme GmbH", created_at=T0, website_domain="acme.com")
    decoy_contact = Contact(created_at=T0, email="ana.lima@acme.com", first_name="Ana")
    account = Account(name="Holding AG", created_at=T0, website_domain="holding.example")
    contact = Contact(created_at=T0, first_name="Ana", account_id=account.id)
    put(store, decoy_account, decoy_contact, account, contact)

    result = run(
        store, convert_lead, lead.id, at=CONVERT_AT, account_id=account.id, contact_id=contact.id
    )
    assert (result.account_match, result.contact_match) == ("explicit", "explicit")
    assert result.created == ("opportunity",)
    assert result.matched == ("account", "contact")
    assert (result.account.id, result.contact.id) == (account.id, contact.id)
    assert count(store, Account) == 2
    assert count(store, Contact) == 2
    kept = load(store, lead.id)
    assert (kept.converted_account_id, kept.converted_contact_id) == (account.id, contact.id)
    (done,) = [
        r.event for r in history(store, "lead", lead.id) if isinstance(r.event, LeadConverted)
    ]
    assert done.created == ("opportunity",)


def test_convert_uses_the_account_of_the_contact_matched_by_email(store: Store) -> None:
    elsewhere = Account(name="Lima Consulting", created_at=T0)
    same_domain = Account(name="Acme GmbH", created_at=T0, website_domain="acme.com")
    contact = Contact(created_at=T0, email="Ana.Lima@ACME.com", account_id=elsewhere.id)
    put(store, elsewhere, same_domain, contact)
    lead = qualified_lead(store)  # ana.lima@acme.com: the same address in other case

    result = run(store, convert_lead, lead.id, at=CONVERT_AT)
    assert (result.contact_match, result.account_match) == ("email", "contact")
    assert (result.contact.id, result.account.id) == (contact.id, elsewhere.id)
    assert result.created == ("opportunity",)
    assert load(store, result.opportunity.id).account_id == elsewhere.id
    assert count(store, Account) == 2
    assert count(store, Contact) == 1


@pytest.mark.parametrize(
    ("lead_changes", "route"),
    [
        pytest.param({}, "website_domain", id="by-website"),
        pytest.param({"website": None}, "website_domain", id="by-company-email-domain"),
        pytest.param(
            {"website": None, "email": "ana@gmail.com", "company": "ACME, Inc."},
            "company_name",
            id="by-normalised-company-name",
        ),
    ],
)
def test_convert_matches_an_account(store: Store, lead_changes: dict[str, Any], route: str) -> None:
    existing = Account(name="Acme", created_at=T0, website_domain="acme.com")
    other = Account(name="Bolt", created_at=T0, website_domain="bolt.io")
    put(store, existing, other)
    lead = qualified_lead(store, **{"company": "Acme Manufacturing", **lead_changes})

    result = run(store, convert_lead, lead.id, at=CONVERT_AT)
    assert result.account_match == route
    assert result.account.id == existing.id
    assert result.created == ("contact", "opportunity")
    assert result.matched == ("account",)
    assert count(store, Account) == 2
    assert load(store, result.contact.id).account_id == existing.id
    account = load(store, existing.id)
    assert account.name == "Acme"  # a matched account keeps its name
    assert account.industry == "manufacturing"  # and gains what it lacked


def test_a_free_mail_domain_does_not_match_an_account(store: Store) -> None:
    gmail = Account(name="Google Mail", created_at=T0, website_domain="gmail.com")
    put(store, gmail)
    lead = qualified_lead(
        store, website=None, email="ana.lima@gmail.com", company="Lima Consulting"
    )

    result = run(store, convert_lead, lead.id, at=CONVERT_AT)
    assert result.account_match == "created"
    assert result.account.id != gmail.id
    account = load(store, result.account.id)
    assert (account.name, account.website_domain) == ("Lima Consulting", None)
    assert count(store, Account) == 2


def test_the_oldest_of_several_matches_wins(store: Store) -> None:
    # The older records get the larger ids, so only their creation time says which is oldest.
    low, high = sorted([AccountId.new(), AccountId.new()])
    newer_account = Account(id=low, name="Acme Two", created_at=T0, website_domain="acme.com")
    older_account = Account(
        id=high, name="Acme One", created_at=T0 - timedelta(days=30), website_domain="acme.com"
    )
    first, second = sorted([ContactId.new(), ContactId.new()])
    newer_contact = Contact(id=first, created_at=T0, email="ana.lima@acme.com", first_name="Newer")
    older_contact = Contact(
        id=second,
        created_at=T0 - timedelta(days=30),
        email="ANA.LIMA@acme.com",
        first_name="Older",
    )
    put(store, newer_account, older_account, newer_contact, older_contact)
    lead = qualified_lead(store)

    result = run(store, convert_lead, lead.id, at=CONVERT_AT)
    assert (result.contact_match, result.account_match) == ("email", "website_domain")
    assert result.contact.id == older_contact.id
    assert result.account.id == older_account.id
    assert load(store, older_contact.id).account_id == older_account.id
    # The others are left as they were.
    assert load(store, newer_contact.id) == attrs.evolve(newer_contact, version=1)
    assert load(store, newer_account.id) == attrs.evolve(newer_account, version=1)


def test_a_lead_without_any_company_needs_an_account_id(store: Store) -> None:
    lead = qualified_lead(store, company=None, website=None, email="ana.lima@gmail.com")
    before = snapshot(store)
    with pytest.raises(ValidationError) as invalid:
        run(store, convert_lead, lead.id, at=CONVERT_AT)
    assert [problem.path for problem in invalid.value.problems] == ["company"]
    assert "pass account_id" in str(invalid.value)
    after = snapshot(store)
    assert after == before, before.diff(after)

    account = Account(name="Lima Consulting", created_at=T0)
    put(store, account)
    result = run(store, convert_lead, lead.id, at=CONVERT_AT, account_id=account.id)
    assert result.account_match == "explicit"
    assert load(store, lead.id).status == "converted"


def test_converting_twice_names_what_the_lead_became(store: Store) -> None:
    lead, opportunity = converted(store)
    before = snapshot(store)
    with pytest.raises(InvalidTransition) as refused:
        run(store, convert_lead, lead.id, at=CLOSE_AT)
    message = str(refused.value)
    assert str(lead.converted_account_id) in message
    assert str(lead.converted_contact_id) in message
    assert str(opportunity.id) in message
    assert "already converted" in message
    assert (refused.value.state, refused.value.action) == ("converted", "convert")
    assert snapshot(store) == before


def test_converting_a_lead_that_is_not_qualified_is_refused(store: Store) -> None:
    lead = make_lead(status="working")
    put(store, lead, lead_activity(lead, "Welcome"))
    before = snapshot(store)
    with pytest.raises(InvalidTransition) as refused:
        run(store, convert_lead, lead.id, at=CONVERT_AT)
    assert (refused.value.state, refused.value.action) == ("working", "convert")
    assert "convert" not in refused.value.allowed
    after = snapshot(store)
    assert after == before, before.diff(after)


@pytest.mark.parametrize(
    ("authority", "roles"),
    [
        pytest.param(Authority.DECISION_MAKER, ["decision maker"], id="decision-maker"),
        pytest.param(Authority.INFLUENCER, ["influencer"], id="influencer"),
        pytest.param(Authority.NONE, [], id="none"),
    ],
)
def test_the_opportunity_takes_the_contact_role_from_bant_authority(
    store: Store, authority: Authority, roles: list[str]
) -> None:
    _, opportunity = converted(store, bant=full_bant(authority=authority))
    kept = load(store, opportunity.id)
    assert [role.role for role in kept.contact_roles] == roles
    assert all(role.contact_id == kept.primary_contact_id for role in kept.contact_roles)


def test_without_bant_budget_and_timeline_the_opportunity_has_no_amount_or_date(
    store: Store,
) -> None:
    lead = make_lead(bant=full_bant(timeline=False), first_touch=None, touches=(SECOND_TOUCH,))
    put(store, lead)
    run(store, qualify_lead, lead.id, at=QUALIFY_AT)
    result = run(store, convert_lead, lead.id, at=CONVERT_AT)
    kept = load(store, result.opportunity.id)
    assert kept.amount == Money.of("48000", "EUR")
    assert kept.expected_close_date is None
    assert kept.campaign_id is None  # no touch names a campaign


def test_convert_without_an_opportunity(store: Store) -> None:
    lead = qualified_lead(store)
    put(store, lead_activity(lead, "Welcome"))
    result = run(store, convert_lead, lead.id, at=CONVERT_AT, create_opportunity=False)
    assert result.opportunity is None
    assert result.created == ("account", "contact")
    assert result.playbook_activities == ()
    assert count(store, Opportunity) == 0
    assert count(store, Activity) == 1
    kept = load(store, lead.id)
    assert (kept.status, kept.marketing_stage) == ("converted", "sql")
    assert kept.converted_opportunity_id is None
    recorded = history(store, "lead", lead.id)
    (done,) = [r.event for r in recorded if isinstance(r.event, LeadConverted)]
    assert (done.created, done.opportunity_id) == (("account", "contact"), None)
    assert MARKETING_STAGES.replay(r.event for r in recorded) == "sql"


# ====================================================================== merge


def test_a_matched_contact_keeps_its_fields_and_gains_the_leads(store: Store) -> None:
    own_touch = Touchpoint(occurred_at=T0 - timedelta(days=60), source="trade fair")
    contact = Contact(
        created_at=T0 - timedelta(days=60),
        first_name="Anna",
        title="COO",
        email="ana.lima@acme.com",
        role="influencer",
        consent=Consent()
        .record("email", given=False, at=T0 - timedelta(days=30), source="unsubscribe")
        .record("phone", given=True, at=T0 - timedelta(days=60), source="fair"),
        first_touch=own_touch,
        touches=(own_touch, SECOND_TOUCH),
        owner="rep-2",
    )
    put(store, contact)
    lead = qualified_lead(store)  # e-mail consent given at T0, newer than the withdrawal

    result = run(store, convert_lead, lead.id, at=CONVERT_AT)
    assert result.contact_match == "email"
    kept = load(store, contact.id)
    assert kept == result.contact
    # Its own values stay ...
    assert (kept.first_name, kept.title, kept.role, kept.owner) == (
        "Anna",
        "COO",
        "influencer",
        "rep-2",
    )
    assert kept.first_touch == own_touch
    assert kept.source_lead_id == lead.id
    # ... the blanks are filled from the lead ...
    assert kept.last_name == "Lima"
    assert kept.phone == PhoneNumber(raw="+49 30 1234567")
    assert kept.account_id == result.account.id
    # ... the lead's touches are added once ...
    assert kept.touches == (own_touch, SECOND_TOUCH, FIRST_TOUCH)
    # ... and the newer consent decision wins, channel by channel.
    assert kept.consent.email == lead.consent.email
    assert kept.consent.phone == contact.consent.phone
    assert kept.updated_at == CONVERT_AT
    assert kept.version == 2


def test_an_older_consent_on_the_lead_does_not_replace_the_contacts(store: Store) -> None:
    withdrawn = Consent().record("email", given=False, at=QUALIFY_AT, source="unsubscribe")
    contact = Contact(created_at=T0, email="ana.lima@acme.com", consent=withdrawn)
    put(store, contact)
    lead = qualified_lead(store)  # consent given at T0, before the withdrawal
    run(store, convert_lead, lead.id, at=CONVERT_AT)
    assert load(store, contact.id).consent == withdrawn


# ============================================================= opportunities


def test_move_records_stage_history_and_runs_the_playbook(store: Store) -> None:
    _, opportunity = converted(store)
    change = run(store, move_opportunity, opportunity.id, "needs_analysis", at=MOVE_AT)
    kept = load(store, opportunity.id)
    assert kept == change.opportunity
    assert kept.stage == "needs_analysis"
    assert kept.stage_history == (
        StageVisit(stage="prospecting", entered_at=CONVERT_AT, left_at=MOVE_AT),
        StageVisit(stage="needs_analysis", entered_at=MOVE_AT),
    )
    (task,) = change.activities
    assert load(store, task.id).subject == "Write up requirements"
    assert task.subject == "Write up requirements"
    # Five business days after a Friday: the next Friday.
    assert task.due_at == datetime(2026, 3, 13, 10, 0, tzinfo=timezone.utc)
    assert state_changes(history(store, "opportunity", opportunity.id), "default") == [
        ("move:needs_analysis", "prospecting", "needs_analysis", MOVE_AT, "ana", None)
    ]


def test_moving_on_past_an_unmet_exit_criterion_is_refused(store: Store) -> None:
    _, opportunity = converted(store, bant=full_bant(timeline=False))
    before = snapshot(store)
    # Skipping qualification needs its exit criterion (a close date) all the same.
    with pytest.raises(InvalidTransition) as refused:
        run(store, move_opportunity, opportunity.id, "needs_analysis", at=MOVE_AT)
    assert refused.value.reason == "the close date is not set"
    assert (refused.value.entity, refused.value.state) == ("opportunity", "prospecting")
    run(store, move_opportunity, opportunity.id, "qualification", at=MOVE_AT)
    with pytest.raises(InvalidTransition, match="the close date is not set"):
        run(store, move_opportunity, opportunity.id, "proposal", at=CLOSE_AT)
    after = snapshot(store)
    assert [line for line in before.diff(after) if line.startswith("opportunity")] == [
        f"opportunity {opportunity.id}: changed (stage, stage_history, updated_at, version)"
    ]
    assert load(store, opportunity.id).stage == "qualification"


def test_close_won_needs_an_amount_and_a_close_date(store: Store) -> None:
    deal = open_deal(store)
    before = snapshot(store)
    with pytest.raises(InvalidTransition) as refused:
        run(store, close_opportunity, deal.id, won=True, at=CLOSE_AT)
    assert refused.value.reason == "the amount is not set; the close date is not set"
    assert snapshot(store) == before

    change = run(
        store,
        close_opportunity,
        deal.id,
        won=True,
        at=CLOSE_AT,
        amount=Money.of("12000", "EUR"),
        close_date=date(2026, 3, 13),
        reason="best fit",
    )
    kept = load(store, deal.id)
    assert kept == change.opportunity
    assert (kept.stage, kept.amount, kept.expected_close_date, kept.close_reason) == (
        "closed_won",
        Money.of("12000", "EUR"),
        date(2026, 3, 13),
        "best fit",
    )
    assert kept.stage_history[-1] == StageVisit(stage="closed_won", entered_at=CLOSE_AT)
    assert DEFAULT_PIPELINE.forecast_category(kept) is ForecastCategory.CLOSED
    (handover,) = stored(store, Activity, opportunity_id=deal.id)
    assert handover.subject == "Hand over to onboarding"
    assert handover.due_at == datetime(2026, 3, 16, 16, 0, tzinfo=timezone.utc)  # Monday


def test_close_lost_needs_a_reason_and_records_the_competitor(store: Store) -> None:
    deal = open_deal(store, competitors=("Initrode",))
    before = snapshot(store)
    with pytest.raises(InvalidTransition) as refused:
        run(store, close_opportunity, deal.id, won=False, at=CLOSE_AT, competitor="Globex")
    assert refused.value.reason == "a reason is required"
    assert snapshot(store) == before

    run(
        store,
        close_opportunity,
        deal.id,
        won=False,
        at=CLOSE_AT,
        reason="price",
        competitor="Globex",
    )
    kept = load(store, deal.id)
    assert (kept.stage, kept.close_reason, kept.lost_to) == ("closed_lost", "price", "Globex")
    assert kept.competitors == ("Initrode", "Globex")
    (review,) = stored(store, Activity, opportunity_id=deal.id)
    assert review.subject == "Loss review"
    assert state_changes(history(store, "opportunity", deal.id), "default") == [
        ("close_lost", "prospecting", "closed_lost", CLOSE_AT, "ana", "price")
    ]


def test_close_won_makes_the_source_lead_a_customer(store: Store) -> None:
    lead, opportunity = converted(store)
    run(store, close_opportunity, opportunity.id, won=True, at=CLOSE_AT, actor="bo")
    kept = load(store, lead.id)
    assert (kept.status, kept.marketing_stage) == ("converted", "customer")
    recorded = history(store, "lead", lead.id)
    assert state_changes(recorded, "marketing")[-1] == (
        "advance:customer",
        "opportunity",
        "customer",
        CLOSE_AT,
        "bo",
        None,
    )
    assert MARKETING_STAGES.replay(r.event for r in recorded) == "customer"


def test_close_lost_leaves_the_source_lead_alone(store: Store) -> None:
    lead, opportunity = converted(store)
    run(store, close_opportunity, opportunity.id, won=False, at=CLOSE_AT, reason="no budget")
    assert load(store, lead.id) == lead


def test_reopen_returns_to_the_stage_the_deal_was_closed_from(store: Store) -> None:
    _, opportunity = converted(store)
    run(store, move_opportunity, opportunity.id, "needs_analysis", at=MOVE_AT)
    run(
        store,
        close_opportunity,
        opportunity.id,
        won=False,
        at=CLOSE_AT,
        reason="timing",
        competitor="Globex",
    )
    change = run(store, reopen_opportunity, opportunity.id, at=REOPEN_AT, reason="budget freed")
    kept = load(store, opportunity.id)
    assert kept == change.opportunity
    assert kept.stage == "needs_analysis"
    assert (kept.close_reason, kept.lost_to) == (None, None)
    assert kept.competitors == ("Globex",)
    assert [visit.stage for visit in kept.stage_history] == [
        "prospecting",
        "needs_analysis",
        "closed_lost",
        "needs_analysis",
    ]
    assert kept.stage_history[-2:] == (
        StageVisit(stage="closed_lost", entered_at=CLOSE_AT, left_at=REOPEN_AT),
        StageVisit(stage="needs_analysis", entered_at=REOPEN_AT),
    )
    assert state_changes(history(store, "opportunity", opportunity.id), "default")[-1] == (
        "reopen:needs_analysis",
        "closed_lost",
        "needs_analysis",
        REOPEN_AT,
        "ana",
        "budget freed",
    )


ENTERPRISE = Pipeline(
    name="enterprise",
    stages=(
        Stage(name="discovery", probability=0.1, forecast_category="pipeline"),
        Stage(
            name="security_review",
            probability=0.4,
            forecast_category="best_case",
            playbook=(PlaybookStep(kind="task", subject="Send the security pack", due_in=1),),
        ),
        Stage(name="won", probability=1.0, forecast_category="closed", outcome=Outcome.WON),
        Stage(name="lost", probability=0.0, forecast_category="omitted", outcome=Outcome.LOST),
    ),
)


def test_each_deal_moves_by_its_own_pipeline(store: Store) -> None:
    default_deal = open_deal(store)
    enterprise_deal = open_deal(store, pipeline=ENTERPRISE)
    pipelines = [DEFAULT_PIPELINE, ENTERPRISE]

    change = run(
        store,
        move_opportunity,
        enterprise_deal.id,
        "security_review",
        at=MOVE_AT,
        pipelines=pipelines,
    )
    assert load(store, enterprise_deal.id).stage == "security_review"
    assert [a.subject for a in change.activities] == ["Send the security pack"]
    assert state_changes(history(store, "opportunity", enterprise_deal.id), "enterprise") == [
        ("move:security_review", "discovery", "security_review", MOVE_AT, "ana", None)
    ]
    run(store, move_opportunity, default_deal.id, "qualification", at=MOVE_AT, pipelines=pipelines)
    assert load(store, default_deal.id).stage == "qualification"

    # Without its pipeline among those given, a deal cannot be moved.
    before = snapshot(store)
    with pytest.raises(NotFound) as missing:
        run(store, move_opportunity, enterprise_deal.id, "won", at=CLOSE_AT)
    assert (missing.value.entity, missing.value.key) == ("pipeline", "enterprise")
    with pytest.raises(NotFound):
        run(store, close_opportunity, enterprise_deal.id, won=False, at=CLOSE_AT, reason="x")
    # A stage that the deal's pipeline does not have is refused, too.
    with pytest.raises(InvalidTransition):
        run(
            store,
            move_opportunity,
            enterprise_deal.id,
            "proposal",
            at=CLOSE_AT,
            pipelines=pipelines,
        )
    assert snapshot(store) == before


def test_convert_returns_the_playbook_activities_as_stored(store: Store) -> None:
    lead = qualified_lead(store)
    result = run(store, convert_lead, lead.id, at=CONVERT_AT)
    (call,) = result.playbook_activities
    assert call == load(store, call.id)
    # What a caller would do next: complete the task it was handed.
    done = attrs.evolve(call, completed_at=MOVE_AT, updated_at=MOVE_AT)
    with store.unit_of_work() as uow:
        uow.activities.update(done)
        uow.commit()


def test_move_returns_the_playbook_activities_as_stored(store: Store) -> None:
    _, opportunity = converted(store)
    change = run(store, move_opportunity, opportunity.id, "needs_analysis", at=MOVE_AT)
    (task,) = change.activities
    assert task == load(store, task.id)


# ======================================================================== failure


def test_a_failing_service_rolls_back_and_leaves_the_unit_of_work_usable(store: Store) -> None:
    lead = qualified_lead(store)
    put(store, lead_activity(lead, "Welcome"))
    before = snapshot(store)
    with store.unit_of_work(actor="ana") as uow:
        # A blank opportunity name fails after the account and the contact were added.
        with pytest.raises(ValidationError, match="name"):
            convert_lead(uow, lead.id, at=CONVERT_AT, actor="ana", opportunity_name=" ")
        assert uow.accounts.count(Query(Account)) == 0
        assert uow.contacts.count(Query(Contact)) == 0
        assert uow.leads.get(lead.id).status == "qualified"
        result = convert_lead(uow, lead.id, at=CONVERT_AT, actor="ana", opportunity_name="Acme")
    assert result.opportunity is not None
    after = snapshot(store)
    assert load(store, lead.id).status == "converted"
    assert count(store, Account) == count(store, Contact) == count(store, Opportunity) == 1
    assert load(store, result.opportunity.id).name == "Acme"
    assert sum(line.endswith(": added") for line in before.diff(after)) == 4  # + playbook


def test_advancing_the_marketing_stage_backwards_is_refused(store: Store) -> None:
    lead = make_lead(marketing_stage="mql")
    put(store, lead)
    with pytest.raises(InvalidTransition) as refused:
        run(store, advance_marketing_stage, lead.id, "lead", at=QUALIFY_AT)
    assert refused.value.state == "mql"
    run(store, advance_marketing_stage, lead.id, "sql", at=QUALIFY_AT)
    assert load(store, lead.id).marketing_stage == "sql"


# ====================================================================== scoring

SCORE_AT = datetime(2026, 3, 4, 12, 0, tzinfo=timezone.utc)
VISITS = EngagementModel(
    name="engagement",
    rules=[ActivityRule(name="web visits", kinds=["web_visit"], points=10)],
    bands=Bands.of(hot=30, warm=10, cold=float("-inf")),
)
TO_STAGES = StageThresholds(minimums={"sql": 40, "mql": 20})


def visit(lead: Lead, days_before: float) -> Activity:
    """A web visit of ``lead``, ``days_before`` SCORE_AT."""
    return Activity(
        created_at=T0,
        kind=ActivityKind.WEB_VISIT,
        occurred_at=SCORE_AT - timedelta(days=days_before),
        direction=Direction.INBOUND,
        lead_id=lead.id,
    )


def test_score_lead_keeps_the_score_and_advances_the_marketing_stage(store: Store) -> None:
    lead, other = make_lead(), make_lead(email="bo@acme.com")
    # Two visits before SCORE_AT and one after it (not yet happened); the other lead's
    # visits are not this lead's.
    put(store, lead, other, visit(lead, 1), visit(lead, 2), visit(lead, -1), visit(other, 1))
    kept, score = run(store, score_lead, lead.id, VISITS, at=SCORE_AT, thresholds=TO_STAGES)
    assert (score.value, score.band) == (20.0, "warm")
    assert [(c.name, c.points) for c in score.contributions] == [("web visits", 20.0)]
    assert kept == load(store, lead.id)
    assert kept.score == LeadScore(value=20.0, model="engagement", scored_at=SCORE_AT, grade="warm")
    assert kept.marketing_stage == "mql"
    assert state_changes(history(store, "lead", lead.id), "marketing") == [
        ("advance:mql", "lead", "mql", SCORE_AT, "ana", "engagement score 20, warm")
    ]
    assert load(store, other.id).score is None


def test_score_lead_never_moves_a_stage_back_and_works_without_thresholds(store: Store) -> None:
    lead = make_lead(marketing_stage="sql")
    put(store, lead, visit(lead, 1))
    kept, score = run(store, score_lead, lead.id, VISITS, at=SCORE_AT, thresholds=TO_STAGES)
    assert score.value == 10.0
    assert (kept.marketing_stage, kept.score.value if kept.score else None) == ("sql", 10.0)
    assert state_changes(history(store, "lead", lead.id), "marketing") == []
    fresh = make_lead(email="cy@acme.com")
    put(store, fresh, visit(fresh, 1), visit(fresh, 3), visit(fresh, 5), visit(fresh, 6))
    kept, _ = run(store, score_lead, fresh.id, VISITS, at=SCORE_AT)
    assert (kept.marketing_stage, kept.score.value if kept.score else None) == ("lead", 40.0)


def test_score_leads_scores_every_stored_lead_in_batches(store: Store) -> None:
    ana, bo, cy = (
        make_lead(),
        make_lead(email="bo@acme.com"),
        make_lead(email="cy@acme.com", marketing_stage="sql"),
    )
    put(store, ana, bo, cy, visit(ana, 1), visit(ana, 2), *(visit(cy, d) for d in (1, 2, 3, 4)))
    batches: list[int] = []
    stored = score_leads(
        store,
        VISITS,
        at=SCORE_AT,
        thresholds=TO_STAGES,
        batch_size=2,
        actor="ana",
        on_batch=batches.append,
    )
    assert batches == [2, 1]
    values = {
        lead.id: (lead.score.value if lead.score else None, lead.marketing_stage) for lead in stored
    }
    # 10 points a visit: Ana 20 (mql), Bo nothing, Cy 40 (sql already: stays).
    assert values == {ana.id: (20.0, "mql"), bo.id: (0.0, "lead"), cy.id: (40.0, "sql")}
    assert {lead.id: load(store, lead.id) for lead in stored} == {lead.id: lead for lead in stored}
    assert state_changes(history(store, "lead", ana.id), "marketing") == [
        ("advance:mql", "lead", "mql", SCORE_AT, "ana", "engagement score 20, warm")
    ]
    assert state_changes(history(store, "lead", cy.id), "marketing") == []
    with pytest.raises(ValidationError, match="batch_size"):
        score_leads(store, VISITS, at=SCORE_AT, batch_size=0)


def test_import_leads_stores_each_lead_once_in_batches(store: Store) -> None:
    ana = make_lead(external_id="x-1")
    bo = make_lead(email="bo@acme.com", external_id="x-2")
    again = make_lead(email=" Ana.Lima@ACME.com")  # Ana's address in another case: the same person
    cy = make_lead(email="cy@acme.com", external_id="x-1")  # Ana's external id
    dee = make_lead(email="dee@acme.com")
    summary = import_leads(
        store,
        [ana, bo, again, cy, dee],
        [visit(ana, 1), visit(again, 1), visit(dee, 2)],
        batch_size=2,
    )
    assert summary == ImportSummary(added=3, skipped=2, activities=2, batches=2)
    assert {lead.id for lead in stored(store, Lead)} == {ana.id, bo.id, dee.id}
    assert {a.lead_id for a in stored(store, Activity)} == {ana.id, dee.id}
    # The same leads again (new ids, as a second read of the same file gives) add nothing.
    copies = [attrs.evolve(lead, id=LeadId.new()) for lead in (ana, bo, dee)]
    assert import_leads(store, copies, batch_size=2) == ImportSummary(
        added=0, skipped=3, activities=0, batches=0
    )
    assert len(stored(store, Lead)) == 3


def test_score_lead_stores_nothing_when_the_model_fails(store: Store) -> None:
    lead = make_lead()
    put(store, lead, visit(lead, 1))
    before = snapshot(store)

    @attrs.frozen
    class Broken:
        name: str = "broken"

        def score(self, lead: Lead, activities: Any = (), *, at: datetime) -> Any:
            raise RuntimeError("the model is broken")

    with store.unit_of_work(actor="ana") as uow, pytest.raises(RuntimeError, match="broken"):
        score_lead(uow, lead.id, Broken(), at=SCORE_AT, thresholds=TO_STAGES)  # type: ignore[arg-type]
    assert snapshot(store).diff(before) == []


# ================================================================= forecasting


def test_forecast_reads_the_stored_pipeline_as_it_stood_at_a_moment(store: Store) -> None:
    """A deal stored at 1,000 expected this quarter, then raised to 3,000 and moved to next.

    The event log records the store's own (real) time, so the quarters are this one and
    the next; forecasts made with the log see each version at the moment it was known.
    """
    this_quarter = CALENDAR.period_of(datetime.now(timezone.utc).date(), "quarter")
    next_quarter = CALENDAR.shift(this_quarter, 1)
    opened = DEFAULT_PIPELINE.open(
        name="Acme rollout",
        at=T0,
        amount=Money.of(1000, "EUR"),
        expected_close_date=this_quarter.last_day,
    ).opportunity
    with store.unit_of_work(actor="sam") as uow:
        deal = uow.opportunities.add(opened)
        uow.commit()
    with store.unit_of_work(actor="sam") as uow:
        deal = uow.opportunities.update(
            attrs.evolve(deal, amount=Money.of(3000, "EUR"), expected_close_date=next_quarter.start)
        )
        uow.commit()
    with store.unit_of_work() as uow:
        added, updated = [r.recorded_at for r in uow.events.read(entity="opportunity")]
        assert added < updated
        between = added + (updated - added) / 2

        # As the deal stood between the two commits: 1,000 this quarter, prospecting 10 %.
        (then,) = opportunities_as_of(uow, between)
        assert then.amount == Money.of(1000, "EUR")
        assert then.expected_close_date == this_quarter.last_day
        early = forecast(uow, period=this_quarter, at=between, method="exact")
        assert early.open_deals == 1
        assert early.weighted == Decimal("100.0")
        assert early.range.probability_at_least(1000) == pytest.approx(0.1)

        # As it stands: 3,000 next quarter, so this quarter expects nothing.
        assert opportunities_as_of(uow) == [deal]
        assert forecast(uow, period=this_quarter, at=updated, method="exact").weighted == 0
        late = forecast(uow, period=next_quarter, at=updated, method="exact")
        assert late.weighted == Decimal("300.0")

        # Without the log only the stage history is rebuilt: today's amount and date.
        (known,) = opportunities_as_of(uow, between, use_log=False)
        assert known.amount == Money.of(3000, "EUR")

        # Before the deal entered its first stage it did not exist.
        assert opportunities_as_of(uow, T0 - timedelta(days=1), use_log=False) == []


def test_forecast_sees_the_stage_a_deal_was_in(store: Store) -> None:
    deal = DEFAULT_PIPELINE.open(
        name="Globex",
        at=T0,
        amount=Money.of(2000, "EUR"),
        expected_close_date=date(2026, 3, 31),
        contact_roles=(ContactRole(contact_id=ContactId.new(), role="decision maker"),),
    ).opportunity
    with store.unit_of_work(actor="sam") as uow:
        uow.opportunities.add(deal)
        uow.commit()
    with store.unit_of_work(actor="sam") as uow:
        move_opportunity(uow, deal.id, "negotiation", at=MOVE_AT, actor="sam")
    with store.unit_of_work() as uow:
        before = forecast(uow, period="2026Q1", at=T0 + timedelta(days=1), use_log=False, seed=1)
        after = forecast(uow, period="2026Q1", at=MOVE_AT, use_log=False, seed=1)
    assert before.weighted == Decimal("200.0")  # prospecting, 10 %
    assert after.weighted == Decimal("1600.0")  # negotiation, 80 %
    assert after.range.trials == 10_000
