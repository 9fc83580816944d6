"""Round trips and garbage: serialization keeps everything and refuses cleanly."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadflow import Lead, LeadId, Money, ValidationError
from leadflow.errors import ROOT, CurrencyMismatch
from leadflow.serialization import (
    ENTITY_TYPES,
    SCHEMA_VERSION,
    from_dict,
    from_json,
    to_dict,
    to_json,
)
from leadflow.testing import strategies as lfst

PLAIN = (str, int, float, bool, type(None))


def plain_json(data: Any) -> bool:
    """Only dicts with str keys, lists and exact JSON scalar types (no subclasses)."""
    if type(data) is dict:
        return all(type(k) is str and plain_json(v) for k, v in data.items())
    if type(data) is list:
        return all(plain_json(v) for v in data)
    return type(data) in PLAIN


@given(lfst.entities())
def test_every_entity_survives_a_json_round_trip(entity: Any) -> None:
    text = to_json(entity)
    assert from_json(type(entity), text) == entity
    assert from_dict(type(entity), json.loads(text)) == entity


@given(lfst.entities())
def test_documents_are_plain_json_with_the_schema(entity: Any) -> None:
    document = to_dict(entity)
    assert plain_json(document)
    assert document["schema"] == SCHEMA_VERSION
    assert type(entity) in ENTITY_TYPES


@given(
    st.one_of(
        lfst.money(),
        lfst.probabilities(),
        lfst.email_addresses(),
        lfst.phone_numbers(),
        lfst.postal_addresses(),
        lfst.touchpoints(),
        lfst.consents(),
        lfst.bants(),
        lfst.line_items(),
        lfst.lead_scores(),
        lfst.entity_ids(LeadId),
    )
)
def test_every_value_survives_a_json_round_trip(value: Any) -> None:
    assert from_json(type(value), to_json(value)) == value
    assert plain_json(to_dict(value))


json_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


def assert_clean_refusal(cls: type[Any], data: Any) -> None:
    """Either a valid object or one ValidationError whose problems all have a path."""
    try:
        result = from_dict(cls, data)
    except ValidationError as error:
        assert error.problems
        for problem in error.problems:
            assert isinstance(problem.path, str)
            assert problem.path
            assert problem.reason
        assert str(error).startswith(f"invalid {cls.__name__}")
    else:
        assert isinstance(result, cls)


@given(st.sampled_from(ENTITY_TYPES), json_like)
def test_arbitrary_garbage_raises_only_validation_errors(cls: type[Any], data: Any) -> None:
    assert_clean_refusal(cls, data)


def paths_in(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found += paths_in(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += paths_in(value, (*prefix, index))
    return found


def replaced(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(data, dict):
        return {**data, head: replaced(data[head], rest, value)}
    copy = list(data)
    copy[head] = replaced(copy[head], rest, value)
    return copy


def render(path: tuple[Any, ...]) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or ROOT


@given(lfst.entities(), st.data())
def test_a_corrupted_field_is_reported_at_or_above_its_path(
    entity: Any, data: st.DataObject
) -> None:
    document = to_dict(entity)
    path = data.draw(st.sampled_from(paths_in(document)[1:]), label="path")
    garbage = data.draw(json_like, label="garbage")
    corrupted = replaced(document, path, garbage)
    try:
        from_dict(type(entity), corrupted)
    except ValidationError as error:
        where = render(path)
        custom = "custom_fields" in where
        for problem in error.problems:
            # The problem is at the corrupted spot, inside it, or at an enclosing
            # value whose own invariant the new value broke (or its keys, for maps).
            related = (
                problem.path.startswith(where)
                or where.startswith(problem.path)
                or problem.path == ROOT
                or (custom and problem.path.startswith("custom_fields"))
            )
            assert related, (problem, where)
    # Not raising is fine: the garbage may be valid there (e.g. a string for a string).


@given(lfst.leads())
def test_unknown_keys_are_never_accepted(lead: Lead) -> None:
    document = {**to_dict(lead), "unexpected": 1}
    try:
        from_dict(Lead, document)
    except ValidationError as error:
        assert [p.path for p in error.problems] == ["unexpected"]
    else:  # pragma: no cover - a failure
        raise AssertionError("an unknown key was accepted")


@given(lfst.money(), lfst.money())
def test_money_never_mixes_currencies(a: Money, b: Money) -> None:
    if a.currency == b.currency:
        assert (a + b).amount == a.amount + b.amount
        assert (a - b).amount == a.amount - b.amount
        assert (a < b) == (a.amount < b.amount)
        assert (a + b).currency == a.currency
    else:
        for operation in (lambda: a + b, lambda: a - b, lambda: a < b, lambda: a >= b):
            with pytest.raises(CurrencyMismatch) as error:
                operation()
            assert {error.value.left, error.value.right} == {a.currency, b.currency}
        assert a != b


@given(
    lfst.money(min_amount=-(10**6), max_amount=10**6),
    st.lists(st.integers(min_value=0, max_value=100), min_size=1, max_size=6).filter(
        lambda r: sum(r) > 0
    ),
)
def test_allocation_loses_no_minor_unit(amount: Money, ratios: list[int]) -> None:
    parts = amount.allocate(ratios)
    assert len(parts) == len(ratios)
    assert sum(parts) == amount.rounded()
    assert all(p.currency == amount.currency for p in parts)
    assert all(p.rounded() == p for p in parts)


@given(lfst.money())
def test_rounding_is_idempotent(amount: Money) -> None:
    once = amount.rounded()
    assert once.rounded() == once
    assert abs(once.amount - amount.amount) <= 1
