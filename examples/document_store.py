"""A complete storage adapter in one file: JSON documents in plain dictionaries.

This is the adapter the how-to "Write your own storage adapter" walks through. It
passes leadflow's conformance kit (see ``test_document_store.py`` beside it). It keeps
what a real database would keep, a JSON document and a version per entity, and a log
of events, so that its shape carries over: replace the dictionaries with your
database's tables and the overlay with its transactions.

It inherits nothing from leadflow. It uses leadflow's public helpers: the entity
catalog (which fields a query may use, and how to read them from an entity), the
query's own ``matches`` and ``sort_key`` (a real database would compile the query's
``conditions`` to its own language instead), cursors, serialization, change events
and errors.

It is single-threaded and keeps nothing after the process ends.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

import attrs

from leadflow.errors import (
    ConcurrencyConflict,
    DuplicateEntity,
    NotFound,
    StorageError,
    ValidationError,
)
from leadflow.events import EntityAdded, EntityRemoved, EntityUpdated, RecordedEvent, changes
from leadflow.ports import ENTITIES, Page, Query, decode_cursor, encode_cursor
from leadflow.serialization import dumps, from_dict, loads, to_dict

REMOVED = None  # what the overlay holds for an entity removed in a unit of work


class DocumentStore:
    """The storage: per kind of entity, ``id -> (version, JSON document)``; and the log."""

    capabilities: frozenset[Any] = frozenset()  # neither persistent nor multi-process

    def __init__(self) -> None:
        self.tables: dict[str, dict[str, tuple[int, str]]] = {s.name: {} for s in ENTITIES}
        self.log: list[RecordedEvent] = []
        self.closed = False

    def unit_of_work(self, *, actor: str | None = None) -> DocumentUnitOfWork:
        if self.closed:
            raise StorageError(entity="store", operation="open a unit of work", reason="closed")
        return DocumentUnitOfWork(self, actor)

    def close(self) -> None:
        self.closed = True

    def __enter__(self) -> DocumentStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class DocumentUnitOfWork:
    """Changes go to an overlay; commit checks every version, then applies everything."""

    def __init__(self, store: DocumentStore, actor: str | None) -> None:
        self.store = store
        self.actor = actor
        self.events = DocumentEventLog(store)
        self.overlay: dict[str, dict[str, tuple[int, str] | None]] = {s.name: {} for s in ENTITIES}
        self.based_on: dict[tuple[str, str], int | None] = {}  # the stored version we saw
        self.pending_events: list[Any] = []
        for spec in ENTITIES:  # uow.leads, uow.accounts, ...
            setattr(self, spec.plural, DocumentRepository(self, spec))

    def record(self, *events: Any) -> None:
        self.pending_events.extend(events)

    def commit(self) -> None:
        tables = self.store.tables
        if self.store.closed:
            raise StorageError(entity="store", operation="commit", reason="closed")
        for (kind, key), version in self.based_on.items():  # check everything first...
            stored = tables[kind].get(key)
            if version is None and stored is not None:
                raise DuplicateEntity(entity=kind, key=key)
            if version is not None and (stored is None or stored[0] != version):
                raise ConcurrencyConflict(
                    entity=kind, entity_id=key, expected=version, stored=stored and stored[0]
                )
        for kind, rows in self.overlay.items():  # ...then apply everything
            for key, row in rows.items():
                if row is REMOVED:
                    tables[kind].pop(key, None)
                else:
                    tables[kind][key] = row
        now = datetime.now(timezone.utc)  # adapters may read the clock; the domain core may not
        for event in self.pending_events:
            position = len(self.store.log) + 1
            self.store.log.append(
                RecordedEvent(position=position, recorded_at=now, actor=self.actor, event=event)
            )
        self.rollback()  # start afresh

    def rollback(self) -> None:
        self.overlay = {s.name: {} for s in ENTITIES}
        self.based_on = {}
        self.pending_events = []

    def __enter__(self) -> DocumentUnitOfWork:
        return self

    def __exit__(self, *exc: object) -> None:
        self.rollback()


class DocumentEventLog:
    def __init__(self, store: DocumentStore) -> None:
        self.store = store

    def read(
        self,
        *,
        after: int = 0,
        entity: str | None = None,
        entity_id: uuid.UUID | None = None,
        limit: int | None = None,
    ) -> list[RecordedEvent]:
        found = [
            r
            for r in self.store.log[after:]
            if (entity is None or r.event.entity == entity)
            and (entity_id is None or r.event.entity_id == entity_id)
        ]
        return found[:limit] if limit is not None else found

    def last_position(self) -> int:
        return len(self.store.log)


class DocumentRepository:
    """The entities of one kind, as one unit of work sees them."""

    def __init__(self, uow: DocumentUnitOfWork, spec: Any) -> None:
        self.uow = uow
        self.spec = spec

    # -- rows: (version, document) as the unit of work sees them ------------------

    def _row(self, key: str) -> tuple[int, str] | None:
        overlay = self.uow.overlay[self.spec.name]
        if key in overlay:
            return overlay[key]
        return self.uow.store.tables[self.spec.name].get(key)

    def _write(self, key: str, row: tuple[int, str] | None) -> None:
        stored = self.uow.store.tables[self.spec.name].get(key)
        self.uow.based_on.setdefault((self.spec.name, key), stored and stored[0])
        self.uow.overlay[self.spec.name][key] = row

    def _load(self, document: str) -> Any:
        return from_dict(self.spec.cls, loads(document))

    def _current(self, entity: Any) -> dict[str, Any]:
        row = self._row(str(entity.id))
        if row is None:
            raise NotFound(entity=self.spec.name, key=str(entity.id))
        if row[0] != entity.version:
            raise ConcurrencyConflict(
                entity=self.spec.name,
                entity_id=str(entity.id),
                expected=entity.version,
                stored=row[0],
            )
        return loads(row[1])

    # -- writes ---------------------------------------------------------------------

    def add(self, entity: Any) -> Any:
        if self._row(str(entity.id)) is not None:
            raise DuplicateEntity(entity=self.spec.name, key=str(entity.id))
        stored = attrs.evolve(entity, version=entity.version + 1)
        self._write(str(entity.id), (stored.version, dumps(to_dict(stored))))
        self.uow.pending_events.append(
            EntityAdded(entity=self.spec.name, entity_id=entity.id.value, version=stored.version)
        )
        return stored

    def add_many(self, entities: Any) -> list[Any]:
        batch = list(entities)
        seen: set[str] = set()
        for entity in batch:  # check every id before storing any
            key = str(entity.id)
            if key in seen or self._row(key) is not None:
                raise DuplicateEntity(entity=self.spec.name, key=key)
            seen.add(key)
        return [self.add(entity) for entity in batch]

    def update(self, entity: Any) -> Any:
        before = self._current(entity)
        stored = attrs.evolve(entity, version=entity.version + 1)
        after = to_dict(stored)
        self._write(str(entity.id), (stored.version, dumps(after)))
        self.uow.pending_events.append(
            EntityUpdated(
                entity=self.spec.name,
                entity_id=entity.id.value,
                version=stored.version,
                changes=changes(before, after),
            )
        )
        return stored

    def remove(self, entity: Any) -> None:
        before = self._current(entity)
        self._write(str(entity.id), REMOVED)
        self.uow.pending_events.append(
            EntityRemoved(
                entity=self.spec.name,
                entity_id=entity.id.value,
                version=entity.version,
                document=before,
            )
        )

    # -- reads ----------------------------------------------------------------------

    def get(self, entity_id: Any) -> Any:
        row = self._row(str(entity_id))
        if row is None:
            raise NotFound(entity=self.spec.name, key=str(entity_id))
        return self._load(row[1])

    def get_many(self, entity_ids: Any) -> dict[Any, Any]:
        found = {}
        for entity_id in entity_ids:
            row = self._row(str(entity_id))
            if row is not None:
                found[entity_id] = self._load(row[1])
        return found

    def _matching(self, query: Query[Any]) -> list[Any]:
        if query.spec is not self.spec:
            raise ValidationError.single("entity", query.spec.name, f"is not a {self.spec.name}")
        keys = set(self.uow.store.tables[self.spec.name]) | set(self.uow.overlay[self.spec.name])
        rows = (self._row(key) for key in keys)
        entities = (self._load(row[1]) for row in rows if row is not None)
        return [e for e in entities if query.matches(e)]

    def find(self, query: Query[Any]) -> Page[Any]:
        rows = sorted(self._matching(query), key=query.sort_key, reverse=query.descending)
        if query.cursor is not None:
            mark = decode_cursor(query, query.cursor)
            rows = [
                e
                for e in rows
                if (query.sort_key(e) < mark) == query.descending and query.sort_key(e) != mark
            ]
        if len(rows) > query.page_size:
            page = rows[: query.page_size]
            return Page(items=tuple(page), next_cursor=encode_cursor(query, page[-1]))
        return Page(items=tuple(rows))

    def count(self, query: Query[Any]) -> int:
        return len(self._matching(query))

    def stream(self, query: Query[Any]) -> Any:
        page = self.find(query.after(None))
        yield from page
        while page.next_cursor is not None:
            page = self.find(query.after(page.next_cursor))
            yield from page

    def _oldest_first(self, **filters: Any) -> list[Any]:
        return list(self.stream(Query(self.spec.cls).where(**filters)))

    def by_external_id(self, external_id: str) -> list[Any]:
        return self._oldest_first(external_id=external_id)

    def by_email(self, email: Any) -> list[Any]:
        return self._oldest_first(email=email)

    def by_website_domain(self, domain: str) -> list[Any]:
        return self._oldest_first(website_domain=domain)
