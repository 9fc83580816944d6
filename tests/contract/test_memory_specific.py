"""Memory adapter behaviour beyond the kit: a commit that fails applies nothing."""

from __future__ import annotations

import attrs
import pytest

from leadflow import ConcurrencyConflict, DuplicateEntity, Lead, NotFound
from leadflow.adapters.memory import MemoryStore
from leadflow.ports import Query
from leadflow.testing.contracts import sample_lead


def test_a_commit_that_meets_a_conflict_applies_nothing() -> None:
    store = MemoryStore()
    with store.unit_of_work() as uow:
        first, second = uow.leads.add(sample_lead(0)), uow.leads.add(sample_lead(1))
        uow.commit()
    with store.unit_of_work() as mine, store.unit_of_work() as rival:
        mine.leads.update(attrs.evolve(first, owner="mine"))
        new = mine.leads.add(sample_lead(2))
        mine.leads.update(attrs.evolve(second, owner="mine"))
        rival.leads.update(attrs.evolve(second, owner="rival"))
        rival.commit()  # after mine looked at `second`, before mine commits
        with pytest.raises(ConcurrencyConflict) as error:
            mine.commit()
        assert (error.value.expected, error.value.stored) == (1, 2)
    with store.unit_of_work() as uow:
        assert uow.leads.get(first.id) == first
        assert uow.leads.get(second.id).owner == "rival"
        with pytest.raises(NotFound):
            uow.leads.get(new.id)
        assert len(uow.events.read()) == 3  # two adds, the rival's update


def test_two_units_of_work_adding_one_id_the_second_commit_is_a_duplicate() -> None:
    store = MemoryStore()
    lead = sample_lead(0)
    with store.unit_of_work() as first, store.unit_of_work() as second:
        first.leads.add(lead)
        second.leads.add(lead)
        first.commit()
        with pytest.raises(DuplicateEntity):
            second.commit()
    with store.unit_of_work() as uow:
        assert uow.leads.count(Query(Lead)) == 1


def test_the_stored_copy_differs_only_in_its_version() -> None:
    from hypothesis import given

    from leadflow.adapters._common import with_version
    from leadflow.testing import strategies as lfst

    @given(lfst.entities())
    def check(entity: object) -> None:
        copy = with_version(entity, entity.version + 7)  # type: ignore[attr-defined]
        assert copy == attrs.evolve(entity, version=entity.version + 7)  # type: ignore[misc, attr-defined]
        assert type(copy) is type(entity)

    check()
