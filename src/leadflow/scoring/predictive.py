"""Predictive lead scoring: naive Bayes and logistic regression, fitted on past leads.

Both models learn from examples (:class:`~leadflow.scoring.Example`: a lead, its
activities, whether it converted and when to read it) and follow scikit-learn's conventions
without its mutation: :meth:`NaiveBayes.fit` returns a **new**, frozen, fitted
model; the fitted attributes end in ``_``; :meth:`~NaiveBayes.summary` returns plain
records; an unfitted model raises :class:`~leadflow.errors.ModelNotFitted` when used.
A fitted model satisfies :class:`~leadflow.scoring.ScoringModel`: its score's
``value`` is the log-odds of conversion, ``probability`` is
``1 / (1 + exp(-value))``, and the contributions (a ``"baseline"`` and one per
feature) sum exactly to the value.

Features
    Each :class:`Feature` names a lead field as fit rules do (``"industry"``,
    ``"company_size"``, ``"custom.<key>"``, ``"activity.<kind>"``,
    ``"days_since_last_activity"``, ...: see :data:`~leadflow.scoring.LEAD_FIELDS`).
    A feature is *numeric* when every value seen at fit is an ``int`` or ``float``
    (not a ``bool``), else *categorical*, unless its ``kind`` says which.  ``None``,
    NaN, infinities and empty collections are *missing*; a set of values (such as
    ``product_interests``) is one category per combination, written as its sorted
    items joined by ``", "``.  Categories compare exactly (``"Software"`` and
    ``"software"`` differ; imports normalise labels).

When an example is read
    Fitting reads each example at its own ``at``, or at ``fit(..., at=...)`` when it
    has none (:func:`~leadflow.scoring.evaluate.evaluate` follows the same rule);
    with neither, ``fit`` raises :class:`ValueError` naming the example.  Activities
    after that time are not seen.

Saving
    :meth:`NaiveBayes.to_dict` / :meth:`NaiveBayes.from_dict` (and the same on
    :class:`LogisticRegression`) write and read the configuration and the fitted
    parameters as JSON-able plain data tagged with ``type``; loading gives a model
    that scores exactly as the one saved.  Models also pickle.
"""

from __future__ import annotations

import bisect
import enum
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar, Literal, TypeGuard

import attrs
import numpy as np
import numpy.typing as npt

from leadflow._config import Reader, check_number, require_text
from leadflow.activities import Activity
from leadflow.errors import InvalidConfiguration, ModelNotFitted, ValidationError
from leadflow.leads import Lead
from leadflow.scoring._base import (
    Bands,
    BatchActivities,
    Contribution,
    Example,
    Score,
    Scores,
    group_activities,
)
from leadflow.scoring._features import FieldGetter, field_getter
from leadflow.scoring._rules import ModelData, check_type
from leadflow.values import LeadId

__all__ = [
    "BASELINE",
    "MISSING_LABEL",
    "Z_LIMIT",
    "Encoding",
    "Feature",
    "FrequencyTable",
    "Level",
    "LogisticRegression",
    "NaiveBayes",
]

#: A category as learned at fit: a JSON scalar; ``None`` is the "(missing)" category.
#: Numeric features binned into quantile bins use the bin's number (0, 1, ...).
Level = str | int | float | bool | None

#: How missing values are shown in reasons and summaries.
MISSING_LABEL = "(missing)"

#: How far from the training mean, in standard deviations, a standardised value
#: counts at most when scoring (further values are capped; training values never
#: reach it).
Z_LIMIT = 1e6

#: The name of the contribution that holds the intercept / prior log-odds.
BASELINE = "baseline"

_KINDS = ("categorical", "numeric")
_NUMERIC_MODES = ("standardise", "binned")

FloatArray = npt.NDArray[np.float64]


# ------------------------------------------------------------------ validators


def _text(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    require_text(attribute.name, value)


def _known_field(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    require_text(attribute.name, value)
    field_getter(str(value), key=attribute.name)


def _kind(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and value not in _KINDS:
        raise InvalidConfiguration(
            key=attribute.name, reason="must be 'categorical', 'numeric' or None", value=value
        )


def _optional_bins(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        _bins(inst, attribute, value)


def _bins(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 2:
        raise InvalidConfiguration(
            key=attribute.name, reason="must be a whole number of at least 2", value=value
        )


def _positive(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise InvalidConfiguration(
            key=attribute.name, reason="must be a finite number above 0", value=value
        )


def _at_least_one(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidConfiguration(
            key=attribute.name, reason="must be a whole number of at least 1", value=value
        )


def _numeric_mode(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value not in _NUMERIC_MODES:
        raise InvalidConfiguration(
            key=attribute.name, reason="must be 'standardise' or 'binned'", value=value
        )


# -------------------------------------------------------------------- features


@attrs.frozen(kw_only=True)
class Feature:
    """One input of a predictive model: a lead field and how to treat its values.

    ``field`` is a field name as fit rules use (``"industry"``, ``"custom.tier"``,
    ``"activity.web_visit"``); an unknown one is
    :class:`~leadflow.errors.InvalidConfiguration`.  ``kind`` is ``"categorical"``,
    ``"numeric"`` or ``None`` (decided at fit: numeric when every value seen is an
    ``int`` or ``float``).  ``name`` names the feature in contributions and
    summaries (the field by default).  ``bins`` is how many quantile bins a numeric
    feature is cut into where a model bins it; ``None`` uses the model's ``bins``.
    """

    field: str = attrs.field(validator=_known_field)
    kind: Literal["categorical", "numeric"] | None = attrs.field(default=None, validator=_kind)
    name: str = attrs.field(
        default=attrs.Factory(lambda self: self.field, takes_self=True), validator=_text
    )
    bins: int | None = attrs.field(default=None, validator=_optional_bins)

    def to_data(self) -> dict[str, Any]:
        """The feature as plain data, leaving out what is at its default."""
        data: dict[str, Any] = {"field": self.field}
        if self.name != self.field:
            data["name"] = self.name
        if self.kind is not None:
            data["kind"] = self.kind
        if self.bins is not None:
            data["bins"] = self.bins
        return data

    @classmethod
    def from_data(cls, data: Any, key: str) -> Feature:
        """A feature from a field name or a table with ``field``, ``name``, ``kind``, ``bins``."""
        if isinstance(data, str):
            field_getter(data, key=key)
            return cls(field=data)
        reader = Reader(data, key)
        field = reader.text("field")
        field_getter(field, key=reader.path("field"))
        kind = reader.optional_text("kind")
        if kind is not None and kind not in _KINDS:
            raise reader.fail("kind", "must be 'categorical' or 'numeric'", kind)
        name = reader.optional_text("name")
        bins = reader.integer("bins", minimum=2) if reader.has("bins") else None
        reader.done()
        return cls(
            field=field,
            kind=kind,  # type: ignore[arg-type]  # checked just above
            name=field if name is None else name,
            bins=bins,
        )


def _to_features(items: Iterable[Feature | str]) -> tuple[Feature, ...]:
    if isinstance(items, str | Feature):
        raise TypeError("features must be a list of Feature objects or field names")
    features = []
    for item in items:
        if isinstance(item, str):
            features.append(Feature(field=item))
        elif isinstance(item, Feature):
            features.append(item)
        else:
            raise TypeError(f"a feature must be a Feature or a field name, not {item!r}")
    return tuple(features)


def _check_feature_names(features: Sequence[Feature]) -> None:
    seen: set[str] = set()
    for i, feature in enumerate(features):
        if feature.name == BASELINE:
            raise InvalidConfiguration(
                key=f"features[{i}].name",
                reason=f"{BASELINE!r} is reserved for the model's baseline contribution",
                value=feature.name,
            )
        if feature.name in seen:
            raise InvalidConfiguration(
                key=f"features[{i}].name", reason="is used by two features", value=feature.name
            )
        seen.add(feature.name)


# ---------------------------------------------------------------------- values


def _clean(raw: object) -> Level:
    """A field's value as a :data:`Level`: ``None`` when missing."""
    if raw is None:
        return None
    if isinstance(raw, enum.Enum):
        raw = raw.value
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int):
        return int(raw)
    if isinstance(raw, float):
        return float(raw) if math.isfinite(raw) else None
    if isinstance(raw, str):
        return str.__str__(raw)
    if isinstance(raw, set | frozenset | list | tuple):
        return ", ".join(sorted(str(item) for item in raw)) if raw else None
    return str(raw)


def _is_number(value: Level) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _show(value: Level) -> str:
    if value is None:
        return MISSING_LABEL
    if isinstance(value, float):
        return f"{value:g}"
    return repr(value)


def _describe(name: str, value: Level) -> str:
    return f"{name} missing" if value is None else f"{name} = {_show(value)}"


def _logistic(value: float) -> float:
    """``1 / (1 + exp(-value))`` without overflow."""
    e = math.exp(-abs(value))
    return 1.0 / (1.0 + e) if value >= 0 else e / (1.0 + e)


def _expit(eta: FloatArray) -> FloatArray:
    e = np.exp(-np.abs(eta))
    result: FloatArray = np.where(eta >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return result


def _level_order(level: Level) -> tuple[bool, str, Any]:
    return (level is None, type(level).__name__, 0 if level is None else level)


# ------------------------------------------------------------------- encodings


@attrs.frozen(kw_only=True)
class Encoding:
    """How one feature's values are turned into numbers, as learned at fit.

    ``scheme`` is one of:

    - ``"categorical"``: ``levels`` are the values seen at fit (``None`` for
      missing, when any was missing);
    - ``"binned"``: a numeric feature cut at the quantile ``edges`` learned at fit
      (bin ``b`` holds the values ``x`` with ``edges[b-1] <= x < edges[b]``);
      ``levels`` are the bin numbers seen, and ``None`` when any was missing;
    - ``"standardised"``: a numeric feature as ``z = (x - mean) / std`` with the
      training ``mean`` and (population) ``std``; a missing value is imputed with
      the mean (``z = 0``), and ``missing_seen`` says whether any training value
      was missing (the logistic regression then gives missing values a column of
      their own).  A constant feature has ``std`` 1.  When scoring, ``z`` is capped
      at +/- :data:`Z_LIMIT` so that an absurd value cannot overflow the score.
    """

    #: The feature, with its ``kind`` as decided at fit.
    feature: Feature
    scheme: Literal["categorical", "binned", "standardised"]
    levels: tuple[Level, ...] = ()
    edges: tuple[float, ...] = ()
    mean: float = 0.0
    std: float = 1.0
    missing_seen: bool = False
    _index: dict[Level, int] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_index", {level: i for i, level in enumerate(self.levels)})

    def code(self, value: Level) -> int:
        """The position of ``value``'s level in ``levels``, or -1 when it was not seen at fit."""
        if self.scheme != "binned" or value is None:
            return self._index.get(value, -1)
        if _is_number(value):
            return self._index.get(bisect.bisect_right(self.edges, float(value)), -1)
        return -1

    def label(self, i: int) -> str:
        """Level ``i`` in words: ``Software``, ``(missing)``, ``10 to under 50``."""
        level = self.levels[i]
        if self.scheme == "binned" and isinstance(level, int):
            return self.bin_label(level)
        return MISSING_LABEL if level is None else str(level)

    def bin_label(self, b: int) -> str:
        """Bin ``b`` in words."""
        edges = self.edges
        if not edges:
            return "any value"
        if b == 0:
            return f"under {edges[0]:g}"
        if b == len(edges):
            return f"{edges[-1]:g} or more"
        return f"{edges[b - 1]:g} to under {edges[b]:g}"

    @property
    def width(self) -> int:
        """How many columns the feature takes in a design matrix."""
        if self.scheme == "standardised":
            return 2 if self.missing_seen else 1
        return len(self.levels)

    def describe(self, value: Level) -> str:
        """The value in words for a reason, with its bin when binned."""
        if self.scheme == "binned" and _is_number(value):
            b = bisect.bisect_right(self.edges, float(value))
            return f"{_describe(self.feature.name, value)} ({self.bin_label(b)})"
        return _describe(self.feature.name, value)

    def unseen(self, value: Level) -> str:
        """The reason given for a value not seen at fit."""
        name = self.feature.name
        if value is None:
            return f"{name} missing: unseen value {MISSING_LABEL}, no training lead had it missing"
        if self.scheme != "categorical" and not _is_number(value):
            return f"{_describe(name, value)}: unseen value {_show(value)}, not a number"
        return f"{_describe(name, value)}: unseen value {_show(value)}, not in the training data"

    def to_data(self) -> dict[str, Any]:
        """The encoding as plain data (the feature itself is written by the model)."""
        data: dict[str, Any] = {"scheme": self.scheme}
        if self.scheme == "binned":
            data["edges"] = list(self.edges)
        if self.scheme == "standardised":
            data["mean"] = self.mean
            data["std"] = self.std
        else:
            data["levels"] = list(self.levels)
        return data


def _encode(feature: Feature, column: Sequence[Level], scheme: str, bins: int) -> Encoding:
    """Learn the encoding of ``feature`` (kind resolved) from its training values."""
    if scheme == "categorical":
        return Encoding(
            feature=feature,
            scheme="categorical",
            levels=tuple(sorted(set(column), key=_level_order)),
        )
    present = np.array([v for v in column if v is not None], dtype=np.float64)
    missing = len(present) < len(column)
    if scheme == "standardised":
        mean = float(present.mean())
        std = float(present.std())
        if not (math.isfinite(mean) and math.isfinite(std)):
            raise ValueError(f"feature {feature.name!r}: its values are too large to standardise")
        return Encoding(
            feature=feature,
            scheme="standardised",
            mean=mean,
            std=std if std > 0 else 1.0,
            missing_seen=missing,
        )
    bins = feature.bins or bins
    probabilities = np.arange(1, bins) / bins
    # Edges are data values (inverted CDF); one equal to the minimum would leave the
    # bin below it empty, so it is dropped.  Every bin then holds a training value.
    cuts = np.unique(np.quantile(present, probabilities, method="inverted_cdf"))
    low = float(present.min())
    edges = tuple(float(e) for e in cuts if e > low)
    binned = Encoding(feature=feature, scheme="binned", edges=edges)
    seen = {bisect.bisect_right(edges, float(v)) for v in present.tolist()}
    levels: tuple[Level, ...] = (*sorted(seen), *((None,) if missing else ()))
    return attrs.evolve(binned, levels=levels)


def _read(
    features: Sequence[Feature], examples: Sequence[Example], at: datetime | None
) -> list[list[Level]]:
    """Each feature's values over the examples, each read at its ``at`` (or ``at``)."""
    getters = [field_getter(f.field) for f in features]
    columns: list[list[Level]] = [[] for _ in features]
    for i, example in enumerate(examples):
        when = example.at if example.at is not None else at
        if when is None:
            raise ValueError(
                f"examples[{i}] has no at and fit() was given no at=; say when to read it"
            )
        lead, activities = example.lead, example.activities
        for column, get in zip(columns, getters, strict=True):
            column.append(_clean(get(lead, activities, when)))
    return columns


def _resolve(feature: Feature, column: Sequence[Level]) -> Feature:
    """``feature`` with its kind decided from the training values."""
    present = [v for v in column if v is not None]
    if not present:
        raise ValueError(
            f"feature {feature.name!r} ({feature.field}) is missing in all "
            f"{len(column)} examples; leave it out or fix the data"
        )
    if feature.kind == "categorical":
        return feature
    if feature.kind == "numeric":
        for i, value in enumerate(column):
            if value is not None and not _is_number(value):
                raise ValueError(
                    f"feature {feature.name!r} is numeric but examples[{i}] has {value!r}"
                )
        return feature
    kind: Literal["categorical", "numeric"] = (
        "numeric" if all(_is_number(v) for v in present) else "categorical"
    )
    return attrs.evolve(feature, kind=kind)


def _start_fit(
    model: NaiveBayes | LogisticRegression,
    examples: Iterable[Example],
    at: datetime | None,
) -> tuple[list[Example], npt.NDArray[np.bool_], list[Feature], list[list[Level]]]:
    """The checks and reading both models' ``fit`` begins with."""
    items = list(examples)
    if not items:
        raise ValueError(f"cannot fit {model.name!r}: examples is empty")
    if not model.features:
        raise ValueError(f"cannot fit {model.name!r}: no features; pass features=[...]")
    if at is not None and (not isinstance(at, datetime) or at.utcoffset() is None):
        raise ValueError(f"cannot fit {model.name!r}: at must be an aware datetime, got {at!r}")
    y = np.fromiter((bool(e.converted) for e in items), dtype=np.bool_, count=len(items))
    converted = int(y.sum())
    if converted in (0, len(items)):
        outcome = "converted" if converted else "did not convert"
        raise ValueError(
            f"cannot fit {model.name!r}: all {len(items)} examples {outcome}; "
            "it needs converted and unconverted leads"
        )
    try:
        columns = _read(model.features, items, at)
        features = [_resolve(f, c) for f, c in zip(model.features, columns, strict=True)]
    except ValueError as error:
        raise ValueError(f"cannot fit {model.name!r}: {error}") from None
    return items, y, features, columns


def _check_at(at: datetime) -> None:
    if not isinstance(at, datetime) or at.utcoffset() is None:
        raise ValidationError.single(
            "at", at, "must be an aware datetime (give it a time zone)", subject="Score"
        )


def _batch(
    model: NaiveBayes | LogisticRegression,
    leads: list[Lead],
    grouped: Mapping[LeadId, Sequence[Activity]],
    values: list[float],
    at: datetime,
) -> Scores:
    """A batch of a predictive model's values: bands and probabilities follow from them."""
    return Scores(
        model=model.name,
        at=at,
        leads=leads,
        activities=grouped,
        values=values,
        bands=[model.bands.band(v) for v in values],
        probabilities=[_logistic(v) for v in values],
        explain=_explainer(model.score, at),
    )


def _explainer(
    score: Callable[..., Score], at: datetime
) -> Callable[[Lead, Sequence[Activity]], Score]:
    def explain(lead: Lead, activities: Sequence[Activity]) -> Score:
        return score(lead, activities, at=at)

    return explain


def _columns(
    features: Sequence[Feature],
    leads: Sequence[Lead],
    grouped: Mapping[Any, Sequence[Activity]],
    at: datetime,
) -> list[list[Level]]:
    columns: list[list[Level]] = []
    for feature in features:
        get: FieldGetter = field_getter(feature.field)
        columns.append([_clean(get(lead, grouped.get(lead.id, ()), at)) for lead in leads])
    return columns


def _model_repr(model: NaiveBayes | LogisticRegression) -> str:
    parts = [f"{a.name}={getattr(model, a.name)!r}" for a in attrs.fields(type(model)) if a.repr]
    parts.append(f"fitted={model.fitted}")
    if model.n_examples_ is not None:
        parts.append(f"n_examples_={model.n_examples_}")
    return f"{type(model).__name__}({', '.join(parts)})"


# ----------------------------------------------------------------- naive Bayes


def _ratio_text(ratio: float) -> str:
    if 0.95 < ratio < 1.05:
        return f"about as common among converted leads ({ratio:.2f}x)"
    if ratio >= 1.0:
        return f"{ratio:.1f}x more common among converted leads"
    return f"{1.0 / ratio:.1f}x less common among converted leads"


def _nb_points(
    converted: Sequence[int], not_converted: Sequence[int], smoothing: float
) -> tuple[float, ...]:
    """``log P(v | converted) - log P(v | not converted)`` per level, additively smoothed."""
    width = len(converted)
    d1 = sum(converted) + smoothing * width
    d0 = sum(not_converted) + smoothing * width
    return tuple(
        math.log((c1 + smoothing) / d1) - math.log((c0 + smoothing) / d0)
        for c1, c0 in zip(converted, not_converted, strict=True)
    )


@attrs.frozen(kw_only=True)
class FrequencyTable:
    """A naive Bayes model's counts for one feature, and the points they give.

    ``converted[i]`` and ``not_converted[i]`` count the training leads with level
    ``encoding.levels[i]`` that did and did not convert; ``points[i]`` is that
    level's log likelihood ratio (see :class:`NaiveBayes`).
    """

    encoding: Encoding
    converted: tuple[int, ...]
    not_converted: tuple[int, ...]
    points: tuple[float, ...]


@attrs.frozen(kw_only=True, repr=False)
class NaiveBayes(ModelData):
    r"""Naive Bayes over lead features: per-feature frequency tables of converted vs not.

    The same kind of model as Odoo CRM's predictive lead scoring: for each feature,
    count how often each value occurs among leads that converted and among leads
    that did not, and combine the features as if they were independent given the
    outcome.  By Bayes' rule the log-odds of conversion of a lead with values
    :math:`x_1, \dots, x_p` is

    .. math::

        \log\frac{P(1 \mid x)}{P(0 \mid x)}
        = \log\frac{N_1}{N_0}
        + \sum_j \log\frac{\hat P(x_j \mid 1)}{\hat P(x_j \mid 0)},
        \qquad
        \hat P(v \mid c) = \frac{n_c(v) + \alpha}{N_c + \alpha L_j}

    where :math:`N_c` counts the training leads of class :math:`c`, :math:`n_c(v)`
    those of them with value :math:`v`, :math:`L_j` the levels of feature
    :math:`j` and :math:`\alpha` is ``smoothing`` (additive, Laplace smoothing
    when 1; see Manning, Raghavan & Schütze, *Introduction to Information
    Retrieval*, 2008, ch. 13, eqs. 13.2-13.7).

    The score's ``"baseline"`` contribution is the prior log-odds
    :math:`\log(N_1/N_0)` and each feature contributes its log likelihood ratio,
    so the value is the log-odds and ``probability`` its logistic.  Categorical
    values are levels as they are; numeric ones are cut into ``bins`` quantile
    bins learned at fit (a :class:`Feature`'s ``bins`` overrides); missing is a
    level of its own, learned like any other.  A value not seen at fit contributes
    0 points, with a reason saying it is unseen.  ``bands`` band the value (the
    log-odds).

    Fitted attributes: ``n_examples_``, ``n_converted_``, ``classes_prior_``
    (``(P(not converted), P(converted))``), ``intercept_`` (the prior log-odds) and
    ``tables_`` (one :class:`FrequencyTable` per feature).
    """

    TYPE: ClassVar[str] = "naive_bayes"

    name: str = attrs.field(default="naive_bayes", validator=_text)
    features: tuple[Feature, ...] = attrs.field(default=(), converter=_to_features)
    smoothing: float = attrs.field(default=1.0, validator=_positive)
    bins: int = attrs.field(default=10, validator=_bins)
    bands: Bands = attrs.field(factory=Bands)

    n_examples_: int | None = attrs.field(default=None, repr=False)
    n_converted_: int | None = attrs.field(default=None, repr=False)
    classes_prior_: tuple[float, float] | None = attrs.field(default=None, repr=False)
    intercept_: float | None = attrs.field(default=None, repr=False)
    tables_: tuple[FrequencyTable, ...] | None = attrs.field(default=None, repr=False)

    def __attrs_post_init__(self) -> None:
        _check_feature_names(self.features)

    __repr__ = _model_repr

    @property
    def fitted(self) -> bool:
        """Whether the model has been fitted."""
        return self.tables_ is not None

    def _fitted(self) -> tuple[float, tuple[FrequencyTable, ...]]:
        if self.tables_ is None or self.intercept_ is None:
            raise ModelNotFitted(model=f"NaiveBayes {self.name!r}")
        return self.intercept_, self.tables_

    # ---------------------------------------------------------------------- fit

    def fit(
        self,
        examples: Iterable[Example],
        *,
        features: Iterable[Feature | str] | None = None,
        at: datetime | None = None,
    ) -> NaiveBayes:
        """A new model fitted on ``examples`` (this one is left as it is).

        ``features`` replaces the model's features; ``at`` is when to read an
        example that has no ``at`` of its own.  Raises :class:`ValueError` naming
        the problem for no examples, no features, examples of one outcome only, an
        example with no time to read it at, or a feature missing in every example.
        """
        model = self if features is None else attrs.evolve(self, features=features)
        items, y, resolved, columns = _start_fit(model, examples, at)
        tables = []
        for feature, column in zip(resolved, columns, strict=True):
            scheme = "categorical" if feature.kind == "categorical" else "binned"
            encoding = _encode(feature, column, scheme, model.bins)
            codes = np.fromiter(
                (encoding.code(v) for v in column), dtype=np.intp, count=len(column)
            )
            width = len(encoding.levels)
            converted = tuple(int(c) for c in np.bincount(codes[y], minlength=width))
            not_converted = tuple(int(c) for c in np.bincount(codes[~y], minlength=width))
            tables.append(_table(encoding, converted, not_converted, model.smoothing))
        return model._with_counts(len(items), int(y.sum()), tuple(tables))

    def _with_counts(
        self, n: int, converted: int, tables: tuple[FrequencyTable, ...]
    ) -> NaiveBayes:
        return attrs.evolve(
            self,
            n_examples_=n,
            n_converted_=converted,
            classes_prior_=((n - converted) / n, converted / n),
            intercept_=math.log(converted / (n - converted)),
            tables_=tables,
        )

    # -------------------------------------------------------------------- score

    def score(self, lead: Lead, activities: Sequence[Activity] = (), *, at: datetime) -> Score:
        """Score one lead from its fields and its activities up to ``at``."""
        intercept, tables = self._fitted()
        _check_at(at)
        parts = [self._baseline(intercept)]
        for table in tables:
            encoding = table.encoding
            value = _clean(field_getter(encoding.feature.field)(lead, activities, at))
            i = encoding.code(value)
            if i < 0:
                parts.append(
                    Contribution(
                        name=encoding.feature.name, points=0.0, reason=encoding.unseen(value)
                    )
                )
                continue
            points = table.points[i]
            reason = f"{encoding.describe(value)}: {_ratio_text(math.exp(points))}"
            parts.append(Contribution(name=encoding.feature.name, points=points, reason=reason))
        return _score(self.name, self.bands, lead, parts, at)

    def _baseline(self, intercept: float) -> Contribution:
        n, converted = self.n_examples_ or 0, self.n_converted_ or 0
        return Contribution(
            name=BASELINE,
            points=intercept,
            reason=f"base rate {converted / n:.1%} ({converted} of {n} training leads converted)",
        )

    def score_many(
        self, leads: Iterable[Lead], activities: BatchActivities = (), *, at: datetime
    ) -> Scores:
        """Score a batch; the explanations are built when a score is first read."""
        intercept, tables = self._fitted()
        _check_at(at)
        leads = list(leads)
        grouped = group_activities(activities)
        columns = _columns([t.encoding.feature for t in tables], leads, grouped, at)
        parts: list[list[float]] = [[intercept] * len(leads)]
        for table, column in zip(tables, columns, strict=True):
            points, code = table.points, table.encoding.code
            parts.append([points[i] if i >= 0 else 0.0 for i in map(code, column)])
        values = [math.fsum(row) for row in zip(*parts, strict=True)]
        return _batch(self, leads, grouped, values, at)

    # ------------------------------------------------------------------ summary

    def summary(self) -> list[dict[str, Any]]:
        """One record per feature and level (after one for the baseline).

        Keys: ``feature``, ``field``, ``value`` (the level in words), ``converted``
        and ``not_converted`` (training counts), ``likelihood_ratio`` and ``points``
        (its log).  The baseline's ratio is the prior odds ``N1 / N0``.
        """
        intercept, tables = self._fitted()
        n, converted = self.n_examples_ or 0, self.n_converted_ or 0
        records: list[dict[str, Any]] = [
            {
                "feature": BASELINE,
                "field": None,
                "value": None,
                "converted": converted,
                "not_converted": n - converted,
                "likelihood_ratio": converted / (n - converted),
                "points": intercept,
            }
        ]
        for table in tables:
            encoding = table.encoding
            for i, points in enumerate(table.points):
                records.append(
                    {
                        "feature": encoding.feature.name,
                        "field": encoding.feature.field,
                        "value": encoding.label(i),
                        "converted": table.converted[i],
                        "not_converted": table.not_converted[i],
                        "likelihood_ratio": math.exp(points),
                        "points": points,
                    }
                )
        return records

    # --------------------------------------------------------------------- data

    def to_dict(self) -> dict[str, Any]:
        """The configuration and, when fitted, the counts, as JSON-able data (``type`` tagged)."""
        data: dict[str, Any] = {
            "type": "naive_bayes",
            "name": self.name,
            "features": [f.to_data() for f in self.features],
            "smoothing": self.smoothing,
            "bins": self.bins,
            "bands": self.bands.to_data(),
        }
        if self.tables_ is not None:
            data["fitted"] = {
                "n_examples": self.n_examples_,
                "n_converted": self.n_converted_,
                "tables": [
                    {
                        **t.encoding.to_data(),
                        "converted": list(t.converted),
                        "not_converted": list(t.not_converted),
                    }
                    for t in self.tables_
                ],
            }
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NaiveBayes:
        """A model from :meth:`to_dict`'s data; bad data raises ``InvalidConfiguration``."""
        reader = Reader(data, "$")
        check_type(reader, "naive_bayes", required=True)
        model = cls(
            name=reader.optional_text("name") or "naive_bayes",
            features=_features_from(reader),
            smoothing=reader.number("smoothing", default=1.0, above=0),
            bins=reader.integer("bins", default=10, minimum=2),
            bands=Bands.from_data(reader.raw("bands"), reader.path("bands")),
        )
        fitted = reader.table("fitted", required=False)
        reader.done()
        if fitted is None:
            return model
        n = fitted.integer("n_examples", minimum=2)
        converted = fitted.integer("n_converted", minimum=1)
        if converted >= n:
            raise fitted.fail("n_converted", f"must be less than n_examples ({n})", converted)
        tables = []
        items = fitted.tables("tables")
        _check_count(fitted, "tables", items, model.features)
        for entry, feature in zip(items, model.features, strict=True):
            encoding = _encoding_from(entry, feature, ("categorical", "binned"))
            width = len(encoding.levels)
            counts = []
            for key, expected in (("converted", converted), ("not_converted", n - converted)):
                values = _counts(entry, key, width)
                if sum(values) != expected:
                    raise entry.fail(key, f"must sum to {expected}", sum(values))
                counts.append(values)
            entry.done()
            tables.append(_table(encoding, counts[0], counts[1], model.smoothing))
        fitted.done()
        return model._with_counts(n, converted, tuple(tables))


def _table(
    encoding: Encoding,
    converted: tuple[int, ...],
    not_converted: tuple[int, ...],
    smoothing: float,
) -> FrequencyTable:
    return FrequencyTable(
        encoding=encoding,
        converted=converted,
        not_converted=not_converted,
        points=_nb_points(converted, not_converted, smoothing),
    )


def _score(
    model: str, bands: Bands, lead: Lead, parts: Sequence[Contribution], at: datetime
) -> Score:
    value = math.fsum(c.points for c in parts)
    return Score.of(
        model,
        parts,
        at=at,
        lead_id=lead.id,
        band=bands.band(value),
        probability=_logistic(value),
    )


# --------------------------------------------------------- logistic regression


IntArray = npt.NDArray[np.intp]


class _Design:
    """A design matrix kept by blocks: a few dense columns, and one-hot blocks as codes.

    Most columns of a lead design are one-hot (categories, bins), so the matrix is
    never built: products with it are gathers and :func:`numpy.bincount` sums,
    which keeps memory at ``n x (dense columns)`` and avoids large BLAS calls.
    """

    __slots__ = ("blocks", "dense", "dense_columns", "width")

    def __init__(
        self,
        width: int,
        dense_columns: list[int],
        dense: FloatArray,
        blocks: list[tuple[IntArray, int, int]],
    ) -> None:
        self.width = width
        #: The column of each dense column (the intercept's is 0).
        self.dense_columns = np.array(dense_columns, dtype=np.intp)
        self.dense = dense
        #: ``(codes, first column, columns)`` per one-hot block; row ``i`` has a 1 in
        #: column ``first + codes[i]`` of its block.
        self.blocks = blocks

    def dot(self, beta: FloatArray) -> FloatArray:
        """``X @ beta``."""
        eta: FloatArray = self.dense @ beta[self.dense_columns]
        for codes, start, width in self.blocks:
            eta += beta[start : start + width][codes]
        return eta

    def tdot(self, r: FloatArray) -> FloatArray:
        """``X.T @ r``."""
        g = np.zeros(self.width)
        g[self.dense_columns] = self.dense.T @ r
        for codes, start, width in self.blocks:
            g[start : start + width] = np.bincount(codes, weights=r, minlength=width)
        return g

    def gram(self, w: FloatArray) -> FloatArray:
        """``X.T @ diag(w) @ X``."""
        h = np.zeros((self.width, self.width))
        dense_w = self.dense * w[:, None]
        columns = self.dense_columns
        h[np.ix_(columns, columns)] = dense_w.T @ self.dense
        for j, (codes, start, width) in enumerate(self.blocks):
            span = slice(start, start + width)
            diagonal = np.arange(start, start + width)
            h[diagonal, diagonal] = np.bincount(codes, weights=w, minlength=width)
            for a, column in enumerate(columns.tolist()):
                cross = np.bincount(codes, weights=dense_w[:, a], minlength=width)
                h[span, column] = cross
                h[column, span] = cross
            for other, other_start, other_width in self.blocks[j + 1 :]:
                pairs = codes.astype(np.int64) * other_width + other
                block = np.bincount(pairs, weights=w, minlength=width * other_width)
                block = block.reshape(width, other_width)
                h[span, other_start : other_start + other_width] = block
                h[other_start : other_start + other_width, span] = block.T
        return h


def _newton(
    x: _Design, y: FloatArray, l2: float, max_iter: int, tol: float
) -> tuple[FloatArray, int, bool]:
    """Minimise the penalised negative log-likelihood by Newton's method (IRLS).

    Returns the coefficients, the iterations taken and whether they converged
    (the largest coefficient change fell below ``tol`` times the largest
    coefficient, or ``tol`` when that is under 1).
    """
    m = x.width
    penalty = np.full(m, l2)
    penalty[0] = 0.0
    beta = np.zeros(m)
    rate = float(y.mean())
    beta[0] = math.log(rate / (1.0 - rate))
    eta = x.dot(beta)

    def objective(b: FloatArray, eta: FloatArray) -> float:
        return float(np.sum(np.logaddexp(0.0, eta) - y * eta) + 0.5 * np.dot(penalty * b, b))

    current = objective(beta, eta)
    for iteration in range(1, max_iter + 1):
        p = _expit(eta)
        gradient = x.tdot(y - p) - penalty * beta
        hessian = x.gram(p * (1.0 - p))
        hessian[np.diag_indices(m)] += penalty
        try:
            step = np.linalg.solve(hessian, gradient)
        except np.linalg.LinAlgError:  # pragma: no cover - the penalty makes it regular
            step = np.linalg.lstsq(hessian, gradient, rcond=None)[0]
        # Step halving keeps every iteration downhill (it is rarely needed).
        t = 1.0
        while True:
            candidate = beta + t * step
            candidate_eta = x.dot(candidate)
            value = objective(candidate, candidate_eta)
            if value <= current + 1e-12 * abs(current) or t < 1e-10:
                break
            t /= 2.0
        change = float(np.max(np.abs(candidate - beta)))
        beta, eta, current = candidate, candidate_eta, value
        if change <= tol * max(1.0, float(np.max(np.abs(beta)))):
            return beta, iteration, True
    return beta, max_iter, False


@attrs.frozen(kw_only=True, repr=False)
class LogisticRegression(ModelData):
    r"""L2-regularised logistic regression over lead features, fitted by Newton's method.

    The log-odds of conversion is linear in the encoded features,
    :math:`\eta = \beta_0 + \sum_k \beta_k x_k`, and the coefficients minimise the
    penalised negative log-likelihood (the intercept :math:`\beta_0` is not
    penalised; :math:`\lambda` is ``l2``, on the sum over examples, not the mean):

    .. math::

        -\sum_i \bigl[y_i \eta_i - \log(1 + e^{\eta_i})\bigr]
        + \frac{\lambda}{2} \sum_{k \ge 1} \beta_k^2 .

    Each Newton-Raphson step (iteratively reweighted least squares) solves
    :math:`(X^\top W X + \Lambda)\,\delta = X^\top (y - p) - \Lambda\beta` with
    :math:`p = \operatorname{logistic}(X\beta)`, :math:`W = \operatorname{diag}(p(1-p))`
    and :math:`\Lambda = \operatorname{diag}(0, \lambda, \dots, \lambda)`, halving the
    step if it would go uphill, until the largest change is under ``tol`` (relative
    to the largest coefficient when that is over 1) or after ``max_iter`` steps
    (Hastie, Tibshirani & Friedman, *The Elements of Statistical Learning*, 2nd
    ed., 2009, §4.4.1 for Newton's method and §3.4.1 for the L2 penalty).  Not
    converging is not an error: ``converged_`` records it.

    Encoding: a categorical feature is one-hot over the levels seen at fit (every
    level gets a column; missing is a level of its own; an unseen value is all
    zeros, so it contributes 0, and the reason says it is unseen).  The penalty
    needs ``l2 > 0`` to make the full one-hot coding identifiable.  With
    ``numeric="standardise"`` a numeric feature is :math:`z = (x - \mu)/\sigma`
    with the training mean and standard deviation; a missing value is imputed
    with the mean (:math:`z = 0`), and when any training value was missing a
    missing-indicator column is added.  With ``numeric="binned"`` it is one-hot over
    ``bins`` quantile bins learned at fit.

    A score's ``"baseline"`` contribution is the intercept and each feature
    contributes the sum of coefficient times encoded value over its columns.

    Fitted attributes: ``n_examples_``, ``encodings_`` (one :class:`Encoding` per
    feature), ``intercept_``, ``coef_`` (a tuple, in the order of ``columns_``),
    ``n_iter_`` and ``converged_``.
    """

    TYPE: ClassVar[str] = "logistic_regression"

    name: str = attrs.field(default="logistic_regression", validator=_text)
    features: tuple[Feature, ...] = attrs.field(default=(), converter=_to_features)
    l2: float = attrs.field(default=1.0, validator=_positive)
    max_iter: int = attrs.field(default=100, validator=_at_least_one)
    tol: float = attrs.field(default=1e-8, validator=_positive)
    numeric: Literal["standardise", "binned"] = attrs.field(
        default="standardise", validator=_numeric_mode
    )
    bins: int = attrs.field(default=10, validator=_bins)
    bands: Bands = attrs.field(factory=Bands)

    n_examples_: int | None = attrs.field(default=None, repr=False)
    encodings_: tuple[Encoding, ...] | None = attrs.field(default=None, repr=False)
    intercept_: float | None = attrs.field(default=None, repr=False)
    coef_: tuple[float, ...] | None = attrs.field(default=None, repr=False)
    n_iter_: int | None = attrs.field(default=None, repr=False)
    converged_: bool | None = attrs.field(default=None, repr=False)

    def __attrs_post_init__(self) -> None:
        _check_feature_names(self.features)

    __repr__ = _model_repr

    @property
    def fitted(self) -> bool:
        """Whether the model has been fitted."""
        return self.coef_ is not None

    def _fitted(self) -> tuple[float, tuple[Encoding, ...], tuple[float, ...]]:
        if self.encodings_ is None or self.coef_ is None or self.intercept_ is None:
            raise ModelNotFitted(model=f"LogisticRegression {self.name!r}")
        return self.intercept_, self.encodings_, self.coef_

    @property
    def columns_(self) -> tuple[str, ...]:
        """Each coefficient's column: ``industry = Software``, ``company_size (z)``, ..."""
        _, encodings, _ = self._fitted()
        names: list[str] = []
        for encoding in encodings:
            name = encoding.feature.name
            if encoding.scheme == "standardised":
                names.append(f"{name} (z)")
                if encoding.missing_seen:
                    names.append(f"{name} {MISSING_LABEL}")
                continue
            names.extend(
                f"{name} {MISSING_LABEL}" if level is None else f"{name} = {encoding.label(i)}"
                for i, level in enumerate(encoding.levels)
            )
        return tuple(names)

    # ---------------------------------------------------------------------- fit

    def fit(
        self,
        examples: Iterable[Example],
        *,
        features: Iterable[Feature | str] | None = None,
        at: datetime | None = None,
    ) -> LogisticRegression:
        """A new model fitted on ``examples`` (this one is left as it is).

        ``features`` replaces the model's features; ``at`` is when to read an
        example that has no ``at`` of its own.  Raises :class:`ValueError` naming
        the problem for no examples, no features, examples of one outcome only, an
        example with no time to read it at, or a feature missing in every example.
        """
        model = self if features is None else attrs.evolve(self, features=features)
        items, y, resolved, columns = _start_fit(model, examples, at)
        numeric = "standardised" if model.numeric == "standardise" else "binned"
        encodings = tuple(
            _encode(f, c, "categorical" if f.kind == "categorical" else numeric, model.bins)
            for f, c in zip(resolved, columns, strict=True)
        )
        n = len(items)
        dense_columns, dense, blocks = [0], [np.ones(n)], []
        start = 1
        for encoding, column in zip(encodings, columns, strict=True):
            if encoding.scheme == "standardised":
                values = np.array([np.nan if v is None else v for v in column], dtype=np.float64)
                missing = np.isnan(values)
                z = (values - encoding.mean) / encoding.std
                z[missing] = 0.0
                dense_columns.append(start)
                dense.append(z)
                if encoding.missing_seen:
                    dense_columns.append(start + 1)
                    dense.append(missing.astype(np.float64))
            else:
                codes = np.fromiter((encoding.code(v) for v in column), dtype=np.intp, count=n)
                blocks.append((codes, start, encoding.width))
            start += encoding.width
        x = _Design(start, dense_columns, np.column_stack(dense), blocks)
        beta, n_iter, converged = _newton(
            x, y.astype(np.float64), model.l2, model.max_iter, model.tol
        )
        if not np.all(np.isfinite(beta)):
            raise ValueError(f"cannot fit {model.name!r}: the coefficients overflowed")
        return attrs.evolve(
            model,
            n_examples_=n,
            encodings_=encodings,
            intercept_=float(beta[0]),
            coef_=tuple(float(b) for b in beta[1:]),
            n_iter_=n_iter,
            converged_=converged,
        )

    # -------------------------------------------------------------------- score

    def _blocks(self) -> list[tuple[Encoding, tuple[float, ...]]]:
        _, encodings, coef = self._fitted()
        blocks = []
        start = 0
        for encoding in encodings:
            blocks.append((encoding, coef[start : start + encoding.width]))
            start += encoding.width
        return blocks

    def score(self, lead: Lead, activities: Sequence[Activity] = (), *, at: datetime) -> Score:
        """Score one lead from its fields and its activities up to ``at``."""
        intercept, _, _ = self._fitted()
        _check_at(at)
        parts = [self._baseline(intercept)]
        for encoding, coef in self._blocks():
            value = _clean(field_getter(encoding.feature.field)(lead, activities, at))
            parts.append(_lr_part(encoding, coef, value))
        return _score(self.name, self.bands, lead, parts, at)

    @staticmethod
    def _baseline(intercept: float) -> Contribution:
        return Contribution(
            name=BASELINE,
            points=intercept,
            reason=(
                f"intercept: log-odds {intercept:+.2f} (probability "
                f"{_logistic(intercept):.1%}) before the features"
            ),
        )

    def score_many(
        self, leads: Iterable[Lead], activities: BatchActivities = (), *, at: datetime
    ) -> Scores:
        """Score a batch; the explanations are built when a score is first read.

        Each feature's contributions for the whole batch are computed at once with
        numpy (its block of the design matrix times its coefficients); a lead's
        value is :func:`math.fsum` of its row, the same floats :meth:`score` adds,
        so ``values[i]`` equals ``scores[i].value`` exactly.
        """
        intercept, encodings, _ = self._fitted()
        _check_at(at)
        leads = list(leads)
        grouped = group_activities(activities)
        columns = _columns([e.feature for e in encodings], leads, grouped, at)
        parts = np.empty((len(leads), 1 + len(encodings)))
        parts[:, 0] = intercept
        for j, ((encoding, coef), column) in enumerate(
            zip(self._blocks(), columns, strict=True), start=1
        ):
            parts[:, j] = _lr_column(encoding, coef, column)
        values = [math.fsum(row) for row in parts.tolist()]
        return _batch(self, leads, grouped, values, at)

    # ------------------------------------------------------------------ summary

    def summary(self) -> list[dict[str, Any]]:
        """One record per coefficient, the intercept first.

        Keys: ``feature``, ``field``, ``term`` (the level, bin, ``z`` or
        ``(missing)``), ``coefficient``, ``mean`` and ``std`` (standardised
        numeric features, else ``None``), and the model's ``converged`` and
        ``iterations``, repeated on every record.
        """
        intercept, _, _ = self._fitted()
        common = {"converged": self.converged_, "iterations": self.n_iter_}
        records: list[dict[str, Any]] = [
            {
                "feature": BASELINE,
                "field": None,
                "term": "intercept",
                "coefficient": intercept,
                "mean": None,
                "std": None,
                **common,
            }
        ]
        for encoding, coef in self._blocks():
            standardised = encoding.scheme == "standardised"
            for term, b in zip(_terms(encoding), coef, strict=True):
                records.append(
                    {
                        "feature": encoding.feature.name,
                        "field": encoding.feature.field,
                        "term": term,
                        "coefficient": b,
                        "mean": encoding.mean if standardised else None,
                        "std": encoding.std if standardised else None,
                        **common,
                    }
                )
        return records

    # --------------------------------------------------------------------- data

    def to_dict(self) -> dict[str, Any]:
        """The configuration and, when fitted, the coefficients, as JSON-able data."""
        data: dict[str, Any] = {
            "type": "logistic_regression",
            "name": self.name,
            "features": [f.to_data() for f in self.features],
            "l2": self.l2,
            "max_iter": self.max_iter,
            "tol": self.tol,
            "numeric": self.numeric,
            "bins": self.bins,
            "bands": self.bands.to_data(),
        }
        if self.coef_ is not None:
            data["fitted"] = {
                "n_examples": self.n_examples_,
                "n_iter": self.n_iter_,
                "converged": self.converged_,
                "intercept": self.intercept_,
                "encodings": [
                    {**encoding.to_data(), "coef": list(coef)} for encoding, coef in self._blocks()
                ],
            }
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LogisticRegression:
        """A model from :meth:`to_dict`'s data; bad data raises ``InvalidConfiguration``."""
        reader = Reader(data, "$")
        check_type(reader, "logistic_regression", required=True)
        numeric = reader.optional_text("numeric") or "standardise"
        if numeric not in _NUMERIC_MODES:
            raise reader.fail("numeric", "must be 'standardise' or 'binned'", numeric)
        model = cls(
            name=reader.optional_text("name") or "logistic_regression",
            features=_features_from(reader),
            l2=reader.number("l2", default=1.0, above=0),
            max_iter=reader.integer("max_iter", default=100, minimum=1),
            tol=reader.number("tol", default=1e-8, above=0),
            numeric=numeric,  # type: ignore[arg-type]  # checked just above
            bins=reader.integer("bins", default=10, minimum=2),
            bands=Bands.from_data(reader.raw("bands"), reader.path("bands")),
        )
        fitted = reader.table("fitted", required=False)
        reader.done()
        if fitted is None:
            return model
        n = fitted.integer("n_examples", minimum=2)
        n_iter = fitted.integer("n_iter", minimum=1)
        converged = fitted.flag("converged")
        intercept = fitted.number("intercept")
        allowed = ("categorical", "standardised" if numeric == "standardise" else "binned")
        items = fitted.tables("encodings")
        _check_count(fitted, "encodings", items, model.features)
        encodings = []
        coef: list[float] = []
        for entry, feature in zip(items, model.features, strict=True):
            encoding = _encoding_from(entry, feature, allowed)
            values = entry.list("coef")
            if len(values) != encoding.width:
                raise entry.fail("coef", f"must hold {encoding.width} coefficients", len(values))
            coef.extend(check_number(f"{entry.path('coef')}[{i}]", v) for i, v in enumerate(values))
            entry.done()
            encodings.append(encoding)
        fitted.done()
        return attrs.evolve(
            model,
            n_examples_=n,
            encodings_=tuple(encodings),
            intercept_=intercept,
            coef_=tuple(coef),
            n_iter_=n_iter,
            converged_=converged,
        )


def _terms(encoding: Encoding) -> list[str]:
    if encoding.scheme == "standardised":
        return ["z", MISSING_LABEL] if encoding.missing_seen else ["z"]
    return [encoding.label(i) for i in range(len(encoding.levels))]


def _lr_part(encoding: Encoding, coef: tuple[float, ...], value: Level) -> Contribution:
    """One feature's contribution to a logistic regression score."""
    name = encoding.feature.name
    if encoding.scheme == "standardised":
        if value is None:
            points = coef[1] if encoding.missing_seen else 0.0
            how = "missing indicator" if encoding.missing_seen else "no training lead was missing"
            reason = f"{name} missing (imputed with the training mean {encoding.mean:g}; {how})"
            return Contribution(name=name, points=points, reason=reason)
        if _is_number(value):
            z = min(max((float(value) - encoding.mean) / encoding.std, -Z_LIMIT), Z_LIMIT)
            return Contribution(
                name=name, points=coef[0] * z, reason=f"{_describe(name, value)} (z = {z:+.2f})"
            )
        return Contribution(name=name, points=0.0, reason=encoding.unseen(value))
    i = encoding.code(value)
    if i < 0:
        return Contribution(name=name, points=0.0, reason=encoding.unseen(value))
    return Contribution(name=name, points=coef[i], reason=encoding.describe(value))


def _lr_column(encoding: Encoding, coef: tuple[float, ...], column: Sequence[Level]) -> FloatArray:
    """One feature's contributions for a batch: exactly what :func:`_lr_part` gives each."""
    if encoding.scheme == "standardised":
        values = np.array(
            [float(v) if _is_number(v) else np.nan for v in column],
            dtype=np.float64,
        )
        z = np.clip((values - encoding.mean) / encoding.std, -Z_LIMIT, Z_LIMIT)
        result: FloatArray = coef[0] * z
        result[np.isnan(values)] = 0.0
        if encoding.missing_seen:
            result[np.fromiter((v is None for v in column), dtype=np.bool_, count=len(column))] = (
                coef[1]
            )
        return result
    # Code -1 (unseen) picks the 0.0 appended at the end.
    table = np.array([*coef, 0.0], dtype=np.float64)
    codes = np.fromiter(map(encoding.code, column), dtype=np.intp, count=len(column))
    picked: FloatArray = table[codes]
    return picked


# ------------------------------------------------------------------- loading


def _features_from(reader: Reader) -> tuple[Feature, ...]:
    return tuple(
        Feature.from_data(item, f"{reader.path('features')}[{i}]")
        for i, item in enumerate(reader.list("features", required=False))
    )


def _check_count(
    reader: Reader, key: str, items: Sequence[Reader], features: Sequence[Feature]
) -> None:
    if len(items) != len(features):
        raise reader.fail(key, f"must hold one entry per feature ({len(features)})", len(items))


def _counts(reader: Reader, key: str, width: int) -> tuple[int, ...]:
    values = reader.list(key)
    if len(values) != width:
        raise reader.fail(key, f"must hold {width} counts, one per level", len(values))
    for i, value in enumerate(values):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidConfiguration(
                key=f"{reader.path(key)}[{i}]", reason="must be a whole number >= 0", value=value
            )
    return tuple(values)


def _level_from(key: str, value: object, scheme: str, bins: int) -> Level:
    if value is None:
        return None
    if scheme == "binned":
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < bins:
            raise InvalidConfiguration(
                key=key, reason=f"must be a bin number from 0 to {bins - 1} or null", value=value
            )
        return value
    if isinstance(value, str | bool | int):
        return value
    return check_number(key, value)


def _encoding_from(reader: Reader, feature: Feature, allowed: Sequence[str]) -> Encoding:
    scheme = reader.text("scheme")
    if scheme not in allowed:
        raise reader.fail("scheme", "must be " + " or ".join(map(repr, allowed)), scheme)
    kind: Literal["categorical", "numeric"] = (
        "categorical" if scheme == "categorical" else "numeric"
    )
    if feature.kind is not None and feature.kind != kind:
        raise reader.fail("scheme", f"does not fit feature {feature.name!r} of kind {feature.kind}")
    resolved = attrs.evolve(feature, kind=kind)
    if scheme == "standardised":
        return Encoding(
            feature=resolved,
            scheme="standardised",
            mean=reader.number("mean"),
            std=reader.number("std", above=0),
            missing_seen=len(reader.list("coef")) == 2,
        )
    edges: tuple[float, ...] = ()
    if scheme == "binned":
        items = reader.list("edges")
        edges = tuple(check_number(f"{reader.path('edges')}[{i}]", e) for i, e in enumerate(items))
        for i in range(1, len(edges)):
            if edges[i] <= edges[i - 1]:
                raise InvalidConfiguration(
                    key=f"{reader.path('edges')}[{i}]",
                    reason="edges must increase",
                    value=edges[i],
                )
    levels: list[Level] = []
    seen: set[Level] = set()
    for i, item in enumerate(reader.list("levels")):
        key = f"{reader.path('levels')}[{i}]"
        level = _level_from(key, item, scheme, len(edges) + 1)
        if level in seen:
            raise InvalidConfiguration(key=key, reason="is listed twice", value=level)
        seen.add(level)
        levels.append(level)
    if not levels:
        raise reader.fail("levels", "must list at least one level")
    return Encoding(feature=resolved, scheme=scheme, levels=tuple(levels), edges=edges)  # type: ignore[arg-type]
