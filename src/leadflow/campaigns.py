"""Campaigns: the marketing efforts that bring leads in."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

import attrs

from leadflow import _entity
from leadflow._fields import (
    EMPTY_MAP,
    JsonScalar,
    aware,
    json_scalars,
    non_blank,
    non_negative,
    not_before,
    to_utc,
)
from leadflow.values import CampaignId, Money, StrEnum

__all__ = ["Campaign", "CampaignStatus"]


class CampaignStatus(StrEnum):
    """Where a campaign is in its life."""

    PLANNED = "planned"
    ACTIVE = "active"
    COMPLETED = "completed"
    ABORTED = "aborted"


@attrs.frozen(kw_only=True)
class Campaign:
    """A marketing effort: a channel, dates, a budget and what it actually cost.

    ``code`` is the key touchpoints carry to name the campaign (the ``utm_campaign``
    value), so that captured touches can be matched to it.  Budget and actual cost
    are in one currency.
    """

    id: CampaignId = attrs.field(factory=CampaignId.new)
    #: Optimistic-concurrency version, managed by storage (0 before the first save).
    version: int = attrs.field(default=0, validator=_entity.non_negative_int)
    created_at: datetime = attrs.field(converter=to_utc, validator=aware)
    updated_at: datetime = attrs.field(
        default=_entity.same_as_created, converter=to_utc, validator=_entity.updated_checks
    )

    name: str = attrs.field(validator=non_blank)
    #: The campaign's key in tracking links (``utm_campaign``).
    code: str | None = attrs.field(default=None, validator=non_blank)
    #: The channel it runs on (``"email"``, ``"paid_search"``, ``"events"``, ...).
    channel: str | None = attrs.field(default=None, validator=non_blank)
    status: CampaignStatus = CampaignStatus.PLANNED
    starts_on: date | None = None
    ends_on: date | None = attrs.field(default=None, validator=not_before("starts_on"))
    budget: Money | None = attrs.field(default=None, validator=non_negative)
    actual_cost: Money | None = attrs.field(default=None, validator=non_negative)
    #: The parent campaign, for campaign hierarchies.
    parent_id: CampaignId | None = attrs.field(default=None, validator=_entity.not_self)
    #: Who runs the campaign: a user reference from your application.
    owner: str | None = attrs.field(default=None, validator=non_blank)

    #: The campaign's id in the system it came from, for idempotent imports.
    external_id: str | None = attrs.field(default=None, validator=non_blank)
    #: Your own fields: a mapping of names to JSON scalars.
    custom_fields: Mapping[str, JsonScalar] = attrs.field(
        default=EMPTY_MAP, converter=_entity.custom_fields, validator=json_scalars
    )

    def __attrs_post_init__(self) -> None:
        _entity.require_same_currency(
            self, [("budget", self.budget), ("actual_cost", self.actual_cost)]
        )
