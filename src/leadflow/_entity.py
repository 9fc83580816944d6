"""What every entity has in common (private).

Each entity declares, in this order: ``id``, ``version``, ``created_at`` and
``updated_at``, then its own fields, and ends with ``external_id`` and
``custom_fields``.  The declarations stay in each class so that type checkers and
readers see every field; the rules they point at live here, once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import attrs

from leadflow._fields import (
    FrozenMap,
    JsonScalar,
    aware,
    fail,
    non_negative,
    not_before,
    to_frozen_map,
)
from leadflow.errors import ROOT
from leadflow.values import EmailAddress, Money, PhoneNumber


def custom_fields(value: Mapping[str, JsonScalar]) -> FrozenMap[str, JsonScalar]:
    """Converter: freeze a mapping of custom fields."""
    return to_frozen_map(value)


def non_negative_int(inst: object, attribute: attrs.Attribute[Any], value: int) -> None:
    """Validator: a non-negative integer (a version, a head count)."""
    if type(value) is not int:
        fail(inst, attribute.name, value, "is not an integer")
    non_negative(inst, attribute, value)


_not_before_created = not_before("created_at")


def updated_checks(inst: Any, attribute: attrs.Attribute[Any], value: datetime) -> None:
    """Validator for ``updated_at``: aware, and not before ``created_at``."""
    aware(inst, attribute, value)
    _not_before_created(inst, attribute, value)


#: Default for ``updated_at``: the creation time.
same_as_created = attrs.Factory(lambda self: self.created_at, takes_self=True)


def optional_email(value: EmailAddress | str | None) -> EmailAddress | None:
    """Converter: accept an :class:`EmailAddress`, a string to parse, or ``None``."""
    return None if value is None else EmailAddress.coerce(value)


def optional_phone(value: PhoneNumber | str | None) -> PhoneNumber | None:
    """Converter: accept a :class:`PhoneNumber`, a string to parse, or ``None``."""
    return None if value is None else PhoneNumber.coerce(value)


def optional_count(inst: object, attribute: attrs.Attribute[Any], value: int | None) -> None:
    """Validator: ``None`` or a non-negative integer (a head count, a quantity)."""
    if value is not None:
        non_negative_int(inst, attribute, value)


def require_one_of(inst: object, *names: str, what: str) -> None:
    """Cross-field check: at least one of the fields ``names`` must be set."""
    if all(getattr(inst, name) is None for name in names):
        fail(inst, ROOT, type(inst).__name__, f"needs {what} (one of {', '.join(names)})")


def require_same_currency(inst: object, amounts: Iterable[tuple[str, Money | None]]) -> None:
    """Cross-field check: the amounts that are set, given as ``(path, money)``, share a currency."""
    present = [(path, money) for path, money in amounts if money is not None]
    for path, money in present[1:]:
        first_path, first = present[0]
        if money.currency != first.currency:
            fail(
                inst, path, money, f"is in {money.currency} but {first_path} is in {first.currency}"
            )


def full_name(first: str | None, last: str | None) -> str | None:
    """First and last name joined by a space, or ``None`` when neither is known."""
    return " ".join(p for p in (first, last) if p) or None


def not_self(inst: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    """Validator: a parent reference must not point at the entity itself."""
    if value is not None and value == getattr(inst, "id", None):
        fail(inst, attribute.name, value, "points at the entity itself")
