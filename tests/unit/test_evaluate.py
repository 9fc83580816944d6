from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone
from typing import ClassVar

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadflow.activities import Activity, ActivityKind
from leadflow.leads import Lead
from leadflow.scoring import Contribution, Example, Score, Scores, ScoringModel, score_each
from leadflow.scoring.evaluate import (
    BandTable,
    CalibrationTable,
    Evaluation,
    LiftTable,
    ThresholdTable,
    brier_score,
    calibration_table,
    conversion_by_band,
    evaluate,
    lift_table,
    log_loss,
    roc_auc,
    stratified_split,
    threshold_analysis,
    time_split,
)

UTC = timezone.utc
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

# The small example used throughout: 3 of 8 converted, the last two scores tied.
Y8 = [True, False, True, False, False, True, False, False]
S8 = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.3]


def brute_force_auc(outcomes: Sequence[bool], scores: Sequence[float]) -> float:
    """Every (converted, unconverted) pair: 1 when the converted one scores higher, 1/2 on a tie."""
    positives = [s for y, s in zip(outcomes, scores, strict=True) if y]
    negatives = [s for y, s in zip(outcomes, scores, strict=True) if not y]
    twice_wins = sum(2 * (p > n) + (p == n) for p in positives for n in negatives)
    return twice_wins / (2 * len(positives) * len(negatives))


# Outcomes with both classes and scores with many ties.
both_classes = st.lists(
    st.tuples(st.booleans(), st.integers(0, 6)), min_size=2, max_size=60
).filter(lambda pairs: any(y for y, _ in pairs) and not all(y for y, _ in pairs))


# ---------------------------------------------------------------------- roc_auc


class TestRocAuc:
    def test_a_perfect_ranking_is_1(self) -> None:
        assert roc_auc([True, True, False, False], [4, 3, 2, 1]) == 1.0

    def test_a_reversed_ranking_is_0(self) -> None:
        assert roc_auc([True, True, False, False], [1, 2, 3, 4]) == 0.0

    def test_all_tied_is_one_half(self) -> None:
        assert roc_auc([True, False, True, False, False], [0.3] * 5) == 0.5

    def test_four_points_with_a_tie(self) -> None:
        # Pairs (pos, neg): (0.8, 0.4) 1, (0.8, 0.1) 1, (0.4, 0.4) 1/2, (0.4, 0.1) 1 -> 3.5 / 4.
        # By ranks: 0.1 -> 1, 0.4 and 0.4 -> 2.5, 0.8 -> 4; R_pos = 6.5, U = 6.5 - 3 = 3.5.
        assert roc_auc([True, False, True, False], [0.8, 0.4, 0.4, 0.1]) == 0.875

    def test_eight_points(self) -> None:
        # 0.9 beats all 5 negatives, 0.7 beats 4, 0.4 beats 2: 11 of 15 pairs.
        assert roc_auc(Y8, S8) == pytest.approx(11 / 15)

    def test_ones_and_zeros_and_any_sequence(self) -> None:
        assert roc_auc((1, 0, 1, 0), (0.8, 0.4, 0.4, 0.1)) == 0.875  # type: ignore[arg-type]
        np = pytest.importorskip("numpy")
        assert roc_auc(np.array([1, 0, 1, 0]), np.array([0.8, 0.4, 0.4, 0.1])) == 0.875
        assert roc_auc(np.array([True, False]), np.array([2.0, 1.0])) == 1.0

    @given(both_classes)
    def test_equals_the_pairwise_count(self, pairs: list[tuple[bool, int]]) -> None:
        outcomes = [y for y, _ in pairs]
        scores = [s / 4 for _, s in pairs]
        assert roc_auc(outcomes, scores) == brute_force_auc(outcomes, scores)

    @given(both_classes)
    def test_reversing_the_scores_gives_one_minus(self, pairs: list[tuple[bool, int]]) -> None:
        outcomes = [y for y, _ in pairs]
        scores = [s / 10 for _, s in pairs]
        flipped = [1 - s for s in scores]
        assert roc_auc(outcomes, flipped) == pytest.approx(1 - roc_auc(outcomes, scores))

    def test_lengths_must_match(self) -> None:
        with pytest.raises(
            ValueError, match=r"outcomes and scores have different lengths \(3 and 2\)"
        ):
            roc_auc([True, False, True], [0.1, 0.2])

    def test_empty(self) -> None:
        with pytest.raises(ValueError, match="outcomes and scores are empty"):
            roc_auc([], [])

    def test_one_class(self) -> None:
        with pytest.raises(ValueError, match=r"all 3 outcomes are True \(only one class present\)"):
            roc_auc([True, True, True], [0.1, 0.2, 0.3])
        with pytest.raises(ValueError, match="all 2 outcomes are False"):
            roc_auc([False, False], [0.1, 0.2])

    def test_bad_score(self) -> None:
        with pytest.raises(ValueError, match=r"scores\[1\] is nan; must be a finite number"):
            roc_auc([True, False], [0.1, math.nan])
        with pytest.raises(ValueError, match=r"scores\[0\] is '0.3'; must be a finite number"):
            roc_auc([True, False], ["0.3", 0.1])  # type: ignore[list-item]

    def test_bad_outcome(self) -> None:
        with pytest.raises(ValueError, match=r"outcomes\[2\] is 2; must be True or False"):
            roc_auc([1, 0, 2], [0.1, 0.2, 0.3])  # type: ignore[list-item]
        with pytest.raises(ValueError, match=r"outcomes\[0\] is 'yes'"):
            roc_auc(["yes", False], [0.1, 0.2])  # type: ignore[list-item]


# ------------------------------------------------------ log loss and Brier


class TestProbabilityScores:
    OUTCOMES = (True, False, True)
    PROBABILITIES = (0.9, 0.2, 0.6)

    def test_log_loss_by_the_formula(self) -> None:
        expected = -(math.log(0.9) + math.log(1 - 0.2) + math.log(0.6)) / 3
        assert log_loss(self.OUTCOMES, self.PROBABILITIES) == pytest.approx(expected)

    def test_log_loss_clips_certain_misses(self) -> None:
        expected = -(math.log(1e-15) + math.log(1 - 1e-15)) / 2
        assert log_loss([True, False], [0.0, 0.0]) == pytest.approx(expected)
        assert log_loss([True, False], [0.0, 0.0], eps=0.01) == pytest.approx(
            -(math.log(0.01) + math.log(0.99)) / 2
        )

    def test_brier_by_the_formula(self) -> None:
        expected = ((0.9 - 1) ** 2 + (0.2 - 0) ** 2 + (0.6 - 1) ** 2) / 3
        assert brier_score(self.OUTCOMES, self.PROBABILITIES) == pytest.approx(expected)
        assert brier_score([True, False], [0.5, 0.5]) == 0.25
        assert brier_score([True, False], [1.0, 0.0]) == 0.0

    @pytest.mark.parametrize("metric", [log_loss, brier_score])
    def test_probabilities_must_be_in_range(self, metric: object) -> None:
        assert callable(metric)
        with pytest.raises(
            ValueError, match=r"probabilities\[1\] is 1.5; must be a probability between 0 and 1"
        ):
            metric([True, False], [0.5, 1.5])
        with pytest.raises(ValueError, match=r"probabilities\[0\] is -0.1"):
            metric([True, False], [-0.1, 0.5])
        with pytest.raises(ValueError, match=r"probabilities\[0\] is nan"):
            metric([True, False], [math.nan, 0.5])
        with pytest.raises(ValueError, match="different lengths"):
            metric([True], [0.5, 0.5])

    def test_eps_must_be_small_and_positive(self) -> None:
        with pytest.raises(ValueError, match=r"eps is 0; must be between 0 and 0\.5"):
            log_loss([True], [0.5], eps=0)


# -------------------------------------------------------------------- lift


class TestLiftTable:
    def test_three_groups_by_hand(self) -> None:
        table = lift_table(Y8, S8, groups=3)
        assert isinstance(table, LiftTable)
        # Sizes 3, 3, 2; overall rate 3/8.
        first, second, third = table.rows
        assert (first.group, first.leads, first.converted) == (1, 3, 2)
        assert first.rate == pytest.approx(2 / 3)
        assert first.lift == pytest.approx((2 / 3) / (3 / 8))
        assert (first.min_score, first.max_score) == (0.7, 0.9)
        assert first.gain == pytest.approx(2 / 3)
        assert (second.leads, second.converted, second.cumulative_leads) == (3, 1, 6)
        assert second.cumulative_converted == 3
        assert second.gain == 1.0
        assert second.cumulative_lift == pytest.approx((3 / 6) / (3 / 8))
        assert (third.leads, third.converted, third.rate, third.lift) == (2, 0, 0.0, 0.0)
        assert third.cumulative_lift == 1.0
        assert (third.min_score, third.max_score) == (0.3, 0.3)

    def test_ties_keep_input_order_across_groups(self) -> None:
        # Four tied leads in two groups: the first two given form group 1.
        table = lift_table([True, True, False, False], [1, 1, 1, 1], groups=2)
        assert [row.converted for row in table] == [2, 0]
        table = lift_table([False, False, True, True], [1, 1, 1, 1], groups=2)
        assert [row.converted for row in table] == [0, 2]

    def test_fewer_leads_than_groups(self) -> None:
        table = lift_table([True, False, False], [3, 2, 1])
        assert [row.leads for row in table] == [1, 1, 1]

    @given(
        st.lists(st.tuples(st.booleans(), st.integers(0, 9)), min_size=1, max_size=80).filter(
            lambda pairs: any(y for y, _ in pairs)
        ),
        st.integers(1, 12),
    )
    def test_totals(self, pairs: list[tuple[bool, int]], groups: int) -> None:
        outcomes = [y for y, _ in pairs]
        scores = [float(s) for _, s in pairs]
        table = lift_table(outcomes, scores, groups=groups)
        assert len(table) == min(groups, len(pairs))
        assert sum(row.leads for row in table) == len(pairs)
        assert sum(row.converted for row in table) == sum(outcomes)
        assert table.rows[-1].gain == 1.0
        assert table.rows[-1].cumulative_lift == 1.0
        sizes = [row.leads for row in table]
        assert max(sizes) - min(sizes) <= 1
        assert all(a.min_score >= b.max_score for a, b in itertools.pairwise(table.rows))

    def test_needs_a_conversion(self) -> None:
        with pytest.raises(ValueError, match="lift_table needs at least one conversion"):
            lift_table([False, False], [0.1, 0.2])

    def test_groups_must_be_positive(self) -> None:
        with pytest.raises(ValueError, match="groups is 0; must be a whole number of at least 1"):
            lift_table(Y8, S8, groups=0)


# ------------------------------------------------------------- calibration


class TestCalibrationTable:
    def test_uniform_bins_by_hand(self) -> None:
        table = calibration_table(Y8, S8, bins=4)
        assert isinstance(table, CalibrationTable)
        # [0, .25) is empty and left out; 0.5 goes up to [.5, .75); 0.9 is in the last bin.
        assert [(row.low, row.high, row.leads) for row in table] == [
            (0.25, 0.5, 3),
            (0.5, 0.75, 3),
            (0.75, 1.0, 2),
        ]
        assert table.rows[0].mean_predicted == pytest.approx((0.4 + 0.3 + 0.3) / 3)
        assert table.rows[0].observed_rate == pytest.approx(1 / 3)
        assert table.rows[1].mean_predicted == pytest.approx((0.7 + 0.6 + 0.5) / 3)
        assert table.rows[2].observed_rate == 0.5

    def test_a_probability_of_one_is_in_the_last_bin(self) -> None:
        table = calibration_table([True, False], [1.0, 0.0], bins=10)
        assert [(row.low, row.high) for row in table] == [(0.0, 0.1), (0.9, 1.0)]

    def test_expected_calibration_error(self) -> None:
        table = calibration_table(Y8, S8, bins=4)
        expected = (
            3 * abs(1 / 3 - (0.4 + 0.3 + 0.3) / 3)
            + 3 * abs(1 / 3 - (0.7 + 0.6 + 0.5) / 3)
            + 2 * abs(1 / 2 - (0.9 + 0.8) / 2)
        ) / 8
        assert table.expected_calibration_error == pytest.approx(expected)
        perfect = calibration_table([True, False, True, False], [0.5] * 4)
        assert perfect.expected_calibration_error == 0.0

    def test_quantile_bins_hold_equal_counts(self) -> None:
        table = calibration_table(Y8, S8, bins=4, strategy="quantile")
        assert [row.leads for row in table] == [2, 2, 2, 2]
        assert table.rows[0].low == 0.3
        assert table.rows[-1].high == 0.9

    def test_quantile_bins_with_one_value(self) -> None:
        table = calibration_table([True, False, False], [0.2] * 3, strategy="quantile")
        assert [(row.low, row.high, row.leads) for row in table] == [(0.2, 0.2, 3)]

    @given(
        st.lists(st.tuples(st.booleans(), st.integers(0, 20)), min_size=1, max_size=60),
        st.integers(1, 12),
        st.sampled_from(["uniform", "quantile"]),
    )
    def test_every_lead_is_in_one_bin(
        self, pairs: list[tuple[bool, int]], bins: int, strategy: str
    ) -> None:
        outcomes = [y for y, _ in pairs]
        probabilities = [p / 20 for _, p in pairs]
        table = calibration_table(outcomes, probabilities, bins=bins, strategy=strategy)  # type: ignore[arg-type]
        assert sum(row.leads for row in table) == len(pairs)
        # A mean is rounded: it may pass an edge by a few units in the last place.
        assert all(row.low - 1e-12 <= row.mean_predicted <= row.high + 1e-12 for row in table)

    def test_unknown_strategy(self) -> None:
        with pytest.raises(ValueError, match="strategy is 'even'; must be 'uniform' or 'quantile'"):
            calibration_table(Y8, S8, strategy="even")  # type: ignore[arg-type]

    def test_bins_must_be_positive(self) -> None:
        with pytest.raises(ValueError, match="bins is -1"):
            calibration_table(Y8, S8, bins=-1)


# --------------------------------------------------------------------- bands


class TestConversionByBand:
    BANDS: ClassVar[list[str | None]] = ["hot", "cold", None, "hot", "warm", "hot", None, "cold"]

    def test_first_appearance_order(self) -> None:
        table = conversion_by_band(Y8, self.BANDS)
        assert isinstance(table, BandTable)
        assert [(row.band, row.leads, row.converted) for row in table] == [
            ("hot", 3, 2),
            ("cold", 2, 0),
            ("(none)", 2, 1),
            ("warm", 1, 0),
        ]
        hot = table.rows[0]
        assert hot.rate == pytest.approx(2 / 3)
        assert hot.share_of_leads == 3 / 8
        assert hot.share_of_conversions == pytest.approx(2 / 3)

    def test_given_order_with_an_empty_band(self) -> None:
        table = conversion_by_band(Y8, self.BANDS, order=["hot", "warm", "cold", "lukewarm"])
        assert [row.band for row in table] == ["hot", "warm", "cold", "lukewarm", "(none)"]
        empty = table.rows[3]
        assert (empty.leads, empty.converted, empty.share_of_leads) == (0, 0, 0.0)
        assert math.isnan(empty.rate)
        assert "lukewarm" in str(table)

    def test_errors(self) -> None:
        with pytest.raises(ValueError, match=r"order\[2\] names band 'hot' a second time"):
            conversion_by_band(Y8, self.BANDS, order=["hot", "warm", "hot"])
        with pytest.raises(ValueError, match=r"bands\[1\] is 3; must be a string or None"):
            conversion_by_band([True, False], ["a", 3])  # type: ignore[list-item]
        with pytest.raises(
            ValueError, match=r"outcomes and bands have different lengths \(2 and 1\)"
        ):
            conversion_by_band([True, False], ["a"])


# ----------------------------------------------------------------- thresholds


class TestThresholdAnalysis:
    def test_quantile_cut_offs_by_hand(self) -> None:
        table = threshold_analysis(Y8, S8, count=4)
        assert isinstance(table, ThresholdTable)
        # Top 2, 4, 6 and 8 of 8 leads: cut at the 2nd, 4th, 6th and 8th highest score.
        assert [
            (row.threshold, row.leads_sent, row.converted_sent, row.leads_held_back)
            for row in table
        ] == [(0.8, 2, 1, 6), (0.6, 4, 2, 4), (0.4, 6, 3, 2), (0.3, 8, 3, 0)]
        top = table.rows[0]
        assert top.conversion_rate == 0.5
        assert top.share_of_conversions == pytest.approx(1 / 3)
        assert top.converted_held_back == 2
        assert table.rows[-1].conversion_rate == 3 / 8

    def test_ties_at_the_cut_off_are_all_sent(self) -> None:
        table = threshold_analysis([True, False, False], [1, 1, 0], count=3)
        assert [(row.threshold, row.leads_sent) for row in table] == [(1.0, 2), (0.0, 3)]

    def test_given_thresholds(self) -> None:
        table = threshold_analysis(Y8, S8, thresholds=[0.5, 0.95, 0.5, 0])
        assert [(row.threshold, row.leads_sent) for row in table] == [(0.95, 0), (0.5, 5), (0.0, 8)]
        assert math.isnan(table.rows[0].conversion_rate)
        assert table.rows[0].converted_held_back == 3

    def test_best_sends_the_most_leads_at_the_rate(self) -> None:
        table = threshold_analysis(Y8, S8, count=4)
        best = table.best(min_rate=0.5)
        assert best is not None
        assert (best.threshold, best.leads_sent) == (0.4, 6)
        assert table.best(min_rate=0.9) is None

    @given(
        st.lists(st.tuples(st.booleans(), st.integers(0, 9)), min_size=1, max_size=60),
        st.integers(1, 15),
    )
    def test_monotone(self, pairs: list[tuple[bool, int]], count: int) -> None:
        outcomes = [y for y, _ in pairs]
        scores = [float(s) for _, s in pairs]
        rows = threshold_analysis(outcomes, scores, count=count).rows
        assert len({row.threshold for row in rows}) == len(rows) <= count
        # Listed highest first: as the threshold rises, leads sent do not increase.
        for higher, lower in itertools.pairwise(rows):
            assert higher.threshold > lower.threshold
            assert higher.leads_sent <= lower.leads_sent
            assert higher.converted_sent <= lower.converted_sent
        for row in rows:
            assert row.leads_sent + row.leads_held_back == len(pairs)
            assert row.converted_sent + row.converted_held_back == sum(outcomes)
        assert rows[-1].leads_sent == len(pairs)

    def test_errors(self) -> None:
        with pytest.raises(ValueError, match=r"thresholds\[1\] is nan; must be a number"):
            threshold_analysis(Y8, S8, thresholds=[0.5, math.nan])
        with pytest.raises(ValueError, match="count is 0"):
            threshold_analysis(Y8, S8, count=0)


# ----------------------------------------------------------- tables as text


class TestTables:
    @pytest.mark.parametrize(
        "table",
        [
            lift_table(Y8, S8, groups=3),
            calibration_table(Y8, S8, bins=4),
            conversion_by_band(Y8, TestConversionByBand.BANDS),
            threshold_analysis(Y8, S8, count=4),
        ],
        ids=["lift", "calibration", "band", "threshold"],
    )
    def test_records_frames_and_text(
        self, table: LiftTable | CalibrationTable | BandTable | ThresholdTable
    ) -> None:
        columns = [field.name for field in attrs.fields(type(table.rows[0]))]
        assert list(table.columns()) == columns
        records = table.records()
        assert len(records) == len(table.rows)
        assert all(list(record) == columns for record in records)
        pytest.importorskip("pandas")
        frame = table.to_frame()
        assert list(frame.columns) == columns
        assert len(frame) == len(table.rows)
        lines = str(table).splitlines()
        assert lines[0].split() == columns
        assert len(lines) == len(table.rows) + 1

    def test_text_is_aligned(self) -> None:
        lines = str(lift_table(Y8, S8, groups=3)).splitlines()
        assert len({len(line) for line in lines}) == 1
        assert lines[1].split()[:4] == ["1", "3", "2", "0.6667"]

    def test_tables_are_frozen(self) -> None:
        table = lift_table(Y8, S8)
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            table.rows = ()  # type: ignore[misc]


# -------------------------------------------------------------------- splits


def example(day: int, converted: bool = False, *, at_day: int | None = None) -> Example:
    lead = Lead(created_at=T0 + timedelta(days=day))
    at = None if at_day is None else T0 + timedelta(days=at_day)
    return Example(lead=lead, converted=converted, at=at)


class TestTimeSplit:
    def test_at_a_time(self) -> None:
        examples = [example(3), example(1), example(2, at_day=5), example(4)]
        train, test = time_split(examples, at=T0 + timedelta(days=3))
        # Ordered by at, else created_at: days 1, 3, 4, 5; the cut at day 3 goes to test.
        assert train == [examples[1]]
        assert test == [examples[0], examples[3], examples[2]]

    def test_by_fraction(self) -> None:
        examples = [example(day) for day in (5, 1, 4, 2, 3)]
        train, test = time_split(examples, fraction=0.4)
        assert [e.lead.created_at.day for e in train] == [6, 7, 8]
        assert [e.lead.created_at.day for e in test] == [9, 10]

    def test_ties_at_the_cut_go_to_test(self) -> None:
        examples = [example(1), example(2), example(2), example(2)]
        train, test = time_split(examples, fraction=0.25)
        assert (len(train), len(test)) == (1, 3)

    def test_by_key(self) -> None:
        examples = [example(1, at_day=9), example(2, at_day=0)]
        train, test = time_split(examples, fraction=0.5, key=lambda e: e.lead.created_at)
        assert (train, test) == ([examples[0]], [examples[1]])

    @given(st.lists(st.integers(0, 30), min_size=2, max_size=40), st.integers(1, 9))
    def test_keeps_time_order(self, days: list[int], tenths: int) -> None:
        examples = [example(day) for day in days]
        n_test = math.floor(len(days) * tenths / 10 + 0.5)
        if not 0 < n_test < len(days) or sorted(days)[len(days) - n_test] == min(days):
            with pytest.raises(ValueError, match="part is empty"):
                time_split(examples, fraction=tenths / 10)
            return
        train, test = time_split(examples, fraction=tenths / 10)
        assert len(test) >= n_test
        assert sorted(map(id, train + test)) == sorted(map(id, examples))
        train_times = [e.lead.created_at for e in train]
        test_times = [e.lead.created_at for e in test]
        assert train_times == sorted(train_times)
        assert test_times == sorted(test_times)
        assert max(train_times) < min(test_times)

    def test_errors(self) -> None:
        examples = [example(1), example(2)]
        with pytest.raises(ValueError, match="give exactly one of at= and fraction=; neither"):
            time_split(examples)
        with pytest.raises(ValueError, match="not both"):
            time_split(examples, at=T0, fraction=0.5)
        with pytest.raises(ValueError, match=r"fraction is 1.5; must be between 0 and 1"):
            time_split(examples, fraction=1.5)
        with pytest.raises(ValueError, match="the train part is empty: no example is before"):
            time_split(examples, at=T0)
        with pytest.raises(ValueError, match="the test part is empty: no example is at or after"):
            time_split(examples, at=T0 + timedelta(days=30))
        with pytest.raises(
            ValueError, match=r"the test part is empty: fraction=0\.1 of 2 examples"
        ):
            time_split(examples, fraction=0.1)
        with pytest.raises(ValueError, match="at is a naive datetime"):
            time_split(examples, at=datetime(2026, 1, 1))
        with pytest.raises(ValueError, match="examples is empty"):
            time_split([], fraction=0.5)


class TestStratifiedSplit:
    def test_keeps_the_rate(self) -> None:
        examples = [example(i, converted=i % 5 == 0) for i in range(100)]
        train, test = stratified_split(examples, test_fraction=0.2, seed=7)
        assert (len(train), len(test)) == (80, 20)
        assert sum(e.converted for e in test) == 4
        assert sum(e.converted for e in train) == 16
        # Both parts keep the input order.
        assert train == [e for e in examples if e in train]
        assert test == [e for e in examples if e in test]

    def test_custom_outcome(self) -> None:
        examples = [example(i) for i in range(10)]
        _, test = stratified_split(
            examples, test_fraction=0.5, seed=1, outcome=lambda e: e.lead.created_at.day % 2 == 0
        )
        assert sum(e.lead.created_at.day % 2 == 0 for e in test) == 3  # round(5 * 0.5) = 3

    @given(
        st.lists(st.booleans(), min_size=2, max_size=60),
        st.integers(1, 9),
        st.integers(0, 2**32),
    )
    def test_deterministic_and_stratified(
        self, outcomes: list[bool], tenths: int, seed: int
    ) -> None:
        examples = [example(i, converted) for i, converted in enumerate(outcomes)]
        fraction = tenths / 10
        positives = sum(outcomes)
        negatives = len(outcomes) - positives
        n_test = sum(math.floor(size * fraction + 0.5) for size in (positives, negatives))
        if not 0 < n_test < len(outcomes):
            with pytest.raises(ValueError, match="part is empty"):
                stratified_split(examples, test_fraction=fraction, seed=seed)
            return
        train, test = stratified_split(examples, test_fraction=fraction, seed=seed)
        assert len(test) == n_test
        assert (train, test) == stratified_split(examples, test_fraction=fraction, seed=seed)
        assert sorted(map(id, train + test)) == sorted(map(id, examples))
        assert abs(sum(e.converted for e in test) - fraction * positives) <= 1
        assert abs(sum(not e.converted for e in test) - fraction * negatives) <= 1

    def test_seeds_differ(self) -> None:
        examples = [example(i, converted=i % 3 == 0) for i in range(60)]
        splits = {tuple(id(e) for e in stratified_split(examples, seed=s)[1]) for s in range(5)}
        assert len(splits) > 1

    def test_errors(self) -> None:
        examples = [example(i, converted=i == 0) for i in range(3)]
        with pytest.raises(ValueError, match=r"the test part is empty: test_fraction=0\.1 of 3"):
            stratified_split(examples, test_fraction=0.1, seed=1)
        with pytest.raises(ValueError, match="test_fraction is 0; must be between 0 and 1"):
            stratified_split(examples, test_fraction=0, seed=1)
        with pytest.raises(ValueError, match="examples is empty"):
            stratified_split([], seed=1)


# ------------------------------------------------------------------ evaluate


@attrs.frozen(kw_only=True)
class SizeModel:
    """Scores a lead by company size plus 10 points per activity; hot at 50 points."""

    name: str = "size"
    with_probability: bool = True
    #: Every call made, as ("score" | "score_many", number of leads): the model records its use.
    calls: list[tuple[str, int]] = attrs.field(factory=list, eq=False)

    def score(self, lead: Lead, activities: Sequence[Activity] = (), *, at: datetime) -> Score:
        self.calls.append(("score", 1))
        size = lead.company_size or 0
        seen = [a for a in activities if a.occurred_at <= at]
        parts = [
            Contribution(name="size", points=size, reason=f"{size} employees"),
            Contribution(name="activities", points=10 * len(seen), reason=f"{len(seen)} seen"),
        ]
        points = size + 10 * len(seen)
        return Score.of(
            self.name,
            parts,
            at=at,
            lead_id=lead.id,
            band="hot" if points >= 50 else "cold",
            probability=min(points / 100, 1.0) if self.with_probability else None,
        )

    def score_many(
        self, leads: Iterable[Lead], activities: Iterable[Activity] = (), *, at: datetime
    ) -> Scores:
        leads = list(leads)
        self.calls.append(("score_many", len(leads)))
        return score_each(self, leads, activities, at=at)


SIZES = [(80, True), (60, False), (40, True), (30, False), (20, False), (10, False)]


def examples_of(sizes: Sequence[tuple[int, bool]], at: datetime | None = None) -> list[Example]:
    return [
        Example(lead=Lead(created_at=T0, company_size=size), converted=converted, at=at)
        for size, converted in sizes
    ]


class TestEvaluate:
    def test_the_model_satisfies_the_protocol(self) -> None:
        assert isinstance(SizeModel(), ScoringModel)

    def test_one_batch_when_all_share_a_time(self) -> None:
        model = SizeModel()
        evaluation = evaluate(model, examples_of(SIZES), at=T0 + timedelta(days=1), groups=3)
        assert isinstance(evaluation, Evaluation)
        assert model.calls[0] == ("score_many", 6)
        assert ("score", 1) in model.calls  # score_each scores one at a time inside the batch
        assert evaluation.model == "size"
        assert (evaluation.leads, evaluation.converted) == (6, 2)
        assert evaluation.base_rate == pytest.approx(1 / 3)
        outcomes = [c for _, c in SIZES]
        scores = [float(s) for s, _ in SIZES]
        probabilities = [s / 100 for s, _ in SIZES]
        assert evaluation.auc == roc_auc(outcomes, scores) == 7 / 8
        assert evaluation.log_loss == pytest.approx(log_loss(outcomes, probabilities))
        assert evaluation.brier == pytest.approx(brier_score(outcomes, probabilities))
        assert evaluation.calibration == calibration_table(outcomes, probabilities)
        assert evaluation.lift == lift_table(outcomes, scores, groups=3)
        assert evaluation.thresholds == threshold_analysis(outcomes, scores)
        assert evaluation.by_band is not None
        assert [(row.band, row.leads, row.converted) for row in evaluation.by_band] == [
            ("hot", 2, 1),
            ("cold", 4, 1),
        ]

    def test_each_example_scored_at_its_own_time(self) -> None:
        model = SizeModel()
        examples = [
            Example(
                lead=lead,
                converted=converted,
                at=T0 + timedelta(days=i + 1),
                activities=[
                    Activity(
                        created_at=T0,
                        kind=ActivityKind.WEB_VISIT,
                        occurred_at=T0 + timedelta(days=2, hours=12),
                        lead_id=lead.id,
                    )
                ],
            )
            for i, (lead, converted) in enumerate(
                (Lead(created_at=T0, company_size=size), converted) for size, converted in SIZES
            )
        ]
        evaluation = evaluate(model, examples)
        assert model.calls == [("score", 1)] * 6
        # The visit at day 2.5 is seen from the third example on (scored at day 3 and later).
        scores = [size + (10 if i >= 2 else 0) for i, (size, _) in enumerate(SIZES)]
        assert evaluation.auc == roc_auc([c for _, c in SIZES], scores)
        assert evaluation.lift.rows[0].max_score == 80

    def test_the_activities_reach_the_batch(self) -> None:
        model = SizeModel()
        examples = examples_of(SIZES, at=T0 + timedelta(days=1))
        # Give the lowest-scored unconverted lead three activities: it moves above 40.
        last = examples[-1]
        visits = [
            Activity(
                created_at=T0, kind=ActivityKind.WEB_VISIT, occurred_at=T0, lead_id=last.lead.id
            )
            for _ in range(3)
        ]
        examples[-1] = attrs.evolve(last, activities=visits)
        evaluation = evaluate(model, examples)
        assert model.calls[0] == ("score_many", 6)
        assert evaluation.auc == roc_auc([c for _, c in SIZES], [80, 60, 40, 30, 20, 40])

    def test_without_probabilities(self) -> None:
        evaluation = evaluate(
            SizeModel(with_probability=False), examples_of(SIZES), at=T0 + timedelta(days=1)
        )
        assert evaluation.log_loss is None
        assert evaluation.brier is None
        assert evaluation.calibration is None
        assert [r["metric"] for r in evaluation.summary()] == [
            "leads",
            "converted",
            "base_rate",
            "auc",
            "top_group_lift",
        ]
        assert "log loss" not in str(evaluation)

    def test_summary_and_report(self) -> None:
        evaluation = evaluate(SizeModel(), examples_of(SIZES), at=T0 + timedelta(days=1), groups=3)
        summary = {r["metric"]: r["value"] for r in evaluation.summary()}
        assert {r["model"] for r in evaluation.summary()} == {"size"}
        assert summary["auc"] == evaluation.auc
        assert summary["log_loss"] == evaluation.log_loss
        assert summary["brier"] == evaluation.brier
        assert evaluation.calibration is not None
        assert summary["expected_calibration_error"] == (
            evaluation.calibration.expected_calibration_error
        )
        assert summary["top_group_lift"] == evaluation.lift.rows[0].lift
        text = str(evaluation)
        assert text.startswith("Evaluation of 'size' on 6 leads, 2 converted (base rate 0.3333)")
        assert "AUC" in text
        assert f"{evaluation.auc:.4f}" in text
        assert "log loss" in text
        assert "Brier score" in text
        assert str(evaluation.lift) in text
        assert "Conversion by band:" in text

    def test_an_example_without_a_time(self) -> None:
        examples = examples_of(SIZES)
        with pytest.raises(ValueError, match=r"examples\[0\] has no at and no at= was given"):
            evaluate(SizeModel(), examples)

    def test_example_times_win_over_the_fallback(self) -> None:
        model = SizeModel()
        examples = examples_of(SIZES[:3], at=T0) + examples_of(SIZES[3:])
        evaluate(model, examples, at=T0 + timedelta(days=1))
        assert model.calls.count(("score_many", 3)) == 2

    def test_one_class_only(self) -> None:
        with pytest.raises(ValueError, match="only one class present"):
            evaluate(SizeModel(), examples_of([(10, False), (20, False)]), at=T0)

    def test_no_examples(self) -> None:
        with pytest.raises(ValueError, match="examples is empty"):
            evaluate(SizeModel(), [], at=T0)
