"""The scoring protocol: scores, contributions, bands and batches (private module).

The public names are re-exported by :mod:`leadflow.scoring`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, overload, runtime_checkable

import attrs

from leadflow._config import Reader
from leadflow._fields import aware, fail, finite, non_blank, to_tuple, to_utc, to_utc_optional
from leadflow._frames import to_frame
from leadflow.activities import Activity
from leadflow.errors import InvalidConfiguration
from leadflow.leads import Lead, LeadScore
from leadflow.values import LeadId

__all__ = [
    "Band",
    "Bands",
    "BatchActivities",
    "Contribution",
    "Example",
    "Score",
    "Scores",
    "ScoringModel",
    "group_activities",
    "score_each",
]


@attrs.frozen(kw_only=True)
class Contribution:
    """What one rule or feature added to a score, and why.

    ``name`` names the rule or feature (``"web visits"``, ``"industry"``), ``points``
    is what it added (negative when it took away), and ``reason`` says why in words
    (``"3 web visits, decayed to 2.4 x 5 points"``).
    """

    name: str = attrs.field(validator=non_blank)
    points: float = attrs.field(validator=finite)
    reason: str


def _probability(inst: object, attribute: attrs.Attribute[Any], value: float | None) -> None:
    if value is not None and not (isinstance(value, float | int) and 0.0 <= value <= 1.0):
        fail(inst, attribute.name, value, "must be a probability between 0 and 1")


def _sums_to_value(inst: Score, attribute: attrs.Attribute[Any], value: float) -> None:
    total = math.fsum(c.points for c in inst.contributions)
    if total != value:
        fail(inst, "value", value, f"must equal the sum of the contributions ({total!r})")


@attrs.frozen(kw_only=True)
class Score:
    """One lead's score from one model, with its explanation.

    ``value`` is exactly :func:`math.fsum` of the ``points`` of the
    ``contributions`` (checked when the score is built), so every point is
    accounted for.  ``band`` is the model's band or grade for the value (``"hot"``,
    ``"A1"``) or ``None``; ``probability`` is the chance of conversion for models
    that estimate one (the predictive models, whose ``value`` is then the log-odds).
    Build one with :meth:`of`, which sums the contributions for you.
    """

    #: The name of the model that scored.
    model: str = attrs.field(validator=non_blank)
    #: The lead scored, when the model was given a stored lead.
    lead_id: LeadId | None = None
    #: When the score holds: the ``at`` the model was called with.
    at: datetime = attrs.field(converter=to_utc, validator=aware)
    #: Each rule's or feature's share of the value.
    contributions: tuple[Contribution, ...] = attrs.field(default=(), converter=to_tuple)
    #: The score: the exact sum of the contributions' points.
    value: float = attrs.field(validator=[finite, _sums_to_value])
    #: The band or grade of the value, if the model has bands.
    band: str | None = None
    #: The estimated probability of conversion, for models that estimate one.
    probability: float | None = attrs.field(default=None, validator=_probability)

    @classmethod
    def of(
        cls,
        model: str,
        contributions: Iterable[Contribution],
        *,
        at: datetime,
        lead_id: LeadId | None = None,
        band: str | None = None,
        probability: float | None = None,
    ) -> Score:
        """A score whose value is the exact sum of ``contributions``."""
        parts = tuple(contributions)
        return cls(
            model=model,
            lead_id=lead_id,
            at=at,
            contributions=parts,
            value=math.fsum(c.points for c in parts),
            band=band,
            probability=probability,
        )

    def top(self, n: int = 3) -> tuple[Contribution, ...]:
        """The ``n`` contributions that moved the score most, largest first."""
        return tuple(sorted(self.contributions, key=lambda c: -abs(c.points))[:n])

    def explain(self) -> str:
        """The score as text: one line per contribution, then the total."""
        width = max((len(c.name) for c in self.contributions), default=0)
        lines = [f"{c.name:<{width}}  {c.points:+9.2f}  {c.reason}" for c in self.contributions]
        total = f"{'total':<{width}}  {self.value:+9.2f}"
        if self.band is not None:
            total += f"  band {self.band}"
        if self.probability is not None:
            total += f"  probability {self.probability:.3f}"
        return "\n".join([*lines, total])

    def to_lead_score(self) -> LeadScore:
        """The summary kept on the lead (:attr:`Lead.score <leadflow.leads.Lead.score>`)."""
        return LeadScore(value=self.value, model=self.model, scored_at=self.at, grade=self.band)


# --------------------------------------------------------------------------- bands


@attrs.frozen(kw_only=True)
class Band:
    """A named band: every value at or above ``minimum`` (and below the next band up)."""

    name: str = attrs.field(validator=non_blank)
    minimum: float = attrs.field(default=-math.inf)


def _check_bands(bands: Sequence[Band], key: str) -> None:
    """Refuse two bands with one name or one minimum, naming the second one's key."""
    names: set[str] = set()
    minimums: set[float] = set()
    for i, band in enumerate(bands):
        if band.name in names:
            raise InvalidConfiguration(
                key=f"{key}[{i}].name", reason="is used by two bands", value=band.name
            )
        if band.minimum in minimums:
            raise InvalidConfiguration(
                key=f"{key}[{i}].min",
                reason="two bands start at the same value",
                value=band.minimum,
            )
        names.add(band.name)
        minimums.add(band.minimum)


def _descending(value: Iterable[Band]) -> tuple[Band, ...]:
    return tuple(sorted(value, key=lambda band: -band.minimum))


@attrs.frozen
class Bands:
    """Named bands over a score's value, e.g. hot at 70, warm at 40, cold below.

    A value gets the band with the highest ``minimum`` it reaches, or ``None`` when
    it is under every band.  Bands are kept highest first.
    """

    bands: tuple[Band, ...] = attrs.field(default=(), converter=_descending)

    def __attrs_post_init__(self) -> None:
        _check_bands(self.bands, "bands")

    @classmethod
    def of(cls, **minimums: float) -> Bands:
        """Bands from keyword arguments: ``Bands.of(hot=70, warm=40, cold=-math.inf)``."""
        return cls(tuple(Band(name=name, minimum=low) for name, low in minimums.items()))

    def band(self, value: float) -> str | None:
        """The band ``value`` falls in, or ``None``."""
        for band in self.bands:
            if value >= band.minimum:
                return band.name
        return None

    def __bool__(self) -> bool:
        return bool(self.bands)

    def to_data(self) -> list[dict[str, Any]]:
        """The bands as plain data (a band without a lower bound has no ``min``)."""
        return [
            {"name": band.name}
            if band.minimum == -math.inf
            else {"name": band.name, "min": band.minimum}
            for band in self.bands
        ]

    @classmethod
    def from_data(cls, data: Any, key: str) -> Bands:
        """Bands from a list of ``{name, min}`` tables (``min`` absent: no lower bound)."""
        if data is None:
            return cls()
        if not isinstance(data, list | tuple):
            raise InvalidConfiguration(key=key, reason="must be a list of bands", value=data)
        bands = []
        for i, item in enumerate(data):
            reader = Reader(item, f"{key}[{i}]")
            bands.append(
                Band(name=reader.text("name"), minimum=reader.number("min", default=-math.inf))
            )
            reader.done()
        _check_bands(bands, key)  # before sorting, so that the index is the file's
        return cls(tuple(bands))


# ---------------------------------------------------------------------- examples


@attrs.frozen(kw_only=True)
class Example:
    """One lead from history with its outcome, to fit or evaluate a model on.

    ``at`` is when the lead is scored: its activities after ``at`` are not seen, so
    that what happened after the decision does not leak into the features.  It
    defaults to ``None``, meaning "score with everything known".
    """

    #: The lead as it was.
    lead: Lead
    #: Its activities (those after ``at`` are ignored when scoring).
    activities: tuple[Activity, ...] = attrs.field(default=(), converter=to_tuple)
    #: Whether the lead converted (the outcome to predict).
    converted: bool
    #: When to score it; ``None`` scores with everything known.
    at: datetime | None = attrs.field(default=None, converter=to_utc_optional, validator=aware)


# ------------------------------------------------------------------ the protocol


@runtime_checkable
class ScoringModel(Protocol):
    """What every scoring model offers: leadflow's own and any a third party writes.

    A model is a frozen, picklable object.  ``score`` scores one lead from the lead
    and its activities as they stood at ``at`` (activities after ``at`` are
    ignored); ``score_many`` scores a batch.  A model that has nothing faster to
    offer can implement ``score_many`` with :func:`score_each`.
    """

    @property
    def name(self) -> str:
        """The model's name, recorded on every score."""
        ...

    def score(self, lead: Lead, activities: Sequence[Activity] = (), *, at: datetime) -> Score:
        """Score one lead."""
        ...

    def score_many(
        self, leads: Iterable[Lead], activities: BatchActivities = (), *, at: datetime
    ) -> Scores:
        """Score many leads.

        ``activities`` holds any of their activities, matched by ``lead_id``, or a
        mapping of lead ids to their activities (see :func:`group_activities`).
        """
        ...


#: Activities for a batch: any iterable of them, or already grouped by lead id.
BatchActivities = Iterable[Activity] | Mapping[LeadId, Sequence[Activity]]


def group_activities(activities: BatchActivities) -> Mapping[LeadId, Sequence[Activity]]:
    """Activities grouped by their ``lead_id`` (activities without one are left out).

    A mapping is taken as already grouped and returned as it is.
    """
    if isinstance(activities, Mapping):
        return activities
    grouped: dict[LeadId, list[Activity]] = {}
    for activity in activities:
        if activity.lead_id is not None:
            grouped.setdefault(activity.lead_id, []).append(activity)
    return grouped


ScoreFn = Callable[[Lead, Sequence[Activity]], Score]


class Scores(Sequence[Score]):
    """The scores of a batch of leads, in the order the leads were given.

    ``values``, ``bands`` and ``probabilities`` are computed for the whole batch at
    once.  The full :class:`Score` of lead ``i``, with its contributions, is built
    when ``scores[i]`` is first read (and kept): its value is the same number as
    ``values[i]``.
    """

    def __init__(
        self,
        *,
        model: str,
        at: datetime,
        leads: Sequence[Lead],
        activities: Mapping[LeadId, Sequence[Activity]],
        values: Sequence[float],
        bands: Sequence[str | None],
        probabilities: Sequence[float | None] | None = None,
        explain: ScoreFn,
    ) -> None:
        if not len(leads) == len(values) == len(bands):
            raise ValueError("leads, values and bands must have the same length")
        self.model = model
        self.at = at
        self.leads: tuple[Lead, ...] = tuple(leads)
        self.values: tuple[float, ...] = tuple(values)
        self.bands: tuple[str | None, ...] = tuple(bands)
        self.probabilities: tuple[float | None, ...] = (
            (None,) * len(self.values) if probabilities is None else tuple(probabilities)
        )
        self._activities = activities
        self._explain = explain
        self._built: dict[int, Score] = {}

    @classmethod
    def of(
        cls, scores: Sequence[Score], leads: Sequence[Lead], *, model: str, at: datetime
    ) -> Scores:
        """A batch from scores already built."""
        batch = cls(
            model=model,
            at=at,
            leads=leads,
            activities={},
            values=[s.value for s in scores],
            bands=[s.band for s in scores],
            probabilities=[s.probability for s in scores],
            explain=_unreachable,
        )
        batch._built = dict(enumerate(scores))
        return batch

    def __len__(self) -> int:
        return len(self.values)

    @overload
    def __getitem__(self, index: int) -> Score: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Score]: ...
    def __getitem__(self, index: int | slice) -> Score | Sequence[Score]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        i = range(len(self))[index]
        built = self._built.get(i)
        if built is None:
            lead = self.leads[i]
            built = self._built[i] = self._explain(lead, self._activities.get(lead.id, ()))
        return built

    def __iter__(self) -> Iterator[Score]:
        return (self[i] for i in range(len(self)))

    def __repr__(self) -> str:
        return f"<Scores of {len(self)} leads by {self.model!r} at {self.at.isoformat()}>"

    def by_lead(self) -> dict[LeadId, float]:
        """Each lead's value, by lead id."""
        return {lead.id: value for lead, value in zip(self.leads, self.values, strict=True)}

    def records(self) -> list[dict[str, Any]]:
        """One plain record per lead: ``lead_id``, ``value``, ``band`` and ``probability``."""
        return [
            {"lead_id": str(lead.id), "value": value, "band": band, "probability": probability}
            for lead, value, band, probability in zip(
                self.leads, self.values, self.bands, self.probabilities, strict=True
            )
        ]

    def to_frame(self) -> Any:
        """The records as a ``pandas.DataFrame`` (needs pandas)."""
        return to_frame(self.records())


def _unreachable(lead: Lead, activities: Sequence[Activity]) -> Score:  # pragma: no cover
    raise AssertionError("a batch built from scores has every score")


def score_each(
    model: ScoringModel,
    leads: Iterable[Lead],
    activities: BatchActivities = (),
    *,
    at: datetime,
) -> Scores:
    """Score a batch one lead at a time with ``model.score``: a ``score_many`` for any model."""
    leads = list(leads)
    grouped = group_activities(activities)
    scores = [model.score(lead, grouped.get(lead.id, ()), at=at) for lead in leads]
    return Scores.of(scores, leads, model=model.name, at=at)
