"""SQLite under stress: several processes on one file, and a process killed mid-commit."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import pytest

import leadflow
from leadflow import Lead
from leadflow.ports import Query
from tests.integration.workers import increment, kill_during_big_commit

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


def test_four_processes_incrementing_one_lead_lose_no_update(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    with leadflow.connect(url) as store, store.unit_of_work() as uow:
        lead = uow.leads.add(Lead(created_at=NOW, custom_fields={"counter": 0}))
        uow.commit()
    with ProcessPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(increment, url, str(lead.id), 200) for _ in range(4)]
        retries = [f.result(timeout=300) for f in futures]
    with leadflow.connect(url) as store, store.unit_of_work() as uow:
        final = uow.leads.get(lead.id)
        updates = uow.events.read(entity_id=lead.id.value)
    assert final.custom_fields["counter"] == 800
    assert final.version == 801
    assert len(updates) == 801  # the add and 800 updates, each with its event
    assert sum(retries) >= 0


@pytest.mark.parametrize(
    ("stage", "delay"),
    [("halfway", 0.0), ("committing", 0.0), ("committing", 0.15), ("committing", 0.35)],
    ids=["halfway-through-the-adds", "at-commit", "building-events", "writing-the-commit"],
)
def test_a_process_killed_mid_unit_of_work_leaves_nothing_half_done(
    tmp_path: Path, stage: str, delay: float
) -> None:
    """All or nothing: killed before its commit completes, none of it is visible."""
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    with leadflow.connect(url) as store, store.unit_of_work() as uow:
        kept = [uow.leads.add(Lead(created_at=NOW, first_name=f"kept {i}")) for i in range(50)]
        uow.commit()
    kill_during_big_commit(url, tmp_path / "marker", stage=stage, delay=delay, count=60_000)
    with leadflow.connect(url) as store, store.unit_of_work() as uow:
        count = uow.leads.count(Query(Lead))
        events = uow.events.last_position()
        assert [uow.leads.get(lead.id) for lead in kept] == kept
        # The file is sound: new work commits.
        uow.leads.add(Lead(created_at=NOW))
        uow.commit()
    # All or nothing, and the log agrees with the state.  (A late kill may land after
    # the commit returned, so the later kill points may find all of it.)
    assert (count, events) in ((50, 50), (60_050, 60_050))
    if delay == 0.0:  # killed well before the commit could complete
        assert (count, events) == (50, 50)
