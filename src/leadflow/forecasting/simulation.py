"""Won-revenue ranges: the distribution of the revenue a set of open deals brings in.

Each open deal ``i`` has an amount ``a_i`` and a probability ``p_i`` of being won, and
deals are won independently of each other.  The revenue won is then the sum of
independent Bernoulli amounts, ``X = sum(a_i * B_i)`` with ``B_i ~ Bernoulli(p_i)``: a
*Poisson-binomial* sum when all amounts are equal, a weighted one in general.  Its mean
and variance are known exactly,

::

    E[X]   = sum(a_i * p_i)
    Var[X] = sum(a_i**2 * p_i * (1 - p_i))

but its quantiles (P10, P50, P90) and the chance of reaching a quota are not, and
:func:`revenue_range` works them out in one of three ways (:class:`Method`):

``monte_carlo`` (the default)
    Draws ``trials`` independent outcomes of all deals at once and reads quantiles and
    probabilities off the simulated totals.  Works for any number of deals and any
    amounts; its error shrinks like ``1 / sqrt(trials)``.  When the revenue is close to
    normally distributed, the standard error of P10 and P90 from 10,000 trials is about
    0.017 standard deviations of the revenue (0.013 for P50).  Reproducible with a
    ``seed``; memory stays within a few MB, however many deals and trials.
``normal``
    The normal distribution with the exact mean and variance.  By the Lyapunov central
    limit theorem it is accurate when there are many deals and none of them dominates
    the variance; :func:`normal_error_bound` bounds its error (Berry-Esseen).  It is
    *not* accurate for a handful of deals, for one or two deals much larger than the
    rest, or for probabilities all close to 0 or to 1: the true distribution is then
    lumpy or skewed.  Quantiles are clipped to the revenue that is possible at all.
``exact``
    The exact distribution, by convolving the deals one at a time over the distinct
    sums reached so far.  Exact for any amounts, but its support can double with every
    deal, so it refuses (:class:`~leadflow.errors.InvalidConfiguration`) once it would
    hold more than ``max_support`` distinct totals.  Its time grows with the number of
    deals times the number of distinct totals: it suits dozens of deals, or many deals
    whose amounts are few distinct round numbers.

``auto``
    Picks one of the three for the deals at hand: exact for up to 16 uncertain deals,
    normal when :func:`normal_error_bound` is at most 0.005 (every probability read off
    it within half a percentage point), else Monte Carlo.  The range's ``method`` says
    which one was used.

Deals with probability 0 or 1 need no randomness under any method: the first are left
out and the amounts of the second are added as a constant.  With no deals at all every
method gives the point mass at 0.

:func:`period_ranges` and :func:`window_range` spread the deals over forecast periods
with a :class:`SlipModel` (won deals often close later than expected): deal ``i``,
expected in period ``t_i``, is won *and* closes in period ``t_i + k`` with probability
``p_i * shares[k]``.  The revenue of one period (or of a window of consecutive periods)
is then again a sum of independent Bernoulli amounts, worked out by the same methods.

Totals are sums of binary floating-point numbers.  So that a quota which some
combination of deals reaches exactly is not missed by a rounding error, a total within
``1e-12`` times the largest possible total below a quota counts as reaching it, and the
exact method merges totals that are that close together.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from decimal import Decimal
from statistics import NormalDist
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from leadflow._config import choice
from leadflow.errors import InvalidConfiguration, ValidationError
from leadflow.values import StrEnum

__all__ = [
    "NO_SLIP",
    "Method",
    "RevenueRange",
    "SlipModel",
    "normal_error_bound",
    "period_ranges",
    "revenue_range",
    "window_range",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Totals within this fraction of the largest possible total count as equal (see above).
_RELATIVE_TOLERANCE = 1e-12

#: Monte Carlo works on blocks of (trials x deals) of at most this many bytes: per cell
#: one random byte, a float64 won/lost indicator and a tie flag.  Blocks this small stay
#: in the processor's caches: measured on 10,000 deals, blocks of 2 to 4 MB were the
#: fastest, and blocks of 16 MB took 40% longer.
_BLOCK_BYTES = 3 * 2**20
_BYTES_PER_CELL = 1 + 8 + 1

#: The Berry-Esseen constant for sums of independent, not identically distributed
#: variables: C <= 0.5600 (I. G. Shevtsova, "An improvement of convergence rate
#: estimates in the Lyapunov theorem", Doklady Mathematics 82 (2010), 862-864).
_BERRY_ESSEEN = 0.56


class Method(StrEnum):
    """How :func:`revenue_range` works out the distribution of won revenue."""

    #: Simulate ``trials`` outcomes of all deals and read the totals.
    MONTE_CARLO = "monte_carlo"
    #: The normal approximation with the exact mean and variance.
    NORMAL = "normal"
    #: The exact distribution, by convolution over the distinct totals.
    EXACT = "exact"
    #: Exact for up to 16 uncertain deals; else normal when its Berry-Esseen bound is at
    #: most 0.005; else Monte Carlo.  The range's ``method`` says which was used.
    AUTO = "auto"


# ============================================================== checking input


def _method(value: Method | str) -> Method:
    return choice(Method, value, key="method", what="method")


def _whole(value: object, key: str, minimum: int) -> int:
    """A whole number of at least ``minimum`` (an option), or InvalidConfiguration."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise InvalidConfiguration(
            key=key, reason=f"must be a whole number of at least {minimum}", value=value
        )
    return int(value)


def _seed(value: object) -> int:
    """The seed to use: the one given, or fresh entropy from the operating system."""
    if value is None:
        entropy = np.random.SeedSequence().entropy
        assert isinstance(entropy, int)  # a fresh SeedSequence draws one int
        return entropy
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise InvalidConfiguration(
            key="seed", reason="must be a whole number of at least 0, or None", value=value
        )
    return int(value)


def _seed_for(method: Method, seed: object) -> int | None:
    """The seed a method uses: Monte Carlo's (given or fresh); None for the others."""
    if method in (Method.MONTE_CARLO, Method.AUTO):
        return _seed(seed)
    if seed is not None:
        _seed(seed)  # checked all the same
    return None


def _to_float(value: object) -> float:
    """``value`` as a float, NaN when it is not a real number (or a Decimal)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real | Decimal):
        return math.nan
    try:
        return float(value)
    except (OverflowError, ValueError):  # a huge int, a signalling NaN
        return math.nan


def _floats(
    values: Iterable[float | Decimal], name: str
) -> tuple[FloatArray, Sequence[Any] | npt.NDArray[Any]]:
    """``values`` as a float64 array, and the items themselves (to name a bad one)."""
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise ValidationError.single(name, values, "must be a sequence of numbers")
    if isinstance(values, np.ndarray):
        if values.ndim != 1:
            raise ValidationError.single(
                name, values.shape, "is the shape of the array given; it must be one-dimensional"
            )
        if values.dtype.kind in "fiu":
            return values.astype(np.float64), values
        values = values.tolist()
    items = list(values)
    return np.fromiter((_to_float(item) for item in items), np.float64, len(items)), items


def _first_bad(
    bad: npt.NDArray[np.bool_], items: Sequence[Any] | npt.NDArray[Any], name: str, reason: str
) -> None:
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        item = items[i]
        shown = item.item() if isinstance(item, np.generic) else item
        raise ValidationError.single(f"{name}[{i}]", shown, reason)


def _values(count: int) -> str:
    return "value" if count == 1 else "values"


def _deals(
    amounts: Iterable[float | Decimal], probabilities: Iterable[float | Decimal]
) -> tuple[FloatArray, FloatArray]:
    """The checked amounts and probabilities as float64 arrays."""
    a, a_items = _floats(amounts, "amounts")
    p, p_items = _floats(probabilities, "probabilities")
    if len(a) != len(p):
        raise ValidationError.single(
            "probabilities",
            len(p),
            f"{_values(len(p))} given for {len(a)} amounts; give one probability per amount",
        )
    _first_bad(~(np.isfinite(a) & (a >= 0)), a_items, "amounts", "must be a finite number >= 0")
    _first_bad(
        ~((p >= 0) & (p <= 1)), p_items, "probabilities", "must be a probability from 0 to 1"
    )
    return a, p


def _periods(periods: Iterable[int], count: int, horizon: int) -> IntArray:
    """The checked period indices, one per deal, each in ``0 .. horizon - 1``."""
    if isinstance(periods, str | bytes) or not isinstance(periods, Iterable):
        raise ValidationError.single("periods", periods, "must be a sequence of period indices")
    items = periods.tolist() if isinstance(periods, np.ndarray) else list(periods)
    if len(items) != count:
        raise ValidationError.single(
            "periods",
            len(items),
            f"{_values(len(items))} given for {count} amounts; give one period index per deal",
        )
    result = np.empty(count, np.int64)
    for i, item in enumerate(items):
        index = -1 if isinstance(item, bool) or not isinstance(item, numbers.Integral) else item
        if not 0 <= int(index) < horizon:
            raise ValidationError.single(
                f"periods[{i}]",
                item,
                f"must be a period index from 0 to {horizon - 1} (the horizon is {horizon})",
            )
        result[i] = int(index)
    return result


# ============================================================== the outcomes


@attrs.frozen(eq=False)
class _Outcomes:
    """The distribution behind a :class:`RevenueRange` (private base).

    ``low`` and ``high`` are the least and the most revenue possible; ``tolerance`` how
    far below a quota a total may fall and still count as reaching it.
    """

    low: float
    high: float
    tolerance: float

    def quantile(self, q: float) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    def at_least(self, amount: float) -> float:  # pragma: no cover - overridden
        raise NotImplementedError


@attrs.frozen(eq=False)
class _Samples(_Outcomes):
    """Simulated totals, sorted: quantiles by linear interpolation (numpy's default)."""

    totals: FloatArray

    def quantile(self, q: float) -> float:
        return float(np.quantile(self.totals, q))

    def at_least(self, amount: float) -> float:
        below = int(np.searchsorted(self.totals, amount - self.tolerance, side="left"))
        return (len(self.totals) - below) / len(self.totals)


@attrs.frozen(eq=False)
class _Exact(_Outcomes):
    """The distinct totals, sorted, with their probabilities: quantiles by inverse CDF."""

    values: FloatArray
    probabilities: FloatArray
    cumulative: FloatArray

    def quantile(self, q: float) -> float:
        # The smallest total whose cumulative probability reaches q (within rounding).
        i = int(np.searchsorted(self.cumulative, q - _RELATIVE_TOLERANCE, side="left"))
        return float(self.values[min(i, len(self.values) - 1)])

    def at_least(self, amount: float) -> float:
        i = int(np.searchsorted(self.values, amount - self.tolerance, side="left"))
        return min(1.0, max(0.0, float(self.probabilities[i:].sum())))


@attrs.frozen(eq=False)
class _Normal(_Outcomes):
    """The normal approximation, clipped to the revenue that is possible at all."""

    mean: float
    std: float

    def quantile(self, q: float) -> float:
        if q <= 0.0:
            return self.low
        if q >= 1.0:
            return self.high
        value = self.mean if self.std == 0 else NormalDist(self.mean, self.std).inv_cdf(q)
        return min(self.high, max(self.low, value))

    def at_least(self, amount: float) -> float:
        if amount - self.tolerance <= self.low:
            return 1.0
        if amount - self.tolerance > self.high:
            return 0.0
        if self.std == 0:
            return 1.0 if self.mean >= amount - self.tolerance else 0.0
        return 1.0 - NormalDist(self.mean, self.std).cdf(amount)


# ============================================================== the result


@attrs.frozen(kw_only=True, eq=False, init=False)
class RevenueRange:
    """The distribution of the revenue won from a set of open deals.

    Returned by :func:`revenue_range`, :func:`period_ranges` and :func:`window_range`;
    it is not constructed directly.  ``mean`` and ``variance`` are exact whatever the
    ``method``; quantiles and probabilities come from the method's distribution.
    ``trials`` and ``seed`` are set for Monte Carlo ranges only: ``seed`` is the one
    given or, when none was, the fresh entropy drawn, so that the run can be repeated.
    """

    #: How many deals the range covers.
    deals: int
    #: The expected revenue, ``sum(a_i * p_i)``.
    mean: float
    #: The variance of the revenue, ``sum(a_i**2 * p_i * (1 - p_i))``.
    variance: float
    #: How the distribution was worked out.
    method: Method
    #: The number of simulated trials (Monte Carlo only).
    trials: int | None
    #: The seed the trials were drawn with (Monte Carlo only).
    seed: int | None
    _outcomes: _Outcomes = attrs.field(repr=False)

    @property
    def std(self) -> float:
        """The standard deviation of the revenue."""
        return math.sqrt(self.variance)

    @property
    def p10(self) -> float:
        """The revenue won falls below this with probability 0.10 (a cautious forecast)."""
        return self.quantile(0.1)

    @property
    def p50(self) -> float:
        """The median revenue won."""
        return self.quantile(0.5)

    @property
    def p90(self) -> float:
        """The revenue won falls below this with probability 0.90 (an optimistic forecast)."""
        return self.quantile(0.9)

    def quantile(self, q: float) -> float:
        """The ``q``-quantile of the revenue won, for ``q`` from 0 to 1.

        Monte Carlo: numpy's default definition, linear interpolation between the sorted
        totals (Hyndman and Fan's definition 7).  Exact: the smallest total ``x`` with
        ``P(X <= x) >= q`` (the inverse of the distribution function).  Normal: the
        normal quantile, clipped to the least and the most revenue possible (so
        ``quantile(0)`` and ``quantile(1)`` are those).
        """
        value = _to_float(q)
        if not 0.0 <= value <= 1.0:
            raise ValidationError.single("q", q, "must be a number from 0 to 1")
        return self._outcomes.quantile(value)

    def probability_at_least(self, amount: float | Decimal) -> float:
        """The chance that the revenue won is ``amount`` or more (the chance of making a quota).

        Monte Carlo: the share of trials whose total reaches ``amount``; exact: the exact
        probability; normal: one minus the normal distribution function at ``amount``
        (1 below the least revenue possible, 0 above the most).
        """
        value = _to_float(amount)
        if not math.isfinite(value):
            raise ValidationError.single("amount", amount, "must be a finite number")
        return self._outcomes.at_least(value)

    def summary(self) -> dict[str, float | int | str | None]:
        """The figures as a plain record: mean, std, P10/P50/P90, method, trials, seed, deals."""
        return {
            "mean": self.mean,
            "std": self.std,
            "p10": self.p10,
            "p50": self.p50,
            "p90": self.p90,
            "method": self.method.value,
            "trials": self.trials,
            "seed": self.seed,
            "deals": self.deals,
        }

    def __str__(self) -> str:
        how = str(self.method)
        if self.trials is not None:
            how += f", {self.trials:,} trials, seed {self.seed}"
        rows = [
            ("mean", self.mean),
            ("std", self.std),
            ("P10", self.p10),
            ("P50", self.p50),
            ("P90", self.p90),
        ]
        cells = [f"{value:,.2f}" for _, value in rows]
        width = max(len(cell) for cell in cells)
        lines = [f"won revenue from {self.deals:,} deals ({how})"]
        lines += [
            f"  {name:<4}  {cell:>{width}}" for (name, _), cell in zip(rows, cells, strict=True)
        ]
        return "\n".join(lines)


def _make_range(
    *,
    deals: int,
    mean: float,
    variance: float,
    method: Method,
    trials: int | None,
    seed: int | None,
    outcomes: _Outcomes,
) -> RevenueRange:
    result = RevenueRange.__new__(RevenueRange)
    result.__attrs_init__(
        deals=deals,
        mean=mean,
        variance=variance,
        method=method,
        trials=trials,
        seed=seed,
        outcomes=outcomes,
    )
    return result


# ============================================================== the methods


def _block_shape(deals: int, trials: int, budget: int) -> tuple[int, int]:
    """Rows (trials) and columns (deals) of one Monte Carlo block within ``budget`` bytes."""
    columns = max(1, min(deals, budget // _BYTES_PER_CELL))
    rows = max(1, min(trials, budget // (_BYTES_PER_CELL * columns)))
    return rows, columns


def _simulate(
    amounts: FloatArray, probabilities: FloatArray, trials: int, rng: np.random.Generator
) -> FloatArray:
    """The totals of ``trials`` simulated outcomes of deals with ``0 < p < 1`` (not sorted).

    Each deal of each trial takes one random byte ``b`` (0 to 255) from the generator's
    raw 64-bit output.  With ``256 * p = k + f`` (``k`` whole, ``0 <= f < 1``) the deal
    is won when ``b < k``, lost when ``b > k``, and when ``b == k`` (1 time in 256) a
    float64 uniform ``u`` settles it: won when ``u < f``.  So it is won with probability
    ``k / 256 + f / 256 = p`` (to within ``2**-61``), at a byte per draw instead of a
    float.  Trials and deals are taken in blocks of at most ``_BLOCK_BYTES``; a block's
    0/1 indicators times the amounts (a matrix-vector product) add up each trial's
    revenue in float64.
    """
    count = len(amounts)
    scaled = probabilities * 256.0  # exact: a power of two
    whole = np.floor(scaled)
    fractions = scaled - whole
    thresholds = whole.astype(np.uint8)  # p < 1, so at most 255
    rows, columns = _block_shape(count, trials, _BLOCK_BYTES)
    won = np.empty(rows * columns)
    tied = np.empty(rows * columns, np.bool_)
    totals = np.zeros(trials)
    bits = rng.bit_generator
    for start in range(0, trials, rows):
        height = min(rows, trials - start)
        for first in range(0, count, columns):
            width = min(columns, count - first)
            cells = height * width
            deals = slice(first, first + width)
            raw = bits.random_raw(-(-cells // 8))
            assert isinstance(raw, np.ndarray)  # random_raw(size) gives an array
            draws = raw.view(np.uint8)[:cells].reshape(height, width)
            indicators = won[:cells].reshape(height, width)
            np.less(draws, thresholds[deals], out=indicators)
            np.equal(draws, thresholds[deals], out=tied[:cells].reshape(height, width))
            ties = np.flatnonzero(tied[:cells])
            if len(ties):
                settle = rng.random(len(ties)) < fractions[deals][ties % width]
                won[ties] = settle
            totals[start : start + height] += indicators @ amounts[deals]
    return totals


def _convolve(
    amounts: FloatArray, probabilities: FloatArray, *, tolerance: float, max_support: int
) -> tuple[FloatArray, FloatArray]:
    """The distinct totals (sorted) of deals with ``0 < p < 1``, with their probabilities.

    Adds one deal at a time: every total ``v`` so far becomes ``v`` (the deal lost) and
    ``v + a`` (won); equal totals (within ``tolerance``) are merged.
    """
    values = np.zeros(1)
    weights = np.ones(1)
    for done, (amount, p) in enumerate(zip(amounts.tolist(), probabilities.tolist(), strict=True)):
        merged = np.concatenate([values, values + amount])
        mass = np.concatenate([weights * (1.0 - p), weights * p])
        order = np.argsort(merged, kind="stable")  # two sorted runs: merged in linear time
        merged, mass = merged[order], mass[order]
        starts = np.flatnonzero(np.diff(merged, prepend=-math.inf) > tolerance)
        if len(starts) > max_support:
            raise InvalidConfiguration(
                key="max_support",
                reason=(
                    f"the exact distribution of these {len(amounts):,} uncertain deals has more"
                    f" than {max_support:,} distinct totals (after {done + 1:,} of them);"
                    " use method='monte_carlo' (or 'normal'), or raise max_support"
                ),
                value=max_support,
            )
        values, weights = merged[starts], np.add.reduceat(mass, starts)
    return values, weights


#: Method.AUTO: the most uncertain deals the exact method takes (at most 2**16 totals),
#: and the largest Berry-Esseen bound at which the normal approximation is used.
_AUTO_EXACT_DEALS = 16
_AUTO_NORMAL_ERROR = 0.005


def _automatic(amounts: FloatArray, probabilities: FloatArray) -> Method:
    """The method :attr:`Method.AUTO` picks for these uncertain deals."""
    if len(amounts) <= _AUTO_EXACT_DEALS:
        return Method.EXACT
    if _error_bound(amounts, probabilities) <= _AUTO_NORMAL_ERROR:
        return Method.NORMAL
    return Method.MONTE_CARLO


def _range_of(
    amounts: FloatArray,
    probabilities: FloatArray,
    *,
    deals: int,
    method: Method,
    trials: int,
    rng: np.random.Generator | None,
    seed: int | None,
    max_support: int,
) -> RevenueRange:
    """The range of the revenue won from checked deals (the kernel every function uses)."""
    mean = math.fsum((amounts * probabilities).tolist())
    variance = math.fsum((amounts * amounts * probabilities * (1.0 - probabilities)).tolist())
    certain = probabilities >= 1.0
    uncertain = (probabilities > 0.0) & ~certain & (amounts > 0.0)
    low = math.fsum(amounts[certain].tolist())
    a, p = amounts[uncertain], probabilities[uncertain]
    high = low + math.fsum(a.tolist())
    tolerance = _RELATIVE_TOLERANCE * high
    if method is Method.AUTO:
        method = _automatic(a, p)
    outcomes: _Outcomes
    if method is Method.NORMAL:
        outcomes = _Normal(low, high, tolerance, mean=mean, std=math.sqrt(variance))
    elif method is Method.EXACT:
        values, weights = _convolve(a, p, tolerance=tolerance, max_support=max_support)
        outcomes = _Exact(low, high, tolerance, values + low, weights, np.cumsum(weights))
    else:
        assert rng is not None
        # With no uncertain deal there is no randomness: every trial gives the same total.
        totals = np.sort(_simulate(a, p, trials, rng)) + low if len(a) else np.full(1, low)
        outcomes = _Samples(low, high, tolerance, totals)
    simulated = method is Method.MONTE_CARLO
    return _make_range(
        deals=deals,
        mean=mean,
        variance=variance,
        method=method,
        trials=trials if simulated else None,
        seed=seed if simulated else None,
        outcomes=outcomes,
    )


def revenue_range(
    amounts: Iterable[float | Decimal],
    probabilities: Iterable[float | Decimal],
    *,
    method: Method | str = Method.MONTE_CARLO,
    trials: int = 10_000,
    seed: int | None = None,
    max_support: int = 1_000_000,
) -> RevenueRange:
    """The distribution of the revenue won when deal ``i`` is won with ``probabilities[i]``.

    ``amounts`` and ``probabilities`` are sequences (lists, tuples, numpy arrays) of
    numbers of the same length; :class:`~decimal.Decimal` values are converted to float.
    Amounts must be finite and at least 0, probabilities from 0 to 1: a bad value raises
    :class:`~leadflow.errors.ValidationError` naming it (``amounts[17]``).  Deals are won
    independently of each other.

    ``method`` is one of :class:`Method` (see the module documentation for when each
    fits).  Monte Carlo draws ``trials`` outcomes with ``numpy.random.default_rng(seed)``
    and gives the same figures for the same seed and deals; with no seed it draws fresh
    entropy and records it as the range's ``seed``.  It works on blocks of a few MB, so
    memory stays bounded whatever the number of deals and trials.  ``max_support``
    limits the exact method: it refuses with
    :class:`~leadflow.errors.InvalidConfiguration` when the distribution would have more
    distinct totals than that (at most ``2**n`` for ``n`` deals; far fewer when amounts
    repeat or are whole numbers in a small range).
    """
    chosen = _method(method)
    trials = _whole(trials, "trials", 1)
    max_support = _whole(max_support, "max_support", 1)
    a, p = _deals(amounts, probabilities)
    used = _seed_for(chosen, seed)
    rng = None if used is None else np.random.default_rng(used)
    return _range_of(
        a,
        p,
        deals=len(a),
        method=chosen,
        trials=trials,
        rng=rng,
        seed=used,
        max_support=max_support,
    )


def normal_error_bound(
    amounts: Iterable[float | Decimal], probabilities: Iterable[float | Decimal]
) -> float:
    """A bound on the error of the normal approximation to the revenue won (Berry-Esseen).

    No probability read off the normal approximation (``P(X <= x)`` for any ``x``) is
    further than this from the true one.  The Berry-Esseen theorem for independent,
    not identically distributed terms bounds it by ``C * sum(rho_i) / sd**3``, where
    ``rho_i = E|X_i - E X_i|**3 = a_i**3 * p_i * (1 - p_i) * (p_i**2 + (1 - p_i)**2)``
    and ``C = 0.56`` (Shevtsova, 2010).  It shrinks like ``1 / sqrt(n)`` for ``n``
    similar deals and stays large when a few deals dominate; it is capped at 1.  The bound
    is often pessimistic by a factor of several.  It is 0 when the variance is 0: every
    outcome is then certain, and the normal method gives that point mass exactly.
    """
    return _error_bound(*_deals(amounts, probabilities))


def _error_bound(a: FloatArray, p: FloatArray) -> float:
    """:func:`normal_error_bound` of checked deals."""
    if len(a) and a.max() > 0:
        a = a / a.max()  # the bound does not change with the unit; this keeps a**3 finite
    spread = p * (1.0 - p)
    variance = math.fsum((a * a * spread).tolist())
    if variance == 0.0:
        return 0.0
    third = math.fsum((a**3 * spread * (p * p + (1.0 - p) ** 2)).tolist())
    return min(1.0, _BERRY_ESSEEN * third / variance / math.sqrt(variance))


# ============================================================== slipping


def _shares(values: Iterable[float | Decimal]) -> tuple[float, ...]:
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise InvalidConfiguration(
            key="shares", reason="must be a sequence of numbers", value=values
        )
    result = []
    for i, value in enumerate(values):
        number = _to_float(value)
        if not 0.0 <= number <= 1.0:
            raise InvalidConfiguration(
                key=f"shares[{i}]", reason="must be a share from 0 to 1", value=value
            )
        result.append(number)
    return tuple(result)


def _check_shares(_: object, __: attrs.Attribute[Any], shares: tuple[float, ...]) -> None:
    if not shares:
        raise InvalidConfiguration(
            key="shares", reason="must hold at least one share (the share of offset 0)", value=()
        )
    total = math.fsum(shares)
    if abs(total - 1.0) > 1e-9:
        raise InvalidConfiguration(
            key="shares", reason=f"must add up to 1 (they add up to {total!r})", value=shares
        )


@attrs.frozen(kw_only=True)
class SlipModel:
    """When a won deal closes, relative to the period it was expected to close in.

    ``shares[k]`` is the probability that a deal which is won closes ``k`` periods
    after the one it is expected in (``k = 0`` is on time); the shares are from 0 to 1
    and add up to 1 (within ``1e-9``).  Build one from history with
    :meth:`from_offsets`; :data:`NO_SLIP` says every won deal closes on time.
    """

    #: ``shares[k]``: the chance that a won deal closes ``k`` periods late.
    shares: tuple[float, ...] = attrs.field(converter=_shares, validator=_check_shares)

    @classmethod
    def from_offsets(
        cls, offsets: Iterable[int], *, max_offset: int = 3, prior_strength: float = 0.0
    ) -> SlipModel:
        """The slip model learned from the offsets of won deals.

        Each offset is the index of the period a won deal closed in minus that of the
        period it was expected in.  Deals that closed early (negative offsets) count as
        on time (0); offsets beyond ``max_offset`` count as ``max_offset`` (so its share
        is "that late or later").  ``prior_strength`` adds that many pseudo-observations
        at offset 0, smoothing a short history toward "no slip" (additive smoothing):
        ``shares[k] = (count[k] + prior_strength * (k == 0)) / (n + prior_strength)``.
        The result has ``max_offset + 1`` shares.
        """
        max_offset = _whole(max_offset, "max_offset", 0)
        prior = _to_float(prior_strength)
        if not (math.isfinite(prior) and prior >= 0):
            raise InvalidConfiguration(
                key="prior_strength",
                reason="must be a finite number >= 0",
                value=prior_strength,
            )
        if isinstance(offsets, str | bytes) or not isinstance(offsets, Iterable):
            raise ValidationError.single("offsets", offsets, "must be a sequence of whole numbers")
        counts = [0] * (max_offset + 1)
        for i, offset in enumerate(offsets):
            if isinstance(offset, bool) or not isinstance(offset, numbers.Integral):
                raise ValidationError.single(f"offsets[{i}]", offset, "must be a whole number")
            counts[min(max(int(offset), 0), max_offset)] += 1
        total = sum(counts) + prior
        if total == 0:
            raise ValidationError.single(
                "offsets",
                [],
                "is empty; give at least one offset, or a prior_strength above 0",
            )
        weights = [float(count) for count in counts]
        weights[0] += prior
        return cls(shares=tuple(weight / total for weight in weights))

    @property
    def max_offset(self) -> int:
        """The largest offset with a share (``len(shares) - 1``)."""
        return len(self.shares) - 1

    def share_in(self, offset: int) -> float:
        """The chance that a won deal closes ``offset`` periods late (0 outside the shares)."""
        return self.shares[offset] if 0 <= offset < len(self.shares) else 0.0


#: Every won deal closes in the period it is expected in.
NO_SLIP = SlipModel(shares=(1.0,))


def _spread(
    amounts: Iterable[float | Decimal],
    probabilities: Iterable[float | Decimal],
    periods: Iterable[int],
    *,
    horizon: int,
    slip: SlipModel,
    method: Method | str,
    trials: int,
    seed: int | None,
    max_support: int,
) -> tuple[FloatArray, FloatArray, IntArray, FloatArray, Method, int, int, int | None]:
    """Check the arguments common to period_ranges and window_range."""
    chosen = _method(method)
    trials = _whole(trials, "trials", 1)
    max_support = _whole(max_support, "max_support", 1)
    horizon = _whole(horizon, "horizon", 1)
    if not isinstance(slip, SlipModel):
        raise InvalidConfiguration(key="slip", reason="must be a SlipModel", value=slip)
    a, p = _deals(amounts, probabilities)
    t = _periods(periods, len(a), horizon)
    shares = np.asarray(slip.shares, np.float64)
    return a, p, t, shares, chosen, trials, max_support, _seed_for(chosen, seed)


def _share_of(shares: FloatArray, offsets: IntArray) -> FloatArray:
    """``shares[offset]`` for each offset, 0 where there is no such share."""
    inside = (offsets >= 0) & (offsets < len(shares))
    return np.where(inside, shares[np.clip(offsets, 0, len(shares) - 1)], 0.0)


def period_ranges(
    amounts: Iterable[float | Decimal],
    probabilities: Iterable[float | Decimal],
    periods: Iterable[int],
    *,
    horizon: int,
    slip: SlipModel = NO_SLIP,
    method: Method | str = Method.MONTE_CARLO,
    trials: int = 10_000,
    seed: int | None = None,
    max_support: int = 1_000_000,
) -> tuple[RevenueRange, ...]:
    """The range of the revenue won in each period ``0 .. horizon - 1``.

    ``periods[i]`` is the index of the period deal ``i`` is expected to close in (from 0
    to ``horizon - 1``).  With ``slip``, deal ``i`` is won and closes in period
    ``periods[i] + k`` with probability ``probabilities[i] * slip.shares[k]``; so period
    ``j`` holds each deal with probability ``q_i = probabilities[i] *
    slip.share_in(j - periods[i])``, independently, and its range is worked out like
    :func:`revenue_range`'s.  Deals that slip beyond the horizon are not in any range.
    A range's ``deals`` counts the deals that may close in its period (share above 0).

    Each range describes one period on its own (the periods' revenues are not
    independent: a deal closes in one period at most).  For the revenue over several
    periods use :func:`window_range`, not the sum of these ranges' quantiles.  Monte
    Carlo draws period ``j`` from the ``j``-th stream spawned from ``seed``
    (``numpy.random.SeedSequence.spawn``), so that the whole tuple repeats for a seed.
    """
    a, p, t, shares, chosen, trials, max_support, used = _spread(
        amounts,
        probabilities,
        periods,
        horizon=horizon,
        slip=slip,
        method=method,
        trials=trials,
        seed=seed,
        max_support=max_support,
    )
    streams = np.random.SeedSequence(used).spawn(horizon) if used is not None else None
    result = []
    for j in range(horizon):
        share = _share_of(shares, j - t)
        rng = None if streams is None else np.random.default_rng(streams[j])
        result.append(
            _range_of(
                a,
                p * share,
                deals=int(np.count_nonzero(share)),
                method=chosen,
                trials=trials,
                rng=rng,
                seed=used,
                max_support=max_support,
            )
        )
    return tuple(result)


def window_range(
    amounts: Iterable[float | Decimal],
    probabilities: Iterable[float | Decimal],
    periods: Iterable[int],
    *,
    horizon: int,
    first: int,
    count: int,
    slip: SlipModel = NO_SLIP,
    method: Method | str = Method.MONTE_CARLO,
    trials: int = 10_000,
    seed: int | None = None,
    max_support: int = 1_000_000,
) -> RevenueRange:
    """The range of the revenue won over periods ``first .. first + count - 1``.

    The arguments are :func:`period_ranges`'s; the window must lie within the horizon.
    A deal closes in one period at most, so deal ``i`` is in the window with
    probability ``probabilities[i]`` times the sum of the slip shares that land it in
    the window, independently of the other deals.  Monte Carlo draws with
    ``numpy.random.default_rng(seed)``, as :func:`revenue_range` does.
    """
    a, p, t, shares, chosen, trials, max_support, used = _spread(
        amounts,
        probabilities,
        periods,
        horizon=horizon,
        slip=slip,
        method=method,
        trials=trials,
        seed=seed,
        max_support=max_support,
    )
    first = _whole(first, "first", 0)
    count = _whole(count, "count", 1)
    if first + count > horizon:
        raise InvalidConfiguration(
            key="count",
            reason=f"the window {first} .. {first + count - 1} must end within the horizon"
            f" (periods 0 .. {horizon - 1})",
            value=count,
        )
    share = np.zeros(len(a))
    for j in range(first, first + count):
        share += _share_of(shares, j - t)
    rng = None if used is None else np.random.default_rng(used)
    return _range_of(
        a,
        p * np.minimum(share, 1.0),
        deals=int(np.count_nonzero(share)),
        method=chosen,
        trials=trials,
        rng=rng,
        seed=used,
        max_support=max_support,
    )
