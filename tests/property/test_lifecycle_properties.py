"""Properties of rule tables, pipelines and conversion under random sequences of actions."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

import leadflow
from leadflow import (
    BANT,
    Account,
    Assessment,
    Authority,
    Consent,
    Contact,
    InvalidTransition,
    Lead,
    Money,
    Need,
    Query,
)
from leadflow.events import StateChanged
from leadflow.lifecycle import (
    LEAD_LIFECYCLE,
    MARKETING_STAGES,
    RuleTable,
    Transition,
    apply_lead_action,
)
from leadflow.pipelines import DEFAULT_PIPELINE
from leadflow.services import convert_lead, qualify_lead, transition_lead
from leadflow.testing import strategies as lf

UTC = timezone.utc
T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

LEAD_ACTIONS = sorted({t.action for t in LEAD_LIFECYCLE.transitions} | {"fly"})
REASONS = st.sampled_from([None, "no budget", "spam", "meh"])


@st.composite
def rule_tables(draw: Any) -> RuleTable:
    """Random valid rule tables: a spanning tree from the initial state plus extra edges."""
    count = draw(st.integers(min_value=1, max_value=7))
    names = [f"s{i}" for i in range(count)]
    actions = ["a", "b", "c", "d"]
    used: set[tuple[str, str]] = set()
    transitions: list[Transition] = []

    def add(source: str, target: str) -> None:
        free = [a for a in actions if (source, a) not in used]
        if free:
            action = draw(st.sampled_from(free))
            used.add((source, action))
            transitions.append(Transition(source=source, action=action, target=target))

    for i in range(1, count):  # a tree of its own actions: every state reachable from s0
        source = names[draw(st.integers(min_value=0, max_value=i - 1))]
        transitions.append(Transition(source=source, action=f"to_{names[i]}", target=names[i]))
    for _ in range(draw(st.integers(min_value=0, max_value=8))):
        add(draw(st.sampled_from(names)), draw(st.sampled_from(names)))
    sources = {t.source for t in transitions}
    return RuleTable(
        name="random",
        entity="lead",
        field="status",
        states=names,
        initial="s0",
        terminal=frozenset(n for n in names if n not in sources),
        transitions=transitions,
    )


@given(table=rule_tables(), data=st.data())
def test_random_actions_only_follow_the_table(table: RuleTable, data: st.DataObject) -> None:
    lead = Lead(created_at=T, status=table.initial)
    log: list[StateChanged] = []
    for _ in range(data.draw(st.integers(min_value=0, max_value=25))):
        action = data.draw(st.sampled_from(["a", "b", "c", "d", "to_s1", "to_s5"]))
        expected = table.transition(lead.status, action)
        try:
            moved, events = table.apply(lead, action, at=T)
        except InvalidTransition as error:
            assert expected is None
            assert error.allowed == table.actions(lead.status)
            continue
        assert expected is not None
        assert moved.status == expected.target
        log.extend(events)
        lead = moved
    assert lead.status in table.state_names
    assert table.replay(log) == lead.status
    assert RuleTable.from_dict(table.to_dict()) == table


@given(
    lead=lf.leads(status="new", marketing_stage="lead"),
    steps=st.lists(st.tuples(st.sampled_from(LEAD_ACTIONS), REASONS), max_size=20),
)
def test_the_lead_lifecycle_never_leaves_its_table(
    lead: Lead, steps: list[tuple[str, str | None]]
) -> None:
    log: list[StateChanged] = []
    at = max(T, lead.updated_at)
    for action, reason in steps:
        before = lead
        try:
            lead, events = apply_lead_action(lead, action, at=at, reason=reason)
        except InvalidTransition as error:
            assert error.state == before.status
            assert error.allowed == LEAD_LIFECYCLE.actions(before.status)
            continue
        transition = LEAD_LIFECYCLE.transition(before.status, action)
        assert transition is not None
        assert lead.status == transition.target
        assert LEAD_LIFECYCLE.check(before, action, at=at, reason=reason) == []
        if lead.status == "disqualified":
            assert lead.disqualification_reason in ("no budget", "spam")
        log.extend(events)
    assert LEAD_LIFECYCLE.replay(log) == lead.status


def qualified(lead: Lead) -> Lead:
    return attrs.evolve(
        lead,
        owner="ana",
        consent=Consent().record("email", given=True, at=T),
        bant=BANT(
            budget=Assessment(value=Money.of("1000", "EUR"), assessed_at=T),
            authority=Assessment(value=Authority.INFLUENCER, assessed_at=T),
            need=Assessment(value=Need.HIGH, assessed_at=T),
        ),
    )


@settings(max_examples=25)
@given(steps=st.lists(st.sampled_from(["work", "nurture", "qualify", "disqualify"]), max_size=8))
def test_replaying_the_stored_log_rebuilds_the_stored_state(steps: list[str]) -> None:
    store = leadflow.connect("memory://")
    lead = qualified(Lead(created_at=T, email="ada@acme.com"))
    with store.unit_of_work() as uow:
        uow.leads.add(lead)
        uow.commit()
    for i, action in enumerate(steps):
        at = T + timedelta(hours=i)
        with store.unit_of_work(actor="ana") as uow:
            try:
                if action == "qualify":
                    qualify_lead(uow, lead.id, at=at)
                else:
                    reason = "no budget" if action == "disqualify" else None
                    transition_lead(uow, lead.id, action, at=at, reason=reason)
            except InvalidTransition:
                pass
    with store.unit_of_work() as uow:
        stored = uow.leads.get(lead.id)
        events = [r.event for r in uow.events.read(entity="lead", entity_id=lead.id.value)]
    assert LEAD_LIFECYCLE.replay(events) == stored.status
    assert MARKETING_STAGES.replay(events) == stored.marketing_stage


COMPANIES = ["Acme", "ACME Inc.", "Globex", "Initech Ltd", "Umbrella"]
DOMAINS = [None, "acme.com", "globex.com"]
PEOPLE = ["ada", "bo", "chen"]


@st.composite
def prospects(draw: Any) -> Lead:
    """Qualified leads whose people, companies and domains overlap."""
    person = draw(st.sampled_from(PEOPLE))
    mail_domain = draw(st.sampled_from(["acme.com", "globex.com", "gmail.com", "initech.org"]))
    company = draw(st.sampled_from([None, *COMPANIES]))
    website = draw(st.sampled_from(DOMAINS))
    if company is None and website is None and mail_domain == "gmail.com":
        company = "Fallback"  # something to name a new account after
    return qualified(
        Lead(
            created_at=T,
            first_name=person.title(),
            email=f"{person}@{mail_domain}",
            company=company,
            website=website,
            status="qualified",
        )
    )


@settings(max_examples=100)
@given(leads=st.lists(prospects(), min_size=1, max_size=8))
def test_conversion_never_duplicates_what_it_matched(leads: list[Lead]) -> None:
    store = leadflow.connect("memory://")
    with store.unit_of_work() as uow:
        uow.leads.add_many(leads)
        uow.commit()
    results = []
    for lead in leads:
        with store.unit_of_work() as uow:
            results.append(convert_lead(uow, lead.id, at=T, pipeline=DEFAULT_PIPELINE))
    with store.unit_of_work() as uow:
        accounts = list(uow.accounts.stream(Query(Account)))
        contacts = list(uow.contacts.stream(Query(Contact)))
        opportunities = uow.opportunities.count(Query(leadflow.Opportunity))
    domains = [a.website_domain for a in accounts if a.website_domain is not None]
    assert len(domains) == len(set(domains)), domains
    keys = [leadflow.company_key(a.name) for a in accounts]
    assert len(keys) == len(set(keys)), keys
    emails = [str(c.email) for c in contacts]
    assert len(emails) == len(set(emails)), emails
    assert len(accounts) == sum("account" in r.created for r in results)
    assert len(contacts) == sum("contact" in r.created for r in results)
    assert opportunities == len(leads)
    for result in results:
        assert result.contact.account_id == result.account.id or result.contact_match == "email"


def test_an_account_matched_through_its_contact_does_not_take_a_domain_in_use() -> None:
    """Found by the property above: the contact's account must not copy a taken domain."""
    store = leadflow.connect("memory://")
    ada = {"created_at": T, "first_name": "Ada", "status": "qualified"}
    first = qualified(Lead(**ada, email="ada@acme.com"))
    second = qualified(Lead(**ada, email="ada@gmail.com", company="X"))
    third = qualified(Lead(**ada, email="ada@gmail.com", website="https://acme.com"))
    with store.unit_of_work() as uow:
        uow.leads.add_many([first, second, third])
        uow.commit()
    results = []
    for lead in (first, second, third):
        with store.unit_of_work() as uow:
            results.append(convert_lead(uow, lead.id, at=T))
    assert [r.account_match for r in results] == ["created", "created", "contact"]
    assert results[2].account.id == results[1].account.id
    assert results[2].account.website_domain is None  # acme.com belongs to the first account
    with store.unit_of_work() as uow:
        assert [a.id for a in uow.accounts.by_website_domain("acme.com")] == [results[0].account.id]
