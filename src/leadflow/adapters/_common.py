"""What leadflow's own adapters share (private; third-party adapters need none of it)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timezone
from types import TracebackType
from typing import Any, TypeVar

import attrs

from leadflow.errors import ConcurrencyConflict, NotFound, ValidationError
from leadflow.events import EntityAdded, EntityRemoved, EntityUpdated, Event, changes
from leadflow.ports import EntitySpec, Page, Query, encode_cursor, entity_spec
from leadflow.values import EmailAddress

#: The clock adapters use for ``recorded_at``; storage may read the time, the core may not.
Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The current time in UTC."""
    return datetime.now(timezone.utc)


_FIELD_NAMES: dict[type[Any], tuple[str, ...]] = {}


def with_version(entity: Any, version: int) -> Any:
    """The entity as stored: the same, with ``version`` set.

    A field-by-field copy: ``attrs.evolve`` would run the constructor's converters and
    validators again, which costs more than the rest of an insert, although the copy
    differs only in a version that the caller computed from a valid one.
    """
    cls = type(entity)
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(a.name for a in attrs.fields(cls) if a.name != "version")
    copy = object.__new__(cls)
    for name in names:
        object.__setattr__(copy, name, getattr(entity, name))
    object.__setattr__(copy, "version", version)
    return copy


def first_repeat(keys: Iterable[Any]) -> Any:
    """The first key that occurs a second time, or ``None``."""
    seen: set[Any] = set()
    for key in keys:
        if key in seen:
            return key
        seen.add(key)
    return None


def make_page(query: Query[Any], rows: Sequence[Any]) -> Page[Any]:
    """The page for ``rows``: up to one more than the page size, already in order."""
    if len(rows) > query.page_size:
        items = tuple(rows[: query.page_size])
        return Page(items=items, next_cursor=encode_cursor(query, items[-1]))
    return Page(items=tuple(rows))


def check_query(spec: EntitySpec, query: Query[Any]) -> None:
    """Refuse a query for another kind of entity than the repository holds."""
    if query.spec is not spec:
        raise ValidationError.single(
            "entity",
            query.spec.name,
            f"is not what this repository holds ({spec.name})",
            subject="Query",
        )


def not_found(spec: EntitySpec, entity_id: Any) -> NotFound:
    """The NotFound error for an id, written the way ids read (``lead_...``)."""
    value = entity_id.value if hasattr(entity_id, "value") else entity_id
    return NotFound(entity=spec.name, key=str(spec.id_type(value=value)))


def conflict(spec: EntitySpec, entity: Any, stored: int | None) -> ConcurrencyConflict:
    """The ConcurrencyConflict for an entity whose stored version is ``stored``."""
    return ConcurrencyConflict(
        entity=spec.name, entity_id=str(entity.id), expected=entity.version, stored=stored
    )


def added_event(spec: EntitySpec, stored: Any) -> Event:
    """The event for a stored new entity."""
    return EntityAdded(entity=spec.name, entity_id=stored.id.value, version=stored.version)


def updated_event(
    spec: EntitySpec, before: dict[str, Any], after: dict[str, Any], stored: Any
) -> Event:
    """The event for an update, from the documents before and after."""
    return EntityUpdated(
        entity=spec.name,
        entity_id=stored.id.value,
        version=stored.version,
        changes=changes(before, after),
    )


def removed_event(
    spec: EntitySpec, document: dict[str, Any], version: int, entity_id: uuid.UUID
) -> Event:
    """The event for a removal, keeping the last document."""
    return EntityRemoved(entity=spec.name, entity_id=entity_id, version=version, document=document)


ClosingT = TypeVar("ClosingT", bound="Closing")


class Closing:
    """Use as a context manager: leaving the block calls ``close()``."""

    def close(self) -> None:  # pragma: no cover - provided by the adapter
        raise NotImplementedError

    def __enter__(self: ClosingT) -> ClosingT:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class RepositoriesMixin:
    """What every unit of work of ours shares: its actor, event log and repositories.

    A unit of work sets ``_actor``, ``_log`` and an empty ``_repositories`` dict, and names
    its repository class in ``repository_class``; repositories are made on first use.
    """

    repository_class: Any
    _actor: str | None
    _log: Any
    _repositories: dict[str, Any]

    @property
    def actor(self) -> str | None:
        """Who the changes are made for."""
        return self._actor

    @property
    def events(self) -> Any:
        """The event log, as committed so far."""
        return self._log

    def _repository(self, kind: str) -> Any:
        repository = self._repositories.get(kind)
        if repository is None:
            repository = type(self).repository_class(self, entity_spec(kind))
            self._repositories[kind] = repository
        return repository

    @property
    def leads(self) -> Any:
        """The leads."""
        return self._repository("lead")

    @property
    def accounts(self) -> Any:
        """The accounts."""
        return self._repository("account")

    @property
    def contacts(self) -> Any:
        """The contacts."""
        return self._repository("contact")

    @property
    def opportunities(self) -> Any:
        """The opportunities."""
        return self._repository("opportunity")

    @property
    def campaigns(self) -> Any:
        """The campaigns."""
        return self._repository("campaign")

    @property
    def activities(self) -> Any:
        """The activities."""
        return self._repository("activity")

    @property
    def products(self) -> Any:
        """The products."""
        return self._repository("product")


class LookupsMixin:
    """``stream`` and the natural-key look-ups, written once on top of ``find``."""

    spec: EntitySpec

    def find(self, query: Query[Any]) -> Page[Any]:  # pragma: no cover - provided by the adapter
        raise NotImplementedError

    def stream(self, query: Query[Any]) -> Iterator[Any]:
        """Every entity matching ``query``, page by page."""
        page = self.find(query.after(None))
        while True:
            yield from page.items
            if page.next_cursor is None:
                return
            page = self.find(query.after(page.next_cursor))

    def _oldest_first(self, **filters: Any) -> list[Any]:
        query: Query[Any] = Query(self.spec.cls).where(**filters).order_by("created_at").limit(1000)
        return list(self.stream(query))

    def by_external_id(self, external_id: str) -> list[Any]:
        """The entities with this external id, oldest first."""
        return self._oldest_first(external_id=external_id)

    def by_email(self, email: EmailAddress | str) -> list[Any]:
        """The entities with this e-mail address (case-insensitive), oldest first."""
        return self._oldest_first(email=email)

    def by_website_domain(self, domain: str) -> list[Any]:
        """The entities with this website domain, oldest first."""
        return self._oldest_first(website_domain=domain)
