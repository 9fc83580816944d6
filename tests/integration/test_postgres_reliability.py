"""PostgreSQL under stress: several processes on one lead, failures, locks and kills."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import attrs
import pytest

import leadflow
from leadflow import Lead, StorageError
from leadflow.ports import Query
from tests.integration.postgres_server import PostgresServer, require_driver, start_server
from tests.integration.workers import increment, kill_during_big_commit

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def _driver() -> None:
    """Every test here needs psycopg: skip without it (fail under CI=true)."""
    require_driver()


def test_four_processes_incrementing_one_lead_lose_no_update(
    postgres_url: Callable[..., str],
) -> None:
    url = postgres_url()
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
    # The add and 800 updates, each with its event, in commit order.
    assert [r.event.version for r in updates] == list(range(1, 802))  # type: ignore[attr-defined]
    assert sum(retries) >= 0


# ============================================================ driver errors


@pytest.mark.parametrize(
    "url",
    [
        "postgresql:///leadflow?host=/nonexistent/leadflow-socket-dir",
        "postgresql://nobody@127.0.0.1:1/leadflow?connect_timeout=5",
        "postgres://nobody@host.invalid/leadflow?connect_timeout=5",
    ],
    ids=["missing-socket", "refused-port", "unknown-host"],
)
def test_an_unreachable_server_is_a_storage_error(url: str) -> None:
    with pytest.raises(StorageError) as error:
        leadflow.connect(url)
    assert error.value.operation == "connect"
    assert error.value.__cause__ is None
    assert error.value.__suppress_context__


def _terminate(server: PostgresServer, uow: object) -> None:
    pid = uow.connection.info.backend_pid  # type: ignore[attr-defined]
    server.admin(f"SELECT pg_terminate_backend({pid}, 5000)")


@pytest.mark.parametrize("when", ["reading", "writing", "committing"])
def test_a_lost_connection_is_a_storage_error_and_the_store_recovers(
    postgres_server: PostgresServer, postgres_url: Callable[..., str], when: str
) -> None:
    with leadflow.connect(postgres_url()) as store:
        with store.unit_of_work() as uow:
            kept = uow.leads.add(Lead(created_at=NOW, first_name="kept"))
            uow.commit()
        with store.unit_of_work() as uow:
            if when != "reading":
                uow.leads.add(Lead(created_at=NOW, first_name="lost"))
            _terminate(postgres_server, uow)
            with pytest.raises(StorageError):  # noqa: PT012 - the failing step differs
                if when == "committing":
                    uow.commit()
                else:
                    uow.leads.count(Query(Lead))
            if when != "reading":  # what the unit of work did is gone: it refuses to go on
                with pytest.raises(StorageError, match="rollback"):
                    uow.leads.get(kept.id)
        with store.unit_of_work() as uow:
            assert [lead.first_name for lead in uow.leads.find(Query(Lead))] == ["kept"]
            assert uow.events.last_position() == 1


@pytest.fixture
def private_server() -> Iterator[PostgresServer]:
    server = start_server()
    try:
        yield server
    finally:
        server.remove()


def test_a_stopped_server_is_a_storage_error(private_server: PostgresServer) -> None:
    url = private_server.url(schema="stopping")
    store = leadflow.connect(url)
    try:
        with store.unit_of_work() as uow:
            lead = uow.leads.add(Lead(created_at=NOW))
            private_server.stop()
            with pytest.raises(StorageError) as error:
                uow.leads.get(lead.id)
            assert error.value.entity == "lead"
        with pytest.raises(StorageError):  # a pooled connection or a new one: both fail
            store.unit_of_work().leads.count(Query(Lead))
        with pytest.raises(StorageError):
            leadflow.connect(url)
    finally:
        store.close()


# ====================================================================== locks


def test_a_blocked_writer_gives_up_after_the_lock_timeout(
    postgres_url: Callable[..., str],
) -> None:
    with leadflow.connect(postgres_url(lock_timeout="0.5")) as store:
        with store.unit_of_work() as uow:
            lead = uow.leads.add(Lead(created_at=NOW))
            uow.commit()
        with store.unit_of_work() as first, store.unit_of_work() as second:
            mine = first.leads.update(attrs.evolve(lead, owner="first"))  # holds the row
            theirs = second.leads.get(lead.id)
            started = time.monotonic()
            with pytest.raises(StorageError, match="lock_timeout") as error:
                second.leads.update(attrs.evolve(theirs, owner="second"))
            assert 0.4 < time.monotonic() - started < 3
            assert error.value.operation == "update"
            with pytest.raises(StorageError, match="rollback"):
                second.commit()
            second.rollback()
            first.commit()
            assert second.leads.get(lead.id) == mine
            second.leads.update(attrs.evolve(mine, owner="second"))
            second.commit()
        with store.unit_of_work() as uow:
            assert uow.leads.get(lead.id).owner == "second"
            assert [r.event.version for r in uow.events.read()] == [1, 2, 3]  # type: ignore[attr-defined]


def test_commits_append_events_one_at_a_time(
    postgres_server: PostgresServer, postgres_url: Callable[..., str]
) -> None:
    """A commit locks the event table, so positions are taken in commit order."""
    import psycopg

    url = postgres_url()
    with leadflow.connect(url) as store:
        schema = store.schema  # type: ignore[attr-defined]
        with store.unit_of_work() as early, store.unit_of_work() as late:
            early.leads.add(Lead(created_at=NOW, first_name="early"))
            late.leads.add(Lead(created_at=NOW, first_name="late"))
            late.commit()
            early.commit()  # began first, committed last: its event comes last
            names = [r.event.entity_id for r in early.events.read()]
        with store.unit_of_work() as uow:
            by_id = {lead.id.value: lead.first_name for lead in uow.leads.find(Query(Lead))}
        assert [by_id[i] for i in names] == ["late", "early"]

        with psycopg.connect(postgres_server.url()) as holder:
            holder.execute(f'LOCK TABLE "{schema}".event IN EXCLUSIVE MODE')
            done = threading.Event()

            def commit_one() -> None:
                with store.unit_of_work() as uow:
                    uow.leads.add(Lead(created_at=NOW))
                    uow.commit()
                done.set()

            thread = threading.Thread(target=commit_one)
            thread.start()
            assert not done.wait(0.5), "the commit went on while another held the event table"
            holder.rollback()
            thread.join(10)
            assert done.is_set()


# ====================================================================== kills


@pytest.mark.parametrize("stage", ["halfway", "committing"])
def test_a_process_killed_mid_unit_of_work_leaves_nothing_half_done(
    postgres_url: Callable[..., str], tmp_path: Path, stage: str
) -> None:
    url = postgres_url()
    with leadflow.connect(url) as store, store.unit_of_work() as uow:
        kept = uow.leads.add_many(Lead(created_at=NOW, first_name=f"kept {i}") for i in range(50))
        uow.commit()
    kill_during_big_commit(url, tmp_path / "marker", stage=stage, delay=0.0, count=20_000)
    with leadflow.connect(url) as store, store.unit_of_work() as uow:
        count = uow.leads.count(Query(Lead))
        events = uow.events.last_position()
        assert uow.leads.get_many(lead.id for lead in kept) == {lead.id: lead for lead in kept}
        uow.leads.add(Lead(created_at=NOW))  # the schema is sound: new work commits
        uow.commit()
    if stage == "halfway":
        assert (count, events) == (50, 50)
    else:  # killed while committing: all of it or none of it
        assert (count, events) in ((50, 50), (20_050, 20_050))
