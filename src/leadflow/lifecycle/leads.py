"""The default lead lifecycle and marketing stages, and the lead's state changes.

Two rule tables govern a lead:

* the **lifecycle** (``Lead.status``, :func:`lead_lifecycle`): ``new`` ->
  ``working`` <-> ``nurturing`` -> ``qualified`` -> ``converted``; ``disqualify``
  from any open state with a reason from a list, and ``recycle`` from
  ``disqualified`` back to ``nurturing``;
* the **marketing stage** (``Lead.marketing_stage``, :func:`marketing_stages`):
  ``lead`` -> ``mql`` -> ``sql`` -> ``opportunity`` -> ``customer``, forward only
  (skipping ahead is allowed), unless ``reset`` back to ``lead``.

Both are ordinary :class:`~leadflow.lifecycle.RuleTable` objects: replace them with
your own, from code or a file.  :func:`apply_lead_action` applies a lifecycle action
and gives the actions ``disqualify`` and ``recycle`` their effect on the lead's
``disqualification_reason``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from leadflow.events import StateChanged
from leadflow.leads import Lead
from leadflow.lifecycle._table import RuleTable, State, Transition, checked_reason
from leadflow.lifecycle.guards import BantOrScore, HasOwner, Reachable, ReasonIn

__all__ = [
    "DISQUALIFICATION_REASONS",
    "LEAD_LIFECYCLE",
    "MARKETING_STAGES",
    "apply_lead_action",
    "lead_lifecycle",
    "marketing_stages",
]

#: The default reasons a lead may be disqualified for.
DISQUALIFICATION_REASONS: tuple[str, ...] = (
    "no budget",
    "no authority",
    "no need",
    "bad timing",
    "not a fit",
    "unresponsive",
    "competitor",
    "duplicate",
    "invalid contact data",
    "spam",
)

_OPEN = ("new", "working", "nurturing", "qualified")


def lead_lifecycle(
    *,
    disqualification_reasons: Sequence[str] = DISQUALIFICATION_REASONS,
    min_bant: int = 3,
    min_score: float | None = None,
    require_opt_in: bool = True,
) -> RuleTable:
    """Build the default lead lifecycle with your own settings.

    Qualifying needs an owner, a way to reach the person
    (:class:`~leadflow.lifecycle.guards.Reachable` with ``require_opt_in``) and either
    ``min_bant`` BANT criteria assessed or a score of at least ``min_score``
    (:class:`~leadflow.lifecycle.guards.BantOrScore`).
    Disqualifying needs a reason from ``disqualification_reasons`` (any reason when
    it is empty).
    """
    qualify = (
        HasOwner(),
        Reachable(require_opt_in=require_opt_in),
        BantOrScore(min_bant=min_bant, min_score=min_score),
    )
    disqualify = (ReasonIn(reasons=tuple(disqualification_reasons)),)
    transitions = [
        Transition(source="new", action="work", target="working", description="first contact made"),
        Transition(source="new", action="nurture", target="nurturing"),
        Transition(source="working", action="nurture", target="nurturing"),
        Transition(source="nurturing", action="work", target="working"),
        Transition(source="new", action="qualify", target="qualified", guards=qualify),
        Transition(source="working", action="qualify", target="qualified", guards=qualify),
        Transition(source="nurturing", action="qualify", target="qualified", guards=qualify),
        Transition(source="qualified", action="convert", target="converted"),
        *(
            Transition(source=s, action="disqualify", target="disqualified", guards=disqualify)
            for s in _OPEN
        ),
        Transition(source="disqualified", action="recycle", target="nurturing"),
    ]
    return RuleTable(
        name="lead",
        entity="lead",
        field="status",
        description="The default lead lifecycle.",
        states=[
            State(name="new", description="not yet worked"),
            State(name="working", description="being contacted"),
            State(name="nurturing", description="not ready; kept warm"),
            State(name="qualified", description="ready to convert"),
            State(name="converted", description="became account, contact, opportunity"),
            State(name="disqualified", description="not pursued, with a reason"),
        ],
        initial="new",
        terminal=frozenset({"converted"}),
        transitions=transitions,
    )


#: The marketing stages in order: forward only, ``reset`` back to ``lead``.
_STAGES = ("lead", "mql", "sql", "opportunity", "customer")


def marketing_stages(stages: Sequence[str] = _STAGES) -> RuleTable:
    """Build a forward-only stage table.

    From each stage, ``advance:<stage>`` leads to any later stage and ``reset``
    back to the first.  The default stages are ``lead``, ``mql`` (marketing
    qualified), ``sql`` (sales qualified), ``opportunity`` and ``customer``.
    """
    transitions: list[Transition] = []
    for i, source in enumerate(stages):
        transitions.extend(
            Transition(source=source, action=f"advance:{target}", target=target)
            for target in stages[i + 1 :]
        )
        if i:
            transitions.append(Transition(source=source, action="reset", target=stages[0]))
    return RuleTable(
        name="marketing",
        entity="lead",
        field="marketing_stage",
        description="Marketing stages: forward only, unless reset.",
        states=list(stages),
        initial=stages[0],
        transitions=transitions,
    )


#: The default lead lifecycle (:func:`lead_lifecycle` with its defaults).
LEAD_LIFECYCLE = lead_lifecycle()

#: The default marketing stages (:func:`marketing_stages` with its defaults).
MARKETING_STAGES = marketing_stages()


def apply_lead_action(
    lead: Lead,
    action: str,
    *,
    at: datetime,
    actor: str | None = None,
    reason: str | None = None,
    table: RuleTable = LEAD_LIFECYCLE,
    **inputs: Any,
) -> tuple[Lead, list[StateChanged]]:
    """Apply a lifecycle action to a lead, with the action's effect on the lead.

    The move itself is :meth:`~leadflow.lifecycle.RuleTable.apply`.

    ``disqualify`` keeps ``reason`` as the lead's ``disqualification_reason`` and
    ``recycle`` clears it; other actions only move the state.
    """
    also: dict[str, Any] | None = None
    if action == "disqualify":
        # Kept as the reason list spells it, as the event records it.
        reason = checked_reason(table.transition(lead.status, action), reason)
        also = {"disqualification_reason": reason}
    elif action == "recycle":
        also = {"disqualification_reason": None}
    return table.apply(lead, action, at=at, actor=actor, reason=reason, also=also, **inputs)
