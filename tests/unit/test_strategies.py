"""The public Hypothesis strategies honour their arguments and produce valid objects."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given, settings, target
from hypothesis import strategies as st

from leadflow import Account, Campaign, Lead, Money, Opportunity, from_json, to_json
from leadflow.testing import strategies as lfst

T = datetime(2026, 3, 2, tzinfo=timezone.utc)


@given(lfst.leads(status="qualified", owner=st.sampled_from(["ana", "bo"]), email=None))
def test_fields_can_be_fixed_or_constrained(lead: Lead) -> None:
    assert lead.status == "qualified"
    assert lead.owner in ("ana", "bo")
    assert lead.email is None


@given(lfst.leads(created_at=T))
def test_a_fixed_creation_time_keeps_updated_at_after_it(lead: Lead) -> None:
    assert lead.created_at == T <= lead.updated_at


@given(lfst.leads(updated_at=T))
def test_a_fixed_update_time_keeps_created_at_before_it(lead: Lead) -> None:
    assert lead.created_at <= lead.updated_at == T


@given(lfst.opportunities(currency="JPY"))
def test_opportunities_use_one_currency(opportunity: Opportunity) -> None:
    currencies = {li.unit_price.currency for li in opportunity.line_items}
    if opportunity.amount is not None:
        currencies.add(opportunity.amount.currency)
    assert currencies <= {"JPY"}


@given(lfst.opportunities(amount=Money.of(10, "EUR"), line_items=()))
def test_opportunity_money_can_be_fixed(opportunity: Opportunity) -> None:
    assert opportunity.amount == Money.of(10, "EUR")


@given(lfst.campaigns(budget=Money.of(100, "USD")))
def test_fixing_one_agreeing_field_keeps_the_others_consistent(campaign: Campaign) -> None:
    assert campaign.budget == Money.of(100, "USD")
    assert campaign.actual_cost is None


@given(lfst.opportunities(amount=lfst.money(currency="EUR", min_amount=0)))
def test_an_agreeing_field_can_be_given_as_a_strategy(opportunity: Opportunity) -> None:
    assert opportunity.amount is not None
    assert opportunity.amount.currency == "EUR"
    assert opportunity.line_items == ()


@given(lfst.campaigns())
def test_campaigns_are_consistent(campaign: Campaign) -> None:
    if campaign.starts_on and campaign.ends_on:
        assert campaign.starts_on <= campaign.ends_on
    if campaign.budget and campaign.actual_cost:
        assert campaign.budget.currency == campaign.actual_cost.currency


@given(lfst.money(currency="KWD", min_amount=0, max_amount=10))
def test_money_respects_currency_and_range(amount: Money) -> None:
    assert amount.currency == "KWD"
    assert 0 <= amount.amount <= 10
    assert amount.rounded() == amount  # at most the currency's three decimals


@pytest.mark.parametrize("factory", [lfst.leads, lfst.accounts, lfst.contacts, lfst.products])
def test_unknown_fields_are_refused_by_name(factory) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TypeError, match="unknown field\\(s\\) nope"):
        factory(nope=1)


@given(lfst.accounts())
def test_accounts_never_parent_themselves(account: Account) -> None:
    assert account.parent_id != account.id


@settings(max_examples=1000)
@given(
    st.one_of(
        lfst.phone_numbers(),
        lfst.email_addresses(),
        lfst.postal_addresses(),
        lfst.touchpoints(),
        lfst.money(),
        lfst.line_items(),
        lfst.bants(),
        lfst.consents(),
    )
)
def test_value_strategies_produce_values_that_survive_json(value: object) -> None:
    # An invalid value would already have raised while generating; a valid one reads back.
    assert from_json(type(value), to_json(value)) == value


@settings(max_examples=400)
@given(st.data())
def test_phone_numbers_stay_valid_at_their_longest(data: st.DataObject) -> None:
    # Steer generation toward the most digits: a strategy that can exceed what
    # PhoneNumber allows fails while generating.
    phone = data.draw(lfst.phone_numbers())
    target(float(len(phone.digits)), label="digits")
    assert 3 <= len(phone.digits) <= 17
