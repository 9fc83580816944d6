"""Properties of the predictive scoring models on small random data sets."""

from __future__ import annotations

import json
import math
import random
from datetime import datetime, timedelta, timezone

import attrs
from hypothesis import assume, given
from hypothesis import strategies as st

from leadflow.leads import Lead
from leadflow.scoring import Example
from leadflow.scoring.predictive import LogisticRegression, NaiveBayes

UTC = timezone.utc
T0 = datetime(2025, 1, 1, tzinfo=UTC)
AT = T0 + timedelta(days=30)
FEATURES = ("industry", "company_size", "custom.score")

rows = st.tuples(
    st.sampled_from(["Software", "Retail", "Health", None]),
    st.one_of(st.none(), st.integers(1, 1000)),
    st.one_of(st.none(), st.floats(-5, 5, allow_nan=False)),
    st.booleans(),
)


def examples_of(data: list[tuple[str | None, int | None, float | None, bool]]) -> list[Example]:
    examples = []
    for industry, size, score, converted in data:
        custom = {} if score is None else {"score": score}
        lead = Lead(created_at=T0, industry=industry, company_size=size, custom_fields=custom)
        examples.append(Example(lead=lead, converted=converted, at=AT))
    return examples


@st.composite
def data_sets(draw: st.DrawFn) -> list[Example]:
    data = draw(st.lists(rows, min_size=4, max_size=30))
    outcomes = {converted for *_, converted in data}
    assume(outcomes == {True, False})
    for column in range(3):
        assume(any(row[column] is not None for row in data))
    return examples_of(data)


models = st.sampled_from(
    [
        NaiveBayes(features=FEATURES),
        NaiveBayes(features=FEATURES, smoothing=0.5, bins=3),
        LogisticRegression(features=FEATURES),
        LogisticRegression(features=FEATURES, numeric="binned", bins=3, l2=0.1),
    ]
)


@given(data_sets(), models, st.lists(rows, min_size=1, max_size=5))
def test_contributions_sum_to_the_value_and_probabilities_are_proper(
    examples: list[Example],
    model: NaiveBayes | LogisticRegression,
    new: list[tuple[str | None, int | None, float | None, bool]],
) -> None:
    fitted = model.fit(examples)
    leads = [e.lead for e in examples] + [e.lead for e in examples_of(new)]
    batch = fitted.score_many(leads, at=AT)
    for i, lead in enumerate(leads):
        score = fitted.score(lead, at=AT)
        assert math.fsum(c.points for c in score.contributions) == score.value
        assert score.probability is not None
        assert 0.0 <= score.probability <= 1.0
        if i < len(examples):  # far from the training data a probability may round to 0 or 1
            assert 0.0 < score.probability < 1.0
        assert batch.values[i] == score.value
        assert batch.probabilities[i] == score.probability


@given(data_sets(), models)
def test_fitting_is_deterministic_and_survives_json(
    examples: list[Example], model: NaiveBayes | LogisticRegression
) -> None:
    first = model.fit(examples)
    second = model.fit(examples)
    assert first == second
    assert first.to_dict() == second.to_dict()
    loaded = type(model).from_dict(json.loads(json.dumps(first.to_dict())))
    assert loaded == first
    lead = examples[0].lead
    assert loaded.score(lead, at=AT) == first.score(lead, at=AT)


@given(data_sets(), st.randoms(use_true_random=False))
def test_naive_bayes_does_not_depend_on_the_order_of_examples(
    examples: list[Example], rng: random.Random
) -> None:
    shuffled = list(examples)
    rng.shuffle(shuffled)
    model = NaiveBayes(features=FEATURES)
    assert model.fit(shuffled) == model.fit(examples)


@given(data_sets())
def test_a_constant_feature_changes_no_naive_bayes_value(examples: list[Example]) -> None:
    with_constant = [
        attrs.evolve(
            e, lead=attrs.evolve(e.lead, custom_fields={**e.lead.custom_fields, "plan": "free"})
        )
        for e in examples
    ]
    plain = NaiveBayes(features=FEATURES).fit(examples)
    extended = NaiveBayes(features=[*FEATURES, "custom.plan"]).fit(with_constant)
    before = plain.score_many([e.lead for e in examples], at=AT).values
    after = extended.score_many([e.lead for e in with_constant], at=AT).values
    assert before == after


@given(data_sets())
def test_logistic_regression_fits_at_least_as_well_as_the_base_rate(
    examples: list[Example],
) -> None:
    # The fit minimises the penalised loss, and all-zero coefficients with the
    # base-rate intercept is one candidate, so the penalised loss is no worse.
    model = LogisticRegression(features=FEATURES).fit(examples)
    values = model.score_many([e.lead for e in examples], at=AT).values
    outcomes = [e.converted for e in examples]

    def loss(etas: list[float]) -> float:
        return math.fsum(
            math.log1p(math.exp(-abs(eta))) + max(eta, 0.0) - (eta if y else 0.0)
            for eta, y in zip(etas, outcomes, strict=True)
        )

    rate = sum(outcomes) / len(outcomes)
    prior = [math.log(rate / (1 - rate))] * len(outcomes)
    penalty = 0.5 * model.l2 * math.fsum(b * b for b in model.coef_ or ())
    assert loss(list(values)) + penalty <= loss(prior) + 1e-9
