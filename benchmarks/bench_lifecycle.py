"""Lifecycle benchmark: lead transitions through the rule table, and lead conversions.

Usage::

    pip install -r benchmarks/requirements.txt
    python benchmarks/bench_lifecycle.py [--transitions 1000000] [--conversions 5000] [--repeat 3]

**Transitions.**  A pool of leads (``--leads``, at most one per 20 transitions), each
with an owner, an e-mail address with consent given and three of the four BANT
criteria assessed, walks the default lead lifecycle round-robin::

    new -work-> working -nurture-> nurturing -work-> working -qualify-> qualified
        -disqualify("no budget")-> disqualified -recycle-> nurturing -work-> working ...

that is ``work`` and then the cycle ``nurture, work, qualify, disqualify, recycle,
work`` for ever; one transition per applied action, ``--transitions`` in all.
``qualify`` passes its three guards (has an owner, reachable, BANT 3 of 4) and
``disqualify`` its reason guard.  The same sequence of (state, action) pairs, on the
same ``Lead`` objects, is run three ways in the same run:

* **leadflow**: ``apply_lead_action(lead, action, at=..., reason=...)``: the rule
  table's lookup, the guards with their ``Request``, a new ``Lead`` by
  ``attrs.evolve`` (with its validators), the ``StateChanged`` event, and the
  ``disqualification_reason`` kept or cleared;
* **bare dict+evolve**: ``{(state, action): target}`` built from
  ``LEAD_LIFECYCLE.to_dict()`` and ``attrs.evolve(lead, status=target,
  updated_at=at)``: no guards, no events, no reason;
* **transitions Machine.trigger** (the ``transitions`` package, skipped with a note
  when it is not installed): one ``Machine`` with the same states and transitions
  (``auto_transitions=False``, ``send_event=True``) and one model object per lead
  holding it, all added to that one machine; ``model.trigger(action, at=...,
  reason=...)``.  It does the same guard work: ``conditions`` on ``qualify`` (owner,
  reachable, BANT 3 of 4, read from the model's lead) and on ``disqualify`` (the reason
  in the list), and an ``after`` callback that builds the same ``StateChanged`` event.
  It does **not** make a new ``Lead``: the library's way is to set the model's
  ``state`` attribute in place.  Adding the models to the machine is timed
  separately and not counted (``Machine.add_model`` binds a score of methods to each
  model and checks membership in a list, so adding n models costs O(n^2)).

The three end in the same states (checked).  Targets: leadflow within 2x of the bare
dict+evolve, and faster than ``transitions``.

**Conversions.**  ``--conversions`` qualified leads (owner, e-mail with consent,
budget, authority and need assessed), their companies drawn from a pool of one per
five leads; half have a company e-mail address and half a free-mail one, so that
some conversions create the account and the others match it by web domain or by
company name.  The leads are added first (not timed), then ``convert_lead`` runs one
per unit of work, through the memory store and a SQLite file in a temporary
directory.  The baseline, on SQLite in the same run: the same number of bare units of
work doing the writes a conversion makes, with entities and events built beforehand
(update the lead, add an account, a contact, an opportunity and its playbook activity,
record the two ``StateChanged`` and the ``LeadConverted``, commit); it leaves out what
``convert_lead`` reads and decides (the lead, the contact by e-mail, the account by
domain or name, the lead's activities).  Target: at least 1,000 conversions per second
on SQLite.

Every figure is the best of ``--repeat`` runs, with the cyclic GC off while timing.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import attrs
from _timing import best_of

import leadflow
from leadflow import Lead
from leadflow.conversion import account_from_lead, contact_from_lead, contact_roles_from_lead
from leadflow.events import LeadConverted, StateChanged
from leadflow.lifecycle import (
    DISQUALIFICATION_REASONS,
    LEAD_LIFECYCLE,
    MARKETING_STAGES,
    apply_lead_action,
)
from leadflow.pipelines import DEFAULT_PIPELINE
from leadflow.ports import Store
from leadflow.services import convert_lead
from leadflow.values import (
    BANT,
    Assessment,
    Authority,
    Consent,
    ConsentRecord,
    Money,
    Need,
)

UTC = timezone.utc
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
AT = T0 + timedelta(days=30)
REASON = "no budget"
#: Each lead's path: ``work``, then this cycle for ever (state after each in comments).
CYCLE = (
    ("nurture", None),  # nurturing
    ("work", None),  # working
    ("qualify", None),  # qualified (three guards)
    ("disqualify", REASON),  # disqualified (reason guard)
    ("recycle", None),  # nurturing
    ("work", None),  # working
)
TRANSITIONS_PER_LEAD = 20


def action_at(k: int) -> tuple[str, str | None]:
    """A lead's ``k``-th action (from 0) and its reason."""
    return ("work", None) if k == 0 else CYCLE[(k - 1) % len(CYCLE)]


def qualified_bant() -> BANT:
    return BANT(
        budget=Assessment(value=Money.of(25_000, "EUR"), assessed_at=T0),
        authority=Assessment(value=Authority.DECISION_MAKER, assessed_at=T0),
        need=Assessment(value=Need.HIGH, assessed_at=T0),
    )


CONSENT = Consent(email=ConsentRecord(given=True, at=T0, source="web form"))
BANT_3_OF_4 = qualified_bant()


def make_lead(i: int, *, status: str = "new", companies: int = 1000) -> Lead:
    """Lead ``i``: owned, reachable by e-mail with consent, BANT 3 of 4."""
    company = i % companies
    domain = f"engines{company}.com" if i % 2 else "gmail.com"
    return Lead(
        created_at=T0 + timedelta(seconds=i),
        first_name="Ada",
        last_name=f"Lovelace {i}",
        email=f"ada.lovelace{i}@{domain}",
        company=f"Analytical Engines {company}",
        country="United Kingdom",
        owner=("ana", "bo", "cy")[i % 3],
        status=status,
        bant=BANT_3_OF_4,
        consent=CONSENT,
    )


# ------------------------------------------------------------------- harness


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


# --------------------------------------------------------------- transitions

Plan = list[tuple[str, str | None, int]]


def make_plan(transitions: int, leads: int) -> Plan:
    """Rounds of ``(action, reason, how many leads)``: round k is each lead's k-th action."""
    plan: Plan = []
    done, k = 0, 0
    while done < transitions:
        count = min(leads, transitions - done)
        action, reason = action_at(k)
        plan.append((action, reason, count))
        done += count
        k += 1
    return plan


def run_leadflow(leads: list[Lead], plan: Plan) -> list[Lead]:
    current = list(leads)
    for action, reason, count in plan:
        for i in range(count):
            current[i], _ = apply_lead_action(current[i], action, at=AT, reason=reason)
    return current


def bare_index() -> dict[tuple[str, str], str]:
    data = LEAD_LIFECYCLE.to_dict()
    return {(t["from"], t["action"]): t["to"] for t in data["transitions"]}


def run_bare(leads: list[Lead], plan: Plan, index: dict[tuple[str, str], str]) -> list[Lead]:
    evolve = attrs.evolve
    current = list(leads)
    for action, _, count in plan:
        for i in range(count):
            lead = current[i]
            current[i] = evolve(lead, status=index[(lead.status, action)], updated_at=AT)
    return current


class LeadModel:
    """A ``transitions`` model: holds a lead; the machine keeps its ``state``."""

    def __init__(self, lead: Lead) -> None:
        self.lead = lead
        self.event: StateChanged | None = None


REASONS = frozenset(r.casefold() for r in DISQUALIFICATION_REASONS)


def _has_owner(event: Any) -> bool:
    return event.model.lead.owner is not None


def _reachable(event: Any) -> bool:
    lead = event.model.lead
    consent = lead.consent
    if lead.email is not None and consent.may_email():
        return True
    return lead.phone is not None and consent.may_call()


def _bant_3_of_4(event: Any) -> bool:
    return len(event.model.lead.bant.known) >= 3


def _reason_listed(event: Any) -> bool:
    reason = event.kwargs.get("reason")
    return reason is not None and reason.strip().casefold() in REASONS


def _record(event: Any) -> None:
    model = event.model
    model.event = StateChanged(
        entity="lead",
        entity_id=model.lead.id.value,
        machine="lead",
        field="status",
        action=event.event.name,
        from_state=event.transition.source,
        to_state=event.transition.dest,
        at=event.kwargs["at"],
        actor=None,
        reason=event.kwargs.get("reason"),
    )


def transitions_machine(models: list[LeadModel]) -> Any | None:
    """One ``transitions.Machine`` for the lifecycle, holding every model; ``None`` without it."""
    try:
        from transitions import Machine
    except ImportError:
        return None
    data = LEAD_LIFECYCLE.to_dict()
    conditions = {
        "qualify": [_has_owner, _reachable, _bant_3_of_4],
        "disqualify": [_reason_listed],
    }
    spec = [
        {
            "trigger": trigger_name(t["action"]),
            "source": t["from"],
            "dest": t["to"],
            "conditions": conditions.get(t["action"], []),
            "after": _record,
        }
        for t in data["transitions"]
    ]
    return Machine(
        model=models,
        states=[s["name"] for s in data["states"]],
        transitions=spec,
        initial=data["initial"],
        auto_transitions=False,
        send_event=True,
    )


def trigger_name(action: str) -> str:
    """The action as a Python identifier (``advance:sql`` -> ``advance_sql``)."""
    return "".join(c if c.isalnum() or c == "_" else "_" for c in action)


def run_transitions(models: list[LeadModel], plan: Plan) -> list[LeadModel]:
    for action, reason, count in plan:
        name = trigger_name(action)
        for i in range(count):
            models[i].trigger(name, at=AT, reason=reason)
    return models


def measure_transitions(n: int, pool: int, repeat: int) -> None:
    count = max(1, min(pool, n // TRANSITIONS_PER_LEAD))
    leads = [make_lead(i) for i in range(count)]
    plan = make_plan(n, count)
    index = bare_index()

    t_lf, ours = best_of(repeat, lambda: run_leadflow(leads, plan))
    t_bare, bare = best_of(repeat, lambda: run_bare(leads, plan, index))
    states = [lead.status for lead in ours]
    assert states == [lead.status for lead in bare], "bare and leadflow disagree"

    mine, base = n / t_lf, n / t_bare
    ratio = base / mine
    per_lead = f"{count:,} leads, {n / count:,.0f} each"
    line = (
        f"lead transitions {n:,} ({per_lead}): leadflow {mine:,.0f}/s; "
        f"bare dict+evolve {base:,.0f}/s (ratio {ratio:.2f}, target <= 2: {verdict(ratio <= 2)})"
    )

    models = [LeadModel(lead) for lead in leads]
    start = time.perf_counter()
    machine = transitions_machine(models)
    added = time.perf_counter() - start
    if machine is None:
        print(line)
        print(
            "transitions Machine.trigger: skipped, transitions is not installed "
            "(pip install -r benchmarks/requirements.txt)"
        )
        return

    def reset() -> None:
        for model in models:
            model.state = machine.initial

    t_tr, _ = best_of(repeat, lambda _: run_transitions(models, plan), setup=reset)
    assert [m.state for m in models] == states, "transitions and leadflow disagree"
    theirs = n / t_tr
    faster = mine / theirs
    line += (
        f"; transitions Machine.trigger {theirs:,.0f}/s "
        f"(leadflow/transitions {faster:.2f}, target > 1: {verdict(faster > 1)})"
    )
    print(line)
    print(
        "  transitions: same guards as conditions and a StateChanged per move in an after "
        "callback; moves the model's state in place (no new Lead); "
        f"adding {count:,} models to one Machine took {added:.2f}s (not counted)"
    )


# --------------------------------------------------------------- conversions


def conversion_leads(n: int) -> list[Lead]:
    return [make_lead(i, status="qualified", companies=max(1, n // 5)) for i in range(n)]


def add_leads(store: Store, leads: list[Lead]) -> list[Lead]:
    with store.unit_of_work(actor="bench") as uow:
        stored = uow.leads.add_many(leads)
        uow.commit()
    return stored


def convert_all(store: Store, stored: list[Lead]) -> Counter[str]:
    matches: Counter[str] = Counter()
    for lead in stored:
        with store.unit_of_work(actor="bench") as uow:
            result = convert_lead(uow, lead.id, at=AT, actor="bench")
        matches[result.account_match] += 1
    return matches


Writes = tuple[Lead, Any, Any, Any, tuple[Any, ...], tuple[Any, ...]]


def prebuilt_writes(lead: Lead) -> Writes:
    """What converting ``lead`` writes, built beforehand (always a new account)."""
    account = account_from_lead(lead, at=AT)
    contact = contact_from_lead(lead, account=account, at=AT)
    opened = DEFAULT_PIPELINE.open(
        name=f"{account.name}: new business",
        at=AT,
        account_id=account.id,
        primary_contact_id=contact.id,
        contact_roles=contact_roles_from_lead(lead, contact),
        amount=lead.bant.budget.value if lead.bant.budget else None,
        source_lead_id=lead.id,
        owner=lead.owner,
    )
    moved, events = apply_lead_action(lead, "convert", at=AT, actor="bench")
    moved, more = MARKETING_STAGES.apply(moved, "advance:opportunity", at=AT, actor="bench")
    moved = attrs.evolve(
        moved,
        converted_at=AT,
        converted_account_id=account.id,
        converted_contact_id=contact.id,
        converted_opportunity_id=opened.opportunity.id,
    )
    done = LeadConverted(
        entity_id=lead.id.value,
        account_id=account.id,
        contact_id=contact.id,
        opportunity_id=opened.opportunity.id,
        created=("account", "contact", "opportunity"),
        at=AT,
        actor="bench",
    )
    return moved, account, contact, opened.opportunity, opened.activities, (*events, *more, done)


def write_all(store: Store, writes: list[Writes]) -> None:
    for lead, account, contact, opportunity, activities, events in writes:
        with store.unit_of_work(actor="bench") as uow:
            uow.leads.update(lead)
            uow.accounts.add(account)
            uow.contacts.add(contact)
            uow.opportunities.add(opportunity)
            uow.activities.add_many(activities)
            uow.record(*events)
            uow.commit()


def measure_conversions(n: int, repeat: int) -> None:
    leads = conversion_leads(n)
    rates: dict[str, float] = {}
    opened: list[Store] = []
    counter = iter(range(1_000_000))

    with tempfile.TemporaryDirectory(prefix="leadflow-bench-") as tmp:
        directory = Path(tmp)

        def fresh(kind: str) -> Store:
            if kind == "memory":
                store = leadflow.connect("memory://")
            else:
                store = leadflow.connect(f"sqlite:///{directory / f'store-{next(counter)}.db'}")
            opened.append(store)
            return store

        def stored_leads(kind: str) -> tuple[Store, list[Lead]]:
            while opened:
                opened.pop().close()
            store = fresh(kind)
            return store, add_leads(store, leads)

        matches: Counter[str] = Counter()
        for kind in ("memory", "sqlite"):
            seconds, matches = best_of(
                repeat,
                lambda prepared: convert_all(*prepared),
                setup=lambda kind=kind: stored_leads(kind),
            )
            rates[kind] = n / seconds

        def bare_setup() -> tuple[Store, list[Writes]]:
            store, stored = stored_leads("sqlite")
            return store, [prebuilt_writes(lead) for lead in stored]

        seconds, _ = best_of(repeat, lambda prepared: write_all(*prepared), setup=bare_setup)
        rates["bare"] = n / seconds
        while opened:
            opened.pop().close()

    ratio = rates["bare"] / rates["sqlite"]
    mix = ", ".join(f"{kind} {matches[kind]:,}" for kind in sorted(matches))
    print(
        f"lead conversions {n:,}, one unit of work each: memory {rates['memory']:,.0f}/s; "
        f"sqlite {rates['sqlite']:,.0f}/s; bare sqlite unit of work with the same writes "
        f"{rates['bare']:,.0f}/s (ratio {ratio:.2f})"
    )
    print(f"  accounts: {mix}")
    print(
        f"target sqlite >= 1,000 conversions/s: {verdict(rates['sqlite'] >= 1000)} "
        f"({rates['sqlite']:,.0f}/s)"
    )


# ------------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transitions", type=int, default=1_000_000)
    parser.add_argument(
        "--leads", type=int, default=10_000, help="at most this many leads walk the lifecycle"
    )
    parser.add_argument("--conversions", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    print(
        f"{args.transitions:,} transitions; {args.conversions:,} conversions; best of {args.repeat}"
    )
    if args.transitions > 0:
        measure_transitions(args.transitions, args.leads, args.repeat)
    if args.conversions > 0:
        measure_conversions(args.conversions, args.repeat)


if __name__ == "__main__":
    main()
