"""The SQLite adapter: leadflow's embedded default, on the standard library's ``sqlite3``.

Each entity kind is a table holding every entity's JSON document, its version, and an
indexed column per field of the entity catalog; events go to an ``event`` table in the
same transaction as the changes they describe.  The database runs in WAL mode, so
readers never wait for a writer, and several processes may share one file: a writer
waits for another up to ``busy_timeout`` seconds.

Isolation: a unit of work reads committed data until its first write; from then on it
holds the database's write lock (``BEGIN IMMEDIATE``) until it commits or rolls back,
and reads see its own changes.  A write based on a stale read raises
:class:`~leadflow.errors.ConcurrencyConflict` at once, with the stored version.

Durability: ``synchronous=NORMAL`` by default.  A committed unit of work survives the
process being killed; on a power failure the last commits may be lost, never
half-applied.  Pass ``synchronous="FULL"`` (or ``?synchronous=full`` in the URL) to
make each commit durable on disk before it returns.

Open it with ``leadflow.connect("sqlite:///crm.db")`` or :class:`SqliteStore`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
import threading
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import attrs

from leadflow.adapters._common import (
    Clock,
    Closing,
    LookupsMixin,
    RepositoriesMixin,
    added_event,
    check_query,
    conflict,
    first_repeat,
    make_page,
    not_found,
    removed_event,
    system_clock,
    updated_event,
    with_version,
)
from leadflow.adapters._sql import compile_query, index_names, quote
from leadflow.errors import DuplicateEntity, StorageError, ValidationError
from leadflow.events import Event, RecordedEvent
from leadflow.ports import (
    ENTITIES,
    Capability,
    EntitySpec,
    IndexedField,
    Page,
    Query,
)
from leadflow.serialization import dumps, from_dict, loads, to_dict

__all__ = ["SqliteEventLog", "SqliteRepository", "SqliteStore", "SqliteUnitOfWork"]

UTC = timezone.utc
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

#: The layout of leadflow's tables in a SQLite database; see ``_MIGRATIONS``.
SCHEMA_VERSION = 1
_COLUMN_TYPES = {
    "text": "TEXT",
    "uuid": "TEXT",
    "timestamp": "INTEGER",
    "date": "TEXT",
    "bool": "INTEGER",
}


def _micros(value: datetime) -> int:
    return (value - _EPOCH) // _MICROSECOND


def _from_micros(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=value)


def _to_db(field: IndexedField, value: Any) -> Any:
    """A value in the form its column keeps it."""
    if value is None:
        return None
    kind = field.kind
    if kind == "uuid":
        return str(value)
    if kind == "timestamp":
        return _micros(value)
    if kind == "date":
        return value.isoformat()
    if kind == "bool":
        return int(value)
    return value


def _schema_v1() -> list[str]:
    statements = []
    for spec in ENTITIES:
        columns = ", ".join(
            f"{quote(f.name)} {_COLUMN_TYPES[f.kind]}{' NOT NULL' if f.orderable else ''}"
            for f in spec.fields
            if f.name != "id"
        )
        statements.append(
            f"CREATE TABLE {quote(spec.name)} ("
            f"{quote('id')} TEXT NOT NULL UNIQUE, version INTEGER NOT NULL, {columns}, "
            "document TEXT NOT NULL)"
        )
        for name, cols in index_names(spec):
            statements.append(
                f"CREATE INDEX {quote(name)} ON {quote(spec.name)} "
                f"({', '.join(quote(c) for c in cols)})"
            )
    event_table = (
        "CREATE TABLE event (position INTEGER PRIMARY KEY AUTOINCREMENT, "
        "recorded_at INTEGER NOT NULL, actor TEXT, entity TEXT NOT NULL, "
        "entity_id TEXT NOT NULL, document TEXT NOT NULL)"
    )
    statements += [event_table, "CREATE INDEX event_entity ON event (entity, entity_id, position)"]
    return statements


#: Forward migrations: the statements that take the layout from version n - 1 to n.
_MIGRATIONS: dict[int, list[str]] = {1: _schema_v1()}


def _translate(error: sqlite3.Error, entity: str, operation: str, timeout: float) -> StorageError:
    message = str(error)
    if isinstance(error, sqlite3.OperationalError) and "locked" in message:
        message = (
            f"the database is busy: another writer held it for more than {timeout:g} s ({message})"
        )
    return StorageError(entity=entity, operation=operation, reason=message)


class SqliteStore(Closing):
    """A store in a SQLite database file; see the module documentation.

    ``path`` is the database file, created if needed; ``None`` makes a private,
    temporary database that is removed when the store closes.  ``busy_timeout`` is how
    many seconds a writer waits for another; ``synchronous`` is SQLite's durability
    setting (``"NORMAL"`` or ``"FULL"``); ``clock`` gives events' ``recorded_at``.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        busy_timeout: float = 5.0,
        synchronous: str = "NORMAL",
        clock: Clock = system_clock,
    ) -> None:
        if synchronous.upper() not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise ValidationError.single(
                "synchronous",
                synchronous,
                "must be OFF, NORMAL, FULL or EXTRA",
                subject="SqliteStore",
            )
        self._temporary: str | None = None
        if path is None:
            self._temporary = tempfile.mkdtemp(prefix="leadflow-")
            path = Path(self._temporary) / "store.db"
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self._synchronous = synchronous.upper()
        self._clock = clock
        self._idle: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._closed = False
        self.capabilities: frozenset[Capability] = (
            frozenset()
            if self._temporary
            else frozenset({Capability.PERSISTENT, Capability.MULTI_PROCESS})
        )
        connection = self._connect()
        try:
            self._migrate(connection)
        finally:
            connection.close()

    @classmethod
    def from_url(cls, url: str) -> SqliteStore:
        """Open ``sqlite:///relative.db``, ``sqlite:////absolute.db`` or ``sqlite://``.

        The query string may set ``busy_timeout`` (seconds) and ``synchronous``.
        """
        parts = urlsplit(url)
        options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        unknown = set(options) - {"busy_timeout", "synchronous"}
        if unknown or parts.netloc:
            raise ValidationError.single(
                "url",
                url,
                "is not a SQLite URL: use sqlite:///relative.db, sqlite:////absolute.db or "
                "sqlite://, with busy_timeout= and synchronous= as the only options",
                subject="connect",
            )
        raw = unquote(parts.path)
        path = raw[1:] if raw.startswith("/") else raw
        try:
            timeout = float(options.get("busy_timeout", 5.0))
        except ValueError:
            raise ValidationError.single(
                "busy_timeout",
                options["busy_timeout"],
                "is not a number of seconds",
                subject="connect",
            ) from None
        return cls(
            None if path in ("", ":memory:") else path,
            busy_timeout=timeout,
            synchronous=options.get("synchronous", "NORMAL"),
        )

    # ----------------------------------------------------------------- connections

    def _connect(self) -> sqlite3.Connection:
        try:
            connection = sqlite3.connect(
                self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False
            )
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(f"PRAGMA synchronous={self._synchronous}")
            connection.execute(f"PRAGMA busy_timeout={int(self.busy_timeout * 1000)}")
        except sqlite3.Error as error:
            raise _translate(error, "store", "open", self.busy_timeout) from None
        return connection

    def _migrate(self, connection: sqlite3.Connection) -> None:
        try:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute(
                "CREATE TABLE IF NOT EXISTS leadflow_schema (version INTEGER NOT NULL)"
            )
            row = connection.execute("SELECT max(version) FROM leadflow_schema").fetchone()
            current = row[0] or 0
            if current > SCHEMA_VERSION:
                connection.execute("ROLLBACK")
                raise StorageError(
                    entity="store",
                    operation="open",
                    reason=f"the database has layout {current}, newer than this leadflow "
                    f"knows ({SCHEMA_VERSION}); upgrade leadflow",
                )
            for version in range(current + 1, SCHEMA_VERSION + 1):
                for statement in _MIGRATIONS[version]:
                    connection.execute(statement)
                connection.execute("INSERT INTO leadflow_schema (version) VALUES (?)", (version,))
            connection.execute("COMMIT")
        except sqlite3.Error as error:
            with contextlib.suppress(sqlite3.Error):
                connection.execute("ROLLBACK")
            raise _translate(error, "store", "migrate", self.busy_timeout) from None

    def _acquire(self) -> sqlite3.Connection:
        with self._lock:
            self._check_open("open a unit of work")
            if self._idle:
                return self._idle.pop()
        return self._connect()

    def _release(self, connection: sqlite3.Connection) -> None:
        with self._lock:
            if not self._closed and len(self._idle) < 8:
                self._idle.append(connection)
                return
        connection.close()

    def _check_open(self, operation: str) -> None:
        if self._closed:
            raise StorageError(entity="store", operation=operation, reason="the store is closed")

    # --------------------------------------------------------------------- public

    def unit_of_work(self, *, actor: str | None = None) -> SqliteUnitOfWork:
        """A new unit of work; ``actor`` is recorded with its events."""
        return SqliteUnitOfWork(self, actor)

    def close(self) -> None:
        """Close the idle connections; a temporary database is removed."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()
        if self._temporary is not None:
            shutil.rmtree(self._temporary, ignore_errors=True)


class SqliteUnitOfWork(RepositoriesMixin, Closing):
    """A unit of work on a :class:`SqliteStore`, holding one connection."""

    def __init__(self, store: SqliteStore, actor: str | None) -> None:
        self._store = store
        self._actor = actor
        self._connection: sqlite3.Connection | None = store._acquire()
        self._writing = False
        self._events: list[Event] = []
        self._repositories: dict[str, SqliteRepository] = {}
        self._log = SqliteEventLog(self)

    # ------------------------------------------------------------- repositories

    # --------------------------------------------------------------- statements

    @property
    def connection(self) -> sqlite3.Connection:
        """The unit of work's connection (StorageError once it is closed)."""
        self._store._check_open("use a unit of work")
        if self._connection is None:
            raise StorageError(
                entity="store", operation="use a unit of work", reason="the unit of work is closed"
            )
        return self._connection

    def execute(
        self, sql: str, params: Iterable[Any], *, entity: str, operation: str
    ) -> sqlite3.Cursor:
        """Run a statement, translating driver errors."""
        try:
            return self.connection.execute(sql, tuple(params))
        except sqlite3.IntegrityError:
            raise
        except sqlite3.Error as error:
            raise _translate(error, entity, operation, self._store.busy_timeout) from None

    def begin_write(self, entity: str, operation: str) -> None:
        """Take the write lock for the rest of the unit of work (once)."""
        if not self._writing:
            self.execute("BEGIN IMMEDIATE", (), entity=entity, operation=operation)
            self._writing = True

    # ---------------------------------------------------------------- lifecycle

    def record(self, *events: Event) -> None:
        """Add events to append to the log at commit."""
        self._events.extend(events)

    def commit(self) -> None:
        """Append the events and commit the transaction: all of it, or none."""
        if self._events:
            self.begin_write("event", "commit")
        if not self._writing:
            return
        recorded_at = _micros(self._store._clock())
        rows = [
            (recorded_at, self._actor, event.entity, str(event.entity_id), dumps(to_dict(event)))
            for event in self._events
        ]
        try:
            self.connection.executemany(
                "INSERT INTO event (recorded_at, actor, entity, entity_id, document) "
                "VALUES (?, ?, ?, ?, ?)",
                rows,
            )
            self.connection.execute("COMMIT")
        except sqlite3.Error as error:
            self.rollback()
            raise _translate(error, "unit of work", "commit", self._store.busy_timeout) from None
        self._writing = False
        self._events = []

    def rollback(self) -> None:
        """Discard every change and event not yet committed."""
        self._events = []
        if self._writing:
            self._writing = False
            if self._connection is not None:
                with contextlib.suppress(sqlite3.Error):
                    self._connection.execute("ROLLBACK")

    def close(self) -> None:
        """Roll back what is not committed and give the connection back."""
        self.rollback()
        if self._connection is not None:
            connection, self._connection = self._connection, None
            self._store._release(connection)


class SqliteEventLog:
    """The event log of a :class:`SqliteStore`."""

    def __init__(self, uow: SqliteUnitOfWork) -> None:
        self._uow = uow

    def read(
        self,
        *,
        after: int = 0,
        entity: str | None = None,
        entity_id: uuid.UUID | None = None,
        limit: int | None = None,
    ) -> list[RecordedEvent]:
        """Committed events after position ``after``, optionally of one kind or entity."""
        sql = "SELECT position, recorded_at, actor, document FROM event WHERE position > ?"
        params: list[Any] = [after]
        if entity is not None:
            sql += " AND entity = ?"
            params.append(entity)
        if entity_id is not None:
            sql += " AND entity_id = ?"
            params.append(str(entity_id))
        sql += " ORDER BY position"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        rows = self._uow.execute(sql, params, entity="event", operation="read").fetchall()
        return [
            RecordedEvent(
                position=position,
                recorded_at=_from_micros(recorded_at),
                actor=actor,
                event=from_dict(Event, loads(document)),  # type: ignore[arg-type]
            )
            for position, recorded_at, actor, document in rows
        ]

    def last_position(self) -> int:
        """The position of the last committed event."""
        row = self._uow.execute(
            "SELECT max(position) FROM event", (), entity="event", operation="read"
        ).fetchone()
        return int(row[0] or 0)


@attrs.frozen
class _Statements:
    """The SQL of one entity's table, made once from the catalog."""

    table: str
    fields: tuple[IndexedField, ...]
    insert: str
    update: str

    @classmethod
    def of(cls, spec: EntitySpec) -> _Statements:
        table = quote(spec.name)
        fields = tuple(f for f in spec.fields if f.name != "id")
        names = ", ".join(quote(f.name) for f in fields)
        marks = ", ".join("?" for _ in fields)
        columns = f"id, version, {names}, document"
        assignments = ", ".join(f"{quote(f.name)} = ?" for f in fields)
        return cls(
            table=table,
            fields=fields,
            insert=f"INSERT INTO {table} ({columns}) VALUES (?, ?, {marks}, ?)",
            update=f"UPDATE {table} SET version = ?, {assignments}, document = ? WHERE id = ?",
        )


_STATEMENTS = {spec.name: _Statements.of(spec) for spec in ENTITIES}


class SqliteRepository(LookupsMixin):
    """The entities of one kind in a :class:`SqliteUnitOfWork`."""

    def __init__(self, uow: SqliteUnitOfWork, spec: EntitySpec) -> None:
        self._uow = uow
        self.spec = spec
        statements = _STATEMENTS[spec.name]
        self._table = statements.table
        self._fields = statements.fields
        self._insert = statements.insert
        self._update = statements.update

    def _row(self, entity: Any, document: dict[str, Any]) -> list[Any]:
        return [_to_db(f, f.read(entity)) for f in self._fields] + [dumps(document)]

    def _load(self, document: str) -> Any:
        return from_dict(self.spec.cls, loads(document))

    def _stored(self, entity_id: uuid.UUID, operation: str) -> tuple[int, str] | None:
        row = self._uow.execute(
            f"SELECT version, document FROM {self._table} WHERE id = ?",
            (str(entity_id),),
            entity=self.spec.name,
            operation=operation,
        ).fetchone()
        return None if row is None else (row[0], row[1])

    def add(self, entity: Any) -> Any:
        """Store a new entity; DuplicateEntity if its id is taken."""
        stored = with_version(entity, entity.version + 1)
        self._uow.begin_write(self.spec.name, "add")
        row = [str(stored.id.value), stored.version, *self._row(stored, to_dict(stored))]
        try:
            self._uow.execute(self._insert, row, entity=self.spec.name, operation="add")
        except sqlite3.IntegrityError:
            raise DuplicateEntity(entity=self.spec.name, key=str(stored.id)) from None
        self._uow._events.append(added_event(self.spec, stored))
        return stored

    def add_many(self, entities: Iterable[Any]) -> list[Any]:
        """Store new entities in one statement; DuplicateEntity, and none stored, on a taken id."""
        stored = [with_version(e, e.version + 1) for e in entities]
        if not stored:
            return []
        keys = [str(s.id.value) for s in stored]
        repeated = first_repeat(keys)
        if repeated is not None:
            raise DuplicateEntity(
                entity=self.spec.name, key=str(self.spec.id_type(value=uuid.UUID(repeated)))
            )
        rows = [
            [key, s.version, *self._row(s, to_dict(s))] for key, s in zip(keys, stored, strict=True)
        ]
        self._uow.begin_write(self.spec.name, "add")
        self._uow.execute("SAVEPOINT add_many", (), entity=self.spec.name, operation="add")
        try:
            self._uow.connection.executemany(self._insert, rows)
        except sqlite3.Error as error:
            self._uow.execute("ROLLBACK TO add_many", (), entity=self.spec.name, operation="add")
            self._uow.execute("RELEASE add_many", (), entity=self.spec.name, operation="add")
            if isinstance(error, sqlite3.IntegrityError):
                taken = self.get_many(self.spec.id_type(value=uuid.UUID(k)) for k in keys)
                raise DuplicateEntity(entity=self.spec.name, key=str(next(iter(taken)))) from None
            raise _translate(error, self.spec.name, "add", self._uow._store.busy_timeout) from None
        self._uow.execute("RELEASE add_many", (), entity=self.spec.name, operation="add")
        self._uow._events.extend(added_event(self.spec, s) for s in stored)
        return stored

    def get(self, entity_id: Any) -> Any:
        """The entity with this id, as this unit of work sees it."""
        found = self._stored(entity_id.value, "get")
        if found is None:
            raise not_found(self.spec, entity_id)
        return self._load(found[1])

    def get_many(self, entity_ids: Iterable[Any]) -> dict[Any, Any]:
        """The entities with these ids that exist, by id."""
        wanted = {str(i.value): i for i in entity_ids}
        found: dict[Any, Any] = {}
        keys = list(wanted)
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            rows = self._uow.execute(
                f"SELECT id, document FROM {self._table} WHERE id IN ({marks})",
                chunk,
                entity=self.spec.name,
                operation="get",
            ).fetchall()
            for key, document in rows:
                found[wanted[key]] = self._load(document)
        return {i: found[i] for i in wanted.values() if i in found}

    def _current(self, entity: Any, operation: str) -> dict[str, Any]:
        self._uow.begin_write(self.spec.name, operation)
        stored = self._stored(entity.id.value, operation)
        if stored is None:
            raise not_found(self.spec, entity.id)
        version, document = stored
        if version != entity.version:
            raise conflict(self.spec, entity, version)
        before: dict[str, Any] = loads(document)
        return before

    def update(self, entity: Any) -> Any:
        """Store a changed entity; ConcurrencyConflict if its version is not the stored one."""
        before = self._current(entity, "update")
        stored = with_version(entity, entity.version + 1)
        after = to_dict(stored)
        row = [stored.version, *self._row(stored, after), str(stored.id.value)]
        self._uow.execute(self._update, row, entity=self.spec.name, operation="update")
        self._uow._events.append(updated_event(self.spec, before, after, stored))
        return stored

    def remove(self, entity: Any) -> None:
        """Remove an entity; same checks as update."""
        before = self._current(entity, "remove")
        entity_id = entity.id.value
        self._uow.execute(
            f"DELETE FROM {self._table} WHERE id = ?",
            (str(entity_id),),
            entity=self.spec.name,
            operation="remove",
        )
        self._uow._events.append(removed_event(self.spec, before, entity.version, entity_id))

    def find(self, query: Query[Any]) -> Page[Any]:
        """One page of the matching entities, in the query's order."""
        check_query(self.spec, query)
        compiled = compile_query(query, placeholder="?", convert=_to_db)
        rows = self._uow.execute(
            f"SELECT document FROM {self._table} WHERE {compiled.where} "
            f"ORDER BY {compiled.order} LIMIT ?",
            [*compiled.params, query.page_size + 1],
            entity=self.spec.name,
            operation="find",
        ).fetchall()
        return make_page(query, [self._load(document) for (document,) in rows])

    def count(self, query: Query[Any]) -> int:
        """How many entities match the query's filters."""
        check_query(self.spec, query)
        compiled = compile_query(query, placeholder="?", convert=_to_db, with_cursor=False)
        row = self._uow.execute(
            f"SELECT count(*) FROM {self._table} WHERE {compiled.where}",
            compiled.params,
            entity=self.spec.name,
            operation="count",
        ).fetchone()
        return int(row[0])


SqliteUnitOfWork.repository_class = SqliteRepository
