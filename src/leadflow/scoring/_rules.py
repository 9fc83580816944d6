"""What the rule models share: conditions on a lead, caps, and loading/dumping (private).

The public names are re-exported by :mod:`leadflow.scoring`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import attrs

from leadflow._config import Reader, load_file, load_json, load_toml, require_text
from leadflow.activities import Activity
from leadflow.errors import InvalidConfiguration
from leadflow.leads import Lead
from leadflow.scoring._base import (
    Bands,
    BatchActivities,
    Contribution,
    Score,
    Scores,
    group_activities,
)
from leadflow.scoring._features import FieldGetter, field_getter

__all__ = ["Cap", "Condition", "ModelData", "RuleModel", "dump_toml"]

M = TypeVar("M", bound="ModelData")

_OPERATORS = ("in", "not_in", "equals", "min", "max", "matches", "missing")


def _fold(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def _absent(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, frozenset) and not value)


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, tuple):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"{value:g}" if isinstance(value, float) else str(value)


@attrs.frozen(kw_only=True)
class Condition:
    """A test on one field of a lead, e.g. industry in a list or company size in a range.

    Exactly one kind of test is given:

    * ``in`` / ``not_in``: the value is (not) one of a list; texts compare without
      regard to case, and a set-valued field (``product_interests``) passes ``in``
      when any of its items is in the list;
    * ``equals``: the value equals a text, number or ``true``/``false``;
    * ``min`` and/or ``max``: a number within an inclusive range;
    * ``matches``: a text matched by a regular expression (``re.search``);
    * ``missing``: ``true`` when the field has no value, ``false`` when it has one.

    Any test but ``missing`` fails on a missing value.  ``field`` is one of
    :data:`~leadflow.scoring.LEAD_FIELDS`.
    """

    field: str
    one_of: tuple[Any, ...] | None = None
    none_of: tuple[Any, ...] | None = None
    equals: Any = None
    minimum: float | None = None
    maximum: float | None = None
    matches: str | None = None
    missing: bool | None = None
    _get: FieldGetter = attrs.field(init=False, repr=False, eq=False)
    _folded: frozenset[Any] = attrs.field(init=False, repr=False, eq=False)
    _pattern: re.Pattern[str] | None = attrs.field(init=False, repr=False, eq=False)
    _holds: Callable[[Any], bool] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        given = [
            name
            for name, value in (
                ("in", self.one_of), ("not_in", self.none_of), ("equals", self.equals),
                ("min", self.minimum), ("max", self.maximum), ("matches", self.matches),
                ("missing", self.missing),
            )
            if value is not None
        ]  # fmt: skip
        ranges = {"min", "max"}
        if not given or (len(given) > 1 and not set(given) <= ranges):
            raise InvalidConfiguration(
                key="when",
                reason="give exactly one test: in, not_in, equals, min/max, matches or missing",
                value=given or None,
            )
        object.__setattr__(self, "_get", field_getter(self.field, key="when.field"))
        listed = self.one_of if self.one_of is not None else self.none_of or ()
        object.__setattr__(self, "_folded", frozenset(_fold(v) for v in listed))
        pattern = None
        if self.matches is not None:
            try:
                pattern = re.compile(self.matches)
            except re.error as error:
                raise InvalidConfiguration(
                    key="when.matches",
                    reason=f"not a valid regular expression: {error}",
                    value=self.matches,
                ) from None
        object.__setattr__(self, "_pattern", pattern)
        if self.missing is not None:
            holds = self._holds_missing
        elif self.one_of is not None or self.none_of is not None:
            holds = self._holds_listed
        elif self.equals is not None:
            holds = self._holds_equal
        elif pattern is not None:
            holds = self._holds_match
        else:
            holds = self._holds_range
        object.__setattr__(self, "_holds", holds)

    def value(self, lead: Lead, activities: Sequence[Activity], at: datetime) -> Any:
        """The field's value for this lead."""
        return self._get(lead, activities, at)

    @property
    def check(self) -> tuple[FieldGetter, Callable[[Any], bool]]:
        """The condition as (read the field, test the value): ``holds(get(lead, acts, at))``."""
        return self._get, self._holds

    def test(self, lead: Lead, activities: Sequence[Activity], at: datetime) -> bool:
        """Whether the lead passes."""
        return self._holds(self._get(lead, activities, at))

    def holds(self, value: Any) -> bool:
        """Whether a field value passes."""
        return self._holds(value)

    # One checker per kind of test, chosen once when the condition is built.

    def _holds_missing(self, value: Any) -> bool:
        return _absent(value) is self.missing

    def _holds_listed(self, value: Any) -> bool:
        if _absent(value):
            return False
        if isinstance(value, frozenset | set | tuple | list):
            hit = any(_fold(v) in self._folded for v in value)
        else:
            hit = _fold(value) in self._folded
        return hit if self.one_of is not None else not hit

    def _holds_equal(self, value: Any) -> bool:
        if _absent(value) or isinstance(value, bool) is not isinstance(self.equals, bool):
            return False  # true is not 1, and 1 is not true
        return bool(_fold(value) == _fold(self.equals))

    def _holds_match(self, value: Any) -> bool:
        pattern = self._pattern
        return (
            isinstance(value, str)
            and not _absent(value)
            and pattern is not None
            and pattern.search(value) is not None
        )

    def _holds_range(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        low = self.minimum if self.minimum is not None else -math.inf
        high = self.maximum if self.maximum is not None else math.inf
        return bool(low <= value <= high)

    def describe(self) -> str:
        """The condition in words, e.g. ``industry in ['Software', 'SaaS']``."""
        if self.missing is not None:
            return f"{self.field} is {'missing' if self.missing else 'present'}"
        if self.one_of is not None:
            return f"{self.field} in {_show(self.one_of)}"
        if self.none_of is not None:
            return f"{self.field} not in {_show(self.none_of)}"
        if self.equals is not None:
            return f"{self.field} = {_show(self.equals)}"
        if self.matches is not None:
            return f"{self.field} matches {self.matches!r}"
        if self.maximum is None:
            return f"{self.field} >= {_show(self.minimum)}"
        if self.minimum is None:
            return f"{self.field} <= {_show(self.maximum)}"
        return f"{self.field} in {_show(self.minimum)}..{_show(self.maximum)}"

    def to_data(self) -> dict[str, Any]:
        """The condition as plain data."""
        data: dict[str, Any] = {"field": self.field}
        for key, value in (
            ("in", self.one_of), ("not_in", self.none_of), ("equals", self.equals),
            ("min", self.minimum), ("max", self.maximum), ("matches", self.matches),
            ("missing", self.missing),
        ):  # fmt: skip
            if value is not None:
                data[key] = list(value) if isinstance(value, tuple) else value
        return data

    @classmethod
    def from_data(cls, data: Any, key: str) -> Condition:
        """A condition from ``{field = ..., <test> = ...}``; errors name ``key``."""
        reader = Reader(data, key)
        field = reader.text("field")
        fields: dict[str, Any] = {"field": field}
        for name, attribute in (("in", "one_of"), ("not_in", "none_of")):
            if reader.has(name):
                items = reader.list(name)
                for i, item in enumerate(items):
                    if not isinstance(item, str | int | float) or isinstance(item, bool):
                        raise reader.fail(f"{name}[{i}]", "must be a text or a number", item)
                fields[attribute] = tuple(items)
        if reader.has("equals"):
            value = reader.raw("equals")
            if not isinstance(value, str | int | float | bool):
                raise reader.fail("equals", "must be a text, a number or true/false", value)
            fields["equals"] = value
        fields["minimum"] = reader.optional_number("min")
        fields["maximum"] = reader.optional_number("max")
        fields["matches"] = reader.optional_text("matches")
        if reader.has("missing"):
            fields["missing"] = reader.flag("missing")
        reader.done()
        if (
            fields["minimum"] is not None
            and fields["maximum"] is not None
            and fields["minimum"] > fields["maximum"]
        ):
            raise reader.fail("max", "must not be below min", fields["maximum"])
        try:
            return cls(**fields)
        except InvalidConfiguration as error:
            # The condition knows its own keys; put them under this table's path.
            raise InvalidConfiguration(
                key=error.key.replace("when", key, 1), reason=error.reason, value=error.value
            ) from None


def conditions_from(data: Any, key: str) -> tuple[Condition, ...]:
    """One condition table, or a list of them that must all hold."""
    if isinstance(data, list | tuple):
        if not data:
            raise InvalidConfiguration(key=key, reason="must hold at least one condition")
        return tuple(Condition.from_data(item, f"{key}[{i}]") for i, item in enumerate(data))
    if data is None:
        raise InvalidConfiguration(key=key, reason="is required")
    return (Condition.from_data(data, key),)


def conditions_to_data(conditions: Sequence[Condition]) -> Any:
    """The inverse of :func:`conditions_from`."""
    if len(conditions) == 1:
        return conditions[0].to_data()
    return [c.to_data() for c in conditions]


# --------------------------------------------------------------------------- caps


@attrs.frozen(kw_only=True)
class Cap:
    """Bounds on a sum of points: at most ``maximum``, at least ``minimum`` (either optional).

    A sum over a bound is brought back to it by one more contribution, so that the
    contributions still add up to the value; the value then never passes the bound
    it was brought to.  Floating point sets one limit: with both bounds given, the
    interval between them must be wider than the rounding step of the points (about
    1e-16 of their size), or the value may land just outside it.
    """

    maximum: float | None = None
    minimum: float | None = None

    def __attrs_post_init__(self) -> None:
        if self.maximum is not None and self.minimum is not None and self.minimum > self.maximum:
            raise InvalidConfiguration(
                key="min", reason="must not be above max", value=self.minimum
            )

    def excess(self, total: float) -> float:
        """What to add to ``total`` to bring it within bounds (0 when it already is)."""
        if self.maximum is not None and total > self.maximum:
            return self.maximum - total
        if self.minimum is not None and total < self.minimum:
            return self.minimum - total
        return 0.0

    def describe(self, total: float) -> str:
        """Why ``total`` was bounded, in words."""
        if self.maximum is not None and total > self.maximum:
            return f"capped at {self.maximum:g} (was {total:.4g})"
        return f"floored at {self.minimum:g} (was {total:.4g})"

    def __bool__(self) -> bool:
        return self.maximum is not None or self.minimum is not None

    def to_data(self) -> dict[str, float]:
        """The cap as plain data (``max``/``min``)."""
        data = {}
        if self.maximum is not None:
            data["max"] = self.maximum
        if self.minimum is not None:
            data["min"] = self.minimum
        return data

    @classmethod
    def read(cls, reader: Reader) -> Cap:
        """The ``max``/``min`` keys of a table."""
        maximum, minimum = reader.optional_number("max"), reader.optional_number("min")
        try:
            return cls(maximum=maximum, minimum=minimum)
        except InvalidConfiguration as error:
            raise reader.fail("min", error.reason, error.value) from None

    def clamp(self, value: float) -> float:
        """``value`` brought within the bounds (the bound itself when it is passed)."""
        if self.maximum is not None and value > self.maximum:
            return self.maximum
        if self.minimum is not None and value < self.minimum:
            return self.minimum
        return value


def bounded(points: Sequence[float], cap: Cap) -> float:
    """The points to add to ``points`` so that their sum keeps within ``cap`` (0 if it does).

    The adjustment is chosen so that :func:`math.fsum` of ``points`` plus the
    adjustment does not pass the bound by a rounding step.
    """
    total = math.fsum(points)
    excess = cap.excess(total)
    if excess == 0.0:
        return 0.0
    parts = [*points, excess]
    if excess < 0:
        bound = cap.maximum if cap.maximum is not None else math.inf
        while math.fsum(parts) > bound:
            parts[-1] = math.nextafter(parts[-1], -math.inf)
    else:
        bound = cap.minimum if cap.minimum is not None else -math.inf
        while math.fsum(parts) < bound:
            parts[-1] = math.nextafter(parts[-1], math.inf)
    return parts[-1]


def _construct(cls: type[Any], fields: dict[str, Any]) -> Any:
    return cls(**fields)


def reduce_by_init(obj: Any) -> tuple[Any, ...]:
    """For ``__reduce__``: pickle an attrs object as the arguments that build it again.

    For models holding what cannot be pickled (compiled functions), derived again
    when the model is built.
    """
    fields = {f.alias: getattr(obj, f.name) for f in attrs.fields(type(obj)) if f.init}
    return (_construct, (type(obj), fields))


def cap_parts(
    points: Sequence[float],
    groups: Sequence[str | None],
    caps: Mapping[str, Cap],
    total: Cap,
    *,
    explain: bool = True,
) -> list[tuple[str, float, str]]:
    """One part per cap that bit: ``cap: <group>`` for each capped group, then ``cap: total``.

    ``groups[k]`` is the group of ``points[k]``.  Each part's points bring its sum
    within bounds (see :func:`bounded`); the total cap sees the group caps' parts too.
    """
    found = []
    for group, cap in caps.items():
        members = [p for p, g in zip(points, groups, strict=True) if g == group]
        excess = bounded(members, cap)
        if excess:
            why = f"group {group!r} {cap.describe(math.fsum(members))}" if explain else ""
            found.append((f"cap: {group}", excess, why))
    if total:
        members = [*points, *(excess for _, excess, _ in found)]
        excess = bounded(members, total)
        if excess:
            why = f"total {total.describe(math.fsum(members))}" if explain else ""
            found.append(("cap: total", excess, why))
    return found


def capped_parts(
    parts: list[tuple[str, float, str]],
    groups: Mapping[str, str | None],
    caps: Mapping[str, Cap],
    total: Cap,
    *,
    explain: bool = True,
) -> list[tuple[str, float, str]]:
    """``parts`` (name, points, reason) with one more part per cap that bit.

    ``groups`` maps a part's name to its group.  Each capped group gets a
    ``cap: <group>`` part that brings its sum within bounds, then the total gets
    a ``cap: total`` part (:func:`cap_parts`).  Parts with no points are left out.
    """
    kept = [part for part in parts if part[1] != 0.0]
    if not caps and not total:
        return kept
    points = [p for _, p, _ in parts]
    in_groups = [groups.get(name) for name, _, _ in parts]
    return kept + cap_parts(points, in_groups, caps, total, explain=explain)


def read_caps(reader: Reader, groups_used: Iterable[str | None]) -> dict[str, Cap]:
    """The ``[groups]`` table: a cap per group; every group named must be used by a rule."""
    table = reader.table("groups", required=False)
    if table is None:
        return {}
    used = {g for g in groups_used if g is not None}
    caps = {}
    for name in table.data:
        if name not in used:
            raise table.fail(name, "no rule is in this group")
        group = table.table(name)
        assert group is not None
        caps[name] = Cap.read(group)
        group.done()
    table.done()
    return caps


# ------------------------------------------------------------------ load and dump


Part = tuple[str, float, str]


def parts_of(
    model: Any, lead: Lead, activities: Sequence[Activity], at: datetime, *, explain: bool
) -> list[Part]:
    """Any model's parts: a rule model's own, else its score's contributions."""
    if isinstance(model, RuleModel):
        return model.parts(lead, activities, at=at, explain=explain)
    return [
        (c.name, c.points, c.reason) for c in model.score(lead, activities, at=at).contributions
    ]


def points_of(model: Any, lead: Lead, activities: Sequence[Activity], at: datetime) -> list[float]:
    """Any model's points: a rule model's fast path, else its score's contributions."""
    if isinstance(model, RuleModel):
        return model.points(lead, activities, at=at)
    return [c.points for c in model.score(lead, activities, at=at).contributions]


def rate(
    model: Any, lead: Lead, activities: Sequence[Activity], at: datetime, *, explain: bool
) -> tuple[list[Part], float, str | None]:
    """Any model's (parts, value, band): a rule model's fast path, else its ``score``."""
    if isinstance(model, RuleModel):
        return model.rate(lead, activities, at=at, explain=explain)
    score = model.score(lead, activities, at=at)
    parts = [(c.name, c.points, c.reason) for c in score.contributions]
    return parts, score.value, score.band


class ModelData:
    """Loading and dumping for models that define ``from_dict`` and ``to_dict``."""

    #: The ``type`` written in the model's data.
    TYPE: ClassVar[str]

    @classmethod
    def from_dict(cls: type[M], data: Mapping[str, Any]) -> M:  # pragma: no cover - abstract
        """Build the model from plain data."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:  # pragma: no cover - abstract
        """The model as plain data, with its ``type``."""
        raise NotImplementedError

    @classmethod
    def from_json(cls: type[M], text: str) -> M:
        """Build the model from JSON text."""
        return cls.from_dict(load_json(text))

    @classmethod
    def from_toml(cls: type[M], text: str) -> M:
        """Build the model from TOML text."""
        return cls.from_dict(load_toml(text))

    @classmethod
    def load(cls: type[M], path: str | Path) -> M:
        """Build the model from a ``.toml`` or ``.json`` file."""
        return cls.from_dict(load_file(path))

    def to_json(self) -> str:
        """The model as JSON text (``from_json`` reads it back)."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def to_toml(self) -> str:
        """The model as TOML text (``from_toml`` reads it back)."""
        return dump_toml(self.to_dict())


class RuleModel(ModelData):
    """What the rule models share: scoring from ``parts``, batches, loading and dumping.

    A rule model defines ``parts`` (one ``(name, points, reason)`` per rule that
    gave points), ``from_dict`` and ``to_dict``; the rest follows from them.
    """

    name: str
    bands: Bands

    def parts(
        self, lead: Lead, activities: Sequence[Activity], *, at: datetime, explain: bool = True
    ) -> list[Part]:  # pragma: no cover - abstract
        """One ``(name, points, reason)`` per rule that gave points.

        With ``explain=False`` the reasons may be left empty (for speed).
        """
        raise NotImplementedError

    def rate(
        self, lead: Lead, activities: Sequence[Activity], *, at: datetime, explain: bool = True
    ) -> tuple[list[Part], float, str | None]:
        """The parts, the value (their exact sum) and the band."""
        parts = self.parts(lead, activities, at=at, explain=explain)
        value = math.fsum(points for _, points, _ in parts)
        return parts, value, self.bands.band(value)

    def score(self, lead: Lead, activities: Sequence[Activity] = (), *, at: datetime) -> Score:
        """Score one lead: one contribution per rule that gave points, and per cap that bit."""
        parts, _, band = self.rate(lead, activities, at=at)
        contributions = [
            Contribution(name=name, points=points, reason=reason) for name, points, reason in parts
        ]
        return Score.of(self.name, contributions, at=at, lead_id=lead.id, band=band)

    def points(
        self, lead: Lead, activities: Sequence[Activity] = (), *, at: datetime
    ) -> list[float]:
        """The points of the parts, without their names and reasons: the fast path.

        The same numbers as in :meth:`parts` (their :func:`math.fsum` is the value);
        models override this to skip building the explanation.
        """
        return [points for _, points, _ in self.parts(lead, activities, at=at, explain=False)]

    def value_and_band(
        self, lead: Lead, activities: Sequence[Activity] = (), *, at: datetime
    ) -> tuple[float, str | None]:
        """The score's value and band, without building its explanation."""
        value = math.fsum(self.points(lead, activities, at=at))
        return value, self.bands.band(value)

    def value(self, lead: Lead, activities: Sequence[Activity] = (), *, at: datetime) -> float:
        """The score's value alone, without building its explanation."""
        return self.value_and_band(lead, activities, at=at)[0]

    def score_many(
        self, leads: Iterable[Lead], activities: BatchActivities = (), *, at: datetime
    ) -> Scores:
        """Score a batch: values and bands now, each explanation when its score is read."""
        leads = list(leads)
        grouped = group_activities(activities)
        rate = self.value_and_band
        rated = [rate(lead, grouped.get(lead.id, ()), at=at) for lead in leads]
        return Scores(
            model=self.name,
            at=at,
            leads=leads,
            activities=grouped,
            values=[value for value, _ in rated],
            bands=[band for _, band in rated],
            explain=lambda lead, acts: self.score(lead, acts, at=at),
        )


def check_type(reader: Reader, expected: str, *, required: bool = False) -> None:
    """Refuse data whose ``type`` names another kind of model (absent is fine unless required)."""
    kind = reader.text("type") if required else reader.optional_text("type")
    if kind is not None and kind != expected:
        raise reader.fail("type", f"must be {expected!r} for this model", kind)


# -------------------------------------------------------------------- TOML writer

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def _string(text: str) -> str:
    # JSON's escapes are TOML's, but TOML also forbids a raw DEL character.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _key(key: str) -> str:
    return key if _BARE.match(key) else _string(key)


def _inline(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        if math.isnan(value):
            return "nan"
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {_inline(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _is_table_list(value: Any) -> bool:
    return (
        isinstance(value, list | tuple)
        and bool(value)
        and all(isinstance(v, Mapping) for v in value)
    )


_WIDTH = 88


def _write_table(data: Mapping[str, Any], path: str, lines: list[str]) -> None:
    """Write one table's keys: short values inline, then sub-tables and arrays of tables."""
    nested: list[tuple[str, Any]] = []
    for key, value in data.items():
        if value is None:
            continue
        text = f"{_key(key)} = {_inline(value)}"
        if len(text) <= _WIDTH or not (isinstance(value, Mapping) or _is_table_list(value)):
            lines.append(text)
        else:
            nested.append((key, value))
    for key, value in nested:
        inner = f"{path}.{_key(key)}" if path else _key(key)
        if isinstance(value, Mapping):
            lines.extend(["", f"[{inner}]"])
            _write_table(value, inner, lines)
        else:
            for item in value:
                lines.extend(["", f"[[{inner}]]"])
                _write_table(item, inner, lines)


def dump_toml(data: Mapping[str, Any]) -> str:
    """Plain data (texts, numbers, booleans, lists, tables) as TOML text.

    A value is written inline when its line fits in 88 characters; a longer table
    becomes a ``[section]`` and a longer list of tables an array of tables
    (``[[rules]]``).  ``None`` values are left out.
    """
    lines: list[str] = []
    _write_table(data, "", lines)
    return "\n".join(lines) + "\n"


def named(items: Iterable[Any], key: str) -> None:
    """Refuse two items (rules) with the same ``name``."""
    seen: set[str] = set()
    for i, item in enumerate(items):
        require_text(f"{key}[{i}].name", item.name)
        if item.name in seen:
            raise InvalidConfiguration(
                key=f"{key}[{i}].name", reason="is used by two rules", value=item.name
            )
        seen.add(item.name)
