"""The conformance kit against the PostgreSQL adapter, on a throwaway server.

Each storage name is a schema of its own in the server's test database (see the
``postgres_url`` fixture); the tests after the kit check what is particular to
PostgreSQL: how values it cannot keep as they are (NUL, big floats, long indexed
texts) are encoded, the ``schema=`` option, URLs and the layout version.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import leadflow
from leadflow import Lead, StorageError, ValidationError
from leadflow.ports import Query, Store
from leadflow.testing.contracts import OpenStore, StoreContracts
from tests.integration.postgres_server import PostgresServer, require_driver

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
ESCAPE = "\ue000"


@pytest.fixture(autouse=True)
def _driver() -> None:
    """Every test here needs psycopg: skip without it (fail under CI=true)."""
    require_driver()


class TestPostgresStore(StoreContracts):
    @pytest.fixture
    def open_store(self, postgres_url: Callable[..., str]) -> OpenStore:
        from leadflow.adapters.postgres import PostgresStore

        def open_store(name: str = "default") -> Store:
            return PostgresStore.from_url(postgres_url(name))

        return open_store


# ====================================================================== encoding


@given(st.text())
def test_escaping_text_is_exactly_reversed_and_leaves_no_nul(text: str) -> None:
    from leadflow.adapters.postgres import escape_text, unescape_text

    escaped = escape_text(text)
    assert "\x00" not in escaped
    assert unescape_text(escaped) == text
    if "\x00" not in text and ESCAPE not in text:
        assert escaped is text  # applied only where needed


@given(
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
        max_leaves=10,
    )
)
def test_documents_are_encoded_without_nul_and_decoded_exactly(data: Any) -> None:
    from leadflow.adapters.postgres import decode_document, encode_document

    text = encode_document(data)
    assert "\\u0000" not in text.replace("\\\\", "")
    decoded = decode_document(text)
    assert decoded == data
    assert repr(decoded) == repr(data)  # the same types too: 1e16 stays a float


def _lead(i: int, **changes: Any) -> Lead:
    return Lead(created_at=T0 + timedelta(seconds=i), first_name=f"P{i}", **changes)


def test_values_jsonb_would_change_read_back_exactly(postgres_url: Callable[..., str]) -> None:
    custom = {
        "big": 1e16,
        "huge": -1.5e300,
        "tiny": 5e-324,
        "whole": 3.0,
        "int": 2**63,
        "nul\x00key": "a\x00b",
        ESCAPE: ESCAPE + "0",
        "both": "\x00" + ESCAPE + "\x00" + ESCAPE + ESCAPE,
    }
    lead = _lead(0, custom_fields=custom, owner="o\x00", product_interests={"\x00", ESCAPE})
    with leadflow.connect(postgres_url()) as store:
        with store.unit_of_work(actor="a\x00" + ESCAPE) as uow:
            stored = uow.leads.add(lead)
            uow.leads.update(attrs.evolve(stored, custom_fields={**custom, "big": 2e16}))
            uow.commit()
        with store.unit_of_work() as uow:
            found = uow.leads.get(lead.id)
            events = uow.events.read()
    assert dict(found.custom_fields) == {**custom, "big": 2e16}
    types = {k: type(v) for k, v in found.custom_fields.items()}
    assert types == {k: type(v) for k, v in custom.items()}  # 1e16 stays a float
    assert found.product_interests == lead.product_interests
    assert [e.actor for e in events] == ["a\x00" + ESCAPE] * 2
    changed = events[1].event.changes["custom_fields"]  # type: ignore[attr-defined]
    assert (changed.before, changed.after) == (custom, {**custom, "big": 2e16})


def test_filters_tell_apart_texts_an_encoding_could_confuse(
    postgres_url: Callable[..., str],
) -> None:
    owners = [
        "a\x00",
        "a" + ESCAPE + "0",
        "a" + ESCAPE,
        "a" + ESCAPE + ESCAPE,
        "a",
        "a\x00\x00",
        "x" * 600,
        "x" * 600 + "y",
        "x" * 512 + ESCAPE + "#",
        ("\x00" * 300) + "z",
    ]
    leads = [_lead(i, owner=owner) for i, owner in enumerate(owners)]
    with leadflow.connect(postgres_url()) as store, store.unit_of_work() as uow:
        uow.leads.add_many(leads)
        uow.commit()
        for lead in leads:
            found = uow.leads.find(Query(Lead).where(owner=lead.owner))
            assert [f.id for f in found] == [lead.id], repr(lead.owner)
        both = Query(Lead).where(owner=[owners[0], owners[6]])
        assert {f.id for f in uow.leads.stream(both)} == {leads[0].id, leads[6].id}


# ====================================================================== options


def test_the_schema_option_puts_the_tables_in_that_schema(
    postgres_server: PostgresServer,
) -> None:
    import psycopg

    schema = postgres_server.new_schema_name() + '-my "odd" %s schema'
    url = postgres_server.url(schema=schema)
    with leadflow.connect(url) as store, store.unit_of_work() as uow:
        uow.leads.add(_lead(0))
        uow.commit()
    with psycopg.connect(postgres_server.url()) as connection:
        tables = connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (schema,),
        ).fetchall()
        public = connection.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()
    assert {name for (name,) in tables} >= {"lead", "account", "event", "leadflow_schema"}
    assert public == (0,)
    with leadflow.connect(url) as store, store.unit_of_work() as uow:
        assert uow.leads.count(Query(Lead)) == 1


def test_without_the_schema_option_the_current_schema_is_used(
    postgres_server: PostgresServer,
) -> None:
    database = f"plain_{postgres_server.new_schema_name()}"
    postgres_server.admin(f'CREATE DATABASE "{database}"')
    with leadflow.connect(postgres_server.url(database)) as store:
        assert store.schema == "public"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("option", "complaint"),
    [
        ("colour=blue", "colour"),
        ("lock_timeout=soon", "lock_timeout"),
        ("lock_timeout=-1", "lock_timeout"),
        ("schema=" + "s" * 64, "schema"),
    ],
)
def test_bad_options_are_validation_errors(option: str, complaint: str) -> None:
    url = f"postgresql://ana:secret@localhost:5432/crm?{option}"
    with pytest.raises(ValidationError) as error:
        leadflow.connect(url)
    assert complaint in str(error.value)
    assert "secret" not in str(error.value)


def test_both_url_schemes_connect(postgres_server: PostgresServer) -> None:
    schema = postgres_server.new_schema_name()
    url = postgres_server.url(schema=schema)
    for scheme_url in (url, url.replace("postgresql://", "postgres://", 1)):
        with leadflow.connect(scheme_url) as store:
            assert type(store).__name__ == "PostgresStore"


def test_a_newer_layout_is_refused(postgres_server: PostgresServer) -> None:
    schema = postgres_server.new_schema_name()
    url = postgres_server.url(schema=schema)
    leadflow.connect(url).close()
    postgres_server.admin(f'INSERT INTO "{schema}".leadflow_schema VALUES (99)', "leadflow")
    with pytest.raises(StorageError, match="newer than this leadflow knows"):
        leadflow.connect(url)


def test_stores_opening_a_new_schema_at_once_take_turns(
    postgres_server: PostgresServer,
) -> None:
    url = postgres_server.url(schema=postgres_server.new_schema_name())
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            leadflow.connect(url).close()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=open_one) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with leadflow.connect(url) as store, store.unit_of_work() as uow:
        assert uow.leads.count(Query(Lead)) == 0
