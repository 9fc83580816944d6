"""The BANT model: points for Budget, Authority, Need and Timeline as sales assessed them.

Each criterion has a weight (its full points) and a mapping from what was
assessed to a share of those points: authority and need by level, budget by
amount ranges in one currency, timeline by how many days remain until the
prospect means to buy.  A criterion not yet assessed scores 0 and says
"unknown".  :meth:`BantModel.qualification` tells whether the lead meets the
model's qualification rule (enough points, enough criteria known, the required
ones known).

.. code-block:: toml

    type = "bant"
    [authority]
    weight = 25
    values = { decision_maker = 1.0, influencer = 0.6, user = 0.2, none = 0.0 }
    [timeline]
    weight = 25
    ranges = [{ within_days = 90, share = 1.0 }, { within_days = 180, share = 0.5 }]
    [qualify]
    min_points = 50
    required = ["budget", "need"]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

import attrs

from leadflow._config import Reader
from leadflow._fields import to_tuple
from leadflow.activities import Activity
from leadflow.errors import InvalidConfiguration
from leadflow.leads import Lead
from leadflow.scoring._base import Bands
from leadflow.scoring._rules import RuleModel, check_type
from leadflow.values import BANT, Authority, Need

__all__ = ["AmountRange", "BantModel", "Criterion", "DaysRange", "Qualification", "QualifyRule"]


def _share(inst: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise InvalidConfiguration(key=attribute.name, reason="must be within 0..1", value=value)


@attrs.frozen(kw_only=True)
class AmountRange:
    """A budget of at least ``minimum`` earns ``share`` of the criterion's weight."""

    minimum: Decimal = attrs.field(converter=Decimal)
    share: float = attrs.field(validator=_share)


@attrs.frozen(kw_only=True)
class DaysRange:
    """A timeline at most ``within_days`` away earns ``share`` of the criterion's weight."""

    within_days: int
    share: float = attrs.field(validator=_share)


def _by_minimum(value: Iterable[AmountRange]) -> tuple[AmountRange, ...]:
    return tuple(sorted(value, key=lambda r: -r.minimum))


def _by_days(value: Iterable[DaysRange]) -> tuple[DaysRange, ...]:
    return tuple(sorted(value, key=lambda r: r.within_days))


@attrs.frozen(kw_only=True)
class Criterion:
    """How one BANT criterion scores: its ``weight`` and how a value maps to a share.

    ``values`` maps levels (authority, need) to shares; ``amounts`` and
    ``currency`` map a budget; ``days`` maps a timeline, with ``passed`` the share
    for a date already gone.  A value the mapping does not cover earns 0.
    """

    weight: float
    values: Mapping[str, float] = attrs.field(factory=dict)
    amounts: tuple[AmountRange, ...] = attrs.field(default=(), converter=_by_minimum)
    currency: str | None = None
    days: tuple[DaysRange, ...] = attrs.field(default=(), converter=_by_days)
    passed: float = 0.0

    def share_of(self, value: object, at: datetime) -> float:
        """The share of the weight that ``value`` earns."""
        if isinstance(value, Authority | Need):
            return self.values.get(value.value, 0.0)
        if isinstance(value, date):
            left = (value - at.date()).days
            if left < 0:
                return self.passed
            return next((r.share for r in self.days if left <= r.within_days), 0.0)
        amount, currency = value.amount, value.currency  # type: ignore[attr-defined]
        if self.currency is not None and currency != self.currency:
            return 0.0
        return next((r.share for r in self.amounts if amount >= r.minimum), 0.0)

    def share(self, value: object, at: datetime) -> tuple[float, str]:
        """The share of the weight that ``value`` earns, and why."""
        share = self.share_of(value, at)
        if isinstance(value, Authority | Need):
            return share, value.value.replace("_", " ")
        if isinstance(value, date):
            left = (value - at.date()).days
            return share, f"{value.isoformat()} has passed" if left < 0 else f"{left} days away"
        amount, currency = value.amount, value.currency  # type: ignore[attr-defined]
        shown = f"{amount:,} {currency}"
        if self.currency is not None and currency != self.currency:
            return share, f"{shown}: the ranges are in {self.currency}"
        return share, shown

    def to_data(self) -> dict[str, Any]:
        """The criterion as plain data."""
        data: dict[str, Any] = {"weight": self.weight}
        if self.values:
            data["values"] = dict(self.values)
        if self.amounts:
            data["currency"] = self.currency
            data["ranges"] = [{"min": str(r.minimum), "share": r.share} for r in self.amounts]
        if self.days:
            data["ranges"] = [{"within_days": r.within_days, "share": r.share} for r in self.days]
            data["passed"] = self.passed
        return data


_LEVELS: dict[str, type[Authority] | type[Need]] = {"authority": Authority, "need": Need}


def _amount_range(item: Reader) -> AmountRange:
    low = item.raw("min")
    if isinstance(low, bool) or not isinstance(low, int | float | str):
        raise item.fail("min", "must be an amount", low)
    try:
        minimum = Decimal(str(low))
    except ArithmeticError:
        raise item.fail("min", "must be an amount", low) from None
    if not minimum.is_finite():
        raise item.fail("min", "must be a finite amount", low)
    found = AmountRange(minimum=minimum, share=item.number("share", minimum=0, maximum=1))
    item.done()
    return found


def _read_criterion(reader: Reader, name: str) -> Criterion:
    fields: dict[str, Any] = {"weight": reader.number("weight", minimum=0)}
    if name in _LEVELS:
        values = reader.table("values")
        assert values is not None
        levels = {level.value for level in _LEVELS[name]}
        for key in values.data:
            if key not in levels:
                raise values.fail(
                    key, "unknown level; expected one of: " + ", ".join(sorted(levels))
                )
        fields["values"] = {key: values.number(key, minimum=0, maximum=1) for key in values.data}
        if not fields["values"]:
            raise reader.fail("values", "give the share of at least one level")
        values.done()
    elif name == "budget":
        fields["currency"] = reader.text("currency").upper()
        ranges = [_amount_range(item) for item in reader.tables("ranges")]
        if not ranges:
            raise reader.fail("ranges", "give at least one range")
        fields["amounts"] = ranges
    else:
        ranges_days = []
        for item in reader.tables("ranges"):
            ranges_days.append(
                DaysRange(
                    within_days=item.integer("within_days", minimum=0),
                    share=item.number("share", minimum=0, maximum=1),
                )
            )
            item.done()
        if not ranges_days:
            raise reader.fail("ranges", "give at least one range")
        fields["days"] = ranges_days
        fields["passed"] = reader.number("passed", default=0.0, minimum=0, maximum=1)
    reader.done()
    return Criterion(**fields)


@attrs.frozen(kw_only=True)
class QualifyRule:
    """When a lead counts as qualified on BANT: enough points, enough known, required known."""

    min_points: float = 0.0
    min_known: int = 0
    required: tuple[str, ...] = attrs.field(default=(), converter=to_tuple)

    def to_data(self) -> dict[str, Any]:
        """The rule as plain data."""
        return {
            "min_points": self.min_points,
            "min_known": self.min_known,
            "required": list(self.required),
        }


@attrs.frozen(kw_only=True)
class Qualification:
    """Whether a lead meets the BANT qualification rule, and if not, why not."""

    qualified: bool
    reasons: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return self.qualified


def _default_qualify() -> QualifyRule:
    return QualifyRule(min_points=50.0, min_known=3)


def _default_criteria() -> dict[str, Criterion]:
    return {
        "budget": Criterion(
            weight=25,
            currency="USD",
            amounts=(
                AmountRange(minimum=Decimal(50_000), share=1.0),
                AmountRange(minimum=Decimal(10_000), share=0.6),
                AmountRange(minimum=Decimal(0), share=0.2),
            ),
        ),
        "authority": Criterion(
            weight=25,
            values={"decision_maker": 1.0, "influencer": 0.6, "user": 0.2, "none": 0.0},
        ),
        "need": Criterion(weight=25, values={"high": 1.0, "medium": 0.6, "low": 0.2, "none": 0.0}),
        "timeline": Criterion(
            weight=25,
            days=(
                DaysRange(within_days=90, share=1.0),
                DaysRange(within_days=180, share=0.5),
                DaysRange(within_days=365, share=0.25),
            ),
        ),
    }


@attrs.frozen(kw_only=True)
class BantModel(RuleModel):
    """Points for the lead's BANT assessment, out of the sum of the weights.

    The defaults give each criterion 25 points: budget (USD) of 50,000 or more in
    full, authority of a decision maker in full, high need in full, and a timeline
    within 90 days in full (shares for the rest); qualified from 50 points with at
    least 3 criteria known.
    """

    TYPE: ClassVar[str] = "bant"

    name: str = "bant"
    criteria: Mapping[str, Criterion] = attrs.field(factory=_default_criteria)
    qualify: QualifyRule = attrs.field(factory=_default_qualify)
    bands: Bands = attrs.field(factory=Bands)

    def __attrs_post_init__(self) -> None:
        for name in self.criteria:
            if name not in BANT.CRITERIA:
                raise InvalidConfiguration(
                    key=name, reason="not a BANT criterion; expected " + ", ".join(BANT.CRITERIA)
                )
        for i, name in enumerate(self.qualify.required):
            if name not in BANT.CRITERIA:
                raise InvalidConfiguration(
                    key=f"qualify.required[{i}]",
                    reason="not a BANT criterion; expected " + ", ".join(BANT.CRITERIA),
                    value=name,
                )

    def parts(
        self,
        lead: Lead,
        activities: Sequence[Activity] = (),
        *,
        at: datetime,
        explain: bool = True,
    ) -> list[tuple[str, float, str]]:
        """(criterion, points, reason) for each criterion the model weighs."""
        parts = []
        bant = lead.bant
        for name, criterion in self.criteria.items():
            assessment = getattr(bant, name)
            if assessment is None:
                parts.append((name, 0.0, "unknown"))
                continue
            share, why = criterion.share(assessment.value, at)
            points = criterion.weight * share
            reason = f"{why}: {share:g} of {criterion.weight:g}" if explain else ""
            parts.append((name, points, reason))
        return parts

    def points(
        self, lead: Lead, activities: Sequence[Activity] = (), *, at: datetime
    ) -> list[float]:
        """The points of the criteria assessed (the fast path)."""
        bant = lead.bant
        found = []
        for name, criterion in self.criteria.items():
            assessment = getattr(bant, name)
            if assessment is not None:
                found.append(criterion.weight * criterion.share_of(assessment.value, at))
        return found

    def qualification(self, lead: Lead, *, at: datetime) -> Qualification:
        """Whether the lead meets :attr:`qualify`, with every reason it does not."""
        rule = self.qualify
        reasons = []
        known = lead.bant.known
        missing = [name for name in rule.required if name not in known]
        if missing:
            reasons.append("not assessed: " + ", ".join(missing))
        if len(known) < rule.min_known:
            reasons.append(f"{len(known)} of 4 criteria assessed, needs {rule.min_known}")
        points = self.value(lead, at=at)
        if points < rule.min_points:
            reasons.append(f"{points:g} points, needs {rule.min_points:g}")
        return Qualification(qualified=not reasons, reasons=tuple(reasons))

    def to_dict(self) -> dict[str, Any]:
        """The model as plain data."""
        data: dict[str, Any] = {"type": self.TYPE, "name": self.name}
        if self.bands:
            data["bands"] = self.bands.to_data()
        for name, criterion in self.criteria.items():
            data[name] = criterion.to_data()
        data["qualify"] = self.qualify.to_data()
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BantModel:
        """Build the model from plain data; criteria left out are not weighed."""
        reader = Reader(data, "$")
        check_type(reader, cls.TYPE)
        criteria = {}
        for name in BANT.CRITERIA:
            table = reader.table(name, required=False)
            if table is not None:
                criteria[name] = _read_criterion(table, name)
        if not criteria:
            raise reader.fail("budget", "weigh at least one of " + ", ".join(BANT.CRITERIA))
        qualify = reader.table("qualify", required=False)
        rule = _default_qualify()
        if qualify is not None:
            required = qualify.texts("required", required=False)
            rule = QualifyRule(
                min_points=qualify.number("min_points", default=0.0),
                min_known=qualify.integer("min_known", default=0, minimum=0),
                required=required,
            )
            qualify.done()
        model = cls(
            name=reader.optional_text("name") or cls.TYPE,
            criteria=criteria,
            qualify=rule,
            bands=Bands.from_data(reader.raw("bands"), "bands"),
        )
        reader.done()
        return model
