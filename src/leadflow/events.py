"""Domain events: what happened, kept in the event log beside the state it changed.

Storage records one change event for every write a unit of work makes
(:class:`EntityAdded`, :class:`EntityUpdated`, :class:`EntityRemoved`) and appends
them, with any events given to :meth:`~leadflow.ports.UnitOfWork.record`, to the event
log in the same transaction as the writes.  The log therefore never disagrees with
the state: the history of every entity can be read back from it, and the state of an
entity at a past moment rebuilt by undoing the changes made since (see
:func:`changes`).

Events are frozen values; in JSON each is an object with a ``"type"`` naming its
class (``"entity_added"``, ...).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from leadflow._fields import EMPTY_MAP, FrozenMap, aware, non_blank, to_frozen_map, to_utc
from leadflow.values import AccountId, ContactId, LeadId, OpportunityId

__all__ = [
    "EVENT_TYPES",
    "EntityAdded",
    "EntityRemoved",
    "EntityUpdated",
    "Event",
    "FieldChange",
    "LeadConverted",
    "RecordedEvent",
    "StateChanged",
    "changes",
    "event_type_name",
]


def _document(value: Mapping[str, Any]) -> FrozenMap[str, Any]:
    return to_frozen_map(value)


@attrs.frozen(kw_only=True)
class FieldChange:
    """The value of one field of a document before and after a change (JSON values)."""

    before: Any = None
    after: Any = None


def _changes(value: Mapping[str, FieldChange]) -> FrozenMap[str, FieldChange]:
    return to_frozen_map(value)


@attrs.frozen(kw_only=True)
class EntityAdded:
    """An entity was stored for the first time, at ``version``."""

    #: The kind of entity (``"lead"``, ``"account"``, ...).
    entity: str = attrs.field(validator=non_blank)
    entity_id: uuid.UUID
    version: int


@attrs.frozen(kw_only=True)
class EntityUpdated:
    """A stored entity changed; ``changes`` maps each changed field to its before and after.

    Fields are the top-level keys of the entity's JSON document; a field that is
    absent on one side (an empty optional field) appears as ``None`` there.
    """

    entity: str = attrs.field(validator=non_blank)
    entity_id: uuid.UUID
    #: The version the entity has after the change.
    version: int
    changes: Mapping[str, FieldChange] = attrs.field(default=EMPTY_MAP, converter=_changes)


@attrs.frozen(kw_only=True)
class EntityRemoved:
    """A stored entity was removed; ``document`` is its last state, so history survives."""

    entity: str = attrs.field(validator=non_blank)
    entity_id: uuid.UUID
    #: The version the entity had when it was removed.
    version: int
    document: Mapping[str, Any] = attrs.field(default=EMPTY_MAP, converter=_document)


@attrs.frozen(kw_only=True)
class StateChanged:
    """An entity moved from one state to another by an action of a rule table.

    ``machine`` names the rule table (``"lead"``, ``"marketing"``, a pipeline's name)
    and ``field`` the entity's field that holds the state (``"status"``,
    ``"marketing_stage"``, ``"stage"``).  Replaying a machine's events for one entity,
    in order, gives its current state (:meth:`~leadflow.lifecycle.RuleTable.replay`).
    """

    entity: str = attrs.field(validator=non_blank)
    entity_id: uuid.UUID
    machine: str
    field: str
    action: str
    from_state: str
    to_state: str
    #: When the action was taken (the caller's clock, not the store's).
    at: datetime = attrs.field(validator=aware)
    #: Who took the action.
    actor: str | None = None
    #: Why, in the actor's words or from a configured list (a disqualification reason).
    reason: str | None = None


@attrs.frozen(kw_only=True)
class LeadConverted:
    """A lead became an account, a contact and optionally an opportunity.

    ``created`` lists the kinds of record the conversion created (``"account"``,
    ``"contact"``, ``"opportunity"``); the others named were matched to existing
    records.
    """

    entity: str = "lead"
    entity_id: uuid.UUID
    account_id: AccountId
    contact_id: ContactId
    opportunity_id: OpportunityId | None = None
    created: tuple[str, ...] = ()
    at: datetime = attrs.field(validator=aware)
    actor: str | None = None

    @property
    def lead_id(self) -> LeadId:
        """The converted lead's id."""
        return LeadId(value=self.entity_id)


#: Any event leadflow stores: the storage change events and the domain events.
Event = EntityAdded | EntityUpdated | EntityRemoved | StateChanged | LeadConverted

#: The event classes, in the order of their ``"type"`` names' documentation.
EVENT_TYPES: tuple[type[Any], ...] = (
    EntityAdded,
    EntityUpdated,
    EntityRemoved,
    StateChanged,
    LeadConverted,
)


def event_type_name(cls: type[Any]) -> str:
    """The ``"type"`` of an event class in JSON: its name in snake case."""
    name = cls.__name__
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


@attrs.frozen(kw_only=True)
class RecordedEvent:
    """An event as the log keeps it: its position, when it was recorded, and by whom.

    ``position`` increases with every event appended, in commit order; ``recorded_at``
    is the store's clock when the unit of work committed; ``actor`` is the unit of
    work's actor.
    """

    position: int
    recorded_at: datetime = attrs.field(converter=to_utc, validator=aware)
    actor: str | None = None
    event: Event


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, FieldChange]:
    """The top-level fields that differ between two documents, with both values.

    Storage adapters call this to build :class:`EntityUpdated`; the ``schema`` key and
    the ``version`` (which every write changes) are left out.
    """
    found: dict[str, FieldChange] = {}
    for key in before.keys() | after.keys():
        if key in ("schema", "version"):
            continue
        old, new = before.get(key), after.get(key)
        if old != new:
            found[key] = FieldChange(before=old, after=new)
    return dict(sorted(found.items()))
