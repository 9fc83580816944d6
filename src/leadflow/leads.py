"""Leads: what is known about a prospect before it is qualified and converted."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import attrs

from leadflow import _entity
from leadflow._fields import (
    EMPTY_MAP,
    JsonScalar,
    aware,
    finite,
    json_scalars,
    non_blank,
    to_frozenset,
    to_tuple,
    to_utc,
    to_utc_optional,
)
from leadflow.values import (
    BANT,
    AccountId,
    CampaignId,
    Consent,
    ContactId,
    EmailAddress,
    LeadId,
    OpportunityId,
    PhoneNumber,
    Touchpoint,
)

__all__ = ["Lead", "LeadScore"]


@attrs.frozen(kw_only=True)
class LeadScore:
    """The latest score a scoring model gave a lead, kept on the lead for filtering."""

    #: The score itself.
    value: float = attrs.field(validator=finite)
    #: The name of the model that scored.
    model: str = attrs.field(validator=non_blank)
    #: When the score was computed.
    scored_at: datetime = attrs.field(converter=to_utc, validator=aware)
    #: The band or grade the model assigned (``"hot"``, ``"A1"``), if any.
    grade: str | None = attrs.field(default=None, validator=non_blank)


@attrs.frozen(kw_only=True)
class Lead:
    """A prospect as first known: often a fragment, sometimes anonymous.

    Every field but the id and the timestamps is optional, so a lead can start as
    little more than a touchpoint and fill in as the person engages.  ``status``
    is a state of the lead lifecycle (``"new"`` at first); the lifecycle's rules
    decide which states exist.
    """

    id: LeadId = attrs.field(factory=LeadId.new)
    #: Optimistic-concurrency version, managed by storage (0 before the first save).
    version: int = attrs.field(default=0, validator=_entity.non_negative_int)
    created_at: datetime = attrs.field(converter=to_utc, validator=aware)
    updated_at: datetime = attrs.field(
        default=_entity.same_as_created, converter=to_utc, validator=_entity.updated_checks
    )

    first_name: str | None = None
    last_name: str | None = None
    #: Job title as given (``"Head of Operations"``).
    title: str | None = None
    email: EmailAddress | None = attrs.field(default=None, converter=_entity.optional_email)
    phone: PhoneNumber | None = attrs.field(default=None, converter=_entity.optional_phone)
    #: Company name as given.
    company: str | None = None
    #: Company website as given (see :func:`~leadflow.values.website_domain`).
    website: str | None = None
    industry: str | None = None
    #: Number of employees at the company.
    company_size: int | None = attrs.field(default=None, validator=_entity.optional_count)
    country: str | None = None

    #: Products or topics the person showed interest in.
    product_interests: frozenset[str] = attrs.field(factory=frozenset, converter=to_frozenset)
    #: The touch that first brought the person in; kept when later touches are added.
    first_touch: Touchpoint | None = None
    #: Every touch, in the order they were recorded.
    touches: tuple[Touchpoint, ...] = attrs.field(default=(), converter=to_tuple)

    #: State in the lead lifecycle (:data:`~leadflow.lifecycle.LEAD_LIFECYCLE` by default).
    status: str = attrs.field(default="new", validator=non_blank)
    #: Stage in the marketing funnel (:data:`~leadflow.lifecycle.MARKETING_STAGES`).
    marketing_stage: str = attrs.field(default="lead", validator=non_blank)
    #: Who works the lead: a user reference from your application.
    owner: str | None = attrs.field(default=None, validator=non_blank)
    bant: BANT = attrs.field(factory=BANT)
    #: The latest score, if the lead has been scored.
    score: LeadScore | None = None
    disqualification_reason: str | None = attrs.field(default=None, validator=non_blank)
    consent: Consent = attrs.field(factory=Consent)

    #: When the lead was converted (see :func:`leadflow.services.convert_lead`).
    converted_at: datetime | None = attrs.field(
        default=None, converter=to_utc_optional, validator=aware
    )
    #: The account the lead was converted into.
    converted_account_id: AccountId | None = None
    #: The contact the lead was converted into.
    converted_contact_id: ContactId | None = None
    #: The opportunity created when the lead was converted, if one was.
    converted_opportunity_id: OpportunityId | None = None

    #: The lead's id in the system it came from, for idempotent imports.
    external_id: str | None = attrs.field(default=None, validator=non_blank)
    #: Your own fields: a mapping of names to JSON scalars.
    custom_fields: Mapping[str, JsonScalar] = attrs.field(
        default=EMPTY_MAP, converter=_entity.custom_fields, validator=json_scalars
    )

    @property
    def campaign_id(self) -> CampaignId | None:
        """The campaign credited with bringing the lead in.

        The first touch's campaign, or else that of the earliest recorded touch that
        names one; ``None`` when no touch does.
        """
        if self.first_touch is not None and self.first_touch.campaign_id is not None:
            return self.first_touch.campaign_id
        for touch in self.touches:
            if touch.campaign_id is not None:
                return touch.campaign_id
        return None

    @property
    def full_name(self) -> str | None:
        """First and last name joined, or ``None`` when neither is known."""
        return _entity.full_name(self.first_name, self.last_name)
