"""The PostgreSQL adapter, on the ``psycopg`` 3 driver (install the ``postgres`` extra).

Each entity kind is a table holding every entity's JSON document (``jsonb``), its
version, and an indexed column per field of the entity catalog; events go to an
``event`` table in the same transaction as the changes they describe.  The tables live
in one PostgreSQL schema: the connection's current schema (normally ``public``), or
the one the URL's ``schema=`` names, which is created if missing.  A ``leadflow_schema``
table records the layout; opening a store applies what is missing of it.

Isolation: a unit of work reads committed data until its first write; from then on it
holds a transaction (``READ COMMITTED``) until it commits or rolls back, and reads see
its own changes.  ``update`` and ``remove`` lock the stored row (``SELECT ... FOR
UPDATE``) and compare versions: a write based on a stale read raises
:class:`~leadflow.errors.ConcurrencyConflict` at once, with the stored version.  A
writer that finds a row locked by another waits for it to commit, up to
``lock_timeout`` seconds, then fails with :class:`~leadflow.errors.StorageError`.

Events are appended at commit, after locking the event table, so that their positions
follow the order in which units of work commit.

Values: PostgreSQL's ``text`` and ``jsonb`` cannot hold the NUL character.  Strings
that contain NUL or :data:`ESCAPE` (U+E000, a private-use character) are kept with NUL
written as ``ESCAPE + "0"`` and ``ESCAPE`` as ``ESCAPE + ESCAPE``, and read back
exactly; other strings are kept as they are.  ``jsonb`` keeps numbers as ``numeric``,
which would read ``1e+16`` back as an integer: floats of that size are written with a
fractional part (``10000000000000000.0``) so that they read back as the same float.
An indexed text value longer than 512 characters is kept in its column as its first
512 characters and a SHA-256 digest, which fits a B-tree index; the document keeps it
whole.

Open it with ``leadflow.connect("postgresql://user:password@host:5432/database")`` or
:meth:`PostgresStore.from_url`.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import threading
import uuid
import weakref
from collections.abc import Iterable, Sequence
from datetime import timezone
from typing import Any
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit
from urllib.parse import quote as url_quote

import attrs
import psycopg
from psycopg import errors as pg_errors
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.pq import TransactionStatus

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

__all__ = [
    "ESCAPE",
    "PostgresEventLog",
    "PostgresRepository",
    "PostgresStore",
    "PostgresUnitOfWork",
]

UTC = timezone.utc

#: The layout of leadflow's tables in a PostgreSQL schema; see ``_MIGRATIONS``.
SCHEMA_VERSION = 1
#: How many idle connections a store keeps for its next units of work.
POOL_SIZE = 8
#: Seconds to wait for a server that does not answer, unless the URL sets ``connect_timeout``.
CONNECT_TIMEOUT = 10
#: The options of a URL that are leadflow's; every other one must be libpq's.
URL_OPTIONS = frozenset({"schema", "lock_timeout"})

_COLUMN_TYPES = {
    "text": "text",
    "uuid": "uuid",
    "timestamp": "timestamptz",
    "date": "date",
    "bool": "boolean",
}

# ================================================================== encoding

#: The private-use character that escapes NUL (``ESCAPE + "0"``) and itself.
ESCAPE = "\ue000"
_ESCAPED_NUL = ESCAPE + "0"
_ESCAPED_ESCAPE = ESCAPE + ESCAPE
#: Indexed text longer than this is kept in its column as a prefix and a digest.
_INDEXED_TEXT_LIMIT = 512


def escape_text(text: str) -> str:
    """``text`` in a form PostgreSQL can keep: without NUL (see the module documentation)."""
    if "\x00" not in text and ESCAPE not in text:
        return text
    return text.replace(ESCAPE, _ESCAPED_ESCAPE).replace("\x00", _ESCAPED_NUL)


def unescape_text(text: str) -> str:
    """The text :func:`escape_text` was given for ``text``."""
    if ESCAPE not in text:
        return text
    parts: list[str] = []
    start = 0
    while True:
        at = text.find(ESCAPE, start)
        if at < 0 or at + 1 >= len(text):
            parts.append(text[start:])
            return "".join(parts)
        parts.append(text[start:at])
        parts.append("\x00" if text[at + 1] == "0" else ESCAPE)
        start = at + 2


def _index_text(text: str) -> str:
    """The column value of an indexed text: escaped, and bounded for the B-tree index.

    Equal texts give equal values, different texts different ones: a long text's value
    is exactly ``_INDEXED_TEXT_LIMIT`` characters plus a separator and a 64-digit
    digest, longer than any short text's.
    """
    escaped = escape_text(text)
    if len(escaped) <= _INDEXED_TEXT_LIMIT:
        return escaped
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{escaped[:_INDEXED_TEXT_LIMIT]}{ESCAPE}#{digest}"


def _json_number(value: float) -> str:
    text = repr(value)
    # repr writes floats of 1e16 and more with an exponent; jsonb would read them as
    # integers.  They are whole numbers, so writing them out in full is exact.
    return f"{int(value)}.0" if "e+" in text else text


def _json_text(data: Any) -> str:
    """JSON text of ``data`` with every string escaped and every float kept a float."""
    if isinstance(data, str):
        return dumps(escape_text(data))
    if isinstance(data, dict):
        items = (f"{_json_text(str(k))}:{_json_text(v)}" for k, v in data.items())
        return "{" + ",".join(items) + "}"
    if isinstance(data, (list, tuple)):
        return "[" + ",".join(_json_text(v) for v in data) + "]"
    if isinstance(data, float):
        return _json_number(data)
    return dumps(data)  # None, bools and integers


def encode_document(data: Any) -> str:
    """JSON text for ``data`` (JSON-ready, as ``to_dict`` makes) that ``jsonb`` keeps exactly.

    Most documents need nothing: they are written as :func:`~leadflow.serialization.dumps`
    writes them.  Those holding NUL, :data:`ESCAPE` or a float written with a positive
    exponent are written again, escaping every string and writing such floats in full.
    """
    text = dumps(data)
    if "\\u0000" in text or ESCAPE in text or "e+" in text:
        return _json_text(data)
    return text


def _unescape_data(data: Any) -> Any:
    if isinstance(data, str):
        return unescape_text(data)
    if isinstance(data, dict):
        return {unescape_text(k): _unescape_data(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_unescape_data(v) for v in data]
    return data


def decode_document(text: str) -> Any:
    """The data :func:`encode_document` was given, from the document's text."""
    data = loads(text)
    return _unescape_data(data) if ESCAPE in text else data


def _to_db(field: IndexedField, value: Any) -> Any:
    """A value in the form its column keeps it."""
    if value is not None and field.kind == "text":
        return _index_text(value)
    return value


# ==================================================================== layout


def _schema_v1(schema: str) -> list[str]:
    statements = []
    for spec in ENTITIES:
        table = f"{schema}.{quote(spec.name)}"
        columns = ", ".join(
            f"{quote(f.name)} {_COLUMN_TYPES[f.kind]}{' NOT NULL' if f.orderable else ''}"
            for f in spec.fields
            if f.name != "id"
        )
        statements.append(
            f"CREATE TABLE {table} ({quote('id')} uuid PRIMARY KEY, version integer NOT NULL, "
            f"{columns}, document jsonb NOT NULL)"
        )
        for name, cols in index_names(spec):
            statements.append(
                f"CREATE INDEX {quote(name)} ON {table} ({', '.join(quote(c) for c in cols)})"
            )
    event_table = (
        f"CREATE TABLE {schema}.event (position bigserial PRIMARY KEY, "
        "recorded_at timestamptz NOT NULL, actor text, entity text NOT NULL, "
        "entity_id uuid NOT NULL, document jsonb NOT NULL)"
    )
    statements += [
        event_table,
        f"CREATE INDEX event_entity ON {schema}.event (entity, entity_id, position)",
    ]
    return statements


#: Forward migrations: the statements (for a quoted schema name) that take the layout
#: from version n - 1 to n.
_MIGRATIONS = {1: _schema_v1}


def _sql_name(name: str) -> str:
    """A quoted identifier for SQL sent with parameters (psycopg reads ``%`` there)."""
    return quote(name).replace("%", "%%")


def _check_schema(schema: str) -> str:
    if (
        not isinstance(schema, str)
        or not schema
        or "\x00" in schema
        or len(schema.encode("utf-8", "surrogatepass")) > 63
    ):
        raise ValidationError.single(
            "schema",
            schema,
            "is not a PostgreSQL schema name: 1 to 63 bytes, without NUL",
            subject="PostgresStore",
        )
    return schema


def _translate(
    error: psycopg.Error | UnicodeError, entity: str, operation: str, timeout: float
) -> StorageError:
    """The StorageError for a driver error."""
    message = str(error).strip() or type(error).__name__
    if isinstance(error, pg_errors.LockNotAvailable):
        message = (
            f"another unit of work held a lock it needs for more than {timeout:g} s, "
            f"the lock_timeout ({message})"
        )
    elif isinstance(error, pg_errors.DeadlockDetected):
        message = f"it was chosen to resolve a deadlock with another unit of work ({message})"
    return StorageError(entity=entity, operation=operation, reason=message)


def _join(parts: SplitResult, *, netloc: str | None = None, query: str | None = None) -> str:
    """A URL from its parts (``urlunsplit`` drops ``//`` before an empty host)."""
    url = f"{parts.scheme}://{parts.netloc if netloc is None else netloc}{parts.path}"
    query = parts.query if query is None else query
    return f"{url}?{query}" if query else url


def _redacted(url: str) -> str:
    """The URL without its password, for error messages."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return url
    if password is None:
        return url
    return _join(parts, netloc=parts.netloc.replace(f":{password}@", ":***@", 1))


@attrs.frozen
class _Statements:
    """The SQL of one entity's table in one schema, made once per store."""

    table: str
    fields: tuple[IndexedField, ...]
    #: ``{rows}`` stands for one ``row`` per entity inserted.
    insert: str
    row: str
    update: str

    @classmethod
    def of(cls, spec: EntitySpec, schema: str) -> _Statements:
        table = f"{_sql_name(schema)}.{_sql_name(spec.name)}"
        fields = tuple(f for f in spec.fields if f.name != "id")
        names = ", ".join(quote(f.name) for f in fields)
        assignments = ", ".join(f"{quote(f.name)} = %s" for f in fields)
        return cls(
            table=table,
            fields=fields,
            insert=f"INSERT INTO {table} (id, version, {names}, document) VALUES {{rows}} "
            "ON CONFLICT (id) DO NOTHING RETURNING id",
            row="(" + ", ".join(["%s"] * (len(fields) + 2)) + ", %s::jsonb)",
            update=f"UPDATE {table} SET version = %s, {assignments}, document = %s::jsonb "
            "WHERE id = %s",
        )


# ===================================================================== store


class PostgresStore(Closing):
    """A store in a PostgreSQL database; see the module documentation.

    ``conninfo`` is a libpq connection string or ``postgresql://`` URL (without
    leadflow's options; :meth:`from_url` takes those).  ``schema`` is the PostgreSQL
    schema of leadflow's tables, created if missing (``None``: the connection's current
    schema).  ``lock_timeout`` is how many seconds a writer waits for a row or table
    another unit of work has locked; ``clock`` gives events' ``recorded_at``.
    """

    capabilities: frozenset[Capability] = frozenset(
        {Capability.PERSISTENT, Capability.MULTI_PROCESS}
    )

    def __init__(
        self,
        conninfo: str = "",
        *,
        schema: str | None = None,
        lock_timeout: float = 5.0,
        clock: Clock = system_clock,
    ) -> None:
        if (
            isinstance(lock_timeout, bool)
            or not isinstance(lock_timeout, (int, float))
            or not 0 < lock_timeout < 2_000_000
        ):
            raise ValidationError.single(
                "lock_timeout",
                lock_timeout,
                "must be a number of seconds above 0",
                subject="PostgresStore",
            )
        self.lock_timeout = float(lock_timeout)
        self._conninfo = conninfo
        self._clock = clock
        self._idle: list[psycopg.Connection[Any]] = []
        self._active: weakref.WeakSet[PostgresUnitOfWork] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._closed = False
        if schema is not None:
            _check_schema(schema)
        connection = self._connect()
        try:
            #: The PostgreSQL schema holding leadflow's tables.
            self.schema = _check_schema(
                self._current_schema(connection) if schema is None else schema
            )
            self._migrate(connection)
        except BaseException:
            connection.close()
            raise
        self._release(connection)
        self._statements = {spec.name: _Statements.of(spec, self.schema) for spec in ENTITIES}

    @classmethod
    def from_url(cls, url: str) -> PostgresStore:
        """Open ``postgresql://user:password@host:port/database`` (or ``postgres://``).

        The query string may hold libpq's connection parameters (``host=/socket/dir``,
        ``sslmode``, ``connect_timeout``, ...) and leadflow's: ``schema`` (the
        PostgreSQL schema of leadflow's tables, created if missing) and ``lock_timeout``
        (seconds).  Anything else is a :class:`~leadflow.errors.ValidationError`.
        """
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("postgresql", "postgres"):
            raise ValidationError.single(
                "url",
                url if parts is None else _redacted(url),
                "is not a PostgreSQL URL: use postgresql://user:password@host:port/database",
                subject="connect",
            )
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        ours = {k: v for k, v in pairs if k in URL_OPTIONS}
        theirs = [(k, v) for k, v in pairs if k not in URL_OPTIONS]
        libpq_url = _join(parts, query=urlencode(theirs, quote_via=url_quote))
        try:
            params = conninfo_to_dict(libpq_url)
        except psycopg.Error as error:
            raise ValidationError.single(
                "url",
                _redacted(url),
                f"is not a URL libpq accepts ({str(error).strip()}); leadflow's own options "
                f"are {', '.join(sorted(URL_OPTIONS))}",
                subject="connect",
            ) from None
        params.setdefault("connect_timeout", CONNECT_TIMEOUT)
        try:
            timeout = float(ours.get("lock_timeout", 5.0))
        except ValueError:
            raise ValidationError.single(
                "lock_timeout",
                ours["lock_timeout"],
                "is not a number of seconds",
                subject="connect",
            ) from None
        return cls(make_conninfo("", **params), schema=ours.get("schema"), lock_timeout=timeout)

    # ----------------------------------------------------------------- connections

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            connection = psycopg.connect(self._conninfo, autocommit=True)
        except psycopg.Error as error:
            raise _translate(error, "store", "connect", self.lock_timeout) from None
        try:
            connection.execute(
                "SELECT set_config('TimeZone', 'UTC', false), "
                "set_config('client_encoding', 'UTF8', false), "
                "set_config('lock_timeout', %s, false)",
                (f"{round(self.lock_timeout * 1000)}ms",),
            )
        except psycopg.Error as error:
            connection.close()
            raise _translate(error, "store", "connect", self.lock_timeout) from None
        return connection

    @staticmethod
    def _current_schema(connection: psycopg.Connection[Any]) -> str:
        try:
            row = connection.execute("SELECT current_schema()").fetchone()
        except psycopg.Error as error:
            raise _translate(error, "store", "open", 0) from None
        if row is None or row[0] is None:
            raise StorageError(
                entity="store",
                operation="open",
                reason="the connection has no current schema (its search_path names none "
                "that exists); pass schema= in the URL",
            )
        return str(row[0])

    def _layout(self, connection: psycopg.Connection[Any]) -> int:
        """The layout version of the schema (0 when there are no tables yet)."""
        table = f"{quote(self.schema)}.leadflow_schema"
        row = connection.execute("SELECT to_regclass(%s) IS NOT NULL", (table,)).fetchone()
        if row is None or not row[0]:
            return 0
        row = connection.execute(
            f"SELECT max(version) FROM {_sql_name(self.schema)}.leadflow_schema", ()
        ).fetchone()
        return int(row[0] or 0) if row else 0

    def _refuse_newer(self, current: int) -> None:
        if current > SCHEMA_VERSION:
            raise StorageError(
                entity="store",
                operation="open",
                reason=f"schema {self.schema!r} has layout {current}, newer than this "
                f"leadflow knows ({SCHEMA_VERSION}); upgrade leadflow",
            )

    def _migrate(self, connection: psycopg.Connection[Any]) -> None:
        """Create the schema and apply the missing migrations, one opener at a time."""
        schema = _sql_name(self.schema)
        # A number for the advisory lock that makes concurrent openers take turns.
        key = int.from_bytes(
            hashlib.sha256(f"leadflow:{self.schema}".encode()).digest()[:8], "big", signed=True
        )
        try:
            current = self._layout(connection)
            self._refuse_newer(current)
            if current == SCHEMA_VERSION:
                return
            connection.execute("BEGIN")
            connection.execute("SELECT pg_advisory_xact_lock(%s)", (key,))
            exists = connection.execute(
                "SELECT 1 FROM pg_namespace WHERE nspname = %s", (self.schema,)
            ).fetchone()
            if exists is None:
                connection.execute(f"CREATE SCHEMA {schema}", ())
            connection.execute(
                f"CREATE TABLE IF NOT EXISTS {schema}.leadflow_schema (version integer NOT NULL)",
                (),
            )
            current = self._layout(connection)
            self._refuse_newer(current)
            for version in range(current + 1, SCHEMA_VERSION + 1):
                for statement in _MIGRATIONS[version](schema):
                    connection.execute(statement, ())
                connection.execute(
                    f"INSERT INTO {schema}.leadflow_schema (version) VALUES (%s)", (version,)
                )
            connection.execute("COMMIT")
        except psycopg.Error as error:
            with contextlib.suppress(psycopg.Error):
                connection.execute("ROLLBACK")
            raise _translate(error, "store", "migrate", self.lock_timeout) from None
        except StorageError:
            with contextlib.suppress(psycopg.Error):
                connection.execute("ROLLBACK")
            raise

    def _acquire(self) -> psycopg.Connection[Any]:
        with self._lock:
            self._check_open("open a unit of work")
            while self._idle:
                connection = self._idle.pop()
                if not connection.closed:
                    return connection
        return self._connect()

    def _release(
        self, connection: psycopg.Connection[Any], uow: PostgresUnitOfWork | None = None
    ) -> None:
        # A connection the server dropped is closed; one left in a transaction is not reused.
        reusable = (
            not connection.closed and connection.info.transaction_status == TransactionStatus.IDLE
        )
        with self._lock:
            if uow is not None:
                self._active.discard(uow)
            if reusable and not self._closed and len(self._idle) < POOL_SIZE:
                self._idle.append(connection)
                return
        connection.close()

    def _check_open(self, operation: str) -> None:
        if self._closed:
            raise StorageError(entity="store", operation=operation, reason="the store is closed")

    # --------------------------------------------------------------------- public

    def unit_of_work(self, *, actor: str | None = None) -> PostgresUnitOfWork:
        """A new unit of work; ``actor`` is recorded with its events."""
        uow = PostgresUnitOfWork(self, actor)
        with self._lock:
            self._active.add(uow)
        return uow

    def close(self) -> None:
        """Close the connections; units of work still open are rolled back."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
            active = list(self._active)
        for uow in active:
            uow.close()
        for connection in idle:
            connection.close()


# ============================================================== unit of work


class PostgresUnitOfWork(RepositoriesMixin, Closing):
    """A unit of work on a :class:`PostgresStore`, holding one connection.

    A driver error in the middle of its transaction rolls the transaction back at once
    (releasing its locks) and raises :class:`~leadflow.errors.StorageError`; the unit of
    work then refuses further work until :meth:`rollback` is called, so that what
    remains of it is never committed on its own.
    """

    def __init__(self, store: PostgresStore, actor: str | None) -> None:
        self._store = store
        self._actor = actor
        self._connection: psycopg.Connection[Any] | None = store._acquire()
        self._writing = False
        self._failed: str | None = None
        self._events: list[Event] = []
        self._repositories: dict[str, PostgresRepository] = {}
        self._log = PostgresEventLog(self)

    # ------------------------------------------------------------- repositories

    # --------------------------------------------------------------- statements

    @property
    def connection(self) -> psycopg.Connection[Any]:
        """The unit of work's connection (StorageError once it is closed or failed)."""
        self._store._check_open("use a unit of work")
        if self._connection is None:
            raise StorageError(
                entity="store", operation="use a unit of work", reason="the unit of work is closed"
            )
        if self._failed is not None:
            raise self._refusal("go on")
        return self._connection

    def _refusal(self, operation: str) -> StorageError:
        return StorageError(
            entity="unit of work",
            operation=operation,
            reason=f"an earlier error rolled it back ({self._failed}); "
            "call rollback() to start again",
        )

    def table(self, name: str) -> str:
        """The schema-qualified name of a table, for SQL sent with parameters."""
        return f"{_sql_name(self._store.schema)}.{_sql_name(name)}"

    def _fail(
        self, error: psycopg.Error | UnicodeError, entity: str, operation: str
    ) -> StorageError:
        """Translate a driver error; in a transaction, roll it back and refuse to go on."""
        translated = _translate(error, entity, operation, self._store.lock_timeout)
        if self._writing:
            self._abandon()
            self._failed = translated.reason
        return translated

    def execute(
        self, sql: str, params: Sequence[Any], *, entity: str, operation: str
    ) -> psycopg.Cursor[Any]:
        """Run a statement, translating driver errors."""
        connection = self.connection
        try:
            return connection.execute(sql, params)
        except (psycopg.Error, UnicodeError) as error:
            raise self._fail(error, entity, operation) from None

    def begin_write(self, entity: str, operation: str) -> None:
        """Open the transaction that lasts until commit or rollback (once)."""
        if not self._writing:
            self.execute(
                "BEGIN ISOLATION LEVEL READ COMMITTED", (), entity=entity, operation=operation
            )
            self._writing = True

    # ---------------------------------------------------------------- lifecycle

    def record(self, *events: Event) -> None:
        """Add events to append to the log at commit."""
        self._events.extend(events)

    def commit(self) -> None:
        """Append the events and commit the transaction: all of it, or none."""
        if self._failed is not None:
            raise self._refusal("commit")
        if self._events:
            self.begin_write("event", "commit")
        if not self._writing:
            return
        connection = self.connection
        recorded_at = self._store._clock()
        actor = None if self._actor is None else escape_text(self._actor)
        rows = [
            (
                recorded_at,
                actor,
                escape_text(event.entity),
                event.entity_id,
                encode_document(to_dict(event)),
            )
            for event in self._events
        ]
        event_table = self.table("event")
        try:
            with connection.cursor() as cursor:
                if rows:
                    # Positions are taken in commit order: one committer at a time.
                    cursor.execute(f"LOCK TABLE {event_table} IN EXCLUSIVE MODE", ())
                    cursor.executemany(
                        f"INSERT INTO {event_table} "
                        "(recorded_at, actor, entity, entity_id, document) "
                        "VALUES (%s, %s, %s, %s, %s::jsonb)",
                        rows,
                    )
                cursor.execute("COMMIT", ())
                committed = cursor.statusmessage == "COMMIT"
        except (psycopg.Error, UnicodeError) as error:
            raise self._fail(error, "unit of work", "commit") from None
        self._writing = False
        self._events = []
        if not committed:  # the server rolled back instead (the transaction had failed)
            raise StorageError(
                entity="unit of work",
                operation="commit",
                reason="the server rolled the transaction back instead of committing it",
            )

    def _abandon(self) -> None:
        """Roll back the transaction, if any, and drop the events."""
        self._events = []
        if self._writing:
            self._writing = False
            if self._connection is not None:
                with contextlib.suppress(psycopg.Error):
                    self._connection.execute("ROLLBACK")

    def rollback(self) -> None:
        """Discard every change and event not yet committed."""
        self._abandon()
        self._failed = None

    def close(self) -> None:
        """Roll back what is not committed and give the connection back."""
        self.rollback()
        if self._connection is not None:
            connection, self._connection = self._connection, None
            self._store._release(connection, self)


# ================================================================ event log


class PostgresEventLog:
    """The event log of a :class:`PostgresStore`."""

    def __init__(self, uow: PostgresUnitOfWork) -> None:
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
        sql = (
            "SELECT position, recorded_at, actor, document::text "
            f"FROM {self._uow.table('event')} WHERE position > %s"
        )
        params: list[Any] = [after]
        if entity is not None:
            sql += " AND entity = %s"
            params.append(escape_text(entity))
        if entity_id is not None:
            sql += " AND entity_id = %s"
            params.append(entity_id)
        sql += " ORDER BY position"
        if limit is not None:
            sql += " LIMIT %s"
            params.append(limit)
        rows = self._uow.execute(sql, params, entity="event", operation="read").fetchall()
        return [
            RecordedEvent(
                position=position,
                recorded_at=recorded_at.astimezone(UTC),
                actor=None if actor is None else unescape_text(actor),
                event=from_dict(Event, decode_document(document)),  # type: ignore[arg-type]
            )
            for position, recorded_at, actor, document in rows
        ]

    def last_position(self) -> int:
        """The position of the last committed event."""
        row = self._uow.execute(
            f"SELECT coalesce(max(position), 0) FROM {self._uow.table('event')}",
            (),
            entity="event",
            operation="read",
        ).fetchone()
        return int(row[0]) if row else 0


# =============================================================== repository


class PostgresRepository(LookupsMixin):
    """The entities of one kind in a :class:`PostgresUnitOfWork`."""

    def __init__(self, uow: PostgresUnitOfWork, spec: EntitySpec) -> None:
        self._uow = uow
        self.spec = spec
        statements = uow._store._statements[spec.name]
        self._table = statements.table
        self._fields = statements.fields
        self._insert = statements.insert
        self._marks = statements.row
        self._update = statements.update

    def _row(self, entity: Any, document: dict[str, Any] | None = None) -> list[Any]:
        """The parameters of an entity's row: id, version, indexed fields, document."""
        return [
            entity.id.value,
            entity.version,
            *(_to_db(f, f.read(entity)) for f in self._fields),
            encode_document(to_dict(entity) if document is None else document),
        ]

    def _load(self, document: str) -> Any:
        return from_dict(self.spec.cls, decode_document(document))

    def _inserted(self, rows: Sequence[list[Any]]) -> set[uuid.UUID]:
        """Insert rows whose ids are free; return the ids inserted."""
        sql = self._insert.format(rows=", ".join([self._marks] * len(rows)))
        params = [value for row in rows for value in row]
        found = self._uow.execute(sql, params, entity=self.spec.name, operation="add").fetchall()
        return {key for (key,) in found}

    def add(self, entity: Any) -> Any:
        """Store a new entity; DuplicateEntity if its id is taken."""
        stored = with_version(entity, entity.version + 1)
        self._uow.begin_write(self.spec.name, "add")
        if not self._inserted([self._row(stored)]):
            raise DuplicateEntity(entity=self.spec.name, key=str(stored.id))
        self._uow._events.append(added_event(self.spec, stored))
        return stored

    def add_many(self, entities: Iterable[Any]) -> list[Any]:
        """Store new entities in few statements; DuplicateEntity, and none stored, on a taken id."""
        stored = [with_version(e, e.version + 1) for e in entities]
        if not stored:
            return []
        repeated = first_repeat(s.id.value for s in stored)
        if repeated is not None:
            raise DuplicateEntity(entity=self.spec.name, key=str(self.spec.id_type(value=repeated)))
        self._uow.begin_write(self.spec.name, "add")
        execute = functools.partial(self._uow.execute, entity=self.spec.name, operation="add")
        execute("SAVEPOINT leadflow_add_many", ())
        inserted: set[uuid.UUID] = set()
        # PostgreSQL takes at most 65535 parameters per statement.
        chunk = max(1, 30_000 // (len(self._fields) + 3))
        for start in range(0, len(stored), chunk):
            inserted |= self._inserted([self._row(s) for s in stored[start : start + chunk]])
        if len(inserted) < len(stored):
            execute("ROLLBACK TO SAVEPOINT leadflow_add_many", ())
            execute("RELEASE SAVEPOINT leadflow_add_many", ())
            taken = next(s for s in stored if s.id.value not in inserted)
            raise DuplicateEntity(entity=self.spec.name, key=str(taken.id))
        execute("RELEASE SAVEPOINT leadflow_add_many", ())
        self._uow._events.extend(added_event(self.spec, s) for s in stored)
        return stored

    def get(self, entity_id: Any) -> Any:
        """The entity with this id, as this unit of work sees it."""
        row = self._uow.execute(
            f"SELECT document::text FROM {self._table} WHERE id = %s",
            (entity_id.value,),
            entity=self.spec.name,
            operation="get",
        ).fetchone()
        if row is None:
            raise not_found(self.spec, entity_id)
        return self._load(row[0])

    def get_many(self, entity_ids: Iterable[Any]) -> dict[Any, Any]:
        """The entities with these ids that exist, by id."""
        wanted = {i.value: i for i in entity_ids}
        if not wanted:
            return {}
        rows = self._uow.execute(
            f"SELECT id, document::text FROM {self._table} WHERE id = ANY(%s)",
            (list(wanted),),
            entity=self.spec.name,
            operation="get",
        ).fetchall()
        found = {wanted[key]: self._load(document) for key, document in rows}
        return {i: found[i] for i in wanted.values() if i in found}

    def _current(self, entity: Any, operation: str) -> dict[str, Any]:
        """The stored document of ``entity``, locked; NotFound or a conflict if not current."""
        self._uow.begin_write(self.spec.name, operation)
        row = self._uow.execute(
            f"SELECT version, document::text FROM {self._table} WHERE id = %s FOR UPDATE",
            (entity.id.value,),
            entity=self.spec.name,
            operation=operation,
        ).fetchone()
        if row is None:
            raise not_found(self.spec, entity.id)
        version, document = row
        if version != entity.version:
            raise conflict(self.spec, entity, version)
        before: dict[str, Any] = decode_document(document)
        return before

    def update(self, entity: Any) -> Any:
        """Store a changed entity; ConcurrencyConflict if its version is not the stored one."""
        before = self._current(entity, "update")
        stored = with_version(entity, entity.version + 1)
        after = to_dict(stored)
        entity_id, *row = self._row(stored, after)
        self._uow.execute(
            self._update, [*row, entity_id], entity=self.spec.name, operation="update"
        )
        self._uow._events.append(updated_event(self.spec, before, after, stored))
        return stored

    def remove(self, entity: Any) -> None:
        """Remove an entity; same checks as update."""
        before = self._current(entity, "remove")
        entity_id = entity.id.value
        self._uow.execute(
            f"DELETE FROM {self._table} WHERE id = %s",
            (entity_id,),
            entity=self.spec.name,
            operation="remove",
        )
        self._uow._events.append(removed_event(self.spec, before, entity.version, entity_id))

    def find(self, query: Query[Any]) -> Page[Any]:
        """One page of the matching entities, in the query's order."""
        check_query(self.spec, query)
        compiled = compile_query(query, placeholder="%s", convert=_to_db)
        rows = self._uow.execute(
            f"SELECT document::text FROM {self._table} WHERE {compiled.where} "
            f"ORDER BY {compiled.order} LIMIT %s",
            [*compiled.params, query.page_size + 1],
            entity=self.spec.name,
            operation="find",
        ).fetchall()
        return make_page(query, [self._load(document) for (document,) in rows])

    def count(self, query: Query[Any]) -> int:
        """How many entities match the query's filters."""
        check_query(self.spec, query)
        compiled = compile_query(query, placeholder="%s", convert=_to_db, with_cursor=False)
        row = self._uow.execute(
            f"SELECT count(*) FROM {self._table} WHERE {compiled.where}",
            compiled.params,
            entity=self.spec.name,
            operation="count",
        ).fetchone()
        return int(row[0]) if row else 0


PostgresUnitOfWork.repository_class = PostgresRepository
