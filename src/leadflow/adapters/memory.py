"""The memory adapter: the reference implementation of the storage ports.

Everything lives in Python dictionaries, so it is fast to set up and gone when the
process ends.  It has real transactional semantics: a unit of work keeps its changes
to itself until it commits, and its commit checks, under a lock, that nothing it
changed was changed by someone else since it looked; then it applies every change and
appends every event at once, or raises and applies nothing.

Open it with ``leadflow.connect("memory://")`` or :class:`MemoryStore`.
"""

from __future__ import annotations

import heapq
import threading
import uuid
from collections.abc import Iterable
from typing import Any

from leadflow.adapters._common import (
    Clock,
    Closing,
    LookupsMixin,
    RepositoriesMixin,
    added_event,
    check_query,
    conflict,
    make_page,
    not_found,
    removed_event,
    system_clock,
    updated_event,
    with_version,
)
from leadflow.errors import ConcurrencyConflict, DuplicateEntity, StorageError
from leadflow.events import Event, RecordedEvent
from leadflow.ports import ENTITIES, Capability, EntitySpec, Page, Query, decode_cursor, entity_spec
from leadflow.serialization import to_dict

__all__ = ["MemoryEventLog", "MemoryRepository", "MemoryStore", "MemoryUnitOfWork"]


class _Removed:
    """Marks an entity removed by a unit of work that has not committed yet."""


_REMOVED = _Removed()


class MemoryStore(Closing):
    """A store in memory; see the module documentation.

    ``clock`` gives the ``recorded_at`` of events (the system clock by default).
    """

    capabilities: frozenset[Capability] = frozenset()

    def __init__(self, *, clock: Clock = system_clock) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._tables: dict[str, dict[uuid.UUID, Any]] = {spec.name: {} for spec in ENTITIES}
        self._events: list[RecordedEvent] = []
        self._closed = False

    def unit_of_work(self, *, actor: str | None = None) -> MemoryUnitOfWork:
        """A new unit of work; ``actor`` is recorded with its events."""
        self._check_open("open a unit of work")
        return MemoryUnitOfWork(self, actor)

    def close(self) -> None:
        """Forget everything; the store cannot be used afterwards."""
        with self._lock:
            self._closed = True
            self._tables = {spec.name: {} for spec in ENTITIES}
            self._events = []

    def _check_open(self, operation: str) -> None:
        if self._closed:
            raise StorageError(entity="store", operation=operation, reason="the store is closed")

    # ----------------------------------------------------------- used by units of work

    def _stored(self, kind: str, entity_id: uuid.UUID) -> Any:
        return self._tables[kind].get(entity_id)

    def _snapshot(self, kind: str) -> dict[uuid.UUID, Any]:
        with self._lock:
            self._check_open(f"read {kind}")
            return dict(self._tables[kind])

    def _apply(
        self,
        changes: dict[str, dict[uuid.UUID, Any]],
        expected: dict[tuple[str, uuid.UUID], int | None],
        events: list[Event],
        actor: str | None,
    ) -> None:
        with self._lock:
            self._check_open("commit")
            for (kind, entity_id), version in expected.items():
                stored = self._tables[kind].get(entity_id)
                if version is None:
                    if stored is not None:
                        raise DuplicateEntity(entity=kind, key=str(stored.id))
                elif stored is None or stored.version != version:
                    spec = entity_spec(kind)
                    raise ConcurrencyConflict(
                        entity=kind,
                        entity_id=str(spec.id_type(value=entity_id)),
                        expected=version,
                        stored=None if stored is None else stored.version,
                    )
            for kind, table_changes in changes.items():
                table = self._tables[kind]
                for entity_id, entity in table_changes.items():
                    if entity is _REMOVED:
                        table.pop(entity_id, None)
                    else:
                        table[entity_id] = entity
            now = self._clock()
            start = len(self._events)
            self._events.extend(
                RecordedEvent(position=start + i + 1, recorded_at=now, actor=actor, event=event)
                for i, event in enumerate(events)
            )

    def _read_events(
        self, after: int, entity: str | None, entity_id: uuid.UUID | None, limit: int | None
    ) -> list[RecordedEvent]:
        with self._lock:
            self._check_open("read events")
            found = [
                recorded
                for recorded in self._events[max(after, 0) :]
                if (entity is None or recorded.event.entity == entity)
                and (entity_id is None or recorded.event.entity_id == entity_id)
            ]
        return found if limit is None else found[:limit]

    def _last_position(self) -> int:
        with self._lock:
            return len(self._events)


class MemoryUnitOfWork(RepositoriesMixin, Closing):
    """A unit of work on a :class:`MemoryStore`."""

    def __init__(self, store: MemoryStore, actor: str | None) -> None:
        self._store = store
        self._actor = actor
        self._changes: dict[str, dict[uuid.UUID, Any]] = {spec.name: {} for spec in ENTITIES}
        # For every entity this unit of work changed: the stored version its change is
        # based on (None: it must not exist).  Commit checks them all under the lock.
        self._expected: dict[tuple[str, uuid.UUID], int | None] = {}
        self._events: list[Event] = []
        self._repositories: dict[str, MemoryRepository] = {}
        self._log = MemoryEventLog(store)

    def record(self, *events: Event) -> None:
        """Add events to append to the log at commit."""
        self._events.extend(events)

    def commit(self) -> None:
        """Apply every change and append every event, or raise and apply nothing."""
        self._store._apply(self._changes, self._expected, self._events, self._actor)
        self._reset()

    def rollback(self) -> None:
        """Discard every change and event not yet committed."""
        self._reset()

    def close(self) -> None:
        """Discard what is not committed (a memory unit of work holds nothing else)."""
        self._reset()

    def _reset(self) -> None:
        self._changes = {spec.name: {} for spec in ENTITIES}
        self._expected = {}
        self._events = []


class MemoryEventLog:
    """The event log of a :class:`MemoryStore`."""

    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    def read(
        self,
        *,
        after: int = 0,
        entity: str | None = None,
        entity_id: uuid.UUID | None = None,
        limit: int | None = None,
    ) -> list[RecordedEvent]:
        """Committed events after position ``after``, optionally of one kind or entity."""
        return self._store._read_events(after, entity, entity_id, limit)

    def last_position(self) -> int:
        """The position of the last committed event."""
        return self._store._last_position()


class MemoryRepository(LookupsMixin):
    """The entities of one kind in a :class:`MemoryUnitOfWork`."""

    def __init__(self, uow: MemoryUnitOfWork, spec: EntitySpec) -> None:
        self._uow = uow
        self.spec = spec

    def _current(self, entity_id: uuid.UUID) -> Any:
        pending = self._uow._changes[self.spec.name].get(entity_id)
        if pending is _REMOVED:
            return None
        if pending is not None:
            return pending
        self._uow._store._check_open(f"read {self.spec.name}")
        return self._uow._store._stored(self.spec.name, entity_id)

    def _remember(self, entity_id: uuid.UUID) -> None:
        """Note the stored version this unit of work's change of an entity is based on."""
        key = (self.spec.name, entity_id)
        if key not in self._uow._expected:
            stored = self._uow._store._stored(self.spec.name, entity_id)
            self._uow._expected[key] = None if stored is None else stored.version

    def add(self, entity: Any) -> Any:
        """Stage a new entity; DuplicateEntity if its id is taken."""
        entity_id = entity.id.value
        if self._current(entity_id) is not None:
            raise DuplicateEntity(entity=self.spec.name, key=str(entity.id))
        stored = with_version(entity, entity.version + 1)
        self._remember(entity_id)
        self._uow._changes[self.spec.name][entity_id] = stored
        self._uow._events.append(added_event(self.spec, stored))
        return stored

    def add_many(self, entities: Iterable[Any]) -> list[Any]:
        """Stage new entities; DuplicateEntity, and none staged, if any id is taken."""
        batch = list(entities)
        seen: set[uuid.UUID] = set()
        for entity in batch:
            entity_id = entity.id.value
            if entity_id in seen or self._current(entity_id) is not None:
                raise DuplicateEntity(entity=self.spec.name, key=str(entity.id))
            seen.add(entity_id)
        return [self.add(entity) for entity in batch]

    def get(self, entity_id: Any) -> Any:
        """The entity with this id, as this unit of work sees it."""
        found = self._current(entity_id.value)
        if found is None:
            raise not_found(self.spec, entity_id)
        return found

    def get_many(self, entity_ids: Iterable[Any]) -> dict[Any, Any]:
        """The entities with these ids that exist, by id."""
        found = {}
        for entity_id in entity_ids:
            current = self._current(entity_id.value)
            if current is not None:
                found[entity_id] = current
        return found

    def _check_current(self, entity: Any) -> Any:
        current = self._current(entity.id.value)
        if current is None:
            raise not_found(self.spec, entity.id)
        if current.version != entity.version:
            raise conflict(self.spec, entity, current.version)
        return current

    def update(self, entity: Any) -> Any:
        """Stage a change; ConcurrencyConflict if the version is not the current one."""
        current = self._check_current(entity)
        stored = with_version(entity, entity.version + 1)
        entity_id = stored.id.value
        self._remember(entity_id)
        self._uow._changes[self.spec.name][entity_id] = stored
        self._uow._events.append(
            updated_event(self.spec, to_dict(current), to_dict(stored), stored)
        )
        return stored

    def remove(self, entity: Any) -> None:
        """Stage a removal; same checks as update."""
        current = self._check_current(entity)
        entity_id = current.id.value
        self._remember(entity_id)
        self._uow._changes[self.spec.name][entity_id] = _REMOVED
        self._uow._events.append(
            removed_event(self.spec, to_dict(current), current.version, entity_id)
        )

    def _visible(self) -> list[Any]:
        table = self._uow._store._snapshot(self.spec.name)
        for entity_id, entity in self._uow._changes[self.spec.name].items():
            if entity is _REMOVED:
                table.pop(entity_id, None)
            else:
                table[entity_id] = entity
        return list(table.values())

    def _check_query(self, query: Query[Any]) -> None:
        check_query(self.spec, query)

    def find(self, query: Query[Any]) -> Page[Any]:
        """One page of the matching entities, in the query's order."""
        self._check_query(query)
        matches, key = query.predicate(), query.key()
        rows: Iterable[Any] = filter(matches, self._visible())
        if query.cursor is not None:
            mark = decode_cursor(query, query.cursor)
            after = (lambda e: key(e) < mark) if query.descending else (lambda e: key(e) > mark)
            rows = filter(after, rows)
        pick = heapq.nlargest if query.descending else heapq.nsmallest
        return make_page(query, pick(query.page_size + 1, rows, key=key))

    def count(self, query: Query[Any]) -> int:
        """How many entities match the query's filters."""
        self._check_query(query)
        return sum(1 for _ in filter(query.predicate(), self._visible()))


MemoryUnitOfWork.repository_class = MemoryRepository
