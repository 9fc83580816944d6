"""Predictive scoring models: naive Bayes and logistic regression against a known truth.

The data are drawn in the test from a model we know: each lead's true log-odds of
converting is a linear function of its industry, company size and a custom score,
and it converts with probability ``logistic(true log-odds)``.  The fitted models
are checked against that truth, never against their own earlier output.
"""

from __future__ import annotations

import json
import math
import pickle
import random
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
import pytest

from leadflow.activities import Activity, ActivityKind
from leadflow.errors import InvalidConfiguration, ModelNotFitted
from leadflow.leads import Lead
from leadflow.scoring import Bands, Example, Score, ScoringModel
from leadflow.scoring.predictive import Feature, LogisticRegression, NaiveBayes

UTC = timezone.utc
T0 = datetime(2025, 1, 1, tzinfo=UTC)
AT = T0 + timedelta(days=30)

# ---------------------------------------------------------------- the truth

INTERCEPT = -1.0
INDUSTRY = {"Software": 1.0, "Retail": -0.5, "Manufacturing": 0.0, "Health": 0.4}
INDUSTRY_MISSING = 0.2  # a lead whose industry is unknown
PER_EMPLOYEE = 0.004  # company_size from 1 to 500
PER_SCORE_POINT = 0.8  # custom.score ~ N(0, 1)
SCORE_MISSING = -0.3  # a lead without custom.score

FEATURES = ("industry", "company_size", "custom.score")


def true_log_odds(industry: str | None, size: int, score: float | None) -> float:
    industry_part = INDUSTRY_MISSING if industry is None else INDUSTRY[industry]
    score_part = SCORE_MISSING if score is None else PER_SCORE_POINT * score
    return INTERCEPT + industry_part + PER_EMPLOYEE * size + score_part


def draw(n: int, seed: int) -> tuple[list[Example], list[float]]:
    """``n`` examples and their true log-odds, drawn with ``seed``."""
    rng = random.Random(seed)
    examples, truth = [], []
    for _ in range(n):
        industry = None if rng.random() < 0.05 else rng.choice(sorted(INDUSTRY))
        size = rng.randint(1, 500)
        score = None if rng.random() < 0.1 else rng.gauss(0.0, 1.0)
        log_odds = true_log_odds(industry, size, score)
        converted = rng.random() < logistic(log_odds)
        custom = {} if score is None else {"score": score}
        lead = Lead(created_at=T0, industry=industry, company_size=size, custom_fields=custom)
        examples.append(Example(lead=lead, converted=converted, at=AT))
        truth.append(log_odds)
    return examples, truth


def logistic(value: float) -> float:
    return 1.0 / (1.0 + math.exp(-value))


def auc(outcomes: list[bool], scores: list[float]) -> float:
    """The area under the ROC curve (Mann-Whitney, ties counted half)."""
    order = sorted(range(len(scores)), key=scores.__getitem__)
    ranks = [0.0] * len(scores)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    positives = sum(outcomes)
    negatives = len(outcomes) - positives
    rank_sum = sum(r for r, y in zip(ranks, outcomes, strict=True) if y)
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


@pytest.fixture(scope="module")
def train() -> list[Example]:
    return draw(5000, seed=1)[0]


@pytest.fixture(scope="module")
def holdout() -> tuple[list[Example], list[float]]:
    return draw(5000, seed=2)


@pytest.fixture(scope="module")
def logit(train: list[Example]) -> LogisticRegression:
    return LogisticRegression(features=FEATURES, l2=1e-3).fit(train)


@pytest.fixture(scope="module")
def bayes(train: list[Example]) -> NaiveBayes:
    return NaiveBayes(features=FEATURES).fit(train)


def lead(**fields: Any) -> Lead:
    return Lead(created_at=T0, **fields)


def coefficient(model: LogisticRegression, feature: str, term: str) -> float:
    found = [
        r["coefficient"] for r in model.summary() if r["feature"] == feature and r["term"] == term
    ]
    assert len(found) == 1, (feature, term)
    return float(found[0])


# ------------------------------------------------------------ against the truth


class TestAgainstTheTruth:
    def test_logistic_regression_recovers_the_true_coefficients(
        self, logit: LogisticRegression
    ) -> None:
        assert logit.converged_
        summary = {(r["feature"], r["term"]): r for r in logit.summary()}
        # Tolerances are about 4 standard errors at n = 5000 (base rate ~ 0.5).
        size = summary[("company_size", "z")]
        assert size["coefficient"] / size["std"] == pytest.approx(PER_EMPLOYEE, abs=0.001)
        score = summary[("custom.score", "z")]
        assert score["coefficient"] / score["std"] == pytest.approx(PER_SCORE_POINT, abs=0.13)
        # Categories are one-hot over every level, so only differences are identified.
        reference = coefficient(logit, "industry", "Manufacturing")
        for industry, effect in INDUSTRY.items():
            fitted = coefficient(logit, "industry", industry) - reference
            assert fitted == pytest.approx(effect - INDUSTRY["Manufacturing"], abs=0.35)
        missing = coefficient(logit, "industry", "(missing)") - reference
        assert missing == pytest.approx(INDUSTRY_MISSING, abs=0.5)
        # A missing score is imputed with the mean (z = 0) plus an indicator column.
        indicator = summary[("custom.score", "(missing)")]["coefficient"]
        imputed = PER_SCORE_POINT * score["mean"]
        assert indicator == pytest.approx(SCORE_MISSING - imputed, abs=0.4)

    def test_logistic_regression_log_odds_track_the_truth(
        self, logit: LogisticRegression, holdout: tuple[list[Example], list[float]]
    ) -> None:
        examples, truth = holdout
        scores = logit.score_many([e.lead for e in examples], at=AT)
        errors = [abs(v - t) for v, t in zip(scores.values, truth, strict=True)]
        assert math.fsum(errors) / len(errors) < 0.15

    @pytest.mark.parametrize("fixture", ["bayes", "logit"])
    def test_ranks_nearly_as_well_as_the_true_log_odds(
        self,
        fixture: str,
        request: pytest.FixtureRequest,
        holdout: tuple[list[Example], list[float]],
    ) -> None:
        model = request.getfixturevalue(fixture)
        examples, truth = holdout
        outcomes = [e.converted for e in examples]
        best = auc(outcomes, truth)
        scores = model.score_many([e.lead for e in examples], at=AT)
        assert auc(outcomes, list(scores.values)) > best - 0.03
        assert best > 0.7  # the truth itself separates well, so the bound means something

    def test_naive_bayes_probabilities_are_calibrated_on_average(
        self, bayes: NaiveBayes, holdout: tuple[list[Example], list[float]]
    ) -> None:
        examples, _ = holdout
        scores = bayes.score_many([e.lead for e in examples], at=AT)
        rate = sum(e.converted for e in examples) / len(examples)
        mean = math.fsum(p for p in scores.probabilities if p is not None) / len(examples)
        assert mean == pytest.approx(rate, abs=0.03)

    def test_binned_logistic_regression_ranks_well_too(
        self, train: list[Example], holdout: tuple[list[Example], list[float]]
    ) -> None:
        model = LogisticRegression(features=FEATURES, numeric="binned", bins=8).fit(train)
        assert {e.scheme for e in model.encodings_ or ()} == {"categorical", "binned"}
        examples, truth = holdout
        outcomes = [e.converted for e in examples]
        scores = model.score_many([e.lead for e in examples], at=AT)
        assert auc(outcomes, list(scores.values)) > auc(outcomes, truth) - 0.03


# ------------------------------------------------------------------- scores


MODELS = ["bayes", "logit"]


def some_leads() -> list[Lead]:
    return [
        lead(industry="Software", company_size=120, custom_fields={"score": 1.5}),
        lead(industry="Retail", company_size=3, custom_fields={"score": -2.0}),
        lead(industry=None, company_size=499),  # missing industry and score
        lead(industry="Mining", company_size=50, custom_fields={"score": 0.1}),  # unseen
        lead(industry="Health", company_size=None, custom_fields={"score": "high"}),
    ]


@pytest.mark.parametrize("fixture", MODELS)
class TestScores:
    def test_is_a_scoring_model(self, fixture: str, request: pytest.FixtureRequest) -> None:
        assert isinstance(request.getfixturevalue(fixture), ScoringModel)

    def test_contributions_sum_exactly_to_the_value(
        self, fixture: str, request: pytest.FixtureRequest
    ) -> None:
        model = request.getfixturevalue(fixture)
        for one in some_leads():
            score = model.score(one, at=AT)
            assert [c.name for c in score.contributions] == ["baseline", *FEATURES]
            assert math.fsum(c.points for c in score.contributions) == score.value
            assert score.probability == pytest.approx(logistic(score.value), rel=1e-12)
            assert score.lead_id == one.id
            assert score.model == model.name
            assert score.at == AT

    def test_the_baseline_is_the_intercept(
        self, fixture: str, request: pytest.FixtureRequest
    ) -> None:
        model = request.getfixturevalue(fixture)
        baseline = model.score(some_leads()[0], at=AT).contributions[0]
        assert baseline.points == model.intercept_

    def test_an_unseen_category_gives_zero_and_says_unseen(
        self, fixture: str, request: pytest.FixtureRequest
    ) -> None:
        model = request.getfixturevalue(fixture)
        score = model.score(lead(industry="Mining", company_size=10), at=AT)
        industry = next(c for c in score.contributions if c.name == "industry")
        assert industry.points == 0.0
        assert "unseen value 'Mining'" in industry.reason

    def test_a_value_that_is_not_a_number_gives_zero_and_says_so(
        self, fixture: str, request: pytest.FixtureRequest
    ) -> None:
        model = request.getfixturevalue(fixture)
        score = model.score(lead(company_size=10, custom_fields={"score": "high"}), at=AT)
        part = next(c for c in score.contributions if c.name == "custom.score")
        assert part.points == 0.0
        assert "unseen value 'high', not a number" in part.reason

    def test_score_many_gives_exactly_the_values_of_score(
        self, fixture: str, request: pytest.FixtureRequest
    ) -> None:
        model = request.getfixturevalue(fixture)
        leads = some_leads() * 3
        batch = model.score_many(leads, at=AT)
        assert len(batch) == len(leads)
        for i, one in enumerate(leads):
            single = model.score(one, at=AT)
            assert batch.values[i] == single.value
            assert batch.probabilities[i] == single.probability
            assert batch.bands[i] == single.band
            assert batch[i] == single  # built lazily through the explain callback
            assert batch[i].value == batch.values[i]

    def test_fit_returns_a_new_model_and_leaves_the_old_one_unfitted(
        self, fixture: str, request: pytest.FixtureRequest, train: list[Example]
    ) -> None:
        model = request.getfixturevalue(fixture)
        blank = type(model)(features=FEATURES)
        fitted = blank.fit(train[:200])
        assert fitted is not blank
        assert fitted.fitted
        assert not blank.fitted
        with pytest.raises(ModelNotFitted):
            blank.score(some_leads()[0], at=AT)

    def test_a_naive_at_is_refused(self, fixture: str, request: pytest.FixtureRequest) -> None:
        model = request.getfixturevalue(fixture)
        with pytest.raises(ValueError, match="aware"):
            model.score(some_leads()[0], at=datetime(2025, 2, 1))


def test_an_absurd_number_is_capped_not_overflowed(logit: LogisticRegression) -> None:
    huge = lead(industry="Retail", company_size=10**300, custom_fields={"score": -1e308})
    score = logit.score(huge, at=AT)
    assert math.isfinite(score.value)
    assert "z = +1000000.00" in score.contributions[2].reason
    assert logit.score_many([huge], at=AT).values == (score.value,)


class TestMissingValues:
    def test_naive_bayes_learns_missing_as_a_category(
        self, bayes: NaiveBayes, train: list[Example]
    ) -> None:
        score = bayes.score(lead(industry=None, company_size=10), at=AT)
        part = next(c for c in score.contributions if c.name == "industry")
        assert part.reason.startswith("industry missing: ")
        record = next(
            r for r in bayes.summary() if r["feature"] == "industry" and r["value"] == "(missing)"
        )
        assert part.points == record["points"]
        expected = sum(1 for e in train if e.lead.industry is None)
        assert record["converted"] + record["not_converted"] == expected

    def test_missing_never_seen_at_fit_is_unseen(self, train: list[Example]) -> None:
        complete = [e for e in train if e.lead.industry is not None]
        for cls in (NaiveBayes, LogisticRegression):
            model = cls(features=["industry"]).fit(complete)
            part = model.score(lead(industry=None), at=AT).contributions[1]
            assert part.points == 0.0
            assert "unseen value (missing)" in part.reason

    def test_logistic_regression_imputes_a_missing_number_and_uses_its_indicator(
        self, logit: LogisticRegression
    ) -> None:
        score = logit.score(lead(industry="Retail", company_size=10), at=AT)
        part = next(c for c in score.contributions if c.name == "custom.score")
        assert part.points == coefficient(logit, "custom.score", "(missing)")
        assert "imputed with the training mean" in part.reason

    def test_logistic_regression_without_missing_numbers_adds_no_indicator(
        self, train: list[Example]
    ) -> None:
        model = LogisticRegression(features=["company_size"]).fit(train)
        assert [r["term"] for r in model.summary()] == ["intercept", "z"]
        part = model.score(lead(company_size=None), at=AT).contributions[1]
        assert part.points == 0.0
        assert "imputed with the training mean" in part.reason


# ---------------------------------------------------------------- activities


def visits(target: Lead, days: list[float]) -> list[Activity]:
    return [
        Activity(
            created_at=T0,
            kind=ActivityKind.WEB_VISIT,
            occurred_at=T0 + timedelta(days=d),
            lead_id=target.id,
        )
        for d in days
    ]


@pytest.fixture(scope="module")
def visit_examples() -> list[Example]:
    """Leads that convert more the more they visited before ``AT`` (later visits are noise)."""
    rng = random.Random(5)
    examples = []
    for _ in range(600):
        target = lead(industry=rng.choice(sorted(INDUSTRY)))
        before = rng.randint(0, 4)
        after = rng.randint(0, 6)
        days = [rng.uniform(0, 29) for _ in range(before)] + [
            rng.uniform(31, 60) for _ in range(after)
        ]
        converted = rng.random() < logistic(-1.5 + 0.8 * before)
        examples.append(
            Example(lead=target, activities=visits(target, days), converted=converted, at=AT)
        )
    return examples


@pytest.mark.parametrize("cls", [NaiveBayes, LogisticRegression])
class TestActivities:
    def test_activities_after_at_are_ignored_when_scoring(
        self, cls: type[NaiveBayes | LogisticRegression], visit_examples: list[Example]
    ) -> None:
        model = cls(features=["industry", "activity.web_visit"]).fit(visit_examples)
        target = lead(industry="Retail")
        early = visits(target, [1, 2])
        late = visits(target, [35, 40, 45])
        with_late = model.score(target, [*early, *late], at=AT)
        assert with_late == model.score(target, early, at=AT)
        assert "activity.web_visit = 2" in with_late.contributions[2].reason
        batch = model.score_many([target], [*late, *early], at=AT)
        assert batch[0] == with_late
        assert batch.values[0] == with_late.value

    def test_activities_after_at_are_ignored_when_fitting(
        self, cls: type[NaiveBayes | LogisticRegression], visit_examples: list[Example]
    ) -> None:
        trimmed = [
            attrs.evolve(e, activities=[a for a in e.activities if a.occurred_at <= AT])
            for e in visit_examples
        ]
        model = cls(features=["industry", "activity.web_visit"])
        assert model.fit(visit_examples) == model.fit(trimmed)

    def test_an_example_without_at_is_read_at_the_fit_at(
        self, cls: type[NaiveBayes | LogisticRegression], visit_examples: list[Example]
    ) -> None:
        undated = [attrs.evolve(e, at=None) for e in visit_examples]
        model = cls(features=["industry", "activity.web_visit"])
        assert model.fit(undated, at=AT) == model.fit(visit_examples)

    def test_visits_raise_the_score(
        self, cls: type[NaiveBayes | LogisticRegression], visit_examples: list[Example]
    ) -> None:
        model = cls(features=["activity.web_visit"]).fit(visit_examples)
        target = lead()
        none = model.score(target, [], at=AT).value
        three = model.score(target, visits(target, [1, 2, 3]), at=AT).value
        assert three > none + 1.0


# ----------------------------------------------------------- fitting errors


@pytest.mark.parametrize("cls", [NaiveBayes, LogisticRegression])
class TestFitErrors:
    def test_no_examples(self, cls: type[NaiveBayes | LogisticRegression]) -> None:
        with pytest.raises(ValueError, match="examples is empty"):
            cls(features=FEATURES).fit([])

    def test_no_features(
        self, cls: type[NaiveBayes | LogisticRegression], train: list[Example]
    ) -> None:
        with pytest.raises(ValueError, match="no features"):
            cls().fit(train[:50])

    def test_one_class_only(
        self, cls: type[NaiveBayes | LogisticRegression], train: list[Example]
    ) -> None:
        won = [e for e in train[:50] if e.converted]
        with pytest.raises(ValueError, match=rf"all {len(won)} examples converted"):
            cls(features=FEATURES).fit(won)
        lost = [e for e in train[:50] if not e.converted]
        with pytest.raises(ValueError, match=rf"all {len(lost)} examples did not convert"):
            cls(features=FEATURES).fit(lost)

    def test_a_feature_missing_everywhere(
        self, cls: type[NaiveBayes | LogisticRegression], train: list[Example]
    ) -> None:
        with pytest.raises(ValueError, match=r"feature 'custom.nothing' .* missing in all 50"):
            cls(features=["industry", "custom.nothing"]).fit(train[:50])

    def test_an_example_without_a_time(
        self, cls: type[NaiveBayes | LogisticRegression], train: list[Example]
    ) -> None:
        examples = [*train[:5], attrs.evolve(train[5], at=None), *train[6:20]]
        with pytest.raises(ValueError, match=r"examples\[5\] has no at"):
            cls(features=FEATURES).fit(examples)

    def test_a_numeric_feature_with_text(
        self, cls: type[NaiveBayes | LogisticRegression], train: list[Example]
    ) -> None:
        examples = list(train[:20])
        examples[3] = attrs.evolve(
            examples[3], lead=attrs.evolve(examples[3].lead, custom_fields={"score": "high"})
        )
        with pytest.raises(ValueError, match=r"'custom.score' is numeric but examples\[3\]"):
            cls(features=[Feature(field="custom.score", kind="numeric")]).fit(examples)
        # Without a declared kind, text makes the feature categorical.
        model = cls(features=["custom.score"]).fit(examples)
        assert model.score(examples[3].lead, at=AT).contributions[1].points != 0.0

    def test_unfitted_models_raise_model_not_fitted(
        self, cls: type[NaiveBayes | LogisticRegression]
    ) -> None:
        model = cls(features=FEATURES)
        for use in (
            lambda: model.score(lead(), at=AT),
            lambda: model.score_many([lead()], at=AT),
            model.summary,
        ):
            with pytest.raises(ModelNotFitted, match=r"is not fitted: call fit\(\) first"):
                use()


class TestConfiguration:
    def test_features_are_features_or_field_names(self) -> None:
        model = NaiveBayes(features=["industry", Feature(field="custom.x", name="x", bins=4)])
        assert model.features == (
            Feature(field="industry"),
            Feature(field="custom.x", name="x", bins=4),
        )
        assert model.features[0].name == "industry"

    def test_an_unknown_field_is_refused(self) -> None:
        with pytest.raises(InvalidConfiguration, match="unknown field"):
            Feature(field="shoe_size")
        with pytest.raises(InvalidConfiguration, match="unknown activity kind"):
            NaiveBayes(features=["activity.telepathy"])

    def test_feature_names_must_be_unique_and_not_baseline(self) -> None:
        with pytest.raises(InvalidConfiguration, match=r"features\[1\]\.name: is used by two"):
            NaiveBayes(features=["industry", Feature(field="country", name="industry")])
        with pytest.raises(InvalidConfiguration, match="reserved"):
            LogisticRegression(features=[Feature(field="country", name="baseline")])

    def test_parameters_are_checked(self) -> None:
        with pytest.raises(InvalidConfiguration, match="smoothing"):
            NaiveBayes(smoothing=0)
        with pytest.raises(InvalidConfiguration, match="l2"):
            LogisticRegression(l2=-1.0)
        with pytest.raises(InvalidConfiguration, match="numeric"):
            LogisticRegression(numeric="log")  # type: ignore[arg-type]
        with pytest.raises(InvalidConfiguration, match="bins"):
            Feature(field="company_size", bins=1)
        with pytest.raises(InvalidConfiguration, match="kind"):
            Feature(field="company_size", kind="ordinal")  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="list of Feature"):
            NaiveBayes(features="industry")

    def test_kinds_are_inferred_at_fit(self, train: list[Example]) -> None:
        examples = [
            attrs.evolve(
                e, lead=attrs.evolve(e.lead, email=f"x@{'gmail' if i % 3 else 'acme'}.com")
            )
            for i, e in enumerate(train[:300])
        ]
        model = NaiveBayes(features=[*FEATURES, "free_mail"]).fit(examples)
        kinds = {t.encoding.feature.name: t.encoding.feature.kind for t in model.tables_ or ()}
        assert kinds == {
            "industry": "categorical",
            "company_size": "numeric",
            "custom.score": "numeric",
            "free_mail": "categorical",  # booleans are categories, not numbers
        }
        assert model.features[1].kind is None  # the configuration is kept as given

    def test_a_declared_categorical_number_keeps_its_values(self, train: list[Example]) -> None:
        examples = [
            attrs.evolve(e, lead=attrs.evolve(e.lead, company_size=(e.lead.company_size or 0) % 3))
            for e in train[:300]
        ]
        feature = Feature(field="company_size", kind="categorical")
        model = LogisticRegression(features=[feature]).fit(examples)
        assert [r["term"] for r in model.summary()] == ["intercept", "0", "1", "2"]
        assert model.encodings_ is not None
        assert model.encodings_[0].levels == (0, 1, 2)

    def test_fit_may_replace_the_features(self, train: list[Example]) -> None:
        model = LogisticRegression(features=FEATURES).fit(train[:300], features=["industry"])
        assert [f.name for f in model.features] == ["industry"]

    def test_bands_apply_to_the_value(self, train: list[Example]) -> None:
        bands = Bands.of(hot=1.0, warm=-0.5, cold=-math.inf)
        model = NaiveBayes(features=FEATURES, bands=bands).fit(train[:500])
        for one in some_leads():
            score = model.score(one, at=AT)
            assert score.band == bands.band(score.value)

    def test_repr_shows_the_parameters_and_whether_fitted(self, bayes: NaiveBayes) -> None:
        text = repr(bayes)
        assert text.startswith("NaiveBayes(name='naive_bayes', features=(Feature(")
        assert "smoothing=1.0" in text
        assert text.endswith("fitted=True, n_examples_=5000)")
        assert len(text) < 600
        assert repr(LogisticRegression()).endswith("bands=Bands(bands=()), fitted=False)")

    def test_binned_numbers_use_the_features_bins(self, train: list[Example]) -> None:
        feature = Feature(field="company_size", bins=4)
        model = NaiveBayes(features=[feature, "custom.score"], bins=6).fit(train)
        size, score = model.tables_ or ()
        assert len(size.encoding.edges) == 3
        assert len(score.encoding.edges) == 5
        # Each bin holds about a quarter of the leads, and every bin was seen.
        counts = [c + n for c, n in zip(size.converted, size.not_converted, strict=True)]
        assert all(abs(c - len(train) / 4) < len(train) / 20 for c in counts)

    def test_a_constant_number_does_not_break_either_model(self, train: list[Example]) -> None:
        examples = [
            attrs.evolve(e, lead=attrs.evolve(e.lead, custom_fields={"flat": 7}))
            for e in train[:300]
        ]
        nb = NaiveBayes(features=["industry", "custom.flat"]).fit(examples)
        assert nb.score(examples[0].lead, at=AT).contributions[2].points == 0.0
        lr = LogisticRegression(features=["industry", "custom.flat"]).fit(examples)
        assert lr.encodings_ is not None
        assert lr.encodings_[1].std == 1.0
        assert coefficient(lr, "custom.flat", "z") == pytest.approx(0.0, abs=1e-12)

    def test_newton_reports_when_it_stops_early(self, train: list[Example]) -> None:
        model = LogisticRegression(features=FEATURES, max_iter=1).fit(train)
        assert model.n_iter_ == 1
        assert model.converged_ is False
        assert LogisticRegression(features=FEATURES).fit(train).converged_ is True


# -------------------------------------------------------------------- summary


class TestSummary:
    def test_naive_bayes_counts_add_up(self, bayes: NaiveBayes, train: list[Example]) -> None:
        records = bayes.summary()
        baseline = records[0]
        converted = sum(e.converted for e in train)
        assert baseline == {
            "feature": "baseline",
            "field": None,
            "value": None,
            "converted": converted,
            "not_converted": len(train) - converted,
            "likelihood_ratio": converted / (len(train) - converted),
            "points": bayes.intercept_,
        }
        for feature in FEATURES:
            rows = [r for r in records if r["feature"] == feature]
            assert rows
            assert sum(r["converted"] for r in rows) == converted
            assert sum(r["converted"] + r["not_converted"] for r in rows) == len(train)
            for row in rows:
                assert row["points"] == pytest.approx(math.log(row["likelihood_ratio"]))
        assert bayes.classes_prior_ == pytest.approx(
            ((len(train) - converted) / len(train), converted / len(train))
        )

    def test_naive_bayes_points_follow_the_smoothed_formula(self, bayes: NaiveBayes) -> None:
        rows = [r for r in bayes.summary() if r["feature"] == "industry"]
        n1 = sum(r["converted"] for r in rows)
        n0 = sum(r["not_converted"] for r in rows)
        width = len(rows)
        for row in rows:
            p1 = (row["converted"] + 1) / (n1 + width)
            p0 = (row["not_converted"] + 1) / (n0 + width)
            assert row["points"] == pytest.approx(math.log(p1 / p0), rel=1e-12)

    def test_logistic_regression_has_one_record_per_coefficient(
        self, logit: LogisticRegression
    ) -> None:
        records = logit.summary()
        assert records[0]["term"] == "intercept"
        assert records[0]["coefficient"] == logit.intercept_
        assert [r["coefficient"] for r in records[1:]] == list(logit.coef_ or ())
        assert len(logit.columns_) == len(records) - 1
        assert logit.columns_[:2] == ("industry = Health", "industry = Manufacturing")
        assert logit.columns_[4:] == (
            "industry (missing)",
            "company_size (z)",
            "custom.score (z)",
            "custom.score (missing)",
        )
        for record in records:
            assert record["converged"] is True
            assert record["iterations"] == logit.n_iter_
            numeric = record["feature"] in ("company_size", "custom.score")
            assert (record["std"] is not None) == numeric
        assert {r["term"] for r in records if r["feature"] == "industry"} == {
            *INDUSTRY,
            "(missing)",
        }


# ------------------------------------------------------------------ round trips


@pytest.mark.parametrize("fixture", MODELS)
class TestRoundTrips:
    def test_pickle_gives_identical_scores(
        self, fixture: str, request: pytest.FixtureRequest
    ) -> None:
        model = request.getfixturevalue(fixture)
        again = pickle.loads(pickle.dumps(model))
        assert again == model
        for one in some_leads():
            assert again.score(one, at=AT) == model.score(one, at=AT)

    def test_json_gives_identical_scores(
        self, fixture: str, request: pytest.FixtureRequest
    ) -> None:
        model = request.getfixturevalue(fixture)
        data = json.loads(json.dumps(model.to_dict()))
        again = type(model).from_dict(data)
        assert again == model
        assert again.to_dict() == model.to_dict()
        leads = some_leads()
        assert again.score_many(leads, at=AT).values == model.score_many(leads, at=AT).values
        for one in leads:
            assert again.score(one, at=AT) == model.score(one, at=AT)

    def test_an_unfitted_model_round_trips_its_configuration(
        self, fixture: str, request: pytest.FixtureRequest
    ) -> None:
        model = request.getfixturevalue(fixture)
        blank = type(model)(
            name="mine",
            features=[Feature(field="custom.x", name="x", kind="numeric", bins=3), "industry"],
            bands=Bands.of(hot=0.5, cold=-math.inf),
        )
        data = blank.to_dict()
        assert "fitted" not in data
        assert data["features"] == [
            {"field": "custom.x", "name": "x", "kind": "numeric", "bins": 3},
            {"field": "industry"},
        ]
        assert type(model).from_dict(json.loads(json.dumps(data))) == blank

    def test_the_type_must_match(self, fixture: str, request: pytest.FixtureRequest) -> None:
        model = request.getfixturevalue(fixture)
        other = LogisticRegression if isinstance(model, NaiveBayes) else NaiveBayes
        with pytest.raises(InvalidConfiguration, match="at type: must be"):
            other.from_dict(model.to_dict())


def broken(
    model: NaiveBayes | LogisticRegression, path: tuple[str | int, ...], change: Any
) -> dict[str, Any]:
    """The model's data with the value at ``path`` set to ``change`` (or passed to it)."""
    data = json.loads(json.dumps(model.to_dict()))
    *parents, last = path
    target = data
    for step in parents:
        target = target[step]
    if callable(change):
        change(target[last])
    else:
        target[last] = change
    return dict(data)


T = "fitted", "tables"
E = "fitted", "encodings"


class TestBadData:
    @pytest.mark.parametrize(
        ("path", "change", "key"),
        [
            (("extra",), 1, "extra"),
            (("features", 0), {"field": "shoe"}, "features[0].field"),
            (("features", 0), "shoe", "features[0]"),
            (("smoothing",), 0, "smoothing"),
            (("fitted", "n_converted"), 0, "fitted.n_converted"),
            (T, list.pop, "fitted.tables"),
            ((*T, 0, "converted", 1), -1, "fitted.tables[0].converted[1]"),
            ((*T, 0, "converted", 1), 10**6, "fitted.tables[0].converted"),
            ((*T, 0, "not_converted"), list.pop, "fitted.tables[0].not_converted"),
            ((*T, 0, "levels", 0), "Retail", "fitted.tables[0].levels[2]"),
            ((*T, 0, "scheme"), "standardised", "fitted.tables[0].scheme"),
            ((*T, 1, "edges"), list.reverse, "fitted.tables[1].edges[1]"),
            ((*T, 1, "levels", 0), 99, "fitted.tables[1].levels[0]"),
            ((*T, 0, "colour"), "red", "fitted.tables[0].colour"),
        ],
    )
    def test_naive_bayes(
        self, bayes: NaiveBayes, path: tuple[str | int, ...], change: Any, key: str
    ) -> None:
        with pytest.raises(InvalidConfiguration) as caught:
            NaiveBayes.from_dict(broken(bayes, path, change))
        assert caught.value.key == key

    @pytest.mark.parametrize(
        ("path", "change", "key"),
        [
            (("type",), "random_forest", "type"),
            (("numeric",), "log", "numeric"),
            (("l2",), 0, "l2"),
            (("fitted", "intercept"), "high", "fitted.intercept"),
            (("fitted", "converged"), "yes", "fitted.converged"),
            ((*E, 0, "coef"), list.pop, "fitted.encodings[0].coef"),
            ((*E, 1, "coef", 0), None, "fitted.encodings[1].coef[0]"),
            ((*E, 1, "std"), 0, "fitted.encodings[1].std"),
            ((*E, 1, "scheme"), "binned", "fitted.encodings[1].scheme"),
            ((*E, 0, "levels", 0), [1], "fitted.encodings[0].levels[0]"),
            ((*E, 0, "scheme"), "standardised", "fitted.encodings[0].mean"),
            (
                ("features", 0),
                {"field": "industry", "kind": "numeric"},
                "fitted.encodings[0].scheme",
            ),
        ],
    )
    def test_logistic_regression(
        self, logit: LogisticRegression, path: tuple[str | int, ...], change: Any, key: str
    ) -> None:
        with pytest.raises(InvalidConfiguration) as caught:
            LogisticRegression.from_dict(broken(logit, path, change))
        assert caught.value.key == key


def test_scores_explain_themselves(bayes: NaiveBayes, logit: LogisticRegression) -> None:
    target = lead(industry="Software", company_size=120, custom_fields={"score": 1.5})
    text = bayes.score(target, at=AT).explain()
    assert "base rate" in text
    assert "industry = 'Software': " in text
    assert "x more common among converted leads" in text
    assert "company_size = 120 (" in text  # and its bin
    text = logit.score(target, at=AT).explain()
    assert "intercept: log-odds" in text
    assert "custom.score = 1.5 (z = +" in text
    assert isinstance(logit.score(target, at=AT), Score)
