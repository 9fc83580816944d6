"""What a scoring rule or feature can read about a lead (private module).

Fit rules, engagement penalties and the predictive models' features all name what
they read with the same field names, resolved here once; the list is
:data:`LEAD_FIELDS` and the reference documents it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import attrs

from leadflow.activities import Activity, ActivityKind
from leadflow.conversion import FREE_MAIL_DOMAINS
from leadflow.errors import InvalidConfiguration
from leadflow.leads import Lead
from leadflow.values import website_domain

__all__ = ["DAY", "LEAD_FIELDS", "FieldGetter", "field_getter"]

#: Reads one value from a lead, its activities and the time of scoring.
FieldGetter = Callable[[Lead, Sequence[Activity], datetime], Any]

#: Seconds in a day.
DAY = 86_400.0


# The getters that take a parameter are small frozen classes, not closures, so
# that models holding them can be pickled.


@attrs.frozen
class _Attribute:
    name: str

    def __call__(self, lead: Lead, activities: Sequence[Activity], at: datetime) -> Any:
        return getattr(lead, self.name)


@attrs.frozen
class _Touch:
    name: str

    def __call__(self, lead: Lead, activities: Sequence[Activity], at: datetime) -> Any:
        touch = lead.first_touch
        return None if touch is None else getattr(touch, self.name)


@attrs.frozen
class _CountOf:
    kind: ActivityKind

    def __call__(self, lead: Lead, activities: Sequence[Activity], at: datetime) -> Any:
        kind = self.kind
        return sum(1 for a in activities if a.kind == kind and a.occurred_at <= at)


@attrs.frozen
class _Custom:
    key: str

    def __call__(self, lead: Lead, activities: Sequence[Activity], at: datetime) -> Any:
        return lead.custom_fields.get(self.key)


def _email(lead: Lead, activities: Sequence[Activity], at: datetime) -> Any:
    return None if lead.email is None else str(lead.email)


def _email_domain(lead: Lead, activities: Sequence[Activity], at: datetime) -> Any:
    return None if lead.email is None else lead.email.domain


def _free_mail(lead: Lead, activities: Sequence[Activity], at: datetime) -> Any:
    return None if lead.email is None else lead.email.domain in FREE_MAIL_DOMAINS


def _website_domain(lead: Lead, activities: Sequence[Activity], at: datetime) -> Any:
    if not lead.website:
        return None
    try:
        return website_domain(lead.website)
    except ValueError:
        return None


def _do_not_contact(lead: Lead, activities: Sequence[Activity], at: datetime) -> Any:
    return lead.consent.blocked


def _may_email(lead: Lead, activities: Sequence[Activity], at: datetime) -> Any:
    return lead.consent.may_email(require_opt_in=False)


def _may_call(lead: Lead, activities: Sequence[Activity], at: datetime) -> Any:
    return lead.consent.may_call(require_opt_in=False)


def _bant_known(lead: Lead, activities: Sequence[Activity], at: datetime) -> Any:
    return len(lead.bant.known)


def _past(activities: Sequence[Activity], at: datetime) -> list[Activity]:
    return [a for a in activities if a.occurred_at <= at]


def _activity_count(lead: Lead, activities: Sequence[Activity], at: datetime) -> Any:
    return len(_past(activities, at))


def _days_since_last(lead: Lead, activities: Sequence[Activity], at: datetime) -> Any:
    past = _past(activities, at)
    if not past:
        return None
    return (at - max(a.occurred_at for a in past)).total_seconds() / DAY


def _age_days(lead: Lead, activities: Sequence[Activity], at: datetime) -> Any:
    return (at - lead.created_at).total_seconds() / DAY


_ATTRIBUTES = (
    "title", "first_name", "last_name", "company", "website", "industry", "company_size",
    "country", "status", "marketing_stage", "owner", "product_interests", "external_id",
)  # fmt: skip

_FIXED: dict[str, FieldGetter] = {
    **{name: _Attribute(name) for name in _ATTRIBUTES},
    **{name: _Touch(name) for name in ("source", "medium", "campaign", "ad_code", "term")},
    "email": _email,
    "email_domain": _email_domain,
    "free_mail": _free_mail,
    "website_domain": _website_domain,
    "do_not_contact": _do_not_contact,
    "may_email": _may_email,
    "may_call": _may_call,
    "bant_known": _bant_known,
    "activities": _activity_count,
    "days_since_last_activity": _days_since_last,
    "age_days": _age_days,
}

#: Every field name a rule or feature can read; ``custom.<key>`` reads a custom
#: field and ``activity.<kind>`` counts the lead's activities of one kind.
LEAD_FIELDS: tuple[str, ...] = (*sorted(_FIXED), "custom.<key>", "activity.<kind>")


def field_getter(name: str, *, key: str = "field") -> FieldGetter:
    """The function that reads field ``name``; an unknown name is ``InvalidConfiguration``.

    ``key`` is the configuration key path to name in the error.
    """
    getter = _FIXED.get(name)
    if getter is not None:
        return getter
    prefix, _, rest = name.partition(".")
    if prefix == "custom" and rest:
        return _Custom(rest)
    if prefix == "activity" and rest:
        try:
            return _CountOf(ActivityKind(rest))
        except ValueError:
            kinds = ", ".join(kind.value for kind in ActivityKind)
            raise InvalidConfiguration(
                key=key, reason=f"unknown activity kind; expected one of: {kinds}", value=rest
            ) from None
    raise InvalidConfiguration(
        key=key,
        reason="unknown field; expected one of: " + ", ".join(LEAD_FIELDS),
        value=name,
    )
