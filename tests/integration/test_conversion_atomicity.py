"""Conversion and the deal services are all or nothing, on memory, SQLite and PostgreSQL.

For every write position of a conversion, against memory, SQLite and PostgreSQL,
storage afterwards equals storage before.  Each scene is seeded in a real store; a
probe on a scratch memory store lists the writes the service makes; then the service
runs once for every write position k with a fault injected at write k
(:class:`~leadflow.testing.faults.FaultyStore`), and the store's snapshot must not
change.  At the end the same service runs without a fault and must succeed, storing
exactly what it should.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import attrs
import pytest

import leadflow
from leadflow import (
    BANT,
    Account,
    Activity,
    ActivityKind,
    Assessment,
    Authority,
    CampaignId,
    Consent,
    Contact,
    Lead,
    Money,
    Need,
    Opportunity,
    Query,
    Touchpoint,
)
from leadflow.conversion import ConversionResult
from leadflow.ports import Store, UnitOfWork, entity_spec
from leadflow.services import (
    close_opportunity,
    convert_lead,
    move_opportunity,
    qualify_lead,
    reopen_opportunity,
)
from leadflow.testing.faults import FaultyStore, InjectedFault, StoreSnapshot, snapshot
from tests.integration.postgres_server import require_driver

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)  # a Monday
QUALIFY_AT = datetime(2026, 3, 3, 9, 0, tzinfo=timezone.utc)
CONVERT_AT = datetime(2026, 3, 5, 14, 30, tzinfo=timezone.utc)
SEED_CLOSE_AT = datetime(2026, 3, 6, 11, 0, tzinfo=timezone.utc)
ACT_AT = datetime(2026, 3, 10, 16, 0, tzinfo=timezone.utc)
CAMPAIGN = CampaignId.new()
TOUCH = Touchpoint(occurred_at=T0 - timedelta(days=7), source="google", campaign_id=CAMPAIGN)


# ========================================================================= scenes


def make_lead(**changes: Any) -> Lead:
    """A lead that qualifies (owner, e-mail with consent, full BANT)."""
    fields: dict[str, Any] = {
        "created_at": T0,
        "first_name": "Ana",
        "last_name": "Lima",
        "title": "Head of Operations",
        "email": "ana.lima@acme.com",
        "company": "Acme GmbH",
        "website": "https://www.acme.com",
        "industry": "manufacturing",
        "company_size": 250,
        "owner": "rep-1",
        "consent": Consent().record("email", given=True, at=T0, source="web form"),
        "first_touch": TOUCH,
        "touches": (TOUCH,),
        "bant": BANT(
            budget=Assessment(value=Money.of("48000", "EUR"), assessed_at=T0),
            authority=Assessment(value=Authority.DECISION_MAKER, assessed_at=T0),
            need=Assessment(value=Need.HIGH, assessed_at=T0),
            timeline=Assessment(value=date(2026, 6, 30), assessed_at=T0),
        ),
    }
    fields.update(changes)
    return Lead(**fields)


def lead_activities(lead: Lead) -> tuple[Activity, ...]:
    """Two activities about the lead only: conversion links them to contact and account."""
    return (
        Activity(kind=ActivityKind.EMAIL, created_at=T0, occurred_at=T0, lead_id=lead.id),
        Activity(
            kind=ActivityKind.CALL,
            created_at=T0,
            occurred_at=T0 + timedelta(hours=2),
            lead_id=lead.id,
        ),
    )


def put(uow: UnitOfWork, *entities: Any) -> None:
    for entity in entities:
        getattr(uow, entity_spec(type(entity)).plural).add(entity)
    uow.commit()


def count(store: Store, cls: type[Any]) -> int:
    with store.unit_of_work() as uow:
        return int(getattr(uow, entity_spec(cls).plural).count(Query(cls)))


def load(store: Store, cls: type[Any], entity_id: Any) -> Any:
    with store.unit_of_work() as uow:
        return getattr(uow, entity_spec(cls).plural).get(entity_id)


def changed(before: StoreSnapshot, after: StoreSnapshot) -> Counter[tuple[str, str]]:
    """``(entity kind, "added" | "changed" | "removed")`` counted over a snapshot diff."""
    found: Counter[tuple[str, str]] = Counter()
    for line in before.diff(after):
        if line.startswith("event"):
            continue
        head, _, what = line.partition(": ")
        found[head.split(" ", 1)[0], what.split(" ", 1)[0]] += 1
    return found


def new_events(before: StoreSnapshot, after: StoreSnapshot) -> list[str]:
    """The types of the events appended between two snapshots."""
    assert after.events[: len(before.events)] == before.events
    return [e["event"]["type"] for e in after.events[len(before.events) :]]


@attrs.frozen(kw_only=True)
class Scene:
    """A store's starting content, one service call on it, and what the call must store."""

    #: Stores the scene's starting content (through the services where that is realistic).
    seed: Callable[[Store], None]
    #: The service call under test, in the given unit of work.
    operation: Callable[[UnitOfWork], Any]
    #: The writes the call makes, in order, as FaultyStore names them.
    writes: list[str]
    #: Checks what a successful call stored: (store, snapshot before, call's result).
    check: Callable[[Store, StoreSnapshot, Any], None]


def _qualified(store: Store, lead: Lead, *others: Any) -> None:
    with store.unit_of_work(actor="seed") as uow:
        put(uow, lead, *others)
    with store.unit_of_work(actor="ana") as uow:
        qualify_lead(uow, lead.id, at=QUALIFY_AT, actor="ana")


def _converted(store: Store, lead: Lead, *others: Any) -> None:
    _qualified(store, lead, *others)
    with store.unit_of_work(actor="ana") as uow:
        convert_lead(uow, lead.id, at=CONVERT_AT, actor="ana")


def _deal_of(uow: UnitOfWork, lead: Lead) -> Any:
    opportunity_id = uow.leads.get(lead.id).converted_opportunity_id
    assert opportunity_id is not None
    return opportunity_id


def convert_creating_everything() -> Scene:
    """(a) Nothing matches: account, contact and opportunity are created."""
    lead = make_lead()
    activities = lead_activities(lead)
    # Records that match nothing of the lead's: they must stay as they are.
    other_account = Account(name="Bolt", created_at=T0, website_domain="bolt.io")
    other_contact = Contact(created_at=T0, email="bo@bolt.io", account_id=other_account.id)

    def check(store: Store, before: StoreSnapshot, result: ConversionResult) -> None:
        after = snapshot(store)
        assert changed(before, after) == {
            ("lead", "changed"): 1,
            ("account", "added"): 1,
            ("contact", "added"): 1,
            ("opportunity", "added"): 1,
            ("activity", "added"): 1,
            ("activity", "changed"): 2,
        }
        assert result.created == ("account", "contact", "opportunity")
        assert (count(store, Account), count(store, Contact), count(store, Opportunity)) == (
            2,
            2,
            1,
        )
        assert result.opportunity is not None
        stored_lead = load(store, Lead, lead.id)
        assert (stored_lead.status, stored_lead.marketing_stage) == ("converted", "opportunity")
        assert stored_lead.converted_opportunity_id == result.opportunity.id
        for activity in activities:
            linked = load(store, Activity, activity.id)
            assert (linked.contact_id, linked.account_id) == (result.contact.id, result.account.id)

    return Scene(
        seed=lambda store: _qualified(store, lead, *activities, other_account, other_contact),
        operation=lambda uow: convert_lead(uow, lead.id, at=CONVERT_AT, actor="ana"),
        writes=[
            "account.add",
            "contact.add",
            "opportunity.add",
            "activity.add_many",
            "activity.update",
            "activity.update",
            "lead.update",
            "record",
            "commit",
        ],
        check=check,
    )


def convert_into_existing_records() -> Scene:
    """(b) The account matches by website domain, the contact by e-mail: both are updated."""
    lead = make_lead()
    activities = lead_activities(lead)
    older_touch = Touchpoint(occurred_at=T0 - timedelta(days=90), source="trade fair")
    account = Account(name="ACME", created_at=T0 - timedelta(days=90), website_domain="acme.com")
    contact = Contact(
        created_at=T0 - timedelta(days=90),
        email="Ana.Lima@ACME.com",
        first_name="Anna",
        first_touch=older_touch,
        touches=(older_touch,),
    )

    def check(store: Store, before: StoreSnapshot, result: ConversionResult) -> None:
        after = snapshot(store)
        assert changed(before, after) == {
            ("lead", "changed"): 1,
            ("account", "changed"): 1,
            ("contact", "changed"): 1,
            ("opportunity", "added"): 1,
            ("activity", "added"): 1,
            ("activity", "changed"): 2,
        }
        assert (result.account_match, result.contact_match) == ("website_domain", "email")
        assert result.created == ("opportunity",)
        assert (count(store, Account), count(store, Contact), count(store, Opportunity)) == (
            1,
            1,
            1,
        )
        merged = load(store, Contact, contact.id)
        assert merged.first_name == "Anna"
        assert merged.touches == (older_touch, TOUCH)
        assert merged.account_id == account.id
        assert load(store, Account, account.id).industry == "manufacturing"

    return Scene(
        seed=lambda store: _qualified(store, lead, *activities, account, contact),
        operation=lambda uow: convert_lead(uow, lead.id, at=CONVERT_AT, actor="ana"),
        writes=[
            "account.update",
            "contact.update",
            "opportunity.add",
            "activity.add_many",
            "activity.update",
            "activity.update",
            "lead.update",
            "record",
            "commit",
        ],
        check=check,
    )


def convert_without_opportunity() -> Scene:
    """(c) ``create_opportunity=False``: no deal, no playbook, the stage stays ``sql``."""
    lead = make_lead()
    activities = lead_activities(lead)

    def check(store: Store, before: StoreSnapshot, result: ConversionResult) -> None:
        after = snapshot(store)
        assert changed(before, after) == {
            ("lead", "changed"): 1,
            ("account", "added"): 1,
            ("contact", "added"): 1,
            ("activity", "changed"): 2,
        }
        assert result.created == ("account", "contact")
        assert (count(store, Account), count(store, Contact), count(store, Opportunity)) == (
            1,
            1,
            0,
        )
        stored_lead = load(store, Lead, lead.id)
        assert (stored_lead.status, stored_lead.marketing_stage) == ("converted", "sql")

    return Scene(
        seed=lambda store: _qualified(store, lead, *activities),
        operation=lambda uow: convert_lead(
            uow, lead.id, at=CONVERT_AT, actor="ana", create_opportunity=False
        ),
        writes=[
            "account.add",
            "contact.add",
            "activity.update",
            "activity.update",
            "lead.update",
            "record",
            "commit",
        ],
        check=check,
    )


def close_won() -> Scene:
    """A converted lead's deal is won: the deal, its playbook and the lead's stage change."""
    lead = make_lead()

    def operation(uow: UnitOfWork) -> Any:
        return close_opportunity(uow, _deal_of(uow, lead), won=True, at=ACT_AT, actor="ana")

    def check(store: Store, before: StoreSnapshot, result: Any) -> None:
        after = snapshot(store)
        assert changed(before, after) == {
            ("lead", "changed"): 1,
            ("opportunity", "changed"): 1,
            ("activity", "added"): 1,
        }
        assert load(store, Opportunity, result.opportunity.id).stage == "closed_won"
        assert load(store, Lead, lead.id).marketing_stage == "customer"

    return Scene(
        seed=lambda store: _converted(store, lead),
        operation=operation,
        writes=[
            "opportunity.update",
            "activity.add_many",
            "record",
            "lead.update",
            "record",
            "commit",
        ],
        check=check,
    )


def move() -> Scene:
    """A deal moves on (skipping qualification, whose close date is set)."""
    lead = make_lead()

    def operation(uow: UnitOfWork) -> Any:
        return move_opportunity(uow, _deal_of(uow, lead), "needs_analysis", at=ACT_AT, actor="ana")

    def check(store: Store, before: StoreSnapshot, result: Any) -> None:
        after = snapshot(store)
        assert changed(before, after) == {("opportunity", "changed"): 1, ("activity", "added"): 1}
        deal = load(store, Opportunity, result.opportunity.id)
        assert [visit.stage for visit in deal.stage_history] == ["prospecting", "needs_analysis"]

    return Scene(
        seed=lambda store: _converted(store, lead),
        operation=operation,
        writes=["opportunity.update", "activity.add_many", "record", "commit"],
        check=check,
    )


def reopen() -> Scene:
    """A lost deal is reopened in the stage it was lost from."""
    lead = make_lead()

    def seed(store: Store) -> None:
        _converted(store, lead)
        with store.unit_of_work(actor="ana") as uow:
            close_opportunity(
                uow, _deal_of(uow, lead), won=False, at=SEED_CLOSE_AT, reason="timing"
            )

    def operation(uow: UnitOfWork) -> Any:
        return reopen_opportunity(uow, _deal_of(uow, lead), at=ACT_AT, actor="ana")

    def check(store: Store, before: StoreSnapshot, result: Any) -> None:
        after = snapshot(store)
        assert changed(before, after) == {("opportunity", "changed"): 1, ("activity", "added"): 1}
        deal = load(store, Opportunity, result.opportunity.id)
        assert (deal.stage, deal.close_reason) == ("prospecting", None)

    return Scene(
        seed=seed,
        operation=operation,
        writes=["opportunity.update", "activity.add_many", "record", "commit"],
        check=check,
    )


def qualify() -> Scene:
    """A lead is qualified: one update and its state changes."""
    lead = make_lead()

    def seed(store: Store) -> None:
        with store.unit_of_work(actor="seed") as uow:
            put(uow, lead)

    def check(store: Store, before: StoreSnapshot, result: Any) -> None:
        after = snapshot(store)
        assert changed(before, after) == {("lead", "changed"): 1}
        assert new_events(before, after) == ["entity_updated", "state_changed", "state_changed"]
        assert load(store, Lead, lead.id).status == "qualified"

    return Scene(
        seed=seed,
        operation=lambda uow: qualify_lead(uow, lead.id, at=QUALIFY_AT, actor="ana"),
        writes=["lead.update", "record", "commit"],
        check=check,
    )


SCENES: dict[str, Callable[[], Scene]] = {
    "convert-creating-everything": convert_creating_everything,
    "convert-into-existing-records": convert_into_existing_records,
    "convert-without-opportunity": convert_without_opportunity,
    "close-won": close_won,
    "move": move,
    "reopen": reopen,
    "qualify": qualify,
}


# ========================================================================= stores


StoreFactory = Callable[[str], Store]


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    """``open_store(name)``: a new, empty store of each kind, closed after the test."""
    opened: list[Store] = []
    if request.param == "postgres":
        require_driver()
        postgres_url: Callable[..., str] = request.getfixturevalue("postgres_url")

    def factory(name: str) -> Store:
        if request.param == "memory":
            url = "memory://"
        elif request.param == "sqlite":
            url = f"sqlite:///{tmp_path}/{name}.db"
        else:
            url = postgres_url(name)
        store = leadflow.connect(url)
        opened.append(store)
        return store

    yield factory
    for store in opened:
        store.close()


def probe(scene: Scene) -> list[str]:
    """The writes the scene's operation makes, counted on a scratch memory store."""
    with leadflow.connect("memory://") as scratch:
        scene.seed(scratch)
        counting = FaultyStore(scratch)
        with counting.unit_of_work(actor="ana") as uow:
            scene.operation(uow)
        assert counting.writes == len(counting.operations)
        return counting.operations


# ========================================================================== tests


@pytest.mark.parametrize("name", list(SCENES))
def test_a_fault_at_any_write_leaves_storage_unchanged(open_store: StoreFactory, name: str) -> None:
    scene = SCENES[name]()
    writes = probe(scene)
    # The write pattern is pinned: a change to it is noticed here first.
    assert writes == scene.writes
    assert writes[-1] == "commit"

    store = open_store(name)
    scene.seed(store)
    for k in range(1, len(writes) + 1):
        before = snapshot(store)
        faulty = FaultyStore(store, fail_at=k)
        with pytest.raises(InjectedFault) as fault, faulty.unit_of_work(actor="ana") as uow:
            scene.operation(uow)
        assert (fault.value.position, fault.value.operation) == (k, writes[k - 1])
        assert faulty.operations == writes[:k]
        after = snapshot(store)
        assert after == before, f"fault at write {k} ({writes[k - 1]}): " + "; ".join(
            before.diff(after)
        )

    # The store is still usable, and the same call without a fault stores it all, once.
    before = snapshot(store)
    counting = FaultyStore(store)
    with counting.unit_of_work(actor="ana") as uow:
        result = scene.operation(uow)
    assert counting.operations == writes
    scene.check(store, before, result)


@pytest.mark.parametrize("name", list(SCENES))
def test_after_a_fault_the_same_unit_of_work_can_do_it_again(
    open_store: StoreFactory, name: str
) -> None:
    scene = SCENES[name]()
    store = open_store(name)
    scene.seed(store)
    before = snapshot(store)
    # Fail at the last write before the commit, when everything else is pending.
    last = len(scene.writes) - 1
    faulty = FaultyStore(store, fail_at=last)
    with faulty.unit_of_work(actor="ana") as uow:
        with pytest.raises(InjectedFault):
            scene.operation(uow)
        result = scene.operation(uow)  # rolled back: it starts over, and commits
    assert faulty.operations == scene.writes[:last] + scene.writes
    scene.check(store, before, result)
