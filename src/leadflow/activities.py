"""Activities: every interaction with a prospect or customer."""

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
    member_of,
    non_blank,
    to_member,
    to_utc,
    to_utc_optional,
)
from leadflow.values import (
    AccountId,
    ActivityId,
    CampaignId,
    ContactId,
    LeadId,
    OpportunityId,
    StrEnum,
)

__all__ = ["Activity", "ActivityKind", "Direction"]


class ActivityKind(StrEnum):
    """What kind of interaction an activity records."""

    CALL = "call"
    EMAIL = "email"
    MEETING = "meeting"
    TASK = "task"
    NOTE = "note"
    WEB_VISIT = "web_visit"
    FORM_SUBMISSION = "form_submission"
    EMAIL_OPEN = "email_open"
    EMAIL_CLICK = "email_click"
    EMAIL_BOUNCE = "email_bounce"
    UNSUBSCRIBE = "unsubscribe"
    EVENT_REGISTRATION = "event_registration"
    EVENT_ATTENDANCE = "event_attendance"
    LITERATURE_SENT = "literature_sent"


class Direction(StrEnum):
    """Who started an interaction: the prospect (inbound) or you (outbound)."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"


def _kind(value: ActivityKind | str) -> ActivityKind:
    kind: ActivityKind = to_member(ActivityKind, value)
    return kind


def _direction(value: Direction | str | None) -> Direction | None:
    direction: Direction | None = to_member(Direction, value)
    return direction


@attrs.frozen(kw_only=True)
class Activity:
    """One interaction: a call, an e-mail, a visit, a task, a note, ...

    An activity concerns at least one lead, contact, account or opportunity.  Tasks
    (and any other planned activity) may carry ``due_at`` and ``completed_at``.
    """

    id: ActivityId = attrs.field(factory=ActivityId.new)
    #: Optimistic-concurrency version, managed by storage (0 before the first save).
    version: int = attrs.field(default=0, validator=_entity.non_negative_int)
    created_at: datetime = attrs.field(converter=to_utc, validator=aware)
    updated_at: datetime = attrs.field(
        default=_entity.same_as_created, converter=to_utc, validator=_entity.updated_checks
    )

    kind: ActivityKind = attrs.field(converter=_kind, validator=member_of(ActivityKind))
    #: When it happened (for planned activities, when it was planned).
    occurred_at: datetime = attrs.field(converter=to_utc, validator=aware)
    #: Inbound or outbound; ``None`` for notes and other internal records.
    direction: Direction | None = attrs.field(
        default=None, converter=_direction, validator=member_of(Direction, optional=True)
    )
    subject: str | None = None
    description: str | None = None
    lead_id: LeadId | None = None
    contact_id: ContactId | None = None
    account_id: AccountId | None = None
    opportunity_id: OpportunityId | None = None
    #: The campaign that prompted the interaction (the e-mail clicked, the event).
    campaign_id: CampaignId | None = None
    due_at: datetime | None = attrs.field(default=None, converter=to_utc_optional, validator=aware)
    completed_at: datetime | None = attrs.field(
        default=None, converter=to_utc_optional, validator=aware
    )
    #: How it went (``"connected"``, ``"voicemail"``, ``"demo booked"``).
    outcome: str | None = attrs.field(default=None, validator=non_blank)
    #: Who did or owns it: a user reference from your application.
    owner: str | None = attrs.field(default=None, validator=non_blank)

    #: The activity's id in the system it came from, for idempotent imports.
    external_id: str | None = attrs.field(default=None, validator=non_blank)
    #: Your own fields: a mapping of names to JSON scalars.
    custom_fields: Mapping[str, JsonScalar] = attrs.field(
        default=EMPTY_MAP, converter=_entity.custom_fields, validator=json_scalars
    )

    def __attrs_post_init__(self) -> None:
        _entity.require_one_of(
            self,
            "lead_id",
            "contact_id",
            "account_id",
            "opportunity_id",
            what="something it concerns",
        )

    @property
    def is_open(self) -> bool:
        """Whether this is a planned activity (it has ``due_at``) not yet completed."""
        return self.due_at is not None and self.completed_at is None
