"""Contacts: the people at accounts you deal with."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import attrs

from leadflow import _entity
from leadflow._fields import EMPTY_MAP, JsonScalar, aware, json_scalars, non_blank, to_tuple, to_utc
from leadflow.values import (
    AccountId,
    Consent,
    ContactId,
    EmailAddress,
    LeadId,
    PhoneNumber,
    Touchpoint,
)

__all__ = ["Contact"]


@attrs.frozen(kw_only=True)
class Contact:
    """A person, usually at an account; often a converted lead.

    A contact must be identifiable: it needs at least a first name, a last name or
    an e-mail address.
    """

    id: ContactId = attrs.field(factory=ContactId.new)
    #: Optimistic-concurrency version, managed by storage (0 before the first save).
    version: int = attrs.field(default=0, validator=_entity.non_negative_int)
    created_at: datetime = attrs.field(converter=to_utc, validator=aware)
    updated_at: datetime = attrs.field(
        default=_entity.same_as_created, converter=to_utc, validator=_entity.updated_checks
    )

    first_name: str | None = attrs.field(default=None, validator=non_blank)
    last_name: str | None = attrs.field(default=None, validator=non_blank)
    title: str | None = None
    email: EmailAddress | None = attrs.field(default=None, converter=_entity.optional_email)
    phone: PhoneNumber | None = attrs.field(default=None, converter=_entity.optional_phone)
    account_id: AccountId | None = None
    #: The person's role in buying decisions at the account (``"decision maker"``).
    role: str | None = attrs.field(default=None, validator=non_blank)
    consent: Consent = attrs.field(factory=Consent)
    #: The touch that first brought the person in (carried over from the lead).
    first_touch: Touchpoint | None = None
    touches: tuple[Touchpoint, ...] = attrs.field(default=(), converter=to_tuple)
    #: The lead this contact was converted from, if any.
    source_lead_id: LeadId | None = None
    #: Who owns the contact: a user reference from your application.
    owner: str | None = attrs.field(default=None, validator=non_blank)

    #: The contact's id in the system it came from, for idempotent imports.
    external_id: str | None = attrs.field(default=None, validator=non_blank)
    #: Your own fields: a mapping of names to JSON scalars.
    custom_fields: Mapping[str, JsonScalar] = attrs.field(
        default=EMPTY_MAP, converter=_entity.custom_fields, validator=json_scalars
    )

    def __attrs_post_init__(self) -> None:
        _entity.require_one_of(
            self, "first_name", "last_name", "email", what="a name or an e-mail address"
        )

    @property
    def full_name(self) -> str | None:
        """First and last name joined, or ``None`` when neither is known."""
        return _entity.full_name(self.first_name, self.last_name)
