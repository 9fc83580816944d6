"""Storage ports: what a storage adapter provides, and the query language it answers.

An adapter provides a :class:`Store`, whose :meth:`~Store.unit_of_work` gives a
:class:`UnitOfWork` holding one repository per entity and the :class:`EventLog`.
These are :class:`typing.Protocol` classes: an adapter inherits nothing from leadflow;
mypy checks its signatures and the conformance kit (:mod:`leadflow.testing.contracts`)
checks its behaviour against the numbered rules of the ports reference.

This module also holds what every adapter shares:

* the **entity catalog** (:data:`ENTITIES`): each entity's name, class, id class and
  the fields queries may filter and order on, with how to read each from an entity,
  so that SQL adapters can keep them in indexed columns;
* the **query spec** (:class:`Query`), built and checked here, so that a field that
  is not in the catalog is a :class:`~leadflow.errors.ValidationError` before any
  adapter sees it, and which the memory adapter evaluates directly
  (:meth:`Query.matches`, :meth:`Query.sort_key`);
* **cursors** for keyset pagination (:func:`encode_cursor`, :func:`decode_cursor`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import operator
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, timezone
from types import TracebackType
from typing import Any, Generic, Literal, Protocol, TypeVar

import attrs

from leadflow.accounts import Account
from leadflow.activities import Activity
from leadflow.campaigns import Campaign
from leadflow.contacts import Contact
from leadflow.errors import ValidationError
from leadflow.events import Event, RecordedEvent
from leadflow.leads import Lead
from leadflow.opportunities import Opportunity
from leadflow.products import Product
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
    StrEnum,
    company_key,
    website_domain,
)

__all__ = [
    "ENTITIES",
    "AccountRepository",
    "ActivityRepository",
    "CampaignRepository",
    "Capability",
    "Condition",
    "ContactRepository",
    "EntitySpec",
    "EventLog",
    "IndexedField",
    "LeadRepository",
    "OpportunityRepository",
    "Page",
    "ProductRepository",
    "Query",
    "Repository",
    "Store",
    "UnitOfWork",
    "decode_cursor",
    "encode_cursor",
    "entity_spec",
]

E = TypeVar("E")
I = TypeVar("I", bound=EntityId)  # noqa: E741 - the conventional name for an id type
E_co = TypeVar("E_co", covariant=True)

UTC = timezone.utc

# ==================================================================== catalog

#: How an indexed value is kept: text, a UUID, an aware UTC datetime, a date, a bool.
FieldKind = Literal["text", "uuid", "timestamp", "date", "bool"]


@attrs.frozen(kw_only=True)
class IndexedField:
    """A field queries may filter on, and how to read its value from an entity.

    ``read`` returns the value to index: a ``str`` (``"text"``), a :class:`uuid.UUID`
    (``"uuid"``), an aware UTC :class:`~datetime.datetime` (``"timestamp"``), a
    :class:`~datetime.date` or a ``bool``, or ``None`` when the entity has none.
    ``orderable`` fields can also order results; they are never ``None``.
    """

    name: str
    kind: FieldKind
    read: Callable[[Any], Any] = attrs.field(eq=False, repr=False)
    orderable: bool = False
    #: Turns a value given in a query into the indexed form (an e-mail into its key).
    normalize: Callable[[Any], Any] | None = attrs.field(default=None, eq=False, repr=False)


@attrs.frozen(kw_only=True)
class EntitySpec:
    """One entity in the catalog: its names, classes and indexed fields."""

    #: The entity's name, as in events and error messages (``"lead"``).
    name: str
    #: The unit of work's attribute for its repository (``"leads"``).
    plural: str
    #: The entity class (:class:`~leadflow.leads.Lead`, ...).
    cls: type[Any]
    id_type: type[EntityId]
    #: The fields queries may use, ``id``, ``created_at`` and ``updated_at`` first.
    fields: tuple[IndexedField, ...]

    def field(self, name: str) -> IndexedField:
        """The indexed field called ``name``; a ValidationError names the choices if none."""
        for candidate in self.fields:
            if candidate.name == name:
                return candidate
        choices = ", ".join(f.name for f in self.fields)
        raise ValidationError.single(
            name,
            name,
            f"is not a field a {self.name} query can use; use one of: {choices}",
            subject="Query",
        )

    @property
    def orderable(self) -> tuple[str, ...]:
        """The names of the fields results can be ordered by."""
        return tuple(f.name for f in self.fields if f.orderable)


def _attr(name: str) -> Callable[[Any], Any]:
    return operator.attrgetter(name)


def _uuid_of(name: str) -> Callable[[Any], Any]:
    def read(entity: Any) -> Any:
        value = getattr(entity, name)
        return None if value is None else value.value

    read.__name__ = f"read_{name}"
    return read


def _email_key(entity: Any) -> str | None:
    return None if entity.email is None else entity.email.key


def _normalize_email(value: Any) -> str:
    return EmailAddress.coerce(value).key


def _lead_campaign(lead: Lead) -> uuid.UUID | None:
    campaign = lead.campaign_id
    return None if campaign is None else campaign.value


def _common(*extra: IndexedField) -> tuple[IndexedField, ...]:
    return (
        IndexedField(name="id", kind="uuid", read=operator.attrgetter("id.value"), orderable=True),
        IndexedField(name="created_at", kind="timestamp", read=_attr("created_at"), orderable=True),
        IndexedField(name="updated_at", kind="timestamp", read=_attr("updated_at"), orderable=True),
        IndexedField(name="external_id", kind="text", read=_attr("external_id")),
        *extra,
    )


def _text(name: str) -> IndexedField:
    return IndexedField(name=name, kind="text", read=_attr(name))


def _ref(name: str) -> IndexedField:
    return IndexedField(name=name, kind="uuid", read=_uuid_of(name))


def _enum(name: str) -> IndexedField:
    def read(entity: Any) -> Any:
        value = getattr(entity, name)
        return None if value is None else str(value)

    return IndexedField(name=name, kind="text", read=read)


_EMAIL = IndexedField(name="email", kind="text", read=_email_key, normalize=_normalize_email)

#: Every entity leadflow stores, with the fields its queries may use.
ENTITIES: tuple[EntitySpec, ...] = (
    EntitySpec(
        name="lead",
        plural="leads",
        cls=Lead,
        id_type=LeadId,
        fields=_common(
            _text("status"),
            _text("owner"),
            _EMAIL,
            IndexedField(name="campaign_id", kind="uuid", read=_lead_campaign),
        ),
    ),
    EntitySpec(
        name="account",
        plural="accounts",
        cls=Account,
        id_type=AccountId,
        fields=_common(
            _text("owner"),
            IndexedField(
                name="website_domain",
                kind="text",
                read=_attr("website_domain"),
                normalize=website_domain,
            ),
            IndexedField(
                name="name_key",
                kind="text",
                read=lambda account: company_key(account.name),
                normalize=company_key,
            ),
            _ref("parent_id"),
        ),
    ),
    EntitySpec(
        name="contact",
        plural="contacts",
        cls=Contact,
        id_type=ContactId,
        fields=_common(_text("owner"), _EMAIL, _ref("account_id")),
    ),
    EntitySpec(
        name="opportunity",
        plural="opportunities",
        cls=Opportunity,
        id_type=OpportunityId,
        fields=_common(
            _text("pipeline"),
            _text("stage"),
            _text("owner"),
            _ref("account_id"),
            _ref("campaign_id"),
            IndexedField(
                name="expected_close_date", kind="date", read=_attr("expected_close_date")
            ),
        ),
    ),
    EntitySpec(
        name="campaign",
        plural="campaigns",
        cls=Campaign,
        id_type=CampaignId,
        fields=_common(_enum("status"), _text("owner"), _text("channel"), _ref("parent_id")),
    ),
    EntitySpec(
        name="activity",
        plural="activities",
        cls=Activity,
        id_type=ActivityId,
        fields=_common(
            _enum("kind"),
            _text("owner"),
            _ref("lead_id"),
            _ref("contact_id"),
            _ref("account_id"),
            _ref("opportunity_id"),
            _ref("campaign_id"),
            IndexedField(
                name="occurred_at", kind="timestamp", read=_attr("occurred_at"), orderable=True
            ),
            IndexedField(name="due_at", kind="timestamp", read=_attr("due_at")),
            IndexedField(name="completed_at", kind="timestamp", read=_attr("completed_at")),
        ),
    ),
    EntitySpec(
        name="product",
        plural="products",
        cls=Product,
        id_type=ProductId,
        fields=_common(
            _text("code"),
            _text("family"),
            IndexedField(name="active", kind="bool", read=_attr("active")),
        ),
    ),
)

_BY_KEY: dict[Any, EntitySpec] = {}
for _spec in ENTITIES:
    _BY_KEY[_spec.cls] = _BY_KEY[_spec.name] = _BY_KEY[_spec.id_type] = _spec


def entity_spec(key: type[Any] | str) -> EntitySpec:
    """The catalog entry for an entity class, id class or name (``Lead``, ``"lead"``)."""
    try:
        return _BY_KEY[key]
    except (KeyError, TypeError):
        raise ValidationError.single(
            "entity", key, "is not an entity leadflow stores", subject="Query"
        ) from None


# ====================================================================== query

Op = Literal["eq", "in", "null", "gte", "lt"]


@attrs.frozen(kw_only=True)
class Condition:
    """One filter of a query, already checked and normalised to the indexed form.

    ``op`` is ``"eq"`` (equal to ``value``), ``"in"`` (one of the tuple ``value``),
    ``"null"`` (has no value), ``"gte"`` (at or after ``value``) or ``"lt"``
    (before ``value``).
    """

    field: str
    op: Op
    value: Any = None


def _check_value(spec: EntitySpec, field: IndexedField, value: Any, path: str) -> Any:
    """Check a query value against a field's kind; return it in the indexed form."""
    if field.normalize is not None and isinstance(value, (str, EmailAddress)):
        try:
            return field.normalize(value)
        except ValidationError as error:
            raise error.under(path, subject="Query") from None
    kind = field.kind
    if kind == "text" and isinstance(value, str):
        return str(value)
    if kind == "uuid":
        if isinstance(value, EntityId):
            if field.name == "id" and not isinstance(value, spec.id_type):
                raise ValidationError.single(
                    path, value, f"is not a {spec.id_type.__name__}", subject="Query"
                )
            return value.value
        if isinstance(value, uuid.UUID):
            return value
    if kind == "timestamp" and isinstance(value, datetime):
        if value.utcoffset() is None:
            raise ValidationError.single(path, value, "is a naive datetime", subject="Query")
        return value.astimezone(UTC)
    if kind == "date" and isinstance(value, date) and not isinstance(value, datetime):
        return value
    if kind == "bool" and isinstance(value, bool):
        return value
    expected = {
        "text": "a string",
        "uuid": "an id",
        "timestamp": "an aware datetime",
        "date": "a date",
        "bool": "true or false",
    }[kind]
    raise ValidationError.single(
        path, value, f"should be {expected} for {spec.name} field {field.name}", subject="Query"
    )


def _compare_key(value: Any) -> Any:
    """A key that orders indexed values of one kind (None sorts first)."""
    return (value is not None, value)


@attrs.frozen
class Query(Generic[E]):
    """A query for entities of one kind: filters, an order, a page size and a cursor.

    Build one from the entity class and refine it; each method returns a new query::

        query = (
            Query(Lead)
            .where(status="new", owner=None)
            .between("created_at", since=monday, until=friday)
            .order_by("-created_at")
            .limit(50)
        )

    ``where`` takes field names from the catalog: a value means equal, a list, tuple
    or set means one of them, and ``None`` means the field has no value.  ``between``
    keeps values at or after ``since`` and before ``until``.  A field name the catalog
    does not list, or a value of the wrong kind, is a
    :class:`~leadflow.errors.ValidationError`.  Results are ordered by one orderable
    field (``-`` for descending), then by id, so pages never skip or repeat an entity.
    """

    entity: type[E]
    conditions: tuple[Condition, ...] = attrs.field(default=(), kw_only=True)
    order: str = attrs.field(default="created_at", kw_only=True)
    descending: bool = attrs.field(default=False, kw_only=True)
    page_size: int = attrs.field(default=100, kw_only=True)
    cursor: str | None = attrs.field(default=None, kw_only=True)

    def __attrs_post_init__(self) -> None:
        spec = entity_spec(self.entity)
        field = spec.field(self.order)
        if not field.orderable:
            raise ValidationError.single(
                "order",
                self.order,
                f"is not a field {spec.name} results can be ordered by; use one of: "
                + ", ".join(spec.orderable),
                subject="Query",
            )
        if type(self.page_size) is not int or not 1 <= self.page_size <= 10_000:
            raise ValidationError.single(
                "page_size", self.page_size, "must be an integer from 1 to 10000", subject="Query"
            )

    @property
    def spec(self) -> EntitySpec:
        """The catalog entry of the queried entity."""
        return entity_spec(self.entity)

    def where(self, **filters: Any) -> Query[E]:
        """Keep entities whose fields match (a value, a collection of values, or None)."""
        spec = self.spec
        added = []
        for name, value in filters.items():
            field = spec.field(name)
            path = f"where.{name}"
            if value is None:
                added.append(Condition(field=name, op="null"))
            elif isinstance(value, (list, tuple, set, frozenset)):
                if not value:
                    raise ValidationError.single(
                        path, value, "is an empty collection", subject="Query"
                    )
                values = tuple(
                    sorted(
                        {_check_value(spec, field, v, f"{path}[{i}]") for i, v in enumerate(value)},
                        key=_compare_key,
                    )
                )
                added.append(Condition(field=name, op="in", value=values))
            else:
                added.append(
                    Condition(field=name, op="eq", value=_check_value(spec, field, value, path))
                )
        return attrs.evolve(self, conditions=(*self.conditions, *added), cursor=None)

    def between(self, field: str, *, since: Any = None, until: Any = None) -> Query[E]:
        """Keep entities whose ``field`` is at or after ``since`` and before ``until``."""
        spec = self.spec
        indexed = spec.field(field)
        if indexed.kind not in ("timestamp", "date"):
            raise ValidationError.single(
                field, field, "is not a time or date field; between() needs one", subject="Query"
            )
        added = []
        if since is not None:
            value = _check_value(spec, indexed, since, f"between.{field}.since")
            added.append(Condition(field=field, op="gte", value=value))
        if until is not None:
            value = _check_value(spec, indexed, until, f"between.{field}.until")
            added.append(Condition(field=field, op="lt", value=value))
        return attrs.evolve(self, conditions=(*self.conditions, *added), cursor=None)

    def order_by(self, field: str) -> Query[E]:
        """Order by ``field`` (``"-field"`` for descending), then by id."""
        descending = field.startswith("-")
        return attrs.evolve(self, order=field.lstrip("-"), descending=descending, cursor=None)

    def limit(self, page_size: int) -> Query[E]:
        """Return at most ``page_size`` entities per page (1 to 10,000; 100 by default)."""
        return attrs.evolve(self, page_size=page_size)

    def after(self, cursor: str | None) -> Query[E]:
        """Continue after the page that returned ``cursor`` (``None`` starts over)."""
        if cursor is not None:
            decode_cursor(self, cursor)  # refuse a foreign or damaged cursor now
        return attrs.evolve(self, cursor=cursor)

    # ---------------------------------------------------- evaluation (in memory)

    def matches(self, entity: E) -> bool:
        """Whether ``entity`` passes every filter (how the memory adapter evaluates it)."""
        return self.predicate()(entity)

    def sort_key(self, entity: E) -> tuple[Any, Any]:
        """The key results are ordered by, ascending: ``(order value, id)``."""
        return self.key()(entity)

    def predicate(self) -> Callable[[E], bool]:
        """:meth:`matches` as a function, with the fields looked up once: for many entities."""
        checks = [(self.spec.field(c.field).read, c) for c in self.conditions]

        def matches(entity: E) -> bool:
            # A loop, not all() over a generator: this runs once per stored entity.
            for read, condition in checks:  # noqa: SIM110
                if not _holds(condition, read(entity)):
                    return False
            return True

        return matches

    def key(self) -> Callable[[E], tuple[Any, Any]]:
        """:meth:`sort_key` as a function, with the field looked up once: for many entities."""
        read = self.spec.field(self.order).read

        def sort_key(entity: E) -> tuple[Any, Any]:
            return (read(entity), entity.id.value)  # type: ignore[attr-defined]

        return sort_key

    def fingerprint(self) -> str:
        """A short digest of what the query selects and how it orders; cursors carry it."""
        parts = [
            self.spec.name,
            self.order,
            "desc" if self.descending else "asc",
            *(f"{c.field}:{c.op}:{_token(c.value)}" for c in self.conditions),
        ]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


def _token(value: Any) -> str:
    if isinstance(value, tuple):
        return "(" + ",".join(_token(v) for v in value) + ")"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return repr(value)


def _holds(condition: Condition, value: Any) -> bool:
    op = condition.op
    if op == "null":
        return value is None
    if value is None:
        return False
    if op == "eq":
        return bool(value == condition.value)
    if op == "in":
        return value in condition.value
    if op == "gte":
        return bool(value >= condition.value)
    return bool(value < condition.value)


# ===================================================================== cursors


def _encode_value(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def encode_cursor(query: Query[Any], last: Any) -> str:
    """The opaque cursor for the page of ``query`` that ended with entity ``last``."""
    order_value, last_id = query.sort_key(last)
    payload = {"f": query.fingerprint(), "v": _encode_value(order_value), "i": str(last_id)}
    text = json.dumps(payload, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(query: Query[Any], cursor: str) -> tuple[Any, uuid.UUID]:
    """The ``(order value, id)`` a cursor of ``query`` points after.

    Raises :class:`~leadflow.errors.ValidationError` for a damaged cursor or one that
    belongs to another query (other filters or order).
    """
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
        fingerprint, raw, last_id = payload["f"], payload["v"], uuid.UUID(payload["i"])
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ValidationError.single(
            "cursor", cursor, "is not a cursor leadflow made", subject="Query"
        ) from None
    if fingerprint != query.fingerprint():
        raise ValidationError.single(
            "cursor",
            cursor,
            "belongs to another query (other filters or order); start again without it",
            subject="Query",
        )
    kind = query.spec.field(query.order).kind
    if kind == "uuid":
        value: Any = uuid.UUID(raw)
    elif kind == "timestamp":
        value = datetime.fromisoformat(raw)
    elif kind == "date":
        value = date.fromisoformat(raw)
    else:
        value = raw
    return value, last_id


# ======================================================================= pages


@attrs.frozen(kw_only=True)
class Page(Generic[E_co]):
    """One page of query results and the cursor for the next (``None`` on the last)."""

    items: tuple[E_co, ...]
    next_cursor: str | None = None

    def __iter__(self) -> Iterator[E_co]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


# ===================================================================== protocols


class Capability(StrEnum):
    """What a store can do beyond the rules every store follows.

    The conformance kit skips, with the reason, the tests of a capability a store does
    not declare in its ``capabilities``.
    """

    #: Committed data survives closing the store and opening the same storage again.
    PERSISTENT = "persistent"
    #: Several processes may use the same storage at once.
    MULTI_PROCESS = "multi_process"


class Repository(Protocol[E, I]):
    """The entities of one kind, as seen from a unit of work.

    Writes are visible to the same unit of work at once and to others after it commits.
    Every successful write returns the entity as stored: with its version increased
    by one.
    """

    def add(self, entity: E) -> E:
        """Store a new entity; :class:`~leadflow.errors.DuplicateEntity` if its id exists."""
        ...

    def add_many(self, entities: Iterable[E]) -> list[E]:
        """Store new entities at once, as ``add`` would, and return them in order.

        All or nothing: if any id exists or repeats among them,
        :class:`~leadflow.errors.DuplicateEntity` is raised and none is stored.
        """
        ...

    def get(self, entity_id: I) -> E:
        """The entity with this id; :class:`~leadflow.errors.NotFound` if there is none."""
        ...

    def get_many(self, entity_ids: Iterable[I]) -> dict[I, E]:
        """The entities with these ids, by id; ids with no entity are left out."""
        ...

    def update(self, entity: E) -> E:
        """Store a changed entity whose ``version`` is the stored one.

        :class:`~leadflow.errors.ConcurrencyConflict` if the stored version differs (someone
        else changed it first), now or at the latest at commit;
        :class:`~leadflow.errors.NotFound` if it does not exist.
        """
        ...

    def remove(self, entity: E) -> None:
        """Remove an entity whose ``version`` is the stored one (same errors as update)."""
        ...

    def find(self, query: Query[E]) -> Page[E]:
        """One page of the entities matching ``query``, in its order."""
        ...

    def count(self, query: Query[E]) -> int:
        """How many entities match ``query`` (its page size and cursor are ignored)."""
        ...

    def stream(self, query: Query[E]) -> Iterator[E]:
        """Every entity matching ``query``, page by page, holding one page in memory."""
        ...

    def by_external_id(self, external_id: str) -> list[E]:
        """The entities with this external id, oldest first."""
        ...


class LeadRepository(Repository[Lead, LeadId], Protocol):
    """Leads, with a look-up by e-mail address."""

    def by_email(self, email: EmailAddress | str) -> list[Lead]:
        """The leads with this e-mail address (case-insensitive), oldest first."""
        ...


class AccountRepository(Repository[Account, AccountId], Protocol):
    """Accounts, with a look-up by website domain."""

    def by_website_domain(self, domain: str) -> list[Account]:
        """The accounts with this website domain (given as a domain or URL), oldest first."""
        ...


class ContactRepository(Repository[Contact, ContactId], Protocol):
    """Contacts, with a look-up by e-mail address."""

    def by_email(self, email: EmailAddress | str) -> list[Contact]:
        """The contacts with this e-mail address (case-insensitive), oldest first."""
        ...


class OpportunityRepository(Repository[Opportunity, OpportunityId], Protocol):
    """Opportunities."""


class CampaignRepository(Repository[Campaign, CampaignId], Protocol):
    """Campaigns."""


class ActivityRepository(Repository[Activity, ActivityId], Protocol):
    """Activities."""


class ProductRepository(Repository[Product, ProductId], Protocol):
    """Products."""


class EventLog(Protocol):
    """The events committed to a store, in the order they were committed."""

    def read(
        self,
        *,
        after: int = 0,
        entity: str | None = None,
        entity_id: uuid.UUID | None = None,
        limit: int | None = None,
    ) -> list[RecordedEvent]:
        """Events after position ``after``, optionally of one entity kind or one entity."""
        ...

    def last_position(self) -> int:
        """The position of the last committed event (0 when there is none)."""
        ...


class UnitOfWork(Protocol):
    """One transaction: repositories that see its changes, committed all at once or not at all.

    Use it as a context manager.  Nothing is stored until :meth:`commit`; leaving the
    block without committing, or with an exception, discards every change made since
    the last commit.  After a commit the unit of work can go on with new changes.
    """

    @property
    def leads(self) -> LeadRepository:
        """The leads."""
        ...

    @property
    def accounts(self) -> AccountRepository:
        """The accounts."""
        ...

    @property
    def contacts(self) -> ContactRepository:
        """The contacts."""
        ...

    @property
    def opportunities(self) -> OpportunityRepository:
        """The opportunities."""
        ...

    @property
    def campaigns(self) -> CampaignRepository:
        """The campaigns."""
        ...

    @property
    def activities(self) -> ActivityRepository:
        """The activities."""
        ...

    @property
    def products(self) -> ProductRepository:
        """The products."""
        ...

    @property
    def events(self) -> EventLog:
        """The event log, as committed so far."""
        ...

    @property
    def actor(self) -> str | None:
        """Who the changes are made for; recorded with every event."""
        ...

    def record(self, *events: Event) -> None:
        """Add events to be appended to the log when this unit of work commits."""
        ...

    def commit(self) -> None:
        """Store every change and event of this unit of work, atomically."""
        ...

    def rollback(self) -> None:
        """Discard every change and event not yet committed."""
        ...

    def __enter__(self) -> UnitOfWork: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...


class Store(Protocol):
    """A storage connection that hands out units of work; open one with :func:`leadflow.connect`."""

    @property
    def capabilities(self) -> frozenset[Capability]:
        """What this store can do beyond the common rules."""
        ...

    def unit_of_work(self, *, actor: str | None = None) -> UnitOfWork:
        """A new unit of work; ``actor`` is recorded with its events."""
        ...

    def close(self) -> None:
        """Release the storage; units of work still open are rolled back."""
        ...

    def __enter__(self) -> Store: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...
