"""Accounts: the organisations you sell to."""

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
from leadflow.values import AccountId, Money, PostalAddress, website_domain

__all__ = ["Account"]


def _optional_domain(value: str | None) -> str | None:
    return None if value is None else website_domain(value)


@attrs.frozen(kw_only=True)
class Account:
    """An organisation: a customer, a prospect company, a partner.

    ``website_domain`` is normalised on the way in (``"https://www.Acme.com/"``
    becomes ``"acme.com"``), because it is what conversion matches leads on.
    """

    id: AccountId = attrs.field(factory=AccountId.new)
    #: Optimistic-concurrency version, managed by storage (0 before the first save).
    version: int = attrs.field(default=0, validator=_entity.non_negative_int)
    created_at: datetime = attrs.field(converter=to_utc, validator=aware)
    updated_at: datetime = attrs.field(
        default=_entity.same_as_created, converter=to_utc, validator=_entity.updated_checks
    )

    name: str = attrs.field(validator=non_blank)
    #: The organisation's web domain, e.g. ``"acme.com"``.
    website_domain: str | None = attrs.field(default=None, converter=_optional_domain)
    industry: str | None = None
    #: Number of employees.
    size: int | None = attrs.field(default=None, validator=_entity.optional_count)
    annual_revenue: Money | None = attrs.field(default=None, validator=non_negative)
    address: PostalAddress | None = None
    #: The parent organisation, for account hierarchies.
    parent_id: AccountId | None = attrs.field(default=None, validator=_entity.not_self)
    #: Who owns the account: a user reference from your application.
    owner: str | None = attrs.field(default=None, validator=non_blank)

    #: The account's id in the system it came from, for idempotent imports.
    external_id: str | None = attrs.field(default=None, validator=non_blank)
    #: Your own fields: a mapping of names to JSON scalars.
    custom_fields: Mapping[str, JsonScalar] = attrs.field(
        default=EMPTY_MAP, converter=_entity.custom_fields, validator=json_scalars
    )
