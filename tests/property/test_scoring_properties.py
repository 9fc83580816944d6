"""Properties of the rule scoring models on random models, activities and leads."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from leadflow.activities import Activity, ActivityKind, Direction
from leadflow.leads import Lead
from leadflow.scoring import (
    ActivityRule,
    Bands,
    Cap,
    Condition,
    Decay,
    DecayStep,
    EngagementModel,
    FitModel,
    FitRule,
    FrequencyBand,
    group_activities,
)
from leadflow.scoring._rules import bounded

UTC = timezone.utc
AT = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
KINDS = [
    ActivityKind.WEB_VISIT,
    ActivityKind.EMAIL_CLICK,
    ActivityKind.FORM_SUBMISSION,
    ActivityKind.UNSUBSCRIBE,
    ActivityKind.CALL,
]
GROUPS = ["web", "email"]

points = st.floats(-50, 50, allow_nan=False, allow_infinity=False) | st.integers(-50, 50)
# Bounds as a file would give them (on a 1/64 grid), and a min at least 1 below a max:
# a cap keeps a sum within [min, max] only while that interval is wider than the
# rounding step of the sum's points (see Cap), which a min of 1e-174 and an equal max
# are not.
bounds = st.integers(-12_800, 12_800).map(lambda i: i / 64)


@st.composite
def caps(draw: st.DrawFn) -> Cap:
    low, high = draw(st.none() | bounds), draw(st.none() | bounds)
    if low is not None and high is not None:
        low, high = min(low, high), max(low, high)
        if high - low < 1:
            high = low + 1
    return Cap(minimum=low, maximum=high)


@st.composite
def frequencies(draw: st.DrawFn) -> list[FrequencyBand]:
    bands = []
    for low, extra, gain in draw(
        st.lists(
            st.tuples(st.integers(1, 6), st.none() | st.integers(0, 4), points),
            min_size=1,
            max_size=3,
        )
    ):
        high = None if extra is None else low + extra
        bands.append(FrequencyBand(minimum=low, maximum=high, points=gain))
    return bands


@st.composite
def activity_rules(draw: st.DrawFn, name: str) -> ActivityRule:
    per_activity = draw(st.booleans())
    return ActivityRule(
        name=name,
        kinds=draw(st.sets(st.sampled_from(KINDS), min_size=1, max_size=3)),
        points=draw(points) if per_activity else None,
        frequency=() if per_activity else draw(frequencies()),
        direction=draw(st.none() | st.sampled_from(list(Direction))),
        within_days=draw(st.none() | st.floats(0.5, 120)),
        decay=draw(st.booleans()),
        cap=draw(caps()),
        group=draw(st.none() | st.sampled_from(GROUPS)),
    )


@st.composite
def lead_rules(draw: st.DrawFn, name: str) -> FitRule:
    condition = draw(
        st.sampled_from(
            [
                Condition(field="free_mail", equals=True),
                Condition(field="industry", one_of=("Software", "SaaS")),
                Condition(field="company_size", minimum=50, maximum=500),
                Condition(field="activity.web_visit", minimum=2),
                Condition(field="days_since_last_activity", maximum=7),
            ]
        )
    )
    return FitRule(
        name=name,
        when=condition,
        points=draw(points),
        group=draw(st.none() | st.sampled_from(GROUPS)),
    )


@st.composite
def decays(draw: st.DrawFn) -> Decay:
    kind = draw(st.sampled_from(["none", "half-life", "steps"]))
    if kind == "none":
        return Decay()
    if kind == "half-life":
        return Decay(half_life_days=draw(st.floats(0.5, 365)))
    windows = sorted(draw(st.sets(st.floats(0.5, 200), min_size=1, max_size=4)))
    factors = sorted(
        draw(st.lists(st.floats(0, 1), min_size=len(windows) + 1, max_size=len(windows) + 1)),
        reverse=True,
    )
    steps = [DecayStep(within_days=w, factor=f) for w, f in zip(windows, factors, strict=False)]
    return Decay(steps=steps, after=factors[-1])


@st.composite
def engagement_models(draw: st.DrawFn) -> EngagementModel:
    count = draw(st.integers(1, 5))
    rules: list[ActivityRule | FitRule] = []
    for i in range(count):
        make = activity_rules if draw(st.integers(0, 3)) else lead_rules
        rules.append(draw(make(f"rule {i}")))
    used = {rule.group for rule in rules if rule.group is not None}
    groups = {group: draw(caps()) for group in sorted(used) if draw(st.booleans())}
    multipliers = draw(
        st.dictionaries(st.sampled_from(list(Direction)), st.floats(0, 3), max_size=2)
    )
    return EngagementModel(
        rules=rules,
        decay=draw(decays()),
        direction=multipliers,
        groups=groups,
        total=draw(caps()),
        bands=Bands.of(hot=40, warm=10),
    )


@st.composite
def leads_with_activities(draw: st.DrawFn) -> tuple[list[Lead], list[Activity]]:
    leads = [
        Lead(
            created_at=AT - timedelta(days=400),
            email=draw(st.sampled_from([None, "a@gmail.com", "b@acme.com"])),
            industry=draw(st.sampled_from([None, "Software", "Retail"])),
            company_size=draw(st.none() | st.integers(1, 1000)),
        )
        for _ in range(draw(st.integers(1, 4)))
    ]
    activities = []
    for _ in range(draw(st.integers(0, 25))):
        when = AT - timedelta(days=draw(st.floats(-20, 300)))
        activities.append(
            Activity(
                created_at=when,
                occurred_at=when,
                kind=draw(st.sampled_from(KINDS)),
                direction=draw(st.none() | st.sampled_from(list(Direction))),
                lead_id=draw(st.sampled_from(leads)).id,
            )
        )
    return leads, activities


@given(engagement_models(), leads_with_activities())
def test_engagement_scores_add_up_and_batches_agree(
    model: EngagementModel, data: tuple[list[Lead], list[Activity]]
) -> None:
    leads, activities = data
    grouped = group_activities(activities)
    scores = [model.score(lead, grouped.get(lead.id, ()), at=AT) for lead in leads]
    for score in scores:
        assert score.value == math.fsum(c.points for c in score.contributions)
        assert math.isfinite(score.value)
        assert score.band == model.bands.band(score.value)
        if model.total.maximum is not None:
            assert score.value <= model.total.maximum
        if model.total.minimum is not None:
            assert score.value >= model.total.minimum
    batch = model.score_many(leads, activities, at=AT)
    assert list(batch.values) == [score.value for score in scores]
    assert list(batch.bands) == [score.band for score in scores]
    assert list(batch) == scores
    assert [model.value(lead, grouped.get(lead.id, ()), at=AT) for lead in leads] == [
        score.value for score in scores
    ]


@given(engagement_models(), leads_with_activities())
def test_group_caps_hold(model: EngagementModel, data: tuple[list[Lead], list[Activity]]) -> None:
    leads, activities = data
    grouped = group_activities(activities)
    group_of = {rule.name: rule.group for rule in model.rules}
    for lead in leads:
        score = model.score(lead, grouped.get(lead.id, ()), at=AT)
        for group, cap in model.groups.items():
            mine = [c.points for c in score.contributions if group_of.get(c.name) == group]
            mine += [c.points for c in score.contributions if c.name == f"cap: {group}"]
            total = math.fsum(mine)
            if cap.maximum is not None:
                assert total <= cap.maximum
            if cap.minimum is not None:
                assert total >= cap.minimum


@given(
    st.lists(st.floats(-1e9, 1e9, allow_nan=False, allow_infinity=False), max_size=8),
    st.none() | st.floats(-1e9, 1e9),
    st.none() | st.floats(-1e9, 1e9),
)
def test_bounded_never_passes_the_cap(
    parts: list[float], low: float | None, high: float | None
) -> None:
    if low is not None and high is not None and low > high:
        low, high = high, low
    cap = Cap(minimum=low, maximum=high)
    before = math.fsum(parts)
    adjustment = bounded(parts, cap)
    after = math.fsum([*parts, adjustment])
    if cap.excess(before) == 0.0:
        assert adjustment == 0.0
        return
    assert adjustment != 0.0
    if high is not None and before > high:
        assert after <= high
        assert math.isclose(after, high, rel_tol=1e-9, abs_tol=1e-6)
    else:
        assert low is not None
        assert after >= low
        assert math.isclose(after, low, rel_tol=1e-9, abs_tol=1e-6)


ages = st.floats(0, 2000, allow_nan=False)


@given(decays(), ages, ages)
def test_decay_factor_does_not_grow_with_age(decay: Decay, a: float, b: float) -> None:
    young, old = min(a, b), max(a, b)
    assert decay.factor(young) >= decay.factor(old)
    assert 0.0 <= decay.factor(old) <= decay.factor(0.0) <= 1.0


@given(st.floats(0.01, 10_000), ages, ages)
def test_half_life_factor_is_monotone(half_life: float, a: float, b: float) -> None:
    decay = Decay(half_life_days=half_life)
    young, old = min(a, b), max(a, b)
    assert decay.factor(young) >= decay.factor(old)
    expected = 2.0 ** (-young / half_life)
    assert math.isclose(decay.factor(young), expected, rel_tol=1e-12, abs_tol=1e-290)


# Texts for names and values: any character but surrogates (TOML and JSON need UTF-8).
texts = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1).filter(
    lambda text: text.strip() != ""
)

conditions = st.one_of(
    st.builds(Condition, field=st.just("industry"), one_of=st.lists(texts, min_size=1).map(tuple)),
    st.builds(Condition, field=st.just("country"), none_of=st.lists(texts, min_size=1).map(tuple)),
    st.builds(Condition, field=st.just("title"), equals=texts | points | st.booleans()),
    st.builds(Condition, field=st.just("company_size"), minimum=bounds),
    st.builds(Condition, field=st.just("company_size"), maximum=bounds),
    st.builds(Condition, field=st.just("title"), matches=st.sampled_from(["^VP", r"\bhead\b"])),
    st.builds(Condition, field=st.sampled_from(["email", "website_domain", "custom.tier"]),
              missing=st.booleans()),
)  # fmt: skip


@st.composite
def fit_models(draw: st.DrawFn) -> FitModel:
    names = draw(st.lists(texts, min_size=1, max_size=5, unique=True))
    group_names = draw(st.lists(texts, min_size=1, max_size=2, unique=True))
    rules = [
        FitRule(
            name=name,
            when=draw(st.lists(conditions, min_size=1, max_size=3)),
            points=draw(points),
            group=draw(st.none() | st.sampled_from(group_names)),
        )
        for name in names
    ]
    used = sorted({rule.group for rule in rules if rule.group is not None})
    minimums = draw(st.lists(bounds, max_size=3, unique=True))
    return FitModel(
        name=draw(texts),
        rules=rules,
        groups={group: draw(caps()) for group in used if draw(st.booleans())},
        total=draw(caps()),
        bands=Bands.of(**{f"band{i}": low for i, low in enumerate(minimums)}),
    )


@given(fit_models())
def test_fit_model_toml_and_json_round_trips(model: FitModel) -> None:
    data = model.to_dict()
    assert FitModel.from_toml(model.to_toml()).to_dict() == data
    assert FitModel.from_json(model.to_json()).to_dict() == data
    assert FitModel.from_dict(data) == model
