"""The engagement model: points for what the lead did, decayed with time.

Each activity rule gives points per matching activity (an e-mail click, a web
visit, a form), or points by how many there were (frequency ranges); inbound and
outbound activities can weigh differently; old activities count for less (a
half-life or step windows evaluated at ``at``); rules, groups of rules and the
total can be capped; and negative points take away for an unsubscribe, a bounce,
or a lead attribute such as a free-mail or competitor domain (attribute rules,
the same as the :class:`~leadflow.scoring.FitModel`'s).

Activities after ``at`` have not happened yet at ``at`` and are ignored.

.. code-block:: toml

    type = "engagement"
    name = "engagement"
    max = 100
    decay = { half_life_days = 30 }
    direction = { inbound = 1.0, outbound = 0.5 }

    [[rules]]
    name = "e-mail clicks"
    kinds = ["email_click"]
    points = 3
    max = 15

    [[rules]]
    name = "unsubscribed"
    kinds = ["unsubscribe"]
    points = -40
    decay = false

    [[rules]]
    name = "free-mail address"
    when = { field = "free_mail", equals = true }
    points = -5
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar

import attrs

from leadflow._config import Reader
from leadflow._fields import to_tuple
from leadflow.activities import Activity, ActivityKind, Direction
from leadflow.errors import InvalidConfiguration
from leadflow.leads import Lead
from leadflow.scoring._base import Bands
from leadflow.scoring._compiled import LN2, Points, Tally, compile_engagement
from leadflow.scoring._features import DAY
from leadflow.scoring._rules import (
    Cap,
    RuleModel,
    capped_parts,
    check_type,
    named,
    read_caps,
    reduce_by_init,
)
from leadflow.scoring.fit import FitRule

__all__ = ["ActivityRule", "Decay", "DecayStep", "EngagementModel", "FrequencyBand"]


_KINDS = {kind.value: kind for kind in ActivityKind}


# -------------------------------------------------------------------------- decay


@attrs.frozen(kw_only=True)
class DecayStep:
    """Activities at most ``within_days`` old count ``factor`` times."""

    within_days: float
    factor: float


def _steps(value: Iterable[DecayStep]) -> tuple[DecayStep, ...]:
    return tuple(sorted(value, key=lambda step: step.within_days))


@attrs.frozen(kw_only=True)
class Decay:
    """How much an activity of a given age counts: 1 when new, less when old.

    Either a half-life (an activity ``h`` days old counts ``0.5 ** (age / h)``)
    or step windows (the factor of the first window the age fits in, ``after``
    beyond the last).  ``Decay()`` does not decay.
    """

    half_life_days: float | None = None
    steps: tuple[DecayStep, ...] = attrs.field(default=(), converter=_steps)
    after: float = 0.0

    def __attrs_post_init__(self) -> None:
        if self.half_life_days is not None and self.steps:
            raise InvalidConfiguration(key="decay", reason="give half_life_days or steps, not both")

    def __bool__(self) -> bool:
        return self.half_life_days is not None or bool(self.steps)

    def factor(self, age_days: float) -> float:
        """The weight of an activity ``age_days`` old."""
        if self.half_life_days is not None:
            return math.exp(-LN2 * (age_days / self.half_life_days))
        if not self.steps:
            return 1.0
        for step in self.steps:
            if age_days <= step.within_days:
                return step.factor
        return self.after

    def describe(self) -> str:
        """The decay in words."""
        if self.half_life_days is not None:
            return f"half-life {self.half_life_days:g} days"
        if self.steps:
            windows = ", ".join(f"x{s.factor:g} to {s.within_days:g} d" for s in self.steps)
            return f"{windows}, x{self.after:g} after"
        return "no decay"

    def to_data(self) -> dict[str, Any]:
        """The decay as plain data."""
        if self.half_life_days is not None:
            return {"half_life_days": self.half_life_days}
        return {
            "steps": [{"within_days": s.within_days, "factor": s.factor} for s in self.steps],
            "after": self.after,
        }

    @classmethod
    def read(cls, reader: Reader | None) -> Decay:
        """A decay from its table (``half_life_days``, or ``steps`` and ``after``)."""
        if reader is None:
            return cls()
        half_life = reader.optional_number("half_life_days", above=0)
        steps = []
        for step in reader.tables("steps", required=False):
            steps.append(
                DecayStep(
                    within_days=step.number("within_days", above=0),
                    factor=step.number("factor", minimum=0),
                )
            )
            step.done()
        if half_life is not None and steps:
            raise reader.fail("steps", "give half_life_days or steps, not both")
        if half_life is None and not steps:
            raise reader.fail("half_life_days", "give half_life_days or steps")
        after = reader.number("after", default=0.0, minimum=0)
        reader.done()
        return cls(half_life_days=half_life, steps=tuple(steps), after=after)


# -------------------------------------------------------------------------- rules


@attrs.frozen(kw_only=True)
class FrequencyBand:
    """``points`` when the number of matching activities is within ``minimum..maximum``."""

    minimum: int
    maximum: int | None = None
    points: float

    def covers(self, count: int) -> bool:
        """Whether ``count`` is in the band."""
        return count >= self.minimum and (self.maximum is None or count <= self.maximum)


def _optional_direction(value: Direction | str | None) -> Direction | None:
    return None if value is None else Direction(value)


def _kinds(value: Iterable[ActivityKind | str]) -> frozenset[ActivityKind]:
    return frozenset(ActivityKind(kind) for kind in value)


@attrs.frozen(kw_only=True)
class ActivityRule:
    """Points for the lead's activities of some kinds.

    Give ``points`` (per activity, times the direction multiplier and the decay
    factor unless ``decay`` is false) or ``frequency`` (points by how many
    activities there were, undecayed).  ``direction`` keeps only inbound or only
    outbound activities; ``within_days`` only the recent ones.  ``cap`` bounds
    the rule's points; ``group`` names a capped group.
    """

    name: str
    kinds: frozenset[ActivityKind] = attrs.field(converter=_kinds)
    points: float | None = None
    frequency: tuple[FrequencyBand, ...] = attrs.field(default=(), converter=to_tuple)
    direction: Direction | None = attrs.field(default=None, converter=_optional_direction)
    within_days: float | None = None
    decay: bool = True
    cap: Cap = attrs.field(factory=Cap)
    group: str | None = None

    def __attrs_post_init__(self) -> None:
        if (self.points is None) == (not self.frequency):
            raise InvalidConfiguration(
                key="points", reason="give points (per activity) or frequency, not both"
            )
        if not self.kinds:
            raise InvalidConfiguration(key="kinds", reason="must name at least one kind")

    def total(self, count: int, weight: float) -> float:
        """The rule's points for ``count`` matching activities of total ``weight``."""
        if self.points is not None:
            raw = self.points * weight
        else:
            raw = next((band.points for band in self.frequency if band.covers(count)), 0.0)
        return self.cap.clamp(raw)

    def describe(self, count: int, weight: float, model: EngagementModel) -> str:
        """Why the rule gave what it gave, in words."""
        window = f" in the last {self.within_days:g} days" if self.within_days else ""
        if self.points is None:
            raw = next((band.points for band in self.frequency if band.covers(count)), 0.0)
            text = f"{count} {'activity' if count == 1 else 'activities'}{window}: {raw:g} points"
        else:
            raw = self.points * weight
            text = f"{count} x {self.points:g} points{window}"
            if weight != count:
                how = []
                if self.decay and model.decay:
                    how.append(model.decay.describe())
                if any(m != 1.0 for m in model.direction.values()):
                    how.append(
                        ", ".join(f"{d.value} x{m:g}" for d, m in sorted(model.direction.items()))
                    )
                text += f", weighted to {weight:.3g} ({'; '.join(how)})"
        if self.cap.excess(raw):
            text += f"; {self.cap.describe(raw)}"
        return text

    def to_data(self) -> dict[str, Any]:
        """The rule as plain data."""
        data: dict[str, Any] = {"name": self.name, "kinds": sorted(k.value for k in self.kinds)}
        if self.points is not None:
            data["points"] = self.points
        else:
            data["frequency"] = [
                {"min": b.minimum, "points": b.points}
                if b.maximum is None
                else {"min": b.minimum, "max": b.maximum, "points": b.points}
                for b in self.frequency
            ]
        if self.direction is not None:
            data["direction"] = self.direction.value
        if self.within_days is not None:
            data["within_days"] = self.within_days
        if not self.decay:
            data["decay"] = False
        data.update(self.cap.to_data())
        if self.group is not None:
            data["group"] = self.group
        return data

    @classmethod
    def from_data(cls, reader: Reader) -> ActivityRule:
        """A rule from its table; errors name the key path."""
        kinds = []
        if not reader.list("kinds"):
            raise reader.fail("kinds", "must name at least one kind")
        for i, kind in enumerate(reader.texts("kinds")):
            if kind not in _KINDS:
                expected = ", ".join(_KINDS)
                raise reader.fail(
                    f"kinds[{i}]", f"unknown activity kind; expected one of: {expected}", kind
                )
            kinds.append(_KINDS[kind])
        direction = reader.optional_text("direction")
        if direction is not None and direction not in {d.value for d in Direction}:
            raise reader.fail("direction", "must be inbound or outbound", direction)
        bands = []
        for band in reader.tables("frequency", required=False):
            low = band.integer("min", minimum=0)
            high = band.raw("max")
            if high is not None:
                high = band.integer("max", minimum=low)
            bands.append(FrequencyBand(minimum=low, maximum=high, points=band.number("points")))
            band.done()
        points = reader.optional_number("points")
        if (points is None) == (not bands):
            raise reader.fail("points", "give points (per activity) or frequency, not both")
        rule = cls(
            name=reader.text("name"),
            kinds=kinds,
            points=points,
            frequency=bands,
            direction=None if direction is None else Direction(direction),
            within_days=reader.optional_number("within_days", above=0),
            decay=reader.flag("decay", default=True),
            cap=Cap.read(reader),
            group=reader.optional_text("group"),
        )
        reader.done()
        return rule


# -------------------------------------------------------------------------- model

Rule = ActivityRule | FitRule


# For each activity kind, the rules it feeds: (index, direction filter, window in
# seconds, decays).
_Plan = dict[ActivityKind, tuple[tuple[int, Direction | None, float | None, bool], ...]]


def _plan(rules: Sequence[Rule], decay: Decay) -> _Plan:
    plan: dict[ActivityKind, list[tuple[int, Direction | None, float | None, bool]]] = {}
    for i, rule in enumerate(rules):
        if isinstance(rule, ActivityRule):
            within = None if rule.within_days is None else rule.within_days * DAY
            step = (i, rule.direction, within, rule.decay and bool(decay))
            for kind in rule.kinds:
                plan.setdefault(kind, []).append(step)
    return {kind: tuple(steps) for kind, steps in plan.items()}


def _multipliers(value: Mapping[Any, float]) -> dict[Direction, float]:
    return {Direction(direction): float(m) for direction, m in value.items()}


@attrs.frozen(kw_only=True)
class EngagementModel(RuleModel):
    """Points for what the lead did: activity rules with decay, plus attribute rules.

    ``direction`` multiplies the points of inbound and outbound activities (an
    activity with no direction counts once); ``decay`` weighs activities by age;
    ``groups`` caps groups of rules and ``total`` the value.
    """

    TYPE: ClassVar[str] = "engagement"

    name: str = "engagement"
    rules: tuple[Rule, ...] = attrs.field(converter=to_tuple)
    decay: Decay = attrs.field(factory=Decay)
    direction: Mapping[Direction, float] = attrs.field(factory=dict, converter=_multipliers)
    groups: Mapping[str, Cap] = attrs.field(factory=dict)
    total: Cap = attrs.field(factory=Cap)
    bands: Bands = attrs.field(factory=Bands)
    _plan: _Plan = attrs.field(init=False, repr=False, eq=False)
    _group_of: dict[str, str | None] = attrs.field(init=False, repr=False, eq=False)
    _tally: Tally = attrs.field(init=False, repr=False, eq=False)
    _points: Points = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        named(self.rules, "rules")
        object.__setattr__(self, "_plan", _plan(self.rules, self.decay))
        object.__setattr__(self, "_group_of", {rule.name: rule.group for rule in self.rules})
        for group in self.groups:
            if group not in self._group_of.values():
                raise InvalidConfiguration(key=f"groups.{group}", reason="no rule is in this group")
        tally, points = compile_engagement(self)
        object.__setattr__(self, "_tally", tally)
        object.__setattr__(self, "_points", points)

    def __reduce__(self) -> tuple[Any, ...]:
        # The compiled functions cannot be pickled: rebuild the model from its fields.
        return reduce_by_init(self)

    def parts(
        self,
        lead: Lead,
        activities: Sequence[Activity] = (),
        *,
        at: datetime,
        explain: bool = True,
    ) -> list[tuple[str, float, str]]:
        """The (name, points, reason) of every rule that gave points, then any caps.

        With ``explain=False`` the reasons are left empty (for speed).
        """
        which, points, counts, weights = self._rule_points(lead, activities, at)
        parts = []
        for i, raw in zip(which, points, strict=True):
            rule = self.rules[i]
            why = ""
            if explain:
                if isinstance(rule, ActivityRule):
                    why = rule.describe(counts[i], weights[i], self)
                else:
                    why = rule.describe()
            parts.append((rule.name, raw, why))
        return capped_parts(parts, self._group_of, self.groups, self.total, explain=explain)

    def points(
        self, lead: Lead, activities: Sequence[Activity] = (), *, at: datetime
    ) -> list[float]:
        """The points of the parts, without their names and reasons (the fast path)."""
        return self._points(lead, activities, at)

    def _rule_points(
        self, lead: Lead, activities: Sequence[Activity], at: datetime
    ) -> tuple[list[int], list[float], list[int], list[float]]:
        """The rules that gave points and their points (before group and total caps).

        Also the count and weight of each rule's activities, for the explanation.
        """
        counts, weights = self._tally(activities, at)  # generated: see _compiled.py
        which: list[int] = []
        found: list[float] = []
        for i, rule in enumerate(self.rules):
            if isinstance(rule, FitRule):
                points = rule.points if rule.applies(lead, activities, at) else None
            elif counts[i] or rule.points is None:  # frequency bands may start at 0
                points = rule.total(counts[i], weights[i]) or None
            else:
                points = None
            if points is not None:
                which.append(i)
                found.append(points)
        return which, found, counts, weights

    def to_dict(self) -> dict[str, Any]:
        """The model as plain data."""
        data: dict[str, Any] = {"type": self.TYPE, "name": self.name}
        if self.bands:
            data["bands"] = self.bands.to_data()
        data.update(self.total.to_data())
        if self.decay:
            data["decay"] = self.decay.to_data()
        if self.direction:
            data["direction"] = {d.value: m for d, m in sorted(self.direction.items())}
        data["rules"] = [rule.to_data() for rule in self.rules]
        if self.groups:
            data["groups"] = {name: cap.to_data() for name, cap in self.groups.items()}
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EngagementModel:
        """Build the model from plain data; a bad key is ``InvalidConfiguration``."""
        reader = Reader(data, "$")
        check_type(reader, cls.TYPE)
        rules: list[Rule] = []
        for rule in reader.tables("rules"):
            if rule.has("when"):
                rules.append(FitRule.from_data(rule))
            elif rule.has("kinds"):
                rules.append(ActivityRule.from_data(rule))
            else:
                raise rule.fail("kinds", "give kinds (an activity rule) or when (a lead rule)")
        direction = reader.table("direction", required=False)
        multipliers: dict[Direction, float] = {}
        if direction is not None:
            for d in Direction:
                if direction.has(d.value):
                    multipliers[d] = direction.number(d.value, minimum=0)
            direction.done()
        model = cls(
            name=reader.optional_text("name") or cls.TYPE,
            rules=rules,
            decay=Decay.read(reader.table("decay", required=False)),
            direction=multipliers,
            groups=read_caps(reader, (rule.group for rule in rules)),
            total=Cap.read(reader),
            bands=Bands.from_data(reader.raw("bands"), "bands"),
        )
        reader.done()
        return model
