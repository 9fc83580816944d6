"""Scoring benchmark: a composite rule model over many leads, and fitting the predictive models.

Usage::

    python benchmarks/bench_scoring.py [--leads 100000] [--activities 10] [--rows 100000]
                                       [--repeat 3]

**Composite scoring.**  ``--leads`` leads, each with ``--activities`` activities (web
visits, e-mail opens and clicks, forms, calls and the odd unsubscribe, inbound or
outbound, up to 120 days old), BANT authority and need assessed, an industry, a
company size, a title and an e-mail address (half free-mail).  The model is a
:class:`~leadflow.scoring.WeightedSum` of the default :class:`~leadflow.scoring.BantModel`
(x0.3), a :class:`~leadflow.scoring.FitModel` of three rules (x0.3) and an
:class:`~leadflow.scoring.EngagementModel` (x0.4) with a 30-day half-life, inbound x1
and outbound x0.5, a rule cap, a frequency rule, a capped group, a free-mail penalty,
an undecayed unsubscribe penalty and a total cap: all loaded from TOML, as a user
would.  ``score_many`` is given the activities grouped by lead and computes every
value and band (explanations are built when a score is read: that is timed
separately, on a tenth of the leads).

The baseline, in the same run: a hand-written loop computing the same numbers with
the rules written out as Python (checked: the values agree to 1e-9 and the bands
are the same).  Targets: within 3x of the hand-written loop, and at least 1,000,000
activities per second.

**Fitting.**  ``--rows`` examples with 12 features (5 categorical, one of them the
first touch's source; 5 numeric custom fields, one with missing values; the count of
web visits; the days since the last activity), converted with a known logistic
probability.  Each predictive model is fitted once per repeat.  The baseline is
reading the same feature values from the examples (what any fit must do first).
Target: each fit under 10 s.

Every figure is the best of ``--repeat`` runs, with the cyclic GC off while timing.
"""

from __future__ import annotations

import argparse
import math
import random
import re
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

from _timing import best_of

from leadflow._config import load_toml
from leadflow.activities import Activity, ActivityKind, Direction
from leadflow.leads import Lead
from leadflow.scoring import (
    Example,
    Feature,
    LogisticRegression,
    NaiveBayes,
    model_from_dict,
)
from leadflow.values import BANT, Assessment, Authority, LeadId, Need

AT = datetime(2026, 11, 1, tzinfo=timezone.utc)

MODEL = """
type = "weighted_sum"
name = "lead score"
bands = [{ name = "hot", min = 60 }, { name = "warm", min = 30 }, { name = "cold" }]

[[models]]
weight = 0.3
model = { type = "bant", authority = { weight = 25, values = { decision_maker = 1.0, influencer = 0.6, user = 0.2, none = 0.0 } }, need = { weight = 25, values = { high = 1.0, medium = 0.6, low = 0.2, none = 0.0 } } }

[[models]]
weight = 0.3
[models.model]
type = "fit"
rules = [
    { name = "industry", when = { field = "industry", in = ["software"] }, points = 30 },
    { name = "size", when = { field = "company_size", min = 50, max = 1000 }, points = 20 },
    { name = "title", when = { field = "title", matches = "(?i)vp|ceo" }, points = 20 },
]

[[models]]
weight = 0.4
[models.model]
type = "engagement"
max = 100
min = 0
decay = { half_life_days = 30 }
direction = { inbound = 1.0, outbound = 0.5 }
groups = { web = { max = 20 } }
rules = [
    { name = "web visits", kinds = ["web_visit"], points = 2, group = "web" },
    { name = "frequent visitor", kinds = ["web_visit"], frequency = [{ min = 3, points = 5 }], within_days = 30, group = "web" },
    { name = "e-mail opens", kinds = ["email_open"], points = 1, max = 10 },
    { name = "e-mail clicks", kinds = ["email_click"], points = 3 },
    { name = "forms", kinds = ["form_submission"], points = 10 },
    { name = "unsubscribed", kinds = ["unsubscribe"], points = -30, decay = false },
    { name = "free-mail address", when = { field = "free_mail", equals = true }, points = -5 },
]
"""  # noqa: E501

KINDS = (
    ActivityKind.WEB_VISIT, ActivityKind.WEB_VISIT, ActivityKind.EMAIL_OPEN,
    ActivityKind.EMAIL_OPEN, ActivityKind.EMAIL_CLICK, ActivityKind.FORM_SUBMISSION,
    ActivityKind.CALL, ActivityKind.UNSUBSCRIBE,
)  # fmt: skip


def make_leads(
    n: int, per_lead: int, seed: int = 0
) -> tuple[list[Lead], dict[LeadId, list[Activity]]]:
    """``n`` leads and their activities, grouped by lead."""
    rng = random.Random(seed)
    leads, grouped = [], {}
    for i in range(n):
        bant = BANT(
            authority=Assessment(value=rng.choice(list(Authority)), assessed_at=AT),
            need=Assessment(value=rng.choice(list(Need)), assessed_at=AT),
        )
        lead = Lead(
            created_at=AT - timedelta(days=200),
            industry=rng.choice(["Software", "Retail", "Finance"]),
            company_size=rng.randint(1, 5000),
            title=rng.choice(["VP Sales", "Engineer", "CEO", "Analyst"]),
            email=f"lead{i}@" + rng.choice(["gmail.com", "acme.example"]),
            bant=bant,
        )
        leads.append(lead)
        grouped[lead.id] = [
            Activity(
                created_at=AT,
                kind=rng.choice(KINDS),
                occurred_at=AT - timedelta(days=rng.uniform(0, 120)),
                direction=rng.choice([Direction.INBOUND, Direction.OUTBOUND]),
                lead_id=lead.id,
            )
            for _ in range(per_lead)
        ]
    return leads, grouped


# ------------------------------------------------------------- the hand-written loop

_LN2 = math.log(2.0)
_AUTHORITY = {"decision_maker": 1.0, "influencer": 0.6, "user": 0.2, "none": 0.0}
_NEED = {"high": 1.0, "medium": 0.6, "low": 0.2, "none": 0.0}
_TITLE = re.compile("(?i)vp|ceo")
_WEB, _OPEN, _CLICK = ActivityKind.WEB_VISIT, ActivityKind.EMAIL_OPEN, ActivityKind.EMAIL_CLICK
_FORM, _UNSUB, _IN = ActivityKind.FORM_SUBMISSION, ActivityKind.UNSUBSCRIBE, Direction.INBOUND


def hand_written(lead: Lead, activities: Sequence[Activity], at: datetime) -> float:  # noqa: PLR0912
    """The model's value with its rules written out as Python."""
    bant = lead.bant
    b = 0.0
    if bant.authority is not None:
        b += 25 * _AUTHORITY[bant.authority.value.value]
    if bant.need is not None:
        b += 25 * _NEED[bant.need.value.value]
    f = 0.0
    if lead.industry and lead.industry.casefold() == "software":
        f += 30
    if lead.company_size is not None and 50 <= lead.company_size <= 1000:
        f += 20
    if lead.title and _TITLE.search(lead.title):
        f += 20
    web = opens = clicks = forms = unsubscribed = 0.0
    recent = 0
    for activity in activities:
        age = (at - activity.occurred_at).total_seconds()
        if age < 0:
            continue
        days = age / 86_400
        weight = 1.0 if activity.direction is _IN else 0.5
        kind = activity.kind
        if kind is _UNSUB:
            unsubscribed += weight
            continue
        decayed = weight * math.exp(-_LN2 * days / 30)
        if kind is _WEB:
            web += decayed
            recent += days <= 30
        elif kind is _OPEN:
            opens += decayed
        elif kind is _CLICK:
            clicks += decayed
        elif kind is _FORM:
            forms += decayed
    e = min(20.0, 2 * web + (5 if recent >= 3 else 0)) + min(10.0, opens)
    e += 3 * clicks + 10 * forms - 30 * unsubscribed
    if lead.email is not None and lead.email.domain == "gmail.com":
        e -= 5
    e = max(0.0, min(100.0, e))
    return 0.3 * b + 0.3 * f + 0.4 * e


def hand_band(value: float) -> str:
    return "hot" if value >= 60 else "warm" if value >= 30 else "cold"


# ------------------------------------------------------------------------ timing


def bench_composite(n: int, per_lead: int, repeat: int) -> None:
    leads, grouped = make_leads(n, per_lead)
    model = model_from_dict(load_toml(MODEL))
    count = n * per_lead
    ours, scores = best_of(repeat, lambda: model.score_many(leads, grouped, at=AT))
    theirs, values = best_of(
        repeat, lambda: [hand_written(lead, grouped[lead.id], AT) for lead in leads]
    )
    worst = max(abs(a - b) for a, b in zip(scores.values, values, strict=True))
    assert worst < 1e-9, f"the values differ by {worst}"
    assert list(scores.bands) == [hand_band(v) for v in values], "the bands differ"
    rate, baseline = count / ours, count / theirs
    ratio = ours / theirs
    print(
        f"composite scoring {n:,} leads x {per_lead} activities (BANT + fit + engagement with"
        f" decay): leadflow {rate:,.0f} activities/s; hand-written loop {baseline:,.0f}"
        f" activities/s (ratio {ratio:.2f}, target <= 3: {'met' if ratio <= 3 else 'NOT met'})"
    )
    print(
        f"target >= 1,000,000 activities/s: {'met' if rate >= 1_000_000 else 'NOT met'}"
        f" ({rate:,.0f}/s; values agree to {worst:.1e})"
    )
    tenth = max(1, n // 10)
    batch = model.score_many(leads[:tenth], grouped, at=AT)
    built, _ = best_of(1, lambda: [batch[i] for i in range(tenth)])
    explained = model.score(leads[0], grouped[leads[0].id], at=AT)
    assert explained.value == scores.values[0]
    print(
        f"  with every explanation built ({tenth:,} leads): {tenth / built:,.0f} leads/s;"
        f" batch values only: {n / ours:,.0f} leads/s"
    )


# ----------------------------------------------------------------------- fitting

FEATURES = (
    Feature(field="industry"),
    Feature(field="country"),
    Feature(field="source"),
    Feature(field="custom.plan"),
    Feature(field="custom.channel"),
    Feature(field="company_size", kind="numeric"),
    Feature(field="custom.visits", kind="numeric"),
    Feature(field="custom.minutes", kind="numeric"),
    Feature(field="custom.pages", kind="numeric"),
    Feature(field="custom.score", kind="numeric"),
    Feature(field="activity.web_visit", kind="numeric"),
    Feature(field="days_since_last_activity", kind="numeric"),
)


def make_examples(n: int, seed: int = 1) -> list[Example]:
    """``n`` examples whose conversion follows a known logistic model."""
    from leadflow.values import Touchpoint

    rng = random.Random(seed)
    industries = ["Software", "Retail", "Finance", "Health", "Education", "Media"]
    countries = ["US", "DE", "FR", "IN", "BR", "JP", "GB"]
    sources = ["google", "linkedin", "referral", "event", "direct"]
    effect = {"Software": 0.8, "Finance": 0.4, "Retail": -0.3}
    examples = []
    for _ in range(n):
        industry = rng.choice(industries)
        minutes = rng.expovariate(1 / 300)
        score = rng.gauss(50, 15) if rng.random() < 0.8 else None
        lead = Lead(
            created_at=AT - timedelta(days=60),
            industry=industry,
            country=rng.choice(countries),
            company_size=rng.randint(1, 2000),
            first_touch=Touchpoint(occurred_at=AT - timedelta(days=60), source=rng.choice(sources)),
            custom_fields={
                "plan": rng.choice(["free", "team", "enterprise"]),
                "channel": rng.choice(["web", "phone", "partner"]),
                "visits": rng.randint(0, 20),
                "minutes": minutes,
                "pages": rng.uniform(0, 8),
                "score": score,
            },
        )
        visits = [
            Activity(
                created_at=AT,
                kind=ActivityKind.WEB_VISIT,
                occurred_at=AT - timedelta(days=rng.uniform(0, 60)),
                lead_id=lead.id,
            )
            for _ in range(rng.randint(0, 3))
        ]
        logit = -1.0 + effect.get(industry, 0.0) + 0.003 * minutes + 0.3 * len(visits)
        logit += 0.0 if score is None else 0.02 * (score - 50)
        converted = rng.random() < 1 / (1 + math.exp(-logit))
        examples.append(Example(lead=lead, activities=visits, converted=converted, at=AT))
    return examples


def bench_fit(rows: int, repeat: int) -> None:
    from leadflow.scoring._features import field_getter

    examples = make_examples(rows)
    getters = [field_getter(f.field) for f in FEATURES]

    def read() -> int:
        return sum(
            1 for e in examples for get in getters if get(e.lead, e.activities, AT) is not None
        )

    baseline, _ = best_of(repeat, read)
    for model in (NaiveBayes(features=FEATURES), LogisticRegression(features=FEATURES)):
        took, fitted = best_of(repeat, lambda m=model: m.fit(examples))
        print(
            f"fit {type(model).__name__} on {rows:,} rows x {len(FEATURES)} features:"
            f" {took:.2f} s (target < 10 s: {'met' if took < 10 else 'NOT met'});"
            f" reading the feature values alone {baseline:.2f} s (ratio {took / baseline:.2f})"
        )
        assert fitted.fitted


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--activities", type=int, default=10)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    bench_composite(args.leads, args.activities, args.repeat)
    bench_fit(args.rows, args.repeat)


if __name__ == "__main__":
    main()
