"""The fit model: points for who the lead is (industry, size, title, country, ...).

Fit rules read the lead's attributes only, never its activities' timing, so a
lead's fit changes only when what is known about it changes.  Each rule adds its
points when all of its conditions hold; groups of rules and the total can be
capped.  Keep fit apart from engagement and combine them in a
:class:`~leadflow.scoring.GradeMatrix`.

.. code-block:: toml

    type = "fit"
    name = "fit"
    bands = [{ name = "A", min = 60 }, { name = "B", min = 30 }, { name = "C" }]
    max = 100

    [[rules]]
    name = "target industry"
    when = { field = "industry", in = ["Software", "SaaS"] }
    points = 25

    [[rules]]
    name = "no e-mail"
    when = { field = "email", missing = true }
    points = -10
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar

import attrs

from leadflow._config import Reader
from leadflow._fields import to_tuple
from leadflow.activities import Activity
from leadflow.errors import InvalidConfiguration
from leadflow.leads import Lead
from leadflow.scoring._base import Bands
from leadflow.scoring._features import FieldGetter
from leadflow.scoring._rules import (
    Cap,
    Condition,
    RuleModel,
    cap_parts,
    capped_parts,
    check_type,
    conditions_from,
    conditions_to_data,
    named,
    read_caps,
)

__all__ = ["FitModel", "FitRule"]


def _conditions(value: Condition | Iterable[Condition]) -> tuple[Condition, ...]:
    return (value,) if isinstance(value, Condition) else tuple(value)


@attrs.frozen(kw_only=True)
class FitRule:
    """``points`` when every condition in ``when`` holds; ``group`` names a capped group."""

    name: str
    when: tuple[Condition, ...] = attrs.field(converter=_conditions)
    points: float
    group: str | None = None
    #: Each condition as (read the field, test the value), for speed.
    _checks: tuple[tuple[FieldGetter, Callable[[Any], bool]], ...] = attrs.field(
        init=False, repr=False, eq=False
    )

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_checks", tuple(c.check for c in self.when))

    def applies(self, lead: Lead, activities: Sequence[Activity], at: datetime) -> bool:
        """Whether all of the rule's conditions hold for the lead."""
        for get, holds in self._checks:  # noqa: SIM110 - faster than all() over a generator
            if not holds(get(lead, activities, at)):
                return False
        return True

    def describe(self) -> str:
        """The rule's conditions in words."""
        return " and ".join(c.describe() for c in self.when)

    def to_data(self) -> dict[str, Any]:
        """The rule as plain data."""
        data: dict[str, Any] = {
            "name": self.name,
            "when": conditions_to_data(self.when),
            "points": self.points,
        }
        if self.group is not None:
            data["group"] = self.group
        return data

    @classmethod
    def from_data(cls, reader: Reader) -> FitRule:
        """A rule from its table (``name``, ``when``, ``points``, optional ``group``)."""
        rule = cls(
            name=reader.text("name"),
            when=conditions_from(reader.raw("when"), reader.path("when")),
            points=reader.number("points"),
            group=reader.optional_text("group"),
        )
        reader.done()
        return rule


@attrs.frozen(kw_only=True)
class FitModel(RuleModel):
    """Points for who the lead is, from rules on its attributes.

    ``groups`` caps the sum of the rules in a group; ``total`` caps the value.
    """

    TYPE: ClassVar[str] = "fit"

    name: str = "fit"
    rules: tuple[FitRule, ...] = attrs.field(converter=to_tuple)
    groups: Mapping[str, Cap] = attrs.field(factory=dict)
    total: Cap = attrs.field(factory=Cap)
    bands: Bands = attrs.field(factory=Bands)
    _group_of: dict[str, str | None] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        named(self.rules, "rules")
        object.__setattr__(self, "_group_of", {rule.name: rule.group for rule in self.rules})
        for group in self.groups:
            if group not in self._group_of.values():
                raise InvalidConfiguration(key=f"groups.{group}", reason="no rule is in this group")

    def parts(
        self,
        lead: Lead,
        activities: Sequence[Activity] = (),
        *,
        at: datetime,
        explain: bool = True,
    ) -> list[tuple[str, float, str]]:
        """The (name, points, reason) of every rule that applies, then any caps.

        With ``explain=False`` the reasons are left empty (for speed).
        """
        parts = [
            (rule.name, rule.points, rule.describe() if explain else "")
            for rule in self.rules
            if rule.applies(lead, activities, at)
        ]
        return capped_parts(parts, self._group_of, self.groups, self.total, explain=explain)

    def points(
        self, lead: Lead, activities: Sequence[Activity] = (), *, at: datetime
    ) -> list[float]:
        """The points of the parts, without their names and reasons (the fast path)."""
        points = []
        groups = []
        for rule in self.rules:
            if rule.applies(lead, activities, at):
                points.append(rule.points)
                groups.append(rule.group)
        if not self.groups and not self.total:
            return points
        caps = cap_parts(points, groups, self.groups, self.total, explain=False)
        return points + [excess for _, excess, _ in caps]

    def to_dict(self) -> dict[str, Any]:
        """The model as plain data."""
        data: dict[str, Any] = {"type": self.TYPE, "name": self.name}
        if self.bands:
            data["bands"] = self.bands.to_data()
        data.update(self.total.to_data())
        data["rules"] = [rule.to_data() for rule in self.rules]
        if self.groups:
            data["groups"] = {name: cap.to_data() for name, cap in self.groups.items()}
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FitModel:
        """Build the model from plain data; a bad key is ``InvalidConfiguration``."""
        reader = Reader(data, "$")
        check_type(reader, cls.TYPE)
        rules = tuple(FitRule.from_data(r) for r in reader.tables("rules"))
        model = cls(
            name=reader.optional_text("name") or cls.TYPE,
            rules=rules,
            groups=read_caps(reader, (rule.group for rule in rules)),
            total=Cap.read(reader),
            bands=Bands.from_data(reader.raw("bands"), "bands"),
        )
        reader.done()
        return model
