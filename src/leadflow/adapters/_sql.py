"""SQL shared by the SQLite and PostgreSQL adapters (private).

Each entity kind has a table named after it, holding the entity's JSON document, its
version, and one column per indexed field of the catalog (:data:`leadflow.ports.ENTITIES`).
Queries compile to SQL here, with the placeholder and value conversion of each driver.
Identifiers come only from the catalog, never from a query: a query names fields that
:class:`~leadflow.ports.Query` has already checked against it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from leadflow.ports import EntitySpec, IndexedField, Query, decode_cursor

#: Converts a value to the driver's form for a field (timestamps, UUIDs, ...).
Convert = Callable[[IndexedField, Any], Any]


def quote(name: str) -> str:
    """A quoted SQL identifier (catalog names are plain words; quoting is for safety)."""
    return '"' + name.replace('"', '""') + '"'


def index_names(spec: EntitySpec) -> list[tuple[str, tuple[str, ...]]]:
    """The indexes of an entity's table: ``(name, columns)``.

    Orderable fields get ``(field, id)`` for keyset pagination; the other fields get
    ``(field, created_at, id)`` so that a filtered query in the default order is one
    index range.
    """
    indexes: list[tuple[str, tuple[str, ...]]] = []
    for field in spec.fields:
        if field.name == "id":
            continue
        columns = (field.name, "id") if field.orderable else (field.name, "created_at", "id")
        indexes.append((f"{spec.name}_{field.name}", columns))
    return indexes


@attrs.frozen(kw_only=True)
class Compiled:
    """A compiled query: the SQL after ``FROM table`` and its parameters."""

    where: str
    order: str
    params: list[Any]


def compile_query(
    query: Query[Any], *, placeholder: str, convert: Convert, with_cursor: bool = True
) -> Compiled:
    """The WHERE and ORDER BY of a query, with ``placeholder`` for each parameter."""
    spec = query.spec
    clauses: list[str] = []
    params: list[Any] = []
    for condition in query.conditions:
        field = spec.field(condition.field)
        column = quote(field.name)
        if condition.op == "null":
            clauses.append(f"{column} IS NULL")
        elif condition.op == "in":
            marks = ", ".join(placeholder for _ in condition.value)
            clauses.append(f"{column} IN ({marks})")
            params.extend(convert(field, v) for v in condition.value)
        else:
            sign = {"eq": "=", "gte": ">=", "lt": "<"}[condition.op]
            clauses.append(f"{column} {sign} {placeholder}")
            params.append(convert(field, condition.value))
    order_field = spec.field(query.order)
    id_field = spec.field("id")
    direction = "DESC" if query.descending else "ASC"
    if with_cursor and query.cursor is not None:
        value, last_id = decode_cursor(query, query.cursor)
        sign = "<" if query.descending else ">"
        if order_field.name == "id":
            clauses.append(f"{quote('id')} {sign} {placeholder}")
            params.append(convert(id_field, last_id))
        else:
            clauses.append(
                f"({quote(order_field.name)}, {quote('id')}) {sign} ({placeholder}, {placeholder})"
            )
            params.extend((convert(order_field, value), convert(id_field, last_id)))
    where = " AND ".join(clauses) if clauses else "TRUE"
    if order_field.name == "id":
        order = f"{quote('id')} {direction}"
    else:
        order = f"{quote(order_field.name)} {direction}, {quote('id')} {direction}"
    return Compiled(where=where, order=order, params=params)
