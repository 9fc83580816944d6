"""Hypothesis strategies for every leadflow value and entity.

Every strategy produces valid objects: they satisfy all of leadflow's invariants
(aware UTC datetimes, ``updated_at`` not before ``created_at``, one currency per
entity, ...).  Entity strategies take keyword arguments named after the entity's
fields; each is either a strategy or a plain value, and replaces the default for
that field::

    from hypothesis import given, strategies as st
    from leadflow.testing import strategies as lfst

    @given(lfst.leads(status="qualified", owner=st.sampled_from(["ana", "bo"])))
    def test_qualified_leads_have_an_owner(lead):
        assert lead.owner in ("ana", "bo")

An unknown field name raises :class:`TypeError` listing the fields.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, TypeVar

import attrs
from hypothesis import strategies as st

from leadflow._currencies import MINOR_UNITS
from leadflow.accounts import Account
from leadflow.activities import Activity, ActivityKind, Direction
from leadflow.campaigns import Campaign, CampaignStatus
from leadflow.contacts import Contact
from leadflow.leads import Lead, LeadScore
from leadflow.opportunities import (
    ContactRole,
    ForecastCategory,
    LineItem,
    Opportunity,
    StageVisit,
)
from leadflow.products import Product
from leadflow.values import (
    BANT,
    AccountId,
    ActivityId,
    Assessment,
    Authority,
    CampaignId,
    Consent,
    ConsentRecord,
    ContactId,
    EmailAddress,
    EntityId,
    LeadId,
    Money,
    Need,
    OpportunityId,
    PhoneNumber,
    PostalAddress,
    Probability,
    ProductId,
    Touchpoint,
)

__all__ = [
    "accounts",
    "activities",
    "assessments",
    "aware_datetimes",
    "bants",
    "campaigns",
    "consent_records",
    "consents",
    "contacts",
    "currencies",
    "custom_fields",
    "email_addresses",
    "entities",
    "entity_ids",
    "lead_scores",
    "leads",
    "line_items",
    "money",
    "opportunities",
    "phone_numbers",
    "postal_addresses",
    "probabilities",
    "products",
    "stage_histories",
    "texts",
    "touchpoints",
]

T = TypeVar("T")
IdT = TypeVar("IdT", bound=EntityId)
Strategy = st.SearchStrategy

_MIN_TIME = datetime(1990, 1, 1)
_MAX_TIME = datetime(2100, 1, 1)


def _strategy(value: Any) -> Strategy[Any]:
    return value if isinstance(value, st.SearchStrategy) else st.just(value)


def _optional(strategy: Strategy[T]) -> Strategy[T | None]:
    return st.none() | strategy


# ------------------------------------------------------------------- scalars


def texts(*, min_size: int = 1, max_size: int = 40, alphabet: str | None = None) -> Strategy[str]:
    """Non-blank text of any Unicode (or of ``alphabet``): names, notes, labels."""
    chars = st.characters(codec="utf-8") if alphabet is None else st.sampled_from(alphabet)
    return st.text(chars, min_size=min_size, max_size=max_size).filter(lambda s: s.strip() != "")


def aware_datetimes(
    *, min_value: datetime = _MIN_TIME, max_value: datetime = _MAX_TIME
) -> Strategy[datetime]:
    """Timezone-aware datetimes in UTC between two naive bounds read as UTC."""
    return st.datetimes(
        min_value=min_value.replace(tzinfo=None),
        max_value=max_value.replace(tzinfo=None),
        timezones=st.just(timezone.utc),
    )


def entity_ids(cls: type[IdT]) -> Strategy[IdT]:
    """Ids of the given class (:class:`~leadflow.values.LeadId`, ...)."""
    return st.uuids().map(lambda u: cls(value=u))


def currencies() -> Strategy[str]:
    """Active ISO 4217 currency codes."""
    return st.sampled_from(sorted(MINOR_UNITS))


def money(
    *,
    currency: str | Strategy[str] | None = None,
    min_amount: Decimal | int = -(10**9),
    max_amount: Decimal | int = 10**9,
) -> Strategy[Money]:
    """Amounts in one currency (any, by default) with at most its minor-unit digits."""
    codes = currencies() if currency is None else _strategy(currency)

    def in_currency(code: str) -> Strategy[Money]:
        amounts = st.decimals(
            min_value=min_amount,
            max_value=max_amount,
            places=MINOR_UNITS[code],
            allow_nan=False,
            allow_infinity=False,
        )
        return amounts.map(lambda amount: Money(amount=amount, currency=code))

    return codes.flatmap(in_currency)


def probabilities(*, min_value: float = 0.0, max_value: float = 1.0) -> Strategy[Probability]:
    """Probabilities between the bounds."""
    floats = st.floats(min_value=min_value, max_value=max_value, allow_nan=False)
    return floats.map(lambda v: Probability(value=v))


_ATEXT = string.ascii_letters + string.digits + "!#$%&'*+/=?^_`{|}~-"


def _domains() -> Strategy[str]:
    label = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
    tld = st.from_regex(r"[a-z]{2,6}", fullmatch=True)
    return st.builds(
        lambda labels, end: ".".join([*labels, end]), st.lists(label, min_size=1, max_size=3), tld
    )


def email_addresses() -> Strategy[EmailAddress]:
    """Valid e-mail addresses, with mixed-case domains that normalise to lower case."""
    atoms = st.lists(st.text(_ATEXT, min_size=1, max_size=10), min_size=1, max_size=3)
    locals_ = atoms.map(".".join)
    domains = _domains().flatmap(lambda d: st.sampled_from([d, d.upper(), d.title()]))
    return st.builds(
        lambda local, domain: EmailAddress(value=f"{local}@{domain}"), locals_, domains
    )


def phone_numbers() -> Strategy[PhoneNumber]:
    """Phone numbers as people write them: groups of digits, separators, extensions."""
    # At most 4 groups of 3 digits: 12, plus 2 for a "00" prefix, stays within the 17
    # digits a PhoneNumber allows (E.164's 15 and an international prefix).
    groups = st.lists(st.text(string.digits, min_size=2, max_size=3), min_size=2, max_size=4)
    prefix = st.sampled_from(["", "+", "+1 ", "00", "("])
    separator = st.sampled_from([" ", "-", ".", ""])
    extension = st.sampled_from(["", " ext. 12", " x7", " #305"])

    def build(p: str, parts: list[str], sep: str, ext: str) -> PhoneNumber:
        body = sep.join(parts)
        if p == "(":
            body = f"({parts[0]}) {sep.join(parts[1:])}"
        return PhoneNumber(raw=f"{'' if p == '(' else p}{body}{ext}")

    return st.builds(build, prefix, groups, separator, extension)


def postal_addresses() -> Strategy[PostalAddress]:
    """Postal addresses with at least one part."""
    return st.builds(
        PostalAddress,
        lines=st.lists(texts(max_size=30), max_size=3).map(tuple),
        city=_optional(texts(max_size=20)),
        region=_optional(texts(max_size=20)),
        postal_code=_optional(texts(max_size=10, alphabet=string.ascii_uppercase + string.digits)),
        country=texts(max_size=20),
    )


def custom_fields() -> Strategy[dict[str, Any]]:
    """Mappings of custom field names to JSON scalars."""
    scalars = (
        st.none()
        | st.booleans()
        | st.integers(min_value=-(2**63), max_value=2**63)
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=20)
    )
    return st.dictionaries(texts(max_size=15), scalars, max_size=4)


# ------------------------------------------------------------- composite values


def _fields(
    cls: type[Any], defaults: Mapping[str, Strategy[Any]], overrides: Mapping[str, Any], caller: str
) -> dict[str, Strategy[Any]]:
    names = {a.name for a in attrs.fields(cls)}
    unknown = sorted(set(overrides) - names)
    if unknown:
        raise TypeError(
            f"{caller}() got unknown field(s) {', '.join(unknown)}; "
            f"{cls.__name__} has: {', '.join(sorted(names))}"
        )
    merged = dict(defaults)
    merged.update({name: _strategy(value) for name, value in overrides.items()})
    return merged


def touchpoints(**fields: Any) -> Strategy[Touchpoint]:
    """Touchpoints; keyword arguments fix or constrain fields."""
    words = texts(max_size=20)
    defaults = {
        "occurred_at": aware_datetimes(),
        "source": _optional(
            st.sampled_from(["google", "linkedin", "newsletter", "Partner"]) | words
        ),
        "medium": _optional(st.sampled_from(["cpc", "email", "organic", "referral"])),
        "campaign_id": _optional(entity_ids(CampaignId)),
        "campaign": _optional(words),
        "ad_code": _optional(words),
        "term": _optional(words),
        "referrer": _optional(st.just("https://www.google.com/")),
        "landing_page": _optional(st.just("https://example.com/pricing?utm_source=x")),
    }
    return st.fixed_dictionaries(_fields(Touchpoint, defaults, fields, "touchpoints")).map(
        lambda kw: Touchpoint(**kw)
    )


def consent_records() -> Strategy[ConsentRecord]:
    """Single consent decisions."""
    return st.builds(
        ConsentRecord,
        given=st.booleans(),
        at=aware_datetimes(),
        source=_optional(texts(max_size=20)),
    )


def consents() -> Strategy[Consent]:
    """Consent states, each channel unknown, given or withdrawn."""
    return st.builds(
        Consent,
        email=_optional(consent_records()),
        phone=_optional(consent_records()),
        do_not_contact=_optional(consent_records()),
    )


def assessments(values: Strategy[T]) -> Strategy[Assessment[T]]:
    """Assessments of one BANT criterion whose values come from ``values``."""
    return st.builds(
        Assessment,
        value=values,
        assessed_at=aware_datetimes(),
        evidence=_optional(texts(max_size=30)),
    )


def bants(*, currency: str | Strategy[str] | None = None) -> Strategy[BANT]:
    """BANT qualifications, each criterion possibly unknown."""
    return st.builds(
        BANT,
        budget=_optional(assessments(money(currency=currency, min_amount=0))),
        authority=_optional(assessments(st.sampled_from(list(Authority)))),
        need=_optional(assessments(st.sampled_from(list(Need)))),
        timeline=_optional(assessments(st.dates(date(2000, 1, 1), date(2100, 1, 1)))),
    )


def lead_scores() -> Strategy[LeadScore]:
    """Scores as kept on a lead."""
    return st.builds(
        LeadScore,
        value=st.floats(min_value=-1000, max_value=1000, allow_nan=False),
        model=st.sampled_from(["engagement", "fit", "bant", "logistic"]),
        scored_at=aware_datetimes(),
        grade=_optional(st.sampled_from(["A1", "B2", "hot", "cold"])),
    )


def line_items(*, currency: str | Strategy[str] | None = None) -> Strategy[LineItem]:
    """Line items priced in ``currency`` (any currency by default)."""
    return st.builds(
        LineItem,
        product_id=entity_ids(ProductId),
        quantity=st.decimals(min_value=Decimal("0.01"), max_value=10_000, places=2),
        unit_price=money(currency=currency, min_amount=0, max_amount=10**7),
        discount=st.decimals(min_value=0, max_value=1, places=2),
        description=_optional(texts(max_size=30)),
    )


# ------------------------------------------------------------------ entities


@st.composite
def _entity(
    draw: Callable[[Strategy[Any]], Any],
    cls: type[T],
    strategies: Mapping[str, Strategy[Any]],
    overridden: frozenset[str],
) -> T:
    values = {name: draw(strategy) for name, strategy in strategies.items()}
    age = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=400))
    if "updated_at" not in overridden:
        values["updated_at"] = values["created_at"] + draw(age)
    elif "created_at" not in overridden:
        values["created_at"] = values["updated_at"] - draw(age)
    return cls(**values)


def _entities(
    cls: type[T],
    id_type: type[EntityId],
    defaults: Mapping[str, Strategy[Any]],
    overrides: Mapping[str, Any],
    caller: str,
) -> Strategy[T]:
    common = {
        "version": st.integers(min_value=0, max_value=1000),
        "created_at": aware_datetimes(max_value=datetime(2099, 1, 1)),
        "updated_at": aware_datetimes(),
        "external_id": _optional(texts(max_size=20, alphabet=string.ascii_letters + string.digits)),
        "custom_fields": custom_fields(),
    }
    strategies = _fields(cls, {"id": entity_ids(id_type), **common, **defaults}, overrides, caller)
    return _entity(cls, strategies, frozenset(overrides))


def _entities_agreeing(
    cls: type[T],
    id_type: type[EntityId],
    defaults: Mapping[str, Strategy[Any]],
    overrides: Mapping[str, Any],
    caller: str,
    *,
    group: frozenset[str],
    agreeing: Strategy[dict[str, Any]],
) -> Strategy[T]:
    """Entities with a group of fields that must agree, drawn together by ``agreeing``.

    The group is an opportunity's amount and line items (one currency) or a campaign's
    budget, cost and dates.  When the caller gives any field of the group, the group's
    other fields keep the entity's defaults (None or empty), which always agree.
    """
    others = {k: v for k, v in overrides.items() if k not in group}
    base = _entities(cls, id_type, defaults, others, caller)
    given = {k: _strategy(v) for k, v in overrides.items() if k in group}
    chosen = st.fixed_dictionaries(given) if given else agreeing
    return st.tuples(base, chosen).map(lambda pair: attrs.evolve(pair[0], **pair[1]))


_OWNERS = st.sampled_from(["ana", "bo", "chen", "dara"])


def leads(**fields: Any) -> Strategy[Lead]:
    """Leads, from bare fragments to fully described; keyword arguments fix fields."""
    words = texts(max_size=20)
    touches = st.lists(touchpoints(), max_size=3).map(tuple)
    defaults = {
        "first_name": _optional(words),
        "last_name": _optional(words),
        "title": _optional(words),
        "email": _optional(email_addresses()),
        "phone": _optional(phone_numbers()),
        "company": _optional(words),
        "website": _optional(st.just("https://www.example.com")),
        "industry": _optional(st.sampled_from(["software", "retail", "finance", "education"])),
        "company_size": _optional(st.integers(min_value=0, max_value=500_000)),
        "country": _optional(words),
        "product_interests": st.frozensets(words, max_size=3),
        "first_touch": _optional(touchpoints()),
        "touches": touches,
        "status": st.sampled_from(["new", "working", "nurturing", "qualified", "disqualified"]),
        "owner": _optional(_OWNERS),
        "bant": bants(),
        "score": _optional(lead_scores()),
        "disqualification_reason": _optional(words),
        "consent": consents(),
        "marketing_stage": st.sampled_from(["lead", "mql", "sql", "opportunity", "customer"]),
        "converted_at": _optional(aware_datetimes()),
        "converted_account_id": _optional(entity_ids(AccountId)),
        "converted_contact_id": _optional(entity_ids(ContactId)),
        "converted_opportunity_id": _optional(entity_ids(OpportunityId)),
    }
    return _entities(Lead, LeadId, defaults, fields, "leads")


@st.composite
def stage_histories(
    draw: Callable[[Strategy[Any]], Any],
    *,
    stages: Sequence[str] = ("prospecting", "qualification", "proposal", "closed_won"),
    max_size: int = 4,
) -> tuple[StageVisit, ...]:
    """Stage histories: visits in time order, each left when the next is entered."""
    names = draw(st.lists(st.sampled_from(list(stages)), max_size=max_size))
    moments = sorted(draw(st.lists(aware_datetimes(), min_size=len(names), max_size=len(names))))
    visits = [
        StageVisit(
            stage=name,
            entered_at=moment,
            left_at=moments[i + 1] if i + 1 < len(names) else None,
        )
        for i, (name, moment) in enumerate(zip(names, moments, strict=True))
    ]
    return tuple(visits)


def accounts(**fields: Any) -> Strategy[Account]:
    """Accounts; keyword arguments fix fields."""
    defaults = {
        "name": texts(max_size=30),
        "website_domain": _optional(_domains()),
        "industry": _optional(st.sampled_from(["software", "retail", "finance"])),
        "size": _optional(st.integers(min_value=0, max_value=500_000)),
        "annual_revenue": _optional(money(min_amount=0)),
        "address": _optional(postal_addresses()),
        "parent_id": _optional(entity_ids(AccountId)),
        "owner": _optional(_OWNERS),
    }
    return _entities(Account, AccountId, defaults, fields, "accounts").filter(
        lambda a: a.parent_id != a.id
    )


def contacts(**fields: Any) -> Strategy[Contact]:
    """Contacts (each with a name or an e-mail address); keyword arguments fix fields."""
    words = texts(max_size=20)
    defaults = {
        "first_name": _optional(words),
        "last_name": words,
        "title": _optional(words),
        "email": _optional(email_addresses()),
        "phone": _optional(phone_numbers()),
        "account_id": _optional(entity_ids(AccountId)),
        "role": _optional(st.sampled_from(["decision maker", "influencer", "user"])),
        "consent": consents(),
        "first_touch": _optional(touchpoints()),
        "touches": st.lists(touchpoints(), max_size=2).map(tuple),
        "source_lead_id": _optional(entity_ids(LeadId)),
        "owner": _optional(_OWNERS),
    }
    return _entities(Contact, ContactId, defaults, fields, "contacts")


@st.composite
def _deal_money(draw: Callable[[Strategy[Any]], Any], currency: Any) -> dict[str, Any]:
    code = draw(currencies() if currency is None else _strategy(currency))
    return {
        "amount": draw(_optional(money(currency=code, min_amount=0))),
        "line_items": tuple(draw(st.lists(line_items(currency=code), max_size=3))),
    }


def opportunities(
    *, currency: str | Strategy[str] | None = None, **fields: Any
) -> Strategy[Opportunity]:
    """Opportunities with their amount and line items in one ``currency``."""
    defaults = {
        "name": texts(max_size=30),
        "account_id": _optional(entity_ids(AccountId)),
        "primary_contact_id": _optional(entity_ids(ContactId)),
        "contact_roles": st.lists(
            st.builds(
                ContactRole,
                contact_id=entity_ids(ContactId),
                role=st.sampled_from(["decision maker", "economic buyer", "influencer"]),
            ),
            max_size=3,
        ).map(tuple),
        "pipeline": st.sampled_from(["default", "enterprise"]),
        "stage": st.sampled_from(["prospecting", "qualification", "proposal", "closed_won"]),
        "expected_close_date": _optional(st.dates(date(2000, 1, 1), date(2100, 1, 1))),
        "probability": _optional(probabilities()),
        "forecast_category": _optional(st.sampled_from(list(ForecastCategory))),
        "competitors": st.lists(texts(max_size=15), max_size=2).map(tuple),
        "source_lead_id": _optional(entity_ids(LeadId)),
        "campaign_id": _optional(entity_ids(CampaignId)),
        "close_reason": _optional(texts(max_size=30)),
        "lost_to": _optional(texts(max_size=15)),
        "stage_history": stage_histories(),
        "owner": _optional(_OWNERS),
    }
    return _entities_agreeing(
        Opportunity,
        OpportunityId,
        defaults,
        fields,
        "opportunities",
        group=frozenset({"amount", "line_items"}),
        agreeing=_deal_money(currency),
    )


@st.composite
def _campaign_money(draw: Callable[[Strategy[Any]], Any]) -> dict[str, Any]:
    code = draw(currencies())
    start = draw(_optional(st.dates(date(2000, 1, 1), date(2090, 1, 1))))
    end = None if start is None else draw(_optional(st.dates(start, date(2100, 1, 1))))
    return {
        "budget": draw(_optional(money(currency=code, min_amount=0))),
        "actual_cost": draw(_optional(money(currency=code, min_amount=0))),
        "starts_on": start,
        "ends_on": end,
    }


def campaigns(**fields: Any) -> Strategy[Campaign]:
    """Campaigns with consistent dates and one currency; keyword arguments fix fields."""
    defaults = {
        "name": texts(max_size=30),
        "code": _optional(
            texts(max_size=15, alphabet=string.ascii_lowercase + string.digits + "-")
        ),
        "channel": _optional(st.sampled_from(["email", "paid_search", "events", "social"])),
        "status": st.sampled_from(list(CampaignStatus)),
        "parent_id": _optional(entity_ids(CampaignId)),
        "owner": _optional(_OWNERS),
    }
    return _entities_agreeing(
        Campaign,
        CampaignId,
        defaults,
        fields,
        "campaigns",
        group=frozenset({"budget", "actual_cost", "starts_on", "ends_on"}),
        agreeing=_campaign_money(),
    ).filter(lambda c: c.parent_id != c.id)


def activities(**fields: Any) -> Strategy[Activity]:
    """Activities, each about at least one record; keyword arguments fix fields."""
    defaults = {
        "kind": st.sampled_from(list(ActivityKind)),
        "occurred_at": aware_datetimes(),
        "direction": _optional(st.sampled_from(list(Direction))),
        "subject": _optional(texts(max_size=30)),
        "description": _optional(texts(max_size=60)),
        "lead_id": entity_ids(LeadId),
        "contact_id": _optional(entity_ids(ContactId)),
        "account_id": _optional(entity_ids(AccountId)),
        "opportunity_id": _optional(entity_ids(OpportunityId)),
        "campaign_id": _optional(entity_ids(CampaignId)),
        "due_at": _optional(aware_datetimes()),
        "completed_at": _optional(aware_datetimes()),
        "outcome": _optional(st.sampled_from(["connected", "voicemail", "demo booked"])),
        "owner": _optional(_OWNERS),
    }
    return _entities(Activity, ActivityId, defaults, fields, "activities")


def products(**fields: Any) -> Strategy[Product]:
    """Products; keyword arguments fix fields."""
    defaults = {
        "code": texts(max_size=12, alphabet=string.ascii_uppercase + string.digits + "-"),
        "name": texts(max_size=30),
        "list_price": _optional(money(min_amount=0)),
        "family": _optional(st.sampled_from(["hardware", "software", "services"])),
        "description": _optional(texts(max_size=60)),
        "active": st.booleans(),
    }
    return _entities(Product, ProductId, defaults, fields, "products")


def entities() -> Strategy[Any]:
    """Any entity: a lead, account, contact, opportunity, campaign, activity or product."""
    return st.one_of(
        leads(), accounts(), contacts(), opportunities(), campaigns(), activities(), products()
    )
