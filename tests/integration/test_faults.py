"""leadflow.testing.faults against real stores: a fault at any write leaves storage unchanged."""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path

import attrs
import pytest

import leadflow
from leadflow import Account, LeadflowError, NotFound, ValidationError
from leadflow.adapters.memory import MemoryStore, MemoryUnitOfWork
from leadflow.events import EntityAdded
from leadflow.leads import Lead
from leadflow.ports import ENTITIES, Capability, Query, Store, UnitOfWork
from leadflow.testing.faults import (
    FaultyStore,
    FaultyUnitOfWork,
    InjectedFault,
    StoreSnapshot,
    snapshot,
)
from tests.integration.postgres_server import require_driver

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
T1 = datetime(2026, 1, 6, 9, 0, tzinfo=timezone.utc)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A real store of each kind, with one lead and one account already committed."""
    if request.param == "memory":
        url = "memory://"
    elif request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/x.db"
    else:
        require_driver()
        postgres_url: Callable[..., str] = request.getfixturevalue("postgres_url")
        url = postgres_url()
    with leadflow.connect(url) as opened:
        with opened.unit_of_work(actor="seed") as uow:
            uow.leads.add(Lead(created_at=T0, company="Seeded", external_id="seed-lead"))
            uow.accounts.add(Account(name="Seeded", created_at=T0, external_id="seed-account"))
            uow.commit()
        yield opened


# ===================================================================== operations


def add_update_record(uow: UnitOfWork) -> None:
    """Adds a lead, two accounts at once, updates the lead, records an event, commits."""
    lead = uow.leads.add(Lead(created_at=T1, company="Acme"))
    uow.accounts.add_many(
        [Account(name="Acme", created_at=T1), Account(name="Bolt", created_at=T1)]
    )
    lead = uow.leads.update(attrs.evolve(lead, company="Acme Corp", updated_at=T1))
    uow.record(EntityAdded(entity="lead", entity_id=lead.id.value, version=lead.version))
    uow.commit()


ADD_UPDATE_RECORD = ["lead.add", "account.add_many", "lead.update", "record", "commit"]


def change_seeded(uow: UnitOfWork) -> None:
    """Updates the seeded lead and removes the seeded account: rows that existed before."""
    (lead,) = uow.leads.by_external_id("seed-lead")
    (account,) = uow.accounts.by_external_id("seed-account")
    uow.leads.update(attrs.evolve(lead, company="Changed", updated_at=T1))
    uow.accounts.remove(account)
    uow.commit()


CHANGE_SEEDED = ["lead.update", "account.remove", "commit"]

SCENARIOS = [
    pytest.param(add_update_record, ADD_UPDATE_RECORD, id="add-update-record"),
    pytest.param(change_seeded, CHANGE_SEEDED, id="change-seeded"),
]


def probe(store: Store, operation: Callable[[UnitOfWork], None]) -> list[str]:
    """The writes ``operation`` makes, counted on a copy that is thrown away."""
    with leadflow.connect("memory://") as scratch:
        with scratch.unit_of_work(actor="seed") as uow:
            uow.leads.add(Lead(created_at=T0, external_id="seed-lead"))
            uow.accounts.add(Account(name="Seeded", created_at=T0, external_id="seed-account"))
            uow.commit()
        counting = FaultyStore(scratch)
        with counting.unit_of_work(actor="t") as uow:
            operation(uow)
        assert counting.writes == len(counting.operations)
        return counting.operations


# =================================================================== fault at every write


@pytest.mark.parametrize(("operation", "expected"), SCENARIOS)
def test_the_probe_counts_the_writes_in_order(
    store: Store, operation: Callable[[UnitOfWork], None], expected: list[str]
) -> None:
    counting = FaultyStore(store)
    before = snapshot(store)
    with counting.unit_of_work(actor="t") as uow:
        operation(uow)
    assert counting.operations == expected
    assert counting.writes == len(expected)
    assert snapshot(store) != before  # no fault: it committed
    assert probe(store, operation) == expected  # the same on the reference store


@pytest.mark.parametrize(("operation", "expected"), SCENARIOS)
def test_a_fault_at_any_write_leaves_storage_unchanged(
    store: Store, operation: Callable[[UnitOfWork], None], expected: list[str]
) -> None:
    n = len(expected)
    for k in range(1, n + 1):
        faulty = FaultyStore(store, fail_at=k)
        before = snapshot(store)
        with pytest.raises(InjectedFault) as fault, faulty.unit_of_work(actor="t") as uow:
            operation(uow)
        after = snapshot(store)
        assert after == before, before.diff(after)
        assert fault.value.position == k
        assert fault.value.operation == expected[k - 1]
        assert str(fault.value) == f"injected fault at write {k} ({expected[k - 1]})"
        assert faulty.writes == k
        assert faulty.operations == expected[:k]
    # The store is still usable: the same operation, without a fault, commits.
    before = snapshot(store)
    with store.unit_of_work(actor="t") as uow:
        operation(uow)
    assert snapshot(store) != before


class _CommitsOnExit(MemoryUnitOfWork):
    """A classic adapter bug: leaving the block commits instead of rolling back."""

    def close(self) -> None:
        self.commit()


class _LeakyStore(MemoryStore):
    def unit_of_work(self, *, actor: str | None = None) -> MemoryUnitOfWork:
        return _CommitsOnExit(self, actor)


def test_the_fault_loop_catches_a_store_that_keeps_half_a_unit_of_work() -> None:
    leaky = _LeakyStore()
    leaked = []
    for k in range(1, len(ADD_UPDATE_RECORD) + 1):
        before = snapshot(leaky)
        with pytest.raises(InjectedFault), FaultyStore(leaky, fail_at=k).unit_of_work() as uow:
            add_update_record(uow)
        after = snapshot(leaky)
        if after != before:
            leaked.append(k)
            assert any(line.startswith("lead ") for line in before.diff(after))
    # A fault at the first write leaves nothing to leak; every later one leaks.
    assert leaked == [2, 3, 4, 5]


def test_after_its_one_fault_a_faulty_store_passes_writes_on(store: Store) -> None:
    faulty = FaultyStore(store, fail_at=2)
    before = snapshot(store)
    with pytest.raises(InjectedFault), faulty.unit_of_work() as uow:
        add_update_record(uow)
    assert snapshot(store) == before
    with faulty.unit_of_work() as uow:
        add_update_record(uow)
    assert faulty.writes == 2 + len(ADD_UPDATE_RECORD)
    changed = before.diff(snapshot(store))
    assert sum(line.endswith(": added") and line.startswith("account ") for line in changed) == 2


def test_the_failing_write_is_not_passed_on(store: Store) -> None:
    faulty = FaultyStore(store, fail_at=1)
    lead = Lead(created_at=T1)
    with faulty.unit_of_work() as uow:
        with pytest.raises(InjectedFault):
            uow.leads.add(lead)
        with pytest.raises(NotFound):
            uow.leads.get(lead.id)
        # The fault was one write: the unit of work goes on and can commit.
        uow.leads.add(lead)
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.leads.get(lead.id).version == 1


@pytest.mark.parametrize("fail_at", [None, 6, 7, 100])
def test_no_fault_at_none_or_beyond_the_last_write(store: Store, fail_at: int | None) -> None:
    faulty = FaultyStore(store, fail_at=fail_at)
    before = snapshot(store)
    with faulty.unit_of_work(actor="t") as uow:
        add_update_record(uow)
    assert faulty.writes == len(ADD_UPDATE_RECORD)
    after = snapshot(store)
    assert len(after.entities["lead"]) == len(before.entities["lead"]) + 1
    assert len(after.entities["account"]) == len(before.entities["account"]) + 2
    # One event per entity added (three), one for the update and the recorded one.
    assert len(after.events) == len(before.events) + 5


def test_reads_are_not_counted(store: Store) -> None:
    faulty = FaultyStore(store, fail_at=1)
    with faulty.unit_of_work(actor="reader") as uow:
        (lead,) = uow.leads.by_external_id("seed-lead")
        (account,) = uow.accounts.by_external_id("seed-account")
        assert uow.leads.get(lead.id) == lead
        assert uow.leads.get_many([lead.id]) == {lead.id: lead}
        assert list(uow.leads.find(Query(Lead))) == [lead]
        assert uow.leads.count(Query(Lead)) == 1
        assert list(uow.leads.stream(Query(Lead))) == [lead]
        assert uow.leads.by_email("nobody@example.com") == []
        assert uow.contacts.by_email("nobody@example.com") == []
        assert uow.accounts.by_website_domain("example.com") == []
        assert uow.accounts.get(account.id) == account
        for spec in ENTITIES:
            getattr(uow, spec.plural).count(Query(spec.cls))
        assert len(uow.events.read()) == 2
        assert uow.events.last_position() == 2
        assert uow.actor == "reader"
        uow.rollback()
    assert snapshot(faulty) == snapshot(store)  # a snapshot only reads
    assert faulty.writes == 0
    assert faulty.operations == []


# ========================================================================= the wrapper


def test_every_repository_counts_its_writes() -> None:
    with leadflow.connect("memory://") as memory:
        faulty = FaultyStore(memory)
        for spec in ENTITIES:
            for write in ("add", "add_many", "update", "remove"):
                faulty.reset(fail_at=1)
                with faulty.unit_of_work() as uow, pytest.raises(InjectedFault) as fault:
                    # The fault comes before the write is passed on: any argument does.
                    getattr(getattr(uow, spec.plural), write)(object())
                assert fault.value.operation == f"{spec.name}.{write}"
                assert fault.value.position == 1


def test_record_and_commit_are_writes_and_commit_fails_before_committing() -> None:
    with leadflow.connect("memory://") as memory:
        faulty = FaultyStore(memory, fail_at=3)
        lead = Lead(created_at=T0)
        with faulty.unit_of_work() as uow:
            uow.record()
            uow.leads.add(lead)
            with pytest.raises(InjectedFault) as fault:
                uow.commit()
            assert fault.value.operation == "commit"
            uow.rollback()
            uow.commit()  # write 4: passed on, with nothing to commit
        assert faulty.operations == ["record", "lead.add", "commit", "commit"]
        assert snapshot(memory).entities["lead"] == {}


def test_reset_starts_counting_again() -> None:
    with leadflow.connect("memory://") as memory:
        faulty = FaultyStore(memory)
        with faulty.unit_of_work() as uow:
            add_update_record(uow)
        assert faulty.writes == 5
        faulty.reset(2)
        assert (faulty.writes, faulty.operations, faulty.fail_at) == (0, [], 2)
        with (
            pytest.raises(InjectedFault, match=r"write 2 \(account.add_many\)"),
            faulty.unit_of_work() as uow,
        ):
            add_update_record(uow)
        faulty.reset()
        assert faulty.fail_at is None


@pytest.mark.parametrize("fail_at", [0, -1, True, 1.0, "3"])
def test_fail_at_must_be_a_write_number(fail_at: object) -> None:
    with leadflow.connect("memory://") as memory:
        with pytest.raises(ValidationError, match="fail_at"):
            FaultyStore(memory, fail_at=fail_at)  # type: ignore[arg-type]
        with pytest.raises(ValidationError, match="fail_at"):
            FaultyStore(memory).reset(fail_at)  # type: ignore[arg-type]


def test_the_wrapper_passes_on_capabilities_close_and_the_context(tmp_path: Path) -> None:
    inner = leadflow.connect(f"sqlite:///{tmp_path}/c.db")
    with FaultyStore(inner) as faulty:
        assert faulty.store is inner
        assert Capability.PERSISTENT in faulty.capabilities
        assert faulty.capabilities == inner.capabilities
        uow = faulty.unit_of_work(actor="someone")
        assert isinstance(uow, FaultyUnitOfWork)
        with uow as entered:
            assert entered is uow
            assert uow.actor == uow.inner.actor == "someone"
            assert uow.leads is uow.leads
    with pytest.raises(LeadflowError):  # closed with the wrapper
        inner.unit_of_work()


def add_then_crash(uow: UnitOfWork) -> None:
    with uow:
        uow.leads.add(Lead(created_at=T0))
        raise RuntimeError("crash")


def test_leaving_with_an_exception_rolls_the_inner_unit_of_work_back() -> None:
    with leadflow.connect("memory://") as memory:
        faulty = FaultyStore(memory)
        with pytest.raises(RuntimeError, match="crash"):
            add_then_crash(faulty.unit_of_work())
        assert snapshot(memory).entities["lead"] == {}


def test_an_injected_fault_pickles_and_is_not_a_leadflow_error() -> None:
    fault = InjectedFault(3, "contact.add")
    copy = pickle.loads(pickle.dumps(fault))
    assert type(copy) is InjectedFault
    assert (copy.position, copy.operation) == (3, "contact.add")
    assert str(copy) == str(fault) == "injected fault at write 3 (contact.add)"
    assert not isinstance(fault, LeadflowError)


# ========================================================================== snapshots


def test_a_snapshot_holds_every_entity_kind_and_the_event_log(store: Store) -> None:
    taken = snapshot(store)
    assert isinstance(taken, StoreSnapshot)
    assert list(taken.entities) == [spec.name for spec in ENTITIES]
    (lead_id,) = taken.entities["lead"]
    assert lead_id.startswith("lead_")
    assert taken.entities["lead"][lead_id]["company"] == "Seeded"
    assert [e["event"]["type"] for e in taken.events] == ["entity_added", "entity_added"]
    assert [e["actor"] for e in taken.events] == ["seed", "seed"]
    assert snapshot(store) == taken
    assert taken.diff(snapshot(store)) == []
    assert repr(taken) == (
        "StoreSnapshot(lead=1, account=1, contact=0, opportunity=0, campaign=0, activity=0, "
        "product=0, events=2)"
    )


def test_a_snapshot_diff_lists_every_change(store: Store) -> None:
    before = snapshot(store)
    with store.unit_of_work() as uow:
        (lead,) = uow.leads.by_external_id("seed-lead")
        (account,) = uow.accounts.by_external_id("seed-account")
        uow.leads.update(attrs.evolve(lead, company="Changed", updated_at=T1))
        uow.accounts.remove(account)
        added = uow.leads.add(Lead(created_at=T1))
        uow.commit()
    after = snapshot(store)
    assert after != before
    lines = before.diff(after)
    assert f"lead {lead.id}: changed (company, updated_at, version)" in lines
    assert f"lead {added.id}: added" in lines
    assert f"account {account.id}: removed" in lines
    assert "events: 2 -> 5" in lines
    assert f"event 3: added entity_updated lead {lead.id.value}" in lines
    assert f"event 4: added entity_removed account {account.id.value}" in lines
    assert f"event 5: added entity_added lead {added.id.value}" in lines
    backwards = after.diff(before)
    assert f"lead {added.id}: removed" in backwards
    assert f"account {account.id}: added" in backwards
    assert "events: 5 -> 2" in backwards


def test_a_snapshot_diff_names_an_event_that_differs() -> None:
    event = {"position": 1, "event": {"type": "entity_added", "entity": "lead", "entity_id": "x"}}
    other = {"position": 1, "event": {"type": "entity_updated", "entity": "lead", "entity_id": "x"}}
    empty = {spec.name: {} for spec in ENTITIES}
    one = StoreSnapshot(entities=empty, events=(event,))
    two = StoreSnapshot(entities=empty, events=(other,))
    assert one.diff(two) == ["event 1: entity_added lead x -> entity_updated lead x"]
    assert two.diff(StoreSnapshot(entities=empty, events=())) == [
        "events: 1 -> 0",
        "event 1: removed entity_updated lead x",
    ]
