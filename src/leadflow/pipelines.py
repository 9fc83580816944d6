"""Opportunity pipelines: ordered stages with probabilities, exit criteria and playbooks.

A :class:`Pipeline` is an ordered list of :class:`Stage` objects.  Each stage carries
a default win probability, a forecast category, exit criteria (guards that must
hold before a deal moves forward out of it) and a playbook (the activities that
entering the stage creates, each due a number of business days later).  One stage
is the won stage and one the lost stage; the others are open.

The pipeline builds its :class:`~leadflow.lifecycle.RuleTable` from its stages and
settings, with these actions:

* ``move:<stage>``: to another open stage.  Forward moves check the exit criteria
  of the stage being left and of every stage skipped; ``allow_skip`` and
  ``allow_back`` say whether skipping ahead and moving back are allowed at all;
* ``close_won``: to the won stage, checking the current stage's exit criteria and
  ``won_requires`` (by default an amount and a close date);
* ``close_lost``: to the lost stage, checking ``lost_requires`` (by default a reason);
* ``reopen:<stage>``: from a closed stage back to an open one, unless
  ``allow_reopen`` is false.

A deal's own ``probability`` and ``forecast_category`` overrides belong to the stage
they were set in: every action clears them, so the new stage's defaults apply until
someone sets them again.

Every action returns the moved opportunity (with its
:attr:`~leadflow.opportunities.Opportunity.stage_history` extended), the
:class:`~leadflow.events.StateChanged` event and the playbook's new activities.  The
functions are pure; :mod:`leadflow.services` stores their results.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

import attrs

from leadflow._config import Reader, choice, load_file, load_toml, nested, require_text, time_zone
from leadflow._fields import to_frozenset, to_tuple, to_utc
from leadflow.activities import Activity, ActivityKind, Direction
from leadflow.errors import InvalidConfiguration, NotFound, ValidationError
from leadflow.events import StateChanged
from leadflow.lifecycle._table import RuleTable, State, Transition
from leadflow.lifecycle.guards import (
    AmountSet,
    CloseDateSet,
    ContactRoleIn,
    Guard,
    ReasonIn,
    build_guard,
    guard_to_data,
)
from leadflow.opportunities import ForecastCategory, Opportunity, StageVisit
from leadflow.values import Money, Probability, StrEnum

__all__ = [
    "DEFAULT_PIPELINE",
    "BusinessCalendar",
    "Outcome",
    "Pipeline",
    "PlaybookStep",
    "Stage",
    "StageChange",
    "b2b_pipeline",
    "find_pipeline",
]

GuardFactories = Mapping[str, Callable[..., Guard]]


class Outcome(StrEnum):
    """Whether a stage is open, or the won or the lost end of the pipeline."""

    OPEN = "open"
    WON = "won"
    LOST = "lost"


@attrs.frozen(kw_only=True)
class BusinessCalendar:
    """Working days for due dates: weekdays except ``weekend`` days and ``holidays``.

    ``weekend`` holds ``date.weekday()`` numbers (Monday is 0); the default is
    Saturday and Sunday.  Days are counted on the calendar of ``time_zone`` (an IANA
    name such as ``"Europe/Berlin"``; UTC by default), so that a deal moved early on a
    Monday in Berlin counts from Monday, not from Sunday in UTC.
    """

    weekend: frozenset[int] = attrs.field(default=frozenset({5, 6}), converter=to_frozenset)
    holidays: frozenset[date] = attrs.field(default=frozenset(), converter=to_frozenset)
    time_zone: str = "UTC"

    _zone: tzinfo = attrs.field(init=False, repr=False, eq=False, hash=False)

    def __attrs_post_init__(self) -> None:
        if not self.weekend < frozenset(range(7)):
            raise InvalidConfiguration(
                key="weekend",
                reason="must be weekday numbers 0 (Monday) to 6, not all seven",
                value=sorted(self.weekend),
            )
        object.__setattr__(self, "_zone", time_zone(self.time_zone))

    def local_date(self, moment: datetime) -> date:
        """The day ``moment`` falls on in the calendar's time zone."""
        return moment.astimezone(self._zone).date()

    def is_business_day(self, day: date) -> bool:
        """Whether ``day`` is a working day."""
        return day.weekday() not in self.weekend and day not in self.holidays

    def add(self, start: datetime, days: int) -> datetime:
        """``start`` moved forward by ``days`` business days, at the same local time of day.

        Zero days gives ``start`` itself when it is a business day, else the next
        business day.  The result is in ``start``'s time zone.
        """
        local = start.astimezone(self._zone)
        day = local.date()
        while not self.is_business_day(day):
            day += timedelta(days=1)
        for _ in range(days):
            day += timedelta(days=1)
            while not self.is_business_day(day):
                day += timedelta(days=1)
        moved = datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=self._zone)
        return moved.astimezone(start.tzinfo)


def _kind(value: ActivityKind | str) -> ActivityKind:
    return ActivityKind(value)


def _direction(value: Direction | str | None) -> Direction | None:
    return None if value is None else Direction(value)


@attrs.frozen(kw_only=True)
class PlaybookStep:
    """An activity that entering a stage creates: its kind, subject and due date.

    ``due_in`` counts business days from the moment the stage is entered.
    """

    kind: ActivityKind = attrs.field(converter=_kind)
    subject: str
    due_in: int = 0
    description: str | None = None
    direction: Direction | None = attrs.field(default=None, converter=_direction)

    def __attrs_post_init__(self) -> None:
        if isinstance(self.due_in, bool) or not isinstance(self.due_in, int) or self.due_in < 0:
            raise InvalidConfiguration(
                key="due_in", reason="must be a whole number of days, 0 or more", value=self.due_in
            )
        require_text("subject", self.subject)


def _probability(value: Probability | float | int) -> Probability:
    if isinstance(value, Probability):
        return value
    try:
        return Probability(value=value)
    except ValidationError as error:
        raise InvalidConfiguration(
            key="probability", reason=error.problems[0].reason, value=value
        ) from None


def _category(value: ForecastCategory | str) -> ForecastCategory:
    return choice(ForecastCategory, value, key="forecast_category", what="forecast category")


def _outcome(value: Outcome | str) -> Outcome:
    return choice(Outcome, value, key="outcome", what="outcome")


@attrs.frozen(kw_only=True)
class Stage:
    """One stage of a pipeline."""

    name: str
    #: The default chance that a deal in this stage is won.
    probability: Probability = attrs.field(converter=_probability)
    forecast_category: ForecastCategory = attrs.field(converter=_category)
    outcome: Outcome = attrs.field(default=Outcome.OPEN, converter=_outcome)
    #: Guards that must hold before a deal moves forward out of this stage.
    exit_criteria: tuple[Guard, ...] = attrs.field(default=(), converter=to_tuple)
    #: The activities entering this stage creates.
    playbook: tuple[PlaybookStep, ...] = attrs.field(default=(), converter=to_tuple)
    description: str | None = None

    @property
    def is_open(self) -> bool:
        """Whether deals in this stage are still being worked."""
        return self.outcome is Outcome.OPEN


@attrs.frozen(kw_only=True)
class StageChange:
    """What a pipeline action produced: the opportunity, its events and new activities."""

    opportunity: Opportunity
    events: tuple[StateChanged, ...]
    activities: tuple[Activity, ...]


def _default_won_guards() -> tuple[Guard, ...]:
    return (AmountSet(), CloseDateSet())


def _default_lost_guards() -> tuple[Guard, ...]:
    return (ReasonIn(),)


@attrs.frozen(kw_only=True)
class Pipeline:
    """An ordered list of stages and the rules for moving deals through them.

    Checked when built; anything wrong raises
    :class:`~leadflow.errors.InvalidConfiguration` naming the key: unique stage
    names, at least one open stage, exactly one won stage (probability 1, category
    closed) and exactly one lost stage (probability 0, category omitted).
    """

    name: str
    stages: tuple[Stage, ...] = attrs.field(converter=to_tuple)
    #: Whether a deal may skip ahead over stages.
    allow_skip: bool = True
    #: Whether a deal may move back to an earlier open stage.
    allow_back: bool = True
    #: Whether a closed deal may be reopened.
    allow_reopen: bool = True
    #: What closing won requires, besides the current stage's exit criteria.
    won_requires: tuple[Guard, ...] = attrs.field(factory=_default_won_guards, converter=to_tuple)
    #: What closing lost requires (by default a reason).
    lost_requires: tuple[Guard, ...] = attrs.field(factory=_default_lost_guards, converter=to_tuple)
    #: The working days that playbook due dates count.
    calendar: BusinessCalendar = attrs.field(factory=BusinessCalendar)
    description: str | None = None

    _by_name: dict[str, Stage] = attrs.field(init=False, repr=False, eq=False, hash=False)
    _table: RuleTable = attrs.field(init=False, repr=False, eq=False, hash=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_by_name", _check_stages(self))
        object.__setattr__(self, "_table", _build_table(self))

    # ------------------------------------------------------------------ questions

    @property
    def table(self) -> RuleTable:
        """The rule table built from the stages and settings."""
        return self._table

    @property
    def open_stages(self) -> tuple[Stage, ...]:
        """The open stages, in order."""
        return tuple(s for s in self.stages if s.is_open)

    @property
    def first_stage(self) -> Stage:
        """Where new deals start: the first open stage."""
        return self.open_stages[0]

    @property
    def won_stage(self) -> Stage:
        """The stage of won deals."""
        return next(s for s in self.stages if s.outcome is Outcome.WON)

    @property
    def lost_stage(self) -> Stage:
        """The stage of lost deals."""
        return next(s for s in self.stages if s.outcome is Outcome.LOST)

    def stage(self, name: str) -> Stage:
        """The stage called ``name``; :class:`~leadflow.errors.NotFound` if there is none."""
        try:
            return self._by_name[name]
        except KeyError:
            raise NotFound(entity=f"stage of pipeline {self.name}", key=name) from None

    def probability(self, opportunity: Opportunity) -> Probability:
        """The deal's win probability: its own override, else its stage's default."""
        if opportunity.probability is not None:
            return opportunity.probability
        return self.stage(opportunity.stage).probability

    def forecast_category(self, opportunity: Opportunity) -> ForecastCategory:
        """The deal's forecast category: its own override, else its stage's."""
        if opportunity.forecast_category is not None:
            return opportunity.forecast_category
        return self.stage(opportunity.stage).forecast_category

    def to_mermaid(self) -> str:
        """The pipeline's rule table as a Mermaid state diagram."""
        return self._table.to_mermaid()

    # ------------------------------------------------------------------- actions

    def open(
        self,
        *,
        name: str,
        at: datetime,
        stage: str | None = None,
        **fields: Any,
    ) -> StageChange:
        """A new opportunity in ``stage`` (the first open stage by default), with its playbook.

        ``fields`` are further :class:`~leadflow.opportunities.Opportunity` fields
        (``account_id``, ``amount``, ``owner``, ...).  No event is returned: storing
        the opportunity records its addition.
        """
        at = to_utc(at)
        start = self.first_stage if stage is None else self.stage(stage)
        if not start.is_open:
            raise InvalidConfiguration(
                key="stage", reason="a new opportunity starts in an open stage", value=start.name
            )
        opportunity = Opportunity(
            name=name,
            created_at=at,
            pipeline=self.name,
            stage=start.name,
            stage_history=(StageVisit(stage=start.name, entered_at=at),),
            **fields,
        )
        return StageChange(
            opportunity=opportunity, events=(), activities=self._playbook(opportunity, start, at)
        )

    def move(
        self,
        opportunity: Opportunity,
        stage: str,
        *,
        at: datetime,
        actor: str | None = None,
        reason: str | None = None,
    ) -> StageChange:
        """Move an open deal to another open stage (action ``move:<stage>``)."""
        return self._apply(opportunity, f"move:{stage}", at=at, actor=actor, reason=reason)

    def close_won(
        self,
        opportunity: Opportunity,
        *,
        at: datetime,
        actor: str | None = None,
        amount: Money | None = None,
        close_date: date | None = None,
        reason: str | None = None,
    ) -> StageChange:
        """Close a deal as won; ``amount`` and ``close_date`` replace the deal's when given.

        Refused (by default) when the deal then has no amount or no close date.
        """
        changes: dict[str, Any] = {}
        if amount is not None:
            changes["amount"] = amount
        if close_date is not None:
            changes["expected_close_date"] = close_date
        ready = attrs.evolve(opportunity, **changes) if changes else opportunity
        return self._apply(
            ready, "close_won", at=at, actor=actor, reason=reason, close_reason=reason
        )

    def close_lost(
        self,
        opportunity: Opportunity,
        *,
        at: datetime,
        reason: str | None,
        actor: str | None = None,
        competitor: str | None = None,
    ) -> StageChange:
        """Close a deal as lost, with a reason and optionally the competitor that won it."""
        extra: dict[str, Any] = {"close_reason": reason, "lost_to": competitor}
        if competitor is not None and competitor not in opportunity.competitors:
            extra["competitors"] = (*opportunity.competitors, competitor)
        return self._apply(
            opportunity,
            "close_lost",
            at=at,
            actor=actor,
            reason=reason,
            inputs={"competitor": competitor},
            **extra,
        )

    def reopen(
        self,
        opportunity: Opportunity,
        *,
        at: datetime,
        actor: str | None = None,
        stage: str | None = None,
        reason: str | None = None,
    ) -> StageChange:
        """Reopen a closed deal in ``stage``, by default the open stage it was closed from."""
        if stage is None:
            earlier = [v.stage for v in opportunity.stage_history[:-1]]
            open_names = {s.name for s in self.open_stages}
            stage = next((s for s in reversed(earlier) if s in open_names), self.first_stage.name)
        return self._apply(
            opportunity,
            f"reopen:{stage}",
            at=at,
            actor=actor,
            reason=reason,
            close_reason=None,
            lost_to=None,
        )

    def apply(
        self,
        opportunity: Opportunity,
        action: str,
        *,
        at: datetime,
        actor: str | None = None,
        reason: str | None = None,
    ) -> StageChange:
        """Apply any action of the pipeline's table by name (``"move:proposal"``, ...).

        ``close_won`` and ``close_lost`` keep ``reason`` as the close reason and
        ``reopen:<stage>`` clears it; use :meth:`close_won` and :meth:`close_lost`
        to give an amount, a close date or a competitor.
        """
        if action == "close_won":
            return self.close_won(opportunity, at=at, actor=actor, reason=reason)
        if action == "close_lost":
            return self.close_lost(opportunity, at=at, actor=actor, reason=reason)
        if action.startswith("reopen:"):
            stage = action.removeprefix("reopen:")
            return self.reopen(opportunity, at=at, actor=actor, stage=stage, reason=reason)
        return self._apply(opportunity, action, at=at, actor=actor, reason=reason)

    def _apply(
        self,
        opportunity: Opportunity,
        action: str,
        *,
        at: datetime,
        actor: str | None,
        reason: str | None,
        inputs: Mapping[str, Any] | None = None,
        **effects: Any,
    ) -> StageChange:
        if opportunity.pipeline != self.name:
            raise InvalidConfiguration(
                key="pipeline",
                reason=f"the opportunity runs through pipeline {opportunity.pipeline}, "
                f"not {self.name}",
                value=opportunity.pipeline,
            )
        at = to_utc(at)
        moved, events = self._table.apply(
            opportunity, action, at=at, actor=actor, reason=reason, **(inputs or {})
        )
        target = self._by_name[moved.stage]
        history = list(opportunity.stage_history)
        if history and history[-1].left_at is None:
            history[-1] = attrs.evolve(history[-1], left_at=at)
        history.append(StageVisit(stage=target.name, entered_at=at))
        moved = attrs.evolve(
            moved,
            stage_history=tuple(history),
            probability=None,
            forecast_category=None,
            **effects,
        )
        return StageChange(
            opportunity=moved,
            events=tuple(events),
            activities=self._playbook(moved, target, at),
        )

    def _playbook(
        self, opportunity: Opportunity, stage: Stage, at: datetime
    ) -> tuple[Activity, ...]:
        return tuple(
            Activity(
                kind=step.kind,
                created_at=at,
                occurred_at=at,
                due_at=self.calendar.add(at, step.due_in),
                subject=step.subject,
                description=step.description,
                direction=step.direction,
                opportunity_id=opportunity.id,
                account_id=opportunity.account_id,
                contact_id=opportunity.primary_contact_id,
                campaign_id=opportunity.campaign_id,
                owner=opportunity.owner,
            )
            for step in stage.playbook
        )

    # ----------------------------------------------------------------------- data

    def to_dict(self) -> dict[str, Any]:
        """The pipeline as plain data, the inverse of :meth:`from_dict`."""
        stages = []
        for stage in self.stages:
            entry: dict[str, Any] = {
                "name": stage.name,
                "probability": stage.probability.value,
                "forecast_category": stage.forecast_category.value,
            }
            if stage.outcome is not Outcome.OPEN:
                entry["outcome"] = stage.outcome.value
            if stage.exit_criteria:
                entry["exit_criteria"] = [guard_to_data(g) for g in stage.exit_criteria]
            if stage.playbook:
                entry["playbook"] = [_step_to_data(step) for step in stage.playbook]
            if stage.description is not None:
                entry["description"] = stage.description
            stages.append(entry)
        data: dict[str, Any] = {
            "name": self.name,
            "allow_skip": self.allow_skip,
            "allow_back": self.allow_back,
            "allow_reopen": self.allow_reopen,
            "won_requires": [guard_to_data(g) for g in self.won_requires],
            "lost_requires": [guard_to_data(g) for g in self.lost_requires],
            "stages": stages,
        }
        if self.calendar != BusinessCalendar():
            data["calendar"] = {
                "weekend": sorted(self.calendar.weekend),
                "holidays": [day.isoformat() for day in sorted(self.calendar.holidays)],
                "time_zone": self.calendar.time_zone,
            }
        if self.description is not None:
            data["description"] = self.description
        return data

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, guards: GuardFactories | None = None
    ) -> Pipeline:
        """Build a pipeline from plain data, as :meth:`to_dict` writes or a TOML/JSON file holds.

        Anything wrong raises :class:`~leadflow.errors.InvalidConfiguration` naming
        the key path (``stages[2].probability``).
        """
        reader = Reader(data, "$")
        fields: dict[str, Any] = {"name": reader.text("name")}
        for flag in ("allow_skip", "allow_back", "allow_reopen"):
            if reader.raw(flag) is not None:
                fields[flag] = reader.flag(flag)
        for key in ("won_requires", "lost_requires"):
            if reader.raw(key) is not None:
                fields[key] = tuple(
                    build_guard(g, key=f"{key}[{i}]", guards=guards)
                    for i, g in enumerate(reader.list(key))
                )
        if reader.raw("calendar") is not None:
            fields["calendar"] = _calendar_from(reader.raw("calendar"))
        fields["description"] = reader.optional_text("description")
        fields["stages"] = tuple(
            _stage_from(item, f"stages[{i}]", guards)
            for i, item in enumerate(reader.list("stages"))
        )
        reader.done()
        return cls(**fields)

    @classmethod
    def from_toml(cls, text: str, *, guards: GuardFactories | None = None) -> Pipeline:
        """Build a pipeline from TOML text."""
        return cls.from_dict(load_toml(text), guards=guards)

    @classmethod
    def load(cls, path: str | Path, *, guards: GuardFactories | None = None) -> Pipeline:
        """Build a pipeline from a ``.toml`` or ``.json`` file."""
        return cls.from_dict(load_file(path), guards=guards)


def _step_to_data(step: PlaybookStep) -> dict[str, Any]:
    entry: dict[str, Any] = {"kind": step.kind.value, "subject": step.subject}
    if step.due_in:
        entry["due_in"] = step.due_in
    if step.description is not None:
        entry["description"] = step.description
    if step.direction is not None:
        entry["direction"] = step.direction.value
    return entry


def _calendar_from(data: Any) -> BusinessCalendar:
    reader = Reader(data, "calendar")
    weekend = reader.list("weekend", required=False)
    holidays = reader.list("holidays", required=False)
    time_zone = reader.optional_text("time_zone") or "UTC"
    reader.done()
    for i, day in enumerate(holidays):
        if not isinstance(day, date) or isinstance(day, datetime):
            text = str(day) if isinstance(day, datetime) else day
            try:
                holidays[i] = date.fromisoformat(text)
            except (TypeError, ValueError):
                raise InvalidConfiguration(
                    key=f"calendar.holidays[{i}]", reason="must be a date", value=day
                ) from None
    try:
        return BusinessCalendar(weekend=weekend or {5, 6}, holidays=holidays, time_zone=time_zone)
    except InvalidConfiguration as error:
        raise nested(error, "calendar") from None
    except TypeError:
        raise InvalidConfiguration(
            key="calendar.weekend", reason="must be weekday numbers", value=weekend
        ) from None


def _stage_from(data: Any, key: str, guards: GuardFactories | None) -> Stage:
    reader = Reader(data, key)
    name = reader.text("name")
    probability = reader.raw("probability")
    if (
        probability is None
        or isinstance(probability, bool)
        or not isinstance(probability, (int, float))
    ):
        reason = "is required" if probability is None else "must be a number from 0 to 1"
        raise InvalidConfiguration(key=f"{key}.probability", reason=reason, value=probability)
    exit_criteria = tuple(
        build_guard(g, key=f"{key}.exit_criteria[{i}]", guards=guards)
        for i, g in enumerate(reader.list("exit_criteria", required=False))
    )
    playbook = []
    for i, item in enumerate(reader.list("playbook", required=False)):
        step = Reader(item, f"{key}.playbook[{i}]")
        try:
            playbook.append(
                PlaybookStep(
                    kind=step.text("kind"),
                    subject=step.text("subject"),
                    due_in=step.raw("due_in") or 0,
                    description=step.optional_text("description"),
                    direction=step.optional_text("direction"),
                )
            )
        except InvalidConfiguration as error:
            raise nested(error, f"{key}.playbook[{i}]") from None
        except ValueError as error:
            raise InvalidConfiguration(
                key=f"{key}.playbook[{i}]", reason=str(error), value=item
            ) from None
        step.done()
    try:
        stage = Stage(
            name=name,
            probability=probability,
            forecast_category=reader.text("forecast_category"),
            outcome=reader.optional_text("outcome") or Outcome.OPEN,
            exit_criteria=exit_criteria,
            playbook=playbook,
            description=reader.optional_text("description"),
        )
    except InvalidConfiguration as error:
        raise nested(error, key) from None
    reader.done()
    return stage


def _check_stages(pipeline: Pipeline) -> dict[str, Stage]:
    require_text("name", pipeline.name)
    by_name: dict[str, Stage] = {}
    for i, stage in enumerate(pipeline.stages):
        if not isinstance(stage, Stage):
            raise InvalidConfiguration(key=f"stages[{i}]", reason="must be a Stage", value=stage)
        require_text(f"stages[{i}].name", stage.name)
        if stage.name in by_name:
            raise InvalidConfiguration(
                key=f"stages[{i}].name", reason="duplicate stage", value=stage.name
            )
        by_name[stage.name] = stage
    if not any(s.is_open for s in pipeline.stages):
        raise InvalidConfiguration(key="stages", reason="a pipeline needs at least one open stage")
    ends = {
        Outcome.WON: (1.0, ForecastCategory.CLOSED),
        Outcome.LOST: (0.0, ForecastCategory.OMITTED),
    }
    for outcome, (probability, category) in ends.items():
        found = [(i, s) for i, s in enumerate(pipeline.stages) if s.outcome is outcome]
        if len(found) != 1:
            raise InvalidConfiguration(
                key="stages",
                reason=f"a pipeline needs exactly one {outcome.value} stage, found {len(found)}",
            )
        i, stage = found[0]
        if stage.probability.value != probability:
            raise InvalidConfiguration(
                key=f"stages[{i}].probability",
                reason=f"the {outcome.value} stage's probability must be {probability:g}",
                value=stage.probability.value,
            )
        if stage.forecast_category is not category:
            raise InvalidConfiguration(
                key=f"stages[{i}].forecast_category",
                reason=f"the {outcome.value} stage's forecast category must be {category.value}",
                value=stage.forecast_category.value,
            )
    return by_name


def _unique(guards: Iterable[Guard]) -> tuple[Guard, ...]:
    found: list[Guard] = []
    for guard in guards:
        if guard not in found:
            found.append(guard)
    return tuple(found)


def _build_table(pipeline: Pipeline) -> RuleTable:
    open_stages = pipeline.open_stages
    won, lost = pipeline.won_stage, pipeline.lost_stage
    transitions: list[Transition] = []
    for i, source in enumerate(open_stages):
        for j, target in enumerate(open_stages):
            if j > i and (pipeline.allow_skip or j == i + 1):
                criteria = _unique(g for s in open_stages[i:j] for g in s.exit_criteria)
                transitions.append(
                    Transition(
                        source=source.name,
                        action=f"move:{target.name}",
                        target=target.name,
                        guards=criteria,
                    )
                )
            elif j < i and pipeline.allow_back:
                transitions.append(
                    Transition(source=source.name, action=f"move:{target.name}", target=target.name)
                )
        transitions.append(
            Transition(
                source=source.name,
                action="close_won",
                target=won.name,
                guards=_unique((*source.exit_criteria, *pipeline.won_requires)),
            )
        )
        transitions.append(
            Transition(
                source=source.name,
                action="close_lost",
                target=lost.name,
                guards=pipeline.lost_requires,
            )
        )
    terminal: set[str] = set()
    for closed in (won, lost):
        if pipeline.allow_reopen:
            transitions.extend(
                Transition(source=closed.name, action=f"reopen:{s.name}", target=s.name)
                for s in open_stages
            )
        else:
            terminal.add(closed.name)
    return RuleTable(
        name=pipeline.name,
        entity="opportunity",
        field="stage",
        states=[State(name=s.name, description=s.description) for s in pipeline.stages],
        initial=open_stages[0].name,
        terminal=frozenset(terminal),
        transitions=transitions,
        description=pipeline.description,
    )


#: One pipeline, or several to look deals' pipelines up in.
Pipelines = Pipeline | Iterable[Pipeline]


def find_pipeline(pipelines: Pipelines, name: str) -> Pipeline:
    """The pipeline called ``name`` among ``pipelines`` (one pipeline or several).

    Raises :class:`~leadflow.errors.NotFound` when none is called that.
    """
    if isinstance(pipelines, Pipeline):
        pipelines = (pipelines,)
    for pipeline in pipelines:
        if pipeline.name == name:
            return pipeline
    raise NotFound(entity="pipeline", key=name)


def b2b_pipeline(*, name: str = "default", loss_reasons: Iterable[str] = ()) -> Pipeline:
    """The default B2B pipeline, modelled on common practice.

    Prospecting 10 %, qualification 20 %, needs analysis 30 %, proposal 60 %,
    negotiation 80 %, closed won 100 %, closed lost 0 % (see the pipelines
    explanation in the docs for where such figures come from).  Leaving
    qualification needs a close date, leaving needs analysis an amount, and leaving
    proposal a decision maker among the contact roles.  ``loss_reasons`` restricts
    the reasons a deal may be lost for.
    """
    return Pipeline(
        name=name,
        description="B2B sales",
        lost_requires=(ReasonIn(reasons=tuple(loss_reasons)),),
        stages=(
            Stage(
                name="prospecting",
                probability=0.1,
                forecast_category=ForecastCategory.PIPELINE,
                playbook=(
                    PlaybookStep(kind=ActivityKind.CALL, subject="Discovery call", due_in=2),
                ),
            ),
            Stage(
                name="qualification",
                probability=0.2,
                forecast_category=ForecastCategory.PIPELINE,
                exit_criteria=(CloseDateSet(),),
                playbook=(
                    PlaybookStep(
                        kind=ActivityKind.MEETING, subject="Qualification meeting", due_in=5
                    ),
                ),
            ),
            Stage(
                name="needs_analysis",
                probability=0.3,
                forecast_category=ForecastCategory.PIPELINE,
                exit_criteria=(AmountSet(),),
                playbook=(
                    PlaybookStep(kind=ActivityKind.TASK, subject="Write up requirements", due_in=5),
                ),
            ),
            Stage(
                name="proposal",
                probability=0.6,
                forecast_category=ForecastCategory.BEST_CASE,
                exit_criteria=(ContactRoleIn(roles=("decision maker",)),),
                playbook=(
                    PlaybookStep(kind=ActivityKind.TASK, subject="Send the proposal", due_in=3),
                ),
            ),
            Stage(
                name="negotiation",
                probability=0.8,
                forecast_category=ForecastCategory.COMMIT,
                playbook=(PlaybookStep(kind=ActivityKind.TASK, subject="Agree terms", due_in=5),),
            ),
            Stage(
                name="closed_won",
                probability=1.0,
                forecast_category=ForecastCategory.CLOSED,
                outcome=Outcome.WON,
                playbook=(
                    PlaybookStep(
                        kind=ActivityKind.TASK, subject="Hand over to onboarding", due_in=1
                    ),
                ),
            ),
            Stage(
                name="closed_lost",
                probability=0.0,
                forecast_category=ForecastCategory.OMITTED,
                outcome=Outcome.LOST,
                playbook=(PlaybookStep(kind=ActivityKind.TASK, subject="Loss review", due_in=5),),
            ),
        ),
    )


#: The default B2B pipeline, named ``"default"`` (see :func:`b2b_pipeline`).
DEFAULT_PIPELINE = b2b_pipeline()
