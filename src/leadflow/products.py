"""Products: what you sell, with list prices."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import attrs

from leadflow import _entity
from leadflow._fields import (
    EMPTY_MAP,
    JsonScalar,
    aware,
    json_scalars,
    non_blank,
    non_negative,
    to_utc,
)
from leadflow.values import Money, ProductId

__all__ = ["Product"]


@attrs.frozen(kw_only=True)
class Product:
    """Something you sell: a code (SKU), a name and a list price."""

    id: ProductId = attrs.field(factory=ProductId.new)
    #: Optimistic-concurrency version, managed by storage (0 before the first save).
    version: int = attrs.field(default=0, validator=_entity.non_negative_int)
    created_at: datetime = attrs.field(converter=to_utc, validator=aware)
    updated_at: datetime = attrs.field(
        default=_entity.same_as_created, converter=to_utc, validator=_entity.updated_checks
    )

    #: The product code or SKU.
    code: str = attrs.field(validator=non_blank)
    name: str = attrs.field(validator=non_blank)
    list_price: Money | None = attrs.field(default=None, validator=non_negative)
    #: The product family or line (``"hardware"``, ``"services"``).
    family: str | None = attrs.field(default=None, validator=non_blank)
    description: str | None = None
    #: Whether the product can be sold now.
    active: bool = True

    #: The product's id in the system it came from, for idempotent imports.
    external_id: str | None = attrs.field(default=None, validator=non_blank)
    #: Your own fields: a mapping of names to JSON scalars.
    custom_fields: Mapping[str, JsonScalar] = attrs.field(
        default=EMPTY_MAP, converter=_entity.custom_fields, validator=json_scalars
    )
