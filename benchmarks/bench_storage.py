"""Storage benchmark: the memory, SQLite and PostgreSQL adapters beside raw drivers.

Usage::

    pip install -r benchmarks/requirements.txt
    python benchmarks/bench_storage.py [--leads 100000] [--postgres postgresql:///db?host=/tmp]

For each adapter, on fresh storage:

* **add**: 100,000 leads in one unit of work, with ``add`` one by one and, on another
  fresh store, with ``add_many``; the time includes the commit;
* **get**: 20,000 leads by id in one unit of work;
* **page**: every lead of one status (a third of them) through a filtered query, 1,000
  per page;
* **update**: 10,000 leads, each in its own unit of work (read, change, commit).

Beside the SQLite adapter, in the same run and on the same table layout (made by the
adapter, with the same indexes): raw ``sqlite3`` doing the same work with the same JSON
documents, prepared beforehand (``executemany`` for the add, one transaction per update,
``json.loads`` for reads), and SQLAlchemy's ORM ``add_all`` of the same rows.  Also the
memory adapter's bytes per lead, for 1,000,000 leads.  Targets (issue 3), on SQLite:
bulk add within 2x of raw sqlite3 and at least 2x faster than the SQLAlchemy ORM; at
least 5,000 single-entity updates per second; the memory adapter under 2 KB per lead.
"""

from __future__ import annotations

import argparse
import gc
import json
import sqlite3
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import attrs

import leadflow
from leadflow import Lead, Query, Touchpoint
from leadflow.adapters.memory import MemoryStore
from leadflow.adapters.sqlite import SqliteStore, _to_db
from leadflow.ports import Store, entity_spec
from leadflow.serialization import dumps, to_dict

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
STATUSES = ("new", "working", "qualified")


def make_lead(i: int) -> Lead:
    created = T0 + timedelta(seconds=i)
    return Lead(
        created_at=created,
        first_name="Ada",
        last_name=f"Lovelace {i}",
        email=f"ada.lovelace{i}@example{i % 97}.com",
        company=f"Analytical Engines {i % 1000}",
        country="United Kingdom",
        status=STATUSES[i % 3],
        owner=("ana", "bo", None)[i % 3],
        product_interests={"crm", "forecasting"},
        touches=[Touchpoint(occurred_at=created, source="google", medium="cpc", campaign="spring")],
    )


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds one call takes, with the cyclic GC paused (as timeit does)."""
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        result = fn()
        return time.perf_counter() - start, result
    finally:
        gc.enable()


# -------------------------------------------------------------------- leadflow


def measure_store(
    name: str, open_store: Callable[[], Store], leads: list[Lead], gets: int, updates: int
) -> dict[str, float]:
    rates: dict[str, float] = {}
    n = len(leads)

    store = open_store()

    def add_one_by_one() -> list[Lead]:
        with store.unit_of_work() as uow:
            stored = [uow.leads.add(lead) for lead in leads]
            uow.commit()
        return stored

    seconds, stored = timed(add_one_by_one)
    rates["add"] = n / seconds

    def get_by_id() -> None:
        with store.unit_of_work() as uow:
            for lead in stored[:gets]:
                uow.leads.get(lead.id)

    seconds, _ = timed(get_by_id)
    rates["get"] = gets / seconds

    query = Query(Lead).where(status="working").limit(1000)

    def page_through() -> int:
        with store.unit_of_work() as uow:
            return sum(1 for _ in uow.leads.stream(query))

    seconds, rows = timed(page_through)
    assert rows == sum(1 for lead in leads if lead.status == "working")
    rates["page"] = rows / seconds

    def update_each() -> None:
        for lead in stored[:updates]:
            with store.unit_of_work() as uow:
                current = uow.leads.get(lead.id)
                uow.leads.update(attrs.evolve(current, owner="zed"))
                uow.commit()

    seconds, _ = timed(update_each)
    rates["update"] = updates / seconds
    store.close()

    bulk = open_store()

    def add_many() -> None:
        with bulk.unit_of_work() as uow:
            uow.leads.add_many(leads)
            uow.commit()

    seconds, _ = timed(add_many)
    rates["add_many"] = n / seconds
    bulk.close()
    print(f"{name}: measured")
    return rates


# ------------------------------------------------------------- raw sqlite3


def raw_rows(leads: list[Lead]) -> list[tuple[Any, ...]]:
    """The rows the SQLite adapter writes for these leads, prepared beforehand."""
    fields = [f for f in entity_spec(Lead).fields if f.name != "id"]
    return [
        (str(lead.id.value), 1, *(_to_db(f, f.read(lead)) for f in fields), dumps(to_dict(lead)))
        for lead in leads
    ]


def measure_raw_sqlite(path: Path, leads: list[Lead], gets: int, updates: int) -> dict[str, float]:
    SqliteStore(path).close()  # the same tables and indexes as the adapter's
    rows = raw_rows(leads)
    fields = [f.name for f in entity_spec(Lead).fields if f.name != "id"]
    columns = ", ".join(f'"{c}"' for c in ["id", "version", *fields, "document"])
    marks = ", ".join("?" for _ in range(len(fields) + 3))
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    rates: dict[str, float] = {}

    def add() -> None:
        connection.execute("BEGIN")
        connection.executemany(f"INSERT INTO lead ({columns}) VALUES ({marks})", rows)
        connection.execute("COMMIT")

    seconds, _ = timed(add)
    rates["add"] = len(rows) / seconds
    ids = [row[0] for row in rows]

    def get() -> None:
        for key in ids[:gets]:
            json.loads(
                connection.execute("SELECT document FROM lead WHERE id = ?", (key,)).fetchone()[0]
            )

    seconds, _ = timed(get)
    rates["get"] = gets / seconds

    def page() -> int:
        count, last = 0, None
        while True:
            if last is None:
                found = connection.execute(
                    "SELECT created_at, id, document FROM lead WHERE status = ? "
                    "ORDER BY created_at, id LIMIT 1000",
                    ("working",),
                ).fetchall()
            else:
                found = connection.execute(
                    "SELECT created_at, id, document FROM lead WHERE status = ? AND "
                    "(created_at, id) > (?, ?) ORDER BY created_at, id LIMIT 1000",
                    ("working", *last),
                ).fetchall()
            if not found:
                return count
            count += len(found)
            for _, _, document in found:
                json.loads(document)
            last = found[-1][:2]

    seconds, count = timed(page)
    rates["page"] = count / seconds

    def update() -> None:
        for key in ids[:updates]:
            connection.execute("BEGIN IMMEDIATE")
            version, document = connection.execute(
                "SELECT version, document FROM lead WHERE id = ?", (key,)
            ).fetchone()
            data = json.loads(document)
            data["owner"] = "zed"
            connection.execute(
                "UPDATE lead SET version = ?, owner = ?, document = ? WHERE id = ? AND version = ?",
                (version + 1, "zed", json.dumps(data), key, version),
            )
            connection.execute("COMMIT")

    seconds, _ = timed(update)
    rates["update"] = updates / seconds
    connection.close()
    return rates


def measure_sqlalchemy(path: Path, leads: list[Lead]) -> float | None:
    """SQLAlchemy ORM add_all of the same rows into the same table layout."""
    try:
        from sqlalchemy import Column, Integer, Text, create_engine
        from sqlalchemy.orm import DeclarativeBase, Session
    except ImportError:
        return None

    class Base(DeclarativeBase):
        pass

    class LeadRow(Base):
        __tablename__ = "lead"
        id = Column(Text, primary_key=True)
        version = Column(Integer, nullable=False)
        created_at = Column(Integer, nullable=False)
        updated_at = Column(Integer, nullable=False)
        external_id = Column(Text)
        status = Column(Text)
        owner = Column(Text)
        email = Column(Text)
        campaign_id = Column(Text)
        document = Column(Text, nullable=False)

    SqliteStore(path).close()  # the same tables and indexes as the adapter's
    rows = raw_rows(leads)
    names = [
        "id",
        "version",
        *(f.name for f in entity_spec(Lead).fields if f.name != "id"),
        "document",
    ]
    engine = create_engine(f"sqlite:///{path}")

    def add_all() -> None:
        with Session(engine) as session:
            session.add_all(LeadRow(**dict(zip(names, row, strict=True))) for row in rows)
            session.commit()

    seconds, _ = timed(add_all)
    engine.dispose()
    return len(rows) / seconds


# ----------------------------------------------------------------- memory size


def memory_bytes_per_lead(count: int) -> float:
    def leads() -> Iterator[Lead]:
        for i in range(count):
            yield make_lead(i)

    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    store = MemoryStore()
    with store.unit_of_work() as uow:
        uow.leads.add_many(leads())
        uow.commit()
    gc.collect()
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    store.close()
    return used / count


# ------------------------------------------------------------------------ main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--gets", type=int, default=20_000)
    parser.add_argument("--updates", type=int, default=10_000)
    parser.add_argument("--memory-leads", type=int, default=1_000_000)
    parser.add_argument("--postgres", help="a PostgreSQL URL to measure too (an empty database)")
    parser.add_argument(
        "--postgres-server",
        action="store_true",
        help="start a throwaway PostgreSQL server (from a source checkout) and measure it too",
    )
    args = parser.parse_args()
    leads = [make_lead(i) for i in range(args.leads)]
    gets, updates = min(args.gets, args.leads), min(args.updates, args.leads)
    directory = Path(tempfile.mkdtemp(prefix="leadflow-bench-"))
    counter = iter(range(1000))

    results: dict[str, dict[str, float]] = {}
    results["memory"] = measure_store("memory", MemoryStore, leads, gets, updates)
    results["sqlite"] = measure_store(
        "sqlite", lambda: SqliteStore(directory / f"store-{next(counter)}.db"), leads, gets, updates
    )
    server = None
    url = args.postgres
    if args.postgres_server:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from tests.integration.postgres_server import PostgresServer, find_binaries

        binaries = find_binaries()
        if binaries is None:
            raise SystemExit("no PostgreSQL server binaries (initdb, pg_ctl) found")
        server = PostgresServer(*binaries)
        server.start()
        url = server.url()
    try:
        if url:
            joiner = "&" if "?" in url else "?"
            results["postgresql"] = measure_store(
                "postgresql",
                lambda: leadflow.connect(f"{url}{joiner}schema=bench_{next(counter)}"),
                leads,
                gets,
                updates,
            )
    finally:
        if server is not None:
            server.remove()
    raw = measure_raw_sqlite(directory / "raw.db", leads, gets, updates)
    orm = measure_sqlalchemy(directory / "orm.db", leads)
    report(args, results=results, raw=raw, orm=orm, gets=gets, updates=updates)


def report(
    args: argparse.Namespace,
    *,
    results: dict[str, dict[str, float]],
    raw: dict[str, float],
    orm: float | None,
    gets: int,
    updates: int,
) -> None:
    print(
        f"\n{args.leads:,} leads; {gets:,} gets; {updates:,} updates, each in its own unit of work"
    )
    labels = {
        "add": "add (one by one)",
        "add_many": "add_many",
        "get": "get by id",
        "page": "page through a filter",
        "update": "update",
    }
    for op, label in labels.items():
        ours = "; ".join(f"{name} {rates[op]:,.0f}/s" for name, rates in results.items())
        baseline = raw["add" if op == "add_many" else op]
        slower = baseline / results["sqlite"][op]
        print(f"{label}: {ours}; raw sqlite3 {baseline:,.0f}/s (sqlite {slower:.2f}x slower)")
    best_add = max(results["sqlite"]["add"], results["sqlite"]["add_many"])
    ratio = raw["add"] / best_add
    print(f"target sqlite bulk add within 2x of raw sqlite3: {verdict(ratio <= 2)} ({ratio:.2f}x)")
    if orm is None:
        print("SQLAlchemy not installed: pip install -r benchmarks/requirements.txt")
    else:
        speedup = best_add / orm
        print(
            f"SQLAlchemy ORM add_all: {orm:,.0f}/s; "
            f"target sqlite >= 2x faster: {verdict(speedup >= 2)} ({speedup:.2f}x)"
        )
    per_second = results["sqlite"]["update"]
    print(
        f"target sqlite >= 5,000 single-entity updates/s: {verdict(per_second >= 5000)} "
        f"({per_second:,.0f}/s)"
    )
    size = memory_bytes_per_lead(args.memory_leads)
    print(
        f"memory adapter: {size:,.0f} bytes per lead for {args.memory_leads:,} leads "
        f"(with their events); target < 2,048: {verdict(size < 2048)}"
    )


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


if __name__ == "__main__":
    main()
