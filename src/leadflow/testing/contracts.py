"""The conformance kit: pytest classes that tell a storage adapter's author it is correct.

Subclass the contracts in a test module and override one fixture, ``open_store``::

    import pytest
    from leadflow.testing.contracts import StoreContracts

    class TestMyStore(StoreContracts):
        @pytest.fixture
        def open_store(self, tmp_path):
            def open_store(name="default"):
                return MyStore(tmp_path / f"{name}.db")
            return open_store

``open_store(name)`` must open the storage called ``name`` in this test's sandbox: the
first call with a name gives fresh, empty storage, a later call with the same name
(after the first store was closed) the same storage again.  :class:`StoreContracts`
gathers every contract; each contract is also a class of its own
(:class:`LeadRepositoryContract`, :class:`UnitOfWorkContract`, ...) so you can run
them one at a time while you write the adapter.

Every test's name starts with the number of the rule it checks, as listed in the
ports reference of the documentation (``test_2_6_stale_update_is_a_conflict`` checks
rule 2.6).  Tests of a :class:`~leadflow.ports.Capability` the store does not declare
are skipped, with the reason.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta, timezone
from typing import Any, ClassVar

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    rule,
    run_state_machine_as_test,
)

from leadflow.accounts import Account
from leadflow.activities import Activity, ActivityKind, Direction
from leadflow.adapters.memory import MemoryStore
from leadflow.campaigns import Campaign, CampaignStatus
from leadflow.contacts import Contact
from leadflow.errors import (
    ConcurrencyConflict,
    DuplicateEntity,
    LeadflowError,
    NotFound,
    StorageError,
    ValidationError,
)
from leadflow.events import EntityAdded, EntityRemoved, EntityUpdated, RecordedEvent
from leadflow.leads import Lead
from leadflow.opportunities import Opportunity
from leadflow.ports import Capability, Query, Store, UnitOfWork, entity_spec
from leadflow.products import Product
from leadflow.serialization import to_dict
from leadflow.testing import strategies as lfst
from leadflow.values import LeadId, Money, Touchpoint

__all__ = [
    "AccountRepositoryContract",
    "ActivityRepositoryContract",
    "CampaignRepositoryContract",
    "ContactRepositoryContract",
    "EventLogContract",
    "LeadRepositoryContract",
    "OpportunityRepositoryContract",
    "ProductRepositoryContract",
    "RepositoryContract",
    "StatefulContract",
    "StoreContract",
    "StoreContracts",
    "UnitOfWorkContract",
]

UTC = timezone.utc
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
OpenStore = Callable[..., Store]


# ===================================================================== samples
#
# Sample entities vary on every indexed field so that the query tests can tell a
# right answer from a wrong one: owners and statuses cycle, pairs share a creation
# time (so order ties are broken by id), external ids come in pairs.


def _times(i: int) -> dict[str, Any]:
    created = T0 + timedelta(minutes=i // 2)
    return {"created_at": created, "updated_at": created + timedelta(hours=i % 3)}


def _owner(i: int) -> str | None:
    return (None, "ana", "bo")[i % 3]


def sample_lead(i: int) -> Lead:
    """The ``i``-th sample lead."""
    return Lead(
        **_times(i),
        first_name=f"Person {i}",
        email=f"Person{i}@Example{i % 2}.com",
        status=("new", "working", "qualified")[i % 3],
        owner=_owner(i),
        external_id=f"ext-{i // 2}",
        touches=[Touchpoint(occurred_at=T0, source="google")] if i % 2 else [],
    )


def sample_account(i: int) -> Account:
    """The ``i``-th sample account."""
    return Account(
        **_times(i),
        name=f"Company {i}",
        website_domain=f"company{i % 4}.example",
        owner=_owner(i),
        external_id=f"ext-{i // 2}",
    )


def sample_contact(i: int) -> Contact:
    """The ``i``-th sample contact."""
    return Contact(
        **_times(i),
        last_name=f"Person {i}",
        email=f"person{i % 4}@example.com",
        owner=_owner(i),
        external_id=f"ext-{i // 2}",
    )


def sample_opportunity(i: int) -> Opportunity:
    """The ``i``-th sample opportunity."""
    return Opportunity(
        **_times(i),
        name=f"Deal {i}",
        stage=("prospecting", "proposal", "negotiation")[i % 3],
        amount=Money.of(1000 * (i + 1), "EUR"),
        expected_close_date=date(2026, 3, 1) + timedelta(days=i),
        owner=_owner(i),
        external_id=f"ext-{i // 2}",
    )


def sample_campaign(i: int) -> Campaign:
    """The ``i``-th sample campaign."""
    return Campaign(
        **_times(i),
        name=f"Campaign {i}",
        channel=("email", "events", "paid_search")[i % 3],
        status=(CampaignStatus.PLANNED, CampaignStatus.ACTIVE)[i % 2],
        owner=_owner(i),
        external_id=f"ext-{i // 2}",
    )


def sample_activity(i: int) -> Activity:
    """The ``i``-th sample activity."""
    return Activity(
        **_times(i),
        kind=(ActivityKind.CALL, ActivityKind.EMAIL, ActivityKind.WEB_VISIT)[i % 3],
        occurred_at=T0 + timedelta(hours=i),
        direction=Direction.OUTBOUND,
        lead_id=LeadId(value=uuid.UUID(int=1 + i % 2)),
        owner=_owner(i),
        external_id=f"ext-{i // 2}",
    )


def sample_product(i: int) -> Product:
    """The ``i``-th sample product."""
    return Product(
        **_times(i),
        code=f"P-{i}",
        name=f"Product {i}",
        family=(None, "hardware", "services")[i % 3],
        list_price=Money.of(10 * (i + 1), "USD"),
        external_id=f"ext-{i // 2}",
    )


NASTY_STRINGS = (
    'O\'Brien "the quote" `back` \\ slash',
    "'; DROP TABLE lead; --",
    "nul\x00byte",
    "emoji 🚀🔥 and a family 👨‍👩‍👧",
    "עברית مرحبا right-to-left",
    "\u202e override \ufeff bom \u200b zero width",
    "%s %d {0} ? :name $1",
    "x" * 1_000_000,
)


# =============================================================== base contract


class StoreContract:
    """The base of every contract: the fixture to override, and shared helpers."""

    @pytest.fixture
    def open_store(self) -> OpenStore:
        """Override: return ``open_store(name="default") -> Store`` (see the module)."""
        raise NotImplementedError(
            "override the 'open_store' fixture in your test class: return a function "
            "open_store(name='default') that opens the storage called `name` in this "
            "test's sandbox (fresh and empty the first time, the same storage later)"
        )

    @pytest.fixture
    def store(self, open_store: OpenStore) -> Iterator[Store]:
        """A store on fresh, empty storage, closed after the test."""
        opened = open_store()
        yield opened
        opened.close()

    @staticmethod
    def requires(store: Store, capability: Capability) -> None:
        """Skip the current test unless ``store`` declares ``capability``."""
        if capability not in store.capabilities:
            pytest.skip(f"the store does not declare the {capability.value!r} capability")


# ========================================================== repository contract

SAMPLES: dict[str, Callable[[int], Any]] = {
    "lead": sample_lead,
    "account": sample_account,
    "contact": sample_contact,
    "opportunity": sample_opportunity,
    "campaign": sample_campaign,
    "activity": sample_activity,
    "product": sample_product,
}
#: A text field every sample has, used to test filters.
TEXT_FIELDS = {kind: "family" if kind == "product" else "owner" for kind in SAMPLES}


def _only(*kinds: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Run a repository test only for these kinds of entity."""

    def mark(test: Callable[..., None]) -> Callable[..., None]:
        test.only_kinds = kinds  # type: ignore[attr-defined]
        return test

    return mark


class RepositoryContract(StoreContract):
    """Rules 2.x (writes) and 4.x (queries), for every kind of entity in ``kinds``.

    Each test runs once per kind (``[lead]``, ``[account]``, ...); the per-entity
    contracts below narrow ``kinds`` to one.
    """

    #: The kinds of entity whose repositories are tested.
    kinds: ClassVar[tuple[str, ...]] = tuple(SAMPLES)

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        """Parametrize ``kind`` over this contract's kinds (and a test's own subset)."""
        if "kind" in metafunc.fixturenames:
            only = getattr(metafunc.function, "only_kinds", None)
            chosen = [k for k in self.kinds if only is None or k in only]
            metafunc.parametrize("kind", chosen)

    @staticmethod
    def repo(uow: UnitOfWork, kind: str) -> Any:
        """The repository of ``kind`` in ``uow``."""
        return getattr(uow, entity_spec(kind).plural)

    @staticmethod
    def query(kind: str) -> Query[Any]:
        """A query for ``kind``."""
        return Query(entity_spec(kind).cls)

    @staticmethod
    def changed(entity: Any) -> Any:
        """A changed copy of ``entity`` (a new external id and a later update time)."""
        return attrs.evolve(
            entity,
            external_id=f"changed-{entity.version}",
            updated_at=entity.updated_at + timedelta(minutes=1),
        )

    def seed(self, store: Store, kind: str, count: int) -> list[Any]:
        """Commit ``count`` samples of ``kind``; return them as stored."""
        with store.unit_of_work() as uow:
            stored = [self.repo(uow, kind).add(SAMPLES[kind](i)) for i in range(count)]
            uow.commit()
        return stored

    # ------------------------------------------------------------------ writes

    def test_2_1_add_returns_the_entity_at_version_plus_one(self, store: Store, kind: str) -> None:
        entity = SAMPLES[kind](0)
        with store.unit_of_work() as uow:
            stored = self.repo(uow, kind).add(entity)
            assert stored == attrs.evolve(entity, version=entity.version + 1)
            uow.commit()
        with store.unit_of_work() as uow:
            assert self.repo(uow, kind).get(entity.id) == stored

    def test_2_2_adding_an_existing_id_is_a_duplicate(self, store: Store, kind: str) -> None:
        (stored,) = self.seed(store, kind, 1)
        with store.unit_of_work() as uow:
            with pytest.raises(DuplicateEntity):
                self.repo(uow, kind).add(attrs.evolve(stored, version=0))
            fresh = SAMPLES[kind](1)
            self.repo(uow, kind).add(fresh)
            with pytest.raises(DuplicateEntity):
                self.repo(uow, kind).add(fresh)

    def test_2_3_getting_a_missing_id_is_not_found(self, store: Store, kind: str) -> None:
        missing = SAMPLES[kind](0).id
        with store.unit_of_work() as uow, pytest.raises(NotFound) as error:
            self.repo(uow, kind).get(missing)
        assert error.value.entity == kind
        assert str(missing) in str(error.value)

    def test_2_4_get_many_returns_what_exists_by_id(self, store: Store, kind: str) -> None:
        stored = self.seed(store, kind, 3)
        missing = SAMPLES[kind](9).id
        with store.unit_of_work() as uow:
            found = self.repo(uow, kind).get_many([stored[2].id, missing, stored[0].id])
        assert found == {stored[2].id: stored[2], stored[0].id: stored[0]}

    def test_2_5_update_stores_the_change_at_version_plus_one(
        self, store: Store, kind: str
    ) -> None:
        (stored,) = self.seed(store, kind, 1)
        change = self.changed(stored)
        with store.unit_of_work() as uow:
            updated = self.repo(uow, kind).update(change)
            assert updated == attrs.evolve(change, version=stored.version + 1)
            uow.commit()
        with store.unit_of_work() as uow:
            assert self.repo(uow, kind).get(stored.id) == updated

    def test_2_6_stale_update_is_a_conflict(self, store: Store, kind: str) -> None:
        (stored,) = self.seed(store, kind, 1)
        with store.unit_of_work() as uow:
            current = self.repo(uow, kind).update(self.changed(stored))
            uow.commit()
        with store.unit_of_work() as uow:
            with pytest.raises(ConcurrencyConflict) as error:
                self.repo(uow, kind).update(self.changed(stored))
            assert (error.value.expected, error.value.stored) == (stored.version, current.version)
        with store.unit_of_work() as uow:
            assert self.repo(uow, kind).get(stored.id) == current

    def test_2_7_updating_a_missing_entity_is_not_found(self, store: Store, kind: str) -> None:
        entity = attrs.evolve(SAMPLES[kind](0), version=1)
        with store.unit_of_work() as uow, pytest.raises(NotFound):
            self.repo(uow, kind).update(entity)

    def test_2_8_remove_checks_the_version_and_removes(self, store: Store, kind: str) -> None:
        first, second = self.seed(store, kind, 2)
        with store.unit_of_work() as uow:
            repo = self.repo(uow, kind)
            with pytest.raises(ConcurrencyConflict):
                repo.remove(attrs.evolve(first, version=first.version + 5))
            repo.remove(first)
            with pytest.raises(NotFound):
                repo.get(first.id)
            with pytest.raises(NotFound):
                repo.remove(first)
            uow.commit()
        with store.unit_of_work() as uow:
            with pytest.raises(NotFound):
                self.repo(uow, kind).get(first.id)
            assert self.repo(uow, kind).get(second.id) == second

    def test_2_11_add_many_stores_all_or_none(self, store: Store, kind: str) -> None:
        (existing,) = self.seed(store, kind, 1)
        batch = [SAMPLES[kind](i) for i in range(1, 40)]
        with store.unit_of_work() as uow:
            repo = self.repo(uow, kind)
            assert repo.add_many([]) == []
            with pytest.raises(DuplicateEntity):
                repo.add_many([*batch[:5], attrs.evolve(existing, version=0)])
            with pytest.raises(DuplicateEntity):
                repo.add_many([*batch[:5], batch[0]])
            assert repo.count(self.query(kind)) == 1, "a refused batch stores none of it"
            stored = repo.add_many(batch)
            assert stored == [attrs.evolve(e, version=e.version + 1) for e in batch]
            uow.commit()
        with store.unit_of_work() as uow:
            assert self.repo(uow, kind).count(self.query(kind)) == 40
            added = [r.event for r in uow.events.read(entity=kind)]
        assert [e.entity_id for e in added[1:]] == [e.id.value for e in batch]

    @_only("lead")
    def test_2_9_values_are_stored_exactly(self, store: Store, kind: str) -> None:
        leads = [
            Lead(
                created_at=T0 + timedelta(seconds=i),
                first_name=text,
                company=text[:200],
                owner=text[:100],
                custom_fields={"note": text, "n": i, "ratio": 0.1 * i, "flag": i % 2 == 0},
                touches=[Touchpoint(occurred_at=T0, landing_page=text, campaign=text[:50])],
            )
            for i, text in enumerate(NASTY_STRINGS)
        ]
        with store.unit_of_work() as uow:
            stored = [uow.leads.add(lead) for lead in leads]
            uow.commit()
        with store.unit_of_work() as uow:
            for lead in stored:
                assert uow.leads.get(lead.id) == lead
                found = list(uow.leads.stream(Query(Lead).where(owner=lead.owner)))
                assert [f.id for f in found] == [o.id for o in stored if o.owner == lead.owner]

    # pytest makes one instance of the class per parametrized test, which Hypothesis
    # notices as "differing executors"; the instance holds no state the test uses.
    # The store fixture is shared by the examples on purpose: each adds a fresh id.
    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.differing_executors,
            HealthCheck.too_slow,
        ],
    )
    @given(data=st.data())
    def test_2_10_any_entity_round_trips(
        self, store: Store, kind: str, data: st.DataObject
    ) -> None:
        entity = data.draw(getattr(lfst, entity_spec(kind).plural)())
        entity = attrs.evolve(entity, id=type(entity.id).new(), version=0)
        with store.unit_of_work() as uow:
            stored = self.repo(uow, kind).add(entity)
            uow.commit()
        with store.unit_of_work() as uow:
            assert self.repo(uow, kind).get(entity.id) == stored

    # ----------------------------------------------------------------- queries

    def test_4_1_filters_select_exactly_the_matching_entities(
        self, store: Store, kind: str
    ) -> None:
        stored = self.seed(store, kind, 12)
        field = TEXT_FIELDS[kind]
        values = sorted({getattr(e, field) for e in stored if getattr(e, field) is not None})
        base = self.query(kind)
        minutes = timedelta(minutes=1)
        queries = [
            base,
            base.where(**{field: values[0]}),
            base.where(**{field: values}),
            base.where(**{field: None}),
            base.where(external_id="ext-3"),
            base.between("created_at", since=T0 + 2 * minutes, until=T0 + 4 * minutes),
            base.between("updated_at", since=T0 + timedelta(hours=1)),
            base.where(**{field: values[-1]}).between("created_at", until=T0 + 3 * minutes),
        ]
        with store.unit_of_work() as uow:
            for query in queries:
                expected = {e.id for e in stored if query.matches(e)}
                found = {e.id for e in self.repo(uow, kind).stream(query)}
                assert found == expected, query.conditions

    def test_4_2_results_follow_the_order_then_the_id(self, store: Store, kind: str) -> None:
        stored = self.seed(store, kind, 10)
        with store.unit_of_work() as uow:
            for order in entity_spec(kind).orderable:
                for field in (order, f"-{order}"):
                    query = self.query(kind).order_by(field)
                    expected = sorted(stored, key=query.sort_key, reverse=field.startswith("-"))
                    assert list(self.repo(uow, kind).find(query)) == expected, field

    def test_4_3_pages_cover_every_match_exactly_once(self, store: Store, kind: str) -> None:
        stored = self.seed(store, kind, 23)
        for field in ("created_at", "-updated_at", "id"):
            query = self.query(kind).order_by(field).limit(4)
            seen: list[Any] = []
            pages = 0
            with store.unit_of_work() as uow:
                page = self.repo(uow, kind).find(query)
                while True:
                    pages += 1
                    assert len(page.items) <= 4
                    seen.extend(page.items)
                    if page.next_cursor is None:
                        break
                    page = self.repo(uow, kind).find(query.after(page.next_cursor))
            assert seen == sorted(stored, key=query.sort_key, reverse=field.startswith("-"))
            assert pages == 6

    def test_4_4_foreign_cursors_and_queries_are_refused(self, store: Store, kind: str) -> None:
        self.seed(store, kind, 5)
        with store.unit_of_work() as uow:
            page = self.repo(uow, kind).find(self.query(kind).limit(2))
            assert page.next_cursor is not None
            other = self.query(kind).where(external_id="ext-1")
            with pytest.raises(ValidationError):
                self.repo(uow, kind).find(other.after(page.next_cursor))
            wrong_kind = Query(Account if kind == "lead" else Lead)
            with pytest.raises(ValidationError):
                self.repo(uow, kind).find(wrong_kind)

    def test_4_5_count_matches_the_filters(self, store: Store, kind: str) -> None:
        stored = self.seed(store, kind, 9)
        field = TEXT_FIELDS[kind]
        with store.unit_of_work() as uow:
            for query in (self.query(kind), self.query(kind).where(**{field: None}).limit(1)):
                expected = sum(1 for e in stored if query.matches(e))
                assert self.repo(uow, kind).count(query) == expected

    def test_4_6_stream_yields_every_match_in_order(self, store: Store, kind: str) -> None:
        stored = self.seed(store, kind, 11)
        query = self.query(kind).order_by("-created_at").limit(3)
        with store.unit_of_work() as uow:
            assert list(self.repo(uow, kind).stream(query)) == sorted(
                stored, key=query.sort_key, reverse=True
            )

    def test_4_7_external_ids_are_looked_up_oldest_first(self, store: Store, kind: str) -> None:
        stored = self.seed(store, kind, 6)
        with store.unit_of_work() as uow:
            found = self.repo(uow, kind).by_external_id("ext-1")
        expected = [e for e in stored if e.external_id == "ext-1"]
        assert found == sorted(expected, key=lambda e: (e.created_at, e.id.value))
        assert len(found) == 2

    @_only("lead", "contact")
    def test_4_8_emails_are_looked_up_ignoring_case(self, store: Store, kind: str) -> None:
        stored = self.seed(store, kind, 8)
        wanted = stored[3].email
        with store.unit_of_work() as uow:
            found = self.repo(uow, kind).by_email(wanted.value.upper())
            assert self.repo(uow, kind).by_email("nobody@nowhere.example") == []
        assert found == [e for e in stored if e.email is not None and e.email.key == wanted.key]

    @_only("account")
    def test_4_9_accounts_are_looked_up_by_website_domain(self, store: Store, kind: str) -> None:
        stored = self.seed(store, kind, 8)
        with store.unit_of_work() as uow:
            found = uow.accounts.by_website_domain("https://www.Company1.example/about")
        assert found == [stored[1], stored[5]]

    @_only("opportunity")
    def test_4_10_dates_filter_by_range(self, store: Store, kind: str) -> None:
        stored = self.seed(store, kind, 10)
        query = Query(Opportunity).between(
            "expected_close_date", since=date(2026, 3, 3), until=date(2026, 3, 6)
        )
        with store.unit_of_work() as uow:
            found = list(uow.opportunities.stream(query))
        assert {o.id for o in found} == {o.id for o in stored[2:5]}


class LeadRepositoryContract(RepositoryContract):
    """The repository contract for leads only."""

    kinds = ("lead",)


class AccountRepositoryContract(RepositoryContract):
    """The repository contract for accounts only."""

    kinds = ("account",)


class ContactRepositoryContract(RepositoryContract):
    """The repository contract for contacts only."""

    kinds = ("contact",)


class OpportunityRepositoryContract(RepositoryContract):
    """The repository contract for opportunities only."""

    kinds = ("opportunity",)


class CampaignRepositoryContract(RepositoryContract):
    """The repository contract for campaigns only."""

    kinds = ("campaign",)


class ActivityRepositoryContract(RepositoryContract):
    """The repository contract for activities only."""

    kinds = ("activity",)


class ProductRepositoryContract(RepositoryContract):
    """The repository contract for products only."""

    kinds = ("product",)


# ========================================================= unit-of-work contract


class UnitOfWorkContract(StoreContract):
    """Rules 1.x and 3.x: stores and units of work."""

    def test_1_1_a_closed_store_refuses_work(self, open_store: OpenStore) -> None:
        store = open_store()
        assert isinstance(store.capabilities, frozenset)
        assert all(isinstance(c, Capability) for c in store.capabilities)
        store.close()
        # A closed store may refuse at any of these steps.
        with pytest.raises(StorageError), store.unit_of_work() as uow:  # noqa: PT012
            uow.leads.add(sample_lead(0))
            uow.commit()

    def test_1_2_committed_data_survives_reopening(self, open_store: OpenStore) -> None:
        store = open_store()
        self.requires(store, Capability.PERSISTENT)
        with store.unit_of_work() as uow:
            kept = uow.leads.add(sample_lead(0))
            uow.commit()
            uow.leads.add(sample_lead(1))  # never committed
        store.close()
        reopened = open_store()
        try:
            with reopened.unit_of_work() as uow:
                assert uow.leads.get(kept.id) == kept
                assert uow.leads.count(Query(Lead)) == 1
                assert [type(r.event) for r in uow.events.read()] == [EntityAdded]
        finally:
            reopened.close()

    def test_3_1_changes_are_invisible_to_others_until_commit(self, store: Store) -> None:
        with store.unit_of_work() as writer, store.unit_of_work() as reader:
            lead = writer.leads.add(sample_lead(0))
            with pytest.raises(NotFound):
                reader.leads.get(lead.id)
            assert reader.leads.count(Query(Lead)) == 0
            writer.commit()
            assert reader.leads.get(lead.id) == lead

    def test_3_2_a_unit_of_work_sees_its_own_changes(self, store: Store) -> None:
        with store.unit_of_work() as uow:
            first = uow.leads.add(sample_lead(0))
            second = uow.leads.add(sample_lead(1))
            changed = uow.leads.update(attrs.evolve(first, status="nurturing"))
            uow.leads.remove(second)
            assert uow.leads.get(first.id) == changed
            assert list(uow.leads.find(Query(Lead))) == [changed]
            assert uow.leads.count(Query(Lead).where(status="nurturing")) == 1

    def test_3_3_leaving_without_commit_discards_everything(self, store: Store) -> None:
        with store.unit_of_work() as uow:
            lead = uow.leads.add(sample_lead(0))
        with pytest.raises(RuntimeError, match="boom"), store.unit_of_work() as uow:  # noqa: PT012
            uow.leads.add(sample_lead(1))
            raise RuntimeError("boom")
        with store.unit_of_work() as uow:
            uow.leads.add(sample_lead(2))
            uow.rollback()
            assert uow.leads.count(Query(Lead)) == 0
            with pytest.raises(NotFound):
                uow.leads.get(lead.id)
            assert uow.events.read() == []

    def test_3_4_after_commit_the_unit_of_work_goes_on(self, store: Store) -> None:
        with store.unit_of_work() as uow:
            kept = uow.leads.add(sample_lead(0))
            uow.commit()
            dropped = uow.leads.add(sample_lead(1))
            uow.rollback()
            later = uow.leads.add(sample_lead(2))
            uow.commit()
        with store.unit_of_work() as uow:
            assert set(uow.leads.get_many([kept.id, dropped.id, later.id])) == {kept.id, later.id}

    def test_3_5_a_commit_stores_every_change(self, store: Store) -> None:
        seeded = self._seed(store, 150)
        with store.unit_of_work() as uow:
            added: list[Any] = [uow.leads.add(sample_lead(1000 + i)) for i in range(260)]
            added += [uow.accounts.add(sample_account(i)) for i in range(130)]
            changed = [uow.leads.update(attrs.evolve(lead, owner="batch")) for lead in seeded[:120]]
            for lead in seeded[120:]:
                uow.leads.remove(lead)
            uow.commit()
        with store.unit_of_work() as uow:
            for entity in (*added, *changed):
                repo = uow.leads if isinstance(entity, Lead) else uow.accounts
                assert repo.get(entity.id) == entity
            assert uow.leads.count(Query(Lead)) == 260 + 120
            assert uow.accounts.count(Query(Account)) == 130
            assert len(uow.events.read()) == 150 + 260 + 130 + 150

    def test_3_6_the_second_of_two_writers_gets_a_conflict(self, store: Store) -> None:
        (lead,) = self._seed(store, 1)
        with store.unit_of_work() as first, store.unit_of_work() as second:
            mine = first.leads.get(lead.id)
            theirs = second.leads.get(lead.id)
            first.leads.update(attrs.evolve(mine, owner="first"))
            first.commit()
            # The conflict may surface at the update or at the commit (rule 2.6).
            with pytest.raises(ConcurrencyConflict):  # noqa: PT012
                second.leads.update(attrs.evolve(theirs, owner="second"))
                second.commit()
        with store.unit_of_work() as uow:
            assert uow.leads.get(lead.id).owner == "first"

    def test_3_7_every_write_is_an_event_committed_with_it(self, store: Store) -> None:
        with store.unit_of_work(actor="sam") as uow:
            lead = uow.leads.add(sample_lead(0))
            changed = uow.leads.update(attrs.evolve(lead, status="nurturing", owner="ana"))
            extra = EntityAdded(entity="note", entity_id=uuid.UUID(int=7), version=1)
            uow.record(extra)
            assert uow.events.read() == []
            uow.commit()
            uow.leads.remove(changed)
            uow.rollback()
        with store.unit_of_work(actor="kim") as uow:
            uow.leads.remove(changed)
            uow.commit()
            recorded = uow.events.read()
        assert [type(r.event) for r in recorded] == [
            EntityAdded,
            EntityUpdated,
            EntityAdded,
            EntityRemoved,
        ]
        assert [r.actor for r in recorded] == ["sam", "sam", "sam", "kim"]
        positions = [r.position for r in recorded]
        assert positions == sorted(positions)
        assert len(set(positions)) == 4
        added, updated, custom, removed = (r.event for r in recorded)
        assert isinstance(added, EntityAdded)
        assert isinstance(updated, EntityUpdated)
        assert isinstance(removed, EntityRemoved)
        assert (added.entity, added.entity_id, added.version) == ("lead", lead.id.value, 1)
        assert updated.version == 2
        assert {k: (c.before, c.after) for k, c in updated.changes.items()} == {
            "status": (lead.status, "nurturing"),
            "owner": (lead.owner, "ana"),
        }
        assert custom == extra
        assert removed.version == 2
        assert dict(removed.document) == to_dict(changed)

    def _seed(self, store: Store, count: int) -> list[Lead]:
        with store.unit_of_work() as uow:
            stored = [uow.leads.add(sample_lead(i)) for i in range(count)]
            uow.commit()
        return stored


# ============================================================== event-log contract


class EventLogContract(StoreContract):
    """Rules 5.x: reading the event log."""

    def _history(self, store: Store) -> list[RecordedEvent]:
        with store.unit_of_work() as uow:
            leads = [uow.leads.add(sample_lead(i)) for i in range(3)]
            uow.accounts.add(sample_account(0))
            uow.commit()
            uow.leads.update(attrs.evolve(leads[1], owner="zed"))
            uow.commit()
            return uow.events.read()

    def test_5_1_reading_after_a_position_and_by_entity(self, store: Store) -> None:
        everything = self._history(store)
        assert len(everything) == 5
        with store.unit_of_work() as uow:
            log = uow.events
            assert log.read(after=everything[1].position) == everything[2:]
            assert log.read(limit=2) == everything[:2]
            assert [r.event.entity for r in log.read(entity="account")] == ["account"]
            lead_id = everything[1].event.entity_id
            assert [type(r.event) for r in log.read(entity_id=lead_id)] == [
                EntityAdded,
                EntityUpdated,
            ]
            assert log.read(after=everything[-1].position) == []

    def test_5_2_last_position_is_the_newest_event(self, store: Store) -> None:
        with store.unit_of_work() as uow:
            assert uow.events.last_position() == 0
        everything = self._history(store)
        with store.unit_of_work() as uow:
            assert uow.events.last_position() == everything[-1].position
            assert all(r.recorded_at.tzinfo is not None for r in everything)


# =================================================================== stateful


class StoreMachine(RuleBasedStateMachine):
    """Random sequences of operations, on the store under test and on the memory store.

    Both must give the same answers: the same entities, the same errors, the same pages.
    """

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store
        self.oracle = MemoryStore()
        self.uow = store.unit_of_work()
        self.expected = self.oracle.unit_of_work()
        self.count = 0

    leads = Bundle("leads")

    def both(self, action: Callable[[UnitOfWork], Any]) -> Any:
        """Run ``action`` on both units of work; they must agree, errors included."""
        outcomes = []
        for uow in (self.uow, self.expected):
            try:
                outcomes.append(("ok", action(uow)))
            except LeadflowError as error:  # noqa: PERF203 - comparing the errors is the point
                outcomes.append(("error", type(error).__name__))
        assert outcomes[0] == outcomes[1]
        return outcomes[1][1] if outcomes[1][0] == "ok" else None

    @rule(target=leads, status=st.sampled_from(["new", "working", "qualified"]))
    def add(self, status: str) -> Any:
        self.count += 1
        lead = attrs.evolve(sample_lead(self.count), status=status)
        self.both(lambda uow: uow.leads.add(lead))
        return lead.id

    @rule(lead_id=leads, owner=st.sampled_from([None, "ana", "bo"]))
    def update(self, lead_id: Any, owner: str | None) -> None:
        def change(uow: UnitOfWork) -> Any:
            current = uow.leads.get(lead_id)
            return uow.leads.update(attrs.evolve(current, owner=owner))

        self.both(change)

    @rule(lead_id=leads, stale=st.booleans())
    def stale_update(self, lead_id: Any, stale: bool) -> None:
        def change(uow: UnitOfWork) -> Any:
            current = uow.leads.get(lead_id)
            version = current.version - 1 if stale else current.version + 1
            return uow.leads.update(attrs.evolve(current, version=version, owner="stale"))

        self.both(change)

    @rule(lead_id=consumes(leads))
    def remove(self, lead_id: Any) -> None:
        self.both(lambda uow: uow.leads.remove(uow.leads.get(lead_id)))

    @rule(lead_id=leads)
    def get(self, lead_id: Any) -> None:
        self.both(lambda uow: uow.leads.get(lead_id))

    @rule()
    def commit(self) -> None:
        self.both(lambda uow: uow.commit())

    @rule()
    def rollback(self) -> None:
        self.both(lambda uow: uow.rollback())

    @rule(
        status=st.sampled_from([None, "new", "working"]),
        owner=st.sampled_from(["-", None, "ana"]),
        order=st.sampled_from(["created_at", "-created_at", "updated_at", "-id"]),
        size=st.integers(min_value=1, max_value=4),
    )
    def page_through(self, status: str | None, owner: str | None, order: str, size: int) -> None:
        query = Query(Lead).order_by(order).limit(size)
        if status is not None:
            query = query.where(status=status)
        if owner != "-":
            query = query.where(owner=owner)

        def pages(uow: UnitOfWork) -> list[Any]:
            seen: list[Any] = []
            page = uow.leads.find(query)
            while True:
                seen.extend(page.items)
                if page.next_cursor is None:
                    return seen
                page = uow.leads.find(query.after(page.next_cursor))

        self.both(pages)
        self.both(lambda uow: uow.leads.count(query))

    @invariant()
    def the_committed_logs_agree(self) -> None:
        with self.store.unit_of_work() as mine, self.oracle.unit_of_work() as theirs:
            assert [r.event for r in mine.events.read()] == [r.event for r in theirs.events.read()]

    def teardown(self) -> None:
        self.uow.rollback()
        self.store.close()


class StatefulContract(StoreContract):
    """Rule 6.1: random operation sequences give the answers of the reference store."""

    #: Hypothesis settings for the state machine; raise them for a thorough run.
    stateful_settings: ClassVar[settings] = settings(
        max_examples=30,
        stateful_step_count=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )

    def test_6_1_random_operations_match_the_reference_store(self, open_store: OpenStore) -> None:
        names = iter(range(1_000_000))

        class Machine(StoreMachine):
            def __init__(self) -> None:
                super().__init__(open_store(f"stateful-{next(names)}"))

        run_state_machine_as_test(Machine, settings=type(self).stateful_settings)


# ======================================================================= all


class StoreContracts(
    RepositoryContract,
    UnitOfWorkContract,
    EventLogContract,
    StatefulContract,
):
    """Every contract: repositories of every kind, units of work, the event log, stateful."""
