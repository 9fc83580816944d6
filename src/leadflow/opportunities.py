"""Opportunities: deals in a pipeline, with their amounts, contacts and products."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs

from leadflow import _entity
from leadflow._fields import (
    EMPTY_MAP,
    JsonScalar,
    aware,
    fail,
    finite_decimal,
    json_scalars,
    non_blank,
    non_negative,
    not_before,
    to_tuple,
    to_utc,
    to_utc_optional,
)
from leadflow.values import (
    AccountId,
    CampaignId,
    ContactId,
    LeadId,
    Money,
    OpportunityId,
    Probability,
    ProductId,
    StrEnum,
)

__all__ = ["ContactRole", "ForecastCategory", "LineItem", "Opportunity", "StageVisit"]


class ForecastCategory(StrEnum):
    """How a deal counts in a forecast, from surest to least sure.

    ``CLOSED`` deals are won; ``COMMIT`` deals the owner is confident will close in
    the period; ``BEST_CASE`` deals could close with effort; ``PIPELINE`` deals are
    open but early; ``OMITTED`` deals are left out (lost, or not to be counted).
    """

    CLOSED = "closed"
    COMMIT = "commit"
    BEST_CASE = "best_case"
    PIPELINE = "pipeline"
    OMITTED = "omitted"


def _to_decimal(value: Decimal | int) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if type(value) is not int:
        raise TypeError(f"expected a Decimal or an int, not {type(value).__name__}")
    return Decimal(value)


def _positive(inst: object, attribute: attrs.Attribute[Any], value: Decimal) -> None:
    if value <= 0:
        fail(inst, attribute.name, value, "must be greater than 0")


def _fraction(inst: object, attribute: attrs.Attribute[Any], value: Decimal) -> None:
    if not 0 <= value <= 1:
        fail(inst, attribute.name, value, "must be between 0 and 1 (a fraction, not a percentage)")


@attrs.frozen(kw_only=True)
class ContactRole:
    """A contact's part in a deal (``"decision maker"``, ``"economic buyer"``, ...)."""

    contact_id: ContactId
    role: str = attrs.field(validator=non_blank)


@attrs.frozen(kw_only=True)
class StageVisit:
    """A stretch of time an opportunity spent in one stage; ``left_at`` is ``None`` while there."""

    stage: str = attrs.field(validator=non_blank)
    entered_at: datetime = attrs.field(converter=to_utc, validator=aware)
    left_at: datetime | None = attrs.field(
        default=None, converter=to_utc_optional, validator=[aware, not_before("entered_at")]
    )


@attrs.frozen(kw_only=True)
class LineItem:
    """A product on a deal: quantity, unit price and an optional discount fraction."""

    product_id: ProductId
    quantity: Decimal = attrs.field(converter=_to_decimal, validator=[finite_decimal, _positive])
    unit_price: Money = attrs.field(validator=non_negative)
    #: Discount as a fraction of the price (0.15 for 15 %).
    discount: Decimal = attrs.field(
        default=Decimal(0), converter=_to_decimal, validator=[finite_decimal, _fraction]
    )
    description: str | None = None

    @property
    def total(self) -> Money:
        """``quantity x unit_price x (1 - discount)``, unrounded."""
        return self.unit_price * (self.quantity * (1 - self.discount))


@attrs.frozen(kw_only=True)
class Opportunity:
    """A deal being worked: who it is with, how much, when, and where it stands.

    ``pipeline`` and ``stage`` name a pipeline and one of its stages; the pipeline's
    rules give the stage's default win probability and forecast category, which
    ``probability`` and ``forecast_category`` override when set.  All amounts on one
    opportunity are in one currency.
    """

    id: OpportunityId = attrs.field(factory=OpportunityId.new)
    #: Optimistic-concurrency version, managed by storage (0 before the first save).
    version: int = attrs.field(default=0, validator=_entity.non_negative_int)
    created_at: datetime = attrs.field(converter=to_utc, validator=aware)
    updated_at: datetime = attrs.field(
        default=_entity.same_as_created, converter=to_utc, validator=_entity.updated_checks
    )

    name: str = attrs.field(validator=non_blank)
    account_id: AccountId | None = None
    primary_contact_id: ContactId | None = None
    contact_roles: tuple[ContactRole, ...] = attrs.field(default=(), converter=to_tuple)
    #: The pipeline the deal runs through.
    pipeline: str = attrs.field(default="default", validator=non_blank)
    #: The deal's stage in its pipeline.
    stage: str = attrs.field(validator=non_blank)
    #: Every stage the deal has been in, oldest first; the last is the current one.
    stage_history: tuple[StageVisit, ...] = attrs.field(default=(), converter=to_tuple)
    amount: Money | None = attrs.field(default=None, validator=non_negative)
    expected_close_date: date | None = None
    #: Win probability set for this deal, overriding the stage's default.
    probability: Probability | None = None
    #: Forecast category set for this deal, overriding the stage's.
    forecast_category: ForecastCategory | None = None
    line_items: tuple[LineItem, ...] = attrs.field(default=(), converter=to_tuple)
    #: Competitors known to be in the deal.
    competitors: tuple[str, ...] = attrs.field(default=(), converter=to_tuple)
    #: The lead the deal was converted from, if any.
    source_lead_id: LeadId | None = None
    #: The campaign credited with the deal, if any.
    campaign_id: CampaignId | None = None
    #: Why the deal was won or lost.
    close_reason: str | None = attrs.field(default=None, validator=non_blank)
    #: The competitor the deal was lost to, if known.
    lost_to: str | None = attrs.field(default=None, validator=non_blank)
    #: Who owns the deal: a user reference from your application.
    owner: str | None = attrs.field(default=None, validator=non_blank)

    #: The deal's id in the system it came from, for idempotent imports.
    external_id: str | None = attrs.field(default=None, validator=non_blank)
    #: Your own fields: a mapping of names to JSON scalars.
    custom_fields: Mapping[str, JsonScalar] = attrs.field(
        default=EMPTY_MAP, converter=_entity.custom_fields, validator=json_scalars
    )

    def __attrs_post_init__(self) -> None:
        _entity.require_same_currency(
            self,
            [
                ("amount", self.amount),
                *(
                    (f"line_items[{i}].unit_price", li.unit_price)
                    for i, li in enumerate(self.line_items)
                ),
            ],
        )

    @property
    def line_items_total(self) -> Money | None:
        """The sum of the line items' totals, or ``None`` without line items."""
        if not self.line_items:
            return None
        return sum((item.total for item in self.line_items[1:]), self.line_items[0].total)
