"""Fault injection: make any store fail at the n-th write, and compare what it stores.

A unit of work promises all or nothing: whatever goes wrong part-way, storage is left
as it was.  :class:`FaultyStore` puts that promise to the test.  It wraps any
:class:`~leadflow.ports.Store` and counts the writes made through its units of work
(repository ``add``, ``add_many``, ``update`` and ``remove``, the unit of work's
``record``, and ``commit``, which is always the last); when the count reaches
``fail_at`` it raises :class:`InjectedFault` *instead of* that write.  :func:`snapshot`
reads everything a store holds, so that what is stored before and after can be
compared.

Count the writes an operation makes once, with no fault, then make each one fail in
turn and check that nothing was stored::

    probe = FaultyStore(store)
    with probe.unit_of_work(actor="test") as uow:
        convert(uow)  # on a scratch copy of the data, or undone afterwards
    for k in range(1, probe.writes + 1):
        before = snapshot(store)
        with pytest.raises(InjectedFault):
            with FaultyStore(store, fail_at=k).unit_of_work(actor="test") as uow:
                convert(uow)
        after = snapshot(store)
        assert after == before, before.diff(after)

:class:`InjectedFault` is deliberately not a :class:`~leadflow.errors.LeadflowError`:
code that handles leadflow's errors does not swallow it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

import attrs

from leadflow.accounts import Account
from leadflow.activities import Activity
from leadflow.campaigns import Campaign
from leadflow.contacts import Contact
from leadflow.errors import ValidationError
from leadflow.events import Event, changes
from leadflow.leads import Lead
from leadflow.opportunities import Opportunity
from leadflow.ports import (
    ENTITIES,
    AccountRepository,
    ActivityRepository,
    CampaignRepository,
    Capability,
    ContactRepository,
    EventLog,
    LeadRepository,
    OpportunityRepository,
    Page,
    ProductRepository,
    Query,
    Repository,
    Store,
    UnitOfWork,
)
from leadflow.products import Product
from leadflow.serialization import to_dict
from leadflow.values import (
    AccountId,
    ActivityId,
    CampaignId,
    ContactId,
    EmailAddress,
    EntityId,
    LeadId,
    OpportunityId,
    ProductId,
)

__all__ = ["FaultyStore", "FaultyUnitOfWork", "InjectedFault", "StoreSnapshot", "snapshot"]

E = TypeVar("E")
I = TypeVar("I", bound=EntityId)  # noqa: E741 - the conventional name for an id type
R = TypeVar("R")


class InjectedFault(Exception):
    """The failure a :class:`FaultyStore` raises instead of the write at ``fail_at``.

    Not a :class:`~leadflow.errors.LeadflowError`, so that application code which
    handles leadflow's errors lets it through, as it would an unexpected crash.
    The message reads like ``injected fault at write 3 (contact.add)``.
    """

    def __init__(self, position: int, operation: str) -> None:
        #: The number of the write that failed, counting from 1.
        self.position = position
        #: The write that failed: ``"lead.add"``, ``"account.add_many"``,
        #: ``"opportunity.update"``, ``"activity.remove"``, ``"record"`` or ``"commit"``.
        self.operation = operation
        super().__init__(f"injected fault at write {position} ({operation})")

    def __reduce__(self) -> tuple[type[InjectedFault], tuple[int, str]]:
        return (type(self), (self.position, self.operation))


def _check_fail_at(value: object) -> int | None:
    if value is None or (type(value) is int and value >= 1):
        return value
    raise ValidationError.single(
        "fail_at", value, "must be a write number from 1, or None", subject="FaultyStore"
    )


class FaultyStore:
    """A :class:`~leadflow.ports.Store` that fails at the ``fail_at``-th write, and counts writes.

    Wraps ``store`` (any object satisfying the :class:`~leadflow.ports.Store` port) and
    satisfies the port itself.  Reads go to ``store`` unchanged and are not counted.
    Every write made through the units of work it hands out is counted, on one counter
    shared by all of them: repository ``add``, ``add_many`` (one write per call, however
    many entities), ``update`` and ``remove``, and the unit of work's ``record`` and
    ``commit``.  When the counter reaches ``fail_at``, :class:`InjectedFault` is raised
    *before* the write is passed on, so the wrapped store never sees it.  Only that one
    write fails: later writes are passed on (call :meth:`reset` to fail again).  With
    ``fail_at=None`` nothing fails and the store only counts: a probe.

    Leaving a ``with FaultyStore(...)`` block closes the wrapped store.
    """

    def __init__(self, store: Store, *, fail_at: int | None = None) -> None:
        self._store = store
        self._fail_at = _check_fail_at(fail_at)
        self._lock = threading.Lock()
        self._writes = 0
        self._operations: list[str] = []

    def __repr__(self) -> str:
        return f"FaultyStore({self._store!r}, fail_at={self._fail_at!r}, writes={self._writes})"

    @property
    def store(self) -> Store:
        """The wrapped store."""
        return self._store

    @property
    def fail_at(self) -> int | None:
        """The number of the write that fails (``None``: none does)."""
        return self._fail_at

    @property
    def writes(self) -> int:
        """How many writes were attempted so far, the one that failed included."""
        return self._writes

    @property
    def operations(self) -> list[str]:
        """The writes attempted so far, in order (a copy): ``["lead.add", ..., "commit"]``."""
        with self._lock:
            return list(self._operations)

    def reset(self, fail_at: int | None = None) -> None:
        """Start counting again from zero, failing at write ``fail_at`` (``None``: none)."""
        checked = _check_fail_at(fail_at)
        with self._lock:
            self._fail_at = checked
            self._writes = 0
            self._operations = []

    @property
    def capabilities(self) -> frozenset[Capability]:
        """The wrapped store's capabilities."""
        return self._store.capabilities

    def unit_of_work(self, *, actor: str | None = None) -> FaultyUnitOfWork:
        """A unit of work of the wrapped store, whose writes are counted."""
        return FaultyUnitOfWork(self._store.unit_of_work(actor=actor), self)

    def close(self) -> None:
        """Close the wrapped store."""
        self._store.close()

    def __enter__(self) -> FaultyStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _count(self, operation: str) -> None:
        """Count one write; raise InjectedFault if it is the one that fails."""
        with self._lock:
            self._writes += 1
            self._operations.append(operation)
            position = self._writes
            fail = position == self._fail_at
        if fail:
            raise InjectedFault(position, operation)


class FaultyUnitOfWork:
    """A unit of work of a :class:`FaultyStore`: the wrapped one, with its writes counted.

    It satisfies the :class:`~leadflow.ports.UnitOfWork` port.  Its repositories pass
    reads on unchanged; ``record`` and ``commit`` are counted as writes (``commit``
    last); ``rollback``, ``events`` and ``actor`` are the wrapped unit of work's.
    Entering and leaving a ``with`` block enters and leaves the wrapped unit of work,
    so an exception, an :class:`InjectedFault` included, rolls it back.
    """

    def __init__(self, inner: UnitOfWork, store: FaultyStore) -> None:
        self._inner = inner
        self._store = store
        self._repositories: dict[str, object] = {}

    def __repr__(self) -> str:
        return f"FaultyUnitOfWork({self._inner!r})"

    @property
    def inner(self) -> UnitOfWork:
        """The wrapped unit of work."""
        return self._inner

    def _wrapped(self, name: str, make: Callable[[], R]) -> R:
        found = self._repositories.get(name)
        if found is None:
            found = self._repositories[name] = make()
        return cast(R, found)

    @property
    def leads(self) -> LeadRepository:
        """The leads."""
        return self._wrapped("lead", lambda: _FaultyLeads(self._inner.leads, "lead", self._store))

    @property
    def accounts(self) -> AccountRepository:
        """The accounts."""
        return self._wrapped(
            "account", lambda: _FaultyAccounts(self._inner.accounts, "account", self._store)
        )

    @property
    def contacts(self) -> ContactRepository:
        """The contacts."""
        return self._wrapped(
            "contact", lambda: _FaultyContacts(self._inner.contacts, "contact", self._store)
        )

    @property
    def opportunities(self) -> OpportunityRepository:
        """The opportunities."""
        return self._wrapped(
            "opportunity",
            lambda: _FaultyRepository[Opportunity, OpportunityId](
                self._inner.opportunities, "opportunity", self._store
            ),
        )

    @property
    def campaigns(self) -> CampaignRepository:
        """The campaigns."""
        return self._wrapped(
            "campaign",
            lambda: _FaultyRepository[Campaign, CampaignId](
                self._inner.campaigns, "campaign", self._store
            ),
        )

    @property
    def activities(self) -> ActivityRepository:
        """The activities."""
        return self._wrapped(
            "activity",
            lambda: _FaultyRepository[Activity, ActivityId](
                self._inner.activities, "activity", self._store
            ),
        )

    @property
    def products(self) -> ProductRepository:
        """The products."""
        return self._wrapped(
            "product",
            lambda: _FaultyRepository[Product, ProductId](
                self._inner.products, "product", self._store
            ),
        )

    @property
    def events(self) -> EventLog:
        """The wrapped unit of work's event log (reading it is not a write)."""
        return self._inner.events

    @property
    def actor(self) -> str | None:
        """The wrapped unit of work's actor."""
        return self._inner.actor

    def record(self, *events: Event) -> None:
        """Count a write (``"record"``), then record the events in the wrapped unit of work."""
        self._store._count("record")
        self._inner.record(*events)

    def commit(self) -> None:
        """Count a write (``"commit"``), then commit the wrapped unit of work."""
        self._store._count("commit")
        self._inner.commit()

    def rollback(self) -> None:
        """Roll the wrapped unit of work back (not counted)."""
        self._inner.rollback()

    def __enter__(self) -> FaultyUnitOfWork:
        self._inner.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._inner.__exit__(exc_type, exc, traceback)


class _FaultyRepository(Generic[E, I]):
    """A repository whose writes are counted by a FaultyStore; reads pass through."""

    def __init__(self, inner: Repository[E, I], entity: str, store: FaultyStore) -> None:
        self._inner = inner
        self._entity = entity
        self._store = store

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._inner!r})"

    def add(self, entity: E) -> E:
        """Count a write, then add."""
        self._store._count(f"{self._entity}.add")
        return self._inner.add(entity)

    def add_many(self, entities: Iterable[E]) -> list[E]:
        """Count one write, then add them all."""
        self._store._count(f"{self._entity}.add_many")
        return self._inner.add_many(entities)

    def update(self, entity: E) -> E:
        """Count a write, then update."""
        self._store._count(f"{self._entity}.update")
        return self._inner.update(entity)

    def remove(self, entity: E) -> None:
        """Count a write, then remove."""
        self._store._count(f"{self._entity}.remove")
        self._inner.remove(entity)

    def get(self, entity_id: I) -> E:
        """The wrapped repository's ``get``."""
        return self._inner.get(entity_id)

    def get_many(self, entity_ids: Iterable[I]) -> dict[I, E]:
        """The wrapped repository's ``get_many``."""
        return self._inner.get_many(entity_ids)

    def find(self, query: Query[E]) -> Page[E]:
        """The wrapped repository's ``find``."""
        return self._inner.find(query)

    def count(self, query: Query[E]) -> int:
        """The wrapped repository's ``count``."""
        return self._inner.count(query)

    def stream(self, query: Query[E]) -> Iterator[E]:
        """The wrapped repository's ``stream``."""
        return self._inner.stream(query)

    def by_external_id(self, external_id: str) -> list[E]:
        """The wrapped repository's ``by_external_id``."""
        return self._inner.by_external_id(external_id)


class _FaultyLeads(_FaultyRepository[Lead, LeadId]):
    def __init__(self, inner: LeadRepository, entity: str, store: FaultyStore) -> None:
        super().__init__(inner, entity, store)
        self._leads = inner

    def by_email(self, email: EmailAddress | str) -> list[Lead]:
        """The wrapped repository's ``by_email``."""
        return self._leads.by_email(email)


class _FaultyAccounts(_FaultyRepository[Account, AccountId]):
    def __init__(self, inner: AccountRepository, entity: str, store: FaultyStore) -> None:
        super().__init__(inner, entity, store)
        self._accounts = inner

    def by_website_domain(self, domain: str) -> list[Account]:
        """The wrapped repository's ``by_website_domain``."""
        return self._accounts.by_website_domain(domain)


class _FaultyContacts(_FaultyRepository[Contact, ContactId]):
    def __init__(self, inner: ContactRepository, entity: str, store: FaultyStore) -> None:
        super().__init__(inner, entity, store)
        self._contacts = inner

    def by_email(self, email: EmailAddress | str) -> list[Contact]:
        """The wrapped repository's ``by_email``."""
        return self._contacts.by_email(email)


if TYPE_CHECKING:  # mypy checks that the wrappers satisfy the ports they stand in for

    def _satisfies_ports(store: FaultyStore, uow: FaultyUnitOfWork) -> tuple[Store, UnitOfWork]:
        return store, uow


# ===================================================================== snapshots


@attrs.frozen(kw_only=True, hash=False, repr=False)
class StoreSnapshot:
    """Everything a store holds at one moment, as JSON documents; made by :func:`snapshot`.

    Two snapshots are equal when the stored entities and the event log are the same.
    :meth:`diff` says what differs.  A snapshot holds dictionaries: it is not hashable.
    """

    #: For each entity name in :data:`~leadflow.ports.ENTITIES` (``"lead"``, ...): the
    #: stored entities' JSON documents by id (``str(entity.id)``, ``"lead_<uuid>"``).
    entities: Mapping[str, Mapping[str, Any]]
    #: The event log, in order: the JSON document of each
    #: :class:`~leadflow.events.RecordedEvent`.
    events: tuple[Mapping[str, Any], ...]

    def __repr__(self) -> str:
        counts = ", ".join(f"{name}={len(found)}" for name, found in self.entities.items())
        return f"StoreSnapshot({counts}, events={len(self.events)})"

    def diff(self, other: StoreSnapshot) -> list[str]:
        """What changed from this snapshot to ``other``, one line per difference.

        Lines read like ``lead lead_0193...: added``, ``... removed`` or
        ``... changed (status, version)``, then ``events: 4 -> 6`` and one line per
        event that differs.  An empty list means the snapshots are equal.
        """
        lines: list[str] = []
        for name in sorted(self.entities.keys() | other.entities.keys(), key=_entity_order):
            before = self.entities.get(name, {})
            after = other.entities.get(name, {})
            for key in sorted(before.keys() | after.keys()):
                if key not in after:
                    lines.append(f"{name} {key}: removed")
                elif key not in before:
                    lines.append(f"{name} {key}: added")
                elif before[key] != after[key]:
                    fields = sorted(changes(before[key], after[key]))
                    if before[key].get("version") != after[key].get("version"):
                        fields.append("version")
                    lines.append(f"{name} {key}: changed ({', '.join(fields)})")
        if len(self.events) != len(other.events):
            lines.append(f"events: {len(self.events)} -> {len(other.events)}")
        for number in range(max(len(self.events), len(other.events))):
            old = self.events[number] if number < len(self.events) else None
            new = other.events[number] if number < len(other.events) else None
            if old != new:
                where = f"event {number + 1}"
                if old is None:
                    lines.append(f"{where}: added {_describe(new)}")
                elif new is None:
                    lines.append(f"{where}: removed {_describe(old)}")
                else:
                    lines.append(f"{where}: {_describe(old)} -> {_describe(new)}")
        return lines


def _entity_order(name: str) -> tuple[int, str]:
    names = [spec.name for spec in ENTITIES]
    return (names.index(name) if name in names else len(names), name)


def _describe(recorded: Mapping[str, Any] | None) -> str:
    event = (recorded or {}).get("event") or {}
    return f"{event.get('type')} {event.get('entity')} {event.get('entity_id')}"


def snapshot(store: Store) -> StoreSnapshot:
    """Read everything ``store`` holds, in one new unit of work that it rolls back.

    Every entity of every kind in :data:`~leadflow.ports.ENTITIES`, and the whole
    event log, as JSON documents (:func:`~leadflow.serialization.to_dict`).  Works on
    a :class:`FaultyStore` too: reads are not writes.
    """
    entities: dict[str, dict[str, Any]] = {}
    with store.unit_of_work() as uow:
        for spec in ENTITIES:
            repository: Repository[Any, Any] = getattr(uow, spec.plural)
            query: Query[Any] = Query(spec.cls, order="id", page_size=1000)
            entities[spec.name] = {str(e.id): to_dict(e) for e in repository.stream(query)}
        events = tuple(to_dict(recorded) for recorded in uow.events.read())
    return StoreSnapshot(entities=entities, events=events)
