from __future__ import annotations

import uuid

import pytest

from leadflow import ValidationError
from leadflow.events import (
    EntityAdded,
    EntityRemoved,
    EntityUpdated,
    Event,
    FieldChange,
    changes,
    event_type_name,
)
from leadflow.serialization import SCHEMA_VERSION, from_dict, from_json, to_dict, to_json

ID = uuid.UUID(int=42)


def test_changes_list_the_top_level_fields_that_differ() -> None:
    before = {"id": "x", "version": 1, "status": "new", "owner": "ana", "schema": 1}
    after = {"id": "x", "version": 2, "status": "working", "tags": ["a"], "schema": 1}
    assert changes(before, after) == {
        "owner": FieldChange(before="ana", after=None),
        "status": FieldChange(before="new", after="working"),
        "tags": FieldChange(before=None, after=["a"]),
    }
    assert changes(before, before) == {}


@pytest.mark.parametrize(
    "event",
    [
        EntityAdded(entity="lead", entity_id=ID, version=1),
        EntityUpdated(
            entity="lead",
            entity_id=ID,
            version=2,
            changes={"owner": FieldChange(before=None, after="ana")},
        ),
        EntityRemoved(
            entity="account",
            entity_id=ID,
            version=3,
            document={"name": "Acme", "tags": [1, {"x": None}]},
        ),
    ],
)
def test_events_are_tagged_documents_that_round_trip(event: Event) -> None:
    document = to_dict(event)
    assert document["type"] == event_type_name(type(event))
    assert document["schema"] == SCHEMA_VERSION
    assert from_dict(Event, document) == event  # type: ignore[arg-type]
    assert from_json(type(event), to_json(event)) == event


def test_event_documents_are_checked() -> None:
    with pytest.raises(ValidationError) as error:
        from_dict(Event, {"type": "entity_exploded", "schema": 1})  # type: ignore[arg-type]
    assert error.value.problems[0].path == "type"
    with pytest.raises(ValidationError, match="should be 'entity_added'"):
        from_dict(
            EntityAdded,
            {
                **to_dict(EntityAdded(entity="lead", entity_id=ID, version=1)),
                "type": "entity_removed",
            },
        )
    assert event_type_name(EntityUpdated) == "entity_updated"
