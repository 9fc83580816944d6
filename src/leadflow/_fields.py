"""Converters and validators shared by values and entities (private).

Validators guard true invariants only and raise :class:`~leadflow.errors.ValidationError`
naming the field, the value and the reason.  Converters only normalise values that
are already of the right kind (an aware datetime to UTC, any iterable to a tuple);
checking untrusted payloads is the job of the edges (serialization, import).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, timezone
from decimal import Decimal
from enum import Enum
from typing import Any, NoReturn, TypeVar

import attrs
from dateutil.parser import isoparse

from leadflow.errors import Problem, ValidationError

T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")
E = TypeVar("E", bound=Enum)

UTC = timezone.utc

#: A JSON scalar, the kind of value a custom field may hold.
JsonScalar = str | int | float | bool | None


def fail(inst: object, path: str, value: object, reason: str) -> NoReturn:
    """Raise a :class:`ValidationError` about ``path`` of ``inst``'s class."""
    raise ValidationError.single(path, value, reason, subject=type(inst).__name__)


def finite(inst: object, attribute: attrs.Attribute[Any], value: float) -> None:
    """Validator: a finite int or float (not a bool, not NaN, not infinite)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        fail(inst, attribute.name, value, "must be a finite number")


# -------------------------------------------------------------------------- enums


def to_member(kind: type[E], value: Any) -> Any:
    """For converters: the member of ``kind`` that ``value`` is or names; else ``value``.

    What is not a member is left for :func:`member_of` to refuse with a
    :class:`ValidationError`, so a bad value names its field.
    """
    if value is None or isinstance(value, kind):
        return value
    try:
        return kind(value)
    except ValueError:
        return value


def member_of(kind: type[E], *, optional: bool = False) -> Callable[[Any, Any, Any], None]:
    """Validator: the value is a member of ``kind`` (or ``None`` when ``optional``)."""
    expected = ", ".join(str(member.value) for member in kind)

    def check(inst: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        if (value is None and optional) or isinstance(value, kind):
            return
        fail(inst, attribute.name, value, f"must be one of: {expected}")

    return check


# --------------------------------------------------------------------------- time


def parse_iso_datetime(text: str) -> datetime:
    """An ISO 8601 date-time (a date alone reads as midnight); ``ValueError`` if it is not one.

    The result keeps the offset written, or none: callers decide about naive times.
    """
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        try:  # Python 3.10's fromisoformat does not read "Z" and other valid forms.
            return isoparse(text)
        except (ValueError, OverflowError):
            raise ValueError(f"not an ISO 8601 date-time: {text!r}") from None


def to_utc(value: datetime) -> datetime:
    """Convert an aware datetime to UTC; leave anything else for the validator."""
    zone = getattr(value, "tzinfo", None)
    if zone is None or zone is UTC or value.utcoffset() is None:
        return value
    return value.astimezone(UTC)


def to_utc_optional(value: datetime | None) -> datetime | None:
    """:func:`to_utc` for optional fields."""
    return None if value is None else to_utc(value)


def aware(inst: object, attribute: attrs.Attribute[Any], value: datetime | None) -> None:
    """Refuse naive datetimes (``None`` passes; use on optional fields too)."""
    if value is None:
        return
    if not isinstance(value, datetime):
        fail(inst, attribute.name, value, "is not a datetime")
    if value.utcoffset() is None:
        fail(inst, attribute.name, value, "is a naive datetime; give it a time zone")


def not_before(other: str) -> Any:
    """Validator: this datetime or date must not be earlier than field ``other``."""

    def check(inst: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        earlier = getattr(inst, other)
        if value is not None and earlier is not None and value < earlier:
            fail(inst, attribute.name, value, f"is earlier than {other} ({earlier})")

    return check


# ------------------------------------------------------------------------ strings


def non_blank(inst: object, attribute: attrs.Attribute[Any], value: str | None) -> None:
    """Refuse empty or whitespace-only strings (``None`` passes)."""
    if value is not None and not value.strip():
        fail(inst, attribute.name, value, "must not be blank")


# ------------------------------------------------------------------------ numbers


def non_negative(inst: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    """Refuse negative numbers and negative :class:`~leadflow.values.Money` (``None`` passes)."""
    amount = getattr(value, "amount", value)
    if amount is not None and amount < 0:
        fail(inst, attribute.name, value, "must not be negative")


def finite_decimal(inst: object, attribute: attrs.Attribute[Any], value: Decimal) -> None:
    """Refuse anything but a finite :class:`~decimal.Decimal`."""
    if not isinstance(value, Decimal):
        fail(inst, attribute.name, value, "is not a Decimal")
    if not value.is_finite():
        fail(inst, attribute.name, value, "must be a finite number")


# -------------------------------------------------------------------- collections


def to_tuple(value: Iterable[Any]) -> tuple[Any, ...]:
    """Freeze any iterable into a tuple (a tuple is returned as it is)."""
    return value if type(value) is tuple else tuple(value)


def to_frozenset(value: Iterable[Any]) -> frozenset[Any]:
    """Freeze any iterable into a frozenset (a frozenset is returned as it is)."""
    return value if type(value) is frozenset else frozenset(value)


class FrozenMap(Mapping[K, V]):
    """An immutable, hashable, picklable mapping that keeps insertion order.

    Entities use it for mappings such as ``custom_fields`` so that a frozen entity
    really cannot change under its holder's feet.  It compares equal to any mapping
    with the same items.
    """

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[K, V] | None = None) -> None:
        self._data: dict[K, V] = dict(data) if data else {}

    def __getitem__(self, key: K) -> V:
        return self._data[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __eq__(self, other: object) -> bool:
        if type(other) is FrozenMap:
            return self._data == other._data
        if isinstance(other, Mapping):
            return self._data == dict(other.items())
        return NotImplemented

    def __hash__(self) -> int:
        return hash(frozenset(self._data.items()))

    def __reduce__(self) -> tuple[type[FrozenMap[K, V]], tuple[dict[K, V]]]:
        return (FrozenMap, (self._data,))

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"


EMPTY_MAP: FrozenMap[Any, Any] = FrozenMap({})


def to_frozen_map(value: Mapping[K, V]) -> FrozenMap[K, V]:
    """Freeze any mapping into a :class:`FrozenMap` (one is returned as it is)."""
    if type(value) is FrozenMap:
        return value
    if not value:
        return EMPTY_MAP
    return FrozenMap(value)


def json_scalars(inst: object, attribute: attrs.Attribute[Any], value: Mapping[Any, Any]) -> None:
    """Check a mapping of JSON scalars: string keys, finite numbers, no containers."""
    problems: list[tuple[str, object, str]] = []
    for key, item in value.items():
        if not isinstance(key, str) or not key:
            problems.append((f"{attribute.name}", key, "has a key that is not a non-empty string"))
            continue
        path = f"{attribute.name}[{key!r}]"
        if item is None or isinstance(item, (str, bool, int)):
            continue
        if isinstance(item, float):
            if not math.isfinite(item):
                problems.append((path, item, "must be a finite number"))
            continue
        problems.append((path, item, "is not a JSON scalar (str, int, float, bool or null)"))
    if problems:
        raise ValidationError(
            [Problem(path=p, value=v, reason=r) for p, v, r in problems],
            subject=type(inst).__name__,
        )
