"""The rule scoring models: scores, bands, conditions, caps, fit, engagement, BANT, composites.

Every expected number is worked out here from the rule definitions (points times
weights, decay factors, shares of weights), never copied from a model's output.
"""

from __future__ import annotations

import functools
import importlib
import json
import math
import pickle
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest

from leadflow.activities import Activity, ActivityKind, Direction
from leadflow.errors import InvalidConfiguration, ValidationError
from leadflow.leads import Lead, LeadScore
from leadflow.scoring import (
    ENTRY_POINT_GROUP,
    LEAD_FIELDS,
    MODEL_TYPES,
    ActivityRule,
    Band,
    Bands,
    BantModel,
    Cap,
    Condition,
    Contribution,
    Criterion,
    Decay,
    DecayStep,
    EngagementModel,
    FitModel,
    FitRule,
    FrequencyBand,
    GradeMatrix,
    Qualification,
    QualifyRule,
    Score,
    Scores,
    ScoringModel,
    StageThresholds,
    WeightedSum,
    dump_toml,
    find_model,
    group_activities,
    load_model,
    model_from_dict,
    score_each,
)
from leadflow.scoring._features import field_getter
from leadflow.scoring._rules import bounded, capped_parts
from leadflow.values import (
    BANT,
    Assessment,
    Authority,
    Consent,
    ConsentRecord,
    ContactId,
    Money,
    Need,
)

UTC = timezone.utc
AT = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
CREATED = AT - timedelta(days=365)
K = ActivityKind


def ago(days: float) -> datetime:
    return AT - timedelta(days=days)


def make_lead(**fields: Any) -> Lead:
    return Lead(created_at=CREATED, **fields)


def act(
    lead: Lead, kind: ActivityKind, days_ago: float, direction: Direction | None = None
) -> Activity:
    when = ago(days_ago)
    return Activity(
        created_at=when, kind=kind, occurred_at=when, direction=direction, lead_id=lead.id
    )


def visits(lead: Lead, *days_ago: float) -> list[Activity]:
    return [act(lead, K.WEB_VISIT, d) for d in days_ago]


def raises_config(key: str, reason: str) -> Any:
    """Expect an InvalidConfiguration at ``key`` whose reason contains ``reason``."""
    return pytest.raises(InvalidConfiguration, match=f"at {_escape(key)}: .*{_escape(reason)}")


def _escape(text: str) -> str:
    return re.escape(text)


def check_config_error(error: InvalidConfiguration, key: str, reason: str) -> None:
    assert error.key == key
    assert reason in error.reason
    assert f"invalid configuration at {key}: " in str(error)
    assert reason in str(error)


# ============================================================================ Score


def test_score_of_sums_contributions_exactly() -> None:
    parts = [Contribution(name=n, points=p, reason="r") for n, p in (("a", 0.1), ("b", 0.2))]
    parts.append(Contribution(name="c", points=0.3, reason="r"))
    score = Score.of("m", parts, at=AT)
    # Naive float addition gives 0.6000000000000001; the exact sum rounds to 0.6.
    assert 0.1 + 0.2 + 0.3 != 0.6
    assert score.value == 0.6
    assert score.value == math.fsum([0.1, 0.2, 0.3])
    assert score.contributions == tuple(parts)
    assert Score.of("m", [], at=AT).value == 0.0


def test_score_whose_value_is_not_the_sum_is_refused() -> None:
    parts = [Contribution(name=n, points=p, reason="") for n, p in (("a", 0.1), ("b", 0.2))]
    parts.append(Contribution(name="c", points=0.3, reason=""))
    with pytest.raises(ValidationError) as info:
        Score(model="m", at=AT, contributions=parts, value=0.1 + 0.2 + 0.3)
    assert [p.path for p in info.value.problems] == ["value"]
    assert "sum of the contributions" in str(info.value)
    with pytest.raises(ValidationError) as info:
        Score(model="m", at=AT, contributions=parts, value=1.0)
    assert info.value.problems[0].path == "value"


def test_score_with_a_value_but_no_contributions_is_refused() -> None:
    with pytest.raises(ValidationError):
        Score(model="m", at=AT, value=5.0)


def test_score_explain_lines() -> None:
    score = Score.of(
        "fit",
        [
            Contribution(name="industry", points=25, reason="industry in ['Software']"),
            Contribution(name="no e-mail", points=-10, reason="email is missing"),
        ],
        at=AT,
        band="B",
        probability=0.25,
    )
    # The names are padded to the longest ("no e-mail", 9 characters); points take 9.
    assert score.explain().splitlines() == [
        "industry      +25.00  industry in ['Software']",
        "no e-mail     -10.00  email is missing",
        "total         +15.00  band B  probability 0.250",
    ]
    plain = Score.of("m", [Contribution(name="x", points=1.5, reason="why")], at=AT)
    assert plain.explain().splitlines() == ["x      +1.50  why", "total      +1.50"]


def test_score_top_orders_by_size_of_effect() -> None:
    parts = [
        Contribution(name="small", points=1, reason=""),
        Contribution(name="big loss", points=-30, reason=""),
        Contribution(name="medium", points=12, reason=""),
        Contribution(name="large", points=20, reason=""),
    ]
    score = Score.of("m", parts, at=AT)
    assert [c.name for c in score.top(2)] == ["big loss", "large"]
    assert [c.name for c in score.top()] == ["big loss", "large", "medium"]
    assert len(score.top(10)) == 4


def test_score_to_lead_score() -> None:
    lead = make_lead()
    score = Score.of(
        "fit", [Contribution(name="a", points=7, reason="")], at=AT, lead_id=lead.id, band="B"
    )
    assert score.to_lead_score() == LeadScore(value=7.0, model="fit", scored_at=AT, grade="B")
    assert Score.of("m", [], at=AT).to_lead_score().grade is None


@pytest.mark.parametrize("probability", [-0.1, 1.5, "0.5"])
def test_score_probability_out_of_range_is_refused(probability: Any) -> None:
    with pytest.raises(ValidationError) as info:
        Score.of("m", [], at=AT, probability=probability)
    assert info.value.problems[0].path == "probability"


@pytest.mark.parametrize("probability", [0.0, 0.5, 1.0])
def test_score_probability_in_range(probability: float) -> None:
    assert Score.of("m", [], at=AT, probability=probability).probability == probability


def test_score_refuses_naive_datetime_and_converts_to_utc() -> None:
    with pytest.raises(ValidationError) as info:
        Score.of("m", [], at=datetime(2025, 6, 1, 12))  # naive: the point of the test
    assert info.value.problems[0].path == "at"
    plus_two = timezone(timedelta(hours=2))
    score = Score.of("m", [], at=datetime(2025, 6, 1, 14, tzinfo=plus_two))
    assert score.at == AT
    assert score.at.tzinfo is UTC


def test_contribution_refuses_non_finite_points_and_blank_name() -> None:
    with pytest.raises(ValidationError):
        Contribution(name="x", points=math.nan, reason="")
    with pytest.raises(ValidationError):
        Contribution(name="x", points=math.inf, reason="")
    with pytest.raises(ValidationError):
        Contribution(name=" ", points=1, reason="")


# ============================================================================ Bands


def test_bands_boundaries() -> None:
    bands = Bands.of(hot=70, warm=40)
    assert bands.band(70) == "hot"  # exactly at a minimum: that band
    assert bands.band(1000) == "hot"
    assert bands.band(69.999) == "warm"
    assert bands.band(40) == "warm"
    assert bands.band(39.999) is None  # below every band
    assert bands.band(-math.inf) is None
    floor = Bands.of(hot=70, cold=-math.inf)
    assert floor.band(-1e300) == "cold"


def test_bands_are_kept_highest_first() -> None:
    bands = Bands((Band(name="cold"), Band(name="warm", minimum=40), Band(name="hot", minimum=70)))
    assert [b.name for b in bands.bands] == ["hot", "warm", "cold"]
    assert bands == Bands.of(hot=70, warm=40, cold=-math.inf)
    assert bool(bands)
    assert not Bands()
    assert Bands().band(5) is None


def test_bands_refuse_duplicate_names_and_minimums() -> None:
    with raises_config("bands[1].name", "is used by two bands") as info:
        Bands((Band(name="hot", minimum=70), Band(name="hot", minimum=40)))
    assert info.value.value == "hot"
    with raises_config("bands[1].min", "two bands start at the same value") as info:
        Bands((Band(name="hot", minimum=70), Band(name="warm", minimum=70)))
    assert info.value.value == 70


def test_bands_data_round_trip() -> None:
    data = [{"name": "hot", "min": 70.0}, {"name": "warm", "min": 40.0}, {"name": "cold"}]
    bands = Bands.from_data(data, "bands")
    assert bands == Bands.of(hot=70, warm=40, cold=-math.inf)
    assert bands.to_data() == data
    assert Bands.from_data(bands.to_data(), "bands") == bands
    assert Bands.from_data(None, "bands") == Bands()


def test_bands_from_bad_data() -> None:
    with raises_config("levels", "must be a list of bands"):
        Bands.from_data("hot", "levels")
    with raises_config("levels[1].max", "unknown key; expected one of: min, name"):
        Bands.from_data([{"name": "a", "min": 1}, {"name": "b", "max": 3}], "levels")
    with raises_config("levels[0].min", "must be a finite number"):
        Bands.from_data([{"name": "a", "min": "high"}], "levels")
    with raises_config("levels[0].name", "is required"):
        Bands.from_data([{"min": 3}], "levels")


def test_duplicate_band_is_reported_at_its_index_in_the_file() -> None:
    data = [
        {"name": "x", "min": 30},
        {"name": "a", "min": 20},
        {"name": "a", "min": 10},
        {"name": "y", "min": 40},
    ]
    # The file's second "a" is bands[2]; the code reports bands[3] (the "y" band).
    with pytest.raises(InvalidConfiguration) as info:
        Bands.from_data(data, "bands")
    assert info.value.key in {"bands[1].name", "bands[2].name"}


def test_duplicate_fit_grade_is_reported_under_fit_grades() -> None:
    data = grade_matrix_data()
    data["fit_grades"] = [{"name": "A", "min": 50}, {"name": "A", "min": 20}]
    with pytest.raises(InvalidConfiguration) as info:
        GradeMatrix.from_dict(data)
    assert info.value.key == "fit_grades[1].name"


# =========================================================================== Scores


def engagement_for_batches() -> EngagementModel:
    return EngagementModel(
        rules=[
            ActivityRule(name="visits", kinds=["web_visit"], points=5),
            FitRule(name="free mail", when=Condition(field="free_mail", equals=True), points=-3),
        ],
        decay=Decay(half_life_days=10),
        bands=Bands.of(hot=8, warm=2),
    )


@pytest.fixture
def batch() -> tuple[EngagementModel, list[Lead], list[Activity]]:
    model = engagement_for_batches()
    leads = [
        make_lead(email="a@acme.com"),
        make_lead(email="b@gmail.com"),
        make_lead(email="c@acme.com"),
    ]
    activities = [
        *visits(leads[0], 0, 10),  # 5 * (1 + 0.5) = 7.5 -> warm
        *visits(leads[1], 0),  # 5 - 3 = 2 -> warm
        *visits(leads[2], 0, 0),  # 10 -> hot
        act(leads[2], K.WEB_VISIT, -1),  # after `at`: not seen
    ]
    return model, leads, activities


def test_score_many_values_and_bands_equal_score(
    batch: tuple[EngagementModel, list[Lead], list[Activity]],
) -> None:
    model, leads, activities = batch
    scores = model.score_many(leads, activities, at=AT)
    assert scores.values == (7.5, 2.0, 10.0)
    assert scores.bands == ("warm", "warm", "hot")
    assert scores.probabilities == (None, None, None)
    grouped = group_activities(activities)
    singles = [model.score(lead, grouped[lead.id], at=AT) for lead in leads]
    assert list(scores.values) == [s.value for s in singles]
    assert list(scores.bands) == [s.band for s in singles]
    assert [model.value(lead, grouped[lead.id], at=AT) for lead in leads] == [7.5, 2.0, 10.0]


def test_scores_are_built_lazily_and_equal_score(
    batch: tuple[EngagementModel, list[Lead], list[Activity]],
) -> None:
    model, leads, activities = batch
    scores = model.score_many(leads, activities, at=AT)
    assert scores._built == {}
    grouped = group_activities(activities)
    first = scores[0]
    assert first == model.score(leads[0], grouped[leads[0].id], at=AT)
    assert first.lead_id == leads[0].id
    assert scores[0] is first  # kept once built
    assert list(scores._built) == [0]
    assert list(scores) == [model.score(lead, grouped[lead.id], at=AT) for lead in leads]


def test_scores_sequence_behaviour(
    batch: tuple[EngagementModel, list[Lead], list[Activity]],
) -> None:
    model, leads, activities = batch
    scores = model.score_many(leads, activities, at=AT)
    assert len(scores) == 3
    assert scores[-1] == scores[2]
    assert scores[-1].value == 10.0
    assert [s.value for s in scores[0:2]] == [7.5, 2.0]
    assert [s.value for s in scores[::-1]] == [10.0, 2.0, 7.5]
    with pytest.raises(IndexError):
        scores[3]
    assert scores.by_lead() == {leads[0].id: 7.5, leads[1].id: 2.0, leads[2].id: 10.0}
    assert scores.records() == [
        {"lead_id": str(leads[0].id), "value": 7.5, "band": "warm", "probability": None},
        {"lead_id": str(leads[1].id), "value": 2.0, "band": "warm", "probability": None},
        {"lead_id": str(leads[2].id), "value": 10.0, "band": "hot", "probability": None},
    ]
    assert repr(scores) == f"<Scores of 3 leads by 'engagement' at {AT.isoformat()}>"


def test_scores_to_frame(batch: tuple[EngagementModel, list[Lead], list[Activity]]) -> None:
    pytest.importorskip("pandas")
    model, leads, activities = batch
    frame = model.score_many(leads, activities, at=AT).to_frame()
    assert list(frame.columns) == ["lead_id", "value", "band", "probability"]
    assert frame["value"].tolist() == [7.5, 2.0, 10.0]
    assert frame["band"].tolist() == ["warm", "warm", "hot"]
    assert frame["lead_id"].tolist() == [str(lead.id) for lead in leads]


def test_scores_constructor_checks_lengths() -> None:
    with pytest.raises(ValueError, match="same length"):
        Scores(
            model="m",
            at=AT,
            leads=[make_lead()],
            activities={},
            values=[],
            bands=[],
            explain=lambda lead, acts: Score.of("m", [], at=AT),
        )


def test_group_activities_leaves_out_activities_without_a_lead() -> None:
    one, two = make_lead(), make_lead()
    a1, a2, a3 = act(one, K.CALL, 1), act(two, K.CALL, 2), act(one, K.EMAIL, 3)
    orphan = Activity(created_at=AT, kind=K.CALL, occurred_at=AT, contact_id=ContactId.new())
    assert group_activities([a1, orphan, a2, a3]) == {one.id: [a1, a3], two.id: [a2]}
    grouped = {one.id: [a1]}
    assert group_activities(grouped) is grouped  # a mapping is already grouped


def test_score_many_takes_grouped_activities(
    batch: tuple[EngagementModel, list[Lead], list[Activity]],
) -> None:
    model, leads, activities = batch
    grouped = group_activities(activities)
    assert model.score_many(leads, grouped, at=AT).values == (7.5, 2.0, 10.0)
    flat = score_each(FlatModel(per_activity=1), leads, grouped, at=AT)
    assert flat.values == (2.0, 1.0, 2.0)
    assert flat[1] == FlatModel(per_activity=1).score(leads[1], grouped[leads[1].id], at=AT)


# ======================================================================= Conditions


def holds(condition: Condition, lead: Lead, activities: Sequence[Activity] = ()) -> bool:
    return condition.test(lead, activities, AT)


def test_condition_in_and_not_in_ignore_case() -> None:
    condition = Condition(field="industry", one_of=("Software", "SaaS"))
    assert holds(condition, make_lead(industry="software"))
    assert holds(condition, make_lead(industry="SAAS"))
    assert not holds(condition, make_lead(industry="Retail"))
    assert not holds(condition, make_lead())  # missing fails
    not_in = Condition(field="industry", none_of=("Retail",))
    assert holds(not_in, make_lead(industry="Software"))
    assert not holds(not_in, make_lead(industry="RETAIL"))
    assert not holds(not_in, make_lead())  # missing fails not_in too
    numbers = Condition(field="company_size", one_of=(10, 20))
    assert holds(numbers, make_lead(company_size=20))
    assert not holds(numbers, make_lead(company_size=21))


def test_condition_on_a_set_valued_field() -> None:
    lead = make_lead(product_interests={"crm", "ERP"})
    assert holds(Condition(field="product_interests", one_of=("CRM",)), lead)
    assert holds(Condition(field="product_interests", one_of=("erp", "hr")), lead)
    assert not holds(Condition(field="product_interests", one_of=("hr",)), lead)
    assert not holds(Condition(field="product_interests", none_of=("crm",)), lead)
    assert holds(Condition(field="product_interests", none_of=("hr",)), lead)
    empty = make_lead()
    assert not holds(Condition(field="product_interests", one_of=("crm",)), empty)
    assert holds(Condition(field="product_interests", missing=True), empty)


def test_condition_equals_texts_numbers_and_booleans() -> None:
    assert holds(Condition(field="country", equals="de"), make_lead(country="DE"))
    assert not holds(Condition(field="country", equals="de"), make_lead(country="FR"))
    assert holds(Condition(field="company_size", equals=100), make_lead(company_size=100))
    assert not holds(Condition(field="company_size", equals=100), make_lead(company_size=101))
    gmail, work = make_lead(email="jo@gmail.com"), make_lead(email="jo@acme.com")
    assert holds(Condition(field="free_mail", equals=True), gmail)
    assert not holds(Condition(field="free_mail", equals=True), work)
    # false is a value, not a missing one
    assert holds(Condition(field="free_mail", equals=False), work)
    assert not holds(Condition(field="free_mail", equals=False), gmail)
    assert not holds(Condition(field="free_mail", equals=False), make_lead())


def test_condition_equals_true_does_not_match_the_number_one() -> None:
    assert not Condition(field="company_size", equals=True).holds(1)


def test_condition_min_max_inclusive() -> None:
    condition = Condition(field="company_size", minimum=50, maximum=200)
    assert holds(condition, make_lead(company_size=50))
    assert holds(condition, make_lead(company_size=200))
    assert not holds(condition, make_lead(company_size=49))
    assert not holds(condition, make_lead(company_size=201))
    assert not holds(condition, make_lead())
    assert holds(Condition(field="company_size", minimum=50), make_lead(company_size=10**6))
    assert holds(Condition(field="company_size", maximum=10), make_lead(company_size=0))
    # a boolean or a text is not a number
    assert not Condition(field="custom.x", minimum=0).holds(True)
    assert not Condition(field="custom.x", minimum=0).holds("5")


def test_condition_matches() -> None:
    condition = Condition(field="title", matches="^VP")
    assert holds(condition, make_lead(title="VP Sales"))
    assert not holds(condition, make_lead(title="Senior VP"))  # re.search with an anchor
    anywhere = Condition(field="title", matches=r"(?i)\bhead\b")
    assert holds(anywhere, make_lead(title="Global Head of IT"))
    assert not holds(anywhere, make_lead(title="Headhunter"))
    assert not holds(anywhere, make_lead())
    assert not Condition(field="company_size", matches="1").holds(1)


def test_condition_matches_fails_on_an_empty_text() -> None:
    assert not Condition(field="title", matches="x*").holds("")
    assert not holds(Condition(field="title", matches="^"), make_lead(title=""))


def test_condition_missing() -> None:
    missing, present = (
        Condition(field="email", missing=True),
        Condition(field="email", missing=False),
    )
    assert holds(missing, make_lead())
    assert not holds(present, make_lead())
    assert holds(present, make_lead(email="a@b.com"))
    assert not holds(missing, make_lead(email="a@b.com"))
    assert missing.holds("")
    assert not missing.holds(0)


def test_condition_describe() -> None:
    cases = [
        (Condition(field="industry", one_of=("Software", "SaaS")),
         "industry in ['Software', 'SaaS']"),
        (Condition(field="industry", none_of=("Retail",)), "industry not in ['Retail']"),
        (Condition(field="free_mail", equals=True), "free_mail = true"),
        (Condition(field="free_mail", equals=False), "free_mail = false"),
        (Condition(field="country", equals="DE"), "country = 'DE'"),
        (Condition(field="company_size", equals=100), "company_size = 100"),
        (Condition(field="title", matches="^VP"), "title matches '^VP'"),
        (Condition(field="company_size", minimum=50), "company_size >= 50"),
        (Condition(field="company_size", maximum=2.5), "company_size <= 2.5"),
        (Condition(field="company_size", minimum=50.0, maximum=200), "company_size in 50..200"),
        (Condition(field="email", missing=True), "email is missing"),
        (Condition(field="email", missing=False), "email is present"),
        (Condition(field="company_size", one_of=(10, 2.5)), "company_size in [10, 2.5]"),
    ]  # fmt: skip
    for condition, text in cases:
        assert condition.describe() == text


def test_condition_needs_exactly_one_test() -> None:
    with raises_config("when", "give exactly one test") as info:
        Condition(field="industry", one_of=("a",), equals="a")
    assert info.value.value == ["in", "equals"]
    with raises_config("when", "give exactly one test") as info:
        Condition(field="industry")
    with raises_config("when", "give exactly one test"):
        Condition(field="company_size", minimum=1, missing=True)
    # min and max together are one test
    Condition(field="company_size", minimum=1, maximum=3)


def test_condition_bad_regex_and_unknown_field() -> None:
    with raises_config("when.matches", "not a valid regular expression") as info:
        Condition(field="title", matches="(unclosed")
    assert info.value.value == "(unclosed"
    with pytest.raises(InvalidConfiguration) as error:
        Condition(field="shoe_size", equals=42)
    assert error.value.key == "when.field"
    assert error.value.value == "shoe_size"
    assert "unknown field; expected one of: " in error.value.reason
    for name in LEAD_FIELDS:
        assert name in error.value.reason
    with raises_config("when.field", "unknown activity kind; expected one of: call, email"):
        Condition(field="activity.fax", minimum=1)
    with raises_config("rules[0].when.matches", "not a valid regular expression"):
        FitModel.from_dict(
            {"rules": [{"name": "r", "when": {"field": "title", "matches": "["}, "points": 1}]}
        )


def test_condition_data_round_trip() -> None:
    data = {"field": "industry", "in": ["Software", "SaaS"]}
    condition = Condition.from_data(data, "when")
    assert condition == Condition(field="industry", one_of=("Software", "SaaS"))
    assert condition.to_data() == data
    ranged = Condition.from_data({"field": "company_size", "min": 5, "max": 9}, "when")
    assert ranged.to_data() == {"field": "company_size", "min": 5.0, "max": 9.0}
    assert Condition.from_data({"field": "email", "missing": False}, "w").missing is False


def test_field_custom_and_activity_counts() -> None:
    lead = make_lead(custom_fields={"tier": "Gold", "seats": 12})
    assert field_getter("custom.tier")(lead, (), AT) == "Gold"
    assert field_getter("custom.nothing")(lead, (), AT) is None
    assert holds(Condition(field="custom.tier", one_of=("gold",)), lead)
    assert holds(Condition(field="custom.seats", minimum=10), lead)
    assert not holds(Condition(field="custom.nothing", equals="x"), lead)
    activities = [*visits(lead, 10, 3, 0), act(lead, K.WEB_VISIT, -2), act(lead, K.CALL, 1)]
    count = field_getter("activity.web_visit")
    # at or before `at` only: the one two days ahead is not counted, nor the call
    assert count(lead, activities, AT) == 3
    assert count(lead, activities, ago(3)) == 2  # the visit exactly at `at` counts
    assert count(lead, activities, ago(-2)) == 4
    assert holds(Condition(field="activity.web_visit", minimum=3), lead, activities)
    assert not Condition(field="activity.web_visit", minimum=3).test(lead, activities, ago(1))
    with pytest.raises(InvalidConfiguration):
        field_getter("nope", key="features[0]")


def test_field_mail_and_web_domains() -> None:
    gmail = make_lead(email="Jane.Doe@GMail.com", website="https://www.Acme.com/about")
    assert field_getter("email_domain")(gmail, (), AT) == "gmail.com"
    assert field_getter("free_mail")(gmail, (), AT) is True
    assert field_getter("website_domain")(gmail, (), AT) == "acme.com"
    assert holds(Condition(field="email_domain", equals="gmail.com"), gmail)
    assert holds(Condition(field="website_domain", one_of=("ACME.com",)), gmail)
    work = make_lead(email="jane@acme.com", website="not a website")
    assert field_getter("free_mail")(work, (), AT) is False
    assert field_getter("website_domain")(work, (), AT) is None
    assert holds(Condition(field="website_domain", missing=True), work)
    nobody = make_lead()
    for name in ("email", "email_domain", "free_mail", "website_domain"):
        assert field_getter(name)(nobody, (), AT) is None


def test_field_do_not_contact() -> None:
    blocked = make_lead(
        consent=Consent(do_not_contact=ConsentRecord(given=True, at=ago(5), source="call"))
    )
    lifted = make_lead(consent=Consent(do_not_contact=ConsentRecord(given=False, at=ago(5))))
    condition = Condition(field="do_not_contact", equals=True)
    assert holds(condition, blocked)
    assert not holds(condition, lifted)
    assert not holds(condition, make_lead())
    assert holds(Condition(field="do_not_contact", equals=False), make_lead())


def test_field_days_since_last_activity() -> None:
    lead = make_lead()
    activities = [act(lead, K.CALL, 10), act(lead, K.EMAIL, 2.5), act(lead, K.CALL, -1)]
    days = field_getter("days_since_last_activity")
    assert days(lead, activities, AT) == 2.5  # the one in the future is not seen
    assert days(lead, activities, ago(5)) == 5.0  # at 5 days ago: the call 10 days ago
    assert days(lead, activities, ago(11)) is None
    recent = Condition(field="days_since_last_activity", maximum=3)
    assert holds(recent, lead, activities)
    assert not recent.test(lead, activities, ago(5))
    assert not holds(recent, lead, [])
    assert holds(Condition(field="days_since_last_activity", missing=True), lead, [])


# ============================================================================= Caps


def test_cap_basics() -> None:
    cap = Cap(maximum=10, minimum=-5)
    assert cap.excess(12) == -2
    assert cap.excess(-8) == 3
    assert cap.excess(10) == 0.0
    assert cap.excess(-5) == 0.0
    assert cap.describe(12) == "capped at 10 (was 12)"
    assert cap.describe(-8) == "floored at -5 (was -8)"
    assert cap.to_data() == {"max": 10, "min": -5}
    assert bool(cap)
    assert not Cap()
    assert Cap().excess(1e300) == 0.0
    with raises_config("min", "must not be above max"):
        Cap(maximum=1, minimum=2)


def test_bounded_keeps_the_exact_sum_within_the_cap() -> None:
    assert bounded([3.0, 4.0], Cap(maximum=10)) == 0.0
    assert bounded([6.0, 7.0], Cap(maximum=10)) == -3.0
    assert bounded([-6.0, -7.0], Cap(minimum=-10)) == 3.0
    # fsum([0.1, 0.2]) is 0.30000000000000004; the adjustment brings it to 0.3 at most
    adjustment = bounded([0.1, 0.2], Cap(maximum=0.3))
    assert adjustment < 0
    assert math.fsum([0.1, 0.2, adjustment]) <= 0.3


def test_capped_parts_adds_group_and_total_caps() -> None:
    parts = [("a", 6.0, "ra"), ("b", 7.0, "rb"), ("c", 3.0, "rc")]
    groups = {"a": "g", "b": "g", "c": None}
    out = capped_parts(parts, groups, {"g": Cap(maximum=10)}, Cap(maximum=12))
    # group g: 6 + 7 = 13 -> -3; total: 6 + 7 + 3 - 3 = 13 -> -1
    assert out == [
        *parts,
        ("cap: g", -3.0, "group 'g' capped at 10 (was 13)"),
        ("cap: total", -1.0, "total capped at 12 (was 13)"),
    ]
    quiet = capped_parts(parts, groups, {"g": Cap(maximum=10)}, Cap(maximum=12), explain=False)
    assert quiet == [*parts, ("cap: g", -3.0, ""), ("cap: total", -1.0, "")]
    assert capped_parts(parts, groups, {}, Cap(maximum=12)) == [
        *parts,
        ("cap: total", -4.0, "total capped at 12 (was 16)"),
    ]
    assert capped_parts(parts, groups, {"g": Cap(maximum=20)}, Cap()) == parts
    # parts with no points are left out
    assert capped_parts([*parts, ("d", 0.0, "")], groups, {}, Cap()) == parts


def fit_with_caps() -> FitModel:
    return FitModel(
        rules=[
            FitRule(
                name="industry", when=Condition(field="industry", equals="Software"), points=25
            ),
            FitRule(
                name="size",
                when=Condition(field="company_size", minimum=50),
                points=20,
                group="firmographics",
            ),
            FitRule(
                name="country",
                when=Condition(field="country", one_of=("DE", "AT")),
                points=15,
                group="firmographics",
            ),
            FitRule(
                name="no e-mail",
                when=Condition(field="email", missing=True),
                points=-40,
                group="penalties",
            ),
        ],
        groups={"firmographics": Cap(maximum=25), "penalties": Cap(minimum=-30)},
        total=Cap(maximum=45, minimum=-20),
    )


def test_group_cap_and_total_cap_contributions() -> None:
    model = fit_with_caps()
    lead = make_lead(industry="Software", company_size=500, country="DE", email="a@b.com")
    score = model.score(lead, at=AT)
    # 25 + 20 + 15 = 60; firmographics 35 -> 25 (-10); total 50 -> 45 (-5)
    assert [(c.name, c.points) for c in score.contributions] == [
        ("industry", 25.0),
        ("size", 20.0),
        ("country", 15.0),
        ("cap: firmographics", -10.0),
        ("cap: total", -5.0),
    ]
    assert score.contributions[3].reason == "group 'firmographics' capped at 25 (was 35)"
    assert score.contributions[4].reason == "total capped at 45 (was 50)"
    assert score.value == 45.0


def test_floor_caps() -> None:
    model = fit_with_caps()
    lead = make_lead(industry="Retail")
    score = model.score(lead, at=AT)
    # no e-mail -40, floored to -30 by its group (+10), then -30 to -20 by the total (+10)
    assert [(c.name, c.points, c.reason) for c in score.contributions] == [
        ("no e-mail", -40.0, "email is missing"),
        ("cap: penalties", 10.0, "group 'penalties' floored at -30 (was -40)"),
        ("cap: total", 10.0, "total floored at -20 (was -30)"),
    ]
    assert score.value == -20.0


# ======================================================================= Engagement


def test_points_per_activity() -> None:
    lead = make_lead()
    model = EngagementModel(rules=[ActivityRule(name="visits", kinds=["web_visit"], points=5)])
    score = model.score(lead, [*visits(lead, 1, 20, 300), act(lead, K.CALL, 1)], at=AT)
    assert score.value == 15.0  # 3 visits x 5, no decay; the call matches no rule
    assert score.contributions == (Contribution(name="visits", points=15.0, reason="3 x 5 points"),)
    assert model.score(lead, [], at=AT).contributions == ()
    assert model.score(lead, [], at=AT).value == 0.0


def test_direction_multipliers() -> None:
    lead = make_lead()
    model = EngagementModel(
        rules=[ActivityRule(name="e-mails", kinds=[K.EMAIL], points=4)],
        direction={"inbound": 1.0, Direction.OUTBOUND: 0.5},
    )
    activities = [
        act(lead, K.EMAIL, 1, Direction.INBOUND),
        act(lead, K.EMAIL, 1, Direction.OUTBOUND),
        act(lead, K.EMAIL, 1),  # no direction: counts once
    ]
    score = model.score(lead, activities, at=AT)
    # weight 1 + 0.5 + 1 = 2.5, times 4 points
    assert score.value == 10.0
    assert score.contributions[0].reason == (
        "3 x 4 points, weighted to 2.5 (inbound x1, outbound x0.5)"
    )
    only_outbound = EngagementModel(
        rules=[ActivityRule(name="e-mails", kinds=[K.EMAIL], points=4)],
        direction={Direction.OUTBOUND: 0.25},
    )
    # inbound has no multiplier (1), outbound 0.25, none 1: 4 * 2.25
    assert only_outbound.value(lead, activities, at=AT) == 9.0


@pytest.mark.parametrize(
    "half_life",
    [
        1,
        10,
        30,
        90,
        7,
        14,
        61,
    ],
)
def test_one_half_life_counts_exactly_half(half_life: float) -> None:
    decay = Decay(half_life_days=half_life)
    assert decay.factor(half_life) == 0.5
    assert decay.factor(2 * half_life) == 0.25
    lead = make_lead()
    model = EngagementModel(
        rules=[ActivityRule(name="visits", kinds=["web_visit"], points=10)], decay=decay
    )
    assert model.value(lead, visits(lead, half_life), at=AT) == 5.0


def test_half_life_decay() -> None:
    decay = Decay(half_life_days=30)
    assert decay.factor(0) == 1.0
    assert decay.factor(30) == 0.5  # exactly one half-life old
    assert decay.factor(60) == 0.25
    assert decay.factor(15) == pytest.approx(2**-0.5)
    lead = make_lead()
    model = EngagementModel(
        rules=[ActivityRule(name="visits", kinds=["web_visit"], points=10)], decay=decay
    )
    assert model.value(lead, visits(lead, 30), at=AT) == 5.0
    score = model.score(lead, visits(lead, 0, 30, 60), at=AT)
    # 10 * (1 + 0.5 + 0.25)
    assert score.value == 17.5
    assert score.contributions[0].reason == "3 x 10 points, weighted to 1.75 (half-life 30 days)"


def test_step_decay() -> None:
    decay = Decay(
        steps=[DecayStep(within_days=30, factor=0.5), DecayStep(within_days=7, factor=1.0)],
        after=0.25,
    )
    assert [s.within_days for s in decay.steps] == [7, 30]  # kept in order
    assert [decay.factor(d) for d in (0, 7, 7.5, 30, 30.01, 1000)] == [1, 1, 0.5, 0.5, 0.25, 0.25]
    assert decay.describe() == "x1 to 7 d, x0.5 to 30 d, x0.25 after"
    assert Decay(steps=[DecayStep(within_days=7, factor=1.0)]).factor(8) == 0.0
    lead = make_lead()
    model = EngagementModel(
        rules=[ActivityRule(name="visits", kinds=["web_visit"], points=10)], decay=decay
    )
    # 10 * (1 + 1 + 0.5 + 0.5 + 0.25)
    assert model.value(lead, visits(lead, 0, 7, 8, 30, 31), at=AT) == 32.5


def test_no_decay_object() -> None:
    assert not Decay()
    assert Decay().factor(1e6) == 1.0
    assert Decay().describe() == "no decay"
    with raises_config("decay", "give half_life_days or steps, not both"):
        Decay(half_life_days=3, steps=[DecayStep(within_days=1, factor=1)])


def test_rules_without_decay_and_negative_points() -> None:
    lead = make_lead()
    model = EngagementModel(
        rules=[
            ActivityRule(name="visits", kinds=["web_visit"], points=10),
            ActivityRule(name="unsubscribed", kinds=["unsubscribe"], points=-40, decay=False),
            ActivityRule(name="bounced", kinds=["email_bounce"], points=-10, decay=False),
        ],
        decay=Decay(half_life_days=30),
    )
    activities = [
        *visits(lead, 60),
        act(lead, K.UNSUBSCRIBE, 300),
        act(lead, K.EMAIL_BOUNCE, 90),
        act(lead, K.EMAIL_BOUNCE, 0),
    ]
    score = model.score(lead, activities, at=AT)
    # visit 10 * 0.25 = 2.5; unsubscribe -40 undecayed; bounces -10 x 2 undecayed
    assert [(c.name, c.points, c.reason) for c in score.contributions] == [
        ("visits", 2.5, "1 x 10 points, weighted to 0.25 (half-life 30 days)"),
        ("unsubscribed", -40.0, "1 x -40 points"),
        ("bounced", -20.0, "2 x -10 points"),
    ]
    assert score.value == -57.5


def test_frequency_bands() -> None:
    lead = make_lead()
    model = EngagementModel(
        rules=[
            ActivityRule(
                name="regular visitor",
                kinds=["web_visit"],
                frequency=[
                    FrequencyBand(minimum=1, maximum=2, points=5),
                    FrequencyBand(minimum=3, points=12),
                ],
                within_days=30,
            )
        ],
        decay=Decay(half_life_days=7),  # frequency points are not decayed
    )
    assert model.value(lead, visits(lead, 1), at=AT) == 5.0
    assert model.value(lead, visits(lead, 1, 29), at=AT) == 5.0
    score = model.score(lead, visits(lead, 1, 10, 30, 31), at=AT)  # 31 days: outside
    assert score.value == 12.0
    assert score.contributions[0].reason == "3 activities in the last 30 days: 12 points"
    assert model.value(lead, visits(lead, 31, 40), at=AT) == 0.0
    assert FrequencyBand(minimum=1, maximum=2, points=5).covers(2)
    assert not FrequencyBand(minimum=1, maximum=2, points=5).covers(3)


def test_frequency_band_gap_gives_nothing() -> None:
    lead = make_lead()
    model = EngagementModel(
        rules=[
            ActivityRule(
                name="visits",
                kinds=["web_visit"],
                frequency=[FrequencyBand(minimum=5, points=9)],
            )
        ]
    )
    assert model.score(lead, visits(lead, 1, 2), at=AT).contributions == ()


def test_frequency_band_from_zero_applies_without_activities() -> None:
    model = EngagementModel.from_dict(
        {
            "rules": [
                {
                    "name": "silent",
                    "kinds": ["web_visit"],
                    "frequency": [{"min": 0, "max": 0, "points": -5}, {"min": 1, "points": 5}],
                }
            ]
        }
    )
    assert model.value(make_lead(), [], at=AT) == -5.0


def test_rule_cap() -> None:
    lead = make_lead()
    model = EngagementModel(
        rules=[ActivityRule(name="clicks", kinds=["email_click"], points=3, cap=Cap(maximum=15))]
    )
    clicks = [act(lead, K.EMAIL_CLICK, d) for d in range(7)]
    score = model.score(lead, clicks, at=AT)
    # 7 x 3 = 21, capped at 15 in the rule's own contribution
    assert score.contributions == (
        Contribution(name="clicks", points=15.0, reason="7 x 3 points; capped at 15 (was 21)"),
    )
    assert model.value(lead, clicks[:4], at=AT) == 12.0
    floor = EngagementModel(
        rules=[
            ActivityRule(name="bounces", kinds=["email_bounce"], points=-10, cap=Cap(minimum=-15))
        ]
    )
    bounces = [act(lead, K.EMAIL_BOUNCE, d) for d in range(3)]
    assert floor.score(lead, bounces, at=AT).contributions == (
        Contribution(
            name="bounces", points=-15.0, reason="3 x -10 points; floored at -15 (was -30)"
        ),
    )


def test_rule_cap_is_never_passed() -> None:
    lead = make_lead()
    model = EngagementModel(
        rules=[ActivityRule(name="visit", kinds=["web_visit"], points=1, cap=Cap(maximum=0.3))]
    )
    assert model.value(lead, visits(lead, 0), at=AT) <= 0.3


def test_attribute_rules_in_engagement() -> None:
    model = EngagementModel(
        rules=[
            ActivityRule(name="visits", kinds=["web_visit"], points=2),
            FitRule(
                name="free-mail address", when=Condition(field="free_mail", equals=True), points=-5
            ),
        ]
    )
    gmail, work = make_lead(email="x@gmail.com"), make_lead(email="x@acme.com")
    score = model.score(gmail, visits(gmail, 1), at=AT)
    assert [(c.name, c.points, c.reason) for c in score.contributions] == [
        ("visits", 2.0, "1 x 2 points"),
        ("free-mail address", -5.0, "free_mail = true"),
    ]
    assert score.value == -3.0
    assert model.value(work, visits(work, 1), at=AT) == 2.0


def test_activities_after_at_are_ignored() -> None:
    lead = make_lead()
    model = EngagementModel(rules=[ActivityRule(name="visits", kinds=["web_visit"], points=5)])
    activities = [*visits(lead, 10, 2, 0), act(lead, K.WEB_VISIT, -1)]
    assert model.value(lead, activities, at=AT) == 15.0  # the one a day ahead is not seen
    assert model.value(lead, activities, at=ago(5)) == 5.0  # only the visit 10 days ago
    assert model.value(lead, activities, at=ago(11)) == 0.0
    earlier = model.score(lead, activities, at=ago(2))
    assert earlier.value == 10.0
    assert earlier.at == ago(2)


def test_decay_is_measured_from_at() -> None:
    lead = make_lead()
    model = EngagementModel(
        rules=[ActivityRule(name="visits", kinds=["web_visit"], points=8)],
        decay=Decay(half_life_days=10),
    )
    activities = visits(lead, 10)
    assert model.value(lead, activities, at=AT) == 4.0
    assert model.value(lead, activities, at=ago(10)) == 8.0
    assert model.value(lead, activities, at=ago(-10)) == 2.0


def test_rule_direction_filter_and_window() -> None:
    lead = make_lead()
    model = EngagementModel(
        rules=[
            ActivityRule(
                name="inbound calls", kinds=["call"], points=10, direction=Direction.INBOUND
            ),
            ActivityRule(
                name="recent outbound",
                kinds=["call", "email"],
                points=1,
                direction=Direction.OUTBOUND,
                within_days=7,
            ),
        ]
    )
    activities = [
        act(lead, K.CALL, 1, Direction.INBOUND),
        act(lead, K.CALL, 2, Direction.INBOUND),
        act(lead, K.CALL, 1, Direction.OUTBOUND),
        act(lead, K.EMAIL, 7, Direction.OUTBOUND),  # exactly 7 days: inside
        act(lead, K.EMAIL, 8, Direction.OUTBOUND),  # outside
        act(lead, K.CALL, 1),  # no direction: neither rule
    ]
    score = model.score(lead, activities, at=AT)
    assert [(c.name, c.points, c.reason) for c in score.contributions] == [
        ("inbound calls", 20.0, "2 x 10 points"),
        ("recent outbound", 2.0, "2 x 1 points in the last 7 days"),
    ]


def test_rule_direction_given_as_text() -> None:
    lead = make_lead()
    rule = ActivityRule(name="out", kinds=["call"], points=1, direction="outbound")
    model = EngagementModel(rules=[rule])
    assert model.value(lead, [act(lead, K.CALL, 1, Direction.OUTBOUND)], at=AT) == 1.0
    assert model.to_dict()["rules"][0]["direction"] == "outbound"


def test_engagement_explanation_mentions_count_decay_direction_and_cap() -> None:
    lead = make_lead()
    model = EngagementModel(
        rules=[ActivityRule(name="clicks", kinds=["email_click"], points=8, cap=Cap(maximum=5))],
        decay=Decay(half_life_days=30),
        direction={"inbound": 1.0, "outbound": 0.5},
    )
    activities = [
        act(lead, K.EMAIL_CLICK, 0, Direction.INBOUND),
        act(lead, K.EMAIL_CLICK, 30, Direction.OUTBOUND),
    ]
    score = model.score(lead, activities, at=AT)
    # weight 1 * 1 + 0.5 * 0.5 = 1.25; 8 x 1.25 = 10, capped at 5
    assert score.value == 5.0
    assert score.contributions[0].reason == (
        "2 x 8 points, weighted to 1.25 (half-life 30 days; inbound x1, outbound x0.5);"
        " capped at 5 (was 10)"
    )


def test_engagement_groups_and_total() -> None:
    lead = make_lead()
    model = EngagementModel(
        rules=[
            ActivityRule(name="visits", kinds=["web_visit"], points=4, group="web"),
            ActivityRule(name="forms", kinds=["form_submission"], points=5, group="web"),
            ActivityRule(name="meetings", kinds=["meeting"], points=3),
        ],
        groups={"web": Cap(maximum=10)},
        total=Cap(maximum=11),
        bands=Bands.of(hot=11, warm=5),
    )
    activities = [*visits(lead, 1, 2), act(lead, K.FORM_SUBMISSION, 1), act(lead, K.MEETING, 3)]
    score = model.score(lead, activities, at=AT)
    # web: 8 + 5 = 13 -> 10 (-3); total 8 + 5 + 3 - 3 = 13 -> 11 (-2)
    assert [(c.name, c.points) for c in score.contributions] == [
        ("visits", 8.0),
        ("forms", 5.0),
        ("meetings", 3.0),
        ("cap: web", -3.0),
        ("cap: total", -2.0),
    ]
    assert score.value == 11.0
    assert score.band == "hot"


def test_activity_rule_needs_points_or_frequency_and_kinds() -> None:
    with raises_config("points", "give points (per activity) or frequency, not both"):
        ActivityRule(name="r", kinds=["call"])
    with raises_config("points", "give points (per activity) or frequency, not both"):
        ActivityRule(
            name="r", kinds=["call"], points=1, frequency=[FrequencyBand(minimum=1, points=1)]
        )
    with raises_config("kinds", "must name at least one kind"):
        ActivityRule(name="r", kinds=[], points=1)


def test_engagement_refuses_duplicate_rule_names_and_unused_groups() -> None:
    rule = ActivityRule(name="r", kinds=["call"], points=1)
    with raises_config("rules[1].name", "is used by two rules"):
        EngagementModel(rules=[rule, rule])
    with raises_config("groups.web", "no rule is in this group"):
        EngagementModel(rules=[rule], groups={"web": Cap(maximum=1)})


# ============================================================================== Fit


def fit_model() -> FitModel:
    return FitModel(
        rules=[
            FitRule(
                name="target industry",
                when=Condition(field="industry", one_of=("Software", "SaaS")),
                points=25,
            ),
            FitRule(
                name="mid-market",
                when=Condition(field="company_size", minimum=50, maximum=1000),
                points=20,
                group="firmographics",
            ),
            FitRule(
                name="senior title",
                when=Condition(field="title", matches=r"(?i)\b(vp|head|chief|director)\b"),
                points=15,
            ),
            FitRule(
                name="large software",
                when=[
                    Condition(field="industry", equals="software"),
                    Condition(field="company_size", minimum=200),
                ],
                points=10,
                group="firmographics",
            ),
            FitRule(name="no e-mail", when=Condition(field="email", missing=True), points=-10),
        ],
        groups={"firmographics": Cap(maximum=25)},
        total=Cap(maximum=60),
        bands=Bands.of(A=50, B=30, C=-math.inf),
    )


def test_fit_rules_caps_and_bands() -> None:
    model = fit_model()
    best = make_lead(industry="SOFTWARE", company_size=500, title="VP Sales", email="a@acme.io")
    score = model.score(best, at=AT)
    # 25 + 20 + 15 + 10 = 70; firmographics 30 -> 25 (-5); total 65 -> 60 (-5)
    assert [(c.name, c.points) for c in score.contributions] == [
        ("target industry", 25.0),
        ("mid-market", 20.0),
        ("senior title", 15.0),
        ("large software", 10.0),
        ("cap: firmographics", -5.0),
        ("cap: total", -5.0),
    ]
    assert score.value == 60.0
    assert score.band == "A"
    assert score.model == "fit"
    assert score.lead_id == best.id
    assert score.contributions[3].reason == "industry = 'software' and company_size >= 200"


def test_fit_all_conditions_of_a_rule_must_hold() -> None:
    model = fit_model()
    # software but small: "large software" does not apply
    small = make_lead(industry="Software", company_size=100, email="a@acme.io")
    assert [c.name for c in model.score(small, at=AT).contributions] == [
        "target industry",
        "mid-market",
    ]
    assert model.value(small, at=AT) == 45.0
    assert model.score(small, at=AT).band == "B"
    # large but not software
    retail = make_lead(industry="Retail", company_size=5000)
    score = model.score(retail, at=AT)
    assert [(c.name, c.points) for c in score.contributions] == [("no e-mail", -10.0)]
    assert score.band == "C"


def test_fit_rule_describe_and_data() -> None:
    rule = FitRule(name="r", when=Condition(field="country", equals="DE"), points=3, group="g")
    assert rule.when == (Condition(field="country", equals="DE"),)
    assert rule.describe() == "country = 'DE'"
    assert rule.to_data() == {
        "name": "r",
        "when": {"field": "country", "equals": "DE"},
        "points": 3,
        "group": "g",
    }


# ============================================================================= BANT


def bant_lead(
    *,
    budget: Money | None = None,
    authority: Authority | None = None,
    need: Need | None = None,
    timeline: date | None = None,
) -> Lead:
    def assess(value: Any) -> Any:
        return None if value is None else Assessment(value=value, assessed_at=ago(3))

    return make_lead(
        bant=BANT(
            budget=assess(budget),
            authority=assess(authority),
            need=assess(need),
            timeline=assess(timeline),
        )
    )


def usd(amount: str, currency: str = "USD") -> Money:
    return Money(amount=Decimal(amount), currency=currency)


TODAY = AT.date()


@pytest.mark.parametrize(
    ("lead_fields", "criterion", "points", "reason"),
    [
        ({"budget": usd("50000")}, "budget", 25.0, "50,000 USD: 1 of 25"),
        ({"budget": usd("20000")}, "budget", 25 * 0.6, "20,000 USD: 0.6 of 25"),
        ({"budget": usd("9999.99")}, "budget", 25 * 0.2, "9,999.99 USD: 0.2 of 25"),
        ({"budget": usd("50000", "EUR")}, "budget", 0.0,
         "50,000 EUR: the ranges are in USD: 0 of 25"),
        ({"authority": Authority.DECISION_MAKER}, "authority", 25.0, "decision maker: 1 of 25"),
        ({"authority": Authority.INFLUENCER}, "authority", 25 * 0.6, "influencer: 0.6 of 25"),
        ({"authority": Authority.USER}, "authority", 25 * 0.2, "user: 0.2 of 25"),
        ({"authority": Authority.NONE}, "authority", 0.0, "none: 0 of 25"),
        ({"need": Need.HIGH}, "need", 25.0, "high: 1 of 25"),
        ({"need": Need.MEDIUM}, "need", 25 * 0.6, "medium: 0.6 of 25"),
        ({"need": Need.LOW}, "need", 25 * 0.2, "low: 0.2 of 25"),
        ({"timeline": TODAY}, "timeline", 25.0, "0 days away: 1 of 25"),
        ({"timeline": TODAY + timedelta(days=90)}, "timeline", 25.0, "90 days away: 1 of 25"),
        ({"timeline": TODAY + timedelta(days=91)}, "timeline", 12.5, "91 days away: 0.5 of 25"),
        ({"timeline": TODAY + timedelta(days=365)}, "timeline", 6.25,
         "365 days away: 0.25 of 25"),
        ({"timeline": TODAY + timedelta(days=366)}, "timeline", 0.0, "366 days away: 0 of 25"),
        ({"timeline": TODAY - timedelta(days=1)}, "timeline", 0.0,
         "2025-05-31 has passed: 0 of 25"),
    ],
)  # fmt: skip
def test_default_bant_criteria(
    lead_fields: dict[str, Any], criterion: str, points: float, reason: str
) -> None:
    score = BantModel().score(bant_lead(**lead_fields), at=AT)
    parts = {c.name: c for c in score.contributions}
    assert list(parts) == ["budget", "authority", "need", "timeline"]
    assert parts[criterion].points == points
    assert parts[criterion].reason == reason
    for other in parts.values():
        if other.name != criterion:
            assert (other.points, other.reason) == (0.0, "unknown")
    assert score.value == points


def test_default_bant_full_score() -> None:
    lead = bant_lead(
        budget=usd("20000"),
        authority=Authority.INFLUENCER,
        need=Need.HIGH,
        timeline=TODAY + timedelta(days=120),
    )
    # 25 * 0.6 + 25 * 0.6 + 25 + 25 * 0.5
    assert BantModel().value(lead, at=AT) == 15.0 + 15.0 + 25.0 + 12.5


def test_bant_qualification() -> None:
    model = BantModel()
    qualified = bant_lead(
        budget=usd("50000"), authority=Authority.DECISION_MAKER, need=Need.HIGH
    )  # 75 points, 3 known
    result = model.qualification(qualified, at=AT)
    assert result == Qualification(qualified=True, reasons=())
    assert bool(result)
    thin = bant_lead(authority=Authority.DECISION_MAKER)  # 25 points, 1 known
    result = model.qualification(thin, at=AT)
    assert not result
    assert result.reasons == ("1 of 4 criteria assessed, needs 3", "25 points, needs 50")
    # enough known, too few points: 5 + 5 + 5 = 15
    weak = bant_lead(budget=usd("100"), authority=Authority.USER, need=Need.LOW)
    assert model.qualification(weak, at=AT).reasons == ("15 points, needs 50",)
    strict = BantModel(qualify=QualifyRule(min_points=10, required=["budget", "timeline"]))
    result = strict.qualification(thin, at=AT)
    assert result.reasons == ("not assessed: budget, timeline",)


def test_bant_from_dict_with_some_criteria() -> None:
    model = BantModel.from_dict(
        {
            "type": "bant",
            "authority": {"weight": 40, "values": {"decision_maker": 1.0, "influencer": 0.5}},
            "timeline": {
                "weight": 20,
                "ranges": [{"within_days": 30, "share": 1.0}],
                "passed": 0.5,
            },
            "qualify": {"min_points": 30, "required": ["authority"]},
        }
    )
    assert list(model.criteria) == ["authority", "timeline"]
    lead = bant_lead(
        budget=usd("1000000"), authority=Authority.INFLUENCER, timeline=TODAY - timedelta(days=31)
    )
    score = model.score(lead, at=AT)
    # budget is not weighed; authority 40 * 0.5; timeline passed: 20 * 0.5
    assert [(c.name, c.points, c.reason) for c in score.contributions] == [
        ("authority", 20.0, "influencer: 0.5 of 40"),
        ("timeline", 10.0, "2025-05-01 has passed: 0.5 of 20"),
    ]
    assert model.qualification(lead, at=AT)
    user = bant_lead(authority=Authority.USER)  # a level not in the values: 0
    assert model.score(user, at=AT).contributions[0].points == 0.0
    assert model.qualification(user, at=AT).reasons == ("0 points, needs 30",)


def test_bant_budget_from_dict() -> None:
    model = BantModel.from_dict(
        {
            "budget": {
                "weight": 10,
                "currency": "eur",
                "ranges": [{"min": "1000.50", "share": 0.5}, {"min": 5000, "share": 1}],
            }
        }
    )
    assert model.criteria["budget"].currency == "EUR"
    assert model.value(bant_lead(budget=usd("5000", "EUR")), at=AT) == 10.0
    assert model.value(bant_lead(budget=usd("1000.50", "EUR")), at=AT) == 5.0
    assert model.value(bant_lead(budget=usd("1000.49", "EUR")), at=AT) == 0.0
    assert model.value(bant_lead(budget=usd("9000")), at=AT) == 0.0


def test_bant_refuses_bad_configuration() -> None:
    with raises_config("authority.values.boss", "unknown level; expected one of: decision_maker"):
        BantModel.from_dict({"authority": {"weight": 10, "values": {"boss": 1.0}}})
    with raises_config("qualify.required[1]", "not a BANT criterion") as info:
        BantModel.from_dict(
            {
                "need": {"weight": 10, "values": {"high": 1.0}},
                "qualify": {"required": ["need", "money"]},
            }
        )
    assert info.value.value == "money"
    with raises_config("qualify.required[0]", "not a BANT criterion"):
        BantModel(qualify=QualifyRule(required=["wishes"]))
    with raises_config("wishes", "not a BANT criterion"):
        BantModel(criteria={"wishes": Criterion(weight=1)})
    with raises_config("wishes", "unknown key; expected one of: authority, bands, budget"):
        BantModel.from_dict({"need": {"weight": 1, "values": {"high": 1}}, "wishes": {}})
    with raises_config("budget", "weigh at least one of budget, authority, need, timeline"):
        BantModel.from_dict({"type": "bant"})


def test_bant_budget_min_nan_is_refused() -> None:
    with raises_config("budget.ranges[0].min", "must be a finite amount"):
        BantModel.from_dict(
            {"budget": {"weight": 10, "currency": "USD", "ranges": [{"min": "NaN", "share": 1}]}}
        )


def test_bant_criterion_with_empty_values_is_refused() -> None:
    # A criterion that gives no level a share could not be written back as data.
    with raises_config("authority.values", "give the share of at least one level"):
        BantModel.from_dict({"authority": {"weight": 10, "values": {}}})
    with raises_config("timeline.ranges", "give at least one range"):
        BantModel.from_dict({"timeline": {"weight": 10, "ranges": []}})


# ======================================================================= Composites


@attrs.frozen(kw_only=True)
class FlatModel:
    """A model written from scratch (not a rule model): points per activity seen."""

    name: str = "flat"
    per_activity: float = 10.0

    def score(self, lead: Lead, activities: Sequence[Activity] = (), *, at: datetime) -> Score:
        seen = [a for a in activities if a.occurred_at <= at]
        part = Contribution(
            name="activities",
            points=self.per_activity * len(seen),
            reason=f"{len(seen)} activities",
        )
        return Score.of(self.name, [part], at=at, lead_id=lead.id)

    def score_many(
        self, leads: Iterable[Lead], activities: Iterable[Activity] = (), *, at: datetime
    ) -> Scores:
        return score_each(self, leads, activities, at=at)


def matrix_parts() -> tuple[FitModel, EngagementModel]:
    fit = FitModel(
        rules=[
            FitRule(
                name="industry", when=Condition(field="industry", equals="Software"), points=75
            ),
            FitRule(name="tiny", when=Condition(field="company_size", maximum=10), points=-1),
        ]
    )
    engagement = EngagementModel(
        rules=[ActivityRule(name="visits", kinds=["web_visit"], points=25)]
    )
    return fit, engagement


def test_grade_matrix_grades_at_thresholds() -> None:
    fit, engagement = matrix_parts()
    matrix = GradeMatrix(fit=fit, engagement=engagement)
    cases = [
        # (industry, size, visits, value, grade)
        ("Software", 100, 2, 75 + 50, "A2"),  # exactly 75 and exactly 50
        ("Software", 5, 3, 74 + 75, "B1"),  # 74 is under A
        ("Software", 5, 0, 74, "B4"),
        ("Retail", 100, 1, 25, "D3"),
        ("Retail", 5, 4, -1 + 100, "D1"),
    ]
    for industry, size, count, value, grade in cases:
        lead = make_lead(industry=industry, company_size=size)
        score = matrix.score(lead, visits(lead, *[1] * count), at=AT)
        assert (score.value, score.band) == (value, grade)
        assert matrix.value(lead, visits(lead, *[1] * count), at=AT) == value


def test_grade_matrix_contributions_are_prefixed() -> None:
    fit, engagement = matrix_parts()
    matrix = GradeMatrix(fit=fit, engagement=engagement)
    lead = make_lead(industry="Software", company_size=5)
    score = matrix.score(lead, visits(lead, 1), at=AT)
    assert [(c.name, c.points, c.reason) for c in score.contributions] == [
        ("fit/industry", 75.0, "industry = 'Software'"),
        ("fit/tiny", -1.0, "company_size <= 10"),
        ("engagement/visits", 25.0, "1 x 25 points"),
    ]
    assert score.model == "grade"
    assert score.band == "B3"


def test_grade_matrix_grades_list_and_custom_bands() -> None:
    fit, engagement = matrix_parts()
    matrix = GradeMatrix(fit=fit, engagement=engagement)
    assert matrix.grades() == [f"{letter}{digit}" for letter in "ABCD" for digit in "1234"]
    narrow = GradeMatrix(
        fit=fit,
        engagement=engagement,
        fit_grades=Bands.of(A=50),
        engagement_levels=Bands.of(hot=10, cold=-math.inf),
    )
    assert narrow.grades() == ["Ahot", "Acold"]
    lead = make_lead(industry="Retail")
    assert narrow.score(lead, at=AT).band is None  # fit 0 is under every fit grade
    software = make_lead(industry="Software")
    assert narrow.score(software, visits(software, 1), at=AT).band == "Ahot"


def test_grade_matrix_with_a_model_that_is_not_a_rule_model() -> None:
    fit, _ = matrix_parts()
    flat = FlatModel(per_activity=30)
    assert isinstance(flat, ScoringModel)
    matrix = GradeMatrix(fit=fit, engagement=flat)
    lead = make_lead(industry="Software", company_size=500)
    activities = [*visits(lead, 1, 2), act(lead, K.CALL, -1)]  # the call is after `at`
    score = matrix.score(lead, activities, at=AT)
    assert [(c.name, c.points, c.reason) for c in score.contributions] == [
        ("fit/industry", 75.0, "industry = 'Software'"),
        ("flat/activities", 60.0, "2 activities"),
    ]
    assert (score.value, score.band) == (135.0, "A2")
    scores = matrix.score_many([lead], activities, at=AT)
    assert scores.values == (135.0,)
    assert scores.bands == ("A2",)
    assert scores[0] == score
    with raises_config("engagement", "cannot be written as data"):
        matrix.to_dict()


def test_weighted_sum() -> None:
    fit, engagement = matrix_parts()
    total = WeightedSum(models=[(fit, 0.5), (engagement, 2.0)], bands=Bands.of(high=100))
    assert total.models == ((fit, 0.5), (engagement, 2.0))
    lead = make_lead(industry="Software", company_size=500)
    score = total.score(lead, visits(lead, 1, 2), at=AT)
    # 0.5 * 75 + 2 * (2 x 25)
    assert [(c.name, c.points, c.reason) for c in score.contributions] == [
        ("fit/industry", 37.5, "industry = 'Software' (x0.5)"),
        ("engagement/visits", 100.0, "2 x 25 points (x2)"),
    ]
    assert score.value == 137.5
    assert score.band == "high"
    assert total.score_many([lead], visits(lead, 1, 2), at=AT).values == (137.5,)
    flat = WeightedSum(models=[(fit, 1), (FlatModel(per_activity=1), 3)])
    assert flat.value(lead, visits(lead, 1), at=AT) == 75 + 3


def test_weighted_sum_refuses_bad_parts() -> None:
    fit, _ = matrix_parts()
    other_fit = FitModel(
        rules=[FitRule(name="x", when=Condition(field="country", equals="DE"), points=1)]
    )
    with raises_config("models[1].name", "two parts have this name") as info:
        WeightedSum(models=[(fit, 1.0), (other_fit, 2.0)])
    assert info.value.value == "fit"
    with raises_config("models", "must hold at least one model"):
        WeightedSum(models=[])
    with raises_config("models[0].weight", "must be a finite number"):
        WeightedSum(models=[(fit, math.nan)])


def test_stage_thresholds() -> None:
    stages = StageThresholds(minimums={"mql": 50, "sql": 80}, grades={"mql": ["A1", "A2", "B1"]})
    assert stages.stage_for(80) == "sql"
    assert stages.stage_for(79.9) == "mql"
    assert stages.stage_for(50) == "mql"
    assert stages.stage_for(49.9) is None
    assert stages.stage_for(10, "A2") == "mql"
    assert stages.stage_for(10, "C4") is None
    assert stages.stage_for(90, "A1") == "sql"
    graded = Score.of("grade", [Contribution(name="x", points=10, reason="")], at=AT, band="B1")
    assert stages.stage_for(graded) == "mql"
    assert stages.stage_for(Score.of("grade", [], at=AT, band="D4")) is None
    with raises_config("minimums.customer", "unknown stage; expected one of: lead, mql, sql"):
        StageThresholds(minimums={"customer": 90})
    with raises_config("grades.won", "unknown stage"):
        StageThresholds(grades={"won": ["A1"]})
    with raises_config("minimums", "give minimums or grades"):
        StageThresholds()
    custom = StageThresholds(minimums={"hot": 10}, order=["cold", "hot"])
    assert custom.stage_for(10) == "hot"
    data = stages.to_dict()
    assert data == {
        "order": ["lead", "mql", "sql"],
        "minimums": {"sql": 80, "mql": 50},
        "grades": {"mql": ["A1", "A2", "B1"]},
    }
    assert StageThresholds.from_dict(data) == stages
    with raises_config("grades.mql[0]", "must be a non-empty text"):
        StageThresholds.from_dict({"grades": {"mql": [""]}})


# ================================================================== Models as data


def engagement_model() -> EngagementModel:
    return EngagementModel(
        name="engagement",
        rules=[
            ActivityRule(
                name="clicks",
                kinds=["email_click", "email_open"],
                points=3,
                cap=Cap(maximum=15),
                group="email",
            ),
            ActivityRule(
                name="inbound calls",
                kinds=["call"],
                points=10,
                direction=Direction.INBOUND,
                within_days=60,
                group="email",
            ),
            ActivityRule(
                name="visits",
                kinds=["web_visit"],
                frequency=[
                    FrequencyBand(minimum=1, maximum=3, points=5),
                    FrequencyBand(minimum=4, points=12),
                ],
            ),
            ActivityRule(name="unsubscribed", kinds=["unsubscribe"], points=-40, decay=False),
            FitRule(name="free mail", when=Condition(field="free_mail", equals=True), points=-5),
        ],
        decay=Decay(half_life_days=30),
        direction={"inbound": 1.0, "outbound": 0.5},
        groups={"email": Cap(maximum=30, minimum=0)},
        total=Cap(maximum=100, minimum=-50),
        bands=Bands.of(hot=40, warm=15, cold=-math.inf),
    )


def stepped_engagement() -> EngagementModel:
    return EngagementModel(
        name="stepped",
        rules=[ActivityRule(name="visits", kinds=["web_visit"], points=4)],
        decay=Decay(
            steps=[DecayStep(within_days=7, factor=1.0), DecayStep(within_days=30, factor=0.5)],
            after=0.1,
        ),
    )


def grade_matrix_data() -> dict[str, Any]:
    fit, engagement = matrix_parts()
    return GradeMatrix(fit=fit, engagement=engagement).to_dict()


def all_models() -> dict[str, Any]:
    fit, engagement = matrix_parts()
    return {
        "fit": fit_model(),
        "engagement": engagement_model(),
        "stepped": stepped_engagement(),
        "bant": BantModel(bands=Bands.of(good=50)),
        "bant_partial": BantModel.from_dict(
            {
                "name": "bant lite",
                "need": {"weight": 30, "values": {"high": 1.0, "medium": 0.5}},
                "budget": {
                    "weight": 20,
                    "currency": "USD",
                    "ranges": [{"min": "10000", "share": 1}],
                },
                "timeline": {
                    "weight": 10,
                    "ranges": [{"within_days": 60, "share": 1}],
                    "passed": 0.2,
                },
                "qualify": {"min_points": 20, "min_known": 1, "required": ["need"]},
            }
        ),
        "grade_matrix": GradeMatrix(
            fit=fit_model(), engagement=engagement_model(), fit_grades=Bands.of(A=50, B=20)
        ),
        "weighted_sum": WeightedSum(
            name="blend",
            models=[(fit, 0.5), (engagement, 2.0), (BantModel(), 0.25)],
            bands=Bands.of(top=100),
        ),
    }


@functools.cache
def sample_leads() -> tuple[list[Lead], list[Activity]]:
    leads = [
        make_lead(
            industry="Software",
            company_size=500,
            title="Head of IT",
            email="a@gmail.com",
            bant=bant_lead(
                budget=usd("60000"), need=Need.MEDIUM, timeline=TODAY + timedelta(days=30)
            ).bant,
        ),
        make_lead(industry="Retail", company_size=20, country="DE"),
        make_lead(
            industry="SaaS",
            company_size=5,
            email="b@acme.com",
            bant=bant_lead(authority=Authority.DECISION_MAKER, need=Need.HIGH).bant,
        ),
    ]
    one, two, three = leads
    activities = [
        *[act(one, K.EMAIL_CLICK, d, Direction.INBOUND) for d in (1, 5, 40, 90, 100, 2, 3)],
        act(one, K.CALL, 10, Direction.INBOUND),
        act(one, K.CALL, 70, Direction.INBOUND),
        *visits(one, 1, 2, 3, 4, 50),
        act(two, K.UNSUBSCRIBE, 200),
        act(two, K.EMAIL_OPEN, 3, Direction.OUTBOUND),
        *visits(three, 0, 6, 8, 29),
        act(three, K.CALL, 1, Direction.OUTBOUND),
        act(three, K.WEB_VISIT, -3),
    ]
    return leads, activities


def scores_of(model: Any) -> list[Score]:
    leads, activities = sample_leads()
    grouped = group_activities(activities)
    return [model.score(lead, grouped.get(lead.id, ()), at=AT) for lead in leads]


@pytest.mark.parametrize("kind", list(all_models()))
def test_round_trips_as_data(kind: str) -> None:
    model = all_models()[kind]
    data = model.to_dict()
    assert data["type"] == model.TYPE
    assert json.loads(json.dumps(data)) == data  # plain data only
    expected = scores_of(model)
    assert any(score.value != 0 for score in expected)
    for rebuilt in (
        type(model).from_dict(data),
        type(model).from_toml(model.to_toml()),
        type(model).from_json(model.to_json()),
        model_from_dict(data),
    ):
        assert type(rebuilt) is type(model)
        assert rebuilt.to_dict() == data
        assert rebuilt == model
        assert scores_of(rebuilt) == expected


@pytest.mark.parametrize("kind", list(all_models()))
def test_load_from_files(kind: str, tmp_path: Path) -> None:
    model = all_models()[kind]
    toml_path, json_path = tmp_path / "model.toml", tmp_path / "model.JSON"
    toml_path.write_text(model.to_toml(), encoding="utf-8")
    json_path.write_text(model.to_json(), encoding="utf-8")
    expected = scores_of(model)
    for path in (toml_path, json_path, str(toml_path)):
        assert type(model).load(path) == model
        loaded = load_model(path)
        assert type(loaded) is type(model)
        assert scores_of(loaded) == expected


@pytest.mark.parametrize("kind", list(all_models()))
def test_pickle_round_trip(kind: str) -> None:
    model = all_models()[kind]
    copy = pickle.loads(pickle.dumps(model))
    assert copy == model
    assert scores_of(copy) == scores_of(model)
    leads, activities = sample_leads()
    assert copy.score_many(leads, activities, at=AT).values == tuple(
        s.value for s in scores_of(model)
    )


def test_pickle_matrix_with_a_custom_part_and_thresholds() -> None:
    fit, _ = matrix_parts()
    matrix = GradeMatrix(fit=fit, engagement=FlatModel())
    assert scores_of(pickle.loads(pickle.dumps(matrix))) == scores_of(matrix)
    stages = StageThresholds(minimums={"mql": 1})
    assert pickle.loads(pickle.dumps(stages)) == stages


def test_toml_text_of_a_model() -> None:
    model = FitModel(
        name="tiny",
        rules=[FitRule(name="de", when=Condition(field="country", equals="DE"), points=5)],
        total=Cap(maximum=5),
        bands=Bands.of(good=5, bad=-math.inf),
    )
    assert model.to_toml() == (
        'type = "fit"\n'
        'name = "tiny"\n'
        'bands = [{ name = "good", min = 5 }, { name = "bad" }]\n'
        "max = 5\n"
        'rules = [{ name = "de", when = { field = "country", equals = "DE" }, points = 5 }]\n'
    )
    assert dump_toml({"a": None, "b": [1, 2.5, True], "odd key": "x"}) == (
        'b = [1, 2.5, true]\n"odd key" = "x"\n'
    )
    with pytest.raises(TypeError, match="cannot write"):
        dump_toml({"when": date(2025, 1, 1)})


def test_toml_round_trip_of_a_text_with_delete_character() -> None:
    model = FitModel(
        rules=[FitRule(name="a\x7fb", when=Condition(field="country", equals="DE"), points=1)]
    )
    assert FitModel.from_toml(model.to_toml()) == model


def test_registry_dispatch() -> None:
    assert ENTRY_POINT_GROUP == "leadflow.scoring_models"
    assert set(MODEL_TYPES) == {
        "bant",
        "engagement",
        "fit",
        "grade_matrix",
        "weighted_sum",
        "naive_bayes",
        "logistic_regression",
    }
    assert [MODEL_TYPES[name] for name in ("bant", "engagement", "fit")] == [
        BantModel,
        EngagementModel,
        FitModel,
    ]
    assert (MODEL_TYPES["grade_matrix"], MODEL_TYPES["weighted_sum"]) == (GradeMatrix, WeightedSum)
    for name, kind in MODEL_TYPES.items():
        assert find_model(name) is kind
    fit = model_from_dict(
        {
            "type": "fit",
            "rules": [{"name": "r", "when": {"field": "country", "equals": "DE"}, "points": 2}],
        }
    )
    assert isinstance(fit, FitModel)
    assert fit.value(make_lead(country="de"), at=AT) == 2.0
    with raises_config("type", "is required"):
        model_from_dict({"rules": []})
    with raises_config("type", "no scoring model of this name; known: bant, engagement, fit"):
        model_from_dict({"type": "crystal_ball"})
    with raises_config("type", "must be 'fit' for this model"):
        FitModel.from_dict({"type": "engagement", "rules": []})


def test_loading_bad_text_and_files(tmp_path: Path) -> None:
    with raises_config("$", "not valid TOML"):
        FitModel.from_toml("rules = [")
    with raises_config("$", "not valid JSON"):
        FitModel.from_json("{")
    with raises_config("$", "must be a table"):
        FitModel.from_json("[1, 2]")
    path = tmp_path / "model.yaml"
    path.write_text("type: fit\n", encoding="utf-8")
    with raises_config(str(path), "the file must end in .toml or .json"):
        load_model(path)


def test_nested_bad_key_is_reported_with_its_full_path(tmp_path: Path) -> None:
    data = grade_matrix_data()
    data["fit"]["rules"][0]["points"] = "many"
    path = tmp_path / "grade.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with raises_config("fit.rules[0].points", "must be a finite number") as info:
        load_model(path)
    assert info.value.value == "many"
    with raises_config("fit.rules[0].points", "must be a finite number"):
        GradeMatrix.from_dict(data)
    data = grade_matrix_data()
    data["engagement"]["decay"] = {"half_life_days": 0}
    with raises_config("engagement.decay.half_life_days", "must be more than 0"):
        GradeMatrix.from_dict(data)
    data = grade_matrix_data()
    data["engagement"]["rules"][0]["kinds"] = ["web_visit", "fax"]
    with raises_config("engagement.rules[0].kinds[1]", "unknown activity kind"):
        GradeMatrix.from_dict(data)
    data = grade_matrix_data()
    data["fit"]["rules"][1]["when"]["field"] = "shoe_size"
    with raises_config("fit.rules[1].when.field", "unknown field"):
        GradeMatrix.from_dict(data)
    data = grade_matrix_data()
    del data["engagement"]
    with raises_config("engagement", "is required"):
        GradeMatrix.from_dict(data)
    data = grade_matrix_data()
    data["fit"] = {"rules": []}
    with raises_config("fit.type", "is required"):
        GradeMatrix.from_dict(data)
    data = grade_matrix_data()
    data["fit_grades"] = [{"name": "A", "min": "high"}]
    with raises_config("fit_grades[0].min", "must be a finite number"):
        GradeMatrix.from_dict(data)
    inner = grade_matrix_data()
    inner["fit"]["rules"][0]["points"] = "many"
    outer = {"type": "weighted_sum", "models": [{"weight": 1, "model": inner}]}
    with raises_config("models[0].model.fit.rules[0].points", "must be a finite number"):
        model_from_dict(outer)


def test_empty_kinds_is_reported_with_the_rule_path() -> None:
    with raises_config("rules[0].kinds", "must name at least one kind"):
        EngagementModel.from_dict({"rules": [{"name": "r", "kinds": [], "points": 1}]})


def _fit(rule: dict[str, Any], **top: Any) -> dict[str, Any]:
    base = {"name": "r", "when": {"field": "industry", "equals": "x"}, "points": 1}
    return {"type": "fit", "rules": [{**base, **rule}], **top}


def _eng(rule: dict[str, Any], **top: Any) -> dict[str, Any]:
    base = {"name": "r", "kinds": ["web_visit"], "points": 1}
    return {"type": "engagement", "rules": [{**base, **rule}], **top}


INVALID_FILES = [
    # unknown keys
    ("unknown top key", _fit({}, colour="red"), "colour",
     "unknown key; expected one of: bands, groups, max, min, name, rules, type"),
    ("unknown rule key", _eng({"colour": "red"}), "rules[0].colour", "unknown key; expected"),
    ("unknown condition key", _fit({"when": {"field": "industry", "equals": "x", "also": 1}}),
     "rules[0].when.also", "unknown key; expected one of: equals, field"),
    ("unknown decay key", _eng({}, decay={"half_life_days": 3, "speed": 2}), "decay.speed",
     "unknown key"),
    ("unknown group key", _fit({"group": "g"}, groups={"g": {"most": 1}}), "groups.g.most",
     "unknown key; expected one of: max, min"),
    ("unknown bant key", {"type": "bant", "need": {"weight": 1, "values": {"high": 1},
                                                   "colour": 1}},
     "need.colour", "unknown key"),
    # wrong type of value
    ("points not a number", _fit({"points": "ten"}), "rules[0].points", "must be a finite number"),
    ("points a boolean", _eng({"points": True}), "rules[0].points", "must be a finite number"),
    ("decay flag not a boolean", _eng({"decay": "no"}), "rules[0].decay", "must be true or false"),
    ("kinds not a list", _eng({"kinds": "web_visit"}), "rules[0].kinds", "must be a list"),
    ("rules not a list", {"type": "fit", "rules": {"name": "r"}}, "rules", "must be a list"),
    ("when not a table", _fit({"when": "industry"}), "rules[0].when", "must be a table"),
    ("in item not a text", _fit({"when": {"field": "industry", "in": [["a"]]}}),
     "rules[0].when.in[0]", "must be a text or a number"),
    ("name not a text", _fit({"name": 3}), "rules[0].name", "must be a non-empty text"),
    ("weight not a number", {"type": "weighted_sum", "models": [{"weight": "1", "model":
     _fit({})}]}, "models[0].weight", "must be a finite number"),
    ("share above 1", {"type": "bant", "need": {"weight": 1, "values": {"high": 2}}},
     "need.values.high", "must be at most 1"),
    ("frequency min not whole", _eng({"points": None, "frequency": [{"min": 1.5, "points": 1}]}),
     "rules[0].frequency[0].min", "must be a whole number"),
    ("multiplier negative", _eng({}, direction={"inbound": -1}), "direction.inbound",
     "must be at least 0"),
    # missing required keys
    ("rule without points", _fit({"points": None}), "rules[0].points", "is required"),
    ("rule without name", _eng({"name": None}), "rules[0].name", "is required"),
    ("model without rules", {"type": "fit"}, "rules", "is required"),
    ("rule without kinds or when", {"type": "engagement", "rules": [{"name": "r", "points": 1}]},
     "rules[0].kinds", "give kinds (an activity rule) or when (a lead rule)"),
    ("budget without currency", {"type": "bant", "budget": {"weight": 1, "ranges": []}},
     "budget.currency", "is required"),
    ("condition without field", _fit({"when": {"equals": "x"}}), "rules[0].when.field",
     "is required"),
    ("condition without test", _fit({"when": {"field": "industry"}}), "rules[0].when",
     "give exactly one test"),
    ("decay without half-life or steps", _eng({}, decay={}), "decay.half_life_days",
     "give half_life_days or steps"),
    # unknown activity kind, field, direction
    ("unknown activity kind", _eng({"kinds": ["web_visit", "fax"]}), "rules[0].kinds[1]",
     "unknown activity kind; expected one of: call, email, meeting"),
    ("unknown activity field", _fit({"when": {"field": "activity.fax", "min": 1}}),
     "rules[0].when.field", "unknown activity kind"),
    ("unknown field", _fit({"when": {"field": "shoe_size", "min": 1}}), "rules[0].when.field",
     "unknown field; expected one of: activities, ad_code"),
    ("unknown rule direction", _eng({"direction": "sideways"}), "rules[0].direction",
     "must be inbound or outbound"),
    ("unknown model direction", _eng({}, direction={"sideways": 1}), "direction.sideways",
     "unknown key; expected one of: inbound, outbound"),
    # negative half-life and bad steps
    ("negative half-life", _eng({}, decay={"half_life_days": -30}), "decay.half_life_days",
     "must be more than 0"),
    ("negative step factor", _eng({}, decay={"steps": [{"within_days": 7, "factor": -1}]}),
     "decay.steps[0].factor", "must be at least 0"),
    ("zero step window", _eng({}, decay={"steps": [{"within_days": 0, "factor": 1}]}),
     "decay.steps[0].within_days", "must be more than 0"),
    ("half-life and steps", _eng({}, decay={"half_life_days": 3,
                                            "steps": [{"within_days": 7, "factor": 1}]}),
     "decay.steps", "give half_life_days or steps, not both"),
    ("negative within_days", _eng({"within_days": -1}), "rules[0].within_days",
     "must be more than 0"),
    # both points and frequency
    ("points and frequency", _eng({"frequency": [{"min": 1, "points": 2}]}), "rules[0].points",
     "give points (per activity) or frequency, not both"),
    ("neither points nor frequency", _eng({"points": None}), "rules[0].points",
     "give points (per activity) or frequency, not both"),
    # min above max
    ("total min above max", _eng({}, min=10, max=5), "min", "must not be above max"),
    ("rule min above max", _eng({"min": 10, "max": 5}), "rules[0].min", "must not be above max"),
    ("group min above max", _fit({"group": "g"}, groups={"g": {"min": 3, "max": 1}}),
     "groups.g.min", "must not be above max"),
    ("condition min above max", _fit({"when": {"field": "company_size", "min": 9, "max": 1}}),
     "rules[0].when.max", "must not be below min"),
    ("frequency min above max",
     _eng({"points": None, "frequency": [{"min": 5, "max": 2, "points": 1}]}),
     "rules[0].frequency[0].max", "must be at least 5"),
    # other checks
    ("two tests", _fit({"when": {"field": "company_size", "min": 1, "equals": 3}}),
     "rules[0].when", "give exactly one test"),
    ("bad regex", _fit({"when": {"field": "title", "matches": "(a"}}), "rules[0].when.matches",
     "not a valid regular expression"),
    ("unused group", _fit({}, groups={"nobody": {"max": 1}}), "groups.nobody",
     "no rule is in this group"),
    ("duplicate rule", {"type": "fit", "rules": [_fit({})["rules"][0]] * 2}, "rules[1].name",
     "is used by two rules"),
    ("empty condition list", _fit({"when": []}), "rules[0].when",
     "must hold at least one condition"),
    ("unknown bant level", {"type": "bant", "authority": {"weight": 1, "values": {"ceo": 1}}},
     "authority.values.ceo", "unknown level; expected one of: decision_maker, influencer"),
    ("unknown required criterion", {"type": "bant", "need": {"weight": 1, "values": {"high": 1}},
                                    "qualify": {"required": ["luck"]}},
     "qualify.required[0]", "not a BANT criterion; expected budget, authority, need, timeline"),
    ("bad budget amount", {"type": "bant", "budget": {"weight": 1, "currency": "USD",
                                                      "ranges": [{"min": "lots", "share": 1}]}},
     "budget.ranges[0].min", "must be an amount"),
    ("nested model error", {"type": "weighted_sum", "models": [{"weight": 1, "model":
     _eng({"points": "x"})}]}, "models[0].model.rules[0].points", "must be a finite number"),
    ("weighted sum duplicate names", {"type": "weighted_sum", "models": [
        {"weight": 1, "model": _fit({})}, {"weight": 2, "model": _fit({})}]},
     "models[1].name", "two parts have this name"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("data", "key", "reason"),
    [pytest.param(data, key, reason, id=name) for name, data, key, reason in INVALID_FILES],
)
def test_invalid_model_data(data: dict[str, Any], key: str, reason: str, tmp_path: Path) -> None:
    # None stands for "leave the key out"
    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if v is not None}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    data = clean(data)
    with pytest.raises(InvalidConfiguration) as info:
        model_from_dict(data)
    check_config_error(info.value, key, reason)
    path = tmp_path / "model.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InvalidConfiguration) as info:
        load_model(path)
    check_config_error(info.value, key, reason)


# ==================================================================== Entry points

ACME_MODULE = '''
from leadflow.scoring import Contribution, Score, score_each


class AcmeModel:
    """A third-party model: a flat number of points for every lead."""

    def __init__(self, points=1.0, name="acme"):
        self.points = points
        self.name = name

    @classmethod
    def from_dict(cls, data):
        return cls(points=float(data.get("points", 1.0)), name=data.get("name", "acme"))

    def score(self, lead, activities=(), *, at):
        part = Contribution(name="flat", points=self.points, reason="acme says so")
        return Score.of(self.name, [part], at=at, lead_id=lead.id)

    def score_many(self, leads, activities=(), *, at):
        return score_each(self, leads, activities, at=at)


class BareModel:
    name = "bare"
'''


@pytest.fixture
def acme_distribution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    info = tmp_path / "acme_scoring-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: acme-scoring\nVersion: 1.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\n"
        "acme = acme_scoring_mod:AcmeModel\n"
        "acme_bare = acme_scoring_mod:BareModel\n",
        encoding="utf-8",
    )
    (tmp_path / "acme_scoring_mod.py").write_text(ACME_MODULE, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    yield tmp_path
    sys.modules.pop("acme_scoring_mod", None)


def test_entry_point_models(acme_distribution: Path) -> None:
    kind = find_model("acme")
    assert kind.__name__ == "AcmeModel"
    assert kind.__module__ == "acme_scoring_mod"
    model = model_from_dict({"type": "acme", "points": 7})
    assert isinstance(model, kind)
    assert isinstance(model, ScoringModel)
    lead = make_lead()
    assert model.score(lead, at=AT).value == 7.0
    # a plugged-in model can be a part of a composite read from data
    matrix = model_from_dict(
        {
            "type": "grade_matrix",
            "fit": {"type": "acme", "points": 80, "name": "acme fit"},
            "engagement": {"type": "acme", "points": 30},
        }
    )
    score = matrix.score(lead, at=AT)
    assert [(c.name, c.points) for c in score.contributions] == [
        ("acme fit/flat", 80.0),
        ("acme/flat", 30.0),
    ]
    assert (score.value, score.band) == (110.0, "A3")
    with raises_config("type", "this model cannot be read from data (no from_dict)"):
        model_from_dict({"type": "acme_bare"})
    with pytest.raises(InvalidConfiguration) as info:
        find_model("acme_pro")
    assert info.value.key == "type"
    assert info.value.value == "acme_pro"
    assert info.value.reason == (
        "no scoring model of this name; known: acme, acme_bare, bant, engagement, fit, "
        "grade_matrix, logistic_regression, naive_bayes, weighted_sum"
    )


def test_unknown_model_without_plugins() -> None:
    with pytest.raises(InvalidConfiguration) as info:
        find_model("acme")
    assert "known: bant, engagement, fit, grade_matrix" in info.value.reason
