"""Rule tables, guards and the default lead lifecycle: validation, loading, refusals."""

from __future__ import annotations

import json
import pickle
import uuid
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import attrs
import pytest

from leadflow import (
    BANT,
    Assessment,
    Authority,
    Consent,
    InvalidConfiguration,
    InvalidTransition,
    Lead,
    LeadScore,
    Money,
    Need,
)
from leadflow.events import StateChanged
from leadflow.lifecycle import (
    DISQUALIFICATION_REASONS,
    LEAD_LIFECYCLE,
    MARKETING_STAGES,
    RuleTable,
    State,
    Transition,
    apply_lead_action,
    lead_lifecycle,
    marketing_stages,
)
from leadflow.lifecycle.guards import (
    GUARDS,
    AmountSet,
    BantOrScore,
    Check,
    CloseDateSet,
    ContactRoleIn,
    FieldSet,
    HasOwner,
    Reachable,
    ReasonIn,
    Request,
    build_guard,
    guard_to_data,
)
from leadflow.opportunities import ContactRole, Opportunity
from leadflow.serialization import from_dict, to_dict
from leadflow.values import ContactId

UTC = timezone.utc
T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
REQUEST = Request(action="qualify", at=T)


def ready_lead(**changes: Any) -> Lead:
    """A lead that passes every default qualification guard."""
    lead = Lead(
        created_at=T,
        first_name="Ada",
        email="ada@acme.com",
        owner="ana",
        consent=Consent().record("email", given=True, at=T),
        bant=BANT(
            budget=Assessment(value=Money.of("5000", "EUR"), assessed_at=T),
            authority=Assessment(value=Authority.DECISION_MAKER, assessed_at=T),
            need=Assessment(value=Need.HIGH, assessed_at=T),
        ),
    )
    return attrs.evolve(lead, **changes)


def small_table(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "ticket",
        "entity": "lead",
        "field": "status",
        "states": [{"name": "open", "initial": True}, "doing", {"name": "done", "terminal": True}],
        "transitions": [
            {"from": "open", "action": "start", "to": "doing"},
            {"from": "doing", "action": "finish", "to": "done", "guards": ["has_owner"]},
            {"from": "doing", "action": "stop", "to": "open"},
        ],
    }
    data.update(changes)
    return data


# ==================================================================== validation


class TestValidation:
    def test_a_valid_table_builds(self) -> None:
        table = RuleTable.from_dict(small_table())
        assert table.initial == "open"
        assert table.terminal == {"done"}
        assert table.actions("doing") == ("finish", "stop")

    def test_exactly_one_initial_state(self) -> None:
        data = small_table(states=["open", "doing", {"name": "done", "terminal": True}])
        with pytest.raises(InvalidConfiguration, match="exactly one initial state, found 0"):
            RuleTable.from_dict(data)
        data = small_table(initial="doing")
        with pytest.raises(InvalidConfiguration, match="exactly one initial state, found 2") as e:
            RuleTable.from_dict(data)
        assert "states[0].initial" in e.value.key

    def test_unreachable_state_is_named(self) -> None:
        data = small_table()
        data["states"].append("limbo")
        data["transitions"].append({"from": "limbo", "action": "leave", "to": "open"})
        with pytest.raises(InvalidConfiguration) as error:
            RuleTable.from_dict(data)
        assert error.value.key == "states[3]"
        assert "limbo cannot be reached from the initial state open" in str(error.value)

    def test_duplicate_source_and_action(self) -> None:
        data = small_table()
        data["transitions"].append({"from": "open", "action": "start", "to": "done"})
        with pytest.raises(InvalidConfiguration) as error:
            RuleTable.from_dict(data)
        assert error.value.key == "transitions[3]"
        assert "start from open is already defined" in error.value.reason

    def test_unknown_state_names(self) -> None:
        data = small_table()
        data["transitions"][0]["to"] = "doign"
        with pytest.raises(InvalidConfiguration) as error:
            RuleTable.from_dict(data)
        assert (error.value.key, error.value.value) == ("transitions[0].to", "doign")

    def test_terminal_state_has_no_way_out(self) -> None:
        data = small_table()
        data["transitions"].append({"from": "done", "action": "reopen", "to": "open"})
        with pytest.raises(InvalidConfiguration, match="terminal state has no transitions out"):
            RuleTable.from_dict(data)

    def test_a_dead_end_must_be_declared_terminal(self) -> None:
        data = small_table(states=[{"name": "open", "initial": True}, "doing", "done"])
        with pytest.raises(InvalidConfiguration, match="declare it terminal"):
            RuleTable.from_dict(data)

    def test_duplicate_state(self) -> None:
        with pytest.raises(InvalidConfiguration, match="duplicate state") as error:
            RuleTable(
                name="t",
                entity="lead",
                field="status",
                states=["a", "a"],
                initial="a",
                terminal={"a"},
                transitions=[],
            )
        assert error.value.key == "states[1].name"

    def test_unknown_guard_lists_the_known_ones(self) -> None:
        data = small_table()
        data["transitions"][1]["guards"] = ["has_ownr"]
        with pytest.raises(InvalidConfiguration) as error:
            RuleTable.from_dict(data)
        assert error.value.key == "transitions[1].guards[0]"
        assert "unknown guard; known: " in error.value.reason
        assert "has_owner" in error.value.reason

    def test_bad_guard_parameters(self) -> None:
        data = small_table()
        data["transitions"][1]["guards"] = [{"name": "bant_or_score", "min_bant": 7}]
        with pytest.raises(InvalidConfiguration) as error:
            RuleTable.from_dict(data)
        assert error.value.key == "transitions[1].guards[0].min_bant"
        data["transitions"][1]["guards"] = [{"name": "has_owner", "colour": "red"}]
        with pytest.raises(InvalidConfiguration) as error:
            RuleTable.from_dict(data)
        assert error.value.key == "transitions[1].guards[0].colour"
        assert error.value.reason == "unknown parameter of guard has_owner; expected: none"
        data["transitions"][1]["guards"] = [{"name": "reason_in", "reasons": 3}]
        with pytest.raises(InvalidConfiguration, match="bad parameters for guard reason_in"):
            RuleTable.from_dict(data)

    def test_unknown_keys_are_refused(self) -> None:
        with pytest.raises(InvalidConfiguration) as error:
            RuleTable.from_dict(small_table(colour="red"))
        assert error.value.key == "colour"
        data = small_table()
        data["transitions"][0]["too"] = "doing"
        with pytest.raises(InvalidConfiguration) as error:
            RuleTable.from_dict(data)
        assert error.value.key == "transitions[0].too"

    def test_missing_and_mistyped_keys(self) -> None:
        data = small_table()
        del data["field"]
        with pytest.raises(InvalidConfiguration, match="at field: is required"):
            RuleTable.from_dict(data)
        with pytest.raises(InvalidConfiguration, match="must be a list"):
            RuleTable.from_dict(small_table(transitions="start"))
        with pytest.raises(InvalidConfiguration, match="must be true or false"):
            RuleTable.from_dict(small_table(states=[{"name": "open", "initial": "yes"}]))

    def test_a_guard_that_is_not_a_guard(self) -> None:
        with pytest.raises(InvalidConfiguration, match="callable as guard"):
            RuleTable(
                name="t",
                entity="lead",
                field="status",
                states=["a", "b"],
                initial="a",
                terminal={"b"},
                transitions=[Transition(source="a", action="go", target="b", guards=[42])],  # type: ignore[list-item]
            )


# ======================================================================= loading


class TestLoading:
    def test_dict_round_trip_of_the_defaults(self) -> None:
        for table in (LEAD_LIFECYCLE, MARKETING_STAGES):
            assert RuleTable.from_dict(table.to_dict()) == table
            assert RuleTable.from_json(json.dumps(table.to_dict())) == table

    def test_toml(self, tmp_path: Path) -> None:
        text = """
name = "ticket"
entity = "lead"
field = "status"
initial = "open"
terminal = ["done"]
states = ["open", "doing", "done"]

[[transitions]]
from = "open"
action = "start"
to = "doing"

[[transitions]]
from = "doing"
action = "finish"
to = "done"
guards = ["has_owner", { name = "reason_in", reasons = ["fixed", "won't fix"] }]
"""
        table = RuleTable.from_toml(text)
        assert table.transition("doing", "finish").guards == (  # type: ignore[union-attr]
            HasOwner(),
            ReasonIn(reasons=("fixed", "won't fix")),
        )
        path = tmp_path / "ticket.toml"
        path.write_text(text, encoding="utf-8")
        assert RuleTable.load(path) == table
        json_path = tmp_path / "ticket.json"
        json_path.write_text(json.dumps(table.to_dict()), encoding="utf-8")
        assert RuleTable.load(json_path) == table

    def test_bad_files(self, tmp_path: Path) -> None:
        with pytest.raises(InvalidConfiguration, match="not valid TOML"):
            RuleTable.from_toml("name = ")
        with pytest.raises(InvalidConfiguration, match="not valid JSON"):
            RuleTable.from_json("{")
        with pytest.raises(InvalidConfiguration, match="must be a table"):
            RuleTable.from_json("[1]")
        other = tmp_path / "table.yaml"
        other.write_text("name: x", encoding="utf-8")
        with pytest.raises(InvalidConfiguration, match=r"must end in \.toml or \.json"):
            RuleTable.load(other)

    def test_custom_guards_by_name(self) -> None:
        @attrs.frozen(kw_only=True)
        class HasPhone:
            name = "has_phone"

            def __call__(self, entity: Any, request: Request, /) -> str | None:
                return None if entity.phone else "no phone"

        data = small_table()
        data["transitions"][1]["guards"] = ["has_phone"]
        table = RuleTable.from_dict(data, guards={"has_phone": HasPhone})
        assert table.to_dict()["transitions"][1]["guards"] == ["has_phone"]
        lead = attrs.evolve(ready_lead(), status="doing")
        assert table.check(lead, "finish", at=T) == ["no phone"]

    def test_a_check_cannot_be_written(self) -> None:
        check = Check(name="odd", test=lambda e, r: False, reason="never")
        with pytest.raises(InvalidConfiguration, match="code, not data"):
            guard_to_data(check)

    def test_guards_write_only_their_non_default_parameters(self) -> None:
        assert guard_to_data(BantOrScore()) == "bant_or_score"
        assert guard_to_data(BantOrScore(min_bant=2, min_score=50)) == {
            "name": "bant_or_score",
            "min_bant": 2,
            "min_score": 50,
        }
        assert guard_to_data(ReasonIn(reasons=("a",))) == {"name": "reason_in", "reasons": ["a"]}
        for name, factory in GUARDS.items():
            kwargs = {"field": "amount"} if factory is FieldSet else {}
            guard = factory(**kwargs)
            assert guard.name == name
            assert build_guard(guard_to_data(guard), key="g") == guard


# ===================================================================== applying


class TestApply:
    def test_apply_moves_and_describes_the_move(self) -> None:
        lead = Lead(created_at=T)
        later = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
        moved, events = apply_lead_action(lead, "work", at=later, actor="ana", reason="called")
        assert (moved.status, moved.updated_at) == ("working", later)
        assert events == [
            StateChanged(
                entity="lead",
                entity_id=lead.id.value,
                machine="lead",
                field="status",
                action="work",
                from_state="new",
                to_state="working",
                at=later,
                actor="ana",
                reason="called",
            )
        ]
        assert lead.status == "new"  # the original is untouched

    def test_refusal_names_entity_state_action_reasons_and_allowed(self) -> None:
        lead = attrs.evolve(Lead(created_at=T), status="working")
        with pytest.raises(InvalidTransition) as error:
            apply_lead_action(lead, "qualify", at=T)
        e = error.value
        assert (e.entity, e.entity_id, e.state, e.action) == (
            "lead",
            lead.id.value,
            "working",
            "qualify",
        )
        assert e.allowed == ("nurture", "qualify", "disqualify")
        assert e.reason == (
            "the lead has no owner; "
            "no way to reach the person: no e-mail address and no phone number; "
            "BANT has 0 of 4 criteria assessed (needs 3; missing budget, authority, need, timeline)"
        )
        assert str(e).startswith(f"cannot qualify lead {lead.id.value} in state working: ")
        assert str(e).endswith("; allowed: nurture, qualify, disqualify")

    def test_an_action_not_allowed_from_the_state(self) -> None:
        with pytest.raises(InvalidTransition) as error:
            apply_lead_action(Lead(created_at=T), "recycle", at=T)
        assert error.value.reason == "recycle is not allowed from new"
        with pytest.raises(InvalidTransition) as error:
            apply_lead_action(Lead(created_at=T), "fly", at=T)
        assert error.value.reason == "fly is not an action of rule table lead"

    def test_a_state_the_table_does_not_know(self) -> None:
        lead = attrs.evolve(Lead(created_at=T), status="archived")
        with pytest.raises(InvalidTransition) as error:
            apply_lead_action(lead, "work", at=T)
        assert "'archived' is not a state of rule table lead" in str(error.value)
        assert error.value.allowed == ()
        with pytest.raises(InvalidConfiguration):
            LEAD_LIFECYCLE.allowed_actions(lead)

    def test_check_explains_without_applying(self) -> None:
        lead = ready_lead(owner=None)
        assert LEAD_LIFECYCLE.check(lead, "qualify", at=T) == ["the lead has no owner"]
        assert LEAD_LIFECYCLE.check(ready_lead(), "qualify", at=T) == []
        assert LEAD_LIFECYCLE.check(lead, "recycle", at=T) == ["recycle is not allowed from new"]

    def test_naive_times_are_refused(self) -> None:
        with pytest.raises(ValueError, match="naive"):
            apply_lead_action(Lead(created_at=T), "work", at=datetime(2026, 3, 2))

    def test_times_are_stored_in_utc(self) -> None:
        from datetime import timedelta

        paris = timezone(timedelta(hours=1))
        moved, events = apply_lead_action(
            Lead(created_at=T), "work", at=datetime(2026, 3, 2, 11, 0, tzinfo=paris)
        )
        assert moved.updated_at.tzinfo is UTC
        assert events[0].at == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)

    def test_a_checked_reason_is_kept_as_the_list_spells_it(self) -> None:
        lead, events = apply_lead_action(
            Lead(created_at=T), "disqualify", at=T, reason="  No BUDGET "
        )
        assert lead.disqualification_reason == events[0].reason == "no budget"
        assert ReasonIn().canonical("  spam ") == "spam"

    def test_disqualify_keeps_the_reason_and_recycle_clears_it(self) -> None:
        lead, _ = apply_lead_action(Lead(created_at=T), "disqualify", at=T, reason="no budget")
        assert (lead.status, lead.disqualification_reason) == ("disqualified", "no budget")
        lead, _ = apply_lead_action(lead, "recycle", at=T)
        assert (lead.status, lead.disqualification_reason) == ("nurturing", None)

    def test_events_serialize_and_errors_pickle(self) -> None:
        _, events = apply_lead_action(Lead(created_at=T), "work", at=T, actor="ana")
        from leadflow.events import Event

        assert from_dict(Event, to_dict(events[0])) == events[0]  # type: ignore[arg-type]
        with pytest.raises(InvalidTransition) as error:
            apply_lead_action(Lead(created_at=T), "convert", at=T)
        copy = pickle.loads(pickle.dumps(error.value))
        assert (str(copy), copy.allowed) == (str(error.value), error.value.allowed)

    def test_replay(self) -> None:
        lead = Lead(created_at=T)
        log: list[StateChanged] = []
        for action in ("work", "nurture", "work"):
            lead, events = apply_lead_action(lead, action, at=T)
            log.extend(events)
        assert LEAD_LIFECYCLE.replay(log) == lead.status == "working"
        assert MARKETING_STAGES.replay(log) == "lead"  # other machines' events are skipped
        with pytest.raises(InvalidConfiguration, match="does not follow from state new"):
            LEAD_LIFECYCLE.replay(log[1:])


# ========================================================================= guards


class TestGuards:
    def test_has_owner(self) -> None:
        assert HasOwner()(ready_lead(), REQUEST) is None
        assert HasOwner()(ready_lead(owner=None), REQUEST) == "the lead has no owner"

    def test_reachable_by_email_or_phone_with_consent(self) -> None:
        guard = Reachable()
        assert guard(ready_lead(), REQUEST) is None
        no_consent = ready_lead(consent=Consent())
        assert guard(no_consent, REQUEST) == (
            "no way to reach the person: no consent to e-mail and no phone number"
        )
        phone = ready_lead(email=None, phone="+44 20 7946 0000", consent=Consent())
        assert guard(phone, REQUEST) == (
            "no way to reach the person: no e-mail address and no consent to call"
        )
        called = attrs.evolve(phone, consent=Consent().record("phone", given=True, at=T))
        assert guard(called, REQUEST) is None
        assert Reachable(require_opt_in=False)(no_consent, REQUEST) is None
        blocked = ready_lead(
            consent=ready_lead().consent.record("do_not_contact", given=True, at=T)
        )
        assert guard(blocked, REQUEST) == "the person asked not to be contacted"

    def test_bant_or_score(self) -> None:
        assert BantOrScore()(ready_lead(), REQUEST) is None
        two = ready_lead(bant=attrs.evolve(ready_lead().bant, need=None))
        assert BantOrScore()(two, REQUEST) == (
            "BANT has 2 of 4 criteria assessed (needs 3; missing need, timeline)"
        )
        assert BantOrScore(min_bant=2)(two, REQUEST) is None
        with_score = BantOrScore(min_score=50)
        assert with_score(two, REQUEST) == (
            "BANT has 2 of 4 criteria assessed (needs 3; missing need, timeline) "
            "and the lead has no score (needs 50)"
        )
        low = attrs.evolve(two, score=LeadScore(value=42.5, model="m", scored_at=T))
        assert with_score(low, REQUEST).endswith("and the score 42.5 is under 50")  # type: ignore[union-attr]
        high = attrs.evolve(two, score=LeadScore(value=50, model="m", scored_at=T))
        assert with_score(high, REQUEST) is None

    def test_reason_in(self) -> None:
        lead = ready_lead()
        any_reason = ReasonIn()
        assert any_reason(lead, REQUEST) == "a reason is required"
        assert any_reason(lead, attrs.evolve(REQUEST, reason="  ")) == "a reason is required"
        assert any_reason(lead, attrs.evolve(REQUEST, reason="whatever")) is None
        listed = ReasonIn(reasons=("no budget", "spam"))
        assert listed(lead, REQUEST) == "a reason is required, one of: no budget, spam"
        assert listed(lead, attrs.evolve(REQUEST, reason=" No Budget ")) is None
        assert listed(lead, attrs.evolve(REQUEST, reason="meh")) == (
            "the reason 'meh' is not one of: no budget, spam"
        )

    def test_opportunity_guards(self) -> None:
        deal = Opportunity(created_at=T, name="Deal", stage="proposal")
        assert AmountSet()(deal, REQUEST) == "the amount is not set"
        assert CloseDateSet()(deal, REQUEST) == "the close date is not set"
        assert ContactRoleIn()(deal, REQUEST) == "no contact with the role 'decision maker'"
        assert FieldSet(field="competitors")(deal, REQUEST) == (
            "the opportunity's competitors is not set"
        )
        ready = attrs.evolve(
            deal,
            amount=Money.of("10", "EUR"),
            expected_close_date=date(2026, 6, 30),
            contact_roles=[ContactRole(contact_id=ContactId.new(), role="Decision_Maker")],
            competitors=("Globex",),
        )
        for guard in (AmountSet(), CloseDateSet(), ContactRoleIn(), FieldSet(field="competitors")):
            assert guard(ready, REQUEST) is None
        two_roles = ContactRoleIn(roles=("economic buyer", "champion"))
        assert two_roles(deal, REQUEST) == (
            "no contact with the role 'economic buyer' or 'champion'"
        )

    def test_check_wraps_a_predicate(self) -> None:
        check = Check(
            name="has_phone", test=lambda lead, _: lead.phone is not None, reason="no phone"
        )
        assert check(ready_lead(), REQUEST) == "no phone"
        assert check(ready_lead(phone="+1 212 555 0100"), REQUEST) is None


# ====================================================================== defaults


class TestDefaults:
    def test_the_lead_lifecycle_paths(self) -> None:
        table = LEAD_LIFECYCLE
        assert table.state_names == (
            "new",
            "working",
            "nurturing",
            "qualified",
            "converted",
            "disqualified",
        )
        assert table.terminal == {"converted"}
        for state in ("new", "working", "nurturing", "qualified"):
            assert "disqualify" in table.actions(state)
        assert table.actions("disqualified") == ("recycle",)
        assert table.transition("disqualified", "recycle").target == "nurturing"  # type: ignore[union-attr]
        assert table.actions("converted") == ()

    def test_a_ready_lead_walks_to_converted(self) -> None:
        lead = ready_lead()
        for action in ("work", "nurture", "work", "qualify", "convert"):
            lead, _ = apply_lead_action(lead, action, at=T)
        assert lead.status == "converted"

    def test_settings(self) -> None:
        table = lead_lifecycle(disqualification_reasons=(), min_bant=0)
        bare = attrs.evolve(ready_lead(), bant=BANT())
        moved, _ = apply_lead_action(bare, "qualify", at=T, table=table)
        assert moved.status == "qualified"
        moved, _ = apply_lead_action(bare, "disqualify", at=T, reason="my own", table=table)
        assert moved.disqualification_reason == "my own"
        scored = lead_lifecycle(min_bant=4, min_score=70)
        hot = attrs.evolve(bare, score=LeadScore(value=80, model="m", scored_at=T))
        assert apply_lead_action(hot, "qualify", at=T, table=scored)[0].status == "qualified"
        assert "spam" in DISQUALIFICATION_REASONS

    def test_marketing_stages_move_forward_only_unless_reset(self) -> None:
        lead = Lead(created_at=T)
        lead, _ = MARKETING_STAGES.apply(lead, "advance:sql", at=T)
        assert lead.marketing_stage == "sql"
        with pytest.raises(InvalidTransition) as error:
            MARKETING_STAGES.apply(lead, "advance:mql", at=T)
        assert error.value.allowed == ("advance:opportunity", "advance:customer", "reset")
        lead, _ = MARKETING_STAGES.apply(lead, "reset", at=T)
        assert lead.marketing_stage == "lead"
        custom = marketing_stages(("visitor", "lead", "customer"))
        assert custom.initial == "visitor"
        assert custom.actions("visitor") == ("advance:lead", "advance:customer")

    def test_mermaid(self) -> None:
        text = LEAD_LIFECYCLE.to_mermaid()
        assert text.splitlines()[0] == "stateDiagram-v2"
        assert "    [*] --> new" in text
        assert "    working --> qualified: qualify [has_owner, reachable, bant_or_score]" in text
        assert "    converted --> [*]" in text
        odd = RuleTable(
            name="odd",
            entity="lead",
            field="status",
            states=[State(name="to do"), State(name="end", description='the "end"')],
            initial="to do",
            terminal={"end"},
            transitions=[Transition(source="to do", action="finish; now", target="end")],
        )
        assert odd.to_mermaid().splitlines() == [
            "stateDiagram-v2",
            '    state "to do" as s0',
            "    state \"end: the 'end'\" as s1",
            "    [*] --> s0",
            "    s0 --> s1: finish, now",
            "    s1 --> [*]",
        ]


def test_state_changed_requires_an_aware_time() -> None:
    with pytest.raises(ValueError, match="naive"):
        StateChanged(
            entity="lead",
            entity_id=uuid.uuid4(),
            machine="lead",
            field="status",
            action="work",
            from_state="new",
            to_state="working",
            at=datetime(2026, 3, 2),
        )
