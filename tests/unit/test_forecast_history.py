"""Probabilities learned from history: stage win rates, win rates by group, time in stage.

Every expected figure below is worked out by hand from the small histories built in
each test, with the formula written out with its numbers.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta, timezone
from typing import Any

import attrs
import numpy as np
import pytest

from leadflow import InvalidConfiguration, Money, NotFound, Opportunity, Probability
from leadflow.errors import ValidationError
from leadflow.forecasting.history import (
    GroupRate,
    GroupWinRates,
    StageDuration,
    StageRate,
    StageWinRates,
    stage_win_rates,
    time_in_stage,
    win_rates,
)
from leadflow.opportunities import ContactRole
from leadflow.pipelines import DEFAULT_PIPELINE, Pipeline, Stage
from leadflow.values import CampaignId, ContactId, LeadId

UTC = timezone.utc
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # a Monday; day n below is T0 + n days
Z = 1.959963984540054

P = Pipeline(
    name="simple",
    won_requires=(),
    lost_requires=(),
    stages=[
        Stage(name="a", probability=0.2, forecast_category="pipeline"),
        Stage(name="b", probability=0.5, forecast_category="pipeline"),
        Stage(name="c", probability=0.8, forecast_category="commit"),
        Stage(name="won", probability=1, forecast_category="closed", outcome="won"),
        Stage(name="lost", probability=0, forecast_category="omitted", outcome="lost"),
    ],
)
OTHER = attrs.evolve(P, name="other")


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def deal(steps: list[tuple[str, float]], *, pipeline: Pipeline = P, **fields: Any) -> Opportunity:
    """A deal built through the pipeline's actions.

    The first step opens the deal in that stage; then ``"won"`` closes it won,
    ``"lost"`` closes it lost, ``"reopen:<stage>"`` reopens it and any other name
    moves it there, each at day ``n``.
    """
    (first, start), *rest = steps
    opportunity = pipeline.open(name="deal", at=day(start), stage=first, **fields).opportunity
    for action, n in rest:
        if action == "won":
            change = pipeline.close_won(opportunity, at=day(n))
        elif action == "lost":
            change = pipeline.close_lost(opportunity, at=day(n), reason="price")
        elif action.startswith("reopen:"):
            change = pipeline.reopen(opportunity, at=day(n), stage=action.removeprefix("reopen:"))
        else:
            change = pipeline.move(opportunity, action, at=day(n))
        opportunity = change.opportunity
    return opportunity


def wilson(won: int, n: int) -> tuple[float, float]:
    """The Wilson interval in its other algebraic form, from the counts.

    (2x + z^2 -+ z sqrt(z^2 + 4 x (n - x) / n)) / (2 (n + z^2))
    """
    root = Z * math.sqrt(Z * Z + 4 * won * (n - won) / n)
    return (2 * won + Z * Z - root) / (2 * (n + Z * Z)), (2 * won + Z * Z + root) / (
        2 * (n + Z * Z)
    )


def history() -> list[Opportunity]:
    """The deals of the stage win-rate tests; close days in the comments (T0 is Jan 5)."""
    return [
        deal([("a", 0), ("b", 2), ("c", 5), ("won", 9)]),  # 1: closes Jan 14
        deal([("a", 0), ("c", 3), ("won", 10)]),  # 2: skipped b; Jan 15
        deal([("a", 0), ("b", 1), ("lost", 4)]),  # 3: Jan 9
        deal([("a", 0), ("lost", 6)]),  # 4: Jan 11
        deal([("b", 0), ("lost", 2)]),  # 5: opened in b, so it got past a; Jan 7
        # 6: lost, reopened in c and won: counts as won; Jan 30
        deal([("a", 0), ("b", 1), ("c", 2), ("lost", 3), ("reopen:c", 20), ("won", 25)]),
        deal([("a", 0), ("b", 4)]),  # 7: open
        deal([("a", 0), ("won", 5), ("reopen:b", 6)]),  # 8: won, reopened: open now
        deal([("a", 0), ("c", 1), ("won", 3)], pipeline=OTHER),  # 9: another pipeline
        deal([("a", 0), ("c", 2), ("b", 4), ("lost", 6)]),  # 10: went back to b; Jan 11
    ]


class TestStageWinRates:
    def test_counts_reached_and_won_with_skips_reopens_and_moves_back(self) -> None:
        rates = stage_win_rates(history(), P)
        # a: closed deals 1, 2, 3, 4, 5, 6, 10 reached it (5 opened past it), won 1, 2, 6.
        # b: 1, 2 (skipped it), 3, 5, 6, 10; c: 1, 2, 6, 10 (went back, but got to c).
        # 7 and 8 are open, 9 is another pipeline's.
        assert [(r.stage, r.reached, r.won) for r in rates.stages] == [
            ("a", 7, 3),
            ("b", 6, 3),
            ("c", 4, 3),
        ]
        assert [r.default for r in rates.stages] == [0.2, 0.5, 0.8]
        assert [r.observed for r in rates.stages] == [3 / 7, 3 / 6, 3 / 4]
        assert rates.pipeline == "simple"
        assert rates.prior_strength == 10.0

    def test_smoothed_rates_with_the_default_prior_strength(self) -> None:
        rates = stage_win_rates(history(), P)
        # (won + m p0) / (reached + m) with m = 10
        assert rates.rate("a") == pytest.approx((3 + 10 * 0.2) / (7 + 10))  # 5/17
        assert rates.rate("a") == pytest.approx(5 / 17)
        assert rates.rate("b") == pytest.approx((3 + 10 * 0.5) / (6 + 10))  # 8/16
        assert rates.rate("b") == pytest.approx(0.5)
        assert rates.rate("c") == pytest.approx((3 + 10 * 0.8) / (4 + 10))  # 11/14
        assert rates.rate("c") == pytest.approx(11 / 14)

    def test_another_prior_strength(self) -> None:
        rates = stage_win_rates(history(), P, prior_strength=2)
        assert [r.rate for r in rates.stages] == pytest.approx(
            [(3 + 2 * 0.2) / (7 + 2), (3 + 2 * 0.5) / (6 + 2), (3 + 2 * 0.8) / (4 + 2)]
        )

    def test_prior_strength_zero_gives_the_observed_rates(self) -> None:
        rates = stage_win_rates(history(), P, prior_strength=0)
        assert [r.rate for r in rates.stages] == [3 / 7, 0.5, 0.75]

    def test_wilson_intervals(self) -> None:
        rates = stage_win_rates(history(), P)
        for row, (won, n) in zip(rates.stages, [(3, 7), (3, 6), (3, 4)], strict=True):
            low, high = wilson(won, n)
            assert row.low == pytest.approx(low, abs=1e-12)
            assert row.high == pytest.approx(high, abs=1e-12)
        # 3 of 6: the interval is symmetric around 0.5
        assert rates.stages[1].low == pytest.approx(1 - rates.stages[1].high)

    def test_no_closed_deals(self) -> None:
        rates = stage_win_rates([deal([("a", 0)])], P)
        for row, default in zip(rates.stages, [0.2, 0.5, 0.8], strict=True):
            assert (row.reached, row.won, row.observed) == (0, 0, None)
            assert (row.rate, row.low, row.high) == (default, 0.0, 1.0)
        assert stage_win_rates([], P, prior_strength=0).rate("b") == 0.5

    def test_closed_window(self) -> None:
        # [Jan 9, Jan 15): deals 3 (Jan 9, the first day counts), 4, 10 (Jan 11) and
        # 1 (Jan 14); not 2 (Jan 15, the end is excluded), 5 (Jan 7) nor 6 (Jan 30).
        rates = stage_win_rates(
            history(),
            P,
            prior_strength=0,
            closed_since=date(2026, 1, 9),
            closed_until=date(2026, 1, 15),
        )
        # a: 3, 4, 10, 1 (won: 1); b: 3, 10, 1; c: 10, 1
        assert [(r.reached, r.won) for r in rates.stages] == [(4, 1), (3, 1), (2, 1)]
        assert [r.rate for r in rates.stages] == [1 / 4, 1 / 3, 1 / 2]
        since = stage_win_rates(history(), P, closed_since=date(2026, 1, 15))
        assert [r.reached for r in since.stages] == [2, 2, 2]  # deals 2 and 6
        until = stage_win_rates(history(), P, closed_until=date(2026, 1, 9))
        assert [r.reached for r in until.stages] == [1, 1, 0]  # deal 5

    def test_a_won_deal_closes_on_the_close_date_it_was_won_with(self) -> None:
        opened = deal([("a", 0)])
        won = P.close_won(opened, at=day(9), close_date=date(2026, 2, 1)).opportunity
        february = stage_win_rates([won], P, closed_since=date(2026, 2, 1))
        assert february.stages[0].reached == 1
        january = stage_win_rates([won], P, closed_until=date(2026, 2, 1))
        assert january.stages[0].reached == 0

    def test_the_default_pipeline(self) -> None:
        ready: dict[str, Any] = {
            "amount": Money.of(5000, "EUR"),
            "expected_close_date": date(2026, 3, 31),
            "contact_roles": [ContactRole(contact_id=ContactId.new(), role="decision maker")],
        }
        p = DEFAULT_PIPELINE
        skipped = p.open(name="skips ahead", at=day(0), **ready).opportunity
        skipped = p.move(skipped, "proposal", at=day(3)).opportunity
        skipped = p.close_won(skipped, at=day(9)).opportunity
        lost = p.open(name="lost early", at=day(0)).opportunity
        lost = p.close_lost(lost, at=day(2), reason="no budget").opportunity
        rates = stage_win_rates([skipped, lost])
        assert [(r.stage, r.reached, r.won) for r in rates.stages] == [
            ("prospecting", 2, 1),
            ("qualification", 1, 1),
            ("needs_analysis", 1, 1),
            ("proposal", 1, 1),
            ("negotiation", 0, 0),
        ]
        assert [r.rate for r in rates.stages] == pytest.approx(
            [
                (1 + 10 * 0.1) / (2 + 10),
                (1 + 10 * 0.2) / (1 + 10),
                (1 + 10 * 0.3) / (1 + 10),
                (1 + 10 * 0.6) / (1 + 10),
                0.8,
            ]
        )

    def test_unknown_stage(self) -> None:
        rates = stage_win_rates(history(), P)
        with pytest.raises(NotFound, match="zzz"):
            rates.rate("zzz")
        with pytest.raises(NotFound, match="open stage of pipeline simple won not found"):
            rates.rate("won")

    @pytest.mark.parametrize("bad", [-1, -0.5, math.nan, math.inf, "10", True, None])
    def test_bad_prior_strength(self, bad: Any) -> None:
        with pytest.raises(InvalidConfiguration) as caught:
            stage_win_rates(history(), P, prior_strength=bad)
        assert caught.value.key == "prior_strength"

    def test_bad_windows(self) -> None:
        with pytest.raises(InvalidConfiguration) as caught:
            stage_win_rates([], P, closed_since=date(2026, 2, 1), closed_until=date(2026, 2, 1))
        assert caught.value.key == "closed_until"
        with pytest.raises(InvalidConfiguration) as caught:
            stage_win_rates([], P, closed_since=T0)
        assert caught.value.key == "closed_since"

    def test_records_frame_and_text(self) -> None:
        rates = stage_win_rates(history(), P)
        records = rates.records()
        assert list(records[0]) == [
            "stage",
            "reached",
            "won",
            "observed",
            "rate",
            "low",
            "high",
            "default",
        ]
        assert records[2]["stage"] == "c"
        assert records[2]["reached"] == 4
        assert records[2]["observed"] == 0.75
        assert records[2]["rate"] == pytest.approx(11 / 14)
        frame = rates.to_frame()
        assert frame.shape == (3, 8)
        assert list(frame["reached"]) == [7, 6, 4]
        lines = str(rates).splitlines()
        assert lines[0] == "Stage win rates, pipeline simple (prior strength 10 deals)"
        header = "stage reached won observed rate low high default"
        assert lines[1].split() == header.split()
        # 3/7 = 42.9 %, 5/17 = 29.4 %
        assert lines[2].split()[:5] == ["a", "7", "3", "42.9%", "29.4%"]
        assert lines[4].split()[-1] == "80.0%"

    def test_a_row_by_hand(self) -> None:
        row = StageRate(stage="x", reached=4, won=1, default=0.5, rate=0.4, low=0.1, high=0.8)
        assert row.observed == 0.25
        assert (
            StageRate(stage="x", reached=0, won=0, default=0.5, rate=0.5, low=0, high=1).observed
            is None
        )


class TestApply:
    def test_the_pipeline_then_uses_the_learned_rates(self) -> None:
        rates = stage_win_rates(history(), P)
        learned = rates.apply(P)
        assert learned.name == P.name
        assert [s.name for s in learned.stages] == [s.name for s in P.stages]
        in_a = deal([("a", 0)])
        in_c = deal([("a", 0), ("c", 1)])
        assert P.probability(in_a) == Probability(value=0.2)
        assert learned.probability(in_a).value == pytest.approx(5 / 17)
        assert learned.probability(in_c).value == pytest.approx(11 / 14)
        assert learned.stage("won") == P.stage("won")
        assert learned.stage("lost") == P.stage("lost")
        assert learned.stage("c").forecast_category == P.stage("c").forecast_category
        # the learned pipeline still moves deals
        assert learned.move(in_a, "b", at=day(1)).opportunity.stage == "b"

    def test_another_pipeline_is_refused(self) -> None:
        rates = stage_win_rates(history(), P)
        with pytest.raises(InvalidConfiguration) as caught:
            rates.apply(OTHER)
        assert caught.value.key == "pipeline"
        fewer = attrs.evolve(P, stages=[s for s in P.stages if s.name != "b"])
        with pytest.raises(InvalidConfiguration) as caught:
            rates.apply(fewer)
        assert caught.value.key == "stages"
        assert caught.value.value == ["a", "c"]

    def test_built_by_hand(self) -> None:
        rates = StageWinRates(
            pipeline="simple",
            prior_strength=0.0,
            stages=tuple(
                StageRate(stage=name, reached=1, won=1, default=0.1, rate=rate, low=0, high=1)
                for name, rate in [("a", 0.3), ("b", 0.6), ("c", 0.9)]
            ),
        )
        learned = rates.apply(P)
        assert [s.probability.value for s in learned.stages] == [0.3, 0.6, 0.9, 1.0, 0.0]


def owners() -> list[Opportunity]:
    """ana: won 3, lost 1 (and one open deal); bob: won 1, lost 5; no owner: lost 1."""
    deals = []
    for owner, results in [
        ("ana", ["won", "won", "won", "lost"]),
        ("bob", ["won", "lost", "lost", "lost", "lost", "lost"]),
        (None, ["lost"]),
    ]:
        deals.extend(deal([("a", 0), (result, 5)], owner=owner) for result in results)
    deals.append(deal([("a", 0)], owner="ana"))
    return deals


class TestWinRates:
    def test_by_owner(self) -> None:
        rates = win_rates(owners(), P, by="owner")
        # 11 closed deals, 4 won
        assert rates.overall == pytest.approx(4 / 11)
        assert rates.by == "owner"
        assert [(g.key, g.closed, g.won, g.observed) for g in rates.groups] == [
            ("bob", 6, 1, 1 / 6),
            ("ana", 4, 3, 3 / 4),
            (None, 1, 0, 0.0),
        ]
        # (won + m p) / (closed + m), p = 4/11, m = 10
        assert rates.rate("ana") == pytest.approx((3 + 10 * 4 / 11) / (4 + 10))
        assert rates.rate("ana") == pytest.approx(73 / 154)
        assert rates.rate("bob") == pytest.approx(51 / 176)
        assert rates.rate(None) == pytest.approx(40 / 121)
        assert rates.rate("carol") == pytest.approx(4 / 11)  # never seen: the overall rate
        bob = rates.groups[0]
        assert (bob.low, bob.high) == pytest.approx(wilson(1, 6))

    def test_prior_strength_zero(self) -> None:
        rates = win_rates(owners(), P, by="owner", prior_strength=0)
        assert [g.rate for g in rates.groups] == [1 / 6, 3 / 4, 0.0]

    def test_ties_sort_by_key_as_text(self) -> None:
        deals = [deal([("a", 0), ("won", 1)], owner=name) for name in ["cy", "al", "bo"]]
        assert [g.key for g in win_rates(deals, P, by="owner").groups] == ["al", "bo", "cy"]

    def test_by_custom_field_and_campaign(self) -> None:
        spring, autumn = CampaignId.new(), CampaignId.new()
        deals = [
            deal([("a", 0), ("won", 3)], custom_fields={"region": "emea"}, campaign_id=spring),
            deal([("a", 0), ("lost", 3)], custom_fields={"region": "emea"}, campaign_id=spring),
            deal([("a", 0), ("won", 3)], custom_fields={"region": "apac"}, campaign_id=autumn),
            deal([("a", 0), ("won", 3)], campaign_id=autumn),
        ]
        regions = win_rates(deals, P, by="custom.region", prior_strength=0)
        assert regions.by == "custom.region"
        assert [(g.key, g.closed, g.won) for g in regions.groups] == [
            ("emea", 2, 1),
            (None, 1, 1),  # ties by key as text: "None" < "apac"
            ("apac", 1, 1),
        ]
        campaigns = win_rates(deals, P, by="campaign_id")
        assert {g.key: (g.closed, g.won) for g in campaigns.groups} == {
            spring: (2, 1),
            autumn: (2, 2),
        }
        assert campaigns.overall == 0.75

    def test_by_lead_source_through_a_function(self) -> None:
        leads = {LeadId.new(): "google", LeadId.new(): "google", LeadId.new(): "referral"}
        ids = list(leads)
        deals = [
            deal([("a", 0), ("won", 2)], source_lead_id=ids[0]),
            deal([("a", 0), ("lost", 2)], source_lead_id=ids[1]),
            deal([("a", 0), ("won", 2)], source_lead_id=ids[2]),
            deal([("a", 0), ("lost", 2)]),
        ]

        def source(opportunity: Opportunity) -> object:
            if opportunity.source_lead_id is None:
                return None
            return leads.get(opportunity.source_lead_id)

        rates = win_rates(deals, P, by=source, prior_strength=4)
        assert rates.by == "source"
        # overall 2/4; google (1 + 4 x 0.5) / (2 + 4) = 0.5; referral (1 + 2) / 5 = 0.6
        assert rates.rate("google") == pytest.approx(0.5)
        assert rates.rate("referral") == pytest.approx(0.6)
        assert rates.rate(None) == pytest.approx(2 / 5)

    def test_by_pipeline_over_several_pipelines(self) -> None:
        deals = [
            deal([("a", 0), ("won", 1)]),
            deal([("a", 0), ("lost", 1)], pipeline=OTHER),
            deal([("a", 0), ("lost", 1)], pipeline=OTHER),
        ]
        rates = win_rates(deals, [P, OTHER], by="pipeline", prior_strength=0)
        assert [(g.key, g.closed, g.won) for g in rates.groups] == [
            ("other", 2, 0),
            ("simple", 1, 1),
        ]
        with pytest.raises(NotFound, match="pipeline other not found"):
            win_rates(deals, P, by="pipeline")

    def test_closed_window(self) -> None:
        deals = [
            deal([("a", 0), ("won", 1)], owner="ana"),  # Jan 6
            deal([("a", 0), ("lost", 10)], owner="ana"),  # Jan 15
            deal([("a", 0), ("lost", 20)], owner="bob"),  # Jan 25
        ]
        rates = win_rates(
            deals, P, by="owner", closed_since=date(2026, 1, 6), closed_until=date(2026, 1, 25)
        )
        assert [(g.key, g.closed, g.won) for g in rates.groups] == [("ana", 2, 1)]

    def test_published_wilson_intervals(self) -> None:
        # Newcombe (1998), "Two-sided confidence intervals for the single proportion",
        # Statistics in Medicine 17: 857-872, method 3 (score interval without
        # continuity correction): 15/148 0.0624-0.1605, 0/20 0-0.1611, 1/29 0.0061-0.1718.
        deals = []
        for group, won, closed in [("x", 15, 148), ("y", 0, 20), ("z", 1, 29)]:
            deals += [deal([("a", 0), ("won", 1)], owner=group) for _ in range(won)]
            deals += [deal([("a", 0), ("lost", 1)], owner=group) for _ in range(closed - won)]
        rates = win_rates(deals, P, by="owner")
        bounds = {g.key: (round(g.low, 4), round(g.high, 4)) for g in rates.groups}
        assert bounds == {"x": (0.0624, 0.1605), "y": (0.0, 0.1611), "z": (0.0061, 0.1718)}

    @pytest.mark.parametrize("by", ["ownr", "line_items_total", "custom.", 42])
    def test_unknown_attribute(self, by: Any) -> None:
        with pytest.raises(InvalidConfiguration) as caught:
            win_rates(owners(), P, by=by)
        assert caught.value.key == "by"
        assert caught.value.value == by

    def test_keys_must_be_hashable(self) -> None:
        with pytest.raises(InvalidConfiguration, match="not hashable") as caught:
            win_rates(owners(), P, by=lambda opportunity: [opportunity.owner])
        assert caught.value.key == "by"

    def test_no_closed_deals(self) -> None:
        with pytest.raises(ValidationError) as caught:
            win_rates([deal([("a", 0)]), deal([("b", 0)])], P, by="owner")
        problem = caught.value.problems[0]
        assert (problem.path, problem.value) == ("opportunities", 2)
        assert "none closed in the window" in problem.reason

    def test_records_frame_and_text(self) -> None:
        rates = win_rates(owners(), P, by="owner", prior_strength=0)
        assert rates.records()[1] == {
            "key": "ana",
            "closed": 4,
            "won": 3,
            "observed": 0.75,
            "rate": 0.75,
            "low": pytest.approx(wilson(3, 4)[0]),
            "high": pytest.approx(wilson(3, 4)[1]),
        }
        assert list(rates.to_frame()["closed"]) == [6, 4, 1]
        lines = str(rates).splitlines()
        assert lines[0] == "Win rates by owner (overall 36.4%, prior strength 0 deals)"
        assert lines[1].split() == ["key", "closed", "won", "observed", "rate", "low", "high"]
        assert lines[3].split()[:5] == ["ana", "4", "3", "75.0%", "75.0%"]
        assert lines[4].startswith("    ")  # no owner: an empty key cell

    def test_built_by_hand(self) -> None:
        group = GroupRate(key="k", closed=2, won=1, observed=0.5, rate=0.5, low=0.1, high=0.9)
        rates = GroupWinRates(by="k", overall=0.4, prior_strength=1.0, groups=(group,))
        assert (rates.rate("k"), rates.rate("other")) == (0.5, 0.4)


def visits() -> list[Opportunity]:
    """The deals of the time-in-stage tests; completed visits in days in the comments."""
    return [
        deal([("a", 0), ("b", 2), ("c", 5), ("won", 9)]),  # a 2, b 3, c 4
        deal([("a", 0), ("c", 3), ("won", 10)]),  # a 3, c 7
        deal([("a", 0), ("b", 1), ("lost", 4)]),  # a 1, b 3
        deal([("a", 0), ("b", 0.5)]),  # a 0.5; b ongoing
        deal([("a", 0), ("c", 2), ("b", 4), ("c", 5), ("lost", 6)]),  # a 2, c 2, b 1, c 1
        deal([("a", 0)]),  # a ongoing
        deal([("a", 0), ("b", 30), ("won", 40)], pipeline=OTHER),  # another pipeline
    ]


class TestTimeInStage:
    def test_statistics_per_open_stage(self) -> None:
        a, b, c = time_in_stage(visits(), P)
        # a: [0.5, 1, 2, 2, 3]: mean 8.5 / 5; quantile q at position 4q:
        # p25 at 1 -> 1, median at 2 -> 2, p75 at 3 -> 2, p90 at 3.6 -> 2 + 0.6 x (3 - 2)
        assert a == StageDuration(
            stage="a",
            completed=5,
            ongoing=1,
            mean_days=pytest.approx(1.7),
            median_days=2.0,
            p25_days=1.0,
            p75_days=2.0,
            p90_days=pytest.approx(2.6),
        )
        # b: [1, 3, 3]: mean 7/3; positions 2q: p25 at 0.5 -> 1 + 0.5 x 2 = 2,
        # median at 1 -> 3, p75 at 1.5 -> 3, p90 at 1.8 -> 3
        assert (b.stage, b.completed, b.ongoing) == ("b", 3, 1)
        assert (b.mean_days, b.median_days, b.p25_days, b.p75_days, b.p90_days) == pytest.approx(
            (7 / 3, 3, 2, 3, 3)
        )
        # c: [1, 2, 4, 7]: mean 3.5; positions 3q: p25 at 0.75 -> 1.75, median at 1.5
        # -> 3, p75 at 2.25 -> 4 + 0.25 x 3 = 4.75, p90 at 2.7 -> 4 + 0.7 x 3 = 6.1
        assert (c.stage, c.completed, c.ongoing) == ("c", 4, 0)
        assert (c.mean_days, c.median_days, c.p25_days, c.p75_days, c.p90_days) == pytest.approx(
            (3.5, 3, 1.75, 4.75, 6.1)
        )

    def test_percentiles_agree_with_numpy(self) -> None:
        completed = {"a": [2, 3, 1, 0.5, 2], "b": [3, 3, 1], "c": [4, 7, 2, 1]}
        for row in time_in_stage(visits(), P):
            values = completed[row.stage]
            expected = np.percentile(values, [25, 50, 75, 90])
            assert [row.p25_days, row.median_days, row.p75_days, row.p90_days] == pytest.approx(
                list(expected)
            )

    def test_as_the_histories_stood_at_a_moment(self) -> None:
        a, b, c = time_in_stage(visits(), P, at=day(2.5))
        # a: completed 2 (deal 1), 1 (3), 0.5 (4), 2 (5); ongoing: 2 (left at day 3), 6
        assert (a.completed, a.ongoing) == (4, 2)
        assert a.mean_days == pytest.approx(5.5 / 4)
        assert a.median_days == pytest.approx(1.5)  # [0.5, 1, 2, 2]: position 1.5
        # b: deals 1, 3 and 4 are in it; 5 enters it later
        assert (b.completed, b.ongoing, b.mean_days, b.p90_days) == (0, 3, None, None)
        # c: deal 5 is in it; 1 and 2 enter it later
        assert (c.completed, c.ongoing, c.median_days) == (0, 1, None)

    def test_empty_and_won_lost_stages_left_out(self) -> None:
        rows = time_in_stage([], P)
        assert [r.stage for r in rows] == ["a", "b", "c"]
        assert all(r.completed == r.ongoing == 0 and r.mean_days is None for r in rows)

    def test_naive_moment_is_refused(self) -> None:
        with pytest.raises(ValidationError) as caught:
            time_in_stage(visits(), P, at=datetime(2026, 1, 7))
        assert caught.value.problems[0].path == "at"
