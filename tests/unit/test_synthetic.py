"""The synthetic organisation: determinism, sizes, proportions, the hidden signal, the table."""

from __future__ import annotations

import csv
import hashlib
import math
import statistics
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from leadflow.activities import ActivityKind, Direction
from leadflow.conversion import FREE_MAIL_DOMAINS, match_domain
from leadflow.datasets import LEADS_MAPPING, LeadTruth, SyntheticOrganisation, synthetic
from leadflow.errors import InvalidConfiguration, InvalidTransition
from leadflow.lifecycle import apply_lead_action
from leadflow.scoring import Example
from leadflow.scoring.evaluate import roc_auc
from leadflow.scoring.predictive import LogisticRegression
from leadflow.tabular import ColumnMapping, TimeColumn, read_leads
from leadflow.values import LeadId, Money
from tests.property.test_synthetic_properties import assert_invariants

UTC = timezone.utc
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def org() -> SyntheticOrganisation:
    """2,000 leads: enough for the proportions and the AUC to be stable."""
    return synthetic(leads=2_000, seed=7)


@pytest.fixture(scope="module")
def small() -> SyntheticOrganisation:
    return synthetic(leads=300, seed=3, days=60)


def non_duplicates(org: SyntheticOrganisation) -> list[Any]:
    return [lead for lead in org.leads if org.truth[lead.id].duplicate_of is None]


# =================================================================== determinism


def test_same_arguments_give_equal_organisations_ids_included(small: SyntheticOrganisation):
    again = synthetic(leads=300, seed=3, days=60)
    assert again == small
    assert [lead.id for lead in again.leads] == [lead.id for lead in small.leads]
    assert [a.id for a in again.activities] == [a.id for a in small.activities]
    assert [c.id for c in again.campaigns] == [c.id for c in small.campaigns]


def test_different_seeds_give_different_data(small: SyntheticOrganisation):
    other = synthetic(leads=300, seed=4, days=60)
    assert other != small
    assert not {lead.id for lead in other.leads} & {lead.id for lead in small.leads}
    emails = {str(lead.email) for lead in small.leads if lead.email}
    other_emails = {str(lead.email) for lead in other.leads if lead.email}
    assert len(emails & other_emails) < len(emails) / 2
    assert [t.propensity for t in other.truth.values()] != [
        t.propensity for t in small.truth.values()
    ]


def digest() -> str:
    """A fingerprint of a small organisation: every id, time, truth and table cell."""
    org = synthetic(leads=150, seed=11, days=30)
    parts = [str(x.id) for x in (*org.campaigns, *org.accounts, *org.contacts, *org.leads)]
    parts += [str(a.id) + a.occurred_at.isoformat() for a in org.activities]
    parts += [repr(t.propensity) + str(t.amount) for t in org.truth.values()]
    parts += [",".join(row.values()) for row in org.leads_table(bad_rows=3)]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def test_output_does_not_depend_on_the_process():
    """Interpreters with different hash seeds make the same organisation as this one."""
    script = "from tests.unit.test_synthetic import digest; print(digest())"
    digests = {
        subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
            env={"PYTHONHASHSEED": hash_seed, "PATH": ""},
        ).stdout.strip()
        for hash_seed in ("1", "2")
    }
    assert digests == {digest()}


def test_ids_carry_the_entities_own_time_not_the_clock(small: SyntheticOrganisation):
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    for lead in small.leads:
        millis = (lead.created_at - epoch) // timedelta(milliseconds=1)
        assert lead.id.value.version == 7
        assert lead.id.value.int >> 80 == millis
    # A start in 1990 gives ids from 1990, whenever the test runs.
    old = synthetic(leads=5, seed=0, start=datetime(1990, 6, 1, tzinfo=UTC), days=3)
    stamp = old.leads[0].id.value.int >> 80
    assert datetime(1990, 6, 1, tzinfo=UTC) <= epoch + timedelta(milliseconds=stamp)
    assert epoch + timedelta(milliseconds=stamp) < datetime(1990, 6, 4, tzinfo=UTC)


# ======================================================================== sizes


def test_sizes(org: SyntheticOrganisation):
    assert len(org.leads) == 2_000
    assert len(org.truth) == 2_000
    assert len(org.campaigns) == 8
    assert len(org.accounts) == math.ceil(2_000 * 0.06)
    per_account = Counter(c.account_id for c in org.contacts)
    assert set(per_account) == {a.id for a in org.accounts}
    assert set(per_account.values()) == {1, 2, 3, 4}
    assert org.end == org.start + timedelta(days=180)
    assert org.start == datetime(2026, 1, 1, tzinfo=UTC)
    assert 3 < len(org.activities) / len(org.leads) < 20


def test_no_leads_is_an_organisation_without_leads():
    empty = synthetic(leads=0, seed=1)
    assert empty.leads == ()
    assert empty.activities == ()
    assert empty.accounts == ()
    assert len(empty.campaigns) == 8
    assert all(c.actual_cost is not None for c in empty.campaigns)
    assert_invariants(empty)


def test_all_invariants_hold_on_the_large_organisation(org: SyntheticOrganisation):
    assert_invariants(org)


def test_repr_summarises(small: SyntheticOrganisation):
    text = repr(small)
    assert "leads=300" in text
    assert f"activities={len(small.activities)}" in text
    assert "seed=3" in text


# ================================================================== proportions


def test_conversion_and_win_rates_are_in_their_bands(org: SyntheticOrganisation):
    truths = list(org.truth.values())
    converted = [t for t in truths if t.converts]
    assert 0.15 <= len(converted) / len(truths) <= 0.30
    assert 0.30 <= sum(t.wins for t in converted) / len(converted) <= 0.60
    assert not any(t.wins for t in truths if not t.converts)


def test_conversion_is_drawn_from_the_propensity(org: SyntheticOrganisation):
    """Observed rates follow the propensity, bin by bin (a calibration check)."""
    truths = [t for t in org.truth.values() if t.duplicate_of is None]
    assert abs(statistics.fmean(t.converts for t in truths) - statistics.fmean(
        t.propensity for t in truths
    )) < 0.03  # fmt: skip
    ranked = sorted(truths, key=lambda t: t.propensity)
    low, high = ranked[: len(ranked) // 3], ranked[-len(ranked) // 3 :]
    assert statistics.fmean(t.converts for t in high) > 2 * statistics.fmean(
        t.converts for t in low
    )
    # Among converters, wins are likelier the higher the propensity.
    converted = sorted((t for t in truths if t.converts), key=lambda t: t.propensity)
    half = len(converted) // 2
    assert statistics.fmean(t.wins for t in converted[half:]) > statistics.fmean(
        t.wins for t in converted[:half]
    )


def test_amounts_and_cycles_grow_with_the_company(org: SyntheticOrganisation):
    sizes = {lead.id: lead.company_size for lead in non_duplicates(org)}
    small_deals = [org.truth[i] for i, s in sizes.items() if s is not None and s < 50]
    big_deals = [org.truth[i] for i, s in sizes.items() if s is not None and s >= 1_000]
    assert statistics.median(t.amount.amount for t in big_deals) > Decimal(
        "1.5"
    ) * statistics.median(t.amount.amount for t in small_deals)
    assert statistics.median(t.cycle_days for t in big_deals) > statistics.median(
        t.cycle_days for t in small_deals
    )
    assert all(t.amount.currency == "EUR" for t in org.truth.values())


def test_duplicates_are_about_three_percent_and_look_alike(org: SyntheticOrganisation):
    duplicates = [lead for lead in org.leads if org.truth[lead.id].duplicate_of is not None]
    assert 0.015 <= len(duplicates) / len(org.leads) <= 0.05
    by_id = {lead.id: lead for lead in org.leads}
    differing_case = 0
    for lead in duplicates:
        original = by_id[org.truth[lead.id].duplicate_of]  # type: ignore[index]
        assert lead.email is not None
        assert original.email is not None
        assert lead.email.key == original.email.key
        differing_case += str(lead.email) != str(original.email)
        assert (lead.first_name, lead.last_name) == (original.first_name, original.last_name)
        assert lead.created_at >= original.created_at
    assert 0 < differing_case < len(duplicates)


def test_about_a_tenth_of_the_leads_lack_a_field(org: SyntheticOrganisation):
    fields = ("company", "title", "country", "industry", "company_size", "first_name")
    leads = non_duplicates(org)
    gappy = [lead for lead in leads if any(getattr(lead, f) is None for f in fields)]
    assert 0.06 <= len(gappy) / len(leads) <= 0.14
    for field in fields:
        assert any(getattr(lead, field) is None for lead in leads), field
    assert 0.2 < sum(lead.phone is not None for lead in leads) / len(leads) < 0.7
    assert 0 < sum(lead.email is None for lead in leads) < 0.05 * len(leads)


def test_sources_come_in_mixed_case(org: SyntheticOrganisation):
    sources = Counter(lead.first_touch.source for lead in org.leads if lead.first_touch)
    assert {"Google", "google", "GOOGLE", "LinkedIn", "linkedin"} <= set(sources)
    paid = [
        lead.first_touch
        for lead in org.leads
        if lead.first_touch and lead.first_touch.medium == "cpc"
    ]
    assert paid
    assert all(t.ad_code for t in paid)
    assert any(len(lead.touches) > 1 for lead in org.leads)


def test_more_leads_arrive_on_weekdays(org: SyntheticOrganisation):
    per_day = Counter(lead.created_at.date() for lead in org.leads)
    days = [org.start.date() + timedelta(days=k) for k in range(180)]
    weekday = statistics.fmean(per_day[d] for d in days if d.weekday() < 5)
    weekend = statistics.fmean(per_day[d] for d in days if d.weekday() >= 5)
    assert weekday > 2.5 * weekend > 0


def test_every_channel_brings_leads_and_costs_follow(org: SyntheticOrganisation):
    firsts = Counter(
        lead.first_touch.campaign for lead in org.leads if lead.first_touch is not None
    )
    for campaign in org.campaigns:
        assert firsts[campaign.code] > 0, campaign.code
        assert campaign.budget is not None
        assert campaign.actual_cost is not None
        if campaign.channel == "organic":
            assert campaign.actual_cost == Money.zero("EUR") == campaign.budget
        else:
            assert campaign.actual_cost.amount > 0
            assert campaign.budget >= campaign.actual_cost
    assert firsts[None] > 0  # direct traffic has no campaign


def test_some_leads_come_from_existing_accounts(org: SyntheticOrganisation):
    domains = {a.website_domain for a in org.accounts}
    matched = [lead for lead in org.leads if match_domain(lead) in domains]
    assert 0.05 <= len(matched) / len(org.leads) <= 0.2
    free = [lead for lead in org.leads if lead.email and lead.email.domain in FREE_MAIL_DOMAINS]
    assert 0.1 <= len(free) / len(org.leads) <= 0.35


def test_owners_consent_and_bant_fragments(org: SyntheticOrganisation):
    leads = non_duplicates(org)
    owned = sum(lead.owner is not None for lead in leads) / len(leads)
    assert 0.8 <= owned <= 0.95
    opted_in = sum(lead.consent.email is not None and lead.consent.email.given for lead in leads)
    opted_out = sum(
        lead.consent.email is not None and not lead.consent.email.given for lead in leads
    )
    never = sum(lead.consent.email is None for lead in leads)
    assert opted_in > len(leads) / 2
    assert 0.03 * len(leads) < opted_out < 0.2 * len(leads)
    assert 0.1 * len(leads) < never < 0.4 * len(leads)
    assert any(lead.consent.blocked for lead in leads)
    known = Counter(len(lead.bant.known) for lead in leads)
    assert set(known) == {0, 1, 2, 3, 4}
    # An unsubscribe activity accompanies each opt-out, at its time.
    unsubscribes = {
        (a.lead_id, a.occurred_at) for a in org.activities if a.kind is ActivityKind.UNSUBSCRIBE
    }
    for lead in leads:
        record = lead.consent.email
        if record is not None and not record.given:
            assert (lead.id, record.at) in unsubscribes


def qualifies(lead: Any, at: datetime) -> bool:
    """Whether the default lifecycle lets ``lead`` be qualified at ``at``."""
    try:
        apply_lead_action(lead, "qualify", at=at)
    except InvalidTransition:
        return False
    return True


def test_converting_leads_can_be_qualified_and_others_often_cannot(org: SyntheticOrganisation):
    verdicts = [(qualifies(lead, org.end), org.truth[lead.id].converts) for lead in org.leads]
    assert all(ok for ok, converts in verdicts if converts)
    assert sum(not ok for ok, _ in verdicts) > len(org.leads) / 3


# ======================================================== the hidden truth's signal


def test_inbound_engagement_ranks_the_converting_leads(org: SyntheticOrganisation):
    inbound = Counter(a.lead_id for a in org.activities if a.direction is Direction.INBOUND)
    outcomes = [org.truth[lead.id].converts for lead in org.leads]
    auc = roc_auc(outcomes, [inbound[lead.id] for lead in org.leads])
    assert 0.7 < auc < 0.95
    # The propensity itself ranks them well, but far from perfectly: outcomes are drawn.
    oracle = roc_auc(outcomes, [org.truth[lead.id].propensity for lead in org.leads])
    assert 0.7 < oracle < 0.95


def test_a_logistic_regression_learns_the_signal(org: SyntheticOrganisation):
    grouped = defaultdict(list)
    for activity in org.activities:
        grouped[activity.lead_id].append(activity)
    examples = [
        Example(lead=lead, activities=grouped[lead.id], converted=org.truth[lead.id].converts)
        for lead in org.leads
    ]
    train, test = examples[::2], examples[1::2]
    features = [
        "company_size",
        "industry",
        "country",
        "free_mail",
        "activity.web_visit",
        "activity.form_submission",
        "activity.email_click",
        "activity.email_open",
        "activity.event_attendance",
    ]
    model = LogisticRegression(features=features).fit(train, at=org.end)
    scores = model.score_many(
        [e.lead for e in test], [a for e in test for a in e.activities], at=org.end
    )
    auc = roc_auc([e.converted for e in test], [s.value for s in scores])
    assert 0.7 < auc < 0.97


def test_engagement_rises_with_propensity_kind_by_kind(org: SyntheticOrganisation):
    ranked = sorted(non_duplicates(org), key=lambda lead: org.truth[lead.id].propensity)
    third = len(ranked) // 3
    low, high = {x.id for x in ranked[:third]}, {x.id for x in ranked[-third:]}
    for kind in (
        ActivityKind.WEB_VISIT,
        ActivityKind.EMAIL_CLICK,
        ActivityKind.CALL,
        ActivityKind.MEETING,
    ):
        counts = Counter(a.lead_id for a in org.activities if a.kind is kind)
        assert sum(counts[i] for i in high) > 1.5 * sum(counts[i] for i in low), kind
    demos = Counter(
        a.lead_id for a in org.activities if a.subject == "Demo request"
    )  # fmt: skip
    assert sum(demos[i] for i in high) > 2 * sum(demos[i] for i in low)


def test_truth_values_are_well_formed():
    truth = LeadTruth(
        propensity=0.4,
        converts=True,
        wins=False,
        amount=Money.of(1000, "EUR"),
        cycle_days=30,
        converts_at=datetime(2026, 1, 10, tzinfo=UTC),
    )
    assert truth.closes_at == datetime(2026, 2, 9, tzinfo=UTC)
    assert (
        LeadTruth(
            propensity=0.1, converts=False, wins=False, amount=Money.of(1, "EUR"), cycle_days=7
        ).closes_at
        is None
    )
    with pytest.raises(ValueError, match="propensity"):
        LeadTruth(
            propensity=1.5, converts=False, wins=False, amount=Money.of(1, "EUR"), cycle_days=7
        )


# ===================================================================== the table

MAPPING = ColumnMapping.from_toml(LEADS_MAPPING)

REASONS = {
    "Email": "is not an e-mail address",
    "Created": "is not an ISO 8601 date-time",
    "Employees": ("must not be negative", "is not a whole number"),
    "Phone": "is not a phone number",
}


def test_the_mapping_reads_the_key_columns():
    targets = {column.name: column.field for column in MAPPING.columns}
    assert targets["Lead ID"] == "external_id"
    assert {
        "email", "first_name", "last_name", "company", "title", "country", "source", "medium",
        "campaign",
    } <= set(targets.values())  # fmt: skip
    assert isinstance(MAPPING.created_at, TimeColumn)
    assert MAPPING.created_at.column == "Created"
    assert set(targets) | {"Created"} == set(synthetic(leads=1).leads_table()[0])


def key_fields(lead: Any) -> tuple[Any, ...]:
    touch = lead.first_touch
    return (
        lead.external_id,
        lead.created_at,
        lead.email,
        lead.first_name,
        lead.last_name,
        lead.company,
        lead.website,
        lead.title,
        lead.industry,
        lead.company_size,
        lead.country,
        None if lead.phone is None else lead.phone.digits,
        lead.owner,
        None if touch is None else (touch.source or "").casefold(),
        None if touch is None else touch.medium,
        None if touch is None else touch.campaign,
        None if touch is None else touch.ad_code,
    )


def test_the_table_reads_back_as_the_same_leads(org: SyntheticOrganisation):
    rows = org.leads_table()
    assert len(rows) == len(org.leads)
    result = read_leads(rows, MAPPING)
    assert result.rejected == ()
    assert result.unmapped_columns == ()
    assert [key_fields(x) for x in result.leads] == [key_fields(x) for x in org.leads]
    for read, lead in zip(result.leads, org.leads, strict=True):
        record = lead.consent.email
        opted_out = record is not None and not record.given
        assert (read.consent.email is not None) == opted_out
    # The mess is there: placeholders, times without an offset, padded addresses,
    # source spellings folded into one.
    assert any("n/a" in row.values() for row in rows)
    assert any("+" not in row["Created"] for row in rows)
    assert any(row["Email"] != row["Email"].strip() for row in rows)
    folded = {n.original.casefold() for n in result.normalised if n.column == "Lead Source"}
    assert {"google", "linkedin"} <= folded


def test_a_duplicate_with_the_same_address_has_it_padded_in_the_table(org):
    rows = {row["Lead ID"]: row for row in org.leads_table()}
    by_id = {lead.id: lead for lead in org.leads}
    same = [
        lead
        for lead in org.leads
        if (original := org.truth[lead.id].duplicate_of) is not None
        and by_id[original].email == lead.email
    ]
    assert same
    for lead in same:
        cell = rows[lead.external_id]["Email"]
        assert cell != cell.strip()
        assert cell.strip() == str(lead.email)


def test_bad_rows_are_rejected_one_problem_each(org: SyntheticOrganisation):
    clean = org.leads_table()
    rows = org.leads_table(bad_rows=25)
    assert len(rows) == len(clean) + 25
    known = {lead.external_id for lead in org.leads}
    assert [row for row in rows if row["Lead ID"] in known] == clean
    bad_numbers = [i + 1 for i, row in enumerate(rows) if row["Lead ID"] not in known]
    assert len(bad_numbers) == 25
    result = read_leads(rows, MAPPING)
    assert [r.row for r in result.rejected] == bad_numbers
    for rejection in result.rejected:
        row = rows[rejection.row - 1]
        assert rejection.value == row[rejection.column]
        expected = REASONS[rejection.column]
        assert any(
            text in rejection.reason
            for text in ([expected] if isinstance(expected, str) else expected)
        )
    assert {r.column for r in result.rejected} == set(REASONS)
    assert [key_fields(x) for x in result.leads] == [
        key_fields(x) for x in read_leads(clean, MAPPING).leads
    ]


def test_bad_rows_without_leads(small: SyntheticOrganisation):
    empty = synthetic(leads=0, seed=5)
    rows = empty.leads_table(bad_rows=4)
    result = read_leads(rows, MAPPING)
    assert result.leads == ()
    assert len(result.rejected) == 4
    assert [r.row for r in result.rejected] == [1, 2, 3, 4]
    assert small.leads_table(bad_rows=2) == small.leads_table(bad_rows=2)


def test_the_csv_file_is_utf8_and_reads_back(small: SyntheticOrganisation, tmp_path: Path):
    path = tmp_path / "leads.csv"
    small.write_leads_csv(path, bad_rows=3)
    text = path.read_text(encoding="utf-8")
    names = {lead.last_name for lead in small.leads if lead.last_name}
    assert any(not name.isascii() for name in names)
    assert all(name in text for name in names)
    with path.open(encoding="utf-8", newline="") as stream:
        assert list(csv.DictReader(stream)) == small.leads_table(bad_rows=3)
    result = read_leads(path, MAPPING)
    assert len(result.rejected) == 3
    assert [key_fields(x) for x in result.leads] == [key_fields(x) for x in small.leads]


def test_reimporting_the_table_is_idempotent_by_external_id(small: SyntheticOrganisation):
    first = read_leads(small.leads_table(), MAPPING)
    second = read_leads(small.leads_table(), MAPPING)
    assert [x.external_id for x in first.leads] == [x.external_id for x in second.leads]
    assert len({x.external_id for x in first.leads}) == len(small.leads)


# ==================================================================== arguments


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"leads": -1}, "leads"),
        ({"leads": 2.5}, "leads"),
        ({"leads": True}, "leads"),
        ({"leads": "10"}, "leads"),
        ({"seed": "0"}, "seed"),
        ({"seed": 1.0}, "seed"),
        ({"days": 0}, "days"),
        ({"days": 1.5}, "days"),
        ({"days": 10**12}, "days"),
        ({"start": datetime(2026, 1, 1)}, "start"),
        ({"start": date(2026, 1, 1)}, "start"),
        ({"start": datetime(1960, 1, 1, tzinfo=UTC)}, "start"),
        ({"start": datetime(9500, 1, 1, tzinfo=UTC)}, "start"),
        ({"currency": "EURO"}, "currency"),
        ({"currency": "XAU"}, "currency"),
        ({"currency": 978}, "currency"),
    ],
)
def test_bad_arguments_name_their_key(options: dict[str, Any], key: str):
    with pytest.raises(InvalidConfiguration) as caught:
        synthetic(**options)
    assert caught.value.key == key
    assert key in str(caught.value)


@pytest.mark.parametrize("bad_rows", [-1, 1.5, True])
def test_bad_rows_must_be_a_count(small: SyntheticOrganisation, bad_rows: Any):
    with pytest.raises(InvalidConfiguration) as caught:
        small.leads_table(bad_rows=bad_rows)
    assert caught.value.key == "bad_rows"


def test_start_is_kept_in_utc_and_currency_any_case():
    zone = timezone(timedelta(hours=2))
    org = synthetic(leads=10, seed=1, start=datetime(2026, 5, 1, 8, 0, tzinfo=zone), days=5,
                    currency="usd")  # fmt: skip
    assert org.start == datetime(2026, 5, 1, 6, 0, tzinfo=UTC)
    assert org.start.tzinfo is UTC
    assert org.currency == "USD"
    assert all(t.amount.currency == "USD" for t in org.truth.values())
    assert all(lead.id in org.truth for lead in org.leads)
    assert isinstance(next(iter(org.truth)), LeadId)
