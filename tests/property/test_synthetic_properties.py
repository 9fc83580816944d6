"""The synthetic organisation's invariants hold for any seed, size, window and start."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadflow.datasets import LEADS_MAPPING, SyntheticOrganisation, synthetic
from leadflow.lifecycle import apply_lead_action
from leadflow.tabular import ColumnMapping, read_leads

UTC = timezone.utc
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

CHANNELS = {
    "paid_search",
    "paid_social",
    "email",
    "webinar",
    "events",
    "partner",
    "organic",
}


def uuid7_millis(value: int) -> int:
    """The Unix milliseconds a UUID version 7 carries in its first 48 bits."""
    return value >> 80


def millis(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(milliseconds=1)


def assert_invariants(org: SyntheticOrganisation) -> None:  # noqa: PLR0912
    """Every structural promise of the data set, checked one by one."""
    start, end, currency = org.start, org.end, org.currency
    first_day, last_day = start.date(), (end - timedelta(microseconds=1)).date()

    # Campaigns: the channels, codes, dates in the window, money in the currency.
    assert {c.channel for c in org.campaigns} == CHANNELS
    codes = {c.code: c.id for c in org.campaigns}
    assert len(codes) == len(org.campaigns)
    for campaign in org.campaigns:
        assert campaign.starts_on is not None
        assert campaign.ends_on is not None
        assert first_day <= campaign.starts_on <= campaign.ends_on <= last_day
        assert campaign.budget is not None
        assert campaign.actual_cost is not None
        assert campaign.budget.currency == currency == campaign.actual_cost.currency
        if campaign.channel == "organic":
            assert campaign.actual_cost.amount == 0 == campaign.budget.amount
        assert campaign.created_at.date() < campaign.starts_on  # planned before it runs

    # Accounts before the window, one to four contacts each.
    account_ids = {a.id for a in org.accounts}
    for account in org.accounts:
        assert account.created_at < start
        assert account.annual_revenue is not None
        assert account.annual_revenue.currency == currency
    per_account: dict[object, int] = dict.fromkeys(account_ids, 0)
    for contact in org.contacts:
        assert contact.account_id in account_ids
        per_account[contact.account_id] += 1
        assert contact.created_at < start
    assert all(1 <= n <= 4 for n in per_account.values())

    # Leads: sorted, in the window, status new, touches in order and named campaigns.
    leads = org.leads
    assert [lead.created_at for lead in leads] == sorted(lead.created_at for lead in leads)
    by_id = {lead.id: lead for lead in leads}
    assert len(by_id) == len(leads)
    assert set(org.truth) == set(by_id)
    external = [lead.external_id for lead in leads]
    assert len(set(external)) == len(leads)
    for lead in leads:
        assert start <= lead.created_at < end
        assert lead.created_at <= lead.updated_at <= end
        assert lead.status == "new"
        assert lead.touches
        assert lead.first_touch == lead.touches[0]
        times = [t.occurred_at for t in lead.touches]
        assert times == sorted(times)
        assert lead.created_at == times[0]
        assert times[-1] <= end
        for touch in lead.touches:
            if touch.campaign is not None:
                assert codes[touch.campaign] == touch.campaign_id
            else:
                assert touch.campaign_id is None
        for name in lead.bant.known:
            assessment = getattr(lead.bant, name)
            assert lead.created_at <= assessment.assessed_at <= end
        if lead.bant.budget is not None:
            assert lead.bant.budget.value.currency == currency

    # Duplicates: exactly the leads whose address was seen on an earlier lead.
    seen: dict[str, int] = {}
    for i, lead in enumerate(leads):
        truth = org.truth[lead.id]
        key = None if lead.email is None else lead.email.key
        if truth.duplicate_of is None:
            assert key is None or key not in seen
            if key is not None:
                seen[key] = i
        else:
            assert key is not None
            assert seen[key] < i
            assert leads[seen[key]].id == truth.duplicate_of
            assert org.truth[truth.duplicate_of].duplicate_of is None
            assert not truth.converts
            assert not truth.wins

    # Truth: money in the currency, outcomes consistent, converters qualify.
    for lead in leads:
        truth = org.truth[lead.id]
        assert 0.0 <= truth.propensity <= 1.0
        assert truth.amount.currency == currency
        assert truth.amount.amount > 0
        assert truth.cycle_days >= 1
        assert truth.wins <= truth.converts
        assert (truth.converts_at is not None) == truth.converts
        if truth.converts:
            assert truth.converts_at is not None
            assert truth.converts_at > lead.created_at
            qualified, _ = apply_lead_action(lead, "qualify", at=end)
            assert qualified.status == "qualified"

    # Activities: sorted, each about one known lead and within its window.
    occurred = [a.occurred_at for a in org.activities]
    assert occurred == sorted(occurred)
    for activity in org.activities:
        assert activity.lead_id is not None
        lead = by_id[activity.lead_id]
        assert lead.created_at <= activity.occurred_at <= end
        if activity.campaign_id is not None:
            assert activity.campaign_id in codes.values()

    # Ids: UUID version 7 whose time is the entity's own, all distinct.
    stamped = [
        *((c.id, c.created_at) for c in org.campaigns),
        *((a.id, a.created_at) for a in org.accounts),
        *((c.id, c.created_at) for c in org.contacts),
        *((lead.id, lead.created_at) for lead in leads),
        *((a.id, a.occurred_at) for a in org.activities),
    ]
    for entity_id, moment in stamped:
        assert entity_id.value.version == 7
        assert uuid7_millis(entity_id.value.int) == millis(moment)
    assert len({entity_id.value for entity_id, _ in stamped}) == len(stamped)


zones = st.sampled_from(
    [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))]
)
starts = st.datetimes(
    min_value=datetime(1980, 1, 2), max_value=datetime(2100, 1, 1), timezones=zones
)


@given(
    seed=st.integers(min_value=-(2**40), max_value=2**40),
    leads=st.integers(min_value=0, max_value=50),
    days=st.integers(min_value=1, max_value=400),
    start=starts,
    currency=st.sampled_from(["EUR", "usd", "JPY", "KWD"]),
)
def test_invariants_hold(seed: int, leads: int, days: int, start: datetime, currency: str) -> None:
    org = synthetic(leads=leads, seed=seed, start=start, days=days, currency=currency)
    assert len(org.leads) == leads
    assert org.start == start
    assert org.end == start + timedelta(days=days)
    assert org.currency == currency.upper()
    assert_invariants(org)


@given(seed=st.integers(min_value=0, max_value=2**32), leads=st.integers(0, 50))
def test_same_arguments_same_organisation(seed: int, leads: int) -> None:
    assert synthetic(leads=leads, seed=seed, days=30) == synthetic(leads=leads, seed=seed, days=30)


@given(
    seed=st.integers(min_value=0, max_value=2**32),
    leads=st.integers(0, 50),
    bad_rows=st.integers(0, 6),
    start=starts,
)
def test_table_reads_back(seed: int, leads: int, bad_rows: int, start: datetime) -> None:
    org = synthetic(leads=leads, seed=seed, start=start, days=20)
    rows = org.leads_table(bad_rows=bad_rows)
    assert len(rows) == leads + bad_rows
    # Rows of dicts carry the header in their keys: no rows, no header to check.
    result = read_leads(rows, ColumnMapping.from_toml(LEADS_MAPPING), strict_columns=bool(rows))
    assert len(result.rejected) == bad_rows == result.rejected_rows
    known = {lead.external_id for lead in org.leads}
    for rejection in result.rejected:
        assert rows[rejection.row - 1]["Lead ID"] not in known
        assert rows[rejection.row - 1][rejection.column] == rejection.value
    assert [lead.external_id for lead in result.leads] == [lead.external_id for lead in org.leads]
    for read, lead in zip(result.leads, org.leads, strict=True):
        assert read.email == lead.email
        assert read.created_at == lead.created_at
        assert (read.first_name, read.last_name) == (lead.first_name, lead.last_name)


def test_the_checker_catches_an_activity_before_its_lead() -> None:
    """The invariants are not vacuous: an activity a second before its lead fails them."""
    org = synthetic(leads=20, seed=1, days=10)
    activity = org.activities[-1]
    lead = next(x for x in org.leads if x.id == activity.lead_id)
    moment = lead.created_at - timedelta(seconds=1)
    early = attrs.evolve(activity, created_at=moment, updated_at=moment, occurred_at=moment)
    activities = sorted((early, *org.activities[:-1]), key=lambda a: a.occurred_at)
    with pytest.raises(AssertionError, match=r"= Activity\(.*\)\.occurred_at"):
        assert_invariants(attrs.evolve(org, activities=activities))


def test_a_one_day_window_keeps_campaigns_inside_it() -> None:
    org = synthetic(leads=30, seed=2, start=datetime(2026, 3, 1, 18, 0, tzinfo=UTC), days=1)
    assert_invariants(org)
    days = {c.starts_on for c in org.campaigns} | {c.ends_on for c in org.campaigns}
    assert days <= {date(2026, 3, 1), date(2026, 3, 2)}
