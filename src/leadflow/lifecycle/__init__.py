"""Lifecycle rules as data: rule tables (state machines), guards, and the lead lifecycle.

A :class:`RuleTable` is a small state machine that leadflow validates when it is
built and enforces when an action is applied: states, one initial state, terminal
states, and transitions ``(source, action) -> target`` with guards.  Tables load
from plain data, JSON or TOML, and draw themselves as Mermaid diagrams.

* :mod:`leadflow.lifecycle.guards`: the built-in guards and the guard protocol;
* :mod:`leadflow.lifecycle.leads`: the default lead lifecycle and marketing stages.

Opportunity pipelines are in :mod:`leadflow.pipelines`; they build their rule tables
from their stages.
"""

from leadflow.lifecycle._table import RuleTable, State, Transition
from leadflow.lifecycle.guards import Guard, Request
from leadflow.lifecycle.leads import (
    DISQUALIFICATION_REASONS,
    LEAD_LIFECYCLE,
    MARKETING_STAGES,
    apply_lead_action,
    lead_lifecycle,
    marketing_stages,
)

__all__ = [
    "DISQUALIFICATION_REASONS",
    "LEAD_LIFECYCLE",
    "MARKETING_STAGES",
    "Guard",
    "Request",
    "RuleTable",
    "State",
    "Transition",
    "apply_lead_action",
    "lead_lifecycle",
    "marketing_stages",
]
