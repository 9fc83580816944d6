"""Rule tables: small declarative state machines, validated when built (private module).

The public names are re-exported by :mod:`leadflow.lifecycle`.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import attrs

from leadflow._config import Reader, load_file, load_json, load_toml, require_text
from leadflow._fields import EMPTY_MAP, FrozenMap, to_tuple, to_utc
from leadflow.errors import InvalidConfiguration, InvalidTransition
from leadflow.events import StateChanged
from leadflow.lifecycle.guards import Guard, ReasonIn, Request, build_guard, guard_to_data

__all__ = ["RuleTable", "State", "Transition"]

E = TypeVar("E")
GuardFactories = Mapping[str, Callable[..., Guard]]


@attrs.frozen(kw_only=True)
class State:
    """A state of a rule table, with an optional description for docs and diagrams."""

    name: str
    description: str | None = None


@attrs.frozen(kw_only=True)
class Transition:
    """``(source, action) -> target``, allowed when every guard lets it."""

    source: str
    action: str
    target: str
    guards: tuple[Guard, ...] = attrs.field(default=(), converter=to_tuple)
    description: str | None = None


def _states(value: Iterable[State | str]) -> tuple[State, ...]:
    return tuple(s if isinstance(s, State) else State(name=s) for s in value)


def _names(value: Iterable[str]) -> frozenset[str]:
    return frozenset(value)


@attrs.frozen(kw_only=True)
class RuleTable:
    """A state machine as data: states, one initial state, terminal states, transitions.

    ``entity`` names the kind of entity it governs (``"lead"``) and ``field`` the
    entity's attribute that holds the state (``"status"``).  The table is checked
    when built and raises :class:`~leadflow.errors.InvalidConfiguration` naming the
    rule at fault: exactly one initial state, every state reachable from it, no
    duplicate ``(source, action)``, every named state known, no transition out of
    a terminal state and no dead end that is not terminal.

    :meth:`apply` moves an entity and returns it with the
    :class:`~leadflow.events.StateChanged` event; a refused action raises
    :class:`~leadflow.errors.InvalidTransition`.
    """

    name: str
    entity: str
    field: str
    states: tuple[State, ...] = attrs.field(converter=_states)
    initial: str
    terminal: frozenset[str] = attrs.field(default=frozenset(), converter=_names)
    transitions: tuple[Transition, ...] = attrs.field(converter=to_tuple)
    description: str | None = None

    _index: dict[tuple[str, str], Transition] = attrs.field(
        init=False, repr=False, eq=False, hash=False
    )
    _actions: dict[str, tuple[str, ...]] = attrs.field(init=False, repr=False, eq=False, hash=False)

    def __attrs_post_init__(self) -> None:
        index, actions = _validate(self)
        object.__setattr__(self, "_index", index)
        object.__setattr__(self, "_actions", actions)

    # ------------------------------------------------------------------ questions

    @property
    def state_names(self) -> tuple[str, ...]:
        """The states' names, in their declared order."""
        return tuple(s.name for s in self.states)

    def actions(self, state: str) -> tuple[str, ...]:
        """The actions defined from ``state``, in declaration order (guards not checked)."""
        try:
            return self._actions[state]
        except KeyError:
            raise self._unknown_state(state) from None

    def allowed_actions(self, entity: Any) -> tuple[str, ...]:
        """The actions defined from the entity's current state (guards not checked).

        Use :meth:`check` to learn whether an action's guards would let it happen.
        """
        return self.actions(getattr(entity, self.field))

    def transition(self, state: str, action: str) -> Transition | None:
        """The transition for ``action`` from ``state``, or ``None`` when there is none."""
        return self._index.get((state, action))

    def check(
        self,
        entity: Any,
        action: str,
        *,
        at: datetime,
        actor: str | None = None,
        reason: str | None = None,
        **inputs: Any,
    ) -> list[str]:
        """Why ``action`` would be refused now: an empty list when it would be allowed."""
        state = getattr(entity, self.field)
        found = self._index.get((state, action))
        if found is None:
            return [self._no_such_action(state, action)]
        request = Request(
            action=action, at=at, actor=actor, reason=reason, inputs=FrozenMap(inputs)
        )
        return _refusals(found, entity, request)

    # ------------------------------------------------------------------- actions

    def apply(
        self,
        entity: E,
        action: str,
        *,
        at: datetime,
        actor: str | None = None,
        reason: str | None = None,
        also: Mapping[str, Any] | None = None,
        **inputs: Any,
    ) -> tuple[E, list[StateChanged]]:
        """Take ``action``: return the moved entity and its :class:`~leadflow.events.StateChanged`.

        The entity's state field becomes the transition's target, its ``updated_at``
        becomes ``at``, and the fields in ``also`` take their values, in one step.  A
        reason checked by :class:`~leadflow.lifecycle.guards.ReasonIn` is recorded as
        its list spells it.  Raises :class:`~leadflow.errors.InvalidTransition` naming
        the entity, its state, the action, every failing guard's reason and the
        actions allowed from the state; ``inputs`` are passed to the guards.
        """
        at = to_utc(at)
        state: str = getattr(entity, self.field)
        found = self._index.get((state, action))
        if found is None:
            self._refuse(entity, state, action, self._no_such_action(state, action))
        if found.guards:
            request = Request(
                action=action,
                at=at,
                actor=actor,
                reason=reason,
                inputs=FrozenMap(inputs) if inputs else EMPTY_MAP,
            )
            refusals = _refusals(found, entity, request)
            if refusals:
                self._refuse(entity, state, action, "; ".join(refusals))
            reason = checked_reason(found, reason)
        changes = {self.field: found.target, "updated_at": at}
        if also:
            changes.update(also)
        moved = _rebuild(entity, changes)
        event = StateChanged(
            entity=self.entity,
            entity_id=entity.id.value,  # type: ignore[attr-defined]
            machine=self.name,
            field=self.field,
            action=action,
            from_state=state,
            to_state=found.target,
            at=at,
            actor=actor,
            reason=reason,
        )
        return moved, [event]

    def replay(self, events: Iterable[Any], *, start: str | None = None) -> str:
        """The state reached by replaying this table's events for one entity, in order.

        Events of other tables are skipped; ``start`` defaults to the initial
        state.  Raises :class:`~leadflow.errors.InvalidConfiguration` when an event
        does not follow from the state before it or is not a transition of the table.
        """
        state = self.initial if start is None else start
        for i, event in enumerate(events):
            if not isinstance(event, StateChanged) or event.machine != self.name:
                continue
            found = self._index.get((event.from_state, event.action))
            if event.from_state != state or found is None or found.target != event.to_state:
                raise InvalidConfiguration(
                    key=f"events[{i}]",
                    reason=(
                        f"{event.action}: {event.from_state} -> {event.to_state} does not "
                        f"follow from state {state} in rule table {self.name}"
                    ),
                )
            state = event.to_state
        return state

    # ------------------------------------------------------------------ rendering

    def to_mermaid(self) -> str:
        """The table as a Mermaid state diagram (``stateDiagram-v2``).

        Guards appear in brackets after the action; terminal states lead to ``[*]``.
        """
        ids = _mermaid_ids(self.state_names)
        lines = ["stateDiagram-v2"]
        for state in self.states:
            label = (
                state.name if state.description is None else f"{state.name}: {state.description}"
            )
            if ids[state.name] != state.name or state.description is not None:
                lines.append(f'    state "{_mermaid_text(label)}" as {ids[state.name]}')
        lines.append(f"    [*] --> {ids[self.initial]}")
        for t in self.transitions:
            label = t.action
            if t.guards:
                label += " [" + ", ".join(g.name for g in t.guards) + "]"
            lines.append(f"    {ids[t.source]} --> {ids[t.target]}: {_mermaid_label(label)}")
        lines.extend(f"    {ids[n]} --> [*]" for n in self.state_names if n in self.terminal)
        return "\n".join(lines)

    # ----------------------------------------------------------------------- data

    def to_dict(self) -> dict[str, Any]:
        """The table as plain data, the inverse of :meth:`from_dict`."""
        states: list[Any] = []
        for state in self.states:
            entry: dict[str, Any] = {"name": state.name}
            if state.description is not None:
                entry["description"] = state.description
            states.append(entry)
        transitions = []
        for t in self.transitions:
            row: dict[str, Any] = {"from": t.source, "action": t.action, "to": t.target}
            if t.guards:
                row["guards"] = [guard_to_data(g) for g in t.guards]
            if t.description is not None:
                row["description"] = t.description
            transitions.append(row)
        data: dict[str, Any] = {
            "name": self.name,
            "entity": self.entity,
            "field": self.field,
            "initial": self.initial,
            "terminal": [s for s in self.state_names if s in self.terminal],
            "states": states,
            "transitions": transitions,
        }
        if self.description is not None:
            data["description"] = self.description
        return data

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, guards: GuardFactories | None = None
    ) -> RuleTable:
        """Build a table from plain data (as :meth:`to_dict` writes, or a TOML/JSON file).

        ``states`` is a list of names or of tables with ``name``, ``description``
        and optionally ``initial = true`` / ``terminal = true``; the initial state
        may instead be given as top-level ``initial`` and the terminal ones as
        ``terminal``.  Each transition is a table with ``from``, ``action``, ``to``
        and optionally ``guards`` (see :func:`~leadflow.lifecycle.guards.build_guard`)
        and ``description``.  ``guards`` adds your own guard factories by name.
        """
        reader = Reader(data, "$")
        name = reader.text("name")
        entity = reader.text("entity")
        field = reader.text("field")
        description = reader.optional_text("description")
        states: list[State] = []
        initials: list[tuple[str, str]] = []
        terminal: set[str] = set()
        top_initial = reader.optional_text("initial")
        if top_initial is not None:
            initials.append(("initial", top_initial))
        for i, item in enumerate(reader.list("states")):
            key = f"states[{i}]"
            if isinstance(item, str):
                states.append(State(name=item))
                continue
            entry = Reader(item, key)
            state = State(name=entry.text("name"), description=entry.optional_text("description"))
            if entry.flag("initial"):
                initials.append((f"{key}.initial", state.name))
            if entry.flag("terminal"):
                terminal.add(state.name)
            entry.done()
            states.append(state)
        for i, item in enumerate(reader.list("terminal", required=False)):
            if not isinstance(item, str):
                raise InvalidConfiguration(
                    key=f"terminal[{i}]", reason="must be a state name", value=item
                )
            terminal.add(item)
        if len(initials) != 1:
            where = ", ".join(k for k, _ in initials) or "initial"
            raise InvalidConfiguration(
                key=where,
                reason=f"a rule table needs exactly one initial state, found {len(initials)}",
                value=[v for _, v in initials] or None,
            )
        transitions = []
        for i, item in enumerate(reader.list("transitions")):
            key = f"transitions[{i}]"
            entry = Reader(item, key)
            built = [
                build_guard(g, key=f"{key}.guards[{j}]", guards=guards)
                for j, g in enumerate(entry.list("guards", required=False))
            ]
            transitions.append(
                Transition(
                    source=entry.text("from"),
                    action=entry.text("action"),
                    target=entry.text("to"),
                    guards=built,
                    description=entry.optional_text("description"),
                )
            )
            entry.done()
        reader.done()
        return cls(
            name=name,
            entity=entity,
            field=field,
            states=states,
            initial=initials[0][1],
            terminal=terminal,
            transitions=transitions,
            description=description,
        )

    @classmethod
    def from_json(cls, text: str, *, guards: GuardFactories | None = None) -> RuleTable:
        """Build a table from JSON text."""
        return cls.from_dict(load_json(text), guards=guards)

    @classmethod
    def from_toml(cls, text: str, *, guards: GuardFactories | None = None) -> RuleTable:
        """Build a table from TOML text."""
        return cls.from_dict(load_toml(text), guards=guards)

    @classmethod
    def load(cls, path: str | Path, *, guards: GuardFactories | None = None) -> RuleTable:
        """Build a table from a ``.toml`` or ``.json`` file."""
        return cls.from_dict(load_file(path), guards=guards)

    # --------------------------------------------------------------------- errors

    def _unknown_state(self, state: str) -> InvalidConfiguration:
        return InvalidConfiguration(
            key=self.field, reason=f"not a state of rule table {self.name}", value=state
        )

    def _no_such_action(self, state: str, action: str) -> str:
        if state not in self._actions:
            return f"{state!r} is not a state of rule table {self.name}"
        if any(a == action for (_, a) in self._index):
            return f"{action} is not allowed from {state}"
        return f"{action} is not an action of rule table {self.name}"

    def _refuse(self, entity: Any, state: str, action: str, reason: str) -> NoReturn:
        raise InvalidTransition(
            entity=self.entity,
            entity_id=getattr(getattr(entity, "id", None), "value", getattr(entity, "id", None)),
            state=state,
            action=action,
            allowed=self._actions.get(state, ()),
            reason=reason,
        )


def checked_reason(transition: Transition | None, reason: str | None) -> str | None:
    """``reason`` as the transition's :class:`~leadflow.lifecycle.guards.ReasonIn` spells it."""
    if transition is not None and reason is not None:
        for guard in transition.guards:
            if isinstance(guard, ReasonIn):
                return guard.canonical(reason)
    return reason


#: Per attrs class: its ``__init__`` argument names and a reader of those fields' values.
_INIT_FIELDS: dict[type[Any], tuple[tuple[str, ...], Callable[[Any], tuple[Any, ...]]]] = {}


def _rebuild(entity: E, changes: Mapping[str, Any]) -> E:
    """``attrs.evolve`` with the class's fields read at C speed: validators and converters run."""
    cls: Any = type(entity)
    known = _INIT_FIELDS.get(cls)
    if known is None:
        fields = [a for a in attrs.fields(cls) if a.init]
        reader = operator.attrgetter(*(a.name for a in fields))
        read: Callable[[Any], tuple[Any, ...]] = (
            reader if len(fields) > 1 else (lambda entity: (reader(entity),))
        )
        known = (tuple(a.alias for a in fields), read)
        _INIT_FIELDS[cls] = known
    aliases, read = known
    arguments = dict(zip(aliases, read(entity), strict=True))
    arguments.update(changes)
    rebuilt: E = cls(**arguments)
    return rebuilt


def _refusals(transition: Transition, entity: Any, request: Request) -> list[str]:
    found = []
    for guard in transition.guards:
        said = guard(entity, request)
        if said is not None:
            found.append(said)
    return found


def _state_names(table: RuleTable) -> list[str]:
    names: list[str] = []
    for i, state in enumerate(table.states):
        require_text(f"states[{i}].name", state.name)
        if state.name in names:
            raise InvalidConfiguration(
                key=f"states[{i}].name", reason="duplicate state", value=state.name
            )
        names.append(state.name)
    if not names:
        raise InvalidConfiguration(key="states", reason="a rule table needs at least one state")
    if table.initial not in names:
        raise InvalidConfiguration(
            key="initial", reason="not a declared state", value=table.initial
        )
    for name in sorted(table.terminal - set(names)):
        raise InvalidConfiguration(key="terminal", reason="not a declared state", value=name)
    return names


def _check_transition(
    key: str, t: Transition, table: RuleTable, known: set[str], index: Mapping[Any, Any]
) -> None:
    require_text(f"{key}.action", t.action)
    for part, value in (("from", t.source), ("to", t.target)):
        if value not in known:
            raise InvalidConfiguration(
                key=f"{key}.{part}", reason="not a declared state", value=value
            )
    if t.source in table.terminal:
        raise InvalidConfiguration(
            key=f"{key}.from", reason="a terminal state has no transitions out", value=t.source
        )
    if (t.source, t.action) in index:
        raise InvalidConfiguration(
            key=key,
            reason=f"duplicate transition: {t.action} from {t.source} is already defined",
            value=t.target,
        )
    for j, guard in enumerate(t.guards):
        if not isinstance(guard, Guard):
            raise InvalidConfiguration(
                key=f"{key}.guards[{j}]",
                reason="a guard needs a name and must be callable as guard(entity, request)",
                value=guard,
            )


def _validate(
    table: RuleTable,
) -> tuple[dict[tuple[str, str], Transition], dict[str, tuple[str, ...]]]:
    for key in ("name", "entity", "field"):
        require_text(key, getattr(table, key))
    names = _state_names(table)
    known = set(names)
    index: dict[tuple[str, str], Transition] = {}
    actions: dict[str, list[str]] = {name: [] for name in names}
    for i, t in enumerate(table.transitions):
        _check_transition(f"transitions[{i}]", t, table, known, index)
        index[(t.source, t.action)] = t
        actions[t.source].append(t.action)
    reachable = {table.initial}
    frontier = [table.initial]
    while frontier:
        here = frontier.pop()
        for action in actions[here]:
            target = index[(here, action)].target
            if target not in reachable:
                reachable.add(target)
                frontier.append(target)
    for i, name in enumerate(names):
        if name not in reachable:
            raise InvalidConfiguration(
                key=f"states[{i}]",
                reason=f"state {name} cannot be reached from the initial state {table.initial}",
                value=name,
            )
        if not actions[name] and name not in table.terminal:
            raise InvalidConfiguration(
                key=f"states[{i}]",
                reason=f"state {name} has no transitions out; declare it terminal if it is final",
                value=name,
            )
    return index, {name: tuple(found) for name, found in actions.items()}


def _mermaid_ids(names: Sequence[str]) -> dict[str, str]:
    ids: dict[str, str] = {}
    for i, name in enumerate(names):
        plain = name.isidentifier() and name not in ("state", "end", "note", "direction")
        ids[name] = name if plain else f"s{i}"
    return ids


def _mermaid_text(text: str) -> str:
    return text.replace('"', "'").replace(";", ",").replace("\n", " ")


def _mermaid_label(text: str) -> str:
    """A transition label: Mermaid ends the label at a second colon, so colons become codes."""
    return _mermaid_text(text).replace("#", "#35;").replace(":", "#58;")
