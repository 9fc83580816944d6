"""Pipelines: validation, moves with exit criteria, closing, reopening, playbooks, data."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import attrs
import pytest

from leadflow import (
    ActivityKind,
    ContactRole,
    ForecastCategory,
    InvalidConfiguration,
    InvalidTransition,
    Money,
    NotFound,
    Opportunity,
    Probability,
)
from leadflow.lifecycle.guards import AmountSet, ReasonIn
from leadflow.opportunities import StageVisit
from leadflow.pipelines import (
    DEFAULT_PIPELINE,
    BusinessCalendar,
    Outcome,
    Pipeline,
    PlaybookStep,
    Stage,
    b2b_pipeline,
    find_pipeline,
)
from leadflow.values import ContactId

UTC = timezone.utc
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
FRIDAY = datetime(2026, 3, 6, 16, 0, tzinfo=UTC)


def stages() -> list[Stage]:
    return [
        Stage(name="open", probability=0.2, forecast_category="pipeline"),
        Stage(
            name="late", probability=0.7, forecast_category="commit", exit_criteria=[AmountSet()]
        ),
        Stage(name="won", probability=1, forecast_category="closed", outcome="won"),
        Stage(name="lost", probability=0, forecast_category="omitted", outcome="lost"),
    ]


def new_deal(pipeline: Pipeline = DEFAULT_PIPELINE, **fields: Any) -> Opportunity:
    return pipeline.open(name="Acme: new business", at=MONDAY, owner="ana", **fields).opportunity


class TestValidation:
    def test_the_default_pipeline(self) -> None:
        p = DEFAULT_PIPELINE
        assert [(s.name, s.probability.value, s.forecast_category.value) for s in p.stages] == [
            ("prospecting", 0.1, "pipeline"),
            ("qualification", 0.2, "pipeline"),
            ("needs_analysis", 0.3, "pipeline"),
            ("proposal", 0.6, "best_case"),
            ("negotiation", 0.8, "commit"),
            ("closed_won", 1.0, "closed"),
            ("closed_lost", 0.0, "omitted"),
        ]
        assert (p.first_stage.name, p.won_stage.name, p.lost_stage.name) == (
            "prospecting",
            "closed_won",
            "closed_lost",
        )

    def test_exactly_one_won_and_one_lost_stage(self) -> None:
        two_won = [*stages()[:3], attrs.evolve(stages()[2], name="won again"), stages()[3]]
        with pytest.raises(InvalidConfiguration, match="exactly one won stage, found 2"):
            Pipeline(name="p", stages=two_won)
        with pytest.raises(InvalidConfiguration, match="exactly one lost stage, found 0"):
            Pipeline(name="p", stages=stages()[:3])

    def test_closed_stages_have_fixed_probability_and_category(self) -> None:
        bad = stages()
        bad[2] = attrs.evolve(bad[2], probability=Probability(value=0.9))
        with pytest.raises(InvalidConfiguration) as error:
            Pipeline(name="p", stages=bad)
        assert error.value.key == "stages[2].probability"
        bad = stages()
        bad[3] = attrs.evolve(bad[3], forecast_category=ForecastCategory.PIPELINE)
        with pytest.raises(InvalidConfiguration, match="forecast category must be omitted"):
            Pipeline(name="p", stages=bad)

    def test_stage_values_are_checked(self) -> None:
        with pytest.raises(InvalidConfiguration, match="probability"):
            Stage(name="x", probability=60, forecast_category="pipeline")
        with pytest.raises(InvalidConfiguration, match="forecast_category") as error:
            Stage(name="x", probability=0.6, forecast_category="maybe")
        assert "pipeline" in error.value.reason
        with pytest.raises(InvalidConfiguration, match="outcome"):
            Stage(name="x", probability=0.6, forecast_category="pipeline", outcome="done")
        with pytest.raises(InvalidConfiguration, match="due_in"):
            PlaybookStep(kind="call", subject="Call", due_in=-1)
        with pytest.raises(ValueError, match="telepathy"):
            PlaybookStep(kind="telepathy", subject="Think")

    def test_duplicate_stage_and_no_open_stage(self) -> None:
        with pytest.raises(InvalidConfiguration, match="duplicate stage"):
            Pipeline(name="p", stages=[stages()[0], *stages()])
        with pytest.raises(InvalidConfiguration, match="at least one open stage"):
            Pipeline(name="p", stages=stages()[2:])

    def test_stage_lookup(self) -> None:
        assert DEFAULT_PIPELINE.stage("proposal").probability == Probability(value=0.6)
        with pytest.raises(NotFound, match="stage of pipeline default"):
            DEFAULT_PIPELINE.stage("Proposal")


class TestMoves:
    def test_open_starts_the_history_and_runs_the_playbook(self) -> None:
        change = DEFAULT_PIPELINE.open(name="Deal", at=FRIDAY, owner="ana")
        deal = change.opportunity
        assert (deal.pipeline, deal.stage) == ("default", "prospecting")
        assert deal.stage_history == (StageVisit(stage="prospecting", entered_at=FRIDAY),)
        (call,) = change.activities
        assert (call.kind, call.subject, call.opportunity_id, call.owner) == (
            ActivityKind.CALL,
            "Discovery call",
            deal.id,
            "ana",
        )
        # Friday + 2 business days is Tuesday, same time of day.
        assert call.due_at == datetime(2026, 3, 10, 16, 0, tzinfo=UTC)
        assert change.events == ()

    def test_forward_moves_check_exit_criteria_of_every_stage_left(self) -> None:
        deal = new_deal()
        with pytest.raises(InvalidTransition) as error:
            DEFAULT_PIPELINE.move(deal, "negotiation", at=MONDAY)
        assert error.value.reason == (
            "the close date is not set; the amount is not set; "
            "no contact with the role 'decision maker'"
        )
        ready = attrs.evolve(
            deal,
            amount=Money.of("1000", "EUR"),
            expected_close_date=date(2026, 6, 30),
            contact_roles=[ContactRole(contact_id=ContactId.new(), role="decision maker")],
        )
        moved = DEFAULT_PIPELINE.move(ready, "negotiation", at=FRIDAY).opportunity
        assert moved.stage == "negotiation"

    def test_history_probability_and_category(self) -> None:
        deal = attrs.evolve(
            new_deal(),
            probability=Probability(value=0.5),
            forecast_category=ForecastCategory.COMMIT,
        )
        assert DEFAULT_PIPELINE.probability(deal) == Probability(value=0.5)
        assert DEFAULT_PIPELINE.forecast_category(deal) is ForecastCategory.COMMIT
        change = DEFAULT_PIPELINE.move(deal, "qualification", at=FRIDAY, actor="ana")
        moved = change.opportunity
        assert moved.stage_history == (
            StageVisit(stage="prospecting", entered_at=MONDAY, left_at=FRIDAY),
            StageVisit(stage="qualification", entered_at=FRIDAY),
        )
        # Overrides belong to a stage: a move clears them.
        assert (moved.probability, moved.forecast_category) == (None, None)
        assert DEFAULT_PIPELINE.probability(moved) == Probability(value=0.2)
        assert DEFAULT_PIPELINE.forecast_category(moved) is ForecastCategory.PIPELINE
        (event,) = change.events
        assert (event.machine, event.action, event.from_state, event.to_state, event.actor) == (
            "default",
            "move:qualification",
            "prospecting",
            "qualification",
            "ana",
        )
        assert [a.subject for a in change.activities] == ["Qualification meeting"]

    def test_moving_back_checks_nothing_unless_forbidden(self) -> None:
        deal = DEFAULT_PIPELINE.move(new_deal(), "qualification", at=MONDAY).opportunity
        back = DEFAULT_PIPELINE.move(deal, "prospecting", at=FRIDAY).opportunity
        assert [v.stage for v in back.stage_history] == [
            "prospecting",
            "qualification",
            "prospecting",
        ]
        strict = attrs.evolve(DEFAULT_PIPELINE, allow_back=False, allow_skip=False)
        with pytest.raises(InvalidTransition) as error:
            strict.move(deal, "prospecting", at=FRIDAY)
        assert error.value.reason == "move:prospecting is not an action of rule table default"
        with pytest.raises(InvalidTransition) as error:
            strict.move(new_deal(), "needs_analysis", at=FRIDAY)
        assert error.value.reason == "move:needs_analysis is not allowed from prospecting"

    def test_close_won_needs_amount_and_close_date(self) -> None:
        deal = new_deal()
        with pytest.raises(InvalidTransition) as error:
            DEFAULT_PIPELINE.close_won(deal, at=FRIDAY)
        assert error.value.reason == "the amount is not set; the close date is not set"
        change = DEFAULT_PIPELINE.close_won(
            deal,
            at=FRIDAY,
            amount=Money.of("1200", "EUR"),
            close_date=date(2026, 3, 6),
            reason="best fit",
        )
        won = change.opportunity
        assert (won.stage, won.amount, won.expected_close_date, won.close_reason) == (
            "closed_won",
            Money.of("1200", "EUR"),
            date(2026, 3, 6),
            "best fit",
        )
        assert DEFAULT_PIPELINE.forecast_category(won) is ForecastCategory.CLOSED
        assert [a.subject for a in change.activities] == ["Hand over to onboarding"]

    def test_close_lost_needs_a_reason_and_keeps_the_competitor(self) -> None:
        deal = attrs.evolve(new_deal(), competitors=("Initech",))
        with pytest.raises(InvalidTransition, match="a reason is required"):
            DEFAULT_PIPELINE.close_lost(deal, at=FRIDAY, reason=None)
        lost = DEFAULT_PIPELINE.close_lost(
            deal, at=FRIDAY, reason="price", competitor="Globex"
        ).opportunity
        assert (lost.stage, lost.close_reason, lost.lost_to, lost.competitors) == (
            "closed_lost",
            "price",
            "Globex",
            ("Initech", "Globex"),
        )
        listed = b2b_pipeline(loss_reasons=["price", "timing"])
        with pytest.raises(InvalidTransition, match="'features' is not one of: price, timing"):
            listed.close_lost(new_deal(listed), at=FRIDAY, reason="features")

    def test_reopen_returns_to_the_stage_it_was_closed_from(self) -> None:
        deal = DEFAULT_PIPELINE.move(new_deal(), "qualification", at=MONDAY).opportunity
        lost = DEFAULT_PIPELINE.close_lost(
            deal, at=MONDAY, reason="price", competitor="X"
        ).opportunity
        later = FRIDAY + timedelta(days=7)
        reopened = DEFAULT_PIPELINE.reopen(lost, at=later, reason="budget found").opportunity
        assert (reopened.stage, reopened.close_reason, reopened.lost_to) == (
            "qualification",
            None,
            None,
        )
        assert reopened.stage_history[-2] == StageVisit(
            stage="closed_lost", entered_at=MONDAY, left_at=later
        )
        elsewhere = DEFAULT_PIPELINE.reopen(lost, at=later, stage="proposal").opportunity
        assert elsewhere.stage == "proposal"
        final = attrs.evolve(DEFAULT_PIPELINE, allow_reopen=False)
        assert final.table.terminal == {"closed_won", "closed_lost"}
        with pytest.raises(InvalidTransition, match="allowed: none"):
            final.reopen(lost, at=later)

    def test_closed_deals_cannot_move(self) -> None:
        lost = DEFAULT_PIPELINE.close_lost(new_deal(), at=MONDAY, reason="price").opportunity
        with pytest.raises(InvalidTransition) as error:
            DEFAULT_PIPELINE.move(lost, "proposal", at=FRIDAY)
        assert error.value.state == "closed_lost"
        assert error.value.allowed[0] == "reopen:prospecting"

    def test_apply_by_action_name(self) -> None:
        deal = new_deal()
        assert DEFAULT_PIPELINE.apply(deal, "move:qualification", at=MONDAY).opportunity.stage == (
            "qualification"
        )
        lost = DEFAULT_PIPELINE.apply(deal, "close_lost", at=MONDAY, reason="price").opportunity
        assert lost.close_reason == "price"
        assert DEFAULT_PIPELINE.apply(lost, "reopen:proposal", at=MONDAY).opportunity.stage == (
            "proposal"
        )
        with pytest.raises(InvalidTransition, match="the amount is not set"):
            DEFAULT_PIPELINE.apply(deal, "close_won", at=MONDAY)

    def test_an_opportunity_of_another_pipeline_is_refused(self) -> None:
        other = b2b_pipeline(name="enterprise")
        with pytest.raises(InvalidConfiguration, match="runs through pipeline enterprise"):
            DEFAULT_PIPELINE.move(new_deal(other), "qualification", at=MONDAY)

    def test_find_pipeline(self) -> None:
        other = b2b_pipeline(name="enterprise")
        assert find_pipeline([DEFAULT_PIPELINE, other], "enterprise") is other
        assert find_pipeline(DEFAULT_PIPELINE, "default") is DEFAULT_PIPELINE
        with pytest.raises(NotFound, match="pipeline renewals not found"):
            find_pipeline([DEFAULT_PIPELINE, other], "renewals")


class TestCalendar:
    def test_business_days(self) -> None:
        calendar = BusinessCalendar()
        saturday = datetime(2026, 3, 7, 10, 0, tzinfo=UTC)
        assert calendar.add(saturday, 0) == datetime(2026, 3, 9, 10, 0, tzinfo=UTC)
        assert calendar.add(MONDAY, 0) == MONDAY
        assert calendar.add(MONDAY, 5) == MONDAY + timedelta(days=7)
        assert calendar.add(FRIDAY, 1) == FRIDAY + timedelta(days=3)

    def test_holidays_and_other_weekends(self) -> None:
        easter = BusinessCalendar(holidays={date(2026, 4, 3), date(2026, 4, 6)})
        thursday = datetime(2026, 4, 2, 9, 0, tzinfo=UTC)
        assert easter.add(thursday, 1) == datetime(2026, 4, 7, 9, 0, tzinfo=UTC)
        gulf = BusinessCalendar(weekend={4, 5})  # Friday and Saturday
        assert gulf.add(datetime(2026, 3, 5, 9, 0, tzinfo=UTC), 1) == datetime(
            2026, 3, 8, 9, 0, tzinfo=UTC
        )
        with pytest.raises(InvalidConfiguration, match="not all seven"):
            BusinessCalendar(weekend=range(7))

    def test_days_are_counted_in_the_calendars_time_zone(self) -> None:
        # Monday 00:30 in Berlin is still Sunday in UTC.
        start = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
        berlin = BusinessCalendar(time_zone="Europe/Berlin")
        assert berlin.add(start, 0) == start
        assert berlin.add(start, 5) == start + timedelta(days=7)
        assert BusinessCalendar().add(start, 0) == start + timedelta(days=1)
        # Across the change to summer time the local time of day is kept.
        friday = datetime(2026, 3, 27, 8, 0, tzinfo=UTC)  # 09:00 in Berlin (CET)
        assert berlin.add(friday, 1) == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)  # 09:00 CEST
        with pytest.raises(InvalidConfiguration, match="IANA") as error:
            BusinessCalendar(time_zone="Mars/Olympus")
        assert error.value.key == "time_zone"


PIPELINE_TOML = """
name = "renewals"
allow_skip = false
won_requires = ["amount_set"]
lost_requires = [{ name = "reason_in", reasons = ["price", "churned"] }]

[calendar]
holidays = [2026-12-25, 2026-12-26]
time_zone = "Europe/London"

[[stages]]
name = "due"
probability = 0.5
forecast_category = "pipeline"

  [[stages.playbook]]
  kind = "call"
  subject = "Renewal call"
  due_in = 3
  direction = "outbound"

[[stages]]
name = "quoted"
probability = 0.8
forecast_category = "commit"
exit_criteria = [{ name = "contact_role", roles = ["economic buyer"] }]

[[stages]]
name = "renewed"
probability = 1.0
forecast_category = "closed"
outcome = "won"

[[stages]]
name = "churned"
probability = 0.0
forecast_category = "omitted"
outcome = "lost"
"""


class TestData:
    def test_default_round_trips(self) -> None:
        assert Pipeline.from_dict(DEFAULT_PIPELINE.to_dict()) == DEFAULT_PIPELINE
        assert Pipeline.from_dict(json.loads(json.dumps(DEFAULT_PIPELINE.to_dict()))) == (
            DEFAULT_PIPELINE
        )

    def test_toml(self, tmp_path: Path) -> None:
        pipeline = Pipeline.from_toml(PIPELINE_TOML)
        assert pipeline.allow_skip is False
        assert pipeline.lost_requires == (ReasonIn(reasons=("price", "churned")),)
        assert pipeline.calendar.holidays == {date(2026, 12, 25), date(2026, 12, 26)}
        assert pipeline.stage("due").playbook[0].due_in == 3
        assert pipeline.stage("renewed").outcome is Outcome.WON
        assert Pipeline.from_dict(json.loads(json.dumps(pipeline.to_dict(), default=str))) == (
            pipeline
        )
        path = tmp_path / "renewals.toml"
        path.write_text(PIPELINE_TOML, encoding="utf-8")
        assert Pipeline.load(path) == pipeline
        christmas_eve = datetime(2026, 12, 24, 9, 0, tzinfo=UTC)
        opened = pipeline.open(name="Renewal", at=christmas_eve)
        # Thursday 24th + 3 business days, skipping the 25th, the weekend: Wednesday 30th.
        assert opened.activities[0].due_at == datetime(2026, 12, 30, 9, 0, tzinfo=UTC)

    @pytest.mark.parametrize(
        ("edit", "key", "reason"),
        [
            (("probability = 0.5", "probability = 50"), "stages[0].probability", "between 0 and 1"),
            (('outcome = "won"', 'outcome = "yes"'), "stages[2].outcome", "open, won, lost"),
            (('kind = "call"', 'kind = "fax"'), "stages[0].playbook[0]", "fax"),
            (("due_in = 3", "due_in = -3"), "stages[0].playbook[0].due_in", "0 or more"),
            (
                ('roles = ["economic buyer"]', 'rolls = ["x"]'),
                "stages[1].exit_criteria[0].rolls",
                "unknown parameter of guard contact_role; expected: roles",
            ),
            (
                ("allow_skip = false", "allow_skp = false"),
                "allow_skp",
                "allow_back, allow_reopen, allow_skip,",
            ),
            (("holidays = [2026-12-25", "holidays = [12"), "calendar.holidays[0]", "a date"),
            (('name = "quoted"\n', 'name = "quoted"\ncolour = "red"\n'), "stages[1].colour", ""),
        ],
    )
    def test_invalid_files_name_the_key(self, edit: tuple[str, str], key: str, reason: str) -> None:
        text = PIPELINE_TOML.replace(*edit, 1)
        assert text != PIPELINE_TOML
        with pytest.raises(InvalidConfiguration) as error:
            Pipeline.from_toml(text)
        assert error.value.key == key
        assert reason in error.value.reason

    def test_mermaid(self) -> None:
        text = Pipeline.from_toml(PIPELINE_TOML).to_mermaid()
        # Mermaid ends a label at its second colon: colons in actions are written as codes.
        assert "    due --> quoted: move#58;quoted" in text
        assert "    quoted --> renewed: close_won [contact_role, amount_set]" in text
        assert "    churned --> due: reopen#58;due" in text
        for line in text.splitlines():
            assert line.count(":") <= 1, line
