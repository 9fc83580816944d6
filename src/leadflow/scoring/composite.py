"""Combining models: the fit x engagement grade matrix, weighted sums, and MQL/SQL thresholds.

A :class:`GradeMatrix` grades fit by letter and engagement by number, so ``A1``
is a lead that fits well and is very engaged and ``D4`` one that neither fits
nor engages; its value is the sum of the two.  A :class:`WeightedSum` adds its
parts' values times their weights.  :class:`StageThresholds` maps a score to the
marketing stage it earns (``mql``, ``sql``), to pass to
:func:`leadflow.services.advance_marketing_stage`.

Both composites explain a score by their parts' contributions, each named
``<part>/<rule>``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar

import attrs

from leadflow._config import Reader
from leadflow._fields import to_tuple
from leadflow.activities import Activity
from leadflow.errors import InvalidConfiguration
from leadflow.leads import Lead
from leadflow.scoring._base import Band, Bands, Score, ScoringModel
from leadflow.scoring._rules import Part, RuleModel, check_type, parts_of, points_of, rate

__all__ = ["GradeMatrix", "StageThresholds", "WeightedSum"]


def _sub_model(reader: Reader, name: str) -> Any:
    # The registry imports this module, so it is imported when a file is read.
    from leadflow.scoring._registry import model_from_dict  # noqa: PLC0415

    table = reader.table(name)
    assert table is not None
    reader.seen.add(name)
    return model_from_dict(table.data, key=table.key)


def _to_data(model: Any, key: str) -> dict[str, Any]:
    if not hasattr(model, "to_dict"):
        raise InvalidConfiguration(
            key=key,
            reason="this model cannot be written as data (it has no to_dict)",
            value=type(model).__name__,
        )
    data: dict[str, Any] = model.to_dict()
    return data


def _prefixed(
    prefix: str, parts: Sequence[Part], weight: float = 1.0, *, explain: bool = True
) -> list[Part]:
    if not explain:  # names and reasons are not read: keep the points, skip the texts
        return list(parts) if weight == 1.0 else [(n, p * weight, r) for n, p, r in parts]
    if weight == 1.0:
        return [(f"{prefix}/{name}", points, reason) for name, points, reason in parts]
    return [
        (f"{prefix}/{name}", points * weight, f"{reason} (x{weight:g})" if reason else "")
        for name, points, reason in parts
    ]


def _default_fit_grades() -> Bands:
    return Bands.of(A=75, B=50, C=25, D=-math.inf)


def _default_engagement_levels() -> Bands:
    return Bands((Band(name="1", minimum=75), Band(name="2", minimum=50),
                  Band(name="3", minimum=25), Band(name="4")))  # fmt: skip


@attrs.frozen(kw_only=True)
class GradeMatrix(RuleModel):
    """Fit x engagement: a letter for fit and a digit for engagement, e.g. ``B2``.

    ``fit_grades`` and ``engagement_levels`` are the bands of each part's value
    (by default A/B/C/D and 1/2/3/4 at 75, 50 and 25).  The score's value is the
    sum of the two parts' values and its band the grade; when a part's value is
    under all of its bands the grade is ``None``.
    """

    TYPE: ClassVar[str] = "grade_matrix"

    name: str = "grade"
    fit: ScoringModel
    engagement: ScoringModel
    fit_grades: Bands = attrs.field(factory=_default_fit_grades)
    engagement_levels: Bands = attrs.field(factory=_default_engagement_levels)
    bands: Bands = attrs.field(factory=Bands, init=False)

    def parts(
        self, lead: Lead, activities: Sequence[Activity], *, at: datetime, explain: bool = True
    ) -> list[Part]:
        """The fit model's parts then the engagement model's, prefixed with their names."""
        return self.rate(lead, activities, at=at, explain=explain)[0]

    def rate(
        self, lead: Lead, activities: Sequence[Activity], *, at: datetime, explain: bool = True
    ) -> tuple[list[Part], float, str | None]:
        """The parts, the value (fit plus engagement) and the grade."""
        fit_parts, fit_value, _ = rate(self.fit, lead, activities, at, explain=explain)
        engaged_parts, engaged_value, _ = rate(
            self.engagement, lead, activities, at, explain=explain
        )
        parts = _prefixed(self.fit.name, fit_parts) + _prefixed(self.engagement.name, engaged_parts)
        letter = self.fit_grades.band(fit_value)
        digit = self.engagement_levels.band(engaged_value)
        grade = None if letter is None or digit is None else letter + digit
        return parts, math.fsum(points for _, points, _ in parts), grade

    def points(
        self, lead: Lead, activities: Sequence[Activity] = (), *, at: datetime
    ) -> list[float]:
        """The fit model's points then the engagement model's (the fast path)."""
        return points_of(self.fit, lead, activities, at) + points_of(
            self.engagement, lead, activities, at
        )

    def value_and_band(
        self, lead: Lead, activities: Sequence[Activity] = (), *, at: datetime
    ) -> tuple[float, str | None]:
        """The value (fit plus engagement) and the grade, without the explanation."""
        fit = points_of(self.fit, lead, activities, at)
        engaged = points_of(self.engagement, lead, activities, at)
        letter = self.fit_grades.band(math.fsum(fit))
        digit = self.engagement_levels.band(math.fsum(engaged))
        grade = None if letter is None or digit is None else letter + digit
        return math.fsum(fit + engaged), grade

    def grades(self) -> list[str]:
        """Every grade the matrix can give, best first (``A1``, ``A2``, ... ``D4``)."""
        return [
            f.name + e.name for f in self.fit_grades.bands for e in self.engagement_levels.bands
        ]

    def to_dict(self) -> dict[str, Any]:
        """The matrix and both of its models as plain data."""
        return {
            "type": self.TYPE,
            "name": self.name,
            "fit_grades": self.fit_grades.to_data(),
            "engagement_levels": self.engagement_levels.to_data(),
            "fit": _to_data(self.fit, "fit"),
            "engagement": _to_data(self.engagement, "engagement"),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GradeMatrix:
        """Build the matrix; ``fit`` and ``engagement`` are whole models (with a ``type``)."""
        reader = Reader(data, "$")
        check_type(reader, cls.TYPE)
        fields: dict[str, Any] = {
            "name": reader.optional_text("name") or "grade",
            "fit": _sub_model(reader, "fit"),
            "engagement": _sub_model(reader, "engagement"),
        }
        if reader.has("fit_grades"):
            fields["fit_grades"] = Bands.from_data(reader.raw("fit_grades"), "fit_grades")
        if reader.has("engagement_levels"):
            fields["engagement_levels"] = Bands.from_data(
                reader.raw("engagement_levels"), "engagement_levels"
            )
        reader.done()
        return cls(**fields)


def _parts(value: Iterable[tuple[ScoringModel, float]]) -> tuple[tuple[ScoringModel, float], ...]:
    return tuple((model, float(weight)) for model, weight in value)


@attrs.frozen(kw_only=True)
class WeightedSum(RuleModel):
    """The sum of several models' values, each times its weight.

    Each part's contributions are scaled by its weight, so they still add up to
    the value.  Parts must have different names.
    """

    TYPE: ClassVar[str] = "weighted_sum"

    name: str = "weighted_sum"
    parts_: tuple[tuple[ScoringModel, float], ...] = attrs.field(converter=_parts, alias="models")
    bands: Bands = attrs.field(factory=Bands)

    def __attrs_post_init__(self) -> None:
        if not self.parts_:
            raise InvalidConfiguration(key="models", reason="must hold at least one model")
        seen: set[str] = set()
        for i, (model, weight) in enumerate(self.parts_):
            if model.name in seen:
                raise InvalidConfiguration(
                    key=f"models[{i}].name", reason="two parts have this name", value=model.name
                )
            seen.add(model.name)
            if not math.isfinite(weight):
                raise InvalidConfiguration(
                    key=f"models[{i}].weight", reason="must be a finite number", value=weight
                )

    @property
    def models(self) -> tuple[tuple[ScoringModel, float], ...]:
        """The ``(model, weight)`` pairs."""
        return self.parts_

    def parts(
        self, lead: Lead, activities: Sequence[Activity], *, at: datetime, explain: bool = True
    ) -> list[Part]:
        """Every part's contributions, times its weight, prefixed with its name."""
        found: list[Part] = []
        for model, weight in self.parts_:
            sub = parts_of(model, lead, activities, at, explain=explain)
            found.extend(_prefixed(model.name, sub, weight, explain=explain))
        return found

    def points(
        self, lead: Lead, activities: Sequence[Activity] = (), *, at: datetime
    ) -> list[float]:
        """Every part's points times its weight (the fast path)."""
        found: list[float] = []
        for model, weight in self.parts_:
            points = points_of(model, lead, activities, at)
            found.extend(points if weight == 1.0 else [p * weight for p in points])
        return found

    def to_dict(self) -> dict[str, Any]:
        """The sum and its models as plain data."""
        data: dict[str, Any] = {"type": self.TYPE, "name": self.name}
        if self.bands:
            data["bands"] = self.bands.to_data()
        data["models"] = [
            {"weight": weight, "model": _to_data(model, f"models[{i}].model")}
            for i, (model, weight) in enumerate(self.parts_)
        ]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WeightedSum:
        """Build the sum from ``models = [{weight = ..., model = {type = ..., ...}}, ...]``."""
        reader = Reader(data, "$")
        check_type(reader, cls.TYPE)
        parts = []
        for item in reader.tables("models"):
            parts.append((_sub_model(item, "model"), item.number("weight")))
            item.done()
        model = cls(
            name=reader.optional_text("name") or cls.TYPE,
            models=parts,
            bands=Bands.from_data(reader.raw("bands"), "bands"),
        )
        reader.done()
        return model


# ----------------------------------------------------------------- stage thresholds


def _minimums(value: Mapping[str, float]) -> dict[str, float]:
    return dict(sorted(value.items(), key=lambda item: -item[1]))


def _grade_sets(value: Mapping[str, Iterable[str]]) -> dict[str, frozenset[str]]:
    return {stage: frozenset(grades) for stage, grades in value.items()}


@attrs.frozen(kw_only=True)
class StageThresholds:
    """Which marketing stage a score earns: by value, by grade, or both.

    ``minimums`` maps a stage to the value that earns it (``{"sql": 80, "mql":
    50}``); ``grades`` maps a stage to the bands or grades that earn it
    (``{"mql": ["A1", "A2", "B1"]}``).  A score earns the furthest stage (in
    ``order``) that either test grants, or ``None``.
    """

    minimums: Mapping[str, float] = attrs.field(factory=dict, converter=_minimums)
    grades: Mapping[str, frozenset[str]] = attrs.field(factory=dict, converter=_grade_sets)
    order: tuple[str, ...] = attrs.field(default=("lead", "mql", "sql"), converter=to_tuple)

    def __attrs_post_init__(self) -> None:
        for key, table in (("minimums", self.minimums), ("grades", self.grades)):
            for stage in table:
                if stage not in self.order:
                    raise InvalidConfiguration(
                        key=f"{key}.{stage}",
                        reason="unknown stage; expected one of: " + ", ".join(self.order),
                    )
        if not self.minimums and not self.grades:
            raise InvalidConfiguration(key="minimums", reason="give minimums or grades")

    def stage_for(self, score: Score | float, band: str | None = None) -> str | None:
        """The furthest stage ``score`` (a :class:`Score`, or a value and its band) earns."""
        if isinstance(score, Score):
            value, band = score.value, score.band
        else:
            value = score
        for stage in reversed(self.order):
            low = self.minimums.get(stage)
            if low is not None and value >= low:
                return stage
            if band is not None and band in self.grades.get(stage, ()):
                return stage
        return None

    def to_dict(self) -> dict[str, Any]:
        """The thresholds as plain data."""
        data: dict[str, Any] = {"order": list(self.order)}
        if self.minimums:
            data["minimums"] = dict(self.minimums)
        if self.grades:
            data["grades"] = {stage: sorted(g) for stage, g in self.grades.items()}
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StageThresholds:
        """Thresholds from ``{minimums = {...}, grades = {...}, order = [...]}``."""
        reader = Reader(data, "$")
        fields: dict[str, Any] = {}
        if reader.has("order"):
            fields["order"] = reader.texts("order")
        minimums = reader.table("minimums", required=False)
        if minimums is not None:
            fields["minimums"] = {stage: minimums.number(stage) for stage in minimums.data}
            minimums.done()
        grades = reader.table("grades", required=False)
        if grades is not None:
            fields["grades"] = {stage: grades.texts(stage) for stage in grades.data}
            grades.done()
        reader.done()
        return cls(**fields)
