"""Evaluating scoring models: ranking, probability and business metrics, and backtest splits.

Every metric takes plain sequences (lists, tuples, numpy arrays, pandas Series) of
outcomes (``True``/``False`` or ``1``/``0``: did the lead convert?) and of scores or
probabilities, so that analysts can use them on any numbers, not only on leadflow
models.  :func:`evaluate` scores a list of :class:`~leadflow.scoring.Example` with a
model and gathers them all in one :class:`Evaluation`.

- Ranking: :func:`roc_auc`.
- Probabilities: :func:`log_loss`, :func:`brier_score`, :func:`calibration_table`.
- What sales sees: :func:`lift_table` (deciles, gains), :func:`conversion_by_band`,
  :func:`threshold_analysis` (workload against yield at each cut-off).
- Backtesting: :func:`time_split`, :func:`stratified_split`.

Each table is a frozen object holding ``rows``; ``records()`` gives plain dicts,
``to_frame()`` a ``pandas.DataFrame`` (needs pandas) and ``str()`` aligned columns.
Bad input raises :class:`ValueError` naming the argument, the index and the value.
"""

from __future__ import annotations

import bisect
import math
import numbers
import random
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Literal

import attrs

from leadflow._frames import Table, cell
from leadflow.scoring._base import Example, ScoringModel

__all__ = [
    "BandRow",
    "BandTable",
    "CalibrationRow",
    "CalibrationTable",
    "Evaluation",
    "LiftRow",
    "LiftTable",
    "ThresholdRow",
    "ThresholdTable",
    "brier_score",
    "calibration_table",
    "conversion_by_band",
    "evaluate",
    "lift_table",
    "log_loss",
    "roc_auc",
    "stratified_split",
    "threshold_analysis",
    "time_split",
]

#: The band label that stands for leads without a band.
NO_BAND = "(none)"

# ------------------------------------------------------------ checking input


def _outcomes(values: Sequence[bool], name: str = "outcomes") -> list[bool]:
    result: list[bool] = []
    for i, value in enumerate(values):
        if value is True or value is False:
            result.append(value)
        elif not isinstance(value, str | bytes) and value in (0, 1):
            result.append(bool(value))
        else:
            raise ValueError(f"{name}[{i}] is {value!r}; must be True or False (or 1 or 0)")
    return result


def _numbers(values: Sequence[float], name: str) -> list[float]:
    result: list[float] = []
    for i, value in enumerate(values):
        number = float(value) if isinstance(value, numbers.Real) else math.nan
        if not math.isfinite(number):
            raise ValueError(f"{name}[{i}] is {value!r}; must be a finite number")
        result.append(number)
    return result


def _probabilities(values: Sequence[float], name: str = "probabilities") -> list[float]:
    result: list[float] = []
    for i, value in enumerate(values):
        number = float(value) if isinstance(value, numbers.Real) else math.nan
        if not 0.0 <= number <= 1.0:
            raise ValueError(f"{name}[{i}] is {value!r}; must be a probability between 0 and 1")
        result.append(number)
    return result


def _check_lengths(outcomes: Sequence[Any], other: Sequence[Any], name: str) -> None:
    if len(outcomes) != len(other):
        raise ValueError(
            f"outcomes and {name} have different lengths ({len(outcomes)} and {len(other)})"
        )
    if not len(outcomes):
        raise ValueError(f"outcomes and {name} are empty")


def _scored(outcomes: Sequence[bool], scores: Sequence[float]) -> tuple[list[bool], list[float]]:
    _check_lengths(outcomes, scores, "scores")
    return _outcomes(outcomes), _numbers(scores, "scores")


def _predicted(
    outcomes: Sequence[bool], probabilities: Sequence[float]
) -> tuple[list[bool], list[float]]:
    _check_lengths(outcomes, probabilities, "probabilities")
    return _outcomes(outcomes), _probabilities(probabilities)


def _count(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} is {value!r}; must be a whole number of at least 1")
    return value


def _fraction(value: float, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < value < 1:
        raise ValueError(f"{name} is {value!r}; must be between 0 and 1 (both excluded)")
    return float(value)


def _aware(value: datetime, name: str) -> None:
    if value.utcoffset() is None:
        raise ValueError(f"{name} is a naive datetime ({value}); give it a time zone")


def _round_half_up(value: float) -> int:
    return math.floor(value + 0.5)


def _ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``, or NaN (undefined) when the denominator is 0."""
    return numerator / denominator if denominator else math.nan


# ---------------------------------------------------------------- the metrics


def roc_auc(outcomes: Sequence[bool], scores: Sequence[float]) -> float:
    """The area under the ROC curve: the chance that a converted lead outscores one that did not.

    Computed from ranks as the Mann-Whitney statistic (Hanley & McNeil 1982,
    *Radiology* 143:29-36)::

        AUC = (R_pos - n_pos (n_pos + 1) / 2) / (n_pos * n_neg)

    where ``R_pos`` is the sum of the ranks (1 = lowest score) of the converted
    leads.  Tied scores share the average of their ranks, so a tied pair of a
    converted and an unconverted lead counts 1/2.  1 is a perfect ranking, 0.5 no
    better than chance, 0 a perfectly reversed one.  O(n log n).

    Raises :class:`ValueError` when the lengths differ, the sequences are empty, a
    score is not a finite number, or only one class of outcome is present.
    """
    ys, xs = _scored(outcomes, scores)
    n = len(ys)
    n_pos = sum(ys)
    n_neg = n - n_pos
    if not n_pos or not n_neg:
        raise ValueError(
            f"roc_auc needs converted and unconverted leads; all {n} outcomes are "
            f"{bool(n_pos)} (only one class present)"
        )
    order = sorted(range(n), key=xs.__getitem__)
    # Twice the rank sum, in integers: a tie group at (0-based) positions i..j has
    # average rank (i + 1 + j + 1) / 2.  One division at the end keeps AUC exact.
    twice_rank_sum = 0
    i = 0
    while i < n:
        j = i
        while j + 1 < n and xs[order[j + 1]] == xs[order[i]]:
            j += 1
        positives = sum(ys[order[k]] for k in range(i, j + 1))
        twice_rank_sum += positives * (i + j + 2)
        i = j + 1
    return (twice_rank_sum - n_pos * (n_pos + 1)) / (2 * n_pos * n_neg)


def log_loss(
    outcomes: Sequence[bool], probabilities: Sequence[float], *, eps: float = 1e-15
) -> float:
    """The mean negative log-likelihood of the outcomes under the probabilities (lower is better).

    ::

        log loss = -(1/n) * sum(y_i * ln(p_i) + (1 - y_i) * ln(1 - p_i))

    with each ``p_i`` clipped to ``[eps, 1 - eps]`` so that a confident miss costs
    a large but finite amount.  This is the logarithmic scoring rule (Good 1952,
    *J. R. Stat. Soc. B* 14:107-114), a proper score: it is best in expectation
    when the probabilities are the true ones.

    Raises :class:`ValueError` for lengths that differ, empty input, a probability
    outside [0, 1] (naming its index and value) or ``eps`` outside (0, 0.5).
    """
    if not (isinstance(eps, numbers.Real) and 0 < eps < 0.5):
        raise ValueError(f"eps is {eps!r}; must be between 0 and 0.5 (both excluded)")
    ys, ps = _predicted(outcomes, probabilities)
    low, high = float(eps), 1.0 - float(eps)
    losses = (
        -math.log(clipped) if y else -math.log1p(-clipped)
        for y, clipped in ((y, min(max(p, low), high)) for y, p in zip(ys, ps, strict=True))
    )
    return math.fsum(losses) / len(ys)


def brier_score(outcomes: Sequence[bool], probabilities: Sequence[float]) -> float:
    """The mean squared difference between the probabilities and the outcomes (lower is better).

    ::

        Brier = (1/n) * sum((p_i - y_i) ** 2)

    with ``y_i`` 1 for a converted lead and 0 otherwise (Brier 1950, *Monthly
    Weather Review* 78:1-3).  0 is perfect; always predicting 0.5 scores 0.25.

    Raises :class:`ValueError` for lengths that differ, empty input or a
    probability outside [0, 1] (naming its index and value).
    """
    ys, ps = _predicted(outcomes, probabilities)
    return math.fsum((p - y) ** 2 for y, p in zip(ys, ps, strict=True)) / len(ys)


# ------------------------------------------------------------------ lift table


@attrs.frozen(kw_only=True)
class LiftRow:
    """One group of a :class:`LiftTable` (group 1 holds the highest scores)."""

    #: The group's number: 1 for the highest scores.
    group: int
    #: How many leads the group holds.
    leads: int
    #: How many of them converted.
    converted: int
    #: ``converted / leads``.
    rate: float
    #: ``rate / overall rate``: how many times better than picking at random.
    lift: float
    #: Leads in this group and all higher ones.
    cumulative_leads: int
    #: Conversions in this group and all higher ones.
    cumulative_converted: int
    #: ``cumulative_converted / all conversions``: the share captured so far.
    gain: float
    #: ``(cumulative_converted / cumulative_leads) / overall rate``.
    cumulative_lift: float
    #: The lowest score in the group.
    min_score: float
    #: The highest score in the group.
    max_score: float


@attrs.frozen(kw_only=True)
class LiftTable(Table[LiftRow]):
    """Conversion by score group (deciles by default), highest first; see :func:`lift_table`."""

    _row = LiftRow


def lift_table(outcomes: Sequence[bool], scores: Sequence[float], *, groups: int = 10) -> LiftTable:
    """Leads ranked by score and cut into ``groups`` near-equal groups: lift and cumulative gains.

    The leads are sorted by score, highest first (a stable sort: tied leads keep
    their input order, so the table is deterministic), and split into ``groups``
    groups whose sizes differ by at most one (the larger ones first); with fewer
    leads than groups, each lead is a group.  For each group::

        rate            = converted / leads
        lift            = rate / overall rate
        gain            = cumulative converted / all converted
        cumulative_lift = (cumulative converted / cumulative leads) / overall rate

    These are the lift and gains charts of direct marketing (Ling & Li 1998,
    *Data Mining for Direct Marketing: Problems and Solutions*, KDD-98): a top
    decile with lift 3 converts at three times the average rate.

    Raises :class:`ValueError` for lengths that differ, empty input, a score that
    is not finite, ``groups`` below 1, or no conversion at all (lift is undefined).
    """
    ys, xs = _scored(outcomes, scores)
    _count(groups, "groups")
    n = len(ys)
    total = sum(ys)
    if not total:
        raise ValueError(
            f"lift_table needs at least one conversion; none of the {n} outcomes is True"
        )
    order = sorted(range(n), key=lambda i: -xs[i])
    k = min(groups, n)
    size, larger = divmod(n, k)
    rows: list[LiftRow] = []
    start = cumulative_leads = cumulative_converted = 0
    for g in range(k):
        members = order[start : start + size + (g < larger)]
        start += len(members)
        converted = sum(ys[i] for i in members)
        cumulative_leads += len(members)
        cumulative_converted += converted
        rows.append(
            LiftRow(
                group=g + 1,
                leads=len(members),
                converted=converted,
                rate=converted / len(members),
                # In integers first, so that each figure is rounded once.
                lift=converted * n / (len(members) * total),
                cumulative_leads=cumulative_leads,
                cumulative_converted=cumulative_converted,
                gain=cumulative_converted / total,
                cumulative_lift=cumulative_converted * n / (cumulative_leads * total),
                min_score=xs[members[-1]],
                max_score=xs[members[0]],
            )
        )
    return LiftTable(rows=rows)


# ----------------------------------------------------------- calibration table


@attrs.frozen(kw_only=True)
class CalibrationRow:
    """One bin of a :class:`CalibrationTable`."""

    #: The bin's lower edge (included).
    low: float
    #: The bin's upper edge (excluded, except for the last bin).
    high: float
    #: How many leads the bin holds.
    leads: int
    #: The mean predicted probability of those leads.
    mean_predicted: float
    #: The share of them that converted.
    observed_rate: float


@attrs.frozen(kw_only=True)
class CalibrationTable(Table[CalibrationRow]):
    """Predicted against observed conversion by probability bin; see :func:`calibration_table`."""

    _row = CalibrationRow

    @property
    def expected_calibration_error(self) -> float:
        """The lead-weighted mean gap between observed and predicted rates.

        ``ECE = sum(leads_b * |observed_rate_b - mean_predicted_b|) / sum(leads_b)``
        over the bins (Naeini, Cooper & Hauskrecht 2015, AAAI).  0 is perfectly
        calibrated; NaN for a table without rows.
        """
        total = sum(row.leads for row in self.rows)
        gaps = math.fsum(
            row.leads * abs(row.observed_rate - row.mean_predicted) for row in self.rows
        )
        return _ratio(gaps, total)


def _quantile(ordered: Sequence[float], q: float) -> float:
    """The ``q`` quantile of ascending ``ordered``, interpolated linearly (Hyndman & Fan type 7)."""
    position = (len(ordered) - 1) * q
    below = math.floor(position)
    if below + 1 >= len(ordered):
        return ordered[-1]
    return ordered[below] + (position - below) * (ordered[below + 1] - ordered[below])


def calibration_table(
    outcomes: Sequence[bool],
    probabilities: Sequence[float],
    *,
    bins: int = 10,
    strategy: Literal["uniform", "quantile"] = "uniform",
) -> CalibrationTable:
    """A reliability table: in each probability bin, the mean prediction against the observed rate.

    ``strategy="uniform"`` cuts [0, 1] into ``bins`` bins of equal width;
    ``"quantile"`` puts the edges at the quantiles ``k / bins`` of the
    probabilities (linear interpolation, Hyndman & Fan 1996 type 7; repeated edges
    merged), so the bins hold about as many leads each.  Bins are ``[low, high)``,
    the last one ``[low, high]``; empty bins are left out.  For each bin::

        mean_predicted = mean of p_i in the bin
        observed_rate  = converted / leads in the bin

    A calibrated model has the two close in every bin (Niculescu-Mizil & Caruana
    2005, *Predicting Good Probabilities with Supervised Learning*, ICML);
    :attr:`CalibrationTable.expected_calibration_error` sums up the gaps.

    Raises :class:`ValueError` for lengths that differ, empty input, a probability
    outside [0, 1], ``bins`` below 1 or an unknown ``strategy``.
    """
    ys, ps = _predicted(outcomes, probabilities)
    _count(bins, "bins")
    if strategy == "uniform":
        edges = [k / bins for k in range(bins + 1)]
    elif strategy == "quantile":
        ordered = sorted(ps)
        edges = sorted({_quantile(ordered, k / bins) for k in range(bins + 1)})
        if len(edges) == 1:
            edges *= 2
    else:
        raise ValueError(f"strategy is {strategy!r}; must be 'uniform' or 'quantile'")
    last = len(edges) - 2
    members: dict[int, list[int]] = {}
    for i, p in enumerate(ps):
        b = min(max(bisect.bisect_right(edges, p) - 1, 0), last)
        members.setdefault(b, []).append(i)
    rows = [
        CalibrationRow(
            low=edges[b],
            high=edges[b + 1],
            leads=len(members[b]),
            mean_predicted=math.fsum(ps[i] for i in members[b]) / len(members[b]),
            observed_rate=sum(ys[i] for i in members[b]) / len(members[b]),
        )
        for b in sorted(members)
    ]
    return CalibrationTable(rows=rows)


# ---------------------------------------------------------- conversion by band


@attrs.frozen(kw_only=True)
class BandRow:
    """One band of a :class:`BandTable`."""

    #: The band's name; ``"(none)"`` for leads without a band.
    band: str
    #: How many leads are in the band.
    leads: int
    #: How many of them converted.
    converted: int
    #: ``converted / leads`` (NaN for a band without leads).
    rate: float
    #: ``leads / all leads``.
    share_of_leads: float
    #: ``converted / all conversions`` (NaN when nothing converted).
    share_of_conversions: float


@attrs.frozen(kw_only=True)
class BandTable(Table[BandRow]):
    """Conversion by score band or grade; see :func:`conversion_by_band`."""

    _row = BandRow


def conversion_by_band(
    outcomes: Sequence[bool],
    bands: Sequence[str | None],
    *,
    order: Sequence[str] | None = None,
) -> BandTable:
    """How many leads each band holds and how well they convert.

    One row per band, with ``rate = converted / leads``, ``share_of_leads = leads /
    n`` and ``share_of_conversions = converted / all conversions``.  Leads without
    a band (``None``) are shown as ``"(none)"``.  Rows follow ``order`` when given
    (a band named there but without leads gets a row of zeros, bands not named
    follow in order of first appearance), else the order of first appearance.

    Raises :class:`ValueError` for lengths that differ, empty input, a band that is
    neither a string nor ``None``, or a band named twice in ``order``.
    """
    _check_lengths(outcomes, bands, "bands")
    ys = _outcomes(outcomes)
    counts: dict[str, list[int]] = {}
    for i, (y, band) in enumerate(zip(ys, bands, strict=True)):
        if band is not None and not isinstance(band, str):
            raise ValueError(f"bands[{i}] is {band!r}; must be a string or None")
        count = counts.setdefault(NO_BAND if band is None else band, [0, 0])
        count[0] += 1
        count[1] += y
    names = list(counts)
    if order is not None:
        wanted = list(order)
        for i, name in enumerate(wanted):
            if not isinstance(name, str):
                raise ValueError(f"order[{i}] is {name!r}; must be a band name")
            if name in wanted[:i]:
                raise ValueError(f"order[{i}] names band {name!r} a second time")
        names = wanted + [name for name in names if name not in wanted]
    n, total = len(ys), sum(ys)
    rows = []
    for name in names:
        leads, converted = counts.get(name, (0, 0))
        rows.append(
            BandRow(
                band=name,
                leads=leads,
                converted=converted,
                rate=_ratio(converted, leads),
                share_of_leads=leads / n,
                share_of_conversions=_ratio(converted, total),
            )
        )
    return BandTable(rows=rows)


# --------------------------------------------------------- threshold analysis


@attrs.frozen(kw_only=True)
class ThresholdRow:
    """What sending every lead scoring at or above ``threshold`` to sales gives."""

    #: The cut-off: leads with a score at or above it are sent.
    threshold: float
    #: How many leads are sent (the workload).
    leads_sent: int
    #: How many of those converted.
    converted_sent: int
    #: ``converted_sent / leads_sent``: precision, the yield per lead worked.
    conversion_rate: float
    #: ``converted_sent / all conversions``: recall, the share of the wins reached.
    share_of_conversions: float
    #: How many leads stay below the cut-off.
    leads_held_back: int
    #: How many of those converted anyway (the wins missed).
    converted_held_back: int


@attrs.frozen(kw_only=True)
class ThresholdTable(Table[ThresholdRow]):
    """Workload against yield at each cut-off, highest first; see :func:`threshold_analysis`."""

    _row = ThresholdRow

    def best(self, *, min_rate: float) -> ThresholdRow | None:
        """The row that sends the most leads while converting at ``min_rate`` or better.

        ``None`` when no cut-off reaches ``min_rate``.
        """
        good = [row for row in self.rows if row.conversion_rate >= min_rate]
        return max(good, key=lambda row: row.leads_sent, default=None)


def threshold_analysis(
    outcomes: Sequence[bool],
    scores: Sequence[float],
    *,
    thresholds: Sequence[float] | None = None,
    count: int = 10,
) -> ThresholdTable:
    """For each cut-off, the leads sent to sales (score >= cut-off) and how they convert.

    At a cut-off ``t``::

        leads_sent           = #{i : score_i >= t}
        conversion_rate      = converted_sent / leads_sent      (precision)
        share_of_conversions = converted_sent / all converted   (recall)

    so a sales leader can weigh workload against yield: 50 leads converting at 25%
    give as many wins as 100 at 12.5%, for half the calls.  Without
    ``thresholds`` the cut-offs are ``count`` score quantiles that are actual
    scores: for ``k = 1 .. count``, the score of the ``ceil(k * n / count)``-th
    highest lead, so that about the top ``k / count`` of the leads are sent (ties
    at the cut-off are all sent).  Cut-offs are deduplicated and listed highest
    first.  A rate over no leads, or a share of no conversions, is NaN.

    Raises :class:`ValueError` for lengths that differ, empty input, a score that
    is not finite, a threshold that is NaN or not a number, or ``count`` below 1.
    """
    ys, xs = _scored(outcomes, scores)
    n, total = len(ys), sum(ys)
    if thresholds is None:
        _count(count, "count")
        descending = sorted(xs, reverse=True)
        cuts = {descending[-(-k * n // count) - 1] for k in range(1, count + 1)}
    else:
        cuts = set()
        for i, value in enumerate(thresholds):
            cut = float(value) if isinstance(value, numbers.Real) else math.nan
            if math.isnan(cut):
                raise ValueError(f"thresholds[{i}] is {value!r}; must be a number")
            cuts.add(cut)
    order = sorted(range(n), key=xs.__getitem__)
    ascending = [xs[i] for i in order]
    # converted_above[j]: conversions among the leads at ascending positions j and up.
    converted_above = [0] * (n + 1)
    for j in range(n - 1, -1, -1):
        converted_above[j] = converted_above[j + 1] + ys[order[j]]
    rows = []
    for cut in sorted(cuts, reverse=True):
        first = bisect.bisect_left(ascending, cut)
        sent, won = n - first, converted_above[first]
        rows.append(
            ThresholdRow(
                threshold=cut,
                leads_sent=sent,
                converted_sent=won,
                conversion_rate=_ratio(won, sent),
                share_of_conversions=_ratio(won, total),
                leads_held_back=first,
                converted_held_back=total - won,
            )
        )
    return ThresholdTable(rows=rows)


# -------------------------------------------------------------------- splits


def _known_at(example: Example) -> datetime:
    return example.at if example.at is not None else example.lead.created_at


def time_split(
    examples: Sequence[Example],
    *,
    at: datetime | None = None,
    fraction: float | None = None,
    key: Callable[[Example], datetime] | None = None,
) -> tuple[list[Example], list[Example]]:
    """Split examples in time, ``(train, test)``: train strictly before the cut, test at or after.

    Examples are ordered by ``key`` (default: the example's ``at``, or its lead's
    ``created_at`` when ``at`` is ``None``); both parts come back in that order
    (ties in input order).  Give exactly one of:

    - ``at``: the cut itself (an aware datetime);
    - ``fraction``: the share of examples, the latest ones, that form the test
      part; the cut is the time of the first of them, so examples tied with it go
      to the test part too and train never shares a time with test.

    Testing on what came after the training data is out-of-time validation, the
    honest backtest for a model that will score future leads (Hyndman &
    Athanasopoulos, *Forecasting: Principles and Practice*, "evaluation on a
    rolling forecasting origin").

    Raises :class:`ValueError` for no examples, both or neither of ``at`` and
    ``fraction``, a naive ``at``, a fraction outside (0, 1), or an empty part.
    """
    items = list(examples)
    if not items:
        raise ValueError("examples is empty; time_split needs examples to split")
    if at is not None and fraction is not None:
        raise ValueError("give exactly one of at= and fraction=, not both")
    when = _known_at if key is None else key
    keys = [when(example) for example in items]
    order = sorted(range(len(items)), key=keys.__getitem__)
    ordered_keys = [keys[i] for i in order]
    if fraction is not None:
        share = _fraction(fraction, "fraction")
        n_test = _round_half_up(len(items) * share)
        if not 0 < n_test < len(items):
            part = "test" if n_test == 0 else "train"
            raise ValueError(
                f"the {part} part is empty: fraction={fraction!r} of {len(items)} examples "
                f"puts {n_test} in the test part"
            )
        cut = ordered_keys[len(items) - n_test]
    elif at is not None:
        _aware(at, "at")
        cut = at
    else:
        raise ValueError("give exactly one of at= and fraction=; neither was given")
    split = bisect.bisect_left(ordered_keys, cut)
    if split == 0:
        raise ValueError(f"the train part is empty: no example is before {cut.isoformat()}")
    if split == len(items):
        raise ValueError(f"the test part is empty: no example is at or after {cut.isoformat()}")
    return [items[i] for i in order[:split]], [items[i] for i in order[split:]]


def stratified_split(
    examples: Sequence[Example],
    *,
    test_fraction: float = 0.2,
    seed: int,
    outcome: Callable[[Example], bool] | None = None,
) -> tuple[list[Example], list[Example]]:
    """Split examples at random, ``(train, test)``, keeping the conversion rate in both parts.

    Each class (converted or not, by ``outcome``, default ``example.converted``)
    is shuffled with ``random.Random(seed)`` and ``round(class size *
    test_fraction)`` of it (halves rounded up) goes to the test part, so each
    part's class counts are within half an example of the target and the same
    seed always gives the same split.  Both parts keep the input order.
    Stratifying keeps a rare outcome from being over- or under-represented in
    the test part by chance (Kohavi 1995, IJCAI, on stratified cross-validation).

    Raises :class:`ValueError` for no examples, a fraction outside (0, 1), or a
    part left empty.
    """
    items = list(examples)
    if not items:
        raise ValueError("examples is empty; stratified_split needs examples to split")
    share = _fraction(test_fraction, "test_fraction")
    outcome_of = outcome if outcome is not None else (lambda example: example.converted)
    labels = [bool(outcome_of(example)) for example in items]
    rng = random.Random(seed)
    test: set[int] = set()
    for label in (True, False):
        members = [i for i, value in enumerate(labels) if value is label]
        rng.shuffle(members)
        test.update(members[: _round_half_up(len(members) * share)])
    if not test or len(test) == len(items):
        part = "test" if not test else "train"
        raise ValueError(
            f"the {part} part is empty: test_fraction={test_fraction!r} of {len(items)} examples "
            f"puts {len(test)} in the test part"
        )
    train_part = [example for i, example in enumerate(items) if i not in test]
    test_part = [example for i, example in enumerate(items) if i in test]
    return train_part, test_part


# ------------------------------------------------------------------ evaluate


@attrs.frozen(kw_only=True)
class Evaluation:
    """How well a model scored a set of examples: see :func:`evaluate`.

    ``log_loss``, ``brier`` and ``calibration`` are ``None`` unless the model gave
    every example a probability; ``by_band`` is ``None`` unless it gave bands.
    """

    #: The name of the model evaluated.
    model: str
    #: How many examples were scored.
    leads: int
    #: How many of them converted.
    converted: int
    #: ``converted / leads``.
    base_rate: float
    #: The area under the ROC curve (:func:`roc_auc`).
    auc: float
    #: The log loss of the probabilities (:func:`log_loss`).
    log_loss: float | None = None
    #: The Brier score of the probabilities (:func:`brier_score`).
    brier: float | None = None
    #: The reliability table of the probabilities (:func:`calibration_table`).
    calibration: CalibrationTable | None = None
    #: Lift and gains by score group (:func:`lift_table`).
    lift: LiftTable
    #: Workload against yield by cut-off (:func:`threshold_analysis`).
    thresholds: ThresholdTable
    #: Conversion by band (:func:`conversion_by_band`).
    by_band: BandTable | None = None

    def summary(self) -> list[dict[str, Any]]:
        """The headline figures as plain records: ``model``, ``metric`` and ``value``.

        The metrics are ``leads``, ``converted``, ``base_rate``, ``auc``,
        ``top_group_lift`` and, for models with probabilities, ``log_loss``,
        ``brier`` and ``expected_calibration_error``.  Records of several models
        concatenate into one frame for comparison.
        """
        figures: list[tuple[str, float]] = [
            ("leads", self.leads),
            ("converted", self.converted),
            ("base_rate", self.base_rate),
            ("auc", self.auc),
        ]
        if self.log_loss is not None:
            figures.append(("log_loss", self.log_loss))
        if self.brier is not None:
            figures.append(("brier", self.brier))
        if self.calibration is not None:
            figures.append(
                ("expected_calibration_error", self.calibration.expected_calibration_error)
            )
        figures.append(("top_group_lift", self.lift.rows[0].lift))
        return [{"model": self.model, "metric": name, "value": value} for name, value in figures]

    def __str__(self) -> str:
        title = (
            f"Evaluation of {self.model!r} on {self.leads} leads, {self.converted} converted "
            f"(base rate {self.base_rate:.4f})"
        )
        lines = [title, ""]
        figures = [("AUC", self.auc), ("log loss", self.log_loss), ("Brier score", self.brier)]
        if self.calibration is not None:
            figures.append(
                ("expected calibration error", self.calibration.expected_calibration_error)
            )
        shown = [(name, value) for name, value in figures if value is not None]
        width = max(len(name) for name, _ in shown)
        lines += [f"{name:<{width}}  {cell(value)}" for name, value in shown]
        lines += ["", "Lift by score group (1 = highest scores):", str(self.lift)]
        if self.by_band is not None:
            lines += ["", "Conversion by band:", str(self.by_band)]
        return "\n".join(lines)


def _batchable(examples: Sequence[Example]) -> bool:
    """Whether ``score_many`` can tell the examples' activities apart by lead id."""
    ids = [example.lead.id for example in examples]
    if len(set(ids)) != len(ids):
        return False
    return all(
        activity.lead_id == example.lead.id
        for example in examples
        for activity in example.activities
    )


def _score_all(
    model: ScoringModel, examples: Sequence[Example], whens: Sequence[datetime]
) -> list[tuple[float, str | None, float | None]]:
    """Each example's value, band and probability, batching examples scored at the same time."""
    groups: dict[datetime, list[int]] = {}
    for i, when in enumerate(whens):
        groups.setdefault(when, []).append(i)
    scored: dict[int, tuple[float, str | None, float | None]] = {}
    for when, members in groups.items():
        batch = [examples[i] for i in members]
        if len(batch) > 1 and _batchable(batch):
            scores = model.score_many(
                [example.lead for example in batch],
                [activity for example in batch for activity in example.activities],
                at=when,
            )
            if len(scores) != len(batch):
                raise ValueError(
                    f"model {model.name!r} returned {len(scores)} scores for {len(batch)} leads"
                )
            for j, i in enumerate(members):
                scored[i] = (scores.values[j], scores.bands[j], scores.probabilities[j])
        else:
            for i, example in zip(members, batch, strict=True):
                score = model.score(example.lead, example.activities, at=when)
                scored[i] = (score.value, score.band, score.probability)
    return [scored[i] for i in range(len(examples))]


def _band_order(bands: Sequence[str | None], values: Sequence[float]) -> list[str]:
    """Band names by their mean score, highest first; ``"(none)"`` last."""
    totals: dict[str, list[float]] = {}
    for band, value in zip(bands, values, strict=True):
        if band is not None:
            totals.setdefault(band, []).append(value)
    named = sorted(totals, key=lambda band: -math.fsum(totals[band]) / len(totals[band]))
    return [*named, NO_BAND] if None in bands else named


def evaluate(
    model: ScoringModel,
    examples: Sequence[Example],
    *,
    at: datetime | None = None,
    groups: int = 10,
) -> Evaluation:
    """Score every example with ``model`` and measure the scores against the outcomes.

    Each example is scored at its own ``at``, or at ``at`` when it has none.
    Examples scored at the same time go to ``model.score_many`` together (one call
    when they all share one time); an example alone at its time goes to
    ``model.score``.  The :class:`Evaluation` holds the AUC, the lift table (in
    ``groups`` groups), the threshold analysis, and, when every score has a
    probability, the log loss, Brier score and calibration table; when scores have
    bands, the conversion by band, bands ordered by their mean score, highest first.

    Raises :class:`ValueError` for no examples, an example with no time to be
    scored at (its ``at`` and ``at=`` both ``None``), a naive ``at``, or outcomes
    of a single class (AUC is undefined).
    """
    items = list(examples)
    if not items:
        raise ValueError("examples is empty; evaluate needs examples to score")
    if at is not None:
        _aware(at, "at")
    whens: list[datetime] = []
    for i, example in enumerate(items):
        when = example.at if example.at is not None else at
        if when is None:
            raise ValueError(f"examples[{i}] has no at and no at= was given; say when to score it")
        whens.append(when)
    scored = _score_all(model, items, whens)
    outcomes = [example.converted for example in items]
    values = [value for value, _, _ in scored]
    bands = [band for _, band, _ in scored]
    probabilities = [probability for _, _, probability in scored]
    converted = sum(outcomes)
    auc = roc_auc(outcomes, values)
    known = [p for p in probabilities if p is not None]
    has_probabilities = len(known) == len(items)
    return Evaluation(
        model=model.name,
        leads=len(items),
        converted=converted,
        base_rate=converted / len(items),
        auc=auc,
        log_loss=log_loss(outcomes, known) if has_probabilities else None,
        brier=brier_score(outcomes, known) if has_probabilities else None,
        calibration=calibration_table(outcomes, known) if has_probabilities else None,
        lift=lift_table(outcomes, values, groups=groups),
        thresholds=threshold_analysis(outcomes, values),
        by_band=(
            conversion_by_band(outcomes, bands, order=_band_order(bands, values))
            if any(band is not None for band in bands)
            else None
        ),
    )
